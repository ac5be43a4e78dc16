//! KS1xxx: every command and option rule on small kickstarts, with the exact
//! text each diagnostic underlines, its message and its fix.

use kslint::analysis::{analyze, CheckOptions};
use kslint::catalog::SyntaxVersion;
use kslint::diagnostic::{Applicability, Diagnostic, Severity, Tag};
use kslint::source::SourceFile;

struct Found {
    code: &'static str,
    /// The underlined text.
    at: String,
    message: String,
    severity: Severity,
    diagnostic: Diagnostic,
}

/// The KS1xxx diagnostics for `text` checked as `version`.
fn lint(version: &str, text: &str) -> Vec<Found> {
    let options = CheckOptions {
        syntax: Some(SyntaxVersion::parse(version).expect("version")),
        ..CheckOptions::default()
    };
    let analysis = analyze(SourceFile::new("ks.cfg", text), &options);
    analysis
        .diagnostics
        .into_iter()
        .filter(|d| d.rule.code.starts_with("KS1"))
        .map(|d| Found {
            code: d.rule.code,
            at: text[d.location.range.start..d.location.range.end].to_string(),
            message: d.message.clone(),
            severity: d.severity,
            diagnostic: d,
        })
        .collect()
}

/// Asserts exactly these (code, underlined text) pairs, in order.
fn expect(found: &[Found], wanted: &[(&str, &str)]) {
    let got: Vec<(&str, &str)> = found.iter().map(|f| (f.code, f.at.as_str())).collect();
    assert_eq!(
        got,
        wanted,
        "messages: {:#?}",
        found.iter().map(|f| &f.message).collect::<Vec<_>>()
    );
}

/// Applies a diagnostic's fix to `text`.
fn apply(text: &str, found: &Found) -> String {
    let fix = found.diagnostic.fix.as_ref().expect("a fix");
    let mut out = text.to_string();
    let mut edits = fix.edits.clone();
    edits.sort_by_key(|e| std::cmp::Reverse(e.range.start));
    for edit in edits {
        out.replace_range(edit.range.start..edit.range.end, &edit.replacement);
    }
    out
}

#[test]
fn valid_kickstarts_are_clean() {
    let rhel9 = "\
cdrom
lang en_US.UTF-8
keyboard --xlayouts=us
network --bootproto dhcp --device=eth0 --onboot=yes
network --bootproto=static --device eth1 --ip=192.0.2.2 --netmask=255.255.255.0
rootpw --iscrypted $6$salt$hash
timezone Europe/Prague --utc
timesource --ntp-pool=pool.ntp.org
part /boot --size 1024
part pv.01 --size=1 --grow
volgroup vg pv.01
logvol / --vgname=vg --name=root --size=8192
raid /srv --level=1 --device=md0 raid.01 raid.02
user --name=admin --groups=wheel
reboot
%packages --inst-langs=en_US
@core
%end
%post --nochroot --log=/mnt/sysimage/root/post.log
echo ok
%end
";
    expect(&lint("RHEL9", rhel9), &[]);
    let rhel7 = "install\ncdrom\nauth --enableshadow --passalgo=sha512\ntimezone UTC --isUtc\n";
    expect(&lint("RHEL7", rhel7), &[]);
}

#[test]
fn ks1001_unknown_command_suggests_and_names_other_releases() {
    let found = lint("F40", "rhsm --organization=1\nparttion / --size=1\n");
    expect(&found, &[("KS1001", "rhsm"), ("KS1001", "parttion")]);
    assert_eq!(
        found[0].message,
        "`rhsm` is not available in F40; it exists in RHEL8–RHEL11"
    );
    assert!(found[1].message.contains("did you mean `partition`?"));
    let fix = found[1].diagnostic.fix.as_ref().expect("fix");
    assert_eq!(fix.applicability, Applicability::Unsafe);
    assert_eq!(
        apply("rhsm --organization=1\nparttion / --size=1\n", &found[1]),
        "rhsm --organization=1\npartition / --size=1\n"
    );
    // Case matters to pykickstart.
    let found = lint("RHEL9", "Lang en_US\n");
    expect(&found, &[("KS1001", "Lang")]);
    assert!(found[0].message.contains("did you mean `lang`?"));
    // A command that disappeared.
    let found = lint("RHEL7", "key --skip\n");
    assert!(
        found[0].message.contains("it exists in RHEL5–RHEL6"),
        "{}",
        found[0].message
    );
}

#[test]
fn ks1002_unknown_option() {
    let found = lint("RHEL7", "autopart --noboot\nfirewall --enabeld\n");
    expect(&found, &[("KS1002", "--noboot"), ("KS1002", "--enabeld")]);
    assert!(
        found[0].message.contains("accepted in RHEL8–RHEL11"),
        "{}",
        found[0].message
    );
    assert!(found[1].message.contains("did you mean `--enabled`?"));
    // `--opt=value` underlines the option name only.
    let found = lint("RHEL9", "part / --size=1 --foo=bar\n");
    expect(&found, &[("KS1002", "--foo")]);
    // Section options: `--nochroot` belongs to %post.
    let found = lint("RHEL9", "%pre --nochroot\necho\n%end\n");
    expect(&found, &[("KS1002", "--nochroot")]);
    assert!(
        found[0].message.contains("only `%post` takes it"),
        "{}",
        found[0].message
    );
    // --inst-langs does not exist yet in RHEL 8.
    let found = lint("RHEL8", "%packages --inst-langs=en\n%end\n");
    expect(&found, &[("KS1002", "--inst-langs")]);
    assert!(found[0].message.contains("RHEL9"), "{}", found[0].message);
}

#[test]
fn ks1003_abbreviated_option_is_accepted_with_a_safe_fix() {
    let text = "network --bootprot=dhcp --dev eth0\n";
    let found = lint("RHEL9", text);
    expect(&found, &[("KS1003", "--bootprot"), ("KS1003", "--dev")]);
    assert_eq!(found[0].severity, Severity::Hint);
    let fix = found[0].diagnostic.fix.as_ref().expect("fix");
    assert_eq!(fix.applicability, Applicability::Safe);
    assert_eq!(
        apply(text, &found[0]),
        "network --bootproto=dhcp --dev eth0\n"
    );
    assert_eq!(
        apply(text, &found[1]),
        "network --bootprot=dhcp --device eth0\n"
    );
}

#[test]
fn ks1004_ambiguous_option() {
    let found = lint("RHEL9", "part / --fs=ext4 --size=1\n");
    expect(&found, &[("KS1004", "--fs")]);
    for name in ["--fstype", "--fsoptions", "--fsprofile"] {
        assert!(found[0].message.contains(name), "{}", found[0].message);
    }
}

#[test]
fn ks1005_missing_option_value() {
    let found = lint("RHEL9", "part / --size --grow\nbootloader --append\n");
    expect(&found, &[("KS1005", "--size"), ("KS1005", "--append")]);
    assert!(found[0].message.contains("next word is an option"));
    assert!(found[1].message.contains("line ends here"));
    // `--opt value` consumes the value.
    expect(
        &lint("RHEL9", "network --bootproto dhcp --device eth0\n"),
        &[],
    );
}

#[test]
fn ks1006_flag_with_value() {
    let text = "part / --size=1 --grow=yes\npart /srv --size=1 --grow=no\n";
    let found = lint("RHEL9", text);
    expect(&found, &[("KS1006", "=yes"), ("KS1006", "=no")]);
    let safe = found[0].diagnostic.fix.as_ref().expect("fix");
    assert_eq!(safe.applicability, Applicability::Safe);
    assert_eq!(
        apply(text, &found[0]),
        "part / --size=1 --grow\npart /srv --size=1 --grow=no\n"
    );
    let unsafe_fix = found[1].diagnostic.fix.as_ref().expect("fix");
    assert_eq!(unsafe_fix.applicability, Applicability::Unsafe);
    assert_eq!(
        apply(text, &found[1]),
        "part / --size=1 --grow=yes\npart /srv --size=1\n"
    );
}

#[test]
fn ks1007_invalid_option_value() {
    let found = lint(
        "RHEL9",
        "part / --size=10G\nnetwork --bootproto=dchp --device=eth0 --onboot=maybe\nlogvol / --vgname=vg --name=r --percent=150\n",
    );
    expect(
        &found,
        &[
            ("KS1007", "10G"),
            ("KS1007", "dchp"),
            ("KS1007", "maybe"),
            ("KS1007", "150"),
        ],
    );
    expect(
        &lint("RHEL9", "autopart --type=zfs\n"),
        &[("KS1007", "zfs")],
    );
    assert!(
        found[0].message.contains("whole number of MiB"),
        "{}",
        found[0].message
    );
    assert!(
        found[1].message.contains("did you mean `dhcp`?"),
        "{}",
        found[1].message
    );
    // btrfs is gone from the RHEL 8+ storage commands.
    let found = lint("RHEL8", "autopart --type=btrfs\n");
    expect(&found, &[("KS1007", "btrfs")]);
    assert!(found[0].message.contains("not supported in RHEL8"));
    expect(&lint("F40", "autopart --type=btrfs\n"), &[]);
}

#[test]
fn ks1008_missing_required_option() {
    let found = lint(
        "RHEL9",
        "user --groups=wheel\nurl --proxy=http://proxy:3128\nservices\neula\nlogvol / --vgname=vg --name=root\n",
    );
    expect(
        &found,
        &[
            ("KS1008", "user"),
            ("KS1008", "url"),
            ("KS1008", "services"),
            ("KS1008", "eula"),
            ("KS1008", "logvol"),
        ],
    );
    assert_eq!(found[0].message, "`user` requires `--name`");
    assert!(
        found[1]
            .message
            .contains("`--url`, `--mirrorlist` or `--metalink`"),
        "{}",
        found[1].message
    );
    let found = lint("F46", "%certificate --filename=ca.pem\nX\n%end\n");
    expect(&found, &[("KS1008", "%certificate")]);
}

#[test]
fn ks1009_wrong_argument_count() {
    let found = lint(
        "RHEL9",
        "part --size=1\npart / /home --size=1\ntimezone Europe/Prague Europe/Berlin\nuser --name=admin --iscrypted $6$salt$hash\nrootpw --plaintext ##PASSWORD##\nvolgroup vg\n",
    );
    expect(
        &found,
        &[
            ("KS1009", "part"),
            ("KS1009", "/home"),
            ("KS1009", "Europe/Berlin"),
            ("KS1009", "$6$salt$hash"),
            ("KS1009", "rootpw"),
            ("KS1009", "vg"),
        ],
    );
    assert!(
        found[0].message.contains("<mntpoint>"),
        "{}",
        found[0].message
    );
}

#[test]
fn ks1010_conflicting_options() {
    let found = lint("RHEL10", "autopart --noswap --hibernation\n");
    expect(&found, &[("KS1010", "--hibernation")]);
    assert_eq!(
        found[0].diagnostic.related[0].message,
        "`--noswap` is given here"
    );
    let found = lint("RHEL9", "url --url=http://a/ --mirrorlist=http://b/\nlogvol / --vgname=vg --name=r --size=1 --percent=5\n");
    expect(
        &found,
        &[("KS1010", "--mirrorlist"), ("KS1010", "--percent")],
    );
    let found = lint("RHEL9", "%packages --default --nocore\n%end\n");
    expect(&found, &[("KS1010", "--nocore")]);
}

#[test]
fn ks1011_conflicting_commands_point_at_the_other_one() {
    let text = "autopart --type=lvm\npart /boot --size=1024\n";
    let found = lint("RHEL9", text);
    expect(&found, &[("KS1011", "part")]);
    let related = &found[0].diagnostic.related[0];
    assert_eq!(
        &text[related.location.range.start..related.location.range.end],
        "autopart"
    );
    let found = lint("RHEL9", "part / --size=1\nautopart\n");
    expect(&found, &[("KS1011", "autopart")]);
    expect(&lint("RHEL9", "reqpart\npart / --size=1\n"), &[]);
}

#[test]
fn ks1012_duplicate_single_use_command_is_a_warning() {
    let text =
        "bootloader --location=mbr --append=quiet\nbootloader --location=mbr\nreboot\npoweroff\n";
    let found = lint("RHEL9", text);
    expect(&found, &[("KS1012", "bootloader"), ("KS1012", "poweroff")]);
    assert_eq!(found[0].severity, Severity::Warning);
    let related = &found[0].diagnostic.related[0];
    assert_eq!(related.message, "first defined here");
    assert_eq!(related.location.range.start, 0);
    assert!(found[1].message.contains("replaces the earlier `reboot`"));
}

#[test]
fn ks1013_duplicate_entries() {
    let text = "\
part / --size=1
part /boot --size=1
part /boot/ --size=2
part swap --size=1
part swap --size=1
user --name=admin
user --name=admin
repo --name=updates --baseurl=http://a/
repo --name=updates --baseurl=http://b/
network --bootproto=dhcp
network --hostname=h.example.com
logvol /srv --vgname=vg --name=root --size=1
logvol /opt --vgname=vg --name=root --size=1
logvol /boot --vgname=vg --name=boot --size=1
";
    let found = lint("RHEL9", text);
    expect(
        &found,
        &[
            ("KS1013", "/boot/"),
            ("KS1013", "admin"),
            ("KS1013", "updates"),
            ("KS1013", "network"),
            ("KS1013", "root"),
            ("KS1013", "/boot"),
        ],
    );
    // Mount points are compared across storage commands.
    assert!(
        found[5].message.contains("mount point `/boot`"),
        "{}",
        found[5].message
    );
    assert!(found[0].message.contains("`/boot`"));
    assert_eq!(found[0].diagnostic.related[0].message, "first defined here");
    assert!(found[3].message.contains("without `--device`"));
}

#[test]
fn ks1014_deprecated_command() {
    let text = "install\ncdrom\nauth --enableshadow\n";
    let found = lint("RHEL8", text);
    expect(&found, &[("KS1014", "install"), ("KS1014", "auth")]);
    assert_eq!(found[0].severity, Severity::Warning);
    assert!(found[0].diagnostic.tags.contains(&Tag::Deprecated));
    assert!(
        found[0].message.contains("removed in RHEL9"),
        "{}",
        found[0].message
    );
    assert!(
        found[1].message.contains("`authselect`"),
        "{}",
        found[1].message
    );
    assert_eq!(apply(text, &found[0]), "cdrom\nauth --enableshadow\n");
    assert!(found[1].diagnostic.fix.is_none());
}

#[test]
fn ks1015_deprecated_option() {
    let text = "timezone UTC --isUtc\n%packages --instLangs=en_US\n%end\n";
    let found = lint("RHEL9", text);
    expect(&found, &[("KS1015", "--isUtc"), ("KS1015", "--instLangs")]);
    assert!(found[0].diagnostic.tags.contains(&Tag::Deprecated));
    assert!(
        found[0].message.contains("use `--utc`"),
        "{}",
        found[0].message
    );
    assert_eq!(
        apply(text, &found[0]),
        "timezone UTC --utc\n%packages --instLangs=en_US\n%end\n"
    );
    assert_eq!(
        apply(text, &found[1]),
        "timezone UTC --isUtc\n%packages --inst-langs=en_US\n%end\n"
    );
    let found = lint("RHEL7", "%packages --nobase\n%end\n");
    expect(&found, &[("KS1015", "--nobase")]);
    let found = lint("RHEL9", "timezone UTC --ntpservers=ntp.example.com\n");
    expect(&found, &[("KS1015", "--ntpservers")]);
    assert!(
        found[0].message.contains("timesource --ntp-server"),
        "{}",
        found[0].message
    );
}

#[test]
fn ks1016_removed_command_names_the_releases() {
    let found = lint("RHEL9", "install\ncdrom\n");
    expect(&found, &[("KS1016", "install")]);
    assert_eq!(found[0].severity, Severity::Error);
    assert!(
        found[0]
            .message
            .starts_with("`install` was removed in RHEL9; RHEL8 was the last release to accept it"),
        "{}",
        found[0].message
    );
    let found = lint("RHEL10", "auth --enableshadow\n");
    assert!(
        found[0].message.contains("removed in RHEL10; RHEL9"),
        "{}",
        found[0].message
    );
}

#[test]
fn ks1017_removed_option() {
    let found = lint("RHEL8", "%packages --nobase\n@core\n%end\n");
    expect(&found, &[("KS1017", "--nobase")]);
    assert!(
        found[0]
            .message
            .contains("removed from `%packages` in RHEL8; RHEL7 was the last"),
        "{}",
        found[0].message
    );
    let found = lint("RHEL10", "timezone UTC --isUtc\n");
    expect(&found, &[("KS1017", "--isUtc")]);
    assert!(found[0].message.contains("use `--utc`"));
}

#[test]
fn ks1018_option_requires_option() {
    let found = lint(
        "RHEL9",
        "logging --port=514\npart / --resize --size=1\nlogvol / --vgname=vg --name=r --size=1 --thin\n",
    );
    expect(
        &found,
        &[
            ("KS1018", "--port"),
            ("KS1018", "--resize"),
            ("KS1018", "--thin"),
        ],
    );
}

#[test]
fn ks1019_deprecated_section() {
    let text = "%traceback\necho\n%end\n";
    let found = lint("RHEL9", text);
    expect(&found, &[("KS1019", "%traceback")]);
    assert!(found[0].diagnostic.tags.contains(&Tag::Deprecated));
    assert_eq!(apply(text, &found[0]), "%onerror\necho\n%end\n");
    expect(&lint("RHEL8", text), &[]);
}

#[test]
fn diagnostics_carry_line_and_column_of_the_word() {
    let text = "lang en_US\n  part  /  --siz=1G\n";
    let options = CheckOptions {
        syntax: Some(SyntaxVersion::RHEL9),
        ..CheckOptions::default()
    };
    let analysis = analyze(SourceFile::new("ks.cfg", text), &options);
    let positions: Vec<(&str, u32, u32)> = analysis
        .diagnostics
        .iter()
        .filter(|d| d.rule.code.starts_with("KS1"))
        .map(|d| {
            let file = analysis.sources.get(d.location.file);
            let start = file.position(d.location.range.start, kslint::source::ColumnUnit::Chars);
            (d.rule.code, start.line, start.column)
        })
        .collect();
    // `--siz` is abbreviated (col 11) and its value `1G` is not a number (col 17).
    assert_eq!(positions, [("KS1003", 1, 11), ("KS1007", 1, 17)]);
}
