//! Both ends of a `Work`: the addon encodes a proof request from its validated values
//! (`aggregate`, `merge`, `split`), a prover server's worker decodes and proves it (`prove`). The
//! worker trusts no frame: every key, signature and proof is parsed again, every index checked.

use std::sync::Arc;

use super::protocol::Work;
use crate::backend::{Backend, Codec};
use crate::cancel::CancelFlag;
use crate::error::Result;
use crate::types::*;
use crate::validate;

pub fn aggregate(codec: &dyn Codec, group: &GroupRequest) -> Work {
    Work::Aggregate {
        message: group.message,
        slot: group.slot,
        raw: group
            .raw
            .iter()
            .map(|(pk, sig)| (pk.0.to_vec(), sig.0.clone()))
            .collect(),
        children: group.children.iter().map(|c| codec.aggregate_to_bytes(c)).collect(),
        log_inv_rate: group.log_inv_rate as u32,
    }
}

pub fn merge(codec: &dyn Codec, parts: &[Arc<Aggregate>], log_inv_rate: usize) -> Work {
    Work::Merge {
        parts: parts.iter().map(|p| codec.aggregate_to_bytes(p)).collect(),
        log_inv_rate: log_inv_rate as u32,
    }
}

pub fn split(codec: &dyn Codec, merged: &Merged, index: usize, log_inv_rate: usize) -> Work {
    Work::Split {
        merged: codec.merged_to_bytes(merged),
        index: index as u32,
        log_inv_rate: log_inv_rate as u32,
    }
}

/// The proof `work` asks for, as the backend's own bytes. The addon verified every input already;
/// nothing here can be cancelled (a cancel kills the worker instead).
pub fn prove(backend: &dyn Backend, work: Work) -> Result<Vec<u8>> {
    let cancel = CancelFlag::default();
    match work {
        Work::Aggregate {
            message,
            slot,
            raw,
            children,
            log_inv_rate,
        } => {
            let raw = raw
                .iter()
                .map(|(pk, sig)| Ok((PublicKey::from_bytes(pk)?, Signature::from_bytes(sig)?)))
                .collect::<Result<Vec<_>>>()?;
            let group = GroupRequest {
                message,
                slot,
                raw,
                children: decode_all(backend, &children)?,
                log_inv_rate: check_log_inv_rate(log_inv_rate)?,
            };
            let a = backend.prove_aggregate(&group, &cancel)?;
            Ok(backend.aggregate_to_bytes(&a))
        }
        Work::Merge { parts, log_inv_rate } => {
            let parts = decode_all(backend, &parts)?;
            let m = backend.prove_merge(&parts, check_log_inv_rate(log_inv_rate)?, &cancel)?;
            Ok(backend.merged_to_bytes(&m))
        }
        Work::Split {
            merged,
            index,
            log_inv_rate,
        } => {
            let merged = backend.merged_from_bytes(&merged)?;
            let index = validate::split_index(merged.components.len(), index)?;
            let a = backend.prove_split(&merged, index, check_log_inv_rate(log_inv_rate)?, &cancel)?;
            Ok(backend.aggregate_to_bytes(&a))
        }
    }
}

fn decode_all(backend: &dyn Backend, list: &[Vec<u8>]) -> Result<Vec<Arc<Aggregate>>> {
    list.iter()
        .map(|b| backend.aggregate_from_bytes(b).map(Arc::new))
        .collect()
}
