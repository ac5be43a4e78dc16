//! The volume id the ISO will carry: the one value every `LABEL=` on a
//! kernel command line and every GRUB `search -l` must equal. Shared by the
//! boot checks and the ISO build, so both agree on it.
//!
//! Order: `kslint.toml` `[iso] volume_id`; else what stock media of the
//! release named by `.treeinfo`/`.discinfo` are labelled, as long as the
//! boot configurations still use that label somewhere (a remastered tree
//! keeps the stock metadata but may carry a new label); else the label most
//! boot arguments use, reported as an assumption.

use std::path::{Path, PathBuf};

use crate::config::Config;

/// Where the volume id came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum VolumeIdSource {
    /// `[iso] volume_id` in this `kslint.toml`.
    Config(PathBuf),
    /// The label stock media of the release in this `.treeinfo` or
    /// `.discinfo` carry.
    Media(PathBuf),
    /// Nothing says: the label `uses` of the `total` label references in the
    /// boot configurations agree on.
    BootEntries { uses: usize, total: usize },
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VolumeId {
    pub value: String,
    pub source: VolumeIdSource,
}

impl VolumeId {
    /// True when no setting or metadata named the volume id.
    pub fn is_assumed(&self) -> bool {
        matches!(self.source, VolumeIdSource::BootEntries { .. })
    }

    /// `the volume id "X" (from kslint.toml)`, for messages.
    pub fn describe(&self) -> String {
        match &self.source {
            VolumeIdSource::Config(path) => {
                format!("the volume id `{}` (set in {})", self.value, path.display())
            }
            VolumeIdSource::Media(path) => format!(
                "the volume id `{}` (the stock label for the release in {})",
                self.value,
                path.display()
            ),
            VolumeIdSource::BootEntries { uses, total } => format!(
                "the volume id `{}` (assumed: {uses} of {total} label references use it; no [iso] volume_id is set)",
                self.value
            ),
        }
    }
}

/// Resolves the volume id from the settings, the media metadata under
/// `media_root` and the (decoded) labels the boot configurations use, in
/// the order they were met.
pub fn volume_id(
    config: &Config,
    media_root: Option<&Path>,
    labels: &[String],
) -> Option<VolumeId> {
    if let Some(value) = &config.iso.volume_id {
        return Some(VolumeId {
            value: value.clone(),
            source: VolumeIdSource::Config(config.base_dir.join(crate::config::FILE_NAME)),
        });
    }
    if let Some((value, path)) = media_root.and_then(stock_volume_id) {
        if labels.is_empty() || labels.contains(&value) {
            return Some(VolumeId {
                value,
                source: VolumeIdSource::Media(path),
            });
        }
    }
    let mut counts: Vec<(&String, usize)> = Vec::new();
    for label in labels {
        match counts.iter_mut().find(|(seen, _)| *seen == label) {
            Some((_, count)) => *count += 1,
            None => counts.push((label, 1)),
        }
    }
    // The most used label; on a tie the one met first.
    let (value, uses) = counts
        .iter()
        .rev()
        .max_by_key(|(_, count)| *count)
        .map(|(label, count)| ((*label).clone(), *count))?;
    Some(VolumeId {
        value,
        source: VolumeIdSource::BootEntries {
            uses,
            total: labels.len(),
        },
    })
}

/// The label stock media of the release described by `root/.treeinfo` (or
/// `.discinfo`) carry, as lorax writes it.
pub fn stock_volume_id(root: &Path) -> Option<(String, PathBuf)> {
    let treeinfo = root.join(".treeinfo");
    if let Ok(text) = std::fs::read_to_string(&treeinfo) {
        if let Some(value) = from_treeinfo(&text) {
            return Some((value, treeinfo));
        }
    }
    let discinfo = root.join(".discinfo");
    let text = std::fs::read_to_string(&discinfo).ok()?;
    let mut lines = text.lines().map(str::trim);
    let release = lines.nth(1)?;
    let arch = lines.next().filter(|arch| !arch.is_empty())?;
    let (family, version) = release.rsplit_once(' ')?;
    Some((stock_label(family, version, "", arch)?, discinfo))
}

fn from_treeinfo(text: &str) -> Option<String> {
    let mut section = String::new();
    let mut values: Vec<(String, String)> = Vec::new();
    for line in text.lines().map(str::trim) {
        if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            section = name.to_string();
        } else if let Some((key, value)) = line.split_once('=') {
            values.push((
                format!("{section}.{}", key.trim()),
                value.trim().to_string(),
            ));
        }
    }
    let get = |keys: &[&str]| {
        keys.iter().find_map(|key| {
            values
                .iter()
                .find(|(k, v)| k == key && !v.is_empty())
                .map(|(_, v)| v.as_str())
        })
    };
    let family = get(&["general.family", "release.name"])?;
    let version = get(&["general.version", "release.version"])?;
    let arch = get(&["general.arch", "tree.arch"])?;
    let variant = get(&["general.variant", "variant-Server.id"]).unwrap_or("");
    stock_label(family, version, variant, arch)
}

/// lorax's labels: `CentOS 7 x86_64`, `RHEL-7.9 Server.x86_64`,
/// `RHEL-9-4-0-BaseOS-x86_64`; other releases use `<name> <version> <arch>`,
/// which is only used when the boot configurations agree.
fn stock_label(family: &str, version: &str, variant: &str, arch: &str) -> Option<String> {
    let major: u32 = version.split('.').next()?.parse().ok()?;
    let minor = version.split('.').nth(1).unwrap_or("0");
    if family.starts_with("CentOS") && major == 7 {
        return Some(format!("CentOS 7 {arch}"));
    }
    if family == "Red Hat Enterprise Linux" || family == "RHEL" {
        if major == 7 {
            let variant = if variant.is_empty() {
                "Server"
            } else {
                variant
            };
            return Some(format!("RHEL-{version} {variant}.{arch}"));
        }
        if major >= 8 {
            return Some(format!("RHEL-{major}-{minor}-0-BaseOS-{arch}"));
        }
    }
    Some(format!("{family} {version} {arch}"))
}

/// Why `id` cannot be the volume id of an ISO 9660 image, if it cannot.
pub fn volume_id_problems(id: &str) -> Vec<String> {
    let mut problems = Vec::new();
    if id.is_empty() {
        problems.push("it is empty".to_string());
    }
    if id.len() > 32 {
        problems.push(format!(
            "it is {} bytes long and the ISO 9660 volume id field holds 32; image writers reject or truncate it, and a truncated label matches no `LABEL=`",
            id.len()
        ));
    }
    if let Some(ch) = id.chars().find(|c| !c.is_ascii() || c.is_ascii_control()) {
        problems.push(format!(
            "it contains {ch:?}; the volume id field holds printable ASCII only, so the label on the disc is not this text"
        ));
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stock_labels() {
        let centos = "[general]\nfamily = CentOS\nversion = 7\narch = x86_64\n";
        assert_eq!(from_treeinfo(centos).as_deref(), Some("CentOS 7 x86_64"));
        let centos_linux = "[general]\nfamily = CentOS Linux\nversion = 7\narch = x86_64\n";
        assert_eq!(
            from_treeinfo(centos_linux).as_deref(),
            Some("CentOS 7 x86_64")
        );
        let rhel7 = "[general]\nfamily = Red Hat Enterprise Linux\nversion = 7.7\nvariant = Server\narch = x86_64\n";
        assert_eq!(
            from_treeinfo(rhel7).as_deref(),
            Some("RHEL-7.7 Server.x86_64")
        );
        let rhel9 = "[header]\nversion = 1.2\n[release]\nname = Red Hat Enterprise Linux\nshort = RHEL\nversion = 9.4\n[tree]\narch = x86_64\n";
        assert_eq!(
            from_treeinfo(rhel9).as_deref(),
            Some("RHEL-9-4-0-BaseOS-x86_64")
        );
    }

    #[test]
    fn resolution_order() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(".discinfo"), "1\nCentOS 7\nx86_64\n").unwrap();
        let labels = |list: &[&str]| list.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let config = Config::default();
        let id = volume_id(
            &config,
            Some(dir.path()),
            &labels(&["X", "CentOS 7 x86_64"]),
        )
        .unwrap();
        assert_eq!(id.value, "CentOS 7 x86_64");
        assert!(matches!(id.source, VolumeIdSource::Media(_)));
        // A relabelled tree: the stock label is used nowhere.
        let id = volume_id(&config, Some(dir.path()), &labels(&["A", "B", "B"])).unwrap();
        assert_eq!(id.value, "B");
        assert_eq!(id.source, VolumeIdSource::BootEntries { uses: 2, total: 3 });
        let id = volume_id(&config, None, &labels(&["A", "B"])).unwrap();
        assert_eq!(id.value, "A");
        assert!(volume_id(&config, None, &[]).is_none());
        let mut config = Config::default();
        config.iso.volume_id = Some("SET".into());
        assert_eq!(
            volume_id(&config, None, &labels(&["A"])).unwrap().value,
            "SET"
        );
    }

    #[test]
    fn problems_of_volume_ids() {
        assert!(volume_id_problems("CentOS 7 x86_64").is_empty());
        assert_eq!(volume_id_problems(&"x".repeat(33)).len(), 1);
        assert_eq!(volume_id_problems("Déjà").len(), 1);
    }
}
