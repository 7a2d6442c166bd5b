//! API key management over REST (admin): the same operations as `symbi keys`, taking effect
//! immediately in this runtime.

use std::time::SystemTime;

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;

use super::caller::Caller;
use super::error::ApiError;
use super::json::ApiJson;
use super::wire::{CreateKeyRequest, CreatedKey, KeySummary, RevokedKey, timestamp};
use super::{AppState, TAG_KEYS};
use crate::agent::AgentId;
use crate::keys::{self, KeyId, KeyScope, StoredKey};
use crate::store::Revocation;

/// Every key, revoked ones included; never a secret.
#[utoipa::path(get, path = "/api/v1/keys", tag = TAG_KEYS, security(("bearer" = [])),
    responses((status = 200, body = Vec<KeySummary>), (status = 403, body = super::wire::ErrorResponse)))]
pub(crate) async fn list(caller: Caller, State(state): State<AppState>) -> Result<Json<Vec<KeySummary>>, ApiError> {
    caller.require_admin()?;
    Ok(Json(state.store().keys().await?.iter().map(summary).collect()))
}

/// Issues a key: admin when `agents` is empty, otherwise scoped to those agents.
#[utoipa::path(post, path = "/api/v1/keys", tag = TAG_KEYS, security(("bearer" = [])), request_body = CreateKeyRequest,
    responses((status = 201, body = CreatedKey), (status = 403, body = super::wire::ErrorResponse)))]
pub(crate) async fn create(
    caller: Caller,
    State(state): State<AppState>,
    ApiJson(request): ApiJson<CreateKeyRequest>,
) -> Result<(StatusCode, Json<CreatedKey>), ApiError> {
    caller.require_admin()?;
    let scope = scope(&request.agents)?;
    if request.description.chars().count() > 1024 || request.description.chars().any(char::is_control) {
        return Err(ApiError::InvalidRequest {
            message: "invalid `description`: at most 1024 characters, no control characters".to_owned(),
            details: None,
        });
    }
    let description = request.description;
    let (token, stored) = tokio::task::spawn_blocking(move || keys::issue(scope, &description, SystemTime::now()))
        .await
        .map_err(|_| ApiError::Internal { context: "issuing a key" })?
        .map_err(|_| ApiError::Internal { context: "hashing a key secret" })?;
    let scope_text = match &stored.scope {
        KeyScope::Admin => "admin".to_owned(),
        KeyScope::Agents(agents) => {
            format!("agents {}", agents.iter().map(ToString::to_string).collect::<Vec<_>>().join(","))
        }
    };
    record(&state, &caller, "create", &stored.id, format!("scope: {scope_text}")).await?;
    state.store().insert_key(&stored).await?;
    state.auth().reload().await?;
    tracing::info!(key = %stored.id, by = %caller.0.label(), "API key issued");
    Ok((StatusCode::CREATED, Json(CreatedKey { key: summary(&stored), token: token.reveal().to_owned() })))
}

/// Revokes a key; from the next request on it is refused.
#[utoipa::path(delete, path = "/api/v1/keys/{id}", tag = TAG_KEYS, security(("bearer" = [])),
    params(("id" = String, Path, description = "Key id")),
    responses((status = 200, body = RevokedKey), (status = 404, body = super::wire::ErrorResponse)))]
pub(crate) async fn revoke(
    caller: Caller,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<RevokedKey>, ApiError> {
    caller.require_admin()?;
    let key = KeyId::parse(&id).ok_or_else(|| ApiError::KeyNotFound { key: id.clone() })?;
    if !state.store().keys().await?.iter().any(|k| k.id == key) {
        return Err(ApiError::KeyNotFound { key: id });
    }
    record(&state, &caller, "revoke", &key, "revoked over the API".to_owned()).await?;
    let status = match state.store().revoke_key(&key, SystemTime::now()).await? {
        Revocation::Revoked => "revoked",
        Revocation::AlreadyRevoked => "already_revoked",
        Revocation::NotFound => return Err(ApiError::KeyNotFound { key: id }),
    };
    state.auth().reload().await?;
    tracing::info!(key = %key, by = %caller.0.label(), "API key revoked");
    Ok(Json(RevokedKey { key_id: key.to_string(), status }))
}

/// Records a key change before it is made: a change the audit log cannot record is not made.
async fn record(state: &AppState, caller: &Caller, action: &str, key: &KeyId, reason: String) -> Result<(), ApiError> {
    let event = symbi_audit::Event::key_management(
        caller.principal_ref(),
        action,
        symbi_policy::EntityRef::ApiKey(key.to_string()).to_string(),
    )
    .with_surface("api")
    .with_reason(reason);
    state.governor().record(event).await.map(|_| ()).map_err(|refusal| {
        tracing::error!(error = %refusal, "cannot record a key change; not made");
        ApiError::AuditUnavailable
    })
}

fn scope(agents: &[String]) -> Result<KeyScope, ApiError> {
    if agents.is_empty() {
        return Ok(KeyScope::Admin);
    }
    let ids = agents
        .iter()
        .map(|a| {
            AgentId::parse(a).map_err(|e| ApiError::InvalidRequest {
                message: format!("invalid agent id `{a}` in `agents`: {e}"),
                details: None,
            })
        })
        .collect::<Result<_, _>>()?;
    Ok(KeyScope::Agents(ids))
}

fn summary(key: &StoredKey) -> KeySummary {
    let (scope, agents) = match &key.scope {
        KeyScope::Admin => ("admin", Vec::new()),
        KeyScope::Agents(ids) => ("agents", ids.iter().map(ToString::to_string).collect()),
    };
    KeySummary {
        key_id: key.id.to_string(),
        scope,
        agents,
        description: key.description.clone(),
        created_at: timestamp(key.created_at),
        revoked_at: key.revoked_at.map(timestamp),
    }
}
