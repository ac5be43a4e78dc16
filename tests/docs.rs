//! Documentation completeness: every rule has its page with every section,
//! docs/rules holds nothing the registry does not generate, and every
//! kickstart command, section and option in the catalogue has hover docs.

use std::collections::BTreeSet;
use std::path::Path;

use kslint::catalog::{self, SyntaxVersion};
use kslint::ide::docs;
use kslint::rules::{self, REGISTRY};

const SECTIONS: &[&str] = &[
    "## What it does",
    "## Why it breaks an install",
    "## Example",
    "## Fix",
];

fn rules_dir() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/rules")
}

#[test]
fn every_rule_has_a_complete_page() {
    let mut problems = Vec::new();
    for rule in REGISTRY {
        let path = rules_dir().join(format!("{}.md", rule.code));
        let Ok(page) = std::fs::read_to_string(&path) else {
            problems.push(format!("{}: no page {}", rule.code, path.display()));
            continue;
        };
        // The binary shows exactly the committed page (`kslint explain`, hover, SARIF).
        if page != rule.explanation {
            problems.push(format!(
                "{}: page differs from the built-in text",
                rule.code
            ));
        }
        let title = format!("# {} {}\n", rule.code, rule.name);
        if !page.starts_with(&title) {
            problems.push(format!(
                "{}: first line must be `{}`",
                rule.code,
                title.trim()
            ));
        }
        let severity = format!("\nSeverity: {}\n", rule.default_severity.as_str());
        if !page.contains(&severity) {
            problems.push(format!("{}: lacks `{}`", rule.code, severity.trim()));
        }
        let mut last = 0;
        for heading in SECTIONS {
            match page.find(&format!("\n{heading}\n")) {
                Some(at) if at >= last => {
                    let body_start = at + heading.len() + 2;
                    let body = page[body_start..].split("\n## ").next().unwrap_or("");
                    if body.trim().is_empty() {
                        problems.push(format!("{}: `{heading}` is empty", rule.code));
                    }
                    last = at;
                }
                Some(_) => problems.push(format!("{}: `{heading}` is out of order", rule.code)),
                None => problems.push(format!("{}: lacks `{heading}`", rule.code)),
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// docs/rules holds one page per registered rule and the generated index,
/// nothing else; the index is exactly what `kslint rules --format markdown`
/// prints. Regenerate it with that command.
#[test]
fn rule_pages_are_exactly_the_registry() {
    let expected: BTreeSet<String> = REGISTRY
        .iter()
        .map(|rule| format!("{}.md", rule.code))
        .chain(["README.md".to_string()])
        .collect();
    let found: BTreeSet<String> = std::fs::read_dir(rules_dir())
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    let stale: Vec<_> = found.difference(&expected).collect();
    let missing: Vec<_> = expected.difference(&found).collect();
    assert!(
        stale.is_empty() && missing.is_empty(),
        "stale pages (no such rule): {stale:?}; missing pages: {missing:?}"
    );
    let index = std::fs::read_to_string(rules_dir().join("README.md")).unwrap();
    assert!(
        index == rules::markdown_index(),
        "docs/rules/README.md is stale: run `cargo run -- rules --format markdown > docs/rules/README.md`"
    );
    for rule in REGISTRY {
        assert!(
            index.contains(&format!("[{code}]({code}.md)", code = rule.code)),
            "{} is not in the index",
            rule.code
        );
    }
}

/// Every command name (and alias) any syntax version registers, every
/// section, and every option of each, has a description for hover.
#[test]
fn every_command_section_and_option_has_hover_docs() {
    let mut missing = BTreeSet::new();
    let mut options_seen = 0;
    for version in SyntaxVersion::all() {
        for name in catalog::command_names(version) {
            if docs::command(name).is_none() {
                missing.insert(format!("command {name}"));
            }
            let Some((_, spec)) = catalog::lookup_command(version, name) else {
                missing.insert(format!(
                    "command {name} is listed but not found in {version}"
                ));
                continue;
            };
            for option in spec.options {
                options_seen += 1;
                if docs::option(spec.name, option.names).is_none() {
                    missing.insert(format!("option {} {}", spec.name, option.names.join("|")));
                }
            }
        }
        for name in catalog::section_names() {
            if docs::section(name).is_none() {
                missing.insert(format!("section {name}"));
            }
            if let Some(spec) = catalog::lookup_section(version, name) {
                for option in spec.options {
                    options_seen += 1;
                    if docs::option(spec.name, option.names).is_none() {
                        missing.insert(format!("option {name} {}", option.names.join("|")));
                    }
                }
            }
        }
    }
    assert!(
        options_seen > 1000,
        "the catalogue walk found {options_seen} options"
    );
    let missing: Vec<_> = missing.into_iter().collect();
    assert!(
        missing.is_empty(),
        "no hover docs for:\n{}",
        missing.join("\n")
    );
}

/// The option docs depend on the command: `--name` of `user` is not the
/// `--name` of `logvol`, and shared storage options read the same everywhere.
#[test]
fn option_docs_follow_the_owner() {
    let user = docs::option("user", &["--name"]).unwrap();
    let logvol = docs::option("logvol", &["--name"]).unwrap();
    assert_ne!(user, logvol);
    assert_eq!(
        docs::option("part", &["--fstype"]),
        docs::option("logvol", &["--fstype"])
    );
    assert!(docs::option("%post", &["--nochroot"]).is_some());
    assert!(docs::option("%packages", &["--nochroot"]).is_none());
    assert!(docs::option("%packages", &["--interpreter"]).is_none());
    assert!(docs::option("network", &["--no-such-option"]).is_none());
}
