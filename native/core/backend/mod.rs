//! The prover seam, in three traits: a `Codec` keeps keys, signatures and proof bytes, a
//! `Verifier` verifies proofs (both always in the host's process), and a `Prover` proves them (the
//! backend itself, or a prover server's workers, see `isolation::isolated`). A backend is all three. The default build links only the simulated backend;
//! the real-prover build adds leanMultisig (native/lean-multisig/backend), see `linked.rs`.
//!
//! Backends assume validated input (`validate.rs`) and a finished setup (`ops::require_setup`),
//! and may still panic; callers run them under `panic_guard::guard` on the prover pool.

use std::sync::Arc;

use crate::cancel::CancelFlag;
use crate::error::{err, ErrorCode, Result};
use crate::types::*;
use crate::validate;

pub mod linked;
pub mod simulated;

/// Keys, signatures and proof bytes. Decoding a leanMultisig proof needs the verifier's setup
/// (`ops::decode` checks it); keys and signatures need none.
pub trait Codec: Send + Sync + 'static {
    fn kind(&self) -> BackendKind;

    /// The prover's 8-element message for a 32-byte message (see `message.rs`).
    fn message_fields(&self, message: &[u8; MESSAGE_BYTES]) -> MessageFields;

    fn keygen(&self, seed: [u8; 32], first_slot: u32, last_slot: u32) -> Result<SecretKey>;
    fn sign(&self, key: &SecretKey, message: &MessageFields, slot: u32) -> Result<Signature>;
    fn verify_signature(&self, key: &PublicKey, message: &MessageFields, sig: &Signature, slot: u32) -> bool;

    /// Proof bytes are untrusted: malformed input is `INVALID_AGGREGATE`, a simulated proof given
    /// to the real backend (or the reverse) is `BACKEND_MISMATCH`.
    fn aggregate_to_bytes(&self, aggregate: &Aggregate) -> Vec<u8>;
    fn aggregate_from_bytes(&self, bytes: &[u8]) -> Result<Aggregate>;
    fn merged_to_bytes(&self, merged: &Merged) -> Vec<u8>;
    fn merged_from_bytes(&self, bytes: &[u8]) -> Result<Merged>;
}

/// Proof verification and decoding: what needs the verifier's setup (leanMultisig's compiled
/// aggregation program, which parsing a proof reads too). Always the host's own backend.
pub trait Verifier: Send + Sync + 'static {
    /// What verification needs. Idempotent.
    fn setup_verifier(&self) -> Result<()>;
    /// Ready to verify.
    fn is_set_up(&self) -> bool;

    /// Err only for an aggregate of another backend; a wrong proof is `Ok(false)`.
    fn verify_aggregate(&self, aggregate: &Aggregate) -> Result<bool>;
    fn verify_merged(&self, merged: &Merged) -> Result<bool>;
}

/// Type-1 and type-2 proofs. Inputs are verified already (`ops.rs`); the simulated backend checks
/// `cancel` while it "proves", leanMultisig cannot.
pub trait Prover: Send + Sync + 'static {
    /// Everything proving needs, the verifier's setup included. Idempotent.
    fn setup(&self) -> Result<()>;
    /// Ready to verify, and after `setup` to prove (`ops::require_setup` asks this).
    fn is_ready(&self) -> bool;

    fn prove_aggregate(&self, group: &GroupRequest, cancel: &CancelFlag) -> Result<Aggregate>;
    /// One proof over verified aggregates of different messages, and back.
    fn prove_merge(&self, parts: &[Arc<Aggregate>], log_inv_rate: usize, cancel: &CancelFlag) -> Result<Merged>;
    fn prove_split(&self, merged: &Merged, index: usize, log_inv_rate: usize, cancel: &CancelFlag)
        -> Result<Aggregate>;
}

/// A backend encodes, verifies and proves in the same process.
pub trait Backend: Codec + Verifier + Prover {}

impl<T: Codec + Verifier + Prover> Backend for T {}

/// Downcast a payload made by `backend`, or fail with `BACKEND_MISMATCH`.
pub fn payload<'a, T: 'static>(owner: BackendKind, backend: BackendKind, p: &'a Payload, what: &str) -> Result<&'a T> {
    validate::made_by(owner, backend, what)?;
    p.downcast_ref::<T>()
        .ok_or_else(|| err(ErrorCode::BackendMismatch, format!("{what} has an unexpected payload")))
}

/// Bytes of a simulated proof start with this, so the real backend can name them.
pub const SIMULATED_MAGIC: &[u8; 16] = b"LEANAGG:SIMPROOF";

/// Sorted union of raw signers and children's signers (what the aggregate will claim).
pub fn signer_union(group: &GroupRequest) -> Vec<PublicKey> {
    let mut all: Vec<PublicKey> = group.raw.iter().map(|(pk, _)| *pk).collect();
    for child in &group.children {
        all.extend_from_slice(&child.info.signers);
    }
    all.sort();
    all.dedup();
    all
}
