//! Inline suppressions:
//!
//! - `… # kslint: disable=KS1001,unknown-option` silences those rules on its line;
//! - `# kslint: disable-next-line=KS1001` silences them on the next line;
//! - `# kslint: disable-file=KS0006` silences them in the whole file.
//!
//! A suppression that silences nothing is reported itself, so stale ones do
//! not pile up.

use crate::diagnostic::{fix, Applicability, Diagnostic};
use crate::rules::{self, Rule};
use crate::source::{FileId, SourceFile, TextRange};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Scope {
    Line(usize),
    File,
}

#[derive(Debug)]
struct Entry {
    scope: Scope,
    /// The rule as written (code or name) and its range.
    rule: Option<&'static Rule>,
    written: String,
    range: TextRange,
    /// The whole `# kslint: …` comment, for removing it when it is all unused.
    comment: TextRange,
    used: bool,
}

/// Removes suppressed diagnostics of `file` and adds one for every
/// suppression that silenced nothing or names no rule.
pub fn apply(file_id: FileId, file: &SourceFile, diagnostics: &mut Vec<Diagnostic>) {
    apply_except(file_id, file, diagnostics, &[]);
}

/// [`apply`], where suppressions of the rules in `not_run` (a pass that did
/// not run this time, like the optional shellcheck pass) are not reported
/// unused: nothing could have used them.
pub fn apply_except(
    file_id: FileId,
    file: &SourceFile,
    diagnostics: &mut Vec<Diagnostic>,
    not_run: &[&'static Rule],
) {
    let mut entries = parse(file);
    for entry in entries.iter_mut() {
        if entry.rule.is_some_and(|rule| not_run.contains(&rule)) {
            entry.used = true;
        }
    }
    if entries.is_empty() {
        return;
    }
    diagnostics.retain(|diagnostic| {
        if diagnostic.location.file != file_id || diagnostic.rule == &UNUSED_SUPPRESSION {
            return true;
        }
        let line = file.line_index.line_of(diagnostic.location.range.start);
        let mut suppressed = false;
        for entry in entries.iter_mut() {
            let in_scope = match entry.scope {
                Scope::File => true,
                Scope::Line(target) => target == line,
            };
            if in_scope && entry.rule == Some(diagnostic.rule) {
                entry.used = true;
                suppressed = true;
            }
        }
        !suppressed
    });
    for entry in entries.iter().filter(|entry| !entry.used) {
        let message = match entry.rule {
            None => format!(
                "`{}` is not a kslint rule; this suppression does nothing",
                entry.written
            ),
            Some(rule) => format!(
                "unused suppression: no `{}` ({}) diagnostic here",
                rule.code, rule.name
            ),
        };
        let all_unused = entries
            .iter()
            .filter(|other| other.comment == entry.comment)
            .all(|other| !other.used);
        let removal = if all_unused {
            fix(
                "Remove the suppression comment",
                Applicability::Safe,
                file_id,
                trim_comment(file, entry.comment),
                "",
            )
        } else {
            fix(
                format!("Remove `{}` from the suppression", entry.written),
                Applicability::Safe,
                file_id,
                with_comma(file, entry.range),
                "",
            )
        };
        diagnostics.push(
            Diagnostic::new(&UNUSED_SUPPRESSION, file_id, entry.range, message)
                .with_tag(crate::diagnostic::Tag::Unnecessary)
                .with_fix(removal),
        );
    }
}

rules::declare_rule!(
    UNUSED_SUPPRESSION,
    "KS0012",
    "unused-suppression",
    Hint,
    "A `# kslint: disable=…` comment that silences nothing"
);

const MARKER: &str = "kslint:";

fn parse(file: &SourceFile) -> Vec<Entry> {
    let text: &str = &file.text;
    let mut entries = Vec::new();
    // One search of the whole text: most lines have no marker, and a
    // search per line (thousands per edit of a long kickstart) cost about
    // 5% of a language-server edit.
    let mut lines: Vec<usize> = memchr::memmem::find_iter(text.as_bytes(), MARKER)
        .map(|at| file.line_index.line_of(at))
        .collect();
    lines.dedup();
    for line in lines {
        let range = file.line_index.line_range(text, line);
        let line_text = &text[range.start..range.end];
        let Some(marker) = find_marker(line_text) else {
            continue;
        };
        let hash = line_text[..marker].rfind('#').unwrap_or(marker);
        let comment = TextRange::new(range.start + hash, range.end);
        let directive_start = marker + MARKER.len();
        let directive = &line_text[directive_start..];
        let trimmed = directive.trim_start();
        let offset = range.start + directive_start + (directive.len() - trimmed.len());
        let (scope, rest, rest_offset) =
            if let Some(rest) = trimmed.strip_prefix("disable-next-line=") {
                (
                    Scope::Line(line + 1),
                    rest,
                    offset + "disable-next-line=".len(),
                )
            } else if let Some(rest) = trimmed.strip_prefix("disable-file=") {
                (Scope::File, rest, offset + "disable-file=".len())
            } else if let Some(rest) = trimmed.strip_prefix("disable=") {
                (Scope::Line(line), rest, offset + "disable=".len())
            } else {
                continue;
            };
        let list = rest.split_whitespace().next().unwrap_or("");
        let mut at = rest_offset;
        for written in list.split(',') {
            if !written.is_empty() {
                entries.push(Entry {
                    scope,
                    rule: rules::find(written),
                    written: written.to_string(),
                    range: TextRange::new(at, at + written.len()),
                    comment,
                    used: false,
                });
            }
            at += written.len() + 1;
        }
    }
    entries
}

/// Byte offset of `kslint:` when it follows a `#` (and only spaces) on the line.
fn find_marker(line: &str) -> Option<usize> {
    let mut search = 0;
    while let Some(found) = line[search..].find(MARKER) {
        let at = search + found;
        if line[..at].trim_end().ends_with('#') {
            return Some(at);
        }
        search = at + MARKER.len();
    }
    None
}

/// The comment plus the spaces before it, so removing it leaves no trailing blanks.
fn trim_comment(file: &SourceFile, comment: TextRange) -> TextRange {
    let before = &file.text[..comment.start];
    let start = before.trim_end_matches([' ', '\t']).len();
    TextRange::new(start, comment.end)
}

/// A rule name in a list plus one adjacent comma.
fn with_comma(file: &SourceFile, range: TextRange) -> TextRange {
    let text = file.text.as_bytes();
    if text.get(range.end) == Some(&b',') {
        TextRange::new(range.start, range.end + 1)
    } else if range.start > 0 && text.get(range.start - 1) == Some(&b',') {
        TextRange::new(range.start - 1, range.end)
    } else {
        range
    }
}
