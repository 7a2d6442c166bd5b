//! Hostile and careless clients: rate limits, body limits, malformed bodies, headers.

use proptest::prelude::*;

use crate::util::{Project, Server, get, post, request_with};

#[test]
fn rate_limit_answers_429_with_retry_after() {
    let project = Project::new();
    let server =
        Server::start_with(&project, &[("SYMBIONT_RATE_LIMIT_BURST", "5"), ("SYMBIONT_RATE_LIMIT_PER_SECOND", "1")]);
    let replies: Vec<_> = (0..12).map(|_| get(&server.url("/api/v1/health"), None)).collect();
    assert!(replies.iter().take(5).all(|r| r.status == 200));
    let limited = replies.iter().find(|r| r.status == 429).expect("no request was limited");
    assert_eq!(limited.code(), "RATE_LIMITED");
    let retry: u64 = limited.retry_after.as_deref().unwrap().parse().unwrap();
    assert!((1..=2).contains(&retry), "Retry-After {retry}");
}

#[test]
fn oversized_body_gets_413() {
    let project = Project::new();
    project.configure("[api]\nbody_limit_bytes = 1024\n");
    let server = Server::start(&project);
    let key = project.admin_key();
    let big = format!(r#"{{"name":"x","dsl":"{}"}}"#, "a".repeat(4096));
    let reply = post(&server.url("/api/v1/agents"), Some(&key), &big);
    assert_eq!((reply.status, reply.code().as_str()), (413, "BODY_TOO_LARGE"));
    assert!(reply.body.contains("1024"), "{}", reply.body);
    assert_eq!(get(&server.url("/api/v1/agents"), Some(&key)).json(), serde_json::json!([]));
}

#[test]
fn malformed_bodies_get_400_with_a_code() {
    let project = Project::new();
    let server = Server::start(&project);
    let key = project.admin_key();
    let url = server.url("/api/v1/agents");
    for (content_type, body, status, code) in [
        ("application/json", "{\"name\":", 400, "INVALID_JSON"),
        ("application/json", "", 400, "INVALID_JSON"),
        ("application/json", "[]", 400, "INVALID_REQUEST"),
        ("application/json", r#"{"name":"x","dsl":"y","surprise":1}"#, 400, "INVALID_REQUEST"),
        ("application/json", r#"{"name":"x","system_prompt":"y","max_tokens":-5}"#, 400, "INVALID_REQUEST"),
        ("text/plain", r#"{"name":"x","dsl":"y"}"#, 415, "UNSUPPORTED_MEDIA_TYPE"),
    ] {
        let reply = request_with("POST", &url, Some(&key), Some((content_type, body.as_bytes())));
        assert_eq!((reply.status, reply.code().as_str()), (status, code), "{body}");
    }
}

#[test]
fn every_response_carries_security_headers_and_a_request_id() {
    let project = Project::new();
    let server = Server::start(&project);
    let reply = get(&server.url("/api/v1/nope"), None);
    assert!(reply.request_id.is_some());
    let agent = crate::util::client();
    let response = agent.get(server.url("/api/v1/health")).header("x-request-id", "trace-123").call().unwrap();
    let h = response.headers();
    assert_eq!(h["x-request-id"], "trace-123");
    assert_eq!(h["x-content-type-options"], "nosniff");
    assert_eq!(h["x-frame-options"], "DENY");
    assert!(h["content-security-policy"].to_str().unwrap().contains("frame-ancestors 'none'"));
    assert_eq!(h["cache-control"], "no-store");
    assert!(h.get("access-control-allow-origin").is_none(), "no CORS unless configured");
}

#[test]
fn cors_allows_only_configured_origins() {
    let project = Project::new();
    let server = Server::start_with(&project, &[("SYMBIONT_CORS_ORIGINS", "https://console.example")]);
    let agent = crate::util::client();
    let allowed = agent.get(server.url("/api/v1/health")).header("origin", "https://console.example").call().unwrap();
    assert_eq!(allowed.headers()["access-control-allow-origin"], "https://console.example");
    let other = agent.get(server.url("/api/v1/health")).header("origin", "https://evil.example").call().unwrap();
    assert!(other.headers().get("access-control-allow-origin").is_none());
}

#[test]
fn forwarded_for_is_ignored_from_untrusted_peers() {
    // The loopback peer is not a trusted proxy, so spoofed X-Forwarded-For headers all land in
    // the same (loopback) bucket and are limited together.
    let project = Project::new();
    let server =
        Server::start_with(&project, &[("SYMBIONT_RATE_LIMIT_BURST", "3"), ("SYMBIONT_RATE_LIMIT_PER_SECOND", "1")]);
    let agent = crate::util::client();
    let statuses: Vec<u16> = (0..6)
        .map(|i| {
            let r = agent.get(server.url("/api/v1/health")).header("x-forwarded-for", format!("198.51.100.{i}"));
            r.call().unwrap().status().as_u16()
        })
        .collect();
    assert!(statuses.contains(&429), "{statuses:?}");
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1, ..ProptestConfig::default() })]

    /// Random bodies (bytes and JSON-ish text) never produce a 5xx, never stop the server, and
    /// never change the store except by the creations the server acknowledged.
    #[test]
    fn random_bodies_never_break_the_server(
        bodies in proptest::collection::vec(
            prop_oneof![
                proptest::collection::vec(any::<u8>(), 0..300),
                "\\{\"(id|name|dsl|system_prompt|tools|temperature|max_tokens)\":(\"[a-z-]{0,8}\"|-?[0-9]{1,12}|\\[\\]|null|true),\"(name|dsl)\":\"[a-z]{0,5}\"\\}"
                    .prop_map(String::into_bytes),
            ],
            150,
        )
    ) {
        let project = Project::new();
        let server = Server::start_with(&project, &[("SYMBIONT_RATE_LIMIT_BURST", "100000")]);
        let key = project.admin_key();
        let url = server.url("/api/v1/agents");
        let mut created = 0;
        for body in &bodies {
            let reply = request_with("POST", &url, Some(&key), Some(("application/json", body)));
            prop_assert!(reply.status == 201 || (400..500).contains(&reply.status), "{} {}", reply.status, reply.body);
            if reply.status == 201 { created += 1; } else { reply.code(); }
            let put = request_with("PUT", &server.url("/api/v1/agents/x"), Some(&key), Some(("application/json", body)));
            prop_assert!(put.status < 500, "{} {}", put.status, put.body);
        }
        let ids = get(&url, Some(&key)).json();
        prop_assert_eq!(ids.as_array().unwrap().len(), created);
    }
}
