//! Section header options (`%packages --ignoremissing`, `%post --nochroot
//! --log=…`, `%certificate --filename=…`), parsed like pykickstart's
//! `handleHeader` for the selected release.

use super::args::{self, Class};
use super::{
    deprecation_tail, has_unclosed_quote, report_extra, report_parse, Owner, OwnerKind,
    CONFLICTING_OPTIONS, DEPRECATED_SECTION, MISSING_REQUIRED_OPTION,
};
use crate::catalog::{self, CommandStatus, SyntaxVersion};
use crate::diagnostic::{fix, Applicability, Diagnostic, Severity, Tag};
use crate::rules::Context;
use crate::syntax::model::{Section, SectionKind};

pub(super) fn check_header(cx: &Context, section: &Section, out: &mut Vec<Diagnostic>) {
    if section.kind == SectionKind::Unknown {
        return;
    }
    let name = section.header.name.as_str();
    let Some(spec) = catalog::lookup_section(cx.version, name) else {
        return;
    };
    let header = &section.header;
    if spec.status == CommandStatus::Deprecated {
        let mut diagnostic = Diagnostic::new(
            &DEPRECATED_SECTION,
            cx.file_id,
            header.name_range,
            format!("`{name}` is deprecated in {}", cx.version),
        )
        .with_tag(Tag::Deprecated);
        if name == "%traceback" {
            diagnostic
                .message
                .push_str("; use `%onerror`, which runs on the same failures");
            diagnostic = diagnostic.with_fix(fix(
                "Change to `%onerror`",
                Applicability::Safe,
                cx.file_id,
                header.name_range,
                "%onerror",
            ));
        }
        out.push(diagnostic);
    }
    if !spec.validates_header() {
        return;
    }
    if has_unclosed_quote(cx, header.range, &header.args) {
        return;
    }
    let tokens = args::tokens(&header.args, cx.text());
    let parsed = args::parse(&tokens, spec.options, &[]);
    let owner = Owner {
        name,
        name_range: header.name_range,
        options: spec.options,
        kind: OwnerKind::Section,
    };
    let before = out.len();
    report_parse(cx, &owner, &tokens, &parsed, out);
    for token in &parsed.extras {
        let index = tokens
            .iter()
            .position(|t| std::ptr::eq(t, *token))
            .expect("extras come from the token list");
        report_extra(cx, &owner, token, &parsed.classes[index], out);
    }
    if out[before..].iter().any(|d| d.severity == Severity::Error) {
        return;
    }
    for &(a, b) in spec.exclusive {
        if let (Some(first), Some(second)) = (parsed.get(a), parsed.get(b)) {
            let (first, second) = if first.token.range.start <= second.token.range.start {
                (first, second)
            } else {
                (second, first)
            };
            out.push(
                Diagnostic::new(
                    &CONFLICTING_OPTIONS,
                    cx.file_id,
                    second.token.name_range,
                    format!(
                        "`{}` and `{}` cannot be used together in `{name}`",
                        first.spec.name(),
                        second.spec.name()
                    ),
                )
                .with_related(
                    cx.file_id,
                    first.token.name_range,
                    format!("`{}` is given here", first.spec.name()),
                ),
            );
        }
    }
    match name {
        "%certificate" if !parsed.truthy("--dir") && !parsed.truthy("--type") => {
            let needs = if spec.options.iter().any(|o| o.name() == "--type") {
                "`--dir` or `--type`"
            } else {
                "`--dir`"
            };
            out.push(Diagnostic::new(
                &MISSING_REQUIRED_OPTION,
                cx.file_id,
                header.name_range,
                format!("`%certificate` needs {needs} to say where the certificate goes"),
            ));
        }
        "%packages" => {
            // F32–F39 and RHEL 9 warn about the camel-case spellings in
            // handleHeader (only when written out in full).
            let warns = cx.version >= SyntaxVersion::F32 && cx.version < SyntaxVersion::F40;
            if warns {
                for (token, class) in tokens.iter().zip(&parsed.classes) {
                    let Class::Known { spec: option, .. } = class else {
                        continue;
                    };
                    let written = token.name();
                    if option.deprecated_in.is_none()
                        && matches!(written, "--instLangs" | "--excludeWeakdeps")
                    {
                        let message =
                            format!("`{written}` of `%packages` is deprecated in {}", cx.version);
                        deprecation_tail(cx, &owner, token, written, message, out);
                    }
                }
            }
        }
        _ => {}
    }
}
