//! Tool routes: the tools the project's ToolClad manifests define, and governed execution. An
//! execution is decided by the Governor (and may wait for a person) before anything runs; the
//! answer is the evidence envelope.

use axum::Json;
use axum::extract::{Path, State};
use symbi_policy::{EntityRef, Surface};
use symbi_toolclad::CallError;

use super::caller::Caller;
use super::error::ApiError;
use super::json::ApiJson;
use super::wire::{ExecuteToolRequest, ToolSummary};
use super::{AppState, TAG_POLICIES};
use crate::agent::AgentId;
use crate::governor::{Refusal, ToolRunError};

/// The tools the project defines.
#[utoipa::path(get, path = "/api/v1/tools", tag = TAG_POLICIES, security(("bearer" = [])),
    responses((status = 200, body = Vec<ToolSummary>)))]
pub(crate) async fn list(_caller: Caller, State(state): State<AppState>) -> Json<Vec<ToolSummary>> {
    let catalog = state.governor().tool_catalog();
    Json(
        catalog
            .tools()
            .map(|t| ToolSummary {
                name: t.name().to_owned(),
                version: t.version().to_owned(),
                description: t.description().to_owned(),
                risk_tier: t.risk_tier().as_str(),
                human_approval: t.human_approval(),
            })
            .collect(),
    )
}

/// Runs a tool through the Governor: the call is checked against the manifest, policy decides
/// `execute_tool` (holding it for approval when required; the request waits), then the tool runs
/// and the evidence envelope is returned. A refusal is 403 and nothing runs.
#[utoipa::path(post, path = "/api/v1/tools/{name}/execute", tag = TAG_POLICIES, security(("bearer" = [])),
    params(("name" = String, Path, description = "Tool name")), request_body = ExecuteToolRequest,
    responses((status = 200, description = "The evidence envelope", body = Object),
        (status = 400, body = super::wire::ErrorResponse), (status = 403, body = super::wire::ErrorResponse),
        (status = 404, body = super::wire::ErrorResponse)))]
pub(crate) async fn execute(
    caller: Caller,
    State(state): State<AppState>,
    Path(name): Path<String>,
    ApiJson(request): ApiJson<ExecuteToolRequest>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let principal = match &request.agent_id {
        Some(id) => {
            let id = AgentId::parse(id)
                .map_err(|e| ApiError::InvalidRequest { message: format!("invalid `agent_id`: {e}"), details: None })?;
            caller.require_agent(&id)?;
            EntityRef::Agent(id.to_string())
        }
        None => {
            caller.require_admin()?;
            EntityRef::ApiKey(caller.0.label())
        }
    };
    let envelope =
        state.governor().run_tool(principal, &name, &request.arguments, Surface::Api).await.map_err(run_error)?;
    tracing::info!(tool = %name, by = %caller.0.label(), status = ?envelope.status, "tool ran");
    serde_json::to_value(&envelope).map(Json).map_err(|_| ApiError::Internal { context: "encoding the envelope" })
}

fn run_error(e: ToolRunError) -> ApiError {
    match e {
        ToolRunError::Call(CallError::UnknownTool { name }) => ApiError::ToolNotFound { name },
        ToolRunError::Call(e) => ApiError::InvalidRequest { message: e.to_string(), details: None },
        ToolRunError::Refused(refusal) => {
            let (code, policies) = match &refusal {
                Refusal::Denied { policies, .. } => ("POLICY_DENIED", policies.clone()),
                Refusal::NotApproved { .. } => ("NOT_APPROVED", Vec::new()),
                Refusal::ApprovalTimedOut => ("APPROVAL_TIMED_OUT", Vec::new()),
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
    }
}
