//! The typed document model over the kickstart syntax tree.

use tree_sitter::{Node, Tree};

use super::words::{unquote, UnclosedQuote};
use crate::memo::{remember, KeyHasher, Memo};
use crate::source::{FileId, TextRange};

/// One shell-like word as written and as pykickstart sees it after unquoting.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Word {
    pub range: TextRange,
    pub value: String,
    /// Set when the word ends inside a quote (pykickstart: "No closing quotation").
    pub unclosed_quote: Option<UnclosedQuote>,
}

/// `--name` or `--name=value`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OptionArg {
    pub range: TextRange,
    /// The option as written, e.g. `--bootproto`.
    pub name: String,
    pub name_range: TextRange,
    /// The value of the `--name=value` form.
    pub value: Option<Word>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Arg {
    Option(OptionArg),
    Word(Word),
}

impl Arg {
    pub fn range(&self) -> TextRange {
        match self {
            Arg::Option(option) => option.range,
            Arg::Word(word) => word.range,
        }
    }

    fn map_ranges(&mut self, map: &impl Fn(TextRange) -> TextRange) {
        match self {
            Arg::Option(option) => {
                option.range = map(option.range);
                option.name_range = map(option.name_range);
                if let Some(value) = &mut option.value {
                    value.range = map(value.range);
                }
            }
            Arg::Word(word) => word.range = map(word.range),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Command {
    pub range: TextRange,
    pub name: Word,
    pub args: Vec<Arg>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ScriptKind {
    Pre,
    PreInstall,
    Post,
    OnError,
    Traceback,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SectionKind {
    Packages,
    Script(ScriptKind),
    Addon,
    Anaconda,
    Certificate,
    /// A `%word` that is not a section pykickstart knows.
    Unknown,
}

impl SectionKind {
    /// The kind for a section keyword such as `%post`.
    pub fn from_keyword(keyword: &str) -> SectionKind {
        match keyword {
            "%packages" => SectionKind::Packages,
            "%pre" => SectionKind::Script(ScriptKind::Pre),
            "%pre-install" => SectionKind::Script(ScriptKind::PreInstall),
            "%post" => SectionKind::Script(ScriptKind::Post),
            "%onerror" => SectionKind::Script(ScriptKind::OnError),
            "%traceback" => SectionKind::Script(ScriptKind::Traceback),
            "%addon" => SectionKind::Addon,
            "%anaconda" => SectionKind::Anaconda,
            "%certificate" => SectionKind::Certificate,
            _ => SectionKind::Unknown,
        }
    }
}

/// Every section keyword pykickstart registers (the same for all versions).
pub const SECTION_KEYWORDS: &[&str] = &[
    "%packages",
    "%pre",
    "%pre-install",
    "%post",
    "%onerror",
    "%traceback",
    "%addon",
    "%anaconda",
    "%certificate",
];

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SectionHeader {
    pub range: TextRange,
    /// The keyword as written, e.g. `%post`.
    pub name: String,
    pub name_range: TextRange,
    pub args: Vec<Arg>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PackageKind {
    /// `name` or a glob.
    Package,
    /// `-name`.
    ExcludedPackage,
    /// `@group`.
    Group,
    /// `-@group`.
    ExcludedGroup,
    /// `@^environment`.
    Environment,
    /// `@module:stream[/profile]`.
    Module,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PackageEntry {
    pub range: TextRange,
    pub kind: PackageKind,
    pub name: String,
    pub name_range: TextRange,
    pub stream: Option<(String, TextRange)>,
    pub profile: Option<(String, TextRange)>,
    /// `--nodefaults`, `--optional` on group lines.
    pub options: Vec<Arg>,
}

impl PackageEntry {
    pub fn is_glob(&self) -> bool {
        self.name.contains(['*', '?', '['])
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SectionBody {
    Packages(Vec<PackageEntry>),
    /// Raw script text (also for `%addon`, `%anaconda`, `%certificate` and
    /// unknown sections), `None` when the section has no body lines.
    Text(Option<TextRange>),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Section {
    pub range: TextRange,
    pub kind: SectionKind,
    pub header: SectionHeader,
    pub body: SectionBody,
    /// The `%end` line, absent when the section is not closed.
    pub end: Option<TextRange>,
}

impl Section {
    pub fn packages(&self) -> &[PackageEntry] {
        match &self.body {
            SectionBody::Packages(entries) => entries,
            SectionBody::Text(_) => &[],
        }
    }

    pub fn body_range(&self) -> Option<TextRange> {
        match &self.body {
            SectionBody::Text(range) => *range,
            SectionBody::Packages(entries) => match (entries.first(), entries.last()) {
                (Some(first), Some(last)) => Some(first.range.cover(last.range)),
                _ => None,
            },
        }
    }

    /// The header option named exactly `name` (e.g. `--interpreter`).
    /// Moves every range of the section with `map`, for a section reused
    /// from an earlier text of the document.
    pub fn map_ranges(&mut self, map: &impl Fn(TextRange) -> TextRange) {
        self.range = map(self.range);
        let header = &mut self.header;
        header.range = map(header.range);
        header.name_range = map(header.name_range);
        header.args.iter_mut().for_each(|arg| arg.map_ranges(map));
        match &mut self.body {
            SectionBody::Packages(entries) => {
                for entry in entries {
                    entry.range = map(entry.range);
                    entry.name_range = map(entry.name_range);
                    for (_, range) in entry.stream.iter_mut().chain(&mut entry.profile) {
                        *range = map(*range);
                    }
                    entry.options.iter_mut().for_each(|arg| arg.map_ranges(map));
                }
            }
            SectionBody::Text(range) => {
                if let Some(range) = range {
                    *range = map(*range);
                }
            }
        }
        if let Some(end) = &mut self.end {
            *end = map(*end);
        }
    }

    pub fn header_option(&self, name: &str) -> Option<&OptionArg> {
        self.header.args.iter().find_map(|arg| match arg {
            Arg::Option(option) if option.name == name => Some(option),
            _ => None,
        })
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IncludeKind {
    Include,
    Ksappend,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Include {
    pub range: TextRange,
    pub kind: IncludeKind,
    pub path: Option<Word>,
}

/// A top-level item in source order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Item {
    Command(Command),
    Section(Section),
    Include(Include),
    /// An `%end` with no open section.
    StrayEnd(TextRange),
}

/// A piece of text the grammar could not place (ERROR) or a token it had to
/// assume (MISSING).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SyntaxError {
    pub range: TextRange,
    pub missing: Option<String>,
}

#[derive(Debug)]
pub struct Document {
    pub file: FileId,
    pub tree: Tree,
    pub items: Vec<Item>,
    pub syntax_errors: Vec<SyntaxError>,
}

impl Document {
    pub fn new(file: FileId, text: &str, tree: Tree) -> Self {
        Self::remembering(file, text, tree, None)
    }

    /// [`Document::new`], taking the models of `%packages` sections whose
    /// text is unchanged from `memo` (and keeping the new ones there).
    pub fn remembering(file: FileId, text: &str, tree: Tree, memo: Option<&Memo>) -> Self {
        let mut builder = Builder {
            file,
            text,
            memo,
            items: Vec::new(),
            syntax_errors: Vec::new(),
        };
        builder.source_file(tree.root_node());
        Self {
            file,
            tree,
            items: builder.items,
            syntax_errors: builder.syntax_errors,
        }
    }

    pub fn commands(&self) -> impl Iterator<Item = &Command> {
        self.items.iter().filter_map(|item| match item {
            Item::Command(command) => Some(command),
            _ => None,
        })
    }

    pub fn sections(&self) -> impl Iterator<Item = &Section> {
        self.items.iter().filter_map(|item| match item {
            Item::Section(section) => Some(section),
            _ => None,
        })
    }

    pub fn includes(&self) -> impl Iterator<Item = &Include> {
        self.items.iter().filter_map(|item| match item {
            Item::Include(include) => Some(include),
            _ => None,
        })
    }
}

fn range_of(node: Node) -> TextRange {
    TextRange::new(node.start_byte(), node.end_byte())
}

struct Builder<'t> {
    file: FileId,
    text: &'t str,
    memo: Option<&'t Memo>,
    items: Vec<Item>,
    syntax_errors: Vec<SyntaxError>,
}

impl Builder<'_> {
    fn slice(&self, node: Node) -> &str {
        self.text
            .get(node.start_byte()..node.end_byte())
            .unwrap_or("")
    }

    fn source_file(&mut self, root: Node) {
        self.collect_errors(root);
        let mut cursor = root.walk();
        for child in root.named_children(&mut cursor) {
            let item = match child.kind() {
                "command" => Item::Command(self.command(child)),
                "include" | "ksappend" => Item::Include(self.include(child)),
                "section_end" => Item::StrayEnd(range_of(child)),
                "packages_section" => Item::Section(self.packages_section(child)),
                kind if kind.ends_with("_section") => Item::Section(self.section(child)),
                _ => continue,
            };
            self.items.push(item);
        }
    }

    fn collect_errors(&mut self, node: Node) {
        if node.is_error() {
            self.syntax_errors.push(SyntaxError {
                range: range_of(node),
                missing: None,
            });
            return;
        }
        if node.is_missing() {
            self.syntax_errors.push(SyntaxError {
                range: range_of(node),
                missing: Some(node.kind().to_string()),
            });
            return;
        }
        if !node.has_error() {
            return;
        }
        let mut cursor = node.walk();
        for child in node.children(&mut cursor) {
            self.collect_errors(child);
        }
    }

    fn word(&self, node: Node) -> Word {
        let raw = self.slice(node);
        let (value, unclosed_quote) = match unquote(raw) {
            Ok(value) => (value, None),
            Err(unclosed) => (raw.to_string(), Some(unclosed)),
        };
        Word {
            range: range_of(node),
            value,
            unclosed_quote,
        }
    }

    fn option(&self, node: Node) -> OptionArg {
        let name_node = node.child_by_field_name("name").unwrap_or(node);
        OptionArg {
            range: range_of(node),
            name: self.slice(name_node).to_string(),
            name_range: range_of(name_node),
            value: node
                .child_by_field_name("value")
                .map(|value| self.word(value)),
        }
    }

    fn args(&self, node: Node) -> Vec<Arg> {
        let mut cursor = node.walk();
        node.named_children(&mut cursor)
            .filter_map(|child| match child.kind() {
                "option" => Some(Arg::Option(self.option(child))),
                "word" => Some(Arg::Word(self.word(child))),
                _ => None,
            })
            .collect()
    }

    fn command(&self, node: Node) -> Command {
        let name = node
            .child_by_field_name("name")
            .map(|name| self.word(name))
            .unwrap_or_else(|| Word {
                range: TextRange::empty(node.start_byte()),
                value: String::new(),
                unclosed_quote: None,
            });
        let args = self
            .args(node)
            .into_iter()
            .filter(|arg| arg.range() != name.range)
            .collect();
        Command {
            range: self.without_comment(node),
            name,
            args,
        }
    }

    /// The node's range up to (not including) a trailing comment and newline.
    fn without_comment(&self, node: Node) -> TextRange {
        let mut end = node.start_byte();
        let mut cursor = node.walk();
        for child in node.children(&mut cursor) {
            if child.kind() == "comment" || self.slice(child).trim().is_empty() {
                continue;
            }
            end = end.max(child.end_byte());
        }
        TextRange::new(node.start_byte(), end)
    }

    fn include(&self, node: Node) -> Include {
        let kind = if node.kind() == "ksappend" {
            IncludeKind::Ksappend
        } else {
            IncludeKind::Include
        };
        let path = node
            .child_by_field_name("path")
            .filter(|path| !path.is_missing() && !path.byte_range().is_empty())
            .map(|path| self.word(path));
        Include {
            range: self.without_comment(node),
            kind,
            path,
        }
    }

    fn section(&self, node: Node) -> Section {
        let header_node = node.child_by_field_name("header");
        let header = match header_node {
            Some(header) => self.header(header),
            None => SectionHeader {
                range: TextRange::empty(node.start_byte()),
                name: String::new(),
                name_range: TextRange::empty(node.start_byte()),
                args: Vec::new(),
            },
        };
        let kind = match node.kind() {
            "unknown_section" => SectionKind::Unknown,
            _ => SectionKind::from_keyword(&header.name),
        };
        let body_node = node.child_by_field_name("body");
        let body = if kind == SectionKind::Packages {
            SectionBody::Packages(body_node.map(|b| self.packages(b)).unwrap_or_default())
        } else {
            SectionBody::Text(body_node.map(range_of).filter(|r| !r.is_empty()))
        };
        Section {
            range: range_of(node),
            kind,
            header,
            body,
            end: node
                .child_by_field_name("end")
                .filter(|end| !end.is_missing())
                .map(range_of),
        }
    }

    /// A `%packages` section: one entry per line, each several nodes deep,
    /// so for a long list most of the model's work. An edit elsewhere
    /// leaves its text as it was: the memo has it then. A section with a
    /// syntax error is always built anew (error recovery may depend on
    /// what comes before it).
    fn packages_section(&self, node: Node) -> Section {
        let range = range_of(node);
        let text = self.text.get(range.start..range.end);
        if node.has_error() || text.is_none() {
            return self.section(node);
        }
        let key = KeyHasher::new("packages section model").add(text).finish();
        remember(
            self.memo,
            key,
            vec![(self.file, range)],
            |relocation, section: &Section| {
                let mut moved = section.clone();
                if !relocation.is_identity() {
                    moved.map_ranges(&|range| relocation.range(self.file, range));
                }
                moved
            },
            || self.section(node),
        )
    }

    fn header(&self, node: Node) -> SectionHeader {
        let name_node = node.child_by_field_name("name").unwrap_or(node);
        SectionHeader {
            range: self.without_comment(node),
            name: self.slice(name_node).trim().to_string(),
            name_range: range_of(name_node),
            args: self.args(node),
        }
    }

    fn packages(&self, body: Node) -> Vec<PackageEntry> {
        let mut cursor = body.walk();
        body.named_children(&mut cursor)
            .filter_map(|child| self.package_entry(child))
            .collect()
    }

    fn package_entry(&self, node: Node) -> Option<PackageEntry> {
        let kind = match node.kind() {
            "package" => PackageKind::Package,
            "excluded_package" => PackageKind::ExcludedPackage,
            "group" => PackageKind::Group,
            "excluded_group" => PackageKind::ExcludedGroup,
            "environment" => PackageKind::Environment,
            "module" => PackageKind::Module,
            _ => return None,
        };
        let name_node = node.child_by_field_name("name")?;
        let field = |name: &str| {
            node.child_by_field_name(name)
                .map(|n| (self.slice(n).to_string(), range_of(n)))
        };
        Some(PackageEntry {
            range: self.without_comment(node),
            kind,
            name: self.slice(name_node).trim_end().to_string(),
            name_range: range_of(name_node),
            stream: field("stream"),
            profile: field("profile"),
            options: self.args(node),
        })
    }
}
