//! KS3xxx: what `%pre` and `%post` scripts do, read from their shell syntax
//! tree ([`crate::scripts`]). A chrooted `%post` runs inside the installed
//! system, every other script in the installer's RAM disk, and most of these
//! rules are about a script looking in the wrong one of the two.

use std::cell::OnceCell;
use std::collections::HashSet;
use std::ops::Range;
use std::path::Path;
use std::sync::Arc;

use tree_sitter::Node;

use super::{declare_rule, Context};
use crate::analysis::media_root;
use crate::catalog;
use crate::diagnostic::{fix, Applicability, Diagnostic, Severity};
use crate::memo::{remember, KeyHasher, Memo, Relocation};
use crate::scripts::flat::{Field, Flat, Kind};
use crate::scripts::installer::{self, Availability, Installer, Place};
use crate::scripts::shell::{basename, path_is_under};
use crate::scripts::{
    self, Redirect, Script, ShellCommand, ShellScript, UnclosedHeredoc, Value, SYSIMAGE, SYSROOT,
};
use crate::source::{FileId, TextRange};
use crate::syntax::model::{Arg, ScriptKind, Section, SectionKind};

declare_rule!(
    SHELL_SYNTAX_ERROR,
    "KS3001",
    "shell-syntax-error",
    Error,
    "A shell script section does not parse as shell"
);
declare_rule!(
    INTERPRETER_MISSING,
    "KS3002",
    "interpreter-missing",
    Error,
    "`--interpreter` names a program that does not exist where the script runs"
);
declare_rule!(
    SERVICE_START_IN_CHROOT,
    "KS3003",
    "service-start-in-chroot",
    Error,
    "A chrooted `%post` starts, stops or queries a service"
);
declare_rule!(
    DAEMON_LEFT_RUNNING,
    "KS3004",
    "daemon-left-running",
    Error,
    "A background process keeps the script's output open and hangs the installer"
);
declare_rule!(
    INTERACTIVE_COMMAND,
    "KS3005",
    "interactive-command",
    Warning,
    "A script waits for input from the console"
);
declare_rule!(
    REBOOT_IN_SCRIPT,
    "KS3006",
    "reboot-in-script",
    Warning,
    "A script reboots or powers off the machine"
);
declare_rule!(
    MEDIA_IN_CHROOT,
    "KS3007",
    "media-in-chroot",
    Error,
    "A chrooted `%post` reads the install media, which it cannot see"
);
declare_rule!(
    MEDIA_PATH_FOR_RELEASE,
    "KS3008",
    "media-path-for-release",
    Error,
    "An install media mount point that the target release's installer does not have"
);
declare_rule!(
    MEDIA_PATH_TYPO,
    "KS3009",
    "media-path-typo",
    Error,
    "A path with stray text glued in front of an installer mount point"
);
declare_rule!(
    MEDIA_FILE_MISSING,
    "KS3010",
    "media-file-missing",
    Error,
    "A script reads a file from the install media that the media does not have"
);
declare_rule!(
    SYSIMAGE_IN_CHROOT,
    "KS3011",
    "sysimage-in-chroot",
    Error,
    "A chrooted `%post` uses `/mnt/sysimage`, which does not exist inside the chroot"
);
declare_rule!(
    NOCHROOT_WRITES_INSTALLER,
    "KS3012",
    "nochroot-writes-installer",
    Error,
    "A `%post --nochroot` script writes to the installer's RAM disk instead of the installed system"
);
declare_rule!(
    SYSIMAGE_ON_OSTREE,
    "KS3013",
    "sysimage-on-ostree",
    Warning,
    "An rpm-ostree or bootc install uses `/mnt/sysimage` where the system is `/mnt/sysroot`"
);
declare_rule!(
    LOG_PATH_NAMESPACE,
    "KS3014",
    "log-path-namespace",
    Warning,
    "A script log path is read in the wrong root for the kind of script"
);
declare_rule!(
    LOG_NOT_KEPT,
    "KS3015",
    "log-not-kept",
    Info,
    "A script logs to the installer's RAM disk, which is gone after the reboot"
);
declare_rule!(
    SCRIPT_WITHOUT_LOG,
    "KS3016",
    "script-without-log",
    Info,
    "A `%post` script's output is not kept on a release that does not save it"
);
declare_rule!(
    NETWORK_ON_OFFLINE_MEDIA,
    "KS3017",
    "network-on-offline-media",
    Warning,
    "A script downloads while the kickstart installs from local media with no network"
);
declare_rule!(
    CRITICAL_WITHOUT_ERRORONFAIL,
    "KS3018",
    "critical-without-erroronfail",
    Info,
    "A `%post` that installs software has no `--erroronfail`, so its failures go unnoticed"
);
declare_rule!(
    PRE_OUTPUT_NOT_INCLUDED,
    "KS3019",
    "pre-output-not-included",
    Hint,
    "`%pre` writes kickstart commands to a file that no `%include` reads"
);
declare_rule!(
    SHELLCHECK,
    "KS3020",
    "shellcheck",
    Info,
    "shellcheck found a problem in a shell script section (optional pass)"
);
declare_rule!(
    SCRIPT_TOO_LARGE,
    "KS3021",
    "script-too-large",
    Info,
    "A shell script section too large for kslint to check"
);
declare_rule!(
    HEREDOC_NEVER_CLOSED,
    "KS3022",
    "heredoc-never-closed",
    Error,
    "No line closes a heredoc: bash reads the rest of the script into it"
);

/// Paths kickstart scripts use to reach the installed system.
const TARGET_ROOTS: &[&str] = &[SYSIMAGE, SYSROOT];

/// Programs whose arguments are text, not files they open.
const DATA_COMMANDS: &[&str] = &["echo", "printf", "logger", ":", "true", "false", "wall"];

/// Programs whose first operand is a pattern or a program text.
const PATTERN_COMMANDS: &[&str] = &["grep", "egrep", "fgrep", "sed", "awk", "gawk"];

/// Top-level directories of an installed system: a `--nochroot` script
/// that writes below one of them without `/mnt/sysimage` changes the
/// installer's copy instead.
const SYSTEM_DIRS: &[&str] = &[
    "/etc", "/root", "/home", "/usr", "/opt", "/boot", "/srv", "/bin", "/sbin", "/lib", "/lib64",
    "/var",
];

/// Directories below [`SYSTEM_DIRS`] that are scratch space in the installer too.
const INSTALLER_SCRATCH: &[&str] = &["/var/tmp", "/var/run", "/var/lock"];

pub(super) fn check(cx: &Context, out: &mut Vec<Diagnostic>) {
    let sections: Vec<&Section> = cx
        .document
        .sections()
        .filter(|section| matches!(section.kind, SectionKind::Script(_)))
        .collect();
    if sections.is_empty() {
        return;
    }
    let memo = cx.options.memo.as_deref();
    let trees = memo.map(Memo::trees);
    // Scripts are parsed and walked only when the memo does not have what
    // is asked of them: after an edit, that is the edited one.
    let parsed: Vec<OnceCell<Script>> = sections.iter().map(|_| OnceCell::new()).collect();
    let views: Vec<OnceCell<View>> = sections.iter().map(|_| OnceCell::new()).collect();
    let view = |i: usize| {
        views[i].get_or_init(|| {
            View::new(parsed[i].get_or_init(|| {
                scripts::script(cx.text(), sections[i], Some(trees)).expect("a script section")
            }))
        })
    };
    let keys: Vec<KeyHasher> = sections.iter().map(|s| script_key(cx, s)).collect();
    let spans = |i: usize| vec![(cx.file_id, sections[i].range)];
    let summaries: Vec<Summary> = (0..sections.len())
        .map(|i| {
            let key = keys[i].clone().add("summary").finish();
            remember(
                memo,
                key,
                spans(i),
                |r, s: &Summary| s.relocated(r),
                || Summary::of(cx, view(i)),
            )
        })
        .collect();
    let facts = Facts::new(cx, summaries.iter().any(|s| s.live_media));
    for (i, section) in sections.iter().enumerate() {
        let key = keys[i].clone().add(facts.fingerprint(cx)).finish();
        // KS3017 points at the `cdrom` line: it moves like the script does.
        let mut spans = spans(i);
        spans.extend(facts.offline_source.map(|range| (cx.file_id, range)));
        let found = remember(
            memo,
            key,
            spans,
            |r, f: &Findings| f.relocated(r),
            || Findings::of(cx, &facts, view(i)),
        );
        let header = scripts::script(cx.text(), section, None).expect("a script section");
        interpreter_missing(cx, &header, out);
        out.extend(found.before_log_check);
        log_not_kept(cx, &summaries[i], &summaries[i + 1..], out);
        out.extend(found.after_log_check);
    }
    pre_output_not_included(cx, &summaries, out);
    for summary in &summaries {
        script_too_large(cx, summary, out);
    }
    drop(views);
    let shells = parsed
        .into_iter()
        .filter_map(|script| script.into_inner()?.shell);
    shells.for_each(ShellScript::free);
}

/// What a script's results depend on besides its own text: where it is
/// (file), the release, and the media tree its paths are looked up in.
fn script_key(cx: &Context, section: &Section) -> KeyHasher {
    let mut key = KeyHasher::new("script");
    key.add(cx.file_id)
        .add(&cx.file.path)
        .add(cx.version)
        .add(media_root(cx.options))
        .add(cx.text().get(section.range.start..section.range.end));
    key
}

/// The findings about one script that depend only on it and on [`Facts`],
/// split around KS3015 (which looks at the later scripts) to keep the order
/// they are reported in.
#[derive(Clone)]
struct Findings {
    before_log_check: Vec<Diagnostic>,
    after_log_check: Vec<Diagnostic>,
}

impl Findings {
    fn of(cx: &Context, facts: &Facts, view: &View) -> Self {
        let mut before_log_check = Vec::new();
        log_path_namespace(cx, view, &mut before_log_check);
        let mut out = Vec::new();
        script_without_log(cx, view, &mut out);
        let Some(shell) = &view.script.shell else {
            return Findings {
                before_log_check,
                after_log_check: out,
            };
        };
        shell_syntax_errors(cx, shell, &mut out);
        if let Some(unclosed) = shell.unclosed_heredoc() {
            heredoc_never_closed(cx, &unclosed, &mut out);
        }
        critical_without_erroronfail(cx, view, &mut out);
        for command in &view.commands {
            service_start_in_chroot(cx, view, command, &mut out);
            interactive_command(cx, view, command, &mut out);
            reboot_in_script(cx, view, command, &mut out);
            network_on_offline_media(cx, facts, view, command, &mut out);
        }
        daemon_left_running(cx, view, &mut out);
        console_input(cx, view, &mut out);
        let probes_media = view.uses.iter().any(|u| {
            u.is_probe() && installer::media_mount(&u.value.text, u.value.complete).is_some()
        });
        for path in &view.uses {
            media_in_chroot(cx, view, path, &mut out);
            if !probes_media {
                media_path_for_release(cx, facts, view, path, &mut out);
            }
            media_path_typo(cx, view, path, &mut out);
            media_file_missing(cx, facts, view, path, &mut out);
            sysimage_in_chroot(cx, view, path, &mut out);
            nochroot_writes_installer(cx, facts, view, path, &mut out);
            sysimage_on_ostree(cx, facts, view, path, &mut out);
        }
        shell.drop_findings_in_misread_heredocs(&mut out);
        Findings {
            before_log_check,
            after_log_check: out,
        }
    }

    fn relocated(&self, relocation: &Relocation) -> Self {
        Findings {
            before_log_check: relocation.diagnostics(&self.before_log_check),
            after_log_check: relocation.diagnostics(&self.after_log_check),
        }
    }
}

/// What the checks that look across scripts (KS3015, KS3019) and [`Facts`]
/// need of one script, kept so that an unchanged script is not walked again.
#[derive(Clone)]
struct Summary {
    file: FileId,
    kind: ScriptKind,
    in_chroot: bool,
    /// The script uses livecd-creator's `$LIVE_ROOT` or `$INSTALL_ROOT`.
    live_media: bool,
    /// Logs this script leaves in the installer's RAM disk unless a later
    /// script copies them (KS3015): where each is named, and its path.
    logs: Vec<(TextRange, String)>,
    /// The operands of commands (what a later script may copy). Shared:
    /// every edit takes each unchanged script's summary from the memo, and
    /// copying thousands of words per script cost about 0.6 ms an edit.
    arguments: Arc<[Value]>,
    /// Words that read a path (not writes, data or assignments).
    reads: Arc<[Value]>,
    /// Files under /tmp a `%pre` writes kickstart commands to (KS3019).
    kickstart_outputs: Vec<(TextRange, String)>,
    /// The header's keyword and why the body is not checked (KS3021).
    too_large: Option<(TextRange, String)>,
}

impl Summary {
    fn of(cx: &Context, view: &View) -> Self {
        let script = view.script;
        let values_of = |keep: &dyn Fn(&PathUse) -> bool| -> Vec<Value> {
            view.uses
                .iter()
                .filter(|u| keep(u))
                .map(|u| u.value.clone())
                .collect()
        };
        Summary {
            file: cx.file_id,
            kind: script.kind,
            in_chroot: script.in_chroot,
            live_media: view.live_media,
            logs: kept_logs(view),
            arguments: values_of(&|u| u.kind == UseKind::Argument).into(),
            reads: values_of(&|u| {
                !u.is_write() && u.kind != UseKind::Data && u.kind != UseKind::Assignment
            })
            .into(),
            kickstart_outputs: kickstart_outputs(cx, view),
            too_large: script
                .too_large
                .as_ref()
                .map(|why| (script.section.header.name_range, why.clone())),
        }
    }

    fn relocated(&self, relocation: &Relocation) -> Self {
        let place = |pairs: &[(TextRange, String)]| -> Vec<(TextRange, String)> {
            pairs
                .iter()
                .map(|(range, text)| (relocation.range(self.file, *range), text.clone()))
                .collect()
        };
        Summary {
            file: self.file,
            kind: self.kind,
            in_chroot: self.in_chroot,
            live_media: self.live_media,
            logs: place(&self.logs),
            arguments: self.arguments.clone(),
            reads: self.reads.clone(),
            kickstart_outputs: place(&self.kickstart_outputs),
            too_large: self
                .too_large
                .as_ref()
                .map(|(range, why)| (relocation.range(self.file, *range), why.clone())),
        }
    }
}

// ---------------------------------------------------------------------------
// KS3021
// ---------------------------------------------------------------------------

fn script_too_large(cx: &Context, summary: &Summary, out: &mut Vec<Diagnostic>) {
    let Some((range, why)) = &summary.too_large else {
        return;
    };
    out.push(Diagnostic::new(
        &SCRIPT_TOO_LARGE,
        cx.file_id,
        *range,
        format!("this script is not checked as shell: its body is too large ({why})"),
    ));
}

/// What the rest of the kickstart says that scripts depend on.
struct Facts {
    installer: Installer,
    /// `ostreesetup`, `ostreecontainer` or `bootc`.
    ostree: bool,
    /// The `cdrom`/`harddrive` command when nothing activates a network.
    offline_source: Option<TextRange>,
    /// The kickstart builds live media with livecd-creator or
    /// livemedia-creator (its scripts use `$LIVE_ROOT`/`$INSTALL_ROOT`):
    /// there `--nochroot` scripts work on the build host on purpose.
    live_media: bool,
}

impl Facts {
    fn new(cx: &Context, live_media: bool) -> Self {
        let mut ostree = false;
        let mut source = None;
        let mut network = false;
        for command in cx.document.commands() {
            match command.name.value.as_str() {
                "ostreesetup" | "ostreecontainer" | "bootc" => ostree = true,
                "cdrom" | "harddrive" => source = Some(command.range),
                "url" | "nfs" | "liveimg" => network = true,
                "network"
                    if command.args.iter().any(
                        |arg| matches!(arg, Arg::Option(option) if option.name == "--activate"),
                    ) =>
                {
                    network = true;
                }
                _ => {}
            }
        }
        Facts {
            installer: Installer::of(cx.version),
            ostree,
            offline_source: source.filter(|_| !network),
            live_media,
        }
    }

    /// Everything here. The `cdrom` line counts by its text: where it is
    /// goes with the memo's spans.
    fn fingerprint<'t>(&self, cx: &'t Context) -> impl std::hash::Hash + 't {
        (
            self.installer.boot_media_path(),
            self.ostree,
            self.offline_source
                .map(|range| cx.text().get(range.start..range.end)),
            self.live_media,
        )
    }
}

/// How a word is used.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum UseKind {
    /// The program a command runs, when given as a path.
    Program,
    /// An operand of a command.
    Argument,
    /// An operand the command writes to (`cp … DEST`, `tee FILE`, `sed -i`).
    Written,
    /// A redirection target; `write` when the file is opened for writing.
    Redirect { write: bool },
    /// Text a command prints or matches (`echo`, `grep PATTERN`).
    Data,
    /// A `test`/`[ ]` operand or a `case` subject.
    Test,
    /// An item of a `for … in` list.
    LoopItem,
    /// The value of `NAME=value`.
    Assignment,
}

/// A word of a script with its static value.
struct PathUse<'t> {
    node: Node<'t>,
    range: TextRange,
    value: Value,
    kind: UseKind,
    /// The index of the command among [`View::commands`], for operands.
    command: Option<usize>,
    /// The word names a file of the installed system: the script is
    /// chrooted, or the command runs under `chroot /mnt/sysimage`.
    in_target: bool,
}

impl PathUse<'_> {
    fn is_probe(&self) -> bool {
        matches!(self.kind, UseKind::Test | UseKind::LoopItem)
    }

    /// A file the script opens, runs or lists (not text, tests or assignments).
    fn is_access(&self) -> bool {
        matches!(
            self.kind,
            UseKind::Program
                | UseKind::Argument
                | UseKind::Written
                | UseKind::Redirect { .. }
                | UseKind::LoopItem
        )
    }

    fn is_write(&self) -> bool {
        matches!(
            self.kind,
            UseKind::Written | UseKind::Redirect { write: true }
        )
    }
}

/// A script with its commands and the words that may be paths, gathered in
/// one pass over its syntax tree.
struct View<'s> {
    script: &'s Script<'s>,
    /// The script's syntax tree as one array (empty without a shell body):
    /// parents by index, where `Node::parent` walks down from the root.
    flat: Flat<'s>,
    commands: Vec<ShellCommand<'s>>,
    uses: Vec<PathUse<'s>>,
    /// Every redirection (`file_redirect`, `herestring_redirect`).
    redirects: Vec<Redirect<'s>>,
    /// Statements run in the background (`job &`).
    jobs: Vec<Node<'s>>,
    /// Where the last `wait`, `kill`, `pkill` or `killall` starts.
    last_waiter: Option<usize>,
    /// The script uses livecd-creator's `$LIVE_ROOT` or `$INSTALL_ROOT`.
    live_media: bool,
    /// Byte offset from which a top-level `exec` has sent standard output
    /// (and standard error) elsewhere.
    exec_stdout: Option<(usize, TextRange, Value)>,
    exec_stderr: Option<usize>,
}

impl<'s> View<'s> {
    fn new(script: &'s Script<'s>) -> Self {
        let flat = script
            .shell
            .as_ref()
            .map(ShellScript::flat)
            .unwrap_or_default();
        let mut gathered = match &script.shell {
            Some(shell) => gather_in_parts(script, shell, &flat),
            None => Gathered::default(),
        };
        let uses = gathered.sorted_uses();
        let last_waiter = gathered
            .commands
            .iter()
            .filter(|c| matches!(c.name.as_str(), "wait" | "kill" | "pkill" | "killall"))
            .map(|c| c.node.start_byte())
            .max();
        View {
            script,
            flat,
            commands: gathered.commands,
            uses,
            redirects: gathered.redirects,
            jobs: gathered.jobs,
            last_waiter,
            live_media: gathered.live_media,
            exec_stdout: gathered.exec_stdout,
            exec_stderr: gathered.exec_stderr,
        }
    }

    /// The parent of `node`, from the flat tree.
    fn parent<'n>(&self, node: Node<'n>) -> Option<Node<'n>>
    where
        's: 'n,
    {
        match self.flat.index_of(node) {
            Some(index) => self.flat.parent(index).map(|p| self.flat.get(p).node),
            None => node.parent(),
        }
    }

    fn shell(&self) -> &ShellScript<'s> {
        self.script
            .shell
            .as_ref()
            .expect("views with commands have a shell")
    }

    fn command_range(&self, command: &ShellCommand) -> TextRange {
        let start = command
            .name_node
            .map_or(command.node.start_byte(), |n| n.start_byte());
        let end = command
            .args
            .last()
            .or(command.name_node.as_ref())
            .map_or(command.node.end_byte(), |n| n.end_byte());
        TextRange::new(start, end)
    }

    fn command_text(&self, command: &ShellCommand) -> String {
        let text = self.shell().text_of_range(self.command_range(command));
        shorten(text)
    }
}

impl<'t> PathUse<'t> {
    fn new(
        shell: &ShellScript,
        node: Node<'t>,
        kind: UseKind,
        command: Option<usize>,
        in_target: bool,
    ) -> Self {
        Self::with_value(node, shell.value(node), kind, command, in_target)
    }

    /// [`new`](Self::new) with the node's value already known.
    fn with_value(
        node: Node<'t>,
        value: Value,
        kind: UseKind,
        command: Option<usize>,
        in_target: bool,
    ) -> Self {
        PathUse {
            node,
            range: node_range(node),
            value,
            kind,
            command,
            in_target,
        }
    }
}

/// Scripts with at least this many syntax nodes have their [`View`]
/// gathered in two parts in parallel: gathering takes some 60 ns a node,
/// so the half of this many that the second part takes saves far more
/// than handing it to rayon's pool costs.
const PARALLEL_VIEW_NODES: usize = 8 * 1024;

/// What [`View`] gathers from the nodes of a run of whole top-level
/// statements. Command indices are among the run's own commands.
#[derive(Default)]
struct Gathered<'s> {
    commands: Vec<ShellCommand<'s>>,
    /// Loop items, test operands and assigned values, in node order.
    node_uses: Vec<PathUse<'s>>,
    /// Redirection targets, in the order of their redirections.
    redirect_uses: Vec<PathUse<'s>>,
    /// Programs, operands and `chroot` roots, in command order.
    command_uses: Vec<PathUse<'s>>,
    redirects: Vec<Redirect<'s>>,
    jobs: Vec<Node<'s>>,
    live_media: bool,
    exec_stdout: Option<(usize, TextRange, Value)>,
    exec_stderr: Option<usize>,
}

impl<'s> Gathered<'s> {
    /// Adds what the run of statements after this one holds, as if one
    /// walk had gathered both.
    fn append(&mut self, next: Gathered<'s>) {
        let offset = self.commands.len();
        let renumbered = |mut path: PathUse<'s>| {
            path.command = path.command.map(|index| index + offset);
            path
        };
        self.node_uses.extend(next.node_uses);
        let redirect_uses = next.redirect_uses.into_iter().map(renumbered);
        self.redirect_uses.extend(redirect_uses);
        self.command_uses
            .extend(next.command_uses.into_iter().map(renumbered));
        self.commands.extend(next.commands);
        self.redirects.extend(next.redirects);
        self.jobs.extend(next.jobs);
        self.live_media |= next.live_media;
        self.exec_stdout = self.exec_stdout.take().or(next.exec_stdout);
        self.exec_stderr = self.exec_stderr.or(next.exec_stderr);
    }

    /// All uses by where they start; where two start at the same byte, in
    /// the order a walk finds them: node uses, then redirections, then
    /// commands.
    fn sorted_uses(&mut self) -> Vec<PathUse<'s>> {
        let mut uses = std::mem::take(&mut self.node_uses);
        uses.append(&mut self.redirect_uses);
        uses.append(&mut self.command_uses);
        uses.sort_by_key(|u| u.range.start);
        uses
    }
}

/// Gathers what [`View`] holds from the nodes of `flat`; for a large
/// script in two parts in parallel, cut between top-level statements
/// so that every command, redirection and use is whole in its part.
fn gather_in_parts<'s>(
    script: &'s Script<'s>,
    shell: &'s ShellScript<'s>,
    flat: &Flat<'s>,
) -> Gathered<'s> {
    let nodes = flat.entries().len();
    let middle = (nodes >= crate::syntax::pieces_limit(PARALLEL_VIEW_NODES))
        .then(|| flat.children(0).find(|&child| child >= nodes / 2))
        .flatten();
    match middle {
        Some(middle) => gather_cut(script, shell, flat, middle),
        None => gather(script, shell, flat, 0..nodes),
    }
}

/// [`gather_in_parts`] cut at the top-level node `middle` of `flat`.
fn gather_cut<'s>(
    script: &'s Script<'s>,
    shell: &'s ShellScript<'s>,
    flat: &Flat<'s>,
    middle: usize,
) -> Gathered<'s> {
    let nodes = flat.entries().len();
    let (mut gathered, second) = rayon::join(
        || gather(script, shell, flat, 0..middle),
        || gather(script, shell, flat, middle..nodes),
    );
    gathered.append(second);
    gathered
}

/// Gathers commands, redirections, jobs and uses from the nodes `nodes` of
/// `flat`, whole top-level statements (or all of them).
fn gather<'s>(
    script: &'s Script<'s>,
    shell: &'s ShellScript<'s>,
    flat: &Flat<'s>,
    nodes: Range<usize>,
) -> Gathered<'s> {
    let mut found = Gathered::default();
    // (flat index of a redirection, of the command node it applies to)
    let mut redirects: Vec<(usize, Option<usize>)> = Vec::new();
    // The flat index of each command, in order.
    let mut command_at: Vec<usize> = Vec::new();
    for index in nodes {
        let entry = flat.get(index);
        if matches!(entry.kind, Kind::Command | Kind::RedirectedStatement) {
            let target = if entry.kind == Kind::Command {
                command_at.push(index);
                found.commands.push(shell.command_at(flat, index));
                Some(index)
            } else {
                flat.field_children(index, Field::Body)
                    .next()
                    .filter(|&body| flat.get(body).kind == Kind::Command)
            };
            for child in flat.children(index) {
                if matches!(
                    flat.get(child).kind,
                    Kind::FileRedirect | Kind::HerestringRedirect
                ) {
                    redirects.push((child, target));
                }
            }
        }
        if entry.kind.is_statement_list() {
            gather_jobs(flat, index, &mut found.jobs);
        }
        gather_node_uses(script, shell, flat, index, &mut found);
    }
    gather_redirects(script, shell, flat, &redirects, &command_at, &mut found);
    gather_command_uses(script, shell, flat, &command_at, &mut found);
    found
}

/// The statements among the children of the statement list at `index`
/// that run in the background (`job &`).
fn gather_jobs<'s>(flat: &Flat<'s>, index: usize, jobs: &mut Vec<Node<'s>>) {
    let mut previous = None;
    for child in flat.children(index) {
        match flat.get(child).kind {
            Kind::Ampersand => jobs.extend(previous),
            Kind::Comment => continue,
            _ => {}
        }
        previous = Some(flat.get(child).node);
    }
}

/// The uses the node at `index` makes as a loop, test or assignment, and
/// whether it names livecd-creator's variables.
fn gather_node_uses<'s>(
    script: &'s Script<'s>,
    shell: &'s ShellScript<'s>,
    flat: &Flat<'s>,
    index: usize,
    found: &mut Gathered<'s>,
) {
    let entry = flat.get(index);
    let node = entry.node;
    let mut uses = |words: &mut dyn Iterator<Item = Node<'s>>, kind: UseKind| {
        for word in words {
            let path_use = PathUse::new(shell, word, kind, None, script.in_chroot);
            found.node_uses.push(path_use);
        }
    };
    let values = flat
        .field_children(index, Field::Value)
        .map(|value| flat.get(value).node);
    match entry.kind {
        Kind::ForStatement => uses(&mut { values }, UseKind::LoopItem),
        Kind::TestCommand => uses(&mut word_nodes(node).into_iter(), UseKind::Test),
        Kind::VariableAssignment => uses(&mut values.take(1), UseKind::Assignment),
        Kind::VariableName => {
            if matches!(shell.text_of(node), "LIVE_ROOT" | "INSTALL_ROOT") {
                found.live_media = true;
            }
        }
        _ => {}
    }
}

/// The redirections found (flat index, and that of the command they
/// apply to), with the files they name as uses.
fn gather_redirects<'s>(
    script: &'s Script<'s>,
    shell: &'s ShellScript<'s>,
    flat: &Flat<'s>,
    redirects: &[(usize, Option<usize>)],
    command_at: &[usize],
    found: &mut Gathered<'s>,
) {
    for &(redirect_at, target) in redirects {
        let redirect = shell.redirect_at(flat, redirect_at);
        found.redirects.push(redirect);
        let Some(file) = redirect.target.filter(|t| t.kind() != "number") else {
            continue;
        };
        let command = target.and_then(|at| command_at.binary_search(&at).ok());
        let kind = UseKind::Redirect {
            write: redirect.writes_file(),
        };
        found
            .redirect_uses
            .push(PathUse::new(shell, file, kind, command, script.in_chroot));
    }
}

/// The uses of the commands found (their flat indices in `command_at`),
/// and where a top-level `exec` sends the output of the rest.
fn gather_command_uses<'s>(
    script: &'s Script<'s>,
    shell: &'s ShellScript<'s>,
    flat: &Flat<'s>,
    command_at: &[usize],
    found: &mut Gathered<'s>,
) {
    let uses = &mut found.command_uses;
    for (index, command) in found.commands.iter().enumerate() {
        let in_target = script.in_chroot || chroots_into_target(shell, command);
        let values = arg_values(shell, command);
        let written = written_operands(command, &values);
        let data = data_operands(command, &values);
        let test = matches!(command.name.as_str(), "test" | "[" | "[[");
        if let Some(name) = command.name_node {
            if shell.text_of(name).contains('/') {
                let kind = UseKind::Program;
                uses.push(PathUse::new(shell, name, kind, Some(index), in_target));
            }
        }
        for (at, (&arg, value)) in command.args.iter().zip(values).enumerate() {
            let kind = if test || shell.is_probe(arg) {
                UseKind::Test
            } else if data[at] {
                UseKind::Data
            } else if written[at] {
                UseKind::Written
            } else {
                UseKind::Argument
            };
            uses.push(PathUse::with_value(
                arg,
                value,
                kind,
                Some(index),
                in_target,
            ));
        }
        if let Some(root) = command.chroot {
            let kind = UseKind::Argument;
            uses.push(PathUse::new(
                shell,
                root,
                kind,
                Some(index),
                script.in_chroot,
            ));
        }
        // A bare `exec` with redirections changes where the rest of the
        // script's output goes: the script's own log.
        if command.name == "exec"
            && command.args.is_empty()
            && is_top_level(flat, command_at[index])
        {
            let parent = flat.parent(command_at[index]).map(|p| flat.get(p).node);
            for redirect in shell.redirects_within(command.node, parent) {
                if redirect.covers_stdout() && found.exec_stdout.is_none() {
                    if let Some(target) = redirect.target {
                        found.exec_stdout = Some((
                            command.node.start_byte(),
                            node_range(target),
                            shell.value(target),
                        ));
                    }
                }
                if redirect.covers_stderr() && found.exec_stderr.is_none() {
                    found.exec_stderr = Some(command.node.start_byte());
                }
            }
        }
    }
}

fn node_range(node: Node) -> TextRange {
    TextRange::new(node.start_byte(), node.end_byte())
}

/// The word-like nodes inside `node` that are not part of a larger word.
fn word_nodes(node: Node) -> Vec<Node> {
    const WORDS: &[&str] = &[
        "word",
        "string",
        "raw_string",
        "concatenation",
        "simple_expansion",
        "expansion",
    ];
    let mut found = Vec::new();
    let mut stack = vec![node];
    while let Some(node) = stack.pop() {
        if WORDS.contains(&node.kind()) && node.kind() != "test_command" {
            found.push(node);
            continue;
        }
        let mut cursor = node.walk();
        let children: Vec<Node> = node.named_children(&mut cursor).collect();
        stack.extend(children.into_iter().rev());
    }
    found
}

/// Whether the node at `index` is a statement of the script itself, not
/// of a block, loop or function (a redirection around it aside).
fn is_top_level(flat: &Flat, index: usize) -> bool {
    let mut current = flat.parent(index);
    while let Some(parent) = current {
        match flat.get(parent).kind {
            Kind::Program => return true,
            Kind::RedirectedStatement => current = flat.parent(parent),
            _ => return false,
        }
    }
    false
}

/// Whether the command runs under `chroot` into the installed system.
fn chroots_into_target(shell: &ShellScript, command: &ShellCommand) -> bool {
    command
        .chroot
        .is_some_and(|root| TARGET_ROOTS.iter().any(|t| shell.value(root).is_under(t)))
}

/// Non-option operands of a command, in order, skipping the values of
/// options listed in `with_value`.
fn operands<'t>(
    shell: &ShellScript,
    command: &ShellCommand<'t>,
    with_value: &[&str],
) -> Vec<Node<'t>> {
    let values = arg_values(shell, command);
    operand_indices(&values, with_value)
        .into_iter()
        .map(|at| command.args[at])
        .collect()
}

/// The static values of a command's arguments, in order.
fn arg_values(shell: &ShellScript, command: &ShellCommand) -> Vec<Value> {
    command.args.iter().map(|&arg| shell.value(arg)).collect()
}

/// [`operands`] as indices into the arguments, whose values are `values`.
fn operand_indices(values: &[Value], with_value: &[&str]) -> Vec<usize> {
    let mut found = Vec::new();
    let mut args = values.iter().enumerate();
    let mut options_done = false;
    while let Some((at, value)) = args.next() {
        let text = value.text.as_str();
        if !options_done && text == "--" {
            options_done = true;
        } else if !options_done && text.starts_with('-') && text.len() > 1 {
            if with_value.contains(&text) {
                args.next();
            }
        } else {
            found.push(at);
        }
    }
    found
}

/// The arguments (by index) that follow an option of `names` (`-o FILE`)
/// or carry it (`--output=FILE`).
fn option_values(values: &[Value], names: &[&str]) -> Vec<usize> {
    let mut found = Vec::new();
    for (at, value) in values.iter().enumerate() {
        let text = value.text.as_str();
        for name in names {
            if text == *name {
                if at + 1 < values.len() {
                    found.push(at + 1);
                }
            } else if text
                .strip_prefix(name)
                .is_some_and(|rest| rest.starts_with('='))
            {
                found.push(at);
            }
        }
    }
    found
}

/// The last operand, when there are at least two (`cp SOURCE… TARGET`).
fn last_of_several(operands: Vec<usize>) -> Vec<usize> {
    if operands.len() >= 2 {
        operands.last().copied().into_iter().collect()
    } else {
        Vec::new()
    }
}

/// Which arguments of a command (whose values are `values`) it writes to.
fn written_operands(command: &ShellCommand, values: &[Value]) -> Vec<bool> {
    let has = |names: &[&str]| values.iter().any(|v| names.contains(&v.text.as_str()));
    let indices: Vec<usize> = match command.name.as_str() {
        "cp" | "mv" | "rsync" | "scp" | "ln" => {
            let targets = option_values(values, &["-t", "--target-directory"]);
            if targets.is_empty() {
                last_of_several(operand_indices(values, &["-e", "-S", "--suffix"]))
            } else {
                targets
            }
        }
        "install" => {
            let ops = operand_indices(
                values,
                &["-m", "-o", "-g", "-S", "--mode", "--owner", "--group"],
            );
            if has(&["-d", "--directory"]) {
                ops
            } else {
                let targets = option_values(values, &["-t", "--target-directory"]);
                if targets.is_empty() {
                    last_of_several(ops)
                } else {
                    targets
                }
            }
        }
        "mkdir" | "touch" | "rm" | "rmdir" | "tee" | "truncate" | "unlink" => {
            operand_indices(values, &["-m", "--mode", "-s", "--size", "-d", "-r"])
        }
        "chmod" | "chown" | "chgrp" | "setfacl" | "chcon" => {
            operand_indices(values, &[]).into_iter().skip(1).collect()
        }
        "sed" => {
            let in_place = values.iter().any(|v| {
                let t = v.text.as_str();
                t.starts_with("-i")
                    || t.starts_with("--in-place")
                    || (t.starts_with('-') && !t.starts_with("--") && t.contains('i'))
            });
            if in_place {
                let has_script_option = has(&["-e", "-f", "--expression", "--file"]);
                operand_indices(values, &["-e", "-f", "--expression", "--file"])
                    .into_iter()
                    .skip(usize::from(!has_script_option))
                    .collect()
            } else {
                Vec::new()
            }
        }
        "curl" => option_values(values, &["-o", "--output"]),
        "wget" => option_values(
            values,
            &["-O", "--output-document", "-P", "--directory-prefix"],
        ),
        "unzip" => option_values(values, &["-d"]),
        "tar" => option_values(values, &["-C", "--directory"]),
        "dd" => (0..values.len())
            .filter(|&at| values[at].text.starts_with("of="))
            .collect(),
        _ => Vec::new(),
    };
    marks(values.len(), indices)
}

/// Which arguments of a command (whose values are `values`) are text
/// rather than files.
fn data_operands(command: &ShellCommand, values: &[Value]) -> Vec<bool> {
    let name = command.name.as_str();
    if DATA_COMMANDS.contains(&name) {
        return vec![true; values.len()];
    }
    let mut indices = Vec::new();
    if PATTERN_COMMANDS.contains(&name) {
        let explicit = values.iter().any(|v| {
            matches!(
                v.text.as_str(),
                "-e" | "-f" | "--regexp" | "--expression" | "--file"
            )
        });
        if !explicit {
            let ops = operand_indices(values, &["-m", "-A", "-B", "-C", "-F", "-v"]);
            indices.extend(ops.first());
        }
    }
    marks(values.len(), indices)
}

/// `len` flags, set at `indices`.
fn marks(len: usize, indices: Vec<usize>) -> Vec<bool> {
    let mut marked = vec![false; len];
    for at in indices {
        marked[at] = true;
    }
    marked
}

fn shorten(text: &str) -> String {
    let first_line = text
        .lines()
        .next()
        .unwrap_or("")
        .trim_end_matches('\\')
        .trim_end();
    if first_line.chars().count() > 60 {
        let cut: String = first_line.chars().take(57).collect();
        format!("{cut}…")
    } else {
        first_line.to_string()
    }
}

// ---------------------------------------------------------------------------
// KS3001
// ---------------------------------------------------------------------------

/// Errors in heredoc text, also after a heredoc no line closes (KS3022's),
/// are not reported: [`ShellScript::errors`] drops them.
fn shell_syntax_errors(cx: &Context, shell: &ShellScript, out: &mut Vec<Diagnostic>) {
    let index = &cx.file.line_index;
    let text = cx.text();
    let mut lines = HashSet::new();
    for error in shell.errors() {
        let (range, message) = match (error.missing, error.opener) {
            (Some(token), Some(opener)) => (
                opener,
                format!(
                    "`{}` is never closed: bash expects `{token}` and stops with a syntax error",
                    cx.file.slice(opener)
                ),
            ),
            (Some(token), None) => (
                error.range,
                format!("shell syntax error: bash expects `{token}` here"),
            ),
            (None, _) => {
                // From the start of the word the parser choked on to the end
                // of its line.
                let line = index.line_of(error.range.start);
                let line_range = index.line_range(text, line);
                let before = &text[line_range.start..error.range.start];
                let start = error.range.start
                    - (before.len() - before.trim_end_matches(|c: char| !c.is_whitespace()).len());
                let end = error.range.end.min(line_range.end).max(error.range.start);
                let range = TextRange::new(start, end);
                let shown = cx.file.slice(range).trim();
                (
                    range,
                    if shown.is_empty() {
                        "shell syntax error here".to_string()
                    } else {
                        format!("shell syntax error at `{}`", shorten(shown))
                    },
                )
            }
        };
        if !lines.insert(index.line_of(range.start)) {
            continue;
        }
        out.push(Diagnostic::new(
            &SHELL_SYNTAX_ERROR,
            cx.file_id,
            range,
            format!("{message}; the script stops at this point"),
        ));
    }
}

// ---------------------------------------------------------------------------
// KS3022
// ---------------------------------------------------------------------------

fn heredoc_never_closed(cx: &Context, heredoc: &UnclosedHeredoc, out: &mut Vec<Diagnostic>) {
    let operator = cx.file.slice(heredoc.operator);
    let delimiter = &heredoc.delimiter;
    let message = match cx.file.slice(heredoc.rest).lines().count() {
        0 => format!(
            "`{operator}` is never closed: the script ends on its line with no `{delimiter}` \
             line, so the heredoc is empty (bash only warns)"
        ),
        1 => format!(
            "`{operator}` is never closed: the line after it is not exactly `{delimiter}`, so \
             bash reads it into the heredoc, up to the end of the script (it only warns)"
        ),
        lines => format!(
            "`{operator}` is never closed: no line after it is exactly `{delimiter}`, so bash \
             reads the rest of the script ({lines} lines) into the heredoc and runs none of it \
             as commands (it only warns)"
        ),
    };
    let mut diagnostic =
        Diagnostic::new(&HEREDOC_NEVER_CLOSED, cx.file_id, heredoc.operator, message);
    if let Some(near_miss) = heredoc.near_miss {
        let written = cx.file.slice(near_miss.range);
        let why = if near_miss.misspelt {
            "bash compares the line with the word letter for letter, case included"
        } else if heredoc.strip_tabs {
            "`<<-` strips leading tabs, not spaces, and nothing after the word"
        } else {
            "blanks before or after the word count"
        };
        diagnostic = diagnostic.with_related(
            cx.file_id,
            near_miss.range,
            // No line numbers in messages: the language server moves a
            // script's findings with the script without rewriting them.
            format!(
                "`{}` is not the delimiter `{delimiter}`: {why}",
                written.escape_debug()
            ),
        );
        let tabs = if heredoc.strip_tabs {
            &written[..written.len() - written.trim_start_matches('\t').len()]
        } else {
            ""
        };
        diagnostic = diagnostic.with_fix(fix(
            format!(
                "Make `{}` the delimiter `{delimiter}`",
                written.escape_debug()
            ),
            Applicability::Unsafe,
            cx.file_id,
            near_miss.range,
            format!("{tabs}{delimiter}"),
        ));
    }
    out.push(diagnostic);
}

// ---------------------------------------------------------------------------
// KS3002
// ---------------------------------------------------------------------------

fn interpreter_missing(cx: &Context, script: &Script, out: &mut Vec<Diagnostic>) {
    let Some(interpreter) = &script.interpreter else {
        return;
    };
    let (place, where_) = if script.in_chroot {
        (Place::Target, "in the installed system")
    } else {
        (Place::Installer, "in the installer environment")
    };
    let message = match installer::interpreter(&interpreter.value, cx.version, place) {
        Availability::Present | Availability::Unknown => return,
        Availability::Missing(reason) => format!(
            "`{}` does not exist {where_} of {}, where this `{}` runs: {reason}",
            interpreter.value,
            cx.version,
            script.title()
        ),
        Availability::WithPackage { accepts, packages } => {
            // Read from the document on every run (not a fact kept with the
            // memo): the names a `%packages` edit changes.
            let mut lists = cx
                .document
                .sections()
                .filter(|section| section.kind == crate::syntax::model::SectionKind::Packages)
                .peekable();
            // Without `%packages` here the file is a fragment: nothing to say.
            if lists.peek().is_none()
                || lists.any(|list| list.packages().iter().any(|p| accepts(&p.name)))
            {
                return;
            }
            format!(
                "`{}` does not exist {where_} of {} unless `%packages` installs {packages}",
                interpreter.value, cx.version
            )
        }
    };
    out.push(Diagnostic::new(
        &INTERPRETER_MISSING,
        cx.file_id,
        interpreter.range,
        format!("{message}; the script fails before its first line"),
    ));
}

// ---------------------------------------------------------------------------
// KS3003
// ---------------------------------------------------------------------------

/// `systemctl` verbs that need a running systemd.
const RUNTIME_VERBS: &[&str] = &[
    "start",
    "restart",
    "reload",
    "try-restart",
    "reload-or-restart",
    "try-reload-or-restart",
    "condrestart",
    "force-reload",
    "stop",
    "kill",
    "isolate",
    "status",
    "is-active",
    "is-failed",
];

/// Programs that talk to a daemon and fail when it is not running.
const DAEMON_CLIENTS: &[&str] = &[
    "mysql",
    "mysqladmin",
    "mysql_secure_installation",
    "mariadb",
    "mariadb-admin",
    "psql",
    "createdb",
    "createuser",
    "redis-cli",
    "mongo",
    "mongosh",
    "ldapadd",
    "ldapmodify",
    "rabbitmqctl",
    "firewall-cmd",
    "nmcli",
    "docker",
    "podman",
];

fn service_start_in_chroot(
    cx: &Context,
    view: &View,
    command: &ShellCommand,
    out: &mut Vec<Diagnostic>,
) {
    let shell = view.shell();
    if !(view.script.in_chroot || chroots_into_target(shell, command)) {
        return;
    }
    let value = |node: Node| shell.value(node).text;
    let systemd = installer::has_usr_merge(cx.version);
    let mut severity = None;
    let (verb_node, unit, replacement) = match command.name.as_str() {
        "systemctl" => {
            let ops = operands(
                shell,
                command,
                &[
                    "-t",
                    "--type",
                    "-p",
                    "--property",
                    "-s",
                    "--signal",
                    "--root",
                    "-H",
                    "--host",
                    "-M",
                    "--machine",
                ],
            );
            let Some(&verb) = ops.first() else { return };
            let verb_text = value(verb);
            if !RUNTIME_VERBS.contains(&verb_text.as_str()) {
                now_option(cx, view, command, &verb_text, out);
                return;
            }
            let unit = ops.get(1).map(|n| value(*n)).unwrap_or_default();
            let replacement = match verb_text.as_str() {
                "stop" | "kill" => Some("disable"),
                "status" | "is-active" | "is-failed" | "isolate" => None,
                _ => Some("enable"),
            }
            .map(|r| (verb, r.to_string()));
            (verb, unit, replacement)
        }
        "service" => {
            let ops = operands(shell, command, &[]);
            let (Some(&name), Some(&action)) = (ops.first(), ops.get(1)) else {
                return;
            };
            if !RUNTIME_VERBS.contains(&value(action).as_str()) {
                return;
            }
            let unit = value(name);
            let replacement = command
                .name_node
                .filter(|_| command.wrappers.is_empty())
                .and_then(|n| {
                    let enable = if systemd {
                        format!("systemctl enable {unit}")
                    } else {
                        format!("chkconfig {unit} on")
                    };
                    matches!(
                        value(action).as_str(),
                        "start"
                            | "restart"
                            | "reload"
                            | "condrestart"
                            | "try-restart"
                            | "force-reload"
                    )
                    .then_some((n, enable))
                });
            (action, unit, replacement)
        }
        "mpathconf" => {
            let mut args = command.args.iter();
            let starts = loop {
                match args.next() {
                    None => return,
                    Some(arg) if value(*arg) == "--with_multipathd" => {
                        break args.next().is_some_and(|v| value(*v) == "y");
                    }
                    Some(_) => {}
                }
            };
            if !starts {
                return;
            }
            severity = Some(Severity::Warning);
            let Some(name) = command.name_node else {
                return;
            };
            (name, "multipathd".to_string(), None)
        }
        _ => {
            let Some(name) = command.name_node else {
                return;
            };
            let path = value(name);
            let Some(unit) = path
                .strip_prefix("/etc/init.d/")
                .or_else(|| path.strip_prefix("/etc/rc.d/init.d/"))
            else {
                return;
            };
            let Some(&action) = command.args.first() else {
                return;
            };
            if !RUNTIME_VERBS.contains(&value(action).as_str()) {
                return;
            }
            (action, unit.to_string(), None)
        }
    };
    let range = view.command_range(command);
    let text = view.command_text(command);
    let verb = value(verb_node);
    let message = if command.name == "mpathconf" {
        format!("`{text}` also starts multipathd, which cannot run in a chrooted `%post`; `mpathconf --enable` alone writes the configuration, and the enabled multipathd starts at boot")
    } else if matches!(verb.as_str(), "status" | "is-active" | "is-failed") {
        format!("`{text}` cannot see a running `{unit}` in a chrooted `%post`: the installed system is not booted, so the answer is always \"not running\"")
    } else if !systemd {
        format!("`{text}` runs the init script inside the installer's chroot: the daemon starts in the installer's environment, can keep the installation from finishing and is gone after the reboot; enable it with `chkconfig {unit} on` and let it start at boot")
    } else {
        format!("`{text}` does nothing in a chrooted `%post`: systemd does not run in the installed system yet (\"Running in chroot, ignoring request\"); enable the unit so that it starts at boot, and move steps that need the running service to a first-boot unit")
    };
    let mut diagnostic = Diagnostic::new(&SERVICE_START_IN_CHROOT, cx.file_id, range, message);
    if let Some(severity) = severity {
        diagnostic.severity = severity;
    }
    if let Some((node, replacement)) = replacement {
        let target = if node == verb_node {
            node_range(node)
        } else {
            TextRange::new(node.start_byte(), verb_node.end_byte())
        };
        diagnostic = diagnostic.with_fix(fix(
            format!("Replace with `{replacement}`"),
            Applicability::Unsafe,
            cx.file_id,
            target,
            replacement,
        ));
    }
    // Commands later in the script that need the daemon.
    let position = view
        .commands
        .iter()
        .position(|c| c.node == command.node)
        .unwrap_or(0);
    for later in view.commands[position + 1..]
        .iter()
        .filter(|c| DAEMON_CLIENTS.contains(&c.name.as_str()))
        .take(3)
    {
        diagnostic = diagnostic.with_related(
            cx.file_id,
            view.command_range(later),
            format!("`{}` needs the running service and fails here", later.name),
        );
    }
    out.push(diagnostic);
}

/// `systemctl enable --now X` in a chroot: the unit is enabled, the start is ignored.
fn now_option(
    cx: &Context,
    view: &View,
    command: &ShellCommand,
    verb: &str,
    out: &mut Vec<Diagnostic>,
) {
    if !matches!(verb, "enable" | "disable" | "mask") {
        return;
    }
    let shell = view.shell();
    let Some(&now) = command
        .args
        .iter()
        .find(|a| shell.value(**a).text == "--now")
    else {
        return;
    };
    let mut remove = node_range(now);
    // Take the blank before the option with it.
    let before = &cx.text()[..remove.start];
    let blanks = before.len() - before.trim_end_matches([' ', '\t']).len();
    remove.start -= blanks;
    out.push(
        Diagnostic::new(
            &SERVICE_START_IN_CHROOT,
            cx.file_id,
            node_range(now),
            format!("`--now` cannot {} the unit in a chrooted `%post` (systemd is not running there); `systemctl {verb}` itself works", if verb == "enable" { "start" } else { "stop" }),
        )
        .with_fix(fix("Remove `--now`", Applicability::Safe, cx.file_id, remove, "")),
    );
}

// ---------------------------------------------------------------------------
// KS3004
// ---------------------------------------------------------------------------

fn daemon_left_running(cx: &Context, view: &View, out: &mut Vec<Diagnostic>) {
    let shell = view.shell();
    // `job &`: the statement before each `&` runs in the background.
    let jobs = view.jobs.iter().copied();
    // `setsid -f cmd` forks and returns at once, like `cmd &`.
    let forked = view
        .commands
        .iter()
        .filter(|command| setsid_forks(shell, command))
        .map(|command| command.node);
    for job in jobs.chain(forked) {
        let start = job.start_byte();
        if view
            .exec_stdout
            .as_ref()
            .is_some_and(|(at, ..)| *at < start)
            && view.exec_stderr.is_some_and(|at| at < start)
        {
            continue;
        }
        let redirects = shell.enclosing_redirects_by(job, |node| view.parent(node));
        let stdout = redirects.iter().any(|r| r.covers_stdout());
        let stderr = redirects.iter().any(|r| r.covers_stderr());
        if stdout && stderr {
            continue;
        }
        // The script waits for it, or stops it.
        let waited = view.last_waiter.is_some_and(|at| at >= job.end_byte());
        if waited {
            continue;
        }
        let open = match (stdout, stderr) {
            (false, false) => "standard output and error",
            (true, false) => "standard error",
            _ => "standard output",
        };
        let line_end = cx
            .file
            .line_index
            .line_range(cx.text(), cx.file.line_index.line_of(start))
            .end;
        let range = TextRange::new(start, job.end_byte().min(line_end));
        out.push(
            Diagnostic::new(
                &DAEMON_LEFT_RUNNING,
                cx.file_id,
                range,
                format!("`{}` keeps running in the background with the script's {open} open; anaconda reads a script's output until it is closed, so the installation hangs here", shorten(shell.text_of(job))),
            )
            .with_fix(fix(
                "Redirect its output to /dev/null",
                Applicability::Unsafe,
                cx.file_id,
                TextRange::empty(job.end_byte()),
                " >/dev/null 2>&1",
            )),
        );
    }
}

fn setsid_forks(shell: &ShellScript, command: &ShellCommand) -> bool {
    if !command.is_wrapped_by("setsid") {
        return false;
    }
    let words = shell.words(command.node);
    command
        .wrappers
        .iter()
        .filter(|(name, _)| name == "setsid")
        .any(|(_, node)| {
            let at = words
                .iter()
                .position(|w| w.id() == node.id())
                .unwrap_or(words.len());
            words[at..]
                .iter()
                .skip(1)
                .map(|w| shell.value(*w).text)
                .take_while(|text| text.starts_with('-'))
                .any(|text| text == "-f" || text == "--fork")
        })
}

// ---------------------------------------------------------------------------
// KS3005
// ---------------------------------------------------------------------------

/// Programs that need a person at the keyboard.
const INTERACTIVE_PROGRAMS: &[&str] = &[
    "vi",
    "vim",
    "nano",
    "emacs",
    "less",
    "more",
    "top",
    "mysql_secure_installation",
    "chvt",
];

fn interactive_command(
    cx: &Context,
    view: &View,
    command: &ShellCommand,
    out: &mut Vec<Diagnostic>,
) {
    let name = command.name.as_str();
    if name != "read" && name != "passwd" && !INTERACTIVE_PROGRAMS.contains(&name) {
        return;
    }
    let shell = view.shell();
    let args: Vec<String> = command.args.iter().map(|a| shell.value(*a).text).collect();
    let message = match command.name.as_str() {
        "read" => {
            if args
                .iter()
                .any(|a| a.starts_with("-t") || a.starts_with("-u"))
                || stdin_supplied(view, command.node)
            {
                return;
            }
            "`read` waits for a line typed at the console; an unattended installation has nobody to type it and stops here".to_string()
        }
        "passwd" => {
            const NON_INTERACTIVE: &[&str] = &[
                "--stdin",
                "-l",
                "-u",
                "-d",
                "-e",
                "-S",
                "-n",
                "-x",
                "-w",
                "-i",
                "-k",
                "--lock",
                "--unlock",
                "--delete",
                "--expire",
                "--status",
                "--keep-tokens",
            ];
            if args.iter().any(|a| {
                NON_INTERACTIVE.contains(&a.as_str()) || a.starts_with("--") && a.contains('=')
            }) {
                return;
            }
            "`passwd` asks for the new password at the console; use `passwd --stdin`, `chpasswd`, or the `rootpw`/`user` kickstart commands".to_string()
        }
        name if INTERACTIVE_PROGRAMS.contains(&name) => {
            if name == "chvt" {
                "`chvt` switches the console to wait for a person; an unattended installation has nobody there".to_string()
            } else {
                format!("`{name}` is interactive and waits for a person at the console")
            }
        }
        _ => return,
    };
    out.push(Diagnostic::new(
        &INTERACTIVE_COMMAND,
        cx.file_id,
        view.command_range(command),
        message,
    ));
}

/// Whether standard input of `node` is a file, heredoc or pipe rather than
/// the console.
fn stdin_supplied<'s>(view: &View<'s>, node: Node<'s>) -> bool {
    let shell = view.shell();
    if shell
        .enclosing_redirects_by(node, |node| view.parent(node))
        .iter()
        .any(|r| r.feeds_stdin())
    {
        return true;
    }
    // Not the first command of a pipeline: it reads the pipe.
    let mut child = node;
    while let Some(parent) = view.parent(child) {
        if parent.kind() == "pipeline" && parent.named_child(0) != Some(child) {
            return true;
        }
        child = parent;
    }
    false
}

/// `exec < /dev/tty6`, `read x < /dev/console`: reading from a console.
fn console_input(cx: &Context, view: &View, out: &mut Vec<Diagnostic>) {
    let shell = view.shell();
    for redirect in &view.redirects {
        if !redirect.feeds_stdin() {
            continue;
        }
        let Some(target) = redirect.target else {
            continue;
        };
        let path = shell.value(target).text;
        let console = path == "/dev/console"
            || path
                .strip_prefix("/dev/tty")
                .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()));
        if console {
            out.push(Diagnostic::new(
                &INTERACTIVE_COMMAND,
                cx.file_id,
                node_range(redirect.node),
                format!("reading from `{path}` waits for a person at that console; an unattended installation has nobody there"),
            ));
        }
    }
}

// ---------------------------------------------------------------------------
// KS3006
// ---------------------------------------------------------------------------

fn reboot_in_script(cx: &Context, view: &View, command: &ShellCommand, out: &mut Vec<Diagnostic>) {
    if !matches!(
        command.name.as_str(),
        "reboot" | "poweroff" | "halt" | "shutdown" | "init" | "telinit" | "systemctl"
    ) {
        return;
    }
    let shell = view.shell();
    let first = command
        .args
        .first()
        .map(|a| shell.value(*a).text)
        .unwrap_or_default();
    let reboots = match command.name.as_str() {
        "reboot" | "poweroff" | "halt" => true,
        "shutdown" => first != "-c",
        "init" | "telinit" => first == "0" || first == "6",
        "systemctl" => {
            let ops = operands(shell, command, &[]);
            ops.first().is_some_and(|v| {
                matches!(
                    shell.value(*v).text.as_str(),
                    "reboot" | "poweroff" | "halt" | "kexec"
                )
            })
        }
        _ => false,
    };
    if !reboots {
        return;
    }
    let text = view.command_text(command);
    let message = if view.script.in_chroot && installer::has_usr_merge(cx.version) {
        format!("`{text}` is ignored in a chrooted `%post` (\"Running in chroot, ignoring request\"); use the `reboot` or `poweroff` kickstart command to end the installation")
    } else {
        format!("`{text}` stops the installer in the middle of the installation: later scripts do not run and the installer's logs are not saved; use the `reboot` or `poweroff` kickstart command instead")
    };
    out.push(Diagnostic::new(
        &REBOOT_IN_SCRIPT,
        cx.file_id,
        view.command_range(command),
        message,
    ));
}

// ---------------------------------------------------------------------------
// KS3007–KS3010: the install media
// ---------------------------------------------------------------------------

fn media_in_chroot(cx: &Context, view: &View, path: &PathUse, out: &mut Vec<Diagnostic>) {
    if !path.in_target || !path.is_access() {
        return;
    }
    let Some(mount) = installer::media_mount(&path.value.text, path.value.complete) else {
        return;
    };
    let how = if view.script.in_chroot {
        "a chrooted `%post` runs inside the installed system"
    } else {
        "this command runs chrooted into the installed system"
    };
    out.push(
        Diagnostic::new(
            &MEDIA_IN_CHROOT,
            cx.file_id,
            path.range,
            format!(
                "`{}` is on the install media, but {how}, where `{}` is not mounted; copy the files in a `%post --nochroot` (`cp -r {}/… /mnt/sysimage/root/`) and use the copy here",
                shorten(&path.value.text),
                mount.path,
                mount.path,
            ),
        )
        .with_related(
            cx.file_id,
            view.script.section.header.name_range,
            format!("`{}` without `--nochroot` runs chrooted", view.script.section.header.name),
        ),
    );
}

fn media_path_for_release(
    cx: &Context,
    facts: &Facts,
    view: &View,
    path: &PathUse,
    out: &mut Vec<Diagnostic>,
) {
    if path.in_target
        || !matches!(
            path.kind,
            UseKind::Program | UseKind::Argument | UseKind::Written | UseKind::Redirect { .. }
        )
    {
        return;
    }
    let Some(mount) = installer::media_mount(&path.value.text, path.value.complete) else {
        return;
    };
    if mount.exists_on(facts.installer) {
        return;
    }
    let canonical = facts.installer.boot_media_path();
    let mut diagnostic = Diagnostic::new(
        &MEDIA_PATH_FOR_RELEASE,
        cx.file_id,
        path.range,
        format!(
            "the installer of {} (the release this file is checked for) has no `{}`; it mounts the boot media on `{canonical}`",
            cx.version, mount.path
        ),
    );
    let shell = view.shell();
    if let Some(start) = shell.literal_path_start(path.node) {
        if cx.text()[start..].starts_with(mount.path) {
            let sources = mount.path.ends_with("/sources");
            diagnostic = diagnostic.with_fix(fix(
                format!("Replace with `{canonical}`"),
                if sources {
                    Applicability::Unsafe
                } else {
                    Applicability::Safe
                },
                cx.file_id,
                TextRange::new(start, start + mount.path.len()),
                canonical,
            ));
        }
    }
    out.push(diagnostic);
}

/// Mount points whose misspelling is worth a diagnostic.
const KNOWN_MOUNTS: &[&str] = &[
    "/run/install/repo",
    "/run/install/sources",
    "/mnt/install/repo",
    "/mnt/install/source",
    "/mnt/source",
    SYSIMAGE,
    SYSROOT,
];

fn media_path_typo(cx: &Context, view: &View, path: &PathUse, out: &mut Vec<Diagnostic>) {
    if path.kind == UseKind::Data {
        return;
    }
    let text = &path.value.text;
    // Every known mount point starts with one of these: most words have
    // neither, and one scan for both is cheaper than a search per mount.
    if !contains_mount_root(text) {
        return;
    }
    for mount in KNOWN_MOUNTS {
        let Some(at) = text.find(mount) else { continue };
        if at == 0 {
            continue;
        }
        let prefix = &text[..at];
        let glued = prefix
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
            && !prefix.starts_with('-');
        if !glued {
            continue;
        }
        let mut diagnostic = Diagnostic::new(
            &MEDIA_PATH_TYPO,
            cx.file_id,
            path.range,
            format!(
                "`{}` has `{prefix}` in front of `{mount}`: as written it is a relative path that does not exist",
                shorten(text)
            ),
        );
        let written = view.shell().text_of(path.node);
        if written.starts_with(prefix) {
            diagnostic = diagnostic.with_fix(fix(
                format!("Remove `{prefix}`"),
                Applicability::Unsafe,
                cx.file_id,
                TextRange::new(path.range.start, path.range.start + prefix.len()),
                "",
            ));
        }
        out.push(diagnostic);
        return;
    }
}

/// Whether `text` contains `/mnt/` or `/run/`, where every one of
/// [`KNOWN_MOUNTS`] lives.
fn contains_mount_root(text: &str) -> bool {
    text.as_bytes()
        .windows(5)
        .any(|window| window == b"/mnt/" || window == b"/run/")
}

fn media_file_missing(
    cx: &Context,
    facts: &Facts,
    view: &View,
    path: &PathUse,
    out: &mut Vec<Diagnostic>,
) {
    if path.in_target
        || path.is_write()
        || !matches!(
            path.kind,
            UseKind::Program | UseKind::Argument | UseKind::Redirect { .. }
        )
    {
        return;
    }
    let Some(mount) = installer::media_mount(&path.value.text, path.value.complete) else {
        return;
    };
    if !mount.exists_on(facts.installer)
        || mount.path.ends_with("/sources")
        || mount.path.ends_with("/isodir")
    {
        return;
    }
    let Some(root) = media_root(cx.options) else {
        return;
    };
    let probed = view
        .uses
        .iter()
        .any(|u| u.kind == UseKind::Test && u.value.text == path.value.text);
    if probed {
        return;
    }
    let rest = path.value.text[mount.path.len()..].trim_start_matches('/');
    // Up to the first glob, brace or unknown part: that much must exist.
    let (known, whole) = match rest.find(['*', '?', '[', '{']) {
        Some(at) => (&rest[..rest[..at].rfind('/').unwrap_or(0)], false),
        None if path.value.complete => (rest, true),
        None => (&rest[..rest.rfind('/').unwrap_or(0)], false),
    };
    let known = known.trim_end_matches('/');
    if known.is_empty() || known.split('/').any(|part| part == "..") {
        return;
    }
    let on_disk = root.join(known);
    if on_disk.exists() {
        return;
    }
    out.push(Diagnostic::new(
        &MEDIA_FILE_MISSING,
        cx.file_id,
        path.range,
        format!(
            "`{}{}` is not on the install media: `{}` does not exist{}",
            mount.path,
            if whole {
                format!("/{known}")
            } else {
                format!("/{known}/…")
            },
            display(&on_disk),
            if whole {
                ""
            } else {
                " (the part before the wildcard or variable)"
            }
        ),
    ));
}

fn display(path: &Path) -> String {
    path.display().to_string()
}

// ---------------------------------------------------------------------------
// KS3011–KS3013: the root of the installed system
// ---------------------------------------------------------------------------

fn sysimage_in_chroot(cx: &Context, view: &View, path: &PathUse, out: &mut Vec<Diagnostic>) {
    if !view.script.in_chroot || !path.is_access() {
        return;
    }
    let Some(root) = TARGET_ROOTS.iter().find(|root| path.value.is_under(root)) else {
        return;
    };
    let mut diagnostic = Diagnostic::new(
        &SYSIMAGE_IN_CHROOT,
        cx.file_id,
        path.range,
        format!(
            "a chrooted `%post` already runs inside the installed system, where `{root}` does not exist; drop the prefix (`{}`)",
            strip_root(&path.value.text, root)
        ),
    )
    .with_related(
        cx.file_id,
        view.script.section.header.name_range,
        "this script runs chrooted into the installed system (no `--nochroot`)",
    );
    if let Some(start) = view.shell().literal_path_start(path.node) {
        if cx.text()[start..].starts_with(root) {
            let end = start + root.len();
            let replacement = if cx.text()[end..].starts_with('/') {
                ""
            } else {
                "/"
            };
            diagnostic = diagnostic.with_fix(fix(
                format!("Remove `{root}`"),
                Applicability::Unsafe,
                cx.file_id,
                TextRange::new(start, end),
                replacement,
            ));
        }
    }
    out.push(diagnostic);
}

fn strip_root(path: &str, root: &str) -> String {
    let rest = &path[root.len()..];
    if rest.is_empty() {
        "/".to_string()
    } else {
        shorten(rest)
    }
}

fn nochroot_writes_installer(
    cx: &Context,
    facts: &Facts,
    view: &View,
    path: &PathUse,
    out: &mut Vec<Diagnostic>,
) {
    if view.script.kind != ScriptKind::Post
        || view.script.in_chroot
        || path.in_target
        || !path.is_write()
    {
        return;
    }
    if let Some(index) = path.command {
        if view.commands[index].chroot.is_some() && !matches!(path.kind, UseKind::Redirect { .. }) {
            return;
        }
    }
    let text = &path.value.text;
    let system = SYSTEM_DIRS
        .iter()
        .any(|dir| path_is_under(text, dir, path.value.complete));
    if !system
        || facts.live_media
        || INSTALLER_SCRATCH
            .iter()
            .any(|dir| path_is_under(text, dir, path.value.complete))
    {
        return;
    }
    let root = if facts.ostree { SYSROOT } else { SYSIMAGE };
    let mut diagnostic = Diagnostic::new(
        &NOCHROOT_WRITES_INSTALLER,
        cx.file_id,
        path.range,
        format!(
            "`%post --nochroot` runs in the installer's RAM disk: this writes `{}` there, and it is gone after the reboot; the installed system is under `{root}` (`{root}{}`)",
            shorten(text),
            shorten(text)
        ),
    );
    if let Some(start) = view.shell().literal_path_start(path.node) {
        diagnostic = diagnostic.with_fix(fix(
            format!("Prefix with `{root}`"),
            Applicability::Unsafe,
            cx.file_id,
            TextRange::empty(start),
            root,
        ));
    }
    out.push(diagnostic);
}

fn sysimage_on_ostree(
    cx: &Context,
    facts: &Facts,
    view: &View,
    path: &PathUse,
    out: &mut Vec<Diagnostic>,
) {
    if !facts.ostree || view.script.in_chroot || !path.is_access() || !path.value.is_under(SYSIMAGE)
    {
        return;
    }
    let mut diagnostic = Diagnostic::new(
        &SYSIMAGE_ON_OSTREE,
        cx.file_id,
        path.range,
        format!("on an rpm-ostree or bootc install `{SYSIMAGE}` is the physical root, not the deployed system; its `/etc` and `/var` are under `{SYSROOT}`"),
    );
    if let Some(start) = view.shell().literal_path_start(path.node) {
        if cx.text()[start..].starts_with(SYSIMAGE) {
            diagnostic = diagnostic.with_fix(fix(
                format!("Replace with `{SYSROOT}`"),
                Applicability::Unsafe,
                cx.file_id,
                TextRange::new(start, start + SYSIMAGE.len()),
                SYSROOT,
            ));
        }
    }
    out.push(diagnostic);
}

// ---------------------------------------------------------------------------
// KS3014–KS3016: logs
// ---------------------------------------------------------------------------

fn log_path_namespace(cx: &Context, view: &View, out: &mut Vec<Diagnostic>) {
    let script = view.script;
    if let Some(log) = &script.log {
        if script.in_chroot {
            if let Some(root) = TARGET_ROOTS
                .iter()
                .find(|r| path_is_under(&log.value, r, true))
            {
                let inner = strip_root(&log.value, root);
                out.push(
                    Diagnostic::new(
                        &LOG_PATH_NAMESPACE,
                        cx.file_id,
                        log.range,
                        format!("anaconda opens the `--log` of a chrooted `%post` inside the installed system, so this log ends up at `{root}{}` on it; write `--log={inner}`", log.value),
                    )
                    .with_fix(fix(
                        format!("Use `{inner}`"),
                        Applicability::Safe,
                        cx.file_id,
                        log.range,
                        inner.clone(),
                    )),
                );
            }
        }
    }
    if script.kind != ScriptKind::Pre {
        return;
    }
    let exec = view
        .exec_stdout
        .as_ref()
        .map(|(_, range, value)| (*range, value.text.clone(), value.complete));
    let log = script
        .log
        .as_ref()
        .map(|l| (l.range, l.value.clone(), true));
    for (range, path, complete) in log.into_iter().chain(exec) {
        if TARGET_ROOTS
            .iter()
            .any(|r| path_is_under(&path, r, complete))
        {
            out.push(Diagnostic::new(
                &LOG_PATH_NAMESPACE,
                cx.file_id,
                range,
                format!("`%pre` runs before the installed system's file systems are mounted: `{}` is written in the RAM disk and hidden when they are mounted on `{SYSIMAGE}`; log to /tmp and copy the file in a `%post --nochroot`", shorten(&path)),
            ));
        }
    }
}

/// The logs of a script that stay in the installer's RAM disk unless a
/// later script copies them: `--log` and `exec >FILE` outside the target.
fn kept_logs(view: &View) -> Vec<(TextRange, String)> {
    let script = view.script;
    if script.in_chroot || matches!(script.kind, ScriptKind::OnError | ScriptKind::Traceback) {
        return Vec::new();
    }
    // A `%post --nochroot` that sends its output to `/root/…` is already
    // reported by KS3012.
    let exec = view
        .exec_stdout
        .as_ref()
        .filter(|(_, _, value)| value.complete)
        .filter(|(_, _, value)| {
            script.kind != ScriptKind::Post || !SYSTEM_DIRS.iter().any(|dir| value.is_under(dir))
        })
        .map(|(_, range, value)| (*range, value.text.clone()));
    let log = script.log.as_ref().map(|l| (l.range, l.value.clone()));
    log.into_iter()
        .chain(exec)
        .filter(|(_, path)| {
            path.starts_with('/')
                && !TARGET_ROOTS.iter().any(|r| path_is_under(path, r, true))
                && !["/dev", "/proc", "/sys"]
                    .iter()
                    .any(|d| path_is_under(path, d, true))
        })
        .collect()
}

fn log_not_kept(cx: &Context, script: &Summary, later: &[Summary], out: &mut Vec<Diagnostic>) {
    for (range, path) in &script.logs {
        let copied = later.iter().any(|v| {
            !v.in_chroot
                && v.arguments
                    .iter()
                    .any(|argument| glob_prefix_matches(argument, path))
        });
        if copied {
            continue;
        }
        let advice = if script.kind == ScriptKind::Pre {
            format!("copy it in a `%post --nochroot` (`cp {path} {SYSIMAGE}/root/`)")
        } else {
            format!("write it under `{SYSIMAGE}` instead")
        };
        out.push(Diagnostic::new(
            &LOG_NOT_KEPT,
            cx.file_id,
            *range,
            format!(
                "the log `{}` stays in the installer's RAM disk and is gone after the reboot; {advice}",
                shorten(path)
            ),
        ));
    }
}

/// Whether an argument (`/tmp/*.log`, `/tmp/ks-pre.log`, `$LOG` unknown) names `path`.
fn glob_prefix_matches(argument: &Value, path: &str) -> bool {
    let text = &argument.text;
    match text.find(['*', '?', '[']) {
        Some(at) => path.starts_with(&text[..at]),
        None if argument.complete => text == path || path_is_under(path, text, true),
        None => false,
    }
}

fn script_without_log(cx: &Context, view: &View, out: &mut Vec<Diagnostic>) {
    let script = view.script;
    if script.kind != ScriptKind::Post
        || installer::keeps_script_output(cx.version)
        || script.log.is_some()
        || view.exec_stdout.is_some()
        || view.commands.is_empty()
    {
        return;
    }
    let log = if script.in_chroot {
        "/root/ks-post.log".to_string()
    } else {
        format!("{SYSIMAGE}/root/ks-post-nochroot.log")
    };
    let header = &script.section.header;
    let end = header
        .args
        .last()
        .map_or(header.name_range.end, |a| a.range().end);
    out.push(
        Diagnostic::new(
            &SCRIPT_WITHOUT_LOG,
            cx.file_id,
            header.name_range,
            format!("the installer of {} does not keep the output of scripts without `--log`; when this one fails, nothing tells why", cx.version),
        )
        .with_fix(fix(
            format!("Add `--log={log}`"),
            Applicability::Safe,
            cx.file_id,
            TextRange::empty(end),
            format!(" --log={log}"),
        )),
    );
}

// ---------------------------------------------------------------------------
// KS3017
// ---------------------------------------------------------------------------

fn network_on_offline_media(
    cx: &Context,
    facts: &Facts,
    view: &View,
    command: &ShellCommand,
    out: &mut Vec<Diagnostic>,
) {
    let Some(source) = facts.offline_source else {
        return;
    };
    const NETWORK_PROGRAMS: &[&str] = &[
        "curl",
        "wget",
        "git",
        "pip",
        "pip2",
        "pip3",
        "yum",
        "dnf",
        "microdnf",
        "rpm",
        "subscription-manager",
        "ntpdate",
    ];
    if view.script.kind != ScriptKind::Post || !NETWORK_PROGRAMS.contains(&command.name.as_str()) {
        return;
    }
    let shell = view.shell();
    let args: Vec<String> = command.args.iter().map(|a| shell.value(*a).text).collect();
    let urls = || args.iter().filter(|a| a.contains("://"));
    let local_url = |url: &&String| {
        url.starts_with("file://")
            || url.contains("://localhost")
            || url.contains("://127.0.0.1")
            || url.contains("://[::1]")
    };
    let ops: Vec<String> = operands(shell, command, &[])
        .iter()
        .map(|a| shell.value(*a).text)
        .collect();
    let what = match command.name.as_str() {
        "curl" | "wget" => {
            if urls().count() > 0 && urls().all(|u| local_url(&u)) {
                return;
            }
            format!("`{}` downloads", command.name)
        }
        "git" => {
            if !matches!(
                ops.first().map(String::as_str),
                Some("clone" | "fetch" | "pull")
            ) {
                return;
            }
            if urls().count() == 0 && ops.get(1).is_some_and(|r| r.starts_with('/')) {
                return;
            }
            format!("`git {}` downloads", ops[0])
        }
        "pip" | "pip2" | "pip3" => {
            if ops.first().map(String::as_str) != Some("install")
                || args.iter().any(|a| a == "--no-index")
                || ops[1..]
                    .iter()
                    .all(|p| p.starts_with('/') || p.starts_with('.'))
            {
                return;
            }
            format!("`{} install` downloads from PyPI", command.name)
        }
        "yum" | "dnf" | "microdnf" => {
            const NETWORK: &[&str] = &[
                "install",
                "update",
                "upgrade",
                "groupinstall",
                "groupupdate",
                "makecache",
                "reinstall",
                "distro-sync",
                "update-minimal",
                "upgrade-minimal",
                "check-update",
            ];
            let Some(sub) = ops.first() else { return };
            if !NETWORK.contains(&sub.as_str())
                || args.iter().any(|a| a == "-C" || a == "--cacheonly")
            {
                return;
            }
            let packages = &ops[1..];
            if !packages.is_empty()
                && packages.iter().all(|p| {
                    p.starts_with('/')
                        || p.starts_with('.')
                        || p.ends_with(".rpm") && !p.contains("://")
                })
            {
                return;
            }
            format!("`{} {sub}` needs the network repositories", command.name)
        }
        "rpm" => {
            if urls().filter(|u| !local_url(u)).count() == 0 {
                return;
            }
            "`rpm` with a URL downloads".to_string()
        }
        "subscription-manager" => {
            if !matches!(
                ops.first().map(String::as_str),
                Some("register" | "attach" | "refresh" | "repos")
            ) {
                return;
            }
            "`subscription-manager` needs the Red Hat servers".to_string()
        }
        "ntpdate" => "`ntpdate` needs a time server".to_string(),
        _ => return,
    };
    let source_name = cx
        .file
        .slice(source)
        .split_whitespace()
        .next()
        .unwrap_or("cdrom")
        .to_string();
    out.push(
        Diagnostic::new(
            &NETWORK_ON_OFFLINE_MEDIA,
            cx.file_id,
            view.command_range(command),
            format!("{what}, but this kickstart installs from `{source_name}` and activates no network (`network --activate`): the command fails, unnoticed unless the script has `--erroronfail`"),
        )
        .with_related(cx.file_id, source, "the installation source is local media"),
    );
}

// ---------------------------------------------------------------------------
// KS3018
// ---------------------------------------------------------------------------

fn critical_without_erroronfail(cx: &Context, view: &View, out: &mut Vec<Diagnostic>) {
    let script = view.script;
    if script.kind != ScriptKind::Post || script.has_option("--erroronfail") {
        return;
    }
    let shell = view.shell();
    let critical: Vec<&ShellCommand> = view
        .commands
        .iter()
        .filter(|command| is_critical(shell, command))
        .collect();
    let Some(first) = critical.first() else {
        return;
    };
    let header = &script.section.header;
    let end = header
        .args
        .last()
        .map_or(header.name_range.end, |a| a.range().end);
    let mut diagnostic = Diagnostic::new(
        &CRITICAL_WITHOUT_ERRORONFAIL,
        cx.file_id,
        header.name_range,
        format!(
            "this `{}` installs software (`{}`{}) but has no `--erroronfail`: when that fails, the installation still reports success",
            script.title(),
            view.command_text(first),
            if critical.len() > 1 {
                format!(" and {} more", critical.len() - 1)
            } else {
                String::new()
            }
        ),
    )
    .with_fix(fix(
        "Add `--erroronfail`",
        Applicability::Unsafe,
        cx.file_id,
        TextRange::empty(end),
        " --erroronfail",
    ));
    for command in critical.iter().take(3) {
        diagnostic =
            diagnostic.with_related(cx.file_id, view.command_range(command), "installs software");
    }
    out.push(diagnostic);
}

fn is_critical(shell: &ShellScript, command: &ShellCommand) -> bool {
    let name = command.name.as_str();
    if !matches!(
        name,
        "rpm" | "yum" | "dnf" | "pip" | "pip2" | "pip3" | "make"
    ) && !name.starts_with("python")
    {
        return false;
    }
    let args: Vec<String> = command.args.iter().map(|a| shell.value(*a).text).collect();
    let ops: Vec<String> = operands(shell, command, &[])
        .iter()
        .map(|a| shell.value(*a).text)
        .collect();
    match command.name.as_str() {
        "rpm" => args.iter().any(|a| {
            a == "--install"
                || a == "--upgrade"
                || a == "--freshen"
                || (a.starts_with('-')
                    && !a.starts_with("--")
                    && a[1..].starts_with(['i', 'U', 'F']))
        }),
        "yum" | "dnf" => {
            matches!(
                ops.first().map(String::as_str),
                Some("install" | "localinstall" | "groupinstall" | "reinstall")
            ) || (ops.first().map(String::as_str) == Some("group")
                && ops.get(1).map(String::as_str) == Some("install"))
        }
        "pip" | "pip2" | "pip3" => ops.first().map(String::as_str) == Some("install"),
        "make" => ops.iter().any(|o| o == "install"),
        name if name.starts_with("python") => {
            ops.first().is_some_and(|o| basename(o) == "setup.py")
                && ops.iter().any(|o| o == "install")
        }
        _ => false,
    }
}

// ---------------------------------------------------------------------------
// KS3019
// ---------------------------------------------------------------------------

/// The files under /tmp a `%pre` writes kickstart commands to, with where
/// each write is.
fn kickstart_outputs(cx: &Context, view: &View) -> Vec<(TextRange, String)> {
    let Some(shell) = view
        .script
        .shell
        .as_ref()
        .filter(|_| view.script.kind == ScriptKind::Pre)
    else {
        return Vec::new();
    };
    view.uses
        .iter()
        .filter(|path| path.kind == (UseKind::Redirect { write: true }))
        .filter(|path| path.value.complete && path_is_under(&path.value.text, "/tmp", true))
        .filter(|path| {
            path.command
                .is_some_and(|index| writes_kickstart(cx, view, shell, &view.commands[index]))
        })
        .map(|path| (path.range, path.value.text.clone()))
        .collect()
}

fn pre_output_not_included(cx: &Context, scripts: &[Summary], out: &mut Vec<Diagnostic>) {
    let facts_includes: Vec<String> = cx
        .document
        .includes()
        .filter_map(|i| i.path.as_ref().map(|p| p.value.clone()))
        .collect();
    let mut reported = HashSet::new();
    let mut reads = None;
    for (range, file) in scripts.iter().flat_map(|s| &s.kickstart_outputs) {
        if facts_includes.iter().any(|i| i == file) || reported.contains(file) {
            continue;
        }
        // Read by a later command of any script (cat, cp, sed …).
        if reads
            .get_or_insert_with(|| ReadIndex::new(scripts))
            .matches(file)
        {
            continue;
        }
        reported.insert(file.clone());
        out.push(
            Diagnostic::new(
                &PRE_OUTPUT_NOT_INCLUDED,
                cx.file_id,
                *range,
                format!("`%pre` writes kickstart commands to `{file}`, but no `%include {file}` reads them"),
            )
            .with_fix(fix(
                format!("Add `%include {file}` at the end"),
                Applicability::Unsafe,
                cx.file_id,
                TextRange::empty(cx.text().len()),
                format!("{}%include {file}\n", if cx.text().ends_with('\n') { "" } else { "\n" }),
            )),
        );
    }
}

/// The words of every script that read a path (not writes, data or
/// assignments), indexed so that asking whether one of them reaches a file
/// ([`glob_prefix_matches`] against each) does not scan them all.
struct ReadIndex<'v> {
    /// Complete words without glob characters, as written and without
    /// trailing slashes: a file matches one naming it or a directory above it.
    paths: HashSet<&'v str>,
    /// The text before the first glob character of the other words.
    glob_prefixes: Vec<&'v str>,
}

impl<'v> ReadIndex<'v> {
    fn new(scripts: &'v [Summary]) -> Self {
        let mut index = ReadIndex {
            paths: HashSet::new(),
            glob_prefixes: Vec::new(),
        };
        for read in scripts.iter().flat_map(|s| s.reads.iter()) {
            let text = read.text.as_str();
            match text.find(['*', '?', '[']) {
                Some(at) => index.glob_prefixes.push(&text[..at]),
                None if read.complete => {
                    index.paths.insert(text);
                    index.paths.insert(text.trim_end_matches('/'));
                }
                None => {}
            }
        }
        index
    }

    /// Whether some read word matches `file` by [`glob_prefix_matches`].
    fn matches(&self, file: &str) -> bool {
        self.paths.contains(file)
            || file
                .match_indices('/')
                .any(|(at, _)| self.paths.contains(&file[..at]))
            || self.glob_prefixes.iter().any(|p| file.starts_with(p))
    }
}

/// Whether a command prints text that starts with a kickstart command
/// (`echo "part / --size=1"`, `cat <<EOF` with `network …`).
fn writes_kickstart<'s>(
    cx: &Context,
    view: &View<'s>,
    shell: &ShellScript,
    command: &ShellCommand<'s>,
) -> bool {
    let text = match command.name.as_str() {
        "echo" | "printf" => command
            .args
            .iter()
            .map(|a| shell.value(*a).text)
            .find(|t| !t.starts_with('-'))
            .unwrap_or_default(),
        "cat" => shell
            .redirects_within(command.node, view.parent(command.node))
            .iter()
            .find_map(|r| shell.heredoc_body(r.node))
            .map(|body| shell.text_of(body).to_string())
            .unwrap_or_default(),
        _ => return false,
    };
    let first = text
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty() && !l.starts_with('#'))
        .and_then(|l| l.split_whitespace().next())
        .unwrap_or("");
    !first.is_empty()
        && (first.starts_with('%') || catalog::command_names(cx.version).any(|name| name == first))
}

// KS3020

/// The optional shellcheck pass over every shell body of the file, run with
/// `program` (one process per body, in parallel; cached by body). `found`
/// holds what the other rules reported for this file, for de-duplication.
/// A shellcheck that cannot be run adds a notice instead of diagnostics.
pub fn shellcheck(
    cx: &Context,
    program: &Path,
    found: &[Diagnostic],
    notices: &mut Vec<String>,
) -> Vec<Diagnostic> {
    use crate::diagnostic::{External, Fix, TextEdit};
    use crate::scripts::shellcheck as sc;

    let text = cx.text();
    let bodies: Vec<(TextRange, &'static str)> = scripts::scripts(
        text,
        cx.document,
        cx.options.memo.as_deref().map(Memo::trees),
    )
    .iter()
    .filter(|script| script.shell.is_some())
    .filter_map(|script| {
        let body = script.section.body_range()?;
        // Without `--interpreter` the installer runs `/bin/sh`, which is
        // bash on every anaconda image: bash-isms are fine there.
        let shell = script
            .interpreter
            .as_ref()
            .map_or("bash", |interpreter| sc::dialect(&interpreter.value));
        Some((body, shell))
    })
    .collect();
    if bodies.is_empty() {
        return Vec::new();
    }
    let results: Vec<_> = std::thread::scope(|scope| {
        let handles: Vec<_> = bodies
            .iter()
            .map(|&(body, shell)| {
                let body_text = text.get(body.start..body.end).unwrap_or("");
                scope.spawn(move || sc::check(program, shell, body_text))
            })
            .collect();
        handles
            .into_iter()
            .map(|handle| {
                handle
                    .join()
                    .unwrap_or_else(|_| Err("the shellcheck runner failed".to_string()))
            })
            .collect()
    });
    let has_crlf_report = found
        .iter()
        .any(|d| d.rule == &super::syntax::CRLF_LINE_ENDINGS);
    let mut out = Vec::new();
    for (&(body, _), result) in bodies.iter().zip(results) {
        let findings = match result {
            Ok(findings) => findings,
            Err(error) => {
                notices.push(format!("shellcheck pass skipped: {error}"));
                continue;
            }
        };
        let syntax_error_reported = found.iter().any(|d| {
            d.rule == &SHELL_SYNTAX_ERROR
                && body.start <= d.location.range.start
                && d.location.range.start <= body.end
        });
        // shellcheck stops at a parse error like tree-sitter-bash does: its
        // SC1xxx errors and the notes that point at them (SC1009) say what
        // KS3001 already says.
        let same_syntax_error =
            syntax_error_reported && findings.iter().any(sc::Finding::is_parse_error);
        for finding in findings.iter() {
            if same_syntax_error && finding.is_parse_family() {
                continue;
            }
            if finding.code == 1017 && has_crlf_report {
                continue;
            }
            let code = finding.code_name();
            let range = sc::kickstart_range(
                text,
                body,
                (finding.line, finding.column),
                (finding.end_line, finding.end_column),
            );
            let mut diagnostic =
                Diagnostic::new(&SHELLCHECK, cx.file_id, range, finding.message.clone());
            diagnostic.severity = finding.severity();
            let replacements = finding
                .fix
                .as_ref()
                .map_or(&[][..], |fix| fix.replacements.as_slice());
            if !replacements.is_empty() {
                let edits = replacements
                    .iter()
                    .map(|replacement| TextEdit {
                        file: cx.file_id,
                        range: sc::kickstart_range(
                            text,
                            body,
                            (replacement.line, replacement.column),
                            (replacement.end_line, replacement.end_column),
                        ),
                        replacement: replacement.replacement.clone(),
                    })
                    .collect();
                diagnostic = diagnostic.with_fix(Fix {
                    title: format!("Apply shellcheck's fix for {code}"),
                    applicability: Applicability::Unsafe,
                    edits,
                });
            }
            diagnostic.external = Some(External {
                source: "shellcheck",
                url: sc::wiki_url(&code),
                code,
            });
            out.push(diagnostic);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The typo check skips words without a mount root: every known mount
    /// point must have one, or its typos would go unreported.
    #[test]
    fn every_known_mount_has_a_mount_root() {
        for mount in KNOWN_MOUNTS {
            assert!(contains_mount_root(&format!("x{mount}")), "{mount}");
        }
        assert!(!contains_mount_root("/var/log/steps"));
    }

    /// Bodies parsed in two pieces give the diagnostics of bodies parsed
    /// whole, byte for byte: for every fixture script, random mixes of their
    /// lines, and the shape of kslint-bench's long `%post`.
    #[test]
    fn pieces_and_whole_bodies_give_the_same_diagnostics() {
        use crate::analysis::{analyze, CheckOptions};
        use crate::syntax::test_split;

        let mut bodies = crate::scripts::shell::tests::fixture_bodies();
        bodies.push(BENCH_POST_BLOCK.repeat(50));
        let options = CheckOptions::default();
        let diagnostics = |text: &str, mode: u8| -> Vec<String> {
            // The mode is this thread's: the scripts must be checked here.
            assert!(text.len() < crate::rules::PARALLEL_SCRIPT_BYTES);
            test_split::MODE.set(mode);
            let analysis = analyze(crate::source::SourceFile::new("x.ks", text), &options);
            test_split::MODE.set(test_split::BY_SIZE);
            analysis
                .diagnostics
                .iter()
                .map(|d| format!("{d:?}"))
                .collect()
        };
        let mut found = 0;
        for body in &bodies {
            for header in ["%post", "%post --nochroot", "%pre"] {
                let text = format!("lang C\nkeyboard us\n{header}\n{body}%end\n");
                let whole = diagnostics(&text, test_split::NEVER);
                assert_eq!(diagnostics(&text, test_split::ALWAYS), whole, "{text}");
                found += whole.len();
            }
        }
        assert!(found > 1000, "only {found} diagnostics compared");
    }

    /// What a gathering holds, command indices and the order of uses
    /// included, as text to compare.
    fn signature(gathered: &mut Gathered) -> Vec<String> {
        let mut lines: Vec<String> = gathered
            .sorted_uses()
            .iter()
            .map(|u| {
                let place = (u.node.byte_range(), u.range);
                let what = (&u.value, u.kind, u.command, u.in_target);
                format!("use {place:?} {what:?}")
            })
            .collect();
        lines.extend(gathered.commands.iter().map(|c| format!("{c:?}")));
        lines.extend(gathered.redirects.iter().map(|r| format!("{r:?}")));
        lines.extend(gathered.jobs.iter().map(|j| format!("job {j:?}")));
        let exec = (&gathered.exec_stdout, gathered.exec_stderr);
        lines.push(format!("{} {exec:?}", gathered.live_media));
        lines
    }

    /// A script gathered in two parts, cut before any of its top-level
    /// statements, gives what one walk over it gathers.
    #[test]
    fn parts_gather_what_the_whole_does() {
        let mut bodies = crate::scripts::shell::tests::fixture_bodies();
        bodies.push(BENCH_POST_BLOCK.repeat(3));
        let mut compared = 0;
        for body in &bodies {
            for header in ["%post", "%post --nochroot"] {
                let text = format!("lang C\n{header}\n{body}%end\n");
                let file = crate::source::SourceFile::new("x.ks", text.as_str());
                let mut sources = crate::source::SourceMap::default();
                let file_id = sources.add(file);
                let tree = crate::syntax::parse(&text, None);
                let document = crate::syntax::model::Document::new(file_id, &text, tree);
                let scripts = crate::scripts::scripts(&text, &document, None);
                let Some(script) = scripts.first() else {
                    continue;
                };
                let Some(shell) = &script.shell else {
                    continue;
                };
                let flat = shell.flat();
                let nodes = flat.entries().len();
                let whole = signature(&mut gather(script, shell, &flat, 0..nodes));
                for middle in flat.children(0).skip(1) {
                    let parts = signature(&mut gather_cut(script, shell, &flat, middle));
                    assert_eq!(parts, whole, "{body:?} cut at node {middle}");
                    compared += 1;
                }
            }
        }
        assert!(compared > 1000, "only {compared} cuts compared");
    }

    /// The block kslint-bench repeats for its 2,000-line `%post`.
    const BENCH_POST_BLOCK: &str = "systemctl enable sshd
cp /etc/skel/.bashrc /root/.bashrc
sed -i 's/^#PermitRootLogin.*/PermitRootLogin no/' /etc/ssh/sshd_config
if [ -f /etc/sysconfig/network ]; then
  echo \"NETWORKING=yes\" >> /etc/sysconfig/network
fi
for f in /etc/yum.repos.d/*.repo; do
  sed -i 's/enabled=1/enabled=0/' \"$f\"
done
cat > /etc/motd <<'EOF'
Welcome; do not run systemctl start here
EOF
useradd -m admin && echo admin:secret | chpasswd
mkdir -p /opt/app/bin /opt/app/etc 2>/dev/null
tar -C /opt/app -xzf /root/app.tar.gz || echo failed >> /root/errors
chmod 0600 /root/.ssh/authorized_keys
";
}
