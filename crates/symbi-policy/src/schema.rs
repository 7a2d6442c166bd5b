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
