//! `symbi keys`: issue, list and revoke API keys directly in the project's store. A running
//! runtime notices changes within a quarter of a second. Every change is recorded in the audit
//! log first (through the log's inbox when a running runtime holds it); a change that cannot be
//! recorded is not made.

use std::path::Path;
use std::time::SystemTime;

use anyhow::Context as _;
use symbi_runtime::{AgentId, DataDir, KeyId, KeyScope, Revocation, SqliteStore, Store, StoredKey};

use crate::Outcome;
use crate::cli::{KeysAction, KeysArgs};
use crate::exit::{Exit, Failure};

pub(crate) fn run(args: KeysArgs) -> Outcome {
    let config = super::load_config(&args.dir)?;
    let data_dir = DataDir::prepare(&config.data_dir)?;
    let store = SqliteStore::open(&data_dir.store_file())
        .with_context(|| format!("cannot open the store in `{}`", data_dir.path().display()))?;
    let runtime = super::small_runtime()?;
    let audit = symbi_runtime::audit_dir(&config.data_dir);
    match args.action {
        KeysAction::Create { agents, description, json } => {
            runtime.block_on(create(&store, &audit, &agents, &description, json))
        }
        KeysAction::List { json } => runtime.block_on(list(&store, json)),
        KeysAction::Revoke { key_id, json } => runtime.block_on(revoke(&store, &audit, &key_id, json)),
    }
}

async fn create(store: &SqliteStore, audit: &Path, agents: &[String], description: &str, json: bool) -> Outcome {
    let scope = if agents.is_empty() {
        KeyScope::Admin
    } else {
        let ids = agents
            .iter()
            .map(|a| AgentId::parse(a).map_err(|e| Failure::invalid(anyhow::anyhow!("invalid agent id `{a}`: {e}"))))
            .collect::<Result<_, _>>()?;
        KeyScope::Agents(ids)
    };
    if description.chars().any(char::is_control) {
        return Err(Failure::invalid(anyhow::anyhow!("the description cannot contain control characters")));
    }
    let (token, stored) = symbi_runtime::issue_key(scope, description, SystemTime::now())?;
    record(audit, "create", &stored.id, format!("scope: {}", scope_label(&stored))).await?;
    store.insert_key(&stored).await?;
    if json {
        let mut value = summary(&stored);
        value["token"] = token.reveal().into();
        println!("{value}");
    } else {
        println!("{}", token.reveal());
        eprintln!("symbi: issued {} key {}; the token above is shown only once", scope_label(&stored), stored.id);
    }
    Ok(Exit::Success)
}

async fn list(store: &SqliteStore, json: bool) -> Outcome {
    let keys = store.keys().await?;
    if json {
        println!("{}", serde_json::Value::Array(keys.iter().map(summary).collect()));
        return Ok(Exit::Success);
    }
    if keys.is_empty() {
        eprintln!("symbi: no API keys yet; `symbi up` issues the first, or run `symbi keys create`");
        return Ok(Exit::Success);
    }
    println!("{:<16}  {:<8}  {:<24}  {:<30}  DESCRIPTION", "KEY ID", "STATUS", "CREATED", "SCOPE");
    for key in &keys {
        let status = if key.revoked_at.is_some() { "revoked" } else { "live" };
        println!(
            "{:<16}  {:<8}  {:<24}  {:<30}  {}",
            key.id,
            status,
            humantime::format_rfc3339_seconds(key.created_at).to_string(),
            scope_label(key),
            key.description
        );
    }
    Ok(Exit::Success)
}

async fn revoke(store: &SqliteStore, audit: &Path, key_id: &str, json: bool) -> Outcome {
    let id = KeyId::parse(key_id).ok_or_else(|| {
        Failure::invalid(anyhow::anyhow!(
            "`{key_id}` is not a key id; `symbi keys list` shows them (16 hex characters)"
        ))
    })?;
    if !store.keys().await?.iter().any(|k| k.id == id) {
        return Err(Failure::invalid(anyhow::anyhow!("no API key `{id}`")));
    }
    record(audit, "revoke", &id, "revoked with `symbi keys revoke`".to_owned()).await?;
    let status = match store.revoke_key(&id, SystemTime::now()).await? {
        Revocation::Revoked => "revoked",
        Revocation::AlreadyRevoked => "already_revoked",
        Revocation::NotFound => return Err(Failure::invalid(anyhow::anyhow!("no API key `{id}`"))),
    };
    if json {
        println!("{}", serde_json::json!({ "key_id": id.as_str(), "status": status }));
    } else {
        eprintln!("symbi: key {id} {}", status.replace('_', " "));
    }
    Ok(Exit::Success)
}

/// Records a key change before it is made (see [`super::record_event`]).
async fn record(audit: &Path, action: &str, key: &KeyId, reason: String) -> Result<(), Failure> {
    let event = symbi_audit::Event::key_management(super::cli_principal(), action, format!("ApiKey::\"{key}\""))
        .with_surface("cli")
        .with_reason(reason);
    super::record_event(audit, event).await.map_err(|e| e.context("the key change was not made").into())
}

fn scope_label(key: &StoredKey) -> String {
    match &key.scope {
        KeyScope::Admin => "admin".to_owned(),
        KeyScope::Agents(ids) => {
            format!("agents: {}", ids.iter().map(AgentId::as_str).collect::<Vec<_>>().join(","))
        }
    }
}

fn summary(key: &StoredKey) -> serde_json::Value {
    let agents: Vec<&str> = match &key.scope {
        KeyScope::Admin => Vec::new(),
        KeyScope::Agents(ids) => ids.iter().map(AgentId::as_str).collect(),
    };
    serde_json::json!({
        "key_id": key.id.as_str(),
        "scope": if agents.is_empty() { "admin" } else { "agents" },
        "agents": agents,
        "description": key.description,
        "created_at": humantime::format_rfc3339_millis(key.created_at).to_string(),
        "revoked_at": key.revoked_at.map(|t| humantime::format_rfc3339_millis(t).to_string()),
    })
}
