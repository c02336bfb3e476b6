//! The staged operations the binding runs off the JS thread: cheap checks are done already
//! (`validate.rs`); here raw signatures are verified before children, children before the proof,
//! with a cancellation point between stages. Every backend call runs under `panic_guard::guard`.

use std::sync::Arc;

use rayon::prelude::*;

use crate::backend::{Backend, Codec, Prover, Verifier};
use crate::cancel::CancelFlag;
use crate::error::{err, ErrorCode, Result};
use crate::panic_guard::{guard, verify_untrusted};
use crate::threads;
use crate::types::*;

/// A prover's three parts: the in-process backend's keys, signatures and bytes (`codec`) and its
/// verification (`verifier`), and where proofs are made (the backend itself, or a prover server).
#[derive(Clone)]
pub struct Engine {
    pub codec: Arc<dyn Codec>,
    pub verifier: Arc<dyn Verifier>,
    pub prover: Arc<dyn Prover>,
}

impl Engine {
    /// A backend that proves in this process.
    pub fn in_process(backend: Arc<dyn Backend>) -> Self {
        Engine {
            codec: backend.clone(),
            verifier: backend.clone(),
            prover: backend,
        }
    }
}

/// The one setup check of every operation that proves, verifies or decodes.
pub fn require_setup(engine: &Engine) -> Result<()> {
    if engine.prover.is_ready() {
        Ok(())
    } else {
        Err(err(ErrorCode::NotSetUp, "call setup() first"))
    }
}

/// Run `f` on the prover pool under the panic guard.
pub fn run<T: Send>(what: &str, f: impl FnOnce() -> Result<T> + Send) -> Result<T> {
    threads::run(|| guard(what, f))
}

pub fn setup(engine: &Engine) -> Result<()> {
    run("setup", || engine.prover.setup())
}

pub fn aggregate(engine: &Engine, group: &GroupRequest, cancel: &CancelFlag) -> Result<Aggregate> {
    let (codec, verifier) = (engine.codec.as_ref(), engine.verifier.as_ref());
    run("aggregate", || {
        cancel.check()?;
        require_setup(engine)?;
        let bad = group
            .raw
            .par_iter()
            .position_first(|(pk, sig)| !codec.verify_signature(pk, &group.message, sig, group.slot));
        if let Some(i) = bad {
            return Err(err(
                ErrorCode::InvalidSignature,
                format!("signature {i} does not verify"),
            ));
        }
        cancel.check()?;
        verify_children(verifier, &group.children, "child")?;
        cancel.check()?;
        engine.prover.prove_aggregate(group, cancel)
    })
}

fn verify_children(verifier: &dyn Verifier, children: &[Arc<Aggregate>], what: &str) -> Result<()> {
    let results: Vec<Result<bool>> = children
        .par_iter()
        .map(|c| verify_untrusted(|| verifier.verify_aggregate(c)))
        .collect();
    for (i, r) in results.into_iter().enumerate() {
        if !r? {
            return Err(err(ErrorCode::InvalidChild, format!("{what} {i} does not verify")));
        }
    }
    Ok(())
}

pub fn merge(engine: &Engine, parts: &[Arc<Aggregate>], rate: usize, cancel: &CancelFlag) -> Result<Merged> {
    run("merge", || {
        cancel.check()?;
        require_setup(engine)?;
        verify_children(engine.verifier.as_ref(), parts, "aggregate")?;
        cancel.check()?;
        engine.prover.prove_merge(parts, rate, cancel)
    })
}

pub fn split(engine: &Engine, merged: &Merged, index: usize, rate: usize, cancel: &CancelFlag) -> Result<Aggregate> {
    run("split", || {
        cancel.check()?;
        require_setup(engine)?;
        if !verify_untrusted(|| engine.verifier.verify_merged(merged))? {
            return Err(err(ErrorCode::InvalidAggregate, "the merged aggregate does not verify"));
        }
        cancel.check()?;
        engine.prover.prove_split(merged, index, rate, cancel)
    })
}

/// What a caller expects an aggregate to prove; a mismatch makes it invalid, not an error.
#[derive(Default, Clone)]
pub struct Expected {
    pub message: Option<MessageFields>,
    pub slot: Option<u32>,
    /// Sorted and deduplicated by the caller of `expected`.
    pub signers: Option<Vec<PublicKey>>,
}

impl Expected {
    pub fn matches(&self, info: &AggregateInfo) -> bool {
        self.message.is_none_or(|m| m == info.message)
            && self.slot.is_none_or(|s| s == info.slot)
            && self.signers.as_ref().is_none_or(|s| *s == info.signers)
    }
}

/// Aggregates may come from outside (`aggregateFromBytes`): a proof that makes the verifier panic
/// is invalid (`false`), never `PROVER_PANIC`.
pub fn verify_aggregate(engine: &Engine, aggregate: &Aggregate, expected: &Expected) -> Result<bool> {
    require_setup(engine)?;
    Ok(expected.matches(&aggregate.info) && verify_untrusted(|| engine.verifier.verify_aggregate(aggregate))?)
}

pub fn verify_merged(engine: &Engine, merged: &Merged) -> Result<bool> {
    require_setup(engine)?;
    verify_untrusted(|| engine.verifier.verify_merged(merged))
}

/// Decode untrusted bytes on the prover pool: a panic while decoding is `INVALID_AGGREGATE`.
pub fn decode<T: Send>(engine: &Engine, f: impl FnOnce(&dyn Codec) -> Result<T> + Send) -> Result<T> {
    threads::run(|| {
        crate::panic_guard::contain(ErrorCode::InvalidAggregate, "decode", || {
            require_setup(engine)?;
            f(engine.codec.as_ref())
        })
    })
}

/// One item of a batch verification.
pub enum BatchItem {
    Signature {
        key: PublicKey,
        message: MessageFields,
        signature: Signature,
        slot: u32,
    },
    Aggregate {
        aggregate: Arc<Aggregate>,
        expected: Expected,
    },
}

/// Verify many items in one call, spread over the prover pool; one result per item, in order.
pub fn batch_verify(engine: &Engine, items: &[BatchItem]) -> Result<Vec<Result<bool>>> {
    threads::run(|| {
        Ok(items
            .par_iter()
            .map(|item| {
                guard("verify", || match item {
                    BatchItem::Signature {
                        key,
                        message,
                        signature,
                        slot,
                    } => Ok(engine.codec.verify_signature(key, message, signature, *slot)),
                    BatchItem::Aggregate { aggregate, expected } => verify_aggregate(engine, aggregate, expected),
                })
            })
            .collect())
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backend::simulated::SimulatedBackend;
    use crate::simulated_config::SimulatedConfig;

    fn setup() -> (Engine, Aggregate) {
        let b = Engine::in_process(Arc::new(SimulatedBackend::new(SimulatedConfig::default())));
        b.prover.setup().unwrap();
        let v = &b.codec;
        let message = v.message_fields(&[7; 32]);
        let raw = (1..=3u8)
            .map(|i| {
                let k = v.keygen([i; 32], 0, 7).unwrap();
                let s = v.sign(&k, &message, 2).unwrap();
                (k.public_key, s)
            })
            .collect();
        let group = GroupRequest {
            message,
            slot: 2,
            raw,
            children: vec![],
            log_inv_rate: 2,
        };
        let a = aggregate(&b, &group, &CancelFlag::default()).unwrap();
        (b, a)
    }

    /// Bytes whose proof makes the (simulated) verifier assert, as malformed leanMultisig proofs do.
    fn panicking(b: &Engine, a: &Aggregate) -> Aggregate {
        let mut bytes = b.codec.aggregate_to_bytes(a);
        let n = bytes.len();
        bytes[n - 32] = 0;
        bytes[n - 31] ^= 1;
        decode(b, |v| v.aggregate_from_bytes(&bytes)).unwrap()
    }

    #[test]
    fn a_proof_that_panics_the_verifier_is_invalid_not_a_prover_panic() {
        let (b, a) = setup();
        let bad = panicking(&b, &a);
        assert!(verify_aggregate(&b, &a, &Expected::default()).unwrap());
        assert!(!verify_aggregate(&b, &bad, &Expected::default()).unwrap());
        let group = GroupRequest {
            message: a.info.message,
            slot: 2,
            raw: vec![],
            children: vec![Arc::new(bad.clone())],
            log_inv_rate: 2,
        };
        let e = aggregate(&b, &group, &CancelFlag::default()).err().unwrap();
        assert_eq!(e.code, ErrorCode::InvalidChild);
        let e = merge(&b, &[Arc::new(bad.clone())], 2, &CancelFlag::default())
            .err()
            .unwrap();
        assert_eq!(e.code, ErrorCode::InvalidChild);
        let r = batch_verify(
            &b,
            &[BatchItem::Aggregate {
                aggregate: Arc::new(bad),
                expected: Expected::default(),
            }],
        )
        .unwrap();
        assert!(!r[0].clone().unwrap());
    }

    #[test]
    fn a_merged_proof_that_panics_the_verifier_is_invalid() {
        let (b, a) = setup();
        let m = merge(&b, &[Arc::new(a)], 2, &CancelFlag::default()).unwrap();
        let mut bytes = b.codec.merged_to_bytes(&m);
        let n = bytes.len();
        bytes[n - 32] = 0;
        bytes[n - 31] ^= 1;
        let bad = decode(&b, |v| v.merged_from_bytes(&bytes)).unwrap();
        assert!(verify_merged(&b, &m).unwrap());
        assert!(!verify_merged(&b, &bad).unwrap());
        let e = split(&b, &bad, 0, 2, &CancelFlag::default()).err().unwrap();
        assert_eq!(e.code, ErrorCode::InvalidAggregate);
    }

    #[test]
    fn claim_keys_ignore_signer_order_and_repeats_and_see_every_field() {
        let (_, a) = setup();
        let key = a.info.claim_key();
        let mut shuffled = a.info.clone();
        shuffled.signers.reverse();
        shuffled.signers.push(shuffled.signers[0]);
        assert_eq!(shuffled.claim_key(), key);
        let mut other = a.info.clone();
        other.slot += 1;
        assert_ne!(other.claim_key(), key);
        let mut other = a.info.clone();
        other.message[7] ^= 1;
        assert_ne!(other.claim_key(), key);
        let mut other = a.info.clone();
        other.signers.pop();
        assert_ne!(other.claim_key(), key);
        assert_ne!(merged_claim_key(std::slice::from_ref(&a.info)), key);
    }
}
