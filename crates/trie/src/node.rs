//! Node type, hashing and the binary node encoding.

use alloc::{string::String, vec::Vec};
use alloy_primitives::B256;

/// Root (and hash) of the empty tree / empty subtree.
pub const EMPTY_ROOT: B256 = B256::ZERO;

/// Domain-separation tag of leaf hashes and leaf encodings.
const LEAF_TAG: u8 = 0;
/// Domain-separation tag of internal-node hashes and encodings.
const INTERNAL_TAG: u8 = 1;

/// Errors from reading or updating the tree.
#[derive(Debug, thiserror::Error)]
pub enum TrieError {
    /// A node referenced by the tree is not in the store (e.g. incomplete witness).
    #[error("missing trie node {0}")]
    MissingNode(B256),
    /// A node's bytes or the tree's shape are malformed.
    #[error("malformed trie node: {0}")]
    Decode(&'static str),
    /// The underlying store failed or returned inconsistent data.
    #[error("node store error: {0}")]
    Store(String),
}

/// A tree node; nodes are immutable and identified by their [`Node::hash`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Node {
    /// A single key/value pair standing for a whole subtree.
    Leaf {
        /// Full 256-bit key.
        key: B256,
        /// Raw value bytes.
        value: Vec<u8>,
    },
    /// A node with two child hashes (either may be [`EMPTY_ROOT`], never both).
    Internal {
        /// Hash of the child on the 0-bit side.
        left: B256,
        /// Hash of the child on the 1-bit side.
        right: B256,
    },
}

impl Node {
    /// Content hash of this node (its address in the store).
    pub fn hash(&self) -> B256 {
        match self {
            Node::Leaf { key, value } => leaf_hash(key, value),
            Node::Internal { left, right } => internal_hash(left, right),
        }
    }

    /// Compact encoding: `0 || key || value` for leaves, `1 || left || right` for internals.
    pub fn encode(&self) -> Vec<u8> {
        match self {
            Node::Leaf { key, value } => {
                let mut out = Vec::with_capacity(33 + value.len());
                out.push(LEAF_TAG);
                out.extend_from_slice(key.as_slice());
                out.extend_from_slice(value);
                out
            }
            Node::Internal { left, right } => {
                let mut out = Vec::with_capacity(65);
                out.push(INTERNAL_TAG);
                out.extend_from_slice(left.as_slice());
                out.extend_from_slice(right.as_slice());
                out
            }
        }
    }

    /// Inverse of [`Node::encode`]; rejects truncated, oversized or unknown input.
    pub fn decode(bytes: &[u8]) -> Result<Node, TrieError> {
        let (&tag, rest) = bytes.split_first().ok_or(TrieError::Decode("empty node encoding"))?;
        match tag {
            LEAF_TAG => {
                if rest.len() < 32 {
                    return Err(TrieError::Decode("truncated leaf key"));
                }
                let (key, value) = rest.split_at(32);
                Ok(Node::Leaf { key: B256::from_slice(key), value: value.to_vec() })
            }
            INTERNAL_TAG => {
                if rest.len() != 64 {
                    return Err(TrieError::Decode("internal node must be 65 bytes"));
                }
                let (left, right) = rest.split_at(32);
                Ok(Node::Internal { left: B256::from_slice(left), right: B256::from_slice(right) })
            }
            _ => Err(TrieError::Decode("unknown node tag")),
        }
    }
}

/// SHA-256 of the concatenation of `parts`: the one hash function of the tree and its keys. Inside the
/// OpenVM guest (feature `openvm`) it runs on OpenVM's SHA-256 instruction, elsewhere on the `sha2` crate.
pub fn sha256(parts: &[&[u8]]) -> B256 {
    #[cfg(all(feature = "openvm", target_os = "zkvm"))]
    {
        let mut h = openvm_sha2::Sha256::new();
        for part in parts {
            h.update(part);
        }
        B256::from(h.finalize())
    }
    #[cfg(not(all(feature = "openvm", target_os = "zkvm")))]
    {
        use sha2::Digest;
        let mut h = sha2::Sha256::new();
        for part in parts {
            h.update(part);
        }
        B256::from(<[u8; 32]>::from(h.finalize()))
    }
}

/// `sha256(value)`, the value commitment stored in leaf hashes and proofs.
pub fn value_hash(value: &[u8]) -> B256 {
    sha256(&[value])
}

/// Leaf hash from a precomputed value hash, so proofs need not carry the value.
pub(crate) fn leaf_hash_with_value_hash(key: &B256, value_hash: &B256) -> B256 {
    sha256(&[&[LEAF_TAG], key.as_slice(), value_hash.as_slice()])
}

/// Leaf hash: `sha256(0x00 || key || sha256(value))`.
pub fn leaf_hash(key: &B256, value: &[u8]) -> B256 {
    leaf_hash_with_value_hash(key, &value_hash(value))
}

/// Internal-node hash: `sha256(0x01 || left || right)`.
pub fn internal_hash(left: &B256, right: &B256) -> B256 {
    sha256(&[&[INTERNAL_TAG], left.as_slice(), right.as_slice()])
}
