//! `kslint init` from a large install image (read in place) against
//! `xorriso -osirrox on -extract` of the same files, one run each.
//!
//! The image (default about 1.5 GB, like a small DVD) is made by our engine
//! from random files laid out like install media: half of it is what init
//! copies (`isolinux/`, `EFI/`, `images/`, `LiveOS/`, top-level files), the
//! other half `Packages/`, which init leaves to `collect`. xorriso extracts
//! exactly the files init copies. The image is read once beforehand so that
//! both start from a warm page cache.
//!
//! Run: `cargo bench --bench init` (`KSLINT_BENCH_IMAGE_MB=200` for a quick
//! run, `KSLINT_BENCH_ROUNDS=1` for one run of each instead of five
//! alternating ones). Before each run the output of the last is removed,
//! dirty pages are flushed and the image is read again, so both tools start
//! from the same page cache state. Prints each side's wall times (median
//! and best) and CPU time (user + system, median: the least disturbed by
//! other work on a shared machine) and their ratios (target ≤ 1.0×);
//! asserts that both produced the same files.

use std::fs;
use std::io::Write;
use std::path::Path;
use std::process::Command;
use std::time::Instant;

use kslint::assemble::init::{run, InitOptions, COPIED_FROM_IMAGE};
use kslint::iso::{self, Control, IsoOptions, Tree};

/// Pseudo-random bytes (xorshift64*), fast enough not to dominate the setup.
fn random_file(path: &Path, len: u64, seed: u64) {
    fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
    let mut out =
        std::io::BufWriter::with_capacity(1 << 20, fs::File::create(path).expect("create"));
    let mut state = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let mut buf = vec![0u8; 1 << 20];
    let mut left = len;
    while left > 0 {
        for chunk in buf.chunks_exact_mut(8) {
            state ^= state >> 12;
            state ^= state << 25;
            state ^= state >> 27;
            chunk.copy_from_slice(&state.wrapping_mul(0x2545_F491_4F6C_DD1D).to_le_bytes());
        }
        let n = left.min(buf.len() as u64) as usize;
        out.write_all(&buf[..n]).expect("write");
        left -= n as u64;
    }
    out.flush().expect("flush");
}

fn tree_bytes(dir: &Path) -> (usize, u64) {
    let mut files = 0;
    let mut bytes = 0;
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in fs::read_dir(&d).expect("list") {
            let entry = entry.expect("entry");
            let meta = fs::symlink_metadata(entry.path()).expect("stat");
            if meta.is_dir() {
                stack.push(entry.path());
            } else if entry.file_name() != "kslint.toml" {
                files += 1;
                bytes += meta.len();
            }
        }
    }
    (files, bytes)
}

fn main() {
    let total_mb: u64 = std::env::var("KSLINT_BENCH_IMAGE_MB")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1536);
    let mb = 1u64 << 20;
    let work = tempfile::tempdir().expect("temp dir");
    let src = work.path().join("dvd");
    let started = Instant::now();
    // What init copies: about half the image.
    let half = total_mb * mb / 2;
    random_file(&src.join("LiveOS/squashfs.img"), half * 60 / 100, 1);
    random_file(&src.join("images/install.img"), half * 20 / 100, 2);
    random_file(&src.join("images/pxeboot/initrd.img"), half * 8 / 100, 3);
    random_file(&src.join("images/pxeboot/vmlinuz"), half / 100, 4);
    random_file(&src.join("images/efiboot.img"), half * 2 / 100, 5);
    random_file(&src.join("isolinux/initrd.img"), half * 8 / 100, 3);
    random_file(&src.join("isolinux/vmlinuz"), half / 100, 4);
    for (i, name) in [
        "isolinux.bin",
        "vesamenu.c32",
        "ldlinux.c32",
        "libcom32.c32",
        "memtest",
        "splash.png",
    ]
    .iter()
    .enumerate()
    {
        random_file(
            &src.join("isolinux").join(name),
            40_000 + i as u64 * 10_000,
            10 + i as u64,
        );
    }
    fs::write(src.join("isolinux/isolinux.cfg"), "default vesamenu.c32\n").expect("cfg");
    for (i, name) in [
        "BOOTX64.EFI",
        "grubx64.efi",
        "mmx64.efi",
        "fonts/unicode.pf2",
    ]
    .iter()
    .enumerate()
    {
        random_file(
            &src.join("EFI/BOOT").join(name),
            1_000_000 + i as u64 * 200_000,
            20 + i as u64,
        );
    }
    fs::write(src.join("EFI/BOOT/grub.cfg"), "search -l 'BENCH'\n").expect("grub");
    fs::write(src.join(".discinfo"), "1.0\nCentOS 7\nx86_64\n").expect("discinfo");
    fs::write(
        src.join(".treeinfo"),
        "[general]\nfamily = CentOS\nversion = 7\narch = x86_64\n",
    )
    .expect("treeinfo");
    // Packages/: the other half, in RPM-sized files (init does not copy them).
    let rpm_size = mb;
    let count = (total_mb * mb - half) / rpm_size;
    for i in 0..count {
        random_file(
            &src.join("Packages")
                .join(format!("package-{i:05}-1.0-1.el7.x86_64.rpm")),
            rpm_size - (i % 7) * 4096,
            100 + i,
        );
    }
    let image = work.path().join("bench.iso");
    let opts = IsoOptions {
        volume_id: "BENCH".into(),
        timestamp: Some(1_700_000_000),
        ..IsoOptions::default()
    };
    iso::build(
        Tree::from_dir(&src).expect("tree"),
        &opts,
        &image,
        &mut Control::default(),
    )
    .expect("build image");
    fs::remove_dir_all(&src).expect("remove source tree");
    let size = fs::metadata(&image).expect("image").len();
    println!(
        "\n== init from a {:.2} GB image ({count} RPMs not copied), prepared in {:.1} s",
        size as f64 / 1e9,
        started.elapsed().as_secs_f64()
    );
    warm(&image);

    let theirs = work.path().join("xorriso");
    fs::create_dir_all(&theirs).expect("mkdir");
    let mut args: Vec<String> = vec![
        "-osirrox".into(),
        "on".into(),
        "-indev".into(),
        image.display().to_string(),
    ];
    for path in COPIED_FROM_IMAGE {
        args.extend([
            "-extract".into(),
            format!("/{path}"),
            theirs.join(path).display().to_string(),
        ]);
    }
    // Alternating rounds (xorriso, ours, ours, xorriso, …) so that neither
    // always runs second; each output is removed and flushed between runs.
    // KSLINT_BENCH_ROUNDS=1 for the single run of the issue.
    let rounds: usize = std::env::var("KSLINT_BENCH_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(5)
        .max(1);
    let ours = work.path().join("ours");
    let mut xorriso_times = Vec::new();
    let mut our_times = Vec::new();
    // CPU seconds (user + system) of each side: less sensitive than wall
    // time to other work on a shared machine.
    let (mut xorriso_cpu, mut our_cpu) = (Vec::new(), Vec::new());
    let mut xorriso_ok = true;
    let mut copied = (0, 0);
    for round in 0..rounds {
        for turn in 0..2 {
            let xorriso_turn = (turn == 0) == (round % 2 == 0);
            if xorriso_turn && xorriso_ok {
                let _ = fs::remove_dir_all(&theirs);
                fs::create_dir_all(&theirs).expect("mkdir");
                sync();
                warm(&image);
                let cpu_before = cpu_seconds().1;
                let start = Instant::now();
                let output = Command::new("xorriso").args(&args).output();
                let elapsed = start.elapsed();
                xorriso_cpu.push(cpu_seconds().1 - cpu_before);
                xorriso_ok = matches!(&output, Ok(o) if o.status.success());
                if xorriso_ok {
                    xorriso_times.push(elapsed.as_secs_f64());
                } else {
                    println!("xorriso not available or failed: {output:?}");
                }
            } else if !xorriso_turn {
                let _ = fs::remove_dir_all(&ours);
                sync();
                warm(&image);
                let cpu_before = cpu_seconds().0;
                let start = Instant::now();
                let report = run(&InitOptions {
                    from: image.clone(),
                    dir: ours.clone(),
                    quiet: true,
                    ..InitOptions::default()
                })
                .expect("kslint init");
                our_times.push(start.elapsed().as_secs_f64());
                our_cpu.push(cpu_seconds().0 - cpu_before);
                copied = (report.files, report.bytes);
            }
        }
    }
    let median = |times: &mut Vec<f64>| {
        times.sort_by(f64::total_cmp);
        times[times.len() / 2]
    };
    let ours_median = median(&mut our_times);
    let ours_cpu = median(&mut our_cpu);
    println!(
        "kslint init:      {:>7.2} s median, {:.2} s best, {:.2} s CPU median, of {:.2?}  ({} files, {:.0} MB copied, {:.0} MB/s)",
        ours_median,
        our_times[0],
        ours_cpu,
        our_times,
        copied.0,
        copied.1 as f64 / 1e6,
        copied.1 as f64 / 1e6 / ours_median
    );
    if xorriso_ok {
        let xorriso_median = median(&mut xorriso_times);
        let (our_files, our_bytes) = tree_bytes(&ours.join("isolinux"));
        let (files, bytes) = tree_bytes(&theirs);
        let theirs_cpu = median(&mut xorriso_cpu);
        println!(
            "xorriso -extract: {:>7.2} s median, {:.2} s best, {:.2} s CPU median, of {:.2?}  ({files} files, {:.0} MB)",
            xorriso_median,
            xorriso_times[0],
            theirs_cpu,
            xorriso_times,
            bytes as f64 / 1e6
        );
        // The starter kickstart is the one file init adds.
        assert_eq!(
            (
                our_files,
                our_bytes - file_len(&ours.join("isolinux/ks/ks.cfg"))
            ),
            (files + 1, bytes)
        );
        println!(
            "ratio kslint/xorriso: {:.2}x wall median (target <= 1.0x), {:.2}x best wall, {:.2}x CPU median ({rounds} alternating round(s), page cache warmed before each run)",
            ours_median / xorriso_median,
            our_times[0] / xorriso_times[0].max(1e-9),
            ours_cpu / theirs_cpu.max(1e-9),
        );
    }
}

/// (this process, its waited-for children) user + system CPU seconds,
/// from `/proc/self/stat` (0 where it cannot be read).
fn cpu_seconds() -> (f64, f64) {
    let Ok(stat) = fs::read_to_string("/proc/self/stat") else {
        return (0.0, 0.0);
    };
    // Fields after the command name, which is in parentheses.
    let rest = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
    let fields: Vec<f64> = rest
        .split_whitespace()
        .map(|f| f.parse().unwrap_or(0.0))
        .collect();
    // utime, stime, cutime, cstime are fields 14-17 (11-14 after the name).
    let at = |i: usize| fields.get(i).copied().unwrap_or(0.0);
    let ticks = 100.0; // USER_HZ on Linux
    ((at(11) + at(12)) / ticks, (at(13) + at(14)) / ticks)
}

fn file_len(path: &Path) -> u64 {
    fs::metadata(path).map(|m| m.len()).unwrap_or(0)
}

/// Reads the whole image, so that every run starts with it in the page
/// cache whatever the run before did (the same cache state for both tools).
fn warm(image: &Path) {
    use std::io::Read;
    let mut file = fs::File::open(image).expect("image");
    let mut buf = vec![0u8; 4 << 20];
    while file.read(&mut buf).expect("read image") > 0 {}
}

/// Flushes dirty pages so that one run's writeback does not slow the next.
fn sync() {
    let _ = Command::new("sync").status();
}
