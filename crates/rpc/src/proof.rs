//! `mosaic_getProof`: Merkle proofs of accounts and storage slots against a block's `stateRoot`.
//!
//! The proof format is the state tree's own: `siblings` from the root down to the key's position, and
//! the leaf found there (`null` for an empty subtree). Leaves hash as `sha256(0x00 || key ||
//! sha256(value))`, inner nodes as `sha256(0x01 || left || right)`, empty subtrees as 32 zero bytes; key
//! bits are read most significant first, 0 = left. Account values are `nonce (8 BE) || balance (32 BE) ||
//! codeHash (32)`, storage values the 32-byte big-endian word.
use crate::error::{internal, rpc_err, RESOURCE_NOT_FOUND};
use alloy_primitives::{Address, Bytes, B256, U256, U64};
use jsonrpsee::types::ErrorObjectOwned;
use mosaic_node::Node;
use mosaic_primitives::{account_key, storage_key};
use serde::{Deserialize, Serialize};

/// A tree proof as JSON.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct TreeProof {
    /// Sibling hashes from the root down.
    pub siblings: Vec<B256>,
    /// The leaf at the end of the path, if any: its key and `sha256(value)`.
    pub leaf: Option<ProofLeaf>,
}

/// The leaf a proof path ends at.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct ProofLeaf {
    /// The leaf's key (equals the queried key for an inclusion proof).
    pub key: B256,
    /// sha256 of the leaf's value.
    pub value_hash: B256,
}

/// An account's fields.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct AccountFields {
    /// Nonce.
    pub nonce: U64,
    /// Balance.
    pub balance: U256,
    /// keccak256 of the code.
    pub code_hash: B256,
}

/// Proof of one storage slot.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct StorageProof {
    /// The slot.
    pub slot: U256,
    /// Its tree key.
    pub key: B256,
    /// Its value (zero if absent).
    pub value: U256,
    /// The proof.
    pub proof: TreeProof,
}

/// Response of `mosaic_getProof`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct ProofResponse {
    /// The account.
    pub address: Address,
    /// Block the proof is against.
    pub block_number: U64,
    /// That block's `stateRoot`.
    pub state_root: B256,
    /// Tree key of the account.
    pub account_key: B256,
    /// The account, `null` if it does not exist.
    pub account: Option<AccountFields>,
    /// Encoded account leaf value (`null` if absent).
    pub account_value: Option<Bytes>,
    /// Proof of the account.
    pub account_proof: TreeProof,
    /// Proofs of the requested slots.
    pub storage_proof: Vec<StorageProof>,
}

fn tree_proof(p: mosaic_trie::Proof) -> TreeProof {
    TreeProof { siblings: p.siblings, leaf: p.leaf.map(|(key, value_hash)| ProofLeaf { key, value_hash }) }
}

/// Builds the proofs for `address` and `slots` at block `number`.
pub fn account_proof(
    node: &Node,
    address: Address,
    slots: &[U256],
    number: u64,
) -> Result<ProofResponse, ErrorObjectOwned> {
    if slots.len() > 1024 {
        return Err(crate::error::invalid_params("at most 1024 storage slots per proof"));
    }
    let nodes =
        node.state_tree_at(number).map_err(internal)?.ok_or_else(|| rpc_err(RESOURCE_NOT_FOUND, "header not found"))?;
    let root = nodes.root();
    let akey = account_key(&address);
    let value = mosaic_trie::get(&nodes, root, &akey).map_err(internal)?;
    let account = match &value {
        Some(v) => {
            let leaf = mosaic_primitives::AccountLeaf::decode(v).ok_or_else(|| internal("corrupt account leaf"))?;
            Some(AccountFields { nonce: U64::from(leaf.nonce), balance: leaf.balance, code_hash: leaf.code_hash })
        }
        None => None,
    };
    let account_proof = tree_proof(mosaic_trie::prove(&nodes, root, &akey).map_err(internal)?);
    let mut storage_proof = Vec::with_capacity(slots.len());
    for slot in slots {
        let key = storage_key(&address, slot);
        let v = mosaic_trie::get(&nodes, root, &key).map_err(internal)?;
        storage_proof.push(StorageProof {
            slot: *slot,
            key,
            value: v.map(|v| U256::from_be_slice(&v)).unwrap_or_default(),
            proof: tree_proof(mosaic_trie::prove(&nodes, root, &key).map_err(internal)?),
        });
    }
    Ok(ProofResponse {
        address,
        block_number: U64::from(number),
        state_root: root,
        account_key: akey,
        account,
        account_value: value.map(Bytes::from),
        account_proof,
        storage_proof,
    })
}
