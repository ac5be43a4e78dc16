//! The optional shellcheck pass: every shell script body goes to an external
//! `shellcheck` on stdin (`--format=json1`), and its findings come back as
//! diagnostics on kickstart lines and columns.
//!
//! json1 columns are 1-based and count characters, a tab being one column
//! (unlike the `gcc` and `tty` formats, which expand tabs to 8), so a finding
//! maps to a byte offset by walking that many characters along the line.
//!
//! Results are cached by the exact body, shell and program, so that an editor
//! re-analysing the file after a keystroke elsewhere does not start
//! shellcheck again for unchanged scripts.

use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use serde::Deserialize;

use crate::diagnostic::Severity;
use crate::source::TextRange;

/// How long one shellcheck run may take before it is killed.
pub const TIMEOUT: Duration = Duration::from_secs(20);
/// Bodies larger than this are not given to shellcheck: its time grows
/// faster than the size (about 4 s for 5,000 short lines, over a minute for
/// 100,000), which would hold back every other diagnostic of the file.
pub const MAX_BODY: usize = 64 * 1024;
/// Cached results kept at most; the cache is emptied when it grows past this.
const CACHE_LIMIT: usize = 512;

/// One finding of shellcheck, positions relative to the body it was given
/// (1-based lines, 1-based character columns, end exclusive).
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct Finding {
    pub line: usize,
    pub end_line: usize,
    pub column: usize,
    pub end_column: usize,
    pub level: String,
    pub code: u32,
    pub message: String,
    #[serde(default)]
    pub fix: Option<FindingFix>,
}

#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
pub struct FindingFix {
    #[serde(default)]
    pub replacements: Vec<Replacement>,
}

#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct Replacement {
    pub line: usize,
    pub end_line: usize,
    pub column: usize,
    pub end_column: usize,
    pub replacement: String,
}

#[derive(Deserialize)]
struct Output {
    comments: Vec<Finding>,
}

impl Finding {
    pub fn severity(&self) -> Severity {
        match self.level.as_str() {
            "error" => Severity::Error,
            "warning" => Severity::Warning,
            "info" => Severity::Info,
            _ => Severity::Hint,
        }
    }

    /// `SC2086`.
    pub fn code_name(&self) -> String {
        format!("SC{:04}", self.code)
    }

    /// A parse error: shellcheck's SC1xxx codes at level error.
    pub fn is_parse_error(&self) -> bool {
        self.level == "error" && self.is_parse_family()
    }

    /// SC1xxx: the parser's findings (errors and the notes beside them).
    pub fn is_parse_family(&self) -> bool {
        (1000..2000).contains(&self.code)
    }
}

/// The wiki page of a shellcheck code.
pub fn wiki_url(code: &str) -> String {
    format!("https://www.shellcheck.net/wiki/{code}")
}

/// The `--shell` dialect for an interpreter path: `bash` for bash, `sh` for
/// every other shell (`/bin/sh`, dash, ash).
pub fn dialect(interpreter: &str) -> &'static str {
    match super::shell::basename(interpreter) {
        "bash" => "bash",
        "dash" => "dash",
        _ => "sh",
    }
}

/// The first `name` found in a directory of `PATH`, or `name` itself when
/// it contains a slash and is a file.
pub fn find_program(name: &Path) -> Option<PathBuf> {
    if name.components().count() > 1 {
        return name.is_file().then(|| name.to_path_buf());
    }
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(name))
        .find(|candidate| candidate.is_file())
}

/// Byte offset in `body` of a json1 position (1-based line, 1-based
/// character column), clamped to the end of that line (before its newline).
pub fn body_offset(body: &str, line: usize, column: usize) -> usize {
    let mut start = 0;
    for (index, text) in body.split_inclusive('\n').enumerate() {
        if index + 1 == line {
            let content = text.strip_suffix('\n').unwrap_or(text);
            let within = content
                .char_indices()
                .nth(column.saturating_sub(1))
                .map_or(content.len(), |(at, _)| at);
            return start + within;
        }
        start += text.len();
    }
    body.len()
}

/// The kickstart range of a json1 span of the body starting at `body_start`.
pub fn kickstart_range(
    text: &str,
    body: TextRange,
    (line, column): (usize, usize),
    (end_line, end_column): (usize, usize),
) -> TextRange {
    let body_text = text.get(body.start..body.end).unwrap_or("");
    let start = body.start + body_offset(body_text, line, column);
    let end = body.start + body_offset(body_text, end_line, end_column);
    TextRange::new(start, end.max(start))
}

type CacheKey = (PathBuf, &'static str, String);
/// Results by hash of the key; the key is kept to rule out collisions.
type Cache = HashMap<u64, (CacheKey, Arc<Vec<Finding>>)>;

fn cache() -> &'static Mutex<Cache> {
    static CACHE: OnceLock<Mutex<Cache>> = OnceLock::new();
    CACHE.get_or_init(Default::default)
}

static RUNS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// How many times shellcheck was actually started in this process (cache
/// misses), for tests of the cache.
pub fn runs() -> usize {
    RUNS.load(std::sync::atomic::Ordering::Relaxed)
}

/// shellcheck's findings on `body`, from the cache when this exact body was
/// checked before with the same program and dialect. Failures (no such
/// program, a crash, a timeout, output that is not json1) are not cached.
pub fn check(program: &Path, shell: &'static str, body: &str) -> Result<Arc<Vec<Finding>>, String> {
    if body.len() > MAX_BODY {
        return Err(format!(
            "a script of {} KiB is over the {} KiB shellcheck is given",
            body.len() / 1024,
            MAX_BODY / 1024
        ));
    }
    let key: CacheKey = (program.to_path_buf(), shell, body.to_string());
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    key.hash(&mut hasher);
    let hash = hasher.finish();
    {
        let cache = cache().lock().unwrap_or_else(|p| p.into_inner());
        if let Some((cached_key, findings)) = cache.get(&hash) {
            if *cached_key == key {
                return Ok(findings.clone());
            }
        }
    }
    let findings = Arc::new(run(program, shell, body)?);
    let mut cache = cache().lock().unwrap_or_else(|p| p.into_inner());
    if cache.len() >= CACHE_LIMIT {
        cache.clear();
    }
    cache.insert(hash, (key, findings.clone()));
    Ok(findings)
}

/// Runs shellcheck once on `body`, killing it after [`TIMEOUT`].
fn run(program: &Path, shell: &str, body: &str) -> Result<Vec<Finding>, String> {
    RUNS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let mut child = Command::new(program)
        .args(["--format=json1", "--norc", &format!("--shell={shell}"), "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|error| format!("cannot run {}: {error}", program.display()))?;
    let mut stdin = child.stdin.take();
    let input = body.to_string();
    let writer = std::thread::spawn(move || {
        if let Some(stdin) = stdin.as_mut() {
            // shellcheck exiting early closes the pipe: its status tells why.
            let _ = stdin.write_all(input.as_bytes());
        }
    });
    let reader = |pipe: Option<Box<dyn Read + Send>>| {
        std::thread::spawn(move || {
            let mut bytes = Vec::new();
            if let Some(mut pipe) = pipe {
                let _ = pipe.read_to_end(&mut bytes);
            }
            bytes
        })
    };
    let stdout = reader(
        child
            .stdout
            .take()
            .map(|p| Box::new(p) as Box<dyn Read + Send>),
    );
    let stderr = reader(
        child
            .stderr
            .take()
            .map(|p| Box::new(p) as Box<dyn Read + Send>),
    );
    let deadline = Instant::now() + TIMEOUT;
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if Instant::now() >= deadline => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!(
                    "{} took longer than {} s and was stopped",
                    program.display(),
                    TIMEOUT.as_secs()
                ));
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(5)),
            Err(error) => return Err(format!("waiting for {}: {error}", program.display())),
        }
    };
    let _ = writer.join();
    let stdout = stdout.join().unwrap_or_default();
    let stderr = stderr.join().unwrap_or_default();
    // 0: no findings, 1: findings; anything else is a failure.
    if !matches!(status.code(), Some(0 | 1)) {
        let detail = String::from_utf8_lossy(&stderr);
        let detail = detail.lines().next().unwrap_or("").trim();
        return Err(format!("{} failed ({status}): {detail}", program.display()));
    }
    serde_json::from_slice::<Output>(&stdout)
        .map(|output| output.comments)
        .map_err(|error| {
            format!(
                "{} did not answer in the json1 format ({error}); shellcheck 0.7 or newer is needed",
                program.display()
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_count_characters_and_tabs_as_one() {
        let body = "\techo $x\n\t\techo é $y\r\n";
        assert_eq!(body_offset(body, 1, 7), 6);
        assert_eq!(&body[body_offset(body, 2, 10)..][..2], "$y");
        // Past the end of a line: clamped before the newline.
        assert_eq!(body_offset(body, 1, 99), 8);
        assert_eq!(body_offset(body, 9, 1), body.len());
    }

    #[test]
    fn dialects() {
        assert_eq!(dialect("/bin/bash"), "bash");
        assert_eq!(dialect("/bin/sh"), "sh");
        assert_eq!(dialect("/usr/bin/dash"), "dash");
    }

    #[test]
    fn parses_json1() {
        let output: Output = serde_json::from_str(
            r#"{"comments":[{"file":"-","line":1,"endLine":1,"column":6,"endColumn":8,"level":"style","code":2086,"message":"m","fix":null}]}"#,
        )
        .unwrap();
        assert_eq!(output.comments[0].code_name(), "SC2086");
        assert_eq!(output.comments[0].severity(), Severity::Hint);
    }

    #[test]
    fn large_bodies_are_not_checked() {
        let body = "echo step\n".repeat(MAX_BODY / 10 + 1);
        let error = check(Path::new("/nonexistent/shellcheck"), "sh", &body).unwrap_err();
        assert!(error.contains("KiB"), "{error}");
    }

    #[test]
    fn missing_program_is_an_error_not_a_panic() {
        let error = check(Path::new("/nonexistent/shellcheck"), "sh", "echo\n").unwrap_err();
        assert!(error.contains("cannot run"), "{error}");
    }
}
