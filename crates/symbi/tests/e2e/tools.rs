//! Governed tool execution over REST: a ToolClad manifest, an agent whose DSL holds the tool for
//! approval, and the whole approval flow (approve, deny, timeout) ending in an evidence envelope
//! or a refusal with nothing run.

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::util::{Project, Server, get, post};

pub(crate) const SEND_EMAIL: &str = r#"[tool]
name = "send_email"
version = "1"
binary = "echo"
description = "Pretend to send an email: prints the recipient"
risk_tier = "medium"
timeout_seconds = 10

[tool.cedar]
resource = "Tool"
action = "execute_tool"

[args.to]
type = "string"
required = true
description = "Recipient"

[command]
exec = ["echo", "sent to", "{to}"]

[output]
format = "text"
"#;

pub(crate) const MAILER: &str =
    "agent mailer() {\n    policy mail {\n        deny: send_email without approval\n    }\n}\n";

fn project() -> Project {
    let project = Project::new();
    project.configure("[approvals]\ntimeout_secs = 3\n");
    std::fs::write(project.path().join("tools/send_email.clad.toml"), SEND_EMAIL).unwrap();
    std::fs::write(project.path().join("agents/mailer.symbi"), MAILER).unwrap();
    project
}

/// Starts `POST /tools/send_email/execute` for `agent` on another thread.
fn send(server: &Server, key: &str, agent: &str, to: &str) -> std::thread::JoinHandle<crate::util::Reply> {
    let (url, key) = (server.url("/api/v1/tools/send_email/execute"), key.to_owned());
    let body = json!({"agent_id": agent, "arguments": {"to": to}}).to_string();
    std::thread::spawn(move || post(&url, Some(&key), &body))
}

/// Waits until exactly one action is held and returns it.
fn held(server: &Server, key: &str) -> serde_json::Value {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let pending = get(&server.url("/api/v1/approvals"), Some(key)).json();
        if let Some(first) = pending.as_array().and_then(|a| a.first()) {
            return first.clone();
        }
        assert!(Instant::now() < deadline, "nothing was held");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn a_dsl_hold_runs_the_tool_only_once_a_person_approves() {
    let project = project();
    let server = Server::start(&project);
    let key = project.admin_key();
    let tools = get(&server.url("/api/v1/tools"), Some(&key)).json();
    let names: Vec<&str> = tools.as_array().unwrap().iter().map(|t| t["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["count_lines", "file_hash", "search_text", "send_email"], "{tools}");

    let call = send(&server, &key, "mailer", "ops@example.com");
    let hold = held(&server, &key);
    assert_eq!(hold["principal"], "Agent::\"mailer\"");
    assert_eq!(hold["action"], "execute_tool");
    assert_eq!(hold["resource"], "Tool::\"send_email\"");
    assert_eq!(hold["policies"], json!(["mailer.mail.1"]));
    assert!(!project.path().join(".symbi/evidence").exists(), "nothing runs before approval");
    let id = hold["id"].as_str().unwrap();
    assert_eq!(post(&server.url(&format!("/api/v1/approvals/{id}/approve")), Some(&key), "").status, 200);
    let reply = call.join().unwrap();
    assert_eq!(reply.status, 200, "{}", reply.body);
    let envelope = reply.json();
    assert_eq!((envelope["status"].as_str(), envelope["exit_code"].as_i64()), (Some("success"), Some(0)), "{envelope}");
    assert!(envelope.to_string().contains("sent to ops@example.com"), "{envelope}");
    assert!(project.path().join(".symbi/evidence").is_dir());
}

#[test]
fn a_refused_or_unanswered_hold_runs_nothing() {
    let project = project();
    let server = Server::start(&project);
    let key = project.admin_key();

    let call = send(&server, &key, "mailer", "ops@example.com");
    let id = held(&server, &key)["id"].as_str().unwrap().to_owned();
    assert_eq!(post(&server.url(&format!("/api/v1/approvals/{id}/deny")), Some(&key), "").status, 200);
    let reply = call.join().unwrap();
    assert_eq!((reply.status, reply.code().as_str()), (403, "NOT_APPROVED"), "{}", reply.body);

    let started = Instant::now();
    let reply = send(&server, &key, "mailer", "ops@example.com").join().unwrap();
    assert_eq!((reply.status, reply.code().as_str()), (403, "APPROVAL_TIMED_OUT"), "{}", reply.body);
    assert!(started.elapsed() >= Duration::from_secs(3));
    assert!(!project.path().join(".symbi/evidence").exists(), "nothing ran");
}

#[test]
fn default_deny_bad_arguments_and_unknown_tools_are_refused_at_once() {
    let project = project();
    let server = Server::start(&project);
    let key = project.admin_key();
    let created =
        post(&server.url("/api/v1/agents"), Some(&key), r#"{"id":"other","name":"other","dsl":"agent other() {}"}"#);
    assert_eq!(created.status, 201, "{}", created.body);

    let denied = send(&server, &key, "other", "ops@example.com").join().unwrap();
    assert_eq!((denied.status, denied.code().as_str()), (403, "POLICY_DENIED"), "{}", denied.body);
    let hostile = send(&server, &key, "mailer", "a@b.c; rm -rf /").join().unwrap();
    assert_eq!((hostile.status, hostile.code().as_str()), (400, "INVALID_REQUEST"), "{}", hostile.body);
    let unknown =
        post(&server.url("/api/v1/tools/nope/execute"), Some(&key), r#"{"agent_id":"mailer","arguments":{}}"#);
    assert_eq!((unknown.status, unknown.code().as_str()), (404, "TOOL_NOT_FOUND"), "{}", unknown.body);
    assert_eq!(get(&server.url("/api/v1/approvals"), Some(&key)).json(), json!([]));
    assert!(!project.path().join(".symbi/evidence").exists(), "nothing ran");
}

#[test]
fn tools_are_described_and_dry_run_without_running() {
    let project = project();
    let server = Server::start(&project);
    let key = project.admin_key();
    let detail = get(&server.url("/api/v1/tools/send_email"), Some(&key)).json();
    assert_eq!(
        (detail["name"].as_str(), detail["risk_tier"].as_str()),
        (Some("send_email"), Some("medium")),
        "{detail}"
    );
    assert!(detail["manifest_hash"].as_str().unwrap().starts_with("sha256:"));
    assert!(detail["cedar_template"].as_str().unwrap().contains("Tool::\"send_email\""));
    let schema = get(&server.url("/api/v1/tools/send_email/schema"), Some(&key)).json();
    assert_eq!(schema["inputSchema"]["properties"]["to"]["type"], "string", "{schema}");
    assert_eq!(get(&server.url("/api/v1/tools/nope/schema"), Some(&key)).status, 404);

    let body = json!({"agent_id": "mailer", "arguments": {"to": "ops@example.com"}}).to_string();
    let dry = post(&server.url("/api/v1/tools/send_email/test"), Some(&key), &body);
    assert_eq!(dry.status, 200, "{}", dry.body);
    let dry = dry.json();
    assert_eq!(dry["argv"], json!(["echo", "sent to", "ops@example.com"]));
    assert_eq!(
        (dry["decision"].as_str(), dry["policies"].clone()),
        (Some("require_approval"), json!(["mailer.mail.1"]))
    );
    assert_eq!(get(&server.url("/api/v1/approvals"), Some(&key)).json(), json!([]), "a dry run holds nothing");
    assert!(!project.path().join(".symbi/evidence").exists(), "a dry run runs nothing");
}

#[test]
fn the_scaffold_tools_run_once_policy_allows_them() {
    let project = Project::scaffolded();
    std::fs::write(
        project.path().join("policies/read-only-tools.cedar"),
        "permit(principal == Agent::\"hello\", action == Action::\"execute_tool\", resource in ToolSet::\"read_only\");\n",
    )
    .unwrap();
    let server = Server::start(&project);
    let key = project.admin_key();
    let body = json!({"agent_id": "hello", "arguments": {"path": "symbiont.toml"}}).to_string();
    let hashed = post(&server.url("/api/v1/tools/file_hash/execute"), Some(&key), &body);
    assert_eq!(hashed.status, 200, "{}", hashed.body);
    assert_eq!(hashed.json()["status"], "success", "{}", hashed.body);
    let counted = post(&server.url("/api/v1/tools/count_lines/execute"), Some(&key), &body);
    assert_eq!(counted.json()["exit_code"], 0, "{}", counted.body);
    let outside = json!({"agent_id": "hello", "arguments": {"path": "../../etc/passwd"}}).to_string();
    assert_eq!(post(&server.url("/api/v1/tools/file_hash/execute"), Some(&key), &outside).status, 400);
}

#[test]
fn a_manifest_is_validated_over_http_without_being_installed() {
    let project = project();
    let server = Server::start(&project);
    let key = project.admin_key();
    let url = server.url("/api/v1/tools/validate");
    let draft = SEND_EMAIL.replace("send_email", "draft_mail");
    let valid = post(&url, Some(&key), &json!({"manifest": draft, "name": "draft_mail.clad.toml"}).to_string());
    assert_eq!(valid.status, 200, "{}", valid.body);
    let valid = valid.json();
    assert_eq!((valid["valid"].as_bool(), valid["tool"]["name"].as_str()), (Some(true), Some("draft_mail")), "{valid}");
    assert_eq!(valid["problems"], json!([]));

    // Two problems the manifest loader finds in one pass: an unknown placeholder and a timeout
    // out of range.
    let broken = draft.replace("{to}", "{too}").replace("timeout_seconds = 10", "timeout_seconds = 0");
    let invalid =
        post(&url, Some(&key), &json!({"manifest": broken, "name": "draft_mail.clad.toml"}).to_string()).json();
    assert_eq!(invalid["valid"], false, "{invalid}");
    let problems = invalid["problems"].as_array().unwrap();
    assert!(problems.len() >= 2, "every problem: {invalid}");
    assert!(
        problems.iter().all(|p| p["file"] == "tools/draft_mail.clad.toml" && p["line"].as_u64().unwrap() > 1),
        "{invalid}"
    );
    assert_eq!(invalid["tool"], Value::Null);

    let names = get(&server.url("/api/v1/tools"), Some(&key)).json();
    assert!(!names.to_string().contains("draft_mail"), "nothing is installed: {names}");
    assert_eq!(post(&url, None, r#"{"manifest": ""}"#).status, 401);
    let sneaky = post(&url, Some(&key), &json!({"manifest": draft, "name": "../x"}).to_string());
    assert_eq!((sneaky.status, sneaky.code().as_str()), (400, "INVALID_REQUEST"), "{}", sneaky.body);
}

#[test]
fn reload_swaps_the_catalog_whole_or_keeps_the_old_one() {
    let project = project();
    let server = Server::start(&project);
    let key = project.admin_key();
    let reload = server.url("/api/v1/tools/reload");
    let names = |server: &Server| -> Vec<String> {
        let tools = get(&server.url("/api/v1/tools"), Some(&key)).json();
        tools.as_array().unwrap().iter().map(|t| t["name"].as_str().unwrap().to_owned()).collect()
    };
    let before = names(&server);

    std::fs::write(project.path().join("tools/draft_mail.clad.toml"), SEND_EMAIL.replace("send_email", "draft_mail"))
        .unwrap();
    let reloaded = post(&reload, Some(&key), "");
    assert_eq!(reloaded.status, 200, "{}", reloaded.body);
    assert_eq!(reloaded.json()["tools"].as_u64(), Some(before.len() as u64 + 1));
    assert!(names(&server).contains(&"draft_mail".to_owned()));

    std::fs::write(project.path().join("tools/broken.clad.toml"), "[tool]\nname = \"broken\"\n").unwrap();
    let refused = post(&reload, Some(&key), "");
    assert_eq!((refused.status, refused.code().as_str()), (400, "INVALID_MANIFEST"), "{}", refused.body);
    let problems = &refused.json()["details"]["problems"];
    assert!(problems.to_string().contains("broken.clad.toml"), "{problems}");
    assert!(names(&server).contains(&"draft_mail".to_owned()), "the old catalog stays in force");
}

#[test]
fn the_runtime_follows_the_tool_files() {
    let project = project();
    project.configure("[policy]\nreload_interval_ms = 50\n");
    let server = Server::start(&project);
    let key = project.admin_key();
    let has = |name: &str| get(&server.url(&format!("/api/v1/tools/{name}")), Some(&key)).status == 200;
    let eventually = |name: &str, want: bool| {
        let deadline = Instant::now() + Duration::from_secs(10);
        while has(name) != want {
            assert!(Instant::now() < deadline, "`{name}` present = {want} never happened");
            std::thread::sleep(Duration::from_millis(100));
        }
    };
    // The poll loop starts just after the address is printed; let it take its first look.
    std::thread::sleep(Duration::from_millis(500));
    std::fs::write(project.path().join("tools/draft_mail.clad.toml"), SEND_EMAIL.replace("send_email", "draft_mail"))
        .unwrap();
    eventually("draft_mail", true);
    // An invalid scope file is refused; the catalog in force stays.
    std::fs::create_dir_all(project.path().join("scope")).unwrap();
    std::fs::write(project.path().join("scope/scope.toml"), "targets = [\"not an address\"]\n").unwrap();
    std::fs::remove_file(project.path().join("tools/draft_mail.clad.toml")).unwrap();
    std::thread::sleep(Duration::from_millis(500));
    assert!(has("draft_mail"), "an invalid change keeps the old catalog");
    std::fs::remove_file(project.path().join("scope/scope.toml")).unwrap();
    eventually("draft_mail", false);
}
