//! Health probes, runtime status and metrics. The three health routes are public so load
//! balancers and orchestrators can probe without a key; status and metrics need an admin key.

use axum::Json;
use axum::extract::State;

use super::caller::Caller;
use super::error::ApiError;
use super::wire::{HealthResponse, ProbeResponse, StatusResponse, SystemMetrics, timestamp};
use super::{AppState, TAG_SYSTEM};

/// Liveness plus uptime and version. Public.
#[utoipa::path(get, path = "/api/v1/health", tag = TAG_SYSTEM, responses((status = 200, body = HealthResponse)))]
pub(crate) async fn health(State(state): State<AppState>) -> Json<HealthResponse> {
    Json(HealthResponse {
        status: "healthy",
        uptime_seconds: state.uptime().as_secs(),
        timestamp: timestamp(std::time::SystemTime::now()),
        version: crate::VERSION,
    })
}

/// 200 while the process runs. Public.
#[utoipa::path(get, path = "/api/v1/health/live", tag = TAG_SYSTEM, responses((status = 200, body = ProbeResponse)))]
pub(crate) async fn live() -> Json<ProbeResponse> {
    Json(ProbeResponse { status: "live" })
}

/// 200 when the store answers and the runtime is not draining; 503 `NOT_READY` otherwise. Public.
#[utoipa::path(get, path = "/api/v1/health/ready", tag = TAG_SYSTEM,
    responses((status = 200, body = ProbeResponse), (status = 503, body = super::wire::ErrorResponse)))]
pub(crate) async fn ready(State(state): State<AppState>) -> Result<Json<ProbeResponse>, ApiError> {
    if state.is_draining() {
        return Err(ApiError::NotReady);
    }
    state.store().ping().await.map_err(|e| {
        tracing::warn!(error = %e, "readiness probe: store does not answer");
        ApiError::NotReady
    })?;
    Ok(Json(ProbeResponse { status: "ready" }))
}

/// Version, health and counts (admin).
#[utoipa::path(get, path = "/api/v1/status", tag = TAG_SYSTEM, security(("bearer" = [])),
    responses((status = 200, body = StatusResponse), (status = 403, body = super::wire::ErrorResponse)))]
pub(crate) async fn status(caller: Caller, State(state): State<AppState>) -> Result<Json<StatusResponse>, ApiError> {
    caller.require_admin()?;
    let counts = state.store().agent_counts().await;
    Ok(Json(StatusResponse {
        version: crate::VERSION,
        healthy: counts.is_ok(),
        agent_count: counts.map(|c| c.total).unwrap_or(0),
        // Schedules and channel adapters are not part of this runtime yet: there are none.
        schedule_count: 0,
        channel_count: 0,
    }))
}

/// Process and agent figures in the SDK's `SystemMetrics` shape (admin).
#[utoipa::path(get, path = "/api/v1/metrics", tag = TAG_SYSTEM, security(("bearer" = [])),
    responses((status = 200, body = SystemMetrics), (status = 403, body = super::wire::ErrorResponse)))]
pub(crate) async fn metrics(caller: Caller, State(state): State<AppState>) -> Result<Json<SystemMetrics>, ApiError> {
    caller.require_admin()?;
    let counts = state.store().agent_counts().await?;
    let sampler = state.clone();
    let sample = tokio::task::spawn_blocking(move || sampler.resources().sample())
        .await
        .map_err(|_| ApiError::Internal { context: "sampling resource use" })?;
    Ok(Json(SystemMetrics {
        uptime_seconds: state.uptime().as_secs(),
        memory_usage_bytes: sample.memory_bytes,
        memory_usage_percent: sample.memory_percent,
        cpu_usage_percent: sample.cpu_percent,
        disk_usage_bytes: sample.disk_bytes,
        disk_usage_percent: sample.disk_percent,
        active_agents: counts.active,
        total_agents: counts.total,
        // Secrets, MCP and vector stores arrive with their own subsystems; none exist yet.
        secrets_count: 0,
        mcp_connections: 0,
        vector_db_items: 0,
    }))
}

/// The SchemaPin discovery document for the tools this runtime defines, signed-for by its
/// publisher key (public: verifiers fetch it without credentials). 404 `NOT_PUBLISHING` when no
/// key was made with `symbi schemapin keygen`.
pub(crate) async fn schemapin_well_known(State(state): State<AppState>) -> Result<Json<serde_json::Value>, ApiError> {
    let publisher = state.publisher().ok_or(ApiError::NotPublishing)?;
    Ok(Json(publisher.well_known(&state.governor().tool_catalog())))
}
