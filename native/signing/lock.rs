//! One holder per key's record. In this process: a set of the public keys some record holds, so
//! two provers (with or without a directory) cannot both sign with one key. Across processes: an
//! OS lock (`flock`, through `File::try_lock`) on `<directory>/<public key hex>.lock`, released by
//! the OS when the holder exits or is killed, so a crashed holder never leaves a stale lock.

use std::collections::HashSet;
use std::fs::{File, OpenOptions};
use std::path::Path;
use std::sync::{LazyLock, Mutex};

use leanagg_core::error::{err, ErrorCode, Result};
use leanagg_core::types::PublicKey;

static HELD: LazyLock<Mutex<HashSet<[u8; 32]>>> = LazyLock::new(|| Mutex::new(HashSet::new()));

fn held() -> std::sync::MutexGuard<'static, HashSet<[u8; 32]>> {
    HELD.lock().unwrap_or_else(|e| e.into_inner())
}

/// A key's record held by its owner until dropped.
pub struct Hold {
    key: [u8; 32],
    _file: Option<File>,
}

impl Drop for Hold {
    fn drop(&mut self) {
        held().remove(&self.key);
    }
}

fn locked() -> leanagg_core::error::LeanAggError {
    err(
        ErrorCode::KeyLocked,
        "this key's signing record is held by another prover (in this process or another): one key signs through one record at a time",
    )
}

/// Take `key`, with the OS lock on `lock_file` when the record is on disk.
pub fn hold(key: &PublicKey, lock_file: Option<&Path>) -> Result<Hold> {
    let mut set = held();
    if set.contains(&key.0) {
        return Err(locked());
    }
    let file = match lock_file {
        None => None,
        Some(path) => {
            let f = OpenOptions::new()
                .create(true)
                .truncate(false)
                .write(true)
                .open(path)
                .map_err(|e| {
                    err(
                        ErrorCode::SigningRecordFailed,
                        format!("signing record: lock file: {e}"),
                    )
                })?;
            match f.try_lock() {
                Ok(()) => Some(f),
                Err(std::fs::TryLockError::WouldBlock) => return Err(locked()),
                Err(std::fs::TryLockError::Error(e)) => {
                    return Err(err(
                        ErrorCode::SigningRecordFailed,
                        format!("signing record: lock: {e}"),
                    ))
                }
            }
        }
    };
    set.insert(key.0);
    Ok(Hold {
        key: key.0,
        _file: file,
    })
}
