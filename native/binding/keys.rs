//! Keys and signatures: generation, rebuilding a key from its bytes, signing, verifying one
//! signature (async, and its synchronous twin).

use leanagg_core::ops;
use leanagg_core::types::*;
use leanagg_core::validate;
use leanagg_signing::key_bytes::{self, KeyParts};
use leanagg_signing::Policy;
use napi::bindgen_prelude::*;
use napi_derive::napi;

use crate::handles::NativeSecretKey;
use crate::inputs::signature_check;
use crate::job::{KeygenTask, SecretKeyFromBytesTask, SignTask, VerifySignatureTask};
use crate::prover::NativeProver;
use crate::signing::NativeSigningRecord;
use crate::throw::OrThrow;

#[napi]
impl NativeProver {
    #[napi]
    pub fn keygen(
        &self,
        seed: Uint8Array,
        first_slot: u32,
        last_slot: u32,
        signal: Option<AbortSignal>,
    ) -> AsyncTask<KeygenTask> {
        let codec = self.codec().clone();
        let checks = (|| {
            let seed: [u8; 32] = seed.as_ref().try_into().map_err(|_| {
                leanagg_core::error::err(leanagg_core::error::ErrorCode::InvalidLength, "seed must be 32 bytes")
            })?;
            validate::key_range(first_slot, last_slot)?;
            Ok(KeyParts {
                seed,
                first_slot,
                last_slot,
            })
        })();
        KeygenTask::checked(checks, signal, move |s| keygen(codec.as_ref(), s))
    }

    /// Rebuild a secret key from `NativeSecretKey.toBytes()` (regenerates its Merkle tree):
    /// KEY_CORRUPTED when the checksum fails.
    #[napi]
    pub fn secret_key_from_bytes(
        &self,
        bytes: Uint8Array,
        signal: Option<AbortSignal>,
    ) -> AsyncTask<SecretKeyFromBytesTask> {
        let codec = self.codec().clone();
        let checks = key_bytes::decode(&bytes).and_then(|s| {
            validate::key_range(s.first_slot, s.last_slot)?;
            Ok(s)
        });
        SecretKeyFromBytesTask::checked(checks, signal, move |s| keygen(codec.as_ref(), s))
    }

    /// Sign through `record` (see `NativeSigningRecord`): a slot used for another message is
    /// SLOT_ALREADY_SIGNED, the same message again resolves with the recorded signature, a slot
    /// below the key's high-water mark is SLOT_BELOW_HIGH_WATER unless `allowOutOfOrder`.
    #[napi]
    pub fn sign(
        &self,
        key: &NativeSecretKey,
        message: Uint8Array,
        slot: u32,
        record: &NativeSigningRecord,
        allow_out_of_order: Option<bool>,
        signal: Option<AbortSignal>,
    ) -> AsyncTask<SignTask> {
        let codec = self.codec().clone();
        let key = key.inner.clone();
        let record = record.inner.clone();
        let policy = Policy {
            allow_out_of_order: allow_out_of_order.unwrap_or(false),
        };
        let checks = self.fields(&message).and_then(|m| {
            validate::same_backend(codec.kind(), [key.backend], "secret key")?;
            validate::sign_slot(&key, slot)?;
            Ok((m, message_from_bytes(&message)?))
        });
        SignTask::checked(checks, signal, move |(m, bytes)| {
            let sig = record.sign(&key.public_key, slot, &bytes, policy, || {
                ops::run("sign", || codec.sign(&key, &m, slot))
            })?;
            Ok(sig.0)
        })
    }

    #[napi]
    pub fn verify_signature(
        &self,
        public_key: Uint8Array,
        message: Uint8Array,
        signature: Uint8Array,
        slot: u32,
        signal: Option<AbortSignal>,
    ) -> AsyncTask<VerifySignatureTask> {
        let codec = self.codec().clone();
        let checks = signature_check(codec.as_ref(), &public_key, &message, &signature);
        VerifySignatureTask::checked(checks, signal, move |(pk, m, sig)| {
            ops::run("verify", || Ok(codec.verify_signature(&pk, &m, &sig, slot)))
        })
    }

    /// Synchronous twin of `verifySignature` (XMSS verification takes well under a millisecond).
    #[napi]
    pub fn verify_signature_sync(
        &self,
        public_key: Uint8Array,
        message: Uint8Array,
        signature: Uint8Array,
        slot: u32,
    ) -> Result<bool> {
        let codec = self.codec();
        let (pk, m, sig) = signature_check(codec.as_ref(), &public_key, &message, &signature).or_throw()?;
        leanagg_core::panic_guard::guard("verify", || Ok(codec.verify_signature(&pk, &m, &sig, slot))).or_throw()
    }
}

/// Key generation on the prover pool (deterministic: the same seed and range, the same key).
fn keygen(codec: &dyn leanagg_core::backend::Codec, s: KeyParts) -> leanagg_core::error::Result<NativeSecretKey> {
    let key = ops::run("keygen", || codec.keygen(s.seed, s.first_slot, s.last_slot))?;
    Ok(NativeSecretKey::new(key))
}
