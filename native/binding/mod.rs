//! The napi-rs surface: a prover class, opaque handles, and one task type.
pub mod handles;
pub mod job;
pub mod prover;
