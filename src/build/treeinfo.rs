//! `.treeinfo` kept true for the image: the stage2 and boot image paths it
//! lists must exist, and the `[checksums]` of files the build changed
//! (`images/efiboot.img` after its `grub.cfg` was patched) are recomputed.
//! Every other line is kept byte for byte.

use std::collections::HashMap;

use sha2::{Digest, Sha256};

/// What the build made of `.treeinfo`.
#[derive(Debug, Default)]
pub struct TreeinfoUpdate {
    /// The new text, when a checksum changed.
    pub text: Option<String>,
    /// Lines for the build log.
    pub notes: Vec<String>,
}

/// Checks `text` (the tree's `.treeinfo`) against the image: `exists`
/// answers whether an image path is in it; `changed` maps image paths to
/// their new content. Errors are `.treeinfo:LINE:COL: message`.
pub fn update(
    text: &str,
    exists: &dyn Fn(&str) -> bool,
    changed: &HashMap<String, Vec<u8>>,
) -> Result<TreeinfoUpdate, Vec<String>> {
    let mut section = String::new();
    let mut errors = Vec::new();
    let mut out = TreeinfoUpdate::default();
    let mut new_text = String::with_capacity(text.len());
    let mut rewrote = false;
    for (index, line) in text.split_inclusive('\n').enumerate() {
        let number = index + 1;
        let trimmed = line.trim();
        if let Some(name) = trimmed.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            section = name.trim().to_ascii_lowercase();
            new_text.push_str(line);
            continue;
        }
        let Some((key, value)) = trimmed.split_once('=') else {
            new_text.push_str(line);
            continue;
        };
        if trimmed.starts_with('#') || trimmed.starts_with(';') {
            new_text.push_str(line);
            continue;
        }
        let key = key.trim();
        let value = value.trim();
        let column = line.find(value).map_or(1, |i| i + 1);
        let lists_path = section == "stage2" || section.starts_with("images-");
        if lists_path && !value.is_empty() && !exists(value) {
            errors.push(format!(
                ".treeinfo:{number}:{column}: [{section}] {key} = {value}: no such file in the image"
            ));
        }
        if section == "checksums" {
            let path = key.trim_start_matches('/');
            if !exists(path) {
                errors.push(format!(
                    ".treeinfo:{number}:1: [checksums] lists {path}, which is not in the image"
                ));
            }
            if let Some(content) = changed.get(path) {
                let sum: String = Sha256::digest(content)
                    .iter()
                    .map(|b| format!("{b:02x}"))
                    .collect();
                let new_value = format!("sha256:{sum}");
                if value != new_value {
                    let eol = &line[line.trim_end().len()..];
                    new_text.push_str(&format!("{key} = {new_value}{eol}"));
                    out.notes.push(format!(
                        ".treeinfo: checksum of {path} updated to {new_value}"
                    ));
                    rewrote = true;
                    continue;
                }
            }
        }
        new_text.push_str(line);
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    if rewrote {
        out.text = Some(new_text);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const TREEINFO: &str = "[general]\nfamily = CentOS\n\n[stage2]\nmainimage = images/install.img\n\n[images-x86_64]\nefiboot.img = images/efiboot.img\nkernel = images/pxeboot/vmlinuz\n\n[checksums]\nimages/efiboot.img = sha256:00\nimages/pxeboot/vmlinuz = sha256:11\n";

    #[test]
    fn recomputes_changed_and_keeps_the_rest() {
        let exists = |_: &str| true;
        let mut changed = HashMap::new();
        changed.insert("images/efiboot.img".to_string(), b"abc".to_vec());
        let out = update(TREEINFO, &exists, &changed).unwrap();
        let text = out.text.unwrap();
        assert!(text.contains(
            "images/efiboot.img = sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad\n"
        ));
        assert!(text.contains("images/pxeboot/vmlinuz = sha256:11\n"));
        assert_eq!(text.lines().count(), TREEINFO.lines().count());
        // Nothing changed: no new text.
        let out = update(TREEINFO, &exists, &HashMap::new()).unwrap();
        assert!(out.text.is_none());
    }

    #[test]
    fn missing_paths_are_errors_with_positions() {
        let exists = |p: &str| p != "images/install.img";
        let errors = update(TREEINFO, &exists, &HashMap::new()).unwrap_err();
        assert_eq!(
            errors,
            vec![".treeinfo:5:13: [stage2] mainimage = images/install.img: no such file in the image"]
        );
    }
}
