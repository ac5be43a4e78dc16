//! End to end through the built binary: real files in, the exact rendered
//! report, JSON and exit status out.

use std::path::Path;
use std::process::{Command, Output};

fn kslint(dir: &str, args: &[&str]) -> Output {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    Command::new(env!("CARGO_BIN_EXE_kslint"))
        .args(args)
        .current_dir(root.join(dir))
        .output()
        .expect("run kslint")
}

fn stdout(output: &Output) -> String {
    String::from_utf8(output.stdout.clone()).expect("kslint prints UTF-8")
}

const SYNTAX: &str = "tests/fixtures/syntax";

/// Each fixture's human report and exit status, as a user sees them.
#[test]
fn human_reports() {
    let cases = [
        ("clean.ks", 0),
        ("unclosed.ks", 1),
        ("unknown-section.ks", 1),
        ("quotes.ks", 1),
        ("stray.ks", 1),
        ("encoding.ks", 1),
        ("empty.ks", 1),
        ("no-final-newline.ks", 0),
    ];
    for (file, status) in cases {
        let output = kslint(SYNTAX, &["check", "--color", "never", file]);
        assert_eq!(output.status.code(), Some(status), "exit status for {file}");
        insta::assert_snapshot!(format!("human-{file}"), stdout(&output));
    }
}

#[test]
fn json_reports() {
    for file in ["unclosed.ks", "quotes.ks", "encoding.ks"] {
        let output = kslint(SYNTAX, &["check", "--format", "json", file]);
        let value: serde_json::Value =
            serde_json::from_slice(&output.stdout).expect("check --format json prints JSON");
        assert_eq!(value["version"], 1);
        insta::assert_snapshot!(
            format!("json-{file}"),
            serde_json::to_string_pretty(&value).unwrap()
        );
    }
}

#[test]
fn json_positions_are_one_based_characters() {
    let output = kslint(SYNTAX, &["check", "--format", "json", "unclosed.ks"]);
    let value: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let first = &value["diagnostics"][0];
    assert_eq!(first["code"], "KS0001");
    assert_eq!(first["name"], "unclosed-section");
    assert_eq!(first["start"], serde_json::json!({"line": 3, "column": 1}));
    assert_eq!(first["end"], serde_json::json!({"line": 3, "column": 10}));
    assert_eq!(first["related"][0]["start"]["line"], 7);
    assert_eq!(first["fix"]["applicability"], "safe");
}

#[test]
fn deny_warnings_turns_warnings_into_failure() {
    let dir = tempdir();
    std::fs::write(dir.join("crlf.ks"), "lang en_US.UTF-8\r\nkeyboard us\r\n").unwrap();
    let path = dir.join("crlf.ks");
    let path = path.to_str().unwrap();
    let plain = kslint(".", &["check", path]);
    assert_eq!(plain.status.code(), Some(0), "{}", stdout(&plain));
    let strict = kslint(".", &["check", "--deny-warnings", path]);
    assert_eq!(strict.status.code(), Some(1));
}

#[test]
fn directories_are_searched_for_kickstarts() {
    let output = kslint(".", &["check", "--format", "json", "examples"]);
    assert_eq!(output.status.code(), Some(0), "{}", stdout(&output));
    let dir = tempdir();
    std::fs::create_dir_all(dir.join("isolinux/ks")).unwrap();
    std::fs::write(dir.join("isolinux/isolinux.cfg"), "default linux\n%post\n").unwrap();
    std::fs::write(dir.join("isolinux/ks/ks.cfg"), "%post\necho\n").unwrap();
    std::fs::write(
        dir.join("isolinux/node.cfg"),
        "rootpw x\nlang C\n%pakages\n",
    )
    .unwrap();
    let output = kslint(".", &["check", "--format", "json", dir.to_str().unwrap()]);
    let value: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let diagnostics = value["diagnostics"].as_array().unwrap();
    // isolinux.cfg is checked as a boot configuration, never as a kickstart.
    let is_boot = |d: &&serde_json::Value| d["code"].as_str().unwrap().starts_with("KS4");
    assert!(diagnostics
        .iter()
        .filter(|d| d["path"].as_str().unwrap().ends_with("isolinux.cfg"))
        .all(|d| is_boot(&d)));
    let mut paths: Vec<String> = diagnostics
        .iter()
        .filter(|d| !is_boot(d))
        .map(|d| {
            d["path"]
                .as_str()
                .unwrap()
                .rsplit('/')
                .next()
                .unwrap()
                .to_string()
        })
        .collect();
    paths.dedup();
    assert_eq!(paths, ["ks.cfg", "node.cfg"]);
}

#[test]
fn usage_and_io_errors_exit_2() {
    let missing = kslint(".", &["check", "does/not/exist.ks"]);
    assert_eq!(missing.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&missing.stderr);
    assert!(stderr.contains("does/not/exist.ks"), "{stderr}");
    assert_eq!(
        kslint(".", &["check", "--format", "xml"]).status.code(),
        Some(2)
    );
    assert_eq!(kslint(".", &["explain", "KS9999"]).status.code(), Some(2));
}

#[test]
fn explain_and_rules() {
    let output = kslint(".", &["explain", "unclosed-section"]);
    assert_eq!(output.status.code(), Some(0));
    let text = stdout(&output);
    assert!(text.starts_with("# KS0001 unclosed-section"), "{text}");
    assert_eq!(stdout(&kslint(".", &["explain", "ks0001"])), text);

    let output = kslint(".", &["rules", "--format", "json"]);
    let value: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let codes: Vec<&str> = value["rules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|rule| rule["code"].as_str().unwrap())
        .collect();
    assert!(
        codes.contains(&"KS0001") && codes.contains(&"KS0011"),
        "{codes:?}"
    );
    insta::assert_snapshot!("rules-human", stdout(&kslint(".", &["rules"])));
}

fn tempdir() -> std::path::PathBuf {
    // Kept for the test's lifetime by leaking the guard; the OS temp cleaner
    // removes it later. Tests stay independent of each other.
    let dir = tempfile::tempdir().expect("create a temp dir");
    dir.keep()
}

#[test]
fn kslint_toml_sets_rule_severities_and_excludes() {
    let dir = tempdir();
    std::fs::create_dir_all(dir.join("templates")).unwrap();
    std::fs::write(dir.join("a.ks"), "lang C\r\n%end\n").unwrap();
    std::fs::write(dir.join("templates/b.ks"), "%pakages\n").unwrap();
    std::fs::write(
        dir.join("kslint.toml"),
        "exclude = [\"templates/**\"]\n[rules]\nstray-end = \"off\"\nKS0006 = \"error\"\n",
    )
    .unwrap();
    let output = kslint(".", &["check", "--format", "json", dir.to_str().unwrap()]);
    let value: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let found: Vec<(&str, &str)> = value["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| (d["code"].as_str().unwrap(), d["severity"].as_str().unwrap()))
        .collect();
    assert_eq!(found, [("KS0006", "error")]);
    assert_eq!(output.status.code(), Some(1));
}

#[test]
fn a_broken_kslint_toml_is_a_usage_error_with_its_position() {
    let dir = tempdir();
    std::fs::write(dir.join("a.ks"), "lang C\n").unwrap();
    std::fs::write(dir.join("kslint.toml"), "[rules]\nKS0001 = \"loud\"\n").unwrap();
    let output = kslint(".", &["check", dir.join("a.ks").to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("kslint.toml:2:1:"), "{stderr}");
}

#[test]
fn the_syntax_version_is_chosen_and_reported() {
    let dir = tempdir();
    let ks = dir.join("ks.cfg");
    std::fs::write(&ks, "#version=RHEL8\nlang C\n").unwrap();
    let ks = ks.to_str().unwrap();
    let syntax_of = |args: &[&str]| {
        let output = kslint(".", args);
        let value: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
        let file = &value["files"][0];
        (
            file["syntax"].as_str().unwrap().to_string(),
            file["syntax_source"].as_str().unwrap().to_string(),
        )
    };
    assert_eq!(syntax_of(&["check", "--format", "json", ks]).0, "RHEL8");
    let (name, source) = syntax_of(&["check", "--format", "json", "--syntax", "centos7", ks]);
    assert_eq!((name.as_str(), source.as_str()), ("RHEL7", "--syntax"));
    std::fs::write(dir.join("kslint.toml"), "syntax = \"F40\"\n").unwrap();
    let (name, source) = syntax_of(&["check", "--format", "json", ks]);
    assert_eq!(name, "F40");
    assert!(source.ends_with("kslint.toml"), "{source}");
    std::fs::write(dir.join("kslint.toml"), "syntax = \"RHEL99\"\n").unwrap();
    let output = kslint(".", &["check", ks]);
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr)
        .contains("kslint.toml:1:1: unknown syntax version `RHEL99`"));
    assert_eq!(
        kslint(".", &["check", "--syntax", "nope", ks])
            .status
            .code(),
        Some(2)
    );
}

/// SARIF with the run's absolute base directory and the version replaced,
/// so that the snapshot holds on any machine and release.
fn sarif_of(dir: &str, args: &[&str]) -> (Output, serde_json::Value) {
    let output = kslint(dir, args);
    let mut value: serde_json::Value =
        serde_json::from_slice(&output.stdout).expect("check --format sarif prints JSON");
    let run = &mut value["runs"][0];
    let base = run["originalUriBaseIds"]["%SRCROOT%"]["uri"]
        .as_str()
        .expect("the run names its base directory")
        .to_string();
    assert!(
        base.starts_with("file:///") && base.ends_with('/'),
        "{base}"
    );
    run["originalUriBaseIds"]["%SRCROOT%"]["uri"] = "file:///[cwd]/".into();
    let driver = &mut run["tool"]["driver"];
    assert_eq!(driver["version"], env!("CARGO_PKG_VERSION"));
    driver["version"] = "[version]".into();
    driver["semanticVersion"] = "[version]".into();
    (output, value)
}

#[test]
fn sarif_reports() {
    for file in ["unclosed.ks", "quotes.ks"] {
        let (output, value) = sarif_of(SYNTAX, &["check", "--format", "sarif", file]);
        assert_eq!(output.status.code(), Some(1));
        insta::assert_snapshot!(
            format!("sarif-{file}"),
            serde_json::to_string_pretty(&value).unwrap()
        );
    }
    let (output, value) = sarif_of(SYNTAX, &["check", "--format", "sarif", "clean.ks"]);
    assert_eq!(output.status.code(), Some(0));
    assert_eq!(value["runs"][0]["results"], serde_json::json!([]));
}

#[test]
fn sarif_links_rules_and_indexes_them() {
    let (_, value) = sarif_of(".", &["check", "--format", "sarif", "tests/fixtures"]);
    let run = &value["runs"][0];
    let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
    let results = run["results"].as_array().unwrap();
    assert!(results.len() > 50 && rules.len() > 20, "{}", results.len());
    for result in results {
        let index = result["ruleIndex"].as_u64().unwrap() as usize;
        assert_eq!(rules[index]["id"], result["ruleId"]);
        let uri = result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
            .as_str()
            .unwrap();
        assert!(uri.starts_with("tests/fixtures/"), "{uri}");
    }
    for rule in rules {
        let code = rule["id"].as_str().unwrap();
        assert_eq!(
            rule["helpUri"],
            format!("https://github.com/kslint/kslint/blob/main/docs/rules/{code}.md")
        );
        let page = std::fs::read_to_string(format!("docs/rules/{code}.md")).unwrap();
        assert_eq!(rule["help"]["markdown"].as_str().unwrap(), page.trim_end());
        assert_eq!(rule["help"]["text"], rule["help"]["markdown"]);
        assert!(!rule["fullDescription"]["text"].as_str().unwrap().is_empty());
    }
    assert!(results.iter().any(|result| result["fixes"].is_array()));
    assert!(results
        .iter()
        .any(|result| result["relatedLocations"].is_array()));
}

/// The output of every fixture, checked against the OASIS SARIF 2.1.0
/// schema (tests/fixtures/sarif/sarif-schema-2.1.0.json) with formats on.
#[test]
fn sarif_is_valid_against_the_schema() {
    let schema: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string("tests/fixtures/sarif/sarif-schema-2.1.0.json").unwrap(),
    )
    .unwrap();
    let validator = jsonschema::options()
        .with_draft(jsonschema::Draft::Draft4)
        .should_validate_formats(true)
        .build(&schema)
        .expect("the SARIF schema compiles");
    let output = kslint(".", &["check", "--format", "sarif", "tests/fixtures"]);
    let document: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let errors: Vec<String> = validator
        .iter_errors(&document)
        .map(|error| format!("{} at {}", error, error.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{}", errors.join("\n"));
    // The validator is not blind: a level SARIF does not know is rejected.
    let mut broken = document.clone();
    broken["runs"][0]["results"][0]["level"] = "fatal".into();
    assert!(!validator.is_valid(&broken));
}

#[test]
fn github_annotations() {
    let output = kslint(
        SYNTAX,
        &["check", "--format", "github", "unclosed.ks", "quotes.ks"],
    );
    assert_eq!(output.status.code(), Some(1));
    insta::assert_snapshot!("github-unclosed-quotes", stdout(&output));
    let dir = tempdir();
    let name = "a,b:100%.ks";
    std::fs::write(dir.join(name), "lang C\n%pakages\n@core\n%end\n").unwrap();
    let output = kslint(
        dir.to_str().unwrap(),
        &["check", "--format", "github", name],
    );
    let text = stdout(&output);
    assert!(
        text.starts_with("::error file=a%2Cb%3A100%25.ks,line=2,col=1,endLine=2,"),
        "{text}"
    );
    assert!(text.contains(",title=KS0002 unknown-section::"), "{text}");
    assert!(text.contains("`%25pakages`"), "{text}");
    assert_eq!(text.lines().count(), 1, "one command per line: {text}");
}

#[test]
fn fix_applies_safe_fixes_and_reports_the_rest() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempdir();
    let ks = dir.join("ks.cfg");
    std::fs::write(&ks, "lang C\r\nkeyboard us\r\n%pakages\r\n@core\r\n").unwrap();
    std::fs::set_permissions(&ks, std::fs::Permissions::from_mode(0o600)).unwrap();
    let path = ks.to_str().unwrap();
    let output = kslint(".", &["check", "--fix", "--format", "json", path]);
    // KS0006 (CRLF) and KS0001 (unclosed) are safe; the %pakages typo is not.
    assert_eq!(
        std::fs::read_to_string(&ks).unwrap(),
        "lang C\nkeyboard us\n%pakages\n@core\n%end\n"
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("fixed 2 problems in"), "{stderr}");
    assert!(stderr.contains("KS0001, KS0006"), "{stderr}");
    let value: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let codes: Vec<_> = value["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["code"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(codes, ["KS0002"]);
    assert_eq!(output.status.code(), Some(1));
    let mode = std::fs::metadata(&ks).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    // The unsafe fix only on request; then the file is clean.
    let output = kslint(".", &["check", "--fix", "--unsafe-fixes", path]);
    assert_eq!(output.status.code(), Some(0), "{}", stdout(&output));
    assert_eq!(
        std::fs::read_to_string(&ks).unwrap(),
        "lang C\nkeyboard us\n%packages\n@core\n%end\n"
    );
    let again = kslint(".", &["check", "--fix", path]);
    assert!(String::from_utf8_lossy(&again.stderr).contains("nothing to fix"));
    let leftovers = std::fs::read_dir(&dir).unwrap().count();
    assert_eq!(leftovers, 1, "no temporary files are left behind");
}

#[test]
fn diff_prints_the_fixes_without_writing() {
    let dir = tempdir();
    let ks = dir.join("a.ks");
    let before = "lang C\n%packages\n@core\n";
    std::fs::write(&ks, before).unwrap();
    let output = kslint(dir.to_str().unwrap(), &["check", "--diff", "a.ks"]);
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(
        stdout(&output),
        "--- a/a.ks\n+++ b/a.ks\n@@ -1,3 +1,4 @@\n lang C\n %packages\n @core\n+%end\n"
    );
    assert_eq!(std::fs::read_to_string(&ks).unwrap(), before);
    std::fs::write(&ks, "lang C\n%packages\n@core\n%end\n").unwrap();
    let output = kslint(dir.to_str().unwrap(), &["check", "--diff", "a.ks"]);
    assert_eq!(
        (output.status.code(), stdout(&output).as_str()),
        (Some(0), "")
    );
    let alone = kslint(dir.to_str().unwrap(), &["check", "--unsafe-fixes", "a.ks"]);
    assert!(String::from_utf8_lossy(&alone.stderr).contains("does nothing without --fix"));
    let both = kslint(dir.to_str().unwrap(), &["check", "--diff", "--fix", "a.ks"]);
    assert_eq!(
        both.status.code(),
        Some(2),
        "--diff and --fix exclude each other"
    );
}

/// Only the checked file is written: a fixable problem in a file it
/// includes stays as it is until that file is checked itself.
#[test]
fn fix_never_writes_included_files() {
    let dir = tempdir();
    std::fs::write(dir.join("main.ks"), "lang C\n%include part.ks\n").unwrap();
    let part = "keyboard us\r\ntimezone UTC\r\n";
    std::fs::write(dir.join("part.ks"), part).unwrap();
    let output = kslint(dir.to_str().unwrap(), &["check", "--fix", "main.ks"]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(std::fs::read_to_string(dir.join("part.ks")).unwrap(), part);
    assert_eq!(
        std::fs::read_to_string(dir.join("main.ks")).unwrap(),
        "lang C\n%include part.ks\n"
    );
    assert!(stderr.contains("nothing to fix"), "{stderr}");
    kslint(dir.to_str().unwrap(), &["check", "--fix", "part.ks"]);
    assert_eq!(
        std::fs::read_to_string(dir.join("part.ks")).unwrap(),
        "keyboard us\ntimezone UTC\n"
    );
}

#[test]
fn fix_leaves_files_that_are_not_utf8_alone() {
    let dir = tempdir();
    let bytes = b"lang C\r\n# caf\xe9\r\n";
    std::fs::write(dir.join("a.ks"), bytes).unwrap();
    let output = kslint(dir.to_str().unwrap(), &["check", "--fix", "a.ks"]);
    assert_eq!(std::fs::read(dir.join("a.ks")).unwrap(), bytes);
    assert!(String::from_utf8_lossy(&output.stderr).contains("not valid UTF-8"));
}
