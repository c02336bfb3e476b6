//! The operations' JS objects: what a verified aggregate must match, batch items and results, and
//! their core values.

use leanagg_core::backend::Codec;
use leanagg_core::error::{LeanAggError, Result};
use leanagg_core::ops::Expected;
use leanagg_core::types::*;
use napi::bindgen_prelude::Uint8Array;
use napi_derive::napi;

/// What a verified aggregate must also match.
#[napi(object)]
pub struct ExpectedAggregate {
    pub message: Option<Uint8Array>,
    pub slot: Option<u32>,
    pub signers: Option<Vec<Uint8Array>>,
}

#[napi(object)]
pub struct SignatureItem {
    pub public_key: Uint8Array,
    pub message: Uint8Array,
    pub signature: Uint8Array,
    pub slot: u32,
}

/// One result of `batchVerify`: `valid`, or the code of the error that stopped verification.
#[napi(object)]
pub struct BatchResult {
    pub valid: bool,
    pub error: Option<String>,
}

impl From<Result<bool>> for BatchResult {
    fn from(r: Result<bool>) -> Self {
        match r {
            Ok(valid) => BatchResult { valid, error: None },
            Err(e) => BatchResult {
                valid: false,
                error: Some(e.to_string()),
            },
        }
    }
}

/// The prover's message for 32 bytes from JS.
pub fn message_fields(codec: &dyn Codec, message: &[u8]) -> Result<MessageFields> {
    Ok(codec.message_fields(&message_from_bytes(message)?))
}

pub fn expected(codec: &dyn Codec, e: Option<ExpectedAggregate>) -> Result<Expected> {
    let Some(e) = e else { return Ok(Expected::default()) };
    let signers = match e.signers {
        Some(list) => {
            let mut keys = list
                .iter()
                .map(|k| PublicKey::from_bytes(k))
                .collect::<Result<Vec<_>>>()?;
            keys.sort();
            keys.dedup();
            Some(keys)
        }
        None => None,
    };
    Ok(Expected {
        message: e.message.map(|m| message_fields(codec, &m)).transpose()?,
        slot: e.slot,
        signers,
    })
}

/// A signature check's inputs, parsed.
pub fn signature_check(
    codec: &dyn Codec,
    pk: &[u8],
    message: &[u8],
    sig: &[u8],
) -> Result<(PublicKey, MessageFields, Signature)> {
    Ok((
        PublicKey::from_bytes(pk)?,
        message_fields(codec, message)?,
        Signature::from_bytes(sig)?,
    ))
}

/// Untrusted bytes of at most `max_bytes`, copied into Rust-owned memory.
pub fn sized_copy(bytes: &[u8], max_bytes: u32) -> Result<Vec<u8>, LeanAggError> {
    if bytes.len() > max_bytes as usize {
        return Err(leanagg_core::error::err(
            leanagg_core::error::ErrorCode::TooLarge,
            format!("{} bytes, the limit is {max_bytes}", bytes.len()),
        ));
    }
    Ok(bytes.to_vec())
}
