//! One AsyncTask for every operation: a closure that runs on the libuv pool, whose result is
//! converted to JS in `resolve`, on the JS thread.

use napi::bindgen_prelude::*;
use napi::Env;

use crate::error::Result as LeanResult;

pub struct Job<T: Send + 'static> {
    work: Option<Box<dyn FnOnce() -> LeanResult<T> + Send>>,
}

impl<T: Send + 'static> Job<T> {
    pub fn new(work: impl FnOnce() -> LeanResult<T> + Send + 'static) -> Self {
        Self {
            work: Some(Box::new(work)),
        }
    }

    pub fn spawn(work: impl FnOnce() -> LeanResult<T> + Send + 'static, signal: Option<AbortSignal>) -> AsyncTask<Self>
    where
        T: ToNapiValue + TypeName,
    {
        AsyncTask::with_optional_signal(Self::new(work), signal)
    }
}

impl<T: ToNapiValue + TypeName + Send + 'static> Task for Job<T> {
    type Output = T;
    type JsValue = T;

    /// napi calls this from a C callback: a panic escaping here would abort Node, so the whole
    /// job runs under the panic guard, not only its backend calls.
    fn compute(&mut self) -> Result<T> {
        let work = self.work.take();
        crate::panic_guard::guard("job", || match work {
            Some(work) => work(),
            None => Err(crate::error::err(
                crate::error::ErrorCode::InvalidArgument,
                "this task already ran",
            )),
        })
        .map_err(Into::into)
    }

    fn resolve(&mut self, _env: Env, output: T) -> Result<T> {
        Ok(output)
    }
}

/// Owned bytes that become a Node `Buffer` on the JS thread.
pub struct Bytes(pub Vec<u8>);

impl TypeName for Bytes {
    fn type_name() -> &'static str {
        "Buffer"
    }

    fn value_type() -> ValueType {
        ValueType::Object
    }
}

impl ToNapiValue for Bytes {
    unsafe fn to_napi_value(env: napi::sys::napi_env, val: Self) -> Result<napi::sys::napi_value> {
        Buffer::to_napi_value(env, Buffer::from(val.0))
    }
}
