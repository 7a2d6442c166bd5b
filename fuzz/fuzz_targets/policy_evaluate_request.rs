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
    let (content_type, body) = symbi_runtime::fuzzing::content_type_and_body(data);
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
