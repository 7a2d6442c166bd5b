//! Versioned schema migrations for the SQLite store, tracked in `PRAGMA user_version`.
//!
//! Migrations are append-only: a released step is never edited, a change is a new step. Each
//! step runs in its own transaction together with the version bump, so a crash leaves the file at
//! the previous version or the next, never between.

use rusqlite::Connection;

use super::StoreError;

/// The schema steps, in order; step `i` takes the file from version `i` to `i + 1`.
const STEPS: &[&str] = &[
    // 1: agents, their history, API keys.
    "CREATE TABLE agents (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        description TEXT NOT NULL,
        dsl TEXT,
        model_json TEXT,
        capabilities_json TEXT NOT NULL,
        metadata_json TEXT NOT NULL,
        state TEXT NOT NULL,
        created_at_ms INTEGER NOT NULL,
        updated_at_ms INTEGER NOT NULL,
        last_activity_ms INTEGER NOT NULL
    ) STRICT;
    CREATE TABLE agent_history (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        agent_id TEXT NOT NULL REFERENCES agents(id) ON DELETE CASCADE,
        execution_id TEXT NOT NULL,
        status TEXT NOT NULL,
        at_ms INTEGER NOT NULL
    ) STRICT;
    CREATE INDEX agent_history_by_agent ON agent_history(agent_id, seq);
    CREATE TABLE api_keys (
        id TEXT PRIMARY KEY,
        secret_hash TEXT NOT NULL,
        scope_json TEXT,
        description TEXT NOT NULL,
        created_at_ms INTEGER NOT NULL,
        revoked_at_ms INTEGER
    ) STRICT;",
    // 2: Cedar policies managed over the API (files in policies/ are not stored).
    "CREATE TABLE policies (
        name TEXT PRIMARY KEY,
        surface TEXT,
        source TEXT NOT NULL,
        updated_at_ms INTEGER NOT NULL
    ) STRICT;",
    // 3: communication rules added over the API (rules in symbiont.toml are not stored).
    "CREATE TABLE communication_rules (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        from_agent TEXT NOT NULL,
        to_agent TEXT NOT NULL,
        action TEXT,
        effect TEXT NOT NULL,
        reason TEXT,
        priority INTEGER NOT NULL,
        max_depth INTEGER
    ) STRICT;",
    // 4: Cedar policies attached to one agent over the API (the SDK's `reasoning/cedar`); they go
    // with their agent.
    "CREATE TABLE agent_policies (
        agent_id TEXT NOT NULL REFERENCES agents(id) ON DELETE CASCADE,
        name TEXT NOT NULL,
        source TEXT NOT NULL,
        active INTEGER NOT NULL,
        updated_at_ms INTEGER NOT NULL,
        PRIMARY KEY (agent_id, name)
    ) STRICT;",
    // 5: SchemaPin key pins: the key each tool from each domain was first trusted with (TOFU).
    "CREATE TABLE schemapin_pins (
        domain TEXT NOT NULL,
        tool TEXT NOT NULL,
        fingerprint TEXT NOT NULL,
        pinned_at INTEGER NOT NULL,
        PRIMARY KEY (domain, tool)
    ) STRICT;",
    // 6: AgentPin key pins: the keys each issuer domain's credentials were first verified with.
    "CREATE TABLE agentpin_pins (
        domain TEXT NOT NULL,
        thumbprint TEXT NOT NULL,
        kid TEXT NOT NULL,
        pinned_at INTEGER NOT NULL,
        PRIMARY KEY (domain, thumbprint)
    ) STRICT;",
    // 7: secrets for tool calls, sealed with AES-256-GCM under the data directory's secrets.key
    // (never stored here). `scope` is an agent id, or '' for the whole project; no foreign key,
    // so a secret can be set before its agent is registered and survives re-registration.
    "CREATE TABLE secrets (
        scope TEXT NOT NULL,
        name TEXT NOT NULL,
        sealed BLOB NOT NULL,
        updated_at_ms INTEGER NOT NULL,
        PRIMARY KEY (scope, name)
    ) STRICT;",
];

/// The schema version this build writes.
pub(super) fn latest() -> i64 {
    i64::try_from(STEPS.len()).unwrap_or(i64::MAX)
}

/// Brings the database to [`latest`]; refuses a file from a newer build.
pub(super) fn run(conn: &mut Connection) -> Result<(), StoreError> {
    let current: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0)).map_err(super::sqlite::backend)?;
    if current > latest() {
        return Err(StoreError::TooNew { found: current, supported: latest() });
    }
    for (index, sql) in STEPS.iter().enumerate().skip(usize::try_from(current).unwrap_or(usize::MAX)) {
        let tx = conn.transaction().map_err(super::sqlite::backend)?;
        tx.execute_batch(sql).map_err(super::sqlite::backend)?;
        // `index + 1` is at most STEPS.len(), which `latest` already fits into an i64.
        tx.pragma_update(None, "user_version", index.saturating_add(1)).map_err(super::sqlite::backend)?;
        tx.commit().map_err(super::sqlite::backend)?;
    }
    Ok(())
}
