//! Script sections (`%pre`, `%pre-install`, `%post`, `%onerror`,
//! `%traceback`): where each one runs, what interpreter and log it asks for,
//! and, for shell bodies, the body parsed with tree-sitter-bash
//! ([`ShellScript`]) so that checks look at commands, arguments,
//! redirections and heredocs rather than at lines of text.
//!
//! Bodies run by another interpreter (`--interpreter=/usr/bin/python3`) get
//! no syntax tree; checks that need one skip them.

pub mod flat;
pub mod installer;
pub mod shell;
pub mod shellcheck;
pub mod split;
pub mod tree_cache;

use crate::source::TextRange;
use crate::syntax::model::{Arg, Document, ScriptKind, Section, SectionKind};

pub use shell::{Redirect, ShellCommand, ShellScript, SyntaxError, UnclosedHeredoc, Value};
pub use tree_cache::TreeCache;

/// The root of the installed system as the installer mounts it.
pub const SYSIMAGE: &str = "/mnt/sysimage";
/// The root of the deployed system on rpm-ostree and bootc installs.
pub const SYSROOT: &str = "/mnt/sysroot";

/// A header option's value as written, `--log=/root/x.log` or `--log /root/x.log`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HeaderValue {
    pub value: String,
    pub range: TextRange,
}

/// One script section of a kickstart file.
pub struct Script<'a> {
    pub section: &'a Section,
    pub kind: ScriptKind,
    /// The script runs chrooted into the installed system (`%post` without
    /// `--nochroot`); every other script runs in the installer's RAM disk.
    pub in_chroot: bool,
    /// `--interpreter`, when given.
    pub interpreter: Option<HeaderValue>,
    /// `--log` (or `--logfile`), when given.
    pub log: Option<HeaderValue>,
    /// The body, parsed when the interpreter is a shell.
    pub shell: Option<ShellScript<'a>>,
    /// Why a shell body was not parsed or its tree was dropped: it is too
    /// large to check in bounded time and memory (see [`MAX_SHELL_BYTES`]).
    pub too_large: Option<String>,
}

/// Shell bodies longer than this are not parsed: tree-sitter-bash keeps
/// about a hundred bytes per token, and a ten-megabyte line of words would
/// take gigabytes and minutes. Real scripts this large are embedded
/// payloads, not shell worth checking.
pub const MAX_SHELL_BYTES: usize = 1 << 20;
/// A parsed body with more syntax nodes than this is dropped as well, so
/// that the checks (which walk the tree several times) stay fast.
pub const MAX_SHELL_NODES: usize = 200_000;

impl Script<'_> {
    /// The interpreter path the installer runs (`/bin/sh` unless told).
    pub fn interpreter_path(&self) -> &str {
        self.interpreter
            .as_ref()
            .map_or("/bin/sh", |interpreter| interpreter.value.as_str())
    }

    /// The keyword and options as written, e.g. `%post --nochroot`, for messages.
    pub fn title(&self) -> String {
        let mut title = self.section.header.name.clone();
        if !self.in_chroot && self.kind == ScriptKind::Post {
            title.push_str(" --nochroot");
        }
        title
    }

    pub fn has_option(&self, name: &str) -> bool {
        self.section.header_option(name).is_some()
    }
}

/// Whether an interpreter path names a shell tree-sitter-bash can read.
pub fn is_shell(interpreter: &str) -> bool {
    matches!(shell::basename(interpreter), "sh" | "bash" | "dash" | "ash")
}

/// Every script section of `document`, in file order; `text` is the file's
/// text. Shell bodies are parsed, reusing the trees in `trees` if given.
pub fn scripts<'a>(
    text: &'a str,
    document: &'a Document,
    trees: Option<&TreeCache>,
) -> Vec<Script<'a>> {
    document
        .sections()
        .filter_map(|section| script(text, section, Some(trees)))
        .collect()
}

/// `section` as a script (`None` for other sections). The shell body is
/// parsed only when `parse_shell` is given (with the trees to reuse, if
/// any); without it, `shell` is `None` and `too_large` says nothing: enough
/// for what the header tells.
pub fn script<'a>(
    text: &'a str,
    section: &'a Section,
    parse_shell: Option<Option<&TreeCache>>,
) -> Option<Script<'a>> {
    let SectionKind::Script(kind) = section.kind else {
        return None;
    };
    let interpreter = header_value(section, &["--interpreter"]);
    let log = header_value(section, &["--log", "--logfile"]);
    let in_chroot = kind == ScriptKind::Post && section.header_option("--nochroot").is_none();
    let shell_interpreter = interpreter.as_ref().is_none_or(|i| is_shell(&i.value));
    let (shell, too_large) = match section.body_range() {
        Some(body) if shell_interpreter && !body.is_empty() => match parse_shell {
            Some(trees) => parse_body(text, body, trees),
            None => (None, None),
        },
        _ => (None, None),
    };
    Some(Script {
        section,
        kind,
        in_chroot,
        interpreter,
        log,
        shell,
        too_large,
    })
}

/// The shell tree of a body, or why there is none.
fn parse_body<'a>(
    text: &'a str,
    body: TextRange,
    trees: Option<&TreeCache>,
) -> (Option<ShellScript<'a>>, Option<String>) {
    if body.len() > MAX_SHELL_BYTES {
        let why = format!(
            "{} bytes, more than the {} kslint parses",
            body.len(),
            MAX_SHELL_BYTES
        );
        return (None, Some(why));
    }
    let shell = match trees {
        Some(trees) => ShellScript::parse_reusing(text, body, trees),
        None => ShellScript::parse(text, body),
    };
    let nodes = shell.node_count();
    if nodes > MAX_SHELL_NODES {
        let why =
            format!("{nodes} shell syntax nodes, more than the {MAX_SHELL_NODES} kslint checks");
        return (None, Some(why));
    }
    (Some(shell), None)
}

/// The value of the first of `names` among the header options, in either
/// the `--name=value` or the `--name value` form.
pub fn header_value(section: &Section, names: &[&str]) -> Option<HeaderValue> {
    let args = &section.header.args;
    args.iter().enumerate().find_map(|(at, arg)| match arg {
        Arg::Option(option) if names.contains(&option.name.as_str()) => match &option.value {
            Some(value) => Some(HeaderValue {
                value: value.value.clone(),
                range: value.range,
            }),
            None => match args.get(at + 1) {
                Some(Arg::Word(word)) => Some(HeaderValue {
                    value: word.value.clone(),
                    range: word.range,
                }),
                _ => None,
            },
        },
        _ => None,
    })
}
