//! Any bytes as a `POST /api/v1/policies/evaluate` body: decoding and field checks end in a typed
//! answer, never a panic, and only a JSON object with a principal, an action and a resource is
//! accepted.

#![no_main]

use libfuzzer_sys::fuzz_target;

/// Bodies past the API's default limit never reach the decoder.
const MAX_INPUT: usize = 1024 * 1024;

fuzz_target!(|data: &[u8]| {
    if data.len() > MAX_INPUT {
        return;
    }
    // The first byte picks the content type, so the media-type check is fuzzed too.
    let (content_type, body) = match data.split_first() {
        Some((0, rest)) => (None, rest),
        Some((1, rest)) => (Some("text/plain"), rest),
        Some((_, rest)) => (Some("application/json"), rest),
        None => (Some("application/json"), data),
    };
    let first = symbi_runtime::fuzzing::policy_evaluate_request(content_type, body);
    // Deterministic: the same input gets the same answer.
    assert_eq!(first, symbi_runtime::fuzzing::policy_evaluate_request(content_type, body));
    if first.is_ok() {
        let value: serde_json::Value = serde_json::from_slice(body).expect("accepted body is JSON");
        for field in ["principal", "action", "resource"] {
            assert!(value.get(field).is_some_and(serde_json::Value::is_string), "accepted a body without `{field}`");
        }
    }
});
