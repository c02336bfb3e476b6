//! leanagg's addon: the leanMultisig XMSS aggregation prover for Node.js, off the JS thread.
//! The napi-rs surface over leanagg-core (native/core); its modules, each naming only those
//! listed before it:
//!
//! 1. `throw` (core errors as JS errors), `names` (the string enums TypeScript imports),
//!    `limits` (sizes and limits as constants).
//! 2. `options` and `inputs` (JS objects in, core values out), `handles` (opaque JS handles over
//!    Rust-owned values), `job` (one concrete napi `Task` per operation), `signing` (the signing
//!    guard's handle over leanagg-signing, native/signing).
//! 3. `prover` (the `NativeProver` class: construction, setup, state), then its operations by
//!    kind: `keys`, `aggregation`, `verification`, `decoding`.
#![deny(clippy::all)]

// In layer order: napi-derive types a promise from its `Task` only once it has seen the task's
// declaration (job.rs), so the operations' modules come after it.
pub mod limits;
pub mod names;
pub mod throw;

pub mod handles;
pub mod inputs;
pub mod job;
pub mod options;
pub mod signing;

pub mod prover;

pub mod aggregation;
pub mod decoding;
pub mod keys;
pub mod verification;

use leanagg_core::backend::linked::Linked;

/// The backends this addon links: the real-prover build (native/lean-multisig) adds leanMultisig.
pub const LINKED: Linked = Linked {
    #[cfg(feature = "lean-multisig")]
    lean_multisig: Some(leanagg_lean_multisig_backend::LeanMultisigBackend::shared),
    #[cfg(not(feature = "lean-multisig"))]
    lean_multisig: None,
};
