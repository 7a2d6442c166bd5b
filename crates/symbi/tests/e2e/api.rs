//! The REST contract: shapes the official Python SDK parses, and the agent lifecycle.

use crate::util::{Project, Server, get, post, request, sdk_agent};

#[test]
fn health_probes_are_public() {
    let project = Project::new();
    let server = Server::start(&project);
    let health = get(&server.url("/api/v1/health"), None).json();
    assert_eq!(health["status"], "healthy");
    assert!(health["uptime_seconds"].is_u64());
    assert!(health["version"].is_string());
    assert!(health["timestamp"].as_str().unwrap().ends_with('Z'));
    assert_eq!(get(&server.url("/api/v1/health/live"), None).json()["status"], "live");
    assert_eq!(get(&server.url("/api/v1/health/ready"), None).json()["status"], "ready");
}

#[test]
fn agent_lifecycle_in_both_request_forms() {
    let project = Project::new();
    let server = Server::start(&project);
    let key = project.admin_key();
    let key = Some(key.as_str());

    let created = post(&server.url("/api/v1/agents"), key, &sdk_agent("sdk-agent"));
    assert_eq!((created.status, created.json()["id"].as_str()), (201, Some("sdk-agent")));
    let dsl = post(&server.url("/api/v1/agents"), key, r#"{"name":"from dsl","dsl":"agent x() {}"}"#);
    assert_eq!(dsl.status, 201, "{}", dsl.body);
    let generated = dsl.json()["id"].as_str().unwrap().to_owned();
    assert_eq!(generated.len(), 36, "a UUID");
    let dup = post(&server.url("/api/v1/agents"), key, &sdk_agent("sdk-agent"));
    assert_eq!((dup.status, dup.code().as_str()), (409, "AGENT_EXISTS"));

    // The SDK's `list_agents` expects a bare array of ids.
    assert_eq!(get(&server.url("/api/v1/agents"), key).json(), serde_json::json!(["sdk-agent", generated]));

    // The SDK validates `state` against idle/active/busy/error/stopped and needs these keys.
    let status = get(&server.url("/api/v1/agents/sdk-agent/status"), key).json();
    assert_eq!(status["agent_id"], "sdk-agent");
    assert_eq!(status["state"], "idle");
    assert!(status["last_activity"].is_string());
    assert_eq!(status["resource_usage"]["active_tasks"], 0);

    let updated = request("PUT", &server.url("/api/v1/agents/sdk-agent"), key, Some(r#"{"description":"new"}"#));
    assert_eq!(updated.json(), serde_json::json!({"id": "sdk-agent", "status": "updated"}));
    let empty = request("PUT", &server.url("/api/v1/agents/sdk-agent"), key, Some("{}"));
    assert_eq!((empty.status, empty.code().as_str()), (400, "INVALID_REQUEST"));

    let history = get(&server.url("/api/v1/agents/sdk-agent/history"), key).json();
    let statuses: Vec<&str> =
        history["history"].as_array().unwrap().iter().map(|h| h["status"].as_str().unwrap()).collect();
    assert_eq!(statuses, ["updated", "registered"]);
    let limited = get(&server.url("/api/v1/agents/sdk-agent/history?limit=1"), key).json();
    assert_eq!(limited["history"].as_array().unwrap().len(), 1);
    let bad_limit = get(&server.url("/api/v1/agents/sdk-agent/history?limit=0"), key);
    assert_eq!((bad_limit.status, bad_limit.code().as_str()), (400, "INVALID_REQUEST"));

    let deleted = request("DELETE", &server.url("/api/v1/agents/sdk-agent"), key, None);
    assert_eq!(deleted.json(), serde_json::json!({"id": "sdk-agent", "status": "deleted"}));
    for path in ["/api/v1/agents/sdk-agent/status", "/api/v1/agents/sdk-agent/history"] {
        let gone = get(&server.url(path), key);
        assert_eq!((gone.status, gone.code().as_str()), (404, "AGENT_NOT_FOUND"));
    }
    let again = request("DELETE", &server.url("/api/v1/agents/sdk-agent"), key, None);
    assert_eq!(again.status, 404);
}

#[test]
fn status_and_metrics_have_the_sdk_fields() {
    let project = Project::new();
    let server = Server::start(&project);
    let key = project.admin_key();
    post(&server.url("/api/v1/agents"), Some(&key), &sdk_agent("a"));
    let status = get(&server.url("/api/v1/status"), Some(&key)).json();
    assert_eq!(status["agent_count"], 1);
    assert_eq!(status["healthy"], true);
    let metrics = get(&server.url("/api/v1/metrics"), Some(&key)).json();
    for field in [
        "uptime_seconds",
        "memory_usage_bytes",
        "memory_usage_percent",
        "cpu_usage_percent",
        "disk_usage_bytes",
        "disk_usage_percent",
        "active_agents",
        "total_agents",
        "secrets_count",
        "mcp_connections",
        "vector_db_items",
    ] {
        assert!(metrics[field].is_number(), "{field} missing: {metrics}");
    }
    assert_eq!(metrics["total_agents"], 1);
    assert!(metrics["memory_usage_bytes"].as_u64().unwrap() > 1_000_000);
}

#[test]
fn unknown_routes_and_methods_answer_in_json() {
    let project = Project::new();
    let server = Server::start(&project);
    let key = project.admin_key();
    let missing = get(&server.url("/api/v1/nope"), Some(&key));
    assert_eq!((missing.status, missing.code().as_str()), (404, "NOT_FOUND"));
    let method = request("PATCH", &server.url("/api/v1/agents"), Some(&key), None);
    assert_eq!((method.status, method.code().as_str()), (405, "METHOD_NOT_ALLOWED"));
    let bad_id = get(&server.url("/api/v1/agents/..%2F/status"), Some(&key));
    assert_eq!((bad_id.status, bad_id.code().as_str()), (400, "INVALID_REQUEST"));
}

#[test]
fn openapi_document_is_served_and_committed() {
    let project = Project::new();
    let server = Server::start(&project);
    let served = get(&server.url("/api/v1/openapi.json"), None).json();
    let committed: serde_json::Value = serde_json::from_str(include_str!("../../../../docs/openapi.json")).unwrap();
    assert_eq!(served, committed, "docs/openapi.json is stale: run `symbi openapi > docs/openapi.json`");
    for path in ["/api/v1/agents", "/api/v1/agents/{id}/status", "/api/v1/health", "/api/v1/keys/{id}"] {
        assert!(served["paths"][path].is_object(), "{path} missing from the document");
    }
}

#[test]
fn agent_dsl_is_checked_before_it_is_stored() {
    let project = Project::new();
    let server = Server::start(&project);
    let key = project.admin_key();
    let body = serde_json::json!({"name": "bad", "dsl": "agent bad {\n    with sandbox = \"tier9\" {}\n}"}).to_string();
    let reply = post(&server.url("/api/v1/agents"), Some(&key), &body);
    assert_eq!((reply.status, reply.code().as_str()), (400, "INVALID_DSL"), "{}", reply.body);
    let diagnostic = &reply.json()["details"]["diagnostics"][0];
    assert_eq!((diagnostic["line"].as_u64(), diagnostic["column"].as_u64()), (Some(2), Some(20)));
    assert!(diagnostic["help"].as_str().unwrap().contains("gvisor"));
    assert_eq!(get(&server.url("/api/v1/agents"), Some(&key)).json(), serde_json::json!([]));

    let seed = include_str!("../../../symbi-dsl/tests/corpus/valid/seed_secure_analyst.symbi");
    let body = serde_json::json!({"id": "secure_analyst", "name": "secure_analyst", "dsl": seed}).to_string();
    assert_eq!(post(&server.url("/api/v1/agents"), Some(&key), &body).status, 201);
    let update = request("PUT", &server.url("/api/v1/agents/secure_analyst"), Some(&key), Some(r#"{"dsl":"agent {"}"#));
    assert_eq!((update.status, update.code().as_str()), (400, "INVALID_DSL"));
}
