//! System Use Sharing Protocol (SUSP 1.12) and Rock Ridge (RRIP 1.12,
//! identified as `RRIP_1991A` like mkisofs and xorriso) entries.
//!
//! Each builder returns complete entries (signature, length, version, data).
//! Placement into directory records and continuation areas is done by
//! [`place`], which never splits an entry.

use super::time::dir_date;
use super::tree::Special;

pub(crate) const S_IFDIR: u32 = 0o040000;
pub(crate) const S_IFREG: u32 = 0o100000;
pub(crate) const S_IFLNK: u32 = 0o120000;
pub(crate) const S_IFCHR: u32 = 0o020000;
pub(crate) const S_IFBLK: u32 = 0o060000;
pub(crate) const S_IFIFO: u32 = 0o010000;

/// Size of a `CE` entry.
pub(crate) const CE_LEN: usize = 28;
/// A continuation area never spans a logical block (Linux rejects that).
pub(crate) const CHUNK_MAX: usize = 2048;

fn both32(v: u32) -> [u8; 8] {
    let mut out = [0u8; 8];
    out[..4].copy_from_slice(&v.to_le_bytes());
    out[4..].copy_from_slice(&v.to_be_bytes());
    out
}

fn entry(sig: &[u8; 2], version: u8, data: &[u8]) -> Vec<u8> {
    debug_assert!(data.len() + 4 <= 255);
    let mut e = Vec::with_capacity(4 + data.len());
    e.extend_from_slice(sig);
    e.push((4 + data.len()) as u8);
    e.push(version);
    e.extend_from_slice(data);
    e
}

/// `SP`: SUSP indicator, first entry of the root directory's "." record.
pub(crate) fn sp() -> Vec<u8> {
    entry(b"SP", 1, &[0xBE, 0xEF, 0])
}

/// `ER`: extension reference for Rock Ridge.
pub(crate) fn er() -> Vec<u8> {
    const ID: &[u8] = b"RRIP_1991A";
    const DES: &[u8] =
        b"THE ROCK RIDGE INTERCHANGE PROTOCOL PROVIDES SUPPORT FOR POSIX FILE SYSTEM SEMANTICS";
    const SRC: &[u8] = b"PLEASE CONTACT DISC PUBLISHER FOR SPECIFICATION SOURCE.  SEE PUBLISHER IDENTIFIER IN PRIMARY VOLUME DESCRIPTOR FOR CONTACT INFORMATION.";
    let mut d = vec![ID.len() as u8, DES.len() as u8, SRC.len() as u8, 1];
    d.extend_from_slice(ID);
    d.extend_from_slice(DES);
    d.extend_from_slice(SRC);
    entry(b"ER", 1, &d)
}

/// `PX`: POSIX mode, link count, owner and group (RRIP 1991A form, 36 bytes).
pub(crate) fn px(mode: u32, nlink: u32, uid: u32, gid: u32) -> Vec<u8> {
    let mut d = Vec::with_capacity(32);
    d.extend_from_slice(&both32(mode));
    d.extend_from_slice(&both32(nlink));
    d.extend_from_slice(&both32(uid));
    d.extend_from_slice(&both32(gid));
    entry(b"PX", 1, &d)
}

/// `TF`: modification, access and attribute-change times (short form), all set to `time`.
pub(crate) fn tf(time: i64) -> Vec<u8> {
    let stamp = dir_date(time);
    let mut d = vec![0x0E];
    for _ in 0..3 {
        d.extend_from_slice(&stamp);
    }
    entry(b"TF", 1, &d)
}

/// `PN`: device number of a character or block device.
pub(crate) fn pn(rdev: u64) -> Vec<u8> {
    // Linux encoding of dev_t: major = bits 8..19 and 32..43, minor = bits 0..7 and 20..31.
    let major = (((rdev >> 32) & 0xFFFF_F000) | ((rdev >> 8) & 0xFFF)) as u32;
    let minor = (((rdev >> 12) & 0xFFFF_FF00) | (rdev & 0xFF)) as u32;
    let mut d = Vec::with_capacity(16);
    d.extend_from_slice(&both32(major));
    d.extend_from_slice(&both32(minor));
    entry(b"PN", 1, &d)
}

/// `NM`: the POSIX name, split over several entries when longer than one entry holds.
pub(crate) fn nm(name: &[u8]) -> Vec<Vec<u8>> {
    const MAX: usize = 250;
    let mut out = Vec::new();
    let mut rest = name;
    loop {
        let take = rest.len().min(MAX);
        let more = take < rest.len();
        let mut d = vec![u8::from(more)];
        d.extend_from_slice(&rest[..take]);
        out.push(entry(b"NM", 1, &d));
        rest = &rest[take..];
        if !more {
            return out;
        }
    }
}

/// `SL`: a symbolic link target as component records, over as many entries as needed.
pub(crate) fn sl(target: &[u8]) -> Vec<Vec<u8>> {
    // Component records: [flags, len, content...].
    let mut components: Vec<Vec<u8>> = Vec::new();
    if target.starts_with(b"/") {
        components.push(vec![0x08, 0]);
    }
    for part in target.split(|&b| b == b'/') {
        match part {
            b"" => {}
            b"." => components.push(vec![0x02, 0]),
            b".." => components.push(vec![0x04, 0]),
            _ => {
                // A component longer than one record holds continues in the next record.
                let mut rest = part;
                while !rest.is_empty() {
                    let take = rest.len().min(240);
                    let more = take < rest.len();
                    let mut c = vec![u8::from(more), take as u8];
                    c.extend_from_slice(&rest[..take]);
                    components.push(c);
                    rest = &rest[take..];
                }
            }
        }
    }
    // Pack component records into entries of at most 255 bytes (250 of components).
    let mut groups: Vec<Vec<u8>> = vec![Vec::new()];
    for c in components {
        if groups.last().unwrap().len() + c.len() > 250 {
            groups.push(Vec::new());
        }
        groups.last_mut().unwrap().extend_from_slice(&c);
    }
    let n = groups.len();
    groups
        .into_iter()
        .enumerate()
        .map(|(i, g)| {
            let mut d = vec![u8::from(i + 1 < n)];
            d.extend_from_slice(&g);
            entry(b"SL", 1, &d)
        })
        .collect()
}

/// Length of a `CL` or `PL` entry.
pub(crate) const LINK_LEN: usize = 12;

/// `CL` (RRIP 4.1.5.1): in the placeholder left where a relocated directory
/// was, the location of that directory's extent.
pub(crate) fn cl(lba: u32) -> Vec<u8> {
    entry(b"CL", 1, &both32(lba))
}

/// `PL` (RRIP 4.1.5.2): in the `..` record of a relocated directory, the
/// location of the extent of its original parent.
pub(crate) fn pl(lba: u32) -> Vec<u8> {
    entry(b"PL", 1, &both32(lba))
}

/// `RE` (RRIP 4.1.5.3): this record is a relocated directory; Rock Ridge
/// readers reach it through the `CL` of its placeholder and skip it here.
pub(crate) fn re() -> Vec<u8> {
    entry(b"RE", 1, &[])
}

/// The file type bits of a special file.
pub(crate) fn special_type(s: &Special) -> u32 {
    match s {
        Special::CharDevice { .. } => S_IFCHR,
        Special::BlockDevice { .. } => S_IFBLK,
        Special::Fifo => S_IFIFO,
    }
}

/// Serializes a `CE` entry pointing at a continuation area.
pub(crate) fn ce(lba: u32, offset: u32, len: u32) -> Vec<u8> {
    let mut d = Vec::with_capacity(24);
    d.extend_from_slice(&both32(lba));
    d.extend_from_slice(&both32(offset));
    d.extend_from_slice(&both32(len));
    entry(b"CE", 1, &d)
}

/// The system use area of one directory record after placement: entries
/// that fit into the record, and the continuation chunks (each one fits in a
/// block) for the rest. A `CE` entry is appended to the record (and to each
/// chunk but the last) when the next chunk's position is known.
#[derive(Debug, Clone, Default)]
pub(crate) struct Placed {
    pub inline: Vec<u8>,
    pub chunks: Vec<Vec<u8>>,
}

impl Placed {
    /// Bytes the system use area takes inside the record (including a `CE`).
    #[cfg(test)]
    pub(crate) fn inline_len(&self) -> usize {
        self.inline.len() + if self.chunks.is_empty() { 0 } else { CE_LEN }
    }
}

/// Places entries into a record with `room` bytes of system use space.
pub(crate) fn place(entries: Vec<Vec<u8>>, room: usize) -> Placed {
    let total: usize = entries.iter().map(Vec::len).sum();
    if total <= room {
        return Placed {
            inline: entries.concat(),
            chunks: Vec::new(),
        };
    }
    let mut placed = Placed::default();
    let mut iter = entries.into_iter().peekable();
    while let Some(e) = iter.peek() {
        if placed.inline.len() + e.len() + CE_LEN <= room {
            placed.inline.extend_from_slice(&iter.next().unwrap());
        } else {
            break;
        }
    }
    let mut chunk: Vec<u8> = Vec::new();
    for e in iter {
        if chunk.len() + e.len() + CE_LEN > CHUNK_MAX {
            placed.chunks.push(std::mem::take(&mut chunk));
        }
        chunk.extend_from_slice(&e);
    }
    placed.chunks.push(chunk);
    placed
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entry_sizes() {
        assert_eq!(sp().len(), 7);
        assert_eq!(px(0o100644, 1, 0, 0).len(), 36);
        assert_eq!(tf(0).len(), 26);
        assert_eq!(ce(1, 2, 3).len(), CE_LEN);
        assert_eq!(er().len(), 8 + 10 + 84 + 135);
        assert_eq!(pn(0).len(), 20);
        assert_eq!(cl(7).len(), LINK_LEN);
        assert_eq!(pl(7).len(), LINK_LEN);
        assert_eq!(&cl(0x0102_0304)[4..12], &[4, 3, 2, 1, 1, 2, 3, 4]);
        assert_eq!(re(), b"RE\x04\x01".to_vec());
        let long = vec![b'n'; 255];
        let parts = nm(&long);
        assert_eq!(parts.len(), 2);
        assert_eq!(parts[0][4], 1);
        assert_eq!(parts[1][4], 0);
        assert_eq!(parts[0].len() + parts[1].len() - 10, 255);
    }

    #[test]
    fn symlink_components() {
        let e = sl(b"/usr/../lib/./x");
        assert_eq!(e.len(), 1);
        let d = &e[0][5..];
        assert_eq!(&d[..2], &[0x08, 0]);
        assert_eq!(&d[2..7], &[0, 3, b'u', b's', b'r']);
        assert_eq!(&d[7..9], &[0x04, 0]);
        let long = format!("{}/{}", "a".repeat(300), "b".repeat(300));
        let e = sl(long.as_bytes());
        assert!(e.len() >= 3);
        assert!(e.iter().all(|x| x.len() <= 255));
        assert!(e[..e.len() - 1].iter().all(|x| x[4] == 1));
    }

    #[test]
    fn placement_spills_into_chunks() {
        let small = place(vec![px(0, 1, 0, 0), tf(0)], 200);
        assert!(small.chunks.is_empty());
        let mut entries = vec![px(0, 1, 0, 0), tf(0)];
        entries.extend(nm(&[b'x'; 255]));
        let big = place(entries, 200);
        assert_eq!(big.chunks.len(), 1);
        assert!(big.inline_len() <= 200);
    }
}
