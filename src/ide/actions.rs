//! Code actions: the fixes rules offer, "disable this rule here", and
//! fix-all of the safe fixes.

use super::main_file;
use crate::analysis::Analysis;
use crate::diagnostic::{Applicability, Diagnostic, TextEdit};
use crate::source::TextRange;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ActionKind {
    QuickFix,
    /// Every safe fix of the document at once (`source.fixAll`).
    FixAll,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Action {
    pub title: String,
    pub kind: ActionKind,
    pub edits: Vec<TextEdit>,
    /// Indexes into `analysis.diagnostics` this action resolves.
    pub diagnostics: Vec<usize>,
    pub preferred: bool,
}

/// Actions for the diagnostics that touch `range` in the main file.
pub fn code_actions(analysis: &Analysis, range: TextRange) -> Vec<Action> {
    let mut actions = Vec::new();
    for (index, diagnostic) in analysis.diagnostics.iter().enumerate() {
        let location = &diagnostic.location;
        if location.file != analysis.main || !touches(location.range, range) {
            continue;
        }
        if let Some(fix) = &diagnostic.fix {
            actions.push(Action {
                title: fix.title.clone(),
                kind: ActionKind::QuickFix,
                edits: fix.edits.clone(),
                diagnostics: vec![index],
                preferred: fix.applicability == Applicability::Safe,
            });
        }
        if diagnostic.rule.code != "KS0012" {
            actions.push(disable_on_line(analysis, index, diagnostic));
            actions.push(disable_in_file(analysis, index, diagnostic));
        }
    }
    actions
}

fn touches(a: TextRange, b: TextRange) -> bool {
    a.start <= b.end && b.start <= a.end
}

fn disable_on_line(analysis: &Analysis, index: usize, diagnostic: &Diagnostic) -> Action {
    let file = main_file(analysis);
    let line = file.line_index.line_of(diagnostic.location.range.start);
    let line_range = file.line_index.line_range(&file.text, line);
    let line_text = file.slice(line_range);
    let code = diagnostic.rule.code;
    let edit = match line_text.find("kslint: disable=") {
        Some(at) => {
            let list_start = at + "kslint: disable=".len();
            let list_end = line_text[list_start..]
                .find(char::is_whitespace)
                .map_or(line_text.len(), |end| list_start + end);
            TextEdit {
                file: analysis.main,
                range: TextRange::empty(line_range.start + list_end),
                replacement: format!(",{code}"),
            }
        }
        None => TextEdit {
            file: analysis.main,
            range: TextRange::empty(line_range.end),
            replacement: format!("  # kslint: disable={code}"),
        },
    };
    Action {
        title: format!("Disable {code} ({}) for this line", diagnostic.rule.name),
        kind: ActionKind::QuickFix,
        edits: vec![edit],
        diagnostics: vec![index],
        preferred: false,
    }
}

fn disable_in_file(analysis: &Analysis, index: usize, diagnostic: &Diagnostic) -> Action {
    let code = diagnostic.rule.code;
    let text = &main_file(analysis).text;
    let start = if text.starts_with('\u{feff}') {
        '\u{feff}'.len_utf8()
    } else {
        0
    };
    Action {
        title: format!("Disable {code} ({}) for this file", diagnostic.rule.name),
        kind: ActionKind::QuickFix,
        edits: vec![TextEdit {
            file: analysis.main,
            range: TextRange::empty(start),
            replacement: format!("# kslint: disable-file={code}\n"),
        }],
        diagnostics: vec![index],
        preferred: false,
    }
}

/// Every safe fix in the main file whose edits do not overlap an earlier one.
pub fn fix_all(analysis: &Analysis) -> Option<Action> {
    let mut edits: Vec<TextEdit> = Vec::new();
    let mut fixed = Vec::new();
    for (index, diagnostic) in analysis.diagnostics.iter().enumerate() {
        let Some(fix) = &diagnostic.fix else { continue };
        if fix.applicability != Applicability::Safe
            || fix.edits.iter().any(|edit| edit.file != analysis.main)
            || fix
                .edits
                .iter()
                .any(|edit| edits.iter().any(|taken| overlaps(taken.range, edit.range)))
        {
            continue;
        }
        edits.extend(fix.edits.iter().cloned());
        fixed.push(index);
    }
    if edits.is_empty() {
        return None;
    }
    edits.sort_by_key(|edit| (edit.range.start, edit.range.end));
    Some(Action {
        title: "Fix all safe kslint problems".into(),
        kind: ActionKind::FixAll,
        edits,
        diagnostics: fixed,
        preferred: false,
    })
}

/// Two edits conflict when their ranges overlap, or both insert at one point.
fn overlaps(a: TextRange, b: TextRange) -> bool {
    (a.start < b.end && b.start < a.end) || (a.is_empty() && b.is_empty() && a.start == b.start)
}
