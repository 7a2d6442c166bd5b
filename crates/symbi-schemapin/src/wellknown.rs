//! Building the runtime's own `/.well-known/schemapin.json` for the tools it publishes.
//!
//! The document carries both forms at once so every verifier can read it: `public_key_pem`,
//! `revoked_keys` and friends for the published packages, and `signing_keys` plus `tool_pins`
//! for the seed form. [`crate::DiscoveryDocument::from_value`] reads back what this writes.

use std::collections::BTreeMap;

use serde_json::{Map, Value, json};

use crate::discovery::ToolPin;
use crate::key::{Fingerprint, PublicKey};
use crate::names::{NameError, ToolName};

/// The `schema_version` we publish: 1.2 is the first with `revocation_endpoint`, and Python
/// warns about anything older.
const SCHEMA_VERSION: &str = "1.2";

/// Builds a discovery document for one signing key.
#[derive(Debug, Clone)]
pub struct WellKnownBuilder {
    key: PublicKey,
    kid: String,
    developer_name: Option<String>,
    contact: Option<String>,
    revoked: Vec<Fingerprint>,
    revocation_endpoint: Option<String>,
    tools: BTreeMap<ToolName, ToolPin>,
}

impl WellKnownBuilder {
    /// A document for `key`; its `kid` defaults to the key's fingerprint, as in the ecosystem.
    pub fn new(key: &PublicKey) -> Self {
        Self {
            kid: key.fingerprint().as_str().to_owned(),
            key: key.clone(),
            developer_name: None,
            contact: None,
            revoked: Vec::new(),
            revocation_endpoint: None,
            tools: BTreeMap::new(),
        }
    }

    /// Names the key in `signing_keys`.
    #[must_use]
    pub fn kid(mut self, kid: impl Into<String>) -> Self {
        self.kid = kid.into();
        self
    }

    /// Sets `developer_name`.
    #[must_use]
    pub fn developer_name(mut self, name: impl Into<String>) -> Self {
        self.developer_name = Some(name.into());
        self
    }

    /// Sets `contact`.
    #[must_use]
    pub fn contact(mut self, contact: impl Into<String>) -> Self {
        self.contact = Some(contact.into());
        self
    }

    /// Lists a revoked key in `revoked_keys`.
    #[must_use]
    pub fn revoked_key(mut self, fingerprint: Fingerprint) -> Self {
        self.revoked.push(fingerprint);
        self
    }

    /// Sets `revocation_endpoint`.
    #[must_use]
    pub fn revocation_endpoint(mut self, url: impl Into<String>) -> Self {
        self.revocation_endpoint = Some(url.into());
        self
    }

    /// Publishes a tool pin for `definition`, keyed by its `name`.
    ///
    /// # Errors
    ///
    /// [`NameError`] when the definition has no acceptable `name`.
    pub fn tool(mut self, definition: &Value) -> Result<Self, NameError> {
        let name = definition.get("name").and_then(Value::as_str).unwrap_or_default();
        self.tools.insert(ToolName::new(name)?, ToolPin::of(definition));
        Ok(self)
    }

    /// The document as JSON.
    pub fn build(&self) -> Value {
        let (x, y) = self.key.jwk_coordinates();
        let mut doc = Map::new();
        doc.insert("schema_version".into(), SCHEMA_VERSION.into());
        doc.insert("public_key_pem".into(), self.key.to_pem().into());
        let jwk = json!({"kid": self.kid, "kty": "EC", "crv": "P-256", "x": x, "y": y, "use": "sig", "alg": "ES256"});
        doc.insert("signing_keys".into(), Value::Array(vec![jwk]));
        for (field, value) in [("developer_name", &self.developer_name), ("contact", &self.contact)] {
            if let Some(v) = value {
                doc.insert(field.into(), v.as_str().into());
            }
        }
        let revoked = self.revoked.iter().map(|fp| Value::from(fp.as_str())).collect();
        doc.insert("revoked_keys".into(), Value::Array(revoked));
        if let Some(url) = &self.revocation_endpoint {
            doc.insert("revocation_endpoint".into(), url.as_str().into());
        }
        if !self.tools.is_empty() {
            let pins = self.tools.iter().map(|(name, pin)| (name.as_str().to_owned(), pin.to_value())).collect();
            doc.insert("tool_pins".into(), Value::Object(pins));
        }
        Value::Object(doc)
    }
}
