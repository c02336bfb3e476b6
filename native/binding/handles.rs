//! Opaque JS handles over Rust-owned values. JS can read them but never mutate what a running
//! proof reads: the data sits behind `Arc`s and is copied out on every getter.
//!
//! A handle keeps native memory alive that V8 cannot see (a proof, a key's Merkle tree): it is
//! reported to V8 as external memory when the handle reaches JS (`Job::resolve`) and given back
//! when the handle is collected (`finalize`), so the garbage collector weighs it.

use std::sync::Arc;

use napi::bindgen_prelude::*;
use napi_derive::napi;

use leanagg_core::backend::Codec;
use leanagg_core::cancel::CancelFlag;
use leanagg_core::types::{merged_claim_key, Aggregate, AggregateInfo, Merged, SecretKey, PUBLIC_KEY_BYTES};
use leanagg_signing::key_bytes;

use crate::names::BackendName;

/// Native memory a value returned to JS keeps alive, in bytes (roughly).
pub trait Held {
    fn held_bytes(&self) -> i64 {
        0
    }
}

impl Held for bool {}
impl Held for u32 {}
impl<T> Held for Vec<T> {}

/// V8's count of external memory, which its garbage collector weighs: what addons report (leanagg's
/// keys and aggregates among them) and ArrayBuffer contents (Buffers). `process.memoryUsage()`
/// does not include the addons' part on every Node version.
#[napi]
pub fn reported_external_memory(env: Env) -> Result<i64> {
    env.adjust_external_memory(0)
}

/// A handle with a `held` field reports it when it reaches JS (`Held`) and gives it back when it is
/// collected (its finalizer).
macro_rules! reports_held_memory {
    ($($handle:ty),*) => {$(
        impl Held for $handle {
            fn held_bytes(&self) -> i64 {
                self.held
            }
        }

        impl ObjectFinalize for $handle {
            fn finalize(self, env: Env) -> Result<()> {
                env.adjust_external_memory(-self.held).map(drop)
            }
        }
    )*};
}

reports_held_memory!(NativeSecretKey, NativeAggregate, NativeMerged);

/// An XMSS secret key held in Rust (with its whole Merkle tree).
#[napi(custom_finalize)]
pub struct NativeSecretKey {
    pub(crate) inner: Arc<SecretKey>,
    held: i64,
}

impl NativeSecretKey {
    pub(crate) fn new(key: SecretKey) -> Self {
        Self {
            held: key.tree_bytes() as i64,
            inner: Arc::new(key),
        }
    }
}

#[napi]
impl NativeSecretKey {
    #[napi(getter)]
    pub fn backend(&self) -> BackendName {
        self.inner.backend.into()
    }

    /// The 32-byte public key.
    #[napi(getter)]
    pub fn public_key(&self) -> Buffer {
        self.inner.public_key.0.to_vec().into()
    }

    #[napi(getter)]
    pub fn first_slot(&self) -> u32 {
        self.inner.first_slot
    }

    #[napi(getter)]
    pub fn last_slot(&self) -> u32 {
        self.inner.last_slot
    }

    /// SECRET_KEY_BYTES bytes: magic `LAGK`, version 1, the 32-byte seed, first and last slot
    /// (u32 little-endian), SHA3-256 checksum. Key generation is deterministic, so these bytes are
    /// the whole secret (the layout's one home: `leanagg_signing::key_bytes`).
    #[napi]
    pub fn to_bytes(&self) -> Buffer {
        let k = &self.inner;
        key_bytes::encode(&key_bytes::KeyParts {
            seed: k.seed,
            first_slot: k.first_slot,
            last_slot: k.last_slot,
        })
        .into()
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn info_signers(info: &AggregateInfo) -> Vec<Buffer> {
    info.signers.iter().map(|pk| pk.0.to_vec().into()).collect()
}

/// A type-1 aggregate: one message, one slot, a sorted signer list and a proof.
#[napi(custom_finalize)]
pub struct NativeAggregate {
    pub(crate) inner: Arc<Aggregate>,
    pub(crate) backend: Arc<dyn Codec>,
    held: i64,
}

impl NativeAggregate {
    /// A proof just made, measured by encoding it: call off the JS thread (next to the proof it
    /// costs nothing).
    pub(crate) fn new(aggregate: Aggregate, backend: Arc<dyn Codec>) -> Self {
        let proof = backend.aggregate_to_bytes(&aggregate).len();
        Self::sized(aggregate, backend, proof)
    }

    /// An aggregate whose encoded proof size is known (parsed from that many bytes).
    pub(crate) fn sized(aggregate: Aggregate, backend: Arc<dyn Codec>, proof_bytes: usize) -> Self {
        let held = proof_bytes + aggregate.info.signers.len() * PUBLIC_KEY_BYTES;
        Self {
            inner: Arc::new(aggregate),
            backend,
            held: held as i64,
        }
    }
}

#[napi]
impl NativeAggregate {
    #[napi(getter)]
    pub fn backend(&self) -> BackendName {
        self.inner.backend.into()
    }

    /// The prover's message: 8 field elements.
    #[napi(getter)]
    pub fn message_fields(&self) -> Uint32Array {
        Uint32Array::new(self.inner.info.message.to_vec())
    }

    #[napi(getter)]
    pub fn slot(&self) -> u32 {
        self.inner.info.slot
    }

    /// Public keys of all signers, sorted in the prover's order (by field elements).
    #[napi(getter)]
    pub fn signers(&self) -> Vec<Buffer> {
        info_signers(&self.inner.info)
    }

    #[napi(getter)]
    pub fn signer_count(&self) -> u32 {
        self.inner.info.signers.len() as u32
    }

    /// What the aggregate proves, as 64 hex characters: message, slot and sorted signer set.
    /// Two aggregates with the same key prove the same claim, whatever their bytes.
    #[napi(getter)]
    pub fn claim_key(&self) -> String {
        hex(&self.inner.info.claim_key())
    }

    /// The proof bytes, re-encoded from the decoded proof (canonical: bytes that parse re-encode
    /// to one form): for leanMultisig, upstream's `compress()` format (what other clients send).
    #[napi]
    pub fn to_bytes(&self) -> Buffer {
        self.backend.aggregate_to_bytes(&self.inner).into()
    }
}

/// One component of a merged aggregate.
#[napi(object)]
pub struct ComponentInfo {
    pub message_fields: Uint32Array,
    pub slot: u32,
    pub signers: Vec<Buffer>,
}

/// A type-2 aggregate: type-1 aggregates of different messages under one proof.
#[napi(custom_finalize)]
pub struct NativeMerged {
    pub(crate) inner: Arc<Merged>,
    pub(crate) backend: Arc<dyn Codec>,
    held: i64,
}

impl NativeMerged {
    /// A proof just made, measured by encoding it: call off the JS thread.
    pub(crate) fn new(merged: Merged, backend: Arc<dyn Codec>) -> Self {
        let proof = backend.merged_to_bytes(&merged).len();
        Self::sized(merged, backend, proof)
    }

    /// A merged aggregate whose encoded proof size is known (parsed from that many bytes).
    pub(crate) fn sized(merged: Merged, backend: Arc<dyn Codec>, proof_bytes: usize) -> Self {
        let signers: usize = merged.components.iter().map(|c| c.signers.len()).sum();
        Self {
            held: (proof_bytes + signers * PUBLIC_KEY_BYTES) as i64,
            inner: Arc::new(merged),
            backend,
        }
    }
}

#[napi]
impl NativeMerged {
    #[napi(getter)]
    pub fn backend(&self) -> BackendName {
        self.inner.backend.into()
    }

    #[napi(getter)]
    pub fn components(&self) -> Vec<ComponentInfo> {
        self.inner
            .components
            .iter()
            .map(|info| ComponentInfo {
                message_fields: Uint32Array::new(info.message.to_vec()),
                slot: info.slot,
                signers: info_signers(info),
            })
            .collect()
    }

    /// The components' claims, in order, as 64 hex characters (see `NativeAggregate.claimKey`).
    #[napi(getter)]
    pub fn claim_key(&self) -> String {
        hex(&merged_claim_key(&self.inner.components))
    }

    /// The proof bytes, re-encoded from the decoded proof (canonical).
    #[napi]
    pub fn to_bytes(&self) -> Buffer {
        self.backend.merged_to_bytes(&self.inner).into()
    }
}

/// Cooperative cancellation for work already running: checked between stages, and while the
/// simulated prover works. A leanMultisig proof in this process cannot be interrupted; with process
/// isolation the cancel kills the process proving it.
#[napi]
#[derive(Default)]
pub struct CancelToken {
    pub(crate) flag: CancelFlag,
}

#[napi]
impl CancelToken {
    #[napi(constructor)]
    pub fn new() -> Self {
        Self::default()
    }

    #[napi]
    pub fn cancel(&self) {
        self.flag.cancel();
    }

    #[napi(getter)]
    pub fn cancelled(&self) -> bool {
        self.flag.is_cancelled()
    }
}
