//! Repodata generation: `repodata/` for the RPMs of a repository, saying
//! what `createrepo_c -g comps.xml` says about the same files (see
//! [`header`] for the rules), written beside the old repodata and put in
//! place atomically.
//!
//! * **Reuse.** With `update`, a package whose file has the location, size
//!   and modification time recorded in the old `primary.xml` is not read
//!   again: its old `<package>` elements are copied. Runs of packages are
//!   stored as separate gzip members (see [`gz`]), cut where the hash of a
//!   location says so, so an unchanged run is copied compressed.
//! * **Cache.** After each run the member tables and texts go to a side
//!   cache outside the repository ([`cache`], [`RepoOptions::cache`]). An
//!   update whose cache is valid for the files in place reads neither the
//!   old files' text nor their XML: it reads the texts of the members it
//!   rebuilds, and resumes the hash of each text (`open-checksum`) where
//!   the first member differs ([`resumable`]); the copied members after
//!   that are read one at a time while writing, to be hashed (one found
//!   not as the cache says and the run starts over without the cache).
//!   Without a valid cache it decompresses and parses the old files as
//!   before.
//! * **Atomicity.** Everything is written into `.repodata.tmp-<pid>-…/`
//!   beside `repodata/`; the data files (whose names carry their checksum,
//!   so never collide) are moved into `repodata/` while they are synced,
//!   and the directory is synced too (one wait for both); then the new
//!   `repomd.xml` replaces the old one in one `rename`. (A new file that
//!   `repodata/` already holds and the old `repomd.xml` names, same name
//!   so same checksum, stays as it is.) At every instant
//!   `repodata/repomd.xml` is the old or the new one, and every file it
//!   names is there, whole. Only then are the files of the old metadata
//!   removed. An error before the switch removes the files moved in; a
//!   run killed before it may leave some, named by no `repomd.xml`, which
//!   the next run neither trusts nor keeps.
//! * **Ownership.** We own the `primary`, `filelists`, `other` and `group*`
//!   records and the `*_db`/`*_zck` variants createrepo makes (which we do
//!   not make: they would be stale); other records (`modules`,
//!   `updateinfo`, `productid`, …) and unknown files are kept as they are.
//!   Given [`RepoOptions::modules`], the `modules` record is ours too: made
//!   from that file as `modifyrepo_c modules.yaml repodata/` makes it.

pub mod cache;
pub mod gz;
pub mod header;
pub mod old;
pub mod render;
pub mod resumable;

use std::collections::{BTreeMap, HashSet};
use std::fmt;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use sha2::{Digest, Sha256};

use header::{hex, read_rpm};
use old::{OldFile, OldPackage, OldRepodata, Reuse};
use render::{DataRecord, Kind};
use resumable::{Midstate, Sha256Stream};

/// createrepo_c's default `--changelog-limit`.
pub const DEFAULT_CHANGELOG_LIMIT: usize = 10;
const TEMP_PREFIX: &str = ".repodata.tmp-";
/// The old repomd.xml's name in the temporary directory once replaced.
const OLD_REPOMD: &str = "repomd.xml.old";
/// Packages per gzip member: on average (cut by location hash) and at most.
const RUN_AVERAGE: u64 = 32;
const RUN_MAX: usize = 256;

/// Where the `group` records come from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum GroupSource {
    /// A comps file (plain or compressed).
    File(PathBuf),
    /// The comps file the old repodata names, if any.
    Existing,
    /// No group records.
    None,
}

#[derive(Clone, Debug)]
pub struct RepoOptions {
    pub group: GroupSource,
    /// Reuse the entries of unchanged RPMs from the old repodata.
    pub update: bool,
    /// Changelog entries per package (`None`: all).
    pub changelog_limit: Option<usize>,
    /// `<revision>` of repomd.xml (default: the current time).
    pub revision: Option<String>,
    /// Worker threads (0: one per core, at most 8).
    pub workers: usize,
    /// Directories below the base not to look for RPMs in (the
    /// sub-repositories of a tree whose root is a repository too).
    pub exclude: Vec<PathBuf>,
    /// Write `repodata/` into this directory instead of the base, leaving
    /// the base untouched (the ISO build's staging area). The old
    /// repodata is still read from the base for reuse, and the files of
    /// other tools' records it keeps are copied along.
    pub output: Option<PathBuf>,
    /// Module metadata (modulemd YAML, plain or compressed) for the
    /// `modules` record, replacing the old one; `None` keeps the old one.
    pub modules: Option<PathBuf>,
    /// Root of the side cache that makes updates cheap (see [`cache`];
    /// usually [`cache::default_root`]); `None`: no cache.
    pub cache: Option<PathBuf>,
}

impl Default for RepoOptions {
    fn default() -> Self {
        RepoOptions {
            group: GroupSource::Existing,
            update: true,
            changelog_limit: Some(DEFAULT_CHANGELOG_LIMIT),
            revision: None,
            workers: 0,
            exclude: Vec::new(),
            output: None,
            modules: None,
            cache: None,
        }
    }
}

/// What one run did.
#[derive(Clone, Debug, Default)]
pub struct RepoSummary {
    pub repodata: PathBuf,
    pub packages: usize,
    /// RPM files read (the others were reused from the old metadata).
    pub read: usize,
    pub reused: usize,
    /// Gzip members copied compressed, of all members written.
    pub copied_runs: usize,
    /// Whether the old metadata was read from the cache (see [`cache`]).
    pub from_cache: bool,
    pub runs: usize,
    /// Name of the comps file in repodata/, when there are group records.
    pub group: Option<String>,
    /// Whether a `modules` record was made from [`RepoOptions::modules`].
    pub modules: bool,
    /// Records of other tools kept from the old repomd.xml (their types).
    pub kept: Vec<String>,
    /// Files removed from repodata/ (old metadata).
    pub removed: Vec<String>,
    /// Things worth saying that did not stop the run.
    pub notes: Vec<String>,
}

/// Why no repodata was written (the old one is untouched).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RepoError {
    /// The file at fault, when there is one.
    pub path: Option<PathBuf>,
    pub message: String,
    /// A text read from the side cache while writing was not what the
    /// cache said: [`generate`] starts over without the cache.
    stale_cache: bool,
}

impl RepoError {
    fn new(message: impl Into<String>) -> Self {
        RepoError {
            path: None,
            message: message.into(),
            stale_cache: false,
        }
    }

    fn at(path: &Path, message: impl Into<String>) -> Self {
        RepoError {
            path: Some(path.to_path_buf()),
            message: message.into(),
            stale_cache: false,
        }
    }

    fn stale_cache() -> Self {
        RepoError {
            stale_cache: true,
            ..RepoError::new("a text in the cache is not what its table says")
        }
    }
}

impl fmt::Display for RepoError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.path {
            Some(path) => write!(f, "{}: {}", path.display(), self.message),
            None => f.write_str(&self.message),
        }
    }
}

impl std::error::Error for RepoError {}

/// An RPM file found below the base.
#[derive(Clone, Debug)]
struct Candidate {
    path: PathBuf,
    location: String,
    file_name: String,
    size: u64,
    mtime: u64,
}

/// Writes `base/repodata/` for the RPMs below `base`.
pub fn generate(base: &Path, options: &RepoOptions) -> Result<RepoSummary, RepoError> {
    if !base.is_dir() {
        return Err(RepoError::at(base, "not a directory"));
    }
    let target = options.output.as_deref().unwrap_or(base);
    if options.output.is_some() {
        std::fs::create_dir_all(target)
            .map_err(|e| RepoError::at(target, format!("cannot create: {e}")))?;
    }
    let repodata = target.join("repodata");
    if repodata.exists() && !repodata.is_dir() {
        return Err(RepoError::at(&repodata, "exists and is not a directory"));
    }
    clear_abandoned_temps(target)?;
    let cache_dir = options
        .cache
        .as_deref()
        .map(|root| cache::dir_for(root, base));
    let (candidates, mut old) = scan_and_load_old(base, options, cache_dir.as_deref())?;
    let mut plan = Plan::new(&candidates, old.as_ref());
    if !read_cached_texts(old.as_mut(), &plan) {
        // The cache's texts are not what its table says: read the old
        // files themselves.
        old = OldRepodata::load(base, options.update, None).map_err(RepoError::new)?;
        plan = Plan::new(&candidates, old.as_ref());
    }
    let mut summary = new_summary(&repodata, &candidates, old.as_ref());
    let group = load_group(base, &options.group, old.as_ref())?;
    let modules = options.modules.as_deref().map(load_modules).transpose()?;

    // A staging copy, read once by the ISO build and removed after it,
    // has nothing to make durable.
    let staging = options.output.is_some() && !repodata.exists();
    let mut flushing = Flushing::new(!staging);
    let mut temp = TempDir::create(target)?;
    let in_place = InPlace::of(&repodata, old.as_ref());
    let destination = Destination {
        dir: &temp.path,
        in_place: &in_place,
        flushing: &mut flushing,
    };
    let attempt = write_all(
        destination,
        &candidates,
        &plan,
        old.as_ref(),
        group.clone(),
        options,
        &mut summary,
    );
    let (mut records, written) = match attempt {
        Err(error) if error.stale_cache => {
            // A cached text read while writing was not what the cache
            // said: start over from the old files themselves.
            drop(temp);
            flushing = Flushing::new(!staging);
            temp = TempDir::create(target)?;
            old = OldRepodata::load(base, options.update, None).map_err(RepoError::new)?;
            plan = Plan::new(&candidates, old.as_ref());
            summary = new_summary(&repodata, &candidates, old.as_ref());
            let destination = Destination {
                dir: &temp.path,
                in_place: &in_place,
                flushing: &mut flushing,
            };
            let old = old.as_ref();
            write_all(
                destination,
                &candidates,
                &plan,
                old,
                group,
                options,
                &mut summary,
            )?
        }
        attempt => attempt?,
    };
    if let Some(plain) = &modules {
        records.push(write_modules(&temp.path, plain)?);
        summary.modules = true;
    }
    let replaces = |kind: &str| owned_kind(kind) || (modules.is_some() && kind == "modules");
    let kept = kept_records(old.as_ref(), &replaces);
    summary.kept = kept
        .iter()
        .filter(|r| r.element == "data")
        .map(|r| r.kind.clone())
        .collect();
    let revision = options
        .revision
        .clone()
        .unwrap_or_else(|| now().to_string());
    let raw_kept: Vec<String> = kept.iter().map(|r| r.raw.clone()).collect();
    if options.output.is_some() {
        // The staged repodata must be complete on its own.
        for href in kept.iter().filter_map(|r| r.href.as_deref()) {
            let name = href.rsplit('/').next().unwrap_or(href);
            let from = base.join(href);
            let to = temp.path.join(name);
            std::fs::copy(&from, &to)
                .map_err(|e| RepoError::at(&from, format!("cannot copy: {e}")))?;
        }
    }
    keep_files_already_in_place(&temp.path, &in_place, &mut records);
    let repomd = render::repomd(&revision, &records, &raw_kept);
    write_file(&temp.path.join("repomd.xml"), repomd.as_bytes())?;
    let new_names: HashSet<String> = records
        .iter()
        .filter_map(|r| r.href.strip_prefix("repodata/").map(str::to_string))
        .collect();
    if staging {
        let mut temp = temp;
        std::fs::rename(&temp.path, &repodata).map_err(|e| {
            RepoError::at(&repodata, format!("cannot move the new metadata in: {e}"))
        })?;
        temp.keep = true;
        return Ok(summary);
    }
    flushing.start_rest(&temp.path)?;
    let mut moved = Vec::new();
    let early = move_in_early(&temp.path, &repodata, &mut flushing, &mut moved);
    let cache_dir = cache_dir.filter(|_| options.output.is_none());
    // The cache is stored while the files are flushed and moved in: it is
    // used only for the files repomd.xml names, so a run that fails to
    // install them leaves it unused, not wrong.
    let (installed, cached) = std::thread::scope(|scope| {
        let old = old.as_ref();
        let caching = cache_dir
            .as_deref()
            .map(|dir| scope.spawn(move || store_cache(dir, old, written)));
        // Waited for even after an error: the threads hold the files.
        let flushed = early.and(flushing.wait());
        let installed = flushed.and_then(|()| install(temp, &repodata));
        if installed.is_err() {
            remove_moved(&repodata, &moved);
        }
        if let Ok(leftover) = &installed {
            summary.removed = remove_stale(
                &repodata,
                old,
                &new_names,
                &kept,
                &replaces,
                leftover.as_ref().map(|temp| temp.path.as_path()),
                &mut summary.notes,
            );
        }
        let cached = caching.map(|handle| {
            handle
                .join()
                .unwrap_or_else(|_| Err(std::io::Error::other("internal error")))
        });
        (installed, cached)
    });
    if let Some(mut leftover) = installed? {
        // Removed with the stale files (or, if that failed, by the next run).
        leftover.keep = true;
    }
    if let (Some(dir), Some(Err(error))) = (&cache_dir, cached) {
        cache::forget(dir);
        summary
            .notes
            .push(format!("cannot write the cache {}: {error}", dir.display()));
    }
    drop_in_background((old, candidates, plan));
    Ok(summary)
}

/// Drops `value` on a thread of its own: freeing the tables of the old
/// metadata and of the RPMs found (tens of thousands of small
/// allocations) is a tenth of an update, and nothing waits for it. (Where
/// no thread can be started, it is dropped here.)
fn drop_in_background<T: Send + 'static>(value: T) {
    let _ = std::thread::Builder::new().spawn(move || drop(value));
}

/// The summary of a run before anything is written.
fn new_summary(
    repodata: &Path,
    candidates: &[Candidate],
    old: Option<&OldRepodata>,
) -> RepoSummary {
    let mut summary = RepoSummary {
        repodata: repodata.to_path_buf(),
        packages: candidates.len(),
        from_cache: old.is_some_and(|o| o.cache.is_some()),
        ..RepoSummary::default()
    };
    if let Some(why) = old.and_then(|o| o.unusable.as_ref()) {
        summary
            .notes
            .push(format!("the old package metadata is not reused: {why}"));
    }
    summary
}

/// The RPMs below `base` and the old repodata. Independent: one stats
/// every RPM, the other decompresses and parses the old metadata, so they
/// run side by side.
fn scan_and_load_old(
    base: &Path,
    options: &RepoOptions,
    cache_dir: Option<&Path>,
) -> Result<(Vec<Candidate>, Option<OldRepodata>), RepoError> {
    let (candidates, old) = std::thread::scope(|scope| {
        let scanner = scope.spawn(|| scan(base, &options.exclude));
        let old = OldRepodata::load(base, options.update, cache_dir).map_err(RepoError::new);
        let candidates = scanner
            .join()
            .unwrap_or_else(|_| Err(RepoError::at(base, "internal error while listing the RPMs")));
        (candidates, old)
    });
    Ok((candidates?, old?))
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// For unique file names.
fn now_nanos() -> u128 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos())
}

/// `*.rpm` below `base`, followed through symbolic links, sorted as
/// createrepo orders packages (file name, then directory). Every RPM's
/// size and modification time is read (an RPM rewritten in place leaves
/// its directory as it was), but only the RPMs': the type of the other
/// entries comes with the directory listing. Those reads are most of an
/// update's system time, so they are spread over threads, which start on
/// the first RPMs listed while the listing goes on (listing a directory
/// of thousands of files takes as long as reading their metadata).
fn scan(base: &Path, exclude: &[PathBuf]) -> Result<Vec<Candidate>, RepoError> {
    let threads = worker_count(0).max(1);
    let (mut out, listed) = std::thread::scope(|scope| {
        let mut batches = Vec::with_capacity(threads);
        let mut statters = Vec::with_capacity(threads);
        for _ in 0..threads {
            let (sender, receiver) = std::sync::mpsc::channel::<Vec<Listed>>();
            batches.push(sender);
            statters.push(scope.spawn(move || stat_rpms(receiver.into_iter().flatten())));
        }
        let listed = list_rpms(base, exclude, &mut StatBatches::new(batches));
        let out: Vec<Candidate> = statters
            .into_iter()
            .flat_map(|h| {
                h.join()
                    .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
            })
            .collect();
        (out, listed)
    });
    out.extend(listed?);
    out.sort_by(|a, b| {
        a.file_name
            .cmp(&b.file_name)
            .then_with(|| a.location.cmp(&b.location))
    });
    Ok(out)
}

/// A regular file named `*.rpm` as the listing gives it (entry, location,
/// name), its metadata not read yet.
type Listed = (std::fs::DirEntry, String, String);

/// Hands the RPMs listed to the threads reading their metadata, in batches
/// (one message per file would cost more than it saves), in turn.
struct StatBatches {
    senders: Vec<std::sync::mpsc::Sender<Vec<Listed>>>,
    batch: Vec<Listed>,
    next: usize,
}

impl StatBatches {
    const SIZE: usize = 128;

    fn new(senders: Vec<std::sync::mpsc::Sender<Vec<Listed>>>) -> StatBatches {
        StatBatches {
            senders,
            batch: Vec::with_capacity(Self::SIZE),
            next: 0,
        }
    }

    fn push(&mut self, listed: Listed) {
        self.batch.push(listed);
        if self.batch.len() >= Self::SIZE {
            self.send();
        }
    }

    fn send(&mut self) {
        let batch = std::mem::replace(&mut self.batch, Vec::with_capacity(Self::SIZE));
        if batch.is_empty() || self.senders.is_empty() {
            return;
        }
        let sender = &self.senders[self.next % self.senders.len()];
        self.next += 1;
        // A thread that died takes its batches with it; its panic is
        // raised when it is joined.
        let _ = sender.send(batch);
    }
}

impl Drop for StatBatches {
    /// Sends the last batch; dropping the senders then ends the threads.
    fn drop(&mut self) {
        self.send();
    }
}

/// Lists the directories below `base`: the regular `*.rpm` files go to
/// `batches`; returns the RPMs reached through symbolic links, whose
/// metadata the listing reads itself (they are few).
fn list_rpms(
    base: &Path,
    exclude: &[PathBuf],
    batches: &mut StatBatches,
) -> Result<Vec<Candidate>, RepoError> {
    let excluded: HashSet<PathBuf> = exclude
        .iter()
        .filter_map(|dir| std::fs::canonicalize(dir).ok())
        .collect();
    let mut seen: HashSet<PathBuf> = HashSet::new();
    let mut out = Vec::new();
    let mut stack: Vec<(PathBuf, String, usize)> = vec![(base.to_path_buf(), String::new(), 0)];
    while let Some((dir, prefix, depth)) = stack.pop() {
        let canonical = std::fs::canonicalize(&dir).unwrap_or_else(|_| dir.clone());
        if !seen.insert(canonical.clone()) || (depth > 0 && excluded.contains(&canonical)) {
            continue;
        }
        let entries = std::fs::read_dir(&dir)
            .map_err(|e| RepoError::at(&dir, format!("cannot list: {e}")))?;
        for entry in entries {
            let entry = entry.map_err(|e| RepoError::at(&dir, format!("cannot list: {e}")))?;
            let name = entry.file_name().to_string_lossy().into_owned();
            let location = format!("{prefix}{name}");
            let is_rpm = name.ends_with(".rpm");
            match entry.file_type() {
                Ok(kind) if kind.is_dir() => {
                    if depth < 32 && !name.starts_with(TEMP_PREFIX) {
                        stack.push((entry.path(), format!("{location}/"), depth + 1));
                    }
                }
                Ok(kind) if kind.is_file() => {
                    if is_rpm {
                        batches.push((entry, location, name));
                    }
                }
                // A symbolic link (followed; a dangling one is skipped),
                // or a type the listing does not give.
                _ => {
                    let path = entry.path();
                    let Ok(metadata) = std::fs::metadata(&path) else {
                        continue;
                    };
                    if metadata.is_dir() {
                        if depth < 32 && !name.starts_with(TEMP_PREFIX) {
                            stack.push((path, format!("{location}/"), depth + 1));
                        }
                    } else if metadata.is_file() && is_rpm {
                        out.push(candidate(path, location, name, &metadata));
                    }
                }
            }
        }
    }
    Ok(out)
}

fn candidate(
    path: PathBuf,
    location: String,
    file_name: String,
    metadata: &std::fs::Metadata,
) -> Candidate {
    Candidate {
        path,
        location,
        file_name,
        size: metadata.len(),
        mtime: mtime_secs(metadata),
    }
}

/// The candidates among `files`, their metadata read (each `statx`
/// relative to its directory). A file gone or no longer a regular file
/// since the listing is skipped, as the listing would have skipped it.
fn stat_rpms(files: impl Iterator<Item = Listed>) -> Vec<Candidate> {
    files
        .filter_map(|(entry, location, name)| {
            let metadata = entry.metadata().ok().filter(|m| m.is_file())?;
            Some(candidate(entry.path(), location, name, &metadata))
        })
        .collect()
}

fn mtime_secs(metadata: &std::fs::Metadata) -> u64 {
    metadata
        .modified()
        .ok()
        .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
        .map_or(0, |d| d.as_secs())
}

/// The comps text for the group records and the name to store it under.
fn load_group(
    base: &Path,
    source: &GroupSource,
    old: Option<&OldRepodata>,
) -> Result<Option<(String, Vec<u8>)>, RepoError> {
    let path = match source {
        GroupSource::None => return Ok(None),
        GroupSource::File(path) => path.clone(),
        GroupSource::Existing => {
            let record = old.and_then(|o| o.record("group").or_else(|| o.record("group_gz")));
            match record.and_then(|r| r.href.clone()) {
                Some(href) if crate::media::repodata::href_stays_inside(&href) => base.join(href),
                Some(href) => {
                    return Err(RepoError::at(
                        &base.join("repodata").join("repomd.xml"),
                        format!("the group record's `location href=\"{href}\"` points outside the repository"),
                    ))
                }
                None => return Ok(None),
            }
        }
    };
    let bytes = std::fs::read(&path)
        .map_err(|e| RepoError::at(&path, format!("cannot read the comps file: {e}")))?;
    let plain = crate::media::xml::decompress(&bytes)
        .map_err(|e| RepoError::at(&path, format!("cannot read the comps file: {e}")))?;
    let text = std::str::from_utf8(&plain)
        .map_err(|_| RepoError::at(&path, "the comps file is not UTF-8"))?;
    if let Err(error) = crate::media::comps::Comps::parse(text) {
        let (line, column) = crate::media::xml::line_column(text, error.offset);
        return Err(RepoError::at(
            &path,
            format!("malformed comps at {line}:{column}: {}", error.message),
        ));
    }
    let mut name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "comps.xml".to_string());
    for suffix in [".gz", ".zst", ".xz", ".bz2"] {
        if let Some(stripped) = name.strip_suffix(suffix) {
            name = stripped.to_string();
        }
    }
    if matches!(source, GroupSource::Existing) {
        name = strip_checksum_prefix(&name).to_string();
    }
    if name.is_empty() {
        name = "comps.xml".to_string();
    }
    Ok(Some((name, plain)))
}

/// `abc…123-comps.xml` → `comps.xml`.
fn strip_checksum_prefix(name: &str) -> &str {
    match name.split_once('-') {
        Some((head, rest)) if head.len() >= 32 && head.bytes().all(|b| b.is_ascii_hexdigit()) => {
            rest
        }
        _ => name,
    }
}

/// Where the text of a member just written comes from.
enum Content {
    /// Member `i` of the old file, copied.
    Old(usize),
    New(String),
}

/// The `<package>` elements of a member being appended.
enum Elements {
    /// Just rendered: their ranges in the member's text.
    Rendered(Vec<OldPackage>),
    /// Those of the old file's member `i`, copied with it. They are taken
    /// from the old file only when the cache is stored, on its own thread:
    /// an update copies thousands of entries, each with three strings.
    Copied(usize),
}

/// One member just written, for the cache.
struct MemberOut {
    compressed: Range<usize>,
    text: Range<usize>,
    content: Content,
    /// Indexes of its `<package>` elements among the file's.
    packages: Range<usize>,
    elements: Elements,
    pure: bool,
    /// The hash state of the whole text where this member starts (filled
    /// in by [`hash_texts`]).
    midstate: Midstate,
}

/// One of the three metadata files being written.
struct Output<'o> {
    kind: Kind,
    path: PathBuf,
    writer: BufWriter<File>,
    compressed: Sha256,
    old: Option<&'o OldFile>,
    size: u64,
    open_size: u64,
    members: Vec<MemberOut>,
    /// Their `<package>` elements so far.
    package_count: usize,
}

/// A metadata file written, named and being flushed, its text not hashed
/// yet (that only the record needs).
struct Closed<'o> {
    record: DataRecord,
    old: Option<&'o OldFile>,
    members: Vec<MemberOut>,
}

/// A metadata file written: its record and what the cache keeps of it.
struct Finished {
    record: DataRecord,
    members: Vec<MemberOut>,
    end: Midstate,
}

impl<'o> Output<'o> {
    fn create(dir: &Path, kind: Kind, old: Option<&'o OldFile>) -> Result<Output<'o>, RepoError> {
        let path = dir.join(format!("{}.xml.gz", kind.name()));
        let file = File::create(&path).map_err(|e| RepoError::at(&path, e.to_string()))?;
        Ok(Output {
            kind,
            path,
            writer: BufWriter::with_capacity(256 << 10, file),
            compressed: Sha256::new(),
            old,
            size: 0,
            open_size: 0,
            members: Vec::new(),
            package_count: 0,
        })
    }

    /// Member `index` of the old file a copied member comes from.
    fn old_member(&self, index: usize) -> Result<&'o old::OldMember, RepoError> {
        self.old
            .map(|old| &old.members[index])
            .ok_or_else(|| RepoError::new("internal error: a copied member without its old file"))
    }

    /// Appends one member holding the `<package>` elements `elements`.
    fn push(
        &mut self,
        compressed: &[u8],
        content: Content,
        elements: Elements,
    ) -> Result<(), RepoError> {
        self.writer
            .write_all(compressed)
            .map_err(|e| RepoError::at(&self.path, e.to_string()))?;
        self.compressed.update(compressed);
        let plain_length = match &content {
            Content::New(text) => text.len(),
            Content::Old(i) => self.old_member(*i)?.text.len(),
        };
        let text_start = self.open_size as usize;
        let count = match &elements {
            Elements::Rendered(list) => list.len(),
            Elements::Copied(i) => self.old_member(*i)?.packages.len(),
        };
        let first_package = self.package_count;
        self.package_count += count;
        let pure = match (&content, self.old) {
            (Content::Old(i), Some(old)) => old.members[*i].pure,
            _ => count > 0,
        };
        self.members.push(MemberOut {
            compressed: self.size as usize..self.size as usize + compressed.len(),
            text: text_start..text_start + plain_length,
            content,
            packages: first_package..self.package_count,
            elements,
            pure,
            midstate: Midstate::default(),
        });
        self.size += compressed.len() as u64;
        self.open_size += plain_length as u64;
        Ok(())
    }

    /// Appends the head or tail: the old file's member at the same place
    /// when it is the same (the compression is deterministic).
    fn push_fixed(&mut self, compressed: Vec<u8>, plain: String) -> Result<(), RepoError> {
        let index = self.members.len();
        let same = self
            .old
            .and_then(|old| Some(&old.bytes[old.members.get(index)?.compressed.clone()]))
            .is_some_and(|bytes| *bytes == compressed[..]);
        let content = if same {
            Content::Old(index)
        } else {
            Content::New(plain)
        };
        self.push(&compressed, content, Elements::Rendered(Vec::new()))
    }

    /// Renames the file to `<checksum>-<name>` and starts flushing it to
    /// disk (unless `in_place`, the `repodata/` being replaced, already
    /// holds that file: see [`keep_files_already_in_place`]).
    fn close(self, in_place: &InPlace, flushing: &mut Flushing) -> Result<Closed<'o>, RepoError> {
        let file = self
            .writer
            .into_inner()
            .map_err(|e| RepoError::at(&self.path, e.error().to_string()))?;
        let checksum = hex(&self.compressed.finalize());
        let name = format!("{checksum}-{}.xml.gz", self.kind.name());
        let target = self.path.with_file_name(&name);
        std::fs::rename(&self.path, &target).map_err(|e| RepoError::at(&target, e.to_string()))?;
        if in_place.holds(&name, self.size).is_none() {
            flushing.start(&target, file);
        }
        Ok(Closed {
            record: DataRecord {
                kind: self.kind.name().to_string(),
                checksum,
                open_checksum: None,
                href: format!("repodata/{name}"),
                timestamp: file_mtime(&target),
                size: self.size,
                open_size: Some(self.open_size),
            },
            old: self.old,
            members: self.members,
        })
    }
}

impl Closed<'_> {
    /// Hashes the text for the record's `open-checksum`.
    fn finish(mut self) -> Result<Finished, RepoError> {
        let end = hash_texts(self.old, &mut self.members)?;
        self.record.open_checksum = Some(hex(&Sha256Stream::resume(&end).finalize()));
        Ok(Finished {
            record: self.record,
            members: self.members,
            end,
        })
    }
}

/// Hashes the text of `members` (of a file whose old version is `old`):
/// from the state the cache saved where the text first differs from the
/// old one, when it saved one, else from the start. Fills in the state
/// where each member starts; returns the state after the whole text.
fn hash_texts(old: Option<&OldFile>, members: &mut [MemberOut]) -> Result<Midstate, RepoError> {
    let resumable = old.is_some_and(|o| o.midstate(0).is_some());
    let mut hasher = (!resumable).then(Sha256Stream::new);
    let mut buffer = Vec::new();
    for (index, member) in members.iter_mut().enumerate() {
        let hasher = match &mut hasher {
            Some(hasher) => hasher,
            None => {
                // Every member so far is the old file's, at the same place.
                let saved = old.and_then(|old| old.midstate(index)).cloned();
                let Some(saved) = saved else {
                    return Err(RepoError::new(
                        "internal error: no hash state for an unchanged member",
                    ));
                };
                if matches!(member.content, Content::Old(i) if i == index) {
                    member.midstate = saved;
                    continue;
                }
                hasher.insert(Sha256Stream::resume(&saved))
            }
        };
        member.midstate = hasher.save();
        match (&member.content, old) {
            (Content::New(text), _) => hasher.update(text.as_bytes()),
            (Content::Old(i), Some(old)) => {
                let text = old
                    .text_to_hash(*i, &mut buffer)
                    .ok_or_else(RepoError::stale_cache)?;
                hasher.update(text);
            }
            (Content::Old(_), None) => {
                return Err(RepoError::new(
                    "internal error: a copied member without its file",
                ))
            }
        }
    }
    match hasher {
        Some(hasher) => Ok(hasher.save()),
        None => old
            .and_then(|old| old.midstate(members.len()))
            .cloned()
            .ok_or_else(|| RepoError::new("internal error: no hash state at the end")),
    }
}

/// Hashes the texts of the files closed, each on a thread of its own
/// (the first here).
fn finish_all(closed: Vec<Closed<'_>>) -> Result<Vec<Finished>, RepoError> {
    std::thread::scope(|scope| {
        let mut closed = closed.into_iter();
        let first = closed.next();
        let others: Vec<_> = closed
            .map(|file| scope.spawn(move || file.finish()))
            .collect();
        let mut finished = Vec::with_capacity(others.len() + 1);
        if let Some(first) = first {
            finished.push(first.finish()?);
        }
        for handle in others {
            let result = handle
                .join()
                .unwrap_or_else(|_| Err(RepoError::new("internal error while hashing")));
            finished.push(result?);
        }
        Ok(finished)
    })
}

/// New files being flushed to disk, each on a thread of its own (the file
/// system commits them together) while the run goes on. Disabled, it
/// flushes nothing (a staging copy nothing needs to survive a crash).
struct Flushing {
    enabled: bool,
    pending: Vec<(PathBuf, Flush)>,
}

enum Flush {
    Running(std::thread::JoinHandle<std::io::Result<()>>),
    Done(std::io::Result<()>),
}

impl Flushing {
    fn new(enabled: bool) -> Flushing {
        Flushing {
            enabled,
            pending: Vec::new(),
        }
    }

    /// Starts flushing `file`, which is at `path`.
    fn start(&mut self, path: &Path, file: File) {
        if !self.enabled {
            return;
        }
        let flush = match std::thread::Builder::new().spawn(move || file.sync_all()) {
            Ok(handle) => Flush::Running(handle),
            Err(error) => Flush::Done(Err(error)),
        };
        self.pending.push((path.to_path_buf(), flush));
    }

    /// Starts flushing the files in `dir` not started yet.
    fn start_rest(&mut self, dir: &Path) -> Result<(), RepoError> {
        if !self.enabled {
            return Ok(());
        }
        let entries = std::fs::read_dir(dir).map_err(|e| RepoError::at(dir, e.to_string()))?;
        for entry in entries {
            let path = entry.map_err(|e| RepoError::at(dir, e.to_string()))?.path();
            if self.pending.iter().any(|(started, _)| *started == path) {
                continue;
            }
            let file = File::open(&path).map_err(|e| RepoError::at(&path, e.to_string()))?;
            self.start(&path, file);
        }
        Ok(())
    }

    /// Waits for every flush started; the first error.
    fn wait(self) -> Result<(), RepoError> {
        let mut first_error = None;
        for (path, flush) in self.pending {
            let result = match flush {
                Flush::Running(handle) => handle
                    .join()
                    .unwrap_or_else(|_| Err(std::io::Error::other("the thread died"))),
                Flush::Done(result) => result,
            };
            if let Err(error) = result {
                first_error
                    .get_or_insert_with(|| RepoError::at(&path, format!("cannot sync: {error}")));
            }
        }
        first_error.map_or(Ok(()), Err)
    }
}

/// The three package metadata files written, for the cache.
struct Written {
    files: Vec<Finished>,
}

impl Written {
    /// What [`cache::store`] keeps: the table of each file, and where each
    /// member's text comes from (`old`: the files the update copied from).
    fn into_cache(
        self,
        old: Option<&OldRepodata>,
    ) -> Option<([cache::CachedFile; 3], [Vec<Content>; 3])> {
        let mut tables = Vec::with_capacity(3);
        let mut contents = Vec::with_capacity(3);
        for (finished, kind) in self.files.into_iter().zip(Kind::ALL) {
            let old_file = old.and_then(|o| o.file(kind));
            let mut table = cache::CachedFile {
                checksum: finished.record.checksum,
                size: finished.record.size,
                members: Vec::with_capacity(finished.members.len()),
                end: finished.end,
                packages: Vec::new(),
            };
            let mut content = Vec::with_capacity(finished.members.len());
            for member in finished.members {
                append_elements(&mut table.packages, &member, old_file)?;
                table.members.push(cache::CachedMember {
                    compressed: member.compressed,
                    text: member.text,
                    blob: 0,
                    packages: member.packages,
                    pure: member.pure,
                    midstate: member.midstate,
                });
                content.push(member.content);
            }
            tables.push(table);
            contents.push(content);
        }
        Some((tables.try_into().ok()?, contents.try_into().ok()?))
    }
}

/// Appends the `<package>` elements of `member` to `packages`, their
/// ranges in the whole text; `None` when they were copied from an old file
/// that is not given.
fn append_elements(
    packages: &mut Vec<OldPackage>,
    member: &MemberOut,
    old: Option<&OldFile>,
) -> Option<()> {
    let at = member.text.start;
    match &member.elements {
        Elements::Rendered(list) => {
            packages.extend(list.iter().map(|package| OldPackage {
                range: package.range.start + at..package.range.end + at,
                ..package.clone()
            }));
        }
        Elements::Copied(index) => {
            let old = old?;
            let found = old.members.get(*index)?;
            let from = found.text.start;
            packages.extend(
                old.packages
                    .get(found.packages.clone())?
                    .iter()
                    .map(|package| OldPackage {
                        range: package.range.start - from + at..package.range.end - from + at,
                        ..package.clone()
                    }),
            );
        }
    }
    Some(())
}

/// Records the files just installed in the cache at `dir`.
fn store_cache(dir: &Path, old: Option<&OldRepodata>, written: Written) -> std::io::Result<()> {
    let (tables, contents) = written
        .into_cache(old)
        .ok_or_else(|| std::io::Error::other("internal error: not three files"))?;
    let texts = [0, 1, 2].map(|k| {
        let old_file = old.and_then(|o| o.file(Kind::ALL[k]));
        contents[k]
            .iter()
            .map(|content| cached_text(content, old_file))
            .collect()
    });
    cache::store(dir, old.and_then(|o| o.cache.as_ref()), tables, &texts)
}

/// The text of a member and, when it was copied from a cached file,
/// where it is in that cache's blob.
fn cached_text<'a>(content: &'a Content, old: Option<&'a OldFile>) -> cache::Text<'a> {
    match (content, old) {
        (Content::Old(i), Some(old)) => cache::Text {
            text: old.member_text(*i),
            in_blob: old.members[*i].cached.as_ref().map(|(offset, _)| *offset),
        },
        (Content::New(text), _) => cache::Text {
            text: Some(text.as_bytes()),
            in_blob: None,
        },
        // Not made: a copied member always has its old file.
        (Content::Old(_), None) => cache::Text {
            text: None,
            in_blob: None,
        },
    }
}

fn file_mtime(path: &Path) -> u64 {
    std::fs::metadata(path).map_or_else(|_| now(), |m| mtime_secs(&m))
}

/// What a worker made of one run of packages.
enum RunOut {
    /// Member `index` of each old file, copied.
    Copied(usize),
    Built {
        compressed: [Vec<u8>; 3],
        plain: [String; 3],
        /// The `<package>` elements of each, ranges in its text.
        packages: Box<[Vec<OldPackage>; 3]>,
        read: usize,
    },
}

/// What an update will do with the old metadata: which packages it
/// reuses, the runs of packages, and which runs it copies (as member `i`
/// of the old files).
struct Plan {
    reuse: Vec<Option<Reuse>>,
    runs: Vec<Range<usize>>,
    copied: Vec<Option<usize>>,
}

impl Plan {
    fn new(candidates: &[Candidate], old: Option<&OldRepodata>) -> Plan {
        let reuse: Vec<Option<Reuse>> = candidates
            .iter()
            .map(|c| old.and_then(|o| o.reusable(&c.location, c.size, c.mtime)))
            .collect();
        let runs = runs(candidates);
        let copied = runs
            .iter()
            .map(|range| {
                let entries: Option<Vec<usize>> = reuse[range.clone()]
                    .iter()
                    .map(|r| r.map(|r| r.entries[0]))
                    .collect();
                old.zip(entries).and_then(|(old, e)| old.member_of(&e))
            })
            .collect();
        Plan {
            reuse,
            runs,
            copied,
        }
    }

    /// The members of each old file whose text the update reads before
    /// writing: head and tail, and those holding entries copied into
    /// rebuilt runs. (The copied members after the first place where the
    /// new file differs from the old are hashed too, but their texts are
    /// read while writing, one at a time: [`OldFile::text_to_hash`].)
    fn texts_needed(&self, files: &[OldFile; 3]) -> [Vec<bool>; 3] {
        let mut needed = files.each_ref().map(|f| vec![false; f.members.len()]);
        for list in &mut needed {
            if let Some(last) = list.len().checked_sub(1) {
                list[0] = true;
                list[last] = true;
            }
        }
        let rebuilt = self.copied.iter().enumerate().filter(|(_, c)| c.is_none());
        for (run, _) in rebuilt {
            for reuse in self.reuse[self.runs[run].clone()].iter().flatten() {
                for (kind, list) in needed.iter_mut().enumerate() {
                    let member = files[kind].member_holding(reuse.entries[kind]);
                    if let Some(slot) = member.and_then(|m| list.get_mut(m)) {
                        *slot = true;
                    }
                }
            }
        }
        needed
    }
}

/// Reads the texts of the cached old files the update needs; false when
/// one is not as the cache says.
fn read_cached_texts(old: Option<&mut OldRepodata>, plan: &Plan) -> bool {
    let Some(old) = old else {
        return true;
    };
    let Some(source) = old.cache.clone() else {
        return true;
    };
    let Some(files) = old.files.as_mut() else {
        return true;
    };
    let Some(blob) = source.open_blob() else {
        return false;
    };
    let needed = plan.texts_needed(files);
    if !files
        .iter_mut()
        .zip(&needed)
        .all(|(file, needed)| file.load_texts(&blob, needed))
    {
        return false;
    }
    let blob = std::sync::Arc::new(blob);
    for file in files.iter_mut() {
        file.blob = Some(blob.clone());
    }
    true
}

/// Cuts the sorted packages into runs: after a package whose location
/// hashes to 0 modulo [`RUN_AVERAGE`], and after [`RUN_MAX`] packages. The
/// cuts depend only on the locations, so an update finds the same runs.
fn runs(candidates: &[Candidate]) -> Vec<Range<usize>> {
    let mut out = Vec::new();
    let mut start = 0;
    for (i, candidate) in candidates.iter().enumerate() {
        if fnv1a(candidate.location.as_bytes()) % RUN_AVERAGE == 0 || i + 1 - start >= RUN_MAX {
            out.push(start..i + 1);
            start = i + 1;
        }
    }
    if start < candidates.len() {
        out.push(start..candidates.len());
    }
    out
}

fn fnv1a(bytes: &[u8]) -> u64 {
    let mut hash: u64 = 0xcbf29ce484222325;
    for &b in bytes {
        hash ^= u64::from(b);
        hash = hash.wrapping_mul(0x100000001b3);
    }
    hash
}

/// Builds one run: copied from the old files when every package in it is
/// unchanged and the old files hold exactly this run, else from the old
/// `<package>` elements and the RPMs that changed.
fn build_run(
    candidates: &[Candidate],
    reuse: &[Option<Reuse>],
    copied: Option<usize>,
    old: Option<&OldRepodata>,
    changelog_limit: Option<usize>,
) -> Result<RunOut, RepoError> {
    if let Some(member) = copied {
        return Ok(RunOut::Copied(member));
    }
    let mut plain = [String::new(), String::new(), String::new()];
    let mut packages: [Vec<OldPackage>; 3] = Default::default();
    let mut read = 0;
    for (candidate, reuse) in candidates.iter().zip(reuse) {
        match (reuse, old) {
            (Some(reuse), Some(old)) => {
                for kind in Kind::ALL {
                    if let Some(file) = old.file(kind) {
                        let entry = &file.packages[reuse.entries[kind.index()]];
                        let out = &mut plain[kind.index()];
                        let start = out.len();
                        let text =
                            file.package_text(reuse.entries[kind.index()])
                                .ok_or_else(|| {
                                    RepoError::new(
                                        "internal error: an old entry to copy was not read",
                                    )
                                })?;
                        out.push_str(text);
                        packages[kind.index()].push(OldPackage {
                            range: start..out.len(),
                            ..entry.clone()
                        });
                        out.push('\n');
                    }
                }
            }
            _ => {
                let record = read_rpm(&candidate.path, &candidate.location, changelog_limit)
                    .map_err(|message| RepoError::at(&candidate.path, message))?;
                read += 1;
                for kind in Kind::ALL {
                    let out = &mut plain[kind.index()];
                    let start = out.len();
                    kind.render(&record, out);
                    packages[kind.index()].push(rendered_package(kind, &record, start..out.len()));
                }
            }
        }
    }
    let compressed = [
        gz::compress(plain[0].as_bytes()),
        gz::compress(plain[1].as_bytes()),
        gz::compress(plain[2].as_bytes()),
    ];
    Ok(RunOut::Built {
        compressed,
        plain,
        packages: Box::new(packages),
        read,
    })
}

/// The entry of a package just rendered at `range`, as reading it back
/// would give it (without the line break `render` ends it with).
fn rendered_package(kind: Kind, record: &header::PackageRecord, range: Range<usize>) -> OldPackage {
    let element = range.start..range.end - 1;
    match kind {
        Kind::Primary => OldPackage {
            range: element,
            pkgid: record.pkgid.clone(),
            location: record.location.clone(),
            size: record.size_package,
            mtime: record.time_file,
            checksum_type: "sha256".to_string(),
        },
        _ => OldPackage {
            range: element,
            pkgid: record.pkgid.clone(),
            size: u64::MAX,
            mtime: u64::MAX,
            ..OldPackage::default()
        },
    }
}

fn worker_count(requested: usize) -> usize {
    if requested > 0 {
        return requested;
    }
    std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(8)
}

/// Where [`write_all`] writes.
struct Destination<'a> {
    /// The temporary directory.
    dir: &'a Path,
    /// The `repodata/` the files will be moved into.
    in_place: &'a InPlace<'a>,
    flushing: &'a mut Flushing,
}

/// Writes primary, filelists, other and the group files into `dir`, and
/// starts flushing the first three (those `in_place` does not hold
/// already); returns their records, and what the cache keeps of the first
/// three.
fn write_all(
    Destination {
        dir,
        in_place,
        flushing,
    }: Destination<'_>,
    candidates: &[Candidate],
    plan: &Plan,
    old: Option<&OldRepodata>,
    group: Option<(String, Vec<u8>)>,
    options: &RepoOptions,
    summary: &mut RepoSummary,
) -> Result<(Vec<DataRecord>, Written), RepoError> {
    let Plan {
        reuse,
        runs,
        copied,
    } = plan;
    summary.reused = reuse.iter().filter(|r| r.is_some()).count();
    summary.runs = runs.len();
    let mut outputs = Vec::new();
    for kind in Kind::ALL {
        let mut output = Output::create(dir, kind, old.and_then(|o| o.file(kind)))?;
        let head = kind.head(candidates.len());
        let compressed = gz::compress_marked(head.as_bytes());
        output.push_fixed(compressed, head)?;
        outputs.push(output);
    }

    let next = AtomicUsize::new(0);
    let failed = AtomicBool::new(false);
    let workers = worker_count(options.workers).min(runs.len().max(1));
    let mut first_error: Option<(usize, RepoError)> = None;
    std::thread::scope(|scope| {
        let (sender, receiver) = std::sync::mpsc::channel::<(usize, Result<RunOut, RepoError>)>();
        for _ in 0..workers {
            let sender = sender.clone();
            let (next, failed) = (&next, &failed);
            scope.spawn(move || loop {
                let index = next.fetch_add(1, Ordering::Relaxed);
                if index >= runs.len() || failed.load(Ordering::Relaxed) {
                    break;
                }
                let range = runs[index].clone();
                let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                    build_run(
                        &candidates[range.clone()],
                        &reuse[range.clone()],
                        copied[index],
                        old,
                        options.changelog_limit,
                    )
                }))
                .unwrap_or_else(|_| {
                    Err(RepoError::at(
                        &candidates[range.start].path,
                        "internal error while describing this run of packages",
                    ))
                });
                if result.is_err() {
                    failed.store(true, Ordering::Relaxed);
                }
                if sender.send((index, result)).is_err() {
                    break;
                }
            });
        }
        drop(sender);
        let mut pending: BTreeMap<usize, RunOut> = BTreeMap::new();
        let mut written = 0;
        for (index, result) in receiver {
            match result {
                Ok(out) => {
                    pending.insert(index, out);
                }
                Err(error) => {
                    if first_error.as_ref().is_none_or(|(i, _)| index < *i) {
                        first_error = Some((index, error));
                    }
                    continue;
                }
            }
            if first_error.is_some() {
                continue;
            }
            while let Some(out) = pending.remove(&written) {
                if let Err(error) = emit(out, &mut outputs, old, summary) {
                    failed.store(true, Ordering::Relaxed);
                    first_error = Some((0, error));
                    break;
                }
                written += 1;
            }
            if first_error.is_some() {
                // Dropping the receiver stops the workers.
                break;
            }
        }
    });
    if let Some((_, error)) = first_error {
        return Err(error);
    }
    summary.reused = candidates.len() - summary.read;

    // Closed first, so the files are flushed while their texts are hashed.
    let mut closed = Vec::with_capacity(outputs.len());
    for mut output in outputs {
        let tail = output.kind.tail();
        output.push_fixed(gz::compress(tail.as_bytes()), tail.to_string())?;
        closed.push(output.close(in_place, flushing)?);
    }
    let written = Written {
        files: finish_all(closed)?,
    };
    let mut records: Vec<DataRecord> = written.files.iter().map(|f| f.record.clone()).collect();
    if let Some((name, plain)) = group {
        records.extend(write_group(dir, &name, &plain)?);
        summary.group = Some(name);
    }
    Ok((records, written))
}

/// Appends one run to the three files.
fn emit(
    out: RunOut,
    outputs: &mut [Output<'_>],
    old: Option<&OldRepodata>,
    summary: &mut RepoSummary,
) -> Result<(), RepoError> {
    match out {
        RunOut::Copied(member) => {
            let Some(old) = old else {
                return Err(RepoError::new(
                    "internal error: a copied run without old metadata",
                ));
            };
            for output in outputs.iter_mut() {
                let Some(file) = old.file(output.kind) else {
                    return Err(RepoError::new("internal error: old metadata file missing"));
                };
                let found = &file.members[member];
                output.push(
                    &file.bytes[found.compressed.clone()],
                    Content::Old(member),
                    Elements::Copied(member),
                )?;
            }
            summary.copied_runs += 1;
        }
        RunOut::Built {
            compressed,
            plain,
            packages,
            read,
        } => {
            for ((output, (compressed, plain)), packages) in outputs
                .iter_mut()
                .zip(compressed.iter().zip(plain))
                .zip(*packages)
            {
                output.push(
                    compressed,
                    Content::New(plain),
                    Elements::Rendered(packages),
                )?;
            }
            summary.read += read;
        }
    }
    Ok(())
}

/// The module metadata file, decompressed and checked to be modulemd
/// YAML (an error names the file and line).
fn load_modules(path: &Path) -> Result<Vec<u8>, RepoError> {
    let bytes = std::fs::read(path)
        .map_err(|e| RepoError::at(path, format!("cannot read the module metadata: {e}")))?;
    let plain = crate::media::xml::decompress(&bytes)
        .map_err(|e| RepoError::at(path, format!("cannot read the module metadata: {e}")))?;
    let text = std::str::from_utf8(&plain)
        .map_err(|_| RepoError::at(path, "the module metadata is not UTF-8"))?;
    let documents = crate::assemble::modules::parse(text).map_err(|e| RepoError::at(path, e))?;
    if documents.is_empty() {
        return Err(RepoError::at(path, "no module metadata in this file"));
    }
    Ok(plain)
}

/// `<checksum>-modules.yaml.gz` and its record, as `modifyrepo_c` writes
/// them: checksum and size of the gzip file, open-checksum and open-size
/// of the YAML.
fn write_modules(dir: &Path, plain: &[u8]) -> Result<DataRecord, RepoError> {
    let compressed = gz::compress(plain);
    let checksum = hex(&Sha256::digest(&compressed));
    let name = format!("{checksum}-modules.yaml.gz");
    let path = dir.join(&name);
    write_file(&path, &compressed)?;
    Ok(DataRecord {
        kind: "modules".to_string(),
        checksum,
        open_checksum: Some(hex(&Sha256::digest(plain))),
        href: format!("repodata/{name}"),
        timestamp: file_mtime(&path),
        size: compressed.len() as u64,
        open_size: Some(plain.len() as u64),
    })
}

/// `<checksum>-<name>` and its gzip, with their records.
fn write_group(dir: &Path, name: &str, plain: &[u8]) -> Result<[DataRecord; 2], RepoError> {
    let plain_sum = hex(&Sha256::digest(plain));
    let plain_name = format!("{plain_sum}-{name}");
    let plain_path = dir.join(&plain_name);
    write_file(&plain_path, plain)?;
    let compressed = gz::compress(plain);
    let gz_sum = hex(&Sha256::digest(&compressed));
    let gz_name = format!("{gz_sum}-{name}.gz");
    let gz_path = dir.join(&gz_name);
    write_file(&gz_path, &compressed)?;
    Ok([
        DataRecord {
            kind: "group".to_string(),
            checksum: plain_sum.clone(),
            open_checksum: None,
            href: format!("repodata/{plain_name}"),
            timestamp: file_mtime(&plain_path),
            size: plain.len() as u64,
            open_size: None,
        },
        DataRecord {
            kind: "group_gz".to_string(),
            checksum: gz_sum,
            open_checksum: Some(plain_sum),
            href: format!("repodata/{gz_name}"),
            timestamp: file_mtime(&gz_path),
            size: compressed.len() as u64,
            open_size: Some(plain.len() as u64),
        },
    ])
}

fn write_file(path: &Path, bytes: &[u8]) -> Result<(), RepoError> {
    std::fs::write(path, bytes).map_err(|e| RepoError::at(path, e.to_string()))
}

/// Removes from `temp` the new files that `repodata/` already holds (an
/// update where the comps file or a whole metadata file did not change),
/// and gives their records the time of the file in place. Their names
/// carry the checksum of their content, so the file in place has the same
/// bytes; and it is already on disk (a run of ours syncs its files before
/// moving them in; one of another tool's is as durable as the old
/// metadata naming it). Keeping it saves writing and syncing it again and
/// a `rename` over a file the old repomd.xml names.
fn keep_files_already_in_place(temp: &Path, in_place: &InPlace, records: &mut [DataRecord]) {
    for record in records {
        let Some(name) = record.href.strip_prefix("repodata/") else {
            continue;
        };
        let new = temp.join(name);
        let Ok(new_meta) = std::fs::metadata(&new) else {
            continue;
        };
        if let Some(old_meta) = in_place.holds(name, new_meta.len()) {
            if std::fs::remove_file(&new).is_ok() {
                record.timestamp = mtime_secs(&old_meta);
            }
        }
    }
}

/// The `repodata/` being replaced, and the names of the files its
/// `repomd.xml` names: only those are known to be whole on disk (a run
/// syncs its files before a `repomd.xml` names them; another file may be
/// the leftover of a run killed before its files were synced, see
/// [`move_in_early`]).
struct InPlace<'a> {
    dir: &'a Path,
    named: HashSet<String>,
}

impl<'a> InPlace<'a> {
    fn of(dir: &'a Path, old: Option<&OldRepodata>) -> InPlace<'a> {
        let named = old
            .map(|old| {
                old.records
                    .iter()
                    .filter_map(|r| r.href.as_deref())
                    .map(|href| href.rsplit('/').next().unwrap_or(href).to_string())
                    .collect()
            })
            .unwrap_or_default();
        InPlace { dir, named }
    }

    /// The metadata of the file `name` in place, when the old
    /// `repomd.xml` names it and it is a regular file of `size` bytes (the
    /// size guards against a truncated one).
    fn holds(&self, name: &str, size: u64) -> Option<std::fs::Metadata> {
        if !self.named.contains(name) {
            return None;
        }
        std::fs::symlink_metadata(self.dir.join(name))
            .ok()
            .filter(|meta| meta.is_file() && meta.len() == size)
    }
}

/// Moves the new package metadata files from `temp` into `repodata/`
/// while they are being flushed, and flushes `repodata/` too (recording
/// what it moved in `moved`): the bytes and the names then reach the disk
/// in one wait, where moving after the flush needed a second one before
/// `repomd.xml` could be replaced. No `repomd.xml` names these files until
/// both are done; a run killed meanwhile may leave one, not whole, which
/// no `repomd.xml` names: [`InPlace`] does not trust it, and the next run
/// removes it with the stale files (these are names [`owned_name`] knows).
/// Without a `repodata/` yet, the whole directory is moved in later.
fn move_in_early(
    temp: &Path,
    repodata: &Path,
    flushing: &mut Flushing,
    moved: &mut Vec<PathBuf>,
) -> Result<(), RepoError> {
    if !flushing.enabled || !repodata.is_dir() {
        return Ok(());
    }
    let entries = std::fs::read_dir(temp).map_err(|e| RepoError::at(temp, e.to_string()))?;
    for entry in entries {
        let name = entry
            .map_err(|e| RepoError::at(temp, e.to_string()))?
            .file_name();
        if name == "repomd.xml" || !owned_name(&name.to_string_lossy()) {
            continue;
        }
        let to = repodata.join(&name);
        std::fs::rename(temp.join(&name), &to)
            .map_err(|e| RepoError::at(&to, format!("cannot move the new metadata in: {e}")))?;
        moved.push(to);
    }
    if !moved.is_empty() {
        let dir = File::open(repodata).map_err(|e| RepoError::at(repodata, e.to_string()))?;
        flushing.start(repodata, dir);
    }
    Ok(())
}

/// Removes the files [`move_in_early`] moved in, after an error: those
/// the `repomd.xml` in place does not name (an error after the switch
/// leaves them to it).
fn remove_moved(repodata: &Path, moved: &[PathBuf]) {
    let repomd = std::fs::read_to_string(repodata.join("repomd.xml")).unwrap_or_default();
    for path in moved {
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned());
        if name.is_some_and(|name| !repomd.contains(&name)) {
            let _ = std::fs::remove_file(path);
        }
    }
}

fn sync_dir(dir: &Path) -> Result<(), RepoError> {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|e| RepoError::at(dir, format!("cannot sync: {e}")))
}

/// Record types we write (or that createrepo writes from the same data
/// and that would be stale after us).
fn owned_kind(kind: &str) -> bool {
    let stem = kind
        .strip_suffix("_db")
        .or_else(|| kind.strip_suffix("_zck"))
        .unwrap_or(kind);
    matches!(stem, "primary" | "filelists" | "other") || kind.starts_with("group")
}

/// Names createrepo gives the metadata we own.
fn owned_name(name: &str) -> bool {
    let bare = strip_checksum_prefix(name);
    let prefixed = bare.len() != name.len();
    let stem = ["primary", "filelists", "other"]
        .iter()
        .find_map(|stem| bare.strip_prefix(stem));
    if let Some(rest) = stem {
        let rest = rest
            .strip_prefix(".xml")
            .or_else(|| rest.strip_prefix(".sqlite"));
        return rest.is_some_and(|r| matches!(r, "" | ".gz" | ".bz2" | ".xz" | ".zst" | ".zck"));
    }
    prefixed && bare.contains("comps") && (bare.contains(".xml"))
}

/// Records of the old repomd.xml that are not ours: kept as they were.
fn kept_records(old: Option<&OldRepodata>, replaced: &dyn Fn(&str) -> bool) -> Vec<old::RawRecord> {
    let Some(old) = old else {
        return Vec::new();
    };
    old.records
        .iter()
        .filter(|r| match r.element.as_str() {
            "revision" => false,
            "data" => !replaced(&r.kind),
            _ => true,
        })
        .cloned()
        .collect()
}

/// The temporary directory of this run; removed on drop unless installed.
struct TempDir {
    path: PathBuf,
    keep: bool,
    /// Removed by the signal handler of [`crate::cleanup::install`] on SIGINT/SIGTERM.
    registered: crate::cleanup::Registered,
}

impl TempDir {
    fn create(base: &Path) -> Result<TempDir, RepoError> {
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        let path = base.join(format!("{TEMP_PREFIX}{}-{nanos:09}", std::process::id()));
        let registered = crate::cleanup::register(&path);
        std::fs::create_dir(&path)
            .map_err(|e| RepoError::at(&path, format!("cannot create: {e}")))?;
        Ok(TempDir {
            path,
            keep: false,
            registered,
        })
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        if !self.keep {
            let _ = std::fs::remove_dir_all(&self.path);
        }
    }
}

/// Removes temporary directories of runs that died; refuses to run beside
/// a live one.
fn clear_abandoned_temps(base: &Path) -> Result<(), RepoError> {
    let Ok(entries) = std::fs::read_dir(base) else {
        return Ok(());
    };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let Some(rest) = name.strip_prefix(TEMP_PREFIX) else {
            continue;
        };
        let pid: Option<u32> = rest.split('-').next().and_then(|p| p.parse().ok());
        let alive = pid.is_some_and(|pid| {
            pid != std::process::id() && Path::new("/proc").join(pid.to_string()).exists()
        });
        if alive {
            return Err(RepoError::at(
                &entry.path(),
                format!(
                    "another kslint repo (process {}) is writing this repository's metadata",
                    pid.unwrap_or(0)
                ),
            ));
        }
        let _ = std::fs::remove_dir_all(entry.path());
    }
    Ok(())
}

/// Puts the new metadata in place (see the module documentation). A
/// signal handled meanwhile (see [`crate::cleanup`]) waits until it is done,
/// or, when it came first, leaves `repodata/` untouched.
/// Returns the temporary directory when it is left to remove (holding the
/// old repomd.xml, see [`move_into_place`]).
fn install(mut temp: TempDir, repodata: &Path) -> Result<Option<TempDir>, RepoError> {
    let interrupted = || {
        RepoError::at(
            repodata,
            "interrupted by a signal; the metadata was left as it was".to_string(),
        )
    };
    let moved_whole = temp
        .registered
        .commit(interrupted, || move_into_place(&temp.path, repodata))?;
    if moved_whole {
        temp.keep = true;
        sync_dir(repodata.parent().unwrap_or(Path::new(".")))?;
        return Ok(None);
    }
    Ok(Some(temp))
}

/// The renames of [`install`]; true when the temporary directory itself
/// became `repodata/`.
fn move_into_place(temp: &Path, repodata: &Path) -> Result<bool, RepoError> {
    if !repodata.exists() {
        std::fs::rename(temp, repodata).map_err(|e| {
            RepoError::at(repodata, format!("cannot move the new metadata in: {e}"))
        })?;
        return Ok(true);
    }
    // What `move_in_early` left: other tools' files of a staged copy, a
    // modules file, comps files of unusual names.
    let entries = std::fs::read_dir(temp)
        .map_err(|e| RepoError::at(temp, e.to_string()))?
        .flatten()
        .map(|e| e.file_name())
        .filter(|name| name != "repomd.xml")
        .collect::<Vec<_>>();
    for name in &entries {
        let from = temp.join(name);
        let to = repodata.join(name);
        std::fs::rename(&from, &to)
            .map_err(|e| RepoError::at(&to, format!("cannot move the new metadata in: {e}")))?;
    }
    if !entries.is_empty() {
        sync_dir(repodata)?;
    }
    let target = repodata.join("repomd.xml");
    // Freeing a file's blocks can wait on the disk (a file system mounted
    // with `discard` trims them then and there): the old repomd.xml keeps
    // a name in the temporary directory, so the rename frees nothing and
    // the old file goes with the stale ones, all at once.
    let _ = std::fs::hard_link(&target, temp.join(OLD_REPOMD));
    std::fs::rename(temp.join("repomd.xml"), &target)
        .map_err(|e| RepoError::at(&target, format!("cannot replace: {e}")))?;
    sync_dir(repodata)?;
    Ok(false)
}

/// Removes the files of the old metadata that the new repomd.xml does not
/// name, and the directory `temp` when given, each on a thread of its own
/// (see [`move_into_place`] for why); returns the names of the files.
fn remove_stale(
    repodata: &Path,
    old: Option<&OldRepodata>,
    new_names: &HashSet<String>,
    kept: &[old::RawRecord],
    replaced: &dyn Fn(&str) -> bool,
    temp: Option<&Path>,
    notes: &mut Vec<String>,
) -> Vec<String> {
    let file_name = |href: &str| href.rsplit('/').next().unwrap_or(href).to_string();
    let kept_names: HashSet<String> = kept
        .iter()
        .filter_map(|r| r.href.as_deref().map(file_name))
        .collect();
    let old_owned: HashSet<String> = old
        .map(|o| {
            o.records
                .iter()
                .filter(|r| r.element == "data" && replaced(&r.kind))
                .filter_map(|r| r.href.as_deref().map(file_name))
                .collect()
        })
        .unwrap_or_default();
    let mut names: Vec<String> = std::fs::read_dir(repodata)
        .into_iter()
        .flatten()
        .flatten()
        .filter(|e| e.file_type().is_ok_and(|t| t.is_file()))
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names.retain(|name| {
        let ours = name == "repomd.xml" || new_names.contains(name) || kept_names.contains(name);
        // A signature of the old repomd.xml no longer signs anything.
        let stale = old_owned.contains(name)
            || owned_name(name)
            || (old.is_some() && name == "repomd.xml.asc");
        stale && !ours
    });
    let results: Vec<std::io::Result<()>> = std::thread::scope(|scope| {
        let files: Vec<_> = names
            .iter()
            .map(|name| scope.spawn(move || std::fs::remove_file(repodata.join(name))))
            .collect();
        if let Some(temp) = temp {
            let _ = std::fs::remove_dir_all(temp);
        }
        files
            .into_iter()
            .map(|handle| {
                handle
                    .join()
                    .unwrap_or_else(|_| Err(std::io::Error::other("the thread died")))
            })
            .collect()
    });
    let mut removed = Vec::new();
    for (name, result) in names.into_iter().zip(results) {
        match result {
            Ok(()) => removed.push(name),
            Err(error) => notes.push(format!("cannot remove the old {name}: {error}")),
        }
    }
    removed
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ownership() {
        for kind in ["primary", "filelists_db", "other_zck", "group", "group_gz"] {
            assert!(owned_kind(kind), "{kind}");
        }
        for kind in ["modules", "updateinfo", "productid", "prestodelta"] {
            assert!(!owned_kind(kind), "{kind}");
        }
        let sum = "0".repeat(64);
        assert!(owned_name(&format!("{sum}-primary.xml.gz")));
        assert!(owned_name(&format!("{sum}-other.sqlite.bz2")));
        assert!(owned_name("filelists.xml.gz"));
        assert!(owned_name(&format!("{sum}-c7-x86_64-comps.xml")));
        assert!(!owned_name("comps.xml"));
        assert!(!owned_name(&format!("{sum}-modules.yaml.gz")));
        assert!(!owned_name("productid"));
    }

    #[test]
    fn scan_finds_rpms_through_links_and_reads_each_ones_metadata() {
        let dir = tempfile::tempdir().unwrap();
        let base = dir.path().join("repo");
        let packages = base.join("Packages");
        std::fs::create_dir_all(packages.join("sub")).unwrap();
        // Enough files for the metadata to be read on several threads.
        for i in 0..600 {
            std::fs::write(packages.join(format!("p{i:03}.rpm")), vec![b'x'; i]).unwrap();
        }
        std::fs::write(packages.join("sub/deep.rpm"), b"deep").unwrap();
        std::fs::write(packages.join("notes.txt"), b"not an rpm").unwrap();
        std::fs::create_dir(packages.join("dir.rpm")).unwrap();
        let outside = dir.path().join("outside");
        std::fs::create_dir_all(&outside).unwrap();
        std::fs::write(outside.join("linked.rpm"), b"linked").unwrap();
        std::os::unix::fs::symlink(outside.join("linked.rpm"), packages.join("l.rpm")).unwrap();
        std::os::unix::fs::symlink(&outside, packages.join("more")).unwrap();
        std::os::unix::fs::symlink("gone.rpm", packages.join("dangling.rpm")).unwrap();
        std::fs::create_dir(base.join(format!("{TEMP_PREFIX}1-2"))).unwrap();
        std::fs::write(base.join(format!("{TEMP_PREFIX}1-2/t.rpm")), b"t").unwrap();

        let found = scan(&base, &[]).unwrap();
        let mut locations: Vec<&str> = found.iter().map(|c| c.location.as_str()).collect();
        locations.sort_unstable();
        let mut expected: Vec<String> = (0..600).map(|i| format!("Packages/p{i:03}.rpm")).collect();
        expected.extend(
            [
                "Packages/sub/deep.rpm",
                "Packages/l.rpm",
                "Packages/more/linked.rpm",
            ]
            .map(String::from),
        );
        expected.sort_unstable();
        assert_eq!(locations, expected);
        for candidate in &found {
            let metadata = std::fs::metadata(&candidate.path).unwrap();
            assert_eq!(candidate.size, metadata.len(), "{}", candidate.location);
            assert_eq!(candidate.mtime, mtime_secs(&metadata));
            assert!(candidate.location.ends_with(&candidate.file_name));
        }
        let order: Vec<(&str, &str)> = found
            .iter()
            .map(|c| (c.file_name.as_str(), c.location.as_str()))
            .collect();
        assert!(
            order.windows(2).all(|w| w[0] <= w[1]),
            "not in createrepo's order"
        );
    }

    #[test]
    fn runs_are_cut_by_location() {
        let candidates: Vec<Candidate> = (0..500)
            .map(|i| Candidate {
                path: PathBuf::new(),
                location: format!("Packages/p{i}.rpm"),
                file_name: format!("p{i}.rpm"),
                size: 0,
                mtime: 0,
            })
            .collect();
        let all = runs(&candidates);
        assert_eq!(all.first().map(|r| r.start), Some(0));
        assert_eq!(all.last().map(|r| r.end), Some(500));
        assert!(all.windows(2).all(|w| w[0].end == w[1].start));
        // Dropping one package changes only the run that held it.
        let mut fewer = candidates.clone();
        fewer.remove(250);
        let names = |c: &[Candidate], r: &[Range<usize>]| -> Vec<Vec<String>> {
            r.iter()
                .map(|r| c[r.clone()].iter().map(|c| c.location.clone()).collect())
                .collect()
        };
        let before = names(&candidates, &all);
        let after = names(&fewer, &runs(&fewer));
        let same = after.iter().filter(|run| before.contains(run)).count();
        assert!(same + 1 >= after.len(), "{same} of {}", after.len());
    }
}
