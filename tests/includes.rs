//! `%include` / `%ksappend` followed through the real analysis.

use std::path::Path;

use kslint::analysis::{analyze_path, Analysis, CheckOptions};

fn check(path: &Path, options: &CheckOptions) -> Analysis {
    analyze_path(path, options).expect("read kickstart")
}

/// (file name, code, message) of every diagnostic.
fn findings(analysis: &Analysis) -> Vec<(String, &'static str, String)> {
    analysis
        .diagnostics
        .iter()
        .map(|d| {
            let path = &analysis.sources.get(d.location.file).path;
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            (name, d.rule.code, d.message.clone())
        })
        .collect()
}

#[test]
fn included_files_are_checked_in_place_and_reported_with_their_own_path() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("parts")).unwrap();
    std::fs::write(
        dir.path().join("ks.cfg"),
        "lang C\n%include parts/disk.ks\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("parts/disk.ks"),
        "zerombr\n%include net.ks\n",
    )
    .unwrap();
    std::fs::write(dir.path().join("parts/net.ks"), "%pakages\n%end\n").unwrap();
    let analysis = check(&dir.path().join("ks.cfg"), &CheckOptions::default());
    assert_eq!(analysis.included.len(), 2);
    let found = findings(&analysis);
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].0, "net.ks");
    assert_eq!(found[0].1, "KS0002");
}

#[test]
fn missing_files_and_cycles_are_errors() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("a.ks"),
        "%include b.ks\n%include nowhere.ks\n",
    )
    .unwrap();
    std::fs::write(dir.path().join("b.ks"), "%include a.ks\n").unwrap();
    let analysis = check(&dir.path().join("a.ks"), &CheckOptions::default());
    let found = findings(&analysis);
    let codes: Vec<_> = found
        .iter()
        .map(|(file, code, _)| (file.as_str(), *code))
        .collect();
    assert_eq!(codes, [("a.ks", "KS0013"), ("b.ks", "KS0014")], "{found:?}");
    assert!(found[0].2.contains("nowhere.ks") && found[0].2.contains("does not exist"));
    assert_eq!(found[1].2, "include cycle: a.ks → b.ks → a.ks");
}

#[test]
fn install_time_files_need_a_pre_script_that_writes_them() {
    let dir = tempfile::tempdir().unwrap();
    let ks = dir.path().join("ks.cfg");
    std::fs::write(
        &ks,
        "%include /tmp/part-include\n%include /tmp/net-include\n\
         %pre\necho 'autopart' > /tmp/part-include\n%end\n",
    )
    .unwrap();
    let found = findings(&check(&ks, &CheckOptions::default()));
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].1, "KS0013");
    assert!(found[0].2.contains("/tmp/net-include"), "{}", found[0].2);
}

#[test]
fn media_mount_paths_map_to_the_media_root_and_outside_files_are_not_read() {
    let dir = tempfile::tempdir().unwrap();
    let media = dir.path().join("media");
    std::fs::create_dir_all(media.join("ks")).unwrap();
    std::fs::write(media.join("ks/common.ks"), "%frob\n%end\n").unwrap();
    let work = dir.path().join("work");
    std::fs::create_dir(&work).unwrap();
    std::fs::write(dir.path().join("secret.ks"), "%frob\n%end\n").unwrap();
    let ks = work.join("ks.cfg");
    std::fs::write(
        &ks,
        "%include /run/install/repo/ks/common.ks\n%include ../secret.ks\n%include http://example.com/x.ks\n",
    )
    .unwrap();
    let options = CheckOptions {
        media: Some(media.clone()),
        ..CheckOptions::default()
    };
    let found = findings(&check(&ks, &options));
    let codes: Vec<_> = found
        .iter()
        .map(|(file, code, _)| (file.as_str(), *code))
        .collect();
    assert_eq!(
        codes,
        [("ks.cfg", "KS0015"), ("common.ks", "KS0002")],
        "{found:?}"
    );
}
