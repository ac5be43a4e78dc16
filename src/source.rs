//! Source files and the conversions between byte offsets and line/column
//! positions that every consumer (terminal report, JSON, LSP) needs.

use std::path::{Path, PathBuf};
use std::sync::Arc;

/// A half-open byte range `[start, end)` into a source text.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TextRange {
    pub start: usize,
    pub end: usize,
}

impl TextRange {
    pub const fn new(start: usize, end: usize) -> Self {
        Self { start, end }
    }

    pub const fn empty(at: usize) -> Self {
        Self { start: at, end: at }
    }

    pub const fn len(self) -> usize {
        self.end - self.start
    }

    pub const fn is_empty(self) -> bool {
        self.start == self.end
    }

    pub const fn contains(self, offset: usize) -> bool {
        self.start <= offset && offset < self.end
    }

    pub fn cover(self, other: TextRange) -> TextRange {
        TextRange::new(self.start.min(other.start), self.end.max(other.end))
    }
}

impl From<std::ops::Range<usize>> for TextRange {
    fn from(range: std::ops::Range<usize>) -> Self {
        Self::new(range.start, range.end)
    }
}

/// How a column is counted. Terminals and our JSON count characters, LSP
/// clients count UTF-16 code units unless they negotiated UTF-8.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ColumnUnit {
    Utf8Bytes,
    Utf16CodeUnits,
    Chars,
}

/// A zero-based line and column.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Position {
    pub line: u32,
    pub column: u32,
}

/// Line start offsets of one text, for offset ↔ position conversions.
#[derive(Clone, Debug)]
pub struct LineIndex {
    line_starts: Vec<usize>,
    len: usize,
}

impl LineIndex {
    pub fn new(text: &str) -> Self {
        let mut line_starts = vec![0];
        // Built for every file of every analysis: one vectorised scan
        // rather than a search restarted after each line.
        line_starts.extend(memchr::memchr_iter(b'\n', text.as_bytes()).map(|i| i + 1));
        Self {
            line_starts,
            len: text.len(),
        }
    }

    pub fn line_count(&self) -> usize {
        self.line_starts.len()
    }

    /// Byte offset where zero-based `line` starts (clamped to the text end).
    pub fn line_start(&self, line: usize) -> usize {
        self.line_starts.get(line).copied().unwrap_or(self.len)
    }

    /// Byte range of zero-based `line` without its line terminator.
    pub fn line_range(&self, text: &str, line: usize) -> TextRange {
        let start = self.line_start(line);
        let mut end = self.line_start(line + 1);
        let bytes = text.as_bytes();
        if end > start && bytes.get(end - 1) == Some(&b'\n') {
            end -= 1;
        }
        if end > start && bytes.get(end - 1) == Some(&b'\r') {
            end -= 1;
        }
        TextRange::new(start, end)
    }

    /// Zero-based line containing `offset`.
    pub fn line_of(&self, offset: usize) -> usize {
        let offset = offset.min(self.len);
        self.line_starts.partition_point(|&start| start <= offset) - 1
    }

    /// Position of `offset` with the column counted in `unit`. Offsets inside a
    /// multi-byte character are moved back to the character's start.
    pub fn position(&self, text: &str, offset: usize, unit: ColumnUnit) -> Position {
        let mut offset = offset.min(text.len());
        while !text.is_char_boundary(offset) {
            offset -= 1;
        }
        let line = self.line_of(offset);
        let prefix = &text[self.line_starts[line]..offset];
        let column = match unit {
            ColumnUnit::Utf8Bytes => prefix.len(),
            ColumnUnit::Utf16CodeUnits => prefix.chars().map(char::len_utf16).sum(),
            ColumnUnit::Chars => prefix.chars().count(),
        };
        Position {
            line: line as u32,
            column: column as u32,
        }
    }

    /// Byte offset of `position` (column in `unit`). Lines past the end clamp
    /// to the text end; columns past the line end clamp to the line end, and a
    /// column inside a character (UTF-16 surrogate half, byte inside a UTF-8
    /// sequence) snaps to that character's start.
    pub fn offset(&self, text: &str, position: Position, unit: ColumnUnit) -> usize {
        let line = position.line as usize;
        if line >= self.line_starts.len() {
            return text.len();
        }
        let range = self.line_range(text, line);
        let line_text = &text[range.start..range.end];
        let wanted = position.column as usize;
        let mut counted = 0;
        for (byte, ch) in line_text.char_indices() {
            let width = match unit {
                ColumnUnit::Utf8Bytes => ch.len_utf8(),
                ColumnUnit::Utf16CodeUnits => ch.len_utf16(),
                ColumnUnit::Chars => 1,
            };
            if counted + width > wanted {
                return range.start + byte;
            }
            counted += width;
        }
        range.end
    }
}

/// Identifies a file within one analysis (the main kickstart and its includes).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FileId(pub u32);

/// One source file as analysed: its text (lossily decoded when the bytes were
/// not UTF-8; the decode problems are kept for the encoding rule).
#[derive(Debug)]
pub struct SourceFile {
    pub path: PathBuf,
    pub text: Arc<str>,
    pub line_index: LineIndex,
    /// Byte offsets (in `text`) of characters that replaced invalid UTF-8.
    pub invalid_utf8: Vec<TextRange>,
}

impl SourceFile {
    pub fn new(path: impl Into<PathBuf>, text: impl Into<Arc<str>>) -> Self {
        let text = text.into();
        Self {
            path: path.into(),
            line_index: LineIndex::new(&text),
            text,
            invalid_utf8: Vec::new(),
        }
    }

    /// Decodes raw bytes, replacing invalid UTF-8 with U+FFFD and recording
    /// where, so that the rest of the file is still analysed.
    pub fn from_bytes(path: impl Into<PathBuf>, bytes: &[u8]) -> Self {
        match std::str::from_utf8(bytes) {
            Ok(text) => Self::new(path, text),
            Err(_) => {
                let (text, invalid) = decode_lossy(bytes);
                let mut file = Self::new(path, text);
                file.invalid_utf8 = invalid;
                file
            }
        }
    }

    pub fn read(path: &Path) -> std::io::Result<Self> {
        let bytes = std::fs::read(path)?;
        Ok(Self::from_bytes(path, &bytes))
    }

    pub fn position(&self, offset: usize, unit: ColumnUnit) -> Position {
        self.line_index.position(&self.text, offset, unit)
    }

    pub fn slice(&self, range: TextRange) -> &str {
        self.text.get(range.start..range.end).unwrap_or("")
    }
}

fn decode_lossy(mut bytes: &[u8]) -> (String, Vec<TextRange>) {
    let mut text = String::with_capacity(bytes.len());
    let mut invalid = Vec::new();
    loop {
        match std::str::from_utf8(bytes) {
            Ok(valid) => {
                text.push_str(valid);
                return (text, invalid);
            }
            Err(error) => {
                let (valid, rest) = bytes.split_at(error.valid_up_to());
                // The prefix was just validated by from_utf8.
                text.push_str(std::str::from_utf8(valid).unwrap_or_default());
                let bad_len = error.error_len().unwrap_or(rest.len()).max(1);
                let start = text.len();
                text.push(char::REPLACEMENT_CHARACTER);
                invalid.push(TextRange::new(start, text.len()));
                bytes = &rest[bad_len.min(rest.len())..];
            }
        }
    }
}

/// All files of one analysis, addressed by [`FileId`].
#[derive(Debug, Default)]
pub struct SourceMap {
    files: Vec<SourceFile>,
}

impl SourceMap {
    pub fn add(&mut self, file: SourceFile) -> FileId {
        self.files.push(file);
        FileId(self.files.len() as u32 - 1)
    }

    pub fn get(&self, id: FileId) -> &SourceFile {
        &self.files[id.0 as usize]
    }

    pub fn find(&self, path: &Path) -> Option<FileId> {
        self.files
            .iter()
            .position(|file| file.path == path)
            .map(|index| FileId(index as u32))
    }

    pub fn iter(&self) -> impl Iterator<Item = (FileId, &SourceFile)> {
        self.files
            .iter()
            .enumerate()
            .map(|(index, file)| (FileId(index as u32), file))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_count_columns_in_each_unit() {
        let text = "ab\né𝄞x\n";
        let index = LineIndex::new(text);
        let x = text.find('x').unwrap();
        assert_eq!(
            index.position(text, x, ColumnUnit::Chars),
            Position { line: 1, column: 2 }
        );
        assert_eq!(
            index.position(text, x, ColumnUnit::Utf16CodeUnits).column,
            3
        );
        assert_eq!(index.position(text, x, ColumnUnit::Utf8Bytes).column, 6);
        for unit in [
            ColumnUnit::Chars,
            ColumnUnit::Utf16CodeUnits,
            ColumnUnit::Utf8Bytes,
        ] {
            let position = index.position(text, x, unit);
            assert_eq!(index.offset(text, position, unit), x);
        }
    }

    #[test]
    fn offsets_clamp_and_snap() {
        let text = "a𝄞b\r\nz";
        let index = LineIndex::new(text);
        // Column 2 in UTF-16 is the middle of the surrogate pair: snap back.
        let mid = Position { line: 0, column: 2 };
        assert_eq!(index.offset(text, mid, ColumnUnit::Utf16CodeUnits), 1);
        // Past the end of the line stops before CRLF.
        let far = Position {
            line: 0,
            column: 99,
        };
        assert_eq!(index.offset(text, far, ColumnUnit::Chars), 6);
        let below = Position { line: 9, column: 0 };
        assert_eq!(index.offset(text, below, ColumnUnit::Chars), text.len());
        assert_eq!(index.position(text, 2, ColumnUnit::Chars).column, 1);
    }

    #[test]
    fn invalid_utf8_is_replaced_and_recorded() {
        let file = SourceFile::from_bytes("ks.cfg", b"lang en\xff\nrootpw x\n");
        assert_eq!(file.invalid_utf8.len(), 1);
        assert!(file.text.contains("rootpw x"));
        let pos = file.position(file.invalid_utf8[0].start, ColumnUnit::Chars);
        assert_eq!(pos, Position { line: 0, column: 7 });
    }
}
