//! MD5 (RFC 1321) and the `implantisomd5` media-check record that anaconda's
//! "Test this media" (`checkisomd5`) verifies.
//!
//! The record lives in the 512-byte application-use field of the primary
//! volume descriptor (byte 883 of sector 16). The checksum covers the image
//! from byte 0 up to the volume size minus 15 sectors, with that field read
//! as spaces, so it can be computed while the image streams out (the writer
//! emits spaces there) and patched in afterwards.

use std::sync::OnceLock;

/// Streaming MD5.
#[derive(Clone)]
pub(crate) struct Md5 {
    state: [u32; 4],
    block: [u8; 64],
    fill: usize,
    length: u64,
}

fn sines() -> &'static [u32; 64] {
    static TABLE: OnceLock<[u32; 64]> = OnceLock::new();
    TABLE.get_or_init(|| {
        // RFC 1321 3.4: T[i] = floor(2^32 * |sin(i)|), i = 1..=64 (exact in f64).
        let mut t = [0u32; 64];
        for (i, v) in t.iter_mut().enumerate() {
            *v = ((i as f64 + 1.0).sin().abs() * 4_294_967_296.0) as u32;
        }
        t
    })
}

impl Md5 {
    pub(crate) fn new() -> Self {
        Md5 {
            state: [0x6745_2301, 0xefcd_ab89, 0x98ba_dcfe, 0x1032_5476],
            block: [0; 64],
            fill: 0,
            length: 0,
        }
    }

    pub(crate) fn update(&mut self, mut data: &[u8]) {
        self.length = self.length.wrapping_add(data.len() as u64);
        if self.fill > 0 {
            let take = (64 - self.fill).min(data.len());
            self.block[self.fill..self.fill + take].copy_from_slice(&data[..take]);
            self.fill += take;
            data = &data[take..];
            if self.fill < 64 {
                return;
            }
            let block = self.block;
            self.compress(&block);
            self.fill = 0;
        }
        let mut chunks = data.chunks_exact(64);
        for chunk in &mut chunks {
            self.compress(chunk.try_into().expect("64-byte chunk"));
        }
        let rest = chunks.remainder();
        self.block[..rest.len()].copy_from_slice(rest);
        self.fill = rest.len();
    }

    pub(crate) fn finalize(mut self) -> [u8; 16] {
        let bits = self.length.wrapping_mul(8);
        let mut pad = vec![0x80u8];
        let used = (self.fill + 1) % 64;
        let zeros = if used <= 56 { 56 - used } else { 120 - used };
        pad.extend(std::iter::repeat_n(0u8, zeros));
        pad.extend_from_slice(&bits.to_le_bytes());
        let keep = self.length;
        self.update(&pad);
        self.length = keep;
        debug_assert_eq!(self.fill, 0);
        let mut out = [0u8; 16];
        for (i, word) in self.state.iter().enumerate() {
            out[i * 4..i * 4 + 4].copy_from_slice(&word.to_le_bytes());
        }
        out
    }

    fn compress(&mut self, block: &[u8; 64]) {
        let t = sines();
        let mut m = [0u32; 16];
        for (i, word) in m.iter_mut().enumerate() {
            *word = u32::from_le_bytes(block[i * 4..i * 4 + 4].try_into().unwrap());
        }
        let [mut a, mut b, mut c, mut d] = self.state;
        // The four round functions of RFC 1321.
        macro_rules! step {
            (@ f $b:ident $c:ident $d:ident) => { ($b & $c) | (!$b & $d) };
            (@ g $b:ident $c:ident $d:ident) => { ($b & $d) | ($c & !$d) };
            (@ h $b:ident $c:ident $d:ident) => { $b ^ $c ^ $d };
            (@ i $b:ident $c:ident $d:ident) => { $c ^ ($b | !$d) };
            ($fun:tt, $a:ident, $b:ident, $c:ident, $d:ident, $g:expr, $k:expr, $s:expr) => {
                $a = $b.wrapping_add(
                    $a.wrapping_add(step!(@ $fun $b $c $d)).wrapping_add(m[$g]).wrapping_add(t[$k]).rotate_left($s),
                );
            };
        }
        step!(f, a, b, c, d, 0, 0, 7);
        step!(f, d, a, b, c, 1, 1, 12);
        step!(f, c, d, a, b, 2, 2, 17);
        step!(f, b, c, d, a, 3, 3, 22);
        step!(f, a, b, c, d, 4, 4, 7);
        step!(f, d, a, b, c, 5, 5, 12);
        step!(f, c, d, a, b, 6, 6, 17);
        step!(f, b, c, d, a, 7, 7, 22);
        step!(f, a, b, c, d, 8, 8, 7);
        step!(f, d, a, b, c, 9, 9, 12);
        step!(f, c, d, a, b, 10, 10, 17);
        step!(f, b, c, d, a, 11, 11, 22);
        step!(f, a, b, c, d, 12, 12, 7);
        step!(f, d, a, b, c, 13, 13, 12);
        step!(f, c, d, a, b, 14, 14, 17);
        step!(f, b, c, d, a, 15, 15, 22);
        step!(g, a, b, c, d, 1, 16, 5);
        step!(g, d, a, b, c, 6, 17, 9);
        step!(g, c, d, a, b, 11, 18, 14);
        step!(g, b, c, d, a, 0, 19, 20);
        step!(g, a, b, c, d, 5, 20, 5);
        step!(g, d, a, b, c, 10, 21, 9);
        step!(g, c, d, a, b, 15, 22, 14);
        step!(g, b, c, d, a, 4, 23, 20);
        step!(g, a, b, c, d, 9, 24, 5);
        step!(g, d, a, b, c, 14, 25, 9);
        step!(g, c, d, a, b, 3, 26, 14);
        step!(g, b, c, d, a, 8, 27, 20);
        step!(g, a, b, c, d, 13, 28, 5);
        step!(g, d, a, b, c, 2, 29, 9);
        step!(g, c, d, a, b, 7, 30, 14);
        step!(g, b, c, d, a, 12, 31, 20);
        step!(h, a, b, c, d, 5, 32, 4);
        step!(h, d, a, b, c, 8, 33, 11);
        step!(h, c, d, a, b, 11, 34, 16);
        step!(h, b, c, d, a, 14, 35, 23);
        step!(h, a, b, c, d, 1, 36, 4);
        step!(h, d, a, b, c, 4, 37, 11);
        step!(h, c, d, a, b, 7, 38, 16);
        step!(h, b, c, d, a, 10, 39, 23);
        step!(h, a, b, c, d, 13, 40, 4);
        step!(h, d, a, b, c, 0, 41, 11);
        step!(h, c, d, a, b, 3, 42, 16);
        step!(h, b, c, d, a, 6, 43, 23);
        step!(h, a, b, c, d, 9, 44, 4);
        step!(h, d, a, b, c, 12, 45, 11);
        step!(h, c, d, a, b, 15, 46, 16);
        step!(h, b, c, d, a, 2, 47, 23);
        step!(i, a, b, c, d, 0, 48, 6);
        step!(i, d, a, b, c, 7, 49, 10);
        step!(i, c, d, a, b, 14, 50, 15);
        step!(i, b, c, d, a, 5, 51, 21);
        step!(i, a, b, c, d, 12, 52, 6);
        step!(i, d, a, b, c, 3, 53, 10);
        step!(i, c, d, a, b, 10, 54, 15);
        step!(i, b, c, d, a, 1, 55, 21);
        step!(i, a, b, c, d, 8, 56, 6);
        step!(i, d, a, b, c, 15, 57, 10);
        step!(i, c, d, a, b, 6, 58, 15);
        step!(i, b, c, d, a, 13, 59, 21);
        step!(i, a, b, c, d, 4, 60, 6);
        step!(i, d, a, b, c, 11, 61, 10);
        step!(i, c, d, a, b, 2, 62, 15);
        step!(i, b, c, d, a, 9, 63, 21);
        self.state[0] = self.state[0].wrapping_add(a);
        self.state[1] = self.state[1].wrapping_add(b);
        self.state[2] = self.state[2].wrapping_add(c);
        self.state[3] = self.state[3].wrapping_add(d);
    }
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Offset of the application-use field inside the primary volume descriptor.
pub(crate) const APPDATA_OFFSET: usize = 883;
pub(crate) const APPDATA_SIZE: usize = 512;
/// Sectors at the end of the volume left out of the sum (burned-CD read-out problems).
const SKIP_SECTORS: u64 = 15;
const FRAGMENT_COUNT: u64 = 20;
const FRAGMENT_CHARS: usize = 3; // 60 characters / 20 fragments
/// checkisomd5 reads and hashes the image in pieces of this size; the
/// fragment sums are taken at these piece boundaries.
const PIECE: u64 = 32_768;

/// Computes the `implantisomd5` record while the image is written.
pub(crate) struct ImplantMd5 {
    total: u64,
    pos: u64,
    md5: Md5,
    previous_fragment: u64,
    fragments: [u8; 60],
}

impl ImplantMd5 {
    /// `volume_bytes` is the volume space size recorded in the primary volume descriptor.
    pub(crate) fn new(volume_bytes: u64) -> Self {
        ImplantMd5 {
            total: volume_bytes.saturating_sub(SKIP_SECTORS * 2048),
            pos: 0,
            md5: Md5::new(),
            previous_fragment: 0,
            fragments: [b'0'; 60],
        }
    }

    /// Feeds the next bytes of the image (in order, from byte 0).
    pub(crate) fn update(&mut self, mut data: &[u8]) {
        while !data.is_empty() && self.pos < self.total {
            let piece_start = self.pos / PIECE * PIECE;
            let piece_end = (piece_start + PIECE).min(self.total);
            let take = ((piece_end - self.pos) as usize).min(data.len());
            self.md5.update(&data[..take]);
            self.pos += take as u64;
            data = &data[take..];
            if self.pos == piece_end {
                // Same arithmetic as the checker: the fragment index of a piece is
                // taken from its start offset, after the piece has been hashed.
                let fragment = piece_start * (FRAGMENT_COUNT + 1) / self.total;
                if fragment != self.previous_fragment {
                    let digest = self.md5.clone().finalize();
                    let at = (fragment as usize - 1) * FRAGMENT_CHARS;
                    for (i, byte) in digest.iter().take(FRAGMENT_CHARS).enumerate() {
                        // First character of the byte's hex form without leading zeros.
                        let text = format!("{byte:x}");
                        if at + i < self.fragments.len() {
                            self.fragments[at + i] = text.as_bytes()[0];
                        }
                    }
                    self.previous_fragment = fragment;
                }
            }
        }
    }

    /// The 512-byte application-use field to patch into the primary volume descriptor.
    pub(crate) fn finish(self) -> ([u8; APPDATA_SIZE], String) {
        let sum = hex(&self.md5.finalize());
        let text = format!(
            "ISO MD5SUM = {sum};SKIPSECTORS = {SKIP_SECTORS};RHLISOSTATUS=0;FRAGMENT SUMS = {};FRAGMENT COUNT = {FRAGMENT_COUNT};THIS IS NOT THE SAME AS RUNNING MD5SUM ON THIS ISO!!",
            String::from_utf8_lossy(&self.fragments)
        );
        let mut out = [b' '; APPDATA_SIZE];
        out[..text.len()].copy_from_slice(text.as_bytes());
        (out, sum)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn md5_hex(data: &[u8]) -> String {
        let mut m = Md5::new();
        m.update(data);
        hex(&m.finalize())
    }

    #[test]
    fn rfc1321_vectors() {
        assert_eq!(md5_hex(b""), "d41d8cd98f00b204e9800998ecf8427e");
        assert_eq!(md5_hex(b"abc"), "900150983cd24fb0d6963f7d28e17f72");
        assert_eq!(
            md5_hex(b"message digest"),
            "f96b697d7cb7938d525a2f31aaf161d0"
        );
        assert_eq!(
            md5_hex(
                b"12345678901234567890123456789012345678901234567890123456789012345678901234567890"
            ),
            "57edf4a22be3c955ac49da2e2107b67a"
        );
    }

    #[test]
    fn split_updates_match_one_shot() {
        let data: Vec<u8> = (0..10_000u32).map(|i| (i * 7 + i / 13) as u8).collect();
        let mut m = Md5::new();
        for piece in data.chunks(37) {
            m.update(piece);
        }
        assert_eq!(hex(&m.finalize()), md5_hex(&data));
    }
}
