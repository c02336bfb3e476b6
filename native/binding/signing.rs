//! `NativeSigningRecord`: the signing guard's handle (see native/signing, crate `leanagg-signing`). A prover's `sign`
//! takes one; the TypeScript `Prover` makes it from its `signing` option.

use std::path::PathBuf;
use std::sync::Arc;

use napi::bindgen_prelude::*;
use napi_derive::napi;

use leanagg_core::error::{err, ErrorCode, Result as LeanResult};
use leanagg_core::types::{PublicKey, Signature, MESSAGE_BYTES};
use leanagg_signing::record::{hex, parse_hex};
use leanagg_signing::{KeyHistory, RecordKind, SignedSlot, SigningRecord};

use crate::job::tasks;
use crate::throw::OrThrow;

/// One signed slot of a key, hex-encoded (`0x...`) as in the JSON interchange.
#[napi(object)]
pub struct SignedSlotRecord {
    pub slot: u32,
    pub message: String,
    pub signature: Option<String>,
}

/// A key's signing history: every slot it signed, and the floor at or below which every slot counts
/// as used (set by an import that gave only a high-water mark).
#[napi(object)]
pub struct KeySigningRecord {
    pub public_key: String,
    pub floor: Option<u32>,
    pub signed: Vec<SignedSlotRecord>,
}

impl crate::handles::Held for () {}

// Before the methods that return them: napi-derive types a promise from its task's declaration.
tasks! {
    AcquireTask: () => ();
    ExportRecordsTask: Vec<KeySigningRecord> => Vec<KeySigningRecord>;
    ImportRecordsTask: u32 => u32;
}

/// What keeps a signing record: a directory, memory, or nothing (tests only).
#[napi(string_enum = "kebab-case")]
pub enum SigningRecordKind {
    Durable,
    Memory,
    UnguardedForTests,
}

/// Where a prover records what its keys signed.
#[napi]
pub struct NativeSigningRecord {
    pub(crate) inner: Arc<SigningRecord>,
}

fn bytes_of(s: &str, len: usize, what: &str) -> LeanResult<Vec<u8>> {
    let b = parse_hex(s).ok_or_else(|| err(ErrorCode::InvalidEncoding, format!("{what} is not hex")))?;
    if b.len() != len {
        return Err(err(
            ErrorCode::InvalidLength,
            format!("{what} must be {len} bytes, got {}", b.len()),
        ));
    }
    Ok(b)
}

fn from_js(r: KeySigningRecord) -> LeanResult<KeyHistory> {
    let public_key = PublicKey::from_bytes(&bytes_of(&r.public_key, 32, "pubkey")?)?;
    let signed = r
        .signed
        .into_iter()
        .map(|s| {
            let message = bytes_of(&s.message, MESSAGE_BYTES, "message")?.try_into().unwrap();
            let signature = match s.signature {
                None => None,
                Some(sig) => Some(
                    Signature::from_bytes(
                        &parse_hex(&sig).ok_or_else(|| err(ErrorCode::InvalidEncoding, "signature is not hex"))?,
                    )?
                    .0,
                ),
            };
            Ok(SignedSlot {
                slot: s.slot,
                message,
                signature,
            })
        })
        .collect::<LeanResult<Vec<_>>>()?;
    Ok(KeyHistory {
        public_key,
        floor: r.floor,
        signed,
    })
}

fn to_js(h: KeyHistory) -> KeySigningRecord {
    KeySigningRecord {
        public_key: format!("0x{}", hex(&h.public_key.0)),
        floor: h.floor,
        signed: h
            .signed
            .into_iter()
            .map(|s| SignedSlotRecord {
                slot: s.slot,
                message: format!("0x{}", hex(&s.message)),
                signature: s.signature.map(|b| format!("0x{}", hex(&b))),
            })
            .collect(),
    }
}

#[napi]
impl NativeSigningRecord {
    /// A durable record in `directory` (created if missing), or an in-memory one without it.
    #[napi(constructor)]
    pub fn new(directory: Option<String>) -> Result<Self> {
        let kind = match directory {
            Some(d) if d.is_empty() => {
                return Err(err(ErrorCode::InvalidArgument, "signing.directory is empty")).or_throw()
            }
            Some(d) => RecordKind::Durable(PathBuf::from(d)),
            None => RecordKind::Memory,
        };
        Ok(Self {
            inner: Arc::new(SigningRecord::new(kind).or_throw()?),
        })
    }

    /// No record: every `sign` signs, whatever was signed before. For tests only.
    #[napi(factory)]
    pub fn unguarded_for_tests() -> Self {
        Self {
            inner: Arc::new(SigningRecord::new(RecordKind::UnguardedForTests).expect("no directory")),
        }
    }

    #[napi(getter)]
    pub fn kind(&self) -> SigningRecordKind {
        match self.inner.kind() {
            RecordKind::Durable(_) => SigningRecordKind::Durable,
            RecordKind::Memory => SigningRecordKind::Memory,
            RecordKind::UnguardedForTests => SigningRecordKind::UnguardedForTests,
        }
    }

    /// Take a key's record now (KEY_LOCKED if another prover or process holds it); it is otherwise
    /// taken by the key's first signature.
    #[napi]
    pub fn acquire(&self, public_key: Uint8Array, signal: Option<AbortSignal>) -> AsyncTask<AcquireTask> {
        let record = self.inner.clone();
        let pk = PublicKey::from_bytes(public_key.as_ref());
        AcquireTask::spawn(move || record.acquire(&pk?), signal)
    }

    /// Histories of the given keys, or of every key the record holds (durable: every key in its
    /// directory).
    #[napi]
    pub fn export_records(
        &self,
        public_keys: Option<Vec<Uint8Array>>,
        signal: Option<AbortSignal>,
    ) -> AsyncTask<ExportRecordsTask> {
        let record = self.inner.clone();
        let keys = public_keys.map(|ks| {
            ks.iter()
                .map(|k| PublicKey::from_bytes(k.as_ref()))
                .collect::<LeanResult<Vec<_>>>()
        });
        ExportRecordsTask::spawn(
            move || {
                let keys = keys.transpose()?;
                Ok(record.export(keys)?.into_iter().map(to_js).collect())
            },
            signal,
        )
    }

    /// Merge histories (all or nothing: a slot recorded here with another message refuses the
    /// whole import with SLOT_ALREADY_SIGNED). Resolves with the number of slots added.
    #[napi]
    pub fn import_records(
        &self,
        records: Vec<KeySigningRecord>,
        signal: Option<AbortSignal>,
    ) -> AsyncTask<ImportRecordsTask> {
        let record = self.inner.clone();
        let histories = records.into_iter().map(from_js).collect::<LeanResult<Vec<_>>>();
        ImportRecordsTask::spawn(move || record.import(&histories?), signal)
    }

    /// Let go of every key this record holds (the prover closes).
    #[napi]
    pub fn release(&self) {
        self.inner.release();
    }
}
