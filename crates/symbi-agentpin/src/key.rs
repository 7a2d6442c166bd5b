//! P-256 key pairs: the signing key an issuer keeps (PKCS#8 PEM, as the ecosystem writes it) and
//! the public key everyone else holds (uncompressed point, SPKI PEM, JWK, thumbprint).
//!
//! aws-lc does the curve arithmetic; this module owns the encodings and the low-`s` rule for the
//! signatures we emit.

use std::sync::Arc;

use aws_lc_rs::digest;
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{
    ECDSA_P256_SHA256_FIXED, ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, KeyPair, ParsedPublicKey,
};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use zeroize::Zeroizing;

use crate::signature::EcdsaSignature;

/// The SubjectPublicKeyInfo DER prefix for an uncompressed P-256 point (id-ecPublicKey, prime256v1).
const SPKI_PREFIX: [u8; 26] = [
    0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01, 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce,
    0x3d, 0x03, 0x01, 0x07, 0x03, 0x42, 0x00,
];

/// Why key material was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum KeyError {
    /// The text is not a PEM block with the expected label.
    #[error("expected a PEM `{label}` block")]
    Pem {
        /// The label that was expected, such as `PRIVATE KEY`.
        label: &'static str,
    },
    /// The private key is not an unencrypted PKCS#8 P-256 key.
    #[error("not a PKCS#8 P-256 private key")]
    PrivateKey,
    /// The public key is not a valid point on P-256 in a form we read.
    #[error("not a P-256 public key: {reason}")]
    PublicKey {
        /// What is wrong with it.
        reason: &'static str,
    },
    /// The system random number generator failed.
    #[error("the system random number generator failed")]
    Random,
    /// The signer failed or returned a malformed signature.
    #[error("signing failed")]
    Signing,
}

/// An issuer's P-256 signing key. Never printed, zeroized on drop.
pub struct SigningKey {
    pair: EcdsaKeyPair,
    // The PKCS#8 document we were built from, kept for `to_pkcs8_pem`.
    pkcs8: Zeroizing<Vec<u8>>,
    public: PublicKey,
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SigningKey").field("public", &self.public).finish_non_exhaustive()
    }
}

impl SigningKey {
    /// A fresh random key.
    ///
    /// Fails only when the system random number generator does.
    pub fn generate() -> Result<Self, KeyError> {
        let doc = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &SystemRandom::new())
            .map_err(|_| KeyError::Random)?;
        Self::from_pkcs8_der(doc.as_ref())
    }

    /// Reads an unencrypted PKCS#8 `PRIVATE KEY` PEM block, the form Python `agentpin` writes.
    ///
    /// Fails when the text is not such a block or the key is not on P-256.
    pub fn from_pkcs8_pem(pem: &str) -> Result<Self, KeyError> {
        let der = Zeroizing::new(pem_decode(pem, "PRIVATE KEY")?);
        Self::from_pkcs8_der(&der)
    }

    fn from_pkcs8_der(der: &[u8]) -> Result<Self, KeyError> {
        let pair = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, der).map_err(|_| KeyError::PrivateKey)?;
        let public = PublicKey::from_point(pair.public_key().as_ref())?;
        Ok(Self { pair, pkcs8: Zeroizing::new(der.to_vec()), public })
    }

    /// The key as an unencrypted PKCS#8 PEM block (zeroized when dropped).
    pub fn to_pkcs8_pem(&self) -> Zeroizing<String> {
        Zeroizing::new(pem_encode("PRIVATE KEY", &self.pkcs8))
    }

    /// The matching public key.
    pub fn public_key(&self) -> &PublicKey {
        &self.public
    }

    /// ECDSA-SHA256 over `message`, normalized to low `s`.
    pub(crate) fn sign(&self, message: &[u8]) -> Result<EcdsaSignature, KeyError> {
        let raw = self.pair.sign(&SystemRandom::new(), message).map_err(|_| KeyError::Signing)?;
        let sig = EcdsaSignature::from_fixed(raw.as_ref()).map_err(|_| KeyError::Signing)?;
        Ok(sig.normalized())
    }

    /// Signs `message` and returns standard Base64 (with padding) of the DER signature: the
    /// encoding of attestations and challenge responses.
    pub(crate) fn sign_base64(&self, message: &[u8]) -> Result<String, KeyError> {
        Ok(STANDARD.encode(self.sign(message)?.to_der()))
    }
}

/// A P-256 public key, parsed once so that each verification costs one ECDSA check.
#[derive(Clone)]
pub struct PublicKey {
    point: [u8; 65],
    parsed: Arc<ParsedPublicKey>,
}

impl std::fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("PublicKey").field(&self.thumbprint()).finish()
    }
}

impl PartialEq for PublicKey {
    fn eq(&self, other: &Self) -> bool {
        self.point == other.point
    }
}

impl Eq for PublicKey {}

impl PublicKey {
    /// Builds the key from its affine coordinates (the JWK `x` and `y`).
    ///
    /// Fails when the point is not on the curve.
    pub fn from_coordinates(x: &[u8; 32], y: &[u8; 32]) -> Result<Self, KeyError> {
        let mut point = [0u8; 65];
        point[0] = 0x04;
        point[1..33].copy_from_slice(x);
        point[33..].copy_from_slice(y);
        Self::from_point(&point)
    }

    fn from_point(point: &[u8]) -> Result<Self, KeyError> {
        let point: [u8; 65] =
            point.try_into().map_err(|_| KeyError::PublicKey { reason: "not an uncompressed point" })?;
        if point[0] != 0x04 {
            return Err(KeyError::PublicKey { reason: "not an uncompressed point" });
        }
        let parsed = ParsedPublicKey::new(&ECDSA_P256_SHA256_FIXED, point)
            .map_err(|_| KeyError::PublicKey { reason: "point is not on the curve" })?;
        Ok(Self { point, parsed: Arc::new(parsed) })
    }

    /// Reads a SubjectPublicKeyInfo `PUBLIC KEY` PEM block for P-256.
    ///
    /// Fails when the block is missing or holds another algorithm or curve.
    pub fn from_spki_pem(pem: &str) -> Result<Self, KeyError> {
        let der = pem_decode(pem, "PUBLIC KEY")?;
        let point = der
            .strip_prefix(SPKI_PREFIX.as_slice())
            .ok_or(KeyError::PublicKey { reason: "not a P-256 SubjectPublicKeyInfo" })?;
        Self::from_point(point)
    }

    /// The key as a SubjectPublicKeyInfo PEM block (64-column lines, trailing newline).
    pub fn to_spki_pem(&self) -> String {
        pem_encode("PUBLIC KEY", &self.spki_der())
    }

    fn spki_der(&self) -> Vec<u8> {
        [SPKI_PREFIX.as_slice(), self.point.as_slice()].concat()
    }

    /// The ecosystem's `generate_key_id`: lowercase hex SHA-256 of the SPKI DER, no prefix.
    pub fn key_id(&self) -> String {
        hex(digest::digest(&digest::SHA256, &self.spki_der()).as_ref())
    }

    /// The x coordinate, big-endian.
    pub(crate) fn x(&self) -> &[u8] {
        &self.point[1..33]
    }

    /// The y coordinate, big-endian.
    pub(crate) fn y(&self) -> &[u8] {
        &self.point[33..]
    }

    /// The RFC 7638 JWK thumbprint as lowercase hex, the form AgentPin pins and DNS records use.
    pub fn thumbprint(&self) -> String {
        hex(&crate::jwk::thumbprint_bytes(self))
    }

    /// Whether `signature` is a valid ECDSA-SHA256 signature of `message` under this key.
    pub(crate) fn verifies(&self, message: &[u8], signature: &EcdsaSignature) -> bool {
        self.parsed.verify_sig(message, &signature.to_fixed()).is_ok()
    }
}

/// Lowercase hex.
pub(crate) fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        // Writing to a String cannot fail.
        let _ = write!(out, "{b:02x}");
    }
    out
}

fn pem_decode(text: &str, label: &'static str) -> Result<Vec<u8>, KeyError> {
    let begin = format!("-----BEGIN {label}-----");
    let end = format!("-----END {label}-----");
    let body = text
        .trim()
        .strip_prefix(begin.as_str())
        .and_then(|rest| rest.strip_suffix(end.as_str()))
        .ok_or(KeyError::Pem { label })?;
    let joined: String = body.split_whitespace().collect();
    STANDARD.decode(joined).map_err(|_| KeyError::Pem { label })
}

fn pem_encode(label: &str, der: &[u8]) -> String {
    let b64 = STANDARD.encode(der);
    let mut out = format!("-----BEGIN {label}-----\n");
    for line in b64.as_bytes().chunks(64) {
        out.push_str(&String::from_utf8_lossy(line));
        out.push('\n');
    }
    out.push_str(&format!("-----END {label}-----\n"));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pem_round_trips_and_signatures_are_low_s() {
        let key = SigningKey::generate().unwrap();
        let again = SigningKey::from_pkcs8_pem(&key.to_pkcs8_pem()).unwrap();
        assert_eq!(again.public_key(), key.public_key());
        let public = PublicKey::from_spki_pem(&key.public_key().to_spki_pem()).unwrap();
        assert_eq!(&public, key.public_key());
        for _ in 0..32 {
            let sig = key.sign(b"message").unwrap();
            assert!(!sig.is_high_s());
            assert!(public.verifies(b"message", &sig));
            assert!(!public.verifies(b"massage", &sig));
        }
    }

    #[test]
    fn the_spec_vector_key_id_and_thumbprint() {
        // The `go/schemapin_public.pem` key of the protocol reference.
        let x = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode("g-aix0OfT3YmM1E-s98N6MoGP7C5CvO1BtD5K4KmJgs")
            .unwrap();
        let y = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode("-jdAfizbQn-CILumfeKMiKFR01EOov3I0NZM18dzL9M")
            .unwrap();
        let key = PublicKey::from_coordinates(&x.try_into().unwrap(), &y.try_into().unwrap()).unwrap();
        assert_eq!(key.thumbprint(), "566abc31a09b9aded9020856d324897907646e1b2fde5aef7e35635f960767f4");
        assert_eq!(key.key_id(), "8120d9001e5cb51e54e2910c0e5fe97bf1ed4e699587f5af94e285a9bbafa07d");
    }

    #[test]
    fn off_curve_points_and_foreign_pem_are_refused() {
        assert!(PublicKey::from_coordinates(&[1; 32], &[2; 32]).is_err());
        assert_eq!(SigningKey::from_pkcs8_pem("hello").unwrap_err(), KeyError::Pem { label: "PRIVATE KEY" });
        let debug = format!("{:?}", SigningKey::generate().unwrap());
        assert!(!debug.contains("pkcs8"), "{debug}");
    }
}
