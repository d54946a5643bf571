//! A fast, deterministic hasher for the core's lookup tables (pod ids, pod shapes, memo keys).
//!
//! The standard `HashMap` hashes with SipHash, built to resist keys chosen by an adversary; the
//! core's keys are the caller's own ids and shapes, and its tables sit on the placement hot path.
//! This hasher folds each 64-bit word into the state with a rotate, xor and one multiply (the
//! scheme of the Firefox and rustc hashers). It is not keyed, so it gives the same hashes on every
//! run; no table built with it is iterated where the order could reach an output.

use std::hash::{BuildHasherDefault, Hasher};

/// The multiplier: 2^64 divided by the golden ratio, odd.
const K: u64 = 0x9E37_79B9_7F4A_7C15;

/// See the module docs.
#[derive(Debug, Clone, Copy, Default)]
pub struct FastHasher(u64);

impl FastHasher {
    #[inline]
    fn add(&mut self, word: u64) {
        self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(K);
    }
}

impl Hasher for FastHasher {
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            self.add(u64::from_le_bytes(c.try_into().expect("chunks of 8")));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut w = [0u8; 8];
            w[..rest.len()].copy_from_slice(rest);
            self.add(u64::from_le_bytes(w) ^ ((rest.len() as u64) << 59));
        }
    }
    #[inline]
    fn write_u8(&mut self, x: u8) {
        self.add(x as u64);
    }
    #[inline]
    fn write_u32(&mut self, x: u32) {
        self.add(x as u64);
    }
    #[inline]
    fn write_u64(&mut self, x: u64) {
        self.add(x);
    }
    #[inline]
    fn write_usize(&mut self, x: usize) {
        self.add(x as u64);
    }
    #[inline]
    fn finish(&self) -> u64 {
        // The multiply leaves the high bits best mixed; tables index by the low bits.
        self.0.rotate_left(26)
    }
}

/// Builds [`FastHasher`]s, for `HashMap<K, V, FastBuild>`.
pub type FastBuild = BuildHasherDefault<FastHasher>;

#[cfg(test)]
mod tests {
    use super::*;
    use std::hash::{BuildHasher, Hash};

    fn h<T: Hash>(x: T) -> u64 {
        FastBuild::default().hash_one(x)
    }

    #[test]
    fn equal_keys_hash_alike_and_near_keys_apart() {
        assert_eq!(h((3u64, "V100")), h((3u64, "V100")));
        assert_ne!(h(1u64), h(2u64));
        assert_ne!(h("ab"), h("ba"));
        assert_ne!(h(("a", "bc")), h(("ab", "c")), "str hashing is prefix-free");
        // Sequential ids land in distinct low-bit buckets of a 1024-slot table.
        let mut seen = std::collections::BTreeSet::new();
        for i in 0..1024u64 {
            seen.insert(h(i) & 1023);
        }
        assert!(seen.len() > 600, "only {} distinct buckets", seen.len());
    }
}
