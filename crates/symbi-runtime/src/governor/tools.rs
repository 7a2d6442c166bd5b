//! Governed tool execution: a ToolClad call is validated against its manifest, decided by policy
//! (held for a person when policy or the manifest's `human_approval` says so), and only then run
//! by the executor, which nothing outside the Governor can reach.

use std::path::PathBuf;
use std::sync::{Arc, RwLock};
use std::time::Instant;

use symbi_policy::{Action, EntityRef, PolicyRequest, Surface, ToolFacts};
use symbi_toolclad::{
    CallError, Catalog, DEFAULT_OUTPUT_CAP, Envelope, ExecContext, ExecError, Executor, NoSecrets, SsrfGuard, Tool,
    ToolCall,
};

use super::{Governor, GovernorError, Refusal, VerifiedAgent};
use crate::config::{Groups, ToolSettings};
use crate::http_client::{HttpClient, ToolTransport};
use crate::store::StoreError;

/// The tools a project defines and the one executor that runs them.
#[derive(Debug)]
pub(crate) struct Tools {
    /// The catalog in force, swapped whole on reload; a call keeps the one it was validated with.
    catalog: RwLock<Arc<Catalog>>,
    executor: Arc<Executor>,
    evidence_dir: PathBuf,
    /// The project directory: manifests are read from it and tools run in it.
    work_dir: PathBuf,
}

impl Tools {
    /// Tools from `catalog`, run in `work_dir` with evidence kept under `evidence_dir`; `[http]`
    /// tools are sent by the runtime's `client` on the current tokio runtime, through the SSRF
    /// guard `settings` choose.
    pub(crate) fn new(
        catalog: Catalog,
        evidence_dir: PathBuf,
        work_dir: PathBuf,
        settings: ToolSettings,
        client: Arc<HttpClient>,
    ) -> Self {
        let guard = if settings.dangerous_allow_internal_http {
            SsrfGuard::dangerous_allow_internal()
        } else {
            SsrfGuard::new()
        };
        let transport = ToolTransport::new(client, tokio::runtime::Handle::current(), DEFAULT_OUTPUT_CAP);
        let executor =
            Arc::new(Executor::new(Arc::new(symbi_toolclad::NativeLauncher)).with_http(Arc::new(transport), guard));
        Self { catalog: RwLock::new(Arc::new(catalog)), executor, evidence_dir, work_dir }
    }

    /// The catalog in force.
    pub(crate) fn catalog(&self) -> Arc<Catalog> {
        Arc::clone(&self.catalog.read().unwrap_or_else(std::sync::PoisonError::into_inner))
    }
}

/// What policy knows about tool `id`: its manifest's risk tier and tool sets when `manifest`
/// defines it, plus the sets `[groups]` puts it in. Without a manifest it is of unknown risk.
/// Manifests are not signature-checked yet, so no tool counts as verified. The Governor and the
/// offline decisions of `symbi tools test` build tool entities with this one function.
pub fn tool_facts(id: &str, manifest: Option<&Tool>, groups: &Groups) -> ToolFacts {
    let mut tool_sets: Vec<String> = manifest.map(|t| t.tool_sets().to_vec()).unwrap_or_default();
    for (set, tools) in &groups.tools {
        if tools.iter().any(|t| t == id) && !tool_sets.contains(set) {
            tool_sets.push(set.clone());
        }
    }
    ToolFacts {
        id: id.to_owned(),
        risk_tier: manifest.map_or("unknown", |t| t.risk_tier().as_str()).to_owned(),
        verified: false,
        source: if manifest.is_some() { "toolclad" } else { "unknown" }.to_owned(),
        tool_sets,
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

    /// Re-reads the project's manifests, `toolclad.toml` and `scope/scope.toml` and swaps the
    /// catalog in whole; returns how many tools it defines. Calls already validated keep the
    /// catalog they started with.
    ///
    /// # Errors
    ///
    /// Every problem in the files, with file and line; the old catalog stays in force.
    pub async fn reload_tools(&self) -> Result<usize, GovernorError> {
        let dir = self.tools.work_dir.clone();
        let catalog = tokio::task::spawn_blocking(move || Catalog::load(&dir))
            .await
            .map_err(|e| StoreError::Backend { reason: e.to_string() })??;
        let count = catalog.tools().count();
        *self.tools.catalog.write().unwrap_or_else(std::sync::PoisonError::into_inner) = Arc::new(catalog);
        // Tools' facts (risk tier, tool sets, verified) come from the catalog.
        self.entity_cache.invalidate();
        Ok(count)
    }

    /// Checks manifest `text` as the catalog would load it as `tools/<file_name>`, against the
    /// project's custom types and scope as they are on disk now. Nothing is installed.
    ///
    /// # Errors
    ///
    /// Every problem, with its line.
    pub async fn check_tool_manifest(&self, file_name: &str, text: String) -> Result<Tool, GovernorError> {
        let dir = self.tools.work_dir.clone();
        let source = PathBuf::from("tools").join(file_name);
        let tool = tokio::task::spawn_blocking(move || Catalog::check_manifest(&dir, &source, &text))
            .await
            .map_err(|e| StoreError::Backend { reason: e.to_string() })??;
        Ok(tool)
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
        self.run_tool_as(principal, None, name, args, surface).await
    }

    /// [`Governor::run_tool`] for an agent whose AgentPin credential verified: the decision reads
    /// the credential's facts (verified, domain, capabilities, tier).
    pub async fn run_tool_verified(
        &self,
        agent: &VerifiedAgent,
        name: &str,
        args: &serde_json::Map<String, serde_json::Value>,
        surface: Surface,
    ) -> Result<Envelope, ToolRunError> {
        self.run_tool_as(EntityRef::Agent(agent.agent_id.clone()), Some(agent), name, args, surface).await
    }

    async fn run_tool_as(
        &self,
        principal: EntityRef,
        identity: Option<&VerifiedAgent>,
        name: &str,
        args: &serde_json::Map<String, serde_json::Value>,
        surface: Surface,
    ) -> Result<Envelope, ToolRunError> {
        let tools = &self.tools;
        let call = tools.catalog().validate(&ToolCall::from_json(name, args))?;
        let request = PolicyRequest {
            principal,
            action: Action::ExecuteTool,
            resource: EntityRef::Tool(name.to_owned()),
            surface,
            delegation_depth: None,
        };
        let authorization = self.authorize_with(request, call.tool().human_approval(), identity).await?;
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
