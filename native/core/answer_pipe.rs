//! Where a prover worker writes its answers. The prover server sets it in each worker it forks;
//! the simulated backend's `garbled-answer` fault writes raw bytes there, to test how the server
//! meets a confused worker. A leaf, so that neither the backend nor the server depends on the other.

use std::sync::atomic::{AtomicI32, Ordering};

/// The answer pipe's file descriptor in a worker, -1 elsewhere.
static ANSWER_FD: AtomicI32 = AtomicI32::new(-1);

/// Called by a worker once, before its first proof.
pub fn set(fd: i32) {
    ANSWER_FD.store(fd, Ordering::Relaxed);
}

/// Write raw bytes where this worker's answers go; outside a worker there is nobody to confuse,
/// so the process aborts (a crash fault still crashes).
pub fn write_raw(bytes: &[u8]) {
    let fd = ANSWER_FD.load(Ordering::Relaxed);
    #[cfg(unix)]
    if fd >= 0 {
        unsafe { libc::write(fd, bytes.as_ptr().cast(), bytes.len()) };
        return;
    }
    let _ = (fd, bytes);
    std::process::abort()
}
