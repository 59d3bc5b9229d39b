//! The changes of a block, and how they become state-tree updates.
use alloc::{
    collections::{BTreeMap, BTreeSet},
    vec::Vec,
};
use alloy_primitives::{Address, Bytes, B256, U256};
use mosaic_primitives::{account_key, storage_key, AccountLeaf};
use revm::state::EvmState;

/// Every state change of a block (or of one simulated call), in deterministic order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct StateDiff {
    /// New value of each changed account; `None` means deleted.
    pub accounts: BTreeMap<Address, Option<AccountLeaf>>,
    /// New value of each changed storage slot; zero means deleted.
    pub storage: BTreeMap<(Address, U256), U256>,
    /// Code deployed in this block, by keccak256 hash.
    pub codes: BTreeMap<B256, Bytes>,
    /// Accounts self-destructed in this block (their older storage reads as zero).
    pub destroyed: BTreeSet<Address>,
}

impl StateDiff {
    /// Folds the state revm reports for one transaction into the diff.
    pub fn apply_evm_state(&mut self, state: EvmState) {
        for (address, account) in state {
            if !account.is_touched() {
                continue;
            }
            if account.is_selfdestructed() {
                self.accounts.insert(address, None);
                self.destroyed.insert(address);
                for (slot, _) in account.storage {
                    self.storage.insert((address, slot), U256::ZERO);
                }
                continue;
            }
            // EIP-161: a touched account that ends up empty is removed.
            if account.is_empty() {
                self.accounts.insert(address, None);
                continue;
            }
            // Code set by CREATE or by an EIP-7702 delegation; the store skips hashes it already has.
            if let Some(code) = &account.info.code {
                if !code.is_empty() {
                    self.codes.insert(account.info.code_hash, code.original_bytes());
                }
            }
            self.accounts.insert(
                address,
                Some(AccountLeaf {
                    nonce: account.info.nonce,
                    balance: account.info.balance,
                    code_hash: account.info.code_hash,
                }),
            );
            for (slot, value) in account.changed_storage_slots() {
                self.storage.insert((address, *slot), value.present_value);
            }
        }
    }
}

/// Turns a diff into state-tree updates (`None` deletes the key).
pub fn trie_updates(diff: &StateDiff) -> Vec<(B256, Option<Vec<u8>>)> {
    let mut updates = Vec::with_capacity(diff.accounts.len() + diff.storage.len());
    for (address, leaf) in &diff.accounts {
        updates.push((account_key(address), leaf.map(|l| l.encode().to_vec())));
    }
    for ((address, slot), value) in &diff.storage {
        let v = (!value.is_zero()).then(|| value.to_be_bytes::<32>().to_vec());
        updates.push((storage_key(address, slot), v));
    }
    updates
}
