//! Messages between the addon and its prover server, and between the server and a proof's child
//! process: postcard-encoded, each frame prefixed by its length (u32 little-endian). Proofs travel
//! as the backend's own bytes (`aggregate_to_bytes`), so the receiving side parses them as
//! untrusted input.

use std::io::{self, Read, Write};

use serde::{de::DeserializeOwned, Deserialize, Serialize};

use crate::error::{err, ErrorCode, LeanAggError};
use crate::simulated_config::SimulatedConfig;
use crate::types::{BackendKind, MessageFields};

/// A frame larger than this is refused before it is allocated (proofs are ~150-260 KB; a group of
/// 2^15 raw signatures is 40 MB).
pub const MAX_FRAME_BYTES: usize = 64 << 20;

/// What a prover process (the server, or one of its workers) wrote to stderr is kept up to this
/// much, for the error it dies with.
pub const STDERR_TAIL: usize = 2048;

/// Addon -> server.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub enum Request {
    /// The first message: which backend, how many threads per proof, and the child's memory cap.
    Init {
        backend: BackendKind,
        simulated: SimulatedConfig,
        threads: u32,
        max_proof_memory_bytes: Option<u64>,
    },
    Prove {
        id: u64,
        work: Work,
    },
    /// Kill the child proving `id` (nothing if it has already finished).
    Cancel {
        id: u64,
    },
}

/// A worker's answer to one `Work`: the proof's bytes, or the typed error it returned.
pub type Outcome = std::result::Result<Vec<u8>, WireError>;

/// Server -> addon.
#[derive(Debug, Serialize, Deserialize)]
pub enum Response {
    /// Setup is done; proofs go to forked workers from now on.
    Ready {
        setup_ms: f64,
    },
    /// Setup failed: the server exits after this.
    SetupFailed {
        error: WireError,
    },
    Started {
        id: u64,
        pid: u32,
    },
    /// The child's answer: the proof's bytes, or the typed error it returned.
    Finished {
        id: u64,
        outcome: Outcome,
    },
    /// The child died without answering: killed, crashed, or out of memory.
    Died {
        id: u64,
        error: WireError,
    },
}

/// One proof, with everything it reads. Inputs were validated and verified by the addon.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub enum Work {
    Aggregate {
        message: MessageFields,
        slot: u32,
        /// (public key bytes, signature bytes) in the layouts of `types.rs`.
        raw: Vec<(Vec<u8>, Vec<u8>)>,
        children: Vec<Vec<u8>>,
        log_inv_rate: u32,
    },
    Merge {
        parts: Vec<Vec<u8>>,
        log_inv_rate: u32,
    },
    Split {
        merged: Vec<u8>,
        index: u32,
        log_inv_rate: u32,
    },
}

/// A `LeanAggError` on the wire: the code by name, so an unknown one cannot be forged into a
/// known variant.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct WireError {
    pub code: String,
    pub detail: String,
}

impl From<&LeanAggError> for WireError {
    fn from(e: &LeanAggError) -> Self {
        WireError {
            code: e.code.as_str().to_string(),
            detail: e.detail.clone(),
        }
    }
}

impl From<WireError> for LeanAggError {
    fn from(w: WireError) -> Self {
        match ErrorCode::ALL.iter().find(|c| c.as_str() == w.code) {
            Some(&code) => err(code, w.detail),
            None => err(ErrorCode::ProverFailed, format!("{}: {}", w.code, w.detail)),
        }
    }
}

pub fn write_frame<T: Serialize>(out: &mut impl Write, message: &T) -> io::Result<()> {
    let body = postcard::to_stdvec(message).map_err(io::Error::other)?;
    let len = u32::try_from(body.len()).map_err(io::Error::other)?;
    let mut frame = Vec::with_capacity(4 + body.len());
    frame.extend_from_slice(&len.to_le_bytes());
    frame.extend_from_slice(&body);
    out.write_all(&frame)?;
    out.flush()
}

/// Read one frame; `Ok(None)` at a clean end of stream.
pub fn read_frame<T: DeserializeOwned>(input: &mut impl Read) -> io::Result<Option<T>> {
    let mut len = [0u8; 4];
    match input.read_exact(&mut len) {
        Ok(()) => {}
        Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => return Ok(None),
        Err(e) => return Err(e),
    }
    let body = read_body(input, u32::from_le_bytes(len) as usize)?;
    decode(&body).map(Some)
}

fn read_body(input: &mut impl Read, len: usize) -> io::Result<Vec<u8>> {
    if len > MAX_FRAME_BYTES {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!("a frame of {len} bytes"),
        ));
    }
    let mut body = vec![0u8; len];
    input.read_exact(&mut body)?;
    Ok(body)
}

pub fn decode<T: DeserializeOwned>(body: &[u8]) -> io::Result<T> {
    postcard::from_bytes(body).map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))
}

/// Split complete frames off the front of `buf` (a non-blocking reader's buffer).
pub fn take_frames(buf: &mut Vec<u8>) -> io::Result<Vec<Vec<u8>>> {
    let mut frames = vec![];
    while let Some(len) = buf.get(..4).map(|b| u32::from_le_bytes(b.try_into().unwrap()) as usize) {
        if len > MAX_FRAME_BYTES {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!("a frame of {len} bytes"),
            ));
        }
        if buf.len() < 4 + len {
            break;
        }
        frames.push(buf[4..4 + len].to_vec());
        buf.drain(..4 + len);
    }
    Ok(frames)
}

/// An error about the prover process itself (not about the input).
pub fn crashed(detail: impl std::fmt::Display) -> LeanAggError {
    err(ErrorCode::ProverCrashed, detail)
}

pub fn io_error(what: &str, e: io::Error) -> LeanAggError {
    crashed(format!("{what}: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_round_trip_and_split_where_they_end() {
        let mut wire = vec![];
        write_frame(&mut wire, &Request::Cancel { id: 7 }).unwrap();
        write_frame(&mut wire, &Request::Cancel { id: 8 }).unwrap();
        let mut buf = wire[..wire.len() - 1].to_vec();
        let first = take_frames(&mut buf).unwrap();
        assert_eq!(first.len(), 1);
        assert!(matches!(
            decode::<Request>(&first[0]).unwrap(),
            Request::Cancel { id: 7 }
        ));
        buf.push(*wire.last().unwrap());
        let second = take_frames(&mut buf).unwrap();
        assert!(matches!(
            decode::<Request>(&second[0]).unwrap(),
            Request::Cancel { id: 8 }
        ));
        assert!(buf.is_empty());
        assert!(read_frame::<Request>(&mut &wire[..]).unwrap().is_some());
        assert!(read_frame::<Request>(&mut &[][..]).unwrap().is_none());
    }

    #[test]
    fn a_huge_length_is_refused_before_anything_is_allocated() {
        let mut buf = u32::MAX.to_le_bytes().to_vec();
        assert!(take_frames(&mut buf).is_err());
        assert!(read_frame::<Request>(&mut &buf[..]).is_err());
    }

    #[test]
    fn error_codes_cross_by_name_and_unknown_ones_stay_prover_failures() {
        let e: LeanAggError = WireError::from(&err(ErrorCode::ProverOutOfMemory, "x")).into();
        assert_eq!(e.code, ErrorCode::ProverOutOfMemory);
        let forged: LeanAggError = WireError {
            code: "SOMETHING_ELSE".into(),
            detail: "y".into(),
        }
        .into();
        assert_eq!(forged.code, ErrorCode::ProverFailed);
    }
}
