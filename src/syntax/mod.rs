//! Text → tree → model. The tree comes from the `tree-sitter-kickstart`
//! grammar; [`model`] lifts it into typed commands, sections and package
//! entries with byte ranges that every rule and editor feature share.

pub mod model;
pub mod package_lines;
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
/// file, the plain lines of `%packages` lists are read directly and only
/// the rest is parsed, when that gives the whole parse's model for sure
/// (see [`package_lines`]); else the whole text is parsed.
pub fn parse_document(file: crate::source::FileId, text: &str) -> model::Document {
    if text.len() >= pieces_limit(package_lines::MIN_TEXT_BYTES) {
        if let Some(document) = package_lines::document_without_plain_lines(file, text) {
            return document;
        }
    }
    model::Document::new(file, text, parse(text, None))
}

/// The row and byte column of `offset` in `text`, as tree-sitter counts.
pub(crate) fn point_at(text: &str, offset: usize) -> Point {
    let before = &text.as_bytes()[..offset.min(text.len())];
    let row = memchr::memchr_iter(b'\n', before).count();
    let line_start = memchr::memrchr(b'\n', before).map_or(0, |newline| newline + 1);
    Point::new(row, before.len() - line_start)
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
