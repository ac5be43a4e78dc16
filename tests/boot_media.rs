//! Boot configurations checked against media trees written under
//! `tests/fixtures/boot/`: a stock-shaped CentOS 7 tree that must stay
//! clean, a tree with one of each mistake, and a seed-shaped overlay. The
//! `images/efiboot.img` of each tree is made here, with `mkfs.fat` and
//! `mcopy` when they are installed (an independent FAT writer) and with the
//! `fatfs` crate's formatter otherwise.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

use kslint::analysis::{Analysis, CheckOptions};
use kslint::config::Config;
use kslint::diagnostic::{Applicability, Severity};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/boot")
        .join(name)
}

fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// A copy of a fixture tree in a temporary directory.
fn tree(name: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    copy_tree(&fixture(name), dir.path());
    dir
}

fn have(tool: &str) -> bool {
    Command::new(tool)
        .arg("--help")
        .output()
        .is_ok_and(|output| output.status.code().is_some())
}

/// Writes `images/efiboot.img` holding `EFI/BOOT/grub.cfg` = `grub_cfg`
/// and the UEFI loader `EFI/BOOT/BOOTX64.EFI`.
fn make_efiboot(root: &Path, grub_cfg: &str) {
    make_efiboot_with(root, grub_cfg, &["BOOTX64.EFI"]);
}

/// [`make_efiboot`] with the loader files `loaders` in `EFI/BOOT/`.
fn make_efiboot_with(root: &Path, grub_cfg: &str, loaders: &[&str]) {
    let images = root.join("images");
    std::fs::create_dir_all(&images).unwrap();
    let image = images.join("efiboot.img");
    let _ = std::fs::remove_file(&image);
    let mkfs = ["mkfs.fat", "/usr/sbin/mkfs.fat", "/sbin/mkfs.fat"]
        .into_iter()
        .find(|tool| have(tool));
    if let (Some(mkfs), true) = (mkfs, have("mcopy")) {
        let config = root.join("grub.cfg.for-image");
        std::fs::write(&config, grub_cfg).unwrap();
        let run = |program: &str, args: &[&str]| {
            let status = Command::new(program).args(args).status().unwrap();
            assert!(status.success(), "{program} {args:?} failed");
        };
        let image = image.to_str().unwrap();
        run(mkfs, &["-C", image, "2048"]);
        run("mmd", &["-i", image, "::/EFI", "::/EFI/BOOT"]);
        run(
            "mcopy",
            &[
                "-i",
                image,
                config.to_str().unwrap(),
                "::/EFI/BOOT/grub.cfg",
            ],
        );
        std::fs::remove_file(config).unwrap();
        for loader in loaders {
            let file = root.join("loader.for-image");
            std::fs::write(&file, format!("fixture {loader}\n")).unwrap();
            run(
                "mcopy",
                &[
                    "-i",
                    image,
                    file.to_str().unwrap(),
                    &format!("::/EFI/BOOT/{loader}"),
                ],
            );
            std::fs::remove_file(file).unwrap();
        }
        return;
    }
    let mut disk = std::io::Cursor::new(vec![0u8; 2 << 20]);
    fatfs::format_volume(&mut disk, fatfs::FormatVolumeOptions::new()).unwrap();
    {
        let fs = fatfs::FileSystem::new(&mut disk, fatfs::FsOptions::new()).unwrap();
        let root_dir = fs.root_dir();
        root_dir.create_dir("EFI").unwrap();
        root_dir.create_dir("EFI/BOOT").unwrap();
        let mut file = root_dir.create_file("EFI/BOOT/grub.cfg").unwrap();
        file.write_all(grub_cfg.as_bytes()).unwrap();
        for loader in loaders {
            let mut file = root_dir.create_file(&format!("EFI/BOOT/{loader}")).unwrap();
            file.write_all(format!("fixture {loader}\n").as_bytes())
                .unwrap();
        }
    }
    std::fs::write(image, disk.into_inner()).unwrap();
}

fn options_for(path: &Path) -> CheckOptions {
    CheckOptions {
        config: Config::discover(path).unwrap().unwrap_or_default(),
        ..CheckOptions::default()
    }
}

fn check(path: &Path) -> Analysis {
    kslint::boot::analyze_path(path, &options_for(path)).unwrap()
}

/// `(code, text at the range)` of every diagnostic in the main file.
fn findings(analysis: &Analysis) -> Vec<(&'static str, String)> {
    analysis
        .diagnostics
        .iter()
        .map(|d| {
            let file = analysis.sources.get(d.location.file);
            (d.rule.code, file.slice(d.location.range).to_string())
        })
        .collect()
}

fn codes(analysis: &Analysis) -> Vec<&'static str> {
    let mut codes: Vec<_> = analysis.diagnostics.iter().map(|d| d.rule.code).collect();
    codes.sort_unstable();
    codes.dedup();
    codes
}

fn kslint(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_kslint"))
        .args(args)
        .output()
        .unwrap()
}

#[test]
fn a_stock_tree_has_no_errors_or_warnings() {
    let dir = tree("stock");
    let grub = std::fs::read_to_string(dir.path().join("EFI/BOOT/grub.cfg")).unwrap();
    make_efiboot(dir.path(), &grub);
    let isolinux = check(&dir.path().join("isolinux/isolinux.cfg"));
    assert!(isolinux.diagnostics.is_empty(), "{:?}", findings(&isolinux));
    let efi = check(&dir.path().join("EFI/BOOT/grub.cfg"));
    // Only the note that upstream GRUB would eat the `\x20` backslashes.
    assert_eq!(codes(&efi), ["KS4006"], "{:?}", findings(&efi));
    assert!(efi.diagnostics.iter().all(|d| d.severity == Severity::Info));
    let image = kslint::boot::analyze_efi_image(dir.path(), &CheckOptions::default()).unwrap();
    assert_eq!(codes(&image), ["KS4006"], "{:?}", findings(&image));
    let path = image.sources.get(image.main).path.clone();
    assert!(
        path.ends_with("images/efiboot.img/EFI/BOOT/grub.cfg"),
        "{path:?}"
    );

    // The whole tree through the CLI: exit 0, three files.
    let output = kslint(&["check", "--format", "json", dir.path().to_str().unwrap()]);
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stdout)
    );
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let files: Vec<String> = report["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["path"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(files.len(), 3, "{files:?}");
    assert!(files
        .iter()
        .any(|f| f.ends_with("efiboot.img/EFI/BOOT/grub.cfg")));
    assert!(
        report["files"][0]["syntax"] == "RHEL7",
        "{}",
        report["files"][0]
    );
}

#[test]
fn the_stock_volume_id_comes_from_treeinfo() {
    let dir = tree("stock");
    let volume = kslint::boot::media_volume_id(dir.path(), &Config::default()).unwrap();
    assert_eq!(volume.value, "CentOS 7 x86_64");
    assert!(matches!(
        volume.source,
        kslint::boot::VolumeIdSource::Media(_)
    ));
    // Relabelled everywhere: the configs win over the stock label.
    for cfg in ["isolinux/isolinux.cfg", "EFI/BOOT/grub.cfg"] {
        let path = dir.path().join(cfg);
        let text = std::fs::read_to_string(&path).unwrap();
        let text = text
            .replace("CentOS\\x207\\x20x86_64", "MY-DVD")
            .replace("'CentOS 7 x86_64'", "'MY-DVD'");
        std::fs::write(&path, text).unwrap();
    }
    let volume = kslint::boot::media_volume_id(dir.path(), &Config::default()).unwrap();
    assert_eq!(volume.value, "MY-DVD");
    assert!(volume.is_assumed());
    let analysis = check(&dir.path().join("isolinux/isolinux.cfg"));
    assert_eq!(codes(&analysis), ["KS4003"], "{:?}", findings(&analysis));
}

#[test]
fn every_mistake_is_found_at_its_word() {
    let dir = tree("broken");
    let analysis = check(&dir.path().join("isolinux/isolinux.cfg"));
    let found = findings(&analysis);
    let has = |code: &str, text: &str| found.iter().any(|(c, t)| *c == code && t == text);
    // The FAQ typo, with a fix to `hd`.
    assert!(has("KS4001", "ha"), "{found:?}");
    let typo = analysis
        .diagnostics
        .iter()
        .find(|d| d.rule.code == "KS4001")
        .unwrap();
    assert_eq!(typo.fix.as_ref().unwrap().edits[0].replacement, "hd");
    // The stock label on a relabelled ISO: error with a safe fix (the volume
    // id is set in kslint.toml), escaped for the kernel command line.
    assert!(has("KS4002", "CentOS\\x207\\x20x86_64"), "{found:?}");
    let label = analysis
        .diagnostics
        .iter()
        .find(|d| d.rule.code == "KS4002")
        .unwrap();
    assert!(
        label.message.contains("dracut-initqueue timeout"),
        "{}",
        label.message
    );
    let fix = label.fix.as_ref().unwrap();
    assert_eq!(fix.applicability, Applicability::Safe);
    assert_eq!(fix.edits[0].replacement, "APPLIANCE\\x201.0");
    // A literal space ends the argument.
    assert!(has("KS4005", "APPLIANCE 1.0"), "{found:?}");
    // The cdrom kickstart that waits forever.
    assert!(has("KS4008", "cdrom:/dev/cdrom"), "{found:?}");
    // `/isolinux/ks.cfg` is not on the media; `/ks/ks.cfg` is, and is proposed.
    assert!(has("KS4009", "/isolinux/ks.cfg"), "{found:?}");
    let missing = analysis
        .diagnostics
        .iter()
        .find(|d| d.rule.code == "KS4009")
        .unwrap();
    assert_eq!(
        missing.fix.as_ref().unwrap().edits[0].replacement,
        "/ks/ks.cfg"
    );
    assert!(has("KS4011", "vmlinuz-missing"), "{found:?}");
    // `ks=` on RHEL 8 (from kslint.toml): a warning with a safe fix.
    assert!(has("KS4012", "ks"), "{found:?}");
    assert!(has("KS4018", "# typo from the FAQ"), "{found:?}");
    assert!(has("KS4019", "install"), "{found:?}");
    assert!(has("KS4020", "instal"), "{found:?}");
    assert!(has("KS4021", "0"), "{found:?}");
    assert!(
        has("KS4022", "inst.ks=hd:LABEL=APPLIANCE\\x201.0:/ks/ks.cfg"),
        "{found:?}"
    );
    assert!(has("KS4023", "@LABEL@"), "{found:?}");
    // Every range lies on the offending word only.
    for diagnostic in &analysis.diagnostics {
        let file = analysis.sources.get(diagnostic.location.file);
        let text = file.slice(diagnostic.location.range);
        assert!(!text.contains('\n'), "{}: {text:?}", diagnostic.rule.code);
    }

    let efi = check(&dir.path().join("EFI/BOOT/grub.cfg"));
    let found = findings(&efi);
    let has = |code: &str, text: &str| found.iter().any(|(c, t)| *c == code && t == text);
    assert!(has("KS4015", "'CentOS 7 x86_64'"), "{found:?}");
    assert!(has("KS4020", "5"), "{found:?}");
    let sync = efi
        .diagnostics
        .iter()
        .filter(|d| d.rule.code == "KS4014")
        .collect::<Vec<_>>();
    assert!(!sync.is_empty(), "{found:?}");
    assert!(sync.iter().any(|d| d.message.contains("/ks/ks.cfg")));
    // The fix appends the kickstart to the entry's linux line.
    let append = sync.iter().find_map(|d| d.fix.as_ref()).unwrap();
    assert!(
        append.edits[0].replacement.starts_with(" inst.ks="),
        "{append:?}"
    );
}

#[test]
fn the_grub_cfg_inside_efiboot_img_is_checked_and_compared() {
    let dir = tree("broken");
    let tree_cfg = std::fs::read_to_string(dir.path().join("EFI/BOOT/grub.cfg")).unwrap();
    let stale = tree_cfg
        .replace("'CentOS 7 x86_64'", "'APPLIANCE 1.0'")
        .replace(" quiet", " rd.live.check quiet");
    make_efiboot(dir.path(), &stale);
    let image =
        kslint::boot::analyze_efi_image(dir.path(), &options_for(&dir.path().join("isolinux")))
            .unwrap();
    let found = findings(&image);
    assert!(found.iter().any(|(c, _)| *c == "KS4016"), "{found:?}");
    let stale: Vec<_> = image
        .diagnostics
        .iter()
        .filter(|d| d.rule.code == "KS4016")
        .collect();
    assert_eq!(stale.len(), 2, "{found:?}");
    assert!(stale[0].message.contains("searches for `APPLIANCE 1.0`"));
    assert!(
        stale[1].message.contains("rd.live.check"),
        "{}",
        stale[1].message
    );
    assert!(stale[1].message.contains("mcopy -o -i images/efiboot.img"));
    // The image's own search label is right; the tree's is not.
    assert!(!found.iter().any(|(c, _)| *c == "KS4015"), "{found:?}");

    // A damaged image is a diagnostic, not a failure.
    std::fs::write(dir.path().join("images/efiboot.img"), vec![0xffu8; 8192]).unwrap();
    let image = kslint::boot::analyze_efi_image(dir.path(), &CheckOptions::default()).unwrap();
    assert_eq!(codes(&image), ["KS4017"]);
    let output = kslint(&[
        "check",
        dir.path().join("isolinux/isolinux.cfg").to_str().unwrap(),
    ]);
    assert_eq!(output.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.contains("KS4017"), "{stdout}");
}

#[test]
fn a_seed_shaped_overlay_gets_exactly_its_real_problems() {
    let dir = tree("seed");
    let analysis = check(&dir.path().join("build_iso/isolinux/isolinux.cfg"));
    let found = findings(&analysis);
    let codes: Vec<_> = found.iter().map(|(code, _)| *code).collect();
    assert_eq!(codes, ["KS4007", "KS4008", "KS4003"], "{found:?}");
    assert_eq!(found[0].1, "/dev/sr0");
    assert_eq!(found[1].1, "cdrom:/dev/cdrom");
    assert_eq!(found[2].1, "CentOS\\x207\\x20x86_64");
    // The fixes use the assumed label, so they are for review only.
    let device = &analysis.diagnostics[0];
    let fix = device.fix.as_ref().unwrap();
    assert_eq!(fix.applicability, Applicability::Unsafe);
    assert_eq!(fix.edits[0].replacement, "LABEL=CentOS\\x207\\x20x86_64");
    let cdrom = &analysis.diagnostics[1];
    assert_eq!(
        cdrom.fix.as_ref().unwrap().edits[0].replacement,
        "hd:LABEL=CentOS\\x207\\x20x86_64:/ks/ks.cfg"
    );
    // Setting the volume id removes the assumption and makes the fixes safe.
    std::fs::write(
        dir.path().join("build_iso/kslint.toml"),
        "[iso]\nvolume_id = \"CentOS 7 x86_64\"\n",
    )
    .unwrap();
    let analysis = check(&dir.path().join("build_iso/isolinux/isolinux.cfg"));
    let codes: Vec<_> = analysis.diagnostics.iter().map(|d| d.rule.code).collect();
    assert_eq!(codes, ["KS4007", "KS4008"]);
    assert_eq!(
        analysis.diagnostics[0].fix.as_ref().unwrap().applicability,
        Applicability::Safe
    );
}

#[test]
fn the_example_media_stays_clean() {
    let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/centos7-media");
    let output = kslint(&["check", "--format", "json", example.to_str().unwrap()]);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(0), "{stdout}");
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let boot: Vec<_> = report["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["code"].as_str().unwrap().starts_with("KS4"))
        .collect();
    assert!(boot.is_empty(), "{boot:?}");
    assert!(report["files"]
        .as_array()
        .unwrap()
        .iter()
        .any(|f| f["path"].as_str().unwrap().ends_with("isolinux.cfg")));
}

#[test]
fn a_boot_config_given_by_another_name_is_recognised() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("menu-for-usb.cfg");
    std::fs::write(
        &path,
        "default linux\nlabel linux\n  kernel vmlinuz\n  append initrd=initrd.img inst.stage2=hd:LABEL=X ks=hd:LABEL=X:/ks.cfg\n",
    )
    .unwrap();
    let output = kslint(&["check", "--format", "json", path.to_str().unwrap()]);
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let codes: Vec<&str> = report["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["code"].as_str().unwrap())
        .collect();
    // Checked as SYSLINUX (no kickstart rule fires): the label is assumed,
    // and `ks=` is the legacy spelling.
    assert_eq!(codes, ["KS4003", "KS4012"], "{report}");
}

#[test]
fn a_kickstart_knows_the_boot_entries_that_load_it() {
    let dir = tree("broken");
    let ks = dir.path().join("ks/ks.cfg");
    let uses = kslint::boot::entries_loading(&ks, &options_for(&ks));
    let entries: Vec<(&str, usize)> = uses.iter().map(|u| (u.entry.as_str(), u.line)).collect();
    // The second `install` (cdrom:/dev/cdrom:/ks/ks.cfg) and `nostage2`;
    // `spaced` names another label and `install` another path.
    assert_eq!(entries, [("install", 20), ("nostage2", 30)], "{uses:?}");
    assert!(uses[0].config.ends_with("isolinux/isolinux.cfg"));

    let example = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("examples/centos7-media/build_iso/isolinux/ks/ks.cfg");
    let uses = kslint::boot::entries_loading(&example, &options_for(&example));
    assert_eq!(uses.len(), 1, "{uses:?}");
    assert_eq!(uses[0].entry, "linux");
}

/// A media tree written here: `isolinux/` with the loader's files and
/// `text` as isolinux.cfg, `ks.cfg` at the root, and `kslint.toml`.
fn written_tree(toml: &str, isolinux_cfg: &str, ks: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    std::fs::create_dir_all(root.join("isolinux")).unwrap();
    std::fs::create_dir_all(root.join("images")).unwrap();
    std::fs::write(root.join("images/install.img"), "image\n").unwrap();
    for name in ["vmlinuz", "initrd.img", "vesamenu.c32"] {
        std::fs::write(root.join("isolinux").join(name), "boot file\n").unwrap();
    }
    std::fs::write(root.join("isolinux/isolinux.cfg"), isolinux_cfg).unwrap();
    std::fs::write(root.join("ks.cfg"), ks).unwrap();
    std::fs::write(root.join("kslint.toml"), toml).unwrap();
    std::fs::write(root.join(".discinfo"), "1\nRHEL 9.4\nx86_64\n").unwrap();
    dir
}

const USB_MENU: &str = "default vesamenu.c32\ntimeout 50\nlabel ks\n  menu default\n  kernel vmlinuz\n  append initrd=initrd.img inst.stage2=hd:LABEL=KSMEDIA inst.ks=hd:LABEL=KSMEDIA:/ks.cfg quiet\n";

#[test]
fn stage2_only_kickstart_entries_on_el8_and_later_get_the_usb_note() {
    let toml = "syntax = \"RHEL9\"\n[iso]\nvolume_id = \"KSMEDIA\"\n";
    // The kickstart installs from `cdrom`: a warning with a fix to inst.repo.
    let dir = written_tree(toml, USB_MENU, "text\ncdrom\nlang C\n");
    let analysis = check(&dir.path().join("isolinux/isolinux.cfg"));
    let found = findings(&analysis);
    assert_eq!(found, [("KS4026", "inst.stage2".to_string())], "{found:?}");
    let diagnostic = &analysis.diagnostics[0];
    assert_eq!(diagnostic.severity, Severity::Warning);
    assert!(
        diagnostic.message.contains("`cdrom`"),
        "{}",
        diagnostic.message
    );
    let fix = diagnostic.fix.as_ref().unwrap();
    assert_eq!(fix.applicability, Applicability::Unsafe);
    assert_eq!(fix.edits[0].replacement, "inst.repo");

    // No install method: nothing on RHEL 9, whose installer reuses the
    // stage2 disk; a note on RHEL 8.
    std::fs::write(
        dir.path().join("ks.cfg"),
        "text\nlang C\n%post\ncdrom\n%end\n",
    )
    .unwrap();
    let analysis = check(&dir.path().join("isolinux/isolinux.cfg"));
    assert!(analysis.diagnostics.is_empty(), "{:?}", findings(&analysis));
    std::fs::write(
        dir.path().join("kslint.toml"),
        toml.replace("RHEL9", "RHEL8"),
    )
    .unwrap();
    let analysis = check(&dir.path().join("isolinux/isolinux.cfg"));
    assert_eq!(codes(&analysis), ["KS4026"]);
    assert_eq!(analysis.diagnostics[0].severity, Severity::Info);
    std::fs::write(dir.path().join("kslint.toml"), toml).unwrap();

    // The kickstart names its source: nothing to say.
    std::fs::write(
        dir.path().join("ks.cfg"),
        "url --url=http://mirror/rhel9/BaseOS\nlang C\n",
    )
    .unwrap();
    let analysis = check(&dir.path().join("isolinux/isolinux.cfg"));
    assert!(analysis.diagnostics.is_empty(), "{:?}", findings(&analysis));

    // `inst.repo` names the media: nothing either.
    std::fs::write(dir.path().join("ks.cfg"), "cdrom\n").unwrap();
    std::fs::write(
        dir.path().join("isolinux/isolinux.cfg"),
        USB_MENU.replace("inst.stage2=", "inst.repo="),
    )
    .unwrap();
    let analysis = check(&dir.path().join("isolinux/isolinux.cfg"));
    assert!(analysis.diagnostics.is_empty(), "{:?}", findings(&analysis));

    // RHEL 7 is not affected.
    let dir = written_tree(
        "syntax = \"RHEL7\"\n[iso]\nvolume_id = \"KSMEDIA\"\n",
        USB_MENU,
        "cdrom\n",
    );
    let analysis = check(&dir.path().join("isolinux/isolinux.cfg"));
    assert!(analysis.diagnostics.is_empty(), "{:?}", findings(&analysis));
}

#[test]
fn a_kickstart_naming_a_label_fat_writers_change_gets_a_note() {
    let menu = USB_MENU
        .replace("LABEL=KSMEDIA", "LABEL=Appliance\\x201.0")
        .replace("inst.stage2=", "inst.repo=");
    let ks = "harddrive --partition=/dev/disk/by-label/Appliance\\x201.0 --dir=/\nlang C\n";
    let toml = "syntax = \"RHEL9\"\n[iso]\nvolume_id = \"Appliance 1.0\"\n";
    let dir = written_tree(toml, &menu, ks);
    let analysis = check(&dir.path().join("isolinux/isolinux.cfg"));
    let found = findings(&analysis);
    assert_eq!(found, [("KS4027", "/ks.cfg".to_string())], "{found:?}");
    let message = &analysis.diagnostics[0].message;
    assert_eq!(analysis.diagnostics[0].severity, Severity::Info);
    for part in [
        "(line 1)",
        "longer than 11",
        "lower-case",
        "spaces",
        "dd mode",
        "`APPLIANCE10`",
    ] {
        assert!(message.contains(part), "{part}: {message}");
    }
    // A kickstart that does not name the label: the writers' rewrite of the
    // menus is enough.
    std::fs::write(
        dir.path().join("ks.cfg"),
        "cdrom\n# by-label/Appliance\\x201.0\n",
    )
    .unwrap();
    let analysis = check(&dir.path().join("isolinux/isolinux.cfg"));
    assert!(analysis.diagnostics.is_empty(), "{:?}", findings(&analysis));
    // A short upper-case label survives the writers.
    let dir = written_tree(
        "syntax = \"RHEL9\"\n[iso]\nvolume_id = \"KSMEDIA\"\n",
        &USB_MENU.replace("inst.stage2=", "inst.repo="),
        "harddrive --partition=LABEL=KSMEDIA --dir=/\n",
    );
    let analysis = check(&dir.path().join("isolinux/isolinux.cfg"));
    assert!(analysis.diagnostics.is_empty(), "{:?}", findings(&analysis));
}

#[test]
fn uefi_loaders_and_syslinux_module_builds_are_checked() {
    let dir = tree("stock");
    let grub = std::fs::read_to_string(dir.path().join("EFI/BOOT/grub.cfg")).unwrap();
    // shim in the tree loads grubx64.efi; the image lacks it.
    std::fs::write(dir.path().join("EFI/BOOT/grubx64.efi"), "fixture grub\n").unwrap();
    make_efiboot(dir.path(), &grub);
    let image = kslint::boot::analyze_efi_image(dir.path(), &CheckOptions::default()).unwrap();
    let missing: Vec<_> = image
        .diagnostics
        .iter()
        .filter(|d| d.rule.code == "KS4011")
        .collect();
    assert_eq!(missing.len(), 1, "{:?}", findings(&image));
    assert!(
        missing[0].message.contains("`grubx64.efi`"),
        "{}",
        missing[0].message
    );
    assert_eq!(missing[0].severity, Severity::Error);
    // With both in the image: clean again (apart from the GRUB escape note).
    make_efiboot_with(dir.path(), &grub, &["BOOTX64.EFI", "grubx64.efi"]);
    let image = kslint::boot::analyze_efi_image(dir.path(), &CheckOptions::default()).unwrap();
    assert_eq!(codes(&image), ["KS4006"], "{:?}", findings(&image));
    // No loader in the image at all.
    make_efiboot_with(dir.path(), &grub, &[]);
    let image = kslint::boot::analyze_efi_image(dir.path(), &CheckOptions::default()).unwrap();
    let found = findings(&image);
    assert!(
        image
            .diagnostics
            .iter()
            .any(|d| d.rule.code == "KS4011" && d.message.contains("has no EFI/BOOT/BOOTX64.EFI")),
        "{found:?}"
    );
    // No loader next to the tree's grub.cfg.
    std::fs::remove_file(dir.path().join("EFI/BOOT/BOOTX64.EFI")).unwrap();
    let efi = check(&dir.path().join("EFI/BOOT/grub.cfg"));
    assert_eq!(codes(&efi), ["KS4006", "KS4011"], "{:?}", findings(&efi));

    // ISOLINUX 6 with a module of SYSLINUX 4 (not ELF): a warning on the
    // module's name; an ELF module of the same build is fine.
    let isolinux = dir.path().join("isolinux");
    std::fs::write(isolinux.join("vesamenu.c32"), "fixture COM32 module\n").unwrap();
    let analysis = check(&isolinux.join("isolinux.cfg"));
    let found = findings(&analysis);
    assert_eq!(found, [("KS4011", "vesamenu.c32".to_string())], "{found:?}");
    assert_eq!(analysis.diagnostics[0].severity, Severity::Warning);
    assert!(analysis.diagnostics[0].message.contains("ISOLINUX 6"));
    std::fs::write(isolinux.join("vesamenu.c32"), b"\x7fELF fixture module\n").unwrap();
    let analysis = check(&isolinux.join("isolinux.cfg"));
    assert!(analysis.diagnostics.is_empty(), "{:?}", findings(&analysis));
    // ISOLINUX 4 with that ELF module: the other way round.
    std::fs::write(
        isolinux.join("isolinux.bin"),
        "fixture ISOLINUX 4.05 loader\n",
    )
    .unwrap();
    let analysis = check(&isolinux.join("isolinux.cfg"));
    assert_eq!(codes(&analysis), ["KS4011"], "{:?}", findings(&analysis));
    assert!(analysis.diagnostics[0]
        .message
        .contains("SYSLINUX 5 or later"));
}

const EL9_LABEL: &str = "RHEL-9-4-0-BaseOS-x86_64";

/// An EL 9 stock-shaped tree written here: the BIOS and UEFI menus lorax
/// writes (same entries, same label), the loader files, the install image
/// and an `images/efiboot.img` with GRUB, shim and the same menu.
fn el9_tree() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let write = |path: &str, bytes: &[u8]| {
        let path = root.join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, bytes).unwrap();
    };
    write(
        ".treeinfo",
        b"[header]\ntype = productmd.treeinfo\nversion = 1.2\n\n[release]\nname = Red Hat Enterprise Linux\nshort = RHEL\nversion = 9.4\n\n[tree]\narch = x86_64\nplatforms = x86_64,xen\nvariants = AppStream,BaseOS\n\n[stage2]\nmainimage = images/install.img\n",
    );
    write(
        ".discinfo",
        b"1712000000.000000\nRed Hat Enterprise Linux 9.4\nx86_64\n",
    );
    write("images/install.img", b"fixture runtime image\n");
    write("images/pxeboot/vmlinuz", b"fixture kernel\n");
    write("images/pxeboot/initrd.img", b"fixture initrd\n");
    write(
        "isolinux/isolinux.bin",
        b"fixture loader, version string: ISOLINUX 6.04\n",
    );
    for module in ["ldlinux.c32", "vesamenu.c32", "libcom32.c32", "libutil.c32"] {
        write(
            &format!("isolinux/{module}"),
            format!("\x7fELF fixture {module}\n").as_bytes(),
        );
    }
    for file in ["vmlinuz", "initrd.img", "boot.msg", "splash.png", "memtest"] {
        write(&format!("isolinux/{file}"), b"fixture\n");
    }
    write("EFI/BOOT/BOOTX64.EFI", b"fixture shim\n");
    write("EFI/BOOT/grubx64.efi", b"fixture grub\n");
    let l = EL9_LABEL;
    let isolinux = format!(
        "default vesamenu.c32\ntimeout 600\n\ndisplay boot.msg\n\nmenu clear\nmenu background splash.png\nmenu title Fixture Linux 9.4\nmenu vshift 8\nmenu rows 18\nmenu tabmsg Press Tab for full configuration options on menu items.\n\nmenu separator # insert an empty line\nmenu separator # insert an empty line\n\nlabel linux\n  menu label ^Install Fixture Linux 9.4\n  kernel vmlinuz\n  append initrd=initrd.img inst.stage2=hd:LABEL={l} quiet\n\nlabel check\n  menu label Test this ^media & install Fixture Linux 9.4\n  menu default\n  kernel vmlinuz\n  append initrd=initrd.img inst.stage2=hd:LABEL={l} rd.live.check quiet\n\nmenu separator # insert an empty line\n\nmenu begin ^Troubleshooting\n  menu title Troubleshooting Fixture Linux 9.4\n\nlabel basicvideo\n  menu indent count 5\n  menu label Install using ^basic graphics mode\n  text help\n\tTry this option out if you're having trouble installing.\n  endtext\n  kernel vmlinuz\n  append initrd=initrd.img inst.stage2=hd:LABEL={l} nomodeset quiet\n\nlabel rescue\n  menu indent count 5\n  menu label ^Rescue a Fixture Linux system\n  kernel vmlinuz\n  append initrd=initrd.img inst.stage2=hd:LABEL={l} inst.rescue quiet\n\nlabel memtest\n  menu label Run a ^memory test\n  kernel memtest\n\nmenu separator # insert an empty line\n\nlabel local\n  menu label Boot from ^local drive\n  localboot 0xffff\n\nmenu separator # insert an empty line\n\nlabel returntomain\n  menu label Return to ^main menu\n  menu exit\n\nmenu end\n"
    );
    write("isolinux/isolinux.cfg", isolinux.as_bytes());
    let grub = format!(
        "set default=\"1\"\n\nfunction load_video {{\n  insmod efi_gop\n  insmod efi_uga\n  insmod video_bochs\n  insmod video_cirrus\n  insmod all_video\n}}\n\nload_video\nset gfxpayload=keep\ninsmod gzio\ninsmod part_gpt\ninsmod ext2\n\nset timeout=60\n### END /etc/grub.d/00_header ###\n\nsearch --no-floppy --set=root -l '{l}'\n\n### BEGIN /etc/grub.d/10_linux ###\nmenuentry 'Install Fixture Linux 9.4' --class red --class gnu-linux --class gnu --class os {{\n\tlinux /images/pxeboot/vmlinuz inst.stage2=hd:LABEL={l} quiet\n\tinitrd /images/pxeboot/initrd.img\n}}\nmenuentry 'Test this media & install Fixture Linux 9.4' --class red --class gnu-linux --class gnu --class os {{\n\tlinux /images/pxeboot/vmlinuz inst.stage2=hd:LABEL={l} rd.live.check quiet\n\tinitrd /images/pxeboot/initrd.img\n}}\nsubmenu 'Troubleshooting -->' {{\n\tmenuentry 'Install Fixture Linux 9.4 in text mode' --class red --class gnu-linux --class gnu --class os {{\n\t\tlinux /images/pxeboot/vmlinuz inst.stage2=hd:LABEL={l} inst.text quiet\n\t\tinitrd /images/pxeboot/initrd.img\n\t}}\n\tmenuentry 'Rescue a Fixture Linux system' --class red --class gnu-linux --class gnu --class os {{\n\t\tlinux /images/pxeboot/vmlinuz inst.stage2=hd:LABEL={l} inst.rescue quiet\n\t\tinitrd /images/pxeboot/initrd.img\n\t}}\n}}\n"
    );
    write("EFI/BOOT/grub.cfg", grub.as_bytes());
    make_efiboot_with(root, &grub, &["BOOTX64.EFI", "grubx64.efi"]);
    dir
}

/// Every diagnostic of the three menus of the tree at `root`.
fn all_menus(root: &Path) -> Vec<(&'static str, Severity, String)> {
    let mut found = Vec::new();
    let analyses = [
        check(&root.join("isolinux/isolinux.cfg")),
        check(&root.join("EFI/BOOT/grub.cfg")),
        kslint::boot::analyze_efi_image(root, &options_for(&root.join("isolinux"))).unwrap(),
    ];
    for analysis in &analyses {
        for d in &analysis.diagnostics {
            let file = analysis.sources.get(d.location.file);
            found.push((
                d.rule.code,
                d.severity,
                file.slice(d.location.range).to_string(),
            ));
        }
    }
    found
}

#[test]
fn an_el9_stock_shaped_tree_and_its_kickstart_remaster_stay_clean() {
    let dir = el9_tree();
    let root = dir.path();
    assert_eq!(
        kslint::boot::media_volume_id(root, &Config::default())
            .unwrap()
            .value,
        EL9_LABEL
    );
    let found = all_menus(root);
    assert!(found.is_empty(), "{found:?}");

    // The usual remaster (what mkksiso does): the kickstart on the media,
    // loaded by every entry of every menu. Still nothing to report.
    std::fs::write(
        root.join("ks.cfg"),
        "text\nlang en_US.UTF-8\nrootpw --lock\n",
    )
    .unwrap();
    let ks = format!(" inst.ks=hd:LABEL={EL9_LABEL}:/ks.cfg");
    let add_ks = |text: &str| text.replace(" quiet", &format!("{ks} quiet"));
    for menu in ["isolinux/isolinux.cfg", "EFI/BOOT/grub.cfg"] {
        let path = root.join(menu);
        let text = std::fs::read_to_string(&path).unwrap();
        std::fs::write(&path, add_ks(&text)).unwrap();
    }
    let grub = std::fs::read_to_string(root.join("EFI/BOOT/grub.cfg")).unwrap();
    make_efiboot_with(root, &grub, &["BOOTX64.EFI", "grubx64.efi"]);
    let found = all_menus(root);
    assert!(found.is_empty(), "{found:?}");

    // A kickstart that installs from `cdrom` does not work from a USB stick.
    std::fs::write(root.join("ks.cfg"), "cdrom\ntext\nlang en_US.UTF-8\n").unwrap();
    let found = all_menus(root);
    assert!(!found.is_empty());
    assert!(
        found.iter().all(|(code, severity, text)| *code == "KS4026"
            && *severity == Severity::Warning
            && text == "inst.stage2"),
        "{found:?}"
    );
    // Four entries booting the installer in each of the three menus.
    assert_eq!(found.len(), 12, "{found:?}");
}

/// Places the boot configuration `text` (named `name`) where its loader
/// reads it in a new media tree, with every file it names: kernels,
/// initrds, modules, included files, and the kickstarts its `inst.ks`
/// arguments load from the media.
fn media_for(name: &str, text: &str) -> (tempfile::TempDir, PathBuf) {
    use kslint::boot::cmdline::{source_option, SourceOption, SourceSpec};
    use kslint::boot::model::Loader;
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().to_path_buf();
    let loader = kslint::boot::loader_for(Path::new(name), text).unwrap_or(Loader::Syslinux);
    let place = match loader {
        Loader::Syslinux if name.ends_with("syslinux.cfg") => "syslinux.cfg",
        Loader::Syslinux => "isolinux/isolinux.cfg",
        Loader::Grub2 => "EFI/BOOT/grub.cfg",
        Loader::GrubLegacy => "EFI/BOOT/BOOTX64.conf",
    };
    let config = root.join(place);
    let config_dir = config.parent().unwrap().to_path_buf();
    let write = |path: PathBuf, bytes: &[u8]| {
        if !path.exists() {
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, bytes).unwrap();
        }
    };
    write(config.clone(), text.as_bytes());
    write(root.join("images/install.img"), b"fixture runtime image\n");
    write(root.join("EFI/BOOT/BOOTX64.EFI"), b"fixture shim\n");
    let parsed = kslint::boot::parse(kslint::source::FileId(0), text, loader);
    for file in parsed.config.all_files() {
        let value = file.word.value.as_str();
        let value = value
            .strip_prefix('(')
            .and_then(|rest| rest.split_once(')'))
            .map_or(value, |(_, path)| path);
        if value.is_empty() || value.contains('$') || value.contains("..") {
            continue;
        }
        let base = if value.starts_with('/') || loader != Loader::Syslinux {
            &root
        } else {
            &config_dir
        };
        let bytes: &[u8] = if value.ends_with(".c32") {
            b"\x7fELF fixture module\n"
        } else {
            b"fixture\n"
        };
        write(base.join(value.trim_start_matches('/')), bytes);
    }
    for word in parsed.config.all_args() {
        if source_option(word) != Some(SourceOption::Kickstart) {
            continue;
        }
        let Some(spec) = SourceSpec::parse(word, SourceOption::Kickstart) else {
            continue;
        };
        if let Some(path) = spec.path {
            let path = &word.value[path];
            if !path.contains('$') && !path.contains("..") && !path.ends_with('/') {
                write(root.join(path.trim_start_matches('/')), b"lang C\n");
            }
        }
    }
    (dir, config)
}

/// The boot configurations of the shared corpus (real projects' files,
/// kept outside this repository), each checked in a media tree that holds
/// every file it names. Their errors must be exactly the mistakes
/// PITFALLS.md documents for them; everything else, stock-shaped or not,
/// has none. Run with `cargo test --test boot_media -- --ignored`
/// (`KSLINT_BOOT_CORPUS` names another copy of the corpus).
#[test]
#[ignore = "reads ../shared/corpus/boot, which is not in the repository"]
fn corpus_boot_configs_have_only_their_documented_errors() {
    let corpus = std::env::var_os("KSLINT_BOOT_CORPUS")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/work/shared/corpus/boot"));
    assert!(corpus.is_dir(), "no corpus at {}", corpus.display());
    // File name suffix → the error codes its documented mistakes give.
    let documented: &[(&str, &[&str])] = &[
        // C18: the menu placeholder comment the build script rewrites.
        (
            "blz-mus__kickstart_iso_builder__bios_uefi_menu__isolinux.cfg",
            &["KS4018"],
        ),
        // C9: `search -l` keeps the stock label.
        ("numbnet__OEMDRV__EFI__BOOT__grub.cfg", &["KS4015"]),
        // C11 (inline `#`) and C14 (stage2 pointing at ks.cfg).
        (
            "numbnet__OEMDRV__isolinux__isolinux.cfg",
            &["KS4010", "KS4018"],
        ),
        (
            "xuhuigithub__Customize_AutoInstall_iso__EFI__BOOT__grub.cfg",
            &["KS4015"],
        ),
    ];
    let mut names: Vec<String> = std::fs::read_dir(&corpus)
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| {
            let name = name.to_ascii_lowercase();
            name.ends_with("isolinux.cfg")
                || name.ends_with("syslinux.cfg")
                || name.ends_with("grub.cfg")
        })
        .collect();
    names.sort();
    assert!(names.len() >= 10, "{names:?}");
    let mut report = Vec::new();
    for name in &names {
        let text = std::fs::read_to_string(corpus.join(name)).unwrap();
        let (_dir, config) = media_for(name, &text);
        let analysis = check(&config);
        let mut errors: Vec<&str> = analysis
            .diagnostics
            .iter()
            .filter(|d| d.severity == Severity::Error)
            .map(|d| d.rule.code)
            .collect();
        errors.sort_unstable();
        errors.dedup();
        let expected = documented
            .iter()
            .find(|(file, _)| file == name)
            .map_or(&[][..], |(_, codes)| *codes);
        if errors != expected {
            report.push(format!(
                "{name}: {errors:?}, expected {expected:?}: {:?}",
                findings(&analysis)
            ));
        }
    }
    assert!(report.is_empty(), "{}", report.join("\n"));
}

#[test]
fn an_initrd_of_another_kernel_is_found() {
    use kslint::boot::kernel::{bzimage_head, newc_archive};
    let dir = el9_tree();
    let isolinux = dir.path().join("isolinux");
    let initrd_of = |version: &str| {
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(&newc_archive(&[
            "usr",
            &format!("usr/lib/modules/{version}"),
            &format!("usr/lib/modules/{version}/modules.dep"),
        ]))
        .unwrap();
        // The early microcode archive first, as dracut writes it.
        let mut initrd = newc_archive(&["kernel", "kernel/x86/microcode/GenuineIntel.bin"]);
        initrd.extend_from_slice(&gz.finish().unwrap());
        initrd
    };
    std::fs::write(
        isolinux.join("vmlinuz"),
        bzimage_head("5.14.0-427.el9.x86_64"),
    )
    .unwrap();
    std::fs::write(
        isolinux.join("initrd.img"),
        initrd_of("5.14.0-427.el9.x86_64"),
    )
    .unwrap();
    let analysis = check(&isolinux.join("isolinux.cfg"));
    assert!(analysis.diagnostics.is_empty(), "{:?}", findings(&analysis));

    // A newer kernel copied in without its initrd: one error for the pair,
    // on the first entry's `initrd=` path, pointing at the kernel.
    std::fs::write(
        isolinux.join("vmlinuz"),
        bzimage_head("5.14.0-503.el9.x86_64"),
    )
    .unwrap();
    let analysis = check(&isolinux.join("isolinux.cfg"));
    let found = findings(&analysis);
    assert_eq!(found, [("KS4011", "initrd.img".to_string())], "{found:?}");
    let diagnostic = &analysis.diagnostics[0];
    assert_eq!(diagnostic.severity, Severity::Error);
    assert!(
        diagnostic
            .message
            .contains("Linux 5.14.0-503.el9.x86_64, but the initrd `initrd.img` holds the modules of 5.14.0-427.el9.x86_64"),
        "{}",
        diagnostic.message
    );
    assert_eq!(diagnostic.related.len(), 1);
}

#[test]
fn the_seed_as_its_article_builds_it_gets_exactly_its_real_problems() {
    // Step 3 of the seed article copies the stock DVD's isolinux/, images/,
    // LiveOS/ and .discinfo into the ISO root build_iso/isolinux/; step 6
    // adds the `ks` entry. CentOS 7.2's .discinfo names only the version, so
    // nothing says which label the ISO gets (its mkisofs has no -V).
    let dir = tree("seed");
    let root = dir.path().join("build_iso/isolinux");
    let write = |path: &str, bytes: &[u8]| {
        let path = root.join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, bytes).unwrap();
    };
    write(".discinfo", b"1449699925.045935\n7.2\nx86_64\n");
    write(
        "isolinux.bin",
        b"fixture loader, version string: ISOLINUX 4.05\n",
    );
    write("vesamenu.c32", b"fixture COM32 module of SYSLINUX 4\n");
    for file in ["vmlinuz", "initrd.img", "boot.msg", "splash.png", "memtest"] {
        write(file, b"fixture\n");
    }
    write("images/pxeboot/vmlinuz", b"fixture\n");
    write("images/pxeboot/initrd.img", b"fixture\n");
    write("LiveOS/squashfs.img", b"fixture\n");
    write("Packages/bash-4.2.46-19.el7.x86_64.rpm", b"fixture\n");
    let analysis = check(&root.join("isolinux.cfg"));
    let found = findings(&analysis);
    assert_eq!(
        found,
        [
            ("KS4007", "/dev/sr0".to_string()),
            ("KS4008", "cdrom:/dev/cdrom".to_string()),
            ("KS4003", "CentOS\\x207\\x20x86_64".to_string()),
        ],
        "{found:?}"
    );
}
