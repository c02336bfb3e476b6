//! The addon's side of a prover server: start it, wait for its setup, send proofs, and stop a
//! proof by asking the server to kill its worker. A reader thread hands each answer to the call
//! waiting for it; a call waits on a channel, checking its cancel flag every millisecond. A server
//! that dies is started again at once (`Server`).

use std::collections::HashMap;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{mpsc, Arc, Mutex, Weak};
use std::time::Duration;

use crate::cancel::CancelFlag;
use crate::error::{err, ErrorCode, Result};
use crate::isolation::protocol::{self, crashed, io_error, Request, Response, Work, STDERR_TAIL};

type Pending = Arc<Mutex<HashMap<u64, mpsc::Sender<Response>>>>;
type Input = Box<dyn Write + Send>;
/// Called once the server is gone, after every waiting call has failed.
type OnExit = Box<dyn FnOnce() + Send>;

pub struct ProverProcess {
    /// `None` once stopped: closing it is how the server learns to kill its children and exit.
    stdin: Mutex<Option<Input>>,
    /// The server's process (`None` for a server on plain streams, in tests).
    child: Mutex<Option<Child>>,
    pending: Pending,
    alive: Arc<AtomicBool>,
    next_id: AtomicU64,
    pub setup_ms: f64,
}

impl ProverProcess {
    /// Start the server at `path` and wait for its setup (seconds for leanMultisig).
    pub fn start(path: &Path, init: Request, on_exit: OnExit) -> Result<Self> {
        let mut command = Command::new(path);
        // Its own process group: a Ctrl-C at the host's terminal is the host's to handle (it
        // cancels, then closes); the server must not die of it first.
        #[cfg(unix)]
        std::os::unix::process::CommandExt::process_group(&mut command, 0);
        let mut child = command
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| {
                err(
                    ErrorCode::BackendUnavailable,
                    format!("cannot start the prover server {}: {e}", path.display()),
                )
            })?;
        let stdin = child.stdin.take().expect("piped");
        let stdout = child.stdout.take().expect("piped");
        let stderr = child.stderr.take().expect("piped");
        Self::connect(Box::new(stdin), stdout, stderr, Some(child), init, on_exit)
    }

    /// Speak to a server over its streams: send `init`, wait for `Ready`, then hand its answers
    /// to the calls waiting for them.
    fn connect(
        mut stdin: Input,
        mut stdout: impl Read + Send + 'static,
        mut stderr: impl Read + Send + 'static,
        mut child: Option<Child>,
        init: Request,
        on_exit: OnExit,
    ) -> Result<Self> {
        let stderr_tail = Arc::new(Mutex::new(Vec::new()));
        {
            let tail = stderr_tail.clone();
            std::thread::Builder::new()
                .name("leanagg-prover-stderr".into())
                .spawn(move || {
                    let mut chunk = [0u8; 4096];
                    while let Ok(n @ 1..) = stderr.read(&mut chunk) {
                        let mut t = tail.lock().unwrap();
                        t.extend_from_slice(&chunk[..n]);
                        let excess = t.len().saturating_sub(STDERR_TAIL);
                        t.drain(..excess);
                    }
                })
                .map_err(|e| io_error("cannot start a reader thread", e))?;
        }
        let said = |tail: &Mutex<Vec<u8>>| String::from_utf8_lossy(&tail.lock().unwrap()).trim().to_string();
        protocol::write_frame(&mut stdin, &init).map_err(|e| io_error("cannot reach the prover server", e))?;
        let setup_ms = match protocol::read_frame::<Response>(&mut stdout) {
            Ok(Some(Response::Ready { setup_ms })) => setup_ms,
            Ok(Some(Response::SetupFailed { error })) => return Err(error.into()),
            other => {
                if let Some(child) = child.as_mut() {
                    let _ = child.kill();
                    let _ = child.wait();
                }
                let why = match other {
                    Err(e) => e.to_string(),
                    _ => "no answer".into(),
                };
                return Err(crashed(format!(
                    "the prover server failed during setup ({why}): {}",
                    said(&stderr_tail)
                )));
            }
        };
        let pending: Pending = Arc::default();
        let alive = Arc::new(AtomicBool::new(true));
        let (p, a) = (pending.clone(), alive.clone());
        std::thread::Builder::new()
            .name("leanagg-prover-reader".into())
            .spawn(move || {
                while let Ok(Some(response)) = protocol::read_frame::<Response>(&mut stdout) {
                    dispatch(&p, response);
                }
                // The server is gone: every waiting call fails now.
                a.store(false, Ordering::Release);
                let error = crashed(format!("the prover server exited: {}", said(&stderr_tail)));
                for (id, waiter) in p.lock().unwrap().drain() {
                    let _ = waiter.send(Response::Died {
                        id,
                        error: (&error).into(),
                    });
                }
                on_exit();
            })
            .map_err(|e| io_error("cannot start a reader thread", e))?;
        Ok(ProverProcess {
            stdin: Mutex::new(Some(stdin)),
            child: Mutex::new(child),
            pending,
            alive,
            next_id: AtomicU64::new(1),
            setup_ms,
        })
    }

    pub fn is_alive(&self) -> bool {
        self.alive.load(Ordering::Acquire)
    }

    /// Run `work` in a worker of the server; `cancel` kills the worker and returns ABORTED at once.
    pub fn prove(&self, work: Work, cancel: &CancelFlag) -> Result<Vec<u8>> {
        cancel.check()?;
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let (tx, rx) = mpsc::channel();
        self.pending.lock().unwrap().insert(id, tx);
        if !self.is_alive() {
            self.pending.lock().unwrap().remove(&id);
            return Err(crashed("the prover server is not running"));
        }
        self.send(&Request::Prove { id, work })?;
        loop {
            match rx.recv_timeout(Duration::from_millis(1)) {
                Ok(Response::Finished { outcome, .. }) => return outcome.map_err(Into::into),
                Ok(Response::Died { error, .. }) => return Err(error.into()),
                Ok(_) => {}
                Err(mpsc::RecvTimeoutError::Timeout) if cancel.is_cancelled() => {
                    self.pending.lock().unwrap().remove(&id);
                    // The server kills the child; this call does not wait for it to be reaped.
                    let _ = self.send(&Request::Cancel { id });
                    return Err(err(
                        ErrorCode::Aborted,
                        "the operation was aborted; its proof was stopped",
                    ));
                }
                Err(mpsc::RecvTimeoutError::Timeout) => {}
                Err(mpsc::RecvTimeoutError::Disconnected) => {
                    return Err(crashed("the prover server stopped answering"));
                }
            }
        }
    }

    fn send(&self, request: &Request) -> Result<()> {
        let mut stdin = self.stdin.lock().unwrap();
        let Some(stdin) = stdin.as_mut() else {
            return Err(crashed("the prover server was stopped"));
        };
        protocol::write_frame(stdin, request).map_err(|e| io_error("cannot reach the prover server", e))
    }

    /// Stop the server: closing its input makes it kill its children and exit; if it has not
    /// within 200 ms, it is killed (and on Linux its children die with it).
    pub fn stop(&self) {
        self.stdin.lock().unwrap().take();
        let mut child = self.child.lock().unwrap();
        let Some(child) = child.as_mut() else { return };
        for _ in 0..200 {
            if !matches!(child.try_wait(), Ok(None)) {
                return;
            }
            std::thread::sleep(Duration::from_millis(1));
        }
        let _ = child.kill();
        let _ = child.wait();
    }
}

impl Drop for ProverProcess {
    fn drop(&mut self) {
        self.stop();
    }
}

/// A prover server started on demand: setup (or the first work) starts it. A server that dies
/// (a crash, out of memory, an operator's SIGKILL) fails the work in flight and is started again
/// at once, off every call's path; a call that comes during that restart waits for its setup.
/// `shutdown` is final (close()), and never waits for a start (it runs on the JS thread): a start
/// it interrupts stops the server it started, and no call starts one after it.
pub struct Server {
    inner: Arc<Inner>,
}

struct Inner {
    path: PathBuf,
    init: Request,
    /// The server, held only briefly: never while one starts.
    process: Mutex<Option<Arc<ProverProcess>>>,
    /// One start at a time; a call that waited for another's start uses that server.
    starting: Mutex<()>,
    /// Set by `shutdown`: no start after it.
    stopped: AtomicBool,
    /// Counts the servers started, so a restart is done once per death.
    started: AtomicU64,
}

impl Server {
    pub fn new(path: PathBuf, init: Request) -> Self {
        Server {
            inner: Arc::new(Inner {
                path,
                init,
                process: Mutex::new(None),
                starting: Mutex::new(()),
                stopped: AtomicBool::new(false),
                started: AtomicU64::new(0),
            }),
        }
    }

    /// The running server, started (with its setup) if it is not running.
    pub fn process(&self) -> Result<Arc<ProverProcess>> {
        Inner::process(&self.inner)
    }

    /// Whether a server was started (it may be restarting: the next call waits for it).
    pub fn is_started(&self) -> bool {
        self.inner.process.lock().unwrap().is_some()
    }

    /// Stop the server and any work in flight, for good: a call still on its way (a proof whose
    /// checks ran past close()) fails instead of starting another server.
    pub fn shutdown(&self) {
        self.inner.stopped.store(true, Ordering::Release);
        let running = self.inner.process.lock().unwrap().take();
        if let Some(p) = running {
            p.stop();
        }
    }
}

impl Inner {
    fn running(&self) -> Option<Arc<ProverProcess>> {
        self.process.lock().unwrap().as_ref().filter(|p| p.is_alive()).cloned()
    }

    fn process(inner: &Arc<Inner>) -> Result<Arc<ProverProcess>> {
        if let Some(p) = inner.running() {
            return Ok(p);
        }
        let _one_start = inner.starting.lock().unwrap();
        if let Some(p) = inner.running() {
            return Ok(p);
        }
        if inner.stopped.load(Ordering::Acquire) {
            return Err(stopped());
        }
        let generation = inner.started.fetch_add(1, Ordering::AcqRel) + 1;
        let weak = Arc::downgrade(inner);
        let on_exit: OnExit = Box::new(move || Inner::restart(weak, generation));
        let p = Arc::new(ProverProcess::start(&inner.path, inner.init.clone(), on_exit)?);
        let mut slot = inner.process.lock().unwrap();
        // `shutdown` came while this one started: it is stopped, not kept.
        if inner.stopped.load(Ordering::Acquire) {
            drop(slot);
            p.stop();
            return Err(stopped());
        }
        *slot = Some(p.clone());
        Ok(p)
    }

    /// After server `generation` exited: start the next one, unless it was stopped on purpose or
    /// a call has already started another. A failed restart leaves the next call to try again.
    fn restart(weak: Weak<Inner>, generation: u64) {
        let Some(inner) = weak.upgrade() else { return };
        if inner.stopped.load(Ordering::Acquire) || inner.started.load(Ordering::Acquire) != generation {
            return;
        }
        let _ = std::thread::Builder::new()
            .name("leanagg-prover-restart".into())
            .spawn(move || drop(Inner::process(&inner)));
    }
}

fn stopped() -> crate::error::LeanAggError {
    crashed("the prover server was stopped")
}

impl Drop for Server {
    fn drop(&mut self) {
        self.shutdown();
    }
}

fn dispatch(pending: &Pending, response: Response) {
    let mut pending = pending.lock().unwrap();
    match &response {
        Response::Started { id, .. } => {
            if let Some(waiter) = pending.get(id) {
                let _ = waiter.send(response);
            }
        }
        Response::Finished { id, .. } | Response::Died { id, .. } => {
            if let Some(waiter) = pending.remove(id) {
                let _ = waiter.send(response);
            }
        }
        Response::Ready { .. } | Response::SetupFailed { .. } => {}
    }
}

#[cfg(test)]
mod tests;
