//! `symbi policy evaluate|validate|test`: coding-assistant hooks answered in each host's own
//! protocol from real event JSON, and policy tests for users' CI.

use crate::util::{Project, symbi_with_stdin};

/// Runs `symbi policy evaluate` with `event` on stdin: (exit code, stdout, stderr).
fn hook(project: &Project, args: &[&str], event: &str) -> (i32, String, String) {
    let mut all = vec!["policy", "evaluate", "--dir", project.path().to_str().unwrap()];
    all.extend_from_slice(args);
    let out = symbi_with_stdin(&all, event);
    (out.status.code().unwrap(), String::from_utf8(out.stdout).unwrap(), String::from_utf8(out.stderr).unwrap())
}

fn claude(tool: &str, input: &str) -> String {
    format!(
        r#"{{"session_id":"abc123","transcript_path":"/home/u/.claude/projects/p/abc123.jsonl","cwd":"/home/user/project","permission_mode":"default","hook_event_name":"PreToolUse","tool_name":"{tool}","tool_input":{input},"tool_use_id":"toolu_01ABC123"}}"#
    )
}

fn project() -> Project {
    let project = Project::new();
    std::fs::write(
        project.path().join("policies/assistant.cedar"),
        r#"@id("read-project")
permit(principal == Agent::"coding-assistant", action == Action::"read", resource)
when { resource has path && resource.path like "/home/user/project/*" };

@id("edit-needs-a-person")
@approval
permit(principal == Agent::"coding-assistant", action == Action::"write", resource);

@id("no-shell-for-others")
permit(principal == Agent::"coding-assistant", action == Action::"invoke_tool", resource == Tool::"WebFetch");
"#,
    )
    .unwrap();
    project
}

#[test]
fn claude_code_events_get_allow_ask_and_deny() {
    let project = project();
    let (code, out, _) = hook(&project, &[], &claude("Read", r#"{"file_path":"/home/user/project/src/main.rs"}"#));
    assert_eq!(code, 0);
    let answer: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(answer["hookSpecificOutput"]["hookEventName"], "PreToolUse");
    assert_eq!(answer["hookSpecificOutput"]["permissionDecision"], "allow");

    let (code, out, _) = hook(
        &project,
        &[],
        &claude("Edit", r#"{"file_path":"/home/user/project/a.rs","old_string":"a","new_string":"b"}"#),
    );
    assert_eq!(code, 0);
    assert!(out.contains(r#""permissionDecision":"ask""#), "{out}");

    // The scaffold forbids `shell_exec`; `Bash` is simply not permitted: default deny, exit 2.
    let (code, out, err) = hook(&project, &[], &claude("Bash", r#"{"command":"rm -rf build","description":"clean"}"#));
    assert_eq!((code, out.as_str()), (2, ""));
    assert!(err.contains("default deny"), "{err}");
    let (code, _, _) = hook(&project, &[], &claude("Read", r#"{"file_path":"/etc/shadow"}"#));
    assert_eq!(code, 2);
    let (code, _, _) = hook(&project, &["--agent", "someone-else"], &claude("WebFetch", r#"{"url":"https://x"}"#));
    assert_eq!(code, 2);
}

#[test]
fn gemini_cli_events_and_broken_input_fail_closed() {
    let project = project();
    let gemini = r#"{"session_id":"s","transcript_path":"/t","cwd":"/home/user/project","hook_event_name":"BeforeTool","timestamp":"2026-01-01T00:00:00Z","tool_name":"WebFetch","tool_input":{"url":"https://example.com"}}"#;
    let (code, out, _) = hook(&project, &[], gemini);
    assert_eq!(code, 0);
    assert_eq!(serde_json::from_str::<serde_json::Value>(&out).unwrap()["decision"], "allow");
    // Gemini CLI cannot ask a person, so an approval-gated action is denied there.
    let edit = gemini.replace(
        r#""tool_name":"WebFetch","tool_input":{"url":"https://example.com"}"#,
        r#""tool_name":"write_file","tool_input":{"file_path":"/home/user/project/a"}"#,
    );
    let (code, _, err) = hook(&project, &[], &edit);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("approval"), "{err}");

    for broken in ["", "{", r#"{"hook_event_name":"PostToolUse","tool_name":"Bash"}"#] {
        let (code, out, err) = hook(&project, &[], broken);
        assert_eq!((code, out.as_str()), (2, ""), "{broken}");
        assert!(err.starts_with("symbi policy: refused"), "{err}");
    }
    std::fs::write(project.path().join("policies/broken.cedar"), "permit(").unwrap();
    let (code, _, err) = hook(&project, &[], &claude("Read", r#"{"file_path":"/home/user/project/a"}"#));
    assert_eq!(code, 2);
    assert!(err.contains("broken.cedar"), "{err}");
}

#[test]
fn policy_validate_and_policy_test_serve_ci() {
    let project = project();
    let out = project.run(&["policy", "validate"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let cases = project.path().join("policy-tests.toml");
    std::fs::write(
        &cases,
        r#"
[[case]]
name = "shell is forbidden"
principal = 'Agent::"planner"'
action = "tool_call"
resource = 'Tool::"shell_exec"'
expect = "deny"

[[case]]
principal = 'Agent::"coding-assistant"'
action = "write"
resource = 'Resource::"/home/user/project/a"'
surface = "hook"
expect = "require_approval"
"#,
    )
    .unwrap();
    let out = project.run(&["policy", "test", cases.to_str().unwrap()]);
    assert!(out.status.success(), "{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).contains("2 passed, 0 failed"));

    std::fs::write(
        &cases,
        "[[case]]\nprincipal = 'Agent::\"a\"'\naction = \"read\"\nresource = 'Resource::\"x\"'\nexpect = \"allow\"\n",
    )
    .unwrap();
    let out = project.run(&["policy", "test", "--json", cases.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!((report[0]["passed"].as_bool(), report[0]["decision"].as_str()), (Some(false), Some("deny")));

    std::fs::write(
        project.path().join("policies/broken.cedar"),
        "permit(principal, action, resource)\nwhen { principal.nope };",
    )
    .unwrap();
    let out = project.run(&["policy", "validate"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("policies/broken.cedar:2:"));
}

/// The compiled set is cached between calls: a cached answer is the cold run's answer, an edited
/// policy file is picked up by the very next call, and a damaged cache is rebuilt.
#[test]
fn hook_cache_answers_as_a_cold_run_and_follows_edits() {
    let project = project();
    let cache = project.path().join(".symbi/cache/hook-policies");
    let events = [
        claude("Read", r#"{"file_path":"/home/user/project/src/main.rs"}"#),
        claude("Edit", r#"{"file_path":"/home/user/project/a.rs","old_string":"a","new_string":"b"}"#),
        claude("Bash", r#"{"command":"ls"}"#),
    ];
    for event in &events {
        let _ = std::fs::remove_file(&cache);
        let cold = hook(&project, &[], event);
        assert!(cache.exists(), "the first call writes the cache");
        assert_eq!(hook(&project, &[], event), cold, "a cache hit answers as the cold run did");
    }
    let read = events.first().unwrap();
    assert_eq!(hook(&project, &[], read).0, 0);

    std::fs::write(
        project.path().join("policies/assistant.cedar"),
        r#"@id("no-reading")
forbid(principal, action == Action::"read", resource);"#,
    )
    .unwrap();
    let (code, _, err) = hook(&project, &[], read);
    assert_eq!(code, 2, "the edit applies at once");
    assert!(err.contains("no-reading"), "{err}");

    std::fs::write(&cache, "symbi-hook-cache/1 0000\n{}\n{not json").unwrap();
    let (code, _, err) = hook(&project, &[], read);
    assert!(code == 2 && err.contains("no-reading"), "a damaged cache is rebuilt: {err}");
    assert!(std::fs::read_to_string(&cache).unwrap().contains("no-reading"));
}

#[test]
fn hook_decisions_reach_the_audit_log_and_replay() {
    let project = project();
    // The runtime creates the audit log; while it is stopped, hook decisions wait in its inbox.
    crate::util::Server::start(&project).signal_and_wait("TERM");
    let (code, _, _) = hook(&project, &[], &claude("Read", r#"{"file_path":"/home/user/project/src/main.rs"}"#));
    assert_eq!(code, 0);
    let (code, _, _) = hook(&project, &[], &claude("Bash", r#"{"command":"rm -rf /"}"#));
    assert_eq!(code, 2);
    let inbox = project.path().join(".symbi/audit/inbox");
    assert_eq!(std::fs::read_dir(&inbox).unwrap().filter(|e| e.as_ref().unwrap().path().is_file()).count(), 2);

    // The next start appends them; they replay against the policy set they were decided with.
    crate::util::Server::start(&project).signal_and_wait("TERM");
    let tail = project.run(&["audit", "tail", "--json", "--kind", "decision"]);
    let records: Vec<serde_json::Value> =
        String::from_utf8_lossy(&tail.stdout).lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    let hooks: Vec<(&str, &str)> = records
        .iter()
        .filter(|r| r["surface"] == "hook")
        .map(|r| (r["action"].as_str().unwrap(), r["decision"].as_str().unwrap()))
        .collect();
    assert_eq!(hooks.len(), 2, "{records:#?}");
    assert_eq!(hooks[0], ("read", "allow"));
    assert_eq!(hooks[1].1, "deny");
    let replay = project.run(&["audit", "replay", "--json"]);
    assert!(replay.status.success(), "{}", String::from_utf8_lossy(&replay.stdout));
}
