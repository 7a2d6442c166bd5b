//! The symbi runtime: configuration, the embedded store, API keys and the secured REST API.
//!
//! ```text
//! symbiont.toml + SYMBIONT_* ──► Config ──► Runtime::open ──► DataDir (0700) ──► SqliteStore (WAL)
//!                                                  │                              ▲
//!                                                  ▼                              │
//!  HTTP ──► request id ─► CORS ─► rate limit ─► timeout ─► Caller (Authenticator) ─► handlers
//! ```
//!
//! [`Runtime::open`] prepares the data directory, opens the [`Store`] and loads API keys into the
//! authenticator (issuing a first admin key on a fresh store); [`Runtime::serve`] runs the API
//! until shutdown, then drains and flushes. Callers hold the store as `Arc<dyn Store>`, so a
//! PostgreSQL backend can replace [`SqliteStore`] without touching them.
//!
//! What this crate never does: print to stdout/stderr (the `symbi` binary does), install a
//! global log subscriber, read the environment outside [`config`], or store a key secret — only
//! its Argon2id hash.
//!
//! Features: `fuzzing` exposes hidden entry points for the `fuzz/` targets; it adds API only and
//! must never be enabled in a shipped build.
//!
//! ```
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! use symbi_runtime::{Config, Runtime};
//! let dir = tempfile::tempdir()?;
//! let config = Config::load(dir.path())?;
//! let runtime = Runtime::open(config).await?;
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
//! runtime.serve(listener, async {}).await?; // stops at once: the shutdown future is ready
//! # Ok(()) }
//! # tokio::runtime::Runtime::new().unwrap().block_on(demo()).unwrap();
//! ```

#![forbid(unsafe_code)]
#![warn(clippy::print_stdout, clippy::print_stderr)]

mod agent;
mod agent_files;
mod api;
mod approvals;
pub mod audit_json;
mod audit_replay;
mod auth;
pub mod config;
mod data_dir;
mod governor;
mod http_client;
mod keys;
mod publisher;
mod resources;
mod secrets;
mod server;
mod store;
mod trust_fetch;

/// The runtime's version, as reported by `/health` and `/status`.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

pub use agent::{Agent, AgentDefinition, AgentId, AgentState, HistoryEntry, InvalidAgentId, ModelProfile};
pub use agent_files::AgentFileError;
#[cfg(feature = "fuzzing")]
#[doc(hidden)]
pub use api::fuzzing;
pub use api::openapi;
pub use approvals::{ApprovalQueue, Hold, Resolution, ResolveError};
pub use audit_replay::{Difference, ReplayReport, Replayer};
pub use auth::{AuthError, Authenticator, Principal};
pub use config::{Config, ConfigError, LogFormat, NetworkSettings, ToolSettings, TrustSettings};
pub use data_dir::{DataDir, DataDirError, audit_dir};
pub use governor::{
    Authorization, Communication, CredentialRefused, Governor, GovernorError, Refusal, ToolRunError, VerifiedAgent,
    decision_record, tool_facts,
};
pub use http_client::NetworkError;
pub use keys::{IssuedToken, KeyError, KeyId, KeyScope, StoredKey, issue as issue_key};
pub use publisher::{Publisher, PublisherError, publisher_dir};
pub use secrets::{SECRET_KEY_FILE, SealError, SecretEntry, SecretError, SecretName, SecretScope, Secrets};
pub use server::{RUNTIME_ADDRESS_FILE, Runtime, RuntimeError, runtime_address};
pub use store::{
    AgentCounts, AgentUpdate, Revocation, SqliteStore, Store, StoreError, StoredAgentPolicy, StoredPolicy, StoredRule,
    StoredSecret,
};
pub use trust_fetch::{FetchRecorder, TrustFetcher};
