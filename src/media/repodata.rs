//! `repodata/`: `repomd.xml` and the `primary` and `filelists` records it
//! points to (plain, gzip or zstd), usable instead of RPM headers when
//! `Packages/` is absent.

use std::collections::HashMap;

use super::index::{sense, Dep, Package};
use super::xml::{self, XmlError, XmlEvent};

/// One `<data type="…">` record of `repomd.xml`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Record {
    pub kind: String,
    /// `location href`, relative to the repository base (`repodata/…`).
    pub href: String,
    /// (algorithm, lowercase hex) of the file as stored.
    pub checksum: Option<(String, String)>,
    pub size: Option<u64>,
    pub timestamp: Option<u64>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Repomd {
    pub revision: Option<String>,
    pub records: Vec<Record>,
}

impl Repomd {
    pub fn parse(text: &str) -> Result<Repomd, XmlError> {
        let mut repomd = Repomd::default();
        let mut record: Option<Record> = None;
        let mut checksum_type = String::new();
        let mut root = None;
        let mut escaping: Option<(usize, String)> = None;
        xml::walk(text, |event| match event {
            XmlEvent::Start {
                name,
                attrs,
                offset,
            } => {
                if root.is_none() {
                    root = Some((offset, name.to_string()));
                }
                let attr = |key: &str| attrs.iter().find(|(k, _)| k == key).map(|(_, v)| v);
                match name {
                    "data" => {
                        record = Some(Record {
                            kind: attr("type").cloned().unwrap_or_default(),
                            ..Default::default()
                        })
                    }
                    "location" => {
                        if let (Some(record), Some(href)) = (record.as_mut(), attr("href")) {
                            if !href_stays_inside(href) && escaping.is_none() {
                                escaping = Some((offset, href.clone()));
                            }
                            record.href = href.clone();
                        }
                    }
                    "checksum" => {
                        checksum_type = attr("type").cloned().unwrap_or_default();
                    }
                    _ => {}
                }
            }
            XmlEvent::End { name, text, .. } => match (name, record.as_mut()) {
                ("revision", None) => repomd.revision = Some(text.to_string()),
                ("checksum", Some(record)) => {
                    record.checksum = Some((
                        checksum_type.to_ascii_lowercase(),
                        text.to_ascii_lowercase(),
                    ))
                }
                ("size", Some(record)) => record.size = text.parse().ok(),
                ("timestamp", Some(record)) => record.timestamp = text.parse().ok(),
                ("data", Some(_)) => repomd.records.extend(record.take()),
                _ => {}
            },
        })?;
        if let Some((offset, href)) = escaping {
            return Err(XmlError {
                offset,
                message: format!(
                    "`location href=\"{href}\"` points outside the repository (an absolute path or `..` above it)"
                ),
            });
        }
        match root {
            Some((_, name)) if name == "repomd" => Ok(repomd),
            Some((offset, name)) => Err(XmlError {
                offset,
                message: format!("the root element is `<{name}>`, not `<repomd>`"),
            }),
            None => Err(XmlError {
                offset: 0,
                message: "empty document".to_string(),
            }),
        }
    }

    pub fn record(&self, kind: &str) -> Option<&Record> {
        self.records.iter().find(|record| record.kind == kind)
    }
}

/// Whether a relative `href` stays below the directory it is relative
/// to: not absolute, no URL, and no `..` that climbs above its start.
/// Everything `repomd.xml` names is read relative to the repository.
pub fn href_stays_inside(href: &str) -> bool {
    if href.starts_with('/') || href.contains("://") || href.contains('\\') {
        return false;
    }
    let mut depth = 0usize;
    for part in href.split('/') {
        match part {
            "" | "." => {}
            ".." => match depth.checked_sub(1) {
                Some(up) => depth = up,
                None => return false,
            },
            _ => depth += 1,
        }
    }
    true
}

fn flags_of(text: &str) -> u32 {
    match text {
        "EQ" => sense::EQUAL,
        "LT" => sense::LESS,
        "GT" => sense::GREATER,
        "LE" => sense::LESS | sense::EQUAL,
        "GE" => sense::GREATER | sense::EQUAL,
        _ => 0,
    }
}

fn evr_of(attrs: &[(String, String)]) -> String {
    let attr = |key: &str| {
        attrs
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
            .unwrap_or("")
    };
    let (epoch, ver, rel) = (attr("epoch"), attr("ver"), attr("rel"));
    let mut evr = String::new();
    if !epoch.is_empty() && epoch != "0" {
        evr.push_str(epoch);
        evr.push(':');
    }
    evr.push_str(ver);
    if !rel.is_empty() {
        evr.push('-');
        evr.push_str(rel);
    }
    evr
}

/// Packages of `primary.xml` (files: the primary subset only).
pub fn parse_primary(text: &str) -> Result<Vec<Package>, XmlError> {
    let mut packages = Vec::new();
    let mut package = Package::default();
    let mut list = "";
    xml::walk(text, |event| match event {
        XmlEvent::Start { name, attrs, .. } => {
            let attr = |key: &str| {
                attrs
                    .iter()
                    .find(|(k, _)| k == key)
                    .map(|(_, v)| v.as_str())
            };
            match name {
                "package" => package = Package::default(),
                "version" => {
                    package.epoch = attr("epoch").and_then(|e| e.parse().ok()).unwrap_or(0);
                    package.version = attr("ver").unwrap_or("").to_string();
                    package.release = attr("rel").unwrap_or("").to_string();
                }
                "location" => package.location = attr("href").unwrap_or("").to_string(),
                "size" => package.size = attr("package").and_then(|s| s.parse().ok()).unwrap_or(0),
                "provides" => list = "provides",
                "requires" => list = "requires",
                "conflicts" => list = "conflicts",
                "obsoletes" => list = "obsoletes",
                "recommends" | "suggests" | "supplements" | "enhances" => list = "",
                "entry" => {
                    let dep = Dep::new(
                        attr("name").unwrap_or(""),
                        attr("flags").map_or(0, flags_of),
                        evr_of(attrs),
                    );
                    match list {
                        "provides" => package.provides.push(dep),
                        "requires" => package.requires.push(dep),
                        "conflicts" => package.conflicts.push(dep),
                        "obsoletes" => package.obsoletes.push(dep),
                        _ => {}
                    }
                }
                _ => {}
            }
        }
        XmlEvent::End { name, text, .. } => match name {
            "name" => package.name = text.to_string(),
            "arch" => package.arch = text.to_string(),
            "summary" => package.summary = text.to_string(),
            "file" => package.files.push(text.to_string()),
            "package" => packages.push(std::mem::take(&mut package)),
            "provides" | "requires" | "conflicts" | "obsoletes" => list = "",
            _ => {}
        },
    })?;
    Ok(packages)
}

/// Adds the full file lists of `filelists.xml` to `packages` (matched by
/// name, arch and version).
pub fn merge_filelists(text: &str, packages: &mut [Package]) -> Result<(), XmlError> {
    let mut by_key: HashMap<(String, String, String), usize> = HashMap::new();
    for (i, package) in packages.iter().enumerate() {
        by_key.insert(
            (
                package.name.clone(),
                package.arch.clone(),
                format!("{}:{}-{}", package.epoch, package.version, package.release),
            ),
            i,
        );
    }
    let mut current: Option<usize> = None;
    let mut key = (String::new(), String::new());
    let mut files: Vec<String> = Vec::new();
    xml::walk(text, |event| match event {
        XmlEvent::Start { name, attrs, .. } => {
            let attr = |k: &str| {
                attrs
                    .iter()
                    .find(|(key, _)| key == k)
                    .map(|(_, v)| v.clone())
                    .unwrap_or_default()
            };
            match name {
                "package" => {
                    key = (attr("name"), attr("arch"));
                    current = None;
                    files.clear();
                }
                "version" => {
                    let epoch = attr("epoch");
                    let epoch = if epoch.is_empty() { "0".into() } else { epoch };
                    let evr = format!("{epoch}:{}-{}", attr("ver"), attr("rel"));
                    current = by_key.get(&(key.0.clone(), key.1.clone(), evr)).copied();
                }
                _ => {}
            }
        }
        XmlEvent::End { name, text, .. } => match name {
            "file" => files.push(text.to_string()),
            "package" => {
                if let Some(i) = current {
                    let package = &mut packages[i];
                    for file in files.drain(..) {
                        if !package.files.contains(&file) {
                            package.files.push(file);
                        }
                    }
                }
                files.clear();
            }
            _ => {}
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hrefs_that_leave_the_repository_are_refused() {
        for inside in [
            "repodata/x.xml.gz",
            "./repodata/../repodata/x.xml",
            "a/b/../../c",
        ] {
            assert!(href_stays_inside(inside), "{inside}");
        }
        for outside in [
            "/etc/passwd",
            "../x",
            "repodata/../../x",
            "http://h/x",
            "a\\..\\..\\x",
        ] {
            assert!(!href_stays_inside(outside), "{outside}");
        }
        let text = "<repomd>\n<data type=\"primary\"><location href=\"repodata/../../../etc/passwd\"/></data></repomd>";
        let error = Repomd::parse(text).unwrap_err();
        assert_eq!(error.offset, text.find("<location").unwrap());
        assert!(
            error.message.contains("outside the repository"),
            "{}",
            error.message
        );
    }

    #[test]
    fn reads_repomd_and_primary() {
        let repomd = Repomd::parse(
            r#"<?xml version="1.0"?><repomd xmlns="http://linux.duke.edu/metadata/repo">
<revision>17</revision>
<data type="primary"><checksum type="sha256">AB</checksum>
<location href="repodata/x-primary.xml.gz"/><size>10</size></data>
<data type="group"><location href="repodata/comps.xml"/></data></repomd>"#,
        )
        .unwrap();
        assert_eq!(repomd.revision.as_deref(), Some("17"));
        let primary = repomd.record("primary").unwrap();
        assert_eq!(primary.href, "repodata/x-primary.xml.gz");
        assert_eq!(
            primary.checksum,
            Some(("sha256".to_string(), "ab".to_string()))
        );
        assert_eq!(repomd.record("group").unwrap().href, "repodata/comps.xml");

        let packages = parse_primary(
            r#"<metadata xmlns="http://linux.duke.edu/metadata/common" xmlns:rpm="http://linux.duke.edu/metadata/rpm" packages="1">
<package type="rpm"><name>bzip2</name><arch>x86_64</arch>
<version epoch="0" ver="1.0.8" rel="18.el9"/><summary>File compression</summary>
<size package="51668"/><location href="Packages/bzip2-1.0.8-18.el9.x86_64.rpm"/>
<format><rpm:provides><rpm:entry name="bzip2" flags="EQ" epoch="0" ver="1.0.8" rel="18.el9"/></rpm:provides>
<rpm:requires><rpm:entry name="/usr/bin/sh"/><rpm:entry name="libc" flags="GE" epoch="1" ver="2"/></rpm:requires>
<file>/usr/bin/bzip2</file></format></package></metadata>"#,
        )
        .unwrap();
        assert_eq!(packages.len(), 1);
        let p = &packages[0];
        assert_eq!((p.name.as_str(), p.arch.as_str()), ("bzip2", "x86_64"));
        assert_eq!(p.evr(), "1.0.8-18.el9");
        assert_eq!(p.size, 51668);
        assert_eq!(p.provides[0].version, "1.0.8-18.el9");
        assert_eq!(p.requires[1].to_string(), "libc >= 1:2");
        assert_eq!(p.files, ["/usr/bin/bzip2"]);
        assert!(Repomd::parse("<comps/>").is_err());
    }
}
