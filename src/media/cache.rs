//! The on-disk cache of what was read from a media tree, so that a warm run
//! does not re-read unchanged RPMs or re-hash unchanged repodata.
//!
//! One file per media root in `$XDG_CACHE_HOME/kslint` (or
//! `~/.cache/kslint`), never inside the media tree. Entries are keyed by
//! absolute path, size and modification time. The file is written to a
//! temporary name and renamed over the old one, so that concurrent
//! processes only ever see a whole file; a file that does not decode is
//! ignored and rebuilt.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::UNIX_EPOCH;

use sha2::{Digest, Sha256};

use super::index::{Dep, FastMap, Package};

const MAGIC: &[u8; 8] = b"KSLMC\0\0\x03";

/// Size and modification time (nanoseconds since the epoch) of a file.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Stamp {
    pub size: u64,
    pub mtime: i128,
}

impl Stamp {
    pub fn of(metadata: &std::fs::Metadata) -> Stamp {
        let mtime = metadata
            .modified()
            .ok()
            .map(|time| match time.duration_since(UNIX_EPOCH) {
                Ok(after) => after.as_nanos() as i128,
                Err(before) => -(before.duration().as_nanos() as i128),
            })
            .unwrap_or(0);
        Stamp {
            size: metadata.len(),
            mtime,
        }
    }

    pub fn read(path: &Path) -> Option<Stamp> {
        std::fs::metadata(path).ok().map(|m| Stamp::of(&m))
    }
}

/// Everything cached for one media root.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Cache {
    /// RPM path → header (or why it could not be read).
    pub rpms: FastMap<String, (Stamp, Result<Package, String>)>,
    /// Repodata file path → (algorithm, hex digest) of its content.
    pub digests: FastMap<String, (Stamp, String, String)>,
    /// primary path → packages read from it (+ filelists when stamped).
    pub primaries: FastMap<String, (Stamp, Option<Stamp>, Vec<Package>)>,
}

/// `$XDG_CACHE_HOME/kslint`, else `~/.cache/kslint`.
pub fn cache_dir() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os("KSLINT_CACHE_DIR").filter(|d| !d.is_empty()) {
        return Some(PathBuf::from(dir));
    }
    let base = std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .filter(|dir| dir.is_absolute())
        .or_else(|| {
            std::env::var_os("HOME")
                .filter(|h| !h.is_empty())
                .map(|home| PathBuf::from(home).join(".cache"))
        })?;
    Some(base.join("kslint"))
}

/// The cache file of one media root.
pub fn cache_file(root: &Path) -> Option<PathBuf> {
    let root = std::fs::canonicalize(root).unwrap_or_else(|_| root.to_path_buf());
    let digest = Sha256::digest(root.to_string_lossy().as_bytes());
    let name: String = digest[..10].iter().map(|b| format!("{b:02x}")).collect();
    Some(cache_dir()?.join(format!("media-{name}.bin")))
}

impl Cache {
    pub fn load(path: &Path) -> Cache {
        std::fs::read(path)
            .ok()
            .and_then(|bytes| decode(&bytes))
            .unwrap_or_default()
    }

    /// Writes the cache atomically (temporary file + rename). Failures are
    /// ignored: the cache is an optimisation.
    pub fn store(&self, path: &Path) {
        let Some(dir) = path.parent() else { return };
        if std::fs::create_dir_all(dir).is_err() {
            return;
        }
        let nanos = std::time::SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        let temp = dir.join(format!(
            ".{}.{}.{nanos}.tmp",
            path.file_name().and_then(|n| n.to_str()).unwrap_or("cache"),
            std::process::id()
        ));
        let written = std::fs::File::create(&temp).and_then(|mut file| {
            file.write_all(&encode(self))?;
            file.flush()
        });
        if written.is_err() || std::fs::rename(&temp, path).is_err() {
            let _ = std::fs::remove_file(&temp);
        }
    }
}

struct Writer(Vec<u8>);

impl Writer {
    fn u64(&mut self, value: u64) {
        self.0.extend_from_slice(&value.to_le_bytes());
    }
    fn u32(&mut self, value: u32) {
        self.0.extend_from_slice(&value.to_le_bytes());
    }
    fn stamp(&mut self, stamp: Stamp) {
        self.u64(stamp.size);
        self.0.extend_from_slice(&stamp.mtime.to_le_bytes());
    }
    fn str(&mut self, text: &str) {
        self.u32(text.len() as u32);
        self.0.extend_from_slice(text.as_bytes());
    }
    fn deps(&mut self, deps: &[Dep]) {
        self.u32(deps.len() as u32);
        for dep in deps {
            self.str(&dep.name);
            self.u32(dep.flags);
            self.str(&dep.version);
        }
    }
    fn package(&mut self, p: &Package) {
        for text in [
            &p.name,
            &p.version,
            &p.release,
            &p.arch,
            &p.summary,
            &p.location,
        ] {
            self.str(text);
        }
        self.u32(p.epoch);
        self.u64(p.size);
        for deps in [&p.provides, &p.requires, &p.conflicts, &p.obsoletes] {
            self.deps(deps);
        }
        self.u32(p.files.len() as u32);
        for file in &p.files {
            self.str(file);
        }
    }
}

fn encode(cache: &Cache) -> Vec<u8> {
    let mut w = Writer(MAGIC.to_vec());
    w.u32(cache.rpms.len() as u32);
    for (path, (stamp, entry)) in &cache.rpms {
        w.str(path);
        w.stamp(*stamp);
        match entry {
            Ok(package) => {
                w.0.push(1);
                w.package(package);
            }
            Err(message) => {
                w.0.push(0);
                w.str(message);
            }
        }
    }
    w.u32(cache.digests.len() as u32);
    for (path, (stamp, algorithm, hex)) in &cache.digests {
        w.str(path);
        w.stamp(*stamp);
        w.str(algorithm);
        w.str(hex);
    }
    w.u32(cache.primaries.len() as u32);
    for (path, (stamp, filelists, packages)) in &cache.primaries {
        w.str(path);
        w.stamp(*stamp);
        match filelists {
            Some(stamp) => {
                w.0.push(1);
                w.stamp(*stamp);
            }
            None => w.0.push(0),
        }
        w.u32(packages.len() as u32);
        for package in packages {
            w.package(package);
        }
    }
    w.0
}

struct Reader<'b> {
    bytes: &'b [u8],
}

impl<'b> Reader<'b> {
    fn take(&mut self, n: usize) -> Option<&'b [u8]> {
        if n > self.bytes.len() {
            return None;
        }
        let (head, tail) = self.bytes.split_at(n);
        self.bytes = tail;
        Some(head)
    }
    fn u8(&mut self) -> Option<u8> {
        self.take(1).map(|b| b[0])
    }
    fn u32(&mut self) -> Option<u32> {
        Some(u32::from_le_bytes(self.take(4)?.try_into().ok()?))
    }
    fn u64(&mut self) -> Option<u64> {
        Some(u64::from_le_bytes(self.take(8)?.try_into().ok()?))
    }
    fn count(&mut self) -> Option<usize> {
        let n = self.u32()? as usize;
        // Every element takes at least one byte: rejects absurd counts.
        (n <= self.bytes.len()).then_some(n)
    }
    fn stamp(&mut self) -> Option<Stamp> {
        let size = self.u64()?;
        let mtime = i128::from_le_bytes(self.take(16)?.try_into().ok()?);
        Some(Stamp { size, mtime })
    }
    fn str(&mut self) -> Option<String> {
        let n = self.u32()? as usize;
        String::from_utf8(self.take(n)?.to_vec()).ok()
    }
    fn deps(&mut self) -> Option<Vec<Dep>> {
        let n = self.count()?;
        let mut deps = Vec::with_capacity(n);
        for _ in 0..n {
            let name = self.str()?;
            let flags = self.u32()?;
            let version = self.str()?;
            deps.push(Dep {
                name,
                flags,
                version,
            });
        }
        Some(deps)
    }
    fn package(&mut self) -> Option<Package> {
        let mut p = Package {
            name: self.str()?,
            version: self.str()?,
            release: self.str()?,
            arch: self.str()?,
            summary: self.str()?,
            location: self.str()?,
            ..Default::default()
        };
        p.epoch = self.u32()?;
        p.size = self.u64()?;
        p.provides = self.deps()?;
        p.requires = self.deps()?;
        p.conflicts = self.deps()?;
        p.obsoletes = self.deps()?;
        let n = self.count()?;
        p.files = (0..n).map(|_| self.str()).collect::<Option<_>>()?;
        Some(p)
    }
}

fn decode(bytes: &[u8]) -> Option<Cache> {
    let mut r = Reader { bytes };
    if r.take(MAGIC.len())? != MAGIC {
        return None;
    }
    let mut cache = Cache::default();
    for _ in 0..r.count()? {
        let path = r.str()?;
        let stamp = r.stamp()?;
        let entry = match r.u8()? {
            1 => Ok(r.package()?),
            _ => Err(r.str()?),
        };
        cache.rpms.insert(path, (stamp, entry));
    }
    for _ in 0..r.count()? {
        let path = r.str()?;
        let stamp = r.stamp()?;
        let algorithm = r.str()?;
        let hex = r.str()?;
        cache.digests.insert(path, (stamp, algorithm, hex));
    }
    for _ in 0..r.count()? {
        let path = r.str()?;
        let stamp = r.stamp()?;
        let filelists = match r.u8()? {
            1 => Some(r.stamp()?),
            _ => None,
        };
        let n = r.count()?;
        let packages = (0..n).map(|_| r.package()).collect::<Option<_>>()?;
        cache.primaries.insert(path, (stamp, filelists, packages));
    }
    r.bytes.is_empty().then_some(cache)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_rejects_garbage() {
        let mut cache = Cache::default();
        let package = Package {
            name: "bash".into(),
            version: "4.2".into(),
            release: "1".into(),
            arch: "x86_64".into(),
            requires: vec![Dep::new("glibc", 12, "2.17")],
            files: vec!["/bin/bash".into()],
            ..Default::default()
        };
        let stamp = Stamp {
            size: 10,
            mtime: -5,
        };
        cache
            .rpms
            .insert("/m/a.rpm".into(), (stamp, Ok(package.clone())));
        cache
            .rpms
            .insert("/m/b.rpm".into(), (stamp, Err("truncated".into())));
        cache.digests.insert(
            "/m/repodata/p.xml".into(),
            (stamp, "sha256".into(), "ab".into()),
        );
        cache
            .primaries
            .insert("/m/p".into(), (stamp, Some(stamp), vec![package]));
        let bytes = encode(&cache);
        assert_eq!(decode(&bytes), Some(cache));
        for cut in [0, 7, 8, 20, bytes.len() - 1] {
            assert_eq!(decode(&bytes[..cut]), None);
        }
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub").join("c.bin");
        Cache::default().store(&path);
        assert_eq!(Cache::load(&path), Cache::default());
    }
}
