//! The repodata already in place, read for an update: which package
//! entries can be kept as they are (same location, size and modification
//! time, like `createrepo --update`), the raw `<package>` elements to copy,
//! the gzip members whose compressed bytes can be copied, and the records
//! of `repomd.xml` that belong to other tools.

use std::collections::HashMap;
use std::ops::Range;
use std::path::{Path, PathBuf};

use quick_xml::events::{BytesStart, Event};

use super::cache;
use super::gz;
use super::render::Kind;
use super::resumable::Midstate;
use crate::media::repodata::Repomd;
use crate::media::xml::{decompress, line_column, TextReader};

/// One `<package>` element of an old metadata file.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct OldPackage {
    /// Byte range of the element in [`OldFile::text`].
    pub range: Range<usize>,
    pub pkgid: String,
    /// primary.xml only: `location href`, `size package`, `time file` and
    /// the checksum type.
    pub location: String,
    pub size: u64,
    pub mtime: u64,
    pub checksum_type: String,
}

/// One gzip member of an old metadata file.
#[derive(Clone, Debug)]
pub struct OldMember {
    pub compressed: Range<usize>,
    pub text: Range<usize>,
    /// Indexes into [`OldFile::packages`] of the elements it holds whole.
    pub packages: Range<usize>,
    /// Whether it holds anything but whole `<package>` elements (and the
    /// white space between them).
    pub pure: bool,
    /// From the cache: where its text is in the blob, and the hash state
    /// of the whole text where it starts.
    pub cached: Option<(u64, Midstate)>,
    /// Whether its text is in [`OldFile::text`] (from the cache, only the
    /// members an update needs are read: [`OldFile::load_texts`]).
    pub loaded: bool,
}

#[derive(Debug, Default)]
pub struct OldFile {
    pub bytes: Vec<u8>,
    /// The whole text (UTF-8), but zero bytes where a member is not
    /// [`OldMember::loaded`].
    pub text: Vec<u8>,
    pub packages: Vec<OldPackage>,
    /// Empty unless the file is gzip.
    pub members: Vec<OldMember>,
    /// From the cache: the hash state after the whole text.
    pub end: Option<Midstate>,
    /// From the cache: its blob, for the texts read only to be hashed
    /// ([`OldFile::text_to_hash`]).
    pub blob: Option<std::sync::Arc<std::fs::File>>,
}

impl OldFile {
    /// The element of package `index`; `None` if its member was not read.
    pub fn package_text(&self, index: usize) -> Option<&str> {
        let range = self.packages[index].range.clone();
        let member = self.member_holding(index)?;
        if !self.members.get(member).is_none_or(|m| m.loaded) {
            return None;
        }
        std::str::from_utf8(self.text.get(range)?).ok()
    }

    /// The member holding package `index` (`Some(0)` for a file without members).
    pub fn member_holding(&self, index: usize) -> Option<usize> {
        if self.members.is_empty() {
            return Some(0);
        }
        let member = self.members.partition_point(|m| m.packages.end <= index);
        self.members
            .get(member)
            .filter(|m| m.packages.contains(&index))
            .map(|_| member)
    }

    /// The text of member `index`; `None` if it was not read.
    pub fn member_text(&self, index: usize) -> Option<&[u8]> {
        let member = self.members.get(index).filter(|m| m.loaded)?;
        Some(&self.text[member.text.clone()])
    }

    /// The text of member `index`, to be hashed: as read, or else read
    /// from the cache's blob into `buffer` (not kept: an update hashes
    /// megabytes of copied text it never looks at) and checked against
    /// the member's gzip trailer. `None` when it is not what the trailer
    /// says: the cache is not to be trusted.
    pub fn text_to_hash<'a>(&'a self, index: usize, buffer: &'a mut Vec<u8>) -> Option<&'a [u8]> {
        use std::os::unix::fs::FileExt;
        let member = self.members.get(index)?;
        if member.loaded {
            return Some(&self.text[member.text.clone()]);
        }
        let (offset, _) = member.cached.as_ref()?;
        buffer.resize(member.text.len(), 0);
        self.blob.as_ref()?.read_exact_at(buffer, *offset).ok()?;
        let crc = cache::trailer_crc(&self.bytes, &member.compressed)?;
        (crc32fast::hash(buffer) == crc).then_some(&buffer[..])
    }

    /// Reads from the cache's blob the texts of the `needed` members not
    /// read yet, each checked against its gzip trailer's CRC-32 and size,
    /// to be UTF-8 and to hold its packages where the table says. False
    /// (and nothing to trust) when one is not.
    pub fn load_texts(&mut self, blob: &std::fs::File, needed: &[bool]) -> bool {
        use std::os::unix::fs::FileExt;
        for (index, member) in self.members.iter_mut().enumerate() {
            if member.loaded || !needed.get(index).copied().unwrap_or(false) {
                continue;
            }
            let Some((offset, _)) = member.cached else {
                return false;
            };
            let text = &mut self.text[member.text.clone()];
            if blob.read_exact_at(text, offset).is_err()
                || Some(crc32fast::hash(text))
                    != cache::trailer_crc(&self.bytes, &member.compressed)
                || std::str::from_utf8(text).is_err()
            {
                return false;
            }
            let fits = self.packages[member.packages.clone()].iter().all(|p| {
                let inside = p.range.start >= member.text.start && p.range.end <= member.text.end;
                inside
                    && self.text.get(p.range.clone()).is_some_and(|element| {
                        element.starts_with(b"<package") && element.ends_with(b"</package>")
                    })
            });
            if !fits {
                return false;
            }
            member.loaded = true;
        }
        true
    }

    /// The hash state of the whole text where member `index` starts (at
    /// `members.len()`: after the whole text), when the cache gave it.
    pub fn midstate(&self, index: usize) -> Option<&Midstate> {
        match self.members.get(index) {
            Some(member) => member.cached.as_ref().map(|(_, state)| state),
            None if index == self.members.len() => self.end.as_ref(),
            None => None,
        }
    }
}

/// A `repomd.xml` record as it was written.
#[derive(Clone, Debug)]
pub struct RawRecord {
    /// `data` or `tags` (or another element name).
    pub element: String,
    /// The `type` of a `<data>` record.
    pub kind: String,
    /// Its `location href`.
    pub href: Option<String>,
    pub raw: String,
}

#[derive(Debug, Default)]
pub struct OldRepodata {
    pub repomd: Repomd,
    pub records: Vec<RawRecord>,
    /// primary, filelists, other (when all three could be read).
    pub files: Option<[OldFile; 3]>,
    /// Why the package entries cannot be reused, when they cannot.
    pub unusable: Option<String>,
    by_location: FastMap<String, usize>,
    filelists_by_pkgid: HashMap<String, usize>,
    other_by_pkgid: HashMap<String, usize>,
    /// Package `i` of filelists and of other is package `i` of primary
    /// (files read from the cache, which keeps them so): no lookup by
    /// pkgid, and no maps to build for it.
    parallel: bool,
    /// The three files were written by us from the same runs of packages:
    /// member `i` of each holds the same packages.
    pub aligned: bool,
    /// First primary package of each member holding packages → member.
    member_by_first: HashMap<usize, usize>,
    /// The cache the files were read from, when they were.
    pub cache: Option<cache::Source>,
}

/// A map whose keys are hashed with FxHash (rustc's): an update looks up
/// thousands of locations, and SipHash's resistance to chosen collisions
/// buys nothing here (the worst a crafted repodata file can do is slow
/// down the run that reads it).
type FastMap<K, V> = HashMap<K, V, std::hash::BuildHasherDefault<FxHasher>>;

#[derive(Default)]
struct FxHasher(u64);

impl std::hash::Hasher for FxHasher {
    fn write(&mut self, bytes: &[u8]) {
        const SEED: u64 = 0x51_7c_c1_b7_27_22_0a_95;
        let mut chunks = bytes.chunks_exact(8);
        for chunk in &mut chunks {
            let word = u64::from_le_bytes(chunk.try_into().unwrap_or_default());
            self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(SEED);
        }
        for &byte in chunks.remainder() {
            self.0 = (self.0.rotate_left(5) ^ u64::from(byte)).wrapping_mul(SEED);
        }
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

/// Where the reusable entry of one package is in the old files.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Reuse {
    /// Index into the primary, filelists and other packages.
    pub entries: [usize; 3],
}

impl OldRepodata {
    /// Reads `repodata/repomd.xml` under `base` and, when `packages` is
    /// set, the package metadata it names (from the cache at `cache_dir`
    /// when it is valid for them). `Ok(None)` when there is no
    /// repomd.xml; an error when repomd.xml is unreadable. Unreadable
    /// package metadata only disables reuse.
    pub fn load(
        base: &Path,
        packages: bool,
        cache_dir: Option<&Path>,
    ) -> Result<Option<OldRepodata>, String> {
        let path = base.join("repodata").join("repomd.xml");
        let bytes = match std::fs::read(&path) {
            Ok(bytes) => bytes,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(error) => return Err(format!("cannot read {}: {error}", path.display())),
        };
        let text = String::from_utf8_lossy(&bytes).into_owned();
        let mut old = OldRepodata {
            repomd: Repomd::parse(&text).unwrap_or_default(),
            records: raw_records(&text).unwrap_or_default(),
            ..OldRepodata::default()
        };
        if !packages {
            return Ok(Some(old));
        }
        match load_files(base, &old.repomd, &old.records, cache_dir) {
            Ok((files, source)) => {
                old.cache = source;
                old.index(files);
            }
            Err(why) => old.unusable = Some(why),
        }
        Ok(Some(old))
    }

    fn index(&mut self, files: [OldFile; 3]) {
        self.by_location =
            FastMap::with_capacity_and_hasher(files[0].packages.len(), Default::default());
        for (i, package) in files[0].packages.iter().enumerate() {
            self.by_location
                .entry(package.location.clone())
                .or_insert(i);
        }
        // Two packages with one pkgid are the same file, so have the
        // same filelists and other entries: taking package `i`'s own
        // (parallel) or the first one's (lookup) gives the same text.
        self.parallel = self.cache.is_some();
        if !self.parallel {
            self.filelists_by_pkgid = first_by_pkgid(&files[1]);
            self.other_by_pkgid = first_by_pkgid(&files[2]);
        }
        self.aligned = aligned(&files);
        self.member_by_first = files[0]
            .members
            .iter()
            .enumerate()
            .filter(|(_, m)| !m.packages.is_empty())
            .map(|(i, m)| (m.packages.start, i))
            .collect();
        self.files = Some(files);
    }

    /// The old entries of the package at `location` if the file is
    /// unchanged (same size and modification time, sha256 ids).
    pub fn reusable(&self, location: &str, size: u64, mtime: u64) -> Option<Reuse> {
        let files = self.files.as_ref()?;
        let index = *self.by_location.get(location)?;
        let package = &files[0].packages[index];
        if package.size != size || package.mtime != mtime || package.checksum_type != "sha256" {
            return None;
        }
        if self.parallel {
            return Some(Reuse {
                entries: [index; 3],
            });
        }
        let filelists = *self.filelists_by_pkgid.get(&package.pkgid)?;
        let other = *self.other_by_pkgid.get(&package.pkgid)?;
        Some(Reuse {
            entries: [index, filelists, other],
        })
    }

    pub fn file(&self, kind: Kind) -> Option<&OldFile> {
        self.files.as_ref().map(|files| &files[kind.index()])
    }

    /// The member of each file holding exactly the primary entries
    /// `entries` (in order), when the files are aligned.
    pub fn member_of(&self, entries: &[usize]) -> Option<usize> {
        if !self.aligned || entries.is_empty() {
            return None;
        }
        let primary = &self.files.as_ref()?[0];
        let member = *self.member_by_first.get(&entries[0])?;
        let found = &primary.members[member];
        let consecutive = entries.windows(2).all(|w| w[1] == w[0] + 1);
        (found.pure && consecutive && found.packages.len() == entries.len()).then_some(member)
    }

    /// The `<data>` record of `kind`.
    pub fn record(&self, kind: &str) -> Option<&RawRecord> {
        self.records.iter().find(|r| r.kind == kind)
    }
}

/// The index of the first package with each pkgid.
fn first_by_pkgid(file: &OldFile) -> HashMap<String, usize> {
    let mut found = HashMap::with_capacity(file.packages.len());
    for (i, package) in file.packages.iter().enumerate() {
        found.entry(package.pkgid.clone()).or_insert(i);
    }
    found
}

/// Whether member `i` of the three files holds the same packages in the
/// same order, for every `i`.
fn aligned(files: &[OldFile; 3]) -> bool {
    let count = files[0].members.len();
    if count == 0 || files.iter().any(|f| f.members.len() != count) {
        return false;
    }
    (0..count).all(|i| {
        fn ids(f: &OldFile, i: usize) -> Vec<&str> {
            f.packages[f.members[i].packages.clone()]
                .iter()
                .map(|p| p.pkgid.as_str())
                .collect()
        }
        let first = ids(&files[0], i);
        files[0].members[i].pure == files[1].members[i].pure
            && files[0].members[i].pure == files[2].members[i].pure
            && ids(&files[1], i) == first
            && ids(&files[2], i) == first
    })
}

/// The three old files, with the cache they came from when it was valid.
type Loaded = ([OldFile; 3], Option<cache::Source>);

fn load_files(
    base: &Path,
    repomd: &Repomd,
    records: &[RawRecord],
    cache_dir: Option<&Path>,
) -> Result<Loaded, String> {
    // The text sizes repomd.xml gives, to allocate once.
    let sizes: Vec<usize> = Kind::ALL
        .iter()
        .map(|kind| {
            records
                .iter()
                .find(|r| r.kind == kind.name())
                .and_then(|r| {
                    let start = r.raw.find("<open-size>")? + "<open-size>".len();
                    let end = start + r.raw[start..].find('<')?;
                    r.raw[start..end].trim().parse().ok()
                })
                .unwrap_or(0)
        })
        .collect();
    let paths: Vec<PathBuf> = Kind::ALL
        .iter()
        .map(|kind| {
            repomd
                .record(kind.name())
                .map(|record| base.join(&record.href))
                .ok_or_else(|| format!("repomd.xml has no {} record", kind.name()))
        })
        .collect::<Result<_, _>>()?;
    if let Some(found) = cache_dir.and_then(|dir| load_cached(dir, repomd, &paths)) {
        return Ok((found.0, Some(found.1)));
    }
    // primary on this thread, the (larger) other two beside it.
    let (primary, rest) = std::thread::scope(|scope| {
        let helper = scope.spawn(|| {
            [Kind::Filelists, Kind::Other]
                .map(|kind| load_file(&paths[kind.index()], kind, sizes[kind.index()]))
        });
        let primary = load_file(&paths[0], Kind::Primary, sizes[0]);
        let rest = helper.join().unwrap_or_else(|_| {
            [
                Err("cannot read filelists".to_string()),
                Err("cannot read other".to_string()),
            ]
        });
        (primary, rest)
    });
    let [filelists, other] = rest;
    Ok(([primary?, filelists?, other?], None))
}

/// The three files as the cache at `dir` describes them, when it is valid
/// for the files `repomd.xml` names (see [`cache`]).
fn load_cached(
    dir: &Path,
    repomd: &Repomd,
    paths: &[PathBuf],
) -> Option<([OldFile; 3], cache::Source)> {
    if !dir.join("index").is_file() {
        return None;
    }
    let mut gz = Vec::with_capacity(3);
    for (kind, path) in Kind::ALL.iter().zip(paths) {
        let (algorithm, checksum) = repomd.record(kind.name())?.checksum.clone()?;
        if algorithm != "sha256" {
            return None;
        }
        gz.push((std::fs::read(path).ok()?, checksum));
    }
    cache::load(dir, gz.try_into().ok()?)
}

fn load_file(path: &Path, kind: Kind, size_hint: usize) -> Result<OldFile, String> {
    let bytes = std::fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    parse_file(bytes, kind, size_hint).map_err(|e| format!("{}: {e}", path.display()))
}

/// Reads one old metadata file (gzip, zstd or plain XML) from its bytes.
/// `size_hint` is its text size as repomd.xml gives it (0 when unknown);
/// it only sizes the first allocation, never beyond what may be read.
pub fn parse_file(bytes: Vec<u8>, kind: Kind, size_hint: usize) -> Result<OldFile, String> {
    let mut members = Vec::new();
    let marked = gz::is_marked(&bytes);
    let plain = if bytes.starts_with(&[0x1f, 0x8b]) {
        // Without the size from repomd.xml: repodata XML compresses about
        // tenfold.
        let limit = crate::media::xml::decompressed_limit(bytes.len());
        // A text repomd.xml sizes beyond the limit would be refused once
        // read that far: refused now, before reserving (and, three files
        // at a time, filling) hundreds of megabytes for it.
        if size_hint as u64 > limit {
            return Err(format!(
                "repomd.xml gives its text as {size_hint} bytes, more than the {limit} kslint \
                 reads from {} compressed bytes: not read, it looks like a decompression bomb",
                bytes.len()
            ));
        }
        let capacity = match size_hint {
            0 => bytes.len().saturating_mul(10),
            size => size,
        };
        let capacity = capacity.min(usize::try_from(limit).unwrap_or(usize::MAX));
        let mut plain = Vec::with_capacity(capacity);
        let parts = gz::members(&bytes, &mut plain, limit)?;
        members = parts
            .into_iter()
            .map(|part| OldMember {
                compressed: part.compressed,
                text: part.plain,
                packages: 0..0,
                pure: false,
                cached: None,
                loaded: true,
            })
            .collect();
        plain
    } else {
        decompress(&bytes)?
    };
    let text = String::from_utf8(plain).map_err(|_| "not UTF-8".to_string())?;
    // A file of ours (every member checked against its CRC while
    // decompressing) holds only what we rendered or what this parser
    // accepted before copying it: finding the elements is enough.
    let packages = match marked.then(|| find_our_packages(&text, kind)).flatten() {
        Some(packages) => packages,
        None => scan_packages(&text, kind)?,
    };
    assign_members(&text, &packages, &mut members);
    Ok(OldFile {
        bytes,
        text: text.into_bytes(),
        packages,
        members,
        end: None,
        blob: None,
    })
}

/// Fills in which packages each member holds.
fn assign_members(text: &str, packages: &[OldPackage], members: &mut [OldMember]) {
    let mut next = 0;
    for member in members {
        let first = next;
        while next < packages.len() && packages[next].range.end <= member.text.end {
            next += 1;
        }
        member.packages = first..next;
        let whole = packages[first..next]
            .iter()
            .all(|p| p.range.start >= member.text.start);
        // Nothing but white space outside the packages.
        let mut at = member.text.start;
        let mut only_space = true;
        for package in &packages[first..next] {
            only_space &= text[at..package.range.start.max(at)].trim().is_empty();
            at = package.range.end;
        }
        only_space &= text[at.min(member.text.end)..member.text.end]
            .trim()
            .is_empty();
        member.pure = first < next && whole && only_space;
    }
}

fn attribute(start: &BytesStart, name: &[u8]) -> Option<String> {
    start
        .attributes()
        .flatten()
        .find(|a| a.key.local_name().as_ref() == name)
        .and_then(|a| {
            a.normalized_value(quick_xml::XmlVersion::Implicit1_0)
                .ok()
                .map(|v| v.into_owned())
        })
}

/// The `<package>` elements (children of the root) of a metadata file, by
/// parsing all of it. A plain search for the tags accepts broken elements
/// the parser refuses, which `--update` would then copy into the new
/// metadata; it is only used on files of ours ([`find_our_packages`]),
/// where it saves a third of an update's CPU time.
fn scan_packages(text: &str, kind: Kind) -> Result<Vec<OldPackage>, String> {
    // The parser lets control characters through; libxml2 (dnf, anaconda)
    // refuses the whole file for one, so an element holding one is never
    // copied into new metadata.
    if let Some(at) = first_control_character(text.as_bytes()) {
        let (line, column) = line_column(text, at);
        return Err(format!(
            "malformed XML at {line}:{column}: the control character {:#04x} is not allowed in XML",
            text.as_bytes()[at]
        ));
    }
    let mut reader = TextReader::new(text);
    let mut packages = Vec::new();
    let mut depth = 0usize;
    let mut current: Option<OldPackage> = None;
    let mut in_checksum = false;
    loop {
        let before = reader.position();
        let event = reader.read_event().map_err(|error| {
            let (line, column) = line_column(text, reader.error_position());
            format!("malformed XML at {line}:{column}: {error}")
        })?;
        match event {
            Event::Start(ref start) | Event::Empty(ref start) => {
                let empty = matches!(event, Event::Empty(_));
                let local = start.local_name();
                let name = local.as_ref();
                if depth == 1 && name == b"package" {
                    // An element without size or time is never reused.
                    let mut package = OldPackage {
                        range: before..before,
                        size: u64::MAX,
                        mtime: u64::MAX,
                        ..OldPackage::default()
                    };
                    if kind != Kind::Primary {
                        package.pkgid = attribute(start, b"pkgid").unwrap_or_default();
                    }
                    if empty {
                        package.range.end = reader.position();
                        packages.push(package);
                    } else {
                        current = Some(package);
                    }
                } else if depth == 2 && kind == Kind::Primary {
                    if let Some(package) = current.as_mut() {
                        match name {
                            b"location" => {
                                package.location = attribute(start, b"href").unwrap_or_default()
                            }
                            b"size" => {
                                package.size = attribute(start, b"package")
                                    .and_then(|v| v.parse().ok())
                                    .unwrap_or(u64::MAX)
                            }
                            b"time" => {
                                package.mtime = attribute(start, b"file")
                                    .and_then(|v| v.parse().ok())
                                    .unwrap_or(u64::MAX)
                            }
                            b"checksum" => {
                                package.checksum_type =
                                    attribute(start, b"type").unwrap_or_default();
                                in_checksum = !empty;
                            }
                            _ => {}
                        }
                    }
                }
                if !empty {
                    depth += 1;
                }
            }
            Event::Text(piece) if in_checksum => {
                if let Some(package) = current.as_mut() {
                    let decoded = piece.decode().unwrap_or_default();
                    package.pkgid.push_str(decoded.trim());
                }
            }
            Event::End(_) => {
                depth = depth.saturating_sub(1);
                in_checksum = false;
                if depth == 1 {
                    if let Some(mut package) = current.take() {
                        package.range.end = reader.position();
                        packages.push(package);
                    }
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    Ok(packages)
}

/// The `<package>` elements of a metadata file we wrote, as
/// [`scan_packages`] finds them, found by their tags as `render` writes
/// them (element text and attribute values there escape every `<`, and no
/// element holds another `<package>`). `None` when the text is not laid
/// out that way.
fn find_our_packages(text: &str, kind: Kind) -> Option<Vec<OldPackage>> {
    // Not `<packager>`.
    const START: &str = "<package ";
    const END: &str = "</package>";
    let mut packages = Vec::new();
    let mut at = 0;
    while let Some(found) = text[at..].find(START) {
        let start = at + found;
        let end = start + text[start..].find(END)? + END.len();
        let element = &text[start..end];
        let mut package = OldPackage {
            range: start..end,
            size: u64::MAX,
            mtime: u64::MAX,
            ..OldPackage::default()
        };
        if kind == Kind::Primary {
            let checksum = after(element, "<checksum type=\"")?;
            package.checksum_type = checksum[..checksum.find('"')?].to_string();
            let id = &checksum[checksum.find('>')? + 1..];
            package.pkgid = id[..id.find('<')?].trim().to_string();
            package.location = attribute_value(element, "<location href=\"")?;
            package.size = attribute_value(element, "<size package=\"")?.parse().ok()?;
            package.mtime = attribute_value(element, "<time file=\"")?.parse().ok()?;
        } else {
            package.pkgid = attribute_value(element, "<package pkgid=\"")?;
        }
        packages.push(package);
        at = end;
    }
    Some(packages)
}

/// The text after the first `prefix` in `element`.
fn after<'a>(element: &'a str, prefix: &str) -> Option<&'a str> {
    Some(&element[element.find(prefix)? + prefix.len()..])
}

/// The unescaped value of the attribute whose opening `prefix` ends in `="`.
fn attribute_value(element: &str, prefix: &str) -> Option<String> {
    let rest = after(element, prefix)?;
    let raw = &rest[..rest.find('"')?];
    quick_xml::escape::unescape(raw)
        .ok()
        .map(|v| v.into_owned())
}

/// Where the first control character that XML does not allow is.
fn first_control_character(bytes: &[u8]) -> Option<usize> {
    let forbidden = |b: u8| b < 0x20 && !matches!(b, b'\t' | b'\n' | b'\r');
    // Whole chunks are tested without an early exit, which the compiler
    // turns into vector code: several times faster than `position` on the
    // megabytes of an old metadata file, where there is usually none.
    const CHUNK: usize = 64;
    let chunk = bytes
        .chunks(CHUNK)
        .position(|chunk| chunk.iter().fold(false, |any, &b| any | forbidden(b)))?;
    let start = chunk * CHUNK;
    bytes[start..]
        .iter()
        .position(|&b| forbidden(b))
        .map(|at| start + at)
}

/// The children of the root of `repomd.xml`, as written.
fn raw_records(text: &str) -> Result<Vec<RawRecord>, String> {
    let mut reader = TextReader::new(text);
    let mut records = Vec::new();
    let mut depth = 0usize;
    let mut current: Option<(RawRecord, usize)> = None;
    loop {
        let before = reader.position();
        let event = reader.read_event().map_err(|error| error.to_string())?;
        match event {
            Event::Start(ref start) | Event::Empty(ref start) => {
                let empty = matches!(event, Event::Empty(_));
                let name = String::from_utf8_lossy(start.local_name().as_ref()).into_owned();
                if depth == 1 {
                    let record = RawRecord {
                        element: name.clone(),
                        kind: attribute(start, b"type").unwrap_or_default(),
                        href: None,
                        raw: String::new(),
                    };
                    if empty {
                        let end = reader.position();
                        records.push(RawRecord {
                            raw: text[before..end].to_string(),
                            ..record
                        });
                    } else {
                        current = Some((record, before));
                    }
                } else if depth == 2 && name == "location" {
                    if let Some((record, _)) = current.as_mut() {
                        record.href = attribute(start, b"href");
                    }
                }
                if !empty {
                    depth += 1;
                }
            }
            Event::End(_) => {
                depth = depth.saturating_sub(1);
                if depth == 1 {
                    if let Some((mut record, start)) = current.take() {
                        record.raw = text[start..reader.position()].to_string();
                        records.push(record);
                    }
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    Ok(records)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_packages_and_records() {
        let primary = "<?xml version=\"1.0\"?>\n<metadata packages=\"2\">\n<package type=\"rpm\">\n  <name>a</name>\n  <checksum type=\"sha256\" pkgid=\"YES\">ab</checksum>\n  <time file=\"5\" build=\"1\"/>\n  <size package=\"7\" installed=\"1\" archive=\"1\"/>\n  <location href=\"Packages/a&amp;b.rpm\"/>\n  <format><rpm:entry name=\"x\"/></format>\n</package>\n<package type=\"rpm\"><name>b</name></package>\n</metadata>\n";
        let packages = scan_packages(primary, Kind::Primary).unwrap();
        assert_eq!(packages.len(), 2);
        assert_eq!(packages[0].location, "Packages/a&b.rpm");
        assert_eq!((packages[0].size, packages[0].mtime), (7, 5));
        assert_eq!(packages[0].pkgid, "ab");
        assert_eq!(packages[0].checksum_type, "sha256");
        assert!(primary[packages[0].range.clone()].starts_with("<package type"));
        assert!(primary[packages[0].range.clone()].ends_with("</package>"));
        assert_eq!(
            &primary[packages[1].range.clone()],
            "<package type=\"rpm\"><name>b</name></package>"
        );

        assert_eq!(packages[1].size, u64::MAX);

        let repomd = "<repomd xmlns=\"x\">\n  <revision>1</revision>\n  <data type=\"modules\">\n    <location href=\"repodata/m.yaml.gz\"/>\n  </data>\n</repomd>";
        let records = raw_records(repomd).unwrap();
        assert_eq!(records.len(), 2);
        assert_eq!(records[1].kind, "modules");
        assert_eq!(records[1].href.as_deref(), Some("repodata/m.yaml.gz"));
        assert!(records[1].raw.starts_with("<data") && records[1].raw.ends_with("</data>"));
    }

    #[test]
    fn our_metadata_reads_back_one_whole_element_per_package() {
        use crate::repo::header::{Changelog, FileEntry, FileKind, PackageRecord};
        let records: Vec<PackageRecord> = (0..3)
            .map(|i| PackageRecord {
                name: format!("p{i}"),
                arch: "x86_64".into(),
                epoch: "0".into(),
                version: "1".into(),
                release: "1".into(),
                pkgid: format!("{i:064x}"),
                description: "a <b> & c".into(),
                location: format!("Packages/p{i} & q.rpm"),
                size_package: 100 + i,
                time_file: 5000 + i,
                files: vec![FileEntry {
                    path: "/usr/bin/p".into(),
                    kind: FileKind::File,
                }],
                changelogs: vec![Changelog {
                    author: "A <a@b>".into(),
                    date: 1,
                    text: "- </package> is text here".into(),
                }],
                ..PackageRecord::default()
            })
            .collect();
        for kind in Kind::ALL {
            let mut text = kind.head(records.len());
            for record in &records {
                kind.render(record, &mut text);
            }
            text.push_str(kind.tail());
            let packages = scan_packages(&text, kind).unwrap();
            assert_eq!(find_our_packages(&text, kind).as_ref(), Some(&packages));
            assert_eq!(packages.len(), 3, "{kind:?}");
            for (package, record) in packages.iter().zip(&records) {
                let element = &text[package.range.clone()];
                assert!(element.starts_with("<package"), "{kind:?}: {element}");
                assert!(element.ends_with("</package>"), "{kind:?}: {element}");
                assert_eq!(package.pkgid, record.pkgid, "{kind:?}");
                if kind == Kind::Primary {
                    assert_eq!(package.location, record.location);
                    assert_eq!(
                        (package.size, package.mtime),
                        (record.size_package, record.time_file)
                    );
                }
            }
        }
    }

    #[test]
    fn control_characters_are_found_in_any_chunk() {
        assert_eq!(first_control_character(b""), None);
        let mut text = b"<a>\t\r\n".repeat(40);
        assert_eq!(first_control_character(&text), None);
        for at in [0, 63, 64, 65, 200, text.len() - 1] {
            let saved = text[at];
            text[at] = 0x1f;
            assert_eq!(first_control_character(&text), Some(at), "{at}");
            text[at] = saved;
        }
    }

    #[test]
    fn a_text_size_beyond_the_limit_is_refused_before_reading() {
        use std::io::Write;
        let text = "<metadata packages=\"0\">\n</metadata>\n";
        let mut gzip = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        gzip.write_all(text.as_bytes()).unwrap();
        let bytes = gzip.finish().unwrap();
        let limit = crate::media::xml::decompressed_limit(bytes.len());
        let claimed = usize::try_from(limit + 1).unwrap();
        let error = parse_file(bytes.clone(), Kind::Primary, claimed).unwrap_err();
        assert!(error.contains("decompression bomb"), "{error}");
        // The true size, or one at the limit, is read.
        assert!(parse_file(bytes.clone(), Kind::Primary, text.len()).is_ok());
        assert!(parse_file(bytes, Kind::Primary, claimed - 1).is_ok());
    }

    #[test]
    fn broken_old_metadata_is_refused_at_its_line_and_column() {
        // A mistyped end tag inside the first package; a file that a plain
        // search for `<package` and `</package>` would take as two packages.
        let filelists = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<filelists packages=\"2\">\n<package pkgid=\"1\" name=\"a\" arch=\"x86_64\">\n  <file>/usr/bin/a</fiel>\n</package>\n<package pkgid=\"2\" name=\"b\" arch=\"x86_64\"><file>/b</file></package>\n</filelists>\n";
        let error = parse_file(filelists.as_bytes().to_vec(), Kind::Filelists, 0).unwrap_err();
        assert!(error.starts_with("malformed XML at 4:"), "{error}");
        // NUL bytes are not XML characters either.
        let other = "<otherdata packages=\"1\">\n<package pkgid=\"1\0\0\" name=\"a\" arch=\"x86_64\"/>\n</otherdata>\n";
        let error = parse_file(other.as_bytes().to_vec(), Kind::Other, 0).unwrap_err();
        assert!(
            error.starts_with("malformed XML at 2:18: the control character 0x00"),
            "{error}"
        );
    }

    #[test]
    fn a_byte_order_mark_does_not_shift_ranges_or_error_positions() {
        // Found by the repodata fuzz target: quick-xml counts positions from
        // after a leading BOM, so every range was three bytes early.
        let other = "\u{feff}<?xml version=\"1.0\"?>\n<otherdata packages=\"1\">\n<package pkgid=\"1\" name=\"a\" arch=\"x86_64\"><version epoch=\"0\" ver=\"1\" rel=\"1\"/></package>\n</otherdata>\n";
        let file = parse_file(other.as_bytes().to_vec(), Kind::Other, 0).unwrap();
        assert_eq!(file.packages.len(), 1);
        let element = std::str::from_utf8(&file.text[file.packages[0].range.clone()]).unwrap();
        assert!(element.starts_with("<package pkgid"), "{element}");
        assert!(element.ends_with("</package>"), "{element}");

        let broken = "\u{feff}<otherdata>\n  <package></pakage>\n</otherdata>\n";
        let error = parse_file(broken.as_bytes().to_vec(), Kind::Other, 0).unwrap_err();
        assert!(error.starts_with("malformed XML at 2:"), "{error}");

        let repomd = "\u{feff}<repomd xmlns=\"x\"><data type=\"other\"><location href=\"o.xml.gz\"/></data></repomd>";
        let records = raw_records(repomd).unwrap();
        assert!(records[0].raw.starts_with("<data") && records[0].raw.ends_with("</data>"));
    }
}
