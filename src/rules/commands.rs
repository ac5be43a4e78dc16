//! KS1xxx: commands, their options and section header options, checked
//! against the catalogue of the selected release the way pykickstart parses
//! them: argparse with unique-prefix abbreviations, `--opt value` and
//! `--opt=value`, then the checks each command's `parse()` adds, then the
//! checks across lines (conflicting commands, duplicates).

mod args;
mod sections;
mod semantics;

use std::collections::HashMap;

use super::{declare_rule, Context};
use crate::catalog::{
    self, lookup_command, CommandSpec, CommandStatus, OptionSpec, SyntaxVersion, VersionLine,
};
use crate::diagnostic::{fix, Applicability, Diagnostic, Tag};
use crate::source::TextRange;
use crate::syntax::model::{Arg, Command, Item};
use crate::syntax::words::unclosed_quote_in_line;

use args::{Class, Parsed, Problem, Token};

declare_rule!(
    UNKNOWN_COMMAND,
    "KS1001",
    "unknown-command",
    Error,
    "A command the selected release does not know"
);
declare_rule!(
    UNKNOWN_OPTION,
    "KS1002",
    "unknown-option",
    Error,
    "An option the command or section does not take in the selected release"
);
declare_rule!(
    ABBREVIATED_OPTION,
    "KS1003",
    "abbreviated-option",
    Hint,
    "An option written as a unique prefix of its name"
);
declare_rule!(
    AMBIGUOUS_OPTION,
    "KS1004",
    "ambiguous-option",
    Error,
    "An abbreviated option that matches several options"
);
declare_rule!(
    MISSING_OPTION_VALUE,
    "KS1005",
    "missing-option-value",
    Error,
    "An option that takes a value is given none"
);
declare_rule!(
    FLAG_WITH_VALUE,
    "KS1006",
    "flag-with-value",
    Error,
    "An option that takes no value is given one (`--grow=yes`)"
);
declare_rule!(
    INVALID_OPTION_VALUE,
    "KS1007",
    "invalid-option-value",
    Error,
    "A value of the wrong type, not among the choices, or out of range"
);
declare_rule!(
    MISSING_REQUIRED_OPTION,
    "KS1008",
    "missing-required-option",
    Error,
    "A command or section lacks an option or argument it requires"
);
declare_rule!(
    WRONG_ARGUMENT_COUNT,
    "KS1009",
    "wrong-argument-count",
    Error,
    "Too many or too few positional arguments"
);
declare_rule!(
    CONFLICTING_OPTIONS,
    "KS1010",
    "conflicting-options",
    Error,
    "Options that cannot be used together"
);
declare_rule!(
    CONFLICTING_COMMANDS,
    "KS1011",
    "conflicting-commands",
    Error,
    "Commands that cannot be used in the same kickstart (`autopart` and `part`)"
);
declare_rule!(
    DUPLICATE_COMMAND,
    "KS1012",
    "duplicate-command",
    Warning,
    "A single-use command given again; the later one silently wins"
);
declare_rule!(
    DUPLICATE_ENTRY,
    "KS1013",
    "duplicate-entry",
    Error,
    "Two entries for the same mount point, user, group, repository, network device, …"
);
declare_rule!(
    DEPRECATED_COMMAND,
    "KS1014",
    "deprecated-command",
    Warning,
    "A command deprecated in the selected release"
);
declare_rule!(
    DEPRECATED_OPTION,
    "KS1015",
    "deprecated-option",
    Warning,
    "An option deprecated in the selected release"
);
declare_rule!(
    REMOVED_COMMAND,
    "KS1016",
    "removed-command",
    Error,
    "A command removed from the selected release"
);
declare_rule!(
    REMOVED_OPTION,
    "KS1017",
    "removed-option",
    Error,
    "An option removed from the selected release"
);
declare_rule!(
    OPTION_REQUIRES_OPTION,
    "KS1018",
    "option-requires-option",
    Error,
    "An option that only works together with another one"
);
declare_rule!(
    DEPRECATED_SECTION,
    "KS1019",
    "deprecated-section",
    Warning,
    "A section deprecated in the selected release (`%traceback`)"
);

pub(super) fn check(cx: &Context, out: &mut Vec<Diagnostic>) {
    let mut state = FileState::default();
    for item in &cx.document.items {
        match item {
            Item::Command(command) => check_command(cx, command, &mut state, out),
            Item::Section(section) => sections::check_header(cx, section, out),
            Item::Include(_) | Item::StrayEnd(_) => {}
        }
    }
}

/// What earlier lines of the file established.
#[derive(Default)]
pub(super) struct FileState<'a> {
    /// Command objects seen (by pykickstart class), with the first line.
    seen: HashMap<&'static str, &'a Command>,
    /// Data entries: (kind, key) → range of the key in its line.
    entries: HashMap<(&'static str, String), TextRange>,
}

fn check_command<'a>(
    cx: &Context,
    command: &'a Command,
    state: &mut FileState<'a>,
    out: &mut Vec<Diagnostic>,
) {
    let name = command.name.value.as_str();
    if name.is_empty() || command.name.unclosed_quote.is_some() {
        return;
    }
    let Some((status, spec)) = lookup_command(cx.version, name) else {
        unknown_command(cx, command, out);
        return;
    };
    // pykickstart checks conflicts before parsing, and marks the command
    // seen even when its line then fails.
    conflicting_commands(cx, command, spec, state, out);
    if let Some(first) = state.seen.get(spec.class) {
        if !spec.multi_use {
            duplicate_command(cx, first, command, out);
        }
    } else {
        state.seen.insert(spec.class, command);
    }
    match status {
        CommandStatus::Removed => {
            removed_command(cx, command, out);
            return;
        }
        CommandStatus::Deprecated => {
            deprecated_command(cx, command, None, out);
            return;
        }
        CommandStatus::Active => {}
    }
    if has_unclosed_quote(cx, command.range, &command.args) {
        // KS0003 reports it; pykickstart cannot split the line at all.
        return;
    }
    semantics::check(cx, command, spec, state, out);
}

// ---------------------------------------------------------------------------
// Shared reporting of what argparse finds
// ---------------------------------------------------------------------------

/// Whose options are parsed: a command or a section header.
#[derive(Clone, Copy)]
pub(super) struct Owner<'a> {
    /// `part`, `%packages`.
    pub name: &'a str,
    pub name_range: TextRange,
    pub options: &'static [OptionSpec],
    pub kind: OwnerKind<'a>,
}

#[derive(Clone, Copy)]
pub(super) enum OwnerKind<'a> {
    /// The command's catalogue name (for history look-ups).
    Command(&'a str),
    Section,
}

impl Owner<'_> {
    /// Whether `option` (exact spelling) is a live option of this owner in `version`.
    fn option_live_in(&self, version: SyntaxVersion, option: &str) -> bool {
        let options = match self.kind {
            OwnerKind::Command(name) => match lookup_command(version, name) {
                Some((CommandStatus::Active, spec)) => spec.options,
                _ => return false,
            },
            OwnerKind::Section => match catalog::lookup_section(version, self.name) {
                Some(section) => section.options,
                None => return false,
            },
        };
        options
            .iter()
            .any(|o| o.is_live() && o.names.contains(&option))
    }
}

/// Reports the argparse problems, abbreviations and deprecated options of a
/// parsed line. Leftover tokens are reported by the caller, which knows
/// what the command does with them.
pub(super) fn report_parse(
    cx: &Context,
    owner: &Owner,
    tokens: &[Token],
    parsed: &Parsed,
    out: &mut Vec<Diagnostic>,
) {
    for (token, class) in tokens.iter().zip(&parsed.classes) {
        if let Class::Known {
            spec,
            full,
            abbreviated,
        } = class
        {
            if *abbreviated {
                out.push(
                    Diagnostic::new(
                        &ABBREVIATED_OPTION,
                        cx.file_id,
                        token.name_range,
                        format!(
                            "`{}` is accepted as an abbreviation of `{full}`; write the full name",
                            token.name()
                        ),
                    )
                    .with_fix(fix(
                        format!("Write `{full}`"),
                        Applicability::Safe,
                        cx.file_id,
                        token.name_range,
                        *full,
                    )),
                );
            }
            if spec.deprecated_in.is_some() {
                deprecated_option(cx, owner, token, spec, out);
            }
        }
    }
    for problem in &parsed.problems {
        let diagnostic = match problem {
            Problem::Ambiguous { token, candidates } => Diagnostic::new(
                &AMBIGUOUS_OPTION,
                cx.file_id,
                token.name_range,
                format!(
                    "`{}` is ambiguous for `{}`: it could be {}",
                    token.name(),
                    owner.name,
                    list_or(candidates.iter().copied())
                ),
            ),
            Problem::MissingValue { token, spec } => {
                let at_end =
                    token.range.end >= tokens.last().map_or(token.range.end, |last| last.range.end);
                Diagnostic::new(
                    &MISSING_OPTION_VALUE,
                    cx.file_id,
                    token.name_range,
                    format!(
                        "`{}` needs a value{}",
                        spec.name(),
                        if at_end && token.explicit.is_none() {
                            ", but the line ends here"
                        } else {
                            ", but the next word is an option"
                        }
                    ),
                )
            }
            Problem::FlagWithValue { token, spec } => {
                let value = token.explicit.as_ref().map_or("", |v| v.text.as_str());
                let removal = TextRange::new(token.name_range.end, token.range.end);
                let truthy = ["yes", "true", "on", "1"]
                    .iter()
                    .any(|t| t.eq_ignore_ascii_case(value));
                let mut diagnostic = Diagnostic::new(
                    &FLAG_WITH_VALUE,
                    cx.file_id,
                    removal,
                    format!(
                        "`{}` is a flag and takes no value; pykickstart rejects `={value}`",
                        spec.name()
                    ),
                );
                diagnostic = if truthy {
                    diagnostic.with_fix(fix(
                        format!("Remove `={value}`"),
                        Applicability::Safe,
                        cx.file_id,
                        removal,
                        "",
                    ))
                } else {
                    diagnostic.with_fix(fix(
                        format!("Remove `{}={value}`", token.name()),
                        Applicability::Unsafe,
                        cx.file_id,
                        with_leading_space(cx, token.range),
                        "",
                    ))
                };
                diagnostic
            }
            Problem::InvalidValue { spec, value, .. } => Diagnostic::new(
                &INVALID_OPTION_VALUE,
                cx.file_id,
                nonempty(value.range, cx),
                invalid_value_message(spec, &value.text),
            ),
            Problem::InvalidPositional { spec, value } => {
                let mut message = format!(
                    "{} is not a valid {} for `{}`",
                    shown(&value.text),
                    spec.metavar,
                    owner.name
                );
                if let Some(choices) = spec.value.choices() {
                    message.push_str(&format!("; choose {}", list_or(choices.iter().copied())));
                }
                Diagnostic::new(&INVALID_OPTION_VALUE, cx.file_id, value.range, message)
            }
            Problem::MissingOption(spec) => Diagnostic::new(
                &MISSING_REQUIRED_OPTION,
                cx.file_id,
                owner.name_range,
                format!("`{}` requires `{}`", owner.name, spec.name()),
            ),
            Problem::MissingPositional(spec) => Diagnostic::new(
                &WRONG_ARGUMENT_COUNT,
                cx.file_id,
                owner.name_range,
                format!("`{}` needs its {} argument", owner.name, spec.metavar),
            ),
        };
        out.push(diagnostic);
    }
}

fn invalid_value_message(spec: &OptionSpec, value: &str) -> String {
    use crate::catalog::ValueKind;
    match spec.value {
        ValueKind::Int => format!(
            "`{}` takes a whole number{}, not {}",
            spec.name(),
            if spec.name().contains("size") {
                " of MiB"
            } else {
                ""
            },
            shown(value)
        ),
        ValueKind::Bool => format!(
            "`{}` takes yes/no, on/off, true/false or 1/0, not {}",
            spec.name(),
            shown(value)
        ),
        ValueKind::Choice(choices) | ValueKind::ChoiceIgnoreCase(choices) => {
            let mut message = format!(
                "{} is not a valid value for `{}`; choose {}",
                shown(value),
                spec.name(),
                list_or(choices.iter().copied())
            );
            if let Some(close) = catalog::suggest(value, choices.iter().copied()) {
                message.push_str(&format!(" (did you mean `{close}`?)"));
            }
            message
        }
        _ => format!(
            "{} is not a valid value for `{}`",
            shown(value),
            spec.name()
        ),
    }
}

/// A value quoted for a message; an empty one is named as such.
fn shown(value: &str) -> String {
    if value.is_empty() {
        "an empty value".to_string()
    } else {
        format!("`{value}`")
    }
}

/// Reports one leftover token that pykickstart rejects: an unknown or
/// removed option, or a surplus word.
pub(super) fn report_extra(
    cx: &Context,
    owner: &Owner,
    token: &Token,
    class: &Class,
    out: &mut Vec<Diagnostic>,
) {
    match class {
        Class::Removed => removed_option(cx, owner, token, out),
        Class::Unknown => unknown_option(cx, owner, token, out),
        // A lone backslash at the end of the line: KS0010 explains it.
        _ if cx.file.slice(token.range) == "\\" => {}
        _ => out.push(Diagnostic::new(
            &WRONG_ARGUMENT_COUNT,
            cx.file_id,
            token.range,
            format!("unexpected argument `{}` to `{}`", token.text, owner.name),
        )),
    }
}

fn unknown_option(cx: &Context, owner: &Owner, token: &Token, out: &mut Vec<Diagnostic>) {
    let name = token.name();
    let mut message = format!("`{}` does not take `{name}` in {}", owner.name, cx.version);
    let mut suggestion = None;
    if let Some(elsewhere) = availability(cx.version, |v| owner.option_live_in(v, name)) {
        message.push_str(&format!("; it is accepted in {elsewhere}"));
    } else if let Some(other) = other_section_with(cx, owner, name) {
        message.push_str(&format!("; only `{other}` takes it"));
    } else if let Some(close) = catalog::suggest(
        name,
        owner
            .options
            .iter()
            .filter(|o| o.is_live())
            .flat_map(|o| o.names.iter().copied()),
    ) {
        message.push_str(&format!("; did you mean `{close}`?"));
        suggestion = Some(close);
    }
    let mut diagnostic = Diagnostic::new(&UNKNOWN_OPTION, cx.file_id, token.name_range, message);
    if let Some(close) = suggestion {
        diagnostic = diagnostic.with_fix(fix(
            format!("Change to `{close}`"),
            Applicability::Unsafe,
            cx.file_id,
            token.name_range,
            close,
        ));
    }
    out.push(diagnostic);
}

/// For a script section header: another script section that takes `name`
/// (`--nochroot` is only for `%post`).
fn other_section_with(cx: &Context, owner: &Owner, name: &str) -> Option<&'static str> {
    if !matches!(owner.kind, OwnerKind::Section) {
        return None;
    }
    catalog::section_names().find(|section| {
        *section != owner.name
            && catalog::lookup_section(cx.version, section).is_some_and(|spec| {
                spec.options
                    .iter()
                    .any(|o| o.is_live() && o.names.contains(&name))
            })
    })
}

fn removed_option(cx: &Context, owner: &Owner, token: &Token, out: &mut Vec<Diagnostic>) {
    let name = token.name();
    let line = cx.version.line();
    let last = SyntaxVersion::all()
        .filter(|v| v.line() == line && *v < cx.version)
        .rfind(|v| owner.option_live_in(*v, name));
    let removed_in = last.and_then(|last| {
        SyntaxVersion::all()
            .filter(|v| v.line() == line && *v > last)
            .find(|v| !owner.option_live_in(*v, name))
    });
    let mut message = match (removed_in, last) {
        (Some(removed), Some(last)) => format!(
            "`{name}` was removed from `{}` in {removed}; {last} was the last release to accept it",
            owner.name
        ),
        _ => format!(
            "`{}` no longer takes `{name}` in {}",
            owner.name, cx.version
        ),
    };
    if let Some(replacement) = option_replacement(owner.name, name) {
        message.push_str(&format!("; {replacement}"));
    }
    out.push(
        Diagnostic::new(&REMOVED_OPTION, cx.file_id, token.name_range, message).with_fix(fix(
            format!("Remove `{}`", token.text),
            Applicability::Unsafe,
            cx.file_id,
            with_leading_space(cx, token.range),
            "",
        )),
    );
}

fn deprecated_option(
    cx: &Context,
    owner: &Owner,
    token: &Token,
    spec: &OptionSpec,
    out: &mut Vec<Diagnostic>,
) {
    let written = spec.name();
    let mut message = format!(
        "`{written}` of `{}` is deprecated in {}",
        owner.name, cx.version
    );
    let removed = SyntaxVersion::all()
        .filter(|v| v.line() == cx.version.line() && *v > cx.version)
        .find(|v| !owner.option_live_in(*v, written));
    if let Some(removed) = removed {
        message.push_str(&format!(" and gone in {removed}"));
    }
    deprecation_tail(cx, owner, token, written, message, out);
}

/// Finishes a deprecated-option warning: what replaces it, and a fix when
/// the replacement is a plain rename that this release accepts.
pub(super) fn deprecation_tail(
    cx: &Context,
    owner: &Owner,
    token: &Token,
    option: &str,
    mut message: String,
    out: &mut Vec<Diagnostic>,
) {
    let replacement = option_replacement(owner.name, option);
    match replacement {
        Some(text) => message.push_str(&format!("; {text}")),
        None => message.push_str("; it has no effect, remove it"),
    }
    let mut diagnostic = Diagnostic::new(&DEPRECATED_OPTION, cx.file_id, token.name_range, message)
        .with_tag(Tag::Deprecated);
    if let Some(alias) = option_alias(owner.name, option) {
        if owner.option_live_in(cx.version, alias) {
            diagnostic = diagnostic.with_fix(fix(
                format!("Write `{alias}`"),
                Applicability::Safe,
                cx.file_id,
                token.name_range,
                alias,
            ));
        }
    } else if replacement.is_none() {
        diagnostic = diagnostic.with_fix(fix(
            format!("Remove `{}`", token.text),
            Applicability::Safe,
            cx.file_id,
            with_leading_space(cx, token.range),
            "",
        ));
    }
    out.push(diagnostic);
}

/// What to use instead of a deprecated or removed option.
fn option_replacement(owner: &str, option: &str) -> Option<&'static str> {
    Some(match (owner, option) {
        ("timezone", "--isUtc") => "use `--utc`",
        ("timezone", "--ntpservers") => {
            "use one `timesource --ntp-server=HOST` line per server instead"
        }
        ("timezone", "--nontp") => "use `timesource --ntp-disable` instead",
        ("%packages", "--instLangs") => "use `--inst-langs`",
        ("%packages", "--excludeWeakdeps") => "use `--exclude-weakdeps`",
        ("%packages", "--nobase") => "remove it; the base group is no longer added anyway",
        ("logging", "--level") => "remove it; the installer ignores it",
        _ => return None,
    })
}

/// The new spelling when a deprecated option was only renamed.
fn option_alias(owner: &str, option: &str) -> Option<&'static str> {
    Some(match (owner, option) {
        ("timezone", "--isUtc") => "--utc",
        ("%packages", "--instLangs") => "--inst-langs",
        ("%packages", "--excludeWeakdeps") => "--exclude-weakdeps",
        _ => return None,
    })
}

// ---------------------------------------------------------------------------
// Commands
// ---------------------------------------------------------------------------

fn unknown_command(cx: &Context, command: &Command, out: &mut Vec<Diagnostic>) {
    let name = command.name.value.as_str();
    let range = command.name.range;
    let elsewhere = availability(cx.version, |v| {
        matches!(
            lookup_command(v, name),
            Some((CommandStatus::Active | CommandStatus::Deprecated, _))
        )
    });
    if let Some(elsewhere) = elsewhere {
        let mut message = format!(
            "`{name}` is not available in {}; it exists in {elsewhere}",
            cx.version
        );
        if let Some(instead) = command_replacement(name, cx.version) {
            message.push_str(&format!("; {instead}"));
        }
        out.push(Diagnostic::new(
            &UNKNOWN_COMMAND,
            cx.file_id,
            range,
            message,
        ));
        return;
    }
    if follows_backslash_line(cx, range.start) {
        let message = format!(
            "unknown command `{name}`: the line before ends with `\\`, but kickstart has no line continuation, so this line is read as a command of its own"
        );
        out.push(Diagnostic::new(
            &UNKNOWN_COMMAND,
            cx.file_id,
            range,
            message,
        ));
        return;
    }
    let suggestion = catalog::suggest(name, catalog::command_names(cx.version));
    let mut message = format!("unknown command `{name}`");
    if let Some(close) = suggestion {
        message.push_str(&format!("; did you mean `{close}`?"));
    }
    let mut diagnostic = Diagnostic::new(&UNKNOWN_COMMAND, cx.file_id, range, message);
    if let Some(close) = suggestion {
        diagnostic = diagnostic.with_fix(fix(
            format!("Change to `{close}`"),
            Applicability::Unsafe,
            cx.file_id,
            range,
            close,
        ));
    }
    out.push(diagnostic);
}

fn removed_command(cx: &Context, command: &Command, out: &mut Vec<Diagnostic>) {
    let name = command.name.value.as_str();
    let line = cx.version.line();
    let removed_in = catalog::first_version_with(name, line, CommandStatus::Removed)
        .filter(|v| *v <= cx.version)
        .unwrap_or(cx.version);
    let last = catalog::command_history(name)
        .filter(|(v, status)| {
            v.line() == line && *v < removed_in && *status != CommandStatus::Removed
        })
        .last();
    let mut message = match last {
        Some((last, status)) => format!(
            "`{name}` was removed in {removed_in}; {last} was the last release to accept it{}",
            if status == CommandStatus::Deprecated {
                " (already deprecated there)"
            } else {
                ""
            }
        ),
        None => format!("`{name}` was removed in {removed_in}"),
    };
    if let Some(instead) = command_replacement(name, cx.version) {
        message.push_str(&format!("; {instead}"));
    }
    out.push(
        Diagnostic::new(&REMOVED_COMMAND, cx.file_id, command.name.range, message).with_fix(fix(
            format!("Remove the `{name}` line"),
            Applicability::Unsafe,
            cx.file_id,
            whole_line(cx, command.range),
            "",
        )),
    );
}

/// `note` replaces the default "has no effect" wording for commands that
/// still work but warn (`auth` on RHEL 8/9).
pub(super) fn deprecated_command(
    cx: &Context,
    command: &Command,
    note: Option<&str>,
    out: &mut Vec<Diagnostic>,
) {
    let name = command.name.value.as_str();
    let line = cx.version.line();
    let removed_in =
        catalog::first_version_with(name, line, CommandStatus::Removed).filter(|v| *v > cx.version);
    let mut message = format!("`{name}` is deprecated in {}", cx.version);
    match note {
        Some(note) => message.push_str(&format!("; {note}")),
        None => message.push_str(" and has no effect"),
    }
    if let Some(removed) = removed_in {
        message.push_str(&format!("; it is removed in {removed}"));
    }
    if let Some(instead) = command_replacement(name, cx.version) {
        message.push_str(&format!("; {instead}"));
    }
    let mut diagnostic =
        Diagnostic::new(&DEPRECATED_COMMAND, cx.file_id, command.name.range, message)
            .with_tag(Tag::Deprecated);
    if note.is_none() {
        diagnostic = diagnostic.with_fix(fix(
            format!("Remove the `{name}` line"),
            Applicability::Safe,
            cx.file_id,
            whole_line(cx, command.range),
            "",
        ));
    }
    out.push(diagnostic);
}

/// What to write instead of a command that is deprecated, removed or absent.
fn command_replacement(name: &str, version: SyntaxVersion) -> Option<&'static str> {
    let has = |other: &str| {
        matches!(
            lookup_command(version, other),
            Some((CommandStatus::Active, _))
        )
    };
    Some(match name {
        "auth" | "authconfig" if has("authselect") => {
            "use `authselect` (e.g. `authselect select sssd with-mkhomedir`)"
        }
        "authselect" if has("auth") => "use `auth` / `authconfig` on this release",
        "install" | "method" => {
            "the installation source command (`cdrom`, `url`, `nfs`, `harddrive`, `liveimg`) alone selects an install"
        }
        "vnc" if has("rdp") => "use `rdp` for remote access to the installer",
        "module" => "enable module streams in `%packages` with `@module:stream/profile`",
        "btrfs" => "use `part`, `logvol` or `raid` with another file system",
        "upgrade" => "upgrade the system with its own tools (dnf system-upgrade, leapp)",
        "timesource" if has("timezone") => "use `timezone --ntpservers=` on this release",
        "sshkey" if has("sshpw") => "use `%post` to install the key on this release",
        "key" => "remove it; RHEL 7 and later need no installation number",
        "unsupported_hardware" => "remove it; the installer no longer asks",
        "dmraid" | "multipath" => "remove it; the installer detects these devices itself",
        _ => return None,
    })
}

fn conflicting_commands<'a>(
    cx: &Context,
    command: &'a Command,
    spec: &CommandSpec,
    state: &FileState<'a>,
    out: &mut Vec<Diagnostic>,
) {
    for other in spec.conflicts {
        let Some((_, other_spec)) = lookup_command(cx.version, other) else {
            continue;
        };
        let Some(first) = state.seen.get(other_spec.class) else {
            continue;
        };
        let first_name = &first.name.value;
        out.push(
            Diagnostic::new(
                &CONFLICTING_COMMANDS,
                cx.file_id,
                command.name.range,
                format!(
                    "`{}` and `{first_name}` cannot be used in the same kickstart",
                    command.name.value
                ),
            )
            .with_related(
                cx.file_id,
                first.name.range,
                format!("`{first_name}` is given here"),
            ),
        );
        return;
    }
}

fn duplicate_command(cx: &Context, first: &Command, command: &Command, out: &mut Vec<Diagnostic>) {
    let name = &command.name.value;
    let first_name = &first.name.value;
    let message = if first_name == name {
        format!("`{name}` is given again; only this last one takes effect")
    } else {
        format!("`{name}` replaces the earlier `{first_name}`; only the last one takes effect")
    };
    out.push(
        Diagnostic::new(&DUPLICATE_COMMAND, cx.file_id, command.name.range, message).with_related(
            cx.file_id,
            first.name.range,
            "first defined here",
        ),
    );
}

/// Records a data entry and reports it when an equal one came before.
pub(super) fn data_entry(
    cx: &Context,
    state: &mut FileState,
    kind: &'static str,
    key: String,
    range: TextRange,
    message: impl FnOnce() -> String,
    out: &mut Vec<Diagnostic>,
) {
    match state.entries.get(&(kind, key.clone())) {
        Some(first) => out.push(
            Diagnostic::new(&DUPLICATE_ENTRY, cx.file_id, range, message()).with_related(
                cx.file_id,
                *first,
                "first defined here",
            ),
        ),
        None => {
            state.entries.insert((kind, key), range);
        }
    }
}

// ---------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------

/// Whether the line starting at `range` has a quote that is never closed
/// (the grammar then drops the rest of the line from the arguments).
pub(super) fn has_unclosed_quote(cx: &Context, range: TextRange, args: &[Arg]) -> bool {
    let in_args = args.iter().any(|arg| match arg {
        Arg::Word(word) => word.unclosed_quote.is_some(),
        Arg::Option(option) => option
            .value
            .as_ref()
            .is_some_and(|value| value.unclosed_quote.is_some()),
    });
    let index = &cx.file.line_index;
    let line = index.line_range(cx.text(), index.line_of(range.start));
    in_args || unclosed_quote_in_line(cx.file.slice(line)).is_some()
}

/// Whether the line before `offset` ends with a backslash (which
/// kickstart does not treat as a continuation).
fn follows_backslash_line(cx: &Context, offset: usize) -> bool {
    let index = &cx.file.line_index;
    let line = index.line_of(offset);
    line > 0 && {
        let previous = index.line_range(cx.text(), line - 1);
        cx.file.slice(previous).trim_end().ends_with('\\')
    }
}

/// The releases in which `available` holds, as ranges per line with the
/// line of `version` first: "RHEL8–RHEL11, F28–F34".
fn availability(
    version: SyntaxVersion,
    available: impl Fn(SyntaxVersion) -> bool,
) -> Option<String> {
    let mut lines = [VersionLine::Rhel, VersionLine::Fedora];
    if version.line() == VersionLine::Fedora {
        lines.reverse();
    }
    let mut runs: Vec<String> = Vec::new();
    for line in lines {
        let mut run: Option<(SyntaxVersion, SyntaxVersion)> = None;
        for v in SyntaxVersion::all().filter(|v| v.line() == line) {
            if available(v) {
                run = Some(run.map_or((v, v), |(first, _)| (first, v)));
            } else if let Some(done) = run.take() {
                runs.push(format_run(done));
            }
        }
        if let Some(done) = run {
            runs.push(format_run(done));
        }
    }
    (!runs.is_empty()).then(|| runs.join(", "))
}

fn format_run((first, last): (SyntaxVersion, SyntaxVersion)) -> String {
    if first == last {
        first.to_string()
    } else {
        format!("{first}–{last}")
    }
}

/// "`a`, `b` or `c`".
pub(super) fn list_or<'s>(items: impl IntoIterator<Item = &'s str>) -> String {
    let items: Vec<String> = items.into_iter().map(|i| format!("`{i}`")).collect();
    match items.len() {
        0 => String::new(),
        1 => items[0].clone(),
        n => format!("{} or {}", items[..n - 1].join(", "), items[n - 1]),
    }
}

/// An empty value range (`--size=`) widened to the `=` so it can be seen.
fn nonempty(range: TextRange, _cx: &Context) -> TextRange {
    if range.is_empty() && range.start > 0 {
        TextRange::new(range.start - 1, range.start)
    } else {
        range
    }
}

/// `range` plus the blanks before it, for removing one word from a line.
fn with_leading_space(cx: &Context, range: TextRange) -> TextRange {
    let text = cx.text();
    let before = &text[..range.start];
    let start = before.trim_end_matches([' ', '\t']).len();
    TextRange::new(start, range.end)
}

/// The whole line of `range`, including its newline.
fn whole_line(cx: &Context, range: TextRange) -> TextRange {
    let text = cx.text();
    let start = text[..range.start].rfind('\n').map_or(0, |at| at + 1);
    let end = text[range.end..]
        .find('\n')
        .map_or(text.len(), |at| range.end + at + 1);
    TextRange::new(start, end)
}
