//! `kslint build-iso`: defaults taken from the tree, refusals, atomic output,
//! and a source tree that is never modified.

#[path = "iso/common.rs"]
mod common;

use std::fs;
use std::path::Path;
use std::process::{Command, Output};

use common::*;

/// The trees here are mastering fixtures, not installable media (a
/// one-line kickstart, no ldlinux.c32): the checks would refuse them, so
/// they are built with `--force`. The check gate has its own tests
/// (tests/build_pipeline.rs).
fn build_iso(args: &[&str]) -> Output {
    Command::new(kslint())
        .arg("build-iso")
        .arg("--force")
        .args(args)
        .env_remove("SOURCE_DATE_EPOCH")
        .output()
        .expect("run kslint")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn no_temp_files(dir: &Path) {
    let left: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains("kslint-tmp"))
        .collect();
    assert!(left.is_empty(), "temporary files left: {left:?}");
}

/// The seed's layout: the isolinux directory is the image root.
fn seed_tree(root: &Path) {
    let isolinux = fs::read("/usr/lib/ISOLINUX/isolinux.bin").unwrap_or_else(|_| bytes(1, 40_000));
    write(&root.join("isolinux.bin"), &isolinux);
    write(
        &root.join("isolinux.cfg"),
        b"default linux\nlabel linux\n  kernel vmlinuz\n  append initrd=initrd.img inst.stage2=hd:LABEL=CentOS\\x207\\x20x86_64 inst.ks=hd:LABEL=CentOS\\x207\\x20x86_64:/ks.cfg\n",
    );
    write(&root.join("vmlinuz"), &bytes(2, 300_000));
    write(&root.join("initrd.img"), &bytes(3, 500_000));
    write(&root.join("ks.cfg"), b"install\n");
}

#[test]
fn seed_layout_builds_with_defaults_and_leaves_the_tree_alone() {
    let s = Scratch::new("cli-seed");
    let tree = s.join("isolinux");
    seed_tree(&tree);
    let before = snapshot_with_times(&tree);
    let out = s.join("demo.iso");
    let o = build_iso(&[
        tree.to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
        "--source-date-epoch",
        "1700000000",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let err = stderr(&o);
    assert!(
        err.contains("the volume id `CentOS 7 x86_64` (assumed: 2 of 2 label references use it"),
        "{err}"
    );
    assert!(
        err.contains("boot: BIOS isolinux.bin, catalog boot.cat"),
        "{err}"
    );
    assert_eq!(
        before,
        snapshot_with_times(&tree),
        "the source tree is not modified (contents, modes, times)"
    );
    no_temp_files(s.path());
    if have("isoinfo", "genisoimage", "seed_layout_builds_with_defaults") {
        let d = run_ok("isoinfo", &["-d", "-i", out.to_str().unwrap()]);
        assert!(d.contains("Volume id: CentOS 7 x86_64"), "{d}");
        assert!(
            d.contains("El Torito VD version 1 found") && d.contains("Nsect 4"),
            "{d}"
        );
        let l = run_ok("isoinfo", &["-R", "-l", "-i", out.to_str().unwrap()]);
        assert!(
            l.contains(" boot.cat ") && l.contains(" isolinux.bin "),
            "{l}"
        );
    }
    // Same inputs, same bytes.
    let again = s.join("again.iso");
    let o = build_iso(&[
        tree.to_str().unwrap(),
        "-o",
        again.to_str().unwrap(),
        "--source-date-epoch",
        "1700000000",
        "-q",
    ]);
    assert!(o.status.success());
    assert!(
        fs::read(&out).unwrap() == fs::read(&again).unwrap(),
        "reproducible"
    );
}

#[test]
fn stock_layout_gets_bios_uefi_hybrid_and_md5() {
    if !have(
        "xorriso",
        "xorriso",
        "stock_layout_gets_bios_uefi_hybrid_and_md5",
    ) {
        return;
    }
    let Some((isolinux, _)) = isolinux_files("stock_layout") else {
        return;
    };
    let s = Scratch::new("cli-stock");
    let tree = s.join("tree");
    write(
        &tree.join("isolinux/isolinux.bin"),
        &fs::read(isolinux).unwrap(),
    );
    write(
        &tree.join("isolinux/isolinux.cfg"),
        b"append inst.stage2=hd:LABEL=RHEL-9-4-0-BaseOS-x86_64\n",
    );
    write(&tree.join("images/efiboot.img"), &bytes(4, 2_000_000));
    write(
        &tree.join("EFI/BOOT/grub.cfg"),
        b"search --no-floppy --set=root -l 'RHEL-9-4-0-BaseOS-x86_64'\n",
    );
    let out = s.join("boot.iso");
    let o = build_iso(&[tree.to_str().unwrap(), "-o", out.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    let r = run_ok(
        "xorriso",
        &[
            "-indev",
            out.to_str().unwrap(),
            "-report_el_torito",
            "plain",
            "-report_system_area",
            "plain",
        ],
    );
    let norm = r.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(
        norm.contains("Volume id : 'RHEL-9-4-0-BaseOS-x86_64'"),
        "{r}"
    );
    assert!(
        norm.contains("El Torito cat path : /isolinux/boot.cat"),
        "{r}"
    );
    assert!(
        norm.contains("El Torito img path : 1 /isolinux/isolinux.bin"),
        "{r}"
    );
    assert!(
        norm.contains("El Torito img path : 2 /images/efiboot.img"),
        "{r}"
    );
    assert!(norm.contains("MBR isohybrid cyl-align-on GPT"), "{r}");
    assert!(stderr(&o).contains("media check MD5"), "{}", stderr(&o));
    if have("checkisomd5", "isomd5sum", "stock_layout md5") {
        assert!(run("checkisomd5", &[out.to_str().unwrap()])
            .status
            .success());
    }
    // --bios-only --no-hybrid --no-implant-md5: one entry, empty system area, blank application data.
    let plain = s.join("plain.iso");
    let o = build_iso(&[
        tree.to_str().unwrap(),
        "-o",
        plain.to_str().unwrap(),
        "--bios-only",
        "--no-hybrid",
        "--no-implant-md5",
        "-q",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let img = fs::read(&plain).unwrap();
    assert!(img[..32768].iter().all(|&b| b == 0));
    assert!(img[16 * 2048 + 883..16 * 2048 + 883 + 512]
        .iter()
        .all(|&b| b == b' '));
    let r = run_ok(
        "xorriso",
        &[
            "-indev",
            plain.to_str().unwrap(),
            "-report_el_torito",
            "plain",
        ],
    );
    assert!(!r.contains("UEFI"), "{r}");
}

#[test]
fn escaping_symlinks_are_refused_and_the_target_is_untouched() {
    let s = Scratch::new("cli-escape");
    let tree = s.join("tree");
    seed_tree(&tree);
    std::os::unix::fs::symlink("../../../etc/shadow", tree.join("evil")).unwrap();
    let out = s.join("out.iso");
    fs::write(&out, b"the previous image").unwrap();
    let o = build_iso(&[tree.to_str().unwrap(), "-o", out.to_str().unwrap()]);
    assert!(!o.status.success());
    let err = stderr(&o);
    assert!(
        err.contains("evil") && err.contains("points outside the tree"),
        "{err}"
    );
    assert_eq!(fs::read(&out).unwrap(), b"the previous image");
    no_temp_files(s.path());
}

#[test]
fn names_colliding_after_mangling_are_refused() {
    let s = Scratch::new("cli-collide");
    let tree = s.join("tree");
    write(&tree.join("repodata/what?.xml"), b"1");
    write(&tree.join("repodata/what_.xml"), b"2");
    let out = s.join("out.iso");
    let o = build_iso(&[tree.to_str().unwrap(), "-o", out.to_str().unwrap()]);
    assert!(!o.status.success());
    let err = stderr(&o);
    assert!(
        err.contains("names collide after mangling")
            && err.contains("what?.xml")
            && err.contains("Joliet"),
        "{err}"
    );
    assert!(!out.exists());
    let o = build_iso(&[
        tree.to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
        "--no-joliet",
        "-q",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
}

#[test]
fn output_inside_the_tree_is_refused() {
    let s = Scratch::new("cli-inside");
    let tree = s.join("tree");
    seed_tree(&tree);
    let before = snapshot(&tree);
    let o = build_iso(&[
        tree.to_str().unwrap(),
        "-o",
        tree.join("self.iso").to_str().unwrap(),
    ]);
    assert!(!o.status.success());
    assert!(stderr(&o).contains("inside the tree"), "{}", stderr(&o));
    assert_eq!(before, snapshot(&tree));
}

#[test]
fn volume_id_falls_back_to_treeinfo_and_source_date_epoch_is_honoured() {
    let s = Scratch::new("cli-treeinfo");
    let tree = s.join("tree");
    write(
        &tree.join(".treeinfo"),
        b"[general]\nfamily = CentOS\nversion = 7\narch = x86_64\n",
    );
    write(&tree.join("file.txt"), b"data\n");
    let a = s.join("a.iso");
    let b = s.join("b.iso");
    for out in [&a, &b] {
        let o = Command::new(kslint())
            .args([
                "build-iso",
                tree.to_str().unwrap(),
                "-o",
                out.to_str().unwrap(),
            ])
            .env("SOURCE_DATE_EPOCH", "1600000000")
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", stderr(&o));
        assert!(
            stderr(&o)
                .contains("the volume id `CentOS 7 x86_64` (the stock label for the release in")
                && stderr(&o).contains(".treeinfo"),
            "{}",
            stderr(&o)
        );
        assert!(stderr(&o).contains("no boot image found"), "{}", stderr(&o));
        // Wait so that a clock-dependent field would differ.
        std::thread::sleep(std::time::Duration::from_millis(1100));
    }
    assert!(fs::read(&a).unwrap() == fs::read(&b).unwrap());
    let img = fs::read(&a).unwrap();
    assert_eq!(
        &img[16 * 2048 + 813..16 * 2048 + 829],
        b"2020091312264000",
        "creation date from SOURCE_DATE_EPOCH"
    );
}
