//! P-256 keys: SPKI PEM and JWK public keys, PKCS#8 signing keys, and `sha256:` fingerprints.
//!
//! A public key is decoded once into [`PublicKey`], which keeps the SPKI DER (the fingerprint
//! input) and aws-lc's parsed form (so repeated verification skips point decoding).
//! [`crate::signature`] uses both halves; discovery documents produce them.

use std::fmt;

use aws_lc_rs::encoding::AsDer as _;
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{
    ECDSA_P256_SHA256_ASN1, ECDSA_P256_SHA256_ASN1_SIGNING, EcdsaKeyPair, KeyPair as _, ParsedPublicKey,
};
use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use sha2::{Digest as _, Sha256};
use thiserror::Error;
use zeroize::Zeroizing;

/// DER prefix of every SubjectPublicKeyInfo for an uncompressed P-256 point: the
/// `id-ecPublicKey` + `prime256v1` algorithm identifier and the BIT STRING header.
const SPKI_P256_PREFIX: [u8; 26] = [
    0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01, 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce,
    0x3d, 0x03, 0x01, 0x07, 0x03, 0x42, 0x00,
];
const SPKI_LEN: usize = 91;

/// Why a key could not be read.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum KeyError {
    /// The text is not a PEM block of the expected label.
    #[error("not a PEM `{label}` block")]
    NotPem {
        /// The label that was expected (`PUBLIC KEY` or `PRIVATE KEY`).
        label: &'static str,
    },
    /// The key is not an uncompressed P-256 public key in SubjectPublicKeyInfo form.
    #[error("public key is not an uncompressed P-256 SubjectPublicKeyInfo")]
    NotP256,
    /// The point is not on the curve.
    #[error("public key point is not on the P-256 curve")]
    InvalidPoint,
    /// A JWK is not `kty: EC`, `crv: P-256` with 32-byte base64url `x` and `y`.
    #[error("JWK is not an EC P-256 key: {reason}")]
    InvalidJwk {
        /// Which member was wrong.
        reason: &'static str,
    },
    /// The private key is not a P-256 PKCS#8 or SEC1 key.
    #[error("private key is not a P-256 PKCS#8 or SEC1 key")]
    InvalidPrivateKey,
    /// The system random source or key generation failed.
    #[error("key generation failed")]
    Generation,
}

/// A `sha256:<64 lowercase hex>` key fingerprint: SHA-256 of the SPKI DER.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Fingerprint(String);

impl Fingerprint {
    /// Reads a fingerprint, accepting upper-case hex and normalizing it to lower case.
    ///
    /// # Errors
    ///
    /// [`FingerprintError`] when the text is not `sha256:` plus 64 hex digits.
    pub fn parse(text: &str) -> Result<Self, FingerprintError> {
        let hex = text.strip_prefix("sha256:").ok_or_else(|| FingerprintError { text: text.to_owned() })?;
        if hex.len() != 64 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(FingerprintError { text: text.to_owned() });
        }
        Ok(Self(format!("sha256:{}", hex.to_ascii_lowercase())))
    }

    /// The fingerprint text, `sha256:<hex>`.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub(crate) fn of_bytes(bytes: &[u8]) -> Self {
        Self(format!("sha256:{}", hex::encode(Sha256::digest(bytes))))
    }
}

impl fmt::Display for Fingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A fingerprint that is not `sha256:` plus 64 hex digits.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("`{text}` is not a `sha256:<hex>` fingerprint")]
pub struct FingerprintError {
    text: String,
}

/// A P-256 public key, decoded and checked once.
#[derive(Clone)]
pub struct PublicKey {
    // INVARIANT (spki): `spki` is SPKI_P256_PREFIX followed by a point aws-lc accepted.
    spki: [u8; SPKI_LEN],
    parsed: ParsedPublicKey,
    // Computed once: every verification reads it for revocation and pin checks.
    fingerprint: Fingerprint,
}

impl PublicKey {
    /// Reads a `-----BEGIN PUBLIC KEY-----` PEM block.
    ///
    /// # Errors
    ///
    /// [`KeyError::NotPem`], [`KeyError::NotP256`] or [`KeyError::InvalidPoint`].
    pub fn from_pem(pem: &str) -> Result<Self, KeyError> {
        let der = pem_decode(pem, "PUBLIC KEY")?;
        Self::from_spki_der(&der)
    }

    /// Reads SubjectPublicKeyInfo DER; only the uncompressed P-256 form is accepted.
    ///
    /// # Errors
    ///
    /// [`KeyError::NotP256`] or [`KeyError::InvalidPoint`].
    pub fn from_spki_der(der: &[u8]) -> Result<Self, KeyError> {
        let spki: [u8; SPKI_LEN] = der.try_into().map_err(|_| KeyError::NotP256)?;
        if !spki.starts_with(&SPKI_P256_PREFIX) {
            return Err(KeyError::NotP256);
        }
        // aws-lc also takes the hybrid forms (0x06, 0x07); they would give one key two encodings,
        // two fingerprints and two pins. Only the uncompressed form is the key's one spelling.
        if spki.get(SPKI_P256_PREFIX.len()) != Some(&0x04) {
            return Err(KeyError::InvalidPoint);
        }
        let parsed = ParsedPublicKey::new(&ECDSA_P256_SHA256_ASN1, spki).map_err(|_| KeyError::InvalidPoint)?;
        Ok(Self { fingerprint: Fingerprint::of_bytes(&spki), spki, parsed })
    }

    /// Reads the members of an EC JWK (`kty`, `crv`, `x`, `y`, base64url without padding).
    ///
    /// # Errors
    ///
    /// [`KeyError::InvalidJwk`] or [`KeyError::InvalidPoint`].
    pub fn from_jwk(kty: &str, crv: &str, x: &str, y: &str) -> Result<Self, KeyError> {
        if kty != "EC" {
            return Err(KeyError::InvalidJwk { reason: "`kty` must be `EC`" });
        }
        if crv != "P-256" {
            return Err(KeyError::InvalidJwk { reason: "`crv` must be `P-256`" });
        }
        let coordinate = |text: &str| -> Result<[u8; 32], KeyError> {
            let bytes = URL_SAFE_NO_PAD
                .decode(text)
                .map_err(|_| KeyError::InvalidJwk { reason: "coordinate is not base64url" })?;
            bytes.try_into().map_err(|_| KeyError::InvalidJwk { reason: "coordinate is not 32 bytes" })
        };
        let (x, y) = (coordinate(x)?, coordinate(y)?);
        let mut der = SPKI_P256_PREFIX.to_vec();
        der.push(0x04);
        der.extend_from_slice(&x);
        der.extend_from_slice(&y);
        Self::from_spki_der(&der)
    }

    /// The SubjectPublicKeyInfo DER.
    pub fn spki_der(&self) -> &[u8] {
        &self.spki
    }

    /// The key as PEM: 64-column lines, LF, trailing newline, as the ecosystem writes it.
    pub fn to_pem(&self) -> String {
        pem_encode(&self.spki, "PUBLIC KEY")
    }

    /// The `x` and `y` coordinates, base64url without padding, for a JWK.
    pub fn jwk_coordinates(&self) -> (String, String) {
        let point = self.spki.get(SPKI_P256_PREFIX.len() + 1..).unwrap_or_default();
        let (x, y) = point.split_at(point.len() / 2);
        (URL_SAFE_NO_PAD.encode(x), URL_SAFE_NO_PAD.encode(y))
    }

    /// The key's fingerprint, `sha256:` + hex SHA-256 of the SPKI DER.
    pub fn fingerprint(&self) -> &Fingerprint {
        &self.fingerprint
    }

    pub(crate) fn parsed(&self) -> &ParsedPublicKey {
        &self.parsed
    }
}

impl PartialEq for PublicKey {
    fn eq(&self, other: &Self) -> bool {
        self.spki == other.spki
    }
}

impl Eq for PublicKey {}

impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("PublicKey").field(&self.fingerprint().as_str()).finish()
    }
}

/// A P-256 signing key. Its `Debug` shows only the public fingerprint; aws-lc frees and clears
/// the private scalar when it is dropped.
pub struct SigningKey {
    pair: EcdsaKeyPair,
    public: PublicKey,
}

impl SigningKey {
    /// Generates a fresh key from the system random source.
    ///
    /// # Errors
    ///
    /// [`KeyError::Generation`] if the random source fails.
    pub fn generate() -> Result<Self, KeyError> {
        let pair = EcdsaKeyPair::generate(&ECDSA_P256_SHA256_ASN1_SIGNING).map_err(|_| KeyError::Generation)?;
        Self::from_pair(pair)
    }

    /// Reads a PKCS#8 `PRIVATE KEY` or SEC1 `EC PRIVATE KEY` PEM block.
    ///
    /// # Errors
    ///
    /// [`KeyError::NotPem`] or [`KeyError::InvalidPrivateKey`].
    pub fn from_pem(pem: &str) -> Result<Self, KeyError> {
        let der = pem_decode(pem, "PRIVATE KEY")
            .or_else(|_| pem_decode(pem, "EC PRIVATE KEY"))
            .map_err(|_| KeyError::NotPem { label: "PRIVATE KEY" })?;
        let der = Zeroizing::new(der);
        let pair = EcdsaKeyPair::from_private_key_der(&ECDSA_P256_SHA256_ASN1_SIGNING, &der)
            .map_err(|_| KeyError::InvalidPrivateKey)?;
        Self::from_pair(pair)
    }

    fn from_pair(pair: EcdsaKeyPair) -> Result<Self, KeyError> {
        let der = pair.public_key().as_der().map_err(|_| KeyError::Generation)?;
        let public = PublicKey::from_spki_der(der.as_ref())?;
        Ok(Self { pair, public })
    }

    /// The private key as unencrypted PKCS#8 PEM, cleared from memory when dropped.
    ///
    /// # Errors
    ///
    /// [`KeyError::InvalidPrivateKey`] if aws-lc cannot encode the key.
    pub fn to_pkcs8_pem(&self) -> Result<Zeroizing<String>, KeyError> {
        let doc = self.pair.to_pkcs8v1().map_err(|_| KeyError::InvalidPrivateKey)?;
        Ok(Zeroizing::new(pem_encode(doc.as_ref(), "PRIVATE KEY")))
    }

    /// The matching public key.
    pub fn public_key(&self) -> &PublicKey {
        &self.public
    }

    /// Signs `message` with ECDSA-SHA256 and returns the DER signature (not yet low-S).
    pub(crate) fn sign_der(&self, message: &[u8]) -> Result<Vec<u8>, KeyError> {
        let sig = self.pair.sign(&SystemRandom::new(), message).map_err(|_| KeyError::Generation)?;
        Ok(sig.as_ref().to_vec())
    }
}

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SigningKey").field("public", &self.public.fingerprint().as_str()).finish_non_exhaustive()
    }
}

fn pem_decode(pem: &str, label: &'static str) -> Result<Vec<u8>, KeyError> {
    let not_pem = KeyError::NotPem { label };
    let begin = format!("-----BEGIN {label}-----");
    let end = format!("-----END {label}-----");
    let body = pem.trim().strip_prefix(begin.as_str()).and_then(|rest| rest.strip_suffix(end.as_str()));
    let body: String = body.ok_or(not_pem.clone())?.chars().filter(|c| !c.is_ascii_whitespace()).collect();
    STANDARD.decode(body).map_err(|_| not_pem)
}

fn pem_encode(der: &[u8], label: &str) -> String {
    let body = STANDARD.encode(der);
    let mut out = format!("-----BEGIN {label}-----\n");
    for line in body.as_bytes().chunks(64) {
        out.push_str(std::str::from_utf8(line).unwrap_or_default());
        out.push('\n');
    }
    out.push_str(&format!("-----END {label}-----\n"));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const GO_PUBLIC: &str = "-----BEGIN PUBLIC KEY-----\nMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEg+aix0OfT3YmM1E+s98N6MoGP7C5\nCvO1BtD5K4KmJgv6N0B+LNtCf4Igu6Z94oyIoVHTUQ6i/cjQ1kzXx3Mv0w==\n-----END PUBLIC KEY-----\n";

    #[test]
    fn fingerprints_the_spki_der() {
        let key = PublicKey::from_pem(GO_PUBLIC).unwrap();
        assert_eq!(
            key.fingerprint().as_str(),
            "sha256:8120d9001e5cb51e54e2910c0e5fe97bf1ed4e699587f5af94e285a9bbafa07d"
        );
        assert_eq!(key.to_pem(), GO_PUBLIC);
    }

    #[test]
    fn only_the_uncompressed_point_form_is_a_key() {
        // Found by the `schemapin_discovery` fuzz target: the same point in the hybrid form
        // (0x06/0x07) was accepted, giving one key a second encoding and fingerprint.
        let der = PublicKey::from_pem(GO_PUBLIC).unwrap().spki_der().to_vec();
        for tag in [0x06_u8, 0x07, 0x02, 0x00] {
            let mut other = der.clone();
            *other.get_mut(SPKI_P256_PREFIX.len()).unwrap() = tag;
            assert!(matches!(PublicKey::from_spki_der(&other), Err(KeyError::InvalidPoint)), "{tag:#04x}");
        }
    }

    #[test]
    fn jwk_round_trips() {
        let key = PublicKey::from_pem(GO_PUBLIC).unwrap();
        let (x, y) = key.jwk_coordinates();
        assert_eq!(x, "g-aix0OfT3YmM1E-s98N6MoGP7C5CvO1BtD5K4KmJgs");
        assert_eq!(y, "-jdAfizbQn-CILumfeKMiKFR01EOov3I0NZM18dzL9M");
        assert_eq!(PublicKey::from_jwk("EC", "P-256", &x, &y).unwrap(), key);
        assert!(matches!(PublicKey::from_jwk("EC", "P-384", &x, &y), Err(KeyError::InvalidJwk { .. })));
        assert!(matches!(PublicKey::from_jwk("EC", "P-256", &x, &x), Err(KeyError::InvalidPoint)));
    }

    #[test]
    fn signing_keys_round_trip_through_pem() {
        let key = SigningKey::generate().unwrap();
        let pem = key.to_pkcs8_pem().unwrap();
        let again = SigningKey::from_pem(&pem).unwrap();
        assert_eq!(again.public_key(), key.public_key());
        assert!(!format!("{key:?}").contains("PRIVATE"));
    }

    #[test]
    fn reads_sec1_private_keys() {
        // The published bundle-authority demo key, converted to SEC1 by `openssl ec`.
        let sec1 = "-----BEGIN EC PRIVATE KEY-----\nMHcCAQEEIJWJ/0CigfxrbccKLRxGzzfhVq4siUVr7PxUWjGzprAnoAoGCCqGSM49\nAwEHoUQDQgAEg+aix0OfT3YmM1E+s98N6MoGP7C5CvO1BtD5K4KmJgv6N0B+LNtC\nf4Igu6Z94oyIoVHTUQ6i/cjQ1kzXx3Mv0w==\n-----END EC PRIVATE KEY-----\n";
        let key = SigningKey::from_pem(sec1).unwrap();
        assert_eq!(key.public_key(), &PublicKey::from_pem(GO_PUBLIC).unwrap());
        assert_eq!(SigningKey::from_pem(GO_PUBLIC).unwrap_err(), KeyError::NotPem { label: "PRIVATE KEY" });
    }

    #[test]
    fn fingerprints_normalize_case() {
        let upper = format!("sha256:{}", "AB".repeat(32));
        assert_eq!(Fingerprint::parse(&upper).unwrap().as_str(), format!("sha256:{}", "ab".repeat(32)));
        assert!(Fingerprint::parse("sha256:abc").is_err());
        assert!(Fingerprint::parse(&"ab".repeat(32)).is_err());
    }
}
