//! Boots an image made by `kslint build-iso` in QEMU (TCG): BIOS from CD,
//! BIOS from disk (isohybrid MBR), UEFI from CD (El Torito EFI entry) and
//! UEFI from disk (GPT/MBR EFI partition). The tree comes from Debian's
//! isolinux, GRUB, kernel and busybox (tests/iso/make_boot_tree.sh); its
//! initramfs mounts the medium and prints /ks/ks.cfg and the volume id.
//!
//! Skipped, with a SKIP line, when qemu, OVMF or the tree's ingredients are
//! missing. Set KSLINT_BOOT_TIMEOUT (seconds, default 150) on slow machines.

#[path = "iso/common.rs"]
mod common;
#[path = "iso/qemu.rs"]
mod qemu;

use std::path::Path;
use std::process::Command;

use common::*;
use qemu::{boot, ovmf, BootFailures};

const LABEL: &str = "KSLINT_BOOT_TEST";

#[test]
fn image_boots_bios_and_uefi_from_cd_and_disk() {
    let test = "image_boots_bios_and_uefi_from_cd_and_disk";
    if !have("qemu-system-x86_64", "qemu-system-x86", test) {
        return;
    }
    let s = Scratch::new("qemu");
    let tree = s.join("tree");
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/iso/make_boot_tree.sh");
    let made = Command::new("sh")
        .arg(&script)
        .arg(&tree)
        .arg(LABEL)
        .output()
        .unwrap();
    let said =
        String::from_utf8_lossy(&made.stdout).into_owned() + &String::from_utf8_lossy(&made.stderr);
    if made.status.code() == Some(77) {
        eprintln!("SKIP {test}: {}", said.trim());
        return;
    }
    assert!(made.status.success(), "make_boot_tree.sh failed:\n{said}");
    let iso = s.join("boot.iso");
    let o = Command::new(kslint())
        .args([
            "build-iso",
            // A boot fixture: its ks.cfg is a marker, not a kickstart.
            "--force",
            tree.to_str().unwrap(),
            "-o",
            iso.to_str().unwrap(),
            "--source-date-epoch",
            "1700000000",
        ])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let img = iso.to_str().unwrap().to_string();
    let cd = vec!["-cdrom".to_string(), img.clone()];
    let disk = vec![
        "-drive".to_string(),
        format!("file={img},format=raw,if=ide,snapshot=on"),
    ];

    let mut modes: Vec<(&str, Vec<String>)> = vec![
        (
            "bios-cd",
            [cd.clone(), vec!["-boot".into(), "d".into()]].concat(),
        ),
        (
            "bios-disk",
            [disk.clone(), vec!["-boot".into(), "c".into()]].concat(),
        ),
    ];
    match ovmf() {
        Some((code, vars)) => {
            for (name, medium) in [("uefi-cd", &cd), ("uefi-disk", &disk)] {
                let vars_copy = s.join(&format!("{name}-vars.fd"));
                std::fs::copy(&vars, &vars_copy).unwrap();
                let fw = vec![
                    "-drive".to_string(),
                    format!(
                        "if=pflash,format=raw,unit=0,readonly=on,file={}",
                        code.display()
                    ),
                    "-drive".to_string(),
                    format!("if=pflash,format=raw,unit=1,file={}", vars_copy.display()),
                ];
                modes.push((name, [fw, medium.clone()].concat()));
            }
        }
        None => eprintln!(
            "SKIP {test} (UEFI boots): no OVMF firmware in /usr/share/OVMF (Debian package ovmf)"
        ),
    }

    let mut failures = BootFailures::default();
    for (name, args) in &modes {
        let (ok, _, log) = boot(name, s.path(), args);
        let good = ok
            && log.contains("KSLINT-KS: KSLINT-KS-CONTENT")
            && log.contains(&format!("KSLINT-LABEL: {LABEL}"))
            && log.contains("a-long-rock-ridge-file-name-that-needs-an-nm-entry.cfg")
            && log.contains(&format!("inst.ks=hd:LABEL={LABEL}:/ks/ks.cfg"));
        failures.record(name, good, &log);
    }
    failures.assert_none();
}
