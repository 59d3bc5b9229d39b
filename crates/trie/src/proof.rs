//! Inclusion / exclusion proofs.

use alloc::vec::Vec;
use alloy_primitives::B256;

use crate::node::leaf_hash_with_value_hash;
use crate::{bit, fetch, internal_hash, shares_prefix, value_hash, Node, NodeStore, TrieError};
use crate::{EMPTY_ROOT, KEY_BITS};

/// Merkle proof for one key: the siblings along its path and what the path ends at.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Proof {
    /// Sibling hashes in root-to-leaf order, one per level walked.
    pub siblings: Vec<B256>,
    /// Leaf at the end of the path as `(leaf key, sha256(value))`; `None` if the path
    /// ends at an empty subtree.
    pub leaf: Option<(B256, B256)>,
}

/// Why a proof failed to verify.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ProofError {
    /// More than 256 siblings, which no valid path can have.
    #[error("proof has {0} siblings, more than 256")]
    TooDeep(usize),
    /// Inclusion was claimed but the path ends at an empty subtree.
    #[error("proof ends at an empty subtree but a value was claimed")]
    MissingLeaf,
    /// Inclusion was claimed but the path ends at a leaf for a different key.
    #[error("proof leaf key {found} differs from queried key")]
    KeyMismatch {
        /// Key of the leaf in the proof.
        found: B256,
    },
    /// Inclusion was claimed but the leaf commits to a different value.
    #[error("proof leaf value hash differs from the claimed value")]
    ValueMismatch,
    /// Exclusion was claimed but the path ends at the key's own leaf.
    #[error("key is present, exclusion claimed")]
    KeyPresent,
    /// Exclusion leaf does not share the path prefix with the queried key.
    #[error("exclusion leaf {found} does not share the first {depth} bits with the key")]
    PrefixMismatch {
        /// Key of the leaf in the proof.
        found: B256,
        /// Number of bits that should have been shared.
        depth: usize,
    },
    /// The recomputed root differs from the expected one.
    #[error("root mismatch: expected {expected}, computed {computed}")]
    RootMismatch {
        /// Root the proof was checked against.
        expected: B256,
        /// Root recomputed from the proof.
        computed: B256,
    },
}

/// Build an inclusion or exclusion proof for `key` under `root`.
pub fn prove<S: NodeStore + ?Sized>(store: &S, root: B256, key: &B256) -> Result<Proof, TrieError> {
    let mut siblings = Vec::new();
    let mut hash = root;
    loop {
        if hash == EMPTY_ROOT {
            return Ok(Proof { siblings, leaf: None });
        }
        match fetch(store, &hash)? {
            Node::Leaf { key: k, value } => return Ok(Proof { siblings, leaf: Some((k, value_hash(&value))) }),
            Node::Internal { left, right } => {
                let depth = siblings.len();
                if depth >= KEY_BITS {
                    return Err(TrieError::Decode("trie deeper than 256 levels"));
                }
                if bit(key, depth) == 0 {
                    siblings.push(right);
                    hash = left;
                } else {
                    siblings.push(left);
                    hash = right;
                }
            }
        }
    }
}

/// Check that `proof` shows `key` maps to `value` (`Some`) or is absent (`None`) under `root`.
pub fn verify_proof(root: B256, key: &B256, value: Option<&[u8]>, proof: &Proof) -> Result<(), ProofError> {
    let depth = proof.siblings.len();
    if depth > KEY_BITS {
        return Err(ProofError::TooDeep(depth));
    }
    let bottom = match (value, proof.leaf) {
        (Some(_), None) => return Err(ProofError::MissingLeaf),
        (Some(v), Some((leaf_key, leaf_value_hash))) => {
            if leaf_key != *key {
                return Err(ProofError::KeyMismatch { found: leaf_key });
            }
            if leaf_value_hash != value_hash(v) {
                return Err(ProofError::ValueMismatch);
            }
            leaf_hash_with_value_hash(&leaf_key, &leaf_value_hash)
        }
        (None, None) => EMPTY_ROOT,
        (None, Some((leaf_key, leaf_value_hash))) => {
            if leaf_key == *key {
                return Err(ProofError::KeyPresent);
            }
            // The other leaf must sit on our path, otherwise it says nothing about `key`.
            if !shares_prefix(&leaf_key, key, depth) {
                return Err(ProofError::PrefixMismatch { found: leaf_key, depth });
            }
            leaf_hash_with_value_hash(&leaf_key, &leaf_value_hash)
        }
    };
    let computed = proof.siblings.iter().enumerate().rev().fold(bottom, |acc, (i, sibling)| {
        if bit(key, i) == 0 {
            internal_hash(&acc, sibling)
        } else {
            internal_hash(sibling, &acc)
        }
    });
    if computed != root {
        return Err(ProofError::RootMismatch { expected: root, computed });
    }
    Ok(())
}
