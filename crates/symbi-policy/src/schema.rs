//! The embedded Cedar schema (`schema.cedarschema`), parsed once.

use std::sync::OnceLock;

/// The schema's source text, for `symbi policy schema` and documentation.
pub const SCHEMA_TEXT: &str = include_str!("schema.cedarschema");

/// The parsed schema. The text is part of the binary and covered by tests, so a parse failure
/// is a build defect; it is still reported as an error rather than a panic.
pub(crate) fn schema() -> Result<&'static cedar_policy::Schema, &'static str> {
    static SCHEMA: OnceLock<Result<cedar_policy::Schema, String>> = OnceLock::new();
    SCHEMA
        .get_or_init(|| {
            cedar_policy::Schema::from_cedarschema_str(SCHEMA_TEXT).map(|(s, _warnings)| s).map_err(|e| e.to_string())
        })
        .as_ref()
        .map_err(String::as_str)
}

#[cfg(test)]
mod tests {
    #[test]
    fn embedded_schema_parses() {
        assert!(super::schema().is_ok(), "{:?}", super::schema().err());
    }
}
