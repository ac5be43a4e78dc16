//! The install media a kickstart is used with: its layout, comps, the
//! packages on it (from RPM headers or repodata) and the state of its
//! repodata. Reading never modifies the media tree and never fails as a
//! whole: files that cannot be read become [`Problem`]s.

pub mod cache;
pub mod comps;
pub mod index;
pub mod layout;
pub mod repodata;
pub mod rpmhdr;
#[doc(hidden)]
pub mod testkit;
pub mod xml;

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};

use sha2::{Digest, Sha256, Sha512};

pub use comps::Comps;
pub use index::{Package, PackageIndex};
pub use layout::{LayoutKind, MediaLayout};

use cache::{Cache, Stamp};
use repodata::Repomd;

/// A media file that could not be read or parsed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    pub path: PathBuf,
    pub message: String,
    /// The file's text and a byte offset into it, for XML errors.
    pub text: Option<Arc<str>>,
    pub offset: Option<usize>,
}

/// Why the repodata of one repository does not describe its `Packages/`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Staleness {
    /// The repository's `repomd.xml` (or where it should be).
    pub path: PathBuf,
    pub message: String,
}

/// The comps file in use, with its text for positions.
#[derive(Clone, Debug)]
pub struct LoadedComps {
    pub path: PathBuf,
    pub text: Arc<str>,
    pub comps: Comps,
}

/// Where the package list came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PackageSource {
    Headers,
    Repodata,
    None,
}

/// Everything known about one media tree.
#[derive(Debug)]
pub struct MediaIndex {
    pub layout: MediaLayout,
    pub packages: PackageIndex,
    pub source: PackageSource,
    pub comps: Option<LoadedComps>,
    pub problems: Vec<Problem>,
    pub stale: Vec<Staleness>,
    /// Whether some repository has a `modules` record (EL8+ modularity).
    pub has_modules: bool,
    /// Packages whose release marks them as module builds (`.module+el8…`).
    pub module_packages: usize,
    /// Number of repositories with a repomd.xml.
    pub repodata_count: usize,
}

/// How much I/O the last load did, for the benchmark and `media info`.
#[derive(Clone, Copy, Debug, Default)]
pub struct LoadStats {
    pub rpm_files: usize,
    pub headers_read: usize,
}

impl MediaIndex {
    /// Reads the media of `layout`, using and refreshing the cache.
    pub fn load(layout: MediaLayout) -> MediaIndex {
        let cache_path = cache::cache_file(&layout.root);
        Self::load_with(layout, cache_path.as_deref()).0
    }

    /// Reads the media of `layout` with the cache in `cache_path` (none:
    /// read everything), and says how much was read.
    pub fn load_with(layout: MediaLayout, cache_path: Option<&Path>) -> (MediaIndex, LoadStats) {
        let (old, mut listings) = load_cache_and_list_rpms(&layout, cache_path);
        let mut loader = Loader {
            old,
            new: Cache::default(),
            rpms: Vec::new(),
            dirty: false,
            problems: Vec::new(),
            stats: LoadStats::default(),
        };
        let mut packages = Vec::new();
        let mut stale = Vec::new();
        let mut has_modules = false;
        let mut repo_packages_from_headers = false;
        let mut complete_files = true;
        let mut group_file = None;
        let mut repodata_count = 0;
        for repo in &layout.repos {
            let base = packages.len();
            let headers = listings
                .next()
                .flatten()
                .map(|files| loader.headers(&layout.root, files, base));
            let repomd = repo.repomd.as_deref().and_then(|path| loader.repomd(path));
            if repomd.is_some() {
                repodata_count += 1;
            }
            if let Some(repomd) = &repomd {
                has_modules |= repomd.record("modules").is_some();
                if group_file.is_none() {
                    group_file = repomd
                        .record("group")
                        .or_else(|| repomd.record("group_gz"))
                        .map(|record| repo.base.join(&record.href));
                }
            }
            let repomd_path = repo
                .repomd
                .clone()
                .unwrap_or_else(|| repo.base.join("repodata").join("repomd.xml"));
            match (headers, repomd) {
                (Some(found), Some(repomd)) => {
                    repo_packages_from_headers = true;
                    let listed = loader.primary(&repo.base, &repomd, false);
                    stale.extend(loader.verify(&repo.base, &repomd, &repomd_path));
                    if let Some(listed) = listed {
                        stale.extend(compare_listing(&repomd_path, &found, &listed));
                    }
                    packages.extend(found);
                }
                (Some(found), None) => {
                    repo_packages_from_headers = true;
                    if layout.kind == LayoutKind::Stock && !found.is_empty() {
                        stale.push(Staleness {
                            path: repomd_path,
                            message: format!(
                                "no repodata/ for {} package(s) in {}: the installer cannot use this repository (run `createrepo_c -g comps.xml .`)",
                                found.len(),
                                relative(&layout.root, &repo.base.join("Packages"))
                            ),
                        });
                    }
                    packages.extend(found);
                }
                (None, Some(repomd)) => {
                    stale.extend(loader.verify(&repo.base, &repomd, &repomd_path));
                    if let Some(listed) = loader.primary(&repo.base, &repomd, true) {
                        complete_files &= repomd.record("filelists").is_some();
                        packages.extend(listed);
                    }
                }
                (None, None) => {}
            }
        }
        let comps = load_comps(&layout, group_file.as_deref(), &mut loader.problems);
        if let Some(path) = cache_path {
            if loader.dirty || loader.forgot_entries() {
                let mut cache = std::mem::take(&mut loader.new);
                for (key, stamp, entry) in std::mem::take(&mut loader.rpms) {
                    let entry = entry.map(|position| packages[position].clone());
                    cache.rpms.insert(key, (stamp, entry));
                }
                cache.store(path);
            }
        }
        let source = if repo_packages_from_headers {
            PackageSource::Headers
        } else if packages.is_empty() {
            PackageSource::None
        } else {
            PackageSource::Repodata
        };
        let module_packages = packages
            .iter()
            .filter(|p| p.release.contains(".module"))
            .count();
        let index = MediaIndex {
            layout,
            packages: PackageIndex::new(packages, complete_files),
            source,
            comps,
            problems: loader.problems,
            stale,
            has_modules,
            module_packages,
            repodata_count,
        };
        (index, loader.stats)
    }

    /// The media for a kickstart: `--media`, `[media] root`, or found from
    /// the kickstart's path; loaded once per process and root.
    pub fn for_kickstart(
        kickstart: &Path,
        explicit_root: Option<&Path>,
        explicit_comps: Option<PathBuf>,
    ) -> Option<Arc<MediaIndex>> {
        let layout = match explicit_root {
            Some(root) => MediaLayout::at(root, explicit_comps)?,
            None => {
                let mut layout = MediaLayout::discover(kickstart)?;
                if explicit_comps.is_some() {
                    layout.comps = explicit_comps;
                }
                layout
            }
        };
        type Loaded = HashMap<(PathBuf, Option<PathBuf>), (Vec<Option<Stamp>>, Arc<MediaIndex>)>;
        static LOADED: OnceLock<Mutex<Loaded>> = OnceLock::new();
        let key = (layout.root.clone(), layout.comps.clone());
        let stamps = layout_stamps(&layout);
        let loaded = LOADED.get_or_init(Default::default);
        if let Some((seen, index)) = loaded.lock().ok()?.get(&key) {
            if *seen == stamps {
                return Some(index.clone());
            }
        }
        let index = Arc::new(MediaIndex::load(layout));
        if let Ok(mut map) = loaded.lock() {
            map.insert(key, (stamps, index.clone()));
        }
        Some(index)
    }

    pub fn comps(&self) -> Option<&Comps> {
        self.comps.as_ref().map(|loaded| &loaded.comps)
    }
}

/// The old cache and, per repository of `layout`, its `*.rpm` files with
/// their stamps (`None` without a `Packages/`). A warm load spends most of
/// its I/O time on these two: a second thread lists and stats the RPMs
/// while this one decodes the cache (the decoding allocates much, which a
/// second thread does in a heap of its own that grows by small steps).
fn load_cache_and_list_rpms(
    layout: &MediaLayout,
    cache_path: Option<&Path>,
) -> (Cache, impl Iterator<Item = Option<Vec<(PathBuf, Stamp)>>>) {
    let list = || -> Vec<Option<Vec<(PathBuf, Stamp)>>> {
        layout
            .repos
            .iter()
            .map(|repo| {
                repo.packages.as_deref().map(|dir| {
                    let mut files = Vec::new();
                    list_rpms(dir, &mut files, 0);
                    files.sort_by(|a, b| a.0.as_os_str().cmp(b.0.as_os_str()));
                    files
                })
            })
            .collect()
    };
    let Some(path) = cache_path else {
        return (Cache::default(), list().into_iter());
    };
    let (cache, listings) = std::thread::scope(|scope| {
        let listings = scope.spawn(list);
        let cache = Cache::load(path);
        match listings.join() {
            Ok(listings) => (cache, listings),
            Err(panic) => std::panic::resume_unwind(panic),
        }
    });
    (cache, listings.into_iter())
}

/// Cheap signs that a loaded tree changed (a long-running language server
/// reuses an index only while these hold): the modification times of the
/// package directories, of `repomd.xml` and of the comps file.
fn layout_stamps(layout: &MediaLayout) -> Vec<Option<Stamp>> {
    let mut stamps = Vec::new();
    for repo in &layout.repos {
        stamps.push(repo.packages.as_deref().and_then(Stamp::read));
        let repodata = repo.base.join("repodata");
        stamps.push(Stamp::read(&repodata));
        if let Ok(entries) = std::fs::read_dir(&repodata) {
            let mut files: Vec<PathBuf> =
                entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
            files.sort();
            stamps.extend(files.iter().map(|file| Stamp::read(file)));
        }
    }
    stamps.push(layout.comps.as_deref().and_then(Stamp::read));
    stamps
}

/// `path` relative to `root` for messages.
pub fn relative(root: &Path, path: &Path) -> String {
    path.strip_prefix(root)
        .unwrap_or(path)
        .display()
        .to_string()
}

struct Loader {
    old: Cache,
    /// The repodata part of the next cache; its RPM part is `rpms`.
    new: Cache,
    /// RPM path, stamp, and the package's position in the loaded list (or
    /// why it could not be read), in load order.
    rpms: Vec<(String, Stamp, Result<usize, String>)>,
    /// Something was read that the cache did not have.
    dirty: bool,
    problems: Vec<Problem>,
    stats: LoadStats,
}

impl Loader {
    /// Whether the old cache has entries for files that are gone.
    fn forgot_entries(&self) -> bool {
        // Entries still in `old.rpms` were not taken: their files are gone.
        !self.old.rpms.is_empty()
            || self
                .old
                .digests
                .keys()
                .any(|k| !self.new.digests.contains_key(k))
            || self
                .old
                .primaries
                .keys()
                .any(|k| !self.new.primaries.contains_key(k))
    }

    /// Headers of the `files` of one `Packages/` (sorted `*.rpm` paths and
    /// stamps), from the cache when unchanged. `base` is the number of
    /// packages loaded before these.
    fn headers(&mut self, root: &Path, files: Vec<(PathBuf, Stamp)>, base: usize) -> Vec<Package> {
        self.stats.rpm_files += files.len();
        let mut todo = Vec::new();
        let mut results: Vec<Option<Result<Package, String>>> = Vec::with_capacity(files.len());
        let mut keys = Vec::with_capacity(files.len());
        for (i, (path, stamp)) in files.iter().enumerate() {
            let key = path.to_string_lossy().into_owned();
            match self.old.rpms.remove(&key) {
                Some((cached, entry)) if cached == *stamp => results.push(Some(entry)),
                _ => {
                    results.push(None);
                    todo.push(i);
                }
            }
            keys.push(key);
        }
        self.stats.headers_read += todo.len();
        self.dirty |= !todo.is_empty();
        let parsed = parse_parallel(&files, root, &todo);
        for (i, entry) in todo.into_iter().zip(parsed) {
            results[i] = Some(entry);
        }
        let mut packages = Vec::with_capacity(files.len());
        for (((path, stamp), key), entry) in files.into_iter().zip(keys).zip(results) {
            let Some(entry) = entry else { continue };
            match entry {
                Ok(package) => {
                    self.rpms.push((key, stamp, Ok(base + packages.len())));
                    packages.push(package);
                }
                Err(message) => {
                    self.rpms.push((key, stamp, Err(message.clone())));
                    self.problems.push(Problem {
                        path,
                        message,
                        text: None,
                        offset: None,
                    });
                }
            }
        }
        packages
    }

    fn repomd(&mut self, path: &Path) -> Option<Repomd> {
        let text = match std::fs::read(path) {
            Ok(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
            Err(error) => {
                self.problem(path, error.to_string(), None, None);
                return None;
            }
        };
        match Repomd::parse(&text) {
            Ok(repomd) => Some(repomd),
            Err(error) => {
                self.problem(path, error.message, Some(text.into()), Some(error.offset));
                None
            }
        }
    }

    fn problem(
        &mut self,
        path: &Path,
        message: String,
        text: Option<Arc<str>>,
        offset: Option<usize>,
    ) {
        self.problems.push(Problem {
            path: path.to_path_buf(),
            message,
            text,
            offset,
        });
    }

    /// Packages listed by the `primary` record (+ `filelists` when `full`).
    fn primary(&mut self, base: &Path, repomd: &Repomd, full: bool) -> Option<Vec<Package>> {
        let record = repomd.record("primary")?;
        let path = base.join(&record.href);
        let stamp = Stamp::read(&path)?;
        let filelists = if full {
            repomd.record("filelists").map(|r| base.join(&r.href))
        } else {
            None
        };
        let filelists_stamp = filelists.as_deref().and_then(Stamp::read);
        let key = path.to_string_lossy().into_owned();
        if let Some(entry) = self.old.primaries.get(&key) {
            if entry.0 == stamp && entry.1 == filelists_stamp {
                self.new.primaries.insert(key, entry.clone());
                return Some(entry.2.clone());
            }
        }
        self.dirty = true;
        let text = self.read_metadata(&path)?;
        let mut packages = match repodata::parse_primary(&text) {
            Ok(packages) => packages,
            Err(error) => {
                self.problem(&path, error.message, Some(text.into()), Some(error.offset));
                return None;
            }
        };
        if let Some(filelists) = &filelists {
            if let Some(text) = self.read_metadata(filelists) {
                if let Err(error) = repodata::merge_filelists(&text, &mut packages) {
                    self.problem(
                        filelists,
                        error.message,
                        Some(text.into()),
                        Some(error.offset),
                    );
                }
            }
        }
        self.new
            .primaries
            .insert(key, (stamp, filelists_stamp, packages.clone()));
        Some(packages)
    }

    fn read_metadata(&mut self, path: &Path) -> Option<String> {
        let bytes = match std::fs::read(path) {
            Ok(bytes) => bytes,
            Err(error) => {
                self.problem(path, error.to_string(), None, None);
                return None;
            }
        };
        match xml::decompress(&bytes) {
            Ok(plain) => Some(String::from_utf8_lossy(&plain).into_owned()),
            Err(message) => {
                self.problem(path, message, None, None);
                None
            }
        }
    }

    /// Checks that every file `repomd.xml` names exists, has the recorded
    /// size and checksum, and is not older than... itself.
    fn verify(&mut self, base: &Path, repomd: &Repomd, repomd_path: &Path) -> Vec<Staleness> {
        let mut out = Vec::new();
        for record in &repomd.records {
            let path = base.join(&record.href);
            let Some(stamp) = Stamp::read(&path) else {
                out.push(Staleness {
                    path: repomd_path.to_path_buf(),
                    message: format!(
                        "repomd.xml lists `{}` ({}), which does not exist",
                        record.href, record.kind
                    ),
                });
                continue;
            };
            if let Some(size) = record.size {
                if size != stamp.size {
                    out.push(Staleness {
                        path: repomd_path.to_path_buf(),
                        message: format!(
                            "`{}` is {} bytes, repomd.xml says {size}: it was changed after createrepo ran",
                            record.href, stamp.size
                        ),
                    });
                    continue;
                }
            }
            let Some((algorithm, expected)) = &record.checksum else {
                continue;
            };
            let key = path.to_string_lossy().into_owned();
            let actual = match self.old.digests.get(&key) {
                Some((cached, a, hex)) if *cached == stamp && a == algorithm => Some(hex.clone()),
                _ => {
                    self.dirty = true;
                    std::fs::read(&path)
                        .ok()
                        .and_then(|bytes| digest(algorithm, &bytes))
                }
            };
            let Some(actual) = actual else { continue };
            self.new
                .digests
                .insert(key, (stamp, algorithm.clone(), actual.clone()));
            if &actual != expected {
                out.push(Staleness {
                    path: repomd_path.to_path_buf(),
                    message: format!(
                        "the {algorithm} checksum of `{}` does not match repomd.xml: the file was replaced after createrepo ran",
                        record.href
                    ),
                });
            }
        }
        out
    }
}

fn digest(algorithm: &str, bytes: &[u8]) -> Option<String> {
    let hex = |digest: &[u8]| digest.iter().map(|b| format!("{b:02x}")).collect();
    match algorithm {
        "sha256" => Some(hex(&Sha256::digest(bytes))),
        "sha512" => Some(hex(&Sha512::digest(bytes))),
        "sha224" => Some(hex(&sha2::Sha224::digest(bytes))),
        "sha384" => Some(hex(&sha2::Sha384::digest(bytes))),
        _ => None,
    }
}

/// Differences between `Packages/` and what primary.xml lists.
fn compare_listing(repomd_path: &Path, found: &[Package], listed: &[Package]) -> Vec<Staleness> {
    let on_disk: HashMap<&str, &Package> = found.iter().map(|p| (p.location.as_str(), p)).collect();
    let mut missing = Vec::new();
    let mut changed = Vec::new();
    let mut listed_set = HashSet::new();
    for package in listed {
        let location = package.location.clone();
        listed_set.insert(location.clone());
        match on_disk.get(location.as_str()) {
            None => missing.push(location),
            Some(disk) if package.size != 0 && disk.size != package.size => changed.push(location),
            Some(_) => {}
        }
    }
    let unlisted: Vec<&str> = found
        .iter()
        .map(|p| p.location.as_str())
        .filter(|l| !listed_set.contains(*l))
        .collect();
    let mut out = Vec::new();
    let sample = |items: &[&str]| {
        let mut text = items
            .iter()
            .take(5)
            .map(|s| format!("`{s}`"))
            .collect::<Vec<_>>()
            .join(", ");
        if items.len() > 5 {
            text.push_str(&format!(" and {} more", items.len() - 5));
        }
        text
    };
    if !missing.is_empty() {
        out.push(Staleness {
            path: repomd_path.to_path_buf(),
            message: format!(
                "repodata lists {} package(s) that are not in Packages/: {}",
                missing.len(),
                sample(&missing.iter().map(String::as_str).collect::<Vec<_>>())
            ),
        });
    }
    if !unlisted.is_empty() {
        out.push(Staleness {
            path: repomd_path.to_path_buf(),
            message: format!(
                "{} package(s) in Packages/ are not in the repodata, so the installer cannot see them: {}",
                unlisted.len(),
                sample(&unlisted)
            ),
        });
    }
    if !changed.is_empty() {
        out.push(Staleness {
            path: repomd_path.to_path_buf(),
            message: format!(
                "{} package(s) changed size since createrepo ran: {}",
                changed.len(),
                sample(&changed.iter().map(String::as_str).collect::<Vec<_>>())
            ),
        });
    }
    out
}

/// `*.rpm` below `dir` (at most a few levels: `Packages/a/…` on Fedora).
fn list_rpms(dir: &Path, out: &mut Vec<(PathBuf, Stamp)>, depth: usize) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.filter_map(Result::ok) {
        let path = entry.path();
        let Ok(file_type) = entry.file_type() else {
            continue;
        };
        if file_type.is_dir() {
            if depth < 3 {
                list_rpms(&path, out, depth + 1);
            }
        } else if path.extension().is_some_and(|e| e == "rpm") {
            // Relative to the open directory: no path walk per file.
            let metadata = if file_type.is_symlink() {
                std::fs::metadata(&path)
            } else {
                entry.metadata()
            };
            if let Ok(metadata) = metadata {
                out.push((path, Stamp::of(&metadata)));
            }
        }
    }
}

/// Reads the headers of `files[todo]` on all cores.
fn parse_parallel(
    files: &[(PathBuf, Stamp)],
    root: &Path,
    todo: &[usize],
) -> Vec<Result<Package, String>> {
    let read = |i: usize| {
        let path = &files[i].0;
        rpmhdr::read_package(path, &relative_location(root, path))
    };
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(8);
    if threads <= 1 || todo.len() < 64 {
        return todo.iter().map(|&i| read(i)).collect();
    }
    let chunk = todo.len().div_ceil(threads);
    std::thread::scope(|scope| {
        let handles: Vec<_> = todo
            .chunks(chunk)
            .map(|part| scope.spawn(move || part.iter().map(|&i| read(i)).collect::<Vec<_>>()))
            .collect();
        handles
            .into_iter()
            .flat_map(|handle| {
                handle
                    .join()
                    .unwrap_or_else(|_| vec![Err("cannot read the RPM header".to_string())])
            })
            .collect()
    })
}

/// Location of an RPM relative to its repository base (`Packages/x.rpm`),
/// as createrepo writes it into primary.xml.
fn relative_location(root: &Path, path: &Path) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut seen_packages = false;
    for component in path.components().rev() {
        let text = component.as_os_str().to_string_lossy().into_owned();
        parts.push(text.clone());
        if text == "Packages" {
            seen_packages = true;
            break;
        }
    }
    if !seen_packages {
        return relative(root, path);
    }
    parts.reverse();
    parts.join("/")
}

fn load_comps(
    layout: &MediaLayout,
    group_file: Option<&Path>,
    problems: &mut Vec<Problem>,
) -> Option<LoadedComps> {
    let path = layout
        .comps
        .clone()
        .or_else(|| group_file.map(Path::to_path_buf))?;
    let bytes = match std::fs::read(&path) {
        Ok(bytes) => bytes,
        Err(error) => {
            problems.push(Problem {
                path,
                message: format!("cannot read the comps file: {error}"),
                text: None,
                offset: None,
            });
            return None;
        }
    };
    let plain = match xml::decompress(&bytes) {
        Ok(plain) => plain,
        Err(message) => {
            problems.push(Problem {
                path,
                message,
                text: None,
                offset: None,
            });
            return None;
        }
    };
    let text: Arc<str> = String::from_utf8_lossy(&plain).into();
    match Comps::parse(&text) {
        Ok(comps) => Some(LoadedComps { path, text, comps }),
        Err(error) => {
            problems.push(Problem {
                path,
                message: format!("malformed comps: {}", error.message),
                text: Some(text),
                offset: Some(error.offset),
            });
            None
        }
    }
}
