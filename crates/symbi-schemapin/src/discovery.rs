//! Discovery documents (`/.well-known/schemapin.json`) in both forms we meet.
//!
//! The ecosystem form has one `public_key_pem`, `revoked_keys`, `revocation_endpoint`,
//! `developer_name` and `contact`; the seed form has `signing_keys` (JWKs with `kid`) and
//! `tool_pins` (`hash` and `description_hash` per tool). One document may carry both. Everything
//! is decoded and checked here, before [`crate::Verifier`] looks at any of it.

use std::collections::BTreeMap;

use serde_json::{Map, Value};
use sha2::{Digest as _, Sha256};
use thiserror::Error;

use crate::canonical::canonical_bytes;
use crate::json::{self, JsonError};
use crate::key::{Fingerprint, KeyError, PublicKey};
use crate::names::{NameError, ToolName};

/// Why a discovery document was refused.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum DiscoveryError {
    /// The bytes are not acceptable JSON.
    #[error("discovery document is not valid JSON: {0}")]
    Json(#[from] JsonError),
    /// A member is missing or has the wrong type.
    #[error("discovery document member `{field}` must be {expected}")]
    Field {
        /// The member's name.
        field: &'static str,
        /// What it must be.
        expected: &'static str,
    },
    /// The document offers no key at all.
    #[error("discovery document has neither `public_key_pem` nor `signing_keys`")]
    NoKey,
    /// A key could not be read.
    #[error("discovery key `{kid}` is unusable: {source}")]
    Key {
        /// The key's id, or `public_key_pem`.
        kid: String,
        /// What was wrong with it.
        source: KeyError,
    },
    /// Two `signing_keys` share a `kid`.
    #[error("discovery document lists key id `{kid}` twice")]
    DuplicateKid {
        /// The repeated id.
        kid: String,
    },
    /// A `tool_pins` entry is invalid.
    #[error("tool pin for `{tool}` is invalid: {reason}")]
    ToolPin {
        /// The tool named by the entry.
        tool: String,
        /// What was wrong.
        reason: &'static str,
    },
    /// A `tool_pins` key is not an acceptable tool name.
    #[error("tool pin name is invalid: {0}")]
    ToolName(#[from] NameError),
}

/// A published key and the id it goes by, if any.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DiscoveryKey {
    kid: Option<String>,
    key: PublicKey,
}

impl DiscoveryKey {
    /// The `kid` the document gave the key; PEM-form keys have none.
    pub fn kid(&self) -> Option<&str> {
        self.kid.as_deref()
    }

    /// The key.
    pub fn key(&self) -> &PublicKey {
        &self.key
    }

    fn answers_to(&self, kid: &str) -> bool {
        self.kid.as_deref() == Some(kid) || self.key.fingerprint().as_str() == kid
    }
}

/// A tool's published hashes: of its whole canonical definition and of its description alone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ToolPin {
    hash: [u8; 32],
    description_hash: Option<[u8; 32]>,
}

impl ToolPin {
    /// The pin a definition would get: SHA-256 of its canonical JSON, and SHA-256 of the UTF-8
    /// text of its `description` string when it has one.
    pub fn of(definition: &Value) -> Self {
        Self::from_canonical(definition, &canonical_bytes(definition))
    }

    /// The pin of `definition` whose canonical bytes the caller already has.
    pub(crate) fn from_canonical(definition: &Value, canonical: &[u8]) -> Self {
        Self {
            hash: Sha256::digest(canonical).into(),
            description_hash: description(definition).map(|d| Sha256::digest(d.as_bytes()).into()),
        }
    }

    /// Compares `definition` with this pin. The description is compared first, so a change to
    /// the description alone (the usual tool-poisoning edit) is named as such.
    ///
    /// # Errors
    ///
    /// [`ToolDrift::Description`] or [`ToolDrift::Definition`].
    pub fn compare(&self, definition: &Value) -> Result<(), ToolDrift> {
        let current = Self::of(definition);
        if self.description_hash.is_some() && self.description_hash != current.description_hash {
            return Err(ToolDrift::Description);
        }
        if self.hash != current.hash {
            return Err(ToolDrift::Definition);
        }
        Ok(())
    }

    pub(crate) fn to_value(&self) -> Value {
        let mut map = Map::new();
        map.insert("hash".into(), Value::String(tag(&self.hash)));
        if let Some(d) = &self.description_hash {
            map.insert("description_hash".into(), Value::String(tag(d)));
        }
        Value::Object(map)
    }
}

/// How a tool definition differs from its pin.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
pub enum ToolDrift {
    /// The description changed.
    #[error("the tool's description differs from its pinned `description_hash`")]
    Description,
    /// The definition changed (other than, or besides, the description).
    #[error("the tool's definition differs from its pinned `hash`")]
    Definition,
}

/// A decoded discovery document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DiscoveryDocument {
    schema_version: String,
    // INVARIANT (keys): non-empty, no two entries with the same fingerprint or kid.
    keys: Vec<DiscoveryKey>,
    developer_name: Option<String>,
    contact: Option<String>,
    // Kept as lower-cased text: published lists contain malformed placeholders (the Python demo
    // has 66-digit ones), which must not void the document and can never match a real key.
    revoked_keys: Vec<String>,
    revocation_endpoint: Option<String>,
    tool_pins: BTreeMap<ToolName, ToolPin>,
}

impl DiscoveryDocument {
    /// Decodes a document from untrusted bytes (strict JSON, 1 MiB at most).
    ///
    /// # Errors
    ///
    /// Any [`DiscoveryError`].
    pub fn from_json(bytes: &[u8]) -> Result<Self, DiscoveryError> {
        Self::from_value(&json::parse(bytes)?)
    }

    /// Decodes a document already parsed as JSON. Unknown members are ignored, as the ecosystem
    /// ignores them.
    ///
    /// # Errors
    ///
    /// Any [`DiscoveryError`] but [`DiscoveryError::Json`].
    pub fn from_value(value: &Value) -> Result<Self, DiscoveryError> {
        let doc = value.as_object().ok_or(DiscoveryError::Field { field: "(document)", expected: "an object" })?;
        let schema_version = string(doc, "schema_version")?
            .filter(|s| !s.is_empty())
            .ok_or(DiscoveryError::Field { field: "schema_version", expected: "a non-empty string" })?;
        let mut keys: Vec<DiscoveryKey> = Vec::new();
        if let Some(pem) = string(doc, "public_key_pem")? {
            let key = PublicKey::from_pem(&pem)
                .map_err(|source| DiscoveryError::Key { kid: "public_key_pem".into(), source })?;
            keys.push(DiscoveryKey { kid: None, key });
        }
        for jwk in array(doc, "signing_keys")? {
            add_jwk(&mut keys, jwk)?;
        }
        if keys.is_empty() {
            return Err(DiscoveryError::NoKey);
        }
        let revoked_keys = array(doc, "revoked_keys")?
            .iter()
            .map(|v| {
                let text = v.as_str().ok_or(DiscoveryError::Field { field: "revoked_keys", expected: "strings" })?;
                Ok(text.to_ascii_lowercase())
            })
            .collect::<Result<_, DiscoveryError>>()?;
        Ok(Self {
            schema_version,
            keys,
            developer_name: string(doc, "developer_name")?,
            contact: string(doc, "contact")?,
            revoked_keys,
            revocation_endpoint: string(doc, "revocation_endpoint")?,
            tool_pins: tool_pins(doc)?,
        })
    }

    /// The document's `schema_version`.
    pub fn schema_version(&self) -> &str {
        &self.schema_version
    }

    /// Every published key, PEM-form first.
    pub fn keys(&self) -> &[DiscoveryKey] {
        &self.keys
    }

    /// The key a signature should be checked with: the one named `kid` (its `kid` or its
    /// fingerprint), or the only key when no `kid` is given.
    ///
    /// # Errors
    ///
    /// [`KeySelectError::UnknownKid`] or [`KeySelectError::Ambiguous`].
    pub fn select_key(&self, kid: Option<&str>) -> Result<&PublicKey, KeySelectError> {
        match (kid, self.keys.as_slice()) {
            (Some(kid), keys) => keys
                .iter()
                .find(|k| k.answers_to(kid))
                .map(DiscoveryKey::key)
                .ok_or_else(|| KeySelectError::UnknownKid { kid: kid.to_owned() }),
            (None, [only]) => Ok(only.key()),
            (None, keys) => Err(KeySelectError::Ambiguous { count: keys.len() }),
        }
    }

    /// The publisher's `developer_name`.
    pub fn developer_name(&self) -> Option<&str> {
        self.developer_name.as_deref()
    }

    /// The publisher's `contact`.
    pub fn contact(&self) -> Option<&str> {
        self.contact.as_deref()
    }

    /// Whether the inline `revoked_keys` list names `fingerprint`.
    pub fn lists_revoked(&self, fingerprint: &Fingerprint) -> bool {
        self.revoked_keys.iter().any(|r| r == fingerprint.as_str())
    }

    /// Where the standalone revocation document lives, if anywhere.
    pub fn revocation_endpoint(&self) -> Option<&str> {
        self.revocation_endpoint.as_deref()
    }

    /// The pin published for `tool`, if the document pins tools.
    pub fn tool_pin(&self, tool: &ToolName) -> Option<&ToolPin> {
        self.tool_pins.get(tool)
    }

    /// Whether the document pins tools at all (the seed form); if it does, unlisted tools are
    /// refused.
    pub fn pins_tools(&self) -> bool {
        !self.tool_pins.is_empty()
    }
}

/// Why no key could be chosen for a signature.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum KeySelectError {
    /// No published key has this id.
    #[error("the discovery document has no key `{kid}`")]
    UnknownKid {
        /// The requested id.
        kid: String,
    },
    /// Several keys are published and the signature names none.
    #[error("the discovery document publishes {count} keys and the signature names none")]
    Ambiguous {
        /// How many keys there are.
        count: usize,
    },
}

fn add_jwk(keys: &mut Vec<DiscoveryKey>, jwk: &Value) -> Result<(), DiscoveryError> {
    let jwk = jwk.as_object().ok_or(DiscoveryError::Field { field: "signing_keys", expected: "JWK objects" })?;
    let member = |name| jwk.get(name).and_then(Value::as_str).unwrap_or_default();
    let kid = string(jwk, "kid")?.ok_or(DiscoveryError::Field { field: "signing_keys[].kid", expected: "a string" })?;
    let key = PublicKey::from_jwk(member("kty"), member("crv"), member("x"), member("y"))
        .map_err(|source| DiscoveryError::Key { kid: kid.clone(), source })?;
    if keys.iter().any(|k| k.kid.as_deref() == Some(kid.as_str())) {
        return Err(DiscoveryError::DuplicateKid { kid });
    }
    // INVARIANT (keys): the same key published as PEM and as JWK is one entry that keeps the kid.
    match keys.iter_mut().find(|k| k.key == key) {
        Some(existing) if existing.kid.is_none() => existing.kid = Some(kid),
        Some(_) => return Err(DiscoveryError::DuplicateKid { kid }),
        None => keys.push(DiscoveryKey { kid: Some(kid), key }),
    }
    Ok(())
}

fn tool_pins(doc: &Map<String, Value>) -> Result<BTreeMap<ToolName, ToolPin>, DiscoveryError> {
    let Some(pins) = doc.get("tool_pins") else {
        return Ok(BTreeMap::new());
    };
    let pins = pins.as_object().ok_or(DiscoveryError::Field { field: "tool_pins", expected: "an object" })?;
    let mut out = BTreeMap::new();
    for (name, pin) in pins {
        let bad = |reason| DiscoveryError::ToolPin { tool: name.clone(), reason };
        let tool = ToolName::new(name)?;
        let pin = pin.as_object().ok_or(bad("not an object"))?;
        let digest = |field: &str| -> Result<Option<[u8; 32]>, DiscoveryError> {
            match pin.get(field) {
                None => Ok(None),
                Some(v) => v.as_str().and_then(untag).map(Some).ok_or(bad("hashes must be `sha256:<hex>`")),
            }
        };
        let hash = digest("hash")?.ok_or(bad("`hash` is missing"))?;
        out.insert(tool, ToolPin { hash, description_hash: digest("description_hash")? });
    }
    Ok(out)
}

/// The `description` string of a tool definition, if it has one.
pub(crate) fn description(definition: &Value) -> Option<&str> {
    definition.get("description").and_then(Value::as_str)
}

/// `sha256:<hex>` of a digest.
pub(crate) fn tag(digest: &[u8; 32]) -> String {
    format!("sha256:{}", hex::encode(digest))
}

/// Reads `sha256:<hex>` back into a digest.
pub(crate) fn untag(text: &str) -> Option<[u8; 32]> {
    let fp = Fingerprint::parse(text).ok()?;
    let mut out = [0u8; 32];
    hex::decode_to_slice(fp.as_str().strip_prefix("sha256:")?, &mut out).ok()?;
    Some(out)
}

fn string(doc: &Map<String, Value>, field: &'static str) -> Result<Option<String>, DiscoveryError> {
    match doc.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(DiscoveryError::Field { field, expected: "a string" }),
    }
}

fn array<'a>(doc: &'a Map<String, Value>, field: &'static str) -> Result<&'a [Value], DiscoveryError> {
    match doc.get(field) {
        None | Some(Value::Null) => Ok(&[]),
        Some(Value::Array(items)) => Ok(items),
        Some(_) => Err(DiscoveryError::Field { field, expected: "an array" }),
    }
}

#[cfg(test)]
#[expect(clippy::indexing_slicing, reason = "tests index fixtures of known shape")]
mod tests;
