//! The audit log end to end: every door of a running runtime writes a record (authentication
//! failures, key management, agent lifecycle, decisions, tool outcomes), the REST routes page and
//! prove them, and `symbi audit` reads, exports, verifies, proves and replays the same log while
//! the runtime holds it and after it stops.

use std::collections::BTreeSet;

use serde_json::{Value, json};

use crate::util::{Project, Server, get, post};

/// A scaffolded project whose `hello` agent may run the read-only tools.
fn project() -> Project {
    let project = Project::scaffolded();
    std::fs::write(
        project.path().join("policies/read-only-tools.cedar"),
        "permit(principal == Agent::\"hello\", action == Action::\"execute_tool\", resource in ToolSet::\"read_only\");\n",
    )
    .unwrap();
    project
}

fn stdout(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Every record over REST, following `next` with small pages.
fn all_records(server: &Server, key: &str, query: &str) -> Vec<Value> {
    let mut records = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let cursor = after.as_ref().map(|a| format!("&after={a}")).unwrap_or_default();
        let page = get(&server.url(&format!("/api/v1/audit?limit=3{query}{cursor}")), Some(key));
        assert_eq!(page.status, 200, "{}", page.body);
        let page = page.json();
        records.extend(page["records"].as_array().unwrap().iter().cloned());
        match page["next"].as_str() {
            Some(next) => after = Some(next.to_owned()),
            None => return records,
        }
    }
}

#[test]
fn every_door_writes_and_the_log_proves_itself() {
    let project = project();
    let server = Server::start(&project);
    let key = project.admin_key();

    // An authentication failure, a key issued, an agent registered, an allowed tool run and a
    // refused one.
    let secret = format!("{}c0ff", "c0ffee".repeat(10));
    let bad_token = format!("0123456789abcdef.{secret}");
    assert_eq!(get(&server.url("/api/v1/agents"), Some(&bad_token)).status, 401);
    assert_eq!(post(&server.url("/api/v1/keys"), Some(&key), r#"{"description":"ci"}"#).status, 201);
    let created =
        post(&server.url("/api/v1/agents"), Some(&key), r#"{"id":"other","name":"other","dsl":"agent other() {}"}"#);
    assert_eq!(created.status, 201, "{}", created.body);
    let body = json!({"agent_id": "hello", "arguments": {"path": "symbiont.toml"}}).to_string();
    assert_eq!(post(&server.url("/api/v1/tools/file_hash/execute"), Some(&key), &body).status, 200);
    let refused = json!({"agent_id": "other", "arguments": {"path": "symbiont.toml"}}).to_string();
    assert_eq!(post(&server.url("/api/v1/tools/file_hash/execute"), Some(&key), &refused).status, 403);

    let records = all_records(&server, &key, "");
    let kinds: BTreeSet<&str> = records.iter().map(|r| r["kind"].as_str().unwrap()).collect();
    for kind in ["auth_failure", "key_management", "agent_lifecycle", "decision", "execution_outcome"] {
        assert!(kinds.contains(kind), "no {kind} record in {records:#?}");
    }
    assert!(!serde_json::to_string(&records).unwrap().contains(&secret), "no secret is recorded");
    let failure = records.iter().find(|r| r["kind"] == "auth_failure").unwrap();
    assert_eq!(failure["principal"], "ApiKey::\"0123456789abcdef\"", "{failure}");
    let outcome = records.iter().find(|r| r["kind"] == "execution_outcome").unwrap();
    assert_eq!((outcome["agent"].as_str(), outcome["outcome"].as_str()), (Some("hello"), Some("success")), "{outcome}");
    assert!(outcome["duration_ms"].is_u64(), "{outcome}");
    let denies = all_records(&server, &key, "&decision=deny");
    assert_eq!(denies.len(), 1, "{denies:#?}");
    assert_eq!(
        (denies[0]["agent"].as_str(), denies[0]["resource"].as_str()),
        (Some("other"), Some("Tool::\"file_hash\""))
    );
    assert_eq!(get(&server.url("/api/v1/audit?decision=maybe"), Some(&key)).status, 400);

    // A proof over HTTP checks offline; an altered copy does not.
    let id = denies[0]["event_id"].as_str().unwrap();
    let proof = get(&server.url(&format!("/api/v1/audit/proof/{id}")), Some(&key));
    assert_eq!(proof.status, 200, "{}", proof.body);
    let proof_file = project.path().join("proof.json");
    std::fs::write(&proof_file, &proof.body).unwrap();
    let checked = project.run(&["audit", "proof", "--verify", proof_file.to_str().unwrap()]);
    assert!(checked.status.success(), "{}", stdout(&checked));
    let mut altered = proof.json();
    altered["record"]["decision"] = json!("allow");
    std::fs::write(&proof_file, altered.to_string()).unwrap();
    let checked = project.run(&["audit", "proof", "--verify", proof_file.to_str().unwrap()]);
    assert_eq!(checked.status.code(), Some(2), "an altered record is refused: {}", stdout(&checked));
    assert_eq!(get(&server.url("/api/v1/audit/proof/evt_00000000000fffff"), Some(&key)).status, 404);
    let checkpoint = get(&server.url("/api/v1/audit/checkpoint"), Some(&key)).json();
    assert!(checkpoint["public_key"].as_str().unwrap().starts_with("ed25519:"), "{checkpoint}");

    // The CLI reads the log the running runtime holds.
    let tail = project.run(&["audit", "tail", "--json", "-n", "1000"]);
    assert!(tail.status.success(), "{}", String::from_utf8_lossy(&tail.stderr));
    assert!(stdout(&tail).lines().count() >= records.len(), "{}", stdout(&tail));
    let denied = project.run(&["audit", "tail", "--decision", "deny"]);
    assert_eq!(stdout(&denied).lines().count(), 1, "{}", stdout(&denied));
    assert!(stdout(&denied).contains("agent=other"), "{}", stdout(&denied));
    let verified = project.run(&["audit", "verify"]);
    assert!(verified.status.success(), "{}{}", stdout(&verified), String::from_utf8_lossy(&verified.stderr));
    let replayed = project.run(&["audit", "replay", "--json"]);
    assert!(replayed.status.success(), "{}", stdout(&replayed));
    let report: Value = serde_json::from_str(&stdout(&replayed)).unwrap();
    assert_eq!(report["differences"], json!([]));
    assert!(report["replayed"].as_u64().unwrap() >= 2, "{report}");

    // Offline: an export plus the public key is all a verifier needs.
    let export = project.path().join("audit.jsonl");
    assert!(project.run(&["audit", "export", "--format", "jsonl", "-o", export.to_str().unwrap()]).status.success());
    let key_file = project.path().join(".symbi/audit/checkpoint.pub");
    let offline = project.run(&[
        "audit",
        "verify",
        "--export",
        export.to_str().unwrap(),
        "--public-key",
        key_file.to_str().unwrap(),
    ]);
    assert!(offline.status.success(), "{}", stdout(&offline));

    // After the runtime stops, the CLI signs a checkpoint; saved off-host, it anchors later checks.
    server.signal_and_wait("TERM");
    let signed = project.run(&["audit", "checkpoint", "--json"]);
    assert!(signed.status.success(), "{}", String::from_utf8_lossy(&signed.stderr));
    let saved = project.path().join("saved-checkpoint.json");
    std::fs::write(&saved, stdout(&signed)).unwrap();
    let anchored = project.run(&["audit", "verify", "--from-checkpoint", saved.to_str().unwrap()]);
    assert!(anchored.status.success(), "{}{}", stdout(&anchored), String::from_utf8_lossy(&anchored.stderr));
}

#[test]
fn a_changed_byte_in_the_log_is_reported_as_tampering() {
    let project = project();
    let server = Server::start(&project);
    let key = project.admin_key();
    let body = json!({"agent_id": "hello", "arguments": {"path": "symbiont.toml"}}).to_string();
    assert_eq!(post(&server.url("/api/v1/tools/file_hash/execute"), Some(&key), &body).status, 200);
    server.signal_and_wait("TERM");
    assert!(project.run(&["audit", "verify"]).status.success());

    let segments = project.path().join(".symbi/audit/segments");
    let segment = std::fs::read_dir(&segments).unwrap().next().unwrap().unwrap().path();
    let mut bytes = std::fs::read(&segment).unwrap();
    let at = bytes.windows(b"file_hash".len()).position(|w| w == b"file_hash").expect("a record names the tool");
    bytes[at] = b'F';
    std::fs::write(&segment, bytes).unwrap();
    let verified = project.run(&["audit", "verify"]);
    assert_eq!(verified.status.code(), Some(1), "{}", stdout(&verified));
    assert!(stdout(&verified).starts_with("TAMPERED"), "{}", stdout(&verified));
}

#[test]
fn key_changes_from_the_cli_are_recorded_whether_or_not_the_runtime_runs() {
    let project = project();
    let server = Server::start(&project);
    let key = project.admin_key();
    let created = project.run(&["keys", "create", "--json", "--description", "ops"]);
    assert!(created.status.success(), "{}", String::from_utf8_lossy(&created.stderr));
    let id = serde_json::from_str::<Value>(&stdout(&created)).unwrap()["key_id"].as_str().unwrap().to_owned();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    let recorded = loop {
        let records = all_records(&server, &key, "&kind=key_management");
        if let Some(r) = records.iter().find(|r| r["resource"] == format!("ApiKey::\"{id}\"")) {
            break r.clone();
        }
        assert!(std::time::Instant::now() < deadline, "the CLI's key change never reached the log: {records:#?}");
        std::thread::sleep(std::time::Duration::from_millis(50));
    };
    assert_eq!(
        (recorded["action"].as_str(), recorded["surface"].as_str()),
        (Some("create"), Some("cli")),
        "{recorded}"
    );
    assert!(recorded["principal"].as_str().unwrap().starts_with("cli:uid="), "{recorded}");
    server.signal_and_wait("TERM");

    assert!(project.run(&["keys", "revoke", &id]).status.success());
    let tail = project.run(&["audit", "tail", "--json", "--kind", "key_management"]);
    let actions: Vec<String> = stdout(&tail)
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap()["action"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(actions, ["create", "create", "revoke"], "first admin key, the CLI's key, its revocation");
}

#[test]
fn archived_segments_stay_part_of_the_log() {
    let project = project();
    let server = Server::start(&project);
    let key = project.admin_key();
    let archived = post(&server.url("/api/v1/audit/archive"), Some(&key), "");
    assert_eq!(archived.status, 200, "{}", archived.body);
    assert_eq!(project.run(&["audit", "archive"]).status.code(), Some(1), "the runtime holds the log");
    server.signal_and_wait("TERM");
    let before = stdout(&project.run(&["audit", "tail", "--json", "-n", "1000"])).lines().count();
    let moved = project.run(&["audit", "archive", "--json"]);
    assert!(moved.status.success(), "{}", String::from_utf8_lossy(&moved.stderr));
    assert!(project.run(&["audit", "verify"]).status.success());
    assert_eq!(stdout(&project.run(&["audit", "tail", "--json", "-n", "1000"])).lines().count(), before);
}

#[test]
fn bad_audit_input_is_refused_clearly() {
    let project = project();
    let server = Server::start(&project);
    let key = project.admin_key();
    let bad_id = get(&server.url("/api/v1/audit/proof/evt_nothex"), Some(&key));
    assert_eq!((bad_id.status, bad_id.code().as_str()), (400, "INVALID_REQUEST"), "{}", bad_id.body);
    for query in ["?kind=nope", "?since=yesterday", "?after=evt_1", "?limit=0", "?unknown=1"] {
        let reply = get(&server.url(&format!("/api/v1/audit{query}")), Some(&key));
        assert_eq!(reply.status, 400, "{query}: {}", reply.body);
    }
    server.signal_and_wait("TERM");

    let garbage = project.path().join("garbage.json");
    std::fs::write(&garbage, "not json at all").unwrap();
    let path = garbage.to_str().unwrap();
    for args in [
        vec!["audit", "proof", "--verify", path],
        vec!["audit", "verify", "--from-checkpoint", path],
        vec!["audit", "verify", "--export", path, "--public-key", "ed25519:zz"],
        vec!["audit", "tail", "--since", "yesterday"],
        vec!["audit", "tail", "--kind", "nope"],
        vec!["audit", "replay", "--from", "last tuesday"],
        vec!["audit", "proof", "evt_123"],
    ] {
        let out = project.run(&args);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
        assert!(String::from_utf8_lossy(&out.stderr).starts_with("error: "), "{args:?}");
    }
    assert!(project.run(&["audit", "verify"]).status.success(), "nothing was lost");
}
