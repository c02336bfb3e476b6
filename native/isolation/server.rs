//! The prover server (`leanagg-prover`): runs setup once, in a thread pool it then shuts down, so
//! that it is single-threaded when it forks; then proves in forked worker processes. A worker
//! shares the setup state copy-on-write, proves on a pool of its own and writes each answer to a
//! pipe. Killing it (on the addon's `Cancel`) stops its proof at once and returns its memory to
//! the system. A worker that crashes is reported as `Died`, with what it wrote to stderr.
//!
//! Workers live on between proofs: a fresh process pays page faults for the whole working set of
//! its first proof (about 0.1 s for a small leanMultisig group) and forking a 1 GB server takes
//! ~20 ms, while a worker that has proved once reuses its heap and threads like an in-process
//! prover. So a proof goes to an idle worker; a new worker is forked only when none is idle, and,
//! after a kill, once the server has been idle for `SPARE_AFTER`, off every proof's path.

/// Where a worker writes its answers (-1 outside a worker).
static ANSWER_FD: std::sync::atomic::AtomicI32 = std::sync::atomic::AtomicI32::new(-1);

/// Write raw bytes where this worker's answers go: only the simulated backend's fault injection
/// does this, to test how the server meets a confused worker.
pub fn write_to_answer_pipe(bytes: &[u8]) {
    let fd = ANSWER_FD.load(std::sync::atomic::Ordering::Relaxed);
    #[cfg(unix)]
    if fd >= 0 {
        unsafe { libc::write(fd, bytes.as_ptr().cast(), bytes.len()) };
        return;
    }
    let _ = (fd, bytes);
    std::process::abort()
}

#[cfg(unix)]
pub fn run() -> i32 {
    match unix::serve() {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("leanagg-prover: {e}");
            1
        }
    }
}

#[cfg(not(unix))]
pub fn run() -> i32 {
    eprintln!("leanagg-prover: process isolation needs a unix system");
    2
}

#[cfg(unix)]
mod unix {
    use std::fs::File;
    use std::io::{self, Read, Write};
    use std::mem::ManuallyDrop;
    use std::os::fd::{FromRawFd, RawFd};
    use std::sync::{mpsc, Arc};
    use std::time::{Duration, Instant};

    use crate::backend::{self, Backend};
    use crate::cancel::CancelFlag;
    use crate::error::{err, ErrorCode, LeanAggError, Result};
    use crate::isolation::protocol::{self, Request, Response, WireError, Work};
    use crate::panic_guard::guard;
    use crate::threads;
    use crate::types::*;

    /// What a child wrote to stderr is kept up to this much, for the error it dies with.
    const STDERR_TAIL: usize = 2048;
    /// With no worker left (after a kill), fork the next one after this much idle time, so that
    /// the fork's CPU burst does not land right on top of whatever the host does after a cancel.
    const SPARE_AFTER: libc::c_int = 100;

    struct Child {
        /// The proof it works on; `None` while it waits for work.
        id: Option<u64>,
        pid: libc::pid_t,
        /// Where its work is written.
        work: RawFd,
        result: Pipe,
        stderr: Pipe,
        cancelled: bool,
        /// Why its answer pipe carried something other than an answer.
        garbled: Option<String>,
    }

    struct Pipe {
        fd: RawFd,
        buf: Vec<u8>,
        open: bool,
    }

    impl Pipe {
        fn new(fd: RawFd) -> Self {
            Pipe {
                fd,
                buf: vec![],
                open: true,
            }
        }

        /// Read what is there; closes at end of stream. `keep_tail` bounds the buffer (stderr).
        fn pull(&mut self, keep_tail: Option<usize>) {
            let mut chunk = [0u8; 65536];
            let n = unsafe { libc::read(self.fd, chunk.as_mut_ptr().cast(), chunk.len()) };
            if n > 0 {
                self.buf.extend_from_slice(&chunk[..n as usize]);
                if let Some(max) = keep_tail.filter(|&max| self.buf.len() > max) {
                    self.buf.drain(..self.buf.len() - max);
                }
            } else if n == 0 || io::Error::last_os_error().kind() != io::ErrorKind::Interrupted {
                self.close();
            }
        }

        fn close(&mut self) {
            if self.open {
                unsafe { libc::close(self.fd) };
                self.open = false;
            }
        }
    }

    fn os_error(what: &str) -> io::Error {
        let e = io::Error::last_os_error();
        io::Error::new(e.kind(), format!("{what}: {e}"))
    }

    /// The server's stdout carries frames to the addon; nothing else may write there.
    fn send(response: &Response) -> io::Result<()> {
        let mut stdout = ManuallyDrop::new(unsafe { File::from_raw_fd(1) });
        protocol::write_frame(&mut *stdout, response)
    }

    pub fn serve() -> io::Result<()> {
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
        let backend = match backend::create(kind.into(), simulated) {
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
        let limits = ChildLimits {
            threads,
            max_memory: max_proof_memory_bytes,
        };
        event_loop(&mut stdin, backend, &limits)
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

    struct ChildLimits {
        threads: usize,
        max_memory: Option<u64>,
    }

    fn event_loop(stdin: &mut File, backend: Arc<dyn Backend>, limits: &ChildLimits) -> io::Result<()> {
        let mut input = vec![];
        let mut children: Vec<Child> = vec![];
        // The first worker right after setup, while the host is still busy resolving it.
        children.push(fork_child(&backend, limits)?);
        loop {
            let mut fds = vec![libc::pollfd {
                fd: 0,
                events: libc::POLLIN,
                revents: 0,
            }];
            for c in &children {
                for p in [&c.result, &c.stderr].into_iter().filter(|p| p.open) {
                    fds.push(libc::pollfd {
                        fd: p.fd,
                        events: libc::POLLIN,
                        revents: 0,
                    });
                }
            }
            let timeout = if children.is_empty() { SPARE_AFTER } else { -1 };
            let n = unsafe { libc::poll(fds.as_mut_ptr(), fds.len() as libc::nfds_t, timeout) };
            if n < 0 {
                if io::Error::last_os_error().kind() == io::ErrorKind::Interrupted {
                    continue;
                }
                return Err(os_error("poll"));
            }
            if n == 0 {
                children.push(fork_child(&backend, limits)?);
                continue;
            }
            let ready = |fd: RawFd| fds.iter().any(|p| p.fd == fd && p.revents != 0);
            if ready(0) {
                let mut chunk = [0u8; 65536];
                let got = stdin.read(&mut chunk)?;
                if got == 0 {
                    // The addon is gone (closed, or its process died): take every child with us.
                    for c in &children {
                        unsafe { libc::kill(c.pid, libc::SIGKILL) };
                    }
                    for c in &mut children {
                        reap(c);
                    }
                    return Ok(());
                }
                input.extend_from_slice(&chunk[..got]);
                for frame in protocol::take_frames(&mut input)? {
                    match protocol::decode::<Request>(&frame)? {
                        Request::Prove { id, work } => {
                            // A worker being killed is not idle, even once it has answered.
                            let idle = match children.iter().position(|c| c.id.is_none() && !c.cancelled) {
                                Some(i) => i,
                                None => {
                                    children.push(fork_child(&backend, limits)?);
                                    children.len() - 1
                                }
                            };
                            let child = &mut children[idle];
                            child.id = Some(id);
                            child.stderr.buf.clear();
                            // A worker that died while it waited answers as dead when reaped.
                            let _ = hand_over(child, &work);
                            send(&Response::Started {
                                id,
                                pid: child.pid as u32,
                            })?;
                        }
                        Request::Cancel { id } => {
                            // Only an unreaped child is killed, so its pid cannot have been reused.
                            if let Some(c) = children.iter_mut().find(|c| c.id == Some(id)) {
                                c.cancelled = true;
                                unsafe { libc::kill(c.pid, libc::SIGKILL) };
                            }
                        }
                        Request::Init { .. } => {
                            return Err(io::Error::new(io::ErrorKind::InvalidData, "Init sent twice"));
                        }
                    }
                }
            }
            for c in &mut children {
                if c.result.open && ready(c.result.fd) {
                    c.result.pull(None);
                    let answered = match c.garbled {
                        // A confused worker is being killed: nothing more it writes counts.
                        Some(_) => {
                            c.result.buf.clear();
                            Ok(vec![])
                        }
                        None => answers(&mut c.result.buf),
                    };
                    match answered {
                        Ok(outcomes) => {
                            for outcome in outcomes {
                                // An answer nobody waits for (its proof was cancelled) is dropped.
                                if let Some(id) = c.id.take().filter(|_| !c.cancelled) {
                                    send(&Response::Finished { id, outcome })?;
                                }
                            }
                        }
                        // A worker that writes what is no answer is confused: it dies, its proof
                        // fails as crashed, and the server and the other workers go on.
                        Err(e) => {
                            c.garbled = Some(e.to_string());
                            c.result.buf.clear();
                            unsafe { libc::kill(c.pid, libc::SIGKILL) };
                        }
                    }
                }
                if c.stderr.open && ready(c.stderr.fd) {
                    c.stderr.pull(Some(STDERR_TAIL));
                }
            }
            // A worker whose pipes closed has exited, or been killed.
            let (dead, living): (Vec<Child>, Vec<Child>) =
                children.into_iter().partition(|c| !c.result.open || !c.stderr.open);
            children = living;
            for mut c in dead {
                let status = reap(&mut c);
                if let Some(id) = c.id {
                    send(&answer(id, &c, status))?;
                }
            }
        }
    }

    /// The whole answers a worker has written so far.
    fn answers(buf: &mut Vec<u8>) -> io::Result<Vec<protocol::Outcome>> {
        protocol::take_frames(buf)?
            .iter()
            .map(|frame| protocol::decode(frame))
            .collect()
    }

    /// Give a worker its next proof.
    fn hand_over(child: &mut Child, work: &Work) -> io::Result<()> {
        let mut pipe = ManuallyDrop::new(unsafe { File::from_raw_fd(child.work) });
        protocol::write_frame(&mut *pipe, work)
    }

    fn reap(c: &mut Child) -> libc::c_int {
        c.result.close();
        c.stderr.close();
        if c.work >= 0 {
            unsafe { libc::close(c.work) };
            c.work = -1;
        }
        let mut status = 0;
        while unsafe { libc::waitpid(c.pid, &mut status, 0) } < 0 {
            if io::Error::last_os_error().kind() != io::ErrorKind::Interrupted {
                break;
            }
        }
        status
    }

    /// What a finished child means for the addon.
    /// Why a worker died while it proved `id`.
    fn answer(id: u64, c: &Child, status: libc::c_int) -> Response {
        // The first lines say what happened; a backtrace note after them says nothing more.
        let stderr = String::from_utf8_lossy(&c.stderr.buf)
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with("stack backtrace") && !l.starts_with("note:"))
            .take(3)
            .collect::<Vec<_>>()
            .join("; ");
        let said = if stderr.is_empty() {
            String::new()
        } else {
            format!(": {stderr}")
        };
        let error = if c.cancelled {
            err(ErrorCode::Aborted, "the proof was stopped")
        } else if let Some(why) = &c.garbled {
            protocol::crashed(format!("the prover process sent a malformed answer ({why})"))
        } else if stderr.contains("memory allocation of") {
            err(
                ErrorCode::ProverOutOfMemory,
                format!("the prover process ran out of memory{said}"),
            )
        } else if libc::WIFSIGNALED(status) {
            let sig = libc::WTERMSIG(status);
            let hint = if sig == libc::SIGKILL {
                " (by the system's out-of-memory killer?)"
            } else {
                ""
            };
            protocol::crashed(format!(
                "the prover process was killed by {}{hint}{said}",
                signal_name(sig)
            ))
        } else {
            protocol::crashed(format!(
                "the prover process exited with status {} without an answer{said}",
                libc::WEXITSTATUS(status)
            ))
        };
        Response::Died {
            id,
            error: (&error).into(),
        }
    }

    fn signal_name(sig: libc::c_int) -> String {
        let name = match sig {
            libc::SIGABRT => "SIGABRT",
            libc::SIGSEGV => "SIGSEGV",
            libc::SIGBUS => "SIGBUS",
            libc::SIGILL => "SIGILL",
            libc::SIGFPE => "SIGFPE",
            libc::SIGKILL => "SIGKILL",
            libc::SIGTERM => "SIGTERM",
            _ => return format!("signal {sig}"),
        };
        name.to_string()
    }

    fn pipe() -> io::Result<(RawFd, RawFd)> {
        let mut fds = [0 as RawFd; 2];
        if unsafe { libc::pipe(fds.as_mut_ptr()) } != 0 {
            return Err(os_error("pipe"));
        }
        for fd in fds {
            unsafe { libc::fcntl(fd, libc::F_SETFD, libc::FD_CLOEXEC) };
        }
        Ok((fds[0], fds[1]))
    }

    /// Fork a worker: it starts its prover pool, then proves each `Work` it reads from its pipe.
    fn fork_child(backend: &Arc<dyn Backend>, limits: &ChildLimits) -> io::Result<Child> {
        let (work_read, work_write) = pipe()?;
        let (result_read, result_write) = pipe()?;
        let (stderr_read, stderr_write) = pipe()?;
        let server = unsafe { libc::getpid() };
        let pid = unsafe { libc::fork() };
        if pid < 0 {
            return Err(os_error("fork"));
        }
        if pid == 0 {
            // The child: stdout and stderr go to the server (nothing it prints may reach the
            // addon's channel), and it dies with the server.
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
            if let Some(max) = limits.max_memory {
                limit_memory(max);
            }
            let pool = threads::configure(Some(limits.threads));
            let mut input = ManuallyDrop::new(unsafe { File::from_raw_fd(work_read) });
            let mut out = ManuallyDrop::new(unsafe { File::from_raw_fd(result_write) });
            super::ANSWER_FD.store(result_write, std::sync::atomic::Ordering::Relaxed);
            // One proof after another, until the server closes the pipe (or kills this worker).
            while let Ok(Some(work)) = protocol::read_frame::<Work>(&mut *input) {
                let outcome = pool
                    .clone()
                    .and_then(|_| prove(backend.as_ref(), work))
                    .map_err(|e| WireError::from(&e));
                if protocol::write_frame(&mut *out, &outcome).is_err() {
                    unsafe { libc::_exit(3) };
                }
            }
            let _ = io::stderr().flush();
            unsafe { libc::_exit(0) };
        }
        unsafe {
            libc::close(work_read);
            libc::close(result_write);
            libc::close(stderr_write);
        }
        Ok(Child {
            id: None,
            pid,
            work: work_write,
            result: Pipe::new(result_read),
            stderr: Pipe::new(stderr_read),
            cancelled: false,
            garbled: None,
        })
    }

    /// Cap the child's address space at what it inherited plus `max` bytes: an allocation past
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

    /// The proof itself, on this child's own pool. The addon verified every input already.
    fn prove(backend: &dyn Backend, work: Work) -> Result<Vec<u8>> {
        let cancel = CancelFlag::default();
        crate::ops::run("prove", || match work {
            Work::Aggregate {
                message,
                slot,
                raw,
                children,
                log_inv_rate,
            } => {
                let raw = raw
                    .iter()
                    .map(|(pk, sig)| Ok((PublicKey::from_bytes(pk)?, Signature::from_bytes(sig)?)))
                    .collect::<Result<Vec<_>>>()?;
                let children = decode_all(backend, &children)?;
                let group = GroupRequest {
                    message,
                    slot,
                    raw,
                    children,
                    log_inv_rate: check_log_inv_rate(log_inv_rate)?,
                };
                let a = backend.prove_aggregate(&group, &cancel)?;
                Ok(backend.aggregate_to_bytes(&a))
            }
            Work::Merge { parts, log_inv_rate } => {
                let parts = decode_all(backend, &parts)?;
                let m = backend.prove_merge(&parts, check_log_inv_rate(log_inv_rate)?, &cancel)?;
                Ok(backend.merged_to_bytes(&m))
            }
            Work::Split {
                merged,
                index,
                log_inv_rate,
            } => {
                let merged = backend.merged_from_bytes(&merged)?;
                if index as usize >= merged.components.len() {
                    return Err(err(ErrorCode::InvalidArgument, "component index out of range"));
                }
                let a = backend.prove_split(&merged, index as usize, check_log_inv_rate(log_inv_rate)?, &cancel)?;
                Ok(backend.aggregate_to_bytes(&a))
            }
        })
    }

    fn decode_all(backend: &dyn Backend, list: &[Vec<u8>]) -> Result<Vec<Arc<Aggregate>>> {
        list.iter()
            .map(|b| backend.aggregate_from_bytes(b).map(Arc::new))
            .collect::<Result<Vec<_>, LeanAggError>>()
    }
}
