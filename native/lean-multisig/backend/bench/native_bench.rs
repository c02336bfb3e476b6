//! leanMultisig called directly from Rust: the baseline leanagg's benchmark (`npm run bench`)
//! compares itself with. Same package, revision, profile and CPU flags as the real-prover addon.
//!
//! The leanagg crate is used only to PARSE the inputs the JS harness wrote (byte layouts, the
//! 32-byte message mapping); the timed region is upstream's `aggregate_type_1` alone: no
//! validation, no signature pre-verification, no leanagg pool, no napi. Rayon runs `--threads`
//! threads, like leanagg's pool, and `--run-on` says where upstream is called from:
//!   pool    (default) inside `ThreadPool::install` of a rayon pool of its own, as leanagg and any
//!           service that owns a pool call it: the calling thread is one of the pool's workers;
//!   caller  from the main thread with rayon's global pool, as upstream's own tests call it: every
//!           parallel section is injected into the pool from outside while the caller waits.
//!
//! A long-lived process driven over stdin, one command per line; every reply is one line on
//! stdout starting with `@@bench ` followed by JSON (leanMultisig prints to stdout too, so other
//! lines are not replies):
//!   setup                         compile the program (`setup_prover`), time it
//!   load <id> <file>              read a group's inputs (format below)
//!   prove <id> <notify|-> <out|-> prove; optionally write "done" to the FIFO `notify` as soon as
//!                                 the proof returns, and the proof bytes to `out`
//!   precheck <id>                 what leanagg does before proving and upstream does not:
//!                                 verify the raw signatures and the children (timed)
//!   stat                          resident memory
//!   exit
//!
//! Input file (little-endian): b"LAGGIN01", message [32], slot u32, log_inv_rate u32,
//! raw count u32, children count u32, raw x (public key [32], signature [1208]),
//! children x (length u32, upstream compressed bytes).

use std::collections::HashMap;
use std::io::{BufRead, Write};
use std::time::Instant;

use lean_multisig::{
    aggregate_type_1, setup_prover, verify_type_1, xmss_verify, TypeOneMultiSignature, XmssPublicKey, XmssSignature, F,
};

use leanagg_core::types::{PublicKey, Signature, MESSAGE_BYTES, PUBLIC_KEY_BYTES, SIGNATURE_BYTES};
use leanagg_lean_multisig_backend::{fe_array, to_xmss_public_key, to_xmss_signature, LeanMultisigBackend};
use rayon::prelude::*;

const MAGIC: &[u8; 8] = b"LAGGIN01";

struct Group {
    message: [F; 8],
    slot: u32,
    log_inv_rate: usize,
    raw: Vec<(XmssPublicKey, XmssSignature)>,
    children: Vec<TypeOneMultiSignature>,
}

// leanagg's byte layouts (native/types.rs), read with leanagg's own decoders and turned into
// upstream's structs by leanagg's own conversions: parsing only, outside the timed region. The
// harness checks the result: a proof of these inputs must verify in leanagg for the expected
// message, slot and signers.

struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], String> {
        if self.0.len() < n {
            return Err("input file is truncated".into());
        }
        let (head, tail) = self.0.split_at(n);
        self.0 = tail;
        Ok(head)
    }

    fn u32(&mut self) -> Result<u32, String> {
        Ok(u32::from_le_bytes(self.take(4)?.try_into().unwrap()))
    }
}

fn load(path: &str) -> Result<Group, String> {
    let bytes = std::fs::read(path).map_err(|e| format!("cannot read {path}: {e}"))?;
    let mut r = Reader(&bytes);
    if r.take(8)? != MAGIC {
        return Err("not a leanagg bench input file".into());
    }
    let message: [u8; MESSAGE_BYTES] = r.take(MESSAGE_BYTES)?.try_into().unwrap();
    let slot = r.u32()?;
    let log_inv_rate = r.u32()? as usize;
    let n_raw = r.u32()? as usize;
    let n_children = r.u32()? as usize;
    let mut raw = Vec::with_capacity(n_raw);
    for _ in 0..n_raw {
        let pk = PublicKey::from_bytes(r.take(PUBLIC_KEY_BYTES)?).map_err(|e| e.to_string())?;
        let sig = Signature::from_bytes(r.take(SIGNATURE_BYTES)?).map_err(|e| e.to_string())?;
        raw.push((to_xmss_public_key(&pk), to_xmss_signature(&sig)));
    }
    let mut children = Vec::with_capacity(n_children);
    for i in 0..n_children {
        let len = r.u32()? as usize;
        let child = TypeOneMultiSignature::decompress(r.take(len)?).ok_or(format!("child {i} does not decode"))?;
        children.push(child);
    }
    let fields = LeanMultisigBackend::shared().message_fields(&message);
    Ok(Group {
        message: fe_array(&fields),
        slot,
        log_inv_rate,
        raw,
        children,
    })
}

/// Resident and peak resident memory (kB) from /proc/self/status (Linux; 0 elsewhere).
fn memory_kb() -> (u64, u64) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    };
    (field("VmRSS:"), field("VmHWM:"))
}

/// Reset the peak resident memory to the current one (Linux: `echo 5 > /proc/self/clear_refs`).
fn reset_peak() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

fn ms(since: Instant) -> f64 {
    since.elapsed().as_secs_f64() * 1e3
}

fn reply(json: String) {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "@@bench {json}");
    let _ = out.flush();
}

fn fail(msg: impl std::fmt::Display) {
    let text = msg.to_string().replace('\\', "\\\\").replace('"', "\\\"");
    reply(format!("{{\"ok\":false,\"error\":\"{text}\"}}"));
}

/// Where upstream is called from (see the module comment).
enum Runner {
    Caller,
    Pool(rayon::ThreadPool),
}

impl Runner {
    fn run<R: Send>(&self, f: impl FnOnce() -> R + Send) -> R {
        match self {
            Runner::Caller => f(),
            Runner::Pool(pool) => pool.install(f),
        }
    }

    fn name(&self) -> &'static str {
        match self {
            Runner::Caller => "caller",
            Runner::Pool(_) => "pool",
        }
    }
}

fn main() {
    let mut threads = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
    let args: Vec<String> = std::env::args().collect();
    let arg = |name: &str| args.iter().position(|a| a == name).and_then(|i| args.get(i + 1));
    if let Some(n) = arg("--threads").and_then(|v| v.parse().ok()) {
        threads = n;
    }
    let runner = match arg("--run-on").map(String::as_str) {
        Some("caller") => {
            rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build_global()
                .expect("rayon global pool");
            Runner::Caller
        }
        None | Some("pool") => Runner::Pool(
            rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .thread_name(|i| format!("native-prover-{i}"))
                .build()
                .expect("rayon pool"),
        ),
        Some(other) => panic!("--run-on pool|caller, not {other}"),
    };
    let (rss, _) = memory_kb();
    reply(format!(
        "{{\"ok\":true,\"ready\":true,\"pid\":{},\"threads\":{},\"runOn\":\"{}\",\"avx2\":{},\"avx512f\":{},\"rssKb\":{rss}}}",
        std::process::id(),
        runner.run(rayon::current_num_threads),
        runner.name(),
        cfg!(target_feature = "avx2"),
        cfg!(target_feature = "avx512f"),
    ));

    let mut groups: HashMap<String, Group> = HashMap::new();
    for line in std::io::stdin().lock().lines() {
        let Ok(line) = line else { break };
        let words: Vec<&str> = line.split_whitespace().collect();
        match words.as_slice() {
            ["setup"] => {
                let t = Instant::now();
                runner.run(setup_prover);
                let setup_ms = ms(t);
                let (rss, hwm) = memory_kb();
                reply(format!(
                    "{{\"ok\":true,\"setupMs\":{setup_ms:.3},\"rssKb\":{rss},\"peakRssKb\":{hwm}}}"
                ));
            }
            ["load", id, path] => match load(path) {
                Ok(g) => {
                    let (raw, children) = (g.raw.len(), g.children.len());
                    groups.insert(id.to_string(), g);
                    reply(format!("{{\"ok\":true,\"raw\":{raw},\"children\":{children}}}"));
                }
                Err(e) => fail(e),
            },
            ["prove", id, notify, out] => {
                let Some(g) = groups.get(*id) else {
                    fail(format!("no group {id}"));
                    continue;
                };
                // Inputs are cloned outside the timed region (aggregate_type_1 takes them by value).
                let raw = g.raw.clone();
                let (rss_before, _) = memory_kb();
                reset_peak();
                let t = Instant::now();
                let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                    runner.run(|| aggregate_type_1(&g.children, raw, g.message, g.slot, g.log_inv_rate))
                }));
                let prove_ms = ms(t);
                let (_, peak) = memory_kb();
                if *notify != "-" {
                    if let Err(e) = std::fs::write(notify, "done\n") {
                        fail(format!("notify: {e}"));
                        continue;
                    }
                }
                let sig = match result {
                    Ok(Ok(sig)) => sig,
                    Ok(Err(e)) => {
                        fail(format!("aggregate_type_1: {e:?}"));
                        continue;
                    }
                    Err(_) => {
                        fail("aggregate_type_1 panicked");
                        continue;
                    }
                };
                let t = Instant::now();
                let valid = runner.run(|| verify_type_1(&sig).is_ok());
                let verify_ms = ms(t);
                let bytes = sig.compress();
                if *out != "-" {
                    if let Err(e) = std::fs::write(out, &bytes) {
                        fail(format!("out: {e}"));
                        continue;
                    }
                }
                reply(format!(
                    "{{\"ok\":true,\"proveMs\":{prove_ms:.3},\"verifyMs\":{verify_ms:.3},\"valid\":{valid},\"proofBytes\":{},\"rssBeforeKb\":{rss_before},\"peakRssKb\":{peak}}}",
                    bytes.len()
                ));
            }
            ["precheck", id] => {
                let Some(g) = groups.get(*id) else {
                    fail(format!("no group {id}"));
                    continue;
                };
                let t = Instant::now();
                let (sigs_ok, children_ok) = runner.run(|| {
                    let sigs_ok = g
                        .raw
                        .par_iter()
                        .all(|(pk, sig)| xmss_verify(pk, &g.message, sig, g.slot).is_ok());
                    (sigs_ok, g.children.par_iter().all(|c| verify_type_1(c).is_ok()))
                });
                reply(format!(
                    "{{\"ok\":true,\"precheckMs\":{:.3},\"valid\":{}}}",
                    ms(t),
                    sigs_ok && children_ok
                ));
            }
            ["stat"] => {
                let (rss, hwm) = memory_kb();
                reply(format!("{{\"ok\":true,\"rssKb\":{rss},\"peakRssKb\":{hwm}}}"));
            }
            ["exit"] => break,
            [] => {}
            _ => fail(format!("unknown command: {line}")),
        }
    }
}
