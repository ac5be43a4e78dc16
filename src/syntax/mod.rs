//! Text → tree → model. The tree comes from the `tree-sitter-kickstart`
//! grammar; [`model`] lifts it into typed commands, sections and package
//! entries with byte ranges that every rule and editor feature share.

pub mod model;
pub mod split;
pub mod words;

use std::cell::RefCell;
use tree_sitter::{Parser, Tree};

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

/// The model of a whole kickstart file for a one-off check: a long file
/// is parsed in two pieces on two threads when it can be cut cleanly (see
/// [`split`]), else as one tree.
pub fn parse_document(file: crate::source::FileId, text: &str) -> model::Document {
    let (min_bytes, min_lines) = split_limits();
    if text.len() >= min_bytes {
        if let Some(document) = split::find_cut_among(text, min_lines)
            .and_then(|cut| split::document_in_pieces(file, text, cut))
        {
            return document;
        }
    }
    model::Document::new(file, text, parse(text, None))
}

/// The least text size and number of package lines for a cut
/// ([`split::SPLIT_PARSE_BYTES`], [`split::MIN_LIST_LINES`]), which tests
/// can change to compare both ways of parsing on small files.
fn split_limits() -> (usize, usize) {
    #[cfg(test)]
    match test_split::MODE.get() {
        test_split::ALWAYS => return (0, 1),
        test_split::NEVER => return (usize::MAX, usize::MAX),
        _ => {}
    }
    (split::SPLIT_PARSE_BYTES, split::MIN_LIST_LINES)
}

/// How tests make [`parse_document`] cut files, on their own thread.
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
