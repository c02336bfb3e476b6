//! The simulated prover: for testing sessions and clients' own aggregation loops without the
//! real prover's memory and time. Nothing here is secure. Its keys, signatures and proofs are
//! Keccak tags anyone can forge, and its proof bytes start with `SIMULATED_MAGIC`, which the
//! real backend rejects by name. Latency is deterministic and set by the caller; "proving"
//! sleeps in 1 ms steps (or spins every pool thread, `burn_cpu`) and stops at the first step
//! after cancellation. Crash faults really crash the process: they exist to test process
//! isolation, and the binding refuses them in-process.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use sha3::{Digest, Keccak256};

use super::{payload, signer_union, Backend, SIMULATED_MAGIC};
use crate::cancel::CancelFlag;
use crate::error::{err, ErrorCode, Result};
use crate::message::message_hash_input;
use crate::types::*;

/// How an injected crash kills the prover process.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum CrashKind {
    Abort,
    Segfault,
    StackOverflow,
    /// An allocation fails (after filling `maxProofMemoryBytes` where a limit is set).
    OutOfMemory,
    /// The process writes what is no answer where its answer goes, then hangs.
    GarbledAnswer,
}

impl CrashKind {
    pub fn parse(name: &str) -> Result<Self> {
        match name {
            "abort" => Ok(CrashKind::Abort),
            "segfault" => Ok(CrashKind::Segfault),
            "stack-overflow" => Ok(CrashKind::StackOverflow),
            "out-of-memory" => Ok(CrashKind::OutOfMemory),
            "garbled-answer" => Ok(CrashKind::GarbledAnswer),
            other => Err(err(
                ErrorCode::InvalidArgument,
                format!(
                    "unknown crash kind '{other}' (abort, segfault, stack-overflow, out-of-memory, garbled-answer)"
                ),
            )),
        }
    }
}

/// Deterministic latency model and fault injection.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct SimulatedConfig {
    pub setup_ms: f64,
    /// A type-1 proof takes `prove_base_ms + per_signer_ms * signers + per_child_ms * children`.
    pub prove_base_ms: f64,
    pub per_signer_ms: f64,
    pub per_child_ms: f64,
    /// Merge and split take `prove_base_ms + per_child_ms * components`.
    pub verify_ms: f64,
    /// Groups whose 32-byte message is listed here fail while proving, as a panic or an error.
    pub panic_on: Vec<[u8; 32]>,
    pub fail_on: Vec<[u8; 32]>,
    /// Groups whose message is listed here crash the prover process while proving.
    pub crash_on: Vec<([u8; 32], CrashKind)>,
    /// Groups whose message is listed here get an aggregate of another claim (a confused prover).
    pub wrong_claim_on: Vec<[u8; 32]>,
    /// "Prove" by spinning every thread of the prover pool instead of sleeping.
    pub burn_cpu: bool,
}

pub struct SimulatedBackend {
    config: SimulatedConfig,
    set_up: AtomicBool,
    panic_on: Vec<MessageFields>,
    fail_on: Vec<MessageFields>,
    crash_on: Vec<(MessageFields, CrashKind)>,
    wrong_claim_on: Vec<MessageFields>,
}

/// A simulated proof: a tag over what the aggregate claims.
struct SimProof([u8; 32]);

struct SimMerged {
    tags: Vec<[u8; 32]>,
    outer: [u8; 32],
}

fn keccak(parts: &[&[u8]]) -> [u8; 32] {
    let mut h = Keccak256::new();
    for p in parts {
        h.update(p);
    }
    h.finalize().into()
}

fn fields_bytes(fields: &[u32]) -> Vec<u8> {
    let mut out = Vec::with_capacity(fields.len() * 4);
    encode_fields(fields, &mut out);
    out
}

/// `count` canonical field elements expanded from `tag` (counter-mode Keccak, values < 2^24).
fn expand_fields(tag: &[u8; 32], count: usize) -> Vec<u32> {
    (0..count.div_ceil(8))
        .flat_map(|block| {
            let h = keccak(&[tag, &(block as u32).to_le_bytes()]);
            (0..8).map(move |i| u32::from_le_bytes(h[i * 4..][..4].try_into().unwrap()) >> 8)
        })
        .take(count)
        .collect()
}

fn info_tag(info: &AggregateInfo) -> [u8; 32] {
    let signers: Vec<u8> = info.signers.iter().flat_map(|pk| pk.0).collect();
    keccak(&[
        b"leanagg-sim-agg",
        &fields_bytes(&info.message),
        &info.slot.to_le_bytes(),
        &signers,
    ])
}

fn merged_tag(tags: &[[u8; 32]]) -> [u8; 32] {
    let flat: Vec<u8> = tags.iter().flatten().copied().collect();
    keccak(&[b"leanagg-sim-merged", &flat])
}

impl SimulatedBackend {
    pub fn new(config: SimulatedConfig) -> Self {
        let mut backend = Self {
            set_up: AtomicBool::new(false),
            panic_on: vec![],
            fail_on: vec![],
            crash_on: vec![],
            wrong_claim_on: vec![],
            config,
        };
        backend.wrong_claim_on = backend
            .config
            .wrong_claim_on
            .iter()
            .map(|m| backend.message_fields(m))
            .collect();
        backend.crash_on = backend
            .config
            .crash_on
            .iter()
            .map(|(m, kind)| (backend.message_fields(m), *kind))
            .collect();
        backend.panic_on = backend
            .config
            .panic_on
            .iter()
            .map(|m| backend.message_fields(m))
            .collect();
        backend.fail_on = backend
            .config
            .fail_on
            .iter()
            .map(|m| backend.message_fields(m))
            .collect();
        backend
    }

    fn require_setup(&self) -> Result<()> {
        if self.is_set_up() {
            Ok(())
        } else {
            Err(err(
                ErrorCode::NotSetUp,
                "call setup() before proving or verifying aggregates",
            ))
        }
    }

    /// Sleep `ms`, checking `cancel` every millisecond.
    fn work(&self, ms: f64, cancel: &CancelFlag) -> Result<()> {
        self.wait(ms, cancel, false)
    }

    /// Prove for `ms`: as `work`, or spinning every thread of the pool with `burn_cpu`.
    fn prove_for(&self, ms: f64, cancel: &CancelFlag) -> Result<()> {
        self.wait(ms, cancel, self.config.burn_cpu)
    }

    fn wait(&self, ms: f64, cancel: &CancelFlag, burn: bool) -> Result<()> {
        let end = Instant::now() + Duration::from_secs_f64(ms.max(0.0) / 1000.0);
        if burn {
            rayon::broadcast(|_| {
                while Instant::now() < end && !cancel.is_cancelled() {
                    std::hint::spin_loop();
                }
            });
            return cancel.check();
        }
        loop {
            cancel.check()?;
            let now = Instant::now();
            if now >= end {
                return Ok(());
            }
            std::thread::sleep((end - now).min(Duration::from_millis(1)));
        }
    }

    fn inject_faults(&self, message: &MessageFields) -> Result<()> {
        if let Some((_, kind)) = self.crash_on.iter().find(|(m, _)| m == message) {
            crash(*kind);
        }
        if self.panic_on.contains(message) {
            panic!("simulated prover panic (fault injected for this message)");
        }
        if self.fail_on.contains(message) {
            return Err(err(
                ErrorCode::ProverFailed,
                "simulated prover error (fault injected for this message)",
            ));
        }
        Ok(())
    }

    fn sim_signature(key: &PublicKey, message: &MessageFields, slot: u32) -> Signature {
        let tag = keccak(&[b"leanagg-sim-sig", &key.0, &fields_bytes(message), &slot.to_le_bytes()]);
        Signature(fields_bytes(&expand_fields(&tag, SIGNATURE_FIELDS)))
    }

    fn proof_of<'a>(&self, a: &'a Aggregate) -> Result<&'a SimProof> {
        payload::<SimProof>(a.backend, self.kind(), &a.proof, "aggregate")
    }
}

impl Backend for SimulatedBackend {
    fn kind(&self) -> BackendKind {
        BackendKind::Simulated
    }

    fn setup(&self) -> Result<()> {
        if !self.is_set_up() {
            self.work(self.config.setup_ms, &CancelFlag::default())?;
            self.set_up.store(true, Ordering::Release);
        }
        Ok(())
    }

    fn is_set_up(&self) -> bool {
        self.set_up.load(Ordering::Acquire)
    }

    /// Same embedding as the real backend; a Keccak compression stands in for Poseidon.
    fn message_fields(&self, message: &[u8; MESSAGE_BYTES]) -> MessageFields {
        let tag = keccak(&[b"leanagg-sim-msg", &fields_bytes(&message_hash_input(message))]);
        expand_fields(&tag, MESSAGE_FIELDS).try_into().unwrap()
    }

    fn keygen(&self, seed: [u8; 32], first_slot: u32, last_slot: u32) -> Result<SecretKey> {
        let tag = keccak(&[b"leanagg-sim-key", &seed]);
        let public_key = PublicKey(fields_bytes(&expand_fields(&tag, 8)).try_into().unwrap());
        Ok(SecretKey {
            backend: self.kind(),
            seed,
            first_slot,
            last_slot,
            public_key,
            inner: Arc::new(()),
        })
    }

    fn sign(&self, key: &SecretKey, message: &MessageFields, slot: u32) -> Result<Signature> {
        payload::<()>(key.backend, self.kind(), &key.inner, "secret key")?;
        Ok(Self::sim_signature(&key.public_key, message, slot))
    }

    fn verify_signature(&self, key: &PublicKey, message: &MessageFields, sig: &Signature, slot: u32) -> bool {
        Self::sim_signature(key, message, slot) == *sig
    }

    fn prove_aggregate(&self, group: &GroupRequest, cancel: &CancelFlag) -> Result<Aggregate> {
        self.require_setup()?;
        let info = AggregateInfo {
            message: group.message,
            slot: group.slot,
            signers: signer_union(group),
        };
        let c = &self.config;
        let ms = c.prove_base_ms
            + c.per_signer_ms * info.signers.len() as f64
            + c.per_child_ms * group.children.len() as f64;
        self.prove_for(ms, cancel)?;
        self.inject_faults(&group.message)?;
        let mut info = info;
        if self.wrong_claim_on.contains(&group.message) {
            info.slot = info.slot.wrapping_add(1);
        }
        let tag = info_tag(&info);
        Ok(Aggregate {
            backend: self.kind(),
            info,
            proof: Arc::new(SimProof(tag)),
        })
    }

    fn verify_aggregate(&self, aggregate: &Aggregate) -> Result<bool> {
        self.require_setup()?;
        let proof = self.proof_of(aggregate)?;
        self.work(self.config.verify_ms, &CancelFlag::default())?;
        let valid = aggregate.info.signers.is_sorted() && proof.0 == info_tag(&aggregate.info);
        malformed_proof_assert(valid, &proof.0);
        Ok(valid)
    }

    fn prove_merge(&self, parts: &[Arc<Aggregate>], _rate: usize, cancel: &CancelFlag) -> Result<Merged> {
        self.require_setup()?;
        let tags = parts
            .iter()
            .map(|p| self.proof_of(p).map(|proof| proof.0))
            .collect::<Result<Vec<_>>>()?;
        self.prove_for(
            self.config.prove_base_ms + self.config.per_child_ms * parts.len() as f64,
            cancel,
        )?;
        let outer = merged_tag(&tags);
        Ok(Merged {
            backend: self.kind(),
            components: parts.iter().map(|p| p.info.clone()).collect(),
            proof: Arc::new(SimMerged { tags, outer }),
        })
    }

    fn prove_split(&self, merged: &Merged, index: usize, _rate: usize, cancel: &CancelFlag) -> Result<Aggregate> {
        self.require_setup()?;
        let sim = payload::<SimMerged>(merged.backend, self.kind(), &merged.proof, "merged aggregate")?;
        self.prove_for(self.config.prove_base_ms + self.config.per_child_ms, cancel)?;
        let info = merged.components[index].clone();
        Ok(Aggregate {
            backend: self.kind(),
            info,
            proof: Arc::new(SimProof(sim.tags[index])),
        })
    }

    fn verify_merged(&self, merged: &Merged) -> Result<bool> {
        self.require_setup()?;
        let sim = payload::<SimMerged>(merged.backend, self.kind(), &merged.proof, "merged aggregate")?;
        self.work(self.config.verify_ms, &CancelFlag::default())?;
        let components_ok = merged.components.len() == sim.tags.len()
            && merged
                .components
                .iter()
                .zip(&sim.tags)
                .all(|(info, tag)| info_tag(info) == *tag);
        let valid = components_ok && merged_tag(&sim.tags) == sim.outer;
        malformed_proof_assert(valid, &sim.outer);
        Ok(valid)
    }

    fn aggregate_to_bytes(&self, aggregate: &Aggregate) -> Vec<u8> {
        let mut out = SIMULATED_MAGIC.to_vec();
        out.push(1);
        write_info(&mut out, &aggregate.info);
        out.extend_from_slice(&self.proof_of(aggregate).expect("own aggregate").0);
        out
    }

    fn aggregate_from_bytes(&self, bytes: &[u8]) -> Result<Aggregate> {
        let mut r = Reader::open(bytes, 1)?;
        let info = r.info()?;
        let tag = r.tag()?;
        r.finish()?;
        Ok(Aggregate {
            backend: self.kind(),
            info,
            proof: Arc::new(SimProof(tag)),
        })
    }

    fn merged_to_bytes(&self, merged: &Merged) -> Vec<u8> {
        let sim = payload::<SimMerged>(merged.backend, self.kind(), &merged.proof, "merged").expect("own merged");
        let mut out = SIMULATED_MAGIC.to_vec();
        out.push(2);
        out.extend_from_slice(&(merged.components.len() as u32).to_le_bytes());
        for (info, tag) in merged.components.iter().zip(&sim.tags) {
            write_info(&mut out, info);
            out.extend_from_slice(tag);
        }
        out.extend_from_slice(&sim.outer);
        out
    }

    fn merged_from_bytes(&self, bytes: &[u8]) -> Result<Merged> {
        let mut r = Reader::open(bytes, 2)?;
        let n = r.u32()? as usize;
        if n == 0 || n > MAX_MERGE {
            return Err(malformed("component count out of range"));
        }
        let mut components = Vec::with_capacity(n);
        let mut tags = Vec::with_capacity(n);
        for _ in 0..n {
            components.push(r.info()?);
            tags.push(r.tag()?);
        }
        let outer = r.tag()?;
        r.finish()?;
        Ok(Merged {
            backend: self.kind(),
            components,
            proof: Arc::new(SimMerged { tags, outer }),
        })
    }
}

/// leanMultisig asserts inside verification on some malformed proofs instead of answering
/// `false`; the simulated verifier does the same for a wrong proof whose tag starts with a zero
/// byte (about one malformed proof in 256), so that path is tested without the real prover.
fn malformed_proof_assert(valid: bool, tag: &[u8; 32]) {
    if !valid && tag[0] == 0 {
        panic!("simulated verifier assert: malformed proof (as upstream's asserts on malformed proofs)");
    }
}

/// Really crash this process, the way a faulty prover would.
fn crash(kind: CrashKind) -> ! {
    match kind {
        CrashKind::Abort => std::process::abort(),
        CrashKind::Segfault => {
            // SAFETY: none; this write is the fault. A volatile write keeps it from being elided.
            unsafe { std::ptr::null_mut::<u64>().write_volatile(1) };
            std::process::abort()
        }
        CrashKind::StackOverflow => {
            #[allow(unconditional_recursion)]
            fn recurse(depth: u64) -> u64 {
                let frame = std::hint::black_box([depth; 64]);
                recurse(depth + 1).wrapping_add(frame[0])
            }
            recurse(0);
            std::process::abort()
        }
        CrashKind::OutOfMemory => {
            // Fill memory in touched 64 MiB chunks until an allocation fails (at the process's
            // memory limit); at 1 GiB without a limit, fail as an allocation would.
            let chunk = std::alloc::Layout::from_size_align(64 << 20, 4096).unwrap();
            let mut held = vec![];
            for _ in 0..16 {
                let mut v: Vec<u8> = Vec::new();
                if v.try_reserve_exact(chunk.size()).is_err() {
                    std::alloc::handle_alloc_error(chunk);
                }
                v.resize(chunk.size(), 1);
                held.push(v);
            }
            std::alloc::handle_alloc_error(chunk)
        }
        CrashKind::GarbledAnswer => {
            // A frame header far over the protocol's limit, then nothing: the server must see
            // it for what it is and kill this process.
            crate::isolation::server::write_to_answer_pipe(&u32::MAX.to_le_bytes());
            loop {
                std::thread::sleep(std::time::Duration::from_secs(1));
            }
        }
    }
}

fn write_info(out: &mut Vec<u8>, info: &AggregateInfo) {
    encode_fields(&info.message, out);
    out.extend_from_slice(&info.slot.to_le_bytes());
    out.extend_from_slice(&(info.signers.len() as u32).to_le_bytes());
    for pk in &info.signers {
        out.extend_from_slice(&pk.0);
    }
}

fn malformed(what: &str) -> crate::error::LeanAggError {
    err(
        ErrorCode::InvalidAggregate,
        format!("malformed simulated aggregate: {what}"),
    )
}

/// A strict reader for the simulated byte format.
struct Reader<'a> {
    bytes: &'a [u8],
}

impl<'a> Reader<'a> {
    fn open(bytes: &'a [u8], kind: u8) -> Result<Self> {
        let Some(rest) = bytes.strip_prefix(SIMULATED_MAGIC.as_slice()) else {
            return Err(err(
                ErrorCode::BackendMismatch,
                "these bytes are not a simulated proof (a real leanMultisig proof?)",
            ));
        };
        match rest.split_first() {
            Some((&k, rest)) if k == kind => Ok(Self { bytes: rest }),
            _ => Err(malformed(if kind == 1 {
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

    fn u32(&mut self) -> Result<u32> {
        Ok(u32::from_le_bytes(self.take(4)?.try_into().unwrap()))
    }

    fn tag(&mut self) -> Result<[u8; 32]> {
        Ok(self.take(32)?.try_into().unwrap())
    }

    fn info(&mut self) -> Result<AggregateInfo> {
        let message = decode_fields::<MESSAGE_FIELDS>(self.take(32)?, "message").map_err(|e| malformed(&e.detail))?;
        let slot = self.u32()?;
        let n = self.u32()? as usize;
        if n > MAX_SIGNERS * 2 || n * PUBLIC_KEY_BYTES > self.bytes.len() {
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

    fn finish(self) -> Result<()> {
        if self.bytes.is_empty() {
            Ok(())
        } else {
            Err(malformed("trailing bytes"))
        }
    }
}
