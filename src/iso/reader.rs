//! Reads ISO 9660 images straight from the image file (no loop mount, no
//! root): the primary volume descriptor, a Joliet supplementary descriptor,
//! Rock Ridge names, modes, symbolic links and times (`NM`, `PX`, `SL`,
//! `TF`, with `CE` continuation areas and `CL`/`RE` relocated directories)
//! and multi-extent files.
//!
//! Names come from Rock Ridge when the image has it, else from Joliet,
//! else from the ISO 9660 tree (version suffix `;1` and a trailing dot
//! removed). Every read is checked against the size of the image, so a
//! truncated or corrupt image gives an [`IsoReadError`] naming the byte
//! offset, never a panic or a short file.

use std::fmt;
use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};

const SECTOR: u64 = 2048;
/// Directories are nested at most this deep (loops in a corrupt image end here).
const MAX_DEPTH: usize = 64;
/// A directory larger than this is treated as corrupt.
const MAX_DIR_BYTES: u64 = 64 << 20;

/// Why an image cannot be read, with the byte offset where it went wrong.
#[derive(Debug)]
pub struct IsoReadError {
    pub path: PathBuf,
    pub offset: Option<u64>,
    pub message: String,
}

impl fmt::Display for IsoReadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path.display(), self.message)?;
        if let Some(offset) = self.offset {
            write!(f, " (at byte {offset})")?;
        }
        Ok(())
    }
}

impl std::error::Error for IsoReadError {}

/// What a directory entry is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EntryKind {
    File,
    Dir,
    Symlink(String),
    /// A device, fifo or socket (Rock Ridge `PX` type); never extracted.
    Other,
}

/// One entry of a directory.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    pub name: String,
    pub kind: EntryKind,
    /// (first block, length in bytes) of each extent, in order.
    pub extents: Vec<(u32, u64)>,
    /// Sum of the extent lengths.
    pub size: u64,
    /// POSIX mode bits from Rock Ridge `PX`.
    pub mode: Option<u32>,
    /// Modification time (seconds since the epoch, UTC): `TF` or the record date.
    pub mtime: Option<i64>,
}

impl Entry {
    pub fn is_dir(&self) -> bool {
        self.kind == EntryKind::Dir
    }
}

/// Which tree names are taken from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Names {
    RockRidge,
    Joliet,
    Iso9660,
}

/// An open image.
pub struct IsoReader {
    file: File,
    path: PathBuf,
    size: u64,
    volume_id: String,
    names: Names,
    root: Entry,
    /// Bytes to skip at the start of every system use area (SUSP `SP`).
    susp_skip: usize,
}

impl fmt::Debug for IsoReader {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IsoReader")
            .field("path", &self.path)
            .field("volume_id", &self.volume_id)
            .field("names", &self.names)
            .finish()
    }
}

fn le32(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}

fn le16(b: &[u8], at: usize) -> u16 {
    u16::from_le_bytes([b[at], b[at + 1]])
}

/// Seconds since the epoch of a civil UTC date (days-from-civil algorithm).
fn unix_time(year: i64, month: u32, day: u32, hour: u32, minute: u32, second: u32) -> i64 {
    let (y, m) = if month <= 2 {
        (year - 1, month + 9)
    } else {
        (year, month - 3)
    };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * i64::from(m) + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    days * 86_400 + i64::from(hour) * 3_600 + i64::from(minute) * 60 + i64::from(second)
}

/// The 7-byte date of directory records and short-form `TF` entries.
fn short_date(b: &[u8]) -> Option<i64> {
    if b.len() < 7 || b[1] == 0 || b[1] > 12 || b[2] == 0 || b[2] > 31 {
        return None;
    }
    let local = unix_time(
        1900 + i64::from(b[0]),
        u32::from(b[1]),
        u32::from(b[2]),
        u32::from(b[3]),
        u32::from(b[4]),
        u32::from(b[5]),
    );
    // Offset from GMT in 15-minute units.
    Some(local - i64::from(b[6] as i8) * 900)
}

/// The 17-byte date of long-form `TF` entries (`YYYYMMDDhhmmsscc` + offset).
fn long_date(b: &[u8]) -> Option<i64> {
    if b.len() < 17 {
        return None;
    }
    let digits = std::str::from_utf8(&b[..14]).ok()?;
    let n = |from: usize, to: usize| digits.get(from..to)?.parse::<u32>().ok();
    let (month, day) = (n(4, 6)?, n(6, 8)?);
    if month == 0 || day == 0 {
        return None;
    }
    let local = unix_time(
        i64::from(n(0, 4)?),
        month,
        day,
        n(8, 10)?,
        n(10, 12)?,
        n(12, 14)?,
    );
    Some(local - i64::from(b[16] as i8) * 900)
}

/// What the system use area of one record says.
#[derive(Default)]
struct Susp {
    name: Option<String>,
    /// `NM` with the CURRENT or PARENT flag: not a real entry.
    dot: bool,
    mode: Option<u32>,
    symlink: Option<String>,
    mtime: Option<i64>,
    /// `CL`: the directory lives at this block.
    child_link: Option<u32>,
    /// `RE`: a relocated directory, listed through its `CL` elsewhere.
    relocated: bool,
    sp_skip: Option<usize>,
    rock_ridge: bool,
}

impl IsoReader {
    /// Opens an image and reads its volume descriptors and root directory.
    pub fn open(path: &Path) -> Result<IsoReader, IsoReadError> {
        let file = File::open(path).map_err(|e| IsoReadError {
            path: path.to_path_buf(),
            offset: None,
            message: format!("cannot open: {e}"),
        })?;
        let size = file
            .metadata()
            .map_err(|e| IsoReadError {
                path: path.to_path_buf(),
                offset: None,
                message: format!("cannot read: {e}"),
            })?
            .len();
        let mut reader = IsoReader {
            file,
            path: path.to_path_buf(),
            size,
            volume_id: String::new(),
            names: Names::Iso9660,
            root: Entry {
                name: String::new(),
                kind: EntryKind::Dir,
                extents: Vec::new(),
                size: 0,
                mode: None,
                mtime: None,
            },
            susp_skip: 0,
        };
        if size < 17 * SECTOR {
            return Err(reader.error(
                None,
                format!(
                    "not an ISO 9660 image: {size} bytes is too small to hold a volume descriptor \
                     (a truncated download?)"
                ),
            ));
        }
        let mut pvd_root = None;
        let mut joliet_root = None;
        let mut sector = 16u64;
        let mut buf = [0u8; SECTOR as usize];
        loop {
            let offset = sector * SECTOR;
            if offset + SECTOR > size {
                return Err(reader.error(
                    Some(offset),
                    "truncated: the image ends inside the volume descriptor set".into(),
                ));
            }
            reader.read_at(&mut buf, offset)?;
            if &buf[1..6] != b"CD001" {
                let message = if sector == 16 {
                    "not an ISO 9660 image: no `CD001` volume descriptor at sector 16".into()
                } else {
                    "corrupt volume descriptor set: no terminator before a sector without `CD001`"
                        .into()
                };
                return Err(reader.error(Some(offset + 1), message));
            }
            match buf[0] {
                1 if pvd_root.is_none() => {
                    let block_size = le16(&buf, 128);
                    if block_size != SECTOR as u16 {
                        return Err(reader.error(
                            Some(offset + 128),
                            format!("unsupported logical block size {block_size} (only 2048)"),
                        ));
                    }
                    reader.volume_id = String::from_utf8_lossy(&buf[40..72]).trim_end().into();
                    pvd_root = Some(reader.root_record(&buf, offset)?);
                }
                2 if joliet_root.is_none()
                    && buf[88] == b'%'
                    && buf[89] == b'/'
                    && matches!(buf[90], b'@' | b'C' | b'E') =>
                {
                    joliet_root = Some(reader.root_record(&buf, offset)?);
                }
                255 => break,
                _ => {}
            }
            sector += 1;
            if sector > 16 + 64 {
                return Err(reader.error(
                    Some(offset),
                    "corrupt volume descriptor set: no terminator within 64 descriptors".into(),
                ));
            }
        }
        let Some(pvd_root) = pvd_root else {
            return Err(reader.error(
                Some(16 * SECTOR),
                "no primary volume descriptor in the image".into(),
            ));
        };
        // Rock Ridge is announced by `SP` in the root's "." record.
        reader.root = pvd_root.clone();
        let first = reader.raw_records(&pvd_root)?;
        let rock_ridge = match first.first() {
            Some((record, record_offset)) => {
                let susp = reader.susp(record, *record_offset, 0, true)?;
                if let Some(skip) = susp.sp_skip {
                    reader.susp_skip = skip;
                }
                susp.sp_skip.is_some()
            }
            None => false,
        };
        if rock_ridge {
            reader.names = Names::RockRidge;
        } else if let Some(root) = joliet_root {
            reader.names = Names::Joliet;
            reader.root = root;
        }
        Ok(reader)
    }

    fn error(&self, offset: Option<u64>, message: String) -> IsoReadError {
        IsoReadError {
            path: self.path.clone(),
            offset,
            message,
        }
    }

    fn read_at(&self, buf: &mut [u8], offset: u64) -> Result<(), IsoReadError> {
        if offset + buf.len() as u64 > self.size {
            return Err(self.error(
                Some(offset),
                format!(
                    "truncated: {} bytes needed at this offset but the image has {} bytes",
                    buf.len(),
                    self.size
                ),
            ));
        }
        self.file
            .read_exact_at(buf, offset)
            .map_err(|e| self.error(Some(offset), format!("read error: {e}")))
    }

    fn root_record(&self, descriptor: &[u8], offset: u64) -> Result<Entry, IsoReadError> {
        let record = &descriptor[156..190];
        if record[0] < 34 || record[25] & 2 == 0 {
            return Err(self.error(Some(offset + 156), "corrupt root directory record".into()));
        }
        let lba = le32(record, 2);
        let len = u64::from(le32(record, 10));
        self.check_extent(lba, len, offset + 156)?;
        Ok(Entry {
            name: String::new(),
            kind: EntryKind::Dir,
            extents: vec![(lba, len)],
            size: len,
            mode: None,
            mtime: short_date(&record[18..25]),
        })
    }

    fn check_extent(&self, lba: u32, len: u64, record_offset: u64) -> Result<(), IsoReadError> {
        let start = u64::from(lba) * SECTOR;
        if start + len > self.size {
            return Err(self.error(
                Some(record_offset),
                format!(
                    "truncated: an extent of {len} bytes at byte {start} lies beyond the end of \
                     the image ({} bytes)",
                    self.size
                ),
            ));
        }
        Ok(())
    }

    /// The volume identifier of the primary volume descriptor.
    pub fn volume_id(&self) -> &str {
        &self.volume_id
    }

    /// Where names come from.
    pub fn names(&self) -> Names {
        self.names
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The root directory.
    pub fn root(&self) -> &Entry {
        &self.root
    }

    /// The records of a directory extent with their byte offsets.
    fn raw_records(&self, dir: &Entry) -> Result<Vec<(Vec<u8>, u64)>, IsoReadError> {
        let mut out = Vec::new();
        for &(lba, len) in &dir.extents {
            let start = u64::from(lba) * SECTOR;
            if len > MAX_DIR_BYTES {
                return Err(self.error(Some(start), format!("corrupt directory: {len} bytes long")));
            }
            let mut data = vec![0u8; len as usize];
            self.read_at(&mut data, start)?;
            let mut pos = 0usize;
            while pos < data.len() {
                let record_len = data[pos] as usize;
                if record_len == 0 {
                    // Records never cross a sector: go to the next one.
                    pos = (pos / SECTOR as usize + 1) * SECTOR as usize;
                    continue;
                }
                if record_len < 34 || pos + record_len > data.len() {
                    return Err(self.error(
                        Some(start + pos as u64),
                        format!("corrupt directory record ({record_len} bytes)"),
                    ));
                }
                let record = &data[pos..pos + record_len];
                if 33 + record[32] as usize > record_len {
                    return Err(self.error(
                        Some(start + pos as u64),
                        "corrupt directory record: the name runs past its end".into(),
                    ));
                }
                out.push((record.to_vec(), start + pos as u64));
                pos += record_len;
            }
        }
        Ok(out)
    }

    /// Parses the system use area of a record (and its continuation areas).
    fn susp(
        &self,
        record: &[u8],
        record_offset: u64,
        skip: usize,
        root_dot: bool,
    ) -> Result<Susp, IsoReadError> {
        let name_len = record[32] as usize;
        let mut start = 33 + name_len;
        if name_len % 2 == 0 {
            start += 1;
        }
        start += skip;
        let mut out = Susp::default();
        let mut area: Vec<u8> = record.get(start..).unwrap_or_default().to_vec();
        let mut area_offset = record_offset + start as u64;
        let mut name = Vec::new();
        let mut link = String::new();
        let mut link_component = String::new();
        let mut continuations = 0;
        loop {
            let mut next = None;
            let mut pos = 0usize;
            while pos + 4 <= area.len() {
                let sig = [area[pos], area[pos + 1]];
                let len = area[pos + 2] as usize;
                if len < 4 || pos + len > area.len() {
                    break;
                }
                let e = &area[pos..pos + len];
                match &sig {
                    b"SP" if root_dot && len >= 7 && e[4] == 0xBE && e[5] == 0xEF => {
                        out.sp_skip = Some(e[6] as usize);
                    }
                    b"ST" => break,
                    b"CE" if len >= 28 => {
                        next = Some((le32(e, 4), le32(e, 12), le32(e, 20)));
                    }
                    b"ER" => out.rock_ridge = true,
                    b"NM" if len >= 5 => {
                        let flags = e[4];
                        if flags & 6 != 0 {
                            out.dot = true;
                        }
                        name.extend_from_slice(&e[5..]);
                    }
                    b"PX" if len >= 12 => out.mode = Some(le32(e, 4)),
                    b"SL" if len >= 5 => {
                        let mut p = 5;
                        while p + 2 <= e.len() {
                            let flags = e[p];
                            let clen = e[p + 1] as usize;
                            let content = e.get(p + 2..p + 2 + clen).unwrap_or_default();
                            let part = if flags & 2 != 0 {
                                ".".to_string()
                            } else if flags & 4 != 0 {
                                "..".to_string()
                            } else if flags & 8 != 0 {
                                "/".to_string()
                            } else {
                                String::from_utf8_lossy(content).into_owned()
                            };
                            link_component.push_str(&part);
                            if flags & 1 == 0 {
                                // Component complete.
                                if link.is_empty() || link.ends_with('/') {
                                    link.push_str(&link_component);
                                } else {
                                    link.push('/');
                                    link.push_str(&link_component);
                                }
                                link_component.clear();
                            }
                            p += 2 + clen;
                        }
                        out.symlink = Some(link.clone());
                    }
                    b"TF" if len >= 5 => {
                        let flags = e[4];
                        let long = flags & 0x80 != 0;
                        let width = if long { 17 } else { 7 };
                        let mut p = 5;
                        for bit in 0..4 {
                            if flags & (1 << bit) == 0 {
                                continue;
                            }
                            if bit == 1 {
                                if let Some(stamp) = e.get(p..p + width) {
                                    out.mtime = if long {
                                        long_date(stamp)
                                    } else {
                                        short_date(stamp)
                                    };
                                }
                            }
                            p += width;
                        }
                    }
                    b"CL" if len >= 12 => out.child_link = Some(le32(e, 4)),
                    b"RE" => out.relocated = true,
                    _ => {}
                }
                pos += len;
            }
            let Some((lba, offset, len)) = next else {
                break;
            };
            continuations += 1;
            if continuations > 32 || len as u64 > SECTOR * 4 {
                return Err(self.error(
                    Some(area_offset),
                    "corrupt Rock Ridge continuation area chain".into(),
                ));
            }
            area_offset = u64::from(lba) * SECTOR + u64::from(offset);
            area = vec![0u8; len as usize];
            self.read_at(&mut area, area_offset)?;
        }
        if !name.is_empty() {
            out.name = Some(String::from_utf8_lossy(&name).into_owned());
        }
        Ok(out)
    }

    /// The entries of a directory ("." and ".." left out; the extents of
    /// multi-extent files joined).
    pub fn read_dir(&self, dir: &Entry) -> Result<Vec<Entry>, IsoReadError> {
        let mut out: Vec<Entry> = Vec::new();
        let mut pending_multi = false;
        for (record, offset) in self.raw_records(dir)? {
            let name_len = record[32] as usize;
            let raw_name = &record[33..33 + name_len];
            if name_len == 1 && (raw_name[0] == 0 || raw_name[0] == 1) {
                continue;
            }
            let flags = record[25];
            let lba = le32(&record, 2);
            let len = u64::from(le32(&record, 10));
            let is_dir = flags & 2 != 0;
            let mut entry = Entry {
                name: String::new(),
                kind: if is_dir {
                    EntryKind::Dir
                } else {
                    EntryKind::File
                },
                extents: Vec::new(),
                size: 0,
                mode: None,
                mtime: short_date(&record[18..25]),
            };
            let mut child_link = None;
            match self.names {
                Names::RockRidge => {
                    let susp = self.susp(&record, offset, self.susp_skip, false)?;
                    if susp.dot || susp.relocated {
                        continue;
                    }
                    entry.name = susp.name.unwrap_or_else(|| iso_name(raw_name));
                    entry.mode = susp.mode;
                    if susp.mtime.is_some() {
                        entry.mtime = susp.mtime;
                    }
                    if let Some(target) = susp.symlink {
                        entry.kind = EntryKind::Symlink(target);
                    } else if let Some(mode) = susp.mode {
                        let kind = mode & 0o170000;
                        if kind != 0 && kind != 0o100000 && kind != 0o040000 && kind != 0o120000 {
                            entry.kind = EntryKind::Other;
                        }
                    }
                    child_link = susp.child_link;
                }
                Names::Joliet => entry.name = joliet_name(raw_name),
                Names::Iso9660 => entry.name = iso_name(raw_name),
            }
            if entry.name.is_empty()
                || entry.name == "."
                || entry.name == ".."
                || entry.name.contains('/')
                || entry.name.contains('\0')
            {
                return Err(self.error(
                    Some(offset + 33),
                    format!("unusable file name {:?} in a directory record", entry.name),
                ));
            }
            if let Some(block) = child_link {
                // The real directory: its "." record gives the size.
                let start = u64::from(block) * SECTOR;
                let mut dot = [0u8; 34];
                self.read_at(&mut dot, start)?;
                entry.kind = EntryKind::Dir;
                entry.extents = vec![(block, u64::from(le32(&dot, 10)))];
                entry.size = entry.extents[0].1;
                self.check_extent(block, entry.size, start)?;
                out.push(entry);
                pending_multi = false;
                continue;
            }
            self.check_extent(lba, len, offset)?;
            let continues = pending_multi
                && out
                    .last()
                    .is_some_and(|last| last.name == entry.name && !last.is_dir());
            if continues {
                let last = out.last_mut().expect("checked above");
                last.extents.push((lba, len));
                last.size += len;
            } else {
                entry.extents.push((lba, len));
                entry.size = len;
                out.push(entry);
            }
            pending_multi = flags & 0x80 != 0;
        }
        Ok(out)
    }

    /// The entry at `path` (`/`-separated, relative to the root), if any.
    /// Symbolic links are not followed.
    pub fn lookup(&self, path: &str) -> Result<Option<Entry>, IsoReadError> {
        let mut current = self.root.clone();
        for part in path.split('/').filter(|p| !p.is_empty() && *p != ".") {
            if !current.is_dir() {
                return Ok(None);
            }
            let entries = self.read_dir(&current)?;
            match entries.into_iter().find(|e| e.name == part) {
                Some(found) => current = found,
                None => return Ok(None),
            }
        }
        Ok(Some(current))
    }

    /// Every entry below `dir`, depth first, with its path relative to `dir`.
    pub fn walk(&self, dir: &Entry) -> Result<Vec<(String, Entry)>, IsoReadError> {
        let mut out = Vec::new();
        let mut seen = std::collections::HashSet::new();
        self.walk_into(dir, "", 0, &mut seen, &mut out)?;
        Ok(out)
    }

    fn walk_into(
        &self,
        dir: &Entry,
        prefix: &str,
        depth: usize,
        seen: &mut std::collections::HashSet<u32>,
        out: &mut Vec<(String, Entry)>,
    ) -> Result<(), IsoReadError> {
        // Two directories never share an extent; in a corrupt image that
        // would make the walk loop (or grow exponentially).
        if let Some(&(lba, _)) = dir.extents.first() {
            if !seen.insert(lba) {
                return Err(self.error(
                    Some(u64::from(lba) * SECTOR),
                    format!("corrupt directory tree: the directory {prefix:?} is listed twice"),
                ));
            }
        }
        if depth > MAX_DEPTH {
            return Err(self.error(
                dir.extents.first().map(|e| u64::from(e.0) * SECTOR),
                format!(
                    "directories nest deeper than {MAX_DEPTH} levels (a loop in a corrupt image?)"
                ),
            ));
        }
        for entry in self.read_dir(dir)? {
            let path = if prefix.is_empty() {
                entry.name.clone()
            } else {
                format!("{prefix}/{}", entry.name)
            };
            let is_dir = entry.is_dir();
            out.push((path.clone(), entry));
            if is_dir {
                let dir = out.last().map(|(_, e)| e.clone()).expect("just pushed");
                self.walk_into(&dir, &path, depth + 1, seen, out)?;
            }
        }
        Ok(())
    }

    /// The whole content of a file (for small files: metadata, configs).
    pub fn read(&self, entry: &Entry) -> Result<Vec<u8>, IsoReadError> {
        if entry.size > self.size {
            return Err(self.error(
                entry.extents.first().map(|e| u64::from(e.0) * SECTOR),
                format!(
                    "corrupt: {} claims {} bytes, more than the whole image",
                    entry.name, entry.size
                ),
            ));
        }
        let mut data = vec![0u8; entry.size as usize];
        let mut at = 0usize;
        for &(lba, len) in &entry.extents {
            self.read_at(&mut data[at..at + len as usize], u64::from(lba) * SECTOR)?;
            at += len as usize;
        }
        Ok(data)
    }

    /// A reader over a file's data (reads only what is asked for).
    pub fn open_file<'r>(&'r self, entry: &Entry) -> FileReader<'r> {
        FileReader {
            image: self,
            extents: entry.extents.clone(),
            extent: 0,
            offset: 0,
        }
    }

    /// Copies a file's data into `out`, with in-kernel copies where the
    /// filesystems allow (`copy_file_range`). `progress` gets byte counts.
    pub fn copy_to(
        &self,
        entry: &Entry,
        out: &mut File,
        progress: &mut dyn FnMut(u64),
    ) -> Result<u64, io::Error> {
        let mut source = &self.file;
        let mut total = 0;
        for &(lba, len) in &entry.extents {
            let start = u64::from(lba) * SECTOR;
            if start + len > self.size {
                return Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    format!("the image ends inside this file's data (byte {start})"),
                ));
            }
            source.seek(SeekFrom::Start(start))?;
            // Pieces, so that progress moves during large files.
            let mut left = len;
            while left > 0 {
                let piece = left.min(64 << 20);
                let copied = io::copy(&mut source.take(piece), out)?;
                if copied != piece {
                    return Err(io::Error::new(
                        io::ErrorKind::UnexpectedEof,
                        format!(
                            "the image ended after {} of {len} bytes",
                            len - left + copied
                        ),
                    ));
                }
                left -= piece;
                total += piece;
                progress(piece);
            }
        }
        out.flush()?;
        Ok(total)
    }
}

/// Sequential reads of one file of an image ([`IsoReader::open_file`]).
pub struct FileReader<'r> {
    image: &'r IsoReader,
    extents: Vec<(u32, u64)>,
    extent: usize,
    offset: u64,
}

impl Read for FileReader<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while let Some(&(lba, len)) = self.extents.get(self.extent) {
            if self.offset >= len {
                self.extent += 1;
                self.offset = 0;
                continue;
            }
            let n = (len - self.offset).min(buf.len() as u64) as usize;
            let at = u64::from(lba) * SECTOR + self.offset;
            self.image
                .read_at(&mut buf[..n], at)
                .map_err(|e| io::Error::new(io::ErrorKind::UnexpectedEof, e.to_string()))?;
            self.offset += n as u64;
            return Ok(n);
        }
        Ok(0)
    }
}

/// An ISO 9660 file identifier without its version and trailing dot.
fn iso_name(raw: &[u8]) -> String {
    let text = String::from_utf8_lossy(raw);
    let base = text.split(';').next().unwrap_or_default();
    let base = base.strip_suffix('.').unwrap_or(base);
    base.to_string()
}

/// A Joliet identifier (UCS-2 big endian) without its version.
fn joliet_name(raw: &[u8]) -> String {
    let units: Vec<u16> = raw
        .chunks_exact(2)
        .map(|c| u16::from_be_bytes([c[0], c[1]]))
        .collect();
    let text = String::from_utf16_lossy(&units);
    match text.rsplit_once(';') {
        Some((base, version)) if version.chars().all(|c| c.is_ascii_digit()) => base.to_string(),
        _ => text,
    }
}

/// Whether the file at `path` starts like an ISO 9660 image.
pub fn looks_like_iso(path: &Path) -> bool {
    let Ok(mut file) = File::open(path) else {
        return false;
    };
    let mut magic = [0u8; 6];
    file.seek(SeekFrom::Start(16 * SECTOR)).is_ok()
        && file.read_exact(&mut magic).is_ok()
        && &magic[1..6] == b"CD001"
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates() {
        assert_eq!(unix_time(1970, 1, 1, 0, 0, 0), 0);
        assert_eq!(unix_time(2023, 11, 14, 22, 13, 20), 1_700_000_000);
        // 2023-11-14 23:13:20 at GMT+1 (4 quarter hours).
        assert_eq!(
            short_date(&[123, 11, 14, 23, 13, 20, 4]),
            Some(1_700_000_000)
        );
        assert_eq!(long_date(b"2023111422132000\0"), Some(1_700_000_000));
        assert_eq!(short_date(&[0, 0, 0, 0, 0, 0, 0]), None);
    }

    /// A directory record (no system use area).
    fn record(name: &[u8], lba: u32, len: u32, flags: u8) -> Vec<u8> {
        let mut r = vec![0u8; 33 + name.len() + (name.len() + 1) % 2];
        r[0] = r.len() as u8;
        r[2..6].copy_from_slice(&lba.to_le_bytes());
        r[6..10].copy_from_slice(&lba.to_be_bytes());
        r[10..14].copy_from_slice(&len.to_le_bytes());
        r[14..18].copy_from_slice(&len.to_be_bytes());
        r[18..25].copy_from_slice(&[123, 11, 14, 22, 13, 20, 0]);
        r[25] = flags;
        r[32] = name.len() as u8;
        r[33..33 + name.len()].copy_from_slice(name);
        r
    }

    /// A hand-made image: one file in two extents (flag 0x80 on the first
    /// record), as ISO level 3 writes files of 4 GiB and more.
    fn multi_extent_image() -> Vec<u8> {
        let mut image = vec![0u8; 22 * 2048];
        let pvd = 16 * 2048;
        image[pvd] = 1;
        image[pvd + 1..pvd + 6].copy_from_slice(b"CD001");
        image[pvd + 6] = 1;
        image[pvd + 40..pvd + 72].copy_from_slice(&[b' '; 32]);
        image[pvd + 40..pvd + 44].copy_from_slice(b"TEST");
        image[pvd + 128..pvd + 130].copy_from_slice(&2048u16.to_le_bytes());
        let root = record(&[0], 18, 2048, 2);
        image[pvd + 156..pvd + 156 + 34].copy_from_slice(&root);
        let term = 17 * 2048;
        image[term] = 255;
        image[term + 1..term + 6].copy_from_slice(b"CD001");
        let mut dir = Vec::new();
        dir.extend(record(&[0], 18, 2048, 2));
        dir.extend(record(&[1], 18, 2048, 2));
        dir.extend(record(b"BIG.BIN;1", 19, 2 * 2048, 0x80));
        dir.extend(record(b"BIG.BIN;1", 21, 100, 0));
        dir.extend(record(b"SMALL.TXT;1", 21, 5, 0));
        image[18 * 2048..18 * 2048 + dir.len()].copy_from_slice(&dir);
        for (i, b) in image[19 * 2048..21 * 2048].iter_mut().enumerate() {
            *b = (i % 251) as u8;
        }
        image[21 * 2048..21 * 2048 + 100].fill(7);
        image
    }

    #[test]
    fn multi_extent_files_are_joined() {
        let dir = std::env::temp_dir().join(format!("kslint-reader-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("multi.iso");
        std::fs::write(&path, multi_extent_image()).unwrap();
        let reader = IsoReader::open(&path).unwrap();
        assert_eq!(reader.names(), Names::Iso9660);
        assert_eq!(reader.volume_id(), "TEST");
        let entries = reader.read_dir(reader.root()).unwrap();
        let names: Vec<&str> = entries.iter().map(|e| e.name.as_str()).collect();
        assert_eq!(names, ["BIG.BIN", "SMALL.TXT"]);
        let big = &entries[0];
        assert_eq!(big.extents, [(19, 4096), (21, 100)]);
        assert_eq!(big.size, 4196);
        assert_eq!(big.mtime, Some(1_700_000_000));
        let data = reader.read(big).unwrap();
        assert_eq!(data.len(), 4196);
        assert!(data[..4096]
            .iter()
            .enumerate()
            .all(|(i, &b)| b == (i % 251) as u8));
        assert!(data[4096..].iter().all(|&b| b == 7));
        let out_path = dir.join("big.out");
        let mut out = File::create(&out_path).unwrap();
        let mut seen = 0;
        reader.copy_to(big, &mut out, &mut |n| seen += n).unwrap();
        assert_eq!(seen, 4196);
        assert_eq!(std::fs::read(&out_path).unwrap(), data);
        // The same image cut inside the second extent.
        let cut = dir.join("cut.iso");
        std::fs::write(&cut, &multi_extent_image()[..21 * 2048 + 50]).unwrap();
        let err = IsoReader::open(&cut)
            .unwrap()
            .read_dir(&IsoReader::open(&cut).unwrap().root)
            .unwrap_err();
        assert!(err.to_string().contains("truncated"), "{err}");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn names() {
        assert_eq!(iso_name(b"ISOLINUX.BIN;1"), "ISOLINUX.BIN");
        assert_eq!(iso_name(b"README.;1"), "README");
        assert_eq!(joliet_name(&[0, b'a', 0, b';', 0, b'1']), "a");
    }
}
