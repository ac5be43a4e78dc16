//! `kslint collect [DIR]`: copies into `Packages/` exactly the RPMs the
//! kickstart's `%packages` installs (groups and environments through comps,
//! globs, exclusions, `--nocore`, `--nodefaults`) plus their dependency
//! closure, taken from the source image's repodata (or, without repodata,
//! the RPM headers of its `Packages/`), with extra local RPMs (`--add`) and an `rpm -qa` list
//! (`--from-list`). Each RPM goes to the `Packages/` of the repository it
//! comes from (`BaseOS/`, `AppStream/` on EL8+ media). A second run copies nothing; RPMs no longer needed are
//! reported and, with `--prune`, removed.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fs;
use std::path::{Path, PathBuf};

use super::init::{repo_path, REPO_BASES};
use super::{is_temp_name, progress_bar, write_atomically, AssembleError, Item, ItemKind, Source};
use crate::analysis::CheckOptions;
use crate::config::Config;
use crate::media::comps::Comps;
use crate::media::index::{Dep, PkgId};
use crate::media::repodata::{self, Repomd};
use crate::media::{
    LayoutKind, LoadedComps, MediaIndex, MediaLayout, Package, PackageIndex, PackageSource,
};
use crate::rules::packages::{select, By, SelectOptions};
use crate::syntax::model::{PackageEntry, PackageKind, SectionKind};

#[derive(Clone, Debug, Default)]
pub struct CollectOptions {
    /// The project directory made by `init` (holding kslint.toml).
    pub dir: PathBuf,
    /// The kickstart (default: `ks/ks.cfg` of the ISO root).
    pub ks: Option<PathBuf>,
    /// The source image or directory (default: `[source] image`).
    pub from: Option<PathBuf>,
    /// Directories of extra RPMs copied with their dependencies.
    pub add: Vec<PathBuf>,
    /// An `rpm -qa` list of packages to install as well.
    pub from_list: Option<PathBuf>,
    /// Packages to explain.
    pub why: Vec<String>,
    /// Remove RPMs that are no longer needed.
    pub prune: bool,
    /// Report only; copy and remove nothing.
    pub dry_run: bool,
    pub quiet: bool,
}

/// Where an RPM is copied from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Origin {
    /// A path inside the source (image or directory).
    Source(String),
    /// A local file (`--add`).
    Local(PathBuf),
}

/// Why a package is in the set.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Reason {
    /// A `%packages` line (file, 1-based line, the line's text).
    Entry {
        file: PathBuf,
        line: usize,
        text: String,
    },
    /// The implicit `@core` (or `@base` on RHEL 6).
    Implicit(String),
    /// An entry of the `--from-list` file.
    List { file: PathBuf, line: usize },
    /// An RPM given with `--add`.
    Added(PathBuf),
    /// Required by another package of the set.
    Dependency { by: String, requirement: String },
}

impl std::fmt::Display for Reason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Reason::Entry { file, line, text } => {
                write!(f, "`{text}` in %packages ({}:{line})", file.display())
            }
            Reason::Implicit(group) => write!(f, "the implicit `@{group}` group"),
            Reason::List { file, line } => write!(f, "listed in {}:{line}", file.display()),
            Reason::Added(path) => write!(f, "added with --add ({})", path.display()),
            Reason::Dependency { by, requirement } => {
                write!(f, "required by {by} (`{requirement}`)")
            }
        }
    }
}

/// What `collect` found and did.
#[derive(Clone, Debug, Default)]
pub struct CollectReport {
    /// RPMs of the set (paths relative to the ISO root, e.g.
    /// `Packages/bash-4.2.46-34.el7.x86_64.rpm`), sorted.
    pub needed: Vec<String>,
    /// Packages selected directly (entries, lists, --add) and pulled in by dependencies.
    pub direct: usize,
    pub dependencies: usize,
    /// Copied now (paths relative to the ISO root) and their bytes.
    pub copied: Vec<String>,
    pub copied_bytes: u64,
    /// Already in `Packages/` with the right size.
    pub present: usize,
    /// RPMs in `Packages/` that the set does not need (removed with --prune).
    pub not_needed: Vec<String>,
    pub pruned: bool,
    /// Requirements nothing provides, `%packages` entries that match
    /// nothing, group packages missing from the media.
    pub unresolved: Vec<String>,
    /// `--from-list` entries not on the image.
    pub not_on_image: Vec<String>,
    /// `--from-list` entries on the image in another version: (listed, taken).
    pub other_version: Vec<(String, String)>,
    /// `--why` answers.
    pub why: Vec<String>,
    /// Remarks (e.g. `--ignoremissing` in effect).
    pub notes: Vec<String>,
}

impl CollectReport {
    /// Whether something the kickstart asks for could not be resolved.
    pub fn has_unresolved(&self) -> bool {
        !self.unresolved.is_empty()
    }
}

/// Every package of the source and the added RPMs, and where each comes from.
struct Catalog {
    packages: Vec<Package>,
    origins: Vec<Origin>,
    complete_files: bool,
    has_modules: bool,
}

pub fn run(options: &CollectOptions) -> Result<CollectReport, AssembleError> {
    let dir = &options.dir;
    let config = Config::discover(dir)
        .map_err(|e| AssembleError::new(e.to_string()))?
        .ok_or_else(|| {
            AssembleError::new(format!(
                "no kslint.toml in {} or above: run `kslint init --from DVD.iso {}` first",
                dir.display(),
                dir.display()
            ))
        })?;
    let root = match &config.media.root {
        Some(root) => config.resolve(root),
        None => super::init::iso_root(&config.base_dir),
    };
    if !root.is_dir() {
        return Err(AssembleError::new(format!(
            "{}: the ISO root does not exist (see [media] root in {})",
            root.display(),
            config.base_dir.join(crate::config::FILE_NAME).display()
        )));
    }
    let source_path = match (&options.from, &config.source.image) {
        (Some(from), _) => from.clone(),
        (None, Some(image)) => config.resolve(image),
        (None, None) => {
            return Err(AssembleError::new(format!(
                "{}: no [source] image: pass --from DVD.iso (or run `kslint init --from`)",
                config.base_dir.join(crate::config::FILE_NAME).display()
            )))
        }
    };
    let source = Source::open(&source_path)?;
    let mut catalog = load_source(&source)?;
    let added_from = catalog.packages.len();
    for dir in &options.add {
        add_local(dir, &mut catalog)?;
    }
    let comps = load_comps(&config, &source, &source_path)?;
    let mut report = CollectReport::default();
    let media = MediaIndex {
        layout: MediaLayout {
            root: source_path.clone(),
            kind: LayoutKind::Stock,
            repos: Vec::new(),
            comps: None,
        },
        packages: PackageIndex::new(
            std::mem::take(&mut catalog.packages),
            catalog.complete_files,
        ),
        source: PackageSource::Repodata,
        comps,
        problems: Vec::new(),
        stale: Vec::new(),
        has_modules: catalog.has_modules,
        module_packages: 0,
        repodata_count: 1,
    };
    let index = &media.packages;
    if index.is_empty() {
        return Err(AssembleError::new(format!(
            "{}: no packages found (no repodata/ and no Packages/)",
            source.describe()
        )));
    }

    // Roots: %packages, the list, the added RPMs.
    let mut roots: Vec<(PkgId, Reason)> = Vec::new();
    let ks_path = options
        .ks
        .clone()
        .unwrap_or_else(|| root.join("ks").join("ks.cfg"));
    let mut excluded = HashSet::new();
    if ks_path.is_file() || options.from_list.is_none() {
        excluded = kickstart_roots(&ks_path, &config, &media, &mut roots, &mut report)?;
    }
    if let Some(list) = &options.from_list {
        list_roots(list, index, &mut roots, &mut report)?;
    }
    for id in added_from..index.len() {
        if let Origin::Local(path) = &catalog.origins[id] {
            roots.push((id, Reason::Added(path.clone())));
        }
    }

    // The closure.
    let mut reasons: HashMap<PkgId, Reason> = HashMap::new();
    let mut root_ids = Vec::new();
    for (id, reason) in roots {
        if let std::collections::hash_map::Entry::Vacant(slot) = reasons.entry(id) {
            slot.insert(reason);
            root_ids.push(id);
        }
    }
    report.direct = root_ids.len();
    let allowed = |id: PkgId| !excluded.contains(&id);
    let closure = index.closure_among(&root_ids, &allowed);
    let members = closure.members();
    report.dependencies = members.len() - report.direct;
    for (id, parent) in closure.pulled_in() {
        if let Some(parent) = parent {
            reasons
                .entry(id)
                .or_insert_with(|| dependency_reason(index, parent, id));
        }
    }
    for (id, dep) in index.unresolved_among(&members, &allowed) {
        let chain: Vec<&str> = closure
            .chain(id)
            .iter()
            .rev()
            .map(|&p| index.get(p).name.as_str())
            .collect();
        let mut message = format!(
            "{} requires `{dep}`, which nothing on the media provides",
            index.get(id).nevra()
        );
        if chain.len() > 1 {
            message.push_str(&format!(" (installed through {})", chain.join(" → ")));
        }
        report.unresolved.push(message);
    }
    for name in &options.why {
        report
            .why
            .push(explain(name, index, &reasons, &closure, &excluded));
    }

    // Copy. Each RPM goes to the `Packages/` of the repository it comes
    // from (the root, or `BaseOS/` / `AppStream/` of EL8+ media); added
    // RPMs to the root's, or AppStream's on media split in two.
    let split = catalog
        .origins
        .iter()
        .any(|o| matches!(o, Origin::Source(p) if sub_repo(p).is_some()));
    let destination = |id: PkgId| -> String {
        let name = file_name(&index.get(id).location);
        let base = match &catalog.origins[id] {
            Origin::Source(path) => sub_repo(path),
            Origin::Local(_) if split => Some("AppStream"),
            Origin::Local(_) => None,
        };
        repo_path(base.unwrap_or(""), &format!("Packages/{name}"))
    };
    let mut wanted: BTreeMap<String, PkgId> = BTreeMap::new();
    let mut ids: Vec<PkgId> = members.iter().copied().collect();
    ids.sort_unstable();
    for id in ids {
        // The same file name twice (two repositories): the first wins.
        wanted.entry(destination(id)).or_insert(id);
    }
    report.needed = wanted.keys().cloned().collect();
    // relative path -> (size, modification time): copies get the source's
    // time, so a file of the right size and time is the one copied before.
    let mut existing: HashMap<String, (u64, i64)> = HashMap::new();
    for base in REPO_BASES {
        let rel_dir = repo_path(base, "Packages");
        let Ok(entries) = fs::read_dir(root.join(&rel_dir)) else {
            continue;
        };
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            let Ok(meta) = entry.metadata() else { continue };
            if is_temp_name(&name) {
                // Left by an interrupted run.
                if !options.dry_run {
                    let _ = fs::remove_file(entry.path());
                }
                continue;
            }
            if meta.is_file() && name.ends_with(".rpm") {
                use std::os::unix::fs::MetadataExt;
                existing.insert(format!("{rel_dir}/{name}"), (meta.len(), meta.mtime()));
            }
        }
    }
    let mut listing = Listing::default();
    let mut to_copy: Vec<(String, PkgId, u64)> = Vec::new();
    for (rel, &id) in &wanted {
        let (size, mtime) = match &catalog.origins[id] {
            Origin::Source(path) => listing
                .get(&source, path)?
                .map_or((0, None), |item| (item.size, item.mtime)),
            Origin::Local(path) => {
                use std::os::unix::fs::MetadataExt;
                let meta = fs::metadata(path).map_err(|e| AssembleError::io(path, e))?;
                (meta.len(), Some(meta.mtime()))
            }
        };
        let same = existing.get(rel).is_some_and(|&(have_size, have_time)| {
            have_size == size && mtime.is_none_or(|t| t == have_time)
        });
        if same {
            report.present += 1;
        } else {
            to_copy.push((rel.clone(), id, size));
        }
    }
    let mut not_needed: Vec<String> = existing
        .keys()
        .filter(|rel| !wanted.contains_key(*rel))
        .cloned()
        .collect();
    not_needed.sort();
    report.not_needed = not_needed;
    if options.dry_run {
        report.copied = to_copy.iter().map(|(rel, ..)| rel.clone()).collect();
        report.copied_bytes = to_copy.iter().map(|(_, _, size)| size).sum();
        return Ok(report);
    }
    let total: u64 = to_copy.iter().map(|(_, _, size)| size).sum();
    let bar = progress_bar(total, options.quiet);
    for (rel, id, size) in to_copy {
        bar.set_message(rel.clone());
        let dest = root.join(&rel);
        if let Some(parent) = dest.parent() {
            fs::create_dir_all(parent).map_err(|e| AssembleError::io(parent, e))?;
        }
        match &catalog.origins[id] {
            Origin::Source(path) => {
                let item = listing.get(&source, path)?.ok_or_else(|| {
                    AssembleError::new(format!(
                        "{}: {path} is listed in the repodata but not on the media",
                        source.describe()
                    ))
                })?;
                source.copy(&item, &dest, &mut |n| bar.inc(n))?;
            }
            Origin::Local(path) => {
                let local = Source::Dir(path.parent().unwrap_or(Path::new("/")).to_path_buf());
                let item = local
                    .get(&file_name(&path.to_string_lossy()))?
                    .ok_or_else(|| AssembleError::new(format!("{}: vanished", path.display())))?;
                local.copy(&item, &dest, &mut |n| bar.inc(n))?;
            }
        }
        report.copied.push(rel);
        report.copied_bytes += size;
    }
    bar.finish_and_clear();
    if options.prune {
        for rel in &report.not_needed {
            let path = root.join(rel);
            fs::remove_file(&path).map_err(|e| AssembleError::io(&path, e))?;
        }
        report.pruned = true;
    }
    if catalog.has_modules {
        narrow_modules(&source, &config.base_dir, &wanted, index, &mut report)?;
    }
    Ok(report)
}

/// Writes each repository's module metadata, narrowed to the module
/// streams whose RPMs the set holds, to its project file (see
/// [`super::modules`]); `kslint repo` makes the `modules` record of it.
fn narrow_modules(
    source: &Source,
    project: &Path,
    wanted: &BTreeMap<String, PkgId>,
    index: &PackageIndex,
    report: &mut CollectReport,
) -> Result<(), AssembleError> {
    for (base, text) in super::modules::read_source(source)? {
        let packages_dir = repo_path(&base, "Packages/");
        let present: HashSet<String> = wanted
            .iter()
            .filter(|(rel, _)| rel.starts_with(&packages_dir))
            .map(|(_, &id)| super::modules::artifact(index.get(id)))
            .collect();
        let documents = super::modules::parse(&text).map_err(AssembleError::new)?;
        let narrowed = super::modules::filter(&documents, &present);
        let path = super::modules::module_file(project, &base);
        let shown = if base.is_empty() {
            "the repository"
        } else {
            base.as_str()
        };
        if narrowed.text.is_empty() {
            match fs::remove_file(&path) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(AssembleError::io(&path, e)),
            }
            report.notes.push(format!(
                "no module stream of {shown} has packages in the set: no module metadata for it"
            ));
            continue;
        }
        write_atomically(&path, |file| {
            std::io::Write::write_all(file, narrowed.text.as_bytes())
        })
        .map_err(|e| AssembleError::io(&path, e))?;
        report.notes.push(format!(
            "module metadata of {shown}: {} of {} module stream(s) ({}) in {}; `kslint repo` writes the `modules` record",
            narrowed.kept_streams.len(),
            narrowed.all_streams.len(),
            narrowed.kept_streams.iter().cloned().collect::<Vec<_>>().join(", "),
            path.display()
        ));
    }
    Ok(())
}

/// `BaseOS` / `AppStream` for a path inside one of those sub-repositories.
fn sub_repo(path: &str) -> Option<&'static str> {
    REPO_BASES
        .iter()
        .copied()
        .filter(|base| !base.is_empty())
        .find(|base| path.starts_with(&format!("{base}/")))
}

fn file_name(location: &str) -> String {
    location.rsplit('/').next().unwrap_or(location).to_string()
}

/// Directory listings of the source, read once per directory (an image's
/// `Packages/` holds thousands of entries).
#[derive(Default)]
struct Listing {
    dirs: HashMap<String, HashMap<String, Item>>,
}

impl Listing {
    fn get(&mut self, source: &Source, path: &str) -> Result<Option<Item>, AssembleError> {
        let (dir, name) = path.rsplit_once('/').unwrap_or(("", path));
        if !self.dirs.contains_key(dir) {
            let mut entries = HashMap::new();
            if let Some(item) = source.get(dir)? {
                if item.kind == ItemKind::Dir {
                    for child in source.children(&item)? {
                        let name = file_name(&child.path);
                        entries.insert(name, child);
                    }
                }
            }
            self.dirs.insert(dir.to_string(), entries);
        }
        Ok(self.dirs[dir].get(name).cloned())
    }
}

/// The packages of the source: its repodata (every repository: the root,
/// `BaseOS/`, `AppStream/`), or for a directory without repodata the RPM
/// headers of its `Packages/`.
fn load_source(source: &Source) -> Result<Catalog, AssembleError> {
    let mut catalog = Catalog {
        packages: Vec::new(),
        origins: Vec::new(),
        complete_files: true,
        has_modules: false,
    };
    if let Source::Dir(dir) = source {
        let layout = MediaLayout::at(dir, None).ok_or_else(|| {
            AssembleError::new(format!("{}: cannot read the directory", dir.display()))
        })?;
        let media = MediaIndex::load(layout);
        if let Some(problem) = media.problems.first() {
            return Err(AssembleError::new(format!(
                "{}: {}",
                problem.path.display(),
                problem.message
            )));
        }
        catalog.has_modules = media.has_modules;
        catalog.complete_files = media.packages.complete_files;
        for package in media.packages.packages {
            if package.is_source() {
                continue;
            }
            let origin = REPO_BASES
                .iter()
                .map(|base| repo_path(base, &package.location))
                .find(|rel| dir.join(rel).is_file())
                .unwrap_or_else(|| package.location.clone());
            catalog.origins.push(Origin::Source(origin));
            catalog.packages.push(package);
        }
        return Ok(catalog);
    }
    let mut found_repo = false;
    for base in REPO_BASES {
        let Some(repomd) = source.repomd(base)? else {
            continue;
        };
        found_repo = true;
        let repomd_path = repo_path(base, "repodata/repomd.xml");
        let at = |what: &str| format!("{}: {what}", source.describe());
        catalog.has_modules |= repomd.record("modules").is_some();
        let read = |href: &str| -> Result<String, AssembleError> {
            let plain = source.repo_file(base, href)?;
            Ok(String::from_utf8_lossy(&plain).into_owned())
        };
        let primary = repomd
            .record("primary")
            .ok_or_else(|| AssembleError::new(at(&format!("{repomd_path}: no primary record"))))?;
        let text = read(&primary.href)?;
        let mut packages = repodata::parse_primary(&text).map_err(|e| {
            AssembleError::new(format!(
                "{} (at byte {})",
                at(&format!(
                    "{}: {}",
                    repo_path(base, &primary.href),
                    e.message
                )),
                e.offset
            ))
        })?;
        match repomd.record("filelists") {
            Some(record) => {
                let text = read(&record.href)?;
                repodata::merge_filelists(&text, &mut packages).map_err(|e| {
                    AssembleError::new(format!(
                        "{} (at byte {})",
                        at(&format!("{}: {}", repo_path(base, &record.href), e.message)),
                        e.offset
                    ))
                })?;
            }
            None => catalog.complete_files = false,
        }
        for package in packages {
            if package.is_source() {
                continue;
            }
            catalog
                .origins
                .push(Origin::Source(repo_path(base, &package.location)));
            catalog.packages.push(package);
        }
    }
    if !found_repo {
        // No repodata: the RPM headers of the image's Packages/ directories.
        for base in REPO_BASES {
            let dir = repo_path(base, "Packages");
            let Some(item) = source.get(&dir)? else {
                continue;
            };
            for child in source.walk(&item)? {
                if child.kind != ItemKind::File
                    || !child.path.ends_with(".rpm")
                    || child.path.ends_with(".src.rpm")
                {
                    continue;
                }
                let location = child.path[base.len() + usize::from(!base.is_empty())..].to_string();
                let package = source.rpm_header(&child, &location)?;
                catalog.origins.push(Origin::Source(child.path.clone()));
                catalog.packages.push(package);
            }
        }
        if catalog.packages.is_empty() {
            return Err(AssembleError::new(format!(
                "{}: no repodata/repomd.xml and no RPMs in Packages/ (nor in BaseOS/ or AppStream/)",
                source.describe()
            )));
        }
    }
    Ok(catalog)
}

/// Adds the RPMs below `dir` (`--add`).
fn add_local(dir: &Path, catalog: &mut Catalog) -> Result<(), AssembleError> {
    let mut files = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(current) = stack.pop() {
        let entries = fs::read_dir(&current).map_err(|e| AssembleError::io(&current, e))?;
        for entry in entries {
            let entry = entry.map_err(|e| AssembleError::io(&current, e))?;
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "rpm")
                && !path.to_string_lossy().ends_with(".src.rpm")
            {
                files.push(path);
            }
        }
    }
    if files.is_empty() {
        return Err(AssembleError::new(format!(
            "{}: no RPM files to add",
            dir.display()
        )));
    }
    files.sort();
    for path in files {
        let name = file_name(&path.to_string_lossy());
        let package = crate::media::rpmhdr::read_package(&path, &format!("Packages/{name}"))
            .map_err(|e| AssembleError::new(format!("{}: {e}", path.display())))?;
        catalog.packages.push(package);
        catalog.origins.push(Origin::Local(path));
    }
    Ok(())
}

/// The comps in use: `[media] comps` (the `comps.xml` init wrote, maybe
/// edited), else the source's `group` record.
fn load_comps(
    config: &Config,
    source: &Source,
    source_path: &Path,
) -> Result<Option<LoadedComps>, AssembleError> {
    let path = config
        .media
        .comps
        .as_ref()
        .map(|p| config.resolve(p))
        .or_else(|| Some(config.base_dir.join("comps.xml")).filter(|p| p.is_file()));
    let (path, bytes) = match path {
        Some(path) => {
            let bytes = fs::read(&path).map_err(|e| AssembleError::io(&path, e))?;
            (path, bytes)
        }
        None => {
            let mut found = None;
            for base in REPO_BASES {
                let Some(item) = source.get(&repo_path(base, "repodata/repomd.xml"))? else {
                    continue;
                };
                let text = String::from_utf8_lossy(&source.read(&item)?).into_owned();
                let Ok(repomd) = Repomd::parse(&text) else {
                    continue;
                };
                if let Some(record) = repomd.record("group").or_else(|| repomd.record("group_gz")) {
                    let rel = repo_path(base, &record.href);
                    if let Some(item) = source.get(&rel)? {
                        found = Some((source_path.join(&rel), source.read(&item)?));
                    }
                }
            }
            match found {
                Some(found) => found,
                None => return Ok(None),
            }
        }
    };
    let plain = crate::media::xml::decompress(&bytes)
        .map_err(|e| AssembleError::new(format!("{}: {e}", path.display())))?;
    let text: std::sync::Arc<str> = String::from_utf8_lossy(&plain).into();
    let comps = Comps::parse(&text).map_err(|e| {
        let index = crate::source::LineIndex::new(&text);
        AssembleError::new(format!(
            "{}:{}: malformed comps: {}",
            path.display(),
            index.line_of(e.offset) + 1,
            e.message
        ))
    })?;
    Ok(Some(LoadedComps { path, text, comps }))
}

/// The packages the kickstart's `%packages` selects; returns the excluded ones.
fn kickstart_roots(
    ks: &Path,
    config: &Config,
    media: &MediaIndex,
    roots: &mut Vec<(PkgId, Reason)>,
    report: &mut CollectReport,
) -> Result<HashSet<PkgId>, AssembleError> {
    let options = CheckOptions {
        config: config.clone(),
        ..CheckOptions::default()
    };
    let analysis = crate::analysis::analyze_path(ks, &options).map_err(|e| {
        AssembleError::new(format!("{}: cannot read the kickstart: {e}", ks.display()))
    })?;
    let mut entries: Vec<&PackageEntry> = Vec::new();
    let mut places: Vec<(PathBuf, usize)> = Vec::new();
    let mut last_section = None;
    for document in analysis.documents() {
        let file = analysis.sources.get(document.file);
        for section in document.sections() {
            if section.kind != SectionKind::Packages {
                continue;
            }
            last_section = Some(section);
            for entry in section.packages() {
                entries.push(entry);
                places.push((
                    file.path.clone(),
                    file.line_index.line_of(entry.name_range.start) + 1,
                ));
            }
        }
    }
    let Some(last) = last_section else {
        return Err(AssembleError::new(format!(
            "{}: no %packages section: nothing to collect",
            ks.display()
        )));
    };
    let flag = |name: &str| last.header_option(name).is_some();
    let ignore_missing = flag("--ignoremissing");
    let selection = select(
        media,
        &entries,
        SelectOptions {
            nocore: flag("--nocore"),
            nobase: flag("--nobase"),
            version: analysis.version,
        },
    );
    let line_text = |n: usize| {
        let entry = entries[n];
        let prefix = match entry.kind {
            PackageKind::Group => "@",
            PackageKind::Environment => "@^",
            PackageKind::ExcludedPackage => "-",
            PackageKind::ExcludedGroup => "-@",
            _ => "",
        };
        format!("{prefix}{}", entry.name)
    };
    for (id, by) in selection.roots {
        let reason = match by {
            By::Line(n) => Reason::Entry {
                file: places[n].0.clone(),
                line: places[n].1,
                text: line_text(n),
            },
            By::Core => Reason::Implicit("core".into()),
            By::Base => Reason::Implicit("base".into()),
        };
        roots.push((id, reason));
    }
    let mut missing = Vec::new();
    for n in selection.unmatched {
        missing.push(format!(
            "`{}` ({}:{}) matches no package on the media",
            line_text(n),
            places[n].0.display(),
            places[n].1
        ));
    }
    if let Some(comps) = media.comps() {
        for (n, entry) in entries.iter().enumerate() {
            let known = match entry.kind {
                PackageKind::Group => comps.find_group(&entry.name).is_some(),
                PackageKind::Environment => comps.find_environment(&entry.name).is_some(),
                _ => true,
            };
            if !known {
                missing.push(format!(
                    "`{}` ({}:{}) is not in the comps",
                    line_text(n),
                    places[n].0.display(),
                    places[n].1
                ));
            }
        }
    }
    for picked in &selection.groups {
        let mut kinds: Vec<_> = picked.missing.iter().collect();
        kinds.sort_by_key(|(kind, _)| kind.as_str());
        for (kind, names) in kinds {
            missing.push(format!(
                "group `{}` lists {} package(s) not on the media: {}",
                picked.group.id,
                kind.as_str(),
                names.join(", ")
            ));
        }
    }
    if ignore_missing && !missing.is_empty() {
        report.notes.push(format!(
            "--ignoremissing: the installer skips {} missing item(s): {}",
            missing.len(),
            missing.join("; ")
        ));
    } else {
        report.unresolved.extend(missing);
    }
    Ok(selection.excluded)
}

/// The entries of an `rpm -qa` list (`name-version-release.arch` per line).
fn list_roots(
    list: &Path,
    index: &PackageIndex,
    roots: &mut Vec<(PkgId, Reason)>,
    report: &mut CollectReport,
) -> Result<(), AssembleError> {
    let text = fs::read_to_string(list).map_err(|e| AssembleError::io(list, e))?;
    let mut by_nevra: HashMap<String, PkgId> = HashMap::new();
    for (id, package) in index.packages.iter().enumerate() {
        by_nevra.insert(
            format!(
                "{}-{}-{}.{}",
                package.name, package.version, package.release, package.arch
            ),
            id,
        );
        by_nevra.insert(package.nevra(), id);
    }
    let mut keys = 0;
    for (n, line) in text.lines().enumerate() {
        let entry = line.trim();
        if entry.is_empty() || entry.starts_with('#') {
            continue;
        }
        let reason = Reason::List {
            file: list.to_path_buf(),
            line: n + 1,
        };
        if let Some(&id) = by_nevra.get(entry) {
            roots.push((id, reason));
            continue;
        }
        // gpg-pubkey-… entries are imported keys, not packages.
        if entry.starts_with("gpg-pubkey-") {
            keys += 1;
            continue;
        }
        let name = nevra_name(entry);
        let ids = index.best_by_name(name);
        if let Some(&id) = ids.first() {
            report
                .other_version
                .push((entry.to_string(), index.get(id).nevra()));
            roots.push((id, reason));
        } else if !index.best_by_name(entry).is_empty() {
            // A plain name (or name.arch) line.
            for id in index.best_by_name(entry) {
                roots.push((id, reason.clone()));
            }
        } else {
            report
                .not_on_image
                .push(format!("{entry} ({}:{})", list.display(), n + 1));
        }
    }
    if keys > 0 {
        report.notes.push(format!(
            "{keys} gpg-pubkey entr{} of {} skipped (imported keys, not packages)",
            if keys == 1 { "y" } else { "ies" },
            list.display()
        ));
    }
    Ok(())
}

/// The name part of `name-version-release.arch` (or `name-version-release`).
fn nevra_name(text: &str) -> &str {
    let without_arch = match text.rsplit_once('.') {
        Some((rest, arch))
            if !arch.is_empty()
                && arch.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
                && rest.matches('-').count() >= 2 =>
        {
            rest
        }
        _ => text,
    };
    let Some((rest, _release)) = without_arch.rsplit_once('-') else {
        return text;
    };
    match rest.rsplit_once('-') {
        Some((name, _version)) if !name.is_empty() => name,
        _ => text,
    }
}

/// Why `child` was pulled in by `parent`: the first requirement of
/// `parent` that `child` provides.
fn dependency_reason(index: &PackageIndex, parent: PkgId, child: PkgId) -> Reason {
    let package = index.get(parent);
    let requirement = package
        .requires
        .iter()
        .find(|dep| !dep.is_rich() && index.providers(dep).contains(&child))
        .or_else(|| package.requires.iter().find(|dep| dep.is_rich()))
        .map(Dep::to_string)
        .unwrap_or_else(|| index.get(child).name.clone());
    Reason::Dependency {
        by: package.nevra(),
        requirement,
    }
}

/// The `--why` answer for one package name.
fn explain(
    name: &str,
    index: &PackageIndex,
    reasons: &HashMap<PkgId, Reason>,
    closure: &crate::media::index::Closure,
    excluded: &HashSet<PkgId>,
) -> String {
    let mut candidates = index.by_name(name);
    if candidates.is_empty() {
        // `name.arch`
        candidates = index.best_by_name(name);
    }
    if candidates.is_empty() {
        return format!("{name}: no such package on the media");
    }
    let Some(&id) = candidates.iter().find(|&&id| closure.contains(id)) else {
        let excluded_note = if candidates.iter().any(|id| excluded.contains(id)) {
            " (it is excluded in %packages)"
        } else {
            ""
        };
        return format!("{name}: not in the set: nothing selects or requires it{excluded_note}");
    };
    let mut text = format!("{}:", index.get(id).nevra());
    for step in closure.chain(id) {
        match reasons.get(&step) {
            Some(reason) => text.push_str(&format!("\n  {} ← {reason}", index.get(step).name)),
            None => text.push_str(&format!("\n  {}", index.get(step).name)),
        }
    }
    text
}

#[cfg(test)]
mod tests {
    use super::nevra_name;

    #[test]
    fn names_of_rpm_qa_lines() {
        assert_eq!(nevra_name("bash-4.2.46-34.el7.x86_64"), "bash");
        assert_eq!(
            nevra_name("openssh-server-7.4p1-21.el7.x86_64"),
            "openssh-server"
        );
        assert_eq!(nevra_name("python-libs-2.7.5-90.el7"), "python-libs");
        assert_eq!(nevra_name("bash"), "bash");
    }
}
