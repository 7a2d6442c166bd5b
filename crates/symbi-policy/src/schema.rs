//! The embedded Cedar schema (`schema.cedarschema`), parsed once. The process loads it from a
//! generated JSON copy (`schema.json`), which Cedar reads in about a third of the time of the
//! Cedar-syntax text; a test fails when the copy no longer matches the text.

use std::sync::OnceLock;

/// The schema's source text, for `symbi policy schema` and documentation.
pub const SCHEMA_TEXT: &str = include_str!("schema.cedarschema");

/// [`SCHEMA_TEXT`] in Cedar's JSON schema format, generated from it.
const SCHEMA_JSON: &str = include_str!("schema.json");

/// The parsed schema. The text is part of the binary and covered by tests, so a parse failure
/// is a build defect; it is still reported as an error rather than a panic.
pub(crate) fn schema() -> Result<&'static cedar_policy::Schema, &'static str> {
    static SCHEMA: OnceLock<Result<cedar_policy::Schema, String>> = OnceLock::new();
    SCHEMA
        .get_or_init(|| cedar_policy::Schema::from_json_str(SCHEMA_JSON).map_err(|e| e.to_string()))
        .as_ref()
        .map_err(String::as_str)
}

#[cfg(test)]
mod tests {
    use cedar_policy::SchemaFragment;

    #[test]
    fn embedded_schema_parses() {
        assert!(super::schema().is_ok(), "{:?}", super::schema().err());
    }

    /// `Action::applies_to` accepts exactly the requests Cedar's schema-checked `Request::new`
    /// accepts, for every action and every pair of entity types.
    #[test]
    fn applies_to_is_cedars_request_check() {
        use crate::entities::EntityRef;
        use crate::vocabulary::Action;
        let schema = super::schema().unwrap();
        let refs = [
            EntityRef::Agent("x".into()),
            EntityRef::AgentGroup("x".into()),
            EntityRef::ApiKey("x".into()),
            EntityRef::Tool("x".into()),
            EntityRef::ToolSet("x".into()),
            EntityRef::Resource("x".into()),
            EntityRef::Secret("x".into()),
            EntityRef::Schedule("x".into()),
        ];
        let context = cedar_policy::Context::from_json_value(serde_json::json!({"surface": "api"}), None).unwrap();
        let mut fitting = 0;
        for action in Action::ALL {
            for principal in &refs {
                for resource in &refs {
                    let cedar = cedar_policy::Request::new(
                        principal.uid(),
                        crate::entities::uid("Action", action.as_str()),
                        resource.uid(),
                        context.clone(),
                        Some(schema),
                    )
                    .is_ok();
                    let ours = action.applies_to(principal.type_name(), resource.type_name());
                    assert_eq!(ours, cedar, "{action} {principal} {resource}");
                    fitting += usize::from(ours);
                }
            }
        }
        assert_eq!(fitting, 13, "the schema's appliesTo pairs");
    }

    /// Each action's group and the list of groups are the schema's action hierarchy.
    #[test]
    fn action_groups_are_the_schemas_hierarchy() {
        use crate::vocabulary::{ACTION_GROUPS, Action};
        let schema = super::schema().unwrap();
        let entities = schema.action_entities().unwrap();
        let mut groups: Vec<String> = Vec::new();
        for entity in entities.iter() {
            let id = entity.uid().id().unescaped().to_owned();
            let parents: Vec<String> =
                entities.ancestors(&entity.uid()).unwrap().map(|p| p.id().unescaped().to_owned()).collect();
            match Action::parse(&id) {
                Some(action) => {
                    assert_eq!(parents, action.group().map(str::to_owned).into_iter().collect::<Vec<_>>(), "{id}")
                }
                None => {
                    assert!(parents.is_empty(), "group `{id}` is in no other group");
                    groups.push(id);
                }
            }
        }
        groups.sort();
        let mut ours = ACTION_GROUPS.map(str::to_owned).to_vec();
        ours.sort();
        assert_eq!(groups, ours);
    }

    /// `schema.json` is `schema.cedarschema` converted; regenerate it when the text changes:
    /// `UPDATE_SCHEMA_JSON=1 cargo test -p symbi-policy schema_json`.
    #[test]
    #[expect(clippy::disallowed_methods, reason = "a developer opts in to regenerating the file")]
    fn schema_json_is_generated_from_the_text() {
        let fragment = SchemaFragment::from_cedarschema_str(super::SCHEMA_TEXT).unwrap().0;
        let expected: serde_json::Value = serde_json::from_str(&fragment.to_json_string().unwrap()).unwrap();
        let actual: serde_json::Value = serde_json::from_str(super::SCHEMA_JSON).unwrap();
        if expected != actual && std::env::var_os("UPDATE_SCHEMA_JSON").is_some() {
            let path = concat!(env!("CARGO_MANIFEST_DIR"), "/src/schema.json");
            std::fs::write(path, serde_json::to_string_pretty(&expected).unwrap() + "\n").unwrap();
            return;
        }
        assert_eq!(expected, actual, "src/schema.json is stale; rerun this test with UPDATE_SCHEMA_JSON=1");
    }
}
