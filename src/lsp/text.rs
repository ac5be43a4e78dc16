//! Open documents as ropes: applying LSP edits in the negotiated position
//! encoding, and keeping the syntax tree informed of each edit so the next
//! parse is incremental.

use ropey::Rope;
use tower_lsp::lsp_types::{Position, Range, TextDocumentContentChangeEvent};
use tree_sitter::{InputEdit, Point, Tree};

use crate::source::ColumnUnit;

/// Character index in `rope` of an LSP position. Lines past the end clamp to
/// the end of the text, columns past the end of a line clamp to the line's
/// end, and a column inside a character snaps to its start.
pub fn position_to_char(rope: &Rope, position: Position, unit: ColumnUnit) -> usize {
    let line = position.line as usize;
    if line >= rope.len_lines() {
        return rope.len_chars();
    }
    let line_start = rope.line_to_char(line);
    let wanted = position.character as usize;
    let mut counted = 0;
    for (index, ch) in rope.line(line).chars().enumerate() {
        if ch == '\n' || ch == '\r' {
            return line_start + index;
        }
        let width = match unit {
            ColumnUnit::Utf8Bytes => ch.len_utf8(),
            ColumnUnit::Utf16CodeUnits => ch.len_utf16(),
            ColumnUnit::Chars => 1,
        };
        if counted + width > wanted {
            return line_start + index;
        }
        counted += width;
    }
    line_start + rope.line(line).len_chars()
}

fn point_at(rope: &Rope, byte: usize) -> Point {
    let row = rope.byte_to_line(byte);
    Point {
        row,
        column: byte - rope.line_to_byte(row),
    }
}

/// Applies one content change (ranged or whole-document) to `rope`, and
/// records it in `tree`. Returns `false` when the change replaced the whole
/// text, after which the old tree is of no use.
pub fn apply_change(
    rope: &mut Rope,
    tree: Option<&mut Tree>,
    change: &TextDocumentContentChangeEvent,
    unit: ColumnUnit,
) -> bool {
    let Some(range) = change.range else {
        *rope = Rope::from_str(&change.text);
        return false;
    };
    let (start, end) = ordered(rope, range, unit);
    let start_byte = rope.char_to_byte(start);
    let old_end_byte = rope.char_to_byte(end);
    let start_position = point_at(rope, start_byte);
    let old_end_position = point_at(rope, old_end_byte);
    rope.remove(start..end);
    rope.insert(start, &change.text);
    if let Some(tree) = tree {
        let new_end_byte = start_byte + change.text.len();
        tree.edit(&InputEdit {
            start_byte,
            old_end_byte,
            new_end_byte,
            start_position,
            old_end_position,
            new_end_position: point_at(rope, new_end_byte),
        });
    }
    true
}

/// Character bounds of a range; a reversed range is treated as its mirror.
fn ordered(rope: &Rope, range: Range, unit: ColumnUnit) -> (usize, usize) {
    let a = position_to_char(rope, range.start, unit);
    let b = position_to_char(rope, range.end, unit);
    (a.min(b), a.max(b))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn change(
        range: Option<((u32, u32), (u32, u32))>,
        text: &str,
    ) -> TextDocumentContentChangeEvent {
        TextDocumentContentChangeEvent {
            range: range.map(|((l1, c1), (l2, c2))| {
                Range::new(Position::new(l1, c1), Position::new(l2, c2))
            }),
            range_length: None,
            text: text.to_string(),
        }
    }

    #[test]
    fn applies_edits_in_each_encoding() {
        let mut rope = Rope::from_str("a𝄞b\nlang C\n");
        // After the surrogate pair: UTF-16 column 3, UTF-8 column 5.
        apply_change(
            &mut rope,
            None,
            &change(Some(((0, 3), (0, 4))), "X"),
            ColumnUnit::Utf16CodeUnits,
        );
        assert_eq!(rope.to_string(), "a𝄞X\nlang C\n");
        apply_change(
            &mut rope,
            None,
            &change(Some(((0, 5), (0, 6))), "b"),
            ColumnUnit::Utf8Bytes,
        );
        assert_eq!(rope.to_string(), "a𝄞b\nlang C\n");
    }

    #[test]
    fn out_of_range_positions_clamp() {
        let mut rope = Rope::from_str("lang C\n");
        apply_change(
            &mut rope,
            None,
            &change(Some(((0, 99), (7, 3))), "\nkeyboard us\n"),
            ColumnUnit::Utf16CodeUnits,
        );
        assert_eq!(rope.to_string(), "lang C\nkeyboard us\n");
        // Inside a surrogate pair: snaps to the character start.
        let mut rope = Rope::from_str("𝄞\n");
        apply_change(
            &mut rope,
            None,
            &change(Some(((0, 1), (0, 1))), "x"),
            ColumnUnit::Utf16CodeUnits,
        );
        assert_eq!(rope.to_string(), "x𝄞\n");
    }

    #[test]
    fn incremental_reparse_matches_a_fresh_parse() {
        let mut rope = Rope::from_str("lang C\n%packages\n@core\n%end\n");
        let mut tree = crate::syntax::parse(&rope.to_string(), None);
        apply_change(
            &mut rope,
            Some(&mut tree),
            &change(Some(((2, 0), (2, 5))), "vim\n-emacs"),
            ColumnUnit::Utf16CodeUnits,
        );
        let text = rope.to_string();
        let incremental = crate::syntax::parse(&text, Some(&tree));
        let fresh = crate::syntax::parse(&text, None);
        assert_eq!(
            incremental.root_node().to_sexp(),
            fresh.root_node().to_sexp()
        );
    }
}
