//! The witness of a batch — what the batch guest reads besides the batch data — recorded by re-executing
//! the batch's blocks over this node's database. It needs no zkVM, so a node that only feeds a prover
//! fleet builds witnesses without linking one.
use alloy_primitives::{keccak256, B256};
use mosaic_batch::Variant;
use mosaic_node::{ChainReader, Node};
use mosaic_primitives::{Block, L1Message};
pub use mosaic_witness::{BatchWitness, Executed, Journal};
use mosaic_witness::{Recorder, WitnessError};

/// Why a batch's witness could not be built.
#[derive(Debug, thiserror::Error)]
pub enum WitnessBuildError {
    /// The node lacks something the batch needs, or its blocks are not the batch.
    #[error("node: {0}")]
    Node(String),
    /// The batch does not re-execute.
    #[error(transparent)]
    Witness(#[from] WitnessError),
}

fn node_err(e: impl std::fmt::Display) -> WitnessBuildError {
    WitnessBuildError::Node(e.to_string())
}

/// The witness of L2 blocks `first..=last` posted as one batch in `variant`, recorded by re-executing
/// them over the node's database; also returns the native result (journal, blocks).
pub fn batch_witness(
    node: &Node,
    first: u64,
    last: u64,
    variant: Variant,
) -> Result<(BatchWitness, Executed), WitnessBuildError> {
    let blocks = load_blocks(node, first, last)?;
    let data = encode_batch(node, &blocks, variant)?;
    record_witness(node, &blocks, variant, data)
}

/// The witness of the batch L1 holds for blocks `first..=last`: the variant is the one whose encoding
/// hashes to `data_hash` (the node keeps the hash, not the variant), found by encoding alone so the
/// batch is re-executed once.
pub fn posted_batch_witness(
    node: &Node,
    first: u64,
    last: u64,
    data_hash: B256,
) -> Result<(BatchWitness, Executed), WitnessBuildError> {
    let blocks = load_blocks(node, first, last)?;
    for variant in [Variant::Signed, Variant::Unsigned] {
        let data = encode_batch(node, &blocks, variant)?;
        if keccak256(&data) == data_hash {
            return record_witness(node, &blocks, variant, data);
        }
    }
    Err(node_err(format!("re-encoding blocks {first}..={last} does not give the posted data {data_hash}")))
}

fn load_blocks(node: &Node, first: u64, last: u64) -> Result<Vec<Block>, WitnessBuildError> {
    if first == 0 {
        return Err(node_err("the genesis block is in no batch"));
    }
    if last < first {
        return Err(node_err(format!("empty block range {first}..={last}")));
    }
    (first..=last)
        .map(|n| node.block(n).map_err(node_err)?.ok_or_else(|| node_err(format!("missing block {n}"))))
        .collect()
}

fn encode_batch(node: &Node, blocks: &[Block], variant: Variant) -> Result<Vec<u8>, WitnessBuildError> {
    let batch = mosaic_batch::Batch::from_blocks(blocks).map_err(node_err)?;
    Ok(mosaic_batch::encode(&batch, variant, node.chain_id()))
}

/// Records the witness of `blocks` (non-empty, consecutive) posted as `data` in `variant`.
fn record_witness(
    node: &Node,
    blocks: &[Block],
    variant: Variant,
    data: Vec<u8>,
) -> Result<(BatchWitness, Executed), WitnessBuildError> {
    let (first, head) = (blocks[0].header.number, &blocks[blocks.len() - 1].header);
    let parent =
        node.header(first - 1).map_err(node_err)?.ok_or_else(|| node_err(format!("missing header {}", first - 1)))?;
    let messages: Vec<L1Message> = blocks.iter().flat_map(|b| b.l1_messages.iter().cloned()).collect();
    let signatures = match variant {
        Variant::Signed => Vec::new(),
        Variant::Unsigned => blocks.iter().flat_map(|b| b.sequenced().map(|(t, _)| *t.signature())).collect(),
    };
    let recorder = Recorder::new(node.state_tree(parent.number).map_err(node_err)?);
    let (witness, executed) = recorder.build(&node.config().chain, &parent, &data, &messages, &signatures)?;
    // The witness must reproduce the node's own chain, or it proves something else.
    if executed.journal.post_state_root != head.state_root || executed.journal.last_block_hash != head.hash_slow() {
        return Err(node_err(format!(
            "re-execution of blocks {first}..={} does not reach the node's block",
            head.number
        )));
    }
    Ok((witness, executed))
}
