//! `kslint-bench`: the one benchmark report (issue #12, item 5).
//!
//! Measures, in one run and side by side with a reference tool where one
//! is installed: `kslint check` of a small file against `ksvalidator`,
//! parse + analysis of large kickstarts, the language server's
//! edit-to-diagnostics latency and memory, the media index on generated
//! RPMs (cold and warm), repodata against `createrepo_c`, ISO mastering
//! against `xorriso -as mkisofs`, `genisoimage` and `cat` of the same bytes,
//! and, when this build has `kslint init`, unpacking an ISO against
//! `xorriso -osirrox`. Prints one table with ratios and the machine.
//!
//! Run: `cargo run --release --bin kslint-bench` (`--quick` for a small,
//! fast run: fewer RPMs and repeats; the numbers are then only a smoke
//! test; `KSLINT_BENCH_KEEP=1` keeps the generated trees for profiling,
//! `KSLINT_BENCH_DIR` says where they go). Asserts nothing about speed: the targets are printed to be read.
//! Wall times on a shared machine are noisy; the CPU column (user + system
//! time of the measured process) is the steadier one.

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use kslint::analysis::{analyze, CheckOptions};
use kslint::catalog::SyntaxVersion;
use kslint::media::testkit::{comps_xml, GroupSpec, RpmSpec};
use kslint::media::{MediaIndex, MediaLayout};
use kslint::source::SourceFile;

/// Both kslint and ksvalidator check against the same release.
const SYNTAX: &str = "RHEL9";

struct Settings {
    quick: bool,
    /// RPMs in the generated media tree.
    packages: usize,
    /// Repeats of a whole-process measurement.
    process_runs: usize,
    /// Repeats of an in-process measurement.
    inprocess_runs: usize,
    /// Edits sent to the language server.
    edits: usize,
    /// Repeats of the slow ones (repodata, ISO).
    heavy_runs: usize,
    /// Size of the extra large file in the ISO tree.
    blob_bytes: usize,
}

impl Settings {
    fn new(quick: bool) -> Self {
        if quick {
            Settings {
                quick,
                packages: 200,
                process_runs: 3,
                inprocess_runs: 1,
                edits: 20,
                heavy_runs: 1,
                blob_bytes: 4 << 20,
            }
        } else {
            Settings {
                quick,
                packages: 4_000,
                process_runs: 30,
                inprocess_runs: 20,
                edits: 1_000,
                heavy_runs: 3,
                blob_bytes: 256 << 20,
            }
        }
    }
}

/// A measurement: the median wall time of the runs and, when known, the
/// mean CPU time (user + system) per run.
#[derive(Clone, Copy)]
struct Measure {
    wall: Duration,
    cpu: Option<Duration>,
    /// A run failed (e.g. a full disk): the times mean nothing.
    failed: bool,
}

/// One line of the report.
struct Row {
    name: String,
    ours: Option<Measure>,
    /// Text instead of a time (e.g. a memory size).
    ours_text: Option<String>,
    reference: Option<(String, Option<Measure>)>,
    target: String,
}

impl Row {
    fn new(name: impl Into<String>, ours: Measure, target: &str) -> Self {
        Row {
            name: name.into(),
            ours: Some(ours),
            ours_text: None,
            reference: None,
            target: target.to_string(),
        }
    }

    fn text(name: impl Into<String>, text: String, target: &str) -> Self {
        Row {
            name: name.into(),
            ours: None,
            ours_text: Some(text),
            reference: None,
            target: target.to_string(),
        }
    }

    fn against(mut self, tool: &str, measure: Option<Measure>) -> Self {
        self.reference = Some((tool.to_string(), measure));
        self
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.iter().any(|a| a == "-h" || a == "--help") {
        println!("usage: kslint-bench [--quick] [--lsp] [--only GROUP,...]\n\nPrints one table: kslint against reference tools, with ratios.\n--lsp: only the language server rows (same as --only lsp).\n--only: only these groups of rows: check, lsp, media, repo, iso.");
        return;
    }
    let settings = Settings::new(args.iter().any(|a| a == "--quick"));
    let kslint = kslint_binary();
    let work = TempDir::new();
    let started = Instant::now();
    println!(
        "kslint-bench{}",
        if settings.quick { " --quick" } else { "" }
    );
    println!("{}", machine());
    println!("kslint binary: {}", kslint.display());
    let mut rows = Vec::new();

    let groups = Groups::from_args(&args);
    if groups.wants("check") {
        check_rows(&settings, &kslint, work.path(), &mut rows);
    }
    let media = work.path().join("media");
    let root = generate_media(&settings, &media);
    if groups.wants("lsp") {
        lsp_rows(&settings, &kslint, &root, &mut rows);
    }
    if groups.wants("media") {
        media_rows(&settings, &kslint, &media, &root, &mut rows);
    }
    if groups.wants("repo") {
        repo_rows(&settings, &kslint, &media, &mut rows);
    }
    if groups.wants("iso") {
        iso_rows(&settings, &kslint, work.path(), &media, &mut rows);
    }

    println!();
    print_table(&rows);
    println!(
        "\nratio = kslint's time / the reference's time (below 1 = kslint is faster); \
         wall = median of the runs, CPU = mean user+system time per run (all threads: \
         the in-process rows parse long shell bodies on two threads, so their CPU \
         can exceed their wall time); targets are judged on the measure they name."
    );
    println!("total bench time {:.1} s", started.elapsed().as_secs_f64());
}

/// Which groups of rows to run: all by default, or those named by
/// `--only a,b` (`--lsp` is `--only lsp`).
struct Groups(Option<Vec<String>>);

impl Groups {
    fn from_args(args: &[String]) -> Self {
        if args.iter().any(|a| a == "--lsp") {
            return Groups(Some(vec!["lsp".to_string()]));
        }
        let only = args
            .iter()
            .enumerate()
            .find_map(|(i, arg)| match arg.as_str() {
                "--only" => args.get(i + 1).map(String::as_str),
                _ => arg.strip_prefix("--only="),
            });
        let only = only.map(|list| list.split(',').map(str::to_string).collect());
        Groups(only)
    }

    fn wants(&self, group: &str) -> bool {
        self.0
            .as_ref()
            .is_none_or(|names| names.iter().any(|name| name == group))
    }
}

/// The `kslint` binary next to this one (cargo builds both).
fn kslint_binary() -> PathBuf {
    let me = std::env::current_exe().expect("current exe");
    let sibling = me.with_file_name(format!("kslint{}", std::env::consts::EXE_SUFFIX));
    if sibling.exists() {
        return sibling;
    }
    eprintln!(
        "kslint-bench: no kslint binary beside {}; build it with `cargo build --release`",
        me.display()
    );
    std::process::exit(2);
}

// ---------------------------------------------------------------------------
// check: small file vs ksvalidator, large files in process
// ---------------------------------------------------------------------------

fn check_rows(settings: &Settings, kslint: &Path, dir: &Path, rows: &mut Vec<Row>) {
    let small = dir.join("small.ks");
    let small_text: String = generated_kickstart(25)
        .lines()
        .take(25)
        .map(|l| format!("{l}\n"))
        .collect();
    std::fs::write(&small, small_text).expect("write small.ks");
    let ours = time_process(settings.process_runs, || {
        let mut command = Command::new(kslint);
        command.args(["check", "--syntax", SYNTAX]).arg(&small);
        command
    });
    let theirs = installed("ksvalidator", &["--help"]).then(|| {
        time_process(if settings.quick { 1 } else { 10 }, || {
            let mut command = Command::new("ksvalidator");
            command.args(["-v", SYNTAX]).arg(&small);
            command
        })
    });
    rows.push(
        Row::new(
            "check, 25-line kickstart (whole process)",
            ours,
            "< 5 ms; >= 50x faster",
        )
        .against("ksvalidator", theirs),
    );

    let options = CheckOptions {
        syntax: SyntaxVersion::parse(SYNTAX),
        ..CheckOptions::default()
    };
    let in_process = |file: &str, text: &str| {
        let path = dir.join(file);
        time_in_process(settings.inprocess_runs, || {
            let analysis = analyze(SourceFile::new(&path, text), &options);
            std::hint::black_box(analysis.diagnostics.len());
        })
    };
    rows.push(Row::new(
        "parse + analysis, 5,000-line kickstart of commands + %packages (in process)",
        in_process("plain.ks", &generated_kickstart_without_scripts(5_000)),
        "< 5 ms wall (issue #2)",
    ));
    let big = generated_kickstart(5_000);
    rows.push(Row::new(
        "parse + analysis, 5,000-line kickstart, half of it %post (in process)",
        in_process("big.ks", &big),
        "",
    ));
    post_rows(
        settings,
        dir,
        in_process("post.ks", &post_kickstart(2_000)),
        rows,
    );
    let big_path = dir.join("big-file.ks");
    std::fs::write(&big_path, &big).expect("write big-file.ks");
    let measure = time_process(settings.process_runs.min(10), || {
        let mut command = Command::new(kslint);
        command.args(["check", "--syntax", SYNTAX]).arg(&big_path);
        command
    });
    // pykickstart needs seconds for this one: not in the quick run.
    let theirs = (!settings.quick && installed("ksvalidator", &["--help"])).then(|| {
        time_process(3, || {
            let mut command = Command::new("ksvalidator");
            command.args(["-v", SYNTAX]).arg(&big_path);
            command
        })
    });
    let row = Row::new("check, 5,000-line kickstart (whole process)", measure, "");
    rows.push(if settings.quick {
        row
    } else {
        row.against("ksvalidator", theirs)
    });
}

/// A realistic kickstart of about `lines` lines: commands, a large
/// `%packages` list and a long `%post` (the shape `benches/check.rs` uses).
fn generated_kickstart(lines: usize) -> String {
    let mut text = String::from(HEADER);
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

/// [`generated_kickstart`] without scripts: commands and a `%packages`
/// list of about `lines` lines, what the foundation's parser and model
/// alone handle (script analysis has its own row and budget, issue #5).
fn generated_kickstart_without_scripts(lines: usize) -> String {
    let mut text = String::from(HEADER);
    text.push_str("%packages --ignoremissing\n@core\n@^minimal-environment\n");
    for i in 0..lines.saturating_sub(20) {
        text.push_str(&format!("package-{i}\n"));
    }
    text.push_str("%end\n");
    text
}

const HEADER: &str = "#version=RHEL9\nlang en_US.UTF-8\nkeyboard us\ntimezone UTC --utc\n\
     rootpw --iscrypted $6$salt$hash\nnetwork --bootproto=dhcp --device=link --activate\n\
     bootloader --append=\"console=ttyS0,115200 crashkernel=auto\"\nzerombr\n\
     clearpart --all --initlabel\npart /boot --fstype=xfs --size=1024\n\
     part pv.01 --size=1 --grow\nvolgroup vg pv.01\n\
     logvol / --vgname=vg --name=root --fstype=xfs --size=8192 --grow\nreboot\n";

/// Varied shell: services, conditionals, loops, heredocs, pipelines,
/// redirections.
const POST_BLOCK: &str = "systemctl enable sshd\n\
    cp /etc/skel/.bashrc /root/.bashrc\n\
    sed -i 's/^#PermitRootLogin.*/PermitRootLogin no/' /etc/ssh/sshd_config\n\
    if [ -f /etc/sysconfig/network ]; then\n\
    \x20 echo \"NETWORKING=yes\" >> /etc/sysconfig/network\n\
    fi\n\
    for f in /etc/yum.repos.d/*.repo; do\n\
    \x20 sed -i 's/enabled=1/enabled=0/' \"$f\"\n\
    done\n\
    cat > /etc/motd <<'EOF'\n\
    Welcome; do not run systemctl start here\n\
    EOF\n\
    useradd -m admin && echo admin:secret | chpasswd\n\
    mkdir -p /opt/app/bin /opt/app/etc 2>/dev/null\n\
    tar -C /opt/app -xzf /root/app.tar.gz || echo failed >> /root/errors\n\
    chmod 0600 /root/.ssh/authorized_keys\n";

/// The 2,000-line `%post` row (issue #5), twice: against a bare
/// tree-sitter-bash parse of the body on one thread, the floor of any
/// checker built on that grammar and a yardstick that does not depend on
/// the machine's speed; and against shellcheck on the same body, the one
/// other tool that reads such scripts.
fn post_rows(settings: &Settings, dir: &Path, ours: Measure, rows: &mut Vec<Row>) {
    let name = "analysis of a kickstart with a 2,000-line %post (in process)";
    let text = post_kickstart(2_000);
    let body = post_body(&text);
    let parse = time_in_process(settings.inprocess_runs, || {
        let mut parser = tree_sitter::Parser::new();
        parser
            .set_language(&tree_sitter_bash::LANGUAGE.into())
            .expect("tree-sitter-bash matches the tree-sitter library");
        std::hint::black_box(parser.parse(body, None));
    });
    rows.push(Row::new(name, ours, "< 10 ms wall (issue #5)").against(
        "tree-sitter-bash parse of the body, one thread",
        Some(parse),
    ));
    if settings.quick || !installed("shellcheck", &["--version"]) {
        return;
    }
    let script = dir.join("post-body.sh");
    std::fs::write(&script, body).expect("write post-body.sh");
    let shellcheck = time_process(settings.process_runs.min(5), || {
        let mut command = Command::new("shellcheck");
        command
            .args(["--shell=bash", "--format=json1"])
            .arg(&script);
        command
    });
    rows.push(Row::new(name, ours, "").against("shellcheck on the body", Some(shellcheck)));
}

/// The body of the one `%post` of [`post_kickstart`].
fn post_body(text: &str) -> &str {
    let header = text.find("%post").expect("a %post section");
    let start = header + text[header..].find('\n').expect("a header line") + 1;
    let end = text.rfind("%end").expect("an %end");
    &text[start..end]
}

/// A kickstart whose `%post` has `lines` lines of [`POST_BLOCK`].
fn post_kickstart(lines: usize) -> String {
    let per_block = POST_BLOCK.lines().count();
    let mut text = String::from(HEADER);
    text.push_str("%post --log=/root/ks-post.log\n");
    for _ in 0..lines / per_block {
        text.push_str(POST_BLOCK);
    }
    text.push_str("%end\n");
    text
}

// ---------------------------------------------------------------------------
// language server
// ---------------------------------------------------------------------------

/// Lines of the kickstart the language server edits (issue #7).
const LSP_LINES: usize = 5_000;

/// The language server on a real workspace (issue #7): the generated media
/// tree as the workspace root, a 5,000-line kickstart in it that uses the
/// media's packages and groups, and random typing and pasting anywhere in
/// it. Each edit's latency runs from writing the `didChange` to reading the
/// `publishDiagnostics` of that version. The main run has shellcheck off
/// (an external program whose own run time is not the server's); a shorter
/// second run with it on shows what a user with shellcheck installed sees.
fn lsp_rows(settings: &Settings, kslint: &Path, root: &Path, rows: &mut Vec<Row>) {
    let runs = [(false, settings.edits), (true, settings.edits / 20)];
    for (shellcheck, edits) in runs {
        if shellcheck && !installed("shellcheck", &["--version"]) {
            continue;
        }
        let label = if shellcheck {
            "shellcheck on"
        } else {
            "shellcheck off"
        };
        match lsp_latency(settings, kslint, root, edits, shellcheck) {
            Ok(run) => {
                let name = |what: &str| {
                    format!(
                        "LSP didChange -> publishDiagnostics {what} ({} edits, {LSP_LINES}-line ks, \
                         {} RPMs, {label})",
                        run.latencies.len(),
                        settings.packages
                    )
                };
                let measure = |wall| Measure {
                    wall,
                    cpu: None,
                    failed: false,
                };
                rows.push(Row::new(
                    name("p50"),
                    Measure {
                        cpu: Some(run.cpu_per_edit),
                        ..measure(percentile(&run.latencies, 50.0))
                    },
                    "",
                ));
                rows.push(Row::new(
                    name("p99"),
                    measure(percentile(&run.latencies, 99.0)),
                    if shellcheck { "" } else { "<= 10 ms" },
                ));
                rows.push(Row::new(
                    format!("LSP didOpen -> first publishDiagnostics ({label}, index cache cold)"),
                    measure(run.first_diagnostics),
                    "",
                ));
                if !shellcheck {
                    rows.extend(section_rows(&run));
                }
                rows.push(Row::text(
                    format!("LSP server memory, RSS now / peak ({label})"),
                    run.memory,
                    if shellcheck { "" } else { "<= 100 MB" },
                ));
            }
            Err(error) => rows.push(Row::text(
                format!("LSP didChange -> publishDiagnostics ({label})"),
                format!("failed: {error}"),
                "",
            )),
        }
    }
}

/// The latency of the edits in each kind of section, p50 / p99 / worst:
/// where the time goes, for whoever works on the p99.
fn section_rows(run: &LspRun) -> Vec<Row> {
    let mut kinds: Vec<&str> = run.sections.iter().map(String::as_str).collect();
    kinds.sort_unstable();
    kinds.dedup();
    kinds
        .into_iter()
        .map(|kind| {
            let latencies: Vec<Duration> = run
                .sections
                .iter()
                .zip(&run.latencies)
                .filter(|(section, _)| section.as_str() == kind)
                .map(|(_, latency)| *latency)
                .collect();
            let ms = |p: f64| percentile(&latencies, p).as_secs_f64() * 1e3;
            Row::text(
                format!(
                    "LSP edits in {kind} ({} of {}): p50 / p99 / worst",
                    latencies.len(),
                    run.latencies.len()
                ),
                format!("{:.1} / {:.1} / {:.1} ms", ms(50.0), ms(99.0), ms(100.0)),
                "",
            )
        })
        .collect()
}

/// What one language-server run measured.
struct LspRun {
    latencies: Vec<Duration>,
    /// The kind of section each edit was made in (`%post`, `%packages`,
    /// `commands`), in step with `latencies`.
    sections: Vec<String>,
    /// The server's user + system time over all edits, per edit.
    cpu_per_edit: Duration,
    first_diagnostics: Duration,
    /// `VmRSS / VmHWM` of the server after the edits.
    memory: String,
}

/// Starts `kslint lsp` with `root` as the workspace, opens a generated
/// kickstart in it and sends `edits` random edits, one at a time.
fn lsp_latency(
    settings: &Settings,
    kslint: &Path,
    root: &Path,
    edits: usize,
    shellcheck: bool,
) -> Result<LspRun, String> {
    let path = root.join("ks/lsp-bench.ks");
    let text = lsp_kickstart(settings.packages, LSP_LINES);
    std::fs::write(&path, &text).map_err(|e| e.to_string())?;
    // The header cache of this run only: the first open reads every header.
    let cache = root.join("../lsp-cache");
    let _ = std::fs::remove_dir_all(&cache);
    let server = LspServer::start(kslint, root, &cache)?;
    let root_uri = format!("file://{}", root.display());
    server.send(
        serde_json::json!({"jsonrpc": "2.0", "id": 1, "method": "initialize",
        "params": {"processId": std::process::id(), "rootUri": root_uri,
            "initializationOptions": {"shellcheck": shellcheck}, "capabilities": {}}}),
    )?;
    server.wait_for(&|m| m.get("id") == Some(&serde_json::json!(1)))?;
    server.send(serde_json::json!({"jsonrpc": "2.0", "method": "initialized", "params": {}}))?;
    let uri = format!("file://{}", path.display());
    let is_diagnostics_of = |version: i64| {
        let uri = uri.clone();
        move |m: &serde_json::Value| {
            m["method"] == "textDocument/publishDiagnostics"
                && m["params"]["uri"] == uri.as_str()
                && m["params"]["version"] == version
        }
    };
    let opened = Instant::now();
    server.send(
        serde_json::json!({"jsonrpc": "2.0", "method": "textDocument/didOpen",
        "params": {"textDocument": {"uri": uri, "languageId": "kickstart", "version": 1,
            "text": text}}}),
    )?;
    let first_diagnostics = server
        .wait_for(&is_diagnostics_of(1))?
        .saturating_duration_since(opened);
    let mut document: Vec<String> = text.lines().map(str::to_string).collect();
    let mut rng = Rng::new(bench_seed());
    let mut latencies = Vec::with_capacity(edits);
    let mut sections = Vec::with_capacity(edits);
    let cpu_before = process_cpu(server.pid);
    for version in 2..(2 + edits as i64) {
        let change = random_edit(&mut rng, &mut document);
        sections.push(section_kind(&document, &change));
        let sent = Instant::now();
        server.send(
            serde_json::json!({"jsonrpc": "2.0", "method": "textDocument/didChange",
            "params": {"textDocument": {"uri": uri, "version": version},
                "contentChanges": [change]}}),
        )?;
        let received = server.wait_for(&is_diagnostics_of(version))?;
        latencies.push(received.saturating_duration_since(sent));
    }
    let cpu = process_cpu(server.pid).saturating_sub(cpu_before);
    let memory = server.memory();
    server.stop();
    let _ = std::fs::remove_file(&path);
    let _ = std::fs::remove_dir_all(&cache);
    Ok(LspRun {
        cpu_per_edit: cpu / edits.max(1) as u32,
        latencies,
        sections,
        first_diagnostics,
        memory,
    })
}

/// A running `kslint lsp` and the thread that reads what it writes.
struct LspServer {
    child: std::process::Child,
    pid: u32,
    stdin: Arc<Mutex<std::process::ChildStdin>>,
    messages: mpsc::Receiver<(Instant, serde_json::Value)>,
    reader: Option<std::thread::JoinHandle<()>>,
}

impl LspServer {
    fn start(kslint: &Path, root: &Path, cache: &Path) -> Result<Self, String> {
        let mut child = Command::new(kslint)
            .arg("lsp")
            .current_dir(root)
            .env("KSLINT_CACHE_DIR", cache)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("cannot start `kslint lsp`: {e}"))?;
        let stdin = Arc::new(Mutex::new(child.stdin.take().expect("stdin")));
        let stdout = child.stdout.take().expect("stdout");
        let (sender, messages) = mpsc::channel();
        let replies = stdin.clone();
        let reader = std::thread::spawn(move || {
            let mut reader = BufReader::new(stdout);
            while let Some((now, message)) = read_message(&mut reader) {
                // Answer the server's own requests so that it never waits.
                if let (Some(id), Some(method)) = (message.get("id"), message.get("method")) {
                    let result = if method == "workspace/configuration" {
                        let items = message["params"]["items"].as_array().map_or(0, Vec::len);
                        serde_json::Value::Array(vec![serde_json::Value::Null; items])
                    } else {
                        serde_json::Value::Null
                    };
                    let reply = serde_json::json!({"jsonrpc": "2.0", "id": id, "result": result});
                    let _ = write_message(&mut *replies.lock().expect("stdin lock"), &reply);
                    continue;
                }
                if sender.send((now, message)).is_err() {
                    break;
                }
            }
        });
        Ok(LspServer {
            pid: child.id(),
            child,
            stdin,
            messages,
            reader: Some(reader),
        })
    }

    fn send(&self, message: serde_json::Value) -> Result<(), String> {
        write_message(&mut *self.stdin.lock().expect("stdin lock"), &message)
            .map_err(|e| format!("cannot write to the server: {e}"))
    }

    /// When the first message `what` accepts arrived.
    fn wait_for(&self, what: &dyn Fn(&serde_json::Value) -> bool) -> Result<Instant, String> {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.messages.recv_timeout(left) {
                Ok((at, message)) if what(&message) => return Ok(at),
                Ok(_) => continue,
                Err(_) => return Err("no answer from the server within 60 s".to_string()),
            }
        }
    }

    /// `VmRSS / VmHWM` from `/proc`.
    fn memory(&self) -> String {
        let status =
            std::fs::read_to_string(format!("/proc/{}/status", self.pid)).unwrap_or_default();
        let field = |name: &str| {
            status
                .lines()
                .find_map(|l| l.strip_prefix(name))
                .map(|v| v.trim().to_string())
                .unwrap_or_else(|| "?".to_string())
        };
        format!("{} / {}", field("VmRSS:"), field("VmHWM:"))
    }

    fn stop(mut self) {
        let _ = self.send(
            serde_json::json!({"jsonrpc": "2.0", "id": 2, "method": "shutdown", "params": null}),
        );
        let _ = self.wait_for(&|m| m.get("id") == Some(&serde_json::json!(2)));
        let _ = self.send(serde_json::json!({"jsonrpc": "2.0", "method": "exit", "params": null}));
        let deadline = Instant::now() + Duration::from_secs(5);
        loop {
            match self.child.try_wait() {
                Ok(Some(_)) => break,
                _ if Instant::now() > deadline => {
                    let _ = self.child.kill();
                    let _ = self.child.wait();
                    break;
                }
                _ => std::thread::sleep(Duration::from_millis(10)),
            }
        }
        if let Some(reader) = self.reader.take() {
            let _ = reader.join();
        }
    }
}

/// User + system time of a running process so far (`/proc/<pid>/stat`).
fn process_cpu(pid: u32) -> Duration {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // The command name may hold spaces: count fields after its `)`.
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .map_or(Vec::new(), |(_, rest)| rest.split_whitespace().collect());
    let ticks: u64 = [11, 12]
        .iter()
        .filter_map(|&i| fields.get(i)?.parse::<u64>().ok())
        .sum();
    // SAFETY: sysconf only reads a configuration value.
    let per_second = unsafe { libc::sysconf(libc::_SC_CLK_TCK) }.max(1) as u64;
    Duration::from_micros(ticks * 1_000_000 / per_second)
}

/// The seed of the random edits: fixed, so that runs compare;
/// `KSLINT_BENCH_SEED` picks another sequence.
fn bench_seed() -> u64 {
    std::env::var("KSLINT_BENCH_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0x6b73_6c69_6e74)
}

/// splitmix64: small, seeded, and good enough to pick edit places.
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Self {
        Rng(seed)
    }

    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }
}

/// What a user might type or paste in each kind of section.
const COMMAND_LINES: &[&str] = &[
    "timezone Europe/Berlin --utc",
    "selinux --enforcing",
    "firewall --enabled --service=ssh",
    "services --enabled=sshd,chronyd",
    "user --name=admin --groups=wheel",
];
const PACKAGE_LINES: &[&str] = &[
    "pkg0123",
    "pkg0456",
    "-pkg0789",
    "@core",
    "@base",
    "vim-enhanced",
    "pkg3999",
];
const SHELL_LINES: &[&str] = &[
    "systemctl enable chronyd",
    "echo \"configured\" >> /root/post.log",
    "mkdir -p /opt/app",
    "if [ -d /opt/app ]; then",
    "  chown -R root:root /opt/app",
    "fi",
    "sed -i 's/^SELINUX=.*/SELINUX=enforcing/' /etc/selinux/config",
];
const TYPED: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789-_=./ \"$";

/// One random edit of `document` (its lines, kept in step with the
/// server's text): mostly typing and deleting single characters, some whole
/// lines and small pastes of what belongs to the section at that place.
/// Returns the LSP content change.
fn random_edit(rng: &mut Rng, document: &mut Vec<String>) -> serde_json::Value {
    let line = rng.below(document.len());
    let range = |l1: usize, c1: usize, l2: usize, c2: usize| {
        serde_json::json!({"start": {"line": l1, "character": c1},
            "end": {"line": l2, "character": c2}})
    };
    let roll = rng.below(100);
    if roll < 55 {
        let column = rng.below(document[line].len() + 1);
        let typed = (TYPED[rng.below(TYPED.len())] as char).to_string();
        document[line].insert_str(column, &typed);
        return serde_json::json!({"range": range(line, column, line, column), "text": typed});
    }
    if roll < 80 && !document[line].is_empty() {
        let column = rng.below(document[line].len());
        document[line].remove(column);
        return serde_json::json!({"range": range(line, column, line, column + 1), "text": ""});
    }
    let pool = match section_at(document, line) {
        Some(header) if header.starts_with("%packages") => PACKAGE_LINES,
        Some(header) if header.starts_with("%post") || header.starts_with("%pre") => SHELL_LINES,
        _ => COMMAND_LINES,
    };
    let count = if roll < 92 { 1 } else { 2 + rng.below(5) };
    let pasted: Vec<String> = (0..count).map(|_| rng.pick(pool).to_string()).collect();
    let text: String = pasted.iter().map(|l| format!("{l}\n")).collect();
    document.splice(line..line, pasted);
    serde_json::json!({"range": range(line, 0, line, 0), "text": text})
}

/// The kind of section the edit `change` (made to `document`) is in.
fn section_kind(document: &[String], change: &serde_json::Value) -> String {
    let line = change["range"]["start"]["line"].as_u64().unwrap_or(0) as usize;
    match section_at(document, line.min(document.len().saturating_sub(1))) {
        Some(header) => header
            .split_whitespace()
            .next()
            .unwrap_or(header)
            .to_string(),
        None => "commands".to_string(),
    }
}

/// The header of the section `line` is in (`None` among the commands).
fn section_at(document: &[String], line: usize) -> Option<&str> {
    document[..=line]
        .iter()
        .rev()
        .map(|l| l.trim_start())
        .find(|l| l.starts_with('%'))
        .filter(|header| !header.starts_with("%end"))
}

/// A kickstart of about `lines` lines for the media of `packages` RPMs:
/// commands, a `%pre`, a `%packages` naming media packages and groups (and
/// a few that are missing), and several `%post` sections of varied shell.
fn lsp_kickstart(packages: usize, lines: usize) -> String {
    let mut text = String::from(HEADER);
    text.push_str("%pre --interpreter=/bin/bash --log=/tmp/ks-pre.log\n");
    for _ in 0..3 {
        text.push_str(POST_BLOCK);
    }
    text.push_str("%end\n%packages\n@core\n@base\n");
    let listed = (lines * 3 / 10).min(packages);
    for i in 0..listed {
        let index = i * packages / listed.max(1);
        match i % 97 {
            13 => text.push_str(&format!("-pkg{index:04}\n")),
            50 => text.push_str(&format!("missing-package-{i}\n")),
            _ => text.push_str(&format!("pkg{index:04}\n")),
        }
    }
    text.push_str("%end\n");
    let sections = [
        "%post --log=/root/ks-post.log",
        "%post --nochroot",
        "%post --erroronfail",
        "%post --interpreter=/bin/bash",
    ];
    let used = text.lines().count();
    let per_section = lines.saturating_sub(used + 2 * sections.len()) / sections.len();
    let per_block = POST_BLOCK.lines().count();
    for header in sections {
        text.push_str(header);
        text.push('\n');
        for _ in 0..per_section / per_block {
            text.push_str(POST_BLOCK);
        }
        text.push_str("%end\n");
    }
    text
}

fn write_message(out: &mut impl Write, message: &serde_json::Value) -> std::io::Result<()> {
    let body = serde_json::to_vec(message)?;
    write!(out, "Content-Length: {}\r\n\r\n", body.len())?;
    out.write_all(&body)?;
    out.flush()
}

/// The next message and when its last byte arrived: the arrival time is taken
/// before the body is parsed, so the benchmark's own JSON parsing of a large
/// publish is not counted as the server's latency.
fn read_message(reader: &mut impl BufRead) -> Option<(Instant, serde_json::Value)> {
    let mut length = None;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).ok()? == 0 {
            return None;
        }
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        if let Some((name, value)) = line.split_once(':') {
            if name.eq_ignore_ascii_case("content-length") {
                length = value.trim().parse::<usize>().ok();
            }
        }
    }
    let mut body = vec![0; length?];
    reader.read_exact(&mut body).ok()?;
    let arrived = Instant::now();
    Some((arrived, serde_json::from_slice(&body).ok()?))
}

// ---------------------------------------------------------------------------
// media index
// ---------------------------------------------------------------------------

/// Writes the media tree: `build_iso/comps.xml`, `build_iso/isolinux/` with
/// `Packages/` and `ks/ks.cfg`. Returns the ISO root.
fn make_media(settings: &Settings, media: &Path) -> PathBuf {
    let root = media.join("build_iso/isolinux");
    let packages = root.join("Packages");
    std::fs::create_dir_all(root.join("ks")).expect("mkdir");
    for i in 0..settings.packages {
        RpmSpec::chained(i).write_to(&packages).expect("write rpm");
    }
    let members: Vec<String> = (0..50.min(settings.packages))
        .map(|i| format!("pkg{i:04}"))
        .collect();
    let members: Vec<(&str, &str)> = members.iter().map(|n| (n.as_str(), "mandatory")).collect();
    let base: Vec<String> = (50..100.min(settings.packages))
        .map(|i| format!("pkg{i:04}"))
        .collect();
    let base: Vec<(&str, &str)> = base.iter().map(|n| (n.as_str(), "default")).collect();
    std::fs::write(
        media.join("build_iso/comps.xml"),
        comps_xml(
            &[
                GroupSpec {
                    id: "core",
                    name: "Core",
                    packages: &members,
                },
                GroupSpec {
                    id: "base",
                    name: "Base",
                    packages: &base,
                },
            ],
            &[],
        ),
    )
    .expect("write comps");
    let mut text = String::from("lang en_US.UTF-8\nrootpw --lock\n%packages\n@core\n");
    for i in (0..settings.packages).step_by(40) {
        text.push_str(&format!("pkg{i:04}\n"));
    }
    text.push_str("%end\n");
    std::fs::write(root.join("ks/ks.cfg"), text).expect("write ks");
    root
}

fn generate_media(settings: &Settings, media: &Path) -> PathBuf {
    let started = Instant::now();
    let root = make_media(settings, media);
    println!(
        "generated {} RPMs in {:.1} s",
        settings.packages,
        started.elapsed().as_secs_f64()
    );
    root
}

fn media_rows(settings: &Settings, kslint: &Path, media: &Path, root: &Path, rows: &mut Vec<Row>) {
    let n = settings.packages;
    let layout = || MediaLayout::at(root, None).expect("media layout");
    let cold = time_in_process(if settings.quick { 1 } else { 5 }, || {
        let (index, stats) = MediaIndex::load_with(layout(), None);
        assert_eq!(stats.headers_read, n, "every header read");
        std::hint::black_box(index.packages.len());
    });
    let rpm_files: Vec<PathBuf> = rpm_files(&root.join("Packages"));
    let theirs = installed("rpm", &["--version"]).then(|| {
        time_process(if settings.quick { 1 } else { 3 }, || {
            let mut command = Command::new("rpm");
            command
                .args([
                    "-qp",
                    "--nosignature",
                    "--nodigest",
                    "--qf",
                    "%{NAME} %{REQUIRES}\\n",
                ])
                .args(&rpm_files);
            command
        })
    });
    rows.push(
        Row::new(
            format!("media index, cold, {n} RPM headers (in process)"),
            cold,
            "< 1 s",
        )
        .against("rpm -qp (headers)", theirs),
    );
    let cache = media.join("cache");
    let ks = root.join("ks/ks.cfg");
    let check = || {
        let mut command = Command::new(kslint);
        command
            .args(["check", "--format", "json"])
            .arg(&ks)
            .env("KSLINT_CACHE_DIR", &cache);
        command
    };
    let first = time_process(1, || {
        let _ = std::fs::remove_dir_all(&cache);
        check()
    });
    rows.push(Row::new(
        format!("check with media, cold cache, {n} RPMs (whole process)"),
        first,
        "",
    ));
    let warm = time_process(settings.process_runs.min(11), check);
    rows.push(Row::new(
        format!("check with media, warm cache, {n} RPMs (whole process)"),
        warm,
        "< 50 ms",
    ));
}

fn rpm_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|x| x == "rpm"))
                .collect()
        })
        .unwrap_or_default();
    files.sort();
    files
}

// ---------------------------------------------------------------------------
// repodata
// ---------------------------------------------------------------------------

fn repo_rows(settings: &Settings, kslint: &Path, media: &Path, rows: &mut Vec<Row>) {
    let root = media.join("build_iso/isolinux");
    let comps = media.join("build_iso/comps.xml");
    let repodata = root.join("repodata");
    let runs = settings.heavy_runs;
    // The side cache of this run only, beside the media: the user's own
    // cache is neither used nor filled.
    let cache_home = media.join("xdg-cache");
    let kslint_repo = |update: bool| {
        let mut command = Command::new(kslint);
        command
            .env("XDG_CACHE_HOME", &cache_home)
            .args([
                "repo",
                "-q",
                if update { "--update" } else { "--no-update" },
            ])
            .arg("-g")
            .arg(&comps)
            .arg(&root);
        command
    };
    let createrepo = |update: bool| {
        let mut command = Command::new("createrepo_c");
        command.args(["-q", "--no-database", "-g"]).arg(&comps);
        if update {
            command.arg("--update");
        }
        command.arg(&root);
        command
    };
    let ours = time_process(runs, || {
        let _ = std::fs::remove_dir_all(&repodata);
        kslint_repo(false)
    });
    let has_createrepo = installed("createrepo_c", &["--version"]);
    let theirs = has_createrepo.then(|| {
        time_process(runs, || {
            let _ = std::fs::remove_dir_all(&repodata);
            createrepo(false)
        })
    });
    rows.push(
        Row::new(
            format!(
                "repodata, {} RPMs (kslint repo --no-update)",
                settings.packages
            ),
            ours,
            "<= 1.0x",
        )
        .against("createrepo_c --no-database", theirs),
    );

    // Warm updates: before each run one RPM is replaced by a new build.
    let update_runs = settings.process_runs.min(11);
    let mut changes = RpmChanges::new(&root.join("Packages"), settings.packages);
    let _ = std::fs::remove_dir_all(&repodata);
    time_process(1, || kslint_repo(false));
    let our_update = time_process(update_runs, || {
        changes.next();
        kslint_repo(true)
    });
    let their_update = has_createrepo.then(|| {
        let _ = std::fs::remove_dir_all(&repodata);
        time_process(1, || createrepo(false));
        time_process(update_runs, || {
            changes.next();
            createrepo(true)
        })
    });
    changes.restore();
    let _ = std::fs::remove_dir_all(&repodata);
    let name = "repodata warm update after one RPM changed";
    rows.push(Row::new(name, our_update, "<= 0.1x").against("kslint repo, full run", Some(ours)));
    rows.push(
        Row::new(name, our_update, "").against("createrepo_c --update --no-database", their_update),
    );
}

const NEW_RELEASE: &str = "2.el7";

/// Replaces RPMs of the media tree one at a time by a new build (a new
/// release), and puts the original builds back.
struct RpmChanges {
    packages: PathBuf,
    count: usize,
    changed: Vec<usize>,
}

impl RpmChanges {
    fn new(packages: &Path, count: usize) -> Self {
        RpmChanges {
            packages: packages.to_path_buf(),
            count,
            changed: Vec::new(),
        }
    }

    /// Replaces the next RPM: a different one each time (7919 is prime, so
    /// the steps visit every index before one comes back).
    fn next(&mut self) {
        let i = (self.changed.len() * 7919 + 11) % self.count;
        let original = RpmSpec::chained(i);
        let _ = std::fs::remove_file(self.packages.join(original.file_name()));
        original
            .release(NEW_RELEASE)
            .write_to(&self.packages)
            .expect("write rpm");
        self.changed.push(i);
    }

    /// Puts back the original builds of the changed RPMs.
    fn restore(self) {
        for i in self.changed {
            let original = RpmSpec::chained(i);
            let new = original.clone().release(NEW_RELEASE);
            let _ = std::fs::remove_file(self.packages.join(new.file_name()));
            original.write_to(&self.packages).expect("write rpm");
        }
    }
}

// ---------------------------------------------------------------------------
// ISO mastering (and unpacking, when `kslint init` exists)
// ---------------------------------------------------------------------------

fn iso_rows(settings: &Settings, kslint: &Path, work: &Path, media: &Path, rows: &mut Vec<Row>) {
    let root = media.join("build_iso/isolinux");
    // A large file as on real media (install.img, squashfs), beside the RPMs.
    let images = root.join("images");
    std::fs::create_dir_all(&images).expect("mkdir images");
    // A UEFI boot directory, which makes the image one `kslint init` takes
    // as install media.
    let efi = root.join("EFI/BOOT");
    std::fs::create_dir_all(&efi).expect("mkdir EFI/BOOT");
    std::fs::write(
        efi.join("grub.cfg"),
        "set timeout=5\nmenuentry 'Install' {\n  linuxefi /images/pxeboot/vmlinuz inst.stage2=hd:LABEL=BENCH\n}\n",
    )
    .expect("write grub.cfg");
    let mut blob = vec![0u8; settings.blob_bytes];
    let mut state = 0x2545_f491_4f6c_dd1d_u64;
    for chunk in blob.chunks_mut(8) {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        chunk.copy_from_slice(&state.to_le_bytes()[..chunk.len()]);
    }
    std::fs::write(images.join("install.img"), &blob).expect("write install.img");
    drop(blob);
    let files = all_files(&root);
    let bytes: u64 = files
        .iter()
        .filter_map(|f| std::fs::metadata(f).ok())
        .map(|m| m.len())
        .sum();
    let label = format!("{} files, {:.0} MB", files.len(), bytes as f64 / 1e6);
    let runs = settings.heavy_runs;
    let out = work.join("out");
    std::fs::create_dir_all(&out).expect("mkdir out");
    let cat_out = out.join("cat.bin");
    let cat = || {
        let mut command = Command::new("cat");
        command.args(&files);
        command.stdout(std::fs::File::create(&cat_out).expect("cat output"));
        command
    };
    // Warm the page cache for everyone.
    let _ = time_process(1, cat);
    let ours_iso = out.join("kslint.iso");
    let ours = time_process(runs, || {
        let mut command = Command::new(kslint);
        command
            .args(["build-iso", "-q", "--no-boot", "--no-implant-md5", "-o"])
            .arg(&ours_iso)
            .arg(&root);
        command
    });
    let xorriso_iso = out.join("xorriso.iso");
    let xorriso = installed("xorriso", &["-version"]).then(|| {
        time_process(runs, || {
            let _ = std::fs::remove_file(&xorriso_iso);
            let mut command = Command::new("xorriso");
            command
                .args(["-as", "mkisofs", "-quiet", "-R", "-J", "-o"])
                .arg(&xorriso_iso)
                .arg(&root);
            command
        })
    });
    let genisoimage = installed("genisoimage", &["-version"]).then(|| {
        let iso = out.join("genisoimage.iso");
        time_process(runs, || {
            let mut command = Command::new("genisoimage");
            command
                .args(["-quiet", "-R", "-J", "-o"])
                .arg(&iso)
                .arg(&root);
            command
        })
    });
    let _ = std::fs::remove_file(out.join("genisoimage.iso"));
    let cat_time = time_process(runs, cat);
    let _ = std::fs::remove_file(&cat_out);
    let name = format!("ISO build, {label} (build-iso --no-boot)");
    rows.push(Row::new(name.clone(), ours, "").against("xorriso -as mkisofs -R -J", xorriso));
    rows.push(Row::new(name.clone(), ours, "").against("genisoimage -R -J", genisoimage));
    rows.push(Row::new(name, ours, "").against("cat of the same files", Some(cat_time)));

    let source = if xorriso_iso.exists() {
        xorriso_iso.clone()
    } else {
        ours_iso.clone()
    };
    let ours_dir = out.join("init-kslint");
    let mut failed = None;
    let ours = time_process(runs, || {
        let _ = std::fs::remove_dir_all(&ours_dir);
        let mut command = Command::new(kslint);
        command
            .args(["init", "-q", "--from"])
            .arg(&source)
            .arg(&ours_dir);
        command
    });
    if !ours_dir.exists() {
        failed = Some("`kslint init --from ISO DIR` made no directory".to_string());
    }
    let theirs_dir = out.join("init-xorriso");
    let theirs = installed("xorriso", &["-version"]).then(|| {
        time_process(runs, || {
            let _ = std::fs::remove_dir_all(&theirs_dir);
            let mut command = Command::new("xorriso");
            command.args(["-osirrox", "on", "-indev"]).arg(&source);
            // The same files: init copies the boot and installer files and
            // leaves Packages/ to `collect`.
            for path in kslint::assemble::init::COPIED_FROM_IMAGE {
                if root.join(path).exists() {
                    command
                        .args(["-extract", &format!("/{path}")])
                        .arg(theirs_dir.join(path));
                }
            }
            command
        })
    });
    match failed {
        Some(why) => rows.push(Row::text(
            "init (unpack an ISO)",
            format!("skipped: {why}"),
            "",
        )),
        None => rows.push(
            Row::new(
                "init, unpack the ISO (the files init copies; Packages/ is left to collect)",
                ours,
                "<= 1.0x",
            )
            .against("xorriso -osirrox -extract", theirs),
        ),
    }
    let _ = std::fs::remove_dir_all(&ours_dir);
    let _ = std::fs::remove_dir_all(&theirs_dir);
}

fn all_files(dir: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            match entry.file_type() {
                Ok(t) if t.is_dir() => stack.push(path),
                Ok(t) if t.is_file() => found.push(path),
                _ => {}
            }
        }
    }
    found.sort();
    found
}

// ---------------------------------------------------------------------------
// timing, machine, table
// ---------------------------------------------------------------------------

/// Runs the command `runs` times after one warm-up run; median wall time
/// and mean CPU time of the child processes.
fn time_process(runs: usize, mut make: impl FnMut() -> Command) -> Measure {
    let failed = std::cell::Cell::new(false);
    let run = |command: &mut Command| {
        let output = command
            .stdin(Stdio::null())
            .stderr(Stdio::piped())
            .output()
            .unwrap_or_else(|e| panic!("cannot run {command:?}: {e}"));
        // Exit status 1 of a linter means "found problems"; anything else
        // that is not success is a broken run.
        let code = output.status.code();
        if !matches!(code, Some(0) | Some(1)) {
            failed.set(true);
            eprintln!(
                "warning: {:?} exited with {:?}: {}",
                command.get_program(),
                output.status,
                String::from_utf8_lossy(&output.stderr)
                    .lines()
                    .next()
                    .unwrap_or("")
            );
        }
    };
    if runs > 1 {
        run(&mut make());
    }
    let cpu_before = children_cpu();
    let mut walls: Vec<Duration> = (0..runs.max(1))
        .map(|_| {
            let mut command = make();
            let start = Instant::now();
            run(&mut command);
            start.elapsed()
        })
        .collect();
    let cpu = children_cpu().saturating_sub(cpu_before) / runs.max(1) as u32;
    walls.sort();
    Measure {
        wall: walls[walls.len() / 2],
        cpu: Some(cpu),
        failed: failed.get(),
    }
}

/// Runs `body` `runs` times after one warm-up run; median wall time and
/// mean CPU time of this process.
fn time_in_process(runs: usize, mut body: impl FnMut()) -> Measure {
    if runs > 1 {
        body();
    }
    let cpu_before = own_cpu();
    let mut walls: Vec<Duration> = (0..runs.max(1))
        .map(|_| {
            let start = Instant::now();
            body();
            start.elapsed()
        })
        .collect();
    let cpu = own_cpu().saturating_sub(cpu_before) / runs.max(1) as u32;
    walls.sort();
    Measure {
        wall: walls[walls.len() / 2],
        cpu: Some(cpu),
        failed: false,
    }
}

fn rusage_time(who: libc::c_int) -> Duration {
    // SAFETY: getrusage writes into the zeroed struct we pass and nothing else.
    let usage = unsafe {
        let mut usage: libc::rusage = std::mem::zeroed();
        libc::getrusage(who, &mut usage);
        usage
    };
    let tv = |t: libc::timeval| Duration::new(t.tv_sec as u64, t.tv_usec as u32 * 1000);
    tv(usage.ru_utime) + tv(usage.ru_stime)
}

/// CPU time of all waited-for child processes so far.
fn children_cpu() -> Duration {
    rusage_time(libc::RUSAGE_CHILDREN)
}

/// CPU time of this process so far.
fn own_cpu() -> Duration {
    rusage_time(libc::RUSAGE_SELF)
}

fn installed(program: &str, probe: &[&str]) -> bool {
    Command::new(program)
        .args(probe)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok()
}

fn percentile(sorted_or_not: &[Duration], p: f64) -> Duration {
    let mut values = sorted_or_not.to_vec();
    values.sort();
    if values.is_empty() {
        return Duration::ZERO;
    }
    let rank = ((p / 100.0) * values.len() as f64).ceil() as usize;
    values[rank.clamp(1, values.len()) - 1]
}

/// CPU model, cores, memory and load of this machine.
fn machine() -> String {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let model = cpuinfo
        .lines()
        .find_map(|l| l.strip_prefix("model name"))
        .and_then(|l| l.split_once(':'))
        .map_or("unknown CPU".to_string(), |(_, m)| m.trim().to_string());
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
    let ram_kb: u64 = meminfo
        .lines()
        .find_map(|l| l.strip_prefix("MemTotal:"))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .unwrap_or(0);
    let load = std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|l| l.split_whitespace().next().map(str::to_string))
        .unwrap_or_else(|| "?".to_string());
    format!(
        "machine: {model}, {cores} cores available, {:.1} GiB RAM, load average {load} at start",
        ram_kb as f64 / (1024.0 * 1024.0)
    )
}

fn format_duration(d: Duration) -> String {
    let ms = d.as_secs_f64() * 1e3;
    if ms >= 10_000.0 {
        format!("{:.1} s", ms / 1e3)
    } else if ms >= 100.0 {
        format!("{ms:.0} ms")
    } else if ms >= 10.0 {
        format!("{ms:.1} ms")
    } else {
        format!("{ms:.2} ms")
    }
}

fn print_table(rows: &[Row]) {
    let header = [
        "benchmark",
        "kslint wall",
        "kslint CPU",
        "reference",
        "ref wall",
        "ref CPU",
        "ratio wall",
        "ratio CPU",
        "target",
    ];
    let mut cells: Vec<Vec<String>> = Vec::new();
    for row in rows {
        let (ours_wall, ours_cpu) = match (&row.ours, &row.ours_text) {
            (Some(m), _) if m.failed => ("failed".to_string(), "-".to_string()),
            (Some(m), _) => (
                format_duration(m.wall),
                m.cpu.map_or("-".to_string(), format_duration),
            ),
            (None, Some(text)) => (text.clone(), "-".to_string()),
            (None, None) => ("-".to_string(), "-".to_string()),
        };
        let (reference, ref_wall, ref_cpu, ratio_wall, ratio_cpu) = match &row.reference {
            None => ("-".into(), "-".into(), "-".into(), "-".into(), "-".into()),
            Some((tool, None)) => (
                format!("{tool} (not installed)"),
                "-".into(),
                "-".into(),
                "-".into(),
                "-".into(),
            ),
            Some((tool, Some(theirs))) if theirs.failed || row.ours.is_some_and(|m| m.failed) => (
                tool.clone(),
                if theirs.failed { "failed" } else { "-" }.to_string(),
                "-".into(),
                "-".into(),
                "-".into(),
            ),
            Some((tool, Some(theirs))) => {
                let ratio = |a: Option<Duration>, b: Option<Duration>| match (a, b) {
                    (Some(a), Some(b)) if !b.is_zero() => {
                        format!("{:.3}x", a.as_secs_f64() / b.as_secs_f64())
                    }
                    _ => "-".to_string(),
                };
                let ours = row.ours;
                (
                    tool.clone(),
                    format_duration(theirs.wall),
                    theirs.cpu.map_or("-".to_string(), format_duration),
                    ratio(ours.map(|m| m.wall), Some(theirs.wall)),
                    ratio(ours.and_then(|m| m.cpu), theirs.cpu),
                )
            }
        };
        cells.push(vec![
            row.name.clone(),
            ours_wall,
            ours_cpu,
            reference,
            ref_wall,
            ref_cpu,
            ratio_wall,
            ratio_cpu,
            if row.target.is_empty() {
                "-".to_string()
            } else {
                row.target.clone()
            },
        ]);
    }
    let line = |cells: &[String]| format!("| {} |", cells.join(" | "));
    println!("{}", line(&header.map(str::to_string)));
    println!("{}", line(&header.map(|h| "-".repeat(h.len().max(3)))));
    for row in &cells {
        println!("{}", line(row));
    }
}

/// A directory under the system temp dir, removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new() -> Self {
        let base = std::env::var_os("KSLINT_BENCH_DIR")
            .map(PathBuf::from)
            .unwrap_or_else(std::env::temp_dir);
        let dir = base.join(format!("kslint-bench-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("create the bench directory");
        TempDir(dir)
    }

    fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        if std::env::var_os("KSLINT_BENCH_KEEP").is_some() {
            eprintln!("kept {}", self.0.display());
            return;
        }
        let _ = std::fs::remove_dir_all(&self.0);
    }
}
