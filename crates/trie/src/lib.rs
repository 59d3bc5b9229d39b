//! Compact binary sparse Merkle tree over 256-bit keys, hashed with SHA-256.
//!
//! A subtree holding exactly one leaf is represented by that leaf, so leaves sit at
//! the depth of their shortest unique prefix; the empty subtree hashes to zero.
//! Nodes are immutable and addressed by hash, so every historical root stays
//! readable for as long as its nodes are kept in the [`NodeStore`].
//!
//! The crate is `no_std` + `alloc` and panic-free on bad input because it also runs
//! inside the zkVM guest, where the node store is an untrusted witness.

#![no_std]
#![warn(missing_docs)]

extern crate alloc;

#[cfg(test)]
extern crate std;

mod node;
mod proof;
mod store;
mod update;

#[cfg(test)]
mod tests;

pub use node::{internal_hash, leaf_hash, sha256, value_hash, Node, TrieError, EMPTY_ROOT};
pub use proof::{prove, verify_proof, Proof, ProofError};
pub use store::{MemoryNodeStore, NodeStore, RecordingStore};
pub use update::update;

use alloc::vec::Vec;
use alloy_primitives::B256;

/// Number of key bits, i.e. the maximum depth of the tree.
pub(crate) const KEY_BITS: usize = 256;

/// Bit `i` of `key`, most-significant bit first (0 = left, 1 = right). `i` must be < 256.
#[inline]
pub(crate) fn bit(key: &B256, i: usize) -> u8 {
    (key[i / 8] >> (7 - i % 8)) & 1
}

/// Whether `a` and `b` agree on their first `bits` bits (clamped to 256).
pub(crate) fn shares_prefix(a: &B256, b: &B256, bits: usize) -> bool {
    let bits = bits.min(KEY_BITS);
    let (full, rem) = (bits / 8, bits % 8);
    if a[..full] != b[..full] {
        return false;
    }
    if rem == 0 {
        return true;
    }
    let mask = 0xffu8 << (8 - rem);
    (a[full] ^ b[full]) & mask == 0
}

/// Fetches a node and checks it really hashes to `hash`, because stores (notably
/// zk witnesses) are not trusted to be consistent.
pub(crate) fn fetch<S: NodeStore + ?Sized>(store: &S, hash: &B256) -> Result<Node, TrieError> {
    let node = store.get_node(hash)?.ok_or(TrieError::MissingNode(*hash))?;
    let actual = node.hash();
    if actual != *hash {
        return Err(TrieError::Store(alloc::format!("node returned for {hash} hashes to {actual}")));
    }
    Ok(node)
}

/// Read the value stored under `key` in the tree with root `root`.
pub fn get<S: NodeStore + ?Sized>(store: &S, root: B256, key: &B256) -> Result<Option<Vec<u8>>, TrieError> {
    let mut hash = root;
    let mut depth = 0;
    loop {
        if hash == EMPTY_ROOT {
            return Ok(None);
        }
        match fetch(store, &hash)? {
            Node::Leaf { key: k, value } => return Ok((k == *key).then_some(value)),
            Node::Internal { left, right } => {
                if depth >= KEY_BITS {
                    return Err(TrieError::Decode("trie deeper than 256 levels"));
                }
                hash = if bit(key, depth) == 0 { left } else { right };
                depth += 1;
            }
        }
    }
}
