//! Typed errors. Every failure that reaches JS carries one stable `ErrorCode`; the TypeScript
//! layer turns the `CODE: detail` message into a `LeanAggError` with `.code`.

use std::fmt;

macro_rules! codes {
    ($($variant:ident => $text:literal),* $(,)?) => {
        /// Stable error codes; TypeScript imports them from the addon (`errorCodes()`).
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum ErrorCode { $($variant),* }

        impl ErrorCode {
            pub const ALL: &'static [ErrorCode] = &[$(ErrorCode::$variant),*];
            pub fn as_str(self) -> &'static str {
                match self { $(ErrorCode::$variant => $text),* }
            }
        }
    };
}

/// The list of codes, for each crate that declares an enum of them: this crate's `ErrorCode`
/// below, and the addon's string enum, from which TypeScript imports its type.
#[macro_export]
macro_rules! error_codes {
    ($declare:ident) => {
        $declare! {
            InvalidLength => "INVALID_LENGTH",
            InvalidEncoding => "INVALID_ENCODING",
            InvalidArgument => "INVALID_ARGUMENT",
            InvalidSignature => "INVALID_SIGNATURE",
            InvalidChild => "INVALID_CHILD",
            InvalidAggregate => "INVALID_AGGREGATE",
            MessageMismatch => "MESSAGE_MISMATCH",
            TooManyChildren => "TOO_MANY_CHILDREN",
            TooManySigners => "TOO_MANY_SIGNERS",
            DuplicateSigner => "DUPLICATE_SIGNER",
            EmptyGroup => "EMPTY_GROUP",
            SlotOutOfRange => "SLOT_OUT_OF_RANGE",
            TooLarge => "TOO_LARGE",
            NotSetUp => "NOT_SET_UP",
            BackendUnavailable => "BACKEND_UNAVAILABLE",
            BackendMismatch => "BACKEND_MISMATCH",
            ProverFailed => "PROVER_FAILED",
            ProverPanic => "PROVER_PANIC",
            ProverCrashed => "PROVER_CRASHED",
            ProverOutOfMemory => "PROVER_OUT_OF_MEMORY",
            Aborted => "ABORTED",
            // The signing guard (native/signing) and key bytes at rest.
            SlotAlreadySigned => "SLOT_ALREADY_SIGNED",
            SlotBelowHighWater => "SLOT_BELOW_HIGH_WATER",
            KeyLocked => "KEY_LOCKED",
            SigningRecordFailed => "SIGNING_RECORD_FAILED",
            KeyCorrupted => "KEY_CORRUPTED",
        }
    };
}

error_codes!(codes);

/// An error with a stable code and a human-readable detail.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}: {detail}", code.as_str())]
pub struct LeanAggError {
    pub code: ErrorCode,
    pub detail: String,
}

impl LeanAggError {
    pub fn new(code: ErrorCode, detail: impl fmt::Display) -> Self {
        Self {
            code,
            detail: detail.to_string(),
        }
    }
}

pub type Result<T, E = LeanAggError> = std::result::Result<T, E>;

/// Shorthand: `Err(err(ErrorCode::X, "..."))`.
pub fn err(code: ErrorCode, detail: impl fmt::Display) -> LeanAggError {
    LeanAggError::new(code, detail)
}
