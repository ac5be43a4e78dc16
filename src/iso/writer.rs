//! Emits a laid-out image strictly in block order, so any `Write` will do.
//! File data is copied in pieces (in-kernel with `copy_file_range` when the
//! output is a file and no checksum is being computed).

use std::fs::File;
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;
use std::sync::mpsc::{channel, sync_channel, Receiver, SyncSender};
use std::thread::JoinHandle;

use super::eltorito;
use super::layout::{Link, Plan, Rec, MAX_EXTENT};
use super::md5::{ImplantMd5, APPDATA_SIZE};
use super::rockridge as rr;
use super::time::{dir_date, volume_date, volume_date_unset};
use super::tree::{FileSource, NodeKind, Tree};
use super::{Control, IsoError, Progress};

const BLOCK: u64 = 2048;
/// Read buffer for file data when bytes pass through user space.
const BUF: usize = 1 << 20;
/// Largest single in-kernel copy (keeps cancel and progress responsive).
const KERNEL_STEP: u64 = 64 << 20;
/// Progress is reported at least this often (bytes).
const PROGRESS_STEP: u64 = 8 << 20;

pub(crate) enum Target<'a> {
    File(&'a mut File),
    Stream(&'a mut dyn Write),
}

struct Out<'a> {
    target: Target<'a>,
    pos: u64,
    md5: Option<Hasher>,
    buf: Vec<u8>,
    last_report: u64,
}

/// Computes the implantisomd5 record on a second thread, so hashing overlaps
/// reading and writing. Buffers travel in order over a bounded channel and
/// come back for reuse (memory stays at a few buffers).
struct Hasher {
    tx: Option<SyncSender<(Vec<u8>, usize)>>,
    spare: Receiver<Vec<u8>>,
    handle: Option<JoinHandle<ImplantMd5>>,
}

impl Hasher {
    fn new(volume_bytes: u64) -> Hasher {
        let (tx, rx) = sync_channel::<(Vec<u8>, usize)>(4);
        let (back, spare) = channel::<Vec<u8>>();
        let handle = std::thread::spawn(move || {
            let mut md5 = ImplantMd5::new(volume_bytes);
            for (buf, len) in rx {
                md5.update(&buf[..len]);
                if buf.len() == BUF {
                    let _ = back.send(buf);
                }
            }
            md5
        });
        Hasher {
            tx: Some(tx),
            spare,
            handle: Some(handle),
        }
    }

    fn feed(&mut self, buf: Vec<u8>, len: usize) {
        if let Some(tx) = &self.tx {
            // The hashing thread only ends when `tx` is dropped.
            let _ = tx.send((buf, len));
        }
    }

    fn buffer(&self) -> Vec<u8> {
        self.spare.try_recv().unwrap_or_else(|_| vec![0u8; BUF])
    }

    fn finish(mut self) -> ImplantMd5 {
        drop(self.tx.take());
        self.handle
            .take()
            .expect("hasher thread")
            .join()
            .expect("hasher thread panicked")
    }
}

fn out_err(e: io::Error) -> IsoError {
    IsoError::Output {
        path: PathBuf::from("the output image"),
        source: e,
    }
}

impl Out<'_> {
    fn put(&mut self, data: &[u8]) -> Result<(), IsoError> {
        self.emit(data)?;
        if let Some(h) = &mut self.md5 {
            h.feed(data.to_vec(), data.len());
        }
        Ok(())
    }

    /// Writes the first `len` bytes of a read buffer and hands it to the hasher.
    fn put_buffer(&mut self, buf: Vec<u8>, len: usize) -> Result<(), IsoError> {
        self.emit(&buf[..len])?;
        match &mut self.md5 {
            Some(h) => {
                h.feed(buf, len);
                self.buf = h.buffer();
            }
            None => self.buf = buf,
        }
        Ok(())
    }

    fn emit(&mut self, data: &[u8]) -> Result<(), IsoError> {
        match &mut self.target {
            Target::File(f) => f.write_all(data),
            Target::Stream(w) => w.write_all(data),
        }
        .map_err(out_err)?;
        self.pos += data.len() as u64;
        Ok(())
    }

    fn zeros(&mut self, mut n: u64) -> Result<(), IsoError> {
        static ZERO: [u8; 65536] = [0; 65536];
        while n > 0 {
            let k = n.min(ZERO.len() as u64) as usize;
            self.put(&ZERO[..k])?;
            n -= k as u64;
        }
        Ok(())
    }

    fn pad_to(&mut self, pos: u64) -> Result<(), IsoError> {
        debug_assert!(
            pos >= self.pos,
            "layout overlap: at {} but next item starts at {}",
            self.pos,
            pos
        );
        self.zeros(pos.saturating_sub(self.pos))
    }

    fn pad_block(&mut self) -> Result<(), IsoError> {
        let rem = self.pos % BLOCK;
        if rem != 0 {
            self.zeros(BLOCK - rem)?;
        }
        Ok(())
    }
}

fn check_cancel(ctl: &Control<'_>) -> Result<(), IsoError> {
    match ctl.cancel {
        Some(flag) if flag.load(Ordering::Relaxed) => Err(IsoError::Cancelled),
        _ => Ok(()),
    }
}

fn report(out: &mut Out<'_>, ctl: &mut Control<'_>, total: u64, current: &str, force: bool) {
    if let Some(cb) = ctl.progress.as_mut() {
        if force || out.pos >= out.last_report + PROGRESS_STEP {
            out.last_report = out.pos;
            cb(&Progress {
                done: out.pos,
                total,
                current,
            });
        }
    }
}

fn both16(v: u16) -> [u8; 4] {
    let mut o = [0u8; 4];
    o[..2].copy_from_slice(&v.to_le_bytes());
    o[2..].copy_from_slice(&v.to_be_bytes());
    o
}

fn both32(v: u32) -> [u8; 8] {
    let mut o = [0u8; 8];
    o[..4].copy_from_slice(&v.to_le_bytes());
    o[4..].copy_from_slice(&v.to_be_bytes());
    o
}

/// Serializes one directory record of `len` bytes.
#[allow(clippy::too_many_arguments)]
fn record(
    out: &mut Vec<u8>,
    len: usize,
    extent: u32,
    size: u32,
    date: [u8; 7],
    flags: u8,
    ident: &[u8],
    su: &[u8],
) {
    let start = out.len();
    out.push(len as u8);
    out.push(0);
    out.extend_from_slice(&both32(extent));
    out.extend_from_slice(&both32(size));
    out.extend_from_slice(&date);
    out.push(flags);
    out.push(0);
    out.push(0);
    out.extend_from_slice(&both16(1));
    out.push(ident.len() as u8);
    out.extend_from_slice(ident);
    if ident.len() % 2 == 0 {
        out.push(0);
    }
    out.extend_from_slice(su);
    out.resize(start + len, 0);
}

/// Extent, data length and flags of a record.
fn rec_extent(plan: &Plan, r: &Rec, joliet: bool) -> (u32, u32, u8) {
    if let Link::Cl(_) = r.link {
        // The placeholder of a relocated directory is an empty file.
        return (0, 0, 0);
    }
    let info = &plan.info[r.target];
    match &plan.tree.nodes[r.target].kind {
        NodeKind::Dir { .. } => {
            if joliet {
                (info.j_lba, info.j_size as u32, 0x02)
            } else {
                (info.lba, info.size as u32, 0x02)
            }
        }
        NodeKind::File(_) => {
            let part = u64::from(r.part);
            let offset = part * MAX_EXTENT;
            let size = (info.size - offset.min(info.size)).min(MAX_EXTENT);
            let lba = if info.size == 0 {
                0
            } else {
                info.lba + (offset / BLOCK) as u32
            };
            (lba, size as u32, if r.last_part { 0 } else { 0x80 })
        }
        _ => (0, 0, 0),
    }
}

fn dir_bytes(plan: &Plan, recs: &[Rec], size: u64, joliet: bool) -> Vec<u8> {
    let mut buf = Vec::with_capacity(size as usize);
    for r in recs {
        let at = buf.len() as u64;
        if at % BLOCK + r.len as u64 > BLOCK {
            buf.resize((at.div_ceil(BLOCK) * BLOCK) as usize, 0);
        }
        let (extent, data_len, flags) = rec_extent(plan, r, joliet);
        let mut su = r.inline.clone();
        let link = match r.link {
            Link::Cl(d) => Some(rr::cl(plan.info[d].lba)),
            Link::Pl(d) => Some(rr::pl(plan.info[d].lba)),
            Link::None | Link::Re => None,
        };
        if let Some(entry) = link {
            debug_assert_eq!(entry.len(), rr::LINK_LEN);
            su[..rr::LINK_LEN].copy_from_slice(&entry);
        }
        if let Some(c) = r.ce {
            let chunk = &plan.chunks[c];
            su.extend(rr::ce(chunk.lba, chunk.offset, chunk.len() as u32));
        }
        record(
            &mut buf,
            r.len,
            extent,
            data_len,
            dir_date(plan.info[r.target].time),
            flags,
            &r.ident,
            &su,
        );
    }
    buf.resize(size as usize, 0);
    buf
}

fn text_field(s: &mut [u8], text: &str, joliet: bool) {
    if joliet {
        for pair in s.chunks_mut(2) {
            pair[0] = 0;
            if pair.len() > 1 {
                pair[1] = b' ';
            }
        }
        for (i, u) in text.encode_utf16().take(s.len() / 2).enumerate() {
            s[2 * i..2 * i + 2].copy_from_slice(&u.to_be_bytes());
        }
    } else {
        s.fill(b' ');
        let n = text.len().min(s.len());
        s[..n].copy_from_slice(&text.as_bytes()[..n]);
    }
}

fn volume_descriptor(plan: &Plan, joliet: bool) -> Vec<u8> {
    let o = &plan.opts;
    let mut s = vec![0u8; 2048];
    s[0] = if joliet { 2 } else { 1 };
    s[1..6].copy_from_slice(b"CD001");
    s[6] = 1;
    text_field(&mut s[8..40], &o.system_id, joliet);
    text_field(&mut s[40..72], &o.volume_id, joliet);
    s[80..88].copy_from_slice(&both32(plan.total_blocks as u32));
    if joliet {
        s[88..91].copy_from_slice(b"%/E"); // UCS-2 level 3
    }
    s[120..124].copy_from_slice(&both16(1));
    s[124..128].copy_from_slice(&both16(1));
    s[128..132].copy_from_slice(&both16(2048));
    let (pt_size, l, m) = if joliet {
        (plan.jpt_size, plan.jpt_l, plan.jpt_m)
    } else {
        (plan.pt_size, plan.pt_l, plan.pt_m)
    };
    s[132..140].copy_from_slice(&both32(pt_size));
    s[140..144].copy_from_slice(&l.to_le_bytes());
    s[148..152].copy_from_slice(&m.to_be_bytes());
    let root = &plan.info[Tree::ROOT];
    let (rl, rs) = if joliet {
        (root.j_lba, root.j_size)
    } else {
        (root.lba, root.size)
    };
    let mut rec = Vec::with_capacity(34);
    record(
        &mut rec,
        34,
        rl,
        rs as u32,
        dir_date(root.time),
        0x02,
        &[0],
        &[],
    );
    s[156..190].copy_from_slice(&rec);
    text_field(&mut s[190..318], &o.volume_set_id, joliet);
    text_field(&mut s[318..446], &o.publisher, joliet);
    text_field(&mut s[446..574], &o.preparer, joliet);
    text_field(&mut s[574..702], &o.application, joliet);
    s[702..813].fill(b' '); // copyright, abstract and bibliographic file ids
    s[813..830].copy_from_slice(&volume_date(plan.created));
    s[830..847].copy_from_slice(&volume_date(plan.created));
    s[847..864].copy_from_slice(&volume_date_unset());
    s[864..881].copy_from_slice(&volume_date_unset());
    s[881] = 1;
    s[883..883 + APPDATA_SIZE].fill(b' ');
    s
}

fn terminator() -> Vec<u8> {
    let mut s = vec![0u8; 2048];
    s[0] = 255;
    s[1..6].copy_from_slice(b"CD001");
    s[6] = 1;
    s
}

fn path_table(plan: &Plan, joliet: bool, big_endian: bool) -> Vec<u8> {
    let dirs = if joliet { &plan.jdirs } else { &plan.pdirs };
    let mut t = Vec::new();
    for &d in dirs {
        let info = &plan.info[d];
        let ident: &[u8] = if d == Tree::ROOT {
            &[0]
        } else if joliet {
            &info.joliet_id
        } else {
            plan.iso_ident(d)
        };
        let parent = if joliet {
            plan.tree.nodes[d].parent
        } else {
            plan.pparent[d]
        };
        let (extent, pnum) = if joliet {
            (info.j_lba, plan.info[parent].jnum)
        } else {
            (info.lba, plan.info[parent].pnum)
        };
        t.push(ident.len() as u8);
        t.push(0);
        if big_endian {
            t.extend_from_slice(&extent.to_be_bytes());
            t.extend_from_slice(&pnum.to_be_bytes());
        } else {
            t.extend_from_slice(&extent.to_le_bytes());
            t.extend_from_slice(&pnum.to_le_bytes());
        }
        t.extend_from_slice(ident);
        if ident.len() % 2 == 1 {
            t.push(0);
        }
    }
    t
}

fn ce_area(plan: &Plan) -> Vec<u8> {
    let mut buf = vec![0u8; plan.ce_blocks as usize * BLOCK as usize];
    for c in &plan.chunks {
        let at = (c.lba - plan.ce_lba) as usize * BLOCK as usize + c.offset as usize;
        let mut bytes = c.data.clone();
        if let Some(n) = c.next {
            let next = &plan.chunks[n];
            bytes.extend(rr::ce(next.lba, next.offset, next.len() as u32));
        }
        buf[at..at + bytes.len()].copy_from_slice(&bytes);
    }
    buf
}

/// Checks that an open source file still has the modification time it had when scanned.
fn check_modified(
    md: &std::fs::Metadata,
    path: &Path,
    modified: Option<(i64, i64)>,
) -> Result<(), IsoError> {
    use std::os::unix::fs::MetadataExt;
    match modified {
        Some(m) if m != (md.mtime(), md.mtime_nsec()) => Err(IsoError::FileModified {
            path: path.to_path_buf(),
        }),
        _ => Ok(()),
    }
}

fn open_source(path: &Path, size: u64, modified: Option<(i64, i64)>) -> Result<File, IsoError> {
    let f = match File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            return Err(IsoError::FileVanished {
                path: path.to_path_buf(),
            })
        }
        Err(e) => return Err(IsoError::io(path, e)),
    };
    let md = f.metadata().map_err(|e| IsoError::io(path, e))?;
    if !md.is_file() {
        return Err(IsoError::Unsupported {
            path: path.to_path_buf(),
            what: "is no longer a regular file (it changed while the image was being written)"
                .into(),
        });
    }
    if md.len() != size {
        return Err(IsoError::FileChanged {
            path: path.to_path_buf(),
            expected: size,
            actual: md.len(),
        });
    }
    check_modified(&md, path, modified)?;
    Ok(f)
}

fn copy_path(
    out: &mut Out<'_>,
    ctl: &mut Control<'_>,
    total: u64,
    path: &Path,
    (size, modified): (u64, Option<(i64, i64)>),
    current: &str,
) -> Result<(), IsoError> {
    let mut f = open_source(path, size, modified)?;
    let mut left = size;
    while left > 0 {
        check_cancel(ctl)?;
        let kernel = out.md5.is_none() && matches!(out.target, Target::File(_));
        if kernel {
            let step = left.min(KERNEL_STEP);
            let Target::File(dst) = &mut out.target else {
                unreachable!()
            };
            let n = io::copy(&mut (&mut f).take(step), *dst).map_err(|e| {
                if e.kind() == io::ErrorKind::UnexpectedEof {
                    IsoError::io(path, e)
                } else {
                    out_err(e)
                }
            })?;
            out.pos += n;
            if n < step {
                return Err(IsoError::FileChanged {
                    path: path.to_path_buf(),
                    expected: size,
                    actual: size - left + n,
                });
            }
            left -= step;
        } else {
            let step = left.min(BUF as u64) as usize;
            let mut buf = std::mem::take(&mut out.buf);
            let mut got = 0;
            while got < step {
                match f.read(&mut buf[got..step]) {
                    Ok(0) => break,
                    Ok(n) => got += n,
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                    Err(e) => return Err(IsoError::io(path, e)),
                }
            }
            out.put_buffer(buf, got)?;
            if got < step {
                return Err(IsoError::FileChanged {
                    path: path.to_path_buf(),
                    expected: size,
                    actual: size - left + got as u64,
                });
            }
            left -= step as u64;
        }
        report(out, ctl, total, current, false);
    }
    // Changed while it was being copied (the bytes copied may be torn)?
    let md = f.metadata().map_err(|e| IsoError::io(path, e))?;
    if md.len() != size {
        return Err(IsoError::FileChanged {
            path: path.to_path_buf(),
            expected: size,
            actual: md.len(),
        });
    }
    check_modified(&md, path, modified)
}

/// Reads a whole (small) file, checking it is still what was scanned.
fn read_small(path: &Path, size: u64, modified: Option<(i64, i64)>) -> Result<Vec<u8>, IsoError> {
    let mut f = open_source(path, size, modified)?;
    let mut v = Vec::with_capacity(size as usize);
    f.read_to_end(&mut v).map_err(|e| IsoError::io(path, e))?;
    if v.len() as u64 != size {
        return Err(IsoError::FileChanged {
            path: path.to_path_buf(),
            expected: size,
            actual: v.len() as u64,
        });
    }
    Ok(v)
}

/// Writes the whole image. Returns the implantisomd5 record and the sum
/// when the options ask for it (the caller patches it in).
pub(crate) fn write_image(
    plan: &Plan,
    target: Target<'_>,
    ctl: &mut Control<'_>,
) -> Result<Option<([u8; APPDATA_SIZE], String)>, IsoError> {
    let total = plan.total_bytes();
    let mut out = Out {
        target,
        pos: 0,
        md5: plan.opts.implant_md5.then(|| Hasher::new(total)),
        buf: vec![0u8; BUF],
        last_report: 0,
    };
    check_cancel(ctl)?;
    report(&mut out, ctl, total, "", true);

    match &plan.hybrid {
        Some(h) => out.put(&h.system_area())?,
        None => out.zeros(16 * BLOCK)?,
    }
    out.put(&volume_descriptor(plan, false))?;
    if let Some(lba) = plan.boot_record_lba {
        out.pad_to(u64::from(lba) * BLOCK)?;
        let cat = plan
            .tree
            .lookup(
                &plan
                    .opts
                    .boot
                    .as_ref()
                    .map(|b| b.catalog.clone())
                    .unwrap_or_default(),
            )
            .map(|id| plan.info[id].lba)
            .unwrap_or(0);
        out.put(&eltorito::boot_record(cat))?;
    }
    if let Some(lba) = plan.svd_lba {
        out.pad_to(u64::from(lba) * BLOCK)?;
        out.put(&volume_descriptor(plan, true))?;
    }
    out.pad_to(u64::from(plan.term_lba) * BLOCK)?;
    out.put(&terminator())?;

    for (joliet, l, m) in [
        (false, plan.pt_l, plan.pt_m),
        (true, plan.jpt_l, plan.jpt_m),
    ] {
        if joliet && !plan.opts.joliet {
            continue;
        }
        out.pad_to(u64::from(l) * BLOCK)?;
        out.put(&path_table(plan, joliet, false))?;
        out.pad_to(u64::from(m) * BLOCK)?;
        out.put(&path_table(plan, joliet, true))?;
        out.pad_block()?;
    }
    for (i, &d) in plan.pdirs.iter().enumerate() {
        let info = &plan.info[d];
        out.pad_to(u64::from(info.lba) * BLOCK)?;
        out.put(&dir_bytes(plan, &plan.precs[i], info.size, false))?;
    }
    for (i, &d) in plan.jdirs.iter().enumerate() {
        let info = &plan.info[d];
        out.pad_to(u64::from(info.j_lba) * BLOCK)?;
        out.put(&dir_bytes(plan, &plan.jrecs[i], info.j_size, true))?;
    }
    if plan.ce_blocks > 0 {
        out.pad_to(u64::from(plan.ce_lba) * BLOCK)?;
        out.put(&ce_area(plan))?;
    }

    let bios_lba = plan.bios_node.map(|id| plan.info[id].lba);
    let info_table = plan.opts.boot.as_ref().is_some_and(|b| b.boot_info_table);
    for item in &plan.data {
        check_cancel(ctl)?;
        out.pad_to(u64::from(item.lba) * BLOCK)?;
        let current = plan.tree.path_of(item.node);
        report(&mut out, ctl, total, &current, true);
        let NodeKind::File(src) = &plan.tree.nodes[item.node].kind else {
            continue;
        };
        let patch = info_table && Some(item.lba) == bios_lba;
        match src {
            FileSource::BootCatalog => out.put(&plan.catalog_bytes())?,
            FileSource::Bytes(b) => {
                if patch {
                    let mut copy = b.as_ref().clone();
                    eltorito::patch_boot_info_table(&mut copy, 16, item.lba);
                    out.put(&copy)?;
                } else {
                    out.put(b)?;
                }
            }
            FileSource::Path {
                path,
                size,
                modified,
                ..
            } => {
                if patch {
                    let mut copy = read_small(path, *size, *modified)?;
                    eltorito::patch_boot_info_table(&mut copy, 16, item.lba);
                    out.put(&copy)?;
                } else {
                    copy_path(&mut out, ctl, total, path, (*size, *modified), &current)?;
                }
            }
        }
        out.pad_block()?;
    }

    match plan.hybrid.as_ref().and_then(|h| h.backup_gpt()) {
        Some((at, bytes)) => {
            out.pad_to(at)?;
            out.put(&bytes)?;
        }
        None => out.pad_to(total)?,
    }
    debug_assert_eq!(out.pos, total);
    if out.pos != total {
        return Err(IsoError::Output {
            path: PathBuf::from("the output image"),
            source: io::Error::other(format!(
                "internal layout error: wrote {} of {total} bytes",
                out.pos
            )),
        });
    }
    report(&mut out, ctl, total, "", true);
    Ok(out.md5.take().map(|h| h.finish().finish()))
}
