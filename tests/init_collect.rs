//! `kslint init` and `kslint collect` against a "stock DVD" mastered by our
//! own engine from generated RPMs, comps and repodata; and the ISO reader
//! against images of a varied tree (Rock Ridge, Joliet, plain ISO 9660).

#[path = "iso/common.rs"]
mod common;
mod repo_common;

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use common::{bytes, efi_fat_image, have, snapshot, varied_tree, write, Scratch};
use kslint::assemble::collect::{self, CollectOptions};
use kslint::iso::reader::{EntryKind, IsoReader, Names};
use kslint::iso::{self, Control, IsoOptions, Tree};
use kslint::media::testkit::{comps_xml, GroupSpec, RpmSpec};
use kslint::repo::{self, GroupSource, RepoOptions};

const VOLUME: &str = "CentOS 7 x86_64";

fn kslint(args: &[&str], cache: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_kslint"))
        .args(args)
        .env("KSLINT_CACHE_DIR", cache)
        .output()
        .expect("run kslint")
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

fn specs() -> Vec<RpmSpec> {
    vec![
        RpmSpec::new("setup", "2.8.71", "noarch"),
        RpmSpec::new("filesystem", "3.2", "x86_64").requires("setup"),
        RpmSpec::new("basesystem", "10.0", "noarch")
            .requires("filesystem")
            .requires("setup"),
        RpmSpec::new("glibc", "2.17", "x86_64").provides("libc.so.6()(64bit)"),
        RpmSpec::new("bash", "4.2.46", "x86_64")
            .release("34.el7")
            .requires("libc.so.6()(64bit)")
            .file("/usr/bin/bash"),
        RpmSpec::new("chrony", "3.4", "x86_64").requires("glibc"),
        RpmSpec::new("openssh", "7.4p1", "x86_64")
            .release("21.el7")
            .requires("glibc"),
        RpmSpec::new("openssh-server", "7.4p1", "x86_64")
            .release("21.el7")
            .requires("openssh = 7.4p1-21.el7"),
        RpmSpec::new("apr", "1.4.8", "x86_64").requires("glibc"),
        RpmSpec::new("httpd-tools", "2.4.6", "x86_64").requires("apr"),
        RpmSpec::new("mailcap", "2.1.41", "noarch").file("/etc/mime.types"),
        RpmSpec::new("httpd", "2.4.6", "x86_64")
            .requires("httpd-tools = 2.4.6-1.el7")
            .requires("apr")
            .requires("/etc/mime.types"),
        RpmSpec::new("mod_ssl", "2.4.6", "x86_64").requires("httpd"),
        RpmSpec::new("vim-common", "7.4", "x86_64"),
        RpmSpec::new("vim-enhanced", "7.4", "x86_64").requires("vim-common"),
        RpmSpec::new("emacs", "24.3", "x86_64").requires("glibc"),
        RpmSpec::new("zsh", "5.0.2", "x86_64").requires("glibc"),
        RpmSpec::new("tcpdump", "4.9", "x86_64").requires("libpcap"),
    ]
}

fn comps() -> String {
    comps_xml(
        &[
            GroupSpec {
                id: "core",
                name: "Core",
                packages: &[
                    ("basesystem", "mandatory"),
                    ("bash", "mandatory"),
                    ("chrony", "default"),
                ],
            },
            GroupSpec {
                id: "web-server",
                name: "Web Server",
                packages: &[("httpd", "mandatory"), ("mod_ssl", "optional")],
            },
            GroupSpec {
                id: "base",
                name: "Base",
                packages: &[("openssh-server", "default"), ("emacs", "optional")],
            },
        ],
        &[("minimal", "Minimal Install", &["core"], &["base"])],
    )
}

const BOOT_CFG: &str = "default vesamenu.c32\ntimeout 600\nlabel linux\n  menu label ^Install CentOS 7\n  kernel vmlinuz\n  append initrd=initrd.img inst.stage2=hd:LABEL=CentOS\\x207\\x20x86_64 quiet\n";
const GRUB_CFG: &str = "set timeout=60\nsearch --no-floppy --set=root -l 'CentOS 7 x86_64'\nmenuentry 'Install CentOS 7' --class fedora --class gnu-linux --class gnu --class os {\n\tlinuxefi /images/pxeboot/vmlinuz inst.stage2=hd:LABEL=CentOS\\x207\\x20x86_64 quiet\n\tinitrdefi /images/pxeboot/initrd.img\n}\n";

/// A stock CentOS-7-like install tree with real RPMs and repodata.
fn stock_tree(dir: &Path) {
    let isolinux = fs::read("/usr/lib/ISOLINUX/isolinux.bin").unwrap_or_else(|_| bytes(1, 40_000));
    write(&dir.join("isolinux/isolinux.bin"), &isolinux);
    write(&dir.join("isolinux/isolinux.cfg"), BOOT_CFG.as_bytes());
    // SYSLINUX 6 modules are ELF objects, and ISOLINUX 6 loads ldlinux.c32 first.
    for (name, seed) in [("vesamenu.c32", 2), ("ldlinux.c32", 7)] {
        let mut module = b"\x7fELF".to_vec();
        module.extend(bytes(seed, 5_000));
        write(&dir.join("isolinux").join(name), &module);
    }
    write(&dir.join("isolinux/vmlinuz"), &bytes(3, 300_000));
    write(&dir.join("isolinux/initrd.img"), &bytes(4, 500_000));
    write(&dir.join("isolinux/TRANS.TBL"), b"F VMLINUZ.;1 vmlinuz\n");
    write(&dir.join("EFI/BOOT/grub.cfg"), GRUB_CFG.as_bytes());
    write(&dir.join("EFI/BOOT/BOOTX64.EFI"), &bytes(5, 20_000));
    write(
        &dir.join("images/efiboot.img"),
        &efi_fat_image(&bytes(5, 20_000), GRUB_CFG),
    );
    write(&dir.join("images/pxeboot/vmlinuz"), &bytes(3, 300_000));
    write(&dir.join("images/pxeboot/initrd.img"), &bytes(4, 500_000));
    write(&dir.join("LiveOS/squashfs.img"), &bytes(7, 2_000_000));
    write(
        &dir.join(".discinfo"),
        b"1603832810.123\nCentOS 7\nx86_64\n",
    );
    write(
        &dir.join(".treeinfo"),
        b"[general]\nfamily = CentOS\nversion = 7\narch = x86_64\nplatforms = x86_64,xen\n\n[stage2]\nmainimage = LiveOS/squashfs.img\n",
    );
    write(
        &dir.join("RPM-GPG-KEY-CentOS-7"),
        b"-----BEGIN PGP PUBLIC KEY BLOCK-----\n",
    );
    for spec in specs() {
        spec.write_to(&dir.join("Packages")).unwrap();
    }
    let comps_file = dir.join("../stock-comps.xml");
    write(&comps_file, comps().as_bytes());
    let options = RepoOptions {
        group: GroupSource::File(comps_file),
        revision: Some("1".into()),
        workers: 1,
        ..RepoOptions::default()
    };
    repo::generate(dir, &options).unwrap();
}

fn stock_image(s: &Scratch) -> (PathBuf, PathBuf) {
    let dir = s.join("dvd");
    stock_tree(&dir);
    let image = s.join("CentOS-7-x86_64-DVD.iso");
    let opts = IsoOptions {
        volume_id: VOLUME.into(),
        timestamp: Some(1_600_000_000),
        ..IsoOptions::default()
    };
    iso::build(
        Tree::from_dir(&dir).unwrap(),
        &opts,
        &image,
        &mut Control::default(),
    )
    .unwrap();
    (dir, image)
}

const KICKSTART: &str = "#version=RHEL7
cdrom
text
lang en_US.UTF-8
keyboard us
timezone Etc/UTC
network --bootproto=dhcp
rootpw --lock
bootloader --location=mbr
zerombr
clearpart --all --initlabel
autopart
reboot

%packages
@core
@web-server
vim-*
-chrony
%end
";

fn rpm_names(dir: &Path) -> BTreeSet<String> {
    fs::read_dir(dir)
        .map(|entries| {
            entries
                .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default()
}

fn files_of(names: &[&str]) -> BTreeSet<String> {
    let all = specs();
    names
        .iter()
        .map(|name| {
            all.iter()
                .find(|s| s.name == *name)
                .unwrap_or_else(|| panic!("no spec {name}"))
                .file_name()
        })
        .collect()
}

const WEB_CLOSURE: &[&str] = &[
    "setup",
    "filesystem",
    "basesystem",
    "glibc",
    "bash",
    "httpd",
    "httpd-tools",
    "apr",
    "mailcap",
    "vim-common",
    "vim-enhanced",
];

fn collect_opts(project: &Path) -> CollectOptions {
    CollectOptions {
        dir: project.to_path_buf(),
        quiet: true,
        ..CollectOptions::default()
    }
}

#[test]
fn init_collect_build_iso_give_exactly_the_closure_and_pass_the_checks() {
    let s = Scratch::new("init-collect");
    let cache = s.join("cache");
    let (dvd, image) = stock_image(&s);
    let image_before = fs::read(&image).unwrap();
    let project = s.join("build_iso");

    let o = kslint(
        &[
            "init",
            "--from",
            image.to_str().unwrap(),
            project.to_str().unwrap(),
        ],
        &cache,
    );
    assert!(o.status.success(), "{}", text(&o));
    let root = project.join("isolinux");
    // Boot files flattened into the ISO root (seed layout), the rest as is.
    for (from, to) in [
        ("isolinux/isolinux.bin", "isolinux.bin"),
        ("isolinux/isolinux.cfg", "isolinux.cfg"),
        ("isolinux/vmlinuz", "vmlinuz"),
        ("isolinux/initrd.img", "initrd.img"),
        ("EFI/BOOT/grub.cfg", "EFI/BOOT/grub.cfg"),
        ("EFI/BOOT/BOOTX64.EFI", "EFI/BOOT/BOOTX64.EFI"),
        ("images/efiboot.img", "images/efiboot.img"),
        ("images/pxeboot/initrd.img", "images/pxeboot/initrd.img"),
        ("LiveOS/squashfs.img", "LiveOS/squashfs.img"),
        (".discinfo", ".discinfo"),
        (".treeinfo", ".treeinfo"),
        ("RPM-GPG-KEY-CentOS-7", "RPM-GPG-KEY-CentOS-7"),
    ] {
        assert!(
            fs::read(dvd.join(from)).unwrap() == fs::read(root.join(to)).unwrap(),
            "{from} -> {to}"
        );
    }
    assert!(!root.join("TRANS.TBL").exists());
    assert!(!root.join("Packages").exists() && !root.join("repodata").exists());
    assert_eq!(
        fs::read_to_string(project.join("comps.xml")).unwrap(),
        comps(),
        "comps decompressed from the repodata"
    );
    assert!(root.join("ks/ks.cfg").is_file());
    let config = fs::read_to_string(project.join("kslint.toml")).unwrap();
    assert!(config.contains("syntax = \"RHEL7\""), "{config}");
    assert!(
        config.contains("volume_id = \"CentOS 7 x86_64\""),
        "{config}"
    );
    let canonical = fs::canonicalize(&image).unwrap();
    assert!(
        config.contains(&format!("image = \"{}\"", canonical.display())),
        "{config}"
    );
    // A second init refuses to overwrite.
    let o = kslint(
        &[
            "init",
            "--from",
            image.to_str().unwrap(),
            project.to_str().unwrap(),
        ],
        &cache,
    );
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("already exists"), "{}", text(&o));

    // collect through the CLI: exactly the closure.
    fs::write(root.join("ks/ks.cfg"), KICKSTART).unwrap();
    let o = kslint(&["collect", project.to_str().unwrap()], &cache);
    assert!(o.status.success(), "{}", text(&o));
    assert!(text(&o).contains("11 package(s) needed"), "{}", text(&o));
    assert_eq!(rpm_names(&root.join("Packages")), files_of(WEB_CLOSURE));
    for name in files_of(WEB_CLOSURE) {
        assert!(
            fs::read(dvd.join("Packages").join(&name)).unwrap()
                == fs::read(root.join("Packages").join(&name)).unwrap(),
            "{name} copied intact"
        );
    }
    // Idempotent: a second run copies nothing.
    let again = collect::run(&collect_opts(&project)).unwrap();
    assert!(again.copied.is_empty(), "{:?}", again.copied);
    assert_eq!(again.present, WEB_CLOSURE.len());
    assert!(again.unresolved.is_empty(), "{:?}", again.unresolved);

    // Repodata, then the checks and the image.
    let o = kslint(&["repo", "-q", root.to_str().unwrap()], &cache);
    assert!(o.status.success(), "{}", text(&o));
    let o = kslint(&["check", root.join("ks/ks.cfg").to_str().unwrap()], &cache);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let o = kslint(&["media", "check", root.to_str().unwrap()], &cache);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let out = s.join("appliance.iso");
    let o = kslint(
        &[
            "build-iso",
            root.to_str().unwrap(),
            "-o",
            out.to_str().unwrap(),
        ],
        &cache,
    );
    assert!(o.status.success(), "{}", text(&o));
    let reader = IsoReader::open(&out).unwrap();
    assert_eq!(reader.volume_id(), VOLUME);
    let packages = reader.lookup("Packages").unwrap().unwrap();
    let on_image: BTreeSet<String> = reader
        .read_dir(&packages)
        .unwrap()
        .into_iter()
        .map(|e| e.name)
        .collect();
    assert_eq!(on_image, files_of(WEB_CLOSURE));
    assert!(reader.lookup("repodata/repomd.xml").unwrap().is_some());
    assert!(reader.lookup("ks/ks.cfg").unwrap().is_some());
    // The built image is a stock image in its turn: init + media check of its extraction.
    if have(
        "xorriso",
        "xorriso",
        "init_collect media check of the image",
    ) {
        let extracted = s.join("extracted");
        common::extract(&out, &extracted);
        let o = kslint(&["media", "check", extracted.to_str().unwrap()], &cache);
        assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    }
    if have("checkisomd5", "isomd5sum", "init_collect md5") {
        assert!(common::run("checkisomd5", &[out.to_str().unwrap()])
            .status
            .success());
    }
    // The source image was only read.
    assert!(fs::read(&image).unwrap() == image_before);
}

#[test]
fn prune_why_add_and_from_list() {
    let s = Scratch::new("collect-options");
    let (_dvd, image) = stock_image(&s);
    let project = s.join("proj");
    kslint::assemble::init::run(&kslint::assemble::init::InitOptions {
        from: image.clone(),
        dir: project.clone(),
        quiet: true,
        ..Default::default()
    })
    .unwrap();
    let root = project.join("isolinux");
    let packages = root.join("Packages");
    fs::write(root.join("ks/ks.cfg"), KICKSTART).unwrap();
    collect::run(&collect_opts(&project)).unwrap();

    // An interrupted run: a temporary file, and a half-written RPM under its
    // final name (as `cp` leaves it): the first is removed, the second replaced.
    let httpd = files_of(&["httpd"]).pop_first().unwrap();
    let whole = fs::read(packages.join(&httpd)).unwrap();
    fs::write(packages.join(&httpd), &whole[..whole.len() / 2]).unwrap();
    fs::write(packages.join(".apr.rpm.999.kslint-tmp"), b"partial").unwrap();
    // A dry run reports and changes nothing.
    let report = collect::run(&CollectOptions {
        dry_run: true,
        ..collect_opts(&project)
    })
    .unwrap();
    assert_eq!(report.copied, vec![format!("Packages/{httpd}")]);
    assert!(packages.join(".apr.rpm.999.kslint-tmp").exists());
    let report = collect::run(&collect_opts(&project)).unwrap();
    assert_eq!(report.copied, vec![format!("Packages/{httpd}")]);
    assert!(fs::read(packages.join(&httpd)).unwrap() == whole);
    assert_eq!(rpm_names(&packages), files_of(WEB_CLOSURE));

    // --why: the entry, and the dependency chain.
    let report = collect::run(&CollectOptions {
        why: vec![
            "apr".into(),
            "emacs".into(),
            "chrony".into(),
            "basesystem".into(),
        ],
        ..collect_opts(&project)
    })
    .unwrap();
    assert!(report.copied.is_empty());
    let why = report.why.join("\n");
    assert!(why.contains("apr-1.4.8-1.el7.x86_64:"), "{why}");
    assert!(why.contains("required by httpd"), "{why}");
    assert!(why.contains("`@web-server` in %packages"), "{why}");
    assert!(why.contains("emacs: not in the set"), "{why}");
    assert!(
        why.contains("chrony: not in the set") && why.contains("excluded"),
        "{why}"
    );
    assert!(why.contains("basesystem ← `@core` in %packages"), "{why}");

    // Dropping @web-server: httpd & co. are reported, kept, then pruned.
    fs::write(
        root.join("ks/ks.cfg"),
        KICKSTART.replace("@web-server\n", ""),
    )
    .unwrap();
    let gone: BTreeSet<String> = files_of(&["httpd", "httpd-tools", "apr", "mailcap"]);
    let report = collect::run(&collect_opts(&project)).unwrap();
    assert_eq!(
        report.not_needed.iter().cloned().collect::<BTreeSet<_>>(),
        gone.iter().map(|n| format!("Packages/{n}")).collect()
    );
    assert!(!report.pruned);
    assert_eq!(rpm_names(&packages), files_of(WEB_CLOSURE));
    let report = collect::run(&CollectOptions {
        prune: true,
        ..collect_opts(&project)
    })
    .unwrap();
    assert!(report.pruned);
    let expected: BTreeSet<String> = files_of(WEB_CLOSURE).difference(&gone).cloned().collect();
    assert_eq!(rpm_names(&packages), expected);

    // --add: a product RPM and its dependencies (zsh from the image).
    let product = s.join("product");
    RpmSpec::new("myapp", "1.0", "x86_64")
        .requires("zsh")
        .requires("bash")
        .write_to(&product)
        .unwrap();
    // --from-list: an rpm -qa list with entries not on the image.
    let list = s.join("install.log");
    fs::write(
        &list,
        "bash-4.2.46-34.el7.x86_64\nopenssh-server-7.4p1-21.el7.x86_64\nkernel-3.10.0-1160.el7.x86_64\ngpg-pubkey-f4a80eb5-53a7ff4b\nemacs-24.3-2.el7.x86_64\n",
    )
    .unwrap();
    let report = collect::run(&CollectOptions {
        add: vec![product.clone()],
        from_list: Some(list.clone()),
        why: vec!["zsh".into(), "openssh".into()],
        ..collect_opts(&project)
    })
    .unwrap();
    let mut expected = expected;
    expected.extend(files_of(&["zsh", "openssh-server", "openssh", "emacs"]));
    expected.insert("myapp-1.0-1.el7.x86_64.rpm".into());
    assert_eq!(rpm_names(&packages), expected);
    assert_eq!(report.not_on_image.len(), 1, "{:?}", report.not_on_image);
    assert!(report.not_on_image[0].starts_with("kernel-3.10.0-1160.el7.x86_64"));
    assert_eq!(
        report.other_version,
        vec![(
            "emacs-24.3-2.el7.x86_64".to_string(),
            "emacs-24.3-1.el7.x86_64".to_string()
        )]
    );
    let why = report.why.join("\n");
    assert!(
        why.contains("required by myapp-1.0-1.el7.x86_64 (`zsh`)"),
        "{why}"
    );
    assert!(why.contains("install.log:2"), "{why}");
    // The product RPM is byte-identical to the given one.
    assert!(
        fs::read(product.join("myapp-1.0-1.el7.x86_64.rpm")).unwrap()
            == fs::read(packages.join("myapp-1.0-1.el7.x86_64.rpm")).unwrap()
    );
}

#[test]
fn unresolved_entries_and_dependencies_are_reported() {
    let s = Scratch::new("collect-unresolved");
    let cache = s.join("cache");
    let (_dvd, image) = stock_image(&s);
    let project = s.join("proj");
    let ks = s.join("my-ks.cfg");
    fs::write(
        &ks,
        KICKSTART.replace("vim-*\n", "vim-*\ntcpdump\nnosuchpkg\n@nosuchgroup\n"),
    )
    .unwrap();
    let o = kslint(
        &[
            "init",
            "--from",
            image.to_str().unwrap(),
            "--ks",
            ks.to_str().unwrap(),
            project.to_str().unwrap(),
        ],
        &cache,
    );
    assert!(o.status.success(), "{}", text(&o));
    assert_eq!(
        fs::read_to_string(project.join("isolinux/ks/ks.cfg")).unwrap(),
        fs::read_to_string(&ks).unwrap()
    );
    let o = kslint(&["collect", project.to_str().unwrap()], &cache);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    let out = text(&o);
    assert!(
        out.contains("`nosuchpkg`") && out.contains("matches no package"),
        "{out}"
    );
    assert!(
        out.contains("`@nosuchgroup`") && out.contains("not in the comps"),
        "{out}"
    );
    assert!(
        out.contains("tcpdump-4.9-1.el7.x86_64 requires `libpcap`"),
        "{out}"
    );
    // What resolved is still copied.
    assert!(project
        .join("isolinux/Packages")
        .join(files_of(&["httpd"]).pop_first().unwrap())
        .is_file());
}

#[test]
fn an_extracted_directory_is_a_source_too() {
    let s = Scratch::new("init-dir");
    let (dvd, _image) = stock_image(&s);
    let project = s.join("proj");
    kslint::assemble::init::run(&kslint::assemble::init::InitOptions {
        from: dvd.clone(),
        dir: project.clone(),
        quiet: true,
        ..Default::default()
    })
    .unwrap();
    let root = project.join("isolinux");
    assert!(root.join("isolinux.bin").is_file() && root.join("LiveOS/squashfs.img").is_file());
    let config = fs::read_to_string(project.join("kslint.toml")).unwrap();
    assert!(
        config.contains("volume_id = \"CentOS 7 x86_64\""),
        "{config}"
    );
    // The starter kickstart: @core, and it passes the checks.
    let report = collect::run(&collect_opts(&project)).unwrap();
    assert!(report.unresolved.is_empty(), "{:?}", report.unresolved);
    assert_eq!(
        rpm_names(&root.join("Packages")),
        files_of(&[
            "basesystem",
            "bash",
            "chrony",
            "filesystem",
            "glibc",
            "setup"
        ])
    );
    let cache = s.join("cache");
    let o = kslint(&["repo", "-q", root.to_str().unwrap()], &cache);
    assert!(o.status.success(), "{}", text(&o));
    let o = kslint(&["check", root.join("ks/ks.cfg").to_str().unwrap()], &cache);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    fs::write(root.join("ks/ks.cfg"), KICKSTART).unwrap();
    let report = collect::run(&CollectOptions {
        prune: true,
        ..collect_opts(&project)
    })
    .unwrap();
    assert!(report.unresolved.is_empty(), "{:?}", report.unresolved);
    assert_eq!(
        report.not_needed,
        vec![format!(
            "Packages/{}",
            files_of(&["chrony"]).pop_first().unwrap()
        )]
    );
    assert_eq!(rpm_names(&root.join("Packages")), files_of(WEB_CLOSURE));
}

#[test]
fn bad_images_give_clear_errors() {
    let s = Scratch::new("init-bad");
    let cache = s.join("cache");
    let (_dvd, image) = stock_image(&s);
    let whole = fs::read(&image).unwrap();
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        ("random.iso", bytes(9, 200_000), "not an ISO 9660 image"),
        ("tiny.iso", whole[..20_000].to_vec(), "too small"),
        ("cut.iso", whole[..whole.len() / 3].to_vec(), "truncated"),
        ("empty.iso", Vec::new(), "too small"),
    ];
    for (name, data, expected) in cases {
        let path = s.join(name);
        fs::write(&path, &data).unwrap();
        let project = s.join(&format!("proj-{name}"));
        let o = kslint(
            &[
                "init",
                "--from",
                path.to_str().unwrap(),
                project.to_str().unwrap(),
            ],
            &cache,
        );
        let out = text(&o);
        assert_eq!(o.status.code(), Some(2), "{name}: {out}");
        assert!(out.contains(expected), "{name}: {out}");
        assert!(out.contains(name), "{name} names the file: {out}");
        assert!(!out.contains("panicked"), "{name}: {out}");
        assert!(!project.join("kslint.toml").exists(), "{name}");
    }
    let o = kslint(
        &[
            "init",
            "--from",
            s.join("missing.iso").to_str().unwrap(),
            s.join("p").to_str().unwrap(),
        ],
        &cache,
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o).contains("missing.iso"), "{}", text(&o));
    // collect without init.
    fs::create_dir_all(s.join("empty")).unwrap();
    let o = kslint(&["collect", s.join("empty").to_str().unwrap()], &cache);
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o).contains("kslint init"), "{}", text(&o));
}

#[test]
fn a_truncated_cut_shows_the_offset() {
    let s = Scratch::new("reader-cut");
    let (_dvd, image) = stock_image(&s);
    let whole = fs::read(&image).unwrap();
    let reader = IsoReader::open(&image).unwrap();
    // Cut inside the data of the largest file: opening works, reading fails cleanly.
    let squash = reader.lookup("LiveOS/squashfs.img").unwrap().unwrap();
    let (lba, _) = squash.extents[0];
    let cut = s.join("cut.iso");
    fs::write(&cut, &whole[..lba as usize * 2048 + 1000]).unwrap();
    // Every extent is checked when a directory is listed: the error comes
    // at the listing (before anything is copied), naming file and offset.
    let err = IsoReader::open(&cut)
        .and_then(|reader| {
            let squash = reader.lookup("LiveOS/squashfs.img")?.expect("listed");
            reader.read(&squash)
        })
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("truncated") && err.contains("at byte"),
        "{err}"
    );
    assert!(err.contains("cut.iso"), "{err}");
}

/// The reader against a tree with long names, deep directories, modes and
/// symbolic links, in each of the three name spaces.
#[test]
fn reader_reads_back_rock_ridge_joliet_and_plain_trees() {
    let s = Scratch::new("reader-varied");
    let src = s.join("src");
    varied_tree(&src);
    let expected = snapshot(&src);
    for (name, rock_ridge, joliet, names) in [
        ("rr.iso", true, true, Names::RockRidge),
        ("joliet.iso", false, true, Names::Joliet),
        ("plain.iso", false, false, Names::Iso9660),
    ] {
        let path = s.join(name);
        let opts = IsoOptions {
            volume_id: "VARIED".into(),
            rock_ridge,
            joliet,
            timestamp: Some(1_700_000_000),
            ..IsoOptions::default()
        };
        iso::build(
            Tree::from_dir(&src).unwrap(),
            &opts,
            &path,
            &mut Control::default(),
        )
        .unwrap();
        let reader = IsoReader::open(&path).unwrap();
        assert_eq!(reader.names(), names, "{name}");
        assert_eq!(reader.volume_id(), "VARIED");
        let walked = reader.walk(reader.root()).unwrap();
        if names == Names::RockRidge {
            let mut seen = 0;
            for (p, entry) in &walked {
                let (kind, perm, data) = expected
                    .get(p)
                    .unwrap_or_else(|| panic!("{p} not in the source"));
                match &entry.kind {
                    EntryKind::File => {
                        assert_eq!(*kind, 'f', "{p}");
                        assert!(reader.read(entry).unwrap() == *data, "{p} bytes");
                        assert_eq!(entry.mode.map(|m| m & 0o7777), Some(*perm), "{p} mode");
                        assert_eq!(
                            entry.mtime.map(|t| t <= 1_700_000_000),
                            Some(true),
                            "{p} time"
                        );
                    }
                    EntryKind::Dir => assert_eq!(*kind, 'd', "{p}"),
                    EntryKind::Symlink(target) => {
                        assert_eq!(*kind, 'l', "{p}");
                        assert_eq!(target.as_bytes(), &data[..], "{p} target");
                    }
                    EntryKind::Other => panic!("{p}: unexpected kind"),
                }
                seen += 1;
            }
            assert_eq!(seen, expected.len(), "every entry read back");
        } else {
            // Joliet keeps names up to 103 characters; ISO 9660 mangles them:
            // compare the files whose path survives.
            let mut matched = 0;
            for (p, entry) in &walked {
                if let Some((kind, _, data)) = expected.get(p) {
                    if *kind == 'f' && entry.kind == EntryKind::File {
                        assert!(reader.read(entry).unwrap() == *data, "{name}: {p}");
                        matched += 1;
                    }
                }
            }
            let floor = if names == Names::Joliet { 120 } else { 1 };
            assert!(matched >= floor, "{name}: {matched} files matched");
            let files = |kind: char| expected.values().filter(|v| v.0 == kind).count();
            let read_files = walked
                .iter()
                .filter(|(_, e)| e.kind == EntryKind::File)
                .count();
            // Without Rock Ridge a symbolic link is recorded as the file it points to, or left out.
            assert!(
                read_files >= files('f') && read_files <= files('f') + files('l'),
                "{name}: {read_files} files"
            );
        }
    }
}

/// Damaged images (bytes changed in the descriptors, directories and
/// Rock Ridge areas) give errors or wrong data, never a panic or a hang.
#[test]
fn corrupted_images_never_panic() {
    let s = Scratch::new("reader-corrupt");
    let src = s.join("src");
    varied_tree(&src);
    let path = s.join("v.iso");
    let opts = IsoOptions {
        volume_id: "V".into(),
        timestamp: Some(1),
        ..IsoOptions::default()
    };
    iso::build(
        Tree::from_dir(&src).unwrap(),
        &opts,
        &path,
        &mut Control::default(),
    )
    .unwrap();
    let whole = fs::read(&path).unwrap();
    // The metadata area: everything before the first file's data.
    let reader = IsoReader::open(&path).unwrap();
    let first_data = reader
        .walk(reader.root())
        .unwrap()
        .iter()
        .filter(|(_, e)| e.kind == EntryKind::File && e.size > 0)
        .map(|(_, e)| e.extents[0].0 as usize * 2048)
        .min()
        .unwrap();
    drop(reader);
    let damaged = s.join("damaged.iso");
    let mut state = 0x1234_5678_9abc_def0u64;
    let mut next = || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let (mut opened, mut failed) = (0, 0);
    for _ in 0..400 {
        let mut image = whole.clone();
        for _ in 0..1 + next() % 4 {
            let at = 16 * 2048 + (next() as usize) % (first_data - 16 * 2048);
            image[at] = next() as u8;
        }
        fs::write(&damaged, &image).unwrap();
        match IsoReader::open(&damaged) {
            Ok(reader) => {
                opened += 1;
                if let Ok(entries) = reader.walk(reader.root()) {
                    for (_, entry) in entries.iter().take(50) {
                        if entry.kind == EntryKind::File {
                            let _ = reader.read(entry);
                        }
                    }
                } else {
                    failed += 1;
                }
            }
            Err(error) => {
                failed += 1;
                assert!(error.to_string().contains("damaged.iso"), "{error}");
            }
        }
    }
    assert!(opened > 0 && failed > 0, "{opened} opened, {failed} failed");
}

/// EL8+ media: `BaseOS/` and `AppStream/`, each with its own repodata. The
/// RPMs go back to the repository they come from; added ones to AppStream.
/// Masters `dvd`, laid out as Rocky Linux `release` media (BaseOS and
/// AppStream, each with its repodata; AppStream with `modules` when given),
/// into an image beside it.
fn rocky_image(s: &Scratch, dvd: &Path, release: &str, modules: Option<PathBuf>) -> PathBuf {
    write(
        &dvd.join(".treeinfo"),
        format!("[general]\nfamily = Rocky Linux\nversion = {release}\narch = x86_64\n\n[variant-BaseOS]\nrepository = BaseOS\n\n[variant-AppStream]\nrepository = AppStream\n").as_bytes(),
    );
    write(
        &dvd.join(".discinfo"),
        format!("1700000000.0\nRocky Linux {release}\nx86_64\n").as_bytes(),
    );
    for (base, modules) in [("BaseOS", None), ("AppStream", modules)] {
        let options = RepoOptions {
            group: GroupSource::File(s.join("stock-comps.xml")),
            revision: Some("1".into()),
            workers: 1,
            modules,
            ..RepoOptions::default()
        };
        repo::generate(&dvd.join(base), &options).unwrap();
    }
    let image = s.join(&format!("Rocky-{release}-x86_64-dvd.iso"));
    let opts = IsoOptions {
        volume_id: format!("Rocky-{}-x86_64-dvd", release.replace('.', "-")),
        timestamp: Some(1_600_000_000),
        ..IsoOptions::default()
    };
    iso::build(
        Tree::from_dir(dvd).unwrap(),
        &opts,
        &image,
        &mut Control::default(),
    )
    .unwrap();
    image
}

#[test]
fn split_media_keep_their_repositories() {
    let s = Scratch::new("init-split");
    let dvd = s.join("dvd");
    stock_tree(&dvd);
    let appstream: &[&str] = &[
        "httpd",
        "httpd-tools",
        "apr",
        "mailcap",
        "mod_ssl",
        "vim-common",
        "vim-enhanced",
        "emacs",
    ];
    for base in ["BaseOS", "AppStream"] {
        fs::create_dir_all(dvd.join(base).join("Packages")).unwrap();
    }
    for spec in specs() {
        let base = if appstream.contains(&spec.name.as_str()) {
            "AppStream"
        } else {
            "BaseOS"
        };
        fs::rename(
            dvd.join("Packages").join(spec.file_name()),
            dvd.join(base).join("Packages").join(spec.file_name()),
        )
        .unwrap();
    }
    fs::remove_dir_all(dvd.join("Packages")).unwrap();
    fs::remove_dir_all(dvd.join("repodata")).unwrap();
    let image = rocky_image(&s, &dvd, "8.9", None);
    let project = s.join("proj");
    kslint::assemble::init::run(&kslint::assemble::init::InitOptions {
        from: image.clone(),
        dir: project.clone(),
        quiet: true,
        ..Default::default()
    })
    .unwrap();
    let config = fs::read_to_string(project.join("kslint.toml")).unwrap();
    assert!(config.contains("syntax = \"RHEL8\""), "{config}");
    assert!(
        config.contains("volume_id = \"Rocky-8-9-x86_64-dvd\""),
        "{config}"
    );
    assert_eq!(
        fs::read_to_string(project.join("comps.xml")).unwrap(),
        comps()
    );
    let root = project.join("isolinux");
    fs::write(
        root.join("ks/ks.cfg"),
        KICKSTART.replace("#version=RHEL7", "#version=RHEL8"),
    )
    .unwrap();
    let product = s.join("product");
    RpmSpec::new("myapp", "1.0", "x86_64")
        .requires("zsh")
        .write_to(&product)
        .unwrap();
    let report = collect::run(&CollectOptions {
        add: vec![product],
        ..collect_opts(&project)
    })
    .unwrap();
    assert!(report.unresolved.is_empty(), "{:?}", report.unresolved);
    let (from_appstream, from_baseos): (Vec<&str>, Vec<&str>) = WEB_CLOSURE
        .iter()
        .copied()
        .chain(["zsh"])
        .partition(|name| appstream.contains(name));
    let mut app = files_of(&from_appstream);
    app.insert("myapp-1.0-1.el7.x86_64.rpm".into());
    assert_eq!(rpm_names(&root.join("AppStream/Packages")), app);
    assert_eq!(
        rpm_names(&root.join("BaseOS/Packages")),
        files_of(&from_baseos)
    );
    assert!(!root.join("Packages").exists());
    let again = collect::run(&collect_opts(&project)).unwrap();
    assert!(again.copied.is_empty());
    assert_eq!(
        again.not_needed,
        vec![
            "AppStream/Packages/myapp-1.0-1.el7.x86_64.rpm".to_string(),
            format!(
                "BaseOS/Packages/{}",
                files_of(&["zsh"]).pop_first().unwrap()
            )
        ]
    );
}

/// An image without repodata: the RPM headers are read from the image.
#[test]
fn an_image_without_repodata_is_read_from_its_headers() {
    let s = Scratch::new("init-norepo");
    let dvd = s.join("dvd");
    stock_tree(&dvd);
    fs::remove_dir_all(dvd.join("repodata")).unwrap();
    let image = s.join("norepo.iso");
    let opts = IsoOptions {
        volume_id: VOLUME.into(),
        timestamp: Some(1_600_000_000),
        ..IsoOptions::default()
    };
    iso::build(
        Tree::from_dir(&dvd).unwrap(),
        &opts,
        &image,
        &mut Control::default(),
    )
    .unwrap();
    let project = s.join("proj");
    let ks = s.join("ks.cfg");
    fs::write(&ks, KICKSTART).unwrap();
    kslint::assemble::init::run(&kslint::assemble::init::InitOptions {
        from: image.clone(),
        dir: project.clone(),
        ks: Some(ks),
        quiet: true,
        ..Default::default()
    })
    .unwrap();
    // No repodata, so no comps: the groups come from a comps.xml put beside.
    assert!(!project.join("comps.xml").exists());
    fs::write(project.join("comps.xml"), comps()).unwrap();
    let report = collect::run(&collect_opts(&project)).unwrap();
    assert!(report.unresolved.is_empty(), "{:?}", report.unresolved);
    assert_eq!(
        rpm_names(&project.join("isolinux/Packages")),
        files_of(WEB_CLOSURE)
    );
}

/// The module metadata of the EL8-shaped test media: `nginx:1.20` (whose
/// packages the kickstart installs) and `perl:5.30` (which it does not),
/// with their defaults.
const MODULES_YAML: &str = "---
document: modulemd
version: 2
data:
  name: nginx
  stream: \"1.20\"
  version: 8060020220101
  context: 9f9e2e3d
  arch: x86_64
  summary: A high performance web server
  artifacts:
    rpms:
    - nginx-1:1.20.1-1.module+el8.6.0+1+abc.src
    - nginx-1:1.20.1-1.module+el8.6.0+1+abc.x86_64
    - nginx-filesystem-1:1.20.1-1.module+el8.6.0+1+abc.noarch
...
---
document: modulemd
version: 2
data:
  name: perl
  stream: \"5.30\"
  version: 8060020220202
  context: 466ea64f
  arch: x86_64
  summary: Practical Extraction and Report Language
  artifacts:
    rpms:
    - perl-4:5.30.1-1.module+el8.6.0+2+def.x86_64
...
---
document: modulemd-defaults
version: 1
data:
  module: nginx
  stream: \"1.20\"
  profiles:
    \"1.20\": [common]
...
---
document: modulemd-defaults
version: 1
data:
  module: perl
  stream: \"5.30\"
...
";

/// Reads back the `modules` record of `repo`'s repomd.xml, after checking
/// every record against its file (checksum, size, open-checksum,
/// open-size, a location carrying the checksum). Returns the record's
/// fields by element name (the location as `href`) and the YAML.
fn verified_modules_record(repo: &Path) -> (BTreeMap<String, String>, String) {
    let data = repo_common::Repodata::read(repo);
    data.assert_consistent();
    let file = data
        .records
        .get("modules")
        .unwrap_or_else(|| panic!("no modules record in {}", repo.display()));
    let mut fields: BTreeMap<String, String> = file
        .record
        .children
        .iter()
        .filter(|child| child.name != "location")
        .map(|child| (child.name.clone(), child.text.clone()))
        .collect();
    let href = file
        .record
        .child("location")
        .expect("location")
        .attr("href");
    assert!(href.ends_with("-modules.yaml.gz"), "{href}");
    fields.insert("href".into(), href.to_string());
    (fields, String::from_utf8(file.plain.clone()).unwrap())
}

/// EL8+ media: module metadata goes from the image through init and
/// collect (narrowed to the streams whose packages were copied) to a
/// `modules` record `kslint repo` writes, and the media check passes.
#[test]
fn module_metadata_goes_through_init_collect_and_repo() {
    let s = Scratch::new("init-modules");
    let cache = s.join("cache");
    let dvd = s.join("dvd");
    stock_tree(&dvd);
    fs::remove_dir_all(dvd.join("repodata")).unwrap();
    fs::create_dir_all(dvd.join("BaseOS")).unwrap();
    fs::rename(dvd.join("Packages"), dvd.join("BaseOS/Packages")).unwrap();
    let appstream = dvd.join("AppStream/Packages");
    let module_release = |stream: &str| format!("1.module+el8.6.0+{stream}");
    for spec in [
        RpmSpec::new("nginx", "1.20.1", "x86_64")
            .epoch(1)
            .release(&module_release("1+abc"))
            .requires("nginx-filesystem")
            .requires("glibc"),
        RpmSpec::new("nginx-filesystem", "1.20.1", "noarch")
            .epoch(1)
            .release(&module_release("1+abc")),
        RpmSpec::new("perl", "5.30.1", "x86_64")
            .epoch(4)
            .release(&module_release("2+def")),
    ] {
        spec.write_to(&appstream).unwrap();
    }
    let stock_modules = s.join("stock-modules.yaml");
    write(&stock_modules, MODULES_YAML.as_bytes());
    let image = rocky_image(&s, &dvd, "8.6", Some(stock_modules.clone()));

    // init keeps AppStream's module metadata as it is.
    let project = s.join("proj");
    let o = kslint(
        &[
            "init",
            "--from",
            image.to_str().unwrap(),
            project.to_str().unwrap(),
        ],
        &cache,
    );
    assert!(o.status.success(), "{}", text(&o));
    let kept = project.join("AppStream.modules.yaml");
    assert_eq!(fs::read_to_string(&kept).unwrap(), MODULES_YAML);
    assert!(!project.join("BaseOS.modules.yaml").exists());

    // collect narrows it to nginx:1.20, whose packages it copied.
    let root = project.join("isolinux");
    fs::write(
        root.join("ks/ks.cfg"),
        KICKSTART
            .replace("#version=RHEL7", "#version=RHEL8")
            .replace("@web-server\n", "nginx\n"),
    )
    .unwrap();
    let o = kslint(&["collect", project.to_str().unwrap()], &cache);
    assert!(o.status.success(), "{}", text(&o));
    assert!(
        text(&o).contains("1 of 2 module stream(s) (nginx:1.20)"),
        "{}",
        text(&o)
    );
    assert!(
        !text(&o).contains("makes repodata without it"),
        "{}",
        text(&o)
    );
    let narrowed = fs::read_to_string(&kept).unwrap();
    let documents: Vec<&str> = MODULES_YAML.split_inclusive("...\n").collect();
    assert_eq!(narrowed, format!("{}{}", documents[0], documents[2]));
    let app_repo = root.join("AppStream");
    assert!(app_repo
        .join("Packages/nginx-1.20.1-1.module+el8.6.0+1+abc.x86_64.rpm")
        .is_file());
    assert!(!app_repo
        .join("Packages/perl-5.30.1-1.module+el8.6.0+2+def.x86_64.rpm")
        .exists());

    // Without the module metadata the media check stops on the module packages.
    let aside = s.join("aside.yaml");
    fs::rename(&kept, &aside).unwrap();
    let o = kslint(&["repo", "-q", root.to_str().unwrap()], &cache);
    assert!(o.status.success(), "{}", text(&o));
    assert!(!fs::read_to_string(app_repo.join("repodata/repomd.xml"))
        .unwrap()
        .contains("type=\"modules\""));
    let ks = root.join("ks/ks.cfg");
    let o = kslint(&["check", ks.to_str().unwrap()], &cache);
    assert!(text(&o).contains("no `modules` record"), "{}", text(&o));

    // With it, `kslint repo` writes a modules record that reads back true.
    fs::rename(&aside, &kept).unwrap();
    let o = kslint(&["repo", root.to_str().unwrap()], &cache);
    assert!(o.status.success(), "{}", text(&o));
    let (record, yaml) = verified_modules_record(&app_repo);
    assert_eq!(yaml, narrowed);
    assert!(fs::read_to_string(root.join("BaseOS/repodata/repomd.xml"))
        .map(|r| !r.contains("type=\"modules\""))
        .unwrap());
    let o = kslint(&["check", ks.to_str().unwrap()], &cache);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(!text(&o).contains("no `modules` record"), "{}", text(&o));
    let o = kslint(&["media", "check", root.to_str().unwrap()], &cache);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));

    // An explicit --modules replaces the record; the old file goes.
    let other = s.join("other.yaml");
    fs::write(&other, documents[1]).unwrap();
    let o = kslint(
        &[
            "repo",
            "--modules",
            other.to_str().unwrap(),
            app_repo.to_str().unwrap(),
        ],
        &cache,
    );
    assert!(o.status.success(), "{}", text(&o));
    let (replaced, yaml) = verified_modules_record(&app_repo);
    assert_eq!(yaml, documents[1]);
    assert!(!app_repo.join(&record["href"]).exists());
    assert_ne!(replaced["checksum"], record["checksum"]);
    // Not module metadata: a clear error, the repodata as it was.
    let bad = s.join("bad.yaml");
    fs::write(&bad, "---\nfoo: bar\n...\n").unwrap();
    let o = kslint(
        &[
            "repo",
            "--modules",
            bad.to_str().unwrap(),
            app_repo.to_str().unwrap(),
        ],
        &cache,
    );
    assert_ne!(o.status.code(), Some(0), "{}", text(&o));
    assert!(text(&o).contains("bad.yaml: line 1:"), "{}", text(&o));
    assert_eq!(verified_modules_record(&app_repo).0, replaced);

    // modifyrepo_c on the same file gives the same record (but the gzip
    // bytes, and so checksum, size and time, which each tool makes its own).
    if have(
        "modifyrepo_c",
        "createrepo-c",
        "modules record vs modifyrepo_c",
    ) {
        let theirs = s.join("theirs");
        fs::create_dir_all(&theirs).unwrap();
        // modifyrepo_c names the file after its input.
        let kept = s.join("modules.yaml");
        fs::write(&kept, &narrowed).unwrap();
        let o = kslint(
            &[
                "repo",
                "-q",
                "--no-comps",
                "--modules",
                kept.to_str().unwrap(),
                theirs.to_str().unwrap(),
            ],
            &cache,
        );
        assert!(o.status.success(), "{}", text(&o));
        let (ours, _) = verified_modules_record(&theirs);
        let theirs_repo = s.join("theirs-c");
        fs::create_dir_all(&theirs_repo).unwrap();
        let o = common::run("createrepo_c", &["-q", theirs_repo.to_str().unwrap()]);
        assert!(o.status.success(), "{}", text(&o));
        let o = common::run(
            "modifyrepo_c",
            &[
                "--mdtype=modules",
                kept.to_str().unwrap(),
                theirs_repo.join("repodata").to_str().unwrap(),
            ],
        );
        assert!(o.status.success(), "{}", text(&o));
        let (reference, _) = verified_modules_record(&theirs_repo);
        let same = |fields: &BTreeMap<String, String>| {
            let mut fields = fields.clone();
            for name in ["checksum", "size", "timestamp", "href"] {
                fields.remove(name);
            }
            fields
        };
        assert_eq!(same(&ours), same(&reference));
        assert_eq!(
            ours.keys().collect::<Vec<_>>(),
            reference.keys().collect::<Vec<_>>()
        );
    }
}
