//! Whatever the bytes, parsing and analysis finish without a panic and every
//! diagnostic range lies inside its file on character boundaries.

use kslint::analysis::{analyze, CheckOptions};
use kslint::source::{ColumnUnit, SourceFile};
use proptest::prelude::*;

/// Fragments that exercise the grammar's corners far more often than random
/// bytes would.
const FRAGMENTS: &[&str] = &[
    "%packages",
    "%post",
    "%pre",
    "%pre-install",
    "%end",
    "%include",
    "%ksappend",
    "%addon",
    "%anaconda",
    "%certificate",
    "%traceback",
    "%onerror",
    "%frob",
    "--nochroot",
    "--interpreter=/usr/bin/python3",
    "@core",
    "@^minimal-environment",
    "-@base",
    "@mod:1/p",
    "-kernel*",
    "part",
    "rootpw",
    "lang",
    "\"",
    "'",
    "\\",
    "#",
    " ",
    "\t",
    "\n",
    "\r\n",
    "\r",
    "\u{feff}",
    "é",
    "𝄞",
    "=",
    "--size=",
    "# kslint: disable=KS0001",
    "\u{0}",
    "\u{fffd}",
];

fn kickstartish() -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(
        prop_oneof![
            prop::sample::select(FRAGMENTS).prop_map(|s| s.as_bytes().to_vec()),
            prop::collection::vec(any::<u8>(), 0..4),
        ],
        0..60,
    )
    .prop_map(|parts| parts.concat())
}

fn check_bytes(bytes: &[u8]) {
    let analysis = analyze(
        SourceFile::from_bytes("fuzz.ks", bytes),
        &CheckOptions::default(),
    );
    for diagnostic in &analysis.diagnostics {
        let file = analysis.sources.get(diagnostic.location.file);
        let range = diagnostic.location.range;
        assert!(
            range.start <= range.end && range.end <= file.text.len(),
            "{diagnostic:?}"
        );
        assert!(file.text.is_char_boundary(range.start) && file.text.is_char_boundary(range.end));
        let _ = file.position(range.end, ColumnUnit::Utf16CodeUnits);
        if let Some(fix) = &diagnostic.fix {
            for edit in &fix.edits {
                assert!(edit.range.end <= analysis.sources.get(edit.file).text.len());
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn arbitrary_bytes(bytes in prop::collection::vec(any::<u8>(), 0..400)) {
        check_bytes(&bytes);
    }

    #[test]
    fn kickstart_like_text(bytes in kickstartish()) {
        check_bytes(&bytes);
    }
}

/// Found by `cargo fuzz run kickstart`: completion at a byte offset inside
/// a multi-byte character panicked slicing the line. Every editor feature
/// that takes an offset is tried at every byte offset of a line full of
/// U+FFFD (what invalid UTF-8 decodes to).
#[test]
fn editor_features_at_offsets_inside_characters() {
    use kslint::ide;
    use kslint::source::TextRange;
    let text = b"lang en_US.UTF-8\nnetwork --onboot yes --de\x97\x97\x97vice eth0\n%packages\n@\xc3\xa9\n%end\n";
    let analysis = analyze(
        SourceFile::from_bytes("fuzz.ks", text),
        &CheckOptions::default(),
    );
    let text = &analysis.sources.get(analysis.main).text;
    assert!(text.contains('\u{fffd}'));
    for offset in 0..=text.len() + 1 {
        let _ = ide::completions(&analysis, offset);
        let _ = ide::hover(&analysis, offset);
        let _ = ide::code_actions(&analysis, TextRange::new(0, offset.min(text.len())));
    }
}

/// Found by `cargo fuzz run rpm_header`: an RPM whose i18n string entry
/// has a count of 0 made the `rpm` crate panic in a getter, after the
/// header had parsed, in the repodata generator's reader. Both readers
/// answer a package or an error.
#[test]
fn rpm_getters_that_panic_are_errors() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/fuzz/rpm-i18n-count-0.rpm");
    let error = kslint::repo::header::read_rpm(&path, "x.rpm", Some(10)).unwrap_err();
    assert!(error.contains("malformed header"), "{error}");
    let bytes = std::fs::read(&path).unwrap();
    let mut cursor = std::io::Cursor::new(&bytes[..]);
    let _ = kslint::media::rpmhdr::read_package_from(&mut cursor, bytes.len() as u64, "x.rpm");
}
