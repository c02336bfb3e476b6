//! The one decision both stores make before a key signs: what is recorded for the slot, and where
//! the key's high-water mark stands.

use leanagg_core::error::{err, ErrorCode, Result};
use leanagg_core::types::{Signature, MESSAGE_BYTES};

/// What the caller allows.
#[derive(Debug, Clone, Copy, Default)]
pub struct Policy {
    /// Sign a slot below the key's high-water mark (never one already used, never one at or below
    /// an imported floor whose slots are unknown).
    pub allow_out_of_order: bool,
}

/// What the record holds for one slot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recorded {
    pub message: [u8; MESSAGE_BYTES],
    /// Absent when imported without it.
    pub signature: Option<Vec<u8>>,
}

/// One request to sign `message` at `slot`.
#[derive(Debug, Clone, Copy)]
pub struct Request {
    pub slot: u32,
    pub message: [u8; MESSAGE_BYTES],
    pub policy: Policy,
}

/// What to do with a request to sign `message` at a slot.
#[derive(Debug, PartialEq, Eq)]
pub enum Decision {
    /// The same message was signed at this slot: return that signature.
    Reuse(Signature),
    /// The slot is free: sign, record, then return.
    Sign,
}

/// The key's position: the highest slot it signed (or was imported at), and the floor an import
/// without per-slot history set (every slot at or below it counts as used).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Position {
    pub high_water: Option<u32>,
    pub floor: Option<u32>,
}

pub fn decide(req: &Request, recorded: Option<Recorded>, position: Position) -> Result<Decision> {
    let Request { slot, policy, .. } = *req;
    if let Some(r) = recorded {
        if r.message != req.message {
            return Err(err(
                ErrorCode::SlotAlreadySigned,
                format!("slot {slot} of this key already signed another message"),
            ));
        }
        return match r.signature {
            Some(sig) => Ok(Decision::Reuse(Signature(sig))),
            None => Err(err(
                ErrorCode::SlotAlreadySigned,
                format!("slot {slot} of this key signed this message, but the record holds no signature to return (imported without it)"),
            )),
        };
    }
    if let Some(floor) = position.floor.filter(|f| slot <= *f) {
        return Err(err(
            ErrorCode::SlotBelowHighWater,
            format!("slot {slot} is at or below the imported floor {floor}: its history is unknown"),
        ));
    }
    match position.high_water {
        Some(hw) if slot < hw && !policy.allow_out_of_order => Err(err(
            ErrorCode::SlotBelowHighWater,
            format!("slot {slot} is below this key's high-water mark {hw} (allowOutOfOrder signs it)"),
        )),
        _ => Ok(Decision::Sign),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const M1: [u8; 32] = [1; 32];
    const M2: [u8; 32] = [2; 32];

    fn rec(m: [u8; 32], sig: Option<Vec<u8>>) -> Option<Recorded> {
        Some(Recorded {
            message: m,
            signature: sig,
        })
    }

    fn code(r: Result<Decision>) -> ErrorCode {
        r.unwrap_err().code
    }

    fn req(slot: u32, message: [u8; 32], allow_out_of_order: bool) -> Request {
        Request {
            slot,
            message,
            policy: Policy { allow_out_of_order },
        }
    }

    #[test]
    fn a_used_slot_refuses_another_message_and_returns_its_own_signature() {
        let p = Position {
            high_water: Some(5),
            floor: None,
        };
        assert_eq!(
            code(decide(&req(5, M2, false), rec(M1, Some(vec![9])), p)),
            ErrorCode::SlotAlreadySigned
        );
        assert_eq!(
            decide(&req(5, M1, false), rec(M1, Some(vec![9])), p).unwrap(),
            Decision::Reuse(Signature(vec![9]))
        );
        assert_eq!(
            code(decide(&req(5, M1, false), rec(M1, None), p)),
            ErrorCode::SlotAlreadySigned
        );
    }

    #[test]
    fn below_the_high_water_mark_only_out_of_order_and_never_at_the_floor() {
        let p = Position {
            high_water: Some(9),
            floor: Some(3),
        };
        assert_eq!(code(decide(&req(5, M1, false), None, p)), ErrorCode::SlotBelowHighWater);
        assert_eq!(decide(&req(5, M1, true), None, p).unwrap(), Decision::Sign);
        assert_eq!(code(decide(&req(3, M1, true), None, p)), ErrorCode::SlotBelowHighWater);
        assert_eq!(decide(&req(10, M1, false), None, p).unwrap(), Decision::Sign);
        assert_eq!(
            decide(&req(0, M1, false), None, Position::default()).unwrap(),
            Decision::Sign
        );
    }
}
