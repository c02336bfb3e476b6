//! The client against a fake server on pipes: no process is started.
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
    connect_then(first, Box::new(|| {}))
}

fn connect_then(first: &[u8], on_exit: OnExit) -> (Result<ProverProcess>, FakeServer) {
    let (requests, client_in) = pipe().unwrap();
    let (client_out, mut responses) = pipe().unwrap();
    let (client_err, stderr) = pipe().unwrap();
    responses.write_all(first).unwrap();
    let client = ProverProcess::connect(Box::new(client_in), client_out, client_err, None, init(), on_exit);
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
    let (exited, exit_seen) = mpsc::channel();
    let (client, mut server) = connect_then(&ready(), Box::new(move || exited.send(()).unwrap()));
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
    // Once every waiting call has failed, its owner learns the server is gone (to restart it).
    exit_seen.recv_timeout(Duration::from_secs(10)).unwrap();
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

#[test]
fn a_server_shut_down_is_never_started_again() {
    // No process is started: a stopped server refuses before it would look for its executable.
    let server = Server::new(PathBuf::from("/nonexistent/leanagg-prover"), init());
    assert_eq!(server.process().err().unwrap().code, ErrorCode::BackendUnavailable);
    server.shutdown();
    let e = server.process().err().unwrap();
    assert_eq!(
        (e.code, e.detail.as_str()),
        (ErrorCode::ProverCrashed, "the prover server was stopped")
    );
    assert!(!server.is_started());
}
