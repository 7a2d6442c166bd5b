//! SHA-256 digests as a typed value, and the two RFC 9162 hash functions the chain and the
//! Merkle tree share: the leaf hash (`0x00` prefix) and the interior node hash (`0x01` prefix).

use std::fmt;
use std::str::FromStr;

use sha2::{Digest, Sha256};

/// A SHA-256 digest, written `sha256:<64 lowercase hex digits>` in text.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Sha256Hash([u8; 32]);

/// The text prefix of every hash we print or parse.
const PREFIX: &str = "sha256:";

impl Sha256Hash {
    /// The all-zero hash: the `prev_hash` of the first record of a log.
    pub const ZERO: Self = Self([0; 32]);

    /// Wraps 32 raw digest bytes.
    pub const fn from_bytes(bytes: [u8; 32]) -> Self {
        Self(bytes)
    }

    /// The raw digest bytes.
    pub const fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// SHA-256 of `data`, with no domain prefix (used for content addressing).
    pub fn digest(data: &[u8]) -> Self {
        Self(Sha256::digest(data).into())
    }
}

/// RFC 9162 leaf hash: `SHA-256(0x00 ‖ entry)`. A record's `entry_hash` is exactly this value
/// over its canonical encoding, so the chain and the Merkle tree hash each record once.
pub(crate) fn leaf_hash(entry: &[u8]) -> Sha256Hash {
    let mut hasher = Sha256::new();
    hasher.update([0x00]);
    hasher.update(entry);
    Sha256Hash(hasher.finalize().into())
}

/// RFC 9162 interior node hash: `SHA-256(0x01 ‖ left ‖ right)`.
pub(crate) fn node_hash(left: &Sha256Hash, right: &Sha256Hash) -> Sha256Hash {
    let mut hasher = Sha256::new();
    hasher.update([0x01]);
    hasher.update(left.0);
    hasher.update(right.0);
    Sha256Hash(hasher.finalize().into())
}

impl fmt::Display for Sha256Hash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{PREFIX}{}", hex::encode(self.0))
    }
}

impl fmt::Debug for Sha256Hash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

/// The text was not `sha256:` followed by 64 hex digits.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid hash `{text}`: expected `sha256:` followed by 64 hex digits")]
pub struct HashParseError {
    text: String,
}

impl FromStr for Sha256Hash {
    type Err = HashParseError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let error = || HashParseError { text: text.chars().take(80).collect() };
        let digits = text.strip_prefix(PREFIX).ok_or_else(error)?;
        let mut bytes = [0u8; 32];
        hex::decode_to_slice(digits, &mut bytes).map_err(|_| error())?;
        if digits.bytes().any(|b| b.is_ascii_uppercase()) {
            // Lowercase only, so every hash has exactly one text form.
            return Err(error());
        }
        Ok(Self(bytes))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_form_round_trips_and_is_unique() {
        let hash = Sha256Hash::digest(b"abc");
        let text = hash.to_string();
        assert_eq!(text, "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
        assert_eq!(text.parse::<Sha256Hash>().unwrap(), hash);
        assert!(text.to_uppercase().replace("SHA256", "sha256").parse::<Sha256Hash>().is_err());
        assert!("sha256:00".parse::<Sha256Hash>().is_err());
        assert!("md5:00".parse::<Sha256Hash>().is_err());
    }

    #[test]
    fn leaf_and_node_hashes_use_rfc9162_prefixes() {
        // RFC 9162 / RFC 6962 test vector: the hash of the empty leaf.
        assert_eq!(
            leaf_hash(b"").to_string(),
            "sha256:6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"
        );
        let l = leaf_hash(b"l");
        let r = leaf_hash(b"r");
        let mut joined = vec![1u8];
        joined.extend_from_slice(l.as_bytes());
        joined.extend_from_slice(r.as_bytes());
        assert_eq!(node_hash(&l, &r), Sha256Hash::digest(&joined));
    }
}
