//! `symbi secrets`: set, list and remove the secrets tool manifests reference as
//! `{_secret:NAME}`, directly in the project's store, sealed under the data directory's
//! `secrets.key`. Values come from stdin (or an unechoed prompt), never from argv, and are never
//! printed. Every change is recorded in the audit log first, by name only; a change that cannot be
//! recorded is not made. A running runtime uses a new value on its next call.

use std::io::{IsTerminal as _, Read as _, Write as _};
use std::path::Path;
use std::sync::Arc;

use anyhow::{Context as _, anyhow};
use symbi_runtime::{AgentId, DataDir, SecretName, SecretScope, Secrets, SqliteStore, Store};
use zeroize::Zeroizing;

use crate::Outcome;
use crate::cli::{SecretsAction, SecretsArgs};
use crate::exit::{Exit, Failure};

/// The most read from stdin: one byte more than the longest value accepted, so an oversized
/// value is refused rather than cut.
const MAX_INPUT: u64 = 64 * 1024 + 3;

pub(crate) fn run(args: SecretsArgs) -> Outcome {
    let config = super::load_config(&args.dir)?;
    let data_dir = DataDir::prepare(&config.data_dir)?;
    let store: Arc<dyn Store> = Arc::new(
        SqliteStore::open(&data_dir.store_file())
            .with_context(|| format!("cannot open the store in `{}`", data_dir.path().display()))?,
    );
    let secrets = Secrets::new(store, data_dir.path());
    let audit = symbi_runtime::audit_dir(&config.data_dir);
    let runtime = super::small_runtime()?;
    match args.action {
        SecretsAction::Set { name, agent } => {
            let (scope, name) = (scope(agent.as_deref())?, secret_name(&name)?);
            let value = read_value(&name)?;
            runtime.block_on(set(&secrets, &audit, &scope, &name, &value))
        }
        SecretsAction::List { json } => runtime.block_on(list(&secrets, json)),
        SecretsAction::Rm { name, agent } => {
            let (scope, name) = (scope(agent.as_deref())?, secret_name(&name)?);
            runtime.block_on(remove(&secrets, &audit, &scope, &name))
        }
    }
}

async fn set(secrets: &Secrets, audit: &Path, scope: &SecretScope, name: &SecretName, value: &str) -> Outcome {
    // Refuse a bad value before anything is recorded: a record must describe a change made.
    Secrets::check_value(name, value).map_err(Failure::invalid)?;
    record(audit, "set", scope, name).await?;
    let replaced = secrets.set(scope, name, value).await.map_err(|e| anyhow!(e).context("the secret was not set"))?;
    let verb = if replaced { "replaced" } else { "set" };
    eprintln!("symbi: secret `{name}` {verb} for {scope}");
    Ok(Exit::Success)
}

async fn list(secrets: &Secrets, json: bool) -> Outcome {
    let entries = secrets.list().await?;
    if json {
        let rows: Vec<serde_json::Value> = entries
            .iter()
            .map(|e| {
                serde_json::json!({
                    "name": e.name.as_str(),
                    "agent": e.scope.agent().map(AgentId::as_str),
                    "updated_at": humantime::format_rfc3339_seconds(e.updated_at).to_string(),
                })
            })
            .collect();
        println!("{}", serde_json::Value::Array(rows));
        return Ok(Exit::Success);
    }
    if entries.is_empty() {
        eprintln!("symbi: no secrets yet; set one with `symbi secrets set NAME [--agent AGENT]`");
        return Ok(Exit::Success);
    }
    let mut out = std::io::stdout().lock();
    writeln!(out, "{:<24}  {:<40}  UPDATED", "SCOPE", "NAME")?;
    for entry in &entries {
        let scope = entry.scope.agent().map_or_else(|| "project".to_owned(), |a| format!("agent:{a}"));
        let updated = humantime::format_rfc3339_seconds(entry.updated_at);
        writeln!(out, "{scope:<24}  {:<40}  {updated}", entry.name.as_str())?;
    }
    Ok(Exit::Success)
}

async fn remove(secrets: &Secrets, audit: &Path, scope: &SecretScope, name: &SecretName) -> Outcome {
    let exists = secrets.list().await?.iter().any(|e| &e.scope == scope && &e.name == name);
    if !exists {
        return Err(Failure::invalid(anyhow!("no secret `{name}` for {scope}; `symbi secrets list` shows them")));
    }
    record(audit, "remove", scope, name).await?;
    secrets.remove(scope, name).await?;
    eprintln!("symbi: secret `{name}` removed for {scope}");
    Ok(Exit::Success)
}

/// Records a secret change before it is made, by name and scope only.
async fn record(audit: &Path, action: &str, scope: &SecretScope, name: &SecretName) -> Result<(), Failure> {
    let mut event = symbi_audit::Event::config_change(super::cli_principal(), action, format!("Secret::\"{name}\""))
        .with_surface("cli")
        .with_reason(format!("for {}", scope.to_string().replace('`', "")));
    event.agent = scope.agent().map(AgentId::to_string);
    super::record_event(audit, event).await.map_err(|e| e.context("the secret change was not made").into())
}

fn scope(agent: Option<&str>) -> Result<SecretScope, Failure> {
    let agent = agent
        .map(|a| AgentId::parse(a).map_err(|e| Failure::invalid(anyhow!("invalid agent id `{a}`: {e}"))))
        .transpose()?;
    Ok(SecretScope::of(agent))
}

fn secret_name(name: &str) -> Result<SecretName, Failure> {
    SecretName::parse(name).map_err(Failure::invalid)
}

/// The value from stdin: asked for without echo at a terminal, else read whole. One trailing
/// newline (`\n` or `\r\n`) is dropped, since `echo` and editors add one.
fn read_value(name: &SecretName) -> Result<Zeroizing<String>, Failure> {
    let stdin = std::io::stdin();
    let mut value = Zeroizing::new(String::new());
    if stdin.is_terminal() {
        eprint!("value of secret `{name}` (not shown): ");
        let terminal = rustix::termios::tcgetattr(&stdin).context("cannot read the terminal's settings")?;
        let mut quiet = terminal.clone();
        quiet.local_modes.remove(rustix::termios::LocalModes::ECHO);
        rustix::termios::tcsetattr(&stdin, rustix::termios::OptionalActions::Now, &quiet)
            .context("cannot turn the terminal's echo off")?;
        let read = stdin.read_line(&mut value);
        let restored = rustix::termios::tcsetattr(&stdin, rustix::termios::OptionalActions::Now, &terminal);
        eprintln!();
        read.context("cannot read the value")?;
        restored.context("cannot restore the terminal's echo")?;
    } else {
        stdin.lock().take(MAX_INPUT).read_to_string(&mut value).context("cannot read the value from stdin")?;
    }
    let trimmed = value.strip_suffix('\n').map(|v| v.strip_suffix('\r').unwrap_or(v)).map(str::len);
    if let Some(len) = trimmed {
        value.truncate(len);
    }
    Ok(value)
}
