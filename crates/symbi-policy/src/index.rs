//! The policy index: which policies could apply to a request, found from what the request fixes
//! (surface, action, principal, resource) without evaluating anything. `Policies::compile` builds
//! it; `Policies::evaluate` asks it for the slice of the set worth giving to Cedar, so a decision
//! does not pay for policies about other tools, agents or surfaces.
//!
//! The index only narrows by policy scopes; `when`/`unless` conditions, and the scope checks
//! themselves, stay with Cedar, which evaluates every selected policy in full.

use std::collections::HashMap;
use std::sync::{Arc, OnceLock, PoisonError, RwLock};

use cedar_policy::{
    ActionConstraint, Entities, EntityTypeName, EntityUid, Policy, PolicyId, PolicySet, PrincipalConstraint,
    ResourceConstraint,
};

use crate::entities::uid;
use crate::vocabulary::{Action, Surface};

/// How many distinct slices are kept built; past this a slice is built for its one decision.
const CACHE_LIMIT: usize = 4096;

/// Policies by the request parts their scopes fix.
#[derive(Clone)]
pub(crate) struct PolicyIndex {
    /// Every policy of the set; an index into this is a policy's number.
    entries: Vec<IndexEntry>,
    /// Per surface and action (`bucket_of`): the numbers of the policies whose surface and
    /// action scope fit, keyed by their principal scope, then their resource scope. Each is
    /// filled on the first decision that needs it, so a process that makes one decision (a
    /// hook) files the policies of one surface and action only.
    buckets: Vec<OnceLock<Bucket>>,
    /// Built slices, keyed by their sorted policy numbers. Shared by clones: a clone has the same
    /// policies, so the same numbers name the same slice.
    cache: Arc<SliceCache>,
}

/// Policy numbers by principal scope, then resource scope.
type Bucket = Scoped<Scoped<Vec<u32>>>;

/// Built slices by their sorted policy numbers.
type SliceCache = RwLock<HashMap<Box<[u32]>, Arc<PolicySet>>>;

/// One policy as the index files it: where it applies, and the policy itself, parsed now or
/// (for a set read from its cache form) on the first decision that selects it.
#[derive(Debug, Clone)]
pub(crate) struct IndexEntry {
    pub(crate) id: String,
    /// The policy's Cedar text, parsed when `parsed` is empty.
    pub(crate) text: String,
    pub(crate) only_on: Option<Surface>,
    /// The actions its action scope covers, through the schema's action groups.
    pub(crate) actions: Vec<Action>,
    pub(crate) principal: ScopeKey,
    pub(crate) resource: ScopeKey,
    parsed: OnceLock<Result<Policy, String>>,
}

/// Entries keyed by one scope constraint (`principal …` or `resource …`).
#[derive(Debug, Clone)]
struct Scoped<T> {
    /// Unconstrained scopes.
    any: Option<T>,
    /// `is T`.
    by_type: HashMap<EntityTypeName, T>,
    /// `== uid`, `in uid` and `is T in uid`, by the uid: an entity matches when the uid is the
    /// entity itself or one of its ancestors.
    by_uid: HashMap<EntityUid, T>,
}

/// What a scope constraint fixes, reduced to one key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ScopeKey {
    Any,
    Type(EntityTypeName),
    Uid(EntityUid),
}

impl std::fmt::Debug for PolicyIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PolicyIndex")
            .field("policies", &self.entries.len())
            .field("buckets", &self.buckets.len())
            .finish_non_exhaustive()
    }
}

impl IndexEntry {
    /// Files a parsed policy whose Cedar text is `text`. `action_ancestors` gives each action's
    /// groups from the schema's action hierarchy.
    pub(crate) fn parsed(
        policy: Policy,
        text: String,
        only_on: Option<Surface>,
        action_ancestors: &dyn Fn(&EntityUid) -> Vec<EntityUid>,
    ) -> Self {
        let action_scope = policy.action_constraint();
        let actions = Action::ALL
            .into_iter()
            .filter(|a| {
                let action = uid("Action", a.as_str());
                // Cedar's `action in [g, …]` holds when the action is one of the listed uids or a
                // descendant of one, in the action hierarchy the entity data carries.
                // INVARIANT (schema-actions): entity data gets its action entities only from the
                // schema's hierarchy (EntitySetBuilder adds `Action::group`'s, which a test holds
                // equal to the schema's; `EntitySet::from_json` checks them against the schema),
                // so that hierarchy is never richer than the schema's.
                match &action_scope {
                    ActionConstraint::Any => true,
                    ActionConstraint::Eq(u) => *u == action,
                    ActionConstraint::In(groups) => {
                        let ancestors = action_ancestors(&action);
                        groups.iter().any(|g| *g == action || ancestors.contains(g))
                    }
                }
            })
            .collect();
        Self {
            id: policy.id().to_string(),
            text,
            only_on,
            actions,
            principal: principal_key(policy.principal_constraint()),
            resource: resource_key(policy.resource_constraint()),
            parsed: OnceLock::from(Ok(policy)),
        }
    }

    /// Files a policy from its cache form, to be parsed when a decision first selects it.
    pub(crate) fn unparsed(
        id: String,
        text: String,
        only_on: Option<Surface>,
        actions: Vec<Action>,
        principal: ScopeKey,
        resource: ScopeKey,
    ) -> Self {
        Self { id, text, only_on, actions, principal, resource, parsed: OnceLock::new() }
    }

    fn policy(&self) -> Result<&Policy, String> {
        self.parsed
            .get_or_init(|| {
                Policy::parse(Some(PolicyId::new(&self.id)), &self.text)
                    .map_err(|e| format!("policy `{}` does not parse: {e}", self.id))
            })
            .as_ref()
            .map_err(Clone::clone)
    }
}

impl PolicyIndex {
    /// Indexes `entries`.
    pub(crate) fn new(entries: Vec<IndexEntry>) -> Self {
        let buckets = (0..Surface::ALL.len().saturating_mul(Action::ALL.len())).map(|_| OnceLock::new()).collect();
        Self { entries, buckets, cache: Arc::default() }
    }

    /// The bucket of `surface` and `action`, filed on first use.
    fn bucket(&self, surface: Surface, action: Action) -> Option<&Bucket> {
        let s = Surface::ALL.iter().position(|x| *x == surface)?;
        let a = Action::ALL.iter().position(|x| *x == action)?;
        let slot = self.buckets.get(s.saturating_mul(Action::ALL.len()).saturating_add(a))?;
        Some(slot.get_or_init(|| {
            let mut bucket = Bucket::new();
            for (number, entry) in (0_u32..).zip(&self.entries) {
                if entry.actions.contains(&action) && entry.only_on.is_none_or(|s| s == surface) {
                    bucket.entry(&entry.principal, Scoped::new).entry(&entry.resource, Vec::new).push(number);
                }
            }
            bucket
        }))
    }

    /// Every policy, in number order.
    pub(crate) fn entries(&self) -> &[IndexEntry] {
        &self.entries
    }

    /// The policies that could apply to a request on `surface` for `action` by `principal` on
    /// `resource`, read against `entities` for the principal's and resource's ancestors.
    ///
    /// Every policy whose scope Cedar could find satisfied is in the slice (it is a superset);
    /// the slice holds policies in the same form as the whole set, so ids, annotations and
    /// evaluation errors are the same.
    pub(crate) fn slice(
        &self,
        surface: Surface,
        action: Action,
        principal: &EntityUid,
        resource: &EntityUid,
        entities: &Entities,
    ) -> Result<Arc<PolicySet>, String> {
        let mut numbers: Vec<u32> = Vec::new();
        if let Some(bucket) = self.bucket(surface, action) {
            let principal_line = lineage(principal, entities);
            let resource_line = lineage(resource, entities);
            for by_resource in bucket.matching(principal, &principal_line) {
                for found in by_resource.matching(resource, &resource_line) {
                    numbers.extend_from_slice(found);
                }
            }
        }
        numbers.sort_unstable();
        numbers.dedup();
        self.slice_of(&numbers)
    }

    /// Every policy that applies on `surface`, whatever the request: what naive Cedar evaluates.
    #[cfg(test)]
    pub(crate) fn whole_surface(&self, surface: Surface) -> Result<PolicySet, String> {
        let on = |e: &&IndexEntry| e.only_on.is_none_or(|s| s == surface);
        let policies = self.entries.iter().filter(on).map(|e| e.policy().cloned()).collect::<Result<Vec<_>, _>>()?;
        PolicySet::from_policies(policies).map_err(|e| e.to_string())
    }

    /// The set of the policies numbered `numbers` (sorted, distinct), built once and cached.
    fn slice_of(&self, numbers: &[u32]) -> Result<Arc<PolicySet>, String> {
        if let Some(set) = self.cache.read().unwrap_or_else(PoisonError::into_inner).get(numbers) {
            return Ok(Arc::clone(set));
        }
        let mut set = PolicySet::new();
        for number in numbers {
            let entry = usize::try_from(*number).ok().and_then(|n| self.entries.get(n));
            // INVARIANT (numbered-policies): numbers come from `new`, which numbers `entries`.
            let entry = entry.ok_or_else(|| format!("the policy index names a policy #{number} it does not have"))?;
            set.add(entry.policy()?.clone()).map_err(|e| e.to_string())?;
        }
        let set = Arc::new(set);
        let mut cache = self.cache.write().unwrap_or_else(PoisonError::into_inner);
        if cache.len() < CACHE_LIMIT {
            cache.insert(numbers.into(), Arc::clone(&set));
        }
        Ok(set)
    }
}

/// An entity and its ancestors in `entities`; just the entity when the data does not have it,
/// which is also when Cedar's `in` holds only for the entity itself.
fn lineage<'a>(entity: &EntityUid, entities: &'a Entities) -> Vec<&'a EntityUid> {
    entities.ancestors(entity).map(Iterator::collect).unwrap_or_default()
}

impl<T> Scoped<T> {
    fn new() -> Self {
        Self { any: None, by_type: HashMap::new(), by_uid: HashMap::new() }
    }

    fn entry(&mut self, key: &ScopeKey, make: fn() -> T) -> &mut T {
        match key {
            ScopeKey::Any => self.any.get_or_insert_with(make),
            ScopeKey::Type(ty) => self.by_type.entry(ty.clone()).or_insert_with(make),
            ScopeKey::Uid(u) => self.by_uid.entry(u.clone()).or_insert_with(make),
        }
    }

    /// The entries a request entity can match: unconstrained, its type, itself and each of
    /// its `ancestors`.
    fn matching<'s>(&'s self, entity: &EntityUid, ancestors: &[&EntityUid]) -> impl Iterator<Item = &'s T> {
        self.any
            .iter()
            .chain(self.by_type.get(entity.type_name()))
            .chain(self.by_uid.get(entity))
            .chain(ancestors.iter().filter_map(|a| self.by_uid.get(*a)))
    }
}

fn principal_key(constraint: PrincipalConstraint) -> ScopeKey {
    match constraint {
        PrincipalConstraint::Any => ScopeKey::Any,
        PrincipalConstraint::Is(ty) => ScopeKey::Type(ty),
        PrincipalConstraint::In(u) | PrincipalConstraint::Eq(u) | PrincipalConstraint::IsIn(_, u) => ScopeKey::Uid(u),
    }
}

fn resource_key(constraint: ResourceConstraint) -> ScopeKey {
    match constraint {
        ResourceConstraint::Any => ScopeKey::Any,
        ResourceConstraint::Is(ty) => ScopeKey::Type(ty),
        ResourceConstraint::In(u) | ResourceConstraint::Eq(u) | ResourceConstraint::IsIn(_, u) => ScopeKey::Uid(u),
    }
}

#[cfg(test)]
mod tests;
