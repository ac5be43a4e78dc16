//! Rendering analyses for people (codespan-reporting) and for tools (JSON).

use std::fmt::Write as _;
use std::io::Write;
use std::path::{Component, Path};

use codespan_reporting::diagnostic::{Diagnostic as Report, Label, Severity as ReportSeverity};
use codespan_reporting::files::SimpleFiles;
use codespan_reporting::term::{self, termcolor};
use serde_json::{json, Value};

use crate::analysis::Analysis;
use crate::diagnostic::{Diagnostic, Location, Severity};
use crate::rules::Rule;
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

/// Where `kslint` lives; SARIF's `informationUri`.
pub const HOMEPAGE: &str = "https://github.com/kslint/kslint";

/// The public page of a rule's documentation (`docs/rules/<CODE>.md`).
pub fn rule_url(code: &str) -> String {
    crate::lsp::convert::DEFAULT_DOCS_URL.replace("{code}", code)
}

/// SARIF 2.1.0 (OASIS): one run, the rules that produced results with their
/// documentation, and the results with locations, related locations and
/// fixes. Paths are URIs relative to `base` (the working directory, given
/// as `%SRCROOT%`) when they lie below it, absolute `file:` URIs otherwise.
pub fn sarif(analyses: &[Analysis], base: &Path, out: &mut impl Write) -> std::io::Result<()> {
    let document = sarif_document(analyses, base);
    serde_json::to_writer_pretty(&mut *out, &document)?;
    writeln!(out)
}

pub fn sarif_document(analyses: &[Analysis], base: &Path) -> Value {
    let mut used: Vec<&'static Rule> = analyses
        .iter()
        .flat_map(|analysis| analysis.diagnostics.iter().map(|d| d.rule))
        .collect();
    used.sort_by_key(|rule| rule.code);
    used.dedup_by_key(|rule| rule.code);
    let rules: Vec<Value> = used.iter().map(|rule| sarif_rule(rule)).collect();
    let results: Vec<Value> = analyses
        .iter()
        .flat_map(|analysis| {
            analysis.diagnostics.iter().map(|diagnostic| {
                let index = used
                    .iter()
                    .position(|rule| rule.code == diagnostic.rule.code)
                    .unwrap_or_default();
                sarif_result(&analysis.sources, diagnostic, index, base)
            })
        })
        .collect();
    let mut run = json!({
        "tool": {
            "driver": {
                "name": "kslint",
                "version": env!("CARGO_PKG_VERSION"),
                "semanticVersion": env!("CARGO_PKG_VERSION"),
                "informationUri": HOMEPAGE,
                "rules": rules,
            }
        },
        "columnKind": "unicodeCodePoints",
        "results": results,
    });
    if let Some(root) = directory_uri(base) {
        run["originalUriBaseIds"] = json!({ SRCROOT: { "uri": root } });
    }
    json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [run],
    })
}

const SRCROOT: &str = "%SRCROOT%";

fn sarif_level(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info | Severity::Hint => "note",
    }
}

fn sarif_rule(rule: &Rule) -> Value {
    let url = rule_url(rule.code);
    // The whole explanation (what, why, example, fix); it is Markdown that
    // reads well as plain text too.
    let explanation = rule.explanation.trim_end();
    json!({
        "id": rule.code,
        "name": rule.name,
        "shortDescription": { "text": rule.summary },
        "fullDescription": { "text": rule_description(rule) },
        "help": { "text": explanation, "markdown": explanation },
        "helpUri": url,
        "defaultConfiguration": { "level": sarif_level(rule.default_severity) },
        "properties": { "tags": ["kickstart", rule_category(rule.code)] },
    })
}

/// The "What it does" paragraph of a rule's explanation, on one line; the
/// summary when the explanation has none.
pub fn rule_description(rule: &Rule) -> String {
    let Some(start) = rule.explanation.find("## What it does") else {
        return rule.summary.to_string();
    };
    let body = &rule.explanation[start + "## What it does".len()..];
    let body = body.split("\n## ").next().unwrap_or_default();
    let text = body.split_whitespace().collect::<Vec<_>>().join(" ");
    if text.is_empty() {
        rule.summary.to_string()
    } else {
        text
    }
}

fn rule_category(code: &str) -> &'static str {
    match code.as_bytes().get(2) {
        Some(b'0') => "syntax",
        Some(b'1') => "commands",
        Some(b'2') => "packages",
        Some(b'3') => "scripts",
        Some(b'4') => "boot",
        _ => "other",
    }
}

fn sarif_result(sources: &SourceMap, diagnostic: &Diagnostic, index: usize, base: &Path) -> Value {
    let related: Vec<Value> = diagnostic
        .related
        .iter()
        .enumerate()
        .map(|(id, related)| {
            json!({
                "id": id,
                "physicalLocation": sarif_physical(sources, &related.location, base),
                "message": { "text": related.message },
            })
        })
        .collect();
    let mut result = json!({
        "ruleId": diagnostic.rule.code,
        "ruleIndex": index,
        "level": sarif_level(diagnostic.severity),
        "message": { "text": diagnostic.message },
        "locations": [{ "physicalLocation": sarif_physical(sources, &diagnostic.location, base) }],
    });
    if !related.is_empty() {
        result["relatedLocations"] = json!(related);
    }
    if let Some(fix) = &diagnostic.fix {
        // One artifactChange per file, edits in the order the fix lists them.
        let mut changes: Vec<(usize, Vec<Value>)> = Vec::new();
        for edit in &fix.edits {
            let file = edit.file.0 as usize;
            let replacement = json!({
                "deletedRegion": sarif_region(sources.get(edit.file), edit.range),
                "insertedContent": { "text": edit.replacement },
            });
            match changes.iter_mut().find(|(id, _)| *id == file) {
                Some((_, replacements)) => replacements.push(replacement),
                None => changes.push((file, vec![replacement])),
            }
        }
        let changes: Vec<Value> = changes
            .into_iter()
            .map(|(file, replacements)| {
                let path = &sources.get(crate::source::FileId(file as u32)).path;
                json!({
                    "artifactLocation": artifact_location(path, base),
                    "replacements": replacements,
                })
            })
            .collect();
        if !changes.is_empty() {
            result["fixes"] = json!([{
                "description": { "text": format!("{} ({})", fix.title, fix.applicability.as_str()) },
                "artifactChanges": changes,
                "properties": { "applicability": fix.applicability.as_str() },
            }]);
        }
    }
    result
}

fn sarif_physical(sources: &SourceMap, location: &Location, base: &Path) -> Value {
    let file = sources.get(location.file);
    json!({
        "artifactLocation": artifact_location(&file.path, base),
        "region": sarif_region(file, location.range),
    })
}

fn sarif_region(file: &crate::source::SourceFile, range: crate::source::TextRange) -> Value {
    let start = file.position(range.start, ColumnUnit::Chars);
    let end = file.position(range.end, ColumnUnit::Chars);
    json!({
        "startLine": start.line + 1,
        "startColumn": start.column + 1,
        "endLine": end.line + 1,
        "endColumn": end.column + 1,
    })
}

fn artifact_location(path: &Path, base: &Path) -> Value {
    match relative_to(path, base) {
        Some(relative) => json!({ "uri": encode_uri_path(&relative), "uriBaseId": SRCROOT }),
        None => match absolute(path, base) {
            Some(path) => json!({ "uri": format!("file://{}", encode_uri_path(&path)) }),
            None => json!({ "uri": encode_uri_path(&path.to_string_lossy()) }),
        },
    }
}

/// `path` as a `/`-separated path relative to `base`, when it lies below it.
pub fn relative_to(path: &Path, base: &Path) -> Option<String> {
    let absolute = if path.is_absolute() {
        path.to_path_buf()
    } else {
        base.join(path)
    };
    let mut parts: Vec<String> = Vec::new();
    for component in absolute.strip_prefix(base).ok()?.components() {
        match component {
            Component::Normal(part) => parts.push(part.to_string_lossy().into_owned()),
            Component::CurDir => {}
            Component::ParentDir => {
                parts.pop()?;
            }
            Component::RootDir | Component::Prefix(_) => return None,
        }
    }
    (!parts.is_empty()).then(|| parts.join("/"))
}

fn absolute(path: &Path, base: &Path) -> Option<String> {
    let absolute = if path.is_absolute() {
        path.to_path_buf()
    } else {
        base.join(path)
    };
    let text = absolute.to_str()?;
    text.starts_with('/').then(|| text.to_string())
}

fn directory_uri(base: &Path) -> Option<String> {
    let text = base.to_str()?;
    if !text.starts_with('/') {
        return None;
    }
    let encoded = encode_uri_path(text);
    Some(if encoded.ends_with('/') {
        format!("file://{encoded}")
    } else {
        format!("file://{encoded}/")
    })
}

/// Percent-encodes what may not stand in a URI path (RFC 3986 `pchar` plus `/`).
fn encode_uri_path(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for byte in path.bytes() {
        let keep = byte.is_ascii_alphanumeric() || b"-._~!$&'()*+,;=:@/".contains(&byte);
        if keep {
            out.push(byte as char);
        } else {
            let _ = write!(out, "%{byte:02X}");
        }
    }
    out
}

/// GitHub Actions workflow commands, one per diagnostic:
/// `::error file=…,line=…,col=…,endLine=…,endColumn=…,title=…::message`.
/// Related locations follow the message on lines of their own.
pub fn github(analyses: &[Analysis], base: &Path, out: &mut impl Write) -> std::io::Result<()> {
    for analysis in analyses {
        for diagnostic in &analysis.diagnostics {
            writeln!(
                out,
                "{}",
                github_command(&analysis.sources, diagnostic, base)
            )?;
        }
    }
    Ok(())
}

pub fn github_command(sources: &SourceMap, diagnostic: &Diagnostic, base: &Path) -> String {
    let command = match diagnostic.severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info | Severity::Hint => "notice",
    };
    let display = |location: &Location| {
        let path = &sources.get(location.file).path;
        relative_to(path, base).unwrap_or_else(|| path.display().to_string())
    };
    let file = sources.get(diagnostic.location.file);
    let start = file.position(diagnostic.location.range.start, ColumnUnit::Chars);
    let end = file.position(diagnostic.location.range.end, ColumnUnit::Chars);
    let title = format!("{} {}", diagnostic.rule.code, diagnostic.rule.name);
    let mut message = diagnostic.message.clone();
    for related in &diagnostic.related {
        let related_file = sources.get(related.location.file);
        let position = related_file.position(related.location.range.start, ColumnUnit::Chars);
        let _ = write!(
            message,
            "\n{}:{}:{}: {}",
            display(&related.location),
            position.line + 1,
            position.column + 1,
            related.message
        );
    }
    format!(
        "::{command} file={},line={},col={},endLine={},endColumn={},title={}::{}",
        escape_property(&display(&diagnostic.location)),
        start.line + 1,
        start.column + 1,
        end.line + 1,
        end.column + 1,
        escape_property(&title),
        escape_data(&message),
    )
}

/// Escapes a workflow command's message (`%`, CR, LF).
pub fn escape_data(text: &str) -> String {
    text.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Escapes a workflow command property value: the message escapes plus
/// `:` and `,`, which separate properties.
pub fn escape_property(text: &str) -> String {
    escape_data(text).replace(':', "%3A").replace(',', "%2C")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn workflow_command_escapes() {
        assert_eq!(escape_data("100% done\r\nnext"), "100%25 done%0D%0Anext");
        assert_eq!(escape_property("a:b,c%\n"), "a%3Ab%2Cc%25%0A");
        // Data keeps `:` and `,`: only properties are split on them.
        assert_eq!(escape_data("a:b,c"), "a:b,c");
    }

    #[test]
    fn paths_become_relative_uris_below_the_base() {
        let base = Path::new("/work/repo");
        assert_eq!(
            relative_to(Path::new("/work/repo/ks/ks.cfg"), base).as_deref(),
            Some("ks/ks.cfg")
        );
        assert_eq!(
            relative_to(Path::new("./ks/../ks.cfg"), base).as_deref(),
            Some("ks.cfg")
        );
        assert_eq!(relative_to(Path::new("/elsewhere/ks.cfg"), base), None);
        assert_eq!(relative_to(Path::new("../other/ks.cfg"), base), None);
        assert_eq!(
            artifact_location(Path::new("/elsewhere/my ks#1.cfg"), base),
            json!({ "uri": "file:///elsewhere/my%20ks%231.cfg" })
        );
        assert_eq!(
            artifact_location(Path::new("a b.ks"), base),
            json!({ "uri": "a%20b.ks", "uriBaseId": "%SRCROOT%" })
        );
    }
}
