//! The seeded generator behind `random_get`.
//!
//! xoshiro256** seeded through splitmix64: fast, well distributed, and fully
//! determined by one `u64`, which a recording stores so a replay reads the same
//! "random" bytes. It is not cryptographically secure, and need not be: nothing
//! secret is made from it in a local emulator, and a guest that needs real secrets
//! would get them from a binding, not from WASI.

/// A deterministic random byte source.
#[derive(Debug, Clone)]
pub struct SeededRng {
    state: [u64; 4],
}

impl SeededRng {
    /// A generator whose every output follows from `seed`.
    pub fn new(seed: u64) -> SeededRng {
        let mut sm = seed;
        let mut next = || {
            sm = sm.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = sm;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            z ^ (z >> 31)
        };
        SeededRng {
            state: [next(), next(), next(), next()],
        }
    }

    fn next_u64(&mut self) -> u64 {
        let s = &mut self.state;
        let result = s[1].wrapping_mul(5).rotate_left(7).wrapping_mul(9);
        let t = s[1] << 17;
        s[2] ^= s[0];
        s[3] ^= s[1];
        s[1] ^= s[2];
        s[0] ^= s[3];
        s[2] ^= t;
        s[3] = s[3].rotate_left(45);
        result
    }

    /// Fills `buf` with the next bytes of the stream.
    pub fn fill(&mut self, buf: &mut [u8]) {
        for chunk in buf.chunks_mut(8) {
            let bytes = self.next_u64().to_le_bytes();
            chunk.copy_from_slice(&bytes[..chunk.len()]);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_seed_gives_the_same_bytes_and_another_seed_does_not() {
        let (mut a, mut b, mut c) = ([0u8; 37], [0u8; 37], [0u8; 37]);
        SeededRng::new(7).fill(&mut a);
        SeededRng::new(7).fill(&mut b);
        SeededRng::new(8).fill(&mut c);
        assert_eq!(a, b);
        assert_ne!(a, c);
        assert!(a.iter().any(|&x| x != 0));
    }
}
