//! Mosaic's storage: one redb database (ACID, crash-safe) holding everything the node must not lose.
//!
//! Layout (one table each): headers and bodies by number, block hash → number, receipts by number,
//! transaction hash → (block, index), the flat *latest* state (accounts, storage, code) for fast
//! execution, the content-addressed state-tree nodes (every historical root stays readable), and the
//! persisted mempool. A block and every consequence of it are written in a single transaction, so after
//! a crash the database holds either the whole block or none of it.
mod db;
mod state;

pub use db::{head_in, header_in, Database, StorageError, TrieNodes, TxLocation};
pub use state::{HistoricalState, LatestState};

#[cfg(test)]
mod tests;
