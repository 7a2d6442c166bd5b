//! Signed checkpoints: a tree size, its Merkle root and a time, signed with the log's Ed25519
//! key. The signing key stays in the data directory (`checkpoint.key`, mode 0600); its public
//! half is published beside it as `checkpoint.pub` for outside verifiers.

use std::fmt;
use std::fs;
use std::io::Write;
use std::path::Path;
use std::str::FromStr;

use ed25519_dalek::{Signature, Signer, SigningKey, Verifier, VerifyingKey};
use zeroize::Zeroizing;

use crate::fsutil;
use crate::hash::Sha256Hash;
use crate::proof::{ConsistencyProof, InclusionProof, ProofError};

/// The file holding the private signing key seed (hex), never to leave the data directory.
pub(crate) const KEY_FILE: &str = "checkpoint.key";
/// The file publishing the public key as `ed25519:<hex>`.
pub const PUBLIC_KEY_FILE: &str = "checkpoint.pub";

/// A signed statement that the log had `tree_size` records with Merkle root `root_hash`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkpoint {
    pub(crate) tree_size: u64,
    pub(crate) root_hash: Sha256Hash,
    pub(crate) timestamp_ms: u64,
    pub(crate) signature: [u8; 64],
}

/// The public key that verifies a log's checkpoints, written `ed25519:<64 hex digits>`.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct CheckpointPublicKey(VerifyingKey);

/// A checkpoint or a public key could not be read or did not verify.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CheckpointError {
    /// The public key text is not `ed25519:` and 64 hex digits of a valid point.
    #[error("invalid checkpoint public key: expected `ed25519:` followed by 64 hex digits")]
    InvalidPublicKey,
    /// The checkpoint's signature does not verify under the given key.
    #[error("checkpoint for tree size {tree_size} has a bad signature")]
    BadSignature {
        /// The tree size the checkpoint claims.
        tree_size: u64,
    },
}

impl Checkpoint {
    /// How many records the checkpoint covers.
    pub const fn tree_size(&self) -> u64 {
        self.tree_size
    }

    /// The Merkle root of the first `tree_size` records.
    pub const fn root_hash(&self) -> Sha256Hash {
        self.root_hash
    }

    /// When the checkpoint was signed, in milliseconds since the Unix epoch.
    pub const fn timestamp_ms(&self) -> u64 {
        self.timestamp_ms
    }

    /// The Ed25519 signature over [`Checkpoint::signed_text`].
    pub const fn signature(&self) -> &[u8; 64] {
        &self.signature
    }

    /// The exact bytes the signature covers: four `\n`-terminated lines,
    /// `symbi-audit checkpoint v1`, `tree_size <decimal>`, `root sha256:<hex>`,
    /// `timestamp_ms <decimal>`.
    pub fn signed_text(&self) -> String {
        signed_text(self.tree_size, &self.root_hash, self.timestamp_ms)
    }

    /// Checks the signature under `key`.
    ///
    /// # Errors
    /// [`CheckpointError::BadSignature`] when the checkpoint was not signed by `key` or was
    /// altered after signing.
    pub fn verify_signature(&self, key: &CheckpointPublicKey) -> Result<(), CheckpointError> {
        key.0
            .verify(self.signed_text().as_bytes(), &Signature::from_bytes(&self.signature))
            .map_err(|_| CheckpointError::BadSignature { tree_size: self.tree_size })
    }

    /// Checks that the record with `entry_hash` is in the tree this checkpoint signs.
    ///
    /// # Errors
    /// [`ProofError::SizeMismatch`] when the proof is for another tree size; the errors of
    /// [`InclusionProof::verify`] otherwise (a proof from another log is a root mismatch).
    pub fn verify_inclusion(&self, proof: &InclusionProof, entry_hash: &Sha256Hash) -> Result<(), ProofError> {
        if proof.tree_size() != self.tree_size {
            return Err(ProofError::SizeMismatch { proof_size: proof.tree_size(), checkpoint_size: self.tree_size });
        }
        proof.verify(entry_hash, &self.root_hash)
    }

    /// Checks that this checkpoint's tree is a prefix of `newer`'s.
    ///
    /// # Errors
    /// [`ProofError::SizeMismatch`] when the proof's sizes are not the two checkpoints'; the
    /// errors of [`ConsistencyProof::verify`] otherwise.
    pub fn verify_consistency(&self, newer: &Self, proof: &ConsistencyProof) -> Result<(), ProofError> {
        for (proof_size, checkpoint_size) in [(proof.old_size(), self.tree_size), (proof.new_size(), newer.tree_size)] {
            if proof_size != checkpoint_size {
                return Err(ProofError::SizeMismatch { proof_size, checkpoint_size });
            }
        }
        proof.verify(&self.root_hash, &newer.root_hash)
    }
}

fn signed_text(tree_size: u64, root: &Sha256Hash, timestamp_ms: u64) -> String {
    format!("symbi-audit checkpoint v1\ntree_size {tree_size}\nroot {root}\ntimestamp_ms {timestamp_ms}\n")
}

impl CheckpointPublicKey {
    /// Reads the public key a log publishes in its data directory.
    ///
    /// # Errors
    /// The file cannot be read, or does not hold a key (see [`CheckpointError::InvalidPublicKey`]).
    pub fn read(dir: &Path) -> std::io::Result<Self> {
        let text = fs::read_to_string(dir.join(PUBLIC_KEY_FILE))?;
        text.trim()
            .parse()
            .map_err(|error: CheckpointError| std::io::Error::new(std::io::ErrorKind::InvalidData, error))
    }
}

impl fmt::Display for CheckpointPublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ed25519:{}", hex::encode(self.0.as_bytes()))
    }
}

impl fmt::Debug for CheckpointPublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl FromStr for CheckpointPublicKey {
    type Err = CheckpointError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let digits = text.strip_prefix("ed25519:").ok_or(CheckpointError::InvalidPublicKey)?;
        let mut bytes = [0u8; 32];
        hex::decode_to_slice(digits, &mut bytes).map_err(|_| CheckpointError::InvalidPublicKey)?;
        VerifyingKey::from_bytes(&bytes).map(Self).map_err(|_| CheckpointError::InvalidPublicKey)
    }
}

/// The log's checkpoint signing key. Never printed, zeroized on drop (by `ed25519-dalek`).
pub(crate) struct CheckpointSigner {
    key: SigningKey,
}

impl fmt::Debug for CheckpointSigner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CheckpointSigner").field("public_key", &self.public_key()).finish_non_exhaustive()
    }
}

impl CheckpointSigner {
    /// Loads the key from `dir`, creating it (and publishing its public half) on first use.
    pub(crate) fn load_or_create(dir: &Path) -> std::io::Result<Self> {
        let path = dir.join(KEY_FILE);
        let signer = match fs::read_to_string(&path) {
            Ok(text) => {
                let text = Zeroizing::new(text);
                let mut seed = Zeroizing::new([0u8; 32]);
                hex::decode_to_slice(text.trim(), seed.as_mut()).map_err(|_| {
                    std::io::Error::new(
                        std::io::ErrorKind::InvalidData,
                        format!("checkpoint key `{}` is not 64 hex digits", path.display()),
                    )
                })?;
                Self { key: SigningKey::from_bytes(&seed) }
            }
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
                let mut seed = Zeroizing::new([0u8; 32]);
                getrandom::getrandom(seed.as_mut()).map_err(std::io::Error::other)?;
                let text = Zeroizing::new(format!("{}\n", hex::encode(seed.as_ref())));
                fsutil::write_new_file(dir, KEY_FILE, text.as_bytes(), 0o600)?;
                Self { key: SigningKey::from_bytes(&seed) }
            }
            Err(error) => return Err(error),
        };
        // Publish (or re-publish, if it was lost) the public key; it is derived, so rewriting it
        // is always safe.
        let public = format!("{}\n", signer.public_key());
        if fs::read_to_string(dir.join(PUBLIC_KEY_FILE)).ok().as_deref() != Some(public.as_str()) {
            let mut file = fs::File::create(dir.join(PUBLIC_KEY_FILE))?;
            file.write_all(public.as_bytes())?;
            file.sync_all()?;
        }
        Ok(signer)
    }

    pub(crate) fn public_key(&self) -> CheckpointPublicKey {
        CheckpointPublicKey(self.key.verifying_key())
    }

    pub(crate) fn sign(&self, tree_size: u64, root_hash: Sha256Hash, timestamp_ms: u64) -> Checkpoint {
        let signature = self.key.sign(signed_text(tree_size, &root_hash, timestamp_ms).as_bytes()).to_bytes();
        Checkpoint { tree_size, root_hash, timestamp_ms, signature }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_is_created_once_and_checkpoints_verify_under_the_published_key() {
        let dir = tempfile::tempdir().unwrap();
        let signer = CheckpointSigner::load_or_create(dir.path()).unwrap();
        let again = CheckpointSigner::load_or_create(dir.path()).unwrap();
        assert_eq!(signer.public_key(), again.public_key());
        let published = CheckpointPublicKey::read(dir.path()).unwrap();
        assert_eq!(published, signer.public_key());
        assert!(!format!("{signer:?}").contains(fs::read_to_string(dir.path().join(KEY_FILE)).unwrap().trim()));

        let checkpoint = signer.sign(3, Sha256Hash::digest(b"root"), 1000);
        checkpoint.verify_signature(&published).unwrap();
        let mut forged = checkpoint.clone();
        forged.tree_size = 2;
        assert_eq!(forged.verify_signature(&published), Err(CheckpointError::BadSignature { tree_size: 2 }));
        let other = CheckpointSigner::load_or_create(tempfile::tempdir().unwrap().path()).unwrap();
        assert!(checkpoint.verify_signature(&other.public_key()).is_err());
    }
}
