//! Module metadata (EL8+ modularity) carried from the source media into
//! the project: `init` keeps each repository's `modules` record as a file
//! of the project directory, `collect` narrows it to the module streams
//! whose packages it copied, and `kslint repo` turns the file back into the
//! repository's `modules` record. Without that record dnf and anaconda
//! hide every package of a module stream (`.module+…` releases).
//!
//! The file is a YAML stream of documents (`modulemd`, `modulemd-defaults`,
//! `modulemd-obsoletes`, …), each opened by `---` and closed by `...`. We
//! only cut it into documents and read the few keys that decide which to
//! keep; kept documents are copied byte for byte.

use std::collections::{BTreeSet, HashSet};
use std::path::{Path, PathBuf};

use super::init::{repo_path, REPO_BASES};
use super::{AssembleError, Source};

/// The project file holding the module metadata of repository `base`
/// (`""` for the root repository, `BaseOS`, `AppStream`).
pub fn module_file(project: &Path, base: &str) -> PathBuf {
    if base.is_empty() {
        project.join("modules.yaml")
    } else {
        project.join(format!("{base}.modules.yaml"))
    }
}

/// One YAML document of a modules stream.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ModuleDocument {
    /// The text of the document, `---` and `...` lines included.
    pub text: String,
    /// `document:` (`modulemd`, `modulemd-defaults`, …).
    pub kind: String,
    /// The module it is about (`data: name:` or `data: module:`).
    pub module: Option<String>,
    /// `data: stream:` of a `modulemd` document.
    pub stream: Option<String>,
    /// `data: artifacts: rpms:` — `name-epoch:version-release.arch`.
    pub artifacts: Vec<String>,
}

/// Cuts a modules YAML stream into documents. An error names the line:
/// a stream without any `document:` key is not module metadata.
pub fn parse(text: &str) -> Result<Vec<ModuleDocument>, String> {
    let mut documents = Vec::new();
    let mut current = String::new();
    let mut closed = false;
    for line in text.split_inclusive('\n') {
        let bare = line.trim_end();
        let opens = bare == "---" || bare.starts_with("--- ");
        if (opens || closed) && !current.trim().is_empty() {
            documents.push(document(std::mem::take(&mut current)));
        } else if opens || closed {
            current.clear();
        }
        closed = bare == "...";
        current.push_str(line);
    }
    if !current.trim().is_empty() {
        if !current.ends_with('\n') {
            current.push('\n');
        }
        documents.push(document(current));
    }
    if let Some((at, _)) = documents
        .iter()
        .enumerate()
        .find(|(_, d)| d.kind.is_empty())
    {
        let line = documents[..at]
            .iter()
            .map(|d| d.text.lines().count())
            .sum::<usize>()
            + 1;
        return Err(format!(
            "line {line}: a YAML document without a `document:` key is not module metadata"
        ));
    }
    Ok(documents)
}

/// Reads the keys of one document (top level `document:`, then `name`,
/// `module`, `stream` and the `artifacts: rpms:` list under `data:`).
fn document(text: String) -> ModuleDocument {
    let mut doc = ModuleDocument {
        text: String::new(),
        kind: String::new(),
        module: None,
        stream: None,
        artifacts: Vec::new(),
    };
    let mut in_data = false;
    let mut data_indent = None;
    // Indent of `artifacts:`, and of `rpms:` below it while inside the list.
    let mut artifacts_indent: Option<usize> = None;
    let mut rpms_indent: Option<usize> = None;
    for line in text.lines() {
        let trimmed = line.trim_start();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        let indent = line.len() - trimmed.len();
        if indent == 0 {
            in_data = trimmed.starts_with("data:");
            data_indent = None;
            artifacts_indent = None;
            rpms_indent = None;
            if let Some(value) = trimmed.strip_prefix("document:") {
                doc.kind = scalar(value);
            }
            continue;
        }
        if !in_data {
            continue;
        }
        let data_level = *data_indent.get_or_insert(indent);
        if artifacts_indent.is_some_and(|at| indent <= at) {
            artifacts_indent = None;
            rpms_indent = None;
        }
        if rpms_indent.is_some_and(|at| indent <= at && !trimmed.starts_with("- ")) {
            rpms_indent = None;
        }
        if indent == data_level {
            let (key, value) = trimmed.split_once(':').unwrap_or((trimmed, ""));
            match key {
                "name" | "module" => doc.module = Some(scalar(value)),
                "stream" => doc.stream = Some(scalar(value)),
                "artifacts" => artifacts_indent = Some(indent),
                _ => {}
            }
        } else if artifacts_indent.is_some() && rpms_indent.is_none() && trimmed == "rpms:" {
            rpms_indent = Some(indent);
        } else if let (Some(_), Some(item)) = (rpms_indent, trimmed.strip_prefix("- ")) {
            doc.artifacts.push(scalar(item));
        }
    }
    doc.text = text;
    doc
}

/// A plain or quoted YAML scalar.
fn scalar(value: &str) -> String {
    let value = value.trim();
    let value = value
        .strip_prefix('"')
        .and_then(|v| v.strip_suffix('"'))
        .or_else(|| value.strip_prefix('\'').and_then(|v| v.strip_suffix('\'')))
        .unwrap_or(value);
    value.to_string()
}

/// What [`filter`] kept.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Filtered {
    pub text: String,
    /// `module:stream` of the kept `modulemd` documents, and of all.
    pub kept_streams: BTreeSet<String>,
    pub all_streams: BTreeSet<String>,
}

/// The documents about module streams with at least one artifact among
/// `present` (`name-epoch:version-release.arch` of the repository's RPMs),
/// and the other documents (defaults, obsoletes) of the modules kept.
pub fn filter(documents: &[ModuleDocument], present: &HashSet<String>) -> Filtered {
    let stream_name = |doc: &ModuleDocument| {
        format!(
            "{}:{}",
            doc.module.as_deref().unwrap_or("?"),
            doc.stream.as_deref().unwrap_or("?")
        )
    };
    let mut out = Filtered::default();
    let mut kept_modules = HashSet::new();
    for doc in documents.iter().filter(|d| d.kind == "modulemd") {
        out.all_streams.insert(stream_name(doc));
        if doc.artifacts.iter().any(|a| present.contains(a)) {
            out.kept_streams.insert(stream_name(doc));
            kept_modules.insert(doc.module.clone());
        }
    }
    for doc in documents {
        let keep = if doc.kind == "modulemd" {
            doc.artifacts.iter().any(|a| present.contains(a))
        } else {
            kept_modules.contains(&doc.module)
        };
        if keep {
            out.text.push_str(&doc.text);
        }
    }
    out
}

/// The artifact name of a package: `name-epoch:version-release.arch`.
pub fn artifact(package: &crate::media::Package) -> String {
    format!(
        "{}-{}:{}-{}.{}",
        package.name, package.epoch, package.version, package.release, package.arch
    )
}

/// The module metadata of each repository of the source that has a
/// `modules` record: (repository base, decompressed text).
pub fn read_source(source: &Source) -> Result<Vec<(String, String)>, AssembleError> {
    let mut out = Vec::new();
    for base in REPO_BASES {
        let Some(repomd) = source.repomd(base)? else {
            continue;
        };
        let Some(record) = repomd.record("modules") else {
            continue;
        };
        let path = repo_path(base, &record.href);
        let at = |what: &str| format!("{}: {path}: {what}", source.describe());
        let plain = source.repo_file(base, &record.href)?;
        let text = String::from_utf8(plain).map_err(|_| AssembleError::new(at("not UTF-8")))?;
        parse(&text).map_err(|e| AssembleError::new(at(&e.to_string())))?;
        out.push((base.to_string(), text));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const STREAM: &str = "---
document: modulemd
version: 2
data:
  name: nginx
  stream: \"1.20\"
  version: 8060020220101
  artifacts:
    rpms:
    - nginx-1:1.20.1-1.module+el8.6.0+1+abc.x86_64
    - nginx-1:1.20.1-1.module+el8.6.0+1+abc.src
...
---
document: modulemd
version: 2
data:
  name: perl
  stream: '5.30'
  artifacts:
    rpms:
    - perl-4:5.30.1-1.module+el8.6.0+2+def.x86_64
...
---
document: modulemd-defaults
version: 1
data:
  module: nginx
  stream: \"1.20\"
...
";

    #[test]
    fn documents_and_their_keys() {
        let docs = parse(STREAM).unwrap();
        assert_eq!(docs.len(), 3);
        assert_eq!(docs[0].kind, "modulemd");
        assert_eq!(docs[0].module.as_deref(), Some("nginx"));
        assert_eq!(docs[0].stream.as_deref(), Some("1.20"));
        assert_eq!(
            docs[0].artifacts,
            [
                "nginx-1:1.20.1-1.module+el8.6.0+1+abc.x86_64",
                "nginx-1:1.20.1-1.module+el8.6.0+1+abc.src"
            ]
        );
        assert_eq!(docs[1].stream.as_deref(), Some("5.30"));
        assert_eq!(docs[2].kind, "modulemd-defaults");
        assert_eq!(docs[2].module.as_deref(), Some("nginx"));
        assert!(docs[2].artifacts.is_empty());
        assert_eq!(
            docs.iter().map(|d| d.text.as_str()).collect::<String>(),
            STREAM
        );
    }

    #[test]
    fn filtering_keeps_streams_with_present_artifacts_and_their_defaults() {
        let docs = parse(STREAM).unwrap();
        let present: HashSet<String> =
            ["nginx-1:1.20.1-1.module+el8.6.0+1+abc.x86_64".to_string()].into();
        let kept = filter(&docs, &present);
        assert_eq!(
            kept.kept_streams.into_iter().collect::<Vec<_>>(),
            ["nginx:1.20"]
        );
        assert_eq!(kept.all_streams.len(), 2);
        assert_eq!(kept.text, format!("{}{}", docs[0].text, docs[2].text));
        assert!(filter(&docs, &HashSet::new()).text.is_empty());
    }

    #[test]
    fn text_without_documents_is_an_error_with_a_line() {
        let error = parse("---\nfoo: bar\n...\n").unwrap_err();
        assert!(error.starts_with("line 1:"), "{error}");
        assert!(parse("").unwrap().is_empty());
    }
}
