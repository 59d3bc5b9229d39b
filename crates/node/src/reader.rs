//! The read side of a chain, as the services above the node see it. RPC handlers, the rollup services
//! and the prover read headers, blocks, receipts, transaction locations and state through
//! [`ChainReader`] rather than through the database, so no storage type crosses into them and a
//! second implementation (a remote or in-memory chain for tests) can stand in for the node.
use crate::chain::{Node, NodeError, StateSnapshot};
use alloy_consensus::{Header, ReceiptEnvelope};
use alloy_primitives::{Bytes, B256};
use mosaic_primitives::{Block, ChainConfig};
use mosaic_stf::{vm::FrameStat, StateError, StateReader};
use mosaic_storage::HistoricalState;
use mosaic_trie::{Node as TreeNode, NodeStore, TrieError};
use mosaic_witness::ChainSource;

pub use mosaic_storage::TxLocation;

/// Read access to a chain: its blocks, receipts, indexes and the state after any block.
pub trait ChainReader {
    /// The chain's consensus parameters.
    fn chain_config(&self) -> &ChainConfig;
    /// Number of the head block.
    fn head_number(&self) -> u64;
    /// Header of block `number`.
    fn header(&self, number: u64) -> Result<Option<Header>, NodeError>;
    /// Block `number` with its transactions, senders and L1 messages.
    fn block(&self, number: u64) -> Result<Option<Block>, NodeError>;
    /// Number of the block with this hash.
    fn block_number(&self, hash: &B256) -> Result<Option<u64>, NodeError>;
    /// Receipts of block `number`.
    fn receipts(&self, number: u64) -> Result<Option<Vec<ReceiptEnvelope>>, NodeError>;
    /// Where an included transaction is.
    fn tx_location(&self, hash: &B256) -> Result<Option<TxLocation>, NodeError>;
    /// Per-frame statistics (VM, gas, cycles) of an included transaction.
    fn tx_stats(&self, hash: &B256) -> Result<Vec<FrameStat>, NodeError>;
    /// The proving cycles block `number`'s cycle budget charged each of its transactions, in order.
    fn tx_cycles(&self, number: u64) -> Result<Option<Vec<u64>>, NodeError>;
    /// State after block `number` (`None` if there is no such block).
    fn state_at(&self, number: u64) -> Result<Option<StateSnapshot>, NodeError>;
}

impl ChainReader for Node {
    fn chain_config(&self) -> &ChainConfig {
        &self.config().chain
    }
    fn head_number(&self) -> u64 {
        Node::head_number(self)
    }
    fn header(&self, number: u64) -> Result<Option<Header>, NodeError> {
        Ok(self.inner.db.header(number)?)
    }
    fn block(&self, number: u64) -> Result<Option<Block>, NodeError> {
        Ok(self.inner.db.block(number)?)
    }
    fn block_number(&self, hash: &B256) -> Result<Option<u64>, NodeError> {
        Ok(self.inner.db.block_number(hash)?)
    }
    fn receipts(&self, number: u64) -> Result<Option<Vec<ReceiptEnvelope>>, NodeError> {
        Ok(self.inner.db.receipts(number)?)
    }
    fn tx_location(&self, hash: &B256) -> Result<Option<TxLocation>, NodeError> {
        Ok(self.inner.db.tx_location(hash)?)
    }
    fn tx_stats(&self, hash: &B256) -> Result<Vec<FrameStat>, NodeError> {
        Ok(self.inner.db.tx_stats(hash)?)
    }
    fn tx_cycles(&self, number: u64) -> Result<Option<Vec<u64>>, NodeError> {
        Ok(self.inner.db.tx_cycles(number)?)
    }
    fn state_at(&self, number: u64) -> Result<Option<StateSnapshot>, NodeError> {
        Node::state_at(self, number)
    }
}

/// The state tree and codes as of one block, and every header: what state proofs are read from and
/// what the prover records a batch's witness from (as a [`ChainSource`]; the one implementation the
/// prover, the RPC and the tests share).
pub struct StateTree {
    state: HistoricalState,
    root: B256,
    node: Node,
}

impl StateTree {
    /// The state root of the block.
    pub fn root(&self) -> B256 {
        self.root
    }
}

impl std::fmt::Debug for StateTree {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StateTree").finish_non_exhaustive()
    }
}

impl Node {
    /// The state tree after block `number` (for a witness: the batch's parent); a missing block is an
    /// inconsistency.
    pub fn state_tree(&self, number: u64) -> Result<StateTree, NodeError> {
        self.state_tree_at(number)?.ok_or_else(|| NodeError::Inconsistent(format!("missing header {number}")))
    }

    /// The state tree after block `number`, `None` if there is no such block.
    pub fn state_tree_at(&self, number: u64) -> Result<Option<StateTree>, NodeError> {
        let Some(header) = self.inner.db.header(number)? else { return Ok(None) };
        let state = HistoricalState::new(self.inner.db.read()?, number, header.state_root)?;
        Ok(Some(StateTree { state, root: header.state_root, node: self.clone() }))
    }
}

impl NodeStore for StateTree {
    fn get_node(&self, hash: &B256) -> Result<Option<TreeNode>, TrieError> {
        self.state.nodes().get_node(hash)
    }
}

impl ChainSource for StateTree {
    fn code(&self, hash: &B256) -> Result<Option<Bytes>, StateError> {
        self.state.code(hash)
    }

    fn header(&self, number: u64) -> Result<Option<Header>, StateError> {
        self.node.inner.db.header(number).map_err(|e| StateError(e.to_string()))
    }
}
