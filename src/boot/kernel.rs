//! Which kernel a `vmlinuz` is and which kernel's modules an initramfs
//! holds, so a menu that pairs a kernel with another release's initrd is
//! found before the boot stops without drivers.
//!
//! The kernel version is the string the x86 boot protocol header points at
//! (`kernel_version` at 0x20E, relative to 0x200). An initramfs is one or
//! more concatenated `newc` cpio archives, each uncompressed (the early
//! microcode archive) or compressed with gzip, zstd or xz; the first
//! `lib/modules/<version>/` path names the kernel it was built for. The
//! decompression stops at that path (or after a few seconds without it),
//! and results are cached by file size and modification time, since the
//! language server re-checks on every edit.

use std::collections::HashMap;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};
use std::time::SystemTime;

/// Largest initramfs read (stock ones are 60–120 MiB).
const MAX_INITRD_BYTES: u64 = 512 << 20;
/// Most decompressed bytes scanned for the modules directory.
const MAX_SCANNED_BYTES: u64 = 1 << 30;
/// Longest time spent looking for it: an editor re-checks the menu as the
/// user types, and an answer that late is not worth the wait (the result,
/// found or not, is cached).
const MAX_SCAN_TIME: std::time::Duration = std::time::Duration::from_secs(3);

/// The version of the Linux bzImage `bytes` (`5.14.0-427.el9.x86_64`).
pub fn bzimage_version(bytes: &[u8]) -> Option<String> {
    if bytes.get(0x202..0x206)? != b"HdrS" {
        return None;
    }
    let offset = u16::from_le_bytes([*bytes.get(0x20E)?, *bytes.get(0x20F)?]) as usize;
    if offset == 0 {
        return None;
    }
    let start = 0x200 + offset;
    let text = bytes.get(start..(start + 256).min(bytes.len()))?;
    let end = text
        .iter()
        .position(|&b| b == 0 || b == b' ')
        .unwrap_or(text.len());
    let version = std::str::from_utf8(&text[..end]).ok()?;
    (!version.is_empty() && version.bytes().all(|b| b.is_ascii_graphic()))
        .then(|| version.to_string())
}

/// The kernel version of the bzImage at `path` (its first 64 KiB).
pub fn kernel_version(path: &Path) -> Option<String> {
    let mut head = Vec::new();
    std::fs::File::open(path)
        .ok()?
        .take(64 << 10)
        .read_to_end(&mut head)
        .ok()?;
    bzimage_version(&head)
}

/// `…/lib/modules/<version>/…` → `<version>`.
fn modules_version(name: &str) -> Option<String> {
    let at = name.find("lib/modules/")?;
    let rest = &name[at + "lib/modules/".len()..];
    let version = rest.split('/').next()?;
    (!version.is_empty()).then(|| version.to_string())
}

/// What the scanner found when it stopped.
#[derive(Debug, PartialEq, Eq)]
enum Scan {
    Found(String),
    /// The archive ended (`TRAILER!!!`) after `usize` bytes.
    End(usize),
    /// More input is needed.
    More,
    Malformed,
}

/// A streaming reader of `newc` cpio headers that skips file data.
struct CpioScanner {
    started: std::time::Instant,
    pending: Vec<u8>,
    /// File data (and padding) still to skip.
    skip: u64,
    consumed: usize,
    scanned: u64,
    result: Option<Scan>,
}

impl Default for CpioScanner {
    fn default() -> Self {
        CpioScanner {
            started: std::time::Instant::now(),
            pending: Vec::new(),
            skip: 0,
            consumed: 0,
            scanned: 0,
            result: None,
        }
    }
}

fn hex_field(header: &[u8], index: usize) -> Option<u64> {
    let start = 6 + index * 8;
    let text = std::str::from_utf8(header.get(start..start + 8)?).ok()?;
    u64::from_str_radix(text, 16).ok()
}

fn align4(n: u64) -> u64 {
    (n + 3) & !3
}

impl CpioScanner {
    /// Feeds `data`; returns the outcome once there is one.
    fn feed(&mut self, data: &[u8]) -> &Scan {
        if self.result.is_none() {
            self.result = self.feed_inner(data);
        }
        self.result.as_ref().unwrap_or(&Scan::More)
    }

    fn feed_inner(&mut self, mut data: &[u8]) -> Option<Scan> {
        self.scanned += data.len() as u64;
        if self.scanned > MAX_SCANNED_BYTES || self.started.elapsed() > MAX_SCAN_TIME {
            return Some(Scan::Malformed);
        }
        if self.skip > 0 {
            let take = self.skip.min(data.len() as u64) as usize;
            self.skip -= take as u64;
            self.consumed += take;
            data = &data[take..];
            if self.skip > 0 {
                return None;
            }
        }
        self.pending.extend_from_slice(data);
        loop {
            if self.pending.len() < 110 {
                return None;
            }
            let header = &self.pending[..110];
            if !(header.starts_with(b"070701") || header.starts_with(b"070702")) {
                return Some(Scan::Malformed);
            }
            let (Some(file_size), Some(name_size)) = (hex_field(header, 6), hex_field(header, 11))
            else {
                return Some(Scan::Malformed);
            };
            if name_size > 4096 {
                return Some(Scan::Malformed);
            }
            let name_end = align4(110 + name_size) as usize;
            if self.pending.len() < name_end {
                return None;
            }
            let name_bytes = &self.pending[110..110 + name_size as usize];
            let name = String::from_utf8_lossy(name_bytes.strip_suffix(&[0]).unwrap_or(name_bytes))
                .into_owned();
            if let Some(version) = modules_version(&name) {
                return Some(Scan::Found(version));
            }
            self.consumed += name_end;
            if name == "TRAILER!!!" {
                return Some(Scan::End(self.consumed));
            }
            let data_len = align4(file_size);
            let after = (self.pending.len() - name_end) as u64;
            if data_len <= after {
                self.consumed += data_len as usize;
                self.pending.drain(..name_end + data_len as usize);
            } else {
                self.consumed += after as usize;
                self.skip = data_len - after;
                self.pending.clear();
                return None;
            }
        }
    }
}

/// A sink for a decompressor that stops it (with an error) once the
/// scanner has its answer.
struct StopWhenDone<'a>(&'a mut CpioScanner);

impl Write for StopWhenDone<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        match self.0.feed(buf) {
            Scan::More => Ok(buf.len()),
            _ => Err(std::io::Error::other("scan finished")),
        }
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Copies `reader` into the scanner until it has an answer.
fn scan_reader(reader: &mut dyn Read, scanner: &mut CpioScanner) {
    let mut buf = vec![0u8; 64 << 10];
    loop {
        match reader.read(&mut buf) {
            Ok(0) | Err(_) => return,
            Ok(n) => {
                if !matches!(scanner.feed(&buf[..n]), Scan::More) {
                    return;
                }
            }
        }
    }
}

/// The kernel version whose modules the initramfs `bytes` holds.
pub fn initrd_modules_version(bytes: &[u8]) -> Option<String> {
    let mut at = 0;
    // A few concatenated archives at most (early microcode, then the main one).
    for _ in 0..8 {
        while bytes.get(at) == Some(&0) {
            at += 1;
        }
        let rest = bytes.get(at..)?;
        if rest.is_empty() {
            return None;
        }
        let mut scanner = CpioScanner::default();
        if rest.starts_with(b"070701") || rest.starts_with(b"070702") {
            match scanner.feed(rest) {
                Scan::Found(version) => return Some(version.clone()),
                Scan::End(length) => {
                    at += length;
                    continue;
                }
                _ => return None,
            }
        }
        if rest.starts_with(&[0x1f, 0x8b]) {
            scan_reader(&mut flate2::read::MultiGzDecoder::new(rest), &mut scanner);
        } else if rest.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
            let mut decoder = ruzstd::decoding::StreamingDecoder::new(rest).ok()?;
            scan_reader(&mut decoder, &mut scanner);
        } else if rest.starts_with(&[0xfd, b'7', b'z', b'X', b'Z', 0]) {
            let mut input = std::io::BufReader::new(rest);
            let _ = lzma_rs::xz_decompress(&mut input, &mut StopWhenDone(&mut scanner));
        } else {
            return None;
        }
        return match scanner.result {
            Some(Scan::Found(version)) => Some(version),
            _ => None,
        };
    }
    None
}

type CacheKey = (PathBuf, u64, Option<SystemTime>);

fn cache() -> &'static Mutex<HashMap<CacheKey, Option<String>>> {
    static CACHE: OnceLock<Mutex<HashMap<CacheKey, Option<String>>>> = OnceLock::new();
    CACHE.get_or_init(|| Mutex::new(HashMap::new()))
}

/// [`initrd_modules_version`] of the file at `path`, cached.
pub fn initrd_version(path: &Path) -> Option<String> {
    let metadata = std::fs::metadata(path).ok()?;
    if metadata.len() > MAX_INITRD_BYTES {
        return None;
    }
    let key = (path.to_path_buf(), metadata.len(), metadata.modified().ok());
    if let Some(found) = cache()
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
        .get(&key)
    {
        return found.clone();
    }
    let bytes = std::fs::read(path).ok()?;
    let found = std::panic::catch_unwind(|| initrd_modules_version(&bytes))
        .ok()
        .flatten();
    let mut cache = cache()
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    if cache.len() > 64 {
        cache.clear();
    }
    cache.insert(key, found.clone());
    found
}

/// Test and fixture support: a `newc` archive of `names` (empty files and
/// directories alike), ending with the trailer.
pub fn newc_archive(names: &[&str]) -> Vec<u8> {
    let mut out = Vec::new();
    for (ino, name) in names.iter().chain(["TRAILER!!!"].iter()).enumerate() {
        let name_size = name.len() + 1;
        let fields = [
            ino as u64,
            0o100644,
            0,
            0,
            1,
            0,
            0,
            0,
            0,
            0,
            0,
            name_size as u64,
            0,
        ];
        out.extend_from_slice(b"070701");
        for field in fields {
            out.extend_from_slice(format!("{field:08x}").as_bytes());
        }
        out.extend_from_slice(name.as_bytes());
        out.push(0);
        while out.len() % 4 != 0 {
            out.push(0);
        }
    }
    out
}

/// Test and fixture support: a bzImage head whose version string is
/// `version`.
pub fn bzimage_head(version: &str) -> Vec<u8> {
    let mut image = vec![0u8; 0x400];
    image[0x202..0x206].copy_from_slice(b"HdrS");
    image[0x20E..0x210].copy_from_slice(&0x100u16.to_le_bytes());
    let text = format!("{version} (builder@fixture) #1 SMP");
    image[0x300..0x300 + text.len()].copy_from_slice(text.as_bytes());
    image
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_bzimage_version() {
        let head = bzimage_head("5.14.0-427.el9.x86_64");
        assert_eq!(
            bzimage_version(&head).as_deref(),
            Some("5.14.0-427.el9.x86_64")
        );
        assert_eq!(bzimage_version(b"not a kernel"), None);
        assert_eq!(bzimage_version(&head[..0x210]), None);
    }

    #[test]
    fn finds_the_modules_directory_behind_early_and_compressed_archives() {
        let early = newc_archive(&["kernel", "kernel/x86/microcode/GenuineIntel.bin"]);
        let main = newc_archive(&[
            "usr",
            "usr/bin/bash",
            "usr/lib/modules/5.14.0-427.el9.x86_64",
            "usr/lib/modules/5.14.0-427.el9.x86_64/modules.dep",
        ]);
        assert_eq!(
            initrd_modules_version(&main).as_deref(),
            Some("5.14.0-427.el9.x86_64")
        );
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(&main).unwrap();
        let mut initrd = early.clone();
        initrd.extend_from_slice(&[0; 512]);
        initrd.extend_from_slice(&gz.finish().unwrap());
        assert_eq!(
            initrd_modules_version(&initrd).as_deref(),
            Some("5.14.0-427.el9.x86_64")
        );
        let mut xz = Vec::new();
        lzma_rs::xz_compress(&mut std::io::Cursor::new(&main), &mut xz).unwrap();
        let mut initrd = early;
        initrd.extend_from_slice(&xz);
        assert_eq!(
            initrd_modules_version(&initrd).as_deref(),
            Some("5.14.0-427.el9.x86_64")
        );
        // No modules, damaged data: no answer, no panic.
        assert_eq!(initrd_modules_version(&newc_archive(&["etc"])), None);
        assert_eq!(initrd_modules_version(&[0x1f, 0x8b, 1, 2, 3]), None);
        assert_eq!(initrd_modules_version(b"070701zzzz"), None);
        assert_eq!(initrd_modules_version(b""), None);
    }
}
