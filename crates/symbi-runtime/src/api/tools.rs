//! Tool routes: the tools the project's ToolClad manifests define, and governed execution. An
//! execution is decided by the Governor (and may wait for a person) before anything runs; the
//! answer is the evidence envelope.

use axum::Json;
use axum::extract::{Path, State};
use symbi_policy::{Action, Decision, EntityRef, PolicyRequest, Surface};
use symbi_toolclad::{CallError, Tool, ToolCall};

use super::caller::Caller;
use super::error::ApiError;
use super::json::ApiJson;
use super::wire::{
    ExecuteToolRequest, ManifestProblem, ReloadToolsResponse, ToolDetail, ToolDryRun, ToolSummary, ValidateToolRequest,
    ValidateToolResponse,
};
use super::{AppState, TAG_POLICIES};
use crate::agent::AgentId;
use crate::governor::{GovernorError, Refusal, ToolRunError};
use crate::secrets::SecretError;

/// The tools the project defines.
#[utoipa::path(get, path = "/api/v1/tools", tag = TAG_POLICIES, security(("bearer" = [])),
    responses((status = 200, body = Vec<ToolSummary>)))]
pub(crate) async fn list(_caller: Caller, State(state): State<AppState>) -> Json<Vec<ToolSummary>> {
    Json(state.governor().tool_catalog().tools().map(summary).collect())
}

/// One tool: its manifest's facts and a starting Cedar policy.
#[utoipa::path(get, path = "/api/v1/tools/{name}", tag = TAG_POLICIES, security(("bearer" = [])),
    params(("name" = String, Path, description = "Tool name")),
    responses((status = 200, body = ToolDetail), (status = 404, body = super::wire::ErrorResponse)))]
pub(crate) async fn show(
    _caller: Caller,
    State(state): State<AppState>,
    Path(name): Path<String>,
) -> Result<Json<ToolDetail>, ApiError> {
    let catalog = state.governor().tool_catalog();
    let tool = catalog.tool(&name).ok_or(ApiError::ToolNotFound { name })?;
    Ok(Json(ToolDetail {
        summary: summary(tool),
        timeout_seconds: tool.timeout().as_secs(),
        tool_sets: tool.tool_sets().to_vec(),
        manifest_hash: tool.manifest_hash().to_owned(),
        cedar_template: symbi_toolclad::cedar_template(tool),
    }))
}

/// The tool's MCP tool schema (`{name, description, inputSchema, outputSchema}`).
#[utoipa::path(get, path = "/api/v1/tools/{name}/schema", tag = TAG_POLICIES, security(("bearer" = [])),
    params(("name" = String, Path, description = "Tool name")),
    responses((status = 200, description = "MCP tool schema", body = Object), (status = 404, body = super::wire::ErrorResponse)))]
pub(crate) async fn schema(
    _caller: Caller,
    State(state): State<AppState>,
    Path(name): Path<String>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let catalog = state.governor().tool_catalog();
    let tool = catalog.tool(&name).ok_or(ApiError::ToolNotFound { name })?;
    Ok(Json(symbi_toolclad::mcp_schema(tool)))
}

/// A dry run: the call checked against the manifest, the argv it would run, and what policy
/// would decide. Nothing runs and nothing is held.
#[utoipa::path(post, path = "/api/v1/tools/{name}/test", tag = TAG_POLICIES, security(("bearer" = [])),
    params(("name" = String, Path, description = "Tool name")), request_body = ExecuteToolRequest,
    responses((status = 200, body = ToolDryRun), (status = 400, body = super::wire::ErrorResponse),
        (status = 404, body = super::wire::ErrorResponse)))]
pub(crate) async fn test(
    caller: Caller,
    State(state): State<AppState>,
    Path(name): Path<String>,
    ApiJson(request): ApiJson<ExecuteToolRequest>,
) -> Result<Json<ToolDryRun>, ApiError> {
    let principal = principal(&caller, request.agent_id.as_deref())?;
    let catalog = state.governor().tool_catalog();
    let dry = catalog
        .dry_run(&ToolCall::from_json(name.as_str(), &request.arguments))
        .map_err(|e| run_error(ToolRunError::Call(e)))?;
    let human_approval = catalog.tool(&name).is_some_and(Tool::human_approval);
    let policy_request = PolicyRequest {
        principal,
        action: Action::ExecuteTool,
        resource: EntityRef::Tool(name),
        surface: Surface::Api,
        delegation_depth: None,
    };
    let evaluation = state.governor().evaluate(&policy_request).await;
    let decision = match evaluation.decision {
        Decision::Allow if human_approval => Decision::RequireApproval,
        other => other,
    };
    Ok(Json(ToolDryRun {
        validations: dry.validations,
        argv: dry.argv,
        command: dry.command,
        timeout_seconds: dry.timeout_seconds,
        decision: decision.as_str(),
        reason: evaluation.reason,
        policies: evaluation.policies,
    }))
}

/// Checks a manifest as the catalog would load it from `tools/<name>`, against the project's
/// custom types and scope; nothing is installed. Problems are a `200` with `valid: false`.
#[utoipa::path(post, path = "/api/v1/tools/validate", tag = TAG_POLICIES, security(("bearer" = [])),
    request_body = ValidateToolRequest,
    responses((status = 200, body = ValidateToolResponse), (status = 400, body = super::wire::ErrorResponse),
        (status = 403, body = super::wire::ErrorResponse)))]
pub(crate) async fn validate(
    caller: Caller,
    State(state): State<AppState>,
    ApiJson(request): ApiJson<ValidateToolRequest>,
) -> Result<Json<ValidateToolResponse>, ApiError> {
    caller.require_admin()?;
    let name = request.name.unwrap_or_else(|| "manifest.clad.toml".to_owned());
    let plain = (1..=128).contains(&name.len())
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
        && !name.starts_with('.');
    if !plain {
        return Err(ApiError::InvalidRequest {
            message: "`name` is a file name: 1-128 letters, digits, `-`, `_` and `.`, not starting with `.`".to_owned(),
            details: None,
        });
    }
    match state.governor().check_tool_manifest(&name, request.manifest).await {
        Ok(tool) => Ok(Json(ValidateToolResponse { valid: true, problems: Vec::new(), tool: Some(summary(&tool)) })),
        Err(GovernorError::Tools(errors)) => {
            Ok(Json(ValidateToolResponse { valid: false, problems: problems(&errors), tool: None }))
        }
        Err(e) => Err(super::policies::governor_error(e)),
    }
}

/// Re-reads `tools/`, `toolclad.toml` and `scope/scope.toml` and swaps the catalog in whole. An
/// invalid change is refused with every problem and the old catalog stays in force. The runtime
/// also follows these files on its own (`policy.reload_interval`).
#[utoipa::path(post, path = "/api/v1/tools/reload", tag = TAG_POLICIES, security(("bearer" = [])),
    responses((status = 200, body = ReloadToolsResponse), (status = 400, body = super::wire::ErrorResponse),
        (status = 403, body = super::wire::ErrorResponse)))]
pub(crate) async fn reload(
    caller: Caller,
    State(state): State<AppState>,
) -> Result<Json<ReloadToolsResponse>, ApiError> {
    caller.require_admin()?;
    let tools =
        state.governor().reload_tools(&caller.principal_ref()).await.map_err(super::policies::governor_error)?;
    tracing::info!(tools, by = %caller.0.label(), "tool catalog reloaded");
    Ok(Json(ReloadToolsResponse { tools }))
}

/// The API error for manifests that do not load: every problem, nothing changed.
pub(super) fn invalid_manifest(errors: &symbi_toolclad::LoadErrors) -> ApiError {
    let problems = problems(errors);
    ApiError::InvalidManifest {
        message: format!("{} problem(s) in the tool files; nothing changed", problems.len()),
        problems: problems.iter().filter_map(|p| serde_json::to_value(p).ok()).collect(),
    }
}

fn problems(errors: &symbi_toolclad::LoadErrors) -> Vec<ManifestProblem> {
    errors
        .errors()
        .iter()
        .map(|e| ManifestProblem {
            file: e.file().display().to_string(),
            line: e.line(),
            message: e.message().to_owned(),
        })
        .collect()
}

fn summary(t: &Tool) -> ToolSummary {
    ToolSummary {
        name: t.name().to_owned(),
        version: t.version().to_owned(),
        description: t.description().to_owned(),
        risk_tier: t.risk_tier().as_str(),
        human_approval: t.human_approval(),
    }
}

/// The principal of a tool call: the agent it is made for (the key must reach it), or the admin
/// key itself when no agent is named.
fn principal(caller: &Caller, agent_id: Option<&str>) -> Result<EntityRef, ApiError> {
    match agent_id {
        Some(id) => {
            let id = AgentId::parse(id)
                .map_err(|e| ApiError::InvalidRequest { message: format!("invalid `agent_id`: {e}"), details: None })?;
            caller.require_agent(&id)?;
            Ok(EntityRef::Agent(id.to_string()))
        }
        None => {
            caller.require_admin()?;
            Ok(EntityRef::ApiKey(caller.0.label()))
        }
    }
}

/// Runs a tool through the Governor: the call is checked against the manifest, policy decides
/// `execute_tool` (holding it for approval when required; the request waits), then the tool runs
/// and the evidence envelope is returned. A refusal is 403 and nothing runs.
///
/// An agent may prove who it is with an AgentPin credential in `X-AgentPin-Credential`: it is
/// verified (401 `CREDENTIAL_REFUSED` with the ecosystem's code otherwise), the call is made for
/// its `sub`, and policy sees `principal.verified`, `domain`, `capabilities` and `sandbox_tier`
/// from the credential.
#[utoipa::path(post, path = "/api/v1/tools/{name}/execute", tag = TAG_POLICIES, security(("bearer" = [])),
    params(("name" = String, Path, description = "Tool name")), request_body = ExecuteToolRequest,
    responses((status = 200, description = "The evidence envelope", body = Object),
        (status = 400, body = super::wire::ErrorResponse), (status = 403, body = super::wire::ErrorResponse),
        (status = 404, body = super::wire::ErrorResponse), (status = 409, body = super::wire::ErrorResponse)))]
pub(crate) async fn execute(
    caller: Caller,
    State(state): State<AppState>,
    Path(name): Path<String>,
    headers: axum::http::HeaderMap,
    ApiJson(request): ApiJson<ExecuteToolRequest>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let governor = state.governor();
    let envelope = match credential(&headers)? {
        Some(jwt) => {
            let verified = governor
                .verify_credential(jwt, Surface::Api.as_str())
                .await
                .map_err(|e| ApiError::CredentialRefused { code: e.code, message: e.message })?;
            if request.agent_id.as_deref().is_some_and(|id| id != verified.agent_id) {
                return Err(ApiError::InvalidRequest {
                    message: format!("the credential is for agent `{}`, not `agent_id`", verified.agent_id),
                    details: None,
                });
            }
            match AgentId::parse(&verified.agent_id) {
                Ok(id) => caller.require_agent(&id)?,
                Err(_) => caller.require_admin()?,
            }
            governor.run_tool_verified(&verified, &name, &request.arguments, Surface::Api).await
        }
        None => {
            let principal = principal(&caller, request.agent_id.as_deref())?;
            governor.run_tool(principal, &name, &request.arguments, Surface::Api).await
        }
    }
    .map_err(run_error)?;
    tracing::info!(tool = %name, by = %caller.0.label(), status = ?envelope.status, "tool ran");
    serde_json::to_value(&envelope).map(Json).map_err(|_| ApiError::Internal { context: "encoding the envelope" })
}

/// The AgentPin credential header, if the caller sent one.
fn credential(headers: &axum::http::HeaderMap) -> Result<Option<&str>, ApiError> {
    let Some(value) = headers.get("x-agentpin-credential") else { return Ok(None) };
    let text = value.to_str().map_err(|_| ApiError::InvalidRequest {
        message: "`X-AgentPin-Credential` is not a compact JWT".to_owned(),
        details: None,
    })?;
    Ok(Some(text.trim()))
}

fn run_error(e: ToolRunError) -> ApiError {
    match e {
        ToolRunError::Call(CallError::UnknownTool { name }) => ApiError::ToolNotFound { name },
        ToolRunError::Call(e) => ApiError::InvalidRequest { message: e.to_string(), details: None },
        ToolRunError::Refused(Refusal::Unrecorded { .. }) => ApiError::AuditUnavailable,
        ToolRunError::Refused(refusal) => {
            let (code, policies) = match &refusal {
                Refusal::Denied { policies, .. } => ("POLICY_DENIED", policies.clone()),
                Refusal::NotApproved { .. } => ("NOT_APPROVED", Vec::new()),
                Refusal::ApprovalTimedOut | Refusal::Unrecorded { .. } => ("APPROVAL_TIMED_OUT", Vec::new()),
            };
            ApiError::Refused { code, message: refusal.to_string(), policies }
        }
        ToolRunError::Exec(e) => {
            tracing::error!(error = %e, "tool execution failed");
            ApiError::Internal { context: "running the tool" }
        }
        ToolRunError::Task(e) => {
            tracing::error!(error = %e, "tool execution task failed");
            ApiError::Internal { context: "running the tool" }
        }
        ToolRunError::Secret(e @ SecretError::Missing { .. }) => ApiError::SecretNotSet { message: e.to_string() },
        ToolRunError::Secret(e) => {
            // Secret errors name secrets, never values.
            tracing::error!(error = %e, "cannot read a secret the tool call references; nothing ran");
            ApiError::Internal { context: "reading a secret the tool needs" }
        }
    }
}
