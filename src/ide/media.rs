//! Editor features that need the install media: hover over packages and
//! groups, completion of names in `%packages`, and `@group` → its element in
//! comps.

use std::fmt::Write;

use super::completion::{Completion, CompletionKind, Insert};
use super::outline::Link;
use crate::analysis::Analysis;
use crate::media::comps::{Found, Group, ReqType};
use crate::media::MediaIndex;
use crate::source::TextRange;
use crate::syntax::model::{PackageEntry, PackageKind};

/// The `%packages` entry whose name contains `offset`.
fn entry_at(analysis: &Analysis, offset: usize) -> Option<&PackageEntry> {
    analysis
        .document
        .sections()
        .flat_map(|section| section.packages())
        .find(|entry| entry.name_range.start <= offset && offset <= entry.name_range.end)
}

pub(super) fn hover(analysis: &Analysis, offset: usize) -> Option<(TextRange, String)> {
    let media = analysis.media.as_deref()?;
    let entry = entry_at(analysis, offset)?;
    let markdown = match entry.kind {
        PackageKind::Package | PackageKind::ExcludedPackage => package_markdown(media, &entry.name),
        PackageKind::Group | PackageKind::ExcludedGroup | PackageKind::Environment => {
            group_markdown(media, &entry.name)
        }
        PackageKind::Module => return None,
    };
    Some((entry.name_range, markdown))
}

fn package_markdown(media: &MediaIndex, name: &str) -> String {
    let ids = media.packages.best_by_name(name);
    if ids.is_empty() {
        let matching = if name.contains(['*', '?', '[']) {
            let pattern = globset::Glob::new(name).map(|glob| glob.compile_matcher());
            match pattern {
                Ok(matcher) => media
                    .packages
                    .names()
                    .filter(|candidate| matcher.is_match(candidate))
                    .count(),
                Err(_) => 0,
            }
        } else {
            0
        };
        return if matching > 0 {
            format!("`{name}` matches {matching} package name(s) on the media")
        } else {
            format!("`{name}` is not on the media")
        };
    }
    let mut markdown = String::new();
    for id in ids {
        let package = media.packages.get(id);
        let _ = writeln!(markdown, "**{}** — {}\n", package.nevra(), package.summary);
        if package.size > 0 {
            let _ = writeln!(
                markdown,
                "{} · {:.1} KiB\n",
                package.location,
                package.size as f64 / 1024.0
            );
        } else {
            let _ = writeln!(markdown, "{}\n", package.location);
        }
    }
    if let Some(comps) = &media.comps {
        let groups: Vec<String> = comps
            .comps
            .groups
            .iter()
            .filter_map(|group| {
                group
                    .packages
                    .iter()
                    .find(|req| req.name == name)
                    .map(|req| format!("`@{}` ({})", group.id, req.kind.as_str()))
            })
            .collect();
        if !groups.is_empty() {
            let _ = write!(markdown, "In groups: {}", groups.join(", "));
        }
    }
    markdown.trim_end().to_string()
}

fn group_markdown(media: &MediaIndex, name: &str) -> String {
    let Some(comps) = &media.comps else {
        return format!("No comps file on the media: `@{name}` cannot be checked");
    };
    match comps.comps.find(name) {
        Some(Found::Group(group)) => describe_group(media, group),
        Some(Found::Environment(environment)) => {
            let mut markdown = format!(
                "**@^{}** — {}\n\n{}",
                environment.id,
                display_name(&environment.names),
                environment.description
            );
            let _ = write!(
                markdown,
                "\n\nGroups: {}",
                environment
                    .groups
                    .iter()
                    .map(|g| format!("`{g}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            );
            if !environment.options.is_empty() {
                let _ = write!(
                    markdown,
                    "\n\nOptional groups: {}",
                    environment
                        .options
                        .iter()
                        .map(|g| format!("`{g}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                );
            }
            markdown
        }
        Some(Found::Category(category)) => format!("`{}` is a category, not a group", category.id),
        None => format!(
            "`{name}` is not a group or environment in {}",
            comps.path.display()
        ),
    }
}

fn display_name(names: &[crate::media::comps::Name]) -> &str {
    names
        .iter()
        .find(|name| name.lang.is_none())
        .or(names.first())
        .map_or("", |name| name.text.as_str())
}

fn describe_group(media: &MediaIndex, group: &Group) -> String {
    let mut markdown = format!(
        "**@{}** — {}\n\n{}\n",
        group.id,
        display_name(&group.names),
        group.description
    );
    let mut missing = 0;
    for req in &group.packages {
        let present = !media.packages.by_name(&req.name).is_empty();
        if !present {
            missing += 1;
        }
        let mark = match req.kind {
            ReqType::Mandatory => "mandatory",
            ReqType::Default => "default",
            ReqType::Optional => "optional",
            ReqType::Conditional => "conditional",
        };
        let _ = write!(
            markdown,
            "\n- `{}` ({mark}){}",
            req.name,
            if present { "" } else { " — not on the media" }
        );
    }
    if missing > 0 {
        let _ = write!(
            markdown,
            "\n\n{missing} of {} packages are missing from the media",
            group.packages.len()
        );
    }
    markdown
}

/// Names for the partial `word` on a `%packages` line.
pub(super) fn completions(analysis: &Analysis, word: &str, replace: TextRange) -> Vec<Completion> {
    let Some(media) = analysis.media.as_deref() else {
        return Vec::new();
    };
    let complete = |label: String, kind, detail: Option<String>| Completion {
        insert: Insert::Plain(label.clone()),
        label,
        kind,
        detail,
        documentation: None,
        replace,
        deprecated: false,
    };
    if let Some(prefix) = word.strip_prefix("@^") {
        let Some(comps) = &media.comps else {
            return Vec::new();
        };
        return comps
            .comps
            .environments
            .iter()
            .filter(|environment| environment.id.starts_with(prefix))
            .map(|environment| {
                complete(
                    format!("@^{}", environment.id),
                    CompletionKind::Group,
                    Some(display_name(&environment.names).to_string()),
                )
            })
            .collect();
    }
    if let Some(prefix) = word.strip_prefix('@').or_else(|| word.strip_prefix("-@")) {
        let Some(comps) = &media.comps else {
            return Vec::new();
        };
        let sign = if word.starts_with('-') { "-@" } else { "@" };
        return comps
            .comps
            .groups
            .iter()
            .filter(|group| group.id.starts_with(prefix))
            .map(|group| {
                complete(
                    format!("{sign}{}", group.id),
                    CompletionKind::Group,
                    Some(display_name(&group.names).to_string()),
                )
            })
            .collect();
    }
    let (sign, prefix) = match word.strip_prefix('-') {
        Some(rest) => ("-", rest),
        None => ("", word),
    };
    let mut names: Vec<&str> = media
        .packages
        .names()
        .filter(|name| name.starts_with(prefix))
        .collect();
    names.sort_unstable();
    names
        .into_iter()
        .map(|name| {
            let summary = media
                .packages
                .best_by_name(name)
                .first()
                .map(|&id| media.packages.get(id).summary.clone());
            complete(format!("{sign}{name}"), CompletionKind::Package, summary)
        })
        .collect()
}

/// `@group` → its `<id>` in the comps file.
pub(super) fn definition(analysis: &Analysis, offset: usize) -> Option<Link> {
    let media = analysis.media.as_deref()?;
    let entry = entry_at(analysis, offset)?;
    let comps = media.comps.as_ref()?;
    let range = match (entry.kind, comps.comps.find(&entry.name)?) {
        (
            PackageKind::Group | PackageKind::ExcludedGroup | PackageKind::Environment,
            Found::Group(group),
        ) => group.id_range.clone(),
        (
            PackageKind::Group | PackageKind::ExcludedGroup | PackageKind::Environment,
            Found::Environment(environment),
        ) => environment.id_range.clone(),
        _ => return None,
    };
    Some(Link {
        range: entry.name_range,
        target: comps.path.clone(),
        target_range: Some((comps.text.clone(), TextRange::new(range.start, range.end))),
    })
}
