//! KS2xxx: `%packages` against the install media (comps, `Packages/`,
//! `repodata/`), and the media itself.
//!
//! The selection is spread over every `%packages` section of the main file
//! and its includes, so the findings are computed once per analysis (in a
//! [`PackageScope`]) and handed out file by file. Without media only the
//! rules that need nothing but the kickstart run (KS2007–KS2009).

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use globset::GlobBuilder;

use super::{declare_rule, suggest, Context};
use crate::analysis::FileRole;
use crate::catalog::SyntaxVersion;
use crate::diagnostic::{fix, Applicability, Diagnostic, Severity};
use crate::media::comps::{Found, Group, ReqType};
use crate::media::index::{Dep, PackageIndex, PkgId};
use crate::media::{LayoutKind, MediaIndex, PackageSource};
use crate::memo::{remember, KeyHasher, Memo};
use crate::source::{FileId, SourceFile, SourceMap, TextRange};
use crate::syntax::model::{Arg, Document, PackageEntry, PackageKind, Section, SectionKind};

declare_rule!(
    UNKNOWN_GROUP,
    "KS2001",
    "unknown-group",
    Error,
    "`@group` or `@^environment` is not in the media's comps"
);
declare_rule!(
    PACKAGE_NOT_ON_MEDIA,
    "KS2002",
    "package-not-on-media",
    Error,
    "A package name or glob matches nothing on the media"
);
declare_rule!(
    EXCLUSION_MATCHES_NOTHING,
    "KS2003",
    "exclusion-matches-nothing",
    Warning,
    "A `-package` or `-@group` exclusion matches nothing on the media"
);
declare_rule!(
    GROUP_MANDATORY_MISSING,
    "KS2004",
    "group-mandatory-missing",
    Error,
    "A selected group's mandatory packages are missing from the media"
);
declare_rule!(
    GROUP_DEFAULT_MISSING,
    "KS2005",
    "group-default-missing",
    Warning,
    "A selected group's default packages are missing from the media"
);
declare_rule!(
    UNRESOLVED_DEPENDENCY,
    "KS2006",
    "unresolved-dependency",
    Error,
    "A package the selection installs requires something no package on the media provides"
);
declare_rule!(
    MULTIPLE_ENVIRONMENTS,
    "KS2007",
    "multiple-environments",
    Warning,
    "More than one `@^environment`: only the last one is used"
);
declare_rule!(
    DUPLICATE_PACKAGE_LINE,
    "KS2008",
    "duplicate-package-line",
    Warning,
    "A package or group is listed twice, or both included and excluded"
);
declare_rule!(
    PACKAGES_OPTIONS_DIFFER,
    "KS2009",
    "packages-options-differ",
    Warning,
    "Several `%packages` sections with different header options"
);
declare_rule!(
    MODULE_WITHOUT_METADATA,
    "KS2010",
    "module-without-metadata",
    Error,
    "A module stream is selected, or module packages are on the media, without module metadata"
);
declare_rule!(
    STALE_REPODATA,
    "KS2011",
    "stale-repodata",
    Error,
    "repodata/ is missing or does not describe Packages/"
);
declare_rule!(
    COMPS_PACKAGE_NOT_ON_MEDIA,
    "KS2012",
    "comps-package-not-on-media",
    Info,
    "A comps group lists packages that are not on the media"
);
declare_rule!(
    UNREADABLE_MEDIA_FILE,
    "KS2013",
    "unreadable-media-file",
    Error,
    "An RPM, comps or repodata file on the media cannot be read"
);

/// Group and environment ids renamed between releases: (old, new).
/// Used in both directions when the other id exists in the comps.
const RENAMED_IDS: &[(&str, &str)] = &[
    ("minimal", "minimal-environment"),
    (
        "infrastructure-server-environment",
        "server-product-environment",
    ),
    ("web-server-environment", "server-product-environment"),
    (
        "file-print-server-environment",
        "server-product-environment",
    ),
    ("compute-node-environment", "server-product-environment"),
    (
        "gnome-desktop-environment",
        "workstation-product-environment",
    ),
    (
        "developer-workstation-environment",
        "workstation-product-environment",
    ),
    ("base", "standard"),
    ("x11", "base-x"),
    ("gnome-desktop", "workstation-product"),
    ("server-platform", "server-product"),
];

/// Media files registered in the analysis' [`SourceMap`] so that
/// diagnostics can point into them.
#[derive(Debug, Default)]
pub struct MediaFiles {
    pub comps: Option<FileId>,
    by_path: HashMap<PathBuf, FileId>,
}

impl MediaFiles {
    /// Adds the comps file, unreadable files and stale repomd.xml files of
    /// `media` to `sources`.
    pub fn register(media: Option<&MediaIndex>, sources: &mut SourceMap) -> MediaFiles {
        let mut files = MediaFiles::default();
        let Some(media) = media else { return files };
        if let Some(comps) = &media.comps {
            let id = sources.add(SourceFile::new(comps.path.clone(), comps.text.clone()));
            files.comps = Some(id);
            files.by_path.insert(comps.path.clone(), id);
        }
        let mut add = |path: &Path, text: Option<&std::sync::Arc<str>>| {
            if files.by_path.contains_key(path) {
                return;
            }
            let text = match text {
                Some(text) => text.clone(),
                None if path.extension().is_some_and(|e| e == "xml") => {
                    std::fs::read_to_string(path).unwrap_or_default().into()
                }
                None => "".into(),
            };
            let id = sources.add(SourceFile::new(path.to_path_buf(), text));
            files.by_path.insert(path.to_path_buf(), id);
        };
        for problem in &media.problems {
            add(&problem.path, problem.text.as_ref());
        }
        for stale in &media.stale {
            add(&stale.path, None);
        }
        if media.module_packages > 0 && !media.has_modules {
            if let Some(repomd) = media.layout.repos.iter().find_map(|r| r.repomd.as_deref()) {
                add(repomd, None);
            }
        }
        files
    }

    fn file(&self, path: &Path) -> Option<FileId> {
        self.by_path.get(path).copied()
    }
}

/// Everything the package rules need about one analysis: the media (if
/// any), the media files registered for positions, and every `%packages`
/// section of the main file and its includes.
pub struct PackageScope<'a> {
    media: Option<&'a MediaIndex>,
    files: MediaFiles,
    sections: Vec<(FileId, &'a Section)>,
    document_files: HashSet<FileId>,
    /// What the findings depend on besides the media index and the
    /// release: the text of every section, and which file has which id.
    memo_key: KeyHasher,
    findings: OnceLock<Vec<Diagnostic>>,
}

impl<'a> PackageScope<'a> {
    pub fn new(
        media: Option<&'a MediaIndex>,
        files: MediaFiles,
        documents: impl IntoIterator<Item = &'a Document>,
        sources: &SourceMap,
    ) -> Self {
        let mut sections = Vec::new();
        let mut document_files = HashSet::new();
        let mut memo_key = KeyHasher::new("packages");
        for document in documents {
            document_files.insert(document.file);
            memo_key
                .add(document.file)
                .add(&sources.get(document.file).path);
            for section in document.sections() {
                if section.kind == SectionKind::Packages {
                    sections.push((document.file, section));
                    let text = &sources.get(document.file).text;
                    memo_key.add(text.get(section.range.start..section.range.end));
                }
            }
        }
        let mut media_files: Vec<_> = files.by_path.iter().collect();
        media_files.sort();
        memo_key.add(media_files);
        PackageScope {
            media,
            files,
            sections,
            document_files,
            memo_key,
            findings: OnceLock::new(),
        }
    }

    /// The findings, from `memo` when the sections' text was checked before.
    fn findings(&self, version: SyntaxVersion, memo: Option<&Memo>) -> Vec<Diagnostic> {
        let key = self.memo_key.clone().add(version).finish();
        let spans: Vec<(FileId, TextRange)> = self
            .sections
            .iter()
            .map(|(file, section)| (*file, section.range))
            .collect();
        remember(
            memo,
            key,
            spans,
            |relocation, found: &Vec<Diagnostic>| relocation.diagnostics(found),
            || Checker::new(self, version, memo).run(),
        )
    }
}

pub(super) fn check(cx: &Context, out: &mut Vec<Diagnostic>) {
    let Some(scope) = cx.packages else { return };
    let findings = scope
        .findings
        .get_or_init(|| scope.findings(cx.version, cx.options.memo.as_deref()));
    for diagnostic in findings {
        let file = diagnostic.location.file;
        let mine = file == cx.file_id
            || (cx.role == FileRole::Main && !scope.document_files.contains(&file));
        if mine {
            out.push(diagnostic.clone());
        }
    }
}

/// Where a selected package came from: its `%packages` line, or the
/// `%packages` header for the implicit core group.
#[derive(Clone, Copy)]
struct Origin {
    file: FileId,
    range: TextRange,
}

/// One line of `%packages`, where it is.
#[derive(Clone, Copy)]
struct Line<'a> {
    file: FileId,
    entry: &'a PackageEntry,
}

struct Checker<'s, 'a> {
    scope: &'s PackageScope<'a>,
    version: SyntaxVersion,
    lines: Vec<Line<'a>>,
    out: Vec<Diagnostic>,
    /// Where dependency results of earlier selections are kept.
    memo: Option<&'s Memo>,
}

impl<'s, 'a> Checker<'s, 'a> {
    fn new(scope: &'s PackageScope<'a>, version: SyntaxVersion, memo: Option<&'s Memo>) -> Self {
        let lines = scope
            .sections
            .iter()
            .flat_map(|&(file, section)| {
                section
                    .packages()
                    .iter()
                    .map(move |entry| Line { file, entry })
            })
            .collect();
        Checker {
            scope,
            version,
            lines,
            out: Vec::new(),
            memo,
        }
    }

    /// The header of the last `%packages` section (the one whose options
    /// the installer ends up with).
    fn header_flag(&self, name: &str) -> bool {
        self.scope
            .sections
            .last()
            .is_some_and(|(_, section)| section.header_option(name).is_some())
    }

    fn run(mut self) -> Vec<Diagnostic> {
        self.multiple_environments();
        self.duplicates();
        self.section_options();
        if let Some(media) = self.scope.media {
            self.media_files(media);
            self.modules(media);
            if media.comps().is_some() || media.source != PackageSource::None {
                self.groups(media);
            }
            if media.source != PackageSource::None {
                self.packages(media);
                self.selection(media);
            }
        }
        self.out
    }

    fn lines_of(&self, kind: PackageKind) -> impl Iterator<Item = &Line<'a>> {
        self.lines
            .iter()
            .filter(move |line| line.entry.kind == kind)
    }

    // KS2007
    fn multiple_environments(&mut self) {
        let environments: Vec<Line> = self.lines_of(PackageKind::Environment).copied().collect();
        let Some(last) = environments.last() else {
            return;
        };
        for line in &environments[..environments.len() - 1] {
            self.out.push(
                Diagnostic::new(
                    &MULTIPLE_ENVIRONMENTS,
                    line.file,
                    line.entry.name_range,
                    format!(
                        "`@^{}` is ignored: only the last environment (`@^{}`) is installed",
                        line.entry.name, last.entry.name
                    ),
                )
                .with_related(
                    last.file,
                    last.entry.name_range,
                    "the environment used",
                ),
            );
        }
    }

    // KS2008
    fn duplicates(&mut self) {
        let mut first: HashMap<(u8, &str), Line> = HashMap::with_capacity(self.lines.len());
        let mut found = Vec::new();
        for line in &self.lines {
            let entry = line.entry;
            let (class, positive) = match entry.kind {
                PackageKind::Package => (0, true),
                PackageKind::ExcludedPackage => (0, false),
                PackageKind::Group => (1, true),
                PackageKind::ExcludedGroup => (1, false),
                PackageKind::Environment => (2, true),
                PackageKind::Module => (3, true),
            };
            let key = (class * 2 + u8::from(positive), entry.name.as_str());
            let opposite = (class * 2 + u8::from(!positive), entry.name.as_str());
            if let Some(earlier) = first.get(&opposite) {
                let excluded = if positive { earlier } else { line };
                found.push(
                    Diagnostic::new(
                        &DUPLICATE_PACKAGE_LINE,
                        line.file,
                        entry.name_range,
                        format!(
                            "`{}` is both included and excluded; the exclusion wins",
                            entry.name
                        ),
                    )
                    .with_related(earlier.file, earlier.entry.name_range, "first here")
                    .with_related(
                        excluded.file,
                        excluded.entry.name_range,
                        "excluded here",
                    ),
                );
            } else if let Some(earlier) = first.get(&key) {
                if class != 2 {
                    let mut diagnostic = Diagnostic::new(
                        &DUPLICATE_PACKAGE_LINE,
                        line.file,
                        entry.name_range,
                        format!("`{}` is listed twice", entry.name),
                    )
                    .with_related(
                        earlier.file,
                        earlier.entry.name_range,
                        "first here",
                    );
                    diagnostic.severity = Severity::Info;
                    found.push(diagnostic);
                }
            } else {
                first.insert(key, *line);
            }
        }
        self.out.extend(found);
    }

    // KS2009
    fn section_options(&mut self) {
        let options = |section: &Section| {
            let mut list: Vec<String> = section
                .header
                .args
                .iter()
                .map(|arg| match arg {
                    Arg::Option(o) => match &o.value {
                        Some(v) => format!("{}={}", o.name, v.value),
                        None => o.name.clone(),
                    },
                    Arg::Word(w) => w.value.clone(),
                })
                .collect();
            list.sort();
            list
        };
        let Some(&(first_file, first)) = self.scope.sections.first() else {
            return;
        };
        let first_options = options(first);
        for &(file, section) in &self.scope.sections[1..] {
            let these = options(section);
            if these != first_options {
                let show = |list: &[String]| {
                    if list.is_empty() {
                        "no options".to_string()
                    } else {
                        format!("`{}`", list.join(" "))
                    }
                };
                self.out.push(
                    Diagnostic::new(
                        &PACKAGES_OPTIONS_DIFFER,
                        file,
                        section.header.range,
                        format!(
                            "this `%packages` has {}, an earlier one has {}: the sections are merged and the header options of the last one win",
                            show(&these),
                            show(&first_options)
                        ),
                    )
                    .with_related(first_file, first.header.range, "first `%packages` here"),
                );
            }
        }
    }

    // KS2013, KS2011, KS2012 (media-wide, reported on the media files)
    fn media_files(&mut self, media: &MediaIndex) {
        for problem in &media.problems {
            let Some(file) = self.scope.files.file(&problem.path) else {
                continue;
            };
            let range = TextRange::empty(problem.offset.unwrap_or(0));
            self.out.push(Diagnostic::new(
                &UNREADABLE_MEDIA_FILE,
                file,
                range,
                format!(
                    "{}: {}",
                    crate::media::relative(&media.layout.root, &problem.path),
                    problem.message
                ),
            ));
        }
        for stale in &media.stale {
            let Some(file) = self.scope.files.file(&stale.path) else {
                continue;
            };
            let mut diagnostic = Diagnostic::new(
                &STALE_REPODATA,
                file,
                TextRange::empty(0),
                format!("stale repodata: {}", stale.message),
            );
            if media.layout.kind == LayoutKind::Seed {
                // The build script re-runs createrepo before mastering.
                diagnostic.severity = Severity::Warning;
            }
            self.out.push(diagnostic);
        }
        let (Some(comps), Some(file)) = (media.comps(), self.scope.files.comps) else {
            return;
        };
        if media.source == PackageSource::None {
            return;
        }
        // Only what Software Selection offers: visible groups and the
        // groups of environments.
        let offered: HashSet<&str> = comps
            .environments
            .iter()
            .flat_map(|env| env.groups.iter().chain(&env.options))
            .map(String::as_str)
            .collect();
        for group in &comps.groups {
            if !group.uservisible && !offered.contains(group.id.as_str()) {
                continue;
            }
            let missing: Vec<&str> = group
                .packages
                .iter()
                .filter(|p| matches!(p.kind, ReqType::Mandatory | ReqType::Default))
                .filter(|p| !on_media(media, &p.name))
                .map(|p| p.name.as_str())
                .collect();
            if missing.is_empty() {
                continue;
            }
            self.out.push(Diagnostic::new(
                &COMPS_PACKAGE_NOT_ON_MEDIA,
                file,
                group.id_range.clone().into(),
                format!(
                    "group `{}` lists {} mandatory/default package(s) that are not on the media ({}): the installer will offer a group that cannot be installed",
                    group.id,
                    missing.len(),
                    sample(&missing)
                ),
            ));
        }
    }

    // KS2010
    fn modules(&mut self, media: &MediaIndex) {
        if media.has_modules {
            return;
        }
        for line in self
            .lines_of(PackageKind::Module)
            .copied()
            .collect::<Vec<_>>()
        {
            let stream = line
                .entry
                .stream
                .as_ref()
                .map(|(s, _)| format!(":{s}"))
                .unwrap_or_default();
            self.out.push(Diagnostic::new(
                &MODULE_WITHOUT_METADATA,
                line.file,
                line.entry.name_range,
                format!(
                    "`@{}{stream}` selects a module stream, but the media's repodata has no `modules` record: add modules.yaml with `modifyrepo_c`",
                    line.entry.name
                ),
            ));
        }
        if media.module_packages > 0 && media.repodata_count > 0 {
            let repomd = media.layout.repos.iter().find_map(|r| r.repomd.as_deref());
            if let Some(file) = repomd.and_then(|p| self.scope.files.file(p)) {
                self.out.push(Diagnostic::new(
                    &MODULE_WITHOUT_METADATA,
                    file,
                    TextRange::empty(0),
                    format!(
                        "{} module package(s) (`.module+…` releases) are on the media but the repodata has no `modules` record: dnf hides them",
                        media.module_packages
                    ),
                ));
            }
        }
    }

    // KS2001, KS2003 for groups
    fn groups(&mut self, media: &MediaIndex) {
        let comps = media.comps();
        let group_lines: Vec<Line> = self
            .lines
            .iter()
            .filter(|l| {
                matches!(
                    l.entry.kind,
                    PackageKind::Group | PackageKind::ExcludedGroup | PackageKind::Environment
                )
            })
            .copied()
            .collect();
        for line in group_lines {
            let entry = line.entry;
            let name = entry.name.as_str();
            let Some(comps) = comps else {
                if entry.kind != PackageKind::ExcludedGroup {
                    self.out.push(Diagnostic::new(
                        &UNKNOWN_GROUP,
                        line.file,
                        entry.name_range,
                        format!(
                            "`{name}` cannot be resolved: the media has no comps (no `group` record in repodata/repomd.xml and no comps.xml beside it)"
                        ),
                    ));
                }
                continue;
            };
            let known = match entry.kind {
                PackageKind::Environment => comps.find_environment(name).is_some(),
                _ => comps.find_group(name).is_some(),
            };
            if known {
                continue;
            }
            let prefix = if entry.kind == PackageKind::Environment {
                "@^"
            } else {
                "@"
            };
            // The other kind of comps entry, or a package.
            let hint = match entry.kind {
                PackageKind::Environment => comps
                    .find_group(name)
                    .map(|_| format!("`{name}` is a group, not an environment: write `@{name}`")),
                _ => comps
                    .find_environment(name)
                    .map(|_| format!("`{name}` is an environment, not a group: write `@^{name}`")),
            }
            .or_else(|| {
                (!media.packages.by_name(name).is_empty())
                    .then(|| format!("`{name}` is a package, not a group: drop the `@`"))
            });
            let ids: Vec<&str> = match entry.kind {
                PackageKind::Environment => {
                    comps.environments.iter().map(|e| e.id.as_str()).collect()
                }
                _ => comps
                    .groups
                    .iter()
                    .map(|g| g.id.as_str())
                    .chain(comps.categories.iter().map(|c| c.id.as_str()))
                    .collect(),
            };
            let renamed = RENAMED_IDS
                .iter()
                .filter_map(|&(old, new)| {
                    if old == name {
                        Some(new)
                    } else if new == name {
                        Some(old)
                    } else {
                        None
                    }
                })
                .find(|candidate| ids.contains(candidate));
            let suggestion = renamed.or_else(|| suggest(name, ids.iter().copied()));
            let rule = if entry.kind == PackageKind::ExcludedGroup {
                &EXCLUSION_MATCHES_NOTHING
            } else {
                &UNKNOWN_GROUP
            };
            let what = match entry.kind {
                PackageKind::Environment => "environment",
                _ => "group",
            };
            let mut message = format!("{what} `{prefix}{name}` is not in the media's comps");
            if let Some(hint) = &hint {
                message = format!("{message}: {hint}");
            } else if let Some(renamed) = renamed {
                message = format!(
                    "{message}: the id was renamed between releases, this media calls it `{renamed}`"
                );
            } else if let Some(suggestion) = suggestion {
                message = format!("{message}; did you mean `{suggestion}`?");
            }
            let mut diagnostic = Diagnostic::new(rule, line.file, entry.name_range, message);
            if hint.is_none() {
                if let Some(suggestion) = suggestion {
                    diagnostic = diagnostic.with_fix(fix(
                        format!("Replace with `{suggestion}`"),
                        Applicability::Unsafe,
                        line.file,
                        entry.name_range,
                        suggestion,
                    ));
                }
            }
            self.out.push(diagnostic);
        }
    }

    // KS2002, KS2003 for packages
    fn packages(&mut self, media: &MediaIndex) {
        let ignore_missing = self.header_flag("--ignoremissing");
        let lines: Vec<Line> = self
            .lines
            .iter()
            .filter(|l| {
                matches!(
                    l.entry.kind,
                    PackageKind::Package | PackageKind::ExcludedPackage
                )
            })
            .copied()
            .collect();
        for line in lines {
            let entry = line.entry;
            if !matches_spec(media, &entry.name).is_empty() || provided(media, &entry.name) {
                continue;
            }
            let excluded = entry.kind == PackageKind::ExcludedPackage;
            let suggestion = if entry.is_glob() {
                None
            } else {
                media.packages.suggest(&entry.name)
            };
            let what = if entry.is_glob() {
                "matches no package"
            } else {
                "is not a package"
            };
            let message = if excluded {
                format!(
                    "the exclusion `-{}` {what} on the media, so it excludes nothing",
                    entry.name
                )
            } else {
                format!("`{}` {what} on the media", entry.name)
            };
            let rule = if excluded {
                &EXCLUSION_MATCHES_NOTHING
            } else {
                &PACKAGE_NOT_ON_MEDIA
            };
            let mut diagnostic = Diagnostic::new(rule, line.file, entry.name_range, message);
            if !excluded {
                if ignore_missing {
                    diagnostic.severity = Severity::Info;
                    diagnostic
                        .message
                        .push_str(" (`--ignoremissing` makes the installer skip it silently)");
                } else {
                    diagnostic.message.push_str(
                        ": the installer stops and asks whether to continue, which hangs an unattended install",
                    );
                }
            }
            if let Some(suggestion) = suggestion {
                diagnostic
                    .message
                    .push_str(&format!("; did you mean `{suggestion}`?"));
                diagnostic = diagnostic.with_fix(fix(
                    format!("Replace with `{suggestion}`"),
                    Applicability::Unsafe,
                    line.file,
                    entry.name_range,
                    suggestion,
                ));
            }
            self.out.push(diagnostic);
        }
    }

    // KS2004, KS2005, KS2006
    /// The requirements no package provides within the closure of `roots`,
    /// each with the chain from the package back to its root. Edits to
    /// `%packages` often leave the selection as it was (a comment, a name
    /// that matched nothing and still does): the memo keeps the last ones.
    fn unresolved(
        &self,
        index: &PackageIndex,
        roots: &[PkgId],
        excluded: &HashSet<PkgId>,
    ) -> Arc<Vec<(PkgId, Dep, Vec<PkgId>)>> {
        let compute = || {
            // Asked for every provider of every requirement: no hashing.
            let mut allowed_ids = vec![true; index.len()];
            for &id in excluded {
                allowed_ids[id] = false;
            }
            let allowed = |id: PkgId| allowed_ids[id];
            // A media whose requirements are all met among the packages not
            // excluded (a release DVD, unless exclusions take providers
            // away): nothing to report, whatever the selection pulls in.
            let all_allowed = roots.iter().all(|&id| allowed(id));
            if all_allowed && index.every_requirement_met_among(&allowed) {
                return Arc::new(Vec::new());
            }
            let closure = index.closure_among(roots, &allowed);
            let unresolved = index.unresolved_in(&closure, &allowed);
            let with_chains = unresolved
                .into_iter()
                .map(|(id, dep)| (id, dep, closure.chain(id)))
                .collect();
            Arc::new(with_chains)
        };
        let mut excluded: Vec<PkgId> = excluded.iter().copied().collect();
        excluded.sort_unstable();
        let key = KeyHasher::new("closure").add(roots).add(excluded).finish();
        // No positions in it: nothing to move.
        remember(
            self.memo,
            key,
            Vec::new(),
            |_, found| Arc::clone(found),
            compute,
        )
    }

    fn selection(&mut self, media: &'a MediaIndex) {
        let index = &media.packages;
        let ignore_missing = self.header_flag("--ignoremissing");
        let entries: Vec<&PackageEntry> = self.lines.iter().map(|line| line.entry).collect();
        let selection = select(
            media,
            &entries,
            SelectOptions {
                nocore: self.header_flag("--nocore"),
                nobase: self.header_flag("--nobase"),
                version: self.version,
            },
        );
        let excluded_ids = &selection.excluded;
        let first_header = self
            .scope
            .sections
            .first()
            .map(|&(file, s)| (file, s.header.name_range));
        let origin_of = |by: By| match by {
            By::Line(n) => Some(Origin {
                file: self.lines[n].file,
                range: self.lines[n].entry.name_range,
            }),
            By::Core | By::Base => first_header.map(|(file, range)| Origin { file, range }),
        };
        let roots: Vec<(PkgId, Origin)> = selection
            .roots
            .iter()
            .filter_map(|&(id, by)| origin_of(by).map(|origin| (id, origin)))
            .collect();
        for picked in &selection.groups {
            let group = picked.group;
            let line = match picked.by {
                By::Line(n) => Some(self.lines[n]),
                _ => None,
            };
            let missing = &picked.missing;
            for (kind, rule) in [
                (ReqType::Mandatory, &GROUP_MANDATORY_MISSING),
                (ReqType::Default, &GROUP_DEFAULT_MISSING),
                (ReqType::Optional, &GROUP_DEFAULT_MISSING),
            ] {
                let Some(names) = missing.get(&kind) else {
                    continue;
                };
                let (file, range, selected) = match line {
                    Some(line) => (
                        line.file,
                        line.entry.name_range,
                        format!("`{}`", line.entry.name),
                    ),
                    None => match first_header {
                        Some((file, range)) if group.id == "core" => (
                            file,
                            range,
                            "always installed unless `--nocore`".to_string(),
                        ),
                        Some((file, range)) => (
                            file,
                            range,
                            "installed on RHEL 6 unless `--nobase`".to_string(),
                        ),
                        None => continue,
                    },
                };
                let via = match line {
                    Some(line) if line.entry.name != group.id => {
                        format!("group `{}` (selected by {selected})", group.id)
                    }
                    Some(_) => format!("group `{}`", group.id),
                    None => format!("group `{}` ({selected})", group.id),
                };
                let mut message = format!(
                    "{via} has {} {} package(s) missing from the media: {}",
                    names.len(),
                    kind.as_str(),
                    sample(names)
                );
                let mut diagnostic_rule = rule;
                match kind {
                    ReqType::Mandatory => message.push_str(
                        "; the installer cannot install the group",
                    ),
                    ReqType::Default => message.push_str(
                        "; yum skips them with a warning, dnf stops (add `--nodefaults` or copy the RPMs)",
                    ),
                    _ => {}
                }
                if kind == ReqType::Optional {
                    diagnostic_rule = &GROUP_DEFAULT_MISSING;
                }
                let mut diagnostic = Diagnostic::new(diagnostic_rule, file, range, message);
                if ignore_missing {
                    diagnostic.severity = Severity::Info;
                }
                if let (Some(comps_file), Some(first)) = (
                    self.scope.files.comps,
                    group
                        .packages
                        .iter()
                        .find(|p| names.contains(&p.name.as_str())),
                ) {
                    diagnostic = diagnostic.with_related(
                        comps_file,
                        first.range.clone().into(),
                        format!("`{}` listed in comps here", first.name),
                    );
                }
                self.out.push(diagnostic);
            }
        }
        // KS2006: the dependency closure.
        let mut root_line: HashMap<PkgId, Origin> = HashMap::new();
        for (id, line) in &roots {
            root_line.entry(*id).or_insert(*line);
        }
        let root_ids: Vec<PkgId> = {
            let mut ids: Vec<PkgId> = root_line.keys().copied().collect();
            ids.sort_unstable();
            ids
        };
        for (id, dep, chain) in self.unresolved(index, &root_ids, excluded_ids).iter() {
            let (id, dep) = (*id, dep.clone());
            let root = *chain.last().unwrap_or(&id);
            let Some(line) = root_line.get(&root) else {
                continue;
            };
            let package = index.get(id);
            let provided_by_excluded: Vec<&str> = index
                .providers(&dep)
                .into_iter()
                .filter(|p| excluded_ids.contains(p))
                .map(|p| index.get(p).name.as_str())
                .collect();
            let mut message = format!(
                "`{}` requires `{dep}`, which no package on the media provides",
                package.nevra()
            );
            if !provided_by_excluded.is_empty() {
                message = format!(
                    "`{}` requires `{dep}`, which only the excluded {} provide(s)",
                    package.nevra(),
                    sample(&provided_by_excluded)
                );
            }
            if chain.len() > 1 {
                let names: Vec<&str> = chain
                    .iter()
                    .rev()
                    .map(|&p| index.get(p).name.as_str())
                    .collect();
                message.push_str(&format!(" (installed through {})", names.join(" → ")));
            }
            message.push_str(": the installer stops with \"Error checking software dependencies\"");
            self.out.push(Diagnostic::new(
                &UNRESOLVED_DEPENDENCY,
                line.file,
                line.range,
                message,
            ));
        }
    }
}

/// Why a package is in a [`Selection`]: the `%packages` entry (index into
/// the entries given to [`select`]), or the implicit `@core` / `@base`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum By {
    Line(usize),
    Core,
    Base,
}

/// A comps group a selection installs, and its packages not on the media.
pub struct PickedGroup<'m> {
    pub group: &'m Group,
    pub by: By,
    pub missing: HashMap<ReqType, Vec<&'m str>>,
}

/// What `%packages` selects on the media, before dependencies.
pub struct Selection<'m> {
    /// Packages selected directly (by a line, a group or core), with the
    /// first reason; a package may appear more than once.
    pub roots: Vec<(PkgId, By)>,
    pub groups: Vec<PickedGroup<'m>>,
    /// Packages removed by `-name` / `-glob` lines.
    pub excluded: HashSet<PkgId>,
    /// Package lines (indices) that matched nothing on the media.
    pub unmatched: Vec<usize>,
}

/// Header flags of `%packages` that change the selection.
#[derive(Clone, Copy, Debug)]
pub struct SelectOptions {
    pub nocore: bool,
    pub nobase: bool,
    pub version: SyntaxVersion,
}

/// Resolves `%packages` entries against the media the way the installer
/// does: groups and environments through comps (`--nodefaults`,
/// `--optional`, `-@group`), the implicit `@core` (unless `--nocore`) and
/// on RHEL 6 `@base`, names, `name.arch`, globs, provides and obsoletes,
/// and `-package` exclusions. The dependency closure is left to the caller
/// ([`crate::media::index::PackageIndex::closure_among`] with the
/// exclusions as the filter).
pub fn select<'m>(
    media: &'m MediaIndex,
    entries: &[&PackageEntry],
    options: SelectOptions,
) -> Selection<'m> {
    let index = &media.packages;
    let mut excluded: HashSet<PkgId> = HashSet::new();
    let mut exclusion_matchers = Vec::new();
    for entry in entries {
        if entry.kind == PackageKind::ExcludedPackage {
            excluded.extend(matches_spec(media, &entry.name));
            exclusion_matchers.push(matcher(&entry.name));
        }
    }
    let is_excluded_name = |name: &str| exclusion_matchers.iter().any(|m| m(name));
    let has_option = |entry: &PackageEntry, name: &str| {
        entry
            .options
            .iter()
            .any(|arg| matches!(arg, Arg::Option(o) if o.name == name))
    };
    let excluded_groups: HashSet<&str> = entries
        .iter()
        .filter(|e| e.kind == PackageKind::ExcludedGroup)
        .map(|e| e.name.as_str())
        .collect();
    // (group, reason, nodefaults, optional)
    let mut groups: Vec<(&'m Group, By, bool, bool)> = Vec::new();
    if let Some(comps) = media.comps() {
        let mut add_group = |group: &'m Group, by: By, nodefaults, optional| {
            if excluded_groups.contains(group.id.as_str()) {
                return;
            }
            if !groups.iter().any(|(g, ..)| g.id == group.id) {
                groups.push((group, by, nodefaults, optional));
            }
        };
        for (n, entry) in entries.iter().enumerate() {
            let nodefaults = has_option(entry, "--nodefaults");
            let optional = has_option(entry, "--optional");
            match entry.kind {
                PackageKind::Group => match comps.find_group(&entry.name) {
                    Some(Found::Group(group)) => {
                        add_group(group, By::Line(n), nodefaults, optional)
                    }
                    Some(Found::Category(category)) => {
                        for id in &category.groups {
                            if let Some(group) = comps.group(id) {
                                add_group(group, By::Line(n), nodefaults, optional);
                            }
                        }
                    }
                    _ => {}
                },
                PackageKind::Environment => {
                    if let Some(env) = comps.find_environment(&entry.name) {
                        for id in &env.groups {
                            if let Some(group) = comps.group(id) {
                                add_group(group, By::Line(n), nodefaults, optional);
                            }
                        }
                    }
                }
                _ => {}
            }
        }
        if !options.nocore {
            if let Some(core) = comps.group("core") {
                add_group(core, By::Core, false, false);
            }
        }
        // RHEL 6 and older also install `@base` unless `--nobase`.
        let old_release = options.version.is_rhel() && options.version.major() <= 6;
        if old_release && !options.nobase {
            if let Some(base) = comps.group("base") {
                add_group(base, By::Base, false, false);
            }
        }
    }
    let mut roots = Vec::new();
    let mut picked = Vec::new();
    for (group, by, nodefaults, optional) in groups {
        let mut missing: HashMap<ReqType, Vec<&'m str>> = HashMap::new();
        for req in &group.packages {
            let wanted = match req.kind {
                ReqType::Mandatory => true,
                ReqType::Default => !nodefaults,
                ReqType::Optional => optional,
                ReqType::Conditional => false,
            };
            if !wanted || is_excluded_name(&req.name) {
                continue;
            }
            let ids: Vec<PkgId> = index
                .best_by_name(&req.name)
                .into_iter()
                .filter(|id| !excluded.contains(id))
                .collect();
            if ids.is_empty() {
                if !on_media(media, &req.name) {
                    missing.entry(req.kind).or_default().push(&req.name);
                }
                continue;
            }
            roots.extend(ids.into_iter().map(|id| (id, by)));
        }
        picked.push(PickedGroup { group, by, missing });
    }
    let mut unmatched = Vec::new();
    for (n, entry) in entries.iter().enumerate() {
        if entry.kind != PackageKind::Package {
            continue;
        }
        let mut ids: Vec<PkgId> = if entry.is_glob() {
            let matched: HashSet<&str> = matches_spec(media, &entry.name)
                .into_iter()
                .map(|id| index.get(id).name.as_str())
                .collect();
            let mut names: Vec<&str> = matched.into_iter().collect();
            names.sort_unstable();
            names
                .into_iter()
                .flat_map(|name| index.best_by_name(name))
                .collect()
        } else {
            let direct = index.best_by_name(&entry.name);
            if direct.is_empty() {
                let dep = Dep::new(entry.name.clone(), 0, "");
                index.providers(&dep).into_iter().take(1).collect()
            } else {
                direct
            }
        };
        if ids.is_empty() {
            ids = index.obsoleters(&entry.name).into_iter().take(1).collect();
        }
        if ids.is_empty() {
            unmatched.push(n);
        }
        roots.extend(
            ids.into_iter()
                .filter(|id| !excluded.contains(id))
                .map(|id| (id, By::Line(n))),
        );
    }
    Selection {
        roots,
        groups: picked,
        excluded,
        unmatched,
    }
}

/// Whether a comps package name is on the media by name, provide or obsolete.
fn on_media(media: &MediaIndex, name: &str) -> bool {
    !media.packages.by_name(name).is_empty() || provided(media, name)
}

fn provided(media: &MediaIndex, name: &str) -> bool {
    let dep = Dep::new(name, 0, "");
    !media.packages.providers(&dep).is_empty() || !media.packages.obsoleters(name).is_empty()
}

type Matcher = Box<dyn Fn(&str) -> bool>;

/// A matcher for a `%packages` name or glob against `name` and `name.arch`.
fn matcher(spec: &str) -> Matcher {
    if spec.contains(['*', '?', '[']) {
        if let Ok(glob) = GlobBuilder::new(spec).literal_separator(false).build() {
            let glob = glob.compile_matcher();
            return Box::new(move |name: &str| glob.is_match(name));
        }
    }
    let spec = spec.to_string();
    Box::new(move |name: &str| name == spec)
}

/// Packages a `%packages` name or glob matches (by name or `name.arch`).
fn matches_spec(media: &MediaIndex, spec: &str) -> Vec<PkgId> {
    let index = &media.packages;
    if !spec.contains(['*', '?', '[']) {
        let direct = index.by_name(spec);
        if !direct.is_empty() {
            return direct.to_vec();
        }
        return index.best_by_name(spec);
    }
    let matches = matcher(spec);
    index
        .packages
        .iter()
        .enumerate()
        .filter(|(_, p)| !p.is_source())
        .filter(|(_, p)| matches(&p.name) || matches(&format!("{}.{}", p.name, p.arch)))
        .map(|(id, _)| id)
        .collect()
}

fn sample(names: &[&str]) -> String {
    let mut text = names
        .iter()
        .take(6)
        .map(|n| format!("`{n}`"))
        .collect::<Vec<_>>()
        .join(", ");
    if names.len() > 6 {
        text.push_str(&format!(" and {} more", names.len() - 6));
    }
    text
}
