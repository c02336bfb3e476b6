//! leanagg: the leanMultisig XMSS aggregation prover for Node.js, off the JS thread.
//!
//! Layers, each in its own module: `types` and `message` (values and the 32-byte message
//! mapping), `validate` (cheap checks on the JS thread), `backend` (the prover seam: simulated,
//! and leanMultisig in the real-prover build), `ops` (staged work on the prover pool, under the
//! panic guard), `isolation` (proofs in a prover server's child processes, which can be killed),
//! `signing` (the record that keeps a key from signing
//! one slot twice, and key bytes at rest), `binding` (napi-rs classes and async tasks; the prover server builds without it).
#![deny(clippy::all)]

pub mod backend;
#[cfg(feature = "napi")]
pub mod binding;
pub mod cancel;
pub mod error;
pub mod isolation;
pub mod message;
pub mod ops;
pub mod panic_guard;
pub mod signing;
pub mod threads;
pub mod types;
pub mod validate;

// Property tests over the parsers of outside bytes; proptest is a dev-dependency of this package
// only, not of the real-prover package that compiles the same sources.
#[cfg(all(test, not(feature = "lean-multisig")))]
mod fuzz_parsers;
