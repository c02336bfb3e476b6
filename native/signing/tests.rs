//! The record's refusals on both stores, the lock, import and export, and a record reopened after
//! its holder let go (as after a restart).

use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};

use super::*;
use leanagg_core::error::{ErrorCode, Result};
use leanagg_core::types::{PublicKey, Signature};

fn dir() -> PathBuf {
    static N: AtomicUsize = AtomicUsize::new(0);
    let d = std::env::temp_dir().join(format!(
        "leanagg-signing-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::SeqCst)
    ));
    let _ = std::fs::remove_dir_all(&d);
    d
}

fn pk(n: u8) -> PublicKey {
    PublicKey([n; 32])
}

fn sig(n: u8) -> impl FnOnce() -> Result<Signature> {
    move || Ok(Signature(vec![n; 8]))
}

fn records() -> Vec<SigningRecord> {
    vec![
        SigningRecord::new(RecordKind::Memory).unwrap(),
        SigningRecord::new(RecordKind::Durable(dir())).unwrap(),
    ]
}

fn code<T>(r: Result<T>) -> ErrorCode {
    r.err().expect("refused").code
}

#[test]
fn refusals_and_the_recorded_signature_on_both_stores() {
    let p = Policy::default();
    for (i, r) in records().into_iter().enumerate() {
        let k = pk(10 + i as u8);
        assert_eq!(r.sign(&k, 5, &[1; 32], p, sig(1)).unwrap().0, vec![1; 8]);
        // The same message again: the first signature, the signer is not called.
        assert_eq!(
            r.sign(&k, 5, &[1; 32], p, || panic!("signed twice")).unwrap().0,
            vec![1; 8]
        );
        assert_eq!(code(r.sign(&k, 5, &[2; 32], p, sig(2))), ErrorCode::SlotAlreadySigned);
        assert_eq!(r.sign(&k, 9, &[2; 32], p, sig(3)).unwrap().0, vec![3; 8]);
        assert_eq!(code(r.sign(&k, 7, &[2; 32], p, sig(4))), ErrorCode::SlotBelowHighWater);
        let ooo = Policy {
            allow_out_of_order: true,
        };
        assert_eq!(r.sign(&k, 7, &[2; 32], ooo, sig(4)).unwrap().0, vec![4; 8]);
        assert_eq!(code(r.sign(&k, 7, &[3; 32], ooo, sig(5))), ErrorCode::SlotAlreadySigned);
        // A signer that fails records nothing.
        let failing = || Err(leanagg_core::error::err(ErrorCode::ProverFailed, "no"));
        assert_eq!(code(r.sign(&k, 12, &[1; 32], p, failing)), ErrorCode::ProverFailed);
        assert_eq!(r.sign(&k, 12, &[2; 32], p, sig(6)).unwrap().0, vec![6; 8]);
        let h = r.export(Some(vec![k])).unwrap();
        assert_eq!(
            h[0].signed.iter().map(|s| s.slot).collect::<Vec<_>>(),
            vec![5, 7, 9, 12]
        );
        r.release();
    }
}

#[test]
fn a_key_has_one_holder_in_this_process_and_on_disk() {
    let d = dir();
    let a = SigningRecord::new(RecordKind::Durable(d.clone())).unwrap();
    let b = SigningRecord::new(RecordKind::Durable(d.clone())).unwrap();
    let m = SigningRecord::new(RecordKind::Memory).unwrap();
    a.sign(&pk(1), 1, &[1; 32], Policy::default(), sig(1)).unwrap();
    assert_eq!(
        code(b.sign(&pk(1), 2, &[1; 32], Policy::default(), sig(2))),
        ErrorCode::KeyLocked
    );
    assert_eq!(code(m.acquire(&pk(1))), ErrorCode::KeyLocked);
    b.sign(&pk(2), 1, &[1; 32], Policy::default(), sig(1)).unwrap();
    a.release();
    // Reopened by another holder: the history survived.
    assert_eq!(
        code(b.sign(&pk(1), 1, &[2; 32], Policy::default(), sig(3))),
        ErrorCode::SlotAlreadySigned
    );
    assert_eq!(
        b.sign(&pk(1), 1, &[1; 32], Policy::default(), sig(3)).unwrap().0,
        vec![1; 8]
    );
}

#[test]
fn import_merges_refuses_conflicts_whole_and_sets_a_floor() {
    let from = SigningRecord::new(RecordKind::Durable(dir())).unwrap();
    let k = pk(30);
    from.sign(&k, 3, &[1; 32], Policy::default(), sig(1)).unwrap();
    from.sign(&k, 4, &[2; 32], Policy::default(), sig(2)).unwrap();
    let exported = from.export(None).unwrap();
    from.release();
    for to in records() {
        assert_eq!(to.import(&exported).unwrap(), 2);
        assert_eq!(to.import(&exported).unwrap(), 0, "importing twice adds nothing");
        assert_eq!(
            to.sign(&k, 4, &[2; 32], Policy::default(), sig(9)).unwrap().0,
            vec![2; 8]
        );
        let mut conflict = exported.clone();
        conflict[0].signed[0].message = [7; 32];
        conflict[0].signed.push(SignedSlot {
            slot: 20,
            message: [1; 32],
            signature: None,
        });
        assert_eq!(code(to.import(&conflict)), ErrorCode::SlotAlreadySigned);
        assert_eq!(
            to.sign(&k, 20, &[5; 32], Policy::default(), sig(5)).unwrap().0,
            vec![5; 8],
            "nothing imported"
        );
        let floor = vec![KeyHistory {
            public_key: pk(31),
            floor: Some(100),
            signed: vec![],
        }];
        to.import(&floor).unwrap();
        let ooo = Policy {
            allow_out_of_order: true,
        };
        assert_eq!(
            code(to.sign(&pk(31), 100, &[1; 32], ooo, sig(1))),
            ErrorCode::SlotBelowHighWater
        );
        to.sign(&pk(31), 101, &[1; 32], Policy::default(), sig(1)).unwrap();
        to.release();
    }
}

#[test]
fn a_damaged_database_fails_closed() {
    let d = dir();
    let r = SigningRecord::new(RecordKind::Durable(d.clone())).unwrap();
    r.sign(&pk(40), 1, &[1; 32], Policy::default(), sig(1)).unwrap();
    r.release();
    let name = record::hex(&pk(40).0);
    std::fs::write(
        d.join(format!("{name}.sqlite")),
        b"not a database, not at all; a file someone overwrote",
    )
    .unwrap();
    let _ = std::fs::remove_file(d.join(format!("{name}.sqlite-wal")));
    let r = SigningRecord::new(RecordKind::Durable(d)).unwrap();
    assert_eq!(
        code(r.sign(&pk(40), 2, &[1; 32], Policy::default(), || panic!("signed"))),
        ErrorCode::SigningRecordFailed
    );
}
