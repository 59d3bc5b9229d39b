//! The seam between revm and Mosaic's state: a reader trait plus an overlay holding a block's changes.
use crate::diff::StateDiff;
use alloc::{format, string::String};
use alloy_primitives::{Address, Bytes, B256, U256};
use mosaic_primitives::{account_key, storage_key, AccountLeaf};
use mosaic_trie::NodeStore;
use revm::{
    bytecode::Bytecode, database_interface::DBErrorMarker, primitives::KECCAK_EMPTY, state::AccountInfo, Database,
};

/// A state read failed (database error, or a witness that lacks a node the execution needs).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("state read failed: {0}")]
pub struct StateError(pub String);

impl DBErrorMarker for StateError {}

/// How many ancestors `BLOCKHASH` can see (as on Ethereum).
pub const BLOCKHASH_WINDOW: u64 = 256;

/// Whether `BLOCKHASH(number)` sees a block while block `next` executes: one of the 256 before it.
pub fn in_blockhash_window(number: u64, next: u64) -> bool {
    number < next && number + BLOCKHASH_WINDOW >= next
}

/// The account at `address` in the state tree under `root` (historical readers and zk witnesses).
pub fn tree_account<N: NodeStore + ?Sized>(
    nodes: &N,
    root: B256,
    address: &Address,
) -> Result<Option<AccountLeaf>, StateError> {
    match mosaic_trie::get(nodes, root, &account_key(address)).map_err(|e| StateError(format!("{e}")))? {
        Some(v) => AccountLeaf::decode(&v).map(Some).ok_or_else(|| StateError("corrupt account leaf".into())),
        None => Ok(None),
    }
}

/// A storage slot in the state tree under `root` (zero if unset).
pub fn tree_storage<N: NodeStore + ?Sized>(
    nodes: &N,
    root: B256,
    address: &Address,
    slot: &U256,
) -> Result<U256, StateError> {
    match mosaic_trie::get(nodes, root, &storage_key(address, slot)).map_err(|e| StateError(format!("{e}")))? {
        Some(v) if v.len() == 32 => Ok(U256::from_be_slice(&v)),
        Some(_) => Err(StateError("corrupt storage leaf".into())),
        None => Ok(U256::ZERO),
    }
}

/// Read access to a committed state (the node's database, a historical root, or a zk witness).
pub trait StateReader {
    /// The account at `address`, `None` if it does not exist.
    fn account(&self, address: &Address) -> Result<Option<AccountLeaf>, StateError>;
    /// The value of a storage slot (zero if unset).
    fn storage(&self, address: &Address, slot: &U256) -> Result<U256, StateError>;
    /// Contract code by its keccak256 hash.
    fn code(&self, code_hash: &B256) -> Result<Option<Bytes>, StateError>;
    /// Hash of an earlier block (for `BLOCKHASH`); zero when unknown or out of range.
    fn block_hash(&self, number: u64) -> Result<B256, StateError>;
}

impl<T: StateReader + ?Sized> StateReader for &T {
    fn account(&self, address: &Address) -> Result<Option<AccountLeaf>, StateError> {
        (**self).account(address)
    }
    fn storage(&self, address: &Address, slot: &U256) -> Result<U256, StateError> {
        (**self).storage(address, slot)
    }
    fn code(&self, code_hash: &B256) -> Result<Option<Bytes>, StateError> {
        (**self).code(code_hash)
    }
    fn block_hash(&self, number: u64) -> Result<B256, StateError> {
        (**self).block_hash(number)
    }
}

/// Committed state plus the not-yet-committed changes of the block being built; revm's database.
#[derive(Debug)]
pub struct Overlay<S> {
    /// The state below the overlay.
    pub reader: S,
    /// Changes made so far by the block's transactions.
    pub diff: StateDiff,
}

impl<S: StateReader> Overlay<S> {
    /// An overlay with no changes yet.
    pub fn new(reader: S) -> Self {
        Self { reader, diff: StateDiff::default() }
    }

    /// Account as seen through the overlay.
    pub fn account(&self, address: &Address) -> Result<Option<AccountLeaf>, StateError> {
        match self.diff.accounts.get(address) {
            Some(changed) => Ok(*changed),
            None => self.reader.account(address),
        }
    }

    /// Storage slot as seen through the overlay.
    pub fn storage_value(&self, address: &Address, slot: &U256) -> Result<U256, StateError> {
        if let Some(v) = self.diff.storage.get(&(*address, *slot)) {
            return Ok(*v);
        }
        // A contract destroyed in this block has no storage left, whatever was committed before.
        if self.diff.destroyed.contains(address) {
            return Ok(U256::ZERO);
        }
        self.reader.storage(address, slot)
    }
}

impl<S: StateReader> Database for Overlay<S> {
    type Error = StateError;

    fn basic(&mut self, address: Address) -> Result<Option<AccountInfo>, StateError> {
        Ok(self.account(&address)?.map(|leaf| AccountInfo {
            balance: leaf.balance,
            nonce: leaf.nonce,
            code_hash: leaf.code_hash,
            account_id: None,
            code: None,
        }))
    }

    fn code_by_hash(&mut self, code_hash: B256) -> Result<Bytecode, StateError> {
        if code_hash == KECCAK_EMPTY || code_hash == B256::ZERO {
            return Ok(Bytecode::default());
        }
        if let Some(code) = self.diff.codes.get(&code_hash) {
            return Ok(Bytecode::new_raw(code.clone()));
        }
        match self.reader.code(&code_hash)? {
            Some(code) => Ok(Bytecode::new_raw(code)),
            None => Err(StateError(alloc::format!("missing code {code_hash}"))),
        }
    }

    fn storage(&mut self, address: Address, index: U256) -> Result<U256, StateError> {
        self.storage_value(&address, &index)
    }

    fn block_hash(&mut self, number: u64) -> Result<B256, StateError> {
        self.reader.block_hash(number)
    }
}
