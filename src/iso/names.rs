//! File identifiers for the ISO 9660 tree (levels 1-3, d-characters) and
//! for the Joliet tree (UCS-2, up to 103 characters), and the orderings the
//! standards require for directory records.

use std::cmp::Ordering;

/// Longest Joliet name (the "long" Joliet form also used by mkisofs and xorriso).
pub(crate) const JOLIET_MAX: usize = 103;

/// Maps a name to d-characters (A-Z, 0-9, `_`), keeping `.` when `keep_dots`.
fn d_chars(name: &[u8], keep_dots: bool) -> Vec<u8> {
    let text = String::from_utf8_lossy(name);
    text.chars()
        .map(|c| match c {
            'a'..='z' => c.to_ascii_uppercase() as u8,
            'A'..='Z' | '0'..='9' | '_' => c as u8,
            '.' if keep_dots => b'.',
            _ => b'_',
        })
        .collect()
}

/// Limits for one ISO 9660 interchange level.
#[derive(Clone, Copy)]
pub(crate) struct Limits {
    /// Longest directory identifier.
    dir: usize,
    /// Longest file name part (level 1: 8).
    base: usize,
    /// Longest extension (level 1: 3).
    ext: usize,
    /// Longest name + extension together (levels 2 and 3: 30).
    total: usize,
}

impl Limits {
    pub(crate) fn for_level(level: u8) -> Limits {
        if level <= 1 {
            Limits {
                dir: 8,
                base: 8,
                ext: 3,
                total: 11,
            }
        } else {
            Limits {
                dir: 31,
                base: 30,
                ext: 30,
                total: 30,
            }
        }
    }
}

/// Splits a file name into (base, extension) at the last dot.
fn split_ext(name: &[u8]) -> (Vec<u8>, Option<Vec<u8>>) {
    match name.iter().rposition(|&b| b == b'.') {
        Some(i) => (name[..i].to_vec(), Some(name[i + 1..].to_vec())),
        None => (name.to_vec(), None),
    }
}

/// A primary-tree identifier before collision handling. Files get `.` and `;1`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct IsoName {
    pub base: Vec<u8>,
    pub ext: Vec<u8>,
    pub is_dir: bool,
}

impl IsoName {
    pub(crate) fn new(name: &[u8], is_dir: bool, limits: Limits) -> IsoName {
        if is_dir {
            let mut base = d_chars(name, false);
            base.truncate(limits.dir);
            return IsoName {
                base,
                ext: Vec::new(),
                is_dir,
            };
        }
        let (base, ext) = split_ext(name);
        let mut base = d_chars(&base, false);
        let mut ext = ext.map(|e| d_chars(&e, false)).unwrap_or_default();
        ext.truncate(limits.ext);
        if base.len() + ext.len() > limits.total {
            // Keep the extension (it tells what the file is); shorten the name.
            ext.truncate(
                limits
                    .total
                    .min(8)
                    .max(limits.total.saturating_sub(base.len())),
            );
            base.truncate(limits.total - ext.len());
        }
        base.truncate(limits.base);
        if base.is_empty() && ext.is_empty() {
            base.push(b'_');
        }
        IsoName { base, ext, is_dir }
    }

    /// The identifier as recorded: `NAME` for directories, `NAME.EXT;1` for files.
    pub(crate) fn identifier(&self) -> Vec<u8> {
        let mut out = self.base.clone();
        if !self.is_dir {
            out.push(b'.');
            out.extend_from_slice(&self.ext);
            out.extend_from_slice(b";1");
        }
        out
    }

    /// The `n`-th alternative spelling used when the natural one is taken:
    /// the end of the name part is replaced by a decimal counter.
    pub(crate) fn variant(&self, n: usize, limits: Limits) -> IsoName {
        let digits = format!("{n:03}");
        let room = if self.is_dir {
            limits.dir
        } else {
            limits.base.min(limits.total - self.ext.len())
        };
        let keep = room.saturating_sub(digits.len()).min(self.base.len());
        let mut base = self.base[..keep].to_vec();
        base.extend_from_slice(digits.as_bytes());
        IsoName {
            base,
            ext: self.ext.clone(),
            is_dir: self.is_dir,
        }
    }
}

/// ECMA-119 9.3 ordering of file identifiers: name (space padded), then
/// extension (space padded), then version (descending).
pub(crate) fn cmp_iso_identifiers(a: &[u8], b: &[u8]) -> Ordering {
    fn parts(id: &[u8]) -> (&[u8], &[u8], &[u8]) {
        let (name, version) = match id.iter().position(|&c| c == b';') {
            Some(i) => (&id[..i], &id[i + 1..]),
            None => (id, &id[id.len()..]),
        };
        match name.iter().position(|&c| c == b'.') {
            Some(i) => (&name[..i], &name[i + 1..], version),
            None => (name, &name[name.len()..], version),
        }
    }
    fn padded_cmp(a: &[u8], b: &[u8]) -> Ordering {
        let n = a.len().max(b.len());
        for i in 0..n {
            let x = a.get(i).copied().unwrap_or(b' ');
            let y = b.get(i).copied().unwrap_or(b' ');
            if x != y {
                return x.cmp(&y);
            }
        }
        Ordering::Equal
    }
    let (an, ae, av) = parts(a);
    let (bn, be, bv) = parts(b);
    padded_cmp(an, bn)
        .then_with(|| padded_cmp(ae, be))
        .then_with(|| padded_cmp(bv, av))
}

/// Joliet name as UCS-2 code units (without the `;1` version).
pub(crate) fn joliet_units(name: &[u8]) -> Vec<u16> {
    let text = String::from_utf8_lossy(name);
    let mut units: Vec<u16> = text
        .chars()
        .map(|c| match c {
            '\u{0}'..='\u{1f}' | '*' | '/' | ':' | ';' | '?' | '\\' => u16::from(b'_'),
            '\u{fffd}' => u16::from(b'_'),
            c if (c as u32) > 0xFFFF => u16::from(b'_'),
            c => c as u32 as u16,
        })
        .collect();
    if units.len() > JOLIET_MAX {
        // Keep the extension (when it is a plausible one) and shorten the rest.
        let dot = units.iter().rposition(|&u| u == u16::from(b'.'));
        match dot {
            Some(i) if units.len() - i <= 16 && i > 0 => {
                let ext: Vec<u16> = units[i..].to_vec();
                units.truncate(JOLIET_MAX - ext.len());
                units.extend(ext);
            }
            _ => units.truncate(JOLIET_MAX),
        }
    }
    units
}

/// The recorded Joliet identifier: big-endian UCS-2, `;1` appended for files.
pub(crate) fn joliet_identifier(units: &[u16], is_dir: bool) -> Vec<u8> {
    let mut out = Vec::with_capacity(units.len() * 2 + 4);
    for u in units {
        out.extend_from_slice(&u.to_be_bytes());
    }
    if !is_dir {
        out.extend_from_slice(&[0, b';', 0, b'1']);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(name: &str, dir: bool, level: u8) -> String {
        String::from_utf8(IsoName::new(name.as_bytes(), dir, Limits::for_level(level)).identifier())
            .unwrap()
    }

    #[test]
    fn level_names() {
        assert_eq!(id("isolinux.bin", false, 1), "ISOLINUX.BIN;1");
        assert_eq!(id("vmlinuz", false, 1), "VMLINUZ.;1");
        assert_eq!(id("initrd.img", false, 1), "INITRD.IMG;1");
        assert_eq!(id("efiboot-long-name.img", false, 1), "EFIBOOT_.IMG;1");
        assert_eq!(id("images", true, 1), "IMAGES");
        assert_eq!(id("x86_64.dir.name", true, 2), "X86_64_DIR_NAME");
        assert_eq!(id(".treeinfo", false, 2), ".TREEINFO;1");
        assert_eq!(
            id("demo-base-1.0-1.el7.noarch.rpm", false, 2),
            "DEMO_BASE_1_0_1_EL7_NOARCH.RPM;1"
        );
        assert_eq!(
            id(
                "a-very-long-package-name-that-goes-on-1.0-1.el9.x86_64.rpm",
                false,
                2
            )
            .len(),
            33
        );
        assert!(id(
            "a-very-long-package-name-that-goes-on-1.0-1.el9.x86_64.rpm",
            false,
            2
        )
        .ends_with(".RPM;1"));
    }

    #[test]
    fn variants_stay_within_limits() {
        let l = Limits::for_level(1);
        let n = IsoName::new(b"isolinux.cfg", false, l);
        assert_eq!(n.variant(7, l).identifier(), b"ISOLI007.CFG;1");
        let l2 = Limits::for_level(2);
        let long = IsoName::new(&[b'x'; 40], false, l2);
        assert!(long.variant(12, l2).identifier().len() <= 33);
    }

    #[test]
    fn iso_ordering() {
        assert_eq!(cmp_iso_identifiers(b"AB.;1", b"AB.1;1"), Ordering::Less);
        assert_eq!(cmp_iso_identifiers(b"AB.X;1", b"AB_C.X;1"), Ordering::Less);
        assert_eq!(cmp_iso_identifiers(b"A", b"A0"), Ordering::Less);
    }

    #[test]
    fn joliet_long_names_keep_extension() {
        let name = format!("{}.rpm", "p".repeat(150));
        let units = joliet_units(name.as_bytes());
        assert_eq!(units.len(), JOLIET_MAX);
        assert_eq!(
            String::from_utf16(&units[JOLIET_MAX - 4..]).unwrap(),
            ".rpm"
        );
        assert_eq!(
            String::from_utf16(&joliet_units("a:b?c".as_bytes())).unwrap(),
            "a_b_c"
        );
        assert_eq!(
            String::from_utf16(&joliet_units("Grüße €".as_bytes())).unwrap(),
            "Grüße €"
        );
    }
}
