//! Shell-like word unquoting, as Python's `shlex` in POSIX mode does it for
//! kickstart lines: single quotes are literal, double quotes allow `\"`, `\\`,
//! `\$` and `` \` `` escapes, a backslash outside quotes escapes any character,
//! and adjacent quoted and unquoted parts join into one word.

/// The word's text ends inside a quote that was opened at `open_offset`
/// (relative to the word's start).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct UnclosedQuote {
    pub open_offset: usize,
    pub quote: char,
}

/// Returns the value of one raw word (`"a b"c` → `a bc`).
pub fn unquote(raw: &str) -> Result<String, UnclosedQuote> {
    let mut value = String::with_capacity(raw.len());
    let mut chars = raw.char_indices().peekable();
    while let Some((offset, ch)) = chars.next() {
        match ch {
            '\'' => {
                let mut closed = false;
                for (_, inner) in chars.by_ref() {
                    if inner == '\'' {
                        closed = true;
                        break;
                    }
                    value.push(inner);
                }
                if !closed {
                    return Err(UnclosedQuote {
                        open_offset: offset,
                        quote: '\'',
                    });
                }
            }
            '"' => {
                let mut closed = false;
                while let Some((_, inner)) = chars.next() {
                    match inner {
                        '"' => {
                            closed = true;
                            break;
                        }
                        '\\' => match chars.peek() {
                            Some(&(_, next @ ('"' | '\\' | '$' | '`'))) => {
                                value.push(next);
                                chars.next();
                            }
                            _ => value.push('\\'),
                        },
                        _ => value.push(inner),
                    }
                }
                if !closed {
                    return Err(UnclosedQuote {
                        open_offset: offset,
                        quote: '"',
                    });
                }
            }
            '\\' => {
                if let Some((_, next)) = chars.next() {
                    value.push(next);
                }
            }
            _ => value.push(ch),
        }
    }
    Ok(value)
}

/// Finds the first quote that is never closed on `line` (byte offset into the
/// line), following the same rules as [`unquote`] and stopping at a `#` that
/// starts a word, as shlex does with `comments=True`.
pub fn unclosed_quote_in_line(line: &str) -> Option<UnclosedQuote> {
    let mut chars = line.char_indices().peekable();
    let mut at_word_start = true;
    while let Some((offset, ch)) = chars.next() {
        match ch {
            '#' if at_word_start => return None,
            ' ' | '\t' | '\r' | '\n' => {
                at_word_start = true;
                continue;
            }
            '\'' if !chars.by_ref().any(|(_, inner)| inner == '\'') => {
                return Some(UnclosedQuote {
                    open_offset: offset,
                    quote: '\'',
                });
            }
            '\'' => {}
            '"' => {
                let mut closed = false;
                while let Some((_, inner)) = chars.next() {
                    match inner {
                        '"' => {
                            closed = true;
                            break;
                        }
                        '\\' => {
                            chars.next();
                        }
                        _ => {}
                    }
                }
                if !closed {
                    return Some(UnclosedQuote {
                        open_offset: offset,
                        quote: '"',
                    });
                }
            }
            '\\' => {
                chars.next();
            }
            _ => {}
        }
        at_word_start = false;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn joins_quoted_and_plain_parts() {
        assert_eq!(unquote(r#"abc"d e"'f g'"#).unwrap(), "abcd ef g");
        assert_eq!(unquote(r#""a\"b\n""#).unwrap(), "a\"b\\n");
        assert_eq!(unquote(r"a\ b").unwrap(), "a b");
        assert_eq!(unquote(r"'a\b'").unwrap(), r"a\b");
        assert_eq!(unquote("pa#ss").unwrap(), "pa#ss");
    }

    #[test]
    fn reports_the_unclosed_quote() {
        assert_eq!(
            unquote("x\"abc"),
            Err(UnclosedQuote {
                open_offset: 1,
                quote: '"'
            })
        );
        assert_eq!(
            unclosed_quote_in_line("rootpw 'secret"),
            Some(UnclosedQuote {
                open_offset: 7,
                quote: '\''
            })
        );
        assert_eq!(unclosed_quote_in_line("rootpw x # it's fine"), None);
        assert_eq!(
            unclosed_quote_in_line(r#"bootloader --append="a \" b""#),
            None
        );
    }
}
