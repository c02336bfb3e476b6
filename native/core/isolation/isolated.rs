//! The `Prover` of `isolation: 'process'`: proofs run in a prover server's workers. Keys,
//! signatures, verification and bytes stay in-process, on the backend's own `Codec` and `Verifier`.
//! A proof comes back as the backend's bytes and is parsed as untrusted input; it must prove
//! exactly the claim that was asked for.

use std::sync::Arc;

use super::client::Server;
use super::protocol::Work;
use super::work;
use crate::backend::{signer_union, Codec, Prover, Verifier};
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
    codec: Arc<dyn Codec>,
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
    /// `codec` and `verifier`: the host's own backend.
    pub fn new(codec: Arc<dyn Codec>, verifier: Arc<dyn Verifier>, remote: Box<dyn Remote>) -> Self {
        IsolatedProver {
            codec,
            verifier,
            remote,
        }
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
        let bytes = self.remote.prove(work::aggregate(self.codec.as_ref(), group), cancel)?;
        let aggregate = self.codec.aggregate_from_bytes(&bytes)?;
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
        let work = work::merge(self.codec.as_ref(), parts, log_inv_rate);
        let merged = self.codec.merged_from_bytes(&self.remote.prove(work, cancel)?)?;
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
        let work = work::split(self.codec.as_ref(), merged, index, log_inv_rate);
        let aggregate = self.codec.aggregate_from_bytes(&self.remote.prove(work, cancel)?)?;
        if Some(&aggregate.info) != merged.components.get(index) {
            return Err(wrong_claim("an aggregate"));
        }
        Ok(aggregate)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicBool, Ordering};

    use super::*;
    use crate::backend::simulated::SimulatedBackend;
    use crate::isolation::protocol::crashed;
    use crate::ops::{self, Engine, Expected};
    use crate::simulated_config::SimulatedConfig;

    /// A stand-in for the prover server: its "worker" proves with `work::prove` on a backend of
    /// its own, as a real worker does, or answers as told.
    struct FakeRemote {
        worker: SimulatedBackend,
        started: AtomicBool,
        answer: Option<fn() -> Result<Vec<u8>>>,
    }

    impl Remote for FakeRemote {
        fn start(&self) -> Result<()> {
            Prover::setup(&self.worker)?;
            self.started.store(true, Ordering::Release);
            Ok(())
        }

        fn is_started(&self) -> bool {
            self.started.load(Ordering::Acquire)
        }

        fn prove(&self, work: Work, _cancel: &CancelFlag) -> Result<Vec<u8>> {
            match self.answer {
                Some(answer) => answer(),
                None => work::prove(&self.worker, work),
            }
        }

        fn shutdown(&self) {
            self.started.store(false, Ordering::Release);
        }
    }

    fn remote(worker: SimulatedConfig, answer: Option<fn() -> Result<Vec<u8>>>) -> FakeRemote {
        FakeRemote {
            worker: SimulatedBackend::new(worker),
            started: AtomicBool::new(false),
            answer,
        }
    }

    fn engine(worker: SimulatedConfig, answer: Option<fn() -> Result<Vec<u8>>>) -> Engine {
        let host = Arc::new(SimulatedBackend::new(SimulatedConfig::default()));
        let isolated = IsolatedProver::new(host.clone(), host.clone(), Box::new(remote(worker, answer)));
        Engine {
            codec: host.clone(),
            verifier: host,
            prover: Arc::new(isolated),
        }
    }

    fn group(engine: &Engine, message: [u8; 32], signers: u8) -> GroupRequest {
        let v = &engine.codec;
        let fields = v.message_fields(&message);
        let raw = (1..=signers)
            .map(|i| {
                let key = v.keygen([i; 32], 0, 3).unwrap();
                (key.public_key, v.sign(&key, &fields, 1).unwrap())
            })
            .collect();
        GroupRequest {
            message: fields,
            slot: 1,
            raw,
            children: vec![],
            log_inv_rate: 2,
        }
    }

    #[test]
    fn it_is_ready_once_the_verifier_is_set_up_and_the_server_started() {
        let e = engine(SimulatedConfig::default(), None);
        assert!(!e.prover.is_ready());
        assert_eq!(ops::require_setup(&e).err().unwrap().code, ErrorCode::NotSetUp);
        ops::setup(&e).unwrap();
        assert!(e.verifier.is_set_up() && e.prover.is_ready());
    }

    #[test]
    fn proofs_made_by_the_worker_come_back_as_the_claims_asked_for() {
        let e = engine(SimulatedConfig::default(), None);
        ops::setup(&e).unwrap();
        let g = group(&e, [5; 32], 3);
        let a = Arc::new(ops::aggregate(&e, &g, &CancelFlag::default()).unwrap());
        assert_eq!((a.info.message, a.info.slot, a.info.signers.len()), (g.message, 1, 3));
        assert!(ops::verify_aggregate(&e, &a, &Expected::default()).unwrap());
        let b = Arc::new(ops::aggregate(&e, &group(&e, [6; 32], 2), &CancelFlag::default()).unwrap());
        let m = ops::merge(&e, &[a.clone(), b.clone()], 2, &CancelFlag::default()).unwrap();
        assert_eq!(m.components, vec![a.info.clone(), b.info.clone()]);
        let back = ops::split(&e, &m, 1, 2, &CancelFlag::default()).unwrap();
        assert_eq!(back.info, b.info);
    }

    #[test]
    fn a_proof_of_another_claim_is_a_prover_failure() {
        let worker = SimulatedConfig {
            wrong_claim_on: vec![[5; 32]],
            ..SimulatedConfig::default()
        };
        let e = engine(worker, None);
        ops::setup(&e).unwrap();
        let err = ops::aggregate(&e, &group(&e, [5; 32], 2), &CancelFlag::default())
            .err()
            .unwrap();
        assert_eq!(err.code, ErrorCode::ProverFailed);
        assert!(err.detail.contains("another claim"), "{}", err.detail);
        // Another message of the same prover is unaffected.
        assert!(ops::aggregate(&e, &group(&e, [6; 32], 2), &CancelFlag::default()).is_ok());
    }

    #[test]
    fn the_answer_is_untrusted_bytes_and_a_remote_failure_keeps_its_code() {
        let garbage = engine(
            SimulatedConfig::default(),
            Some(|| Ok(b"LEANAGG:SIMPROOF\x01".to_vec())),
        );
        ops::setup(&garbage).unwrap();
        let err = ops::aggregate(&garbage, &group(&garbage, [5; 32], 1), &CancelFlag::default())
            .err()
            .unwrap();
        assert_eq!(err.code, ErrorCode::InvalidAggregate);
        let dead = engine(
            SimulatedConfig::default(),
            Some(|| Err(crashed("the prover process was killed by SIGSEGV"))),
        );
        ops::setup(&dead).unwrap();
        let err = ops::aggregate(&dead, &group(&dead, [5; 32], 1), &CancelFlag::default())
            .err()
            .unwrap();
        assert_eq!(err.code, ErrorCode::ProverCrashed);
    }

    #[test]
    fn shutdown_leaves_it_not_ready() {
        let host = Arc::new(SimulatedBackend::new(SimulatedConfig::default()));
        host.setup_verifier().unwrap();
        let r = remote(SimulatedConfig::default(), None);
        r.started.store(true, Ordering::Release);
        let isolated = IsolatedProver::new(host.clone(), host, Box::new(r));
        assert!(isolated.is_ready());
        isolated.shutdown();
        assert!(!isolated.is_ready());
    }
}
