//! Process isolation: proofs run in child processes of a prover server (`leanagg-prover`), so a
//! proof that is no longer wanted is killed (its CPU stops at once, its memory returns to the
//! system) and a prover that crashes fails one proof, not the host.
//!
//! The server is its own executable (native/prover-server), shipped beside the addon and found
//! there, never on PATH. It runs setup once and forks worker processes (reused from proof to
//! proof, replaced when killed), which share the setup state copy-on-write. Here: the messages
//! (`protocol.rs`), what a proof request means (`work.rs`), the addon's client (`client.rs`) and
//! the `Prover` that sends proofs there (`isolated.rs`).

pub mod client;
pub mod isolated;
pub mod protocol;
pub mod work;

use std::path::PathBuf;

/// The server's file name, beside the addon.
pub const SERVER_NAME: &str = if cfg!(windows) {
    "leanagg-prover.exe"
} else {
    "leanagg-prover"
};

/// Whether this platform can run proofs in killable child processes (fork-based: unix).
pub const SUPPORTED: bool = cfg!(unix);

/// The directory of the loaded addon (the shared object this code is in).
#[cfg(unix)]
fn addon_dir() -> Option<PathBuf> {
    use std::ffi::CStr;
    let mut info: libc::Dl_info = unsafe { std::mem::zeroed() };
    let here = addon_dir as *const libc::c_void;
    if unsafe { libc::dladdr(here, &mut info) } == 0 || info.dli_fname.is_null() {
        return None;
    }
    let path = unsafe { CStr::from_ptr(info.dli_fname) }.to_str().ok()?;
    std::path::Path::new(path)
        .canonicalize()
        .ok()?
        .parent()
        .map(PathBuf::from)
}

#[cfg(not(unix))]
fn addon_dir() -> Option<PathBuf> {
    None
}

/// The prover server beside the addon, if this platform supports isolation and it is there.
pub fn server_path() -> Option<PathBuf> {
    if !SUPPORTED {
        return None;
    }
    let path = addon_dir()?.join(SERVER_NAME);
    path.is_file().then_some(path)
}
