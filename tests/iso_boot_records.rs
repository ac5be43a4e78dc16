//! El Torito, isohybrid MBR/GPT and the implantisomd5 record, checked byte by
//! byte and with xorriso, isoinfo, checkisomd5 and implantisomd5.

#[path = "iso/common.rs"]
mod common;

use std::fs;
use std::path::{Path, PathBuf};

use common::*;
use kslint::iso::{self, BootOptions, Control, HybridOptions, IsoOptions, Tree};

struct Built {
    _scratch: Scratch,
    src: PathBuf,
    iso: PathBuf,
    image: iso::Image,
}

fn boot_tree(s: &Scratch, isolinux: &Path) -> PathBuf {
    let src = s.join("src");
    write(
        &src.join("isolinux/isolinux.bin"),
        &fs::read(isolinux).unwrap(),
    );
    write(&src.join("isolinux/isolinux.cfg"), b"default linux\n");
    write(&src.join("images/efiboot.img"), &bytes(7, 1_474_560));
    write(&src.join("Packages/filler.rpm"), &bytes(8, 1_200_000));
    src
}

fn boot_opts(efi: bool, bios: bool, hybrid: Option<Vec<u8>>, md5: bool) -> IsoOptions {
    IsoOptions {
        volume_id: "KSLINT_BOOT".into(),
        timestamp: Some(1_700_000_000),
        implant_md5: md5,
        boot: Some(BootOptions {
            bios_image: bios.then(|| "isolinux/isolinux.bin".to_string()),
            efi_image: efi.then(|| "images/efiboot.img".to_string()),
            catalog: "isolinux/boot.cat".into(),
            ..BootOptions::default()
        }),
        hybrid: hybrid.map(|code| HybridOptions {
            mbr_code: Some(code),
            gpt: efi,
        }),
        ..IsoOptions::default()
    }
}

fn build_boot(name: &str, efi: bool, bios: bool, hybrid: bool, md5: bool) -> Option<Built> {
    let (isolinux, mbr) = isolinux_files(name)?;
    let s = Scratch::new(name);
    let src = boot_tree(&s, &isolinux);
    let code = hybrid.then(|| fs::read(&mbr).unwrap());
    let image = iso::prepare(
        Tree::from_dir(&src).unwrap(),
        &boot_opts(efi, bios, code, md5),
    )
    .unwrap();
    let iso = s.join("out.iso");
    image.write_file(&iso, &mut Control::default()).unwrap();
    Some(Built {
        _scratch: s,
        src,
        iso,
        image,
    })
}

fn lba_of(b: &Built, path: &str) -> u32 {
    b.image
        .file_extents()
        .into_iter()
        .find(|(p, _, _)| p == path)
        .unwrap()
        .1
}

#[test]
fn boot_info_table_is_patched_into_the_image_only() {
    let Some(b) = build_boot("bit", true, true, true, false) else {
        return;
    };
    let source = fs::read(b.src.join("isolinux/isolinux.bin")).unwrap();
    let original = fs::read("/usr/lib/ISOLINUX/isolinux.bin").unwrap();
    assert!(
        source == original,
        "the tree's isolinux.bin is never modified"
    );
    let img = fs::read(&b.iso).unwrap();
    let lba = lba_of(&b, "/isolinux/isolinux.bin");
    let copy = &img[lba as usize * 2048..lba as usize * 2048 + source.len()];
    let mut sum = 0u32;
    for w in source[64..].chunks(4) {
        let mut word = [0u8; 4];
        word[..w.len()].copy_from_slice(w);
        sum = sum.wrapping_add(u32::from_le_bytes(word));
    }
    assert_eq!(u32_le(copy, 8), 16, "bi_pvd");
    assert_eq!(u32_le(copy, 12), lba, "bi_file");
    assert_eq!(u32_le(copy, 16), source.len() as u32, "bi_length");
    assert_eq!(u32_le(copy, 20), sum, "bi_csum");
    assert!(copy[24..64].iter().all(|&x| x == 0), "reserved");
    assert_eq!(&copy[..8], &source[..8]);
    assert_eq!(&copy[64..], &source[64..]);
}

#[test]
fn xorriso_reports_bios_and_uefi_entries_and_the_hybrid_layout() {
    if !have(
        "xorriso",
        "xorriso",
        "xorriso_reports_bios_and_uefi_entries_and_the_hybrid_layout",
    ) {
        return;
    }
    let Some(b) = build_boot("report", true, true, true, false) else {
        return;
    };
    let r = run_ok(
        "xorriso",
        &[
            "-indev",
            b.iso.to_str().unwrap(),
            "-report_el_torito",
            "plain",
            "-report_system_area",
            "plain",
        ],
    );
    let bios = lba_of(&b, "/isolinux/isolinux.bin");
    let efi = lba_of(&b, "/images/efiboot.img");
    let norm = r.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(
        norm.contains("El Torito cat path : /isolinux/boot.cat"),
        "{r}"
    );
    assert!(
        norm.contains(&format!(
            "El Torito boot img : 1 BIOS y none 0x0000 0x00 4 {bios}"
        )),
        "{r}"
    );
    assert!(
        norm.contains(&format!(
            "El Torito boot img : 2 UEFI y none 0x0000 0x00 2880 {efi}"
        )),
        "{r}"
    );
    assert!(
        norm.contains("El Torito img opts : 1 boot-info-table isohybrid-suitable"),
        "{r}"
    );
    assert!(
        norm.contains("El Torito img path : 2 /images/efiboot.img"),
        "{r}"
    );
    assert!(
        norm.contains("System area summary: MBR isohybrid cyl-align-on GPT"),
        "{r}"
    );
    let sectors = b.image.size() / 512;
    assert!(
        norm.contains(&format!("MBR partition : 1 0x80 0x00 0 {sectors}")),
        "{r}"
    );
    assert!(
        norm.contains(&format!("MBR partition : 2 0x00 0xef {} 2880", efi * 4)),
        "{r}"
    );
    assert!(
        norm.contains(&format!("GPT start and size : 2 {} 2880", efi * 4)),
        "{r}"
    );
    assert!(
        norm.contains("GPT type GUID : 2 28732ac11ff8d211ba4b00a0c93ec93b"),
        "ESP type: {r}"
    );
    assert!(
        norm.contains("GPT partition path : 2 /images/efiboot.img"),
        "{r}"
    );
    if have("isoinfo", "genisoimage", "isoinfo catalog") {
        let d = run_ok("isoinfo", &["-d", "-i", b.iso.to_str().unwrap()]);
        assert!(
            d.contains("Nsect 4") && d.contains(&format!("Bootoff {bios:X} {bios}")),
            "{d}"
        );
    }
}

#[test]
fn mbr_and_gpt_bytes_are_consistent() {
    let Some(b) = build_boot("gpt", true, true, true, false) else {
        return;
    };
    let img = fs::read(&b.iso).unwrap();
    let mbr = fs::read("/usr/lib/ISOLINUX/isohdpfx.bin").unwrap();
    assert_eq!(&img[..432], &mbr[..432], "isohdpfx boot code");
    assert_eq!(u32_le(&img, 432), lba_of(&b, "/isolinux/isolinux.bin") * 4);
    assert_eq!(&img[510..512], &[0x55, 0xAA]);
    assert_eq!(img.len() % (1 << 20), 0, "cylinder aligned");
    let total = (img.len() / 512) as u64;
    let check_header = |at: usize, current: u64, entries: u64| {
        let h = &img[at..at + 512];
        assert_eq!(&h[..8], b"EFI PART");
        let mut copy = h[..92].to_vec();
        copy[16..20].fill(0);
        assert_eq!(crc32(&copy), u32_le(h, 16), "header CRC");
        assert_eq!(u64::from_le_bytes(h[24..32].try_into().unwrap()), current);
        assert_eq!(u64::from_le_bytes(h[72..80].try_into().unwrap()), entries);
        let array = &img[entries as usize * 512..entries as usize * 512 + 128 * 128];
        assert_eq!(crc32(array), u32_le(h, 88), "entry array CRC");
        array.to_vec()
    };
    let primary = check_header(512, 1, 2);
    let backup = check_header(img.len() - 512, total - 1, total - 33);
    assert_eq!(primary, backup);
    let efi = u64::from(lba_of(&b, "/images/efiboot.img")) * 4;
    let e2 = &primary[128..256];
    assert_eq!(
        &e2[..16],
        &[
            0x28, 0x73, 0x2A, 0xC1, 0x1F, 0xF8, 0xD2, 0x11, 0xBA, 0x4B, 0x00, 0xA0, 0xC9, 0x3E,
            0xC9, 0x3B
        ]
    );
    assert_eq!(u64::from_le_bytes(e2[32..40].try_into().unwrap()), efi);
    assert_eq!(
        u64::from_le_bytes(e2[40..48].try_into().unwrap()),
        efi + 2880 - 1
    );
}

#[test]
fn without_hybrid_the_system_area_is_empty_and_efi_only_catalogs_say_efi() {
    let Some(b) = build_boot("plain", true, false, false, false) else {
        return;
    };
    let img = fs::read(&b.iso).unwrap();
    assert!(img[..32768].iter().all(|&x| x == 0));
    let cat_lba = u32_le(&img, 17 * 2048 + 0x47) as usize;
    let cat = &img[cat_lba * 2048..cat_lba * 2048 + 64];
    assert_eq!(cat[0], 1);
    assert_eq!(
        cat[1], 0xEF,
        "validation entry platform of an EFI-only catalog"
    );
    let sum = cat[..32].chunks(2).fold(0u16, |a, w| {
        a.wrapping_add(u16::from_le_bytes([w[0], w[1]]))
    });
    assert_eq!(sum, 0, "validation checksum");
    assert_eq!(cat[32], 0x88);
    assert_eq!(u32_le(cat, 40), lba_of(&b, "/images/efiboot.img"));
}

#[test]
fn an_isolinux_without_hybrid_signature_is_refused_for_the_mbr() {
    let Some((_, mbr)) = isolinux_files("nosig") else {
        return;
    };
    let s = Scratch::new("nosig");
    let src = s.join("src");
    write(&src.join("isolinux/isolinux.bin"), &bytes(3, 4096));
    let err = iso::prepare(
        Tree::from_dir(&src).unwrap(),
        &boot_opts(false, true, Some(fs::read(mbr).unwrap()), false),
    )
    .err()
    .expect("refused")
    .to_string();
    assert!(err.contains("isohybrid signature"), "{err}");
}

#[test]
fn implanted_md5_passes_checkisomd5_and_matches_implantisomd5() {
    let Some(b) = build_boot("md5", true, true, true, true) else {
        return;
    };
    assert!(b.image.size() > 1 << 20);
    if have(
        "checkisomd5",
        "isomd5sum",
        "implanted_md5_passes_checkisomd5",
    ) {
        let ok = run("checkisomd5", &[b.iso.to_str().unwrap()]);
        assert!(
            ok.status.success(),
            "{}",
            String::from_utf8_lossy(&ok.stdout)
        );
        // A damaged image fails the check.
        let bad = b.iso.with_extension("bad.iso");
        let mut img = fs::read(&b.iso).unwrap();
        let at = lba_of(&b, "/Packages/filler.rpm") as usize * 2048 + 1000;
        img[at] ^= 0xFF;
        fs::write(&bad, &img).unwrap();
        assert!(
            !run("checkisomd5", &[bad.to_str().unwrap()])
                .status
                .success(),
            "corruption detected"
        );
    }
    if have("implantisomd5", "isomd5sum", "matches_implantisomd5") {
        // The same image without our record, then implanted by the reference tool.
        let src = b.src.clone();
        let mbr = fs::read("/usr/lib/ISOLINUX/isohdpfx.bin").unwrap();
        let plain = iso::prepare(
            Tree::from_dir(&src).unwrap(),
            &boot_opts(true, true, Some(mbr), false),
        )
        .unwrap();
        let reference = b.iso.with_extension("ref.iso");
        plain
            .write_file(&reference, &mut Control::default())
            .unwrap();
        run_ok("implantisomd5", &[reference.to_str().unwrap()]);
        assert!(
            fs::read(&reference).unwrap() == fs::read(&b.iso).unwrap(),
            "byte-identical to implantisomd5's result"
        );
    }
    // Seekable streams get the record too.
    let mut cursor = std::io::Cursor::new(Vec::new());
    let report = b
        .image
        .write_seekable(&mut cursor, &mut Control::default())
        .unwrap();
    assert!(report.md5.is_some());
    assert!(cursor.into_inner() == fs::read(&b.iso).unwrap());
}
