//! Parse + analysis speed, and `kslint check` as a whole process against
//! pykickstart's `ksvalidator` measured in the same run (when installed).
//!
//! Run: `cargo bench --bench check`. Prints times and ratios; asserts nothing
//! (this machine is shared and noisy; targets are read, not enforced).

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use kslint::analysis::{analyze, CheckOptions};
use kslint::catalog::SyntaxVersion;
use kslint::source::SourceFile;

/// Both tools check against the same release.
const SYNTAX: &str = "RHEL9";

fn main() {
    let big = generated_kickstart(5_000);
    let options = CheckOptions {
        syntax: SyntaxVersion::parse(SYNTAX),
        ..CheckOptions::default()
    };
    let per_run = median_time(50, || {
        let analysis = analyze(SourceFile::new("big.ks", big.as_str()), &options);
        std::hint::black_box(analysis.diagnostics.len());
    });
    println!(
        "parse + analysis, {} lines: {:.3} ms per run (target < 5 ms)",
        big.lines().count(),
        ms(per_run)
    );

    let dir = tempfile::tempdir().expect("temp dir");
    let small = dir.path().join("small.ks");
    let small_text: String = generated_kickstart(25)
        .lines()
        .take(25)
        .map(|l| format!("{l}\n"))
        .collect();
    std::fs::write(&small, small_text).expect("write small.ks");
    let kslint = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/release/kslint");
    if !kslint.exists() {
        println!("(build with `cargo build --release` to time the kslint process)");
        return;
    }
    let ours = median_time(30, || {
        run(Command::new(&kslint)
            .args(["check", "--syntax", SYNTAX])
            .arg(&small))
    });
    println!(
        "kslint check --syntax {SYNTAX}, 25-line file, whole process: {:.2} ms (target < 5 ms)",
        ms(ours)
    );
    if Command::new("ksvalidator").arg("--help").output().is_ok() {
        let theirs = median_time(10, || {
            run(Command::new("ksvalidator").args(["-v", SYNTAX]).arg(&small))
        });
        println!(
            "ksvalidator -v {SYNTAX}, same file: {:.1} ms; kslint takes {:.3}x its time, \
             i.e. it is {:.0}x faster (target >= 50x)",
            ms(theirs),
            ours.as_secs_f64() / theirs.as_secs_f64(),
            theirs.as_secs_f64() / ours.as_secs_f64()
        );
    } else {
        println!("ksvalidator not installed (pip install pykickstart) — no ratio printed");
    }
}

fn run(command: &mut Command) {
    let _ = command.output().expect("spawn");
}

fn median_time(runs: usize, mut body: impl FnMut()) -> Duration {
    body();
    let mut times: Vec<Duration> = (0..runs)
        .map(|_| {
            let start = Instant::now();
            body();
            start.elapsed()
        })
        .collect();
    times.sort();
    times[runs / 2]
}

fn ms(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1e3
}

/// A realistic kickstart of about `lines` lines: commands, a large
/// `%packages` list and long scripts.
fn generated_kickstart(lines: usize) -> String {
    let mut text = String::from(
        "#version=RHEL9\nlang en_US.UTF-8\nkeyboard us\ntimezone UTC --utc\n\
         rootpw --iscrypted $6$salt$hash\nnetwork --bootproto=dhcp --device=link --activate\n\
         bootloader --append=\"console=ttyS0,115200 crashkernel=auto\"\nzerombr\n\
         clearpart --all --initlabel\npart /boot --fstype=xfs --size=1024\n\
         part pv.01 --size=1 --grow\nvolgroup vg pv.01\n\
         logvol / --vgname=vg --name=root --fstype=xfs --size=8192 --grow\nreboot\n",
    );
    let remaining = lines.saturating_sub(20);
    text.push_str("%packages --ignoremissing\n@core\n@^minimal-environment\n");
    for i in 0..remaining / 2 {
        text.push_str(&format!("package-{i}\n"));
    }
    text.push_str("%end\n%post --log=/root/post.log\n");
    for i in 0..remaining / 2 {
        text.push_str(&format!("echo \"step {i}\" >> /var/log/steps # note\n"));
    }
    text.push_str("%end\n");
    text
}
