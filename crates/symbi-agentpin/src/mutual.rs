//! Mutual authentication by challenge and response: each side sends a fresh 128-bit nonce, the
//! other signs it with a key its (already verified) credential's domain publishes, and the
//! challenger checks the echo, the age (60 s), the signature and, with a [`NonceStore`], replay.
//!
//! Wire forms are the ecosystem's: `{"type":"agentpin-challenge","nonce","timestamp",
//! "verifier_credential"?}` and `{"type":"agentpin-response","nonce","signature","kid"}`, the
//! signature standard Base64 of DER over the nonce's ASCII text.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use serde::{Deserialize, Serialize};

use crate::json::{self, DocumentError};
use crate::key::{KeyError, SigningKey};
use crate::resolver::{ResolveError, Resolver};
use crate::signature::EcdsaSignature;
use crate::time::UnixTime;
use crate::verify::VerifiedCredential;

/// How long a challenge may be answered, in seconds (the ecosystem's value).
pub(crate) const NONCE_TTL_SECS: i64 = 60;
const MAX_MESSAGE_BYTES: usize = 32 * 1024;
const CHALLENGE_TYPE: &str = "agentpin-challenge";
const RESPONSE_TYPE: &str = "agentpin-response";

/// Why a challenge response was refused.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ChallengeError {
    /// The message is not a valid challenge or response.
    #[error("invalid mutual-authentication message: {0}")]
    Malformed(#[from] DocumentError),
    /// The response echoes another nonce.
    #[error("response answers a different challenge")]
    NonceMismatch,
    /// The challenge is older than 60 seconds, or dated in the future.
    #[error("challenge is {age} seconds old; answer within {NONCE_TTL_SECS}")]
    Expired {
        /// Age in seconds (negative when dated in the future).
        age: i64,
    },
    /// The nonce was already answered.
    #[error("nonce was already used (replay)")]
    Replayed,
    /// The responder's domain publishes no key with the response's `kid`.
    #[error("key `{kid}` is not published by `{domain}`")]
    KeyNotFound {
        /// The responder's domain.
        domain: String,
        /// The key id in the response.
        kid: String,
    },
    /// The responder's discovery document could not be obtained.
    #[error("cannot resolve the responder's keys: {0}")]
    Resolve(#[source] ResolveError),
    /// The signature does not verify.
    #[error("response signature does not verify")]
    SignatureInvalid,
    /// Signing or random generation failed.
    #[error(transparent)]
    Key(#[from] KeyError),
}

/// A challenge: a fresh nonce, its time, and optionally the challenger's own credential.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Challenge {
    nonce: String,
    issued_at: UnixTime,
    timestamp: String,
    verifier_credential: Option<String>,
}

impl Challenge {
    /// A new challenge with 128 random bits.
    ///
    /// Fails only when the system random number generator does.
    pub fn new(verifier_credential: Option<String>, now: UnixTime) -> Result<Self, ChallengeError> {
        let mut bytes = [0u8; 16];
        aws_lc_rs::rand::fill(&mut bytes).map_err(|_| KeyError::Random)?;
        let timestamp = now.to_rfc3339();
        Ok(Self { nonce: URL_SAFE_NO_PAD.encode(bytes), issued_at: now, timestamp, verifier_credential })
    }

    /// Parses a challenge (from Python, `datetime.isoformat()` timestamps are fine).
    ///
    /// Fails on malformed JSON, a wrong `type`, an empty nonce or an unreadable timestamp.
    pub fn from_json(bytes: &[u8]) -> Result<Self, ChallengeError> {
        let wire: ChallengeWire = json::decode(bytes, MAX_MESSAGE_BYTES)?;
        if wire.kind != CHALLENGE_TYPE || wire.nonce.is_empty() {
            return Err(DocumentError::field("type", format!("expected a non-empty `{CHALLENGE_TYPE}`")).into());
        }
        let issued_at = UnixTime::parse_rfc3339(&wire.timestamp)
            .map_err(|_| DocumentError::field("timestamp", "must be an RFC 3339 time"))?;
        Ok(Self {
            nonce: wire.nonce,
            issued_at,
            timestamp: wire.timestamp,
            verifier_credential: wire.verifier_credential,
        })
    }

    /// The challenge as compact JSON.
    pub fn to_json(&self) -> String {
        let wire = ChallengeWire {
            kind: CHALLENGE_TYPE.into(),
            nonce: self.nonce.clone(),
            timestamp: self.timestamp.clone(),
            verifier_credential: self.verifier_credential.clone(),
        };
        serde_json::to_string(&wire).unwrap_or_default()
    }

    /// The nonce.
    pub fn nonce(&self) -> &str {
        &self.nonce
    }

    /// The challenger's credential, for the responder to verify in turn.
    pub fn verifier_credential(&self) -> Option<&str> {
        self.verifier_credential.as_deref()
    }

    /// Answers the challenge by signing its nonce with `key`, published as `kid`.
    ///
    /// Fails only when signing fails.
    pub fn respond(&self, key: &SigningKey, kid: &str) -> Result<Response, ChallengeError> {
        let signature = key.sign_base64(self.nonce.as_bytes())?;
        Ok(Response { nonce: self.nonce.clone(), signature, kid: kid.to_owned() })
    }
}

/// A response: the echoed nonce, its signature and the signing key's id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    nonce: String,
    signature: String,
    kid: String,
}

impl Response {
    /// Parses a response.
    ///
    /// Fails on malformed JSON or a wrong `type`.
    pub fn from_json(bytes: &[u8]) -> Result<Self, ChallengeError> {
        let wire: ResponseWire = json::decode(bytes, MAX_MESSAGE_BYTES)?;
        if wire.kind != RESPONSE_TYPE {
            return Err(DocumentError::field("type", format!("expected `{RESPONSE_TYPE}`")).into());
        }
        Ok(Self { nonce: wire.nonce, signature: wire.signature, kid: wire.kid })
    }

    /// The response as compact JSON.
    pub fn to_json(&self) -> String {
        let wire = ResponseWire {
            kind: RESPONSE_TYPE.into(),
            nonce: self.nonce.clone(),
            signature: self.signature.clone(),
            kid: self.kid.clone(),
        };
        serde_json::to_string(&wire).unwrap_or_default()
    }

    /// The signing key's id.
    pub fn kid(&self) -> &str {
        &self.kid
    }
}

/// Checks `response` to `challenge` from the agent of `responder` (a credential already
/// verified): the key must be published by the credential's domain. With `nonces`, a nonce is
/// accepted once; it is recorded only after the signature verifies, so forged answers cannot
/// burn a genuine one.
///
/// # Errors
/// [`ChallengeError::NonceMismatch`], [`ChallengeError::Expired`], [`ChallengeError::Resolve`],
/// [`ChallengeError::KeyNotFound`], [`ChallengeError::SignatureInvalid`] or
/// [`ChallengeError::Replayed`], checked in that order.
pub fn verify_response(
    challenge: &Challenge,
    response: &Response,
    responder: &VerifiedCredential,
    resolver: &dyn Resolver,
    nonces: Option<&dyn NonceStore>,
    now: UnixTime,
) -> Result<(), ChallengeError> {
    if response.nonce != challenge.nonce {
        return Err(ChallengeError::NonceMismatch);
    }
    let age = now.secs().saturating_sub(challenge.issued_at.secs());
    if !(-NONCE_TTL_SECS..=NONCE_TTL_SECS).contains(&age) {
        return Err(ChallengeError::Expired { age });
    }
    let domain = responder.domain();
    let doc = resolver.discovery(domain).map_err(ChallengeError::Resolve)?;
    let jwk = doc
        .key(&response.kid)
        .ok_or_else(|| ChallengeError::KeyNotFound { domain: domain.to_owned(), kid: response.kid.clone() })?;
    let signature = STANDARD
        .decode(&response.signature)
        .ok()
        .and_then(|der| EcdsaSignature::from_der(&der).ok())
        .ok_or(ChallengeError::SignatureInvalid)?;
    if !jwk.public_key().verifies(challenge.nonce.as_bytes(), &signature) {
        return Err(ChallengeError::SignatureInvalid);
    }
    if let Some(store) = nonces
        && !store.check_and_record(&challenge.nonce, now)
    {
        return Err(ChallengeError::Replayed);
    }
    Ok(())
}

/// Remembers answered nonces for as long as a challenge can be answered (60 seconds).
pub trait NonceStore: Send + Sync {
    /// Records `nonce`; `false` when it was already recorded within the TTL.
    fn check_and_record(&self, nonce: &str, now: UnixTime) -> bool;
}

/// An in-memory [`NonceStore`] that forgets nonces once they can no longer be answered.
#[derive(Debug, Default)]
pub struct MemoryNonceStore {
    seen: Mutex<HashMap<String, UnixTime>>,
}

impl MemoryNonceStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }
}

impl NonceStore for MemoryNonceStore {
    fn check_and_record(&self, nonce: &str, now: UnixTime) -> bool {
        // A poisoned lock holds a valid map; recovering it keeps replay protection working.
        let mut seen = self.seen.lock().unwrap_or_else(PoisonError::into_inner);
        seen.retain(|_, at| at.offset(2 * NONCE_TTL_SECS) >= now);
        // A replay must not refresh the first sighting's time.
        match seen.entry(nonce.to_owned()) {
            std::collections::hash_map::Entry::Occupied(_) => false,
            std::collections::hash_map::Entry::Vacant(slot) => {
                slot.insert(now);
                true
            }
        }
    }
}

#[derive(Serialize, Deserialize)]
struct ChallengeWire {
    #[serde(rename = "type")]
    kind: String,
    nonce: String,
    timestamp: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    verifier_credential: Option<String>,
}

#[derive(Serialize, Deserialize)]
struct ResponseWire {
    #[serde(rename = "type")]
    kind: String,
    nonce: String,
    signature: String,
    kid: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nonces_are_accepted_once_and_forgotten_after_they_expire() {
        let store = MemoryNonceStore::new();
        let t0 = UnixTime::from_secs(1_800_000_000);
        assert!(store.check_and_record("n1", t0));
        assert!(!store.check_and_record("n1", t0.offset(NONCE_TTL_SECS)));
        assert!(store.check_and_record("n2", t0));
        // Past twice the TTL no challenge carrying `n1` can be answered, so it may be dropped.
        assert!(store.check_and_record("n3", t0.offset(3 * NONCE_TTL_SECS)));
        assert_eq!(store.seen.lock().unwrap().len(), 1);
    }

    #[test]
    fn wire_forms_are_the_ecosystems() {
        let challenge = Challenge::new(None, UnixTime::from_secs(1_800_000_000)).unwrap();
        let json: serde_json::Value = serde_json::from_str(&challenge.to_json()).unwrap();
        assert_eq!(json["type"], "agentpin-challenge");
        assert_eq!(json["nonce"].as_str().unwrap().len(), 22, "16 bytes of unpadded base64url");
        assert!(json.get("verifier_credential").is_none());
        let python = r#"{"type":"agentpin-challenge","nonce":"abc","timestamp":"2027-01-15T08:00:00.123456+00:00"}"#;
        assert_eq!(Challenge::from_json(python.as_bytes()).unwrap().nonce(), "abc");
        let wrong = r#"{"type":"agentpin-response","nonce":"abc","timestamp":"2027-01-15T08:00:00Z"}"#;
        assert!(matches!(Challenge::from_json(wrong.as_bytes()), Err(ChallengeError::Malformed(_))));
    }
}
