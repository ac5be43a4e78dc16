//! Rendering analyses for people (codespan-reporting) and for tools (JSON).

use std::io::Write;

use codespan_reporting::diagnostic::{Diagnostic as Report, Label, Severity as ReportSeverity};
use codespan_reporting::files::SimpleFiles;
use codespan_reporting::term::{self, termcolor};
use serde_json::{json, Value};

use crate::analysis::Analysis;
use crate::diagnostic::{Diagnostic, Location, Severity};
use crate::source::{ColumnUnit, SourceMap};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Color {
    Always,
    Never,
}

pub fn human(analyses: &[Analysis], color: Color) -> std::io::Result<()> {
    let choice = match color {
        Color::Always => termcolor::ColorChoice::Always,
        Color::Never => termcolor::ColorChoice::Never,
    };
    let stdout = termcolor::StandardStream::stdout(choice);
    let mut out = stdout.lock();
    let config = term::Config::default();
    let mut counts = [0usize; 4];
    for analysis in analyses {
        let mut files = SimpleFiles::new();
        let ids: Vec<usize> = analysis
            .sources
            .iter()
            .map(|(_, file)| files.add(file.path.display().to_string(), file.text.clone()))
            .collect();
        for diagnostic in &analysis.diagnostics {
            counts[diagnostic.severity as usize] += 1;
            let report = to_report(diagnostic, &ids);
            term::emit(&mut out, &config, &files, &report).map_err(to_io)?;
        }
    }
    for analysis in analyses {
        writeln!(
            out,
            "checked {} as {} ({})",
            analysis.sources.get(analysis.main).path.display(),
            analysis.version,
            analysis.version_source
        )?;
    }
    writeln!(out, "{}", summary(analyses.len(), counts))
}

fn summary(file_count: usize, counts: [usize; 4]) -> String {
    let plural = |n: usize, word: &str| format!("{n} {word}{}", if n == 1 { "" } else { "s" });
    let total: usize = counts.iter().sum();
    if total == 0 {
        return format!("{} checked, no problems found", plural(file_count, "file"));
    }
    let mut parts = vec![
        plural(counts[Severity::Error as usize], "error"),
        plural(counts[Severity::Warning as usize], "warning"),
    ];
    let notes = counts[Severity::Info as usize] + counts[Severity::Hint as usize];
    if notes > 0 {
        parts.push(plural(notes, "note"));
    }
    format!(
        "{} checked: {}",
        plural(file_count, "file"),
        parts.join(", ")
    )
}

fn to_io(error: codespan_reporting::files::Error) -> std::io::Error {
    match error {
        codespan_reporting::files::Error::Io(error) => error,
        other => std::io::Error::other(other.to_string()),
    }
}

fn to_report(diagnostic: &Diagnostic, ids: &[usize]) -> Report<usize> {
    let severity = match diagnostic.severity {
        Severity::Error => ReportSeverity::Error,
        Severity::Warning => ReportSeverity::Warning,
        Severity::Info => ReportSeverity::Note,
        Severity::Hint => ReportSeverity::Help,
    };
    let label_range = |location: &Location| location.range.start..location.range.end;
    let mut labels = vec![Label::primary(
        ids[location_file(&diagnostic.location)],
        label_range(&diagnostic.location),
    )];
    labels.extend(diagnostic.related.iter().map(|related| {
        Label::secondary(
            ids[location_file(&related.location)],
            label_range(&related.location),
        )
        .with_message(related.message.clone())
    }));
    let mut notes = Vec::new();
    if let Some(fix) = &diagnostic.fix {
        notes.push(format!(
            "fix ({}): {}",
            fix.applicability.as_str(),
            fix.title
        ));
    }
    match &diagnostic.external {
        Some(external) => notes.push(format!("see {}", external.url)),
        None => notes.push(format!(
            "see `kslint explain {}` ({})",
            diagnostic.rule.code, diagnostic.rule.name
        )),
    }
    Report::new(severity)
        .with_message(diagnostic.message.clone())
        .with_code(diagnostic.code())
        .with_labels(labels)
        .with_notes(notes)
}

fn location_file(location: &Location) -> usize {
    location.file.0 as usize
}

/// The stable JSON contract: version 1, one object per diagnostic, lines and
/// columns 1-based with columns counted in characters.
pub fn json(analyses: &[Analysis]) -> std::io::Result<()> {
    let diagnostics: Vec<Value> = analyses
        .iter()
        .flat_map(|analysis| {
            analysis
                .diagnostics
                .iter()
                .map(|diagnostic| diagnostic_json(&analysis.sources, diagnostic))
        })
        .collect();
    let files: Vec<Value> = analyses
        .iter()
        .map(|analysis| {
            json!({
                "path": analysis.sources.get(analysis.main).path.display().to_string(),
                "syntax": analysis.version.name(),
                "syntax_source": analysis.version_source.to_string(),
            })
        })
        .collect();
    let document = json!({ "version": 1, "files": files, "diagnostics": diagnostics });
    let mut out = std::io::stdout().lock();
    serde_json::to_writer_pretty(&mut out, &document)?;
    writeln!(out)
}

pub fn diagnostic_json(sources: &SourceMap, diagnostic: &Diagnostic) -> Value {
    let mut value = location_json(sources, &diagnostic.location);
    let related: Vec<Value> = diagnostic
        .related
        .iter()
        .map(|related| {
            let mut value = location_json(sources, &related.location);
            value["message"] = json!(related.message);
            value
        })
        .collect();
    let fix = diagnostic.fix.as_ref().map(|fix| {
        json!({
            "title": fix.title,
            "applicability": fix.applicability.as_str(),
            "edits": fix.edits.iter().map(|edit| {
                let mut value = location_json(sources, &Location { file: edit.file, range: edit.range });
                value["replacement"] = json!(edit.replacement);
                value
            }).collect::<Vec<_>>(),
        })
    });
    let object = value
        .as_object_mut()
        .expect("location_json builds an object");
    let path = object.remove("path").unwrap_or(Value::Null);
    let start = object.remove("start").unwrap_or(Value::Null);
    let end = object.remove("end").unwrap_or(Value::Null);
    let mut value = json!({
        "path": path,
        "code": diagnostic.code(),
        "name": diagnostic.rule.name,
        "severity": diagnostic.severity.as_str(),
        "message": diagnostic.message,
        "start": start,
        "end": end,
        "related": related,
        "fix": fix,
    });
    // Only findings of another tool say whose they are and where to read up.
    if let Some(external) = &diagnostic.external {
        value["source"] = json!(external.source);
        value["url"] = json!(external.url);
    }
    value
}

fn location_json(sources: &SourceMap, location: &Location) -> Value {
    let file = sources.get(location.file);
    let point = |offset: usize| {
        let position = file.position(offset, ColumnUnit::Chars);
        json!({ "line": position.line + 1, "column": position.column + 1 })
    };
    json!({
        "path": file.path.display().to_string(),
        "start": point(location.range.start),
        "end": point(location.range.end),
    })
}
