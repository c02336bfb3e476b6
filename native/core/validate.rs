//! Cheap checks, run on the JS thread before any work is queued: lengths, ranges, counts,
//! duplicates, and the message and slot of every child. Nothing here touches a proof.

use std::collections::HashSet;
use std::sync::Arc;

use crate::error::{err, ErrorCode, Result};
use crate::types::*;

/// Build a `GroupRequest` from untrusted parts, copying every byte into Rust-owned memory.
pub fn group_request(
    message: MessageFields,
    slot: u32,
    public_keys: &[&[u8]],
    signatures: &[&[u8]],
    children: Vec<Arc<Aggregate>>,
    log_inv_rate: u32,
) -> Result<GroupRequest> {
    let log_inv_rate = check_log_inv_rate(log_inv_rate)?;
    if public_keys.len() != signatures.len() {
        return Err(err(
            ErrorCode::InvalidArgument,
            format!("{} public keys but {} signatures", public_keys.len(), signatures.len()),
        ));
    }
    if children.len() > MAX_CHILDREN {
        return Err(err(
            ErrorCode::TooManyChildren,
            format!("{} children, at most {MAX_CHILDREN}", children.len()),
        ));
    }
    if public_keys.is_empty() && children.is_empty() {
        return Err(err(
            ErrorCode::EmptyGroup,
            "a group needs at least one signature or child",
        ));
    }
    if public_keys.len() > MAX_SIGNERS {
        return Err(err(
            ErrorCode::TooManySigners,
            format!("{} signatures, at most {MAX_SIGNERS}", public_keys.len()),
        ));
    }
    let mut raw = Vec::with_capacity(public_keys.len());
    let mut seen = HashSet::with_capacity(public_keys.len());
    for (i, (pk, sig)) in public_keys.iter().zip(signatures).enumerate() {
        let pk = PublicKey::from_bytes(pk).map_err(|e| at(e, "public key", i))?;
        let sig = Signature::from_bytes(sig).map_err(|e| at(e, "signature", i))?;
        // One rule for both layers (buildSnapshot does the same): a repeated signer is dropped,
        // the first occurrence is kept, whatever the later ones carry.
        if seen.insert(pk) {
            raw.push((pk, sig));
        }
    }
    for (i, child) in children.iter().enumerate() {
        if child.info.message != message {
            return Err(err(
                ErrorCode::MessageMismatch,
                format!("child {i} is for another message"),
            ));
        }
        if child.info.slot != slot {
            return Err(err(
                ErrorCode::MessageMismatch,
                format!("child {i} is for slot {}, not {slot}", child.info.slot),
            ));
        }
        if !child.info.signers.is_sorted() {
            return Err(err(
                ErrorCode::InvalidChild,
                format!("child {i} has an unsorted signer list"),
            ));
        }
    }
    let union: usize = children.iter().map(|c| c.info.signers.len()).sum::<usize>() + raw.len();
    if union > MAX_GROUP_SIGNERS {
        return Err(err(ErrorCode::TooManySigners, format!("{union} signers in the group")));
    }
    Ok(GroupRequest {
        message,
        slot,
        raw,
        children,
        log_inv_rate,
    })
}

/// A value made by the `kind` backend, given to a prover on `backend`.
pub fn made_by(kind: BackendKind, backend: BackendKind, what: impl std::fmt::Display) -> Result<()> {
    if kind == backend {
        return Ok(());
    }
    Err(err(
        ErrorCode::BackendMismatch,
        format!(
            "{what} was made by the {} backend, this prover is {}",
            kind.as_str(),
            backend.as_str()
        ),
    ))
}

/// Every item must come from `backend`.
pub fn same_backend(backend: BackendKind, kinds: impl IntoIterator<Item = BackendKind>, what: &str) -> Result<()> {
    for (i, kind) in kinds.into_iter().enumerate() {
        made_by(kind, backend, format_args!("{what} {i}"))?;
    }
    Ok(())
}

pub fn merge_parts(parts: &[Arc<Aggregate>], log_inv_rate: u32) -> Result<usize> {
    let rate = check_log_inv_rate(log_inv_rate)?;
    if parts.is_empty() {
        return Err(err(ErrorCode::EmptyGroup, "merge needs at least one aggregate"));
    }
    if parts.len() > MAX_MERGE {
        return Err(err(
            ErrorCode::TooManyChildren,
            format!("{} aggregates, at most {MAX_MERGE}", parts.len()),
        ));
    }
    Ok(rate)
}

/// The component `index` of a merged aggregate of `components` (checked by the addon before it
/// queues a split, and again by the prover server, which trusts no frame).
pub fn split_index(components: usize, index: u32) -> Result<usize> {
    if index as usize >= components {
        return Err(err(
            ErrorCode::InvalidArgument,
            format!("index {index} of {components} components"),
        ));
    }
    Ok(index as usize)
}

pub fn key_range(first_slot: u32, last_slot: u32) -> Result<()> {
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

pub fn sign_slot(key: &SecretKey, slot: u32) -> Result<()> {
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

fn at(e: crate::error::LeanAggError, what: &str, i: usize) -> crate::error::LeanAggError {
    err(e.code, format!("{what} {i}: {}", e.detail))
}
