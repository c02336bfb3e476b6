//! The record without a directory: per prover, in memory. It refuses reuse while the process
//! lives and is gone after a restart.

use std::collections::BTreeMap;

use leanagg_core::error::Result;
use leanagg_core::types::{PublicKey, Signature};

use super::history::{max_floor, to_merge, KeyHistory, SignedSlot};
use super::rules::{decide, Decision, Position, Recorded, Request};
use super::store::{KeyStore, Signer};

#[derive(Default)]
pub struct MemoryStore {
    slots: BTreeMap<u32, Recorded>,
    floor: Option<u32>,
}

impl MemoryStore {
    fn position(&self) -> Position {
        let last = self.slots.keys().next_back().copied();
        Position {
            high_water: last.max(self.floor),
            floor: self.floor,
        }
    }
}

impl KeyStore for MemoryStore {
    fn sign(&mut self, req: &Request, sign: Signer<'_>) -> Result<Signature> {
        match decide(req, self.slots.get(&req.slot).cloned(), self.position())? {
            Decision::Reuse(sig) => Ok(sig),
            Decision::Sign => {
                let sig = sign()?;
                let recorded = Recorded {
                    message: req.message,
                    signature: Some(sig.0.clone()),
                };
                self.slots.insert(req.slot, recorded);
                Ok(sig)
            }
        }
    }

    fn history(&mut self, public_key: PublicKey) -> Result<KeyHistory> {
        let signed = self
            .slots
            .iter()
            .map(|(slot, r)| SignedSlot {
                slot: *slot,
                message: r.message,
                signature: r.signature.clone(),
            })
            .collect();
        Ok(KeyHistory {
            public_key,
            floor: self.floor,
            signed,
        })
    }

    fn merge(&mut self, incoming: &KeyHistory) -> Result<u32> {
        let add = to_merge(&self.slots, incoming)?;
        for s in &add {
            let recorded = Recorded {
                message: s.message,
                signature: s.signature.clone(),
            };
            self.slots.insert(s.slot, recorded);
        }
        self.floor = max_floor(self.floor, incoming.floor);
        Ok(add.len() as u32)
    }
}
