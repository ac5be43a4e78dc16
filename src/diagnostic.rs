//! The diagnostic type every check produces. Free of terminal and LSP types:
//! ranges are byte offsets into a [`SourceFile`](crate::source::SourceFile),
//! converted to lines and columns only by whoever shows them.

use crate::rules::Rule;
use crate::source::{FileId, TextRange};

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    Hint,
    Info,
    Warning,
    Error,
}

impl Severity {
    pub const fn as_str(self) -> &'static str {
        match self {
            Severity::Hint => "hint",
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        match text.to_ascii_lowercase().as_str() {
            "hint" => Some(Severity::Hint),
            "info" | "information" => Some(Severity::Info),
            "warning" | "warn" => Some(Severity::Warning),
            "error" => Some(Severity::Error),
            _ => None,
        }
    }
}

/// A location in some file, with an optional note ("first defined here").
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Location {
    pub file: FileId,
    pub range: TextRange,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Related {
    pub location: Location,
    pub message: String,
}

/// Whether applying a fix can change what the installer does beyond the
/// mistake it repairs. Safe fixes may be applied without review.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Applicability {
    Safe,
    Unsafe,
}

impl Applicability {
    pub const fn as_str(self) -> &'static str {
        match self {
            Applicability::Safe => "safe",
            Applicability::Unsafe => "unsafe",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TextEdit {
    pub file: FileId,
    pub range: TextRange,
    pub replacement: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fix {
    /// Imperative title shown in the editor, e.g. "Insert `%end`".
    pub title: String,
    pub applicability: Applicability,
    pub edits: Vec<TextEdit>,
}

/// Tags editors render specially (struck through, faded).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Tag {
    Deprecated,
    Unnecessary,
}

#[derive(Clone, Debug)]
pub struct Diagnostic {
    pub rule: &'static Rule,
    pub severity: Severity,
    pub message: String,
    pub location: Location,
    pub related: Vec<Related>,
    pub fix: Option<Fix>,
    pub tags: Vec<Tag>,
    /// A finding of an external tool (shellcheck): its own code and page.
    pub external: Option<External>,
}

/// The code, tool name and documentation page of a finding that another
/// tool made (e.g. `SC2086` from `shellcheck`).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct External {
    pub source: &'static str,
    pub code: String,
    pub url: String,
}

impl Diagnostic {
    /// A diagnostic of `rule` at its default severity.
    pub fn new(rule: &'static Rule, file: FileId, range: TextRange, message: String) -> Self {
        Self {
            rule,
            severity: rule.default_severity,
            message,
            location: Location { file, range },
            related: Vec::new(),
            fix: None,
            tags: Vec::new(),
            external: None,
        }
    }

    /// The code shown: the external tool's (`SC2086`) or the rule's.
    pub fn code(&self) -> &str {
        self.external
            .as_ref()
            .map_or(self.rule.code, |external| external.code.as_str())
    }

    /// Who found it: `kslint` or the external tool.
    pub fn source(&self) -> &'static str {
        self.external
            .as_ref()
            .map_or("kslint", |external| external.source)
    }

    pub fn with_related(
        mut self,
        file: FileId,
        range: TextRange,
        message: impl Into<String>,
    ) -> Self {
        self.related.push(Related {
            location: Location { file, range },
            message: message.into(),
        });
        self
    }

    pub fn with_fix(mut self, fix: Fix) -> Self {
        self.fix = Some(fix);
        self
    }

    pub fn with_tag(mut self, tag: Tag) -> Self {
        self.tags.push(tag);
        self
    }

    /// Sort key: file, then position, then code, for stable output.
    pub fn sort_key(&self) -> (FileId, usize, usize, &'static str) {
        (
            self.location.file,
            self.location.range.start,
            self.location.range.end,
            self.rule.code,
        )
    }
}

/// Builds a single-edit fix.
pub fn fix(
    title: impl Into<String>,
    applicability: Applicability,
    file: FileId,
    range: TextRange,
    replacement: impl Into<String>,
) -> Fix {
    Fix {
        title: title.into(),
        applicability,
        edits: vec![TextEdit {
            file,
            range,
            replacement: replacement.into(),
        }],
    }
}
