//! Secret-key bytes at rest: a magic, a version and a checksum around the 40 bytes that are the
//! whole secret (key generation is deterministic from the seed and the slot range), so a changed
//! byte is caught before a key is rebuilt from it. The checksum (SHA3-256) is for integrity, not
//! secrecy: encryption under a passphrase is the key file's job (`src/keys/keyfile.ts`).
//!
//! Layout (77 bytes): `LAGK`, version 1, seed (32), first slot, last slot (u32 little-endian),
//! SHA3-256 of everything before it (32). The unversioned 40-byte form of earlier releases is
//! still read (it has no checksum), never written.

use sha3::{Digest, Sha3_256};

use leanagg_core::error::{err, ErrorCode, Result};

pub const MAGIC: &[u8; 4] = b"LAGK";
pub const VERSION: u8 = 1;
const BODY: usize = 40;
pub const KEY_BYTES: usize = MAGIC.len() + 1 + BODY + 32;
pub const LEGACY_KEY_BYTES: usize = BODY;

/// The parts of a secret key that are its secret.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeyParts {
    pub seed: [u8; 32],
    pub first_slot: u32,
    pub last_slot: u32,
}

fn body(p: &KeyParts) -> Vec<u8> {
    let mut out = p.seed.to_vec();
    out.extend_from_slice(&p.first_slot.to_le_bytes());
    out.extend_from_slice(&p.last_slot.to_le_bytes());
    out
}

pub fn encode(p: &KeyParts) -> Vec<u8> {
    let mut out = MAGIC.to_vec();
    out.push(VERSION);
    out.extend_from_slice(&body(p));
    let sum = Sha3_256::digest(&out);
    out.extend_from_slice(&sum);
    out
}

fn parts(b: &[u8]) -> KeyParts {
    KeyParts {
        seed: b[..32].try_into().unwrap(),
        first_slot: u32::from_le_bytes(b[32..36].try_into().unwrap()),
        last_slot: u32::from_le_bytes(b[36..40].try_into().unwrap()),
    }
}

pub fn decode(b: &[u8]) -> Result<KeyParts> {
    if b.len() == LEGACY_KEY_BYTES {
        // A versioned key cut to 40 bytes is not an old key whose seed starts with the magic.
        if b[..4] == *MAGIC && b[4] == VERSION {
            return Err(err(
                ErrorCode::KeyCorrupted,
                "secret key bytes: a versioned key cut short",
            ));
        }
        return Ok(parts(b));
    }
    if b.len() != KEY_BYTES {
        return Err(err(
            ErrorCode::InvalidLength,
            format!(
                "secret key bytes must be {KEY_BYTES} bytes (or {LEGACY_KEY_BYTES} of the unversioned form), got {}",
                b.len()
            ),
        ));
    }
    if &b[..4] != MAGIC {
        return Err(err(
            ErrorCode::KeyCorrupted,
            "secret key bytes: not a leanagg key (magic)",
        ));
    }
    let (head, sum) = b.split_at(KEY_BYTES - 32);
    if Sha3_256::digest(head).as_slice() != sum {
        return Err(err(
            ErrorCode::KeyCorrupted,
            "secret key bytes: checksum mismatch (the bytes were changed)",
        ));
    }
    if b[4] != VERSION {
        return Err(err(
            ErrorCode::InvalidEncoding,
            format!(
                "secret key bytes: version {} is not known to this leanagg (it reads {VERSION})",
                b[4]
            ),
        ));
    }
    Ok(parts(&b[5..5 + BODY]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_every_flipped_byte_is_refused() {
        let p = KeyParts {
            seed: [7; 32],
            first_slot: 3,
            last_slot: 1023,
        };
        let b = encode(&p);
        assert_eq!(b.len(), KEY_BYTES);
        assert_eq!(decode(&b).unwrap(), p);
        assert_eq!(decode(&body(&p)).unwrap(), p, "the 40-byte form still reads");
        assert_eq!(
            decode(&b[..LEGACY_KEY_BYTES]).unwrap_err().code,
            ErrorCode::KeyCorrupted
        );
        for i in 0..b.len() {
            let mut c = b.clone();
            c[i] ^= 0x10;
            let e = decode(&c).unwrap_err();
            assert_eq!(e.code, ErrorCode::KeyCorrupted, "byte {i}");
        }
    }
}
