//! Differential test: kslint and pykickstart's `ksvalidator` must agree on
//! whether each kickstart in `tests/fixtures/commands/diff/` is valid, for
//! every syntax version the file lists in its first line
//! (`# versions: RHEL7 RHEL9 F40`).
//!
//! ksvalidator's verdict is its exit status. kslint's verdict is whether it
//! reports something pykickstart also fails on: an error from the syntax and
//! command rules (KS0xxx, KS1xxx), or a deprecation warning (KS1014, KS1015,
//! KS1019), which ksvalidator counts as an error. Known, intended differences
//! are listed with a reason in `tests/ksvalidator-deviations.tsv`; a listed
//! deviation that no longer deviates fails the test too, so the list stays
//! true.
//!
//! ksvalidator comes from `pip install pykickstart==3.78` (CI installs it).
//! Without it the test prints SKIP and passes, unless
//! `KSLINT_REQUIRE_KSVALIDATOR=1` is set.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

const FIXTURES: &str = "tests/fixtures/commands/diff";
const DEVIATIONS: &str = "tests/ksvalidator-deviations.tsv";
const HELPER: &str = "tests/ksvalidator_batch.py";
/// kslint warnings that stand for pykickstart warnings (ksvalidator errors).
const PYKICKSTART_WARNINGS: &[&str] = &["KS1014", "KS1015", "KS1019"];

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn python() -> Option<String> {
    ["python3", "python"]
        .into_iter()
        .map(str::to_string)
        .find(|p| {
            Command::new(p)
                .arg(root().join(HELPER))
                .arg("--probe")
                .output()
                .is_ok_and(|out| out.status.success())
        })
}

/// Every fixture with the versions it is checked against.
fn jobs() -> Vec<(String, PathBuf)> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(root().join(FIXTURES))
        .expect("fixture directory")
        .map(|entry| entry.expect("directory entry").path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "ks"))
        .collect();
    files.sort();
    let mut jobs = Vec::new();
    for file in files {
        let text = std::fs::read_to_string(&file).expect("fixture text");
        let versions = text
            .lines()
            .next()
            .and_then(|line| line.strip_prefix("# versions:"))
            .unwrap_or_else(|| panic!("{} lacks a `# versions:` first line", file.display()));
        for version in versions.split_whitespace() {
            jobs.push((version.to_string(), file.clone()));
        }
    }
    jobs
}

/// ksvalidator's exit status and messages for each job, from two helper
/// processes working through halves of the list.
fn ksvalidator(
    python: &str,
    jobs: &[(String, PathBuf)],
) -> BTreeMap<(String, PathBuf), (bool, String)> {
    let halves: Vec<&[(String, PathBuf)]> = jobs.chunks(jobs.len().div_ceil(2).max(1)).collect();
    let results: Vec<Vec<String>> = std::thread::scope(|scope| {
        let handles: Vec<_> = halves
            .into_iter()
            .map(|part| {
                scope.spawn(move || {
                    let mut child = Command::new(python)
                        .arg(root().join(HELPER))
                        .stdin(Stdio::piped())
                        .stdout(Stdio::piped())
                        .spawn()
                        .expect("start the ksvalidator helper");
                    let mut stdin = child.stdin.take().expect("stdin");
                    let input: String = part
                        .iter()
                        .map(|(version, path)| format!("{version}\t{}\n", path.display()))
                        .collect();
                    let writer = std::thread::spawn(move || {
                        stdin.write_all(input.as_bytes()).expect("write jobs");
                    });
                    let lines: Vec<String> = BufReader::new(child.stdout.take().expect("stdout"))
                        .lines()
                        .map(|line| line.expect("helper output"))
                        .collect();
                    writer.join().expect("writer thread");
                    assert!(
                        child.wait().expect("helper exit").success(),
                        "ksvalidator helper failed"
                    );
                    lines
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("helper thread"))
            .collect()
    });
    let mut verdicts = BTreeMap::new();
    for line in results.into_iter().flatten() {
        let mut fields = line.splitn(4, '\t');
        let status: i32 = fields.next().and_then(|s| s.parse().ok()).expect("status");
        let version = fields.next().expect("version").to_string();
        let path = PathBuf::from(fields.next().expect("path"));
        let messages = fields.next().unwrap_or("").replace("\\n", "\n   ");
        verdicts.insert((version, path), (status != 0, messages));
    }
    verdicts
}

/// kslint's verdict and findings for each job: one `kslint check` per version.
fn kslint(jobs: &[(String, PathBuf)]) -> BTreeMap<(String, PathBuf), (bool, String)> {
    let mut by_version: BTreeMap<&str, Vec<&PathBuf>> = BTreeMap::new();
    for (version, path) in jobs {
        by_version.entry(version).or_default().push(path);
    }
    let mut verdicts = BTreeMap::new();
    for (version, paths) in by_version {
        let output = Command::new(env!("CARGO_BIN_EXE_kslint"))
            .args(["check", "--syntax", version, "--format", "json"])
            .args(&paths)
            .output()
            .expect("run kslint");
        let report: serde_json::Value =
            serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
                panic!(
                    "kslint --format json: {e}\n{}",
                    String::from_utf8_lossy(&output.stderr)
                )
            });
        let mut findings: BTreeMap<PathBuf, Vec<String>> = BTreeMap::new();
        for diagnostic in report["diagnostics"].as_array().expect("diagnostics") {
            let code = diagnostic["code"].as_str().unwrap_or("");
            let message = diagnostic["message"].as_str().unwrap_or("");
            let counts = (code.starts_with("KS0") || code.starts_with("KS1"))
                && (diagnostic["severity"] == "error" || PYKICKSTART_WARNINGS.contains(&code))
                // ksvalidator reads %include files only with -i.
                && !(matches!(code, "KS0013" | "KS0014") && message.starts_with("%include"));
            if counts {
                let path = PathBuf::from(diagnostic["path"].as_str().unwrap_or(""));
                findings.entry(path).or_default().push(format!(
                    "{}:{} {code} {message}",
                    diagnostic["start"]["line"], diagnostic["start"]["column"]
                ));
            }
        }
        for path in paths {
            let found = findings.remove(path).unwrap_or_default();
            verdicts.insert(
                (version.to_string(), path.clone()),
                (!found.is_empty(), found.join("\n   ")),
            );
        }
    }
    verdicts
}

/// (file name, version or `*`) → reason.
fn deviations() -> BTreeMap<(String, String), String> {
    let text = std::fs::read_to_string(root().join(DEVIATIONS)).expect("deviations file");
    let mut list = BTreeMap::new();
    for (number, line) in text.lines().enumerate() {
        if line.trim().is_empty() || line.starts_with('#') {
            continue;
        }
        let fields: Vec<&str> = line.split('\t').collect();
        assert!(
            fields.len() == 3 && !fields[2].trim().is_empty(),
            "{DEVIATIONS}:{}: expected FILE<TAB>VERSION<TAB>REASON",
            number + 1
        );
        let key = (fields[0].to_string(), fields[1].to_string());
        assert!(
            list.insert(key, fields[2].to_string()).is_none(),
            "{DEVIATIONS}:{}: listed twice",
            number + 1
        );
    }
    list
}

#[test]
fn verdicts_match_ksvalidator() {
    let Some(python) = python() else {
        let message = "ksvalidator (pykickstart) is not installed; run `pip install pykickstart==3.78` to enable the differential test";
        if std::env::var_os("KSLINT_REQUIRE_KSVALIDATOR").is_some_and(|v| v == "1") {
            panic!("{message}");
        }
        // Written to the stderr handle directly, which the test harness does
        // not capture, so the skip shows without `--nocapture`.
        let _ = writeln!(
            std::io::stderr(),
            "SKIP verdicts_match_ksvalidator: {message}"
        );
        return;
    };
    let jobs: Vec<(String, PathBuf)> = jobs()
        .into_iter()
        .map(|(version, path)| {
            (
                version,
                path.strip_prefix(root())
                    .map(Path::to_path_buf)
                    .unwrap_or(path),
            )
        })
        .collect();
    std::env::set_current_dir(root()).expect("cd to the crate root");
    let theirs = ksvalidator(&python, &jobs);
    let ours = kslint(&jobs);
    let deviations = deviations();
    let mut used: BTreeSet<(String, String)> = BTreeSet::new();
    let mut failures = Vec::new();
    let mut agree = 0;
    for (version, path) in &jobs {
        let key = (version.clone(), path.clone());
        let (kv_rejects, kv_messages) = &theirs[&key];
        let (ks_rejects, ks_findings) = &ours[&key];
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or("")
            .to_string();
        let listed = [version.as_str(), "*"]
            .into_iter()
            .map(|v| (name.clone(), v.to_string()))
            .find(|k| deviations.contains_key(k));
        if kv_rejects == ks_rejects {
            agree += 1;
            if let Some(listed) = listed {
                failures.push(format!(
                    "{name} -v {version}: listed in {DEVIATIONS} ({}) but both now {}",
                    deviations[&listed],
                    if *kv_rejects {
                        "reject it"
                    } else {
                        "accept it"
                    }
                ));
                used.insert(listed);
            }
            continue;
        }
        if let Some(listed) = listed {
            used.insert(listed);
            continue;
        }
        failures.push(format!(
            "{name} -v {version}: ksvalidator {} it, kslint {} it\n  ksvalidator: {}\n  kslint: {}",
            if *kv_rejects { "rejects" } else { "accepts" },
            if *ks_rejects { "rejects" } else { "accepts" },
            if kv_messages.is_empty() {
                "(nothing)"
            } else {
                kv_messages
            },
            if ks_findings.is_empty() {
                "(nothing)"
            } else {
                ks_findings
            },
        ));
    }
    for key in deviations.keys() {
        if !used.contains(key)
            && !jobs.iter().any(|(v, p)| {
                p.file_name().and_then(|n| n.to_str()) == Some(key.0.as_str())
                    && (key.1 == "*" || *v == key.1)
            })
        {
            failures.push(format!(
                "{DEVIATIONS}: {} -v {} matches no fixture",
                key.0, key.1
            ));
        }
    }
    println!(
        "ksvalidator agreement: {agree}/{} runs over {} fixtures",
        jobs.len(),
        jobs.iter().map(|(_, p)| p).collect::<BTreeSet<_>>().len()
    );
    assert!(
        failures.is_empty(),
        "{} disagreement(s) with ksvalidator:\n\n{}",
        failures.len(),
        failures.join("\n\n")
    );
}
