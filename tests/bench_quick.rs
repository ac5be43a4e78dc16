//! `kslint-bench --quick` (the benchmark report of issue #12 in its small
//! CI-smoke form) runs end to end and prints every row of its table. Speed
//! is not asserted here: the report prints ratios to be read.

use std::process::Command;

#[test]
fn quick_report_runs_and_has_every_row() {
    let output = Command::new(env!("CARGO_BIN_EXE_kslint-bench"))
        .arg("--quick")
        .output()
        .expect("run kslint-bench");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "kslint-bench --quick failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(stdout.contains("machine: ") && stdout.contains("cores available"));
    for row in [
        "| check, 25-line kickstart (whole process) |",
        "| parse + analysis, 5,000-line kickstart of commands + %packages (in process) |",
        "| parse + analysis, 5,000-line kickstart, half of it %post (in process) |",
        "| analysis of a kickstart with a 2,000-line %post (in process) |",
        "| LSP didChange -> publishDiagnostics p50 (",
        "| LSP didChange -> publishDiagnostics p99 (",
        "| LSP server memory, RSS now / peak (shellcheck off) | ",
        "| media index, cold, 200 RPM headers (in process) |",
        "| check with media, warm cache, 200 RPMs (whole process) |",
        "| repodata, 200 RPMs (kslint repo --no-update) |",
        "| repodata warm update after one RPM changed | ",
        "| ISO build, ",
        "| init, unpack the ISO (the files init copies",
    ] {
        assert!(stdout.contains(row), "no row {row:?} in:\n{stdout}");
    }
    // Every measured row has a time, and nothing failed on the way.
    assert!(!stdout.contains("failed:"), "{stdout}");
    let lsp = stdout
        .lines()
        .find(|l| l.starts_with("| LSP didChange -> publishDiagnostics p50 ("))
        .expect("LSP row");
    assert!(
        lsp.split('|')
            .nth(2)
            .is_some_and(|c| c.trim().ends_with("ms") || c.trim().ends_with(" s")),
        "{lsp}"
    );
}
