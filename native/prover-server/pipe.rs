//! The server's side of its pipes to a worker: non-blocking reads into a buffer, closed at end of
//! stream.

use std::io;
use std::os::fd::RawFd;

pub struct Pipe {
    pub fd: RawFd,
    pub buf: Vec<u8>,
    pub open: bool,
}

impl Pipe {
    pub fn new(fd: RawFd) -> Self {
        Pipe {
            fd,
            buf: vec![],
            open: true,
        }
    }

    /// Read what is there; closes at end of stream. `keep_tail` bounds the buffer (stderr).
    pub fn pull(&mut self, keep_tail: Option<usize>) {
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

    pub fn close(&mut self) {
        if self.open {
            unsafe { libc::close(self.fd) };
            self.open = false;
        }
    }
}

pub fn os_error(what: &str) -> io::Error {
    let e = io::Error::last_os_error();
    io::Error::new(e.kind(), format!("{what}: {e}"))
}

/// A pipe whose ends close on exec: (read, write).
pub fn pipe() -> io::Result<(RawFd, RawFd)> {
    let mut fds = [0 as RawFd; 2];
    if unsafe { libc::pipe(fds.as_mut_ptr()) } != 0 {
        return Err(os_error("pipe"));
    }
    for fd in fds {
        unsafe { libc::fcntl(fd, libc::F_SETFD, libc::FD_CLOEXEC) };
    }
    Ok((fds[0], fds[1]))
}
