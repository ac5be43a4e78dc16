//! Assembling a media tree from a stock install image: `kslint init` lays
//! out the seed layout from the image, `kslint collect` copies the RPMs the
//! kickstart needs. The image is read in place ([`crate::iso::reader`]): no
//! loop mount, no root. The source is never modified; every file is written
//! under a temporary name and renamed into place.

pub mod collect;
pub mod init;
pub mod modules;

use std::fmt;
use std::fs::{self, File, OpenOptions};
use std::io::{self, IsTerminal};
use std::path::{Path, PathBuf};

use crate::iso::reader::{Entry, EntryKind, IsoReadError, IsoReader};
use crate::media::repodata::Repomd;

/// An error of `init` or `collect`, naming the file concerned.
#[derive(Debug)]
pub struct AssembleError {
    pub message: String,
}

impl AssembleError {
    pub fn new(message: impl Into<String>) -> AssembleError {
        AssembleError {
            message: message.into(),
        }
    }

    pub fn io(path: &Path, error: io::Error) -> AssembleError {
        AssembleError::new(format!("{}: {error}", path.display()))
    }
}

impl fmt::Display for AssembleError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for AssembleError {}

impl From<IsoReadError> for AssembleError {
    fn from(error: IsoReadError) -> Self {
        AssembleError::new(error.to_string())
    }
}

/// The stock media files come from: an image file or a directory (an
/// extracted or mounted image).
pub enum Source {
    Iso(Box<IsoReader>),
    Dir(PathBuf),
}

/// What one file of the source is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ItemKind {
    File,
    Dir,
    Symlink(String),
    Other,
}

/// One file or directory of the source.
#[derive(Clone, Debug)]
pub struct Item {
    /// Path relative to the source root, `/`-separated.
    pub path: String,
    pub kind: ItemKind,
    pub size: u64,
    pub mode: Option<u32>,
    pub mtime: Option<i64>,
    handle: Handle,
}

#[derive(Clone, Debug)]
enum Handle {
    Iso(Entry),
    Dir(PathBuf),
}

impl Source {
    /// Opens an image file or a directory. Anything else (or an image that
    /// cannot be read) is an error naming the file and the offset.
    pub fn open(path: &Path) -> Result<Source, AssembleError> {
        let meta = fs::metadata(path).map_err(|e| AssembleError::io(path, e))?;
        if meta.is_dir() {
            return Ok(Source::Dir(path.to_path_buf()));
        }
        Ok(Source::Iso(Box::new(IsoReader::open(path)?)))
    }

    /// The `repomd.xml` of the repository at `base` (`""`, `BaseOS`, …),
    /// when the source has one.
    pub fn repomd(&self, base: &str) -> Result<Option<Repomd>, AssembleError> {
        let path = init::repo_path(base, "repodata/repomd.xml");
        let Some(item) = self.get(&path)? else {
            return Ok(None);
        };
        let text = String::from_utf8_lossy(&self.read(&item)?).into_owned();
        let repomd = Repomd::parse(&text).map_err(|e| {
            AssembleError::new(format!(
                "{}: {path}: {} (at byte {})",
                self.describe(),
                e.message,
                e.offset
            ))
        })?;
        Ok(Some(repomd))
    }

    /// A metadata file `repomd.xml` of the repository at `base` names,
    /// decompressed.
    pub fn repo_file(&self, base: &str, href: &str) -> Result<Vec<u8>, AssembleError> {
        let path = init::repo_path(base, href);
        let at = |what: String| AssembleError::new(format!("{}: {path}: {what}", self.describe()));
        let item = self.get(&path)?.ok_or_else(|| {
            at(format!(
                "named by {} but not on the media",
                init::repo_path(base, "repodata/repomd.xml")
            ))
        })?;
        crate::media::xml::decompress(&self.read(&item)?).map_err(|e| at(e.to_string()))
    }

    pub fn describe(&self) -> String {
        match self {
            Source::Iso(reader) => reader.path().display().to_string(),
            Source::Dir(dir) => dir.display().to_string(),
        }
    }

    /// The volume id recorded in the image (images only).
    pub fn volume_id(&self) -> Option<String> {
        match self {
            Source::Iso(reader) => Some(reader.volume_id().to_string()).filter(|id| !id.is_empty()),
            Source::Dir(_) => None,
        }
    }

    /// The item at `path`, if present.
    pub fn get(&self, path: &str) -> Result<Option<Item>, AssembleError> {
        match self {
            Source::Iso(reader) => Ok(reader
                .lookup(path)?
                .map(|entry| iso_item(path.trim_matches('/').to_string(), entry))),
            Source::Dir(root) => {
                let full = root.join(path);
                match fs::symlink_metadata(&full) {
                    Ok(meta) => Ok(Some(dir_item(path.to_string(), full, &meta)?)),
                    Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
                    Err(e) => Err(AssembleError::io(&full, e)),
                }
            }
        }
    }

    /// The items directly in directory `item`.
    pub fn children(&self, item: &Item) -> Result<Vec<Item>, AssembleError> {
        let join = |name: &str| {
            if item.path.is_empty() {
                name.to_string()
            } else {
                format!("{}/{name}", item.path)
            }
        };
        let mut out = Vec::new();
        match &item.handle {
            Handle::Iso(entry) => {
                let Source::Iso(reader) = self else {
                    return Ok(out);
                };
                for child in reader.read_dir(entry)? {
                    out.push(iso_item(join(&child.name), child));
                }
            }
            Handle::Dir(path) => {
                let entries = fs::read_dir(path).map_err(|e| AssembleError::io(path, e))?;
                for entry in entries {
                    let entry = entry.map_err(|e| AssembleError::io(path, e))?;
                    let full = entry.path();
                    let meta =
                        fs::symlink_metadata(&full).map_err(|e| AssembleError::io(&full, e))?;
                    let name = entry.file_name().to_string_lossy().into_owned();
                    out.push(dir_item(join(&name), full, &meta)?);
                }
            }
        }
        out.sort_by(|a, b| a.path.cmp(&b.path));
        Ok(out)
    }

    /// `item` and everything below it, parents before children.
    pub fn walk(&self, item: &Item) -> Result<Vec<Item>, AssembleError> {
        let mut out = vec![item.clone()];
        let mut i = 0;
        while i < out.len() {
            if out[i].kind == ItemKind::Dir {
                let children = self.children(&out[i].clone())?;
                if out.len() > 10_000_000 {
                    return Err(AssembleError::new("the source has too many files"));
                }
                out.extend(children);
            }
            i += 1;
        }
        Ok(out)
    }

    /// The content of a (small) file.
    pub fn read(&self, item: &Item) -> Result<Vec<u8>, AssembleError> {
        match (&item.handle, self) {
            (Handle::Iso(entry), Source::Iso(reader)) => Ok(reader.read(entry)?),
            (Handle::Dir(path), _) => fs::read(path).map_err(|e| AssembleError::io(path, e)),
            _ => Err(AssembleError::new("internal: item of another source")),
        }
    }

    /// Reads the RPM header of file `item` (only the header is read).
    pub fn rpm_header(
        &self,
        item: &Item,
        location: &str,
    ) -> Result<crate::media::Package, AssembleError> {
        let result = match (&item.handle, self) {
            (Handle::Iso(entry), Source::Iso(reader)) => crate::media::rpmhdr::read_package_from(
                &mut reader.open_file(entry),
                item.size,
                location,
            ),
            (Handle::Dir(path), _) => crate::media::rpmhdr::read_package(path, location),
            _ => Err("internal: item of another source".into()),
        };
        result.map_err(|e| AssembleError::new(format!("{}: {}: {e}", self.describe(), item.path)))
    }

    /// Copies file `item` to `dest` through a temporary file beside it
    /// (renamed into place only when complete). `progress` gets byte counts.
    pub fn copy(
        &self,
        item: &Item,
        dest: &Path,
        progress: &mut dyn FnMut(u64),
    ) -> Result<(), AssembleError> {
        // Mode and time are set on the temporary file, so that whatever
        // carries the final name is complete: a run killed after the rename
        // leaves a file the next run recognises (same size and time).
        write_atomically(dest, |out| {
            match (&item.handle, self) {
                (Handle::Iso(entry), Source::Iso(reader)) => {
                    reader.copy_to(entry, out, progress)?;
                }
                (Handle::Dir(path), _) => copy_file(path, out, progress)?,
                _ => return Err(io::Error::other("internal: item of another source")),
            }
            finish_metadata(out, item.mode, item.mtime);
            Ok(())
        })
        .map_err(|e| {
            AssembleError::new(format!("copying {} to {}: {e}", item.path, dest.display()))
        })?;
        Ok(())
    }
}

fn iso_item(path: String, entry: Entry) -> Item {
    Item {
        path,
        kind: match &entry.kind {
            EntryKind::File => ItemKind::File,
            EntryKind::Dir => ItemKind::Dir,
            EntryKind::Symlink(target) => ItemKind::Symlink(target.clone()),
            EntryKind::Other => ItemKind::Other,
        },
        size: entry.size,
        mode: entry.mode,
        mtime: entry.mtime,
        handle: Handle::Iso(entry),
    }
}

fn dir_item(path: String, full: PathBuf, meta: &fs::Metadata) -> Result<Item, AssembleError> {
    use std::os::unix::fs::MetadataExt;
    let kind = if meta.is_dir() {
        ItemKind::Dir
    } else if meta.is_file() {
        ItemKind::File
    } else if meta.file_type().is_symlink() {
        let target = fs::read_link(&full).map_err(|e| AssembleError::io(&full, e))?;
        ItemKind::Symlink(target.to_string_lossy().into_owned())
    } else {
        ItemKind::Other
    };
    Ok(Item {
        path,
        kind,
        size: meta.len(),
        mode: Some(meta.mode()),
        mtime: Some(meta.mtime()),
        handle: Handle::Dir(full),
    })
}

/// Copies `from` into `out` (in-kernel where possible), reporting progress in pieces.
fn copy_file(from: &Path, out: &mut File, progress: &mut dyn FnMut(u64)) -> io::Result<()> {
    use std::io::Read;
    let mut source = File::open(from)?;
    loop {
        let copied = io::copy(&mut (&mut source).take(64 << 20), out)?;
        if copied == 0 {
            return Ok(());
        }
        progress(copied);
    }
}

/// Sets a file's modification time (best effort: a tree without the
/// source's times is still correct).
/// Gives a copy its source's permissions (execute bits kept, always
/// writable by the owner: the tree is ours to edit) and modification time.
fn finish_metadata(file: &File, mode: Option<u32>, mtime: Option<i64>) {
    if let Some(mode) = mode {
        use std::os::unix::fs::PermissionsExt;
        let _ = file.set_permissions(fs::Permissions::from_mode((mode & 0o777) | 0o200));
    }
    if let Some(secs) = mtime {
        let time = if secs >= 0 {
            std::time::UNIX_EPOCH + std::time::Duration::from_secs(secs as u64)
        } else {
            std::time::UNIX_EPOCH
        };
        let _ = file.set_times(fs::FileTimes::new().set_modified(time));
    }
}

/// The temporary name a file is written under before the rename.
pub fn temp_name(dest: &Path) -> PathBuf {
    let name = dest
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    dest.with_file_name(format!(".{name}.{}.kslint-tmp", std::process::id()))
}

/// Whether a file name is one of our temporary names (left by an
/// interrupted run).
pub fn is_temp_name(name: &str) -> bool {
    name.starts_with('.') && name.ends_with(".kslint-tmp")
}

/// Writes `dest` through `fill` into a temporary file beside it, then
/// renames it into place; on any error the temporary file is removed.
pub fn write_atomically(
    dest: &Path,
    fill: impl FnOnce(&mut File) -> io::Result<()>,
) -> io::Result<()> {
    let tmp = temp_name(dest);
    let mut file = OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .open(&tmp)?;
    let result = fill(&mut file).and_then(|()| {
        drop(file);
        fs::rename(&tmp, dest)
    });
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result
}

/// A byte progress bar on stderr, hidden when stderr is not a terminal or
/// when `quiet`.
pub fn progress_bar(total: u64, quiet: bool) -> indicatif::ProgressBar {
    if quiet || !io::stderr().is_terminal() {
        return indicatif::ProgressBar::hidden();
    }
    let bar = indicatif::ProgressBar::new(total);
    bar.set_style(
        indicatif::ProgressStyle::with_template(
            "{bar:40} {bytes}/{total_bytes} {bytes_per_sec} {wide_msg}",
        )
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    bar
}
