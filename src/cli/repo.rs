//! `kslint repo`: (re)make the repodata of an install tree, like
//! `createrepo_c --update -g comps.xml .`, with the comps file found the
//! way the rest of kslint finds it.

use std::path::{Path, PathBuf};

use clap::Args;

use super::exit;
use crate::config::Config;
use crate::media::layout::is_media_root;
use crate::media::MediaLayout;
use crate::repo::{self, GroupSource, RepoOptions, RepoSummary};

#[derive(Args, Debug)]
pub struct RepoArgs {
    /// The ISO root, a directory holding `build_iso/isolinux`, or any
    /// directory of RPMs (default: `[media] root` of kslint.toml, else `.`).
    root: Option<PathBuf>,
    /// Comps file for the group records (default: `[media] comps` of
    /// kslint.toml, the seed's `build_iso/comps.xml` beside the ISO root,
    /// or the one the existing repodata names).
    #[arg(
        short = 'g',
        long = "comps",
        visible_alias = "groupfile",
        value_name = "COMPS"
    )]
    comps: Option<PathBuf>,
    /// Write no group records.
    #[arg(long, conflicts_with = "comps")]
    no_comps: bool,
    /// Module metadata (modules.yaml, EL8+) for the `modules` record, like
    /// `modifyrepo_c FILE repodata/` (default: the file `kslint init` and
    /// `kslint collect` keep beside kslint.toml, `modules.yaml` or
    /// `<repo>.modules.yaml`; else the existing record is kept).
    #[arg(long, value_name = "FILE")]
    modules: Option<PathBuf>,
    /// Reuse the entries of RPMs whose location, size and modification time
    /// are unchanged (the default).
    #[arg(long, overrides_with = "no_update")]
    update: bool,
    /// Read every RPM again.
    #[arg(long, overrides_with = "update")]
    no_update: bool,
    /// Changelog entries kept per package.
    #[arg(long, value_name = "N", default_value_t = repo::DEFAULT_CHANGELOG_LIMIT)]
    changelog_limit: usize,
    /// `<revision>` of repomd.xml (default: the current time).
    #[arg(long, value_name = "TEXT")]
    revision: Option<String>,
    /// Worker threads (default: one per core).
    #[arg(long, value_name = "N", default_value_t = 0)]
    workers: usize,
    /// Print nothing but errors.
    #[arg(short, long)]
    quiet: bool,
}

pub fn run(args: &RepoArgs) -> u8 {
    match plan(args) {
        Ok(targets) => {
            for (base, options) in targets {
                match repo::generate(&base, &options) {
                    Ok(summary) => {
                        if !args.quiet {
                            report(&summary);
                        }
                    }
                    Err(error) => {
                        eprintln!("error: {error}");
                        eprintln!(
                            "note: no repodata was written; {} is as it was",
                            base.join("repodata").display()
                        );
                        return exit::FAILURE;
                    }
                }
            }
            exit::CLEAN
        }
        Err(message) => {
            eprintln!("error: {message}");
            exit::FAILURE
        }
    }
}

/// The repositories to index, each with its options.
fn plan(args: &RepoArgs) -> Result<Vec<(PathBuf, RepoOptions)>, String> {
    let here = args.root.clone().unwrap_or_else(|| PathBuf::from("."));
    let config = Config::discover(&here).map_err(|error| error.to_string())?;
    let start = match (
        &args.root,
        config.as_ref().and_then(|c| c.media.root.as_ref()),
    ) {
        (None, Some(root)) => config.as_ref().map_or(root.clone(), |c| c.resolve(root)),
        _ => here,
    };
    let root =
        find_root(&start).ok_or_else(|| format!("{} is not a directory", start.display()))?;
    let configured_comps = args.comps.clone().or_else(|| {
        config
            .as_ref()
            .and_then(|c| c.media.comps.as_ref().map(|p| c.resolve(p)))
    });
    let layout = MediaLayout::at(&root, configured_comps)
        .ok_or_else(|| format!("cannot read {}", root.display()))?;
    let group = if args.no_comps {
        GroupSource::None
    } else {
        match &layout.comps {
            Some(path) => GroupSource::File(path.clone()),
            None => GroupSource::Existing,
        }
    };
    if let GroupSource::File(path) = &group {
        if !path.is_file() {
            return Err(format!("{}: no such comps file", path.display()));
        }
    }
    let mut bases: Vec<PathBuf> = layout
        .repos
        .iter()
        .filter(|repo| repo.packages.is_some())
        .map(|repo| repo.base.clone())
        .collect();
    if bases.is_empty() {
        bases.push(layout.root.clone());
    }
    let options = RepoOptions {
        group,
        update: !args.no_update,
        changelog_limit: Some(args.changelog_limit),
        revision: args.revision.clone(),
        workers: args.workers,
        exclude: Vec::new(),
        output: None,
        modules: None,
        cache: repo::cache::default_root(),
    };
    if let Some(path) = &args.modules {
        if !path.is_file() {
            return Err(format!("{}: no such module metadata file", path.display()));
        }
        if bases.len() > 1 {
            return Err(format!(
                "--modules is for one repository, and {} has {}: give the repository's directory as ROOT",
                root.display(),
                bases.len()
            ));
        }
    }
    let project = config.as_ref().map(|c| c.base_dir.clone());
    Ok(bases
        .iter()
        .map(|base| {
            // A root that is a repository itself does not index the
            // sub-repositories below it.
            let exclude = bases.iter().filter(|b| *b != base).cloned().collect();
            let modules = args.modules.clone().or_else(|| {
                let project = project.as_deref()?;
                project_modules(project, &layout.root, base)
            });
            (
                base.clone(),
                RepoOptions {
                    exclude,
                    modules,
                    ..options.clone()
                },
            )
        })
        .collect())
}

/// The module metadata file the project keeps for repository `base` of
/// the tree at `root` (see [`crate::assemble::modules::module_file`]).
pub fn project_modules(project: &Path, root: &Path, base: &Path) -> Option<PathBuf> {
    let name = if base == root {
        String::new()
    } else {
        base.file_name()?.to_string_lossy().into_owned()
    };
    Some(crate::assemble::modules::module_file(project, &name)).filter(|path| path.is_file())
}

fn find_root(start: &Path) -> Option<PathBuf> {
    let candidates = [
        start.to_path_buf(),
        start.join("build_iso").join("isolinux"),
        start.join("isolinux"),
    ];
    candidates
        .iter()
        .find(|dir| is_media_root(dir))
        .cloned()
        .or_else(|| start.is_dir().then(|| start.to_path_buf()))
}

fn report(summary: &RepoSummary) {
    let mut line = format!(
        "{}: {} package(s), {} read, {} reused",
        summary.repodata.display(),
        summary.packages,
        summary.read,
        summary.reused
    );
    if let Some(group) = &summary.group {
        line.push_str(&format!("; group {group}"));
    }
    if summary.modules {
        line.push_str("; modules");
    }
    if !summary.kept.is_empty() {
        line.push_str(&format!("; kept {}", summary.kept.join(", ")));
    }
    if !summary.removed.is_empty() {
        line.push_str(&format!("; removed {} old file(s)", summary.removed.len()));
    }
    println!("{line}");
    for note in &summary.notes {
        println!("note: {note}");
    }
}
