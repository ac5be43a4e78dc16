//! Repodata speed: `kslint repo` against `createrepo_c`, the full run and
//! the warm update after one RPM changed. The rows are kslint-bench's (one
//! implementation of the measurement); this runs `kslint-bench --only repo`.
//!
//! Run: `cargo bench --bench repo` (`-- --quick` for a small, fast run).
//! Prints the rows and their ratios; asserts nothing (targets: a full run
//! <= 1.0x createrepo_c, a warm update <= 0.1x a full run).

use std::process::Command;

fn main() {
    // Cargo passes `--bench` to every bench target; kslint-bench takes only
    // its own options.
    let quick = std::env::args().any(|a| a == "--quick");
    let mut command = Command::new(env!("CARGO_BIN_EXE_kslint-bench"));
    command.args(["--only", "repo"]);
    if quick {
        command.arg("--quick");
    }
    let status = command.status().expect("run kslint-bench");
    assert!(status.success(), "kslint-bench failed: {status}");
}
