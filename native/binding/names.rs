//! The names JavaScript sees, as string enums: napi generates their TypeScript unions in
//! `index.d.ts`, and src/ imports them from there, never restating one.

use leanagg_core::isolation;
use leanagg_core::simulated_config::CrashKind as CoreCrashKind;
use leanagg_core::types::BackendKind;
use napi_derive::napi;

/// A backend's name.
#[napi(string_enum = "kebab-case")]
#[derive(Debug, PartialEq, Eq)]
pub enum BackendName {
    Simulated,
    LeanMultisig,
}

impl From<BackendKind> for BackendName {
    fn from(kind: BackendKind) -> Self {
        match kind {
            BackendKind::Simulated => BackendName::Simulated,
            BackendKind::LeanMultisig => BackendName::LeanMultisig,
        }
    }
}

impl From<BackendName> for BackendKind {
    fn from(name: BackendName) -> Self {
        match name {
            BackendName::Simulated => BackendKind::Simulated,
            BackendName::LeanMultisig => BackendKind::LeanMultisig,
        }
    }
}

/// Where proofs run: in killable child processes of a prover server, or on this process's pool.
#[napi(string_enum = "kebab-case")]
pub enum Isolation {
    Process,
    InProcess,
}

/// How an injected crash kills the prover process; `garbled-answer` writes what is no answer to
/// the server, then hangs.
#[napi(string_enum = "kebab-case")]
pub enum CrashKind {
    Abort,
    Segfault,
    StackOverflow,
    OutOfMemory,
    GarbledAnswer,
}

impl From<CrashKind> for CoreCrashKind {
    fn from(kind: CrashKind) -> Self {
        match kind {
            CrashKind::Abort => CoreCrashKind::Abort,
            CrashKind::Segfault => CoreCrashKind::Segfault,
            CrashKind::StackOverflow => CoreCrashKind::StackOverflow,
            CrashKind::OutOfMemory => CoreCrashKind::OutOfMemory,
            CrashKind::GarbledAnswer => CoreCrashKind::GarbledAnswer,
        }
    }
}

macro_rules! js_error_codes {
    ($($variant:ident => $text:literal),* $(,)?) => {
        /// The stable codes of the addon's errors; src/errors.ts adds those of the TypeScript layer.
        #[napi(string_enum = "UPPER_SNAKE")]
        pub enum ErrorCode { $($variant),* }

        impl From<leanagg_core::error::ErrorCode> for ErrorCode {
            fn from(code: leanagg_core::error::ErrorCode) -> Self {
                match code { $(leanagg_core::error::ErrorCode::$variant => ErrorCode::$variant),* }
            }
        }
    };
}

leanagg_core::error_codes!(js_error_codes);

/// Backends compiled into this addon.
#[napi]
pub fn available_backends() -> Vec<BackendName> {
    crate::LINKED.available().into_iter().map(BackendName::from).collect()
}

/// Whether proofs can run in killable processes here: a unix system, with the prover server
/// executable beside this addon.
#[napi]
pub fn process_isolation_available() -> bool {
    isolation::server_path().is_some()
}

/// Every error code the addon throws, in declaration order.
#[napi]
pub fn error_codes() -> Vec<ErrorCode> {
    leanagg_core::error::ErrorCode::ALL.iter().map(|&c| c.into()).collect()
}
