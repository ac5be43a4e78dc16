//! SHA-256 whose state can be saved at any point and resumed later.
//!
//! An update that copies the first members of a metadata file unchanged
//! has the same text up to the first rebuilt member; resuming the hash of
//! the whole text (`open-checksum`) from the state saved there by the run
//! before saves hashing (and reading) that prefix again. The compression
//! function is sha2's own (SHA-NI when the CPU has it).

use sha2::digest::generic_array::GenericArray;

const BLOCK: usize = 64;
const INITIAL: [u32; 8] = [
    0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
];

/// The state after some prefix of a text: the hash of its whole blocks and
/// the bytes after the last whole block.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Midstate {
    pub state: [u32; 8],
    /// Bytes hashed so far (whole blocks and `tail`).
    pub length: u64,
    /// The last `length % 64` bytes, not yet hashed.
    pub tail: Vec<u8>,
}

impl Default for Midstate {
    fn default() -> Self {
        Midstate {
            state: INITIAL,
            length: 0,
            tail: Vec::new(),
        }
    }
}

/// An incremental SHA-256.
#[derive(Clone, Debug)]
pub struct Sha256Stream {
    state: [u32; 8],
    length: u64,
    buffer: [u8; BLOCK],
    buffered: usize,
}

impl Default for Sha256Stream {
    fn default() -> Self {
        Self::new()
    }
}

impl Sha256Stream {
    pub fn new() -> Self {
        Self::resume(&Midstate::default())
    }

    /// Continues from a saved state (`None` if `tail` does not fit it).
    pub fn resume(saved: &Midstate) -> Self {
        let mut stream = Sha256Stream {
            state: saved.state,
            length: saved.length - saved.tail.len() as u64,
            buffer: [0; BLOCK],
            buffered: 0,
        };
        stream.update(&saved.tail);
        stream
    }

    /// Whether `saved` is consistent (its tail is what the length says).
    pub fn can_resume(saved: &Midstate) -> bool {
        saved.tail.len() as u64 == saved.length % BLOCK as u64
    }

    pub fn save(&self) -> Midstate {
        Midstate {
            state: self.state,
            length: self.length,
            tail: self.buffer[..self.buffered].to_vec(),
        }
    }

    pub fn update(&mut self, mut data: &[u8]) {
        self.length += data.len() as u64;
        if self.buffered > 0 {
            let take = (BLOCK - self.buffered).min(data.len());
            self.buffer[self.buffered..self.buffered + take].copy_from_slice(&data[..take]);
            self.buffered += take;
            data = &data[take..];
            if self.buffered < BLOCK {
                return;
            }
            let block = *GenericArray::from_slice(&self.buffer);
            sha2::compress256(&mut self.state, std::slice::from_ref(&block));
            self.buffered = 0;
        }
        let whole = data.len() / BLOCK * BLOCK;
        compress_blocks(&mut self.state, &data[..whole]);
        let rest = &data[whole..];
        self.buffer[..rest.len()].copy_from_slice(rest);
        self.buffered = rest.len();
    }

    pub fn finalize(mut self) -> [u8; 32] {
        let bits = self.length.wrapping_mul(8);
        let mut padding = vec![0x80u8];
        let used = (self.buffered + 1) % BLOCK;
        let zeros = (BLOCK + 56 - used) % BLOCK;
        padding.resize(1 + zeros, 0);
        padding.extend_from_slice(&bits.to_be_bytes());
        let length = self.length;
        self.update(&padding);
        self.length = length;
        let mut out = [0u8; 32];
        for (chunk, word) in out.chunks_mut(4).zip(self.state) {
            chunk.copy_from_slice(&word.to_be_bytes());
        }
        out
    }
}

/// Hashes whole blocks, a batch at a time (one call per batch rather than
/// per block).
fn compress_blocks(state: &mut [u32; 8], data: &[u8]) {
    const BATCH: usize = 64;
    let mut batch = [GenericArray::default(); BATCH];
    for chunk in data.chunks(BATCH * BLOCK) {
        let count = chunk.len() / BLOCK;
        for (slot, block) in batch.iter_mut().zip(chunk.chunks_exact(BLOCK)) {
            slot.copy_from_slice(block);
        }
        sha2::compress256(state, &batch[..count]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sha2::{Digest, Sha256};

    #[test]
    fn equals_sha256_when_split_saved_and_resumed_anywhere() {
        let data: Vec<u8> = (0..1000u32).map(|i| (i * 7 + i / 13) as u8).collect();
        for length in [0, 1, 55, 56, 63, 64, 65, 119, 128, 500, 1000] {
            let data = &data[..length];
            let expected: [u8; 32] = Sha256::digest(data).into();
            for cut in [
                0,
                1,
                length / 3,
                length / 2,
                length.saturating_sub(1),
                length,
            ] {
                let cut = cut.min(length);
                let mut first = Sha256Stream::new();
                first.update(&data[..cut]);
                let saved = first.save();
                assert!(Sha256Stream::can_resume(&saved));
                let mut second = Sha256Stream::resume(&saved);
                second.update(&data[cut..]);
                assert_eq!(second.finalize(), expected, "{length} cut at {cut}");
                first.update(&data[cut..]);
                assert_eq!(first.finalize(), expected, "{length} cut at {cut}");
            }
        }
    }
}
