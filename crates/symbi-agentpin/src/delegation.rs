//! Delegation chains: signed attestations by which a maker (or an intermediate deployer) vouches
//! for the entity below it, carried in a credential's `delegation_chain`.
//!
//! The published SDKs record chains without checking them; we verify every link. Entry `i`
//! attests `{domain}|{role}|{agent_id}|{delegatee_domain}|{delegatee_agent_id}|{capabilities_hash}`
//! where the delegatee is entry `i + 1`, or the credential's own `iss` and `sub` for the last
//! entry, and the capabilities are the credential's. Each attester must publish the signing key,
//! not have revoked it, declare the attesting agent as active with capabilities covering the
//! credential's, and allow a chain this long; its key is pinned like an issuer's.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde::{Deserialize, Serialize};

use crate::capability::{Capability, capabilities_hash, first_uncovered};
use crate::credential::Claims;
use crate::discovery::{AgentStatus, MAX_DELEGATION_DEPTH};
use crate::error::VerifyError;
use crate::key::{KeyError, SigningKey};
use crate::pin::{PinCandidate, PinOutcome, PinStore};
use crate::resolver::Resolver;
use crate::revocation::Revoked;
use crate::signature::EcdsaSignature;
use crate::time::UnixTime;

/// The attesting entity's role.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DelegationRole {
    /// The maker of the agent type.
    Maker,
    /// A deployer passing the agent on.
    Deployer,
}

impl DelegationRole {
    fn as_str(self) -> &'static str {
        match self {
            Self::Maker => "maker",
            Self::Deployer => "deployer",
        }
    }
}

/// One link of a delegation chain, in its wire form.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DelegationEntry {
    domain: String,
    role: DelegationRole,
    agent_id: String,
    kid: String,
    attestation: String,
}

/// Who attests and to whom.
#[derive(Debug, Clone, Copy)]
pub struct Attestation<'a> {
    /// The attesting entity's domain.
    pub domain: &'a str,
    /// The attesting entity's role.
    pub role: DelegationRole,
    /// The attesting agent (a maker's agent type URN, or a deployer's agent id).
    pub agent_id: &'a str,
    /// The delegatee's domain.
    pub delegatee_domain: &'a str,
    /// The delegatee's agent id.
    pub delegatee_agent_id: &'a str,
    /// The capabilities being passed on.
    pub capabilities: &'a [Capability],
}

impl Attestation<'_> {
    fn input(&self) -> String {
        format!(
            "{}|{}|{}|{}|{}|{}",
            self.domain,
            self.role.as_str(),
            self.agent_id,
            self.delegatee_domain,
            self.delegatee_agent_id,
            capabilities_hash(self.capabilities)
        )
    }
}

impl DelegationEntry {
    /// Signs `attestation` with the attester's key, published as `kid`.
    ///
    /// Fails only when signing fails.
    pub fn attest(key: &SigningKey, kid: &str, attestation: &Attestation<'_>) -> Result<Self, KeyError> {
        Ok(Self {
            domain: attestation.domain.to_owned(),
            role: attestation.role,
            agent_id: attestation.agent_id.to_owned(),
            kid: kid.to_owned(),
            attestation: key.sign_base64(attestation.input().as_bytes())?,
        })
    }

    /// The attesting domain.
    pub fn domain(&self) -> &str {
        &self.domain
    }
    /// The attesting role.
    pub fn role(&self) -> DelegationRole {
        self.role
    }
    /// The attesting agent.
    pub fn agent_id(&self) -> &str {
        &self.agent_id
    }
    /// The attester's key id.
    pub fn kid(&self) -> &str {
        &self.kid
    }
}

/// What chain verification needs from the verifier.
pub(crate) struct ChainContext<'a> {
    pub(crate) resolver: &'a dyn Resolver,
    pub(crate) pins: &'a dyn PinStore,
    pub(crate) issuer_max_depth: u8,
    pub(crate) now: UnixTime,
    pub(crate) skew: i64,
}

/// Verifies every link of `claims`' chain; an empty chain is trivially valid.
pub(crate) fn verify_chain(ctx: &ChainContext<'_>, claims: &Claims) -> Result<(), VerifyError> {
    let chain = claims.delegation_chain();
    let len = chain.len();
    let mut max = ctx.issuer_max_depth.min(MAX_DELEGATION_DEPTH);
    if len > usize::from(max) {
        return Err(VerifyError::DelegationDepthExceeded { len, max });
    }
    for (index, entry) in chain.iter().enumerate() {
        let (delegatee_domain, delegatee_agent_id) = match chain.get(index + 1) {
            Some(next) => (next.domain.as_str(), next.agent_id.as_str()),
            None => (claims.issuer(), claims.subject()),
        };
        let invalid = |reason: String| VerifyError::DelegationInvalid { index, domain: entry.domain.clone(), reason };
        // INVARIANT (unambiguous-attestation): `|` separates the attestation input's fields, and
        // domains and the hash cannot contain it; agent ids could, and would let one signed input
        // be read as a different delegation.
        if entry.agent_id.contains('|') || delegatee_agent_id.contains('|') {
            return Err(invalid("agent ids in a delegation must not contain `|`".into()));
        }
        let doc = ctx.resolver.discovery(&entry.domain).map_err(|e| invalid(format!("no discovery document: {e}")))?;
        if doc.entity() != entry.domain {
            return Err(invalid(format!("discovery document describes `{}`", doc.entity())));
        }
        max = max.min(doc.max_delegation_depth());
        if len > usize::from(max) {
            return Err(VerifyError::DelegationDepthExceeded { len, max });
        }
        let jwk = doc.key(&entry.kid).ok_or_else(|| invalid(format!("key `{}` is not published", entry.kid)))?;
        if jwk.expires_at().is_some_and(|exp| exp.offset(ctx.skew) < ctx.now) {
            return Err(invalid(format!("key `{}` expired", entry.kid)));
        }
        let attestation = Attestation {
            domain: &entry.domain,
            role: entry.role,
            agent_id: &entry.agent_id,
            delegatee_domain,
            delegatee_agent_id,
            capabilities: claims.capabilities(),
        };
        let signature = STANDARD
            .decode(&entry.attestation)
            .ok()
            .and_then(|der| EcdsaSignature::from_der(&der).ok())
            .ok_or_else(|| invalid("attestation is not base64 DER".into()))?;
        if !jwk.public_key().verifies(attestation.input().as_bytes(), &signature) {
            return Err(invalid("attestation signature does not verify".into()));
        }
        let revocations = ctx.resolver.revocation(&entry.domain).map_err(|e| invalid(e.to_string()))?;
        if let Some(revoked) = revocations.and_then(|r| r.lookup(None, &entry.agent_id, &entry.kid)) {
            let what = if revoked == Revoked::Key { "key" } else { "attesting agent" };
            return Err(invalid(format!("the {what} is revoked")));
        }
        let agent =
            doc.agent(&entry.agent_id).ok_or_else(|| invalid(format!("agent `{}` is not declared", entry.agent_id)))?;
        if agent.status() != AgentStatus::Active {
            return Err(invalid(format!("agent `{}` is {}", entry.agent_id, agent.status().as_str())));
        }
        if let Some(cap) = first_uncovered(agent.capabilities(), claims.capabilities()) {
            return Err(invalid(format!("capability `{cap}` exceeds what the attester declares")));
        }
        let candidate = PinCandidate { kid: jwk.kid(), thumbprint: jwk.thumbprint() };
        match ctx.pins.check_and_pin(&entry.domain, candidate, ctx.now).map_err(VerifyError::PinStore)? {
            PinOutcome::FirstUse | PinOutcome::Matched => {}
            PinOutcome::Changed => return Err(VerifyError::KeyPinMismatch { domain: entry.domain.clone() }),
        }
    }
    Ok(())
}
