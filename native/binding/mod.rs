//! The napi-rs surface: a prover class, opaque handles, and one task type.
pub mod handles;
pub mod job;
pub mod limits;
pub mod prover;
pub mod signing;

impl From<crate::error::LeanAggError> for napi::Error {
    fn from(e: crate::error::LeanAggError) -> Self {
        napi::Error::new(napi::Status::GenericFailure, e.to_string())
    }
}
