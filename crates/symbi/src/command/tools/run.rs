//! `symbi tools run`: one tool call through the Governor, never around it. When no runtime holds
//! the audit log, a Governor is opened in this process on the project's store and log (as
//! `symbi up` opens it) and decides, runs and records the call. When a runtime is running, the
//! call is sent to it over its API with the admin key, so its Governor decides and records it, and
//! a person can approve a held call there.

use std::io::Write as _;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context as _, anyhow};
use serde_json::{Map, Value};
use symbi_audit::{AuditConfig, AuditLog, OpenError};
use symbi_policy::{Action, Decision, EntityRef, PolicyRequest, Surface};
use symbi_runtime::{AgentId, Config, DataDir, Governor, Refusal, SqliteStore, Store, ToolRunError};
use symbi_toolclad::{Envelope, Status, ToolCall};

use crate::Outcome;
use crate::exit::{Exit, Failure};

pub(super) fn run(config: &Config, name: &str, args: &Map<String, Value>, agent: &AgentId, json: bool) -> Outcome {
    let data_dir = DataDir::prepare(&config.data_dir)?;
    let audit_dir = symbi_runtime::audit_dir(&config.data_dir);
    match AuditLog::open(&audit_dir, &AuditConfig::default()) {
        Ok(log) => {
            // Events other processes left while no runtime held the log go first, as at start-up.
            log.drain_inbox().context("cannot append the audit log's inbox")?;
            super::super::small_runtime()?.block_on(local(config, &data_dir, log, name, args, agent, json))
        }
        Err(OpenError::Locked { .. }) => remote(config, &data_dir, name, args, agent, json),
        Err(e) => Err(anyhow::Error::new(e)
            .context(format!("cannot open the audit log in `{}`; nothing ran", audit_dir.display()))
            .into()),
    }
}

/// Opens a Governor here and runs the call through it (surface `run`).
async fn local(
    config: &Config,
    data_dir: &DataDir,
    log: AuditLog,
    name: &str,
    args: &Map<String, Value>,
    agent: &AgentId,
    json: bool,
) -> Outcome {
    let store_file = data_dir.store_file();
    let store: Arc<dyn Store> = Arc::new(
        tokio::task::spawn_blocking(move || SqliteStore::open(&store_file))
            .await?
            .with_context(|| format!("cannot open the store in `{}`", data_dir.path().display()))?,
    );
    let governor = Governor::open(config, store, Arc::new(log)).await.map_err(Failure::invalid)?;
    // The agents the project's files define, registered as `symbi up` would.
    governor.sync_agent_files().await.map_err(Failure::invalid)?;
    let catalog = governor.tool_catalog();
    let validated = catalog.validate(&ToolCall::from_json(name, args)).map_err(super::call_failure)?;
    let request = PolicyRequest {
        principal: EntityRef::Agent(agent.to_string()),
        action: Action::ExecuteTool,
        resource: EntityRef::Tool(name.to_owned()),
        surface: Surface::Run,
        delegation_depth: None,
    };
    // Nobody can approve a held call in this process: refuse it before it is held, rather than
    // wait out the approval timeout.
    let evaluation = governor.evaluate(&request).await;
    let held = match evaluation.decision {
        Decision::RequireApproval => Some(evaluation.reason),
        Decision::Allow if validated.tool().human_approval() => Some("the tool's manifest requires it".to_owned()),
        Decision::Allow | Decision::Deny => None,
    };
    if let Some(reason) = held {
        eprintln!(
            "symbi: not run: `{name}` for agent `{agent}` needs a person's approval ({reason}), and a call cannot \
             be approved without a running runtime"
        );
        eprintln!("symbi: start `symbi up` and run this again: the call goes to the runtime and waits for approval");
        return Ok(Exit::Blocked);
    }
    match governor.run_tool(request.principal, name, args, Surface::Run).await {
        Ok(envelope) => print_envelope(&envelope, json),
        Err(ToolRunError::Call(e)) => Err(super::call_failure(e)),
        Err(ToolRunError::Refused(Refusal::Unrecorded { reason })) => {
            Err(anyhow!("the call cannot be recorded in the audit log, so nothing ran: {reason}").into())
        }
        Err(ToolRunError::Refused(refusal)) => {
            eprintln!("symbi: refused: {refusal}; nothing ran");
            Ok(Exit::Blocked)
        }
        Err(e @ (ToolRunError::Exec(_) | ToolRunError::Task(_) | ToolRunError::Secret(_))) => {
            Err(anyhow::Error::new(e).context(format!("tool `{name}` could not run")).into())
        }
    }
}

/// Prints the envelope; exit 1 when the tool failed or timed out.
fn print_envelope(envelope: &Envelope, json: bool) -> Outcome {
    let text = if json { serde_json::to_string(envelope)? } else { serde_json::to_string_pretty(envelope)? };
    writeln!(std::io::stdout().lock(), "{text}")?;
    Ok(match envelope.status {
        Status::Success => Exit::Success,
        Status::Error | Status::Timeout => Exit::Problems,
    })
}

/// Sends the call to the running runtime: `POST /api/v1/tools/{name}/execute` with the admin key.
fn remote(
    config: &Config,
    data_dir: &DataDir,
    name: &str,
    args: &Map<String, Value>,
    agent: &AgentId,
    json: bool,
) -> Outcome {
    // Tool names are `A-Za-z0-9_-`; anything else would need escaping and names no tool.
    if name.is_empty() || !name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-') {
        return Err(super::no_tool(name));
    }
    let token = match &config.api.admin_token {
        Some(token) => token.expose().to_owned(),
        None => {
            let file = data_dir.path().join("admin.key");
            std::fs::read_to_string(&file).map(|t| t.trim().to_owned()).with_context(|| {
                format!(
                    "a runtime is running but its admin key cannot be read from `{}`; set SYMBIONT_API_TOKEN",
                    file.display()
                )
            })?
        }
    };
    // The runtime says where it listens; the configured address is the fallback for one that
    // predates that file.
    let address = symbi_runtime::runtime_address(data_dir.path()).map_or_else(
        || SocketAddr::new(reachable(config.api.bind), config.api.port),
        |bound| SocketAddr::new(reachable(bound.ip()), bound.port()),
    );
    let url = format!("http://{address}/api/v1/tools/{name}/execute");
    eprintln!("symbi: a runtime holds the audit log; sending the call to it at http://{address}");
    let body = serde_json::json!({ "agent_id": agent.as_str(), "arguments": args }).to_string();
    // A held call waits for a person: allow the approval timeout on top of the request's own.
    let patience =
        config.api.request_timeout.saturating_add(config.approval_timeout).saturating_add(Duration::from_secs(10));
    let client: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .max_redirects(0)
        .timeout_connect(Some(Duration::from_secs(5)))
        .timeout_global(Some(patience))
        .build()
        .into();
    let mut response = client
        .post(&url)
        .header("authorization", &format!("Bearer {token}"))
        .content_type("application/json")
        .send(body.as_bytes())
        .with_context(|| format!("cannot reach the runtime at http://{address}; nothing ran"))?;
    let status = response.status().as_u16();
    let text = response
        .body_mut()
        .with_config()
        .limit(64 << 20)
        .read_to_string()
        .context("cannot read the runtime's answer")?;
    let answer: Value = serde_json::from_str(&text)
        .with_context(|| format!("the runtime answered HTTP {status} with a body that is not JSON"))?;
    let message = answer.get("error").and_then(Value::as_str).unwrap_or("").to_owned();
    match status {
        200 => {
            let envelope: Envelope =
                serde_json::from_value(answer).context("the runtime's answer is not an evidence envelope")?;
            print_envelope(&envelope, json)
        }
        403 => {
            eprintln!("symbi: refused by the runtime: {message}; nothing ran");
            Ok(Exit::Blocked)
        }
        400 | 404 => Err(Failure::invalid(anyhow!("{message}"))),
        401 => {
            Err(anyhow!("the runtime refused the admin key (HTTP 401); check admin.key or SYMBIONT_API_TOKEN").into())
        }
        other => Err(anyhow!("the runtime answered HTTP {other}: {message}").into()),
    }
}

/// Where to reach a runtime bound to `bind`: loopback when it listens on every address.
fn reachable(bind: IpAddr) -> IpAddr {
    match bind {
        IpAddr::V4(v4) if v4.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
        IpAddr::V6(v6) if v6.is_unspecified() => IpAddr::V6(Ipv6Addr::LOCALHOST),
        other => other,
    }
}
