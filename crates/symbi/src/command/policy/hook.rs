//! Coding-assistant hook protocols: a Claude Code `PreToolUse` or Gemini CLI `BeforeTool` event
//! in, the host's own answer out. A denial is always exit 2 with the reason on stderr (both hosts
//! block on it, and it still blocks if a host mis-parses JSON); JSON on stdout is only for
//! `allow` and Claude Code's `ask`. Anything that prevents a decision is a denial: fail closed.

use serde_json::{Value, json};
use symbi_policy::{Action, Decision, EntityRef, Evaluation, PolicyRequest, Surface};

/// Which host sent the event, and so how to answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum Host {
    /// Claude Code (`PreToolUse`).
    Claude,
    /// Gemini CLI (`BeforeTool`).
    Gemini,
}

/// The largest event read from stdin; tool inputs (a whole file being written) can be large.
pub(super) const MAX_EVENT_BYTES: usize = 8 * 1024 * 1024;

/// A tool call a host is about to make.
#[derive(Debug, PartialEq, Eq)]
pub(super) struct HookEvent {
    pub(super) host: Host,
    pub(super) tool: String,
    /// The file a file tool reads or writes, absolute as hosts send it.
    pub(super) path: Option<String>,
}

/// Reads the host's event; `host` overrides detection by `hook_event_name`.
pub(super) fn parse(input: &[u8], host: Option<Host>) -> Result<HookEvent, String> {
    let event: Value = serde_json::from_slice(input).map_err(|e| format!("the hook event is not JSON: {e}"))?;
    let name = event.get("hook_event_name").and_then(Value::as_str).unwrap_or_default();
    let host = match (host, name) {
        (Some(host), _) => host,
        (None, "PreToolUse") => Host::Claude,
        (None, "BeforeTool") => Host::Gemini,
        (None, other) => {
            return Err(format!(
                "`hook_event_name` is `{other}`; symbi answers Claude Code `PreToolUse` and Gemini CLI `BeforeTool`"
            ));
        }
    };
    let tool = event.get("tool_name").and_then(Value::as_str).filter(|t| !t.is_empty());
    let tool = tool.ok_or("the hook event has no `tool_name`")?.to_owned();
    let input = event.get("tool_input");
    let path = ["file_path", "notebook_path", "path"]
        .iter()
        .find_map(|k| input.and_then(|i| i.get(k)).and_then(Value::as_str))
        .map(str::to_owned);
    Ok(HookEvent { host, tool, path })
}

/// The policy request a tool call makes for `agent` on the `hook` surface: file tools read or
/// write `Resource::"<path>"`; every other tool (shell, web, MCP `mcp__server__tool`) is
/// `invoke_tool` on `Tool::"<name>"`.
pub(super) fn request(event: &HookEvent, agent: &str) -> PolicyRequest {
    let lower = event.tool.to_ascii_lowercase();
    let file_action = match lower.as_str() {
        "read"
        | "read_file"
        | "read_many_files"
        | "grep"
        | "glob"
        | "ls"
        | "list_directory"
        | "search_file_content" => Some(Action::Read),
        "write" | "edit" | "multiedit" | "notebookedit" | "write_file" | "replace" => Some(Action::Write),
        _ => None,
    };
    let (action, resource) = match (file_action, &event.path) {
        (Some(action), Some(path)) => (action, EntityRef::Resource(path.clone())),
        _ => (Action::InvokeTool, EntityRef::Tool(event.tool.clone())),
    };
    PolicyRequest {
        principal: EntityRef::Agent(agent.to_owned()),
        action,
        resource,
        surface: Surface::Hook,
        delegation_depth: None,
    }
}

/// What to print and how to exit.
#[derive(Debug, PartialEq, Eq)]
pub(super) struct Answer {
    pub(super) stdout: Option<String>,
    pub(super) stderr: Option<String>,
    pub(super) code: u8,
}

/// The host's answer to a decision. Gemini CLI has no `ask`, so approval means deny there.
pub(super) fn answer(host: Host, evaluation: &Evaluation) -> Answer {
    let reason = format!("symbi policy: {}", evaluation.reason);
    let deny = |reason: String| Answer { stdout: None, stderr: Some(reason), code: 2 };
    match (host, evaluation.decision) {
        (_, Decision::Deny) => deny(reason),
        (Host::Gemini, Decision::RequireApproval) => {
            deny(format!("{reason} (this action needs a person's approval, which Gemini CLI hooks cannot ask for)"))
        }
        (Host::Claude, decision) => {
            let permission = if decision == Decision::Allow { "allow" } else { "ask" };
            let body = json!({"hookSpecificOutput": {
                "hookEventName": "PreToolUse",
                "permissionDecision": permission,
                "permissionDecisionReason": reason,
            }});
            Answer { stdout: Some(body.to_string()), stderr: None, code: 0 }
        }
        (Host::Gemini, _) => {
            Answer { stdout: Some(json!({"decision": "allow", "reason": reason}).to_string()), stderr: None, code: 0 }
        }
    }
}

/// A refusal for an event that could not be decided at all.
pub(super) fn refuse(problem: &str) -> Answer {
    Answer {
        stdout: None,
        stderr: Some(format!("symbi policy: refused, no decision was possible: {problem}")),
        code: 2,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn evaluation(decision: Decision) -> Evaluation {
        Evaluation { decision, policies: vec!["p".to_owned()], reason: "because".to_owned() }
    }

    #[test]
    fn events_map_to_requests_by_tool_kind() {
        let claude = br#"{"session_id":"s","hook_event_name":"PreToolUse","tool_name":"Write","tool_input":{"file_path":"/p/a.txt","content":"x"},"tool_use_id":"t"}"#;
        let event = parse(claude, None).unwrap();
        assert_eq!(event, HookEvent { host: Host::Claude, tool: "Write".into(), path: Some("/p/a.txt".into()) });
        let r = request(&event, "dev");
        assert_eq!((r.action, r.resource), (Action::Write, EntityRef::Resource("/p/a.txt".into())));
        let gemini =
            br#"{"hook_event_name":"BeforeTool","tool_name":"run_shell_command","tool_input":{"command":"ls"}}"#;
        let event = parse(gemini, None).unwrap();
        let r = request(&event, "dev");
        assert_eq!(
            (event.host, r.action, r.resource),
            (Host::Gemini, Action::InvokeTool, EntityRef::Tool("run_shell_command".into()))
        );
        assert!(parse(b"{", None).is_err());
        assert!(parse(br#"{"hook_event_name":"PostToolUse","tool_name":"x"}"#, None).is_err());
        assert!(parse(br#"{"hook_event_name":"PreToolUse"}"#, None).is_err());
    }

    #[test]
    fn answers_follow_each_host_and_deny_is_exit_2() {
        let deny = answer(Host::Claude, &evaluation(Decision::Deny));
        assert_eq!((deny.code, deny.stdout.is_none()), (2, true));
        let ask = answer(Host::Claude, &evaluation(Decision::RequireApproval));
        assert!(ask.stdout.unwrap().contains(r#""permissionDecision":"ask""#));
        assert_eq!(answer(Host::Gemini, &evaluation(Decision::RequireApproval)).code, 2);
        let allow = answer(Host::Gemini, &evaluation(Decision::Allow));
        assert!(allow.stdout.unwrap().starts_with(r#"{"decision":"allow""#));
    }
}
