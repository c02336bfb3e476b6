//! Proof bytes from outside: parsed off the JS thread, at most `maxBytes` of them.

use leanagg_core::ops;
use napi::bindgen_prelude::*;
use napi_derive::napi;

use crate::handles::{NativeAggregate, NativeMerged};
use crate::inputs::sized_copy;
use crate::job::{AggregateFromBytesTask, MergedFromBytesTask};
use crate::prover::NativeProver;

#[napi]
impl NativeProver {
    /// Parse untrusted aggregate bytes (at most `maxBytes`).
    #[napi]
    pub fn aggregate_from_bytes(
        &self,
        bytes: Uint8Array,
        max_bytes: u32,
        signal: Option<AbortSignal>,
    ) -> AsyncTask<AggregateFromBytesTask> {
        let engine = self.engine.clone();
        AggregateFromBytesTask::checked(sized_copy(&bytes, max_bytes), signal, move |owned| {
            let a = ops::decode(&engine, |v| v.aggregate_from_bytes(&owned))?;
            Ok(NativeAggregate::sized(a, engine.codec, owned.len()))
        })
    }

    /// Parse untrusted merged-aggregate bytes (at most `maxBytes`).
    #[napi]
    pub fn merged_from_bytes(
        &self,
        bytes: Uint8Array,
        max_bytes: u32,
        signal: Option<AbortSignal>,
    ) -> AsyncTask<MergedFromBytesTask> {
        let engine = self.engine.clone();
        MergedFromBytesTask::checked(sized_copy(&bytes, max_bytes), signal, move |owned| {
            let m = ops::decode(&engine, |v| v.merged_from_bytes(&owned))?;
            Ok(NativeMerged::sized(m, engine.codec, owned.len()))
        })
    }
}
