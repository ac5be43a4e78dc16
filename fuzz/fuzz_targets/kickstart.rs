//! Arbitrary bytes through parsing, the full analysis and every editor
//! feature: nothing may panic, every range must lie inside its file.
#![no_main]

use kslint::analysis::{analyze, CheckOptions};
use kslint::ide;
use kslint::source::{SourceFile, TextRange};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|bytes: &[u8]| {
    let analysis = analyze(SourceFile::from_bytes("fuzz.ks", bytes), &CheckOptions::default());
    let text_len = analysis.sources.get(analysis.main).text.len();
    for diagnostic in &analysis.diagnostics {
        let file = analysis.sources.get(diagnostic.location.file);
        assert!(diagnostic.location.range.end <= file.text.len());
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
