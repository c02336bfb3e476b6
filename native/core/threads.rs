//! The prover's thread pool. leanMultisig parallelises with rayon; every backend call runs inside
//! this pool (`run` installs it) rather than rayon's global pool, so the addon never resizes or
//! competes with another library's global pool. Its size is chosen once, by the first `configure`
//! (the first prover created in the process; in a prover server's worker, the server's Init).

use std::sync::OnceLock;

use crate::error::{err, ErrorCode, Result};

static POOL: OnceLock<rayon::ThreadPool> = OnceLock::new();

/// Default pool size: every core. Proofs run one at a time by default (see src/prover.ts), so one
/// proof gets the whole machine while the libuv thread that started it waits.
pub fn default_threads() -> usize {
    std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1)
}

/// Size the pool. Only the first call decides; later calls return the size in force.
pub fn configure(threads: Option<usize>) -> Result<usize> {
    Ok(pool_with(threads)?.current_num_threads())
}

pub fn size() -> Result<usize> {
    configure(None)
}

fn pool_with(threads: Option<usize>) -> Result<&'static rayon::ThreadPool> {
    if let Some(pool) = POOL.get() {
        return Ok(pool);
    }
    let n = threads.filter(|&n| n > 0).unwrap_or_else(default_threads);
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(n)
        .thread_name(|i| format!("leanagg-prover-{i}"))
        .build()
        .map_err(|e| {
            err(
                ErrorCode::ProverFailed,
                format!("cannot start the prover thread pool: {e}"),
            )
        })?;
    // A concurrent first call may have won; its pool is as good as ours.
    Ok(POOL.get_or_init(|| pool))
}

/// Run `f` on the prover pool (blocking the calling libuv thread until it returns).
pub fn run<R: Send>(f: impl FnOnce() -> Result<R> + Send) -> Result<R> {
    pool_with(None)?.install(f)
}
