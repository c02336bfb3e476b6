//! Proofs: type-1 aggregation, merge into a type-2 aggregate, and split back.

use leanagg_core::ops;
use leanagg_core::types::check_log_inv_rate;
use leanagg_core::validate;
use napi::bindgen_prelude::*;
use napi_derive::napi;

use crate::handles::{CancelToken, NativeAggregate, NativeMerged};
use crate::job::{AggregateTask, MergeTask, SplitTask};
use crate::prover::{cancel_flag, NativeProver};

#[napi]
impl NativeProver {
    /// Type-1 aggregation of raw signatures and children of the same message and slot.
    #[napi]
    #[allow(clippy::too_many_arguments)]
    pub fn aggregate(
        &self,
        public_keys: Vec<Uint8Array>,
        signatures: Vec<Uint8Array>,
        children: Vec<&NativeAggregate>,
        message: Uint8Array,
        slot: u32,
        log_inv_rate: u32,
        cancel: Option<&CancelToken>,
        signal: Option<AbortSignal>,
    ) -> AsyncTask<AggregateTask> {
        let engine = self.engine.clone();
        let flag = cancel_flag(cancel);
        let checks = (|| {
            let message = self.fields(&message)?;
            let children = self.own(&children, "child")?;
            let pks: Vec<&[u8]> = public_keys.iter().map(|k| k.as_ref()).collect();
            let sigs: Vec<&[u8]> = signatures.iter().map(|s| s.as_ref()).collect();
            validate::group_request(message, slot, &pks, &sigs, children, log_inv_rate)
        })();
        AggregateTask::checked(checks, signal, move |group| {
            let aggregate = ops::aggregate(&engine, &group, &flag)?;
            Ok(NativeAggregate::new(aggregate, engine.codec))
        })
    }

    /// Type-2: merge aggregates of different messages into one proof.
    #[napi]
    pub fn merge(
        &self,
        parts: Vec<&NativeAggregate>,
        log_inv_rate: u32,
        cancel: Option<&CancelToken>,
        signal: Option<AbortSignal>,
    ) -> AsyncTask<MergeTask> {
        let engine = self.engine.clone();
        let flag = cancel_flag(cancel);
        let checks = self
            .own(&parts, "aggregate")
            .and_then(|p| Ok((validate::merge_parts(&p, log_inv_rate)?, p)));
        MergeTask::checked(checks, signal, move |(rate, parts)| {
            let merged = ops::merge(&engine, &parts, rate, &flag)?;
            Ok(NativeMerged::new(merged, engine.codec))
        })
    }

    /// Recover the type-1 aggregate of component `index` from a merged aggregate.
    #[napi]
    pub fn split(
        &self,
        merged: &NativeMerged,
        index: u32,
        log_inv_rate: u32,
        cancel: Option<&CancelToken>,
        signal: Option<AbortSignal>,
    ) -> AsyncTask<SplitTask> {
        let engine = self.engine.clone();
        let flag = cancel_flag(cancel);
        let inner = merged.inner.clone();
        let checks = (|| {
            validate::same_backend(engine.codec.kind(), [inner.backend], "merged aggregate")?;
            let index = validate::split_index(inner.components.len(), index)?;
            Ok((index, check_log_inv_rate(log_inv_rate)?))
        })();
        SplitTask::checked(checks, signal, move |(index, rate)| {
            let a = ops::split(&engine, &inner, index, rate, &flag)?;
            Ok(NativeAggregate::new(a, engine.codec))
        })
    }
}
