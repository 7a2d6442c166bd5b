//! The 12-step credential verification, in the ecosystem's order, producing a
//! [`VerifiedCredential`] or the one specific [`VerifyError`] that refused it.
//!
//! 1 decode (alg, typ, header members, JSON, signature encoding) · 2 time · 3 discovery ·
//! 4 key · 5 signature · 6 revocation · 7 agent · 8 capabilities · 9 constraints ·
//! 10 delegation chain (verified, unlike upstream) · 11 key pin · 12 audience.

use crate::capability::{Capability, first_uncovered};
use crate::constraints::Constraints;
use crate::credential::{Claims, DEFAULT_MAX_CREDENTIAL_BYTES, SandboxTier, UnverifiedCredential};
use crate::delegation::{ChainContext, DelegationEntry, verify_chain};
use crate::discovery::AgentStatus;
use crate::error::VerifyError;
use crate::pin::{PinCandidate, PinOutcome, PinStore};
use crate::resolver::{ResolveError, Resolver};
use crate::revocation::Revoked;
use crate::signature::SignatureError;
use crate::time::UnixTime;

/// Verifier settings; the defaults are the ecosystem's.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct VerifierConfig {
    /// Tolerated clock difference, in seconds (default 60).
    pub clock_skew_secs: u32,
    /// Longest credential lifetime accepted, in seconds (default 86 400).
    pub max_ttl_secs: u64,
    /// Longest credential accepted, in bytes (default 16 KiB).
    pub max_credential_bytes: usize,
    /// Refuse high-`s` signatures (default off). Python `agentpin` signs through OpenSSL, which
    /// does not normalize `s`, so about half of its credentials are high-`s`; turning this on
    /// refuses them. Replay and revocation key on `jti`, never on token bytes, so the malleable
    /// twin of a credential gains an attacker nothing.
    pub require_low_s: bool,
}

impl Default for VerifierConfig {
    fn default() -> Self {
        Self {
            clock_skew_secs: 60,
            max_ttl_secs: 86_400,
            max_credential_bytes: DEFAULT_MAX_CREDENTIAL_BYTES,
            require_low_s: false,
        }
    }
}

/// Verifies credentials against documents from a [`Resolver`], pinning keys in a [`PinStore`].
#[derive(Clone, Copy)]
pub struct Verifier<'a> {
    resolver: &'a dyn Resolver,
    pins: &'a dyn PinStore,
    config: &'a VerifierConfig,
}

impl std::fmt::Debug for Verifier<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Verifier").field("config", self.config).finish_non_exhaustive()
    }
}

impl<'a> Verifier<'a> {
    /// A verifier over these documents, pins and settings.
    pub fn new(resolver: &'a dyn Resolver, pins: &'a dyn PinStore, config: &'a VerifierConfig) -> Self {
        Self { resolver, pins, config }
    }

    /// Verifies `jwt` now; see [`Verifier::verify_at`].
    ///
    /// # Errors
    /// As [`Verifier::verify_at`].
    pub fn verify(&self, jwt: &str, audience: Option<&str>) -> Result<VerifiedCredential, VerifyError> {
        self.verify_at(jwt, audience, UnixTime::now())
    }

    /// Verifies `jwt` as of `now`. `audience` is this verifier's domain; a credential with an
    /// `aud` other than it or `*` is refused, and one without `aud` is accepted (as upstream).
    ///
    /// # Errors
    /// The first failed step, in the order of the module documentation; each
    /// [`VerifyError`] variant names the rule and carries the values that broke it.
    pub fn verify_at(
        &self,
        jwt: &str,
        audience: Option<&str>,
        now: UnixTime,
    ) -> Result<VerifiedCredential, VerifyError> {
        // Step 1: decode everything before acting on any of it.
        let credential = UnverifiedCredential::decode(jwt, self.config.max_credential_bytes)?;
        if self.config.require_low_s && credential.signature.is_high_s() {
            return Err(VerifyError::SignatureEncoding(SignatureError::HighS));
        }
        let claims = credential.claims;
        let skew = i64::from(self.config.clock_skew_secs);

        // Step 2: time.
        let (iat, exp) = (claims.issued_at().secs(), claims.expires_at().secs());
        if iat > now.offset(skew).secs() {
            return Err(VerifyError::IssuedInFuture { iat, now: now.secs() });
        }
        if exp <= now.offset(-skew).secs() {
            return Err(VerifyError::Expired { exp, now: now.secs() });
        }
        if let Some(nbf) = claims.not_before().map(UnixTime::secs)
            && nbf > now.offset(skew).secs()
        {
            return Err(VerifyError::NotYetValid { nbf, now: now.secs() });
        }
        let lifetime = exp.saturating_sub(iat);
        check_lifetime(lifetime, self.config.max_ttl_secs)?;

        // Step 3: discovery.
        let issuer = claims.issuer();
        let doc = self.resolver.discovery(issuer).map_err(|e| resolve_error(issuer, e))?;
        if doc.entity() != issuer {
            return Err(VerifyError::DomainMismatch { expected: issuer.to_owned(), found: doc.entity().to_owned() });
        }

        // Step 4: key.
        let kid = credential.kid;
        let jwk =
            doc.key(&kid).ok_or_else(|| VerifyError::KeyNotFound { domain: issuer.to_owned(), kid: kid.clone() })?;
        if jwk.expires_at().is_some_and(|key_exp| key_exp.offset(skew) < now) {
            return Err(VerifyError::KeyExpired { kid });
        }

        // Step 5: signature.
        if !jwk.public_key().verifies(credential.signing_input.as_bytes(), &credential.signature) {
            return Err(VerifyError::SignatureInvalid { kid });
        }

        // Step 6: revocation (a declared but unreadable document refuses: fail closed).
        if let Some(revocations) = self.resolver.revocation(issuer).map_err(|e| resolve_error(issuer, e))? {
            if revocations.entity() != issuer {
                return Err(VerifyError::DomainMismatch {
                    expected: issuer.to_owned(),
                    found: revocations.entity().to_owned(),
                });
            }
            match revocations.lookup(Some(claims.jti()), claims.subject(), &kid) {
                Some(Revoked::Credential) => {
                    return Err(VerifyError::CredentialRevoked { jti: claims.jti().to_owned() });
                }
                Some(Revoked::Agent) => {
                    return Err(VerifyError::AgentRevoked { agent_id: claims.subject().to_owned() });
                }
                Some(Revoked::Key) => return Err(VerifyError::KeyRevoked { kid }),
                None => {}
            }
        }

        // Step 7: agent.
        let agent_id = claims.subject();
        let agent = doc
            .agent(agent_id)
            .ok_or_else(|| VerifyError::AgentNotFound { domain: issuer.to_owned(), agent_id: agent_id.to_owned() })?;
        if agent.status() != AgentStatus::Active {
            return Err(VerifyError::AgentInactive { agent_id: agent_id.to_owned(), status: agent.status().as_str() });
        }
        // Upstream ignores the per-agent maximum; we honour what the issuer published.
        if let Some(max) = agent.credential_ttl_max() {
            check_lifetime(lifetime, max)?;
        }

        // Step 8: capabilities.
        if let Some(cap) = first_uncovered(agent.capabilities(), claims.capabilities()) {
            return Err(VerifyError::CapabilityExceeded { agent_id: agent_id.to_owned(), capability: cap.to_string() });
        }

        // Step 9: constraints.
        if let (Some(declared), Some(mine)) = (agent.constraints(), claims.constraints())
            && let Some(constraint) = mine.first_widening(declared)
        {
            return Err(VerifyError::ConstraintViolation { constraint });
        }

        // Step 10: delegation chain.
        let chain = ChainContext {
            resolver: self.resolver,
            pins: self.pins,
            issuer_max_depth: doc.max_delegation_depth(),
            now,
            skew,
        };
        verify_chain(&chain, &claims)?;

        // Step 11: key pin.
        let candidate = PinCandidate { kid: jwk.kid(), thumbprint: jwk.thumbprint() };
        let pin = self.pins.check_and_pin(issuer, candidate, now).map_err(VerifyError::PinStore)?;
        if pin == PinOutcome::Changed {
            return Err(VerifyError::KeyPinMismatch { domain: issuer.to_owned() });
        }

        // Step 12: audience.
        if let (Some(expected), Some(found)) = (audience, claims.audience())
            && found != "*"
            && found != expected
        {
            return Err(VerifyError::AudienceMismatch { expected: expected.to_owned(), found: found.to_owned() });
        }

        Ok(VerifiedCredential { claims, kid, pin })
    }
}

fn check_lifetime(lifetime: i64, max: u64) -> Result<(), VerifyError> {
    if u64::try_from(lifetime).map_or(true, |l| l > max) {
        return Err(VerifyError::LifetimeTooLong { lifetime, max });
    }
    Ok(())
}

fn resolve_error(domain: &str, error: ResolveError) -> VerifyError {
    match error {
        ResolveError::Invalid { source, .. } => VerifyError::DiscoveryInvalid { domain: domain.to_owned(), source },
        other => VerifyError::DiscoveryUnavailable { domain: domain.to_owned(), source: other },
    }
}

/// A credential that passed all twelve steps: the principal facts the Governor hands to Cedar.
#[derive(Debug, Clone)]
pub struct VerifiedCredential {
    claims: Claims,
    kid: String,
    pin: PinOutcome,
}

impl VerifiedCredential {
    /// The issuer domain (`iss`), the principal's trust anchor.
    pub fn domain(&self) -> &str {
        self.claims.issuer()
    }
    /// The agent id (`sub`).
    pub fn agent_id(&self) -> &str {
        self.claims.subject()
    }
    /// Granted capabilities.
    pub fn capabilities(&self) -> &[Capability] {
        self.claims.capabilities()
    }
    /// The seed's sandbox tier claim, if any.
    pub fn sandbox_tier(&self) -> Option<SandboxTier> {
        self.claims.sandbox_tier()
    }
    /// Constraints the runtime must enforce.
    pub fn constraints(&self) -> Option<&Constraints> {
        self.claims.constraints()
    }
    /// The verified delegation chain, maker first (empty when the agent was not delegated).
    pub fn delegation_chain(&self) -> &[DelegationEntry] {
        self.claims.delegation_chain()
    }
    /// The credential id, for audit records and replay checks.
    pub fn jti(&self) -> &str {
        self.claims.jti()
    }
    /// When the credential expires.
    pub fn expires_at(&self) -> UnixTime {
        self.claims.expires_at()
    }
    /// The signing key's id.
    pub fn kid(&self) -> &str {
        &self.kid
    }
    /// Whether this verification pinned the issuer's key or matched an existing pin.
    pub fn pin_outcome(&self) -> PinOutcome {
        self.pin
    }
    /// All claims.
    pub fn claims(&self) -> &Claims {
        &self.claims
    }
}
