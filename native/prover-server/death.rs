//! Why a worker died while it proved: the error the addon gets for its proof.

use leanagg_core::error::{err, ErrorCode, LeanAggError};
use leanagg_core::isolation::protocol::crashed;

/// What the server knows of a dead worker.
pub struct Death<'a> {
    /// The addon cancelled its proof (the server killed it).
    pub cancelled: bool,
    /// Its answer pipe carried what is no answer (the server killed it), and why.
    pub garbled: Option<&'a str>,
    /// The tail of what it wrote to stderr.
    pub stderr: &'a [u8],
    /// Its wait status (`waitpid`).
    pub status: libc::c_int,
}

pub fn classify(death: &Death) -> LeanAggError {
    // The first lines say what happened; a backtrace note after them says nothing more.
    let stderr = String::from_utf8_lossy(death.stderr)
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
    let status = death.status;
    if death.cancelled {
        err(ErrorCode::Aborted, "the proof was stopped")
    } else if let Some(why) = death.garbled {
        crashed(format!("the prover process sent a malformed answer ({why})"))
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
        crashed(format!(
            "the prover process was killed by {}{hint}{said}",
            signal_name(sig)
        ))
    } else {
        crashed(format!(
            "the prover process exited with status {} without an answer{said}",
            libc::WEXITSTATUS(status)
        ))
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

#[cfg(test)]
mod tests {
    use super::*;

    /// A wait status as `waitpid` reports it (Linux and the BSDs share this layout).
    fn signaled(sig: libc::c_int) -> libc::c_int {
        sig
    }

    fn exited(code: libc::c_int) -> libc::c_int {
        code << 8
    }

    fn death(stderr: &[u8], status: libc::c_int) -> Death<'_> {
        Death {
            cancelled: false,
            garbled: None,
            stderr,
            status,
        }
    }

    #[test]
    fn a_cancelled_worker_is_aborted_whatever_killed_it() {
        let e = classify(&Death {
            cancelled: true,
            ..death(b"memory allocation of 64 bytes failed", signaled(libc::SIGKILL))
        });
        assert_eq!(e.code, ErrorCode::Aborted);
    }

    #[test]
    fn a_garbled_answer_is_a_crash_that_says_why() {
        let e = classify(&Death {
            garbled: Some("a frame of 4294967295 bytes"),
            ..death(b"", signaled(libc::SIGKILL))
        });
        assert_eq!(e.code, ErrorCode::ProverCrashed);
        assert!(
            e.detail.contains("malformed answer (a frame of 4294967295 bytes)"),
            "{}",
            e.detail
        );
    }

    #[test]
    fn a_failed_allocation_is_out_of_memory_even_when_it_aborts() {
        let e = classify(&death(
            b"memory allocation of 67108864 bytes failed\n",
            signaled(libc::SIGABRT),
        ));
        assert_eq!(e.code, ErrorCode::ProverOutOfMemory);
        assert!(
            e.detail.ends_with(": memory allocation of 67108864 bytes failed"),
            "{}",
            e.detail
        );
    }

    #[test]
    fn a_signal_is_named_and_sigkill_hints_at_the_oom_killer() {
        let e = classify(&death(b"", signaled(libc::SIGSEGV)));
        assert_eq!(e.code, ErrorCode::ProverCrashed);
        assert_eq!(e.detail, "the prover process was killed by SIGSEGV");
        let e = classify(&death(b"", signaled(libc::SIGKILL)));
        assert!(
            e.detail.contains("SIGKILL (by the system's out-of-memory killer?)"),
            "{}",
            e.detail
        );
        let e = classify(&death(b"", signaled(libc::SIGUSR1)));
        assert!(e.detail.ends_with(&format!("signal {}", libc::SIGUSR1)), "{}", e.detail);
    }

    #[test]
    fn an_exit_without_an_answer_gives_its_status_and_first_stderr_lines() {
        let stderr = b"thread 'main' panicked at src/x.rs:1:1:\n\nboom\nnote: run with RUST_BACKTRACE=1\nstack backtrace:\nmore\n";
        let e = classify(&death(stderr, exited(3)));
        assert_eq!(e.code, ErrorCode::ProverCrashed);
        assert_eq!(
            e.detail,
            "the prover process exited with status 3 without an answer: thread 'main' panicked at src/x.rs:1:1:; boom; more"
        );
    }
}
