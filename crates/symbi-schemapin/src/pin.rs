//! Key pins: which key a tool from a domain was first trusted with.
//!
//! [`PinStore`] is the seam to the runtime's store (SQLite or PostgreSQL); [`MemoryPinStore`] is
//! the in-process one for tests and the CLI's dry runs. [`crate::Verifier`] is the only writer
//! on the verification path and never calls [`PinStore::replace`]: only an explicit re-pin does.

use std::collections::BTreeMap;
use std::sync::{Mutex, PoisonError};

use thiserror::Error;

use crate::key::Fingerprint;
use crate::names::{Domain, ToolName};

/// One pin: `tool` from `domain` is trusted with the key `fingerprint`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pin {
    /// The tool.
    pub tool: ToolName,
    /// The domain that published it.
    pub domain: Domain,
    /// The pinned key.
    pub fingerprint: Fingerprint,
    /// When the pin was made, seconds since the Unix epoch.
    pub pinned_at: u64,
}

/// Why a pin store operation failed.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum PinStoreError {
    /// [`PinStore::insert_new`] found a pin already there (a concurrent first use won).
    #[error("tool `{tool}` from `{domain}` is already pinned")]
    AlreadyPinned {
        /// The tool.
        tool: ToolName,
        /// The domain.
        domain: Domain,
    },
    /// The backing store failed; the message is the store's own.
    #[error("pin store failed: {message}")]
    Backend {
        /// What the store reported.
        message: String,
    },
}

/// Where pins live. Implementations must make [`PinStore::insert_new`] atomic: two first uses
/// racing must leave exactly one pin and tell the loser [`PinStoreError::AlreadyPinned`].
pub trait PinStore: Send + Sync {
    /// The pin for `tool` from `domain`, if any.
    ///
    /// # Errors
    ///
    /// [`PinStoreError::Backend`].
    fn get(&self, tool: &ToolName, domain: &Domain) -> Result<Option<Pin>, PinStoreError>;

    /// Adds a pin where none exists.
    ///
    /// # Errors
    ///
    /// [`PinStoreError::AlreadyPinned`] or [`PinStoreError::Backend`].
    fn insert_new(&self, pin: Pin) -> Result<(), PinStoreError>;

    /// Adds or overwrites a pin (the explicit, forced re-pin).
    ///
    /// # Errors
    ///
    /// [`PinStoreError::Backend`].
    fn replace(&self, pin: Pin) -> Result<(), PinStoreError>;

    /// Removes a pin; returns whether one existed.
    ///
    /// # Errors
    ///
    /// [`PinStoreError::Backend`].
    fn remove(&self, tool: &ToolName, domain: &Domain) -> Result<bool, PinStoreError>;

    /// Every pin, ordered by domain then tool.
    ///
    /// # Errors
    ///
    /// [`PinStoreError::Backend`].
    fn list(&self) -> Result<Vec<Pin>, PinStoreError>;
}

/// An in-memory [`PinStore`].
#[derive(Debug, Default)]
pub struct MemoryPinStore {
    pins: Mutex<BTreeMap<(Domain, ToolName), Pin>>,
}

impl MemoryPinStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    fn with<T>(&self, f: impl FnOnce(&mut BTreeMap<(Domain, ToolName), Pin>) -> T) -> T {
        // A panic elsewhere cannot leave a half-written map: every update is a single insert or
        // remove, so the data behind a poisoned lock is still consistent.
        let mut pins = self.pins.lock().unwrap_or_else(PoisonError::into_inner);
        f(&mut pins)
    }
}

impl PinStore for MemoryPinStore {
    fn get(&self, tool: &ToolName, domain: &Domain) -> Result<Option<Pin>, PinStoreError> {
        Ok(self.with(|pins| pins.get(&(domain.clone(), tool.clone())).cloned()))
    }

    fn insert_new(&self, pin: Pin) -> Result<(), PinStoreError> {
        self.with(|pins| {
            let key = (pin.domain.clone(), pin.tool.clone());
            if pins.contains_key(&key) {
                return Err(PinStoreError::AlreadyPinned { tool: pin.tool, domain: pin.domain });
            }
            pins.insert(key, pin);
            Ok(())
        })
    }

    fn replace(&self, pin: Pin) -> Result<(), PinStoreError> {
        self.with(|pins| pins.insert((pin.domain.clone(), pin.tool.clone()), pin));
        Ok(())
    }

    fn remove(&self, tool: &ToolName, domain: &Domain) -> Result<bool, PinStoreError> {
        Ok(self.with(|pins| pins.remove(&(domain.clone(), tool.clone())).is_some()))
    }

    fn list(&self) -> Result<Vec<Pin>, PinStoreError> {
        Ok(self.with(|pins| pins.values().cloned().collect()))
    }
}
