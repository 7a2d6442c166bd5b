//! Verifying a signed tool schema against a discovery document and the pin store.
//!
//! [`Verifier::verify`] runs every check in a fixed order and returns a [`VerifiedTool`] only
//! when all pass; the runtime keeps that value and calls [`VerifiedTool::recheck`] before each
//! invocation, which costs one canonicalization and two hashes. Unlike the published packages,
//! a key is pinned only after its signature verified, so a forged first contact pins nothing.

use std::fmt;
use std::str::FromStr;
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::Value;
use thiserror::Error;

use crate::canonical::{CANONICALIZATION_ID, canonical_bytes};
use crate::discovery::{DiscoveryDocument, KeySelectError, ToolDrift, ToolPin};
use crate::key::{Fingerprint, KeyError, PublicKey, SigningKey};
use crate::names::{Domain, ToolName};
use crate::pin::{Pin, PinStore, PinStoreError};
use crate::revocation::{RevocationDocument, Revoked, check_revocation};
use crate::signature::{LowS, Signature, SignatureError, sign_hashed, verify_hashed};

/// How key pins are used.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PinMode {
    /// Trust on first use: the first verified key is pinned; a different key later is refused.
    #[default]
    Tofu,
    /// Only keys pinned beforehand (by an explicit pin) are accepted.
    Strict,
    /// No key pinning; signatures, discovery and revocation are still checked. A key swapped by
    /// whoever controls the domain's web server goes unnoticed.
    InsecureDisabled,
}

impl FromStr for PinMode {
    type Err = PinModeError;

    /// Reads the configuration words `tofu`, `strict` and `disabled`.
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text {
            "tofu" => Ok(Self::Tofu),
            "strict" => Ok(Self::Strict),
            "disabled" => Ok(Self::InsecureDisabled),
            _ => Err(PinModeError { text: text.to_owned() }),
        }
    }
}

/// A pin mode word that is not `tofu`, `strict` or `disabled`.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("`{text}` is not a pin mode (expected `tofu`, `strict` or `disabled`)")]
pub struct PinModeError {
    text: String,
}

/// Verifier settings.
#[derive(Debug, Clone, Copy, Default)]
pub struct VerifierConfig {
    /// How key pins are used.
    pub mode: PinMode,
    /// Whether high-S signatures are refused. The default accepts them, because the Python and
    /// JS packages do not normalize and about half their signatures are high-S.
    pub low_s: LowS,
}

/// One signed schema to verify.
#[derive(Debug, Clone, Copy)]
pub struct SchemaRequest<'a> {
    /// The tool, which is also the pin key; a schema `name` must equal it.
    pub tool: &'a ToolName,
    /// The domain that publishes the tool.
    pub domain: &'a Domain,
    /// The tool schema exactly as received.
    pub schema: &'a Value,
    /// The signature: standard base64 of DER.
    pub signature: &'a str,
    /// The key id the signature names, if any (the seed form may publish several keys).
    pub kid: Option<&'a str>,
    /// The signature's `canonicalization` id, if it carried one.
    pub canonicalization: Option<&'a str>,
    /// The domain's discovery document.
    pub discovery: &'a DiscoveryDocument,
    /// The domain's standalone revocation document, when it publishes one.
    pub revocation: Option<&'a RevocationDocument>,
}

/// Why a schema was refused. [`VerifyError::code`] gives the ecosystem's error code.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum VerifyError {
    /// The signature names a canonicalization other than `schemapin-v1`.
    #[error("canonicalization `{id}` is not supported (only `schemapin-v1`)")]
    UnsupportedCanonicalization {
        /// The id given.
        id: String,
    },
    /// The schema's `name` is not the tool it is presented as.
    #[error("schema is named `{schema_name}` but presented as tool `{tool}`")]
    ToolNameMismatch {
        /// The tool it was presented as.
        tool: ToolName,
        /// The schema's own `name`.
        schema_name: String,
    },
    /// No key could be chosen from the discovery document.
    #[error("no signing key: {0}")]
    Key(#[from] KeySelectError),
    /// The key is revoked.
    #[error(transparent)]
    Revoked(#[from] Revoked),
    /// The revocation document speaks for another domain.
    #[error("revocation document is for `{found}`, not `{expected}`")]
    RevocationDomainMismatch {
        /// The domain being verified.
        expected: Domain,
        /// The document's domain.
        found: Domain,
    },
    /// The signature is malformed or does not match.
    #[error("signature of tool `{tool}` is invalid: {source}")]
    Signature {
        /// The tool.
        tool: ToolName,
        /// What was wrong.
        source: SignatureError,
    },
    /// The discovery document pins tools but not this one.
    #[error("tool `{tool}` is not listed in the discovery document's `tool_pins`")]
    ToolNotPublished {
        /// The tool.
        tool: ToolName,
    },
    /// The schema differs from the hash the discovery document pins.
    #[error("tool `{tool}` drifted from its published pin: {drift}")]
    Drift {
        /// The tool.
        tool: ToolName,
        /// What changed.
        drift: ToolDrift,
    },
    /// The domain's key differs from the pinned one; only an explicit forced re-pin accepts it.
    #[error("key for tool `{tool}` from `{domain}` changed from pinned `{pinned}` to `{presented}`")]
    KeyChanged {
        /// The tool.
        tool: ToolName,
        /// The domain.
        domain: Domain,
        /// The pinned key.
        pinned: Fingerprint,
        /// The key now presented.
        presented: Fingerprint,
    },
    /// Strict mode and no pin exists.
    #[error("tool `{tool}` from `{domain}` is not pinned and the pin mode is strict")]
    NotPinned {
        /// The tool.
        tool: ToolName,
        /// The domain.
        domain: Domain,
    },
    /// The pin store failed.
    #[error(transparent)]
    Store(#[from] PinStoreError),
}

impl VerifyError {
    /// The upper-case error code: the ecosystem's where one exists (`SIGNATURE_INVALID`,
    /// `KEY_REVOKED`, `KEY_PIN_MISMATCH`, …); `SCHEMA_MISMATCH` for a schema that is not the
    /// published tool and `PIN_STORE_FAILED` are ours.
    pub fn code(&self) -> &'static str {
        match self {
            Self::UnsupportedCanonicalization { .. } => "CANONICALIZATION_UNSUPPORTED",
            Self::ToolNameMismatch { .. } | Self::Drift { .. } | Self::ToolNotPublished { .. } => "SCHEMA_MISMATCH",
            Self::Key(_) => "KEY_NOT_FOUND",
            Self::Revoked(_) => "KEY_REVOKED",
            Self::RevocationDomainMismatch { .. } => "DOMAIN_MISMATCH",
            Self::Signature { .. } => "SIGNATURE_INVALID",
            Self::KeyChanged { .. } | Self::NotPinned { .. } => "KEY_PIN_MISMATCH",
            Self::Store(_) => "PIN_STORE_FAILED",
        }
    }
}

/// How the key pin was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PinStatus {
    /// No pin existed; this verification created it.
    FirstUse,
    /// The key matched the existing pin.
    Pinned,
    /// Pinning is disabled.
    NotChecked,
}

/// A tool schema that passed verification. Only [`Verifier::verify`] makes one.
#[derive(Debug, Clone)]
pub struct VerifiedTool {
    tool: ToolName,
    domain: Domain,
    fingerprint: Fingerprint,
    pin_status: PinStatus,
    developer_name: Option<String>,
    // INVARIANT (verified-hash): the pin of exactly the schema whose signature verified.
    verified: ToolPin,
}

impl VerifiedTool {
    /// Checks that `definition` is still the schema that verified: the hot path before every
    /// invocation. No signature check is needed because the bytes are the same.
    ///
    /// # Errors
    ///
    /// [`ToolDrift`] naming whether the description or the rest changed.
    pub fn recheck(&self, definition: &Value) -> Result<(), ToolDrift> {
        // INVARIANT (verified-hash): equal hashes mean the signed bytes.
        self.verified.compare(definition)
    }

    /// The tool.
    pub fn tool(&self) -> &ToolName {
        &self.tool
    }

    /// The publishing domain.
    pub fn domain(&self) -> &Domain {
        &self.domain
    }

    /// The key that signed the schema.
    pub fn fingerprint(&self) -> &Fingerprint {
        &self.fingerprint
    }

    /// What the pin check found.
    pub fn pin_status(&self) -> PinStatus {
        self.pin_status
    }

    /// The publisher's `developer_name`, if the discovery document gave one.
    pub fn developer_name(&self) -> Option<&str> {
        self.developer_name.as_deref()
    }
}

/// Verifies signed tool schemas and keeps key pins.
#[derive(Clone)]
pub struct Verifier {
    store: Arc<dyn PinStore>,
    config: VerifierConfig,
}

impl fmt::Debug for Verifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Verifier").field("config", &self.config).finish_non_exhaustive()
    }
}

impl Verifier {
    /// A verifier over `store`.
    pub fn new(store: Arc<dyn PinStore>, config: VerifierConfig) -> Self {
        Self { store, config }
    }

    /// Verifies one signed schema. Checks, in order: canonicalization id, schema name, key
    /// choice, revocation (inline and standalone), signature, published tool pin, key pin.
    ///
    /// # Errors
    ///
    /// The first failing check's [`VerifyError`]; nothing is pinned unless every check passed.
    pub fn verify(&self, request: &SchemaRequest<'_>) -> Result<VerifiedTool, VerifyError> {
        let tool = request.tool;
        if let Some(id) = request.canonicalization.filter(|id| *id != CANONICALIZATION_ID) {
            return Err(VerifyError::UnsupportedCanonicalization { id: id.to_owned() });
        }
        if let Some(name) = request.schema.get("name").and_then(Value::as_str).filter(|n| *n != tool.as_str()) {
            return Err(VerifyError::ToolNameMismatch { tool: tool.clone(), schema_name: name.to_owned() });
        }
        let key = request.discovery.select_key(request.kid)?;
        let fingerprint = key.fingerprint();
        let canonical = canonical_bytes(request.schema);
        if let Some(doc) = request.revocation.filter(|doc| doc.domain() != request.domain) {
            return Err(VerifyError::RevocationDomainMismatch {
                expected: request.domain.clone(),
                found: doc.domain().clone(),
            });
        }
        check_revocation(fingerprint, request.discovery, request.revocation)?;
        self.check_signature(tool, key, &canonical, request.signature)?;
        if request.discovery.pins_tools() {
            let published =
                request.discovery.tool_pin(tool).ok_or_else(|| VerifyError::ToolNotPublished { tool: tool.clone() })?;
            published.compare(request.schema).map_err(|drift| VerifyError::Drift { tool: tool.clone(), drift })?;
        }
        let pin_status = self.check_pin(tool, request.domain, fingerprint)?;
        Ok(VerifiedTool {
            tool: tool.clone(),
            domain: request.domain.clone(),
            fingerprint: fingerprint.clone(),
            pin_status,
            developer_name: request.discovery.developer_name().map(str::to_owned),
            verified: ToolPin::from_canonical(request.schema, &canonical),
        })
    }

    /// Pins `key` for `tool` from `domain` where no pin exists (`symbi schemapin pin`).
    ///
    /// # Errors
    ///
    /// [`VerifyError::KeyChanged`] if another key is pinned, or [`VerifyError::Store`].
    pub fn pin(&self, tool: &ToolName, domain: &Domain, key: &Fingerprint) -> Result<PinStatus, VerifyError> {
        self.pin_first_use(tool, domain, key)
    }

    /// Replaces whatever pin exists (`symbi schemapin pin --force`): the only way a changed key
    /// is ever accepted.
    ///
    /// # Errors
    ///
    /// [`VerifyError::Store`].
    pub fn force_repin(&self, tool: &ToolName, domain: &Domain, key: &Fingerprint) -> Result<(), VerifyError> {
        Ok(self.store.replace(new_pin(tool, domain, key))?)
    }

    pub(crate) fn low_s(&self) -> LowS {
        self.config.low_s
    }

    fn check_signature(
        &self,
        tool: &ToolName,
        key: &PublicKey,
        canonical: &[u8],
        b64: &str,
    ) -> Result<(), VerifyError> {
        let invalid = |source| VerifyError::Signature { tool: tool.clone(), source };
        let signature = Signature::from_base64(b64).map_err(invalid)?;
        verify_hashed(key, canonical, &signature, self.config.low_s).map_err(invalid)
    }

    /// The key-pin step shared by schema and skill verification.
    pub(crate) fn check_pin(
        &self,
        tool: &ToolName,
        domain: &Domain,
        key: &Fingerprint,
    ) -> Result<PinStatus, VerifyError> {
        match self.config.mode {
            PinMode::InsecureDisabled => Ok(PinStatus::NotChecked),
            PinMode::Tofu => self.pin_first_use(tool, domain, key),
            PinMode::Strict => match self.store.get(tool, domain)? {
                Some(pin) => compare_pin(pin, key),
                None => Err(VerifyError::NotPinned { tool: tool.clone(), domain: domain.clone() }),
            },
        }
    }

    fn pin_first_use(&self, tool: &ToolName, domain: &Domain, key: &Fingerprint) -> Result<PinStatus, VerifyError> {
        if let Some(pin) = self.store.get(tool, domain)? {
            return compare_pin(pin, key);
        }
        match self.store.insert_new(new_pin(tool, domain, key)) {
            Ok(()) => Ok(PinStatus::FirstUse),
            // A concurrent first use won the race; judge against what it pinned.
            Err(PinStoreError::AlreadyPinned { .. }) => match self.store.get(tool, domain)? {
                Some(pin) => compare_pin(pin, key),
                None => Err(VerifyError::NotPinned { tool: tool.clone(), domain: domain.clone() }),
            },
            Err(other) => Err(other.into()),
        }
    }
}

fn compare_pin(pin: Pin, key: &Fingerprint) -> Result<PinStatus, VerifyError> {
    if &pin.fingerprint == key {
        return Ok(PinStatus::Pinned);
    }
    Err(VerifyError::KeyChanged { tool: pin.tool, domain: pin.domain, pinned: pin.fingerprint, presented: key.clone() })
}

fn new_pin(tool: &ToolName, domain: &Domain, key: &Fingerprint) -> Pin {
    let pinned_at = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
    Pin { tool: tool.clone(), domain: domain.clone(), fingerprint: key.clone(), pinned_at }
}

/// Signs a tool schema the ecosystem's way (ECDSA over `SHA-256(canonical bytes)`), low-S.
///
/// # Errors
///
/// [`KeyError::Generation`] if the random source fails.
pub fn sign_schema(key: &SigningKey, schema: &Value) -> Result<Signature, KeyError> {
    sign_hashed(key, &canonical_bytes(schema))
}
