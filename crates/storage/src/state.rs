//! State readers over a database snapshot: the latest state (flat tables) and any historical root
//! (a walk down the content-addressed state tree).
use crate::db::{corrupt, header_in, storage_row, StorageError, TrieNodes, ACCOUNTS, CODES, STORAGE};
use alloy_primitives::{Address, Bytes, B256, U256};
use mosaic_primitives::AccountLeaf;
use mosaic_stf::{in_blockhash_window, tree_account, tree_storage, StateError, StateReader};
use redb::{ReadOnlyTable, ReadTransaction};

fn state_err(e: impl std::fmt::Display) -> StateError {
    StateError(e.to_string())
}

/// Code and block hashes are the same for every reader of a snapshot.
struct Common {
    txn: ReadTransaction,
    codes: ReadOnlyTable<&'static [u8; 32], &'static [u8]>,
    /// Number of the block whose state this is; `BLOCKHASH` only sees its ancestors.
    number: u64,
}

impl Common {
    fn new(txn: ReadTransaction, number: u64) -> Result<Self, StorageError> {
        let codes = txn.open_table(CODES)?;
        Ok(Self { txn, codes, number })
    }

    fn code(&self, code_hash: &B256) -> Result<Option<Bytes>, StateError> {
        Ok(self.codes.get(&code_hash.0).map_err(state_err)?.map(|v| Bytes::copy_from_slice(v.value())))
    }

    /// `number` is a block strictly after this state's block when executing on top of it.
    fn block_hash(&self, number: u64) -> Result<B256, StateError> {
        if !in_blockhash_window(number, self.number + 1) {
            return Ok(B256::ZERO);
        }
        Ok(header_in(&self.txn, number).map_err(state_err)?.map(|h| h.hash_slow()).unwrap_or_default())
    }
}

/// The state after the head block, read from the flat tables.
pub struct LatestState {
    common: Common,
    accounts: ReadOnlyTable<&'static [u8; 20], &'static [u8]>,
    storage: ReadOnlyTable<&'static [u8; 52], &'static [u8; 32]>,
}

impl LatestState {
    /// Reader over `txn`, whose head block is `head`.
    pub fn new(txn: ReadTransaction, head: u64) -> Result<Self, StorageError> {
        let accounts = txn.open_table(ACCOUNTS)?;
        let storage = txn.open_table(STORAGE)?;
        Ok(Self { common: Common::new(txn, head)?, accounts, storage })
    }
}

impl StateReader for LatestState {
    fn account(&self, address: &Address) -> Result<Option<AccountLeaf>, StateError> {
        match self.accounts.get(&address.0 .0).map_err(state_err)? {
            Some(v) => AccountLeaf::decode(v.value()).map(Some).ok_or_else(|| state_err(corrupt("account row"))),
            None => Ok(None),
        }
    }

    fn storage(&self, address: &Address, slot: &U256) -> Result<U256, StateError> {
        let key = storage_row(address, &slot.to_be_bytes::<32>());
        Ok(self.storage.get(&key).map_err(state_err)?.map(|v| U256::from_be_bytes(*v.value())).unwrap_or_default())
    }

    fn code(&self, code_hash: &B256) -> Result<Option<Bytes>, StateError> {
        self.common.code(code_hash)
    }

    fn block_hash(&self, number: u64) -> Result<B256, StateError> {
        self.common.block_hash(number)
    }
}

/// The state under any committed state root, read through the state tree.
pub struct HistoricalState {
    common: Common,
    nodes: TrieNodes,
    root: B256,
}

impl HistoricalState {
    /// Reader for the state after block `number`, whose state root is `root`.
    pub fn new(txn: ReadTransaction, number: u64, root: B256) -> Result<Self, StorageError> {
        let nodes = TrieNodes::new(&txn)?;
        Ok(Self { common: Common::new(txn, number)?, nodes, root })
    }

    /// The tree nodes of this snapshot (for proofs).
    pub fn nodes(&self) -> &TrieNodes {
        &self.nodes
    }

    /// The state root this reader walks from.
    pub fn root(&self) -> B256 {
        self.root
    }
}

impl StateReader for HistoricalState {
    fn account(&self, address: &Address) -> Result<Option<AccountLeaf>, StateError> {
        tree_account(&self.nodes, self.root, address)
    }

    fn storage(&self, address: &Address, slot: &U256) -> Result<U256, StateError> {
        tree_storage(&self.nodes, self.root, address, slot)
    }

    fn code(&self, code_hash: &B256) -> Result<Option<Bytes>, StateError> {
        self.common.code(code_hash)
    }

    fn block_hash(&self, number: u64) -> Result<B256, StateError> {
        self.common.block_hash(number)
    }
}
