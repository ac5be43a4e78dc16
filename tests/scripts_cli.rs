//! The script rules through the built binary: `check --format json` on the
//! script fixtures, with one-based line/column positions and exit statuses.

use std::path::Path;
use std::process::{Command, Output};

fn kslint(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_kslint"))
        .args(args)
        .current_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/scripts"))
        .output()
        .expect("run kslint")
}

fn json(args: &[&str]) -> (Option<i32>, serde_json::Value) {
    let output = kslint(args);
    let value = serde_json::from_slice(&output.stdout).expect("check --format json prints JSON");
    (output.status.code(), value)
}

/// (code, start line, start column, end line, end column) of the KS3xxx diagnostics.
fn positions(value: &serde_json::Value) -> Vec<(String, u64, u64, u64, u64)> {
    value["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["code"].as_str().unwrap().starts_with("KS3"))
        .map(|d| {
            (
                d["code"].as_str().unwrap().to_string(),
                d["start"]["line"].as_u64().unwrap(),
                d["start"]["column"].as_u64().unwrap(),
                d["end"]["line"].as_u64().unwrap(),
                d["end"]["column"].as_u64().unwrap(),
            )
        })
        .collect()
}

fn expect(list: &[(&str, u64, u64, u64, u64)]) -> Vec<(String, u64, u64, u64, u64)> {
    list.iter()
        .map(|&(c, a, b, d, e)| (c.to_string(), a, b, d, e))
        .collect()
}

#[test]
fn service_start_positions_and_fixes() {
    let (status, value) = json(&["check", "--format", "json", "service-start.ks"]);
    assert_eq!(status, Some(1), "errors fail the check");
    assert_eq!(
        positions(&value),
        expect(&[
            ("KS3003", 6, 1, 6, 24),
            ("KS3003", 8, 1, 8, 42),
            ("KS3003", 9, 1, 9, 24),
            ("KS3003", 10, 1, 10, 22),
            ("KS3003", 11, 18, 11, 23),
            ("KS3003", 17, 16, 17, 41),
            ("KS3003", 18, 1, 18, 39),
            ("KS3003", 24, 22, 24, 41),
        ])
    );
    let first = &value["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["code"] == "KS3003")
        .unwrap();
    assert_eq!(first["name"], "service-start-in-chroot");
    assert_eq!(first["severity"], "error");
    assert_eq!(first["fix"]["applicability"], "unsafe");
    assert_eq!(first["related"][0]["start"]["line"], 7);
}

#[test]
fn media_in_chroot_positions() {
    let (status, value) = json(&["check", "--format", "json", "media-in-chroot.ks"]);
    assert_eq!(status, Some(1));
    assert_eq!(
        positions(&value),
        expect(&[
            ("KS3007", 5, 31, 5, 63),
            ("KS3007", 9, 7, 9, 36),
            ("KS3007", 11, 10, 11, 35),
            ("KS3007", 12, 12, 12, 41),
        ])
    );
}

#[test]
fn release_follows_the_syntax_option() {
    let (_, rhel9) = json(&[
        "check",
        "--format",
        "json",
        "--syntax",
        "RHEL9",
        "media-release.ks",
    ]);
    assert_eq!(positions(&rhel9), expect(&[("KS3008", 2, 4, 2, 28)]));
    let (_, rhel6) = json(&[
        "check",
        "--format",
        "json",
        "--syntax",
        "RHEL6",
        "media-release.ks",
    ]);
    let codes: Vec<String> = positions(&rhel6).into_iter().map(|p| p.0).collect();
    assert_eq!(
        codes,
        ["KS3016", "KS3008", "KS3008", "KS3008", "KS3016"],
        "RHEL 6 keeps no script output either"
    );
}

#[test]
fn warnings_and_notes_alone_pass() {
    let (status, value) = json(&["check", "--format", "json", "reboot.ks"]);
    assert_eq!(status, Some(0));
    assert_eq!(
        positions(&value),
        expect(&[
            ("KS3006", 2, 1, 2, 9),
            ("KS3006", 5, 1, 5, 7),
            ("KS3006", 9, 1, 9, 17),
        ])
    );
    let strict = kslint(&["check", "--deny-warnings", "reboot.ks"]);
    assert_eq!(strict.status.code(), Some(1));
}

#[test]
fn explain_knows_the_script_rules() {
    let output = kslint(&["explain", "media-in-chroot"]);
    assert_eq!(output.status.code(), Some(0));
    let text = String::from_utf8(output.stdout).unwrap();
    assert!(text.contains("KS3007"), "{text}");
    assert!(text.contains("%post --nochroot"), "{text}");
}
