//! The contract's persistent storage: the same 32-byte-word slots an EVM contract at this address
//! would use, so the layout can follow Solidity's (state variables in consecutive slots from 0,
//! mappings hashed as below, `bytes`/`string` as Solidity stores them).

use crate::{keccak256, sys, Address, B256, U256};
use alloc::vec::Vec;

/// A storage slot: anything that converts to a 32-byte big-endian key.
pub trait StorageKey {
    /// The big-endian 32-byte key.
    fn to_key(&self) -> [u8; 32];
}

impl StorageKey for U256 {
    fn to_key(&self) -> [u8; 32] {
        self.to_be_bytes::<32>()
    }
}

impl StorageKey for B256 {
    fn to_key(&self) -> [u8; 32] {
        self.0
    }
}

impl StorageKey for u64 {
    fn to_key(&self) -> [u8; 32] {
        U256::from(*self).to_be_bytes::<32>()
    }
}

/// Reads the word at `slot` (zero if never written).
pub fn load_word<K: StorageKey>(slot: K) -> B256 {
    let mut out = B256::ZERO;
    // SAFETY: reads 32 bytes, writes 32 bytes.
    unsafe { sys::sload(slot.to_key().as_ptr(), out.0.as_mut_ptr()) };
    out
}

/// Writes the word at `slot`.
pub fn store_word<K: StorageKey>(slot: K, value: B256) {
    // SAFETY: reads 32 + 32 bytes.
    unsafe { sys::sstore(slot.to_key().as_ptr(), value.0.as_ptr()) };
}

/// Reads `slot` as a `uint256`.
pub fn load<K: StorageKey>(slot: K) -> U256 {
    U256::from_be_bytes(load_word(slot).0)
}

/// Writes a `uint256` to `slot`.
pub fn store<K: StorageKey>(slot: K, value: U256) {
    store_word(slot, B256::new(value.to_be_bytes::<32>()));
}

/// Reads an `address` stored alone in `slot` (its low 20 bytes, as Solidity stores it).
pub fn load_address<K: StorageKey>(slot: K) -> Address {
    Address::from_word(load_word(slot))
}

/// Writes an `address` alone in `slot` (right-aligned, as Solidity stores it).
pub fn store_address<K: StorageKey>(slot: K, addr: Address) {
    store_word(slot, addr.into_word());
}

/// The slot of `mapping[key]` for a mapping declared at slot `base`, as Solidity computes it for
/// value-type keys: `keccak256(key ++ base)`, `key` already padded to a word (see [`MappingKey`]).
pub fn slot_for(key: B256, base: U256) -> U256 {
    let mut buf = [0u8; 64];
    buf[..32].copy_from_slice(&key.0);
    buf[32..].copy_from_slice(&base.to_be_bytes::<32>());
    U256::from_be_bytes(keccak256(&buf).0)
}

/// A mapping key of a Solidity value type, padded to a word as Solidity does before hashing.
pub trait MappingKey {
    /// The key as a 32-byte word (addresses and unsigned integers left-padded with zeros).
    fn to_word(&self) -> B256;
}

impl MappingKey for Address {
    fn to_word(&self) -> B256 {
        self.into_word()
    }
}

impl MappingKey for U256 {
    fn to_word(&self) -> B256 {
        B256::new(self.to_be_bytes::<32>())
    }
}

impl MappingKey for B256 {
    fn to_word(&self) -> B256 {
        *self
    }
}

impl MappingKey for u64 {
    fn to_word(&self) -> B256 {
        U256::from(*self).to_word()
    }
}

/// A Solidity `mapping(K => V)` declared at a base slot. Nest with [`Mapping::nested`]:
/// `mapping(address => mapping(address => uint256))` at slot 1 is
/// `Mapping::new(U256::from(1)).nested(owner).get(spender)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Mapping {
    base: U256,
}

impl Mapping {
    /// The mapping declared at slot `base`.
    pub const fn new(base: U256) -> Self {
        Self { base }
    }

    /// The slot of `self[key]`.
    pub fn slot<K: MappingKey>(&self, key: K) -> U256 {
        slot_for(key.to_word(), self.base)
    }

    /// The inner mapping `self[key]` of a nested mapping.
    pub fn nested<K: MappingKey>(&self, key: K) -> Mapping {
        Mapping::new(self.slot(key))
    }

    /// Reads `self[key]` as a `uint256`.
    pub fn get<K: MappingKey>(&self, key: K) -> U256 {
        load(self.slot(key))
    }

    /// Writes `self[key] = value`.
    pub fn set<K: MappingKey>(&self, key: K, value: U256) {
        store(self.slot(key), value)
    }
}

/// Reads a `bytes`/`string` stored at `slot` in Solidity's layout: up to 31 bytes inline (data
/// left-aligned, `2 * len` in the lowest byte), longer ones as `2 * len + 1` in the slot and the data
/// in consecutive slots from `keccak256(slot)`.
pub fn load_bytes(slot: U256) -> Vec<u8> {
    let word = load_word(slot).0;
    if word[31] & 1 == 0 {
        let len = (word[31] / 2) as usize;
        return word[..len.min(31)].to_vec();
    }
    let len = (load(slot) >> 1usize).saturating_to::<usize>();
    let start = U256::from_be_bytes(keccak256(&slot.to_be_bytes::<32>()).0);
    let mut out = Vec::with_capacity(len);
    let mut i = 0u64;
    while out.len() < len {
        let chunk = load_word(start + U256::from(i)).0;
        let take = (len - out.len()).min(32);
        out.extend_from_slice(&chunk[..take]);
        i += 1;
    }
    out
}

/// Writes `data` as a `bytes`/`string` at `slot` in Solidity's layout (see [`load_bytes`]). Slots
/// of a previous, longer value are not cleared.
pub fn store_bytes(slot: U256, data: &[u8]) {
    if data.len() < 32 {
        let mut word = [0u8; 32];
        word[..data.len()].copy_from_slice(data);
        word[31] = (data.len() * 2) as u8;
        store_word(slot, B256::new(word));
        return;
    }
    store(slot, U256::from(data.len() * 2 + 1));
    let start = U256::from_be_bytes(keccak256(&slot.to_be_bytes::<32>()).0);
    for (i, chunk) in data.chunks(32).enumerate() {
        let mut word = [0u8; 32];
        word[..chunk.len()].copy_from_slice(chunk);
        store_word(start + U256::from(i), B256::new(word));
    }
}
