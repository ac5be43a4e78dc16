//! SYSLINUX/ISOLINUX/EXTLINUX configurations: one directive per line,
//! keywords in any case, `#` a comment only as the first thing on a line,
//! and `append` handed to the kernel verbatim (no escapes, no quoting).

use crate::source::{FileId, TextRange};

use super::cmdline::{split_kernel_words, Word};
use super::model::{
    BootConfig, DefaultKind, DefaultSetting, Entry, FileKind, FileRef, InlineComment, Loader,
    Setting,
};

/// Directives whose words all reach the loader or the kernel, so a `#`
/// after the keyword is not a comment but data.
const DATA_DIRECTIVES: &[&str] = &[
    "append",
    "kernel",
    "linux",
    "boot",
    "bss",
    "pxe",
    "fdimage",
    "comboot",
    "com32",
    "config",
    "initrd",
    "timeout",
    "totaltimeout",
    "prompt",
    "default",
    "ui",
    "ontimeout",
    "onerror",
    "label",
    "include",
    "localboot",
    "ipappend",
    "sysappend",
    "implicit",
    "allowoptions",
    "noescape",
    "nocomplete",
];

const KERNEL_DIRECTIVES: &[&str] = &[
    "kernel", "linux", "boot", "bss", "pxe", "fdimage", "comboot", "com32", "config",
];

/// Menu modules: while one of them is the interface, the menu waits for a
/// key unless `timeout` is set.
pub fn is_menu_module(name: &str) -> bool {
    let base = name.rsplit('/').next().unwrap_or(name).to_ascii_lowercase();
    base == "vesamenu.c32" || base == "menu.c32"
}

/// Words of a line with their offsets: `(start, text)`.
fn words_of(line: &str, start: usize) -> Vec<(usize, &str)> {
    let mut words = Vec::new();
    let mut word_start = None;
    for (i, ch) in line.char_indices() {
        match (ch.is_whitespace(), word_start) {
            (true, Some(from)) => {
                words.push((start + from, &line[from..i]));
                word_start = None;
            }
            (false, None) => word_start = Some(i),
            _ => {}
        }
    }
    if let Some(from) = word_start {
        words.push((start + from, &line[from..]));
    }
    words
}

/// Lines of `text` with their start offsets, line terminators removed.
pub(crate) fn lines(text: &str) -> impl Iterator<Item = (usize, &str)> {
    let mut offset = 0;
    text.split_inclusive('\n').map(move |raw| {
        let start = offset;
        offset += raw.len();
        let line = raw.strip_suffix('\n').unwrap_or(raw);
        let line = line.strip_suffix('\r').unwrap_or(line);
        (start, line)
    })
}

pub fn parse(file: FileId, text: &str) -> BootConfig {
    let mut config = BootConfig::new(file, Loader::Syslinux);
    let mut menu_stack = vec![0usize];
    let mut menus = 0;
    let mut current: Option<usize> = None;
    let mut in_help = false;
    for (line_start, line) in lines(text) {
        let words = words_of(line, line_start);
        let Some(&(keyword_at, first)) = words.first() else {
            continue;
        };
        let keyword = first.to_ascii_lowercase();
        if in_help {
            in_help = keyword != "endtext";
            continue;
        }
        if first.starts_with('#') {
            continue;
        }
        let keyword_range = TextRange::new(keyword_at, keyword_at + first.len());
        let line_end = line_start + line.trim_end().len();
        // Everything after the keyword, as one verbatim word.
        let rest_word = |from: usize| -> Option<Word> {
            let (at, _) = *words.get(from)?;
            Some(Word::verbatim(file, &text[at..line_end], at))
        };
        if DATA_DIRECTIVES.contains(&keyword.as_str()) {
            if let Some(&(hash_at, _)) = words[1..].iter().find(|(_, word)| word.starts_with('#')) {
                let before = &text[line_start..hash_at];
                let cut_from = line_start + before.trim_end().len();
                config.inline_comments.push(InlineComment {
                    keyword: keyword_range,
                    comment: TextRange::new(hash_at, line_end),
                    cut_from,
                    line_start,
                    indent: line[..keyword_at - line_start].to_string(),
                });
            }
        }
        let menu = *menu_stack.last().unwrap_or(&0);
        match keyword.as_str() {
            "menu" => {
                let sub = words.get(1).map(|(_, w)| w.to_ascii_lowercase());
                match sub.as_deref() {
                    Some("label") => {
                        if let (Some(index), Some(label)) = (current, rest_word(2)) {
                            config.entries[index].menu_label = Some(label);
                        }
                    }
                    Some("default") => {
                        let end = words[1].0 + words[1].1.len();
                        let range = TextRange::new(keyword_at, end);
                        if let Some(index) = current {
                            config.entries[index].menu_default = Some(range);
                        }
                        config.defaults.push(DefaultSetting {
                            kind: DefaultKind::MenuDefault,
                            keyword: range,
                            value: None,
                            menu,
                            entry: current,
                        });
                    }
                    Some("begin") => {
                        menus += 1;
                        menu_stack.push(menus);
                        current = None;
                    }
                    Some("end") => {
                        if menu_stack.len() > 1 {
                            menu_stack.pop();
                        }
                        current = None;
                    }
                    Some("include") => push_file(&mut config, FileKind::Include, &words, 2),
                    Some("background")
                        if words.get(2).is_some_and(|(_, w)| !w.starts_with('#')) =>
                    {
                        push_file(&mut config, FileKind::Other, &words, 2);
                    }
                    _ => {}
                }
            }
            "text" => {
                in_help = words
                    .get(1)
                    .is_some_and(|(_, w)| w.eq_ignore_ascii_case("help"));
            }
            "label" => {
                let name =
                    rest_word(1).unwrap_or_else(|| Word::verbatim(file, "", keyword_range.end));
                let mut entry = Entry::new(name, TextRange::new(keyword_at, line_end));
                entry.menu = menu;
                entry.index = vec![config.entries.len()];
                config.entries.push(entry);
                current = Some(config.entries.len() - 1);
            }
            k if KERNEL_DIRECTIVES.contains(&k) => {
                let (Some(index), Some(&(at, path))) = (current, words.get(1)) else {
                    continue;
                };
                let kind = if k == "config" {
                    FileKind::Include
                } else if k == "com32" || path.to_ascii_lowercase().ends_with(".c32") {
                    FileKind::Module
                } else {
                    FileKind::Kernel
                };
                let word = Word::verbatim(file, path, at);
                if kind == FileKind::Kernel {
                    let entry = &mut config.entries[index];
                    entry.kernel = Some(FileRef { kind, word });
                    // Words after the kernel name are part of its command line.
                    let args_from = at + path.len();
                    add_args(entry, file, &text[args_from..line_end], args_from);
                } else {
                    config.entries[index].boots_kernel = false;
                    config.files.push(FileRef { kind, word });
                }
            }
            "append" => {
                let Some(&(at, _)) = words.get(1) else {
                    continue;
                };
                let args_text = &text[at..line_end];
                match current {
                    Some(index) => {
                        if args_text != "-" {
                            add_args(&mut config.entries[index], file, args_text, at);
                        }
                    }
                    None => config.global_args = split_kernel_words(file, args_text, at),
                }
            }
            "initrd" => {
                if let (Some(index), Some(&(at, paths))) = (current, words.get(1)) {
                    let entry = &mut config.entries[index];
                    entry
                        .initrds
                        .extend(split_initrds(&Word::verbatim(file, paths, at)));
                }
            }
            "localboot" => {
                if let Some(index) = current {
                    config.entries[index].boots_kernel = false;
                }
            }
            "default" | "ontimeout" => {
                let value = words
                    .get(1)
                    .map(|&(at, word)| Word::verbatim(file, word, at));
                if let Some(value) = &value {
                    if value.value.to_ascii_lowercase().ends_with(".c32") {
                        config.menu_ui |= is_menu_module(&value.value);
                        config.files.push(FileRef {
                            kind: FileKind::Module,
                            word: value.clone(),
                        });
                    }
                }
                config.defaults.push(DefaultSetting {
                    kind: if keyword == "default" {
                        DefaultKind::Default
                    } else {
                        DefaultKind::OnTimeout
                    },
                    keyword: keyword_range,
                    value,
                    menu,
                    entry: None,
                });
            }
            "ui" => {
                if let Some(&(_, module)) = words.get(1) {
                    config.menu_ui |= is_menu_module(module);
                }
                push_file(&mut config, FileKind::Module, &words, 1);
            }
            "timeout" | "totaltimeout" => config.timeouts.push(Setting {
                keyword: keyword_range,
                value: words
                    .get(1)
                    .map(|&(at, word)| Word::verbatim(file, word, at)),
            }),
            "include" => push_file(&mut config, FileKind::Include, &words, 1),
            "display" => push_file(&mut config, FileKind::Other, &words, 1),
            _ => {}
        }
    }
    config
}

fn push_file(config: &mut BootConfig, kind: FileKind, words: &[(usize, &str)], at: usize) {
    if let Some(&(start, path)) = words.get(at) {
        config.files.push(FileRef {
            kind,
            word: Word::verbatim(config.file, path, start),
        });
    }
}

/// Adds the kernel arguments in `text` to `entry`, picking out `initrd=`.
fn add_args(entry: &mut Entry, file: FileId, text: &str, start: usize) {
    let words = split_kernel_words(file, text, start);
    for word in &words {
        if word.key().eq_ignore_ascii_case("initrd") {
            if let Some((offset, value)) = word.arg_value() {
                let range = word.source(offset..offset + value.len());
                let paths = Word::verbatim(file, value, range.start);
                entry.initrds.extend(split_initrds(&paths));
            }
        }
    }
    if let Some(last) = words.last() {
        entry.args_end = Some(last.range.end);
    }
    entry.args.extend(words);
}

/// `initrd=a.img,b.img` names several files.
fn split_initrds(word: &Word) -> Vec<FileRef> {
    let mut found = Vec::new();
    let mut offset = 0;
    for part in word.value.split(',') {
        if !part.is_empty() {
            found.push(FileRef {
                kind: FileKind::Initrd,
                word: Word::verbatim(word.file, part, word.range.start + offset),
            });
        }
        offset += part.len() + 1;
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    const STOCK: &str = "default vesamenu.c32\ntimeout 600\n\nmenu title CentOS 7\nmenu color sel 0 #ffffffff #00000000 none\n\nlabel linux\n  menu label ^Install CentOS 7\n  kernel vmlinuz\n  append initrd=initrd.img inst.stage2=hd:LABEL=CentOS\\x207\\x20x86_64 quiet\n\nlabel check\n  menu label Test this ^media & install CentOS 7\n  menu default\n  kernel vmlinuz\n  append initrd=initrd.img inst.stage2=hd:LABEL=CentOS\\x207\\x20x86_64 rd.live.check quiet\n\nmenu separator # insert an empty line\nmenu begin ^Troubleshooting\nlabel rescue\n  text help\n\tlabel inside help\n  endtext\n  KERNEL vmlinuz\n  APPEND initrd=initrd.img rescue\nlabel local\n  localboot 0xffff\nmenu end\n";

    #[test]
    fn parses_a_stock_menu() {
        let config = parse(FileId(0), STOCK);
        let names: Vec<_> = config
            .entries
            .iter()
            .map(|e| e.name.value.as_str())
            .collect();
        assert_eq!(names, ["linux", "check", "rescue", "local"]);
        assert!(config.menu_ui);
        assert!(config.inline_comments.is_empty());
        let check = &config.entries[1];
        assert!(check.menu_default.is_some());
        assert_eq!(
            check.menu_label.as_ref().unwrap().value,
            "Test this ^media & install CentOS 7"
        );
        assert_eq!(check.initrds[0].word.value, "initrd.img");
        let at = check.initrds[0].word.range.start;
        assert_eq!(&STOCK[at..at + 10], "initrd.img");
        assert_eq!(config.entries[2].menu, 1);
        assert_eq!(
            config.entries[2].kernel.as_ref().unwrap().word.value,
            "vmlinuz"
        );
        assert!(!config.entries[3].boots_kernel);
        assert_eq!(config.timeouts[0].value.as_ref().unwrap().value, "600");
        let defaults: Vec<_> = config.defaults.iter().map(|d| d.kind).collect();
        assert_eq!(defaults, [DefaultKind::Default, DefaultKind::MenuDefault]);
        let args: Vec<_> = check.args.iter().map(|a| a.value.as_str()).collect();
        assert_eq!(
            args,
            [
                "initrd=initrd.img",
                "inst.stage2=hd:LABEL=CentOS\\x207\\x20x86_64",
                "rd.live.check",
                "quiet"
            ]
        );
        let end = check.args_end.unwrap();
        assert!(STOCK[..end].ends_with("quiet"));
    }

    #[test]
    fn finds_inline_comments_only_in_data_directives() {
        let text =
            "timeout 30    #Edit time\nlabel a\n  append x=1 # ADD ssh\n  menu label A # shown\n";
        let config = parse(FileId(0), text);
        assert_eq!(config.inline_comments.len(), 2);
        let comment = &config.inline_comments[1];
        assert_eq!(
            &text[comment.comment.start..comment.comment.end],
            "# ADD ssh"
        );
        assert_eq!(&text[comment.cut_from..comment.comment.start], " ");
        assert_eq!(comment.indent, "  ");
    }
}
