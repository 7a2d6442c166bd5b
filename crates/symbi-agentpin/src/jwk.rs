//! Public keys as JSON Web Keys, the form discovery documents publish, and their RFC 7638
//! thumbprints, the value key pins and DNS records hold.
//!
//! Reading a JWK is strict: only `kty: EC`, `crv: P-256`, unpadded base64url coordinates of
//! exactly 32 bytes, a point on the curve, and never a private `d` member.

use aws_lc_rs::digest;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};

use crate::json::{self, DocumentError};
use crate::key::{KeyError, PublicKey};
use crate::time::UnixTime;

/// Largest JWK accepted on its own (discovery documents have their own, larger cap).
pub(crate) const MAX_JWK_BYTES: usize = 4 * 1024;

/// A verified public key with the metadata a discovery document publishes about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Jwk {
    kid: String,
    key: PublicKey,
    expires_at: Option<UnixTime>,
    // Computed once: pinning compares it on every verification.
    thumbprint: String,
}

impl Jwk {
    /// A key with no expiry, as the ecosystem's `pem_to_jwk` builds it.
    pub fn new(kid: impl Into<String>, key: PublicKey) -> Self {
        let thumbprint = key.thumbprint();
        Self { kid: kid.into(), key, expires_at: None, thumbprint }
    }

    /// The same key, published with an expiry time.
    pub fn expiring_at(mut self, expires_at: UnixTime) -> Self {
        self.expires_at = Some(expires_at);
        self
    }

    /// Parses one JWK from JSON text.
    ///
    /// Fails on oversized or duplicate-key input and on any key that is not an EC P-256 public key
    /// in canonical encoding.
    pub fn from_json(bytes: &[u8]) -> Result<Self, DocumentError> {
        Self::from_wire(json::decode(bytes, MAX_JWK_BYTES)?)
    }

    /// The JWK as compact JSON, members in the ecosystem's order.
    pub fn to_json(&self) -> String {
        serde_json::to_string(&self.to_wire()).unwrap_or_default()
    }

    /// The key id.
    pub fn kid(&self) -> &str {
        &self.kid
    }

    /// The public key.
    pub fn public_key(&self) -> &PublicKey {
        &self.key
    }

    /// The RFC 7638 thumbprint, lowercase hex.
    pub fn thumbprint(&self) -> &str {
        &self.thumbprint
    }

    /// When the key stops being valid, if the publisher said.
    pub fn expires_at(&self) -> Option<UnixTime> {
        self.expires_at
    }

    pub(crate) fn from_wire(wire: JwkWire) -> Result<Self, DocumentError> {
        let bad = |reason: &str| DocumentError::field("jwk", reason);
        if wire.d.is_some() {
            return Err(bad("a published key must not contain the private member `d`"));
        }
        if wire.kty != "EC" || wire.crv != "P-256" {
            return Err(bad("only `kty` EC with `crv` P-256 is supported"));
        }
        if wire.kid.is_empty() || wire.kid.len() > MAX_KID_LEN {
            return Err(bad("`kid` must be 1 to 256 characters"));
        }
        if wire.use_.as_deref().is_some_and(|u| u != "sig") {
            return Err(bad("`use` must be `sig`"));
        }
        let x = coordinate(&wire.x).ok_or_else(|| bad("`x` must be 32 bytes of unpadded base64url"))?;
        let y = coordinate(&wire.y).ok_or_else(|| bad("`y` must be 32 bytes of unpadded base64url"))?;
        let key = PublicKey::from_coordinates(&x, &y).map_err(|e: KeyError| bad(&e.to_string()))?;
        let expires_at = wire
            .exp
            .as_deref()
            .map(UnixTime::parse_rfc3339)
            .transpose()
            .map_err(|_| bad("`exp` must be an RFC 3339 time"))?;
        Ok(Self { expires_at, ..Self::new(wire.kid, key) })
    }

    pub(crate) fn to_wire(&self) -> JwkWire {
        JwkWire {
            kid: self.kid.clone(),
            kty: "EC".into(),
            crv: "P-256".into(),
            x: URL_SAFE_NO_PAD.encode(self.key.x()),
            y: URL_SAFE_NO_PAD.encode(self.key.y()),
            use_: Some("sig".into()),
            key_ops: Some(vec!["verify".into()]),
            exp: self.expires_at.map(|t| t.to_rfc3339()),
            d: None,
        }
    }
}

/// Key ids are looked up, never interpreted; the cap keeps hostile ids out of logs and memory.
pub(crate) const MAX_KID_LEN: usize = 256;

/// A JWK as it appears on the wire.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct JwkWire {
    pub(crate) kid: String,
    pub(crate) kty: String,
    pub(crate) crv: String,
    pub(crate) x: String,
    pub(crate) y: String,
    #[serde(rename = "use", default, skip_serializing_if = "Option::is_none")]
    pub(crate) use_: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) key_ops: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) exp: Option<String>,
    // Read only to refuse it: a private scalar has no business in a published key.
    #[serde(default, skip_serializing)]
    pub(crate) d: Option<serde::de::IgnoredAny>,
}

fn coordinate(text: &str) -> Option<[u8; 32]> {
    URL_SAFE_NO_PAD.decode(text).ok()?.try_into().ok()
}

/// SHA-256 over `{"crv":"P-256","kty":"EC","x":…,"y":…}` (RFC 7638 member set and order).
pub(crate) fn thumbprint_bytes(key: &PublicKey) -> [u8; 32] {
    let canonical = format!(
        r#"{{"crv":"P-256","kty":"EC","x":"{}","y":"{}"}}"#,
        URL_SAFE_NO_PAD.encode(key.x()),
        URL_SAFE_NO_PAD.encode(key.y())
    );
    let mut out = [0u8; 32];
    out.copy_from_slice(digest::digest(&digest::SHA256, canonical.as_bytes()).as_ref());
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::key::SigningKey;

    fn check(json: &str) -> Result<Jwk, DocumentError> {
        Jwk::from_json(json.as_bytes())
    }

    #[test]
    fn round_trip() {
        let key = SigningKey::generate().unwrap();
        let jwk = Jwk::new("example.com#agent", key.public_key().clone());
        assert_eq!(check(&jwk.to_json()).unwrap(), jwk);
        let text = jwk.to_json();
        assert!(text.starts_with(r#"{"kid":"example.com#agent","kty":"EC","crv":"P-256","x":""#), "{text}");
    }

    #[test]
    fn hostile_keys_are_refused() {
        let key = SigningKey::generate().unwrap();
        let good: serde_json::Value = serde_json::from_str(&Jwk::new("k", key.public_key().clone()).to_json()).unwrap();
        let variants: [(&str, serde_json::Value); 7] = [
            ("kty", "RSA".into()),
            ("crv", "P-384".into()),
            ("x", format!("{}=", good["x"].as_str().unwrap()).into()),
            ("y", "AAAA".into()),
            ("d", "c2VjcmV0".into()),
            ("use", "enc".into()),
            ("kid", "".into()),
        ];
        for (member, value) in variants {
            let mut bad = good.clone();
            bad[member] = value;
            assert!(check(&bad.to_string()).is_err(), "{member}");
        }
    }
}
