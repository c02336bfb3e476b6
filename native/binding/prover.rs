//! `NativeProver`: the addon's entry point. Every method checks cheap things and copies its
//! inputs on the JS thread, then hands Rust-owned data to a `Job` on the libuv pool.

use std::sync::Arc;

use napi::bindgen_prelude::*;
use napi_derive::napi;

use super::handles::{CancelToken, NativeAggregate, NativeMerged, NativeSecretKey};
use super::job::{Bytes, Job};
use super::signing::NativeSigningRecord;
use crate::backend::isolated::IsolatedBackend;
use crate::backend::simulated::{CrashKind, SimulatedConfig};
use crate::backend::{self, Backend};
use crate::cancel::CancelFlag;
use crate::error::{err, ErrorCode, Result as LeanResult};
use crate::isolation;
use crate::ops::{self, BatchItem, Expected};
use crate::signing::{key_bytes, Policy};
use crate::types::*;
use crate::{threads, validate};

/// Latency model and fault injection of the simulated backend (ignored by leanMultisig).
#[napi(object)]
#[derive(Default)]
pub struct SimulatedOptions {
    pub setup_ms: Option<f64>,
    /// A type-1 proof takes proveBaseMs + perSignerMs x signers + perChildMs x children.
    pub prove_base_ms: Option<f64>,
    pub per_signer_ms: Option<f64>,
    pub per_child_ms: Option<f64>,
    pub verify_ms: Option<f64>,
    /// 32-byte messages whose groups panic inside the simulated prover.
    pub panic_on: Option<Vec<Uint8Array>>,
    /// 32-byte messages whose groups fail with PROVER_FAILED.
    pub fail_on: Option<Vec<Uint8Array>>,
    /// Groups that really crash the prover process (only with process isolation).
    pub crash_on: Option<Vec<CrashFault>>,
    /// Groups whose proof comes back for another claim, as from a confused prover process (only
    /// with process isolation, which must refuse it).
    pub wrong_claim_on: Option<Vec<Uint8Array>>,
    /// "Prove" by spinning every prover thread instead of sleeping, so CPU use is real.
    pub burn_cpu: Option<bool>,
}

#[napi(object)]
pub struct CrashFault {
    pub message: Uint8Array,
    /// "abort", "segfault", "stack-overflow", "out-of-memory" or "garbled-answer" (writes what is
    /// no answer to the server, then hangs).
    #[napi(ts_type = "'abort' | 'segfault' | 'stack-overflow' | 'out-of-memory' | 'garbled-answer'")]
    pub kind: String,
}

/// Where proofs run.
#[napi(object)]
pub struct IsolationOptions {
    /// In child processes of a prover server, which can be killed (unix only).
    pub process: bool,
    /// With `process`: a proof's own memory above what it shares with the server.
    pub max_proof_memory_bytes: Option<f64>,
}

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

/// Backends compiled into this addon.
#[napi]
pub fn available_backends() -> Vec<&'static str> {
    backend::available()
}

/// Whether proofs can run in killable processes here: a unix system, with the prover server
/// executable beside this addon.
#[napi]
pub fn process_isolation_available() -> bool {
    isolation::server_path().is_some()
}

/// Stable error codes, for the TypeScript layer's exhaustiveness test.
#[napi]
pub fn error_codes() -> Vec<&'static str> {
    crate::error::ErrorCode::ALL.iter().map(|c| c.as_str()).collect()
}

fn copy_messages(list: Option<Vec<Uint8Array>>) -> LeanResult<Vec<[u8; 32]>> {
    list.unwrap_or_default().iter().map(|m| message_from_bytes(m)).collect()
}

fn simulated_config(s: SimulatedOptions) -> LeanResult<SimulatedConfig> {
    let crash_on = s
        .crash_on
        .unwrap_or_default()
        .iter()
        .map(|f| Ok((message_from_bytes(&f.message)?, CrashKind::parse(&f.kind)?)))
        .collect::<LeanResult<Vec<_>>>()?;
    Ok(SimulatedConfig {
        setup_ms: s.setup_ms.unwrap_or(0.0),
        prove_base_ms: s.prove_base_ms.unwrap_or(0.0),
        per_signer_ms: s.per_signer_ms.unwrap_or(0.0),
        per_child_ms: s.per_child_ms.unwrap_or(0.0),
        verify_ms: s.verify_ms.unwrap_or(0.0),
        panic_on: copy_messages(s.panic_on)?,
        fail_on: copy_messages(s.fail_on)?,
        crash_on,
        wrong_claim_on: copy_messages(s.wrong_claim_on)?,
        burn_cpu: s.burn_cpu.unwrap_or(false),
    })
}

fn cancel_flag(token: Option<&CancelToken>) -> CancelFlag {
    token.map(|t| t.flag.clone()).unwrap_or_default()
}

#[napi]
pub struct NativeProver {
    /// Where operations run: the backend itself, or its isolated wrapper.
    backend: Arc<dyn Backend>,
    /// What handles (keys, aggregates) keep: always the in-process backend, so that a handle
    /// never keeps a prover server alive.
    values: Arc<dyn Backend>,
    isolated: Option<Arc<IsolatedBackend>>,
}

impl NativeProver {
    fn fields(&self, message: &[u8]) -> LeanResult<MessageFields> {
        Ok(self.backend.message_fields(&message_from_bytes(message)?))
    }

    fn own(&self, list: &[&NativeAggregate], what: &str) -> LeanResult<Vec<Arc<Aggregate>>> {
        validate::same_backend(self.backend.kind(), list.iter().map(|a| a.inner.backend), what)?;
        Ok(list.iter().map(|a| a.inner.clone()).collect())
    }

    fn expected(&self, e: Option<ExpectedAggregate>) -> LeanResult<Expected> {
        let Some(e) = e else { return Ok(Expected::default()) };
        let signers = match e.signers {
            Some(list) => {
                let mut keys = list
                    .iter()
                    .map(|k| PublicKey::from_bytes(k))
                    .collect::<LeanResult<Vec<_>>>()?;
                keys.sort();
                keys.dedup();
                Some(keys)
            }
            None => None,
        };
        Ok(Expected {
            message: e.message.map(|m| self.fields(&m)).transpose()?,
            slot: e.slot,
            signers,
        })
    }

    fn check_size(bytes: &[u8], max_bytes: u32) -> LeanResult<Vec<u8>> {
        if bytes.len() > max_bytes as usize {
            return Err(err(
                ErrorCode::TooLarge,
                format!("{} bytes, the limit is {max_bytes}", bytes.len()),
            ));
        }
        Ok(bytes.to_vec())
    }
}

/// The result of a failed cheap check, delivered as a rejected promise like any other error.
fn rejected<T: Send + 'static>(e: crate::error::LeanAggError) -> Job<T> {
    Job::new(move || Err(e))
}

macro_rules! job_or_reject {
    ($checks:expr, $signal:expr, |$v:pat_param| $work:expr) => {
        match $checks {
            Ok($v) => Job::spawn(move || $work, $signal),
            Err(e) => AsyncTask::with_optional_signal(rejected(e), $signal),
        }
    };
}

#[napi]
impl NativeProver {
    /// A prover on the named backend: "simulated" or "lean-multisig". Throws BACKEND_UNAVAILABLE
    /// when this build has no such backend, or when process isolation is asked for and not
    /// available here.
    #[napi(constructor)]
    /// `threads` sizes the prover pool; the first prover created in the process decides
    /// (0 or absent: every core).
    pub fn new(
        backend: String,
        simulated: Option<SimulatedOptions>,
        threads: Option<u32>,
        isolation: Option<IsolationOptions>,
    ) -> Result<Self> {
        let kind = BackendKind::parse(&backend)?;
        let pool = threads::configure(threads.map(|t| t as usize))?;
        let config = simulated_config(simulated.unwrap_or_default())?;
        let values = backend::create(kind, config.clone())?;
        let Some(iso) = isolation.filter(|i| i.process) else {
            if !config.crash_on.is_empty() || !config.wrong_claim_on.is_empty() {
                return Err(err(
                    ErrorCode::InvalidArgument,
                    "crashOn and wrongClaimOn fault the prover process: use them with process isolation",
                )
                .into());
            }
            return Ok(Self {
                backend: values.clone(),
                values,
                isolated: None,
            });
        };
        let server = isolation::server_path().ok_or_else(|| {
            err(
                ErrorCode::BackendUnavailable,
                format!(
                    "process isolation is not available: it needs a unix system and the prover server `{}` beside the addon",
                    isolation::SERVER_NAME
                ),
            )
        })?;
        let max_memory = match iso.max_proof_memory_bytes {
            None => None,
            Some(b) if b.is_finite() && b >= 1.0 => Some(b as u64),
            Some(b) => {
                return Err(err(
                    ErrorCode::InvalidArgument,
                    format!("maxProofMemoryBytes must be a positive number, got {b}"),
                )
                .into())
            }
        };
        let isolated = Arc::new(IsolatedBackend::new(
            values.clone(),
            server,
            config,
            pool as u32,
            max_memory,
        ));
        Ok(Self {
            backend: isolated.clone(),
            values,
            isolated: Some(isolated),
        })
    }

    /// "process" when proofs run in killable child processes, else "in-process".
    #[napi(getter, ts_return_type = "'process' | 'in-process'")]
    pub fn isolation(&self) -> &'static str {
        if self.isolated.is_some() {
            "process"
        } else {
            "in-process"
        }
    }

    /// Stop the prover server, killing any proof in flight (no-op in-process).
    #[napi]
    pub fn shutdown(&self) {
        if let Some(isolated) = &self.isolated {
            isolated.shutdown();
        }
    }

    #[napi(getter)]
    pub fn backend(&self) -> &'static str {
        self.backend.kind().as_str()
    }

    #[napi(getter)]
    pub fn is_set_up(&self) -> bool {
        self.backend.is_set_up()
    }

    /// Prepare the backend (leanMultisig compiles its aggregation program). Resolves with the
    /// prover pool's size.
    #[napi(ts_return_type = "Promise<number>")]
    pub fn setup(&self, signal: Option<AbortSignal>) -> AsyncTask<Job<u32>> {
        let backend = self.backend.clone();
        Job::spawn(
            move || {
                ops::run("setup", || backend.setup())?;
                Ok(threads::size()? as u32)
            },
            signal,
        )
    }

    /// The prover's 8-field-element message for a 32-byte message.
    #[napi]
    pub fn message_fields(&self, message: Uint8Array) -> Result<Uint32Array> {
        Ok(Uint32Array::new(self.fields(&message)?.to_vec()))
    }

    #[napi(ts_return_type = "Promise<NativeSecretKey>")]
    pub fn keygen(
        &self,
        seed: Uint8Array,
        first_slot: u32,
        last_slot: u32,
        signal: Option<AbortSignal>,
    ) -> AsyncTask<Job<NativeSecretKey>> {
        let backend = self.backend.clone();
        let checks = (|| {
            let seed: [u8; 32] = seed
                .as_ref()
                .try_into()
                .map_err(|_| err(ErrorCode::InvalidLength, "seed must be 32 bytes"))?;
            ops::check_key_range(first_slot, last_slot)?;
            Ok(seed)
        })();
        job_or_reject!(checks, signal, |seed| {
            let key = ops::run("keygen", || backend.keygen(seed, first_slot, last_slot))?;
            Ok(NativeSecretKey::new(key))
        })
    }

    /// Rebuild a secret key from `NativeSecretKey.toBytes()` (regenerates its Merkle tree): KEY_CORRUPTED
    /// when the checksum fails.
    #[napi(ts_return_type = "Promise<NativeSecretKey>")]
    pub fn secret_key_from_bytes(
        &self,
        bytes: Uint8Array,
        signal: Option<AbortSignal>,
    ) -> AsyncTask<Job<NativeSecretKey>> {
        match key_bytes::decode(bytes.as_ref()) {
            Ok(k) => self.keygen(Uint8Array::new(k.seed.to_vec()), k.first_slot, k.last_slot, signal),
            Err(e) => AsyncTask::with_optional_signal(rejected(e), signal),
        }
    }

    /// Sign through `record` (see `NativeSigningRecord`): a slot used for another message is
    /// SLOT_ALREADY_SIGNED, the same message again resolves with the recorded signature, a slot
    /// below the key's high-water mark is SLOT_BELOW_HIGH_WATER unless `allowOutOfOrder`.
    #[napi(ts_return_type = "Promise<Buffer>")]
    pub fn sign(
        &self,
        key: &NativeSecretKey,
        message: Uint8Array,
        slot: u32,
        record: &NativeSigningRecord,
        allow_out_of_order: Option<bool>,
        signal: Option<AbortSignal>,
    ) -> AsyncTask<Job<Bytes>> {
        let backend = self.backend.clone();
        let key = key.inner.clone();
        let record = record.inner.clone();
        let policy = Policy {
            allow_out_of_order: allow_out_of_order.unwrap_or(false),
        };
        let checks = self.fields(&message).and_then(|m| {
            validate::same_backend(backend.kind(), [key.backend], "secret key")?;
            ops::check_sign_slot(&key, slot)?;
            Ok((m, message_from_bytes(&message)?))
        });
        job_or_reject!(checks, signal, |(m, bytes)| {
            let sig = record.sign(&key.public_key, slot, &bytes, policy, || {
                ops::run("sign", || backend.sign(&key, &m, slot))
            })?;
            Ok(Bytes(sig.0))
        })
    }

    fn signature_check(
        &self,
        pk: &[u8],
        message: &[u8],
        sig: &[u8],
    ) -> LeanResult<(PublicKey, MessageFields, Signature)> {
        Ok((
            PublicKey::from_bytes(pk)?,
            self.fields(message)?,
            Signature::from_bytes(sig)?,
        ))
    }

    #[napi(ts_return_type = "Promise<boolean>")]
    pub fn verify_signature(
        &self,
        public_key: Uint8Array,
        message: Uint8Array,
        signature: Uint8Array,
        slot: u32,
        signal: Option<AbortSignal>,
    ) -> AsyncTask<Job<bool>> {
        let backend = self.backend.clone();
        let checks = self.signature_check(&public_key, &message, &signature);
        job_or_reject!(checks, signal, |(pk, m, sig)| ops::run("verify", || Ok(
            backend.verify_signature(&pk, &m, &sig, slot)
        )))
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
        let (pk, m, sig) = self.signature_check(&public_key, &message, &signature)?;
        Ok(crate::panic_guard::guard("verify", || {
            Ok(self.backend.verify_signature(&pk, &m, &sig, slot))
        })?)
    }

    /// Type-1 aggregation of raw signatures and children of the same message and slot.
    #[napi(ts_return_type = "Promise<NativeAggregate>")]
    #[allow(clippy::too_many_arguments)]
    pub fn aggregate(
        &self,
        public_keys: Vec<Uint8Array>,
        signatures: Vec<Uint8Array>,
        children: Vec<&NativeAggregate>,
        message: Uint8Array,
        slot: u32,
        log_inv_rate: u32,
        cancel: Option<&CancelToken>,
        signal: Option<AbortSignal>,
    ) -> AsyncTask<Job<NativeAggregate>> {
        let backend = self.backend.clone();
        let flag = cancel_flag(cancel);
        let checks = (|| {
            let message = self.fields(&message)?;
            let children = self.own(&children, "child")?;
            let pks: Vec<&[u8]> = public_keys.iter().map(|k| k.as_ref()).collect();
            let sigs: Vec<&[u8]> = signatures.iter().map(|s| s.as_ref()).collect();
            validate::group_request(message, slot, &pks, &sigs, children, log_inv_rate)
        })();
        let handle_backend = self.values.clone();
        job_or_reject!(checks, signal, |group| {
            let aggregate = ops::aggregate(backend.as_ref(), &group, &flag)?;
            Ok(NativeAggregate::new(aggregate, handle_backend))
        })
    }

    /// Verify an aggregate's proof, and that it matches `expected` (message, slot, signer set).
    #[napi(ts_return_type = "Promise<boolean>")]
    pub fn verify_aggregate(
        &self,
        aggregate: &NativeAggregate,
        expected: Option<ExpectedAggregate>,
        signal: Option<AbortSignal>,
    ) -> AsyncTask<Job<bool>> {
        let backend = self.backend.clone();
        let checks = self
            .own(&[aggregate], "aggregate")
            .and_then(|a| Ok((a, self.expected(expected)?)));
        job_or_reject!(checks, signal, |(a, expected)| ops::run("verify", || {
            ops::verify_aggregate(backend.as_ref(), &a[0], &expected)
        }))
    }

    /// Type-2: merge aggregates of different messages into one proof.
    #[napi(ts_return_type = "Promise<NativeMerged>")]
    pub fn merge(
        &self,
        parts: Vec<&NativeAggregate>,
        log_inv_rate: u32,
        cancel: Option<&CancelToken>,
        signal: Option<AbortSignal>,
    ) -> AsyncTask<Job<NativeMerged>> {
        let backend = self.backend.clone();
        let values = self.values.clone();
        let flag = cancel_flag(cancel);
        let checks = self
            .own(&parts, "aggregate")
            .and_then(|p| Ok((validate::merge_parts(&p, log_inv_rate)?, p)));
        job_or_reject!(checks, signal, |(rate, parts)| {
            let merged = ops::merge(backend.as_ref(), &parts, rate, &flag)?;
            Ok(NativeMerged::new(merged, values))
        })
    }

    /// Recover the type-1 aggregate of component `index` from a merged aggregate.
    #[napi(ts_return_type = "Promise<NativeAggregate>")]
    pub fn split(
        &self,
        merged: &NativeMerged,
        index: u32,
        log_inv_rate: u32,
        cancel: Option<&CancelToken>,
        signal: Option<AbortSignal>,
    ) -> AsyncTask<Job<NativeAggregate>> {
        let backend = self.backend.clone();
        let values = self.values.clone();
        let flag = cancel_flag(cancel);
        let inner = merged.inner.clone();
        let checks = (|| {
            validate::same_backend(backend.kind(), [inner.backend], "merged aggregate")?;
            if index as usize >= inner.components.len() {
                return Err(err(
                    ErrorCode::InvalidArgument,
                    format!("index {index} of {} components", inner.components.len()),
                ));
            }
            check_log_inv_rate(log_inv_rate)
        })();
        job_or_reject!(checks, signal, |rate| {
            let a = ops::split(backend.as_ref(), &inner, index as usize, rate, &flag)?;
            Ok(NativeAggregate::new(a, values))
        })
    }

    #[napi(ts_return_type = "Promise<boolean>")]
    pub fn verify_merged(&self, merged: &NativeMerged, signal: Option<AbortSignal>) -> AsyncTask<Job<bool>> {
        let backend = self.backend.clone();
        let inner = merged.inner.clone();
        let checks = validate::same_backend(backend.kind(), [inner.backend], "merged aggregate");
        job_or_reject!(checks, signal, |()| ops::run("verify", || ops::verify_merged(
            backend.as_ref(),
            &inner
        )))
    }

    /// Parse untrusted aggregate bytes (at most `maxBytes`).
    #[napi(ts_return_type = "Promise<NativeAggregate>")]
    pub fn aggregate_from_bytes(
        &self,
        bytes: Uint8Array,
        max_bytes: u32,
        signal: Option<AbortSignal>,
    ) -> AsyncTask<Job<NativeAggregate>> {
        let backend = self.backend.clone();
        let values = self.values.clone();
        job_or_reject!(Self::check_size(&bytes, max_bytes), signal, |owned| {
            let a = ops::decode(backend.as_ref(), || backend.aggregate_from_bytes(&owned))?;
            Ok(NativeAggregate::sized(a, values, owned.len()))
        })
    }

    /// Parse untrusted merged-aggregate bytes (at most `maxBytes`).
    #[napi(ts_return_type = "Promise<NativeMerged>")]
    pub fn merged_from_bytes(
        &self,
        bytes: Uint8Array,
        max_bytes: u32,
        signal: Option<AbortSignal>,
    ) -> AsyncTask<Job<NativeMerged>> {
        let backend = self.backend.clone();
        let values = self.values.clone();
        job_or_reject!(Self::check_size(&bytes, max_bytes), signal, |owned| {
            let m = ops::decode(backend.as_ref(), || backend.merged_from_bytes(&owned))?;
            Ok(NativeMerged::sized(m, values, owned.len()))
        })
    }

    /// Verify many signatures and aggregates in one call, spread over the prover pool. Results
    /// come in order: signatures first, then aggregates.
    #[napi(ts_return_type = "Promise<BatchResult[]>")]
    pub fn batch_verify(
        &self,
        signatures: Vec<SignatureItem>,
        aggregates: Vec<&NativeAggregate>,
        expected: Vec<Option<ExpectedAggregate>>,
        signal: Option<AbortSignal>,
    ) -> AsyncTask<Job<Vec<BatchResult>>> {
        let backend = self.backend.clone();
        // A malformed item fails alone, as its own result; it does not reject the batch.
        let mut items: Vec<LeanResult<BatchItem>> = signatures
            .iter()
            .map(|s| {
                let (key, message, signature) = self.signature_check(&s.public_key, &s.message, &s.signature)?;
                Ok(BatchItem::Signature {
                    key,
                    message,
                    signature,
                    slot: s.slot,
                })
            })
            .collect();
        let mut expected = expected.into_iter();
        for a in &aggregates {
            // Take this item's expectation first, so a bad item cannot shift the ones after it.
            let e = expected.next().flatten();
            let item = self.own(&[*a], "aggregate").and_then(|own| {
                Ok(BatchItem::Aggregate {
                    aggregate: own[0].clone(),
                    expected: self.expected(e)?,
                })
            });
            items.push(item);
        }
        Job::spawn(
            move || {
                // Verify the well-formed items together, then put every result back in its place.
                let (ready, mut results): (Vec<_>, Vec<_>) = items
                    .into_iter()
                    .enumerate()
                    .map(|(i, item)| match item {
                        Ok(item) => (Some((i, item)), None),
                        Err(e) => (None, Some(Err(e))),
                    })
                    .unzip();
                let (index, batch): (Vec<usize>, Vec<BatchItem>) = ready.into_iter().flatten().unzip();
                for (i, r) in index.into_iter().zip(ops::batch_verify(backend.as_ref(), &batch)?) {
                    results[i] = Some(r);
                }
                Ok(results
                    .into_iter()
                    .map(|r| match r.expect("every item has a result") {
                        Ok(valid) => BatchResult { valid, error: None },
                        Err(e) => BatchResult {
                            valid: false,
                            error: Some(e.to_string()),
                        },
                    })
                    .collect())
            },
            signal,
        )
    }
}
