//! A small streaming layer over quick-xml shared by the comps and repodata
//! readers: element starts with their attributes, element ends with their
//! text content and its byte range, and errors with a byte offset.

use std::ops::Range;

use quick_xml::events::{BytesRef, Event};
use quick_xml::Reader;

/// A malformed document: where (byte offset into the text) and what.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct XmlError {
    pub offset: usize,
    pub message: String,
}

pub enum XmlEvent<'a> {
    Start {
        /// Local name (`rpm:entry` → `entry`).
        name: &'a str,
        attrs: &'a [(String, String)],
        /// Byte offset of the `<`.
        offset: usize,
    },
    End {
        name: &'a str,
        /// Text content, entities resolved, surrounding whitespace trimmed.
        text: &'a str,
        /// Byte range of the trimmed text in the source (empty at the end
        /// tag when there is no text).
        range: Range<usize>,
    },
}

/// A quick-xml reader whose positions are byte offsets into the text it
/// was given. quick-xml drops one leading UTF-8 byte-order mark and counts
/// from after it, which would shift every range and error position of a
/// file saved with a BOM by three bytes.
pub struct TextReader<'a> {
    inner: Reader<&'a [u8]>,
    skipped: usize,
}

impl<'a> TextReader<'a> {
    /// A reader that also checks that end tags match their start tags.
    pub fn new(text: &'a str) -> Self {
        let mut inner = Reader::from_str(text);
        inner.config_mut().check_end_names = true;
        let skipped = if text.starts_with('\u{feff}') {
            '\u{feff}'.len_utf8()
        } else {
            0
        };
        TextReader { inner, skipped }
    }

    pub fn read_event(&mut self) -> quick_xml::Result<Event<'a>> {
        self.inner.read_event()
    }

    /// Where the next event starts (or the last one ended).
    pub fn position(&self) -> usize {
        self.inner.buffer_position() as usize + self.skipped
    }

    /// Where the last error was found.
    pub fn error_position(&self) -> usize {
        self.inner.error_position() as usize + self.skipped
    }
}

/// Streams `text` to `handler`. Unbalanced tags, bad entities and other
/// syntax errors stop the walk with the offset where they were found.
pub fn walk(text: &str, mut handler: impl FnMut(XmlEvent)) -> Result<(), XmlError> {
    let mut reader = TextReader::new(text);
    let mut stack: Vec<String> = Vec::new();
    let mut content = String::new();
    let mut content_range: Option<Range<usize>> = None;
    let mut attrs = Vec::new();
    loop {
        let before = reader.position();
        let event = reader.read_event().map_err(|error| XmlError {
            offset: reader.error_position(),
            message: error.to_string(),
        })?;
        let after = reader.position();
        match event {
            Event::Start(ref start) | Event::Empty(ref start) => {
                let is_empty = matches!(event, Event::Empty(_));
                let name = local_name(start.name().as_ref());
                attrs.clear();
                for attr in start.attributes() {
                    let attr = attr.map_err(|error| XmlError {
                        offset: before,
                        message: error.to_string(),
                    })?;
                    let key = String::from_utf8_lossy(attr.key.as_ref()).into_owned();
                    let value = attr
                        .normalized_value(quick_xml::XmlVersion::Implicit1_0)
                        .map(|v| v.into_owned())
                        .unwrap_or_else(|_| String::from_utf8_lossy(&attr.value).into_owned());
                    attrs.push((key, value));
                }
                handler(XmlEvent::Start {
                    name: &name,
                    attrs: &attrs,
                    offset: before,
                });
                content.clear();
                content_range = None;
                if is_empty {
                    handler(XmlEvent::End {
                        name: &name,
                        text: "",
                        range: after..after,
                    });
                } else {
                    stack.push(name);
                }
            }
            Event::End(_) => {
                let name = stack.pop().unwrap_or_default();
                let range = match content_range.take() {
                    Some(range) => trim_range(text, range),
                    None => before..before,
                };
                handler(XmlEvent::End {
                    name: &name,
                    text: content.trim(),
                    range,
                });
                content.clear();
            }
            Event::Text(piece) => {
                content.push_str(&piece.decode().unwrap_or_default());
                extend(&mut content_range, before..after);
            }
            Event::CData(piece) => {
                content.push_str(&piece.decode().unwrap_or_default());
                extend(&mut content_range, before..after);
            }
            Event::GeneralRef(reference) => {
                content.push(resolve(&reference).ok_or_else(|| XmlError {
                    offset: before,
                    message: format!("unknown entity `&{};`", String::from_utf8_lossy(&reference)),
                })?);
                extend(&mut content_range, before..after);
            }
            Event::Eof => {
                if let Some(open) = stack.last() {
                    return Err(XmlError {
                        offset: text.len(),
                        message: format!("unexpected end of file: `<{open}>` is not closed"),
                    });
                }
                return Ok(());
            }
            _ => {}
        }
    }
}

fn local_name(qname: &[u8]) -> String {
    let local = match qname.iter().position(|&b| b == b':') {
        Some(colon) => &qname[colon + 1..],
        None => qname,
    };
    String::from_utf8_lossy(local).into_owned()
}

fn extend(range: &mut Option<Range<usize>>, piece: Range<usize>) {
    *range = Some(match range.take() {
        Some(range) => range.start..piece.end,
        None => piece,
    });
}

fn trim_range(text: &str, range: Range<usize>) -> Range<usize> {
    let raw = text.get(range.clone()).unwrap_or("");
    let start = range.start + (raw.len() - raw.trim_start().len());
    let end = range.end - (raw.len() - raw.trim_end().len());
    start..end.max(start)
}

fn resolve(reference: &BytesRef) -> Option<char> {
    if reference.is_char_ref() {
        return reference.resolve_char_ref().ok().flatten();
    }
    let name: &[u8] = reference;
    match name {
        b"amp" => Some('&'),
        b"lt" => Some('<'),
        b"gt" => Some('>'),
        b"quot" => Some('"'),
        b"apos" => Some('\''),
        _ => None,
    }
}

/// Line and column (1-based, characters) of a byte offset, for messages
/// about files that are not otherwise shown.
pub fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, column)
}

/// Metadata never decompresses to more than this many times its compressed
/// size (repodata XML compresses about tenfold, twentyfold at most) ...
pub const MAX_RATIO: u64 = 100;
/// ... except that anything up to this size is allowed whatever the ratio ...
pub const MIN_LIMIT: u64 = 64 << 20;
/// ... and nothing above this size is read at all.
pub const MAX_LIMIT: u64 = 4 << 30;

/// How many bytes a compressed metadata file of `compressed` bytes may
/// decompress to: a decompression bomb (a few kilobytes that inflate to
/// gigabytes) stops there with an error instead of filling the memory.
pub fn decompressed_limit(compressed: usize) -> u64 {
    (compressed as u64)
        .saturating_mul(MAX_RATIO)
        .clamp(MIN_LIMIT, MAX_LIMIT)
}

/// The error for a file that decompresses past [`decompressed_limit`].
pub fn too_large(compressed: usize, limit: u64) -> String {
    format!(
        "decompresses to more than {limit} bytes from {compressed} (kslint reads at most \
         {MAX_RATIO} times the compressed size, at least {} MiB): not read, it looks like a \
         decompression bomb",
        MIN_LIMIT >> 20
    )
}

/// Decompresses `bytes` by their magic number: gzip, zstd, or plain, up
/// to [`decompressed_limit`].
pub fn decompress(bytes: &[u8]) -> Result<Vec<u8>, String> {
    use std::io::Read;
    let limit = decompressed_limit(bytes.len());
    let bounded = |reader: &mut dyn Read, what: &str| -> Result<Vec<u8>, String> {
        let mut out = Vec::new();
        reader
            .take(limit + 1)
            .read_to_end(&mut out)
            .map_err(|error| format!("bad {what} data: {error}"))?;
        if out.len() as u64 > limit {
            return Err(too_large(bytes.len(), limit));
        }
        Ok(out)
    };
    if bytes.starts_with(&[0x1f, 0x8b]) {
        return bounded(&mut flate2::read::MultiGzDecoder::new(bytes), "gzip");
    }
    if bytes.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
        let mut decoder = ruzstd::decoding::StreamingDecoder::new(bytes)
            .map_err(|error| format!("bad zstd data: {error}"))?;
        return bounded(&mut decoder, "zstd");
    }
    if bytes.starts_with(b"BZh") || bytes.starts_with(&[0xfd, b'7', b'z', b'X', b'Z']) {
        return Err("bzip2/xz compressed metadata is not supported".to_string());
    }
    Ok(bytes.to_vec())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_count_a_leading_byte_order_mark() {
        for text in [
            "<groups><id> base </id></groups>",
            "\u{feff}<groups><id> base </id></groups>",
        ] {
            let mut starts = Vec::new();
            let mut ids = Vec::new();
            walk(text, |event| match event {
                XmlEvent::Start { offset, .. } => starts.push(offset),
                XmlEvent::End {
                    name: "id", range, ..
                } => ids.push(range),
                XmlEvent::End { .. } => {}
            })
            .unwrap();
            for offset in starts {
                assert!(text[offset..].starts_with('<'), "{text:?} at {offset}");
            }
            assert_eq!(ids.len(), 1);
            assert_eq!(&text[ids[0].clone()], "base", "{text:?}");
        }
        let broken = "\u{feff}<groups>\n<id></group>";
        let error = walk(broken, |_| {}).unwrap_err();
        assert_eq!(line_column(broken, error.offset).0, 2, "{error:?}");
    }
}
