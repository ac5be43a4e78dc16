//! Editor features of boot configurations (isolinux.cfg, grub.cfg): hover on
//! kernel arguments and loaded files, completion of arguments and of the
//! media's label and kickstarts, links from paths to the files on the media.

use std::path::Path;

use super::boot_args::{self, BootArg, BOOT_ARGS};
use super::{Completion, CompletionKind, Insert, Link};
use crate::analysis::Analysis;
use crate::boot::cmdline::{
    decode_label, escape_label, source_option, DeviceKind, SourceOption, SourceSpec,
};
use crate::boot::model::{FileKind, Loader};
use crate::boot::BootView;
use crate::source::TextRange;

pub(super) fn hover(
    analysis: &Analysis,
    view: &BootView,
    offset: usize,
) -> Option<(TextRange, String)> {
    if let Some(file) = view.file_at(offset) {
        let what = match file.kind {
            FileKind::Kernel => "Kernel",
            FileKind::Initrd => "Initial RAM disk",
            FileKind::Module => "SYSLINUX module",
            FileKind::Include => "Included configuration",
            FileKind::Other => "File",
        };
        let place = match view.resolve_file(&file.word.value) {
            Some(found) => {
                let size = std::fs::metadata(&found)
                    .map(|m| format!(", {} bytes", m.len()))
                    .unwrap_or_default();
                format!("on the media: `{}`{size}", found.display())
            }
            None if file.word.value.contains('$') => {
                "built from a variable; not resolved".to_string()
            }
            None => format!(
                "**not found** under `{}`",
                base_dir(view, &file.word.value).display()
            ),
        };
        return Some((
            file.word.value_range(),
            format!("**{what}** `{}` — {place}", file.word.value),
        ));
    }
    let Some(word) = view.arg_at(offset) else {
        return directive_hover(analysis, view, offset);
    };
    let key = word.key();
    let key_range = word.source(0..key.len());
    let mut markdown = match boot_args::find(key) {
        Some(arg) => boot_args::markdown(arg),
        None => match boot_args::legacy_target(key) {
            Some(arg) => format!(
                "`{key}` is the old spelling of `{}`: RHEL 8 and Fedora 33 warn about it, Fedora 34 and later ignore it.\n\n{}",
                arg.name,
                boot_args::markdown(arg)
            ),
            None => {
                let family = boot_args::family(key)?;
                format!("`{key}` is {family}.")
            }
        },
    };
    if let Some(note) = source_note(view, word) {
        markdown.push_str("\n\n---\n\n");
        markdown.push_str(&note);
    }
    // The option name when the cursor is on it, else the whole argument.
    let range = if key_range.start <= offset && offset <= key_range.end && !key_range.is_empty() {
        key_range
    } else {
        word.range
    };
    Some((range, markdown))
}

/// The directive keyword (`label`, `append`, `search`) under the cursor.
fn directive_hover(
    analysis: &Analysis,
    view: &BootView,
    offset: usize,
) -> Option<(TextRange, String)> {
    let file = analysis.sources.get(analysis.main);
    let offset = offset.min(file.text.len());
    let line = file.line_index.line_of(offset);
    let line_range = file.line_index.line_range(&file.text, line);
    let text = &file.text[line_range.start..line_range.end];
    let indent = text.len() - text.trim_start().len();
    let keyword = text[indent..]
        .split(|c: char| c.is_whitespace() || c == '=')
        .next()?;
    let start = line_range.start + indent;
    let range = TextRange::new(start, start + keyword.len());
    if keyword.is_empty() || offset < range.start || offset > range.end {
        return None;
    }
    let doc = boot_args::directive(view.loader(), keyword)?;
    Some((
        range,
        format!("**{keyword}** ({}) — {doc}", view.loader().name()),
    ))
}

fn base_dir<'v>(view: &'v BootView, path: &str) -> &'v Path {
    if path.starts_with('/') || view.loader() != Loader::Syslinux {
        &view.media.root
    } else {
        &view.config_dir
    }
}

/// For a source argument: what it refers to on this media.
fn source_note(view: &BootView, word: &crate::boot::cmdline::Word) -> Option<String> {
    let option = source_option(word)?;
    let spec = SourceSpec::parse(word, option)?;
    let mut lines = Vec::new();
    if let Some(device) = &spec.device {
        if matches!(
            device.kind,
            DeviceKind::Label | DeviceKind::CdLabel | DeviceKind::ByLabelPath
        ) {
            let label = decode_label(&word.value[device.name.clone()]);
            match &view.volume {
                Some(volume) if volume.value == label => {
                    lines.push(format!("Label `{label}`: matches {}.", volume.describe()))
                }
                Some(volume) => {
                    lines.push(format!("Label `{label}`: **not** {}.", volume.describe()))
                }
                None => lines.push(format!("Label `{label}`.")),
            }
        }
    }
    if let Some(path) = spec.path.clone() {
        let path = &word.value[path];
        match view.source_link(word) {
            Some(link) => lines.push(format!(
                "`{path}` is `{}` on the media.",
                link.target.display()
            )),
            None if crate::boot::spec_on_media(word, &spec, view.volume.as_ref())
                && view.media.confident =>
            {
                lines.push(format!("`{path}` is not on the media."));
            }
            None => {}
        }
    }
    (!lines.is_empty()).then(|| lines.join("\n\n"))
}

/// How many words of an arguments line come before the arguments:
/// `append` takes arguments from its first word on, `linux /vmlinuz` after
/// the kernel. `None` when the line holds no kernel arguments.
fn args_from(loader: Loader, keyword: &str) -> Option<usize> {
    match (loader, keyword.to_ascii_lowercase().as_str()) {
        (Loader::Syslinux, "append") => Some(1),
        (Loader::Grub2, "linux" | "linuxefi" | "linux16") => Some(2),
        (Loader::GrubLegacy, "kernel") => Some(2),
        _ => None,
    }
}

pub(super) fn completions(analysis: &Analysis, view: &BootView, offset: usize) -> Vec<Completion> {
    let file = analysis.sources.get(analysis.main);
    let offset = offset.min(file.text.len());
    if !file.text.is_char_boundary(offset) {
        return Vec::new();
    }
    let line_start = file.line_index.line_start(file.line_index.line_of(offset));
    let before = &file.text[line_start..offset];
    let word_start = before
        .rfind(char::is_whitespace)
        .map_or(line_start, |at| line_start + at + 1);
    let word = &file.text[word_start..offset];
    let replace = TextRange::new(word_start, offset);
    let mut words = before.split_whitespace();
    let Some(keyword) = words.next() else {
        return Vec::new();
    };
    let Some(first_arg) = args_from(view.loader(), keyword) else {
        return Vec::new();
    };
    // Words complete before the cursor's word.
    let done = before[..word_start - line_start].split_whitespace().count();
    if done < first_arg {
        return Vec::new();
    }
    match word.split_once('=') {
        Some((key, value)) => value_completions(view, key, value, replace),
        None => name_completions(view, word, replace),
    }
}

fn name_completions(view: &BootView, typed: &str, replace: TextRange) -> Vec<Completion> {
    BOOT_ARGS
        .iter()
        .filter(|arg| arg.name.starts_with(typed))
        .filter(|arg| view.loader() == Loader::Syslinux || arg.name != "initrd")
        .map(|arg| {
            let insert = match arg.value {
                Some(_) => format!("{}=", arg.name),
                None => arg.name.to_string(),
            };
            Completion {
                label: arg.name.to_string(),
                kind: CompletionKind::Option,
                detail: Some(first_sentence(arg)),
                documentation: Some(boot_args::markdown(arg)),
                insert: Insert::Plain(insert),
                replace,
                deprecated: matches!(arg.name, "ksdevice" | "method" | "askmethod"),
            }
        })
        .collect()
}

fn first_sentence(arg: &BootArg) -> String {
    let summary = arg.summary;
    let end = summary.find(". ").map_or(summary.len(), |at| at + 1);
    summary[..end].to_string()
}

fn value_item(label: String, detail: &str, kind: CompletionKind, replace: TextRange) -> Completion {
    Completion {
        insert: Insert::Plain(label.clone()),
        label,
        kind,
        detail: Some(detail.to_string()),
        documentation: None,
        replace,
        deprecated: false,
    }
}

fn value_completions(
    view: &BootView,
    key: &str,
    value: &str,
    replace: TextRange,
) -> Vec<Completion> {
    let option = match key {
        "inst.ks" | "ks" => Some(SourceOption::Kickstart),
        "inst.stage2" | "stage2" => Some(SourceOption::Stage2),
        "inst.repo" | "repo" => Some(SourceOption::Repo),
        "inst.updates" => Some(SourceOption::Updates),
        "inst.dd" => Some(SourceOption::DriverDisk),
        _ => None,
    };
    let mut items = Vec::new();
    let Some(option) = option else {
        if let Some(arg) = boot_args::find(key) {
            for choice in arg.choices {
                let text = format!("{key}={choice}");
                if text.starts_with(&format!("{key}={value}")) {
                    items.push(value_item(text, arg.name, CompletionKind::Value, replace));
                }
            }
        }
        return items;
    };
    let label = view
        .volume
        .as_ref()
        .map(|volume| escape_label(&volume.value));
    let describe = view
        .volume
        .as_ref()
        .map(|volume| volume.describe())
        .unwrap_or_default();
    match option {
        SourceOption::Kickstart => {
            let kickstarts = view.kickstarts();
            for path in &kickstarts {
                match &label {
                    Some(label) => items.push(value_item(
                        format!("{key}=hd:LABEL={label}:{path}"),
                        &format!("{path} on this media, found by {describe}"),
                        CompletionKind::File,
                        replace,
                    )),
                    None => items.push(Completion {
                        label: format!("{key}=hd:LABEL=…:{path}"),
                        kind: CompletionKind::File,
                        detail: Some(format!(
                            "{path} on this media; no volume id is known: fill in the label and set [iso] volume_id to the same"
                        )),
                        documentation: None,
                        insert: Insert::Snippet(format!("{key}=hd:LABEL=${{1:VOLUME-ID}}:{path}")),
                        replace,
                        deprecated: false,
                    }),
                }
            }
        }
        SourceOption::Stage2 | SourceOption::Repo => {
            if let Some(label) = &label {
                items.push(value_item(
                    format!("{key}=hd:LABEL={label}"),
                    &format!("this media, found by {describe}"),
                    CompletionKind::Value,
                    replace,
                ));
            }
        }
        _ => {}
    }
    for scheme in [
        "hd:LABEL=",
        "hd:UUID=",
        "cdrom",
        "nfs:",
        "http://",
        "https://",
        "ftp://",
    ] {
        items.push(value_item(
            format!("{key}={scheme}"),
            "source type",
            CompletionKind::Value,
            replace,
        ));
    }
    let typed = format!("{key}={value}");
    items.retain(|item| item.label.starts_with(&typed) || value.is_empty());
    items
}

pub(super) fn links(view: &BootView) -> Vec<Link> {
    view.links()
        .into_iter()
        .map(|link| Link {
            range: link.range,
            target: link.target,
            target_range: None,
        })
        .collect()
}

/// The file the path or argument at `offset` names: a kickstart, a kernel…
pub(super) fn definition(view: &BootView, offset: usize) -> Option<Link> {
    let in_range = |range: TextRange| range.start <= offset && offset <= range.end;
    if let Some(word) = view.arg_at(offset) {
        if let Some(link) = view.source_link(word) {
            if link.target.is_file() {
                return Some(Link {
                    range: link.range,
                    target: link.target,
                    target_range: None,
                });
            }
        }
    }
    links(view).into_iter().find(|link| in_range(link.range))
}

/// Where an entry's text ends: its last line with something of its own.
fn entry_end(entry: &crate::boot::model::Entry) -> usize {
    let mut end = entry.header.end.max(entry.name.range.end);
    if let Some(args_end) = entry.args_end {
        end = end.max(args_end);
    }
    for word in entry
        .kernel
        .iter()
        .chain(&entry.initrds)
        .map(|file| &file.word)
        .chain(&entry.args)
        .chain(&entry.menu_label)
    {
        end = end.max(word.range.end);
    }
    if let Some(default) = entry.menu_default {
        end = end.max(default.end);
    }
    end
}

/// The boot entries of the main file, with the kernel each boots.
pub(super) fn symbols(analysis: &Analysis, view: &BootView) -> Vec<super::Symbol> {
    view.config
        .entries
        .iter()
        .filter(|entry| entry.name.file == analysis.main)
        .map(|entry| {
            let name = entry
                .menu_label
                .as_ref()
                .map_or(entry.name.value.clone(), |label| {
                    label.value.replace('^', "")
                });
            super::Symbol {
                name: if name.trim().is_empty() {
                    entry.name.value.clone()
                } else {
                    name
                },
                detail: entry
                    .kernel
                    .as_ref()
                    .map(|kernel| kernel.word.value.clone()),
                kind: super::SymbolKind::Section,
                range: TextRange::new(entry.header.start, entry_end(entry)),
                selection: entry.name.range,
                children: Vec::new(),
            }
        })
        .collect()
}

/// Each boot entry that spans several lines.
pub(super) fn folds(analysis: &Analysis, view: &BootView) -> Vec<super::Fold> {
    let index = &analysis.sources.get(analysis.main).line_index;
    view.config
        .entries
        .iter()
        .filter(|entry| entry.name.file == analysis.main)
        .filter_map(|entry| {
            let start = index.line_of(entry.header.start) as u32;
            let end = index.line_of(entry_end(entry)) as u32;
            (end > start).then_some(super::Fold {
                start_line: start,
                end_line: end,
                kind: super::FoldKind::Region,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use crate::analysis::CheckOptions;
    use crate::source::SourceFile;

    fn analyze(name: &str, text: &str) -> (tempfile::TempDir, crate::analysis::Analysis) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(name);
        std::fs::write(&path, text).unwrap();
        let analysis = crate::boot::analyze(SourceFile::new(&path, text), &CheckOptions::default());
        (dir, analysis)
    }

    fn labels(analysis: &crate::analysis::Analysis, offset: usize) -> Vec<String> {
        crate::ide::completions(analysis, offset)
            .into_iter()
            .map(|item| item.label)
            .collect()
    }

    #[test]
    fn grub_arguments_complete_after_the_kernel_path_only() {
        let text = "menuentry 'x' {\n\tlinuxefi /images/pxeboot/vmlinuz inst.te\n\tinitrdefi /images/pxeboot/initrd.img\n}\n";
        let (_dir, analysis) = analyze("grub.cfg", text);
        let end = text.find(" inst.te").unwrap() + " inst.te".len();
        assert_eq!(labels(&analysis, end), ["inst.text"]);
        // On the kernel path, on the initrd line and on `menuentry`: nothing.
        for at in [
            text.find("/images").unwrap() + 3,
            text.find("initrd.img").unwrap(),
            3,
        ] {
            assert!(labels(&analysis, at).is_empty(), "{at}");
        }
        // `initrd=` is a SYSLINUX argument only.
        let text = "menuentry 'x' {\n\tlinux /vmlinuz init\n}\n";
        let (_dir, analysis) = analyze("grub.cfg", text);
        let end = text.find(" init").unwrap() + " init".len();
        assert!(labels(&analysis, end).is_empty());
    }

    #[test]
    fn choice_values_and_hover_ranges() {
        let text = "label a\n  kernel vmlinuz\n  append inst.loglevel=de console=ttyS0\n";
        let (_dir, analysis) = analyze("isolinux.cfg", text);
        let end = text.find("=de").unwrap() + 3;
        assert_eq!(labels(&analysis, end), ["inst.loglevel=debug"]);
        // On the name: the name's range; on the value: the whole argument.
        let name = text.find("console").unwrap();
        let hover = crate::ide::hover(&analysis, name + 2).unwrap();
        assert_eq!(&text[hover.range.start..hover.range.end], "console");
        assert!(hover.markdown.contains("last one"), "{}", hover.markdown);
        let hover = crate::ide::hover(&analysis, name + 10).unwrap();
        assert_eq!(&text[hover.range.start..hover.range.end], "console=ttyS0");
        // GRUB directives.
        let text =
            "search --no-floppy --set=root -l 'X'\nmenuentry 'x' {\n\tlinuxefi /vmlinuz quiet\n}\n";
        let (_dir, analysis) = analyze("grub.cfg", text);
        let hover = crate::ide::hover(&analysis, 2).unwrap();
        assert!(
            hover.markdown.starts_with("**search** (GRUB 2)"),
            "{}",
            hover.markdown
        );
        let hover = crate::ide::hover(&analysis, text.find("linuxefi").unwrap() + 1).unwrap();
        assert!(hover.markdown.contains("EFI variant"), "{}", hover.markdown);
        assert!(crate::ide::hover(&analysis, text.find("--no-floppy").unwrap()).is_none());
        // Unknown arguments get nothing, unknown `rd.*` a pointer to dracut.
        let text = "label a\n  append frobnicate rd.frob=1\n";
        let (_dir, analysis) = analyze("isolinux.cfg", text);
        assert!(crate::ide::hover(&analysis, text.find("frobnicate").unwrap()).is_none());
        let hover = crate::ide::hover(&analysis, text.find("rd.frob").unwrap()).unwrap();
        assert!(
            hover.markdown.contains("dracut.cmdline(7)"),
            "{}",
            hover.markdown
        );
    }

    #[test]
    fn kickstarts_without_a_volume_id_complete_as_a_label_snippet() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("isolinux")).unwrap();
        std::fs::create_dir_all(dir.path().join("Packages")).unwrap();
        std::fs::write(dir.path().join("auto.ks"), "lang C\n").unwrap();
        let text = "label a\n  kernel vmlinuz\n  append inst.ks=\n";
        let path = dir.path().join("isolinux/isolinux.cfg");
        std::fs::write(&path, text).unwrap();
        let analysis = crate::boot::analyze(SourceFile::new(&path, text), &CheckOptions::default());
        let end = text.find("inst.ks=").unwrap() + "inst.ks=".len();
        let items = crate::ide::completions(&analysis, end);
        let item = items
            .iter()
            .find(|item| item.label == "inst.ks=hd:LABEL=…:/auto.ks")
            .unwrap_or_else(|| panic!("{items:?}"));
        assert_eq!(
            item.insert,
            crate::ide::Insert::Snippet("inst.ks=hd:LABEL=${1:VOLUME-ID}:/auto.ks".to_string())
        );
    }
}
