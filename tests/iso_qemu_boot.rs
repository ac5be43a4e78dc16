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

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use common::*;

const LABEL: &str = "KSLINT_BOOT_TEST";

fn ovmf() -> Option<(PathBuf, PathBuf)> {
    for (code, vars) in [
        (
            "/usr/share/OVMF/OVMF_CODE_4M.fd",
            "/usr/share/OVMF/OVMF_VARS_4M.fd",
        ),
        (
            "/usr/share/OVMF/OVMF_CODE.fd",
            "/usr/share/OVMF/OVMF_VARS.fd",
        ),
    ] {
        if Path::new(code).is_file() && Path::new(vars).is_file() {
            return Some((code.into(), vars.into()));
        }
    }
    None
}

/// Boots and returns (success, seconds, serial log).
fn boot(name: &str, dir: &Path, args: &[String]) -> (bool, f64, String) {
    let timeout = std::env::var("KSLINT_BOOT_TIMEOUT")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(150u64);
    let start = Instant::now();
    let mut child = Command::new("qemu-system-x86_64")
        .args([
            "-m",
            "768",
            "-display",
            "none",
            "-serial",
            "stdio",
            "-monitor",
            "none",
            "-no-reboot",
        ])
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start qemu");
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = mpsc::channel::<String>();
    let reader = std::thread::spawn(move || {
        for line in BufReader::new(stdout).split(b'\n').map_while(Result::ok) {
            if tx
                .send(String::from_utf8_lossy(&line).into_owned())
                .is_err()
            {
                break;
            }
        }
    });
    let mut log = String::new();
    let mut ok = false;
    let deadline = start + Duration::from_secs(timeout);
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match rx.recv_timeout(left.min(Duration::from_millis(500))) {
            Ok(line) => {
                log.push_str(&line);
                log.push('\n');
                if line.contains("KSLINT-BOOT-OK") {
                    ok = true;
                    break;
                }
                if line.contains("KSLINT-BOOT-FAIL") {
                    break;
                }
            }
            Err(mpsc::RecvTimeoutError::Timeout) => {
                if Instant::now() >= deadline {
                    log.push_str(&format!("[timeout after {timeout} s]\n"));
                    break;
                }
            }
            Err(mpsc::RecvTimeoutError::Disconnected) => break,
        }
    }
    // Collect the lines printed right after the marker.
    while let Ok(line) = rx.recv_timeout(Duration::from_millis(200)) {
        log.push_str(&line);
        log.push('\n');
    }
    let _ = child.kill();
    let _ = child.wait();
    drop(rx);
    let _ = reader.join();
    let secs = start.elapsed().as_secs_f64();
    eprintln!(
        "{name}: {} in {secs:.1} s",
        if ok { "PASS" } else { "FAIL" }
    );
    (ok, secs, log)
}

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

    let mut failures = Vec::new();
    for (name, args) in &modes {
        let (ok, _, log) = boot(name, s.path(), args);
        let good = ok
            && log.contains("KSLINT-KS: KSLINT-KS-CONTENT")
            && log.contains(&format!("KSLINT-LABEL: {LABEL}"))
            && log.contains("a-long-rock-ridge-file-name-that-needs-an-nm-entry.cfg")
            && log.contains(&format!("inst.ks=hd:LABEL={LABEL}:/ks/ks.cfg"));
        if !good {
            let tail: Vec<&str> = log.lines().rev().take(40).collect();
            failures.push(format!(
                "{name}:\n{}",
                tail.into_iter().rev().collect::<Vec<_>>().join("\n")
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "boots failed:\n{}",
        failures.join("\n\n")
    );
}
