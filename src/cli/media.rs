//! `kslint media check` and `kslint media info`: the install media on its
//! own, without a kickstart.

use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};

use clap::{Subcommand, ValueEnum};
use serde_json::json;

use super::exit;
use crate::media::comps::ReqType;
use crate::media::layout::is_media_root;
use crate::media::xml::line_column;
use crate::media::{relative, MediaIndex, MediaLayout, PackageSource};

#[derive(Subcommand, Debug)]
pub enum MediaCommand {
    /// Check every package on the media against the others, like
    /// `rpm --test -Uvh Packages/*.rpm`, plus unreadable files and stale
    /// repodata.
    Check(MediaArgs),
    /// Show the release, package counts, groups and environments.
    Info(MediaArgs),
}

#[derive(clap::Args, Debug)]
pub struct MediaArgs {
    /// The ISO root (or a directory holding `build_iso/isolinux`); default `.`.
    root: Option<PathBuf>,
    /// The comps file to use instead of the repodata's `group` record.
    #[arg(long, value_name = "FILE")]
    comps: Option<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    format: Format,
    /// Read every header again instead of using the cache.
    #[arg(long)]
    no_cache: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum Format {
    Human,
    Json,
}

pub fn run(command: &MediaCommand) -> u8 {
    let args = match command {
        MediaCommand::Check(args) | MediaCommand::Info(args) => args,
    };
    let start = args.root.clone().unwrap_or_else(|| PathBuf::from("."));
    let Some(root) = find_root(&start) else {
        eprintln!(
            "error: {} is not an install tree (no Packages/, repodata/ or .treeinfo)",
            start.display()
        );
        return exit::FAILURE;
    };
    let Some(layout) = MediaLayout::at(&root, args.comps.clone()) else {
        eprintln!("error: cannot read {}", root.display());
        return exit::FAILURE;
    };
    let cache = if args.no_cache {
        None
    } else {
        crate::media::cache::cache_file(&layout.root)
    };
    let (media, _) = MediaIndex::load_with(layout, cache.as_deref());
    match command {
        MediaCommand::Check(_) => check(&media, args.format),
        MediaCommand::Info(_) => info(&media, args.format),
    }
}

fn find_root(start: &Path) -> Option<PathBuf> {
    [
        start.to_path_buf(),
        start.join("build_iso").join("isolinux"),
        start.join("isolinux"),
    ]
    .into_iter()
    .find(|dir| is_media_root(dir))
}

fn check(media: &MediaIndex, format: Format) -> u8 {
    let index = &media.packages;
    let members: HashSet<usize> = (0..index.len())
        .filter(|&id| !index.get(id).is_source())
        .collect();
    let unresolved = index.unresolved(&members);
    let conflicts = index.conflicts(&members);
    let root = &media.layout.root;
    let problems: Vec<_> = media
        .problems
        .iter()
        .map(|problem| {
            let position = match (&problem.text, problem.offset) {
                (Some(text), Some(offset)) => Some(line_column(text, offset)),
                _ => None,
            };
            (relative(root, &problem.path), position, &problem.message)
        })
        .collect();
    let failed = !unresolved.is_empty() || !problems.is_empty() || !media.stale.is_empty();
    match format {
        Format::Json => {
            let value = json!({
                "version": 1,
                "root": root.display().to_string(),
                "packages": index.len(),
                "unresolved": unresolved.iter().map(|(id, dep)| json!({
                    "package": index.get(*id).nevra(),
                    "location": index.get(*id).location,
                    "requires": dep.to_string(),
                })).collect::<Vec<_>>(),
                "conflicts": conflicts.iter().map(|(id, dep, other)| json!({
                    "package": index.get(*id).nevra(),
                    "conflicts": dep.to_string(),
                    "with": index.get(*other).nevra(),
                })).collect::<Vec<_>>(),
                "problems": problems.iter().map(|(path, position, message)| json!({
                    "path": path,
                    "line": position.map(|p| p.0),
                    "column": position.map(|p| p.1),
                    "message": message,
                })).collect::<Vec<_>>(),
                "stale": media.stale.iter().map(|stale| json!({
                    "path": relative(root, &stale.path),
                    "message": stale.message,
                })).collect::<Vec<_>>(),
            });
            println!("{value:#}");
        }
        Format::Human => {
            for (path, position, message) in &problems {
                match position {
                    Some((line, column)) => println!("error: {path}:{line}:{column}: {message}"),
                    None => println!("error: {path}: {message}"),
                }
            }
            for stale in &media.stale {
                println!(
                    "error: {}: stale repodata: {}",
                    relative(root, &stale.path),
                    stale.message
                );
            }
            if !unresolved.is_empty() {
                println!("error: failed dependencies:");
                for (id, dep) in &unresolved {
                    println!("\t{dep} is needed by {}", index.get(*id).nevra());
                }
            }
            for (id, dep, other) in &conflicts {
                println!(
                    "warning: {} conflicts with {dep} (provided by {})",
                    index.get(*id).nevra(),
                    index.get(*other).nevra()
                );
            }
            println!(
                "{}: {} package(s), {} unresolved requirement(s), {} conflict(s), {} unreadable file(s), {} repodata problem(s)",
                root.display(),
                index.len(),
                unresolved.len(),
                conflicts.len(),
                problems.len(),
                media.stale.len()
            );
        }
    }
    if failed {
        exit::FINDINGS
    } else {
        exit::CLEAN
    }
}

fn info(media: &MediaIndex, format: Format) -> u8 {
    let root = &media.layout.root;
    let release = crate::analysis::media_release(root).map(|(version, path)| {
        let text = std::fs::read_to_string(&path).unwrap_or_default();
        let name = if path.ends_with(".discinfo") {
            text.lines().nth(1).unwrap_or("").trim().to_string()
        } else {
            String::new()
        };
        (version.name().to_string(), name, relative(root, &path))
    });
    let index = &media.packages;
    let mut arches: BTreeMap<&str, usize> = BTreeMap::new();
    for package in &index.packages {
        *arches.entry(package.arch.as_str()).or_default() += 1;
    }
    let groups: Vec<_> = media
        .comps()
        .map(|comps| {
            comps
                .groups
                .iter()
                .map(|group| {
                    let count = |kind| group.packages.iter().filter(|p| p.kind == kind).count();
                    let missing = group
                        .packages
                        .iter()
                        .filter(|p| matches!(p.kind, ReqType::Mandatory | ReqType::Default))
                        .filter(|p| index.by_name(&p.name).is_empty())
                        .count();
                    let name = group
                        .names
                        .iter()
                        .find(|n| n.lang.is_none())
                        .map_or("", |n| n.text.as_str());
                    (
                        group.id.as_str(),
                        name,
                        group.uservisible,
                        count(ReqType::Mandatory),
                        count(ReqType::Default),
                        count(ReqType::Optional),
                        missing,
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    let environments: Vec<_> = media
        .comps()
        .map(|comps| {
            comps
                .environments
                .iter()
                .map(|env| {
                    let name = env
                        .names
                        .iter()
                        .find(|n| n.lang.is_none())
                        .map_or("", |n| n.text.as_str());
                    (
                        env.id.as_str(),
                        name,
                        env.groups.clone(),
                        env.options.clone(),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    let source = match media.source {
        PackageSource::Headers => "RPM headers",
        PackageSource::Repodata => "repodata",
        PackageSource::None => "none",
    };
    match format {
        Format::Json => {
            let value = json!({
                "version": 1,
                "root": root.display().to_string(),
                "layout": format!("{:?}", media.layout.kind).to_lowercase(),
                "release": release.as_ref().map(|(version, name, path)| json!({
                    "syntax": version, "name": name, "from": path,
                })),
                "repositories": media.layout.repos.iter().map(|r| relative(root, &r.base)).collect::<Vec<_>>(),
                "comps": media.comps.as_ref().map(|c| relative(root, &c.path)),
                "package_source": source,
                "packages": index.len(),
                "arches": arches,
                "modules": media.has_modules,
                "groups": groups.iter().map(|(id, name, visible, m, d, o, missing)| json!({
                    "id": id, "name": name, "uservisible": visible,
                    "mandatory": m, "default": d, "optional": o, "missing": missing,
                })).collect::<Vec<_>>(),
                "environments": environments.iter().map(|(id, name, groups, options)| json!({
                    "id": id, "name": name, "groups": groups, "options": options,
                })).collect::<Vec<_>>(),
                "problems": media.problems.len(),
                "stale": media.stale.len(),
            });
            println!("{value:#}");
        }
        Format::Human => {
            println!("media:        {}", root.display());
            println!("layout:       {:?}", media.layout.kind);
            match &release {
                Some((version, name, path)) if !name.is_empty() => {
                    println!("release:      {name} (syntax {version}, from {path})")
                }
                Some((version, _, path)) => {
                    println!("release:      syntax {version} (from {path})")
                }
                None => println!("release:      unknown (no .treeinfo or .discinfo)"),
            }
            for repo in &media.layout.repos {
                println!(
                    "repository:   {}{}{}",
                    match relative(root, &repo.base).as_str() {
                        "" => ".".to_string(),
                        other => other.to_string(),
                    },
                    if repo.packages.is_some() {
                        " Packages/"
                    } else {
                        ""
                    },
                    if repo.repomd.is_some() {
                        " repodata/"
                    } else {
                        ""
                    }
                );
            }
            match &media.comps {
                Some(comps) => println!("comps:        {}", comps.path.display()),
                None => println!("comps:        none"),
            }
            let arches: Vec<String> = arches.iter().map(|(a, n)| format!("{n} {a}")).collect();
            println!(
                "packages:     {} from {source} ({})",
                index.len(),
                arches.join(", ")
            );
            println!(
                "modules:      {}",
                if media.has_modules { "yes" } else { "no" }
            );
            if !media.problems.is_empty() || !media.stale.is_empty() {
                println!(
                    "problems:     {} unreadable file(s), {} repodata problem(s) (see `kslint media check`)",
                    media.problems.len(),
                    media.stale.len()
                );
            }
            println!("environments: {}", environments.len());
            for (id, name, groups, _) in &environments {
                println!("  @^{id:<34} {name} [{}]", groups.join(", "));
            }
            println!("groups:       {}", groups.len());
            for (id, name, visible, m, d, o, missing) in &groups {
                let missing = if *missing > 0 {
                    format!(", {missing} missing")
                } else {
                    String::new()
                };
                println!(
                    "  @{id:<35} {name}{} ({m} mandatory, {d} default, {o} optional{missing})",
                    if *visible { "" } else { " (hidden)" }
                );
            }
        }
    }
    exit::CLEAN
}
