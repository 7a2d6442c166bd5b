//! Trust bundles: many domains' discovery and revocation documents in one file, for offline
//! and agent-to-agent distribution, optionally signed by a bundle authority (v1.4).
//!
//! The signature covers the bundle exactly as received, re-canonicalized with `signature` set
//! to `""`, and is a plain ECDSA-SHA256 over those bytes (no pre-hash, unlike schemas). The
//! authority's key is pinned like a tool's, under (kid, `_bundle_authority`).

use serde_json::{Map, Value};
use thiserror::Error;

use crate::canonical::canonical_bytes;
use crate::discovery::{DiscoveryDocument, DiscoveryError};
use crate::json::{self, JsonError};
use crate::key::{KeyError, PublicKey, SigningKey};
use crate::names::{Domain, NameError, ToolName};
use crate::revocation::{RevocationDocument, RevocationError};
use crate::signature::{Signature, SignatureError, sign_message};
use crate::time::{format_rfc3339, parse_rfc3339};
use crate::verify::{PinStatus, Verifier, VerifyError};

/// The pin-store domain under which bundle authorities are pinned.
pub const BUNDLE_AUTHORITY_DOMAIN: &str = "_bundle_authority";

/// Why a trust bundle was refused.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum BundleError {
    /// The bytes are not acceptable JSON.
    #[error("trust bundle is not valid JSON: {0}")]
    Json(#[from] JsonError),
    /// A member is missing or has the wrong type.
    #[error("trust bundle member `{field}` must be {expected}")]
    Field {
        /// The member.
        field: &'static str,
        /// What it must be.
        expected: &'static str,
    },
    /// The bundle has no authority or no signature.
    #[error("trust bundle is not signed")]
    Unsigned,
    /// `expires_at` has passed or cannot be read.
    #[error("trust bundle expired or has an unreadable `expires_at` (`{expires_at}`)")]
    Expired {
        /// The text.
        expires_at: String,
    },
    /// The authority's key or kid is unusable.
    #[error("trust bundle authority is unusable: {0}")]
    Authority(#[from] KeyError),
    /// The authority kid is not an acceptable pin name.
    #[error("trust bundle authority kid is invalid: {0}")]
    Kid(#[from] NameError),
    /// The authority's key differs from the pinned one.
    #[error("trust bundle authority pin: {0}")]
    Pin(#[source] VerifyError),
    /// The signature is malformed or does not match.
    #[error("trust bundle signature is invalid: {0}")]
    Signature(#[from] SignatureError),
    /// A document inside the bundle is unusable.
    #[error("trust bundle entry for `{domain}` is invalid: {source}")]
    Document {
        /// The entry's domain.
        domain: String,
        /// What was wrong.
        source: DiscoveryError,
    },
    /// A document's `domain` is not a domain.
    #[error("trust bundle entry domain `{domain}` is invalid: {source}")]
    Domain {
        /// The text given.
        domain: String,
        /// What was wrong.
        source: NameError,
    },
    /// A revocation document inside the bundle is unusable.
    #[error("trust bundle revocation entry is invalid: {0}")]
    Revocation(#[from] RevocationError),
}

/// A decoded trust bundle, not yet trusted. Lookups need a [`VerifiedBundle`].
#[derive(Debug, Clone, PartialEq)]
pub struct TrustBundle {
    // The bundle exactly as received: the signature covers it, unknown fields included.
    raw: Map<String, Value>,
}

impl TrustBundle {
    /// Decodes a bundle from untrusted bytes.
    ///
    /// # Errors
    ///
    /// [`BundleError::Json`] or [`BundleError::Field`].
    pub fn from_json(bytes: &[u8]) -> Result<Self, BundleError> {
        let value = json::parse(bytes)?;
        let Value::Object(raw) = value else {
            return Err(BundleError::Field { field: "(document)", expected: "an object" });
        };
        for field in ["documents", "revocations"] {
            if !matches!(raw.get(field), None | Some(Value::Array(_))) {
                return Err(BundleError::Field { field, expected: "an array" });
            }
        }
        Ok(Self { raw })
    }

    /// Verifies the authority signature at `now` (Unix seconds), pinning the authority's key
    /// through `verifier`. In order: signed at all, expiry, signature, authority pin.
    ///
    /// # Errors
    ///
    /// [`BundleError::Unsigned`], [`BundleError::Expired`], [`BundleError::Authority`],
    /// [`BundleError::Signature`] or [`BundleError::Pin`].
    pub fn verify(self, verifier: &Verifier, now: i64) -> Result<VerifiedBundle, BundleError> {
        let authority = self.raw.get("bundle_authority").and_then(Value::as_object);
        let signature = self.raw.get("signature").and_then(Value::as_str).filter(|s| !s.is_empty());
        let (Some(authority), Some(signature)) = (authority, signature) else {
            return Err(BundleError::Unsigned);
        };
        if let Some(expires_at) = self.raw.get("expires_at") {
            let text = expires_at.as_str().unwrap_or_default();
            if parse_rfc3339(text).is_none_or(|at| now > at) {
                return Err(BundleError::Expired { expires_at: text.to_owned() });
            }
        }
        let pem = authority.get("public_key_pem").and_then(Value::as_str).unwrap_or_default();
        let key = PublicKey::from_pem(pem)?;
        let kid = ToolName::new(authority.get("kid").and_then(Value::as_str).unwrap_or_default())?;
        let signature = Signature::from_base64(signature)?;
        signature.verify(key.parsed(), &self.signing_input(), verifier.low_s())?;
        let domain = Domain::new(BUNDLE_AUTHORITY_DOMAIN)?;
        let authority_pin = verifier.check_pin(&kid, &domain, key.fingerprint()).map_err(BundleError::Pin)?;
        VerifiedBundle::new(&self.raw, Some(authority_pin))
    }

    /// Accepts the bundle without any signature check (v1.2 unsigned bundles, or a bundle read
    /// from a file the operator placed). Whoever can write the file decides every key in it.
    ///
    /// # Errors
    ///
    /// [`BundleError::Document`] or [`BundleError::Revocation`] for unusable entries.
    pub fn insecure_trust_unsigned(self) -> Result<VerifiedBundle, BundleError> {
        VerifiedBundle::new(&self.raw, None)
    }

    fn signing_input(&self) -> Vec<u8> {
        let mut unsigned = self.raw.clone();
        unsigned.insert("signature".into(), Value::String(String::new()));
        canonical_bytes(&Value::Object(unsigned))
    }
}

/// A trust bundle whose documents may be used.
#[derive(Debug, Clone)]
pub struct VerifiedBundle {
    // INVARIANT (bundle-decoded): every entry decoded before the bundle is handed out.
    documents: Vec<(Domain, Result<DiscoveryDocument, DiscoveryError>)>,
    revocations: Vec<RevocationDocument>,
    authority_pin: Option<PinStatus>,
}

impl VerifiedBundle {
    fn new(raw: &Map<String, Value>, authority_pin: Option<PinStatus>) -> Result<Self, BundleError> {
        let mut documents = Vec::new();
        for entry in raw.get("documents").and_then(Value::as_array).map(Vec::as_slice).unwrap_or_default() {
            let mut entry =
                entry.as_object().cloned().ok_or(BundleError::Field { field: "documents", expected: "objects" })?;
            let domain = entry.remove("domain").and_then(|d| d.as_str().map(str::to_owned)).unwrap_or_default();
            let domain =
                Domain::new(&domain).map_err(|source| BundleError::Domain { domain: domain.clone(), source })?;
            // An entry with an unusable key (the published fixture carries a `MOCK` PEM) does not
            // void the other domains; asking for that domain reports the entry's error.
            documents.push((domain, DiscoveryDocument::from_value(&Value::Object(entry))));
        }
        let revocations = raw
            .get("revocations")
            .and_then(Value::as_array)
            .map(Vec::as_slice)
            .unwrap_or_default()
            .iter()
            .map(RevocationDocument::from_value)
            .collect::<Result<_, _>>()?;
        Ok(Self { documents, revocations, authority_pin })
    }

    /// The discovery document for `domain`, or `None` when the bundle has none.
    ///
    /// # Errors
    ///
    /// [`BundleError::Document`] when the bundle's entry for `domain` is unusable.
    pub fn discovery(&self, domain: &Domain) -> Result<Option<&DiscoveryDocument>, BundleError> {
        match self.documents.iter().find(|(d, _)| d == domain) {
            None => Ok(None),
            Some((_, Ok(doc))) => Ok(Some(doc)),
            Some((_, Err(e))) => Err(BundleError::Document { domain: domain.to_string(), source: e.clone() }),
        }
    }

    /// The revocation document for `domain`, if the bundle has one.
    pub fn revocation(&self, domain: &Domain) -> Option<&RevocationDocument> {
        self.revocations.iter().find(|r| r.domain() == domain)
    }

    /// The domains the bundle covers, in bundle order.
    pub fn domains(&self) -> impl Iterator<Item = &Domain> {
        self.documents.iter().map(|(d, _)| d)
    }

    /// What the authority pin check found; `None` for an unsigned bundle.
    pub fn authority_pin(&self) -> Option<PinStatus> {
        self.authority_pin
    }
}

/// Signs `bundle` (a bundle object) as authority `kid` at `now`, stamping version `1.4`,
/// `bundle_authority`, `signed_at`, optional `expires_at` and `signature`.
///
/// # Errors
///
/// [`BundleError::Field`] when `bundle` is not an object, or [`BundleError::Authority`].
pub fn sign_bundle(
    bundle: &Value,
    key: &SigningKey,
    kid: &str,
    now: i64,
    expires_at: Option<i64>,
) -> Result<Value, BundleError> {
    let mut raw =
        bundle.as_object().cloned().ok_or(BundleError::Field { field: "(document)", expected: "an object" })?;
    raw.insert("schemapin_bundle_version".into(), "1.4".into());
    let mut authority = Map::new();
    authority.insert("kid".into(), kid.into());
    authority.insert("public_key_pem".into(), key.public_key().to_pem().into());
    raw.insert("bundle_authority".into(), Value::Object(authority));
    raw.insert("signed_at".into(), format_rfc3339(now).into());
    if let Some(at) = expires_at {
        raw.insert("expires_at".into(), format_rfc3339(at).into());
    }
    let unsigned = TrustBundle { raw };
    let signature = sign_message(key, &unsigned.signing_input())?;
    let mut raw = unsigned.raw;
    raw.insert("signature".into(), signature.to_base64().into());
    Ok(Value::Object(raw))
}
