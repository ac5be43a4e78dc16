//! What the three parsers produce: one loader-neutral model of a boot menu,
//! every piece with its byte range in the file it came from.

use crate::source::{FileId, TextRange};

use super::cmdline::Word;

/// The boot loader that reads a configuration.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Loader {
    /// SYSLINUX, ISOLINUX, EXTLINUX (`isolinux.cfg`, `syslinux.cfg`).
    Syslinux,
    /// GRUB 2 (`grub.cfg`, `BOOT.conf`).
    Grub2,
    /// GRUB Legacy (`grub.conf`, `BOOTX64.conf` of EL 6 media).
    GrubLegacy,
}

impl Loader {
    pub fn name(self) -> &'static str {
        match self {
            Loader::Syslinux => "SYSLINUX",
            Loader::Grub2 => "GRUB 2",
            Loader::GrubLegacy => "GRUB Legacy",
        }
    }
}

/// One parsed configuration file.
#[derive(Clone, Debug)]
pub struct BootConfig {
    pub file: FileId,
    pub loader: Loader,
    pub entries: Vec<Entry>,
    /// SYSLINUX `append` outside any `label`: used by entries without one.
    pub global_args: Vec<Word>,
    /// `default`, `ontimeout`, `menu default`, GRUB `set default`.
    pub defaults: Vec<DefaultSetting>,
    /// `timeout`, `totaltimeout`, GRUB `set timeout`.
    pub timeouts: Vec<Setting>,
    /// Files the loader reads that are not kernels or initrds of an entry:
    /// `ui`/`default` modules, `include`d files, `display` files.
    pub files: Vec<FileRef>,
    /// GRUB `search` commands.
    pub searches: Vec<Search>,
    /// SYSLINUX directives with a `#` after their first word.
    pub inline_comments: Vec<InlineComment>,
    /// A menu module (`vesamenu.c32`, `menu.c32`) is the user interface: it
    /// waits for a key unless a timeout is set.
    pub menu_ui: bool,
    /// Text the parser could not make sense of (GRUB: unclosed quote or block).
    pub problems: Vec<ParseProblem>,
}

impl BootConfig {
    pub fn new(file: FileId, loader: Loader) -> Self {
        BootConfig {
            file,
            loader,
            entries: Vec::new(),
            global_args: Vec::new(),
            defaults: Vec::new(),
            timeouts: Vec::new(),
            files: Vec::new(),
            searches: Vec::new(),
            inline_comments: Vec::new(),
            menu_ui: false,
            problems: Vec::new(),
        }
    }

    /// Kernel arguments of every entry, then the global ones.
    pub fn all_args(&self) -> impl Iterator<Item = &Word> {
        self.entries
            .iter()
            .flat_map(|entry| entry.args.iter())
            .chain(&self.global_args)
    }

    /// Every file reference: entry kernels and initrds, then the others.
    pub fn all_files(&self) -> impl Iterator<Item = &FileRef> {
        self.entries
            .iter()
            .flat_map(|entry| entry.kernel.iter().chain(&entry.initrds))
            .chain(&self.files)
    }
}

/// One bootable entry: a SYSLINUX `label`, a GRUB `menuentry` or a GRUB
/// Legacy `title`.
#[derive(Clone, Debug)]
pub struct Entry {
    /// The label name or the menu entry title.
    pub name: Word,
    /// The `label …` / `menuentry … {` / `title …` line.
    pub header: TextRange,
    /// SYSLINUX `menu label`.
    pub menu_label: Option<Word>,
    /// GRUB `--id`.
    pub id: Option<Word>,
    /// SYSLINUX: which `menu begin … menu end` block (0 = top level).
    pub menu: usize,
    /// GRUB: the entry's position (`1`, or `2>0` inside a submenu).
    pub index: Vec<usize>,
    pub kernel: Option<FileRef>,
    pub initrds: Vec<FileRef>,
    /// The kernel command line, split the way the kernel splits it.
    pub args: Vec<Word>,
    /// Where a new argument can be inserted (end of the append/linux line).
    pub args_end: Option<usize>,
    /// SYSLINUX `localboot`, `menu exit` and similar: boots no kernel.
    pub boots_kernel: bool,
    /// SYSLINUX `menu default` inside the entry.
    pub menu_default: Option<TextRange>,
}

impl Entry {
    pub fn new(name: Word, header: TextRange) -> Self {
        Entry {
            name,
            header,
            menu_label: None,
            id: None,
            menu: 0,
            index: Vec::new(),
            kernel: None,
            initrds: Vec::new(),
            args: Vec::new(),
            args_end: None,
            boots_kernel: true,
            menu_default: None,
        }
    }

    /// How the entry is shown in messages: `linux`, `'Install CentOS 7'`.
    pub fn display_name(&self) -> String {
        format!("`{}`", self.name.value)
    }
}

/// A setting with an optional value (`timeout 50`, `set default="1"`).
#[derive(Clone, Debug)]
pub struct Setting {
    pub keyword: TextRange,
    pub value: Option<Word>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DefaultKind {
    /// SYSLINUX `default X` (a label, a kernel or a module).
    Default,
    /// SYSLINUX `ontimeout X`.
    OnTimeout,
    /// SYSLINUX `menu default` inside a label.
    MenuDefault,
    /// GRUB `set default=…`, GRUB Legacy `default=…`.
    Grub,
}

#[derive(Clone, Debug)]
pub struct DefaultSetting {
    pub kind: DefaultKind,
    /// The directive (`default`, `menu default`, `set default=1`).
    pub keyword: TextRange,
    pub value: Option<Word>,
    /// SYSLINUX menu block the setting belongs to.
    pub menu: usize,
    /// For `menu default`: the entry it marks.
    pub entry: Option<usize>,
}

/// What a file reference loads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FileKind {
    Kernel,
    Initrd,
    /// A SYSLINUX COM32 module (`vesamenu.c32`).
    Module,
    /// A SYSLINUX `include`d configuration.
    Include,
    /// `display`, `menu background` and similar.
    Other,
}

#[derive(Clone, Debug)]
pub struct FileRef {
    pub kind: FileKind,
    pub word: Word,
}

/// A GRUB `search` command.
#[derive(Clone, Debug)]
pub struct Search {
    /// The `search` word.
    pub keyword: TextRange,
    /// `-l`/`--label` or `search.fs_label`.
    pub by_label: bool,
    /// What is searched for.
    pub name: Option<Word>,
}

/// `append … # comment` in a SYSLINUX file.
#[derive(Clone, Debug)]
pub struct InlineComment {
    /// The directive keyword.
    pub keyword: TextRange,
    /// From `#` to the end of the line (trailing white space excluded).
    pub comment: TextRange,
    /// Start of the white space before `#`.
    pub cut_from: usize,
    /// Start of the line and its indentation, for moving the comment above.
    pub line_start: usize,
    pub indent: String,
}

#[derive(Clone, Debug)]
pub struct ParseProblem {
    pub range: TextRange,
    pub message: String,
}
