//! The embedded store: one SQLite file in the data directory, in WAL mode.
//!
//! One writer connection serialises writes (SQLite allows one writer anyway); readers come from a
//! small pool so reads never wait behind a write. Every call runs on tokio's blocking pool.
//! `synchronous = FULL` makes a commit durable before it returns: nothing is acknowledged early.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use rusqlite::{Connection, OpenFlags, OptionalExtension, Row, params};
use serde::{Deserialize, Serialize};

use super::{
    AgentCounts, AgentUpdate, Revocation, Store, StoreError, StoredAgentPolicy, StoredPolicy, StoredRule, StoredSecret,
    migrations,
};
use crate::agent::{Agent, AgentDefinition, AgentId, AgentState, HistoryEntry, ModelProfile};
use crate::keys::{KeyId, KeyScope, StoredKey};

/// Idle reader connections kept open for reuse.
const MAX_IDLE_READERS: usize = 4;

/// The SQLite-backed [`Store`].
#[derive(Debug, Clone)]
pub struct SqliteStore {
    pub(super) inner: Arc<Inner>,
}

#[derive(Debug)]
pub(super) struct Inner {
    path: PathBuf,
    pub(super) writer: Mutex<Connection>,
    readers: Mutex<Vec<Connection>>,
    /// A connection used only for `PRAGMA data_version`, which counts commits by *other*
    /// connections; the writer must not be that connection or our own writes would be missed.
    watcher: Mutex<Connection>,
}

impl SqliteStore {
    /// Opens (creating if needed) the database file and brings its schema up to date.
    ///
    /// Fails if the file cannot be opened, is not a SQLite database, or was written by a newer
    /// symbi. Blocks briefly: call it before serving, or from a blocking task.
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        let open_err = |e: rusqlite::Error| StoreError::Open { path: path.to_owned(), reason: e.to_string() };
        let mut writer = Connection::open(path).map_err(open_err)?;
        configure(&writer).map_err(open_err)?;
        writer.pragma_update(None, "journal_mode", "WAL").map_err(open_err)?;
        migrations::run(&mut writer)?;
        let watcher = open_reader(path).map_err(open_err)?;
        let store = Self {
            inner: Arc::new(Inner {
                path: path.to_owned(),
                writer: Mutex::new(writer),
                readers: Mutex::new(Vec::new()),
                watcher: Mutex::new(watcher),
            }),
        };
        Ok(store)
    }

    async fn read<T, F>(&self, op: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T, StoreError> + Send + 'static,
    {
        let inner = Arc::clone(&self.inner);
        blocking(move || {
            let conn = match lock(&inner.readers).pop() {
                Some(conn) => conn,
                None => open_reader(&inner.path).map_err(backend)?,
            };
            let result = op(&conn);
            let mut idle = lock(&inner.readers);
            if idle.len() < MAX_IDLE_READERS {
                idle.push(conn);
            }
            result
        })
        .await
    }

    async fn write<T, F>(&self, op: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> Result<T, StoreError> + Send + 'static,
    {
        let inner = Arc::clone(&self.inner);
        blocking(move || op(&mut lock(&inner.writer))).await
    }
}

#[async_trait::async_trait]
impl Store for SqliteStore {
    async fn ping(&self) -> Result<(), StoreError> {
        self.read(|c| c.query_row("SELECT 1", [], |_| Ok(())).map_err(backend)).await
    }

    async fn create_agent(
        &self,
        id: &AgentId,
        definition: &AgentDefinition,
        now: SystemTime,
    ) -> Result<Agent, StoreError> {
        let agent = Agent {
            id: id.clone(),
            definition: definition.clone(),
            state: AgentState::Idle,
            created_at: now,
            updated_at: now,
            last_activity: now,
        };
        let row = AgentRow::from_agent(&agent)?;
        self.write(move |conn| {
            let tx = conn.transaction().map_err(backend)?;
            let inserted = tx
                .execute(
                    "INSERT INTO agents (id, name, description, dsl, model_json, capabilities_json, metadata_json,
                        state, created_at_ms, updated_at_ms, last_activity_ms)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?9, ?9) ON CONFLICT(id) DO NOTHING",
                    params![
                        row.id,
                        row.name,
                        row.description,
                        row.dsl,
                        row.model_json,
                        row.capabilities_json,
                        row.metadata_json,
                        row.state,
                        row.at_ms
                    ],
                )
                .map_err(backend)?;
            if inserted == 0 {
                return Err(StoreError::AgentExists { id: agent.id });
            }
            record_history(&tx, &row.id, "registered", row.at_ms)?;
            tx.commit().map_err(backend)?;
            Ok(agent)
        })
        .await
    }

    async fn agent(&self, id: &AgentId) -> Result<Option<Agent>, StoreError> {
        let id = id.as_str().to_owned();
        self.read(move |c| {
            c.prepare_cached(&format!("SELECT {AGENT_COLUMNS} FROM agents WHERE id = ?1"))
                .and_then(|mut s| s.query_row([&id], AgentRow::read).optional())
                .map_err(backend)?
                .map(AgentRow::into_agent)
                .transpose()
        })
        .await
    }

    async fn agent_ids(&self) -> Result<Vec<AgentId>, StoreError> {
        self.read(|c| {
            let mut stmt = c.prepare_cached("SELECT id FROM agents ORDER BY rowid").map_err(backend)?;
            let ids = stmt.query_map([], |r| r.get::<_, String>(0)).map_err(backend)?;
            ids.map(|id| id.map_err(backend).and_then(|id| parse_agent_id(&id))).collect()
        })
        .await
    }

    async fn agent_counts(&self) -> Result<AgentCounts, StoreError> {
        self.read(|c| {
            c.query_row("SELECT count(*), count(*) FILTER (WHERE state IN ('active', 'busy')) FROM agents", [], |r| {
                Ok(AgentCounts { total: r.get(0)?, active: r.get(1)? })
            })
            .map_err(backend)
        })
        .await
    }

    async fn update_agent(
        &self,
        id: &AgentId,
        update: &AgentUpdate,
        now: SystemTime,
    ) -> Result<Option<Agent>, StoreError> {
        let id = id.as_str().to_owned();
        let update = update.clone();
        let at_ms = millis(now);
        self.write(move |conn| {
            let tx = conn.transaction().map_err(backend)?;
            let changed = tx
                .execute(
                    "UPDATE agents SET name = coalesce(?2, name), description = coalesce(?3, description),
                        dsl = coalesce(?4, dsl), state = coalesce(?5, state),
                        updated_at_ms = ?6, last_activity_ms = ?6
                     WHERE id = ?1",
                    params![
                        id,
                        update.name,
                        update.description,
                        update.dsl,
                        update.state.map(AgentState::as_str),
                        at_ms
                    ],
                )
                .map_err(backend)?;
            if changed == 0 {
                return Ok(None);
            }
            record_history(&tx, &id, "updated", at_ms)?;
            let row = tx
                .query_row(&format!("SELECT {AGENT_COLUMNS} FROM agents WHERE id = ?1"), [&id], AgentRow::read)
                .map_err(backend)?;
            tx.commit().map_err(backend)?;
            row.into_agent().map(Some)
        })
        .await
    }

    async fn delete_agent(&self, id: &AgentId) -> Result<bool, StoreError> {
        let id = id.as_str().to_owned();
        self.write(move |conn| {
            // History rows go with the agent (ON DELETE CASCADE).
            conn.execute("DELETE FROM agents WHERE id = ?1", [&id]).map(|n| n > 0).map_err(backend)
        })
        .await
    }

    async fn agent_history(&self, id: &AgentId, limit: u32) -> Result<Vec<HistoryEntry>, StoreError> {
        let id = id.as_str().to_owned();
        self.read(move |c| {
            let mut stmt = c
                .prepare_cached(
                    "SELECT execution_id, status, at_ms FROM agent_history WHERE agent_id = ?1
                     ORDER BY seq DESC LIMIT ?2",
                )
                .map_err(backend)?;
            let rows = stmt
                .query_map(params![id, limit], |r| {
                    Ok(HistoryEntry { execution_id: r.get(0)?, status: r.get(1)?, timestamp: time(r.get(2)?) })
                })
                .map_err(backend)?;
            rows.map(|r| r.map_err(backend)).collect()
        })
        .await
    }

    async fn insert_key(&self, key: &StoredKey) -> Result<(), StoreError> {
        let scope_json = match &key.scope {
            KeyScope::Admin => None,
            KeyScope::Agents(ids) => Some(to_json(&ids.iter().map(AgentId::as_str).collect::<Vec<_>>())?),
        };
        let (id, hash, description) = (key.id.clone(), key.secret_hash.clone(), key.description.clone());
        let (created, revoked) = (millis(key.created_at), key.revoked_at.map(millis));
        self.write(move |conn| {
            let inserted = conn
                .execute(
                    "INSERT INTO api_keys (id, secret_hash, scope_json, description, created_at_ms, revoked_at_ms)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT(id) DO NOTHING",
                    params![id.as_str(), hash, scope_json, description, created, revoked],
                )
                .map_err(backend)?;
            if inserted == 0 {
                return Err(StoreError::KeyExists { id });
            }
            Ok(())
        })
        .await
    }

    async fn keys(&self) -> Result<Vec<StoredKey>, StoreError> {
        self.read(|c| {
            let mut stmt = c
                .prepare_cached(
                    "SELECT id, secret_hash, scope_json, description, created_at_ms, revoked_at_ms
                     FROM api_keys ORDER BY rowid",
                )
                .map_err(backend)?;
            let rows = stmt
                .query_map([], |r| {
                    Ok((
                        r.get::<_, String>(0)?,
                        r.get::<_, String>(1)?,
                        r.get::<_, Option<String>>(2)?,
                        r.get::<_, String>(3)?,
                        r.get::<_, i64>(4)?,
                        r.get::<_, Option<i64>>(5)?,
                    ))
                })
                .map_err(backend)?;
            rows.map(|row| {
                let (id, secret_hash, scope_json, description, created, revoked) = row.map_err(backend)?;
                let id = KeyId::parse(&id).ok_or_else(|| corrupt("api key", format!("bad key id `{id}`")))?;
                let scope = match scope_json {
                    None => KeyScope::Admin,
                    Some(json) => KeyScope::Agents(
                        from_json::<Vec<String>>("api key scope", &json)?
                            .iter()
                            .map(|a| parse_agent_id(a))
                            .collect::<Result<_, _>>()?,
                    ),
                };
                Ok(StoredKey {
                    id,
                    secret_hash,
                    scope,
                    description,
                    created_at: time(created),
                    revoked_at: revoked.map(time),
                })
            })
            .collect()
        })
        .await
    }

    async fn revoke_key(&self, id: &KeyId, now: SystemTime) -> Result<Revocation, StoreError> {
        let id = id.clone();
        let at_ms = millis(now);
        self.write(move |conn| {
            let tx = conn.transaction().map_err(backend)?;
            let revoked: Option<Option<i64>> = tx
                .query_row("SELECT revoked_at_ms FROM api_keys WHERE id = ?1", [id.as_str()], |r| r.get(0))
                .optional()
                .map_err(backend)?;
            let outcome = match revoked {
                None => Revocation::NotFound,
                Some(Some(_)) => Revocation::AlreadyRevoked,
                Some(None) => {
                    tx.execute("UPDATE api_keys SET revoked_at_ms = ?2 WHERE id = ?1", params![id.as_str(), at_ms])
                        .map_err(backend)?;
                    Revocation::Revoked
                }
            };
            tx.commit().map_err(backend)?;
            Ok(outcome)
        })
        .await
    }

    async fn policies(&self) -> Result<Vec<StoredPolicy>, StoreError> {
        self.read(|c| {
            let mut stmt = c
                .prepare_cached("SELECT name, surface, source, updated_at_ms FROM policies ORDER BY name")
                .map_err(backend)?;
            let rows = stmt
                .query_map([], |r| {
                    Ok(StoredPolicy {
                        name: r.get(0)?,
                        surface: r.get(1)?,
                        source: r.get(2)?,
                        updated_at: time(r.get(3)?),
                    })
                })
                .map_err(backend)?;
            rows.map(|r| r.map_err(backend)).collect()
        })
        .await
    }

    async fn put_policy(&self, policy: &StoredPolicy) -> Result<bool, StoreError> {
        let p = policy.clone();
        self.write(move |conn| {
            let tx = conn.transaction().map_err(backend)?;
            let existed: bool = tx
                .query_row("SELECT count(*) > 0 FROM policies WHERE name = ?1", [&p.name], |r| r.get(0))
                .map_err(backend)?;
            tx.execute(
                "INSERT INTO policies (name, surface, source, updated_at_ms) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT(name) DO UPDATE SET surface = ?2, source = ?3, updated_at_ms = ?4",
                params![p.name, p.surface, p.source, millis(p.updated_at)],
            )
            .map_err(backend)?;
            tx.commit().map_err(backend)?;
            Ok(existed)
        })
        .await
    }

    async fn delete_policy(&self, name: &str) -> Result<bool, StoreError> {
        let name = name.to_owned();
        self.write(move |conn| {
            conn.execute("DELETE FROM policies WHERE name = ?1", [&name]).map(|n| n > 0).map_err(backend)
        })
        .await
    }

    async fn agent_policies(&self, agent: Option<&AgentId>) -> Result<Vec<StoredAgentPolicy>, StoreError> {
        let agent = agent.map(|a| a.as_str().to_owned());
        self.read(move |c| {
            let mut stmt = c
                .prepare_cached(
                    "SELECT agent_id, name, source, active, updated_at_ms FROM agent_policies
                     WHERE ?1 IS NULL OR agent_id = ?1 ORDER BY agent_id, name",
                )
                .map_err(backend)?;
            let rows = stmt
                .query_map([&agent], |r| {
                    Ok((r.get::<_, String>(0)?, r.get(1)?, r.get(2)?, r.get::<_, i64>(3)?, r.get(4)?))
                })
                .map_err(backend)?;
            rows.map(|row| {
                let (agent, name, source, active, at) = row.map_err(backend)?;
                let agent = AgentId::parse(&agent).map_err(|e| StoreError::Corrupt {
                    what: format!("agent policy `{name}`"),
                    reason: e.to_string(),
                })?;
                Ok(StoredAgentPolicy { agent, name, source, active: active != 0, updated_at: time(at) })
            })
            .collect()
        })
        .await
    }

    async fn put_agent_policy(&self, policy: &StoredAgentPolicy) -> Result<Option<bool>, StoreError> {
        let p = policy.clone();
        self.write(move |conn| {
            let tx = conn.transaction().map_err(backend)?;
            let agent = p.agent.as_str();
            let exists: bool = tx
                .query_row("SELECT count(*) > 0 FROM agents WHERE id = ?1", [agent], |r| r.get(0))
                .map_err(backend)?;
            if !exists {
                return Ok(None);
            }
            let replaced: bool = tx
                .query_row(
                    "SELECT count(*) > 0 FROM agent_policies WHERE agent_id = ?1 AND name = ?2",
                    params![agent, p.name],
                    |r| r.get(0),
                )
                .map_err(backend)?;
            tx.execute(
                "INSERT INTO agent_policies (agent_id, name, source, active, updated_at_ms) VALUES (?1, ?2, ?3, ?4, ?5)
                 ON CONFLICT(agent_id, name) DO UPDATE SET source = ?3, active = ?4, updated_at_ms = ?5",
                params![agent, p.name, p.source, i64::from(p.active), millis(p.updated_at)],
            )
            .map_err(backend)?;
            tx.commit().map_err(backend)?;
            Ok(Some(replaced))
        })
        .await
    }

    async fn delete_agent_policy(&self, agent: &AgentId, name: &str) -> Result<bool, StoreError> {
        let (agent, name) = (agent.as_str().to_owned(), name.to_owned());
        self.write(move |conn| {
            conn.execute("DELETE FROM agent_policies WHERE agent_id = ?1 AND name = ?2", params![agent, name])
                .map(|n| n > 0)
                .map_err(backend)
        })
        .await
    }

    async fn communication_rules(&self) -> Result<Vec<StoredRule>, StoreError> {
        self.read(|c| {
            let mut stmt = c
                .prepare_cached(
                    "SELECT id, from_agent, to_agent, action, effect, reason, priority, max_depth
                     FROM communication_rules ORDER BY id",
                )
                .map_err(backend)?;
            let rows = stmt
                .query_map([], |r| {
                    Ok(StoredRule {
                        id: r.get(0)?,
                        from: r.get(1)?,
                        to: r.get(2)?,
                        action: r.get(3)?,
                        effect: r.get(4)?,
                        reason: r.get(5)?,
                        priority: r.get(6)?,
                        max_depth: r.get(7)?,
                    })
                })
                .map_err(backend)?;
            rows.map(|r| r.map_err(backend)).collect()
        })
        .await
    }

    async fn add_communication_rule(&self, rule: &StoredRule) -> Result<i64, StoreError> {
        let r = rule.clone();
        self.write(move |conn| {
            conn.execute(
                "INSERT INTO communication_rules (from_agent, to_agent, action, effect, reason, priority, max_depth)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                params![r.from, r.to, r.action, r.effect, r.reason, r.priority, r.max_depth],
            )
            .map_err(backend)?;
            Ok(conn.last_insert_rowid())
        })
        .await
    }

    async fn delete_communication_rule(&self, id: i64) -> Result<bool, StoreError> {
        self.write(move |conn| {
            conn.execute("DELETE FROM communication_rules WHERE id = ?1", [id]).map(|n| n > 0).map_err(backend)
        })
        .await
    }

    async fn put_secret(&self, secret: &StoredSecret) -> Result<bool, StoreError> {
        let secret = secret.clone();
        self.write(move |conn| super::secret_rows::put(conn, &secret)).await
    }

    async fn secret(&self, scope: &str, name: &str) -> Result<Option<StoredSecret>, StoreError> {
        let (scope, name) = (scope.to_owned(), name.to_owned());
        self.read(move |c| super::secret_rows::one(c, &scope, &name)).await
    }

    async fn secrets(&self) -> Result<Vec<StoredSecret>, StoreError> {
        self.read(super::secret_rows::all).await
    }

    async fn delete_secret(&self, scope: &str, name: &str) -> Result<bool, StoreError> {
        let (scope, name) = (scope.to_owned(), name.to_owned());
        self.write(move |conn| super::secret_rows::delete(conn, &scope, &name)).await
    }

    async fn flush(&self) -> Result<(), StoreError> {
        // Commits are already durable (synchronous = FULL); folding the WAL back into the main
        // file leaves a single self-contained database for backups and the next start.
        self.write(|conn| conn.execute_batch("PRAGMA wal_checkpoint(TRUNCATE)").map_err(backend)).await
    }

    fn agentpin_pins(&self) -> Option<Arc<dyn symbi_agentpin::PinStore>> {
        Some(Arc::new(self.clone()))
    }

    async fn change_marker(&self) -> Result<u64, StoreError> {
        let inner = Arc::clone(&self.inner);
        blocking(move || {
            let version: i64 =
                lock(&inner.watcher).query_row("PRAGMA data_version", [], |r| r.get(0)).map_err(backend)?;
            Ok(version.unsigned_abs())
        })
        .await
    }
}

/// Settings every connection needs: durable commits, enforced foreign keys, patience with the
/// other process (`symbi keys` beside a running `symbi up`).
fn configure(conn: &Connection) -> rusqlite::Result<()> {
    conn.busy_timeout(Duration::from_secs(5))?;
    conn.pragma_update(None, "synchronous", "FULL")?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    conn.set_prepared_statement_cache_capacity(32);
    Ok(())
}

fn open_reader(path: &Path) -> rusqlite::Result<Connection> {
    let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX | OpenFlags::SQLITE_OPEN_URI;
    let conn = Connection::open_with_flags(path, flags)?;
    configure(&conn)?;
    Ok(conn)
}

/// Runs store work on the blocking pool; a panic there becomes an error, not a crash.
async fn blocking<T: Send + 'static>(
    op: impl FnOnce() -> Result<T, StoreError> + Send + 'static,
) -> Result<T, StoreError> {
    tokio::task::spawn_blocking(op)
        .await
        .unwrap_or_else(|e| Err(StoreError::Backend { reason: format!("store task failed: {e}") }))
}

/// Locks a mutex, recovering from poisoning: a panicked store task leaves the connection usable
/// because every write is a transaction that SQLite rolls back on drop.
pub(super) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

#[expect(clippy::needless_pass_by_value, reason = "a `map_err` adapter, which hands the error over by value")]
pub(super) fn backend(e: rusqlite::Error) -> StoreError {
    StoreError::Backend { reason: e.to_string() }
}

fn corrupt(what: &str, reason: String) -> StoreError {
    StoreError::Corrupt { what: what.to_owned(), reason }
}

fn record_history(tx: &rusqlite::Transaction<'_>, agent_id: &str, status: &str, at_ms: i64) -> Result<(), StoreError> {
    tx.execute(
        "INSERT INTO agent_history (agent_id, execution_id, status, at_ms) VALUES (?1, ?2, ?3, ?4)",
        params![agent_id, uuid::Uuid::new_v4().to_string(), status, at_ms],
    )
    .map(drop)
    .map_err(backend)
}

fn parse_agent_id(text: &str) -> Result<AgentId, StoreError> {
    AgentId::parse(text).map_err(|e| corrupt("agent id", format!("`{text}`: {e}")))
}

pub(super) fn millis(t: SystemTime) -> i64 {
    let ms = t.duration_since(UNIX_EPOCH).unwrap_or_default().as_millis();
    i64::try_from(ms).unwrap_or(i64::MAX)
}

pub(super) fn time(ms: i64) -> SystemTime {
    UNIX_EPOCH + Duration::from_millis(ms.max(0).unsigned_abs())
}

fn to_json<T: Serialize>(value: &T) -> Result<String, StoreError> {
    serde_json::to_string(value).map_err(|e| StoreError::Backend { reason: format!("cannot encode: {e}") })
}

fn from_json<T: for<'de> Deserialize<'de>>(what: &str, json: &str) -> Result<T, StoreError> {
    serde_json::from_str(json).map_err(|e| corrupt(what, e.to_string()))
}

const AGENT_COLUMNS: &str = "id, name, description, dsl, model_json, capabilities_json, metadata_json, state, \
                             created_at_ms, updated_at_ms, last_activity_ms";

/// An `agents` row; the JSON columns use the store-private [`ModelRow`], not domain types.
struct AgentRow {
    id: String,
    name: String,
    description: String,
    dsl: Option<String>,
    model_json: Option<String>,
    capabilities_json: String,
    metadata_json: String,
    state: String,
    at_ms: i64,
    updated_ms: i64,
    activity_ms: i64,
}

#[derive(Serialize, Deserialize)]
struct ModelRow {
    system_prompt: String,
    tools: Vec<String>,
    model: Option<String>,
    temperature: Option<f64>,
    top_p: Option<f64>,
    max_tokens: Option<u32>,
}

impl AgentRow {
    fn from_agent(agent: &Agent) -> Result<Self, StoreError> {
        let d = &agent.definition;
        let model_json = d
            .model
            .as_ref()
            .map(|m| {
                to_json(&ModelRow {
                    system_prompt: m.system_prompt.clone(),
                    tools: m.tools.clone(),
                    model: m.model.clone(),
                    temperature: m.temperature,
                    top_p: m.top_p,
                    max_tokens: m.max_tokens,
                })
            })
            .transpose()?;
        Ok(Self {
            id: agent.id.as_str().to_owned(),
            name: d.name.clone(),
            description: d.description.clone(),
            dsl: d.dsl.clone(),
            model_json,
            capabilities_json: to_json(&d.capabilities)?,
            metadata_json: to_json(&d.metadata)?,
            state: agent.state.as_str().to_owned(),
            at_ms: millis(agent.created_at),
            updated_ms: millis(agent.updated_at),
            activity_ms: millis(agent.last_activity),
        })
    }

    fn read(r: &Row<'_>) -> rusqlite::Result<Self> {
        Ok(Self {
            id: r.get(0)?,
            name: r.get(1)?,
            description: r.get(2)?,
            dsl: r.get(3)?,
            model_json: r.get(4)?,
            capabilities_json: r.get(5)?,
            metadata_json: r.get(6)?,
            state: r.get(7)?,
            at_ms: r.get(8)?,
            updated_ms: r.get(9)?,
            activity_ms: r.get(10)?,
        })
    }

    fn into_agent(self) -> Result<Agent, StoreError> {
        let what = format!("agent `{}`", self.id);
        let model =
            self.model_json.map(|json| from_json::<ModelRow>(&what, &json)).transpose()?.map(|m| ModelProfile {
                system_prompt: m.system_prompt,
                tools: m.tools,
                model: m.model,
                temperature: m.temperature,
                top_p: m.top_p,
                max_tokens: m.max_tokens,
            });
        let state =
            AgentState::parse(&self.state).ok_or_else(|| corrupt(&what, format!("unknown state `{}`", self.state)))?;
        Ok(Agent {
            id: parse_agent_id(&self.id)?,
            definition: AgentDefinition {
                name: self.name,
                description: self.description,
                dsl: self.dsl,
                model,
                capabilities: from_json(&what, &self.capabilities_json)?,
                metadata: from_json::<BTreeMap<String, String>>(&what, &self.metadata_json)?,
            },
            state,
            created_at: time(self.at_ms),
            updated_at: time(self.updated_ms),
            last_activity: time(self.activity_ms),
        })
    }
}

#[cfg(test)]
mod tests;
