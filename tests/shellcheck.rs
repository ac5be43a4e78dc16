//! The optional shellcheck pass (KS3020) with the real `shellcheck`: where
//! its findings land in the kickstart, their codes, links and fixes, what is
//! de-duplicated against kslint's own rules, and how it is switched on.
//!
//! Skips (printing SKIP) when shellcheck is not installed, unless
//! `KSLINT_REQUIRE_SHELLCHECK=1`, as in CI.

#[path = "iso/common.rs"]
mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/shellcheck")
}

fn kslint(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_kslint"))
        .args(args)
        .current_dir(dir)
        .output()
        .expect("run kslint")
}

fn json(dir: &Path, args: &[&str]) -> Value {
    let output = kslint(dir, args);
    serde_json::from_slice(&output.stdout).unwrap_or_else(|error| {
        panic!(
            "check --format json prints JSON ({error}); stderr: {}",
            String::from_utf8_lossy(&output.stderr)
        )
    })
}

fn diagnostics(value: &Value) -> &Vec<Value> {
    value["diagnostics"].as_array().expect("diagnostics array")
}

fn sc_codes(value: &Value) -> Vec<String> {
    diagnostics(value)
        .iter()
        .map(|d| d["code"].as_str().unwrap().to_string())
        .filter(|code| code.starts_with("SC"))
        .collect()
}

/// 1-based character column of `needle` on 1-based `line` of `text`
/// (a tab is one character, as in the JSON contract).
fn column_of(text: &str, line: usize, needle: &str) -> u64 {
    let line_text = text.lines().nth(line - 1).expect("line exists");
    let at = line_text.find(needle).expect("needle on the line");
    line_text[..at].chars().count() as u64 + 1
}

fn find<'a>(value: &'a Value, file: &str, code: &str, line: u64) -> &'a Value {
    diagnostics(value)
        .iter()
        .find(|d| {
            d["code"] == code
                && d["start"]["line"] == line
                && d["path"].as_str().unwrap().ends_with(file)
        })
        .unwrap_or_else(|| panic!("{code} on {file}:{line} in {value:#}"))
}

fn point(d: &Value, which: &str) -> (u64, u64) {
    (
        d[which]["line"].as_u64().unwrap(),
        d[which]["column"].as_u64().unwrap(),
    )
}

#[test]
fn findings_land_on_kickstart_lines_and_columns() {
    if !common::shellcheck_installed() {
        return;
    }
    let dir = fixtures();
    let main = std::fs::read_to_string(dir.join("main.ks")).unwrap();
    let included = std::fs::read_to_string(dir.join("scripts.ks")).unwrap();
    let value = json(&dir, &["check", "--format=json", "--shellcheck", "main.ks"]);

    // The `%post` comes after two `%include` lines; its body starts with tabs.
    let ls = find(&value, "main.ks", "SC2045", 9);
    assert_eq!(point(ls, "start"), (9, column_of(&main, 9, "$(ls")));
    assert_eq!(ls["severity"], "error");
    let unquoted = find(&value, "main.ks", "SC2086", 10);
    let start = column_of(&main, 10, "$f");
    assert_eq!(start, 33, "two tabs count as two characters");
    assert_eq!(point(unquoted, "start"), (10, start));
    assert_eq!(point(unquoted, "end"), (10, start + 2));
    assert_eq!(unquoted["severity"], "info");
    assert_eq!(unquoted["source"], "shellcheck");
    assert_eq!(unquoted["url"], "https://www.shellcheck.net/wiki/SC2086");
    // After a two-byte character, columns are still characters.
    let home = find(&value, "main.ks", "SC2086", 12);
    assert_eq!(point(home, "start"), (12, column_of(&main, 12, "$HOME")));

    // shellcheck's fix: quotes around `$f`, offered as unsafe.
    let fix = &unquoted["fix"];
    assert_eq!(fix["applicability"], "unsafe");
    let edits: Vec<((u64, u64), &str)> = fix["edits"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (point(e, "start"), e["replacement"].as_str().unwrap()))
        .collect();
    assert_eq!(edits, vec![((10, start), "\""), ((10, start + 2), "\"")]);

    // A script in an included file is reported in that file, once although
    // it is included twice; its `# shellcheck disable=` comment is obeyed.
    let cd = find(&value, "scripts.ks", "SC2164", 4);
    assert_eq!(point(cd, "start"), (4, 1));
    assert_eq!(point(cd, "end"), (4, column_of(&included, 4, "/tmp") + 4));
    let rm = find(&value, "scripts.ks", "SC2115", 5);
    assert_eq!(point(rm, "start"), (5, column_of(&included, 5, "$TARGET")));
    let codes = sc_codes(&value);
    assert_eq!(codes.iter().filter(|c| *c == "SC2164").count(), 1);
    assert!(!codes.contains(&"SC2034".to_string()), "{codes:?}");
}

#[test]
fn duplicates_of_kslint_rules_are_dropped() {
    if !common::shellcheck_installed() {
        return;
    }
    let dir = fixtures();
    // What shellcheck says of these bodies by itself: the dropped findings
    // are really there to drop.
    let alone = |body: &str| {
        let mut child = Command::new("shellcheck")
            .args(["--format=json1", "--norc", "--shell=sh", "-"])
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        use std::io::Write;
        child
            .stdin
            .take()
            .unwrap()
            .write_all(body.as_bytes())
            .unwrap();
        let output = child.wait_with_output().unwrap();
        let value: Value = serde_json::from_slice(&output.stdout).unwrap();
        value["comments"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["code"].as_u64().unwrap())
            .collect::<Vec<_>>()
    };
    let unclosed = alone("if [ -n \"$x\" ]; then\n  echo $x\n");
    assert!(unclosed.contains(&1073), "{unclosed:?}");
    let crlf = alone("echo $y\r\n");
    assert!(crlf.contains(&1017), "{crlf:?}");

    let value = json(
        &dir,
        &["check", "--format=json", "--shellcheck", "dedupe.ks"],
    );
    let all: Vec<&str> = diagnostics(&value)
        .iter()
        .map(|d| d["code"].as_str().unwrap())
        .collect();
    // KS3001 says the `if` is never closed; shellcheck's SC1xxx say the same.
    assert!(all.contains(&"KS3001"), "{all:?}");
    assert!(!all.iter().any(|c| c.starts_with("SC1")), "{all:?}");
    // KS0006 reports the CRLF; SC1017 (literal carriage return) is dropped,
    // while the other findings on that line stay.
    assert!(all.contains(&"KS0006"), "{all:?}");
    let y = find(&value, "dedupe.ks", "SC2086", 8);
    assert_eq!(point(y, "start"), (8, 6));
}

#[test]
fn off_by_default_on_by_flag_or_config() {
    if !common::shellcheck_installed() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let ks = "lang en_US.UTF-8\nrootpw --lock\n%post\nrm -rf $DIR/\n%end\n";
    std::fs::write(dir.path().join("ks.cfg"), ks).unwrap();

    let plain = json(dir.path(), &["check", "--format=json", "ks.cfg"]);
    assert_eq!(sc_codes(&plain), Vec::<String>::new());
    let flagged = json(
        dir.path(),
        &["check", "--format=json", "--shellcheck", "ks.cfg"],
    );
    assert!(sc_codes(&flagged).contains(&"SC2115".to_string()));

    std::fs::write(
        dir.path().join("kslint.toml"),
        "[scripts]\nshellcheck = true\n",
    )
    .unwrap();
    let configured = json(dir.path(), &["check", "--format=json", "ks.cfg"]);
    assert_eq!(sc_codes(&configured), sc_codes(&flagged));

    let program = Command::new("sh")
        .args(["-c", "command -v shellcheck"])
        .output()
        .unwrap();
    let program = String::from_utf8(program.stdout).unwrap();
    std::fs::write(
        dir.path().join("kslint.toml"),
        format!("[scripts]\nshellcheck = \"{}\"\n", program.trim()),
    )
    .unwrap();
    let by_path = json(dir.path(), &["check", "--format=json", "ks.cfg"]);
    assert_eq!(sc_codes(&by_path), sc_codes(&flagged));

    std::fs::write(
        dir.path().join("kslint.toml"),
        "[scripts]\nshellcheck = false\n",
    )
    .unwrap();
    let off = json(dir.path(), &["check", "--format=json", "ks.cfg"]);
    assert_eq!(sc_codes(&off), Vec::<String>::new());
}

/// Runs without shellcheck too: a program that is not there is a notice.
#[test]
fn missing_shellcheck_is_a_notice_not_a_failure() {
    let dir = tempfile::tempdir().unwrap();
    let ks = "lang en_US.UTF-8\nrootpw --lock\n%pre\necho $a\n%end\n%post\necho $b\n%end\n";
    std::fs::write(dir.path().join("a.cfg"), ks).unwrap();
    std::fs::write(dir.path().join("b.cfg"), ks).unwrap();
    std::fs::write(
        dir.path().join("kslint.toml"),
        "[scripts]\nshellcheck = \"./no/such/shellcheck\"\n",
    )
    .unwrap();
    let output = kslint(dir.path(), &["check", "--format=json", "a.cfg", "b.cfg"]);
    assert_eq!(output.status.code(), Some(0), "no errors in the files");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(
        stderr.matches("notice: shellcheck pass skipped").count(),
        1,
        "one notice for two files and four scripts: {stderr}"
    );
    assert!(stderr.contains("no/such/shellcheck"), "{stderr}");
    let value: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(sc_codes(&value), Vec::<String>::new());
}

/// In process: the second analysis of an unchanged body does not start
/// shellcheck again; a changed body does.
#[test]
fn results_are_cached_by_body() {
    if !common::shellcheck_installed() {
        return;
    }
    use kslint::analysis::{analyze, CheckOptions};
    use kslint::scripts::shellcheck::runs;
    use kslint::source::SourceFile;

    let options = CheckOptions {
        shellcheck: Some(PathBuf::from("shellcheck")),
        ..CheckOptions::default()
    };
    let sc = |text: &str| {
        let analysis = analyze(SourceFile::new("cache-test.ks", text), &options);
        assert_eq!(analysis.notices, Vec::<String>::new());
        analysis
            .diagnostics
            .iter()
            .filter(|d| d.code().starts_with("SC"))
            .map(|d| (d.code().to_string(), d.location.range.start))
            .collect::<Vec<_>>()
    };
    let text = "lang C\n%post\necho $x\n%end\n";
    let before = runs();
    let first = sc(text);
    assert_eq!(runs(), before + 1);
    // Typing outside the script: same body, no new run, shifted position.
    let edited = format!("# a comment\n{text}");
    let second = sc(&edited);
    assert_eq!(runs(), before + 1);
    assert_eq!(first.len(), second.len());
    assert_eq!(second[0].1, first[0].1 + "# a comment\n".len());
    // Typing inside it: a new run.
    sc("lang C\n%post\necho $y\n%end\n");
    assert_eq!(runs(), before + 2);
}

/// `# kslint: disable=KS3020` silences shellcheck findings on its line, and
/// is not called unused (KS0012) when the pass did not run.
#[test]
fn kslint_suppressions_cover_shellcheck_findings() {
    let dir = tempfile::tempdir().unwrap();
    let ks = "lang en_US.UTF-8\nrootpw --lock\n%post\nrm -rf $DIR/  # kslint: disable=KS3020\nrm -rf $OTHER/\n%end\n";
    std::fs::write(dir.path().join("ks.cfg"), ks).unwrap();
    let plain = json(dir.path(), &["check", "--format=json", "ks.cfg"]);
    let codes: Vec<&str> = diagnostics(&plain)
        .iter()
        .map(|d| d["code"].as_str().unwrap())
        .collect();
    assert!(!codes.contains(&"KS0012"), "{codes:?}");
    if !common::shellcheck_installed() {
        return;
    }
    let checked = json(
        dir.path(),
        &["check", "--format=json", "--shellcheck", "ks.cfg"],
    );
    let lines: Vec<u64> = diagnostics(&checked)
        .iter()
        .filter(|d| d["code"] == "SC2115")
        .map(|d| d["start"]["line"].as_u64().unwrap())
        .collect();
    assert_eq!(lines, vec![5], "line 4 is suppressed, line 5 is not");
}

/// No `--interpreter`: anaconda's `/bin/sh` is bash, so bash-isms are not
/// reported; `--interpreter=/bin/sh` asks for POSIX sh, and gets SC3010.
#[test]
fn dialect_follows_the_interpreter() {
    if !common::shellcheck_installed() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let ks = "lang en_US.UTF-8\nrootpw --lock\n%post\n[[ -d /opt ]] && echo yes\n%end\n%post --interpreter=/bin/sh\n[[ -d /opt ]] && echo yes\n%end\n";
    std::fs::write(dir.path().join("ks.cfg"), ks).unwrap();
    let value = json(
        dir.path(),
        &["check", "--format=json", "--shellcheck", "ks.cfg"],
    );
    let found: Vec<(String, u64)> = diagnostics(&value)
        .iter()
        .filter(|d| d["code"].as_str().unwrap().starts_with("SC"))
        .map(|d| {
            (
                d["code"].as_str().unwrap().to_string(),
                d["start"]["line"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(found, vec![("SC3010".to_string(), 7)]);
}
