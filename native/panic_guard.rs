//! Every call into a prover backend runs under `guard`: a Rust panic becomes `PROVER_PANIC`
//! instead of unwinding into Node, and its message goes to the error, not to stderr.

use std::cell::RefCell;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Once;

use crate::error::{err, ErrorCode, Result};

thread_local! {
    static LAST_PANIC: RefCell<Option<String>> = const { RefCell::new(None) };
}

static HOOK: Once = Once::new();

/// Replace the default hook (which prints to stderr) with one that records the message for the
/// panicking thread. This addon links its own std, so the hook is ours alone.
fn install_hook() {
    HOOK.call_once(|| {
        std::panic::set_hook(Box::new(|info| {
            let payload = info.payload();
            let text = payload
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown panic".to_string());
            let at = info
                .location()
                .map(|l| format!(" at {}:{}", l.file(), l.line()))
                .unwrap_or_default();
            LAST_PANIC.with(|p| *p.borrow_mut() = Some(format!("{text}{at}")));
        }));
    });
}

/// Run `f`, turning a panic (on this thread or propagated from a rayon worker) into `PROVER_PANIC`.
pub fn guard<T>(what: &str, f: impl FnOnce() -> Result<T>) -> Result<T> {
    install_hook();
    LAST_PANIC.with(|p| p.borrow_mut().take());
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(result) => result,
        Err(payload) => {
            // The payload is the panic's own (rayon re-raises it unchanged on this thread); the
            // hook's record adds the location when the panic happened on this thread.
            let recorded = LAST_PANIC.with(|p| p.borrow_mut().take());
            let text = payload
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .map(|t| match &recorded {
                    Some(r) if r.starts_with(&t) => r.clone(),
                    _ => t,
                })
                .or(recorded)
                .unwrap_or_else(|| "unknown panic".to_string());
            Err(err(ErrorCode::ProverPanic, format!("{what} panicked: {text}")))
        }
    }
}
