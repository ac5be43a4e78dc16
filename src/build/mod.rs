//! The mastering pipeline shared by `kslint build-iso` and the language
//! server's Build ISO command: [`pipeline::run`] checks, refreshes the
//! repodata, patches the boot configurations for the image and masters it;
//! [`plan_with`] decides the image's layout from the media tree (boot
//! images, volume id, hybrid boot code) with the build's files laid over it.

pub mod efiboot;
pub mod patch;
pub mod pipeline;
pub mod treeinfo;

use std::path::{Path, PathBuf};

use anyhow::{bail, Context};

use crate::iso::{self, BootOptions, FileSource, HybridOptions, Image, IsoOptions, Meta, Tree};

/// Where isolinux's hybrid MBR boot code usually lives (Debian, Fedora/RHEL, others).
const ISOHDPFX_PATHS: &[&str] = &[
    "/usr/lib/ISOLINUX/isohdpfx.bin",
    "/usr/share/syslinux/isohdpfx.bin",
    "/usr/lib/syslinux/isohdpfx.bin",
    "/usr/lib/syslinux/mbr/isohdpfx.bin",
];

/// What to build; every field mirrors a `kslint build-iso` option.
#[derive(Clone, Debug)]
pub struct BuildOptions {
    pub root: PathBuf,
    pub output: PathBuf,
    pub volume_id: Option<String>,
    pub boot_image: Option<String>,
    pub boot_catalog: Option<String>,
    pub efi_image: Option<String>,
    pub bios_only: bool,
    pub no_boot: bool,
    pub boot_load_size: u16,
    pub boot_info_table: bool,
    pub hybrid: bool,
    pub isohybrid_mbr: Option<PathBuf>,
    pub implant_md5: bool,
    pub joliet: bool,
    pub trans_tbl: bool,
    pub iso_level: u8,
    pub source_date_epoch: Option<i64>,
    pub reproducible: bool,
    pub publisher: Option<String>,
    pub fsync: bool,
    /// Kickstart in the image (`ks/ks.cfg`) every installer entry loads.
    pub ks: Option<String>,
    /// Kernel arguments added to / removed from every entry (in the image).
    pub add_args: Vec<String>,
    pub remove_args: Vec<String>,
    /// Build even when the checks find errors.
    pub force: bool,
    /// More kickstarts to check besides those the boot entries load (the
    /// editor's document).
    pub check_files: Vec<PathBuf>,
    pub repodata: RepodataMode,
    /// Comps file for the group records (default: as `kslint repo` finds it).
    pub comps: Option<PathBuf>,
}

/// When the build makes the repodata again.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum RepodataMode {
    /// When missing or stale.
    #[default]
    Auto,
    Always,
    Never,
}

/// Files of the image that do not come from the tree as it is.
#[derive(Clone, Debug, Default)]
pub struct Overlay {
    /// Image path, content, attributes (default: those of the file replaced).
    pub files: Vec<(String, FileSource, Option<Meta>)>,
    /// Image paths removed first (a directory with everything below it).
    pub remove: Vec<String>,
}

impl Overlay {
    pub fn add_bytes(&mut self, path: String, bytes: Vec<u8>) {
        self.files.retain(|(p, _, _)| *p != path);
        self.files
            .push((path, FileSource::Bytes(std::sync::Arc::new(bytes)), None));
    }

    fn apply(&self, tree: &mut Tree) -> anyhow::Result<()> {
        for path in &self.remove {
            if let Some(id) = tree.lookup(path) {
                tree.remove(id);
            }
        }
        for (path, source, meta) in &self.files {
            let meta = match (meta, tree.lookup(path)) {
                (Some(meta), _) => *meta,
                (None, Some(id)) => tree.node(id).meta,
                (None, None) => Meta {
                    mode: 0o644,
                    uid: 0,
                    gid: 0,
                    mtime: tree.newest_mtime(),
                },
            };
            tree.insert_file(path, source.clone(), meta)
                .map_err(anyhow::Error::new)?;
        }
        Ok(())
    }
}

impl BuildOptions {
    /// The defaults of `kslint build-iso ROOT -o OUTPUT`.
    pub fn new(root: impl Into<PathBuf>, output: impl Into<PathBuf>) -> Self {
        Self {
            root: root.into(),
            output: output.into(),
            volume_id: None,
            boot_image: None,
            boot_catalog: None,
            efi_image: None,
            bios_only: false,
            no_boot: false,
            boot_load_size: 4,
            boot_info_table: true,
            hybrid: true,
            isohybrid_mbr: None,
            implant_md5: true,
            joliet: true,
            trans_tbl: false,
            iso_level: 3,
            source_date_epoch: None,
            reproducible: false,
            publisher: None,
            fsync: false,
            ks: None,
            add_args: Vec::new(),
            remove_args: Vec::new(),
            force: false,
            check_files: Vec::new(),
            repodata: RepodataMode::Auto,
            comps: None,
        }
    }
}

/// A laid-out image ready to be written, with what was decided and why.
pub struct Plan {
    pub image: Image,
    /// Absolute path of the image to write.
    pub output: PathBuf,
    /// Decisions worth telling the user ("volume id … (from …)").
    pub notes: Vec<String>,
    /// Things that make the image less useful than asked (no USB boot, …).
    pub warnings: Vec<String>,
}

/// Lays out the image for `opts` from the tree as it is; refuses outputs
/// inside the tree, escaping symlinks and colliding names.
pub fn plan(opts_in: &BuildOptions) -> anyhow::Result<Plan> {
    plan_with(opts_in, &Overlay::default())
}

/// [`plan`] with `overlay`'s files in place of the tree's.
pub fn plan_with(opts_in: &BuildOptions, overlay: &Overlay) -> anyhow::Result<Plan> {
    let root = opts_in
        .root
        .canonicalize()
        .with_context(|| format!("cannot open the media tree {}", opts_in.root.display()))?;
    if !root.is_dir() {
        bail!("{} is not a directory", opts_in.root.display());
    }
    let output = absolute(&opts_in.output)?;
    if output.starts_with(&root) {
        bail!(
            "the output {} is inside the tree {}: the image would be written into its own source; \
             write it elsewhere",
            opts_in.output.display(),
            root.display()
        );
    }
    if output.is_dir() {
        bail!("the output {} is a directory", opts_in.output.display());
    }

    let mut tree = Tree::from_dir(&root).map_err(anyhow::Error::new)?;
    overlay.apply(&mut tree)?;
    let mut said: Vec<String> = Vec::new();
    let mut warnings: Vec<String> = Vec::new();
    let mut opts = IsoOptions::default();

    let (volume_id, source) = choose_volume_id(opts_in, &root);
    said.push(source);
    opts.volume_id = volume_id;
    opts.iso_level = opts_in.iso_level;
    opts.joliet = opts_in.joliet;
    opts.trans_tbl = opts_in.trans_tbl;
    opts.implant_md5 = opts_in.implant_md5;
    opts.fsync = opts_in.fsync;
    if let Some(p) = &opts_in.publisher {
        opts.publisher = p.clone();
    }
    opts.timestamp = match (
        opts_in.source_date_epoch,
        std::env::var("SOURCE_DATE_EPOCH").ok(),
    ) {
        (Some(t), _) => Some(t),
        (None, Some(v)) if !v.trim().is_empty() => Some(
            v.trim()
                .parse::<i64>()
                .with_context(|| format!("SOURCE_DATE_EPOCH={v:?} is not a number of seconds"))?,
        ),
        _ if opts_in.reproducible => Some(tree.newest_mtime()),
        _ => None,
    };
    if let Some(t) = opts.timestamp {
        said.push(format!("timestamps fixed at {t}"));
    }

    // Boot layout: explicit options first, then the stock layouts.
    if !opts_in.no_boot {
        let bios = match &opts_in.boot_image {
            Some(p) => Some(p.trim_start_matches('/').to_string()),
            None => ["isolinux.bin", "isolinux/isolinux.bin"]
                .iter()
                .find(|p| tree.lookup(p).is_some())
                .map(|p| p.to_string()),
        };
        let efi = if opts_in.bios_only {
            None
        } else {
            match &opts_in.efi_image {
                Some(p) => Some(p.trim_start_matches('/').to_string()),
                None => tree
                    .lookup("images/efiboot.img")
                    .map(|_| "images/efiboot.img".to_string()),
            }
        };
        if bios.is_some() || efi.is_some() {
            let first = bios.as_deref().or(efi.as_deref()).unwrap_or_default();
            let catalog = match &opts_in.boot_catalog {
                Some(c) => c.trim_start_matches('/').to_string(),
                None => match first.rsplit_once('/') {
                    Some((dir, _)) => format!("{dir}/boot.cat"),
                    None => "boot.cat".into(),
                },
            };
            said.push(format!(
                "boot: {}{}, catalog {catalog}",
                bios.as_deref()
                    .map(|b| format!("BIOS {b}"))
                    .unwrap_or_else(|| "no BIOS image".into()),
                efi.as_deref()
                    .map(|e| format!(", UEFI {e}"))
                    .unwrap_or_default()
            ));
            if opts_in.hybrid {
                let mut hybrid = HybridOptions {
                    mbr_code: None,
                    gpt: efi.is_some(),
                };
                if let Some(path) = &opts_in.isohybrid_mbr {
                    hybrid.mbr_code = Some(
                        std::fs::read(path)
                            .with_context(|| format!("cannot read {}", path.display()))?,
                    );
                } else if let Some(b) = &bios {
                    let found = ISOHDPFX_PATHS.iter().map(Path::new).find(|p| p.is_file());
                    match found {
                        Some(path) if has_isohybrid_signature(&root.join(b)) => {
                            hybrid.mbr_code = Some(std::fs::read(path)?);
                            said.push(format!("hybrid MBR boot code from {}", path.display()));
                        }
                        Some(_) => warnings.push(format!(
                            "{b} has no isohybrid signature: the image will not boot from a \
                             USB disk in BIOS mode"
                        )),
                        None => warnings.push(
                            "isohdpfx.bin not found (install isolinux or pass --isohybrid-mbr): \
                             the image will not boot from a USB disk in BIOS mode"
                                .to_string(),
                        ),
                    }
                }
                opts.hybrid = Some(hybrid);
            }
            opts.boot = Some(BootOptions {
                bios_image: bios,
                load_size: opts_in.boot_load_size,
                boot_info_table: opts_in.boot_info_table,
                efi_image: efi,
                catalog,
            });
        } else {
            said.push("no boot image found: a data-only image".into());
        }
    }

    let image = iso::prepare(tree, &opts).map_err(anyhow::Error::new)?;
    Ok(Plan {
        image,
        output,
        notes: said,
        warnings,
    })
}

pub(crate) fn absolute(p: &Path) -> anyhow::Result<PathBuf> {
    let p = if p.is_absolute() {
        p.to_path_buf()
    } else {
        std::env::current_dir()?.join(p)
    };
    // Resolve the directory part (it must exist); the file itself may not.
    let parent = p
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("/"));
    let parent = parent
        .canonicalize()
        .with_context(|| format!("the output directory {} does not exist", parent.display()))?;
    Ok(match p.file_name() {
        Some(name) => parent.join(name),
        None => parent,
    })
}

fn has_isohybrid_signature(path: &Path) -> bool {
    use std::io::Read;
    let mut head = [0u8; 0x44];
    std::fs::File::open(path)
        .and_then(|mut f| f.read_exact(&mut head))
        .is_ok()
        && head[0x40..0x44] == [0xFB, 0xC0, 0x78, 0x70]
}

/// Picks the volume id: the option, else the label the boot configurations
/// search for, else `.treeinfo`, else `.discinfo`, else a default.
pub(crate) fn choose_volume_id(opts: &BuildOptions, root: &Path) -> (String, String) {
    if let Some(v) = &opts.volume_id {
        return (v.clone(), format!("volume id {v:?} (from --volume-id)"));
    }
    // The same answer the boot rules check the configs against.
    let config = crate::config::Config::discover(root)
        .ok()
        .flatten()
        .unwrap_or_default();
    if let Some(found) = crate::boot::media_volume_id(root, &config) {
        return (found.value.clone(), found.describe());
    }
    if let Ok(text) = std::fs::read_to_string(root.join(".treeinfo")) {
        if let Some(v) = volume_id_from_treeinfo(&text) {
            let note = format!("volume id {v:?} (from .treeinfo)");
            return (v, note);
        }
    }
    if let Ok(text) = std::fs::read_to_string(root.join(".discinfo")) {
        let lines: Vec<&str> = text.lines().map(str::trim).collect();
        if lines.len() >= 3 && !lines[1].is_empty() && !lines[2].is_empty() {
            return (
                truncate32(&format!("{} {}", lines[1], lines[2])),
                "volume id from .discinfo".into(),
            );
        }
    }
    (
        "CDROM".into(),
        "volume id \"CDROM\" (default; pass --volume-id)".into(),
    )
}

fn truncate32(s: &str) -> String {
    s.chars()
        .filter(|c| (' '..='~').contains(c))
        .take(32)
        .collect()
}

fn volume_id_from_treeinfo(text: &str) -> Option<String> {
    let mut section = String::new();
    let mut get = std::collections::HashMap::new();
    for line in text.lines() {
        let line = line.trim();
        if let Some(s) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            section = s.to_string();
        } else if let Some((k, v)) = line.split_once('=') {
            get.insert(format!("{section}.{}", k.trim()), v.trim().to_string());
        }
    }
    let arch = get.get("general.arch").or_else(|| get.get("tree.arch"))?;
    let (name, version) = match (get.get("general.family"), get.get("general.version")) {
        (Some(f), Some(v)) => (f, v),
        _ => (get.get("release.name")?, get.get("release.version")?),
    };
    Some(truncate32(&format!("{name} {version} {arch}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn treeinfo() {
        let t = "[general]\nfamily = CentOS\nversion = 7\narch = x86_64\n";
        assert_eq!(volume_id_from_treeinfo(t), Some("CentOS 7 x86_64".into()));
    }
}
