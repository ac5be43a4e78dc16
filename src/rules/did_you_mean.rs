//! Did-you-mean for names typed by hand: package and group names in
//! `%packages`, section keywords, boot menu labels. [`suggest`] compares a
//! word with every candidate; [`NearNames`] finds the candidates one edit
//! away without that, which is what a language server needs when every
//! keystroke in `%packages` makes a new unknown name to compare with
//! thousands.

use std::hash::{DefaultHasher, Hash, Hasher};

use crate::catalog::edit_distance_within;

/// Did-you-mean: the candidate closest to `word` by edit distance, if it is
/// close enough to be a plausible typo.
pub fn suggest<'c>(word: &str, candidates: impl IntoIterator<Item = &'c str>) -> Option<&'c str> {
    let length = word.chars().count();
    let limit = (length / 3).clamp(1, 3);
    // Asked with thousands of package names per keystroke: one table and
    // one decoded word for all candidates, bytes when both are ASCII.
    let word_chars: Vec<char> = word.chars().collect();
    let mut table = Vec::new();
    let mut candidate_chars = Vec::new();
    let mut bytes = ByteCounts::of(word.as_bytes());
    candidates
        .into_iter()
        // The distance is at least the difference in length: skip the
        // table for names that cannot be close enough.
        .filter(|candidate| candidate.chars().count().abs_diff(length) <= limit)
        .filter_map(|candidate| {
            let distance = if word.is_ascii() && candidate.is_ascii() {
                // Names of one length (`pkg0123`, `pkg0456`) pass the
                // length test; most differ in too many characters.
                if bytes.distance_bound(candidate.as_bytes()) > limit {
                    return None;
                }
                edit_distance_within(word.as_bytes(), candidate.as_bytes(), limit, &mut table)
            } else {
                candidate_chars.clear();
                candidate_chars.extend(candidate.chars());
                edit_distance_within(&word_chars, &candidate_chars, limit, &mut table)
            };
            distance.map(|distance| (distance, candidate))
        })
        .min_by_key(|&(distance, candidate)| (distance, candidate.len()))
        .map(|(_, candidate)| candidate)
}

/// How often each byte occurs in a word, to bound its edit distance to
/// others cheaply.
struct ByteCounts {
    counts: [i32; 256],
    len: usize,
}

impl ByteCounts {
    fn of(word: &[u8]) -> Self {
        let mut counts = [0; 256];
        for &byte in word {
            counts[usize::from(byte)] += 1;
        }
        ByteCounts {
            counts,
            len: word.len(),
        }
    }

    /// A lower bound of the edit distance between the word and `other`:
    /// an insertion or deletion changes the byte counts by one, a
    /// substitution by two, a swap not at all, so the distance is at least
    /// half the number of bytes the two do not have in common.
    fn distance_bound(&mut self, other: &[u8]) -> usize {
        let mut unshared = self.len;
        for &byte in other {
            let count = &mut self.counts[usize::from(byte)];
            if *count > 0 {
                unshared -= 1;
            } else {
                unshared += 1;
            }
            *count -= 1;
        }
        for &byte in other {
            self.counts[usize::from(byte)] += 1;
        }
        unshared.div_ceil(2)
    }
}

/// The names one edit (an insertion, a deletion, a substitution or a swap of
/// neighbours) away from a word, found through keys instead of a comparison
/// with every name.
///
/// Each name is filed under itself and under every way of deleting one of
/// its characters; so is the word when it is looked up. Two strings at most
/// one edit apart always share a key: the same string, one is the other
/// with a character deleted, both with the changed character deleted, or
/// both with one of the swapped characters deleted (the first from one, the
/// second from the other). Keys are stored as hashes, so a lookup can also
/// return names further away; callers measure the distance of what it finds.
#[derive(Debug, Default)]
pub struct NearNames {
    /// (hash of a key, index of the name it was made from), sorted.
    keys: Vec<(u64, usize)>,
}

impl NearNames {
    /// Files `names` (indices in the order given).
    pub fn new<'c>(names: impl IntoIterator<Item = &'c str>) -> NearNames {
        let mut keys = Vec::new();
        let mut scratch = String::new();
        for (index, name) in names.into_iter().enumerate() {
            for_each_key(name, &mut scratch, |hash| keys.push((hash, index)));
        }
        keys.sort_unstable();
        keys.dedup();
        NearNames { keys }
    }

    /// The indices of the names that share a key with `word`: every name
    /// at most one edit away, perhaps others; sorted, each once.
    pub fn candidates(&self, word: &str) -> Vec<usize> {
        let mut found = Vec::new();
        let mut scratch = String::new();
        for_each_key(word, &mut scratch, |hash| {
            let start = self.keys.partition_point(|&(key, _)| key < hash);
            let filed = self.keys[start..]
                .iter()
                .take_while(|&&(key, _)| key == hash);
            found.extend(filed.map(|&(_, index)| index));
        });
        found.sort_unstable();
        found.dedup();
        found
    }
}

/// Calls `found` with the hash of `word` and of `word` without each of its
/// characters in turn.
fn for_each_key(word: &str, scratch: &mut String, mut found: impl FnMut(u64)) {
    found(key_hash(word));
    for (at, deleted) in word.char_indices() {
        scratch.clear();
        scratch.push_str(&word[..at]);
        scratch.push_str(&word[at + deleted.len_utf8()..]);
        found(key_hash(scratch));
    }
}

fn key_hash(key: &str) -> u64 {
    // Fixed keys: the same hashes in every process.
    let mut hasher = DefaultHasher::new();
    key.hash(&mut hasher);
    hasher.finish()
}

/// [`suggest`] among `count` names, the `i`-th of which is `name(i)`, with
/// `near` built from the same names in the same order. The same answer,
/// found among the few candidates `near` gives whenever one of them is at
/// most one edit away (a typo usually is); only otherwise are all names
/// compared.
pub fn suggest_near<'c>(
    word: &str,
    near: &NearNames,
    count: usize,
    name: impl Fn(usize) -> &'c str,
) -> Option<&'c str> {
    let word_chars: Vec<char> = word.chars().collect();
    let mut candidate_chars = Vec::new();
    let mut table = Vec::new();
    // `suggest` keeps the first of the closest, shortest candidates: the
    // index breaks the remaining ties the same way.
    let closest = near
        .candidates(word)
        .into_iter()
        .filter(|&index| index < count)
        .filter_map(|index| {
            let candidate = name(index);
            candidate_chars.clear();
            candidate_chars.extend(candidate.chars());
            let distance = edit_distance_within(&word_chars, &candidate_chars, 1, &mut table)?;
            Some(((distance, candidate.len(), index), candidate))
        })
        .min_by_key(|&(rank, _)| rank);
    match closest {
        Some((_, candidate)) => Some(candidate),
        None => suggest(word, (0..count).map(name)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn byte_counts_bound_the_edit_distance() {
        let words = [
            "pkg0123", "pkg0132", "pkg0456", "kpg0123", "pkg012", "", "aab", "abb",
        ];
        let mut table = Vec::new();
        for a in words {
            let mut counts = ByteCounts::of(a.as_bytes());
            for b in words {
                let distance = edit_distance_within(a.as_bytes(), b.as_bytes(), 99, &mut table);
                let bound = counts.distance_bound(b.as_bytes());
                assert!(Some(bound) <= distance, "{a} {b}: {bound} {distance:?}");
            }
            assert_eq!(counts.counts, ByteCounts::of(a.as_bytes()).counts);
        }
    }

    #[test]
    fn suggests_close_names_only() {
        let sections = ["%packages", "%post", "%pre", "%pre-install"];
        assert_eq!(suggest("%pakages", sections), Some("%packages"));
        assert_eq!(suggest("%psot", sections), Some("%post"));
        assert_eq!(suggest("%frobnicate", sections), None);
    }

    /// Every way to change `word` by one edit, over `alphabet`.
    fn one_edit_away(word: &str, alphabet: &[char]) -> Vec<String> {
        let chars: Vec<char> = word.chars().collect();
        let joined = |v: &[char]| v.iter().collect::<String>();
        let mut out = Vec::new();
        for at in 0..=chars.len() {
            for &c in alphabet {
                let mut v = chars.clone();
                v.insert(at, c);
                out.push(joined(&v));
                if at < chars.len() {
                    let mut v = chars.clone();
                    v[at] = c;
                    out.push(joined(&v));
                }
            }
            if at < chars.len() {
                let mut v = chars.clone();
                v.remove(at);
                out.push(joined(&v));
            }
            if at + 1 < chars.len() {
                let mut v = chars.clone();
                v.swap(at, at + 1);
                out.push(joined(&v));
            }
        }
        out
    }

    #[test]
    fn near_names_find_every_name_one_edit_away() {
        let alphabet = ['a', 'b', 'é', '-', '0'];
        let names = ["", "a", "ab", "aab", "bé-0", "ééa", "pkg0123", "a-b-a"];
        let near = NearNames::new(names);
        for (index, name) in names.iter().enumerate() {
            for typo in one_edit_away(name, &alphabet) {
                assert!(
                    near.candidates(&typo).contains(&index),
                    "`{typo}` does not lead to `{name}`"
                );
            }
        }
        // And not to everything: a word with nothing in common.
        assert_eq!(near.candidates("zzzzzz"), Vec::<usize>::new());
    }

    #[test]
    fn suggest_near_answers_a_typo_among_package_names() {
        let names: Vec<String> = (0..4000).map(|i| format!("pkg{i:04}")).collect();
        let near = NearNames::new(names.iter().map(String::as_str));
        let name = |i: usize| names[i].as_str();
        assert_eq!(
            suggest_near("pkg01234", &near, names.len(), name),
            Some("pkg0123")
        );
        assert_eq!(
            suggest_near("pkgx0123", &near, names.len(), name),
            Some("pkg0123")
        );
        // Two edits: no candidate one edit away, so the whole list decides.
        assert_eq!(
            suggest_near("pkx0x23", &near, names.len(), name),
            suggest("pkx0x23", names.iter().map(String::as_str))
        );
    }

    fn word() -> impl Strategy<Value = String> {
        proptest::collection::vec(
            proptest::sample::select(vec!['a', 'b', 'c', 'é', '-', '1']),
            0..9,
        )
        .prop_map(|chars| chars.into_iter().collect())
    }

    proptest! {
        /// The index changes how the answer is found, never the answer.
        #[test]
        fn suggest_near_agrees_with_suggest(
            names in proptest::collection::vec(word(), 0..40),
            typed in word(),
            typo_of in any::<prop::sample::Index>(),
            edits in proptest::collection::vec((0usize..4, any::<prop::sample::Index>(), proptest::sample::select(vec!['a', 'c', 'é', 'z'])), 0..3),
        ) {
            // Half of the words are a few edits from a name, as typos are.
            let mut word: Vec<char> = if names.is_empty() || edits.is_empty() {
                typed.chars().collect()
            } else {
                typo_of.get(&names).chars().collect()
            };
            for (kind, at, c) in edits {
                let at = if word.is_empty() { 0 } else { at.index(word.len()) };
                match kind {
                    0 => word.insert(at, c),
                    1 if !word.is_empty() => { word.remove(at); }
                    2 if !word.is_empty() => word[at] = c,
                    3 if at + 1 < word.len() => word.swap(at, at + 1),
                    _ => {}
                }
            }
            let word: String = word.into_iter().collect();
            let near = NearNames::new(names.iter().map(String::as_str));
            let fast = suggest_near(&word, &near, names.len(), |i| names[i].as_str());
            prop_assert_eq!(fast, suggest(&word, names.iter().map(String::as_str)));
        }
    }
}
