//! Backend-neutral values. Keys, signatures and messages cross the boundary as fixed-size bytes;
//! secret keys and proofs stay in Rust behind `Arc`s and are only read after creation.

use std::any::Any;
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use sha3::Digest;

use crate::error::{err, ErrorCode, Result};

pub const MESSAGE_BYTES: usize = 32;
/// The prover signs 8 KoalaBear field elements (see `message.rs` for the 32-byte mapping).
pub const MESSAGE_FIELDS: usize = 8;
/// A public key is 8 field elements (Merkle root 4 + public parameter 4), 4 bytes each.
pub const PUBLIC_KEY_BYTES: usize = 32;
/// WOTS randomness 6 + 42 chain tips x 4 + 32 Merkle siblings x 4 = 302 field elements.
pub const SIGNATURE_FIELDS: usize = 302;
pub const SIGNATURE_BYTES: usize = SIGNATURE_FIELDS * 4;
/// leanMultisig's limits at the pinned revision.
pub const MAX_CHILDREN: usize = 16;
pub const MAX_MERGE: usize = 16;
pub const MAX_SIGNERS: usize = 1 << 15;
/// Raw signers plus children's signers of one group (before the union removes repeats).
pub const MAX_GROUP_SIGNERS: usize = 2 * MAX_SIGNERS;
pub const LOG_INV_RATE_RANGE: std::ops::RangeInclusive<u32> = 1..=4;
pub const DEFAULT_LOG_INV_RATE: u32 = 2;
/// A key's Merkle tree holds about two 16-byte digests (4 field elements) per slot of its range:
/// a leaf and its share of the inner nodes.
pub const KEY_TREE_BYTES_PER_SLOT: u64 = 32;
/// Key generation builds the whole Merkle tree for the range: cap it so a typo cannot exhaust
/// memory (2^20 slots is about 32 MiB of tree and a few minutes on 2 cores).
pub const MAX_KEY_SLOTS: u64 = 1 << 20;
/// KoalaBear modulus: 2^31 - 2^24 + 1.
pub const FIELD_MODULUS: u32 = 0x7f00_0001;

pub type MessageFields = [u32; MESSAGE_FIELDS];

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum BackendKind {
    Simulated,
    LeanMultisig,
}

impl BackendKind {
    pub fn as_str(self) -> &'static str {
        match self {
            BackendKind::Simulated => "simulated",
            BackendKind::LeanMultisig => "lean-multisig",
        }
    }
}

/// Field elements are encoded as 4-byte little-endian canonical integers (< p), the layout of
/// upstream's later SSZ encoding; a non-canonical value is rejected, never reduced.
pub fn decode_fields<const N: usize>(bytes: &[u8], what: &str) -> Result<[u32; N]> {
    if bytes.len() != N * 4 {
        return Err(err(
            ErrorCode::InvalidLength,
            format!("{what} must be {} bytes, got {}", N * 4, bytes.len()),
        ));
    }
    let mut out = [0u32; N];
    for (i, chunk) in bytes.chunks_exact(4).enumerate() {
        let v = u32::from_le_bytes(chunk.try_into().unwrap());
        if v >= FIELD_MODULUS {
            return Err(err(
                ErrorCode::InvalidEncoding,
                format!("{what}: element {i} is not a canonical field element"),
            ));
        }
        out[i] = v;
    }
    Ok(out)
}

pub fn encode_fields(fields: &[u32], out: &mut Vec<u8>) {
    for f in fields {
        out.extend_from_slice(&f.to_le_bytes());
    }
}

/// Public key bytes: Merkle root (4 elements) then public parameter (4 elements). Ordered like
/// the prover orders keys: by field elements, not by bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct PublicKey(pub [u8; PUBLIC_KEY_BYTES]);

impl Ord for PublicKey {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.fields().cmp(&other.fields())
    }
}

impl PartialOrd for PublicKey {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl PublicKey {
    pub fn from_bytes(bytes: &[u8]) -> Result<Self> {
        decode_fields::<8>(bytes, "public key")?;
        Ok(PublicKey(bytes.try_into().unwrap()))
    }

    pub fn fields(&self) -> [u32; 8] {
        decode_fields::<8>(&self.0, "public key").expect("validated at construction")
    }
}

/// Signature bytes: 42 WOTS chain tips (4 elements each), the WOTS randomness (6 elements), then
/// 32 Merkle siblings (4 elements each), as in upstream's later SSZ encoding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signature(pub Vec<u8>);

impl Signature {
    pub fn from_bytes(bytes: &[u8]) -> Result<Self> {
        decode_fields::<SIGNATURE_FIELDS>(bytes, "signature")?;
        Ok(Signature(bytes.to_vec()))
    }

    pub fn fields(&self) -> [u32; SIGNATURE_FIELDS] {
        decode_fields::<SIGNATURE_FIELDS>(&self.0, "signature").expect("validated at construction")
    }
}

pub fn message_from_bytes(bytes: &[u8]) -> Result<[u8; MESSAGE_BYTES]> {
    bytes.try_into().map_err(|_| {
        err(
            ErrorCode::InvalidLength,
            format!("message must be {MESSAGE_BYTES} bytes, got {}", bytes.len()),
        )
    })
}

pub fn check_log_inv_rate(rate: u32) -> Result<usize> {
    if LOG_INV_RATE_RANGE.contains(&rate) {
        Ok(rate as usize)
    } else {
        Err(err(
            ErrorCode::InvalidArgument,
            format!(
                "logInvRate must be in {}..={}, got {rate}",
                LOG_INV_RATE_RANGE.start(),
                LOG_INV_RATE_RANGE.end()
            ),
        ))
    }
}

/// Backend-specific payload (an upstream secret key or proof); each backend downcasts its own.
pub type Payload = Arc<dyn Any + Send + Sync>;

#[derive(Clone)]
pub struct SecretKey {
    pub backend: BackendKind,
    pub seed: [u8; 32],
    pub first_slot: u32,
    pub last_slot: u32,
    pub public_key: PublicKey,
    pub inner: Payload,
}

impl SecretKey {
    /// Native memory the key keeps: its Merkle tree.
    pub fn tree_bytes(&self) -> u64 {
        (u64::from(self.last_slot - self.first_slot) + 1) * KEY_TREE_BYTES_PER_SLOT
    }
}

/// What an aggregate proves: a message, a slot and the sorted set of signers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AggregateInfo {
    pub message: MessageFields,
    pub slot: u32,
    pub signers: Vec<PublicKey>,
}

/// Domain tags of claim keys (bumped if the key's layout ever changes).
const CLAIM_TAG: &[u8] = b"leanagg/claim/v1";
const MERGED_CLAIM_TAG: &[u8] = b"leanagg/merged-claim/v1";

impl AggregateInfo {
    /// The identity of what an aggregate proves: Keccak-256 over a domain tag, the message's field
    /// elements, the slot and the sorted, deduplicated signer set. Proof bytes are malleable (two
    /// byte strings can prove one claim); this key is not, so deduplicate by it, never by bytes.
    pub fn claim_key(&self) -> [u8; 32] {
        let mut signers = self.signers.clone();
        signers.sort();
        signers.dedup();
        let mut h = sha3::Keccak256::new();
        h.update(CLAIM_TAG);
        for f in &self.message {
            h.update(f.to_le_bytes());
        }
        h.update(self.slot.to_le_bytes());
        h.update((signers.len() as u64).to_le_bytes());
        for pk in &signers {
            h.update(pk.0);
        }
        h.finalize().into()
    }
}

/// A merged aggregate's identity: its components' claim keys, in order (the order `split` uses).
pub fn merged_claim_key(components: &[AggregateInfo]) -> [u8; 32] {
    let mut h = sha3::Keccak256::new();
    h.update(MERGED_CLAIM_TAG);
    h.update((components.len() as u64).to_le_bytes());
    for c in components {
        h.update(c.claim_key());
    }
    h.finalize().into()
}

/// A type-1 aggregate (one message, one slot).
#[derive(Clone)]
pub struct Aggregate {
    pub backend: BackendKind,
    pub info: AggregateInfo,
    pub proof: Payload,
}

/// A type-2 aggregate: several type-1 aggregates of different messages under one proof.
#[derive(Clone)]
pub struct Merged {
    pub backend: BackendKind,
    pub components: Vec<AggregateInfo>,
    pub proof: Payload,
}

/// One type-1 aggregation request, validated (see `validate.rs`) and owned by Rust.
pub struct GroupRequest {
    pub message: MessageFields,
    pub slot: u32,
    pub raw: Vec<(PublicKey, Signature)>,
    pub children: Vec<Arc<Aggregate>>,
    pub log_inv_rate: usize,
}
