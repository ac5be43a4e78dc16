//! Text → tree → model. The tree comes from the `tree-sitter-kickstart`
//! grammar; [`model`] lifts it into typed commands, sections and package
//! entries with byte ranges that every rule and editor feature share.

pub mod direct_lines;
pub mod model;
pub mod words;

use std::cell::RefCell;
use tree_sitter::{Parser, Point, Tree};

thread_local! {
    static PARSER: RefCell<Parser> = RefCell::new(new_parser());
}

fn new_parser() -> Parser {
    let mut parser = Parser::new();
    parser
        .set_language(&tree_sitter_kickstart::LANGUAGE.into())
        .expect("the bundled kickstart grammar matches the tree-sitter runtime");
    parser
}

/// Parses kickstart text. Pass the previous tree (already `edit`ed) to reuse
/// its unchanged parts. Never fails: malformed input yields ERROR and MISSING
/// nodes in the tree.
pub fn parse(text: &str, old_tree: Option<&Tree>) -> Tree {
    PARSER.with(|parser| {
        parser
            .borrow_mut()
            .parse(text, old_tree)
            .expect("no timeout or cancellation flag is set, so parsing completes")
    })
}

/// The model of a whole kickstart file for a one-off check: in a long
/// file, the plain lines of `%packages` lists and the script bodies are
/// read directly and only the rest is parsed, when that gives the whole parse's model for sure
/// (see [`direct_lines`]); else the whole text is parsed.
pub fn parse_document(file: crate::source::FileId, text: &str) -> model::Document {
    if text.len() >= pieces_limit(direct_lines::MIN_TEXT_BYTES) {
        if let Some(document) = direct_lines::document_without_plain_lines(file, text) {
            return document;
        }
    }
    model::Document::new(file, text, parse(text, None))
}

/// The row and byte column of `offset` in `text`, as tree-sitter counts.
pub(crate) fn point_at(text: &str, offset: usize) -> Point {
    Points::new(text).at(offset)
}

/// Tree-sitter points of increasing offsets in one text, counting its lines
/// once however many points are asked.
pub(crate) struct Points<'a> {
    text: &'a [u8],
    offset: usize,
    row: usize,
    line_start: usize,
}

impl<'a> Points<'a> {
    pub(crate) fn new(text: &'a str) -> Self {
        Points {
            text: text.as_bytes(),
            offset: 0,
            row: 0,
            line_start: 0,
        }
    }

    /// The point at `offset`; offsets before the last one asked give the
    /// last point.
    pub(crate) fn at(&mut self, offset: usize) -> Point {
        let offset = offset.min(self.text.len()).max(self.offset);
        for newline in memchr::memchr_iter(b'\n', &self.text[self.offset..offset]) {
            self.line_start = self.offset + newline + 1;
            self.row += 1;
        }
        self.offset = offset;
        Point::new(self.row, offset - self.line_start)
    }
}

/// `limit`, a size from which work is done another way than whole (a
/// kickstart without its plain package lines; a shell body and a script's
/// view in pieces on two threads). Tests change every such limit at once,
/// through [`test_split`], to compare both ways.
pub(crate) fn pieces_limit(limit: usize) -> usize {
    #[cfg(test)]
    match test_split::MODE.get() {
        test_split::ALWAYS => return 0,
        test_split::NEVER => return usize::MAX,
        _ => {}
    }
    limit
}

/// How tests make [`pieces_limit`] cut everything or nothing, on their
/// own thread.
#[cfg(test)]
pub(crate) mod test_split {
    use std::cell::Cell;

    pub const BY_SIZE: u8 = 0;
    pub const ALWAYS: u8 = 1;
    pub const NEVER: u8 = 2;

    thread_local! {
        /// One of the above.
        pub static MODE: Cell<u8> = const { Cell::new(BY_SIZE) };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn points_count_rows_and_byte_columns_as_tree_sitter_does() {
        let text = "a\r\nbé\n\n%packages\nx";
        let mut points = Points::new(text);
        for offset in 0..=text.len() {
            let before = &text.as_bytes()[..offset];
            let row = before.iter().filter(|&&byte| byte == b'\n').count();
            let line_start = before.iter().rposition(|&byte| byte == b'\n');
            let column = offset - line_start.map_or(0, |newline| newline + 1);
            let expected = Point::new(row, column);
            assert_eq!(points.at(offset), expected, "offset {offset}");
            assert_eq!(point_at(text, offset), expected, "offset {offset}");
        }
        // Past the end: the end.
        assert_eq!(point_at(text, text.len() + 5), Point::new(4, 1));
    }
}
