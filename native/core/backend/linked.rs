//! The backends a build links, by name. leanMultisig is a crate of its own
//! (native/lean-multisig/backend) that only the real-prover packages depend on; they hand its
//! constructor here, so the default build never resolves its git dependency.

use std::sync::Arc;

use super::simulated::SimulatedBackend;
use super::Backend;
use crate::error::{err, ErrorCode, Result};
use crate::simulated_config::SimulatedConfig;
use crate::types::BackendKind;

#[derive(Clone, Copy)]
pub struct Linked {
    /// leanMultisig's one backend (it keeps its compiled program in process-global state).
    pub lean_multisig: Option<fn() -> Arc<dyn Backend>>,
}

impl Linked {
    /// The backends this build contains.
    pub fn available(&self) -> Vec<BackendKind> {
        let mut kinds = vec![BackendKind::Simulated];
        if self.lean_multisig.is_some() {
            kinds.push(BackendKind::LeanMultisig);
        }
        kinds
    }

    /// Create a backend by name. Asking for leanMultisig in a build without it is an error,
    /// never a silent fallback to the simulated prover.
    pub fn create(&self, kind: BackendKind, simulated: SimulatedConfig) -> Result<Arc<dyn Backend>> {
        match (kind, self.lean_multisig) {
            (BackendKind::Simulated, _) => Ok(Arc::new(SimulatedBackend::new(simulated))),
            (BackendKind::LeanMultisig, Some(shared)) => Ok(shared()),
            (BackendKind::LeanMultisig, None) => Err(err(
                ErrorCode::BackendUnavailable,
                "this build of leanagg has no leanMultisig prover; build it with `npm run build:lean-multisig`",
            )),
        }
    }
}
