//! Completion: commands and options for the release, option values, section
//! headers (with `%end`), and `%include` paths.

use std::path::Path;

use super::hover::{command_markdown, option_markdown};
use super::{command_at, docs, header_at, main_file, section_body_at};
use crate::analysis::Analysis;
use crate::catalog::{self, CommandStatus, OptionSpec};
use crate::source::TextRange;
use crate::syntax::model::{Arg, SectionKind};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CompletionKind {
    Command,
    Option,
    Value,
    Section,
    File,
    Package,
    Group,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Insert {
    Plain(String),
    /// LSP snippet syntax (`$1`, `$0`).
    Snippet(String),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Completion {
    pub label: String,
    pub kind: CompletionKind,
    pub detail: Option<String>,
    pub documentation: Option<String>,
    pub insert: Insert,
    /// The text the completion replaces (the partial word at the cursor).
    pub replace: TextRange,
    pub deprecated: bool,
}

pub fn completions(analysis: &Analysis, offset: usize) -> Vec<Completion> {
    if let Some(view) = &analysis.boot {
        return super::boot::completions(analysis, view, offset);
    }
    let file = main_file(analysis);
    // Found by fuzzing: an offset inside a multi-byte character (from a
    // client that counts otherwise) panicked here; it is moved back to
    // the character's start.
    let mut offset = offset.min(file.text.len());
    while !file.text.is_char_boundary(offset) {
        offset -= 1;
    }
    let line_start = file.line_index.line_start(file.line_index.line_of(offset));
    let before = &file.text[line_start..offset];
    let word_start = before
        .rfind(|c: char| c.is_whitespace())
        .map_or(line_start, |at| line_start + at + 1);
    let word = &file.text[word_start..offset];
    let replace = TextRange::new(word_start, offset);

    if let Some(section) = section_body_at(analysis, offset) {
        let at_line_start = before.trim_start() == word;
        if word.starts_with('%') && at_line_start {
            return vec![keyword("%end", "Closes the section", replace)];
        }
        if section.kind == SectionKind::Packages && at_line_start {
            return super::media::completions(analysis, word, replace);
        }
        return Vec::new();
    }
    let first_word = before.split_whitespace().next().unwrap_or("");
    if before.trim_start() == word {
        return first_words(analysis, word, replace);
    }
    if first_word == "%include" || first_word == "%ksappend" {
        return include_paths(analysis, word, replace);
    }
    if let Some(section) = header_at(analysis, offset) {
        let Some(spec) = catalog::lookup_section(analysis.version, &section.header.name) else {
            return Vec::new();
        };
        let used = used_options(&section.header.args);
        return option_completions(
            &section.header.name,
            spec.options,
            &used,
            word,
            replace,
            analysis,
        );
    }
    let Some(command) = command_at(analysis, offset) else {
        return Vec::new();
    };
    let Some((_, spec)) = catalog::lookup_command(analysis.version, &command.name.value) else {
        return Vec::new();
    };
    let used = used_options(&command.args);
    option_completions(
        &command.name.value,
        spec.options,
        &used,
        word,
        replace,
        analysis,
    )
}

fn keyword(label: &str, detail: &str, replace: TextRange) -> Completion {
    Completion {
        label: label.to_string(),
        kind: CompletionKind::Section,
        detail: Some(detail.to_string()),
        documentation: None,
        insert: Insert::Plain(label.to_string()),
        replace,
        deprecated: false,
    }
}

/// Commands and section headers at the start of a line.
fn first_words(analysis: &Analysis, word: &str, replace: TextRange) -> Vec<Completion> {
    let version = analysis.version;
    let mut items = Vec::new();
    for name in catalog::command_names(version) {
        let Some((status, _)) = catalog::lookup_command(version, name) else {
            continue;
        };
        if status == CommandStatus::Removed {
            continue;
        }
        items.push(Completion {
            label: name.to_string(),
            kind: CompletionKind::Command,
            detail: docs::command(name).map(str::to_string),
            documentation: Some(command_markdown(name, version)),
            insert: Insert::Plain(name.to_string()),
            replace,
            deprecated: status == CommandStatus::Deprecated,
        });
    }
    for name in catalog::section_names() {
        let deprecated = catalog::lookup_section(version, name)
            .is_some_and(|spec| spec.status != CommandStatus::Active);
        let snippet = if name == "%addon" {
            format!("{name} ${{1:com_redhat_kdump}}\n$0\n%end")
        } else {
            format!("{name}\n$0\n%end")
        };
        items.push(Completion {
            label: name.to_string(),
            kind: CompletionKind::Section,
            detail: docs::section(name).map(str::to_string),
            documentation: None,
            insert: Insert::Snippet(snippet),
            replace,
            deprecated,
        });
    }
    for (name, detail) in [
        ("%include", "Reads another kickstart file here"),
        ("%ksappend", "Appends another file before parsing"),
    ] {
        items.push(Completion {
            label: name.to_string(),
            kind: CompletionKind::Section,
            detail: Some(detail.to_string()),
            documentation: None,
            insert: Insert::Snippet(format!("{name} ${{1:/tmp/part-include}}")),
            replace,
            deprecated: false,
        });
    }
    items.retain(|item| item.label.starts_with(word));
    items
}

fn used_options(args: &[Arg]) -> Vec<String> {
    args.iter()
        .filter_map(|arg| match arg {
            Arg::Option(option) => Some(option.name.clone()),
            Arg::Word(_) => None,
        })
        .collect()
}

fn option_completions(
    owner: &str,
    options: &'static [OptionSpec],
    used: &[String],
    word: &str,
    replace: TextRange,
    analysis: &Analysis,
) -> Vec<Completion> {
    let version = analysis.version;
    if let Some((name, value)) = word.split_once('=') {
        let Some(option) = options.iter().find(|o| o.names.contains(&name)) else {
            return Vec::new();
        };
        let Some(choices) = option.value.choices() else {
            return Vec::new();
        };
        let value_start = replace.start + name.len() + 1;
        return choices
            .iter()
            .filter(|choice| choice.starts_with(value))
            .map(|choice| Completion {
                label: choice.to_string(),
                kind: CompletionKind::Value,
                detail: Some(format!("{owner} {name}")),
                documentation: None,
                insert: Insert::Plain(choice.to_string()),
                replace: TextRange::new(value_start, replace.end),
                deprecated: false,
            })
            .collect();
    }
    if !word.is_empty() && !word.starts_with('-') {
        return Vec::new();
    }
    options
        .iter()
        .filter(|option| option.is_live())
        .filter(|option| {
            option.repeatable || !option.names.iter().any(|n| used.iter().any(|u| u == n))
        })
        .filter_map(|option| {
            let name = option.name();
            if !name.starts_with(word) {
                return None;
            }
            let deprecated = option.deprecated_in.is_some_and(|since| version >= since);
            let insert = if option.takes_value() {
                match option.value.choices() {
                    Some(choices) => {
                        Insert::Snippet(format!("{name}=${{1|{}|}}", choices.join(",")))
                    }
                    None => Insert::Snippet(format!("{name}=$1")),
                }
            } else {
                Insert::Plain(name.to_string())
            };
            Some(Completion {
                label: name.to_string(),
                kind: CompletionKind::Option,
                detail: Some(
                    if option.takes_value() {
                        "takes a value"
                    } else {
                        "flag"
                    }
                    .to_string(),
                ),
                documentation: Some(option_markdown(owner, option, version)),
                insert,
                replace,
                deprecated,
            })
        })
        .collect()
}

/// Files and directories next to the kickstart, for `%include`.
fn include_paths(analysis: &Analysis, word: &str, replace: TextRange) -> Vec<Completion> {
    let file = main_file(analysis);
    let base = file.path.parent().unwrap_or(Path::new("."));
    let (dir_part, name_part) = match word.rfind('/') {
        Some(at) => (&word[..=at], &word[at + 1..]),
        None => ("", word),
    };
    if dir_part.starts_with('/') {
        return Vec::new();
    }
    let Ok(entries) = std::fs::read_dir(base.join(dir_part)) else {
        return Vec::new();
    };
    let mut items: Vec<Completion> = entries
        .flatten()
        .filter_map(|entry| {
            let name = entry.file_name().to_string_lossy().into_owned();
            if name.starts_with('.') || !name.starts_with(name_part) {
                return None;
            }
            let is_dir = entry.file_type().is_ok_and(|t| t.is_dir());
            let label = if is_dir { format!("{name}/") } else { name };
            Some(Completion {
                label: label.clone(),
                kind: CompletionKind::File,
                detail: None,
                documentation: None,
                insert: Insert::Plain(format!("{dir_part}{label}")),
                replace,
                deprecated: false,
            })
        })
        .collect();
    items.sort_by(|a, b| a.label.cmp(&b.label));
    items
}
