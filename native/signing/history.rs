//! A key's signing history as plain values: what the record exports and what an import merges
//! (the JSON interchange around it is built in TypeScript, `src/keys/interchange.ts`).

use std::collections::BTreeMap;

use leanagg_core::error::{err, ErrorCode, Result};
use leanagg_core::types::{PublicKey, MESSAGE_BYTES};

use super::rules::Recorded;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedSlot {
    pub slot: u32,
    pub message: [u8; MESSAGE_BYTES],
    pub signature: Option<Vec<u8>>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyHistory {
    pub public_key: PublicKey,
    /// Every slot at or below it counts as used, whether listed or not (an import of a history
    /// that gave only a high-water mark).
    pub floor: Option<u32>,
    /// By slot, ascending, each slot once.
    pub signed: Vec<SignedSlot>,
}

/// Slots an import adds to a key's record, after checking it against what is recorded: a slot
/// recorded with another message is a conflict (`SLOT_ALREADY_SIGNED`), and nothing is merged.
/// A slot recorded with the same message keeps its signature (or takes the imported one if it had
/// none).
pub fn to_merge(existing: &BTreeMap<u32, Recorded>, incoming: &KeyHistory) -> Result<Vec<SignedSlot>> {
    let mut out = Vec::new();
    let mut last = None;
    for s in &incoming.signed {
        if last.is_some_and(|l| s.slot <= l) {
            return Err(err(
                ErrorCode::InvalidArgument,
                format!(
                    "import: slots of a key must be listed once each, ascending (slot {})",
                    s.slot
                ),
            ));
        }
        last = Some(s.slot);
        match existing.get(&s.slot) {
            Some(r) if r.message != s.message => {
                return Err(err(
                    ErrorCode::SlotAlreadySigned,
                    format!(
                        "import: slot {} is recorded here with another message; nothing was imported",
                        s.slot
                    ),
                ))
            }
            Some(r) if r.signature.is_some() || s.signature.is_none() => {}
            _ => out.push(s.clone()),
        }
    }
    Ok(out)
}

pub fn max_floor(a: Option<u32>, b: Option<u32>) -> Option<u32> {
    a.max(b)
}
