//! The entity data of recent decisions, kept until runtime state changes.
//!
//! Building a decision's entities costs several times the decision itself: reading the agent
//! and keys from the store, constructing Cedar entities, computing the hierarchy's closure and
//! writing the JSON its audit record carries. The facts those entities describe change only when
//! an agent is registered, changed or removed, the policy set (and with it what agents' DSL says)
//! is swapped, or the tool catalog is reloaded; each of those calls [`EntityCache::invalidate`].
//!
//! A decision that gathered its entities while state was changing must not leave them behind: an
//! entry is stored only if no invalidation happened since the gathering began (the generation it
//! read at the start is still current), so the cache never serves data older than the last change.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use symbi_policy::{EntityRef, EntitySet};

use super::identity::VerifiedAgent;

/// At most this many entries; a full cache is emptied rather than tracked for recency, which keeps
/// lookups lock-light and memory bounded whatever the traffic.
const CAPACITY: usize = 4_096;

/// What a decision reads about its principal and resource, and what its record says it read.
#[derive(Debug)]
pub(super) struct Gathered {
    /// The schema-checked entity data.
    pub(super) set: EntitySet,
    /// The same data as the audit record's replay inputs hold it.
    pub(super) json: serde_json::Value,
}

impl Gathered {
    /// No entity data: what a decision that could not gather any records.
    pub(super) fn nothing() -> Self {
        Self { set: EntitySet::empty(), json: serde_json::Value::Array(Vec::new()) }
    }
}

/// Which entity data a decision needs: its principal and resource, and the verified credential
/// whose claims replace what the registry says of the principal.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(super) struct Key {
    pub(super) principal: EntityRef,
    pub(super) resource: EntityRef,
    pub(super) identity: Option<VerifiedAgent>,
}

/// Entity data by [`Key`], valid for one generation of runtime state.
#[derive(Debug, Default)]
pub(super) struct EntityCache {
    inner: RwLock<Generation>,
}

#[derive(Debug, Default)]
struct Generation {
    number: u64,
    entries: HashMap<Key, Arc<Gathered>>,
}

/// The generation a gathering started in; [`EntityCache::insert`] stores its result only if the
/// generation is still current.
#[derive(Debug, Clone, Copy)]
pub(super) struct Ticket(u64);

impl EntityCache {
    /// The cached entities for `key`, or the ticket to store freshly gathered ones under.
    pub(super) fn get(&self, key: &Key) -> Result<Arc<Gathered>, Ticket> {
        let inner = self.inner.read().unwrap_or_else(std::sync::PoisonError::into_inner);
        inner.entries.get(key).map(Arc::clone).ok_or(Ticket(inner.number))
    }

    /// Keeps `gathered` for `key` unless state changed since `ticket` was taken.
    pub(super) fn insert(&self, ticket: Ticket, key: Key, gathered: Arc<Gathered>) {
        let mut inner = self.inner.write().unwrap_or_else(std::sync::PoisonError::into_inner);
        if inner.number != ticket.0 {
            return;
        }
        if inner.entries.len() >= CAPACITY {
            inner.entries.clear();
        }
        inner.entries.insert(key, gathered);
    }

    /// Forgets everything: runtime state the entities describe has changed.
    pub(super) fn invalidate(&self) {
        let mut inner = self.inner.write().unwrap_or_else(std::sync::PoisonError::into_inner);
        inner.number = inner.number.wrapping_add(1);
        inner.entries.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(agent: &str) -> Key {
        Key { principal: EntityRef::Agent(agent.into()), resource: EntityRef::Tool("t".into()), identity: None }
    }

    fn gathered() -> Arc<Gathered> {
        Arc::new(Gathered::nothing())
    }

    #[test]
    fn entries_live_until_state_changes() {
        let cache = EntityCache::default();
        let Err(ticket) = cache.get(&key("a")) else { panic!("an empty cache has nothing") };
        cache.insert(ticket, key("a"), gathered());
        assert!(cache.get(&key("a")).is_ok());
        assert!(cache.get(&key("b")).is_err());
        cache.invalidate();
        assert!(cache.get(&key("a")).is_err());
    }

    #[test]
    fn a_gathering_that_straddles_a_change_is_not_kept() {
        let cache = EntityCache::default();
        let Err(ticket) = cache.get(&key("a")) else { panic!("an empty cache has nothing") };
        cache.invalidate();
        cache.insert(ticket, key("a"), gathered());
        assert!(cache.get(&key("a")).is_err(), "entities read before the change must not be served after it");
    }

    #[test]
    fn a_full_cache_starts_over() {
        let cache = EntityCache::default();
        for n in 0..=CAPACITY {
            let Err(ticket) = cache.get(&key(&n.to_string())) else { panic!("each key is new") };
            cache.insert(ticket, key(&n.to_string()), gathered());
        }
        let inner = cache.inner.read().unwrap_or_else(std::sync::PoisonError::into_inner);
        assert_eq!(inner.entries.len(), 1, "the cache emptied when it reached capacity");
    }
}
