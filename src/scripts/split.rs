//! Where a long shell body can be cut in two so that the halves parse on
//! two threads and together give the tree of the whole.
//!
//! A cut is only offered at the start of a line where a cheap scan is sure
//! the script is between two top-level statements: no open quote, heredoc,
//! bracket, `if`/`case`/loop, line continuation or trailing `|`, `&&`,
//! `||`. The scan errs towards "not at top level" (a `}` in a string makes
//! the rest of the body look nested, and no cut is offered there). Where it
//! cannot follow the text (a bracket closed that was never opened, a
//! heredoc delimiter it cannot read) it stops, keeping only the cuts before.
//! The caller still parses the whole body when either half has a syntax
//! error, which a cut inside a construct leaves.

/// The offset in `body` of the line start closest to its middle at which
/// the body can be cut into two scripts, if any.
pub fn split_point(body: &str) -> Option<usize> {
    let middle = body.len() / 2;
    // The closest cut is the last one before the middle or the first
    // after it: the scan can stop there.
    top_level_line_starts_until(body, middle)
        .into_iter()
        .filter(|&at| at > 0 && at < body.len())
        .min_by_key(|&at| at.abs_diff(middle))
}

/// What the scan knows at a point of the text.
#[derive(Default)]
struct Scan {
    /// Open `(`, `{` and `[` outside single quotes and comments.
    brackets: i64,
    /// Open `if`, `case`, `for`, `while`, `until` and `select`.
    blocks: i64,
    /// For every open `case`, the `brackets` outside it: there a `)` ends
    /// a pattern (`a|b)`), it closes no bracket.
    cases: Vec<i64>,
    double_quoted: bool,
    single_quoted: bool,
    /// The single-quoted string is a `$'…'` one, where `\'` does not end it.
    ansi_c: bool,
    backquoted: bool,
    /// Heredocs whose bodies are still to come, in the order they follow.
    heredocs: Vec<PendingHeredoc>,
}

/// A heredoc operator read on the current line.
struct PendingHeredoc {
    /// The operator and its word (`<<-'EOF'`).
    operator: std::ops::Range<usize>,
    /// The delimiter word with its quotes removed.
    delimiter: String,
    /// `<<-`: tabs before the delimiter line are stripped.
    strip_tabs: bool,
    /// No part of the delimiter is quoted: bash expands the body when the
    /// command runs.
    expands: bool,
    /// The operator is inside brackets, maybe a `$(…)`: there a line
    /// starting with the delimiter and a `)` ends the body too.
    in_brackets: bool,
}

/// A heredoc body as the text scan finds it, with offsets in the scanned
/// text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HeredocBody {
    /// From the line after the operator up to the delimiter line, or to
    /// the end of the text when no delimiter line comes.
    pub range: std::ops::Range<usize>,
    /// The operator and its word, `<<-'EOF'`.
    pub operator: std::ops::Range<usize>,
    /// The line that ends the body, quotes removed (`EOF`).
    pub delimiter: String,
    /// `<<-`: tabs before the delimiter line are stripped.
    pub strip_tabs: bool,
    /// Whether bash expands the body (an unquoted delimiter).
    pub expands: bool,
    /// Whether a delimiter line ends the body before the text does.
    pub terminated: bool,
}

impl HeredocBody {
    fn of(heredoc: PendingHeredoc, range: std::ops::Range<usize>, terminated: bool) -> Self {
        HeredocBody {
            range,
            operator: heredoc.operator,
            delimiter: heredoc.delimiter,
            strip_tabs: heredoc.strip_tabs,
            expands: heredoc.expands,
            terminated,
        }
    }
}

impl Scan {
    /// Counts a word that may open or close a compound command.
    fn keyword(&mut self, word: &str) {
        self.blocks += keyword_nesting(word);
        match word {
            "case" => self.cases.push(self.brackets),
            "esac" => {
                self.cases.pop();
            }
            _ => {}
        }
    }

    fn at_top_level(&self) -> bool {
        self.brackets == 0
            && self.blocks == 0
            && !self.double_quoted
            && !self.single_quoted
            && !self.backquoted
            && self.heredocs.is_empty()
    }
}

/// Offsets of line starts that begin a top-level statement, as far as the
/// scan can follow the text.
#[cfg(test)]
pub(crate) fn top_level_line_starts(body: &str) -> Vec<usize> {
    top_level_line_starts_until(body, body.len())
}

/// [`top_level_line_starts`] up to the first one at or after `limit`.
fn top_level_line_starts_until(body: &str, limit: usize) -> Vec<usize> {
    let mut found = Vec::new();
    scan_body(
        body,
        |at| {
            found.push(at);
            at < limit
        },
        |_| {},
    );
    found
}

/// The heredoc bodies of `body`, in order, as far as the scan can follow
/// the text. Unlike tree-sitter-bash, the scan never reads inside a body,
/// so a body that derails the parser (`${x`, an unclosed `$(`) is still
/// found here.
pub fn heredoc_bodies(body: &str) -> Vec<HeredocBody> {
    let mut found = Vec::new();
    scan_body(body, |_| true, |heredoc| found.push(heredoc));
    found
}

/// Scans `body` line by line, calling `top_level` with every line start
/// that begins a top-level statement (it returns whether to go on) and
/// `heredoc` with every heredoc body; stops where the scan cannot follow.
fn scan_body(
    body: &str,
    mut top_level: impl FnMut(usize) -> bool,
    mut heredoc: impl FnMut(HeredocBody),
) {
    let mut scan = Scan::default();
    let mut lines = LineStarts::new(body);
    loop {
        let line_start = lines.offset();
        let Some(line) = lines.next() else {
            break;
        };
        let Some(continues) = scan_line(line, line_start, &mut scan) else {
            break;
        };
        if !scan.heredocs.is_empty() && !skip_heredoc_bodies(&mut lines, &mut scan, &mut heredoc) {
            break;
        }
        if scan.brackets < 0 || scan.blocks < 0 {
            break;
        }
        let next = lines.offset();
        if !continues && scan.at_top_level() && next < body.len() && !top_level(next) {
            break;
        }
    }
}

/// The lines of a text (each without its `\n`), and where the next starts.
struct LineStarts<'a> {
    text: &'a str,
    at: usize,
}

impl<'a> LineStarts<'a> {
    fn new(text: &'a str) -> Self {
        LineStarts { text, at: 0 }
    }

    /// Where the next line starts.
    fn offset(&self) -> usize {
        self.at
    }

    fn next(&mut self) -> Option<&'a str> {
        if self.at >= self.text.len() {
            return None;
        }
        let start = self.at;
        let rest = &self.text[start..];
        let (line, advance) = match memchr::memchr(b'\n', rest.as_bytes()) {
            Some(newline) => (&rest[..newline], newline + 1),
            None => (rest, rest.len()),
        };
        self.at += advance;
        Some(line)
    }
}

/// Skips the heredoc bodies that follow a line, each up to its delimiter
/// line, handing each to `found`; `false` when the text ends first.
fn skip_heredoc_bodies(
    lines: &mut LineStarts,
    scan: &mut Scan,
    found: &mut impl FnMut(HeredocBody),
) -> bool {
    for heredoc in std::mem::take(&mut scan.heredocs) {
        let start = lines.offset();
        loop {
            let end = lines.offset();
            let Some(line) = lines.next() else {
                found(HeredocBody::of(heredoc, start..end, false));
                return false;
            };
            let line = if heredoc.strip_tabs {
                line.trim_start_matches('\t')
            } else {
                line
            };
            let closes_substitution = heredoc.in_brackets
                && line
                    .strip_prefix(heredoc.delimiter.as_str())
                    .is_some_and(|rest| rest.starts_with(')'));
            if line == heredoc.delimiter || closes_substitution {
                found(HeredocBody::of(heredoc, start..end, true));
                break;
            }
        }
    }
    true
}

/// Updates `scan` over one line, which starts at `line_start` in the body;
/// `Some(true)` when the statement goes on on the next line (a trailing
/// `\\`, `|`, `|&`, `&&` or `||`), `None` when the scan cannot follow the
/// line.
fn scan_line(line: &str, line_start: usize, scan: &mut Scan) -> Option<bool> {
    let bytes = line.as_bytes();
    let mut at = 0;
    // The end of the code on the line so far (not blanks or a comment).
    let mut code_end = 0;
    let mut escaped_newline = false;
    while at < bytes.len() {
        let byte = bytes[at];
        if scan.single_quoted {
            match byte {
                b'\\' if scan.ansi_c => at += 1,
                b'\'' => scan.single_quoted = false,
                _ => {}
            }
            at += 1;
            code_end = at.min(bytes.len());
            continue;
        }
        if byte == b'\\' {
            escaped_newline = at + 1 == bytes.len();
            at = (at + 2).min(bytes.len());
            code_end = at;
            continue;
        }
        if scan.double_quoted {
            match byte {
                b'"' => scan.double_quoted = false,
                b'(' | b'{' | b'[' => scan.brackets += 1,
                b')' | b'}' | b']' => scan.brackets -= 1,
                b'`' => scan.backquoted = !scan.backquoted,
                _ => {}
            }
            at += 1;
            code_end = at;
            continue;
        }
        let word_start = at == 0 || is_separator(bytes[at - 1]);
        match byte {
            b'#' if word_start => break,
            b'\'' => {
                scan.single_quoted = true;
                scan.ansi_c = at > 0 && bytes[at - 1] == b'$';
            }
            b'"' => scan.double_quoted = true,
            b'`' => scan.backquoted = !scan.backquoted,
            b'(' | b'{' | b'[' => scan.brackets += 1,
            b')' if scan.cases.last() == Some(&scan.brackets) => {}
            b')' | b'}' | b']' => scan.brackets -= 1,
            // A here-string: its `<<` is no heredoc operator.
            b'<' if line[at..].starts_with("<<<") => {
                at += 3;
                code_end = at;
                continue;
            }
            b'<' if line[at..].starts_with("<<") => {
                let (delimiter, strip_tabs, end) = heredoc_delimiter(line, at + 2)?;
                scan.heredocs.push(PendingHeredoc {
                    operator: line_start + at..line_start + end,
                    // Quoting any part of the word keeps the body literal.
                    expands: !line[at..end].contains(['\'', '"', '\\']),
                    delimiter,
                    strip_tabs,
                    in_brackets: scan.brackets > 0,
                });
                at = end;
                code_end = end;
                continue;
            }
            _ if word_start && byte.is_ascii_alphabetic() => {
                let end = at
                    + line[at..]
                        .bytes()
                        .take_while(|b| b.is_ascii_alphanumeric() || *b == b'_')
                        .count();
                if end == bytes.len() || is_separator(bytes[end]) {
                    scan.keyword(&line[at..end]);
                }
                at = end;
                code_end = end;
                continue;
            }
            _ => {}
        }
        at += 1;
        if !byte.is_ascii_whitespace() {
            code_end = at;
        }
    }
    let code = &line[..code_end];
    let open_operator = code.ends_with('|') || code.ends_with("&&") || code.ends_with("|&");
    Some(escaped_newline || open_operator)
}

/// How a word changes the nesting of compound commands.
fn keyword_nesting(word: &str) -> i64 {
    match word {
        "if" | "case" | "for" | "while" | "until" | "select" => 1,
        "fi" | "esac" | "done" => -1,
        _ => 0,
    }
}

/// Bytes after which a new word starts (not `{`: `${#x}` is no comment).
fn is_separator(byte: u8) -> bool {
    byte.is_ascii_whitespace() || matches!(byte, b';' | b'&' | b'|' | b'(' | b')')
}

/// The delimiter of a heredoc whose `<<` ends before `at`: its text with
/// quotes removed, whether it is `<<-`, and where the word ends. `None`
/// when the word is not one the scan can read.
fn heredoc_delimiter(line: &str, at: usize) -> Option<(String, bool, usize)> {
    let strip_tabs = line[at..].starts_with('-');
    let start = at + usize::from(strip_tabs);
    let rest = &line[start..];
    let skipped = rest.len() - rest.trim_start_matches([' ', '\t']).len();
    let word_start = start + skipped;
    let word_len = line[word_start..]
        .bytes()
        .take_while(|b| {
            !b.is_ascii_whitespace() && !matches!(b, b';' | b'&' | b'|' | b'<' | b'>' | b'(' | b')')
        })
        .count();
    let word = &line[word_start..word_start + word_len];
    if word.is_empty() || word.contains(['$', '`']) {
        return None;
    }
    let delimiter: String = word
        .chars()
        .filter(|c| !matches!(c, '\'' | '"' | '\\'))
        .collect();
    if delimiter.is_empty() {
        return None;
    }
    Some((delimiter, strip_tabs, word_start + word_len))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn starts(body: &str) -> Vec<&str> {
        top_level_line_starts(body)
            .into_iter()
            .map(|at| body[at..].lines().next().unwrap_or(""))
            .collect()
    }

    #[test]
    fn cuts_only_between_top_level_statements() {
        let body = "echo a\nif true; then\n  echo b\nfi\ncat <<'EOF'\nx\nEOF\nls |\n  wc\nf() {\n  :\n}\necho \"multi\nline\"\nfor x in a\ndo :\ndone\necho end\n";
        assert_eq!(
            starts(body),
            [
                "if true; then",
                "cat <<'EOF'",
                "ls |",
                "f() {",
                "echo \"multi",
                "for x in a",
                "echo end"
            ]
        );
    }

    #[test]
    fn case_patterns_close_no_bracket() {
        let body = "echo a\ncase $x in\n  a) echo;;\n  (b) :;;\nesac\necho b\n";
        assert_eq!(starts(body), ["case $x in", "echo b"]);
        // Inside a function, a pattern's `)` does not close its `{`.
        let body = "f() {\n  case $x in\n    a|b) echo;;\n  esac\n}\necho b\n";
        assert_eq!(starts(body), ["echo b"]);
    }

    #[test]
    fn stops_where_it_cannot_follow() {
        // A bracket closed that was never opened.
        let body = "echo a\n)\necho b\n";
        assert_eq!(starts(body), [")"]);
        let body = "echo a\ncat <<$X\nbody\n$X\necho b\n";
        assert_eq!(starts(body), ["cat <<$X"]);
    }

    #[test]
    fn heredoc_bodies_and_comments_are_skipped() {
        let body = "cat <<-EOF; echo x # it's (\n\tif\n\tEOF\necho b\nx=1 \\\n  y\necho c\n";
        assert_eq!(starts(body), ["echo b", "x=1 \\", "echo c"]);
    }

    #[test]
    fn here_strings_and_conflict_markers_are_no_heredocs() {
        let body = "read var <<< \"from a string\"\n<<<<<<< HEAD\necho a\n";
        assert_eq!(heredoc_bodies(body), []);
        assert_eq!(starts(body), ["<<<<<<< HEAD", "echo a"]);
    }

    #[test]
    fn heredoc_bodies_end_at_their_delimiter_line() {
        let body = "cat <<A <<'B'\n${x\nA\n$(y\nB\ncat <<-C\n\tz\n\tC\nx=$(cat <<E\ne\nE)\ncat <<D\nno end\n";
        let found: Vec<(&str, &str, bool, bool)> = heredoc_bodies(body)
            .into_iter()
            .map(|heredoc| {
                (
                    &body[heredoc.operator],
                    &body[heredoc.range],
                    heredoc.expands,
                    heredoc.terminated,
                )
            })
            .collect();
        assert_eq!(
            found,
            [
                ("<<A", "${x\n", true, true),
                ("<<'B'", "$(y\n", false, true),
                ("<<-C", "\tz\n", true, true),
                ("<<E", "e\n", true, true),
                ("<<D", "no end\n", true, false)
            ]
        );
    }

    #[test]
    fn the_cut_is_near_the_middle() {
        let body = "echo 1\necho 2\necho 3\necho 4\n";
        assert_eq!(split_point(body), Some(14));
        assert_eq!(split_point("echo 1\n"), None);
    }

    proptest::proptest! {
        /// Any text, with the bytes the scan acts on mixed with multi-byte
        /// characters after backslashes and in words: no panic, every cut
        /// is the start of a line, the cut chosen is the closest to the
        /// middle, and heredoc bodies are whole lines after their operator.
        #[test]
        fn any_text_gives_line_starts(body in "[\\\\'\"`(){}<>#$ abcdefiosuEOF\u{e9}\u{20ac};|&\t\n-]{0,300}") {
            for at in top_level_line_starts(&body) {
                proptest::prop_assert!(at > 0 && at < body.len());
                proptest::prop_assert_eq!(body.as_bytes()[at - 1], b'\n');
            }
            if let Some(at) = split_point(&body) {
                proptest::prop_assert!(body.is_char_boundary(at));
            }
            // Stopping the scan past the middle finds the cut a full scan
            // would choose.
            let middle = body.len() / 2;
            let closest = top_level_line_starts(&body)
                .into_iter()
                .min_by_key(|&at| at.abs_diff(middle));
            proptest::prop_assert_eq!(split_point(&body), closest);
            // Heredoc bodies run from a line start to a line start (or the
            // end), after their operator.
            for heredoc in heredoc_bodies(&body) {
                let (range, operator) = (heredoc.range, heredoc.operator);
                proptest::prop_assert!(body[operator.clone()].starts_with("<<"));
                proptest::prop_assert!(operator.end <= range.start);
                proptest::prop_assert!(range.start <= range.end && range.end <= body.len());
                for at in [range.start, range.end] {
                    proptest::prop_assert!(at == body.len() || at == 0 || body.as_bytes()[at - 1] == b'\n');
                }
            }
        }
    }
}
