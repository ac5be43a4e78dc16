//! Syntax trees of script bodies parsed before, kept per document by the
//! language server (in its [`Memo`](crate::memo::Memo)). A language server checks
//! the whole document again after every keystroke; most `%pre`/`%post`
//! bodies are then unchanged, at most moved by an edit above them. A body
//! whose text was parsed before reuses that tree: as it is when it has not
//! moved, else shifted to its new place and re-parsed incrementally, which
//! keeps every node.

use std::collections::hash_map::DefaultHasher;
use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::sync::Mutex;

use tree_sitter::{InputEdit, Point, Range, Tree};

/// Bodies remembered at most; the cache is emptied past this. A document
/// has a handful of scripts, and the tree of a long one takes megabytes.
const MAX_BODIES: usize = 16;

struct Parsed {
    body: String,
    start: (usize, Point),
    tree: Tree,
}

/// The trees of one document's recent script bodies.
#[derive(Default)]
pub struct TreeCache(Mutex<HashMap<u64, Parsed>>);

fn key(body: &str) -> u64 {
    let mut hasher = DefaultHasher::new();
    body.hash(&mut hasher);
    hasher.finish()
}

/// The tree of the body `range` of `text`, from `parse` (given the old tree
/// to reuse, if any) or from the cache.
pub(crate) fn parse_body(
    cache: &TreeCache,
    text: &str,
    range: Range,
    parse: impl FnOnce(Option<&Tree>) -> Tree,
) -> Tree {
    let body = &text[range.start_byte..range.end_byte];
    let key = key(body);
    let start = (range.start_byte, range.start_point);
    let (same_text, earlier) = match cache.0.lock() {
        Ok(cache) => (
            cache
                .get(&key)
                .filter(|parsed| parsed.body == body)
                .map(|parsed| (parsed.start, parsed.tree.clone())),
            earlier_version(&cache, body, start)
                .map(|(key, parsed)| (key, parsed.body.clone(), parsed.start, parsed.tree.clone())),
        ),
        Err(_) => (None, None),
    };
    let mut superseded = None;
    let tree = match (same_text, earlier) {
        (Some((old_start, tree)), _) if old_start == start => return tree,
        (Some((old_start, mut tree)), _) => match shift(&mut tree, old_start, start) {
            true => parse(Some(&tree)),
            false => parse(None),
        },
        (None, Some((old_key, old_body, old_start, mut tree))) => {
            superseded = Some(old_key);
            if old_start == start || shift(&mut tree, old_start, start) {
                tree.edit(&edit_between(&old_body, body, start));
                parse(Some(&tree))
            } else {
                parse(None)
            }
        }
        (None, None) => parse(None),
    };
    if let Ok(mut cache) = cache.0.lock() {
        // The body this one was before the last edit will not come back,
        // so its tree is not kept; nor is another body at the same place.
        if let Some(old_key) = superseded {
            cache.remove(&old_key);
        }
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

/// The cached body `body` (at `start`) most likely was before the last
/// edit: the one at the same place, else the one sharing the most text
/// with it at its start and end (an edit above the script moved it since
/// it was parsed), when that is at least half of it. Re-parsing from that
/// tree keeps the nodes outside the edit; a parse from nothing would
/// rebuild the whole body, and its old tree would be freed node by node.
fn earlier_version<'c>(
    cache: &'c HashMap<u64, Parsed>,
    body: &str,
    start: (usize, Point),
) -> Option<(u64, &'c Parsed)> {
    if let Some((&key, parsed)) = cache.iter().find(|(_, parsed)| parsed.start == start) {
        return Some((key, parsed));
    }
    cache
        .iter()
        .map(|(&key, parsed)| {
            let (prefix, suffix) = common_ends(&parsed.body, body);
            (prefix + suffix, key, parsed)
        })
        .filter(|&(shared, _, _)| shared * 2 >= body.len())
        .max_by_key(|&(shared, key, _)| (shared, key))
        .map(|(_, key, parsed)| (key, parsed))
}

/// How many bytes `a` and `b` have in common at their start, and then at
/// their end (not counting any twice).
fn common_ends(a: &str, b: &str) -> (usize, usize) {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let prefix = a.iter().zip(b).take_while(|(x, y)| x == y).count();
    let room = a.len().min(b.len()) - prefix;
    let suffix = a
        .iter()
        .rev()
        .zip(b.iter().rev())
        .take(room)
        .take_while(|(x, y)| x == y)
        .count();
    (prefix, suffix)
}

/// The edit that turns `old` into `new`, both bodies starting at `start`:
/// the span between their common prefix and their common suffix.
pub(crate) fn edit_between(old: &str, new: &str, start: (usize, Point)) -> InputEdit {
    let (prefix, suffix) = common_ends(old, new);
    let (start_byte, start_point) = start;
    let at = |text: &str, offset: usize| {
        let before = &text.as_bytes()[..offset];
        let rows = before.iter().filter(|&&b| b == b'\n').count();
        let column = match before.iter().rposition(|&b| b == b'\n') {
            Some(newline) => offset - newline - 1,
            None => start_point.column + offset,
        };
        Point::new(start_point.row + rows, column)
    };
    InputEdit {
        start_byte: start_byte + prefix,
        old_end_byte: start_byte + old.len() - suffix,
        new_end_byte: start_byte + new.len() - suffix,
        start_position: at(new, prefix),
        old_end_position: at(old, old.len() - suffix),
        new_end_position: at(new, new.len() - suffix),
    }
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
    use super::TreeCache;
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
                sexp_with_ranges(&ShellScript::parse(text, range))
            })
            .collect();
        let cache = TreeCache::default();
        for _round in 0..2 {
            for (text, fresh) in texts.iter().zip(&fresh) {
                let start = text.find("\nif").unwrap() + 1;
                let range = TextRange::new(start, start + body.len());
                assert_eq!(
                    &sexp_with_ranges(&ShellScript::parse_reusing(text, range, &cache)),
                    fresh
                );
            }
        }
    }

    /// A body edited after an edit above it moved it (the tree cached at
    /// its old place) re-parses from that tree, not from nothing, and the
    /// cache then holds the new body only.
    #[test]
    fn a_body_edited_after_it_moved_reuses_its_tree() {
        use crate::scripts::shell::{included_range, parse_range};
        let cache = TreeCache::default();
        let versions = [
            ("%post\n", "echo one\nif true; then\n  cp a b\nfi\n"),
            (
                "lang C\n%post\n",
                "echo one\nif true; then\n  cp a bc\nfi\n",
            ),
            ("%post\n", "echo one\nif true; then\n  cp a \"bc\nfi\n"),
            (
                "lang C\nkeyboard us\n%post\n",
                "echo one\nif true; then\n  cp a \"bc\"\nfi\n",
            ),
        ];
        for (n, (above, body)) in versions.iter().enumerate() {
            let text = format!("{above}{body}%end\n");
            let range = TextRange::new(above.len(), above.len() + body.len());
            let mut reused = false;
            let tree = super::parse_body(&cache, &text, included_range(&text, range), |old| {
                reused = old.is_some();
                parse_range(&text, included_range(&text, range), old)
            });
            assert_eq!(reused, n > 0, "version {n}");
            let fresh = ShellScript::parse(&text, range);
            assert_eq!(
                tree.root_node().to_sexp(),
                fresh.root().to_sexp(),
                "version {n}"
            );
            assert_eq!(tree.root_node().byte_range(), fresh.root().byte_range());
            assert_eq!(cache.0.lock().unwrap().len(), 1, "version {n}");
        }
    }

    /// A body edited in place (typing, deleting, pasting lines) reuses the
    /// tree of its previous text and ends up with the tree of a fresh parse.
    #[test]
    fn edited_bodies_match_a_fresh_parse() {
        let versions = [
            "echo one\nif true; then\n  cp a b\nfi\n",
            "echo one\nif true; then\n  cp a \"b\nfi\n",
            "echo one\nif true; then\n  cp a \"b\"\nfi\ncat <<EOF\nx\nEOF\n",
            "echo öne\nif true; then\n  cp a \"b\"\nfi\ncat <<EOF\nx\nEOF\n",
            "echo öne\n",
            "for x in 1 2; do\n  echo \"$x\"\ndone\necho öne\n",
        ];
        let cache = TreeCache::default();
        for body in versions {
            let text = format!("lang C\n%post\n{body}%end\n");
            let start = text.find("%post\n").unwrap() + 6;
            let range = TextRange::new(start, start + body.len());
            assert_eq!(
                sexp_with_ranges(&ShellScript::parse_reusing(&text, range, &cache)),
                sexp_with_ranges(&ShellScript::parse(&text, range)),
                "{body:?}"
            );
        }
    }
}
