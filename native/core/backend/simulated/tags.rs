//! The simulated backend's "cryptography": Keccak tags anyone can forge. Keys, signatures and
//! proofs are tags over what they claim.

use sha3::{Digest, Keccak256};

use crate::types::*;

pub fn keccak(parts: &[&[u8]]) -> [u8; 32] {
    let mut h = Keccak256::new();
    for p in parts {
        h.update(p);
    }
    h.finalize().into()
}

pub fn fields_bytes(fields: &[u32]) -> Vec<u8> {
    let mut out = Vec::with_capacity(fields.len() * 4);
    encode_fields(fields, &mut out);
    out
}

/// `count` canonical field elements expanded from `tag` (counter-mode Keccak, values < 2^24).
pub fn expand_fields(tag: &[u8; 32], count: usize) -> Vec<u32> {
    (0..count.div_ceil(8))
        .flat_map(|block| {
            let h = keccak(&[tag, &(block as u32).to_le_bytes()]);
            (0..8).map(move |i| u32::from_le_bytes(h[i * 4..][..4].try_into().unwrap()) >> 8)
        })
        .take(count)
        .collect()
}

/// A type-1 proof: the tag of its claim.
pub fn info_tag(info: &AggregateInfo) -> [u8; 32] {
    let signers: Vec<u8> = info.signers.iter().flat_map(|pk| pk.0).collect();
    keccak(&[
        b"leanagg-sim-agg",
        &fields_bytes(&info.message),
        &info.slot.to_le_bytes(),
        &signers,
    ])
}

/// A merged proof's outer tag, over its components' tags.
pub fn merged_tag(tags: &[[u8; 32]]) -> [u8; 32] {
    let flat: Vec<u8> = tags.iter().flatten().copied().collect();
    keccak(&[b"leanagg-sim-merged", &flat])
}

pub fn public_key(seed: &[u8; 32]) -> PublicKey {
    let tag = keccak(&[b"leanagg-sim-key", seed]);
    PublicKey(fields_bytes(&expand_fields(&tag, 8)).try_into().unwrap())
}

pub fn signature(key: &PublicKey, message: &MessageFields, slot: u32) -> Signature {
    let tag = keccak(&[b"leanagg-sim-sig", &key.0, &fields_bytes(message), &slot.to_le_bytes()]);
    Signature(fields_bytes(&expand_fields(&tag, SIGNATURE_FIELDS)))
}
