//! An arbitrary small tree (directories and files with arbitrary bytes,
//! names that every namespace keeps) mastered by our engine `kslint::iso`
//! in memory, then read back by an independent reader, the `isomage`
//! crate: the same directories, the same files, the same bytes. Without
//! Joliet isomage reads the Rock Ridge names, with it the Joliet names.
#![no_main]

use std::collections::BTreeMap;
use std::io::Cursor;
use std::sync::Arc;

use kslint::iso::{self, Control, FileSource, IsoOptions, Meta, Tree};
use libfuzzer_sys::fuzz_target;

/// `None` for a directory, the bytes for a file.
type Model = BTreeMap<String, Option<Vec<u8>>>;

const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-.~+";

/// Reads the fuzzer's bytes front to back; zeros once they run out.
struct Input<'a>(&'a [u8]);

impl Input<'_> {
    fn byte(&mut self) -> u8 {
        match self.0.split_first() {
            Some((&b, rest)) => {
                self.0 = rest;
                b
            }
            None => 0,
        }
    }

    fn take(&mut self, n: usize) -> &[u8] {
        let n = n.min(self.0.len());
        let (head, rest) = self.0.split_at(n);
        self.0 = rest;
        head
    }

    fn name(&mut self) -> String {
        let len = 1 + usize::from(self.byte() % 40);
        let mut name: String = (0..len)
            .map(|_| ALPHABET[usize::from(self.byte()) % ALPHABET.len()] as char)
            .collect();
        // isomage drops trailing dots (ISO 9660 "NAME."), and `.`/`..`
        // are not names.
        while name.ends_with('.') {
            name.pop();
        }
        if name.is_empty() {
            name.push('x');
        }
        name
    }

    fn path(&mut self) -> String {
        let depth = 1 + usize::from(self.byte() % 5);
        (0..depth).map(|_| self.name()).collect::<Vec<_>>().join("/")
    }
}

/// Whether `path` can be added to the model: no ancestor is a file and,
/// for a file, the path is not a directory.
fn fits(model: &Model, path: &str, is_file: bool) -> bool {
    let mut prefix = String::new();
    for part in path.split('/') {
        if !prefix.is_empty() {
            prefix.push('/');
        }
        prefix.push_str(part);
        if prefix.len() < path.len() && matches!(model.get(&prefix), Some(Some(_))) {
            return false;
        }
    }
    match model.get(path) {
        Some(None) => !is_file,
        Some(Some(_)) => is_file,
        None => true,
    }
}

fn add_parents(model: &mut Model, path: &str) {
    let mut at = 0;
    while let Some(slash) = path[at..].find('/') {
        model.entry(path[..at + slash].to_string()).or_insert(None);
        at += slash + 1;
    }
}

fn read_back(image: &[u8]) -> Model {
    let mut cursor = Cursor::new(image);
    let root = isomage::detect_and_parse_filesystem(&mut cursor, "fuzz.iso")
        .expect("isomage reads the image");
    let mut out = Model::new();
    let mut stack: Vec<(String, &isomage::TreeNode)> = vec![(String::new(), &root)];
    while let Some((path, node)) = stack.pop() {
        for child in &node.children {
            let child_path = if path.is_empty() {
                child.name.clone()
            } else {
                format!("{path}/{}", child.name)
            };
            if child.is_directory {
                out.insert(child_path.clone(), None);
                stack.push((child_path, child));
            } else {
                let mut bytes = Vec::new();
                isomage::cat_node(&mut cursor, child, &mut bytes).expect("isomage reads a file");
                out.insert(child_path, Some(bytes));
            }
        }
    }
    out
}

fuzz_target!(|bytes: &[u8]| {
    let mut input = Input(bytes);
    let flags = input.byte();
    let joliet = flags & 1 == 1;
    let mut tree = Tree::new();
    let mut model = Model::new();
    let meta = Meta {
        mode: 0o644,
        uid: 0,
        gid: 0,
        mtime: 1_700_000_000,
    };
    for _ in 0..48 {
        if input.0.is_empty() {
            break;
        }
        let op = input.byte();
        let path = input.path();
        if op % 4 == 0 {
            if !fits(&model, &path, false) {
                continue;
            }
            tree.mkdir_p(&path, Meta { mode: 0o755, ..meta })
                .expect("the tree takes a directory the model takes");
            add_parents(&mut model, &path);
            model.insert(path, None);
        } else {
            if !fits(&model, &path, true) {
                continue;
            }
            // A length byte, times 1 to 16 (from the operation byte).
            let len = usize::from(input.byte()) * usize::from(op / 4 % 16 + 1);
            let data = input.take(len).to_vec();
            tree.insert_file(&path, FileSource::Bytes(Arc::new(data.clone())), meta)
                .expect("the tree takes a file the model takes");
            add_parents(&mut model, &path);
            model.insert(path, Some(data));
        }
    }
    let options = IsoOptions {
        volume_id: "FUZZ".into(),
        joliet,
        timestamp: Some(1_700_000_000),
        pad_sectors: 0,
        ..IsoOptions::default()
    };
    let image = iso::prepare(tree, &options).expect("a valid tree lays out");
    let mut out = Vec::new();
    image
        .write_to(&mut out, &mut Control::default())
        .expect("writing to memory succeeds");
    assert_eq!(out.len() as u64, image.size());
    let read = read_back(&out);
    if read != model {
        let only_ours: Vec<_> = model.keys().filter(|k| !read.contains_key(*k)).collect();
        let only_theirs: Vec<_> = read.keys().filter(|k| !model.contains_key(*k)).collect();
        let differ: Vec<_> = model
            .iter()
            .filter(|(k, v)| read.get(*k).is_some_and(|r| r != *v))
            .map(|(k, _)| k)
            .collect();
        panic!(
            "round trip differs (joliet {joliet}): only written {only_ours:?}, only read \
             {only_theirs:?}, different {differ:?}"
        );
    }
});
