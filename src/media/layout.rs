//! Where the media tree of a kickstart is, and which repositories and comps
//! file it has.
//!
//! * seed layout: `build_iso/comps.xml` beside `build_iso/isolinux/`, the
//!   ISO root, which holds `Packages/`, `repodata/` (made at build time by
//!   `createrepo -g ../comps.xml`) and `ks/ks.cfg`;
//! * stock layout: an unpacked DVD with `Packages/` + `repodata/`, or
//!   `BaseOS/` and `AppStream/` each with their own, plus `.treeinfo` and
//!   `.discinfo`;
//! * `--media DIR` or `kslint.toml` `[media] root = …, comps = …`.

use std::path::{Path, PathBuf};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LayoutKind {
    /// An ISO root whose comps file lives outside it (the seed project's
    /// `build_iso/comps.xml`): repodata is made when the ISO is built.
    Seed,
    /// A complete install tree.
    Stock,
}

/// One repository of the tree: `Packages/` and/or `repodata/` under `base`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RepoDir {
    pub base: PathBuf,
    pub packages: Option<PathBuf>,
    pub repomd: Option<PathBuf>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MediaLayout {
    pub root: PathBuf,
    pub kind: LayoutKind,
    pub repos: Vec<RepoDir>,
    /// A comps file given in `kslint.toml` or found beside the ISO root;
    /// without one, the `group` record of the repodata is used.
    pub comps: Option<PathBuf>,
}

/// Sub-repositories of RHEL 8+ media.
const SUB_REPOS: &[&str] = &["BaseOS", "AppStream"];

fn repo_at(base: &Path) -> Option<RepoDir> {
    let packages = base.join("Packages");
    let repomd = base.join("repodata").join("repomd.xml");
    let packages = packages.is_dir().then_some(packages);
    let repomd = repomd.is_file().then_some(repomd);
    (packages.is_some() || repomd.is_some()).then(|| RepoDir {
        base: base.to_path_buf(),
        packages,
        repomd,
    })
}

/// Whether `dir` looks like the root of an install tree.
pub fn is_media_root(dir: &Path) -> bool {
    repo_at(dir).is_some()
        || SUB_REPOS
            .iter()
            .any(|sub| repo_at(&dir.join(sub)).is_some())
        || dir.join(".treeinfo").is_file()
}

impl MediaLayout {
    /// The layout rooted at `root` (which must exist), with an optional
    /// explicit comps file.
    pub fn at(root: &Path, comps: Option<PathBuf>) -> Option<MediaLayout> {
        if !root.is_dir() {
            return None;
        }
        let mut repos: Vec<RepoDir> = repo_at(root).into_iter().collect();
        for sub in SUB_REPOS {
            repos.extend(repo_at(&root.join(sub)));
        }
        let beside = root.parent().and_then(find_comps_in);
        let kind = if comps.is_none() && beside.is_some() {
            LayoutKind::Seed
        } else {
            LayoutKind::Stock
        };
        let comps = comps.or(beside).or_else(|| find_comps_in(root));
        Some(MediaLayout {
            root: root.to_path_buf(),
            kind,
            repos,
            comps,
        })
    }

    /// Finds the media tree a kickstart belongs to: the nearest ancestor
    /// (up to four levels) that is an install tree root.
    pub fn discover(kickstart: &Path) -> Option<MediaLayout> {
        let absolute = std::fs::canonicalize(kickstart).ok()?;
        for dir in absolute.ancestors().skip(1).take(4) {
            if is_media_root(dir) {
                return MediaLayout::at(dir, None);
            }
        }
        None
    }

    pub fn has_packages(&self) -> bool {
        self.repos.iter().any(|repo| repo.packages.is_some())
    }
}

/// A loose comps file in `dir`: `comps.xml`, or one `*comps*.xml` there.
fn find_comps_in(dir: &Path) -> Option<PathBuf> {
    let plain = dir.join("comps.xml");
    if plain.is_file() {
        return Some(plain);
    }
    let mut found: Vec<PathBuf> = std::fs::read_dir(dir)
        .ok()?
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        // The name first: the parent of a root may be a crowded directory
        // such as /tmp, and a stat per entry there costs seconds.
        .filter(|path| {
            path.file_name().and_then(|n| n.to_str()).is_some_and(|n| {
                n.contains("comps") && (n.ends_with(".xml") || n.ends_with(".xml.gz"))
            }) && path.is_file()
        })
        .collect();
    found.sort();
    (found.len() == 1).then(|| found.remove(0))
}
