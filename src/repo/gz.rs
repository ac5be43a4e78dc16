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
    let mut encoder = flate2::write::GzEncoder::new(
        Vec::with_capacity(data.len() / 4 + 64),
        Compression::new(LEVEL),
    );
    // Writing to a Vec cannot fail.
    let _ = encoder.write_all(data);
    encoder.finish().unwrap_or_default()
}

/// The extra field (RFC 1952 §2.3.1.1) of the first member of the
/// metadata files we write: subfield `KS`, "kslint repodata". It says the
/// file holds nothing but what we rendered or what the XML parser
/// accepted before we copied it (see `old::parse_file`).
const MARK: &[u8] = b"KS\x0f\x00kslint repodata";

/// `data` as one gzip member whose header carries [`MARK`].
pub fn compress_marked(data: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::GzBuilder::new().extra(MARK).write(
        Vec::with_capacity(data.len() / 4 + 96),
        Compression::new(LEVEL),
    );
    // Writing to a Vec cannot fail.
    let _ = encoder.write_all(data);
    encoder.finish().unwrap_or_default()
}

/// Whether the first member's header carries [`MARK`] (with the header's
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
