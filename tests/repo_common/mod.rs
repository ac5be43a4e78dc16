//! Shared by the `repo_*` tests: RPMs generated with
//! the `rpm` crate, trees of them, running `kslint repo` and `createrepo_c`,
//! and reading repodata back into comparable trees.

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use quick_xml::events::Event;
use quick_xml::Reader;
use rpm::{Dependency, DependencyFlags, FileMode, FileOptions, PackageBuilder};
use sha2::{Digest, Sha256};

pub const COMPS: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE comps PUBLIC "-//Red Hat, Inc.//DTD Comps info//EN" "comps.dtd">
<comps>
  <group>
    <id>core</id>
    <name>Core</name>
    <description>Smallest possible installation</description>
    <default>true</default>
    <uservisible>false</uservisible>
    <packagelist>
      <packagereq type="mandatory">alpha</packagereq>
      <packagereq type="default">beta</packagereq>
    </packagelist>
  </group>
</comps>
"#;

fn dep(name: &str, flags: u32, version: &str) -> Dependency {
    Dependency {
        name: name.to_string(),
        flags: DependencyFlags::from_bits_retain(flags),
        version: version.to_string(),
    }
}

const LT: u32 = 1 << 1;
const GT: u32 = 1 << 2;
const EQ: u32 = 1 << 3;
const PREREQ: u32 = 1 << 6;
const SCRIPT_PRE: u32 = 1 << 9;
const SCRIPT_POST: u32 = 1 << 10;
const SCRIPT_PREUN: u32 = 1 << 11;

fn build(builder: PackageBuilder) -> Vec<u8> {
    let package = builder.build().expect("build rpm");
    let mut bytes = Vec::new();
    package.write(&mut bytes).expect("write rpm");
    bytes
}

fn file(builder: PackageBuilder, path: &str, options: rpm::FileOptionsBuilder) -> PackageBuilder {
    builder
        .with_file_contents(format!("contents of {path}\n"), options)
        .expect("add file")
}

/// A package that exercises every field createrepo writes.
pub fn rich_package() -> (String, Vec<u8>) {
    let mut b = PackageBuilder::new(
        "alpha",
        "1.2.3",
        "GPL-2.0-or-later & MIT",
        "x86_64",
        "Alpha & <omega> \"tools\"",
    )
    .epoch(2)
    .release("4.el9")
    .description("First line.\nSecond line with & and <tags> and é ü.\n\n  Indented.")
    .url("https://example.com/alpha?x=1&y=2")
    .vendor("Example Corp")
    .packager("Jane Doe <jane@example.com>")
    .group("System Environment/Base")
    .build_host("builder.example.com")
    .source_date(1_700_000_000u32)
    .pre_install_script("echo pre")
    .post_install_script("echo post")
    .pre_uninstall_script("echo preun");
    for (path, options) in [
        (
            "/etc/alpha.conf",
            FileOptions::new("/etc/alpha.conf").is_config(),
        ),
        (
            "/usr/bin/alpha",
            FileOptions::new("/usr/bin/alpha").mode(0o100755),
        ),
        (
            "/usr/sbin/alphad",
            FileOptions::new("/usr/sbin/alphad").mode(0o100755),
        ),
        ("/usr/lib/sendmail", FileOptions::new("/usr/lib/sendmail")),
        (
            "/opt/alpha/bin/tool",
            FileOptions::new("/opt/alpha/bin/tool"),
        ),
        (
            "/usr/share/alpha/data.txt",
            FileOptions::new("/usr/share/alpha/data.txt"),
        ),
        (
            "/usr/share/doc/alpha/README",
            FileOptions::new("/usr/share/doc/alpha/README").is_doc(),
        ),
        (
            "/var/log/alpha.log",
            FileOptions::new("/var/log/alpha.log").is_ghost(),
        ),
        (
            "/etc/alpha.d/ghost.conf",
            FileOptions::new("/etc/alpha.d/ghost.conf").is_ghost(),
        ),
    ] {
        b = file(b, path, options);
    }
    for dir in ["/usr/share/alpha", "/etc/alpha.d"] {
        b = b
            .with_file_contents("", FileOptions::new(dir).mode(FileMode::dir(0o755)))
            .expect("add dir");
    }
    for d in [
        dep("alpha-virtual", EQ, "3.0"),
        dep("alpha-compat", EQ, "1:1.0-1"),
        dep("/usr/bin/alpha-link", 0, ""),
        dep("config(alpha)", EQ, "2:1.2.3-4.el9"),
    ] {
        b = b.provides(d);
    }
    for d in [
        dep("/bin/sh", SCRIPT_PRE, ""),
        dep("/bin/sh", SCRIPT_POST, ""),
        dep("coreutils", SCRIPT_POST, ""),
        dep("shadow-utils", PREREQ, ""),
        dep("grep", SCRIPT_PREUN, ""),
        dep("beta", GT | EQ, "1.0-1"),
        dep("gamma", EQ, "3:2.0"),
        dep("delta", LT, "5"),
        dep("delta", LT, "5"),
        dep("/etc/alpha.conf", 0, ""),
        dep("/usr/share/alpha/data.txt", 0, ""),
        dep("alpha-virtual", EQ, "3.0"),
        dep("alpha-virtual", GT | EQ, "2.0"),
        dep("libc.so.6()(64bit)", 0, ""),
        dep("libc.so.6(GLIBC_2.4)(64bit)", 0, ""),
        dep("libc.so.6(GLIBC_2.14)(64bit)", 0, ""),
        dep("libc.so.6(GLIBC_2.2.5)(64bit)", 0, ""),
        dep("bad-epoch", GT | EQ, "x:1.0"),
        dep("rpmlib(CompressedFileNames)", LT | EQ, "3.0.4-1"),
        dep("(epsilon if zeta)", 0, ""),
    ] {
        b = b.requires(d);
    }
    b = b
        .conflicts(dep("alpha-old", LT, "1.0"))
        .conflicts(dep("omega", 0, ""))
        .obsoletes(dep("alpha-legacy", LT | EQ, "1:0.9-3"))
        .recommends(dep("beta-extras", 0, ""))
        .suggests(dep("alpha-docs", GT, "1"))
        .supplements(dep("(alpha and langpacks-fr)", 0, ""))
        .enhances(dep("omega", 0, ""));
    // 14 entries, newest first as rpmbuild stores them, two sharing a time.
    let day = 86_400u32;
    for i in 0..14u32 {
        let time = if i == 3 {
            1_690_000_000 - 2 * day
        } else {
            1_690_000_000 - i * day
        };
        b = b.add_changelog_entry(
            format!("Jane Doe <jane@example.com> - 1.2.3-{}  ", 14 - i),
            format!("- change number {} & <fix>\n- second line", 14 - i),
            time,
        );
    }
    ("alpha-1.2.3-4.el9.x86_64.rpm".to_string(), build(b))
}

/// A small package; `seed` varies names, versions and contents.
pub fn small_package(name: &str, version: &str, release: &str, seed: u32) -> (String, Vec<u8>) {
    let arch = if seed % 3 == 0 { "noarch" } else { "x86_64" };
    let mut b = PackageBuilder::new(name, version, "MIT", arch, &format!("The {name} package"))
        .release(release)
        .description(format!("{name} does thing number {seed}."))
        .build_host("kslint-tests")
        .source_date(1_700_000_000u32 + seed);
    b = file(
        b,
        &format!("/usr/bin/{name}"),
        FileOptions::new(format!("/usr/bin/{name}")).mode(0o100755),
    );
    b = file(
        b,
        &format!("/usr/share/{name}/file{seed}"),
        FileOptions::new(format!("/usr/share/{name}/file{seed}")),
    );
    if seed % 2 == 0 {
        b = file(
            b,
            &format!("/etc/{name}.conf"),
            FileOptions::new(format!("/etc/{name}.conf")).is_config(),
        );
    }
    b = b
        .requires(dep("/bin/sh", SCRIPT_PRE, ""))
        .requires(dep("alpha", GT | EQ, "2:1.0"))
        .provides(dep(&format!("{name}-api"), EQ, &format!("{seed}")));
    if seed % 4 == 1 {
        b = b.recommends(dep("beta", 0, ""));
    }
    b = b.add_changelog_entry(
        "Bob <bob@example.com> - 1",
        format!("- build {seed}"),
        1_690_000_000u32 + seed,
    );
    (format!("{name}-{version}-{release}.{arch}.rpm"), build(b))
}

/// Writes `files` (name → bytes) into `dir` with a fixed modification time.
pub fn write_rpms(dir: &Path, files: &[(String, Vec<u8>)], mtime: u64) {
    std::fs::create_dir_all(dir).expect("create dir");
    for (name, bytes) in files {
        let path = dir.join(name);
        std::fs::write(&path, bytes).expect("write rpm");
        set_mtime(&path, mtime);
    }
}

pub fn set_mtime(path: &Path, seconds: u64) {
    let file = std::fs::File::options()
        .write(true)
        .open(path)
        .expect("open for mtime");
    file.set_modified(UNIX_EPOCH + Duration::from_secs(seconds))
        .expect("set mtime");
}

pub fn mtime(path: &Path) -> SystemTime {
    std::fs::metadata(path)
        .and_then(|m| m.modified())
        .expect("mtime")
}

/// The seed layout: `build_iso/isolinux/Packages/*.rpm` (one in a
/// sub-directory) and `build_iso/comps.xml`. Returns the ISO root.
pub fn seed_tree(top: &Path) -> PathBuf {
    let root = top.join("build_iso").join("isolinux");
    let packages = root.join("Packages");
    let mut files = vec![rich_package()];
    files.push(small_package("beta", "1.0", "1.el9", 1));
    files.push(small_package("gamma", "2.0", "3.el9", 2));
    files.push(small_package("zeta", "0.1", "1", 3));
    write_rpms(&packages, &files, 1_700_000_100);
    write_rpms(
        &packages.join("extra"),
        &[small_package("epsilon", "5", "1", 4)],
        1_700_000_200,
    );
    std::fs::write(top.join("build_iso").join("comps.xml"), COMPS).expect("comps");
    std::fs::create_dir_all(root.join("ks")).expect("ks dir");
    std::fs::write(root.join("ks").join("ks.cfg"), "text\n").expect("ks");
    root
}

/// Copies a tree, keeping modification times.
pub fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("create copy");
    for entry in std::fs::read_dir(from).expect("list") {
        let entry = entry.expect("entry");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("type").is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).expect("copy");
            let file = std::fs::File::options()
                .write(true)
                .open(&target)
                .expect("open copy");
            file.set_modified(mtime(&entry.path())).expect("keep mtime");
        }
    }
}

/// The cache `kslint repo` keeps (see `kslint::repo::cache`), kept out of
/// the user's own.
pub fn test_cache_home() -> PathBuf {
    std::env::temp_dir().join("kslint-tests-cache-home")
}

pub fn kslint(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_kslint"))
        .env("XDG_CACHE_HOME", test_cache_home())
        .args(args)
        .output()
        .expect("run kslint")
}

pub fn kslint_in(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_kslint"))
        .env("XDG_CACHE_HOME", test_cache_home())
        .current_dir(dir)
        .args(args)
        .output()
        .expect("run kslint")
}

pub fn createrepo_available() -> bool {
    Command::new("createrepo_c")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

pub fn createrepo(args: &[&str]) -> Output {
    let output = Command::new("createrepo_c")
        .args(args)
        .output()
        .expect("run createrepo_c");
    assert!(
        output.status.success(),
        "createrepo_c {args:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

pub fn text(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// An XML element with its attributes, trimmed text and children.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Element {
    pub name: String,
    pub attrs: BTreeMap<String, String>,
    pub text: String,
    pub children: Vec<Element>,
}

impl Element {
    pub fn attr(&self, name: &str) -> &str {
        self.attrs.get(name).map_or("", String::as_str)
    }

    pub fn child(&self, name: &str) -> Option<&Element> {
        self.children.iter().find(|c| c.name == name)
    }

    /// The first difference between two trees, as a path and both values.
    pub fn diff(&self, other: &Element, path: &str) -> Option<String> {
        let here = format!("{path}/{}", self.name);
        if self.name != other.name {
            return Some(format!("{here}: element {} vs {}", self.name, other.name));
        }
        if self.attrs != other.attrs {
            return Some(format!(
                "{here}: attributes {:?} vs {:?}",
                self.attrs, other.attrs
            ));
        }
        if self.text != other.text {
            return Some(format!("{here}: text {:?} vs {:?}", self.text, other.text));
        }
        for (i, (a, b)) in self.children.iter().zip(&other.children).enumerate() {
            if let Some(d) = a.diff(b, &format!("{here}[{i}]")) {
                return Some(d);
            }
        }
        if self.children.len() != other.children.len() {
            let names = |e: &Element| {
                e.children
                    .iter()
                    .map(|c| c.name.clone())
                    .collect::<Vec<_>>()
            };
            return Some(format!(
                "{here}: children {:?} vs {:?}",
                names(self),
                names(other)
            ));
        }
        None
    }
}

/// Parses a whole XML document into its root element.
pub fn parse_xml(text: &str) -> Element {
    let mut reader = Reader::from_str(text);
    reader.config_mut().check_end_names = true;
    let mut stack: Vec<Element> = vec![Element {
        name: String::new(),
        attrs: BTreeMap::new(),
        text: String::new(),
        children: Vec::new(),
    }];
    loop {
        match reader.read_event().expect("well-formed XML") {
            Event::Start(start) => stack.push(element_of(&start)),
            Event::Empty(start) => {
                let element = element_of(&start);
                stack.last_mut().expect("parent").children.push(element);
            }
            Event::End(_) => {
                let mut done = stack.pop().expect("open element");
                done.text = done.text.trim().to_string();
                stack.last_mut().expect("parent").children.push(done);
            }
            Event::Text(piece) => stack
                .last_mut()
                .expect("element")
                .text
                .push_str(&piece.decode().expect("text")),
            Event::CData(piece) => stack
                .last_mut()
                .expect("element")
                .text
                .push_str(&piece.decode().expect("cdata")),
            Event::GeneralRef(reference) => {
                let c = if reference.is_char_ref() {
                    reference
                        .resolve_char_ref()
                        .expect("char ref")
                        .expect("char")
                } else {
                    match &*reference {
                        b"amp" => '&',
                        b"lt" => '<',
                        b"gt" => '>',
                        b"quot" => '"',
                        b"apos" => '\'',
                        other => panic!("unknown entity {other:?}"),
                    }
                };
                stack.last_mut().expect("element").text.push(c);
            }
            Event::Eof => break,
            _ => {}
        }
    }
    let mut document = stack.pop().expect("document");
    assert_eq!(document.children.len(), 1, "one root element");
    document.children.remove(0)
}

fn element_of(start: &quick_xml::events::BytesStart) -> Element {
    let attrs = start
        .attributes()
        .map(|a| {
            let a = a.expect("attribute");
            (
                String::from_utf8_lossy(a.key.as_ref()).into_owned(),
                a.normalized_value(quick_xml::XmlVersion::Implicit1_0)
                    .expect("attribute value")
                    .into_owned(),
            )
        })
        .collect();
    Element {
        name: String::from_utf8_lossy(start.name().as_ref()).into_owned(),
        attrs,
        text: String::new(),
        children: Vec::new(),
    }
}

/// One record of repomd.xml, with the file it names read and checked.
#[derive(Clone, Debug)]
pub struct RecordFile {
    pub record: Element,
    pub bytes: Vec<u8>,
    pub plain: Vec<u8>,
}

/// A repodata directory read back: repomd.xml and every file it names.
#[derive(Clone, Debug)]
pub struct Repodata {
    pub repomd: Element,
    pub records: BTreeMap<String, RecordFile>,
}

impl Repodata {
    pub fn read(base: &Path) -> Repodata {
        let repomd_text =
            std::fs::read_to_string(base.join("repodata/repomd.xml")).expect("repomd.xml");
        let repomd = parse_xml(&repomd_text);
        let mut records = BTreeMap::new();
        for data in repomd.children.iter().filter(|c| c.name == "data") {
            let href = data.child("location").expect("location").attr("href");
            let bytes = std::fs::read(base.join(href)).unwrap_or_else(|e| panic!("{href}: {e}"));
            let plain = decompress(&bytes);
            records.insert(
                data.attr("type").to_string(),
                RecordFile {
                    record: data.clone(),
                    bytes,
                    plain,
                },
            );
        }
        Repodata { repomd, records }
    }

    /// The root element of a metadata file.
    pub fn document(&self, kind: &str) -> Element {
        let file = &self.records[kind];
        parse_xml(std::str::from_utf8(&file.plain).expect("UTF-8"))
    }

    /// Checks every record against its file: checksum, size, open-checksum,
    /// open-size, and that the location carries the checksum.
    pub fn assert_consistent(&self) {
        for (kind, file) in &self.records {
            let data = &file.record;
            let checksum = data.child("checksum").expect("checksum");
            assert_eq!(checksum.attr("type"), "sha256", "{kind}");
            assert_eq!(checksum.text, sha256_hex(&file.bytes), "{kind} checksum");
            let size = data.child("size").map(|s| s.text.clone());
            assert_eq!(size, Some(file.bytes.len().to_string()), "{kind} size");
            // (The sqlite databases of createrepo_c are bzip2: not opened.)
            let opened = !file.bytes.starts_with(b"BZh");
            if let Some(open) = data.child("open-checksum").filter(|_| opened) {
                assert_eq!(open.text, sha256_hex(&file.plain), "{kind} open-checksum");
            }
            if let Some(open) = data.child("open-size").filter(|_| opened) {
                assert_eq!(open.text, file.plain.len().to_string(), "{kind} open-size");
            }
            let href = data.child("location").expect("location").attr("href");
            let name = href.strip_prefix("repodata/").expect("under repodata/");
            assert!(
                name.starts_with(&format!("{}-", checksum.text)),
                "{kind}: {name} should start with its checksum"
            );
            assert!(
                data.child("timestamp")
                    .is_some_and(|t| t.text.parse::<u64>().is_ok()),
                "{kind} timestamp"
            );
        }
    }
}

pub fn decompress(bytes: &[u8]) -> Vec<u8> {
    if bytes.starts_with(&[0x1f, 0x8b]) {
        let mut out = Vec::new();
        flate2::read::MultiGzDecoder::new(bytes)
            .read_to_end(&mut out)
            .expect("gzip");
        out
    } else {
        bytes.to_vec()
    }
}

/// Every file below `dir` (relative path → (sha256, mtime)).
pub fn snapshot(dir: &Path) -> BTreeMap<String, (String, SystemTime)> {
    fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<String, (String, SystemTime)>) {
        for entry in std::fs::read_dir(dir).expect("list") {
            let entry = entry.expect("entry");
            let path = entry.path();
            if entry.file_type().expect("type").is_dir() {
                walk(root, &path, out);
            } else {
                let bytes = std::fs::read(&path).expect("read");
                out.insert(
                    path.strip_prefix(root)
                        .expect("below")
                        .display()
                        .to_string(),
                    (sha256_hex(&bytes), mtime(&path)),
                );
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(dir, dir, &mut out);
    out
}

/// Names of temporary directories left in `dir`.
pub fn temp_dirs(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .expect("list")
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(".repodata"))
        .collect()
}
