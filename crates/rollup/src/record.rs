//! What a node knows about each rollup batch, stored in its database and served by `mosaic_getBatch`.
use alloy_primitives::B256;
use mosaic_node::{ChainReader, Node, NodeError};
use mosaic_primitives::withdrawals_in;
use serde::{Deserialize, Serialize};

/// The node's record table for batches (its name predates the generic record tables; kept so existing
/// data directories keep their records).
pub(crate) const TABLE: &str = "batches";

/// Where a batch stands, as this node sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum BatchStatus {
    /// Committed on L1 by this node's producer and confirmed.
    Committed,
    /// Finalized on L1 (challenge window passed or proof verified).
    Finalized,
    /// Re-executed from L1 data; every claimed value matched.
    Verified,
    /// Re-executed from L1 data, but the claimed values differ from what the data produces.
    Mismatch,
    /// The L1 data could not be decoded or is not a valid continuation: nothing was applied.
    Malformed,
}

/// A batch as stored by this node.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BatchRecord {
    /// Batch index on L1 (1-based; 0 is genesis).
    pub index: u64,
    /// Status.
    pub status: BatchStatus,
    /// First L2 block.
    pub first_block: u64,
    /// Last L2 block.
    pub last_block: u64,
    /// L2 transactions the batch posts (forced ones run from the L1 queue and are not counted).
    pub tx_count: u64,
    /// Bytes of batch data posted as calldata.
    pub data_bytes: u64,
    /// keccak256 of the batch data.
    pub data_hash: B256,
    /// L1 transaction that committed it.
    pub l1_tx: B256,
    /// L1 block it was committed in.
    pub l1_block: u64,
    /// Total L1 messages consumed after this batch.
    pub l1_message_cursor: u64,
    /// State root claimed on L1.
    pub claimed_state_root: B256,
    /// Withdrawals root claimed on L1.
    pub claimed_withdrawals_root: B256,
    /// Last block hash claimed on L1.
    pub claimed_last_block_hash: B256,
    /// State root this node computed (derivation), if it executed the batch.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub computed_state_root: Option<B256>,
    /// Withdrawals root this node computed, if it executed the batch.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub computed_withdrawals_root: Option<B256>,
    /// Last block hash this node computed, if it executed the batch.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub computed_last_block_hash: Option<B256>,
    /// Why the batch is malformed or mismatched.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

impl BatchRecord {
    /// Persists the record.
    pub fn store(&self, node: &Node) -> Result<(), NodeError> {
        // Serializing a plain struct of hashes and numbers cannot fail.
        let bytes = serde_json::to_vec(self).unwrap_or_default();
        node.records(TABLE).put(self.index, &bytes)?;
        Ok(())
    }

    /// Loads batch `index`.
    pub fn load(node: &Node, index: u64) -> Result<Option<Self>, NodeError> {
        Ok(node.records(TABLE).get(index)?.and_then(|b| serde_json::from_slice(&b).ok()))
    }

    /// The highest stored batch.
    pub fn last(node: &Node) -> Result<Option<Self>, NodeError> {
        Ok(node.records(TABLE).last()?.and_then(|(_, b)| serde_json::from_slice(&b).ok()))
    }

    /// The stored batch that contains L2 block `number` (binary search over indices).
    pub fn containing(node: &Node, number: u64) -> Result<Option<Self>, NodeError> {
        let Some(last) = Self::last(node)? else { return Ok(None) };
        let (mut lo, mut hi) = (1u64, last.index);
        while lo <= hi {
            let mid = lo + (hi - lo) / 2;
            let Some(r) = Self::load(node, mid)? else { return Ok(None) };
            if number < r.first_block {
                hi = mid - 1;
            } else if number > r.last_block {
                lo = mid + 1;
            } else {
                return Ok(Some(r));
            }
        }
        Ok(None)
    }
}

/// The withdrawals-tree leaves of L2 blocks `first..=last`, in order: what a batch over them commits to.
pub fn withdrawal_leaves(node: &Node, first: u64, last: u64) -> Result<Vec<B256>, NodeError> {
    let mut leaves = Vec::new();
    for n in first..=last {
        let receipts =
            node.receipts(n)?.ok_or_else(|| NodeError::Inconsistent(format!("missing receipts of block {n}")))?;
        leaves.extend(withdrawals_in(&receipts).iter().map(|w| w.hash()));
    }
    Ok(leaves)
}
