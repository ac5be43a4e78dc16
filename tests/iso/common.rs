//! Helpers shared by the `iso_*` integration tests (included with `#[path]`).
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::fs;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicUsize, Ordering};

/// A scratch directory removed on drop.
pub struct Scratch(pub PathBuf);

impl Scratch {
    pub fn new(name: &str) -> Scratch {
        static N: AtomicUsize = AtomicUsize::new(0);
        let dir = std::env::temp_dir().join(format!(
            "kslint-iso-{name}-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::SeqCst)
        ));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        Scratch(dir)
    }
    pub fn path(&self) -> &Path {
        &self.0
    }
    pub fn join(&self, p: &str) -> PathBuf {
        self.0.join(p)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        if std::env::var_os("KSLINT_KEEP_TEST_FILES").is_none() {
            let _ = fs::remove_dir_all(&self.0);
        }
    }
}

/// True when `tool` is on PATH; otherwise prints a SKIP line naming the Debian package.
pub fn have(tool: &str, package: &str, test: &str) -> bool {
    let found = std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).any(|d| d.join(tool).is_file()))
        .unwrap_or(false);
    if !found {
        eprintln!("SKIP {test}: {tool} not installed (Debian package {package})");
    }
    found
}

/// True when shellcheck runs; otherwise a SKIP line, or a failure when
/// `KSLINT_REQUIRE_SHELLCHECK=1` (CI installs it, so a skip there would hide
/// the tests).
pub fn shellcheck_installed() -> bool {
    let found = Command::new("shellcheck")
        .arg("--version")
        .output()
        .is_ok_and(|output| output.status.success());
    if !found {
        if std::env::var("KSLINT_REQUIRE_SHELLCHECK").as_deref() == Ok("1") {
            panic!("shellcheck is not on PATH and KSLINT_REQUIRE_SHELLCHECK=1");
        }
        println!("SKIP: shellcheck is not on PATH");
    }
    found
}

pub fn run(cmd: &str, args: &[&str]) -> Output {
    Command::new(cmd)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("cannot run {cmd}: {e}"))
}

pub fn run_ok(cmd: &str, args: &[&str]) -> String {
    let out = run(cmd, args);
    assert!(
        out.status.success(),
        "{cmd} {args:?} failed: {}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr)
}

pub fn write(path: &Path, data: &[u8]) {
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::write(path, data).unwrap();
}

pub fn chmod(path: &Path, mode: u32) {
    fs::set_permissions(path, fs::Permissions::from_mode(mode)).unwrap();
}

/// Deterministic pseudo-random bytes.
pub fn bytes(seed: u64, len: usize) -> Vec<u8> {
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 24) as u8
        })
        .collect()
}

/// A tree exercising names, modes, links and sizes.
pub fn varied_tree(root: &Path) {
    write(&root.join("README"), b"plain file without extension\n");
    write(
        &root.join(".treeinfo"),
        b"[general]\nfamily = Test\nversion = 1\narch = x86_64\n",
    );
    write(&root.join("isolinux/isolinux.cfg"), b"default linux\n");
    write(&root.join("empty.txt"), b"");
    write(&root.join("exact-block.bin"), &bytes(1, 2048));
    write(&root.join("block-plus-one.bin"), &bytes(2, 2049));
    write(&root.join("big.bin"), &bytes(3, 3 * 1024 * 1024 + 17));
    let long = format!("{}.rpm", "very-long-package-name-".repeat(9)); // > 103 chars
    write(&root.join("Packages").join(&long), b"long name\n");
    let longest = "n".repeat(255);
    write(&root.join("Packages").join(&longest), b"255 bytes name\n");
    for i in 0..120 {
        write(
            &root.join(format!("Packages/pkg-number-{i:03}-1.0-1.el9.x86_64.rpm")),
            &bytes(100 + i, 100 + i as usize * 37),
        );
    }
    write(&root.join("Grüße/Übung €.txt"), "unicode\n".as_bytes());
    write(&root.join("MixedCase/lower.TXT"), b"case\n");
    write(&root.join("MixedCase/LOWER.txt"), b"other case\n");
    write(&root.join("a/b/c/d/e/f/g/h/i/j/deep.txt"), b"deep\n");
    fs::create_dir_all(root.join("empty-dir")).unwrap();
    write(&root.join("modes/exec.sh"), b"#!/bin/sh\n");
    chmod(&root.join("modes/exec.sh"), 0o755);
    write(&root.join("modes/private"), b"secret\n");
    chmod(&root.join("modes/private"), 0o600);
    write(&root.join("modes/readonly"), b"ro\n");
    chmod(&root.join("modes/readonly"), 0o444);
    std::os::unix::fs::symlink("../isolinux/isolinux.cfg", root.join("modes/link-to-cfg")).unwrap();
    std::os::unix::fs::symlink("README", root.join("relative-link")).unwrap();
    let long_target = format!("{}/x", "d".repeat(250));
    fs::create_dir_all(root.join(&long_target).parent().unwrap()).unwrap();
    write(&root.join(&long_target), b"x\n");
    std::os::unix::fs::symlink(&long_target, root.join("long-link")).unwrap();
    fs::hard_link(root.join("README"), root.join("hardlink-to-readme")).unwrap();
}

/// What a tree holds, for comparisons: path -> (kind, permission bits, content or link target).
pub fn snapshot(root: &Path) -> BTreeMap<String, (char, u32, Vec<u8>)> {
    let mut map = BTreeMap::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for e in fs::read_dir(&dir).unwrap() {
            let e = e.unwrap();
            let p = e.path();
            let md = fs::symlink_metadata(&p).unwrap();
            let rel = p.strip_prefix(root).unwrap().to_string_lossy().into_owned();
            let perm = md.mode() & 0o7777;
            if md.file_type().is_symlink() {
                let t = fs::read_link(&p).unwrap();
                map.insert(rel, ('l', 0, t.to_string_lossy().as_bytes().to_vec()));
            } else if md.is_dir() {
                map.insert(rel, ('d', perm, Vec::new()));
                stack.push(p);
            } else {
                map.insert(rel, ('f', perm, fs::read(&p).unwrap()));
            }
        }
    }
    map
}

/// Snapshot including modification times (to prove a tree was not touched).
pub fn snapshot_with_times(root: &Path) -> BTreeMap<String, (char, u32, Vec<u8>, i64, i64)> {
    snapshot(root)
        .into_iter()
        .map(|(k, (c, m, d))| {
            let md = fs::symlink_metadata(root.join(&k)).unwrap();
            (k, (c, m, d, md.mtime(), md.mtime_nsec()))
        })
        .collect()
}

/// Extracts an image with xorriso (Rock Ridge view).
pub fn extract(iso: &Path, dest: &Path) {
    run_ok(
        "xorriso",
        &[
            "-osirrox",
            "on",
            "-indev",
            iso.to_str().unwrap(),
            "-extract",
            "/",
            dest.to_str().unwrap(),
        ],
    );
}

/// Path of the kslint binary under test.
pub fn kslint() -> &'static str {
    env!("CARGO_BIN_EXE_kslint")
}

pub fn u32_le(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes(b[at..at + 4].try_into().unwrap())
}

/// Independent CRC-32 (IEEE), bitwise.
pub fn crc32(data: &[u8]) -> u32 {
    let mut c = 0xFFFF_FFFFu32;
    for &b in data {
        c ^= u32::from(b);
        for _ in 0..8 {
            c = if c & 1 != 0 {
                (c >> 1) ^ 0xEDB8_8320
            } else {
                c >> 1
            };
        }
    }
    !c
}

/// Isolinux and its hybrid MBR from the Debian packages, when installed.
pub fn isolinux_files(test: &str) -> Option<(PathBuf, PathBuf)> {
    let bin = PathBuf::from("/usr/lib/ISOLINUX/isolinux.bin");
    let mbr = PathBuf::from("/usr/lib/ISOLINUX/isohdpfx.bin");
    if bin.is_file() && mbr.is_file() {
        Some((bin, mbr))
    } else {
        eprintln!("SKIP {test}: /usr/lib/ISOLINUX/isolinux.bin or isohdpfx.bin missing (Debian package isolinux)");
        None
    }
}

/// A FAT image holding `EFI/BOOT/BOOTX64.EFI` and `EFI/BOOT/grub.cfg`.
pub fn efi_fat_image(efi: &[u8], grub: &str) -> Vec<u8> {
    use std::io::Write;
    let mut disk = std::io::Cursor::new(vec![0u8; 2 << 20]);
    fatfs::format_volume(&mut disk, fatfs::FormatVolumeOptions::new()).unwrap();
    {
        let fs = fatfs::FileSystem::new(&mut disk, fatfs::FsOptions::new()).unwrap();
        {
            let boot = fs
                .root_dir()
                .create_dir("EFI")
                .unwrap()
                .create_dir("BOOT")
                .unwrap();
            boot.create_file("BOOTX64.EFI")
                .unwrap()
                .write_all(efi)
                .unwrap();
            boot.create_file("grub.cfg")
                .unwrap()
                .write_all(grub.as_bytes())
                .unwrap();
        }
        fs.unmount().unwrap();
    }
    disk.into_inner()
}
