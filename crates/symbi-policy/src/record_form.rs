//! The record form of a decision: what an audit record keeps so the decision can be made again
//! later, and the way back. A policy set becomes one deterministic text (its sources, in order,
//! as JSON); a request becomes `Type::"id"` strings plus a JSON context; the entity data a
//! decision read becomes Cedar's entity JSON. Re-compiling the text and re-evaluating the request
//! against the entities gives the same decision the runtime made, which is what
//! `symbi audit replay` checks.

use serde_json::{Map, Value, json};

use crate::entities::{EntityError, EntityRef, EntitySet};
use crate::policies::{Policies, PolicyError, PolicySource, invalid};
use crate::schema::schema;
use crate::vocabulary::{Action, Surface};
use crate::{PolicyRequest, entities};

/// The `format` of an archived policy set; a later layout gets a new value.
const FORMAT: &str = "symbi-policy-set/1";

impl Policies {
    /// The whole set as one deterministic text: the same sources always give the same text, so
    /// its hash names the set. [`Policies::from_archive_text`] compiles it back.
    pub fn archive_text(&self) -> String {
        json!({"format": FORMAT, "sources": sources_json(&self.sources)}).to_string()
    }

    /// Compiles a set from its [`Policies::archive_text`].
    ///
    /// Fails when the text is not an archived set or its policies no longer compile.
    pub fn from_archive_text(text: &str) -> Result<Self, PolicyError> {
        let bad = |reason: &str| invalid("archived policy set", 1, 1, reason);
        let value: Value = serde_json::from_str(text).map_err(|e| bad(&e.to_string()))?;
        if value.get("format").and_then(Value::as_str) != Some(FORMAT) {
            return Err(bad(&format!("not an archived policy set (expected format `{FORMAT}`)")));
        }
        let sources = read_sources(value.get("sources")).map_err(|e| bad(&e))?;
        Self::compile(&sources)
    }
}

/// Sources as JSON: `[{origin, surface, text}]`, `surface` null for policies that apply
/// everywhere. Shared with the cache form.
pub(crate) fn sources_json(sources: &[PolicySource]) -> Value {
    sources
        .iter()
        .map(|s| json!({"origin": s.origin, "surface": s.surface.map(Surface::as_str), "text": s.text}))
        .collect()
}

/// The `surface` field of `value`: absent or null for everywhere.
pub(crate) fn surface_of(value: &Value) -> Result<Option<Surface>, String> {
    match value.get("surface") {
        None | Some(Value::Null) => Ok(None),
        Some(s) => s.as_str().and_then(Surface::parse).map(Some).ok_or_else(|| format!("unknown surface {s}")),
    }
}

/// Reads [`sources_json`]; fails, saying what is wrong, on anything else.
pub(crate) fn read_sources(value: Option<&Value>) -> Result<Vec<PolicySource>, String> {
    let entries = value.and_then(Value::as_array).ok_or("`sources` is missing")?;
    let mut sources = Vec::with_capacity(entries.len());
    for entry in entries {
        let field = |name: &str| entry.get(name).and_then(Value::as_str);
        sources.push(PolicySource {
            origin: field("origin").ok_or("a source has no `origin`")?.to_owned(),
            surface: surface_of(entry)?,
            text: field("text").ok_or("a source has no `text`")?.to_owned(),
        });
    }
    Ok(sources)
}

impl EntitySet {
    /// The entities as Cedar entity JSON (without the schema's action entities, which every set
    /// has). An entity set that cannot be written gives `[]`: the record then shows no data, and
    /// a replay of it reports the difference rather than guessing.
    pub fn to_json(&self) -> Value {
        let Ok(Value::Array(entities)) = self.0.to_json_value() else { return Value::Array(Vec::new()) };
        let is_action = |entity: &Value| {
            entity
                .pointer("/uid/type")
                .and_then(Value::as_str)
                .is_some_and(|t| t == "Action" || t.ends_with("::Action"))
        };
        Value::Array(entities.into_iter().filter(|e| !is_action(e)).collect())
    }

    /// Reads entities written by [`EntitySet::to_json`], checked against the schema.
    ///
    /// Fails when the JSON is not entity data or does not fit the schema.
    pub fn from_json(value: &Value) -> Result<Self, EntityError> {
        let schema = schema().map_err(|reason| EntityError { reason: reason.to_owned() })?;
        cedar_policy::Entities::from_json_value(value.clone(), Some(schema))
            .map(EntitySet)
            .map_err(|e| EntityError { reason: e.to_string() })
    }
}

impl PolicyRequest {
    /// The request's context as JSON: `surface`, and `delegation_depth` when set.
    pub fn context_json(&self) -> Value {
        let mut context = Map::new();
        context.insert("surface".to_owned(), Value::from(self.surface.as_str()));
        if let Some(depth) = self.delegation_depth {
            context.insert("delegation_depth".to_owned(), Value::from(depth));
        }
        Value::Object(context)
    }

    /// The action as a Cedar entity reference, `Action::"<name>"`.
    pub fn action_ref(&self) -> String {
        entities::uid("Action", self.action.as_str()).to_string()
    }

    /// Rebuilds a request from its record form: `Type::"id"` principal and resource,
    /// `Action::"name"`, and [`PolicyRequest::context_json`].
    ///
    /// Fails, saying which part, when any part does not parse.
    pub fn from_record(principal: &str, action: &str, resource: &str, context: &Value) -> Result<Self, String> {
        let entity = |text: &str, what: &str| {
            EntityRef::parse(text).ok_or_else(|| format!("the {what} `{text}` is not a `Type::\"id\"` reference"))
        };
        let action = action
            .strip_prefix("Action::\"")
            .and_then(|rest| rest.strip_suffix('"'))
            .and_then(Action::parse)
            .ok_or_else(|| format!("`{action}` is not an action of the vocabulary"))?;
        let surface = context
            .get("surface")
            .and_then(Value::as_str)
            .and_then(Surface::parse)
            .ok_or_else(|| format!("the context {context} names no surface"))?;
        let delegation_depth = match context.get("delegation_depth") {
            None | Some(Value::Null) => None,
            Some(depth) => Some(
                depth
                    .as_u64()
                    .and_then(|d| u32::try_from(d).ok())
                    .ok_or_else(|| format!("`delegation_depth` {depth} is not a count"))?,
            ),
        };
        Ok(Self {
            principal: entity(principal, "principal")?,
            action,
            resource: entity(resource, "resource")?,
            surface,
            delegation_depth,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::entities::{AgentFacts, EntitySetBuilder, ToolFacts};
    use crate::{Decision, PolicySource};

    fn seed_set() -> Policies {
        let text = r#"
            permit(principal, action == Action::"invoke_tool", resource in ToolSet::"approved")
            when { principal.sandbox_tier >= 2 };
            forbid(principal, action, resource == Tool::"shell_exec");
        "#;
        let sources = [
            PolicySource { origin: "policies/seed.cedar".into(), surface: None, text: text.into() },
            PolicySource {
                origin: "policies/api/extra.cedar".into(),
                surface: Some(Surface::Api),
                text: r#"@approval permit(principal, action == Action::"execute_tool", resource);"#.into(),
            },
        ];
        Policies::compile(&sources).unwrap()
    }

    #[test]
    fn a_decision_made_from_its_record_form_is_the_same_decision() {
        let policies = seed_set();
        let mut builder = EntitySetBuilder::new();
        builder.agent(&AgentFacts { id: "planner-01".into(), sandbox_tier: 2, ..AgentFacts::default() });
        builder.tool(&ToolFacts { id: "search".into(), tool_sets: vec!["approved".into()], ..ToolFacts::default() });
        builder.tool_set("approved", &[]);
        let entities = builder.build().unwrap();
        let requests = [
            (Action::InvokeTool, "search", Surface::Run, Decision::Allow),
            (Action::InvokeTool, "shell_exec", Surface::Run, Decision::Deny),
            (Action::ExecuteTool, "search", Surface::Api, Decision::RequireApproval),
            (Action::ExecuteTool, "search", Surface::Run, Decision::Deny),
        ];

        let again = Policies::from_archive_text(&policies.archive_text()).unwrap();
        assert_eq!(again.archive_text(), policies.archive_text(), "the text names the set");
        let entities_again = EntitySet::from_json(&entities.to_json()).unwrap();
        for (action, tool, surface, expected) in requests {
            let request = PolicyRequest {
                principal: EntityRef::Agent("planner-01".into()),
                action,
                resource: EntityRef::Tool(tool.into()),
                surface,
                delegation_depth: Some(1),
            };
            let original = policies.evaluate(&request, &entities);
            assert_eq!(original.decision, expected, "{action} {tool} on {surface}");
            let rebuilt = PolicyRequest::from_record(
                &request.principal.to_string(),
                &request.action_ref(),
                &request.resource.to_string(),
                &request.context_json(),
            )
            .unwrap();
            assert_eq!(rebuilt, request);
            assert_eq!(again.evaluate(&rebuilt, &entities_again), original);
        }
    }

    #[test]
    fn damaged_record_forms_are_refused_with_the_reason() {
        for bad in ["", "[]", r#"{"format":"other","sources":[]}"#, r#"{"format":"symbi-policy-set/1"}"#] {
            assert!(Policies::from_archive_text(bad).is_err(), "{bad}");
        }
        let bad_policy = json!({"format": FORMAT, "sources": [{"origin": "x", "surface": null, "text": "permit("}]});
        assert!(Policies::from_archive_text(&bad_policy.to_string()).is_err());
        let context = json!({"surface": "api"});
        assert!(PolicyRequest::from_record("Agent::\"a\"", "Action::\"fly\"", "Tool::\"t\"", &context).is_err());
        assert!(PolicyRequest::from_record("a", "Action::\"invoke_tool\"", "Tool::\"t\"", &context).is_err());
        let no_surface = json!({});
        assert!(
            PolicyRequest::from_record("Agent::\"a\"", "Action::\"invoke_tool\"", "Tool::\"t\"", &no_surface).is_err()
        );
        assert!(
            EntitySet::from_json(&json!([{"uid": {"type": "Nope", "id": "x"}, "attrs": {}, "parents": []}])).is_err()
        );
    }
}
