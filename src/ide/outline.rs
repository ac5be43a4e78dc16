//! Document structure for editors: symbols, folding ranges, semantic tokens,
//! include links and go-to-definition.

use std::path::PathBuf;

use tree_sitter::Node;

use super::main_file;
use crate::analysis::Analysis;
use crate::catalog::{self, CommandStatus};
use crate::source::TextRange;
use crate::syntax::model::{Item, PackageKind};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SymbolKind {
    Section,
    Command,
    Group,
    Include,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Symbol {
    pub name: String,
    pub detail: Option<String>,
    pub kind: SymbolKind,
    pub range: TextRange,
    pub selection: TextRange,
    pub children: Vec<Symbol>,
}

/// Sections (with their groups and environments) and commands, in order.
pub fn symbols(analysis: &Analysis) -> Vec<Symbol> {
    if let Some(view) = &analysis.boot {
        return super::boot::symbols(analysis, view);
    }
    let file = main_file(analysis);
    analysis
        .document
        .items
        .iter()
        .filter_map(|item| match item {
            Item::Command(command) => Some(Symbol {
                name: command.name.value.clone(),
                detail: command
                    .args
                    .first()
                    .map(|arg| file.slice(arg.range()).to_string()),
                kind: SymbolKind::Command,
                range: command.range,
                selection: command.name.range,
                children: Vec::new(),
            }),
            Item::Section(section) => {
                let children = section
                    .packages()
                    .iter()
                    .filter(|entry| {
                        matches!(entry.kind, PackageKind::Group | PackageKind::Environment)
                    })
                    .map(|entry| Symbol {
                        name: file.slice(entry.range).to_string(),
                        detail: None,
                        kind: SymbolKind::Group,
                        range: entry.range,
                        selection: entry.name_range,
                        children: Vec::new(),
                    })
                    .collect();
                Some(Symbol {
                    name: section.header.name.clone(),
                    detail: Some(
                        file.slice(section.header.range)[section.header.name.len()..]
                            .trim()
                            .to_string(),
                    )
                    .filter(|detail| !detail.is_empty()),
                    kind: SymbolKind::Section,
                    range: section.range,
                    selection: section.header.name_range,
                    children,
                })
            }
            Item::Include(include) => Some(Symbol {
                name: file.slice(include.range).to_string(),
                detail: None,
                kind: SymbolKind::Include,
                range: include.range,
                selection: include.range,
                children: Vec::new(),
            }),
            Item::StrayEnd(_) => None,
        })
        .collect()
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FoldKind {
    Region,
    Comment,
}

/// Zero-based line spans.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Fold {
    pub start_line: u32,
    pub end_line: u32,
    pub kind: FoldKind,
}

/// Every section, and every run of two or more comment lines.
pub fn folding_ranges(analysis: &Analysis) -> Vec<Fold> {
    if let Some(view) = &analysis.boot {
        return super::boot::folds(analysis, view);
    }
    let file = main_file(analysis);
    let index = &file.line_index;
    let mut folds: Vec<Fold> = analysis
        .document
        .sections()
        .filter_map(|section| {
            let start = index.line_of(section.range.start) as u32;
            let end_offset = section
                .end
                .map_or(section.range.end.saturating_sub(1), |end| end.start);
            let end = index.line_of(end_offset) as u32;
            (end > start).then_some(Fold {
                start_line: start,
                end_line: end,
                kind: FoldKind::Region,
            })
        })
        .collect();
    let mut run_start: Option<u32> = None;
    let mut last_comment = 0u32;
    let in_body = |line: usize| {
        let offset = index.line_start(line);
        analysis.document.sections().any(|section| {
            section
                .body_range()
                .is_some_and(|body| body.contains(offset))
        })
    };
    for line in 0..index.line_count() {
        let text = file.slice(index.line_range(&file.text, line));
        let is_comment = text.trim_start().starts_with('#') && !in_body(line);
        if is_comment {
            run_start.get_or_insert(line as u32);
            last_comment = line as u32;
        } else if let Some(start) = run_start.take() {
            if last_comment > start {
                folds.push(Fold {
                    start_line: start,
                    end_line: last_comment,
                    kind: FoldKind::Comment,
                });
            }
        }
    }
    if let Some(start) = run_start {
        if last_comment > start {
            folds.push(Fold {
                start_line: start,
                end_line: last_comment,
                kind: FoldKind::Comment,
            });
        }
    }
    folds.sort_by_key(|fold| fold.start_line);
    folds
}

/// Semantic token types, in the order the server advertises them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TokenKind {
    Keyword,
    Function,
    Parameter,
    String,
    Comment,
    Type,
    Variable,
    Namespace,
    EnumMember,
    Operator,
}

/// Token type names as LSP spells them, indexed by `TokenKind as usize`.
pub const TOKEN_KINDS: &[&str] = &[
    "keyword",
    "function",
    "parameter",
    "string",
    "comment",
    "type",
    "variable",
    "namespace",
    "enumMember",
    "operator",
];

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SemanticToken {
    pub range: TextRange,
    pub kind: TokenKind,
    pub deprecated: bool,
}

/// Tokens for the whole document, in order, each within one line.
pub fn semantic_tokens(analysis: &Analysis) -> Vec<SemanticToken> {
    let mut tokens = Vec::new();
    let parsed;
    let tree = match &analysis.document.tree {
        Some(tree) => tree,
        // A one-off check read the plain package lines without the
        // parser: the language server never does that, but the whole tree
        // is one parse away.
        None => {
            let text = &analysis.sources.get(analysis.document.file).text;
            parsed = crate::syntax::parse(text, None);
            &parsed
        }
    };
    collect_tokens(analysis, tree.root_node(), &mut tokens);
    tokens
}

fn collect_tokens(analysis: &Analysis, node: Node, tokens: &mut Vec<SemanticToken>) {
    let kind = match node.kind() {
        "command_name" => Some(TokenKind::Function),
        "option_name" => Some(TokenKind::Parameter),
        "section_name" | "section_end" => Some(TokenKind::Keyword),
        "comment" => Some(TokenKind::Comment),
        "string" => Some(TokenKind::String),
        "package_name" => Some(TokenKind::Variable),
        "group_name" => Some(TokenKind::Type),
        "module_name" => Some(TokenKind::Namespace),
        "module_stream" | "module_profile" => Some(TokenKind::EnumMember),
        "%include" | "%ksappend" => Some(TokenKind::Keyword),
        _ => None,
    };
    if let Some(kind) = kind {
        let range = TextRange::new(node.start_byte(), node.end_byte());
        // `section_end` covers trailing words; colour only `%end` itself.
        let range = if node.kind() == "section_end" {
            TextRange::new(range.start, (range.start + 4).min(range.end))
        } else {
            range
        };
        let deprecated = kind == TokenKind::Function && is_deprecated_command(analysis, range);
        push_line_tokens(analysis, range, kind, deprecated, tokens);
        return;
    }
    let mut cursor = node.walk();
    for child in node.children(&mut cursor) {
        collect_tokens(analysis, child, tokens);
    }
}

fn is_deprecated_command(analysis: &Analysis, range: TextRange) -> bool {
    let name = main_file(analysis).slice(range);
    matches!(
        catalog::lookup_command(analysis.version, name),
        Some((CommandStatus::Deprecated | CommandStatus::Removed, _))
    )
}

/// Splits a token at line breaks (LSP tokens may not span lines).
fn push_line_tokens(
    analysis: &Analysis,
    range: TextRange,
    kind: TokenKind,
    deprecated: bool,
    tokens: &mut Vec<SemanticToken>,
) {
    let text = main_file(analysis).slice(range);
    let mut start = range.start;
    for piece in text.split_inclusive('\n') {
        let trimmed = piece.trim_end_matches(['\n', '\r']);
        if !trimmed.is_empty() {
            tokens.push(SemanticToken {
                range: TextRange::new(start, start + trimmed.len()),
                kind,
                deprecated,
            });
        }
        start += piece.len();
    }
}

/// An include path and the file it opens.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Link {
    pub range: TextRange,
    pub target: PathBuf,
    /// Where in the target, with the target's text to place it (none: the
    /// start of the file).
    pub target_range: Option<(std::sync::Arc<str>, TextRange)>,
}

pub fn document_links(analysis: &Analysis) -> Vec<Link> {
    if let Some(view) = &analysis.boot {
        return super::boot::links(view);
    }
    analysis
        .links
        .iter()
        .filter(|link| link.file == analysis.main)
        .map(|link| Link {
            range: link.range,
            target: link.target.clone(),
            target_range: None,
        })
        .collect()
}

/// Where the thing at `offset` is defined: the file an include names, or a
/// group's element in comps.
pub fn definition(analysis: &Analysis, offset: usize) -> Option<Link> {
    if let Some(view) = &analysis.boot {
        return super::boot::definition(view, offset);
    }
    document_links(analysis)
        .into_iter()
        .find(|link| link.range.start <= offset && offset <= link.range.end)
        .or_else(|| super::media::definition(analysis, offset))
}
