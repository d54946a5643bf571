//! One seeded random stream per named component, derived from the run's master seed by a stable
//! hash, so adding a component never shifts another's draws. The generator is pinned
//! (`rand_pcg::Pcg64Mcg`), so a stream is the same on every platform and every run.

use rand::Rng;
use rand_pcg::Pcg64Mcg;

/// The streams of one run.
#[derive(Debug, Clone, Copy)]
pub struct RngStreams {
    master: u64,
}

/// A component's random stream.
#[derive(Debug, Clone)]
pub struct Stream(Pcg64Mcg);

/// FNV-1a 64-bit hash: stable across platforms and versions.
pub fn fnv1a(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in bytes {
        h ^= b as u64;
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

fn splitmix(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 31)
}

impl RngStreams {
    /// Streams derived from `master`.
    pub fn new(master: u64) -> Self {
        RngStreams { master }
    }
    /// The stream named `name` (e.g. `placement`, `workload/inflate`).
    pub fn stream(&self, name: &str) -> Stream {
        let a = splitmix(self.master ^ fnv1a(name.as_bytes()));
        let b = splitmix(a ^ 0x5851_f42d_4c95_7f2d);
        Stream(Pcg64Mcg::new(((a as u128) << 64) | b as u128 | 1))
    }
}

impl Stream {
    /// A uniform integer in `0..n` (`n > 0`), by rejection so there is no modulo bias.
    pub fn below(&mut self, n: u64) -> u64 {
        assert!(n > 0, "below(0)");
        let zone = u64::MAX - (u64::MAX % n);
        loop {
            let v = self.0.next_u64();
            if v < zone {
                return v % n;
            }
        }
    }
}

impl crate::core::RandomSource for Stream {
    fn next_u64(&mut self) -> u64 {
        self.0.next_u64()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::RandomSource;

    const PINNED: u64 = 17_698_260_109_238_885_774;

    #[test]
    fn streams_are_independent_and_reproducible() {
        let s = RngStreams::new(42);
        let a1: Vec<u64> = (0..4)
            .map({
                let mut r = s.stream("placement");
                move |_| r.next_u64()
            })
            .collect();
        let a2: Vec<u64> = (0..4)
            .map({
                let mut r = RngStreams::new(42).stream("placement");
                move |_| r.next_u64()
            })
            .collect();
        assert_eq!(a1, a2);
        let b = s.stream("workload/inflate").next_u64();
        assert_ne!(a1[0], b);
        assert_ne!(RngStreams::new(43).stream("placement").next_u64(), a1[0]);
        // Pinned value: a change of generator or seed derivation shows up here (and would change
        // every shipped result).
        assert_eq!(RngStreams::new(42).stream("workload/inflate").next_u64(), PINNED);
    }
}
