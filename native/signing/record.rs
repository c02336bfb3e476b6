//! A prover's signing record: keys to their stores, each taken (locked) on first use and held until
//! `release`. This is what the binding calls around every signature.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use leanagg_core::error::{err, ErrorCode, Result};
use leanagg_core::types::{PublicKey, Signature, MESSAGE_BYTES};

use super::history::KeyHistory;
use super::lock::{hold, Hold};
use super::memory::MemoryStore;
use super::rules::{Policy, Request};
use super::sqlite::SqliteStore;
use super::store::KeyStore;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RecordKind {
    /// On disk in this directory, committed before a signature is returned.
    Durable(PathBuf),
    /// In memory: refuses reuse while the process lives, forgotten on restart.
    Memory,
    /// No record at all: for tests that sign one key's slot more than once on purpose.
    UnguardedForTests,
}

struct Held {
    store: Mutex<Box<dyn KeyStore>>,
    // Dropped after the store, so the lock outlives the open database.
    _hold: Hold,
}

pub struct SigningRecord {
    kind: RecordKind,
    keys: Mutex<HashMap<PublicKey, Arc<Held>>>,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

impl SigningRecord {
    pub fn new(kind: RecordKind) -> Result<Self> {
        if let RecordKind::Durable(dir) = &kind {
            std::fs::create_dir_all(dir).map_err(|e| {
                err(
                    ErrorCode::SigningRecordFailed,
                    format!("signing record: directory: {e}"),
                )
            })?;
        }
        Ok(Self {
            kind,
            keys: Mutex::new(HashMap::new()),
        })
    }

    pub fn kind(&self) -> &RecordKind {
        &self.kind
    }

    fn files(dir: &Path, key: &PublicKey) -> (PathBuf, PathBuf) {
        let name = hex(&key.0);
        (dir.join(format!("{name}.sqlite")), dir.join(format!("{name}.lock")))
    }

    /// The key's store, taken now if this record does not hold it yet (`KEY_LOCKED` if another does).
    fn held(&self, key: &PublicKey) -> Result<Arc<Held>> {
        let mut keys = lock(&self.keys);
        if let Some(h) = keys.get(key) {
            return Ok(h.clone());
        }
        let (hold, store): (Hold, Box<dyn KeyStore>) = match &self.kind {
            RecordKind::Durable(dir) => {
                let (db, lock_file) = Self::files(dir, key);
                let hold = hold(key, Some(&lock_file))?;
                (hold, Box::new(SqliteStore::open(&db, key)?))
            }
            RecordKind::Memory => (hold(key, None)?, Box::new(MemoryStore::default())),
            RecordKind::UnguardedForTests => {
                return Err(err(
                    ErrorCode::InvalidArgument,
                    "an unguarded prover keeps no signing record",
                ))
            }
        };
        let h = Arc::new(Held {
            store: Mutex::new(store),
            _hold: hold,
        });
        keys.insert(*key, h.clone());
        Ok(h)
    }

    /// Take the key's record now (it is otherwise taken on its first signature).
    pub fn acquire(&self, key: &PublicKey) -> Result<()> {
        if self.kind == RecordKind::UnguardedForTests {
            return Ok(());
        }
        self.held(key).map(drop)
    }

    /// Sign through the record: `sign` runs only for a free slot, and its signature is returned
    /// only once recorded. Signatures of one key are serialised; different keys run in parallel.
    pub fn sign(
        &self,
        key: &PublicKey,
        slot: u32,
        message: &[u8; MESSAGE_BYTES],
        policy: Policy,
        sign: impl FnOnce() -> Result<Signature>,
    ) -> Result<Signature> {
        if self.kind == RecordKind::UnguardedForTests {
            return sign();
        }
        let held = self.held(key)?;
        let mut store = lock(&held.store);
        let mut once = Some(sign);
        let req = Request {
            slot,
            message: *message,
            policy,
        };
        store.sign(&req, &mut || match once.take() {
            Some(f) => f(),
            None => Err(err(ErrorCode::InvalidArgument, "sign called twice")),
        })
    }

    /// Histories of `keys`, or of every key the record has (every key in the directory).
    pub fn export(&self, keys: Option<Vec<PublicKey>>) -> Result<Vec<KeyHistory>> {
        let keys = match keys {
            Some(k) => k,
            None => self.known_keys()?,
        };
        keys.iter()
            .map(|k| {
                let held = self.held(k)?;
                let mut store = lock(&held.store);
                store.history(*k)
            })
            .collect()
    }

    fn known_keys(&self) -> Result<Vec<PublicKey>> {
        let RecordKind::Durable(dir) = &self.kind else {
            let mut keys: Vec<PublicKey> = lock(&self.keys).keys().copied().collect();
            keys.sort();
            return Ok(keys);
        };
        let entries = std::fs::read_dir(dir).map_err(|e| {
            err(
                ErrorCode::SigningRecordFailed,
                format!("signing record: directory: {e}"),
            )
        })?;
        let mut keys = Vec::new();
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().to_string();
            let Some(stem) = name.strip_suffix(".sqlite") else {
                continue;
            };
            if let Some(pk) = parse_hex(stem).and_then(|b| PublicKey::from_bytes(&b).ok()) {
                keys.push(pk);
            }
        }
        keys.sort();
        Ok(keys)
    }

    /// Merge histories; each key's merge is one transaction, and every key is checked against its
    /// record before any is merged, so a conflict anywhere imports nothing.
    pub fn import(&self, histories: &[KeyHistory]) -> Result<u32> {
        let mut current = Vec::with_capacity(histories.len());
        for h in histories {
            let held = self.held(&h.public_key)?;
            let existing = lock(&held.store).history(h.public_key)?;
            let map = existing
                .signed
                .into_iter()
                .map(|s| {
                    (
                        s.slot,
                        super::rules::Recorded {
                            message: s.message,
                            signature: s.signature,
                        },
                    )
                })
                .collect();
            super::history::to_merge(&map, h)?;
            current.push(held);
        }
        let mut added = 0;
        for (h, held) in histories.iter().zip(current) {
            added += lock(&held.store).merge(h)?;
        }
        Ok(added)
    }

    /// Let go of every key (a closed prover's keys can be taken by another).
    pub fn release(&self) {
        lock(&self.keys).clear();
    }
}

pub fn parse_hex(s: &str) -> Option<Vec<u8>> {
    let s = s.strip_prefix("0x").unwrap_or(s);
    if !s.len().is_multiple_of(2) {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok())
        .collect()
}
