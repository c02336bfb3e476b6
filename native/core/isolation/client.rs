//! The addon's side of a prover server: start it, wait for its setup, send proofs, and stop a
//! proof by asking the server to kill its child. A reader thread hands each answer to the call
//! waiting for it; a call waits on a channel, checking its cancel flag every millisecond.

use std::collections::HashMap;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{mpsc, Arc, Mutex};
use std::time::Duration;

use crate::cancel::CancelFlag;
use crate::error::{err, ErrorCode, Result};
use crate::isolation::protocol::{self, crashed, io_error, Request, Response, Work, STDERR_TAIL};

type Pending = Arc<Mutex<HashMap<u64, mpsc::Sender<Response>>>>;
type Input = Box<dyn Write + Send>;

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
    pub fn start(path: &Path, init: Request) -> Result<Self> {
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
        Self::connect(Box::new(stdin), stdout, stderr, Some(child), init)
    }

    /// Speak to a server over its streams: send `init`, wait for `Ready`, then hand its answers
    /// to the calls waiting for them.
    fn connect(
        mut stdin: Input,
        mut stdout: impl Read + Send + 'static,
        mut stderr: impl Read + Send + 'static,
        mut child: Option<Child>,
        init: Request,
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
                // The server is gone: every waiting call fails now, the next one restarts it.
                a.store(false, Ordering::Release);
                let error = crashed(format!("the prover server exited: {}", said(&stderr_tail)));
                for (id, waiter) in p.lock().unwrap().drain() {
                    let _ = waiter.send(Response::Died {
                        id,
                        error: (&error).into(),
                    });
                }
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

    /// Run `work` in a child of the server; `cancel` kills the child and returns ABORTED at once.
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

/// A prover server started on demand: setup (or the first proof) starts it; after the server itself
/// crashes, the next call starts another, which pays the setup again.
pub struct Server {
    path: PathBuf,
    init: Request,
    process: Mutex<Option<Arc<ProverProcess>>>,
}

impl Server {
    pub fn new(path: PathBuf, init: Request) -> Self {
        Server {
            path,
            init,
            process: Mutex::new(None),
        }
    }

    /// The running server, started (with its setup) if it is not running.
    pub fn process(&self) -> Result<Arc<ProverProcess>> {
        let mut slot = self.process.lock().unwrap();
        if let Some(p) = slot.as_ref().filter(|p| p.is_alive()) {
            return Ok(p.clone());
        }
        let p = Arc::new(ProverProcess::start(&self.path, self.init.clone())?);
        *slot = Some(p.clone());
        Ok(p)
    }

    /// Whether a server was started (it may have died since: the next call restarts it).
    pub fn is_started(&self) -> bool {
        self.process.lock().unwrap().is_some()
    }

    /// Stop the server and any proof in flight.
    pub fn shutdown(&self) {
        if let Some(p) = self.process.lock().unwrap().take() {
            p.stop();
        }
    }
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
mod tests {
    use std::io::{pipe, PipeReader, PipeWriter};
    use std::thread;

    use super::*;
    use crate::isolation::protocol::{read_frame, write_frame, WireError};
    use crate::simulated_config::SimulatedConfig;
    use crate::types::BackendKind;

    /// The server's ends of the three pipes: what the client writes, and where the server answers.
    struct FakeServer {
        requests: PipeReader,
        responses: Option<PipeWriter>,
        stderr: Option<PipeWriter>,
    }

    impl FakeServer {
        fn next(&mut self) -> Request {
            read_frame(&mut self.requests).unwrap().expect("a request")
        }

        fn answer(&mut self, response: Response) {
            write_frame(self.responses.as_mut().unwrap(), &response).unwrap();
        }
    }

    fn init() -> Request {
        Request::Init {
            backend: BackendKind::Simulated,
            simulated: SimulatedConfig::default(),
            threads: 2,
            max_proof_memory_bytes: Some(1 << 30),
        }
    }

    /// A client connected to a fake server that has said `first` (the setup's outcome).
    fn connect(first: &[u8]) -> (Result<ProverProcess>, FakeServer) {
        let (requests, client_in) = pipe().unwrap();
        let (client_out, mut responses) = pipe().unwrap();
        let (client_err, stderr) = pipe().unwrap();
        responses.write_all(first).unwrap();
        let client = ProverProcess::connect(Box::new(client_in), client_out, client_err, None, init());
        let server = FakeServer {
            requests,
            responses: Some(responses),
            stderr: Some(stderr),
        };
        (client, server)
    }

    fn frame(response: &Response) -> Vec<u8> {
        let mut out = vec![];
        write_frame(&mut out, response).unwrap();
        out
    }

    fn ready() -> Vec<u8> {
        frame(&Response::Ready { setup_ms: 7.5 })
    }

    fn work() -> Work {
        Work::Merge {
            parts: vec![vec![1, 2, 3]],
            log_inv_rate: 2,
        }
    }

    #[test]
    fn the_handshake_sends_init_first_and_reads_the_setup_time() {
        let (client, mut server) = connect(&ready());
        let client = client.unwrap();
        assert_eq!(client.setup_ms, 7.5);
        assert!(client.is_alive());
        let Request::Init {
            threads,
            max_proof_memory_bytes,
            ..
        } = server.next()
        else {
            panic!("the first frame is not Init");
        };
        assert_eq!((threads, max_proof_memory_bytes), (2, Some(1 << 30)));
    }

    #[test]
    fn a_failed_setup_keeps_its_code_and_a_malformed_first_frame_is_a_crash() {
        let failed = frame(&Response::SetupFailed {
            error: WireError::from(&err(ErrorCode::BackendUnavailable, "no such backend")),
        });
        let e = connect(&failed).0.err().unwrap();
        assert_eq!(
            (e.code, e.detail.as_str()),
            (ErrorCode::BackendUnavailable, "no such backend")
        );
        let e = connect(&u32::MAX.to_le_bytes()).0.err().unwrap();
        assert_eq!(e.code, ErrorCode::ProverCrashed);
        assert!(
            e.detail.starts_with("the prover server failed during setup"),
            "{}",
            e.detail
        );
    }

    #[test]
    fn each_answer_reaches_the_call_that_waits_for_it_whatever_the_order() {
        let (client, mut server) = connect(&ready());
        let client = Arc::new(client.unwrap());
        server.next();
        let calls: Vec<_> = (0..2)
            .map(|_| {
                let c = client.clone();
                thread::spawn(move || c.prove(work(), &CancelFlag::default()))
            })
            .collect();
        let ids: Vec<u64> = (0..2)
            .map(|_| match server.next() {
                Request::Prove { id, .. } => id,
                other => panic!("expected Prove, got {other:?}"),
            })
            .collect();
        // The second proof is answered first; each proof's bytes are its own id.
        for &id in ids.iter().rev() {
            server.answer(Response::Started { id, pid: 42 });
            server.answer(Response::Finished {
                id,
                outcome: Ok(vec![id as u8]),
            });
        }
        let mut got: Vec<u8> = calls.into_iter().map(|c| c.join().unwrap().unwrap()[0]).collect();
        got.sort();
        let mut want: Vec<u8> = ids.iter().map(|&id| id as u8).collect();
        want.sort();
        assert_eq!(got, want);
    }

    #[test]
    fn a_typed_error_and_a_worker_death_keep_their_codes() {
        let (client, mut server) = connect(&ready());
        let client = Arc::new(client.unwrap());
        server.next();
        for (code, died) in [(ErrorCode::InvalidChild, false), (ErrorCode::ProverOutOfMemory, true)] {
            let c = client.clone();
            let call = thread::spawn(move || c.prove(work(), &CancelFlag::default()));
            let Request::Prove { id, .. } = server.next() else {
                panic!("expected Prove")
            };
            let error = WireError::from(&err(code, "detail"));
            server.answer(if died {
                Response::Died { id, error }
            } else {
                Response::Finished {
                    id,
                    outcome: Err(error),
                }
            });
            assert_eq!(call.join().unwrap().err().unwrap().code, code);
        }
    }

    #[test]
    fn a_cancel_returns_aborted_at_once_and_asks_the_server_to_kill_the_proof() {
        let (client, mut server) = connect(&ready());
        let client = Arc::new(client.unwrap());
        server.next();
        let cancel = CancelFlag::default();
        let (c, flag) = (client.clone(), cancel.clone());
        let call = thread::spawn(move || c.prove(work(), &flag));
        let Request::Prove { id, .. } = server.next() else {
            panic!("expected Prove")
        };
        server.answer(Response::Started { id, pid: 42 });
        cancel.cancel();
        assert_eq!(call.join().unwrap().err().unwrap().code, ErrorCode::Aborted);
        assert!(matches!(server.next(), Request::Cancel { id: cancelled } if cancelled == id));
        // A call whose flag is already set fails before it sends anything.
        assert_eq!(client.prove(work(), &cancel).err().unwrap().code, ErrorCode::Aborted);
    }

    #[test]
    fn a_server_that_exits_fails_the_waiting_call_and_every_later_one() {
        let (client, mut server) = connect(&ready());
        let client = Arc::new(client.unwrap());
        server.next();
        let c = client.clone();
        let call = thread::spawn(move || c.prove(work(), &CancelFlag::default()));
        let Request::Prove { .. } = server.next() else {
            panic!("expected Prove")
        };
        server.stderr.take().unwrap().write_all(b"boom\n").unwrap();
        server.responses.take();
        let e = call.join().unwrap().err().unwrap();
        assert_eq!(e.code, ErrorCode::ProverCrashed);
        assert!(e.detail.starts_with("the prover server exited"), "{}", e.detail);
        assert!(!client.is_alive());
        let e = client.prove(work(), &CancelFlag::default()).err().unwrap();
        assert_eq!(
            (e.code, e.detail.as_str()),
            (ErrorCode::ProverCrashed, "the prover server is not running")
        );
    }

    #[test]
    fn a_stopped_client_sends_nothing_more() {
        let (client, mut server) = connect(&ready());
        let client = client.unwrap();
        server.next();
        client.stop();
        // Its end of the request pipe is closed: the server reads the end of the stream.
        assert!(read_frame::<Request>(&mut server.requests).unwrap().is_none());
        let e = client.send(&Request::Cancel { id: 1 }).err().unwrap();
        assert_eq!(e.detail, "the prover server was stopped");
    }
}
