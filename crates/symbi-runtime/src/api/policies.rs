//! Policy routes (admin): the set in force, managed policies, reloads, and dry-run evaluation.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use symbi_policy::{DslCompileErrors, PolicyError, PolicyRequest, RequestFields, Surface};

use super::caller::Caller;
use super::error::ApiError;
use super::json::ApiJson;
use super::wire::{
    EvaluateRequest, EvaluateResponse, PolicyChangeResponse, PolicySummary, PutPolicyRequest, PutPolicyResponse,
};
use super::{AppState, TAG_POLICIES};
use crate::governor::GovernorError;

/// Every policy in force, from files and the API.
#[utoipa::path(get, path = "/api/v1/policies", tag = TAG_POLICIES, security(("bearer" = [])),
    responses((status = 200, body = Vec<PolicySummary>), (status = 403, body = super::wire::ErrorResponse)))]
pub(crate) async fn list(caller: Caller, State(state): State<AppState>) -> Result<Json<Vec<PolicySummary>>, ApiError> {
    caller.require_admin()?;
    let policies = state.governor().policies();
    Ok(Json(
        policies
            .policies()
            .map(|p| PolicySummary {
                id: p.id.clone(),
                origin: p.origin.clone(),
                surface: p.surface.map(Surface::as_str),
                effect: match p.effect {
                    symbi_policy::Effect::Permit => "permit",
                    symbi_policy::Effect::Forbid => "forbid",
                },
                requires_approval: p.requires_approval,
                reason: p.reason.clone(),
                source: p.text.clone(),
            })
            .collect(),
    ))
}

/// Adds or replaces managed policy text. The whole set is validated first; if anything is
/// invalid, nothing changes and every problem is listed with its line and column.
#[utoipa::path(post, path = "/api/v1/policies", tag = TAG_POLICIES, security(("bearer" = [])), request_body = PutPolicyRequest,
    responses((status = 201, body = PutPolicyResponse), (status = 200, description = "Replaced", body = PutPolicyResponse),
        (status = 400, description = "INVALID_POLICY with `details.problems`", body = super::wire::ErrorResponse)))]
pub(crate) async fn put(
    caller: Caller,
    State(state): State<AppState>,
    ApiJson(request): ApiJson<PutPolicyRequest>,
) -> Result<(StatusCode, Json<PutPolicyResponse>), ApiError> {
    caller.require_admin()?;
    let existed = state.governor().policies().policies().any(|p| p.origin == format!("api:{}", request.name));
    let ids = state
        .governor()
        .put_policy(&request.name, request.surface.as_deref(), &request.source)
        .await
        .map_err(governor_error)?;
    tracing::info!(name = %request.name, by = %caller.0.label(), "policy stored; new set in force");
    let (status, word) = if existed { (StatusCode::OK, "replaced") } else { (StatusCode::CREATED, "created") };
    Ok((status, Json(PutPolicyResponse { name: request.name, status: word, policies: ids })))
}

/// Removes managed policy text.
#[utoipa::path(delete, path = "/api/v1/policies/{name}", tag = TAG_POLICIES, security(("bearer" = [])),
    params(("name" = String, Path, description = "Managed policy name")),
    responses((status = 200, body = PolicyChangeResponse), (status = 404, body = super::wire::ErrorResponse)))]
pub(crate) async fn delete(
    caller: Caller,
    State(state): State<AppState>,
    Path(name): Path<String>,
) -> Result<Json<PolicyChangeResponse>, ApiError> {
    caller.require_admin()?;
    if !state.governor().delete_policy(&name).await.map_err(governor_error)? {
        return Err(ApiError::PolicyNotFound { name });
    }
    tracing::info!(%name, by = %caller.0.label(), "policy removed; new set in force");
    Ok(Json(PolicyChangeResponse { status: "deleted", policies_in_force: state.governor().policies().len() }))
}

/// Re-reads the policy directory now instead of waiting for the poll.
#[utoipa::path(post, path = "/api/v1/policies/reload", tag = TAG_POLICIES, security(("bearer" = [])),
    responses((status = 200, body = PolicyChangeResponse), (status = 400, body = super::wire::ErrorResponse)))]
pub(crate) async fn reload(
    caller: Caller,
    State(state): State<AppState>,
) -> Result<Json<PolicyChangeResponse>, ApiError> {
    caller.require_admin()?;
    let count = state.governor().reload().await.map_err(governor_error)?;
    Ok(Json(PolicyChangeResponse { status: "reloaded", policies_in_force: count }))
}

/// Decides a request without acting on it: the decision, the reason and the determining policies.
#[utoipa::path(post, path = "/api/v1/policies/evaluate", tag = TAG_POLICIES, security(("bearer" = [])),
    request_body = EvaluateRequest,
    responses((status = 200, body = EvaluateResponse), (status = 400, body = super::wire::ErrorResponse)))]
pub(crate) async fn evaluate(
    caller: Caller,
    State(state): State<AppState>,
    ApiJson(request): ApiJson<EvaluateRequest>,
) -> Result<Json<EvaluateResponse>, ApiError> {
    caller.require_admin()?;
    let request = parse_request(&request)?;
    let evaluation = state.governor().evaluate(&request).await;
    Ok(Json(EvaluateResponse {
        decision: evaluation.decision.as_str(),
        reason: evaluation.reason,
        policies: evaluation.policies,
    }))
}

pub(super) fn parse_request(r: &EvaluateRequest) -> Result<PolicyRequest, ApiError> {
    let fields = RequestFields {
        principal: &r.principal,
        action: &r.action,
        resource: &r.resource,
        surface: r.surface.as_deref(),
        delegation_depth: r.delegation_depth,
    };
    fields.parse().map_err(|e| ApiError::InvalidRequest { message: e.to_string(), details: None })
}

/// The one mapping of Governor failures to API errors, shared by the policy and communication routes.
pub(super) fn governor_error(e: GovernorError) -> ApiError {
    match e {
        GovernorError::Policy(PolicyError::Invalid { problems }) => ApiError::InvalidPolicy {
            message: format!("{} policy problem(s); nothing changed", problems.len()),
            problems,
        },
        GovernorError::Policy(other) => ApiError::InvalidRequest { message: other.to_string(), details: None },
        GovernorError::Rule(e) => ApiError::InvalidRequest { message: e.to_string(), details: None },
        GovernorError::Name { name, reason } => {
            ApiError::InvalidRequest { message: format!("invalid policy `{name}`: {reason}"), details: None }
        }
        GovernorError::AgentDsl { agent, error } => {
            let diagnostics = dsl_rule_diagnostics(&error);
            let message = format!(
                "the DSL of agent `{agent}` does not compile to policy: {} problem(s); nothing changed",
                diagnostics.len().max(1)
            );
            ApiError::InvalidDsl { message, diagnostics }
        }
        GovernorError::AgentNotFound { agent } => ApiError::AgentNotFound { agent },
        GovernorError::Tools(errors) => super::tools::invalid_manifest(&errors),
        e @ (GovernorError::AgentFiles(_) | GovernorError::AgentFileConflict { .. }) => {
            ApiError::InvalidRequest { message: e.to_string(), details: None }
        }
        GovernorError::Store(e) => ApiError::Store(e),
        // Only opening the Governor sets up the outbound client; no route reaches this.
        GovernorError::Network(e) => {
            tracing::error!(error = %e, "outbound client failure");
            ApiError::Internal { context: "the outbound client" }
        }
        GovernorError::Audit { reason } => {
            tracing::error!(%reason, "audit log failure; the change was not made");
            ApiError::AuditUnavailable
        }
    }
}

/// Diagnostics for DSL that parses and checks but whose policy rules do not compile (the API
/// reports syntax and semantic errors itself, before the Governor sees the source).
fn dsl_rule_diagnostics(error: &DslCompileErrors) -> Vec<serde_json::Value> {
    match error {
        DslCompileErrors::Rules { errors, .. } => errors
            .iter()
            .map(|e| {
                let at = e.location();
                serde_json::json!({
                    "line": at.line, "column": at.column, "message": e.to_string(),
                    "help": miette::Diagnostic::help(e).map(|h| h.to_string()),
                })
            })
            .collect(),
        other => vec![serde_json::json!({ "line": 1, "column": 1, "message": other.to_string(), "help": null })],
    }
}
