//! The verification error family: one specific variant per way a credential can be refused, each
//! mapped to the ecosystem's upper-case error code so that callers and peers see one vocabulary.

use crate::json::DocumentError;
use crate::pin::PinStoreError;
use crate::resolver::ResolveError;
use crate::signature::SignatureError;

/// The AgentPin error codes, spelled as every published SDK spells them, plus
/// `PIN_STORE_UNAVAILABLE` (ours: the pin store could not be read or written).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorCode {
    /// `SIGNATURE_INVALID`.
    SignatureInvalid,
    /// `KEY_NOT_FOUND`.
    KeyNotFound,
    /// `KEY_EXPIRED`.
    KeyExpired,
    /// `KEY_REVOKED`.
    KeyRevoked,
    /// `CREDENTIAL_EXPIRED` (also not-yet-valid and over-long lifetimes, as upstream).
    CredentialExpired,
    /// `CREDENTIAL_REVOKED`.
    CredentialRevoked,
    /// `AGENT_NOT_FOUND`.
    AgentNotFound,
    /// `AGENT_INACTIVE` (also a revoked agent, as upstream).
    AgentInactive,
    /// `CAPABILITY_EXCEEDED`.
    CapabilityExceeded,
    /// `CONSTRAINT_VIOLATION`.
    ConstraintViolation,
    /// `DELEGATION_INVALID`.
    DelegationInvalid,
    /// `DELEGATION_DEPTH_EXCEEDED`.
    DelegationDepthExceeded,
    /// `DISCOVERY_FETCH_FAILED`.
    DiscoveryFetchFailed,
    /// `DISCOVERY_INVALID`.
    DiscoveryInvalid,
    /// `DOMAIN_MISMATCH`.
    DomainMismatch,
    /// `AUDIENCE_MISMATCH`.
    AudienceMismatch,
    /// `ALGORITHM_REJECTED` (any malformed credential, as upstream).
    AlgorithmRejected,
    /// `KEY_PIN_MISMATCH`.
    KeyPinMismatch,
    /// `PIN_STORE_UNAVAILABLE`.
    PinStoreUnavailable,
}

impl ErrorCode {
    /// The upper-snake spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::SignatureInvalid => "SIGNATURE_INVALID",
            Self::KeyNotFound => "KEY_NOT_FOUND",
            Self::KeyExpired => "KEY_EXPIRED",
            Self::KeyRevoked => "KEY_REVOKED",
            Self::CredentialExpired => "CREDENTIAL_EXPIRED",
            Self::CredentialRevoked => "CREDENTIAL_REVOKED",
            Self::AgentNotFound => "AGENT_NOT_FOUND",
            Self::AgentInactive => "AGENT_INACTIVE",
            Self::CapabilityExceeded => "CAPABILITY_EXCEEDED",
            Self::ConstraintViolation => "CONSTRAINT_VIOLATION",
            Self::DelegationInvalid => "DELEGATION_INVALID",
            Self::DelegationDepthExceeded => "DELEGATION_DEPTH_EXCEEDED",
            Self::DiscoveryFetchFailed => "DISCOVERY_FETCH_FAILED",
            Self::DiscoveryInvalid => "DISCOVERY_INVALID",
            Self::DomainMismatch => "DOMAIN_MISMATCH",
            Self::AudienceMismatch => "AUDIENCE_MISMATCH",
            Self::AlgorithmRejected => "ALGORITHM_REJECTED",
            Self::KeyPinMismatch => "KEY_PIN_MISMATCH",
            Self::PinStoreUnavailable => "PIN_STORE_UNAVAILABLE",
        }
    }

    /// Reads either spelling the ecosystem uses (upper or lower case).
    pub fn parse(text: &str) -> Option<Self> {
        ALL.iter().copied().find(|code| code.as_str().eq_ignore_ascii_case(text))
    }
}

const ALL: [ErrorCode; 19] = [
    ErrorCode::SignatureInvalid,
    ErrorCode::KeyNotFound,
    ErrorCode::KeyExpired,
    ErrorCode::KeyRevoked,
    ErrorCode::CredentialExpired,
    ErrorCode::CredentialRevoked,
    ErrorCode::AgentNotFound,
    ErrorCode::AgentInactive,
    ErrorCode::CapabilityExceeded,
    ErrorCode::ConstraintViolation,
    ErrorCode::DelegationInvalid,
    ErrorCode::DelegationDepthExceeded,
    ErrorCode::DiscoveryFetchFailed,
    ErrorCode::DiscoveryInvalid,
    ErrorCode::DomainMismatch,
    ErrorCode::AudienceMismatch,
    ErrorCode::AlgorithmRejected,
    ErrorCode::KeyPinMismatch,
    ErrorCode::PinStoreUnavailable,
];

impl std::fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a credential was refused. [`VerifyError::code`] gives the ecosystem's error code.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum VerifyError {
    /// The credential is longer than the configured cap.
    #[error("credential is {len} bytes, more than the limit of {max}")]
    Oversized {
        /// Its length.
        len: usize,
        /// The cap.
        max: usize,
    },
    /// The credential is not three base64url segments of JSON.
    #[error("malformed credential {part}: {reason}")]
    Malformed {
        /// `header`, `claims` or `token`.
        part: &'static str,
        /// What is wrong.
        reason: String,
    },
    /// The header or claims JSON repeats a key.
    #[error("credential {part} repeats the key `{key}`")]
    DuplicateKey {
        /// `header` or `claims`.
        part: &'static str,
        /// The repeated key.
        key: String,
    },
    /// The header names an algorithm other than ES256 (`none`, `HS256`, …).
    #[error("algorithm `{alg}` is refused; only ES256 is accepted")]
    AlgorithmRejected {
        /// The algorithm named, or `(missing)`.
        alg: String,
    },
    /// The header's `typ` is not `agentpin-credential+jwt`.
    #[error("token type `{typ}` is refused; expected `agentpin-credential+jwt`")]
    TypeRejected {
        /// The type named, or `(missing)`.
        typ: String,
    },
    /// The header carries a member we do not accept, such as `jku`, `jwk`, `x5u` or `crit`.
    #[error("header member `{member}` is refused; keys come only from the issuer's discovery document")]
    HeaderRejected {
        /// The member's name.
        member: String,
    },
    /// The signature bytes are not canonical DER, or are high-`s` where that is refused.
    #[error("credential signature refused: {0}")]
    SignatureEncoding(#[source] SignatureError),
    /// The signature does not verify under the issuer's key.
    #[error("credential signature does not verify under key `{kid}`")]
    SignatureInvalid {
        /// The key tried.
        kid: String,
    },
    /// `exp` is in the past (beyond the allowed clock skew).
    #[error("credential expired at {exp} (now {now})")]
    Expired {
        /// Expiry, Unix seconds.
        exp: i64,
        /// Verification time, Unix seconds.
        now: i64,
    },
    /// `nbf` is in the future (beyond the allowed clock skew).
    #[error("credential is not valid before {nbf} (now {now})")]
    NotYetValid {
        /// Not-before, Unix seconds.
        nbf: i64,
        /// Verification time, Unix seconds.
        now: i64,
    },
    /// `iat` is in the future (beyond the allowed clock skew).
    #[error("credential was issued in the future at {iat} (now {now})")]
    IssuedInFuture {
        /// Issued-at, Unix seconds.
        iat: i64,
        /// Verification time, Unix seconds.
        now: i64,
    },
    /// `exp - iat` exceeds the verifier's or the agent's maximum lifetime.
    #[error("credential lifetime of {lifetime}s exceeds the maximum of {max}s")]
    LifetimeTooLong {
        /// `exp - iat`.
        lifetime: i64,
        /// The maximum that applied.
        max: u64,
    },
    /// A discovery or revocation document could not be obtained.
    #[error("discovery for `{domain}` is unavailable: {source}")]
    DiscoveryUnavailable {
        /// The domain asked for.
        domain: String,
        /// Why.
        #[source]
        source: ResolveError,
    },
    /// A discovery or revocation document was obtained but breaks the protocol.
    #[error("discovery for `{domain}` is invalid: {source}")]
    DiscoveryInvalid {
        /// The domain asked for.
        domain: String,
        /// What is wrong.
        #[source]
        source: DocumentError,
    },
    /// The document describes another entity than the credential's issuer.
    #[error("document for `{expected}` describes `{found}`")]
    DomainMismatch {
        /// The issuer domain.
        expected: String,
        /// The document's `entity`.
        found: String,
    },
    /// The header's `kid` names no key in the issuer's discovery document.
    #[error("key `{kid}` is not published by `{domain}`")]
    KeyNotFound {
        /// The issuer domain.
        domain: String,
        /// The key id asked for.
        kid: String,
    },
    /// The key's published expiry has passed.
    #[error("key `{kid}` expired")]
    KeyExpired {
        /// The key id.
        kid: String,
    },
    /// The key is listed in the issuer's revocation document.
    #[error("key `{kid}` is revoked")]
    KeyRevoked {
        /// The key id.
        kid: String,
    },
    /// The credential's `jti` is listed in the issuer's revocation document.
    #[error("credential `{jti}` is revoked")]
    CredentialRevoked {
        /// The credential id.
        jti: String,
    },
    /// The agent is listed in the issuer's revocation document.
    #[error("agent `{agent_id}` is revoked")]
    AgentRevoked {
        /// The agent id.
        agent_id: String,
    },
    /// The issuer's discovery document declares no agent with the credential's `sub`.
    #[error("agent `{agent_id}` is not declared by `{domain}`")]
    AgentNotFound {
        /// The issuer domain.
        domain: String,
        /// The agent id.
        agent_id: String,
    },
    /// The agent's declared status is not `active`.
    #[error("agent `{agent_id}` is {status}")]
    AgentInactive {
        /// The agent id.
        agent_id: String,
        /// Its declared status.
        status: &'static str,
    },
    /// The credential claims a capability its agent is not declared with.
    #[error("capability `{capability}` exceeds what `{agent_id}` is declared with")]
    CapabilityExceeded {
        /// The agent id.
        agent_id: String,
        /// The first uncovered capability.
        capability: String,
    },
    /// The credential's constraints are looser than its agent's declared defaults.
    #[error("constraint `{constraint}` is looser than the agent's declared default")]
    ConstraintViolation {
        /// The first widened constraint.
        constraint: &'static str,
    },
    /// A delegation chain entry does not hold.
    #[error("delegation entry {index} (`{domain}`) is invalid: {reason}")]
    DelegationInvalid {
        /// Position in the chain, from 0.
        index: usize,
        /// The attesting domain.
        domain: String,
        /// What failed.
        reason: String,
    },
    /// The chain is longer than some document in it allows.
    #[error("delegation chain of length {len} exceeds the allowed depth of {max}")]
    DelegationDepthExceeded {
        /// The chain length.
        len: usize,
        /// The smallest `max_delegation_depth` that applied.
        max: u8,
    },
    /// The domain's key differs from the one pinned on first use.
    #[error("key for `{domain}` changed since it was pinned; re-pin only after confirming the rotation")]
    KeyPinMismatch {
        /// The domain.
        domain: String,
    },
    /// The pin store failed.
    #[error("pin store unavailable: {0}")]
    PinStore(#[source] PinStoreError),
    /// The credential is for another audience.
    #[error("credential audience `{found}` does not match `{expected}`")]
    AudienceMismatch {
        /// The verifier's audience.
        expected: String,
        /// The credential's `aud`.
        found: String,
    },
}

impl VerifyError {
    /// The ecosystem error code for this refusal.
    pub fn code(&self) -> ErrorCode {
        match self {
            Self::Oversized { .. }
            | Self::Malformed { .. }
            | Self::DuplicateKey { .. }
            | Self::AlgorithmRejected { .. }
            | Self::TypeRejected { .. }
            | Self::HeaderRejected { .. } => ErrorCode::AlgorithmRejected,
            Self::SignatureEncoding(_) | Self::SignatureInvalid { .. } => ErrorCode::SignatureInvalid,
            Self::Expired { .. }
            | Self::NotYetValid { .. }
            | Self::IssuedInFuture { .. }
            | Self::LifetimeTooLong { .. } => ErrorCode::CredentialExpired,
            Self::DiscoveryUnavailable { .. } => ErrorCode::DiscoveryFetchFailed,
            Self::DiscoveryInvalid { .. } => ErrorCode::DiscoveryInvalid,
            Self::DomainMismatch { .. } => ErrorCode::DomainMismatch,
            Self::KeyNotFound { .. } => ErrorCode::KeyNotFound,
            Self::KeyExpired { .. } => ErrorCode::KeyExpired,
            Self::KeyRevoked { .. } => ErrorCode::KeyRevoked,
            Self::CredentialRevoked { .. } => ErrorCode::CredentialRevoked,
            Self::AgentRevoked { .. } | Self::AgentInactive { .. } => ErrorCode::AgentInactive,
            Self::AgentNotFound { .. } => ErrorCode::AgentNotFound,
            Self::CapabilityExceeded { .. } => ErrorCode::CapabilityExceeded,
            Self::ConstraintViolation { .. } => ErrorCode::ConstraintViolation,
            Self::DelegationInvalid { .. } => ErrorCode::DelegationInvalid,
            Self::DelegationDepthExceeded { .. } => ErrorCode::DelegationDepthExceeded,
            Self::KeyPinMismatch { .. } => ErrorCode::KeyPinMismatch,
            Self::PinStore(_) => ErrorCode::PinStoreUnavailable,
            Self::AudienceMismatch { .. } => ErrorCode::AudienceMismatch,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip_in_both_spellings() {
        for code in ALL {
            assert_eq!(ErrorCode::parse(code.as_str()), Some(code));
            assert_eq!(ErrorCode::parse(&code.as_str().to_lowercase()), Some(code));
        }
        assert_eq!(ErrorCode::parse("NOPE"), None);
    }
}
