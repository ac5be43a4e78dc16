//! Media index speed: a generated tree of 4,000 RPMs, indexed cold (every
//! header read, no cache) and checked warm (`kslint check` as a whole
//! process with the header cache), plus the size of the index in memory.
//!
//! Run: `cargo bench --bench media` (the process timing uses the binary
//! cargo builds for the bench). Prints numbers against the targets; asserts
//! nothing beyond the run working.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use kslint::media::testkit::{comps_xml, GroupSpec, RpmSpec};
use kslint::media::{MediaIndex, MediaLayout};

const PACKAGES: usize = 4_000;

fn main() {
    let dir = tempfile::tempdir().expect("temp dir");
    let root = dir.path().join("build_iso/isolinux");
    let packages = root.join("Packages");
    std::fs::create_dir_all(root.join("ks")).expect("mkdir");
    let started = Instant::now();
    for i in 0..PACKAGES {
        RpmSpec::chained(i).write_to(&packages).expect("write rpm");
    }
    println!(
        "generated {PACKAGES} RPMs in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    let members: Vec<(String, &str)> = (0..50)
        .map(|i| (format!("pkg{i:04}"), "mandatory"))
        .collect();
    let members: Vec<(&str, &str)> = members.iter().map(|(n, k)| (n.as_str(), *k)).collect();
    std::fs::write(
        dir.path().join("build_iso/comps.xml"),
        comps_xml(
            &[GroupSpec {
                id: "core",
                name: "Core",
                packages: &members,
            }],
            &[],
        ),
    )
    .expect("write comps");
    let ks = root.join("ks/ks.cfg");
    let mut text = String::from("lang en_US.UTF-8\nrootpw --lock\n%packages\n@core\n");
    for i in (0..PACKAGES).step_by(40) {
        text.push_str(&format!("pkg{i:04}\n"));
    }
    text.push_str("%end\n");
    std::fs::write(&ks, text).expect("write ks");

    let layout = || MediaLayout::at(&root, None).expect("layout");
    let cold = median(5, || {
        let (index, stats) = MediaIndex::load_with(layout(), None);
        assert_eq!(stats.headers_read, PACKAGES);
        std::hint::black_box(index.packages.len());
    });
    println!(
        "cold index of {PACKAGES} RPMs (every header read, no cache): {:.0} ms (target < 1000 ms)",
        ms(cold)
    );
    let (index, _) = MediaIndex::load_with(layout(), None);
    println!(
        "index memory (estimated from the data it holds): {:.1} MB (target < 100 MB)",
        estimated_bytes(&index) as f64 / 1e6
    );

    let cache = tempfile::tempdir().expect("cache dir");
    let kslint = Path::new(env!("CARGO_BIN_EXE_kslint"));
    let run = || {
        let output = Command::new(kslint)
            .args(["check", "--format", "json"])
            .arg(&ks)
            .env("KSLINT_CACHE_DIR", cache.path())
            .output()
            .expect("run kslint");
        assert!(output.status.code().is_some_and(|c| c <= 1));
        let value: serde_json::Value = serde_json::from_slice(&output.stdout).expect("json");
        std::hint::black_box(value);
    };
    let started = Instant::now();
    run();
    println!(
        "first `kslint check` (cold, fills the cache): {:.0} ms",
        ms(started.elapsed())
    );
    let warm = median(11, run);
    println!(
        "warm `kslint check` of a kickstart, whole process with cache: {:.1} ms (target < 50 ms)",
        ms(warm)
    );
}

fn estimated_bytes(index: &MediaIndex) -> usize {
    let deps = |deps: &[kslint::media::index::Dep]| -> usize {
        deps.iter()
            .map(|d| 80 + d.name.len() + d.version.len())
            .sum()
    };
    let packages: usize = index
        .packages
        .packages
        .iter()
        .map(|p| {
            400 + p.name.len()
                + p.summary.len()
                + p.location.len()
                + deps(&p.provides)
                + deps(&p.requires)
                + deps(&p.conflicts)
                + deps(&p.obsoletes)
                + p.files.iter().map(|f| 24 + f.len()).sum::<usize>()
        })
        .sum();
    // The lookup tables hold a copy of every name, provide and file.
    packages * 2
}

fn median(runs: usize, mut f: impl FnMut()) -> Duration {
    let mut times: Vec<Duration> = (0..runs)
        .map(|_| {
            let start = Instant::now();
            f();
            start.elapsed()
        })
        .collect();
    times.sort();
    times[runs / 2]
}

fn ms(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1000.0
}
