//! Held actions over REST (admin): list them, approve or deny one.

use axum::Json;
use axum::extract::{Path, State};

use super::caller::Caller;
use super::error::ApiError;
use super::wire::{ApprovalResponse, HeldAction, timestamp};
use super::{AppState, TAG_POLICIES};
use crate::approvals::{Resolution, ResolveError};

/// Actions waiting for approval, oldest first.
#[utoipa::path(get, path = "/api/v1/approvals", tag = TAG_POLICIES, security(("bearer" = [])),
    responses((status = 200, body = Vec<HeldAction>), (status = 403, body = super::wire::ErrorResponse)))]
pub(crate) async fn list(caller: Caller, State(state): State<AppState>) -> Result<Json<Vec<HeldAction>>, ApiError> {
    caller.require_admin()?;
    let holds = state.governor().approvals().pending();
    Ok(Json(
        holds
            .into_iter()
            .map(|h| HeldAction {
                id: h.id,
                principal: h.request.principal.to_string(),
                action: h.request.action.as_str(),
                resource: h.request.resource.to_string(),
                surface: h.request.surface.as_str(),
                reason: h.reason,
                policies: h.policies,
                held_at: timestamp(h.held_at),
                expires_at: timestamp(h.expires_at),
            })
            .collect(),
    ))
}

/// Lets a held action go ahead.
#[utoipa::path(post, path = "/api/v1/approvals/{id}/approve", tag = TAG_POLICIES, security(("bearer" = [])),
    params(("id" = String, Path, description = "Hold id")),
    responses((status = 200, body = ApprovalResponse), (status = 404, body = super::wire::ErrorResponse),
        (status = 409, description = "Already resolved", body = super::wire::ErrorResponse)))]
pub(crate) async fn approve(
    caller: Caller,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<ApprovalResponse>, ApiError> {
    resolve(&caller, &state, id, true)
}

/// Refuses a held action.
#[utoipa::path(post, path = "/api/v1/approvals/{id}/deny", tag = TAG_POLICIES, security(("bearer" = [])),
    params(("id" = String, Path, description = "Hold id")),
    responses((status = 200, body = ApprovalResponse), (status = 404, body = super::wire::ErrorResponse),
        (status = 409, description = "Already resolved", body = super::wire::ErrorResponse)))]
pub(crate) async fn deny(
    caller: Caller,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<ApprovalResponse>, ApiError> {
    resolve(&caller, &state, id, false)
}

fn resolve(caller: &Caller, state: &AppState, id: String, approve: bool) -> Result<Json<ApprovalResponse>, ApiError> {
    caller.require_admin()?;
    let by = caller.0.label();
    let (resolution, status) =
        if approve { (Resolution::Approved { by }, "approved") } else { (Resolution::Denied { by }, "denied") };
    match state.governor().approvals().resolve(&id, resolution) {
        Ok(()) => {
            tracing::info!(hold = %id, %status, by = %caller.0.label(), "held action resolved");
            Ok(Json(ApprovalResponse { id, status }))
        }
        Err(ResolveError::NotFound) => Err(ApiError::ApprovalNotFound { id }),
        Err(ResolveError::AlreadyResolved) => Err(ApiError::AlreadyResolved { id }),
    }
}
