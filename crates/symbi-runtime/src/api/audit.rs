//! The audit log over REST (admin): records with filters and cursor paging, the newest signed
//! checkpoint, and an inclusion proof for any record. Reads only; nothing here appends.

use std::str::FromStr;

use axum::Json;
use axum::extract::{Path, Query, State};
use serde::Deserialize;
use serde_json::{Value, json};
use symbi_audit::{Cursor, EventId, EventKind, ProveError, QueryFilter};

use super::caller::Caller;
use super::error::ApiError;
use super::{AppState, TAG_AUDIT};
use crate::audit_json::{checkpoint_json, proof_json, record_json};

/// The default and largest page of `GET /audit`.
const DEFAULT_PAGE: usize = 100;
const MAX_PAGE: usize = 1000;

/// Filters of `GET /audit`; every one is optional.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub(crate) struct AuditQuery {
    /// Only records about this agent.
    agent: Option<String>,
    /// Only records with this decision: `allow`, `deny` or `require_approval`.
    decision: Option<String>,
    /// Only records of this kind (`decision`, `execution_outcome`, `auth_failure`, …).
    kind: Option<String>,
    /// Only records at or after this RFC 3339 time.
    since: Option<String>,
    /// The `next` cursor of the previous page.
    after: Option<String>,
    /// Records per page, 1–1000; default 100.
    limit: Option<usize>,
}

/// Audit records, oldest first, one page at a time; follow `next` until it is null.
#[utoipa::path(get, path = "/api/v1/audit", tag = TAG_AUDIT, security(("bearer" = [])), params(AuditQuery),
    responses((status = 200, description = "`{records, next}`", body = Object),
        (status = 400, body = super::wire::ErrorResponse), (status = 403, body = super::wire::ErrorResponse)))]
pub(crate) async fn list(
    caller: Caller,
    State(state): State<AppState>,
    query: Result<Query<AuditQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<Value>, ApiError> {
    caller.require_admin()?;
    let Query(query) = query.map_err(|e| ApiError::InvalidRequest { message: e.body_text(), details: None })?;
    let filter = filter(query)?;
    let audit = std::sync::Arc::clone(state.governor().audit());
    let page = tokio::task::spawn_blocking(move || audit.query(&filter))
        .await
        .map_err(|_| ApiError::Internal { context: "reading the audit log" })?
        .map_err(|e| {
            tracing::error!(error = %e, "cannot read the audit log");
            ApiError::Internal { context: "reading the audit log" }
        })?;
    let records: Vec<Value> = page.records.iter().map(record_json).collect();
    Ok(Json(json!({ "records": records, "next": page.next.map(|c| c.to_string()) })))
}

/// The newest signed checkpoint and the public key that verifies it.
#[utoipa::path(get, path = "/api/v1/audit/checkpoint", tag = TAG_AUDIT, security(("bearer" = [])),
    responses((status = 200, description = "`{checkpoint, public_key, records}`", body = Object),
        (status = 403, body = super::wire::ErrorResponse)))]
pub(crate) async fn checkpoint(caller: Caller, State(state): State<AppState>) -> Result<Json<Value>, ApiError> {
    caller.require_admin()?;
    let audit = state.governor().audit();
    Ok(Json(json!({
        "checkpoint": audit.latest_checkpoint().as_ref().map(checkpoint_json),
        "public_key": audit.public_key().to_string(),
        "records": audit.len(),
    })))
}

/// A record with its inclusion proof against a signed checkpoint (one is signed first if none
/// covers the record yet). Verify it offline with `symbi audit proof --verify FILE`.
#[utoipa::path(get, path = "/api/v1/audit/proof/{event_id}", tag = TAG_AUDIT, security(("bearer" = [])),
    params(("event_id" = String, Path, description = "Record id, `evt_` and 16 hex digits")),
    responses((status = 200, description = "`{event_id, record, checkpoint, inclusion, public_key}`", body = Object),
        (status = 400, body = super::wire::ErrorResponse), (status = 404, body = super::wire::ErrorResponse)))]
pub(crate) async fn proof(
    caller: Caller,
    State(state): State<AppState>,
    Path(event_id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    caller.require_admin()?;
    let id =
        EventId::from_str(&event_id).map_err(|e| ApiError::InvalidRequest { message: e.to_string(), details: None })?;
    // A proof reads the record from its segment file: off the async threads.
    let audit = std::sync::Arc::clone(state.governor().audit());
    let handle = tokio::runtime::Handle::current();
    let proved = tokio::task::spawn_blocking(move || {
        handle.block_on(audit.proof(id)).map(|proof| proof_json(&proof, audit.public_key()))
    })
    .await
    .map_err(|_| ApiError::Internal { context: "proving the audit record" })?;
    match proved {
        Ok(proof) => Ok(Json(proof)),
        Err(ProveError::NotFound { .. }) => Err(ApiError::EventNotFound { id: event_id }),
        Err(e) => {
            tracing::error!(error = %e, "cannot prove an audit record");
            Err(ApiError::Internal { context: "proving the audit record" })
        }
    }
}

/// Moves every finished segment into `archive/`; nothing is deleted, and reads, proofs and
/// verification span archived segments.
#[utoipa::path(post, path = "/api/v1/audit/archive", tag = TAG_AUDIT, security(("bearer" = [])),
    responses((status = 200, description = "`{archived_segments}`", body = Object),
        (status = 403, body = super::wire::ErrorResponse)))]
pub(crate) async fn archive(caller: Caller, State(state): State<AppState>) -> Result<Json<Value>, ApiError> {
    caller.require_admin()?;
    let moved = state.governor().audit().archive_segments().await.map_err(|e| {
        tracing::error!(error = %e, "cannot archive audit segments");
        ApiError::AuditUnavailable
    })?;
    tracing::info!(moved, by = %caller.0.label(), "audit segments archived");
    Ok(Json(json!({ "archived_segments": moved })))
}

fn filter(query: AuditQuery) -> Result<QueryFilter, ApiError> {
    let bad = |field: &str, message: String| ApiError::InvalidRequest {
        message: format!("`{field}`: {message}"),
        details: Some(json!({ "field": field })),
    };
    let decision = match query.decision.as_deref() {
        None => None,
        Some(name) => Some(
            symbi_audit::Decision::parse(name)
                .ok_or_else(|| bad("decision", format!("`{name}` is not allow, deny or require_approval")))?,
        ),
    };
    let kind = match query.kind.as_deref() {
        None => None,
        Some(name) => Some(EventKind::parse(name).ok_or_else(|| {
            let kinds: Vec<&str> = EventKind::ALL.iter().map(|k| k.as_str()).collect();
            bad("kind", format!("`{name}` is not one of {}", kinds.join(", ")))
        })?),
    };
    let since = match query.since.as_deref() {
        None => None,
        Some(text) => {
            Some(humantime::parse_rfc3339_weak(text).map_err(|e| bad("since", format!("not an RFC 3339 time: {e}")))?)
        }
    };
    let after = match query.after.as_deref() {
        None => None,
        Some(text) => Some(Cursor::from_str(text).map_err(|e| bad("after", e.to_string()))?),
    };
    let limit = query.limit.unwrap_or(DEFAULT_PAGE);
    if !(1..=MAX_PAGE).contains(&limit) {
        return Err(bad("limit", format!("must be between 1 and {MAX_PAGE}")));
    }
    Ok(QueryFilter { agent: query.agent, decision, since, kind, after, limit })
}
