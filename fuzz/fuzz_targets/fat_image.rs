//! Arbitrary bytes as `images/efiboot.img`: the FAT reader answers a
//! configuration, "no configuration" or "unreadable", in bounded time,
//! and a configuration found goes through the boot check.
#![no_main]

use std::sync::Once;

use kslint::analysis::CheckOptions;
use kslint::boot::{self, media::EfiImage};
use kslint::source::SourceFile;
use libfuzzer_sys::fuzz_target;

static QUIET: Once = Once::new();

fuzz_target!(|bytes: &[u8]| {
    // The reader catches panics of the `fatfs` crate and reports a damaged
    // image; libfuzzer-sys's hook would abort on those caught panics, so
    // it is replaced by a silent one. A panic that escapes our code still
    // aborts (libfuzzer-sys catches the unwinding out of this closure).
    QUIET.call_once(|| std::panic::set_hook(Box::new(|_| {})));
    match boot::media::read_efi_image_bytes(bytes.to_vec()) {
        EfiImage::Config { inner, bytes } => {
            assert!(bytes.len() <= 1 << 20);
            let path = format!("/nonexistent/images/efiboot.img/{inner}");
            let analysis = boot::analyze(
                SourceFile::from_bytes(path, &bytes),
                &CheckOptions::default(),
            );
            for diagnostic in &analysis.diagnostics {
                let source = analysis.sources.get(diagnostic.location.file);
                assert!(diagnostic.location.range.end <= source.text.len());
            }
        }
        EfiImage::NoConfig => {}
        EfiImage::Unreadable(message) => assert!(!message.is_empty()),
    }
});
