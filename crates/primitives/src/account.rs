//! How accounts and storage slots become keys and leaves of the state tree.
//!
//! Keys are hashed so that the sparse tree stays balanced whatever addresses users pick; a domain byte
//! keeps account keys and storage keys from ever colliding.
use alloy_primitives::{Address, B256, U256};
use mosaic_trie::sha256;

/// Domain byte of account keys.
const ACCOUNT_DOMAIN: u8 = 0x00;
/// Domain byte of storage-slot keys.
const STORAGE_DOMAIN: u8 = 0x01;

/// Tree key of an account: `sha256(0x00 || address)`.
pub fn account_key(address: &Address) -> B256 {
    sha256(&[&[ACCOUNT_DOMAIN], address.as_slice()])
}

/// Tree key of a storage slot: `sha256(0x01 || address || slot as 32 bytes big-endian)`.
pub fn storage_key(address: &Address, slot: &U256) -> B256 {
    sha256(&[&[STORAGE_DOMAIN], address.as_slice(), &slot.to_be_bytes::<32>()])
}

/// Encoded length of an [`AccountLeaf`].
pub const LEAF_LEN: usize = 8 + 32 + 32;

/// The value stored in the tree for an account: every account field the chain commits to.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct AccountLeaf {
    /// Transaction count (or creation count for contracts).
    pub nonce: u64,
    /// Balance in wei.
    pub balance: U256,
    /// keccak256 of the account's code (`KECCAK_EMPTY` for accounts without code).
    pub code_hash: B256,
}

impl AccountLeaf {
    /// Fixed-size encoding: `nonce (8, BE) || balance (32, BE) || code_hash (32)`.
    pub fn encode(&self) -> [u8; LEAF_LEN] {
        let mut out = [0u8; LEAF_LEN];
        out[..8].copy_from_slice(&self.nonce.to_be_bytes());
        out[8..40].copy_from_slice(&self.balance.to_be_bytes::<32>());
        out[40..].copy_from_slice(self.code_hash.as_slice());
        out
    }

    /// Inverse of [`AccountLeaf::encode`]; `None` if the length is wrong.
    pub fn decode(bytes: &[u8]) -> Option<Self> {
        if bytes.len() != LEAF_LEN {
            return None;
        }
        let mut nonce = [0u8; 8];
        nonce.copy_from_slice(&bytes[..8]);
        Some(Self {
            nonce: u64::from_be_bytes(nonce),
            balance: U256::from_be_slice(&bytes[8..40]),
            code_hash: B256::from_slice(&bytes[40..]),
        })
    }
}

/// Encodes a storage value as a tree leaf: 32 bytes big-endian (zero values are deleted, never stored).
pub fn encode_storage_value(value: &U256) -> [u8; 32] {
    value.to_be_bytes::<32>()
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy_primitives::{address, b256};
    use sha2::{Digest, Sha256};

    #[test]
    fn leaf_roundtrip() {
        let leaf = AccountLeaf {
            nonce: 7,
            balance: U256::from(123_456_789u64),
            code_hash: b256!("c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470"),
        };
        let enc = leaf.encode();
        assert_eq!(AccountLeaf::decode(&enc), Some(leaf));
        assert_eq!(AccountLeaf::decode(&enc[1..]), None);
    }

    #[test]
    fn keys_are_domain_separated() {
        let a = address!("f39Fd6e51aad88F6F4ce6aB8827279cffFb92266");
        assert_ne!(account_key(&a), storage_key(&a, &U256::ZERO));
        assert_ne!(storage_key(&a, &U256::ZERO), storage_key(&a, &U256::from(1)));
        // sha256(0x00 || addr) computed independently.
        let mut pre = [0u8; 21];
        pre[1..].copy_from_slice(a.as_slice());
        assert_eq!(account_key(&a).as_slice(), &Sha256::digest(pre)[..]);
    }
}
