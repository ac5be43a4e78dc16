//! What each command's `parse()` checks beyond argparse: options that need
//! or exclude each other, positional counts that argparse leaves open,
//! values pykickstart inspects itself, and the key that makes two data lines
//! (`part`, `user`, `repo`, …) the same entry.

use super::args::{self, Class, Parsed, Token, Value};
use super::{
    data_entry, deprecated_command, deprecation_tail, list_or, report_extra, report_parse,
    FileState, Owner, OwnerKind, CONFLICTING_OPTIONS, DUPLICATE_COMMAND, INVALID_OPTION_VALUE,
    MISSING_REQUIRED_OPTION, OPTION_REQUIRES_OPTION, UNKNOWN_OPTION, WRONG_ARGUMENT_COUNT,
};
use crate::catalog::{CommandSpec, Nargs, SyntaxVersion, ValueKind};
use crate::diagnostic::{Diagnostic, Severity};
use crate::rules::{Context, Rule};
use crate::source::TextRange;
use crate::syntax::model::{Arg, Command};

/// What a command does with words argparse leaves over.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Leftovers {
    /// They are an error (`unrecognized arguments`, `Unexpected arguments`).
    Reject,
    /// Words become the member list when argparse filled none (`raid`,
    /// `volgroup`, `stratispool`); options among them are errors.
    Members,
    /// The words are the whole payload (`btrfs MNT DEV…`, `device MODULE`).
    Payload,
}

pub(super) fn check<'a>(
    cx: &Context,
    command: &'a Command,
    spec: &'static CommandSpec,
    state: &mut FileState<'a>,
    out: &mut Vec<Diagnostic>,
) {
    match spec.name {
        // These take the rest of the line as is, without argparse.
        "auth" | "authconfig" => {
            if spec.class == "F28_Authconfig" {
                deprecated_command(
                    cx,
                    command,
                    Some("it still works, but pykickstart warns"),
                    out,
                );
            }
            return;
        }
        "authselect" | "deviceprobe" => return,
        "realm" => {
            realm(cx, command, spec, state, out);
            return;
        }
        _ => {}
    }
    let tokens = args::tokens(&command.args, cx.text());
    let parsed = args::parse(&tokens, spec.options, spec.positionals);
    let owner = Owner {
        name: &command.name.value,
        name_range: command.name.range,
        options: spec.options,
        kind: OwnerKind::Command(spec.name),
    };
    let before = out.len();
    report_parse(cx, &owner, &tokens, &parsed, out);

    let leftovers = match spec.name {
        "raid" | "volgroup" | "stratispool" => Leftovers::Members,
        "btrfs" | "device" => Leftovers::Payload,
        _ => Leftovers::Reject,
    };
    let mut words: Vec<&Token> = Vec::new();
    for token in &parsed.extras {
        let class = class_of(&tokens, &parsed, token);
        let is_option = !matches!(class, Class::Word);
        if leftovers == Leftovers::Reject || is_option {
            report_extra(cx, &owner, token, class, out);
        } else {
            words.push(token);
        }
    }
    if out[before..].iter().any(|d| d.severity == Severity::Error) {
        // pykickstart drops the line at the first of these.
        return;
    }
    let mut line = Line {
        cx,
        command,
        spec,
        parsed: &parsed,
        tokens: &tokens,
        out,
        errors: 0,
        reported_pairs: Vec::new(),
    };
    line.exclusive_pairs();
    let entry = line.command_checks(&words);
    let mount_point = line.mount_point_entry(&words);
    if line.errors == 0 {
        for entry in entry.into_iter().chain(mount_point) {
            data_entry(
                cx,
                state,
                entry.kind,
                entry.key,
                entry.range,
                entry.message,
                out,
            );
        }
    }
}

fn class_of<'p>(tokens: &[Token], parsed: &'p Parsed, token: &Token) -> &'p Class {
    let index = tokens
        .iter()
        .position(|t| std::ptr::eq(t, token))
        .expect("extras come from the token list");
    &parsed.classes[index]
}

/// A data entry to compare with the earlier ones.
struct Entry {
    kind: &'static str,
    key: String,
    range: TextRange,
    message: Box<dyn FnOnce() -> String>,
}

impl Entry {
    fn new(
        kind: &'static str,
        key: String,
        range: TextRange,
        message: impl FnOnce() -> String + 'static,
    ) -> Option<Entry> {
        Some(Entry {
            kind,
            key,
            range,
            message: Box::new(message),
        })
    }
}

struct Line<'c, 'a, 't> {
    cx: &'c Context<'a>,
    command: &'c Command,
    spec: &'static CommandSpec,
    parsed: &'c Parsed<'t>,
    tokens: &'t [Token],
    out: &'c mut Vec<Diagnostic>,
    errors: usize,
    reported_pairs: Vec<(&'static str, &'static str)>,
}

impl Line<'_, '_, '_> {
    fn version(&self) -> SyntaxVersion {
        self.cx.version
    }

    fn name(&self) -> &str {
        &self.command.name.value
    }

    fn has_option(&self, primary: &str) -> bool {
        self.spec.live_options().any(|o| o.name() == primary)
    }

    fn has(&self, primary: &str) -> bool {
        self.parsed.has(primary)
    }

    fn truthy(&self, primary: &str) -> bool {
        self.parsed.truthy(primary)
    }

    fn value(&self, primary: &str) -> Option<&str> {
        self.parsed.value(primary)
    }

    /// The option's name as written (last use), or the command name.
    fn at(&self, primary: &str) -> TextRange {
        self.parsed
            .get(primary)
            .map_or(self.command.name.range, |g| g.token.name_range)
    }

    /// The option's last value, or its name when it has none.
    fn value_at(&self, primary: &str) -> TextRange {
        self.parsed
            .get(primary)
            .and_then(|g| g.values.last())
            .map(|v| v.range)
            .filter(|r| !r.is_empty())
            .unwrap_or_else(|| self.at(primary))
    }

    fn report(&mut self, rule: &'static Rule, range: TextRange, message: String) {
        if rule.default_severity == Severity::Error {
            self.errors += 1;
        }
        self.out
            .push(Diagnostic::new(rule, self.cx.file_id, range, message));
    }

    /// `a` and `b` given together (both true after parsing).
    fn conflict(&mut self, a: &'static str, b: &'static str) {
        if !(self.truthy(a) && self.truthy(b)) {
            return;
        }
        let pair = if a < b { (a, b) } else { (b, a) };
        if self.reported_pairs.contains(&pair) {
            return;
        }
        self.reported_pairs.push(pair);
        let (first, second) = match (self.parsed.get(a), self.parsed.get(b)) {
            (Some(ga), Some(gb)) if ga.token.range.start > gb.token.range.start => (b, a),
            _ => (a, b),
        };
        let first_range = self.at(first);
        let message = format!(
            "`{first}` and `{second}` cannot be used together in `{}`",
            self.name()
        );
        self.errors += 1;
        self.out.push(
            Diagnostic::new(
                &CONFLICTING_OPTIONS,
                self.cx.file_id,
                self.at(second),
                message,
            )
            .with_related(
                self.cx.file_id,
                first_range,
                format!("`{first}` is given here"),
            ),
        );
    }

    /// `option` is given (true) without `needed`.
    fn requires(&mut self, option: &str, needed: &str, why: &str) {
        if self.truthy(option) && !self.truthy(needed) {
            let message = format!("`{option}` needs `{needed}`{why}");
            self.report(&OPTION_REQUIRES_OPTION, self.at(option), message);
        }
    }

    fn exclusive_pairs(&mut self) {
        for &(a, b) in self.spec.exclusive {
            self.conflict(a, b);
        }
    }

    /// Exactly one of `options` must be given; the ones this release lacks are skipped.
    fn one_of(&mut self, options: &[&'static str], required: bool) {
        let known: Vec<&'static str> = options
            .iter()
            .copied()
            .filter(|o| self.has_option(o))
            .collect();
        let used: Vec<&'static str> = known.iter().copied().filter(|o| self.truthy(o)).collect();
        if used.is_empty() && required {
            let message = format!(
                "`{}` needs one of {}",
                self.name(),
                list_or(known.iter().copied())
            );
            self.report(&MISSING_REQUIRED_OPTION, self.command.name.range, message);
        }
        for pair in used.windows(2) {
            self.conflict(pair[0], pair[1]);
        }
        if used.len() > 2 {
            self.conflict(used[0], used[2]);
        }
    }

    fn words(&self, index: usize) -> &[Value] {
        self.parsed.positional(index)
    }

    /// `--type`/`--fstype` that pykickstart's RHEL classes reject with
    /// "Btrfs file system is not supported".
    fn rhel_rejects_btrfs(&self) -> bool {
        let class = self.spec.class;
        ["RHEL8_", "RHEL9_", "RHEL10_"]
            .iter()
            .any(|prefix| class.starts_with(prefix))
            && !(self.spec.name == "raid" && class.starts_with("RHEL10_"))
    }

    fn btrfs_unsupported(&mut self, range: TextRange) {
        let message = format!("btrfs is not supported in {}", self.version());
        self.report(&INVALID_OPTION_VALUE, range, message);
    }

    /// `--mkfsoptions` rules shared by `part`, `logvol` and `raid`.
    fn mkfsoptions(&mut self) {
        if !self.has_option("--mkfsoptions") {
            return;
        }
        if self.has("--noformat") && self.truthy("--mkfsoptions") {
            let message = "`--mkfsoptions` has no effect with `--noformat`".to_string();
            self.report(&CONFLICTING_OPTIONS, self.at("--mkfsoptions"), message);
        }
        self.conflict("--fsprofile", "--mkfsoptions");
    }

    /// `--hw-passphrase` needs LUKS2 HW-OPAL encryption.
    fn hw_passphrase(&mut self) {
        if self.truthy("--hw-passphrase")
            && (!self.truthy("--encrypted")
                || !self
                    .value("--luks-version")
                    .unwrap_or("")
                    .starts_with("luks2-"))
        {
            let message =
                "`--hw-passphrase` needs `--encrypted` with `--luks-version=luks2-hw-opal`"
                    .to_string();
            self.report(&OPTION_REQUIRES_OPTION, self.at("--hw-passphrase"), message);
        }
    }

    fn preexisting(&self) -> bool {
        self.truthy("--useexisting") || self.has("--noformat")
    }

    fn command_checks(&mut self, leftover_words: &[&Token]) -> Option<Entry> {
        match self.spec.name {
            "autopart" => self.autopart(),
            "bootloader" if self.value("--boot-drive").is_some_and(|d| d.contains(',')) => {
                let message = "`--boot-drive` takes a single disk".to_string();
                self.report(
                    &INVALID_OPTION_VALUE,
                    self.value_at("--boot-drive"),
                    message,
                );
            }
            "btrfs" => return self.btrfs(leftover_words),
            "cmdline" | "graphical" | "text"
                if self.name() == "cmdline" && self.truthy("--non-interactive") =>
            {
                let message =
                    "`cmdline` does not take `--non-interactive`; only `graphical` and `text` do"
                        .to_string();
                self.report(&UNKNOWN_OPTION, self.at("--non-interactive"), message);
            }
            "device" => {
                // F8 and later: the module name; before: type and module.
                let wanted = if self.spec.class == "FC3_Device" {
                    2
                } else {
                    1
                };
                if leftover_words.len() != wanted {
                    let message = if wanted == 1 {
                        "`device` takes one argument: the kernel module name"
                    } else {
                        "`device` takes two arguments: the module type and name"
                    };
                    let range = leftover_words
                        .get(wanted)
                        .map_or(self.command.name.range, |t| t.range);
                    self.report(&WRONG_ARGUMENT_COUNT, range, message.to_string());
                }
            }
            "driverdisk" => self.driverdisk(),
            "eula" if !self.truthy("--agreed") => {
                let message = "`eula` needs `--agreed`".to_string();
                self.report(&MISSING_REQUIRED_OPTION, self.command.name.range, message);
            }
            "fcoe" => return self.keyed("fcoe", "--nic", "FCoE NIC"),
            "group" => return self.keyed("group", "--name", "group"),
            "harddrive" if self.has_option("--biospart") => {
                let given = ["--biospart", "--partition"]
                    .iter()
                    .filter(|o| self.has(o))
                    .count();
                if given == 0 {
                    let message = "`harddrive` needs `--partition` or `--biospart`".to_string();
                    self.report(&MISSING_REQUIRED_OPTION, self.command.name.range, message);
                } else if given == 2 {
                    let message =
                        "`--biospart` and `--partition` cannot be used together in `harddrive`"
                            .to_string();
                    self.report(&CONFLICTING_OPTIONS, self.at("--partition"), message);
                }
            }
            "ignoredisk" => {
                let mut options = vec!["--drives", "--only-use"];
                if matches!(self.spec.class, "RHEL6_IgnoreDisk" | "F14_IgnoreDisk") {
                    options.push("--interactive");
                }
                self.one_of(&options, true);
            }
            "keyboard" => self.keyboard(),
            "logging" => self.requires("--port", "--host", ""),
            "logvol" => return self.logvol(),
            "mount" => self.mount(),
            "network" => return self.network(),
            "nvdimm" => return self.nvdimm(),
            "ostreesetup" => {
                if let Some(url) = self.value("--url") {
                    if !url.starts_with("file:")
                        && !url.starts_with("http:")
                        && !url.starts_with("https:")
                    {
                        let message =
                            format!("`--url` must be a file:, http: or https: URL, not `{url}`");
                        self.report(&INVALID_OPTION_VALUE, self.value_at("--url"), message);
                    }
                }
            }
            "part" => return self.part(),
            "raid" => return self.raid(leftover_words),
            "repo" => {
                // Before F15 (so RHEL 6) a repo needs a URL.
                self.one_of(
                    &["--baseurl", "--mirrorlist", "--metalink"],
                    self.version() < SyntaxVersion::F15,
                );
                return self.keyed("repo", "--name", "repository");
            }
            "rhsm" => {
                if let Some(given) = self.parsed.given.iter().find(|g| {
                    g.spec.name() == "--activation-key"
                        && g.values.iter().any(|v| v.text.is_empty())
                }) {
                    let range = given.token.range;
                    self.report(
                        &INVALID_OPTION_VALUE,
                        range,
                        "an empty `--activation-key` is not valid".to_string(),
                    );
                }
            }
            "rootpw" => {
                let password = self.words(0).first().is_some_and(|v| !v.text.is_empty());
                let lock_counts = self.has_option("--lock") && self.version() >= SyntaxVersion::F18;
                if !(password || (lock_counts && self.truthy("--lock"))) {
                    let message = if lock_counts {
                        "`rootpw` needs a password (or `--lock`)"
                    } else {
                        "`rootpw` needs a password"
                    };
                    self.report(
                        &WRONG_ARGUMENT_COUNT,
                        self.command.name.range,
                        message.to_string(),
                    );
                }
            }
            "services" => self.one_of_required_any(&["--disabled", "--enabled"]),
            "snapshot" => return self.snapshot(),
            "sshkey" => return self.keyed("sshkey", "--username", "ssh key user"),
            "sshpw" => {
                if self.words(0).iter().all(|v| v.text.is_empty()) {
                    let message = "`sshpw` needs a password".to_string();
                    self.report(&WRONG_ARGUMENT_COUNT, self.command.name.range, message);
                }
                return self.keyed("sshpw", "--username", "ssh user");
            }
            "stratisfs" => {
                self.requires("--maxsize", "--grow", "");
                let pool = self.value("--poolname").unwrap_or("").to_string();
                let name = self.value("--name").unwrap_or("").to_string();
                let key = format!("{pool}/{name}");
                return Entry::new("stratisfs", key, self.value_at("--name"), move || {
                    format!("stratis file system `{name}` in pool `{pool}` is already defined")
                });
            }
            "stratispool" => {
                return self.volgroup_like(leftover_words, "stratispool", "--passphrase")
            }
            "timesource" => self.one_of(&["--ntp-server", "--ntp-pool", "--ntp-disable"], true),
            "timezone" => self.timezone(),
            "updates"
                if self
                    .spec
                    .positionals
                    .first()
                    .is_some_and(|p| p.nargs == Nargs::ZeroOrMore) =>
            {
                self.too_many(0, 1, "an update image location");
            }
            "url" if self.version() >= SyntaxVersion::F18 => {
                self.one_of(&["--url", "--mirrorlist", "--metalink"], true);
            }
            "user" => return self.keyed("user", "--name", "user"),
            "volgroup" => return self.volgroup_like(leftover_words, "volgroup", ""),
            "zfcp" => return self.zfcp(),
            _ => {}
        }
        None
    }

    fn one_of_required_any(&mut self, options: &[&'static str]) {
        if !options.iter().any(|o| self.truthy(o)) {
            let message = format!(
                "`{}` needs {}",
                self.name(),
                list_or(options.iter().copied())
            );
            self.report(&MISSING_REQUIRED_OPTION, self.command.name.range, message);
        }
    }

    /// Reports the words of positional `index` beyond `max`.
    fn too_many(&mut self, index: usize, max: usize, what: &str) {
        let words = self.words(index);
        if words.len() > max {
            let surplus = words[max].range.cover(words[words.len() - 1].range);
            let message = format!(
                "`{}` takes {} {what}; `{}` is one too many",
                self.name(),
                if max == 1 { "one" } else { "no" },
                words[max].text
            );
            self.report(&WRONG_ARGUMENT_COUNT, surplus, message);
        }
    }

    fn keyed(&mut self, kind: &'static str, option: &str, what: &'static str) -> Option<Entry> {
        let value = self.value(option)?.to_string();
        Entry::new(kind, value.clone(), self.value_at(option), move || {
            format!("{what} `{value}` is already defined")
        })
    }

    fn autopart(&mut self) {
        let kind = self.value("--type").map(str::to_ascii_lowercase);
        if self.value("--fstype") == Some("btrfs") && self.has_option("--type") {
            let message =
                "`--fstype=btrfs` is not valid for `autopart`; use `--type=btrfs`".to_string();
            self.report(&INVALID_OPTION_VALUE, self.value_at("--fstype"), message);
        } else if kind.as_deref() == Some("btrfs") && self.truthy("--fstype") {
            let message = "`--fstype` cannot be used with `--type=btrfs`".to_string();
            self.report(&CONFLICTING_OPTIONS, self.at("--fstype"), message);
        }
        if kind.as_deref() == Some("btrfs") && self.rhel_rejects_btrfs() {
            let range = self.value_at("--type");
            self.btrfs_unsupported(range);
        }
        self.hw_passphrase();
        if kind.as_deref() == Some("stratis") && self.spec.class.starts_with("F45_") {
            for option in [
                "--luks-version",
                "--pbkdf",
                "--pbkdf-memory",
                "--pbkdf-time",
                "--pbkdf-iterations",
                "--hw-passphrase",
                "--escrowcert",
                "--backuppassphrase",
                "--cipher",
                "--fstype",
            ] {
                if self.truthy(option) {
                    let message = format!("`{option}` cannot be used with `--type=stratis`");
                    self.report(&CONFLICTING_OPTIONS, self.at(option), message);
                }
            }
        }
    }

    fn btrfs(&mut self, words: &[&Token]) -> Option<Entry> {
        let Some(mountpoint) = words.first() else {
            let message = "`btrfs` needs a mount point".to_string();
            self.report(&WRONG_ARGUMENT_COUNT, self.command.name.range, message);
            return None;
        };
        let subvol = self.truthy("--subvol");
        if words.len() == 1 {
            let message = if subvol {
                "a btrfs subvolume needs its parent volume after the mount point"
            } else {
                "`btrfs` needs the partitions of the volume after the mount point"
            };
            self.report(&WRONG_ARGUMENT_COUNT, mountpoint.range, message.to_string());
        }
        if subvol && !self.truthy("--name") {
            let message = "a btrfs subvolume needs `--name`".to_string();
            self.report(&MISSING_REQUIRED_OPTION, self.at("--subvol"), message);
        }
        if self.spec.class != "F17_BTRFS" && self.preexisting() && self.truthy("--mkfsoptions") {
            let message =
                "`--mkfsoptions` has no effect with `--noformat` or `--useexisting`".to_string();
            self.report(&CONFLICTING_OPTIONS, self.at("--mkfsoptions"), message);
        }
        if mountpoint.text.starts_with('/') {
            return None;
        }
        let key = normalize_mountpoint(&mountpoint.text);
        Entry::new("btrfs", key.clone(), mountpoint.range, move || {
            format!("a btrfs volume with mount point `{key}` is already defined")
        })
    }

    fn driverdisk(&mut self) {
        let partitions = self.words(0).len();
        if partitions > 1 {
            self.too_many(0, 1, "partition");
        }
        let has_partition = partitions > 0;
        if has_partition {
            for option in ["--source", "--biospart"] {
                if self.truthy(option) {
                    let message = format!("a partition and `{option}` cannot be used together");
                    self.report(&CONFLICTING_OPTIONS, self.at(option), message);
                }
            }
        }
        self.conflict("--source", "--biospart");
        if !has_partition && !self.truthy("--source") && !self.truthy("--biospart") {
            let choices = if self.has_option("--biospart") {
                "a partition, `--source` or `--biospart`"
            } else {
                "a partition or `--source`"
            };
            let message = format!("`driverdisk` needs {choices}");
            self.report(&MISSING_REQUIRED_OPTION, self.command.name.range, message);
        }
    }

    fn keyboard(&mut self) {
        if self.has_option("--vckeymap") {
            self.too_many(0, 1, "layout");
            if self.words(0).is_empty() && !self.truthy("--vckeymap") && !self.truthy("--xlayouts")
            {
                let message = "`keyboard` needs a layout, `--vckeymap` or `--xlayouts`".to_string();
                self.report(&MISSING_REQUIRED_OPTION, self.command.name.range, message);
            }
        } else if self.words(0).len() != 1 {
            if self.words(0).is_empty() {
                let message = "`keyboard` needs a layout".to_string();
                self.report(&WRONG_ARGUMENT_COUNT, self.command.name.range, message);
            } else {
                self.too_many(0, 1, "layout");
            }
        }
    }

    fn logvol(&mut self) -> Option<Entry> {
        self.mkfsoptions();
        if self.version() >= SyntaxVersion::F21 {
            self.conflict("--size", "--percent");
        }
        self.conflict("--thin", "--thinpool");
        self.requires("--thin", "--poolname", " to name its thin pool");
        for option in ["--chunksize", "--metadatasize"] {
            if self.truthy(option) && !self.truthy("--thinpool") {
                let message = format!("`{option}` is only for thin pools (`--thinpool`)");
                self.report(&OPTION_REQUIRES_OPTION, self.at(option), message);
            }
        }
        let preexist = self.preexisting();
        // F20_LogVol added the size and percentage checks (RHEL 7 and later).
        let sized = self.version() >= SyntaxVersion::F20;
        if sized
            && !preexist
            && !["--percent", "--size", "--recommended", "--hibernation"]
                .iter()
                .any(|o| self.truthy(o))
        {
            let message = "`logvol` needs a size: `--size`, `--percent`, `--recommended` or `--hibernation` (or `--useexisting`/`--noformat`)".to_string();
            self.report(&MISSING_REQUIRED_OPTION, self.command.name.range, message);
        }
        if let Some(percent) = self.parsed.int("--percent") {
            if !(0..=100).contains(&percent) && sized {
                let message = format!("`--percent` must be between 0 and 100, not {percent}");
                self.report(&INVALID_OPTION_VALUE, self.value_at("--percent"), message);
            }
        }
        if self.truthy("--resize") && !preexist {
            let message = "`--resize` needs `--useexisting`".to_string();
            self.report(&OPTION_REQUIRES_OPTION, self.at("--resize"), message);
        }
        self.requires("--resize", "--size", " for the new size");
        if self.has_option("--cachesize")
            && ["--cachesize", "--cachemode", "--cachepvs"]
                .iter()
                .any(|o| self.truthy(o))
        {
            let cache = ["--cachesize", "--cachemode", "--cachepvs"]
                .into_iter()
                .find(|o| self.truthy(o))
                .unwrap_or("--cachesize");
            if preexist {
                let message = "a cache cannot be added to an existing logical volume".to_string();
                self.report(&CONFLICTING_OPTIONS, self.at(cache), message);
            } else if self.truthy("--thin") {
                let message = "thin volumes cannot be cached".to_string();
                self.report(&CONFLICTING_OPTIONS, self.at(cache), message);
            } else if !self.truthy("--cachepvs") {
                let message = "a cache needs `--cachepvs` (the fast physical volumes)".to_string();
                self.report(&OPTION_REQUIRES_OPTION, self.at(cache), message);
            } else if !self.truthy("--cachesize") {
                let message = "a cache needs `--cachesize`".to_string();
                self.report(&OPTION_REQUIRES_OPTION, self.at(cache), message);
            } else if let Some(mode) = self.value("--cachemode").filter(|m| !m.is_empty()) {
                if mode != "writeback" && mode != "writethrough" {
                    let message =
                        format!("`--cachemode` is `writeback` or `writethrough`, not `{mode}`");
                    self.report(&INVALID_OPTION_VALUE, self.value_at("--cachemode"), message);
                }
            }
        }
        if self.value("--fstype") == Some("btrfs") && self.rhel_rejects_btrfs() {
            let range = self.value_at("--fstype");
            self.btrfs_unsupported(range);
        }
        let vg = self.value("--vgname").unwrap_or("").to_string();
        let name = self.value("--name").unwrap_or("").to_string();
        Entry::new(
            "logvol",
            format!("{vg}/{name}"),
            self.value_at("--name"),
            move || format!("logical volume `{name}` in volume group `{vg}` is already defined"),
        )
    }

    fn mount(&mut self) {
        if let Some(point) = self.words(1).first() {
            if !point.text.eq_ignore_ascii_case("none") && !point.text.starts_with('/') {
                let message = format!(
                    "`{}` is not a mount point; use an absolute path or `none`",
                    point.text
                );
                self.report(&INVALID_OPTION_VALUE, point.range, message);
            }
        }
        if !self.has("--reformat") && self.truthy("--mkfsoptions") {
            let message = "`--mkfsoptions` needs `--reformat`".to_string();
            self.report(&OPTION_REQUIRES_OPTION, self.at("--mkfsoptions"), message);
        }
    }

    fn network(&mut self) -> Option<Entry> {
        if self.spec.class == "RHEL7_Network" {
            if let Some(problem) = vlan_name_problem(self.value("--interfacename").unwrap_or("")) {
                let message = format!("`--interfacename`: {problem}");
                self.report(
                    &INVALID_OPTION_VALUE,
                    self.value_at("--interfacename"),
                    message,
                );
            }
        }
        if self.has_option("--bridgeopts") && self.truthy("--bridgeopts") {
            self.requires("--bridgeopts", "--bridgeslaves", "");
            let bad = self
                .value("--bridgeopts")
                .unwrap_or("")
                .split(',')
                .any(|opt| {
                    let value = opt.split_once('=').map_or("", |(_, v)| v);
                    value.is_empty() || value.contains('=')
                });
            if bad {
                let message =
                    "`--bridgeopts` takes key=value pairs separated by commas".to_string();
                self.report(
                    &INVALID_OPTION_VALUE,
                    self.value_at("--bridgeopts"),
                    message,
                );
            }
        }
        if self.value("--bindto") == Some("mac")
            && self.truthy("--vlanid")
            && !self.truthy("--bondopts")
            && self.version() >= SyntaxVersion::RHEL7
        {
            let message = "`--bindto=mac` is not supported for VLAN devices".to_string();
            self.report(&CONFLICTING_OPTIONS, self.at("--bindto"), message);
        }
        if !self.truthy("--device") {
            for option in [
                "--ipv4-dns-search",
                "--ipv6-dns-search",
                "--ipv4-ignore-auto-dns",
                "--ipv6-ignore-auto-dns",
            ] {
                self.requires(option, "--device", "");
            }
        }
        let device = self.value("--device").unwrap_or("").to_string();
        let range = if self.has("--device") {
            self.value_at("--device")
        } else {
            self.command.name.range
        };
        Entry::new("network", device.clone(), range, move || {
            if device.is_empty() {
                "another `network` line without `--device`; pykickstart takes both for the same device".to_string()
            } else {
                format!("network device `{device}` is already configured")
            }
        })
    }

    /// The mount point of a storage line, compared across `part`, `logvol`,
    /// `raid`, `btrfs`, `stratisfs` and `mount`: the installer cannot mount
    /// two devices on one directory (pykickstart only compares `part` lines).
    fn mount_point_entry(&self, leftover_words: &[&Token]) -> Option<Entry> {
        let (text, range) = match self.spec.name {
            "part" | "logvol" | "raid" | "stratisfs" => {
                let word = self.words(0).first()?;
                (word.text.clone(), word.range)
            }
            "mount" => {
                let word = self.words(1).first()?;
                (word.text.clone(), word.range)
            }
            "btrfs" => {
                let word = leftover_words.first()?;
                (word.text.clone(), word.range)
            }
            _ => return None,
        };
        if !text.starts_with('/') {
            return None;
        }
        let key = normalize_mountpoint(&text);
        Entry::new("mountpoint", key.clone(), range, move || {
            format!("mount point `{key}` is already used by an earlier storage line")
        })
    }

    fn nvdimm(&mut self) -> Option<Entry> {
        let action = self.words(0).first()?.text.clone();
        self.conflict("--namespace", "--blockdevs");
        let namespace = self.truthy("--namespace");
        if action == "reconfigure" {
            if !namespace {
                let message = "`nvdimm reconfigure` needs `--namespace`".to_string();
                self.report(&MISSING_REQUIRED_OPTION, self.command.name.range, message);
            } else if self.value("--mode").unwrap_or("sector") == "sector"
                && !self.truthy("--sectorsize")
            {
                let message =
                    "`nvdimm reconfigure` in sector mode needs `--sectorsize`".to_string();
                self.report(&MISSING_REQUIRED_OPTION, self.command.name.range, message);
            }
        } else if action == "use" && !namespace && !self.truthy("--blockdevs") {
            let message = "`nvdimm use` needs `--namespace` or `--blockdevs`".to_string();
            self.report(&MISSING_REQUIRED_OPTION, self.command.name.range, message);
        }
        let devices: Vec<&str> = self
            .value("--blockdevs")
            .unwrap_or("")
            .split(',')
            .map(str::trim)
            .filter(|d| !d.is_empty())
            .collect();
        let key = format!(
            "{action} {} {}",
            self.value("--namespace").unwrap_or(""),
            devices.join(",")
        );
        Entry::new("nvdimm", key, self.command.name.range, move || {
            format!("the same `nvdimm {action}` is already defined")
        })
    }

    fn part(&mut self) -> Option<Entry> {
        let mountpoint = self.words(0).first().cloned();
        if self.version() >= SyntaxVersion::F20
            && self.value("--fstype") == Some("tmpfs")
            && (self.truthy("--grow") || self.parsed.int("--maxsize").is_some_and(|m| m != 0))
        {
            let option = if self.truthy("--grow") {
                "--grow"
            } else {
                "--maxsize"
            };
            let message = format!("`{option}` cannot be used with `--fstype=tmpfs`");
            self.report(&CONFLICTING_OPTIONS, self.at(option), message);
        }
        if self.version() >= SyntaxVersion::F17 {
            self.requires("--resize", "--onpart", "");
            self.requires("--resize", "--size", " for the new size");
        }
        self.mkfsoptions();
        if self.rhel_rejects_btrfs() {
            if self.value("--fstype") == Some("btrfs") {
                let range = self.value_at("--fstype");
                self.btrfs_unsupported(range);
            } else if let Some(point) = mountpoint.as_ref().filter(|p| p.text.starts_with("btrfs."))
            {
                self.btrfs_unsupported(point.range);
            }
        }
        self.hw_passphrase();
        let point = mountpoint?;
        // Absolute mount points are compared across commands instead.
        if point.text == "swap" || point.text.starts_with('/') {
            return None;
        }
        let key = if self
            .spec
            .positionals
            .first()
            .is_some_and(|p| p.value == ValueKind::MountPoint)
        {
            normalize_mountpoint(&point.text)
        } else {
            point.text.clone()
        };
        Entry::new("part", key.clone(), point.range, move || {
            format!("a partition with mount point `{key}` is already defined")
        })
    }

    fn raid(&mut self, leftover_words: &[&Token]) -> Option<Entry> {
        let members = !self.words(1).is_empty() || !leftover_words.is_empty();
        let preexist = self.preexisting();
        if !members && !preexist {
            let message = "`raid` needs its member partitions after the mount point".to_string();
            self.report(&WRONG_ARGUMENT_COUNT, self.command.name.range, message);
        } else if members && preexist {
            let option = if self.has("--useexisting") {
                "--useexisting"
            } else {
                "--noformat"
            };
            let message =
                format!("members cannot be listed for an existing RAID device (`{option}`)");
            self.report(&CONFLICTING_OPTIONS, self.at(option), message);
        }
        self.mkfsoptions();
        if !preexist && !self.truthy("--level") {
            let message = "`raid` needs `--level`".to_string();
            self.report(&MISSING_REQUIRED_OPTION, self.command.name.range, message);
        }
        if preexist && self.value("--device").unwrap_or("").is_empty() {
            let message = "an existing RAID device needs `--device`".to_string();
            self.report(&MISSING_REQUIRED_OPTION, self.command.name.range, message);
        }
        if self.value("--fstype") == Some("btrfs") && self.rhel_rejects_btrfs() {
            let range = self.value_at("--fstype");
            self.btrfs_unsupported(range);
        }
        let device = self.value("--device")?.to_string();
        Entry::new(
            "raid",
            device.clone(),
            self.value_at("--device"),
            move || format!("RAID device `{device}` is already defined"),
        )
    }

    fn snapshot(&mut self) -> Option<Entry> {
        if let Some(origin) = self.words(0).first() {
            let parts: Vec<&str> = origin.text.split('/').collect();
            if parts.len() != 2 || parts.iter().any(|p| p.is_empty()) {
                let message = format!("the snapshot origin must be VG/LV, not `{}`", origin.text);
                self.report(&INVALID_OPTION_VALUE, origin.range, message);
            }
        }
        self.keyed("snapshot", "--name", "snapshot")
    }

    fn timezone(&mut self) {
        let positional = self.spec.positionals.first();
        if positional.is_some_and(|p| p.nargs == Nargs::ZeroOrMore) {
            if self.tokens.is_empty() {
                let message = "`timezone` needs a time zone or an option".to_string();
                self.report(&WRONG_ARGUMENT_COUNT, self.command.name.range, message);
            }
            self.too_many(0, 1, "time zone");
        }
        if self.spec.class != "RHEL10_Timezone" {
            self.conflict("--nontp", "--ntpservers");
        }
        // F32/F33 classes (F32–F39, RHEL 9) warn in parse(), not in argparse.
        let owner = Owner {
            name: "timezone",
            name_range: self.command.name.range,
            options: self.spec.options,
            kind: OwnerKind::Command("timezone"),
        };
        let warns_is_utc = matches!(self.spec.class, "F32_Timezone" | "F33_Timezone");
        let warns_ntp = self.spec.class == "F33_Timezone";
        for given in &self.parsed.given {
            let option = given.spec.name();
            let literal_is_utc = given.token.text == "--isUtc";
            let warn = (warns_is_utc && literal_is_utc)
                || (warns_ntp && option == "--ntpservers" && self.parsed.truthy("--ntpservers"))
                || (warns_ntp && option == "--nontp");
            if warn {
                let shown = if literal_is_utc { "--isUtc" } else { option };
                let message = format!(
                    "`{shown}` of `timezone` is deprecated in {}",
                    self.cx.version
                );
                deprecation_tail(self.cx, &owner, given.token, shown, message, self.out);
            }
        }
    }

    fn volgroup_like(
        &mut self,
        leftover_words: &[&Token],
        kind: &'static str,
        needs_encrypted: &str,
    ) -> Option<Entry> {
        let mut names: Vec<Value> = self.words(0).to_vec();
        let mut members: Vec<Value> = self.words(1).to_vec();
        if members.is_empty() {
            if !leftover_words.is_empty() {
                members = leftover_words
                    .iter()
                    .map(|t| Value {
                        text: t.text.clone(),
                        range: t.range,
                    })
                    .collect();
            } else if names.len() > 1 {
                members = names.split_off(1);
            }
        }
        let what = if kind == "volgroup" {
            "volume group"
        } else {
            "pool"
        };
        let Some(name) = names.first().cloned() else {
            let message = format!("`{}` needs a {what} name", self.name());
            self.report(&WRONG_ARGUMENT_COUNT, self.command.name.range, message);
            return None;
        };
        let preexist = self.preexisting();
        if members.is_empty() && !preexist {
            let message = format!(
                "`{}` needs its {} after the name",
                self.name(),
                if kind == "volgroup" {
                    "physical volumes"
                } else {
                    "block devices"
                }
            );
            self.report(&WRONG_ARGUMENT_COUNT, name.range, message);
        } else if !members.is_empty() && preexist {
            let option = if self.has("--useexisting") {
                "--useexisting"
            } else {
                "--noformat"
            };
            let message = format!("members cannot be listed for an existing {what} (`{option}`)");
            self.report(&CONFLICTING_OPTIONS, self.at(option), message);
        }
        if !needs_encrypted.is_empty() {
            self.requires(needs_encrypted, "--encrypted", "");
        }
        if let Some(space) = self.parsed.int("--reserved-space").filter(|s| *s < 0) {
            let message = format!("`--reserved-space` cannot be negative ({space})");
            self.report(
                &INVALID_OPTION_VALUE,
                self.value_at("--reserved-space"),
                message,
            );
        }
        if let Some(percent) = self.parsed.int("--reserved-percent") {
            if !(1..=99).contains(&percent) {
                let message =
                    format!("`--reserved-percent` must be between 1 and 99, not {percent}");
                self.report(
                    &INVALID_OPTION_VALUE,
                    self.value_at("--reserved-percent"),
                    message,
                );
            }
        }
        let key = name.text.clone();
        Entry::new(kind, key.clone(), name.range, move || {
            format!("{what} `{key}` is already defined")
        })
    }

    fn zfcp(&mut self) -> Option<Entry> {
        let optional_wwpn = self
            .spec
            .live_options()
            .any(|o| o.name() == "--wwpn" && !o.required);
        if optional_wwpn {
            let (wwpn, lun) = (self.truthy("--wwpn"), self.truthy("--fcplun"));
            if wwpn != lun {
                let (given, missing) = if wwpn {
                    ("--wwpn", "--fcplun")
                } else {
                    ("--fcplun", "--wwpn")
                };
                let message = format!("`{given}` needs `{missing}` (give both or neither)");
                self.report(&OPTION_REQUIRES_OPTION, self.at(given), message);
            }
        }
        let key = ["--devnum", "--wwpn", "--fcplun"]
            .iter()
            .map(|o| self.value(o).unwrap_or(""))
            .collect::<Vec<_>>()
            .join(" ");
        Entry::new("zfcp", key, self.value_at("--devnum"), || {
            "this zFCP device is already defined".to_string()
        })
    }
}

/// RHEL 7's check of `network --interfacename` against NetworkManager's VLAN
/// naming (`prefix.ID`, `vlanID`, ID in 0–4095).
fn vlan_name_problem(name: &str) -> Option<&'static str> {
    let mut vlan_id = None;
    if let Some((prefix, id)) = name.split_once('.') {
        if prefix == "vlan" {
            return Some("a `<prefix>.<vlan id>` name cannot use the prefix `vlan`");
        }
        match args::python_int(id) {
            Some(id) => vlan_id = Some(id),
            None => return Some("a name with `.` must end with a VLAN id"),
        }
    }
    if let Some(id) = name.strip_prefix("vlan") {
        match args::python_int(id) {
            Some(id) => vlan_id = Some(id),
            None => return Some("a name starting with `vlan` must continue with a VLAN id"),
        }
    }
    match vlan_id {
        Some(id) if !(0..=4095).contains(&id) => Some("the VLAN id must be between 0 and 4095"),
        _ => None,
    }
}

/// pykickstart's `mountpoint()`: `os.path.normpath` for absolute paths.
fn normalize_mountpoint(point: &str) -> String {
    if !point.starts_with('/') {
        return point.to_string();
    }
    let mut parts: Vec<&str> = Vec::new();
    for part in point.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            other => parts.push(other),
        }
    }
    // POSIX normpath keeps exactly two leading slashes.
    let lead = if point.starts_with("//") && !point.starts_with("///") {
        "//"
    } else {
        "/"
    };
    format!("{lead}{}", parts.join("/"))
}

/// `realm join [--opt=value …] DOMAIN`: pykickstart reads it with getopt.
fn realm<'a>(
    cx: &Context,
    command: &'a Command,
    spec: &'static CommandSpec,
    state: &FileState<'a>,
    out: &mut Vec<Diagnostic>,
) {
    const LONG: &[(&str, bool)] = &[
        ("client-software", true),
        ("server-software", true),
        ("membership-software", true),
        ("one-time-password", true),
        ("no-password", false),
        ("computer-ou", true),
    ];
    let mut error = |range: TextRange, rule: &'static Rule, message: String| {
        out.push(Diagnostic::new(rule, cx.file_id, range, message));
    };
    if let Some(first) = state.seen.get(spec.class) {
        if !std::ptr::eq(*first, command) {
            let mut diagnostic = Diagnostic::new(
                &DUPLICATE_COMMAND,
                cx.file_id,
                command.name.range,
                "`realm join` can be given only once".to_string(),
            )
            .with_related(cx.file_id, first.name.range, "first defined here");
            diagnostic.severity = Severity::Error;
            // Replaces the generic duplicate warning for this line.
            out.retain(|d| {
                !(d.rule == &DUPLICATE_COMMAND && d.location.range == command.name.range)
            });
            out.push(diagnostic);
            return;
        }
    }
    let words: Vec<(String, TextRange)> = command
        .args
        .iter()
        .map(|arg| match arg {
            Arg::Word(word) => (word.value.clone(), word.range),
            Arg::Option(option) => (
                match &option.value {
                    Some(value) => format!("{}={}", option.name, value.value),
                    None if option.range.end > option.name_range.end => format!("{}=", option.name),
                    None => option.name.clone(),
                },
                option.range,
            ),
        })
        .collect();
    let Some((subcommand, sub_range)) = words.first() else {
        error(
            command.name.range,
            &WRONG_ARGUMENT_COUNT,
            "`realm` needs `join` and a domain".to_string(),
        );
        return;
    };
    if subcommand != "join" {
        error(
            *sub_range,
            &INVALID_OPTION_VALUE,
            format!("`realm` supports only `join`, not `{subcommand}`"),
        );
        return;
    }
    let mut index = 1;
    while index < words.len() {
        let (word, range) = &words[index];
        if word == "--" {
            index += 1;
            break;
        }
        let Some(body) = word.strip_prefix("--") else {
            break;
        };
        let (name, inline) = match body.split_once('=') {
            Some((name, value)) => (name, Some(value)),
            None => (body, None),
        };
        let matches: Vec<&(&str, bool)> = match LONG.iter().find(|(long, _)| *long == name) {
            Some(hit) => vec![hit],
            None => LONG
                .iter()
                .filter(|(long, _)| long.starts_with(name))
                .collect(),
        };
        let &&(long, takes_value) = match matches.as_slice() {
            [one] => one,
            [] => {
                error(
                    *range,
                    &UNKNOWN_OPTION,
                    format!("`realm join` does not take `--{name}`"),
                );
                return;
            }
            _ => {
                error(
                    *range,
                    &super::AMBIGUOUS_OPTION,
                    format!("`--{name}` is ambiguous for `realm join`"),
                );
                return;
            }
        };
        if takes_value && inline.is_none() {
            if index + 1 >= words.len() {
                error(
                    *range,
                    &super::MISSING_OPTION_VALUE,
                    format!("`--{long}` needs a value"),
                );
                return;
            }
            index += 1;
        } else if !takes_value && inline.is_some() {
            error(
                *range,
                &super::FLAG_WITH_VALUE,
                format!("`--{long}` takes no value"),
            );
            return;
        }
        index += 1;
    }
    let remaining = &words[index.min(words.len())..];
    if remaining.len() != 1 {
        let range = remaining
            .get(1)
            .map_or(command.name.range, |(_, range)| *range);
        error(
            range,
            &WRONG_ARGUMENT_COUNT,
            "`realm join` takes exactly one domain to join".to_string(),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::normalize_mountpoint;

    #[test]
    fn mount_points_normalise_like_python() {
        assert_eq!(normalize_mountpoint("/boot/"), "/boot");
        assert_eq!(normalize_mountpoint("/var/./log/../tmp"), "/var/tmp");
        assert_eq!(normalize_mountpoint("/"), "/");
        assert_eq!(normalize_mountpoint("swap"), "swap");
        assert_eq!(normalize_mountpoint("//srv"), "//srv");
    }
}
