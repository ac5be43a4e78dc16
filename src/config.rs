//! `kslint.toml`: project settings found upward from the checked file.
//!
//! ```toml
//! syntax = "RHEL7"            # syntax version when --syntax is not given
//! exclude = ["templates/**"]  # paths `kslint check DIR` skips
//!
//! [rules]
//! KS0006 = "off"              # by code or name: off | hint | info | warning | error
//! crlf-line-endings = "error"
//!
//! [media]
//! root = "build_iso/isolinux" # the ISO root (relative to this file)
//! comps = "build_iso/comps.xml"
//!
//! [iso]
//! volume_id = "CentOS 7 x86_64"
//!
//! [source]
//! image = "/srv/iso/CentOS-7-x86_64-DVD-2009.iso"  # for `kslint collect`
//!
//! [scripts]
//! shellcheck = true           # or a path to the program; off by default
//! ```

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::catalog::SyntaxVersion;
use crate::diagnostic::Severity;
use crate::rules::{self, Rule};

pub const FILE_NAME: &str = "kslint.toml";

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    pub syntax: Option<String>,
    #[serde(default)]
    pub exclude: Vec<String>,
    #[serde(default)]
    rules: BTreeMap<String, String>,
    #[serde(default)]
    pub media: MediaConfig,
    #[serde(default)]
    pub iso: IsoConfig,
    #[serde(default)]
    pub source: SourceConfig,
    #[serde(default)]
    pub scripts: ScriptsConfig,
    /// Directory of the `kslint.toml` the settings came from; relative paths
    /// in it are resolved against this.
    #[serde(skip)]
    pub base_dir: PathBuf,
    #[serde(skip)]
    severities: Vec<(&'static Rule, Option<Severity>)>,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MediaConfig {
    pub root: Option<PathBuf>,
    pub comps: Option<PathBuf>,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IsoConfig {
    pub volume_id: Option<String>,
}

/// `[source]`: the stock image `kslint init` laid the tree out from, where
/// `kslint collect` copies RPMs from.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SourceConfig {
    /// An ISO image or an extracted directory (relative to this file).
    pub image: Option<PathBuf>,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScriptsConfig {
    /// `true`/`false`, or the shellcheck program to run.
    pub shellcheck: Option<ShellcheckSetting>,
}

#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(untagged)]
pub enum ShellcheckSetting {
    Enabled(bool),
    Program(PathBuf),
}

impl Config {
    /// The shellcheck program `[scripts] shellcheck` asks for: `Some(None)`
    /// when it says off, `Some(Some(program))` when on, `None` when silent.
    /// A relative path with a slash is resolved against this file's
    /// directory; a bare name is looked up on `PATH` when run.
    pub fn shellcheck(&self) -> Option<Option<PathBuf>> {
        match self.scripts.shellcheck.as_ref()? {
            ShellcheckSetting::Enabled(false) => Some(None),
            ShellcheckSetting::Enabled(true) => Some(Some(PathBuf::from("shellcheck"))),
            ShellcheckSetting::Program(path) if path.components().count() > 1 => {
                Some(Some(self.resolve(path)))
            }
            ShellcheckSetting::Program(path) => Some(Some(path.clone())),
        }
    }
}

/// A `kslint.toml` that cannot be used, with where the problem is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConfigError {
    pub path: PathBuf,
    /// 1-based line and column, when known.
    pub line: usize,
    pub column: usize,
    pub message: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}:{}: {}",
            self.path.display(),
            self.line,
            self.column,
            self.message
        )
    }
}

impl std::error::Error for ConfigError {}

impl Config {
    /// Parses the text of a `kslint.toml` located at `path`.
    pub fn parse(path: &Path, text: &str) -> Result<Config, ConfigError> {
        let error_at = |offset: usize, message: String| {
            let before = &text[..offset.min(text.len())];
            let line = before.matches('\n').count() + 1;
            let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
            ConfigError {
                path: path.to_path_buf(),
                line,
                column,
                message,
            }
        };
        let mut config: Config = toml::from_str(text).map_err(|error| {
            let offset = error.span().map_or(0, |span| span.start);
            error_at(offset, error.message().trim().to_string())
        })?;
        config.base_dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
        if let Some(syntax) = &config.syntax {
            if SyntaxVersion::parse(syntax).is_none() {
                return Err(error_at(
                    key_offset(text, "syntax"),
                    format!("unknown syntax version `{syntax}` (RHEL6…RHEL10, F30…F46, DEVEL, centos7, …)"),
                ));
            }
        }
        for (key, value) in &config.rules {
            let offset = key_offset(text, key);
            let rule = rules::find(key).ok_or_else(|| {
                error_at(
                    offset,
                    format!("unknown rule `{key}` in [rules]; `kslint rules` lists them"),
                )
            })?;
            let severity = match value.as_str() {
                "off" => None,
                other => Some(Severity::parse(other).ok_or_else(|| {
                    error_at(
                        offset,
                        format!("`{key}` must be \"off\", \"hint\", \"info\", \"warning\" or \"error\", not \"{other}\""),
                    )
                })?),
            };
            config.severities.push((rule, severity));
        }
        Ok(config)
    }

    /// Reads the nearest `kslint.toml` in `start` or a directory above it.
    pub fn discover(start: &Path) -> Result<Option<Config>, ConfigError> {
        let start = if start.is_dir() {
            start.to_path_buf()
        } else {
            start.parent().map(Path::to_path_buf).unwrap_or_default()
        };
        let start = std::fs::canonicalize(&start).unwrap_or(start);
        for dir in start.ancestors() {
            let candidate = dir.join(FILE_NAME);
            if let Ok(text) = std::fs::read_to_string(&candidate) {
                return Config::parse(&candidate, &text).map(Some);
            }
        }
        Ok(None)
    }

    /// What `[rules]` says of `rule`: `None` when it says nothing,
    /// `Some(None)` when the rule is off, `Some(Some(severity))` otherwise.
    pub fn rule_setting(&self, rule: &'static Rule) -> Option<Option<Severity>> {
        self.severities
            .iter()
            .rev()
            .find(|(configured, _)| *configured == rule)
            .map(|(_, severity)| *severity)
    }

    /// The `syntax = …` setting, validated when the file was read.
    pub fn syntax_version(&self) -> Option<SyntaxVersion> {
        self.syntax.as_deref().and_then(SyntaxVersion::parse)
    }

    /// Overrides what `[rules]` says of `rule` (editor settings win over
    /// the file): `None` turns it off.
    pub fn set_rule(&mut self, rule: &'static Rule, severity: Option<Severity>) {
        self.severities.push((rule, severity));
    }

    /// `path` relative to the directory of this `kslint.toml`.
    pub fn resolve(&self, path: &Path) -> PathBuf {
        self.base_dir.join(path)
    }
}

/// Offset of `key = …` in the text, for error positions (0 when not found).
fn key_offset(text: &str, key: &str) -> usize {
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        let trimmed = line.trim_start();
        let unquoted = trimmed.trim_start_matches(['"', '\'']);
        if unquoted.starts_with(key) {
            return offset + (line.len() - trimmed.len());
        }
        offset += line.len();
    }
    0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_all_sections() {
        let config = Config::parse(
            Path::new("/p/kslint.toml"),
            "syntax = \"RHEL7\"\n[rules]\nKS0006 = \"error\"\nstray-end = \"off\"\n[media]\nroot = \"build_iso/isolinux\"\n[iso]\nvolume_id = \"X\"\n",
        )
        .unwrap();
        assert_eq!(config.syntax.as_deref(), Some("RHEL7"));
        let crlf = rules::find("KS0006").unwrap();
        assert_eq!(config.rule_setting(crlf), Some(Some(Severity::Error)));
        assert_eq!(
            config.rule_setting(rules::find("KS0007").unwrap()),
            Some(None)
        );
        assert_eq!(config.rule_setting(rules::find("KS0001").unwrap()), None);
        assert_eq!(
            config.resolve(config.media.root.as_ref().unwrap()),
            Path::new("/p/build_iso/isolinux")
        );
        assert_eq!(config.iso.volume_id.as_deref(), Some("X"));
    }

    #[test]
    fn errors_carry_line_and_column() {
        let error = Config::parse(
            Path::new("kslint.toml"),
            "syntax = \"F40\"\n[rules]\n  nope = \"off\"\n",
        )
        .unwrap_err();
        assert_eq!((error.line, error.column), (3, 3));
        assert!(error.message.contains("unknown rule `nope`"), "{error}");

        let error =
            Config::parse(Path::new("kslint.toml"), "syntax = \"F40\"\nbogus = 1\n").unwrap_err();
        assert_eq!(error.line, 2);
        assert!(error.to_string().starts_with("kslint.toml:2:"), "{error}");

        let error =
            Config::parse(Path::new("kslint.toml"), "[rules]\nKS0001 = \"loud\"\n").unwrap_err();
        assert!(error.message.contains("\"loud\""), "{error}");
    }
}
