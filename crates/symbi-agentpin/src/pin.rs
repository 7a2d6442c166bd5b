//! Key pinning: the first key seen for a domain is remembered (trust on first use), and later
//! credentials from that domain must be signed by a remembered key.
//!
//! [`PinStore`] is the seam: the runtime implements it over its SQLite store; [`MemoryPinStore`]
//! serves tests and one-shot CLI runs and reads and writes the ecosystem's JSON pin file format
//! (`[{"domain","pinned_keys":[{"kid","public_key_hash",…}]}]`), which Python and Rust share.

use std::collections::BTreeMap;
use std::sync::{Mutex, PoisonError};

use serde::{Deserialize, Serialize};

use crate::json::{self, DocumentError};
use crate::time::UnixTime;

/// Largest pin file accepted.
const MAX_PIN_FILE_BYTES: usize = 4 * 1024 * 1024;

/// A key offered for pinning: its id and RFC 7638 thumbprint (lowercase hex).
#[derive(Debug, Clone, Copy)]
pub struct PinCandidate<'a> {
    /// The key id.
    pub kid: &'a str,
    /// The JWK thumbprint, lowercase hex.
    pub thumbprint: &'a str,
}

/// What the store said about a key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PinOutcome {
    /// The domain had no pin; this key is now pinned.
    FirstUse,
    /// The key matches a pinned key.
    Matched,
    /// The domain is pinned to other keys; the credential must be refused.
    Changed,
}

/// A pin store could not answer; verification fails closed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{reason}")]
pub struct PinStoreError {
    reason: String,
}

impl PinStoreError {
    /// An error with this explanation.
    pub fn new(reason: impl Into<String>) -> Self {
        Self { reason: reason.into() }
    }
}

/// Where pins live. Implementations must make `check_and_pin` atomic per domain, so that two
/// concurrent first uses cannot pin two different keys.
pub trait PinStore: Send + Sync {
    /// Checks `key` against the pins for `domain`, pinning it when the domain has none.
    ///
    /// Fails only when the store itself fails.
    fn check_and_pin(&self, domain: &str, key: PinCandidate<'_>, now: UnixTime) -> Result<PinOutcome, PinStoreError>;
}

/// An in-memory pin store, also readable from and writable to the ecosystem's pin file.
#[derive(Debug, Default)]
pub struct MemoryPinStore {
    domains: Mutex<BTreeMap<String, Vec<PinnedKey>>>,
}

impl MemoryPinStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds `key` to the pins of `domain` (for a confirmed rotation); pins the domain if new.
    pub fn add_key(&self, domain: &str, key: PinCandidate<'_>, now: UnixTime) {
        let mut domains = self.domains.lock().unwrap_or_else(PoisonError::into_inner);
        let pins = domains.entry(domain.to_owned()).or_default();
        if !pins.iter().any(|p| p.public_key_hash == key.thumbprint) {
            pins.push(PinnedKey::new(key, now));
        }
    }

    /// Forgets every pin for `domain`; the next key seen is pinned afresh.
    pub fn unpin(&self, domain: &str) -> bool {
        self.domains.lock().unwrap_or_else(PoisonError::into_inner).remove(domain).is_some()
    }

    /// The pinned thumbprints of `domain`, oldest first.
    pub fn pinned(&self, domain: &str) -> Vec<String> {
        let domains = self.domains.lock().unwrap_or_else(PoisonError::into_inner);
        domains.get(domain).map(|pins| pins.iter().map(|p| p.public_key_hash.clone()).collect()).unwrap_or_default()
    }

    /// Reads the ecosystem's pin file format.
    ///
    /// Fails on oversized, duplicate-key or malformed input, or a domain listed twice.
    pub fn from_json(bytes: &[u8]) -> Result<Self, DocumentError> {
        let wire: Vec<PinnedDomain> = json::decode(bytes, MAX_PIN_FILE_BYTES)?;
        let mut domains = BTreeMap::new();
        for entry in wire {
            if domains.insert(entry.domain.clone(), entry.pinned_keys).is_some() {
                return Err(DocumentError::field("domain", format!("`{}` appears twice", entry.domain)));
            }
        }
        Ok(Self { domains: Mutex::new(domains) })
    }

    /// Writes the ecosystem's pin file format.
    pub fn to_json(&self) -> String {
        let domains = self.domains.lock().unwrap_or_else(PoisonError::into_inner);
        let wire: Vec<PinnedDomain> = domains
            .iter()
            .map(|(domain, pins)| PinnedDomain { domain: domain.clone(), pinned_keys: pins.clone() })
            .collect();
        serde_json::to_string_pretty(&wire).unwrap_or_default()
    }
}

impl PinStore for MemoryPinStore {
    fn check_and_pin(&self, domain: &str, key: PinCandidate<'_>, now: UnixTime) -> Result<PinOutcome, PinStoreError> {
        // A poisoned lock only means another thread panicked mid-update of plain data; the map is
        // still a valid map, so recovering it is safe.
        let mut domains = self.domains.lock().unwrap_or_else(PoisonError::into_inner);
        let Some(pins) = domains.get_mut(domain) else {
            domains.insert(domain.to_owned(), vec![PinnedKey::new(key, now)]);
            return Ok(PinOutcome::FirstUse);
        };
        match pins.iter_mut().find(|p| p.public_key_hash == key.thumbprint) {
            Some(pin) => {
                pin.last_seen = now.to_rfc3339();
                Ok(PinOutcome::Matched)
            }
            None => Ok(PinOutcome::Changed),
        }
    }
}

#[derive(Serialize, Deserialize)]
struct PinnedDomain {
    domain: String,
    pinned_keys: Vec<PinnedKey>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct PinnedKey {
    #[serde(default)]
    kid: String,
    public_key_hash: String,
    #[serde(default)]
    first_seen: String,
    #[serde(default)]
    last_seen: String,
    #[serde(default = "tofu")]
    trust_level: String,
}

fn tofu() -> String {
    "tofu".to_owned()
}

impl PinnedKey {
    fn new(key: PinCandidate<'_>, now: UnixTime) -> Self {
        let now = now.to_rfc3339();
        Self {
            kid: key.kid.to_owned(),
            public_key_hash: key.thumbprint.to_owned(),
            first_seen: now.clone(),
            last_seen: now,
            trust_level: tofu(),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use proptest::prelude::*;

    use super::*;

    #[derive(Debug, Clone)]
    enum Op {
        Check(u8, u8),
        Add(u8, u8),
        Unpin(u8),
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            (0..3u8, 0..4u8).prop_map(|(d, k)| Op::Check(d, k)),
            (0..3u8, 0..4u8).prop_map(|(d, k)| Op::Add(d, k)),
            (0..3u8).prop_map(Op::Unpin),
        ]
    }

    proptest! {
        /// The store against a model: a map from domain to the set of pinned keys.
        #[test]
        fn behaves_like_its_model(ops in proptest::collection::vec(op(), 0..40)) {
            let store = MemoryPinStore::new();
            let mut model: BTreeMap<u8, Vec<u8>> = BTreeMap::new();
            let now = UnixTime::from_secs(1_700_000_000);
            for op in ops {
                match op {
                    Op::Check(d, k) => {
                        let thumb = format!("k{k}");
                        let got = store.check_and_pin(&format!("d{d}"), PinCandidate { kid: "kid", thumbprint: &thumb }, now).unwrap();
                        let want = match model.get(&d) {
                            None => { model.insert(d, vec![k]); PinOutcome::FirstUse }
                            Some(keys) if keys.contains(&k) => PinOutcome::Matched,
                            Some(_) => PinOutcome::Changed,
                        };
                        prop_assert_eq!(got, want);
                    }
                    Op::Add(d, k) => {
                        store.add_key(&format!("d{d}"), PinCandidate { kid: "kid", thumbprint: &format!("k{k}") }, now);
                        let keys = model.entry(d).or_default();
                        if !keys.contains(&k) { keys.push(k); }
                    }
                    Op::Unpin(d) => {
                        prop_assert_eq!(store.unpin(&format!("d{d}")), model.remove(&d).is_some());
                    }
                }
            }
            let reloaded = MemoryPinStore::from_json(store.to_json().as_bytes()).unwrap();
            for (d, keys) in model {
                let want: Vec<String> = keys.iter().map(|k| format!("k{k}")).collect();
                prop_assert_eq!(reloaded.pinned(&format!("d{d}")), want);
            }
        }
    }
}
