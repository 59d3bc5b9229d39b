//! Replaying a block given by its parts — the one rule by which a node importing a block from L1 data, a
//! deriving node and the zkVM guest rebuild a block. Having it once is a soundness property: two copies
//! that drifted apart would let the node and the proof disagree about the same batch.
use crate::{
    block::{child_context, BlockBuilder, BuiltBlock, L1MessageError, TxFailure},
    db::{StateError, StateReader},
};
use alloc::{format, string::String, vec::Vec};
use alloy_consensus::{Header, TxEnvelope};
use alloy_primitives::Address;
use mosaic_primitives::{ChainConfig, L1Message};
use mosaic_trie::{NodeStore, TrieError};

/// A block as a batch carries it: what replay needs beyond the parent header and the state.
#[derive(Debug, Clone)]
pub struct BlockParts<'a> {
    /// The block's timestamp (never before the parent's).
    pub timestamp: u64,
    /// Receives priority fees.
    pub beneficiary: Address,
    /// L1 messages the block consumes, from the parent's cursor on, in queue order.
    pub l1_messages: &'a [L1Message],
    /// `(transaction, sender)` pairs in block order, senders already resolved.
    pub transactions: Vec<(TxEnvelope, Address)>,
}

/// Why a block could not be replayed.
#[derive(Debug, thiserror::Error)]
pub enum ReplayError {
    /// The block is invalid on top of its parent (a consensus failure: nothing may be written).
    #[error("{0}")]
    Invalid(String),
    /// The state could not be read.
    #[error(transparent)]
    State(#[from] StateError),
    /// The state tree could not be read or updated.
    #[error(transparent)]
    Trie(#[from] TrieError),
}

/// Re-executes the block `parts` on top of `parent` under `config`, reading the parent's state from
/// `state` and the tree from `nodes`, and returns the sealed block. Every L1 message and every
/// transaction must apply: a transaction that a sequencer would merely skip makes the block invalid.
pub fn replay_block<S: StateReader, N: NodeStore>(
    config: &ChainConfig,
    parent: &Header,
    parts: BlockParts<'_>,
    state: S,
    nodes: &N,
) -> Result<BuiltBlock, ReplayError> {
    if parts.timestamp < parent.timestamp {
        return Err(ReplayError::Invalid(format!(
            "timestamp {} before parent's {}",
            parts.timestamp, parent.timestamp
        )));
    }
    let ctx = child_context(config, parent, parts.timestamp, parts.beneficiary);
    debug_assert_eq!(ctx.timestamp, parts.timestamp);
    let mut builder = BlockBuilder::new(state, ctx);
    match builder.apply_l1_messages(parts.l1_messages) {
        Ok(()) => {}
        Err(L1MessageError::State(e)) => return Err(e.into()),
        Err(e) => return Err(ReplayError::Invalid(format!("{e}"))),
    }
    for (i, (tx, sender)) in parts.transactions.into_iter().enumerate() {
        match builder.execute(tx, sender) {
            Ok(_) => {}
            Err(TxFailure::State(e)) => return Err(e.into()),
            Err(e) => return Err(ReplayError::Invalid(format!("transaction {i}: {e}"))),
        }
    }
    Ok(builder.finish(nodes, parent.state_root)?)
}
