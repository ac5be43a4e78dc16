//! The rule registry and the checks that produce diagnostics.
//!
//! Every rule has a stable code (`KS0001`), a kebab-case name, a default
//! severity, a one-line summary and an explanation (what, why it breaks an
//! install, example, fix) kept in `docs/rules/<CODE>.md`. Codes are grouped by
//! their second digit: `KS0xxx` syntax, `KS1xxx` commands and options,
//! `KS2xxx` packages and media, `KS3xxx` scripts, `KS4xxx` boot configuration.

pub(crate) mod boot;
mod commands;
mod did_you_mean;
pub mod packages;
pub(crate) mod scripts;
mod syntax;

pub use did_you_mean::{suggest, suggest_near, NearNames};

use crate::analysis::{CheckOptions, FileRole};
use crate::catalog::SyntaxVersion;
use crate::diagnostic::{Diagnostic, Severity};
use crate::source::{FileId, SourceFile};
use crate::syntax::model::Document;

/// A rule's identity and documentation.
#[derive(Debug)]
pub struct Rule {
    pub code: &'static str,
    pub name: &'static str,
    pub default_severity: Severity,
    pub summary: &'static str,
    /// Markdown: what the rule finds, why it breaks an install, an example, the fix.
    pub explanation: &'static str,
}

impl PartialEq for Rule {
    fn eq(&self, other: &Self) -> bool {
        self.code == other.code
    }
}

impl Eq for Rule {}

/// Declares a rule whose explanation lives in `docs/rules/<code>.md`.
macro_rules! declare_rule {
    ($ident:ident, $code:literal, $name:literal, $severity:ident, $summary:literal) => {
        pub static $ident: $crate::rules::Rule = $crate::rules::Rule {
            code: $code,
            name: $name,
            default_severity: $crate::diagnostic::Severity::$severity,
            summary: $summary,
            explanation: include_str!(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/docs/rules/",
                $code,
                ".md"
            )),
        };
    };
}
pub(crate) use declare_rule;

/// Every rule kslint knows, in code order.
pub static REGISTRY: &[&Rule] = &[
    &syntax::UNCLOSED_SECTION,
    &syntax::UNKNOWN_SECTION,
    &syntax::UNBALANCED_QUOTE,
    &syntax::INVALID_UTF8,
    &syntax::BYTE_ORDER_MARK,
    &syntax::CRLF_LINE_ENDINGS,
    &syntax::STRAY_END,
    &syntax::STRAY_TEXT,
    &syntax::EMPTY_FILE,
    &syntax::LINE_CONTINUATION,
    &syntax::INCLUDE_WITHOUT_PATH,
    &crate::suppress::UNUSED_SUPPRESSION,
    &crate::includes::MISSING_INCLUDE,
    &crate::includes::INCLUDE_CYCLE,
    &crate::includes::INCLUDE_NOT_FOLLOWED,
    &commands::UNKNOWN_COMMAND,
    &commands::UNKNOWN_OPTION,
    &commands::ABBREVIATED_OPTION,
    &commands::AMBIGUOUS_OPTION,
    &commands::MISSING_OPTION_VALUE,
    &commands::FLAG_WITH_VALUE,
    &commands::INVALID_OPTION_VALUE,
    &commands::MISSING_REQUIRED_OPTION,
    &commands::WRONG_ARGUMENT_COUNT,
    &commands::CONFLICTING_OPTIONS,
    &commands::CONFLICTING_COMMANDS,
    &commands::DUPLICATE_COMMAND,
    &commands::DUPLICATE_ENTRY,
    &commands::DEPRECATED_COMMAND,
    &commands::DEPRECATED_OPTION,
    &commands::REMOVED_COMMAND,
    &commands::REMOVED_OPTION,
    &commands::OPTION_REQUIRES_OPTION,
    &commands::DEPRECATED_SECTION,
    &packages::UNKNOWN_GROUP,
    &packages::PACKAGE_NOT_ON_MEDIA,
    &packages::EXCLUSION_MATCHES_NOTHING,
    &packages::GROUP_MANDATORY_MISSING,
    &packages::GROUP_DEFAULT_MISSING,
    &packages::UNRESOLVED_DEPENDENCY,
    &packages::MULTIPLE_ENVIRONMENTS,
    &packages::DUPLICATE_PACKAGE_LINE,
    &packages::PACKAGES_OPTIONS_DIFFER,
    &packages::MODULE_WITHOUT_METADATA,
    &packages::STALE_REPODATA,
    &packages::COMPS_PACKAGE_NOT_ON_MEDIA,
    &packages::UNREADABLE_MEDIA_FILE,
    &scripts::SHELL_SYNTAX_ERROR,
    &scripts::INTERPRETER_MISSING,
    &scripts::SERVICE_START_IN_CHROOT,
    &scripts::DAEMON_LEFT_RUNNING,
    &scripts::INTERACTIVE_COMMAND,
    &scripts::REBOOT_IN_SCRIPT,
    &scripts::MEDIA_IN_CHROOT,
    &scripts::MEDIA_PATH_FOR_RELEASE,
    &scripts::MEDIA_PATH_TYPO,
    &scripts::MEDIA_FILE_MISSING,
    &scripts::SYSIMAGE_IN_CHROOT,
    &scripts::NOCHROOT_WRITES_INSTALLER,
    &scripts::SYSIMAGE_ON_OSTREE,
    &scripts::LOG_PATH_NAMESPACE,
    &scripts::LOG_NOT_KEPT,
    &scripts::SCRIPT_WITHOUT_LOG,
    &scripts::NETWORK_ON_OFFLINE_MEDIA,
    &scripts::CRITICAL_WITHOUT_ERRORONFAIL,
    &scripts::PRE_OUTPUT_NOT_INCLUDED,
    &scripts::SHELLCHECK,
    &scripts::SCRIPT_TOO_LARGE,
    &scripts::HEREDOC_NEVER_CLOSED,
    &boot::BOOT_SOURCE_SCHEME,
    &boot::BOOT_LABEL_MISMATCH,
    &boot::VOLUME_ID_ASSUMED,
    &boot::VOLUME_ID_INVALID,
    &boot::LABEL_ESCAPE,
    &boot::GRUB_BACKSLASH_ESCAPE,
    &boot::DEVICE_NAME_SOURCE,
    &boot::CDROM_KICKSTART_WAIT,
    &boot::MEDIA_PATH_MISSING,
    &boot::STAGE2_NOT_A_TREE,
    &boot::BOOT_FILE_MISSING,
    &boot::LEGACY_BOOT_OPTION,
    &boot::INST_OPTION_TOO_NEW,
    &boot::BOOT_MENUS_OUT_OF_SYNC,
    &boot::GRUB_SEARCH_LABEL,
    &boot::EFIBOOT_GRUB_STALE,
    &boot::EFIBOOT_UNREADABLE,
    &boot::SYSLINUX_INLINE_COMMENT,
    &boot::DUPLICATE_BOOT_LABEL,
    &boot::BOOT_DEFAULT,
    &boot::UNATTENDED_BOOT,
    &boot::KICKSTART_WITHOUT_STAGE2,
    &boot::TEMPLATE_PLACEHOLDER,
    &boot::OEMDRV_LABEL,
    &boot::GRUB_SYNTAX,
    &boot::USB_INSTALL_SOURCE,
    &boot::VOLUME_ID_USB_RELABEL,
];

/// Finds a rule by code (`KS0001`, case-insensitive) or name (`unclosed-section`).
pub fn find(code_or_name: &str) -> Option<&'static Rule> {
    REGISTRY
        .iter()
        .copied()
        .find(|rule| rule.code.eq_ignore_ascii_case(code_or_name) || rule.name == code_or_name)
}

/// The index of the rule documentation, `docs/rules/README.md`, generated
/// from the registry (`kslint rules --format markdown`); a test keeps the
/// committed file equal to it.
pub fn markdown_index() -> String {
    let mut out = String::from(
        "# kslint rules\n\n\
         Generated from the rule registry by `kslint rules --format markdown`;\n\
         do not edit. Each page is also shown by `kslint explain <CODE>`.\n",
    );
    let groups = [
        ('0', "Syntax"),
        ('1', "Commands and options"),
        ('2', "Packages and install media"),
        ('3', "Scripts"),
        ('4', "Boot configuration"),
    ];
    for (digit, title) in groups {
        out.push_str(&format!(
            "\n## {title} (KS{digit}xxx)\n\n| Code | Name | Severity | Summary |\n|---|---|---|---|\n"
        ));
        for rule in REGISTRY
            .iter()
            .filter(|rule| rule.code.chars().nth(2) == Some(digit))
        {
            out.push_str(&format!(
                "| [{code}]({code}.md) | `{}` | {} | {} |\n",
                rule.name,
                rule.default_severity.as_str(),
                rule.summary.replace('|', "\\|"),
                code = rule.code,
            ));
        }
    }
    out
}

/// What a check sees of one kickstart file.
pub struct Context<'a> {
    pub file_id: FileId,
    pub file: &'a SourceFile,
    pub document: &'a Document,
    pub role: FileRole,
    /// The release the file is checked against.
    pub version: SyntaxVersion,
    pub options: &'a CheckOptions,
    /// The `%packages` selection of the whole analysis and the install
    /// media, when found (KS2xxx rules).
    pub packages: Option<&'a packages::PackageScope<'a>>,
}

impl Context<'_> {
    pub fn text(&self) -> &str {
        &self.file.text
    }
}

type Check = fn(&Context, &mut Vec<Diagnostic>);

/// The checks run on every kickstart file, in order, before the script checks.
const CHECKS: &[Check] = &[syntax::check, commands::check, packages::check];

/// Script bodies at least this large (all bodies of a file together) are
/// parsed and checked on rayon's pool beside the other checks.
/// tree-sitter-bash reads about 8 bytes per microsecond here, so 32 KiB
/// take some 4 ms: far more than handing a job to the pool costs, and
/// about what the command and package checks of such a file take.
pub const PARALLEL_SCRIPT_BYTES: usize = 32 * 1024;

/// Runs every check on one file. The diagnostics come in the same order
/// whether or not the script checks ran beside the others.
pub fn run(context: &Context) -> Vec<Diagnostic> {
    run_checks(
        context,
        script_bytes(context.document) >= PARALLEL_SCRIPT_BYTES,
    )
}

/// Runs every check, the script checks beside the others (on rayon's
/// pool) when `scripts_on_own_thread`; either way in the same order.
fn run_checks(context: &Context, scripts_on_own_thread: bool) -> Vec<Diagnostic> {
    let mut diagnostics = Vec::new();
    if !scripts_on_own_thread {
        for check in CHECKS {
            check(context, &mut diagnostics);
        }
        scripts::check(context, &mut diagnostics);
        return diagnostics;
    }
    let ((), mut script_findings) = rayon::join(
        || {
            for check in CHECKS {
                check(context, &mut diagnostics);
            }
        },
        || {
            let mut found = Vec::new();
            scripts::check(context, &mut found);
            found
        },
    );
    diagnostics.append(&mut script_findings);
    diagnostics
}

/// The bytes of all script bodies of `document`.
fn script_bytes(document: &crate::syntax::model::Document) -> usize {
    document
        .sections()
        .filter(|section| matches!(section.kind, crate::syntax::model::SectionKind::Script(_)))
        .filter_map(|section| section.body_range())
        .map(|body| body.len())
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn script_checks_on_their_own_thread_find_the_same_in_the_same_order() {
        let mut text = String::from("lang xx_YY\nkeyboard us\nbogus-command\n%post\n");
        for step in 0..3_000 {
            // A service started in the chroot and the install media read
            // from it: script findings on many lines.
            text.push_str(&format!(
                "systemctl start svc{step}\ncp /run/install/repo/f{step} /root/\n"
            ));
        }
        text.push_str("%end\ntimezone Nowhere/Nothing\n");
        assert!(text.len() >= PARALLEL_SCRIPT_BYTES);
        let file = crate::source::SourceFile::new("big.ks", text.as_str());
        let mut sources = crate::source::SourceMap::default();
        let file_id = sources.add(file);
        let source = sources.get(file_id);
        let tree = crate::syntax::parse(&source.text, None);
        let document = crate::syntax::model::Document::new(file_id, &source.text, tree);
        let options = crate::analysis::CheckOptions::default();
        let context = Context {
            file_id,
            file: source,
            document: &document,
            role: FileRole::Main,
            version: crate::catalog::SyntaxVersion::DEVEL,
            options: &options,
            packages: None,
        };
        let render = |found: Vec<Diagnostic>| -> Vec<String> {
            found.iter().map(|d| format!("{d:?}")).collect()
        };
        let sequential = render(run_checks(&context, false));
        let threaded = render(run_checks(&context, true));
        assert!(sequential.len() > 3, "too few findings: {sequential:?}");
        assert_eq!(sequential, threaded);
    }

    #[test]
    fn codes_and_names_are_unique_and_well_formed() {
        let mut codes = std::collections::HashSet::new();
        let mut names = std::collections::HashSet::new();
        for rule in REGISTRY {
            assert!(codes.insert(rule.code), "duplicate code {}", rule.code);
            assert!(names.insert(rule.name), "duplicate name {}", rule.name);
            assert!(
                rule.code.len() == 6
                    && rule.code.starts_with("KS")
                    && rule.code[2..].bytes().all(|b| b.is_ascii_digit()),
                "bad code {}",
                rule.code
            );
            assert!(
                rule.name
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-'),
                "name {} is not kebab-case",
                rule.name
            );
        }
        let mut sorted: Vec<_> = REGISTRY.iter().map(|rule| rule.code).collect();
        sorted.sort_unstable();
        assert_eq!(
            sorted,
            REGISTRY.iter().map(|rule| rule.code).collect::<Vec<_>>()
        );
    }

    #[test]
    fn every_explanation_has_the_four_parts() {
        for rule in REGISTRY {
            let text = rule.explanation;
            assert!(
                text.starts_with(&format!("# {} {}", rule.code, rule.name)),
                "{}: explanation must start with '# CODE name'",
                rule.code
            );
            let severity_line = format!("Severity: {}", rule.default_severity.as_str());
            assert!(
                text.contains(&severity_line),
                "{}: doc says another severity",
                rule.code
            );
            for heading in ["## What it does", "## Why", "## Example", "## Fix"] {
                assert!(text.contains(heading), "{} lacks {heading}", rule.code);
            }
        }
    }

    #[test]
    fn finds_rules_by_code_or_name() {
        assert_eq!(find("ks0001").map(|r| r.name), Some("unclosed-section"));
        assert_eq!(find("unknown-section").map(|r| r.code), Some("KS0002"));
        assert!(find("KS9999").is_none());
    }
}
