//! Every failure the REST API can answer with, and the one place that maps each to a status and a
//! stable upper-snake `code`. Bodies are always `{"error", "code", "details"}`.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::Value;

use super::layers::current_request_id;
use super::wire::ErrorResponse;
use crate::store::StoreError;

/// A failed request, as the client will see it.
#[derive(Debug)]
pub(crate) enum ApiError {
    /// The body is not JSON at all (syntax error, truncated).
    InvalidJson { message: String },
    /// The JSON is well-formed but does not fit the request's shape or limits.
    InvalidRequest { message: String, details: Option<Value> },
    /// The body is not `application/json`.
    UnsupportedMediaType,
    /// The body is over the configured limit.
    BodyTooLarge { limit: usize },
    /// No valid credentials. Deliberately the same for every cause.
    Unauthorized,
    /// A scoped key on an admin route.
    AdminRequired,
    /// A scoped key on an agent outside its scope.
    AgentScopeDenied { agent: String },
    /// No such agent.
    AgentNotFound { agent: String },
    /// No such API key.
    KeyNotFound { key: String },
    /// An agent's `.symbi` source has errors; nothing was stored.
    InvalidDsl { message: String, diagnostics: Vec<Value> },
    /// Policy text that does not parse or validate; nothing changed.
    InvalidPolicy { message: String, problems: Vec<symbi_policy::PolicyProblem> },
    /// Tool manifests (or `toolclad.toml`, or the scope file) that do not load; nothing changed.
    InvalidManifest { message: String, problems: Vec<Value> },
    /// No such managed policy.
    PolicyNotFound { name: String },
    /// No communication rule with this id.
    RuleNotFound { id: String },
    /// No held action with this id.
    ApprovalNotFound { id: String },
    /// The held action was already approved, denied or timed out.
    AlreadyResolved { id: String },
    /// No manifest defines this tool.
    ToolNotFound { name: String },
    /// A secret the tool call references is not set for its agent or the project; nothing ran.
    SecretNotSet { message: String },
    /// The Governor refused the action: policy denied it, a person refused it, or nobody approved
    /// it in time. Nothing ran.
    Refused { code: &'static str, message: String, policies: Vec<String> },
    /// No such route.
    RouteNotFound { method: String, path: String },
    /// The route exists but not for this method.
    MethodNotAllowed,
    /// An agent with this id exists.
    AgentExists { agent: String },
    /// Over the per-client rate limit.
    RateLimited { retry_after_secs: u64 },
    /// The request ran past the configured timeout.
    Timeout,
    /// The runtime is starting or draining.
    NotReady,
    /// The audit log cannot record the action, so it was not done (fail closed); details go to
    /// the log.
    AuditUnavailable,
    /// No audit record has this id.
    EventNotFound { id: String },
    /// The runtime has no SchemaPin publisher key.
    NotPublishing,
    /// An AgentPin credential presented with the request did not verify.
    CredentialRefused { code: String, message: String },
    /// The store failed; details go to the log, not the client.
    Store(StoreError),
    /// Something else inside the runtime failed; details go to the log.
    Internal { context: &'static str },
}

impl ApiError {
    fn status_and_code(&self) -> (StatusCode, &'static str) {
        match self {
            Self::InvalidJson { .. } => (StatusCode::BAD_REQUEST, "INVALID_JSON"),
            Self::InvalidRequest { .. } => (StatusCode::BAD_REQUEST, "INVALID_REQUEST"),
            Self::UnsupportedMediaType => (StatusCode::UNSUPPORTED_MEDIA_TYPE, "UNSUPPORTED_MEDIA_TYPE"),
            Self::BodyTooLarge { .. } => (StatusCode::PAYLOAD_TOO_LARGE, "BODY_TOO_LARGE"),
            Self::Unauthorized => (StatusCode::UNAUTHORIZED, "UNAUTHORIZED"),
            Self::AdminRequired => (StatusCode::FORBIDDEN, "ADMIN_REQUIRED"),
            Self::AgentScopeDenied { .. } => (StatusCode::FORBIDDEN, "AGENT_SCOPE_DENIED"),
            Self::AgentNotFound { .. } => (StatusCode::NOT_FOUND, "AGENT_NOT_FOUND"),
            Self::KeyNotFound { .. } => (StatusCode::NOT_FOUND, "KEY_NOT_FOUND"),
            Self::InvalidDsl { .. } => (StatusCode::BAD_REQUEST, "INVALID_DSL"),
            Self::InvalidPolicy { .. } => (StatusCode::BAD_REQUEST, "INVALID_POLICY"),
            Self::InvalidManifest { .. } => (StatusCode::BAD_REQUEST, "INVALID_MANIFEST"),
            Self::PolicyNotFound { .. } => (StatusCode::NOT_FOUND, "POLICY_NOT_FOUND"),
            Self::RuleNotFound { .. } => (StatusCode::NOT_FOUND, "RULE_NOT_FOUND"),
            Self::ApprovalNotFound { .. } => (StatusCode::NOT_FOUND, "APPROVAL_NOT_FOUND"),
            Self::AlreadyResolved { .. } => (StatusCode::CONFLICT, "ALREADY_RESOLVED"),
            Self::ToolNotFound { .. } => (StatusCode::NOT_FOUND, "TOOL_NOT_FOUND"),
            Self::SecretNotSet { .. } => (StatusCode::CONFLICT, "SECRET_NOT_SET"),
            Self::Refused { code, .. } => (StatusCode::FORBIDDEN, code),
            Self::RouteNotFound { .. } => (StatusCode::NOT_FOUND, "NOT_FOUND"),
            Self::MethodNotAllowed => (StatusCode::METHOD_NOT_ALLOWED, "METHOD_NOT_ALLOWED"),
            Self::AgentExists { .. } => (StatusCode::CONFLICT, "AGENT_EXISTS"),
            Self::RateLimited { .. } => (StatusCode::TOO_MANY_REQUESTS, "RATE_LIMITED"),
            Self::Timeout => (StatusCode::SERVICE_UNAVAILABLE, "REQUEST_TIMEOUT"),
            Self::NotReady => (StatusCode::SERVICE_UNAVAILABLE, "NOT_READY"),
            Self::AuditUnavailable => (StatusCode::SERVICE_UNAVAILABLE, "AUDIT_UNAVAILABLE"),
            Self::EventNotFound { .. } => (StatusCode::NOT_FOUND, "EVENT_NOT_FOUND"),
            Self::NotPublishing => (StatusCode::NOT_FOUND, "NOT_PUBLISHING"),
            Self::CredentialRefused { .. } => (StatusCode::UNAUTHORIZED, "CREDENTIAL_REFUSED"),
            Self::Store(_) => (StatusCode::INTERNAL_SERVER_ERROR, "STORE_UNAVAILABLE"),
            Self::Internal { .. } => (StatusCode::INTERNAL_SERVER_ERROR, "INTERNAL"),
        }
    }

    fn message(&self) -> String {
        match self {
            Self::InvalidJson { message } => format!("request body is not valid JSON: {message}"),
            Self::InvalidRequest { message, .. } => message.clone(),
            Self::UnsupportedMediaType => "request body must be JSON".to_owned(),
            Self::BodyTooLarge { limit } => format!("request body is larger than the {limit}-byte limit"),
            Self::Unauthorized => "missing or invalid API key".to_owned(),
            Self::AdminRequired => "this route needs an admin API key".to_owned(),
            Self::AgentScopeDenied { agent } => format!("this API key is not scoped to agent `{agent}`"),
            Self::AgentNotFound { agent } => format!("no agent `{agent}`"),
            Self::KeyNotFound { key } => format!("no API key `{key}`"),
            Self::InvalidDsl { message, .. }
            | Self::InvalidPolicy { message, .. }
            | Self::InvalidManifest { message, .. } => message.clone(),
            Self::PolicyNotFound { name } => format!("no managed policy `{name}`"),
            Self::RuleNotFound { id } => format!("no communication rule `{id}`"),
            Self::ApprovalNotFound { id } => format!("no held action `{id}`"),
            Self::AlreadyResolved { id } => format!("held action `{id}` was already approved, denied or timed out"),
            Self::ToolNotFound { name } => format!("no tool `{name}`"),
            Self::SecretNotSet { message } => message.clone(),
            Self::Refused { message, .. } => message.clone(),
            Self::RouteNotFound { method, path } => format!("no route for `{method} {path}`"),
            Self::MethodNotAllowed => "this route does not accept that method".to_owned(),
            Self::AgentExists { agent } => format!("agent `{agent}` already exists"),
            Self::RateLimited { retry_after_secs } => {
                format!("too many requests from this client; retry in {retry_after_secs} s")
            }
            Self::Timeout => "the request took too long and was abandoned".to_owned(),
            Self::NotReady => "the runtime is not ready".to_owned(),
            Self::AuditUnavailable => {
                "the audit log cannot record the action, so it was not done; see the runtime's log".to_owned()
            }
            Self::EventNotFound { id } => format!("no audit record `{id}`"),
            Self::CredentialRefused { message, .. } => format!("the AgentPin credential was refused: {message}"),
            Self::NotPublishing => {
                "this runtime publishes no SchemaPin key; create one with `symbi schemapin keygen` and restart"
                    .to_owned()
            }
            Self::Store(_) => "the store could not complete the request".to_owned(),
            Self::Internal { context } => format!("the runtime failed while {context}"),
        }
    }

    fn details(&self) -> Option<Value> {
        match self {
            Self::InvalidRequest { details, .. } => details.clone(),
            Self::InvalidDsl { diagnostics, .. } => Some(serde_json::json!({ "diagnostics": diagnostics })),
            Self::Refused { policies, .. } => Some(serde_json::json!({ "policies": policies })),
            Self::CredentialRefused { code, .. } => Some(serde_json::json!({ "agentpin_code": code })),
            Self::InvalidManifest { problems, .. } => Some(serde_json::json!({ "problems": problems })),
            Self::InvalidPolicy { problems, .. } => {
                let problems: Vec<_> = problems
                    .iter()
                    .map(|p| serde_json::json!({"origin": p.origin, "line": p.line, "column": p.column, "message": p.message}))
                    .collect();
                Some(serde_json::json!({ "problems": problems }))
            }
            // Server-side failures give the client only the request id to quote; the cause is in
            // the log under that id.
            Self::Store(_) | Self::Internal { .. } | Self::AuditUnavailable => {
                current_request_id().map(|id| serde_json::json!({ "request_id": id }))
            }
            Self::InvalidJson { .. }
            | Self::UnsupportedMediaType
            | Self::BodyTooLarge { .. }
            | Self::Unauthorized
            | Self::AdminRequired
            | Self::AgentScopeDenied { .. }
            | Self::AgentNotFound { .. }
            | Self::KeyNotFound { .. }
            | Self::PolicyNotFound { .. }
            | Self::RuleNotFound { .. }
            | Self::ApprovalNotFound { .. }
            | Self::AlreadyResolved { .. }
            | Self::ToolNotFound { .. }
            | Self::SecretNotSet { .. }
            | Self::EventNotFound { .. }
            | Self::NotPublishing
            | Self::RouteNotFound { .. }
            | Self::MethodNotAllowed
            | Self::AgentExists { .. }
            | Self::RateLimited { .. }
            | Self::Timeout
            | Self::NotReady => None,
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        Self::Store(e)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, code) = self.status_and_code();
        if let Self::Store(e) = &self {
            tracing::error!(error = %e, code, "store failed while serving a request");
        } else if status.is_server_error() {
            tracing::warn!(error = %self.message(), code, "request failed");
        }
        let body = ErrorResponse { error: self.message(), code, details: self.details() };
        let body = serde_json::to_vec(&body)
            .unwrap_or_else(|_| br#"{"error":"internal error","code":"INTERNAL","details":null}"#.to_vec());
        let mut response = (status, body).into_response();
        let headers = response.headers_mut();
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
        if matches!(self, Self::Unauthorized) {
            headers.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        if let Self::RateLimited { retry_after_secs } = self {
            headers.insert(header::RETRY_AFTER, HeaderValue::from(retry_after_secs));
        }
        response
    }
}
