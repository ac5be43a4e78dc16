//! Builds media trees with real RPMs (the `rpm` crate's builder) and real
//! comps files in temporary directories.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;

use kslint::analysis::{analyze, Analysis, CheckOptions};
use kslint::media::testkit::{comps_xml, GroupSpec, RpmSpec};
use kslint::source::SourceFile;

#[allow(unused_imports)]
pub use kslint::media::testkit;

/// A seed-layout tree: `build_iso/comps.xml` and `build_iso/isolinux/` (the
/// ISO root with `Packages/` and `ks/ks.cfg`).
pub struct SeedTree {
    pub dir: tempfile::TempDir,
}

impl SeedTree {
    pub fn new(specs: &[RpmSpec], comps: &str) -> SeedTree {
        let dir = tempfile::tempdir().expect("temp dir");
        let tree = SeedTree { dir };
        std::fs::create_dir_all(tree.root().join("ks")).unwrap();
        std::fs::write(tree.dir.path().join("build_iso/comps.xml"), comps).unwrap();
        for spec in specs {
            spec.write_to(&tree.packages()).expect("build rpm");
        }
        tree
    }

    pub fn root(&self) -> PathBuf {
        self.dir.path().join("build_iso/isolinux")
    }

    pub fn packages(&self) -> PathBuf {
        self.root().join("Packages")
    }

    pub fn kickstart(&self, text: &str) -> PathBuf {
        let path = self.root().join("ks/ks.cfg");
        std::fs::write(&path, text).unwrap();
        path
    }

    /// Analyses `text` as `ks/ks.cfg` of this tree (media found from the path).
    pub fn check(&self, text: &str) -> Analysis {
        let path = self.kickstart(text);
        analyze(SourceFile::new(path, text), &CheckOptions::default())
    }
}

/// A stock tree (`Packages/`, optionally `repodata/` from createrepo_c).
pub struct StockTree {
    pub dir: tempfile::TempDir,
}

impl StockTree {
    pub fn new(specs: &[RpmSpec]) -> StockTree {
        let dir = tempfile::tempdir().expect("temp dir");
        std::fs::write(dir.path().join(".discinfo"), "1\nCentOS 7\nx86_64\n1\n").unwrap();
        for spec in specs {
            spec.write_to(&dir.path().join("Packages"))
                .expect("build rpm");
        }
        StockTree { dir }
    }

    pub fn root(&self) -> &Path {
        self.dir.path()
    }

    /// Runs `createrepo_c -g comps.xml .`; false when createrepo_c is missing.
    pub fn createrepo(&self, comps: &str) -> bool {
        std::fs::write(self.root().join("comps.xml"), comps).unwrap();
        let status = Command::new("createrepo_c")
            .args(["-q", "--no-database", "-g", "comps.xml", "."])
            .current_dir(self.root())
            .status();
        match status {
            Ok(status) => {
                assert!(status.success(), "createrepo_c failed");
                std::fs::remove_file(self.root().join("comps.xml")).unwrap();
                true
            }
            Err(_) => {
                eprintln!("createrepo_c not installed: skipping the repodata part");
                false
            }
        }
    }

    pub fn check(&self, text: &str) -> Analysis {
        let path = self.root().join("ks.cfg");
        std::fs::write(&path, text).unwrap();
        analyze(SourceFile::new(path, text), &CheckOptions::default())
    }
}

/// (code, severity, text under the range, message) of every KS2xxx
/// diagnostic (other rule families are not under test here).
pub fn findings(analysis: &Analysis) -> Vec<(String, String, String, String)> {
    media_diagnostics(analysis)
        .map(|d| {
            let file = analysis.sources.get(d.location.file);
            (
                d.rule.code.to_string(),
                d.severity.as_str().to_string(),
                file.slice(d.location.range).to_string(),
                d.message.clone(),
            )
        })
        .collect()
}

/// The KS2xxx diagnostics of an analysis.
pub fn media_diagnostics(
    analysis: &Analysis,
) -> impl Iterator<Item = &kslint::diagnostic::Diagnostic> {
    analysis
        .diagnostics
        .iter()
        .filter(|d| d.rule.code.starts_with("KS2"))
}

/// Codes and the text under their ranges, e.g. `KS2002 httpdd`.
pub fn summary(analysis: &Analysis) -> Vec<String> {
    findings(analysis)
        .into_iter()
        .map(|(code, _, text, _)| format!("{code} {text}"))
        .collect()
}

pub fn rpm(name: &str, version: &str) -> RpmSpec {
    RpmSpec::new(name, version, "x86_64")
}

pub fn noarch(name: &str, version: &str) -> RpmSpec {
    RpmSpec::new(name, version, "noarch")
}

/// comps with `core` (bash mandatory) and the given extra groups/environments.
pub fn comps(groups: &[GroupSpec], environments: &[(&str, &str, &[&str], &[&str])]) -> String {
    comps_xml(groups, environments)
}

pub fn group<'a>(id: &'a str, name: &'a str, packages: &'a [(&'a str, &'a str)]) -> GroupSpec<'a> {
    GroupSpec { id, name, packages }
}
