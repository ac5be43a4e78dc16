//! Results of earlier analyses of one document that the next analysis may
//! reuse. A language server checks the whole document after every
//! keystroke, but an edit changes one section: the findings of every other
//! `%pre`/`%post` section and of `%packages` stay what they were, only moved
//! by the edit. A [`Memo`] remembers them by the text they were computed
//! from (never by position), and hands them back shifted to where that text
//! is now.
//!
//! A memo belongs to one document of one client; the command line never
//! uses one. Whatever the checks read besides the text (the media index,
//! settings, files on disk) is either part of the key or a reason for the
//! owner to [`clear`](Memo::clear) the memo.

use std::collections::HashMap;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::sync::{Arc, Mutex, MutexGuard};

use crate::diagnostic::Diagnostic;
use crate::media::MediaIndex;
use crate::scripts::TreeCache;
use crate::source::{FileId, TextRange};

/// Entries not used by this many analyses in a row are dropped.
const KEEP_GENERATIONS: u64 = 2;

/// The reusable results of one document.
#[derive(Default)]
pub struct Memo {
    inner: Mutex<Inner>,
    /// The syntax trees of recent script bodies.
    trees: TreeCache,
}

impl std::fmt::Debug for Memo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let inner = self.lock();
        f.debug_struct("Memo")
            .field("entries", &inner.entries.len())
            .field("generation", &inner.generation)
            .finish()
    }
}

#[derive(Default)]
struct Inner {
    /// Bumped by every analysis that uses the memo.
    generation: u64,
    entries: HashMap<u64, Entry>,
    /// The media index the entries were computed against. Holding it keeps
    /// its address from being reused by another index while keys name it.
    media: Option<Arc<MediaIndex>>,
}

struct Entry {
    value: Arc<dyn std::any::Any + Send + Sync>,
    /// Where the text of each part was when the value was computed.
    spans: Vec<(FileId, TextRange)>,
    used: u64,
}

impl Memo {
    fn lock(&self) -> MutexGuard<'_, Inner> {
        // Entries are inserted whole: a panic elsewhere leaves them usable.
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Trees of script bodies parsed before, to re-parse edited ones
    /// incrementally.
    pub fn trees(&self) -> &TreeCache {
        &self.trees
    }

    /// Forgets everything, e.g. after files on disk or settings changed.
    pub fn clear(&self) {
        let mut inner = self.lock();
        inner.entries.clear();
        inner.media = None;
    }

    /// Starts an analysis against `media`: entries of another media index
    /// are dropped, and so are entries no recent analysis used.
    pub fn begin(&self, media: Option<&Arc<MediaIndex>>) {
        let mut inner = self.lock();
        let same_media = match (&inner.media, media) {
            (Some(old), Some(new)) => Arc::ptr_eq(old, new),
            (None, None) => true,
            _ => false,
        };
        if !same_media {
            inner.entries.clear();
            inner.media = media.cloned();
        }
        inner.generation += 1;
        let oldest = inner.generation.saturating_sub(KEEP_GENERATIONS);
        inner.entries.retain(|_, entry| entry.used >= oldest);
    }

    /// The value stored under `key`, computed for parts whose text is now
    /// at `spans` (same count and order as when stored), with `relocate`
    /// applied to move its positions there. `None` when absent, or when
    /// `relocate` cannot place it.
    pub fn get<T: Send + Sync + 'static>(
        &self,
        key: u64,
        spans: &[(FileId, TextRange)],
    ) -> Option<(Arc<T>, Relocation)> {
        let mut inner = self.lock();
        let generation = inner.generation;
        let entry = inner.entries.get_mut(&key)?;
        let relocation = Relocation::between(&entry.spans, spans)?;
        entry.used = generation;
        let value = entry.value.clone().downcast::<T>().ok()?;
        Some((value, relocation))
    }

    /// Stores `value`, computed for parts whose text is at `spans`.
    pub fn insert<T: Send + Sync + 'static>(
        &self,
        key: u64,
        spans: Vec<(FileId, TextRange)>,
        value: Arc<T>,
    ) {
        let mut inner = self.lock();
        let used = inner.generation;
        inner.entries.insert(key, Entry { value, spans, used });
    }
}

/// `compute()`, or what `memo` keeps under `key` for parts now at `spans`,
/// moved there by `relocate`. A computed value is kept for the next time.
/// Without a memo, always `compute()`.
pub fn remember<T: Clone + Send + Sync + 'static>(
    memo: Option<&Memo>,
    key: u64,
    spans: Vec<(FileId, TextRange)>,
    relocate: impl FnOnce(&Relocation, &T) -> T,
    compute: impl FnOnce() -> T,
) -> T {
    let Some(memo) = memo else { return compute() };
    if let Some((value, relocation)) = memo.get::<T>(key, &spans) {
        return relocate(&relocation, &value);
    }
    let value = compute();
    memo.insert(key, spans, Arc::new(value.clone()));
    value
}

/// How positions move from where a memo entry was computed to where its
/// text is now: each part keeps its length and moves as a whole.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Relocation {
    /// (file, old span, new start) of every part that moved.
    moves: Vec<(FileId, TextRange, usize)>,
}

impl Relocation {
    fn between(old: &[(FileId, TextRange)], new: &[(FileId, TextRange)]) -> Option<Self> {
        if old.len() != new.len() {
            return None;
        }
        let mut moves = Vec::new();
        for (&(old_file, old_span), &(new_file, new_span)) in old.iter().zip(new) {
            if old_file != new_file || old_span.len() != new_span.len() {
                return None;
            }
            if old_span.start != new_span.start {
                moves.push((old_file, old_span, new_span.start));
            }
        }
        Some(Relocation { moves })
    }

    /// Whether nothing moved.
    pub fn is_identity(&self) -> bool {
        self.moves.is_empty()
    }

    /// `range` of `file` at its new place. A range inside a part moves with
    /// it; any other range stays (it must then come from the key).
    pub fn range(&self, file: FileId, range: TextRange) -> TextRange {
        for &(moved_file, span, new_start) in &self.moves {
            // An empty range at a part's end (an insertion point after its
            // last line) belongs to the part as well.
            let inside = span.start <= range.start && range.end <= span.end;
            if moved_file == file && inside {
                let shift = |at: usize| at - span.start + new_start;
                return TextRange::new(shift(range.start), shift(range.end));
            }
        }
        range
    }

    /// Copies of `diagnostics` with every position relocated.
    pub fn diagnostics(&self, diagnostics: &[Diagnostic]) -> Vec<Diagnostic> {
        let mut moved = diagnostics.to_vec();
        if self.is_identity() {
            return moved;
        }
        for diagnostic in &mut moved {
            let location = &mut diagnostic.location;
            location.range = self.range(location.file, location.range);
            for related in &mut diagnostic.related {
                let location = &mut related.location;
                location.range = self.range(location.file, location.range);
            }
            for edit in diagnostic.fix.iter_mut().flat_map(|fix| &mut fix.edits) {
                edit.range = self.range(edit.file, edit.range);
            }
        }
        moved
    }
}

/// A hasher for memo keys. Keys only need to tell texts apart within one
/// document's lifetime; a collision would show stale findings until the
/// next edit, so the full 64 bits of SipHash are plenty.
#[derive(Clone, Default)]
pub struct KeyHasher(DefaultHasher);

impl KeyHasher {
    pub fn new(kind: &str) -> Self {
        let mut hasher = KeyHasher::default();
        hasher.add(kind);
        hasher
    }

    pub fn add(&mut self, value: impl Hash) -> &mut Self {
        value.hash(&mut self.0);
        self
    }

    pub fn finish(&self) -> u64 {
        self.0.finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn span(start: usize, end: usize) -> (FileId, TextRange) {
        (FileId(0), TextRange::new(start, end))
    }

    #[test]
    fn ranges_move_with_their_part_only() {
        let relocation =
            Relocation::between(&[span(10, 20), span(30, 40)], &[span(15, 25), span(30, 40)])
                .unwrap();
        assert_eq!(
            relocation.range(FileId(0), TextRange::new(12, 14)),
            TextRange::new(17, 19)
        );
        assert_eq!(
            relocation.range(FileId(0), TextRange::empty(20)),
            TextRange::empty(25)
        );
        assert_eq!(
            relocation.range(FileId(0), TextRange::new(32, 33)),
            TextRange::new(32, 33)
        );
        assert_eq!(
            relocation.range(FileId(1), TextRange::new(12, 14)),
            TextRange::new(12, 14)
        );
    }

    #[test]
    fn parts_that_changed_length_do_not_match() {
        assert_eq!(Relocation::between(&[span(10, 20)], &[span(10, 21)]), None);
        assert_eq!(Relocation::between(&[span(10, 20)], &[]), None);
    }

    #[test]
    fn unused_entries_are_dropped() {
        let memo = Memo::default();
        memo.begin(None);
        memo.insert(1, vec![span(0, 1)], Arc::new(1u32));
        memo.insert(2, vec![span(0, 1)], Arc::new(2u32));
        for _ in 0..KEEP_GENERATIONS + 1 {
            memo.begin(None);
            assert!(memo.get::<u32>(1, &[span(5, 6)]).is_some());
        }
        assert!(memo.get::<u32>(2, &[span(0, 1)]).is_none());
        assert_eq!(*memo.get::<u32>(1, &[span(0, 1)]).unwrap().0, 1);
    }
}
