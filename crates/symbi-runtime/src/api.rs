//! The REST API under `/api/v1`: routes, the shared state they read, and the layers every request
//! passes (outermost first): request id and security headers, CORS, per-IP rate limit, timeout,
//! body limit. Authentication is per route, through the [`caller::Caller`] extractor.

mod agent_policies;
mod agents;
mod approvals;
mod audit;
mod caller;
mod client_ip;
mod communication;
mod error;
mod json;
mod keys;
mod layers;

pub(crate) use self::layers::current_request_id;
mod policies;
mod rate_limit;
mod system;
mod tools;
mod wire;

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use axum::extract::{DefaultBodyLimit, Request};
use axum::http::{HeaderName, HeaderValue, Method, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Extension, Json, Router, middleware};
use tower_http::cors::{AllowOrigin, CorsLayer};
use utoipa::OpenApi;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};

use self::error::ApiError;
use self::json::BodyLimit;
use self::rate_limit::RateLimiter;
use crate::auth::Authenticator;
use crate::config::ApiConfig;
use crate::governor::Governor;
use crate::resources::Resources;
use crate::store::Store;

const TAG_SYSTEM: &str = "system";
const TAG_AGENTS: &str = "agents";
const TAG_KEYS: &str = "keys";
const TAG_POLICIES: &str = "policies";
const TAG_AUDIT: &str = "audit";

/// What every handler can reach. Cheap to clone.
#[derive(Debug, Clone)]
pub(crate) struct AppState(Arc<Shared>);

#[derive(Debug)]
struct Shared {
    store: Arc<dyn Store>,
    auth: Arc<Authenticator>,
    governor: Arc<Governor>,
    started: Instant,
    draining: AtomicBool,
    resources: Resources,
    publisher: Option<Arc<crate::publisher::Publisher>>,
}

impl AppState {
    pub(crate) fn new(
        store: Arc<dyn Store>,
        auth: Arc<Authenticator>,
        governor: Arc<Governor>,
        data_dir: &Path,
        publisher: Option<crate::publisher::Publisher>,
    ) -> Self {
        Self(Arc::new(Shared {
            store,
            auth,
            governor,
            started: Instant::now(),
            draining: AtomicBool::new(false),
            resources: Resources::new(data_dir),
            publisher: publisher.map(Arc::new),
        }))
    }

    fn store(&self) -> &dyn Store {
        &*self.0.store
    }

    fn auth(&self) -> &Authenticator {
        &self.0.auth
    }

    fn governor(&self) -> &Governor {
        &self.0.governor
    }

    fn publisher(&self) -> Option<&crate::publisher::Publisher> {
        self.0.publisher.as_deref()
    }

    fn uptime(&self) -> Duration {
        self.0.started.elapsed()
    }

    fn resources(&self) -> &Resources {
        &self.0.resources
    }

    fn is_draining(&self) -> bool {
        self.0.draining.load(Ordering::Relaxed)
    }

    /// Marks the runtime as shutting down: readiness answers 503 from now on.
    pub(crate) fn start_draining(&self) {
        self.0.draining.store(true, Ordering::Relaxed);
    }
}

/// Builds the router, and the rate limiter whose sweeper the server must run.
pub(crate) fn router(state: AppState, config: &ApiConfig) -> (Router, RateLimiter) {
    let limiter = RateLimiter::new(config.rate_limit, &config.trusted_proxies);
    let api = Router::new()
        .route("/health", get(system::health))
        .route("/health/live", get(system::live))
        .route("/health/ready", get(system::ready))
        .route("/status", get(system::status))
        .route("/metrics", get(system::metrics))
        .route("/agents", get(agents::list).post(agents::create))
        .route("/agents/{id}", axum::routing::put(agents::update).delete(agents::delete))
        .route("/agents/{id}/status", get(agents::status))
        .route("/agents/{id}/history", get(agents::history))
        .route("/agents/{id}/reasoning/cedar", get(agent_policies::list).post(agent_policies::add))
        .route("/agents/{id}/reasoning/cedar/evaluate", axum::routing::post(agent_policies::evaluate))
        .route("/agents/{id}/reasoning/cedar/{name}", axum::routing::delete(agent_policies::remove))
        .route("/keys", get(keys::list).post(keys::create))
        .route("/keys/{id}", axum::routing::delete(keys::revoke))
        .route("/policies", get(policies::list).post(policies::put))
        .route("/policies/reload", axum::routing::post(policies::reload))
        .route("/policies/evaluate", axum::routing::post(policies::evaluate))
        .route("/policies/{name}", axum::routing::delete(policies::delete))
        .route("/tools", get(tools::list))
        .route("/tools/validate", axum::routing::post(tools::validate))
        .route("/tools/reload", axum::routing::post(tools::reload))
        .route("/tools/{name}", get(tools::show))
        .route("/tools/{name}/schema", get(tools::schema))
        .route("/tools/{name}/test", axum::routing::post(tools::test))
        .route("/tools/{name}/execute", axum::routing::post(tools::execute))
        .route("/approvals", get(approvals::list))
        .route("/approvals/{id}/approve", axum::routing::post(approvals::approve))
        .route("/approvals/{id}/deny", axum::routing::post(approvals::deny))
        .route("/audit", get(audit::list))
        .route("/audit/checkpoint", get(audit::checkpoint))
        .route("/audit/archive", axum::routing::post(audit::archive))
        .route("/audit/proof/{event_id}", get(audit::proof))
        .route("/communication/rules", get(communication::rules).post(communication::add))
        .route("/communication/rules/{id}", axum::routing::delete(communication::remove))
        .route("/communication/evaluate", axum::routing::post(communication::evaluate))
        .route("/openapi.json", get(openapi_json))
        .method_not_allowed_fallback(method_not_allowed);
    let mut app = Router::new()
        .nest("/api/v1", api)
        .route("/.well-known/schemapin.json", get(system::schemapin_well_known))
        .fallback(not_found)
        .with_state(state)
        .layer(DefaultBodyLimit::max(config.body_limit_bytes))
        .layer(Extension(BodyLimit(config.body_limit_bytes)))
        .layer(middleware::from_fn_with_state(config.request_timeout, layers::timeout))
        .layer(middleware::from_fn_with_state(limiter.clone(), rate_limit::limit));
    if let Some(cors) = cors(&config.cors_origins) {
        app = app.layer(cors);
    }
    (app.layer(middleware::from_fn(layers::request_context)), limiter)
}

/// CORS for the configured origins only; none configured means no CORS headers at all, so
/// browsers refuse cross-origin calls.
fn cors(origins: &[String]) -> Option<CorsLayer> {
    let origins: Vec<HeaderValue> = origins.iter().filter_map(|o| HeaderValue::from_str(o).ok()).collect();
    if origins.is_empty() {
        return None;
    }
    Some(
        CorsLayer::new()
            .allow_origin(AllowOrigin::list(origins))
            .allow_methods([Method::GET, Method::POST, Method::PUT, Method::DELETE])
            .allow_headers([header::AUTHORIZATION, header::CONTENT_TYPE])
            .expose_headers([HeaderName::from_static("x-request-id"), header::RETRY_AFTER])
            .max_age(Duration::from_secs(600)),
    )
}

async fn not_found(req: Request) -> ApiError {
    ApiError::RouteNotFound { method: req.method().to_string(), path: req.uri().path().to_owned() }
}

async fn method_not_allowed() -> ApiError {
    ApiError::MethodNotAllowed
}

/// The OpenAPI 3.1 document for this API, generated from the handlers. Public.
async fn openapi_json() -> Response {
    Json(openapi()).into_response()
}

/// The API description, built from the route and type annotations.
pub fn openapi() -> utoipa::openapi::OpenApi {
    let mut doc = ApiDoc::openapi();
    doc.info.version = crate::VERSION.to_owned();
    if let Some(components) = doc.components.as_mut() {
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("keyid.secret")
                    .description(Some("An API key from `symbi keys create`."))
                    .build(),
            ),
        );
    }
    doc
}

#[derive(OpenApi)]
#[openapi(
    info(title = "symbi runtime API", description = "Agents propose; the runtime decides and acts."),
    paths(
        system::health, system::live, system::ready, system::status, system::metrics,
        agents::list, agents::create, agents::status, agents::update, agents::delete, agents::history,
        keys::list, keys::create, keys::revoke,
        policies::list, policies::put, policies::delete, policies::reload, policies::evaluate,
        agent_policies::list, agent_policies::add, agent_policies::remove, agent_policies::evaluate,
        communication::rules, communication::evaluate, communication::add, communication::remove,
        approvals::list, approvals::approve, approvals::deny,
        tools::list, tools::show, tools::schema, tools::test, tools::execute, tools::validate, tools::reload,
        audit::list, audit::checkpoint, audit::proof, audit::archive,
    ),
    components(schemas(wire::ErrorResponse)),
    tags(
        (name = TAG_SYSTEM, description = "Health, status and metrics"),
        (name = TAG_AGENTS, description = "Agent registry"),
        (name = TAG_KEYS, description = "API key management (admin)"),
        (name = TAG_POLICIES, description = "Cedar policy and the communication gate (admin)"),
        (name = TAG_AUDIT, description = "The tamper-evident audit log: records, checkpoints, proofs (admin)"),
    )
)]
struct ApiDoc;

/// Hooks for the fuzz targets; not part of the supported API.
#[cfg(feature = "fuzzing")]
pub mod fuzzing {
    /// Splits fuzz input into a content type (picked by the first byte, so the media-type check
    /// is fuzzed too: 0 none, 1 `text/plain`, 2 JSON with parameters, else plain JSON) and a body.
    pub fn content_type_and_body(data: &[u8]) -> (Option<&'static str>, &[u8]) {
        match data.split_first() {
            Some((0, rest)) => (None, rest),
            Some((1, rest)) => (Some("text/plain"), rest),
            Some((2, rest)) => (Some("application/vnd.symbi+json; charset=utf-8"), rest),
            Some((_, rest)) => (Some("application/json"), rest),
            None => (Some("application/json"), data),
        }
    }

    /// Runs an agent-creation body through everything `POST /api/v1/agents` does before touching
    /// the store: content type, JSON decoding, field checks.
    pub fn create_agent_request(content_type: Option<&str>, body: &[u8]) -> Result<(), &'static str> {
        let request =
            super::json::decode::<super::wire::CreateAgentRequest>(content_type, body).map_err(|_| "decode")?;
        super::agents::parse_create(request).map(drop).map_err(|_| "fields")
    }

    /// Runs a `POST /api/v1/policies/evaluate` body through its decoding and checks; an accepted
    /// body gives the request policy would decide.
    pub fn policy_evaluate_request(
        content_type: Option<&str>,
        body: &[u8],
    ) -> Result<symbi_policy::PolicyRequest, &'static str> {
        let request = super::json::decode::<super::wire::EvaluateRequest>(content_type, body).map_err(|_| "decode")?;
        super::policies::parse_request(&request).map_err(|_| "fields")
    }
}
