//! The package index of one media tree: every package with its capabilities,
//! rpm's version comparison, and a resolver for `Requires` (versioned, file,
//! virtual, rich) over the packages on the media.

use std::cmp::Ordering;
use std::collections::{HashMap, HashSet};
use std::sync::OnceLock;

/// A fast non-cryptographic hasher (the multiply-rotate scheme of rustc's
/// FxHash) for the index's string-keyed tables: SipHash dominated the time
/// of a warm load.
#[derive(Clone, Copy, Debug, Default)]
pub struct FastHasher(u64);

impl FastHasher {
    fn add(&mut self, word: u64) {
        self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
}

impl std::hash::Hasher for FastHasher {
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for chunk in &mut chunks {
            let mut word = [0u8; 8];
            word.copy_from_slice(chunk);
            self.add(u64::from_le_bytes(word));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut word = [0u8; 8];
            word[..rest.len()].copy_from_slice(rest);
            self.add(u64::from_le_bytes(word));
        }
    }

    fn write_u8(&mut self, n: u8) {
        self.add(u64::from(n));
    }

    fn write_usize(&mut self, n: usize) {
        self.add(n as u64);
    }

    /// Mixes the high bits into the low ones (murmur3's finaliser): the
    /// table picks buckets by the low bits, which the multiplication alone
    /// leaves equal for strings with a common prefix.
    fn finish(&self) -> u64 {
        let mut h = self.0;
        h ^= h >> 33;
        h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
        h ^= h >> 33;
        h = h.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
        h ^ (h >> 33)
    }
}

/// An empty table with room for `n` keys.
fn table<V>(n: usize) -> FastMap<u64, V> {
    FastMap::with_capacity_and_hasher(n, Default::default())
}

/// The [`FastHasher`] hash of a string, the key of the index's tables.
fn key(text: &str) -> u64 {
    use std::hash::Hasher;
    let mut hasher = FastHasher::default();
    hasher.write(text.as_bytes());
    hasher.finish()
}

/// A `HashMap` with [`FastHasher`].
pub type FastMap<K, V> = HashMap<K, V, std::hash::BuildHasherDefault<FastHasher>>;

/// `RPMSENSE_*` comparison bits as stored in headers and primary.xml.
pub mod sense {
    pub const LESS: u32 = 1 << 1;
    pub const GREATER: u32 = 1 << 2;
    pub const EQUAL: u32 = 1 << 3;
    pub const MASK: u32 = LESS | GREATER | EQUAL;
    /// `Requires(pre)`, `(post)` …: still hard requirements for us.
    pub const RPMLIB: u32 = 1 << 24;
}

/// One dependency: a capability name and an optional version constraint.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Dep {
    pub name: String,
    /// `sense::*` bits (only the comparison part matters here).
    pub flags: u32,
    /// `[epoch:]version[-release]`, empty when unversioned.
    pub version: String,
}

impl Dep {
    pub fn new(name: impl Into<String>, flags: u32, version: impl Into<String>) -> Self {
        Dep {
            name: name.into(),
            flags,
            version: version.into(),
        }
    }

    pub fn is_versioned(&self) -> bool {
        self.flags & sense::MASK != 0 && !self.version.is_empty()
    }

    /// `rpmlib(...)` requirements are satisfied by rpm itself; `config(...)`,
    /// `user(...)` and `group(...)` come from the package or the system.
    pub fn is_builtin(&self) -> bool {
        self.name.starts_with("rpmlib(") || self.name.starts_with("auto(")
    }

    pub fn is_rich(&self) -> bool {
        self.name.starts_with('(')
    }
}

impl std::fmt::Display for Dep {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.name)?;
        if self.is_versioned() {
            let op = match self.flags & sense::MASK {
                x if x == sense::LESS => "<",
                x if x == sense::GREATER => ">",
                x if x == sense::EQUAL => "=",
                x if x == sense::LESS | sense::EQUAL => "<=",
                x if x == sense::GREATER | sense::EQUAL => ">=",
                _ => "?",
            };
            write!(f, " {op} {}", self.version)?;
        }
        Ok(())
    }
}

/// One package on the media, from its RPM header or from primary.xml.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Package {
    pub name: String,
    pub epoch: u32,
    pub version: String,
    pub release: String,
    pub arch: String,
    pub summary: String,
    pub provides: Vec<Dep>,
    pub requires: Vec<Dep>,
    pub conflicts: Vec<Dep>,
    pub obsoletes: Vec<Dep>,
    pub files: Vec<String>,
    /// Path relative to the media root, e.g. `Packages/bash-4.2-1.x86_64.rpm`.
    pub location: String,
    /// Size of the `.rpm` file in bytes (0 when unknown).
    pub size: u64,
}

impl Package {
    pub fn evr(&self) -> String {
        if self.epoch == 0 {
            format!("{}-{}", self.version, self.release)
        } else {
            format!("{}:{}-{}", self.epoch, self.version, self.release)
        }
    }

    pub fn nevra(&self) -> String {
        format!("{}-{}.{}", self.name, self.evr(), self.arch)
    }

    pub fn is_source(&self) -> bool {
        self.arch == "src" || self.arch == "nosrc"
    }
}

/// rpm's `rpmvercmp`: compares two version (or release) strings segment by
/// segment; digits beat letters, `~` sorts before anything (even the end),
/// `^` sorts after the end but before any further segment.
pub fn rpmvercmp(a: &str, b: &str) -> Ordering {
    if a == b {
        return Ordering::Equal;
    }
    let (mut one, mut two) = (a.as_bytes(), b.as_bytes());
    let separator = |c: u8| !c.is_ascii_alphanumeric() && c != b'~' && c != b'^';
    while !one.is_empty() || !two.is_empty() {
        while one.first().is_some_and(|&c| separator(c)) {
            one = &one[1..];
        }
        while two.first().is_some_and(|&c| separator(c)) {
            two = &two[1..];
        }
        let (c1, c2) = (one.first().copied(), two.first().copied());
        if c1 == Some(b'~') || c2 == Some(b'~') {
            if c1 != Some(b'~') {
                return Ordering::Greater;
            }
            if c2 != Some(b'~') {
                return Ordering::Less;
            }
            one = &one[1..];
            two = &two[1..];
            continue;
        }
        if c1 == Some(b'^') || c2 == Some(b'^') {
            if c1.is_none() {
                return Ordering::Less;
            }
            if c2.is_none() {
                return Ordering::Greater;
            }
            if c1 != Some(b'^') {
                return Ordering::Greater;
            }
            if c2 != Some(b'^') {
                return Ordering::Less;
            }
            one = &one[1..];
            two = &two[1..];
            continue;
        }
        if one.is_empty() || two.is_empty() {
            break;
        }
        let numeric = one[0].is_ascii_digit();
        let take = |s: &[u8]| {
            s.iter()
                .take_while(|c| {
                    if numeric {
                        c.is_ascii_digit()
                    } else {
                        c.is_ascii_alphabetic()
                    }
                })
                .count()
        };
        let (n1, n2) = (take(one), take(two));
        if n2 == 0 {
            // Segments of different kinds: a number is newer than letters.
            return if numeric {
                Ordering::Greater
            } else {
                Ordering::Less
            };
        }
        let (mut s1, mut s2) = (&one[..n1], &two[..n2]);
        if numeric {
            while s1.len() > 1 && s1[0] == b'0' {
                s1 = &s1[1..];
            }
            while s2.len() > 1 && s2[0] == b'0' {
                s2 = &s2[1..];
            }
            match s1.len().cmp(&s2.len()) {
                Ordering::Equal => {}
                other => return other,
            }
        }
        match s1.cmp(s2) {
            Ordering::Equal => {}
            other => return other,
        }
        one = &one[n1..];
        two = &two[n2..];
    }
    match (one.is_empty(), two.is_empty()) {
        (true, true) => Ordering::Equal,
        (true, false) => Ordering::Less,
        _ => Ordering::Greater,
    }
}

/// `[epoch:]version[-release]` split into its parts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Evr<'a> {
    pub epoch: Option<u32>,
    pub version: &'a str,
    pub release: Option<&'a str>,
}

impl<'a> Evr<'a> {
    pub fn parse(text: &'a str) -> Evr<'a> {
        let (epoch, rest) = match text.split_once(':') {
            Some((epoch, rest)) if epoch.bytes().all(|b| b.is_ascii_digit()) => {
                (epoch.parse().ok(), rest)
            }
            _ => (None, text),
        };
        let (version, release) = match rest.rsplit_once('-') {
            Some((version, release)) => (version, Some(release).filter(|r| !r.is_empty())),
            None => (rest, None),
        };
        Evr {
            epoch,
            version,
            release,
        }
    }

    /// rpm's EVR comparison: a missing epoch is 0; the release is compared
    /// only when both sides have one (`foo >= 1.0` matches any `1.0-x`).
    pub fn compare(&self, other: &Evr) -> Ordering {
        let epoch = self.epoch.unwrap_or(0).cmp(&other.epoch.unwrap_or(0));
        if epoch != Ordering::Equal {
            return epoch;
        }
        let version = rpmvercmp(self.version, other.version);
        if version != Ordering::Equal {
            return version;
        }
        match (self.release, other.release) {
            (Some(a), Some(b)) => rpmvercmp(a, b),
            _ => Ordering::Equal,
        }
    }
}

/// Whether a provide `(pflags, pversion)` satisfies a require
/// `(rflags, rversion)` of the same name, by rpm's range overlap rules.
pub fn ranges_overlap(provide: &Dep, require: &Dep) -> bool {
    if !provide.is_versioned() || !require.is_versioned() {
        return true;
    }
    evr_ranges_overlap(provide.flags, &Evr::parse(&provide.version), require)
}

/// [`ranges_overlap`] for a versioned provide given as flags and a parsed
/// EVR, so that a package's self-provide needs no formatted string.
fn evr_ranges_overlap(provide_flags: u32, provide: &Evr, require: &Dep) -> bool {
    if !require.is_versioned() {
        return true;
    }
    let (p, r) = (provide_flags & sense::MASK, require.flags & sense::MASK);
    let order = provide.compare(&Evr::parse(&require.version));
    match order {
        Ordering::Less => p & sense::GREATER != 0 || r & sense::LESS != 0,
        Ordering::Greater => p & sense::LESS != 0 || r & sense::GREATER != 0,
        Ordering::Equal => {
            (p & sense::EQUAL != 0 && r & sense::EQUAL != 0)
                || (p & sense::LESS != 0 && r & sense::LESS != 0)
                || (p & sense::GREATER != 0 && r & sense::GREATER != 0)
        }
    }
}

/// Index into the packages of a [`PackageIndex`].
pub type PkgId = usize;

/// Packages on the media with lookup tables for names, capabilities and files.
#[derive(Debug, Default)]
pub struct PackageIndex {
    pub packages: Vec<Package>,
    /// Tables keyed by the [`key`] hash of a string; entries are checked
    /// against the package data on lookup, so nothing is copied.
    by_name: FastMap<u64, Vec<PkgId>>,
    /// Capability name → (package, index into its `provides`).
    provides: FastMap<u64, Vec<(PkgId, u32)>>,
    files: FastMap<u64, Vec<(PkgId, u32)>>,
    /// Obsoleted name → (package, index into its `obsoletes`).
    obsoletes: FastMap<u64, Vec<(PkgId, u32)>>,
    /// The architecture most packages are built for (`x86_64`), the one a
    /// plain name in `%packages` installs.
    pub primary_arch: String,
    /// False when file lists are partial (primary.xml without filelists):
    /// unresolved file requirements are then not reported.
    pub complete_files: bool,
    /// Did-you-mean answers already computed: a language server asks for
    /// the same unknown names after every edit, and each answer compares
    /// the name with every package name.
    suggestions: std::sync::Mutex<HashMap<String, Option<String>>>,
    /// The providers of every plain requirement, built on the first
    /// closure: a language server computes one after each `%packages` edit
    /// that changes the selection, and looking the same requirements up in
    /// the capability tables every time was most of its cost.
    requirement_providers: OnceLock<RequirementProviders>,
    /// Every package sorted by name, then id, built on the first closure.
    name_order: OnceLock<Vec<PkgId>>,
    /// One package of each name, in the order [`PackageIndex::names`]
    /// gives them.
    named: OnceLock<Vec<PkgId>>,
    /// [`PackageIndex::names`] filed by their one-edit neighbours: a typo's
    /// answer without comparing it with every name. Built once
    /// [`NEAR_NAMES_AFTER`] answers were found the slow way, so that a
    /// one-off check with a few unknown names does not pay for it.
    near_names: OnceLock<crate::rules::NearNames>,
    /// Did-you-mean answers found by comparing with every name.
    slow_answers: std::sync::atomic::AtomicUsize,
}

/// [`PackageIndex::providers`] of every plain (not built-in, not rich)
/// requirement of every package, in one flat list; the slots of built-in
/// and rich requirements are empty.
#[derive(Debug, Default)]
struct RequirementProviders {
    /// Per package, the index of its first requirement's slot; one more
    /// entry at the end.
    first_slot: Vec<u32>,
    /// Per slot, where its providers start in `providers`; one more entry
    /// at the end.
    slot_start: Vec<u32>,
    providers: Vec<u32>,
    /// Per slot, what kind of requirement it is, so that a closure reads
    /// the requirement itself only when it is rich (reading every `Dep` of
    /// every member to tell was most of a closure's time).
    kind: Vec<SlotKind>,
}

/// What a requirement slot of [`RequirementProviders`] holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum SlotKind {
    /// A capability, file or package name: its providers are in the table.
    Plain,
    /// `rpmlib(…)` and the like: always met, pulls nothing.
    Builtin,
    /// A rich dependency: what satisfies it depends on what is installed.
    Rich,
}

impl RequirementProviders {
    fn build(index: &PackageIndex) -> Self {
        let mut table = RequirementProviders::default();
        for package in &index.packages {
            table.first_slot.push(table.slot_start.len() as u32);
            for dep in &package.requires {
                table.slot_start.push(table.providers.len() as u32);
                let kind = if dep.is_builtin() {
                    SlotKind::Builtin
                } else if dep.is_rich() {
                    SlotKind::Rich
                } else {
                    SlotKind::Plain
                };
                table.kind.push(kind);
                if kind == SlotKind::Plain {
                    let found = index.providers(dep).into_iter().map(|id| id as u32);
                    table.providers.extend(found);
                }
            }
        }
        table.first_slot.push(table.slot_start.len() as u32);
        table.slot_start.push(table.providers.len() as u32);
        table
    }

    /// The slots of package `id`'s requirements, in their order.
    fn slots(&self, id: PkgId) -> std::ops::Range<usize> {
        self.first_slot[id] as usize..self.first_slot[id + 1] as usize
    }

    fn of_slot(&self, slot: usize) -> &[u32] {
        let (start, end) = (self.slot_start[slot], self.slot_start[slot + 1]);
        &self.providers[start as usize..end as usize]
    }
}

/// From this many packages on, [`PackageIndex::new`] uses two threads.
const PARALLEL_INDEX_PACKAGES: usize = 1000;

/// `(first(), second())`, on two threads when `parallel`.
fn both<A: Send, B>(
    parallel: bool,
    first: impl FnOnce() -> A + Send,
    second: impl FnOnce() -> B,
) -> (A, B) {
    if !parallel {
        return (first(), second());
    }
    std::thread::scope(|scope| {
        let first = scope.spawn(first);
        let second = second();
        match first.join() {
            Ok(first) => (first, second),
            Err(panic) => std::panic::resume_unwind(panic),
        }
    })
}

/// The architecture most binary packages are built for, `noarch` when none.
fn primary_arch(packages: &[Package]) -> String {
    let mut arch_counts: HashMap<&str, usize> = HashMap::new();
    for package in packages {
        if package.arch != "noarch" && !package.is_source() {
            *arch_counts.entry(&package.arch).or_default() += 1;
        }
    }
    arch_counts
        .into_iter()
        .max_by_key(|&(arch, count)| (count, std::cmp::Reverse(arch)))
        .map(|(arch, _)| arch.to_string())
        .unwrap_or_else(|| "noarch".to_string())
}

/// Name → binary packages of that name, in package order.
fn name_table(packages: &[Package]) -> FastMap<u64, Vec<PkgId>> {
    let mut table: FastMap<u64, Vec<PkgId>> = table(packages.len());
    for (id, package) in packages.iter().enumerate() {
        if !package.is_source() {
            table.entry(key(&package.name)).or_default().push(id);
        }
    }
    table
}

/// Name of each item of `list(package)` → (package, index in the list),
/// over the binary packages in order.
fn entry_table<T>(
    packages: &[Package],
    list: impl Fn(&Package) -> &[T],
    name: impl Fn(&T) -> &str,
) -> FastMap<u64, Vec<(PkgId, u32)>> {
    let mut table: FastMap<u64, Vec<(PkgId, u32)>> =
        table(packages.iter().map(|p| list(p).len()).sum());
    for (id, package) in packages.iter().enumerate() {
        if package.is_source() {
            continue;
        }
        for (n, item) in list(package).iter().enumerate() {
            table
                .entry(key(name(item)))
                .or_default()
                .push((id, n as u32));
        }
    }
    table
}

/// Did-you-mean answers a [`PackageIndex`] finds by comparing with every
/// name before it builds its one-edit index: building it costs about as
/// much as 14 such answers (3.3 ms against 0.24 ms among 4,300 names).
const NEAR_NAMES_AFTER: usize = 16;

/// Did-you-mean answers a [`PackageIndex`] keeps at most.
const MAX_SUGGESTIONS: usize = 10_000;

impl PackageIndex {
    pub fn new(packages: Vec<Package>, complete_files: bool) -> Self {
        // The file table is as big as the three others together: on a
        // large media tree it is built on a second thread.
        let (files, (by_name, provides, obsoletes)) = both(
            packages.len() >= PARALLEL_INDEX_PACKAGES,
            || entry_table(&packages, |p| &p.files, String::as_str),
            || {
                (
                    name_table(&packages),
                    entry_table(&packages, |p| &p.provides, |d| d.name.as_str()),
                    entry_table(&packages, |p| &p.obsoletes, |d| d.name.as_str()),
                )
            },
        );
        PackageIndex {
            primary_arch: primary_arch(&packages),
            complete_files,
            by_name,
            provides,
            files,
            obsoletes,
            packages,
            suggestions: Default::default(),
            requirement_providers: OnceLock::new(),
            name_order: OnceLock::new(),
            named: OnceLock::new(),
            near_names: OnceLock::new(),
            slow_answers: Default::default(),
        }
    }

    pub fn len(&self) -> usize {
        self.packages.len()
    }

    pub fn is_empty(&self) -> bool {
        self.packages.is_empty()
    }

    pub fn get(&self, id: PkgId) -> &Package {
        &self.packages[id]
    }

    /// Package names, each once (for globs and did-you-mean).
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.named()
            .iter()
            .map(|&id| self.packages[id].name.as_str())
    }

    /// One package of each name, in the order of [`PackageIndex::names`].
    fn named(&self) -> &[PkgId] {
        // Asked once per unknown name a user types: deduplicated once.
        self.named.get_or_init(|| {
            let mut seen = std::collections::HashSet::new();
            self.by_name
                .values()
                .flatten()
                .copied()
                .filter(|&id| seen.insert(self.packages[id].name.as_str()))
                .collect()
        })
    }

    /// The package name closest to `name` (see [`crate::rules::suggest`]),
    /// remembered for this index.
    pub fn suggest(&self, name: &str) -> Option<String> {
        let cached = |suggestions: &HashMap<String, Option<String>>| suggestions.get(name).cloned();
        if let Some(answer) = self.suggestions.lock().ok().as_deref().and_then(cached) {
            return answer;
        }
        let answer = match self.near_names() {
            Some(near) => {
                let named = self.named();
                crate::rules::suggest_near(name, near, named.len(), |i| {
                    self.packages[named[i]].name.as_str()
                })
            }
            None => crate::rules::suggest(name, self.names()),
        }
        .map(str::to_string);
        if let Ok(mut suggestions) = self.suggestions.lock() {
            // Bounded: typing produces a new unknown name per keystroke.
            if suggestions.len() >= MAX_SUGGESTIONS {
                suggestions.clear();
            }
            suggestions.insert(name.to_string(), answer.clone());
        }
        answer
    }

    /// The one-edit index of the names, once [`NEAR_NAMES_AFTER`] answers
    /// were found without it.
    fn near_names(&self) -> Option<&crate::rules::NearNames> {
        use std::sync::atomic::Ordering;
        if let Some(near) = self.near_names.get() {
            return Some(near);
        }
        if self.slow_answers.fetch_add(1, Ordering::Relaxed) < NEAR_NAMES_AFTER {
            return None;
        }
        Some(
            self.near_names
                .get_or_init(|| crate::rules::NearNames::new(self.names())),
        )
    }

    /// The (binary) packages named `name`.
    pub fn by_name(&self, name: &str) -> Vec<PkgId> {
        self.by_name
            .get(&key(name))
            .into_iter()
            .flatten()
            .copied()
            .filter(|&id| self.packages[id].name == name)
            .collect()
    }

    fn has_name(&self, name: &str) -> bool {
        self.by_name
            .get(&key(name))
            .is_some_and(|ids| ids.iter().any(|&id| self.packages[id].name == name))
    }

    /// What a plain `name` (or `name.arch`) line installs: the newest
    /// package of that name for the primary architecture (or noarch), or any
    /// architecture when only others exist.
    pub fn best_by_name(&self, spec: &str) -> Vec<PkgId> {
        let (name, arch) = match self.has_name(spec) {
            true => (spec, None),
            false => match spec.rsplit_once('.') {
                Some((name, arch)) if self.has_name(name) => (name, Some(arch)),
                _ => return Vec::new(),
            },
        };
        let candidates = self.by_name(name);
        let chosen: Vec<PkgId> = match arch {
            Some(arch) => candidates
                .iter()
                .copied()
                .filter(|&id| self.packages[id].arch == arch)
                .collect(),
            None => {
                let preferred: Vec<PkgId> = candidates
                    .iter()
                    .copied()
                    .filter(|&id| {
                        let a = &self.packages[id].arch;
                        *a == self.primary_arch || a == "noarch"
                    })
                    .collect();
                if preferred.is_empty() {
                    candidates.to_vec()
                } else {
                    preferred
                }
            }
        };
        self.newest(chosen)
    }

    /// Keeps the newest package per architecture.
    fn newest(&self, ids: Vec<PkgId>) -> Vec<PkgId> {
        let mut best: HashMap<&str, PkgId> = HashMap::new();
        for id in ids {
            let package = &self.packages[id];
            match best.get(package.arch.as_str()) {
                Some(&other) if compare_packages(&self.packages[other], package).is_ge() => {}
                _ => {
                    best.insert(&package.arch, id);
                }
            }
        }
        let mut ids: Vec<PkgId> = best.into_values().collect();
        ids.sort_unstable();
        ids
    }

    /// Packages that provide `dep` (by name, virtual provide, self-provide or
    /// file), each once. Rich dependencies are not handled here.
    pub fn providers(&self, dep: &Dep) -> Vec<PkgId> {
        let mut found = Vec::new();
        self.each_provider(dep, |id| {
            found.push(id);
            false
        });
        found.sort_unstable();
        found.dedup();
        found
    }

    /// The first package (in lookup order, not id order) that provides `dep`
    /// and passes `accept`. The resolver asks "is there one?" for every
    /// requirement of every installed package: this answers without
    /// collecting, sorting or allocating.
    pub fn find_provider(&self, dep: &Dep, accept: impl Fn(PkgId) -> bool) -> Option<PkgId> {
        let mut hit = None;
        self.each_provider(dep, |id| {
            let accepted = accept(id);
            if accepted {
                hit = Some(id);
            }
            accepted
        });
        hit
    }

    /// Calls `visit` with each provider of `dep` (a package may come more
    /// than once) until it returns true.
    fn each_provider(&self, dep: &Dep, mut visit: impl FnMut(PkgId) -> bool) {
        // All three tables are keyed by the same hash: compute it once.
        let name_key = key(&dep.name);
        if let Some(list) = self.provides.get(&name_key) {
            for &(id, n) in list {
                let provide = &self.packages[id].provides[n as usize];
                if provide.name == dep.name && ranges_overlap(provide, dep) && visit(id) {
                    return;
                }
            }
        }
        // Every package provides itself at its own EVR, even when the header
        // (e.g. a primary.xml subset) does not list it.
        if let Some(ids) = self.by_name.get(&name_key) {
            for &id in ids {
                let package = &self.packages[id];
                if package.name != dep.name {
                    continue;
                }
                let own = Evr {
                    epoch: Some(package.epoch),
                    version: &package.version,
                    release: Some(package.release.as_str()).filter(|r| !r.is_empty()),
                };
                if evr_ranges_overlap(sense::EQUAL, &own, dep) && visit(id) {
                    return;
                }
            }
        }
        if dep.name.starts_with('/') {
            if let Some(list) = self.files.get(&name_key) {
                for &(id, n) in list {
                    if self.packages[id].files[n as usize] == dep.name && visit(id) {
                        return;
                    }
                }
            }
        }
    }

    /// Packages whose `Obsoletes` cover `name` (any version).
    pub fn obsoleters(&self, name: &str) -> Vec<PkgId> {
        let target = Dep::new(name, 0, "");
        let mut found: Vec<PkgId> = self
            .obsoletes
            .get(&key(name))
            .into_iter()
            .flatten()
            .filter(|&&(id, n)| {
                let obsolete = &self.packages[id].obsoletes[n as usize];
                obsolete.name == name && ranges_overlap(obsolete, &target)
            })
            .map(|&(id, _)| id)
            .collect();
        found.sort_unstable();
        found.dedup();
        found
    }

    /// Whether `dep` can be satisfied on the media, given the packages that
    /// will be installed (for the conditions of rich dependencies).
    pub fn satisfiable(&self, dep: &Dep, installed: &dyn Fn(PkgId) -> bool) -> Satisfied {
        self.satisfiable_among(dep, installed, &|_| true)
    }

    /// [`PackageIndex::satisfiable`] with only the `allowed` packages as
    /// providers (kickstart exclusions remove packages from the media).
    pub fn satisfiable_among(
        &self,
        dep: &Dep,
        installed: &dyn Fn(PkgId) -> bool,
        allowed: &dyn Fn(PkgId) -> bool,
    ) -> Satisfied {
        if dep.is_builtin() {
            return Satisfied::Yes;
        }
        if dep.is_rich() {
            return match RichDep::parse(&dep.name) {
                Some(rich) => self.eval_rich(&rich, installed, allowed),
                None => Satisfied::Unknown,
            };
        }
        if self.find_provider(dep, allowed).is_some() {
            return Satisfied::Yes;
        }
        self.unmet(dep)
    }

    fn eval_rich(
        &self,
        rich: &RichDep,
        installed: &dyn Fn(PkgId) -> bool,
        allowed: &dyn Fn(PkgId) -> bool,
    ) -> Satisfied {
        use Satisfied::*;
        match rich {
            RichDep::Atom(dep) => self.satisfiable_among(dep, installed, allowed),
            RichDep::Op(op, parts) => {
                let eval = |part: &RichDep| self.eval_rich(part, installed, allowed);
                let present = |part: &RichDep| self.rich_installed(part, installed);
                match op {
                    RichOp::And => parts.iter().map(eval).fold(Yes, Satisfied::and),
                    RichOp::Or => parts.iter().map(eval).fold(No, Satisfied::or),
                    RichOp::If | RichOp::Unless => {
                        let (then, cond, otherwise) = (&parts[0], &parts[1], parts.get(2));
                        let condition = match (op, present(cond)) {
                            (_, Unknown) => return eval(then).or(Unknown),
                            (RichOp::If, c) => c == Yes,
                            (_, c) => c != Yes,
                        };
                        match (condition, otherwise) {
                            (true, _) => eval(then),
                            (false, Some(other)) => eval(other),
                            (false, None) => Yes,
                        }
                    }
                    // `with`/`without` constrain one provider; resolvable
                    // when the first operand is (never reported falsely).
                    RichOp::With | RichOp::Without => match eval(&parts[0]) {
                        No => No,
                        _ => Yes,
                    },
                }
            }
        }
    }

    /// Whether the condition of an `if`/`unless` holds among installed packages.
    fn rich_installed(&self, rich: &RichDep, installed: &dyn Fn(PkgId) -> bool) -> Satisfied {
        match rich {
            RichDep::Atom(dep) => {
                if self.find_provider(dep, installed).is_some() {
                    Satisfied::Yes
                } else {
                    Satisfied::No
                }
            }
            RichDep::Op(RichOp::And, parts) => parts
                .iter()
                .map(|p| self.rich_installed(p, installed))
                .fold(Satisfied::Yes, Satisfied::and),
            RichDep::Op(RichOp::Or, parts) => parts
                .iter()
                .map(|p| self.rich_installed(p, installed))
                .fold(Satisfied::No, Satisfied::or),
            RichDep::Op(..) => Satisfied::Unknown,
        }
    }

    /// The packages a requirement pulls in while computing a closure: for
    /// plain deps the best provider; for rich ones the providers of the
    /// first satisfiable alternative of each needed branch.
    fn pull(
        &self,
        dep: &Dep,
        installed: &dyn Fn(PkgId) -> bool,
        allowed: &dyn Fn(PkgId) -> bool,
    ) -> Vec<PkgId> {
        if dep.is_builtin() {
            return Vec::new();
        }
        if dep.is_rich() {
            return match RichDep::parse(&dep.name) {
                Some(rich) => self.pull_rich(&rich, installed, allowed),
                None => Vec::new(),
            };
        }
        match self.need(dep, installed, allowed) {
            Need::Pull(id) => vec![id],
            Need::Met | Need::Unmet => Vec::new(),
        }
    }

    /// What a plain (not rich, not built-in) requirement needs while
    /// computing a closure.
    fn need(
        &self,
        dep: &Dep,
        installed: &dyn Fn(PkgId) -> bool,
        allowed: &dyn Fn(PkgId) -> bool,
    ) -> Need {
        // Most requirements are already met by an installed package: check
        // that without collecting every provider.
        if self
            .find_provider(dep, |id| allowed(id) && installed(id))
            .is_some()
        {
            return Need::Met;
        }
        self.pull_one_of(self.providers(dep), allowed)
    }

    /// [`PackageIndex::need`] of the plain requirement in `slot`, its
    /// providers taken from the table built for closures.
    fn need_of_slot(
        &self,
        table: &RequirementProviders,
        slot: usize,
        installed: &dyn Fn(PkgId) -> bool,
        allowed: &dyn Fn(PkgId) -> bool,
    ) -> Need {
        let providers = table.of_slot(slot).iter().map(|&p| p as PkgId);
        if providers.clone().any(|p| allowed(p) && installed(p)) {
            return Need::Met;
        }
        self.pull_one_of(providers.collect(), allowed)
    }

    /// The best of the `allowed` ones among `providers` (sorted), none
    /// installed yet.
    fn pull_one_of(&self, mut providers: Vec<PkgId>, allowed: &dyn Fn(PkgId) -> bool) -> Need {
        providers.retain(|&id| allowed(id));
        if providers.is_empty() {
            return Need::Unmet;
        }
        Need::Pull(self.pick(&providers))
    }

    fn pull_rich(
        &self,
        rich: &RichDep,
        installed: &dyn Fn(PkgId) -> bool,
        allowed: &dyn Fn(PkgId) -> bool,
    ) -> Vec<PkgId> {
        match rich {
            RichDep::Atom(dep) => self.pull(dep, installed, allowed),
            RichDep::Op(RichOp::And, parts) => parts
                .iter()
                .flat_map(|p| self.pull_rich(p, installed, allowed))
                .collect(),
            RichDep::Op(RichOp::Or, parts) => {
                if parts
                    .iter()
                    .any(|p| self.rich_installed(p, installed) == Satisfied::Yes)
                {
                    return Vec::new();
                }
                parts
                    .iter()
                    .find(|p| self.eval_rich(p, installed, allowed) == Satisfied::Yes)
                    .map(|p| self.pull_rich(p, installed, allowed))
                    .unwrap_or_default()
            }
            RichDep::Op(RichOp::If, parts) => {
                if self.rich_installed(&parts[1], installed) == Satisfied::Yes {
                    self.pull_rich(&parts[0], installed, allowed)
                } else {
                    Vec::new()
                }
            }
            RichDep::Op(RichOp::With, parts) => self.pull_rich(&parts[0], installed, allowed),
            RichDep::Op(_, _) => Vec::new(),
        }
    }

    /// Chooses among several providers: the primary architecture, then
    /// noarch, then the newest, then the shortest name.
    fn pick(&self, providers: &[PkgId]) -> PkgId {
        let rank = |id: &PkgId| {
            let p = &self.packages[*id];
            let arch = if p.arch == self.primary_arch {
                0
            } else if p.arch == "noarch" {
                1
            } else {
                2
            };
            (arch, p.name.len())
        };
        let best_rank = providers.iter().map(rank).min();
        providers
            .iter()
            .copied()
            .filter(|id| Some(rank(id)) == best_rank)
            .max_by(|&a, &b| compare_packages(&self.packages[a], &self.packages[b]))
            .unwrap_or(providers[0])
    }

    /// Every package installed when `roots` are: the roots, then what their
    /// requirements pull in, breadth first. `parent[i]` names the package
    /// that pulled `i` in (None for roots), for "needed by" chains.
    pub fn closure(&self, roots: &[PkgId]) -> Closure {
        self.closure_among(roots, &|_| true)
    }

    /// [`PackageIndex::closure`] with only `allowed` packages as providers.
    pub fn closure_among(&self, roots: &[PkgId], allowed: &dyn Fn(PkgId) -> bool) -> Closure {
        let mut closure = Closure {
            // Membership by index: the resolver asks "installed?" for every
            // provider of every requirement, which hashing made a third of
            // a warm check.
            member: vec![false; self.packages.len()],
            parent: vec![None; self.packages.len()],
            ..Closure::default()
        };
        for &root in roots {
            closure.add(root, None);
        }
        let table = self
            .requirement_providers
            .get_or_init(|| RequirementProviders::build(self));
        // The members double as the breadth-first queue.
        let mut next = 0;
        while let Some(&id) = closure.members.get(next) {
            next += 1;
            for (n, slot) in table.slots(id).enumerate() {
                let installed = |p: PkgId| closure.member[p];
                match table.kind[slot] {
                    SlotKind::Builtin => {}
                    SlotKind::Rich => {
                        let dep = &self.packages[id].requires[n];
                        for new in self.pull(dep, &installed, allowed) {
                            closure.add(new, Some(id));
                        }
                    }
                    SlotKind::Plain => match self.need_of_slot(table, slot, &installed, allowed) {
                        Need::Met => {}
                        Need::Pull(provider) => closure.add(provider, Some(id)),
                        Need::Unmet => {
                            closure.unmet.insert((id, n));
                        }
                    },
                }
            }
        }
        closure
    }

    /// Whether every requirement of every `allowed` package is built in, or
    /// plain with an `allowed` provider. Then no closure among `allowed`
    /// leaves one unresolved, whatever its roots: a plain requirement is
    /// unmet only without an allowed provider, and a rich one (whose answer
    /// depends on what is installed) makes this `false`. One pass over the
    /// provider table, far cheaper than a closure of a large selection.
    pub fn every_requirement_met_among(&self, allowed: &dyn Fn(PkgId) -> bool) -> bool {
        let table = self
            .requirement_providers
            .get_or_init(|| RequirementProviders::build(self));
        let requirement_met = |slot: usize| match table.kind[slot] {
            SlotKind::Builtin => true,
            SlotKind::Rich => false,
            SlotKind::Plain => table.of_slot(slot).iter().any(|&p| allowed(p as PkgId)),
        };
        (0..self.packages.len())
            .filter(|&id| allowed(id))
            .all(|id| table.slots(id).all(requirement_met))
    }

    /// [`PackageIndex::unresolved_among`] for the members of `closure`, which
    /// must come from [`PackageIndex::closure_among`] with the same
    /// `allowed`: plain requirements are answered from what the closure
    /// found, only rich ones are evaluated again.
    pub fn unresolved_in(
        &self,
        closure: &Closure,
        allowed: &dyn Fn(PkgId) -> bool,
    ) -> Vec<(PkgId, Dep)> {
        let installed = |id: PkgId| closure.member[id];
        let table = self
            .requirement_providers
            .get_or_init(|| RequirementProviders::build(self));
        let mut out = Vec::new();
        let members = self.name_order().iter().filter(|&&id| installed(id));
        for &id in members {
            let requires = &self.packages[id].requires;
            for (n, slot) in table.slots(id).enumerate() {
                let satisfied = match table.kind[slot] {
                    SlotKind::Builtin => Satisfied::Yes,
                    SlotKind::Rich => self.satisfiable_among(&requires[n], &installed, allowed),
                    SlotKind::Plain if !closure.unmet.contains(&(id, n)) => Satisfied::Yes,
                    SlotKind::Plain => self.unmet(&requires[n]),
                };
                // A requirement listed twice is reported once (its first
                // time). Asked only of unsatisfied ones: comparing every
                // pair cost more than the lookups above.
                if satisfied == Satisfied::No && !requires[..n].contains(&requires[n]) {
                    out.push((id, requires[n].clone()));
                }
            }
        }
        out
    }

    /// A plain requirement without a provider: unknown for a file when the
    /// file lists are partial.
    fn unmet(&self, dep: &Dep) -> Satisfied {
        if dep.name.starts_with('/') && !self.complete_files {
            Satisfied::Unknown
        } else {
            Satisfied::No
        }
    }

    /// Every package, sorted by name, then id (built once).
    fn name_order(&self) -> &[PkgId] {
        self.name_order
            .get_or_init(|| self.by_name_order((0..self.packages.len()).collect()))
    }

    /// `ids` sorted by package name, then id.
    fn by_name_order(&self, mut ids: Vec<PkgId>) -> Vec<PkgId> {
        ids.sort_unstable_by(|&a, &b| {
            self.packages[a]
                .name
                .cmp(&self.packages[b].name)
                .then(a.cmp(&b))
        });
        ids
    }

    /// The requirements of `members` that nothing on the media satisfies,
    /// as (package, requirement) pairs in package order.
    pub fn unresolved(&self, members: &HashSet<PkgId>) -> Vec<(PkgId, Dep)> {
        self.unresolved_among(members, &|_| true)
    }

    /// [`PackageIndex::unresolved`] with only `allowed` packages as providers.
    pub fn unresolved_among(
        &self,
        members: &HashSet<PkgId>,
        allowed: &dyn Fn(PkgId) -> bool,
    ) -> Vec<(PkgId, Dep)> {
        let installed = |id: PkgId| members.contains(&id);
        let mut out = Vec::new();
        for id in self.by_name_order(members.iter().copied().collect()) {
            let requires = &self.packages[id].requires;
            for (n, dep) in requires.iter().enumerate() {
                // A requirement listed twice is reported once. Lists are
                // short, so a scan beats hashing every `Dep`.
                if requires[..n].contains(dep) {
                    continue;
                }
                if self.satisfiable_among(dep, &installed, allowed) == Satisfied::No {
                    out.push((id, dep.clone()));
                }
            }
        }
        out
    }

    /// Conflicts among `members`: (package, conflict, the package it hits).
    pub fn conflicts(&self, members: &HashSet<PkgId>) -> Vec<(PkgId, Dep, PkgId)> {
        let mut ids: Vec<PkgId> = members.iter().copied().collect();
        ids.sort_unstable();
        let mut out = Vec::new();
        for id in ids {
            for conflict in &self.packages[id].conflicts {
                if conflict.is_rich() {
                    continue;
                }
                if let Some(other) = self
                    .providers(conflict)
                    .into_iter()
                    .find(|other| *other != id && members.contains(other))
                {
                    out.push((id, conflict.clone(), other));
                }
            }
        }
        out
    }
}

/// Orders two packages by epoch, version and release.
pub fn compare_packages(a: &Package, b: &Package) -> Ordering {
    a.epoch
        .cmp(&b.epoch)
        .then_with(|| rpmvercmp(&a.version, &b.version))
        .then_with(|| rpmvercmp(&a.release, &b.release))
}

/// Result of a [`PackageIndex::closure`].
#[derive(Debug, Default)]
pub struct Closure {
    /// The members in the order they were added, roots first.
    members: Vec<PkgId>,
    /// Per package of the index: whether it is a member.
    member: Vec<bool>,
    /// Per package of the index: the member that pulled it in (`None` for
    /// roots and non-members).
    parent: Vec<Option<PkgId>>,
    /// (package, index into its `requires`) of the plain requirements that
    /// no allowed package provides.
    unmet: HashSet<(PkgId, usize), std::hash::BuildHasherDefault<FastHasher>>,
}

/// What a plain requirement needs while a closure is computed.
enum Need {
    /// An installed package provides it.
    Met,
    /// The best provider, to install.
    Pull(PkgId),
    /// No allowed package provides it.
    Unmet,
}

impl Closure {
    /// Adds `id`, pulled in by `parent` (`None` for a root), unless it is
    /// a member already.
    fn add(&mut self, id: PkgId, parent: Option<PkgId>) {
        if !self.member[id] {
            self.member[id] = true;
            self.parent[id] = parent;
            self.members.push(id);
        }
    }

    pub fn members(&self) -> HashSet<PkgId> {
        self.members.iter().copied().collect()
    }

    pub fn contains(&self, id: PkgId) -> bool {
        self.member.get(id).copied().unwrap_or(false)
    }

    /// Each member with the member that pulled it in (`None` for roots),
    /// in the order they were added.
    pub fn pulled_in(&self) -> impl Iterator<Item = (PkgId, Option<PkgId>)> + '_ {
        self.members.iter().map(|&id| (id, self.parent[id]))
    }

    /// `id`, the package that pulled it in, …, up to a root.
    pub fn chain(&self, id: PkgId) -> Vec<PkgId> {
        let mut chain = vec![id];
        let mut current = id;
        while let Some(Some(up)) = self.parent.get(current) {
            if chain.contains(up) || chain.len() > 64 {
                break;
            }
            chain.push(*up);
            current = *up;
        }
        chain
    }
}

/// Three-valued answer: rich dependencies we cannot decide are `Unknown`
/// and never reported.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Satisfied {
    Yes,
    No,
    Unknown,
}

impl Satisfied {
    fn and(self, other: Satisfied) -> Satisfied {
        match (self, other) {
            (Satisfied::No, _) | (_, Satisfied::No) => Satisfied::No,
            (Satisfied::Yes, Satisfied::Yes) => Satisfied::Yes,
            _ => Satisfied::Unknown,
        }
    }

    fn or(self, other: Satisfied) -> Satisfied {
        match (self, other) {
            (Satisfied::Yes, _) | (_, Satisfied::Yes) => Satisfied::Yes,
            (Satisfied::No, Satisfied::No) => Satisfied::No,
            _ => Satisfied::Unknown,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RichOp {
    And,
    Or,
    If,
    Unless,
    With,
    Without,
}

/// A boolean dependency such as `(foo >= 1.0 or (bar if baz))`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RichDep {
    Atom(Dep),
    /// For `If`/`Unless`: `[then, condition, else?]`.
    Op(RichOp, Vec<RichDep>),
}

impl RichDep {
    pub fn parse(text: &str) -> Option<RichDep> {
        let tokens = tokenize(text)?;
        let mut pos = 0;
        let dep = parse_rich(&tokens, &mut pos)?;
        (pos == tokens.len()).then_some(dep)
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Token {
    Open,
    Close,
    Word(String),
}

fn tokenize(text: &str) -> Option<Vec<Token>> {
    let mut tokens = Vec::new();
    let mut word = String::new();
    let flush = |word: &mut String, tokens: &mut Vec<Token>| {
        if !word.is_empty() {
            tokens.push(Token::Word(std::mem::take(word)));
        }
    };
    let mut depth = 0usize;
    for c in text.chars() {
        match c {
            '(' if word.is_empty() || depth == 0 => {
                flush(&mut word, &mut tokens);
                tokens.push(Token::Open);
                depth += 1;
            }
            // `(` inside a capability name such as `perl(Foo)` or `foo(x86-64)`.
            '(' => {
                word.push(c);
                depth += 1;
            }
            ')' => {
                depth = depth.checked_sub(1)?;
                if word.matches('(').count() > word.matches(')').count() {
                    word.push(c);
                } else {
                    flush(&mut word, &mut tokens);
                    tokens.push(Token::Close);
                }
            }
            c if c.is_whitespace() => flush(&mut word, &mut tokens),
            c => word.push(c),
        }
    }
    flush(&mut word, &mut tokens);
    (depth == 0).then_some(tokens)
}

fn parse_rich(tokens: &[Token], pos: &mut usize) -> Option<RichDep> {
    if tokens.get(*pos) != Some(&Token::Open) {
        return parse_atom(tokens, pos);
    }
    *pos += 1;
    let first = parse_operand(tokens, pos)?;
    let mut parts = vec![first];
    let mut op = None;
    loop {
        match tokens.get(*pos)? {
            Token::Close => {
                *pos += 1;
                break;
            }
            Token::Word(word) => {
                let this = match word.as_str() {
                    "and" => RichOp::And,
                    "or" => RichOp::Or,
                    "if" => RichOp::If,
                    "unless" => RichOp::Unless,
                    "with" => RichOp::With,
                    "without" => RichOp::Without,
                    "else"
                        if matches!(op, Some(RichOp::If | RichOp::Unless)) && parts.len() == 2 =>
                    {
                        *pos += 1;
                        parts.push(parse_operand(tokens, pos)?);
                        continue;
                    }
                    _ => return None,
                };
                if op.is_some_and(|o| o != this || matches!(o, RichOp::If | RichOp::Unless)) {
                    return None;
                }
                op = Some(this);
                *pos += 1;
                parts.push(parse_operand(tokens, pos)?);
            }
            Token::Open => return None,
        }
    }
    match op {
        None => parts.pop(),
        Some(op) => Some(RichDep::Op(op, parts)),
    }
}

fn parse_operand(tokens: &[Token], pos: &mut usize) -> Option<RichDep> {
    match tokens.get(*pos)? {
        Token::Open => parse_rich(tokens, pos),
        Token::Word(_) => parse_atom(tokens, pos),
        Token::Close => None,
    }
}

/// `name [op version]`.
fn parse_atom(tokens: &[Token], pos: &mut usize) -> Option<RichDep> {
    let Token::Word(name) = tokens.get(*pos)? else {
        return None;
    };
    *pos += 1;
    let flags = match tokens.get(*pos) {
        Some(Token::Word(op)) => match op.as_str() {
            "<" => sense::LESS,
            ">" => sense::GREATER,
            "=" | "==" => sense::EQUAL,
            "<=" => sense::LESS | sense::EQUAL,
            ">=" => sense::GREATER | sense::EQUAL,
            _ => 0,
        },
        _ => 0,
    };
    if flags == 0 {
        return Some(RichDep::Atom(Dep::new(name.clone(), 0, "")));
    }
    *pos += 1;
    let Token::Word(version) = tokens.get(*pos)? else {
        return None;
    };
    *pos += 1;
    Some(RichDep::Atom(Dep::new(
        name.clone(),
        flags,
        version.clone(),
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rpmvercmp_follows_rpm() {
        use Ordering::*;
        let cases = [
            ("1.0", "1.0", Equal),
            ("1.0", "2.0", Less),
            ("2.0.1", "2.0", Greater),
            ("2.0.1a", "2.0.1", Greater),
            ("5.5p1", "5.5p2", Less),
            ("5.5p10", "5.5p1", Greater),
            ("10xyz", "10.1xyz", Less),
            ("xyz10", "xyz10.1", Less),
            ("1.0", "1.0a", Less),
            ("010", "10", Equal),
            ("a", "1", Less),
            ("1.0~rc1", "1.0", Less),
            ("1.0~rc1", "1.0~rc2", Less),
            ("1.0~rc1~git", "1.0~rc1", Less),
            ("1.0^", "1.0", Greater),
            ("1.0^git1", "1.0", Greater),
            ("1.0^git1", "1.01", Less),
            ("1.0^git1", "1.0~rc1", Greater),
            ("1_0", "1.0", Equal),
            ("2.0", "2_0", Equal),
            ("1.el7", "1.el7_9", Less),
        ];
        for (a, b, expected) in cases {
            assert_eq!(rpmvercmp(a, b), expected, "{a} vs {b}");
            assert_eq!(rpmvercmp(b, a), expected.reverse(), "{b} vs {a}");
        }
    }

    #[test]
    fn evr_ranges() {
        let p = |flags, v: &str| Dep::new("x", flags, v);
        let ge = sense::GREATER | sense::EQUAL;
        // provide x = 1:2.0-3 against requires
        let provide = p(sense::EQUAL, "1:2.0-3");
        assert!(ranges_overlap(&provide, &p(ge, "1:2.0")));
        assert!(!ranges_overlap(&provide, &p(ge, "1:2.1")));
        assert!(ranges_overlap(&provide, &p(ge, "3.0")), "epoch 1 beats 0");
        assert!(!ranges_overlap(&provide, &p(sense::LESS, "1:2.0-3")));
        assert!(ranges_overlap(&provide, &p(sense::EQUAL, "1:2.0")));
        assert!(ranges_overlap(&p(0, ""), &p(ge, "9")));
        assert!(ranges_overlap(&p(ge, "1.0"), &p(sense::LESS, "2.0")));
        assert!(!ranges_overlap(&p(sense::LESS, "1.0"), &p(ge, "2.0")));
    }

    #[test]
    fn parses_rich_dependencies() {
        let rich = RichDep::parse("(foo >= 1.0 or (bar if baz))").unwrap();
        let RichDep::Op(RichOp::Or, parts) = &rich else {
            panic!("{rich:?}")
        };
        assert_eq!(
            parts[0],
            RichDep::Atom(Dep::new("foo", sense::GREATER | sense::EQUAL, "1.0"))
        );
        assert!(matches!(&parts[1], RichDep::Op(RichOp::If, p) if p.len() == 2));
        let names = RichDep::parse("(perl(Foo::Bar) and libc.so.6()(64bit))").unwrap();
        assert_eq!(
            names,
            RichDep::Op(
                RichOp::And,
                vec![
                    RichDep::Atom(Dep::new("perl(Foo::Bar)", 0, "")),
                    RichDep::Atom(Dep::new("libc.so.6()(64bit)", 0, "")),
                ]
            )
        );
        assert!(RichDep::parse("(a if b else c)").is_some());
        assert!(RichDep::parse("(a or b and c)").is_none());
        assert!(RichDep::parse("(a or").is_none());
    }

    fn pkg(name: &str, arch: &str, provides: &[&str], requires: &[Dep]) -> Package {
        Package {
            name: name.into(),
            version: "1.0".into(),
            release: "1".into(),
            arch: arch.into(),
            provides: provides.iter().map(|p| Dep::new(*p, 0, "")).collect(),
            requires: requires.to_vec(),
            ..Default::default()
        }
    }

    #[test]
    fn resolves_plain_virtual_file_and_rich() {
        let mut shell = pkg("bash", "x86_64", &["/bin/sh"], &[]);
        shell.files = vec!["/usr/bin/bash".into()];
        let app = pkg(
            "app",
            "x86_64",
            &[],
            &[
                Dep::new("/usr/bin/bash", 0, ""),
                Dep::new("/bin/sh", 0, ""),
                Dep::new("bash", sense::GREATER | sense::EQUAL, "1.0-1"),
                Dep::new("(missing if nothing)", 0, ""),
                Dep::new("(bash or missing)", 0, ""),
                Dep::new("(missing and bash)", 0, ""),
                Dep::new("rpmlib(CompressedFileNames)", 0, ""),
                Dep::new("bash", sense::GREATER, "2.0"),
            ],
        );
        let index = PackageIndex::new(vec![shell, app], true);
        let closure = index.closure(&[1]);
        let members = closure.members();
        assert_eq!(members.len(), 2);
        let unresolved: Vec<String> = index
            .unresolved(&members)
            .into_iter()
            .map(|(_, d)| d.to_string())
            .collect();
        assert_eq!(unresolved, ["(missing and bash)", "bash > 2.0"]);
        assert_eq!(closure.chain(0), vec![0, 1]);
    }

    /// `n` packages requiring each other (plain, versioned, file, rich,
    /// duplicated and missing requirements), some `src` and `i686` ones.
    fn web(n: usize) -> Vec<Package> {
        (0..n)
            .map(|i| {
                let arch = match i % 50 {
                    7 => "src",
                    9 => "i686",
                    _ => "x86_64",
                };
                let soname = format!("lib{i}.so()(64bit)");
                let mut requires = vec![
                    Dep::new(format!("lib{}.so()(64bit)", i / 2), 0, ""),
                    Dep::new(format!("p{}", i / 3), sense::GREATER, "0.5"),
                    Dep::new(format!("/usr/bin/p{}", (i * 7) % n), 0, ""),
                    Dep::new(format!("(p{} or p{})", i + n, i / 5), 0, ""),
                ];
                if i % 11 == 0 {
                    requires.push(Dep::new(format!("gone{i}"), 0, ""));
                    requires.push(Dep::new(format!("gone{i}"), 0, ""));
                    requires.push(Dep::new(format!("/usr/bin/gone{i}"), 0, ""));
                }
                let mut package = pkg(&format!("p{i}"), arch, &[&soname], &requires);
                package.files = vec![format!("/usr/bin/p{i}")];
                package.obsoletes = vec![Dep::new(format!("old-p{}", i % 10), 0, "")];
                package
            })
            .collect()
    }

    #[test]
    fn large_index_answers_as_a_scan_of_the_packages() {
        let index = PackageIndex::new(web(PARALLEL_INDEX_PACKAGES + 200), true);
        let binary = |id: &PkgId| !index.packages[*id].is_source();
        let ids = || (0..index.len()).filter(binary);
        for i in [0, 7, 9, 500, 1199] {
            let name = format!("p{i}");
            let by_scan: Vec<PkgId> = ids()
                .filter(|&id| index.packages[id].name == name)
                .collect();
            assert_eq!(index.by_name(&name), by_scan);
            let file = Dep::new(format!("/usr/bin/p{i}"), 0, "");
            assert_eq!(index.providers(&file), by_scan);
            let soname = Dep::new(format!("lib{i}.so()(64bit)"), 0, "");
            assert_eq!(index.providers(&soname), by_scan);
        }
        let obsoleters: Vec<PkgId> = ids().filter(|id| id % 10 == 3).collect();
        assert_eq!(index.obsoleters("old-p3"), obsoleters);
        assert_eq!(index.primary_arch, "x86_64");
    }

    #[test]
    fn did_you_mean_answers_the_same_before_and_after_the_index_is_built() {
        let index = PackageIndex::new(web(1300), true);
        let typos: Vec<String> = (0..3 * NEAR_NAMES_AFTER)
            .flat_map(|i| [format!("p{i}x"), format!("xp{}", i * 37), format!("q{i}zz")])
            .collect();
        let by_scan = |typo: &str| crate::rules::suggest(typo, index.names()).map(str::to_string);
        for (asked, typo) in typos.iter().enumerate() {
            // The index exists only once enough answers were found without it.
            assert_eq!(
                index.near_names.get().is_some(),
                asked > NEAR_NAMES_AFTER,
                "{asked}"
            );
            assert_eq!(index.suggest(typo), by_scan(typo), "{typo}");
        }
        assert_eq!(index.suggest("p12x").as_deref(), Some("p12"));
    }

    /// Each member with its parent, and the unmet (package, requirement)s.
    type ClosureParts = (Vec<(PkgId, Option<PkgId>)>, Vec<(PkgId, usize)>);

    /// The closure as computed before the requirement table: every
    /// requirement looked up in the capability tables, members in a map.
    /// Returns each member with its parent, and the unmet requirements.
    fn closure_by_lookup(
        index: &PackageIndex,
        roots: &[PkgId],
        allowed: &dyn Fn(PkgId) -> bool,
    ) -> ClosureParts {
        let mut parent: HashMap<PkgId, Option<PkgId>> = HashMap::new();
        let mut queue = std::collections::VecDeque::new();
        let mut unmet = Vec::new();
        for &root in roots {
            if let std::collections::hash_map::Entry::Vacant(slot) = parent.entry(root) {
                slot.insert(None);
                queue.push_back(root);
            }
        }
        while let Some(id) = queue.pop_front() {
            for (n, dep) in index.packages[id].requires.iter().enumerate() {
                let installed = |p: PkgId| parent.contains_key(&p);
                let pulled = if dep.is_builtin() || dep.is_rich() {
                    index.pull(dep, &installed, allowed)
                } else {
                    match index.need(dep, &installed, allowed) {
                        Need::Met => Vec::new(),
                        Need::Pull(provider) => vec![provider],
                        Need::Unmet => {
                            unmet.push((id, n));
                            Vec::new()
                        }
                    }
                };
                for new in pulled {
                    if let std::collections::hash_map::Entry::Vacant(slot) = parent.entry(new) {
                        slot.insert(Some(id));
                        queue.push_back(new);
                    }
                }
            }
        }
        let mut members: Vec<_> = parent.into_iter().collect();
        members.sort_unstable();
        unmet.sort_unstable();
        (members, unmet)
    }

    /// [`web`] plus newer and other-architecture builds of some of its
    /// packages, so that requirements have several providers to pick from.
    fn web_with_updates(n: usize) -> PackageIndex {
        let mut packages = web(n);
        let updates = web(n)
            .into_iter()
            .enumerate()
            .filter_map(|(i, mut package)| {
                match i % 4 {
                    0 => package.version = "2.0".into(),
                    1 => package.arch = "i686".into(),
                    _ => return None,
                }
                Some(package)
            });
        packages.extend(updates.collect::<Vec<_>>());
        PackageIndex::new(packages, true)
    }

    proptest::proptest! {
        /// The requirement table gives the closure the lookups gave.
        #[test]
        fn closure_from_the_table_equals_the_closure_by_lookup(
            roots in proptest::collection::vec(0usize..900, 0..40),
            excluded in proptest::collection::hash_set(0usize..900, 0..60),
        ) {
            static INDEX: OnceLock<PackageIndex> = OnceLock::new();
            let index = INDEX.get_or_init(|| web_with_updates(600));
            let allowed = |id: PkgId| !excluded.contains(&id);
            let closure = index.closure_among(&roots, &allowed);
            let mut members: Vec<_> = closure.pulled_in().collect();
            members.sort_unstable();
            let mut unmet: Vec<_> = closure.unmet.iter().copied().collect();
            unmet.sort_unstable();
            proptest::prop_assert_eq!((members, unmet), closure_by_lookup(index, &roots, &allowed));
            let from_scratch = index.unresolved_among(&closure.members(), &allowed);
            proptest::prop_assert_eq!(index.unresolved_in(&closure, &allowed), from_scratch);
        }
    }

    #[test]
    fn unresolved_in_a_closure_is_unresolved_among_its_members() {
        for complete_files in [true, false] {
            let index = PackageIndex::new(web(1300), complete_files);
            let allowed = |id: PkgId| id % 13 != 4;
            let closure = index.closure_among(&[1299, 640, 3], &allowed);
            let from_scratch = index.unresolved_among(&closure.members(), &allowed);
            assert!(
                from_scratch.len() > 10,
                "the web has unresolved requirements"
            );
            assert_eq!(index.unresolved_in(&closure, &allowed), from_scratch);
        }
    }

    /// `p0`…`p{n-1}`, each requiring two earlier ones by name and one
    /// built-in capability.
    fn chain(n: usize) -> PackageIndex {
        let packages = (0..n)
            .map(|i| {
                let requires = [
                    Dep::new(format!("p{}", i / 2), 0, ""),
                    Dep::new(format!("p{}", i / 3), sense::GREATER, "0.5"),
                    Dep::new("rpmlib(CompressedFileNames)", 0, ""),
                ];
                pkg(&format!("p{i}"), "x86_64", &[], &requires)
            })
            .collect();
        PackageIndex::new(packages, true)
    }

    #[test]
    fn requirements_all_met_means_no_closure_leaves_one_unresolved() {
        let index = chain(60);
        // Packages from p30 on are required by none: excluding them breaks
        // nothing; excluding an earlier one does.
        let exclusions: [&[PkgId]; 6] = [&[], &[59], &[30, 45], &[1], &[20, 59], &[0]];
        for excluded in exclusions {
            let allowed = |id: PkgId| !excluded.contains(&id);
            let all_met = index.every_requirement_met_among(&allowed);
            assert_eq!(all_met, excluded.iter().all(|&id| id >= 30));
            // The whole allowed media selected: every requirement counts.
            let roots: Vec<PkgId> = (0..60).filter(|&id| allowed(id)).collect();
            let closure = index.closure_among(&roots, &allowed);
            let unresolved = index.unresolved_in(&closure, &allowed);
            assert_eq!(all_met, unresolved.is_empty(), "{excluded:?}");
        }
        let mut packages = chain(3).packages;
        packages[2].requires.push(Dep::new("(p0 or p1)", 0, ""));
        let with_rich = PackageIndex::new(packages, true);
        assert!(!with_rich.every_requirement_met_among(&|_| true));
    }

    #[test]
    fn best_by_name_prefers_primary_arch_and_newest() {
        let mut old = pkg("lib", "x86_64", &[], &[]);
        old.version = "0.9".into();
        let new = pkg("lib", "x86_64", &[], &[]);
        let i686 = pkg("lib", "i686", &[], &[]);
        let other = pkg("other", "x86_64", &[], &[]);
        let index = PackageIndex::new(vec![old, new, i686, other], true);
        assert_eq!(index.primary_arch, "x86_64");
        assert_eq!(index.best_by_name("lib"), vec![1]);
        assert_eq!(index.best_by_name("lib.i686"), vec![2]);
        assert!(index.best_by_name("lib.ppc64").is_empty());
    }
}
