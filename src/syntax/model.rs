//! The typed document model over the kickstart syntax tree.

use std::sync::OnceLock;

use tree_sitter::{Node, Tree, TreeCursor};

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
    /// The syntax tree; `None` for a long file whose plain package lines
    /// and script bodies the command line read without the parser (see
    /// [`super::direct_lines`]).
    pub tree: Option<Tree>,
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
            tree: Some(tree),
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
        if node.has_error() || text.is_none() || self.memo.is_none() {
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
        // One cursor for the whole list: thousands of entries, each a few
        // nodes, make cursor set-up and name lookups the main cost.
        let mut cursor = body.walk();
        let mut entries = Vec::with_capacity(body.named_child_count());
        if cursor.goto_first_child() {
            loop {
                if cursor.node().is_named() {
                    entries.extend(self.package_entry(&mut cursor));
                }
                if !cursor.goto_next_sibling() {
                    break;
                }
            }
        }
        entries
    }

    /// The entry at `cursor`, read in one pass over its children; the
    /// cursor is back on the entry afterwards.
    fn package_entry(&self, cursor: &mut TreeCursor) -> Option<PackageEntry> {
        let node = cursor.node();
        let ids = ids();
        let kind = ids.package_kind(node.kind_id())?;
        let mut name = None;
        let mut stream = None;
        let mut profile = None;
        let mut options = Vec::new();
        let mut end = node.start_byte();
        if cursor.goto_first_child() {
            loop {
                let child = cursor.node();
                match cursor.field_id() {
                    Some(field) if field == ids.name => name = name.or(Some(child)),
                    Some(field) if field == ids.stream => stream = stream.or(Some(child)),
                    Some(field) if field == ids.profile => profile = profile.or(Some(child)),
                    _ => {}
                }
                let child_kind = child.kind_id();
                if child_kind == ids.option {
                    options.push(Arg::Option(self.option(child)));
                } else if child_kind == ids.word && child.is_named() {
                    options.push(Arg::Word(self.word(child)));
                }
                if child_kind != ids.comment && !self.slice(child).trim().is_empty() {
                    end = end.max(child.end_byte());
                }
                if !cursor.goto_next_sibling() {
                    break;
                }
            }
            cursor.goto_parent();
        }
        let name_node = name?;
        let owned = |n: Node| (self.slice(n).to_string(), range_of(n));
        Some(PackageEntry {
            range: TextRange::new(node.start_byte(), end),
            kind,
            name: self.slice(name_node).trim_end().to_string(),
            name_range: range_of(name_node),
            stream: stream.map(owned),
            profile: profile.map(owned),
            options,
        })
    }
}

/// Node kind and field ids of the kickstart grammar, looked up once: the
/// model compares ids instead of names.
struct Ids {
    package: u16,
    excluded_package: u16,
    group: u16,
    excluded_group: u16,
    environment: u16,
    module: u16,
    option: u16,
    word: u16,
    comment: u16,
    name: std::num::NonZeroU16,
    stream: std::num::NonZeroU16,
    profile: std::num::NonZeroU16,
}

impl Ids {
    fn package_kind(&self, kind: u16) -> Option<PackageKind> {
        Some(match kind {
            k if k == self.package => PackageKind::Package,
            k if k == self.excluded_package => PackageKind::ExcludedPackage,
            k if k == self.group => PackageKind::Group,
            k if k == self.excluded_group => PackageKind::ExcludedGroup,
            k if k == self.environment => PackageKind::Environment,
            k if k == self.module => PackageKind::Module,
            _ => return None,
        })
    }
}

fn ids() -> &'static Ids {
    static IDS: OnceLock<Ids> = OnceLock::new();
    IDS.get_or_init(|| {
        let language: tree_sitter::Language = tree_sitter_kickstart::LANGUAGE.into();
        let kind = |name: &str| {
            let id = language.id_for_node_kind(name, true);
            assert_ne!(id, 0, "the kickstart grammar has no `{name}` node");
            id
        };
        let field = |name: &str| {
            language
                .field_id_for_name(name)
                .unwrap_or_else(|| panic!("the kickstart grammar has no `{name}` field"))
        };
        Ids {
            package: kind("package"),
            excluded_package: kind("excluded_package"),
            group: kind("group"),
            excluded_group: kind("excluded_group"),
            environment: kind("environment"),
            module: kind("module"),
            option: kind("option"),
            word: kind("word"),
            comment: kind("comment"),
            name: field("name"),
            stream: field("stream"),
            profile: field("profile"),
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const PACKAGES: &str = "%packages --ignoremissing\n\
        @core\n\
        @^server-product-environment\n\
        @Development Tools --optional  # blanks in a group name\n\
        @base --nodefaults\n\
        -@dial-up\n\
        -@^workstation\n\
        @container-tools:rhel8/common  # a module\n\
        @nodejs:18\n\
        kernel-*\n\
        -firewalld\n\
        vim-enhanced   # trailing comment\n\
        \n\
        # a comment line\n\
        %include /tmp/more-packages\n\
        name with  inner blanks\n\
        @\n\
        -\n\
        %end\n";

    fn entries(text: &str) -> Vec<PackageEntry> {
        let document = Document::new(FileId(0), text, crate::syntax::parse(text, None));
        document
            .sections()
            .flat_map(|section| section.packages().to_vec())
            .collect()
    }

    /// The same entry read the slow, obvious way: node names and field
    /// lookups by name, one child list per question.
    fn by_names(text: &str, node: Node) -> Option<PackageEntry> {
        let kind = match node.kind() {
            "package" => PackageKind::Package,
            "excluded_package" => PackageKind::ExcludedPackage,
            "group" => PackageKind::Group,
            "excluded_group" => PackageKind::ExcludedGroup,
            "environment" => PackageKind::Environment,
            "module" => PackageKind::Module,
            _ => return None,
        };
        let slice = |n: Node| text[n.byte_range()].to_string();
        let field = |name: &str| {
            node.child_by_field_name(name)
                .map(|n| (slice(n), range_of(n)))
        };
        let name = node.child_by_field_name("name")?;
        let mut cursor = node.walk();
        let end = node
            .children(&mut cursor)
            .filter(|c| c.kind() != "comment" && !slice(*c).trim().is_empty())
            .map(|c| c.end_byte())
            .max()
            .unwrap_or(node.start_byte());
        let mut cursor = node.walk();
        let options = node
            .named_children(&mut cursor)
            .filter(|c| c.kind() == "option")
            .map(|c| {
                let name = c.child_by_field_name("name").unwrap_or(c);
                Arg::Option(OptionArg {
                    range: range_of(c),
                    name: slice(name),
                    name_range: range_of(name),
                    value: None,
                })
            })
            .collect();
        Some(PackageEntry {
            range: TextRange::new(node.start_byte(), end),
            kind,
            name: slice(name).trim_end().to_string(),
            name_range: range_of(name),
            stream: field("stream"),
            profile: field("profile"),
            options,
        })
    }

    fn expected(text: &str) -> Vec<PackageEntry> {
        let tree = crate::syntax::parse(text, None);
        let root = tree.root_node();
        let mut cursor = root.walk();
        let sections: Vec<Node> = root
            .named_children(&mut cursor)
            .filter(|node| node.kind() == "packages_section")
            .collect();
        let mut found = Vec::new();
        for body in sections
            .iter()
            .filter_map(|s| s.child_by_field_name("body"))
        {
            let mut cursor = body.walk();
            let children: Vec<Node> = body.named_children(&mut cursor).collect();
            found.extend(children.into_iter().filter_map(|c| by_names(text, c)));
        }
        found
    }

    #[test]
    fn package_entries_equal_a_reading_by_node_names() {
        let got = entries(PACKAGES);
        assert_eq!(got, expected(PACKAGES));
        let kinds: Vec<PackageKind> = got.iter().map(|e| e.kind).collect();
        use PackageKind::*;
        assert_eq!(
            kinds,
            [
                Group,
                Environment,
                Group,
                Group,
                ExcludedGroup,
                ExcludedGroup,
                Module,
                Module,
                Package,
                ExcludedPackage,
                Package,
                Package
            ]
        );
    }

    #[test]
    fn an_entry_ends_before_its_comment_and_keeps_its_parts() {
        let got = entries(PACKAGES);
        let module = &got[6];
        assert_eq!(
            &PACKAGES[module.range.start..module.range.end],
            "@container-tools:rhel8/common"
        );
        assert_eq!(module.name, "container-tools");
        assert_eq!(module.stream.as_ref().map(|s| s.0.as_str()), Some("rhel8"));
        assert_eq!(
            module.profile.as_ref().map(|s| s.0.as_str()),
            Some("common")
        );
        let tools = &got[2];
        assert_eq!(tools.name, "Development Tools");
        assert!(matches!(&tools.options[..], [Arg::Option(o)] if o.name == "--optional"));
        let vim = &got[10];
        assert_eq!(&PACKAGES[vim.range.start..vim.range.end], "vim-enhanced");
        assert_eq!(got[11].name, "name with  inner blanks");
    }

    #[test]
    fn entries_of_a_broken_list_equal_a_reading_by_node_names() {
        // Every prefix of the list, cut mid-line: error recovery shapes the
        // tree differently each time.
        for cut in (30..PACKAGES.len()).step_by(7) {
            let text = &PACKAGES[..cut];
            assert_eq!(entries(text), expected(text), "cut at {cut}: {text:?}");
        }
    }
}
