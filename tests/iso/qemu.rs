//! QEMU helpers shared by the boot tests (included with `#[path]`).
#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// OVMF firmware (code, vars template), when installed.
pub fn ovmf() -> Option<(PathBuf, PathBuf)> {
    for (code, vars) in [
        (
            "/usr/share/OVMF/OVMF_CODE_4M.fd",
            "/usr/share/OVMF/OVMF_VARS_4M.fd",
        ),
        (
            "/usr/share/OVMF/OVMF_CODE.fd",
            "/usr/share/OVMF/OVMF_VARS.fd",
        ),
    ] {
        if Path::new(code).is_file() && Path::new(vars).is_file() {
            return Some((code.into(), vars.into()));
        }
    }
    None
}

/// Boots in QEMU (TCG) until the initramfs prints KSLINT-BOOT-OK or
/// KSLINT-BOOT-FAIL; returns (success, seconds, serial log).
pub fn boot(name: &str, dir: &Path, args: &[String]) -> (bool, f64, String) {
    let timeout = std::env::var("KSLINT_BOOT_TIMEOUT")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(150u64);
    let start = Instant::now();
    let mut child = Command::new("qemu-system-x86_64")
        .args([
            "-m",
            "768",
            "-display",
            "none",
            "-serial",
            "stdio",
            "-monitor",
            "none",
            "-no-reboot",
        ])
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start qemu");
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = mpsc::channel::<String>();
    let reader = std::thread::spawn(move || {
        for line in BufReader::new(stdout).split(b'\n').map_while(Result::ok) {
            if tx
                .send(String::from_utf8_lossy(&line).into_owned())
                .is_err()
            {
                break;
            }
        }
    });
    let mut log = String::new();
    let mut ok = false;
    let deadline = start + Duration::from_secs(timeout);
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match rx.recv_timeout(left.min(Duration::from_millis(500))) {
            Ok(line) => {
                log.push_str(&line);
                log.push('\n');
                if line.contains("KSLINT-BOOT-OK") {
                    ok = true;
                    break;
                }
                if line.contains("KSLINT-BOOT-FAIL") {
                    break;
                }
            }
            Err(mpsc::RecvTimeoutError::Timeout) => {
                if Instant::now() >= deadline {
                    log.push_str(&format!("[timeout after {timeout} s]\n"));
                    break;
                }
            }
            Err(mpsc::RecvTimeoutError::Disconnected) => break,
        }
    }
    // Collect the lines printed right after the marker.
    while let Ok(line) = rx.recv_timeout(Duration::from_millis(200)) {
        log.push_str(&line);
        log.push('\n');
    }
    let _ = child.kill();
    let _ = child.wait();
    drop(rx);
    let _ = reader.join();
    let secs = start.elapsed().as_secs_f64();
    eprintln!(
        "{name}: {} in {secs:.1} s",
        if ok { "PASS" } else { "FAIL" }
    );
    (ok, secs, log)
}

/// The boots that did not show what they should, each with the end of its
/// serial log, so one failing firmware mode does not hide the others.
#[derive(Default)]
pub struct BootFailures(Vec<String>);

impl BootFailures {
    /// Records `name` as failed unless `good`, keeping the last 40 log lines.
    pub fn record(&mut self, name: &str, good: bool, log: &str) {
        if good {
            return;
        }
        let lines: Vec<&str> = log.lines().collect();
        let tail = &lines[lines.len().saturating_sub(40)..];
        self.0.push(format!("{name}:\n{}", tail.join("\n")));
    }

    pub fn assert_none(self) {
        assert!(self.0.is_empty(), "boots failed:\n{}", self.0.join("\n\n"));
    }
}
