//! Faults the simulated backend injects, by message: a panic, an error, a wrong claim, or a real
//! crash of the process (to test process isolation; the binding refuses crashes in-process).

use crate::answer_pipe;
use crate::error::{err, ErrorCode, Result};
use crate::simulated_config::{CrashKind, SimulatedConfig};
use crate::types::MessageFields;

/// The configured faults, keyed by the prover's message (what a group carries).
pub struct Faults {
    panic_on: Vec<MessageFields>,
    fail_on: Vec<MessageFields>,
    crash_on: Vec<(MessageFields, CrashKind)>,
    wrong_claim_on: Vec<MessageFields>,
}

impl Faults {
    pub fn new(config: &SimulatedConfig, fields: impl Fn(&[u8; 32]) -> MessageFields) -> Self {
        let all = |list: &[[u8; 32]]| list.iter().map(&fields).collect();
        Faults {
            panic_on: all(&config.panic_on),
            fail_on: all(&config.fail_on),
            crash_on: config.crash_on.iter().map(|(m, kind)| (fields(m), *kind)).collect(),
            wrong_claim_on: all(&config.wrong_claim_on),
        }
    }

    /// Crash, panic or fail as configured for `message`.
    pub fn inject(&self, message: &MessageFields) -> Result<()> {
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

    pub fn wrong_claim(&self, message: &MessageFields) -> bool {
        self.wrong_claim_on.contains(message)
    }
}

/// leanMultisig asserts inside verification on some malformed proofs instead of answering
/// `false`; the simulated verifier does the same for a wrong proof whose tag starts with a zero
/// byte (about one malformed proof in 256), so that path is tested without the real prover.
pub fn malformed_proof_assert(valid: bool, tag: &[u8; 32]) {
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
            answer_pipe::write_raw(&u32::MAX.to_le_bytes());
            loop {
                std::thread::sleep(std::time::Duration::from_secs(1));
            }
        }
    }
}
