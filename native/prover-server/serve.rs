//! The server's start: read `Init`, create the backend, run its setup in a thread pool that is
//! shut down before the first fork (so the server is single-threaded when it forks), say `Ready`,
//! then serve proofs.

use std::fs::File;
use std::io;
use std::mem::ManuallyDrop;
use std::os::fd::FromRawFd;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use leanagg_core::backend::linked::Linked;
use leanagg_core::backend::Backend;
use leanagg_core::error::{err, ErrorCode, Result};
use leanagg_core::isolation::protocol::{self, Request, Response};
use leanagg_core::panic_guard::guard;

use crate::event_loop::{self, send};
use crate::worker::Limits;

pub fn serve(linked: &Linked) -> io::Result<()> {
    let mut stdin = ManuallyDrop::new(unsafe { File::from_raw_fd(0) });
    let Some(Request::Init {
        backend: kind,
        simulated,
        threads,
        max_proof_memory_bytes,
    }) = protocol::read_frame(&mut *stdin)?
    else {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            "the first message must be Init",
        ));
    };
    let threads = (threads as usize).max(1);
    let backend = match linked.create(kind, simulated) {
        Ok(b) => b,
        Err(e) => return send(&Response::SetupFailed { error: (&e).into() }),
    };
    let started = Instant::now();
    if let Err(e) = setup_then_stop_threads(backend.as_ref(), threads) {
        return send(&Response::SetupFailed { error: (&e).into() });
    }
    send(&Response::Ready {
        setup_ms: started.elapsed().as_secs_f64() * 1000.0,
    })?;
    let limits = Limits {
        threads,
        max_memory: max_proof_memory_bytes,
    };
    event_loop::run(&mut stdin, backend, &limits)
}

/// Setup on a pool that is shut down before the first fork: a child of a multi-threaded
/// process could inherit a lock some other thread held.
fn setup_then_stop_threads(backend: &dyn Backend, threads: usize) -> Result<()> {
    let (exited, all_exited) = mpsc::channel();
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .thread_name(|i| format!("leanagg-setup-{i}"))
        .exit_handler(move |_| {
            let _ = exited.send(());
        })
        .build()
        .map_err(|e| err(ErrorCode::ProverFailed, format!("cannot start the setup pool: {e}")))?;
    let result = pool.install(|| guard("setup", || backend.setup()));
    drop(pool);
    for _ in 0..threads {
        if all_exited.recv_timeout(Duration::from_secs(10)).is_err() {
            return Err(err(ErrorCode::ProverFailed, "the setup pool did not shut down"));
        }
    }
    result
}
