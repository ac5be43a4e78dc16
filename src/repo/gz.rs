//! Gzip in independent members.
//!
//! A gzip file may be a concatenation of complete gzip streams ("members",
//! RFC 1952 §2.2); every reader of repodata (zlib's `gzread` under libsolv,
//! librepo and createrepo_c, Python's `gzip`, Go's `compress/gzip`, flate2's
//! `MultiGzDecoder`) reads them as one text. We write each run of packages
//! as its own member, so that the next update can copy the compressed bytes
//! of runs whose packages did not change instead of compressing everything
//! again; and members compress on all cores.

use std::io::{Read, Write};
use std::ops::Range;

use flate2::Compression;

/// Compression level: zlib's default, as createrepo_c uses.
pub const LEVEL: u32 = 6;

/// `data` as one gzip member.
pub fn compress(data: &[u8]) -> Vec<u8> {
    member(&header(None), data)
}

/// The extra field (RFC 1952 §2.3.1.1) of the first member of the
/// metadata files we write: subfield `KS`, "kslint repodata". It says the
/// file holds nothing but what we rendered or what the XML parser
/// accepted before we copied it (see `old::parse_file`).
const MARK: &[u8] = b"KS\x0f\x00kslint repodata";

/// `data` as one gzip member whose header carries `MARK`.
pub fn compress_marked(data: &[u8]) -> Vec<u8> {
    member(&header(Some(MARK)), data)
}

/// The member header flate2's `GzBuilder` writes for [`LEVEL`]: no time,
/// no name, operating system "unknown", and `extra` when given.
fn header(extra: Option<&[u8]>) -> Vec<u8> {
    const FEXTRA: u8 = 0x04;
    let flags = if extra.is_some() { FEXTRA } else { 0 };
    let mut header = vec![0x1f, 0x8b, 8, flags, 0, 0, 0, 0, 0, 255];
    if let Some(extra) = extra {
        let length = u16::try_from(extra.len()).unwrap_or(u16::MAX);
        header.extend_from_slice(&length.to_le_bytes());
        header.extend_from_slice(&extra[..usize::from(length)]);
    }
    header
}

thread_local! {
    /// One deflate state per thread, reset for each member: setting one
    /// up clears some 300 KB (page faults included, a tenth of a
    /// millisecond), and an update compresses a dozen small members.
    static DEFLATE: std::cell::RefCell<Option<flate2::Compress>> =
        const { std::cell::RefCell::new(None) };
}

/// `header`, `data` deflated, and the trailer: the bytes flate2's
/// `GzEncoder` writes (a deflate stream does not depend on how its input
/// is handed over, and a reset state compresses as a new one).
fn member(header: &[u8], data: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(header.len() + data.len() / 4 + 64);
    out.extend_from_slice(header);
    let deflated = DEFLATE.with(|slot| {
        let mut slot = slot.borrow_mut();
        let state =
            slot.get_or_insert_with(|| flate2::Compress::new(Compression::new(LEVEL), false));
        state.reset();
        let deflated = deflate(state, data, &mut out);
        if !deflated {
            // Never seen; a state in error is not used again.
            *slot = None;
        }
        deflated
    });
    if !deflated {
        return encoder_member(header, data);
    }
    out.extend_from_slice(&crc32fast::hash(data).to_le_bytes());
    // ISIZE is the length modulo 2^32 (RFC 1952).
    out.extend_from_slice(&(data.len() as u32).to_le_bytes());
    out
}

/// Deflates all of `data` onto `out` with `state` (just reset); false on
/// an error of the compressor.
fn deflate(state: &mut flate2::Compress, data: &[u8], out: &mut Vec<u8>) -> bool {
    let start = state.total_in();
    loop {
        if out.capacity() - out.len() < 1024 {
            out.reserve(out.capacity().max(4096));
        }
        let taken = usize::try_from(state.total_in() - start).unwrap_or(data.len());
        let rest = data.get(taken..).unwrap_or_default();
        match state.compress_vec(rest, out, flate2::FlushCompress::Finish) {
            Ok(flate2::Status::StreamEnd) => return true,
            Ok(_) => continue,
            Err(_) => return false,
        }
    }
}

/// The same member made by flate2's own encoder.
fn encoder_member(header: &[u8], data: &[u8]) -> Vec<u8> {
    let builder = if header.len() > 10 {
        flate2::GzBuilder::new().extra(&header[12..])
    } else {
        flate2::GzBuilder::new()
    };
    let mut encoder = builder.write(
        Vec::with_capacity(data.len() / 4 + 96),
        Compression::new(LEVEL),
    );
    // Writing to a Vec cannot fail.
    let _ = encoder.write_all(data);
    encoder.finish().unwrap_or_default()
}

/// Whether the first member's header carries `MARK` (with the header's
/// own CRC when it has one, checked by the decoder).
pub fn is_marked(bytes: &[u8]) -> bool {
    const FEXTRA: u8 = 0x04;
    if bytes.len() < 12 || bytes[..3] != [0x1f, 0x8b, 8] || bytes[3] & FEXTRA == 0 {
        return false;
    }
    let length = usize::from(u16::from_le_bytes([bytes[10], bytes[11]]));
    bytes.get(12..12 + length) == Some(MARK)
}

/// One member of a gzip file: where its compressed bytes are and where
/// its text went.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Member {
    pub compressed: Range<usize>,
    pub plain: Range<usize>,
}

/// Decompresses a gzip file member by member, appending the text to
/// `plain`, at most `limit` bytes in all (an error past that). Zero bytes
/// after the last member (tape padding) are ignored.
pub fn members(bytes: &[u8], plain: &mut Vec<u8>, limit: u64) -> Result<Vec<Member>, String> {
    let mut out = Vec::new();
    let first = plain.len();
    let mut at = 0;
    while at < bytes.len() {
        if !out.is_empty() && bytes[at..].iter().all(|&b| b == 0) {
            break;
        }
        let start = plain.len();
        let room = limit.saturating_sub((start - first) as u64);
        let mut decoder = flate2::bufread::GzDecoder::new(&bytes[at..]).take(room + 1);
        decoder
            .read_to_end(plain)
            .map_err(|error| format!("bad gzip data at byte {at}: {error}"))?;
        if (plain.len() - first) as u64 > limit {
            return Err(crate::media::xml::too_large(bytes.len(), limit));
        }
        let rest = decoder.into_inner().into_inner().len();
        let end = bytes.len() - rest;
        if end <= at {
            return Err(format!("bad gzip data at byte {at}"));
        }
        out.push(Member {
            compressed: at..end,
            plain: start..plain.len(),
        });
        at = end;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn members_round_trip() {
        let mut file = compress(b"hello ");
        let second = file.len();
        file.extend(compress(b"world"));
        file.extend([0, 0, 0]);
        let mut plain = Vec::new();
        let parts = members(&file, &mut plain, 1 << 20).unwrap();
        assert_eq!(parts.len(), 2);
        assert_eq!(&plain[parts[0].plain.clone()], b"hello ");
        assert_eq!(parts[0].compressed, 0..second);
        assert_eq!(&plain[parts[1].plain.clone()], b"world");
        let mut all = Vec::new();
        flate2::read::MultiGzDecoder::new(&file[..file.len() - 3])
            .read_to_end(&mut all)
            .unwrap();
        assert_eq!(all, b"hello world");
        assert!(members(b"\x1f\x8bjunk", &mut plain, 1 << 20).is_err());
        // Past the limit: an error, and no more than the limit is read.
        let mut plain = Vec::new();
        let error = members(&file, &mut plain, 8).unwrap_err();
        assert!(error.contains("decompression bomb"), "{error}");
        assert!(plain.len() <= 9, "{}", plain.len());
    }

    /// Deterministic bytes that compress about as repodata does.
    fn sample(length: usize) -> Vec<u8> {
        const PATTERN: &[u8] = b"<package type=\"rpm\"><name>pkg</name>";
        let mut state: u32 = 7;
        (0..length)
            .map(|i| {
                state = state.wrapping_mul(1_103_515_245).wrapping_add(12_345);
                if i % 97 < 60 {
                    PATTERN[i % PATTERN.len()]
                } else {
                    b'a' + (state >> 16) as u8 % 26
                }
            })
            .collect()
    }

    #[test]
    fn members_are_the_bytes_of_flate2s_encoder() {
        // One thread's state serves every member, whatever came before.
        for length in [0, 1, 100, 40_000, 70_000, 300_000, 1_500_000] {
            let data = sample(length);
            assert_eq!(
                compress(&data),
                encoder_member(&header(None), &data),
                "{length}"
            );
            assert_eq!(
                compress_marked(&data),
                encoder_member(&header(Some(MARK)), &data),
                "{length}"
            );
        }
        let reference = flate2::GzBuilder::new()
            .extra(MARK)
            .write(Vec::new(), Compression::new(LEVEL));
        assert_eq!(reference.finish().unwrap(), compress_marked(b""));
        let mut reference = flate2::write::GzEncoder::new(Vec::new(), Compression::new(LEVEL));
        reference.write_all(&sample(50_000)).unwrap();
        assert_eq!(reference.finish().unwrap(), compress(&sample(50_000)));
    }

    #[test]
    fn marked_members_read_as_plain_gzip() {
        let mut file = compress_marked(b"<head>");
        assert!(is_marked(&file));
        assert!(!is_marked(&compress(b"<head>")));
        file.extend(compress(b"</head>"));
        let mut all = Vec::new();
        flate2::read::MultiGzDecoder::new(&file[..])
            .read_to_end(&mut all)
            .unwrap();
        assert_eq!(all, b"<head></head>");
        let mut plain = Vec::new();
        assert_eq!(members(&file, &mut plain, 1 << 20).unwrap().len(), 2);
    }
}
