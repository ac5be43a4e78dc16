//! `textDocument/publishDiagnostics` messages written straight to bytes,
//! reusing each diagnostic's JSON from the document's previous publish when
//! nothing that goes into it changed.
//!
//! After a keystroke almost every diagnostic of a long document is what it
//! was, though maybe a few lines lower. Converting ~540 of them to LSP types
//! and serialising them again took about 1.1 ms of every edit on the
//! benchmark (0.6 ms converting, 0.5 ms serialising). A fragment is the
//! JSON after the diagnostic's `range`, which is written afresh: a
//! diagnostic moved by an edit above it, or another one saying the same
//! elsewhere, reuses it.

use std::collections::HashMap;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::sync::{Mutex, MutexGuard};

use tower_lsp::lsp_types::notification::{Notification, PublishDiagnostics};
use tower_lsp::lsp_types::{Range, Url};

use super::convert;
use crate::analysis::Analysis;
use crate::diagnostic::Diagnostic;
use crate::source::ColumnUnit;

/// The JSON after the `range` of each diagnostic of one document's last
/// publish, by a hash of everything that JSON is made of (see
/// `Publish::fragment_key`).
#[derive(Default)]
pub(super) struct Fragments(Mutex<HashMap<u64, Vec<u8>>>);

impl Fragments {
    /// The keys of the fragments kept.
    #[cfg(test)]
    pub fn keys(&self) -> std::collections::HashSet<u64> {
        self.lock().keys().copied().collect()
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<u64, Vec<u8>>> {
        // The map is replaced whole: a panic elsewhere leaves it usable.
        self.0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// What the language server publishes for the main file of `analysis`.
pub(super) struct Publish<'a> {
    pub analysis: &'a Analysis,
    pub uri: &'a Url,
    pub unit: ColumnUnit,
    pub docs_url: &'a str,
    pub version: Option<i32>,
}

impl Publish<'_> {
    /// The whole message (without the header framing), the same JSON as
    /// serialising the converted diagnostics. Keeps in `fragments` the JSON
    /// after the range of this publish's diagnostics only.
    pub fn message(&self, fragments: &Fragments) -> Vec<u8> {
        // Two analyses of one document may overlap: the one that finds the
        // map taken converts everything, which is only slower.
        let mut previous = std::mem::take(&mut *fragments.lock());
        let mut kept: HashMap<u64, Vec<u8>> = HashMap::with_capacity(previous.len());
        let base = self.base_key();
        // Each fragment, plus its range of about 60 bytes.
        let fragments_len: usize = previous.values().map(|f| f.len() + 64).sum();
        let mut out = Vec::with_capacity(256 + fragments_len);
        out.extend_from_slice(br#"{"jsonrpc":"2.0","method":""#);
        out.extend_from_slice(PublishDiagnostics::METHOD.as_bytes());
        out.extend_from_slice(br#"","params":{"uri":"#);
        serde_json::to_writer(&mut out, self.uri).expect("a URL serialises");
        out.extend_from_slice(br#","diagnostics":["#);
        for (n, diagnostic) in self.main_diagnostics().enumerate() {
            if n > 0 {
                out.push(b',');
            }
            let key = self.fragment_key(base.clone(), diagnostic);
            let range = self.range(diagnostic);
            let after_range = match kept.get(&key) {
                Some(fragment) => fragment,
                None => match previous.remove(&key) {
                    Some(fragment) => kept.entry(key).or_insert(fragment),
                    None => {
                        let whole = self.serialise(diagnostic);
                        match after_range(&whole, range) {
                            Some(fragment) => kept.entry(key).or_insert(fragment.to_vec()),
                            // Not in the expected shape: sent as it is.
                            None => {
                                out.extend_from_slice(&whole);
                                continue;
                            }
                        }
                    }
                },
            };
            out.extend_from_slice(RANGE_FIELD);
            serde_json::to_writer(&mut out, &range).expect("a range serialises");
            out.extend_from_slice(after_range);
        }
        out.push(b']');
        if let Some(version) = self.version {
            out.extend_from_slice(br#","version":"#);
            out.extend_from_slice(version.to_string().as_bytes());
        }
        out.extend_from_slice(b"}}");
        *fragments.lock() = kept;
        out
    }

    fn main_diagnostics(&self) -> impl Iterator<Item = &Diagnostic> {
        let main = self.analysis.main;
        self.analysis
            .diagnostics
            .iter()
            .filter(move |diagnostic| diagnostic.location.file == main)
    }

    fn range(&self, diagnostic: &Diagnostic) -> Range {
        let file = self.analysis.sources.get(diagnostic.location.file);
        convert::range(file, diagnostic.location.range, self.unit)
    }

    fn serialise(&self, diagnostic: &Diagnostic) -> Vec<u8> {
        let converted = convert::diagnostic(
            self.analysis,
            self.uri,
            diagnostic,
            self.unit,
            self.docs_url,
        );
        serde_json::to_vec(&converted).expect("LSP types serialise")
    }

    /// What every diagnostic of this publish shares.
    fn base_key(&self) -> DefaultHasher {
        let mut hasher = DefaultHasher::new();
        self.uri.as_str().hash(&mut hasher);
        (self.unit as u8).hash(&mut hasher);
        self.docs_url.hash(&mut hasher);
        hasher
    }

    /// A hash of everything [`convert::diagnostic`] reads of `diagnostic`
    /// but its range, with the ranges of its related information as the
    /// client counts them.
    fn fragment_key(&self, mut hasher: DefaultHasher, diagnostic: &Diagnostic) -> u64 {
        let sources = &self.analysis.sources;
        diagnostic.rule.code.hash(&mut hasher);
        diagnostic.rule.name.hash(&mut hasher);
        diagnostic.severity.hash(&mut hasher);
        diagnostic.message.hash(&mut hasher);
        diagnostic.tags.hash(&mut hasher);
        diagnostic.external.hash(&mut hasher);
        diagnostic.related.len().hash(&mut hasher);
        for related in &diagnostic.related {
            let other = sources.get(related.location.file);
            (related.location.file == self.analysis.main).hash(&mut hasher);
            other.path.hash(&mut hasher);
            hash_range(
                &mut hasher,
                convert::range(other, related.location.range, self.unit),
            );
            related.message.hash(&mut hasher);
        }
        hasher.finish()
    }
}

/// How a serialised diagnostic starts: its range comes first.
const RANGE_FIELD: &[u8] = br#"{"range":"#;

/// The JSON of a serialised diagnostic after its `range`, when it starts
/// with `range` as [`RANGE_FIELD`] and `range` serialised.
fn after_range(whole: &[u8], range: Range) -> Option<&[u8]> {
    let rest = whole.strip_prefix(RANGE_FIELD)?;
    let range = serde_json::to_vec(&range).expect("a range serialises");
    rest.strip_prefix(range.as_slice())
}

fn hash_range(hasher: &mut DefaultHasher, range: Range) {
    let (start, end) = (range.start, range.end);
    (start.line, start.character, end.line, end.character).hash(hasher);
}
