//! The simulated backend's time: it sleeps in 1 ms steps (or spins every pool thread, `burn_cpu`)
//! and stops at the first step after cancellation.

use std::time::{Duration, Instant};

use crate::cancel::CancelFlag;
use crate::error::Result;

/// Take `ms`, checking `cancel` every millisecond; `burn` spins every thread of the current pool.
pub fn spend(ms: f64, cancel: &CancelFlag, burn: bool) -> Result<()> {
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

/// Time that cannot be cancelled (setup, verification).
pub fn sleep(ms: f64) -> Result<()> {
    spend(ms, &CancelFlag::default(), false)
}
