//! The side cache of `kslint repo` (see `kslint::repo::cache`): an update
//! that reads the old metadata from it writes exactly what a full run
//! writes, and a cache that is absent, stale or damaged is not used and
//! changes nothing in the result.

mod repo_common;

use std::path::{Path, PathBuf};

use kslint::repo::cache::{read_index, write_index, Index};
use kslint::repo::{generate, GroupSource, RepoOptions, RepoSummary};
use repo_common::*;

const PACKAGES: u32 = 200;
/// The package the damaged-cache tests change.
const CHANGED: u32 = 120;

struct Fixture {
    _dir: tempfile::TempDir,
    base: PathBuf,
    cache_root: PathBuf,
    /// Where full runs for comparison are made.
    scratch: PathBuf,
}

impl Fixture {
    /// A repository of [`PACKAGES`] RPMs, its first run made (and cached).
    fn new() -> Fixture {
        let dir = tempfile::tempdir().unwrap();
        let base = dir.path().join("repo");
        let files: Vec<(String, Vec<u8>)> = (0..PACKAGES)
            .map(|i| small_package(&format!("pkg{i:03}"), "1.0", "1", i))
            .collect();
        write_rpms(&base.join("Packages"), &files, 1_700_000_000);
        let fixture = Fixture {
            cache_root: dir.path().join("cache"),
            scratch: dir.path().join("scratch"),
            base,
            _dir: dir,
        };
        let first = fixture.update();
        assert!(!first.from_cache);
        fixture
    }

    fn options(&self, update: bool, cache: bool) -> RepoOptions {
        RepoOptions {
            group: GroupSource::None,
            update,
            revision: Some("1".to_string()),
            cache: cache.then(|| self.cache_root.clone()),
            ..RepoOptions::default()
        }
    }

    fn update(&self) -> RepoSummary {
        generate(&self.base, &self.options(true, true)).unwrap()
    }

    fn cache_dir(&self) -> PathBuf {
        let entries: Vec<PathBuf> = std::fs::read_dir(&self.cache_root)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        assert_eq!(entries.len(), 1, "{entries:?}");
        entries[0].clone()
    }

    /// Replaces package `i` by a new build (other content, size and time).
    fn change(&self, i: u32, seed: u32) {
        let (name, bytes) = small_package(&format!("pkg{i:03}"), "1.0", "1", i);
        let path = self.base.join("Packages").join(&name);
        std::fs::remove_file(&path).unwrap();
        let (_, new) = small_package(&format!("pkg{i:03}"), "1.0", "1", seed);
        assert_ne!(new, bytes);
        // Same file name whatever the arch of the seed.
        std::fs::write(&path, new).unwrap();
        set_mtime(&path, 1_700_000_000 + u64::from(seed));
    }

    /// The update's result equals a full run over the same RPMs.
    fn assert_same_as_full_run(&self) {
        let _ = std::fs::remove_dir_all(&self.scratch);
        copy_tree(&self.base.join("Packages"), &self.scratch.join("Packages"));
        generate(&self.scratch, &self.options(false, false)).unwrap();
        let (ours, full) = (Written::read(&self.base), Written::read(&self.scratch));
        for kind in ["primary", "filelists", "other"] {
            assert!(
                ours.texts[kind] == full.texts[kind],
                "{kind}.xml differs from a full run's"
            );
        }
        assert_eq!(ours.records, full.records);
    }

    /// The primary.xml text of each gzip member, as package names.
    fn members(&self) -> Vec<Vec<String>> {
        let written = Written::read(&self.base);
        let bytes = std::fs::read(self.base.join(&written.hrefs["primary"])).unwrap();
        let mut plain = Vec::new();
        let members = kslint::repo::gz::members(&bytes, &mut plain, 1 << 30).unwrap();
        members
            .iter()
            .map(|m| {
                let text = String::from_utf8_lossy(&plain[m.plain.clone()]).into_owned();
                text.split("<name>")
                    .skip(1)
                    .map(|rest| rest[..rest.find('<').unwrap()].to_string())
                    .collect()
            })
            .collect()
    }
}

/// The three documents and the repomd.xml records (without times).
struct Written {
    texts: std::collections::BTreeMap<String, Vec<u8>>,
    hrefs: std::collections::BTreeMap<String, String>,
    records: Vec<String>,
}

impl Written {
    fn read(base: &Path) -> Written {
        let repomd = std::fs::read_to_string(base.join("repodata/repomd.xml")).unwrap();
        let mut written = Written {
            texts: Default::default(),
            hrefs: Default::default(),
            records: Vec::new(),
        };
        for record in repomd.split("<data ").skip(1) {
            let record = record.split("</data>").next().unwrap();
            let kind = between(record, "type=\"", "\"");
            let href = between(record, "href=\"", "\"");
            let timestamp = between(record, "<timestamp>", "</timestamp>");
            written.records.push(record.replace(&timestamp, "T"));
            let bytes = std::fs::read(base.join(&href)).unwrap();
            written.texts.insert(kind.clone(), decompress(&bytes));
            written.hrefs.insert(kind, href);
        }
        written
    }
}

fn between(text: &str, start: &str, end: &str) -> String {
    let rest = &text[text.find(start).unwrap() + start.len()..];
    rest[..rest.find(end).unwrap()].to_string()
}

#[test]
fn one_rpm_changed_added_or_removed() {
    let fixture = Fixture::new();
    fixture.change(100, 1000);
    let summary = fixture.update();
    assert!(summary.from_cache, "{summary:?}");
    assert_eq!(summary.read, 1);
    assert_eq!(summary.copied_runs, summary.runs - 1, "{summary:?}");
    fixture.assert_same_as_full_run();

    let (name, bytes) = small_package("pkg0505", "1.0", "1", 505);
    write_rpms(
        &fixture.base.join("Packages"),
        &[(name.clone(), bytes)],
        1_700_000_000,
    );
    let summary = fixture.update();
    assert!(summary.from_cache);
    assert_eq!((summary.packages, summary.read), (201, 1));
    fixture.assert_same_as_full_run();

    std::fs::remove_file(fixture.base.join("Packages").join(&name)).unwrap();
    std::fs::remove_file(fixture.base.join("Packages/pkg007-1.0-1.x86_64.rpm")).unwrap();
    let summary = fixture.update();
    assert!(summary.from_cache);
    assert_eq!((summary.packages, summary.read), (199, 0));
    fixture.assert_same_as_full_run();

    // Nothing changed: every member copied, the text never hashed again.
    let summary = fixture.update();
    assert!(summary.from_cache);
    assert_eq!(summary.copied_runs, summary.runs);
    fixture.assert_same_as_full_run();
}

#[test]
fn first_and_last_package_of_a_member_and_all_packages_changed() {
    let fixture = Fixture::new();
    let members = fixture.members();
    assert!(members.len() > 4, "{members:?}");
    // members[0] is the head; [1] the first run of packages.
    let number = |name: &str| name.trim_start_matches("pkg").parse::<u32>().unwrap();
    let first = number(&members[2][0]);
    let last = number(members[3].last().unwrap());
    for (i, changed) in [first, last].into_iter().enumerate() {
        fixture.change(changed, 2000 + i as u32);
        let summary = fixture.update();
        assert!(summary.from_cache);
        assert_eq!(summary.read, 1);
        fixture.assert_same_as_full_run();
    }
    // The first package of all (its member starts the hashed part).
    fixture.change(0, 3000);
    assert!(fixture.update().from_cache);
    fixture.assert_same_as_full_run();

    for i in 0..PACKAGES {
        fixture.change(i, 4000 + i);
    }
    let summary = fixture.update();
    assert!(summary.from_cache);
    assert_eq!((summary.read, summary.copied_runs), (PACKAGES as usize, 0));
    fixture.assert_same_as_full_run();
    // And the cache written then is good for the next one.
    fixture.change(50, 5000);
    assert!(fixture.update().from_cache);
    fixture.assert_same_as_full_run();
}

#[test]
fn absent_cache_falls_back_to_the_old_files() {
    let fixture = Fixture::new();
    std::fs::remove_dir_all(&fixture.cache_root).unwrap();
    fixture.change(10, 1000);
    let summary = fixture.update();
    assert!(!summary.from_cache);
    assert_eq!(summary.read, 1);
    fixture.assert_same_as_full_run();
    // That run made the cache again.
    fixture.change(11, 1001);
    assert!(fixture.update().from_cache);
    fixture.assert_same_as_full_run();
}

/// Damages the cache with `damage`, changes an RPM, and checks the update
/// did not use the cache and still wrote what a full run writes.
fn damaged_cache_is_not_used(damage: impl Fn(&Path)) {
    let fixture = Fixture::new();
    damage(&fixture.cache_dir());
    fixture.change(CHANGED, 1000);
    let summary = fixture.update();
    assert!(!summary.from_cache, "a damaged cache was used");
    assert_eq!(summary.read, 1);
    fixture.assert_same_as_full_run();
    fixture.change(121, 1001);
    assert!(
        fixture.update().from_cache,
        "the cache was not written again"
    );
    fixture.assert_same_as_full_run();
}

/// Rewrites the index with `edit`, with a valid checksum (so that only the
/// other checks can find the damage).
fn edit_index(dir: &Path, edit: impl Fn(&mut Index)) {
    let mut index = read_index(dir).expect("a valid index");
    let before = index.clone();
    edit(&mut index);
    assert_ne!(index, before, "the edit changed nothing");
    write_index(dir, &index).unwrap();
}

/// The primary member holding the entry of the package the damaged-cache
/// tests change (its text is read: the member is rebuilt).
fn member_of_changed(index: &Index) -> usize {
    let entry = CHANGED as usize;
    index.files[0]
        .members
        .iter()
        .position(|m| m.packages.contains(&entry))
        .unwrap()
}

#[test]
fn truncated_or_flipped_index_is_not_used() {
    damaged_cache_is_not_used(|dir| {
        let path = dir.join("index");
        let bytes = std::fs::read(&path).unwrap();
        std::fs::write(&path, &bytes[..bytes.len() / 2]).unwrap();
    });
    // Any change (here a byte of the member table) fails its checksum.
    damaged_cache_is_not_used(|dir| {
        let path = dir.join("index");
        let mut bytes = std::fs::read(&path).unwrap();
        let at = bytes.len() / 3;
        bytes[at] ^= 1;
        std::fs::write(&path, &bytes).unwrap();
    });
}

#[test]
fn edited_member_table_is_not_used() {
    // A member that no longer tiles the file.
    damaged_cache_is_not_used(|dir| {
        edit_index(dir, |index| index.files[0].members[3].text.end = 7)
    });
    // Its text taken from elsewhere in the blob: not its member's CRC.
    damaged_cache_is_not_used(|dir| {
        edit_index(dir, |index| {
            let member = member_of_changed(index);
            index.files[1].members[member].blob += 1;
        })
    });
    // Packages given to the wrong member.
    damaged_cache_is_not_used(|dir| {
        edit_index(dir, |index| index.files[2].members[2].packages.end -= 1)
    });
    // Package ranges that are not elements.
    damaged_cache_is_not_used(|dir| {
        edit_index(dir, |index| {
            let member = &index.files[0].members[member_of_changed(index)];
            // Another package of the member, whose element is copied.
            let entry = member
                .packages
                .clone()
                .find(|&p| p != CHANGED as usize)
                .unwrap();
            index.files[0].packages[entry].range.start += 1;
        })
    });
    // A package range turned inside out: refused, not a panic.
    damaged_cache_is_not_used(|dir| {
        edit_index(dir, |index| {
            let member = &index.files[0].members[member_of_changed(index)];
            let entry = member
                .packages
                .clone()
                .find(|&p| p != CHANGED as usize)
                .unwrap();
            let range = &mut index.files[0].packages[entry].range;
            *range = range.end..range.start;
        })
    });
    // A last member claiming far more text than its bytes could inflate
    // to: refused before any memory is given to it.
    damaged_cache_is_not_used(|dir| {
        edit_index(dir, |index| {
            let file = &mut index.files[1];
            file.members.last_mut().unwrap().text.end = 1 << 40;
            file.end.length = 1 << 40;
            file.end.tail.clear();
        })
    });
}

#[test]
fn wrong_hash_in_the_cache_is_not_used() {
    // The checksum it records is not the one repomd.xml gives.
    damaged_cache_is_not_used(|dir| {
        edit_index(dir, |index| index.files[2].checksum = "0".repeat(64))
    });
    // A hash state whose tail does not fit its length.
    damaged_cache_is_not_used(|dir| edit_index(dir, |index| index.files[1].end.length += 1));
}

#[test]
fn damaged_blob_is_not_used() {
    damaged_cache_is_not_used(|dir| {
        let index = read_index(dir).unwrap();
        let member = &index.files[0].members[member_of_changed(&index)];
        let blob = dir.join(&index.blob);
        let mut bytes = std::fs::read(&blob).unwrap();
        let at = member.blob as usize + member.text.len() / 2;
        bytes[at] ^= 0x20;
        std::fs::write(&blob, &bytes).unwrap();
    });
}

#[test]
fn damaged_text_read_only_to_be_hashed_is_not_used() {
    // The text of a copied member after the rebuilt one is read while
    // writing, only to be hashed: the run starts over without the cache.
    damaged_cache_is_not_used(|dir| {
        let index = read_index(dir).unwrap();
        let file = &index.files[2];
        let after = member_of_changed(&index) + 1;
        assert!(after + 1 < file.members.len(), "not a copied member");
        let member = &file.members[after];
        let blob = dir.join(&index.blob);
        let mut bytes = std::fs::read(&blob).unwrap();
        bytes[member.blob as usize + member.text.len() / 2] ^= 0x20;
        std::fs::write(&blob, &bytes).unwrap();
    });
}

#[test]
fn rpm_rewritten_in_place_is_read_again() {
    // Rewritten where it is: its directory does not change, only its
    // own modification time says so.
    let fixture = Fixture::new();
    let path = fixture.base.join("Packages/pkg077-1.0-1.x86_64.rpm");
    let bytes = std::fs::read(&path).unwrap();
    std::fs::OpenOptions::new()
        .write(true)
        .open(&path)
        .and_then(|mut file| std::io::Write::write_all(&mut file, &bytes))
        .unwrap();
    set_mtime(&path, 1_700_000_777);
    let summary = fixture.update();
    assert!(summary.from_cache);
    assert_eq!(summary.read, 1);
    fixture.assert_same_as_full_run();
}

#[test]
fn stale_cache_of_repodata_written_without_it_is_not_used() {
    let fixture = Fixture::new();
    // A run that does not keep the cache: the cache describes files that
    // are gone.
    fixture.change(30, 1000);
    generate(&fixture.base, &fixture.options(true, false)).unwrap();
    fixture.change(31, 1001);
    let summary = fixture.update();
    assert!(!summary.from_cache);
    assert_eq!(summary.read, 1);
    fixture.assert_same_as_full_run();
}

#[test]
fn repodata_of_createrepo_c_is_updated_without_cache() {
    if !createrepo_available() {
        eprintln!("createrepo_c not installed: skipped");
        return;
    }
    let fixture = Fixture::new();
    std::fs::remove_dir_all(fixture.base.join("repodata")).unwrap();
    createrepo(&["-q", "--no-database", fixture.base.to_str().unwrap()]);
    fixture.change(60, 1000);
    let summary = fixture.update();
    assert!(!summary.from_cache);
    assert_eq!(summary.read, 1);
    fixture.assert_same_as_full_run();
    fixture.change(61, 1001);
    assert!(fixture.update().from_cache);
    fixture.assert_same_as_full_run();
}

#[test]
fn other_readers_see_every_member() {
    let fixture = Fixture::new();
    fixture.change(100, 1000);
    fixture.update();
    assert!(fixture.members().len() > 4);
    let written = Written::read(&fixture.base);
    for (kind, href) in &written.hrefs {
        let path = fixture.base.join(href);
        let expected = PACKAGES as usize;
        // zcat (gzip's own reader) and Python's gzip module.
        if let Ok(output) = std::process::Command::new("zcat").arg(&path).output() {
            let text = String::from_utf8_lossy(&output.stdout);
            assert_eq!(text.matches("<package ").count(), expected, "zcat {kind}");
        }
        let script = "import gzip,sys; print(gzip.open(sys.argv[1]).read().count(b'<package '))";
        if let Ok(output) = std::process::Command::new("python3")
            .args(["-c", script])
            .arg(&path)
            .output()
        {
            if output.status.success() {
                let count = String::from_utf8_lossy(&output.stdout);
                assert_eq!(count.trim(), expected.to_string(), "python gzip {kind}");
            }
        }
    }
}
