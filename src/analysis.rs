//! The protocol-agnostic entry point: a kickstart text in, diagnostics out.
//! The CLI and the language server both call [`analyze`]; neither has a rule
//! of its own.

use std::path::{Path, PathBuf};

use crate::config::Config;
use crate::diagnostic::Diagnostic;
use crate::rules::{self, Context};
use crate::includes;
use crate::suppress;
use crate::source::{FileId, SourceFile, SourceMap};
use crate::syntax::{self, model::Document};

/// Settings that change what the checks report.
#[derive(Clone, Debug, Default)]
pub struct CheckOptions {
    /// Syntax version requested by the user (`RHEL7`, `F40`, …), as given.
    pub syntax: Option<String>,
    /// Root of the install media tree, when given explicitly.
    pub media: Option<PathBuf>,
    /// Settings from `kslint.toml` (defaults when there is none).
    pub config: Config,
}

/// The result of analysing one kickstart file and the files it includes.
#[derive(Debug)]
pub struct Analysis {
    pub sources: SourceMap,
    pub main: FileId,
    pub document: Document,
    /// Files pulled in by `%include` / `%ksappend`, in the order met.
    pub included: Vec<Document>,
    pub diagnostics: Vec<Diagnostic>,
}

impl Analysis {
    pub fn has_errors(&self) -> bool {
        self.diagnostics
            .iter()
            .any(|d| d.severity == crate::diagnostic::Severity::Error)
    }

    /// The main document first, then the included ones.
    pub fn documents(&self) -> impl Iterator<Item = &Document> {
        std::iter::once(&self.document).chain(&self.included)
    }
}

/// Parses and checks one kickstart file and the files it includes.
/// Diagnostics come sorted by file and position.
pub fn analyze(file: SourceFile, options: &CheckOptions) -> Analysis {
    let mut sources = SourceMap::default();
    let main = sources.add(file);
    let document = parse_document(&sources, main);
    let mut diagnostics = Vec::new();
    let workspace = includes::Workspace::new(sources.get(main), options);
    let included = includes::follow(&workspace, &mut sources, &document, &mut diagnostics);
    for (role, document) in std::iter::once((FileRole::Main, &document))
        .chain(included.iter().map(|document| (FileRole::Included, document)))
    {
        let source = sources.get(document.file);
        let context = Context {
            file_id: document.file,
            file: source,
            document,
            role,
            options,
        };
        let mut found = rules::run(&context);
        suppress::apply(document.file, source, &mut found);
        diagnostics.append(&mut found);
    }
    apply_rule_settings(&options.config, &mut diagnostics);
    diagnostics.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
    Analysis {
        sources,
        main,
        document,
        included,
        diagnostics,
    }
}

pub(crate) fn parse_document(sources: &SourceMap, file: FileId) -> Document {
    let source = sources.get(file);
    let tree = syntax::parse(&source.text, None);
    Document::new(file, &source.text, tree)
}

/// Whether a file is the one being checked or was pulled in by an include.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FileRole {
    Main,
    Included,
}

/// Drops diagnostics of rules turned off in `[rules]` and applies the
/// severities configured there.
fn apply_rule_settings(config: &Config, diagnostics: &mut Vec<Diagnostic>) {
    diagnostics.retain_mut(|diagnostic| match config.rule_setting(diagnostic.rule) {
        None => true,
        Some(None) => false,
        Some(Some(severity)) => {
            diagnostic.severity = severity;
            true
        }
    });
}

/// Reads and analyses a kickstart file from disk.
pub fn analyze_path(path: &Path, options: &CheckOptions) -> std::io::Result<Analysis> {
    Ok(analyze(SourceFile::read(path)?, options))
}

/// Whether a `.cfg` file found while walking a directory is a kickstart:
/// it has a kickstart section or at least two lines that start with a
/// command only kickstart uses. Boot loader configs (`isolinux.cfg`,
/// `grub.cfg`) never qualify.
pub fn looks_like_kickstart(file_name: &str, text: &str) -> bool {
    const BOOT_CONFIGS: &[&str] = &["isolinux.cfg", "syslinux.cfg", "grub.cfg", "extlinux.conf"];
    const TELLTALE_COMMANDS: &[&str] = &[
        "rootpw",
        "bootloader",
        "clearpart",
        "autopart",
        "part",
        "partition",
        "zerombr",
        "keyboard",
        "timezone",
        "lang",
        "network",
        "selinux",
        "firewall",
        "authconfig",
        "authselect",
        "skipx",
        "reboot",
        "poweroff",
        "install",
        "cdrom",
        "url",
        "firstboot",
        "logvol",
        "volgroup",
        "services",
        "user",
        "repo",
        "text",
        "graphical",
        "ignoredisk",
    ];
    if BOOT_CONFIGS.contains(&file_name) {
        return false;
    }
    let mut telltales = 0;
    for line in text.lines() {
        let line = line.trim_start();
        let first = line.split_whitespace().next().unwrap_or("");
        if ["%packages", "%post", "%pre", "%pre-install"].contains(&first) {
            return true;
        }
        if TELLTALE_COMMANDS.contains(&first) {
            telltales += 1;
            if telltales >= 2 {
                return true;
            }
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognises_kickstarts_among_cfg_files() {
        assert!(looks_like_kickstart("x.cfg", "lang en_US\nrootpw x\n"));
        assert!(looks_like_kickstart("x.cfg", "%packages\n@core\n%end\n"));
        assert!(!looks_like_kickstart("isolinux.cfg", "%packages\n"));
        assert!(!looks_like_kickstart(
            "menu.cfg",
            "default vesamenu.c32\ntimeout 600\nlabel linux\n"
        ));
    }
}
