//! Agents defined in `.symbi`: `symbi up` registers `agents/*.symbi`, enforces their policy
//! blocks, keeps them in step with the files, and serves the SDK's per-agent Cedar routes.

use std::time::{Duration, Instant};

use serde_json::json;

use crate::util::{Project, Server, get, post, request, symbi};

const SEED: &str = include_str!("../../../symbi-dsl/tests/corpus/valid/seed_secure_analyst.symbi");

fn propose(server: &Server, key: &str, agent: &str, action: &serde_json::Value) -> serde_json::Value {
    let url = server.url(&format!("/api/v1/agents/{agent}/reasoning/cedar/evaluate"));
    let reply = post(&url, Some(key), &action.to_string());
    assert_eq!(reply.status, 200, "{}", reply.body);
    reply.json()
}

fn send_email() -> serde_json::Value {
    json!({"type": "tool_call", "call_id": "c1", "name": "send_email", "arguments": "{\"to\":\"a@b.c\"}"})
}

/// Polls `check` until it holds or five seconds pass.
fn eventually(what: &str, mut check: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(5);
    while !check() {
        assert!(Instant::now() < deadline, "{what} did not happen in time");
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn agent_files_are_registered_enforced_and_followed() {
    let project = Project::scaffolded();
    std::fs::write(project.path().join("agents/analyst.symbi"), SEED).unwrap();
    let server = Server::start(&project);
    let key = project.admin_key();
    let ids = get(&server.url("/api/v1/agents"), Some(&key)).json();
    assert!(ids.as_array().unwrap().contains(&json!("secure_analyst")), "{ids}");
    assert!(ids.as_array().unwrap().contains(&json!("hello")), "{ids}");

    // The seed's `deny: send_email without approval` holds the action for a person.
    let held = propose(&server, &key, "secure_analyst", &send_email());
    assert_eq!((held["decision"].as_str(), held["requires_approval"].as_bool()), (Some("deny"), Some(true)), "{held}");
    assert_eq!(held["policies"], json!(["secure_analyst.access_control.2"]));
    // Nothing else is allowed outright: default deny.
    let other = propose(&server, &key, "secure_analyst", &json!({"type": "tool_call", "name": "web_search"}));
    assert_eq!((other["decision"].as_str(), other["requires_approval"].as_bool()), (Some("deny"), Some(false)));
    let origins: Vec<String> = get(&server.url("/api/v1/policies"), Some(&key))
        .json()
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["origin"].as_str().unwrap().to_owned())
        .collect();
    assert!(origins.contains(&"agent:secure_analyst".to_owned()), "{origins:?}");

    // Removing the file removes the agent and its policies; a broken edit changes nothing.
    std::fs::write(project.path().join("agents/analyst.symbi"), "agent secure_analyst {\n").unwrap();
    std::thread::sleep(Duration::from_millis(1500));
    assert_eq!(get(&server.url("/api/v1/agents/secure_analyst/status"), Some(&key)).status, 200);
    std::fs::remove_file(project.path().join("agents/analyst.symbi")).unwrap();
    eventually("removal", || get(&server.url("/api/v1/agents/secure_analyst/status"), Some(&key)).status == 404);
}

#[test]
fn up_refuses_to_start_on_agent_files_with_errors() {
    let project = Project::scaffolded();
    std::fs::write(
        project.path().join("agents/bad.symbi"),
        "agent bad() {\n    policy p {\n        allow: read(x) if x.nope()\n    }\n}\n",
    )
    .unwrap();
    let out = symbi(&["up", "--port", "0", "--dir", project.path().to_str().unwrap()], &[]);
    assert_eq!(out.status.code(), Some(2), "{}", String::from_utf8_lossy(&out.stderr));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("agents/bad.symbi:3:"), "{stderr}");
}

#[test]
fn dsl_registered_over_the_api_governs_the_agent_it_registers() {
    let project = Project::scaffolded();
    let server = Server::start(&project);
    let key = project.admin_key();
    let body = json!({"name": "mailer", "dsl": "agent m() {\n    policy p {\n        allow: invoke_tool(\"search\")\n    }\n}\n"});
    let created = post(&server.url("/api/v1/agents"), Some(&key), &body.to_string());
    assert_eq!(created.status, 201, "{}", created.body);
    let id = created.json()["id"].as_str().unwrap().to_owned();
    let search = propose(&server, &key, &id, &json!({"type": "tool_call", "name": "search"}));
    assert_eq!(search["decision"], "allow", "{search}");
    assert_eq!(search["policies"], json!([format!("{id}.p.1")]));

    // A rule with no faithful Cedar form is refused with its position; nothing is stored.
    let bad = json!({"dsl": "agent m() {\n    policy p {\n        allow: read(x) if x.nope()\n    }\n}\n"});
    let reply = request("PUT", &server.url(&format!("/api/v1/agents/{id}")), Some(&key), Some(&bad.to_string()));
    assert_eq!((reply.status, reply.code().as_str()), (400, "INVALID_DSL"), "{}", reply.body);
    assert_eq!(reply.json()["details"]["diagnostics"][0]["line"], 3);
    assert_eq!(propose(&server, &key, &id, &json!({"type": "tool_call", "name": "search"}))["decision"], "allow");

    // Deleting the agent takes its policies with it.
    assert_eq!(request("DELETE", &server.url(&format!("/api/v1/agents/{id}")), Some(&key), None).status, 200);
    let listed = get(&server.url("/api/v1/policies"), Some(&key)).json();
    assert!(!listed.to_string().contains(&format!("agent:{id}")), "{listed}");
}

#[test]
fn per_agent_cedar_is_scoped_validated_listed_and_removed() {
    let project = Project::scaffolded();
    let server = Server::start(&project);
    let key = project.admin_key();
    let base = server.url("/api/v1/agents/hello/reasoning/cedar");
    assert_eq!(get(&base, Some(&key)).json(), json!([]));

    // An unconstrained principal is narrowed to the agent: it allows hello, nobody else.
    let policy = json!({"name": "search", "source": "permit(principal, action == Action::\"invoke_tool\", resource == Tool::\"search\");"});
    let added = post(&base, Some(&key), &policy.to_string());
    assert_eq!(added.status, 201, "{}", added.body);
    assert_eq!(propose(&server, &key, "hello", &json!({"type": "tool_call", "name": "search"}))["decision"], "allow");
    let create =
        post(&server.url("/api/v1/agents"), Some(&key), r#"{"id":"other","name":"other","dsl":"agent other() {}"}"#);
    assert_eq!(create.status, 201, "{}", create.body);
    assert_eq!(propose(&server, &key, "other", &json!({"type": "tool_call", "name": "search"}))["decision"], "deny");
    assert_eq!(get(&base, Some(&key)).json(), json!([{"name": "search", "source": policy["source"], "active": true}]));

    // Text naming another agent, or not validating, is refused with nothing changed.
    let foreign = json!({"name": "x", "source": "permit(principal == Agent::\"other\", action, resource);"});
    let reply = post(&base, Some(&key), &foreign.to_string());
    assert_eq!((reply.status, reply.code().as_str()), (400, "INVALID_POLICY"), "{}", reply.body);
    let invalid = json!({"name": "x", "source": "permit(principal, action, resource) when { resource.nope };"});
    assert_eq!(post(&base, Some(&key), &invalid.to_string()).status, 400);

    // Inactive policies are kept but not enforced; removal answers `removed`.
    let inactive = json!({"name": "search", "source": policy["source"], "active": false});
    assert_eq!(post(&base, Some(&key), &inactive.to_string()).status, 200);
    assert_eq!(propose(&server, &key, "hello", &json!({"type": "tool_call", "name": "search"}))["decision"], "deny");
    let removed = request("DELETE", &format!("{base}/search"), Some(&key), None);
    assert_eq!(removed.json(), json!({"removed": true}));
    assert_eq!(request("DELETE", &format!("{base}/search"), Some(&key), None).json(), json!({"removed": false}));
    let missing =
        post(&server.url("/api/v1/agents/nobody/reasoning/cedar/evaluate"), Some(&key), &send_email().to_string());
    assert_eq!(missing.status, 404);
    let bad_type = post(&server.url("/api/v1/agents/hello/reasoning/cedar/evaluate"), Some(&key), r#"{"type":"fly"}"#);
    assert_eq!((bad_type.status, bad_type.code().as_str()), (400, "INVALID_REQUEST"));
}

#[test]
fn dsl_cedar_prints_validated_policies_and_dsl_parse_prints_the_tree() {
    let project = Project::scaffolded();
    let hello = project.path().join("agents/hello.symbi");
    let out = symbi(&["dsl", "cedar", hello.to_str().unwrap()], &[]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let cedar = String::from_utf8(out.stdout).unwrap();
    assert!(cedar.contains("@id(\"hello.hello_policy.2\")\n@reason("), "{cedar}");
    assert!(cedar.contains("@approval"), "{cedar}");

    let bad = project.path().join("bad.symbi");
    std::fs::write(&bad, "agent bad() {\n    policy p {\n        allow: read(x) if x.nope()\n    }\n}\n").unwrap();
    let out = symbi(&["dsl", "cedar", bad.to_str().unwrap()], &[]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains(":3:"), "{}", String::from_utf8_lossy(&out.stderr));

    let out = symbi(&["dsl", "parse", "--json", hello.to_str().unwrap()], &[]);
    assert!(out.status.success());
    let tree: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(tree["version"], 1);
    assert_eq!(tree["ast"]["items"][1]["agent"]["name"]["name"], "hello", "{tree}");
    let out = symbi(&["dsl", "parse", hello.to_str().unwrap()], &[]);
    assert!(String::from_utf8(out.stdout).unwrap().contains("agent hello"));
}
