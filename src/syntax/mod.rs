//! Text → tree → model. The tree comes from the `tree-sitter-kickstart`
//! grammar; [`model`] lifts it into typed commands, sections and package
//! entries with byte ranges that every rule and editor feature share.

pub mod model;
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
