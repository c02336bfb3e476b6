//! One key's record, held by one `SigningRecord` at a time (see `lock.rs`).

use leanagg_core::error::Result;
use leanagg_core::types::{PublicKey, Signature};

use super::history::KeyHistory;
use super::rules::Request;

/// Makes the signature, called only for a free slot.
pub type Signer<'a> = &'a mut dyn FnMut() -> Result<Signature>;

pub trait KeyStore: Send {
    /// Check the slot, sign with `sign` if it is free, record, and only then return the signature:
    /// a durable store has committed the record when this returns. A recorded signature for the
    /// same message comes back without calling `sign`.
    fn sign(&mut self, req: &Request, sign: Signer<'_>) -> Result<Signature>;

    fn history(&mut self, public_key: PublicKey) -> Result<KeyHistory>;

    /// Merge an imported history in one step (all or nothing); returns the slots added.
    fn merge(&mut self, incoming: &KeyHistory) -> Result<u32>;
}
