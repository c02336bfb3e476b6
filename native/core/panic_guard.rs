//! Every call into a prover backend runs under `guard`: a Rust panic becomes `PROVER_PANIC`
//! instead of unwinding into Node, and its message goes to the error, not to stderr.
//!
//! Untrusted input is different: a panic while decoding or verifying bytes that came from outside
//! is an invalid aggregate, not a prover fault (`contain`, `verify_untrusted`). Panic texts never
//! carry paths of the machine that built the addon: a location keeps at most `crate/src/file:line`.

use std::cell::RefCell;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Once;

use crate::error::{err, ErrorCode, Result};

thread_local! {
    static LAST_PANIC: RefCell<Option<String>> = const { RefCell::new(None) };
}

static HOOK: Once = Once::new();

/// A source path as `crate/src/file.rs`: the directory above the last `src` and what follows,
/// or the file name alone. Absolute paths of the build machine (cargo registry, git checkouts,
/// home directories) never reach an error message.
pub fn short_path(path: &str) -> String {
    let parts: Vec<&str> = path.split(['/', '\\']).filter(|p| !p.is_empty()).collect();
    match parts.iter().rposition(|p| *p == "src") {
        Some(i) if i > 0 => parts[i - 1..].join("/"),
        _ => parts.last().map(|s| s.to_string()).unwrap_or_default(),
    }
}

/// Replace every absolute path in `text` by its `short_path` (a panic text can quote one).
pub fn scrub_paths(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find(['/', '\\']) {
        // A path starts at a separator that begins a token: after a space, a quote, a bracket, or
        // a drive prefix like `C:`.
        let token_start = rest[..start]
            .rfind(|c: char| c.is_whitespace() || "\"'`([{<=".contains(c))
            .map(|i| i + 1)
            .unwrap_or(0);
        let prefix = &rest[token_start..start];
        let is_path = prefix.is_empty() || (prefix.len() == 2 && prefix.ends_with(':'));
        let end = rest[start..]
            .find(|c: char| c.is_whitespace() || "\"'`)]}>,;".contains(c))
            .map(|i| start + i)
            .unwrap_or(rest.len());
        let token = &rest[start..end];
        if is_path && token[1..].contains(['/', '\\']) {
            out.push_str(&rest[..token_start]);
            // Keep a trailing `:line:column`.
            let (file, suffix) = match token.find(':') {
                Some(i) => token.split_at(i),
                None => (token, ""),
            };
            out.push_str(&short_path(file));
            out.push_str(suffix);
        } else {
            out.push_str(&rest[..end]);
        }
        rest = &rest[end..];
    }
    out.push_str(rest);
    out
}

/// Replace the default hook (which prints to stderr) with one that records the message for the
/// panicking thread. This addon links its own std, so the hook is ours alone.
fn install_hook() {
    HOOK.call_once(|| {
        std::panic::set_hook(Box::new(|info| {
            let payload = info.payload();
            let text = payload
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown panic".to_string());
            let at = info
                .location()
                .map(|l| format!(" at {}:{}", short_path(l.file()), l.line()))
                .unwrap_or_default();
            LAST_PANIC.with(|p| *p.borrow_mut() = Some(format!("{text}{at}")));
        }));
    });
}

/// Run `f`, turning a panic into the panic's text (with its location when recorded here).
fn catch<T>(f: impl FnOnce() -> Result<T>) -> std::result::Result<Result<T>, String> {
    install_hook();
    LAST_PANIC.with(|p| p.borrow_mut().take());
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(result) => Ok(result),
        Err(payload) => {
            // The payload is the panic's own (rayon re-raises it unchanged on this thread); the
            // hook's record adds the location when the panic happened on this thread.
            let recorded = LAST_PANIC.with(|p| p.borrow_mut().take());
            let text = payload
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .map(|t| match &recorded {
                    Some(r) if r.starts_with(&t) => r.clone(),
                    _ => t,
                })
                .or(recorded)
                .unwrap_or_else(|| "unknown panic".to_string());
            Err(scrub_paths(&text))
        }
    }
}

/// Run `f`, turning a panic (on this thread or propagated from a rayon worker) into `PROVER_PANIC`.
pub fn guard<T>(what: &str, f: impl FnOnce() -> Result<T>) -> Result<T> {
    contain(ErrorCode::ProverPanic, what, f)
}

/// Run `f`, turning a panic into an error with `code`: `INVALID_AGGREGATE` for a panic while
/// decoding untrusted bytes, which is the input's fault, not the prover's.
pub fn contain<T>(code: ErrorCode, what: &str, f: impl FnOnce() -> Result<T>) -> Result<T> {
    catch(f).unwrap_or_else(|text| Err(err(code, format!("{what} panicked: {text}"))))
}

/// Verify an aggregate that may have come from outside: a proof that makes the verifier panic
/// (upstream asserts on malformed proofs) does not verify. Errors that are not about the proof
/// (another backend's aggregate) pass through.
pub fn verify_untrusted(f: impl FnOnce() -> Result<bool>) -> Result<bool> {
    catch(f).unwrap_or(Ok(false))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_lose_everything_above_their_crate() {
        assert_eq!(
            short_path(
                "/home/builder/.cargo/git/checkouts/leanmultisig-1/5cf504a/crates/backend/fiat-shamir/src/utils.rs"
            ),
            "fiat-shamir/src/utils.rs"
        );
        assert_eq!(short_path("native/ops.rs"), "ops.rs");
        assert_eq!(
            short_path("/rustc/abc/library/core/src/slice/mod.rs"),
            "core/src/slice/mod.rs"
        );
        assert_eq!(
            scrub_paths("boom at /home/u/.cargo/registry/src/index-1/lz4_flex-0.11/src/block.rs:12:5 (see 'a/b')"),
            "boom at lz4_flex-0.11/src/block.rs:12:5 (see 'a/b')"
        );
        assert_eq!(scrub_paths("1/2 and x/y stay"), "1/2 and x/y stay");
        assert_eq!(scrub_paths("open \"/srv/x/y.rs\" failed"), "open \"y.rs\" failed");
    }

    #[test]
    fn a_panic_names_no_absolute_path() {
        let e = guard::<()>("test", || {
            panic!("Scalars length must be a multiple of the extension size")
        })
        .unwrap_err();
        assert_eq!(e.code, ErrorCode::ProverPanic);
        assert!(e.detail.contains("Scalars length"), "{}", e.detail);
        assert!(!e.detail.contains("/native/"), "{}", e.detail);
        assert!(e.detail.contains("panic_guard.rs:"), "{}", e.detail);
        let e = contain::<()>(ErrorCode::InvalidAggregate, "decode", || panic!("bad")).unwrap_err();
        assert_eq!(e.code, ErrorCode::InvalidAggregate);
        assert!(!verify_untrusted(|| panic!("assert in the verifier")).unwrap());
        assert!(verify_untrusted(|| Ok(true)).unwrap());
    }
}
