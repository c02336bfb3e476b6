//! Core errors thrown into JS: napi's `GenericFailure` with the `CODE: detail` message that
//! src/errors.ts turns into a `LeanAggError` with `.code`.

use leanagg_core::error::LeanAggError;

pub fn to_napi(e: LeanAggError) -> napi::Error {
    napi::Error::new(napi::Status::GenericFailure, e.to_string())
}

/// `?` for core results in functions that return to JS.
pub trait OrThrow<T> {
    fn or_throw(self) -> napi::Result<T>;
}

impl<T> OrThrow<T> for Result<T, LeanAggError> {
    fn or_throw(self) -> napi::Result<T> {
        self.map_err(to_napi)
    }
}
