//! Spot checks of catalogue facts against pykickstart 3.78 behaviour. Each
//! one fails if the generated tables drift from what pykickstart does.

use super::*;

fn v(name: &str) -> SyntaxVersion {
    SyntaxVersion::parse(name).unwrap_or_else(|| panic!("version {name}"))
}

fn status(version: &str, cmd: &str) -> Option<CommandStatus> {
    lookup_command(v(version), cmd).map(|(s, _)| s)
}

fn spec(version: &str, cmd: &str) -> &'static CommandSpec {
    lookup_command(v(version), cmd)
        .unwrap_or_else(|| panic!("{cmd} in {version}"))
        .1
}

fn option(version: &str, cmd: &str, opt: &str) -> &'static OptionSpec {
    match spec(version, cmd).resolve_option(opt) {
        OptionMatch::Exact(o) => o,
        other => panic!("{cmd} {opt} in {version}: {other:?}"),
    }
}

fn section_option(version: &str, section: &str, opt: &str) -> OptionMatch {
    lookup_section(v(version), section)
        .unwrap_or_else(|| panic!("{section} in {version}"))
        .resolve_option(opt)
}

// --- versions -------------------------------------------------------------

#[test]
fn version_table_shape() {
    let all: Vec<_> = SyntaxVersion::all().collect();
    assert_eq!(all.len(), 53);
    assert!(all.len() < 256);
    assert_eq!(all.first().map(|v| v.name()), Some("RHEL3"));
    assert_eq!(all.last().map(|v| v.name()), Some("RHEL11"));
    assert!(all.windows(2).all(|w| w[0].number() < w[1].number()));
    assert_eq!(SyntaxVersion::DEVEL, SyntaxVersion::F46);
    assert_eq!(SyntaxVersion::default(), SyntaxVersion::F46);
    assert_eq!(
        SyntaxVersion::newest(VersionLine::Rhel),
        SyntaxVersion::RHEL11
    );
    assert_eq!(
        SyntaxVersion::newest(VersionLine::Fedora),
        SyntaxVersion::F46
    );
}

#[test]
fn version_parsing() {
    let cases = [
        ("RHEL7", "RHEL7"),
        ("rhel8", "RHEL8"),
        ("F40", "F40"),
        ("f46", "F46"),
        ("DEVEL", "F46"),
        ("devel", "F46"),
        ("rawhide", "F46"),
        ("FC6", "FC6"),
        ("fc3", "FC3"),
        ("centos7", "RHEL7"),
        ("CentOS7", "RHEL7"),
        ("el7", "RHEL7"),
        ("rocky8", "RHEL8"),
        ("alma9", "RHEL9"),
        ("AlmaLinux-9", "RHEL9"),
        ("el9", "RHEL9"),
        ("CentOS-Stream-10", "RHEL10"),
        ("ol8", "RHEL8"),
        ("fedora40", "F40"),
        ("Fedora 40", "F40"),
        ("rhel8.6", "RHEL8"),
        ("centos7.9.2009", "RHEL7"),
        (" RHEL11 ", "RHEL11"),
    ];
    for (input, want) in cases {
        assert_eq!(
            SyntaxVersion::parse(input).map(SyntaxVersion::name),
            Some(want),
            "{input}"
        );
    }
    for bad in [
        "", "F47", "RHEL2", "fedora", "ubuntu22", "rhel8.", "rhel8x", "rhel8..1", "F2",
    ] {
        assert_eq!(SyntaxVersion::parse(bad), None, "{bad}");
    }
    assert_eq!("centos7".parse::<SyntaxVersion>(), Ok(SyntaxVersion::RHEL7));
    assert!("nope".parse::<SyntaxVersion>().is_err());
}

#[test]
fn version_ordering() {
    assert!(v("F40") < v("F46"));
    assert!(v("RHEL9") > v("F34"));
    assert!(v("RHEL9") < v("F35"));
    assert!(v("RHEL7") > v("F21") && v("RHEL7") < v("F22"));
    assert!(v("RHEL10") > v("F40") && v("RHEL10") < v("F41"));
    assert!(v("RHEL11") > v("F46"));
    assert_eq!(v("RHEL9").number(), 34_100);
    assert_eq!(v("RHEL9").major(), 9);
    assert!(v("RHEL9").is_rhel() && !v("F40").is_rhel());
    assert_eq!(v("F40").line(), VersionLine::Fedora);
}

// --- commands -------------------------------------------------------------

#[test]
fn command_statuses() {
    use CommandStatus::{Active, Deprecated, Removed};
    assert_eq!(status("RHEL7", "auth"), Some(Active));
    assert_eq!(status("RHEL9", "authconfig"), Some(Active));
    assert_eq!(status("RHEL10", "auth"), Some(Removed));
    assert_eq!(status("F35", "auth"), Some(Removed));
    assert_eq!(status("RHEL7", "authselect"), None);
    assert_eq!(status("RHEL8", "btrfs"), Some(Deprecated));
    assert_eq!(status("RHEL10", "btrfs"), Some(Removed));
    assert_eq!(status("F46", "btrfs"), Some(Active));
    assert_eq!(status("RHEL8", "install"), Some(Deprecated));
    assert_eq!(status("RHEL9", "install"), Some(Removed));
    assert_eq!(status("F40", "rhsm"), None);
    assert_eq!(status("RHEL8", "rhsm"), Some(Active));
    assert_eq!(status("RHEL7", "upgrade"), Some(Deprecated));
    assert_eq!(status("RHEL8", "upgrade"), None);
    assert_eq!(status("RHEL10", "vnc"), Some(Deprecated));
    assert_eq!(status("F46", "vnc"), Some(Removed));
    assert_eq!(status("F40", "nvdimm"), Some(Deprecated));
    assert_eq!(status("RHEL6", "monitor"), Some(Deprecated));
    assert_eq!(status("RHEL7", "monitor"), None);
    assert_eq!(status("RHEL6", "interactive"), Some(Active));
    assert_eq!(status("F46", "bootc"), Some(Active));
    assert_eq!(status("RHEL11", "stratisfs"), Some(Active));
    assert_eq!(status("RHEL10", "stratisfs"), None);
    assert_eq!(status("F46", "Part"), None, "names are case-sensitive");
}

#[test]
fn command_counts_match_reference() {
    assert_eq!(command_names(v("F46")).count(), 75);
    assert_eq!(command_names(v("RHEL7")).count(), 66);
    let names: Vec<_> = command_names(v("F46")).collect();
    assert!(names.windows(2).all(|w| w[0] < w[1]));
}

#[test]
fn aliases_share_a_spec() {
    let part = spec("F46", "part");
    assert!(std::ptr::eq(part, spec("F46", "partition")));
    assert_eq!(part.name, "part");
    assert_eq!(part.aliases, ["partition"]);
    let auth = spec("RHEL7", "auth");
    assert!(std::ptr::eq(auth, spec("RHEL7", "authconfig")));
    assert_eq!(auth.class, "FC3_Authconfig");
}

#[test]
fn multi_and_single_use() {
    for cmd in [
        "part",
        "logvol",
        "network",
        "user",
        "group",
        "repo",
        "volgroup",
        "raid",
        "sshpw",
        "sshkey",
        "btrfs",
        "iscsi",
        "fcoe",
        "zfcp",
        "driverdisk",
    ] {
        assert!(spec("F46", cmd).multi_use, "{cmd}");
    }
    for cmd in [
        "lang",
        "bootloader",
        "rootpw",
        "timezone",
        "autopart",
        "text",
    ] {
        assert!(!spec("F46", cmd).multi_use, "{cmd}");
    }
    assert!(
        !spec("RHEL8", "btrfs").multi_use,
        "deprecated commands store nothing"
    );
}

#[test]
fn option_types() {
    let size = option("F46", "part", "--size");
    assert_eq!(size.value, ValueKind::Int);
    assert!(size.takes_value());
    assert!(size.value.accepts("512") && !size.value.accepts("1G"));
    let location = option("F46", "bootloader", "--location");
    let mut choices = location.value.choices().expect("choices").to_vec();
    choices.sort_unstable();
    assert_eq!(choices, ["boot", "mbr", "none", "partition"]);
    assert_eq!(
        option("F46", "bootloader", "--driveorder").value,
        ValueKind::CommaList
    );
    let grow = option("F46", "part", "--grow");
    assert!(!grow.takes_value());
    assert_eq!(grow.value, ValueKind::None);
    assert_eq!(grow.action, ActionKind::StoreTrue);
    assert_eq!(
        option("F46", "part", "--noformat").action,
        ActionKind::StoreFalse
    );
    let raid = option("F46", "raid", "--level");
    assert!(raid.value.accepts("raid1") && raid.value.accepts("RAID1"));
    assert!(!raid.value.accepts("raid7"));
    let autopart = option("F46", "autopart", "--type");
    assert!(autopart.value.accepts("LVM") && autopart.value.accepts("thinp"));
    assert!(option("F46", "bootc", "--source-imgref").required);
}

#[test]
fn option_history() {
    // timezone --isUtc: deprecated in F40 syntax, removed from RHEL10's parser.
    assert_eq!(
        option("F40", "timezone", "--isUtc").deprecated_in,
        Some(SyntaxVersion::F40)
    );
    match spec("RHEL10", "timezone").resolve_option("--isUtc") {
        OptionMatch::Removed(o) => assert_eq!(o.removed_in, Some(SyntaxVersion::RHEL10)),
        other => panic!("{other:?}"),
    }
    // logging --level: deprecated F34, removed F40.
    assert_eq!(
        option("F34", "logging", "--level").deprecated_in,
        Some(SyntaxVersion::F34)
    );
    match spec("F46", "logging").resolve_option("--level") {
        OptionMatch::Removed(o) => assert_eq!(o.removed_in, Some(SyntaxVersion::F40)),
        other => panic!("{other:?}"),
    }
    assert!(option("RHEL7", "part", "--size").deprecated_in.is_none());
}

#[test]
fn repeatable_options() {
    assert!(option("F46", "firewall", "--service").repeatable);
    assert!(!option("F46", "part", "--size").repeatable);
}

#[test]
fn positionals() {
    let part = spec("F46", "part");
    assert_eq!(part.positionals.len(), 1);
    assert_eq!(part.positionals[0].metavar, "<mntpoint>");
    assert_eq!(
        (part.min_positionals(), part.max_positionals()),
        (1, Some(1))
    );
    assert!(spec("F46", "cdrom").positionals.is_empty());
    assert_eq!(spec("F46", "cdrom").max_positionals(), Some(0));
    assert_eq!(spec("F46", "lang").min_positionals(), 1);
    assert_eq!(spec("F46", "timezone").max_positionals(), None);
    let rootpw = spec("F46", "rootpw");
    assert_eq!(rootpw.positionals[0].nargs, Nargs::Optional);
    assert_eq!(rootpw.min_positionals(), 0);
}

#[test]
fn option_resolution() {
    let network = spec("F46", "network");
    match network.resolve_option("--bootprot") {
        OptionMatch::Prefix(o, full) => {
            assert_eq!(full, "--bootproto");
            assert_eq!(o.name(), "--bootproto");
        }
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        network.resolve_option("--bootproto"),
        OptionMatch::Exact(_)
    ));
    match spec("F46", "part").resolve_option("--fs") {
        OptionMatch::Ambiguous(hits) => {
            let mut names: Vec<_> = hits.iter().map(|(n, _)| *n).collect();
            names.sort_unstable();
            assert_eq!(names, ["--fsoptions", "--fsprofile", "--fstype"]);
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        spec("F46", "part").resolve_option("--bogus"),
        OptionMatch::Unknown
    );
    // `--log`/`--logfile` are one option, but `--lo` is still ambiguous
    // for Python 3.11's argparse.
    let post = lookup_section(v("F46"), "%post").expect("%post");
    assert!(matches!(post.resolve_option("--lo"), OptionMatch::Ambiguous(h) if h.len() == 2));
    assert!(matches!(
        post.resolve_option("--logf"),
        OptionMatch::Prefix(_, "--logfile")
    ));
    assert!(matches!(
        post.resolve_option("--log"),
        OptionMatch::Exact(_)
    ));
}

#[test]
fn command_conflicts() {
    let auto = spec("F46", "autopart");
    for c in ["partition", "raid", "volgroup", "logvol", "reqpart"] {
        assert!(auto.conflicts.contains(&c), "{c}");
    }
    let expanded = conflicting_commands(v("F46"), "autopart");
    assert!(expanded.contains(&"part") && expanded.contains(&"partition"));
    assert!(conflicting_commands(v("RHEL7"), "autopart").contains(&"part"));
    assert!(conflicting_commands(v("F46"), "lang").is_empty());
    assert!(conflicting_commands(v("F46"), "nosuch").is_empty());
}

#[test]
fn exclusive_options() {
    let auto = spec("F46", "autopart");
    assert!(auto.exclusive.contains(&("--hibernation", "--noswap")));
    assert!(auto
        .exclusive
        .contains(&("--pbkdf-iterations", "--pbkdf-time")));
    assert_eq!(
        auto.excluded_by("--noswap").collect::<Vec<_>>(),
        ["--hibernation"]
    );
    assert!(spec("F46", "bootloader")
        .exclusive
        .contains(&("--extlinux", "--sdboot")));
    assert!(spec("RHEL9", "timezone")
        .exclusive
        .contains(&("--nontp", "--ntpservers")));
    assert!(spec("F46", "part")
        .exclusive
        .contains(&("--mkfsoptions", "--noformat")));
    assert!(spec("F46", "lang").exclusive.is_empty());
    let packages = |ver| lookup_section(v(ver), "%packages").expect("%packages");
    assert!(packages("RHEL6")
        .exclusive
        .contains(&("--default", "--nobase")));
    assert!(packages("F46")
        .exclusive
        .contains(&("--default", "--nocore")));
    assert!(lookup_section(v("F46"), "%post")
        .expect("%post")
        .exclusive
        .is_empty());
}

#[test]
fn version_history_helpers() {
    use CommandStatus::{Active, Removed};
    let rhel = VersionLine::Rhel;
    assert_eq!(first_version_with("auth", rhel, Removed), Some(v("RHEL10")));
    assert_eq!(last_version_with("auth", rhel, Active), Some(v("RHEL9")));
    assert_eq!(
        first_version_with("auth", VersionLine::Fedora, Removed),
        Some(v("F35"))
    );
    assert_eq!(first_version_with("rhsm", rhel, Active), Some(v("RHEL8")));
    assert_eq!(
        first_version_with("rhsm", VersionLine::Fedora, Active),
        None
    );
    assert_eq!(command_history("bootc").next(), Some((v("RHEL10"), Active)));
}

// --- sections -------------------------------------------------------------

#[test]
fn section_registry() {
    let names: Vec<_> = section_names().collect();
    assert_eq!(
        names,
        [
            "%addon",
            "%anaconda",
            "%certificate",
            "%onerror",
            "%packages",
            "%post",
            "%pre",
            "%pre-install",
            "%traceback"
        ]
    );
    for ver in SyntaxVersion::all() {
        for name in &names {
            assert!(lookup_section(ver, name).is_some(), "{name} in {ver}");
        }
        assert!(lookup_section(ver, "%foo").is_none());
    }
    assert_eq!(
        lookup_section(v("F46"), "%addon").map(|s| s.kind),
        Some(SectionKind::Null)
    );
}

#[test]
fn traceback_deprecation() {
    let st = |ver| lookup_section(v(ver), "%traceback").map(|s| s.status);
    assert_eq!(st("F33"), Some(CommandStatus::Active));
    assert_eq!(st("RHEL8"), Some(CommandStatus::Active));
    assert_eq!(st("F34"), Some(CommandStatus::Deprecated));
    assert_eq!(st("RHEL9"), Some(CommandStatus::Deprecated));
    assert_eq!(st("F46"), Some(CommandStatus::Deprecated));
    assert_eq!(
        lookup_section(v("F46"), "%onerror").map(|s| s.status),
        Some(CommandStatus::Active)
    );
}

#[test]
fn script_section_options() {
    assert!(matches!(
        section_option("F46", "%post", "--nochroot"),
        OptionMatch::Exact(_)
    ));
    assert_eq!(
        section_option("F46", "%pre", "--nochroot"),
        OptionMatch::Unknown
    );
    assert!(matches!(
        section_option("RHEL7", "%pre", "--logfile"),
        OptionMatch::Exact(o) if o.name() == "--log"
    ));
    match section_option("F46", "%certificate", "--filename") {
        OptionMatch::Exact(o) => assert!(o.required),
        other => panic!("{other:?}"),
    }
}

#[test]
fn packages_options() {
    match section_option("RHEL7", "%packages", "--nobase") {
        OptionMatch::Exact(o) => assert_eq!(o.deprecated_in, Some(SyntaxVersion::F18)),
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        section_option("RHEL6", "%packages", "--nobase"),
        OptionMatch::Exact(o) if o.deprecated_in.is_none()
    ));
    assert!(!matches!(
        section_option("RHEL8", "%packages", "--nobase"),
        OptionMatch::Exact(_) | OptionMatch::Prefix(..)
    ));
    match section_option("F40", "%packages", "--instLangs") {
        OptionMatch::Exact(o) => assert_eq!(o.deprecated_in, Some(SyntaxVersion::F40)),
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        section_option("RHEL9", "%packages", "--instLangs"),
        OptionMatch::Exact(o) if o.deprecated_in.is_none()
    ));
    assert!(matches!(
        section_option("RHEL10", "%packages", "--instLangs"),
        OptionMatch::Removed(o) if o.removed_in == Some(SyntaxVersion::RHEL10)
    ));
    assert!(!matches!(
        section_option("RHEL8", "%packages", "--inst-langs"),
        OptionMatch::Exact(_) | OptionMatch::Prefix(..)
    ));
    assert!(matches!(
        section_option("RHEL9", "%packages", "--inst-langs"),
        OptionMatch::Exact(_)
    ));
    assert!(matches!(
        section_option("F46", "%packages", "--ignorebroken"),
        OptionMatch::Exact(_)
    ));
    assert!(matches!(
        section_option("RHEL9", "%packages", "--ignorebroken"),
        OptionMatch::Removed(_)
    ));
    let timeout = section_option("RHEL7", "%packages", "--timeout");
    assert!(matches!(timeout, OptionMatch::Exact(o) if o.value == ValueKind::Int));
}

// --- suggestions ------------------------------------------------------------

#[test]
fn suggestions() {
    let cmds: Vec<_> = command_names(v("F46")).collect();
    assert_eq!(
        suggest("bootloder", cmds.iter().copied()),
        Some("bootloader")
    );
    assert_eq!(suggest("partiton", cmds.iter().copied()), Some("partition"));
    assert_eq!(suggest("netwrok", cmds.iter().copied()), Some("network"));
    assert_eq!(suggest("Lang", cmds.iter().copied()), Some("lang"));
    assert_eq!(suggest("xyzzy", cmds.iter().copied()), None);
    let opts: Vec<_> = spec("F46", "network")
        .live_options()
        .flat_map(|o| o.names.iter().copied())
        .collect();
    assert_eq!(
        suggest("--bootprtoo", opts.iter().copied()),
        Some("--bootproto")
    );
    assert_eq!(
        suggest("--hostnme", opts.iter().copied()),
        Some("--hostname")
    );
    assert_eq!(suggest("%pacakges", section_names()), Some("%packages"));
    // A swapped pair is one edit.
    assert_eq!(
        edit_distance_within(&['a', 'b'], &['b', 'a'], 1, &mut Vec::new()),
        Some(1)
    );
    let jw = jaro_winkler(
        &['m', 'a', 'r', 't', 'h', 'a'],
        &['m', 'a', 'r', 'h', 't', 'a'],
    );
    assert!((jw - 0.961).abs() < 0.001, "{jw}");
}

#[test]
fn python_int_rules() {
    for ok in ["0", "-1", "+42", " 7 ", "1_000"] {
        assert!(ValueKind::Int.accepts(ok), "{ok}");
    }
    for bad in ["", "1G", "1.5", "_1", "1__0", "1_", "0x10"] {
        assert!(!ValueKind::Int.accepts(bad), "{bad}");
    }
    assert!(ValueKind::Bool.accepts("YES") && !ValueKind::Bool.accepts("y"));
}

/// The plain full-table distance `edit_distance_within` must agree with,
/// written without bounds or early exits.
fn reference_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    osa_distance(&a, &b)
}

/// Optimal string alignment distance (Damerau–Levenshtein where each
/// substring is edited at most once).
fn osa_distance(a: &[char], b: &[char]) -> usize {
    let w = b.len() + 1;
    let mut d = vec![0usize; (a.len() + 1) * w];
    for i in 0..=a.len() {
        d[i * w] = i;
    }
    for (j, cell) in d.iter_mut().enumerate().take(w) {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut v = (d[(i - 1) * w + j] + 1)
                .min(d[i * w + j - 1] + 1)
                .min(d[(i - 1) * w + j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                v = v.min(d[(i - 2) * w + j - 2] + 1);
            }
            d[i * w + j] = v;
        }
    }
    d[a.len() * w + b.len()]
}

#[test]
fn bounded_distance_equals_the_full_table_within_the_limit() {
    let words = [
        "",
        "a",
        "ab",
        "ba",
        "abc",
        "acb",
        "pkg0123",
        "pkg1023",
        "pkg01x23",
        "pgk0123",
        "vim-enhanced",
        "vim-enhnaced",
        "bash",
        "bahs",
        "héllo",
        "hello",
        "ölä",
        "alö",
        "kernel-core",
        "kernel-tools",
        "openssh-server",
        "openssh-sevrer",
    ];
    let mut table = Vec::new();
    for a in words {
        for b in words {
            let full = reference_distance(a, b);
            let (ac, bc): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
            for limit in 0..6 {
                let expected = Some(full).filter(|&d| d <= limit);
                let bounded = edit_distance_within(&ac, &bc, limit, &mut table);
                assert_eq!(bounded, expected, "{a:?} {b:?} limit {limit}");
                if a.is_ascii() && b.is_ascii() {
                    let bytes = edit_distance_within(a.as_bytes(), b.as_bytes(), limit, &mut table);
                    assert_eq!(bytes, expected, "{a:?} {b:?} limit {limit}");
                }
            }
        }
    }
}
