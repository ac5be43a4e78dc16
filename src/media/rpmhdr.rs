//! RPM headers from `Packages/**/*.rpm`, read with the `rpm` crate. Only the
//! lead, the signature header and the main header are read, never the
//! payload. The header sizes are checked against the file first, so that a
//! truncated or corrupt file gives an error message instead of a huge
//! allocation or a panic.

use std::io::Read;
use std::path::Path;

use super::index::{Dep, Package};

const LEAD_SIZE: usize = 96;
const LEAD_MAGIC: [u8; 4] = [0xed, 0xab, 0xee, 0xdb];
const HEADER_MAGIC: [u8; 3] = [0x8e, 0xad, 0xe8];
/// Far above any real header (rpm itself refuses headers over 256 MiB).
const MAX_HEADER_BYTES: usize = 256 << 20;

/// Reads the header of one RPM. `location` is stored as the package's
/// location (relative to the media root).
pub fn read_package(path: &Path, location: &str) -> Result<Package, String> {
    let mut file = std::fs::File::open(path).map_err(|error| error.to_string())?;
    let size = file.metadata().map_err(|e| e.to_string())?.len();
    read_package_from(&mut file, size, location)
}

/// [`read_package`] from any reader positioned at the start of an RPM of
/// `size` bytes (e.g. a file inside an ISO image).
pub fn read_package_from(
    file: &mut impl Read,
    size: u64,
    location: &str,
) -> Result<Package, String> {
    let bytes = read_header_bytes(file, size)?;
    let parsed = std::panic::catch_unwind(|| {
        rpm::PackageMetadata::parse(&mut std::io::Cursor::new(&bytes[..]))
    });
    let metadata = match parsed {
        Ok(Ok(metadata)) => metadata,
        Ok(Err(error)) => return Err(format!("cannot parse the RPM header: {error}")),
        Err(_) => return Err("cannot parse the RPM header: malformed header".to_string()),
    };
    // The rpm crate's getters panic on some malformed entries too (found
    // by fuzzing: an i18n string entry with a count of 0).
    let described =
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| from_metadata(&metadata)));
    let mut package = described
        .unwrap_or_else(|_| Err("cannot read the RPM header: malformed header".to_string()))?;
    package.location = location.to_string();
    package.size = size;
    Ok(package)
}

/// The lead, the signature header (padded to 8 bytes) and the main header.
fn read_header_bytes(file: &mut impl Read, file_size: u64) -> Result<Vec<u8>, String> {
    let mut bytes = vec![0u8; LEAD_SIZE];
    read_exact(file, &mut bytes, "lead")?;
    if bytes[..4] != LEAD_MAGIC {
        return Err("not an RPM file (bad lead magic)".to_string());
    }
    let signature = read_structure(file, &mut bytes, file_size, "signature header")?;
    let padding = (8 - signature % 8) % 8;
    let start = bytes.len();
    bytes.resize(start + padding, 0);
    read_exact(file, &mut bytes[start..], "signature padding")?;
    read_structure(file, &mut bytes, file_size, "header")?;
    Ok(bytes)
}

/// Appends one header structure (intro, index, store) to `bytes`; returns
/// its store size.
fn read_structure(
    file: &mut impl Read,
    bytes: &mut Vec<u8>,
    file_size: u64,
    what: &str,
) -> Result<usize, String> {
    let start = bytes.len();
    bytes.resize(start + 16, 0);
    read_exact(file, &mut bytes[start..], what)?;
    let intro = &bytes[start..start + 16];
    if intro[..3] != HEADER_MAGIC {
        return Err(format!("bad {what} magic at byte {start}"));
    }
    let entries = u32::from_be_bytes([intro[8], intro[9], intro[10], intro[11]]) as usize;
    let store = u32::from_be_bytes([intro[12], intro[13], intro[14], intro[15]]) as usize;
    let body = entries
        .checked_mul(16)
        .and_then(|index| index.checked_add(store))
        .filter(|&body| body <= MAX_HEADER_BYTES)
        .ok_or_else(|| format!("{what} claims an impossible size"))?;
    if (start + 16 + body) as u64 > file_size {
        return Err(format!(
            "truncated: the {what} needs {} bytes, the file has {file_size}",
            start + 16 + body
        ));
    }
    let at = bytes.len();
    bytes.resize(at + body, 0);
    read_exact(file, &mut bytes[at..], what)?;
    check_index(&bytes[at..at + entries * 16], store as u64, what)?;
    Ok(store)
}

/// Checks every index entry of a header against its store: the data an
/// entry claims (its count times the size of its type, at least a byte
/// per string) must fit between its offset and the end of the store.
/// Found by fuzzing: the `rpm` crate reserves memory for the claimed count
/// before reading, so a 2 KB file with a count of 1.6 billion asked for
/// 6 GB (an abort, which no `catch_unwind` catches).
pub fn check_index(index: &[u8], store: u64, what: &str) -> Result<(), String> {
    for (number, entry) in index.chunks_exact(16).enumerate() {
        let word =
            |i: usize| u32::from_be_bytes([entry[i], entry[i + 1], entry[i + 2], entry[i + 3]]);
        let (tag, kind, offset, count) =
            (word(0), word(4), u64::from(word(8)), u64::from(word(12)));
        let width = match kind {
            3 => 2,
            4 => 4,
            5 => 8,
            _ => 1,
        };
        let fits = offset <= store && count.saturating_mul(width) <= store - offset;
        if !fits {
            return Err(format!(
                "the {what} entry {number} (tag {tag}) claims {count} items at byte {offset} of a {store}-byte store"
            ));
        }
    }
    Ok(())
}

fn read_exact(file: &mut impl Read, buffer: &mut [u8], what: &str) -> Result<(), String> {
    file.read_exact(buffer).map_err(|error| {
        if error.kind() == std::io::ErrorKind::UnexpectedEof {
            format!("truncated in the {what}")
        } else {
            error.to_string()
        }
    })
}

fn from_metadata(metadata: &rpm::PackageMetadata) -> Result<Package, String> {
    let name = metadata
        .get_name()
        .map_err(|e| format!("no package name: {e}"))?
        .to_string();
    let text = |value: Result<&str, rpm::Error>| value.unwrap_or_default().to_string();
    let deps = |value: Result<Vec<rpm::Dependency>, rpm::Error>| -> Vec<Dep> {
        value
            .unwrap_or_default()
            .into_iter()
            .map(|dep| Dep::new(dep.name, dep.flags.bits(), dep.version))
            .collect()
    };
    let arch = if metadata.is_source_package() {
        "src".to_string()
    } else {
        text(metadata.get_arch())
    };
    Ok(Package {
        name,
        epoch: metadata.get_epoch().unwrap_or(0),
        version: text(metadata.get_version()),
        release: text(metadata.get_release()),
        arch,
        summary: text(metadata.get_summary()),
        provides: deps(metadata.get_provides()),
        requires: deps(metadata.get_requires()),
        conflicts: deps(metadata.get_conflicts()),
        obsoletes: deps(metadata.get_obsoletes()),
        files: metadata
            .get_file_paths()
            .unwrap_or_default()
            .into_iter()
            .map(|path| path.to_string_lossy().into_owned())
            .collect(),
        location: String::new(),
        size: 0,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The byte where the main header's index starts.
    fn main_index(bytes: &[u8]) -> usize {
        let word = |at: usize| u32::from_be_bytes(bytes[at..at + 4].try_into().unwrap()) as usize;
        let (entries, store) = (word(LEAD_SIZE + 8), word(LEAD_SIZE + 12));
        let signature_end = LEAD_SIZE + 16 + entries * 16 + store;
        signature_end + (8 - store % 8) % 8 + 16
    }

    #[test]
    fn an_index_entry_claiming_more_than_the_store_is_refused() {
        let rpm = crate::media::testkit::RpmSpec::new("bash", "4.2", "x86_64")
            .build()
            .unwrap();
        let read = |bytes: &[u8]| {
            read_package_from(
                &mut std::io::Cursor::new(bytes),
                bytes.len() as u64,
                "x.rpm",
            )
        };
        assert_eq!(read(&rpm).unwrap().name, "bash");
        // The count of the main header's first entry: 1.6 billion, as the
        // fuzzer found (the rpm crate reserved 6 GB for it).
        let mut bad = rpm.clone();
        let count = main_index(&bad) + 12;
        bad[count..count + 4].copy_from_slice(&0x5f00_0000u32.to_be_bytes());
        let error = read(&bad).unwrap_err();
        assert!(error.contains("claims 1593835520 items"), "{error}");
        // An offset past the store.
        let mut bad = rpm.clone();
        let offset = main_index(&bad) + 8;
        bad[offset..offset + 4].copy_from_slice(&u32::MAX.to_be_bytes());
        assert!(read(&bad).unwrap_err().contains("claims"));
    }
}
