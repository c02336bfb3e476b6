//! The `Prover` of `isolation: 'process'`: proofs run in a prover server's workers. Keys,
//! signatures, verification and bytes stay in-process, on the backend's own `Verifier`. A proof
//! comes back as the backend's bytes and is parsed as untrusted input; it must prove exactly the
//! claim that was asked for.

use std::sync::Arc;

use super::client::Server;
use super::protocol::Work;
use super::work;
use crate::backend::{signer_union, Prover, Verifier};
use crate::cancel::CancelFlag;
use crate::error::{err, ErrorCode, LeanAggError, Result};
use crate::types::*;

/// Where the work goes: a prover server, or a stand-in in tests.
pub trait Remote: Send + Sync + 'static {
    /// Start it (with its setup) unless it runs.
    fn start(&self) -> Result<()>;
    fn is_started(&self) -> bool;
    fn prove(&self, work: Work, cancel: &CancelFlag) -> Result<Vec<u8>>;
    fn shutdown(&self);
}

impl Remote for Server {
    fn start(&self) -> Result<()> {
        self.process().map(drop)
    }

    fn is_started(&self) -> bool {
        Server::is_started(self)
    }

    fn prove(&self, work: Work, cancel: &CancelFlag) -> Result<Vec<u8>> {
        self.process()?.prove(work, cancel)
    }

    fn shutdown(&self) {
        Server::shutdown(self)
    }
}

pub struct IsolatedProver {
    verifier: Arc<dyn Verifier>,
    remote: Box<dyn Remote>,
}

/// The worker answered with a proof of something else: a fault of the prover process.
fn wrong_claim(what: &str) -> LeanAggError {
    err(
        ErrorCode::ProverFailed,
        format!("the prover process returned {what} for another claim than the one asked for"),
    )
}

impl IsolatedProver {
    pub fn new(verifier: Arc<dyn Verifier>, remote: Box<dyn Remote>) -> Self {
        IsolatedProver { verifier, remote }
    }

    /// Stop the server and any proof in flight (close()).
    pub fn shutdown(&self) {
        self.remote.shutdown();
    }
}

impl Prover for IsolatedProver {
    /// The host's verifier setup and the server's prover setup are independent: they run side by
    /// side (on this pool), so a cold start costs the longer of the two, not their sum.
    fn setup(&self) -> Result<()> {
        let (verifier, server) = rayon::join(|| self.verifier.setup_verifier(), || self.remote.start());
        verifier.and(server)
    }

    fn is_ready(&self) -> bool {
        self.verifier.is_set_up() && self.remote.is_started()
    }

    fn prove_aggregate(&self, group: &GroupRequest, cancel: &CancelFlag) -> Result<Aggregate> {
        let bytes = self
            .remote
            .prove(work::aggregate(self.verifier.as_ref(), group), cancel)?;
        let aggregate = self.verifier.aggregate_from_bytes(&bytes)?;
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

    fn prove_merge(&self, parts: &[Arc<Aggregate>], log_inv_rate: usize, cancel: &CancelFlag) -> Result<Merged> {
        let work = work::merge(self.verifier.as_ref(), parts, log_inv_rate);
        let merged = self.verifier.merged_from_bytes(&self.remote.prove(work, cancel)?)?;
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
        let work = work::split(self.verifier.as_ref(), merged, index, log_inv_rate);
        let aggregate = self.verifier.aggregate_from_bytes(&self.remote.prove(work, cancel)?)?;
        if Some(&aggregate.info) != merged.components.get(index) {
            return Err(wrong_claim("an aggregate"));
        }
        Ok(aggregate)
    }
}
