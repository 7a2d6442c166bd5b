//! SchemaPin and AgentPin documents fetched over HTTPS from a real TLS server on 127.0.0.1 (a test
//! CA, names pinned with `[network.resolve]`): a credential verified end to end over the REST API,
//! each refusal with its reason, the cache, the audit records of every fetch, and an `[http]`
//! tool over https on the same client.

use std::time::Duration;

use serde_json::Value;

use crate::tls::{Answer, TlsServer};
use crate::util::{Project, Server, client};

const AGENT_DISCOVERY: &str = "/.well-known/agent-identity.json";
const AGENT_REVOCATIONS: &str = "/.well-known/agent-identity-revocations.json";
const SCHEMAPIN_DISCOVERY: &str = "/.well-known/schemapin.json";
const KID: &str = "agents.example.test#planner-01";

fn stdout(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

/// A domain's publisher: an AgentPin identity on `agents.example.test` and a SchemaPin key that
/// signed `file_hash`, with the documents its web server would serve.
struct Publisher {
    _project: Project,
    credential: String,
    agent_discovery: Vec<u8>,
    schemapin_discovery: Vec<u8>,
    signed_schema: String,
}

impl Publisher {
    fn new() -> Self {
        let project = Project::scaffolded();
        let made = project.run(&[
            "keygen",
            "--domain",
            "agents.example.test",
            "--agent-id",
            "planner-01",
            "--capabilities",
            "read:tools",
            "--sandbox-tier",
            "2",
        ]);
        assert!(made.status.success(), "{}", String::from_utf8_lossy(&made.stderr));
        let agent_discovery = std::fs::read(project.path().join(".symbi/agentpin/agents.example.test.json")).unwrap();
        assert!(project.run(&["schemapin", "keygen", "--developer", "Example Tools"]).status.success());
        let signed = project.run(&["schemapin", "sign", "--tool", "file_hash"]);
        assert!(signed.status.success(), "{}", String::from_utf8_lossy(&signed.stderr));
        let well_known = project.run(&["schemapin", "well-known"]);
        assert!(well_known.status.success());
        Self {
            credential: stdout(&made),
            agent_discovery,
            schemapin_discovery: well_known.stdout,
            signed_schema: stdout(&signed),
            _project: project,
        }
    }

    /// Serves every document, with no revocations.
    fn serve(&self, server: &TlsServer) {
        server.answer(AGENT_DISCOVERY, Answer::Json(self.agent_discovery.clone()));
        server.answer(AGENT_REVOCATIONS, Answer::Json(revocations(&[])));
        server.answer(SCHEMAPIN_DISCOVERY, Answer::Json(self.schemapin_discovery.clone()));
    }
}

/// The domain's AgentPin revocation document, revoking `kids`.
fn revocations(kids: &[&str]) -> Vec<u8> {
    let keys: Vec<Value> = kids
        .iter()
        .map(|kid| serde_json::json!({"kid": kid, "revoked_at": "2026-01-01T00:00:00Z", "reason": "key_compromise"}))
        .collect();
    serde_json::json!({"agentpin_version": "0.1", "entity": "agents.example.test",
        "updated_at": "2026-01-01T00:00:00Z", "revoked_keys": keys})
    .to_string()
    .into_bytes()
}

fn agentpin_verify(project: &Project, credential: &str) -> Value {
    let out = project.run(&["agentpin", "verify", credential, "--json"]);
    serde_json::from_str(&stdout(&out)).unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)))
}

fn schemapin_verify(project: &Project, publisher: &Publisher, domain: &str) -> Value {
    let file = project.path().join("file_hash.signed.json");
    std::fs::write(&file, &publisher.signed_schema).unwrap();
    let out = project.run(&["schemapin", "verify", file.to_str().unwrap(), "--domain", domain, "--json"]);
    serde_json::from_str(&stdout(&out)).unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)))
}

fn records(project: &Project, kind: &str) -> Vec<Value> {
    let out = project.run(&["audit", "tail", "--json", "-n", "1000", "--kind", kind]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    stdout(&out).lines().map(|l| serde_json::from_str(l).unwrap()).collect()
}

/// Asserts a SchemaPin fetch of `domain` was refused with `DISCOVERY_FETCH_FAILED` and a message
/// containing `why`.
fn assert_fetch_refused(result: &Value, why: &str) {
    assert_eq!(result["valid"], false, "{result}");
    assert_eq!(result["error_code"], "DISCOVERY_FETCH_FAILED", "{result}");
    assert!(result["error"].as_str().unwrap().contains(why), "expected `{why}` in {result}");
}

#[test]
fn a_credential_verifies_over_https_discovery_end_to_end_over_the_rest_api() {
    let publisher = Publisher::new();
    let project = Project::scaffolded();
    let tls = TlsServer::start(project.path());
    publisher.serve(&tls);
    project.configure(&tls.config(true, true));
    std::fs::write(
        project.path().join("policies/verified-agents.cedar"),
        r#"@id("verified-planners-hash")
permit(principal, action == Action::"execute_tool", resource == Tool::"file_hash")
when { principal.verified && principal.domain == "agents.example.test" && principal.capabilities.contains("read:tools") };
"#,
    )
    .unwrap();
    let server = Server::start(&project);
    let key = project.admin_key();
    let url = server.url("/api/v1/tools/file_hash/execute");
    let call = || {
        let mut response = client()
            .post(&url)
            .header("Authorization", &format!("Bearer {key}"))
            .header("X-AgentPin-Credential", &publisher.credential)
            .content_type("application/json")
            .send(r#"{"arguments":{"path":"symbiont.toml"}}"#)
            .unwrap();
        let id = response.headers().get("x-request-id").unwrap().to_str().unwrap().to_owned();
        (response.status().as_u16(), id, response.body_mut().read_to_string().unwrap())
    };

    let (status, request_id, reply) = call();
    assert_eq!(status, 200, "{reply}");
    let fetched = tls.seen();
    assert_eq!(
        fetched,
        [format!("agents.example.test {AGENT_DISCOVERY}"), format!("agents.example.test {AGENT_REVOCATIONS}")]
    );

    // Within the cache's lifetime nothing is fetched again.
    let (status, _, reply) = call();
    assert_eq!(status, 200, "{reply}");
    assert_eq!(tls.seen(), fetched, "a cached document is not fetched again");

    // Each fetch was recorded before it was made, and its outcome after, tied to the API request.
    let fetches = records(&project, "network_fetch");
    let urls: Vec<&str> = fetches.iter().map(|r| r["resource"].as_str().unwrap()).collect();
    assert_eq!(
        urls,
        [
            format!("https://agents.example.test{AGENT_DISCOVERY}"),
            format!("https://agents.example.test{AGENT_REVOCATIONS}")
        ]
    );
    for record in &fetches {
        assert_eq!((record["principal"].as_str(), record["decision"].as_str()), (Some("runtime"), Some("allow")));
        assert_eq!(record["request_id"].as_str(), Some(request_id.as_str()), "{record}");
    }
    let outcomes: Vec<Value> =
        records(&project, "execution_outcome").into_iter().filter(|r| r["action"] == "fetch").collect();
    assert_eq!(outcomes.len(), 2, "{outcomes:?}");
    assert!(outcomes.iter().all(|r| r["outcome"] == "success"), "{outcomes:?}");
    assert!(outcomes[0]["reason"].as_str().unwrap().starts_with("HTTP 200, "), "{}", outcomes[0]);
    assert!(project.run(&["audit", "verify"]).status.success());
}

#[test]
fn the_cli_verifies_agentpin_and_schemapin_documents_fetched_over_https() {
    let publisher = Publisher::new();
    let project = Project::new();
    let tls = TlsServer::start(project.path());
    publisher.serve(&tls);
    project.configure(&tls.config(true, true));

    let verified = agentpin_verify(&project, &publisher.credential);
    assert_eq!((verified["valid"].as_bool(), verified["domain"].as_str()), (Some(true), Some("agents.example.test")));
    let verified = schemapin_verify(&project, &publisher, "tools.example.test");
    assert_eq!((verified["valid"].as_bool(), verified["tool"].as_str()), (Some(true), Some("file_hash")), "{verified}");

    let fetches = records(&project, "network_fetch");
    assert_eq!(fetches.len(), 3, "discovery and revocations of the agent, the tool's discovery: {fetches:?}");
    assert!(fetches.iter().all(|r| r["surface"] == "cli" && r["principal"].as_str().unwrap().starts_with("cli:uid=")));

    // --offline keeps verification to local documents.
    let offline = project.run(&["agentpin", "verify", &publisher.credential, "--offline", "--json"]);
    assert_eq!(offline.status.code(), Some(1));
    assert!(stdout(&offline).contains("DISCOVERY_FETCH_FAILED"), "{}", stdout(&offline));
    assert_eq!(records(&project, "network_fetch").len(), 3, "nothing fetched offline");
}

#[test]
fn a_key_revoked_in_the_fetched_revocation_document_is_refused() {
    let publisher = Publisher::new();
    let project = Project::new();
    let tls = TlsServer::start(project.path());
    publisher.serve(&tls);
    tls.answer(AGENT_REVOCATIONS, Answer::Json(revocations(&[KID])));
    project.configure(&tls.config(true, true));
    let refused = agentpin_verify(&project, &publisher.credential);
    assert_eq!((refused["valid"].as_bool(), refused["error_code"].as_str()), (Some(false), Some("KEY_REVOKED")));
}

#[test]
fn an_http_revocation_endpoint_is_refused_and_the_credential_with_it() {
    let publisher = Publisher::new();
    let project = Project::new();
    let tls = TlsServer::start(project.path());
    publisher.serve(&tls);
    let mut discovery: Value = serde_json::from_slice(&publisher.agent_discovery).unwrap();
    discovery["revocation_endpoint"] = format!("http://agents.example.test{AGENT_REVOCATIONS}").into();
    tls.answer(AGENT_DISCOVERY, Answer::Json(discovery.to_string().into_bytes()));
    project.configure(&tls.config(true, true));
    let refused = agentpin_verify(&project, &publisher.credential);
    assert_eq!(refused["error_code"], "DISCOVERY_FETCH_FAILED", "{refused}");
    assert!(refused["error"].as_str().unwrap().contains("is not an https URL"), "{refused}");
}

#[test]
fn agentpin_follows_no_redirect() {
    let publisher = Publisher::new();
    let project = Project::new();
    let tls = TlsServer::start(project.path());
    publisher.serve(&tls);
    tls.answer(AGENT_DISCOVERY, Answer::Redirect(format!("https://tools.example.test{AGENT_DISCOVERY}")));
    project.configure(&tls.config(true, true));
    let refused = agentpin_verify(&project, &publisher.credential);
    assert_eq!(refused["error_code"], "DISCOVERY_FETCH_FAILED", "{refused}");
    assert!(refused["error"].as_str().unwrap().contains("redirects"), "{refused}");
}

#[test]
fn a_redirect_to_a_private_address_is_refused() {
    let publisher = Publisher::new();
    let project = Project::new();
    let tls = TlsServer::start(project.path());
    tls.answer(SCHEMAPIN_DISCOVERY, Answer::Redirect(format!("https://10.0.0.7{SCHEMAPIN_DISCOVERY}")));
    project.configure(&tls.config(true, true));
    let result = schemapin_verify(&project, &publisher, "tools.example.test");
    assert_fetch_refused(&result, "`10.0.0.7` is a private, loopback or reserved address");
    assert_eq!(tls.seen().len(), 1, "only the first hop was requested");
}

#[test]
fn loopback_is_refused_unless_configured() {
    let publisher = Publisher::new();
    let project = Project::new();
    let tls = TlsServer::start(project.path());
    publisher.serve(&tls);
    project.configure(&tls.config(true, false));
    let result = schemapin_verify(&project, &publisher, "tools.example.test");
    assert_fetch_refused(&result, "`127.0.0.1` is a private, loopback or reserved address; nothing was sent");
    assert!(tls.seen().is_empty());
}

#[test]
fn an_oversized_document_is_refused() {
    let publisher = Publisher::new();
    let project = Project::new();
    let tls = TlsServer::start(project.path());
    let padding = " ".repeat(70 * 1024);
    tls.answer(SCHEMAPIN_DISCOVERY, Answer::Json(format!("{{\"pad\":\"{padding}\"}}").into_bytes()));
    project.configure(&tls.config(true, true));
    let result = schemapin_verify(&project, &publisher, "tools.example.test");
    assert_fetch_refused(&result, "sent more than 65536 bytes");
}

#[test]
fn a_slow_server_times_out() {
    let publisher = Publisher::new();
    let project = Project::new();
    let tls = TlsServer::start(project.path());
    tls.answer(SCHEMAPIN_DISCOVERY, Answer::Slow(Duration::from_secs(3), publisher.schemapin_discovery.clone()));
    project.configure(&format!("{}fetch_timeout_ms = 300\n", tls.config(true, true)));
    let started = std::time::Instant::now();
    let result = schemapin_verify(&project, &publisher, "tools.example.test");
    assert_fetch_refused(&result, "no complete answer within 300 ms");
    assert!(started.elapsed() < Duration::from_secs(3), "gave up before the server answered");
}

#[test]
fn a_certificate_from_an_untrusted_authority_is_refused() {
    let publisher = Publisher::new();
    let project = Project::new();
    let tls = TlsServer::start(project.path());
    publisher.serve(&tls);
    project.configure(&tls.config(false, true));
    let result = schemapin_verify(&project, &publisher, "tools.example.test");
    assert_fetch_refused(&result, "invalid peer certificate: UnknownIssuer");
}

#[test]
fn a_certificate_for_another_name_is_refused() {
    let publisher = Publisher::new();
    let project = Project::new();
    let tls = TlsServer::start(project.path());
    publisher.serve(&tls);
    project.configure(&tls.config(true, true));
    let result = schemapin_verify(&project, &publisher, "other.example.test");
    assert_fetch_refused(&result, "certificate not valid for name");
}

#[test]
fn a_fetch_that_cannot_be_recorded_is_not_made() {
    let publisher = Publisher::new();
    let project = Project::new();
    let tls = TlsServer::start(project.path());
    publisher.serve(&tls);
    project.configure(&tls.config(true, true));
    // An audit log that cannot be opened takes no record; the fetch fails closed.
    let audit = project.path().join(".symbi/audit");
    let _ = std::fs::remove_dir_all(&audit);
    std::fs::create_dir_all(audit.parent().unwrap()).unwrap();
    std::fs::write(&audit, b"not a directory").unwrap();
    let result = schemapin_verify(&project, &publisher, "tools.example.test");
    assert_fetch_refused(&result, "cannot be recorded in the audit log");
    assert!(tls.seen().is_empty(), "nothing was requested");
}

#[test]
fn an_http_tool_reaches_an_https_service_through_the_runtime_client() {
    let project = Project::scaffolded();
    let tls = TlsServer::start(project.path());
    tls.answer("/lookup?q=hello", Answer::Json(br#"{"answer":42}"#.to_vec()));
    let manifest = "[tool]\nname = \"lookup\"\nversion = \"1\"\nbinary = \"http\"\ndescription = \"Ask the service\"\n\
         [args.q]\ntype = \"string\"\nrequired = true\n\
         [http]\nmethod = \"GET\"\nurl = \"https://tools.example.test/lookup?q={q}\"\n[output]\nformat = \"json\"\n";
    std::fs::write(project.path().join("tools/lookup.clad.toml"), manifest).unwrap();
    std::fs::write(
        project.path().join("policies/lookup.cedar"),
        "permit(principal == Agent::\"hello\", action == Action::\"execute_tool\", resource == Tool::\"lookup\");\n",
    )
    .unwrap();
    project.configure(&format!("{}[tools]\ndangerous_allow_internal_http = true\n", tls.config(true, false)));
    let out = project.run(&["tools", "run", "lookup", "--agent", "hello", "--arg", "q=hello", "--json"]);
    assert!(out.status.success(), "{}{}", stdout(&out), String::from_utf8_lossy(&out.stderr));
    let envelope: Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!((envelope["http_status"].as_u64(), &envelope["results"]["answer"]), (Some(200), &Value::from(42)));
    assert_eq!(tls.seen(), ["tools.example.test /lookup?q=hello"]);
}
