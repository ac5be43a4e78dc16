//! Applying the fixes diagnostics carry (`kslint check --fix`, `--diff`).
//!
//! A fix is applied whole or not at all. In one pass the fixes of a file are
//! taken in position order and a fix whose edits overlap an edit already
//! taken is left for the next pass, when the file has been analysed again
//! and the fix (if still wanted) has been recomputed against the new text.
//! Only fixes whose every edit lies in the file itself are applied: an edit
//! in an included file, or in a file read from inside an image, is never
//! written through another file's check.

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::diagnostic::{Applicability, Diagnostic, Fix, TextEdit};
use crate::source::FileId;

/// How many analyse-and-fix rounds a file gets before kslint gives up on
/// fixes that keep producing new fixes.
pub const MAX_PASSES: usize = 10;

/// Which fixes to apply.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FixMode {
    /// Only [`Applicability::Safe`] fixes.
    Safe,
    /// Safe and [`Applicability::Unsafe`] fixes.
    Unsafe,
}

impl FixMode {
    pub fn allows(self, applicability: Applicability) -> bool {
        match self {
            FixMode::Safe => applicability == Applicability::Safe,
            FixMode::Unsafe => true,
        }
    }
}

/// One fix that was applied.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Applied {
    pub code: &'static str,
    pub title: String,
}

/// The result of one pass over a file.
#[derive(Debug, PartialEq, Eq)]
pub struct Pass {
    pub text: String,
    pub applied: Vec<Applied>,
    /// Fixes left out because they overlapped one taken before them.
    pub conflicts: usize,
}

/// Applies the eligible fixes of `diagnostics` to `text` (the text of
/// `file`). `None` when nothing could be applied.
pub fn apply_pass(
    text: &str,
    file: FileId,
    diagnostics: &[Diagnostic],
    mode: FixMode,
) -> Option<Pass> {
    let mut candidates: Vec<(&Diagnostic, &Fix)> = diagnostics
        .iter()
        .filter_map(|diagnostic| Some((diagnostic, diagnostic.fix.as_ref()?)))
        .filter(|(_, fix)| mode.allows(fix.applicability) && is_applicable(text, file, fix))
        .collect();
    candidates.sort_by_key(|(_, fix)| {
        let first = fix.edits.iter().map(|edit| edit.range.start).min();
        (first, fix.title.clone())
    });
    let mut taken: Vec<&TextEdit> = Vec::new();
    let mut applied = Vec::new();
    let mut conflicts = 0;
    for (diagnostic, fix) in candidates {
        let clashes = fix
            .edits
            .iter()
            .any(|edit| taken.iter().any(|other| conflict(edit, other)));
        if clashes {
            // The same fix twice (two diagnostics, one remedy) is no conflict.
            let duplicate = fix.edits.iter().all(|edit| taken.contains(&edit));
            if !duplicate {
                conflicts += 1;
            }
            continue;
        }
        taken.extend(&fix.edits);
        applied.push(Applied {
            code: diagnostic.rule.code,
            title: fix.title.clone(),
        });
    }
    if applied.is_empty() {
        return None;
    }
    taken.sort_by_key(|edit| (edit.range.start, edit.range.end));
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    for edit in taken {
        out.push_str(&text[at..edit.range.start]);
        out.push_str(&edit.replacement);
        at = edit.range.end;
    }
    out.push_str(&text[at..]);
    if out == text {
        return None;
    }
    Some(Pass {
        text: out,
        applied,
        conflicts,
    })
}

/// Every edit is in `file`, inside the text, on character boundaries, and
/// the fix's own edits do not overlap.
fn is_applicable(text: &str, file: FileId, fix: &Fix) -> bool {
    if fix.edits.is_empty() {
        return false;
    }
    let in_bounds = fix.edits.iter().all(|edit| {
        edit.file == file
            && edit.range.start <= edit.range.end
            && edit.range.end <= text.len()
            && text.is_char_boundary(edit.range.start)
            && text.is_char_boundary(edit.range.end)
    });
    in_bounds
        && fix.edits.iter().enumerate().all(|(i, edit)| {
            fix.edits[i + 1..]
                .iter()
                .all(|other| !conflict(edit, other))
        })
}

/// Two edits conflict when their ranges overlap, or when both insert at the
/// same point (the order of the insertions would be a guess).
fn conflict(a: &TextEdit, b: &TextEdit) -> bool {
    let (a, b) = (a.range, b.range);
    if a.start == a.end && b.start == b.end {
        return a.start == b.start;
    }
    a.start < b.end && b.start < a.end
}

/// A unified diff of `before` → `after` for `path` (`--- a/path`, `+++ b/path`).
pub fn unified_diff(path: &str, before: &str, after: &str) -> String {
    similar::TextDiff::from_lines(before, after)
        .unified_diff()
        .context_radius(3)
        .header(&format!("a/{path}"), &format!("b/{path}"))
        .to_string()
}

/// Replaces the file at `path` with `contents` without a moment in which it
/// is half written: the bytes go to a temporary file next to it (with the
/// same permissions), which is then renamed over it. A symbolic link is
/// followed, so the file it points to is replaced and the link kept.
pub fn write_atomically(path: &Path, contents: &[u8]) -> std::io::Result<()> {
    let target = std::fs::canonicalize(path)?;
    let permissions = std::fs::metadata(&target)?.permissions();
    let dir = target
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."));
    let name = target
        .file_name()
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut attempt = 0u32;
    let (temp, mut file) = loop {
        let temp = dir.join(format!(
            ".{name}.kslint-{}-{attempt}.tmp",
            std::process::id()
        ));
        match std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&temp)
        {
            Ok(file) => break (temp, file),
            Err(error) if error.kind() == std::io::ErrorKind::AlreadyExists && attempt < 100 => {
                attempt += 1;
            }
            Err(error) => return Err(error),
        }
    };
    let written = file
        .write_all(contents)
        .and_then(|()| file.set_permissions(permissions))
        .and_then(|()| file.sync_all());
    drop(file);
    let result = written.and_then(|()| std::fs::rename(&temp, &target));
    if result.is_err() {
        let _ = std::fs::remove_file(&temp);
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnostic::{fix, Diagnostic};
    use crate::source::TextRange;

    fn diagnostic(fix: Fix) -> Diagnostic {
        Diagnostic::new(
            &crate::suppress::UNUSED_SUPPRESSION,
            FileId(0),
            TextRange { start: 0, end: 0 },
            "test".into(),
        )
        .with_fix(fix)
    }

    fn edit(start: usize, end: usize, text: &str) -> Fix {
        fix(
            format!("edit {start}..{end}"),
            Applicability::Safe,
            FileId(0),
            TextRange { start, end },
            text,
        )
    }

    #[test]
    fn applies_disjoint_fixes_in_one_pass() {
        let text = "abcdef";
        let fixes = [
            diagnostic(edit(4, 6, "EF")),
            diagnostic(edit(0, 1, "A")),
            diagnostic(edit(2, 2, "-")),
        ];
        let pass = apply_pass(text, FileId(0), &fixes, FixMode::Safe).unwrap();
        assert_eq!(pass.text, "Ab-cdEF");
        assert_eq!(pass.applied.len(), 3);
        assert_eq!(pass.conflicts, 0);
    }

    #[test]
    fn overlapping_fix_waits_for_the_next_pass() {
        let text = "abcdef";
        let fixes = [diagnostic(edit(1, 4, "X")), diagnostic(edit(3, 5, "Y"))];
        let pass = apply_pass(text, FileId(0), &fixes, FixMode::Safe).unwrap();
        assert_eq!(pass.text, "aXef");
        assert_eq!(pass.conflicts, 1);
        // Two insertions at one point: only the first is taken.
        let fixes = [diagnostic(edit(2, 2, "1")), diagnostic(edit(2, 2, "2"))];
        let pass = apply_pass(text, FileId(0), &fixes, FixMode::Safe).unwrap();
        assert_eq!(pass.conflicts, 1);
        assert_eq!(pass.applied.len(), 1);
        // The same edit from two diagnostics is applied once, no conflict.
        let fixes = [diagnostic(edit(0, 1, "A")), diagnostic(edit(0, 1, "A"))];
        let pass = apply_pass(text, FileId(0), &fixes, FixMode::Safe).unwrap();
        assert_eq!((pass.text.as_str(), pass.conflicts), ("Abcdef", 0));
    }

    #[test]
    fn unsafe_fixes_only_when_asked() {
        let mut unsafe_fix = edit(0, 1, "A");
        unsafe_fix.applicability = Applicability::Unsafe;
        let fixes = [diagnostic(unsafe_fix)];
        assert_eq!(apply_pass("abc", FileId(0), &fixes, FixMode::Safe), None);
        let pass = apply_pass("abc", FileId(0), &fixes, FixMode::Unsafe).unwrap();
        assert_eq!(pass.text, "Abc");
    }

    #[test]
    fn never_applies_edits_outside_the_file_or_text() {
        let mut other_file = edit(0, 1, "A");
        other_file.edits[0].file = FileId(1);
        let fixes = [
            diagnostic(other_file),
            diagnostic(edit(2, 9, "x")),
            // Inside the two bytes of `é`.
            diagnostic(edit(4, 4, "x")),
        ];
        assert_eq!(apply_pass("abcé", FileId(0), &fixes, FixMode::Unsafe), None);
    }

    #[test]
    fn diff_has_headers_and_hunks() {
        let diff = unified_diff("ks.cfg", "a\nb\nc\n", "a\nB\nc\n");
        assert!(diff.starts_with("--- a/ks.cfg\n+++ b/ks.cfg\n@@ -1,3 +1,3 @@\n"));
        assert!(diff.contains("-b\n+B\n"));
    }

    #[test]
    fn atomic_write_keeps_permissions_and_links() {
        use std::os::unix::fs::PermissionsExt;
        let dir = std::env::temp_dir().join(format!("kslint-fix-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let real = dir.join("real.ks");
        std::fs::write(&real, "old\n").unwrap();
        std::fs::set_permissions(&real, std::fs::Permissions::from_mode(0o640)).unwrap();
        let link = dir.join("link.ks");
        let _ = std::fs::remove_file(&link);
        std::os::unix::fs::symlink(&real, &link).unwrap();
        write_atomically(&link, b"new\n").unwrap();
        assert_eq!(std::fs::read_to_string(&real).unwrap(), "new\n");
        assert!(std::fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink());
        let mode = std::fs::metadata(&real).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o640);
        let leftovers: Vec<_> = std::fs::read_dir(&dir)
            .unwrap()
            .filter_map(Result::ok)
            .filter(|entry| entry.file_name().to_string_lossy().ends_with(".tmp"))
            .collect();
        assert!(leftovers.is_empty());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
