//! isohybrid system area: an MBR (with isolinux's `isohdpfx.bin` boot code
//! when given) and a GPT, so the same image boots from a USB stick in BIOS
//! and UEFI mode.
//!
//! Layout (what Fedora/RHEL media carry, and what firmware accepts):
//! * MBR partition 1: active, covering the whole image from sector 0 (type
//!   0x00 when a GPT is present, 0x17 otherwise); partition 2: type 0xEF
//!   covering the El Torito EFI image.
//! * MBR bytes 432..436: the 512-byte LBA of isolinux.bin for the boot code.
//! * GPT: header at LBA 1, 128 entries from LBA 2, backup at the image end;
//!   partition 1 "ISO9660" (basic data, the whole image), partition 2 the
//!   EFI system partition over the EFI image.

use super::md5::Md5;

pub(crate) const HEADS: u64 = 64;
pub(crate) const SECTORS: u64 = 32;
/// Images are padded to whole cylinders (64 heads x 32 sectors x 512 bytes = 1 MiB).
pub(crate) const CYLINDER_BYTES: u64 = HEADS * SECTORS * 512;
const GPT_ENTRIES: usize = 128;
const GPT_ENTRY_SIZE: usize = 128;
/// 512-byte sectors of the entry array.
const GPT_ARRAY_SECTORS: u64 = (GPT_ENTRIES * GPT_ENTRY_SIZE / 512) as u64;
/// Bytes of the backup GPT (entry array + header) at the end of the image.
pub(crate) const GPT_BACKUP_BYTES: u64 = (GPT_ARRAY_SECTORS + 1) * 512;

const ESP_TYPE: &str = "C12A7328-F81F-11D2-BA4B-00A0C93EC93B";
const BASIC_DATA_TYPE: &str = "EBD0A0A2-B9E5-4433-87C0-68B6B72699C7";

#[derive(Debug, Clone)]
pub(crate) struct HybridLayout {
    /// Boot code; only the first 432 bytes are used.
    pub mbr_code: Option<Vec<u8>>,
    /// 2048-byte LBA of the BIOS boot image (isolinux.bin).
    pub boot_lba: Option<u32>,
    /// 2048-byte LBA and byte size of the EFI image.
    pub efi: Option<(u32, u64)>,
    pub gpt: bool,
    /// Total image size in bytes (a multiple of 2048).
    pub total_bytes: u64,
    /// Seed for the disk signature and GUIDs (deterministic output).
    pub seed: Vec<u8>,
}

fn crc32(data: &[u8]) -> u32 {
    static TABLE: std::sync::OnceLock<[u32; 256]> = std::sync::OnceLock::new();
    let table = TABLE.get_or_init(|| {
        let mut t = [0u32; 256];
        for (i, v) in t.iter_mut().enumerate() {
            let mut c = i as u32;
            for _ in 0..8 {
                c = if c & 1 != 0 {
                    0xEDB8_8320 ^ (c >> 1)
                } else {
                    c >> 1
                };
            }
            *v = c;
        }
        t
    });
    !data.iter().fold(!0u32, |c, &b| {
        table[((c ^ u32::from(b)) & 0xFF) as usize] ^ (c >> 8)
    })
}

/// A GUID in GPT's mixed-endian byte order, parsed from its text form.
fn guid_bytes(text: &str) -> [u8; 16] {
    let hex: Vec<u8> = text
        .bytes()
        .filter(|b| *b != b'-')
        .collect::<Vec<_>>()
        .chunks(2)
        .map(|p| u8::from_str_radix(std::str::from_utf8(p).unwrap(), 16).unwrap())
        .collect();
    let mut g = [0u8; 16];
    g[0..4].copy_from_slice(&[hex[3], hex[2], hex[1], hex[0]]);
    g[4..6].copy_from_slice(&[hex[5], hex[4]]);
    g[6..8].copy_from_slice(&[hex[7], hex[6]]);
    g[8..16].copy_from_slice(&hex[8..16]);
    g
}

impl HybridLayout {
    fn derived(&self, tag: u8) -> [u8; 16] {
        let mut m = Md5::new();
        m.update(&self.seed);
        m.update(&[tag]);
        let mut g = m.finalize();
        g[7] = (g[7] & 0x0F) | 0x40; // version 4 (time_hi_and_version is little-endian)
        g[8] = (g[8] & 0x3F) | 0x80; // RFC 4122 variant
        g
    }

    fn total_sectors(&self) -> u64 {
        self.total_bytes / 512
    }

    fn efi_range(&self) -> Option<(u64, u64)> {
        self.efi
            .map(|(lba, size)| (u64::from(lba) * 4, size.div_ceil(512).max(1)))
    }

    /// The first 16 sectors (32 KiB) of the image.
    pub(crate) fn system_area(&self) -> Vec<u8> {
        let mut sa = vec![0u8; 16 * 2048];
        if let Some(code) = &self.mbr_code {
            let n = code.len().min(432);
            sa[..n].copy_from_slice(&code[..n]);
        }
        if let Some(lba) = self.boot_lba {
            sa[432..436].copy_from_slice(&(lba * 4).to_le_bytes());
        }
        let sig = self.derived(0);
        sa[440..444].copy_from_slice(&sig[..4]);
        let total = self.total_sectors();
        let use_gpt = self.gpt && self.efi.is_some();
        let ptype = if use_gpt { 0x00 } else { 0x17 };
        write_mbr_entry(&mut sa[446..462], 0x80, ptype, 0, total);
        if let Some((start, count)) = self.efi_range() {
            write_mbr_entry(&mut sa[462..478], 0x00, 0xEF, start, count);
        }
        sa[510] = 0x55;
        sa[511] = 0xAA;
        if use_gpt {
            let (array, header) = self.gpt_parts(true);
            sa[512..1024].copy_from_slice(&header);
            sa[1024..1024 + array.len()].copy_from_slice(&array);
        }
        sa
    }

    /// The backup GPT (entry array followed by header) and its byte offset.
    pub(crate) fn backup_gpt(&self) -> Option<(u64, Vec<u8>)> {
        if !(self.gpt && self.efi.is_some()) {
            return None;
        }
        let (mut array, header) = self.gpt_parts(false);
        array.extend_from_slice(&header);
        Some((self.total_bytes - GPT_BACKUP_BYTES, array))
    }

    fn gpt_parts(&self, primary: bool) -> (Vec<u8>, Vec<u8>) {
        let total = self.total_sectors();
        let last = total - 1;
        let first_usable = 2 + GPT_ARRAY_SECTORS;
        let last_usable = total - 2 - GPT_ARRAY_SECTORS;
        let mut array = vec![0u8; GPT_ENTRIES * GPT_ENTRY_SIZE];
        let mut put = |i: usize,
                       ty: &str,
                       unique: [u8; 16],
                       first: u64,
                       last: u64,
                       attrs: u64,
                       name: &str| {
            let e = &mut array[i * GPT_ENTRY_SIZE..(i + 1) * GPT_ENTRY_SIZE];
            e[0..16].copy_from_slice(&guid_bytes(ty));
            e[16..32].copy_from_slice(&unique);
            e[32..40].copy_from_slice(&first.to_le_bytes());
            e[40..48].copy_from_slice(&last.to_le_bytes());
            e[48..56].copy_from_slice(&attrs.to_le_bytes());
            for (k, u) in name.encode_utf16().take(36).enumerate() {
                e[56 + 2 * k..58 + 2 * k].copy_from_slice(&u.to_le_bytes());
            }
        };
        // Partition 1 covers the ISO 9660 filesystem from sector 0, overlapping the
        // GPT itself (as isohybrid and xorriso do) so that it stays mountable.
        put(
            0,
            BASIC_DATA_TYPE,
            self.derived(2),
            0,
            last_usable,
            0x1000_0000_0000_0001,
            "ISO9660",
        );
        if let Some((start, count)) = self.efi_range() {
            put(
                1,
                ESP_TYPE,
                self.derived(3),
                start,
                start + count - 1,
                0,
                "EFI System Partition",
            );
        }
        let mut h = vec![0u8; 512];
        h[0..8].copy_from_slice(b"EFI PART");
        h[8..12].copy_from_slice(&0x0001_0000u32.to_le_bytes());
        h[12..16].copy_from_slice(&92u32.to_le_bytes());
        let (current, backup, array_lba) = if primary {
            (1, last, 2)
        } else {
            (last, 1, last - GPT_ARRAY_SECTORS)
        };
        h[24..32].copy_from_slice(&current.to_le_bytes());
        h[32..40].copy_from_slice(&backup.to_le_bytes());
        h[40..48].copy_from_slice(&first_usable.to_le_bytes());
        h[48..56].copy_from_slice(&last_usable.to_le_bytes());
        h[56..72].copy_from_slice(&self.derived(1));
        h[72..80].copy_from_slice(&array_lba.to_le_bytes());
        h[80..84].copy_from_slice(&(GPT_ENTRIES as u32).to_le_bytes());
        h[84..88].copy_from_slice(&(GPT_ENTRY_SIZE as u32).to_le_bytes());
        h[88..92].copy_from_slice(&crc32(&array).to_le_bytes());
        let crc = crc32(&h[..92]);
        h[16..20].copy_from_slice(&crc.to_le_bytes());
        (array, h)
    }
}

fn chs(lba: u64) -> [u8; 3] {
    let (mut c, mut h, mut s) = (
        lba / (HEADS * SECTORS),
        (lba / SECTORS) % HEADS,
        lba % SECTORS + 1,
    );
    if c > 1023 {
        c = 1023;
        h = HEADS - 1;
        s = SECTORS;
    }
    [
        h as u8,
        (s as u8) | (((c >> 2) & 0xC0) as u8),
        (c & 0xFF) as u8,
    ]
}

fn write_mbr_entry(e: &mut [u8], status: u8, ptype: u8, start: u64, count: u64) {
    let count = count.min(u64::from(u32::MAX) - start.min(u64::from(u32::MAX)));
    e[0] = status;
    e[1..4].copy_from_slice(&chs(start));
    e[4] = ptype;
    e[5..8].copy_from_slice(&chs(start + count.max(1) - 1));
    e[8..12].copy_from_slice(&(start.min(u64::from(u32::MAX)) as u32).to_le_bytes());
    e[12..16].copy_from_slice(&(count as u32).to_le_bytes());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crc32_check_value() {
        assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
    }

    #[test]
    fn esp_guid_layout() {
        assert_eq!(
            guid_bytes(ESP_TYPE),
            [
                0x28, 0x73, 0x2A, 0xC1, 0x1F, 0xF8, 0xD2, 0x11, 0xBA, 0x4B, 0x00, 0xA0, 0xC9, 0x3E,
                0xC9, 0x3B
            ]
        );
    }

    #[test]
    fn gpt_headers_agree() {
        let h = HybridLayout {
            mbr_code: None,
            boot_lba: Some(30),
            efi: Some((40, 1_474_560)),
            gpt: true,
            total_bytes: 4 * 1024 * 1024,
            seed: b"seed".to_vec(),
        };
        let sa = h.system_area();
        assert_eq!(&sa[512..520], b"EFI PART");
        assert_eq!(u32::from_le_bytes(sa[432..436].try_into().unwrap()), 120);
        assert_eq!(sa[446 + 16 + 4], 0xEF);
        let (off, backup) = h.backup_gpt().unwrap();
        assert_eq!(off + backup.len() as u64, h.total_bytes);
        assert_eq!(&backup[backup.len() - 512..backup.len() - 504], b"EFI PART");
        // Both entry arrays are identical.
        assert_eq!(&sa[1024..1024 + 16384], &backup[..16384]);
    }
}
