//! A worker: a forked child of the server that performs one `Work` after another (proofs and
//! verifications), read from its work pipe, and writes each answer to its answer pipe. Its stdout
//! and stderr go to the server (nothing it prints may reach the addon's channel), and it dies with
//! the server. A worker that has nothing to do for a moment gives its free heap back to the system.

use std::fs::File;
use std::io::{self, Write};
use std::mem::ManuallyDrop;
use std::os::fd::{FromRawFd, RawFd};
use std::sync::Arc;

use leanagg_core::answer_pipe;
use leanagg_core::backend::Backend;
use leanagg_core::isolation::protocol::{self, WireError, Work};
use leanagg_core::isolation::work;
use leanagg_core::{heap, ops, threads};

use crate::pipe::{os_error, pipe, Pipe};

/// What every worker gets.
pub struct Limits {
    /// Threads of its prover pool.
    pub threads: usize,
    /// Its own memory above what it inherits from the server.
    pub max_memory: Option<u64>,
}

/// The server's record of a worker.
pub struct Worker {
    /// The proof it works on; `None` while it waits for work.
    pub id: Option<u64>,
    pub pid: libc::pid_t,
    /// Where its work is written.
    work: RawFd,
    pub result: Pipe,
    pub stderr: Pipe,
    pub cancelled: bool,
    /// Why its answer pipe carried something other than an answer.
    pub garbled: Option<String>,
}

impl Worker {
    /// Fork a worker: it starts its prover pool, then proves each `Work` it reads from its pipe.
    pub fn fork(backend: &Arc<dyn Backend>, limits: &Limits) -> io::Result<Worker> {
        let (work_read, work_write) = pipe()?;
        let (result_read, result_write) = pipe()?;
        let (stderr_read, stderr_write) = pipe()?;
        let server = unsafe { libc::getpid() };
        let pid = unsafe { libc::fork() };
        if pid < 0 {
            return Err(os_error("fork"));
        }
        if pid == 0 {
            unsafe {
                libc::close(work_write);
                libc::close(result_read);
                libc::close(stderr_read);
                libc::dup2(stderr_write, 1);
                libc::dup2(stderr_write, 2);
                #[cfg(target_os = "linux")]
                libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL as libc::c_ulong);
                // The server may have died before the line above took effect.
                if libc::getppid() != server {
                    libc::_exit(4);
                }
            }
            serve_proofs(backend.as_ref(), limits, work_read, result_write);
        }
        unsafe {
            libc::close(work_read);
            libc::close(result_write);
            libc::close(stderr_write);
        }
        Ok(Worker {
            id: None,
            pid,
            work: work_write,
            result: Pipe::new(result_read),
            stderr: Pipe::new(stderr_read),
            cancelled: false,
            garbled: None,
        })
    }

    /// Waiting for work (not killed, not let go).
    pub fn is_idle(&self) -> bool {
        self.id.is_none() && !self.cancelled && self.work >= 0
    }

    /// Let it go: with its work pipe closed, it finishes and exits; it is reaped like any other.
    pub fn retire(&mut self) {
        if self.work >= 0 {
            unsafe { libc::close(self.work) };
            self.work = -1;
        }
    }

    /// Give the worker its next work.
    pub fn hand_over(&mut self, id: u64, work: &Work) -> io::Result<()> {
        self.id = Some(id);
        self.stderr.buf.clear();
        let mut pipe = ManuallyDrop::new(unsafe { File::from_raw_fd(self.work) });
        protocol::write_frame(&mut *pipe, work)
    }

    /// Kill it. Only an unreaped worker is killed, so its pid cannot have been reused.
    pub fn kill(&self) {
        unsafe { libc::kill(self.pid, libc::SIGKILL) };
    }

    /// Close its pipes and wait for it; its wait status.
    pub fn reap(&mut self) -> libc::c_int {
        self.result.close();
        self.stderr.close();
        self.retire();
        let mut status = 0;
        while unsafe { libc::waitpid(self.pid, &mut status, 0) } < 0 {
            if io::Error::last_os_error().kind() != io::ErrorKind::Interrupted {
                break;
            }
        }
        status
    }
}

/// After this long without work (ms), a worker returns its free heap to the system: work that
/// follows work at once (the groups of one slot) keeps its warm heap; an idle worker costs only
/// what it does not share with the server.
const TRIM_AFTER_MS: libc::c_int = 250;

/// The worker's life: one piece of work after another, until the server closes the pipe (or kills
/// it).
fn serve_proofs(backend: &dyn Backend, limits: &Limits, work_read: RawFd, result_write: RawFd) -> ! {
    if let Some(max) = limits.max_memory {
        limit_memory(max);
    }
    let pool = threads::configure(Some(limits.threads));
    let mut input = ManuallyDrop::new(unsafe { File::from_raw_fd(work_read) });
    let mut out = ManuallyDrop::new(unsafe { File::from_raw_fd(result_write) });
    answer_pipe::set(result_write);
    // What the server freed after it forked (its setup pool's threads end asynchronously) is free
    // heap here too: give it back before the first proof.
    heap::release_free_memory();
    loop {
        if !readable_within(work_read, TRIM_AFTER_MS) {
            heap::release_free_memory();
        }
        let Ok(Some(work)) = protocol::read_frame::<Work>(&mut *input) else {
            break;
        };
        let outcome = pool
            .clone()
            .and_then(|_| ops::run("prove", || work::prove(backend, work)))
            .map_err(|e| WireError::from(&e));
        if protocol::write_frame(&mut *out, &outcome).is_err() {
            unsafe { libc::_exit(3) };
        }
    }
    let _ = io::stderr().flush();
    unsafe { libc::_exit(0) }
}

/// Whether `fd` has something to read (or is closed) within `ms`.
fn readable_within(fd: RawFd, ms: libc::c_int) -> bool {
    let mut p = libc::pollfd {
        fd,
        events: libc::POLLIN,
        revents: 0,
    };
    unsafe { libc::poll(&mut p, 1, ms) != 0 }
}

/// Cap the worker's address space at what it inherited plus `max` bytes: an allocation past
/// that fails (and the proof dies of it) instead of taking the machine's memory.
fn limit_memory(max: u64) {
    let inherited = std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("VmSize:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        })
        .map_or(0, |kb| kb * 1024);
    let cap = inherited.saturating_add(max);
    let limit = libc::rlimit {
        rlim_cur: cap as libc::rlim_t,
        rlim_max: cap as libc::rlim_t,
    };
    unsafe { libc::setrlimit(libc::RLIMIT_AS, &limit) };
}
