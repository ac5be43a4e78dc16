//! `kslint repo` on its own: reuse of unchanged entries, the atomic switch,
//! removal of stale metadata, corrupt RPMs, comps discovery, and the RPMs
//! themselves left alone.

mod repo_common;

use std::path::Path;

use kslint::repo::{generate, GroupSource, RepoOptions};
use repo_common::*;

fn run_ok(args: &[&str]) -> String {
    let output = kslint(args);
    assert!(
        output.status.success(),
        "kslint {args:?}: {}",
        text(&output)
    );
    text(&output)
}

/// Replaces `path` with junk of the same size and puts its modification
/// time back: a reader that opens it fails; a stat-based check sees it
/// unchanged.
fn sabotage(path: &Path) -> Vec<u8> {
    let original = std::fs::read(path).unwrap();
    let time = mtime(path);
    std::fs::write(path, vec![0x5a; original.len()]).unwrap();
    std::fs::File::options()
        .write(true)
        .open(path)
        .unwrap()
        .set_modified(time)
        .unwrap();
    original
}

#[test]
fn update_reuses_unchanged_entries_without_reading_them() {
    let dir = tempfile::tempdir().unwrap();
    let root = seed_tree(dir.path());
    let root_arg = root.to_str().unwrap();
    let first = run_ok(&["repo", root_arg]);
    assert!(first.contains("5 package(s), 5 read, 0 reused"), "{first}");
    let before = Repodata::read(&root);

    // Every RPM unreadable but unchanged by size and time: an update must
    // not open any of them and must write the same entries.
    let packages = root.join("Packages");
    let names = [
        "alpha-1.2.3-4.el9.x86_64.rpm",
        "beta-1.0-1.el9.x86_64.rpm",
        "gamma-2.0-3.el9.x86_64.rpm",
        "zeta-0.1-1.noarch.rpm",
    ];
    let originals: Vec<Vec<u8>> = names.iter().map(|n| sabotage(&packages.join(n))).collect();
    let second = run_ok(&["repo", root_arg]);
    assert!(
        second.contains("5 package(s), 0 read, 5 reused"),
        "{second}"
    );
    let after = Repodata::read(&root);
    after.assert_consistent();
    for kind in ["primary", "filelists", "other"] {
        assert_eq!(before.document(kind), after.document(kind), "{kind}");
    }

    // Without --update the junk is read, and refused, naming the file.
    let output = kslint(&["repo", "--no-update", root_arg]);
    assert_eq!(output.status.code(), Some(2), "{}", text(&output));
    assert!(
        text(&output).contains("alpha-1.2.3-4.el9.x86_64.rpm"),
        "{}",
        text(&output)
    );

    // A changed RPM (new size and time) is read again; the others are not.
    for (name, bytes) in names.iter().zip(&originals) {
        std::fs::write(packages.join(name), bytes).unwrap();
        set_mtime(&packages.join(name), 1_700_000_100);
    }
    let (name, bytes) = small_package("beta", "1.0", "1.el9", 41);
    std::fs::write(packages.join(&name), bytes).unwrap();
    set_mtime(&packages.join(&name), 1_700_000_999);
    let third = run_ok(&["repo", root_arg]);
    assert!(third.contains("5 package(s), 1 read, 4 reused"), "{third}");
    let primary = Repodata::read(&root).document("primary");
    let beta = primary
        .children
        .iter()
        .find(|p| p.child("name").unwrap().text == "beta")
        .unwrap();
    assert_eq!(beta.child("time").unwrap().attr("file"), "1700000999");
    assert!(beta
        .child("description")
        .unwrap()
        .text
        .contains("number 41"));
}

#[test]
fn update_copies_unchanged_runs_compressed() {
    let dir = tempfile::tempdir().unwrap();
    let base = dir.path().join("repo");
    let files: Vec<(String, Vec<u8>)> = (0..120)
        .map(|i| small_package(&format!("pkg{i:03}"), "1.0", "1", i))
        .collect();
    write_rpms(&base.join("Packages"), &files, 1_700_000_000);
    let options = RepoOptions {
        group: GroupSource::None,
        ..RepoOptions::default()
    };
    let first = generate(&base, &options).unwrap();
    assert_eq!((first.packages, first.read), (120, 120));
    assert!(first.runs > 1, "{first:?}");

    // Same file name (seed 1002 is noarch like seed 60), new content.
    let (name, bytes) = small_package("pkg060", "1.0", "1", 1002);
    std::fs::write(base.join("Packages").join(&name), bytes).unwrap();
    let second = generate(&base, &options).unwrap();
    assert_eq!((second.read, second.reused), (1, 119));
    assert_eq!(second.copied_runs, second.runs - 1, "{second:?}");
    let repodata = Repodata::read(&base);
    repodata.assert_consistent();
    assert_eq!(repodata.document("primary").children.len(), 120);
    let described: Vec<String> = repodata
        .document("primary")
        .children
        .iter()
        .map(|p| p.child("description").unwrap().text.clone())
        .collect();
    assert!(described.iter().any(|d| d.contains("number 1002.")));

    // Nothing changed: every run is copied and the files are the same.
    let before = snapshot(&base.join("repodata"));
    let third = generate(&base, &options).unwrap();
    assert_eq!(third.copied_runs, third.runs);
    let after = snapshot(&base.join("repodata"));
    let names = |s: &std::collections::BTreeMap<String, _>| s.keys().cloned().collect::<Vec<_>>();
    assert_eq!(names(&before), names(&after));
    // The unchanged files were left in place, not written again, and their
    // records give the time of the file in place.
    for (name, (checksum, time)) in &before {
        if name != "repomd.xml" {
            assert_eq!(after.get(name), Some(&(checksum.clone(), *time)), "{name}");
        }
    }
    let repodata = Repodata::read(&base);
    repodata.assert_consistent();
    let repomd = std::fs::read_to_string(base.join("repodata/repomd.xml")).unwrap();
    for name in names(&after).iter().filter(|n| *n != "repomd.xml") {
        let seconds = mtime(&base.join("repodata").join(name))
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs();
        let record = repomd
            .split("</data>")
            .find(|r| r.contains(name.as_str()))
            .unwrap();
        assert!(
            record.contains(&format!("<timestamp>{seconds}</timestamp>")),
            "{name}: {record}"
        );
    }
}

#[test]
fn switch_is_atomic_keeps_foreign_records_and_removes_stale_files() {
    let dir = tempfile::tempdir().unwrap();
    let root = seed_tree(dir.path());
    let repodata = root.join("repodata");
    std::fs::create_dir_all(&repodata).unwrap();
    let sum = |c: char| c.to_string().repeat(64);
    // Old metadata as createrepo would leave it, plus files of other tools.
    let stale = [
        format!("{}-primary.xml.gz", sum('a')),
        format!("{}-filelists.sqlite.bz2", sum('b')),
        format!("{}-comps.xml", sum('c')),
        format!("{}-other.xml.gz", sum('d')), // not named by repomd.xml
        "repomd.xml.asc".to_string(),
    ];
    for name in &stale {
        std::fs::write(repodata.join(name), b"old").unwrap();
    }
    let modules = b"---\ndocument: modulemd\n";
    let modules_name = format!("{}-modules.yaml", sha256_hex(modules));
    std::fs::write(repodata.join(&modules_name), modules).unwrap();
    std::fs::write(repodata.join("README"), b"not ours").unwrap();
    let old_repomd = format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<repomd xmlns="http://linux.duke.edu/metadata/repo" xmlns:rpm="http://linux.duke.edu/metadata/rpm">
  <revision>1</revision>
  <data type="primary">
    <checksum type="sha256">{a}</checksum>
    <location href="repodata/{p}"/>
    <size>3</size>
  </data>
  <data type="filelists_db">
    <checksum type="sha256">{b}</checksum>
    <location href="repodata/{f}"/>
    <database_version>10</database_version>
  </data>
  <data type="group">
    <checksum type="sha256">{c}</checksum>
    <location href="repodata/{g}"/>
  </data>
  <data type="modules">
    <checksum type="sha256">{m}</checksum>
    <location href="repodata/{modules_name}"/>
    <timestamp>1</timestamp>
    <size>{size}</size>
  </data>
</repomd>
"#,
        a = sum('a'),
        b = sum('b'),
        c = sum('c'),
        p = stale[0],
        f = stale[1],
        g = stale[2],
        m = sha256_hex(modules),
        size = modules.len(),
    );
    std::fs::write(repodata.join("repomd.xml"), old_repomd).unwrap();
    // A temporary directory of a run that died.
    let dead = root.join(".repodata.tmp-999999999-1");
    std::fs::create_dir_all(&dead).unwrap();
    std::fs::write(dead.join("primary.xml.gz"), b"partial").unwrap();

    let output = run_ok(&["repo", root.to_str().unwrap()]);
    assert!(output.contains("kept modules"), "{output}");
    assert!(output.contains("removed 5 old file(s)"), "{output}");
    assert!(output.contains("not reused"), "{output}");
    assert_eq!(temp_dirs(&root), Vec::<String>::new());
    for name in &stale {
        assert!(!repodata.join(name).exists(), "{name} should be gone");
    }
    assert!(repodata.join("README").exists());
    let after = Repodata::read(&root);
    after.assert_consistent();
    let kinds: Vec<&str> = after.records.keys().map(String::as_str).collect();
    assert_eq!(
        kinds,
        [
            "filelists",
            "group",
            "group_gz",
            "modules",
            "other",
            "primary"
        ]
    );
    assert_eq!(after.records["modules"].plain, modules);
    // Nothing but what repomd.xml names, README and repomd.xml itself.
    let mut present: Vec<String> = std::fs::read_dir(&repodata)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    present.sort();
    let mut expected: Vec<String> = after
        .records
        .values()
        .map(|r| r.record.child("location").unwrap().attr("href")["repodata/".len()..].to_string())
        .chain(["README".to_string(), "repomd.xml".to_string()])
        .collect();
    expected.sort();
    assert_eq!(present, expected);
}

#[test]
fn corrupt_rpm_is_an_error_and_leaves_the_old_repodata() {
    let dir = tempfile::tempdir().unwrap();
    let root = seed_tree(dir.path());
    let root_arg = root.to_str().unwrap();
    run_ok(&["repo", root_arg]);
    let before = snapshot(&root.join("repodata"));

    let (_, bytes) = small_package("broken", "1", "1", 7);
    let broken = root.join("Packages").join("broken-1-1.x86_64.rpm");
    std::fs::write(&broken, &bytes[..bytes.len() / 3]).unwrap();
    std::fs::write(root.join("Packages").join("empty-0-0.x86_64.rpm"), b"").unwrap();
    let output = kslint(&["repo", root_arg]);
    assert_eq!(output.status.code(), Some(2), "{}", text(&output));
    let message = text(&output);
    assert!(
        message.contains("broken-1-1.x86_64.rpm") || message.contains("empty-0-0.x86_64.rpm"),
        "{message}"
    );
    assert!(!message.contains("panicked"), "{message}");
    assert_eq!(snapshot(&root.join("repodata")), before);
    assert_eq!(temp_dirs(&root), Vec::<String>::new());

    // Not an RPM at all.
    std::fs::remove_file(root.join("Packages").join("empty-0-0.x86_64.rpm")).unwrap();
    std::fs::write(&broken, b"<html>not found</html>").unwrap();
    let output = kslint(&["repo", root_arg]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        text(&output).contains("broken-1-1.x86_64.rpm: not an RPM file"),
        "{}",
        text(&output)
    );
    assert_eq!(snapshot(&root.join("repodata")), before);
}

#[test]
fn rpms_are_never_modified() {
    let dir = tempfile::tempdir().unwrap();
    let root = seed_tree(dir.path());
    let before = snapshot(&root.join("Packages"));
    run_ok(&["repo", root.to_str().unwrap()]);
    run_ok(&["repo", root.to_str().unwrap()]);
    run_ok(&["repo", "--no-update", root.to_str().unwrap()]);
    assert_eq!(snapshot(&root.join("Packages")), before);
}

#[test]
fn comps_comes_from_the_seed_layout_the_config_or_the_old_repodata() {
    let dir = tempfile::tempdir().unwrap();
    let root = seed_tree(dir.path());
    // From the project directory: build_iso/isolinux is found, and
    // build_iso/comps.xml beside it.
    let output = kslint_in(dir.path(), &["repo"]);
    assert!(output.status.success(), "{}", text(&output));
    assert!(
        text(&output).contains("group comps.xml"),
        "{}",
        text(&output)
    );
    let group = |root: &Path| Repodata::read(root).records["group"].plain.clone();
    assert_eq!(group(&root), COMPS.as_bytes());

    // Without the seed file, the old group record is kept.
    std::fs::remove_file(dir.path().join("build_iso/comps.xml")).unwrap();
    let output = run_ok(&["repo", root.to_str().unwrap()]);
    assert!(output.contains("group comps.xml"), "{output}");
    assert_eq!(group(&root), COMPS.as_bytes());

    // kslint.toml [media] comps wins; a malformed one is refused.
    std::fs::write(dir.path().join("other-comps.xml"), "<comps><group>").unwrap();
    std::fs::write(
        dir.path().join("kslint.toml"),
        "[media]\nroot = \"build_iso/isolinux\"\ncomps = \"other-comps.xml\"\n",
    )
    .unwrap();
    let output = kslint_in(dir.path(), &["repo"]);
    assert_eq!(output.status.code(), Some(2), "{}", text(&output));
    assert!(
        text(&output).contains("other-comps.xml"),
        "{}",
        text(&output)
    );
    assert!(
        text(&output).contains("malformed comps"),
        "{}",
        text(&output)
    );

    // --no-comps drops the group records.
    let output = run_ok(&["repo", "--no-comps", root.to_str().unwrap()]);
    assert!(!output.contains("group"), "{output}");
    let after = Repodata::read(&root);
    assert!(!after.records.contains_key("group"));
    assert!(!after.records.contains_key("group_gz"));
}

#[test]
fn broken_old_metadata_is_not_reused_and_is_named_at_its_line() {
    // A mistyped end tag inside the first package, in place: a search for
    // `<package` … `</package>` would still find every element.
    for (kind, good, bad) in [
        ("primary", "</summary>", "</sumary>"),
        ("filelists", "</file>", "</fiel>"),
        ("other", "</package>", "</pakage>"),
    ] {
        broken_old_record_is_regenerated(kind, good, bad);
    }
}

fn broken_old_record_is_regenerated(kind: &str, good: &str, bad: &str) {
    use std::io::Write;
    let dir = tempfile::tempdir().unwrap();
    let root = seed_tree(dir.path());
    let root_arg = root.to_str().unwrap();
    run_ok(&["repo", root_arg]);
    let old = Repodata::read(&root);
    let href = old.records[kind]
        .record
        .child("location")
        .unwrap()
        .attr("href")
        .to_string();
    let plain = String::from_utf8(old.records[kind].plain.clone()).unwrap();
    let broken = plain.replacen(good, bad, 1);
    assert_ne!(broken, plain, "{kind} has no {good}");
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(broken.as_bytes()).unwrap();
    std::fs::write(root.join(&href), gz.finish().unwrap()).unwrap();

    let output = run_ok(&["repo", root_arg]);
    assert!(output.contains("not reused"), "{kind}: {output}");
    assert!(
        output.contains(&href),
        "{kind}: the note names the file: {output}"
    );
    assert!(output.contains("malformed XML at "), "{kind}: {output}");
    assert!(
        output.contains("5 package(s), 5 read, 0 reused"),
        "{kind}: {output}"
    );
    let new = Repodata::read(&root);
    new.assert_consistent();
    let text = String::from_utf8(new.records[kind].plain.clone()).unwrap();
    assert!(!text.contains(bad), "{kind}: the broken element was copied");
    assert_eq!(new.document(kind).children.len(), 5, "{kind}");
}

/// The file of `kind` that `repodata/repomd.xml` names.
fn named_file(root: &Path, kind: &str) -> std::path::PathBuf {
    let repomd = std::fs::read_to_string(root.join("repodata/repomd.xml")).unwrap();
    let record = &repomd[repomd.find(&format!("<data type=\"{kind}\">")).unwrap()..];
    let href = &record[record.find("href=\"").unwrap() + 6..];
    root.join(&href[..href.find('"').unwrap()])
}

#[test]
fn leftover_of_a_new_files_name_that_no_repomd_names_is_not_trusted() {
    let dir = tempfile::tempdir().unwrap();
    let root = seed_tree(dir.path());
    let root_arg = root.to_str().unwrap();
    let rpm = root.join("Packages/beta-1.0-1.el9.x86_64.rpm");
    let aside = dir.path().join("beta.rpm");
    run_ok(&["repo", root_arg]);
    // The primary.xml.gz a run without beta writes, then the repodata
    // with beta again.
    std::fs::rename(&rpm, &aside).unwrap();
    run_ok(&["repo", root_arg]);
    let without_beta = named_file(&root, "primary");
    let good = std::fs::read(&without_beta).unwrap();
    std::fs::rename(&aside, &rpm).unwrap();
    run_ok(&["repo", root_arg]);
    assert!(!without_beta.exists(), "a stale file was kept");

    // What a run killed before its files were synced may leave: the name,
    // the size, not the bytes. The next run writes the file again.
    std::fs::write(&without_beta, vec![0u8; good.len()]).unwrap();
    std::fs::rename(&rpm, &aside).unwrap();
    run_ok(&["repo", root_arg]);
    assert_eq!(named_file(&root, "primary"), without_beta);
    assert!(
        std::fs::read(&without_beta).unwrap() == good,
        "the leftover was kept"
    );
}
