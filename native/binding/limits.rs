//! Sizes and limits, exported to JavaScript as constants (as blst-ts exports its sizes): the
//! TypeScript layer imports them (`src/limits.ts`) and never restates a number.

use napi_derive::napi;

use leanagg_core::types;

/// A message is 32 bytes (an attestation-data root).
#[napi]
pub const MESSAGE_BYTES: u32 = types::MESSAGE_BYTES as u32;
/// The prover's message: 8 KoalaBear field elements.
#[napi]
pub const MESSAGE_FIELDS: u32 = types::MESSAGE_FIELDS as u32;
/// A public key: 8 field elements, 4-byte little-endian canonical each.
#[napi]
pub const PUBLIC_KEY_BYTES: u32 = types::PUBLIC_KEY_BYTES as u32;
/// A signature: 302 field elements.
#[napi]
pub const SIGNATURE_BYTES: u32 = types::SIGNATURE_BYTES as u32;
/// `SecretKey.toBytes()`: magic, version, seed (32), first and last slot, SHA3-256 checksum.
#[napi]
pub const SECRET_KEY_BYTES: u32 = leanagg_signing::key_bytes::KEY_BYTES as u32;
/// Children of one type-1 aggregate (leanMultisig's MAX_RECURSIONS).
#[napi]
pub const MAX_CHILDREN: u32 = types::MAX_CHILDREN as u32;
/// Aggregates under one merged (type-2) aggregate.
#[napi]
pub const MAX_MERGE: u32 = types::MAX_MERGE as u32;
/// Raw signatures of one group (leanMultisig's MAX_XMSS_AGGREGATED).
#[napi]
pub const MAX_SIGNERS: u32 = types::MAX_SIGNERS as u32;
/// Raw signers plus children's signers of one group.
#[napi]
pub const MAX_GROUP_SIGNERS: u32 = types::MAX_GROUP_SIGNERS as u32;
/// Slots one key covers (key generation builds the whole tree).
#[napi]
pub const MAX_KEY_SLOTS: u32 = types::MAX_KEY_SLOTS as u32;
/// The last slot: slots are u32.
#[napi]
pub const MAX_SLOT: u32 = u32::MAX;
/// KoalaBear modulus, 2^31 - 2^24 + 1: every encoded field element is below it.
#[napi]
pub const FIELD_MODULUS: u32 = types::FIELD_MODULUS;
#[napi]
pub const MIN_LOG_INV_RATE: u32 = *types::LOG_INV_RATE_RANGE.start();
#[napi]
pub const MAX_LOG_INV_RATE: u32 = *types::LOG_INV_RATE_RANGE.end();
#[napi]
pub const DEFAULT_LOG_INV_RATE: u32 = types::DEFAULT_LOG_INV_RATE;
