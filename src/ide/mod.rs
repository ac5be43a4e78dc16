//! Editor features over an [`Analysis`]: hover,
//! completion, outline, folding, semantic tokens, links and code actions.
//! Everything here speaks byte ranges and plain Rust types; the language
//! server converts them to LSP types and positions.

mod actions;
mod boot;
pub mod boot_args;
mod completion;
pub mod docs;
mod hover;
mod media;
mod outline;

pub use actions::{code_actions, fix_all, Action, ActionKind};
pub use completion::{completions, Completion, CompletionKind, Insert};
pub use hover::{hover, Hover};
pub use outline::{
    definition, document_links, folding_ranges, semantic_tokens, symbols, Fold, FoldKind, Link,
    SemanticToken, Symbol, SymbolKind, TokenKind, TOKEN_KINDS,
};

use crate::analysis::Analysis;
use crate::source::{SourceFile, TextRange};
use crate::syntax::model::{Command, Section};

/// The main file of an analysis.
fn main_file(analysis: &Analysis) -> &SourceFile {
    analysis.sources.get(analysis.main)
}

/// The command whose line contains `offset`.
fn command_at(analysis: &Analysis, offset: usize) -> Option<&Command> {
    analysis.document.commands().find(|command| {
        command.range.start <= offset && offset <= line_end(analysis, command.range.start)
    })
}

/// The section whose header line contains `offset`.
fn header_at(analysis: &Analysis, offset: usize) -> Option<&Section> {
    analysis.document.sections().find(|section| {
        section.header.range.start <= offset
            && offset <= line_end(analysis, section.header.range.start)
    })
}

/// The section whose body contains `offset` (between the header line and `%end`).
fn section_body_at(analysis: &Analysis, offset: usize) -> Option<&Section> {
    analysis.document.sections().find(|section| {
        let body_start = line_end(analysis, section.header.range.start) + 1;
        let body_end = section.end.map_or(section.range.end, |end| end.start);
        body_start <= offset
            && offset <= body_end
            && section.end.is_none_or(|end| offset < end.start)
    })
}

/// Offset of the end of the line holding `offset` (before the newline).
fn line_end(analysis: &Analysis, offset: usize) -> usize {
    let file = main_file(analysis);
    let line = file.line_index.line_of(offset);
    file.line_index.line_range(&file.text, line).end
}

/// The range of the word around `offset` (letters, digits and `-_.%@^*:/=`).
fn word_at(text: &str, offset: usize) -> TextRange {
    let is_word = |c: char| !c.is_whitespace() && !matches!(c, '"' | '\'' | '#' | ',');
    let offset = offset.min(text.len());
    let start = text[..offset]
        .char_indices()
        .rev()
        .find(|&(_, c)| !is_word(c))
        .map_or(0, |(i, c)| i + c.len_utf8());
    let end = text[offset..]
        .char_indices()
        .find(|&(_, c)| !is_word(c))
        .map_or(text.len(), |(i, _)| offset + i);
    TextRange::new(start, end)
}
