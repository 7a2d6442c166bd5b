//! Governed tool execution: a ToolClad call is validated against its manifest, decided by policy
//! (held for a person when policy or the manifest's `human_approval` says so), and only then run
//! by the executor, which nothing outside the Governor can reach. The secrets a call references
//! are each decided (`access_secret`) and resolved here, and reach the executor for that call
//! only.

use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};
use std::time::Instant;

use symbi_policy::{Action, EntityRef, PolicyRequest, Surface, ToolFacts};
use symbi_toolclad::{
    CallError, Catalog, DEFAULT_OUTPUT_CAP, Envelope, ExecContext, ExecError, Executor, SecretResolver, SecretValue,
    SsrfGuard, Tool, ToolCall, ValidatedCall,
};

use super::{Governor, GovernorError, Refusal, VerifiedAgent};
use crate::config::{Groups, ToolSettings};
use crate::http_client::{HttpClient, ToolTransport};
use crate::secrets::{SecretError, Secrets};
use crate::store::{Store, StoreError};

/// The tools a project defines and the one executor that runs them.
#[derive(Debug)]
pub(crate) struct Tools {
    /// The catalog in force, swapped whole on reload; a call keeps the one it was validated with.
    catalog: RwLock<Arc<Catalog>>,
    executor: Arc<Executor>,
    evidence_dir: PathBuf,
    /// The project directory: manifests are read from it and tools run in it.
    work_dir: PathBuf,
    /// What `{_secret:NAME}` references resolve to, once policy allows `access_secret`.
    secrets: Secrets,
    /// Held from loading a new catalog to swapping it in.
    reloading: tokio::sync::Mutex<()>,
}

/// The secrets one call may use, resolved by the Governor before it runs; the executor's only
/// source of secret values.
struct Granted(Vec<(String, SecretValue)>);

impl Tools {
    /// Tools from `catalog`, run in `work_dir` with evidence kept under `<data_dir>/evidence` and
    /// secrets read from `store` (sealed under `data_dir`'s key); `[http]` tools are sent by the
    /// runtime's `client` on the current tokio runtime, through the SSRF guard `settings` choose.
    pub(crate) fn new(
        catalog: Catalog,
        store: Arc<dyn Store>,
        data_dir: &Path,
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
        Self {
            catalog: RwLock::new(Arc::new(catalog)),
            executor,
            evidence_dir: data_dir.join("evidence"),
            work_dir,
            secrets: Secrets::new(store, data_dir),
            reloading: tokio::sync::Mutex::new(()),
        }
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

/// What a reload changes, for its audit record: `added: a, b; removed: c; changed: d; scope or
/// custom types changed`, or `no change`. Names and hashes only.
fn catalog_change(old: &Catalog, new: &Catalog) -> String {
    let names = |c: &Catalog, other: &Catalog| -> Vec<String> {
        c.tools().filter(|t| other.tool(t.name()).is_none()).map(|t| t.name().to_owned()).collect()
    };
    let changed: Vec<String> = new
        .tools()
        .filter(|t| old.tool(t.name()).is_some_and(|o| o.manifest_hash() != t.manifest_hash()))
        .map(|t| t.name().to_owned())
        .collect();
    let mut parts = Vec::new();
    for (label, list) in [("added", names(new, old)), ("removed", names(old, new)), ("changed", changed)] {
        if !list.is_empty() {
            parts.push(format!("{label}: {}", list.join(", ")));
        }
    }
    if old.context_hash() != new.context_hash() {
        parts.push("scope or custom types changed".to_owned());
    }
    if parts.is_empty() { "no change".to_owned() } else { parts.join("; ") }
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
    /// A secret the call references is not set, or could not be read; nothing ran.
    #[error(transparent)]
    Secret(#[from] SecretError),
    /// The execution task failed.
    #[error("the tool's execution task failed: {0}")]
    Task(String),
}

impl Governor {
    /// The tools the project defines.
    pub fn tool_catalog(&self) -> Arc<Catalog> {
        self.tools.catalog()
    }

    /// Re-reads the project's manifests, `toolclad.toml` and `scope/scope.toml` for `by` (a
    /// principal label) and swaps the catalog in whole; returns how many tools it defines. What
    /// changed (tools added, removed or changed, scope or custom types) is recorded in the audit
    /// log first; a change that cannot be recorded is not made. Calls already validated keep the
    /// catalog they started with.
    ///
    /// # Errors
    ///
    /// Every problem in the files, with file and line, or the audit log's failure; the old
    /// catalog stays in force.
    pub async fn reload_tools(&self, by: &str) -> Result<usize, GovernorError> {
        // One reload at a time, so records and swaps happen in the same order.
        let _reload = self.tools.reloading.lock().await;
        let dir = self.tools.work_dir.clone();
        let catalog = tokio::task::spawn_blocking(move || Catalog::load(&dir))
            .await
            .map_err(|e| StoreError::Backend { reason: e.to_string() })??;
        let count = catalog.tools().count();
        let change = catalog_change(&self.tools.catalog(), &catalog);
        let event = symbi_audit::Event::config_change(by, "reload", "ToolCatalog").with_reason(change);
        self.record(event).await.map_err(|e| GovernorError::Audit { reason: e.to_string() })?;
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
        let started = Instant::now();
        let result = match self.grant_secrets(&call, authorization.request(), identity).await {
            Ok(granted) => {
                let (executor, evidence_dir, work_dir) =
                    (Arc::clone(&tools.executor), tools.evidence_dir.clone(), tools.work_dir.clone());
                tokio::task::spawn_blocking(move || {
                    let context = ExecContext { evidence_dir: &evidence_dir, work_dir: &work_dir, secrets: &granted };
                    executor.execute(&call, &context)
                })
                .await
                .map_err(|e| ToolRunError::Task(e.to_string()))
                .and_then(|r| r.map_err(ToolRunError::from))
            }
            Err(e) => Err(e),
        };
        let error = result.as_ref().err().map(ToString::to_string);
        self.record_outcome(authorization.request(), started.elapsed(), error).await?;
        result
    }

    /// Resolves the secrets `call` references for the principal of `allowed`: each is an
    /// `access_secret` decision on `Secret::"NAME"` (recorded, and held for a person when policy
    /// says so), then the agent's own secret of that name or else the project's. Any refusal,
    /// missing secret or unreadable value ends the call before anything runs.
    async fn grant_secrets(
        &self,
        call: &ValidatedCall,
        allowed: &PolicyRequest,
        identity: Option<&VerifiedAgent>,
    ) -> Result<Granted, ToolRunError> {
        let agent = match &allowed.principal {
            EntityRef::Agent(id) => Some(id.as_str()),
            _ => None,
        };
        let mut granted = Vec::new();
        for name in call.secret_names() {
            let request = PolicyRequest {
                principal: allowed.principal.clone(),
                action: Action::AccessSecret,
                resource: EntityRef::Secret(name.to_owned()),
                surface: allowed.surface,
                delegation_depth: None,
            };
            self.authorize_with(request, false, identity).await?;
            let value = self.tools.secrets.resolve(agent, name).await?;
            granted.push((name.to_owned(), value));
        }
        Ok(Granted(granted))
    }
}

impl SecretResolver for Granted {
    fn resolve(&self, name: &str) -> Option<SecretValue> {
        self.0.iter().find(|(n, _)| n == name).map(|(_, v)| v.clone())
    }
}
