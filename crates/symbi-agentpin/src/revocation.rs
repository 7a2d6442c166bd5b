//! Revocation documents, `/.well-known/agent-identity-revocations.json`: credentials (by `jti`),
//! agents and keys an entity has withdrawn.
//!
//! Entries are honoured whatever their `reason` says: an unknown reason from a newer peer still
//! revokes. A credential matching any entry is refused.

use serde::{Deserialize, Serialize};

use crate::credential::AGENTPIN_VERSION;
use crate::discovery::is_domain;
use crate::json::{self, DocumentError};
use crate::time::UnixTime;

/// Largest revocation document accepted.
pub(crate) const MAX_REVOCATION_BYTES: usize = 1024 * 1024;

/// Why something was revoked (the ecosystem's reason vocabulary).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum RevocationReason {
    /// The private key leaked.
    KeyCompromise,
    /// The agent left the entity.
    AffiliationChanged,
    /// Replaced by a newer key or credential.
    Superseded,
    /// The agent or entity stopped operating.
    CessationOfOperation,
    /// Capabilities were withdrawn.
    PrivilegeWithdrawn,
    /// The agent broke policy.
    PolicyViolation,
}

impl RevocationReason {
    fn as_str(self) -> &'static str {
        match self {
            Self::KeyCompromise => "key_compromise",
            Self::AffiliationChanged => "affiliation_changed",
            Self::Superseded => "superseded",
            Self::CessationOfOperation => "cessation_of_operation",
            Self::PrivilegeWithdrawn => "privilege_withdrawn",
            Self::PolicyViolation => "policy_violation",
        }
    }
}

/// What a revocation document says about one credential.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Revoked {
    Credential,
    Agent,
    Key,
}

/// A validated revocation document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RevocationDocument {
    wire: RevocationWire,
}

impl RevocationDocument {
    /// An empty document for `entity`.
    ///
    /// Fails when `entity` is not a domain name.
    pub fn new(entity: &str, now: UnixTime) -> Result<Self, DocumentError> {
        let wire = RevocationWire {
            agentpin_version: AGENTPIN_VERSION.into(),
            entity: entity.to_owned(),
            updated_at: now.to_rfc3339(),
            revoked_credentials: Vec::new(),
            revoked_agents: Vec::new(),
            revoked_keys: Vec::new(),
        };
        Self::validated(wire)
    }

    /// Parses and validates a revocation document.
    ///
    /// Fails on oversized or duplicate-key input, a version other than `0.1`, or a bad `entity`.
    pub fn from_json(bytes: &[u8]) -> Result<Self, DocumentError> {
        Self::validated(json::decode(bytes, MAX_REVOCATION_BYTES)?)
    }

    fn validated(wire: RevocationWire) -> Result<Self, DocumentError> {
        if wire.agentpin_version != AGENTPIN_VERSION {
            return Err(DocumentError::field("agentpin_version", format!("must be `{AGENTPIN_VERSION}`")));
        }
        if !is_domain(&wire.entity) {
            return Err(DocumentError::field("entity", "must be a lower-case domain name"));
        }
        Ok(Self { wire })
    }

    /// The document as pretty JSON.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(&self.wire).unwrap_or_default()
    }

    /// The entity the document speaks for.
    pub fn entity(&self) -> &str {
        &self.wire.entity
    }

    /// Revokes the credential with this `jti`.
    pub fn revoke_credential(&mut self, jti: &str, reason: RevocationReason, now: UnixTime) {
        self.wire.revoked_credentials.push(CredentialEntry::new(jti, reason, now));
        self.wire.updated_at = now.to_rfc3339();
    }

    /// Revokes every credential of this agent.
    pub fn revoke_agent(&mut self, agent_id: &str, reason: RevocationReason, now: UnixTime) {
        self.wire.revoked_agents.push(AgentEntry::new(agent_id, reason, now));
        self.wire.updated_at = now.to_rfc3339();
    }

    /// Revokes a key, and with it every credential it signed.
    pub fn revoke_key(&mut self, kid: &str, reason: RevocationReason, now: UnixTime) {
        self.wire.revoked_keys.push(KeyEntry::new(kid, reason, now));
        self.wire.updated_at = now.to_rfc3339();
    }

    /// The first match, checked in the ecosystem's order: credential, agent, key.
    /// A delegation attester has no credential of its own in play, hence the optional `jti`.
    pub(crate) fn lookup(&self, jti: Option<&str>, agent_id: &str, kid: &str) -> Option<Revoked> {
        if jti.is_some_and(|jti| self.wire.revoked_credentials.iter().any(|e| e.id == jti)) {
            Some(Revoked::Credential)
        } else if self.wire.revoked_agents.iter().any(|e| e.id == agent_id) {
            Some(Revoked::Agent)
        } else if self.wire.revoked_keys.iter().any(|e| e.id == kid) {
            Some(Revoked::Key)
        } else {
            None
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct RevocationWire {
    agentpin_version: String,
    entity: String,
    updated_at: String,
    #[serde(default)]
    revoked_credentials: Vec<CredentialEntry>,
    #[serde(default)]
    revoked_agents: Vec<AgentEntry>,
    #[serde(default)]
    revoked_keys: Vec<KeyEntry>,
}

/// Defines one list's entry type; the lists differ only in the name of their id member.
macro_rules! entry {
    ($name:ident, $member:literal) => {
        #[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
        struct $name {
            #[serde(rename = $member)]
            id: String,
            #[serde(default)]
            revoked_at: String,
            #[serde(default)]
            reason: String,
        }

        impl $name {
            fn new(id: &str, reason: RevocationReason, now: UnixTime) -> Self {
                Self { id: id.to_owned(), revoked_at: now.to_rfc3339(), reason: reason.as_str().to_owned() }
            }
        }
    };
}

entry!(CredentialEntry, "jti");
entry!(AgentEntry, "agent_id");
entry!(KeyEntry, "kid");

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lookups_follow_the_ecosystem_order_and_entries_keep_their_member_names() {
        let now = UnixTime::from_secs(1_800_000_000);
        let mut doc = RevocationDocument::new("example.com", now).unwrap();
        doc.revoke_key("k1", RevocationReason::KeyCompromise, now);
        doc.revoke_agent("a1", RevocationReason::AffiliationChanged, now);
        doc.revoke_credential("j1", RevocationReason::Superseded, now);
        assert_eq!(doc.lookup(Some("j1"), "a1", "k1"), Some(Revoked::Credential));
        assert_eq!(doc.lookup(Some("j2"), "a1", "k1"), Some(Revoked::Agent));
        assert_eq!(doc.lookup(None, "a2", "k1"), Some(Revoked::Key));
        assert_eq!(doc.lookup(Some("j2"), "a2", "k2"), None);
        let json: serde_json::Value = serde_json::from_str(&doc.to_json()).unwrap();
        assert_eq!(json["revoked_credentials"][0]["jti"], "j1");
        assert_eq!(json["revoked_agents"][0]["agent_id"], "a1");
        assert_eq!(json["revoked_keys"][0]["kid"], "k1");
        assert_eq!(json["revoked_keys"][0]["reason"], "key_compromise");
        assert_eq!(RevocationDocument::from_json(doc.to_json().as_bytes()).unwrap(), doc);
    }

    #[test]
    fn unknown_reasons_still_revoke() {
        let text = r#"{"agentpin_version":"0.1","entity":"example.com","updated_at":"x",
            "revoked_credentials":[{"jti":"j","revoked_at":"x","reason":"alien_abduction"}]}"#;
        let doc = RevocationDocument::from_json(text.as_bytes()).unwrap();
        assert_eq!(doc.lookup(Some("j"), "a", "k"), Some(Revoked::Credential));
    }
}
