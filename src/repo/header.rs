//! One RPM file as the repodata describes it: everything `primary.xml`,
//! `filelists.xml` and `other.xml` say about a package, read from the lead,
//! the signature header and the main header with the `rpm` crate, with the
//! whole file hashed for the package id on the way.
//!
//! The selection rules are those of createrepo_c (0.17, the version Debian
//! and RHEL 8/9 ship), so that our output says the same thing about the same
//! file:
//! * `requires` leave out `rpmlib(…)`, files of the package itself that
//!   primary lists, anything the package provides with the same flags and
//!   version, exact repeats, and all `libc.so.6(…)` requirements but the
//!   highest; `pre="1"` marks `Requires(pre)`, `(post)` and legacy PreReq;
//! * old-style weak dependencies (a `requires` with `RPMSENSE_MISSINGOK`,
//!   the 1156/1159 tags) are filed as recommends/suggests/supplements/
//!   enhances;
//! * a dependency whose version has a non-numeric epoch is left out;
//! * the newest `changelog_limit` changelog entries, oldest first, with
//!   entries that share a timestamp spread one second apart;
//! * strings with control characters other than tab, newline and carriage
//!   return make the package unusable (createrepo_c refuses it as well).

use std::cell::RefCell;
use std::collections::{HashMap, HashSet};
use std::fs::File;
use std::io::{Read, Seek};
use std::path::Path;
use std::time::UNIX_EPOCH;

use rpm::{IndexSignatureTag, IndexTag};
use sha2::{Digest, Sha256};

use crate::media::index::rpmvercmp;

const LEAD_SIZE: usize = 96;
const LEAD_MAGIC: [u8; 4] = [0xed, 0xab, 0xee, 0xdb];
const HEADER_MAGIC: [u8; 3] = [0x8e, 0xad, 0xe8];
/// rpm itself refuses headers above 256 MiB.
const MAX_HEADER_BYTES: u64 = 256 << 20;

const SENSE_PREREQ: u32 = 1 << 6;
const SENSE_SCRIPT_PRE: u32 = 1 << 9;
const SENSE_SCRIPT_POST: u32 = 1 << 10;
const SENSE_MISSINGOK: u32 = 1 << 19;
const SENSE_STRONG: u32 = 1 << 27;
const FILE_GHOST: u32 = 1 << 6;
const MODE_TYPE_MASK: u16 = 0o170000;
const MODE_DIR: u16 = 0o040000;

/// One dependency entry as primary.xml writes it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DepEntry {
    pub name: String,
    /// `EQ`, `LT`, `GT`, `LE`, `GE`, or none for an unversioned entry.
    pub flags: Option<&'static str>,
    pub epoch: Option<String>,
    pub ver: Option<String>,
    pub rel: Option<String>,
    /// `Requires(pre)` and friends (requires only).
    pub pre: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FileKind {
    File,
    Dir,
    Ghost,
}

impl FileKind {
    /// The `type` attribute of `<file>`, none for plain files.
    pub fn attr(self) -> Option<&'static str> {
        match self {
            FileKind::File => None,
            FileKind::Dir => Some("dir"),
            FileKind::Ghost => Some("ghost"),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileEntry {
    pub path: String,
    pub kind: FileKind,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Changelog {
    pub author: String,
    pub date: u64,
    pub text: String,
}

/// The eight dependency lists, in the order primary.xml writes them.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Deps {
    pub provides: Vec<DepEntry>,
    pub requires: Vec<DepEntry>,
    pub conflicts: Vec<DepEntry>,
    pub obsoletes: Vec<DepEntry>,
    pub suggests: Vec<DepEntry>,
    pub enhances: Vec<DepEntry>,
    pub recommends: Vec<DepEntry>,
    pub supplements: Vec<DepEntry>,
}

impl Deps {
    /// (element name, entries) in primary.xml order.
    pub fn lists(&self) -> [(&'static str, &[DepEntry]); 8] {
        [
            ("provides", &self.provides),
            ("requires", &self.requires),
            ("conflicts", &self.conflicts),
            ("obsoletes", &self.obsoletes),
            ("suggests", &self.suggests),
            ("enhances", &self.enhances),
            ("recommends", &self.recommends),
            ("supplements", &self.supplements),
        ]
    }
}

/// Everything the repodata says about one RPM file.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PackageRecord {
    pub name: String,
    pub arch: String,
    pub epoch: String,
    pub version: String,
    pub release: String,
    /// Lowercase hex SHA-256 of the whole file.
    pub pkgid: String,
    pub summary: String,
    pub description: String,
    pub packager: String,
    pub url: String,
    /// Modification time of the file and build time of the package
    /// (seconds since the epoch).
    pub time_file: u64,
    pub time_build: u64,
    pub size_package: u64,
    pub size_installed: u64,
    pub size_archive: u64,
    /// Relative to the repository base, `/`-separated.
    pub location: String,
    pub license: String,
    pub vendor: String,
    pub group: String,
    pub buildhost: String,
    pub sourcerpm: String,
    /// Byte range of the main header in the file.
    pub header_start: u64,
    pub header_end: u64,
    pub deps: Deps,
    pub files: Vec<FileEntry>,
    pub changelogs: Vec<Changelog>,
}

impl PackageRecord {
    pub fn nevra(&self) -> String {
        let epoch = if self.epoch == "0" || self.epoch.is_empty() {
            String::new()
        } else {
            format!("{}:", self.epoch)
        };
        format!(
            "{}-{epoch}{}-{}.{}",
            self.name, self.version, self.release, self.arch
        )
    }
}

/// Whether primary.xml lists this file (createrepo's rule, kept for yum:
/// anything under `/etc/`, anything with `bin/` in its path, and
/// `/usr/lib/sendmail`).
pub fn is_primary_file(path: &str) -> bool {
    path.starts_with("/etc/") || path == "/usr/lib/sendmail" || path.contains("bin/")
}

thread_local! {
    static BUFFER: RefCell<Vec<u8>> = RefCell::new(vec![0; 256 << 10]);
}

/// Reads and hashes the RPM at `path`. Errors are one line, without the
/// path (the caller names the file).
pub fn read_rpm(
    path: &Path,
    location: &str,
    changelog_limit: Option<usize>,
) -> Result<PackageRecord, String> {
    let mut file = File::open(path).map_err(|error| format!("cannot open: {error}"))?;
    let metadata = file
        .metadata()
        .map_err(|error| format!("cannot stat: {error}"))?;
    let size = metadata.len();
    let mtime = metadata
        .modified()
        .ok()
        .and_then(|time| time.duration_since(UNIX_EPOCH).ok())
        .map_or(0, |d| d.as_secs());
    let mut hasher = Sha256::new();
    let head = read_head(&mut file, size, &mut hasher)?;
    BUFFER.with(|buffer| -> Result<(), String> {
        let mut buffer = buffer.borrow_mut();
        loop {
            match file.read(&mut buffer[..]) {
                Ok(0) => return Ok(()),
                Ok(n) => hasher.update(&buffer[..n]),
                Err(error) if error.kind() == std::io::ErrorKind::Interrupted => {}
                Err(error) => return Err(format!("cannot read: {error}")),
            }
        }
    })?;
    // The file must not have grown or shrunk under us.
    let end = file.stream_position().unwrap_or(size);
    if end != size {
        return Err("the file changed while it was read".to_string());
    }
    let parsed = std::panic::catch_unwind(|| {
        rpm::PackageMetadata::parse(&mut std::io::Cursor::new(&head.bytes[..]))
    });
    let metadata = match parsed {
        Ok(Ok(metadata)) => metadata,
        Ok(Err(error)) => return Err(format!("cannot parse the RPM header: {error}")),
        Err(_) => return Err("cannot parse the RPM header: malformed header".to_string()),
    };
    let digest = hasher.finalize();
    // The rpm crate's getters panic on some malformed entries too (found
    // by fuzzing: an i18n string entry with a count of 0).
    let described = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        describe(&metadata, changelog_limit)
    }));
    let Ok(mut record) = described else {
        return Err("cannot read the RPM header: malformed header".to_string());
    };
    record.pkgid = hex(&digest);
    record.location = location.to_string();
    record.size_package = size;
    record.time_file = mtime;
    record.header_start = head.header_start;
    record.header_end = head.header_end;
    if let Some(field) = forbidden_control_chars(&record) {
        return Err(format!(
            "{} has a control character in its {field}, which XML cannot carry (createrepo_c refuses this package too)",
            record.nevra()
        ));
    }
    Ok(record)
}

pub fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for &b in bytes {
        out.push(DIGITS[(b >> 4) as usize] as char);
        out.push(DIGITS[(b & 15) as usize] as char);
    }
    out
}

struct Head {
    /// Lead, signature header with its padding, and main header.
    bytes: Vec<u8>,
    header_start: u64,
    header_end: u64,
}

/// Reads the lead and both headers, checking every size against the file
/// first so that a corrupt file is an error, not a huge allocation.
fn read_head(file: &mut File, file_size: u64, hasher: &mut Sha256) -> Result<Head, String> {
    let mut bytes = vec![0u8; LEAD_SIZE];
    let mut got = 0;
    while got < LEAD_SIZE {
        match file.read(&mut bytes[got..]) {
            Ok(0) => break,
            Ok(n) => got += n,
            Err(error) if error.kind() == std::io::ErrorKind::Interrupted => {}
            Err(error) => return Err(format!("cannot read: {error}")),
        }
    }
    if got < 4 || bytes[..4] != LEAD_MAGIC {
        return Err("not an RPM file (bad lead magic)".to_string());
    }
    if got < LEAD_SIZE {
        return Err("truncated in the lead".to_string());
    }
    let store = structure(file, &mut bytes, file_size, "signature header")?;
    let padding = (8 - store % 8) % 8;
    let at = bytes.len();
    bytes.resize(at + padding as usize, 0);
    fill(file, &mut bytes[at..], "signature padding")?;
    let header_start = bytes.len() as u64;
    structure(file, &mut bytes, file_size, "header")?;
    let header_end = bytes.len() as u64;
    hasher.update(&bytes);
    Ok(Head {
        bytes,
        header_start,
        header_end,
    })
}

/// Appends one header structure (intro, index, store); returns the store
/// size.
fn structure(
    file: &mut File,
    bytes: &mut Vec<u8>,
    file_size: u64,
    what: &str,
) -> Result<u64, String> {
    let start = bytes.len();
    bytes.resize(start + 16, 0);
    fill(file, &mut bytes[start..], what)?;
    let intro = &bytes[start..start + 16];
    if intro[..3] != HEADER_MAGIC {
        return Err(format!("bad {what} magic at byte {start}"));
    }
    let word = |i: usize| u32::from_be_bytes([intro[i], intro[i + 1], intro[i + 2], intro[i + 3]]);
    let entries = u64::from(word(8));
    let store = u64::from(word(12));
    let body = entries * 16 + store;
    if body > MAX_HEADER_BYTES {
        return Err(format!("the {what} claims an impossible size"));
    }
    let needed = start as u64 + 16 + body;
    if needed > file_size {
        return Err(format!(
            "truncated: the {what} needs {needed} bytes, the file has {file_size}"
        ));
    }
    let at = bytes.len();
    bytes.resize(at + body as usize, 0);
    fill(file, &mut bytes[at..], what)?;
    crate::media::rpmhdr::check_index(&bytes[at..at + entries as usize * 16], store, what)?;
    Ok(store)
}

fn fill(file: &mut File, buffer: &mut [u8], what: &str) -> Result<(), String> {
    file.read_exact(buffer).map_err(|error| {
        if error.kind() == std::io::ErrorKind::UnexpectedEof {
            format!("truncated in the {what}")
        } else {
            format!("cannot read: {error}")
        }
    })
}

/// The package description minus what comes from the file itself (id,
/// location, size, time, header range).
fn describe(metadata: &rpm::PackageMetadata, changelog_limit: Option<usize>) -> PackageRecord {
    let header = &metadata.header;
    let string = |tag: IndexTag| {
        header
            .get_entry_data_as_string(tag)
            .or_else(|_| header.get_entry_data_as_i18n_string(tag))
            .unwrap_or_default()
            .to_string()
    };
    let number = |tag: IndexTag| -> Option<u64> {
        header
            .get_entry_data_as_u64(tag)
            .ok()
            .or_else(|| header.get_entry_data_as_u32(tag).ok().map(u64::from))
    };
    let signature_number = |tag: IndexSignatureTag| -> Option<u64> {
        metadata
            .signature
            .get_entry_data_as_u64(tag)
            .ok()
            .or_else(|| {
                metadata
                    .signature
                    .get_entry_data_as_u32(tag)
                    .ok()
                    .map(u64::from)
            })
    };
    let arch = if header.entry_is_present(IndexTag::RPMTAG_SOURCEPACKAGE) {
        "src".to_string()
    } else {
        string(IndexTag::RPMTAG_ARCH)
    };
    let files = file_list(header);
    let deps = dependencies(header, &files);
    let changelogs = changelogs(header, changelog_limit);
    PackageRecord {
        name: string(IndexTag::RPMTAG_NAME),
        arch,
        epoch: number(IndexTag::RPMTAG_EPOCH).unwrap_or(0).to_string(),
        version: string(IndexTag::RPMTAG_VERSION),
        release: string(IndexTag::RPMTAG_RELEASE),
        summary: string(IndexTag::RPMTAG_SUMMARY),
        description: string(IndexTag::RPMTAG_DESCRIPTION),
        packager: string(IndexTag::RPMTAG_PACKAGER),
        url: string(IndexTag::RPMTAG_URL),
        time_build: number(IndexTag::RPMTAG_BUILDTIME).unwrap_or(0),
        size_installed: number(IndexTag::RPMTAG_LONGSIZE)
            .or_else(|| number(IndexTag::RPMTAG_SIZE))
            .unwrap_or(0),
        // rpm merges the signature's payload size into the header as the
        // archive size when the header has none.
        size_archive: number(IndexTag::RPMTAG_LONGARCHIVESIZE)
            .or_else(|| number(IndexTag::RPMTAG_ARCHIVESIZE))
            .or_else(|| signature_number(IndexSignatureTag::RPMSIGTAG_LONGARCHIVESIZE))
            .or_else(|| signature_number(IndexSignatureTag::RPMSIGTAG_PAYLOADSIZE))
            .unwrap_or(0),
        license: string(IndexTag::RPMTAG_LICENSE),
        vendor: string(IndexTag::RPMTAG_VENDOR),
        group: string(IndexTag::RPMTAG_GROUP),
        buildhost: string(IndexTag::RPMTAG_BUILDHOST),
        sourcerpm: string(IndexTag::RPMTAG_SOURCERPM),
        deps,
        files,
        changelogs,
        ..PackageRecord::default()
    }
}

type Header = rpm::Header<IndexTag>;

fn strings(header: &Header, tag: IndexTag) -> Option<&[String]> {
    header.get_entry_data_as_string_array(tag).ok()
}

fn numbers(header: &Header, tag: IndexTag) -> Option<Vec<u32>> {
    header.get_entry_data_as_u32_array(tag).ok()
}

/// Every file with its kind; none when a tag createrepo needs is missing.
fn file_list(header: &Header) -> Vec<FileEntry> {
    let flags = numbers(header, IndexTag::RPMTAG_FILEFLAGS);
    let modes = header
        .get_entry_data_as_u16_array(IndexTag::RPMTAG_FILEMODES)
        .ok();
    let (Some(flags), Some(modes)) = (flags, modes) else {
        return Vec::new();
    };
    let paths: Vec<String> = match (
        strings(header, IndexTag::RPMTAG_BASENAMES),
        numbers(header, IndexTag::RPMTAG_DIRINDEXES),
    ) {
        (Some(basenames), Some(indexes)) => {
            let dirs = strings(header, IndexTag::RPMTAG_DIRNAMES).unwrap_or(&[]);
            basenames
                .iter()
                .zip(indexes)
                .map(|(base, index)| {
                    let dir = dirs.get(index as usize).map_or("", String::as_str);
                    format!("{dir}{base}")
                })
                .collect()
        }
        // Packages from before rpm 4 list whole paths.
        _ => match strings(header, IndexTag::RPMTAG_OLDFILENAMES) {
            Some(paths) => paths.to_vec(),
            None => return Vec::new(),
        },
    };
    paths
        .into_iter()
        .zip(flags)
        .zip(modes)
        .map(|((path, flags), mode)| {
            let kind = if mode & MODE_TYPE_MASK == MODE_DIR {
                FileKind::Dir
            } else if flags & FILE_GHOST != 0 {
                FileKind::Ghost
            } else {
                FileKind::File
            };
            FileEntry { path, kind }
        })
        .collect()
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum DepKind {
    Provides,
    Conflicts,
    Obsoletes,
    Requires,
    Suggests,
    Enhances,
    Recommends,
    Supplements,
    OldSuggests,
    OldEnhances,
}

/// The tags of each kind, in the order createrepo reads them (provides
/// first: requires are checked against them).
const DEP_TAGS: [(DepKind, IndexTag, IndexTag, IndexTag); 10] = [
    (
        DepKind::Provides,
        IndexTag::RPMTAG_PROVIDENAME,
        IndexTag::RPMTAG_PROVIDEFLAGS,
        IndexTag::RPMTAG_PROVIDEVERSION,
    ),
    (
        DepKind::Conflicts,
        IndexTag::RPMTAG_CONFLICTNAME,
        IndexTag::RPMTAG_CONFLICTFLAGS,
        IndexTag::RPMTAG_CONFLICTVERSION,
    ),
    (
        DepKind::Obsoletes,
        IndexTag::RPMTAG_OBSOLETENAME,
        IndexTag::RPMTAG_OBSOLETEFLAGS,
        IndexTag::RPMTAG_OBSOLETEVERSION,
    ),
    (
        DepKind::Requires,
        IndexTag::RPMTAG_REQUIRENAME,
        IndexTag::RPMTAG_REQUIREFLAGS,
        IndexTag::RPMTAG_REQUIREVERSION,
    ),
    (
        DepKind::Suggests,
        IndexTag::RPMTAG_SUGGESTNAME,
        IndexTag::RPMTAG_SUGGESTFLAGS,
        IndexTag::RPMTAG_SUGGESTVERSION,
    ),
    (
        DepKind::Enhances,
        IndexTag::RPMTAG_ENHANCENAME,
        IndexTag::RPMTAG_ENHANCEFLAGS,
        IndexTag::RPMTAG_ENHANCEVERSION,
    ),
    (
        DepKind::Recommends,
        IndexTag::RPMTAG_RECOMMENDNAME,
        IndexTag::RPMTAG_RECOMMENDFLAGS,
        IndexTag::RPMTAG_RECOMMENDVERSION,
    ),
    (
        DepKind::Supplements,
        IndexTag::RPMTAG_SUPPLEMENTNAME,
        IndexTag::RPMTAG_SUPPLEMENTFLAGS,
        IndexTag::RPMTAG_SUPPLEMENTVERSION,
    ),
    (
        DepKind::OldSuggests,
        IndexTag::RPMTAG_OLDSUGGESTSNAME,
        IndexTag::RPMTAG_OLDSUGGESTSFLAGS,
        IndexTag::RPMTAG_OLDSUGGESTSVERSION,
    ),
    (
        DepKind::OldEnhances,
        IndexTag::RPMTAG_OLDENHANCESNAME,
        IndexTag::RPMTAG_OLDENHANCESFLAGS,
        IndexTag::RPMTAG_OLDENHANCESVERSION,
    ),
];

pub fn flag_name(flags: u32) -> Option<&'static str> {
    match flags & 0xf {
        2 => Some("LT"),
        4 => Some("GT"),
        8 => Some("EQ"),
        10 => Some("LE"),
        12 => Some("GE"),
        _ => None,
    }
}

/// `[epoch:]version[-release]` as createrepo splits it: no epoch means
/// `0`; `None` when the epoch is not a number.
#[allow(clippy::type_complexity)]
pub fn split_evr(text: &str) -> Option<(Option<String>, Option<String>, Option<String>)> {
    if text.is_empty() {
        return Some((None, None, None));
    }
    let (epoch, rest) = match text.find(':') {
        Some(colon) => {
            let head = &text[..colon];
            if !strtol_spans(head) {
                return None;
            }
            let epoch = if head.is_empty() { "0" } else { head };
            (epoch.to_string(), &text[colon + 1..])
        }
        None => ("0".to_string(), text),
    };
    let (version, release) = match rest.find('-') {
        Some(dash) => (
            rest[..dash].to_string(),
            Some(rest[dash + 1..].to_string()).filter(|r| !r.is_empty()),
        ),
        None => (rest.to_string(), None),
    };
    Some((Some(epoch), Some(version), release))
}

/// Whether C's `strtol` reads all of `text` as one decimal number (or
/// `text` is empty): leading white space, an optional sign, digits.
fn strtol_spans(text: &str) -> bool {
    if text.is_empty() {
        return true;
    }
    let rest = text.trim_start_matches([' ', '\t', '\n', '\x0b', '\x0c', '\r']);
    let rest = rest.strip_prefix(['+', '-']).unwrap_or(rest);
    !rest.is_empty() && rest.bytes().all(|b| b.is_ascii_digit())
}

/// createrepo's ordering of `libc.so.6(GLIBC_x.y)` requirements: which of
/// two is higher (1: the first, 2: the second, 0: equal, -1: unparsable).
fn compare_libc(one: &str, two: &str) -> i32 {
    let (open1, open2) = match (one.find('('), two.find('(')) {
        (None, None) => return 0,
        (None, _) => return 2,
        (_, None) => return 1,
        (Some(x), Some(y)) => (x, y),
    };
    let (a, b) = (&one.as_bytes()[open1..], &two.as_bytes()[open2..]);
    let (close1, close2) = (
        a.iter().position(|&c| c == b')'),
        b.iter().position(|&c| c == b')'),
    );
    let (close1, close2) = match (close1, close2) {
        (None, None) => return -1,
        (None, _) => return 2,
        (_, None) => return 1,
        (Some(x), Some(y)) => (x, y),
    };
    // Contents between the parentheses.
    let (mut start1, mut start2) = (1usize, 1usize);
    match (start1 == close1, start2 == close2) {
        (true, true) => return 0,
        (true, false) => return 2,
        (false, true) => return 1,
        _ => {}
    }
    while start1 < a.len() && !a[start1].is_ascii_digit() {
        start1 += 1;
    }
    while start2 < b.len() && !b[start2].is_ascii_digit() {
        start2 += 1;
    }
    match (start1 > close1, start2 > close2) {
        (true, true) => return 0,
        (true, false) => return 2,
        (false, true) => return 1,
        _ => {}
    }
    let v1 = String::from_utf8_lossy(&a[start1..close1]);
    let v2 = String::from_utf8_lossy(&b[start2..close2]);
    match rpmvercmp(&v1, &v2) {
        std::cmp::Ordering::Less => 2,
        std::cmp::Ordering::Equal => 0,
        std::cmp::Ordering::Greater => 1,
    }
}

fn dependencies(header: &Header, files: &[FileEntry]) -> Deps {
    let file_names: HashSet<&str> = files.iter().map(|f| f.path.as_str()).collect();
    let mut provided: HashSet<String> = HashSet::new();
    // Requires already taken, by name: (flags, version, pre) of the last.
    let mut taken: HashMap<String, (Option<&'static str>, String, bool)> = HashMap::new();
    let mut deps = Deps::default();
    for (kind, name_tag, flags_tag, version_tag) in DEP_TAGS {
        let (Some(names), Some(flags), Some(versions)) = (
            strings(header, name_tag),
            numbers(header, flags_tag),
            strings(header, version_tag),
        ) else {
            continue;
        };
        let mut libc_highest: Option<DepEntry> = None;
        for ((name, raw_flags), version) in names.iter().zip(flags).zip(versions) {
            let flag = flag_name(raw_flags);
            let key = format!("{name}{}{version}", flag.unwrap_or(""));
            let mut pre = false;
            if kind == DepKind::Requires {
                if name.starts_with("rpmlib(") {
                    continue;
                }
                if name.starts_with('/')
                    && file_names.contains(name.as_str())
                    && is_primary_file(name)
                {
                    continue;
                }
                if provided.contains(&key) {
                    continue;
                }
                pre = raw_flags & (SENSE_PREREQ | SENSE_SCRIPT_PRE | SENSE_SCRIPT_POST) != 0;
                if let Some((f, v, p)) = taken.get(name) {
                    if *f == flag && v == version && *p == pre {
                        continue;
                    }
                }
            }
            let Some((epoch, ver, rel)) = split_evr(version) else {
                continue;
            };
            let entry = DepEntry {
                name: name.clone(),
                flags: flag,
                epoch,
                ver,
                rel,
                pre: false,
            };
            match kind {
                DepKind::Provides => {
                    provided.insert(key);
                    deps.provides.push(entry);
                }
                DepKind::Conflicts => deps.conflicts.push(entry),
                DepKind::Obsoletes => deps.obsoletes.push(entry),
                DepKind::Requires => {
                    if raw_flags & SENSE_MISSINGOK != 0 {
                        deps.recommends.push(entry);
                        continue;
                    }
                    let entry = DepEntry { pre, ..entry };
                    if entry.name.starts_with("libc.so.6") {
                        match &libc_highest {
                            Some(highest) if compare_libc(&highest.name, &entry.name) != 2 => {}
                            _ => libc_highest = Some(entry),
                        }
                        continue;
                    }
                    taken.insert(name.clone(), (flag, version.clone(), pre));
                    deps.requires.push(entry);
                }
                DepKind::Suggests => deps.suggests.push(entry),
                DepKind::Enhances => deps.enhances.push(entry),
                DepKind::Recommends => deps.recommends.push(entry),
                DepKind::Supplements => deps.supplements.push(entry),
                DepKind::OldSuggests => {
                    if raw_flags & SENSE_STRONG != 0 {
                        deps.recommends.push(entry);
                    } else {
                        deps.suggests.push(entry);
                    }
                }
                DepKind::OldEnhances => {
                    if raw_flags & SENSE_STRONG != 0 {
                        deps.supplements.push(entry);
                    } else {
                        deps.enhances.push(entry);
                    }
                }
            }
        }
        if let Some(libc) = libc_highest {
            deps.requires.push(libc);
        }
    }
    deps
}

/// The newest `limit` entries (all when `None`), oldest first; entries
/// sharing a timestamp are spread one second apart as createrepo does.
fn changelogs(header: &Header, limit: Option<usize>) -> Vec<Changelog> {
    let (Some(times), Some(names), Some(texts)) = (
        numbers(header, IndexTag::RPMTAG_CHANGELOGTIME),
        strings(header, IndexTag::RPMTAG_CHANGELOGNAME),
        strings(header, IndexTag::RPMTAG_CHANGELOGTEXT),
    ) else {
        return Vec::new();
    };
    let limit = limit.unwrap_or(usize::MAX);
    // In header order (newest first).
    let mut kept: Vec<Changelog> = Vec::new();
    let mut last_time = 0u64;
    for ((time, name), text) in times.into_iter().zip(names).zip(texts).take(limit) {
        let time = u64::from(time);
        let mut author = name.clone();
        // Trailing blanks go, except a first character (as createrepo).
        while author.len() > 1 && author.ends_with(' ') {
            author.pop();
        }
        kept.push(Changelog {
            author,
            date: time,
            text: text.clone(),
        });
        if time == last_time {
            // Push the entries read before with this time one second on,
            // and so on while they collide.
            for (bump, previous) in (time..).zip(kept.iter_mut().rev().skip(1)) {
                if previous.date != bump {
                    break;
                }
                previous.date += 1;
            }
        } else {
            last_time = time;
        }
    }
    kept.reverse();
    kept
}

/// The first field with a control character createrepo refuses.
fn forbidden_control_chars(record: &PackageRecord) -> Option<&'static str> {
    let bad = |text: &str| {
        text.bytes()
            .any(|b| b < 32 && b != b'\t' && b != b'\n' && b != b'\r')
    };
    let fields: [(&'static str, &str); 15] = [
        ("name", &record.name),
        ("arch", &record.arch),
        ("version", &record.version),
        ("epoch", &record.epoch),
        ("release", &record.release),
        ("summary", &record.summary),
        ("description", &record.description),
        ("url", &record.url),
        ("license", &record.license),
        ("vendor", &record.vendor),
        ("group", &record.group),
        ("build host", &record.buildhost),
        ("source rpm", &record.sourcerpm),
        ("packager", &record.packager),
        ("location", &record.location),
    ];
    if let Some((field, _)) = fields.iter().find(|(_, text)| bad(text)) {
        return Some(field);
    }
    for (_, list) in record.deps.lists() {
        for dep in list {
            if bad(&dep.name)
                || dep.epoch.as_deref().is_some_and(bad)
                || dep.ver.as_deref().is_some_and(bad)
                || dep.rel.as_deref().is_some_and(bad)
            {
                return Some("dependencies");
            }
        }
    }
    if record.files.iter().any(|f| bad(&f.path)) {
        return Some("file list");
    }
    if record
        .changelogs
        .iter()
        .any(|c| bad(&c.author) || bad(&c.text))
    {
        return Some("changelog");
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_versions_like_createrepo() {
        let s = |v: &str| split_evr(v);
        assert_eq!(s(""), Some((None, None, None)));
        assert_eq!(
            s("1.2-3"),
            Some((Some("0".into()), Some("1.2".into()), Some("3".into())))
        );
        assert_eq!(
            s("2:1.2"),
            Some((Some("2".into()), Some("1.2".into()), None))
        );
        assert_eq!(
            s("1.2-3-4"),
            Some((Some("0".into()), Some("1.2".into()), Some("3-4".into())))
        );
        assert_eq!(s(":1"), Some((Some("0".into()), Some("1".into()), None)));
        assert_eq!(s("x:1"), None);
        assert_eq!(
            s("1.0-"),
            Some((Some("0".into()), Some("1.0".into()), None))
        );
    }

    #[test]
    fn picks_the_highest_libc() {
        assert_eq!(
            compare_libc("libc.so.6(GLIBC_2.4)", "libc.so.6(GLIBC_2.14)"),
            2
        );
        assert_eq!(
            compare_libc(
                "libc.so.6(GLIBC_2.14)(64bit)",
                "libc.so.6(GLIBC_2.4)(64bit)"
            ),
            1
        );
        assert_eq!(compare_libc("libc.so.6", "libc.so.6()(64bit)"), 2);
        assert_eq!(
            compare_libc("libc.so.6()(64bit)", "libc.so.6(GLIBC_2.2.5)(64bit)"),
            2
        );
        // createrepo reads `64bit` as a version too.
        assert_eq!(compare_libc("libc.so.6(64bit)", "libc.so.6(GLIBC_2.3)"), 1);
    }

    #[test]
    fn primary_files() {
        assert!(is_primary_file("/etc/passwd"));
        assert!(is_primary_file("/usr/sbin/sshd"));
        assert!(is_primary_file("/opt/x/bin/"));
        assert!(is_primary_file("/usr/lib/sendmail"));
        assert!(!is_primary_file("/usr/lib64/libc.so.6"));
        assert!(!is_primary_file("/etc"));
    }
}
