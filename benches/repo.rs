//! Repodata for 2,000 generated RPMs: `kslint repo` (in process) against
//! `createrepo_c -g` in the same run, and the warm update after one RPM
//! changed.
//!
//! Two sets of RPMs: small ones (about 80 KB each, 160 MB in all), where
//! the metadata is a large part of the work, and DVD-sized ones (about
//! 1 MB each, as on CentOS/RHEL install media, 2 GB in all), where reading
//! and hashing the files is most of it. A full run scales with the RPM
//! bytes; an update with the size of the metadata.
//!
//! Run: `cargo bench --bench repo` (`KSLINT_BENCH_SETS=small` for the first
//! set only). Prints medians and ratios; asserts nothing (targets: a full
//! run ≤ 1.0× createrepo_c, a warm update ≤ 0.1× a full run).

#[path = "../tests/repo_common/mod.rs"]
mod repo_common;

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use kslint::repo::{generate, GroupSource, RepoOptions};
use repo_common::{bench_package, set_mtime, COMPS};

const PACKAGES: u32 = 2_000;
const ROUNDS: usize = 3;

fn main() {
    let sets = std::env::var("KSLINT_BENCH_SETS").unwrap_or_else(|_| "small,dvd".to_string());
    for set in sets.split(',') {
        match set {
            "small" => bench("small RPMs", 1),
            "dvd" => bench("DVD-sized RPMs", 13),
            other => println!("unknown set {other} (small, dvd)"),
        }
    }
}

fn bench(label: &str, scale: usize) {
    let dir = tempfile::tempdir().expect("temp dir");
    let ours = dir.path().join("ours");
    let theirs = dir.path().join("theirs");
    let comps = dir.path().join("comps.xml");
    std::fs::write(&comps, COMPS).expect("comps");
    let started = Instant::now();
    let mut bytes = 0u64;
    for tree in [&ours, &theirs] {
        std::fs::create_dir_all(tree.join("Packages")).expect("Packages");
    }
    for i in 0..PACKAGES {
        let (name, rpm) = bench_package(i, 0, scale);
        bytes += rpm.len() as u64;
        let path = ours.join("Packages").join(&name);
        std::fs::write(&path, rpm).expect("write rpm");
        set_mtime(&path, 1_700_000_000);
        std::fs::hard_link(&path, theirs.join("Packages").join(&name)).expect("link");
    }
    println!(
        "\n== {label}: {PACKAGES} RPMs, {:.0} MB, generated in {:.1} s",
        bytes as f64 / 1e6,
        started.elapsed().as_secs_f64()
    );
    // Warm the page cache for both.
    for entry in std::fs::read_dir(ours.join("Packages")).expect("list") {
        let _ = std::fs::read(entry.expect("entry").path());
    }

    let options = RepoOptions {
        group: GroupSource::File(comps.clone()),
        update: false,
        ..RepoOptions::default()
    };
    let full = median(|| {
        let _ = std::fs::remove_dir_all(ours.join("repodata"));
        let start = Instant::now();
        let summary = generate(&ours, &options).expect("kslint repo");
        assert_eq!(summary.packages, PACKAGES as usize);
        start.elapsed()
    });
    println!(
        "kslint repo, full run:                 {:>8.1} ms",
        ms(full)
    );

    let update_options = RepoOptions {
        update: true,
        ..options.clone()
    };
    let mut round = 0u32;
    let update = median(|| {
        round += 1;
        replace_one(&ours, 7 * round, scale);
        let start = Instant::now();
        let summary = generate(&ours, &update_options).expect("kslint repo --update");
        let elapsed = start.elapsed();
        assert_eq!(summary.read, 1, "{summary:?}");
        elapsed
    });
    println!(
        "kslint repo, update (1 RPM changed):    {:>8.1} ms = {:.3}x the full run (target <= 0.1)",
        ms(update),
        update.as_secs_f64() / full.as_secs_f64()
    );

    if Command::new("createrepo_c")
        .arg("--version")
        .output()
        .is_err()
    {
        println!("createrepo_c not installed (apt-get install createrepo-c): no ratio printed");
        return;
    }
    let comps_arg = comps.display().to_string();
    let theirs_arg = theirs.display().to_string();
    for (what, extra) in [
        ("createrepo_c -g (default, with sqlite):", vec![]),
        (
            "createrepo_c -g --no-database:         ",
            vec!["--no-database"],
        ),
    ] {
        let time = median(|| {
            let _ = std::fs::remove_dir_all(theirs.join("repodata"));
            let start = Instant::now();
            run(Command::new("createrepo_c")
                .args(["-q", "-g", &comps_arg])
                .args(&extra)
                .arg(&theirs_arg));
            start.elapsed()
        });
        println!(
            "{what} {:>8.1} ms; kslint's full run takes {:.3}x its time (target <= 1.0)",
            ms(time),
            full.as_secs_f64() / time.as_secs_f64()
        );
    }
    let mut round = 0u32;
    let their_update = median(|| {
        round += 1;
        replace_one(&theirs, 11 * round, scale);
        let start = Instant::now();
        run(Command::new("createrepo_c")
            .args(["-q", "--update", "--no-database", "-g", &comps_arg])
            .arg(&theirs_arg));
        start.elapsed()
    });
    println!(
        "createrepo_c --update --no-database:    {:>8.1} ms; kslint's update takes {:.3}x its time",
        ms(their_update),
        update.as_secs_f64() / their_update.as_secs_f64()
    );
}

/// Replaces RPM `i` of `tree` by a new build of it (new release).
fn replace_one(tree: &Path, i: u32, scale: usize) {
    let packages = tree.join("Packages");
    let _ = std::fs::remove_file(packages.join(bench_package(i, 0, scale).0));
    let (name, rpm) = bench_package(i, 100 + i, scale);
    std::fs::write(packages.join(name), rpm).expect("write rpm");
}

fn run(command: &mut Command) {
    let output = command.output().expect("spawn");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

fn median(mut f: impl FnMut() -> Duration) -> Duration {
    let mut times: Vec<Duration> = (0..ROUNDS).map(|_| f()).collect();
    times.sort();
    times[ROUNDS / 2]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}
