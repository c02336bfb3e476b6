//! The staged operations the binding runs off the JS thread: cheap checks are done already
//! (`validate.rs`); here raw signatures are verified before children, children before the proof,
//! with a cancellation point between stages. Every backend call runs under `panic_guard::guard`.

use std::sync::Arc;

use rayon::prelude::*;

use crate::backend::Backend;
use crate::cancel::CancelFlag;
use crate::error::{err, ErrorCode, Result};
use crate::panic_guard::{guard, verify_untrusted};
use crate::threads;
use crate::types::*;

pub fn require_setup(backend: &dyn Backend) -> Result<()> {
    if backend.is_set_up() {
        Ok(())
    } else {
        Err(err(ErrorCode::NotSetUp, "call setup() first"))
    }
}

/// Run `f` on the prover pool under the panic guard.
pub fn run<T: Send>(what: &str, f: impl FnOnce() -> Result<T> + Send) -> Result<T> {
    threads::run(|| guard(what, f))
}

pub fn aggregate(backend: &dyn Backend, group: &GroupRequest, cancel: &CancelFlag) -> Result<Aggregate> {
    run("aggregate", || {
        cancel.check()?;
        require_setup(backend)?;
        let bad = group
            .raw
            .par_iter()
            .position_first(|(pk, sig)| !backend.verify_signature(pk, &group.message, sig, group.slot));
        if let Some(i) = bad {
            return Err(err(
                ErrorCode::InvalidSignature,
                format!("signature {i} does not verify"),
            ));
        }
        cancel.check()?;
        verify_children(backend, &group.children, "child")?;
        cancel.check()?;
        backend.prove_aggregate(group, cancel)
    })
}

fn verify_children(backend: &dyn Backend, children: &[Arc<Aggregate>], what: &str) -> Result<()> {
    let results: Vec<Result<bool>> = children
        .par_iter()
        .map(|c| verify_untrusted(|| backend.verify_aggregate(c)))
        .collect();
    for (i, r) in results.into_iter().enumerate() {
        if !r? {
            return Err(err(ErrorCode::InvalidChild, format!("{what} {i} does not verify")));
        }
    }
    Ok(())
}

pub fn merge(backend: &dyn Backend, parts: &[Arc<Aggregate>], rate: usize, cancel: &CancelFlag) -> Result<Merged> {
    run("merge", || {
        cancel.check()?;
        require_setup(backend)?;
        verify_children(backend, parts, "aggregate")?;
        cancel.check()?;
        backend.prove_merge(parts, rate, cancel)
    })
}

pub fn split(
    backend: &dyn Backend,
    merged: &Merged,
    index: usize,
    rate: usize,
    cancel: &CancelFlag,
) -> Result<Aggregate> {
    run("split", || {
        cancel.check()?;
        require_setup(backend)?;
        if !verify_untrusted(|| backend.verify_merged(merged))? {
            return Err(err(ErrorCode::InvalidAggregate, "the merged aggregate does not verify"));
        }
        cancel.check()?;
        backend.prove_split(merged, index, rate, cancel)
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
pub fn verify_aggregate(backend: &dyn Backend, aggregate: &Aggregate, expected: &Expected) -> Result<bool> {
    require_setup(backend)?;
    Ok(expected.matches(&aggregate.info) && verify_untrusted(|| backend.verify_aggregate(aggregate))?)
}

pub fn verify_merged(backend: &dyn Backend, merged: &Merged) -> Result<bool> {
    require_setup(backend)?;
    verify_untrusted(|| backend.verify_merged(merged))
}

/// Decode untrusted bytes on the prover pool: a panic while decoding is `INVALID_AGGREGATE`.
pub fn decode<T: Send>(backend: &dyn Backend, f: impl FnOnce() -> Result<T> + Send) -> Result<T> {
    threads::run(|| {
        crate::panic_guard::contain(ErrorCode::InvalidAggregate, "decode", || {
            require_setup(backend)?;
            f()
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
pub fn batch_verify(backend: &dyn Backend, items: &[BatchItem]) -> Result<Vec<Result<bool>>> {
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
                    } => Ok(backend.verify_signature(key, message, signature, *slot)),
                    BatchItem::Aggregate { aggregate, expected } => verify_aggregate(backend, aggregate, expected),
                })
            })
            .collect())
    })
}

pub fn check_key_range(first_slot: u32, last_slot: u32) -> Result<()> {
    if first_slot > last_slot {
        return Err(err(
            ErrorCode::InvalidArgument,
            format!("first slot {first_slot} is after last slot {last_slot}"),
        ));
    }
    let slots = last_slot as u64 - first_slot as u64 + 1;
    if slots > MAX_KEY_SLOTS {
        return Err(err(
            ErrorCode::InvalidArgument,
            format!("{slots} slots, at most {MAX_KEY_SLOTS} per key"),
        ));
    }
    Ok(())
}

pub fn check_sign_slot(key: &SecretKey, slot: u32) -> Result<()> {
    if slot < key.first_slot || slot > key.last_slot {
        return Err(err(
            ErrorCode::SlotOutOfRange,
            format!(
                "slot {slot} is outside the key's range {}..={}",
                key.first_slot, key.last_slot
            ),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backend::simulated::{SimulatedBackend, SimulatedConfig};

    fn setup() -> (SimulatedBackend, Aggregate) {
        let b = SimulatedBackend::new(SimulatedConfig::default());
        b.setup().unwrap();
        let message = b.message_fields(&[7; 32]);
        let raw = (1..=3u8)
            .map(|i| {
                let k = b.keygen([i; 32], 0, 7).unwrap();
                let s = b.sign(&k, &message, 2).unwrap();
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
    fn panicking(b: &SimulatedBackend, a: &Aggregate) -> Aggregate {
        let mut bytes = b.aggregate_to_bytes(a);
        let n = bytes.len();
        bytes[n - 32] = 0;
        bytes[n - 31] ^= 1;
        decode(b, || b.aggregate_from_bytes(&bytes)).unwrap()
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
        let mut bytes = b.merged_to_bytes(&m);
        let n = bytes.len();
        bytes[n - 32] = 0;
        bytes[n - 31] ^= 1;
        let bad = decode(&b, || b.merged_from_bytes(&bytes)).unwrap();
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
