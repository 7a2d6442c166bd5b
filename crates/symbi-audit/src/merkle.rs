//! The RFC 9162 Merkle tree over every record's entry hash: roots at any past size, inclusion
//! paths and consistency paths. It keeps every complete subtree hash (about two hashes per
//! record), so a root or a proof at any size costs O(log n) lookups, not a rehash of the log.

use crate::hash::{Sha256Hash, node_hash};

/// The tree of a log's leaves, growing one leaf at a time.
#[derive(Debug, Default, Clone)]
pub(crate) struct MerkleTree {
    // INVARIANT (complete-levels): `levels[h][i]` is the hash of the complete subtree of 2^h
    // leaves starting at leaf `i << h`; `levels[0]` holds every leaf, and level h has exactly
    // `len >> h` entries.
    levels: Vec<Vec<Sha256Hash>>,
}

impl MerkleTree {
    /// The number of leaves.
    pub(crate) fn len(&self) -> u64 {
        self.levels.first().map_or(0, |leaves| leaves.len() as u64)
    }

    /// Adds a leaf hash (a record's entry hash).
    pub(crate) fn push(&mut self, leaf: Sha256Hash) {
        let mut carry = leaf;
        let mut height = 0;
        loop {
            if self.levels.len() == height {
                self.levels.push(Vec::new());
            }
            let Some(level) = self.levels.get_mut(height) else { return };
            level.push(carry);
            // INVARIANT (complete-levels): a level with an even count has just completed a
            // subtree one level up; combine its last two nodes.
            if level.len() % 2 == 1 {
                return;
            }
            let (Some(right), Some(left)) = (level.last(), level.iter().rev().nth(1)) else { return };
            carry = node_hash(left, right);
            height += 1;
        }
    }

    /// The root of the first `size` leaves (`SHA-256("")` for size 0), or `None` past the end.
    pub(crate) fn root(&self, size: u64) -> Option<Sha256Hash> {
        if size > self.len() {
            return None;
        }
        if size == 0 {
            return Some(Sha256Hash::digest(b""));
        }
        self.subtree(0, size)
    }

    /// RFC 9162 `PATH(m, D[n])`: the audit path of leaf `index` in the tree of `size` leaves.
    pub(crate) fn inclusion_path(&self, index: u64, size: u64) -> Option<Vec<Sha256Hash>> {
        if index >= size || size > self.len() {
            return None;
        }
        let mut path = Vec::new();
        self.path(index, 0, size, &mut path)?;
        Some(path)
    }

    /// RFC 9162 `PROOF(m, D[n])`: the consistency path from `old_size` to `new_size` leaves.
    pub(crate) fn consistency_path(&self, old_size: u64, new_size: u64) -> Option<Vec<Sha256Hash>> {
        if old_size > new_size || new_size > self.len() {
            return None;
        }
        let mut path = Vec::new();
        if old_size > 0 && old_size < new_size {
            self.subproof(old_size, 0, new_size, true, &mut path)?;
        }
        Some(path)
    }

    /// `MTH(D[lo:hi])` for `lo < hi <= len`.
    fn subtree(&self, lo: u64, hi: u64) -> Option<Sha256Hash> {
        let n = hi.checked_sub(lo).filter(|&n| n > 0)?;
        if n.is_power_of_two() && lo.is_multiple_of(n) {
            // INVARIANT (complete-levels): an aligned power-of-two range is a stored node.
            let height = n.trailing_zeros() as usize;
            return self.levels.get(height)?.get(usize::try_from(lo >> height).ok()?).copied();
        }
        let k = split(n);
        Some(node_hash(&self.subtree(lo, lo + k)?, &self.subtree(lo + k, hi)?))
    }

    fn path(&self, index: u64, lo: u64, hi: u64, out: &mut Vec<Sha256Hash>) -> Option<()> {
        let n = hi - lo;
        if n <= 1 {
            return Some(());
        }
        let k = split(n);
        if index < k {
            self.path(index, lo, lo + k, out)?;
            out.push(self.subtree(lo + k, hi)?);
        } else {
            self.path(index - k, lo + k, hi, out)?;
            out.push(self.subtree(lo, lo + k)?);
        }
        Some(())
    }

    fn subproof(&self, m: u64, lo: u64, hi: u64, whole: bool, out: &mut Vec<Sha256Hash>) -> Option<()> {
        let n = hi - lo;
        if m == n {
            if !whole {
                out.push(self.subtree(lo, hi)?);
            }
            return Some(());
        }
        let k = split(n);
        if m <= k {
            self.subproof(m, lo, lo + k, whole, out)?;
            out.push(self.subtree(lo + k, hi)?);
        } else {
            self.subproof(m - k, lo + k, hi, false, out)?;
            out.push(self.subtree(lo, lo + k)?);
        }
        Some(())
    }
}

/// The largest power of two strictly less than `n` (for `n >= 2`).
fn split(n: u64) -> u64 {
    1 << (63 - (n - 1).leading_zeros())
}

#[cfg(test)]
#[expect(clippy::indexing_slicing, reason = "tests index fixtures whose shape they assert")]
mod tests {
    use super::*;
    use crate::hash::leaf_hash;

    /// `MTH` straight from RFC 9162 section 2.1.1, as the model to compare against.
    fn reference_root(leaves: &[Sha256Hash]) -> Sha256Hash {
        match leaves.len() {
            0 => Sha256Hash::digest(b""),
            1 => leaves[0],
            n => {
                let k = split(n as u64) as usize;
                node_hash(&reference_root(&leaves[..k]), &reference_root(&leaves[k..]))
            }
        }
    }

    #[test]
    fn roots_match_the_rfc_definition_at_every_size() {
        let leaves: Vec<_> = (0u32..70).map(|i| leaf_hash(&i.to_be_bytes())).collect();
        let mut tree = MerkleTree::default();
        for leaf in &leaves {
            tree.push(*leaf);
        }
        for size in 0..=leaves.len() {
            assert_eq!(tree.root(size as u64), Some(reference_root(&leaves[..size])), "size {size}");
        }
        assert_eq!(tree.root(71), None);
    }

    #[test]
    fn split_is_the_largest_smaller_power_of_two() {
        assert_eq!(split(2), 1);
        assert_eq!(split(3), 2);
        assert_eq!(split(4), 2);
        assert_eq!(split(5), 4);
        assert_eq!(split(1 << 40), 1 << 39);
    }

    #[test]
    fn rfc9162_empty_tree_root() {
        assert_eq!(
            MerkleTree::default().root(0).unwrap().to_string(),
            "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
    }
}
