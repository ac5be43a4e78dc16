//! `kslint check`: find kickstart files, analyse them, report, and choose
//! the exit status.

use std::collections::HashMap;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};

use clap::{Args, ValueEnum};

use super::exit;
use super::report::{self, Color};
use globset::{Glob, GlobSet, GlobSetBuilder};

use crate::analysis::{self, Analysis, CheckOptions};
use crate::boot;
use crate::catalog::SyntaxVersion;
use crate::config::{self, Config, ConfigError};
use crate::diagnostic::Severity;
use crate::fix::{self, FixMode};
use crate::source::SourceFile;

#[derive(Args, Debug)]
pub struct CheckArgs {
    /// Kickstart files, boot configurations (isolinux.cfg, grub.cfg) or
    /// directories to search for them (default: `.`).
    paths: Vec<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = OutputFormat::Human)]
    format: OutputFormat,
    /// Syntax version to check against (RHEL7, RHEL9, F40, centos7, …).
    #[arg(long, value_name = "VERSION", value_parser = parse_syntax)]
    syntax: Option<SyntaxVersion>,
    /// Root of the install media tree the kickstart is used with.
    #[arg(long, value_name = "DIR")]
    media: Option<PathBuf>,
    /// Exit with status 1 on warnings too.
    #[arg(long)]
    deny_warnings: bool,
    /// When to colour the human report.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    color: ColorChoice,
    /// Apply the safe fixes to the checked files, then report what is left.
    #[arg(long)]
    fix: bool,
    /// With `--fix` or `--diff`: apply the unsafe fixes too (review them).
    #[arg(long)]
    unsafe_fixes: bool,
    /// Print the fixes as a unified diff instead of writing them; exit 1 if
    /// there is anything to fix.
    #[arg(long, conflicts_with = "fix")]
    diff: bool,
    /// Also run shellcheck on shell script sections (KS3020); PROGRAM
    /// defaults to `[scripts] shellcheck` in kslint.toml, then `shellcheck`.
    #[arg(long, value_name = "PROGRAM", num_args = 0..=1, require_equals = true)]
    shellcheck: Option<Option<PathBuf>>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum OutputFormat {
    Human,
    Json,
    /// SARIF 2.1.0, for code scanning (GitHub, GitLab, Azure DevOps).
    Sarif,
    /// GitHub Actions workflow commands (annotations on the pull request).
    Github,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum ColorChoice {
    Auto,
    Always,
    Never,
}

fn parse_syntax(text: &str) -> Result<SyntaxVersion, String> {
    SyntaxVersion::parse(text).ok_or_else(|| {
        format!("unknown syntax version `{text}`; try RHEL6…RHEL10, F30…F46, DEVEL or centos7, rocky9, …")
    })
}

pub fn run(args: &CheckArgs) -> u8 {
    let roots = if args.paths.is_empty() {
        vec![PathBuf::from(".")]
    } else {
        args.paths.clone()
    };
    let mut files = Vec::new();
    for root in &roots {
        if let Err(message) = collect_kickstarts(root, &mut files) {
            eprintln!("error: {message}");
            return exit::FAILURE;
        }
    }
    if args.unsafe_fixes && !(args.fix || args.diff) {
        eprintln!("warning: --unsafe-fixes does nothing without --fix or --diff");
    }
    let fix_mode = (args.fix || args.diff).then_some(if args.unsafe_fixes {
        FixMode::Unsafe
    } else {
        FixMode::Safe
    });
    let mut fixes = FixSummary::default();
    let mut analyses = Vec::with_capacity(files.len());
    let mut configs = ConfigCache::default();
    let mut efi_images = std::collections::HashSet::new();
    for path in &files {
        let config = match configs.for_file(path) {
            Ok(config) => config,
            Err(error) => {
                eprintln!("error: {error}");
                return exit::FAILURE;
            }
        };
        let shellcheck = shellcheck_program(args, &config);
        let options = CheckOptions {
            syntax: args.syntax,
            media: args.media.clone(),
            config,
            shellcheck,
            ..CheckOptions::default()
        };
        let boot_config = is_boot_config(path);
        let analyzed = if let Some(mode) = fix_mode {
            fix_file(path, boot_config, &options, mode, args.diff, &mut fixes)
        } else {
            analysis_of_bytes(path, boot_config, &options)
        };
        match analyzed {
            Ok(analysis) => analyses.push(analysis),
            Err(error) => {
                eprintln!("error: {error}");
                return exit::FAILURE;
            }
        }
        // The grub.cfg inside images/efiboot.img, once per media tree.
        if let Some(root) = boot_config
            .then(|| boot::media_with_efi_image(path, &options))
            .flatten()
        {
            if efi_images.insert(root.clone()) {
                analyses.extend(boot::analyze_efi_image(&root, &options));
            }
        }
    }
    // Said once, however many files met the same problem.
    let mut said = std::collections::HashSet::new();
    for notice in analyses.iter().flat_map(|analysis| &analysis.notices) {
        if said.insert(notice) {
            eprintln!("notice: {notice}");
        }
    }
    if args.diff {
        return diff_status(&fixes);
    }
    if args.fix {
        fixes.report();
    }
    let base = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."));
    let written = match args.format {
        OutputFormat::Human => {
            let color = match args.color {
                ColorChoice::Always => Color::Always,
                ColorChoice::Never => Color::Never,
                ColorChoice::Auto if std::io::stdout().is_terminal() => Color::Always,
                ColorChoice::Auto => Color::Never,
            };
            report::human(&analyses, color)
        }
        OutputFormat::Json => report::json(&analyses),
        OutputFormat::Sarif => report::sarif(&analyses, &base, &mut std::io::stdout().lock()),
        OutputFormat::Github => report::github(&analyses, &base, &mut std::io::stdout().lock()),
    };
    if let Err(error) = written {
        if error.kind() != std::io::ErrorKind::BrokenPipe {
            eprintln!("error: cannot write the report: {error}");
            return exit::FAILURE;
        }
    }
    exit_status(&analyses, args.deny_warnings)
}

/// What `--fix` / `--diff` did, for the summary on stderr.
#[derive(Default)]
struct FixSummary {
    /// Per changed file: the fixes applied, by rule code.
    files: Vec<(PathBuf, Vec<fix::Applied>)>,
    /// Files whose fixes were not applied, and why.
    skipped: Vec<(PathBuf, String)>,
    /// Files still offering fixes after [`fix::MAX_PASSES`] rounds.
    unsettled: Vec<PathBuf>,
    /// Whether any diff was printed.
    changed: bool,
}

impl FixSummary {
    fn total(&self) -> usize {
        self.files.iter().map(|(_, applied)| applied.len()).sum()
    }

    fn report(&self) {
        for (path, applied) in &self.files {
            let mut counts: Vec<(&str, usize)> = Vec::new();
            for fix in applied {
                match counts.iter_mut().find(|(code, _)| *code == fix.code) {
                    Some((_, count)) => *count += 1,
                    None => counts.push((fix.code, 1)),
                }
            }
            counts.sort_unstable();
            let list: Vec<String> = counts
                .iter()
                .map(|(code, count)| {
                    if *count == 1 {
                        (*code).to_string()
                    } else {
                        format!("{code} ×{count}")
                    }
                })
                .collect();
            eprintln!(
                "fixed {} in {}: {}",
                plural(applied.len(), "problem"),
                path.display(),
                list.join(", ")
            );
        }
        for (path, reason) in &self.skipped {
            eprintln!("not fixed: {}: {reason}", path.display());
        }
        for path in &self.unsettled {
            eprintln!(
                "warning: {}: fixes still apply after {} passes; run --fix again and review",
                path.display(),
                fix::MAX_PASSES
            );
        }
        let total = self.total();
        if total == 0 && self.skipped.is_empty() {
            eprintln!("nothing to fix");
        } else {
            eprintln!("{} fixed", plural(total, "problem"));
        }
    }
}

fn plural(count: usize, word: &str) -> String {
    format!("{count} {word}{}", if count == 1 { "" } else { "s" })
}

/// `--diff`: 1 when a diff was printed, 0 when there is nothing to fix.
fn diff_status(fixes: &FixSummary) -> u8 {
    for (path, reason) in &fixes.skipped {
        eprintln!("not fixed: {}: {reason}", path.display());
    }
    let total = fixes.total();
    if total > 0 {
        eprintln!(
            "{} would be fixed in {}",
            plural(total, "problem"),
            plural(fixes.files.len(), "file")
        );
    }
    if fixes.changed {
        exit::FINDINGS
    } else {
        exit::CLEAN
    }
}

/// Analyses `path` and applies its fixes, round after round, until none is
/// left, nothing changes or [`fix::MAX_PASSES`] is reached. The file is
/// written (or its diff printed with `diff`) once at the end; the analysis
/// returned is that of the fixed text. Only this file is ever written, never
/// the files it includes or anything else in the media tree.
fn fix_file(
    path: &Path,
    boot_config: bool,
    options: &CheckOptions,
    mode: FixMode,
    diff: bool,
    summary: &mut FixSummary,
) -> std::io::Result<Analysis> {
    let analyze = |file: SourceFile| {
        if boot_config {
            boot::analyze(file, options)
        } else {
            analysis::analyze(file, options)
        }
    };
    let bytes = std::fs::read(path)
        .map_err(|error| annotate(error, &format!("cannot read {}", path.display())))?;
    let Ok(original) = String::from_utf8(bytes) else {
        summary.skipped.push((
            path.to_path_buf(),
            "not valid UTF-8; fix the encoding first (KS0004)".into(),
        ));
        return analysis_of_bytes(path, boot_config, options);
    };
    let mut text = original.clone();
    let mut applied = Vec::new();
    let mut passes = 0;
    let analysis = loop {
        let analysis = analyze(SourceFile::new(path, text.as_str()));
        let pass = fix::apply_pass(&text, analysis.main, &analysis.diagnostics, mode);
        match pass {
            Some(pass) if passes < fix::MAX_PASSES => {
                text = pass.text;
                applied.extend(pass.applied);
                passes += 1;
            }
            Some(_) => {
                summary.unsettled.push(path.to_path_buf());
                break analysis;
            }
            None => break analysis,
        }
    };
    if text == original {
        return Ok(analysis);
    }
    if diff {
        let shown = path.display().to_string();
        let shown = shown.strip_prefix("./").unwrap_or(&shown);
        let patch = fix::unified_diff(shown, &original, &text);
        print!("{patch}");
        summary.changed = true;
    } else {
        fix::write_atomically(path, text.as_bytes())
            .map_err(|error| annotate(error, &format!("cannot write {}", path.display())))?;
    }
    summary.files.push((path.to_path_buf(), applied));
    Ok(analysis)
}

fn analysis_of_bytes(
    path: &Path,
    boot_config: bool,
    options: &CheckOptions,
) -> std::io::Result<Analysis> {
    let analyzed = if boot_config {
        boot::analyze_path(path, options)
    } else {
        analysis::analyze_path(path, options)
    };
    analyzed.map_err(|error| annotate(error, &format!("cannot read {}", path.display())))
}

fn annotate(error: std::io::Error, what: &str) -> std::io::Error {
    std::io::Error::new(error.kind(), format!("{what}: {error}"))
}

/// `--shellcheck[=PROGRAM]` wins; otherwise `[scripts] shellcheck`; off
/// when neither asks for it.
fn shellcheck_program(args: &CheckArgs, config: &Config) -> Option<PathBuf> {
    match &args.shellcheck {
        Some(Some(program)) => Some(program.clone()),
        Some(None) => Some(
            config
                .shellcheck()
                .flatten()
                .unwrap_or_else(|| PathBuf::from("shellcheck")),
        ),
        None => config.shellcheck().flatten(),
    }
}

fn exit_status(analyses: &[Analysis], deny_warnings: bool) -> u8 {
    let threshold = if deny_warnings {
        Severity::Warning
    } else {
        Severity::Error
    };
    let failing = analyses
        .iter()
        .flat_map(|analysis| &analysis.diagnostics)
        .any(|diagnostic| diagnostic.severity >= threshold);
    if failing {
        exit::FINDINGS
    } else {
        exit::CLEAN
    }
}

/// `kslint.toml` settings per directory, read once.
#[derive(Default)]
struct ConfigCache {
    by_dir: HashMap<PathBuf, Config>,
}

impl ConfigCache {
    fn for_file(&mut self, path: &Path) -> Result<Config, ConfigError> {
        let dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
        if let Some(config) = self.by_dir.get(&dir) {
            return Ok(config.clone());
        }
        let config = Config::discover(path)?.unwrap_or_default();
        self.by_dir.insert(dir, config.clone());
        Ok(config)
    }
}

/// Adds `path` if it is a file, or every kickstart below it if it is a
/// directory (sorted, so reports are stable), minus the `exclude` globs of
/// the directory's `kslint.toml`.
fn collect_kickstarts(path: &Path, files: &mut Vec<PathBuf>) -> Result<(), String> {
    let metadata = std::fs::metadata(path)
        .map_err(|error| format!("cannot read {}: {error}", path.display()))?;
    if !metadata.is_dir() {
        files.push(path.to_path_buf());
        return Ok(());
    }
    let config = Config::discover(path)
        .map_err(|error| error.to_string())?
        .unwrap_or_default();
    let excluded = exclude_globs(&config)?;
    let mut found = Vec::new();
    walk(path, &mut found).map_err(|error| format!("cannot list {}: {error}", path.display()))?;
    found.retain(|file| {
        let absolute = std::fs::canonicalize(file).unwrap_or_else(|_| file.clone());
        let relative = absolute.strip_prefix(&config.base_dir).unwrap_or(&absolute);
        !excluded.is_match(relative)
    });
    found.sort();
    files.extend(found);
    Ok(())
}

fn exclude_globs(config: &Config) -> Result<GlobSet, String> {
    let mut builder = GlobSetBuilder::new();
    for pattern in &config.exclude {
        let glob = Glob::new(pattern).map_err(|error| {
            format!(
                "{}: bad exclude pattern `{pattern}`: {error}",
                config.base_dir.join(config::FILE_NAME).display()
            )
        })?;
        builder.add(glob);
    }
    builder.build().map_err(|error| error.to_string())
}

/// Directories that hold media payload, never kickstarts; skipping them keeps
/// `kslint check .` fast on a full DVD tree.
const SKIPPED_DIRS: &[&str] = &[
    "Packages",
    "repodata",
    "LiveOS",
    "images",
    "target",
    "node_modules",
];

fn walk(dir: &Path, found: &mut Vec<PathBuf>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if name.starts_with('.') {
            continue;
        }
        let path = entry.path();
        let file_type = entry.file_type()?;
        if file_type.is_dir() {
            if !SKIPPED_DIRS.contains(&name.as_ref()) {
                walk(&path, found)?;
            }
        } else if is_kickstart_candidate(&name, &path) || boot::is_boot_config_file(&path) {
            found.push(path);
        }
    }
    Ok(())
}

fn is_kickstart_candidate(name: &str, path: &Path) -> bool {
    if name.ends_with(".ks") || name == "ks.cfg" || name == "anaconda-ks.cfg" {
        return true;
    }
    if !name.ends_with(".cfg") {
        return false;
    }
    std::fs::read(path)
        .map(|bytes| analysis::looks_like_kickstart(name, &String::from_utf8_lossy(&bytes)))
        .unwrap_or(false)
}

/// Whether `path` is checked as a boot configuration (`isolinux.cfg`,
/// `grub.cfg`, `grub.conf`, or a file that reads like one and not like a
/// kickstart) rather than as a kickstart.
fn is_boot_config(path: &Path) -> bool {
    if boot::is_boot_config_file(path) {
        return true;
    }
    let name = path
        .file_name()
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_default();
    if name.ends_with(".ks") || name == "ks.cfg" || name == "anaconda-ks.cfg" {
        return false;
    }
    let Ok(bytes) = std::fs::read(path) else {
        return false;
    };
    boot::looks_like_boot_config(path, &String::from_utf8_lossy(&bytes))
}
