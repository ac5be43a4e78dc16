//! Syntax trees of script bodies parsed before. A language server checks
//! the whole document again after every keystroke; most `%pre`/`%post`
//! bodies are then unchanged, at most moved by an edit above them. A body
//! whose text was parsed before reuses that tree: as it is when it has not
//! moved, else shifted to its new place and re-parsed incrementally, which
//! keeps every node.

use std::collections::hash_map::DefaultHasher;
use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::sync::{Mutex, OnceLock};

use tree_sitter::{InputEdit, Point, Range, Tree};

/// Bodies remembered at most; the cache is emptied past this. A document
/// has a handful of scripts, and the tree of a long one takes megabytes.
const MAX_BODIES: usize = 16;

struct Parsed {
    body: String,
    start: (usize, Point),
    tree: Tree,
}

fn cache() -> &'static Mutex<HashMap<u64, Parsed>> {
    static CACHE: OnceLock<Mutex<HashMap<u64, Parsed>>> = OnceLock::new();
    CACHE.get_or_init(Default::default)
}

fn key(body: &str) -> u64 {
    let mut hasher = DefaultHasher::new();
    body.hash(&mut hasher);
    hasher.finish()
}

/// The tree of the body `range` of `text`, from `parse` (given the old tree
/// to reuse, if any) or from the cache.
pub(crate) fn parse_body(
    text: &str,
    range: Range,
    parse: impl FnOnce(Option<&Tree>) -> Tree,
) -> Tree {
    let body = &text[range.start_byte..range.end_byte];
    let key = key(body);
    let start = (range.start_byte, range.start_point);
    let previous = cache().lock().ok().and_then(|cache| {
        let parsed = cache.get(&key)?;
        (parsed.body == body).then(|| (parsed.start, parsed.tree.clone()))
    });
    let tree = match previous {
        Some((old_start, tree)) if old_start == start => return tree,
        Some((old_start, mut tree)) => match shift(&mut tree, old_start, start) {
            true => parse(Some(&tree)),
            false => parse(None),
        },
        None => parse(None),
    };
    if let Ok(mut cache) = cache().lock() {
        // A different body at the same place is this script before the
        // last edit: it will not come back, so its tree is not kept.
        cache.retain(|_, parsed| parsed.start != start);
        if cache.len() >= MAX_BODIES {
            cache.clear();
        }
        cache.insert(
            key,
            Parsed {
                body: body.to_string(),
                start,
                tree: tree.clone(),
            },
        );
    }
    tree
}

/// Moves every node of `tree` from a body starting at `from` to one
/// starting at `to`, as an insertion or deletion before the body. Bodies
/// start at the beginning of a line; others are not moved (`false`).
fn shift(tree: &mut Tree, from: (usize, Point), to: (usize, Point)) -> bool {
    let ((from_byte, from_point), (to_byte, to_point)) = (from, to);
    if from_point.column != 0 || to_point.column != 0 {
        return false;
    }
    let origin = Point::new(0, 0);
    let edit = if to_byte >= from_byte {
        InputEdit {
            start_byte: 0,
            old_end_byte: 0,
            new_end_byte: to_byte - from_byte,
            start_position: origin,
            old_end_position: origin,
            new_end_position: Point::new(to_point.row.saturating_sub(from_point.row), 0),
        }
    } else {
        InputEdit {
            start_byte: 0,
            old_end_byte: from_byte - to_byte,
            new_end_byte: 0,
            start_position: origin,
            old_end_position: Point::new(from_point.row.saturating_sub(to_point.row), 0),
            new_end_position: origin,
        }
    };
    tree.edit(&edit);
    true
}

#[cfg(test)]
mod tests {
    use crate::scripts::shell::ShellScript;
    use crate::source::TextRange;

    fn sexp_with_ranges(script: &ShellScript) -> String {
        fn walk(node: tree_sitter::Node, out: &mut String) {
            out.push_str(&format!(
                "({} {}-{} {:?}",
                node.kind(),
                node.start_byte(),
                node.end_byte(),
                node.start_position()
            ));
            let mut cursor = node.walk();
            for child in node.children(&mut cursor) {
                walk(child, out);
            }
            out.push(')');
        }
        let mut out = String::new();
        walk(script.root(), &mut out);
        out
    }

    /// The same body parsed at one place, then moved down and up, gives the
    /// tree a fresh parse gives at each place.
    #[test]
    fn moved_bodies_match_a_fresh_parse() {
        let body = "if [ -f /etc/x ]; then\n  echo \"a $b\" >> /root/log\nfi\ncat <<EOF\nhi\nEOF\n";
        let texts = [
            format!("%post\n{body}%end\n"),
            format!("lang C\nkeyboard us\n%post\n{body}%end\n"),
            format!("%post --log=/x\n{body}%end\n"),
        ];
        let fresh: Vec<String> = texts
            .iter()
            .map(|text| {
                let start = text.find("\nif").unwrap() + 1;
                let range = TextRange::new(start, start + body.len());
                sexp_with_ranges(&ShellScript::parse_fresh(text, range))
            })
            .collect();
        for _round in 0..2 {
            for (text, fresh) in texts.iter().zip(&fresh) {
                let start = text.find("\nif").unwrap() + 1;
                let range = TextRange::new(start, start + body.len());
                assert_eq!(&sexp_with_ranges(&ShellScript::parse(text, range)), fresh);
            }
        }
    }
}
