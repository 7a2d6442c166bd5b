//! Cedar attached to one agent (the SDK's `reasoning/cedar` routes): list, attach, remove, and a
//! dry-run decision on an action the agent proposes. Attached text governs that agent only; the
//! Governor scopes its principal and validates it with the whole set before it is stored.

use std::time::SystemTime;

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use symbi_policy::{Action, Decision, EntityRef, PolicyRequest, Surface};

use super::caller::Caller;
use super::error::ApiError;
use super::json::ApiJson;
use super::policies::governor_error;
use super::wire::{ActionDecision, AgentCedarPolicy, AgentCedarPolicyResponse, ProposedAction, RemovedResponse};
use super::{AppState, TAG_POLICIES};
use crate::agent::AgentId;
use crate::store::StoredAgentPolicy;

/// The Cedar policies attached to an agent, active or not.
#[utoipa::path(get, path = "/api/v1/agents/{id}/reasoning/cedar", tag = TAG_POLICIES, security(("bearer" = [])),
    params(("id" = String, Path, description = "Agent id")),
    responses((status = 200, body = Vec<AgentCedarPolicy>), (status = 404, body = super::wire::ErrorResponse)))]
pub(crate) async fn list(
    caller: Caller,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<Vec<AgentCedarPolicy>>, ApiError> {
    let id = existing_agent(&caller, &state, &id).await?;
    let policies = state.store().agent_policies(Some(&id)).await?;
    Ok(Json(
        policies.into_iter().map(|p| AgentCedarPolicy { name: p.name, source: p.source, active: p.active }).collect(),
    ))
}

/// Attaches Cedar text to an agent (admin), or replaces its namesake. Nothing changes unless the
/// whole set stays valid; problems are listed with line and column.
#[utoipa::path(post, path = "/api/v1/agents/{id}/reasoning/cedar", tag = TAG_POLICIES, security(("bearer" = [])),
    params(("id" = String, Path, description = "Agent id")), request_body = AgentCedarPolicy,
    responses((status = 201, body = AgentCedarPolicyResponse), (status = 200, description = "Replaced", body = AgentCedarPolicyResponse),
        (status = 400, description = "INVALID_POLICY with `details.problems`", body = super::wire::ErrorResponse),
        (status = 404, body = super::wire::ErrorResponse)))]
pub(crate) async fn add(
    caller: Caller,
    State(state): State<AppState>,
    Path(id): Path<String>,
    ApiJson(request): ApiJson<AgentCedarPolicy>,
) -> Result<(StatusCode, Json<AgentCedarPolicyResponse>), ApiError> {
    caller.require_admin()?;
    let id = existing_agent(&caller, &state, &id).await?;
    let existed = state.store().agent_policies(Some(&id)).await?.iter().any(|p| p.name == request.name);
    let policy = StoredAgentPolicy {
        agent: id.clone(),
        name: request.name.clone(),
        source: request.source,
        active: request.active,
        updated_at: SystemTime::now(),
    };
    let ids = state.governor().put_agent_policy(policy).await.map_err(governor_error)?;
    tracing::info!(agent = %id, name = %request.name, by = %caller.0.label(), "agent policy stored; new set in force");
    let (status, word) = if existed { (StatusCode::OK, "replaced") } else { (StatusCode::CREATED, "created") };
    Ok((status, Json(AgentCedarPolicyResponse { name: request.name, status: word, policies: ids })))
}

/// Removes a policy attached to an agent (admin).
#[utoipa::path(delete, path = "/api/v1/agents/{id}/reasoning/cedar/{name}", tag = TAG_POLICIES,
    security(("bearer" = [])),
    params(("id" = String, Path, description = "Agent id"), ("name" = String, Path, description = "Policy name")),
    responses((status = 200, body = RemovedResponse), (status = 404, body = super::wire::ErrorResponse)))]
pub(crate) async fn remove(
    caller: Caller,
    State(state): State<AppState>,
    Path((id, name)): Path<(String, String)>,
) -> Result<Json<RemovedResponse>, ApiError> {
    caller.require_admin()?;
    let id = existing_agent(&caller, &state, &id).await?;
    let removed = state.governor().delete_agent_policy(&id, &name).await.map_err(governor_error)?;
    if removed {
        tracing::info!(agent = %id, %name, by = %caller.0.label(), "agent policy removed; new set in force");
    }
    Ok(Json(RemovedResponse { removed }))
}

/// Decides an action the agent proposes, without acting on it, against the whole set in force.
#[utoipa::path(post, path = "/api/v1/agents/{id}/reasoning/cedar/evaluate", tag = TAG_POLICIES,
    security(("bearer" = [])),
    params(("id" = String, Path, description = "Agent id")), request_body = ProposedAction,
    responses((status = 200, body = ActionDecision), (status = 400, body = super::wire::ErrorResponse),
        (status = 404, body = super::wire::ErrorResponse)))]
pub(crate) async fn evaluate(
    caller: Caller,
    State(state): State<AppState>,
    Path(id): Path<String>,
    ApiJson(action): ApiJson<ProposedAction>,
) -> Result<Json<ActionDecision>, ApiError> {
    let id = existing_agent(&caller, &state, &id).await?;
    let request = proposed_request(&id, &action)?;
    let evaluation = state.governor().evaluate(&request).await;
    let requires_approval = evaluation.decision == Decision::RequireApproval;
    Ok(Json(ActionDecision {
        decision: if evaluation.decision == Decision::Allow { "allow" } else { "deny" },
        reason: evaluation.reason,
        requires_approval,
        policies: evaluation.policies,
    }))
}

/// The agent named in the path, when the caller may reach it and it exists.
async fn existing_agent(caller: &Caller, state: &AppState, id: &str) -> Result<AgentId, ApiError> {
    let id = AgentId::parse(id)
        .map_err(|e| ApiError::InvalidRequest { message: format!("invalid agent id: {e}"), details: None })?;
    caller.require_agent(&id)?;
    if state.store().agent(&id).await?.is_none() {
        return Err(ApiError::AgentNotFound { agent: id.to_string() });
    }
    Ok(id)
}

/// The policy request a proposed action makes: the agent is the principal; a tool call invokes
/// the tool, a delegation targets the other agent one hop deep, and responding or terminating
/// acts on the agent itself. All on the `run` surface, where the reasoning loop acts.
fn proposed_request(agent: &AgentId, action: &ProposedAction) -> Result<PolicyRequest, ApiError> {
    let missing = |field: &str| ApiError::InvalidRequest {
        message: format!("a `{}` action needs `{field}`", action.kind),
        details: None,
    };
    let me = EntityRef::Agent(agent.to_string());
    let (action_name, resource, depth) = match action.kind.as_str() {
        "tool_call" => {
            let name = action.name.as_deref().filter(|n| !n.is_empty()).ok_or_else(|| missing("name"))?;
            (Action::InvokeTool, EntityRef::Tool(name.to_owned()), None)
        }
        "delegate" => {
            let target = action.target.as_deref().filter(|t| !t.is_empty()).ok_or_else(|| missing("target"))?;
            (Action::Delegate, EntityRef::Agent(target.to_owned()), Some(1))
        }
        "respond" => (Action::Respond, me.clone(), None),
        "terminate" => (Action::Terminate, me.clone(), None),
        other => {
            return Err(ApiError::InvalidRequest {
                message: format!("`{other}` is not an action type; use tool_call, delegate, respond or terminate"),
                details: None,
            });
        }
    };
    Ok(PolicyRequest { principal: me, action: action_name, resource, surface: Surface::Run, delegation_depth: depth })
}
