//! The protocol-agnostic entry point: a kickstart text in, diagnostics out.
//! The CLI and the language server both call [`analyze`]; neither has a rule
//! of its own.

use std::path::{Path, PathBuf};

use crate::diagnostic::Diagnostic;
use crate::rules::{self, Context};
use crate::source::{FileId, SourceFile, SourceMap};
use crate::syntax::{self, model::Document};

/// Settings that change what the checks report.
#[derive(Clone, Debug, Default)]
pub struct CheckOptions {
    /// Syntax version requested by the user (`RHEL7`, `F40`, …), as given.
    pub syntax: Option<String>,
    /// Root of the install media tree, when given explicitly.
    pub media: Option<PathBuf>,
}

/// The result of analysing one kickstart file.
#[derive(Debug)]
pub struct Analysis {
    pub sources: SourceMap,
    pub main: FileId,
    pub document: Document,
    pub diagnostics: Vec<Diagnostic>,
}

impl Analysis {
    pub fn has_errors(&self) -> bool {
        self.diagnostics
            .iter()
            .any(|d| d.severity == crate::diagnostic::Severity::Error)
    }
}

/// Parses and checks one kickstart file. Diagnostics come sorted by file and
/// position.
pub fn analyze(file: SourceFile, options: &CheckOptions) -> Analysis {
    let mut sources = SourceMap::default();
    let main = sources.add(file);
    let source = sources.get(main);
    let tree = syntax::parse(&source.text, None);
    let document = Document::new(main, &source.text, tree);
    let context = Context {
        file_id: main,
        file: source,
        document: &document,
        options,
    };
    let mut diagnostics = rules::run(&context);
    diagnostics.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
    Analysis {
        sources,
        main,
        document,
        diagnostics,
    }
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
