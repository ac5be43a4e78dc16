//! El Torito: the boot record volume descriptor, the boot catalog and the
//! boot-info-table that isolinux expects in its own image.

/// Platform ids of the boot catalog.
pub(crate) const PLATFORM_X86: u8 = 0;
pub(crate) const PLATFORM_EFI: u8 = 0xEF;

/// isolinux.bin carries this at offset 0x40 when its hybrid (disk) entry point exists.
pub(crate) const ISOHYBRID_MAGIC: [u8; 4] = [0xFB, 0xC0, 0x78, 0x70];

/// The boot record volume descriptor (sector 17 by convention).
pub(crate) fn boot_record(catalog_lba: u32) -> Vec<u8> {
    let mut s = vec![0u8; 2048];
    s[0] = 0;
    s[1..6].copy_from_slice(b"CD001");
    s[6] = 1;
    let id = b"EL TORITO SPECIFICATION";
    s[7..7 + id.len()].copy_from_slice(id);
    s[0x47..0x4B].copy_from_slice(&catalog_lba.to_le_bytes());
    s
}

/// One bootable image in the catalog.
#[derive(Debug, Clone, Copy)]
pub(crate) struct CatalogImage {
    pub platform: u8,
    pub lba: u32,
    /// Sectors of 512 bytes loaded by the firmware (BIOS) or the image size in
    /// such sectors (EFI; 0 when it does not fit 16 bits, meaning "to the end").
    pub sectors: u16,
}

fn entry(img: &CatalogImage) -> [u8; 32] {
    let mut e = [0u8; 32];
    e[0] = 0x88; // bootable
    e[1] = 0; // no emulation
              // Load segment 0 means the traditional 0x7C0.
    e[6..8].copy_from_slice(&img.sectors.to_le_bytes());
    e[8..12].copy_from_slice(&img.lba.to_le_bytes());
    e
}

/// The boot catalog (one 2048-byte sector): validation entry, the default
/// entry (the first image), and a final section for the second image when the
/// platforms differ (BIOS + UEFI).
pub(crate) fn catalog(images: &[CatalogImage]) -> Vec<u8> {
    let mut s = vec![0u8; 2048];
    let first = images.first().copied().unwrap_or(CatalogImage {
        platform: PLATFORM_X86,
        lba: 0,
        sectors: 0,
    });
    // Validation entry.
    s[0] = 1;
    s[1] = first.platform;
    s[30] = 0x55;
    s[31] = 0xAA;
    let sum = s[..32].chunks_exact(2).fold(0u16, |acc, w| {
        acc.wrapping_add(u16::from_le_bytes([w[0], w[1]]))
    });
    s[28..30].copy_from_slice(&0u16.wrapping_sub(sum).to_le_bytes());
    s[32..64].copy_from_slice(&entry(&first));
    let mut at = 64;
    let rest = &images[images.len().min(1)..];
    for (i, img) in rest.iter().enumerate() {
        // One section header per further image; the last one is marked final.
        s[at] = if i + 1 == rest.len() { 0x91 } else { 0x90 };
        s[at + 1] = img.platform;
        s[at + 2..at + 4].copy_from_slice(&1u16.to_le_bytes());
        s[at + 32..at + 64].copy_from_slice(&entry(img));
        at += 64;
    }
    s
}

/// Sum of the little-endian 32-bit words of the image from byte 64 on (the
/// boot-info-table checksum); a short last word is zero-padded.
pub(crate) fn boot_info_checksum(image: &[u8]) -> u32 {
    let mut sum = 0u32;
    if image.len() > 64 {
        for w in image[64..].chunks(4) {
            let mut word = [0u8; 4];
            word[..w.len()].copy_from_slice(w);
            sum = sum.wrapping_add(u32::from_le_bytes(word));
        }
    }
    sum
}

/// Writes the 56-byte boot-info-table at offset 8 of the image copy.
pub(crate) fn patch_boot_info_table(image: &mut [u8], pvd_lba: u32, image_lba: u32) {
    let len = image.len() as u32;
    let sum = boot_info_checksum(image);
    image[8..12].copy_from_slice(&pvd_lba.to_le_bytes());
    image[12..16].copy_from_slice(&image_lba.to_le_bytes());
    image[16..20].copy_from_slice(&len.to_le_bytes());
    image[20..24].copy_from_slice(&sum.to_le_bytes());
    image[24..64].fill(0);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validation_entry_sums_to_zero() {
        let cat = catalog(&[
            CatalogImage {
                platform: PLATFORM_X86,
                lba: 40,
                sectors: 4,
            },
            CatalogImage {
                platform: PLATFORM_EFI,
                lba: 50,
                sectors: 2880,
            },
        ]);
        let sum = cat[..32].chunks_exact(2).fold(0u16, |a, w| {
            a.wrapping_add(u16::from_le_bytes([w[0], w[1]]))
        });
        assert_eq!(sum, 0);
        assert_eq!(cat[32], 0x88);
        assert_eq!(u32::from_le_bytes(cat[40..44].try_into().unwrap()), 40);
        assert_eq!(cat[64], 0x91);
        assert_eq!(cat[65], 0xEF);
        assert_eq!(u16::from_le_bytes(cat[102..104].try_into().unwrap()), 2880);
    }

    #[test]
    fn info_table() {
        let mut img = vec![0u8; 100];
        img[64..68].copy_from_slice(&1u32.to_le_bytes());
        img[96..100].copy_from_slice(&2u32.to_le_bytes());
        patch_boot_info_table(&mut img, 16, 33);
        assert_eq!(
            &img[8..24],
            &[16, 0, 0, 0, 33, 0, 0, 0, 100, 0, 0, 0, 3, 0, 0, 0]
        );
    }
}
