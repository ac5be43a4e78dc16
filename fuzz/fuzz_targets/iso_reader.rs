//! Arbitrary bytes as an install image, read the way `kslint init` reads a
//! stock DVD (`kslint::iso::reader`): volume descriptors, the directory
//! tree in whichever namespace the image offers (Rock Ridge, Joliet, plain
//! ISO 9660, with relocated directories and multi-extent files), every
//! file's data through each of the three read paths, and path lookups.
//! Every answer must be a value or an error in bounded time and memory:
//! a corrupt image must not panic, loop or allocate beyond its own size.
#![no_main]

use std::fs::File;
use std::io::{Read, Seek, SeekFrom, Write};
use std::os::fd::AsRawFd;
use std::path::PathBuf;
use std::sync::{Mutex, OnceLock};

use kslint::iso::reader::IsoReader;
use libfuzzer_sys::fuzz_target;

/// At most this many entries are read back per input, so one input with a
/// huge (valid) directory does not make a run slow without finding more.
const MAX_ENTRIES: usize = 256;

/// The reader opens images by path, as `init` does. The input goes to one
/// file per fuzzing process, in memory-backed /dev/shm when there is one,
/// unlinked at once (so nothing is left behind) and reached through
/// /proc/self/fd while this handle keeps it open.
fn image() -> &'static (Mutex<File>, PathBuf) {
    static IMAGE: OnceLock<(Mutex<File>, PathBuf)> = OnceLock::new();
    IMAGE.get_or_init(|| {
        let shm = PathBuf::from("/dev/shm");
        let dir = if shm.is_dir() {
            shm
        } else {
            std::env::temp_dir()
        };
        let path = dir.join(format!("kslint-fuzz-iso-{}.iso", std::process::id()));
        let file = File::options()
            .read(true)
            .write(true)
            .create(true)
            .truncate(true)
            .open(&path)
            .expect("create the image file");
        std::fs::remove_file(&path).expect("unlink the image file");
        let by_fd = PathBuf::from(format!("/proc/self/fd/{}", file.as_raw_fd()));
        (Mutex::new(file), by_fd)
    })
}

fuzz_target!(|data: &[u8]| {
    let (file, path) = image();
    {
        let mut file = file.lock().expect("one input at a time");
        file.set_len(0)
            .and_then(|()| file.seek(SeekFrom::Start(0)))
            .and_then(|_| file.write_all(data))
            .expect("write the input image");
    }
    let Ok(reader) = IsoReader::open(path) else {
        return;
    };
    let _ = reader.volume_id();
    let root = reader.root().clone();
    let Ok(entries) = reader.walk(&root) else {
        return;
    };
    let mut sink = File::create("/dev/null").expect("open /dev/null");
    for (name, entry) in entries.iter().take(MAX_ENTRIES) {
        if let Ok(Some(found)) = reader.lookup(name) {
            assert_eq!(found.name, entry.name, "lookup({name:?}) found another entry");
        }
        if entry.is_dir() {
            let _ = reader.read_dir(entry);
            continue;
        }
        let whole = reader.read(entry);
        let mut streamed = Vec::new();
        let streamed_ok = reader.open_file(entry).read_to_end(&mut streamed).is_ok();
        if let (Ok(whole), true) = (&whole, streamed_ok) {
            assert_eq!(whole, &streamed, "read and open_file disagree on {name:?}");
        }
        let mut copied = 0u64;
        if let Ok(total) = reader.copy_to(entry, &mut sink, &mut |n| copied += n) {
            assert_eq!(total, copied, "copy_to's progress does not add up for {name:?}");
            if let Ok(whole) = &whole {
                assert_eq!(total, whole.len() as u64, "copy_to and read disagree on {name:?}");
            }
        }
    }
});
