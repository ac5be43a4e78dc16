//! Images read back by an independent pure-Rust reader (the `isomage` crate):
//! the Joliet tree and, without Joliet, the Rock Ridge tree.

#[path = "iso/common.rs"]
mod common;

use std::fs;
use std::path::Path;

use common::*;
use kslint::iso::{self, Control, IsoOptions, Tree};

fn check_with_isomage(
    src: &Path,
    iso_path: &Path,
    names_fit: impl Fn(&str) -> bool,
    where_in_image: impl Fn(&str) -> String,
) -> usize {
    let mut file = fs::File::open(iso_path).unwrap();
    let root = isomage::detect_and_parse_filesystem(&mut file, "test.iso")
        .expect("isomage parses the image");
    let mut checked = 0;
    for (path, (kind, _, data)) in snapshot(src) {
        if kind != 'f' || !path.split('/').all(&names_fit) {
            continue;
        }
        let at = where_in_image(&path);
        let node = root
            .find_node(&at)
            .unwrap_or_else(|| panic!("isomage finds {path} at {at}"));
        let mut out = Vec::new();
        isomage::cat_node(&mut file, node, &mut out).unwrap();
        assert!(out == data, "bytes of {path}");
        checked += 1;
    }
    checked
}

#[test]
fn joliet_tree_reads_back_with_isomage() {
    let s = Scratch::new("isomage-j");
    let src = s.join("src");
    varied_tree(&src);
    let iso_path = s.join("j.iso");
    let opts = IsoOptions {
        volume_id: "ISOMAGE".into(),
        timestamp: Some(1),
        ..IsoOptions::default()
    };
    iso::build(
        Tree::from_dir(&src).unwrap(),
        &opts,
        &iso_path,
        &mut Control::default(),
    )
    .unwrap();
    // Joliet keeps names up to 103 characters.
    let n = check_with_isomage(
        &src,
        &iso_path,
        |c| c.chars().count() <= 103,
        |p| p.to_string(),
    );
    assert!(n > 120, "{n} files checked");
}

#[test]
fn rock_ridge_tree_reads_back_with_isomage() {
    let s = Scratch::new("isomage-rr");
    let src = s.join("src");
    varied_tree(&src);
    let iso_path = s.join("rr.iso");
    let opts = IsoOptions {
        volume_id: "ISOMAGE".into(),
        joliet: false,
        timestamp: Some(1),
        ..IsoOptions::default()
    };
    iso::build(
        Tree::from_dir(&src).unwrap(),
        &opts,
        &iso_path,
        &mut Control::default(),
    )
    .unwrap();
    // isomage does not follow SUSP continuation areas (CE), where names too long
    // for the directory record go; xorriso, isoinfo and Linux read those (see
    // iso_writer.rs), so here only names that fit in the record are compared.
    // Nor does it follow the CL of a relocated directory (RRIP 4.1.5): it
    // finds the 9th level of a/b/c/... where the ISO 9660 tree keeps it, in
    // the relocation directory (see iso_deep_dirs.rs for readers that do).
    let deep = "a/b/c/d/e/f/g/h/";
    let n = check_with_isomage(
        &src,
        &iso_path,
        |c| c.len() <= 100,
        |p| match p.strip_prefix(deep) {
            Some(rest) => format!("rr_moved/h/{rest}"),
            None => p.to_string(),
        },
    );
    assert!(n > 120, "{n} files checked");
}
