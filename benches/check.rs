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
    let options = CheckOptions {
        syntax: SyntaxVersion::parse(SYNTAX),
        ..CheckOptions::default()
    };

    // (a) The foundation target: commands and %packages, no scripts.
    let plain = generated_kickstart(5_000, Scripts::None);
    let (wall, cpu) = time_analysis(&plain, &options);
    println!(
        "(a) parse + analysis, {} lines of commands + %packages: {:.3} ms per run, \
         CPU {:.3} ms (target < 5 ms)",
        plain.lines().count(),
        ms(wall),
        ms(cpu)
    );

    // (b) Half %packages, half %post, beside tree-sitter-bash's own time
    // for the same script body (the floor for the whole).
    let big = generated_kickstart(5_000, Scripts::Half);
    let (wall, cpu) = time_analysis(&big, &options);
    let (floor, floor_cpu) = time_bash_parse(&big);
    println!(
        "(b) parse + analysis, {} lines with %post: {:.3} ms per run, CPU {:.3} ms; \
         tree-sitter-bash parse of the %post body alone: {:.3} ms, CPU {:.3} ms",
        big.lines().count(),
        ms(wall),
        ms(cpu),
        ms(floor),
        ms(floor_cpu)
    );

    // (c) Script analysis of 2,000 lines of %post (issue 5).
    let scripted = generated_kickstart(2_000 + 20, Scripts::Only);
    let (wall, cpu) = time_analysis(&scripted, &options);
    let (floor, floor_cpu) = time_bash_parse(&scripted);
    println!(
        "(c) parse + analysis, {} lines of %post: {:.3} ms per run, CPU {:.3} ms \
         (target < 10 ms); tree-sitter-bash parse of the body alone: {:.3} ms, CPU {:.3} ms",
        scripted.lines().count(),
        ms(wall),
        ms(cpu),
        ms(floor),
        ms(floor_cpu)
    );

    let dir = tempfile::tempdir().expect("temp dir");
    let small = dir.path().join("small.ks");
    let small_text: String = generated_kickstart(25, Scripts::Half)
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

fn median_time(runs: usize, body: impl FnMut()) -> Duration {
    median_times(runs, body).0
}

/// Median wall-clock time and median CPU time (user + system of the whole
/// process, so a second thread counts) of `runs` runs after one warm-up.
fn median_times(runs: usize, mut body: impl FnMut()) -> (Duration, Duration) {
    body();
    let mut walls = Vec::with_capacity(runs);
    let mut cpus = Vec::with_capacity(runs);
    for _ in 0..runs {
        let cpu_start = cpu_time();
        let start = Instant::now();
        body();
        walls.push(start.elapsed());
        cpus.push(cpu_time().saturating_sub(cpu_start));
    }
    walls.sort();
    cpus.sort();
    (walls[runs / 2], cpus[runs / 2])
}

fn time_analysis(text: &str, options: &CheckOptions) -> (Duration, Duration) {
    median_times(50, || {
        let analysis = analyze(SourceFile::new("big.ks", text), options);
        std::hint::black_box(analysis.diagnostics.len());
    })
}

/// tree-sitter-bash alone on the `%post` body of `text`, parsed as a string
/// of its own: what no analysis of that body can beat.
fn time_bash_parse(text: &str) -> (Duration, Duration) {
    let start = text.find("%post").expect("a %post section");
    let body_start = start + text[start..].find('\n').expect("a header line") + 1;
    let body_end = body_start + text[body_start..].find("%end\n").expect("an %end");
    let body = &text[body_start..body_end];
    let mut parser = tree_sitter::Parser::new();
    parser
        .set_language(&tree_sitter_bash::LANGUAGE.into())
        .expect("tree-sitter-bash loads");
    median_times(50, || {
        let tree = parser.parse(body, None).expect("parsing completes");
        std::hint::black_box(tree.root_node().child_count());
    })
}

/// User + system CPU time of this process so far.
fn cpu_time() -> Duration {
    // SAFETY: getrusage only writes into the zeroed struct passed to it.
    let usage = unsafe {
        let mut usage: libc::rusage = std::mem::zeroed();
        libc::getrusage(libc::RUSAGE_SELF, &mut usage);
        usage
    };
    let micros = |t: libc::timeval| t.tv_sec as u64 * 1_000_000 + t.tv_usec as u64;
    Duration::from_micros(micros(usage.ru_utime) + micros(usage.ru_stime))
}

fn ms(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1e3
}

/// Which script sections [`generated_kickstart`] writes.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Scripts {
    /// Commands and `%packages` only.
    None,
    /// Half of the remaining lines `%packages`, half `%post`.
    Half,
    /// Every remaining line in `%post`, no `%packages` list.
    Only,
}

/// A realistic kickstart of about `lines` lines: commands, a large
/// `%packages` list and long scripts.
fn generated_kickstart(lines: usize, scripts: Scripts) -> String {
    let mut text = String::from(
        "#version=RHEL9\nlang en_US.UTF-8\nkeyboard us\ntimezone UTC --utc\n\
         rootpw --iscrypted $6$salt$hash\nnetwork --bootproto=dhcp --device=link --activate\n\
         bootloader --append=\"console=ttyS0,115200 crashkernel=auto\"\nzerombr\n\
         clearpart --all --initlabel\npart /boot --fstype=xfs --size=1024\n\
         part pv.01 --size=1 --grow\nvolgroup vg pv.01\n\
         logvol / --vgname=vg --name=root --fstype=xfs --size=8192 --grow\nreboot\n",
    );
    let remaining = lines.saturating_sub(20);
    let (package_lines, script_lines) = match scripts {
        Scripts::None => (remaining, 0),
        Scripts::Half => (remaining / 2, remaining / 2),
        Scripts::Only => (0, remaining),
    };
    text.push_str("%packages --ignoremissing\n@core\n@^minimal-environment\n");
    for i in 0..package_lines {
        text.push_str(&format!("package-{i}\n"));
    }
    text.push_str("%end\n");
    if script_lines > 0 {
        text.push_str("%post --log=/root/post.log\n");
        for i in 0..script_lines {
            text.push_str(&format!("echo \"step {i}\" >> /var/log/steps # note\n"));
        }
        text.push_str("%end\n");
    }
    text
}
