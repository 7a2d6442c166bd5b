//! The runtime's durable state behind one trait, so a PostgreSQL backend can replace the embedded
//! SQLite one without touching callers.
//!
//! Callers hold an `Arc<dyn Store>`; every method is async and never blocks the runtime's threads.
//! [`SqliteStore`] is the embedded default (WAL, versioned migrations, one writer connection).

mod agentpin_pins;
mod migrations;
mod schemapin_pins;
mod secret_rows;
mod sqlite;

use std::sync::Arc;
use std::time::SystemTime;

use crate::agent::{Agent, AgentDefinition, AgentId, AgentState, HistoryEntry};
use crate::keys::{KeyId, StoredKey};

pub use sqlite::SqliteStore;

/// Durable state: agents, their history, API keys.
#[async_trait::async_trait]
pub trait Store: Send + Sync + std::fmt::Debug {
    /// Confirms the store answers; readiness probes call this.
    async fn ping(&self) -> Result<(), StoreError>;

    /// Registers an agent in state `idle`. Fails with [`StoreError::AgentExists`] if the id is taken.
    async fn create_agent(
        &self,
        id: &AgentId,
        definition: &AgentDefinition,
        now: SystemTime,
    ) -> Result<Agent, StoreError>;

    /// One agent, or `None`.
    async fn agent(&self, id: &AgentId) -> Result<Option<Agent>, StoreError>;

    /// Every agent id, oldest first.
    async fn agent_ids(&self) -> Result<Vec<AgentId>, StoreError>;

    /// How many agents there are, and how many of them are `active` or `busy`.
    async fn agent_counts(&self) -> Result<AgentCounts, StoreError>;

    /// Replaces the definition fields that `update` sets; `None` if the agent does not exist.
    async fn update_agent(
        &self,
        id: &AgentId,
        update: &AgentUpdate,
        now: SystemTime,
    ) -> Result<Option<Agent>, StoreError>;

    /// Removes an agent and its history; `false` if it did not exist.
    async fn delete_agent(&self, id: &AgentId) -> Result<bool, StoreError>;

    /// The agent's most recent history entries, newest first.
    async fn agent_history(&self, id: &AgentId, limit: u32) -> Result<Vec<HistoryEntry>, StoreError>;

    /// Adds an API key. Fails with [`StoreError::KeyExists`] if the id is taken.
    async fn insert_key(&self, key: &StoredKey) -> Result<(), StoreError>;

    /// Every API key, revoked ones included, oldest first.
    async fn keys(&self) -> Result<Vec<StoredKey>, StoreError>;

    /// Marks a key revoked.
    async fn revoke_key(&self, id: &KeyId, now: SystemTime) -> Result<Revocation, StoreError>;

    /// Policies managed over the API, by name.
    async fn policies(&self) -> Result<Vec<StoredPolicy>, StoreError>;

    /// Adds or replaces a managed policy; `true` if it replaced one.
    async fn put_policy(&self, policy: &StoredPolicy) -> Result<bool, StoreError>;

    /// Removes a managed policy; `false` if there was none.
    async fn delete_policy(&self, name: &str) -> Result<bool, StoreError>;

    /// Policies attached to agents over the API: one agent's (by name) or, with `None`, every
    /// agent's (by agent, then name).
    async fn agent_policies(&self, agent: Option<&AgentId>) -> Result<Vec<StoredAgentPolicy>, StoreError>;

    /// Adds or replaces a policy attached to an agent; `true` if it replaced one, `None` if the
    /// agent does not exist.
    async fn put_agent_policy(&self, policy: &StoredAgentPolicy) -> Result<Option<bool>, StoreError>;

    /// Removes a policy attached to an agent; `false` if there was none.
    async fn delete_agent_policy(&self, agent: &AgentId, name: &str) -> Result<bool, StoreError>;

    /// Communication rules added over the API, oldest first.
    async fn communication_rules(&self) -> Result<Vec<StoredRule>, StoreError>;

    /// Adds a communication rule and returns its id.
    async fn add_communication_rule(&self, rule: &StoredRule) -> Result<i64, StoreError>;

    /// Removes a communication rule; `false` if there was none.
    async fn delete_communication_rule(&self, id: i64) -> Result<bool, StoreError>;

    /// Adds or replaces a sealed secret; `true` if it replaced one.
    async fn put_secret(&self, secret: &StoredSecret) -> Result<bool, StoreError>;

    /// The sealed secret `name` of `scope` (an agent id, or `""` for the project), or `None`.
    async fn secret(&self, scope: &str, name: &str) -> Result<Option<StoredSecret>, StoreError>;

    /// Every secret, by scope then name.
    async fn secrets(&self) -> Result<Vec<StoredSecret>, StoreError>;

    /// Removes a secret; `false` if there was none.
    async fn delete_secret(&self, scope: &str, name: &str) -> Result<bool, StoreError>;

    /// Makes everything written so far durable and compact; called once at shutdown.
    async fn flush(&self) -> Result<(), StoreError>;

    /// A number that changes whenever another process (or connection) commits to the store, so
    /// caches of key data can notice `symbi keys revoke` run beside a live runtime.
    async fn change_marker(&self) -> Result<u64, StoreError>;

    /// The AgentPin key pins this store keeps, when it keeps them. Without pins, credentials
    /// cannot be verified (fail closed).
    fn agentpin_pins(&self) -> Option<Arc<dyn symbi_agentpin::PinStore>> {
        None
    }
}

/// Agent totals for status and metrics.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct AgentCounts {
    /// All registered agents.
    pub total: u64,
    /// Agents in state `active` or `busy`.
    pub active: u64,
}

/// A partial change to an agent's definition: each `Some` field replaces the stored one.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AgentUpdate {
    /// New display name.
    pub name: Option<String>,
    /// New description.
    pub description: Option<String>,
    /// New DSL source.
    pub dsl: Option<String>,
    /// New lifecycle state.
    pub state: Option<AgentState>,
}

/// A policy managed over the API.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredPolicy {
    /// Its name (unique).
    pub name: String,
    /// The surface it is limited to, if any (`api`, `run`, …).
    pub surface: Option<String>,
    /// Cedar text.
    pub source: String,
    /// When it was last written.
    pub updated_at: SystemTime,
}

/// A Cedar policy attached to one agent over the API. It governs that agent only: the Governor
/// scopes its principal to the agent before it enters the set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredAgentPolicy {
    /// The agent it belongs to.
    pub agent: AgentId,
    /// Its name, unique per agent.
    pub name: String,
    /// Cedar text as written.
    pub source: String,
    /// Whether it is in force; inactive policies are kept but not enforced.
    pub active: bool,
    /// When it was last written.
    pub updated_at: SystemTime,
}

/// A communication rule added over the API, as written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredRule {
    /// Its id (assigned by the store; 0 before it is stored).
    pub id: i64,
    /// Glob over the sender.
    pub from: String,
    /// Glob over the recipient.
    pub to: String,
    /// `delegate`, `send_message`, or `None` for both.
    pub action: Option<String>,
    /// `allow` or `deny`.
    pub effect: String,
    /// Shown with decisions it makes.
    pub reason: Option<String>,
    /// Higher wins.
    pub priority: i32,
    /// For allows: the deepest delegation chain allowed.
    pub max_depth: Option<u32>,
}

/// A secret as stored: sealed (AES-256-GCM) under the data directory's secret key, which the
/// store never holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredSecret {
    /// The agent id it is scoped to, or `""` for the whole project.
    pub scope: String,
    /// Its name.
    pub name: String,
    /// The sealed value.
    pub sealed: Vec<u8>,
    /// When it was last written.
    pub updated_at: SystemTime,
}

/// What revoking a key did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Revocation {
    /// The key was live and is now revoked.
    Revoked,
    /// The key had already been revoked; nothing changed.
    AlreadyRevoked,
    /// No key has that id.
    NotFound,
}

/// Why a store operation failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The data directory or database file could not be opened or created.
    #[error("cannot open the store at `{path}`: {reason}")]
    Open {
        /// The database file.
        path: std::path::PathBuf,
        /// What went wrong.
        reason: String,
    },
    /// The database was written by a newer symbi.
    #[error("the store is at schema version {found}, newer than this symbi understands ({supported})")]
    TooNew {
        /// Version in the file.
        found: i64,
        /// Highest version this build knows.
        supported: i64,
    },
    /// An agent with this id already exists.
    #[error("agent `{id}` already exists")]
    AgentExists {
        /// The id.
        id: AgentId,
    },
    /// A key with this id already exists.
    #[error("key `{id}` already exists")]
    KeyExists {
        /// The id.
        id: KeyId,
    },
    /// A stored row does not decode; the store was edited outside symbi or is damaged.
    #[error("stored {what} is damaged: {reason}")]
    Corrupt {
        /// Which record.
        what: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The database reported an error.
    #[error("store error: {reason}")]
    Backend {
        /// The backend's message.
        reason: String,
    },
}
