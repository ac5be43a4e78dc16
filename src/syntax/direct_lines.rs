//! Lines read without the parser. Most of a long kickstart is a package
//! list or a script, and the kickstart grammar reads both a line at a
//! time: a plain list line (`kernel-devel`, `-firewalld`, `@core`) is one
//! item, and a script body is raw text its external scanner walks one
//! character at a time up to the `%end` line. Such lines can be taken out
//! of the text the parser sees (tree-sitter's included ranges: every node
//! keeps its place in the whole file); list lines are read here into the
//! same entries the model would build from their nodes, and a script body
//! becomes the section's body range. The parser then does a small
//! fraction of the work.
//!
//! A list line is read here only when the grammar can read it one way:
//! printable ASCII, no carriage return, no group options, no module
//! stream; anything else is left to the parser. A script body is the run
//! of lines after a `%pre`, `%pre-install`, `%post`, `%onerror` or
//! `%traceback` line up to the first line whose first word ends a body for
//! the grammar's scanner (`%end` or a section keyword, after blanks).
//!
//! The result is used only when it is certain to equal the whole parse:
//! the rest of the text parses without any syntax error, every list line
//! taken out lies inside the body of a `%packages` section that is closed
//! by `%end`, and every script body taken out is exactly the missing body
//! of a closed script section. List lines are independent items of the
//! list's body and a script body is one token, so putting them back into
//! such sections changes nothing else in the tree. Otherwise the caller
//! parses the whole text.
//!
//! The language server never does this: it keeps the document's one tree
//! to re-parse it incrementally after each edit.

use tree_sitter::{Parser, Range, Tree};

use super::model::{Document, Item, PackageEntry, PackageKind, SectionBody, SectionKind};
use crate::source::{FileId, TextRange};

/// Texts shorter than this are parsed whole: there is little to gain.
pub const MIN_TEXT_BYTES: usize = 16 * 1024;

/// The lines read here: the runs of whole list lines taken out of the
/// parser's text and the entries read from them, and the script bodies
/// taken out, each in text order.
#[derive(Debug, Default)]
pub struct PlainLines {
    pub runs: Vec<TextRange>,
    pub entries: Vec<PackageEntry>,
    pub bodies: Vec<TextRange>,
}

/// Where the line scan is: what a line that does not open a section is.
enum Place {
    Commands,
    List,
    /// In a script body that began at this offset.
    Body(usize),
}

/// The plain lines inside the `%packages` lists of `text` and its script
/// bodies, as far as a scan of line starts can tell (the parse confirms
/// it, see the module docs).
pub fn plain_lines(text: &str) -> PlainLines {
    let mut found = PlainLines::default();
    let mut place = Place::Commands;
    let mut start = 0;
    while start < text.len() {
        let Some(newline) = memchr::memchr(b'\n', &text.as_bytes()[start..]) else {
            break; // the last line has no line end: left to the parser
        };
        let end = start + newline + 1;
        let line = &text[start..end - 1];
        if let Place::Body(body_start) = place {
            if !ends_body(line) {
                start = end;
                continue;
            }
            if body_start < start {
                found.bodies.push(TextRange::new(body_start, start));
            }
            place = Place::Commands;
        }
        let word = line.trim_start_matches([' ', '\t']);
        if word.starts_with('%') {
            let keyword = section_keyword(word);
            place = match (keyword, SectionKind::from_keyword(keyword)) {
                ("%include" | "%ksappend", _) => place,
                (_, SectionKind::Packages) => Place::List,
                (_, SectionKind::Script(_)) => Place::Body(end),
                _ => Place::Commands,
            };
        } else if let Place::List = place {
            if let Some(entry) = read_line(line, start) {
                found.entries.extend(entry);
                match found.runs.last_mut() {
                    Some(run) if run.end == start => run.end = end,
                    _ => found.runs.push(TextRange::new(start, end)),
                }
            }
        }
        start = end;
    }
    found
}

/// Whether the grammar's scanner ends a raw body before `line`: its first
/// word, after blanks other than a carriage return, is a terminator.
fn ends_body(line: &str) -> bool {
    let word = line.trim_start_matches([' ', '\t', '\u{c}', '\u{b}']);
    if !word.starts_with('%') {
        return false;
    }
    let word = word
        .split([' ', '\t', '\r', '\u{c}', '\u{b}'])
        .next()
        .unwrap_or("");
    // The grammar's external scanner (`grammar/src/scanner.c`) ends a raw
    // body at `%end` and at every section keyword.
    word == "%end" || super::model::SECTION_KEYWORDS.contains(&word)
}

fn section_keyword(word: &str) -> &str {
    word.split([' ', '\t', '\r', '#']).next().unwrap_or("")
}

/// The entry of one list line (without its line end) starting at byte
/// `offset`: `Some(None)` for a blank or comment line, `None` when the line
/// is not plain.
fn read_line(line: &str, offset: usize) -> Option<Option<PackageEntry>> {
    let (content, comment) = match line.find('#') {
        Some(hash) => line.split_at(hash),
        None => (line, ""),
    };
    if !comment
        .bytes()
        .all(|byte| byte == b'\t' || is_printable(byte))
    {
        return None;
    }
    let entry = content.trim_matches([' ', '\t']);
    if entry.is_empty() {
        return Some(None);
    }
    if !entry
        .bytes()
        .all(|b| b == b' ' || b == b'\t' || is_printable(b))
    {
        return None;
    }
    let entry_start = offset + (content.len() - content.trim_start_matches([' ', '\t']).len());
    let (kind, prefix) = entry_kind(entry);
    let name = &entry[prefix.len()..];
    let name_fits = match kind {
        PackageKind::Package | PackageKind::ExcludedPackage => is_package_name(name),
        _ => is_group_name(name),
    };
    if !name_fits {
        return None;
    }
    let name_start = entry_start + prefix.len();
    let name_range = TextRange::new(name_start, name_start + name.len());
    Some(Some(PackageEntry {
        range: TextRange::new(entry_start, name_range.end),
        kind,
        name: name.to_string(),
        name_range,
        stream: None,
        profile: None,
        options: Vec::new(),
    }))
}

/// The entry's kind and the marker before its name; the lexer takes the
/// longest marker.
fn entry_kind(entry: &str) -> (PackageKind, &'static str) {
    const MARKERS: [(&str, PackageKind); 5] = [
        ("-@^", PackageKind::ExcludedGroup),
        ("-@", PackageKind::ExcludedGroup),
        ("-", PackageKind::ExcludedPackage),
        ("@^", PackageKind::Environment),
        ("@", PackageKind::Group),
    ];
    MARKERS
        .iter()
        .find(|(marker, _)| entry.starts_with(marker))
        .map_or((PackageKind::Package, ""), |&(marker, kind)| (kind, marker))
}

fn is_printable(byte: u8) -> bool {
    (0x20..0x7f).contains(&byte)
}

/// A name the grammar's `package_name` token takes whole: it cannot start
/// with a marker or a blank. Inner blanks belong to the name.
fn is_package_name(name: &str) -> bool {
    name.bytes()
        .next()
        .is_some_and(|first| first.is_ascii_graphic() && !b"#@%-".contains(&first))
}

/// A group name with no options and no module stream: no `:`, and no
/// blank followed by `-` (an option). Only a letter, digit or `_` first,
/// so no other marker can be read into it.
fn is_group_name(name: &str) -> bool {
    let bytes = name.as_bytes();
    let starts_well = bytes
        .first()
        .is_some_and(|first| first.is_ascii_alphanumeric() || *first == b'_');
    let option_follows = bytes
        .windows(2)
        .any(|pair| matches!(pair[0], b' ' | b'\t') && pair[1] == b'-');
    starts_well && !name.contains(':') && !option_follows
}

/// The model of `text` with the plain lines read here and the rest parsed;
/// `None` when that is not certain to equal the whole parse (see the
/// module docs) or there is nothing to take out.
pub fn document_without_plain_lines(file: FileId, text: &str) -> Option<Document> {
    let plain = plain_lines(text);
    if plain.runs.is_empty() && plain.bodies.is_empty() {
        return None;
    }
    let taken_out = merge_by_start(plain.runs.clone(), plain.bodies.clone(), |run| run.start);
    let tree = parse_without(text, &taken_out)?;
    if tree.root_node().has_error() {
        return None;
    }
    let mut document = Document::new(file, text, tree);
    if !document.syntax_errors.is_empty() {
        return None;
    }
    // The rest of the file's tree does not describe the whole text.
    document.tree = None;
    put_back_bodies(&mut document, text, &plain.bodies)?;
    put_back(&mut document, plain)?;
    Some(document)
}

/// Makes each script body taken out the body of the section it belongs
/// to; `None` unless each is exactly the missing body of a closed script
/// section: from the line after its header to the line of its `%end`.
fn put_back_bodies(document: &mut Document, text: &str, bodies: &[TextRange]) -> Option<()> {
    let mut bodies = bodies.iter().peekable();
    for item in &mut document.items {
        let Some(&&body) = bodies.peek() else {
            break;
        };
        let Item::Section(section) = item else {
            continue;
        };
        let Some(end) = section.end else {
            continue;
        };
        if end.start < body.start {
            continue;
        }
        let after_header = line_end(text, section.header.range.start)?;
        let fits = matches!(section.kind, SectionKind::Script(_))
            && section.body == SectionBody::Text(None)
            && body.start == after_header
            && body.end == line_start(text, end.start);
        if !fits {
            return None;
        }
        section.body = SectionBody::Text(Some(body));
        bodies.next();
    }
    // Every body must have found its section.
    bodies.peek().is_none().then_some(())
}

/// The offset after the line break of the line holding `offset`.
fn line_end(text: &str, offset: usize) -> Option<usize> {
    memchr::memchr(b'\n', text.as_bytes().get(offset..)?).map(|at| offset + at + 1)
}

/// The offset where the line holding `offset` starts.
fn line_start(text: &str, offset: usize) -> usize {
    memchr::memrchr(b'\n', &text.as_bytes()[..offset]).map_or(0, |at| at + 1)
}

/// Adds the entries read here to the sections whose bodies held their
/// lines; `None` when a run is not inside a closed `%packages` body.
fn put_back(document: &mut Document, plain: PlainLines) -> Option<()> {
    let mut runs = plain.runs.iter().peekable();
    let mut entries = plain.entries.into_iter().peekable();
    for item in &mut document.items {
        let Item::Section(section) = item else {
            continue;
        };
        let (SectionKind::Packages, Some(end)) = (section.kind, section.end) else {
            continue;
        };
        let body = TextRange::new(section.header.range.end, end.start);
        let SectionBody::Packages(parsed) = &mut section.body else {
            return None;
        };
        let mut inside = Vec::new();
        while let Some(run) = runs.next_if(|run| run.start < body.end) {
            if run.start < body.start || run.end > body.end {
                return None;
            }
            while let Some(entry) = entries.next_if(|entry| entry.range.start < run.end) {
                inside.push(entry);
            }
        }
        if !inside.is_empty() {
            *parsed = merge_by_start(std::mem::take(parsed), inside, |entry| entry.range.start);
        }
    }
    // Every run must have found its section.
    runs.peek().is_none().then_some(())
}

/// Two lists ordered by `start` as one.
fn merge_by_start<T>(a: Vec<T>, b: Vec<T>, start: impl Fn(&T) -> usize) -> Vec<T> {
    let mut merged = Vec::with_capacity(a.len() + b.len());
    let mut b = b.into_iter().peekable();
    for entry in a {
        while let Some(earlier) = b.next_if(|other| start(other) < start(&entry)) {
            merged.push(earlier);
        }
        merged.push(entry);
    }
    merged.extend(b);
    merged
}

/// `text` parsed as if the `runs` were not there; nodes keep their places
/// in the whole text.
fn parse_without(text: &str, runs: &[TextRange]) -> Option<Tree> {
    let mut kept = Vec::with_capacity(runs.len() + 1);
    let mut start = 0;
    for run in runs
        .iter()
        .chain(std::iter::once(&TextRange::empty(text.len())))
    {
        if run.start > start {
            kept.push(TextRange::new(start, run.start));
        }
        start = run.end;
    }
    if kept.is_empty() {
        return None; // no ranges would mean the whole text to tree-sitter
    }
    let mut points = super::Points::new(text);
    let ranges: Vec<Range> = kept
        .iter()
        .map(|range| Range {
            start_byte: range.start,
            end_byte: range.end,
            start_point: points.at(range.start),
            end_point: points.at(range.end),
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

    /// Whether the direct reading must be given for a text with this whole
    /// model: it parses cleanly and every list and script is closed.
    fn must_be_read_directly(whole: &Document) -> bool {
        let clean =
            !whole.tree.as_ref().unwrap().root_node().has_error() && whole.syntax_errors.is_empty();
        clean
            && whole.items.iter().all(|item| match item {
                Item::Section(section) => {
                    !matches!(section.kind, SectionKind::Packages | SectionKind::Script(_))
                        || section.end.is_some()
                }
                _ => true,
            })
    }

    /// The model with plain lines read directly equals the whole parse's
    /// whenever it is given; returns whether it was.
    fn equals_the_whole_when_given(text: &str) -> bool {
        let Some(direct) = document_without_plain_lines(FILE, text) else {
            return false;
        };
        let whole = whole(text);
        assert_eq!(direct.items, whole.items, "{text:?}");
        assert_eq!(direct.syntax_errors, whole.syntax_errors, "{text:?}");
        true
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
    fn a_varied_file_gives_the_whole_model() {
        let plain = plain_lines(VARIED);
        let names: Vec<&str> = plain.entries.iter().map(|e| e.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "core",
                "server-product-environment",
                "bash",
                "kernel-*",
                "firewalld",
                "python3",
                "name with inner blanks",
                "indented-package",
                "9front",
                "zsh",
                "second-list-a",
                "second-list-b"
            ]
        );
        assert!(equals_the_whole_when_given(VARIED));
    }

    #[test]
    fn lines_of_scripts_and_commands_are_never_read() {
        for run in plain_lines(VARIED).runs {
            let before = &VARIED[..run.start];
            let header = before.rfind("%packages").expect("a list before");
            assert!(!before[header..].contains("%end"), "{run:?}");
        }
    }

    #[test]
    fn lines_the_grammar_reads_otherwise_are_left_to_the_parser() {
        let plain = plain_lines(VARIED);
        for left in ["vim-enhanced\r", "@container-tools", "%include", "# list"] {
            let at = VARIED.find(left).unwrap();
            assert!(
                !plain.runs.iter().any(|run| run.start <= at && at < run.end),
                "{left}"
            );
        }
    }

    #[test]
    fn an_unclosed_list_or_a_broken_file_is_parsed_whole() {
        for text in [
            "lang C\n%packages\na\nb\n",
            "lang C\n%packages\na\nb\n%post\necho\n%end\n",
            "lang C\n%packages\na\nb\n@\nc\nd\n%end\n%bogus\n",
            "rootpw 'open\n%packages\na\n%end\n",
        ] {
            assert!(!plain_lines(text).runs.is_empty(), "{text:?}");
            assert!(
                document_without_plain_lines(FILE, text).is_none(),
                "{text:?}"
            );
        }
    }

    #[test]
    fn a_long_list_is_read_directly_into_the_whole_model() {
        let text = long_list(2_000);
        let plain = plain_lines(&text);
        assert_eq!(plain.runs.len(), 1);
        assert_eq!(plain.entries.len(), 2_001);
        assert!(equals_the_whole_when_given(&text));
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(500))]
        /// Random files from kickstart lines of every kind, broken ones
        /// too: the direct reading equals the whole model or is refused,
        /// and a clean file whose lists and scripts are all closed is never
        /// refused.
        #[test]
        fn random_files_give_the_whole_model_or_are_parsed_whole(
            picks in proptest::collection::vec(0..LINES.len(), 1..60),
            crlf in proptest::bool::ANY,
        ) {
            let text: String = picks
                .iter()
                .map(|&i| if crlf { LINES[i].replace('\n', "\r\n") } else { LINES[i].to_string() })
                .collect();
            let given = equals_the_whole_when_given(&text);
            let plain = plain_lines(&text);
            if must_be_read_directly(&whole(&text)) && !(plain.runs.is_empty() && plain.bodies.is_empty()) {
                proptest::prop_assert!(given, "{:?}", text);
            }
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(500))]
        /// Random closed lists of list lines, the tricky ones too, between
        /// random lines of any kind: mostly clean files, so most are read
        /// directly, and each must give the whole model.
        #[test]
        fn random_lists_give_the_whole_model(
            before in proptest::collection::vec(0..LINES.len(), 0..4),
            list in proptest::collection::vec(0..LIST_LINES.len(), 1..40),
            after in proptest::collection::vec(0..LINES.len(), 0..4),
        ) {
            let mut text: String = before.iter().map(|&i| LINES[i]).collect();
            text.push_str("%packages --ignoremissing\n");
            text.extend(list.iter().map(|&i| LIST_LINES[i]));
            text.push_str("%end\n");
            text.extend(after.iter().map(|&i| LINES[i]));
            equals_the_whole_when_given(&text);
        }
    }

    #[test]
    fn script_bodies_are_taken_out_whole() {
        let text = "lang C\n%pre --interpreter=/bin/bash\necho one\n  %endx\n%end\n\
                    %post --nochroot # copy\r\ncp -r a b\r\n%include /tmp/x\r\n\t%end # done\r\n\
                    %post\n%end\nreboot\n";
        let bodies: Vec<&str> = plain_lines(text)
            .bodies
            .iter()
            .map(|body| &text[body.start..body.end])
            .collect();
        assert_eq!(
            bodies,
            ["echo one\n  %endx\n", "cp -r a b\r\n%include /tmp/x\r\n"]
        );
        assert!(equals_the_whole_when_given(text));
    }

    #[test]
    fn an_unclosed_or_misread_script_is_parsed_whole() {
        for text in [
            "%post\necho\n",
            "%post\necho\n%packages\na\n%end\n",
            "rootpw 'open\n%post\necho\n%end\n",
            "%post\necho\n\u{b}%end\n",
        ] {
            assert!(
                document_without_plain_lines(FILE, text).is_none(),
                "{text:?}"
            );
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(500))]
        /// Random scripts of tricky body lines between random lines of any
        /// kind: each must give the whole model, and a clean one whose
        /// sections are closed must be read directly.
        #[test]
        fn random_scripts_give_the_whole_model(
            before in proptest::collection::vec(0..LINES.len(), 0..4),
            header in 0..SCRIPT_HEADERS.len(),
            body in proptest::collection::vec(0..BODY_LINES.len(), 0..30),
            end in 0..SCRIPT_ENDS.len(),
            after in proptest::collection::vec(0..LINES.len(), 0..4),
        ) {
            let mut text: String = before.iter().map(|&i| LINES[i]).collect();
            text.push_str(SCRIPT_HEADERS[header]);
            text.extend(body.iter().map(|&i| BODY_LINES[i]));
            text.push_str(SCRIPT_ENDS[end]);
            text.extend(after.iter().map(|&i| LINES[i]));
            let given = equals_the_whole_when_given(&text);
            if must_be_read_directly(&whole(&text)) && !plain_lines(&text).bodies.is_empty() {
                proptest::prop_assert!(given, "{:?}", text);
            }
        }
    }

    #[test]
    fn bodies_of_every_kind_of_line_are_read_directly() {
        // The property above means little if bodies are always refused:
        // every body line under every header, before every clean end.
        let mut read = 0;
        for header in SCRIPT_HEADERS {
            for end in SCRIPT_ENDS {
                let text = format!("lang C\n{header}{}{end}reboot\n", BODY_LINES.concat());
                if must_be_read_directly(&whole(&text)) {
                    assert!(equals_the_whole_when_given(&text), "{text:?}");
                    read += 1;
                }
            }
        }
        assert!(read >= 30, "{read} files read directly");
    }

    const SCRIPT_HEADERS: &[&str] = &[
        "%post\n",
        "%post --nochroot --log=/mnt/sysimage/root/post.log\n",
        "%pre --interpreter=/usr/bin/bash\n",
        "%pre-install\n",
        "%onerror\n",
        "%traceback\n",
        "%post --erroronfail # comment\n",
        "  %post\n",
        "%post\r\n",
    ];

    /// Lines of a script body, ones that look like section lines too.
    const BODY_LINES: &[&str] = &[
        "echo hi\n",
        "  %endx\n",
        "%end\u{0}\n",
        "\r%end\n",
        "%include /tmp/x\n",
        "%ksappend /tmp/y\n",
        "%bogus\n",
        "#%end\n",
        "echo %end\n",
        "cat <<'EOF'\n",
        "EOF\n",
        "%end-of-story\n",
        "\u{e9}%end\n",
        "% end\n",
        "%END\n",
        "%Post\n",
        "\n",
        "   \n",
        "\u{c}echo\n",
        "x\r\n",
        "%pre-installx\n",
        "pkg-a\n",
        "@core\n",
        "if [ -f /x ]; then\n",
        "fi\n",
        "\"unclosed\n",
    ];

    const SCRIPT_ENDS: &[&str] = &[
        "%end\n",
        "  %end\n",
        "\t%end # done\n",
        "%end\r\n",
        "\u{b}%end\n",
        "\u{c}%end\n",
        "%packages\npkg-a\n%end\n",
        "%post\necho\n%end\n",
        "%end",
    ];

    #[test]
    fn clean_list_lines_of_every_kind_are_read_directly() {
        // The property above means little if the direct reading is always
        // refused: a list of every clean line above is read directly.
        let clean_lines: String = LIST_LINES
            .iter()
            .filter(|line| {
                let one = format!("%packages\n{line}%end\n");
                !whole(&one).tree.unwrap().root_node().has_error()
            })
            .copied()
            .collect();
        let text = format!("%packages\n{clean_lines}%end\n");
        assert!(equals_the_whole_when_given(&text), "{text}");
        let read = plain_lines(&text).entries.len();
        assert!(read >= 25, "{read} entries read directly");
    }

    /// Lines of a package list: plain ones of every kind, and ones the
    /// grammar reads otherwise (options, streams, comments, odd bytes).
    const LIST_LINES: &[&str] = &[
        "pkg-a\n",
        "pkg-b # note\n",
        "9pkg\n",
        "-excluded\n",
        "@group\n",
        "@group --optional\n",
        "@group --nodefaults # c\n",
        "@^env\n",
        "-@group\n",
        "-@^env\n",
        "@mod:1.0/default\n",
        "@mod:1.0\n",
        "\n",
        "   \n",
        "# comment\n",
        "\t# comment\n",
        "   indented\n",
        "\tindented-tab  \n",
        "name with inner blanks\n",
        "name with\tinner tab # c\n",
        "@X Window System\n",
        "@g -x\n",
        "@g a-b\n",
        "@g a -b\n",
        "@g\t-b\n",
        "pkg\t# tab\n",
        "- spaced\n",
        "--double\n",
        "*glob*\n",
        "kernel-*\n",
        "pkg#nospace\n",
        "pkg a#b\n",
        "@core#x\n",
        "perl(Foo::Bar)\n",
        "python3dist(setuptools) >= 40\n",
        "@^^x\n",
        "@@x\n",
        "-%x\n",
        "-#x\n",
        "pkg \u{e9}\n",
        "# caf\u{e9}\n",
        "pkg\u{b}\n",
        "pkg\u{c}x\n",
        "a\u{0}b\n",
        "@\t\n",
        "-\t\n",
        "pkg\r\n",
        "pkg # c\r\n",
        "%include /tmp/x\n",
        "%ksappend /tmp/y\n",
        "@_under\n",
        "@1digit\n",
        "-@\n",
        "@-x\n",
        "@:x\n",
        "@g:\n",
        "x:y\n",
        "@g x:y\n",
    ];

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
        "name with inner blanks\n",
        "-@^env\n",
        "-@grp\n",
        "@X Window System\n",
        "@grp --nodefaults\n",
        "@g -x\n",
        "@g a-b\n",
        "pkg\t# tab\n",
        "- spaced\n",
        "--double\n",
        "*glob*\n",
        "pkg#nospace\n",
        "pkg a#b\n",
        "@core#x\n",
        "  # indented comment\n",
        "\t\n",
        "perl(Foo::Bar)\n",
        "@^^x\n",
        "@@x\n",
        "-%x\n",
        "pkg \u{e9}\n",
        "# caf\u{e9}\n",
        "pkg\u{b}\n",
        "a\u{0}b\n",
        "@\t\n",
        "-\t\n",
        "%packages\n",
        "%end\n",
        "  %end\n",
        "  %packages\n",
        "pkg-c",
    ];

    #[test]
    fn diagnostics_are_the_same_with_lines_read_directly_or_parsed() {
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
                if ["%packages", "%pre", "%post"]
                    .iter()
                    .any(|s| text.contains(s))
                {
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
}
