//! Coding-assistant hook protocols: a Claude Code `PreToolUse` or Gemini CLI `BeforeTool` event
//! in (read by `symbi_policy::HookEvent`), the host's own answer out. A denial is always exit 2
//! with the reason on stderr (both hosts block on it, and it still blocks if a host mis-parses
//! JSON); JSON on stdout is only for `allow` and Claude Code's `ask`. Anything that prevents a
//! decision is a denial: fail closed.

use serde_json::json;
use symbi_policy::{Decision, Evaluation, HookHost};

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

impl Host {
    /// The host as the event parser names it.
    pub(super) fn event_host(self) -> HookHost {
        match self {
            Self::Claude => HookHost::Claude,
            Self::Gemini => HookHost::Gemini,
        }
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
pub(super) fn answer(host: HookHost, evaluation: &Evaluation) -> Answer {
    let reason = format!("symbi policy: {}", evaluation.reason);
    let deny = |reason: String| Answer { stdout: None, stderr: Some(reason), code: 2 };
    match (host, evaluation.decision) {
        (_, Decision::Deny) => deny(reason),
        (HookHost::Gemini, Decision::RequireApproval) => {
            deny(format!("{reason} (this action needs a person's approval, which Gemini CLI hooks cannot ask for)"))
        }
        (HookHost::Claude, decision) => {
            let permission = if decision == Decision::Allow { "allow" } else { "ask" };
            let body = json!({"hookSpecificOutput": {
                "hookEventName": "PreToolUse",
                "permissionDecision": permission,
                "permissionDecisionReason": reason,
            }});
            Answer { stdout: Some(body.to_string()), stderr: None, code: 0 }
        }
        (HookHost::Gemini, _) => {
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
    fn answers_follow_each_host_and_deny_is_exit_2() {
        let deny = answer(HookHost::Claude, &evaluation(Decision::Deny));
        assert_eq!((deny.code, deny.stdout.is_none()), (2, true));
        let ask = answer(HookHost::Claude, &evaluation(Decision::RequireApproval));
        assert!(ask.stdout.unwrap().contains(r#""permissionDecision":"ask""#));
        assert_eq!(answer(HookHost::Gemini, &evaluation(Decision::RequireApproval)).code, 2);
        let allow = answer(HookHost::Gemini, &evaluation(Decision::Allow));
        assert!(allow.stdout.unwrap().starts_with(r#"{"decision":"allow""#));
    }
}
