//! The server's poll loop: requests from the addon on stdin, answers and stderr from the workers.
//! Work (a proof or a verification) goes to an idle worker (a new one is forked when none is
//! idle); a cancel kills the worker running it; a worker whose pipes closed is reaped, and its
//! work, if any, answered. Idle workers beyond one are let go after a while.

use std::fs::File;
use std::io::{self, Read};
use std::mem::ManuallyDrop;
use std::os::fd::{FromRawFd, RawFd};
use std::sync::Arc;

use leanagg_core::backend::Backend;
use leanagg_core::isolation::protocol::{self, Outcome, Request, Response, STDERR_TAIL};

use crate::death::{classify, Death};
use crate::pipe::os_error;
use crate::worker::{Limits, Worker};

/// With no worker left (after a kill), fork the next one after this much idle time (ms), so that
/// the fork's CPU burst does not land right on top of whatever the host does after a cancel.
const SPARE_AFTER: libc::c_int = 100;

/// Idle workers beyond the first are let go after this long (ms) with nothing to do: a verification
/// that came during a proof needed its own worker, but between slots one worker is enough.
const EXTRA_IDLE_FOR: libc::c_int = 1000;

/// The server's stdout carries frames to the addon; nothing else may write there.
pub fn send(response: &Response) -> io::Result<()> {
    let mut stdout = ManuallyDrop::new(unsafe { File::from_raw_fd(1) });
    protocol::write_frame(&mut *stdout, response)
}

pub fn run(stdin: &mut File, backend: Arc<dyn Backend>, limits: &Limits) -> io::Result<()> {
    let mut input = vec![];
    // The first worker right after setup, while the host is still busy resolving it.
    let mut workers = vec![Worker::fork(&backend, limits)?];
    loop {
        let mut fds = vec![libc::pollfd {
            fd: 0,
            events: libc::POLLIN,
            revents: 0,
        }];
        for w in &workers {
            for p in [&w.result, &w.stderr].into_iter().filter(|p| p.open) {
                fds.push(libc::pollfd {
                    fd: p.fd,
                    events: libc::POLLIN,
                    revents: 0,
                });
            }
        }
        let idle = workers.iter().filter(|w| w.is_idle()).count();
        let timeout = match (workers.len(), idle) {
            (0, _) => SPARE_AFTER,
            (_, 2..) => EXTRA_IDLE_FOR,
            _ => -1,
        };
        let n = unsafe { libc::poll(fds.as_mut_ptr(), fds.len() as libc::nfds_t, timeout) };
        if n < 0 {
            if io::Error::last_os_error().kind() == io::ErrorKind::Interrupted {
                continue;
            }
            return Err(os_error("poll"));
        }
        if n == 0 {
            if workers.is_empty() {
                workers.push(Worker::fork(&backend, limits)?);
            } else {
                workers
                    .iter_mut()
                    .filter(|w| w.is_idle())
                    .skip(1)
                    .for_each(Worker::retire);
            }
            continue;
        }
        let ready = |fd: RawFd| fds.iter().any(|p| p.fd == fd && p.revents != 0);
        if ready(0) {
            let mut chunk = [0u8; 65536];
            let got = stdin.read(&mut chunk)?;
            if got == 0 {
                // The addon is gone (closed, or its process died): take every worker with us.
                workers.iter().for_each(Worker::kill);
                for w in &mut workers {
                    w.reap();
                }
                return Ok(());
            }
            input.extend_from_slice(&chunk[..got]);
            for frame in protocol::take_frames(&mut input)? {
                handle(protocol::decode::<Request>(&frame)?, &mut workers, &backend, limits)?;
            }
        }
        for w in &mut workers {
            if w.result.open && ready(w.result.fd) {
                read_answers(w)?;
            }
            if w.stderr.open && ready(w.stderr.fd) {
                w.stderr.pull(Some(STDERR_TAIL));
            }
        }
        // A worker whose pipes closed has exited, or been killed.
        let (dead, living): (Vec<Worker>, Vec<Worker>) =
            workers.into_iter().partition(|w| !w.result.open || !w.stderr.open);
        workers = living;
        for mut w in dead {
            let status = w.reap();
            if let Some(id) = w.id {
                let error = classify(&Death {
                    cancelled: w.cancelled,
                    garbled: w.garbled.as_deref(),
                    stderr: &w.stderr.buf,
                    status,
                });
                send(&Response::Died {
                    id,
                    error: (&error).into(),
                })?;
            }
        }
    }
}

fn handle(request: Request, workers: &mut Vec<Worker>, backend: &Arc<dyn Backend>, limits: &Limits) -> io::Result<()> {
    match request {
        Request::Prove { id, work } => {
            // A worker being killed or let go is not idle, even once it has answered.
            let idle = match workers.iter().position(Worker::is_idle) {
                Some(i) => i,
                None => {
                    workers.push(Worker::fork(backend, limits)?);
                    workers.len() - 1
                }
            };
            let worker = &mut workers[idle];
            // A worker that died while it waited answers as dead when reaped.
            let _ = worker.hand_over(id, &work);
            send(&Response::Started {
                id,
                pid: worker.pid as u32,
            })
        }
        Request::Cancel { id } => {
            if let Some(w) = workers.iter_mut().find(|w| w.id == Some(id)) {
                w.cancelled = true;
                w.kill();
            }
            Ok(())
        }
        Request::Init { .. } => Err(io::Error::new(io::ErrorKind::InvalidData, "Init sent twice")),
    }
}

/// Forward what a worker answered; a worker that writes what is no answer is confused: it dies,
/// its proof fails as crashed, and the server and the other workers go on.
fn read_answers(w: &mut Worker) -> io::Result<()> {
    w.result.pull(None);
    if w.garbled.is_some() {
        // A confused worker is being killed: nothing more it writes counts.
        w.result.buf.clear();
        return Ok(());
    }
    match answers(&mut w.result.buf) {
        Ok(outcomes) => {
            for outcome in outcomes {
                // An answer nobody waits for (its proof was cancelled) is dropped.
                if let Some(id) = w.id.take().filter(|_| !w.cancelled) {
                    send(&Response::Finished { id, outcome })?;
                }
            }
        }
        Err(e) => {
            w.garbled = Some(e.to_string());
            w.result.buf.clear();
            w.kill();
        }
    }
    Ok(())
}

/// The whole answers a worker has written so far.
fn answers(buf: &mut Vec<u8>) -> io::Result<Vec<Outcome>> {
    protocol::take_frames(buf)?
        .iter()
        .map(|frame| protocol::decode(frame))
        .collect()
}
