//! Media awareness through the built binary (`kslint check --format json`,
//! `kslint media check|info`) and the header cache.

mod media_common;

use std::path::Path;
use std::process::{Command, Output};

use kslint::media::{MediaIndex, MediaLayout};
use media_common::*;

fn kslint(args: &[&str], cache: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_kslint"))
        .args(args)
        .env("KSLINT_CACHE_DIR", cache)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("run kslint")
}

fn json(output: &Output) -> serde_json::Value {
    serde_json::from_slice(&output.stdout).unwrap_or_else(|error| {
        panic!(
            "not JSON ({error}): {}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        )
    })
}

#[test]
fn the_example_media_is_used_and_clean() {
    let cache = tempfile::tempdir().unwrap();
    let output = kslint(
        &["check", "--format", "json", "examples/centos7-media"],
        cache.path(),
    );
    let value = json(&output);
    assert_eq!(media_codes(&value), Vec::<String>::new(), "{value:#}");
    assert_eq!(output.status.code(), Some(0), "{value:#}");
    // The media really is read: the same kickstart with a typo fails.
    let dir = tempfile::tempdir().unwrap();
    copy_dir(Path::new("examples/centos7-media"), dir.path());
    let ks = dir.path().join("build_iso/isolinux/ks/ks.cfg");
    let text = std::fs::read_to_string(&ks)
        .unwrap()
        .replace("\nhttpd\n", "\nhttpdd\n");
    std::fs::write(&ks, text).unwrap();
    let output = kslint(
        &["check", "--format", "json", ks.to_str().unwrap()],
        cache.path(),
    );
    let value = json(&output);
    assert_eq!(output.status.code(), Some(1), "{value:#}");
    let first = value["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["code"] == "KS2002")
        .unwrap();
    assert_eq!(first["code"], "KS2002");
    assert_eq!(first["start"]["column"], 1);
    assert_eq!(first["end"]["column"], 7);

    let output = kslint(
        &[
            "media",
            "info",
            "--format",
            "json",
            "examples/centos7-media",
        ],
        cache.path(),
    );
    let info = json(&output);
    assert_eq!(info["release"]["syntax"], "RHEL7");
    assert_eq!(info["layout"], "seed");
    assert_eq!(info["groups"].as_array().unwrap().len(), 2);
    assert_eq!(info["environments"][0]["id"], "minimal-environment");
    assert!(info["packages"].as_u64().unwrap() >= 10);
    let output = kslint(&["media", "check", "examples/centos7-media"], cache.path());
    assert_eq!(output.status.code(), Some(0), "{output:?}");
}

/// The KS2xxx codes of a JSON report, in order.
fn media_codes(value: &serde_json::Value) -> Vec<String> {
    value["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|d| d["code"].as_str())
        .filter(|code| code.starts_with("KS2"))
        .map(str::to_string)
        .collect()
}

fn copy_dir(from: &Path, to: &Path) {
    let from = Path::new(env!("CARGO_MANIFEST_DIR")).join(from);
    for entry in std::fs::read_dir(&from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            std::fs::create_dir_all(&target).unwrap();
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

#[test]
fn media_check_is_a_closed_set_test() {
    let specs = vec![
        rpm("bash", "4.2").provides("/bin/sh"),
        rpm("httpd", "2.4.6")
            .requires("/bin/sh")
            .requires("libapr-1.so.0()(64bit)"),
        rpm("mod_ssl", "2.4.6").requires("httpd = 2.4.6-1.el7"),
        rpm("old", "1.0").conflicts("bash < 5"),
    ];
    let tree = SeedTree::new(&specs, &comps(&[], &[]));
    let cache = tempfile::tempdir().unwrap();
    let root = tree.root();
    let output = kslint(
        &["media", "check", "--format", "json", root.to_str().unwrap()],
        cache.path(),
    );
    let value = json(&output);
    assert_eq!(output.status.code(), Some(1), "{value:#}");
    assert_eq!(
        value["unresolved"],
        serde_json::json!([{
            "package": "httpd-2.4.6-1.el7.x86_64",
            "location": "Packages/httpd-2.4.6-1.el7.x86_64.rpm",
            "requires": "libapr-1.so.0()(64bit)",
        }])
    );
    assert_eq!(value["conflicts"][0]["with"], "bash-4.2-1.el7.x86_64");
    let human = kslint(&["media", "check", root.to_str().unwrap()], cache.path());
    let text = String::from_utf8_lossy(&human.stdout);
    assert!(
        text.contains("libapr-1.so.0()(64bit) is needed by httpd-2.4.6-1.el7.x86_64"),
        "{text}"
    );
}

#[test]
fn check_through_the_binary_reports_media_findings_as_json() {
    let specs = vec![rpm("bash", "4.2"), rpm("httpd", "2.4.6").requires("apr")];
    let comps = comps(&[group("core", "Core", &[("bash", "mandatory")])], &[]);
    let tree = SeedTree::new(&specs, &comps);
    let ks = tree.kickstart("%packages\n@core\n@^minimal\nhttpd\nvim\n%end\n");
    let cache = tempfile::tempdir().unwrap();
    let output = kslint(
        &["check", "--format", "json", ks.to_str().unwrap()],
        cache.path(),
    );
    let value = json(&output);
    assert_eq!(
        media_codes(&value),
        ["KS2001", "KS2006", "KS2002"],
        "{value:#}"
    );
    assert_eq!(output.status.code(), Some(1));
}

#[test]
fn warm_loads_read_no_headers_and_survive_concurrency() {
    let specs: Vec<_> = (0..40)
        .map(|i| rpm(&format!("pkg{i}"), "1.0").requires("bash"))
        .chain([rpm("bash", "4.2")])
        .collect();
    let tree = SeedTree::new(&specs, &comps(&[], &[]));
    let cache_dir = tempfile::tempdir().unwrap();
    let cache = cache_dir.path().join("media.bin");
    let layout = || MediaLayout::at(&tree.root(), None).unwrap();
    let (cold, stats) = MediaIndex::load_with(layout(), Some(&cache));
    assert_eq!((stats.rpm_files, stats.headers_read), (41, 41));
    let (warm, stats) = MediaIndex::load_with(layout(), Some(&cache));
    assert_eq!(stats.headers_read, 0);
    assert_eq!(cold.packages.packages, warm.packages.packages);

    // A changed file is read again, and only that one.
    std::thread::sleep(std::time::Duration::from_millis(20));
    rpm("pkg3", "1.0")
        .requires("bash >= 4")
        .write_to(&tree.packages())
        .unwrap();
    let (changed, stats) = MediaIndex::load_with(layout(), Some(&cache));
    assert_eq!(stats.headers_read, 1);
    let pkg3 = changed.packages.by_name("pkg3")[0];
    assert_eq!(
        changed.packages.get(pkg3).requires[0].to_string(),
        "bash >= 4"
    );

    // Concurrent writers never leave a cache that cannot be read.
    std::fs::remove_file(&cache).unwrap();
    std::thread::scope(|scope| {
        for _ in 0..4 {
            scope.spawn(|| {
                let (index, _) = MediaIndex::load_with(layout(), Some(&cache));
                assert_eq!(index.packages.len(), 41);
            });
        }
    });
    let (_, stats) = MediaIndex::load_with(layout(), Some(&cache));
    assert_eq!(stats.headers_read, 0);
}

#[test]
fn explicit_media_option_is_used_for_a_kickstart_elsewhere() {
    let tree = SeedTree::new(&[rpm("bash", "4.2")], &comps(&[], &[]));
    let dir = tempfile::tempdir().unwrap();
    let ks = dir.path().join("ks.cfg");
    std::fs::write(&ks, "%packages --nocore\nbash\nbsah\n%end\n").unwrap();
    let cache = tempfile::tempdir().unwrap();
    let without = kslint(
        &["check", "--format", "json", ks.to_str().unwrap()],
        cache.path(),
    );
    assert_eq!(media_codes(&json(&without)), Vec::<String>::new());
    let root = tree.root();
    let with = kslint(
        &[
            "check",
            "--format",
            "json",
            "--media",
            root.to_str().unwrap(),
            ks.to_str().unwrap(),
        ],
        cache.path(),
    );
    let value = json(&with);
    assert_eq!(media_codes(&value), ["KS2002"], "{value:#}");
    assert!(value["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .any(|d| d["message"]
            .as_str()
            .unwrap()
            .contains("did you mean `bash`?")));
}
