//! `symbi tools`: list, validate, test, schema, cedar, init, and run — offline through an in-process
//! Governor (decided, audited) and against a running runtime.

use std::process::Output;

use serde_json::{Value, json};

use crate::tools::{MAILER, SEND_EMAIL};
use crate::util::{Project, Server, free_port, get, http_service};

const READ_ONLY_FOR_HELLO: &str =
    "permit(principal == Agent::\"hello\", action == Action::\"execute_tool\", resource in ToolSet::\"read_only\");\n";

/// The scaffold (with its `hello` agent and example tools), `hello` allowed the read-only tools.
pub(crate) fn allowed_project() -> Project {
    let project = Project::scaffolded();
    std::fs::write(project.path().join("policies/read-only-tools.cedar"), READ_ONLY_FOR_HELLO).unwrap();
    project
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn json_out(out: &Output) -> Value {
    assert!(out.status.success(), "exit {:?}: {}{}", out.status.code(), stdout(out), stderr(out));
    serde_json::from_str(&stdout(out)).unwrap_or_else(|e| panic!("not JSON ({e}): {}", stdout(out)))
}

fn audit_records(project: &Project) -> Vec<Value> {
    let out = project.run(&["audit", "tail", "--json", "-n", "1000"]);
    assert!(out.status.success(), "{}", stderr(&out));
    stdout(&out).lines().map(|l| serde_json::from_str(l).unwrap()).collect()
}

fn has_record(records: &[Value], kind: &str, resource: &str) -> Option<Value> {
    records.iter().find(|r| r.to_string().contains(kind) && r.to_string().contains(resource)).cloned()
}

#[test]
fn tools_list_shows_risk_approval_and_tool_sets() {
    let project = Project::scaffolded();
    let listed = json_out(&project.run(&["tools", "list", "--json"]));
    let names: Vec<&str> = listed.as_array().unwrap().iter().map(|t| t["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["count_lines", "file_hash", "search_text"], "{listed}");
    let hash = &listed[1];
    assert_eq!((hash["risk_tier"].as_str(), hash["human_approval"].as_bool()), (Some("info"), Some(false)), "{hash}");
    assert!(hash["tool_sets"].as_array().unwrap().contains(&json!("read_only")), "{hash}");

    let table = project.run(&["tools", "list"]);
    let text = stdout(&table);
    assert!(text.starts_with("NAME") && text.contains("file_hash") && text.contains("read_only"), "{text}");
}

#[test]
fn tools_validate_reports_every_problem_at_file_line() {
    let project = Project::scaffolded();
    let ok = project.run(&["tools", "validate"]);
    assert!(ok.status.success(), "{}", stderr(&ok));
    assert!(stdout(&ok).starts_with("ok: 3 tool(s) valid"), "{}", stdout(&ok));

    std::fs::write(project.path().join("tools/send_email.clad.toml"), SEND_EMAIL.replace("{to}", "{too}")).unwrap();
    std::fs::write(project.path().join("tools/typo.clad.toml"), SEND_EMAIL.replace("required", "requierd")).unwrap();
    let bad = project.run(&["tools", "validate"]);
    assert_eq!(bad.status.code(), Some(2), "{}", stdout(&bad));
    // Every file's problems, each at its line.
    assert!(stdout(&bad).contains("tools/send_email.clad.toml:18: placeholder `{too}`"), "{}", stdout(&bad));
    assert!(stdout(&bad).contains("tools/typo.clad.toml:15: unknown field `requierd`"), "{}", stdout(&bad));
    assert!(stderr(&bad).contains("problem(s) in the tool files"), "{}", stderr(&bad));
    let report = project.run(&["tools", "validate", "--json"]);
    assert_eq!(report.status.code(), Some(2));
    let report: Value = serde_json::from_str(&stdout(&report)).unwrap();
    assert_eq!(report["valid"], false);
    assert!(report["problems"].as_array().unwrap().iter().all(|p| p["line"].as_u64().unwrap() > 0), "{report}");

    // A manifest outside tools/ is checked against the project's types and scope; nothing loads it.
    let draft = project.path().join("draft.clad.toml");
    std::fs::write(&draft, SEND_EMAIL).unwrap();
    let one = project.run(&["tools", "validate", draft.to_str().unwrap()]);
    assert!(one.status.success(), "{}{}", stdout(&one), stderr(&one));
    assert!(stdout(&one).contains("send_email"), "{}", stdout(&one));
}

#[test]
fn tools_test_shows_argv_and_the_offline_decision_without_running() {
    let project = Project::new();
    std::fs::write(project.path().join("tools/send_email.clad.toml"), SEND_EMAIL).unwrap();
    std::fs::write(project.path().join("agents/mailer.symbi"), MAILER).unwrap();
    let dry = json_out(&project.run(&[
        "tools",
        "test",
        "send_email",
        "--arg",
        "to=ops@example.com",
        "--agent",
        "mailer",
        "--json",
    ]));
    assert_eq!(dry["argv"], json!(["echo", "sent to", "ops@example.com"]), "{dry}");
    assert_eq!(
        (dry["decision"].as_str(), dry["policies"].clone()),
        (Some("require_approval"), json!(["mailer.mail.1"])),
        "{dry}"
    );
    let human = project.run(&["tools", "test", "send_email", "--args", r#"{"to": "ops@example.com"}"#]);
    assert!(stdout(&human).contains("argv      \"echo\" \"sent to\" \"ops@example.com\""), "{}", stdout(&human));
    assert!(stdout(&human).contains("nothing was run"));

    let hostile = project.run(&["tools", "test", "send_email", "--arg", "to=a; rm -rf /"]);
    assert_eq!(hostile.status.code(), Some(2), "{}", stderr(&hostile));
    let unknown = project.run(&["tools", "test", "nope"]);
    assert_eq!(unknown.status.code(), Some(2));
    assert!(stderr(&unknown).contains("no tool `nope`"), "{}", stderr(&unknown));
    assert!(!project.path().join(".symbi/evidence").exists(), "a dry run runs nothing");
}

#[test]
fn tools_init_writes_a_starter_that_loads_and_is_never_overwritten() {
    let project = Project::new();
    let out = project.run(&["tools", "init", "greet", "--binary", "printf"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = std::fs::read_to_string(project.path().join("tools/greet.clad.toml")).unwrap();
    assert!(text.starts_with("# greet: a ToolClad manifest"), "{text}");
    assert!(project.run(&["tools", "validate"]).status.success());
    let dry = json_out(&project.run(&["tools", "test", "greet", "--arg", "input=hello", "--json"]));
    assert_eq!(dry["argv"], json!(["printf", "hello"]), "{dry}");

    let again = project.run(&["tools", "init", "greet"]);
    assert_eq!(again.status.code(), Some(2));
    assert!(stderr(&again).contains("already exists"), "{}", stderr(&again));
    assert_eq!(std::fs::read_to_string(project.path().join("tools/greet.clad.toml")).unwrap(), text);
    assert_eq!(project.run(&["tools", "init", "bad name"]).status.code(), Some(2));
}

#[test]
fn tools_run_offline_is_decided_run_and_audited() {
    let project = allowed_project();
    let out = project.run(&["tools", "run", "file_hash", "--agent", "hello", "--arg", "path=symbiont.toml", "--json"]);
    let envelope = json_out(&out);
    assert_eq!(
        (envelope["status"].as_str(), envelope["tool"].as_str()),
        (Some("success"), Some("file_hash")),
        "{envelope}"
    );
    assert!(envelope["output_hash"].as_str().unwrap().starts_with("sha256:"));
    let records = audit_records(&project);
    let outcome = has_record(&records, "execution_outcome", "Tool::\\\"file_hash\\\"")
        .unwrap_or_else(|| panic!("no execution_outcome record: {records:?}"));
    assert!(outcome.to_string().contains("\"run\""), "recorded with surface run: {outcome}");
}

#[test]
fn tools_run_offline_denied_or_held_exits_2_and_runs_nothing() {
    let project = Project::scaffolded();
    std::fs::write(project.path().join("tools/send_email.clad.toml"), SEND_EMAIL).unwrap();
    std::fs::write(project.path().join("agents/mailer.symbi"), MAILER).unwrap();
    let denied = project.run(&["tools", "run", "file_hash", "--agent", "hello", "--arg", "path=symbiont.toml"]);
    assert_eq!(denied.status.code(), Some(2), "{}{}", stdout(&denied), stderr(&denied));
    assert!(stderr(&denied).contains("refused: denied by policy"), "{}", stderr(&denied));
    assert!(stdout(&denied).is_empty());
    let held = project.run(&["tools", "run", "send_email", "--agent", "mailer", "--arg", "to=ops@example.com"]);
    assert_eq!(held.status.code(), Some(2), "{}", stderr(&held));
    assert!(stderr(&held).contains("needs a person's approval"), "{}", stderr(&held));
    assert!(!project.path().join(".symbi/evidence").exists(), "nothing ran");
    let records = audit_records(&project);
    assert!(
        has_record(&records, "\"deny\"", "Tool::\\\"file_hash\\\"").is_some(),
        "the denial is recorded: {records:?}"
    );
    assert!(has_record(&records, "execution_outcome", "Tool").is_none(), "{records:?}");
}

#[test]
fn tools_run_goes_to_a_running_runtime_and_schema_and_cedar_match_the_api() {
    let project = allowed_project();
    project.configure(&format!("[api]\nport = {}\n", free_port()));
    let server = Server::start_configured(&project);
    let key = project.admin_key();

    let out = project.run(&["tools", "run", "file_hash", "--agent", "hello", "--arg", "path=symbiont.toml", "--json"]);
    assert!(stderr(&out).contains("sending the call to it"), "{}", stderr(&out));
    assert_eq!(json_out(&out)["status"], "success");
    let records = get(&server.url("/api/v1/audit?kind=execution_outcome"), Some(&key)).json();
    assert!(records.to_string().contains("file_hash"), "the runtime recorded the run: {records}");

    let denied = project.run(&["tools", "run", "count_lines", "--agent", "nobody", "--arg", "path=symbiont.toml"]);
    assert_eq!(denied.status.code(), Some(2), "{}", stderr(&denied));
    assert!(stderr(&denied).contains("refused by the runtime"), "{}", stderr(&denied));

    let cli = json_out(&project.run(&["tools", "schema", "file_hash"]));
    let api = get(&server.url("/api/v1/tools/file_hash/schema"), Some(&key)).json();
    assert_eq!(cli, api);

    // The policy template the CLI offers is the API's, and it is valid policy as printed.
    let template = project.run(&["tools", "cedar", "file_hash"]);
    assert!(template.status.success(), "{}", stderr(&template));
    let detail = get(&server.url("/api/v1/tools/file_hash"), Some(&key)).json();
    let text = String::from_utf8(template.stdout).unwrap();
    assert_eq!(text, detail["cedar_template"].as_str().unwrap());
    std::fs::write(project.path().join("policies/file_hash.cedar"), &text).unwrap();
    let validated = project.run(&["policy", "validate"]);
    assert!(validated.status.success(), "{}", stderr(&validated));
    assert_eq!(project.run(&["tools", "cedar", "no_such_tool"]).status.code(), Some(2));
}

#[test]
fn http_tools_go_through_the_runtime_transport_and_its_ssrf_guard() {
    let (port, seen) = http_service(|_| r#"{"answer": 42}"#.to_owned());
    let project = Project::scaffolded();
    let manifest = format!(
        "[tool]\nname = \"lookup\"\nversion = \"1\"\nbinary = \"http\"\ndescription = \"Ask the local service\"\n\
         [args.q]\ntype = \"string\"\nrequired = true\n\
         [http]\nmethod = \"GET\"\nurl = \"http://127.0.0.1:{port}/lookup?q={{q}}\"\n[output]\nformat = \"json\"\n"
    );
    std::fs::write(project.path().join("tools/lookup.clad.toml"), manifest).unwrap();
    std::fs::write(
        project.path().join("policies/lookup.cedar"),
        "permit(principal == Agent::\"hello\", action == Action::\"execute_tool\", resource == Tool::\"lookup\");\n",
    )
    .unwrap();
    let run = ["tools", "run", "lookup", "--agent", "hello", "--arg", "q=hello world", "--json"];

    // By default the guard refuses loopback before anything is sent.
    let refused = project.run(&run);
    assert_eq!(refused.status.code(), Some(1), "{}{}", stdout(&refused), stderr(&refused));
    assert!(stderr(&refused).contains("refused to reach"), "{}", stderr(&refused));
    assert!(seen.try_recv().is_err(), "nothing reached the service");

    // Only explicit configuration lets a tool reach the local network.
    project.configure("[tools]\ndangerous_allow_internal_http = true\n");
    let envelope = json_out(&project.run(&run));
    assert_eq!(
        (envelope["status"].as_str(), envelope["http_status"].as_u64()),
        (Some("success"), Some(200)),
        "{envelope}"
    );
    assert_eq!(envelope["results"]["answer"], 42, "{envelope}");
    assert_eq!(seen.recv().unwrap()[0], "GET /lookup?q=hello%20world HTTP/1.1");
}
