//! KS4xxx: boot configurations (`isolinux.cfg`, `grub.cfg`, the `grub.cfg`
//! inside `images/efiboot.img`, `grub.conf`) checked against the volume id,
//! the files on the media and each other. A boot argument that names a
//! label or path the media does not have is the classic "dracut-initqueue
//! timeout … /dev/root does not exist"; these checks find it before a VM
//! boot does.

use std::collections::HashMap;
use std::path::Path;

use super::{declare_rule, suggest};
use crate::boot::cmdline::{
    bad_escapes, decode_label, escape_label, option_name, source_option, DeviceKind, Scheme,
    SourceOption, SourceSpec, Word, SCHEME_NAMES,
};
use crate::boot::media::{self, Role};
use crate::boot::model::{BootConfig, DefaultKind, DefaultSetting, Entry, FileKind, Loader};
use crate::boot::volume::{volume_id_problems, VolumeIdSource};
use crate::boot::{spec_on_media, BootCheck, LabelRef};
use crate::catalog::VersionLine;
use crate::diagnostic::{fix, Applicability, Diagnostic, Fix, Severity, TextEdit};
use crate::source::{FileId, TextRange};

declare_rule!(
    BOOT_SOURCE_SCHEME,
    "KS4001",
    "boot-source-scheme",
    Error,
    "`inst.stage2`/`inst.repo`/`inst.ks` names a source type the installer does not know"
);
declare_rule!(
    BOOT_LABEL_MISMATCH,
    "KS4002",
    "boot-label-mismatch",
    Error,
    "A boot argument's `LABEL=` is not the volume id of the ISO"
);
declare_rule!(
    VOLUME_ID_ASSUMED,
    "KS4003",
    "volume-id-assumed",
    Warning,
    "Boot entries refer to the media by label, but no volume id is set"
);
declare_rule!(
    VOLUME_ID_INVALID,
    "KS4004",
    "volume-id-invalid",
    Error,
    "The volume id is too long or has characters an ISO 9660 volume id cannot hold"
);
declare_rule!(
    LABEL_ESCAPE,
    "KS4005",
    "label-escape",
    Error,
    "A label is escaped the wrong way for its loader (space, `\\\\x20`, `\\040`, `\\x` in `search`)"
);
declare_rule!(
    GRUB_BACKSLASH_ESCAPE,
    "KS4006",
    "grub-backslash-escape",
    Info,
    "An unquoted `\\xNN` in a GRUB kernel argument relies on the distribution's GRUB build"
);
declare_rule!(
    DEVICE_NAME_SOURCE,
    "KS4007",
    "device-name-source",
    Warning,
    "A boot source names a kernel device (`/dev/sr0`, `sda1`) instead of a label"
);
declare_rule!(
    CDROM_KICKSTART_WAIT,
    "KS4008",
    "cdrom-kickstart-wait",
    Warning,
    "`inst.ks=cdrom:…` waits forever when the media is not an optical drive"
);
declare_rule!(
    MEDIA_PATH_MISSING,
    "KS4009",
    "media-path-missing",
    Error,
    "A kickstart, stage2 or repo path is not on the media"
);
declare_rule!(
    STAGE2_NOT_A_TREE,
    "KS4010",
    "stage2-not-a-tree",
    Error,
    "`inst.stage2`/`inst.repo` points at something that is not an install tree or ISO"
);
declare_rule!(
    BOOT_FILE_MISSING,
    "KS4011",
    "boot-file-missing",
    Error,
    "A kernel, initrd, module or included file of the boot menu is not on the media"
);
declare_rule!(
    LEGACY_BOOT_OPTION,
    "KS4012",
    "legacy-boot-option",
    Warning,
    "An installer boot option without the `inst.` prefix (`ks=`, `repo=`)"
);
declare_rule!(
    INST_OPTION_TOO_NEW,
    "KS4013",
    "inst-option-too-new",
    Warning,
    "An `inst.` boot option on a release whose installer does not know the prefix"
);
declare_rule!(
    BOOT_MENUS_OUT_OF_SYNC,
    "KS4014",
    "boot-menus-out-of-sync",
    Error,
    "The BIOS and UEFI boot menus load different kickstarts"
);
declare_rule!(
    GRUB_SEARCH_LABEL,
    "KS4015",
    "grub-search-label",
    Error,
    "GRUB `search -l` looks for a label that is not the volume id"
);
declare_rule!(
    EFIBOOT_GRUB_STALE,
    "KS4016",
    "efiboot-grub-stale",
    Error,
    "The `grub.cfg` inside `images/efiboot.img` differs from `EFI/BOOT/grub.cfg`"
);
declare_rule!(
    EFIBOOT_UNREADABLE,
    "KS4017",
    "efiboot-unreadable",
    Error,
    "`images/efiboot.img` is not a readable FAT image with a GRUB configuration"
);
declare_rule!(
    SYSLINUX_INLINE_COMMENT,
    "KS4018",
    "syslinux-inline-comment",
    Error,
    "A `#` after a SYSLINUX directive is data, not a comment"
);
declare_rule!(
    DUPLICATE_BOOT_LABEL,
    "KS4019",
    "duplicate-boot-label",
    Warning,
    "Two SYSLINUX entries have the same `label`"
);
declare_rule!(
    BOOT_DEFAULT,
    "KS4020",
    "boot-default",
    Warning,
    "The default entry is duplicated or names no entry"
);
declare_rule!(
    UNATTENDED_BOOT,
    "KS4021",
    "unattended-boot",
    Info,
    "Kickstart media whose menu does not boot the kickstart entry on its own"
);
declare_rule!(
    KICKSTART_WITHOUT_STAGE2,
    "KS4022",
    "kickstart-without-stage2",
    Warning,
    "An entry loads a kickstart but names no `inst.stage2` or `inst.repo`"
);
declare_rule!(
    TEMPLATE_PLACEHOLDER,
    "KS4023",
    "template-placeholder",
    Error,
    "An unreplaced template placeholder (`%%LABEL%%`, `@ROOT@`, `{{ x }}`) in a boot menu"
);
declare_rule!(
    OEMDRV_LABEL,
    "KS4024",
    "oemdrv-label",
    Info,
    "The media is labelled `OEMDRV`, which the installer treats specially"
);
declare_rule!(
    GRUB_SYNTAX,
    "KS4025",
    "grub-syntax",
    Error,
    "A GRUB script with an unclosed quote or block"
);

declare_rule!(
    USB_INSTALL_SOURCE,
    "KS4026",
    "usb-install-source",
    Warning,
    "On EL 8 and later, a kickstart entry with only `inst.stage2` may find no package source when booted from USB"
);
declare_rule!(
    VOLUME_ID_USB_RELABEL,
    "KS4027",
    "volume-id-usb-relabel",
    Info,
    "A kickstart on the media names a volume id that FAT-based USB writers change"
);

type Check = fn(&BootCheck, &mut Vec<Diagnostic>);

const CHECKS: &[Check] = &[
    source_schemes,
    labels,
    volume_id_checks,
    grub_escapes,
    device_sources,
    media_paths,
    boot_files,
    option_names,
    menus_in_sync,
    efi_image_stale,
    inline_comments,
    duplicate_labels,
    defaults,
    unattended,
    kickstart_without_stage2,
    usb_install_source,
    placeholders,
    grub_syntax,
];

/// Runs every boot check.
pub(crate) fn run(cx: &BootCheck) -> Vec<Diagnostic> {
    let mut diagnostics = Vec::new();
    for check in CHECKS {
        check(cx, &mut diagnostics);
    }
    diagnostics
}

/// A source argument (`inst.ks=…`) of one entry, parsed.
struct SourceArg<'a> {
    word: &'a Word,
    spec: SourceSpec,
}

fn source_args<'a>(cx: &'a BootCheck) -> Vec<SourceArg<'a>> {
    let mut found = Vec::new();
    for parsed in cx.configs {
        let per_entry = parsed
            .config
            .entries
            .iter()
            .flat_map(|entry| entry.args.iter().map(move |word| (Some(entry), word)));
        let global = parsed.config.global_args.iter().map(|word| (None, word));
        for (_, word) in per_entry.chain(global) {
            let Some(option) = source_option(word) else {
                continue;
            };
            if let Some(spec) = SourceSpec::parse(word, option) {
                found.push(SourceArg { word, spec });
            }
        }
    }
    found
}

/// How sure a fix that writes the volume id can be.
fn volume_fix_applicability(cx: &BootCheck) -> Applicability {
    match cx.volume.map(|v| &v.source) {
        Some(VolumeIdSource::Config(_)) => Applicability::Safe,
        _ => Applicability::Unsafe,
    }
}

/// `'text'` for a GRUB script.
fn grub_quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', "'\\''"))
}

/// Whether a source argument refers to the media being checked (so its path
/// must be on it): the volume id's label, an optical drive, a device name.
fn targets_media(cx: &BootCheck, arg: &SourceArg) -> bool {
    spec_on_media(arg.word, &arg.spec, cx.volume)
}

// ---------------------------------------------------------------------------
// KS4001

fn source_schemes(cx: &BootCheck, out: &mut Vec<Diagnostic>) {
    for arg in source_args(cx) {
        let option = arg.spec.option;
        let file = arg.word.file;
        match arg.spec.scheme {
            Scheme::Unknown if option.checks_scheme() => {
                let scheme = &arg.word.value[arg.spec.scheme_range.clone()];
                let range = arg.word.source(arg.spec.scheme_range.clone());
                let consequence = if option == SourceOption::Kickstart {
                    "the installer finds no kickstart and the install is interactive"
                } else {
                    "dracut finds no installer image and stops with \"dracut-initqueue timeout … /dev/root does not exist\""
                };
                let mut diagnostic = Diagnostic::new(
                    &BOOT_SOURCE_SCHEME,
                    file,
                    range,
                    format!(
                        "`{scheme}` is not a source type of `{}`: {consequence}; use hd:, cdrom, nfs:, http(s)://, ftp://, hmc or LABEL=/UUID=/CDLABEL=",
                        option.name()
                    ),
                );
                let lower = scheme.to_ascii_lowercase();
                if let Some(better) = suggest(&lower, SCHEME_NAMES.iter().copied()) {
                    if arg.word.is_verbatim(arg.spec.scheme_range.clone()) {
                        diagnostic = diagnostic.with_fix(fix(
                            format!("Replace `{scheme}` with `{better}`"),
                            Applicability::Unsafe,
                            file,
                            range,
                            better,
                        ));
                    }
                }
                out.push(diagnostic);
            }
            Scheme::Empty
                if option.checks_scheme()
                    && option != SourceOption::Kickstart
                    && arg.word.value.contains('=') =>
            {
                out.push(Diagnostic::new(
                    &BOOT_SOURCE_SCHEME,
                    file,
                    arg.word.range,
                    format!("`{}=` names no source", option.name()),
                ));
            }
            Scheme::Device if option == SourceOption::Kickstart => {
                let range = arg.word.source(arg.spec.value.start..arg.spec.value.start);
                out.push(
                    Diagnostic::new(
                        &BOOT_SOURCE_SCHEME,
                        file,
                        arg.word.source(arg.spec.value.clone()),
                        "a kickstart location needs a source type: `LABEL=…` alone is not one (write `hd:LABEL=…:/path`)".to_string(),
                    )
                    .with_fix(fix("Insert `hd:`", Applicability::Safe, file, range, "hd:")),
                );
            }
            _ => {}
        }
    }
}

// ---------------------------------------------------------------------------
// KS4002, KS4005, KS4015

/// A label written with literal spaces on a kernel command line: the space
/// ends the argument, so `LABEL=CentOS 7 x86_64` becomes `LABEL=CentOS` and
/// two stray arguments. Returns the source range the whole label spans.
fn split_label(cx: &BootCheck, label: &LabelRef) -> Option<TextRange> {
    let volume = &cx.volume?.value;
    label.spec.as_ref()?;
    if label.name.end != label.word.value.len() {
        return None;
    }
    let mut remaining = volume.strip_prefix(&format!("{} ", label.label))?;
    let entry_args = cx
        .configs
        .iter()
        .flat_map(|parsed| parsed.config.entries.iter())
        .find(|entry| entry.args.iter().any(|arg| arg.range == label.word.range))
        .map(|entry| entry.args.as_slice())?;
    let at = entry_args
        .iter()
        .position(|arg| arg.range == label.word.range)?;
    for next in &entry_args[at + 1..] {
        let part = next.value.split(':').next().unwrap_or("");
        if remaining == part {
            let end = next.source(0..part.len()).end;
            return Some(TextRange::new(label.range().start, end));
        }
        if next.value.contains(':') {
            return None;
        }
        remaining = remaining.strip_prefix(&format!("{part} "))?;
    }
    None
}

fn labels(cx: &BootCheck, out: &mut Vec<Diagnostic>) {
    let refs = cx.label_refs();
    for label in &refs {
        let file = label.word.file;
        let Some(spec) = &label.spec else {
            search_label(cx, label, out);
            continue;
        };
        let mut escaped_badly = false;
        for bad in bad_escapes(label.raw()) {
            escaped_badly = true;
            let range = label
                .word
                .source(label.name.start + bad.range.start..label.name.start + bad.range.end);
            let mut diagnostic = Diagnostic::new(
                &LABEL_ESCAPE,
                file,
                range,
                format!(
                    "`{}` in a label: {}; dracut looks for the wrong /dev/disk/by-label/ name",
                    &label.raw()[bad.range.clone()],
                    bad.why
                ),
            );
            if !bad.replacement.is_empty() {
                diagnostic = diagnostic.with_fix(fix(
                    format!("Write `{}`", bad.replacement),
                    Applicability::Safe,
                    file,
                    range,
                    bad.replacement.clone(),
                ));
            }
            out.push(diagnostic);
        }
        let Some(volume) = cx.volume else {
            continue;
        };
        if label.label == volume.value || escaped_badly {
            continue;
        }
        if let Some(range) = split_label(cx, label) {
            out.push(
                Diagnostic::new(
                    &LABEL_ESCAPE,
                    file,
                    range,
                    format!(
                        "the spaces in this label end the argument: the kernel gets `LABEL={}` and the rest as separate arguments; write spaces as `\\x20`",
                        label.label
                    ),
                )
                .with_fix(fix(
                    "Escape the spaces as `\\x20`",
                    volume_fix_applicability(cx),
                    file,
                    range,
                    escape_label(&volume.value),
                )),
            );
            continue;
        }
        if !placeholders_in(label.raw(), true).is_empty() {
            // KS4023 reports the unreplaced placeholder.
            continue;
        }
        if label.label == "OEMDRV"
            && matches!(
                spec.option,
                SourceOption::Kickstart | SourceOption::DriverDisk
            )
        {
            // A separate disk with the kickstart or driver disk.
            continue;
        }
        let range = label.range();
        let mut diagnostic = Diagnostic::new(
            &BOOT_LABEL_MISMATCH,
            file,
            range,
            format!(
                "`{}` looks for a disk labelled `{}`, but {}: dracut waits for /dev/disk/by-label/{}, which never appears, and the boot ends in \"dracut-initqueue timeout … /dev/root does not exist\"",
                spec.option.name(),
                label.label,
                volume.describe(),
                escape_label(&label.label),
            ),
        );
        if label.word.is_verbatim(label.name.clone()) {
            diagnostic = diagnostic.with_fix(fix(
                format!("Use the volume id `{}`", volume.value),
                volume_fix_applicability(cx),
                file,
                range,
                escape_label(&volume.value),
            ));
        }
        out.push(diagnostic);
    }
}

fn search_label(cx: &BootCheck, label: &LabelRef, out: &mut Vec<Diagnostic>) {
    let file = label.word.file;
    let decoded = decode_label(&label.label);
    if decoded != label.label {
        out.push(
            Diagnostic::new(
                &LABEL_ESCAPE,
                file,
                label.word.range,
                format!(
                    "GRUB's `search` compares the label as written: `{}` only matches a volume literally called that; write the label with plain spaces, `{}`",
                    label.label,
                    grub_quote(&decoded)
                ),
            )
            .with_fix(fix(
                "Write the label unescaped",
                Applicability::Safe,
                file,
                label.word.range,
                grub_quote(&decoded),
            )),
        );
        return;
    }
    let Some(volume) = cx.volume else {
        return;
    };
    if label.label == volume.value {
        return;
    }
    out.push(
        Diagnostic::new(
            &GRUB_SEARCH_LABEL,
            file,
            label.word.range,
            format!(
                "`search` looks for the label `{}`, but {}: `root` stays on the EFI boot image and loading the kernel fails with \"file not found\"",
                label.label,
                volume.describe()
            ),
        )
        .with_fix(fix(
            format!("Search for `{}`", volume.value),
            volume_fix_applicability(cx),
            file,
            label.word.range,
            grub_quote(&volume.value),
        )),
    );
}

// ---------------------------------------------------------------------------
// KS4003, KS4004, KS4024

fn volume_id_checks(cx: &BootCheck, out: &mut Vec<Diagnostic>) {
    let Some(volume) = cx.volume else {
        return;
    };
    let refs = cx.label_refs();
    let Some(first) = refs.first() else {
        return;
    };
    if let VolumeIdSource::BootEntries { uses, total } = volume.source {
        let mut diagnostic = Diagnostic::new(
            &VOLUME_ID_ASSUMED,
            first.word.file,
            first.range(),
            format!(
                "the boot entries find the media by its label, but no volume id is set: kslint assumes `{}` ({uses} of {total} label references); set `[iso] volume_id` in kslint.toml and give mkisofs the same `-V`, or the ISO gets another label and the boot stops with \"dracut-initqueue timeout\"",
                volume.value
            ),
        );
        for other in refs.iter().skip(1).take(8) {
            diagnostic =
                diagnostic.with_related(other.word.file, other.range(), "also refers to the label");
        }
        out.push(diagnostic);
    }
    let problems = volume_id_problems(&volume.value);
    if !problems.is_empty() {
        let at = refs
            .iter()
            .find(|label| label.label == volume.value)
            .unwrap_or(first);
        out.push(Diagnostic::new(
            &VOLUME_ID_INVALID,
            at.word.file,
            at.range(),
            format!(
                "{} cannot be an ISO volume id: {}",
                volume.describe(),
                problems.join("; ")
            ),
        ));
    }
    if problems.is_empty() {
        usb_relabel(cx, volume, out);
    }
    let oemdrv = refs
        .iter()
        .find(|label| label.label.eq_ignore_ascii_case("OEMDRV"));
    if let Some(label) = oemdrv {
        out.push(Diagnostic::new(
            &OEMDRV_LABEL,
            label.word.file,
            label.range(),
            "a disk labelled `OEMDRV` is special to the installer: it loads `/ks.cfg` from it automatically and scans it for driver disks, even without `inst.ks`".to_string(),
        ));
    }
}

/// Why a FAT volume label cannot be `id` as it is.
fn fat_label_problems(id: &str) -> Vec<&'static str> {
    let mut problems = Vec::new();
    if id.chars().count() > 11 {
        problems.push("is longer than 11 characters");
    }
    if id.chars().any(|c| c.is_lowercase()) {
        problems.push("has lower-case letters");
    }
    if id.contains(' ') {
        problems.push("has spaces");
    }
    if id
        .chars()
        .any(|c| !(c.is_ascii_alphanumeric() || matches!(c, ' ' | '_' | '-')))
    {
        problems.push("has characters FAT labels do not keep");
    }
    problems
}

/// The first line of `text` that names the volume `id` by label
/// (`LABEL=…`, `/dev/disk/by-label/…`, written plain or `\xNN`-escaped).
fn line_naming_label(text: &str, id: &str) -> Option<usize> {
    let escaped = escape_label(id);
    let forms: Vec<String> = ["LABEL=", "by-label/"]
        .iter()
        .flat_map(|prefix| [format!("{prefix}{escaped}"), format!("{prefix}{id}")])
        .collect();
    text.lines().position(|line| {
        let line = line.trim_start();
        !line.starts_with('#')
            && forms.iter().any(|form| {
                line.match_indices(form.as_str()).any(|(at, _)| {
                    // The whole label, not a prefix of a longer one.
                    let rest = &line[at + form.len()..];
                    !rest.starts_with(|c: char| c.is_alphanumeric() || c == '_' || c == '-')
                })
            })
    })
}

/// KS4027: the media's kickstart names a label a FAT USB writer changes.
fn usb_relabel(cx: &BootCheck, volume: &crate::boot::VolumeId, out: &mut Vec<Diagnostic>) {
    let fat = fat_label_problems(&volume.value);
    if fat.is_empty() || !cx.media.confident {
        return;
    }
    let mut seen = Vec::new();
    for arg in source_args(cx) {
        if arg.spec.option != SourceOption::Kickstart || !targets_media(cx, &arg) {
            continue;
        }
        let path = arg
            .spec
            .path
            .as_ref()
            .map_or("/ks.cfg", |path| &arg.word.value[path.clone()]);
        let Some(found) = media::resolve(&cx.media.root, path) else {
            continue;
        };
        if seen.contains(&found) {
            continue;
        }
        seen.push(found.clone());
        let Some(text) = read_kickstart(cx, &found) else {
            continue;
        };
        let Some(line) = line_naming_label(&text, &volume.value) else {
            continue;
        };
        let range = arg
            .spec
            .path
            .clone()
            .map_or(arg.word.range, |path| arg.word.source(path));
        out.push(Diagnostic::new(
            &VOLUME_ID_USB_RELABEL,
            arg.word.file,
            range,
            format!(
                "the kickstart `{path}` names the volume `{}` by label (line {}), and the label {}: a USB writer that copies the ISO onto a FAT stick (Rufus or UNetbootin in ISO mode) relabels the stick to at most 11 upper-case characters and rewrites the boot menus, not the kickstart, so its source is not found; write the hybrid ISO in dd mode, or choose a label such as `{}`",
                volume.value,
                line + 1,
                fat.join(", "),
                fat_label_suggestion(&volume.value)
            ),
        ));
    }
}

/// `CentOS 7 x86_64` → `CENTOS7X86`: a label that survives FAT writers.
fn fat_label_suggestion(id: &str) -> String {
    id.chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-'))
        .map(|c| c.to_ascii_uppercase())
        .take(11)
        .collect()
}

// ---------------------------------------------------------------------------
// KS4006

fn grub_escapes(cx: &BootCheck, out: &mut Vec<Diagnostic>) {
    for parsed in cx.configs {
        let Some(first) = parsed.eaten_hex.first() else {
            continue;
        };
        let more = parsed.eaten_hex.len() - 1;
        let text = cx.sources.get(parsed.config.file).slice(*first);
        out.push(Diagnostic::new(
            &GRUB_BACKSLASH_ESCAPE,
            parsed.config.file,
            *first,
            format!(
                "upstream GRUB removes the backslash of an unquoted `{text}` (the kernel gets `{}`){}; the grub2 of RHEL, CentOS and Fedora media passes it through. If this media boots another GRUB build, choose a volume id without spaces",
                &text[1..],
                if more > 0 { format!(" — here and {more} more times") } else { String::new() }
            ),
        ));
    }
}

// ---------------------------------------------------------------------------
// KS4007, KS4008

fn device_sources(cx: &BootCheck, out: &mut Vec<Diagnostic>) {
    let volume = cx.volume.map(|v| escape_label(&v.value));
    for arg in source_args(cx) {
        let word = arg.word;
        let file = word.file;
        let spec = &arg.spec;
        let path_suffix = spec
            .path
            .clone()
            .map(|path| format!(":{}", &word.value[path]))
            .unwrap_or_default();
        if spec.option == SourceOption::Kickstart && spec.scheme == Scheme::Cdrom {
            let end = spec
                .path
                .as_ref()
                .map_or(spec.value.end, |path| path.start.saturating_sub(1));
            let range = word.source(spec.value.start..end.max(spec.value.start));
            let message = match &spec.device {
                Some(device) => format!(
                    "`inst.ks=cdrom:{}:…` waits for {} to appear, and a `cdrom:` kickstart waits forever: booted from a USB stick (a hybrid ISO written with dd) there is no such drive and the boot hangs without a timeout",
                    &word.value[device.range.clone()],
                    &word.value[device.range.clone()]
                ),
                None => "a `cdrom:` kickstart makes dracut wait forever for an optical drive: booted from a USB stick the boot hangs without a timeout".to_string(),
            };
            let mut diagnostic = Diagnostic::new(&CDROM_KICKSTART_WAIT, file, range, message);
            if spec.device.is_none() {
                diagnostic.severity = Severity::Info;
            }
            if let Some(label) = &volume {
                let path = if path_suffix.is_empty() {
                    ":/ks.cfg".to_string()
                } else {
                    path_suffix.clone()
                };
                let value_range = word.source(spec.value.clone());
                if word.is_verbatim(spec.value.clone()) {
                    diagnostic = diagnostic.with_fix(fix(
                        "Load the kickstart by the media's label",
                        volume_fix_applicability(cx),
                        file,
                        value_range,
                        format!("hd:LABEL={label}{path}"),
                    ));
                }
            }
            out.push(diagnostic);
            continue;
        }
        let Some(device) = &spec.device else {
            continue;
        };
        if device.kind != DeviceKind::KernelName || device.range.is_empty() {
            continue;
        }
        let name = &word.value[device.range.clone()];
        let range = word.source(device.range.clone());
        let mut diagnostic = Diagnostic::new(
            &DEVICE_NAME_SOURCE,
            file,
            range,
            format!(
                "`{name}` is a kernel device name: it depends on the controller and probe order, and booted from a USB stick the media is a `sdX` disk, not `sr0`; name the media by its label"
            ),
        );
        if let Some(label) = &volume {
            if word.is_verbatim(spec.value.clone()) {
                let (range, replacement) = if spec.scheme == Scheme::Cdrom {
                    (
                        word.source(spec.value.clone()),
                        format!("hd:LABEL={label}{path_suffix}"),
                    )
                } else {
                    (range, format!("LABEL={label}"))
                };
                diagnostic = diagnostic.with_fix(fix(
                    "Name the media by its label",
                    volume_fix_applicability(cx),
                    file,
                    range,
                    replacement,
                ));
            }
        }
        out.push(diagnostic);
    }
}

// ---------------------------------------------------------------------------
// KS4009, KS4010

/// Directories skipped when looking for a file elsewhere on the media.
const PAYLOAD_DIRS: &[&str] = &[
    "Packages",
    "repodata",
    "LiveOS",
    "images",
    "EFI",
    "BaseOS",
    "AppStream",
];

fn find_by_name(dir: &Path, name: &str, depth: usize, found: &mut Vec<std::path::PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.filter_map(Result::ok) {
        let path = entry.path();
        let file_name = entry.file_name().to_string_lossy().into_owned();
        if path.is_dir() {
            if depth > 0 && !PAYLOAD_DIRS.contains(&file_name.as_str()) {
                find_by_name(&path, name, depth - 1, found);
            }
        } else if file_name == name {
            found.push(path);
        }
        if found.len() > 4 {
            return;
        }
    }
}

fn media_paths(cx: &BootCheck, out: &mut Vec<Diagnostic>) {
    if !cx.media.confident {
        return;
    }
    let root = &cx.media.root;
    for arg in source_args(cx) {
        let spec = &arg.spec;
        if !matches!(
            spec.option,
            SourceOption::Kickstart
                | SourceOption::Stage2
                | SourceOption::Repo
                | SourceOption::DriverDisk
                | SourceOption::Updates
        ) || !targets_media(cx, &arg)
        {
            continue;
        }
        let Some(path_range) = spec.path.clone() else {
            continue;
        };
        let word = arg.word;
        let file = word.file;
        let path = &word.value[path_range.clone()];
        if path == "/" || path.contains('$') {
            continue;
        }
        let range = word.source(path_range.clone());
        let Some(found) = media::resolve(root, path) else {
            let name = path.rsplit('/').next().unwrap_or(path);
            let mut elsewhere = Vec::new();
            if !name.is_empty() {
                find_by_name(root, name, 4, &mut elsewhere);
            }
            let mut diagnostic = Diagnostic::new(
                &MEDIA_PATH_MISSING,
                file,
                range,
                format!(
                    "`{path}` is not on the media: paths after the label are relative to the ISO root, and {} does not exist{}",
                    root.join(path.trim_start_matches('/')).display(),
                    if spec.option == SourceOption::Kickstart {
                        "; the installer finds no kickstart"
                    } else {
                        ""
                    }
                ),
            );
            if let [only] = elsewhere.as_slice() {
                if let Ok(relative) = only.strip_prefix(root) {
                    let better = format!("/{}", relative.to_string_lossy().replace('\\', "/"));
                    if word.is_verbatim(path_range.clone()) {
                        diagnostic = diagnostic.with_fix(fix(
                            format!("Use `{better}`"),
                            Applicability::Unsafe,
                            file,
                            range,
                            better,
                        ));
                    }
                }
            }
            out.push(diagnostic);
            continue;
        };
        if !matches!(spec.option, SourceOption::Stage2 | SourceOption::Repo) {
            continue;
        }
        if found.is_file() {
            if found
                .extension()
                .is_some_and(|ext| ext.eq_ignore_ascii_case("iso"))
            {
                continue;
            }
            let cut = word.source(path_range.start - 1..path_range.end);
            out.push(
                Diagnostic::new(
                    &STAGE2_NOT_A_TREE,
                    file,
                    range,
                    format!(
                        "`{}` points at the file `{path}`: it needs a directory holding .treeinfo, LiveOS/squashfs.img or images/install.img (or an .iso), and dracut reports \"no suitable images\"",
                        spec.option.name()
                    ),
                )
                .with_fix(fix(
                    "Point at the root of the media",
                    Applicability::Unsafe,
                    file,
                    cut,
                    "",
                )),
            );
            continue;
        }
        let markers: &[&str] = if spec.option == SourceOption::Stage2 {
            &[".treeinfo", "LiveOS/squashfs.img", "images/install.img"]
        } else {
            &[".treeinfo", "repodata/repomd.xml"]
        };
        if !markers
            .iter()
            .any(|marker| media::resolve(&found, marker).is_some())
        {
            out.push(Diagnostic::new(
                &STAGE2_NOT_A_TREE,
                file,
                range,
                format!(
                    "`{path}` holds none of {}: `{}` cannot use it",
                    markers.join(", "),
                    spec.option.name()
                ),
            ));
        }
    }
}

// ---------------------------------------------------------------------------
// KS4011

/// `ISOLINUX 6.04` → 6, from the version string in `isolinux.bin`.
fn isolinux_major(bytes: &[u8]) -> Option<u8> {
    let at = bytes.windows(9).position(|window| window == b"ISOLINUX ")?;
    let digit = *bytes.get(at + 9)?;
    digit.is_ascii_digit().then(|| digit - b'0')
}

fn boot_files(cx: &BootCheck, out: &mut Vec<Diagnostic>) {
    if !cx.media.confident || !cx.payload_present {
        return;
    }
    for parsed in cx.configs {
        for file_ref in parsed.config.all_files() {
            let value = &file_ref.word.value;
            if cx.boot_file_path(value).is_none() || cx.resolve_boot_file(value).is_some() {
                continue;
            }
            let (what, consequence) = match file_ref.kind {
                FileKind::Kernel => ("kernel", "the loader cannot start the entry"),
                FileKind::Initrd => (
                    "initrd",
                    "the kernel starts without its initramfs and panics",
                ),
                FileKind::Module => ("module", "the loader cannot show its menu"),
                FileKind::Include => ("included file", "its entries and settings are missing"),
                FileKind::Other => ("file", "the loader shows an error instead"),
            };
            let base = if value.starts_with('/') || cx.loader() != Loader::Syslinux {
                cx.media.root.clone()
            } else {
                cx.config_dir.to_path_buf()
            };
            out.push(Diagnostic::new(
                &BOOT_FILE_MISSING,
                file_ref.word.file,
                file_ref.word.range,
                format!(
                    "the {what} `{value}` is not in {}: {consequence}",
                    base.display()
                ),
            ));
        }
    }
    efi_loaders(cx, out);
    kernel_initrd_pairs(cx, out);
    if cx.loader() == Loader::Syslinux {
        let Some(bin) = media::resolve(cx.config_dir, "isolinux.bin") else {
            return;
        };
        let major = std::fs::read(&bin)
            .ok()
            .and_then(|bytes| isolinux_major(&bytes));
        if let Some(major) = major {
            module_builds(cx, major, out);
        }
        if major.is_some_and(|major| major >= 5)
            && media::resolve(cx.config_dir, "ldlinux.c32").is_none()
        {
            let main = cx.main();
            let at = main
                .defaults
                .first()
                .map_or(TextRange::empty(0), |default| default.keyword);
            out.push(Diagnostic::new(
                &BOOT_FILE_MISSING,
                main.file,
                at,
                format!(
                    "isolinux.bin is ISOLINUX {}, which loads ldlinux.c32 before anything else, and there is no ldlinux.c32 next to it: the boot stops with \"Failed to load ldlinux.c32\"",
                    major.unwrap_or(0)
                ),
            ));
        }
    }
}

/// Whether the file at `path` starts like an ELF object: the COM32 modules
/// of SYSLINUX 5 and later are ELF, those of SYSLINUX 4 and older are not.
fn is_elf(path: &Path) -> Option<bool> {
    use std::io::Read as _;
    let mut magic = [0u8; 4];
    let mut file = std::fs::File::open(path).ok()?;
    let read = file.read(&mut magic).ok()?;
    Some(read == 4 && magic == *b"\x7fELF")
}

/// SYSLINUX modules (`vesamenu.c32`) from another SYSLINUX build than
/// `isolinux.bin`: the module format changed in SYSLINUX 5.
fn module_builds(cx: &BootCheck, major: u8, out: &mut Vec<Diagnostic>) {
    let mut seen = Vec::new();
    for parsed in cx.configs {
        for file_ref in parsed.config.all_files() {
            if file_ref.kind != FileKind::Module {
                continue;
            }
            let value = &file_ref.word.value;
            let Some(found) = cx.resolve_boot_file(value) else {
                continue;
            };
            if seen.contains(&found) {
                continue;
            }
            seen.push(found.clone());
            let Some(elf) = is_elf(&found) else {
                continue;
            };
            let message = match (major >= 5, elf) {
                (true, false) => format!(
                    "isolinux.bin is ISOLINUX {major}, but `{value}` is a module of SYSLINUX 4 or older (not an ELF object): ISOLINUX {major} cannot load it and stops with \"not a COM32R image\"; copy the modules from the same SYSLINUX build as isolinux.bin"
                ),
                (false, true) => format!(
                    "isolinux.bin is ISOLINUX {major}, but `{value}` is a module of SYSLINUX 5 or later (an ELF object): ISOLINUX {major} cannot load it; copy the modules from the same SYSLINUX build as isolinux.bin"
                ),
                _ => continue,
            };
            let mut diagnostic = Diagnostic::new(
                &BOOT_FILE_MISSING,
                file_ref.word.file,
                file_ref.word.range,
                message,
            );
            diagnostic.severity = Severity::Warning;
            out.push(diagnostic);
        }
    }
}

/// Entries whose initrd holds the modules of another kernel than the one
/// they boot (reported once per kernel and initrd pair).
fn kernel_initrd_pairs(cx: &BootCheck, out: &mut Vec<Diagnostic>) {
    let mut seen = Vec::new();
    for entry in all_entries(cx) {
        let Some(kernel) = &entry.kernel else {
            continue;
        };
        let Some(kernel_path) = cx.resolve_boot_file(&kernel.word.value) else {
            continue;
        };
        let mut kernel_version = None;
        for initrd in &entry.initrds {
            let Some(initrd_path) = cx.resolve_boot_file(&initrd.word.value) else {
                continue;
            };
            let pair = (kernel_path.clone(), initrd_path.clone());
            if seen.contains(&pair) {
                continue;
            }
            seen.push(pair);
            if kernel_version.is_none() {
                kernel_version = Some(crate::boot::kernel::kernel_version(&kernel_path));
            }
            let Some(Some(kernel_version)) = &kernel_version else {
                break;
            };
            let Some(modules) = crate::boot::kernel::initrd_version(&initrd_path) else {
                continue;
            };
            if &modules == kernel_version {
                continue;
            }
            out.push(
                Diagnostic::new(
                    &BOOT_FILE_MISSING,
                    initrd.word.file,
                    initrd.word.range,
                    format!(
                        "the kernel `{}` is Linux {kernel_version}, but the initrd `{}` holds the modules of {modules}: the initramfs cannot load this kernel's storage and network drivers and finds no installer image (\"dracut-initqueue timeout\"); copy the kernel and the initrd from the same media",
                        kernel.word.value, initrd.word.value
                    ),
                )
                .with_related(kernel.word.file, kernel.word.range, "the kernel"),
            );
        }
    }
}

/// The UEFI loaders: `EFI/BOOT/BOOTX64.EFI` next to the tree's `grub.cfg`,
/// and inside `images/efiboot.img` with the GRUB that shim loads.
fn efi_loaders(cx: &BootCheck, out: &mut Vec<Diagnostic>) {
    let main = cx.main();
    let at = main
        .entries
        .first()
        .map_or(TextRange::empty(0), |entry| entry.header);
    let tree_dir = cx.media.root.join("EFI").join("BOOT");
    let tree_files: Vec<String> =
        std::fs::read_dir(media::resolve(&cx.media.root, "EFI/BOOT").unwrap_or(tree_dir))
            .map(|entries| {
                entries
                    .filter_map(Result::ok)
                    .map(|entry| entry.file_name().to_string_lossy().into_owned())
                    .collect()
            })
            .unwrap_or_default();
    match cx.role {
        Role::Uefi
            if !tree_files
                .iter()
                .any(|name| media::is_default_efi_loader(name)) =>
        {
            out.push(Diagnostic::new(
                &BOOT_FILE_MISSING,
                main.file,
                at,
                "EFI/BOOT/ has no BOOTX64.EFI (or another BOOT<arch>.EFI): UEFI firmware finds no loader on the media and never reads this menu".to_string(),
            ));
        }
        Role::EfiImage => {
            let Some(image) = media::resolve(&cx.media.root, media::EFI_IMAGE) else {
                return;
            };
            let Some(files) = media::efi_image_boot_files(&image) else {
                return;
            };
            let has = |name: &str| files.iter().any(|file| file.eq_ignore_ascii_case(name));
            if !files.iter().any(|name| media::is_default_efi_loader(name)) {
                out.push(Diagnostic::new(
                    &BOOT_FILE_MISSING,
                    main.file,
                    at,
                    format!(
                        "`{}` has no EFI/BOOT/BOOTX64.EFI (or another BOOT<arch>.EFI): written to a USB stick, the media does not boot on UEFI",
                        media::EFI_IMAGE
                    ),
                ));
                return;
            }
            // shim (BOOTX64.EFI) starts the GRUB of the same directory.
            for grub in tree_files.iter().filter(|name| {
                name.to_ascii_lowercase().starts_with("grub")
                    && name.to_ascii_lowercase().ends_with(".efi")
            }) {
                if !has(grub) {
                    out.push(Diagnostic::new(
                        &BOOT_FILE_MISSING,
                        main.file,
                        at,
                        format!(
                            "the tree's EFI/BOOT/ has `{grub}` but `{}` does not: its BOOTX64.EFI (shim) looks for `{grub}` next to itself, so a USB boot on UEFI stops before this menu",
                            media::EFI_IMAGE
                        ),
                    ));
                }
            }
        }
        _ => {}
    }
}

// ---------------------------------------------------------------------------
// KS4012, KS4013

fn option_names(cx: &BootCheck, out: &mut Vec<Diagnostic>) {
    let version = cx.version;
    let (legacy_deprecated, legacy_ignored, prefix_unknown) = match version.line() {
        VersionLine::Rhel => (version.major() >= 8, false, version.major() <= 6),
        VersionLine::Fedora => (
            version.major() >= 33,
            version.major() >= 34,
            version.major() <= 18,
        ),
    };
    for parsed in cx.configs {
        for word in parsed.config.all_args() {
            let key = word.key();
            let Some(name) = option_name(key) else {
                continue;
            };
            let file = word.file;
            let key_range = word.source(0..key.len());
            if name.prefixed {
                if prefix_unknown && cx.version_known {
                    out.push(
                        Diagnostic::new(
                            &INST_OPTION_TOO_NEW,
                            file,
                            key_range,
                            format!(
                                "the {} installer does not know the `inst.` prefix (it came with RHEL 7 and Fedora 19): `{key}` is ignored; write `{}`",
                                version.name(),
                                name.bare
                            ),
                        )
                        .with_fix(fix(
                            "Remove the `inst.` prefix",
                            Applicability::Safe,
                            file,
                            word.source(0..5),
                            "",
                        )),
                    );
                }
                continue;
            }
            if !legacy_deprecated && cx.version_known {
                continue;
            }
            let replacement = match name.bare {
                "method" => Some("inst.repo"),
                "askmethod" | "ksdevice" => None,
                bare => Some(bare),
            };
            let what = if legacy_ignored && cx.version_known {
                format!("{} ignores it", version.name())
            } else if cx.version_known {
                format!(
                    "{} warns about it and a later release ignores it",
                    version.name()
                )
            } else {
                "RHEL 8 and Fedora 33 warn about it and Fedora 34 and later ignore it".to_string()
            };
            let mut diagnostic = Diagnostic::new(
                &LEGACY_BOOT_OPTION,
                file,
                key_range,
                match replacement {
                    Some(new) if new.starts_with("inst.") => format!(
                        "`{key}=` is the old spelling of `{new}=`; {what}, so the installer never sees it"
                    ),
                    Some(_) => format!(
                        "`{key}` is the old spelling of `inst.{key}`; {what}, so the installer never sees it"
                    ),
                    None => format!(
                        "`{key}` is an old installer option with no `inst.` replacement; {what}"
                    ),
                },
            );
            if legacy_ignored && cx.version_known {
                diagnostic.severity = Severity::Error;
            }
            if let Some(new) = replacement {
                let new = if new.starts_with("inst.") {
                    new.to_string()
                } else {
                    format!("inst.{new}")
                };
                if word.is_verbatim(0..key.len()) {
                    diagnostic = diagnostic.with_fix(fix(
                        format!("Write `{new}`"),
                        Applicability::Safe,
                        file,
                        key_range,
                        new,
                    ));
                }
            }
            out.push(diagnostic);
        }
    }
}

// ---------------------------------------------------------------------------
// KS4014

/// Kickstarts an entry set loads, keyed by what they load (the path on the
/// media, or the whole location when it is elsewhere).
fn kickstarts(cx: &BootCheck, config: &BootConfig) -> Vec<(String, Word, usize)> {
    let mut found = Vec::new();
    for (index, entry) in config.entries.iter().enumerate() {
        for word in &entry.args {
            if source_option(word) != Some(SourceOption::Kickstart) {
                continue;
            }
            let Some(spec) = SourceSpec::parse(word, SourceOption::Kickstart) else {
                continue;
            };
            let on_media = spec_on_media(word, &spec, cx.volume);
            let key = match (&spec.path, on_media) {
                (Some(path), true) => {
                    format!("/{}", word.value[path.clone()].trim_start_matches('/'))
                }
                _ => word.value[spec.value.clone()].to_string(),
            };
            found.push((key, word.clone(), index));
        }
    }
    found
}

fn file_name(cx: &BootCheck, file: FileId) -> String {
    let path = &cx.sources.get(file).path;
    path.strip_prefix(&cx.media.root)
        .unwrap_or(path)
        .display()
        .to_string()
}

fn menus_in_sync(cx: &BootCheck, out: &mut Vec<Diagnostic>) {
    let reference = match cx.role {
        Role::Uefi => cx.peer(Role::Bios),
        Role::EfiImage if cx.peer(Role::Uefi).is_none() => cx.peer(Role::Bios),
        _ => None,
    };
    let Some(reference) = reference else {
        return;
    };
    let theirs = kickstarts(cx, &reference.parsed.config);
    let main = cx.main();
    let ours = kickstarts(cx, main);
    let reference_name = file_name(cx, reference.parsed.config.file);
    // Where to add a missing kickstart: the default entry, else the first
    // entry that boots a kernel.
    let target = default_target(cx)
        .entry
        .filter(|entry| entry.kernel.is_some() && entry.name.file == main.file)
        .or_else(|| main.entries.iter().find(|entry| entry.kernel.is_some()));
    let mut reported: Vec<&String> = Vec::new();
    for (key, word, index) in &theirs {
        if ours.iter().any(|(ours_key, ..)| ours_key == key) || reported.contains(&key) {
            continue;
        }
        reported.push(key);
        let entry = &reference.parsed.config.entries[*index];
        let at = target.map_or(TextRange::empty(0), |entry| entry.header);
        let mut diagnostic = Diagnostic::new(
            &BOOT_MENUS_OUT_OF_SYNC,
            main.file,
            at,
            format!(
                "{} entry {} loads the kickstart `{key}` ({}); no entry of {} does, so booting this way installs interactively",
                reference_name,
                entry.display_name(),
                word.value,
                cx.role.describe()
            ),
        )
        .with_related(word.file, word.range, "loaded here");
        if let Some(end) = target.and_then(|entry| entry.args_end) {
            // The kickstart on the media by its label, the form that works
            // from a disc and from a USB stick.
            let argument = match (cx.volume, key.starts_with('/')) {
                (Some(volume), true) => {
                    format!("inst.ks=hd:LABEL={}:{key}", escape_label(&volume.value))
                }
                _ => word.value.clone(),
            };
            diagnostic = diagnostic.with_fix(fix(
                format!("Add `{argument}` to this entry"),
                Applicability::Unsafe,
                main.file,
                TextRange::empty(end),
                format!(" {argument}"),
            ));
        }
        out.push(diagnostic);
    }
    for (key, word, _) in &ours {
        if theirs.iter().any(|(their_key, ..)| their_key == key) {
            continue;
        }
        out.push(Diagnostic::new(
            &BOOT_MENUS_OUT_OF_SYNC,
            word.file,
            word.range,
            format!(
                "no entry of {reference_name} ({}) loads the kickstart `{key}`: booted the other way, the media installs interactively",
                reference.role.describe()
            ),
        ));
    }
}

// ---------------------------------------------------------------------------
// KS4016

fn efi_image_stale(cx: &BootCheck, out: &mut Vec<Diagnostic>) {
    if cx.role != Role::EfiImage {
        return;
    }
    let Some(tree) = cx.peer(Role::Uefi) else {
        return;
    };
    let tree_config = &tree.parsed.config;
    let main = cx.main();
    let tree_name = file_name(cx, tree_config.file);
    let remedy = format!(
        "USB boots on UEFI read this copy, not {tree_name}; copy it into the image (`mcopy -o -i images/efiboot.img {tree_name} ::EFI/BOOT/grub.cfg`)"
    );
    let summary = |entry: &Entry| {
        let mut parts: Vec<String> = entry.args.iter().map(|arg| arg.value.clone()).collect();
        parts.extend(
            entry
                .kernel
                .iter()
                .map(|k| format!("kernel {}", k.word.value)),
        );
        parts.extend(
            entry
                .initrds
                .iter()
                .map(|i| format!("initrd {}", i.word.value)),
        );
        parts
    };
    for entry in &main.entries {
        let Some(theirs) = tree_config
            .entries
            .iter()
            .find(|other| other.name.value == entry.name.value)
        else {
            out.push(Diagnostic::new(
                &EFIBOOT_GRUB_STALE,
                main.file,
                entry.header,
                format!(
                    "{tree_name} has no entry {}; {remedy}",
                    entry.display_name()
                ),
            ));
            continue;
        };
        let ours = summary(entry);
        let their = summary(theirs);
        let missing: Vec<&String> = their.iter().filter(|part| !ours.contains(part)).collect();
        let extra: Vec<&String> = ours.iter().filter(|part| !their.contains(part)).collect();
        if missing.is_empty() && extra.is_empty() {
            continue;
        }
        let mut differences = Vec::new();
        if !missing.is_empty() {
            differences.push(format!(
                "{tree_name} has {} here missing",
                missing
                    .iter()
                    .map(|p| format!("`{p}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
        if !extra.is_empty() {
            differences.push(format!(
                "this copy has {} that {tree_name} does not",
                extra
                    .iter()
                    .map(|p| format!("`{p}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
        out.push(
            Diagnostic::new(
                &EFIBOOT_GRUB_STALE,
                main.file,
                entry.header,
                format!(
                    "entry {} differs from {tree_name}: {}; {remedy}",
                    entry.display_name(),
                    differences.join("; ")
                ),
            )
            .with_related(theirs.name.file, theirs.header, "the entry in the tree"),
        );
    }
    let missing_entries: Vec<&Entry> = tree_config
        .entries
        .iter()
        .filter(|theirs| {
            !main
                .entries
                .iter()
                .any(|entry| entry.name.value == theirs.name.value)
        })
        .collect();
    if let Some(first) = missing_entries.first() {
        let at = main
            .entries
            .first()
            .map_or(TextRange::empty(0), |entry| entry.header);
        out.push(
            Diagnostic::new(
                &EFIBOOT_GRUB_STALE,
                main.file,
                at,
                format!(
                    "{tree_name} has entries this copy lacks ({}); {remedy}",
                    missing_entries
                        .iter()
                        .map(|entry| entry.display_name())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            )
            .with_related(first.name.file, first.header, "missing from the image"),
        );
    }
    let search_names = |config: &BootConfig| -> Vec<String> {
        config
            .searches
            .iter()
            .filter_map(|search| search.name.as_ref().map(|name| name.value.clone()))
            .collect()
    };
    let theirs = search_names(tree_config);
    for search in &main.searches {
        let Some(name) = &search.name else {
            continue;
        };
        if !theirs.is_empty() && !theirs.contains(&name.value) {
            out.push(Diagnostic::new(
                &EFIBOOT_GRUB_STALE,
                main.file,
                name.range,
                format!(
                    "this copy searches for `{}`, {tree_name} for `{}`; {remedy}",
                    name.value,
                    theirs.join("`, `")
                ),
            ));
        }
    }
}

// ---------------------------------------------------------------------------
// KS4018

fn inline_comments(cx: &BootCheck, out: &mut Vec<Diagnostic>) {
    for parsed in cx.configs {
        let file = parsed.config.file;
        let source = cx.sources.get(file);
        for comment in &parsed.config.inline_comments {
            let keyword = source.slice(comment.keyword).to_ascii_lowercase();
            let text = source.slice(comment.comment);
            let consequence = if keyword == "append" || keyword == "kernel" || keyword == "linux" {
                format!(
                    "the kernel gets `{text}` as {} more arguments",
                    text.split_whitespace().count()
                )
            } else {
                format!("`{text}` becomes part of the `{keyword}` value")
            };
            let edits = vec![
                TextEdit {
                    file,
                    range: TextRange::empty(comment.line_start),
                    replacement: format!("{}{}\n", comment.indent, text),
                },
                TextEdit {
                    file,
                    range: TextRange::new(comment.cut_from, comment.comment.end),
                    replacement: String::new(),
                },
            ];
            out.push(
                Diagnostic::new(
                    &SYSLINUX_INLINE_COMMENT,
                    file,
                    comment.comment,
                    format!(
                        "SYSLINUX treats `#` as a comment only at the start of a line: {consequence}"
                    ),
                )
                .with_fix(Fix {
                    title: "Move the comment to its own line".into(),
                    applicability: Applicability::Safe,
                    edits,
                }),
            );
        }
    }
}

// ---------------------------------------------------------------------------
// KS4019

fn duplicate_labels(cx: &BootCheck, out: &mut Vec<Diagnostic>) {
    if cx.loader() != Loader::Syslinux {
        return;
    }
    let mut first: HashMap<&str, &Entry> = HashMap::new();
    for parsed in cx.configs {
        for entry in &parsed.config.entries {
            let name = entry.name.value.as_str();
            match first.get(name) {
                Some(earlier) => out.push(
                    Diagnostic::new(
                        &DUPLICATE_BOOT_LABEL,
                        entry.name.file,
                        entry.name.range,
                        format!(
                            "`label {name}` is defined twice: `default {name}` and typing `{name}` at the prompt pick the first one, so this entry is only reachable from the menu"
                        ),
                    )
                    .with_related(earlier.name.file, earlier.name.range, "first defined here"),
                ),
                None => {
                    first.insert(name, entry);
                }
            }
        }
    }
}

// ---------------------------------------------------------------------------
// KS4020, KS4021

struct DefaultTarget<'a> {
    setting: Option<(FileId, &'a DefaultSetting)>,
    entry: Option<&'a Entry>,
}

fn all_entries<'a>(cx: &'a BootCheck) -> impl Iterator<Item = &'a Entry> {
    cx.configs
        .iter()
        .flat_map(|parsed| parsed.config.entries.iter())
}

fn all_defaults<'a>(cx: &'a BootCheck) -> impl Iterator<Item = (FileId, &'a DefaultSetting)> {
    cx.configs.iter().flat_map(|parsed| {
        parsed
            .config
            .defaults
            .iter()
            .map(move |d| (parsed.config.file, d))
    })
}

/// A GRUB default: an index (`1`, `2>0`), a title or an id.
fn grub_entry<'a>(cx: &'a BootCheck, value: &str) -> Option<&'a Entry> {
    let path: Option<Vec<usize>> = value
        .split('>')
        .map(|part| part.trim().parse().ok())
        .collect();
    match path {
        Some(path) => all_entries(cx).find(|entry| entry.index == path),
        None => all_entries(cx).find(|entry| {
            entry.name.value == value || entry.id.as_ref().is_some_and(|id| id.value == value)
        }),
    }
}

fn default_target<'a>(cx: &'a BootCheck) -> DefaultTarget<'a> {
    let top_entries = || all_entries(cx).filter(|entry| entry.menu == 0 && !entry.index.is_empty());
    match cx.loader() {
        Loader::Syslinux => {
            if let Some((file, setting)) = all_defaults(cx).find(|(_, d)| {
                d.kind == DefaultKind::MenuDefault && d.menu == 0 && d.entry.is_some()
            }) {
                let entry = cx
                    .configs
                    .iter()
                    .find(|parsed| parsed.config.file == file)
                    .and_then(|parsed| parsed.config.entries.get(setting.entry?));
                return DefaultTarget {
                    setting: Some((file, setting)),
                    entry,
                };
            }
            let default = all_defaults(cx)
                .filter(|(_, d)| d.kind == DefaultKind::Default)
                .last();
            if let Some((file, setting)) = default {
                let value = setting.value.as_ref().map_or("", |v| v.value.as_str());
                let entry = all_entries(cx).find(|entry| entry.name.value == value);
                let entry = entry.or_else(|| {
                    crate::boot::syslinux::is_menu_module(value)
                        .then(|| top_entries().next())
                        .flatten()
                });
                return DefaultTarget {
                    setting: Some((file, setting)),
                    entry,
                };
            }
            DefaultTarget {
                setting: None,
                entry: all_entries(cx).find(|entry| entry.name.value == "linux"),
            }
        }
        Loader::Grub2 | Loader::GrubLegacy => {
            let setting = all_defaults(cx)
                .filter(|(_, d)| d.kind == DefaultKind::Grub && d.menu == 0)
                .last();
            let entry = match setting.and_then(|(_, d)| d.value.as_ref()) {
                Some(value) => grub_entry(cx, value.value.trim()),
                None => top_entries().next(),
            };
            DefaultTarget { setting, entry }
        }
    }
}

fn defaults(cx: &BootCheck, out: &mut Vec<Diagnostic>) {
    let entry_count = all_entries(cx)
        .filter(|entry| !entry.index.is_empty())
        .count();
    match cx.loader() {
        Loader::Syslinux => {
            let unread_includes = cx
                .configs
                .iter()
                .flat_map(|parsed| parsed.config.files.iter())
                .filter(|file| file.kind == FileKind::Include)
                .count()
                >= cx.configs.len();
            let mut menu_defaults: HashMap<usize, &DefaultSetting> = HashMap::new();
            for (file, setting) in all_defaults(cx) {
                match setting.kind {
                    DefaultKind::MenuDefault => {
                        if setting.entry.is_none() {
                            out.push(Diagnostic::new(
                                &BOOT_DEFAULT,
                                file,
                                setting.keyword,
                                "`menu default` outside any `label` marks no entry".to_string(),
                            ));
                        } else if let Some(first) = menu_defaults.get(&setting.menu) {
                            out.push(
                                Diagnostic::new(
                                    &BOOT_DEFAULT,
                                    file,
                                    setting.keyword,
                                    "a second `menu default` in the same menu: only one entry can be the default, and which one wins depends on the menu module".to_string(),
                                )
                                .with_related(file, first.keyword, "the first default"),
                            );
                        } else {
                            menu_defaults.insert(setting.menu, setting);
                        }
                    }
                    DefaultKind::Default | DefaultKind::OnTimeout => {
                        let Some(value) = &setting.value else {
                            continue;
                        };
                        let name = value.value.as_str();
                        let lower = name.to_ascii_lowercase();
                        if [".c32", ".com", ".cbt", ".bin", ".0"]
                            .iter()
                            .any(|ext| lower.ends_with(ext))
                            || all_entries(cx).any(|entry| entry.name.value == name)
                            || unread_includes
                            || cx.resolve_boot_file(name).is_some()
                        {
                            continue;
                        }
                        let keyword = cx
                            .sources
                            .get(file)
                            .slice(setting.keyword)
                            .to_ascii_lowercase();
                        let mut diagnostic = Diagnostic::new(
                            &BOOT_DEFAULT,
                            file,
                            value.range,
                            format!(
                                "`{keyword} {name}` names no `label`: the loader then looks for a kernel file called `{name}` and the boot fails"
                            ),
                        );
                        let names: Vec<&str> =
                            all_entries(cx).map(|e| e.name.value.as_str()).collect();
                        if let Some(better) = suggest(name, names.iter().copied()) {
                            diagnostic = diagnostic.with_fix(fix(
                                format!("Use `{better}`"),
                                Applicability::Unsafe,
                                file,
                                value.range,
                                better,
                            ));
                        }
                        out.push(diagnostic);
                    }
                    DefaultKind::Grub => {}
                }
            }
        }
        Loader::Grub2 | Loader::GrubLegacy => {
            for (file, setting) in all_defaults(cx) {
                let Some(value) = &setting.value else {
                    continue;
                };
                let text = value.value.trim();
                if text.is_empty() || text.contains('$') || text == "saved" {
                    continue;
                }
                let is_index = text
                    .split('>')
                    .all(|part| part.trim().parse::<usize>().is_ok());
                if grub_entry(cx, text).is_some() {
                    continue;
                }
                let is_submenu = is_index && cx.loader() == Loader::Grub2 && {
                    let top: usize = text
                        .split('>')
                        .next()
                        .and_then(|t| t.trim().parse().ok())
                        .unwrap_or(0);
                    let highest_top = all_entries(cx)
                        .filter_map(|entry| entry.index.first().copied())
                        .max();
                    highest_top.is_some_and(|highest| top <= highest)
                        && !all_entries(cx).any(|entry| entry.index == [top])
                };
                let message = if is_submenu {
                    format!("`default={text}` is a submenu, not an entry: on timeout GRUB opens the submenu instead of booting")
                } else if is_index {
                    format!(
                        "`default={text}` names no entry: entries are counted from 0 and there are {entry_count}; GRUB falls back to the first entry"
                    )
                } else {
                    format!("`default={text}` matches no entry title or id; GRUB falls back to the first entry")
                };
                out.push(Diagnostic::new(
                    &BOOT_DEFAULT,
                    file,
                    value.value_range(),
                    message,
                ));
            }
        }
    }
}

fn has_kickstart(entry: &Entry) -> bool {
    entry
        .args
        .iter()
        .any(|word| source_option(word) == Some(SourceOption::Kickstart))
}

fn unattended(cx: &BootCheck, out: &mut Vec<Diagnostic>) {
    if !all_entries(cx).any(has_kickstart) {
        return;
    }
    let main = cx.main();
    let target = default_target(cx);
    if let Some(entry) = target.entry {
        if !has_kickstart(entry) && entry.kernel.is_some() {
            let (file, range) = match target.setting {
                Some((file, setting)) => (
                    file,
                    setting.value.as_ref().map_or(setting.keyword, |v| v.range),
                ),
                None => (entry.name.file, entry.header),
            };
            out.push(Diagnostic::new(
                &UNATTENDED_BOOT,
                file,
                range,
                format!(
                    "the default entry {} loads no kickstart, while other entries do: left alone, the media starts an interactive install",
                    entry.display_name()
                ),
            ));
        }
    }
    let timeouts: Vec<(FileId, &crate::boot::model::Setting)> = cx
        .configs
        .iter()
        .flat_map(|parsed| {
            parsed
                .config
                .timeouts
                .iter()
                .map(move |t| (parsed.config.file, t))
        })
        .collect();
    let waits_on = |value: &str| match cx.loader() {
        Loader::Syslinux => value.trim() == "0",
        Loader::Grub2 | Loader::GrubLegacy => value.trim().starts_with('-'),
    };
    let menu_waits = match cx.loader() {
        Loader::Syslinux => main.menu_ui || cx.configs.iter().any(|p| p.config.menu_ui),
        Loader::Grub2 | Loader::GrubLegacy => !main.entries.iter().all(|e| e.index.is_empty()),
    };
    if !menu_waits {
        return;
    }
    match timeouts.last() {
        Some((file, timeout)) => {
            if let Some(value) = &timeout.value {
                if waits_on(&value.value) {
                    out.push(Diagnostic::new(
                        &UNATTENDED_BOOT,
                        *file,
                        value.range,
                        format!(
                            "a timeout of {} makes the menu wait for a key forever: the kickstart install never starts on its own",
                            value.value
                        ),
                    ));
                }
            }
        }
        None => {
            let at = main
                .defaults
                .first()
                .map_or(TextRange::empty(0), |default| default.keyword);
            out.push(Diagnostic::new(
                &UNATTENDED_BOOT,
                main.file,
                at,
                "the menu has no timeout, so it waits for a key forever: the kickstart install never starts on its own".to_string(),
            ));
        }
    }
}

// ---------------------------------------------------------------------------
// KS4022

fn kickstart_without_stage2(cx: &BootCheck, out: &mut Vec<Diagnostic>) {
    for parsed in cx.configs {
        let sets_source = |words: &[Word]| {
            words.iter().any(|word| {
                matches!(
                    source_option(word),
                    Some(
                        SourceOption::Stage2
                            | SourceOption::Repo
                            | SourceOption::Method
                            | SourceOption::LiveRoot
                    )
                )
            })
        };
        if sets_source(&parsed.config.global_args) {
            continue;
        }
        for entry in &parsed.config.entries {
            if sets_source(&entry.args) {
                continue;
            }
            let Some(ks) = entry
                .args
                .iter()
                .find(|word| source_option(word) == Some(SourceOption::Kickstart))
            else {
                continue;
            };
            let mut diagnostic = Diagnostic::new(
                &KICKSTART_WITHOUT_STAGE2,
                ks.file,
                ks.range,
                format!(
                    "entry {} loads a kickstart but names no `inst.stage2` or `inst.repo`: the installer image then comes from the kickstart's install method or a search of optical drives, which both fail when booted from a USB stick",
                    entry.display_name()
                ),
            );
            if let Some(volume) = cx.volume {
                diagnostic = diagnostic.with_fix(fix(
                    "Add `inst.stage2=hd:LABEL=…`",
                    volume_fix_applicability(cx),
                    ks.file,
                    TextRange::empty(ks.range.end),
                    format!(" inst.stage2=hd:LABEL={}", escape_label(&volume.value)),
                ));
            }
            out.push(diagnostic);
        }
    }
}

// ---------------------------------------------------------------------------
// KS4026

/// Where a kickstart says the packages come from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum KickstartSource {
    /// `cdrom`: an optical drive.
    Cdrom,
    /// `harddrive`, `url`, `nfs`, `liveimg`, `ostreesetup`…: named.
    Named,
    /// No install method command.
    Unnamed,
}

/// The install method of the kickstart text (commands outside sections).
fn kickstart_source(text: &str) -> KickstartSource {
    let mut in_section = false;
    for line in text.lines() {
        let line = line.trim();
        let first = line.split_whitespace().next().unwrap_or("");
        if first.starts_with('%') {
            if first == "%end" {
                in_section = false;
            } else if !matches!(first, "%include" | "%ksappend") {
                in_section = true;
            }
            continue;
        }
        if in_section {
            continue;
        }
        match first {
            "cdrom" => return KickstartSource::Cdrom,
            "harddrive" | "url" | "nfs" | "liveimg" | "ostreesetup" | "ostreecontainer"
            | "bootc" => return KickstartSource::Named,
            _ => {}
        }
    }
    KickstartSource::Unnamed
}

/// Largest kickstart read to find its install method.
const MAX_KICKSTART_BYTES: u64 = 4 << 20;

/// The install method of the kickstart `word` (`inst.ks=…`) loads from
/// this media; `None` when it is elsewhere or unreadable.
fn loaded_kickstart_source(cx: &BootCheck, word: &Word) -> Option<KickstartSource> {
    let spec = SourceSpec::parse(word, SourceOption::Kickstart)?;
    if !spec_on_media(word, &spec, cx.volume) {
        return None;
    }
    let path = spec
        .path
        .as_ref()
        .map_or("/ks.cfg", |path| &word.value[path.clone()]);
    let found = media::resolve(&cx.media.root, path)?;
    Some(kickstart_source(&read_kickstart(cx, &found)?))
}

/// The text of the kickstart at `path`: the editor's buffer when it is
/// open there, else the file (`None` when unreadable or too large).
fn read_kickstart(cx: &BootCheck, path: &Path) -> Option<String> {
    if !cx.options.open_files.is_empty() {
        let canonical = std::fs::canonicalize(path).ok();
        let open = cx.options.open_files.iter().find(|(open, _)| {
            open.as_path() == path
                || canonical.is_some()
                    && std::fs::canonicalize(open).ok().as_ref() == canonical.as_ref()
        });
        if let Some((_, text)) = open {
            return Some(text.to_string());
        }
    }
    if std::fs::metadata(path).ok()?.len() > MAX_KICKSTART_BYTES {
        return None;
    }
    let bytes = std::fs::read(path).ok()?;
    Some(String::from_utf8_lossy(&bytes).into_owned())
}

fn usb_install_source(cx: &BootCheck, out: &mut Vec<Diagnostic>) {
    let version = cx.version;
    if !cx.version_known || version.line() != VersionLine::Rhel || version.major() < 8 {
        return;
    }
    for entry in all_entries(cx) {
        let Some(ks) = entry
            .args
            .iter()
            .find(|word| source_option(word) == Some(SourceOption::Kickstart))
        else {
            continue;
        };
        let sets_repo = entry.args.iter().any(|word| {
            matches!(
                source_option(word),
                Some(SourceOption::Repo | SourceOption::Method)
            )
        });
        if sets_repo {
            continue;
        }
        let Some(stage2) = entry.args.iter().find(|word| {
            source_option(word) == Some(SourceOption::Stage2)
                && SourceSpec::parse(word, SourceOption::Stage2).is_some_and(|spec| {
                    matches!(spec.scheme, Scheme::Hd | Scheme::Device)
                        && spec_on_media(word, &spec, cx.volume)
                })
        }) else {
            continue;
        };
        let source = loaded_kickstart_source(cx, ks);
        // Without `cdrom`, only EL 8's installer fails to reuse the stage2
        // disk as the package source on USB.
        if source == Some(KickstartSource::Named)
            || (source != Some(KickstartSource::Cdrom) && version.major() != 8)
        {
            continue;
        }
        let key = stage2.key();
        let key_range = stage2.source(0..key.len());
        let mut diagnostic = Diagnostic::new(
            &USB_INSTALL_SOURCE,
            stage2.file,
            key_range,
            match source {
                Some(KickstartSource::Cdrom) => format!(
                    "entry {} takes only the installer image from this media (`{key}`), and its kickstart installs from `cdrom`: booted from a USB stick there is no optical drive, so {} stops with \"Installation source not set up\"; use `inst.repo=` for the media and drop `cdrom` from the kickstart",
                    entry.display_name(),
                    version.name()
                ),
                _ => format!(
                    "entry {} takes only the installer image from this media (`{key}`) and names no package source: booted from a USB stick, {} may not find the packages on it (\"Installation source not set up\"); `inst.repo=` gives both, or write the hybrid ISO to the stick in dd mode",
                    entry.display_name(),
                    version.name()
                ),
            },
        );
        if source != Some(KickstartSource::Cdrom) {
            diagnostic.severity = Severity::Info;
        }
        if stage2.is_verbatim(0..key.len()) {
            diagnostic = diagnostic.with_fix(fix(
                "Load the image and the packages from the media with `inst.repo`",
                Applicability::Unsafe,
                stage2.file,
                key_range,
                "inst.repo",
            ));
        }
        out.push(diagnostic);
    }
}

// ---------------------------------------------------------------------------
// KS4023

/// Template placeholders in `line`: byte ranges within it.
fn placeholders_in(line: &str, shell_variables: bool) -> Vec<std::ops::Range<usize>> {
    let bytes = line.as_bytes();
    let mut found = Vec::new();
    let ident = |b: u8| b.is_ascii_alphanumeric() || b == b'_';
    let mut i = 0;
    while i < bytes.len() {
        let rest = &line[i..];
        // {{ … }} and {% … %}
        if rest.starts_with("{{") || rest.starts_with("{%") {
            let close = if rest.starts_with("{{") { "}}" } else { "%}" };
            if let Some(end) = rest[2..].find(close) {
                found.push(i..i + 2 + end + 2);
                i += 2 + end + 2;
                continue;
            }
        }
        // %%NAME%%
        if let Some(after) = rest.strip_prefix("%%") {
            let name_len = after.bytes().take_while(|&b| ident(b)).count();
            if name_len > 0 && after[name_len..].starts_with("%%") {
                found.push(i..i + name_len + 4);
                i += name_len + 4;
                continue;
            }
        }
        // @NAME@ (upper case, as autoconf and lorax templates write them)
        if bytes[i] == b'@' {
            let name_len = rest[1..]
                .bytes()
                .take_while(|&b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_')
                .count();
            if name_len > 0 && rest[1 + name_len..].starts_with('@') {
                found.push(i..i + name_len + 2);
                i += name_len + 2;
                continue;
            }
        }
        // {NAME} (Python format), not GRUB's ${NAME}
        if bytes[i] == b'{' && (i == 0 || bytes[i - 1] != b'$') {
            let name_len = rest[1..].bytes().take_while(|&b| ident(b)).count();
            if name_len > 0 && rest[1 + name_len..].starts_with('}') {
                found.push(i..i + name_len + 2);
                i += name_len + 2;
                continue;
            }
        }
        // $NAME / ${NAME} where the loader has no variables
        if shell_variables && bytes[i] == b'$' {
            let braced = rest[1..].starts_with('{');
            let from = if braced { 2 } else { 1 };
            let name_len = rest[from..].bytes().take_while(|&b| ident(b)).count();
            if name_len > 0
                && rest.as_bytes()[from].is_ascii_alphabetic() | (rest.as_bytes()[from] == b'_')
            {
                let end = from
                    + name_len
                    + usize::from(braced && rest[from + name_len..].starts_with('}'));
                found.push(i..i + end);
                i += end;
                continue;
            }
        }
        i += rest.chars().next().map_or(1, char::len_utf8);
    }
    found
}

fn placeholders(cx: &BootCheck, out: &mut Vec<Diagnostic>) {
    for parsed in cx.configs {
        let file = parsed.config.file;
        let source = cx.sources.get(file);
        let shell_variables = parsed.config.loader != Loader::Grub2;
        let mut offset = 0;
        for raw in source.text.split_inclusive('\n') {
            let line_start = offset;
            offset += raw.len();
            if raw.trim_start().starts_with('#') {
                continue;
            }
            for range in placeholders_in(raw, shell_variables) {
                let text = &raw[range.clone()];
                out.push(Diagnostic::new(
                    &TEMPLATE_PLACEHOLDER,
                    file,
                    TextRange::new(line_start + range.start, line_start + range.end),
                    format!(
                        "`{text}` is a template placeholder that was never replaced: the loader and the kernel get it literally"
                    ),
                ));
            }
        }
        for word in parsed.config.all_args() {
            if word.value == "None" {
                out.push(Diagnostic::new(
                    &TEMPLATE_PLACEHOLDER,
                    file,
                    word.range,
                    "`None` on a kernel command line is what a script prints for an unset value"
                        .to_string(),
                ));
            }
        }
    }
}

// ---------------------------------------------------------------------------
// KS4025

fn grub_syntax(cx: &BootCheck, out: &mut Vec<Diagnostic>) {
    for parsed in cx.configs {
        for problem in &parsed.config.problems {
            out.push(Diagnostic::new(
                &GRUB_SYNTAX,
                parsed.config.file,
                problem.range,
                format!(
                    "{}: GRUB rejects the whole file (\"syntax error\") and stops at its prompt",
                    problem.message
                ),
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_placeholders() {
        let found = |line: &str, shell: bool| {
            placeholders_in(line, shell)
                .into_iter()
                .map(|r| line[r].to_string())
                .collect::<Vec<_>>()
        };
        assert_eq!(
            found(
                "append inst.ks=hd:LABEL=%%LABEL%%:/ks.cfg @ROOT@ {{ x }} {LABEL} $KS ${ISO}",
                true
            ),
            ["%%LABEL%%", "@ROOT@", "{{ x }}", "{LABEL}", "$KS", "${ISO}"]
        );
        assert!(found("linux ($root)/vmlinuz ${extra} user@host", false).is_empty());
        assert!(found("menu color sel 0 #ffffffff #00000000 none", true).is_empty());
    }

    #[test]
    fn reads_the_isolinux_version() {
        assert_eq!(isolinux_major(b"\0\0ISOLINUX 6.04 2019\0"), Some(6));
        assert_eq!(isolinux_major(b"nothing"), None);
    }
}
