//! Middleware every request passes: a request id (echoed in `x-request-id`, on the log span and
//! in 5xx bodies), security headers on every response, and the request timeout.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use axum::extract::{Request, State};
use axum::http::{HeaderName, HeaderValue, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use tracing::Instrument;

use super::error::ApiError;

/// The request id header, read from trusted callers and always set on responses.
pub(crate) const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

tokio::task_local! {
    static CURRENT_ID: Arc<str>;
}

/// The id of the request this task is serving, if any.
pub(crate) fn current_request_id() -> Option<String> {
    CURRENT_ID.try_with(|id| id.to_string()).ok()
}

/// Assigns the request id, wraps the handler in a log span, and adds security headers.
pub(crate) async fn request_context(req: Request, next: Next) -> Response {
    let id: Arc<str> = incoming_id(&req).unwrap_or_else(new_id).into();
    let span = tracing::debug_span!("request", id = %id, method = %req.method(), path = %req.uri().path());
    let mut response = CURRENT_ID.scope(Arc::clone(&id), next.run(req).instrument(span.clone())).await;
    let status = response.status();
    span.in_scope(|| tracing::debug!(status = status.as_u16(), "answered"));
    let headers = response.headers_mut();
    if let Ok(value) = HeaderValue::from_str(&id) {
        headers.insert(REQUEST_ID, value);
    }
    for (name, value) in SECURITY_HEADERS {
        headers.insert(name, HeaderValue::from_static(value));
    }
    response
}

/// Headers for a JSON API that no browser should render, frame, sniff or cache.
const SECURITY_HEADERS: [(HeaderName, &str); 6] = [
    (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
    (header::X_FRAME_OPTIONS, "DENY"),
    (header::CONTENT_SECURITY_POLICY, "default-src 'none'; frame-ancestors 'none'"),
    (header::REFERRER_POLICY, "no-referrer"),
    (header::CACHE_CONTROL, "no-store"),
    (header::STRICT_TRANSPORT_SECURITY, "max-age=63072000; includeSubDomains"),
];

/// Answers 503 `REQUEST_TIMEOUT` when the handler runs past the limit.
///
/// Dropping the handler does not undo store writes already handed to the blocking pool; those
/// complete and are durable even though the client saw a timeout.
pub(crate) async fn timeout(State(limit): State<Duration>, req: Request, next: Next) -> Response {
    match tokio::time::timeout(limit, next.run(req)).await {
        Ok(response) => response,
        Err(_) => ApiError::Timeout.into_response(),
    }
}

/// Keeps a caller's own id when it is short and plain, so ids can follow a request across
/// services; anything else is replaced rather than logged.
fn incoming_id(req: &Request) -> Option<String> {
    let value = req.headers().get(REQUEST_ID)?.to_str().ok()?;
    let plain = (1..=64).contains(&value.len())
        && value.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'));
    plain.then(|| value.to_owned())
}

/// A process-random prefix plus a counter: unique, cheap, and not guessable across restarts.
fn new_id() -> String {
    static PREFIX: OnceLock<String> = OnceLock::new();
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let prefix = PREFIX.get_or_init(|| uuid::Uuid::new_v4().simple().to_string().chars().take(12).collect());
    format!("{prefix}-{:x}", COUNTER.fetch_add(1, Ordering::Relaxed))
}

#[cfg(test)]
mod tests {
    use axum::Router;
    use axum::body::Body;
    use axum::routing::get;
    use tower::ServiceExt;

    use super::*;

    #[tokio::test(start_paused = true)]
    async fn slow_handlers_are_answered_with_a_json_503() {
        let app = Router::new()
            .route("/slow", get(|| tokio::time::sleep(Duration::from_secs(60))))
            .layer(axum::middleware::from_fn_with_state(Duration::from_secs(1), timeout))
            .layer(axum::middleware::from_fn(request_context));
        let response = app.oneshot(Request::get("/slow").body(Body::empty()).unwrap()).await.unwrap();
        assert_eq!(response.status(), axum::http::StatusCode::SERVICE_UNAVAILABLE);
        assert!(response.headers().contains_key(REQUEST_ID));
        let body = axum::body::to_bytes(response.into_body(), 1024).await.unwrap();
        let body: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(body["code"], "REQUEST_TIMEOUT");
    }

    #[test]
    fn incoming_ids_are_kept_only_when_plain() {
        let with = |id: &str| Request::get("/").header(REQUEST_ID, id).body(Body::empty()).unwrap();
        assert_eq!(incoming_id(&with("abc-123_x.y")).as_deref(), Some("abc-123_x.y"));
        assert_eq!(incoming_id(&with("has space")), None);
        assert_eq!(incoming_id(&with(&"a".repeat(65))), None);
        assert_ne!(new_id(), new_id());
    }
}
