//! The cache form of a validated set, for short-lived processes (coding-assistant hooks) that
//! must not pay for parsing and validating every policy on each start. It keeps each policy's
//! text, what the index needs (surface, covered actions, scope keys) and its info; loading it
//! parses nothing, and a policy's text is parsed only when a decision first selects it.
//!
//! Loading skips validation: the caller must only load text that [`Policies::cache_text`] wrote
//! for a set that compiled from the same inputs, which is why the loader's name says so.

use std::collections::{BTreeMap, HashMap};
use std::str::FromStr;

use cedar_policy::{EntityId, EntityTypeName, EntityUid};
use serde_json::{Value, json};

use crate::index::{IndexEntry, PolicyIndex, ScopeKey};
use crate::policies::{Effect, Policies, PolicyError, PolicyInfo, invalid};
use crate::record_form::{read_sources, sources_json, surface_of};
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
        let value: Value = serde_json::from_str(text).map_err(|e| bad(&e.to_string()))?;
        if value.get("format").and_then(Value::as_str) != Some(FORMAT) {
            return Err(bad(&format!("not a policy cache (expected format `{FORMAT}`)")));
        }
        let list = |name: &str| value.get(name).and_then(Value::as_array).ok_or_else(|| bad(&format!("no `{name}`")));
        let sources = read_sources(value.get("sources")).map_err(|e| bad(&e))?;
        let mut types = HashMap::new();
        let mut entries = Vec::new();
        let mut info = BTreeMap::new();
        for policy in list("policies")? {
            let (entry, policy_info) = read_policy(policy, &mut types).map_err(|e| bad(&e))?;
            entries.push(entry);
            if info.insert(policy_info.id.clone(), policy_info).is_some() {
                return Err(bad("a policy id is used twice"));
            }
        }
        Ok(Self { index: PolicyIndex::new(entries), info, sources })
    }
}

fn read_policy(
    policy: &Value,
    types: &mut HashMap<String, EntityTypeName>,
) -> Result<(IndexEntry, PolicyInfo), String> {
    let field = |name: &str| string(policy, name).ok_or_else(|| format!("a policy has no `{name}`"));
    let id = field("id")?;
    let text = field("text")?;
    let only_on = surface_of(policy)?;
    let effect = match field("effect")?.as_str() {
        "permit" => Effect::Permit,
        "forbid" => Effect::Forbid,
        other => return Err(format!("unknown effect `{other}`")),
    };
    let actions = policy
        .get("actions")
        .and_then(Value::as_array)
        .ok_or("a policy has no `actions`")?
        .iter()
        .map(|a| a.as_str().and_then(Action::parse).ok_or_else(|| format!("unknown action {a}")))
        .collect::<Result<Vec<_>, _>>()?;
    let principal = read_key(policy.get("principal"), types)?;
    let resource = read_key(policy.get("resource"), types)?;
    let info = PolicyInfo {
        id: id.clone(),
        origin: field("origin")?,
        surface: only_on,
        effect,
        requires_approval: policy.get("approval").and_then(Value::as_bool).ok_or("a policy has no `approval`")?,
        reason: string(policy, "reason"),
        text: text.clone(),
    };
    Ok((IndexEntry::unparsed(id, text, only_on, actions, principal, resource), info))
}

fn string(value: &Value, name: &str) -> Option<String> {
    value.get(name).and_then(Value::as_str).map(str::to_owned)
}

/// `"any"`, `{"is": "Type"}` or `{"in": ["Type", "id"]}`.
fn key_json(key: &ScopeKey) -> Value {
    match key {
        ScopeKey::Any => json!("any"),
        ScopeKey::Type(ty) => json!({"is": ty.to_string()}),
        ScopeKey::Uid(uid) => json!({"in": [uid.type_name().to_string(), uid.id().unescaped()]}),
    }
}

/// Reads a [`key_json`] value; each type name is parsed once per load.
fn read_key(value: Option<&Value>, types: &mut HashMap<String, EntityTypeName>) -> Result<ScopeKey, String> {
    let mut type_name = |name: &Value| -> Result<EntityTypeName, String> {
        let name = name.as_str().ok_or("an entity type is not a string")?;
        if let Some(ty) = types.get(name) {
            return Ok(ty.clone());
        }
        let ty = EntityTypeName::from_str(name).map_err(|e| format!("entity type `{name}`: {e}"))?;
        types.insert(name.to_owned(), ty.clone());
        Ok(ty)
    };
    match value {
        Some(Value::String(any)) if any == "any" => Ok(ScopeKey::Any),
        Some(Value::Object(map)) => match (map.get("is"), map.get("in").and_then(Value::as_array)) {
            (Some(ty), None) => Ok(ScopeKey::Type(type_name(ty)?)),
            (None, Some(uid)) => match uid.as_slice() {
                [ty, Value::String(id)] => {
                    Ok(ScopeKey::Uid(EntityUid::from_type_name_and_id(type_name(ty)?, EntityId::new(id))))
                }
                _ => Err(format!("scope key {value:?} is not [type, id]")),
            },
            _ => Err(format!("scope key {value:?} has neither `is` nor `in`")),
        },
        other => Err(format!("scope key {other:?} is not a scope")),
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
