//! Arbitrary bytes as an RPM file, through both header readers: the media
//! index's (`media::rpmhdr`) and the repodata generator's (`repo::header`).
//! Each answers a package or an error; neither panics, loops or allocates
//! more than the file justifies.
#![no_main]

use std::io::Write;
use std::sync::Once;

use kslint::media::rpmhdr;
use kslint::repo::header;
use libfuzzer_sys::fuzz_target;

static QUIET: Once = Once::new();

fuzz_target!(|bytes: &[u8]| {
    // Both readers catch panics of the `rpm` crate and turn them into
    // errors; libfuzzer-sys's hook would abort on those caught panics, so
    // it is replaced by a silent one. A panic that escapes our code still
    // aborts (libfuzzer-sys catches the unwinding out of this closure).
    QUIET.call_once(|| std::panic::set_hook(Box::new(|_| {})));

    let mut cursor = std::io::Cursor::new(bytes);
    if let Ok(package) = rpmhdr::read_package_from(&mut cursor, bytes.len() as u64, "x.rpm") {
        assert_eq!(package.size, bytes.len() as u64);
        assert_eq!(package.location, "x.rpm");
    }

    let dir = std::env::temp_dir().join(format!("kslint-fuzz-rpm-{}", std::process::id()));
    let _ = std::fs::create_dir_all(&dir);
    let path = dir.join("fuzz.rpm");
    let mut file = std::fs::File::create(&path).expect("scratch file");
    file.write_all(bytes).expect("scratch file");
    drop(file);
    if let Ok(record) = header::read_rpm(&path, "Packages/fuzz.rpm", Some(10)) {
        assert_eq!(record.size_package, bytes.len() as u64);
        assert!(record.header_start <= record.header_end);
        assert!(record.header_end <= bytes.len() as u64);
        assert_eq!(record.pkgid.len(), 64);
    }
});
