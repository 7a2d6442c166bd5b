//! SchemaPin for symbi: proves a tool's schema is the one its publisher signed, and that the
//! publisher's key is the one we trusted before.
//!
//! ```text
//! bytes ──► parse_json (strict: no duplicate keys, exact numbers) ──► serde_json::Value
//! Value ──► canonical_bytes (schemapin-v1) ──► SHA-256 ──► ECDSA P-256 (DER, base64)
//! /.well-known/schemapin.json ──► DiscoveryDocument (PEM and/or JWK keys, tool pins, revocations)
//! SchemaRequest ──► Verifier::verify (revocation, signature, tool pin, PinStore) ──► VerifiedTool
//! VerifiedTool::recheck(definition)   — the per-invocation hot path
//! ```
//!
//! What this crate never does: open a socket. Discovery fetching goes through [`Fetcher`] over
//! a [`Transport`] the runtime implements, and the runtime calls it through the Governor. It
//! reads and writes files only in the skill functions, in the folder the caller names.
//!
//! Cryptography is aws-lc-rs (as in rustls): its P-256 verify is the fastest available here,
//! and a full verification costs about one raw verify (`benches/verify.rs`).
//!
//! Features: none.
//!
//! ```
//! use std::sync::Arc;
//! use symbi_schemapin::*;
//!
//! let key = SigningKey::generate().unwrap();
//! let schema = serde_json::json!({"name": "get_weather", "description": "Weather by city"});
//! let signature = sign_schema(&key, &schema).unwrap().to_base64();
//! let discovery = WellKnownBuilder::new(key.public_key()).build();
//! let discovery = DiscoveryDocument::from_value(&discovery).unwrap();
//! let verifier = Verifier::new(Arc::new(MemoryPinStore::new()), VerifierConfig::default());
//! let tool = ToolName::new("get_weather").unwrap();
//! let domain = Domain::new("tools.example.com").unwrap();
//! let verified = verifier
//!     .verify(&SchemaRequest {
//!         tool: &tool,
//!         domain: &domain,
//!         schema: &schema,
//!         signature: &signature,
//!         kid: None,
//!         canonicalization: None,
//!         discovery: &discovery,
//!         revocation: None,
//!     })
//!     .unwrap();
//! assert_eq!(verified.pin_status(), PinStatus::FirstUse);
//! assert!(verified.recheck(&schema).is_ok());
//! ```

#![forbid(unsafe_code)]
#![warn(clippy::print_stdout, clippy::print_stderr)]
#![deny(clippy::indexing_slicing)]

mod bundle;
mod canonical;
mod discovery;
mod envelope;
mod fetch;
mod json;
mod key;
mod names;
mod pin;
mod revocation;
mod signature;
mod skill;
mod time;
mod verify;
mod wellknown;

pub use bundle::{BUNDLE_AUTHORITY_DOMAIN, BundleError, TrustBundle, VerifiedBundle, sign_bundle};
pub use canonical::{CANONICALIZATION_ID, canonical_bytes, schema_hash};
pub use discovery::{DiscoveryDocument, DiscoveryError, DiscoveryKey, KeySelectError, ToolDrift, ToolPin};
pub use envelope::{EnvelopeError, SignedSchema};
pub use fetch::{
    AddressPolicy, FetchError, Fetcher, FetcherConfig, Transport, TransportError, TransportRequest, TransportResponse,
};
pub use json::{
    JsonError, MAX_DEPTH, MAX_DOCUMENT_BYTES, parse as parse_json, parse_with_limit as parse_json_with_limit,
};
pub use key::{Fingerprint, FingerprintError, KeyError, PublicKey, SigningKey};
pub use names::{Domain, NameError, ToolName};
pub use pin::{MemoryPinStore, Pin, PinStore, PinStoreError};
pub use revocation::{RevocationDocument, RevocationError, Revoked, RevokedKey, check_revocation};
pub use signature::{LowS, Signature, SignatureError, sign_hashed, verify_hashed};
pub use skill::{
    LineageError, SIGNATURE_FILE, SkillDigest, SkillError, SkillRequest, SkillSignOptions, SkillSignature,
    TamperReport, VerifiedSkill, detect_tampered, hash_skill, sign_skill, verify_lineage,
};
pub use verify::{
    PinMode, PinModeError, PinStatus, SchemaRequest, VerifiedTool, Verifier, VerifierConfig, VerifyError, sign_schema,
};
pub use wellknown::WellKnownBuilder;
