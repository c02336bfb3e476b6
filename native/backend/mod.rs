//! The prover seam. The binding talks to `dyn Backend`; the default build has only the
//! simulated backend, the real-prover package (native/lean-multisig) adds leanMultisig.
//!
//! Backends assume validated input (`validate.rs`) and may still panic; callers run them under
//! `panic_guard::guard` on the prover pool (`threads::run`).

use std::sync::Arc;

use crate::cancel::CancelFlag;
use crate::error::{err, ErrorCode, Result};
use crate::types::*;

pub mod isolated;
#[cfg(feature = "lean-multisig")]
pub mod lean_multisig;
pub mod simulated;

pub trait Backend: Send + Sync + 'static {
    fn kind(&self) -> BackendKind;

    /// One-time preparation (compiling the aggregation program). Idempotent.
    fn setup(&self) -> Result<()>;
    /// What verification and decoding need, when proofs are made elsewhere (a prover server).
    fn setup_verifier(&self) -> Result<()> {
        self.setup()
    }
    /// Ready to verify (and, after `setup`, to prove).
    fn is_set_up(&self) -> bool;

    /// The prover's 8-element message for a 32-byte message (see `message.rs`).
    fn message_fields(&self, message: &[u8; MESSAGE_BYTES]) -> MessageFields;

    fn keygen(&self, seed: [u8; 32], first_slot: u32, last_slot: u32) -> Result<SecretKey>;
    fn sign(&self, key: &SecretKey, message: &MessageFields, slot: u32) -> Result<Signature>;
    fn verify_signature(&self, key: &PublicKey, message: &MessageFields, sig: &Signature, slot: u32) -> bool;

    /// Type-1 proof. Raw signatures and children are already verified (`ops.rs`); the
    /// simulated backend checks `cancel` while it "proves", leanMultisig cannot.
    fn prove_aggregate(&self, group: &GroupRequest, cancel: &CancelFlag) -> Result<Aggregate>;
    /// Err only for an aggregate of another backend; a wrong proof is `Ok(false)`.
    fn verify_aggregate(&self, aggregate: &Aggregate) -> Result<bool>;

    /// Type-2: one proof over verified aggregates of different messages, and back.
    fn prove_merge(&self, parts: &[Arc<Aggregate>], log_inv_rate: usize, cancel: &CancelFlag) -> Result<Merged>;
    fn prove_split(&self, merged: &Merged, index: usize, log_inv_rate: usize, cancel: &CancelFlag)
        -> Result<Aggregate>;
    fn verify_merged(&self, merged: &Merged) -> Result<bool>;

    /// Proof bytes are untrusted: malformed input is `INVALID_AGGREGATE`, a simulated proof given
    /// to the real backend (or the reverse) is `BACKEND_MISMATCH`.
    fn aggregate_to_bytes(&self, aggregate: &Aggregate) -> Vec<u8>;
    fn aggregate_from_bytes(&self, bytes: &[u8]) -> Result<Aggregate>;
    fn merged_to_bytes(&self, merged: &Merged) -> Vec<u8>;
    fn merged_from_bytes(&self, bytes: &[u8]) -> Result<Merged>;
}

/// The backends this build contains.
pub fn available() -> Vec<&'static str> {
    let mut names = vec![BackendKind::Simulated.as_str()];
    if cfg!(feature = "lean-multisig") {
        names.push(BackendKind::LeanMultisig.as_str());
    }
    names
}

/// Create a backend by name. Asking for leanMultisig in a build without it is an error,
/// never a silent fallback to the simulated prover.
pub fn create(kind: BackendKind, simulated: simulated::SimulatedConfig) -> Result<Arc<dyn Backend>> {
    match kind {
        BackendKind::Simulated => Ok(Arc::new(simulated::SimulatedBackend::new(simulated))),
        #[cfg(feature = "lean-multisig")]
        BackendKind::LeanMultisig => Ok(lean_multisig::LeanMultisigBackend::shared()),
        #[cfg(not(feature = "lean-multisig"))]
        BackendKind::LeanMultisig => Err(err(
            ErrorCode::BackendUnavailable,
            "this build of leanagg has no leanMultisig prover; build it with `npm run build:lean-multisig`",
        )),
    }
}

/// Downcast a payload made by `backend`, or fail with `BACKEND_MISMATCH`.
pub fn payload<'a, T: 'static>(owner: BackendKind, backend: BackendKind, p: &'a Payload, what: &str) -> Result<&'a T> {
    if owner != backend {
        return Err(err(
            ErrorCode::BackendMismatch,
            format!(
                "{what} was made by the {} backend, this prover is {}",
                owner.as_str(),
                backend.as_str()
            ),
        ));
    }
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
