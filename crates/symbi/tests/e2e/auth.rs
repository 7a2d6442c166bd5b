//! The authentication matrix: who gets 401, 403 and 200.

use std::time::{Duration, Instant};

use crate::util::{Project, Server, get, post, request, sdk_agent};

#[test]
fn missing_malformed_and_wrong_keys_get_401() {
    let project = Project::new();
    let server = Server::start(&project);
    let admin = project.admin_key();
    let (id, secret) = admin.split_once('.').unwrap();
    let wrong_secret = format!("{id}.{}", secret.chars().rev().collect::<String>());
    let unknown_id = format!("ffffffffffffffff.{secret}");
    for token in [None, Some("garbage"), Some(""), Some(wrong_secret.as_str()), Some(unknown_id.as_str())] {
        let reply = get(&server.url("/api/v1/agents"), token);
        assert_eq!(reply.status, 401, "{token:?}: {}", reply.body);
        assert_eq!(reply.code(), "UNAUTHORIZED");
        // The SDK maps a 401 whose body says "expired" to a different error; ours never does.
        assert!(!reply.body.to_lowercase().contains("expired"));
    }
    assert_eq!(get(&server.url("/api/v1/agents"), Some(&admin)).status, 200);
}

#[test]
fn scoped_keys_reach_only_their_agents() {
    let project = Project::new();
    let server = Server::start(&project);
    let admin = project.admin_key();
    for id in ["mine", "theirs"] {
        assert_eq!(post(&server.url("/api/v1/agents"), Some(&admin), &sdk_agent(id)).status, 201);
    }
    let out = project.run(&["keys", "create", "--agent", "mine", "--description", "scoped"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let scoped = String::from_utf8(out.stdout).unwrap().trim().to_owned();
    // The CLI wrote to the store beside the running server; the server picks the key up.
    let deadline = Instant::now() + Duration::from_secs(2);
    while get(&server.url("/api/v1/agents"), Some(&scoped)).status == 401 {
        assert!(Instant::now() < deadline, "new key not accepted in time");
        std::thread::sleep(Duration::from_millis(20));
    }

    assert_eq!(get(&server.url("/api/v1/agents"), Some(&scoped)).json(), serde_json::json!(["mine"]));
    assert_eq!(get(&server.url("/api/v1/agents/mine/status"), Some(&scoped)).status, 200);
    let other = get(&server.url("/api/v1/agents/theirs/status"), Some(&scoped));
    assert_eq!((other.status, other.code().as_str()), (403, "AGENT_SCOPE_DENIED"));
    let history = get(&server.url("/api/v1/agents/theirs/history"), Some(&scoped));
    assert_eq!((history.status, history.code().as_str()), (403, "AGENT_SCOPE_DENIED"));
    for (method, path, body) in [
        ("POST", "/api/v1/agents", Some(sdk_agent("new").as_str())),
        ("DELETE", "/api/v1/agents/mine", None),
        ("PUT", "/api/v1/agents/mine", Some(r#"{"name":"x"}"#)),
        ("GET", "/api/v1/status", None),
        ("GET", "/api/v1/metrics", None),
        ("GET", "/api/v1/keys", None),
    ] {
        let reply = request(method, &server.url(path), Some(&scoped), body);
        assert_eq!((reply.status, reply.code().as_str()), (403, "ADMIN_REQUIRED"), "{method} {path}");
    }
    assert_eq!(get(&server.url("/api/v1/status"), Some(&admin)).status, 200);
}

#[test]
fn revoked_keys_get_401_whether_revoked_by_cli_or_api() {
    let project = Project::new();
    let server = Server::start(&project);
    let admin = project.admin_key();

    let created = post(&server.url("/api/v1/keys"), Some(&admin), r#"{"description":"temp"}"#);
    assert_eq!(created.status, 201, "{}", created.body);
    let token = created.json()["token"].as_str().unwrap().to_owned();
    let key_id = created.json()["key_id"].as_str().unwrap().to_owned();
    assert_eq!(get(&server.url("/api/v1/agents"), Some(&token)).status, 200);
    let revoked = request("DELETE", &server.url(&format!("/api/v1/keys/{key_id}")), Some(&admin), None);
    assert_eq!(revoked.json()["status"], "revoked");
    // Revocation over the API applies to the very next request.
    assert_eq!(get(&server.url("/api/v1/agents"), Some(&token)).status, 401);

    let out = project.run(&["keys", "create", "--json"]);
    let created: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let token = created["token"].as_str().unwrap().to_owned();
    let deadline = Instant::now() + Duration::from_secs(2);
    while get(&server.url("/api/v1/agents"), Some(&token)).status != 200 {
        assert!(Instant::now() < deadline, "new key not accepted in time");
        std::thread::sleep(Duration::from_millis(20));
    }
    let out = project.run(&["keys", "revoke", created["key_id"].as_str().unwrap()]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    // Revocation from another process applies within the reload interval (250 ms).
    let revoked_at = Instant::now();
    while get(&server.url("/api/v1/agents"), Some(&token)).status != 401 {
        assert!(revoked_at.elapsed() < Duration::from_secs(1), "revoked key still accepted");
        std::thread::sleep(Duration::from_millis(10));
    }
}

#[test]
fn environment_token_is_admin_only_when_set() {
    let project = Project::new();
    let server = Server::start_with(&project, &[("SYMBIONT_API_TOKEN", "env-admin-token")]);
    assert_eq!(get(&server.url("/api/v1/status"), Some("env-admin-token")).status, 200);
    assert_eq!(get(&server.url("/api/v1/status"), Some("env-admin-tokem")).status, 401);
    drop(server);
    let server = Server::start_with(&project, &[("SYMBIONT_API_TOKEN", "")]);
    assert_eq!(get(&server.url("/api/v1/status"), Some("")).status, 401);
}
