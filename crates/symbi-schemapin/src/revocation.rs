//! Key revocation: the inline `revoked_keys` list and the standalone revocation document.
//!
//! The standalone document (`schemapin_version`, `domain`, `updated_at`, `revoked_keys` of
//! `{fingerprint, revoked_at, reason}`) is unsigned, like the discovery document it sits beside,
//! so both are only as trustworthy as the HTTPS fetch that brought them.

use serde_json::{Map, Value};
use thiserror::Error;

use crate::discovery::DiscoveryDocument;
use crate::json::{self, JsonError};
use crate::key::{Fingerprint, FingerprintError};
use crate::names::{Domain, NameError};

/// Why a revocation document was refused.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum RevocationError {
    /// The bytes are not acceptable JSON.
    #[error("revocation document is not valid JSON: {0}")]
    Json(#[from] JsonError),
    /// A member is missing or has the wrong type.
    #[error("revocation document member `{field}` must be {expected}")]
    Field {
        /// The member.
        field: &'static str,
        /// What it must be.
        expected: &'static str,
    },
    /// The `domain` member is not a domain.
    #[error("revocation document domain is invalid: {0}")]
    Domain(#[from] NameError),
    /// A `fingerprint` is invalid.
    #[error("revocation entry is invalid: {0}")]
    Fingerprint(#[from] FingerprintError),
}

/// A standalone revocation document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RevocationDocument {
    domain: Domain,
    updated_at: Option<String>,
    entries: Vec<RevokedKey>,
}

/// One revoked key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RevokedKey {
    /// The key.
    pub fingerprint: Fingerprint,
    /// When it was revoked (RFC 3339 text as published).
    pub revoked_at: Option<String>,
    /// Why: `key_compromise`, `superseded`, `cessation_of_operation` or `privilege_withdrawn`.
    pub reason: Option<String>,
}

impl RevocationDocument {
    /// Decodes a document from untrusted bytes.
    ///
    /// # Errors
    ///
    /// Any [`RevocationError`].
    pub fn from_json(bytes: &[u8]) -> Result<Self, RevocationError> {
        Self::from_value(&json::parse(bytes)?)
    }

    /// Decodes a parsed document; a missing `revoked_keys` means none.
    ///
    /// # Errors
    ///
    /// Any [`RevocationError`] but [`RevocationError::Json`].
    pub fn from_value(value: &Value) -> Result<Self, RevocationError> {
        let doc = value.as_object().ok_or(RevocationError::Field { field: "(document)", expected: "an object" })?;
        let domain = doc
            .get("domain")
            .and_then(Value::as_str)
            .ok_or(RevocationError::Field { field: "domain", expected: "a string" })?;
        let entries = match doc.get("revoked_keys") {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::Array(items)) => items.iter().map(entry).collect::<Result<_, _>>()?,
            Some(_) => return Err(RevocationError::Field { field: "revoked_keys", expected: "an array" }),
        };
        Ok(Self {
            domain: Domain::new(domain)?,
            updated_at: doc.get("updated_at").and_then(Value::as_str).map(str::to_owned),
            entries,
        })
    }

    /// An empty document for `domain`, to add entries to and publish.
    pub fn new(domain: Domain, updated_at: String) -> Self {
        Self { domain, updated_at: Some(updated_at), entries: Vec::new() }
    }

    /// Adds a revoked key.
    pub fn revoke(&mut self, key: RevokedKey) {
        self.entries.push(key);
    }

    /// The domain the document speaks for.
    pub fn domain(&self) -> &Domain {
        &self.domain
    }

    /// The revoked keys.
    pub fn entries(&self) -> &[RevokedKey] {
        &self.entries
    }

    /// The wire form, `schemapin_version` 1.2.
    pub fn to_value(&self) -> Value {
        let entries = self.entries.iter().map(|e| {
            let mut map = Map::new();
            map.insert("fingerprint".into(), e.fingerprint.as_str().into());
            for (field, value) in [("revoked_at", &e.revoked_at), ("reason", &e.reason)] {
                if let Some(v) = value {
                    map.insert(field.into(), v.as_str().into());
                }
            }
            Value::Object(map)
        });
        let mut doc = Map::new();
        doc.insert("schemapin_version".into(), "1.2".into());
        doc.insert("domain".into(), self.domain.as_str().into());
        if let Some(at) = &self.updated_at {
            doc.insert("updated_at".into(), at.as_str().into());
        }
        doc.insert("revoked_keys".into(), Value::Array(entries.collect()));
        Value::Object(doc)
    }
}

fn entry(value: &Value) -> Result<RevokedKey, RevocationError> {
    let bad = RevocationError::Field { field: "revoked_keys[]", expected: "objects with a `fingerprint`" };
    let map = value.as_object().ok_or(bad.clone())?;
    let fingerprint = map.get("fingerprint").and_then(Value::as_str).ok_or(bad)?;
    let text = |field| map.get(field).and_then(Value::as_str).map(str::to_owned);
    Ok(RevokedKey {
        fingerprint: Fingerprint::parse(fingerprint)?,
        revoked_at: text("revoked_at"),
        reason: text("reason"),
    })
}

/// A key found on a revocation list.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("key `{fingerprint}` is revoked{}", reason.as_deref().map(|r| format!(": {r}")).unwrap_or_default())]
pub struct Revoked {
    /// The revoked key.
    pub fingerprint: Fingerprint,
    /// The published reason, when the standalone document gave one.
    pub reason: Option<String>,
}

/// Looks `fingerprint` up in the discovery document's inline list and in `standalone`.
///
/// # Errors
///
/// [`Revoked`] when either source lists the key.
pub fn check_revocation(
    fingerprint: &Fingerprint,
    discovery: &DiscoveryDocument,
    standalone: Option<&RevocationDocument>,
) -> Result<(), Revoked> {
    if discovery.lists_revoked(fingerprint) {
        return Err(Revoked { fingerprint: fingerprint.clone(), reason: None });
    }
    let listed = standalone.and_then(|doc| doc.entries.iter().find(|e| &e.fingerprint == fingerprint));
    match listed {
        Some(entry) => Err(Revoked { fingerprint: fingerprint.clone(), reason: entry.reason.clone() }),
        None => Ok(()),
    }
}
