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

use std::fmt::Write as _;
use std::fs::File;
use std::io::{Read, Seek, SeekFrom, Write};
use std::ops::Range;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use super::header::hex;
use super::old::{OldFile, OldMember, OldPackage};
use super::render::Kind;
use super::resumable::Midstate;

const MAGIC: &str = "kslint repo cache 1";

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
/// with the checksums `repomd.xml` gives).
pub fn load(dir: &Path, gz: [(Vec<u8>, String); 3]) -> Option<([OldFile; 3], Source)> {
    let index = parse(&std::fs::read_to_string(dir.join("index")).ok()?)?;
    let blob = read_prefix(&dir.join(&index.blob), index.blob_length)?;
    let mut live = 0;
    let mut files = Vec::with_capacity(3);
    for (cached, (bytes, checksum)) in index.files.iter().zip(gz) {
        let file = rebuild(cached, bytes, &checksum, &blob)?;
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

fn read_prefix(path: &Path, length: u64) -> Option<Vec<u8>> {
    let file = File::open(path).ok()?;
    let mut out = Vec::with_capacity(usize::try_from(length).ok()?);
    file.take(length).read_to_end(&mut out).ok()?;
    (out.len() as u64 == length).then_some(out)
}

/// The [`OldFile`] of one cached file, after checking the table against
/// the gzip file and the text against each member's CRC-32.
fn rebuild(cached: &CachedFile, bytes: Vec<u8>, checksum: &str, blob: &[u8]) -> Option<OldFile> {
    if cached.checksum != checksum
        || bytes.len() as u64 != cached.size
        || hex(&Sha256::digest(&bytes)) != checksum
    {
        return None;
    }
    let text_length = cached.members.last().map_or(0, |m| m.text.end);
    let mut text = Vec::with_capacity(text_length);
    let mut members = Vec::with_capacity(cached.members.len());
    let (mut compressed_at, mut packages_at) = (0, 0);
    for member in &cached.members {
        let tiles = member.compressed.start == compressed_at
            && member.text.start == text.len()
            && member.packages.start == packages_at
            && member.packages.end <= cached.packages.len()
            && member.midstate.length == member.text.start as u64;
        if !tiles || !trailer_matches(&bytes, &member.compressed, &member.text)? {
            return None;
        }
        let start = usize::try_from(member.blob).ok()?;
        let piece = blob.get(start..start.checked_add(member.text.len())?)?;
        if crc32fast::hash(piece) != trailer_crc(&bytes, &member.compressed)? {
            return None;
        }
        text.extend_from_slice(piece);
        compressed_at = member.compressed.end;
        packages_at = member.packages.end;
        members.push(OldMember {
            compressed: member.compressed.clone(),
            text: member.text.clone(),
            packages: member.packages.clone(),
            pure: member.pure,
            cached: Some((member.blob, member.midstate.clone())),
        });
    }
    let complete = compressed_at == bytes.len()
        && packages_at == cached.packages.len()
        && cached.end.length == text.len() as u64;
    let text = String::from_utf8(text).ok()?;
    let packages_fit = cached.packages.iter().all(|p| {
        text.get(p.range.clone())
            .is_some_and(|t| t.starts_with("<package") && t.ends_with("</package>"))
    });
    (complete && packages_fit).then(|| OldFile {
        bytes,
        text,
        packages: cached.packages.clone(),
        members,
        end: Some(cached.end.clone()),
    })
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

fn trailer_crc(bytes: &[u8], compressed: &Range<usize>) -> Option<u32> {
    let member = bytes.get(compressed.clone())?;
    let at = member.len().checked_sub(8)?;
    Some(u32::from_le_bytes(member[at..at + 4].try_into().ok()?))
}

/// A member's text for [`store`], and where the blob of the source
/// already holds it, if it does.
pub struct Text<'a> {
    pub text: &'a str,
    pub in_blob: Option<u64>,
}

/// One member of a file just written, for [`store`].
pub struct Written<'a> {
    pub compressed: Range<usize>,
    pub text: Range<usize>,
    pub content: Text<'a>,
    pub packages: Range<usize>,
    pub pure: bool,
    pub midstate: Midstate,
}

/// One file just written, for [`store`].
pub struct WrittenFile<'a> {
    pub checksum: String,
    pub size: u64,
    pub members: Vec<Written<'a>>,
    pub end: Midstate,
    pub packages: Vec<OldPackage>,
}

/// Records the files just written in the cache at `dir`: appends the new
/// texts to the blob of `source` (or writes a new blob when there is no
/// usable one or most of it would be dead), then replaces the index.
pub fn store(
    dir: &Path,
    source: Option<&Source>,
    files: &[WrittenFile<'_>; 3],
) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    let live: u64 = files
        .iter()
        .flat_map(|f| &f.members)
        .map(|m| m.text.len() as u64)
        .sum();
    let fresh: u64 = files
        .iter()
        .flat_map(|f| &f.members)
        .filter(|m| m.content.in_blob.is_none())
        .map(|m| m.text.len() as u64)
        .sum();
    let append = source.filter(|s| s.dir == dir && s.blob_length + fresh <= 2 * live + (4 << 20));
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
    let mut index = Index {
        blob: blob.clone(),
        ..Index::default()
    };
    let mut pending = std::io::BufWriter::with_capacity(1 << 20, &mut writer);
    for (slot, file) in index.files.iter_mut().zip(files) {
        let mut members = Vec::with_capacity(file.members.len());
        for member in &file.members {
            let offset = match member.content.in_blob.filter(|_| !rewrite) {
                Some(offset) => offset,
                None => {
                    let text = member.content.text.as_bytes();
                    pending.write_all(text)?;
                    blob_length += text.len() as u64;
                    blob_length - text.len() as u64
                }
            };
            members.push(CachedMember {
                compressed: member.compressed.clone(),
                text: member.text.clone(),
                blob: offset,
                packages: member.packages.clone(),
                pure: member.pure,
                midstate: member.midstate.clone(),
            });
        }
        *slot = CachedFile {
            checksum: file.checksum.clone(),
            size: file.size,
            members,
            end: file.end.clone(),
            packages: file.packages.clone(),
        };
    }
    pending.flush()?;
    drop(pending);
    index.blob_length = blob_length;
    let temp = dir.join(format!("index.tmp-{}", std::process::id()));
    std::fs::write(&temp, render(&index))?;
    std::fs::rename(&temp, dir.join("index"))?;
    if rewrite {
        remove_other_blobs(dir, &blob);
    }
    Ok(())
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

// The index is text: a line per file, member and package, then the
// SHA-256 of all the lines before.

fn render(index: &Index) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "{MAGIC}");
    let _ = writeln!(out, "blob {} {}", field(&index.blob), index.blob_length);
    for (kind, file) in Kind::ALL.iter().zip(&index.files) {
        let _ = writeln!(
            out,
            "file {} {} {} {} {} {}",
            kind.name(),
            file.checksum,
            file.size,
            file.members.len(),
            file.packages.len(),
            midstate(&file.end)
        );
        for m in &file.members {
            let _ = writeln!(
                out,
                "m {} {} {} {} {} {} {} {} {}",
                m.compressed.start,
                m.compressed.end,
                m.text.start,
                m.text.end,
                m.blob,
                m.packages.start,
                m.packages.end,
                u8::from(m.pure),
                midstate(&m.midstate)
            );
        }
        for p in &file.packages {
            let _ = writeln!(
                out,
                "p {} {} {} {} {} {} {}",
                p.range.start,
                p.range.end,
                p.size,
                p.mtime,
                field(&p.checksum_type),
                field(&p.pkgid),
                field(&p.location)
            );
        }
    }
    let sum = hex(&Sha256::digest(out.as_bytes()));
    let _ = writeln!(out, "sum {sum}");
    out
}

/// A string as one space-free field: `=` then the text with `%`, blanks
/// and line breaks escaped (so the empty string is `=`).
fn field(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 1);
    out.push('=');
    for c in text.chars() {
        match c {
            '%' | ' ' | '\n' | '\r' | '\t' => {
                let _ = write!(out, "%{:02X}", c as u32);
            }
            c => out.push(c),
        }
    }
    out
}

fn unfield(raw: &str) -> Option<String> {
    let raw = raw.strip_prefix('=')?;
    let mut out = Vec::with_capacity(raw.len());
    let bytes = raw.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let code = raw.get(i + 1..i + 3)?;
            out.push(u8::from_str_radix(code, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

fn midstate(state: &Midstate) -> String {
    let mut out = String::with_capacity(80 + 2 * state.tail.len());
    for word in state.state {
        let _ = write!(out, "{word:08x}");
    }
    let _ = write!(out, " {} ={}", state.length, hex(&state.tail));
    out
}

fn parse_midstate(words: &mut std::str::SplitAsciiWhitespace<'_>) -> Option<Midstate> {
    let raw = words.next()?;
    if raw.len() != 64 {
        return None;
    }
    let mut state = [0u32; 8];
    for (i, word) in state.iter_mut().enumerate() {
        *word = u32::from_str_radix(raw.get(8 * i..8 * i + 8)?, 16).ok()?;
    }
    let length = words.next()?.parse().ok()?;
    let tail_hex = words.next()?.strip_prefix('=')?;
    let tail = (0..tail_hex.len() / 2)
        .map(|i| u8::from_str_radix(tail_hex.get(2 * i..2 * i + 2)?, 16).ok())
        .collect::<Option<Vec<u8>>>()?;
    let saved = Midstate {
        state,
        length,
        tail,
    };
    super::resumable::Sha256Stream::can_resume(&saved).then_some(saved)
}

fn parse(text: &str) -> Option<Index> {
    let body_end = text.rfind("sum ")?;
    let (body, sum_line) = text.split_at(body_end);
    if sum_line.trim_end() != format!("sum {}", hex(&Sha256::digest(body.as_bytes()))) {
        return None;
    }
    let mut lines = body.lines();
    if lines.next()? != MAGIC {
        return None;
    }
    let mut words = lines.next()?.split_ascii_whitespace();
    (words.next()? == "blob").then_some(())?;
    let mut index = Index {
        blob: unfield(words.next()?)?,
        blob_length: words.next()?.parse().ok()?,
        ..Index::default()
    };
    if index.blob.contains('/') || !index.blob.starts_with("blob-") {
        return None;
    }
    for (kind, slot) in Kind::ALL.iter().zip(index.files.iter_mut()) {
        *slot = parse_file(&mut lines, *kind)?;
    }
    lines.next().is_none().then_some(index)
}

fn parse_file(lines: &mut std::str::Lines<'_>, kind: Kind) -> Option<CachedFile> {
    let mut words = lines.next()?.split_ascii_whitespace();
    (words.next()? == "file" && words.next()? == kind.name()).then_some(())?;
    let checksum = words.next()?.to_string();
    let size = words.next()?.parse().ok()?;
    let member_count: usize = words.next()?.parse().ok()?;
    let package_count: usize = words.next()?.parse().ok()?;
    let end = parse_midstate(&mut words)?;
    let mut members = Vec::with_capacity(member_count.min(1 << 20));
    for _ in 0..member_count {
        let mut words = lines.next()?.split_ascii_whitespace();
        (words.next()? == "m").then_some(())?;
        let mut number = || -> Option<usize> { words.next()?.parse().ok() };
        let compressed = number()?..number()?;
        let text = number()?..number()?;
        let blob = number()? as u64;
        let packages = number()?..number()?;
        let pure = number()? == 1;
        let midstate = parse_midstate(&mut words)?;
        members.push(CachedMember {
            compressed,
            text,
            blob,
            packages,
            pure,
            midstate,
        });
    }
    let mut packages = Vec::with_capacity(package_count.min(1 << 20));
    for _ in 0..package_count {
        let mut words = lines.next()?.split_ascii_whitespace();
        (words.next()? == "p").then_some(())?;
        let start = words.next()?.parse().ok()?;
        let end = words.next()?.parse().ok()?;
        packages.push(OldPackage {
            range: start..end,
            size: words.next()?.parse().ok()?,
            mtime: words.next()?.parse().ok()?,
            checksum_type: unfield(words.next()?)?,
            pkgid: unfield(words.next()?)?,
            location: unfield(words.next()?)?,
        });
    }
    Some(CachedFile {
        checksum,
        size,
        members,
        end,
        packages,
    })
}
