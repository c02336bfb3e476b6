//! What the simulated backend is told: its latency model and the faults it injects. A leaf: the
//! backend reads it, and the isolation protocol carries it to the prover server.

use serde::{Deserialize, Serialize};

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

/// Deterministic latency model and fault injection.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct SimulatedConfig {
    pub setup_ms: f64,
    /// A type-1 proof takes `prove_base_ms + per_signer_ms * signers + per_child_ms * children`;
    /// merge and split take `prove_base_ms + per_child_ms * components`.
    pub prove_base_ms: f64,
    pub per_signer_ms: f64,
    pub per_child_ms: f64,
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

impl SimulatedConfig {
    /// Faults that kill or confuse the prover process: only a prover server's worker may run them.
    pub fn faults_the_process(&self) -> bool {
        !self.crash_on.is_empty() || !self.wrong_claim_on.is_empty()
    }
}
