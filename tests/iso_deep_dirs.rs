//! Directories deeper than the 8 levels of ISO 9660: relocated in the
//! ISO 9660 tree with Rock Ridge `CL`/`PL`/`RE` (RRIP 4.1.5), in place for
//! Rock Ridge readers (xorriso) and in the Joliet tree.

#[path = "iso/common.rs"]
mod common;

use std::collections::{BTreeSet, HashMap};
use std::fs;
use std::path::Path;

use common::*;
use kslint::iso::{self, Control, IsoOptions, Tree};

fn opts() -> IsoOptions {
    IsoOptions {
        volume_id: "DEEP".into(),
        timestamp: Some(1_700_000_000),
        ..IsoOptions::default()
    }
}

/// 14 nested levels with a file in each, two deep directories with the
/// same name (they meet in the relocation directory), a link across a
/// relocation, a deep directory with a long name (its record needs a
/// continuation area), an empty deep directory, and a real `rr_moved`.
fn deep_tree(root: &Path) {
    let mut p = root.to_path_buf();
    for i in 1..=14u64 {
        p = p.join(format!("level-{i:02}"));
        write(
            &p.join(format!("file-{i}.txt")),
            &bytes(i, 300 * i as usize),
        );
    }
    let chain = "level-01/level-02/level-03/level-04/level-05/level-06/level-07";
    std::os::unix::fs::symlink("../file-7.txt", root.join(chain).join("level-08/up-link")).unwrap();
    write(&root.join("x/2/3/4/5/6/7/same/a.txt"), b"first same\n");
    write(&root.join("y/2/3/4/5/6/7/same/b.txt"), b"second same\n");
    let long = "a-directory-name-long-enough-to-need-a-continuation-area-".repeat(3);
    write(
        &root
            .join("z/2/3/4/5/6/7")
            .join(&long)
            .join("9/10/deepest.bin"),
        &bytes(99, 5000),
    );
    fs::create_dir_all(root.join("e/2/3/4/5/6/7/8/9/10/11")).unwrap();
    write(
        &root.join("rr_moved/mine.txt"),
        b"a real directory of that name\n",
    );
}

fn build(src: &Path, iso_path: &Path) -> iso::Image {
    let image = iso::prepare(Tree::from_dir(src).unwrap(), &opts()).unwrap();
    image.write_file(iso_path, &mut Control::default()).unwrap();
    image
}

/// Extent of each directory, from the `.` line of an `isoinfo -l` listing.
fn dir_extents(listing: &str) -> HashMap<String, u32> {
    let mut map = HashMap::new();
    let mut current: Option<String> = None;
    for line in listing.lines() {
        if let Some(d) = line.strip_prefix("Directory listing of ") {
            current = Some(d.trim_end().to_string());
        } else if line.ends_with("  . ") {
            if let Some(d) = current.take() {
                let lba = line.split('[').nth(1).unwrap().split_whitespace().next();
                map.insert(d, lba.unwrap().parse().unwrap());
            }
        }
    }
    map
}

/// One directory record: identifier, flags, extent and system use area.
struct Record {
    ident: Vec<u8>,
    flags: u8,
    extent: u32,
    system_use: Vec<u8>,
}

fn records(image: &[u8], lba: u32) -> Vec<Record> {
    let start = lba as usize * 2048;
    let size = u32_le(image, start + 10) as usize; // the "." record's data length
    let mut out = Vec::new();
    let mut at = start;
    while at < start + size {
        let len = image[at] as usize;
        if len == 0 {
            at = (at / 2048 + 1) * 2048;
            continue;
        }
        let r = &image[at..at + len];
        let id_len = r[32] as usize;
        let su_start = 33 + id_len + usize::from(id_len % 2 == 0);
        out.push(Record {
            ident: r[33..33 + id_len].to_vec(),
            flags: r[25],
            extent: u32_le(r, 2),
            system_use: r[su_start..].to_vec(),
        });
        at += len;
    }
    out
}

/// The data of the first SUSP entry with this signature in a system use area.
fn susp<'a>(su: &'a [u8], sig: &[u8; 2]) -> Option<&'a [u8]> {
    let mut at = 0;
    while at + 4 <= su.len() {
        let len = su[at + 2] as usize;
        if len < 4 || at + len > su.len() {
            return None;
        }
        if &su[at..at + 2] == sig {
            return Some(&su[at + 4..at + len]);
        }
        at += len;
    }
    None
}

#[test]
fn deep_directories_round_trip_through_xorriso() {
    if !have("xorriso", "xorriso", "deep_directories_round_trip") {
        return;
    }
    let s = Scratch::new("deep-xorriso");
    let src = s.join("src");
    deep_tree(&src);
    let iso_path = s.join("deep.iso");
    let image = build(&src, &iso_path);
    assert!(
        image
            .notes()
            .iter()
            .any(|n| n.contains("nest deeper than the 8 levels") && n.contains("/RR_MOVED000")),
        "{:?}",
        image.notes()
    );
    let dest = s.join("out");
    extract(&iso_path, &dest);
    let want = snapshot(&src);
    let got = snapshot(&dest);
    let a: BTreeSet<_> = want.keys().collect();
    let b: BTreeSet<_> = got.keys().collect();
    assert_eq!(
        a, b,
        "xorriso sees exactly the real tree (no relocation directory)"
    );
    for (path, w) in &want {
        let g = &got[path];
        assert_eq!((w.0, &w.2), (g.0, &g.2), "kind and content of {path}");
        if w.0 != 'l' {
            assert_eq!(w.1, g.1, "mode of {path}");
        }
    }
    assert!(
        want.keys().any(|k| k.matches('/').count() >= 14),
        "tree is 14+ deep"
    );
}

#[test]
fn primary_tree_stays_within_8_levels_with_cl_pl_re() {
    if !have(
        "isoinfo",
        "genisoimage",
        "primary_tree_stays_within_8_levels",
    ) {
        return;
    }
    let s = Scratch::new("deep-isoinfo");
    let src = s.join("src");
    deep_tree(&src);
    let iso_path = s.join("deep.iso");
    build(&src, &iso_path);
    let iso_str = iso_path.to_str().unwrap();

    // The plain ISO 9660 tree: no directory below level 8 (root = level 1).
    let plain = run_ok("isoinfo", &["-l", "-i", iso_str]);
    let extents = dir_extents(&plain);
    let deepest = extents
        .keys()
        .map(|d| d.matches('/').count() - 1)
        .max()
        .unwrap();
    assert!(deepest <= 7, "ISO 9660 depth {} > 8:\n{plain}", deepest + 1);
    for d in [
        "/RR_MOVED000/LEVEL_08/",
        "/RR_MOVED000/LEVEL_14/",
        "/RR_MOVED/",
        "/RR_MOVED000/SAME/",
        "/RR_MOVED000/SAME000/",
        "/RR_MOVED000/8/9/10/11/",
    ] {
        assert!(extents.contains_key(d), "{d} in\n{plain}");
    }

    // isoinfo does not follow CL: it shows the placeholder (a zero-length
    // entry with the directory's Rock Ridge mode) and the relocation directory.
    let rr = run_ok("isoinfo", &["-R", "-l", "-i", iso_str]);
    let chain7 = "/level-01/level-02/level-03/level-04/level-05/level-06/level-07/";
    let section = rr
        .split("Directory listing of ")
        .find(|s| s.starts_with(&format!("{chain7}\n")))
        .unwrap_or_else(|| panic!("{chain7} listed:\n{rr}"));
    let placeholder = section
        .lines()
        .find(|l| l.ends_with("  level-08 "))
        .expect("placeholder listed");
    assert!(placeholder.starts_with('d'), "{placeholder}");
    assert!(placeholder.contains("[      0 00]"), "{placeholder}");
    assert!(
        rr.contains("Directory listing of /rr_moved000/level-08/\n"),
        "{rr}"
    );

    // Raw records: CL in the placeholder, PL in the relocated `..`, RE in the relocation directory.
    let image = fs::read(&iso_path).unwrap();
    let l07 = extents["/LEVEL_01/LEVEL_02/LEVEL_03/LEVEL_04/LEVEL_05/LEVEL_06/LEVEL_07/"];
    let moved = extents["/RR_MOVED000/"];
    let l08 = extents["/RR_MOVED000/LEVEL_08/"];
    let recs = records(&image, l07);
    let ph = recs
        .iter()
        .find(|r| r.ident == b"LEVEL_08")
        .expect("placeholder");
    assert_eq!(ph.flags & 0x02, 0, "the placeholder is a file record");
    let cl = susp(&ph.system_use, b"CL").expect("CL entry");
    assert_eq!(u32_le(cl, 0), l08, "CL points at the relocated directory");
    assert_eq!(u32::from_be_bytes(cl[4..8].try_into().unwrap()), l08);
    let inner = records(&image, l08);
    assert_eq!(inner[1].ident, [1], "second record is ..");
    assert_eq!(
        inner[1].extent, moved,
        ".. is the relocation directory in ISO 9660"
    );
    let pl = susp(&inner[1].system_use, b"PL").expect("PL entry");
    assert_eq!(u32_le(pl, 0), l07, "PL points at the original parent");
    let in_moved = records(&image, moved);
    let rec08 = in_moved.iter().find(|r| r.ident == b"LEVEL_08").unwrap();
    assert!(
        susp(&rec08.system_use, b"RE").is_some(),
        "RE on the relocated entry"
    );
    let root = records(&image, extents["/"]);
    let own = root.iter().find(|r| r.ident == b"RR_MOVED000").unwrap();
    assert!(
        susp(&own.system_use, b"RE").is_some(),
        "relocation directory hidden"
    );
    let theirs = root.iter().find(|r| r.ident == b"RR_MOVED").unwrap();
    assert!(
        susp(&theirs.system_use, b"RE").is_none(),
        "the tree's rr_moved stays"
    );
    // The long-named deep directory: its placeholder's CL is in the record even
    // though its name spills into a continuation area.
    let z7 = extents["/Z/2/3/4/5/6/7/"];
    let long = records(&image, z7)
        .into_iter()
        .find(|r| r.ident != [0] && r.ident != [1])
        .unwrap();
    assert!(
        susp(&long.system_use, b"CE").is_some(),
        "long name continues"
    );
    let cl = susp(&long.system_use, b"CL").expect("CL in the record");
    assert!(extents
        .iter()
        .any(|(d, &l)| d.starts_with("/RR_MOVED000/") && l == u32_le(cl, 0)));

    // Joliet keeps the real hierarchy.
    let joliet = run_ok("isoinfo", &["-J", "-f", "-i", iso_str]);
    let jpaths: BTreeSet<String> = joliet
        .lines()
        .filter(|l| l.starts_with('/'))
        .map(|l| l.trim_end_matches(";1").to_string())
        .collect();
    // (Joliet names are cut at 103 characters; the tree's names are ASCII.)
    let real: BTreeSet<String> = snapshot(&src)
        .keys()
        .map(|k| {
            k.split('/')
                .map(|c| format!("/{}", &c[..c.len().min(103)]))
                .collect()
        })
        .collect();
    assert_eq!(jpaths, real, "Joliet tree is the real tree");
}

#[test]
fn without_rock_ridge_deep_directories_stay_in_place() {
    let s = Scratch::new("deep-plain");
    let src = s.join("src");
    deep_tree(&src);
    let mut o = opts();
    o.rock_ridge = false;
    let image = iso::prepare(Tree::from_dir(&src).unwrap(), &o).unwrap();
    assert!(
        image
            .notes()
            .iter()
            .any(|n| n.contains("recorded in place")),
        "{:?}",
        image.notes()
    );
    assert!(image.notes().iter().all(|n| !n.contains("RR_MOVED")));
}
