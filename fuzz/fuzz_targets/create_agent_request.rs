//! Any bytes as a `POST /api/v1/agents` body: the decode-and-check path ends in a typed answer,
//! never a panic, and only ever accepts a JSON object that names the agent.

#![no_main]

use libfuzzer_sys::fuzz_target;

/// Bodies past the API's default limit never reach the decoder.
const MAX_INPUT: usize = 1024 * 1024;

fuzz_target!(|data: &[u8]| {
    if data.len() > MAX_INPUT {
        return;
    }
    let (content_type, body) = symbi_runtime::fuzzing::content_type_and_body(data);
    let first = symbi_runtime::fuzzing::create_agent_request(content_type, body);
    // Deterministic: the same input gets the same answer.
    assert_eq!(first, symbi_runtime::fuzzing::create_agent_request(content_type, body));
    if first.is_ok() {
        let value: serde_json::Value = serde_json::from_slice(body).expect("accepted body is JSON");
        let name = value.get("name").and_then(serde_json::Value::as_str).expect("accepted body has a name");
        assert!(!name.trim().is_empty(), "accepted an empty name");
    }
});
