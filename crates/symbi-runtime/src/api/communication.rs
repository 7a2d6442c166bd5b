//! The communication policy gate over REST: its rules and dry-run evaluation (admin).

use axum::Json;
use axum::extract::State;
use symbi_policy::{CommunicationAction, Effect};

use super::caller::Caller;
use super::error::ApiError;
use super::json::ApiJson;
use super::wire::{CommunicationRequest, CommunicationResponse, CommunicationRuleSummary};
use super::{AppState, TAG_POLICIES};

/// The rules in force, in order; a rule's id is its index.
#[utoipa::path(get, path = "/api/v1/communication/rules", tag = TAG_POLICIES, security(("bearer" = [])),
    responses((status = 200, body = Vec<CommunicationRuleSummary>)))]
pub(crate) async fn rules(
    caller: Caller,
    State(state): State<AppState>,
) -> Result<Json<Vec<CommunicationRuleSummary>>, ApiError> {
    caller.require_admin()?;
    let rules = state.governor().communication().rules();
    Ok(Json(
        rules
            .iter()
            .enumerate()
            .map(|(id, rule)| {
                let spec = rule.spec();
                CommunicationRuleSummary {
                    id,
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
    let d = state.governor().communication().evaluate(&request.sender, &request.recipient, action, depth);
    Ok(Json(CommunicationResponse { allowed: d.allowed, rule: d.rule, reason: d.reason }))
}
