//! Proofs in a prover server's child processes (`isolation: 'process'`). Everything else (keys,
//! signatures, verification, bytes) runs in-process on the inner backend, which only needs the
//! verifier's setup. A proof comes back as the backend's own bytes and is parsed as untrusted
//! input; it must prove exactly the claim that was asked for.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use super::{signer_union, simulated::SimulatedConfig, Backend};
use crate::cancel::CancelFlag;
use crate::error::{err, ErrorCode, Result};
use crate::isolation::client::ProverProcess;
use crate::isolation::protocol::{Request, Work};
use crate::types::*;

pub struct IsolatedBackend {
    inner: Arc<dyn Backend>,
    server: PathBuf,
    simulated: SimulatedConfig,
    threads: u32,
    max_proof_memory_bytes: Option<u64>,
    process: Mutex<Option<Arc<ProverProcess>>>,
}

impl IsolatedBackend {
    pub fn new(
        inner: Arc<dyn Backend>,
        server: PathBuf,
        simulated: SimulatedConfig,
        threads: u32,
        max_proof_memory_bytes: Option<u64>,
    ) -> Self {
        IsolatedBackend {
            inner,
            server,
            simulated,
            threads,
            max_proof_memory_bytes,
            process: Mutex::new(None),
        }
    }

    /// The running server, started (with its setup) if it is not running: after a crash of the
    /// server itself, the next proof pays the setup again.
    fn process(&self) -> Result<Arc<ProverProcess>> {
        let mut slot = self.process.lock().unwrap();
        if let Some(p) = slot.as_ref().filter(|p| p.is_alive()) {
            return Ok(p.clone());
        }
        let init = Request::Init {
            backend: self.inner.kind().into(),
            simulated: self.simulated.clone(),
            threads: self.threads,
            max_proof_memory_bytes: self.max_proof_memory_bytes,
        };
        let p = Arc::new(ProverProcess::start(&self.server, init)?);
        *slot = Some(p.clone());
        Ok(p)
    }

    /// Stop the server and any proof in flight (close()).
    pub fn shutdown(&self) {
        if let Some(p) = self.process.lock().unwrap().take() {
            p.stop();
        }
    }

    fn run(&self, work: Work, cancel: &CancelFlag) -> Result<Vec<u8>> {
        self.process()?.prove(work, cancel)
    }
}

/// The child answered with a proof of something else: a fault of the prover process.
fn wrong_claim(what: &str) -> crate::error::LeanAggError {
    err(
        ErrorCode::ProverFailed,
        format!("the prover process returned {what} for another claim than the one asked for"),
    )
}

impl Drop for IsolatedBackend {
    fn drop(&mut self) {
        self.shutdown();
    }
}

impl Backend for IsolatedBackend {
    fn kind(&self) -> BackendKind {
        self.inner.kind()
    }

    /// The host's verifier setup and the server's prover setup are independent: they run side by
    /// side (on this pool), so a cold start costs the longer of the two, not their sum.
    fn setup(&self) -> Result<()> {
        let (verifier, server) = rayon::join(|| self.inner.setup_verifier(), || self.process().map(drop));
        verifier.and(server)
    }

    fn is_set_up(&self) -> bool {
        self.inner.is_set_up() && self.process.lock().unwrap().is_some()
    }

    fn message_fields(&self, message: &[u8; MESSAGE_BYTES]) -> MessageFields {
        self.inner.message_fields(message)
    }

    fn keygen(&self, seed: [u8; 32], first_slot: u32, last_slot: u32) -> Result<SecretKey> {
        self.inner.keygen(seed, first_slot, last_slot)
    }

    fn sign(&self, key: &SecretKey, message: &MessageFields, slot: u32) -> Result<Signature> {
        self.inner.sign(key, message, slot)
    }

    fn verify_signature(&self, key: &PublicKey, message: &MessageFields, sig: &Signature, slot: u32) -> bool {
        self.inner.verify_signature(key, message, sig, slot)
    }

    fn prove_aggregate(&self, group: &GroupRequest, cancel: &CancelFlag) -> Result<Aggregate> {
        let work = Work::Aggregate {
            message: group.message,
            slot: group.slot,
            raw: group
                .raw
                .iter()
                .map(|(pk, sig)| (pk.0.to_vec(), sig.0.clone()))
                .collect(),
            children: group
                .children
                .iter()
                .map(|c| self.inner.aggregate_to_bytes(c))
                .collect(),
            log_inv_rate: group.log_inv_rate as u32,
        };
        let aggregate = self.inner.aggregate_from_bytes(&self.run(work, cancel)?)?;
        let claim = AggregateInfo {
            message: group.message,
            slot: group.slot,
            signers: signer_union(group),
        };
        if aggregate.info != claim {
            return Err(wrong_claim("an aggregate"));
        }
        Ok(aggregate)
    }

    fn verify_aggregate(&self, aggregate: &Aggregate) -> Result<bool> {
        self.inner.verify_aggregate(aggregate)
    }

    fn prove_merge(&self, parts: &[Arc<Aggregate>], log_inv_rate: usize, cancel: &CancelFlag) -> Result<Merged> {
        let work = Work::Merge {
            parts: parts.iter().map(|p| self.inner.aggregate_to_bytes(p)).collect(),
            log_inv_rate: log_inv_rate as u32,
        };
        let merged = self.inner.merged_from_bytes(&self.run(work, cancel)?)?;
        if !merged.components.iter().eq(parts.iter().map(|p| &p.info)) {
            return Err(wrong_claim("a merged aggregate"));
        }
        Ok(merged)
    }

    fn prove_split(
        &self,
        merged: &Merged,
        index: usize,
        log_inv_rate: usize,
        cancel: &CancelFlag,
    ) -> Result<Aggregate> {
        let work = Work::Split {
            merged: self.inner.merged_to_bytes(merged),
            index: index as u32,
            log_inv_rate: log_inv_rate as u32,
        };
        let aggregate = self.inner.aggregate_from_bytes(&self.run(work, cancel)?)?;
        if Some(&aggregate.info) != merged.components.get(index) {
            return Err(wrong_claim("an aggregate"));
        }
        Ok(aggregate)
    }

    fn verify_merged(&self, merged: &Merged) -> Result<bool> {
        self.inner.verify_merged(merged)
    }

    fn aggregate_to_bytes(&self, aggregate: &Aggregate) -> Vec<u8> {
        self.inner.aggregate_to_bytes(aggregate)
    }

    fn aggregate_from_bytes(&self, bytes: &[u8]) -> Result<Aggregate> {
        self.inner.aggregate_from_bytes(bytes)
    }

    fn merged_to_bytes(&self, merged: &Merged) -> Vec<u8> {
        self.inner.merged_to_bytes(merged)
    }

    fn merged_from_bytes(&self, bytes: &[u8]) -> Result<Merged> {
        self.inner.merged_from_bytes(bytes)
    }
}
