//! The communication policy gate over REST: its rules and dry-run evaluation (admin).

use axum::Json;
use axum::extract::Path;
use axum::extract::State;
use axum::http::StatusCode;
use symbi_policy::{CommunicationAction, Effect, RuleSpec};

use super::caller::Caller;
use super::error::ApiError;
use super::json::ApiJson;
use super::wire::{
    AddRuleRequest, CommunicationRequest, CommunicationResponse, CommunicationRuleSummary, RuleChangeResponse,
};
use super::{AppState, TAG_POLICIES};

/// The rules in force, in order; a rule's id is its index.
#[utoipa::path(get, path = "/api/v1/communication/rules", tag = TAG_POLICIES, security(("bearer" = [])),
    responses((status = 200, body = Vec<CommunicationRuleSummary>)))]
pub(crate) async fn rules(
    caller: Caller,
    State(state): State<AppState>,
) -> Result<Json<Vec<CommunicationRuleSummary>>, ApiError> {
    caller.require_admin()?;
    let communication = state.governor().communication();
    Ok(Json(
        communication
            .gate
            .rules()
            .iter()
            .zip(&communication.ids)
            .map(|(rule, id)| {
                let spec = rule.spec();
                CommunicationRuleSummary {
                    id: id.clone(),
                    from_agent: spec.from.clone(),
                    to_agent: spec.to.clone(),
                    action: spec.action.map_or("*", CommunicationAction::as_str),
                    effect: match spec.effect {
                        Effect::Permit => "allow",
                        Effect::Forbid => "deny",
                    },
                    reason: spec.reason.clone(),
                    priority: spec.priority,
                    max_depth: spec.max_depth,
                }
            })
            .collect(),
    ))
}

/// Whether `sender` may delegate to or message `recipient`.
#[utoipa::path(post, path = "/api/v1/communication/evaluate", tag = TAG_POLICIES, security(("bearer" = [])),
    request_body = CommunicationRequest, responses((status = 200, body = CommunicationResponse)))]
pub(crate) async fn evaluate(
    caller: Caller,
    State(state): State<AppState>,
    ApiJson(request): ApiJson<CommunicationRequest>,
) -> Result<Json<CommunicationResponse>, ApiError> {
    caller.require_admin()?;
    let action = CommunicationAction::parse(&request.action).ok_or_else(|| ApiError::InvalidRequest {
        message: format!("invalid `action`: `{}` is not `delegate` or `send_message`", request.action),
        details: None,
    })?;
    let depth = request.delegation_depth.unwrap_or(1);
    let communication = state.governor().communication();
    let d = communication.gate.evaluate(&request.sender, &request.recipient, action, depth);
    let rule = d.rule.and_then(|index| communication.ids.get(index).cloned());
    Ok(Json(CommunicationResponse { allowed: d.allowed, rule, reason: d.reason }))
}

/// Adds a rule; it applies from the next decision on and survives restarts.
#[utoipa::path(post, path = "/api/v1/communication/rules", tag = TAG_POLICIES, security(("bearer" = [])),
    request_body = AddRuleRequest,
    responses((status = 201, body = RuleChangeResponse), (status = 400, body = super::wire::ErrorResponse)))]
pub(crate) async fn add(
    caller: Caller,
    State(state): State<AppState>,
    ApiJson(request): ApiJson<AddRuleRequest>,
) -> Result<(StatusCode, Json<RuleChangeResponse>), ApiError> {
    caller.require_admin()?;
    let spec = rule_spec(&request)?;
    let id = state.governor().add_communication_rule(spec).await.map_err(super::policies::governor_error)?;
    tracing::info!(rule = %id, by = %caller.0.label(), "communication rule added");
    Ok((StatusCode::CREATED, Json(RuleChangeResponse { id, status: "created" })))
}

/// Removes a rule added over the API.
#[utoipa::path(delete, path = "/api/v1/communication/rules/{id}", tag = TAG_POLICIES, security(("bearer" = [])),
    params(("id" = String, Path, description = "Rule id")),
    responses((status = 200, body = RuleChangeResponse), (status = 404, body = super::wire::ErrorResponse)))]
pub(crate) async fn remove(
    caller: Caller,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<RuleChangeResponse>, ApiError> {
    caller.require_admin()?;
    if id.starts_with("config-") {
        return Err(ApiError::InvalidRequest {
            message: format!("rule `{id}` comes from symbiont.toml; change it there"),
            details: None,
        });
    }
    let removed = state.governor().delete_communication_rule(&id).await.map_err(super::policies::governor_error)?;
    if !removed {
        return Err(ApiError::RuleNotFound { id });
    }
    Ok(Json(RuleChangeResponse { id, status: "removed" }))
}

fn rule_spec(r: &AddRuleRequest) -> Result<RuleSpec, ApiError> {
    let bad = |message: String| ApiError::InvalidRequest { message, details: None };
    let effect_of = |word: &str| match word {
        "allow" => Ok(Effect::Permit),
        "deny" => Ok(Effect::Forbid),
        other => Err(bad(format!("invalid `effect`: `{other}` is not `allow` or `deny`"))),
    };
    // Older SDKs put allow/deny in `action`; then it is the effect and the rule covers both actions.
    let (action, effect) = match (r.action.as_deref(), r.effect.as_deref()) {
        (Some(word @ ("allow" | "deny")), None) => (None, effect_of(word)?),
        (Some(word @ ("allow" | "deny")), Some(effect)) if word == effect => (None, effect_of(effect)?),
        (None | Some("*"), effect) => (None, effect_of(effect.unwrap_or("allow"))?),
        (Some(action), effect) => (
            Some(CommunicationAction::parse(action).ok_or_else(|| {
                bad(format!("invalid `action`: `{action}` is not `delegate`, `send_message` or `*`"))
            })?),
            effect_of(effect.unwrap_or("allow"))?,
        ),
    };
    Ok(RuleSpec {
        from: r.from_agent.clone(),
        to: r.to_agent.clone(),
        action,
        effect,
        reason: r.reason.clone().filter(|s| !s.is_empty()),
        max_depth: r.max_depth,
        priority: r.priority.unwrap_or(0),
    })
}
