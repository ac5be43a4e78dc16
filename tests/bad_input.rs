//! The bad input table of docs/bad-input.md, one test per row: each kind
//! of bad input goes through the built binary as a user would give it, and
//! the test asserts kslint's actual answer (the diagnostic code and its
//! position, or the error naming the file), that it exits normally (no
//! panic, no signal), within a time bound, and, where the input could blow
//! up memory, under an address-space limit (`ulimit -v`).

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use kslint::media::testkit::RpmSpec;

/// Address space for the runs that could otherwise take gigabytes.
const MEMORY_LIMIT_KB: u64 = 1_500_000;

struct Run {
    output: Output,
    took: Duration,
}

impl Run {
    fn code(&self) -> Option<i32> {
        self.output.status.code()
    }

    fn stdout(&self) -> String {
        String::from_utf8_lossy(&self.output.stdout).into_owned()
    }

    fn stderr(&self) -> String {
        String::from_utf8_lossy(&self.output.stderr).into_owned()
    }

    fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.output.stdout).unwrap_or_else(|error| {
            panic!("not JSON ({error}): {}{}", self.stdout(), self.stderr())
        })
    }

    /// Exited by itself with 0, 1 or 2 (a panic exits 101, a crash by a
    /// signal has no code), within `seconds`.
    fn finished(&self, seconds: u64) -> &Self {
        assert!(
            matches!(self.code(), Some(0..=2)),
            "status {:?}\nstdout: {}\nstderr: {}",
            self.output.status,
            self.stdout(),
            self.stderr()
        );
        assert!(!self.stderr().contains("panicked"), "{}", self.stderr());
        assert!(
            self.took < Duration::from_secs(seconds),
            "took {:?}, more than {seconds} s",
            self.took
        );
        self
    }
}

/// Runs kslint in `dir`, with the address space limited when `memory_kb`
/// is set.
fn kslint(dir: &Path, args: &[&str], memory_kb: Option<u64>) -> Run {
    let binary = env!("CARGO_BIN_EXE_kslint");
    let mut command = match memory_kb {
        Some(kb) => {
            let mut command = Command::new("sh");
            command
                .arg("-c")
                .arg(format!("ulimit -v {kb} && exec \"$0\" \"$@\""))
                .arg(binary);
            command
        }
        None => Command::new(binary),
    };
    let start = Instant::now();
    let output = command
        .args(args)
        .current_dir(dir)
        .env("KSLINT_CACHE_DIR", dir.join(".cache"))
        .output()
        .expect("run kslint");
    Run {
        output,
        took: start.elapsed(),
    }
}

fn check_json(dir: &Path, args: &[&str], memory_kb: Option<u64>) -> (Run, serde_json::Value) {
    let mut all = vec!["check", "--format", "json"];
    all.extend_from_slice(args);
    let run = kslint(dir, &all, memory_kb);
    let value = run.json();
    (run, value)
}

/// (code, path, line, column, message) of every diagnostic.
fn diagnostics(value: &serde_json::Value) -> Vec<(String, String, u64, u64, String)> {
    value["diagnostics"]
        .as_array()
        .expect("a diagnostics array")
        .iter()
        .map(|d| {
            (
                d["code"].as_str().unwrap_or_default().to_string(),
                d["path"].as_str().unwrap_or_default().to_string(),
                d["start"]["line"].as_u64().unwrap_or_default(),
                d["start"]["column"].as_u64().unwrap_or_default(),
                d["message"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect()
}

fn only(value: &serde_json::Value, code: &str) -> (String, u64, u64, String) {
    let found: Vec<_> = diagnostics(value)
        .into_iter()
        .filter(|d| d.0 == code)
        .collect();
    assert_eq!(found.len(), 1, "one {code} in {value:#}");
    let (_, path, line, column, message) = found.into_iter().next().unwrap();
    (path, line, column, message)
}

fn write(path: &Path, bytes: impl AsRef<[u8]>) {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).unwrap();
    }
    std::fs::write(path, bytes).unwrap();
}

const TAIL: &str = "lang en_US.UTF-8\nkeyboard us\ntimezone UTC\nrootpw --lock\n";

// ------------------------------------------------------------ encodings

#[test]
fn invalid_utf8_is_ks0004_at_the_byte() {
    let dir = tempfile::tempdir().unwrap();
    write(
        &dir.path().join("ks.cfg"),
        b"lang en_US\xff.UTF-8\nkeyboard us\n",
    );
    let (run, value) = check_json(dir.path(), &["ks.cfg"], None);
    run.finished(30);
    assert_eq!(run.code(), Some(1));
    let (path, line, column, message) = only(&value, "KS0004");
    assert_eq!((path.as_str(), line, column), ("ks.cfg", 1, 11));
    assert!(message.contains("not UTF-8"), "{message}");
}

#[test]
fn byte_order_mark_is_ks0005_at_the_start() {
    let dir = tempfile::tempdir().unwrap();
    write(&dir.path().join("ks.cfg"), format!("\u{feff}{TAIL}"));
    let (run, value) = check_json(dir.path(), &["ks.cfg"], None);
    run.finished(30);
    assert_eq!(run.code(), Some(1));
    let (_, line, column, _) = only(&value, "KS0005");
    assert_eq!((line, column), (1, 1));
}

#[test]
fn nul_bytes_are_stray_text_named_as_such() {
    let dir = tempfile::tempdir().unwrap();
    write(
        &dir.path().join("ks.cfg"),
        format!("{TAIL}network\0 --bootproto=dhcp\n"),
    );
    let (run, value) = check_json(dir.path(), &["ks.cfg"], None);
    run.finished(30);
    assert_eq!(run.code(), Some(1));
    let (_, line, column, message) = only(&value, "KS0008");
    assert_eq!((line, column), (5, 8));
    // Shown escaped, never as a raw NUL that a terminal swallows.
    assert!(message.contains("`\\0"), "{message}");
    assert!(message.contains("NUL byte"), "{message}");
    assert!(!message.contains('\0'), "{message:?}");
}

// ------------------------------------------------------------ sizes

#[test]
fn a_ten_megabyte_line_is_checked_in_bounded_time_and_memory() {
    let dir = tempfile::tempdir().unwrap();
    let long = "x".repeat(10 << 20);
    write(
        &dir.path().join("ks.cfg"),
        format!("{TAIL}user --name=admin --password={long}\n"),
    );
    let (run, value) = check_json(dir.path(), &["ks.cfg"], Some(MEMORY_LIMIT_KB));
    run.finished(120);
    assert_eq!(run.code(), Some(0), "{value:#}");
    assert_eq!(diagnostics(&value), vec![]);
}

#[test]
fn a_ten_megabyte_script_line_is_not_parsed_as_shell() {
    // Two and a half million words: tree-sitter-bash would need about
    // 1.7 GB and over a minute for them.
    let dir = tempfile::tempdir().unwrap();
    let words = "\"a\" ".repeat(2_500_000);
    write(
        &dir.path().join("ks.cfg"),
        format!("{TAIL}%post\necho {words}\n%end\n"),
    );
    let (run, value) = check_json(dir.path(), &["ks.cfg"], Some(MEMORY_LIMIT_KB));
    run.finished(120);
    assert_eq!(run.code(), Some(0), "{value:#}");
    let (_, line, column, message) = only(&value, "KS3021");
    assert_eq!((line, column), (5, 1));
    assert!(message.contains("more than the 1048576"), "{message}");
}

#[test]
fn a_script_with_too_many_words_is_parsed_then_dropped() {
    // Under a megabyte, but more syntax nodes than the checks walk.
    let dir = tempfile::tempdir().unwrap();
    let words = "a ".repeat(400_000);
    write(
        &dir.path().join("ks.cfg"),
        format!("{TAIL}%post\necho {words}\n%end\n"),
    );
    let (run, value) = check_json(dir.path(), &["ks.cfg"], Some(MEMORY_LIMIT_KB));
    run.finished(120);
    let (_, line, _, message) = only(&value, "KS3021");
    assert_eq!(line, 5);
    assert!(message.contains("shell syntax nodes"), "{message}");
}

// ------------------------------------------------------------ syntax

#[test]
fn unbalanced_quotes_are_ks0003_at_the_quote() {
    let dir = tempfile::tempdir().unwrap();
    write(
        &dir.path().join("ks.cfg"),
        format!("{TAIL}user --name=admin --gecos=\"Admin\n"),
    );
    let (run, value) = check_json(dir.path(), &["ks.cfg"], None);
    run.finished(30);
    assert_eq!(run.code(), Some(1));
    let (_, line, column, message) = only(&value, "KS0003");
    assert_eq!((line, column), (5, 27));
    assert!(message.contains("never closed"), "{message}");
}

// ------------------------------------------------------------ includes and links

#[test]
fn include_cycles_are_ks0014_on_the_closing_include() {
    let dir = tempfile::tempdir().unwrap();
    write(&dir.path().join("a.ks"), format!("{TAIL}%include b.ks\n"));
    write(&dir.path().join("b.ks"), "%include c.ks\n");
    write(&dir.path().join("c.ks"), "%include a.ks\n");
    let (run, value) = check_json(dir.path(), &["a.ks"], None);
    run.finished(30);
    assert_eq!(run.code(), Some(1));
    let (path, line, column, message) = only(&value, "KS0014");
    assert!(path.ends_with("c.ks"), "{path}");
    assert_eq!((line, column), (1, 10));
    assert!(message.contains("a.ks → b.ks → c.ks → a.ks"), "{message}");
}

#[test]
fn an_include_of_a_symlink_loop_is_ks0013_with_the_reason() {
    let dir = tempfile::tempdir().unwrap();
    std::os::unix::fs::symlink("loop.ks", dir.path().join("loop.ks")).unwrap();
    write(
        &dir.path().join("ks.cfg"),
        format!("{TAIL}%include loop.ks\n"),
    );
    let (run, value) = check_json(dir.path(), &["ks.cfg"], None);
    run.finished(30);
    assert_eq!(run.code(), Some(1));
    let (_, line, column, message) = only(&value, "KS0013");
    assert_eq!((line, column), (5, 10));
    assert!(message.contains("symbolic links"), "{message}");
}

#[test]
fn directory_symlink_loops_are_walked_once() {
    let dir = tempfile::tempdir().unwrap();
    write(
        &dir.path().join("tree/sub/ks.cfg"),
        format!("{TAIL}bogus\n"),
    );
    std::os::unix::fs::symlink("..", dir.path().join("tree/sub/up")).unwrap();
    std::os::unix::fs::symlink("self", dir.path().join("tree/self")).unwrap();
    let (run, value) = check_json(dir.path(), &["tree"], None);
    run.finished(30);
    let files = value["files"].as_array().unwrap();
    assert_eq!(files.len(), 1, "{value:#}");
    assert_eq!(files[0]["path"], "tree/sub/ks.cfg");
    let (_, line, column, _) = only(&value, "KS1001");
    assert_eq!((line, column), (5, 1));
}

#[test]
fn build_iso_refuses_a_symlink_loop_or_escape_and_leaves_no_image() {
    for (name, target) in [("escape", "../../../etc/passwd"), ("abs", "/etc/passwd")] {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("root");
        write(&root.join("hello.txt"), "hello\n");
        std::os::unix::fs::symlink(target, root.join(name)).unwrap();
        let run = kslint(
            dir.path(),
            &["build-iso", "--no-boot", "-q", "-o", "out.iso", "root"],
            None,
        );
        run.finished(60);
        assert_eq!(run.code(), Some(2), "{}", run.stderr());
        assert!(run.stderr().contains(name), "{}", run.stderr());
        assert!(run.stderr().contains(target), "{}", run.stderr());
        assert!(!dir.path().join("out.iso").exists());
        let left: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(
            left,
            vec![std::ffi::OsString::from("root")],
            "temporary files left"
        );
    }
    // A link to itself stays inside the tree: it is kept as a link.
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("root");
    write(&root.join("hello.txt"), "hello\n");
    std::os::unix::fs::symlink("loop", root.join("loop")).unwrap();
    let run = kslint(
        dir.path(),
        &["build-iso", "--no-boot", "-q", "-o", "out.iso", "root"],
        None,
    );
    run.finished(60);
    assert_eq!(run.code(), Some(0), "{}", run.stderr());
    assert!(dir.path().join("out.iso").is_file());
}

// ------------------------------------------------------------ media

/// A stock media tree: `.discinfo`, `ks.cfg` and what `fill` adds.
fn media(fill: impl FnOnce(&Path)) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("media");
    write(
        &root.join("ks.cfg"),
        format!("{TAIL}%packages\nbash\n%end\n"),
    );
    fill(&root);
    dir
}

#[test]
fn boot_paths_climbing_out_of_the_media_stay_inside_it() {
    let dir = media(|root| {
        write(&root.join("Packages/.keep"), "");
        // The loader is in the tree, so missing files are errors.
        write(&root.join("isolinux/isolinux.bin"), "");
        write(
            &root.join("isolinux/isolinux.cfg"),
            "default linux\nlabel linux\n  kernel ../../../../../../etc/passwd\n  append initrd=../../../../../../etc/hostname inst.stage2=hd:LABEL=X\n",
        );
    });
    let (run, value) = check_json(dir.path(), &["media/isolinux/isolinux.cfg"], None);
    run.finished(30);
    let missing: Vec<_> = diagnostics(&value)
        .into_iter()
        .filter(|d| d.0 == "KS4011")
        .map(|d| (d.2, d.4))
        .collect();
    // /etc/passwd exists on this machine, but not on the media.
    assert_eq!(missing.len(), 2, "{value:#}");
    assert_eq!(missing[0].0, 3);
    assert!(missing[0].1.contains("etc/passwd"), "{}", missing[0].1);
    assert_eq!(missing[1].0, 4);
}

#[test]
fn repomd_hrefs_leaving_the_repository_are_refused() {
    let dir = media(|root| {
        write(
            &root.join("repodata/repomd.xml"),
            "<?xml version=\"1.0\"?>\n<repomd>\n  <data type=\"primary\">\n    <location href=\"repodata/../../../../../../etc/passwd\"/>\n  </data>\n</repomd>\n",
        );
    });
    let (run, value) = check_json(dir.path(), &["--media", "media", "media/ks.cfg"], None);
    run.finished(30);
    let (path, line, column, message) = only(&value, "KS2013");
    assert!(path.ends_with("repodata/repomd.xml"), "{path}");
    assert_eq!((line, column), (4, 5));
    assert!(message.contains("outside the repository"), "{message}");
}

#[test]
fn truncated_rpms_are_ks2013_naming_the_file() {
    let rpm = RpmSpec::new("bash", "4.2.46", "x86_64").build().unwrap();
    for cut in [10, 96 + 8, rpm.len() / 2] {
        let dir = media(|root| {
            write(
                &root.join("Packages/bash-4.2.46-1.el7.x86_64.rpm"),
                &rpm[..cut],
            );
        });
        let (run, value) = check_json(dir.path(), &["--media", "media", "media/ks.cfg"], None);
        run.finished(30);
        let (path, _, _, message) = only(&value, "KS2013");
        assert!(path.ends_with("bash-4.2.46-1.el7.x86_64.rpm"), "{path}");
        assert!(message.contains("truncated"), "cut at {cut}: {message}");
    }
}

#[test]
fn rpm_index_counts_beyond_the_header_are_ks2013() {
    // Found by fuzzing: a count of 1.6 billion in a 2 KB file made the rpm
    // crate reserve 6 GB. The first entry of the main header gets it here.
    let mut rpm = RpmSpec::new("bash", "4.2.46", "x86_64").build().unwrap();
    let word = |bytes: &[u8], at: usize| {
        u32::from_be_bytes(bytes[at..at + 4].try_into().unwrap()) as usize
    };
    let (entries, store) = (word(&rpm, 96 + 8), word(&rpm, 96 + 12));
    let signature_end = 96 + 16 + entries * 16 + store;
    let count = signature_end + (8 - store % 8) % 8 + 16 + 12;
    rpm[count..count + 4].copy_from_slice(&0x5f00_0000u32.to_be_bytes());
    let dir = media(|root| {
        write(&root.join("Packages/bash-4.2.46-1.el7.x86_64.rpm"), &rpm);
    });
    let (run, value) = check_json(
        dir.path(),
        &["--media", "media", "media/ks.cfg"],
        Some(MEMORY_LIMIT_KB),
    );
    run.finished(30);
    let (path, _, _, message) = only(&value, "KS2013");
    assert!(path.ends_with("bash-4.2.46-1.el7.x86_64.rpm"), "{path}");
    assert!(message.contains("claims 1593835520 items"), "{message}");
}

const BILLION_LAUGHS: &str = r#"<?xml version="1.0"?>
<!DOCTYPE comps [
  <!ENTITY lol "lol">
  <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
  <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
  <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
  <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
  <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
  <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
  <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
  <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
  <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<comps>
  <group>
    <id>core</id>
    <name>&lol9;</name>
  </group>
</comps>
"#;

const EXTERNAL_ENTITY: &str = r#"<?xml version="1.0"?>
<!DOCTYPE comps [
  <!ENTITY secret SYSTEM "file:///etc/passwd">
]>
<comps>
  <group>
    <id>core</id>
    <name>&secret;</name>
  </group>
</comps>
"#;

#[test]
fn xml_bombs_in_comps_are_refused_at_the_entity() {
    for (comps, entity, line) in [(BILLION_LAUGHS, "lol9", 17), (EXTERNAL_ENTITY, "secret", 8)] {
        let dir = media(|root| {
            write(&root.join("Packages/.keep"), "");
            write(&root.join("comps.xml"), comps);
            write(
                &root.join("kslint.toml"),
                "[media]\ncomps = \"comps.xml\"\n",
            );
        });
        let (run, value) = check_json(dir.path(), &["media/ks.cfg"], Some(MEMORY_LIMIT_KB));
        run.finished(30);
        let (path, found_line, column, message) = only(&value, "KS2013");
        assert!(path.ends_with("comps.xml"), "{path}");
        assert_eq!((found_line, column), (line, 11), "{message}");
        assert!(
            message.contains(&format!("unknown entity `&{entity};`")),
            "{message}"
        );
        // Nothing of the external file is read into the report.
        assert!(!run.stdout().contains("root:x:0:0"), "{}", run.stdout());

        // `kslint repo -g` refuses it too, with the position.
        let run = kslint(
            &dir.path().join("media"),
            &["repo", "-q", "-g", "comps.xml", "."],
            Some(MEMORY_LIMIT_KB),
        );
        run.finished(30);
        assert_eq!(run.code(), Some(2), "{}", run.stderr());
        assert!(
            run.stderr()
                .contains(&format!("comps.xml: malformed comps at {line}:11")),
            "{}",
            run.stderr()
        );
    }
}

/// A gzip file of `members` members, each 1 MiB of spaces: a few hundred
/// kilobytes that inflate to `members` MiB.
fn gzip_bomb(members: usize) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    encoder.write_all(&vec![b' '; 1 << 20]).unwrap();
    let member = encoder.finish().unwrap();
    let mut out = Vec::with_capacity(member.len() * members);
    for _ in 0..members {
        out.extend_from_slice(&member);
    }
    out
}

fn bomb_repodata(root: &Path) {
    let bomb = gzip_bomb(2048);
    write(&root.join("repodata/primary.xml.gz"), &bomb);
    write(&root.join("repodata/filelists.xml.gz"), &bomb);
    write(&root.join("repodata/other.xml.gz"), &bomb);
    write(
        &root.join("repodata/repomd.xml"),
        "<?xml version=\"1.0\"?>\n<repomd>\n\
         <data type=\"primary\"><location href=\"repodata/primary.xml.gz\"/><open-size>2147483648</open-size></data>\n\
         <data type=\"filelists\"><location href=\"repodata/filelists.xml.gz\"/><open-size>2147483648</open-size></data>\n\
         <data type=\"other\"><location href=\"repodata/other.xml.gz\"/><open-size>2147483648</open-size></data>\n\
         </repomd>\n",
    );
}

#[test]
fn a_zip_bomb_primary_is_refused_within_bounded_memory() {
    // 2 GiB of text in about 2 MB of gzip.
    let dir = media(bomb_repodata);
    let (run, value) = check_json(
        dir.path(),
        &["--media", "media", "media/ks.cfg"],
        Some(MEMORY_LIMIT_KB),
    );
    run.finished(120);
    let (path, _, _, message) = only(&value, "KS2013");
    assert!(path.ends_with("repodata/primary.xml.gz"), "{path}");
    assert!(message.contains("decompression bomb"), "{message}");
}

#[test]
fn a_zip_bomb_in_old_repodata_does_not_stop_repo() {
    // `kslint repo` reads the old metadata to reuse entries: the bomb only
    // disables reuse, and new metadata replaces it.
    let dir = media(|root| {
        bomb_repodata(root);
        RpmSpec::new("bash", "4.2.46", "x86_64")
            .write_to(&root.join("Packages"))
            .unwrap();
    });
    let root = dir.path().join("media");
    let run = kslint(
        &root,
        &["repo", "-q", "--no-comps", "."],
        Some(MEMORY_LIMIT_KB),
    );
    run.finished(120);
    assert_eq!(run.code(), Some(0), "{}", run.stderr());
    let repomd = std::fs::read_to_string(root.join("repodata/repomd.xml")).unwrap();
    assert!(repomd.contains("primary.xml"), "{repomd}");
    assert!(
        !root.join("repodata/primary.xml.gz").exists() || {
            let size = std::fs::metadata(root.join("repodata/primary.xml.gz"))
                .unwrap()
                .len();
            size < 100_000
        }
    );
}

/// An image from the `iso_reader` fuzz seeds (made by fuzz/scripts/make-seeds.py).
fn seed_image(name: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("fuzz/seeds/iso_reader/{name}"))
}

#[test]
fn a_truncated_image_is_refused_by_init_naming_the_byte() {
    let dir = tempfile::tempdir().unwrap();
    let image = seed_image("truncated-root");
    let run = kslint(
        dir.path(),
        &["init", "--from", image.to_str().unwrap(), "out"],
        Some(MEMORY_LIMIT_KB),
    );
    run.finished(60);
    assert_eq!(run.code(), Some(2), "{}", run.stderr());
    let stderr = run.stderr();
    assert!(
        stderr.contains("truncated-root")
            && stderr.contains("lies beyond the end of the image")
            && stderr.contains("(at byte "),
        "{stderr}"
    );
    assert!(!dir.path().join("out").exists(), "init left a partial tree");
}

#[test]
fn a_directory_that_contains_itself_ends_the_walk_with_an_error() {
    use kslint::iso::reader::IsoReader;
    let reader = IsoReader::open(&seed_image("directory-loop")).unwrap();
    let error = reader.walk(reader.root()).unwrap_err().to_string();
    assert!(
        error.contains("corrupt directory tree") && error.contains("listed twice"),
        "{error}"
    );
    // The same tree unbroken walks to its deepest file.
    let good = IsoReader::open(&seed_image("rock-ridge-joliet")).unwrap();
    let paths: Vec<String> = good
        .walk(good.root())
        .unwrap()
        .into_iter()
        .map(|(path, _)| path)
        .collect();
    assert!(
        paths.contains(&"d1/d2/d3/d4/d5/d6/d7/d8/d9/deep.txt".to_string()),
        "{paths:?}"
    );
}
