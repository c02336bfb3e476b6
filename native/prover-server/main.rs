//! `leanagg-prover`: the prover server the addon starts for `isolation: 'process'`. It speaks
//! only to the addon, over its stdin and stdout (`leanagg_core::isolation::protocol`): it runs
//! setup once (`serve.rs`), then proves in forked worker processes (`worker.rs`) that its poll loop
//! (`event_loop.rs`) feeds and watches; a worker that dies is reported by `death.rs`.
//!
//! Workers live on between proofs: a fresh process pays page faults for the whole working set of
//! its first proof (about 0.1 s for a small leanMultisig group) and forking a 1 GB server takes
//! ~20 ms, while a worker that has proved once reuses its heap and threads like an in-process
//! prover. So a proof goes to an idle worker; a new worker is forked only when none is idle, and,
//! after a kill, once the server has been idle for a moment, off every proof's path.
#![deny(clippy::all)]

#[cfg(unix)]
mod death;
#[cfg(unix)]
mod event_loop;
#[cfg(unix)]
mod pipe;
#[cfg(unix)]
mod serve;
#[cfg(unix)]
mod worker;

use leanagg_core::backend::linked::Linked;

/// The backends this server links: the real-prover build adds leanMultisig.
const LINKED: Linked = Linked {
    #[cfg(feature = "lean-multisig")]
    lean_multisig: Some(leanagg_lean_multisig_backend::LeanMultisigBackend::shared),
    #[cfg(not(feature = "lean-multisig"))]
    lean_multisig: None,
};

#[cfg(unix)]
fn main() {
    let code = match serve::serve(&LINKED) {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("leanagg-prover: {e}");
            1
        }
    };
    std::process::exit(code);
}

#[cfg(not(unix))]
fn main() {
    let _ = LINKED;
    eprintln!("leanagg-prover: process isolation needs a unix system");
    std::process::exit(2);
}
