//! The side cache that makes an update cheap: for each of primary,
//! filelists and other as the last run wrote them, the member table
//! (where each gzip member and its text are, which packages it holds, the
//! SHA-256 state of the whole text where it starts) and the text itself,
//! so that an update neither decompresses nor parses the old files, and
//! hashes only the text after the first member it rebuilds.
//!
//! It lives outside the repository (`$XDG_CACHE_HOME/kslint/repo/<hash of
//! the repository's path>/`), so it never ends up on an ISO nor beside the
//! metadata where createrepo_c or dnf would find an unknown file. Nothing in
//! it is trusted: it is used only when the checksums it records for the
//! three `.xml.gz` files are those of the current `repomd.xml` and of the
//! files on disk (hashed again), when its own checksum holds (a truncated
//! or edited table), when its members tile those files, and when the text
//! of every member has the CRC-32 and size that member's gzip trailer
//! gives. Anything else and the update reads the old files as before.
//!
//! Files: `index` (the table, replaced with a `rename`) and `blob-<id>`,
//! the member texts, appended to by updates (an offset the index names is
//! never rewritten) and written afresh when most of it is dead.

use std::fs::File;
use std::io::{Seek, SeekFrom, Write};
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use sha2::{Digest, Sha256};

use super::header::hex;
use super::old::{OldFile, OldMember, OldPackage};
use super::resumable::Midstate;

/// `$XDG_CACHE_HOME/kslint/repo` (or `~/.cache/kslint/repo`).
pub fn default_root() -> Option<PathBuf> {
    let base = std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .filter(|p| p.is_absolute())
        .or_else(|| std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".cache")))?;
    Some(base.join("kslint").join("repo"))
}

/// The cache directory of the repository whose `repodata/` is in `dir`.
pub fn dir_for(root: &Path, dir: &Path) -> PathBuf {
    let canonical = std::fs::canonicalize(dir).unwrap_or_else(|_| dir.to_path_buf());
    let digest = Sha256::digest(canonical.as_os_str().as_encoded_bytes());
    root.join(&hex(&digest)[..32])
}

/// One member as the index records it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CachedMember {
    pub compressed: Range<usize>,
    pub text: Range<usize>,
    /// Where its text is in the blob.
    pub blob: u64,
    pub packages: Range<usize>,
    pub pure: bool,
    /// The hash state of the whole text where this member starts.
    pub midstate: Midstate,
}

/// One metadata file as the index records it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CachedFile {
    /// SHA-256 of the `.xml.gz` file.
    pub checksum: String,
    pub size: u64,
    pub members: Vec<CachedMember>,
    /// The state after the whole text.
    pub end: Midstate,
    /// Ranges in the whole text.
    pub packages: Vec<OldPackage>,
}

/// The whole index.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Index {
    pub blob: String,
    /// Bytes of the blob the index uses (a run that died may have
    /// appended more).
    pub blob_length: u64,
    pub files: [CachedFile; 3],
}

/// Where the old files came from, for the next [`store`].
#[derive(Clone, Debug)]
pub struct Source {
    pub dir: PathBuf,
    pub blob: String,
    pub blob_length: u64,
    /// Bytes of the blob still named by the index.
    pub live: u64,
}

/// The three old files as the cache in `dir` describes them, when it is
/// valid for `gz` (the bytes of the current primary, filelists and other,
/// with the checksums `repomd.xml` gives). No text is read yet: an update
/// reads the members it needs with [`OldFile::load_texts`] from the blob
/// [`Source::open_blob`] opens.
pub fn load(dir: &Path, gz: [(Vec<u8>, String); 3]) -> Option<([OldFile; 3], Source)> {
    let index = read_index(dir)?;
    let mut live = 0;
    let mut files = Vec::with_capacity(3);
    for (cached, (bytes, checksum)) in index.files.into_iter().zip(gz) {
        let file = rebuild(cached, bytes, &checksum)?;
        live += file.text.len() as u64;
        files.push(file);
    }
    let files: [OldFile; 3] = files.try_into().ok()?;
    let source = Source {
        dir: dir.to_path_buf(),
        blob: index.blob,
        blob_length: index.blob_length,
        live,
    };
    Some((files, source))
}

impl Source {
    /// The blob, when it is as long as the index says.
    pub fn open_blob(&self) -> Option<File> {
        let file = File::open(self.dir.join(&self.blob)).ok()?;
        (file.metadata().ok()?.len() >= self.blob_length).then_some(file)
    }
}

/// The [`OldFile`] of one cached file (its text not read), after checking
/// the table against the gzip file.
fn rebuild(cached: CachedFile, bytes: Vec<u8>, checksum: &str) -> Option<OldFile> {
    if cached.checksum != checksum
        || bytes.len() as u64 != cached.size
        || hex(&Sha256::digest(&bytes)) != checksum
    {
        return None;
    }
    let mut members = Vec::with_capacity(cached.members.len());
    let (mut compressed_at, mut text_at, mut packages_at) = (0, 0, 0);
    for member in cached.members {
        let tiles = member.compressed.start == compressed_at
            && member.text.start == text_at
            && member.text.end >= text_at
            && could_inflate_to(&member.compressed, &member.text)
            && member.packages.start == packages_at
            && member.packages.end >= packages_at
            && member.packages.end <= cached.packages.len()
            && member.midstate.length == member.text.start as u64;
        if !tiles || !trailer_matches(&bytes, &member.compressed, &member.text)? {
            return None;
        }
        compressed_at = member.compressed.end;
        text_at = member.text.end;
        packages_at = member.packages.end;
        members.push(OldMember {
            compressed: member.compressed,
            text: member.text,
            packages: member.packages,
            pure: member.pure,
            cached: Some((member.blob, member.midstate)),
            loaded: false,
        });
    }
    let complete = compressed_at == bytes.len()
        && packages_at == cached.packages.len()
        && cached.end.length == text_at as u64;
    // Zeroed memory the system maps only where a member is read into it.
    complete.then(|| OldFile {
        bytes,
        text: vec![0; text_at],
        packages: cached.packages,
        members,
        end: Some(cached.end),
        blob: None,
    })
}

/// Whether `compressed` bytes of deflate can hold `text` bytes: deflate
/// expands at most 1032 to 1, so a table claiming more (damaged, or made up)
/// is refused before its text is given memory.
fn could_inflate_to(compressed: &Range<usize>, text: &Range<usize>) -> bool {
    const DEFLATE_MAX_RATIO: usize = 1032;
    compressed.end >= compressed.start
        && text.len() <= (compressed.end - compressed.start).saturating_mul(DEFLATE_MAX_RATIO)
}

/// Whether the member starts like gzip and its trailer gives the text's size.
fn trailer_matches(bytes: &[u8], compressed: &Range<usize>, text: &Range<usize>) -> Option<bool> {
    let member = bytes.get(compressed.clone())?;
    if member.len() < 18 || member[..3] != [0x1f, 0x8b, 8] {
        return Some(false);
    }
    let size = u32::from_le_bytes(member[member.len() - 4..].try_into().ok()?);
    Some(size == text.len() as u32)
}

/// The CRC-32 of a member's text, from its gzip trailer.
pub fn trailer_crc(bytes: &[u8], compressed: &Range<usize>) -> Option<u32> {
    let member = bytes.get(compressed.clone())?;
    let at = member.len().checked_sub(8)?;
    Some(u32::from_le_bytes(member[at..at + 4].try_into().ok()?))
}

/// A member's text for [`store`]: where the blob of the source already
/// holds it, if it does, and the text when it was read.
pub struct Text<'a> {
    pub text: Option<&'a [u8]>,
    pub in_blob: Option<u64>,
}

/// Records the files just written (`files`, whose members' blob offsets
/// this fills in, and the texts of their members) in the cache at `dir`:
/// appends the new texts to the blob of `source` (or writes a new blob
/// when there is no usable one or most of it would be dead), then
/// replaces the index.
pub fn store(
    dir: &Path,
    source: Option<&Source>,
    mut files: [CachedFile; 3],
    texts: &[Vec<Text<'_>>; 3],
) -> std::io::Result<()> {
    if !parallel(&files) {
        return Err(std::io::Error::other(
            "the files do not list the same packages in the same order",
        ));
    }
    std::fs::create_dir_all(dir)?;
    let members = || files.iter().flat_map(|f| &f.members);
    let live: u64 = members().map(|m| m.text.len() as u64).sum();
    let fresh: u64 = members()
        .zip(texts.iter().flatten())
        .filter(|(_, text)| text.in_blob.is_none())
        .map(|(m, _)| m.text.len() as u64)
        .sum();
    let source = source.filter(|s| s.dir == dir);
    let old_blob = source.and_then(Source::open_blob);
    let append =
        source.filter(|s| old_blob.is_some() && s.blob_length + fresh <= 2 * live + (4 << 20));
    let (blob, mut blob_length, mut writer, rewrite) = match append {
        Some(source) => {
            let mut file = File::options().write(true).open(dir.join(&source.blob))?;
            file.set_len(source.blob_length)?;
            file.seek(SeekFrom::End(0))?;
            (source.blob.clone(), source.blob_length, file, false)
        }
        None => {
            let name = format!("blob-{}-{}", std::process::id(), super::now_nanos());
            let file = File::create(dir.join(&name))?;
            (name, 0, file, true)
        }
    };
    let mut pending = std::io::BufWriter::with_capacity(1 << 20, &mut writer);
    let mut buffer = Vec::new();
    for (file, texts) in files.iter_mut().zip(texts) {
        for (member, text) in file.members.iter_mut().zip(texts) {
            member.blob = match text.in_blob.filter(|_| !rewrite) {
                Some(offset) => offset,
                None => {
                    let bytes = member_text(member, text, old_blob.as_ref(), &mut buffer)?;
                    pending.write_all(bytes)?;
                    blob_length += bytes.len() as u64;
                    blob_length - bytes.len() as u64
                }
            };
        }
    }
    pending.flush()?;
    drop(pending);
    write_index(
        dir,
        &Index {
            blob: blob.clone(),
            blob_length,
            files,
        },
    )?;
    if rewrite {
        remove_other_blobs(dir, &blob);
    }
    if let Some(root) = dir.parent() {
        prune(root, dir, SystemTime::now());
    }
    Ok(())
}

/// How many repositories the cache keeps (about 9 MB each for 2,000 RPMs).
const KEPT_REPOSITORIES: usize = 8;

/// How long the cache of a repository that is not updated is kept.
const KEPT_FOR: Duration = Duration::from_secs(30 * 24 * 3600);

/// Bounds the cache under `root`, which every repository (and every
/// temporary tree a test or benchmark builds) would otherwise grow: drops
/// the entries not written for `KEPT_FOR` and all but the
/// `KEPT_REPOSITORIES` most recently written, never `current`. Only
/// directories named like [`dir_for`]'s are touched, so a cache root set to
/// a directory holding other things loses nothing else.
pub fn prune(root: &Path, current: &Path, now: SystemTime) {
    let Ok(entries) = std::fs::read_dir(root) else {
        return;
    };
    let mut caches: Vec<(SystemTime, PathBuf)> = entries
        .flatten()
        .map(|entry| entry.path())
        .filter(|path| path != current && is_cache_dir_name(path))
        .map(|path| (last_written(&path), path))
        .collect();
    caches.sort_by_key(|(written, _)| std::cmp::Reverse(*written));
    for (rank, (written, path)) in caches.iter().enumerate() {
        let stale = now.duration_since(*written).unwrap_or_default() > KEPT_FOR;
        // `current` is kept as well, so the others get one place less.
        if stale || rank + 1 >= KEPT_REPOSITORIES {
            let _ = std::fs::remove_dir_all(path);
        }
    }
}

fn is_cache_dir_name(path: &Path) -> bool {
    path.file_name()
        .and_then(|name| name.to_str())
        .is_some_and(|name| name.len() == 32 && name.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// When the index of a cache entry was last replaced (the epoch when it
/// has none: a half-made entry goes first).
fn last_written(dir: &Path) -> SystemTime {
    std::fs::metadata(dir.join("index"))
        .and_then(|meta| meta.modified())
        .unwrap_or(SystemTime::UNIX_EPOCH)
}

/// Whether package `i` of filelists and other is package `i` of primary
/// (always so in files we write: each run renders or copies the three
/// entries of a package together), which lets the index keep the entries
/// of filelists and other as their ranges only.
fn parallel(files: &[CachedFile; 3]) -> bool {
    files[1..].iter().all(|file| {
        file.packages.len() == files[0].packages.len()
            && file
                .packages
                .iter()
                .zip(&files[0].packages)
                .all(|(entry, primary)| entry.pkgid == primary.pkgid)
    })
}

/// The text of a member for a new blob: as read, or from the old blob (not
/// checked here: the next update checks every text it reads).
fn member_text<'a>(
    member: &CachedMember,
    text: &Text<'a>,
    old_blob: Option<&File>,
    buffer: &'a mut Vec<u8>,
) -> std::io::Result<&'a [u8]> {
    use std::os::unix::fs::FileExt;
    if let Some(text) = text.text {
        return Ok(text);
    }
    let (Some(offset), Some(blob)) = (text.in_blob, old_blob) else {
        return Err(std::io::Error::other(
            "a member's text is neither read nor in the blob",
        ));
    };
    buffer.resize(member.text.len(), 0);
    blob.read_exact_at(buffer, offset)?;
    Ok(buffer)
}

fn remove_other_blobs(dir: &Path, keep: &str) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if name.starts_with("blob-") && name != keep {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

/// Removes the cache at `dir` (the files it described are gone).
pub fn forget(dir: &Path) {
    let _ = std::fs::remove_file(dir.join("index"));
}

// The index is binary (little-endian numbers, strings as a length and
// bytes), followed by the CRC-32 of all of it: it guards against a
// truncated or damaged file, as the other checks of [`load`] do (what the
// index says is checked against the files, not trusted), and costs a
// tenth of a SHA-256 over the megabyte an index of thousands of packages
// takes, which an update reads and writes once each.

const MAGIC: &[u8] = b"kslint repo cache 3\n";
const SUM_LENGTH: usize = 4;

/// The index of the cache at `dir`, when it is whole (its checksum holds).
pub fn read_index(dir: &Path) -> Option<Index> {
    let bytes = std::fs::read(dir.join("index")).ok()?;
    let body_end = bytes.len().checked_sub(SUM_LENGTH)?;
    let (body, sum) = bytes.split_at(body_end);
    if crc32fast::hash(body).to_le_bytes() != *sum {
        return None;
    }
    let mut reader = Reader {
        bytes: body.strip_prefix(MAGIC)?,
    };
    let index = reader.index()?;
    reader.bytes.is_empty().then_some(index)
}

/// Replaces the index of the cache at `dir` (a new file, then a `rename`).
pub fn write_index(dir: &Path, index: &Index) -> std::io::Result<()> {
    let mut out = Writer {
        bytes: Vec::with_capacity(1 << 20),
    };
    out.bytes.extend_from_slice(MAGIC);
    out.index(index);
    let sum = crc32fast::hash(&out.bytes);
    out.bytes.extend_from_slice(&sum.to_le_bytes());
    let temp = dir.join(format!("index.tmp-{}", std::process::id()));
    std::fs::write(&temp, &out.bytes)?;
    std::fs::rename(&temp, dir.join("index"))
}

struct Writer {
    bytes: Vec<u8>,
}

impl Writer {
    fn number(&mut self, n: u64) {
        self.bytes.extend_from_slice(&n.to_le_bytes());
    }

    fn range(&mut self, range: &Range<usize>) {
        self.number(range.start as u64);
        self.number(range.end as u64);
    }

    fn text(&mut self, text: &[u8]) {
        self.number(text.len() as u64);
        self.bytes.extend_from_slice(text);
    }

    fn midstate(&mut self, state: &Midstate) {
        for word in state.state {
            self.bytes.extend_from_slice(&word.to_le_bytes());
        }
        self.number(state.length);
        self.text(&state.tail);
    }

    fn index(&mut self, index: &Index) {
        self.text(index.blob.as_bytes());
        self.number(index.blob_length);
        for (kind, file) in index.files.iter().enumerate() {
            self.text(file.checksum.as_bytes());
            self.number(file.size);
            self.midstate(&file.end);
            self.number(file.members.len() as u64);
            for member in &file.members {
                self.range(&member.compressed);
                self.range(&member.text);
                self.number(member.blob);
                self.range(&member.packages);
                self.number(u64::from(member.pure));
                self.midstate(&member.midstate);
            }
            self.number(file.packages.len() as u64);
            for package in &file.packages {
                self.range(&package.range);
                // Only primary's entries say more (see `parallel`).
                if kind == 0 {
                    self.number(package.size);
                    self.number(package.mtime);
                    self.text(package.checksum_type.as_bytes());
                    self.text(package.pkgid.as_bytes());
                    self.text(package.location.as_bytes());
                }
            }
        }
    }
}

struct Reader<'a> {
    bytes: &'a [u8],
}

impl Reader<'_> {
    fn number(&mut self) -> Option<u64> {
        let (head, rest) = self.bytes.split_first_chunk::<8>()?;
        self.bytes = rest;
        Some(u64::from_le_bytes(*head))
    }

    fn size(&mut self) -> Option<usize> {
        usize::try_from(self.number()?).ok()
    }

    fn range(&mut self) -> Option<Range<usize>> {
        Some(self.size()?..self.size()?)
    }

    fn bytes(&mut self) -> Option<&[u8]> {
        let length = self.size()?;
        if length > self.bytes.len() {
            return None;
        }
        let (head, rest) = self.bytes.split_at(length);
        self.bytes = rest;
        Some(head)
    }

    fn text(&mut self) -> Option<String> {
        String::from_utf8(self.bytes()?.to_vec()).ok()
    }

    fn midstate(&mut self) -> Option<Midstate> {
        let mut state = [0u32; 8];
        for word in &mut state {
            let (head, rest) = self.bytes.split_first_chunk::<4>()?;
            self.bytes = rest;
            *word = u32::from_le_bytes(*head);
        }
        let saved = Midstate {
            state,
            length: self.number()?,
            tail: self.bytes()?.to_vec(),
        };
        super::resumable::Sha256Stream::can_resume(&saved).then_some(saved)
    }

    /// A count of items of at least `size` bytes each, when that many can
    /// be there.
    fn count(&mut self, size: usize) -> Option<usize> {
        let count = self.size()?;
        (count <= self.bytes.len() / size).then_some(count)
    }

    fn index(&mut self) -> Option<Index> {
        let blob = self.text()?;
        if blob.contains('/') || !blob.starts_with("blob-") {
            return None;
        }
        let blob_length = self.number()?;
        let primary = self.file(None)?;
        let filelists = self.file(Some(&primary))?;
        let other = self.file(Some(&primary))?;
        Some(Index {
            blob,
            blob_length,
            files: [primary, filelists, other],
        })
    }

    /// One file's table; for filelists and other, whose package `i` is
    /// primary's package `i`, the entries take primary's pkgid.
    fn file(&mut self, primary: Option<&CachedFile>) -> Option<CachedFile> {
        let checksum = self.text()?;
        let size = self.number()?;
        let end = self.midstate()?;
        let members = (0..self.count(64)?)
            .map(|_| {
                Some(CachedMember {
                    compressed: self.range()?,
                    text: self.range()?,
                    blob: self.number()?,
                    packages: self.range()?,
                    pure: self.number()? == 1,
                    midstate: self.midstate()?,
                })
            })
            .collect::<Option<Vec<_>>>()?;
        let packages = match primary {
            None => (0..self.count(56)?)
                .map(|_| {
                    Some(OldPackage {
                        range: self.range()?,
                        size: self.number()?,
                        mtime: self.number()?,
                        checksum_type: self.text()?,
                        pkgid: self.text()?,
                        location: self.text()?,
                    })
                })
                .collect::<Option<Vec<_>>>()?,
            Some(primary) => {
                let count = self.count(16)?;
                if count != primary.packages.len() {
                    return None;
                }
                primary
                    .packages
                    .iter()
                    .map(|entry| {
                        Some(OldPackage {
                            range: self.range()?,
                            pkgid: entry.pkgid.clone(),
                            size: u64::MAX,
                            mtime: u64::MAX,
                            ..OldPackage::default()
                        })
                    })
                    .collect::<Option<Vec<_>>>()?
            }
        };
        Some(CachedFile {
            checksum,
            size,
            members,
            end,
            packages,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A cache entry whose index was written `age` before `now`.
    fn entry(root: &Path, n: usize, now: SystemTime, age: Duration) -> PathBuf {
        let dir = root.join(format!("{n:032x}"));
        std::fs::create_dir_all(&dir).unwrap();
        let index = File::create(dir.join("index")).unwrap();
        index.set_modified(now - age).unwrap();
        dir
    }

    #[test]
    fn prune_keeps_the_newest_entries_and_drops_old_ones() {
        let root = tempfile::tempdir().unwrap();
        let now = SystemTime::now();
        let hour = Duration::from_secs(3600);
        let current = entry(root.path(), 0, now, Duration::ZERO);
        // Entries 1..=10, entry n written n hours ago; entry 11 is 31 days old.
        let others: Vec<PathBuf> = (1..=10)
            .map(|n| entry(root.path(), n, now, hour * n as u32))
            .collect();
        let ancient = entry(root.path(), 11, now, KEPT_FOR + hour);
        let unrelated = root.path().join("not-a-cache");
        std::fs::create_dir_all(&unrelated).unwrap();

        prune(root.path(), &current, now);

        assert!(current.exists());
        assert!(unrelated.exists());
        assert!(!ancient.exists());
        let kept: Vec<bool> = others.iter().map(|dir| dir.exists()).collect();
        let newest = KEPT_REPOSITORIES - 1;
        assert_eq!(kept[..newest], vec![true; newest][..]);
        assert_eq!(kept[newest..], vec![false; others.len() - newest][..]);
    }

    #[test]
    fn prune_keeps_a_young_cache_whole() {
        let root = tempfile::tempdir().unwrap();
        let now = SystemTime::now();
        let current = entry(root.path(), 0, now, Duration::ZERO);
        let other = entry(root.path(), 1, now, Duration::from_secs(60));
        prune(root.path(), &current, now);
        assert!(current.exists() && other.exists());
    }
}
