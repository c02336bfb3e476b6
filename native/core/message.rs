//! From a 32-byte message (an attestation-data root) to the prover's 8 field elements.
//!
//! 8 KoalaBear elements hold under 248 bits, so no injective encoding of 32 bytes exists. We
//! follow what later upstream revisions (leanVM `xmss::hash_message`) do:
//! 1. `encode_message`: read the bytes as one little-endian 256-bit integer and write it in base
//!    p, least significant digit first: 9 canonical elements, injective, nothing reduced.
//! 2. hash `[1004, digits(9), 0 x 6]` with one Poseidon1-16 compression to 8 elements. The
//!    domain tag 1004 cannot collide with an XMSS tweak. The real backend does this step with
//!    upstream's Poseidon; the simulated backend uses a Keccak stand-in (see `simulated.rs`).

use crate::types::FIELD_MODULUS;

pub const MESSAGE_EMBEDDING_FIELDS: usize = 9;
pub const MESSAGE_HASH_DOMAIN_TAG: u32 = 1004;

/// Base-p digits of the little-endian 256-bit integer `bytes`, least significant first.
pub fn encode_message(bytes: &[u8; 32]) -> [u32; MESSAGE_EMBEDDING_FIELDS] {
    // Eight 32-bit limbs, most significant first, for schoolbook long division by p.
    let mut limbs: [u32; 8] =
        std::array::from_fn(|i| u32::from_le_bytes(bytes[(7 - i) * 4..][..4].try_into().unwrap()));
    let p = FIELD_MODULUS as u64;
    let mut digits = [0u32; MESSAGE_EMBEDDING_FIELDS];
    for digit in digits.iter_mut() {
        let mut rem = 0u64;
        for limb in limbs.iter_mut() {
            let cur = (rem << 32) | *limb as u64;
            *limb = (cur / p) as u32;
            rem = cur % p;
        }
        *digit = rem as u32;
    }
    debug_assert!(limbs.iter().all(|&l| l == 0), "2^256 < p^9");
    digits
}

/// The 16-element input of the message hash: `[tag, digits(9), 0 x 6]`.
pub fn message_hash_input(bytes: &[u8; 32]) -> [u32; 16] {
    let mut input = [0u32; 16];
    input[0] = MESSAGE_HASH_DOMAIN_TAG;
    input[1..1 + MESSAGE_EMBEDDING_FIELDS].copy_from_slice(&encode_message(bytes));
    input
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Recombine digits (sum d_i * p^i) into 32 little-endian bytes.
    fn recombine(digits: &[u32; MESSAGE_EMBEDDING_FIELDS]) -> [u8; 32] {
        let mut acc = [0u64; 9]; // little-endian 32-bit limbs in u64 cells
        for &d in digits.iter().rev() {
            let mut carry = d as u64;
            for cell in acc.iter_mut() {
                let v = *cell * FIELD_MODULUS as u64 + carry;
                *cell = v & 0xffff_ffff;
                carry = v >> 32;
            }
            assert_eq!(carry, 0);
        }
        assert_eq!(acc[8], 0, "value exceeds 256 bits");
        let mut out = [0u8; 32];
        for i in 0..8 {
            out[i * 4..][..4].copy_from_slice(&(acc[i] as u32).to_le_bytes());
        }
        out
    }

    #[test]
    fn digits_are_canonical_and_round_trip() {
        let mut cases = vec![[0u8; 32], [0xffu8; 32], std::array::from_fn(|i| i as u8)];
        let mut x = 0x9e37_79b9_7f4a_7c15u64;
        for _ in 0..200 {
            cases.push(std::array::from_fn(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                x as u8
            }));
        }
        for bytes in cases {
            let digits = encode_message(&bytes);
            assert!(digits.iter().all(|&d| d < FIELD_MODULUS));
            assert_eq!(recombine(&digits), bytes);
        }
    }

    #[test]
    fn known_vector_bytes_0_to_31() {
        // Vector from upstream's later `encode_message` tests (bytes 0..=31).
        let bytes: [u8; 32] = std::array::from_fn(|i| i as u8);
        let digits = encode_message(&bytes);
        assert_eq!(digits[0], 158_200_685);
        assert_eq!(digits[1], 22_817_125);
        assert_eq!(digits[7], 282_695_284);
        assert_eq!(digits[8], 33);
    }

    #[test]
    fn zero_and_small_values() {
        assert_eq!(encode_message(&[0; 32]), [0; 9]);
        let mut one = [0u8; 32];
        one[0] = 1;
        assert_eq!(encode_message(&one), [1, 0, 0, 0, 0, 0, 0, 0, 0]);
        let p = FIELD_MODULUS.to_le_bytes();
        let mut pb = [0u8; 32];
        pb[..4].copy_from_slice(&p);
        assert_eq!(encode_message(&pb), [0, 1, 0, 0, 0, 0, 0, 0, 0]);
    }

    #[test]
    fn hash_input_layout() {
        let input = message_hash_input(&[7; 32]);
        assert_eq!(input[0], 1004);
        assert_eq!(&input[1..10], &encode_message(&[7; 32]));
        assert!(input[10..].iter().all(|&v| v == 0));
    }
}
