//! Following `%include` and `%ksappend`: which file a line means, whether
//! kslint may read it, and the diagnostics when it cannot be found.
//!
//! Paths are resolved relative to the including file. Kickstart authors also
//! write absolute paths the installer sees: the media mount
//! (`/run/install/repo/…`) is mapped to the media root when it is known, and
//! files a `%pre` script writes (`> /tmp/part-include`) exist only at install
//! time, so they are accepted unread. Nothing outside the workspace (the
//! directory of `kslint.toml`, else of the checked file) or the media root is
//! ever read.

use std::collections::HashSet;
use std::path::{Component, Path, PathBuf};

use crate::analysis::{parse_document, CheckOptions};
use crate::diagnostic::Diagnostic;
use crate::rules::declare_rule;
use crate::source::{FileId, SourceFile, SourceMap, TextRange};
use crate::syntax::model::{Document, Include, IncludeKind, ScriptKind, SectionKind};

declare_rule!(
    MISSING_INCLUDE,
    "KS0013",
    "missing-include",
    Error,
    "`%include` or `%ksappend` names a file that does not exist"
);
declare_rule!(
    INCLUDE_CYCLE,
    "KS0014",
    "include-cycle",
    Error,
    "Files include each other in a loop"
);
declare_rule!(
    INCLUDE_NOT_FOLLOWED,
    "KS0015",
    "include-not-followed",
    Info,
    "An included file outside the workspace that kslint does not read"
);

/// Install-time paths of the media mount, per release (RHEL ≤ 6, 7, 8+).
const MEDIA_MOUNTS: &[&str] = &["/mnt/source", "/mnt/install/repo", "/run/install/repo"];

/// Directories that exist only in the installer's RAM disk.
const INSTALL_TIME_DIRS: &[&str] = &[
    "/tmp",
    "/run",
    "/dev/shm",
    "/var/tmp",
    "/mnt/sysimage",
    "/mnt/sysroot",
];

/// Where included files may be read from.
pub struct Workspace {
    root: PathBuf,
    media_root: Option<PathBuf>,
    open_files: std::sync::Arc<std::collections::HashMap<PathBuf, std::sync::Arc<str>>>,
}

impl Workspace {
    pub fn new(main: &SourceFile, options: &CheckOptions) -> Self {
        let main_dir = absolute(main.path.parent().unwrap_or(Path::new(".")));
        let config_dir = &options.config.base_dir;
        let root = if config_dir.as_os_str().is_empty() {
            main_dir
        } else {
            absolute(config_dir)
        };
        let media_root = options
            .media
            .clone()
            .or_else(|| {
                options
                    .config
                    .media
                    .root
                    .as_ref()
                    .map(|root| options.config.resolve(root))
            })
            .map(|root| absolute(&root));
        Self {
            root,
            media_root,
            open_files: options.open_files.clone(),
        }
    }

    fn may_read(&self, path: &Path) -> bool {
        path.starts_with(&self.root)
            || self
                .media_root
                .as_ref()
                .is_some_and(|media| path.starts_with(media))
    }
}

/// An include whose file was found: where it is written and what it names.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IncludeLink {
    pub file: FileId,
    pub range: TextRange,
    pub target: PathBuf,
}

/// What following the includes of a document found.
#[derive(Debug, Default)]
pub struct Followed {
    pub documents: Vec<Document>,
    pub links: Vec<IncludeLink>,
}

/// Reads and parses every file reachable through includes from `document`,
/// reporting missing files and cycles.
pub fn follow(
    workspace: &Workspace,
    sources: &mut SourceMap,
    document: &Document,
    diagnostics: &mut Vec<Diagnostic>,
) -> Followed {
    let mut walker = Walker {
        workspace,
        pre_scripts: pre_script_text(sources, document),
        visited: HashSet::new(),
        stack: Vec::new(),
        followed: Followed::default(),
    };
    let main_path = absolute(&sources.get(document.file).path);
    walker.visited.insert(main_path.clone());
    walker.stack.push(main_path);
    walker.visit(sources, document, diagnostics);
    walker.followed
}

struct Walker<'w> {
    workspace: &'w Workspace,
    /// Bodies of the main file's `%pre` scripts: what they write exists at
    /// install time.
    pre_scripts: String,
    visited: HashSet<PathBuf>,
    stack: Vec<PathBuf>,
    followed: Followed,
}

impl Walker<'_> {
    fn visit(
        &mut self,
        sources: &mut SourceMap,
        document: &Document,
        diagnostics: &mut Vec<Diagnostic>,
    ) {
        let including_dir = absolute(
            sources
                .get(document.file)
                .path
                .parent()
                .unwrap_or(Path::new(".")),
        );
        let includes: Vec<Include> = document.includes().cloned().collect();
        for include in includes {
            let Some(word) = &include.path else { continue };
            let target = match self.resolve(&including_dir, &word.value) {
                Target::File(path) => path,
                Target::Skip => continue,
                Target::InstallTime => {
                    if !writes_path(&self.pre_scripts, &word.value) {
                        diagnostics.push(Diagnostic::new(
                            &MISSING_INCLUDE,
                            document.file,
                            word.range,
                            format!(
                                "`{}` exists only at install time, and no `%pre` script of this kickstart writes it",
                                word.value
                            ),
                        ));
                    }
                    continue;
                }
                Target::Outside(path) => {
                    diagnostics.push(Diagnostic::new(
                        &INCLUDE_NOT_FOLLOWED,
                        document.file,
                        word.range,
                        format!(
                            "`{}` is outside the workspace ({}); kslint does not read it",
                            path.display(),
                            self.workspace.root.display()
                        ),
                    ));
                    continue;
                }
            };
            let link = IncludeLink {
                file: document.file,
                range: word.range,
                target: target.clone(),
            };
            if self.workspace.open_files.contains_key(&target) || target.is_file() {
                self.followed.links.push(link);
            }
            if let Some(position) = self.stack.iter().position(|open| *open == target) {
                let chain: Vec<String> = self.stack[position..]
                    .iter()
                    .chain(std::iter::once(&target))
                    .map(|path| file_name(path))
                    .collect();
                diagnostics.push(Diagnostic::new(
                    &INCLUDE_CYCLE,
                    document.file,
                    word.range,
                    format!("include cycle: {}", chain.join(" → ")),
                ));
                continue;
            }
            if !self.visited.insert(target.clone()) {
                continue;
            }
            if let Some(text) = self.workspace.open_files.get(&target) {
                let file = sources.add(SourceFile::new(&target, text.clone()));
                let included = parse_document(sources, file);
                self.stack.push(target);
                self.visit(sources, &included, diagnostics);
                self.stack.pop();
                self.followed.documents.push(included);
                continue;
            }
            let bytes = match std::fs::read(&target) {
                Ok(bytes) => bytes,
                Err(error) => {
                    let what = if error.kind() == std::io::ErrorKind::NotFound {
                        "does not exist".to_string()
                    } else {
                        format!("cannot be read: {error}")
                    };
                    let verb = match include.kind {
                        IncludeKind::Include => "%include",
                        IncludeKind::Ksappend => "%ksappend",
                    };
                    diagnostics.push(Diagnostic::new(
                        &MISSING_INCLUDE,
                        document.file,
                        word.range,
                        format!("{verb} file `{}` {what}", target.display()),
                    ));
                    continue;
                }
            };
            let file = sources.add(SourceFile::from_bytes(&target, &bytes));
            let included = parse_document(sources, file);
            self.stack.push(target);
            self.visit(sources, &included, diagnostics);
            self.stack.pop();
            self.followed.documents.push(included);
        }
    }

    fn resolve(&self, including_dir: &Path, written: &str) -> Target {
        if written.contains("://") || written.starts_with("nfs:") || written.starts_with("hd:") {
            return Target::Skip;
        }
        let path = Path::new(written);
        if path.is_absolute() {
            if let Some(media_root) = &self.workspace.media_root {
                for mount in MEDIA_MOUNTS {
                    if let Ok(rest) = path.strip_prefix(mount) {
                        return self.checked(normalize(&media_root.join(rest)));
                    }
                }
            }
            if INSTALL_TIME_DIRS.iter().any(|dir| path.starts_with(dir)) {
                return Target::InstallTime;
            }
            return self.checked(normalize(path));
        }
        self.checked(normalize(&including_dir.join(path)))
    }

    fn checked(&self, path: PathBuf) -> Target {
        if self.workspace.may_read(&path) {
            Target::File(path)
        } else {
            Target::Outside(path)
        }
    }
}

enum Target {
    File(PathBuf),
    InstallTime,
    Outside(PathBuf),
    Skip,
}

fn pre_script_text(sources: &SourceMap, document: &Document) -> String {
    let source = sources.get(document.file);
    document
        .sections()
        .filter(|section| {
            matches!(
                section.kind,
                SectionKind::Script(ScriptKind::Pre | ScriptKind::PreInstall)
            )
        })
        .filter_map(|section| section.body_range())
        .map(|range| source.slice(range))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Whether a line of `script` writes `path`: a redirection (`>`, `>>`) or a
/// copying command (`tee`, `cp`, `mv`, `install`, `curl -o`, `wget -O`)
/// right before it.
fn writes_path(script: &str, path: &str) -> bool {
    const WRITERS: &[&str] = &[
        "tee",
        "-a",
        "cp",
        "mv",
        "install",
        "-o",
        "-O",
        "--output",
        "--output-document",
        "ln",
    ];
    script.lines().any(|line| {
        line.match_indices(path).any(|(at, _)| {
            let after = line[at + path.len()..].chars().next();
            if after.is_some_and(|c| c.is_alphanumeric() || matches!(c, '.' | '-' | '_' | '/')) {
                return false;
            }
            let before = line[..at].trim_end_matches(['"', '\'']).trim_end();
            if before.ends_with('>') {
                return true;
            }
            let words: Vec<&str> = before.split_whitespace().collect();
            words
                .iter()
                .rev()
                .take(3)
                .any(|word| WRITERS.contains(word))
                || words
                    .first()
                    .is_some_and(|first| ["cp", "mv", "install", "ln"].contains(first))
        })
    })
}

fn absolute(path: &Path) -> PathBuf {
    let joined = if path.is_absolute() {
        path.to_path_buf()
    } else {
        std::env::current_dir().unwrap_or_default().join(path)
    };
    normalize(&joined)
}

/// Removes `.` and `..` lexically, so that `../../etc/passwd` cannot hide
/// from the workspace check.
fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            Component::ParentDir => {
                out.pop();
            }
            Component::CurDir => {}
            other => out.push(other),
        }
    }
    out
}

fn file_name(path: &Path) -> String {
    path.file_name().map_or_else(
        || path.display().to_string(),
        |name| name.to_string_lossy().into_owned(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognises_files_written_by_pre_scripts() {
        let script = "echo \"part / --size=1\" > /tmp/part-include\ncat >> '/tmp/net' <<EOF\nx\nEOF\nprintf x | tee /tmp/tee.ks\ncp /run/install/repo/ks/a.ks /tmp/a.ks\n";
        assert!(writes_path(script, "/tmp/part-include"));
        assert!(writes_path(script, "/tmp/net"));
        assert!(writes_path(script, "/tmp/tee.ks"));
        assert!(writes_path(script, "/tmp/a.ks"));
        assert!(!writes_path(script, "/tmp/part"));
        assert!(!writes_path("cat /tmp/other\n", "/tmp/other"));
    }

    #[test]
    fn normalizes_parent_components() {
        assert_eq!(
            normalize(Path::new("/w/ks/../../etc/passwd")),
            Path::new("/etc/passwd")
        );
        assert_eq!(
            normalize(Path::new("/w/./ks/a.ks")),
            Path::new("/w/ks/a.ks")
        );
    }
}
