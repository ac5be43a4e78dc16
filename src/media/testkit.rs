//! Builds small real RPMs and media trees for tests, the benchmark and the
//! example generator. Not part of the stable API.

use std::path::{Path, PathBuf};

use super::index::sense;

/// What one generated RPM contains.
#[derive(Clone, Debug, Default)]
pub struct RpmSpec {
    pub name: String,
    pub epoch: u32,
    pub version: String,
    pub release: String,
    pub arch: String,
    pub summary: String,
    pub provides: Vec<(String, u32, String)>,
    pub requires: Vec<(String, u32, String)>,
    pub conflicts: Vec<(String, u32, String)>,
    pub obsoletes: Vec<(String, u32, String)>,
    pub files: Vec<String>,
}

/// Parses `name`, `name >= 1.0`, `name = 1:2-3` (as written in spec files).
pub fn dep(text: &str) -> (String, u32, String) {
    let mut words = text.split_whitespace();
    let name = words.next().unwrap_or_default().to_string();
    let flags = match words.next() {
        Some("<") => sense::LESS,
        Some(">") => sense::GREATER,
        Some("=") => sense::EQUAL,
        Some("<=") => sense::LESS | sense::EQUAL,
        Some(">=") => sense::GREATER | sense::EQUAL,
        _ => 0,
    };
    let version = words.next().unwrap_or_default().to_string();
    // Rich dependencies are one word for rpm: keep the whole text.
    if name.starts_with('(') {
        return (text.to_string(), 0, String::new());
    }
    (name, flags, version)
}

impl RpmSpec {
    pub fn new(name: &str, version: &str, arch: &str) -> RpmSpec {
        RpmSpec {
            name: name.to_string(),
            version: version.to_string(),
            release: "1.el7".to_string(),
            arch: arch.to_string(),
            summary: format!("The {name} package"),
            ..Default::default()
        }
    }

    /// Package `i` of a generated media tree whose packages depend on
    /// earlier ones the three ways real ones do: by soname, by versioned
    /// name and by file. `pkg0000` requires nothing.
    pub fn chained(i: usize) -> RpmSpec {
        let mut spec = RpmSpec::new(&format!("pkg{i:04}"), &format!("1.{}", i % 17), "x86_64")
            .provides(&format!("libpkg{i}.so.1()(64bit)"))
            .file(&format!("/usr/bin/pkg{i}"))
            .file(&format!("/usr/share/doc/pkg{i}/README"));
        if i > 0 {
            spec = spec.requires(&format!("libpkg{}.so.1()(64bit)", i / 2));
        }
        if i > 2 {
            spec = spec.requires(&format!("pkg{:04} >= 1.0", i / 3));
        }
        if i > 10 {
            spec = spec.requires(&format!("/usr/bin/pkg{}", i - 7));
        }
        spec
    }

    pub fn requires(mut self, text: &str) -> Self {
        self.requires.push(dep(text));
        self
    }

    pub fn provides(mut self, text: &str) -> Self {
        self.provides.push(dep(text));
        self
    }

    pub fn obsoletes(mut self, text: &str) -> Self {
        self.obsoletes.push(dep(text));
        self
    }

    pub fn conflicts(mut self, text: &str) -> Self {
        self.conflicts.push(dep(text));
        self
    }

    pub fn file(mut self, path: &str) -> Self {
        self.files.push(path.to_string());
        self
    }

    pub fn release(mut self, release: &str) -> Self {
        self.release = release.to_string();
        self
    }

    pub fn epoch(mut self, epoch: u32) -> Self {
        self.epoch = epoch;
        self
    }

    pub fn file_name(&self) -> String {
        format!(
            "{}-{}-{}.{}.rpm",
            self.name, self.version, self.release, self.arch
        )
    }

    /// The RPM file's bytes (uncompressed payload).
    pub fn build(&self) -> Result<Vec<u8>, String> {
        let to_dep = |(name, flags, version): &(String, u32, String)| rpm::Dependency {
            name: name.clone(),
            flags: rpm::DependencyFlags::from_bits_retain(*flags),
            version: version.clone(),
        };
        let mut builder =
            rpm::PackageBuilder::new(&self.name, &self.version, "MIT", &self.arch, &self.summary)
                .release(self.release.clone())
                .build_host("kslint-testkit")
                .source_date(1_700_000_000u32);
        if self.epoch != 0 {
            builder = builder.epoch(self.epoch);
        }
        for d in &self.provides {
            builder = builder.provides(to_dep(d));
        }
        for d in &self.requires {
            builder = builder.requires(to_dep(d));
        }
        for d in &self.conflicts {
            builder = builder.conflicts(to_dep(d));
        }
        for d in &self.obsoletes {
            builder = builder.obsoletes(to_dep(d));
        }
        for file in &self.files {
            builder = builder
                .with_file_contents(format!("{file}\n"), rpm::FileOptions::new(file.clone()))
                .map_err(|e| e.to_string())?;
        }
        let package = builder.build().map_err(|e| e.to_string())?;
        let mut bytes = Vec::new();
        package.write(&mut bytes).map_err(|e| e.to_string())?;
        Ok(bytes)
    }

    /// Writes the RPM into `dir` under its conventional file name.
    pub fn write_to(&self, dir: &Path) -> Result<PathBuf, String> {
        std::fs::create_dir_all(dir).map_err(|e| e.to_string())?;
        let path = dir.join(self.file_name());
        std::fs::write(&path, self.build()?).map_err(|e| e.to_string())?;
        Ok(path)
    }
}

/// A comps group for [`comps_xml`]: id, name, and (package, type) pairs.
pub struct GroupSpec<'a> {
    pub id: &'a str,
    pub name: &'a str,
    pub packages: &'a [(&'a str, &'a str)],
}

/// A comps document with the given groups and environments
/// (id, name, grouplist, optionlist).
pub fn comps_xml(groups: &[GroupSpec], environments: &[(&str, &str, &[&str], &[&str])]) -> String {
    let mut xml = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<!DOCTYPE comps PUBLIC \"-//Red Hat, Inc.//DTD Comps info//EN\" \"comps.dtd\">\n<comps>\n",
    );
    for group in groups {
        xml.push_str(&format!(
            "  <group>\n    <id>{}</id>\n    <name>{}</name>\n    <description/>\n    <default>false</default>\n    <uservisible>true</uservisible>\n    <packagelist>\n",
            group.id, group.name
        ));
        for (package, kind) in group.packages {
            xml.push_str(&format!(
                "      <packagereq type=\"{kind}\">{package}</packagereq>\n"
            ));
        }
        xml.push_str("    </packagelist>\n  </group>\n");
    }
    for (id, name, groups, options) in environments {
        xml.push_str(&format!(
            "  <environment>\n    <id>{id}</id>\n    <name>{name}</name>\n    <grouplist>\n"
        ));
        for group in *groups {
            xml.push_str(&format!("      <groupid>{group}</groupid>\n"));
        }
        xml.push_str("    </grouplist>\n    <optionlist>\n");
        for group in *options {
            xml.push_str(&format!("      <groupid>{group}</groupid>\n"));
        }
        xml.push_str("    </optionlist>\n  </environment>\n");
    }
    xml.push_str("</comps>\n");
    xml
}
