//! `kslint build-iso`: master a bootable install image from a media tree
//! with the embedded engine (no mkisofs, genisoimage or xorriso process).

use std::io::IsTerminal;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context};

use crate::iso::{self, BootOptions, Control, HybridOptions, IsoOptions, Tree};

/// Where isolinux's hybrid MBR boot code usually lives (Debian, Fedora/RHEL, others).
const ISOHDPFX_PATHS: &[&str] = &[
    "/usr/lib/ISOLINUX/isohdpfx.bin",
    "/usr/share/syslinux/isohdpfx.bin",
    "/usr/lib/syslinux/isohdpfx.bin",
    "/usr/lib/syslinux/mbr/isohdpfx.bin",
];

#[derive(clap::Args, Debug, Clone)]
pub struct BuildIsoArgs {
    /// Media tree to master; it becomes the image root (default: current directory)
    #[arg(value_name = "ROOT", default_value = ".")]
    pub root: PathBuf,

    /// Image to write (written to a temporary file next to it, then renamed)
    #[arg(short = 'o', long = "output", value_name = "OUT.iso")]
    pub output: PathBuf,

    /// Volume id (the LABEL= the boot configurations search for). Default: the LABEL=
    /// in the tree's boot configurations, else .treeinfo/.discinfo, else "CDROM"
    #[arg(long, value_name = "ID")]
    pub volume_id: Option<String>,

    /// BIOS boot image inside the tree (default: isolinux.bin or isolinux/isolinux.bin)
    #[arg(long, value_name = "PATH")]
    pub boot_image: Option<String>,

    /// Where the El Torito boot catalog goes in the image (default: boot.cat beside the boot image)
    #[arg(long, value_name = "PATH")]
    pub boot_catalog: Option<String>,

    /// UEFI boot image inside the tree (default: images/efiboot.img when present)
    #[arg(long, value_name = "PATH")]
    pub efi_image: Option<String>,

    /// No UEFI boot entry even if an EFI image is present
    #[arg(long)]
    pub bios_only: bool,

    /// No boot entries at all (a plain data image)
    #[arg(long, conflicts_with_all = ["boot_image", "efi_image", "bios_only"])]
    pub no_boot: bool,

    /// 512-byte sectors the BIOS loads from the boot image
    #[arg(long, value_name = "N", default_value_t = 4)]
    pub boot_load_size: u16,

    /// Do not patch a boot-info-table into the image's copy of the boot image
    #[arg(long)]
    pub no_boot_info_table: bool,

    /// No isohybrid MBR/GPT (the image then boots from optical media only)
    #[arg(long)]
    pub no_hybrid: bool,

    /// MBR boot code for isohybrid (default: isolinux's isohdpfx.bin when installed)
    #[arg(long, value_name = "FILE")]
    pub isohybrid_mbr: Option<PathBuf>,

    /// Do not implant the media check MD5 (checkisomd5 / "Test this media")
    #[arg(long)]
    pub no_implant_md5: bool,

    /// Write a Joliet tree (the default)
    #[arg(long, overrides_with = "no_joliet")]
    pub joliet: bool,

    /// No Joliet tree
    #[arg(long, overrides_with = "joliet")]
    pub no_joliet: bool,

    /// Write a TRANS.TBL in every directory (like mkisofs -T)
    #[arg(long)]
    pub trans_tbl: bool,

    /// ISO 9660 level (1, 2 or 3; 3 allows files of 4 GiB and more)
    #[arg(long, value_name = "N", default_value_t = 3)]
    pub iso_level: u8,

    /// Fixed time for all dates (file times later than it are clamped). Default:
    /// the SOURCE_DATE_EPOCH environment variable when set
    #[arg(long, value_name = "SECONDS")]
    pub source_date_epoch: Option<i64>,

    /// Reproducible output even without SOURCE_DATE_EPOCH: use the newest file time of the tree
    #[arg(long)]
    pub reproducible: bool,

    /// Publisher id recorded in the volume descriptor
    #[arg(long, value_name = "TEXT")]
    pub publisher: Option<String>,

    /// fsync the image before renaming it into place
    #[arg(long)]
    pub fsync: bool,

    /// No progress bar and no summary
    #[arg(short, long)]
    pub quiet: bool,
}

/// Runs `build-iso`. Returns the process exit code; refusals are errors.
pub fn run(args: &BuildIsoArgs) -> anyhow::Result<i32> {
    let root = args
        .root
        .canonicalize()
        .with_context(|| format!("cannot open the media tree {}", args.root.display()))?;
    if !root.is_dir() {
        bail!("{} is not a directory", args.root.display());
    }
    let output = absolute(&args.output)?;
    if output.starts_with(&root) {
        bail!(
            "the output {} is inside the tree {}: the image would be written into its own source; \
             write it elsewhere",
            args.output.display(),
            root.display()
        );
    }
    if output.is_dir() {
        bail!("the output {} is a directory", args.output.display());
    }

    let tree = Tree::from_dir(&root).map_err(anyhow::Error::new)?;
    let mut said: Vec<String> = Vec::new();
    let mut opts = IsoOptions::default();

    let (volume_id, source) = choose_volume_id(args, &root);
    said.push(format!("volume id {volume_id:?} ({source})"));
    opts.volume_id = volume_id;
    opts.iso_level = args.iso_level;
    opts.joliet = !args.no_joliet;
    opts.trans_tbl = args.trans_tbl;
    opts.implant_md5 = !args.no_implant_md5;
    opts.fsync = args.fsync;
    if let Some(p) = &args.publisher {
        opts.publisher = p.clone();
    }
    opts.timestamp = match (args.source_date_epoch, std::env::var("SOURCE_DATE_EPOCH").ok()) {
        (Some(t), _) => Some(t),
        (None, Some(v)) if !v.trim().is_empty() => Some(
            v.trim()
                .parse::<i64>()
                .with_context(|| format!("SOURCE_DATE_EPOCH={v:?} is not a number of seconds"))?,
        ),
        _ if args.reproducible => Some(tree.newest_mtime()),
        _ => None,
    };
    if let Some(t) = opts.timestamp {
        said.push(format!("timestamps fixed at {t}"));
    }

    // Boot layout: explicit options first, then the stock layouts.
    if !args.no_boot {
        let bios = match &args.boot_image {
            Some(p) => Some(p.trim_start_matches('/').to_string()),
            None => ["isolinux.bin", "isolinux/isolinux.bin"]
                .iter()
                .find(|p| tree.lookup(p).is_some())
                .map(|p| p.to_string()),
        };
        let efi = if args.bios_only {
            None
        } else {
            match &args.efi_image {
                Some(p) => Some(p.trim_start_matches('/').to_string()),
                None => tree.lookup("images/efiboot.img").map(|_| "images/efiboot.img".to_string()),
            }
        };
        if bios.is_some() || efi.is_some() {
            let first = bios.as_deref().or(efi.as_deref()).unwrap_or_default();
            let catalog = match &args.boot_catalog {
                Some(c) => c.trim_start_matches('/').to_string(),
                None => match first.rsplit_once('/') {
                    Some((dir, _)) => format!("{dir}/boot.cat"),
                    None => "boot.cat".into(),
                },
            };
            said.push(format!(
                "boot: {}{}, catalog {catalog}",
                bios.as_deref().map(|b| format!("BIOS {b}")).unwrap_or_else(|| "no BIOS image".into()),
                efi.as_deref().map(|e| format!(", UEFI {e}")).unwrap_or_default()
            ));
            if !args.no_hybrid {
                let mut hybrid = HybridOptions { mbr_code: None, gpt: efi.is_some() };
                if let Some(path) = &args.isohybrid_mbr {
                    hybrid.mbr_code =
                        Some(std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?);
                } else if let Some(b) = &bios {
                    let found = ISOHDPFX_PATHS.iter().map(Path::new).find(|p| p.is_file());
                    match found {
                        Some(path) if has_isohybrid_signature(&root.join(b)) => {
                            hybrid.mbr_code = Some(std::fs::read(path)?);
                            said.push(format!("hybrid MBR boot code from {}", path.display()));
                        }
                        Some(_) => eprintln!(
                            "warning: {b} has no isohybrid signature: the image will not boot from a \
                             USB disk in BIOS mode"
                        ),
                        None => eprintln!(
                            "warning: isohdpfx.bin not found (install isolinux or pass --isohybrid-mbr): \
                             the image will not boot from a USB disk in BIOS mode"
                        ),
                    }
                }
                opts.hybrid = Some(hybrid);
            }
            opts.boot = Some(BootOptions {
                bios_image: bios,
                load_size: args.boot_load_size,
                boot_info_table: !args.no_boot_info_table,
                efi_image: efi,
                catalog,
            });
        } else {
            said.push("no boot image found: a data-only image".into());
        }
    }

    let image = iso::prepare(tree, &opts).map_err(anyhow::Error::new)?;
    if !args.quiet {
        for line in &said {
            eprintln!("build-iso: {line}");
        }
        for note in image.notes() {
            eprintln!("note: {note}");
        }
        if !image.renamed().is_empty() {
            eprintln!(
                "note: {} name(s) got a numbered ISO 9660 name to stay unique (Rock Ridge and Joliet keep the real names), e.g. {} -> {}",
                image.renamed().len(),
                image.renamed()[0].path,
                image.renamed()[0].iso_name
            );
        }
    }

    let bar = (!args.quiet && std::io::stderr().is_terminal()).then(|| {
        let bar = indicatif::ProgressBar::new(image.size());
        bar.set_style(
            indicatif::ProgressStyle::with_template("{bar:40} {bytes}/{total_bytes} {bytes_per_sec} {wide_msg}")
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        bar
    });
    let mut on_progress = |p: &iso::Progress<'_>| {
        if let Some(bar) = &bar {
            bar.set_position(p.done);
            if !p.current.is_empty() {
                bar.set_message(p.current.to_string());
            }
        }
    };
    let mut ctl = Control { progress: Some(&mut on_progress), cancel: None };
    let report = image.write_file(&output, &mut ctl).map_err(anyhow::Error::new)?;
    if let Some(bar) = &bar {
        bar.finish_and_clear();
    }
    if !args.quiet {
        eprintln!(
            "build-iso: wrote {} ({} bytes){}",
            args.output.display(),
            report.size,
            report.md5.map(|m| format!(", media check MD5 {m}")).unwrap_or_default()
        );
    }
    Ok(0)
}

fn absolute(p: &Path) -> anyhow::Result<PathBuf> {
    let p = if p.is_absolute() { p.to_path_buf() } else { std::env::current_dir()?.join(p) };
    // Resolve the directory part (it must exist); the file itself may not.
    let parent = p.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("/"));
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
    std::fs::File::open(path).and_then(|mut f| f.read_exact(&mut head)).is_ok()
        && head[0x40..0x44] == [0xFB, 0xC0, 0x78, 0x70]
}

/// Picks the volume id: the option, else the label the boot configurations
/// search for, else `.treeinfo`, else `.discinfo`, else a default.
fn choose_volume_id(args: &BuildIsoArgs, root: &Path) -> (String, String) {
    if let Some(v) = &args.volume_id {
        return (v.clone(), "from --volume-id".into());
    }
    for cfg in ["isolinux/isolinux.cfg", "isolinux.cfg", "EFI/BOOT/grub.cfg", "boot/grub2/grub.cfg", "boot/grub/grub.cfg"] {
        if let Ok(text) = std::fs::read_to_string(root.join(cfg)) {
            if let Some(label) = label_in_config(&text) {
                return (label, format!("the LABEL= in {cfg}"));
            }
        }
    }
    if let Ok(text) = std::fs::read_to_string(root.join(".treeinfo")) {
        if let Some(v) = volume_id_from_treeinfo(&text) {
            return (v, "from .treeinfo".into());
        }
    }
    if let Ok(text) = std::fs::read_to_string(root.join(".discinfo")) {
        let lines: Vec<&str> = text.lines().map(str::trim).collect();
        if lines.len() >= 3 && !lines[1].is_empty() && !lines[2].is_empty() {
            return (truncate32(&format!("{} {}", lines[1], lines[2])), "from .discinfo".into());
        }
    }
    ("CDROM".into(), "default; pass --volume-id".into())
}

fn truncate32(s: &str) -> String {
    s.chars().filter(|c| (' '..='~').contains(c)).take(32).collect()
}

/// The volume label a boot configuration refers to: `LABEL=`/`CDLABEL=` on
/// kernel lines (udev `\x20` escapes decoded) or GRUB's `search ... -l 'X'`.
pub fn label_in_config(text: &str) -> Option<String> {
    for line in text.lines() {
        let line = line.trim();
        if line.starts_with('#') {
            continue;
        }
        for key in ["CDLABEL=", "LABEL="] {
            if let Some(i) = line.find(key) {
                let rest = &line[i + key.len()..];
                let raw: String = rest.chars().take_while(|c| !c.is_whitespace() && *c != ':' && *c != '\'' && *c != '"').collect();
                if !raw.is_empty() {
                    return Some(unescape_label(&raw));
                }
            }
        }
        if line.starts_with("search") {
            let words: Vec<&str> = line.split_whitespace().collect();
            if let Some(pos) = words.iter().position(|w| *w == "-l" || *w == "--label") {
                let rest = words[pos + 1..].join(" ");
                let rest = rest.trim();
                let label = if let Some(stripped) = rest.strip_prefix('\'') {
                    stripped.split('\'').next().unwrap_or_default().to_string()
                } else {
                    rest.split_whitespace().next().unwrap_or_default().to_string()
                };
                if !label.is_empty() {
                    return Some(unescape_label(&label));
                }
            }
        }
    }
    None
}

fn unescape_label(raw: &str) -> String {
    let mut out = String::new();
    let mut rest = raw;
    while let Some(i) = rest.find("\\x") {
        out.push_str(&rest[..i]);
        let hex = rest.get(i + 2..i + 4).and_then(|h| u8::from_str_radix(h, 16).ok());
        match hex {
            Some(b) => {
                out.push(b as char);
                rest = &rest[i + 4..];
            }
            None => {
                out.push_str("\\x");
                rest = &rest[i + 2..];
            }
        }
    }
    out.push_str(rest);
    out
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
    fn labels() {
        assert_eq!(
            label_in_config("  append initrd=initrd.img inst.stage2=hd:LABEL=CentOS\\x207\\x20x86_64 quiet"),
            Some("CentOS 7 x86_64".into())
        );
        assert_eq!(
            label_in_config("search --no-floppy --set=root -l 'RHEL-9-4-0-BaseOS-x86_64'"),
            Some("RHEL-9-4-0-BaseOS-x86_64".into())
        );
        assert_eq!(label_in_config("linux /vmlinuz root=live:CDLABEL=Fedora-WS-Live-40"), Some("Fedora-WS-Live-40".into()));
        assert_eq!(label_in_config("# LABEL=commented\nlabel linux\n"), None);
    }

    #[test]
    fn treeinfo() {
        let t = "[general]\nfamily = CentOS\nversion = 7\narch = x86_64\n";
        assert_eq!(volume_id_from_treeinfo(t), Some("CentOS 7 x86_64".into()));
    }
}
