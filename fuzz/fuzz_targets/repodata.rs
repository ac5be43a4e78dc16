//! Arbitrary bytes as repodata: `repomd.xml`, `primary.xml` and
//! `filelists.xml` as the media index reads them, compressed metadata
//! (bounded decompression), and the old metadata `kslint repo --update`
//! reads (plain or compressed). The first byte picks what the rest is.
#![no_main]

use kslint::media::repodata::{merge_filelists, parse_primary, Repomd};
use kslint::media::xml::{decompress, decompressed_limit, line_column};
use kslint::repo::old;
use kslint::repo::render::Kind;
use libfuzzer_sys::fuzz_target;

fn error_inside(text: &str, offset: usize) {
    assert!(offset <= text.len(), "error offset {offset} past {}", text.len());
    let (line, column) = line_column(text, offset);
    assert!(line >= 1 && column >= 1);
}

fuzz_target!(|bytes: &[u8]| {
    let Some((&selector, rest)) = bytes.split_first() else {
        return;
    };
    let kind = Kind::ALL[usize::from(selector / 8) % 3];
    match selector % 5 {
        0 => {
            let text = String::from_utf8_lossy(rest);
            match Repomd::parse(&text) {
                Ok(repomd) => {
                    for record in &repomd.records {
                        assert!(repomd.record(&record.kind).is_some());
                    }
                }
                Err(error) => error_inside(&text, error.offset),
            }
        }
        1 => {
            let text = String::from_utf8_lossy(rest);
            match parse_primary(&text) {
                Ok(mut packages) => {
                    if let Err(error) = merge_filelists(&text, &mut packages) {
                        error_inside(&text, error.offset);
                    }
                }
                Err(error) => error_inside(&text, error.offset),
            }
        }
        2 => {
            if let Ok(plain) = decompress(rest) {
                assert!(plain.len() as u64 <= decompressed_limit(rest.len()));
                let text = String::from_utf8_lossy(&plain);
                if let Err(error) = parse_primary(&text) {
                    error_inside(&text, error.offset);
                }
            }
        }
        _ => {
            if let Ok(file) = old::parse_file(rest.to_vec(), kind, usize::from(selector)) {
                for package in &file.packages {
                    let element = file.text.get(package.range.clone()).expect("inside the text");
                    assert!(
                        element.starts_with(b"<package"),
                        "{}",
                        String::from_utf8_lossy(element)
                    );
                }
                for member in &file.members {
                    assert!(member.text.end <= file.text.len());
                    assert!(member.compressed.end <= file.bytes.len());
                    assert!(member.packages.end <= file.packages.len());
                }
            }
        }
    }
});
