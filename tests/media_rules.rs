//! KS2xxx end to end through `kslint::analysis::analyze`: real RPMs built
//! with the `rpm` crate and real comps files in temporary media trees.

mod media_common;

use media_common::*;

fn base() -> Vec<testkit::RpmSpec> {
    vec![
        rpm("bash", "4.2.46")
            .provides("/bin/sh")
            .requires("libc.so.6()(64bit)")
            .file("/usr/bin/bash"),
        rpm("glibc", "2.17").provides("libc.so.6()(64bit)"),
    ]
}

fn has(summary: &[String], wanted: &str) -> bool {
    summary.iter().any(|line| line == wanted)
}

#[test]
fn unknown_groups_renamed_ids_and_names() {
    let mut specs = base();
    specs.push(rpm("httpd", "2.4.6"));
    let comps = comps(
        &[
            group("core", "Core", &[("bash", "mandatory")]),
            group("web-server", "Basic Web Server", &[("httpd", "mandatory")]),
        ],
        &[("minimal-environment", "Minimal Install", &["core"], &[])],
    );
    let tree = SeedTree::new(&specs, &comps);
    let analysis = tree.check(
        "%packages\n@^minimal\n@web-sevrer\n@^web-server\n@minimal-environment\n@bash\n@core\n@web-server\n%end\n",
    );
    let found = findings(&analysis);
    let summary = summary(&analysis);
    assert_eq!(
        summary,
        [
            "KS2001 minimal",
            "KS2007 minimal",
            "KS2001 web-sevrer",
            "KS2001 web-server",
            "KS2001 minimal-environment",
            "KS2001 bash",
        ],
        "{found:#?}"
    );
    assert!(
        found[0].3.contains("renamed between releases")
            && found[0].3.contains("minimal-environment")
    );
    assert!(found[2].3.contains("did you mean `web-server`?"));
    assert!(found[3].3.contains("is a group, not an environment"));
    assert!(found[4].3.contains("is an environment, not a group"));
    assert!(found[5].3.contains("is a package, not a group"));
    let first = media_diagnostics(&analysis).next().unwrap();
    let fix = first.fix.as_ref().expect("rename fix");
    assert_eq!(fix.edits[0].replacement, "minimal-environment");

    // Names work as well as ids.
    let analysis = tree.check("%packages\n@^Minimal Install\n%end\n");
    assert!(
        summary_of(&analysis).is_empty(),
        "{:#?}",
        findings(&analysis)
    );
}

fn summary_of(analysis: &kslint::analysis::Analysis) -> Vec<String> {
    summary(analysis)
}

#[test]
fn packages_globs_provides_obsoletes_and_exclusions() {
    let mut specs = base();
    specs.extend([
        rpm("httpd", "2.4.6"),
        rpm("vim-enhanced", "7.4").provides("vim"),
        rpm("newpkg", "2.0").obsoletes("oldpkg < 2.0"),
        testkit::RpmSpec::new("glibc", "2.17", "i686").provides("libc.so.6"),
        noarch("iwl7260-firmware", "25.30"),
    ]);
    let comps = comps(&[group("core", "Core", &[("bash", "mandatory")])], &[]);
    let tree = SeedTree::new(&specs, &comps);
    let text = "%packages\n@core\nhttpdd\nvim\noldpkg\nglibc.i686\nglibc.ppc64\niwl*-firmware\nnothing*\n/usr/bin/bash\n-iwl*firmwre\n-notthere\n%end\n";
    let analysis = tree.check(text);
    let found = findings(&analysis);
    assert_eq!(
        summary(&analysis),
        [
            "KS2002 httpdd",
            "KS2002 glibc.ppc64",
            "KS2002 nothing*",
            "KS2003 iwl*firmwre",
            "KS2003 notthere",
        ],
        "{found:#?}"
    );
    assert_eq!(found[0].1, "error");
    assert!(found[0].3.contains("did you mean `httpd`?"));
    assert_eq!(found[3].1, "warning");

    let analysis = tree.check(&text.replace("%packages\n", "%packages --ignoremissing\n"));
    let found = findings(&analysis);
    assert_eq!(found[0].0, "KS2002");
    assert_eq!(found[0].1, "info", "{found:#?}");
    assert!(found[0].3.contains("--ignoremissing"));
}

#[test]
fn group_contents_honour_options_exclusions_and_environments() {
    let mut specs = base();
    specs.extend([rpm("chrony", "3.4"), rpm("httpd", "2.4.6")]);
    let comps = comps(
        &[
            group(
                "core",
                "Core",
                &[
                    ("bash", "mandatory"),
                    ("missing-mand", "mandatory"),
                    ("chrony", "default"),
                    ("missing-def", "default"),
                    ("tboot", "optional"),
                ],
            ),
            group(
                "extras",
                "Extras",
                &[
                    ("httpd", "mandatory"),
                    ("gone", "default"),
                    ("opt-missing", "optional"),
                ],
            ),
        ],
        &[("server", "Server", &["extras"], &[])],
    );
    let tree = SeedTree::new(&specs, &comps);

    let analysis = tree.check("%packages\n@core\n%end\n");
    let found = findings(&analysis);
    assert_eq!(
        summary(&analysis)
            .into_iter()
            .filter(|s| !s.starts_with("KS2012"))
            .collect::<Vec<_>>(),
        ["KS2004 core", "KS2005 core"],
        "{found:#?}"
    );
    assert!(found
        .iter()
        .any(|f| f.0 == "KS2004" && f.3.contains("`missing-mand`")));
    assert!(
        !found.iter().any(|f| f.3.contains("tboot")),
        "optional not expected"
    );

    let analysis = tree.check("%packages --nocore\n@extras --nodefaults\n%end\n");
    assert!(
        !summary(&analysis)
            .iter()
            .any(|s| s.starts_with("KS2004") || s.starts_with("KS2005")),
        "{:#?}",
        findings(&analysis)
    );

    // The environment's groups and the implicit core group; an exclusion
    // removes a mandatory package from what is expected.
    let analysis = tree.check("%packages\n@^server\n-missing-mand\n%end\n");
    let summary = summary(&analysis);
    assert!(has(&summary, "KS2005 %packages"), "{summary:?}");
    assert!(has(&summary, "KS2005 server"), "{summary:?}");
    assert!(
        !summary.iter().any(|s| s.starts_with("KS2004")),
        "{summary:?}"
    );
    assert!(has(&summary, "KS2003 missing-mand"), "{summary:?}");

    let analysis = tree.check("%packages --nocore\n@extras --optional\n%end\n");
    let found = findings(&analysis);
    assert!(
        found
            .iter()
            .any(|f| f.0 == "KS2005" && f.3.contains("optional") && f.3.contains("opt-missing")),
        "{found:#?}"
    );
}

#[test]
fn dependency_closure_is_right_on_versions_files_rich_and_arches() {
    let specs = vec![
        rpm("app", "1.0")
            .requires("lib >= 2.0")
            .requires("/usr/bin/tool")
            .requires("virt-cap")
            .requires("(alt-a or alt-b)")
            .requires("(plugin if app-extra)")
            .requires("epochpkg >= 1.0")
            .requires("lib < 3"),
        rpm("lib", "2.1"),
        rpm("toolpkg", "1.0").file("/usr/bin/tool"),
        rpm("virtpkg", "1.0").provides("virt-cap = 5"),
        rpm("alt-b", "1.0"),
        rpm("epochpkg", "0.5").epoch(1),
        rpm("broken", "1.0")
            .requires("lib < 2.0")
            .requires("missing-lib.so.1()(64bit)")
            .requires("(alt-x or alt-y)")
            .requires("(nothing-here if app)"),
        rpm("libfoo", "1.0").provides("libfoo.so.1()(64bit)"),
        testkit::RpmSpec::new("needs32", "1.0", "i686").requires("libfoo.so.1"),
        rpm("usesexcl", "1.0").requires("exclpkg"),
        rpm("exclpkg", "1.0"),
        rpm("top", "1.0").requires("mid >= 1.0-1"),
        noarch("mid", "1.0").requires("gone-dep"),
    ];
    let comps = comps(&[], &[]);
    let tree = SeedTree::new(&specs, &comps);
    let analysis = tree
        .check("%packages --nocore\napp\nbroken\nneeds32.i686\nusesexcl\n-exclpkg\ntop\n%end\n");
    let found = findings(&analysis);
    let unresolved: Vec<(String, String)> = found
        .iter()
        .filter(|f| f.0 == "KS2006")
        .map(|f| {
            let requirement = f.3.split('`').nth(3).unwrap_or_default().to_string();
            (f.2.clone(), requirement)
        })
        .collect();
    let expected = [
        ("broken", "lib < 2.0"),
        ("broken", "missing-lib.so.1()(64bit)"),
        ("broken", "(alt-x or alt-y)"),
        ("broken", "(nothing-here if app)"),
        ("needs32.i686", "libfoo.so.1"),
        ("usesexcl", "exclpkg"),
        ("top", "gone-dep"),
    ];
    for (line, requirement) in expected {
        assert!(
            unresolved.contains(&(line.to_string(), requirement.to_string())),
            "missing {line}: {requirement} in {unresolved:#?}"
        );
    }
    assert_eq!(unresolved.len(), expected.len(), "{unresolved:#?}");
    let chain = found.iter().find(|f| f.3.contains("gone-dep")).unwrap();
    assert!(chain.3.contains("top → mid"), "{}", chain.3);
    let excluded = found.iter().find(|f| f.2 == "usesexcl").unwrap();
    assert!(excluded.3.contains("excluded"), "{}", excluded.3);
}

#[test]
fn kickstart_only_rules_run_without_media() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ks.cfg");
    let text = "%packages\n@^a-environment\nvim\nvim\nmod_ssl\n%end\n%packages --nobase\n@^b-environment\n-mod_ssl\nhttpdd\n%end\n";
    std::fs::write(&path, text).unwrap();
    let analysis = kslint::analysis::analyze(
        kslint::source::SourceFile::new(path, text),
        &kslint::analysis::CheckOptions::default(),
    );
    let found = findings(&analysis);
    assert_eq!(
        summary(&analysis),
        [
            "KS2007 a-environment",
            "KS2008 vim",
            "KS2009 %packages --nobase",
            "KS2008 mod_ssl",
        ],
        "{found:#?}"
    );
    assert_eq!(found[1].1, "info");
    assert_eq!(found[3].1, "warning");
    assert_eq!(
        media_diagnostics(&analysis).next().unwrap().related.len(),
        1
    );
}

#[test]
fn module_streams_need_module_metadata() {
    let tree = SeedTree::new(&base(), &comps(&[], &[]));
    let analysis = tree.check("%packages --nocore\n@nodejs:18\nbash\n%end\n");
    assert_eq!(
        summary(&analysis),
        ["KS2010 nodejs"],
        "{:#?}",
        findings(&analysis)
    );
}

#[test]
fn corrupt_rpms_and_malformed_comps_are_diagnostics() {
    let tree = SeedTree::new(
        &base(),
        "<comps>\n  <group>\n    <id>core</group>\n</comps>\n",
    );
    let good = rpm("httpd", "2.4.6").build().unwrap();
    std::fs::write(
        tree.packages().join("truncated-1-1.x86_64.rpm"),
        &good[..good.len().min(300)],
    )
    .unwrap();
    std::fs::write(
        tree.packages().join("garbage-1-1.x86_64.rpm"),
        b"not an rpm at all",
    )
    .unwrap();
    std::fs::write(tree.packages().join("empty-1-1.x86_64.rpm"), b"").unwrap();
    let analysis = tree.check("%packages\n@core\nhttpdd\nbash\n%end\n");
    let found = findings(&analysis);
    let unreadable: Vec<_> = media_diagnostics(&analysis)
        .filter(|d| d.rule.code == "KS2013")
        .map(|d| analysis.sources.get(d.location.file).path.clone())
        .collect();
    assert_eq!(unreadable.len(), 4, "{found:#?}");
    assert!(unreadable.iter().any(|p| p.ends_with("comps.xml")));
    assert!(unreadable
        .iter()
        .any(|p| p.ends_with("truncated-1-1.x86_64.rpm")));
    let comps_error = media_diagnostics(&analysis)
        .find(|d| {
            analysis
                .sources
                .get(d.location.file)
                .path
                .ends_with("comps.xml")
        })
        .unwrap();
    let file = analysis.sources.get(comps_error.location.file);
    let position = file.position(
        comps_error.location.range.start,
        kslint::source::ColumnUnit::Chars,
    );
    assert_eq!(position.line, 2, "{found:#?}");
    // The rest of the media is still checked.
    assert!(has(&summary(&analysis), "KS2002 httpdd"), "{found:#?}");
    assert!(has(&summary(&analysis), "KS2001 core"), "{found:#?}");
}

#[test]
fn comps_groups_with_packages_not_on_media_are_info() {
    let comps = comps(
        &[
            group("core", "Core", &[("bash", "mandatory")]),
            group(
                "debugging",
                "Debugging",
                &[("crash-ptdump-command", "default"), ("bash", "default")],
            ),
        ],
        &[],
    );
    let tree = SeedTree::new(&base(), &comps);
    let analysis = tree.check("%packages\n@core\n%end\n");
    let found = findings(&analysis);
    assert_eq!(summary(&analysis), ["KS2012 debugging"], "{found:#?}");
    assert_eq!(found[0].1, "info");
    assert!(found[0].3.contains("crash-ptdump-command"));
}

#[test]
fn stale_repodata_is_found() {
    let tree = StockTree::new(&base());
    let comps = comps(&[group("core", "Core", &[("bash", "mandatory")])], &[]);
    let analysis = tree.check("%packages\nbash\n%end\n");
    assert_eq!(
        summary(&analysis),
        ["KS2011 "],
        "no repodata: {:#?}",
        findings(&analysis)
    );
    if !tree.createrepo(&comps) {
        return;
    }
    let analysis = tree.check("%packages\n@core\nbash\n%end\n");
    assert!(
        analysis.diagnostics.is_empty(),
        "{:#?}",
        findings(&analysis)
    );

    rpm("added", "1.0")
        .write_to(&tree.root().join("Packages"))
        .unwrap();
    let analysis = tree.check("%packages\n@core\nbash\n%end\n");
    let found = findings(&analysis);
    assert_eq!(found.len(), 1, "{found:#?}");
    assert!(found[0].3.contains("not in the repodata") && found[0].3.contains("added-1.0"));
    assert_eq!(found[0].1, "error");

    std::fs::remove_file(
        tree.root()
            .join("Packages")
            .join(rpm("added", "1.0").file_name()),
    )
    .unwrap();
    std::fs::remove_file(
        tree.root()
            .join("Packages")
            .join(rpm("glibc", "2.17").file_name()),
    )
    .unwrap();
    let analysis = tree.check("%packages\n@core\nbash\n%end\n");
    let found = findings(&analysis);
    assert!(
        found
            .iter()
            .any(|f| f.0 == "KS2011" && f.3.contains("not in Packages/")),
        "{found:#?}"
    );
    assert!(found.iter().any(|f| f.0 == "KS2006"), "{found:#?}");

    // A metadata file changed after createrepo.
    let primary = std::fs::read_dir(tree.root().join("repodata"))
        .unwrap()
        .filter_map(Result::ok)
        .map(|e| e.path())
        .find(|p| p.to_string_lossy().contains("primary"))
        .unwrap();
    let mut bytes = std::fs::read(&primary).unwrap();
    bytes.push(b'\n');
    std::fs::write(&primary, bytes).unwrap();
    let analysis = tree.check("%packages\n@core\nbash\n%end\n");
    let found = findings(&analysis);
    assert!(
        found
            .iter()
            .any(|f| f.0 == "KS2011" && f.3.contains("repomd.xml says")),
        "{found:#?}"
    );
}

#[test]
fn repodata_is_used_when_packages_are_absent() {
    let mut specs = base();
    specs.push(
        rpm("httpd", "2.4.6")
            .requires("/usr/bin/bash")
            .requires("/bin/sh"),
    );
    let tree = StockTree::new(&specs);
    let comps = comps(&[group("core", "Core", &[("bash", "mandatory")])], &[]);
    if !tree.createrepo(&comps) {
        return;
    }
    std::fs::remove_dir_all(tree.root().join("Packages")).unwrap();
    let analysis = tree.check("%packages\n@core\nhttpd\nhttpdd\n%end\n");
    assert_eq!(
        summary(&analysis),
        ["KS2002 httpdd"],
        "{:#?}",
        findings(&analysis)
    );
}

#[test]
fn rhel6_installs_base_unless_nobase() {
    let comps = comps(
        &[
            group("core", "Core", &[("bash", "mandatory")]),
            group("base", "Base", &[("missing-tool", "mandatory")]),
        ],
        &[],
    );
    let tree = SeedTree::new(&base(), &comps);
    let analysis = tree.check("#version=RHEL6\n%packages\n@core\n%end\n");
    let found = findings(&analysis);
    assert!(
        found
            .iter()
            .any(|f| f.0 == "KS2004" && f.2 == "%packages" && f.3.contains("--nobase")),
        "{found:#?}"
    );
    let analysis = tree.check("#version=RHEL6\n%packages --nobase\n@core\n%end\n");
    assert!(
        !findings(&analysis).iter().any(|f| f.0 == "KS2004"),
        "{:#?}",
        findings(&analysis)
    );
    let analysis = tree.check("#version=RHEL7\n%packages\n@core\n%end\n");
    assert!(!findings(&analysis).iter().any(|f| f.0 == "KS2004"));
}
