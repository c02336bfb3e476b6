//! The simulated backend's proof bytes: `SIMULATED_MAGIC`, a kind byte (1 type-1, 2 merged), the
//! claims in leanagg's layouts and the tags. The reader is strict: outside bytes are untrusted.

use crate::backend::SIMULATED_MAGIC;
use crate::error::{err, ErrorCode, LeanAggError, Result};
use crate::types::*;

pub const TYPE_1: u8 = 1;
pub const MERGED: u8 = 2;

/// The header of a proof of `kind`.
pub fn header(kind: u8) -> Vec<u8> {
    let mut out = SIMULATED_MAGIC.to_vec();
    out.push(kind);
    out
}

pub fn write_info(out: &mut Vec<u8>, info: &AggregateInfo) {
    encode_fields(&info.message, out);
    out.extend_from_slice(&info.slot.to_le_bytes());
    out.extend_from_slice(&(info.signers.len() as u32).to_le_bytes());
    for pk in &info.signers {
        out.extend_from_slice(&pk.0);
    }
}

pub fn malformed(what: &str) -> LeanAggError {
    err(
        ErrorCode::InvalidAggregate,
        format!("malformed simulated aggregate: {what}"),
    )
}

pub struct Reader<'a> {
    bytes: &'a [u8],
}

impl<'a> Reader<'a> {
    pub fn open(bytes: &'a [u8], kind: u8) -> Result<Self> {
        let Some(rest) = bytes.strip_prefix(SIMULATED_MAGIC.as_slice()) else {
            return Err(err(
                ErrorCode::BackendMismatch,
                "these bytes are not a simulated proof (a real leanMultisig proof?)",
            ));
        };
        match rest.split_first() {
            Some((&k, rest)) if k == kind => Ok(Self { bytes: rest }),
            _ => Err(malformed(if kind == TYPE_1 {
                "not a type-1 aggregate"
            } else {
                "not a merged aggregate"
            })),
        }
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8]> {
        if self.bytes.len() < n {
            return Err(malformed("truncated"));
        }
        let (head, rest) = self.bytes.split_at(n);
        self.bytes = rest;
        Ok(head)
    }

    pub fn u32(&mut self) -> Result<u32> {
        Ok(u32::from_le_bytes(self.take(4)?.try_into().unwrap()))
    }

    pub fn tag(&mut self) -> Result<[u8; 32]> {
        Ok(self.take(32)?.try_into().unwrap())
    }

    pub fn info(&mut self) -> Result<AggregateInfo> {
        let message = decode_fields::<MESSAGE_FIELDS>(self.take(32)?, "message").map_err(|e| malformed(&e.detail))?;
        let slot = self.u32()?;
        let n = self.u32()? as usize;
        // An aggregate claims at most a group's signers (raw plus children's, before the union).
        if n > MAX_GROUP_SIGNERS || n * PUBLIC_KEY_BYTES > self.bytes.len() {
            return Err(malformed("signer count out of range"));
        }
        let signers = (0..n)
            .map(|_| self.take(PUBLIC_KEY_BYTES).and_then(PublicKey::from_bytes))
            .collect::<Result<Vec<_>>>()
            .map_err(|e| malformed(&e.detail))?;
        if !signers.is_sorted() || signers.windows(2).any(|w| w[0] == w[1]) {
            return Err(malformed("signers are not sorted and unique"));
        }
        Ok(AggregateInfo { message, slot, signers })
    }

    pub fn finish(self) -> Result<()> {
        if self.bytes.is_empty() {
            Ok(())
        } else {
            Err(malformed("trailing bytes"))
        }
    }
}
