//! ECDSA P-256 signatures as SchemaPin carries them: DER in standard padded base64.
//!
//! Decoding is strict (minimal DER, `0 < r, s < n`) so a signature has one spelling, and every
//! way it can fail has its own [`SignatureError`]. Schemas and skills sign `SHA-256(bytes)` as
//! the ECDSA message, so the curve digest is a double hash; trust bundles sign the bytes
//! themselves. Both rules live here and nowhere else.

use aws_lc_rs::signature::ParsedPublicKey;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use sha2::{Digest as _, Sha256};
use thiserror::Error;

use crate::key::{KeyError, PublicKey, SigningKey};

/// The P-256 group order n, big-endian.
const ORDER: [u8; 32] = [
    0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xbc, 0xe6, 0xfa,
    0xad, 0xa7, 0x17, 0x9e, 0x84, 0xf3, 0xb9, 0xca, 0xc2, 0xfc, 0x63, 0x25, 0x51,
];
/// ⌊n / 2⌋: an `s` above this is the "high" twin of a valid low-S signature.
const HALF_ORDER: [u8; 32] = [
    0x7f, 0xff, 0xff, 0xff, 0x80, 0x00, 0x00, 0x00, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xde, 0x73, 0x7d,
    0x56, 0xd3, 0x8b, 0xcf, 0x42, 0x79, 0xdc, 0xe5, 0x61, 0x7e, 0x31, 0x92, 0xa8,
];

/// Why a signature was refused.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum SignatureError {
    /// The text is not standard base64 with canonical `=` padding.
    #[error("signature is not standard padded base64")]
    NotBase64,
    /// The bytes are not a DER `SEQUENCE { INTEGER r, INTEGER s }`.
    #[error("signature is not a DER ECDSA signature: {reason}")]
    Malformed {
        /// What was wrong with the structure.
        reason: &'static str,
    },
    /// The bytes are BER but not the one canonical DER spelling (long-form lengths, padded or
    /// negative integers); a second spelling of a signature is refused.
    #[error("signature DER is not canonical: {reason}")]
    NonCanonical {
        /// Which rule was broken.
        reason: &'static str,
    },
    /// `r` or `s` is zero or not below the group order.
    #[error("signature value is out of range for P-256")]
    OutOfRange,
    /// `s` is in the upper half of the group (refused only when low-S is required).
    #[error("signature `s` is not in low-S form")]
    HighS,
    /// The signature is well formed but does not match the data and key.
    #[error("signature does not match the data and key")]
    Mismatch,
}

/// A decoded, structurally valid ECDSA P-256 signature.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signature {
    // INVARIANT (canonical-der): `der` is the minimal DER encoding of `r` and `s`, 0 < r, s < n.
    der: Vec<u8>,
    high_s: bool,
}

impl Signature {
    /// Decodes standard base64 of DER.
    ///
    /// # Errors
    ///
    /// [`SignatureError::NotBase64`], [`SignatureError::Malformed`],
    /// [`SignatureError::NonCanonical`] or [`SignatureError::OutOfRange`].
    pub fn from_base64(text: &str) -> Result<Self, SignatureError> {
        let der = STANDARD.decode(text.trim()).map_err(|_| SignatureError::NotBase64)?;
        Self::from_der(der)
    }

    /// Checks DER bytes strictly.
    ///
    /// # Errors
    ///
    /// As [`Signature::from_base64`], less the base64 case.
    pub fn from_der(der: Vec<u8>) -> Result<Self, SignatureError> {
        let (r, s) = split_der(&der)?;
        for value in [r, s] {
            if value.iter().all(|&b| b == 0) || !less_than(value, &ORDER) {
                return Err(SignatureError::OutOfRange);
            }
        }
        let high_s = !less_than(s, &HALF_ORDER) && s != HALF_ORDER;
        Ok(Self { der, high_s })
    }

    /// The signature as standard padded base64.
    pub fn to_base64(&self) -> String {
        STANDARD.encode(&self.der)
    }

    /// Whether `s` is in the upper half of the group. Python's `cryptography` and Node sign
    /// without normalizing, so about half of the ecosystem's genuine signatures are high-S.
    pub fn is_high_s(&self) -> bool {
        self.high_s
    }

    /// Checks this signature over `message` (hashed once more by ECDSA-SHA256).
    pub(crate) fn verify(&self, key: &ParsedPublicKey, message: &[u8], low_s: LowS) -> Result<(), SignatureError> {
        if self.high_s && low_s == LowS::Require {
            return Err(SignatureError::HighS);
        }
        key.verify_sig(message, &self.der).map_err(|_| SignatureError::Mismatch)
    }
}

/// Whether a verifier refuses high-S signatures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LowS {
    /// Accept either half: required to verify signatures made by the Python and JS packages.
    #[default]
    Accept,
    /// Refuse high-S with [`SignatureError::HighS`], for signers known to normalize (ours do).
    Require,
}

/// Signs canonical schema bytes the ecosystem's way: the ECDSA message is `SHA-256(bytes)`.
/// Our signatures are always low-S.
///
/// # Errors
///
/// [`KeyError::Generation`] if the random source fails.
pub fn sign_hashed(key: &SigningKey, bytes: &[u8]) -> Result<Signature, KeyError> {
    sign_message(key, &Sha256::digest(bytes))
}

/// Verifies a signature made over `SHA-256(bytes)` as message (schemas and skills).
///
/// # Errors
///
/// [`SignatureError::HighS`] (only with [`LowS::Require`]) or [`SignatureError::Mismatch`].
pub fn verify_hashed(key: &PublicKey, bytes: &[u8], signature: &Signature, low_s: LowS) -> Result<(), SignatureError> {
    signature.verify(key.parsed(), &Sha256::digest(bytes), low_s)
}

/// Signs `message` directly with ECDSA-SHA256 (trust bundles), in low-S form.
pub(crate) fn sign_message(key: &SigningKey, message: &[u8]) -> Result<Signature, KeyError> {
    let der = key.sign_der(message)?;
    let (r, s) = split_der(&der).map_err(|_| KeyError::Generation)?;
    let (r, mut s) = (fixed(r), fixed(s));
    if !less_than(&s, &HALF_ORDER) && s != HALF_ORDER {
        s = subtract(&ORDER, &s);
    }
    Signature::from_der(encode_der(&r, &s)).map_err(|_| KeyError::Generation)
}

/// Splits DER into the big-endian magnitudes of `r` and `s`, each at most 32 bytes.
fn split_der(der: &[u8]) -> Result<(&[u8], &[u8]), SignatureError> {
    let malformed = |reason| SignatureError::Malformed { reason };
    let (&tag, rest) = der.split_first().ok_or(malformed("empty"))?;
    if tag != 0x30 {
        return Err(malformed("not a SEQUENCE"));
    }
    let (body, trailing) = read_length(rest)?;
    if !trailing.is_empty() {
        return Err(malformed("bytes after the SEQUENCE"));
    }
    let (r, rest) = read_integer(body)?;
    let (s, rest) = read_integer(rest)?;
    if !rest.is_empty() {
        return Err(malformed("extra data inside the SEQUENCE"));
    }
    Ok((r, s))
}

/// Reads a definite short-form length and returns (content, remainder).
fn read_length(bytes: &[u8]) -> Result<(&[u8], &[u8]), SignatureError> {
    let (&len, rest) = bytes.split_first().ok_or(SignatureError::Malformed { reason: "missing length" })?;
    // Every P-256 signature is under 128 bytes, so DER always uses the one-byte form.
    if len & 0x80 != 0 {
        return Err(SignatureError::NonCanonical { reason: "long-form length" });
    }
    let len = usize::from(len);
    if rest.len() < len {
        return Err(SignatureError::Malformed { reason: "length past the end" });
    }
    Ok(rest.split_at(len))
}

fn read_integer(bytes: &[u8]) -> Result<(&[u8], &[u8]), SignatureError> {
    let (&tag, rest) = bytes.split_first().ok_or(SignatureError::Malformed { reason: "missing INTEGER" })?;
    if tag != 0x02 {
        return Err(SignatureError::Malformed { reason: "not an INTEGER" });
    }
    let (value, rest) = read_length(rest)?;
    let magnitude = match value {
        [] => return Err(SignatureError::Malformed { reason: "empty INTEGER" }),
        [first, ..] if first & 0x80 != 0 => return Err(SignatureError::NonCanonical { reason: "negative INTEGER" }),
        [0, second, ..] if second & 0x80 == 0 => {
            return Err(SignatureError::NonCanonical { reason: "INTEGER with a redundant leading zero" });
        }
        [0, magnitude @ ..] => magnitude,
        magnitude => magnitude,
    };
    if magnitude.len() > 32 {
        return Err(SignatureError::OutOfRange);
    }
    Ok((magnitude, rest))
}

/// Left-pads a magnitude of at most 32 bytes to 32.
fn fixed(magnitude: &[u8]) -> [u8; 32] {
    let mut out = [0u8; 32];
    let start = 32usize.saturating_sub(magnitude.len());
    if let Some(slot) = out.get_mut(start..) {
        slot.copy_from_slice(magnitude.get(..slot.len()).unwrap_or_default());
    }
    out
}

/// Compares a magnitude of at most 32 bytes with a 32-byte bound: `value < bound`.
fn less_than(value: &[u8], bound: &[u8; 32]) -> bool {
    fixed(value) < *bound
}

/// `a - b` for 32-byte big-endian values with `a > b`.
fn subtract(a: &[u8; 32], b: &[u8; 32]) -> [u8; 32] {
    let mut out = [0u8; 32];
    let mut borrow = 0i16;
    for ((o, &x), &y) in out.iter_mut().zip(a).zip(b).rev() {
        let mut d = i16::from(x) - i16::from(y) - borrow;
        borrow = i16::from(d < 0);
        if d < 0 {
            d += 256;
        }
        *o = u8::try_from(d).unwrap_or(0);
    }
    out
}

fn encode_der(r: &[u8; 32], s: &[u8; 32]) -> Vec<u8> {
    let integer = |v: &[u8; 32]| {
        let mut trimmed: Vec<u8> = v.iter().copied().skip_while(|&b| b == 0).collect();
        if trimmed.is_empty() {
            trimmed.push(0);
        }
        let mut out = vec![0x02];
        let pad = trimmed.first().is_some_and(|b| b & 0x80 != 0);
        out.push(u8::try_from(trimmed.len() + usize::from(pad)).unwrap_or(0));
        if pad {
            out.push(0);
        }
        out.extend(trimmed);
        out
    };
    let body = [integer(r), integer(s)].concat();
    let mut der = vec![0x30, u8::try_from(body.len()).unwrap_or(0)];
    der.extend(body);
    der
}

#[cfg(test)]
#[expect(clippy::indexing_slicing, reason = "tests index fixtures of known shape")]
mod tests {
    use super::*;

    fn high_twin(sig: &Signature) -> Signature {
        let (r, s) = split_der(&sig.der).unwrap();
        Signature::from_der(encode_der(&fixed(r), &subtract(&ORDER, &fixed(s)))).unwrap()
    }

    #[test]
    fn signs_low_s_and_verifies_the_double_hash() {
        let key = SigningKey::generate().unwrap();
        for _ in 0..8 {
            let sig = sign_hashed(&key, b"schema").unwrap();
            assert!(!sig.is_high_s());
            verify_hashed(key.public_key(), b"schema", &sig, LowS::Require).unwrap();
            assert_eq!(verify_hashed(key.public_key(), b"schemb", &sig, LowS::Accept), Err(SignatureError::Mismatch));
        }
    }

    #[test]
    fn high_s_twin_is_refused_only_when_low_s_is_required() {
        let key = SigningKey::generate().unwrap();
        let sig = sign_hashed(&key, b"schema").unwrap();
        let twin = high_twin(&sig);
        assert!(twin.is_high_s());
        verify_hashed(key.public_key(), b"schema", &twin, LowS::Accept).unwrap();
        assert_eq!(verify_hashed(key.public_key(), b"schema", &twin, LowS::Require), Err(SignatureError::HighS));
    }

    #[test]
    fn refuses_non_canonical_der() {
        let key = SigningKey::generate().unwrap();
        let der = sign_hashed(&key, b"x").unwrap().der;
        // Long-form sequence length.
        let mut long = vec![0x30, 0x81, der[1]];
        long.extend_from_slice(&der[2..]);
        assert!(matches!(Signature::from_der(long), Err(SignatureError::NonCanonical { .. })));
        // A redundant leading zero on r.
        let r_len = usize::from(der[3]);
        let mut padded = vec![0x30, der[1] + 1, 0x02, der[3] + 1, 0x00];
        padded.extend_from_slice(&der[4..]);
        if der[4] & 0x80 == 0 {
            assert!(matches!(Signature::from_der(padded), Err(SignatureError::NonCanonical { .. })));
        }
        let mut trailing = der.clone();
        trailing.push(0);
        assert!(matches!(Signature::from_der(trailing), Err(SignatureError::Malformed { .. })));
        assert!(r_len <= 33);
        assert_eq!(Signature::from_base64("MEUCIQ"), Err(SignatureError::NotBase64));
    }

    #[test]
    fn refuses_out_of_range_values() {
        let zero = encode_der(&[0; 32], &[1; 32]);
        assert_eq!(Signature::from_der(zero), Err(SignatureError::OutOfRange));
        let n = encode_der(&ORDER, &[1; 32]);
        assert_eq!(Signature::from_der(n), Err(SignatureError::OutOfRange));
    }
}
