//! A new `images/efiboot.img` with its GRUB configuration replaced: the
//! FAT file system is rewritten in memory (fatfs), so no loop mount and no
//! root; the image in the tree is only read.

use std::io::{Cursor, Read, Seek, SeekFrom, Write};

/// Largest image handled (stock images are 6–12 MiB).
const MAX_IMAGE_BYTES: usize = 256 << 20;

/// `image` (the bytes of a FAT image) with the file `inner` (a path inside
/// it, e.g. `EFI/BOOT/grub.cfg`) replaced by `content`. The file must
/// exist; the rest of the file system is left as it was.
pub fn replace_file(image: &[u8], inner: &str, content: &[u8]) -> Result<Vec<u8>, String> {
    if image.len() > MAX_IMAGE_BYTES {
        return Err(format!(
            "{} bytes is larger than any EFI boot image",
            image.len()
        ));
    }
    let mut disk = Cursor::new(image.to_vec());
    // fatfs trusts the on-disk structures: a damaged image must give an
    // error, never take the build down.
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        rewrite(&mut disk, inner, content)
    }));
    match outcome {
        Ok(Ok(())) => Ok(disk.into_inner()),
        Ok(Err(message)) => Err(message),
        Err(_) => Err("the FAT structures are damaged".into()),
    }
}

fn rewrite(disk: &mut Cursor<Vec<u8>>, inner: &str, content: &[u8]) -> Result<(), String> {
    let fs = fatfs::FileSystem::new(&mut *disk, fatfs::FsOptions::new())
        .map_err(|e| format!("not a FAT file system: {e}"))?;
    {
        let root = fs.root_dir();
        let mut file = root
            .open_file(inner)
            .map_err(|e| format!("cannot open {inner}: {e}"))?;
        file.seek(SeekFrom::Start(0))
            .and_then(|_| file.truncate())
            .and_then(|_| file.write_all(content))
            .and_then(|_| file.flush())
            .map_err(|e| match e.kind() {
                std::io::ErrorKind::UnexpectedEof | std::io::ErrorKind::WriteZero => format!(
                    "no room for the new {inner} ({} bytes) in the image",
                    content.len()
                ),
                _ => format!("cannot write {inner}: {e}"),
            })?;
    }
    fs.unmount()
        .map_err(|e| format!("cannot finish the FAT file system: {e}"))?;
    Ok(())
}

/// Reads `inner` back from a FAT image (for checks and tests).
pub fn read_file(image: &[u8], inner: &str) -> Result<Vec<u8>, String> {
    let mut disk = Cursor::new(image.to_vec());
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let fs = fatfs::FileSystem::new(&mut disk, fatfs::FsOptions::new())
            .map_err(|e| format!("not a FAT file system: {e}"))?;
        let root = fs.root_dir();
        let mut file = root
            .open_file(inner)
            .map_err(|e| format!("cannot open {inner}: {e}"))?;
        let mut bytes = Vec::new();
        file.read_to_end(&mut bytes)
            .map_err(|e| format!("cannot read {inner}: {e}"))?;
        Ok(bytes)
    }));
    outcome.unwrap_or_else(|_| Err("the FAT structures are damaged".into()))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A small FAT12 image made with fatfs itself.
    fn image_with(inner_dir: &str, name: &str, content: &[u8]) -> Vec<u8> {
        let mut disk = Cursor::new(vec![0u8; 1 << 20]);
        fatfs::format_volume(&mut disk, fatfs::FormatVolumeOptions::new()).unwrap();
        {
            let fs = fatfs::FileSystem::new(&mut disk, fatfs::FsOptions::new()).unwrap();
            {
                let mut dir = fs.root_dir();
                for part in inner_dir.split('/') {
                    dir = dir.create_dir(part).unwrap();
                }
                let mut f = dir.create_file(name).unwrap();
                f.write_all(content).unwrap();
                f.flush().unwrap();
            }
            fs.unmount().unwrap();
        }
        disk.into_inner()
    }

    #[test]
    fn replaces_the_config_and_keeps_the_source_bytes() {
        let img = image_with("EFI/BOOT", "grub.cfg", b"set timeout=60\n");
        let copy = img.clone();
        let long = "linuxefi /vmlinuz inst.ks=hd:LABEL=X:/ks.cfg\n".repeat(200);
        let out = replace_file(&img, "EFI/BOOT/grub.cfg", long.as_bytes()).unwrap();
        assert_eq!(img, copy);
        assert_eq!(out.len(), img.len());
        assert_eq!(
            read_file(&out, "EFI/BOOT/grub.cfg").unwrap(),
            long.as_bytes()
        );
        // Shorter again.
        let out2 = replace_file(&out, "EFI/BOOT/grub.cfg", b"x\n").unwrap();
        assert_eq!(read_file(&out2, "EFI/BOOT/grub.cfg").unwrap(), b"x\n");
    }

    #[test]
    fn errors_not_panics() {
        let img = image_with("EFI/BOOT", "grub.cfg", b"a");
        let err = replace_file(&img, "EFI/BOOT/missing.cfg", b"x").unwrap_err();
        assert!(err.contains("cannot open EFI/BOOT/missing.cfg"), "{err}");
        let err = replace_file(&[0u8; 4096], "EFI/BOOT/grub.cfg", b"x").unwrap_err();
        assert!(err.contains("not a FAT file system"), "{err}");
        let full = "y".repeat(2 << 20);
        let err = replace_file(&img, "EFI/BOOT/grub.cfg", full.as_bytes()).unwrap_err();
        assert!(err.contains("grub.cfg"), "{err}");
    }
}
