//! The simulated prover: for testing sessions and clients' own aggregation loops without the
//! real prover's memory and time. Nothing here is secure: its keys, signatures and proofs are
//! Keccak tags anyone can forge (`tags.rs`), and its proof bytes start with `SIMULATED_MAGIC`,
//! which the real backend rejects by name (`codec.rs`). Latency is deterministic and set by the
//! caller (`latency.rs`); faults are injected by message (`faults.rs`).

mod codec;
mod faults;
mod latency;
mod tags;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use self::codec::{Reader, MERGED, TYPE_1};
use self::faults::{malformed_proof_assert, Faults};
use super::{payload, signer_union, Codec, Prover, Verifier};
use crate::cancel::CancelFlag;
use crate::error::Result;
use crate::message::message_hash_input;
use crate::simulated_config::SimulatedConfig;
use crate::types::*;

pub struct SimulatedBackend {
    config: SimulatedConfig,
    set_up: AtomicBool,
    faults: Faults,
}

/// A simulated proof: a tag over what the aggregate claims.
struct SimProof([u8; 32]);

struct SimMerged {
    tags: Vec<[u8; 32]>,
    outer: [u8; 32],
}

/// Same embedding as the real backend; a Keccak compression stands in for Poseidon.
fn message_fields(message: &[u8; MESSAGE_BYTES]) -> MessageFields {
    let tag = tags::keccak(&[b"leanagg-sim-msg", &tags::fields_bytes(&message_hash_input(message))]);
    tags::expand_fields(&tag, MESSAGE_FIELDS).try_into().unwrap()
}

impl SimulatedBackend {
    pub fn new(config: SimulatedConfig) -> Self {
        Self {
            faults: Faults::new(&config, message_fields),
            set_up: AtomicBool::new(false),
            config,
        }
    }

    /// Prove for `ms`: sleeping, or spinning every thread of the pool with `burn_cpu`.
    fn prove_for(&self, ms: f64, cancel: &CancelFlag) -> Result<()> {
        latency::spend(ms, cancel, self.config.burn_cpu)
    }

    fn proof_of<'a>(&self, a: &'a Aggregate) -> Result<&'a SimProof> {
        payload::<SimProof>(a.backend, self.kind(), &a.proof, "aggregate")
    }

    fn merged_of<'a>(&self, m: &'a Merged) -> Result<&'a SimMerged> {
        payload::<SimMerged>(m.backend, self.kind(), &m.proof, "merged aggregate")
    }
}

impl Codec for SimulatedBackend {
    fn kind(&self) -> BackendKind {
        BackendKind::Simulated
    }

    fn message_fields(&self, message: &[u8; MESSAGE_BYTES]) -> MessageFields {
        message_fields(message)
    }

    fn keygen(&self, seed: [u8; 32], first_slot: u32, last_slot: u32) -> Result<SecretKey> {
        Ok(SecretKey {
            backend: self.kind(),
            seed,
            first_slot,
            last_slot,
            public_key: tags::public_key(&seed),
            inner: Arc::new(()),
        })
    }

    fn sign(&self, key: &SecretKey, message: &MessageFields, slot: u32) -> Result<Signature> {
        payload::<()>(key.backend, self.kind(), &key.inner, "secret key")?;
        Ok(tags::signature(&key.public_key, message, slot))
    }

    fn verify_signature(&self, key: &PublicKey, message: &MessageFields, sig: &Signature, slot: u32) -> bool {
        tags::signature(key, message, slot) == *sig
    }

    fn aggregate_to_bytes(&self, aggregate: &Aggregate) -> Vec<u8> {
        let mut out = codec::header(TYPE_1);
        codec::write_info(&mut out, &aggregate.info);
        out.extend_from_slice(&self.proof_of(aggregate).expect("own aggregate").0);
        out
    }

    fn aggregate_from_bytes(&self, bytes: &[u8]) -> Result<Aggregate> {
        let mut r = Reader::open(bytes, TYPE_1)?;
        let info = r.info()?;
        let tag = r.tag()?;
        r.finish()?;
        Ok(Aggregate {
            backend: self.kind(),
            info,
            proof: Arc::new(SimProof(tag)),
        })
    }

    fn merged_to_bytes(&self, merged: &Merged) -> Vec<u8> {
        let sim = self.merged_of(merged).expect("own merged aggregate");
        let mut out = codec::header(MERGED);
        out.extend_from_slice(&(merged.components.len() as u32).to_le_bytes());
        for (info, tag) in merged.components.iter().zip(&sim.tags) {
            codec::write_info(&mut out, info);
            out.extend_from_slice(tag);
        }
        out.extend_from_slice(&sim.outer);
        out
    }

    fn merged_from_bytes(&self, bytes: &[u8]) -> Result<Merged> {
        let mut r = Reader::open(bytes, MERGED)?;
        let n = r.u32()? as usize;
        if n == 0 || n > MAX_MERGE {
            return Err(codec::malformed("component count out of range"));
        }
        let mut components = Vec::with_capacity(n);
        let mut tags = Vec::with_capacity(n);
        for _ in 0..n {
            components.push(r.info()?);
            tags.push(r.tag()?);
        }
        let outer = r.tag()?;
        r.finish()?;
        Ok(Merged {
            backend: self.kind(),
            components,
            proof: Arc::new(SimMerged { tags, outer }),
        })
    }
}

impl Verifier for SimulatedBackend {
    fn setup_verifier(&self) -> Result<()> {
        if !self.is_set_up() {
            latency::sleep(self.config.setup_ms)?;
            self.set_up.store(true, Ordering::Release);
        }
        Ok(())
    }

    fn is_set_up(&self) -> bool {
        self.set_up.load(Ordering::Acquire)
    }

    fn verify_aggregate(&self, aggregate: &Aggregate) -> Result<bool> {
        let proof = self.proof_of(aggregate)?;
        latency::sleep(self.config.verify_ms)?;
        let valid = aggregate.info.signers.is_sorted() && proof.0 == tags::info_tag(&aggregate.info);
        malformed_proof_assert(valid, &proof.0);
        Ok(valid)
    }

    fn verify_merged(&self, merged: &Merged) -> Result<bool> {
        let sim = self.merged_of(merged)?;
        latency::sleep(self.config.verify_ms)?;
        let components_ok = merged.components.len() == sim.tags.len()
            && merged
                .components
                .iter()
                .zip(&sim.tags)
                .all(|(info, tag)| tags::info_tag(info) == *tag);
        let valid = components_ok && tags::merged_tag(&sim.tags) == sim.outer;
        malformed_proof_assert(valid, &sim.outer);
        Ok(valid)
    }
}

impl Prover for SimulatedBackend {
    fn setup(&self) -> Result<()> {
        self.setup_verifier()
    }

    fn is_ready(&self) -> bool {
        self.is_set_up()
    }

    fn prove_aggregate(&self, group: &GroupRequest, cancel: &CancelFlag) -> Result<Aggregate> {
        let mut info = AggregateInfo {
            message: group.message,
            slot: group.slot,
            signers: signer_union(group),
        };
        let c = &self.config;
        let ms = c.prove_base_ms
            + c.per_signer_ms * info.signers.len() as f64
            + c.per_child_ms * group.children.len() as f64;
        self.prove_for(ms, cancel)?;
        self.faults.inject(&group.message)?;
        if self.faults.wrong_claim(&group.message) {
            info.slot = info.slot.wrapping_add(1);
        }
        let tag = tags::info_tag(&info);
        Ok(Aggregate {
            backend: self.kind(),
            info,
            proof: Arc::new(SimProof(tag)),
        })
    }

    fn prove_merge(&self, parts: &[Arc<Aggregate>], _rate: usize, cancel: &CancelFlag) -> Result<Merged> {
        let tags = parts
            .iter()
            .map(|p| self.proof_of(p).map(|proof| proof.0))
            .collect::<Result<Vec<_>>>()?;
        self.prove_for(
            self.config.prove_base_ms + self.config.per_child_ms * parts.len() as f64,
            cancel,
        )?;
        let outer = tags::merged_tag(&tags);
        Ok(Merged {
            backend: self.kind(),
            components: parts.iter().map(|p| p.info.clone()).collect(),
            proof: Arc::new(SimMerged { tags, outer }),
        })
    }

    fn prove_split(&self, merged: &Merged, index: usize, _rate: usize, cancel: &CancelFlag) -> Result<Aggregate> {
        let sim = self.merged_of(merged)?;
        self.prove_for(self.config.prove_base_ms + self.config.per_child_ms, cancel)?;
        Ok(Aggregate {
            backend: self.kind(),
            info: merged.components[index].clone(),
            proof: Arc::new(SimProof(sim.tags[index])),
        })
    }
}
