//! The durable record: one SQLite database per key, `<directory>/<public key hex>.sqlite`.
//!
//! Check and record are one transaction (`BEGIN IMMEDIATE` ... `COMMIT`), in WAL mode with
//! `synchronous = FULL`, so a commit is on disk (fsynced) when it returns, and the signature is
//! returned only after it. A crash before the commit leaves the slot unused and no signature out;
//! a crash after it leaves the slot used with its signature, which a retry of the same message
//! gets back. `locking_mode = EXCLUSIVE` keeps the database to this connection while it is open
//! (another process cannot even read it), on top of the lock file (`lock.rs`).

use std::collections::BTreeMap;
use std::path::Path;

use rusqlite::{params, Connection, OptionalExtension, TransactionBehavior};

use leanagg_core::error::{err, ErrorCode, Result};
use leanagg_core::types::{PublicKey, Signature};

use super::history::{max_floor, to_merge, KeyHistory, SignedSlot};
use super::rules::{decide, Decision, Position, Recorded, Request};
use super::store::{KeyStore, Signer};

/// Bumped when the tables change; a record of a newer schema is refused, never rewritten.
const SCHEMA_VERSION: i64 = 1;

pub struct SqliteStore {
    conn: Connection,
}

fn failed(e: impl std::fmt::Display) -> leanagg_core::error::LeanAggError {
    err(ErrorCode::SigningRecordFailed, format!("signing record: {e}"))
}

fn db(e: rusqlite::Error) -> leanagg_core::error::LeanAggError {
    if let rusqlite::Error::SqliteFailure(f, _) = &e {
        if matches!(
            f.code,
            rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked
        ) {
            return err(
                ErrorCode::KeyLocked,
                "the key's signing record is held by another process",
            );
        }
    }
    failed(e)
}

impl SqliteStore {
    pub fn open(path: &Path, public_key: &PublicKey) -> Result<Self> {
        let conn = Connection::open(path).map_err(db)?;
        conn.execute_batch(
            "PRAGMA locking_mode = EXCLUSIVE;
             PRAGMA journal_mode = WAL;
             PRAGMA synchronous = FULL;
             CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value BLOB NOT NULL);
             CREATE TABLE IF NOT EXISTS signed (
                 slot INTEGER PRIMARY KEY CHECK (slot BETWEEN 0 AND 4294967295),
                 message BLOB NOT NULL CHECK (length(message) = 32),
                 signature BLOB
             );",
        )
        .map_err(db)?;
        let store = Self { conn };
        store.check_meta(public_key)?;
        Ok(store)
    }

    /// A new file gets this key and the schema version; an existing one must match both.
    fn check_meta(&self, public_key: &PublicKey) -> Result<()> {
        let get = |name: &str| -> Result<Option<Vec<u8>>> {
            self.conn
                .query_row("SELECT value FROM meta WHERE name = ?1", [name], |r| r.get(0))
                .optional()
                .map_err(db)
        };
        match (get("public_key")?, get("schema_version")?) {
            (None, None) => {
                self.conn
                    .execute(
                        "INSERT INTO meta (name, value) VALUES ('public_key', ?1), ('schema_version', ?2)",
                        params![public_key.0.to_vec(), SCHEMA_VERSION.to_le_bytes().to_vec()],
                    )
                    .map_err(db)?;
                Ok(())
            }
            (Some(pk), Some(v)) if pk == public_key.0 && v == SCHEMA_VERSION.to_le_bytes() => Ok(()),
            (Some(pk), _) if pk != public_key.0 => Err(failed("the file holds the record of another key")),
            _ => Err(failed("unknown schema version (a newer leanagg wrote it?)")),
        }
    }

    fn floor(conn: &Connection) -> Result<Option<u32>> {
        let v: Option<i64> = conn
            .query_row("SELECT value FROM meta WHERE name = 'floor'", [], |r| r.get(0))
            .optional()
            .map_err(db)?;
        Ok(v.map(|f| f as u32))
    }

    fn position(conn: &Connection) -> Result<Position> {
        let last: Option<i64> = conn
            .query_row("SELECT max(slot) FROM signed", [], |r| r.get(0))
            .map_err(db)?;
        let floor = Self::floor(conn)?;
        Ok(Position {
            high_water: last.map(|s| s as u32).max(floor),
            floor,
        })
    }

    fn recorded(conn: &Connection, slot: u32) -> Result<Option<Recorded>> {
        conn.query_row("SELECT message, signature FROM signed WHERE slot = ?1", [slot], |r| {
            Ok((r.get::<_, Vec<u8>>(0)?, r.get::<_, Option<Vec<u8>>>(1)?))
        })
        .optional()
        .map_err(db)?
        .map(|(m, signature)| {
            let message = m.try_into().map_err(|_| failed("a recorded message is not 32 bytes"))?;
            Ok(Recorded { message, signature })
        })
        .transpose()
    }

    fn all(conn: &Connection) -> Result<BTreeMap<u32, Recorded>> {
        let mut stmt = conn
            .prepare("SELECT slot, message, signature FROM signed ORDER BY slot")
            .map_err(db)?;
        let rows = stmt
            .query_map([], |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, Vec<u8>>(1)?,
                    r.get::<_, Option<Vec<u8>>>(2)?,
                ))
            })
            .map_err(db)?;
        let mut out = BTreeMap::new();
        for row in rows {
            let (slot, m, signature) = row.map_err(db)?;
            let message = m.try_into().map_err(|_| failed("a recorded message is not 32 bytes"))?;
            out.insert(slot as u32, Recorded { message, signature });
        }
        Ok(out)
    }
}

impl KeyStore for SqliteStore {
    fn sign(&mut self, req: &Request, sign: Signer<'_>) -> Result<Signature> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(db)?;
        let decision = decide(req, Self::recorded(&tx, req.slot)?, Self::position(&tx)?)?;
        match decision {
            Decision::Reuse(sig) => Ok(sig),
            Decision::Sign => {
                let sig = sign()?;
                tx.execute(
                    "INSERT INTO signed (slot, message, signature) VALUES (?1, ?2, ?3)",
                    params![req.slot, req.message.to_vec(), sig.0],
                )
                .map_err(db)?;
                // Durable from here on; dropping `tx` on any error above rolls back.
                tx.commit().map_err(db)?;
                Ok(sig)
            }
        }
    }

    fn history(&mut self, public_key: PublicKey) -> Result<KeyHistory> {
        let signed = Self::all(&self.conn)?
            .into_iter()
            .map(|(slot, r)| SignedSlot {
                slot,
                message: r.message,
                signature: r.signature,
            })
            .collect();
        Ok(KeyHistory {
            public_key,
            floor: Self::floor(&self.conn)?,
            signed,
        })
    }

    fn merge(&mut self, incoming: &KeyHistory) -> Result<u32> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(db)?;
        let add = to_merge(&Self::all(&tx)?, incoming)?;
        for s in &add {
            tx.execute(
                "INSERT INTO signed (slot, message, signature) VALUES (?1, ?2, ?3)
                 ON CONFLICT (slot) DO UPDATE SET signature = excluded.signature",
                params![s.slot, s.message.to_vec(), s.signature],
            )
            .map_err(db)?;
        }
        if let Some(floor) = max_floor(Self::floor(&tx)?, incoming.floor) {
            tx.execute(
                "INSERT INTO meta (name, value) VALUES ('floor', ?1) ON CONFLICT (name) DO UPDATE SET value = excluded.value",
                params![i64::from(floor)],
            )
            .map_err(db)?;
        }
        tx.commit().map_err(db)?;
        Ok(add.len() as u32)
    }
}
