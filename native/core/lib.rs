//! leanagg-core: what the addon (native/binding) and the prover server (native/prover-server)
//! share. Its modules are layers; each names only those listed before it:
//!
//! 1. `error`, `cancel`, `answer_pipe`, `heap` (giving freed memory back): leaves.
//! 2. `types` (values, sizes, limits), `message` (the 32-byte message mapping),
//!    `simulated_config` (what the simulated backend is told, also sent to the prover server).
//! 3. `validate` (cheap checks), `panic_guard`, `threads` (the prover pool).
//! 4. `backend`: the `Codec`, `Verifier` and `Prover` traits, and the simulated backend. leanMultisig is a
//!    crate of its own (native/lean-multisig/backend) that the real-prover build links.
//! 5. `ops`: staged work on the prover pool, under the panic guard.
//! 6. `isolation`: the wire protocol, the addon's client of a prover server, and the `Prover` that
//!    sends proofs there. The server itself is native/prover-server.
//!
//! `scripts/check-cycles.mjs` (in `npm run lint`) fails on any module cycle.
#![deny(clippy::all)]

pub mod answer_pipe;
pub mod backend;
pub mod cancel;
pub mod error;
pub mod heap;
pub mod isolation;
pub mod message;
pub mod ops;
pub mod panic_guard;
pub mod simulated_config;
pub mod threads;
pub mod types;
pub mod validate;

// Property tests over the parsers of outside bytes; proptest is a dev-dependency.
#[cfg(test)]
mod fuzz_parsers;
