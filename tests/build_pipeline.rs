//! `kslint build-iso` as the whole pipeline, on the seed's workflow: a seed
//! layout (`build_iso/comps.xml` beside the ISO root `build_iso/isolinux/`
//! holding generated RPMs, `ks/ks.cfg` and a seed-shaped `isolinux.cfg` that
//! forgot `inst.ks=`) → one command → an image with fresh repodata and boot
//! configurations patched for the new volume id, in the image only.
//!
//! * `seed_workflow_boots_with_ks_by_label_bios_and_uefi`: the image boots
//!   in QEMU from CD in BIOS and UEFI mode and the initramfs sees
//!   `inst.ks=hd:LABEL=KSLINT\x20SEED\x209:/ks/ks.cfg` on its command line
//!   (GRUB's copy inside `images/efiboot.img` included); skipped with a SKIP
//!   line when QEMU, OVMF or the boot ingredients are missing.
//! * the other tests read the image back with xorriso and mtools and need
//!   no QEMU.

#[path = "iso/common.rs"]
mod common;
#[path = "iso/qemu.rs"]
mod qemu;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use common::*;
use kslint::media::testkit::{comps_xml, GroupSpec, RpmSpec};
use sha2::{Digest, Sha256};

const OLD: &str = "OLD_LABEL";
const VOL: &str = "KSLINT SEED 9";
const VOL_ESCAPED: &str = "KSLINT\\x20SEED\\x209";

const KICKSTART: &str = r#"# KSLINT-KS-CONTENT
#version=RHEL7
cdrom
text
lang en_US.UTF-8
keyboard --vckeymap=us --xlayouts='us'
timezone UTC --isUtc
rootpw --iscrypted $6$kslint$Qd0rX7yq2Jb1Yz5mVw8n3eF4gH6iK9lM0oP1qR2sT3uV4wX5yZ6aB7cD8eF9gH0iJ1kL2mN3oP4qR5sT6uV7w.
bootloader --location=mbr
zerombr
clearpart --all --initlabel
autopart
reboot

%packages --nobase
@core
chrony
%end
"#;

fn isolinux_cfg(label: &str) -> String {
    // The seed's menu, with a serial console for the test, and without the
    // inst.ks= the seed adds by hand.
    format!(
        "serial 0 115200\ndefault linux\nprompt 0\ntimeout 1\n\nmenu title Appliance installer\n\n\
label linux\n  menu label ^Install the appliance (kickstart)\n  menu default\n  kernel vmlinuz\n  \
append initrd=initrd.img console=ttyS0 inst.stage2=hd:LABEL={label} quiet\n\n\
label rescue\n  menu label ^Rescue a CentOS system\n  kernel vmlinuz\n  \
append initrd=initrd.img console=ttyS0 inst.stage2=hd:LABEL={label} rescue quiet\n\n\
label local\n  menu label Boot from ^local drive\n  localboot 0xffff\n"
    )
}

fn grub_cfg(label: &str) -> String {
    format!(
        "set default=\"0\"\nset timeout=0\nsearch --no-floppy --set=root -l '{label}'\n\n\
menuentry 'Install the appliance' --class fedora --class gnu-linux {{\n  \
linux /vmlinuz console=ttyS0 inst.stage2=hd:LABEL={label} quiet\n  initrd /initrd.img\n}}\n"
    )
}

/// The boot files: from make_boot_tree.sh (bootable) or stand-ins.
struct BootFiles {
    isolinux_bin: Vec<u8>,
    ldlinux: Vec<u8>,
    vmlinuz: Vec<u8>,
    initrd: Vec<u8>,
    bootx64: Vec<u8>,
}

impl BootFiles {
    fn stand_ins() -> BootFiles {
        BootFiles {
            isolinux_bin: std::fs::read("/usr/lib/ISOLINUX/isolinux.bin")
                .unwrap_or_else(|_| bytes(1, 40_000)),
            ldlinux: bytes(2, 120_000),
            vmlinuz: bytes(3, 300_000),
            initrd: bytes(4, 200_000),
            bootx64: bytes(5, 50_000),
        }
    }

    /// Debian's isolinux, GRUB, kernel and a busybox initramfs that prints
    /// its command line; `None` (with the reason) when missing.
    fn bootable(scratch: &Scratch) -> Result<BootFiles, String> {
        let made = scratch.join("made");
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/iso/make_boot_tree.sh");
        let o = Command::new("sh")
            .arg(&script)
            .arg(&made)
            .arg(OLD)
            .output()
            .map_err(|e| e.to_string())?;
        let said =
            String::from_utf8_lossy(&o.stdout).into_owned() + &String::from_utf8_lossy(&o.stderr);
        if o.status.code() == Some(77) {
            return Err(said.trim().to_string());
        }
        assert!(o.status.success(), "make_boot_tree.sh failed:\n{said}");
        let read = |p: &str| std::fs::read(made.join(p)).unwrap();
        Ok(BootFiles {
            isolinux_bin: read("isolinux/isolinux.bin"),
            ldlinux: read("isolinux/ldlinux.c32"),
            vmlinuz: read("isolinux/vmlinuz"),
            initrd: read("isolinux/initrd.img"),
            bootx64: read("EFI/BOOT/BOOTX64.EFI"),
        })
    }
}

/// The seed layout under `dir`; returns the ISO root.
fn seed_media(dir: &Path, boot: &BootFiles) -> PathBuf {
    let build_iso = dir.join("build_iso");
    let root = build_iso.join("isolinux");
    let packages = root.join("Packages");
    for spec in [
        RpmSpec::new("filesystem", "3.2", "x86_64").file("/etc/filesystem-marker"),
        RpmSpec::new("bash", "4.2.46", "x86_64")
            .requires("filesystem")
            .file("/usr/bin/bash"),
        RpmSpec::new("chrony", "3.4", "x86_64")
            .requires("bash")
            .file("/usr/sbin/chronyd"),
        RpmSpec::new("openssh-server", "7.4p1", "x86_64").file("/usr/sbin/sshd"),
    ] {
        spec.write_to(&packages).unwrap();
    }
    let comps = comps_xml(
        &[GroupSpec {
            id: "core",
            name: "Core",
            packages: &[
                ("filesystem", "mandatory"),
                ("bash", "mandatory"),
                ("openssh-server", "default"),
            ],
        }],
        &[],
    );
    write(&build_iso.join("comps.xml"), comps.as_bytes());
    write(
        &root.join(".discinfo"),
        b"1449163537.651236\nCentOS 7\nx86_64\n1\n",
    );
    write(&root.join("ks/ks.cfg"), KICKSTART.as_bytes());
    write(&root.join("isolinux.cfg"), isolinux_cfg(OLD).as_bytes());
    write(&root.join("isolinux.bin"), &boot.isolinux_bin);
    write(&root.join("ldlinux.c32"), &boot.ldlinux);
    write(&root.join("vmlinuz"), &boot.vmlinuz);
    write(&root.join("initrd.img"), &boot.initrd);
    write(&root.join("EFI/BOOT/BOOTX64.EFI"), &boot.bootx64);
    write(&root.join("EFI/BOOT/grub.cfg"), grub_cfg(OLD).as_bytes());
    write(
        &root.join("images/efiboot.img"),
        &efi_fat_image(&boot.bootx64, &grub_cfg(OLD)),
    );
    root
}

fn build(root: &Path, out: &Path, extra: &[&str]) -> Output {
    Command::new(kslint())
        .arg("build-iso")
        .arg(root)
        .arg("-o")
        .arg(out)
        .args(["--source-date-epoch", "1700000000"])
        .args(extra)
        .env_remove("SOURCE_DATE_EPOCH")
        .env(
            "XDG_CACHE_HOME",
            root.parent().unwrap().parent().unwrap().join("cache"),
        )
        .output()
        .expect("run kslint")
}

fn text(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned() + &String::from_utf8_lossy(&o.stderr)
}

fn read_string(p: &Path) -> String {
    String::from_utf8(std::fs::read(p).unwrap()).unwrap()
}

/// `EFI/BOOT/grub.cfg` of a FAT image, read with mtools (not our code).
fn mtype_grub(image: &Path) -> String {
    run_ok(
        "mtype",
        &["-i", image.to_str().unwrap(), "::/EFI/BOOT/grub.cfg"],
    )
}

fn tree_digest(root: &Path) -> String {
    let snap = snapshot_with_times(root);
    let mut h = Sha256::new();
    h.update(format!("{snap:?}").as_bytes());
    format!("{:x}", h.finalize())
}

#[test]
fn seed_workflow_patches_configs_and_repodata_in_the_image_only() {
    let test = "seed_workflow_patches_configs_and_repodata_in_the_image_only";
    if !have("xorriso", "xorriso", test) || !have("mtype", "mtools", test) {
        return;
    }
    let s = Scratch::new("pipeline-seed");
    let root = seed_media(s.path(), &BootFiles::stand_ins());
    let before = tree_digest(&root);
    let efiboot_before = std::fs::read(root.join("images/efiboot.img")).unwrap();
    let iso = s.join("seed.iso");
    let o = build(&root, &iso, &["--ks", "ks/ks.cfg", "--volume-id", VOL]);
    let said = text(&o);
    assert!(o.status.success(), "{said}");
    for phase in ["[lint]", "[repodata]", "[master]", "[implant md5]"] {
        assert!(said.contains(phase), "no {phase} phase:\n{said}");
    }
    assert!(said.contains("repodata of .: no repodata/"), "{said}");
    // The tree is byte for byte (and time for time) as it was.
    assert_eq!(tree_digest(&root), before, "the source tree changed");
    assert!(!root.join("repodata").exists());
    // No staging directory left beside the output.
    let left: Vec<String> = std::fs::read_dir(s.path())
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(".kslint"))
        .collect();
    assert!(left.is_empty(), "{left:?}");

    let x = s.join("x");
    extract(&iso, &x);
    let ks_arg = format!("inst.ks=hd:LABEL={VOL_ESCAPED}:/ks/ks.cfg");
    let stage2 = format!("inst.stage2=hd:LABEL={VOL_ESCAPED}");
    let isolinux = read_string(&x.join("isolinux.cfg"));
    assert_eq!(
        isolinux,
        isolinux_cfg(OLD)
            .replace(
                &format!("console=ttyS0 inst.stage2=hd:LABEL={OLD} quiet"),
                &format!("console=ttyS0 quiet {stage2} {ks_arg}")
            )
            .replace(
                &format!("console=ttyS0 inst.stage2=hd:LABEL={OLD} rescue quiet"),
                &format!("console=ttyS0 rescue quiet {stage2}")
            ),
        "isolinux.cfg in the image"
    );
    let grub_expected = grub_cfg(OLD)
        .replace(&format!("-l '{OLD}'"), &format!("-l '{VOL}'"))
        .replace(
            &format!("console=ttyS0 inst.stage2=hd:LABEL={OLD} quiet"),
            &format!("console=ttyS0 quiet {stage2} {ks_arg}"),
        );
    assert_eq!(read_string(&x.join("EFI/BOOT/grub.cfg")), grub_expected);
    let efiboot = x.join("images/efiboot.img");
    assert_eq!(
        mtype_grub(&efiboot),
        grub_expected,
        "grub.cfg in efiboot.img"
    );
    // The rest of the FAT image is what it was: same size, same loader.
    let efiboot_bytes = std::fs::read(&efiboot).unwrap();
    assert_eq!(efiboot_bytes.len(), efiboot_before.len());
    let bootx64 = s.join("BOOTX64.EFI");
    run_ok(
        "mcopy",
        &[
            "-i",
            efiboot.to_str().unwrap(),
            "::/EFI/BOOT/BOOTX64.EFI",
            bootx64.to_str().unwrap(),
        ],
    );
    assert_eq!(std::fs::read(&bootx64).unwrap(), bytes(5, 50_000));
    // The volume id of the image.
    let pvd = std::fs::read(&iso).unwrap();
    assert_eq!(&pvd[32808..32808 + VOL.len()], VOL.as_bytes());
    // Fresh repodata in the image, with the comps groups (createrepo -g).
    let repomd = read_string(&x.join("repodata/repomd.xml"));
    for kind in ["primary", "filelists", "other", "group", "group_gz"] {
        assert!(
            repomd.contains(&format!("<data type=\"{kind}\">")),
            "{kind}: {repomd}"
        );
    }
    let primary = std::fs::read_dir(x.join("repodata"))
        .unwrap()
        .flatten()
        .find(|e| e.file_name().to_string_lossy().ends_with("-primary.xml.gz"))
        .expect("primary.xml.gz");
    let gz = std::fs::read(primary.path()).unwrap();
    let mut plain = String::new();
    std::io::Read::read_to_string(&mut flate2::read::MultiGzDecoder::new(&gz[..]), &mut plain)
        .unwrap();
    assert!(plain.contains("packages=\"4\""), "{plain}");
    assert!(plain.contains("<location href=\"Packages/chrony-3.4-1.el7.x86_64.rpm\"/>"));
    // The untouched files are the tree's.
    assert_eq!(
        std::fs::read(x.join("ks/ks.cfg")).unwrap(),
        KICKSTART.as_bytes()
    );

    // Built again without patch options: the tree's own configs, and the
    // stale-repodata check does not stop the build (the image gets fresh
    // repodata).
    let plain_iso = s.join("plain.iso");
    let o = build(&root, &plain_iso, &[]);
    assert!(o.status.success(), "{}", text(&o));
    let y = s.join("y");
    extract(&plain_iso, &y);
    assert_eq!(read_string(&y.join("isolinux.cfg")), isolinux_cfg(OLD));
    assert_eq!(
        std::fs::read(y.join("images/efiboot.img")).unwrap(),
        efiboot_before
    );
    assert_eq!(tree_digest(&root), before, "the source tree changed");
}

#[test]
fn check_errors_refuse_the_build_unless_forced() {
    let s = Scratch::new("pipeline-refuse");
    let root = seed_media(s.path(), &BootFiles::stand_ins());
    // A typo in the kickstart (an unknown command) and a kernel without its file.
    write(
        &root.join("ks/ks.cfg"),
        KICKSTART
            .replace("zerombr\n", "zerombr\nclearpartt --all\n")
            .as_bytes(),
    );
    std::fs::remove_file(root.join("ldlinux.c32")).unwrap();
    let before = tree_digest(&root);
    let iso = s.join("refused.iso");
    let o = build(&root, &iso, &["--ks", "ks/ks.cfg"]);
    let said = text(&o);
    assert_eq!(o.status.code(), Some(1), "{said}");
    assert!(said.contains("build-iso refused"), "{said}");
    // Each error with its file, line and column.
    assert!(said.contains("ks/ks.cfg:11:1"), "{said}");
    assert!(said.contains("isolinux.cfg:"), "{said}");
    assert!(!iso.exists());
    let o = build(&root, &iso, &["--ks", "ks/ks.cfg", "--force"]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(text(&o).contains("--force"), "{}", text(&o));
    assert!(iso.is_file());
    assert_eq!(tree_digest(&root), before, "the source tree changed");

    // Bad requests are clear errors, not panics.
    let o = build(&root, &iso, &["--ks", "ks/missing.cfg", "--force"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        text(&o).contains("--ks ks/missing.cfg: no such file"),
        "{}",
        text(&o)
    );
    let o = build(&root, &iso, &["--add-arg", "two words", "--force"]);
    assert!(
        text(&o).contains("is not one kernel argument"),
        "{}",
        text(&o)
    );
    let o = build(&root, &iso, &["--volume-id", &"X".repeat(40), "--force"]);
    assert!(text(&o).contains("cannot be used"), "{}", text(&o));
}

#[test]
fn treeinfo_checksums_follow_the_patched_efiboot_and_paths_are_checked() {
    let test = "treeinfo_checksums_follow_the_patched_efiboot_and_paths_are_checked";
    if !have("xorriso", "xorriso", test) {
        return;
    }
    let s = Scratch::new("pipeline-treeinfo");
    let root = seed_media(s.path(), &BootFiles::stand_ins());
    write(&root.join("images/install.img"), &bytes(9, 10_000));
    let old_sum = format!(
        "{:x}",
        Sha256::digest(std::fs::read(root.join("images/efiboot.img")).unwrap())
    );
    let treeinfo = format!(
        "[general]\nfamily = CentOS\nversion = 7\narch = x86_64\n\n[stage2]\nmainimage = images/install.img\n\n\
[images-x86_64]\nefiboot.img = images/efiboot.img\nkernel = vmlinuz\n\n[checksums]\nimages/efiboot.img = sha256:{old_sum}\nvmlinuz = sha256:0000\n"
    );
    write(&root.join(".treeinfo"), treeinfo.as_bytes());
    let iso = s.join("t.iso");
    let o = build(
        &root,
        &iso,
        &["--ks", "ks/ks.cfg", "--volume-id", VOL, "--force"],
    );
    assert!(o.status.success(), "{}", text(&o));
    let x = s.join("x");
    extract(&iso, &x);
    let new_sum = format!(
        "{:x}",
        Sha256::digest(std::fs::read(x.join("images/efiboot.img")).unwrap())
    );
    assert_ne!(new_sum, old_sum);
    assert_eq!(
        read_string(&x.join(".treeinfo")),
        treeinfo.replace(&old_sum, &new_sum),
        "only the efiboot.img checksum changes"
    );
    assert_eq!(read_string(&root.join(".treeinfo")), treeinfo);

    // A stage2 the image does not have is an error at its line.
    write(
        &root.join(".treeinfo"),
        treeinfo
            .replace("images/install.img", "images/gone.img")
            .as_bytes(),
    );
    let o = build(&root, &s.join("u.iso"), &["--force"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        text(&o).contains(
            ".treeinfo:7:13: [stage2] mainimage = images/gone.img: no such file in the image"
        ),
        "{}",
        text(&o)
    );
}

#[test]
fn seed_workflow_boots_with_ks_by_label_bios_and_uefi() {
    let test = "seed_workflow_boots_with_ks_by_label_bios_and_uefi";
    if !have("qemu-system-x86_64", "qemu-system-x86", test) || !have("xorriso", "xorriso", test) {
        return;
    }
    let s = Scratch::new("pipeline-qemu");
    let boot_files = match BootFiles::bootable(&s) {
        Ok(files) => files,
        Err(why) => {
            eprintln!("SKIP {test}: {why}");
            return;
        }
    };
    let root = seed_media(&s.join("media"), &boot_files);
    let before = tree_digest(&root);
    // BIOS: ISOLINUX passes `\x20` through, so the volume id has spaces.
    // UEFI: the test's GRUB is Debian's upstream build, which cannot pass a
    // backslash to the kernel (Red Hat's can); a volume id without spaces.
    let plain_volume = "KSLINT_SEED_9";
    let mut modes: Vec<(&str, &str, Vec<String>)> =
        vec![("bios-cd", VOL, vec!["-boot".into(), "d".into()])];
    match qemu::ovmf() {
        Some((code, vars)) => {
            let vars_copy = s.join("uefi-vars.fd");
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
            modes.push(("uefi-cd", plain_volume, fw));
        }
        None => eprintln!("SKIP {test} (UEFI): no OVMF firmware (Debian package ovmf)"),
    }
    let mut failures = qemu::BootFailures::default();
    for (name, volume, args) in &modes {
        let iso = s.join(&format!("{name}.iso"));
        let o = build(&root, &iso, &["--ks", "ks/ks.cfg", "--volume-id", volume]);
        assert!(o.status.success(), "{}", text(&o));
        assert_eq!(tree_digest(&root), before, "the source tree changed");
        let escaped = volume.replace(' ', "\\x20");
        let ks_arg = format!("inst.ks=hd:LABEL={escaped}:/ks/ks.cfg");
        let qemu_args = [
            vec!["-cdrom".to_string(), iso.to_str().unwrap().to_string()],
            args.clone(),
        ]
        .concat();
        let (ok, _, log) = qemu::boot(name, s.path(), &qemu_args);
        let cmdline = log
            .lines()
            .find(|l| l.contains("KSLINT-CMDLINE:"))
            .unwrap_or_default()
            .to_string();
        // The kernel's own words, split on blanks, hold the arguments exactly.
        let words: Vec<&str> = cmdline.split_whitespace().collect();
        let good = ok
            && words.contains(&ks_arg.as_str())
            && words.contains(&format!("inst.stage2=hd:LABEL={escaped}").as_str())
            && !cmdline.contains(OLD)
            && log.contains(&format!("KSLINT-LABEL: {volume}"))
            && log.contains("KSLINT-KS: # KSLINT-KS-CONTENT");
        failures.record(&format!("{name} (expected {ks_arg})"), good, &log);
    }
    failures.assert_none();
    assert_eq!(tree_digest(&root), before, "the source tree changed");
}

#[test]
fn cancelled_builds_leave_no_image_and_no_staging() {
    use kslint::build::pipeline::{run, BuildError, Event, Phase};
    use kslint::build::BuildOptions;
    use std::sync::atomic::{AtomicBool, Ordering};

    let s = Scratch::new("pipeline-cancel");
    let root = seed_media(s.path(), &BootFiles::stand_ins());
    write(&root.join("big.bin"), &bytes(7, 8 << 20));
    let before = tree_digest(&root);
    for stop_at in ["repodata", "write"] {
        let iso = s.join(&format!("{stop_at}.iso"));
        let mut options = BuildOptions::new(&root, &iso);
        options.ks = Some("ks/ks.cfg".into());
        options.force = true;
        let cancel = AtomicBool::new(false);
        let mut phases = Vec::new();
        let result = run(
            &options,
            &mut |event| match event {
                Event::Phase(phase, _) => {
                    phases.push(phase);
                    if stop_at == "repodata" && phase == Phase::Repodata {
                        cancel.store(true, Ordering::Relaxed);
                    }
                }
                Event::Write(p) if stop_at == "write" && p.done > p.total / 2 => {
                    cancel.store(true, Ordering::Relaxed);
                }
                _ => {}
            },
            Some(&cancel),
        );
        assert!(
            matches!(result, Err(BuildError::Cancelled)),
            "{stop_at}: {result:?}"
        );
        assert!(!iso.exists(), "{stop_at}");
        let left: Vec<String> = std::fs::read_dir(s.path())
            .unwrap()
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| n.starts_with('.'))
            .collect();
        assert!(left.is_empty(), "{stop_at}: left {left:?}");
        let expected: &[Phase] = if stop_at == "repodata" {
            &[Phase::Lint, Phase::Repodata]
        } else {
            &[Phase::Lint, Phase::Repodata, Phase::Master]
        };
        assert_eq!(phases, expected, "{stop_at}");
    }
    assert_eq!(tree_digest(&root), before, "the source tree changed");
}

mod lsp {
    use super::*;
    use futures::{SinkExt, StreamExt};
    use serde_json::{json, Value};
    use std::time::Duration;
    use tower::{Service, ServiceExt};
    use tower_lsp::jsonrpc::{Request, Response};

    /// Runs `kslint.buildIso` through the real service; returns the
    /// `$/progress` values, the `publishDiagnostics` params and the
    /// `showMessage` params seen until the build ended.
    async fn build_in_server(args: Value) -> (Vec<Value>, Vec<Value>, Vec<Value>) {
        let (mut service, socket) = kslint::lsp::service();
        let (mut requests, mut responses) = socket.split();
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<Value>();
        // The client side: answers server requests, forwards everything.
        let client = tokio::spawn(async move {
            while let Some(request) = requests.next().await {
                if let Some(id) = request.id().cloned() {
                    let _ = responses
                        .send(Response::from_parts(id, Ok(Value::Null)))
                        .await;
                }
                if tx.send(serde_json::to_value(&request).unwrap()).is_err() {
                    break;
                }
            }
        });
        let init = Request::build("initialize")
            .params(json!({ "capabilities": { "window": { "workDoneProgress": true } } }))
            .id(1)
            .finish();
        service.ready().await.unwrap().call(init).await.unwrap();
        let initialized = Request::build("initialized").params(json!({})).finish();
        service
            .ready()
            .await
            .unwrap()
            .call(initialized)
            .await
            .unwrap();
        let execute = Request::build("workspace/executeCommand")
            .params(json!({ "command": "kslint.buildIso", "arguments": [args] }))
            .id(2)
            .finish();
        let answer = service
            .ready()
            .await
            .unwrap()
            .call(execute)
            .await
            .unwrap()
            .unwrap();
        let answer = serde_json::to_value(&answer).unwrap();
        assert_eq!(answer["result"]["started"], true, "{answer}");
        let (mut progress, mut diagnostics, mut messages) = (Vec::new(), Vec::new(), Vec::new());
        loop {
            let message = tokio::time::timeout(Duration::from_secs(120), rx.recv())
                .await
                .expect("the build ends within 120 s")
                .expect("server alive");
            match message["method"].as_str() {
                Some("$/progress") => progress.push(message["params"]["value"].clone()),
                Some("textDocument/publishDiagnostics") => {
                    diagnostics.push(message["params"].clone())
                }
                Some("window/showMessage") => {
                    messages.push(message["params"].clone());
                    break;
                }
                _ => {}
            }
        }
        client.abort();
        (progress, diagnostics, messages)
    }

    /// The seed media in `s` with one error in `ks/ks.cfg` (a misspelt
    /// command on line 11), which stops a build at lint; its path.
    fn media_with_a_lint_error(s: &Scratch) -> PathBuf {
        let root = seed_media(s.path(), &BootFiles::stand_ins());
        let ks = root.join("ks/ks.cfg");
        write(
            &ks,
            KICKSTART
                .replace("zerombr\n", "zerombr\nclearpartt --all\n")
                .as_bytes(),
        );
        ks
    }

    fn uri(path: &Path) -> String {
        format!("file://{}", path.display())
    }

    /// A client may take its time to answer `window/workDoneProgress/create`;
    /// the server must go on answering other requests meanwhile: nothing
    /// they need (the state lock) may be held while the build waits.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn requests_are_answered_while_the_build_waits_for_the_client() {
        // A kickstart with an error: once released, the build stops at lint.
        let s = Scratch::new("pipeline-lsp-waiting");
        let ks = media_with_a_lint_error(&s);
        let (service, socket) = kslint::lsp::service();
        let (mut requests, mut responses) = socket.split();
        let (seen_create, mut create_seen) = tokio::sync::mpsc::unbounded_channel::<Value>();
        let (release, released) = tokio::sync::oneshot::channel::<()>();
        // The client: holds back its answer to the progress request until
        // released, answers everything else at once.
        tokio::spawn(async move {
            let mut released = Some(released);
            while let Some(request) = requests.next().await {
                let Some(id) = request.id().cloned() else {
                    continue;
                };
                if request.method() == "window/workDoneProgress/create" {
                    let _ = seen_create.send(serde_json::to_value(&request).unwrap());
                    if let Some(released) = released.take() {
                        let _ = released.await;
                    }
                }
                let _ = responses
                    .send(Response::from_parts(id, Ok(Value::Null)))
                    .await;
            }
        });
        let service = std::sync::Arc::new(tokio::sync::Mutex::new(service));
        let call = |request: Request| {
            let service = service.clone();
            tokio::spawn(async move {
                let mut service = service.lock().await;
                service.ready().await.unwrap().call(request).await.unwrap()
            })
        };
        let init = Request::build("initialize")
            .params(json!({ "capabilities": { "window": { "workDoneProgress": true } } }))
            .id(1)
            .finish();
        call(init).await.unwrap();
        call(Request::build("initialized").params(json!({})).finish())
            .await
            .unwrap();
        let execute = Request::build("workspace/executeCommand")
            .params(json!({ "command": "kslint.buildIso",
                "arguments": [{ "uri": uri(&ks), "output": s.join("never.iso") }] }))
            .id(2)
            .finish();
        let answer = call(execute).await.unwrap().expect("a response");
        assert!(answer.is_ok(), "{answer:?}");
        tokio::time::timeout(Duration::from_secs(30), create_seen.recv())
            .await
            .expect("the build asks for a progress token")
            .unwrap();
        let text = Request::build("kslint/documentText")
            .params(json!({ "uri": uri(&ks) }))
            .id(3)
            .finish();
        let answer = tokio::time::timeout(Duration::from_secs(10), call(text)).await;
        let _ = release.send(());
        let answer = answer
            .expect("answered while the client has not answered the progress request")
            .unwrap()
            .expect("a response");
        assert!(answer.is_ok(), "{answer:?}");
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn build_iso_command_reports_each_phase_and_the_result() {
        let s = Scratch::new("pipeline-lsp");
        let root = seed_media(s.path(), &BootFiles::stand_ins());
        let before = tree_digest(&root);
        let iso = s.join("lsp.iso");
        let (progress, _, messages) = build_in_server(json!({
            "uri": uri(&root.join("ks/ks.cfg")),
            "output": iso,
            "ks": "ks/ks.cfg",
            "volumeId": VOL,
        }))
        .await;
        let kinds: Vec<&str> = progress.iter().filter_map(|p| p["kind"].as_str()).collect();
        assert_eq!(kinds.first(), Some(&"begin"), "{progress:?}");
        assert_eq!(kinds.last(), Some(&"end"), "{progress:?}");
        let reports: Vec<String> = progress
            .iter()
            .filter(|p| p["kind"] == "report")
            .map(|p| p["message"].as_str().unwrap_or_default().to_string())
            .collect();
        for phase in ["lint: ", "repodata: ", "master: ", "implant md5: "] {
            assert!(
                reports.iter().any(|r| r.starts_with(phase)),
                "no {phase} report in {reports:?}"
            );
        }
        let percents: Vec<u64> = progress
            .iter()
            .filter_map(|p| p["percentage"].as_u64())
            .collect();
        assert!(percents.windows(2).all(|w| w[0] <= w[1]), "{percents:?}");
        let end = progress.last().unwrap()["message"].as_str().unwrap();
        assert!(
            end.starts_with("Built ") && end.contains("lsp.iso"),
            "{end}"
        );
        assert_eq!(messages[0]["type"], 3, "{messages:?}");
        assert!(iso.is_file());
        let pvd = std::fs::read(&iso).unwrap();
        assert_eq!(&pvd[32808..32808 + VOL.len()], VOL.as_bytes());
        assert_eq!(tree_digest(&root), before, "the source tree changed");
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn build_iso_command_publishes_the_errors_that_block_it() {
        let s = Scratch::new("pipeline-lsp-blocked");
        let ks = media_with_a_lint_error(&s);
        let iso = s.join("blocked.iso");
        let (progress, diagnostics, messages) = build_in_server(json!({
            "uri": uri(&ks),
            "output": iso,
        }))
        .await;
        let end = progress.last().unwrap()["message"].as_str().unwrap();
        assert!(end.starts_with("Build ISO failed: 1 error(s)"), "{end}");
        assert_eq!(messages[0]["type"], 1, "{messages:?}");
        let published = diagnostics
            .iter()
            .find(|d| d["uri"] == uri(&ks))
            .expect("diagnostics of ks.cfg");
        let errors: Vec<&Value> = published["diagnostics"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|d| d["severity"] == 1)
            .collect();
        assert_eq!(errors.len(), 1, "{published}");
        assert_eq!(errors[0]["range"]["start"]["line"], 10, "{published}");
        assert!(!iso.exists());
    }
}

#[test]
fn repodata_is_refreshed_only_when_stale_and_reuses_unchanged_rpms() {
    let test = "repodata_is_refreshed_only_when_stale_and_reuses_unchanged_rpms";
    if !have("xorriso", "xorriso", test) {
        return;
    }
    let s = Scratch::new("pipeline-repodata");
    let root = seed_media(s.path(), &BootFiles::stand_ins());
    // The tree's own repodata, made by `kslint repo` as the seed would.
    let o = Command::new(kslint())
        .arg("repo")
        .arg(&root)
        .env("XDG_CACHE_HOME", s.join("cache"))
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", text(&o));
    let repomd_before = read_string(&root.join("repodata/repomd.xml"));

    let fresh = s.join("fresh.iso");
    let o = build(&root, &fresh, &["--ks", "ks/ks.cfg"]);
    let said = text(&o);
    assert!(o.status.success(), "{said}");
    assert!(said.contains("repodata of . is up to date"), "{said}");
    assert!(!said.contains("[repodata]"), "{said}");
    let x = s.join("x");
    extract(&fresh, &x);
    assert_eq!(read_string(&x.join("repodata/repomd.xml")), repomd_before);

    // One more RPM: the image gets new repodata, the old entries reused.
    RpmSpec::new("tzdata", "2020a", "noarch")
        .file("/usr/share/zoneinfo/UTC")
        .write_to(&root.join("Packages"))
        .unwrap();
    let before = tree_digest(&root);
    let stale = s.join("stale.iso");
    let o = build(&root, &stale, &["--ks", "ks/ks.cfg"]);
    let said = text(&o);
    assert!(o.status.success(), "{said}");
    assert!(said.contains("[repodata]"), "{said}");
    assert!(said.contains("5 package(s), 1 read, 4 reused"), "{said}");
    assert_eq!(tree_digest(&root), before, "the source tree changed");
    assert_eq!(
        read_string(&root.join("repodata/repomd.xml")),
        repomd_before
    );
    let y = s.join("y");
    extract(&stale, &y);
    let repomd = read_string(&y.join("repodata/repomd.xml"));
    assert_ne!(repomd, repomd_before);
    // Every file the new repomd.xml names is in the image, and only those
    // (the tree's old primary is not carried along).
    let names: Vec<String> = std::fs::read_dir(y.join("repodata"))
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n != "repomd.xml")
        .collect();
    for name in &names {
        assert!(
            repomd.contains(&format!("repodata/{name}\"")),
            "{name} not in {repomd}"
        );
    }
    assert_eq!(repomd.matches("<location href=").count(), names.len());
}
