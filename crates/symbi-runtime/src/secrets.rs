//! The local secret store: values tool calls reference as `{_secret:NAME}`, sealed with
//! AES-256-GCM under `<data dir>/secrets.key` and kept in the [`Store`], each scoped to one agent
//! or to the whole project. `symbi secrets` writes them; only the Governor reads them, after an
//! `access_secret` decision for the calling agent, and hands them to the executor for one call.

mod sealing;

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};
use std::time::SystemTime;

use symbi_toolclad::SecretValue;

pub use self::sealing::SealError;
use self::sealing::SealKey;
use crate::agent::AgentId;
use crate::store::{Store, StoreError, StoredSecret};

/// The key file's name inside the data directory.
pub const SECRET_KEY_FILE: &str = "secrets.key";

/// The longest secret value accepted, in bytes.
const MAX_VALUE_LEN: usize = 64 * 1024;

/// The shortest secret value accepted: shorter values cannot be told apart from ordinary output,
/// so they could not be redacted from it.
const MIN_VALUE_LEN: usize = 4;

/// The secrets of one data directory.
pub struct Secrets {
    store: Arc<dyn Store>,
    key_file: PathBuf,
    /// Read once, on first use: the key file may be created after the runtime started.
    key: OnceLock<Arc<SealKey>>,
}

/// Whom a secret is for.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum SecretScope {
    /// Every agent of the project (when it has no secret of that name of its own).
    Project,
    /// One agent.
    Agent(AgentId),
}

/// A secret's name, as manifests reference it: 1-128 ASCII letters, digits and `_`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SecretName(String);

/// One stored secret, without its value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecretEntry {
    /// Whom it is for.
    pub scope: SecretScope,
    /// Its name.
    pub name: SecretName,
    /// When it was last set.
    pub updated_at: SystemTime,
}

/// Why a secret could not be set, listed, removed or read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SecretError {
    /// The name is not 1-128 letters, digits and `_`.
    #[error("`{name}` is not a secret name: use 1-128 ASCII letters, digits and `_`")]
    InvalidName {
        /// The name given.
        name: String,
    },
    /// The value is empty, too long, too short to redact, or has a control character.
    #[error("the value of secret `{name}` {reason}")]
    InvalidValue {
        /// The secret.
        name: String,
        /// What is wrong (never the value).
        reason: &'static str,
    },
    /// No secret of that name for the agent or the project.
    #[error("secret `{name}` is not set for {}; set it with `symbi secrets set {name}{}`",
        agent.as_deref().map_or_else(|| "the project".to_owned(), |a| format!("agent `{a}` or the project")),
        agent.as_deref().map_or_else(String::new, |a| format!(" --agent {a}")))]
    Missing {
        /// The secret.
        name: String,
        /// The agent it was looked up for.
        agent: Option<String>,
    },
    /// A stored scope is not an agent id; the store was edited outside symbi.
    #[error("stored secret `{name}` has an invalid scope")]
    BadScope {
        /// The secret.
        name: String,
    },
    /// The key file or a sealed value could not be used.
    #[error(transparent)]
    Seal(#[from] SealError),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl Secrets {
    /// The secrets of the data directory `data_dir`, kept in `store`.
    pub fn new(store: Arc<dyn Store>, data_dir: &Path) -> Self {
        Self { store, key_file: data_dir.join(SECRET_KEY_FILE), key: OnceLock::new() }
    }

    /// Seals `value` and stores it as `name` for `scope`, creating the key file on first use;
    /// `true` if it replaced a value.
    ///
    /// # Errors
    ///
    /// [`SecretError::InvalidValue`] when the value is empty, shorter than 4 or longer than
    /// 65,536 bytes, or holds a control character (it would split an argument or header);
    /// key file and store failures.
    pub async fn set(&self, scope: &SecretScope, name: &SecretName, value: &str) -> Result<bool, SecretError> {
        Self::check_value(name, value)?;
        let key = self.key(true).await?;
        let sealed = key.seal(scope.as_stored(), name.as_str(), value)?;
        let row = StoredSecret {
            scope: scope.as_stored().to_owned(),
            name: name.as_str().to_owned(),
            sealed,
            updated_at: SystemTime::now(),
        };
        Ok(self.store.put_secret(&row).await?)
    }

    /// Whether `value` can be stored as secret `name` (what [`Secrets::set`] checks first).
    ///
    /// # Errors
    ///
    /// [`SecretError::InvalidValue`] as for [`Secrets::set`].
    pub fn check_value(name: &SecretName, value: &str) -> Result<(), SecretError> {
        let reason = if value.is_empty() {
            "is empty"
        } else if value.len() < MIN_VALUE_LEN {
            "is shorter than 4 bytes, too short to redact from tool output"
        } else if value.len() > MAX_VALUE_LEN {
            "is longer than 65,536 bytes"
        } else if value.chars().any(char::is_control) {
            "contains a control character (a newline, tab or other), which would split an argument or header"
        } else {
            return Ok(());
        };
        Err(SecretError::InvalidValue { name: name.to_string(), reason })
    }

    /// Every secret's scope and name, by scope then name; no value is read.
    ///
    /// # Errors
    ///
    /// The store fails or holds a row symbi did not write.
    pub async fn list(&self) -> Result<Vec<SecretEntry>, SecretError> {
        self.store
            .secrets()
            .await?
            .into_iter()
            .map(|row| {
                let scope = SecretScope::from_stored(&row.scope)
                    .ok_or_else(|| SecretError::BadScope { name: row.name.clone() })?;
                Ok(SecretEntry { scope, name: SecretName(row.name), updated_at: row.updated_at })
            })
            .collect()
    }

    /// Removes secret `name` of `scope`; `false` if there was none.
    ///
    /// # Errors
    ///
    /// The store fails.
    pub async fn remove(&self, scope: &SecretScope, name: &SecretName) -> Result<bool, SecretError> {
        Ok(self.store.delete_secret(scope.as_stored(), name.as_str()).await?)
    }

    /// The value of `name` for `agent`: the agent's own secret of that name, else the project's.
    /// Only the Governor calls this, after policy allowed `access_secret`.
    pub(crate) async fn resolve(&self, agent: Option<&str>, name: &str) -> Result<SecretValue, SecretError> {
        let mut row = None;
        if let Some(agent) = agent {
            row = self.store.secret(agent, name).await?;
        }
        if row.is_none() {
            row = self.store.secret("", name).await?;
        }
        let row = row.ok_or_else(|| SecretError::Missing { name: name.to_owned(), agent: agent.map(str::to_owned) })?;
        let key = self.key(false).await?;
        let value = key.open(&row.scope, &row.name, &row.sealed)?;
        Ok(SecretValue::new(value.as_str().to_owned()))
    }

    /// The key, read once (and created when `create` and there is none).
    async fn key(&self, create: bool) -> Result<Arc<SealKey>, SecretError> {
        if let Some(key) = self.key.get() {
            return Ok(Arc::clone(key));
        }
        let path = self.key_file.clone();
        let key =
            tokio::task::spawn_blocking(
                move || {
                    if create { SealKey::load_or_create(&path) } else { SealKey::load(&path) }
                },
            )
            .await
            .map_err(|e| StoreError::Backend { reason: e.to_string() })??;
        Ok(Arc::clone(self.key.get_or_init(|| Arc::new(key))))
    }
}

impl fmt::Debug for Secrets {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Secrets").field("key_file", &self.key_file).finish_non_exhaustive()
    }
}

impl SecretScope {
    /// The scope for `agent`, or the project with `None`.
    pub fn of(agent: Option<AgentId>) -> Self {
        agent.map_or(Self::Project, Self::Agent)
    }

    /// The agent, for an agent scope.
    pub fn agent(&self) -> Option<&AgentId> {
        match self {
            Self::Project => None,
            Self::Agent(id) => Some(id),
        }
    }

    fn as_stored(&self) -> &str {
        match self {
            Self::Project => "",
            Self::Agent(id) => id.as_str(),
        }
    }

    fn from_stored(text: &str) -> Option<Self> {
        if text.is_empty() { Some(Self::Project) } else { AgentId::parse(text).ok().map(Self::Agent) }
    }
}

impl fmt::Display for SecretScope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Project => f.write_str("project"),
            Self::Agent(id) => write!(f, "agent `{id}`"),
        }
    }
}

impl SecretName {
    /// Checks `name`.
    ///
    /// # Errors
    ///
    /// [`SecretError::InvalidName`] unless it is 1-128 ASCII letters, digits and `_` (the names a
    /// manifest's `{_secret:NAME}` can hold).
    pub fn parse(name: &str) -> Result<Self, SecretError> {
        let ok = (1..=128).contains(&name.len()) && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
        if ok { Ok(Self(name.to_owned())) } else { Err(SecretError::InvalidName { name: name.to_owned() }) }
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for SecretName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::SqliteStore;

    fn secrets(dir: &Path) -> Secrets {
        let store: Arc<dyn Store> = Arc::new(SqliteStore::open(&dir.join("store.db")).unwrap());
        Secrets::new(store, dir)
    }

    #[tokio::test]
    async fn agent_secrets_shadow_project_secrets_and_stay_with_their_agent() {
        let dir = tempfile::tempdir().unwrap();
        let secrets = secrets(dir.path());
        let token = SecretName::parse("API_TOKEN").unwrap();
        let alice = SecretScope::Agent(AgentId::parse("alice").unwrap());
        assert!(!secrets.set(&SecretScope::Project, &token, "project-value").await.unwrap());
        assert!(!secrets.set(&alice, &token, "alice-value").await.unwrap());
        assert!(secrets.set(&alice, &token, "alice-value-2").await.unwrap(), "replaced");
        let value = |v: SecretValue| format!("{v:?}");
        assert_eq!(value(secrets.resolve(Some("alice"), "API_TOKEN").await.unwrap()), "SecretValue(***)");
        // A fresh handle on the same directory reads what the first one sealed.
        let again = super::Secrets::new(Arc::clone(&secrets.store), dir.path());
        assert!(again.resolve(Some("bob"), "API_TOKEN").await.is_ok(), "bob falls back to the project");
        assert!(matches!(
            again.resolve(Some("bob"), "OTHER").await,
            Err(SecretError::Missing { agent: Some(a), .. }) if a == "bob"
        ));
        let listed: Vec<(SecretScope, String)> =
            secrets.list().await.unwrap().into_iter().map(|e| (e.scope, e.name.to_string())).collect();
        assert_eq!(listed, [(SecretScope::Project, "API_TOKEN".to_owned()), (alice.clone(), "API_TOKEN".to_owned())]);
        assert!(secrets.remove(&SecretScope::Project, &token).await.unwrap());
        assert!(matches!(secrets.resolve(Some("bob"), "API_TOKEN").await, Err(SecretError::Missing { .. })));
        // Nothing in the database file spells the value.
        let db = std::fs::read(dir.path().join("store.db")).unwrap();
        assert!(!db.windows(11).any(|w| w == b"alice-value"));
    }

    #[tokio::test]
    async fn bad_names_and_values_are_refused_without_echoing_the_value() {
        let dir = tempfile::tempdir().unwrap();
        let secrets = secrets(dir.path());
        for bad in ["", "has-dash", "sp ace", "ü"] {
            assert!(SecretName::parse(bad).is_err(), "{bad}");
        }
        let name = SecretName::parse("X").unwrap();
        for bad in ["", "abc", "line\nbreak", "tab\there"] {
            let error = secrets.set(&SecretScope::Project, &name, bad).await.unwrap_err().to_string();
            assert!(error.starts_with("the value of secret `X`"), "{error}");
            assert!(bad.is_empty() || !error.contains(bad), "{error}");
        }
        assert!(!dir.path().join(SECRET_KEY_FILE).exists(), "no key is made for a refused value");
    }
}
