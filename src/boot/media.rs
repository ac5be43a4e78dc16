//! Where a boot configuration sits on the install media: the ISO root its
//! paths resolve against, the other configurations of the same media, and
//! the `grub.cfg` inside `images/efiboot.img`, read from the FAT image with
//! the `fatfs` crate (no mount, no root).
//!
//! This is a small layout discovery of its own: the seed layout (the ISO
//! root is `build_iso/isolinux/`, holding `isolinux.cfg` next to `.discinfo`
//! and `ks/`) and the stock layout (`isolinux/`, `EFI/BOOT/`, `images/`).

use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use crate::analysis::{self, CheckOptions};

/// Names whose presence marks a directory as the root of a media tree.
const ROOT_MARKERS: &[&str] = &[
    ".discinfo",
    ".treeinfo",
    "Packages",
    "repodata",
    "images",
    "LiveOS",
    "EFI",
    "BaseOS",
    "AppStream",
    "media.repo",
];

/// The media tree a configuration belongs to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Media {
    /// The directory that becomes the ISO root.
    pub root: PathBuf,
    /// The root was given (`--media`, `[media] root`) or holds media files;
    /// otherwise path checks are skipped, since the tree may be elsewhere.
    pub confident: bool,
}

/// The role of a configuration on the media.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Role {
    /// Read by ISOLINUX (or GRUB on BIOS, `boot/grub2/grub.cfg`).
    Bios,
    /// `EFI/BOOT/grub.cfg` in the ISO tree: used when booting from optical
    /// media on UEFI.
    Uefi,
    /// The `grub.cfg` inside `images/efiboot.img`: used when the image is
    /// written to a USB stick and booted on UEFI.
    EfiImage,
    /// Not at a place a loader on the media reads (a template, a copy).
    Other,
}

impl Role {
    pub fn describe(self) -> &'static str {
        match self {
            Role::Bios => "the BIOS boot menu",
            Role::Uefi => "the UEFI boot menu",
            Role::EfiImage => "the UEFI menu inside images/efiboot.img",
            Role::Other => "a boot menu",
        }
    }
}

/// Configurations at the places loaders read them, relative to the ISO
/// root, with their role (first match of each role wins).
pub const CONFIG_PLACES: &[(&str, Role)] = &[
    ("isolinux/isolinux.cfg", Role::Bios),
    ("isolinux.cfg", Role::Bios),
    ("syslinux/syslinux.cfg", Role::Bios),
    ("syslinux.cfg", Role::Bios),
    ("boot/grub2/grub.cfg", Role::Bios),
    ("EFI/BOOT/grub.cfg", Role::Uefi),
    ("EFI/BOOT/BOOT.conf", Role::Uefi),
    ("EFI/BOOT/BOOTX64.conf", Role::Uefi),
];

/// Configuration files inside the EFI image, in the order GRUB finds them.
pub const EFI_IMAGE_CONFIGS: &[&str] = &[
    "EFI/BOOT/grub.cfg",
    "EFI/BOOT/BOOT.conf",
    "EFI/BOOT/BOOTX64.conf",
];

pub const EFI_IMAGE: &str = "images/efiboot.img";

fn has_markers(dir: &Path) -> bool {
    ROOT_MARKERS.iter().any(|name| dir.join(name).exists())
}

fn ends_with_ci(dir: &Path, tail: &[&str]) -> bool {
    let names: Vec<String> = dir
        .components()
        .rev()
        .take(tail.len())
        .map(|c| c.as_os_str().to_string_lossy().to_ascii_lowercase())
        .collect();
    names.len() == tail.len()
        && names
            .iter()
            .zip(tail.iter().rev())
            .all(|(name, want)| name == want)
}

/// Finds the media root of the configuration at `config_path`; relative
/// when `config_path` is, so messages show paths the way they were given.
pub fn discover(config_path: &Path, options: &CheckOptions) -> Media {
    let mut media = discover_absolute(config_path, options);
    if config_path.is_relative() && media.root.is_absolute() {
        let cwd = std::env::current_dir().and_then(std::fs::canonicalize);
        if let Ok(Ok(relative)) = cwd.as_ref().map(|cwd| media.root.strip_prefix(cwd)) {
            media.root = if relative.as_os_str().is_empty() {
                PathBuf::from(".")
            } else {
                relative.to_path_buf()
            };
        }
    }
    media
}

fn discover_absolute(config_path: &Path, options: &CheckOptions) -> Media {
    if let Some(root) = analysis::media_root(options) {
        return Media {
            root,
            confident: true,
        };
    }
    let absolute = std::fs::canonicalize(config_path).unwrap_or_else(|_| config_path.to_path_buf());
    let dir = absolute.parent().map(Path::to_path_buf).unwrap_or_default();
    let up = |levels: usize| {
        let mut root = dir.clone();
        for _ in 0..levels {
            root = root.parent().map(Path::to_path_buf).unwrap_or(root);
        }
        root
    };
    if ends_with_ci(&dir, &["efi", "boot"])
        || ends_with_ci(&dir, &["boot", "grub2"])
        || ends_with_ci(&dir, &["boot", "grub"])
    {
        let root = up(2);
        let confident = has_markers(&root);
        return Media { root, confident };
    }
    if has_markers(&dir) {
        return Media {
            root: dir,
            confident: true,
        };
    }
    // Stock layout: `isolinux/` (or `syslinux/`) directly under the root.
    if ends_with_ci(&dir, &["isolinux"]) || ends_with_ci(&dir, &["syslinux"]) {
        let root = up(1);
        let confident = has_markers(&root);
        return Media { root, confident };
    }
    Media {
        root: dir,
        confident: false,
    }
}

/// The role of the file at `path` on the media rooted at `root`.
pub fn role_of(path: &Path, root: &Path) -> Role {
    let absolute = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
    let root = std::fs::canonicalize(root).unwrap_or_else(|_| root.to_path_buf());
    let Ok(relative) = absolute.strip_prefix(&root) else {
        return Role::Other;
    };
    let relative = relative.to_string_lossy().replace('\\', "/");
    CONFIG_PLACES
        .iter()
        .find(|(place, _)| place.eq_ignore_ascii_case(&relative))
        .map_or(Role::Other, |(_, role)| *role)
}

/// `relative` under `root`, matching each name exactly or, failing that,
/// ignoring ASCII case (ISO 9660 names without Rock Ridge are upper case,
/// and ISOLINUX looks them up without regard to case).
pub fn resolve(root: &Path, relative: &str) -> Option<PathBuf> {
    resolve_from(root, root, relative)
}

/// [`resolve`] for a path relative to `dir`, a directory of the media
/// rooted at `root` (SYSLINUX reads names relative to its own directory):
/// `..` climbs from `dir` but, as on the loaders' file systems, never
/// above `root`, so a path never escapes the media.
pub fn resolve_from(root: &Path, dir: &Path, relative: &str) -> Option<PathBuf> {
    let floor = if dir.starts_with(root) { root } else { dir };
    let mut path = dir.to_path_buf();
    for part in relative
        .split('/')
        .filter(|part| !part.is_empty() && *part != ".")
    {
        if part == ".." {
            if path != floor {
                path.pop();
            }
            continue;
        }
        let exact = path.join(part);
        if exact.exists() {
            path = exact;
            continue;
        }
        let entries = std::fs::read_dir(&path).ok()?;
        let found = entries.filter_map(Result::ok).find(|entry| {
            entry
                .file_name()
                .to_string_lossy()
                .eq_ignore_ascii_case(part)
        })?;
        path = found.path();
    }
    path.exists().then_some(path)
}

/// What `images/efiboot.img` holds.
#[derive(Debug)]
pub enum EfiImage {
    /// A configuration file: its path inside the image and its bytes.
    Config { inner: &'static str, bytes: Vec<u8> },
    /// A readable FAT file system without any of [`EFI_IMAGE_CONFIGS`].
    NoConfig,
    /// Not readable as FAT.
    Unreadable(String),
}

/// Largest image read (stock images are 6–12 MiB).
const MAX_IMAGE_BYTES: u64 = 256 << 20;
/// Largest configuration read from the image.
const MAX_CONFIG_BYTES: u64 = 1 << 20;

/// Reads the boot configuration inside a FAT image.
pub fn read_efi_image(path: &Path) -> EfiImage {
    let size = match std::fs::metadata(path) {
        Ok(metadata) => metadata.len(),
        Err(error) => return EfiImage::Unreadable(error.to_string()),
    };
    if size > MAX_IMAGE_BYTES {
        return EfiImage::Unreadable(format!("{size} bytes is larger than any EFI boot image"));
    }
    match std::fs::read(path) {
        Ok(bytes) => read_efi_image_bytes(bytes),
        Err(error) => EfiImage::Unreadable(error.to_string()),
    }
}

/// [`read_efi_image`] on the image's bytes.
pub fn read_efi_image_bytes(bytes: Vec<u8>) -> EfiImage {
    // fatfs trusts the on-disk structures; a damaged image must give a
    // diagnostic, never a panic or a loop over a cyclic cluster chain.
    let budget = (bytes.len() as u64).saturating_mul(4).max(1 << 20);
    let outcome = std::panic::catch_unwind(move || {
        let disk = BudgetDisk {
            inner: std::io::Cursor::new(bytes),
            budget,
        };
        let fs = fatfs::FileSystem::new(disk, fatfs::FsOptions::new())
            .map_err(|error| format!("not a FAT file system: {error}"))?;
        let root = fs.root_dir();
        for inner in EFI_IMAGE_CONFIGS {
            let Ok(file) = root.open_file(inner) else {
                continue;
            };
            let mut bytes = Vec::new();
            file.take(MAX_CONFIG_BYTES)
                .read_to_end(&mut bytes)
                .map_err(|error| format!("cannot read {inner}: {error}"))?;
            return Ok(EfiImage::Config { inner, bytes });
        }
        Ok(EfiImage::NoConfig)
    });
    match outcome {
        Ok(Ok(image)) => image,
        Ok(Err(message)) => EfiImage::Unreadable(message),
        Err(_) => EfiImage::Unreadable("the FAT structures are damaged".into()),
    }
}

/// The names of the files in `EFI/BOOT/` of the FAT image at `path`
/// (`BOOTX64.EFI`, `grubx64.efi`, `grub.cfg`); `None` when the image cannot
/// be read or has no such directory.
pub fn efi_image_boot_files(path: &Path) -> Option<Vec<String>> {
    let size = std::fs::metadata(path).ok()?.len();
    if size > MAX_IMAGE_BYTES {
        return None;
    }
    let bytes = std::fs::read(path).ok()?;
    let budget = (bytes.len() as u64).saturating_mul(4).max(1 << 20);
    std::panic::catch_unwind(move || {
        let disk = BudgetDisk {
            inner: std::io::Cursor::new(bytes),
            budget,
        };
        let fs = fatfs::FileSystem::new(disk, fatfs::FsOptions::new()).ok()?;
        let dir = fs.root_dir().open_dir("EFI/BOOT").ok()?;
        let mut names = Vec::new();
        for entry in dir.iter().take(4096) {
            let entry = entry.ok()?;
            if entry.is_file() {
                names.push(entry.file_name());
            }
        }
        Some(names)
    })
    .ok()
    .flatten()
}

/// Whether `name` is a removable-media boot loader UEFI firmware starts
/// (`BOOTX64.EFI`, `BOOTAA64.EFI`, `BOOTIA32.EFI`…).
pub fn is_default_efi_loader(name: &str) -> bool {
    let upper = name.to_ascii_uppercase();
    upper.starts_with("BOOT") && upper.ends_with(".EFI")
}

/// An in-memory disk that fails once too many bytes were read: a cyclic
/// FAT chain makes the reader go round forever otherwise. Writes (fatfs may
/// set a dirty flag) are accepted and dropped.
struct BudgetDisk {
    inner: std::io::Cursor<Vec<u8>>,
    budget: u64,
}

impl Read for BudgetDisk {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.budget == 0 {
            return Err(std::io::Error::other(
                "the image's cluster chains do not end",
            ));
        }
        let want = buf
            .len()
            .min(usize::try_from(self.budget).unwrap_or(usize::MAX));
        let read = self.inner.read(&mut buf[..want])?;
        self.budget -= read as u64;
        Ok(read)
    }
}

impl Write for BudgetDisk {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Seek for BudgetDisk {
    fn seek(&mut self, position: SeekFrom) -> std::io::Result<u64> {
        self.inner.seek(position)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fat_image(files: &[(&str, &[u8])]) -> Vec<u8> {
        let mut disk = std::io::Cursor::new(vec![0u8; 2 << 20]);
        fatfs::format_volume(&mut disk, fatfs::FormatVolumeOptions::new()).unwrap();
        {
            let fs = fatfs::FileSystem::new(&mut disk, fatfs::FsOptions::new()).unwrap();
            let root = fs.root_dir();
            for (path, bytes) in files {
                if let Some((dir, _)) = path.rsplit_once('/') {
                    let mut at = String::new();
                    for part in dir.split('/') {
                        at = if at.is_empty() {
                            part.to_string()
                        } else {
                            format!("{at}/{part}")
                        };
                        root.create_dir(&at).unwrap();
                    }
                }
                let mut file = root.create_file(path).unwrap();
                file.write_all(bytes).unwrap();
            }
        }
        disk.into_inner()
    }

    #[test]
    fn reads_grub_cfg_from_a_fat_image() {
        let image = fat_image(&[("EFI/BOOT/grub.cfg", b"set timeout=5\n")]);
        match read_efi_image_bytes(image) {
            EfiImage::Config { inner, bytes } => {
                assert_eq!(inner, "EFI/BOOT/grub.cfg");
                assert_eq!(bytes, b"set timeout=5\n");
            }
            other => panic!("{other:?}"),
        }
        let image = fat_image(&[("EFI/BOOT/BOOTX64.EFI", b"MZ")]);
        assert!(matches!(read_efi_image_bytes(image), EfiImage::NoConfig));
    }

    #[test]
    fn damaged_images_are_unreadable_not_fatal() {
        assert!(matches!(
            read_efi_image_bytes(vec![0; 4096]),
            EfiImage::Unreadable(_)
        ));
        assert!(matches!(
            read_efi_image_bytes(Vec::new()),
            EfiImage::Unreadable(_)
        ));
        let mut image = fat_image(&[("EFI/BOOT/grub.cfg", b"x\n")]);
        // Scribble over the FAT and the root directory.
        for byte in image.iter_mut().skip(512).take(64 << 10) {
            *byte = 0xff;
        }
        let _ = read_efi_image_bytes(image);
    }

    #[test]
    fn finds_the_root_of_both_layouts() {
        let dir = tempfile::tempdir().unwrap();
        let seed = dir.path().join("build_iso/isolinux");
        std::fs::create_dir_all(seed.join("ks")).unwrap();
        std::fs::write(seed.join(".discinfo"), "1\nCentOS 7\nx86_64\n").unwrap();
        std::fs::write(seed.join("isolinux.cfg"), "").unwrap();
        let media = discover(&seed.join("isolinux.cfg"), &CheckOptions::default());
        assert!(media.confident);
        assert_eq!(media.root, std::fs::canonicalize(&seed).unwrap());
        assert_eq!(role_of(&seed.join("isolinux.cfg"), &media.root), Role::Bios);

        let stock = dir.path().join("dvd");
        std::fs::create_dir_all(stock.join("isolinux")).unwrap();
        std::fs::create_dir_all(stock.join("EFI/BOOT")).unwrap();
        std::fs::write(stock.join(".treeinfo"), "").unwrap();
        std::fs::write(stock.join("EFI/BOOT/grub.cfg"), "").unwrap();
        let media = discover(&stock.join("EFI/BOOT/grub.cfg"), &CheckOptions::default());
        assert_eq!(media.root, std::fs::canonicalize(&stock).unwrap());
        assert_eq!(
            role_of(&stock.join("EFI/BOOT/grub.cfg"), &media.root),
            Role::Uefi
        );
        assert!(resolve(&stock, "efi/boot/GRUB.CFG").is_some());
        assert!(resolve(&stock, "EFI/BOOT/missing").is_none());
        // `..` never climbs above the media root, from the root or from a
        // directory of it, however many there are.
        let climb = "../../../../../../../../../../../../..";
        assert_eq!(
            resolve(&stock, &format!("{climb}/EFI/BOOT/grub.cfg")),
            resolve(&stock, "EFI/BOOT/grub.cfg")
        );
        // A file beside the media root exists, but not on the media.
        std::fs::write(dir.path().join("secret"), "").unwrap();
        assert!(resolve(&stock, "../secret").is_none());
        let efi = stock.join("EFI");
        assert_eq!(
            resolve_from(&stock, &efi, "../EFI/BOOT/grub.cfg"),
            resolve(&stock, "EFI/BOOT/grub.cfg")
        );
        assert!(resolve_from(&stock, &efi, "../../secret").is_none());
        assert!(resolve_from(&stock, &efi, &format!("{climb}/secret")).is_none());
    }
}
