//! GRUB 2 scripts (`grub.cfg`, `BOOT.conf`) and GRUB Legacy files
//! (`grub.conf`).
//!
//! GRUB 2 splits words like a shell: `'…'` keeps everything, `"…"` lets a
//! backslash escape only `$`, `"`, `\` and the newline, and outside quotes a
//! backslash escapes any character and is removed. So upstream GRUB turns an
//! unquoted `LABEL=CentOS\x207` into `LABEL=CentOSx207`. Red Hat's grub2
//! builds (the `grubx64.efi` on RHEL, CentOS and Fedora media) pass such
//! `\xNN` escapes through to the kernel, which is why stock configs can write
//! them unquoted. Each kernel argument is therefore kept twice: as upstream
//! GRUB reads it (`GrubWord::grub`) and as it reaches the kernel on
//! distribution media (`GrubWord::kernel`), with the swallowed backslashes
//! noted.

use crate::source::{FileId, TextRange};

use super::cmdline::{split_kernel_words, Word};
use super::model::{
    BootConfig, DefaultKind, DefaultSetting, Entry, FileKind, FileRef, Loader, ParseProblem,
    Search, Setting,
};
use super::syslinux::lines;

/// A GRUB word in both readings.
#[derive(Clone, Debug)]
struct GrubWord {
    grub: Word,
    kernel: Word,
    /// Unquoted `\xNN` whose backslash upstream GRUB removes.
    eaten_hex: Vec<TextRange>,
    /// Written with no quotes or escapes at all.
    plain: bool,
}

enum Token {
    Word(GrubWord),
    /// Newline or `;`.
    Separator,
}

fn is_hex2(bytes: &[u8]) -> bool {
    bytes.len() >= 2 && bytes[0].is_ascii_hexdigit() && bytes[1].is_ascii_hexdigit()
}

fn tokenize(file: FileId, text: &str, problems: &mut Vec<ParseProblem>) -> Vec<Token> {
    let bytes = text.as_bytes();
    let mut tokens = Vec::new();
    let mut current: Option<GrubWord> = None;
    let mut i = 0;
    let flush = |current: &mut Option<GrubWord>, tokens: &mut Vec<Token>| {
        if let Some(word) = current.take() {
            tokens.push(Token::Word(word));
        }
    };
    while i < bytes.len() {
        let ch = text[i..].chars().next().unwrap_or('\0');
        let len = ch.len_utf8();
        match ch {
            ' ' | '\t' | '\r' => {
                flush(&mut current, &mut tokens);
                i += len;
                continue;
            }
            '\n' | ';' => {
                flush(&mut current, &mut tokens);
                tokens.push(Token::Separator);
                i += 1;
                continue;
            }
            '#' if current.is_none() => {
                while i < bytes.len() && bytes[i] != b'\n' {
                    i += 1;
                }
                continue;
            }
            _ => {}
        }
        let word = current.get_or_insert_with(|| GrubWord {
            grub: Word::new(file, TextRange::new(i, i)),
            kernel: Word::new(file, TextRange::new(i, i)),
            eaten_hex: Vec::new(),
            plain: true,
        });
        match ch {
            '\\' => {
                word.plain = false;
                let Some(next) = text[i + 1..].chars().next() else {
                    i += 1;
                    word.grub.range.end = i;
                    word.kernel.range.end = i;
                    continue;
                };
                let end = i + 1 + next.len_utf8();
                if next == '\n' {
                    // Line continuation.
                } else if next == 'x' && is_hex2(&bytes[end..]) {
                    word.grub.push('x', (i, end));
                    word.kernel.push('\\', (i, i + 1));
                    word.kernel.push('x', (i + 1, end));
                    word.eaten_hex.push(TextRange::new(i, end + 2));
                } else {
                    word.grub.push(next, (i, end));
                    word.kernel.push(next, (i, end));
                }
                i = end;
            }
            '\'' => {
                word.plain = false;
                let close = text[i + 1..].find('\'').map(|at| i + 1 + at);
                let content_end = close.unwrap_or(text.len());
                for (at, c) in text[i + 1..content_end].char_indices() {
                    let at = i + 1 + at;
                    word.grub.push(c, (at, at + c.len_utf8()));
                    word.kernel.push(c, (at, at + c.len_utf8()));
                }
                if close.is_none() {
                    problems.push(ParseProblem {
                        range: TextRange::new(i, i + 1),
                        message: "this single quote is never closed".into(),
                    });
                }
                i = close.map_or(text.len(), |at| at + 1);
            }
            '"' => {
                word.plain = false;
                let mut j = i + 1;
                let mut closed = false;
                while j < bytes.len() {
                    let c = text[j..].chars().next().unwrap_or('\0');
                    let clen = c.len_utf8();
                    if c == '"' {
                        closed = true;
                        j += 1;
                        break;
                    }
                    if c == '\\' {
                        if let Some(next) = text[j + 1..].chars().next() {
                            if matches!(next, '$' | '"' | '\\') {
                                word.grub.push(next, (j, j + 2));
                                word.kernel.push(next, (j, j + 2));
                                j += 2;
                                continue;
                            }
                            if next == '\n' {
                                j += 2;
                                continue;
                            }
                        }
                    }
                    word.grub.push(c, (j, j + clen));
                    word.kernel.push(c, (j, j + clen));
                    j += clen;
                }
                if !closed {
                    problems.push(ParseProblem {
                        range: TextRange::new(i, i + 1),
                        message: "this double quote is never closed".into(),
                    });
                }
                i = j;
            }
            _ => {
                word.grub.push(ch, (i, i + len));
                word.kernel.push(ch, (i, i + len));
                i += len;
            }
        }
        word.grub.range.end = i;
        word.kernel.range.end = i;
    }
    flush(&mut current, &mut tokens);
    tokens
}

enum Block {
    Entry(usize),
    Submenu,
    Other,
}

struct Parser {
    config: BootConfig,
    blocks: Vec<(Block, TextRange)>,
    /// Position path of the enclosing submenus and the next index at each level.
    counters: Vec<usize>,
    path: Vec<usize>,
    /// Unquoted `\xNN` in kernel arguments.
    eaten_hex: Vec<TextRange>,
}

/// The result of parsing a GRUB 2 script: the model, plus the places where
/// upstream GRUB would remove a backslash from a kernel argument.
pub struct Grub2 {
    pub config: BootConfig,
    pub eaten_hex: Vec<TextRange>,
}

pub fn parse(file: FileId, text: &str) -> Grub2 {
    let mut problems = Vec::new();
    let tokens = tokenize(file, text, &mut problems);
    let mut parser = Parser {
        config: BootConfig::new(file, Loader::Grub2),
        blocks: Vec::new(),
        counters: vec![0],
        path: Vec::new(),
        eaten_hex: Vec::new(),
    };
    parser.config.problems = problems;
    let mut command: Vec<GrubWord> = Vec::new();
    for token in tokens {
        match token {
            Token::Separator => parser.command(std::mem::take(&mut command), false),
            Token::Word(word) if word.plain && word.grub.value == "{" => {
                parser.command(std::mem::take(&mut command), true);
            }
            Token::Word(word) if word.plain && word.grub.value == "}" => {
                parser.command(std::mem::take(&mut command), false);
                parser.close(word.grub.range);
            }
            Token::Word(word) => command.push(word),
        }
    }
    parser.command(command, false);
    for (_, range) in parser.blocks.drain(..).rev() {
        parser.config.problems.push(ParseProblem {
            range,
            message: "this block is never closed with `}`".into(),
        });
    }
    Grub2 {
        config: parser.config,
        eaten_hex: parser.eaten_hex,
    }
}

impl Parser {
    fn current_entry(&self) -> Option<usize> {
        self.blocks.iter().rev().find_map(|(block, _)| match block {
            Block::Entry(index) => Some(*index),
            _ => None,
        })
    }

    fn close(&mut self, range: TextRange) {
        match self.blocks.pop() {
            Some((Block::Submenu, _)) => {
                self.counters.pop();
                self.path.pop();
            }
            Some(_) => {}
            None => self.config.problems.push(ParseProblem {
                range,
                message: "`}` closes no block".into(),
            }),
        }
    }

    fn command(&mut self, words: Vec<GrubWord>, opens_block: bool) {
        let Some(first) = words.first() else {
            if opens_block {
                self.blocks.push((Block::Other, TextRange::default()));
            }
            return;
        };
        let name = first.grub.value.clone();
        let header = TextRange::new(
            first.grub.range.start,
            words
                .last()
                .map_or(first.grub.range.end, |w| w.grub.range.end),
        );
        match name.as_str() {
            "menuentry" | "submenu" => {
                let (title, id) = entry_title(&words[1..]);
                let title = title
                    .unwrap_or_else(|| Word::new(first.grub.file, TextRange::empty(header.end)));
                let level = self.counters.len() - 1;
                let position = self.counters[level];
                self.counters[level] += 1;
                let mut index = self.path.clone();
                index.push(position);
                if name == "menuentry" {
                    let mut entry = Entry::new(title, header);
                    entry.id = id;
                    entry.index = index;
                    entry.menu = self.path.len();
                    self.config.entries.push(entry);
                    if opens_block {
                        let at = self.config.entries.len() - 1;
                        self.blocks.push((Block::Entry(at), header));
                    }
                } else if opens_block {
                    self.blocks.push((Block::Submenu, header));
                    self.counters.push(0);
                    self.path.push(position);
                }
                return;
            }
            _ if opens_block => {
                self.blocks.push((Block::Other, header));
            }
            _ => {}
        }
        match name.as_str() {
            "linux" | "linuxefi" | "linux16" | "kernel" => {
                let entry = self.entry_for(first);
                let Some(path) = words.get(1) else {
                    return;
                };
                let entry = &mut self.config.entries[entry];
                entry.kernel = Some(FileRef {
                    kind: FileKind::Kernel,
                    word: path.grub.clone(),
                });
                for word in &words[2..] {
                    self.eaten_hex.extend(word.eaten_hex.iter().copied());
                    // A quoted word with spaces is still one argument: GRUB
                    // quotes it again when it builds the command line.
                    entry.args.push(word.kernel.clone());
                }
                entry.args_end = words.last().map(|w| w.grub.range.end);
            }
            "initrd" | "initrdefi" | "initrd16" => {
                let entry = self.entry_for(first);
                let entry = &mut self.config.entries[entry];
                entry.initrds.extend(words[1..].iter().map(|w| FileRef {
                    kind: FileKind::Initrd,
                    word: w.grub.clone(),
                }));
            }
            "search" | "search.fs_label" | "search.file" | "search.fs_uuid" => {
                let mut by_label = name == "search.fs_label";
                let mut positional = None;
                for word in &words[1..] {
                    let value = word.grub.value.as_str();
                    if value == "-l" || value == "--label" {
                        by_label = true;
                    } else if value.starts_with('-') {
                        // --set=root, --no-floppy, -f, -u, --hint=…
                    } else if positional.is_none() {
                        positional = Some(word.grub.clone());
                    }
                }
                self.config.searches.push(Search {
                    keyword: first.grub.range,
                    by_label,
                    name: positional,
                });
            }
            "set" => {
                let Some(word) = words.get(1) else {
                    return;
                };
                let Some((offset, value)) = word.grub.arg_value() else {
                    return;
                };
                let value_word = word.grub.slice(offset..offset + value.len());
                let keyword = TextRange::new(first.grub.range.start, word.grub.range.end);
                match word.grub.key() {
                    "default" => self.config.defaults.push(DefaultSetting {
                        kind: DefaultKind::Grub,
                        keyword,
                        value: Some(value_word),
                        menu: self.path.len(),
                        entry: None,
                    }),
                    "timeout" => self.config.timeouts.push(Setting {
                        keyword,
                        value: Some(value_word),
                    }),
                    _ => {}
                }
            }
            _ => {}
        }
    }

    /// The entry a `linux`/`initrd` command belongs to; outside a
    /// `menuentry` (a script that boots directly) a nameless entry stands
    /// for the top level.
    fn entry_for(&mut self, command: &GrubWord) -> usize {
        if let Some(index) = self.current_entry() {
            return index;
        }
        if let Some(last) = self.config.entries.last() {
            if last.index.is_empty() {
                return self.config.entries.len() - 1;
            }
        }
        let name = Word::new(
            command.grub.file,
            TextRange::empty(command.grub.range.start),
        );
        self.config
            .entries
            .push(Entry::new(name, command.grub.range));
        self.config.entries.len() - 1
    }
}

/// The title and `--id` of a `menuentry`.
fn entry_title(words: &[GrubWord]) -> (Option<Word>, Option<Word>) {
    let mut title = None;
    let mut id = None;
    let mut i = 0;
    while i < words.len() {
        let value = words[i].grub.value.as_str();
        if value == "--id" || value == "$menuentry_id_option" {
            id = words.get(i + 1).map(|w| w.grub.clone());
            i += 2;
            continue;
        }
        if let Some(rest) = value.strip_prefix("--id=") {
            let word = &words[i].grub;
            id = Some(word.slice(word.value.len() - rest.len()..word.value.len()));
        } else if matches!(value, "--class" | "--users" | "--hotkey") {
            i += 2;
            continue;
        } else if !value.starts_with("--") && title.is_none() {
            title = Some(words[i].grub.clone());
        }
        i += 1;
    }
    (title, id)
}

/// GRUB Legacy: `title` starts an entry, `kernel PATH ARGS` and
/// `initrd PATH` fill it; `default=N` counts entries from 0.
pub fn parse_legacy(file: FileId, text: &str) -> BootConfig {
    let mut config = BootConfig::new(file, Loader::GrubLegacy);
    for (line_start, line) in lines(text) {
        let trimmed = line.trim_start();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        let at = line_start + (line.len() - trimmed.len());
        let trimmed = trimmed.trim_end();
        let key_len = trimmed
            .find(|c: char| c.is_whitespace() || c == '=')
            .unwrap_or(trimmed.len());
        let key = trimmed[..key_len].to_ascii_lowercase();
        let keyword = TextRange::new(at, at + key_len);
        let rest = trimmed[key_len..].trim_start_matches(|c: char| c.is_whitespace() || c == '=');
        let rest_at = at + trimmed.len() - rest.len();
        let rest_word = Word::verbatim(file, rest, rest_at);
        match key.as_str() {
            "title" => {
                let mut entry = Entry::new(rest_word, TextRange::new(at, at + trimmed.len()));
                entry.index = vec![config.entries.len()];
                config.entries.push(entry);
            }
            "kernel" => {
                let Some(entry) = config.entries.last_mut() else {
                    continue;
                };
                let mut words = split_kernel_words(file, rest, rest_at);
                if words.is_empty() {
                    continue;
                }
                let path = words.remove(0);
                entry.kernel = Some(FileRef {
                    kind: FileKind::Kernel,
                    word: path,
                });
                entry.args_end = Some(at + trimmed.len());
                entry.args = words;
            }
            "initrd" => {
                if let Some(entry) = config.entries.last_mut() {
                    entry
                        .initrds
                        .extend(
                            split_kernel_words(file, rest, rest_at)
                                .into_iter()
                                .map(|word| FileRef {
                                    kind: FileKind::Initrd,
                                    word,
                                }),
                        );
                }
            }
            "default" => config.defaults.push(DefaultSetting {
                kind: DefaultKind::Grub,
                keyword,
                value: (!rest.is_empty()).then_some(rest_word),
                menu: 0,
                entry: None,
            }),
            "timeout" => config.timeouts.push(Setting {
                keyword,
                value: (!rest.is_empty()).then_some(rest_word),
            }),
            _ => {}
        }
    }
    config
}

#[cfg(test)]
mod tests {
    use super::*;

    const STOCK: &str = "set default=\"1\"\n\nfunction load_video {\n  insmod all_video\n}\n\nset timeout=60\nsearch --no-floppy --set=root -l 'CentOS 7 x86_64'\n\nmenuentry 'Install CentOS 7' --class fedora --class os {\n\tlinuxefi /images/pxeboot/vmlinuz inst.stage2=hd:LABEL=CentOS\\x207\\x20x86_64 quiet\n\tinitrdefi /images/pxeboot/initrd.img\n}\nmenuentry 'Test this media & install CentOS 7' --class fedora {\n\tlinuxefi /images/pxeboot/vmlinuz inst.stage2=hd:LABEL=CentOS\\x207\\x20x86_64 rd.live.check quiet\n\tinitrdefi /images/pxeboot/initrd.img\n}\nsubmenu 'Troubleshooting -->' {\n\tmenuentry \"Rescue a CentOS system\" --id rescue {\n\t\tlinuxefi /images/pxeboot/vmlinuz 'inst.stage2=hd:LABEL=CentOS\\x207\\x20x86_64' rescue\n\t}\n}\n";

    #[test]
    fn parses_a_stock_grub_cfg() {
        let parsed = parse(FileId(0), STOCK);
        let config = &parsed.config;
        assert!(config.problems.is_empty(), "{:?}", config.problems);
        let titles: Vec<_> = config
            .entries
            .iter()
            .map(|e| e.name.value.as_str())
            .collect();
        assert_eq!(
            titles,
            [
                "Install CentOS 7",
                "Test this media & install CentOS 7",
                "Rescue a CentOS system"
            ]
        );
        let indices: Vec<_> = config.entries.iter().map(|e| e.index.clone()).collect();
        assert_eq!(indices, [vec![0], vec![1], vec![2, 0]]);
        assert_eq!(config.entries[2].id.as_ref().unwrap().value, "rescue");
        assert_eq!(config.defaults[0].value.as_ref().unwrap().value, "1");
        let default_range = config.defaults[0].value.as_ref().unwrap().value_range();
        assert_eq!(&STOCK[default_range.start..default_range.end], "1");
        assert_eq!(config.timeouts[0].value.as_ref().unwrap().value, "60");
        let search = &config.searches[0];
        assert!(search.by_label);
        let name = search.name.as_ref().unwrap();
        assert_eq!(name.value, "CentOS 7 x86_64");
        assert_eq!(
            &STOCK[name.range.start..name.range.end],
            "'CentOS 7 x86_64'"
        );
        let install = &config.entries[0];
        assert_eq!(
            install.kernel.as_ref().unwrap().word.value,
            "/images/pxeboot/vmlinuz"
        );
        assert_eq!(install.initrds[0].word.value, "/images/pxeboot/initrd.img");
        // The kernel sees the escapes; upstream GRUB would not.
        assert_eq!(
            install.args[0].value,
            "inst.stage2=hd:LABEL=CentOS\\x207\\x20x86_64"
        );
        assert_eq!(parsed.eaten_hex.len(), 4);
        // Single quotes keep the backslashes for every GRUB.
        assert_eq!(
            config.entries[2].args[0].value,
            "inst.stage2=hd:LABEL=CentOS\\x207\\x20x86_64"
        );
        let end = install.args_end.unwrap();
        assert!(STOCK[..end].ends_with("quiet"));
    }

    #[test]
    fn reports_unclosed_quotes_and_blocks() {
        let parsed = parse(FileId(0), "menuentry 'x {\n");
        assert_eq!(parsed.config.problems.len(), 1);
        let parsed = parse(FileId(0), "menuentry 'x' {\n linux /v\n");
        assert_eq!(
            parsed.config.problems[0].message,
            "this block is never closed with `}`"
        );
        let parsed = parse(FileId(0), "}\nlinux /vmlinuz a=\"b c\" d\\ e\nboot\n");
        assert_eq!(parsed.config.problems.len(), 1);
        let entry = &parsed.config.entries[0];
        assert!(entry.index.is_empty());
        let values: Vec<_> = entry.args.iter().map(|a| a.value.as_str()).collect();
        assert_eq!(values, ["a=b c", "d e"]);
    }

    #[test]
    fn parses_grub_legacy() {
        let text = "#debug\ndefault=1\nsplashimage=@SPLASHPATH@\ntimeout 60\nhiddenmenu\ntitle Install CentOS 7\n\tkernel @KERNELPATH@ @ROOT@ quiet\n\tinitrd @INITRDPATH@\ntitle Test\n\tkernel /images/vmlinuz ks=cdrom:/ks.cfg\n";
        let config = parse_legacy(FileId(0), text);
        assert_eq!(config.entries.len(), 2);
        assert_eq!(config.entries[0].name.value, "Install CentOS 7");
        assert_eq!(config.entries[1].args[0].value, "ks=cdrom:/ks.cfg");
        assert_eq!(config.defaults[0].value.as_ref().unwrap().value, "1");
        assert_eq!(config.timeouts[0].value.as_ref().unwrap().value, "60");
    }
}
