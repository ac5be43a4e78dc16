//! Faults during builds (issue 12, item 3): `kill -9` at random moments of
//! `kslint build-iso`, `kslint repo` and `kslint collect` leaves the target absent or the
//! previous complete file, never a partial one; SIGINT/SIGTERM remove the
//! temporary output; a file size limit (`ulimit -f`, what a full disk looks
//! like to the writer) is a clear error with no temporary files left; the
//! source tree is byte-identical after every build, killed or not.
//!
//! The random delays come from a seed printed by each test; set
//! `KSLINT_FAULT_SEED` to replay one.

#[path = "iso/common.rs"]
mod common;
mod repo_common;

use std::collections::BTreeMap;
use std::fs;
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use common::{bytes, snapshot_with_times, write, Scratch};
use kslint::media::testkit::RpmSpec;
use sha2::{Digest, Sha256};

type Snapshot = BTreeMap<String, (char, u32, Vec<u8>, i64, i64)>;

/// Small xorshift generator; the seed is printed so a failure can be replayed.
struct Rng(u64);

impl Rng {
    fn from_env(test: &str) -> Rng {
        let seed = std::env::var("KSLINT_FAULT_SEED")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| {
                std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map_or(1, |d| d.as_nanos() as u64)
            });
        eprintln!("{test}: KSLINT_FAULT_SEED={seed}");
        Rng(seed | 1)
    }
    /// Uniform in [0, max).
    fn below(&mut self, max: Duration) -> Duration {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        max.mul_f64((self.0 >> 11) as f64 / (1u64 << 53) as f64)
    }
}

fn sha(path: &Path) -> Option<String> {
    let data = fs::read(path).ok()?;
    Some(format!("{:x}", Sha256::digest(&data)))
}

/// Entries of `dir` whose name contains `needle`.
fn leftovers(dir: &Path, needle: &str) -> Vec<String> {
    fs::read_dir(dir)
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains(needle))
        .collect()
}

fn kslint_cmd(args: &[&str]) -> Command {
    let mut c = Command::new(common::kslint());
    c.args(args).stdout(Stdio::null()).stderr(Stdio::piped());
    c
}

/// Runs to completion, asserting success; returns the wall time.
fn run_ok(args: &[&str]) -> Duration {
    let start = Instant::now();
    let out = kslint_cmd(args).output().unwrap();
    assert!(
        out.status.success(),
        "kslint {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    start.elapsed()
}

/// Random kill moments inside a run whose length is learnt as the rounds go.
///
/// The window starts at the quickest calibration run and shrinks to any
/// round that finished sooner. Other tests share the machine, so one slow
/// calibration run (CI once measured 1.2 s for runs that then took 70 ms)
/// must not put every kill after the end of the run.
struct KillClock {
    rng: Rng,
    window: Duration,
}

impl KillClock {
    fn new(test: &str, quickest_run: Duration) -> KillClock {
        KillClock {
            rng: Rng::from_env(test),
            window: quickest_run,
        }
    }

    /// Starts `command`, SIGKILLs it after the next random delay (if it is
    /// still running) and reaps it. Returns the delay and whether the run
    /// finished on its own; a run that finished narrows the window.
    fn run(&mut self, command: &mut Command) -> (Duration, bool) {
        let delay = self.rng.below(self.window);
        let start = Instant::now();
        let finished = kill_after(command.spawn().unwrap(), delay);
        if finished {
            self.window = self.window.min(start.elapsed());
        }
        (delay, finished)
    }
}

/// SIGKILLs `child` after `delay` if it is still running, and reaps it.
/// Returns whether it had finished on its own.
fn kill_after(mut child: Child, delay: Duration) -> bool {
    let deadline = Instant::now() + delay;
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            assert!(status.success(), "build failed on its own: {status:?}");
            return true;
        }
        if Instant::now() >= deadline {
            child.kill().unwrap(); // SIGKILL
            let status = child.wait().unwrap();
            // It may have finished between try_wait and kill.
            return status.success();
        }
        std::thread::sleep(Duration::from_millis(2));
    }
}

// --- build-iso ----------------------------------------------------------------

/// A media tree: files of a few MB (so a build takes long enough to be hit
/// at many points), a BIOS boot image whose boot-info-table is patched in
/// the image only, and a marker file that tells two versions apart.
fn media_tree(root: &Path, version: u8) {
    for i in 0..12u64 {
        write(
            &root.join(format!("Packages/pkg-{i:02}.rpm")),
            &bytes(i + 1, 2 << 20),
        );
    }
    let mut boot = bytes(77, 8192);
    boot[..4].copy_from_slice(b"BOOT");
    write(&root.join("isolinux/isolinux.bin"), &boot);
    write(&root.join("isolinux/isolinux.cfg"), b"default linux\n");
    write(&root.join("marker.txt"), &[b'A' + version; 100]);
}

fn iso_args<'a>(src: &'a str, out: &'a str) -> Vec<&'a str> {
    vec![
        "build-iso",
        src,
        "-o",
        out,
        "--volume-id",
        "FAULTS",
        "--boot-image",
        "isolinux/isolinux.bin",
        "--no-hybrid",
        "--source-date-epoch",
        "1700000000",
        "-q",
        // A tree of test files, not install media: the lint gate would
        // refuse it, and its Packages/ holds no real RPMs to index.
        "--force",
        "--repodata",
        "never",
    ]
}

/// Reads an image back with an independent reader: every file of `src` is there, byte for byte.
fn assert_image_has_tree(iso_path: &Path, src: &Path) {
    let mut file = fs::File::open(iso_path).unwrap();
    let root =
        isomage::detect_and_parse_filesystem(&mut file, "faults.iso").expect("the image parses");
    for (path, (kind, _, data)) in common::snapshot(src) {
        if kind != 'f' || path == "isolinux/isolinux.bin" {
            continue; // (the boot image carries the patched boot-info-table)
        }
        let node = root
            .find_node(&path)
            .unwrap_or_else(|| panic!("{path} in the image"));
        let mut out = Vec::new();
        isomage::cat_node(&mut file, node, &mut out).unwrap();
        assert!(out == data, "bytes of {path}");
    }
}

#[test]
fn kill_9_during_build_iso_leaves_no_partial_image_and_the_tree_untouched() {
    let s = Scratch::new("faults-kill-iso");
    let src = s.join("src");
    let out_dir = s.join("out");
    fs::create_dir_all(&out_dir).unwrap();
    let target = out_dir.join("image.iso");
    let (src_s, target_s) = (src.to_str().unwrap(), target.to_str().unwrap());

    // The complete image of each version of the tree, for comparison.
    let mut complete = Vec::new();
    let mut quickest = Duration::MAX;
    for version in 0..2u8 {
        media_tree(&src, version);
        let reference = s.join(&format!("reference-{version}.iso"));
        let before = snapshot_with_times(&src);
        quickest = quickest.min(run_ok(&iso_args(src_s, reference.to_str().unwrap())));
        assert_eq!(before, snapshot_with_times(&src), "source untouched");
        assert_image_has_tree(&reference, &src);
        complete.push(sha(&reference).unwrap());
    }
    assert_ne!(complete[0], complete[1]);

    let mut clock = KillClock::new("kill_9_during_build_iso", quickest);
    let rounds = 8;
    let mut killed = 0;
    for round in 0..rounds {
        let version = (round % 2) as u8;
        media_tree(&src, version);
        let before: Snapshot = snapshot_with_times(&src);
        let previous = sha(&target);
        let (delay, finished) = clock.run(&mut kslint_cmd(&iso_args(src_s, target_s)));
        killed += usize::from(!finished);
        let now = sha(&target);
        eprintln!("round {round}: kill after {delay:?}, finished: {finished}");
        assert!(
            now == previous || now.as_ref() == Some(&complete[usize::from(version)]),
            "round {round} (kill after {delay:?}): the target is neither the previous image \
             nor the complete new one"
        );
        if finished {
            assert_eq!(now.as_ref(), Some(&complete[usize::from(version)]));
        }
        assert_eq!(
            before,
            snapshot_with_times(&src),
            "round {round}: source tree changed"
        );
    }
    assert!(
        killed >= 2,
        "only {killed} of {rounds} builds were killed mid-way"
    );
    // A complete build afterwards removes what the killed ones left behind.
    run_ok(&iso_args(src_s, target_s));
    let last_version = (rounds - 1) % 2;
    assert_eq!(sha(&target).as_ref(), Some(&complete[last_version]));
    assert_eq!(leftovers(&out_dir, "kslint-tmp"), Vec::<String>::new());
}

/// Starts a build and waits until its temporary image has some data in it.
/// (The caller reaps the child it gets back.)
#[allow(clippy::zombie_processes)]
fn start_and_wait_for_temp(args: &[&str], dir: &Path) -> Child {
    let mut command = kslint_cmd(args);
    // A test run started in the background by a shell without job control
    // (`cmd &`) has SIGINT ignored, and kslint rightly keeps an ignored
    // signal ignored: give the build the default disposition to test.
    // SAFETY: `signal` is async-signal-safe and touches only the child.
    unsafe {
        command.pre_exec(|| {
            libc::signal(libc::SIGINT, libc::SIG_DFL);
            Ok(())
        });
    }
    let mut child = command.spawn().unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let growing = fs::read_dir(dir).unwrap().filter_map(|e| e.ok()).any(|e| {
            e.file_name().to_string_lossy().contains("kslint-tmp")
                && e.metadata().is_ok_and(|m| m.len() > (1 << 20))
        });
        if growing {
            return child;
        }
        if Instant::now() >= deadline {
            let _ = child.kill();
            let out = child.wait_with_output().unwrap();
            panic!(
                "no temporary image appeared: {:?} {}",
                out.status,
                String::from_utf8_lossy(&out.stderr)
            );
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

#[test]
fn sigint_and_sigterm_during_build_iso_remove_the_temporary_image() {
    let s = Scratch::new("faults-signal-iso");
    let src = s.join("src");
    // A bigger tree, so the build is still running when the signal comes.
    media_tree(&src, 0);
    for i in 0..16u64 {
        write(
            &src.join(format!("big/blob-{i:02}.bin")),
            &bytes(500 + i, 4 << 20),
        );
    }
    let before = snapshot_with_times(&src);
    let out_dir = s.join("out");
    fs::create_dir_all(&out_dir).unwrap();
    let target = out_dir.join("image.iso");
    for (signal, name) in [(2, "INT"), (15, "TERM")] {
        let out = signal_during_build(&src, &target, &out_dir, name);
        assert_eq!(
            out.status.signal(),
            Some(signal),
            "SIG{name} ends the build as that signal: {:?} {}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(
            leftovers(&out_dir, "kslint-tmp"),
            Vec::<String>::new(),
            "SIG{name}"
        );
        assert_eq!(
            fs::read(&target).unwrap(),
            b"the previous image",
            "SIG{name}"
        );
    }
    assert_eq!(before, snapshot_with_times(&src), "source tree untouched");
}

/// Starts `build-iso` from `src` to `target`, sends `SIG<name>` once its
/// temporary image exists, and returns how it ended. On a loaded machine the
/// build can finish between the image appearing and the signal arriving:
/// that run tested nothing, so the previous image is put back and the build
/// tried again, a few times at most.
fn signal_during_build(src: &Path, target: &Path, out_dir: &Path, name: &str) -> Output {
    const ATTEMPTS: usize = 5;
    for _ in 0..ATTEMPTS {
        fs::write(target, b"the previous image").unwrap();
        let args = iso_args(src.to_str().unwrap(), target.to_str().unwrap());
        let child = start_and_wait_for_temp(&args, out_dir);
        let status = Command::new("kill")
            .args([format!("-{name}"), child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
        let out = child.wait_with_output().unwrap();
        if !out.status.success() {
            return out;
        }
    }
    panic!("every build finished before SIG{name} arrived ({ATTEMPTS} attempts)");
}

/// Runs kslint under a file size limit of `blocks` 512-byte blocks.
fn with_file_limit(blocks: u32, args: &[&str]) -> std::process::Output {
    Command::new("sh")
        .arg("-c")
        .arg(format!("ulimit -f {blocks} && exec \"$0\" \"$@\""))
        .arg(common::kslint())
        .args(args)
        .output()
        .unwrap()
}

#[test]
fn a_file_size_limit_is_a_clear_error_and_leaves_no_temporary_files() {
    let s = Scratch::new("faults-fsize-iso");
    let src = s.join("src");
    media_tree(&src, 0);
    let before = snapshot_with_times(&src);
    let out_dir = s.join("out");
    fs::create_dir_all(&out_dir).unwrap();
    let target = out_dir.join("image.iso");
    fs::write(&target, b"the previous image").unwrap();
    let mut args = iso_args(src.to_str().unwrap(), target.to_str().unwrap());
    for extra in [None, Some("--no-implant-md5")] {
        // (with the MD5 the data passes through the process; without, copy_file_range)
        args.extend(extra);
        let out = with_file_limit(8192, &args); // 4 MiB, the image is over 24
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{:?}: {err}", out.status);
        assert!(err.contains("File too large"), "{err}");
        assert!(
            err.contains("ulimit -f") && err.contains("image.iso"),
            "{err}"
        );
        assert!(!err.contains("panicked"), "{err}");
        assert_eq!(leftovers(&out_dir, "kslint-tmp"), Vec::<String>::new());
        assert_eq!(fs::read(&target).unwrap(), b"the previous image");
    }
    assert_eq!(before, snapshot_with_times(&src), "source tree untouched");
}

// --- repo -----------------------------------------------------------------------

/// A directory of `n` RPMs (plus `extra` more, to make versions differ).
fn rpm_tree(root: &Path, n: u32, extra: u32) {
    let files: Vec<(String, Vec<u8>)> = (0..n + extra)
        .map(|i| repo_common::small_package(&format!("pkg{i:04}"), "1.0", "1.el9", i))
        .collect();
    repo_common::write_rpms(&root.join("Packages"), &files, 1_700_000_000);
}

/// Snapshot of the RPMs only (repo writes `repodata/` beside them).
fn rpm_snapshot(root: &Path) -> Snapshot {
    snapshot_with_times(&root.join("Packages"))
}

fn repomd_sha(root: &Path) -> Option<String> {
    sha(&root.join("repodata/repomd.xml"))
}

#[test]
fn kill_9_during_repo_leaves_old_or_new_consistent_metadata() {
    let s = Scratch::new("faults-kill-repo");
    let root = s.join("repo");
    rpm_tree(&root, 300, 0);
    let root_s = root.to_str().unwrap().to_string();
    let repo_args = |rev: &str| -> Vec<String> {
        [
            "repo",
            "--no-update",
            "--no-comps",
            "--revision",
            rev,
            &root_s,
        ]
        .iter()
        .map(|s| s.to_string())
        .collect()
    };
    let run = |rev: &str| {
        let args = repo_args(rev);
        run_ok(&args.iter().map(String::as_str).collect::<Vec<_>>())
    };
    let quickest = run("first").min(run("first"));
    let mut clock = KillClock::new("kill_9_during_repo", quickest);
    let mut killed = 0;
    let rounds = 8;
    let mut listed = 300;
    for round in 0..rounds {
        // Each round adds a package, so the new metadata differs from the old.
        rpm_tree(&root, 300, round + 1);
        let before = rpm_snapshot(&root);
        let previous = repomd_sha(&root);
        let rev = format!("round-{round}");
        let args = repo_args(&rev);
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let (delay, finished) = clock.run(&mut kslint_cmd(&args));
        killed += usize::from(!finished);
        eprintln!("round {round}: kill after {delay:?}, finished: {finished}");
        let repomd = fs::read_to_string(root.join("repodata/repomd.xml")).unwrap();
        let now = repomd_sha(&root);
        let is_new = repomd.contains(&format!("<revision>{rev}</revision>"));
        assert!(
            now == previous || is_new,
            "round {round}: repomd.xml is neither the old nor the new one"
        );
        if finished {
            assert!(is_new, "round {round}: finished but the metadata is old");
        }
        // Whichever it is, it is complete: every file it names is there and matches.
        let data = repo_common::Repodata::read(&root);
        data.assert_consistent();
        let primary = data.document("primary");
        let packages = primary
            .children
            .iter()
            .filter(|c| c.name == "package")
            .count();
        if is_new {
            listed = 300 + round as usize + 1;
        }
        assert_eq!(packages, listed, "round {round}: packages in primary.xml");
        assert_eq!(before, rpm_snapshot(&root), "round {round}: RPMs changed");
    }
    assert!(
        killed >= 2,
        "only {killed} of {rounds} runs were killed mid-way"
    );
    // The next complete run clears the temporary directories of killed runs.
    run("last");
    assert_eq!(leftovers(&root, ".repodata.tmp-"), Vec::<String>::new());
    repo_common::Repodata::read(&root).assert_consistent();
}

#[test]
fn sigint_during_repo_and_a_file_size_limit_leave_the_metadata_and_no_temporary_files() {
    let s = Scratch::new("faults-signal-repo");
    let root = s.join("repo");
    rpm_tree(&root, 200, 0);
    let root_s = root.to_str().unwrap();
    run_ok(&["repo", "--no-comps", "--revision", "old", root_s]);
    let old = repomd_sha(&root);
    rpm_tree(&root, 200, 5);
    let before = rpm_snapshot(&root);

    // A limit far below the size of the new primary.xml.gz.
    let out = with_file_limit(4, &["repo", "--no-update", "--no-comps", root_s]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{:?}: {err}", out.status);
    assert!(err.contains("File too large"), "{err}");
    assert!(!err.contains("panicked"), "{err}");
    assert_eq!(leftovers(&root, ".repodata.tmp-"), Vec::<String>::new());
    assert_eq!(repomd_sha(&root), old, "metadata unchanged");

    // SIGINT once the temporary directory exists.
    let args = [
        "repo",
        "--no-update",
        "--no-comps",
        "--revision",
        "new",
        root_s,
    ];
    let child = kslint_cmd(&args).spawn().unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut interrupted = false;
    while Instant::now() < deadline {
        if !leftovers(&root, ".repodata.tmp-").is_empty() {
            Command::new("kill")
                .args(["-INT", &child.id().to_string()])
                .status()
                .unwrap();
            interrupted = true;
            break;
        }
        std::thread::sleep(Duration::from_millis(1));
    }
    let out = child.wait_with_output().unwrap();
    if interrupted && out.status.signal() == Some(2) {
        assert_eq!(leftovers(&root, ".repodata.tmp-"), Vec::<String>::new());
        // Unchanged, unless the signal came while the new metadata was being
        // put in place (the handler waits for that): then it is the new one.
        let repomd = fs::read_to_string(root.join("repodata/repomd.xml")).unwrap();
        assert!(
            repomd_sha(&root) == old || repomd.contains("<revision>new</revision>"),
            "metadata neither old nor new"
        );
    } else {
        // The run finished before the signal: then it is the new, complete metadata.
        eprintln!("SIGINT came too late: {:?}", out.status);
        assert!(out.status.success());
    }
    repo_common::Repodata::read(&root).assert_consistent();
    assert_eq!(before, rpm_snapshot(&root), "RPMs untouched");
}

#[test]
fn a_source_file_changing_or_vanishing_during_build_iso_is_an_error() {
    let s = Scratch::new("faults-change-iso");
    let src = s.join("src");
    media_tree(&src, 0);
    for i in 0..10u64 {
        write(
            &src.join(format!("big/blob-{i:02}.bin")),
            &bytes(700 + i, 4 << 20),
        );
    }
    // Its data comes last: directories are laid out in path table order.
    let victim = src.join("zz/zz/victim.bin");
    let out_dir = s.join("out");
    fs::create_dir_all(&out_dir).unwrap();
    let target = out_dir.join("image.iso");
    type Act = fn(&Path);
    let acts: [(Act, &str); 3] = [
        (
            |p| {
                let f = fs::OpenOptions::new().append(true).open(p).unwrap();
                std::io::Write::write_all(&mut &f, b"grown").unwrap();
            },
            "changed size",
        ),
        (
            |p| {
                let f = fs::OpenOptions::new().write(true).open(p).unwrap();
                std::os::unix::fs::FileExt::write_all_at(&f, b"rewritten", 0).unwrap();
                f.set_modified(std::time::UNIX_EPOCH + Duration::from_secs(54_321))
                    .unwrap();
            },
            "was modified",
        ),
        (|p| fs::remove_file(p).unwrap(), "vanished"),
    ];
    for (act, says) in acts {
        write(&victim, &bytes(5, 100_000));
        fs::write(&target, b"the previous image").unwrap();
        let args = iso_args(src.to_str().unwrap(), target.to_str().unwrap());
        let child = start_and_wait_for_temp(&args, &out_dir);
        act(&victim);
        let out = child.wait_with_output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{says}: {:?} {err}", out.status);
        assert!(err.contains("victim.bin") && err.contains(says), "{err}");
        assert_eq!(fs::read(&target).unwrap(), b"the previous image", "{says}");
        assert_eq!(
            leftovers(&out_dir, "kslint-tmp"),
            Vec::<String>::new(),
            "{says}"
        );
    }
}

/// A small tmpfs, unmounted on drop; None (with a SKIP line) where mounting is not allowed.
struct SmallDisk(std::path::PathBuf);

impl SmallDisk {
    fn mount(at: &Path, size: &str, test: &str) -> Option<SmallDisk> {
        fs::create_dir_all(at).unwrap();
        let out = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(at)
            .output();
        match out {
            Ok(o) if o.status.success() => Some(SmallDisk(at.to_path_buf())),
            Ok(o) => {
                eprintln!(
                    "SKIP {test}: cannot mount a tmpfs here ({}); the ulimit -f tests cover the same path",
                    String::from_utf8_lossy(&o.stderr).trim()
                );
                None
            }
            Err(e) => {
                eprintln!("SKIP {test}: no mount command ({e})");
                None
            }
        }
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.0).status();
    }
}

/// Fills a file system: writes a file until it gets ENOSPC.
fn fill(dir: &Path) {
    let mut f = fs::File::create(dir.join("filler")).unwrap();
    let chunk = vec![0x55u8; 64 << 10];
    loop {
        match std::io::Write::write(&mut f, &chunk) {
            Ok(0) => break,
            Ok(_) => {}
            Err(e) if e.raw_os_error() == Some(28) => break,
            Err(e) => panic!("filling: {e}"),
        }
    }
}

#[test]
fn a_full_disk_is_a_clear_error_for_build_iso_and_repo() {
    let test = "a_full_disk_is_a_clear_error";
    let s = Scratch::new("faults-full-disk");
    let Some(disk) = SmallDisk::mount(&s.join("disk"), "12m", test) else {
        return;
    };
    // build-iso: the tree elsewhere, the image (over 24 MB) onto the small disk.
    let src = s.join("src");
    media_tree(&src, 0);
    let before = snapshot_with_times(&src);
    let target = disk.0.join("image.iso");
    fs::write(&target, b"the previous image").unwrap();
    for extra in [None, Some("--no-implant-md5")] {
        let mut args = iso_args(src.to_str().unwrap(), target.to_str().unwrap());
        args.extend(extra);
        let out = kslint_cmd(&args).output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{:?}: {err}", out.status);
        assert!(err.contains("No space left on device"), "{err}");
        assert!(
            err.contains("file system is full") && err.contains("image.iso"),
            "{err}"
        );
        assert_eq!(leftovers(&disk.0, "kslint-tmp"), Vec::<String>::new());
        assert_eq!(fs::read(&target).unwrap(), b"the previous image");
    }
    assert_eq!(before, snapshot_with_times(&src), "source tree untouched");
    fs::remove_file(&target).unwrap();

    // repo: RPMs and metadata on the small disk, then the disk filled up.
    let root = disk.0.join("repo");
    rpm_tree(&root, 100, 0);
    let root_s = root.to_str().unwrap();
    run_ok(&["repo", "--no-comps", "--revision", "old", root_s]);
    let old = repomd_sha(&root);
    rpm_tree(&root, 100, 3);
    let rpms = rpm_snapshot(&root);
    fill(&disk.0);
    let out = kslint_cmd(&["repo", "--no-update", "--no-comps", root_s])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{:?}: {err}", out.status);
    assert!(err.contains("No space left on device"), "{err}");
    assert!(!err.contains("panicked"), "{err}");
    assert_eq!(leftovers(&root, ".repodata.tmp-"), Vec::<String>::new());
    assert_eq!(repomd_sha(&root), old, "metadata unchanged");
    repo_common::Repodata::read(&root).assert_consistent();
    assert_eq!(rpms, rpm_snapshot(&root), "RPMs untouched");
}

#[test]
fn a_signal_ignored_at_start_stays_ignored() {
    // `nohup`, or a background job of a script (SIGINT ignored): the build goes on.
    let s = Scratch::new("faults-ignored-signal");
    let src = s.join("src");
    media_tree(&src, 1);
    for i in 0..8u64 {
        write(
            &src.join(format!("big/blob-{i:02}.bin")),
            &bytes(900 + i, 4 << 20),
        );
    }
    let out_dir = s.join("out");
    fs::create_dir_all(&out_dir).unwrap();
    let target = out_dir.join("image.iso");
    let args = iso_args(src.to_str().unwrap(), target.to_str().unwrap());
    let mut child = Command::new("sh")
        .arg("-c")
        .arg("trap '' INT; exec \"$0\" \"$@\"")
        .arg(common::kslint())
        .args(&args)
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    while leftovers(&out_dir, "kslint-tmp").is_empty() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(5));
    }
    let sent = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(sent.success());
    let status = child.wait().unwrap();
    assert!(status.success(), "{status:?}");
    assert_image_has_tree(&target, &src);
    assert_eq!(leftovers(&out_dir, "kslint-tmp"), Vec::<String>::new());
}

// --- collect ------------------------------------------------------------------

/// A directory source of RPMs of a few MB each (an RPM with bytes after its
/// payload is still read by its header), with its repodata, so that copying
/// one takes long enough to be killed inside it.
fn collect_source(root: &Path) -> Vec<String> {
    let files: Vec<(String, Vec<u8>)> = (0..8u32)
        .map(|i| {
            let spec = RpmSpec::new(&format!("big{i:02}"), "1.0", "x86_64");
            let mut data = spec.build().unwrap();
            data.extend(bytes(u64::from(i) + 100, 16 << 20));
            (spec.file_name(), data)
        })
        .collect();
    repo_common::write_rpms(&root.join("Packages"), &files, 1_700_000_000);
    run_ok(&["repo", "-q", "--no-comps", root.to_str().unwrap()]);
    files.into_iter().map(|(name, _)| name).collect()
}

/// A project as `kslint init` lays it out, whose kickstart wants every RPM.
fn collect_project(project: &Path) {
    write(
        &project.join("kslint.toml"),
        b"syntax = \"RHEL9\"\n\n[iso]\nvolume_id = \"FAULTS\"\n",
    );
    write(
        &project.join("isolinux/ks/ks.cfg"),
        b"lang en_US.UTF-8\nkeyboard us\ntimezone UTC\nrootpw --lock\n\n%packages --nocore\nbig*\n%end\n",
    );
}

/// Every RPM under its final name in the project is byte-identical to the
/// source's; returns how many there are.
fn assert_only_complete_rpms(source: &Path, project: &Path, round: usize) -> usize {
    let packages = project.join("isolinux/Packages");
    let mut complete = 0;
    for entry in fs::read_dir(&packages).into_iter().flatten().flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with('.') {
            continue; // a temporary file of the killed run
        }
        assert_eq!(
            sha(&entry.path()),
            sha(&source.join("Packages").join(&name)),
            "round {round}: Packages/{name} is not the complete source RPM"
        );
        complete += 1;
    }
    complete
}

/// Waits until `child` has a temporary file in `packages` (it is inside a
/// copy) or has ended; says which.
fn wait_for_a_copy(mut child: Child, packages: &Path) -> (Child, bool) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while Instant::now() < deadline && child.try_wait().unwrap().is_none() {
        let copying = fs::read_dir(packages)
            .into_iter()
            .flatten()
            .flatten()
            .any(|e| e.file_name().to_string_lossy().ends_with(".kslint-tmp"));
        if copying {
            return (child, true);
        }
        std::thread::sleep(Duration::from_micros(200));
    }
    (child, false)
}

#[test]
fn kill_9_during_collect_leaves_only_complete_rpms_and_a_rerun_finishes() {
    let s = Scratch::new("faults-kill-collect");
    let source = s.join("dvd");
    let names = collect_source(&source);
    let source_before = snapshot_with_times(&source);
    let project = s.join("project");
    let source_s = source.to_str().unwrap().to_string();
    let project_s = project.to_str().unwrap().to_string();
    let args = ["collect", "-q", "--from", &source_s, &project_s];

    // How long a whole collect takes, from an empty Packages/.
    collect_project(&project);
    let whole = run_ok(&args);
    fs::remove_dir_all(project.join("isolinux/Packages")).unwrap();

    let mut clock = KillClock::new("kill_9_during_collect", whole);
    let mut killed = 0;
    let mut mid_copy = 0;
    let rounds = 8;
    for round in 0..rounds {
        // Half the rounds start over, half continue what the last one left.
        if round % 2 == 0 {
            let _ = fs::remove_dir_all(project.join("isolinux/Packages"));
        }
        // Odd rounds kill at a random moment, even ones while an RPM is
        // being copied (its temporary file exists).
        let (finished, moment) = if round % 2 == 1 {
            let (delay, finished) = clock.run(&mut kslint_cmd(&args));
            (finished, format!("after {delay:?}"))
        } else {
            let child = kslint_cmd(&args).spawn().unwrap();
            let (child, copying) = wait_for_a_copy(child, &project.join("isolinux/Packages"));
            mid_copy += usize::from(copying);
            (
                kill_after(child, Duration::ZERO),
                format!("mid-copy: {copying}"),
            )
        };
        killed += usize::from(!finished);
        let complete = assert_only_complete_rpms(&source, &project, round);
        eprintln!("round {round}: kill {moment}, finished: {finished}, {complete} RPMs");
        if finished {
            assert_eq!(
                complete,
                names.len(),
                "round {round}: finished but incomplete"
            );
        }
    }
    assert!(
        killed >= 2 && mid_copy >= 1,
        "only {killed} of {rounds} runs were killed mid-way, {mid_copy} inside a copy"
    );
    // A complete run afterwards copies the rest and removes what killed runs left.
    run_ok(&args);
    let packages = project.join("isolinux/Packages");
    assert_eq!(
        assert_only_complete_rpms(&source, &project, rounds),
        names.len()
    );
    assert_eq!(leftovers(&packages, ".kslint-tmp"), Vec::<String>::new());
    // And one more copies nothing: every file keeps its time.
    let settled = snapshot_with_times(&packages);
    run_ok(&args);
    assert_eq!(
        snapshot_with_times(&packages),
        settled,
        "a second run changed Packages/"
    );
    assert_eq!(
        snapshot_with_times(&source),
        source_before,
        "the source changed"
    );
}
