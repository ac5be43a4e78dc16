//! A long kickstart parsed in two pieces on two threads. Most of a long
//! kickstart is one `%packages` list, and its lines are independent of each
//! other: the grammar reads each entry line on its own. So the file is cut
//! at a line start inside that list. The first piece is the text up to the
//! cut (the list is then an open section at the end of the input). The
//! second piece is the list's header line followed by the text from the
//! cut on, parsed with tree-sitter's included ranges so that every node
//! keeps its place in the whole file. The two models are then joined.
//!
//! Only a clean result is used: when either piece has a syntax error, or
//! the pieces do not meet in one `%packages` section as expected, the caller
//! parses the whole text instead (error recovery depends on context, and
//! the syntax rules want the whole tree's view of errors).
//!
//! The language server never cuts: it keeps the document's one tree to
//! re-parse it incrementally after each edit.

use tree_sitter::{Parser, Range, Tree};

use super::model::{Document, Item, Section, SectionBody, SectionKind};
use crate::source::{FileId, TextRange};

/// Texts shorter than this are parsed whole, without looking for a cut.
pub const SPLIT_PARSE_BYTES: usize = 16 * 1024;

/// A list shorter than this many package lines is parsed whole: a second
/// thread costs more than parsing half of it (about half a millisecond).
pub const MIN_LIST_LINES: usize = 1_000;

/// Where to cut: the `%packages` header line (with its line end) that the
/// second piece starts with, and the line start where the first piece ends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Cut {
    pub header: TextRange,
    pub at: usize,
}

/// One of the lines where a cut may be made, when there are at least
/// `min_lines` of them. Package lines are most of the parser's work (a
/// script body is one token), so they measure it. The first piece gets two
/// fifths of them: its thread goes on alone with the checks afterwards,
/// which for a long list take about a fifth of the time its parse and model
/// do.
pub fn find_cut(text: &str, min_lines: usize) -> Option<Cut> {
    let all: Vec<Cut> = cuts(text).collect();
    if all.len() < min_lines.max(1) {
        return None;
    }
    all.get(all.len() * 2 / 5).copied()
}

/// Every line start inside a `%packages` list where a cut may be made, in
/// order: lines after a `%packages` header whose first character can only
/// begin a package name. A line beginning with `%` other than `%include`
/// or `%ksappend` ends the list (as `%end` or the next section does).
pub fn cuts(text: &str) -> impl Iterator<Item = Cut> + '_ {
    let mut header: Option<TextRange> = None;
    let mut start = 0;
    std::iter::from_fn(move || {
        while start < text.len() {
            let end = text[start..]
                .find('\n')
                .map_or(text.len(), |newline| start + newline + 1);
            let line = &text[start..end];
            let line_start = start;
            start = end;
            let word = line.trim_start_matches([' ', '\t']);
            if word.starts_with('%') {
                let keyword = word
                    .split([' ', '\t', '\r', '\n', '#'])
                    .next()
                    .unwrap_or("");
                header = match keyword {
                    "%packages" => Some(TextRange::new(line_start, end)),
                    "%include" | "%ksappend" => header,
                    _ => None,
                };
                continue;
            }
            let first = line.bytes().next().unwrap_or(b'\n');
            if let Some(header) = header.filter(|_| first.is_ascii_alphanumeric()) {
                return Some(Cut {
                    header,
                    at: line_start,
                });
            }
        }
        None
    })
}

/// The model of `text` parsed in two pieces at `cut`, on two threads;
/// `None` when the pieces do not give a clean join (see the module docs).
pub fn document_in_pieces(file: FileId, text: &str, cut: Cut) -> Option<Document> {
    let piece =
        |ranges: &[TextRange]| clean(Document::new(file, text, parse_ranges(text, ranges)?));
    let (first, second) = std::thread::scope(|scope| {
        // No thread to be had (a process limit): the caller parses whole.
        let second = std::thread::Builder::new()
            .spawn_scoped(scope, || {
                piece(&[cut.header, TextRange::new(cut.at, text.len())])
            })
            .ok()?;
        let first = piece(&[TextRange::new(0, cut.at)]);
        let second = second
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        Some((first, second))
    })?;
    join(first?, second?, cut)
}

/// The document when its tree has no syntax error, without the tree:
/// the joined model has none, and the piece's own thread frees it.
fn clean(mut document: Document) -> Option<Document> {
    let tree = document.tree.take()?;
    (!tree.root_node().has_error() && document.syntax_errors.is_empty()).then_some(document)
}

/// One model from the two pieces' models: the first ends with the open
/// `%packages` section, the second starts with the same section.
fn join(first: Document, second: Document, cut: Cut) -> Option<Document> {
    let mut items = first.items;
    let Some(Item::Section(head)) = items.pop() else {
        return None;
    };
    let mut rest = second.items.into_iter();
    let Some(Item::Section(tail)) = rest.next() else {
        return None;
    };
    let joined = join_sections(head, tail, cut)?;
    items.push(Item::Section(joined));
    items.extend(rest);
    Some(Document {
        file: first.file,
        tree: None,
        items,
        syntax_errors: Vec::new(),
    })
}

fn join_sections(head: Section, tail: Section, cut: Cut) -> Option<Section> {
    let both_packages = head.kind == SectionKind::Packages && tail.kind == SectionKind::Packages;
    let same_header = head.header == tail.header && head.range.start == cut.header.start;
    if !both_packages || !same_header || head.end.is_some() || head.range.end > cut.at {
        return None;
    }
    let (SectionBody::Packages(mut entries), SectionBody::Packages(more)) = (head.body, tail.body)
    else {
        return None;
    };
    if more.first().is_some_and(|entry| entry.range.start < cut.at) {
        return None;
    }
    entries.extend(more);
    Some(Section {
        range: TextRange::new(head.range.start, tail.range.end),
        kind: SectionKind::Packages,
        header: head.header,
        body: SectionBody::Packages(entries),
        end: tail.end,
    })
}

/// `text` parsed as if only `ranges` of it existed; nodes keep their
/// places in the whole text.
fn parse_ranges(text: &str, ranges: &[TextRange]) -> Option<Tree> {
    let ranges: Vec<Range> = ranges
        .iter()
        .map(|range| Range {
            start_byte: range.start,
            end_byte: range.end,
            start_point: super::point_at(text, range.start),
            end_point: super::point_at(text, range.end),
        })
        .collect();
    let mut parser = Parser::new();
    parser
        .set_language(&tree_sitter_kickstart::LANGUAGE.into())
        .ok()?;
    parser.set_included_ranges(&ranges).ok()?;
    parser.parse(text, None)
}

#[cfg(test)]
mod tests {
    use super::*;

    const FILE: FileId = FileId(0);

    fn whole(text: &str) -> Document {
        Document::new(FILE, text, crate::syntax::parse(text, None))
    }

    fn long_list(lines: usize) -> String {
        let mut text =
            String::from("#version=RHEL9\nlang en_US.UTF-8\n%packages --ignoremissing\n@core\n");
        for i in 0..lines {
            text.push_str(&format!("package-{i}\n"));
        }
        text.push_str("%end\n%post\necho done\n%end\n");
        text
    }

    /// Every cut of `text` either joins into exactly the whole model or is
    /// refused; returns how many joined.
    fn every_cut_equals_the_whole(text: &str) -> usize {
        let whole = whole(text);
        let mut joined = 0;
        for cut in cuts(text) {
            if let Some(pieces) = document_in_pieces(FILE, text, cut) {
                assert_eq!(pieces.items, whole.items, "cut {cut:?} of {text:?}");
                assert_eq!(pieces.syntax_errors, whole.syntax_errors, "cut {cut:?}");
                joined += 1;
            }
        }
        joined
    }

    const VARIED: &str = "#version=RHEL9\r\n\
        lang en_US.UTF-8\n\
        %pre --interpreter=/bin/bash\n\
        echo \"%packages\" > /tmp/x\n\
        package-looking-line\n\
        %end\n\
        network --bootproto=dhcp\n\
        %packages --ignoremissing --excludedocs # list\n\
        @core\n\
        @^server-product-environment\n\
        bash\n\
        kernel-*  # globbed\n\
        \n\
        # comment\n\
        vim-enhanced\r\n\
        -firewalld\n\
        %include /tmp/more\n\
        python3\n\
        @container-tools:rhel8/common\n\
        name with inner blanks\n\
        \t  indented-package\n\
        9front\n\
        zsh\n\
        %end\n\
        %post --nochroot\n\
        cp -r /run/install/repo/x /mnt/sysimage/root/\n\
        %end\n\
        %packages\n\
        second-list-a\n\
        second-list-b\n\
        %end\n\
        reboot\n";

    #[test]
    fn every_cut_of_a_varied_file_joins_into_the_whole_model() {
        let expected_cuts = 9;
        assert_eq!(cuts(VARIED).count(), expected_cuts);
        assert_eq!(every_cut_equals_the_whole(VARIED), expected_cuts);
    }

    #[test]
    fn no_cut_inside_a_script_or_before_a_list() {
        for cut in cuts(VARIED) {
            let before = &VARIED[..cut.at];
            let header_line = &VARIED[cut.header.start..cut.header.end];
            assert!(header_line.starts_with("%packages"), "{cut:?}");
            let section = &before[cut.header.start..];
            assert!(!section.contains("%end"), "{cut:?}");
        }
    }

    #[test]
    fn an_unclosed_list_and_a_list_at_the_end_join_too() {
        let text = "lang C\n%packages\na\nb\nc\nd\n";
        assert_eq!(every_cut_equals_the_whole(text), 4);
        let text = "lang C\n%packages\na\nb\nc\nd";
        assert_eq!(every_cut_equals_the_whole(text), 4);
    }

    #[test]
    fn a_file_with_a_syntax_error_is_never_joined() {
        // The model of a broken file depends on error recovery over the
        // whole text: the caller parses it whole.
        let text = "lang C\n%packages\na\nb\n@\nc\nd\n%end\n%bogus\n";
        assert!(
            !whole(text).syntax_errors.is_empty()
                || whole(text).tree.unwrap().root_node().has_error()
        );
        for cut in cuts(text) {
            assert!(document_in_pieces(FILE, text, cut).is_none(), "{cut:?}");
        }
    }

    #[test]
    fn two_fifths_of_the_package_lines_go_first_when_there_are_enough() {
        let text = long_list(10);
        assert_eq!(find_cut(&text, 11), None);
        let cut = find_cut(&text, 10).unwrap();
        assert!(
            text[cut.at..].starts_with("package-4\n"),
            "{}",
            &text[cut.at..]
        );
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(300))]
        /// Random files from kickstart lines of every kind, broken ones
        /// too: every cut either joins into the whole model or is refused.
        #[test]
        fn random_files_join_into_the_whole_model_or_not_at_all(
            picks in proptest::collection::vec(0..LINES.len(), 1..60),
            crlf in proptest::bool::ANY,
        ) {
            let text: String = picks
                .iter()
                .map(|&i| if crlf { LINES[i].replace('\n', "\r\n") } else { LINES[i].to_string() })
                .collect();
            let joined = every_cut_equals_the_whole(&text);
            // A file the grammar reads without error is cut anywhere.
            let clean = !whole(&text).tree.unwrap().root_node().has_error();
            if clean {
                proptest::prop_assert_eq!(joined, cuts(&text).count(), "{:?}", text);
            }
        }
    }

    const LINES: &[&str] = &[
        "%packages\n",
        "%packages --nocore # c\n",
        "%end\n",
        "%post\n",
        "%pre --interpreter=/usr/bin/python3\n",
        "%addon com_redhat_kdump --enable\n",
        "%bogus\n",
        "%include /tmp/x\n",
        "%ksappend /tmp/y\n",
        "pkg-a\n",
        "pkg-b # note\n",
        "9pkg\n",
        "-excluded\n",
        "@group --optional\n",
        "@^env\n",
        "-@group\n",
        "@mod:1.0/default\n",
        "\n",
        "# comment\n",
        "   indented\n",
        "lang en_US\n",
        "network --device=\"eth0\n",
        "rootpw 'unclosed\n",
        "echo \"%end\"\n",
        "\u{feff}bom-in-the-middle\n",
        "trailing-backslash \\\n",
        "@\n",
        "-\n",
    ];

    #[test]
    fn diagnostics_are_the_same_cut_or_whole() {
        use crate::analysis::{analyze, CheckOptions};
        use crate::source::SourceFile;
        use crate::syntax::test_split;
        let diagnostics = |text: &str, mode| {
            test_split::MODE.set(mode);
            let analysis = analyze(
                SourceFile::new(std::path::Path::new("/t/ks.cfg"), text),
                &CheckOptions::default(),
            );
            test_split::MODE.set(test_split::BY_SIZE);
            format!("{:?}", analysis.diagnostics)
        };
        let mut texts = vec![VARIED.to_string(), long_list(50)];
        for entry in walk(std::path::Path::new(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures"
        ))) {
            if let Ok(text) = std::fs::read_to_string(&entry) {
                if text.contains("%packages") {
                    texts.push(text);
                }
            }
        }
        assert!(texts.len() > 20, "{} fixtures", texts.len());
        for text in &texts {
            let whole = diagnostics(text, test_split::NEVER);
            assert_eq!(diagnostics(text, test_split::ALWAYS), whole, "{text}");
        }
    }

    fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
        let mut found = Vec::new();
        for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                found.extend(walk(&path));
            } else {
                found.push(path);
            }
        }
        found
    }

    #[test]
    fn a_long_list_is_cut_and_joined_into_the_whole_model() {
        let text = long_list(2_000);
        let cut = find_cut(&text, MIN_LIST_LINES).expect("a cut in the list");
        assert!(text[cut.at..].starts_with("package-"), "{cut:?}");
        let pieces = document_in_pieces(FILE, &text, cut).expect("a clean join");
        let whole = whole(&text);
        assert_eq!(pieces.items, whole.items);
        assert_eq!(pieces.syntax_errors, whole.syntax_errors);
    }
}
