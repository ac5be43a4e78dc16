//! Hover: what the thing under the cursor is, for the release being checked.

use std::fmt::Write;

use super::{command_at, docs, header_at, main_file, word_at};
use crate::analysis::Analysis;
use crate::catalog::{
    self, CommandStatus, OptionMatch, OptionSpec, SyntaxVersion, ValueKind, VersionLine,
};
use crate::rules;
use crate::source::TextRange;
use crate::syntax::model::Arg;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Hover {
    pub range: TextRange,
    pub markdown: String,
}

pub fn hover(analysis: &Analysis, offset: usize) -> Option<Hover> {
    if let Some(view) = &analysis.boot {
        return super::boot::hover(analysis, view, offset)
            .map(|(range, markdown)| Hover { range, markdown });
    }
    suppression_hover(analysis, offset)
        .or_else(|| {
            super::media::hover(analysis, offset).map(|(range, markdown)| Hover { range, markdown })
        })
        .or_else(|| command_hover(analysis, offset))
        .or_else(|| section_hover(analysis, offset))
}

fn command_hover(analysis: &Analysis, offset: usize) -> Option<Hover> {
    let command = command_at(analysis, offset)?;
    let version = analysis.version;
    if command.name.range.start <= offset && offset <= command.name.range.end {
        return Some(Hover {
            range: command.name.range,
            markdown: command_markdown(&command.name.value, version),
        });
    }
    let (_, spec) = catalog::lookup_command(version, &command.name.value)?;
    command.args.iter().find_map(|arg| match arg {
        Arg::Option(option)
            if option.name_range.start <= offset && offset <= option.name_range.end =>
        {
            let markdown = match spec.resolve_option(&option.name) {
                OptionMatch::Exact(found)
                | OptionMatch::Prefix(found, _)
                | OptionMatch::Removed(found) => {
                    option_markdown(&command.name.value, found, version)
                }
                OptionMatch::Ambiguous(candidates) => format!(
                    "`{}` is ambiguous: it could be {}",
                    option.name,
                    candidates
                        .iter()
                        .map(|(name, _)| format!("`{name}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
                OptionMatch::Unknown => format!(
                    "`{}` is not an option of `{}` in {version}",
                    option.name, command.name.value
                ),
            };
            Some(Hover {
                range: option.name_range,
                markdown,
            })
        }
        _ => None,
    })
}

fn section_hover(analysis: &Analysis, offset: usize) -> Option<Hover> {
    let section = header_at(analysis, offset)?;
    let version = analysis.version;
    let spec = catalog::lookup_section(version, &section.header.name);
    if section.header.name_range.start <= offset && offset <= section.header.name_range.end {
        let mut markdown = format!("**{}**", section.header.name);
        if let Some(text) = docs::section(&section.header.name) {
            let _ = write!(markdown, " — {text}");
        }
        if let Some(spec) = spec {
            if spec.status != CommandStatus::Active {
                let _ = write!(markdown, "\n\n*{} in {version}*", spec.status);
            }
            let options: Vec<String> = spec
                .options
                .iter()
                .filter(|option| option.is_live())
                .map(|option| format!("`{}`", option.name()))
                .collect();
            if !options.is_empty() {
                let _ = write!(markdown, "\n\nOptions in {version}: {}", options.join(", "));
            }
        }
        return Some(Hover {
            range: section.header.name_range,
            markdown,
        });
    }
    let spec = spec?;
    section.header.args.iter().find_map(|arg| match arg {
        Arg::Option(option)
            if option.name_range.start <= offset && offset <= option.name_range.end =>
        {
            match spec.resolve_option(&option.name) {
                OptionMatch::Exact(found)
                | OptionMatch::Prefix(found, _)
                | OptionMatch::Removed(found) => Some(Hover {
                    range: option.name_range,
                    markdown: option_markdown(&section.header.name, found, version),
                }),
                _ => None,
            }
        }
        _ => None,
    })
}

/// Hover over a rule code or name in a `# kslint: disable=…` comment.
fn suppression_hover(analysis: &Analysis, offset: usize) -> Option<Hover> {
    let file = main_file(analysis);
    let line = file
        .line_index
        .line_range(&file.text, file.line_index.line_of(offset));
    let line_text = file.slice(line);
    let marker = line_text.find("kslint:")?;
    if offset < line.start + marker {
        return None;
    }
    let mut range = word_at(&file.text, offset);
    // Inside `disable=KS0001,KS0002` the word may include `disable=`.
    let word = file.slice(range);
    let word = match word.rfind('=') {
        Some(at) => {
            range.start += at + 1;
            &word[at + 1..]
        }
        None => word,
    };
    let rule = rules::find(word)?;
    Some(Hover {
        range,
        markdown: rule.explanation.to_string(),
    })
}

pub(super) fn command_markdown(name: &str, version: SyntaxVersion) -> String {
    let mut markdown = format!("**{name}**");
    if let Some(text) = docs::command(name) {
        let _ = write!(markdown, " — {text}");
    }
    match catalog::lookup_command(version, name) {
        None => {
            let _ = write!(markdown, "\n\n*Not available in {version}.*");
        }
        Some((status, spec)) => {
            if status != CommandStatus::Active {
                let _ = write!(markdown, "\n\n*{status} in {version}.*");
            }
            let aliases: Vec<&str> = spec.names().filter(|alias| *alias != name).collect();
            if !aliases.is_empty() {
                let _ = write!(markdown, "\n\nSame command as: {}", aliases.join(", "));
            }
            if spec.multi_use {
                markdown.push_str("\n\nMay be given several times.");
            }
            let options: Vec<String> = spec
                .live_options()
                .map(|option| format!("`{}`", option.name()))
                .collect();
            if status == CommandStatus::Active && !options.is_empty() {
                let _ = write!(markdown, "\n\nOptions in {version}: {}", options.join(", "));
            }
        }
    }
    let _ = write!(markdown, "\n\n{}", history_line(name));
    markdown
}

/// "RHEL: active RHEL3–RHEL9, removed RHEL10–RHEL11 · Fedora: …"
fn history_line(name: &str) -> String {
    let mut parts = Vec::new();
    for (line, label) in [(VersionLine::Rhel, "RHEL"), (VersionLine::Fedora, "Fedora")] {
        let mut spans: Vec<(CommandStatus, SyntaxVersion, SyntaxVersion)> = Vec::new();
        for (version, status) in catalog::command_history(name).filter(|(v, _)| v.line() == line) {
            match spans.last_mut() {
                Some((last_status, _, end)) if *last_status == status => *end = version,
                _ => spans.push((status, version, version)),
            }
        }
        if spans.is_empty() {
            continue;
        }
        let text: Vec<String> = spans
            .iter()
            .map(|(status, start, end)| {
                if start == end {
                    format!("{status} {start}")
                } else {
                    format!("{status} {start}–{end}")
                }
            })
            .collect();
        parts.push(format!("{label}: {}", text.join(", ")));
    }
    parts.join(" · ")
}

pub(super) fn option_markdown(owner: &str, option: &OptionSpec, version: SyntaxVersion) -> String {
    let mut markdown = format!("**{owner} {}**", option.names.join(" | "));
    // Docs are kept under the command's canonical name (`part`, not `partition`).
    let canonical = catalog::lookup_command(version, owner).map_or(owner, |(_, spec)| spec.name);
    if let Some(text) = docs::option(canonical, option.names) {
        let _ = write!(markdown, " — {text}");
    }
    let takes = match &option.value {
        ValueKind::None => "a flag (no value)".to_string(),
        ValueKind::Int => "an integer".to_string(),
        ValueKind::Bool => "yes/no (on, off, true, false, 1, 0)".to_string(),
        ValueKind::CommaList => "a comma-separated list".to_string(),
        ValueKind::MountPoint => "a mount point".to_string(),
        ValueKind::String => "a value".to_string(),
        ValueKind::Choice(choices) | ValueKind::ChoiceIgnoreCase(choices) => {
            format!(
                "one of {}",
                choices
                    .iter()
                    .map(|c| format!("`{c}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        }
    };
    let _ = write!(markdown, "\n\nTakes {takes}.");
    if option.required {
        markdown.push_str(" Required.");
    }
    if option.repeatable {
        markdown.push_str(" May be repeated.");
    }
    if let Some(removed) = option.removed_in {
        let _ = write!(markdown, "\n\n*Removed in {removed}.*");
    } else if let Some(deprecated) = option.deprecated_in {
        if version >= deprecated {
            let _ = write!(markdown, "\n\n*Deprecated since {deprecated}.*");
        }
    }
    markdown
}
