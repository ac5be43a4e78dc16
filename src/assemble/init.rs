//! `kslint init --from DVD.iso DIR`: the seed layout from a stock image.
//!
//! ```text
//! DIR/kslint.toml          syntax, [media], [iso] volume_id, [source] image
//! DIR/comps.xml            the image's comps, decompressed
//! DIR/isolinux/            the ISO root:
//!     isolinux.bin …       the image's isolinux/ (flattened, as in the seed)
//!     EFI/ images/ LiveOS/ .discinfo .treeinfo and the other top-level files
//!     ks/ks.cfg            a starter kickstart, or --ks FILE
//!     Packages/            filled by `kslint collect`
//! ```

use std::fs;
use std::path::{Path, PathBuf};

use super::{progress_bar, write_atomically, AssembleError, Item, ItemKind, Source};
use crate::catalog::SyntaxVersion;
use crate::media::repodata::Repomd;

/// Directories copied from the source root into the ISO root as they are.
pub const TREE_DIRS: &[&str] = &["EFI", "images", "LiveOS"];
/// The top-level paths of a stock image that `init` copies (with any other
/// top-level files): what a reference extraction takes to do the same work.
pub const COPIED_FROM_IMAGE: &[&str] = &[
    "isolinux",
    "EFI",
    "images",
    "LiveOS",
    ".discinfo",
    ".treeinfo",
];
/// Directories of the source never copied by `init` (packages come with
/// `collect`, repodata is made for the new set of packages).
const SKIPPED: &[&str] = &["Packages", "repodata", "BaseOS", "AppStream", "isolinux"];
/// Sub-repositories of RHEL 8+ media, whose repodata holds comps too.
pub const REPO_BASES: &[&str] = &["", "BaseOS", "AppStream"];

#[derive(Clone, Debug, Default)]
pub struct InitOptions {
    /// The stock image (or extracted directory).
    pub from: PathBuf,
    /// The project directory (`build_iso` in the seed).
    pub dir: PathBuf,
    /// A kickstart to use instead of the starter one.
    pub ks: Option<PathBuf>,
    /// Replace an existing tree.
    pub force: bool,
    pub quiet: bool,
}

/// What `init` did.
#[derive(Clone, Debug, Default)]
pub struct InitReport {
    pub root: PathBuf,
    pub files: usize,
    pub bytes: u64,
    pub volume_id: Option<String>,
    pub syntax: Option<SyntaxVersion>,
    pub comps: Option<PathBuf>,
    pub kickstart: PathBuf,
    pub notes: Vec<String>,
}

/// The ISO root inside a project directory.
pub fn iso_root(dir: &Path) -> PathBuf {
    dir.join("isolinux")
}

pub fn run(options: &InitOptions) -> Result<InitReport, AssembleError> {
    let source = Source::open(&options.from)?;
    let dir = &options.dir;
    let config_path = dir.join(crate::config::FILE_NAME);
    if config_path.exists() && !options.force {
        return Err(AssembleError::new(format!(
            "{} already exists: the directory is already set up (use --force to lay it out again)",
            config_path.display()
        )));
    }
    if let Some(ks) = &options.ks {
        if !ks.is_file() {
            return Err(AssembleError::new(format!(
                "{}: no such kickstart file",
                ks.display()
            )));
        }
    }
    let root = iso_root(dir);
    let Some(top) = source.get("")? else {
        return Err(AssembleError::new(format!(
            "{}: cannot read the root directory",
            source.describe()
        )));
    };
    // What to copy: (item, destination relative to the ISO root).
    let mut plan: Vec<(Item, String)> = Vec::new();
    let mut has_boot = false;
    for child in source.children(&top)? {
        let name = child.path.clone();
        if name == "isolinux" && child.kind == ItemKind::Dir {
            has_boot = true;
            for item in source.walk(&child)?.into_iter().skip(1) {
                let rel = item.path["isolinux/".len()..].to_string();
                // The boot catalog is made anew by build-iso.
                if rel == "boot.cat" {
                    continue;
                }
                plan.push((item, rel));
            }
        } else if TREE_DIRS.contains(&name.as_str()) && child.kind == ItemKind::Dir {
            has_boot |= name == "EFI";
            for item in source.walk(&child)? {
                let rel = item.path.clone();
                plan.push((item, rel));
            }
        } else if SKIPPED.contains(&name.as_str()) {
            continue;
        } else if child.kind == ItemKind::File {
            plan.push((child.clone(), name));
        }
    }
    plan.retain(|(item, _)| !item.path.ends_with("TRANS.TBL"));
    if !has_boot {
        return Err(AssembleError::new(format!(
            "{}: no isolinux/ or EFI/ directory: not an install image",
            source.describe()
        )));
    }
    let mut notes = Vec::new();
    fs::create_dir_all(&root).map_err(|e| AssembleError::io(&root, e))?;
    let total: u64 = plan
        .iter()
        .filter(|(item, _)| item.kind == ItemKind::File)
        .map(|(item, _)| item.size)
        .sum();
    let bar = progress_bar(total, options.quiet);
    // Each file is copied in the kernel (`copy_file_range` from the image
    // fd) under a temporary name and renamed, so no final name holds half a
    // file. Nothing is synced (like cp or xorriso): an interrupted init has
    // written no kslint.toml (it comes last), so it is never taken for a
    // finished tree, and syncing gigabytes file by file would double the time.
    let mut files = 0;
    for (item, rel) in &plan {
        let dest = root.join(rel);
        match &item.kind {
            ItemKind::Dir => {
                fs::create_dir_all(&dest).map_err(|e| AssembleError::io(&dest, e))?;
            }
            ItemKind::File => {
                bar.set_message(rel.clone());
                if let Some(parent) = dest.parent() {
                    fs::create_dir_all(parent).map_err(|e| AssembleError::io(parent, e))?;
                }
                source.copy(item, &dest, &mut |n| bar.inc(n))?;
                files += 1;
            }
            ItemKind::Symlink(target) => {
                let _ = fs::remove_file(&dest);
                std::os::unix::fs::symlink(target, &dest)
                    .map_err(|e| AssembleError::io(&dest, e))?;
            }
            ItemKind::Other => notes.push(format!("{}: a device or fifo, not copied", item.path)),
        }
    }
    bar.finish_and_clear();
    // The comps file of the repodata, decompressed.
    let comps = write_comps(&source, dir, &mut notes)?;
    // The module metadata (EL8+), for `kslint repo` to put back.
    write_modules(&source, dir, &mut notes)?;
    // The kickstart.
    let ks_dir = root.join("ks");
    fs::create_dir_all(&ks_dir).map_err(|e| AssembleError::io(&ks_dir, e))?;
    let kickstart = ks_dir.join("ks.cfg");
    let syntax = crate::analysis::media_release(&root).map(|(version, _)| version);
    let volume_id = source
        .volume_id()
        .or_else(|| crate::boot::volume::stock_volume_id(&root).map(|(id, _)| id));
    match &options.ks {
        Some(ks) => {
            let text = fs::read(ks).map_err(|e| AssembleError::io(ks, e))?;
            write_file(&kickstart, &text)?;
        }
        None if kickstart.exists() => {
            notes.push(format!("{} exists and was kept", kickstart.display()))
        }
        None => write_file(
            &kickstart,
            starter_kickstart(syntax, volume_id.as_deref()).as_bytes(),
        )?,
    }
    if let Some(id) = &volume_id {
        notes.push(format!(
            "boot the kickstart with `inst.ks=hd:LABEL={}:/ks/ks.cfg` in isolinux.cfg and EFI/BOOT/grub.cfg",
            id.replace(' ', "\\x20")
        ));
    }
    let source_path = fs::canonicalize(&options.from).unwrap_or_else(|_| options.from.clone());
    let config = config_text(syntax, volume_id.as_deref(), comps.is_some(), &source_path);
    write_file(&config_path, config.as_bytes())?;
    Ok(InitReport {
        root,
        files,
        bytes: total,
        volume_id,
        syntax,
        comps,
        kickstart,
        notes,
    })
}

fn write_file(path: &Path, bytes: &[u8]) -> Result<(), AssembleError> {
    write_atomically(path, |file| std::io::Write::write_all(file, bytes))
        .map_err(|e| AssembleError::io(path, e))
}

/// The comps of the source's repodata (the largest when several
/// repositories have one), decompressed into `DIR/comps.xml`.
fn write_comps(
    source: &Source,
    dir: &Path,
    notes: &mut Vec<String>,
) -> Result<Option<PathBuf>, AssembleError> {
    let mut best: Option<Vec<u8>> = None;
    for base in REPO_BASES {
        let repomd_path = repo_path(base, "repodata/repomd.xml");
        let Some(item) = source.get(&repomd_path)? else {
            continue;
        };
        let text = String::from_utf8_lossy(&source.read(&item)?).into_owned();
        let repomd = Repomd::parse(&text).map_err(|e| {
            AssembleError::new(format!(
                "{}: {repomd_path}: {} (at byte {})",
                source.describe(),
                e.message,
                e.offset
            ))
        })?;
        let Some(record) = repomd.record("group").or_else(|| repomd.record("group_gz")) else {
            continue;
        };
        let path = repo_path(base, &record.href);
        let Some(item) = source.get(&path)? else {
            notes.push(format!(
                "{path}: named by {repomd_path} but not on the media"
            ));
            continue;
        };
        let plain = crate::media::xml::decompress(&source.read(&item)?)
            .map_err(|e| AssembleError::new(format!("{}: {path}: {e}", source.describe())))?;
        if best.as_ref().is_none_or(|b| plain.len() > b.len()) {
            best = Some(plain);
        }
    }
    let Some(bytes) = best else {
        notes.push("no comps in the source's repodata: groups cannot be resolved".into());
        return Ok(None);
    };
    let path = dir.join("comps.xml");
    write_file(&path, &bytes)?;
    Ok(Some(path))
}

/// Each repository's module metadata into its project file
/// ([`super::modules::module_file`]), where `collect` narrows it and
/// `kslint repo` finds it.
fn write_modules(
    source: &Source,
    dir: &Path,
    notes: &mut Vec<String>,
) -> Result<(), AssembleError> {
    for (base, text) in super::modules::read_source(source)? {
        let path = super::modules::module_file(dir, &base);
        write_file(&path, text.as_bytes())?;
        notes.push(format!(
            "module metadata of {} kept in {}: `kslint repo` writes it into the repodata",
            if base.is_empty() {
                "the repository"
            } else {
                &base
            },
            path.display()
        ));
    }
    Ok(())
}

/// `base/rest`, or `rest` for the root repository.
pub fn repo_path(base: &str, rest: &str) -> String {
    if base.is_empty() {
        rest.to_string()
    } else {
        format!("{base}/{rest}")
    }
}

fn toml_string(text: &str) -> String {
    let mut out = String::from("\"");
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if c.is_control() => out.push_str(&format!("\\u{:04X}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn config_text(
    syntax: Option<SyntaxVersion>,
    volume_id: Option<&str>,
    comps: bool,
    source: &Path,
) -> String {
    let mut text = String::from("# Written by `kslint init`.\n");
    if let Some(version) = syntax {
        text.push_str(&format!("syntax = {}\n", toml_string(version.name())));
    }
    text.push_str("\n[media]\nroot = \"isolinux\"\n");
    if comps {
        text.push_str("comps = \"comps.xml\"\n");
    }
    if let Some(id) = volume_id {
        text.push_str(&format!(
            "\n# The label the ISO build gives the disc; every LABEL= in the boot\n# configurations must equal it.\n[iso]\nvolume_id = {}\n",
            toml_string(id)
        ));
    }
    text.push_str(&format!(
        "\n# Where `kslint collect` copies RPMs from.\n[source]\nimage = {}\n",
        toml_string(&source.to_string_lossy())
    ));
    text
}

/// A minimal kickstart that installs `@core` from this media.
pub fn starter_kickstart(syntax: Option<SyntaxVersion>, volume_id: Option<&str>) -> String {
    let version = syntax
        .map(|v| format!("#version={}\n", v.name()))
        .unwrap_or_default();
    let media = volume_id.unwrap_or("this media");
    format!(
        "{version}# Starter kickstart written by `kslint init` for {media}.
# Edit it, then run `kslint collect` to copy the packages it needs.
cdrom
text
lang en_US.UTF-8
keyboard us
timezone Etc/UTC
network --bootproto=dhcp
rootpw --lock
bootloader --location=mbr
zerombr
clearpart --all --initlabel
autopart
reboot

%packages
@core
%end
"
    )
}
