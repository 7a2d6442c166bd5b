//! Agent identities from the CLI: `symbi keygen` exactly as the seed shows it, more agents on one
//! domain, fresh credentials, offline verification with the ecosystem's error codes, and an audit
//! record for every key made.

use serde_json::Value;

use crate::util::Project;

fn stdout(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

#[test]
fn keygen_issue_and_verify_agent_credentials() {
    let project = Project::new();
    let made = project.run(&[
        "keygen",
        "--domain",
        "agents.example.com",
        "--agent-id",
        "planner-01",
        "--capabilities",
        "plan,delegate,read:tools",
        "--sandbox-tier",
        "2",
        "--json",
    ]);
    assert!(made.status.success(), "{}", String::from_utf8_lossy(&made.stderr));
    let made: Value = serde_json::from_str(&stdout(&made)).unwrap();
    assert_eq!(made["header"]["alg"], "ES256");
    assert_eq!(made["header"]["kid"], "agents.example.com#planner-01");
    assert_eq!(made["claims"]["iss"], "agents.example.com");
    assert_eq!(made["claims"]["sub"], "planner-01");
    assert_eq!(made["claims"]["capabilities"], serde_json::json!(["plan", "delegate", "read:tools"]));
    assert_eq!(made["claims"]["sandbox_tier"], 2);
    let key_file = std::path::PathBuf::from(made["key_file"].as_str().unwrap());
    let mode = std::os::unix::fs::PermissionsExt::mode(
        &std::fs::metadata(project.path().join(&key_file)).unwrap().permissions(),
    );
    assert_eq!(mode & 0o777, 0o600, "the private key is the owner's alone");

    let verified = project.run(&["agentpin", "verify", made["credential"].as_str().unwrap(), "--json"]);
    assert!(verified.status.success(), "{}", stdout(&verified));
    let verified: Value = serde_json::from_str(&stdout(&verified)).unwrap();
    assert_eq!((verified["agent_id"].as_str(), verified["sandbox_tier"].as_u64()), (Some("planner-01"), Some(2)));

    // A second agent joins the domain's discovery document; both verify.
    let second = project.run(&["keygen", "--domain", "agents.example.com", "--agent-id", "coder"]);
    assert!(second.status.success(), "{}", String::from_utf8_lossy(&second.stderr));
    let discovery: Value =
        serde_json::from_str(&stdout(&project.run(&["agentpin", "discovery", "--domain", "agents.example.com"])))
            .unwrap();
    assert_eq!(discovery["public_keys"].as_array().unwrap().len(), 2, "{discovery}");
    assert_eq!(discovery["agents"].as_array().unwrap().len(), 2, "{discovery}");
    assert!(project.run(&["agentpin", "verify", &stdout(&second)]).status.success());
    assert!(project.run(&["agentpin", "verify", made["credential"].as_str().unwrap()]).status.success());

    // A fresh credential from the stored key; a forged one is refused with its code.
    let issued =
        project.run(&["agentpin", "issue", "--domain", "agents.example.com", "--agent-id", "coder", "--ttl", "1h"]);
    assert!(issued.status.success(), "{}", String::from_utf8_lossy(&issued.stderr));
    let jwt = stdout(&issued);
    assert!(project.run(&["agentpin", "verify", &jwt]).status.success());
    let parts: Vec<&str> = jwt.split('.').collect();
    let forged =
        format!("{}.{}.{}", parts[0], made["credential"].as_str().unwrap().split('.').nth(1).unwrap(), parts[2]);
    let refused = project.run(&["agentpin", "verify", &forged, "--json"]);
    assert_eq!(refused.status.code(), Some(1), "{}", stdout(&refused));
    let refused: Value = serde_json::from_str(&stdout(&refused)).unwrap();
    assert_eq!(refused["valid"], false);
    assert!(refused["error_code"].as_str().is_some_and(|c| !c.is_empty()), "{refused}");

    // A key is never replaced by accident; every key made is recorded.
    let again = project.run(&["keygen", "--domain", "agents.example.com", "--agent-id", "coder"]);
    assert_eq!(again.status.code(), Some(2));
    assert_eq!(
        project.run(&["agentpin", "issue", "--domain", "agents.example.com", "--agent-id", "nobody"]).status.code(),
        Some(2)
    );
    let tail = stdout(&project.run(&["audit", "tail", "--json", "--kind", "key_management"]));
    let resources: Vec<String> = tail
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap()["resource"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(resources, ["AgentPin::\"agents.example.com#planner-01\"", "AgentPin::\"agents.example.com#coder\""]);
}

#[test]
fn a_domain_that_swaps_its_key_is_refused_and_audited() {
    let ours = Project::new();
    let theirs = Project::new();
    for project in [&ours, &theirs] {
        let made = project.run(&["keygen", "--domain", "agents.example.com", "--agent-id", "planner-01"]);
        assert!(made.status.success(), "{}", String::from_utf8_lossy(&made.stderr));
    }
    // Someone replaces the domain's discovery document with one for a key of theirs.
    let document = ".symbi/agentpin/agents.example.com.json";
    std::fs::copy(theirs.path().join(document), ours.path().join(document)).unwrap();
    let forged =
        stdout(&theirs.run(&["agentpin", "issue", "--domain", "agents.example.com", "--agent-id", "planner-01"]));
    let refused = ours.run(&["agentpin", "verify", &forged, "--json"]);
    assert_eq!(refused.status.code(), Some(1), "{}", stdout(&refused));
    let refused: Value = serde_json::from_str(&stdout(&refused)).unwrap();
    assert_eq!(refused["error_code"], "KEY_PIN_MISMATCH", "{refused}");
    let failures = stdout(&ours.run(&["audit", "tail", "--json", "--kind", "auth_failure"]));
    assert!(failures.contains("KEY_PIN_MISMATCH"), "{failures}");
}

#[test]
fn a_verified_credential_gives_policy_the_agents_proven_facts() {
    let project = Project::scaffolded();
    std::fs::write(
        project.path().join("policies/verified-agents.cedar"),
        r#"@id("verified-planners-hash")
permit(principal, action == Action::"execute_tool", resource == Tool::"file_hash")
when { principal.verified && principal.domain == "agents.example.com" && principal.sandbox_tier >= 2
       && principal.capabilities.contains("read:tools") };
"#,
    )
    .unwrap();
    let made = project.run(&[
        "keygen",
        "--domain",
        "agents.example.com",
        "--agent-id",
        "planner-01",
        "--capabilities",
        "read:tools",
        "--sandbox-tier",
        "2",
    ]);
    assert!(made.status.success(), "{}", String::from_utf8_lossy(&made.stderr));
    let credential = stdout(&made);
    let low_tier = stdout(&project.run(&[
        "agentpin",
        "issue",
        "--domain",
        "agents.example.com",
        "--agent-id",
        "planner-01",
        "--capabilities",
        "read:tools",
        "--sandbox-tier",
        "1",
    ]));
    let server = crate::util::Server::start(&project);
    let key = project.admin_key();
    let url = server.url("/api/v1/tools/file_hash/execute");
    let body = r#"{"arguments":{"path":"symbiont.toml"}}"#;
    let call = |jwt: Option<&str>, body: &str| {
        let mut request = crate::util::client().post(&url).header("Authorization", &format!("Bearer {key}"));
        if let Some(jwt) = jwt {
            request = request.header("X-AgentPin-Credential", jwt);
        }
        match request.content_type("application/json").send(body) {
            Ok(mut r) => (r.status().as_u16(), r.body_mut().read_to_string().unwrap()),
            Err(e) => panic!("{e}"),
        }
    };

    let (status, reply) = call(Some(&credential), body);
    assert_eq!(status, 200, "{reply}");
    let (status, reply) = call(Some(&low_tier), body);
    assert_eq!(status, 403, "the credential's tier is what policy reads: {reply}");
    let (status, reply) = call(None, r#"{"agent_id":"planner-01","arguments":{"path":"symbiont.toml"}}"#);
    assert_eq!(status, 403, "an unproven agent id is not verified: {reply}");
    let mut forged = credential;
    forged.pop();
    let (status, reply) = call(Some(&forged), body);
    assert_eq!(status, 401, "{reply}");
    assert!(reply.contains("CREDENTIAL_REFUSED"), "{reply}");

    let records = stdout(&project.run(&["audit", "tail", "--json", "-n", "1000"]));
    let decisions: Vec<Value> = records
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .filter(|r| r["kind"] == "decision" && r["resource"] == "Tool::\"file_hash\"")
        .collect();
    assert_eq!(decisions.len(), 3, "{records}");
    assert_eq!(decisions[0]["decision"], "allow");
    assert_eq!(decisions[0]["sandbox_tier"], 2, "{}", decisions[0]);
    assert!(records.contains("\"kind\":\"auth_failure\""), "{records}");
    let replay = project.run(&["audit", "replay"]);
    assert!(replay.status.success(), "decisions on verified facts replay: {}", stdout(&replay));
}
