//! `symbi policy evaluate|validate|test`: the project's policies without a running runtime, for
//! coding-assistant hooks and for users' CI.

mod cache;
mod hook;
mod offline;

use std::io::Read as _;
use std::path::Path;

use symbi_policy::HookEvent;

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
    let event = HookEvent::parse(&input, host.map(Host::event_host)).map_err(|e| e.to_string())?;
    let offline = Offline::load_cached(dir).map_err(|e| format!("the project's policies cannot be loaded: {e}"))?;
    let request = event.request(agent);
    let (evaluation, entities) = offline.decide_recorded(&request);
    record(&offline, &request, &evaluation, &entities)
        .map_err(|e| format!("the decision cannot be recorded in the audit log, so the call is refused: {e}"))?;
    Ok(hook::answer(event.host(), &evaluation))
}

/// Records a hook decision, with its replay inputs, through the audit log's inbox: the runtime
/// (now or when it next starts) appends it. The hook never opens the log itself, which would mean
/// scanning it on every call. A project whose runtime never started has no log to record into,
/// and is answered without a record.
fn record(
    offline: &Offline,
    request: &symbi_policy::PolicyRequest,
    evaluation: &symbi_policy::Evaluation,
    entities: &serde_json::Value,
) -> std::io::Result<()> {
    let dir = symbi_runtime::audit_dir(&offline.config().data_dir);
    if !dir.is_dir() {
        return Ok(());
    }
    let archive = symbi_audit::PolicyArchive::for_submitter(&dir)?;
    let set_hash = match offline.set_hash() {
        Some(hash) if archive.contains(&hash) => hash,
        _ => archive.archive(&offline.policies().archive_text())?,
    };
    let event = symbi_runtime::decision_record(request, evaluation, set_hash, &request.context_json(), entities);
    symbi_audit::submit_to_inbox(&dir, event)
}

/// Compiles and validates everything `symbi up` would load.
fn validate(dir: &Path) -> Outcome {
    let offline = Offline::load(dir)?;
    println!("ok: {} policies valid against the schema", offline.len());
    Ok(Exit::Success)
}

/// Runs every case; exit 1 when any decision differs from its expectation.
fn test(file: &Path, dir: &Path, json: bool) -> Outcome {
    let text = super::dsl::read(file)?;
    let cases = symbi_policy::parse_test_file(&text)
        .map_err(|e| Failure::invalid(anyhow::anyhow!("`{}`: {e}", file.display())))?;
    let offline = Offline::load(dir)?;
    let mut failed = 0_usize;
    let mut report = Vec::new();
    for case in &cases {
        let (name, expect) = (&case.name, case.expect);
        let got = offline.decide(&case.request);
        let passed = got.decision == expect;
        failed = failed.saturating_add(usize::from(!passed));
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
        println!("{} passed, {failed} failed", cases.len().saturating_sub(failed));
    }
    Ok(if failed == 0 { Exit::Success } else { Exit::Problems })
}
