//! The kickstart command catalogue: which commands, options and sections each
//! pykickstart syntax version knows about.
//!
//! All facts live in static tables in [`generated`](self) (written by
//! `scripts/gen_catalog.py` from pykickstart; see `scripts/README.md`), so
//! looking something up costs a binary search and nothing is parsed at start-up.
//!
//! The model follows pykickstart closely:
//!
//! * A [`SyntaxVersion`] is one of pykickstart's handler versions (`RHEL3` …
//!   `RHEL11`, `FC3` … `F46`). Versions are ordered by pykickstart's internal
//!   number, so RHEL*n* sits between the Fedora releases it branched from
//!   (`F34 < RHEL9 < F35`).
//! * Each version registers a set of command names. A name maps to a
//!   [`CommandSpec`] (one per pykickstart command class) whose
//!   [`CommandStatus`] says whether using it is fine, warns (deprecated) or is
//!   an error (removed). A name that is not registered at all is an
//!   "Unknown command" for that version.
//! * Options are matched like Python's `argparse` with `allow_abbrev` on (see
//!   [`resolve_option`]).
//! * Sections (`%packages`, `%post`, …) have their own header options per
//!   version ([`lookup_section`]).

// Generated tables: kept in the generator's layout, not rustfmt's.
#[rustfmt::skip]
mod generated;
#[cfg(test)]
mod tests;

use std::cmp::Ordering;
use std::fmt;
use std::str::FromStr;

/// The pykickstart release the catalogue was generated from.
pub const PYKICKSTART_VERSION: &str = generated::PYKICKSTART_VERSION;

// ---------------------------------------------------------------------------
// Versions
// ---------------------------------------------------------------------------

/// One pykickstart syntax version, e.g. `RHEL9` or `F40`.
///
/// Ordering follows pykickstart's internal version numbers, so comparisons
/// such as "deprecated in F40" work across the Fedora and RHEL lines.
/// The default is [`SyntaxVersion::DEVEL`], the newest Fedora syntax (which is
/// also what `ksvalidator` uses when no version is given).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SyntaxVersion(u8);

/// Static facts about one version (generated).
#[derive(Debug)]
struct VersionInfo {
    name: &'static str,
    number: u32,
    rhel: bool,
    major: u16,
}

/// The two release lines pykickstart versions belong to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum VersionLine {
    /// Fedora and Fedora Core (`FC3` … `F46`).
    Fedora,
    /// Red Hat Enterprise Linux and its rebuilds (`RHEL3` … `RHEL11`).
    Rhel,
}

/// Distribution prefixes that name a RHEL major version.
const RHEL_PREFIXES: &[&str] = &[
    "rhel",
    "el",
    "redhat",
    "redhatenterpriselinux",
    "centos",
    "centosstream",
    "centoslinux",
    "rocky",
    "rockylinux",
    "alma",
    "almalinux",
    "ol",
    "oracle",
    "oraclelinux",
];

/// Prefixes that name a Fedora release.
const FEDORA_PREFIXES: &[&str] = &["f", "fc", "fedora", "fedoracore"];

impl SyntaxVersion {
    fn info(self) -> &'static VersionInfo {
        &generated::VERSIONS[usize::from(self.0)]
    }

    /// Parses a version name the way users write it, case-insensitively.
    ///
    /// Accepts pykickstart names (`RHEL7`, `f40`, `FC6`, `DEVEL`, also
    /// `rawhide` for the newest Fedora), Fedora spellings (`fedora40`,
    /// `Fedora 40`, `fc40`) and the names of RHEL rebuilds, which map to the
    /// RHEL syntax of the same major version: `centos7`, `CentOS-Stream-9`,
    /// `el8`, `rocky8`, `alma9`, `almalinux9`, `ol8`, `oraclelinux9`. Spaces,
    /// `-` and `_` are ignored and minor versions are allowed and dropped
    /// (`rhel8.6`, `centos7.9.2009` → `RHEL8`, `RHEL7`). Returns `None` for anything pykickstart has no
    /// handler for (e.g. `F47`, `RHEL2`).
    #[must_use]
    pub fn parse(text: &str) -> Option<SyntaxVersion> {
        let norm: String = text
            .trim()
            .chars()
            .filter(|c| !matches!(c, ' ' | '\t' | '-' | '_'))
            .map(|c| c.to_ascii_lowercase())
            .collect();
        if norm == "devel" || norm == "rawhide" || norm == "fedorarawhide" {
            return Some(SyntaxVersion::DEVEL);
        }
        let digits_at = norm.find(|c: char| c.is_ascii_digit())?;
        let (prefix, rest) = norm.split_at(digits_at);
        let digits_end = rest
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(rest.len());
        let (digits, tail) = rest.split_at(digits_end);
        // Allow minor components ("8.6", "7.9.2009"), nothing else.
        if !tail.is_empty() {
            let minor = tail.strip_prefix('.')?;
            if !minor
                .split('.')
                .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
            {
                return None;
            }
        }
        let major: u16 = digits.parse().ok()?;
        let rhel = if RHEL_PREFIXES.contains(&prefix) {
            true
        } else if FEDORA_PREFIXES.contains(&prefix) {
            false
        } else {
            return None;
        };
        SyntaxVersion::all().find(|v| v.is_rhel() == rhel && v.major() == major)
    }

    /// The pykickstart name, e.g. `"RHEL9"`, `"F40"`, `"FC6"`.
    #[must_use]
    pub fn name(self) -> &'static str {
        self.info().name
    }

    /// pykickstart's internal version number (`F40` = 40000, `RHEL9` = 34100).
    #[must_use]
    pub fn number(self) -> u32 {
        self.info().number
    }

    /// Every version pykickstart knows, oldest first (pykickstart order).
    // The table has fewer than 256 entries (checked by a unit test).
    #[allow(clippy::cast_possible_truncation)]
    pub fn all() -> impl DoubleEndedIterator<Item = SyntaxVersion> + ExactSizeIterator + Clone {
        (0..generated::VERSIONS.len()).map(|i| SyntaxVersion(i as u8))
    }

    /// True for the RHEL line (`RHEL3` … `RHEL11`).
    #[must_use]
    pub fn is_rhel(self) -> bool {
        self.info().rhel
    }

    /// The release line the version belongs to.
    #[must_use]
    pub fn line(self) -> VersionLine {
        if self.is_rhel() {
            VersionLine::Rhel
        } else {
            VersionLine::Fedora
        }
    }

    /// The major release number: 9 for `RHEL9`, 40 for `F40`, 6 for `FC6`.
    #[must_use]
    pub fn major(self) -> u16 {
        self.info().major
    }

    /// The newest version of the given line.
    #[must_use]
    pub fn newest(line: VersionLine) -> SyntaxVersion {
        SyntaxVersion::all()
            .rev()
            .find(|v| v.line() == line)
            .unwrap_or(SyntaxVersion::DEVEL)
    }
}

impl Default for SyntaxVersion {
    fn default() -> Self {
        SyntaxVersion::DEVEL
    }
}

impl fmt::Display for SyntaxVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl fmt::Debug for SyntaxVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Error returned by [`SyntaxVersion::from_str`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownVersion(pub String);

impl fmt::Display for UnknownVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "unknown kickstart syntax version `{}`", self.0)
    }
}

impl std::error::Error for UnknownVersion {}

impl FromStr for SyntaxVersion {
    type Err = UnknownVersion;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        SyntaxVersion::parse(s).ok_or_else(|| UnknownVersion(s.to_string()))
    }
}

// ---------------------------------------------------------------------------
// Specs
// ---------------------------------------------------------------------------

/// What happens when a registered command (or section) is used.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum CommandStatus {
    /// Accepted and parsed.
    Active,
    /// Accepted with a deprecation warning (an error under `ksvalidator`);
    /// pykickstart does not parse the arguments of a deprecated command.
    Deprecated,
    /// Any use is an error (`<cmd> has been removed.`).
    Removed,
}

impl fmt::Display for CommandStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            CommandStatus::Active => "active",
            CommandStatus::Deprecated => "deprecated",
            CommandStatus::Removed => "removed",
        })
    }
}

/// How many values an option or positional consumes (argparse `nargs`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Nargs {
    /// A flag: no value.
    Zero,
    /// Exactly one value (the common case).
    One,
    /// `?`: zero or one value.
    Optional,
    /// `*`: any number of values.
    ZeroOrMore,
    /// `+`: at least one value.
    OneOrMore,
    /// A fixed count other than 0 or 1.
    Exactly(u8),
}

impl Nargs {
    /// Fewest values accepted.
    #[must_use]
    pub fn min(self) -> usize {
        match self {
            Nargs::Zero | Nargs::Optional | Nargs::ZeroOrMore => 0,
            Nargs::One | Nargs::OneOrMore => 1,
            Nargs::Exactly(n) => usize::from(n),
        }
    }

    /// Most values accepted (`None` = unbounded).
    #[must_use]
    pub fn max(self) -> Option<usize> {
        match self {
            Nargs::Zero => Some(0),
            Nargs::One | Nargs::Optional => Some(1),
            Nargs::ZeroOrMore | Nargs::OneOrMore => None,
            Nargs::Exactly(n) => Some(usize::from(n)),
        }
    }
}

/// The argparse action behind an option.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ActionKind {
    /// Stores the value (last one wins when repeated).
    Store,
    /// Flag setting its destination to true.
    StoreTrue,
    /// Flag setting its destination to false (e.g. `--noformat`).
    StoreFalse,
    /// Flag storing a constant (e.g. `autopart --nolvm`).
    StoreConst,
    /// Each use appends its value.
    Append,
    /// Each use appends a constant.
    AppendConst,
    /// Each use extends a list with its values.
    Extend,
    /// Each use extends a list with constants.
    ExtendConst,
}

/// The type of value an option or positional takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ValueKind {
    /// No value (a flag).
    None,
    /// Any string.
    String,
    /// A Python `int` (sizes are plain integers in MiB; `1G` is rejected).
    Int,
    /// pykickstart's boolean: `on/yes/true/1` or `off/no/false/0`, any case.
    Bool,
    /// A comma separated list (empty items dropped).
    CommaList,
    /// A mount point (normalised when it starts with `/`; anything accepted).
    MountPoint,
    /// One of the listed strings, compared exactly (argparse `choices`).
    Choice(&'static [&'static str]),
    /// One of the listed strings, compared case-insensitively (pykickstart
    /// callbacks such as `autopart --type` or `raid --level`).
    ChoiceIgnoreCase(&'static [&'static str]),
}

impl ValueKind {
    /// Whether pykickstart would accept `value` for this kind.
    ///
    /// `Int` follows Python's `int()`: surrounding whitespace, a sign and
    /// single `_` between digits are allowed.
    #[must_use]
    pub fn accepts(&self, value: &str) -> bool {
        match self {
            ValueKind::None => false,
            ValueKind::String | ValueKind::CommaList | ValueKind::MountPoint => true,
            ValueKind::Int => is_python_int(value),
            ValueKind::Bool => ["on", "yes", "true", "1", "off", "no", "false", "0"]
                .iter()
                .any(|b| b.eq_ignore_ascii_case(value)),
            ValueKind::Choice(choices) => choices.contains(&value),
            ValueKind::ChoiceIgnoreCase(choices) => {
                choices.iter().any(|c| c.eq_ignore_ascii_case(value))
            }
        }
    }

    /// The allowed values for the choice kinds.
    #[must_use]
    pub fn choices(&self) -> Option<&'static [&'static str]> {
        match self {
            ValueKind::Choice(c) | ValueKind::ChoiceIgnoreCase(c) => Some(c),
            _ => None,
        }
    }
}

fn is_python_int(value: &str) -> bool {
    let v = value.trim();
    let v = v.strip_prefix(['+', '-']).unwrap_or(v);
    let bytes = v.as_bytes();
    !bytes.is_empty()
        && bytes[0].is_ascii_digit()
        && bytes[bytes.len() - 1].is_ascii_digit()
        && bytes.iter().all(|b| b.is_ascii_digit() || *b == b'_')
        && !v.contains("__")
}

/// One option of a command or section header.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct OptionSpec {
    /// All spellings, primary first (e.g. `["--log", "--logfile"]`).
    pub names: &'static [&'static str],
    /// The argparse action.
    pub action: ActionKind,
    /// How many values it consumes ([`Nargs::Zero`] for flags).
    pub nargs: Nargs,
    /// Value type ([`ValueKind::None`] for flags).
    pub value: ValueKind,
    /// Whether the parser requires the option.
    pub required: bool,
    /// Set when pykickstart marks the option deprecated: every use warns
    /// (an error under `ksvalidator`). The version is the one pykickstart
    /// recorded as the start of the deprecation.
    pub deprecated_in: Option<SyntaxVersion>,
    /// Set when the option was removed from this command's parser in the
    /// given version: it is no longer accepted (an unknown option). Such
    /// entries are kept only so messages can say when it went away.
    pub removed_in: Option<SyntaxVersion>,
    /// Whether repeated uses accumulate (append/extend actions). Repeating
    /// any other option silently keeps the last value.
    pub repeatable: bool,
    /// The argparse destination; options sharing one overwrite each other.
    pub dest: &'static str,
}

impl OptionSpec {
    /// The primary spelling.
    #[must_use]
    pub fn name(&self) -> &'static str {
        self.names[0]
    }

    /// Whether the option takes a value (false for flags).
    #[must_use]
    pub fn takes_value(&self) -> bool {
        self.nargs != Nargs::Zero
    }

    /// Whether the parser still accepts the option.
    #[must_use]
    pub fn is_live(&self) -> bool {
        self.removed_in.is_none()
    }
}

/// One positional argument of a command.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct PositionalSpec {
    /// The name pykickstart documents it under, e.g. `<mntpoint>`.
    pub metavar: &'static str,
    /// How many words it takes, as argparse sees it. Several commands check
    /// the count again in their own code (e.g. `keyboard` takes `*` here
    /// but wants exactly one layout), which the catalogue does not model.
    pub nargs: Nargs,
    /// Value type.
    pub value: ValueKind,
    /// Whether argparse requires it.
    pub required: bool,
}

/// Everything known about one pykickstart command class.
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct CommandSpec {
    /// The pykickstart class, e.g. `F41_Partition`.
    pub class: &'static str,
    /// The primary name, e.g. `part`.
    pub name: &'static str,
    /// Other names handled by the same command object in some version
    /// (`partition`; `authconfig`). For `graphical`/`text`/`cmdline` and
    /// `reboot`/`halt`/`poweroff`/`shutdown` the names are modes of one
    /// object rather than synonyms.
    pub aliases: &'static [&'static str],
    /// Active, deprecated or removed.
    pub status: CommandStatus,
    /// Data commands that may be given several times (`part`, `network`,
    /// `user`, …). Single-use commands given twice: the last one wins.
    pub multi_use: bool,
    /// Options in parser order: live ones first, then removed ones
    /// (`removed_in` set). Empty for removed commands (never parsed).
    pub options: &'static [OptionSpec],
    /// Positional arguments in order (empty: the command takes none).
    pub positionals: &'static [PositionalSpec],
    /// Command names that must not appear in the same file
    /// (`The X and Y commands can't be used at the same time.`).
    pub conflicts: &'static [&'static str],
    /// Pairs of options (primary names, sorted within the pair) that
    /// pykickstart rejects together, e.g. `autopart --noswap --hibernation`.
    /// Only pairs confirmed by running pykickstart are listed; checks that
    /// depend on values (`--fstype` with `--type=btrfs`) are not.
    pub exclusive: &'static [(&'static str, &'static str)],
}

impl CommandSpec {
    /// The primary name followed by the aliases.
    pub fn names(&self) -> impl Iterator<Item = &'static str> {
        std::iter::once(self.name).chain(self.aliases.iter().copied())
    }

    /// Options the parser accepts (removed ones skipped).
    pub fn live_options(&self) -> impl Iterator<Item = &'static OptionSpec> {
        self.options.iter().filter(|o| o.is_live())
    }

    /// Matches one command-line option; see [`resolve_option`].
    #[must_use]
    pub fn resolve_option(&self, arg: &str) -> OptionMatch {
        resolve_option(self.options, arg)
    }

    /// The options that cannot be combined with `option` (a primary name);
    /// see [`CommandSpec::exclusive`].
    pub fn excluded_by<'a>(&self, option: &'a str) -> impl Iterator<Item = &'static str> + 'a {
        exclusive_partners(self.exclusive, option)
    }

    /// Fewest positional words argparse requires.
    #[must_use]
    pub fn min_positionals(&self) -> usize {
        self.positionals
            .iter()
            .filter(|p| p.required)
            .map(|p| p.nargs.min())
            .sum()
    }

    /// Most positional words argparse accepts (`None` = unbounded).
    #[must_use]
    pub fn max_positionals(&self) -> Option<usize> {
        self.positionals
            .iter()
            .try_fold(0usize, |acc, p| p.nargs.max().map(|m| acc + m))
    }
}

/// What kind of body a section has.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SectionKind {
    /// `%packages`: package, group and module lines.
    Packages,
    /// `%pre`, `%pre-install`, `%post`, `%onerror`, `%traceback`: script text.
    Script,
    /// `%certificate`: a certificate body.
    Certificate,
    /// `%addon`, `%anaconda`: accepted with any header and body.
    Null,
}

/// A section as registered for one version.
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct SectionSpec {
    /// The name including `%`, e.g. `%packages`.
    pub name: &'static str,
    /// Body kind.
    pub kind: SectionKind,
    /// `Deprecated` for `%traceback` from F34/RHEL9 on; never `Removed`.
    pub status: CommandStatus,
    /// Header options (live first, then removed ones). Empty for
    /// [`SectionKind::Null`], which accepts any header arguments.
    pub options: &'static [OptionSpec],
    /// Header options rejected together (e.g. `%packages --default
    /// --nocore`); see [`CommandSpec::exclusive`].
    pub exclusive: &'static [(&'static str, &'static str)],
}

impl SectionSpec {
    /// Matches one header option; see [`resolve_option`].
    #[must_use]
    pub fn resolve_option(&self, arg: &str) -> OptionMatch {
        resolve_option(self.options, arg)
    }

    /// The header options that cannot be combined with `option`.
    pub fn excluded_by<'a>(&self, option: &'a str) -> impl Iterator<Item = &'static str> + 'a {
        exclusive_partners(self.exclusive, option)
    }

    /// Whether header arguments are checked at all.
    #[must_use]
    pub fn validates_header(&self) -> bool {
        self.kind != SectionKind::Null
    }
}

fn exclusive_partners<'a>(
    pairs: &'static [(&'static str, &'static str)],
    option: &'a str,
) -> impl Iterator<Item = &'static str> + 'a {
    pairs.iter().filter_map(move |&(a, b)| {
        if a == option {
            Some(b)
        } else if b == option {
            Some(a)
        } else {
            None
        }
    })
}

// ---------------------------------------------------------------------------
// Lookups
// ---------------------------------------------------------------------------

fn command_table(version: SyntaxVersion) -> &'static [(&'static str, u16)] {
    generated::VERSION_COMMANDS[usize::from(version.0)]
}

fn find_in(table: &'static [(&'static str, u16)], name: &str) -> Option<u16> {
    table
        .binary_search_by(|(n, _)| n.cmp(&name))
        .ok()
        .map(|i| table[i].1)
}

/// Looks a command name up (case-sensitively, like pykickstart).
///
/// `None` means the name is not registered in `version` (`Unknown command`).
#[must_use]
pub fn lookup_command(
    version: SyntaxVersion,
    name: &str,
) -> Option<(CommandStatus, &'static CommandSpec)> {
    find_in(command_table(version), name).map(|i| {
        let spec = &generated::COMMANDS[usize::from(i)];
        (spec.status, spec)
    })
}

/// The command names registered in `version`, sorted.
pub fn command_names(version: SyntaxVersion) -> impl Iterator<Item = &'static str> {
    command_table(version).iter().map(|(n, _)| *n)
}

/// Every version in which `name` is registered, with its status there.
pub fn command_history(name: &str) -> impl Iterator<Item = (SyntaxVersion, CommandStatus)> + '_ {
    SyntaxVersion::all().filter_map(move |v| lookup_command(v, name).map(|(s, _)| (v, s)))
}

/// The oldest version of `line` in which `name` has `status`.
///
/// Example: `first_version_with("auth", VersionLine::Rhel,
/// CommandStatus::Removed)` is `RHEL10`.
#[must_use]
pub fn first_version_with(
    name: &str,
    line: VersionLine,
    status: CommandStatus,
) -> Option<SyntaxVersion> {
    command_history(name)
        .find(|&(v, s)| v.line() == line && s == status)
        .map(|(v, _)| v)
}

/// The newest version of `line` in which `name` has `status`.
///
/// Example: `last_version_with("auth", VersionLine::Rhel,
/// CommandStatus::Active)` is `RHEL9`.
#[must_use]
pub fn last_version_with(
    name: &str,
    line: VersionLine,
    status: CommandStatus,
) -> Option<SyntaxVersion> {
    command_history(name)
        .filter(|&(v, s)| v.line() == line && s == status)
        .map(|(v, _)| v)
        .last()
}

/// The registered names in `version` that conflict with command `name`:
/// its spec's conflict list, expanded to every name sharing the conflicting
/// command object (e.g. `autopart` conflicts with both `part` and
/// `partition`). Sorted; empty when `name` is unknown.
#[must_use]
pub fn conflicting_commands(version: SyntaxVersion, name: &str) -> Vec<&'static str> {
    let Some((_, spec)) = lookup_command(version, name) else {
        return Vec::new();
    };
    let table = command_table(version);
    let mut out: Vec<&'static str> = spec
        .conflicts
        .iter()
        .filter_map(|c| find_in(table, c))
        .flat_map(|idx| {
            table
                .iter()
                .filter(move |(_, i)| *i == idx)
                .map(|(n, _)| *n)
        })
        .collect();
    out.sort_unstable();
    out.dedup();
    out
}

/// Looks a section up by its name including `%` (e.g. `"%packages"`).
#[must_use]
pub fn lookup_section(version: SyntaxVersion, name: &str) -> Option<&'static SectionSpec> {
    find_in(generated::VERSION_SECTIONS[usize::from(version.0)], name)
        .map(|i| &generated::SECTIONS[usize::from(i)])
}

/// The registered section names (the same for every version), sorted.
pub fn section_names() -> impl Iterator<Item = &'static str> {
    generated::VERSION_SECTIONS[usize::from(SyntaxVersion::DEVEL.0)]
        .iter()
        .map(|(n, _)| *n)
}

// ---------------------------------------------------------------------------
// Option matching
// ---------------------------------------------------------------------------

/// Result of [`resolve_option`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OptionMatch {
    /// The argument is exactly one of the option's spellings.
    Exact(&'static OptionSpec),
    /// The argument is an unambiguous abbreviation of the given spelling.
    Prefix(&'static OptionSpec, &'static str),
    /// The argument abbreviates several spellings (argparse: `ambiguous
    /// option: --fs could match --fstype, --fsoptions, --fsprofile`). Each
    /// matching spelling is listed with its option, in parser order; two
    /// spellings of one option still make it ambiguous, as in Python 3.11.
    Ambiguous(Vec<(&'static str, &'static OptionSpec)>),
    /// Not accepted, but it is exactly the name of an option that was
    /// removed (see [`OptionSpec::removed_in`]).
    Removed(&'static OptionSpec),
    /// Not an option of this command.
    Unknown,
}

/// Matches one argument word against `options` with argparse's rules
/// (`allow_abbrev` on): an exact spelling wins, otherwise a unique prefix of
/// a spelling is accepted, several matching spellings are ambiguous.
///
/// The caller splits `--opt=value` at the first `=` and passes `--opt`, and
/// decides beforehand whether the word is an option at all (pykickstart
/// options all start with `--`).
#[must_use]
pub fn resolve_option(options: &'static [OptionSpec], arg: &str) -> OptionMatch {
    let live = || options.iter().filter(|o| o.is_live());
    if let Some(o) = live().find(|o| o.names.contains(&arg)) {
        return OptionMatch::Exact(o);
    }
    if arg.len() > 2 && arg.starts_with("--") {
        let mut hits: Vec<(&'static str, &'static OptionSpec)> = live()
            .flat_map(|o| o.names.iter().map(move |n| (*n, o)))
            .filter(|(n, _)| n.starts_with(arg))
            .collect();
        match hits.len() {
            0 => {}
            1 => {
                let (n, o) = hits.remove(0);
                return OptionMatch::Prefix(o, n);
            }
            _ => return OptionMatch::Ambiguous(hits),
        }
    }
    options
        .iter()
        .find(|o| !o.is_live() && o.names.contains(&arg))
        .map_or(OptionMatch::Unknown, OptionMatch::Removed)
}

// ---------------------------------------------------------------------------
// Did-you-mean
// ---------------------------------------------------------------------------

/// Suggests the candidate closest to a misspelt `name`, or `None` if nothing
/// is close enough.
///
/// Uses the optimal-string-alignment Damerau–Levenshtein distance on
/// lowercased text (so a swapped pair of letters counts once), accepting at
/// most one edit per three characters of the name (ignoring leading `-` and
/// `%`), and breaks ties with the Jaro–Winkler similarity, then candidate
/// order. A candidate equal to `name` ignoring case is returned at once.
pub fn suggest<'a, I>(name: &str, candidates: I) -> Option<&'a str>
where
    I: IntoIterator<Item = &'a str>,
{
    let needle: Vec<char> = name.chars().flat_map(char::to_lowercase).collect();
    let core = name.trim_start_matches(['-', '%']).chars().count();
    let limit = (core / 3).max(1);
    let mut best: Option<(&'a str, usize, f64)> = None;
    let mut table = Vec::new();
    for cand in candidates {
        let hay: Vec<char> = cand.chars().flat_map(char::to_lowercase).collect();
        if hay == needle {
            return Some(cand);
        }
        // The distance is at least the difference in length: no table for
        // the many candidates of a long list (time zones) that cannot pass.
        if hay.len().abs_diff(needle.len()) > limit {
            continue;
        }
        let Some(dist) = edit_distance_within(&needle, &hay, limit, &mut table) else {
            continue;
        };
        let sim = jaro_winkler(&needle, &hay);
        let better = match best {
            None => true,
            Some((_, d, s)) => {
                dist < d || (dist == d && sim.partial_cmp(&s) == Some(Ordering::Greater))
            }
        };
        if better {
            best = Some((cand, dist, sim));
        }
    }
    best.map(|(c, _, _)| c)
}

/// Optimal string alignment distance (Levenshtein plus adjacent swaps) of
/// `a` and `b` when it is at most `limit`, `None` when it is more.
/// `table` is scratch space, reused between calls.
pub(crate) fn edit_distance_within<T: PartialEq>(
    a: &[T],
    b: &[T],
    limit: usize,
    table: &mut Vec<usize>,
) -> Option<usize> {
    let width = b.len() + 1;
    table.clear();
    table.resize((a.len() + 1) * width, 0);
    for (i, cell) in table.iter_mut().step_by(width).enumerate() {
        *cell = i;
    }
    for (j, cell) in table.iter_mut().take(width).enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        let mut row_min = usize::MAX;
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut best = (table[(i - 1) * width + j] + 1)
                .min(table[i * width + j - 1] + 1)
                .min(table[(i - 1) * width + j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                best = best.min(table[(i - 2) * width + j - 2] + 1);
            }
            table[i * width + j] = best;
            row_min = row_min.min(best);
        }
        // Every cell is at least the smallest of the row above (a swap
        // adds 1 to a cell two rows up, which is no less than the diagonal
        // cell of the row above): past the limit, it stays past.
        if row_min.min(table[i * width]) > limit {
            return None;
        }
    }
    Some(table[a.len() * width + b.len()]).filter(|&distance| distance <= limit)
}

/// Jaro–Winkler similarity in `0.0..=1.0`.
#[allow(clippy::cast_precision_loss)]
fn jaro_winkler(a: &[char], b: &[char]) -> f64 {
    if a.is_empty() && b.is_empty() {
        return 1.0;
    }
    if a.is_empty() || b.is_empty() {
        return 0.0;
    }
    let window = (a.len().max(b.len()) / 2).saturating_sub(1);
    let mut a_used = vec![false; a.len()];
    let mut b_used = vec![false; b.len()];
    let mut matches = 0usize;
    for (i, ca) in a.iter().enumerate() {
        let lo = i.saturating_sub(window);
        let hi = (i + window + 1).min(b.len());
        for j in lo..hi {
            if !b_used[j] && b[j] == *ca {
                a_used[i] = true;
                b_used[j] = true;
                matches += 1;
                break;
            }
        }
    }
    if matches == 0 {
        return 0.0;
    }
    let a_m = a.iter().zip(&a_used).filter(|(_, u)| **u).map(|(c, _)| c);
    let b_m = b.iter().zip(&b_used).filter(|(_, u)| **u).map(|(c, _)| c);
    let transpositions = a_m.zip(b_m).filter(|(x, y)| x != y).count() / 2;
    let m = matches as f64;
    let jaro = (m / a.len() as f64 + m / b.len() as f64 + (m - transpositions as f64) / m) / 3.0;
    let prefix = a.iter().zip(b).take(4).take_while(|(x, y)| x == y).count();
    jaro + prefix as f64 * 0.1 * (1.0 - jaro)
}
