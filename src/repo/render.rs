//! The XML we write: one `<package>` element of each metadata file per RPM,
//! the document heads and tails around them, and `repomd.xml`. Layout and
//! element order follow createrepo (two-space indentation, `rpm:` prefix
//! for the rpm namespace) so that the files read the same side by side.

use std::fmt::Write;

use super::header::{DepEntry, PackageRecord};

pub const NS_COMMON: &str = "http://linux.duke.edu/metadata/common";
pub const NS_RPM: &str = "http://linux.duke.edu/metadata/rpm";
pub const NS_FILELISTS: &str = "http://linux.duke.edu/metadata/filelists";
pub const NS_OTHER: &str = "http://linux.duke.edu/metadata/other";
pub const NS_REPO: &str = "http://linux.duke.edu/metadata/repo";

/// Which of the three package metadata files.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Kind {
    Primary,
    Filelists,
    Other,
}

impl Kind {
    pub const ALL: [Kind; 3] = [Kind::Primary, Kind::Filelists, Kind::Other];

    /// The `type` of its `repomd.xml` record and the stem of its file name.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Primary => "primary",
            Kind::Filelists => "filelists",
            Kind::Other => "other",
        }
    }

    pub fn index(self) -> usize {
        self as usize
    }

    /// XML declaration and root start tag.
    pub fn head(self, packages: usize) -> String {
        let root = match self {
            Kind::Primary => {
                format!("<metadata xmlns=\"{NS_COMMON}\" xmlns:rpm=\"{NS_RPM}\" packages=\"{packages}\">")
            }
            Kind::Filelists => {
                format!("<filelists xmlns=\"{NS_FILELISTS}\" packages=\"{packages}\">")
            }
            Kind::Other => format!("<otherdata xmlns=\"{NS_OTHER}\" packages=\"{packages}\">"),
        };
        format!("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n{root}\n")
    }

    /// Root end tag (no newline after it, as createrepo writes it).
    pub fn tail(self) -> &'static str {
        match self {
            Kind::Primary => "</metadata>",
            Kind::Filelists => "</filelists>",
            Kind::Other => "</otherdata>",
        }
    }

    pub fn render(self, record: &PackageRecord, out: &mut String) {
        match self {
            Kind::Primary => primary(record, out),
            Kind::Filelists => filelists(record, out),
            Kind::Other => other(record, out),
        }
    }
}

/// Appends `text` escaped for element content.
pub fn text(out: &mut String, text: &str) {
    let mut rest = text;
    while let Some(at) = rest.find(['&', '<', '>', '\r']) {
        out.push_str(&rest[..at]);
        out.push_str(match rest.as_bytes()[at] {
            b'&' => "&amp;",
            b'<' => "&lt;",
            b'>' => "&gt;",
            _ => "&#13;",
        });
        rest = &rest[at + 1..];
    }
    out.push_str(rest);
}

/// Appends `text` escaped for a double-quoted attribute value (white space
/// other than blanks as character references, so that parsers keep it).
pub fn attr(out: &mut String, text: &str) {
    let mut rest = text;
    while let Some(at) = rest.find(['&', '<', '>', '"', '\n', '\r', '\t']) {
        out.push_str(&rest[..at]);
        out.push_str(match rest.as_bytes()[at] {
            b'&' => "&amp;",
            b'<' => "&lt;",
            b'>' => "&gt;",
            b'"' => "&quot;",
            b'\n' => "&#10;",
            b'\r' => "&#13;",
            _ => "&#9;",
        });
        rest = &rest[at + 1..];
    }
    out.push_str(rest);
}

fn element(out: &mut String, indent: &str, name: &str, content: &str) {
    out.push_str(indent);
    out.push('<');
    out.push_str(name);
    out.push('>');
    text(out, content);
    out.push_str("</");
    out.push_str(name);
    out.push_str(">\n");
}

fn attribute(out: &mut String, name: &str, value: &str) {
    out.push(' ');
    out.push_str(name);
    out.push_str("=\"");
    attr(out, value);
    out.push('"');
}

fn version(out: &mut String, record: &PackageRecord) {
    out.push_str("  <version");
    attribute(out, "epoch", &record.epoch);
    attribute(out, "ver", &record.version);
    attribute(out, "rel", &record.release);
    out.push_str("/>\n");
}

fn dep_entry(out: &mut String, dep: &DepEntry, requires: bool) {
    out.push_str("      <rpm:entry");
    attribute(out, "name", &dep.name);
    if let Some(flags) = dep.flags {
        attribute(out, "flags", flags);
        for (key, value) in [("epoch", &dep.epoch), ("ver", &dep.ver), ("rel", &dep.rel)] {
            if let Some(value) = value.as_deref().filter(|v| !v.is_empty()) {
                attribute(out, key, value);
            }
        }
    }
    if requires && dep.pre {
        out.push_str(" pre=\"1\"");
    }
    out.push_str("/>\n");
}

fn file(out: &mut String, indent: &str, path: &str, kind: Option<&str>) {
    out.push_str(indent);
    out.push_str("<file");
    if let Some(kind) = kind {
        attribute(out, "type", kind);
    }
    out.push('>');
    text(out, path);
    out.push_str("</file>\n");
}

/// The `<package>` element of primary.xml.
pub fn primary(record: &PackageRecord, out: &mut String) {
    out.push_str("<package type=\"rpm\">\n");
    element(out, "  ", "name", &record.name);
    element(out, "  ", "arch", &record.arch);
    version(out, record);
    out.push_str("  <checksum type=\"sha256\" pkgid=\"YES\">");
    out.push_str(&record.pkgid);
    out.push_str("</checksum>\n");
    element(out, "  ", "summary", &record.summary);
    element(out, "  ", "description", &record.description);
    element(out, "  ", "packager", &record.packager);
    element(out, "  ", "url", &record.url);
    let _ = writeln!(
        out,
        "  <time file=\"{}\" build=\"{}\"/>",
        record.time_file, record.time_build
    );
    let _ = writeln!(
        out,
        "  <size package=\"{}\" installed=\"{}\" archive=\"{}\"/>",
        record.size_package, record.size_installed, record.size_archive
    );
    out.push_str("  <location");
    attribute(out, "href", &record.location);
    out.push_str("/>\n");
    out.push_str("  <format>\n");
    element(out, "    ", "rpm:license", &record.license);
    element(out, "    ", "rpm:vendor", &record.vendor);
    element(out, "    ", "rpm:group", &record.group);
    element(out, "    ", "rpm:buildhost", &record.buildhost);
    element(out, "    ", "rpm:sourcerpm", &record.sourcerpm);
    let _ = writeln!(
        out,
        "    <rpm:header-range start=\"{}\" end=\"{}\"/>",
        record.header_start, record.header_end
    );
    for (name, entries) in record.deps.lists() {
        let entries: Vec<&DepEntry> = entries.iter().filter(|d| !d.name.is_empty()).collect();
        if entries.is_empty() {
            continue;
        }
        let _ = writeln!(out, "    <rpm:{name}>");
        for dep in entries {
            dep_entry(out, dep, name == "requires");
        }
        let _ = writeln!(out, "    </rpm:{name}>");
    }
    for entry in &record.files {
        if super::header::is_primary_file(&entry.path) {
            file(out, "    ", &entry.path, entry.kind.attr());
        }
    }
    out.push_str("  </format>\n</package>\n");
}

fn package_start(out: &mut String, record: &PackageRecord) {
    out.push_str("<package");
    attribute(out, "pkgid", &record.pkgid);
    attribute(out, "name", &record.name);
    attribute(out, "arch", &record.arch);
    out.push_str(">\n");
    version(out, record);
}

/// The `<package>` element of filelists.xml.
pub fn filelists(record: &PackageRecord, out: &mut String) {
    package_start(out, record);
    for entry in &record.files {
        file(out, "  ", &entry.path, entry.kind.attr());
    }
    out.push_str("</package>\n");
}

/// The `<package>` element of other.xml.
pub fn other(record: &PackageRecord, out: &mut String) {
    package_start(out, record);
    for entry in &record.changelogs {
        out.push_str("  <changelog");
        attribute(out, "author", &entry.author);
        let _ = write!(out, " date=\"{}\">", entry.date);
        text(out, &entry.text);
        out.push_str("</changelog>\n");
    }
    out.push_str("</package>\n");
}

/// One `<data>` record of repomd.xml.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DataRecord {
    pub kind: String,
    pub checksum: String,
    pub open_checksum: Option<String>,
    /// `repodata/<name>`.
    pub href: String,
    pub timestamp: u64,
    pub size: u64,
    pub open_size: Option<u64>,
}

/// `repomd.xml`: our records, then records of other tools copied as they
/// were (`<data>` elements, `<tags>`).
pub fn repomd(revision: &str, records: &[DataRecord], kept: &[String]) -> String {
    let mut out = String::new();
    out.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(out, "<repomd xmlns=\"{NS_REPO}\" xmlns:rpm=\"{NS_RPM}\">");
    out.push_str("  <revision>");
    text(&mut out, revision);
    out.push_str("</revision>\n");
    for record in records {
        out.push_str("  <data");
        attribute(&mut out, "type", &record.kind);
        out.push_str(">\n");
        let _ = writeln!(
            out,
            "    <checksum type=\"sha256\">{}</checksum>",
            record.checksum
        );
        if let Some(open) = &record.open_checksum {
            let _ = writeln!(
                out,
                "    <open-checksum type=\"sha256\">{open}</open-checksum>"
            );
        }
        out.push_str("    <location");
        attribute(&mut out, "href", &record.href);
        out.push_str("/>\n");
        let _ = writeln!(out, "    <timestamp>{}</timestamp>", record.timestamp);
        let _ = writeln!(out, "    <size>{}</size>", record.size);
        if let Some(open) = record.open_size {
            let _ = writeln!(out, "    <open-size>{open}</open-size>");
        }
        out.push_str("  </data>\n");
    }
    for raw in kept {
        out.push_str("  ");
        out.push_str(raw.trim());
        out.push('\n');
    }
    out.push_str("</repomd>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes() {
        let mut out = String::new();
        text(&mut out, "a & <b> \"c\"\r\n");
        assert_eq!(out, "a &amp; &lt;b&gt; \"c\"&#13;\n");
        out.clear();
        attr(&mut out, "x\"y\n\tz<&>");
        assert_eq!(out, "x&quot;y&#10;&#9;z&lt;&amp;&gt;");
    }
}
