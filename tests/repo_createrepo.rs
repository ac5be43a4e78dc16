//! `kslint repo` against `createrepo_c -g` on copies of the same tree,
//! compared field by field after parsing both.
//!
//! Compared: the set of records (minus createrepo's `*_db` sqlite records,
//! which kslint does not make), the comps file of the group records, and
//! every element, attribute and text of every package in primary.xml,
//! filelists.xml and other.xml, in order (NEVRA, pkgid, location, header
//! range, sizes, times, all dependency lists with flags/epoch/ver/rel/pre,
//! files, changelogs, …), plus the root elements (`packages` count).
//! Not compared, because they must differ: the revision and timestamps
//! (time of the run) and the checksums, sizes and file names of the
//! compressed files (different gzip streams). Each side's records are
//! checked against its own files instead.

mod repo_common;

use std::path::Path;

use repo_common::*;

fn skip() -> bool {
    if createrepo_available() {
        return false;
    }
    println!("SKIP: createrepo_c not installed");
    true
}

fn compare(ours: &Repodata, theirs: &Repodata) {
    ours.assert_consistent();
    theirs.assert_consistent();
    let kinds = |r: &Repodata| -> Vec<String> {
        r.records
            .keys()
            .filter(|k| !k.ends_with("_db"))
            .cloned()
            .collect()
    };
    assert_eq!(kinds(ours), kinds(theirs), "record types");
    for kind in ["group", "group_gz"] {
        if let (Some(a), Some(b)) = (ours.records.get(kind), theirs.records.get(kind)) {
            assert_eq!(a.plain, b.plain, "{kind} content");
        }
    }
    for kind in ["primary", "filelists", "other"] {
        let (a, b) = (ours.document(kind), theirs.document(kind));
        assert_eq!(a.name, b.name, "{kind} root");
        assert_eq!(a.attrs, b.attrs, "{kind} root attributes");
        assert_eq!(a.text, b.text);
        let key = |e: &Element| match kind {
            "primary" => e
                .child("location")
                .map_or(String::new(), |l| l.attr("href").to_string()),
            _ => e.attr("pkgid").to_string(),
        };
        let keys_a: Vec<String> = a.children.iter().map(key).collect();
        let keys_b: Vec<String> = b.children.iter().map(key).collect();
        assert_eq!(keys_a, keys_b, "{kind}: packages and their order");
        for (x, y) in a.children.iter().zip(&b.children) {
            if let Some(difference) = x.diff(y, kind) {
                panic!("{kind} differs for {}: {difference}", key(x));
            }
        }
        let same_bytes = ours.records[kind].plain == theirs.records[kind].plain;
        println!("{kind}.xml byte-identical to createrepo_c's: {same_bytes}");
    }
}

fn comps_of(root: &Path) -> String {
    root.parent()
        .expect("build_iso")
        .join("comps.xml")
        .display()
        .to_string()
}

#[test]
fn matches_createrepo_c_field_by_field() {
    if skip() {
        return;
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let ours_root = seed_tree(&dir.path().join("ours"));
    let theirs_top = dir.path().join("theirs");
    copy_tree(&dir.path().join("ours"), &theirs_top);
    let theirs_root = theirs_top.join("build_iso").join("isolinux");

    let output = kslint(&["repo", ours_root.to_str().unwrap()]);
    assert!(output.status.success(), "{}", text(&output));
    assert!(
        text(&output).contains("group comps.xml"),
        "{}",
        text(&output)
    );
    createrepo(&[
        "-q",
        "-g",
        &comps_of(&theirs_root),
        theirs_root.to_str().unwrap(),
    ]);

    let ours = Repodata::read(&ours_root);
    let theirs = Repodata::read(&theirs_root);
    assert_eq!(ours.document("primary").children.len(), 5);
    compare(&ours, &theirs);

    // The media reader (KS2011's) finds nothing stale in what we wrote.
    let layout = kslint::media::MediaLayout::at(&ours_root, None).expect("layout");
    let (index, _) = kslint::media::MediaIndex::load_with(layout, None);
    assert!(index.stale.is_empty(), "{:?}", index.stale);
    assert!(index.problems.is_empty(), "{:?}", index.problems);
    assert_eq!(index.packages.len(), 5);
}

#[test]
fn createrepo_c_reads_and_reuses_our_metadata() {
    if skip() {
        return;
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let root = seed_tree(dir.path());
    let output = kslint(&["repo", root.to_str().unwrap()]);
    assert!(output.status.success(), "{}", text(&output));
    let ours = Repodata::read(&root);

    // createrepo_c --update parses our (multi-member gzip) files with zlib
    // and finds every entry current: it reads no RPM.
    let read_list = dir.path().join("read.txt");
    createrepo(&[
        "-q",
        "--update",
        "--read-pkgs-list",
        read_list.to_str().unwrap(),
        "-g",
        &comps_of(&root),
        root.to_str().unwrap(),
    ]);
    let read = std::fs::read_to_string(&read_list).unwrap_or_default();
    assert!(read.trim().is_empty(), "createrepo_c re-read: {read}");
    let theirs = Repodata::read(&root);
    compare(&ours, &theirs);

    // And we reuse theirs: nothing read, same content.
    let output = kslint(&["repo", root.to_str().unwrap()]);
    assert!(output.status.success(), "{}", text(&output));
    assert!(
        text(&output).contains(", 0 read, 5 reused"),
        "{}",
        text(&output)
    );
    let again = Repodata::read(&root);
    compare(&again, &theirs);
    assert!(
        !again.records.keys().any(|k| k.ends_with("_db")),
        "createrepo_c's sqlite records are removed (stale after us)"
    );
}

/// RPMs made by rpmbuild (real signature headers, payload sizes, file
/// modes, scriptlet flags) when it is installed.
#[test]
fn matches_createrepo_c_on_rpmbuild_packages() {
    if skip() {
        return;
    }
    if std::process::Command::new("rpmbuild")
        .arg("--version")
        .output()
        .is_err()
    {
        println!("SKIP: rpmbuild not installed");
        return;
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let top = dir.path().join("rpmbuild");
    let spec = top.join("SPECS/foo.spec");
    std::fs::create_dir_all(spec.parent().unwrap()).unwrap();
    let mut text_spec = String::from(
        "Name: foo\nVersion: 1.0\nRelease: 2\nEpoch: 3\nSummary: Foo & <bar>\nLicense: MIT\nURL: http://example.com\nGroup: System/Tools\nVendor: ACME\nPackager: Joe <joe@example.com>\nBuildArch: noarch\nRequires(pre): /bin/sh\nRequires(post): coreutils\nRequires: bar >= 1.2-3\nRequires: /etc/foo.conf\nRequires: libc.so.6(GLIBC_2.4)\nRequires: libc.so.6(GLIBC_2.14)\nProvides: foo-virtual = 2\nRecommends: baz\nSuggests: qux > 1\nSupplements: zzz\nEnhances: yyy\nConflicts: old < 1\nObsoletes: older <= 0.9\n%description\nLine one\nLine two \"quoted\" & <tagged>\n\n%install\nmkdir -p %{buildroot}/etc %{buildroot}/usr/bin %{buildroot}/usr/share/foo\necho hi > %{buildroot}/etc/foo.conf\necho hi > %{buildroot}/usr/bin/foo\necho hi > %{buildroot}/usr/share/foo/data\n%pre\necho pre\n%post\necho post\n%files\n%config /etc/foo.conf\n/usr/bin/foo\n%dir /usr/share/foo\n/usr/share/foo/data\n%ghost /var/log/foo.log\n%changelog\n",
    );
    for i in 1..=12 {
        text_spec.push_str(&format!(
            "* Mon Jan {:02} 2024 Joe <joe@example.com> - 1.0-{i}\n- change {i}\n\n",
            29 - i
        ));
    }
    std::fs::write(&spec, text_spec).unwrap();
    let built = std::process::Command::new("rpmbuild")
        .arg("--define")
        .arg(format!("_topdir {}", top.display()))
        .args(["--quiet", "-bb"])
        .arg(&spec)
        .output()
        .expect("rpmbuild");
    if !built.status.success() {
        println!("SKIP: rpmbuild failed: {}", text(&built));
        return;
    }
    let ours = dir.path().join("ours");
    std::fs::create_dir_all(ours.join("Packages")).unwrap();
    for entry in std::fs::read_dir(top.join("RPMS/noarch")).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(entry.path(), ours.join("Packages").join(entry.file_name())).unwrap();
    }
    std::fs::write(dir.path().join("comps.xml"), COMPS).unwrap();
    let theirs = dir.path().join("theirs");
    copy_tree(&ours, &theirs);
    let comps = dir.path().join("comps.xml").display().to_string();
    let output = kslint(&["repo", "-g", &comps, ours.to_str().unwrap()]);
    assert!(output.status.success(), "{}", text(&output));
    createrepo(&["-q", "-g", &comps, theirs.to_str().unwrap()]);
    compare(&Repodata::read(&ours), &Repodata::read(&theirs));
}
