//! KS0xxx: the file must be readable as kickstart at all. pykickstart stops at
//! the first of these (they are fatal to it), so an installer never gets past
//! them; we report every one and keep going.

use super::{declare_rule, suggest, Context};
use crate::analysis::FileRole;
use crate::diagnostic::{fix, Applicability, Diagnostic, Fix, TextEdit};
use crate::source::TextRange;
use crate::syntax::model::{Arg, Command, Item, Section, SectionKind, SECTION_KEYWORDS};
use crate::syntax::words::unclosed_quote_in_line;

declare_rule!(
    UNCLOSED_SECTION,
    "KS0001",
    "unclosed-section",
    Error,
    "A section is not closed with `%end`"
);
declare_rule!(
    UNKNOWN_SECTION,
    "KS0002",
    "unknown-section",
    Error,
    "A `%word` that is not a kickstart section"
);
declare_rule!(
    UNBALANCED_QUOTE,
    "KS0003",
    "unbalanced-quote",
    Error,
    "A quote is opened and never closed on its line"
);
declare_rule!(
    INVALID_UTF8,
    "KS0004",
    "invalid-utf8",
    Error,
    "The file contains bytes that are not UTF-8"
);
declare_rule!(
    BYTE_ORDER_MARK,
    "KS0005",
    "byte-order-mark",
    Error,
    "The file starts with a UTF-8 byte order mark"
);
declare_rule!(
    CRLF_LINE_ENDINGS,
    "KS0006",
    "crlf-line-endings",
    Warning,
    "Lines end with CRLF (Windows line endings)"
);
declare_rule!(
    STRAY_END,
    "KS0007",
    "stray-end",
    Error,
    "`%end` without an open section"
);
declare_rule!(
    STRAY_TEXT,
    "KS0008",
    "stray-text",
    Error,
    "Text that is not a command, section or package line"
);
declare_rule!(
    EMPTY_FILE,
    "KS0009",
    "empty-file",
    Error,
    "The kickstart file is empty"
);
declare_rule!(
    LINE_CONTINUATION,
    "KS0010",
    "line-continuation",
    Error,
    "A command line ends with a backslash, but kickstart has no line continuation"
);
declare_rule!(
    INCLUDE_WITHOUT_PATH,
    "KS0011",
    "include-without-path",
    Error,
    "`%include` or `%ksappend` without a file to read"
);

pub(super) fn check(cx: &Context, out: &mut Vec<Diagnostic>) {
    empty_file(cx, out);
    byte_order_mark(cx, out);
    invalid_utf8(cx, out);
    crlf_line_endings(cx, out);
    let mut quoted_lines = Vec::new();
    unbalanced_quotes(cx, out, &mut quoted_lines);
    let items = &cx.document.items;
    for (index, item) in items.iter().enumerate() {
        match item {
            Item::Section(section) => {
                let next = items[index + 1..].iter().find_map(|item| match item {
                    Item::Section(next) => Some(next),
                    _ => None,
                });
                unclosed_section(cx, section, next, out);
                unknown_section(cx, section, out);
            }
            Item::StrayEnd(range) => stray_end(cx, *range, out),
            Item::Include(include) if include.path.is_none() => {
                out.push(Diagnostic::new(
                    &INCLUDE_WITHOUT_PATH,
                    cx.file_id,
                    include.range,
                    format!(
                        "`{}` needs a file path or URL",
                        cx.file
                            .slice(include.range)
                            .split_whitespace()
                            .next()
                            .unwrap_or("%include")
                    ),
                ));
            }
            Item::Command(command) => line_continuation(cx, command, out),
            Item::Include(_) => {}
        }
    }
    stray_text(cx, &quoted_lines, out);
}

fn empty_file(cx: &Context, out: &mut Vec<Diagnostic>) {
    // An included file may legitimately be empty (a placeholder a site fills).
    if cx.role != FileRole::Main {
        return;
    }
    let text = cx.text().trim_start_matches('\u{feff}');
    if text.trim().is_empty() {
        out.push(Diagnostic::new(
            &EMPTY_FILE,
            cx.file_id,
            TextRange::empty(0),
            "the kickstart file is empty; the installer rejects it".into(),
        ));
    }
}

fn byte_order_mark(cx: &Context, out: &mut Vec<Diagnostic>) {
    if cx.text().starts_with('\u{feff}') {
        let bom = TextRange::new(0, '\u{feff}'.len_utf8());
        // The mark itself is invisible; underline the word it is glued to.
        let first_word_end = cx.text()[bom.end..]
            .find(char::is_whitespace)
            .map_or(cx.text().len(), |at| bom.end + at);
        out.push(
            Diagnostic::new(
                &BYTE_ORDER_MARK,
                cx.file_id,
                TextRange::new(0, first_word_end),
                "the file starts with a byte order mark, which pykickstart reads as part of the first command name".into(),
            )
            .with_fix(fix("Remove the byte order mark", Applicability::Safe, cx.file_id, bom, "")),
        );
    }
}

fn invalid_utf8(cx: &Context, out: &mut Vec<Diagnostic>) {
    let mut last_line = None;
    for range in &cx.file.invalid_utf8 {
        // One report per line is enough to find the text.
        let line = cx.file.line_index.line_of(range.start);
        if last_line == Some(line) {
            continue;
        }
        last_line = Some(line);
        out.push(Diagnostic::new(
            &INVALID_UTF8,
            cx.file_id,
            *range,
            "invalid UTF-8 byte sequence; the installer refuses files that are not UTF-8".into(),
        ));
    }
}

fn crlf_line_endings(cx: &Context, out: &mut Vec<Diagnostic>) {
    let text = cx.text();
    let edits: Vec<TextEdit> = text
        .match_indices("\r\n")
        .map(|(at, _)| TextEdit {
            file: cx.file_id,
            range: TextRange::new(at, at + 1),
            replacement: String::new(),
        })
        .collect();
    let Some(first) = edits.first() else { return };
    let count = edits.len();
    let line = cx
        .file
        .line_index
        .line_range(text, cx.file.line_index.line_of(first.range.start));
    out.push(
        Diagnostic::new(
            &CRLF_LINE_ENDINGS,
            cx.file_id,
            TextRange::new(line.end, first.range.end),
            format!(
                "{count} line{} end with CRLF; script sections keep the carriage return, which breaks shell commands",
                if count == 1 { "" } else { "s" }
            ),
        )
        .with_fix(Fix {
            title: "Convert line endings to LF".into(),
            applicability: Applicability::Safe,
            edits,
        }),
    );
}

/// Reports unclosed quotes, and records which lines they were on so that the
/// ERROR nodes they cause are not reported a second time as stray text.
fn unbalanced_quotes(cx: &Context, out: &mut Vec<Diagnostic>, quoted_lines: &mut Vec<usize>) {
    let text = cx.text();
    let index = &cx.file.line_index;
    let mut candidate_lines: Vec<usize> = cx
        .document
        .syntax_errors
        .iter()
        .map(|error| index.line_of(error.range.start))
        .collect();
    for_each_word(cx, |word_range, unclosed| {
        if unclosed {
            candidate_lines.push(index.line_of(word_range.start));
        }
    });
    candidate_lines.sort_unstable();
    candidate_lines.dedup();
    for line in candidate_lines {
        if line_is_script_body(cx, line) {
            continue;
        }
        let range = index.line_range(text, line);
        let Some(unclosed) = unclosed_quote_in_line(&text[range.start..range.end]) else {
            continue;
        };
        quoted_lines.push(line);
        let start = range.start + unclosed.open_offset;
        out.push(Diagnostic::new(
            &UNBALANCED_QUOTE,
            cx.file_id,
            TextRange::new(start, range.end.max(start + 1)),
            format!(
                "this {} is never closed; pykickstart stops reading the file with \"No closing quotation\"",
                if unclosed.quote == '"' { "double quote" } else { "single quote" }
            ),
        ));
    }
}

/// Calls `visit` for every word (command, option value, header argument) with
/// whether it ends inside a quote.
fn for_each_word(cx: &Context, mut visit: impl FnMut(TextRange, bool)) {
    let mut visit_args = |args: &[Arg]| {
        for arg in args {
            match arg {
                Arg::Word(word) => visit(word.range, word.unclosed_quote.is_some()),
                Arg::Option(option) => {
                    if let Some(value) = &option.value {
                        visit(value.range, value.unclosed_quote.is_some());
                    }
                }
            }
        }
    };
    for item in &cx.document.items {
        match item {
            Item::Command(command) => visit_args(&command.args),
            Item::Section(section) => visit_args(&section.header.args),
            _ => {}
        }
    }
}

fn line_is_script_body(cx: &Context, line: usize) -> bool {
    let offset = cx.file.line_index.line_start(line);
    cx.document.sections().any(|section| {
        !matches!(section.kind, SectionKind::Packages)
            && section
                .body_range()
                .is_some_and(|body| body.contains(offset))
    })
}

fn unclosed_section(
    cx: &Context,
    section: &Section,
    next: Option<&Section>,
    out: &mut Vec<Diagnostic>,
) {
    if section.end.is_some() {
        return;
    }
    let text = cx.text();
    let (insert_at, where_) = match next {
        Some(next) => (next.range.start, "before the next section"),
        None => (text.len(), "at the end of the file"),
    };
    let needs_newline = insert_at > 0 && !text[..insert_at].ends_with('\n');
    let insertion = if needs_newline { "\n%end\n" } else { "%end\n" };
    let mut diagnostic = Diagnostic::new(
        &UNCLOSED_SECTION,
        cx.file_id,
        section.header.name_range,
        format!(
            "`{}` is not closed with `%end` {where_}",
            section.header.name
        ),
    )
    .with_fix(fix(
        format!("Insert `%end` {where_}"),
        Applicability::Safe,
        cx.file_id,
        TextRange::empty(insert_at),
        insertion,
    ));
    if let Some(next) = next {
        diagnostic = diagnostic.with_related(
            cx.file_id,
            next.header.name_range,
            format!(
                "`{}` starts here while `{}` is still open",
                next.header.name, section.header.name
            ),
        );
    }
    out.push(diagnostic);
}

fn unknown_section(cx: &Context, section: &Section, out: &mut Vec<Diagnostic>) {
    if section.kind != SectionKind::Unknown {
        return;
    }
    let name = &section.header.name;
    let mut diagnostic = Diagnostic::new(
        &UNKNOWN_SECTION,
        cx.file_id,
        section.header.name_range,
        format!("unknown section `{name}`; pykickstart stops with \"Unknown kickstart section\""),
    );
    if let Some(suggestion) = suggest(name, SECTION_KEYWORDS.iter().copied()) {
        diagnostic
            .message
            .push_str(&format!("; did you mean `{suggestion}`?"));
        diagnostic = diagnostic.with_fix(fix(
            format!("Replace with `{suggestion}`"),
            Applicability::Unsafe,
            cx.file_id,
            section.header.name_range,
            suggestion,
        ));
    }
    out.push(diagnostic);
}

fn stray_end(cx: &Context, range: TextRange, out: &mut Vec<Diagnostic>) {
    let line = cx.file.line_index.line_of(range.start);
    let whole_line = TextRange::new(
        cx.file.line_index.line_start(line),
        cx.file.line_index.line_start(line + 1),
    );
    out.push(
        Diagnostic::new(
            &STRAY_END,
            cx.file_id,
            TextRange::new(
                range.start,
                cx.file.line_index.line_range(cx.text(), line).end,
            ),
            "`%end` closes no section; pykickstart stops with \"Unknown kickstart section: %end\""
                .into(),
        )
        .with_fix(fix(
            "Remove the `%end` line",
            Applicability::Unsafe,
            cx.file_id,
            whole_line,
            "",
        )),
    );
}

fn line_continuation(cx: &Context, command: &Command, out: &mut Vec<Diagnostic>) {
    let index = &cx.file.line_index;
    let line = index.line_range(cx.text(), index.line_of(command.range.start));
    let text = cx.file.slice(line).trim_end();
    if !text.ends_with('\\') || text.ends_with("\\\\") {
        return;
    }
    let at = line.start + text.len() - 1;
    out.push(Diagnostic::new(
        &LINE_CONTINUATION,
        cx.file_id,
        TextRange::new(at, at + 1),
        "kickstart has no line continuation: the next line is read as a new command".into(),
    ));
}

fn stray_text(cx: &Context, quoted_lines: &[usize], out: &mut Vec<Diagnostic>) {
    let index = &cx.file.line_index;
    let mut reported_lines = Vec::new();
    for error in &cx.document.syntax_errors {
        let line = index.line_of(error.range.start);
        if quoted_lines.contains(&line) || reported_lines.contains(&line) {
            continue;
        }
        reported_lines.push(line);
        let line_range = index.line_range(cx.text(), line);
        let range = if error.range.is_empty() {
            TextRange::new(error.range.start, line_range.end.max(error.range.start))
        } else {
            TextRange::new(
                error.range.start,
                error
                    .range
                    .end
                    .min(line_range.end.max(error.range.start + 1)),
            )
        };
        let message = match &error.missing {
            Some(kind) => format!("expected {} here", kind.replace('_', " ")),
            None => unexpected_text(cx.file.slice(range).trim()),
        };
        out.push(Diagnostic::new(&STRAY_TEXT, cx.file_id, range, message));
    }
}

/// The message for stray text. Control characters (a NUL byte, an escape)
/// are invisible or garble a terminal: they are shown escaped and named.
fn unexpected_text(text: &str) -> String {
    if !text.chars().any(char::is_control) {
        return format!("unexpected text `{text}`");
    }
    let shown: String = text
        .chars()
        .map(|c| match c {
            '\0' => "\\0".to_string(),
            c if c.is_control() => c.escape_default().to_string(),
            c => c.to_string(),
        })
        .collect();
    let what = if text.contains('\0') {
        "a NUL byte"
    } else {
        "a control character"
    };
    format!("unexpected text `{shown}` ({what}, which has no place in a kickstart)")
}
