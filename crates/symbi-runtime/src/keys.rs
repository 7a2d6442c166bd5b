//! API keys: tokens of the form `keyid.secret`, stored only as an Argon2id hash of the secret.
//!
//! [`issue`] makes a key; the store keeps the [`StoredKey`]; the caller shows the
//! [`IssuedToken`] once and drops it. The authenticator (`auth`) verifies presented tokens.

use std::fmt;
use std::time::SystemTime;

use argon2::password_hash::rand_core::{OsRng, RngCore};
use argon2::password_hash::{PasswordHasher, SaltString};
use argon2::{Algorithm, Argon2, Params, PasswordHash, PasswordVerifier, Version};
use zeroize::Zeroizing;

use crate::agent::AgentId;

/// Hex characters in a key id (64 bits: ids are unique, not secret).
const KEY_ID_HEX: usize = 16;
/// Bytes of secret (256 bits, shown as 64 hex characters).
const SECRET_BYTES: usize = 32;

/// The id half of a token; safe to log and show.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct KeyId(String);

impl KeyId {
    /// Parses an id as printed by `symbi keys list`.
    pub fn parse(text: &str) -> Option<Self> {
        // INVARIANT (key-id-shape): exactly 16 lowercase hex characters.
        let ok = text.len() == KEY_ID_HEX && text.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
        ok.then(|| Self(text.to_owned()))
    }

    /// The id text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "KeyId({})", self.0)
    }
}

/// What a key may do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyScope {
    /// Everything, including key management and creating agents.
    Admin,
    /// Only the listed agents' read and run routes; never admin routes.
    Agents(Vec<AgentId>),
}

/// A key as the store keeps it: no secret, only its Argon2id hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredKey {
    /// The key's id.
    pub id: KeyId,
    /// PHC string of the Argon2id hash of the secret.
    pub secret_hash: String,
    /// What it may do.
    pub scope: KeyScope,
    /// Free text from its creator.
    pub description: String,
    /// When it was issued.
    pub created_at: SystemTime,
    /// When it was revoked, if it was.
    pub revoked_at: Option<SystemTime>,
}

/// A freshly issued token. It exists only until it has been shown once.
pub struct IssuedToken {
    id: KeyId,
    token: Zeroizing<String>,
}

impl IssuedToken {
    /// The key id.
    pub fn id(&self) -> &KeyId {
        &self.id
    }

    /// The full bearer token `keyid.secret`, to show the operator once.
    pub fn reveal(&self) -> &str {
        &self.token
    }
}

impl fmt::Debug for IssuedToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IssuedToken").field("id", &self.id).field("token", &"<redacted>").finish()
    }
}

/// Makes a new key. Slow on purpose (one Argon2id hash): call it off the async threads.
///
/// Fails only if hashing fails, which means the Argon2 parameters are broken.
pub fn issue(scope: KeyScope, description: &str, now: SystemTime) -> Result<(IssuedToken, StoredKey), KeyError> {
    let mut id_bytes = [0u8; KEY_ID_HEX / 2];
    OsRng.fill_bytes(&mut id_bytes);
    let mut secret_bytes = Zeroizing::new([0u8; SECRET_BYTES]);
    OsRng.fill_bytes(secret_bytes.as_mut());
    let id = KeyId(hex::encode(id_bytes));
    let secret = Zeroizing::new(hex::encode(secret_bytes.as_ref()));
    let salt = SaltString::generate(&mut OsRng);
    let secret_hash = hasher()
        .hash_password(secret.as_bytes(), &salt)
        .map_err(|e| KeyError::Hash { reason: e.to_string() })?
        .to_string();
    let token = Zeroizing::new(format!("{id}.{}", secret.as_str()));
    let stored = StoredKey {
        id: id.clone(),
        secret_hash,
        scope,
        description: description.to_owned(),
        created_at: now,
        revoked_at: None,
    };
    Ok((IssuedToken { id, token }, stored))
}

/// Checks `secret` against a stored hash in constant time (Argon2's own comparison).
/// Slow on purpose: call it off the async threads.
pub(crate) fn verify_secret(secret_hash: &str, secret: &str) -> bool {
    let Ok(parsed) = PasswordHash::new(secret_hash) else {
        return false;
    };
    hasher().verify_password(secret.as_bytes(), &parsed).is_ok()
}

/// Splits a presented token into its id and secret; `None` if it is not `keyid.secret`.
pub(crate) fn split_token(token: &str) -> Option<(KeyId, &str)> {
    let (id, secret) = token.split_once('.')?;
    let ok = secret.len() == SECRET_BYTES * 2 && secret.bytes().all(|b| b.is_ascii_hexdigit());
    Some((KeyId::parse(id)?, secret)).filter(|_| ok)
}

/// Argon2id with the OWASP-recommended floor (19 MiB, 2 passes, 1 lane).
fn hasher() -> Argon2<'static> {
    // The constants are within Argon2's documented bounds, so `new` cannot fail; fall back to the
    // crate default (also Argon2id, stronger memory) rather than panic if that ever changes.
    let params = Params::new(19 * 1024, 2, 1, None).unwrap_or_default();
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// Why a key could not be made.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum KeyError {
    /// The password hasher refused its input.
    #[error("cannot hash the key secret: {reason}")]
    Hash {
        /// The hasher's message.
        reason: String,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn issued_token_verifies_and_others_do_not() {
        let (token, stored) = issue(KeyScope::Admin, "t", SystemTime::now()).unwrap();
        assert!(stored.secret_hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
        let (id, secret) = split_token(token.reveal()).unwrap();
        assert_eq!(&id, token.id());
        assert!(verify_secret(&stored.secret_hash, secret));
        let mut wrong = secret.to_owned();
        wrong.replace_range(0..1, if wrong.starts_with('0') { "1" } else { "0" });
        assert!(!verify_secret(&stored.secret_hash, &wrong));
        assert!(!verify_secret("not a hash", secret));
        assert!(!format!("{token:?}").contains(secret));
    }

    #[test]
    fn malformed_tokens_do_not_split() {
        let secret = "a".repeat(64);
        assert!(split_token(&format!("0123456789abcdef.{secret}")).is_some());
        for bad in [
            String::new(),
            "nodot".to_owned(),
            format!("0123456789ABCDEF.{secret}"),
            format!("0123456789abcde.{secret}"),
            "0123456789abcdef.short".to_owned(),
            format!("0123456789abcdef.{}", "g".repeat(64)),
        ] {
            assert!(split_token(&bad).is_none(), "{bad}");
        }
    }
}
