//! Inclusion and consistency proofs: their binary form (what the fuzz target decodes) and the
//! RFC 9162 verification algorithms (sections 2.1.3.2 and 2.1.4.2), which need nothing but the
//! proof, the hashes and the roots — an outside verifier can run them offline.

use crate::hash::{Sha256Hash, node_hash};

/// The most hashes a proof may carry: a tree of 2^64 leaves needs at most 64 (consistency: 65).
const MAX_PATH: usize = 65;

/// Proves that a record (leaf) is in a tree of a given size.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InclusionProof {
    leaf_index: u64,
    tree_size: u64,
    path: Vec<Sha256Hash>,
}

/// Proves that the tree of `old_size` leaves is a prefix of the tree of `new_size` leaves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsistencyProof {
    old_size: u64,
    new_size: u64,
    path: Vec<Sha256Hash>,
}

/// A proof did not verify, or its bytes did not decode.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ProofError {
    /// The proof is for a tree of another size than the checkpoint it is checked against.
    #[error("proof is for a tree of {proof_size} records, but the checkpoint covers {checkpoint_size}")]
    SizeMismatch {
        /// The tree size the proof names.
        proof_size: u64,
        /// The tree size of the checkpoint.
        checkpoint_size: u64,
    },
    /// The proof's shape does not fit its sizes (wrong path length, index past the end).
    #[error("proof is malformed: {why}")]
    Malformed {
        /// What is wrong.
        why: &'static str,
    },
    /// The proof leads to another root: the record or the tree is not the one claimed.
    #[error("proof does not lead to the expected root hash")]
    RootMismatch,
}

impl InclusionProof {
    pub(crate) const fn new(leaf_index: u64, tree_size: u64, path: Vec<Sha256Hash>) -> Self {
        Self { leaf_index, tree_size, path }
    }

    /// The leaf's index (the record's sequence number).
    pub const fn leaf_index(&self) -> u64 {
        self.leaf_index
    }

    /// The size of the tree the proof is for.
    pub const fn tree_size(&self) -> u64 {
        self.tree_size
    }

    /// The audit path, leaf to root.
    pub fn path(&self) -> &[Sha256Hash] {
        &self.path
    }

    /// Checks that `leaf` (a record's entry hash) is at this proof's index in the tree whose
    /// root is `root` (RFC 9162 section 2.1.3.2).
    ///
    /// # Errors
    /// [`ProofError::Malformed`] when the index is outside the tree or the path has the wrong
    /// length; [`ProofError::RootMismatch`] when the path leads elsewhere.
    pub fn verify(&self, leaf: &Sha256Hash, root: &Sha256Hash) -> Result<(), ProofError> {
        if self.leaf_index >= self.tree_size {
            return Err(ProofError::Malformed { why: "leaf index is outside the tree" });
        }
        let mut f = self.leaf_index;
        let mut s = self.tree_size - 1;
        let mut r = *leaf;
        for p in &self.path {
            if s == 0 {
                return Err(ProofError::Malformed { why: "path is longer than the tree is deep" });
            }
            if f & 1 == 1 || f == s {
                r = node_hash(p, &r);
                while f & 1 == 0 && f != 0 {
                    f >>= 1;
                    s >>= 1;
                }
            } else {
                r = node_hash(&r, p);
            }
            f >>= 1;
            s >>= 1;
        }
        if s != 0 {
            return Err(ProofError::Malformed { why: "path is shorter than the tree is deep" });
        }
        if r == *root { Ok(()) } else { Err(ProofError::RootMismatch) }
    }

    /// The binary form: `0x01`, leaf index and tree size (`u64` big-endian), path length (`u8`),
    /// then each 32-byte hash.
    pub fn to_bytes(&self) -> Vec<u8> {
        encode(1, self.leaf_index, self.tree_size, &self.path)
    }

    /// Decodes [`InclusionProof::to_bytes`] output.
    ///
    /// # Errors
    /// [`ProofError::Malformed`] for a wrong tag, a wrong length or an overlong path.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, ProofError> {
        decode(1, bytes).map(|(leaf_index, tree_size, path)| Self { leaf_index, tree_size, path })
    }
}

impl ConsistencyProof {
    pub(crate) const fn new(old_size: u64, new_size: u64, path: Vec<Sha256Hash>) -> Self {
        Self { old_size, new_size, path }
    }

    /// The size of the older tree.
    pub const fn old_size(&self) -> u64 {
        self.old_size
    }

    /// The size of the newer tree.
    pub const fn new_size(&self) -> u64 {
        self.new_size
    }

    /// The consistency path.
    pub fn path(&self) -> &[Sha256Hash] {
        &self.path
    }

    /// Checks that the tree with root `old_root` is a prefix of the tree with root `new_root`
    /// (RFC 9162 section 2.1.4.2).
    ///
    /// # Errors
    /// [`ProofError::Malformed`] when the sizes are out of order or the path has the wrong length;
    /// [`ProofError::RootMismatch`] when either root is not reproduced.
    pub fn verify(&self, old_root: &Sha256Hash, new_root: &Sha256Hash) -> Result<(), ProofError> {
        let (first, second) = (self.old_size, self.new_size);
        if first > second {
            return Err(ProofError::Malformed { why: "old tree is larger than the new tree" });
        }
        if first == second || first == 0 {
            // Equal trees need no path; the empty tree is a prefix of every tree.
            if !self.path.is_empty() {
                return Err(ProofError::Malformed { why: "path must be empty" });
            }
            return if first == 0 || old_root == new_root { Ok(()) } else { Err(ProofError::RootMismatch) };
        }
        let mut path = self.path.iter().copied();
        let seed = if first.is_power_of_two() { Some(*old_root) } else { path.next() };
        let Some(seed) = seed else {
            return Err(ProofError::Malformed { why: "path is empty" });
        };
        let mut f = first - 1;
        let mut s = second - 1;
        while f & 1 == 1 {
            f >>= 1;
            s >>= 1;
        }
        let (mut fr, mut sr) = (seed, seed);
        for c in path {
            if s == 0 {
                return Err(ProofError::Malformed { why: "path is longer than the tree is deep" });
            }
            if f & 1 == 1 || f == s {
                fr = node_hash(&c, &fr);
                sr = node_hash(&c, &sr);
                while f & 1 == 0 && f != 0 {
                    f >>= 1;
                    s >>= 1;
                }
            } else {
                sr = node_hash(&sr, &c);
            }
            f >>= 1;
            s >>= 1;
        }
        if s != 0 {
            return Err(ProofError::Malformed { why: "path is shorter than the tree is deep" });
        }
        if fr == *old_root && sr == *new_root { Ok(()) } else { Err(ProofError::RootMismatch) }
    }

    /// The binary form: `0x02`, old and new size (`u64` big-endian), path length (`u8`), then
    /// each 32-byte hash.
    pub fn to_bytes(&self) -> Vec<u8> {
        encode(2, self.old_size, self.new_size, &self.path)
    }

    /// Decodes [`ConsistencyProof::to_bytes`] output.
    ///
    /// # Errors
    /// [`ProofError::Malformed`] for a wrong tag, a wrong length or an overlong path.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, ProofError> {
        decode(2, bytes).map(|(old_size, new_size, path)| Self { old_size, new_size, path })
    }
}

fn encode(tag: u8, a: u64, b: u64, path: &[Sha256Hash]) -> Vec<u8> {
    let mut out = Vec::with_capacity(18 + 32 * path.len());
    out.push(tag);
    out.extend_from_slice(&a.to_be_bytes());
    out.extend_from_slice(&b.to_be_bytes());
    // Proofs are built from trees of at most 2^64 leaves, so the path never exceeds MAX_PATH.
    out.push(u8::try_from(path.len()).unwrap_or(u8::MAX));
    for hash in path {
        out.extend_from_slice(hash.as_bytes());
    }
    out
}

fn decode(tag: u8, bytes: &[u8]) -> Result<(u64, u64, Vec<Sha256Hash>), ProofError> {
    let malformed = |why| ProofError::Malformed { why };
    let (&found, rest) = bytes.split_first().ok_or(malformed("proof is empty"))?;
    if found != tag {
        return Err(malformed("proof has the wrong type tag"));
    }
    let (a, rest) = rest.split_first_chunk::<8>().ok_or(malformed("proof ends early"))?;
    let (b, rest) = rest.split_first_chunk::<8>().ok_or(malformed("proof ends early"))?;
    let (&count, rest) = rest.split_first().ok_or(malformed("proof ends early"))?;
    let count = usize::from(count);
    if count > MAX_PATH {
        return Err(malformed("proof path is longer than any tree is deep"));
    }
    if rest.len() != count * 32 {
        return Err(malformed("proof path length does not match its hashes"));
    }
    let path = rest
        .chunks_exact(32)
        .map(|chunk| <[u8; 32]>::try_from(chunk).map(Sha256Hash::from_bytes))
        .collect::<Result<_, _>>()
        .map_err(|_| malformed("proof path length does not match its hashes"))?;
    Ok((u64::from_be_bytes(*a), u64::from_be_bytes(*b), path))
}

#[cfg(test)]
mod tests;
