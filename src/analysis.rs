//! The protocol-agnostic entry point: a kickstart text in, diagnostics out.
//! The CLI and the language server both call [`analyze`]; neither has a rule
//! of its own.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use tree_sitter::Tree;

use crate::catalog::SyntaxVersion;
use crate::config::Config;
use crate::diagnostic::Diagnostic;
use crate::includes;
use crate::rules::{self, Context};
use crate::source::{FileId, SourceFile, SourceMap};
use crate::suppress;
use crate::syntax::{self, model::Document};

/// Settings that change what the checks report.
#[derive(Clone, Debug, Default)]
pub struct CheckOptions {
    /// Syntax version requested on the command line or by the editor.
    pub syntax: Option<SyntaxVersion>,
    /// Root of the install media tree, when given explicitly.
    pub media: Option<PathBuf>,
    /// Settings from `kslint.toml` (defaults when there is none).
    pub config: Config,
    /// Texts of files open in an editor, used instead of the disk content
    /// when an include names them.
    pub open_files: Arc<HashMap<PathBuf, Arc<str>>>,
    /// The shellcheck program for the optional shellcheck pass (KS3020);
    /// `None` leaves it out.
    pub shellcheck: Option<PathBuf>,
    /// Results of earlier analyses of this document to reuse (the language
    /// server keeps one per open document); `None` computes everything.
    pub memo: Option<Arc<crate::memo::Memo>>,
}

/// The result of analysing one kickstart file and the files it includes.
#[derive(Debug)]
pub struct Analysis {
    pub sources: SourceMap,
    pub main: FileId,
    pub document: Document,
    /// Files pulled in by `%include` / `%ksappend`, in the order met.
    pub included: Vec<Document>,
    /// Include lines whose file exists, with the file they name.
    pub links: Vec<includes::IncludeLink>,
    pub diagnostics: Vec<Diagnostic>,
    /// The release the file was checked against, and why that one.
    pub version: SyntaxVersion,
    pub version_source: VersionSource,
    /// The install media the kickstart is used with, when found.
    pub media: Option<std::sync::Arc<crate::media::MediaIndex>>,
    /// For a boot configuration (isolinux.cfg, grub.cfg): its parsed menu
    /// and media, for the editor features. `None` for kickstarts.
    pub boot: Option<std::sync::Arc<crate::boot::BootView>>,
    /// Things the user should hear about once that are not findings in the
    /// file, e.g. a shellcheck that could not be run.
    pub notices: Vec<String>,
}

impl Analysis {
    pub fn has_errors(&self) -> bool {
        self.diagnostics
            .iter()
            .any(|d| d.severity == crate::diagnostic::Severity::Error)
    }

    /// The main document first, then the included ones.
    pub fn documents(&self) -> impl Iterator<Item = &Document> {
        std::iter::once(&self.document).chain(&self.included)
    }
}

/// Parses and checks one kickstart file and the files it includes.
/// Diagnostics come sorted by file and position.
pub fn analyze(file: SourceFile, options: &CheckOptions) -> Analysis {
    analyze_incremental(file, options, None)
}

/// [`analyze`], reusing the unchanged parts of `old_tree` (which must
/// already have been `edit`ed to match the new text).
pub fn analyze_incremental(
    file: SourceFile,
    options: &CheckOptions,
    old_tree: Option<&Tree>,
) -> Analysis {
    let mut sources = SourceMap::default();
    let main = sources.add(file);
    let document = {
        let source = sources.get(main);
        match (old_tree, options.memo.as_deref()) {
            // A one-off check: a long file's plain package lines may be
            // read without the parser.
            (None, None) => syntax::parse_document(main, &source.text),
            (old_tree, memo) => {
                let tree = syntax::parse(&source.text, old_tree);
                Document::remembering(main, &source.text, tree, memo)
            }
        }
    };
    let (version, version_source) = select_version(options, &document, &sources);
    let mut diagnostics = Vec::new();
    let mut notices = Vec::new();
    let workspace = includes::Workspace::new(sources.get(main), options);
    let includes::Followed {
        documents: included,
        links,
    } = includes::follow(&workspace, &mut sources, &document, &mut diagnostics);
    let media = load_media(&sources.get(main).path, options);
    if let Some(memo) = &options.memo {
        memo.begin(media.as_ref());
    }
    let media_files = rules::packages::MediaFiles::register(media.as_deref(), &mut sources);
    let package_scope = rules::packages::PackageScope::new(
        media.as_deref(),
        media_files,
        std::iter::once(&document).chain(&included),
        &sources,
    );
    for (role, document) in std::iter::once((FileRole::Main, &document)).chain(
        included
            .iter()
            .map(|document| (FileRole::Included, document)),
    ) {
        let source = sources.get(document.file);
        let context = Context {
            file_id: document.file,
            file: source,
            document,
            role,
            version,
            options,
            packages: Some(&package_scope),
        };
        let mut found = rules::run(&context);
        let notices_before = notices.len();
        if let Some(program) = &options.shellcheck {
            let mut checked = rules::scripts::shellcheck(&context, program, &found, &mut notices);
            found.append(&mut checked);
        }
        // Without (complete) shellcheck results, `disable=KS3020` is not unused.
        let shellcheck_missing = options.shellcheck.is_none() || notices.len() > notices_before;
        let not_run: &[&'static rules::Rule] = if shellcheck_missing {
            &[&rules::scripts::SHELLCHECK]
        } else {
            &[]
        };
        suppress::apply_except(document.file, source, &mut found, not_run);
        diagnostics.append(&mut found);
    }
    apply_rule_settings(&options.config, &mut diagnostics);
    diagnostics.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
    notices.sort();
    notices.dedup();
    Analysis {
        sources,
        main,
        document,
        included,
        links,
        diagnostics,
        version,
        version_source,
        media,
        boot: None,
        notices,
    }
}

/// Where the syntax version came from, most specific first.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum VersionSource {
    /// `--syntax` or the editor setting.
    Option,
    /// `syntax = …` in this `kslint.toml`.
    Config(PathBuf),
    /// The release of the install media (`.treeinfo` / `.discinfo`).
    Media(PathBuf),
    /// A `#version=` comment in the kickstart.
    Comment,
    /// Nothing said: the newest Fedora, as pykickstart assumes.
    Default,
}

impl std::fmt::Display for VersionSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            VersionSource::Option => write!(f, "--syntax"),
            VersionSource::Config(path) => write!(f, "{}", path.display()),
            VersionSource::Media(path) => write!(f, "{}", path.display()),
            VersionSource::Comment => write!(f, "#version= comment"),
            VersionSource::Default => write!(f, "default"),
        }
    }
}

/// `--syntax` > `kslint.toml` > the media's release > `#version=` (except
/// `DEVEL`, which anaconda writes even on RHEL) > DEVEL.
fn select_version(
    options: &CheckOptions,
    document: &Document,
    sources: &SourceMap,
) -> (SyntaxVersion, VersionSource) {
    if let Some(version) = options.syntax {
        return (version, VersionSource::Option);
    }
    if let Some(version) = options.config.syntax_version() {
        let path = options.config.base_dir.join(crate::config::FILE_NAME);
        return (version, VersionSource::Config(path));
    }
    if let Some((version, path)) = media_root(options).and_then(|root| media_release(&root)) {
        return (version, VersionSource::Media(path));
    }
    if let Some(version) = version_comment(&sources.get(document.file).text) {
        return (version, VersionSource::Comment);
    }
    (SyntaxVersion::DEVEL, VersionSource::Default)
}

/// The install media of a kickstart: `--media`, `[media] root`/`comps` in
/// `kslint.toml`, or the tree the kickstart sits in (see
/// [`crate::media::layout`]). `None` when there is none: media rules skip.
fn load_media(
    kickstart: &Path,
    options: &CheckOptions,
) -> Option<std::sync::Arc<crate::media::MediaIndex>> {
    let comps = options
        .config
        .media
        .comps
        .as_ref()
        .map(|comps| options.config.resolve(comps));
    let root = media_root(options);
    crate::media::MediaIndex::for_kickstart(kickstart, root.as_deref(), comps)
}

/// The media root given on the command line or in `kslint.toml`.
pub fn media_root(options: &CheckOptions) -> Option<PathBuf> {
    options.media.clone().or_else(|| {
        let root = options.config.media.root.as_ref()?;
        Some(options.config.resolve(root))
    })
}

/// The release named by the media's `.treeinfo` (`[general]` or `[release]`
/// `version`, major part) or `.discinfo` (second line, e.g. `CentOS 7`).
pub fn media_release(root: &Path) -> Option<(SyntaxVersion, PathBuf)> {
    let treeinfo = root.join(".treeinfo");
    if let Ok(text) = std::fs::read_to_string(&treeinfo) {
        if let Some(version) = treeinfo_version(&text) {
            return Some((version, treeinfo));
        }
    }
    let discinfo = root.join(".discinfo");
    let text = std::fs::read_to_string(&discinfo).ok()?;
    let release = text.lines().nth(1)?;
    Some((release_to_version(release)?, discinfo))
}

fn treeinfo_version(text: &str) -> Option<SyntaxVersion> {
    let mut section = "";
    let (mut family, mut version) = (None, None);
    for line in text.lines().map(str::trim) {
        if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            section = name;
            continue;
        }
        if section != "general" && section != "release" {
            continue;
        }
        if let Some((key, value)) = line.split_once('=') {
            match key.trim() {
                "family" | "name" if family.is_none() => family = Some(value.trim().to_string()),
                "version" if version.is_none() => version = Some(value.trim().to_string()),
                _ => {}
            }
        }
    }
    release_to_version(&format!("{} {}", family?, version?))
}

/// `CentOS 7`, `Red Hat Enterprise Linux 9.2`, `Fedora 40`, `Rocky Linux 8.9`.
fn release_to_version(release: &str) -> Option<SyntaxVersion> {
    let major: String = release
        .split_whitespace()
        .last()?
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    if major.is_empty() {
        return None;
    }
    let prefix = if release.to_ascii_lowercase().contains("fedora") {
        "F"
    } else {
        "RHEL"
    };
    SyntaxVersion::parse(&format!("{prefix}{major}"))
}

/// `#version=RHEL7` in the leading comments; `DEVEL` is ignored because
/// anaconda writes it into every `anaconda-ks.cfg`, RHEL ones included.
fn version_comment(text: &str) -> Option<SyntaxVersion> {
    text.lines()
        .map(str::trim)
        .take_while(|line| line.is_empty() || line.starts_with('#'))
        .find_map(|line| line.strip_prefix("#version="))
        .map(str::trim)
        .filter(|name| !name.eq_ignore_ascii_case("DEVEL"))
        .and_then(SyntaxVersion::parse)
}

pub(crate) fn parse_document(sources: &SourceMap, file: FileId) -> Document {
    let source = sources.get(file);
    syntax::parse_document(file, &source.text)
}

/// Whether a file is the one being checked or was pulled in by an include.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FileRole {
    Main,
    Included,
}

/// Drops diagnostics of rules turned off in `[rules]` and applies the
/// severities configured there.
fn apply_rule_settings(config: &Config, diagnostics: &mut Vec<Diagnostic>) {
    diagnostics.retain_mut(|diagnostic| match config.rule_setting(diagnostic.rule) {
        None => true,
        Some(None) => false,
        Some(Some(severity)) => {
            diagnostic.severity = severity;
            true
        }
    });
}

/// Reads and analyses a kickstart file from disk.
pub fn analyze_path(path: &Path, options: &CheckOptions) -> std::io::Result<Analysis> {
    Ok(analyze(SourceFile::read(path)?, options))
}

/// Whether a `.cfg` file found while walking a directory is a kickstart:
/// it has a kickstart section or at least two lines that start with a
/// command only kickstart uses. Boot loader configs (`isolinux.cfg`,
/// `grub.cfg`) never qualify.
pub fn looks_like_kickstart(file_name: &str, text: &str) -> bool {
    const BOOT_CONFIGS: &[&str] = &["isolinux.cfg", "syslinux.cfg", "grub.cfg", "extlinux.conf"];
    const TELLTALE_COMMANDS: &[&str] = &[
        "rootpw",
        "bootloader",
        "clearpart",
        "autopart",
        "part",
        "partition",
        "zerombr",
        "keyboard",
        "timezone",
        "lang",
        "network",
        "selinux",
        "firewall",
        "authconfig",
        "authselect",
        "skipx",
        "reboot",
        "poweroff",
        "install",
        "cdrom",
        "url",
        "firstboot",
        "logvol",
        "volgroup",
        "services",
        "user",
        "repo",
        "text",
        "graphical",
        "ignoredisk",
    ];
    if BOOT_CONFIGS.contains(&file_name) {
        return false;
    }
    let mut telltales = 0;
    for line in text.lines() {
        let line = line.trim_start();
        let first = line.split_whitespace().next().unwrap_or("");
        if ["%packages", "%post", "%pre", "%pre-install"].contains(&first) {
            return true;
        }
        if TELLTALE_COMMANDS.contains(&first) {
            telltales += 1;
            if telltales >= 2 {
                return true;
            }
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_releases_from_media_metadata() {
        let treeinfo = "[header]\nversion = 1.2\n[release]\nname = Rocky Linux\nversion = 9.4\n";
        assert_eq!(treeinfo_version(treeinfo), SyntaxVersion::parse("RHEL9"));
        let legacy = "[general]\nfamily = CentOS\nversion = 7\n";
        assert_eq!(treeinfo_version(legacy), SyntaxVersion::parse("RHEL7"));
        assert_eq!(release_to_version("Fedora 40"), SyntaxVersion::parse("F40"));
        assert_eq!(release_to_version("CentOS"), None);
    }

    #[test]
    fn version_comment_ignores_devel() {
        assert_eq!(
            version_comment("#version=RHEL8\nlang C\n"),
            SyntaxVersion::parse("RHEL8")
        );
        assert_eq!(version_comment("#version=DEVEL\nlang C\n"), None);
        assert_eq!(version_comment("lang C\n#version=RHEL8\n"), None);
    }

    #[test]
    fn recognises_kickstarts_among_cfg_files() {
        assert!(looks_like_kickstart("x.cfg", "lang en_US\nrootpw x\n"));
        assert!(looks_like_kickstart("x.cfg", "%packages\n@core\n%end\n"));
        assert!(!looks_like_kickstart("isolinux.cfg", "%packages\n"));
        assert!(!looks_like_kickstart(
            "menu.cfg",
            "default vesamenu.c32\ntimeout 600\nlabel linux\n"
        ));
    }
}
