//! The signing guard: one XMSS slot of a key signs one message, once.
//!
//! Every signature passes through a `SigningRecord` before it leaves the library. Per key (by its
//! public key) the record keeps each slot it signed, with the message and the signature. A slot
//! already used for another message is refused (`SLOT_ALREADY_SIGNED`); the same message at the
//! same slot gets the recorded signature back, never a fresh one; a slot below the key's
//! high-water mark is refused (`SLOT_BELOW_HIGH_WATER`) unless the caller allows out-of-order
//! signing. With a directory the record is a SQLite database per key, and the slot is committed
//! (fsynced) before the signature is returned; without one it lives in memory. Either way one key's
//! record has one holder at a time (`KEY_LOCKED` for a second one, see `lock.rs`).
//!
//! Modules: `rules` (the decision, shared by both stores), `memory` and `sqlite` (the stores),
//! `lock` (exclusive holders), `record` (keys to stores, what the binding calls), `history`
//! (export and import as plain values), `key_bytes` (versioned, checksummed secret-key bytes).

pub mod history;
pub mod key_bytes;
pub mod lock;
pub mod memory;
pub mod record;
pub mod rules;
pub mod sqlite;
pub mod store;

pub use history::{KeyHistory, SignedSlot};
pub use record::{RecordKind, SigningRecord};
pub use rules::Policy;

#[cfg(test)]
mod tests;
