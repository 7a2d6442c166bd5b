//! Secrets for tool calls: `symbi secrets` (value on stdin, never shown), `{_secret:NAME}`
//! resolved by the Governor only after an `access_secret` decision for the calling agent, into a
//! oneshot tool's argv and an `[http]` tool's header, and the value absent from everything kept
//! or answered: evidence, audit log, API responses, logs.

use std::path::Path;
use std::process::Output;

use serde_json::{Value, json};
use sha2::{Digest as _, Sha256};

use crate::util::{Project, Server, get, http_service, post, symbi_with_stdin};

const VALUE: &str = "tok-3f9a1c77-very-secret";
const OTHER_VALUE: &str = "tok-other-agent-secret";

/// A tool that proves it got the secret without printing it: the SHA-256 of its argument, then
/// the argument itself (which the executor must redact).
const DIGEST: &str = r#"[tool]
name = "digest_token"
version = "1"
binary = "sh"
description = "Hash the API token"
timeout_seconds = 10

[command]
exec = ["sh", "-c", "printf %s \"$0\" | sha256sum; echo \"raw=$0\" >&2", "{_secret:API_TOKEN}"]

[output]
format = "text"
"#;

const RUN_AS_HELLO: &str =
    "permit(principal == Agent::\"hello\", action == Action::\"execute_tool\", resource == Tool::\"digest_token\");\n";
const SECRET_FOR_HELLO: &str =
    "permit(principal == Agent::\"hello\", action == Action::\"access_secret\", resource == Secret::\"API_TOKEN\");\n";

fn project(policies: &[&str]) -> Project {
    let project = Project::scaffolded();
    std::fs::write(project.path().join("tools/digest_token.clad.toml"), DIGEST).unwrap();
    std::fs::write(project.path().join("policies/secrets.cedar"), policies.concat()).unwrap();
    project
}

/// Runs `symbi <args> --dir <project>` with `input` on stdin.
fn with_stdin(project: &Project, args: &[&str], input: &str) -> Output {
    let mut all = args.to_vec();
    all.extend(["--dir", project.path().to_str().unwrap()]);
    symbi_with_stdin(&all, input)
}

fn set(project: &Project, name: &str, agent: Option<&str>, value: &str) {
    let mut args = vec!["secrets", "set", name];
    args.extend(agent.iter().flat_map(|a| ["--agent", *a]));
    let out = with_stdin(project, &args, &format!("{value}\n"));
    assert!(out.status.success(), "{}", text(&out));
    assert!(!text(&out).contains(value), "the value is never printed: {}", text(&out));
}

fn text(out: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr))
}

fn run_digest(project: &Project) -> Output {
    project.run(&["tools", "run", "digest_token", "--agent", "hello", "--json"])
}

fn sha256_line(value: &str) -> String {
    format!("{}  -\n", hex::encode(Sha256::digest(value.as_bytes())))
}

/// Every file under `dir`, read as text where it is text.
fn files_under(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    let mut pending = vec![dir.to_owned()];
    while let Some(next) = pending.pop() {
        let Ok(entries) = std::fs::read_dir(&next) else { continue };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                pending.push(path);
            } else if let Ok(bytes) = std::fs::read(&path) {
                out.push((path.display().to_string(), bytes));
            }
        }
    }
    out
}

fn assert_nowhere(dir: &Path, value: &str) {
    for (path, bytes) in files_under(dir) {
        assert!(!bytes.windows(value.len()).any(|w| w == value.as_bytes()), "`{path}` holds the secret value");
    }
}

fn audit_lines(project: &Project) -> Vec<Value> {
    let out = project.run(&["audit", "tail", "--json", "-n", "1000"]);
    assert!(out.status.success(), "{}", text(&out));
    String::from_utf8_lossy(&out.stdout).lines().map(|l| serde_json::from_str(l).unwrap()).collect()
}

#[test]
fn secrets_cli_sets_lists_and_removes_without_ever_showing_a_value() {
    let project = Project::scaffolded();
    set(&project, "API_TOKEN", None, VALUE);
    set(&project, "API_TOKEN", Some("hello"), OTHER_VALUE);
    let key = project.path().join(".symbi/secrets.key");
    use std::os::unix::fs::PermissionsExt as _;
    assert_eq!(std::fs::metadata(&key).unwrap().permissions().mode() & 0o777, 0o600);

    let listed = project.run(&["secrets", "list", "--json"]);
    assert!(listed.status.success(), "{}", text(&listed));
    let rows: Value = serde_json::from_slice(&listed.stdout).unwrap();
    assert_eq!(
        rows.as_array().unwrap().iter().map(|r| (r["agent"].clone(), r["name"].clone())).collect::<Vec<_>>(),
        [(Value::Null, json!("API_TOKEN")), (json!("hello"), json!("API_TOKEN"))],
        "{rows}"
    );
    let table = project.run(&["secrets", "list"]);
    assert!(text(&table).contains("agent:hello") && text(&table).contains("project"), "{}", text(&table));

    // Refused values: nothing stored, nothing recorded, the value not echoed.
    let short = with_stdin(&project, &["secrets", "set", "PIN"], "123\n");
    assert_eq!(short.status.code(), Some(2), "{}", text(&short));
    let multi = with_stdin(&project, &["secrets", "set", "PEM"], "line one\nline two\n");
    assert_eq!(multi.status.code(), Some(2), "{}", text(&multi));
    assert!(!text(&multi).contains("line one"), "{}", text(&multi));
    let bad_name = with_stdin(&project, &["secrets", "set", "bad-name"], "value\n");
    assert_eq!(bad_name.status.code(), Some(2), "{}", text(&bad_name));

    let removed = project.run(&["secrets", "rm", "API_TOKEN", "--agent", "hello"]);
    assert!(removed.status.success(), "{}", text(&removed));
    let again = project.run(&["secrets", "rm", "API_TOKEN", "--agent", "hello"]);
    assert_eq!(again.status.code(), Some(2), "{}", text(&again));

    let records = audit_lines(&project);
    let changes: Vec<(String, String)> = records
        .iter()
        .filter(|r| r["kind"] == "config_change")
        .map(|r| (r["action"].as_str().unwrap().to_owned(), r["agent"].as_str().unwrap_or("").to_owned()))
        .collect();
    assert_eq!(
        changes,
        [("set".into(), String::new()), ("set".into(), "hello".into()), ("remove".into(), "hello".into())],
        "{records:?}"
    );
    assert_nowhere(project.path(), VALUE);
    assert_nowhere(project.path(), OTHER_VALUE);
}

#[test]
fn a_secret_reaches_a_oneshot_tools_argv_and_is_kept_nowhere() {
    let project = project(&[RUN_AS_HELLO, SECRET_FOR_HELLO]);
    set(&project, "API_TOKEN", None, VALUE);
    let out = run_digest(&project);
    assert!(out.status.success(), "{}", text(&out));
    assert!(!text(&out).contains(VALUE), "{}", text(&out));
    let envelope: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(envelope["results"]["raw_output"], sha256_line(VALUE), "the tool got the value: {envelope}");
    assert_eq!(envelope["stderr"], "raw=[REDACTED]\n", "{envelope}");
    assert_eq!(envelope["command"], "sh -c printf %s \"$0\" | sha256sum; echo \"raw=$0\" >&2 {_secret:API_TOKEN}");

    let records = audit_lines(&project);
    let access = records
        .iter()
        .find(|r| r["action"] == "access_secret")
        .unwrap_or_else(|| panic!("no access_secret decision: {records:?}"));
    assert_eq!((&access["resource"], &access["decision"]), (&json!("Secret::\"API_TOKEN\""), &json!("allow")));
    assert_nowhere(project.path(), VALUE);
}

#[test]
fn an_agent_policy_does_not_let_read_a_secret_runs_nothing() {
    let project = project(&[RUN_AS_HELLO]);
    set(&project, "API_TOKEN", None, VALUE);
    let out = run_digest(&project);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(text(&out).contains("refused: denied by policy"), "{}", text(&out));
    assert!(!project.path().join(".symbi/evidence").exists(), "nothing ran");
    let records = audit_lines(&project);
    assert!(
        records.iter().any(|r| r["action"] == "access_secret" && r["decision"] == "deny"),
        "the denial is recorded: {records:?}"
    );
}

#[test]
fn a_missing_secret_is_named_and_nothing_runs() {
    let project = project(&[RUN_AS_HELLO, SECRET_FOR_HELLO]);
    let out = run_digest(&project);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(text(&out).contains("secret `API_TOKEN` is not set for agent `hello` or the project"), "{}", text(&out));
    assert!(!project.path().join(".symbi/evidence").exists(), "nothing ran");
}

#[test]
fn a_secret_set_for_another_agent_is_not_given_and_an_agents_own_comes_first() {
    let project = project(&[RUN_AS_HELLO, SECRET_FOR_HELLO]);
    set(&project, "API_TOKEN", Some("someone-else"), OTHER_VALUE);
    let out = run_digest(&project);
    assert_eq!(out.status.code(), Some(1), "another agent's secret is not hello's: {}", text(&out));
    assert!(text(&out).contains("is not set for agent `hello`"), "{}", text(&out));

    set(&project, "API_TOKEN", None, VALUE);
    let project_wide: Value = serde_json::from_slice(&run_digest(&project).stdout).unwrap();
    assert_eq!(project_wide["results"]["raw_output"], sha256_line(VALUE));

    set(&project, "API_TOKEN", Some("hello"), OTHER_VALUE);
    let own: Value = serde_json::from_slice(&run_digest(&project).stdout).unwrap();
    assert_eq!(own["results"]["raw_output"], sha256_line(OTHER_VALUE), "hello's own secret wins");
}

/// The `authorization` header among a request's lines.
fn authorization(lines: &[String]) -> String {
    lines
        .iter()
        .find_map(|l| l.split_once(':').filter(|(name, _)| name.eq_ignore_ascii_case("authorization")))
        .map(|(_, value)| value.trim().to_owned())
        .unwrap_or_default()
}

#[test]
fn a_secret_reaches_an_http_tools_header_and_never_an_api_answer_or_log() {
    let (port, seen) = http_service(|lines| json!({ "auth": authorization(lines) }).to_string());
    let project = Project::scaffolded();
    project.configure("[tools]\ndangerous_allow_internal_http = true\n");
    let manifest = format!(
        "[tool]\nname = \"whoami\"\nversion = \"1\"\nbinary = \"http\"\ndescription = \"Ask who the token is\"\n\
         [http]\nmethod = \"GET\"\nurl = \"http://127.0.0.1:{port}/whoami\"\n\
         headers = {{ Authorization = \"Bearer {{_secret:API_TOKEN}}\" }}\n[output]\nformat = \"json\"\n"
    );
    std::fs::write(project.path().join("tools/whoami.clad.toml"), manifest).unwrap();
    std::fs::write(
        project.path().join("policies/whoami.cedar"),
        "permit(principal == Agent::\"hello\", action == Action::\"execute_tool\", resource == Tool::\"whoami\");\n\
         permit(principal == Agent::\"hello\", action == Action::\"access_secret\", resource == Secret::\"API_TOKEN\");\n",
    )
    .unwrap();
    set(&project, "API_TOKEN", None, VALUE);
    let server = Server::start(&project);
    let key = project.admin_key();

    let body = json!({"agent_id": "hello", "arguments": {}}).to_string();
    let reply = post(&server.url("/api/v1/tools/whoami/execute"), Some(&key), &body);
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(authorization(&seen.recv().unwrap()), format!("Bearer {VALUE}"), "the service got the secret");
    assert!(!reply.body.contains(VALUE), "{}", reply.body);
    assert_eq!(reply.json()["results"]["auth"], "Bearer [REDACTED]", "{}", reply.body);

    let audit = get(&server.url("/api/v1/audit?limit=1000"), Some(&key));
    assert!(audit.body.contains("access_secret") && !audit.body.contains(VALUE), "{}", audit.body);
    let logs = server.stderr_lines().join("\n");
    assert!(!logs.contains(VALUE), "{logs}");
    drop(server);
    assert_nowhere(project.path(), VALUE);
}

#[test]
fn a_tool_catalog_reload_is_recorded_with_what_changed_and_who() {
    let project = Project::scaffolded();
    let server = Server::start(&project);
    let key = project.admin_key();
    std::fs::write(project.path().join("tools/digest_token.clad.toml"), DIGEST).unwrap();
    std::fs::remove_file(project.path().join("tools/count_lines.clad.toml")).unwrap();
    let reply = post(&server.url("/api/v1/tools/reload"), Some(&key), "{}");
    assert_eq!(reply.status, 200, "{}", reply.body);
    let records = get(&server.url("/api/v1/audit?kind=config_change"), Some(&key)).json();
    let reload = records["records"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["resource"] == "ToolCatalog")
        .unwrap_or_else(|| panic!("no reload record: {records}"))
        .clone();
    let key_id = key.split('.').next().unwrap();
    assert_eq!(reload["principal"], format!("ApiKey::\"{key_id}\""), "{reload}");
    let reason = reload["reason"].as_str().unwrap();
    assert!(reason.contains("added: digest_token") && reason.contains("removed: count_lines"), "{reload}");
}

#[test]
fn tools_run_finds_a_runtime_on_a_port_other_than_the_configured_one() {
    let project = crate::tools_cli::allowed_project();
    // `Server::start` binds port 0; the configuration still names the default port.
    let server = Server::start(&project);
    let out = project.run(&["tools", "run", "file_hash", "--agent", "hello", "--arg", "path=symbiont.toml", "--json"]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains(&format!("sending the call to it at {}", server.base)), "{}", text(&out));
    assert!(server.signal_and_wait("TERM").success());
    assert!(!project.path().join(".symbi/runtime.addr").exists(), "a runtime that stopped removes its address");
}
