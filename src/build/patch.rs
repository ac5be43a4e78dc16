//! Kernel command lines of boot configurations rewritten for the image:
//! `inst.ks=` and `inst.stage2=` pointing at the disc by label, labels
//! following the volume id, arguments added and removed. Only the words
//! concerned change; every other byte of the file stays as it was.
//!
//! Escaping per loader:
//! * the kernel and dracut read `LABEL=` values with udev's `\xNN` escapes,
//!   so a space in the volume id is written `\x20`
//!   ([`escape_label`]);
//! * SYSLINUX passes an `append` line through as written;
//! * GRUB 2 splits words like a shell. A kernel argument with `\xNN`
//!   escapes is written unquoted, as on stock RHEL/CentOS media: Red Hat's
//!   grub2 (the `grubx64.efi` of those media) passes the backslash through.
//!   Upstream GRUB cannot pass a single backslash to the kernel at all (it
//!   drops an unquoted one and doubles a quoted one when it builds the
//!   command line), so such media need a volume id without spaces; the
//!   checks say so (KS4006). Other characters special to GRUB are single
//!   quoted. `search -l` gets the plain volume id, quoted when needed.

use std::ops::Range;

use crate::boot::cmdline::{escape_label, Word};
use crate::boot::model::{BootConfig, Entry, Loader};
use crate::boot::{label_refs, parse};
use crate::source::FileId;

/// What to change on every kernel entry.
#[derive(Clone, Debug, Default)]
pub struct Patch {
    /// The volume id every label follows.
    pub volume_id: String,
    /// Rewrite labels (`LABEL=`, `CDLABEL=`, `search -l`) to the volume id.
    pub relabel: bool,
    /// Path of the kickstart in the image (`ks/ks.cfg`): sets `inst.ks=` and
    /// `inst.stage2=` on every installer entry.
    pub kickstart: Option<String>,
    /// Arguments to add (`KEY=VALUE` replaces an existing `KEY=`).
    pub add: Vec<String>,
    /// Arguments to remove: `KEY` removes `KEY` and every `KEY=…`,
    /// `KEY=VALUE` only that word.
    pub remove: Vec<String>,
}

impl Patch {
    /// Whether the patch changes anything at all.
    pub fn is_empty(&self) -> bool {
        !self.relabel && self.kickstart.is_none() && self.add.is_empty() && self.remove.is_empty()
    }

    fn ks_arg(&self) -> Option<String> {
        self.kickstart.as_ref().map(|path| {
            format!(
                "inst.ks=hd:LABEL={}:/{}",
                escape_label(&self.volume_id),
                path.trim_start_matches('/')
            )
        })
    }

    fn stage2_arg(&self) -> String {
        format!("inst.stage2=hd:LABEL={}", escape_label(&self.volume_id))
    }
}

/// The result of patching one file.
#[derive(Clone, Debug)]
pub struct Patched {
    pub text: String,
    /// One line per change, for the build log.
    pub changes: Vec<String>,
}

/// Option names the installer reads under two spellings.
fn same_option(a: &str, b: &str) -> bool {
    let norm = |k: &str| -> String {
        let k = k.to_ascii_lowercase();
        match k.as_str() {
            "ks" => "inst.ks".into(),
            "stage2" => "inst.stage2".into(),
            "repo" | "method" => "inst.repo".into(),
            _ => k,
        }
    };
    norm(a) == norm(b)
}

fn is_rescue(entry: &Entry) -> bool {
    entry.args.iter().any(|w| {
        matches!(
            w.key().to_ascii_lowercase().as_str(),
            "rescue" | "inst.rescue"
        )
    })
}

/// A kernel argument for the loader: as is for SYSLINUX and GRUB Legacy;
/// for GRUB 2 bare when it holds nothing but plain characters and `\xNN`
/// escapes (see the module documentation), else quoted.
pub fn loader_word(loader: Loader, value: &str) -> String {
    match loader {
        Loader::Grub2 => {
            let without_escapes = strip_hex_escapes(value);
            if without_escapes.contains('\\') {
                grub_quote(value)
            } else if grub_quote(&without_escapes) == without_escapes {
                value.to_string()
            } else {
                grub_quote(value)
            }
        }
        _ => value.to_string(),
    }
}

/// `value` with every `\xNN` replaced by `_` (for classifying characters).
fn strip_hex_escapes(value: &str) -> String {
    let bytes = value.as_bytes();
    let mut out = String::with_capacity(value.len());
    let mut i = 0;
    while i < value.len() {
        if bytes[i] == b'\\'
            && bytes.get(i + 1) == Some(&b'x')
            && bytes.get(i + 2).is_some_and(u8::is_ascii_hexdigit)
            && bytes.get(i + 3).is_some_and(u8::is_ascii_hexdigit)
        {
            out.push('_');
            i += 4;
            continue;
        }
        let ch = value[i..].chars().next().unwrap_or('\0');
        out.push(ch);
        i += ch.len_utf8().max(1);
    }
    out
}

/// `value` as one GRUB 2 word with the same meaning.
pub fn grub_quote(value: &str) -> String {
    let plain = !value.is_empty()
        && value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.,:/=+@%^~".contains(c));
    if plain {
        return value.to_string();
    }
    format!("'{}'", value.replace('\'', "'\\''"))
}

struct Edits {
    list: Vec<(Range<usize>, String)>,
}

impl Edits {
    fn replace(&mut self, range: Range<usize>, text: String) {
        self.list.push((range, text));
    }

    /// Removes a word and the blanks before it.
    fn delete_word(&mut self, text: &str, word: &Word) {
        let mut start = word.range.start;
        let bytes = text.as_bytes();
        while start > 0 && matches!(bytes[start - 1], b' ' | b'\t') {
            start -= 1;
        }
        self.list.push((start..word.range.end, String::new()));
    }

    fn apply(mut self, text: &str) -> Result<String, String> {
        self.list.sort_by_key(|(r, _)| (r.start, r.end));
        for pair in self.list.windows(2) {
            if pair[0].0.end > pair[1].0.start {
                return Err("two changes overlap".into());
            }
        }
        let mut out = String::with_capacity(text.len() + 256);
        let mut at = 0;
        for (range, new) in &self.list {
            out.push_str(&text[at..range.start]);
            out.push_str(new);
            at = range.end;
        }
        out.push_str(&text[at..]);
        Ok(out)
    }
}

/// Applies `patch` to the configuration `text` read by `loader`. `name` is
/// used in the change log. Errors name the line of the problem.
pub fn patch_config(
    name: &str,
    text: &str,
    loader: Loader,
    patch: &Patch,
) -> Result<Patched, String> {
    let parsed = parse(FileId(0), text, loader);
    if let Some(problem) = parsed.config.problems.first() {
        let (line, col) = line_col(text, problem.range.start);
        return Err(format!("{name}:{line}:{col}: {}", problem.message));
    }
    let config: BootConfig = parsed.config;
    let mut edits = Edits { list: Vec::new() };
    let mut changes = Vec::new();
    let ks = patch.ks_arg();
    let stage2 = patch.stage2_arg();

    // Labels of searches (GRUB `search -l`).
    if patch.relabel {
        for search in &config.searches {
            if let (true, Some(word)) = (search.by_label, &search.name) {
                if word.value != patch.volume_id {
                    edits.replace(
                        word.range.start..word.range.end,
                        grub_quote(&patch.volume_id),
                    );
                    let (line, _) = line_col(text, word.range.start);
                    changes.push(format!(
                        "{name}:{line}: search label {:?} -> {:?}",
                        word.value, patch.volume_id
                    ));
                }
            }
        }
    }

    let labels = label_refs(&config);
    for entry in config
        .entries
        .iter()
        .filter(|e| e.kernel.is_some() && e.boots_kernel)
    {
        let rescue = is_rescue(entry);
        // (key, full argument) to end up on the line, in order.
        let mut wanted: Vec<String> = Vec::new();
        if ks.is_some() {
            wanted.push(stage2.clone());
        }
        if let (Some(ks), false) = (&ks, rescue) {
            wanted.push(ks.clone());
        }
        for arg in &patch.add {
            wanted.retain(|w| !same_option(key_of(w), key_of(arg)));
            wanted.push(arg.clone());
        }
        let mut entry_changes = Vec::new();
        for word in &entry.args {
            let key = word.key();
            let removed_by_user = patch.remove.iter().any(|r| {
                if r.contains('=') {
                    word.value == *r
                } else {
                    same_option(key, r)
                }
            });
            let superseded = wanted.iter().any(|w| same_option(key_of(w), key));
            if removed_by_user || superseded {
                edits.delete_word(text, word);
                if removed_by_user {
                    entry_changes.push(format!("-{}", word.value));
                }
                continue;
            }
            if patch.relabel {
                let mut value = word.value.clone();
                let mut changed = false;
                // Label ranges inside this word, last first.
                let mut inside: Vec<&crate::boot::LabelRef> = labels
                    .iter()
                    .filter(|l| l.spec.is_some() && l.word.range == word.range)
                    .collect();
                inside.sort_by_key(|l| std::cmp::Reverse(l.name.start));
                for label in inside {
                    if label.label != patch.volume_id {
                        value.replace_range(label.name.clone(), &escape_label(&patch.volume_id));
                        changed = true;
                    }
                }
                if changed {
                    edits.replace(
                        word.range.start..word.range.end,
                        loader_word(loader, &value),
                    );
                    entry_changes.push(format!("{} -> {value}", word.value));
                }
            }
        }
        if !wanted.is_empty() {
            let rendered: Vec<String> = wanted.iter().map(|w| loader_word(loader, w)).collect();
            let insertion = format!(" {}", rendered.join(" "));
            match entry.args_end {
                Some(end) => edits.replace(end..end, insertion),
                None => {
                    // A SYSLINUX label with a kernel but no append line.
                    let kernel = entry.kernel.as_ref().map_or(0, |k| k.word.range.end);
                    let line_end = text[kernel..].find('\n').map_or(text.len(), |i| kernel + i);
                    let line_start = text[..kernel].rfind('\n').map_or(0, |i| i + 1);
                    let indent: String = text[line_start..]
                        .chars()
                        .take_while(|c| *c == ' ' || *c == '\t')
                        .collect();
                    let append = match loader {
                        Loader::Syslinux => format!("\n{indent}append{insertion}"),
                        _ => insertion.clone(),
                    };
                    let at = if loader == Loader::Syslinux {
                        line_end
                    } else {
                        kernel
                    };
                    edits.replace(at..at, append);
                }
            }
            entry_changes.extend(wanted.iter().map(|w| format!("+{w}")));
        }
        if !entry_changes.is_empty() {
            let (line, _) = line_col(text, entry.header.start);
            changes.push(format!(
                "{name}:{line}: entry {}{}: {}",
                entry.display_name(),
                if rescue && ks.is_some() {
                    " (rescue: no inst.ks)"
                } else {
                    ""
                },
                entry_changes.join(", ")
            ));
        }
    }
    let text = edits
        .apply(text)
        .map_err(|e| format!("{name}: cannot patch: {e}"))?;
    Ok(Patched { text, changes })
}

fn key_of(arg: &str) -> &str {
    arg.split_once('=').map_or(arg, |(k, _)| k)
}

/// 1-based line and column of a byte offset.
pub fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(text.len());
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let col = before.rfind('\n').map_or(offset, |i| offset - i - 1) + 1;
    (line, col)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ks_patch(vol: &str) -> Patch {
        Patch {
            volume_id: vol.into(),
            relabel: true,
            kickstart: Some("ks/ks.cfg".into()),
            ..Patch::default()
        }
    }

    #[test]
    fn syslinux_gets_ks_and_stage2_with_escaped_label() {
        let text = "default linux\nlabel linux\n  kernel vmlinuz\n  append initrd=initrd.img inst.stage2=hd:LABEL=OLD quiet\nlabel rescue\n  kernel vmlinuz\n  append initrd=initrd.img inst.stage2=hd:LABEL=OLD rescue\n";
        let out = patch_config(
            "isolinux.cfg",
            text,
            Loader::Syslinux,
            &ks_patch("My Disc 1"),
        )
        .unwrap();
        assert!(out.text.contains(
            "append initrd=initrd.img quiet inst.stage2=hd:LABEL=My\\x20Disc\\x201 inst.ks=hd:LABEL=My\\x20Disc\\x201:/ks/ks.cfg\n"
        ), "{}", out.text);
        // The rescue entry keeps no kickstart.
        assert!(
            out.text.contains(
                "append initrd=initrd.img rescue inst.stage2=hd:LABEL=My\\x20Disc\\x201\n"
            ),
            "{}",
            out.text
        );
        assert_eq!(out.text.matches("inst.ks=").count(), 1);
    }

    #[test]
    fn grub_quotes_escapes_and_search_label() {
        let text = "set timeout=0\nsearch --no-floppy --set=root -l 'OLD'\nmenuentry 'Install' {\n  linuxefi /images/pxeboot/vmlinuz inst.stage2=hd:LABEL=OLD ks=cdrom:/ks.cfg quiet\n  initrdefi /images/pxeboot/initrd.img\n}\n";
        let out = patch_config("grub.cfg", text, Loader::Grub2, &ks_patch("A B")).unwrap();
        assert!(
            out.text
                .contains("search --no-floppy --set=root -l 'A B'\n"),
            "{}",
            out.text
        );
        assert!(out.text.contains(
            "linuxefi /images/pxeboot/vmlinuz quiet inst.stage2=hd:LABEL=A\\x20B inst.ks=hd:LABEL=A\\x20B:/ks/ks.cfg\n"
        ), "{}", out.text);
        // What Red Hat's GRUB passes to the kernel (as on stock RHEL media),
        // read back with our own parser.
        let parsed = parse(FileId(0), &out.text, Loader::Grub2);
        let args: Vec<String> = parsed.config.entries[0]
            .args
            .iter()
            .map(|w| w.value.clone())
            .collect();
        assert!(
            args.contains(&"inst.ks=hd:LABEL=A\\x20B:/ks/ks.cfg".to_string()),
            "{args:?}"
        );
        // Upstream GRUB would eat those backslashes: KS4006 says so.
        assert_eq!(parsed.eaten_hex.len(), 2);
        // Other specials are quoted.
        assert_eq!(loader_word(Loader::Grub2, "a=$x"), "'a=$x'");
        assert_eq!(loader_word(Loader::Grub2, "a=b\\c"), "'a=b\\c'");
        assert_eq!(loader_word(Loader::Grub2, "a=b\\x2fc"), "a=b\\x2fc");
    }

    #[test]
    fn relabel_only_and_add_remove() {
        let text = "label linux\n  kernel vmlinuz\n  append initrd=initrd.img inst.stage2=hd:LABEL=OLD inst.ks=hd:LABEL=OLD:/ks.cfg quiet rhgb\n";
        let patch = Patch {
            volume_id: "NEW".into(),
            relabel: true,
            kickstart: None,
            add: vec!["console=ttyS0".into(), "inst.text".into()],
            remove: vec!["rhgb".into()],
        };
        let out = patch_config("isolinux.cfg", text, Loader::Syslinux, &patch).unwrap();
        assert_eq!(
            out.text,
            "label linux\n  kernel vmlinuz\n  append initrd=initrd.img inst.stage2=hd:LABEL=NEW inst.ks=hd:LABEL=NEW:/ks.cfg quiet console=ttyS0 inst.text\n"
        );
    }

    #[test]
    fn label_without_append_gets_one() {
        let text = "label linux\n  kernel vmlinuz\nlabel local\n  localboot 0\n";
        let out = patch_config("isolinux.cfg", text, Loader::Syslinux, &ks_patch("X")).unwrap();
        assert_eq!(
            out.text,
            "label linux\n  kernel vmlinuz\n  append inst.stage2=hd:LABEL=X inst.ks=hd:LABEL=X:/ks/ks.cfg\nlabel local\n  localboot 0\n"
        );
    }

    #[test]
    fn unchanged_when_nothing_asked() {
        let text = "label linux\n  kernel vmlinuz\n  append quiet\n";
        let out = patch_config("isolinux.cfg", text, Loader::Syslinux, &Patch::default()).unwrap();
        assert_eq!(out.text, text);
        assert!(out.changes.is_empty());
    }
}
