//! The ISO 9660 / Rock Ridge / Joliet writer, read back with xorriso and isoinfo.

#[path = "iso/common.rs"]
mod common;

use std::collections::BTreeSet;
use std::fs;
use std::io::{Seek, SeekFrom, Write};
use std::os::unix::fs::FileExt;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use common::*;
use kslint::iso::{self, Control, FileSource, IsoError, IsoOptions, Meta, Tree};

fn opts() -> IsoOptions {
    IsoOptions {
        volume_id: "KSLINT_TEST".into(),
        timestamp: Some(1_700_000_000),
        ..IsoOptions::default()
    }
}

fn build(root: &Path, out: &Path, o: &IsoOptions) -> iso::Image {
    let image = iso::prepare(Tree::from_dir(root).unwrap(), o).unwrap();
    image.write_file(out, &mut Control::default()).unwrap();
    image
}

#[test]
fn rock_ridge_round_trip_is_byte_identical() {
    if !have(
        "xorriso",
        "xorriso",
        "rock_ridge_round_trip_is_byte_identical",
    ) {
        return;
    }
    let s = Scratch::new("rr");
    let src = s.join("src");
    varied_tree(&src);
    let before = snapshot(&src);
    let iso = s.join("out.iso");
    build(&src, &iso, &opts());
    let dest = s.join("extracted");
    extract(&iso, &dest);
    let after = snapshot(&dest);
    let a: BTreeSet<_> = before.keys().collect();
    let b: BTreeSet<_> = after.keys().collect();
    assert_eq!(a, b, "same set of paths");
    for (path, want) in &before {
        let got = &after[path];
        assert_eq!(want.0, got.0, "kind of {path}");
        assert_eq!(want.2, got.2, "content or link target of {path}");
        if want.0 == 'f' {
            assert_eq!(want.1, got.1, "mode of {path}");
        }
    }
    // Hard links share one copy of the data.
    let listing = run_ok("isoinfo", &["-R", "-l", "-i", iso.to_str().unwrap()]);
    let lba_of = |name: &str| -> String {
        let line = listing
            .lines()
            .find(|l| l.ends_with(&format!("  {name} ")))
            .unwrap_or_else(|| panic!("{name} listed"));
        line.split('[')
            .nth(1)
            .unwrap()
            .split_whitespace()
            .next()
            .unwrap()
            .to_string()
    };
    assert_eq!(lba_of("README"), lba_of("hardlink-to-readme"));
    assert!(
        listing.contains(&"n".repeat(255)),
        "255-byte Rock Ridge name"
    );
}

#[test]
fn isoinfo_sees_volume_rock_ridge_and_joliet() {
    if !have(
        "isoinfo",
        "genisoimage",
        "isoinfo_sees_volume_rock_ridge_and_joliet",
    ) {
        return;
    }
    let s = Scratch::new("pvd");
    let src = s.join("src");
    varied_tree(&src);
    let iso = s.join("out.iso");
    let mut o = opts();
    o.volume_id = "CentOS 7 x86_64".into();
    o.publisher = "kslint tests".into();
    let image = build(&src, &iso, &o);
    let d = run_ok("isoinfo", &["-d", "-i", iso.to_str().unwrap()]);
    assert!(d.contains("Volume id: CentOS 7 x86_64"), "{d}");
    assert!(d.contains("Publisher id: kslint tests"), "{d}");
    assert!(d.contains("Rock Ridge signatures version 1 found"), "{d}");
    assert!(d.contains("Joliet with UCS level 3 found"), "{d}");
    assert!(
        d.contains(&format!("Volume size is: {}", image.size() / 2048)),
        "{d}"
    );
    assert_eq!(fs::metadata(&iso).unwrap().len(), image.size());
}

#[test]
fn joliet_names_keep_case_unicode_and_extension() {
    if !have(
        "isoinfo",
        "genisoimage",
        "joliet_names_keep_case_unicode_and_extension",
    ) {
        return;
    }
    let s = Scratch::new("joliet");
    let src = s.join("src");
    varied_tree(&src);
    let iso = s.join("out.iso");
    build(&src, &iso, &opts());
    let j = run_ok("isoinfo", &["-J", "-l", "-i", iso.to_str().unwrap()]);
    let long = format!("{}.rpm", "very-long-package-name-".repeat(9));
    let cut = format!("{}.rpm", &long[..103 - 4]);
    assert!(
        j.contains(&cut),
        "103-character Joliet name with its extension: {cut}\n{j}"
    );
    assert!(j.contains("lower.TXT") && j.contains("LOWER.txt"), "{j}");
    // isoinfo prints non-ASCII Joliet names lossily; xorriso without Rock Ridge loads the Joliet tree.
    if have(
        "xorriso",
        "xorriso",
        "joliet_names_keep_case_unicode_and_extension",
    ) {
        let x = run_ok(
            "xorriso",
            &[
                "-read_fs",
                "norock",
                "-indev",
                iso.to_str().unwrap(),
                "-find",
                "/",
            ],
        );
        assert!(x.contains("'/Grüße/Übung €.txt'"), "{x}");
        assert!(x.contains(&format!("'/Packages/{cut}'")), "{x}");
    }
}

#[test]
fn primary_names_are_unique_and_follow_the_level() {
    if !have(
        "isoinfo",
        "genisoimage",
        "primary_names_are_unique_and_follow_the_level",
    ) {
        return;
    }
    let s = Scratch::new("level");
    let src = s.join("src");
    varied_tree(&src);
    for level in [1u8, 2] {
        let iso = s.join(&format!("l{level}.iso"));
        let mut o = opts();
        o.iso_level = level;
        let image = build(&src, &iso, &o);
        assert!(
            !image.renamed().is_empty(),
            "MixedCase/ has two names that mangle alike"
        );
        let l = run_ok("isoinfo", &["-l", "-i", iso.to_str().unwrap()]);
        let mut dir = String::new();
        let mut seen = BTreeSet::new();
        for line in l.lines() {
            if let Some(d) = line.strip_prefix("Directory listing of ") {
                dir = d.to_string();
                continue;
            }
            let Some(name) = line.split("] ").nth(1) else {
                continue;
            };
            let name = name.trim();
            if name == "." || name == ".." || name.is_empty() {
                continue;
            }
            assert!(seen.insert(format!("{dir}{name}")), "duplicate {dir}{name}");
            let stem = name.trim_end_matches(";1");
            assert!(
                stem.chars()
                    .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_' || c == '.'),
                "{name}"
            );
            if level == 1 {
                let (base, ext) = stem.split_once('.').unwrap_or((stem, ""));
                assert!(
                    base.len() <= 8 && ext.len() <= 3,
                    "8.3 name at level 1: {name}"
                );
            } else {
                assert!(stem.len() <= 31, "{name}");
            }
        }
        assert!(seen.len() > 130);
    }
}

#[test]
fn output_is_reproducible_across_tree_copies() {
    let s = Scratch::new("repro");
    let a = s.join("a");
    varied_tree(&a);
    // A second copy written later: newer mtimes, clamped to the fixed time.
    let b = s.join("b");
    varied_tree(&b);
    let o = opts();
    let (ia, ib, ia2) = (s.join("a.iso"), s.join("b.iso"), s.join("a2.iso"));
    build(&a, &ia, &o);
    build(&b, &ib, &o);
    build(&a, &ia2, &o);
    let (x, y, z) = (
        fs::read(&ia).unwrap(),
        fs::read(&ib).unwrap(),
        fs::read(&ia2).unwrap(),
    );
    assert!(x == z, "same tree, same bytes");
    assert!(x == y, "two copies of a tree, same bytes");
}

#[test]
fn streaming_equals_file_output() {
    let s = Scratch::new("stream");
    let src = s.join("src");
    varied_tree(&src);
    let image = iso::prepare(Tree::from_dir(&src).unwrap(), &opts()).unwrap();
    let mut streamed = Vec::new();
    assert!(image
        .write_to(&mut streamed, &mut Control::default())
        .unwrap()
        .is_none());
    image
        .write_file(&s.join("f.iso"), &mut Control::default())
        .unwrap();
    assert_eq!(streamed.len() as u64, image.size());
    assert!(streamed == fs::read(s.join("f.iso")).unwrap());
}

#[test]
fn in_memory_files_can_be_injected() {
    if !have("xorriso", "xorriso", "in_memory_files_can_be_injected") {
        return;
    }
    let s = Scratch::new("inject");
    let src = s.join("src");
    write(&src.join("ks/ks.cfg"), b"on disk\n");
    let mut tree = Tree::from_dir(&src).unwrap();
    let meta = Meta {
        mode: 0o644,
        uid: 0,
        gid: 0,
        mtime: 1_600_000_000,
    };
    tree.insert_file(
        "ks/ks.cfg",
        FileSource::Bytes(Arc::new(b"injected\n".to_vec())),
        meta,
    )
    .unwrap();
    tree.insert_file(
        "new/dir/extra.cfg",
        FileSource::Bytes(Arc::new(b"extra\n".to_vec())),
        meta,
    )
    .unwrap();
    let iso = s.join("out.iso");
    iso::build(tree, &opts(), &iso, &mut Control::default()).unwrap();
    let dest = s.join("x");
    extract(&iso, &dest);
    assert_eq!(fs::read(dest.join("ks/ks.cfg")).unwrap(), b"injected\n");
    assert_eq!(
        fs::read(dest.join("new/dir/extra.cfg")).unwrap(),
        b"extra\n"
    );
    assert_eq!(
        fs::read(src.join("ks/ks.cfg")).unwrap(),
        b"on disk\n",
        "source untouched"
    );
}

#[test]
fn trans_tbl_lists_the_real_names() {
    if !have("isoinfo", "genisoimage", "trans_tbl_lists_the_real_names") {
        return;
    }
    let s = Scratch::new("transtbl");
    let src = s.join("src");
    write(&src.join("isolinux/isolinux.cfg"), b"x\n");
    write(
        &src.join("Packages/demo-base-1.0-1.el7.noarch.rpm"),
        b"rpm\n",
    );
    write(&src.join("TRANS.TBL"), b"stale table from an old build\n");
    let iso = s.join("out.iso");
    let mut o = opts();
    o.trans_tbl = true;
    o.iso_level = 1;
    build(&src, &iso, &o);
    let table = run_ok(
        "isoinfo",
        &["-i", iso.to_str().unwrap(), "-x", "/PACKAGES/TRANS.TBL;1"],
    );
    assert!(table.contains("F DEMO_BAS.RPM;1"), "{table}");
    assert!(
        table.trim_end().ends_with("demo-base-1.0-1.el7.noarch.rpm"),
        "{table}"
    );
    let root = run_ok(
        "isoinfo",
        &["-i", iso.to_str().unwrap(), "-x", "/TRANS.TBL;1"],
    );
    assert!(
        root.contains("D ISOLINUX") && !root.contains("stale"),
        "{root}"
    );
}

#[test]
fn joliet_collisions_are_refused() {
    let s = Scratch::new("jcoll");
    let src = s.join("src");
    write(&src.join("dir/a:b.txt"), b"1");
    write(&src.join("dir/a_b.txt"), b"2");
    let err = iso::prepare(Tree::from_dir(&src).unwrap(), &opts())
        .err()
        .expect("refused");
    let msg = err.to_string();
    assert!(matches!(err, IsoError::NameCollision { .. }), "{msg}");
    assert!(
        msg.contains("collide")
            && msg.contains("a:b.txt")
            && msg.contains("a_b.txt")
            && msg.contains("/dir"),
        "{msg}"
    );
    // Without Joliet the same tree is fine (Rock Ridge keeps both names).
    let mut o = opts();
    o.joliet = false;
    assert!(iso::prepare(Tree::from_dir(&src).unwrap(), &o).is_ok());
}

#[test]
fn escaping_symlinks_are_refused() {
    let s = Scratch::new("escape");
    for (i, target) in ["../../etc/passwd", "/etc/passwd", "sub/../../.."]
        .iter()
        .enumerate()
    {
        let src = s.join(&format!("src{i}"));
        write(&src.join("sub/file"), b"x");
        std::os::unix::fs::symlink(target, src.join("sub/link")).unwrap();
        let err = Tree::from_dir(&src)
            .err()
            .unwrap_or_else(|| panic!("{target} refused"));
        let msg = err.to_string();
        assert!(
            msg.contains("points outside the tree") && msg.contains(target),
            "{msg}"
        );
    }
    // A link that climbs but stays inside is fine.
    let ok = s.join("ok");
    write(&ok.join("a/file"), b"x");
    std::os::unix::fs::symlink("../a/file", ok.join("a/link")).unwrap();
    assert!(Tree::from_dir(&ok).is_ok());
}

fn mid_build_failure(name: &str, act: fn(&Path)) -> IsoError {
    let s = Scratch::new(name);
    let src = s.join("src");
    write(&src.join("a-first.bin"), &bytes(1, 100_000));
    write(&src.join("z-last.bin"), &bytes(2, 100_000));
    let image = iso::prepare(Tree::from_dir(&src).unwrap(), &opts()).unwrap();
    let out = s.join("out.iso");
    fs::write(&out, b"previous image").unwrap();
    let victim = src.join("z-last.bin");
    let mut done = false;
    let mut cb = |p: &iso::Progress<'_>| {
        if p.current == "/a-first.bin" && !done {
            act(&victim);
            done = true;
        }
    };
    let err = image
        .write_file(
            &out,
            &mut Control {
                progress: Some(&mut cb),
                cancel: None,
            },
        )
        .expect_err("fails");
    assert_eq!(
        fs::read(&out).unwrap(),
        b"previous image",
        "target untouched"
    );
    let leftovers: Vec<_> = fs::read_dir(s.path())
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().contains("kslint-tmp"))
        .collect();
    assert!(leftovers.is_empty(), "temporary file removed");
    err
}

#[test]
fn a_file_vanishing_mid_build_is_an_error() {
    let err = mid_build_failure("vanish", |p| fs::remove_file(p).unwrap());
    assert!(matches!(err, IsoError::FileVanished { .. }), "{err}");
    assert!(
        err.to_string().contains("z-last.bin") && err.to_string().contains("vanished"),
        "{err}"
    );
}

#[test]
fn a_file_changing_size_mid_build_is_an_error() {
    let err = mid_build_failure("grow", |p| {
        fs::OpenOptions::new()
            .append(true)
            .open(p)
            .unwrap()
            .write_all(b"more")
            .unwrap()
    });
    assert!(
        matches!(
            err,
            IsoError::FileChanged {
                expected: 100_000,
                actual: 100_004,
                ..
            }
        ),
        "{err}"
    );
}

#[test]
fn a_file_rewritten_with_the_same_size_mid_build_is_an_error() {
    let err = mid_build_failure("rewrite", |p| {
        let f = fs::OpenOptions::new().write(true).open(p).unwrap();
        f.write_all_at(&bytes(9, 100_000), 0).unwrap();
        // A time no scan could have seen, whatever the clock granularity.
        f.set_modified(std::time::UNIX_EPOCH + std::time::Duration::from_secs(12_345))
            .unwrap();
    });
    assert!(matches!(err, IsoError::FileModified { .. }), "{err}");
    assert!(
        err.to_string().contains("z-last.bin") && err.to_string().contains("modified"),
        "{err}"
    );
}

#[test]
fn cancel_stops_and_leaves_no_output() {
    let s = Scratch::new("cancel");
    let src = s.join("src");
    write(&src.join("a.bin"), &bytes(1, 50_000));
    write(&src.join("b.bin"), &bytes(2, 50_000));
    let image = iso::prepare(Tree::from_dir(&src).unwrap(), &opts()).unwrap();
    let flag = AtomicBool::new(false);
    let mut seen = Vec::new();
    let mut cb = |p: &iso::Progress<'_>| {
        seen.push((p.done, p.total, p.current.to_string()));
        if p.current == "/a.bin" {
            flag.store(true, Ordering::Relaxed);
        }
    };
    let out = s.join("out.iso");
    let err = image
        .write_file(
            &out,
            &mut Control {
                progress: Some(&mut cb),
                cancel: Some(&flag),
            },
        )
        .err();
    assert!(matches!(err, Some(IsoError::Cancelled)));
    assert!(!out.exists());
    assert!(seen.iter().all(|(d, t, _)| d <= t && *t == image.size()));
}

/// A writer that turns all-zero writes into holes, so a 4 GiB image costs no disk space.
struct Sparse(fs::File);

impl Write for Sparse {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        static ZERO: [u8; 1 << 16] = [0; 1 << 16];
        if buf.chunks(ZERO.len()).all(|c| c == &ZERO[..c.len()]) {
            self.0.seek(SeekFrom::Current(buf.len() as i64))?;
            Ok(buf.len())
        } else {
            self.0.write(buf)
        }
    }
    fn flush(&mut self) -> std::io::Result<()> {
        let end = self.0.stream_position()?;
        self.0.set_len(end)?;
        self.0.flush()
    }
}

#[test]
fn files_of_4_gib_and_more_use_multiple_extents() {
    if !have(
        "xorriso",
        "xorriso",
        "files_of_4_gib_and_more_use_multiple_extents",
    ) {
        return;
    }
    let s = Scratch::new("multi");
    let src = s.join("src");
    fs::create_dir_all(&src).unwrap();
    let size: u64 = (4 << 30) + 3 * 1024 * 1024 + 5;
    let big = fs::File::create(src.join("huge.img")).unwrap();
    big.set_len(size).unwrap();
    let marks: [(u64, &[u8]); 3] = [
        (0, b"START"),
        (0xFFFF_F800 - 2, b"SPLIT"),
        (size - 3, b"END"),
    ];
    for (at, m) in marks {
        use std::os::unix::fs::FileExt;
        big.write_all_at(m, at).unwrap();
    }
    drop(big);
    write(&src.join("small.txt"), b"after the big file\n");
    let mut o = opts();
    o.joliet = true;
    let image = iso::prepare(Tree::from_dir(&src).unwrap(), &o).unwrap();
    let iso = s.join("big.iso");
    let mut w = Sparse(fs::File::create(&iso).unwrap());
    image.write_to(&mut w, &mut Control::default()).unwrap();
    let l = run_ok("isoinfo", &["-R", "-l", "-i", iso.to_str().unwrap()]);
    assert!(
        l.matches("huge.img").count() >= 2,
        "one record per extent: {l}"
    );
    let lsl = run_ok(
        "xorriso",
        &["-indev", iso.to_str().unwrap(), "-lsl", "/huge.img"],
    );
    assert!(lsl.contains(&size.to_string()), "{lsl}");
    // The extents, as isoinfo lists them: contiguous, the first one 0xFFFFF800 bytes long.
    let lbas: Vec<(u64, u64)> = l
        .lines()
        .filter(|x| x.ends_with(" huge.img "))
        .map(|x| {
            let size: u64 = x.split_whitespace().nth(4).unwrap().parse().unwrap();
            let lba: u64 = x
                .split('[')
                .nth(1)
                .unwrap()
                .split_whitespace()
                .next()
                .unwrap()
                .parse()
                .unwrap();
            (lba, size)
        })
        .collect();
    assert_eq!(lbas.len(), 2, "{l}");
    assert_eq!(lbas[0].1, 0xFFFF_F800);
    assert_eq!(lbas[0].1 + lbas[1].1, size);
    assert_eq!(lbas[1].0, lbas[0].0 + 0xFFFF_F800 / 2048);
    let img = fs::File::open(&iso).unwrap();
    for (at, m) in marks {
        use std::os::unix::fs::FileExt;
        let mut got = vec![0u8; m.len()];
        img.read_exact_at(&mut got, lbas[0].0 * 2048 + at).unwrap();
        assert_eq!(got, m, "bytes at {at}");
    }
    let tail = s.join("small.txt");
    run_ok(
        "xorriso",
        &[
            "-osirrox",
            "on",
            "-indev",
            iso.to_str().unwrap(),
            "-extract",
            "/small.txt",
            tail.to_str().unwrap(),
        ],
    );
    assert_eq!(fs::read(&tail).unwrap(), b"after the big file\n");
    // Level 2 cannot hold it.
    let mut o2 = opts();
    o2.iso_level = 2;
    let err = iso::prepare(Tree::from_dir(&src).unwrap(), &o2)
        .err()
        .expect("refused")
        .to_string();
    assert!(err.contains("ISO level 3"), "{err}");
}
