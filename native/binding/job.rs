//! One concrete napi `Task` per operation, declared by `tasks!` the node-rs way: napi types each
//! promise from its `Task` (`Promise<NativeAggregate>`), so no return type is written by hand.
//! A task's work is a closure that runs on the libuv pool; its result becomes a JS value in
//! `resolve`, on the JS thread.

use napi::bindgen_prelude::*;
use napi::Env;
use napi_derive::napi;

use leanagg_core::error::{err, ErrorCode, Result as LeanResult};

use crate::handles::{Held, NativeAggregate, NativeMerged, NativeSecretKey};
use crate::inputs::BatchResult;
use crate::throw::to_napi;

type Work<T> = Box<dyn FnOnce() -> LeanResult<T> + Send>;

/// The work of one task, run once.
pub struct Job<T> {
    work: Option<Work<T>>,
}

impl<T> Job<T> {
    pub(crate) fn new(work: Work<T>) -> Self {
        Job { work: Some(work) }
    }

    /// napi calls this from a C callback: a panic escaping here would abort Node, so the whole
    /// job runs under the panic guard, not only its backend calls.
    pub(crate) fn run(&mut self) -> Result<T> {
        let work = self.work.take();
        leanagg_core::panic_guard::guard("job", || match work {
            Some(work) => work(),
            None => Err(err(ErrorCode::InvalidArgument, "this task already ran")),
        })
        .map_err(to_napi)
    }
}

/// On the JS thread, as a value reaches JS: V8 learns what native memory it holds.
pub(crate) fn report_held(env: &Env, value: &impl Held) -> Result<()> {
    let held = value.held_bytes();
    if held > 0 {
        env.adjust_external_memory(held)?;
    }
    Ok(())
}

// signing.rs declares the signing record's tasks with it too (in scope there: napi's prelude
// and `#[napi]`; the rest is named by path).
macro_rules! tasks {
    ($($task:ident: $output:ty => $js:ty;)*) => {$(
        pub struct $task($crate::job::Job<$output>);

        impl $task {
            pub fn spawn(
                work: impl FnOnce() -> ::leanagg_core::error::Result<$output> + Send + 'static,
                signal: Option<AbortSignal>,
            ) -> AsyncTask<Self> {
                AsyncTask::with_optional_signal(Self($crate::job::Job::new(Box::new(work))), signal)
            }

            /// `work` on what the cheap checks (run on the JS thread) produced; a failed check
            /// is a rejected promise like any other error.
            pub fn checked<C: Send + 'static>(
                checks: ::leanagg_core::error::Result<C>,
                signal: Option<AbortSignal>,
                work: impl FnOnce(C) -> ::leanagg_core::error::Result<$output> + Send + 'static,
            ) -> AsyncTask<Self> {
                match checks {
                    Ok(checked) => Self::spawn(move || work(checked), signal),
                    Err(e) => Self::spawn(move || Err(e), signal),
                }
            }
        }

        #[napi]
        impl Task for $task {
            type Output = $output;
            type JsValue = $js;

            fn compute(&mut self) -> Result<Self::Output> {
                self.0.run()
            }

            fn resolve(&mut self, env: ::napi::Env, output: Self::Output) -> Result<Self::JsValue> {
                $crate::job::report_held(&env, &output)?;
                Ok(output.into())
            }
        }
    )*};
}

pub(crate) use tasks;

tasks! {
    SetupTask: u32 => u32;
    KeygenTask: NativeSecretKey => NativeSecretKey;
    SecretKeyFromBytesTask: NativeSecretKey => NativeSecretKey;
    SignTask: Vec<u8> => Buffer;
    VerifySignatureTask: bool => bool;
    AggregateTask: NativeAggregate => NativeAggregate;
    VerifyAggregateTask: bool => bool;
    MergeTask: NativeMerged => NativeMerged;
    SplitTask: NativeAggregate => NativeAggregate;
    VerifyMergedTask: bool => bool;
    AggregateFromBytesTask: NativeAggregate => NativeAggregate;
    MergedFromBytesTask: NativeMerged => NativeMerged;
    BatchVerifyTask: Vec<BatchResult> => Vec<BatchResult>;
}
