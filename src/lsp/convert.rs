//! From the core's byte ranges and plain types to LSP types.

use tower_lsp::lsp_types::{self as lsp, NumberOrString, Url};

use crate::analysis::Analysis;
use crate::diagnostic::{Diagnostic, Severity, Tag};
use crate::ide;
use crate::source::{ColumnUnit, FileId, SourceFile, TextRange};

/// Where the rule documentation lives; `{code}` is replaced.
pub const DEFAULT_DOCS_URL: &str =
    "https://github.com/kslint/kslint/blob/main/docs/rules/{code}.md";

pub fn range(file: &SourceFile, range: TextRange, unit: ColumnUnit) -> lsp::Range {
    let start = file.position(range.start, unit);
    let end = file.position(range.end, unit);
    lsp::Range::new(
        lsp::Position::new(start.line, start.column),
        lsp::Position::new(end.line, end.column),
    )
}

pub fn offset(file: &SourceFile, position: lsp::Position, unit: ColumnUnit) -> usize {
    file.line_index.offset(
        &file.text,
        crate::source::Position {
            line: position.line,
            column: position.character,
        },
        unit,
    )
}

/// The URI of a file of the analysis: the document's own URI for the main
/// file, a `file:` URI for the others.
pub fn uri_of(analysis: &Analysis, main_uri: &Url, file: FileId) -> Option<Url> {
    if file == analysis.main {
        return Some(main_uri.clone());
    }
    let path = &analysis.sources.get(file).path;
    let absolute = if path.is_absolute() {
        path.clone()
    } else {
        std::env::current_dir().ok()?.join(path)
    };
    Url::from_file_path(absolute).ok()
}

pub fn diagnostic(
    analysis: &Analysis,
    uri: &Url,
    diagnostic: &Diagnostic,
    unit: ColumnUnit,
    docs_url: &str,
) -> lsp::Diagnostic {
    let file = analysis.sources.get(diagnostic.location.file);
    let related: Vec<lsp::DiagnosticRelatedInformation> = diagnostic
        .related
        .iter()
        .filter_map(|related| {
            let other = analysis.sources.get(related.location.file);
            Some(lsp::DiagnosticRelatedInformation {
                location: lsp::Location::new(
                    uri_of(analysis, uri, related.location.file)?,
                    range(other, related.location.range, unit),
                ),
                message: related.message.clone(),
            })
        })
        .collect();
    let tags: Vec<lsp::DiagnosticTag> = diagnostic
        .tags
        .iter()
        .map(|tag| match tag {
            Tag::Deprecated => lsp::DiagnosticTag::DEPRECATED,
            Tag::Unnecessary => lsp::DiagnosticTag::UNNECESSARY,
        })
        .collect();
    let href = match &diagnostic.external {
        Some(external) => external.url.clone(),
        None => docs_url.replace("{code}", diagnostic.rule.code),
    };
    lsp::Diagnostic {
        range: range(file, diagnostic.location.range, unit),
        severity: Some(severity(diagnostic.severity)),
        code: Some(NumberOrString::String(diagnostic.code().to_string())),
        code_description: parsed_link(href).map(|href| lsp::CodeDescription { href }),
        source: Some(diagnostic.source().to_string()),
        message: diagnostic.message.clone(),
        related_information: (!related.is_empty()).then_some(related),
        tags: (!tags.is_empty()).then_some(tags),
        data: Some(serde_json::json!({ "name": diagnostic.rule.name })),
    }
}

/// Links parsed before, by their text: every analysis links each
/// diagnostic to its rule's page, and parsing the same few links again
/// after every keystroke is measurable.
const MAX_PARSED_LINKS: usize = 1024;

thread_local! {
    static PARSED_LINKS: std::cell::RefCell<std::collections::HashMap<String, Option<Url>>> =
        Default::default();
}

/// `Url::parse` of `href`, remembered.
fn parsed_link(href: String) -> Option<Url> {
    PARSED_LINKS.with(|links| {
        let mut links = links.borrow_mut();
        if let Some(parsed) = links.get(&href) {
            return parsed.clone();
        }
        if links.len() >= MAX_PARSED_LINKS {
            links.clear();
        }
        let parsed = Url::parse(&href).ok();
        links.insert(href, parsed.clone());
        parsed
    })
}

fn severity(severity: Severity) -> lsp::DiagnosticSeverity {
    match severity {
        Severity::Error => lsp::DiagnosticSeverity::ERROR,
        Severity::Warning => lsp::DiagnosticSeverity::WARNING,
        Severity::Info => lsp::DiagnosticSeverity::INFORMATION,
        Severity::Hint => lsp::DiagnosticSeverity::HINT,
    }
}

pub fn completion(
    file: &SourceFile,
    item: ide::Completion,
    unit: ColumnUnit,
    snippets: bool,
) -> lsp::CompletionItem {
    let (new_text, format) = match item.insert {
        ide::Insert::Plain(text) => (text, lsp::InsertTextFormat::PLAIN_TEXT),
        ide::Insert::Snippet(text) if snippets => (text, lsp::InsertTextFormat::SNIPPET),
        ide::Insert::Snippet(text) => (plain_text(&text), lsp::InsertTextFormat::PLAIN_TEXT),
    };
    let kind = match item.kind {
        ide::CompletionKind::Command => lsp::CompletionItemKind::KEYWORD,
        ide::CompletionKind::Option => lsp::CompletionItemKind::PROPERTY,
        ide::CompletionKind::Value => lsp::CompletionItemKind::ENUM_MEMBER,
        ide::CompletionKind::Section => lsp::CompletionItemKind::MODULE,
        ide::CompletionKind::File => lsp::CompletionItemKind::FILE,
        ide::CompletionKind::Package => lsp::CompletionItemKind::VALUE,
        ide::CompletionKind::Group => lsp::CompletionItemKind::CLASS,
    };
    lsp::CompletionItem {
        label: item.label,
        kind: Some(kind),
        detail: item.detail,
        documentation: item.documentation.map(|value| {
            lsp::Documentation::MarkupContent(lsp::MarkupContent {
                kind: lsp::MarkupKind::Markdown,
                value,
            })
        }),
        tags: item
            .deprecated
            .then(|| vec![lsp::CompletionItemTag::DEPRECATED]),
        insert_text_format: Some(format),
        text_edit: Some(lsp::CompletionTextEdit::Edit(lsp::TextEdit::new(
            range(file, item.replace, unit),
            new_text,
        ))),
        ..lsp::CompletionItem::default()
    }
}

pub fn symbol(file: &SourceFile, symbol: ide::Symbol, unit: ColumnUnit) -> lsp::DocumentSymbol {
    let kind = match symbol.kind {
        ide::SymbolKind::Section => lsp::SymbolKind::NAMESPACE,
        ide::SymbolKind::Command => lsp::SymbolKind::FUNCTION,
        ide::SymbolKind::Group => lsp::SymbolKind::CLASS,
        ide::SymbolKind::Include => lsp::SymbolKind::FILE,
    };
    let children: Vec<lsp::DocumentSymbol> = symbol
        .children
        .into_iter()
        .map(|child| self::symbol(file, child, unit))
        .collect();
    #[allow(deprecated)] // the `deprecated` field is required by the struct
    lsp::DocumentSymbol {
        name: symbol.name,
        detail: symbol.detail,
        kind,
        tags: None,
        deprecated: None,
        range: range(file, symbol.range, unit),
        selection_range: range(file, symbol.selection, unit),
        children: (!children.is_empty()).then_some(children),
    }
}

/// Relative encoding of semantic tokens (LSP's five integers per token).
pub fn semantic_tokens(
    file: &SourceFile,
    tokens: &[ide::SemanticToken],
    unit: ColumnUnit,
) -> Vec<lsp::SemanticToken> {
    let mut out = Vec::with_capacity(tokens.len());
    let (mut last_line, mut last_start) = (0u32, 0u32);
    for token in tokens {
        let start = file.position(token.range.start, unit);
        let end = file.position(token.range.end, unit);
        if end.line != start.line || end.column <= start.column {
            continue;
        }
        let delta_line = start.line - last_line;
        let delta_start = if delta_line == 0 {
            start.column - last_start
        } else {
            start.column
        };
        out.push(lsp::SemanticToken {
            delta_line,
            delta_start,
            length: end.column - start.column,
            token_type: token.kind as u32,
            token_modifiers_bitset: u32::from(token.deprecated),
        });
        last_line = start.line;
        last_start = start.column;
    }
    out
}

/// A snippet's text for clients without snippet support: tab stops go,
/// placeholders keep their default text, choices keep nothing.
fn plain_text(snippet: &str) -> String {
    let mut out = String::with_capacity(snippet.len());
    let mut chars = snippet.chars().peekable();
    while let Some(ch) = chars.next() {
        match ch {
            '\\' => {
                if let Some(next) = chars.next() {
                    out.push(next);
                }
            }
            '$' if chars.peek().is_some_and(char::is_ascii_digit) => {
                while chars.peek().is_some_and(char::is_ascii_digit) {
                    chars.next();
                }
            }
            '$' if chars.peek() == Some(&'{') => {
                chars.next();
                while chars.peek().is_some_and(char::is_ascii_digit) {
                    chars.next();
                }
                let mut inner = String::new();
                let mut depth = 1;
                for ch in chars.by_ref() {
                    match ch {
                        '{' => depth += 1,
                        '}' => {
                            depth -= 1;
                            if depth == 0 {
                                break;
                            }
                        }
                        _ => {}
                    }
                    inner.push(ch);
                }
                if let Some(default) = inner.strip_prefix(':') {
                    out.push_str(default);
                }
            }
            other => out.push(other),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::{parsed_link, plain_text};
    use tower_lsp::lsp_types::Url;

    #[test]
    fn remembered_links_parse_as_url_parse_does() {
        let links = [
            "https://github.com/kslint/kslint/blob/main/docs/rules/KS3001.md",
            "https://www.shellcheck.net/wiki/SC2086",
            "not a url",
            "",
        ];
        for _round in 0..2 {
            for link in links {
                assert_eq!(
                    parsed_link(link.to_string()),
                    Url::parse(link).ok(),
                    "{link:?}"
                );
            }
        }
    }

    #[test]
    fn snippets_become_plain_text() {
        assert_eq!(plain_text("--size=$1"), "--size=");
        assert_eq!(plain_text("--location=${1|mbr,none|}"), "--location=");
        assert_eq!(plain_text("%packages\n$0\n%end"), "%packages\n\n%end");
        assert_eq!(
            plain_text("%include ${1:/tmp/part-include}"),
            "%include /tmp/part-include"
        );
    }
}
