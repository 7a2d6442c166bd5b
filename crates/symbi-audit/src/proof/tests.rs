#![expect(clippy::indexing_slicing, reason = "tests index fixtures whose shape they assert")]
use proptest::prelude::*;

use super::*;
use crate::hash::leaf_hash;
use crate::merkle::MerkleTree;

fn tree(size: u64, salt: u8) -> MerkleTree {
    let mut tree = MerkleTree::default();
    for i in 0..size {
        let mut entry = i.to_be_bytes().to_vec();
        entry.push(salt);
        tree.push(leaf_hash(&entry));
    }
    tree
}

fn leaf(i: u64, salt: u8) -> Sha256Hash {
    let mut entry = i.to_be_bytes().to_vec();
    entry.push(salt);
    leaf_hash(&entry)
}

#[test]
fn every_inclusion_and_consistency_proof_of_small_trees_verifies() {
    let full = tree(33, 0);
    for size in 1..=33 {
        let root = full.root(size).unwrap();
        for index in 0..size {
            let proof = InclusionProof::new(index, size, full.inclusion_path(index, size).unwrap());
            proof.verify(&leaf(index, 0), &root).unwrap();
            assert_eq!(proof.verify(&leaf(index, 1), &root), Err(ProofError::RootMismatch));
        }
        for old in 0..=size {
            let proof = ConsistencyProof::new(old, size, full.consistency_path(old, size).unwrap());
            proof.verify(&full.root(old).unwrap(), &root).unwrap();
        }
    }
}

#[test]
fn a_proof_for_a_different_tree_is_rejected() {
    let ours = tree(100, 0);
    let theirs = tree(100, 1);
    let proof = InclusionProof::new(42, 100, ours.inclusion_path(42, 100).unwrap());
    assert_eq!(proof.verify(&leaf(42, 0), &theirs.root(100).unwrap()), Err(ProofError::RootMismatch));
    // The same proof claimed for another tree size no longer fits.
    let resized = InclusionProof::new(42, 64, proof.path().to_vec());
    assert!(resized.verify(&leaf(42, 0), &ours.root(64).unwrap()).is_err());
    let consistency = ConsistencyProof::new(50, 100, ours.consistency_path(50, 100).unwrap());
    assert_eq!(consistency.verify(&theirs.root(50).unwrap(), &ours.root(100).unwrap()), Err(ProofError::RootMismatch));
    assert!(consistency.verify(&ours.root(50).unwrap(), &theirs.root(100).unwrap()).is_err());
}

#[test]
fn inclusion_proof_at_a_million_records_is_under_one_kib() {
    let size = 1_000_000u64;
    // Distinct leaf values are all the tree needs; skipping the leaf hashing keeps this quick.
    let leaf = |i: u64| {
        let mut bytes = [0u8; 32];
        bytes[..8].copy_from_slice(&i.to_be_bytes());
        Sha256Hash::from_bytes(bytes)
    };
    let mut full = MerkleTree::default();
    (0..size).for_each(|i| full.push(leaf(i)));
    let root = full.root(size).unwrap();
    for index in [0, 524_287, 999_999] {
        let proof = InclusionProof::new(index, size, full.inclusion_path(index, size).unwrap());
        proof.verify(&leaf(index), &root).unwrap();
        assert!(proof.to_bytes().len() <= 1024, "{} bytes", proof.to_bytes().len());
    }
}

#[test]
fn decoders_reject_malformed_bytes() {
    let proof = InclusionProof::new(1, 3, vec![Sha256Hash::digest(b"a"), Sha256Hash::digest(b"b")]);
    let bytes = proof.to_bytes();
    assert_eq!(InclusionProof::from_bytes(&bytes).unwrap(), proof);
    assert!(ConsistencyProof::from_bytes(&bytes).is_err());
    for cut in 0..bytes.len() {
        assert!(InclusionProof::from_bytes(&bytes[..cut]).is_err());
    }
    let mut long = bytes;
    long.push(0);
    assert!(InclusionProof::from_bytes(&long).is_err());
}

proptest! {
    #[test]
    fn random_trees_prove_inclusion_and_consistency(size in 1u64..600, index_seed in any::<u64>(), old_seed in any::<u64>(), salt in any::<u8>()) {
        let full = tree(size, salt);
        let index = index_seed % size;
        let root = full.root(size).unwrap();
        let proof = InclusionProof::new(index, size, full.inclusion_path(index, size).unwrap());
        let decoded = InclusionProof::from_bytes(&proof.to_bytes()).unwrap();
        prop_assert_eq!(&decoded, &proof);
        prop_assert!(decoded.verify(&leaf(index, salt), &root).is_ok());
        // Any other leaf, or any flipped path hash, fails.
        prop_assert!(proof.verify(&leaf((index + 1) % size, salt), &root).is_err() || size == 1);
        if let Some(first) = proof.path().first() {
            let mut path = proof.path().to_vec();
            path[0] = Sha256Hash::digest(first.as_bytes());
            prop_assert!(InclusionProof::new(index, size, path).verify(&leaf(index, salt), &root).is_err());
        }
        let old = old_seed % (size + 1);
        let consistency = ConsistencyProof::new(old, size, full.consistency_path(old, size).unwrap());
        let decoded = ConsistencyProof::from_bytes(&consistency.to_bytes()).unwrap();
        prop_assert!(decoded.verify(&full.root(old).unwrap(), &root).is_ok());
        if old > 0 && old < size {
            let other = tree(size, salt.wrapping_add(1));
            prop_assert!(decoded.verify(&other.root(old).unwrap(), &root).is_err());
        }
    }
}
