//! The constructor's option objects, and the core configuration they become.

use leanagg_core::error::{err, ErrorCode, Result};
use leanagg_core::simulated_config::SimulatedConfig;
use leanagg_core::types::message_from_bytes;
use napi::bindgen_prelude::Uint8Array;
use napi_derive::napi;

use crate::names::CrashKind;

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
    pub kind: CrashKind,
}

/// Where proofs run.
#[napi(object)]
pub struct IsolationOptions {
    /// In child processes of a prover server, which can be killed (unix only).
    pub process: bool,
    /// With `process`: a proof's own memory above what it shares with the server.
    pub max_proof_memory_bytes: Option<f64>,
}

fn copy_messages(list: Option<Vec<Uint8Array>>) -> Result<Vec<[u8; 32]>> {
    list.unwrap_or_default().iter().map(|m| message_from_bytes(m)).collect()
}

pub fn simulated_config(s: SimulatedOptions) -> Result<SimulatedConfig> {
    let crash_on = s
        .crash_on
        .unwrap_or_default()
        .into_iter()
        .map(|f| Ok((message_from_bytes(&f.message)?, f.kind.into())))
        .collect::<Result<Vec<_>>>()?;
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

/// `maxProofMemoryBytes`, a whole number of bytes if given.
pub fn max_proof_memory(iso: &IsolationOptions) -> Result<Option<u64>> {
    match iso.max_proof_memory_bytes {
        None => Ok(None),
        Some(b) if b.is_finite() && b >= 1.0 => Ok(Some(b as u64)),
        Some(b) => Err(err(
            ErrorCode::InvalidArgument,
            format!("maxProofMemoryBytes must be a positive number, got {b}"),
        )),
    }
}
