//! The language server reuses the findings of unchanged sections between
//! edits (`kslint::memo`). Whatever it reuses must be exactly what a fresh
//! analysis finds: this test edits real kickstarts at random, the way typing
//! does (characters in and out, lines pasted, moved and deleted, sections
//! copied between files), and after every edit compares the analysis that
//! kept one memo through all the edits with one computed from nothing.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use kslint::analysis::{analyze, CheckOptions};
use kslint::diagnostic::Diagnostic;
use kslint::memo::Memo;
use kslint::source::SourceFile;
use proptest::prelude::RngExt;
use proptest::test_runner::{RngAlgorithm, TestRng};

const EDITS_PER_FILE: usize = 30;

fn repo_path(relative: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(relative)
}

/// A seeded generator, so that a failure names a reproducible run.
struct Rng(TestRng);

impl Rng {
    fn new(seed: u64) -> Self {
        let mut bytes = [0u8; 32];
        bytes[..8].copy_from_slice(&seed.to_le_bytes());
        Rng(TestRng::from_seed(RngAlgorithm::ChaCha, &bytes))
    }

    fn below(&mut self, bound: usize) -> usize {
        self.0.random_range(0..bound.max(1))
    }
}

/// Everything a user sees of a diagnostic, positions included.
fn shown(diagnostics: &[Diagnostic]) -> Vec<String> {
    diagnostics
        .iter()
        .map(|d| {
            format!(
                "{} {:?} {:?} {:?} {:?} {:?} {:?}",
                d.rule.code, d.severity, d.message, d.location, d.related, d.fix, d.tags
            )
        })
        .collect()
}

/// A char boundary of `text` at or before `at`.
fn boundary(text: &str, mut at: usize) -> usize {
    at = at.min(text.len());
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    at
}

fn line_starts(text: &str) -> Vec<usize> {
    std::iter::once(0)
        .chain(text.match_indices('\n').map(|(at, _)| at + 1))
        .filter(|&at| at <= text.len())
        .collect()
}

/// One random edit of `text`; `pool` holds lines of every fixture.
fn edit(rng: &mut Rng, text: &mut String, pool: &[String]) {
    const TYPED: &[&str] = &[
        "a", "x", " ", "\"", "'", "$", "{", "}", "(", ")", "#", "%", "-", "/", "\\", "|", "&", ";",
        "\n", "`", "<<", "@", "*",
    ];
    let starts = line_starts(text);
    let line = starts[rng.below(starts.len())];
    let line_end = text[line..].find('\n').map_or(text.len(), |n| line + n + 1);
    match rng.below(10) {
        0..=3 => {
            let at = boundary(text, rng.below(text.len() + 1));
            text.insert_str(at, TYPED[rng.below(TYPED.len())]);
        }
        4..=5 => {
            let start = boundary(text, rng.below(text.len() + 1));
            let end = boundary(text, start + 1 + rng.below(3));
            text.replace_range(start..end, "");
        }
        6..=7 => {
            let pasted = &pool[rng.below(pool.len())];
            text.insert_str(line, &format!("{pasted}\n"));
        }
        8 => text.replace_range(line..line_end, ""),
        _ => {
            // Move a line elsewhere, e.g. a `%end` or a `%post` header.
            let moved = text[line..line_end].to_string();
            text.replace_range(line..line_end, "");
            let starts = line_starts(text);
            let to = starts[rng.below(starts.len())];
            text.insert_str(to, &moved);
        }
    }
}

fn check_file(path: &Path, options: &CheckOptions, pool: &[String], seed: u64) {
    let mut text = std::fs::read_to_string(path).expect("read fixture");
    let memo = Arc::new(Memo::default());
    let remembering = CheckOptions {
        memo: Some(memo.clone()),
        ..options.clone()
    };
    let mut rng = Rng::new(seed);
    for step in 0..=EDITS_PER_FILE {
        if step > 0 {
            edit(&mut rng, &mut text, pool);
        }
        let fresh = analyze(SourceFile::new(path.to_path_buf(), text.clone()), options);
        let reused = analyze(
            SourceFile::new(path.to_path_buf(), text.clone()),
            &remembering,
        );
        assert_eq!(
            fresh.document.items,
            reused.document.items,
            "{} (seed {seed}), after edit {step}: the memo changed the document model",
            path.display()
        );
        let (fresh, reused) = (shown(&fresh.diagnostics), shown(&reused.diagnostics));
        if fresh != reused {
            let only_fresh: Vec<_> = fresh.iter().filter(|d| !reused.contains(d)).collect();
            let only_reused: Vec<_> = reused.iter().filter(|d| !fresh.contains(d)).collect();
            panic!(
                "{} (seed {seed}), after edit {step}: the memo changed the findings\n\
                 only fresh: {only_fresh:#?}\nonly with the memo: {only_reused:#?}\ntext:\n{text}",
                path.display()
            );
        }
    }
}

fn fixtures() -> Vec<(PathBuf, CheckOptions)> {
    let mut files = Vec::new();
    for dir in ["tests/fixtures/scripts", "tests/fixtures/valid"] {
        let mut names: Vec<PathBuf> = std::fs::read_dir(repo_path(dir))
            .expect("fixture dir")
            .map(|entry| entry.expect("dir entry").path())
            .filter(|path| path.extension().is_some_and(|e| e == "ks"))
            .collect();
        names.sort();
        files.extend(
            names
                .into_iter()
                .map(|path| (path, CheckOptions::default())),
        );
    }
    // With install media: packages checked against it, media paths looked up.
    let media_options = CheckOptions {
        media: Some(repo_path("tests/fixtures/scripts/media")),
        ..CheckOptions::default()
    };
    files.push((
        repo_path("tests/fixtures/scripts/media-missing.ks"),
        media_options,
    ));
    files.push((
        repo_path("examples/centos7-media/build_iso/isolinux/ks/ks.cfg"),
        CheckOptions::default(),
    ));
    files
}

#[test]
fn reused_findings_equal_fresh_ones_through_random_edits() {
    let files = fixtures();
    let pool: Vec<String> = files
        .iter()
        .flat_map(|(path, _)| {
            let text = std::fs::read_to_string(path).expect("read fixture");
            text.lines().map(str::to_string).collect::<Vec<_>>()
        })
        .collect();
    for (index, (path, options)) in files.iter().enumerate() {
        check_file(path, options, &pool, 0x6d65_6d6f + index as u64);
    }
}
