//! The ISO 9660 mastering engine: a [`Tree`] and [`IsoOptions`] in, an
//! image out.
//!
//! What it writes: ISO 9660 (levels 1-3, path tables L and M, multi-extent
//! files of 4 GiB and more), Rock Ridge (SUSP `SP`/`ER`/`CE`, `PX`, `PN`,
//! `NM`, `SL`, `TF`; directories deeper than the 8 levels of ISO 9660 moved
//! to a relocation directory with `CL`/`PL`/`RE`, so the ISO 9660 tree stays
//! valid and Rock Ridge readers see them in place), Joliet (UCS-2, names up
//! to 103 characters, the real hierarchy),
//! El Torito (BIOS no-emulation entry with boot-info-table patched into the
//! image only, UEFI entry), isohybrid MBR + GPT, optional TRANS.TBL files,
//! and the `implantisomd5` record checked by `checkisomd5`.
//!
//! Output is deterministic: directory entries are sorted, no clock is read
//! when [`IsoOptions::timestamp`] is set (file times are clamped to it), and
//! disk signatures and GUIDs are derived from the image's own parameters.
//! File contents are streamed (memory use does not grow with file sizes).
//!
//! ```no_run
//! use kslint::iso::{self, Control, IsoOptions, Tree};
//! let tree = Tree::from_dir("build_iso/isolinux".as_ref())?;
//! let mut opts = IsoOptions::default();
//! opts.volume_id = "CentOS 7 x86_64".into();
//! let image = iso::prepare(tree, &opts)?;
//! image.write_file("out.iso".as_ref(), &mut Control::default())?;
//! # Ok::<(), iso::IsoError>(())
//! ```

mod eltorito;
mod hybrid;
mod layout;
mod md5;
mod names;
pub mod reader;
mod rockridge;
mod time;
mod tree;
mod writer;

use std::fmt;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Seek, SeekFrom, Write};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;

pub use tree::{image_path, FileSource, Meta, Node, NodeId, NodeKind, Special, Tree};

/// El Torito settings. Paths are image paths (relative to the tree root).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BootOptions {
    /// BIOS no-emulation boot image, e.g. `isolinux/isolinux.bin`.
    pub bios_image: Option<String>,
    /// 512-byte sectors the BIOS loads (`-boot-load-size`), normally 4.
    pub load_size: u16,
    /// Patch the boot-info-table into the image's copy of the boot file.
    pub boot_info_table: bool,
    /// UEFI boot image (a FAT filesystem image), e.g. `images/efiboot.img`.
    pub efi_image: Option<String>,
    /// Where the boot catalog appears in the tree, e.g. `isolinux/boot.cat`.
    pub catalog: String,
}

impl Default for BootOptions {
    fn default() -> Self {
        BootOptions {
            bios_image: None,
            load_size: 4,
            boot_info_table: true,
            efi_image: None,
            catalog: "boot.cat".into(),
        }
    }
}

/// isohybrid settings (MBR + GPT in the system area).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HybridOptions {
    /// MBR boot code (isolinux's `isohdpfx.bin`; the first 432 bytes are used).
    /// Without it the image still boots from USB in UEFI mode, not in BIOS mode.
    pub mbr_code: Option<Vec<u8>>,
    /// Write a GPT (needs an EFI image to point its EFI system partition at).
    pub gpt: bool,
}

/// Image settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IsoOptions {
    /// Volume identifier (at most 32 bytes). Boot configurations refer to it (`LABEL=`).
    pub volume_id: String,
    pub system_id: String,
    pub volume_set_id: String,
    pub publisher: String,
    pub preparer: String,
    pub application: String,
    /// ISO 9660 interchange level 1, 2 or 3 (3: 30-character names and multi-extent files).
    pub iso_level: u8,
    pub rock_ridge: bool,
    /// Keep file owners in Rock Ridge; otherwise everything is owned by 0:0.
    pub keep_owner: bool,
    pub joliet: bool,
    /// Write a `TRANS.TBL` in each directory (like `mkisofs -T`).
    pub trans_tbl: bool,
    /// Fixed time (seconds since the epoch, e.g. `SOURCE_DATE_EPOCH`) for the
    /// volume dates; file times later than it are clamped to it.
    pub timestamp: Option<i64>,
    pub boot: Option<BootOptions>,
    pub hybrid: Option<HybridOptions>,
    /// Implant the media check MD5 (needs a seekable output).
    pub implant_md5: bool,
    /// Zero sectors after the data (Linux read-ahead at the end of a CD).
    pub pad_sectors: u32,
    /// `fsync` the output before renaming it into place ([`Image::write_file`]).
    pub fsync: bool,
}

impl Default for IsoOptions {
    fn default() -> Self {
        IsoOptions {
            volume_id: "CDROM".into(),
            system_id: "LINUX".into(),
            volume_set_id: String::new(),
            publisher: String::new(),
            preparer: String::new(),
            application: format!("KSLINT {}", env!("CARGO_PKG_VERSION")),
            iso_level: 3,
            rock_ridge: true,
            keep_owner: false,
            joliet: true,
            trans_tbl: false,
            timestamp: None,
            boot: None,
            hybrid: None,
            implant_md5: false,
            pad_sectors: 150,
            fsync: false,
        }
    }
}

/// Progress of a write: bytes of the image done so far, and the file being copied.
#[derive(Debug, Clone, Copy)]
pub struct Progress<'a> {
    pub done: u64,
    pub total: u64,
    pub current: &'a str,
}

impl Progress<'_> {
    pub fn percent(&self) -> f64 {
        if self.total == 0 {
            100.0
        } else {
            self.done as f64 * 100.0 / self.total as f64
        }
    }
}

/// Progress callback and cancel flag for a write (both optional).
#[derive(Default)]
pub struct Control<'a> {
    pub progress: Option<&'a mut dyn FnMut(&Progress<'_>)>,
    /// Checked between files and between pieces of large files.
    pub cancel: Option<&'a AtomicBool>,
}

/// A name that had to be changed in the ISO 9660 tree because the mangled
/// form of another name took it (Rock Ridge and Joliet keep the real name).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Renamed {
    pub path: String,
    pub iso_name: String,
}

/// What a finished write produced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WriteReport {
    pub size: u64,
    /// The implanted media-check MD5 (hex), when requested.
    pub md5: Option<String>,
}

/// Everything that can go wrong. Messages name the offending path.
#[derive(Debug)]
pub enum IsoError {
    Io {
        path: PathBuf,
        source: io::Error,
    },
    Output {
        path: PathBuf,
        source: io::Error,
    },
    NotADirectory(PathBuf),
    SymlinkEscapes {
        path: PathBuf,
        target: String,
        why: String,
    },
    Unsupported {
        path: PathBuf,
        what: String,
    },
    InvalidPath(String),
    InvalidOption(String),
    NameCollision {
        dir: String,
        first: String,
        second: String,
        name: String,
        namespace: &'static str,
    },
    FileVanished {
        path: PathBuf,
    },
    FileChanged {
        path: PathBuf,
        expected: u64,
        actual: u64,
    },
    FileModified {
        path: PathBuf,
    },
    Cancelled,
}

impl IsoError {
    pub(crate) fn io(path: &Path, source: io::Error) -> IsoError {
        IsoError::Io {
            path: path.to_path_buf(),
            source,
        }
    }
}

impl fmt::Display for IsoError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            IsoError::Io { path, source } => write!(f, "{}: {source}", path.display()),
            IsoError::Output { path, source } => {
                write!(f, "writing {}: {source}", path.display())?;
                if matches!(
                    source.kind(),
                    io::ErrorKind::StorageFull | io::ErrorKind::FileTooLarge | io::ErrorKind::QuotaExceeded
                ) {
                    write!(
                        f,
                        " (the file system is full, or a file size or disk quota limit such as \
                         `ulimit -f` was reached; the partial image was removed and the target left as it was)"
                    )?;
                }
                Ok(())
            }
            IsoError::NotADirectory(p) => write!(f, "{} is not a directory", p.display()),
            IsoError::SymlinkEscapes { path, target, why } => write!(
                f,
                "symbolic link {} -> {target} points outside the tree ({why}); the image would \
                 contain a dangling link: make it relative and inside the tree, or replace it by the file",
                path.display()
            ),
            IsoError::Unsupported { path, what } => write!(f, "{}: {what}", path.display()),
            IsoError::InvalidPath(s) => write!(f, "{s}"),
            IsoError::InvalidOption(s) => write!(f, "{s}"),
            IsoError::NameCollision { dir, first, second, name, namespace } => write!(
                f,
                "names collide after mangling: {first:?} and {second:?} in {dir} both become \
                 {name:?} in the {namespace} tree; rename one of them{}",
                if *namespace == "Joliet" { " (or build without Joliet)" } else { "" }
            ),
            IsoError::FileVanished { path } => {
                write!(f, "{} vanished while the image was being written; nothing was written to the target", path.display())
            }
            IsoError::FileChanged { path, expected, actual } => write!(
                f,
                "{} changed size while the image was being written ({expected} bytes when scanned, \
                 {actual} now); nothing was written to the target",
                path.display()
            ),
            IsoError::FileModified { path } => write!(
                f,
                "{} was modified while the image was being written (its modification time \
                 changed since the tree was scanned); nothing was written to the target",
                path.display()
            ),
            IsoError::Cancelled => write!(f, "cancelled"),
        }
    }
}

/// No `source()`: the messages above already include the underlying error
/// (`{:#}` would print it twice).
impl std::error::Error for IsoError {}

/// Removes temporary images `.NAME.<pid>.kslint-tmp` in `dir` left by
/// builds that were killed (their process is gone).
fn remove_abandoned_temps(dir: &Path, name: &str) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    let prefix = format!(".{name}.");
    for entry in entries.flatten() {
        let file = entry.file_name().to_string_lossy().into_owned();
        let Some(pid) = file
            .strip_prefix(&prefix)
            .and_then(|r| r.strip_suffix(".kslint-tmp"))
            .and_then(|p| p.parse::<u32>().ok())
        else {
            continue;
        };
        // (Our own id: a killed build whose id this process got again; this
        // process makes its temporary file only after this clean-up.)
        let alive = pid != std::process::id() && Path::new("/proc").join(pid.to_string()).exists();
        if !alive && entry.file_type().is_ok_and(|t| t.is_file()) {
            let _ = fs::remove_file(entry.path());
        }
    }
}

/// A laid-out image, ready to be written (any number of times).
pub struct Image {
    plan: layout::Plan,
}

/// Validates the tree and options and lays the image out. Nothing is read
/// from file contents yet except the first bytes of the BIOS boot image.
pub fn prepare(tree: Tree, opts: &IsoOptions) -> Result<Image, IsoError> {
    Ok(Image {
        plan: layout::plan(tree, opts)?,
    })
}

/// Prepares and writes an image to `path` atomically (see [`Image::write_file`]).
pub fn build(
    tree: Tree,
    opts: &IsoOptions,
    path: &Path,
    ctl: &mut Control<'_>,
) -> Result<WriteReport, IsoError> {
    prepare(tree, opts)?.write_file(path, ctl)
}

impl Image {
    /// Size of the image in bytes.
    pub fn size(&self) -> u64 {
        self.plan.total_bytes()
    }

    /// Names changed in the ISO 9660 tree to resolve collisions.
    pub fn renamed(&self) -> &[Renamed] {
        &self.plan.renamed
    }

    /// Remarks about the layout worth telling the user (e.g. deep directories).
    pub fn notes(&self) -> &[String] {
        &self.plan.notes
    }

    /// Image path and LBA of every file's data (for tests and diagnostics).
    pub fn file_extents(&self) -> Vec<(String, u32, u64)> {
        self.plan
            .data
            .iter()
            .map(|d| (self.plan.tree.path_of(d.node), d.lba, d.size))
            .collect()
    }

    /// Streams the image. The media-check MD5 cannot be implanted into a
    /// stream that is already out; with [`IsoOptions::implant_md5`] set, the
    /// 512-byte record to put at byte `16 * 2048 + 883` is returned instead.
    pub fn write_to<W: Write>(
        &self,
        mut out: W,
        ctl: &mut Control<'_>,
    ) -> Result<Option<[u8; 512]>, IsoError> {
        let res = writer::write_image(&self.plan, writer::Target::Stream(&mut out), ctl)?;
        out.flush().map_err(|e| IsoError::Output {
            path: PathBuf::from("<stream>"),
            source: e,
        })?;
        Ok(res.map(|(a, _)| a))
    }

    /// Writes the image to a seekable output, implanting the MD5 when asked.
    pub fn write_seekable<W: Write + Seek>(
        &self,
        mut out: W,
        ctl: &mut Control<'_>,
    ) -> Result<WriteReport, IsoError> {
        let start = out.stream_position().map_err(|e| IsoError::Output {
            path: "<stream>".into(),
            source: e,
        })?;
        let res = writer::write_image(&self.plan, writer::Target::Stream(&mut out), ctl)?;
        let oerr = |e| IsoError::Output {
            path: "<stream>".into(),
            source: e,
        };
        let md5 = match res {
            Some((appdata, sum)) => {
                out.seek(SeekFrom::Start(start + layout::APPDATA_POS))
                    .map_err(oerr)?;
                out.write_all(&appdata).map_err(oerr)?;
                out.seek(SeekFrom::Start(start + self.size()))
                    .map_err(oerr)?;
                Some(sum)
            }
            None => None,
        };
        out.flush().map_err(oerr)?;
        Ok(WriteReport {
            size: self.size(),
            md5,
        })
    }

    /// Writes the image to a temporary file next to `path` and renames it
    /// into place: an interrupted or failed build never leaves a partial
    /// image at `path`. Uses in-kernel copies (`copy_file_range`) where the
    /// filesystem allows and no MD5 has to be computed.
    pub fn write_file(&self, path: &Path, ctl: &mut Control<'_>) -> Result<WriteReport, IsoError> {
        let name = path.file_name().ok_or_else(|| {
            IsoError::InvalidPath(format!("{} is not a file path", path.display()))
        })?;
        let dir = match path.parent() {
            Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
            _ => PathBuf::from("."),
        };
        if path.is_dir() {
            return Err(IsoError::InvalidPath(format!(
                "{} is a directory",
                path.display()
            )));
        }
        remove_abandoned_temps(&dir, &name.to_string_lossy());
        let tmp = dir.join(format!(
            ".{}.{}.kslint-tmp",
            name.to_string_lossy(),
            std::process::id()
        ));
        let oerr = |e| IsoError::Output {
            path: tmp.clone(),
            source: e,
        };
        // Removed by the signal handler of `crate::cleanup::install` if a
        // signal ends the process (registered first: see `cleanup::register`).
        let registered = crate::cleanup::register(&tmp);
        let mut file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&tmp)
            .map_err(oerr)?;
        struct Cleanup<'p>(Option<&'p Path>);
        impl Drop for Cleanup<'_> {
            fn drop(&mut self) {
                if let Some(p) = self.0 {
                    let _ = fs::remove_file(p);
                }
            }
        }
        let mut guard = Cleanup(Some(&tmp));
        let res =
            writer::write_image(&self.plan, writer::Target::File(&mut file), ctl).map_err(|e| {
                match e {
                    IsoError::Output { source, .. } => IsoError::Output {
                        path: path.to_path_buf(),
                        source,
                    },
                    other => other,
                }
            })?;
        let md5 = match res {
            Some((appdata, sum)) => {
                file.write_all_at(&appdata, layout::APPDATA_POS)
                    .map_err(oerr)?;
                Some(sum)
            }
            None => None,
        };
        if self.plan.opts.fsync {
            file.sync_all().map_err(oerr)?;
        }
        drop::<File>(file);
        registered.commit(
            || IsoError::Cancelled,
            || {
                fs::rename(&tmp, path).map_err(|e| IsoError::Output {
                    path: path.to_path_buf(),
                    source: e,
                })
            },
        )?;
        guard.0 = None;
        Ok(WriteReport {
            size: self.size(),
            md5,
        })
    }
}
