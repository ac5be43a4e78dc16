//! Boot configurations of install media — `isolinux.cfg`, `grub.cfg` (in the
//! tree and inside `images/efiboot.img`), legacy `grub.conf` — checked
//! against the media they boot: the volume id, the files on it, and each
//! other.
//!
//! Each file is its own document with its own diagnostics, produced as an
//! [`Analysis`] like a kickstart's so the same reports show them. The
//! parsers ([`syslinux`], [`grub`]) are protocol-agnostic and keep exact
//! byte ranges; [`cmdline`] knows what the kernel and the installer make of
//! the arguments; [`volume`] resolves the volume id shared with the ISO build.

pub mod cmdline;
pub mod grub;
pub mod kernel;
pub mod media;
pub mod model;
pub mod syslinux;
pub mod view;
pub mod volume;

use std::collections::{HashMap, HashSet};
use std::ops::Range;
use std::path::{Path, PathBuf};

use crate::analysis::{self, Analysis, CheckOptions, VersionSource};
use crate::catalog::SyntaxVersion;
use crate::diagnostic::Diagnostic;
use crate::source::{FileId, SourceFile, SourceMap, TextRange};
use crate::suppress;
use crate::syntax::{self, model::Document};

use cmdline::{decode_label, source_option, DeviceKind, SourceSpec, Word};
use media::{EfiImage, Media, Role};
use model::{BootConfig, FileKind, Loader};

pub use view::{spec_on_media, BootView, FileLink};
pub use volume::{volume_id, VolumeId, VolumeIdSource};

/// File names loaders read their configuration from.
const SYSLINUX_NAMES: &[&str] = &["isolinux.cfg", "syslinux.cfg", "extlinux.conf"];
const GRUB2_NAMES: &[&str] = &["grub.cfg", "boot.conf"];
const GRUB_LEGACY_NAMES: &[&str] = &["grub.conf", "bootx64.conf", "bootia32.conf"];

/// Whether a file found while walking a directory is a boot configuration
/// to check. `isolinux/grub.conf` of stock media is an unused leftover
/// (it still holds lorax's `@KERNELPATH@` placeholders), so GRUB Legacy
/// files are checked only when named explicitly or under `EFI/BOOT/`.
pub fn is_boot_config_file(path: &Path) -> bool {
    let Some(name) = path
        .file_name()
        .map(|n| n.to_string_lossy().to_ascii_lowercase())
    else {
        return false;
    };
    if SYSLINUX_NAMES.contains(&name.as_str()) || GRUB2_NAMES.contains(&name.as_str()) {
        return true;
    }
    GRUB_LEGACY_NAMES.contains(&name.as_str())
        && path
            .parent()
            .and_then(Path::file_name)
            .is_some_and(|dir| dir.eq_ignore_ascii_case("boot"))
}

/// Which loader reads `path`: from its name, else from what it contains
/// (`menuentry` for GRUB 2, `label`/`append` for SYSLINUX, `title`/`kernel`
/// for GRUB Legacy). `None` when it does not look like a boot configuration.
pub fn loader_for(path: &Path, text: &str) -> Option<Loader> {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    if SYSLINUX_NAMES.contains(&name.as_str()) {
        return Some(Loader::Syslinux);
    }
    if GRUB2_NAMES.contains(&name.as_str()) {
        return Some(Loader::Grub2);
    }
    if GRUB_LEGACY_NAMES.contains(&name.as_str()) {
        return Some(Loader::GrubLegacy);
    }
    let mut syslinux = 0;
    let mut legacy = 0;
    for line in text.lines() {
        let mut words = line.split_whitespace();
        let first = words.next().unwrap_or("").to_ascii_lowercase();
        match first.as_str() {
            "menuentry" | "submenu" | "linuxefi" | "search" => return Some(Loader::Grub2),
            "label" | "append" | "menu" | "ui" => syslinux += 1,
            "title" | "hiddenmenu" | "splashimage" => legacy += 1,
            "default" | "timeout" | "kernel" | "initrd"
                if line.contains('=') && !line.contains(' ') =>
            {
                legacy += 1;
            }
            _ => {}
        }
    }
    if syslinux >= 2 {
        Some(Loader::Syslinux)
    } else if legacy >= 2 {
        Some(Loader::GrubLegacy)
    } else {
        None
    }
}

/// Whether a file named on the command line is a boot configuration: a
/// loader's file name, or content with boot entries (`label` with `kernel`
/// or `append`, `menuentry`, `title` with `kernel`) and no kickstart section.
pub fn looks_like_boot_config(path: &Path, text: &str) -> bool {
    if is_boot_config_file(path) {
        return true;
    }
    let mut counts: HashMap<&str, usize> = HashMap::new();
    for line in text.lines() {
        let first = line.split_whitespace().next().unwrap_or("");
        if first.starts_with('%') && !first.starts_with("%%") {
            return false;
        }
        let first = first.to_ascii_lowercase();
        for keyword in [
            "label",
            "kernel",
            "append",
            "menuentry",
            "title",
            "linux",
            "linuxefi",
        ] {
            if first == keyword {
                *counts.entry(keyword).or_default() += 1;
            }
        }
    }
    let count = |keyword: &str| counts.get(keyword).copied().unwrap_or(0);
    count("menuentry") > 0
        || (count("label") > 0 && count("kernel") + count("append") + count("linux") > 0)
        || (count("title") > 0 && count("kernel") > 0)
}

/// One parsed configuration file.
#[derive(Clone, Debug)]
pub struct Parsed {
    pub config: BootConfig,
    /// GRUB 2: unquoted `\xNN` in kernel arguments (see [`grub`]).
    pub eaten_hex: Vec<TextRange>,
}

pub fn parse(file: FileId, text: &str, loader: Loader) -> Parsed {
    match loader {
        Loader::Syslinux => Parsed {
            config: syslinux::parse(file, text),
            eaten_hex: Vec::new(),
        },
        Loader::Grub2 => {
            let grub = grub::parse(file, text);
            Parsed {
                config: grub.config,
                eaten_hex: grub.eaten_hex,
            }
        }
        Loader::GrubLegacy => Parsed {
            config: grub::parse_legacy(file, text),
            eaten_hex: Vec::new(),
        },
    }
}

/// A `LABEL=`/`CDLABEL=` on a kernel command line or a GRUB `search -l`.
#[derive(Clone, Debug)]
pub struct LabelRef {
    /// The label after `\xNN` decoding (for `search`: as GRUB reads it).
    pub label: String,
    /// The word it is in, and where in the word's value the label is.
    pub word: Word,
    pub name: Range<usize>,
    /// The argument it is part of, when on a kernel command line.
    pub spec: Option<SourceSpec>,
}

impl LabelRef {
    pub fn range(&self) -> TextRange {
        self.word.source(self.name.clone())
    }

    pub fn raw(&self) -> &str {
        &self.word.value[self.name.clone()]
    }
}

/// Every label reference of a configuration, in file order.
pub fn label_refs(config: &BootConfig) -> Vec<LabelRef> {
    let mut found = Vec::new();
    for word in config.all_args() {
        let Some(option) = source_option(word) else {
            continue;
        };
        let Some(spec) = SourceSpec::parse(word, option) else {
            continue;
        };
        if let Some(device) = &spec.device {
            if matches!(
                device.kind,
                DeviceKind::Label | DeviceKind::CdLabel | DeviceKind::ByLabelPath
            ) {
                found.push(LabelRef {
                    label: decode_label(&word.value[device.name.clone()]),
                    word: word.clone(),
                    name: device.name.clone(),
                    spec: Some(spec.clone()),
                });
            }
        }
    }
    for search in &config.searches {
        if let (true, Some(name)) = (search.by_label, &search.name) {
            found.push(LabelRef {
                label: name.value.clone(),
                word: name.clone(),
                name: 0..name.value.len(),
                spec: None,
            });
        }
    }
    found.sort_by_key(|label| label.word.range.start);
    found
}

/// Another configuration of the same media.
#[derive(Clone, Debug)]
pub struct Peer {
    pub role: Role,
    pub path: PathBuf,
    pub parsed: Parsed,
}

/// What the boot checks see of one configuration file.
pub struct BootCheck<'a> {
    pub sources: &'a SourceMap,
    /// The checked file first, then the files it `include`s.
    pub configs: &'a [Parsed],
    pub role: Role,
    pub media: &'a Media,
    /// The directory relative SYSLINUX paths resolve against.
    pub config_dir: &'a Path,
    pub volume: Option<&'a VolumeId>,
    pub peers: &'a [Peer],
    pub version: SyntaxVersion,
    /// False when the version is only the default guess.
    pub version_known: bool,
    /// The boot loader's files are in the tree (not a config-only overlay
    /// copied onto stock media at build time), so missing ones are errors.
    pub payload_present: bool,
    pub options: &'a CheckOptions,
}

impl BootCheck<'_> {
    pub fn main(&self) -> &BootConfig {
        &self.configs[0].config
    }

    pub fn loader(&self) -> Loader {
        self.main().loader
    }

    pub fn path(&self) -> &Path {
        &self.sources.get(self.main().file).path
    }

    /// Where a file a loader loads would be: SYSLINUX resolves relative
    /// names against its directory, GRUB against the root it searched for
    /// (the ISO root); `(cd0)/…`-style device prefixes are dropped. `None`
    /// for paths built from variables.
    pub fn boot_file_path(&self, path: &str) -> Option<String> {
        if path.contains('$') || path.is_empty() {
            return None;
        }
        let path = match path.strip_prefix('(') {
            Some(rest) => rest.split_once(')')?.1,
            None => path,
        };
        Some(path.to_string())
    }

    pub fn resolve_boot_file(&self, path: &str) -> Option<PathBuf> {
        let path = self.boot_file_path(path)?;
        if path.starts_with('/') || self.loader() != Loader::Syslinux {
            media::resolve(&self.media.root, &path)
        } else {
            media::resolve_from(&self.media.root, self.config_dir, &path)
        }
    }

    /// Label references of the checked file and its includes.
    pub fn label_refs(&self) -> Vec<LabelRef> {
        self.configs
            .iter()
            .flat_map(|parsed| label_refs(&parsed.config))
            .collect()
    }

    /// The peer with `role`, if the media has one.
    pub fn peer(&self, role: Role) -> Option<&Peer> {
        self.peers.iter().find(|peer| peer.role == role)
    }
}

/// Parses and checks one boot configuration. Diagnostics come sorted by
/// file and position.
pub fn analyze(file: SourceFile, options: &CheckOptions) -> Analysis {
    let path = file.path.clone();
    let media = media::discover(&path, options);
    let role = media::role_of(&path, &media.root);
    analyze_placed(file, options, media, role)
}

/// Reads and checks the boot configuration at `path`.
pub fn analyze_path(path: &Path, options: &CheckOptions) -> std::io::Result<Analysis> {
    Ok(analyze(SourceFile::read(path)?, options))
}

/// The media root of the configuration at `path` when that media has an
/// `images/efiboot.img` to check along with it.
pub fn media_with_efi_image(path: &Path, options: &CheckOptions) -> Option<PathBuf> {
    let media = media::discover(path, options);
    if !media.confident || media::role_of(path, &media.root) == Role::Other {
        return None;
    }
    media::resolve(&media.root, media::EFI_IMAGE).map(|_| media.root)
}

/// Checks the configuration inside `root/images/efiboot.img` (`None` when
/// there is no image). A damaged image or one without a configuration is
/// reported as a diagnostic on the image.
pub fn analyze_efi_image(root: &Path, options: &CheckOptions) -> Option<Analysis> {
    let image = media::resolve(root, media::EFI_IMAGE)?;
    let media = Media {
        root: root.to_path_buf(),
        confident: true,
    };
    match media::read_efi_image(&image) {
        EfiImage::Config { inner, bytes } => {
            let file = SourceFile::from_bytes(image.join(inner), &bytes);
            Some(analyze_placed(file, options, media, Role::EfiImage))
        }
        EfiImage::NoConfig => Some(image_problem(
            &image,
            options,
            format!(
                "`{}` holds no GRUB configuration ({}): booted from a USB stick on UEFI, GRUB stops at its command prompt",
                media::EFI_IMAGE,
                media::EFI_IMAGE_CONFIGS.join(", ")
            ),
        )),
        EfiImage::Unreadable(why) => Some(image_problem(
            &image,
            options,
            format!(
                "`{}` cannot be read as a FAT file system ({why}); UEFI firmware cannot boot it either",
                media::EFI_IMAGE
            ),
        )),
    }
}

/// Checks `file`, a configuration inside `root`'s EFI image given as text
/// (its path is the image path joined with the path inside the image): the
/// ISO build checks the copy it patched.
pub fn analyze_efi_config(root: &Path, file: SourceFile, options: &CheckOptions) -> Analysis {
    let media = Media {
        root: root.to_path_buf(),
        confident: true,
    };
    analyze_placed(file, options, media, Role::EfiImage)
}

fn image_problem(image: &Path, options: &CheckOptions, message: String) -> Analysis {
    let mut sources = SourceMap::default();
    let main = sources.add(SourceFile::new(image, ""));
    let mut diagnostics = vec![Diagnostic::new(
        &crate::rules::boot::EFIBOOT_UNREADABLE,
        main,
        TextRange::empty(0),
        message,
    )];
    apply_rule_settings(options, &mut diagnostics);
    let (version, version_source) = boot_version(options, None);
    boot_analysis(sources, main, diagnostics, (version, version_source), None)
}

/// A boot configuration's analysis: no kickstart document, its own
/// diagnostics and, when it parsed, the view editors read.
fn boot_analysis(
    sources: SourceMap,
    main: FileId,
    diagnostics: Vec<Diagnostic>,
    (version, version_source): (SyntaxVersion, VersionSource),
    boot: Option<BootView>,
) -> Analysis {
    Analysis {
        document: empty_document(main),
        sources,
        main,
        included: Vec::new(),
        links: Vec::new(),
        diagnostics,
        version,
        version_source,
        media: None,
        boot: boot.map(std::sync::Arc::new),
        notices: Vec::new(),
    }
}

fn empty_document(file: FileId) -> Document {
    Document::new(file, "", syntax::parse("", None))
}

/// `--syntax` > `kslint.toml` > the media's release > the default.
fn boot_version(options: &CheckOptions, media: Option<&Media>) -> (SyntaxVersion, VersionSource) {
    if let Some(version) = options.syntax {
        return (version, VersionSource::Option);
    }
    if let Some(version) = options.config.syntax_version() {
        let path = options.config.base_dir.join(crate::config::FILE_NAME);
        return (version, VersionSource::Config(path));
    }
    if let Some((version, path)) = media
        .filter(|media| media.confident)
        .and_then(|media| analysis::media_release(&media.root))
    {
        return (version, VersionSource::Media(path));
    }
    (SyntaxVersion::DEVEL, VersionSource::Default)
}

/// Adds the file at `path` to `sources` and parses it.
fn load(sources: &mut SourceMap, path: &Path, loader: Loader) -> Option<Parsed> {
    load_open(sources, path, loader, &HashMap::new())
}

/// [`load`], with the text of `open` (editor buffers, the ISO build's
/// patched copies) in place of the disk's when it has the path.
fn load_open(
    sources: &mut SourceMap,
    path: &Path,
    loader: Loader,
    open: &HashMap<PathBuf, std::sync::Arc<str>>,
) -> Option<Parsed> {
    let file = match open.get(path).or_else(|| open.get(&canonical(path))) {
        Some(text) => SourceFile::new(path, text.clone()),
        None => SourceFile::read(path).ok()?,
    };
    let id = sources.add(file);
    let text = sources.get(id).text.clone();
    Some(parse(id, &text, loader))
}

fn canonical(path: &Path) -> PathBuf {
    std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf())
}

fn analyze_placed(file: SourceFile, options: &CheckOptions, media: Media, role: Role) -> Analysis {
    let path = file.path.clone();
    let loader = loader_for(&path, &file.text).unwrap_or(Loader::Syslinux);
    let config_dir = if role == Role::EfiImage {
        media.root.clone()
    } else {
        canonical(&path)
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_default()
    };
    let mut sources = SourceMap::default();
    let main = sources.add(file);
    let text = sources.get(main).text.clone();
    let mut configs = vec![parse(main, &text, loader)];

    // SYSLINUX `include`s, a few levels deep.
    let mut seen: HashSet<PathBuf> = HashSet::from([canonical(&path)]);
    let mut next = 0;
    while next < configs.len() && configs.len() < 16 {
        let includes: Vec<String> = configs[next]
            .config
            .files
            .iter()
            .filter(|file| file.kind == FileKind::Include)
            .map(|file| file.word.value.clone())
            .collect();
        next += 1;
        for include in includes {
            let resolved = if include.starts_with('/') {
                media::resolve(&media.root, &include)
            } else {
                media::resolve_from(&media.root, &config_dir, &include)
            };
            let Some(resolved) = resolved else {
                continue;
            };
            if seen.insert(canonical(&resolved)) {
                if let Some(parsed) = load_open(
                    &mut sources,
                    &resolved,
                    Loader::Syslinux,
                    &options.open_files,
                ) {
                    configs.push(parsed);
                }
            }
        }
    }

    // The other configurations of the same media.
    let mut peers: Vec<Peer> = Vec::new();
    if role != Role::Other || media.confident {
        for (place, place_role) in media::CONFIG_PLACES {
            if peers.iter().any(|peer| peer.role == *place_role) {
                continue;
            }
            let Some(found) = media::resolve(&media.root, place) else {
                continue;
            };
            if !seen.insert(canonical(&found)) {
                continue;
            }
            let text = match options.open_files.get(&found) {
                Some(open) => open.as_bytes().to_vec(),
                None => std::fs::read(&found).unwrap_or_default(),
            };
            let peer_loader =
                loader_for(&found, &String::from_utf8_lossy(&text)).unwrap_or(Loader::Syslinux);
            if let Some(parsed) = load_open(&mut sources, &found, peer_loader, &options.open_files)
            {
                peers.push(Peer {
                    role: *place_role,
                    path: found,
                    parsed,
                });
            }
        }
        if role != Role::EfiImage {
            if let Some(image) = media::resolve(&media.root, media::EFI_IMAGE) {
                if let EfiImage::Config { inner, bytes } = media::read_efi_image(&image) {
                    let inner_path = image.join(inner);
                    let file = match options.open_files.get(&inner_path) {
                        Some(open) => SourceFile::new(&inner_path, open.clone()),
                        None => SourceFile::from_bytes(&inner_path, &bytes),
                    };
                    let id = sources.add(file);
                    let text = sources.get(id).text.clone();
                    peers.push(Peer {
                        role: Role::EfiImage,
                        path: inner_path,
                        parsed: parse(
                            id,
                            &text,
                            loader_for(Path::new(inner), &text).unwrap_or(Loader::Grub2),
                        ),
                    });
                }
            }
        }
    }

    let labels: Vec<String> = configs
        .iter()
        .map(|parsed| &parsed.config)
        .chain(peers.iter().map(|peer| &peer.parsed.config))
        .flat_map(label_refs)
        .map(|label| label.label)
        .collect();
    let volume = volume::volume_id(
        &options.config,
        media.confident.then_some(media.root.as_path()),
        &labels,
    );
    let (version, version_source) = boot_version(options, Some(&media));
    let payload_present = payload_present(&configs, &media, &config_dir, loader);
    let check = BootCheck {
        sources: &sources,
        configs: &configs,
        role,
        media: &media,
        config_dir: &config_dir,
        volume: volume.as_ref(),
        peers: &peers,
        version,
        version_known: version_source != VersionSource::Default,
        payload_present,
        options,
    };
    let mut diagnostics = crate::rules::boot::run(&check);
    for parsed in &configs {
        let file = parsed.config.file;
        suppress::apply(file, sources.get(file), &mut diagnostics);
    }
    apply_rule_settings(options, &mut diagnostics);
    diagnostics.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
    let view = BootView {
        config: configs[0].config.clone(),
        role,
        media: media.clone(),
        config_dir: config_dir.clone(),
        volume: volume.clone(),
    };
    boot_analysis(
        sources,
        main,
        diagnostics,
        (version, version_source),
        Some(view),
    )
}

/// Whether the loader's own files are in the tree: the loader binary next
/// to the configuration, or any kernel, initrd or module it names. A
/// config-only overlay (the seed project keeps just `isolinux.cfg` and
/// `ks/`, and copies the rest from the stock DVD at build time) has none.
fn payload_present(configs: &[Parsed], media: &Media, config_dir: &Path, loader: Loader) -> bool {
    if !media.confident {
        return false;
    }
    let binaries: &[&str] = match loader {
        Loader::Syslinux => &["isolinux.bin", "ldlinux.c32", "syslinux.bin"],
        Loader::Grub2 | Loader::GrubLegacy => &[],
    };
    if binaries
        .iter()
        .any(|name| media::resolve(config_dir, name).is_some())
    {
        return true;
    }
    configs
        .iter()
        .flat_map(|parsed| parsed.config.all_files())
        .any(|file| {
            let value = &file.word.value;
            if value.contains('$') {
                return false;
            }
            let value = value
                .strip_prefix('(')
                .and_then(|rest| rest.split_once(')'))
                .map_or(value.as_str(), |(_, path)| path);
            if value.starts_with('/') || loader != Loader::Syslinux {
                media::resolve(&media.root, value).is_some()
            } else {
                media::resolve_from(&media.root, config_dir, value).is_some()
            }
        })
}

/// Drops diagnostics of rules turned off in `[rules]` and applies the
/// severities configured there.
fn apply_rule_settings(options: &CheckOptions, diagnostics: &mut Vec<Diagnostic>) {
    diagnostics.retain_mut(
        |diagnostic| match options.config.rule_setting(diagnostic.rule) {
            None => true,
            Some(None) => false,
            Some(Some(severity)) => {
                diagnostic.severity = severity;
                true
            }
        },
    );
}

/// The volume id for the media tree at `root`, for the ISO build: the
/// settings, the stock label of its release, or the label its boot
/// configurations use.
pub fn media_volume_id(root: &Path, config: &crate::config::Config) -> Option<VolumeId> {
    let mut sources = SourceMap::default();
    let mut labels = Vec::new();
    for (place, _) in media::CONFIG_PLACES {
        let Some(found) = media::resolve(root, place) else {
            continue;
        };
        let text = std::fs::read(&found).unwrap_or_default();
        let loader =
            loader_for(&found, &String::from_utf8_lossy(&text)).unwrap_or(Loader::Syslinux);
        if let Some(parsed) = load(&mut sources, &found, loader) {
            labels.extend(label_refs(&parsed.config).into_iter().map(|l| l.label));
        }
    }
    if let Some(image) = media::resolve(root, media::EFI_IMAGE) {
        if let EfiImage::Config { inner, bytes } = media::read_efi_image(&image) {
            let text = String::from_utf8_lossy(&bytes);
            let loader = loader_for(Path::new(inner), &text).unwrap_or(Loader::Grub2);
            let parsed = parse(FileId(0), &text, loader);
            labels.extend(label_refs(&parsed.config).into_iter().map(|l| l.label));
        }
    }
    volume::volume_id(config, Some(root), &labels)
}

/// A boot entry that loads a kickstart.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KickstartUse {
    /// The boot configuration (for the EFI image: `images/efiboot.img/EFI/BOOT/grub.cfg`).
    pub config: PathBuf,
    /// The entry's label or title.
    pub entry: String,
    /// 1-based line of the `inst.ks=` argument.
    pub line: usize,
    /// The argument as written.
    pub argument: String,
}

/// The boot entries of the media around `kickstart` whose `inst.ks` loads
/// it, so a kickstart check can say how the file is reached. The media root
/// is `--media`/`[media] root`, else the nearest directory above the
/// kickstart that holds media files or a boot configuration.
pub fn entries_loading(kickstart: &Path, options: &CheckOptions) -> Vec<KickstartUse> {
    let target = canonical(kickstart);
    let root = analysis::media_root(options).or_else(|| {
        target.ancestors().skip(1).take(4).find_map(|dir| {
            let found = media::CONFIG_PLACES
                .iter()
                .any(|(place, _)| media::resolve(dir, place).is_some());
            found.then(|| dir.to_path_buf())
        })
    });
    let Some(root) = root else {
        return Vec::new();
    };
    let mut sources = SourceMap::default();
    let mut configs: Vec<Parsed> = Vec::new();
    for (place, _) in media::CONFIG_PLACES {
        let Some(found) = media::resolve(&root, place) else {
            continue;
        };
        let text = std::fs::read(&found).unwrap_or_default();
        let loader =
            loader_for(&found, &String::from_utf8_lossy(&text)).unwrap_or(Loader::Syslinux);
        configs.extend(load(&mut sources, &found, loader));
    }
    if let Some(image) = media::resolve(&root, media::EFI_IMAGE) {
        if let EfiImage::Config { inner, bytes } = media::read_efi_image(&image) {
            let id = sources.add(SourceFile::from_bytes(image.join(inner), &bytes));
            let text = sources.get(id).text.clone();
            configs.push(parse(
                id,
                &text,
                loader_for(Path::new(inner), &text).unwrap_or(Loader::Grub2),
            ));
        }
    }
    let labels: Vec<String> = configs
        .iter()
        .flat_map(|parsed| label_refs(&parsed.config))
        .map(|label| label.label)
        .collect();
    let volume = volume::volume_id(&options.config, Some(&root), &labels);
    let mut found = Vec::new();
    for parsed in &configs {
        for entry in &parsed.config.entries {
            for word in &entry.args {
                if source_option(word) != Some(cmdline::SourceOption::Kickstart) {
                    continue;
                }
                let Some(spec) = SourceSpec::parse(word, cmdline::SourceOption::Kickstart) else {
                    continue;
                };
                let on_media = spec_on_media(word, &spec, volume.as_ref());
                let Some(path) = spec.path.clone().filter(|_| on_media) else {
                    continue;
                };
                let loads = media::resolve(&root, &word.value[path])
                    .is_some_and(|file| canonical(&file) == target);
                if loads {
                    let source = sources.get(word.file);
                    found.push(KickstartUse {
                        config: source.path.clone(),
                        entry: entry.name.value.clone(),
                        line: source.line_index.line_of(word.range.start) + 1,
                        argument: word.value.clone(),
                    });
                }
            }
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognises_loaders() {
        let p = Path::new;
        assert_eq!(loader_for(p("x/isolinux.cfg"), ""), Some(Loader::Syslinux));
        assert_eq!(loader_for(p("EFI/BOOT/grub.cfg"), ""), Some(Loader::Grub2));
        assert_eq!(
            loader_for(p("isolinux/grub.conf"), ""),
            Some(Loader::GrubLegacy)
        );
        assert_eq!(
            loader_for(p("menu.cfg"), "default vesamenu.c32\nlabel a\n  append x\n"),
            Some(Loader::Syslinux)
        );
        assert_eq!(
            loader_for(p("x.tpl"), "set default=0\nmenuentry 'x' {\n}\n"),
            Some(Loader::Grub2)
        );
        assert_eq!(loader_for(p("ks.cfg"), "lang en_US\nrootpw x\n"), None);
        assert!(is_boot_config_file(p("a/EFI/BOOT/BOOTX64.conf")));
        assert!(!is_boot_config_file(p("a/isolinux/grub.conf")));
        assert!(is_boot_config_file(p("a/isolinux/isolinux.cfg")));
        assert!(looks_like_boot_config(
            p("x_isolinux.cfg"),
            "default vesamenu.c32\nlabel a\n  text help\n  endtext\n  text help\n  kernel vmlinuz\n"
        ));
        assert!(!looks_like_boot_config(
            p("ks.cfg"),
            "text\n%post\nlabel x\nkernel y\n%end\n"
        ));
    }

    #[test]
    fn label_refs_cover_arguments_and_search() {
        let text = "search --set=root -l 'A B'\nmenuentry 'x' {\n linux /v inst.stage2=hd:LABEL=A\\x20B inst.ks=hd:LABEL=C:/ks.cfg\n}\n";
        let parsed = parse(FileId(0), text, Loader::Grub2);
        let labels: Vec<_> = label_refs(&parsed.config)
            .into_iter()
            .map(|l| {
                (
                    l.label.clone(),
                    text[l.range().start..l.range().end].to_string(),
                )
            })
            .collect();
        assert_eq!(
            labels,
            [
                ("A B".to_string(), "A B".to_string()),
                ("A B".to_string(), "A\\x20B".to_string()),
                ("C".to_string(), "C".to_string()),
            ]
        );
    }
}
