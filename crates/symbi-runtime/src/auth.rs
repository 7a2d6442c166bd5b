//! Who is calling: bearer tokens checked against API keys (or `SYMBIONT_API_TOKEN`), giving a
//! [`Principal`].
//!
//! Keys live in an in-memory ring reloaded from the store whenever the store changes (so
//! `symbi keys revoke` beside a live runtime takes effect within [`RELOAD_INTERVAL`]). The first
//! successful check of a secret costs one Argon2id hash; afterwards a SHA-256 digest of that
//! secret is cached and compared in constant time, so steady-state requests pay microseconds.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use tokio::sync::Semaphore;

use crate::agent::AgentId;
use crate::config::AdminToken;
use crate::keys::{self, KeyId, KeyScope, StoredKey};
use crate::store::{Store, StoreError};

/// How often the ring checks the store for changes made by other processes.
pub(crate) const RELOAD_INTERVAL: Duration = Duration::from_millis(250);

/// Concurrent Argon2 checks allowed; each needs 19 MiB and tens of milliseconds of CPU, so a flood
/// of wrong secrets queues here instead of exhausting memory.
const ARGON2_PERMITS: usize = 2;

/// An authenticated caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Principal {
    /// An admin API key, or the `SYMBIONT_API_TOKEN`.
    Admin {
        /// The key, or `None` for the environment token.
        key: Option<KeyId>,
    },
    /// A key scoped to some agents.
    Scoped {
        /// The key.
        key: KeyId,
        /// The agents it may reach.
        agents: Arc<[AgentId]>,
    },
}

impl Principal {
    /// Whether this caller may use admin routes.
    pub fn is_admin(&self) -> bool {
        matches!(self, Self::Admin { .. })
    }

    /// Whether this caller may reach `agent`.
    pub fn may_access(&self, agent: &AgentId) -> bool {
        match self {
            Self::Admin { .. } => true,
            Self::Scoped { agents, .. } => agents.contains(agent),
        }
    }

    /// A short label for logs: the key id or `env-token`; never a secret.
    pub fn label(&self) -> String {
        match self {
            Self::Admin { key: Some(k) } | Self::Scoped { key: k, .. } => k.to_string(),
            Self::Admin { key: None } => "env-token".to_owned(),
        }
    }
}

/// Why a token was refused. The API answers every case with the same 401 so a caller cannot
/// probe which key ids exist; the distinction is for logs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    /// No `Authorization: Bearer …` header.
    #[error("missing bearer token")]
    Missing,
    /// The token is not `keyid.secret`.
    #[error("malformed token")]
    Malformed,
    /// No key has that id.
    #[error("unknown key")]
    UnknownKey,
    /// The key was revoked.
    #[error("revoked key")]
    Revoked,
    /// The secret does not match.
    #[error("wrong secret")]
    WrongSecret,
}

/// Checks bearer tokens.
#[derive(Debug)]
pub struct Authenticator {
    store: Arc<dyn Store>,
    ring: RwLock<Arc<Ring>>,
    admin_token: Option<[u8; 32]>,
    argon2: Semaphore,
}

/// The keys as last loaded, plus digests of secrets already verified against them.
#[derive(Debug, Default)]
struct Ring {
    marker: u64,
    keys: HashMap<KeyId, Entry>,
}

#[derive(Debug)]
struct Entry {
    secret_hash: String,
    principal: Option<Principal>,
    /// SHA-256 of the secret, once one presented secret has passed Argon2.
    verified: RwLock<Option<[u8; 32]>>,
}

impl Authenticator {
    /// Loads the keys from `store`.
    pub async fn new(store: Arc<dyn Store>, admin_token: Option<&AdminToken>) -> Result<Self, StoreError> {
        let this = Self {
            store,
            ring: RwLock::new(Arc::default()),
            admin_token: admin_token.map(|t| digest(t.expose())),
            argon2: Semaphore::new(ARGON2_PERMITS),
        };
        this.reload().await?;
        Ok(this)
    }

    /// Checks one bearer token.
    ///
    /// Fails when the token is malformed, names no key, names a revoked key, or has the wrong
    /// secret. The environment admin token matches only when it was set and non-empty.
    pub async fn authenticate(&self, token: &str) -> Result<Principal, AuthError> {
        if let Some(expected) = &self.admin_token {
            // Comparing digests keeps the comparison constant-time regardless of token length.
            if bool::from(digest(token).ct_eq(expected)) {
                return Ok(Principal::Admin { key: None });
            }
        }
        let (id, secret) = keys::split_token(token).ok_or(AuthError::Malformed)?;
        let ring = self.current();
        let entry = ring.keys.get(&id).ok_or(AuthError::UnknownKey)?;
        let principal = entry.principal.clone().ok_or(AuthError::Revoked)?;
        let presented = digest(secret);
        if let Some(known) = *read(&entry.verified) {
            return if bool::from(presented.ct_eq(&known)) { Ok(principal) } else { Err(AuthError::WrongSecret) };
        }
        let permit = self.argon2.acquire().await.map_err(|_| AuthError::WrongSecret)?;
        let (hash, owned) = (entry.secret_hash.clone(), secret.to_owned());
        let ok = tokio::task::spawn_blocking(move || keys::verify_secret(&hash, &owned)).await.unwrap_or(false);
        drop(permit);
        if !ok {
            return Err(AuthError::WrongSecret);
        }
        *entry.verified.write().unwrap_or_else(std::sync::PoisonError::into_inner) = Some(presented);
        Ok(principal)
    }

    /// Reloads keys if the store changed since the last load. Cached verifications survive for
    /// keys whose stored hash is unchanged.
    pub async fn refresh(&self) -> Result<(), StoreError> {
        if self.store.change_marker().await? != self.current().marker {
            self.reload().await?;
        }
        Ok(())
    }

    /// Reloads keys now; the API calls this after it changes a key itself.
    pub async fn reload(&self) -> Result<(), StoreError> {
        // Read the marker first: a change landing between the two reads triggers one extra
        // reload later instead of being missed.
        let marker = self.store.change_marker().await?;
        let stored = self.store.keys().await?;
        let old = self.current();
        let keys = stored
            .into_iter()
            .map(|key| {
                let verified = old
                    .keys
                    .get(&key.id)
                    .filter(|e| e.secret_hash == key.secret_hash && key.revoked_at.is_none())
                    .and_then(|e| *read(&e.verified));
                let entry = Entry {
                    principal: principal_of(&key),
                    secret_hash: key.secret_hash,
                    verified: RwLock::new(verified),
                };
                (key.id, entry)
            })
            .collect();
        *self.ring.write().unwrap_or_else(std::sync::PoisonError::into_inner) = Arc::new(Ring { marker, keys });
        Ok(())
    }

    /// Whether any live key exists (the first `symbi up` issues an admin key when none does).
    pub fn has_live_keys(&self) -> bool {
        self.current().keys.values().any(|e| e.principal.is_some())
    }

    fn current(&self) -> Arc<Ring> {
        Arc::clone(&read(&self.ring))
    }
}

fn principal_of(key: &StoredKey) -> Option<Principal> {
    if key.revoked_at.is_some() {
        return None;
    }
    Some(match &key.scope {
        KeyScope::Admin => Principal::Admin { key: Some(key.id.clone()) },
        KeyScope::Agents(agents) => Principal::Scoped { key: key.id.clone(), agents: agents.clone().into() },
    })
}

fn digest(text: &str) -> [u8; 32] {
    Sha256::digest(text.as_bytes()).into()
}

fn read<T>(lock: &RwLock<T>) -> std::sync::RwLockReadGuard<'_, T> {
    lock.read().unwrap_or_else(std::sync::PoisonError::into_inner)
}

#[cfg(test)]
mod tests;
