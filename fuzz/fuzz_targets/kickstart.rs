//! Arbitrary bytes through parsing, the full analysis (every rule) and
//! every editor feature: nothing may panic, every range must lie inside its
//! file. Inputs whose first byte is odd are checked as the kickstart of the
//! example media tree, so that the package and group rules run against its
//! comps and RPMs as well. The model a one-off check builds with the plain
//! package lines read directly must equal the whole parse's whenever it is
//! given.
#![no_main]

use std::path::PathBuf;

use kslint::analysis::{analyze, CheckOptions};
use kslint::ide;
use kslint::source::{FileId, SourceFile, TextRange};
use kslint::syntax::{self, model::Document, direct_lines};
use libfuzzer_sys::fuzz_target;

fn media_kickstart() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../examples/centos7-media/build_iso/isolinux/ks/fuzz.ks")
}

fuzz_target!(|bytes: &[u8]| {
    let path = match bytes.first() {
        Some(first) if first % 2 == 1 => media_kickstart(),
        _ => PathBuf::from("/nonexistent/fuzz.ks"),
    };
    let analysis = analyze(SourceFile::from_bytes(path, bytes), &CheckOptions::default());
    let text_len = analysis.sources.get(analysis.main).text.len();
    for diagnostic in &analysis.diagnostics {
        let file = analysis.sources.get(diagnostic.location.file);
        let range = diagnostic.location.range;
        assert!(range.start <= range.end && range.end <= file.text.len());
        assert!(file.text.is_char_boundary(range.start) && file.text.is_char_boundary(range.end));
    }
    let text = &analysis.sources.get(analysis.main).text;
    if let Some(direct) = direct_lines::document_without_plain_lines(FileId(0), text) {
        let whole = Document::new(FileId(0), text, syntax::parse(text, None));
        assert_eq!(direct.items, whole.items);
    }
    let _ = ide::symbols(&analysis);
    let _ = ide::folding_ranges(&analysis);
    let _ = ide::semantic_tokens(&analysis);
    let _ = ide::fix_all(&analysis);
    for offset in [0, text_len / 3, text_len / 2, text_len] {
        let _ = ide::hover(&analysis, offset);
        let _ = ide::completions(&analysis, offset);
        let _ = ide::code_actions(&analysis, TextRange::new(0, offset));
    }
});
