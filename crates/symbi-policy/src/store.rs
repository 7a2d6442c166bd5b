//! The policy set in force, swapped whole: a reload builds and validates a complete new set, then
//! replaces the old one in a single pointer swap. A decision holds the snapshot it started with,
//! so it never sees half of one set and half of another.

use std::sync::{Arc, RwLock};

use crate::policies::Policies;

/// The current policy set, shared between deciders and the reloader.
#[derive(Debug)]
pub struct PolicyStore {
    current: RwLock<Arc<Policies>>,
}

impl PolicyStore {
    /// A store holding `policies`.
    pub fn new(policies: Policies) -> Self {
        Self { current: RwLock::new(Arc::new(policies)) }
    }

    /// The set in force now; keep it for the whole of one decision.
    pub fn snapshot(&self) -> Arc<Policies> {
        Arc::clone(&self.current.read().unwrap_or_else(std::sync::PoisonError::into_inner))
    }

    /// Puts `policies` in force, returning the set it replaced.
    pub fn replace(&self, policies: Policies) -> Arc<Policies> {
        let mut current = self.current.write().unwrap_or_else(std::sync::PoisonError::into_inner);
        std::mem::replace(&mut *current, Arc::new(policies))
    }
}
