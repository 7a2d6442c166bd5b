//! Governed tool execution: a ToolClad call is validated against its manifest, decided by policy
//! (held for a person when policy or the manifest's `human_approval` says so), and only then run
//! by the executor, which nothing outside the Governor can reach.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use symbi_policy::{Action, EntityRef, PolicyRequest, Surface};
use symbi_toolclad::{CallError, Catalog, Envelope, ExecContext, ExecError, Executor, NoSecrets, ToolCall};

use super::{Governor, Refusal};

/// The tools a project defines and the one executor that runs them.
#[derive(Debug)]
pub(crate) struct Tools {
    catalog: Arc<Catalog>,
    executor: Arc<Executor>,
    evidence_dir: PathBuf,
    work_dir: PathBuf,
}

impl Tools {
    /// Tools from `catalog`, run in `work_dir` with evidence kept under `evidence_dir`.
    pub(crate) fn new(catalog: Catalog, evidence_dir: PathBuf, work_dir: PathBuf) -> Self {
        let executor = Arc::new(Executor::new(Arc::new(symbi_toolclad::NativeLauncher)));
        Self { catalog: Arc::new(catalog), executor, evidence_dir, work_dir }
    }

    /// The catalog in force.
    pub(crate) fn catalog(&self) -> Arc<Catalog> {
        Arc::clone(&self.catalog)
    }
}

/// Why a tool call did not produce an evidence envelope.
#[derive(Debug, thiserror::Error)]
pub enum ToolRunError {
    /// The call does not fit the tool's manifest (or names no tool); nothing ran.
    #[error(transparent)]
    Call(#[from] CallError),
    /// Policy or a person refused it; nothing ran.
    #[error(transparent)]
    Refused(#[from] Refusal),
    /// The tool could not be run or its evidence not kept.
    #[error(transparent)]
    Exec(#[from] ExecError),
    /// The execution task failed.
    #[error("the tool's execution task failed: {0}")]
    Task(String),
}

impl Governor {
    /// The tools the project defines.
    pub fn tool_catalog(&self) -> Arc<Catalog> {
        self.tools.catalog()
    }

    /// Runs tool `name` with `args` for `principal`: validates the call against the manifest,
    /// decides `execute_tool` on `Tool::"<name>"` (waiting for a person when required), then runs
    /// it and returns the evidence envelope.
    pub async fn run_tool(
        &self,
        principal: EntityRef,
        name: &str,
        args: &serde_json::Map<String, serde_json::Value>,
        surface: Surface,
    ) -> Result<Envelope, ToolRunError> {
        let tools = &self.tools;
        let call = tools.catalog.validate(&ToolCall::from_json(name, args))?;
        let request = PolicyRequest {
            principal,
            action: Action::ExecuteTool,
            resource: EntityRef::Tool(name.to_owned()),
            surface,
            delegation_depth: None,
        };
        let authorization = self.authorize_with(request, call.tool().human_approval()).await?;
        tracing::info!(tool = %name, policies = ?authorization.policies(), approved_by = ?authorization.approved_by(), "tool call allowed");
        let (executor, evidence_dir, work_dir) =
            (Arc::clone(&tools.executor), tools.evidence_dir.clone(), tools.work_dir.clone());
        let started = Instant::now();
        let result = tokio::task::spawn_blocking(move || {
            let context = ExecContext { evidence_dir: &evidence_dir, work_dir: &work_dir, secrets: &NoSecrets };
            executor.execute(&call, &context)
        })
        .await
        .map_err(|e| ToolRunError::Task(e.to_string()))
        .and_then(|r| r.map_err(ToolRunError::from));
        let error = result.as_ref().err().map(ToString::to_string);
        self.record_outcome(authorization.request(), started.elapsed(), error).await?;
        result
    }
}
