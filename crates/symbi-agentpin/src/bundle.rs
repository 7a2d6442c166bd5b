//! Trust bundles: a pre-shared set of discovery and revocation documents for verification where
//! `.well-known` fetching is unavailable (air-gapped hosts, CI, tests). Unsigned, as in the
//! ecosystem: a bundle is exactly as trustworthy as the channel that delivered it.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::discovery::DiscoveryDocument;
use crate::json::{self, DocumentError};
use crate::resolver::{ResolveError, Resolver};
use crate::revocation::RevocationDocument;
use crate::time::UnixTime;

/// Largest bundle accepted.
const MAX_BUNDLE_BYTES: usize = 8 * 1024 * 1024;
const BUNDLE_VERSION: &str = "0.1";

/// A validated trust bundle, at most one discovery and one revocation document per domain.
#[derive(Debug, Clone, Default)]
pub struct TrustBundle {
    created_at: String,
    documents: BTreeMap<String, Arc<DiscoveryDocument>>,
    revocations: BTreeMap<String, Arc<RevocationDocument>>,
}

impl TrustBundle {
    /// An empty bundle.
    pub fn new(created_at: UnixTime) -> Self {
        Self { created_at: created_at.to_rfc3339(), ..Self::default() }
    }

    /// Adds (or replaces) the discovery document of its entity.
    pub fn insert_discovery(&mut self, doc: DiscoveryDocument) {
        self.documents.insert(doc.entity().to_owned(), Arc::new(doc));
    }

    /// Adds (or replaces) the revocation document of its entity.
    pub fn insert_revocation(&mut self, doc: RevocationDocument) {
        self.revocations.insert(doc.entity().to_owned(), Arc::new(doc));
    }

    /// Parses a bundle, validating every document in it.
    ///
    /// Fails on oversized or duplicate-key input, an unknown bundle version, any invalid
    /// document, or two documents for one domain (which would make the answer order-dependent).
    pub fn from_json(bytes: &[u8]) -> Result<Self, DocumentError> {
        let wire: BundleWire = json::decode(bytes, MAX_BUNDLE_BYTES)?;
        if wire.agentpin_bundle_version != BUNDLE_VERSION {
            return Err(DocumentError::field("agentpin_bundle_version", format!("must be `{BUNDLE_VERSION}`")));
        }
        let mut bundle = Self { created_at: wire.created_at, ..Self::default() };
        for raw in wire.documents {
            let doc = DiscoveryDocument::from_json(raw.get().as_bytes())?;
            if bundle.documents.insert(doc.entity().to_owned(), Arc::new(doc)).is_some() {
                return Err(DocumentError::field("documents", "two discovery documents for one domain"));
            }
        }
        for raw in wire.revocations {
            let doc = RevocationDocument::from_json(raw.get().as_bytes())?;
            if bundle.revocations.insert(doc.entity().to_owned(), Arc::new(doc)).is_some() {
                return Err(DocumentError::field("revocations", "two revocation documents for one domain"));
            }
        }
        Ok(bundle)
    }

    /// The bundle as pretty JSON in the ecosystem's format.
    pub fn to_json(&self) -> String {
        let raw = |text: String| serde_json::value::RawValue::from_string(text).ok();
        let wire = BundleWire {
            agentpin_bundle_version: BUNDLE_VERSION.into(),
            created_at: self.created_at.clone(),
            documents: self.documents.values().filter_map(|d| raw(d.to_json())).collect(),
            revocations: self.revocations.values().filter_map(|d| raw(d.to_json())).collect(),
        };
        serde_json::to_string_pretty(&wire).unwrap_or_default()
    }
}

impl Resolver for TrustBundle {
    fn discovery(&self, domain: &str) -> Result<Arc<DiscoveryDocument>, ResolveError> {
        self.documents.get(domain).cloned().ok_or_else(|| ResolveError::NotFound { domain: domain.to_owned() })
    }

    fn revocation(&self, domain: &str) -> Result<Option<Arc<RevocationDocument>>, ResolveError> {
        Ok(self.revocations.get(domain).cloned())
    }
}

#[derive(Serialize, Deserialize)]
struct BundleWire {
    agentpin_bundle_version: String,
    created_at: String,
    #[serde(default)]
    documents: Vec<Box<serde_json::value::RawValue>>,
    #[serde(default)]
    revocations: Vec<Box<serde_json::value::RawValue>>,
}
