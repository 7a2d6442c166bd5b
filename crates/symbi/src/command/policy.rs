//! `symbi policy evaluate|validate|test`: the project's policies without a running runtime, for
//! coding-assistant hooks and for users' CI.

mod hook;
mod offline;

use std::io::Read as _;
use std::path::Path;

use serde::Deserialize;
use symbi_policy::{Action, Decision, EntityRef, PolicyRequest, Surface};

pub(crate) use self::hook::Host;
pub(crate) use self::offline::Offline;
use crate::Outcome;
use crate::cli::{PolicyAction, PolicyArgs};
use crate::exit::{Exit, Failure};

pub(crate) fn run(args: &PolicyArgs) -> Outcome {
    match &args.action {
        PolicyAction::Evaluate { dir, agent, host } => Ok(evaluate(dir, agent, *host)),
        PolicyAction::Validate { dir } => validate(dir),
        PolicyAction::Test { file, dir, json } => test(file, dir, *json),
    }
}

/// Answers one hook event from stdin. Every failure — unreadable event, invalid policies — is a
/// denial (exit 2, reason on stderr), so a broken setup blocks instead of letting calls through.
fn evaluate(dir: &Path, agent: &str, host: Option<Host>) -> Exit {
    let answer = decide_event(dir, agent, host).unwrap_or_else(|problem| hook::refuse(&problem));
    if let Some(out) = &answer.stdout {
        println!("{out}");
    }
    if let Some(err) = &answer.stderr {
        eprintln!("{err}");
    }
    if answer.code == 0 { Exit::Success } else { Exit::Blocked }
}

fn decide_event(dir: &Path, agent: &str, host: Option<Host>) -> Result<hook::Answer, String> {
    let mut input = Vec::new();
    let limit = u64::try_from(hook::MAX_EVENT_BYTES).unwrap_or(u64::MAX);
    std::io::stdin().take(limit.saturating_add(1)).read_to_end(&mut input).map_err(|e| e.to_string())?;
    if input.len() > hook::MAX_EVENT_BYTES {
        return Err(format!("the hook event is larger than {} bytes", hook::MAX_EVENT_BYTES));
    }
    let event = hook::parse(&input, host)?;
    let offline = Offline::load(dir).map_err(|e| format!("the project's policies cannot be loaded: {e}"))?;
    Ok(hook::answer(event.host, &offline.decide(&hook::request(&event, agent))))
}

/// Compiles and validates everything `symbi up` would load.
fn validate(dir: &Path) -> Outcome {
    let offline = Offline::load(dir)?;
    println!("ok: {} policies valid against the schema", offline.len());
    Ok(Exit::Success)
}

/// A file of policy test cases.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TestFile {
    case: Vec<TestCase>,
}

/// One request and the decision it must get.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TestCase {
    /// Shown in the report; defaults to the request.
    name: Option<String>,
    principal: String,
    action: String,
    resource: String,
    /// `api` unless given.
    surface: Option<String>,
    delegation_depth: Option<u32>,
    /// `allow`, `deny` or `require_approval`.
    expect: String,
}

/// Runs every case; exit 1 when any decision differs from its expectation.
fn test(file: &Path, dir: &Path, json: bool) -> Outcome {
    let text = super::dsl::read(file)?;
    let cases: TestFile = toml::from_str(&text)
        .map_err(|e| Failure::invalid(anyhow::anyhow!("`{}` is not a policy test file: {e}", file.display())))?;
    let mut requests = Vec::new();
    for (n, case) in cases.case.iter().enumerate() {
        let at = |e: String| Failure::invalid(anyhow::anyhow!("{}: case {}: {e}", file.display(), n.saturating_add(1)));
        let request = test_request(case).map_err(at)?;
        let expect = parse_decision(&case.expect)
            .ok_or_else(|| at(format!("`expect = \"{}\"`: use allow, deny or require_approval", case.expect)))?;
        requests.push((request, expect));
    }
    let offline = Offline::load(dir)?;
    let mut failed = 0_usize;
    let mut report = Vec::new();
    for (case, (request, expect)) in cases.case.iter().zip(&requests) {
        let got = offline.decide(request);
        let passed = got.decision == *expect;
        failed = failed.saturating_add(usize::from(!passed));
        let name = case.name.clone().unwrap_or_else(|| format!("{} {} {}", case.principal, case.action, case.resource));
        if json {
            report.push(serde_json::json!({
                "name": name, "passed": passed, "expected": expect.as_str(), "decision": got.decision.as_str(),
                "reason": got.reason, "policies": got.policies,
            }));
        } else if passed {
            println!("ok    {name}");
        } else {
            println!("FAIL  {name}: expected {}, got {} ({})", expect.as_str(), got.decision.as_str(), got.reason);
        }
    }
    if json {
        println!("{}", serde_json::Value::Array(report));
    } else {
        println!("{} passed, {failed} failed", requests.len().saturating_sub(failed));
    }
    Ok(if failed == 0 { Exit::Success } else { Exit::Problems })
}

fn test_request(case: &TestCase) -> Result<PolicyRequest, String> {
    let entity = |field: &str, text: &str| {
        EntityRef::parse(text)
            .ok_or_else(|| format!("`{field} = {text:?}` is not an entity such as `Agent::\"planner\"`"))
    };
    let action = Action::parse(&case.action).ok_or_else(|| {
        format!("`{}` is not an action; use one of {}", case.action, Action::ALL.map(Action::as_str).join(", "))
    })?;
    let surface = match case.surface.as_deref() {
        None => Surface::Api,
        Some(s) => Surface::parse(s).ok_or_else(|| format!("`{s}` is not a surface"))?,
    };
    Ok(PolicyRequest {
        principal: entity("principal", &case.principal)?,
        action,
        resource: entity("resource", &case.resource)?,
        surface,
        delegation_depth: case.delegation_depth,
    })
}

fn parse_decision(text: &str) -> Option<Decision> {
    [Decision::Allow, Decision::Deny, Decision::RequireApproval].into_iter().find(|d| d.as_str() == text)
}
