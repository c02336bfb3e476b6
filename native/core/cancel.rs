//! Cooperative cancellation: a cheap, cloneable flag that JS sets and work checks between stages.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use crate::error::{err, ErrorCode, Result};

#[derive(Clone, Default, Debug)]
pub struct CancelFlag(Arc<AtomicBool>);

impl CancelFlag {
    pub fn cancel(&self) {
        self.0.store(true, Ordering::Release);
    }

    pub fn is_cancelled(&self) -> bool {
        self.0.load(Ordering::Acquire)
    }

    /// A cancellation point: `Err(ABORTED)` once the flag is set.
    pub fn check(&self) -> Result<()> {
        if self.is_cancelled() {
            Err(err(ErrorCode::Aborted, "the operation was aborted"))
        } else {
            Ok(())
        }
    }
}
