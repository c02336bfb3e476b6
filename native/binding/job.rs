//! One AsyncTask for every operation: a closure that runs on the libuv pool, whose result is
//! converted to JS in `resolve`, on the JS thread.

use napi::bindgen_prelude::*;
use napi::Env;

use super::handles::Held;
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
        T: ToNapiValue + TypeName + Held,
    {
        AsyncTask::with_optional_signal(Self::new(work), signal)
    }
}

impl<T: ToNapiValue + TypeName + Held + Send + 'static> Task for Job<T> {
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

    /// On the JS thread: the value reaches JS here, and V8 learns what native memory it holds.
    fn resolve(&mut self, env: Env, output: T) -> Result<T> {
        let held = output.held_bytes();
        if held > 0 {
            env.adjust_external_memory(held)?;
        }
        Ok(output)
    }
}

/// Owned bytes that become a Node `Buffer` on the JS thread.
pub struct Bytes(pub Vec<u8>);

/// A `Buffer`'s memory is V8's own to account for.
impl Held for Bytes {}

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
