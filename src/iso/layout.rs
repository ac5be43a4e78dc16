//! Lays the image out: names in each namespace, directory records and their
//! Rock Ridge areas, path tables, and the logical block of everything.
//!
//! Block map (2048-byte logical blocks):
//! 0-15 system area (MBR + GPT when hybrid), 16 primary volume descriptor,
//! then the El Torito boot record, the Joliet descriptor, the terminator,
//! the path tables (L, M; Joliet L, M), the primary directories, the Joliet
//! directories, the Rock Ridge continuation areas, the file data, zero
//! padding, and at the very end the backup GPT.

use std::collections::{HashMap, HashSet, VecDeque};
use std::fs::File;
use std::io::Read;
use std::sync::Arc;

use super::eltorito::{self, CatalogImage, PLATFORM_EFI, PLATFORM_X86};
use super::hybrid::{HybridLayout, CYLINDER_BYTES, GPT_BACKUP_BYTES};
use super::md5::{Md5, APPDATA_OFFSET};
use super::names::{cmp_iso_identifiers, joliet_identifier, joliet_units, IsoName, Limits};
use super::rockridge::{self as rr, CE_LEN};
use super::tree::{FileSource, Meta, Node, NodeId, NodeKind, Tree};
use super::{IsoError, IsoOptions, Renamed};

/// Byte offset of the application-use field (the implantisomd5 record).
pub(crate) const APPDATA_POS: u64 = 16 * 2048 + APPDATA_OFFSET as u64;
/// Largest extent of a multi-extent file: the largest multiple of 2048 below 4 GiB.
pub(crate) const MAX_EXTENT: u64 = 0xFFFF_F800;
const BLOCK: u64 = 2048;
/// Boot files are patched in memory; refuse absurd ones.
const MAX_BOOT_FILE: u64 = 64 << 20;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RecKind {
    Dot,
    DotDot,
    Child,
}

/// The part a record plays in deep-directory relocation (RRIP 4.1.5).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Link {
    None,
    /// The placeholder left where a relocated directory was: a zero-length
    /// file record whose first system use entry is a `CL` naming the directory.
    Cl(NodeId),
    /// The `..` of a relocated directory: its first entry is a `PL` naming
    /// the original parent.
    Pl(NodeId),
    /// A relocated directory in the relocation directory, or the relocation
    /// directory itself: marked `RE` so Rock Ridge readers skip it.
    Re,
}

/// One directory record.
#[derive(Debug, Clone)]
pub(crate) struct Rec {
    pub kind: RecKind,
    /// The node the record describes (for "." the directory itself, for ".." its parent).
    pub target: NodeId,
    pub ident: Vec<u8>,
    /// Part number of a multi-extent file.
    pub part: u32,
    pub last_part: bool,
    /// System use bytes kept in the record (without the `CE`).
    pub inline: Vec<u8>,
    /// First continuation chunk, if any.
    pub ce: Option<usize>,
    pub len: usize,
    /// For `Cl` and `Pl` the first [`rr::LINK_LEN`] bytes of `inline` are
    /// the entry, written with the location once blocks are allocated.
    pub link: Link,
}

/// A piece of a Rock Ridge continuation area.
#[derive(Debug, Clone)]
pub(crate) struct Chunk {
    pub data: Vec<u8>,
    pub next: Option<usize>,
    pub lba: u32,
    pub offset: u32,
}

impl Chunk {
    pub(crate) fn len(&self) -> usize {
        self.data.len() + if self.next.is_some() { CE_LEN } else { 0 }
    }
}

/// File data placed in the image.
#[derive(Debug, Clone, Copy)]
pub(crate) struct DataItem {
    pub node: NodeId,
    pub lba: u32,
    pub size: u64,
}

#[derive(Debug, Clone, Default)]
pub(crate) struct NodeInfo {
    pub iso_id: Vec<u8>,
    pub joliet_id: Vec<u8>,
    /// Extent and size: file data, or the primary directory.
    pub lba: u32,
    pub size: u64,
    /// Joliet directory extent and size.
    pub j_lba: u32,
    pub j_size: u64,
    /// Directory numbers in the path tables (1-based).
    pub pnum: u16,
    pub jnum: u16,
    /// Recorded time (mtime clamped to the fixed timestamp).
    pub time: i64,
}

pub(crate) struct Plan {
    pub tree: Tree,
    pub opts: IsoOptions,
    pub created: i64,
    pub info: Vec<NodeInfo>,
    pub pdirs: Vec<NodeId>,
    pub jdirs: Vec<NodeId>,
    pub precs: Vec<Vec<Rec>>,
    pub jrecs: Vec<Vec<Rec>>,
    pub chunks: Vec<Chunk>,
    pub ce_lba: u32,
    pub ce_blocks: u32,
    pub boot_record_lba: Option<u32>,
    pub svd_lba: Option<u32>,
    pub term_lba: u32,
    pub pt_size: u32,
    pub pt_l: u32,
    pub pt_m: u32,
    pub jpt_size: u32,
    pub jpt_l: u32,
    pub jpt_m: u32,
    pub data: Vec<DataItem>,
    pub total_blocks: u64,
    /// Catalog entries: node, platform and sector count (LBA is the node's).
    pub boot_images: Vec<(NodeId, u8, u16)>,
    pub bios_node: Option<NodeId>,
    pub hybrid: Option<HybridLayout>,
    pub renamed: Vec<Renamed>,
    pub notes: Vec<String>,
    /// Parent of each directory in the ISO 9660 tree: the real parent, or the
    /// relocation directory for a directory that would nest deeper than 8 levels.
    pub pparent: Vec<NodeId>,
    /// Identifiers of the relocated directories inside the relocation directory.
    pub reloc_names: HashMap<NodeId, Vec<u8>>,
}

impl Plan {
    /// The ISO 9660 identifier of directory `d` in its ISO 9660 parent.
    pub(crate) fn iso_ident(&self, d: NodeId) -> &[u8] {
        self.reloc_names
            .get(&d)
            .map(Vec::as_slice)
            .unwrap_or(&self.info[d].iso_id)
    }

    pub(crate) fn total_bytes(&self) -> u64 {
        self.total_blocks * BLOCK
    }

    pub(crate) fn catalog_bytes(&self) -> Vec<u8> {
        let images: Vec<CatalogImage> = self
            .boot_images
            .iter()
            .map(|&(node, platform, sectors)| CatalogImage {
                platform,
                lba: self.info[node].lba,
                sectors,
            })
            .collect();
        eltorito::catalog(&images)
    }
}

fn is_dir(tree: &Tree, id: NodeId) -> bool {
    matches!(tree.nodes[id].kind, NodeKind::Dir { .. })
}

fn blocks(bytes: u64) -> u64 {
    bytes.div_ceil(BLOCK)
}

fn check_text(what: &str, value: &str, max: usize) -> Result<(), IsoError> {
    if value.len() > max {
        return Err(IsoError::InvalidOption(format!(
            "{what} {value:?} is longer than {max} bytes"
        )));
    }
    if let Some(c) = value.chars().find(|c| !(' '..='~').contains(c)) {
        return Err(IsoError::InvalidOption(format!(
            "{what} {value:?} contains {c:?}; only printable ASCII is allowed"
        )));
    }
    Ok(())
}

fn find_file(tree: &Tree, path: &str, what: &str) -> Result<NodeId, IsoError> {
    let id = tree
        .lookup(path)
        .ok_or_else(|| IsoError::InvalidOption(format!("{what} {path} is not in the tree")))?;
    match &tree.nodes[id].kind {
        NodeKind::File(_) => Ok(id),
        _ => Err(IsoError::InvalidOption(format!(
            "{what} {path} is not a regular file"
        ))),
    }
}

/// Reads up to `n` leading bytes of a file node.
fn head_bytes(tree: &Tree, id: NodeId, n: usize) -> Result<Vec<u8>, IsoError> {
    match &tree.nodes[id].kind {
        NodeKind::File(FileSource::Path { path, .. }) => {
            let mut f = File::open(path).map_err(|e| IsoError::io(path, e))?;
            let mut buf = Vec::with_capacity(n);
            (&mut f)
                .take(n as u64)
                .read_to_end(&mut buf)
                .map_err(|e| IsoError::io(path, e))?;
            Ok(buf)
        }
        NodeKind::File(FileSource::Bytes(b)) => Ok(b[..b.len().min(n)].to_vec()),
        _ => Ok(Vec::new()),
    }
}

pub(crate) fn plan(mut tree: Tree, opts: &IsoOptions) -> Result<Plan, IsoError> {
    if !(1..=3).contains(&opts.iso_level) {
        return Err(IsoError::InvalidOption(format!(
            "ISO level must be 1, 2 or 3, not {}",
            opts.iso_level
        )));
    }
    check_text("volume id", &opts.volume_id, 32)?;
    check_text("system id", &opts.system_id, 32)?;
    check_text("volume set id", &opts.volume_set_id, 128)?;
    check_text("publisher", &opts.publisher, 128)?;
    check_text("preparer", &opts.preparer, 128)?;
    check_text("application id", &opts.application, 128)?;
    if opts.volume_id.is_empty() {
        return Err(IsoError::InvalidOption(
            "the volume id must not be empty".into(),
        ));
    }
    let created = opts.timestamp.unwrap_or_else(|| {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs() as i64)
            .unwrap_or(0)
    });
    let mut notes = Vec::new();
    let gen_meta = Meta {
        mode: 0o444,
        uid: 0,
        gid: 0,
        mtime: created,
    };

    // --- El Torito inputs -------------------------------------------------
    let mut bios_node = None;
    let mut efi_node = None;
    if let Some(boot) = &opts.boot {
        if boot.bios_image.is_none() && boot.efi_image.is_none() {
            return Err(IsoError::InvalidOption(
                "boot options given without a BIOS or EFI image".into(),
            ));
        }
        if let Some(p) = &boot.bios_image {
            let id = find_file(&tree, p, "BIOS boot image")?;
            let size = match &tree.nodes[id].kind {
                NodeKind::File(s) => s.size(),
                _ => 0,
            };
            if boot.boot_info_table && !(64..=MAX_BOOT_FILE).contains(&size) {
                return Err(IsoError::InvalidOption(format!(
                    "BIOS boot image {p} is {size} bytes; a boot-info-table needs 64 bytes to {MAX_BOOT_FILE}"
                )));
            }
            if boot.load_size == 0 {
                return Err(IsoError::InvalidOption(
                    "boot load size must be at least 1 sector".into(),
                ));
            }
            bios_node = Some(id);
        }
        if let Some(p) = &boot.efi_image {
            efi_node = Some(find_file(&tree, p, "EFI boot image")?);
        }
        if tree.lookup(&boot.catalog).is_some() {
            notes.push(format!(
                "the tree's {} is replaced by the generated boot catalog",
                boot.catalog
            ));
        }
        let cat_meta = Meta {
            mtime: opts.timestamp.unwrap_or(created),
            ..gen_meta
        };
        let catalog_node =
            Some(tree.insert_file(&boot.catalog, FileSource::BootCatalog, cat_meta)?);
        // Inserting may have replaced one of the images (same path): look them up again.
        if let Some(p) = boot.bios_image.as_deref() {
            bios_node = Some(find_file(&tree, p, "BIOS boot image")?);
        }
        if let Some(p) = boot.efi_image.as_deref() {
            efi_node = Some(find_file(&tree, p, "EFI boot image")?);
        }
        if bios_node == catalog_node || efi_node == catalog_node {
            return Err(IsoError::InvalidOption(
                "the boot catalog path is the same as a boot image".into(),
            ));
        }
    }
    let mut mbr_code = None;
    if let Some(h) = &opts.hybrid {
        if let Some(code) = &h.mbr_code {
            if code.len() < 432 {
                return Err(IsoError::InvalidOption(format!(
                    "the MBR boot code has {} bytes; at least 432 are needed (isohdpfx.bin has 512)",
                    code.len()
                )));
            }
            match bios_node {
                Some(id) => {
                    let head = head_bytes(&tree, id, 0x44)?;
                    if head.len() < 0x44 || head[0x40..0x44] != eltorito::ISOHYBRID_MAGIC {
                        return Err(IsoError::InvalidOption(format!(
                            "{} has no isohybrid signature at offset 0x40, so the MBR boot code could not \
                             start it from a disk; use isolinux.bin from syslinux 4 or later, or build \
                             without the hybrid MBR",
                            tree.path_of(id)
                        )));
                    }
                    mbr_code = Some(code.clone());
                }
                None => notes.push("no BIOS boot image: the MBR boot code is left out".into()),
            }
        }
        if h.gpt && efi_node.is_none() {
            notes.push("no EFI boot image: no GPT is written".into());
        }
    }

    // --- TRANS.TBL placeholders ----------------------------------------------
    let mut trans_nodes: Vec<(NodeId, NodeId)> = Vec::new(); // (dir, table)
    if opts.trans_tbl {
        let mut stack = vec![Tree::ROOT];
        let mut dirs = Vec::new();
        while let Some(d) = stack.pop() {
            dirs.push(d);
            stack.extend(
                tree.children(d)
                    .iter()
                    .copied()
                    .filter(|&c| is_dir(&tree, c)),
            );
        }
        for d in dirs {
            let existing: Vec<NodeId> = tree
                .children(d)
                .iter()
                .copied()
                .filter(|&c| tree.nodes[c].name == b"TRANS.TBL")
                .collect();
            for e in existing {
                if is_dir(&tree, e) {
                    return Err(IsoError::InvalidOption(format!(
                        "{} is a directory; TRANS.TBL files cannot be written",
                        tree.path_of(e)
                    )));
                }
                tree.remove(e);
            }
            let dir_path = tree.path_of(d);
            let meta = Meta {
                mtime: tree.nodes[d].meta.mtime,
                ..gen_meta
            };
            let t = tree.insert_file(
                &format!("{dir_path}/TRANS.TBL"),
                FileSource::Bytes(Arc::new(Vec::new())),
                meta,
            )?;
            trans_nodes.push((d, t));
        }
    }

    // --- per-node info: times ----------------------------------------------
    let n = tree.nodes.len();
    let mut info = vec![NodeInfo::default(); n];
    for (id, node) in tree.nodes.iter().enumerate() {
        info[id].time = match opts.timestamp {
            Some(ts) => node.meta.mtime.min(ts),
            None => node.meta.mtime,
        };
    }

    // --- names -------------------------------------------------------------
    let limits = Limits::for_level(opts.iso_level);
    let mut renamed = Vec::new();
    let mut all_dirs = Vec::new();
    {
        let mut stack = vec![Tree::ROOT];
        while let Some(d) = stack.pop() {
            all_dirs.push(d);
            for &c in tree.children(d) {
                if is_dir(&tree, c) {
                    stack.push(c);
                }
            }
        }
    }
    for &d in &all_dirs {
        let mut kids: Vec<NodeId> = tree.children(d).to_vec();
        kids.sort_by(|&a, &b| tree.nodes[a].name.cmp(&tree.nodes[b].name));
        let naturals: Vec<IsoName> = kids
            .iter()
            .map(|&k| IsoName::new(&tree.nodes[k].name, is_dir(&tree, k), limits))
            .collect();
        let mut count: HashMap<Vec<u8>, usize> = HashMap::new();
        for nat in &naturals {
            *count.entry(nat.identifier()).or_default() += 1;
        }
        let mut taken: HashSet<Vec<u8>> = count
            .iter()
            .filter(|(_, &c)| c == 1)
            .map(|(k, _)| k.clone())
            .collect();
        for (&k, nat) in kids.iter().zip(&naturals) {
            let id = nat.identifier();
            // Unique names were reserved above; the first of equal names keeps it.
            if count[&id] == 1 || taken.insert(id.clone()) {
                info[k].iso_id = id;
            } else {
                let mut i = 0;
                loop {
                    let v = nat.variant(i, limits).identifier();
                    if !taken.contains(&v) && !count.contains_key(&v) {
                        taken.insert(v.clone());
                        renamed.push(Renamed {
                            path: tree.path_of(k),
                            iso_name: String::from_utf8_lossy(&v).into_owned(),
                        });
                        info[k].iso_id = v;
                        break;
                    }
                    i += 1;
                }
            }
        }
        if opts.joliet {
            let mut seen: HashMap<Vec<u8>, NodeId> = HashMap::new();
            for &k in &kids {
                let units = joliet_units(&tree.nodes[k].name);
                let id = joliet_identifier(&units, is_dir(&tree, k));
                if let Some(&other) = seen.get(&id) {
                    return Err(IsoError::NameCollision {
                        dir: tree.path_of(d),
                        first: String::from_utf8_lossy(&tree.nodes[other].name).into_owned(),
                        second: String::from_utf8_lossy(&tree.nodes[k].name).into_owned(),
                        name: String::from_utf16_lossy(&units),
                        namespace: "Joliet",
                    });
                }
                seen.insert(id.clone(), k);
                info[k].joliet_id = id;
            }
        }
    }

    // --- TRANS.TBL contents ----------------------------------------------------
    for &(d, t) in &trans_nodes {
        let mut kids: Vec<NodeId> = tree
            .children(d)
            .iter()
            .copied()
            .filter(|&c| c != t)
            .collect();
        kids.sort_by(|&a, &b| cmp_iso_identifiers(&info[a].iso_id, &info[b].iso_id));
        let mut text = Vec::new();
        for k in kids {
            let node = &tree.nodes[k];
            let (kind, extra): (u8, Vec<u8>) = match &node.kind {
                NodeKind::Dir { .. } => (b'D', Vec::new()),
                NodeKind::Symlink { target } => (b'L', [b"\t".as_slice(), target].concat()),
                _ => (b'F', Vec::new()),
            };
            let iso = String::from_utf8_lossy(&info[k].iso_id).into_owned();
            text.extend_from_slice(format!("{} {iso:<36}", kind as char).as_bytes());
            text.extend_from_slice(&node.name);
            text.extend_from_slice(&extra);
            text.push(b'\n');
        }
        tree.nodes[t].kind = NodeKind::File(FileSource::Bytes(Arc::new(text)));
    }

    // --- deep directories -------------------------------------------------------
    // ECMA-119 6.8.2.1 allows 8 levels (the root is level 1). With Rock Ridge,
    // a directory that would be on level 9 moves to a relocation directory
    // under the root (level 2, so it lands on level 3 and its subtree gets 6
    // more levels before the next move); a placeholder with `CL` stays in its
    // place, its `..` gets a `PL`, and its record in the relocation directory
    // an `RE` (RRIP 4.1.5). Rock Ridge readers see the real tree; Joliet has
    // no such mechanism and no such limit and keeps the real tree.
    let subdirs = |tree: &Tree, d: NodeId| -> Vec<NodeId> {
        tree.children(d)
            .iter()
            .copied()
            .filter(|&c| is_dir(tree, c))
            .collect()
    };
    let mut pparent: Vec<NodeId> = tree.nodes.iter().map(|n| n.parent).collect();
    let mut reloc_dir = None;
    let mut reloc_names: HashMap<NodeId, Vec<u8>> = HashMap::new();
    if opts.rock_ridge {
        let mut deep: Vec<NodeId> = Vec::new();
        let mut queue = VecDeque::from([(Tree::ROOT, 1usize)]);
        while let Some((d, level)) = queue.pop_front() {
            let mut subs = subdirs(&tree, d);
            subs.sort_by(|&a, &b| cmp_iso_identifiers(&info[a].iso_id, &info[b].iso_id));
            for c in subs {
                if level + 1 > 8 {
                    deep.push(c);
                    queue.push_back((c, 3));
                } else {
                    queue.push_back((c, level + 1));
                }
            }
        }
        if !deep.is_empty() {
            // Unique in the root among ISO 9660 identifiers and (lower case,
            // for readers that ignore `RE`) among the real names.
            let taken: HashSet<&[u8]> = tree
                .children(Tree::ROOT)
                .iter()
                .flat_map(|&c| [info[c].iso_id.as_slice(), tree.nodes[c].name.as_slice()])
                .collect();
            let natural = IsoName::new(b"rr_moved", true, limits);
            let mut ident = natural.identifier();
            let mut i = 0;
            while taken.contains(ident.as_slice())
                || taken.contains(ident.to_ascii_lowercase().as_slice())
            {
                ident = natural.variant(i, limits).identifier();
                i += 1;
            }
            let mut used: HashSet<Vec<u8>> = HashSet::new();
            for &c in &deep {
                let natural = IsoName::new(&tree.nodes[c].name, true, limits);
                let mut id = info[c].iso_id.clone();
                let mut i = 0;
                while !used.insert(id.clone()) {
                    id = natural.variant(i, limits).identifier();
                    i += 1;
                }
                reloc_names.insert(c, id);
            }
            let rd = tree.nodes.len();
            tree.nodes.push(Node {
                name: ident.to_ascii_lowercase(),
                parent: Tree::ROOT,
                kind: NodeKind::Dir {
                    children: deep.clone(),
                },
                meta: Meta {
                    mode: 0o755,
                    uid: 0,
                    gid: 0,
                    mtime: created,
                },
                live: true,
            });
            info.push(NodeInfo {
                iso_id: ident.clone(),
                time: created,
                ..NodeInfo::default()
            });
            pparent.push(Tree::ROOT);
            for &c in &deep {
                pparent[c] = rd;
            }
            reloc_dir = Some(rd);
            notes.push(format!(
                "{} director{} nest deeper than the 8 levels of ISO 9660: moved to /{} in the \
                 ISO 9660 tree (Rock Ridge and Joliet readers see them in place), e.g. {}",
                deep.len(),
                if deep.len() == 1 { "y" } else { "ies" },
                String::from_utf8_lossy(&ident),
                tree.path_of(deep[0])
            ));
        }
    }
    // Entries of a directory in the ISO 9660 tree (relocated directories are
    // listed both at their place, as placeholders, and in the relocation directory).
    let iso_children = |tree: &Tree, d: NodeId| -> Vec<NodeId> {
        let mut kids = tree.children(d).to_vec();
        if d == Tree::ROOT {
            kids.extend(reloc_dir);
        }
        kids
    };
    let ident_in = |info: &[NodeInfo], parent: NodeId, c: NodeId| -> Vec<u8> {
        match reloc_names.get(&c) {
            Some(id) if Some(parent) == reloc_dir => id.clone(),
            _ => info[c].iso_id.clone(),
        }
    };

    // --- directory order (path tables) ---------------------------------------
    let mut pdirs = vec![Tree::ROOT];
    let mut depth = vec![1usize];
    let mut i = 0;
    while i < pdirs.len() {
        let d = pdirs[i];
        let mut subs: Vec<NodeId> = iso_children(&tree, d)
            .into_iter()
            .filter(|&c| is_dir(&tree, c) && pparent[c] == d)
            .collect();
        subs.sort_by(|&a, &b| cmp_iso_identifiers(&ident_in(&info, d, a), &ident_in(&info, d, b)));
        let dd = depth[i] + 1;
        depth.extend(std::iter::repeat_n(dd, subs.len()));
        pdirs.extend(subs);
        i += 1;
    }
    if pdirs.len() > 65_535 {
        return Err(IsoError::InvalidOption(format!(
            "the tree has {} directories; ISO 9660 path tables hold at most 65535",
            pdirs.len()
        )));
    }
    if depth.iter().any(|&d| d > 8) {
        // Only without Rock Ridge: there is nothing to record a relocation in.
        notes.push(
            "directories nest deeper than the 8 levels of ISO 9660 and there is no Rock Ridge \
             to relocate them: they are recorded in place (Linux, xorriso and isoinfo read \
             them; strict ISO 9660 readers may not)"
                .into(),
        );
    }
    for (i, &d) in pdirs.iter().enumerate() {
        info[d].pnum = (i + 1) as u16;
    }
    let mut jdirs = Vec::new();
    if opts.joliet {
        jdirs.push(Tree::ROOT);
        let mut i = 0;
        while i < jdirs.len() {
            let mut subs = subdirs(&tree, jdirs[i]);
            subs.sort_by(|&a, &b| info[a].joliet_id.cmp(&info[b].joliet_id));
            jdirs.extend(subs);
            i += 1;
        }
        for (i, &d) in jdirs.iter().enumerate() {
            info[d].jnum = (i + 1) as u16;
        }
    }

    // --- sizes needed by records ---------------------------------------------
    let mut nlinks: HashMap<NodeId, u32> = HashMap::new();
    for group in tree.identities().values() {
        if group.len() > 1 {
            for &id in group {
                nlinks.insert(id, group.len() as u32);
            }
        }
    }
    let file_size = |tree: &Tree, id: NodeId| -> u64 {
        match &tree.nodes[id].kind {
            NodeKind::File(s) => s.size(),
            _ => 0,
        }
    };
    for &d in &all_dirs {
        for &k in tree.children(d) {
            if file_size(&tree, k) >= MAX_EXTENT && opts.iso_level < 3 {
                return Err(IsoError::InvalidOption(format!(
                    "{} is 4 GiB or larger: it needs ISO level 3 (multi-extent files)",
                    tree.path_of(k)
                )));
            }
        }
    }

    // --- Rock Ridge entries ----------------------------------------------------
    let rr_on = opts.rock_ridge;
    let owner = |m: &Meta| {
        if opts.keep_owner {
            (m.uid, m.gid)
        } else {
            (0, 0)
        }
    };
    let entries_for =
        |tree: &Tree, info: &[NodeInfo], id: NodeId, kind: RecKind, link: Link| -> Vec<Vec<u8>> {
            let node = &tree.nodes[id];
            let (uid, gid) = owner(&node.meta);
            let perm = node.meta.mode & 0o7777;
            let mut e = Vec::new();
            let (mode, nlink) = match &node.kind {
                NodeKind::Dir { children } => {
                    let subs = children.iter().filter(|&&c| is_dir(tree, c)).count() as u32;
                    (rr::S_IFDIR | perm, 2 + subs)
                }
                NodeKind::File(_) => (rr::S_IFREG | perm, nlinks.get(&id).copied().unwrap_or(1)),
                NodeKind::Symlink { .. } => (rr::S_IFLNK | perm, 1),
                NodeKind::Special(s) => (rr::special_type(s) | perm, 1),
            };
            if kind == RecKind::Dot && id == Tree::ROOT {
                e.push(rr::sp());
            }
            // First, so that it always stays in the record (the writer fills in locations).
            match link {
                Link::Cl(_) => e.push(rr::cl(0)),
                Link::Pl(_) => e.push(rr::pl(0)),
                Link::Re => e.push(rr::re()),
                Link::None => {}
            }
            e.push(rr::px(mode, nlink, uid, gid));
            e.push(rr::tf(info[id].time));
            if kind == RecKind::Child {
                e.extend(rr::nm(&node.name));
                match &node.kind {
                    NodeKind::Symlink { target } => e.extend(rr::sl(target)),
                    NodeKind::Special(super::tree::Special::CharDevice { rdev })
                    | NodeKind::Special(super::tree::Special::BlockDevice { rdev }) => {
                        e.push(rr::pn(*rdev))
                    }
                    _ => {}
                }
            }
            if kind == RecKind::Dot && id == Tree::ROOT {
                e.push(rr::er());
            }
            e
        };

    let mut chunks: Vec<Chunk> = Vec::new();
    let make_rec = |tree: &Tree,
                    info: &[NodeInfo],
                    chunks: &mut Vec<Chunk>,
                    kind: RecKind,
                    target: NodeId,
                    ident: Vec<u8>,
                    joliet: bool,
                    link: Link|
     -> Vec<Rec> {
        let base = 33 + ident.len() + usize::from(ident.len() % 2 == 0);
        let (inline, ce) = if rr_on && !joliet {
            let placed = rr::place(entries_for(tree, info, target, kind, link), 254 - base);
            debug_assert!(
                matches!(link, Link::None | Link::Re)
                    || placed
                        .inline
                        .get(..2)
                        .is_some_and(|s| s == b"CL" || s == b"PL"),
                "relocation link not at the start of the record"
            );
            let mut first = None;
            let mut prev: Option<usize> = None;
            for data in placed.chunks.iter() {
                let idx = chunks.len();
                chunks.push(Chunk {
                    data: data.clone(),
                    next: None,
                    lba: 0,
                    offset: 0,
                });
                match prev {
                    Some(p) => chunks[p].next = Some(idx),
                    None => first = Some(idx),
                }
                prev = Some(idx);
            }
            (placed.inline, first)
        } else {
            (Vec::new(), None)
        };
        let su = inline.len() + if ce.is_some() { CE_LEN } else { 0 };
        let len = base + su + su % 2;
        let parts = if kind == RecKind::Child && link == Link::None {
            file_size(tree, target).div_ceil(MAX_EXTENT).max(1)
        } else {
            1
        };
        (0..parts)
            .map(|p| Rec {
                kind,
                target,
                ident: ident.clone(),
                part: p as u32,
                last_part: p + 1 == parts,
                inline: inline.clone(),
                ce,
                len,
                link,
            })
            .collect()
    };

    let mut precs = Vec::with_capacity(pdirs.len());
    for &d in &pdirs {
        let mut recs = Vec::new();
        recs.extend(make_rec(
            &tree,
            &info,
            &mut chunks,
            RecKind::Dot,
            d,
            vec![0],
            false,
            Link::None,
        ));
        let real_parent = tree.nodes[d].parent;
        recs.extend(make_rec(
            &tree,
            &info,
            &mut chunks,
            RecKind::DotDot,
            pparent[d],
            vec![1],
            false,
            if pparent[d] == real_parent {
                Link::None
            } else {
                Link::Pl(real_parent)
            },
        ));
        let mut kids: Vec<(Vec<u8>, NodeId)> = iso_children(&tree, d)
            .into_iter()
            .map(|k| (ident_in(&info, d, k), k))
            .collect();
        kids.sort_by(|a, b| cmp_iso_identifiers(&a.0, &b.0));
        for (ident, k) in kids {
            let link = if Some(d) == reloc_dir || Some(k) == reloc_dir {
                Link::Re
            } else if is_dir(&tree, k) && pparent[k] != d {
                Link::Cl(k)
            } else {
                Link::None
            };
            recs.extend(make_rec(
                &tree,
                &info,
                &mut chunks,
                RecKind::Child,
                k,
                ident,
                false,
                link,
            ));
        }
        precs.push(recs);
    }
    let mut jrecs = Vec::with_capacity(jdirs.len());
    for &d in &jdirs {
        let mut recs = Vec::new();
        recs.extend(make_rec(
            &tree,
            &info,
            &mut chunks,
            RecKind::Dot,
            d,
            vec![0],
            true,
            Link::None,
        ));
        recs.extend(make_rec(
            &tree,
            &info,
            &mut chunks,
            RecKind::DotDot,
            tree.nodes[d].parent,
            vec![1],
            true,
            Link::None,
        ));
        let mut kids = tree.children(d).to_vec();
        kids.sort_by(|&a, &b| info[a].joliet_id.cmp(&info[b].joliet_id));
        for k in kids {
            let ident = info[k].joliet_id.clone();
            recs.extend(make_rec(
                &tree,
                &info,
                &mut chunks,
                RecKind::Child,
                k,
                ident,
                true,
                Link::None,
            ));
        }
        jrecs.push(recs);
    }

    // --- block allocation ----------------------------------------------------
    let mut lba: u64 = 17;
    let boot_record_lba = opts.boot.as_ref().map(|_| {
        lba += 1;
        (lba - 1) as u32
    });
    let svd_lba = opts.joliet.then(|| {
        lba += 1;
        (lba - 1) as u32
    });
    let term_lba = lba as u32;
    lba += 1;
    let pt_size = path_table_size(pdirs.iter().map(|&d| {
        if d == Tree::ROOT {
            1
        } else {
            ident_in(&info, pparent[d], d).len()
        }
    }));
    let pt_l = lba as u32;
    lba += blocks(pt_size);
    let pt_m = lba as u32;
    lba += blocks(pt_size);
    let (mut jpt_size, mut jpt_l, mut jpt_m) = (0, 0, 0);
    if opts.joliet {
        jpt_size = path_table_size(jdirs.iter().map(|&d| {
            if d == Tree::ROOT {
                1
            } else {
                info[d].joliet_id.len()
            }
        }));
        jpt_l = lba as u32;
        lba += blocks(jpt_size);
        jpt_m = lba as u32;
        lba += blocks(jpt_size);
    }
    for (i, &d) in pdirs.iter().enumerate() {
        let size = dir_size(&precs[i]);
        info[d].lba = lba as u32;
        info[d].size = size;
        lba += blocks(size);
    }
    for (i, &d) in jdirs.iter().enumerate() {
        let size = dir_size(&jrecs[i]);
        info[d].j_lba = lba as u32;
        info[d].j_size = size;
        lba += blocks(size);
    }
    let ce_lba = lba as u32;
    let mut ce_used: u64 = 0; // bytes from ce_lba, block-aligned chunks
    for c in chunks.iter_mut() {
        let len = c.len() as u64;
        if ce_used % BLOCK + len > BLOCK {
            ce_used = ce_used.div_ceil(BLOCK) * BLOCK;
        }
        c.lba = ce_lba + (ce_used / BLOCK) as u32;
        c.offset = (ce_used % BLOCK) as u32;
        ce_used += len;
    }
    let ce_blocks = blocks(ce_used) as u32;
    lba += u64::from(ce_blocks);

    // File data in directory order; hard links share one copy.
    let mut data = Vec::new();
    let mut by_identity: HashMap<(u64, u64), (u32, u64)> = HashMap::new();
    for recs in &precs {
        for r in recs
            .iter()
            .filter(|r| r.kind == RecKind::Child && r.part == 0)
        {
            let k = r.target;
            let NodeKind::File(src) = &tree.nodes[k].kind else {
                continue;
            };
            let size = src.size();
            if let FileSource::Path {
                identity: Some(key),
                ..
            } = src
            {
                if let Some(&(l, s)) = by_identity.get(key) {
                    if s == size {
                        info[k].lba = l;
                        info[k].size = size;
                        continue;
                    }
                }
                by_identity.insert(*key, (lba as u32, size));
            }
            info[k].size = size;
            if size == 0 {
                info[k].lba = 0;
                continue;
            }
            if lba > u64::from(u32::MAX) {
                return Err(IsoError::InvalidOption(
                    "the image would exceed 8 TiB".into(),
                ));
            }
            info[k].lba = lba as u32;
            data.push(DataItem {
                node: k,
                lba: lba as u32,
                size,
            });
            lba += blocks(size);
        }
    }
    let data_end = lba;
    let hybrid_on = opts.hybrid.is_some();
    let mut pad = u64::from(opts.pad_sectors);
    if hybrid_on {
        pad = pad.max(GPT_BACKUP_BYTES.div_ceil(BLOCK));
    }
    let mut total_blocks = data_end + pad;
    if hybrid_on {
        let per_cyl = CYLINDER_BYTES / BLOCK;
        total_blocks = total_blocks.div_ceil(per_cyl) * per_cyl;
    }
    if total_blocks > u64::from(u32::MAX) {
        return Err(IsoError::InvalidOption(
            "the image would exceed 8 TiB".into(),
        ));
    }

    let mut boot_images = Vec::new();
    if let (Some(boot), Some(id)) = (&opts.boot, bios_node) {
        boot_images.push((id, PLATFORM_X86, boot.load_size));
    }
    if let Some(id) = efi_node {
        let sectors = info[id].size.div_ceil(512);
        boot_images.push((
            id,
            PLATFORM_EFI,
            if sectors > 0xFFFF { 0 } else { sectors as u16 },
        ));
    }

    let hybrid = opts.hybrid.as_ref().map(|h| {
        let mut seed = Md5::new();
        seed.update(opts.volume_id.as_bytes());
        seed.update(&created.to_le_bytes());
        seed.update(&total_blocks.to_le_bytes());
        seed.update(&(tree.nodes.len() as u64).to_le_bytes());
        HybridLayout {
            mbr_code: mbr_code.clone(),
            boot_lba: bios_node.map(|id| info[id].lba),
            efi: efi_node.map(|id| (info[id].lba, info[id].size)),
            gpt: h.gpt,
            total_bytes: total_blocks * BLOCK,
            seed: seed.finalize().to_vec(),
        }
    });

    Ok(Plan {
        tree,
        opts: opts.clone(),
        created,
        info,
        pdirs,
        jdirs,
        precs,
        jrecs,
        chunks,
        ce_lba,
        ce_blocks,
        boot_record_lba,
        svd_lba,
        term_lba,
        pt_size: pt_size as u32,
        pt_l,
        pt_m,
        jpt_size: jpt_size as u32,
        jpt_l,
        jpt_m,
        data,
        total_blocks,
        boot_images,
        bios_node,
        hybrid,
        renamed,
        notes,
        pparent,
        reloc_names,
    })
}

fn path_table_size(idents: impl Iterator<Item = usize>) -> u64 {
    idents.map(|l| (8 + l + l % 2) as u64).sum()
}

/// Bytes a directory's records take: records never cross a block boundary.
pub(crate) fn dir_size(recs: &[Rec]) -> u64 {
    let mut off = 0u64;
    for r in recs {
        let len = r.len as u64;
        if off % BLOCK + len > BLOCK {
            off = off.div_ceil(BLOCK) * BLOCK;
        }
        off += len;
    }
    off.div_ceil(BLOCK).max(1) * BLOCK
}
