//! Words of a boot configuration and the kernel command line they become:
//! each word keeps, byte for byte, where its value came from, so a check can
//! point at the label inside `inst.ks=hd:LABEL=…:/ks.cfg` even when the loader
//! removed quotes or backslashes on the way. Also the installer's view of a
//! source argument (`hd:LABEL=…:/path`, `cdrom`, `nfs:…`) and the udev-style
//! `\xNN` escapes dracut decodes in labels.

use std::ops::Range;

use crate::source::{FileId, TextRange};

/// One word as the consumer (loader or kernel) sees it, with the source
/// range of every byte of its value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Word {
    pub file: FileId,
    /// The whole word as written, quotes included.
    pub range: TextRange,
    /// The text after quote and escape removal.
    pub value: String,
    /// For byte `i` of `value`, the source range of the text that made it.
    spans: Vec<(usize, usize)>,
}

impl Word {
    /// A word whose value is its source text (no quoting or escapes).
    pub fn verbatim(file: FileId, text: &str, start: usize) -> Word {
        Word {
            file,
            range: TextRange::new(start, start + text.len()),
            value: text.to_string(),
            spans: (0..text.len())
                .map(|i| (start + i, start + i + 1))
                .collect(),
        }
    }

    pub(crate) fn new(file: FileId, range: TextRange) -> Word {
        Word {
            file,
            range,
            value: String::new(),
            spans: Vec::new(),
        }
    }

    /// Appends `ch`, produced by the source text at `span`.
    pub(crate) fn push(&mut self, ch: char, span: (usize, usize)) {
        let before = self.value.len();
        self.value.push(ch);
        for _ in before..self.value.len() {
            self.spans.push(span);
        }
    }

    /// Source range of the value bytes `range` (an empty range maps to the
    /// position of the byte it precedes).
    pub fn source(&self, range: Range<usize>) -> TextRange {
        if self.spans.is_empty() {
            return TextRange::empty(self.range.end);
        }
        let end_of_value = self.spans.last().map_or(self.range.end, |span| span.1);
        if range.start >= self.spans.len() {
            return TextRange::empty(end_of_value);
        }
        if range.is_empty() {
            return TextRange::empty(self.spans[range.start].0);
        }
        let last = range.end.min(self.spans.len()) - 1;
        TextRange::new(self.spans[range.start].0, self.spans[last].1)
    }

    /// Source range of the whole value (without surrounding quotes).
    pub fn value_range(&self) -> TextRange {
        self.source(0..self.value.len())
    }

    /// Whether the value maps one to one onto its source text, so a
    /// replacement of the value's text can be written into the source as is.
    pub fn is_verbatim(&self, range: Range<usize>) -> bool {
        range
            .clone()
            .all(|i| self.spans.get(i).is_some_and(|span| span.1 - span.0 == 1))
            && {
                let source = self.source(range.clone());
                source.len() == range.len()
            }
    }

    /// The part `range` of the value as a word of its own.
    pub fn slice(&self, range: Range<usize>) -> Word {
        let source = self.source(range.clone());
        Word {
            file: self.file,
            range: source,
            value: self.value[range.clone()].to_string(),
            spans: self.spans[range].to_vec(),
        }
    }

    /// The option name: the part before `=` (the whole word without one).
    pub fn key(&self) -> &str {
        self.value
            .split_once('=')
            .map_or(self.value.as_str(), |(key, _)| key)
    }

    /// The part after the first `=`, with its offset in `value`.
    pub fn arg_value(&self) -> Option<(usize, &str)> {
        let eq = self.value.find('=')?;
        Some((eq + 1, &self.value[eq + 1..]))
    }
}

/// Splits a kernel command line the way the kernel does: on white space,
/// with double quotes grouping (the quotes themselves are dropped).
/// `start` is the offset of `text` in its file.
pub fn split_kernel_words(file: FileId, text: &str, start: usize) -> Vec<Word> {
    let mut words = Vec::new();
    let mut current: Option<Word> = None;
    let mut in_quote = false;
    for (i, ch) in text.char_indices() {
        let at = start + i;
        let end = at + ch.len_utf8();
        if ch.is_whitespace() && !in_quote {
            if let Some(mut word) = current.take() {
                word.range.end = at;
                words.push(word);
            }
            continue;
        }
        let word = current.get_or_insert_with(|| Word::new(file, TextRange::new(at, at)));
        word.range.end = end;
        if ch == '"' {
            in_quote = !in_quote;
        } else {
            word.push(ch, (at, end));
        }
    }
    if let Some(word) = current {
        words.push(word);
    }
    words
}

/// Options of the installer (dracut and anaconda) that name where to find
/// something, with or without the `inst.` prefix.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SourceOption {
    Stage2,
    Repo,
    Kickstart,
    DriverDisk,
    Updates,
    /// `method=`, removed long ago; read like `repo=`.
    Method,
    /// `root=live:…` of live media.
    LiveRoot,
}

impl SourceOption {
    pub fn name(self) -> &'static str {
        match self {
            SourceOption::Stage2 => "inst.stage2",
            SourceOption::Repo => "inst.repo",
            SourceOption::Kickstart => "inst.ks",
            SourceOption::DriverDisk => "inst.dd",
            SourceOption::Updates => "inst.updates",
            SourceOption::Method => "method",
            SourceOption::LiveRoot => "root",
        }
    }

    /// Whether a value that names no known scheme is an error for this
    /// option (driver disks and updates also take plain paths).
    pub fn checks_scheme(self) -> bool {
        matches!(
            self,
            SourceOption::Stage2
                | SourceOption::Repo
                | SourceOption::Kickstart
                | SourceOption::Method
        )
    }
}

/// How an argument names an installer option.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OptionName {
    /// The option without its `inst.` prefix (`ks`, `stage2`, `text`).
    pub bare: &'static str,
    /// Whether it was written with the `inst.` prefix.
    pub prefixed: bool,
}

/// Anaconda options that used to work without `inst.`; the old spelling is
/// deprecated in RHEL 8 / Fedora 33 and ignored from Fedora 34.
pub const LEGACY_NAMES: &[&str] = &[
    "ks",
    "kssendmac",
    "ksdevice",
    "repo",
    "stage2",
    "method",
    "askmethod",
    "updates",
    "dd",
    "text",
    "graphical",
    "vnc",
    "vncpassword",
    "headless",
    "noverifyssl",
    "proxy",
    "sshd",
];

/// The installer option an argument sets, if any.
pub fn option_name(key: &str) -> Option<OptionName> {
    if let Some(bare) = key.strip_prefix("inst.") {
        let known = LEGACY_NAMES
            .iter()
            .chain(
                [
                    "rescue",
                    "xdriver",
                    "addrepo",
                    "lang",
                    "keymap",
                    "resolution",
                ]
                .iter(),
            )
            .find(|name| **name == bare)?;
        return Some(OptionName {
            bare: known,
            prefixed: true,
        });
    }
    LEGACY_NAMES
        .iter()
        .find(|name| **name == key)
        .map(|bare| OptionName {
            bare,
            prefixed: false,
        })
}

/// Which source option an argument sets (`inst.ks`, `ks`, `root=live:`…).
pub fn source_option(word: &Word) -> Option<SourceOption> {
    let key = word.key();
    if key == "root" {
        let (_, value) = word.arg_value()?;
        return value.starts_with("live:").then_some(SourceOption::LiveRoot);
    }
    match option_name(key)?.bare {
        "stage2" => Some(SourceOption::Stage2),
        "repo" => Some(SourceOption::Repo),
        "ks" => Some(SourceOption::Kickstart),
        "dd" => Some(SourceOption::DriverDisk),
        "updates" => Some(SourceOption::Updates),
        "method" => Some(SourceOption::Method),
        _ => None,
    }
}

/// The kind of source a value names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scheme {
    /// `cdrom`, `cdrom:<device>`, for kickstarts `cdrom:<path>`.
    Cdrom,
    /// `hd:<device>[:<path>]`.
    Hd,
    /// `bd:<bios disk>:<path>` (kickstarts).
    Bd,
    Nfs,
    Http,
    Ftp,
    /// `hmc` (IBM Z hardware console).
    Hmc,
    /// `file:<path>` inside the initramfs.
    File,
    /// `LABEL=…`, `UUID=…`, `CDLABEL=…` written without `hd:`.
    Device,
    /// `live:<device>` (root=live:CDLABEL=…).
    Live,
    /// A plain path (driver disks, updates images).
    Path,
    /// Nothing after `=` (`inst.ks` alone: from DHCP).
    Empty,
    Unknown,
}

/// The schemes a source value may start with, for did-you-mean.
pub const SCHEME_NAMES: &[&str] = &[
    "hd", "cdrom", "nfs", "nfs4", "nfsiso", "http", "https", "ftp", "hmc", "file", "bd",
];

/// How a device is named.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DeviceKind {
    Label,
    CdLabel,
    Uuid,
    PartUuid,
    PartLabel,
    /// `/dev/disk/by-label/<label>`.
    ByLabelPath,
    /// Other `/dev/disk/by-*` links: stable, not checked.
    StableLink,
    /// A kernel device name (`/dev/sr0`, `sda1`, `/dev/cdrom`) that depends
    /// on probe order and on the kind of drive the media is on.
    KernelName,
}

/// A device part with its ranges in the argument's value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Device {
    pub kind: DeviceKind,
    /// The whole device text (`LABEL=CentOS\x207`, `/dev/sr0`).
    pub range: Range<usize>,
    /// The label or id after `LABEL=` / `by-label/` (escapes undecoded).
    pub name: Range<usize>,
}

/// A parsed source argument (`inst.stage2=hd:LABEL=X:/path`); ranges index
/// the argument word's value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SourceSpec {
    pub option: SourceOption,
    pub scheme: Scheme,
    /// The value after `=`.
    pub value: Range<usize>,
    /// The scheme text (`hd`, `cdrom`, `ha`).
    pub scheme_range: Range<usize>,
    pub device: Option<Device>,
    /// The path on the device (`/ks/ks.cfg`), when given.
    pub path: Option<Range<usize>>,
}

impl SourceSpec {
    /// Parses the source argument `word` (which sets `option`).
    pub fn parse(word: &Word, option: SourceOption) -> Option<SourceSpec> {
        let (start, value) = word.arg_value().unwrap_or((word.value.len(), ""));
        let full = start..start + value.len();
        let mut spec = SourceSpec {
            option,
            scheme: Scheme::Unknown,
            value: full.clone(),
            scheme_range: full.clone(),
            device: None,
            path: None,
        };
        if value.is_empty() {
            spec.scheme = Scheme::Empty;
            return Some(spec);
        }
        if device_kind(value).is_some() {
            spec.scheme = Scheme::Device;
            spec.scheme_range = start..start;
            let (device, rest) = split_device(value, start);
            spec.device = Some(device);
            spec.path = rest;
            return Some(spec);
        }
        if value.starts_with('/') {
            spec.scheme = Scheme::Path;
            spec.scheme_range = start..start;
            spec.path = Some(full);
            return Some(spec);
        }
        let (scheme, rest_at) = match value.find(':') {
            Some(colon) => (&value[..colon], Some(start + colon + 1)),
            None => (value, None),
        };
        spec.scheme_range = start..start + scheme.len();
        spec.scheme = match scheme.to_ascii_lowercase().as_str() {
            "cdrom" => Scheme::Cdrom,
            "hd" => Scheme::Hd,
            "bd" => Scheme::Bd,
            "nfs" | "nfs4" | "nfsiso" => Scheme::Nfs,
            "http" | "https" => Scheme::Http,
            "ftp" => Scheme::Ftp,
            "hmc" if rest_at.is_none() => Scheme::Hmc,
            "file" => Scheme::File,
            "live" if option == SourceOption::LiveRoot => Scheme::Live,
            _ => Scheme::Unknown,
        };
        let Some(rest_at) = rest_at else {
            return Some(spec);
        };
        let rest = &word.value[rest_at..full.end];
        match spec.scheme {
            Scheme::Hd | Scheme::Live => {
                let (device, path) = split_device(rest, rest_at);
                spec.device = Some(device);
                spec.path = path;
            }
            Scheme::Cdrom => {
                if option == SourceOption::Kickstart
                    && !(rest.starts_with("/dev/") && rest[5..].contains(':'))
                {
                    if !rest.is_empty() {
                        spec.path = Some(rest_at..full.end);
                    }
                } else {
                    let (device, path) = split_device(rest, rest_at);
                    if !device.range.is_empty() {
                        spec.device = Some(device);
                    }
                    spec.path = path;
                }
            }
            Scheme::File => {
                let path = rest.trim_start_matches("//");
                spec.path = Some(full.end - path.len()..full.end);
            }
            _ => {}
        }
        Some(spec)
    }
}

fn device_kind(text: &str) -> Option<DeviceKind> {
    let kind = if text.starts_with("LABEL=") {
        DeviceKind::Label
    } else if text.starts_with("CDLABEL=") {
        DeviceKind::CdLabel
    } else if text.starts_with("UUID=") {
        DeviceKind::Uuid
    } else if text.starts_with("PARTUUID=") {
        DeviceKind::PartUuid
    } else if text.starts_with("PARTLABEL=") {
        DeviceKind::PartLabel
    } else {
        return None;
    };
    Some(kind)
}

/// Splits `<device>[:<path>]` (`text` starts at `start` in the value).
fn split_device(text: &str, start: usize) -> (Device, Option<Range<usize>>) {
    let (device_text, path) = match text.find(':') {
        Some(colon) => (&text[..colon], Some(start + colon + 1..start + text.len())),
        None => (text, None),
    };
    let range = start..start + device_text.len();
    let (kind, name) = if let Some(kind) = device_kind(device_text) {
        let eq = device_text.find('=').map_or(0, |eq| eq + 1);
        (kind, start + eq..range.end)
    } else if let Some(label) = device_text.strip_prefix("/dev/disk/by-label/") {
        (DeviceKind::ByLabelPath, range.end - label.len()..range.end)
    } else if device_text.starts_with("/dev/disk/") || device_text.starts_with("/dev/mapper/") {
        (DeviceKind::StableLink, range.clone())
    } else {
        (DeviceKind::KernelName, range.clone())
    };
    let path = path.filter(|path| !path.is_empty());
    (Device { kind, range, name }, path)
}

/// Decodes the `\xNN` escapes udev uses in `/dev/disk/by-label/` names and
/// dracut accepts in `LABEL=` (`CentOS\x207` → `CentOS 7`). Anything else,
/// malformed escapes included, is kept as written.
pub fn decode_label(raw: &str) -> String {
    let bytes = raw.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'\\' && bytes.get(i + 1) == Some(&b'x') {
            if let Some(byte) = raw
                .get(i + 2..i + 4)
                .and_then(|hex| u8::from_str_radix(hex, 16).ok())
            {
                out.push(byte);
                i += 4;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Writes a volume id as a `LABEL=` value for a kernel command line: the
/// characters udev leaves alone stay, everything else (space, `/`, `:` which
/// would end the device part) becomes `\xNN`.
pub fn escape_label(label: &str) -> String {
    let mut out = String::with_capacity(label.len());
    for ch in label.chars() {
        if ch.is_ascii_alphanumeric() || "#+-._@=".contains(ch) || !ch.is_ascii() {
            // udev keeps valid UTF-8 as it is.
            out.push(ch);
        } else {
            out.push_str(&format!("\\x{:02x}", u32::from(ch)));
        }
    }
    out
}

/// An escape in a label that dracut will not decode the way it was meant.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BadEscape {
    /// Range in the label text.
    pub range: Range<usize>,
    /// What to write instead.
    pub replacement: String,
    pub why: &'static str,
}

/// Finds escapes in a raw `LABEL=` value that will not become the intended
/// character: `\\x20` (doubled), `\040` (fstab-style octal), `%20` (URL),
/// and `\x` without two hex digits.
pub fn bad_escapes(raw: &str) -> Vec<BadEscape> {
    let bytes = raw.as_bytes();
    let mut found = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let rest = &raw[i..];
        if rest.starts_with("\\\\x") && hex2(&raw[i + 3..]).is_some() {
            found.push(BadEscape {
                range: i..i + 5,
                replacement: raw[i + 1..i + 5].to_string(),
                why: "a doubled backslash reaches the kernel as two backslashes",
            });
            i += 5;
            continue;
        }
        if bytes[i] == b'\\' {
            if bytes.get(i + 1) == Some(&b'x') {
                if hex2(&raw[i + 2..]).is_none() {
                    found.push(BadEscape {
                        range: i..(i + 2).min(raw.len()),
                        replacement: String::new(),
                        why: "`\\x` must be followed by two hex digits",
                    });
                }
                i += 2;
                continue;
            }
            let octal = raw.get(i + 1..i + 4).filter(|digits| {
                digits.len() == 3 && digits.bytes().all(|b| (b'0'..=b'7').contains(&b))
            });
            if let Some(octal) = octal {
                let value = u8::from_str_radix(octal, 8).unwrap_or(b' ');
                found.push(BadEscape {
                    range: i..i + 4,
                    replacement: format!("\\x{value:02x}"),
                    why: "dracut decodes only `\\xNN` escapes, not octal ones",
                });
                i += 4;
                continue;
            }
        }
        if bytes[i] == b'%' {
            if let Some(value) = hex2(&raw[i + 1..]) {
                found.push(BadEscape {
                    range: i..i + 3,
                    replacement: format!("\\x{value:02x}"),
                    why: "dracut does not decode URL escapes in labels",
                });
                i += 3;
                continue;
            }
        }
        i += rest.chars().next().map_or(1, char::len_utf8);
    }
    found
}

fn hex2(text: &str) -> Option<u8> {
    let digits = text.get(..2)?;
    if digits.bytes().all(|b| b.is_ascii_hexdigit()) {
        u8::from_str_radix(digits, 16).ok()
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(text: &str) -> Vec<Word> {
        split_kernel_words(FileId(0), text, 10)
    }

    #[test]
    fn kernel_words_keep_their_ranges() {
        let line = r#"initrd=initrd.img "inst.ks=hd:LABEL=A B:/ks.cfg" quiet"#;
        let words = words(line);
        assert_eq!(words.len(), 3);
        assert_eq!(words[1].value, "inst.ks=hd:LABEL=A B:/ks.cfg");
        assert_eq!(words[1].range, TextRange::new(28, 58));
        // "A B" inside the quotes
        let label = words[1].value.find("A B").unwrap();
        assert_eq!(
            words[1].source(label..label + 3),
            TextRange::new(28 + 1 + label, 28 + 1 + label + 3)
        );
        assert_eq!(words[2].range, TextRange::new(59, 64));
    }

    #[test]
    fn source_specs() {
        let parse = |text: &str| {
            let word = Word::verbatim(FileId(0), text, 0);
            let option = source_option(&word).unwrap();
            (word.clone(), SourceSpec::parse(&word, option).unwrap())
        };
        let (word, spec) = parse(r"inst.ks=hd:LABEL=CentOS\x207:/ks/ks.cfg");
        assert_eq!(spec.scheme, Scheme::Hd);
        let device = spec.device.unwrap();
        assert_eq!(device.kind, DeviceKind::Label);
        assert_eq!(&word.value[device.name], r"CentOS\x207");
        assert_eq!(&word.value[spec.path.unwrap()], "/ks/ks.cfg");

        let (word, spec) = parse("inst.ks=cdrom:/dev/cdrom:/ks.cfg");
        assert_eq!(spec.scheme, Scheme::Cdrom);
        assert_eq!(&word.value[spec.device.unwrap().range], "/dev/cdrom");
        assert_eq!(&word.value[spec.path.unwrap()], "/ks.cfg");

        let (word, spec) = parse("ks=cdrom:/ks.cfg");
        assert!(spec.device.is_none());
        assert_eq!(&word.value[spec.path.unwrap()], "/ks.cfg");

        let (word, spec) = parse("inst.stage2=ha:/dev/sr0");
        assert_eq!(spec.scheme, Scheme::Unknown);
        assert_eq!(&word.value[spec.scheme_range], "ha");

        let (_, spec) = parse("inst.repo=cdrom");
        assert_eq!(spec.scheme, Scheme::Cdrom);
        let (_, spec) = parse("inst.stage2=hd:sr0");
        assert_eq!(spec.device.unwrap().kind, DeviceKind::KernelName);
        let (word, spec) = parse("root=live:CDLABEL=Fedora-WS-Live-40");
        let device = spec.device.unwrap();
        assert_eq!(device.kind, DeviceKind::CdLabel);
        assert_eq!(&word.value[device.name], "Fedora-WS-Live-40");
        let (_, spec) = parse("inst.ks");
        assert_eq!(spec.scheme, Scheme::Empty);
        let (word, spec) = parse("inst.stage2=LABEL=X:/images");
        assert_eq!(spec.scheme, Scheme::Device);
        assert_eq!(&word.value[spec.path.unwrap()], "/images");
        let (_, spec) = parse("inst.ks=file:///ks.cfg");
        assert_eq!(spec.scheme, Scheme::File);
    }

    #[test]
    fn labels_decode_and_escape() {
        assert_eq!(decode_label(r"CentOS\x207\x20x86_64"), "CentOS 7 x86_64");
        assert_eq!(decode_label(r"bad\x2"), r"bad\x2");
        assert_eq!(escape_label("CentOS 7 x86_64"), r"CentOS\x207\x20x86_64");
        assert_eq!(
            escape_label("RHEL-9.4.0 A/B:C"),
            r"RHEL-9.4.0\x20A\x2fB\x3aC"
        );
        assert_eq!(decode_label(&escape_label("Ünïcode 1")), "Ünïcode 1");
    }

    #[test]
    fn finds_bad_escapes() {
        let found = bad_escapes(r"CentOS\\x207\0407%20x\xZZ");
        let replacements: Vec<_> = found.iter().map(|e| e.replacement.as_str()).collect();
        assert_eq!(replacements, [r"\x20", r"\x20", r"\x20", ""]);
        assert!(bad_escapes(r"CentOS\x207\x20x86_64").is_empty());
    }
}
