//! Property tests (proptest, coverage by many random cases, shrinking on failure) over every Rust
//! parser of outside bytes: public keys, signatures, the simulated aggregate and merged readers
//! (random bytes, bit flips and truncations of valid encodings, huge counts in headers), and the
//! isolation protocol (`decode`, `take_frames`). Each input ends as a typed error or a value;
//! nothing panics or allocates without bound. `PROPTEST_CASES` sets the number of cases.

use std::sync::{Arc, OnceLock};

use crate::backend::simulated::SimulatedBackend;
use crate::cancel::CancelFlag;
use crate::error::ErrorCode;
use crate::isolation::protocol::{decode, take_frames, Request, Response, MAX_FRAME_BYTES};
use crate::ops;
use crate::ops::Engine;
use crate::simulated_config::SimulatedConfig;
use crate::types::*;
use proptest::prelude::*;

struct Fixture {
    engine: Engine,
    aggregate: Aggregate,
    agg_bytes: Vec<u8>,
    merged_bytes: Vec<u8>,
}

fn fixture() -> &'static Fixture {
    static F: OnceLock<Fixture> = OnceLock::new();
    F.get_or_init(|| {
        let engine = Engine::in_process(Arc::new(SimulatedBackend::new(SimulatedConfig::default())));
        engine.prover.setup().unwrap();
        let backend = engine.codec.clone();
        let message = backend.message_fields(&[3; 32]);
        let raw = (1..=4u8)
            .map(|i| {
                let k = backend.keygen([i; 32], 0, 7).unwrap();
                (k.public_key, backend.sign(&k, &message, 1).unwrap())
            })
            .collect();
        let group = GroupRequest {
            message,
            slot: 1,
            raw,
            children: vec![],
            log_inv_rate: 2,
        };
        let aggregate = ops::aggregate(&engine, &group, &CancelFlag::default()).unwrap();
        let merged = ops::merge(&engine, &[Arc::new(aggregate.clone())], 2, &CancelFlag::default()).unwrap();
        Fixture {
            agg_bytes: backend.aggregate_to_bytes(&aggregate),
            merged_bytes: backend.merged_to_bytes(&merged),
            engine,
            aggregate,
        }
    })
}

const BAD_INPUT: &[ErrorCode] = &[
    ErrorCode::InvalidAggregate,
    ErrorCode::BackendMismatch,
    ErrorCode::InvalidLength,
    ErrorCode::InvalidEncoding,
];

/// Parse, then (if it parses) verify: a typed error, `false`, or exactly the original claim with
/// the original bytes.
fn check_aggregate_bytes(bytes: &[u8]) -> std::result::Result<(), TestCaseError> {
    let f = fixture();
    match ops::decode(&f.engine, |v| v.aggregate_from_bytes(bytes)) {
        Err(e) => prop_assert!(BAD_INPUT.contains(&e.code), "{e}"),
        Ok(a) => {
            if ops::verify_aggregate(&f.engine, &a, &ops::Expected::default()).unwrap() {
                prop_assert_eq!(a.info.claim_key(), f.aggregate.info.claim_key());
                prop_assert_eq!(f.engine.codec.aggregate_to_bytes(&a), f.agg_bytes.clone());
            }
        }
    }
    Ok(())
}

fn check_merged_bytes(bytes: &[u8]) -> std::result::Result<(), TestCaseError> {
    let f = fixture();
    match ops::decode(&f.engine, |v| v.merged_from_bytes(bytes)) {
        Err(e) => prop_assert!(BAD_INPUT.contains(&e.code), "{e}"),
        Ok(m) => {
            if ops::verify_merged(&f.engine, &m).unwrap() {
                prop_assert_eq!(f.engine.codec.merged_to_bytes(&m), f.merged_bytes.clone());
            }
        }
    }
    Ok(())
}

proptest! {
    #[test]
    fn public_keys_parse_or_fail_typed(bytes in prop::collection::vec(any::<u8>(), 0..70)) {
        match PublicKey::from_bytes(&bytes) {
            Ok(pk) => {
                prop_assert_eq!(bytes.len(), PUBLIC_KEY_BYTES);
                prop_assert!(pk.fields().iter().all(|&f| f < FIELD_MODULUS));
            }
            Err(e) => prop_assert!(matches!(e.code, ErrorCode::InvalidLength | ErrorCode::InvalidEncoding)),
        }
    }

    #[test]
    fn canonical_public_keys_round_trip(fields in prop::array::uniform8(0..FIELD_MODULUS)) {
        let mut bytes = vec![];
        encode_fields(&fields, &mut bytes);
        prop_assert_eq!(PublicKey::from_bytes(&bytes).unwrap().fields(), fields);
    }

    #[test]
    fn signatures_parse_or_fail_typed(
        len in prop_oneof![Just(SIGNATURE_BYTES), 0..2500usize],
        fill in any::<u32>(),
        at in any::<prop::sample::Index>(),
    ) {
        let mut bytes: Vec<u8> = (0..len).map(|i| (i as u32).wrapping_mul(fill) as u8 & 0x7e).collect();
        if len >= 4 {
            let i = at.index(len / 4) * 4;
            bytes[i..i + 4].copy_from_slice(&fill.to_le_bytes());
        }
        match Signature::from_bytes(&bytes) {
            Ok(_) => prop_assert_eq!(len, SIGNATURE_BYTES),
            Err(e) => prop_assert!(matches!(e.code, ErrorCode::InvalidLength | ErrorCode::InvalidEncoding)),
        }
    }

    #[test]
    fn random_aggregate_bytes(bytes in prop::collection::vec(any::<u8>(), 0..400)) {
        check_aggregate_bytes(&bytes)?;
        // The same with the simulated header, so the reader goes past the magic.
        let mut framed = SIMULATED_MAGIC_BYTES.to_vec();
        framed.push(1);
        framed.extend_from_slice(&bytes);
        check_aggregate_bytes(&framed)?;
    }

    #[test]
    fn bit_flips_of_an_aggregate(bits in prop::collection::vec(any::<prop::sample::Index>(), 1..4)) {
        let mut bytes = fixture().agg_bytes.clone();
        for b in &bits {
            let bit = b.index(bytes.len() * 8);
            bytes[bit / 8] ^= 1 << (bit % 8);
        }
        check_aggregate_bytes(&bytes)?;
    }

    #[test]
    fn truncations_and_extensions_of_an_aggregate(cut in any::<prop::sample::Index>(), extra in prop::collection::vec(any::<u8>(), 0..8)) {
        let full = &fixture().agg_bytes;
        check_aggregate_bytes(&full[..cut.index(full.len())])?;
        let mut longer = full.clone();
        longer.extend_from_slice(&extra);
        check_aggregate_bytes(&longer)?;
    }

    #[test]
    fn huge_counts_in_headers(count in prop_oneof![Just(u32::MAX), Just(1u32 << 31), Just(MAX_SIGNERS as u32 * 2 + 1), any::<u32>()]) {
        // Simulated aggregate: magic, kind, message (32), slot (4), signer count (4).
        let mut bytes = fixture().agg_bytes.clone();
        let at = SIMULATED_MAGIC_BYTES.len() + 1 + 32 + 4;
        bytes[at..at + 4].copy_from_slice(&count.to_le_bytes());
        check_aggregate_bytes(&bytes)?;
        // Merged: magic, kind, component count (4).
        let mut merged = fixture().merged_bytes.clone();
        let at = SIMULATED_MAGIC_BYTES.len() + 1;
        merged[at..at + 4].copy_from_slice(&count.to_le_bytes());
        check_merged_bytes(&merged)?;
    }

    #[test]
    fn bit_flips_and_truncations_of_a_merged_aggregate(bit in any::<prop::sample::Index>(), cut in any::<prop::sample::Index>()) {
        let mut bytes = fixture().merged_bytes.clone();
        let b = bit.index(bytes.len() * 8);
        bytes[b / 8] ^= 1 << (b % 8);
        check_merged_bytes(&bytes)?;
        let full = &fixture().merged_bytes;
        check_merged_bytes(&full[..cut.index(full.len())])?;
    }

    #[test]
    fn protocol_messages_decode_or_fail(bytes in prop::collection::vec(any::<u8>(), 0..300)) {
        // A failure is an io error; nothing panics or allocates for a length it was only told.
        let _ = decode::<Request>(&bytes);
        let _ = decode::<Response>(&bytes);
    }

    #[test]
    fn frames_split_or_fail(chunks in prop::collection::vec((any::<u32>(), prop::collection::vec(any::<u8>(), 0..40)), 0..6), small in any::<bool>()) {
        let mut buf = vec![];
        for (len, body) in &chunks {
            let len = if small { *len % 64 } else { *len };
            buf.extend_from_slice(&len.to_le_bytes());
            buf.extend_from_slice(body);
        }
        let before = buf.len();
        match take_frames(&mut buf) {
            Ok(frames) => {
                let taken: usize = frames.iter().map(|f| f.len() + 4).sum();
                prop_assert_eq!(taken + buf.len(), before);
                prop_assert!(frames.iter().all(|f| f.len() <= MAX_FRAME_BYTES));
            }
            Err(e) => prop_assert_eq!(e.kind(), std::io::ErrorKind::InvalidData),
        }
    }
}

const SIMULATED_MAGIC_BYTES: &[u8] = crate::backend::SIMULATED_MAGIC;
