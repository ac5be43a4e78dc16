//! Arbitrary bytes as a boot configuration (SYSLINUX/ISOLINUX, GRUB 2,
//! GRUB Legacy), through the whole boot check and the kernel command line
//! helpers: nothing panics, every diagnostic range lies inside its file.
//! The first byte picks where the file sits: alone, or as the
//! `isolinux.cfg` of the example media tree (whose peers are then read).
#![no_main]

use std::path::PathBuf;

use kslint::analysis::CheckOptions;
use kslint::boot::{self, cmdline, model::Loader};
use kslint::source::{FileId, SourceFile};
use libfuzzer_sys::fuzz_target;

fn place(selector: u8) -> PathBuf {
    match selector % 4 {
        0 => PathBuf::from("/nonexistent/isolinux/isolinux.cfg"),
        1 => PathBuf::from("/nonexistent/EFI/BOOT/grub.cfg"),
        2 => PathBuf::from("/nonexistent/boot/grub/grub.conf"),
        _ => PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("../examples/centos7-media/build_iso/isolinux/isolinux.cfg"),
    }
}

fuzz_target!(|bytes: &[u8]| {
    let Some((&selector, rest)) = bytes.split_first() else {
        return;
    };
    let path = place(selector);
    let file = SourceFile::from_bytes(path.clone(), rest);
    let text = file.text.to_string();
    let _ = boot::loader_for(&path, &text);
    let _ = boot::looks_like_boot_config(&path, &text);

    let analysis = boot::analyze(file, &CheckOptions::default());
    for diagnostic in &analysis.diagnostics {
        let source = analysis.sources.get(diagnostic.location.file);
        let range = diagnostic.location.range;
        assert!(range.start <= range.end && range.end <= source.text.len());
    }

    for loader in [Loader::Syslinux, Loader::Grub2, Loader::GrubLegacy] {
        let parsed = boot::parse(FileId(0), &text, loader);
        for label in boot::label_refs(&parsed.config) {
            let range = label.range();
            assert!(range.end <= text.len());
            let _ = label.raw();
        }
        for word in parsed.config.all_args() {
            let range = word.value_range();
            assert!(range.start <= range.end && range.end <= text.len());
            let _ = cmdline::option_name(word.key());
            if let Some(option) = cmdline::source_option(word) {
                let _ = cmdline::SourceSpec::parse(word, option);
            }
        }
    }
    for word in cmdline::split_kernel_words(FileId(0), &text, 0) {
        let _ = cmdline::decode_label(word.key());
    }
    let decoded = cmdline::decode_label(&text);
    let _ = cmdline::escape_label(&decoded);
    let _ = cmdline::bad_escapes(&text);
});
