//! Whatever the text, the boot configuration parsers and checks finish
//! without a panic, and every diagnostic range lies inside its file on
//! character boundaries; so do the editor features (hover, completion,
//! links, symbols, folds) at every character boundary.

use kslint::analysis::CheckOptions;
use kslint::source::SourceFile;
use proptest::prelude::*;

const FRAGMENTS: &[&str] = &[
    "label ",
    "append ",
    "kernel ",
    "initrd=",
    "menu default",
    "menu begin",
    "menu end",
    "text help",
    "endtext",
    "default ",
    "timeout ",
    "include ",
    "menuentry ",
    "submenu ",
    "linuxefi ",
    "initrdefi ",
    "search --set=root -l ",
    "set default=",
    "title ",
    "inst.ks=",
    "inst.stage2=",
    "ks=",
    "hd:",
    "cdrom:",
    "LABEL=",
    "CDLABEL=",
    "/dev/sr0",
    ":/ks.cfg",
    "\\x20",
    "\\\\x2",
    "\\040",
    "%20",
    "%%L%%",
    "@R@",
    "${",
    "$",
    "{",
    "}",
    "'",
    "\"",
    "\\",
    "#",
    ";",
    "é",
    "𝄞",
    " ",
    "\t",
    "\n",
    "\r\n",
];

fn text_strategy() -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop_oneof![
            4 => prop::sample::select(FRAGMENTS).prop_map(str::to_string),
            1 => "[a-zA-Z0-9 ./=:-]{0,6}",
        ],
        0..60,
    )
    .prop_map(|parts| parts.concat())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn boot_checks_never_panic(text in text_strategy(), name in prop::sample::select(&["isolinux.cfg", "grub.cfg", "grub.conf"][..])) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("isolinux").join(name);
        let analysis = kslint::boot::analyze(SourceFile::new(path, text), &CheckOptions::default());
        let main = analysis.sources.get(analysis.main);
        let inside = |range: kslint::source::TextRange| {
            range.start <= range.end
                && range.end <= main.text.len()
                && main.text.is_char_boundary(range.start)
                && main.text.is_char_boundary(range.end)
        };
        for offset in (0..=main.text.len()).filter(|&at| main.text.is_char_boundary(at)) {
            if let Some(hover) = kslint::ide::hover(&analysis, offset) {
                prop_assert!(inside(hover.range));
            }
            for item in kslint::ide::completions(&analysis, offset) {
                prop_assert!(inside(item.replace));
            }
            if let Some(link) = kslint::ide::definition(&analysis, offset) {
                prop_assert!(inside(link.range));
            }
        }
        for link in kslint::ide::document_links(&analysis) {
            prop_assert!(inside(link.range));
        }
        for symbol in kslint::ide::symbols(&analysis) {
            prop_assert!(inside(symbol.range) && inside(symbol.selection));
        }
        let _ = kslint::ide::folding_ranges(&analysis);
        for diagnostic in &analysis.diagnostics {
            let file = analysis.sources.get(diagnostic.location.file);
            let range = diagnostic.location.range;
            prop_assert!(range.start <= range.end && range.end <= file.text.len());
            prop_assert!(file.text.is_char_boundary(range.start) && file.text.is_char_boundary(range.end));
            if let Some(fix) = &diagnostic.fix {
                for edit in &fix.edits {
                    let file = analysis.sources.get(edit.file);
                    prop_assert!(edit.range.end <= file.text.len());
                    prop_assert!(file.text.is_char_boundary(edit.range.start) && file.text.is_char_boundary(edit.range.end));
                }
            }
        }
    }
}
