//! Verification of aggregates, merged aggregates, and many items in one batch.

use leanagg_core::error::Result as LeanResult;
use leanagg_core::ops::{self, BatchItem, Engine};
use leanagg_core::validate;
use napi::bindgen_prelude::*;
use napi_derive::napi;

use crate::handles::{NativeAggregate, NativeMerged};
use crate::inputs::{expected, signature_check, BatchResult, ExpectedAggregate, SignatureItem};
use crate::job::{BatchVerifyTask, VerifyAggregateTask, VerifyMergedTask};
use crate::prover::NativeProver;

#[napi]
impl NativeProver {
    /// Verify an aggregate's proof, and that it matches `expected` (message, slot, signer set).
    #[napi]
    pub fn verify_aggregate(
        &self,
        aggregate: &NativeAggregate,
        expected: Option<ExpectedAggregate>,
        signal: Option<AbortSignal>,
    ) -> AsyncTask<VerifyAggregateTask> {
        let engine = self.engine.clone();
        let checks = self
            .own(&[aggregate], "aggregate")
            .and_then(|a| Ok((a, self::expected(engine.codec.as_ref(), expected)?)));
        VerifyAggregateTask::checked(checks, signal, move |(a, expected)| {
            ops::run("verify", || ops::verify_aggregate(&engine, &a[0], &expected))
        })
    }

    #[napi]
    pub fn verify_merged(&self, merged: &NativeMerged, signal: Option<AbortSignal>) -> AsyncTask<VerifyMergedTask> {
        let engine = self.engine.clone();
        let inner = merged.inner.clone();
        let checks = validate::same_backend(engine.codec.kind(), [inner.backend], "merged aggregate");
        VerifyMergedTask::checked(checks, signal, move |()| {
            ops::run("verify", || ops::verify_merged(&engine, &inner))
        })
    }

    /// Verify many signatures and aggregates in one call, spread over the prover pool. Results
    /// come in order: signatures first, then aggregates.
    #[napi]
    pub fn batch_verify(
        &self,
        signatures: Vec<SignatureItem>,
        aggregates: Vec<&NativeAggregate>,
        expected: Vec<Option<ExpectedAggregate>>,
        signal: Option<AbortSignal>,
    ) -> AsyncTask<BatchVerifyTask> {
        let codec = self.codec().as_ref();
        // A malformed item fails alone, as its own result; it does not reject the batch.
        let mut items: Vec<LeanResult<BatchItem>> = signatures
            .iter()
            .map(|s| {
                let (key, message, signature) = signature_check(codec, &s.public_key, &s.message, &s.signature)?;
                Ok(BatchItem::Signature {
                    key,
                    message,
                    signature,
                    slot: s.slot,
                })
            })
            .collect();
        let mut expected = expected.into_iter();
        for a in &aggregates {
            // Take this item's expectation first, so a bad item cannot shift the ones after it.
            let e = expected.next().flatten();
            let item = self.own(&[*a], "aggregate").and_then(|own| {
                Ok(BatchItem::Aggregate {
                    aggregate: own[0].clone(),
                    expected: self::expected(codec, e)?,
                })
            });
            items.push(item);
        }
        let engine = self.engine.clone();
        BatchVerifyTask::spawn(move || verify_in_place(&engine, items), signal)
    }
}

/// Verify the well-formed items together, then put every result back in its item's place.
fn verify_in_place(engine: &Engine, items: Vec<LeanResult<BatchItem>>) -> LeanResult<Vec<BatchResult>> {
    let (ready, mut results): (Vec<_>, Vec<_>) = items
        .into_iter()
        .enumerate()
        .map(|(i, item)| match item {
            Ok(item) => (Some((i, item)), None),
            Err(e) => (None, Some(Err(e))),
        })
        .unzip();
    let (index, batch): (Vec<usize>, Vec<BatchItem>) = ready.into_iter().flatten().unzip();
    for (i, r) in index.into_iter().zip(ops::batch_verify(engine, &batch)?) {
        results[i] = Some(r);
    }
    Ok(results
        .into_iter()
        .map(|r| r.expect("every item has a result").into())
        .collect())
}
