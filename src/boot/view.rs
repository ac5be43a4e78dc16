//! What editor features see of a checked boot configuration: the parsed
//! main file, where its media is, and the volume id. Hover, completion and
//! links in `crate::ide` read it; nothing here knows about LSP.

use std::path::{Path, PathBuf};

use super::cmdline::{decode_label, source_option, DeviceKind, Scheme, SourceSpec, Word};
use super::media::{self, Media, Role};
use super::model::{BootConfig, FileRef, Loader};
use super::VolumeId;
use crate::source::TextRange;

/// A boot configuration as the editor features see it.
#[derive(Clone, Debug)]
pub struct BootView {
    /// The main file's parsed configuration.
    pub config: BootConfig,
    pub role: Role,
    pub media: Media,
    /// The directory relative SYSLINUX paths resolve against.
    pub config_dir: PathBuf,
    pub volume: Option<VolumeId>,
}

/// A path in the configuration that names an existing file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileLink {
    /// The path's text in the configuration.
    pub range: TextRange,
    pub target: PathBuf,
}

/// Whether the source argument `word` (parsed as `spec`) refers to the
/// media of `volume`: by its label, as an optical drive, or by a kernel
/// device name. Without a known volume id every label is taken as the
/// media's.
pub fn spec_on_media(word: &Word, spec: &SourceSpec, volume: Option<&VolumeId>) -> bool {
    match &spec.device {
        None => spec.scheme == Scheme::Cdrom,
        Some(device) => match device.kind {
            DeviceKind::Label | DeviceKind::CdLabel | DeviceKind::ByLabelPath => {
                let label = decode_label(&word.value[device.name.clone()]);
                volume.is_none_or(|volume| volume.value == label)
            }
            DeviceKind::KernelName => true,
            _ => false,
        },
    }
}

/// Names a kickstart on the media is likely to have.
fn looks_like_kickstart(path: &Path) -> bool {
    let name = path
        .file_name()
        .map(|name| name.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    if super::is_boot_config_file(path) || name == "kslint.toml" {
        return false;
    }
    name.ends_with(".ks")
        || (name.ends_with(".cfg")
            && !matches!(
                name.as_str(),
                "isolinux.cfg" | "syslinux.cfg" | "grub.cfg" | "menu.cfg"
            ))
}

/// Directories never searched for kickstarts (payload, boot images).
const SKIPPED_DIRS: &[&str] = &[
    "packages",
    "repodata",
    "liveos",
    "images",
    "efi",
    "baseos",
    "appstream",
];

fn collect_kickstarts(root: &Path, dir: &Path, depth: usize, found: &mut Vec<String>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<_> = entries.filter_map(Result::ok).collect();
    entries.sort_by_key(|entry| entry.file_name());
    for entry in entries {
        if found.len() >= 64 {
            return;
        }
        let path = entry.path();
        let Ok(kind) = entry.file_type() else {
            continue;
        };
        if kind.is_dir() {
            let name = entry.file_name().to_string_lossy().to_ascii_lowercase();
            if depth > 0 && !SKIPPED_DIRS.contains(&name.as_str()) && !name.starts_with('.') {
                collect_kickstarts(root, &path, depth - 1, found);
            }
        } else if kind.is_file() && looks_like_kickstart(&path) {
            if let Ok(relative) = path.strip_prefix(root) {
                found.push(format!(
                    "/{}",
                    relative.to_string_lossy().replace('\\', "/")
                ));
            }
        }
    }
}

impl BootView {
    pub fn loader(&self) -> Loader {
        self.config.loader
    }

    /// The kernel argument whose text contains `offset`.
    pub fn arg_at(&self, offset: usize) -> Option<&Word> {
        self.config
            .all_args()
            .find(|word| word.range.start <= offset && offset <= word.range.end)
    }

    /// The kernel, initrd, module or included file named at `offset`.
    pub fn file_at(&self, offset: usize) -> Option<&FileRef> {
        self.config.all_files().find(|file| {
            let range = file.word.value_range();
            range.start <= offset && offset <= range.end
        })
    }

    /// Where a file the loader loads is: SYSLINUX resolves relative names
    /// against its directory, GRUB against the ISO root; `(cd0)/…` device
    /// prefixes are dropped. `None` when it does not exist or is built
    /// from variables.
    pub fn resolve_file(&self, path: &str) -> Option<PathBuf> {
        if path.contains('$') || path.is_empty() {
            return None;
        }
        let path = match path.strip_prefix('(') {
            Some(rest) => rest.split_once(')')?.1,
            None => path,
        };
        if path.starts_with('/') || self.loader() != Loader::Syslinux {
            media::resolve(&self.media.root, path)
        } else {
            media::resolve(&self.config_dir, path)
        }
    }

    /// The path of a source argument (`inst.ks=hd:LABEL=…:/ks/ks.cfg`) and
    /// the file on the media it names, when the argument refers to this
    /// media and the file exists.
    pub fn source_link(&self, word: &Word) -> Option<FileLink> {
        let option = source_option(word)?;
        let spec = SourceSpec::parse(word, option)?;
        if !spec_on_media(word, &spec, self.volume.as_ref()) {
            return None;
        }
        let path_range = spec.path.clone()?;
        let path = &word.value[path_range.clone()];
        if path.contains('$') {
            return None;
        }
        let target = media::resolve(&self.media.root, path)?;
        Some(FileLink {
            range: word.source(path_range),
            target,
        })
    }

    /// Every path of the file that names an existing file: kickstarts and
    /// other media paths in source arguments, kernels, initrds, modules and
    /// included files.
    pub fn links(&self) -> Vec<FileLink> {
        let mut links: Vec<FileLink> = self
            .config
            .all_args()
            .filter_map(|word| self.source_link(word))
            .chain(self.config.all_files().filter_map(|file| {
                let target = self.resolve_file(&file.word.value)?;
                Some(FileLink {
                    range: file.word.value_range(),
                    target,
                })
            }))
            .filter(|link| link.target.is_file())
            .collect();
        links.sort_by_key(|link| link.range.start);
        links.dedup_by_key(|link| link.range);
        links
    }

    /// Kickstart files on the media (`.ks`, and `.cfg` files that are not
    /// boot menus), as paths from the ISO root: `/ks/ks.cfg`.
    pub fn kickstarts(&self) -> Vec<String> {
        let mut found = Vec::new();
        if self.media.root.as_os_str().is_empty() {
            return found;
        }
        collect_kickstarts(&self.media.root, &self.media.root, 3, &mut found);
        found
    }
}
