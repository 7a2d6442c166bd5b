//! The cache form of a validated set, for short-lived processes (coding-assistant hooks) that
//! must not pay for parsing and validating every policy on each start. It keeps each policy's
//! text, what the index needs (surface, covered actions, scope keys) and its info; loading it
//! parses nothing, and a policy's text is parsed only when a decision first selects it.
//!
//! Loading skips validation: the caller must only load text that [`Policies::cache_text`] wrote
//! for a set that compiled from the same inputs, which is why the loader's name says so.

use std::collections::BTreeMap;
use std::str::FromStr;

use cedar_policy::{EntityId, EntityTypeName, EntityUid};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::index::{IndexEntry, PolicyIndex, ScopeKey};
use crate::policies::{Effect, Policies, PolicyError, PolicyInfo, PolicySource, invalid};
use crate::record_form::sources_json;
use crate::vocabulary::{Action, Surface};

/// The `format` of the cache form; a later layout gets a new value, and older text is refused.
const FORMAT: &str = "symbi-policy-cache/1";

impl Policies {
    /// The set in its cache form: sources, and every policy with its index keys and info.
    /// [`Policies::dangerous_from_cache_text`] reads it back.
    pub fn cache_text(&self) -> String {
        let policies: Vec<Value> = self
            .index
            .entries()
            .iter()
            .filter_map(|entry| {
                let info = self.info.get(&entry.id)?;
                Some(json!({
                    "id": entry.id,
                    "origin": info.origin,
                    "surface": entry.only_on.map(Surface::as_str),
                    "effect": match info.effect { Effect::Permit => "permit", Effect::Forbid => "forbid" },
                    "approval": info.requires_approval,
                    "reason": info.reason,
                    "text": entry.text,
                    "actions": entry.actions.iter().map(|a| a.as_str()).collect::<Vec<_>>(),
                    "principal": key_json(&entry.principal),
                    "resource": key_json(&entry.resource),
                }))
            })
            .collect();
        json!({"format": FORMAT, "sources": sources_json(&self.sources), "policies": policies}).to_string()
    }

    /// Reads a set from its [`Policies::cache_text`] without parsing or validating any policy.
    ///
    /// Dangerous: nothing checks that the text came from `cache_text` of a set that compiled.
    /// Text from anywhere else can carry policies that were never validated, or index keys that
    /// hide a policy from the requests it covers. Key the cache by every input of the set.
    ///
    /// Fails when the text is not the cache form this version writes. A policy whose text does
    /// not parse is found only when a decision selects it; that decision is a deny.
    pub fn dangerous_from_cache_text(text: &str) -> Result<Self, PolicyError> {
        let bad = |reason: &str| invalid("policy cache", 1, 1, reason);
        // Typed reading: a hook loads this on every call, and a `serde_json::Value` tree of the
        // whole set costs several times the decision it serves.
        let form: CacheForm = serde_json::from_str(text).map_err(|e| bad(&e.to_string()))?;
        if form.format != FORMAT {
            return Err(bad(&format!("not a policy cache (expected format `{FORMAT}`)")));
        }
        let sources = form
            .sources
            .into_iter()
            .map(|s| Ok(PolicySource { origin: s.origin, surface: surface(s.surface.as_deref())?, text: s.text }))
            .collect::<Result<Vec<_>, String>>()
            .map_err(|e| bad(&e))?;
        let mut entries = Vec::with_capacity(form.policies.len());
        let mut info = BTreeMap::new();
        for policy in form.policies {
            let (entry, policy_info) = read_policy(policy).map_err(|e| bad(&e))?;
            entries.push(entry);
            if info.insert(policy_info.id.clone(), policy_info).is_some() {
                return Err(bad("a policy id is used twice"));
            }
        }
        Ok(Self { index: PolicyIndex::new(entries), info, sources })
    }
}

/// The cache form as [`Policies::cache_text`] writes it.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CacheForm {
    format: String,
    sources: Vec<SourceForm>,
    policies: Vec<PolicyForm>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SourceForm {
    origin: String,
    surface: Option<String>,
    text: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PolicyForm {
    id: String,
    origin: String,
    surface: Option<String>,
    effect: String,
    approval: bool,
    reason: Option<String>,
    text: String,
    actions: Vec<String>,
    principal: KeyForm,
    resource: KeyForm,
}

/// A scope key as [`key_json`] writes it: `"any"`, `{"is": "Type"}` or `{"in": ["Type", "id"]}`.
#[derive(Deserialize)]
#[serde(untagged)]
enum KeyForm {
    Any(String),
    Is {
        is: String,
    },
    In {
        #[serde(rename = "in")]
        uid: (String, String),
    },
}

fn surface(name: Option<&str>) -> Result<Option<Surface>, String> {
    name.map(|n| Surface::parse(n).ok_or_else(|| format!("unknown surface `{n}`"))).transpose()
}

fn read_policy(policy: PolicyForm) -> Result<(IndexEntry, PolicyInfo), String> {
    let only_on = surface(policy.surface.as_deref())?;
    let effect = match policy.effect.as_str() {
        "permit" => Effect::Permit,
        "forbid" => Effect::Forbid,
        other => return Err(format!("unknown effect `{other}`")),
    };
    let actions = policy
        .actions
        .iter()
        .map(|a| Action::parse(a).ok_or_else(|| format!("unknown action `{a}`")))
        .collect::<Result<Vec<_>, _>>()?;
    let principal = read_key(policy.principal)?;
    let resource = read_key(policy.resource)?;
    let info = PolicyInfo {
        id: policy.id.clone(),
        origin: policy.origin,
        surface: only_on,
        effect,
        requires_approval: policy.approval,
        reason: policy.reason,
        text: policy.text.clone(),
    };
    Ok((IndexEntry::unparsed(policy.id, policy.text, only_on, actions, principal, resource), info))
}

/// `"any"`, `{"is": "Type"}` or `{"in": ["Type", "id"]}`.
fn key_json(key: &ScopeKey) -> Value {
    match key {
        ScopeKey::Any => json!("any"),
        ScopeKey::Type(ty) => json!({"is": ty.to_string()}),
        ScopeKey::Uid(uid) => json!({"in": [uid.type_name().to_string(), uid.id().unescaped()]}),
    }
}

/// Reads a [`key_json`] value. Type names go through the per-process table of the schema's
/// names, so each is parsed at most once.
fn read_key(key: KeyForm) -> Result<ScopeKey, String> {
    match key {
        KeyForm::Any(any) if any == "any" => Ok(ScopeKey::Any),
        KeyForm::Any(other) => Err(format!("scope key `{other}` is not a scope")),
        KeyForm::Is { is } => Ok(ScopeKey::Type(entity_type(&is)?)),
        KeyForm::In { uid: (ty, id) } => {
            Ok(ScopeKey::Uid(EntityUid::from_type_name_and_id(entity_type(&ty)?, EntityId::new(id))))
        }
    }
}

fn entity_type(name: &str) -> Result<EntityTypeName, String> {
    match crate::entities::known_type_name(name) {
        Some(ty) => Ok(ty),
        None => EntityTypeName::from_str(name).map_err(|e| format!("entity type `{name}`: {e}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decision::{Decision, PolicyRequest};
    use crate::entities::{EntityRef, EntitySet};
    use crate::policies::PolicySource;

    #[test]
    fn damaged_cache_text_is_refused() {
        for bad in [
            "",
            "{}",
            r#"{"format":"symbi-policy-cache/0","sources":[],"policies":[]}"#,
            r#"{"format":"symbi-policy-cache/1","sources":[]}"#,
            r#"{"format":"symbi-policy-cache/1","sources":[],"policies":[{"id":"x"}]}"#,
        ] {
            assert!(Policies::dangerous_from_cache_text(bad).is_err(), "{bad}");
        }
    }

    /// A policy whose cached text no longer parses is found when a decision selects it, and that
    /// decision is a deny.
    #[test]
    fn a_policy_that_does_not_parse_denies_the_decision_that_selects_it() {
        let source = PolicySource {
            origin: "p.cedar".into(),
            surface: None,
            text: "permit(principal, action, resource);".into(),
        };
        let cache = Policies::compile(&[source]).unwrap().cache_text().replace("permit(", "permit((");
        let policies = Policies::dangerous_from_cache_text(&cache).unwrap();
        let request = PolicyRequest {
            principal: EntityRef::Agent("a".into()),
            action: Action::InvokeTool,
            resource: EntityRef::Tool("t".into()),
            surface: Surface::Hook,
            delegation_depth: None,
        };
        let e = policies.evaluate(&request, &EntitySet::empty());
        assert_eq!(e.decision, Decision::Deny);
        assert!(e.reason.contains("does not parse"), "{}", e.reason);
    }
}
