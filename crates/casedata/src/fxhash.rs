//! A fast, non-cryptographic hasher for the hot lookups of ingest (person ids and service codes
//! per row). It is the multiply-rotate hash used inside rustc (FxHash); the keys come from the
//! user's own files, so resistance to crafted collisions is not needed here.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

const SEED: u64 = 0x51_7c_c1_b7_27_22_0a_95;

/// FxHash.
#[derive(Default, Clone, Copy)]
pub struct FxHasher {
    hash: u64,
}

impl FxHasher {
    #[inline]
    fn add(&mut self, word: u64) {
        self.hash = (self.hash.rotate_left(5) ^ word).wrapping_mul(SEED);
    }
}

impl Hasher for FxHasher {
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            self.add(u64::from_le_bytes([
                c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7],
            ]));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut buf = [0u8; 8];
            buf[..rest.len()].copy_from_slice(rest);
            self.add(u64::from_le_bytes(buf));
        }
    }
    #[inline]
    fn write_u8(&mut self, i: u8) {
        self.add(i as u64);
    }
    #[inline]
    fn write_u32(&mut self, i: u32) {
        self.add(i as u64);
    }
    #[inline]
    fn write_u64(&mut self, i: u64) {
        self.add(i);
    }
    #[inline]
    fn write_i64(&mut self, i: i64) {
        self.add(i as u64);
    }
    #[inline]
    fn write_usize(&mut self, i: usize) {
        self.add(i as u64);
    }
    #[inline]
    fn finish(&self) -> u64 {
        // The multiply leaves the low bits, which pick the bucket, depending only on the low
        // bits of the input; rotating brings the well-mixed high bits down (as rustc-hash 2).
        self.hash.rotate_left(26)
    }
}

/// A hash map with [`FxHasher`].
pub type FxMap<K, V> = HashMap<K, V, BuildHasherDefault<FxHasher>>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distinguishes_keys_and_is_deterministic() {
        let mut m: FxMap<String, u32> = FxMap::default();
        for i in 0..10_000u32 {
            m.insert(format!("S{i:06}"), i);
        }
        assert_eq!(m.len(), 10_000);
        assert_eq!(m.get("S000123"), Some(&123));
        let h = |s: &str| {
            let mut x = FxHasher::default();
            x.write(s.as_bytes());
            x.finish()
        };
        assert_eq!(h("5.28.22"), h("5.28.22"));
        assert_ne!(h("5.28.22"), h("5.28.23"));
        // Keys that differ only in their high bits still spread over the buckets.
        let mut low = std::collections::HashSet::new();
        for p in 0..1024u64 {
            let mut x = FxHasher::default();
            x.write_u64(p << 32 | 2021 << 4 | 3);
            low.insert(x.finish() & 1023);
        }
        assert!(low.len() > 500, "{} distinct bucket indices", low.len());
    }
}
