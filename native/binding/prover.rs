//! `NativeProver`: the addon's entry point. Every method checks cheap things and copies its
//! inputs on the JS thread, then hands Rust-owned data to a task on the libuv pool. This file
//! holds its construction and state; its operations are in `keys.rs`, `aggregation.rs`,
//! `verification.rs` and `decoding.rs`.

use std::sync::Arc;

use leanagg_core::backend::Codec;
use leanagg_core::cancel::CancelFlag;
use leanagg_core::error::{err, ErrorCode, Result as LeanResult};
use leanagg_core::isolation::client::Server;
use leanagg_core::isolation::isolated::IsolatedProver;
use leanagg_core::isolation::{self, protocol::Request};
use leanagg_core::ops::{self, Engine};
use leanagg_core::types::*;
use leanagg_core::{threads, validate};
use napi::bindgen_prelude::*;
use napi_derive::napi;

use crate::handles::{CancelToken, NativeAggregate};
use crate::inputs;
use crate::job::SetupTask;
use crate::names::{BackendName, Isolation};
use crate::options::{max_proof_memory, simulated_config, IsolationOptions, SimulatedOptions};
use crate::throw::OrThrow;

#[napi]
pub struct NativeProver {
    /// Where operations run: the backend itself, or proofs in a prover server.
    pub(crate) engine: Engine,
    isolated: Option<Arc<IsolatedProver>>,
}

impl NativeProver {
    /// The in-process backend's keys, signatures and bytes: what handles (keys, aggregates) keep,
    /// so that a handle never keeps a prover server alive.
    pub(crate) fn codec(&self) -> &Arc<dyn Codec> {
        &self.engine.codec
    }

    pub(crate) fn fields(&self, message: &[u8]) -> LeanResult<MessageFields> {
        inputs::message_fields(self.codec().as_ref(), message)
    }

    /// The aggregates' values, if this prover's backend made them.
    pub(crate) fn own(&self, list: &[&NativeAggregate], what: &str) -> LeanResult<Vec<Arc<Aggregate>>> {
        validate::same_backend(self.codec().kind(), list.iter().map(|a| a.inner.backend), what)?;
        Ok(list.iter().map(|a| a.inner.clone()).collect())
    }
}

pub(crate) fn cancel_flag(token: Option<&CancelToken>) -> CancelFlag {
    token.map(|t| t.flag.clone()).unwrap_or_default()
}

/// The prover server beside the addon, or why isolation is not available here.
fn server_path() -> LeanResult<std::path::PathBuf> {
    isolation::server_path().ok_or_else(|| {
        err(
            ErrorCode::BackendUnavailable,
            format!(
                "process isolation is not available: it needs a unix system and the prover server `{}` beside the addon",
                isolation::SERVER_NAME
            ),
        )
    })
}

#[napi]
impl NativeProver {
    /// A prover on the named backend. Throws BACKEND_UNAVAILABLE when this build has no such
    /// backend, or when process isolation is asked for and not available here.
    /// `threads` sizes the prover pool; the first prover created in the process decides
    /// (0 or absent: every core).
    #[napi(constructor)]
    pub fn new(
        backend: BackendName,
        simulated: Option<SimulatedOptions>,
        threads: Option<u32>,
        isolation: Option<IsolationOptions>,
    ) -> Result<Self> {
        let kind = BackendKind::from(backend);
        let pool = threads::configure(threads.map(|t| t as usize)).or_throw()?;
        let config = simulated_config(simulated.unwrap_or_default()).or_throw()?;
        let backend = crate::LINKED.create(kind, config.clone()).or_throw()?;
        let Some(iso) = isolation.filter(|i| i.process) else {
            if config.faults_the_process() {
                return Err(err(
                    ErrorCode::InvalidArgument,
                    "crashOn and wrongClaimOn fault the prover process: use them with process isolation",
                ))
                .or_throw();
            }
            return Ok(Self {
                engine: Engine::in_process(backend),
                isolated: None,
            });
        };
        let init = Request::Init {
            backend: kind,
            simulated: config,
            threads: pool as u32,
            max_proof_memory_bytes: max_proof_memory(&iso).or_throw()?,
        };
        let server = Server::new(server_path().or_throw()?, init);
        let isolated = Arc::new(IsolatedProver::new(backend.clone(), backend.clone(), Box::new(server)));
        Ok(Self {
            engine: Engine {
                codec: backend.clone(),
                verifier: backend,
                prover: isolated.clone(),
            },
            isolated: Some(isolated),
        })
    }

    /// Where proofs run.
    #[napi(getter)]
    pub fn isolation(&self) -> Isolation {
        if self.isolated.is_some() {
            Isolation::Process
        } else {
            Isolation::InProcess
        }
    }

    /// Stop the prover server, killing any proof in flight (no-op in-process).
    #[napi]
    pub fn shutdown(&self) {
        if let Some(isolated) = &self.isolated {
            isolated.shutdown();
        }
    }

    #[napi(getter)]
    pub fn backend(&self) -> BackendName {
        self.codec().kind().into()
    }

    #[napi(getter)]
    pub fn is_set_up(&self) -> bool {
        self.engine.prover.is_ready()
    }

    /// Prepare the backend (leanMultisig compiles its aggregation program). Resolves with the
    /// prover pool's size.
    #[napi]
    pub fn setup(&self, signal: Option<AbortSignal>) -> AsyncTask<SetupTask> {
        let engine = self.engine.clone();
        SetupTask::spawn(
            move || {
                ops::setup(&engine)?;
                Ok(threads::size()? as u32)
            },
            signal,
        )
    }

    /// The prover's 8-field-element message for a 32-byte message.
    #[napi]
    pub fn message_fields(&self, message: Uint8Array) -> Result<Uint32Array> {
        Ok(Uint32Array::new(self.fields(&message).or_throw()?.to_vec()))
    }
}
