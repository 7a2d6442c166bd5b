//! The signed-schema file: `{"schema": {…}, "signature": "…", "signed_at": "…"}`, as the
//! ecosystem's `schemapin-sign` writes it and `schemapin-verify` reads it. Only `schema` is
//! signed; the other members are metadata, so nothing here is trusted until verification.

use serde_json::{Map, Value};
use thiserror::Error;

use crate::json::{self, JsonError};
use crate::key::{KeyError, SigningKey};
use crate::time::format_rfc3339;
use crate::verify::sign_schema;

/// Why a signed-schema file was refused.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum EnvelopeError {
    /// The bytes are not acceptable JSON.
    #[error("signed schema is not valid JSON: {0}")]
    Json(#[from] JsonError),
    /// A member is missing or has the wrong type.
    #[error("signed schema member `{field}` must be {expected}")]
    Field {
        /// The member.
        field: &'static str,
        /// What it must be.
        expected: &'static str,
    },
    /// Signing failed.
    #[error("signing failed: {0}")]
    Signing(#[from] KeyError),
}

/// A tool schema with its detached signature.
#[derive(Debug, Clone, PartialEq)]
pub struct SignedSchema {
    /// The signed tool schema.
    pub schema: Value,
    /// Base64 DER signature over the schema.
    pub signature: String,
    /// When it was signed, as written (unsigned metadata).
    pub signed_at: Option<String>,
    /// The key id, where the signer named one (seed form; unsigned metadata).
    pub kid: Option<String>,
    /// The canonicalization id, where given.
    pub canonicalization: Option<String>,
}

impl SignedSchema {
    /// Signs `schema` with `key` at `now` (Unix seconds).
    ///
    /// # Errors
    ///
    /// [`EnvelopeError::Signing`].
    pub fn sign(schema: Value, key: &SigningKey, kid: Option<String>, now: i64) -> Result<Self, EnvelopeError> {
        let signature = sign_schema(key, &schema)?.to_base64();
        Ok(Self { schema, signature, signed_at: Some(format_rfc3339(now)), kid, canonicalization: None })
    }

    /// Reads a signed-schema file (strict JSON).
    ///
    /// # Errors
    ///
    /// [`EnvelopeError::Json`] or [`EnvelopeError::Field`].
    pub fn from_json(bytes: &[u8]) -> Result<Self, EnvelopeError> {
        let value = json::parse(bytes)?;
        let Value::Object(mut doc) = value else {
            return Err(EnvelopeError::Field { field: "(document)", expected: "an object" });
        };
        let schema = doc.remove("schema").ok_or(EnvelopeError::Field { field: "schema", expected: "present" })?;
        let mut text = |field: &'static str| match doc.remove(field) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s)),
            Some(_) => Err(EnvelopeError::Field { field, expected: "a string" }),
        };
        let signature = text("signature")?.ok_or(EnvelopeError::Field { field: "signature", expected: "a string" })?;
        Ok(Self {
            schema,
            signature,
            signed_at: text("signed_at")?,
            kid: text("kid")?,
            canonicalization: text("canonicalization")?,
        })
    }

    /// The file form, pretty-printed with a trailing newline.
    pub fn to_json(&self) -> String {
        let mut doc = Map::new();
        doc.insert("schema".into(), self.schema.clone());
        doc.insert("signature".into(), self.signature.as_str().into());
        for (field, value) in
            [("signed_at", &self.signed_at), ("kid", &self.kid), ("canonicalization", &self.canonicalization)]
        {
            if let Some(v) = value {
                doc.insert(field.into(), v.as_str().into());
            }
        }
        let mut text = serde_json::to_string_pretty(&Value::Object(doc)).unwrap_or_default();
        text.push('\n');
        text
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn round_trips_and_reads_the_ecosystem_envelope() {
        let key = SigningKey::generate().unwrap();
        let signed = SignedSchema::sign(json!({"name": "t"}), &key, Some("k1".into()), 0).unwrap();
        assert_eq!(SignedSchema::from_json(signed.to_json().as_bytes()).unwrap(), signed);
        assert_eq!(signed.signed_at.as_deref(), Some("1970-01-01T00:00:00Z"));
        let python = br#"{"schema": {"a": 1}, "signature": "MEUC", "signed_at": "2026-02-14T12:00:00.123456+00:00", "metadata": {"developer": "x"}}"#;
        assert_eq!(SignedSchema::from_json(python).unwrap().schema, json!({"a": 1}));
        assert!(matches!(
            SignedSchema::from_json(br#"{"schema": {}}"#),
            Err(EnvelopeError::Field { field: "signature", .. })
        ));
    }
}
