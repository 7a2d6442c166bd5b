//! Request bodies: axum's `Json` extractor answers bad input in plain text, so ours wraps the same
//! steps and answers in the API's JSON error shape. [`decode`] is the whole untrusted-input path
//! (content type, then bytes to a typed request) and is what the property tests and fuzz target
//! drive.

use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::{HeaderMap, StatusCode, header};
use serde::de::DeserializeOwned;

use super::error::ApiError;

/// A JSON request body decoded into `T`, or an [`ApiError`] the client can act on.
#[derive(Debug)]
pub(crate) struct ApiJson<T>(pub(crate) T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        let content_type = content_type(req.headers()).map(str::to_owned);
        let limit_hint = body_limit(&req);
        let bytes = Bytes::from_request(req, state).await.map_err(|rejection| {
            if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
                ApiError::BodyTooLarge { limit: limit_hint }
            } else {
                ApiError::InvalidRequest { message: format!("cannot read request body: {rejection}"), details: None }
            }
        })?;
        decode(content_type.as_deref(), &bytes).map(ApiJson)
    }
}

/// Decodes a request body. Accepts `application/json` and `application/*+json`, with or without
/// parameters such as `charset=utf-8`.
///
/// Fails with `UnsupportedMediaType` for other or missing content types, `InvalidJson` for
/// malformed JSON, and `InvalidRequest` (naming the field and position) for JSON of the wrong
/// shape.
pub(crate) fn decode<T: DeserializeOwned>(content_type: Option<&str>, bytes: &[u8]) -> Result<T, ApiError> {
    if !content_type.is_some_and(is_json) {
        return Err(ApiError::UnsupportedMediaType);
    }
    serde_json::from_slice(bytes).map_err(|e| {
        let message = e.to_string();
        match e.classify() {
            serde_json::error::Category::Data => ApiError::InvalidRequest { message, details: None },
            serde_json::error::Category::Io
            | serde_json::error::Category::Syntax
            | serde_json::error::Category::Eof => ApiError::InvalidJson { message },
        }
    })
}

fn content_type(headers: &HeaderMap) -> Option<&str> {
    headers.get(header::CONTENT_TYPE)?.to_str().ok()
}

fn is_json(content_type: &str) -> bool {
    let essence = content_type.split(';').next().unwrap_or_default().trim().to_ascii_lowercase();
    essence == "application/json" || (essence.starts_with("application/") && essence.ends_with("+json"))
}

/// The limit in force, for the error message; set by the router as an extension.
fn body_limit(req: &Request) -> usize {
    req.extensions().get::<BodyLimit>().map_or(0, |l| l.0)
}

/// The configured body limit, carried to the extractor so its 413 can say what the limit is.
#[derive(Debug, Clone, Copy)]
pub(crate) struct BodyLimit(pub(crate) usize);

#[cfg(test)]
mod tests {
    use proptest::prelude::*;
    use serde::Deserialize;

    use super::*;

    #[derive(Debug, Deserialize, PartialEq)]
    #[serde(deny_unknown_fields)]
    struct Probe {
        name: String,
        count: Option<u32>,
    }

    fn code(result: Result<Probe, ApiError>) -> &'static str {
        match result {
            Ok(_) => "OK",
            Err(ApiError::InvalidJson { .. }) => "INVALID_JSON",
            Err(ApiError::InvalidRequest { .. }) => "INVALID_REQUEST",
            Err(ApiError::UnsupportedMediaType) => "UNSUPPORTED_MEDIA_TYPE",
            Err(other) => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn decoding_cases() {
        let json = Some("application/json");
        for (content_type, body, expected) in [
            (json, r#"{"name":"a"}"#, "OK"),
            (Some("application/json; charset=utf-8"), r#"{"name":"a","count":3}"#, "OK"),
            (Some("application/vnd.symbi+json"), r#"{"name":"a"}"#, "OK"),
            (Some("text/plain"), r#"{"name":"a"}"#, "UNSUPPORTED_MEDIA_TYPE"),
            (None, r#"{"name":"a"}"#, "UNSUPPORTED_MEDIA_TYPE"),
            (json, r#"{"name":"a""#, "INVALID_JSON"),
            (json, "", "INVALID_JSON"),
            (json, r#"{"name":"a"} trailing"#, "INVALID_JSON"),
            (json, r#"{"count":1}"#, "INVALID_REQUEST"),
            (json, r#"{"name":"a","extra":1}"#, "INVALID_REQUEST"),
            (json, r#"{"name":"a","count":-1}"#, "INVALID_REQUEST"),
            (json, r#"[1,2]"#, "INVALID_REQUEST"),
        ] {
            assert_eq!(code(decode(content_type, body.as_bytes())), expected, "{content_type:?} {body}");
        }
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_stack_overflow() {
        let body = format!("{}1{}", "[".repeat(100_000), "]".repeat(100_000));
        let result = decode::<serde_json::Value>(Some("application/json"), body.as_bytes());
        assert!(matches!(result, Err(ApiError::InvalidJson { .. })), "{result:?}");
    }

    proptest! {
        /// Any bytes at all decode to a value or a client error; never a panic, never a 5xx.
        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
            let _ = code(decode(Some("application/json"), &bytes));
        }

        /// Well-formed requests survive encoding and decoding unchanged.
        #[test]
        fn valid_requests_round_trip(name in ".{0,64}", count in proptest::option::of(any::<u32>())) {
            let body = serde_json::json!({ "name": name, "count": count }).to_string();
            let probe: Probe = decode(Some("application/json"), body.as_bytes()).unwrap();
            prop_assert_eq!(probe, Probe { name, count });
        }
    }
}
