//! The Governor over REST: policies from files and the API, reloads, dry-run decisions, and the
//! communication gate.

use std::time::{Duration, Instant};

use crate::util::{Project, Server, get, post, request, symbi};

fn evaluate(server: &Server, key: &str, principal: &str, action: &str, resource: &str) -> serde_json::Value {
    let body = serde_json::json!({ "principal": principal, "action": action, "resource": resource }).to_string();
    let reply = post(&server.url("/api/v1/policies/evaluate"), Some(key), &body);
    assert_eq!(reply.status, 200, "{}", reply.body);
    reply.json()
}

#[test]
fn scaffolded_policies_are_in_force_and_default_deny_holds() {
    let project = Project::new();
    let server = Server::start(&project);
    let key = project.admin_key();
    let listed = get(&server.url("/api/v1/policies"), Some(&key)).json();
    assert_eq!(listed[0]["id"], "policies/default.cedar#1");
    assert_eq!(listed[0]["effect"], "forbid");

    let shell = evaluate(&server, &key, r#"Agent::"any""#, "tool_call", r#"Tool::"shell_exec""#);
    assert_eq!(shell["decision"], "deny");
    assert_eq!(shell["policies"], serde_json::json!(["policies/default.cedar#1"]));
    let other = evaluate(&server, &key, r#"Agent::"any""#, "invoke_tool", r#"Tool::"search""#);
    assert_eq!(other["decision"], "deny");
    assert!(other["reason"].as_str().unwrap().ends_with("(default deny)"));

    let bad = post(
        &server.url("/api/v1/policies/evaluate"),
        Some(&key),
        r#"{"principal":"Agent::\"a\"","action":"fly","resource":"Tool::\"t\""}"#,
    );
    assert_eq!((bad.status, bad.code().as_str()), (400, "INVALID_REQUEST"));
}

#[test]
fn managed_policies_are_validated_whole_and_take_effect_at_once() {
    let project = Project::new();
    let server = Server::start(&project);
    let key = project.admin_key();
    post(&server.url("/api/v1/agents"), Some(&key), &crate::util::sdk_agent("planner-01"));

    let invalid = post(
        &server.url("/api/v1/policies"),
        Some(&key),
        r#"{"name":"tiers","source":"permit(principal, action, resource)\n  when { principal.sandbox_teir >= 1 };"}"#,
    );
    assert_eq!((invalid.status, invalid.code().as_str()), (400, "INVALID_POLICY"));
    let problem = &invalid.json()["details"]["problems"][0];
    assert_eq!((problem["origin"].as_str(), problem["line"].as_u64()), (Some("api:tiers"), Some(2)));
    assert_eq!(get(&server.url("/api/v1/policies"), Some(&key)).json().as_array().unwrap().len(), 1);

    let source = r#"@id("tier-one-tools") permit(principal, action == Action::"invoke_tool", resource) when { principal.sandbox_tier >= 1 };"#;
    let body = serde_json::json!({ "name": "tiers", "source": source }).to_string();
    let created = post(&server.url("/api/v1/policies"), Some(&key), &body);
    assert_eq!(created.status, 201, "{}", created.body);
    assert_eq!(created.json()["policies"], serde_json::json!(["tier-one-tools"]));
    let allowed = evaluate(&server, &key, r#"Agent::"planner-01""#, "invoke_tool", r#"Tool::"search""#);
    assert_eq!(allowed["decision"], "allow", "{allowed}");
    // The scaffold's forbid still wins, and an unregistered agent has no attributes to satisfy
    // the condition.
    assert_eq!(
        evaluate(&server, &key, r#"Agent::"planner-01""#, "invoke_tool", r#"Tool::"shell_exec""#)["decision"],
        "deny"
    );
    assert_eq!(evaluate(&server, &key, r#"Agent::"ghost""#, "invoke_tool", r#"Tool::"search""#)["decision"], "deny");

    // Managed policies survive a restart.
    drop(server);
    let server = Server::start(&project);
    assert_eq!(
        evaluate(&server, &key, r#"Agent::"planner-01""#, "invoke_tool", r#"Tool::"search""#)["decision"],
        "allow"
    );
    let deleted = request("DELETE", &server.url("/api/v1/policies/tiers"), Some(&key), None);
    assert_eq!(deleted.json()["status"], "deleted");
    assert_eq!(
        evaluate(&server, &key, r#"Agent::"planner-01""#, "invoke_tool", r#"Tool::"search""#)["decision"],
        "deny"
    );
    let missing = request("DELETE", &server.url("/api/v1/policies/tiers"), Some(&key), None);
    assert_eq!((missing.status, missing.code().as_str()), (404, "POLICY_NOT_FOUND"));
}

#[test]
fn policy_files_reload_and_an_invalid_edit_keeps_the_old_set() {
    let project = Project::new();
    project.configure("[policy]\nreload_interval_ms = 50\n[groups]\ntools = { approved = [\"search\"] }\n");
    let server = Server::start(&project);
    let key = project.admin_key();
    post(&server.url("/api/v1/agents"), Some(&key), &crate::util::sdk_agent("a1"));
    let approved = || evaluate(&server, &key, r#"Agent::"a1""#, "invoke_tool", r#"Tool::"search""#)["decision"].clone();
    assert_eq!(approved(), "deny");

    let file = project.path().join("policies/approved.cedar");
    std::fs::write(&file, "permit(principal, action == Action::\"invoke_tool\", resource in ToolSet::\"approved\");")
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(5);
    while approved() != "allow" {
        assert!(Instant::now() < deadline, "new policy file never took effect");
        std::thread::sleep(Duration::from_millis(20));
    }

    std::fs::write(&file, "permit(principal, action, resource) when { nonsense };").unwrap();
    std::thread::sleep(Duration::from_millis(400));
    assert_eq!(approved(), "allow", "an invalid edit must leave the previous set in force");
    let reload = post(&server.url("/api/v1/policies/reload"), Some(&key), "");
    assert_eq!((reload.status, reload.code().as_str()), (400, "INVALID_POLICY"));
}

#[test]
fn up_refuses_to_start_on_invalid_policies() {
    let project = Project::new();
    std::fs::write(
        project.path().join("policies/broken.cedar"),
        "permit(principal, action, resource)\nwhen { principal.nope };",
    )
    .unwrap();
    let out = symbi(&["up", "--port", "0", "--dir", project.path().to_str().unwrap()], &[]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("policies/broken.cedar:2:"), "{stderr}");
}

#[test]
fn communication_gate_uses_the_seed_rules() {
    let project = Project::new();
    project.configure(
        r#"
[[communication_policy.rules]]
from = "worker-*"
to   = "planner"
action = "delegate"
effect = "deny"
reason = "Workers cannot delegate tasks to the planner"

[[communication_policy.rules]]
from = "planner"
to   = "worker-*"
action = "delegate"
effect = "allow"
max_depth = 2
"#,
    );
    let server = Server::start(&project);
    let key = project.admin_key();
    let ask = |sender: &str, recipient: &str, depth: u32| {
        let body = serde_json::json!({"sender": sender, "recipient": recipient, "action": "delegate", "delegation_depth": depth});
        post(&server.url("/api/v1/communication/evaluate"), Some(&key), &body.to_string()).json()
    };
    let denied = ask("worker-1", "planner", 1);
    assert_eq!(
        denied,
        serde_json::json!({"allowed": false, "rule": "config-0", "reason": "Workers cannot delegate tasks to the planner"})
    );
    assert_eq!(ask("planner", "worker-1", 2)["allowed"], true);
    assert_eq!(ask("planner", "worker-1", 3)["allowed"], false);
    assert_eq!(ask("auditor", "planner", 1)["rule"], serde_json::Value::Null);
    let rules = get(&server.url("/api/v1/communication/rules"), Some(&key)).json();
    assert_eq!(rules[1]["max_depth"], 2);

    // Rules added over the API (the SDK's shape) apply at once and survive a restart.
    let added = post(
        &server.url("/api/v1/communication/rules"),
        Some(&key),
        r#"{"from_agent":"auditor","to_agent":"*","action":"send_message","effect":"allow","reason":"auditors may ask anyone","priority":1}"#,
    );
    assert_eq!(added.status, 201, "{}", added.body);
    let id = added.json()["id"].as_str().unwrap().to_owned();
    let message = |sender: &str| {
        let body = serde_json::json!({"sender": sender, "recipient": "planner", "action": "send_message"});
        post(&server.url("/api/v1/communication/evaluate"), Some(&key), &body.to_string()).json()
    };
    assert_eq!(message("auditor")["rule"], id.as_str());
    drop(server);
    let server = Server::start(&project);
    let key = project.admin_key();
    let body = serde_json::json!({"sender": "auditor", "recipient": "planner", "action": "send_message"}).to_string();
    let after = post(&server.url("/api/v1/communication/evaluate"), Some(&key), &body).json();
    assert_eq!(after["allowed"], true);
    let config_rule = request("DELETE", &server.url("/api/v1/communication/rules/config-0"), Some(&key), None);
    assert_eq!((config_rule.status, config_rule.code().as_str()), (400, "INVALID_REQUEST"));
    let removed = request("DELETE", &server.url(&format!("/api/v1/communication/rules/{id}")), Some(&key), None);
    assert_eq!(removed.json()["status"], "removed");
    let again = request("DELETE", &server.url(&format!("/api/v1/communication/rules/{id}")), Some(&key), None);
    assert_eq!((again.status, again.code().as_str()), (404, "RULE_NOT_FOUND"));
    let bad = post(&server.url("/api/v1/communication/rules"), Some(&key), r#"{"from_agent":"[","to_agent":"b"}"#);
    assert_eq!((bad.status, bad.code().as_str()), (400, "INVALID_REQUEST"));
}

#[test]
fn approval_routes_are_admin_only_and_answer_in_our_codes() {
    let project = Project::new();
    let server = Server::start(&project);
    let key = project.admin_key();
    assert_eq!(get(&server.url("/api/v1/approvals"), Some(&key)).json(), serde_json::json!([]));
    let missing = post(&server.url("/api/v1/approvals/nope/approve"), Some(&key), "");
    assert_eq!((missing.status, missing.code().as_str()), (404, "APPROVAL_NOT_FOUND"));
    let out = crate::util::symbi(&["keys", "create", "--agent", "a", "--dir", project.path().to_str().unwrap()], &[]);
    let scoped = String::from_utf8(out.stdout).unwrap().trim().to_owned();
    let deadline = Instant::now() + Duration::from_secs(2);
    loop {
        let reply = get(&server.url("/api/v1/approvals"), Some(&scoped));
        if reply.status == 403 {
            assert_eq!(reply.code(), "ADMIN_REQUIRED");
            break;
        }
        assert!(Instant::now() < deadline, "scoped key never recognised");
        std::thread::sleep(Duration::from_millis(20));
    }
}
