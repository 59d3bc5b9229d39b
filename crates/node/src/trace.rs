//! Re-executing an included block to trace its transactions (`debug_trace*`): the block's own context
//! and L1 messages on its parent's state, every transaction before the traced ones replayed untraced.
use crate::{chain::NodeError, reader::ChainReader};
use alloy_consensus::Transaction;
use alloy_primitives::B256;
use mosaic_stf::{
    child_context,
    vm::{TraceOptions, TxTrace},
    BlockBuilder, TxFailure, TxOutcome,
};

/// One traced transaction of a block.
#[derive(Debug, Clone)]
pub struct TracedTx {
    /// Its hash.
    pub hash: B256,
    /// Its gas limit.
    pub gas_limit: u64,
    /// Its result (status, gas, output).
    pub outcome: TxOutcome,
    /// What was recorded.
    pub trace: TxTrace,
}

/// Traces the transactions of block `number` (only the one at index `only`, when given). `None` if the
/// block does not exist. Blocking: reads the parent state and re-executes.
pub fn trace_block<R: ChainReader + ?Sized>(
    chain: &R,
    number: u64,
    only: Option<usize>,
    opts: TraceOptions,
) -> Result<Option<Vec<TracedTx>>, NodeError> {
    let Some(block) = chain.block(number)? else { return Ok(None) };
    if number == 0 || block.transactions.is_empty() {
        return Ok(Some(Vec::new()));
    }
    let missing = |what: &str| NodeError::Inconsistent(format!("{what} of block {} missing", number - 1));
    let parent = chain.header(number - 1)?.ok_or_else(|| missing("header"))?;
    let state = chain.state_at(number - 1)?.ok_or_else(|| missing("state"))?;
    let ctx = child_context(chain.chain_config(), &parent, block.header.timestamp, block.header.beneficiary);
    let mut builder = BlockBuilder::new(state, ctx);
    let replay =
        |i: usize, e: TxFailure| NodeError::Inconsistent(format!("block {number} transaction {i} replays as {e}"));
    let mut traced = Vec::new();
    // The forced transactions come first: they run inside the block's L1 messages.
    let forced = usize::try_from(block.forced).unwrap_or(usize::MAX);
    let mut ran = 0;
    let inconsistent = |why: String| NodeError::Inconsistent(format!("block {number}: {why}"));
    for msg in &block.l1_messages {
        if msg.transaction.is_none() || only.is_some_and(|o| o != ran) {
            builder.apply_l1_messages(std::slice::from_ref(msg)).map_err(|e| inconsistent(e.to_string()))?;
            ran = builder.len();
            continue;
        }
        let traced_run = builder.apply_l1_message_traced(msg, opts).map_err(|e| inconsistent(e.to_string()))?;
        if builder.len() == ran {
            continue; // consumed without running
        }
        let tx =
            block.transactions.get(ran).ok_or_else(|| inconsistent(format!("forced transaction {ran} missing")))?;
        // Included without an outcome: charged its gas limit for costing more cycles than a block has.
        let (outcome, trace) = traced_run.unwrap_or_else(|| {
            let outcome = TxOutcome {
                success: false,
                gas_used: tx.gas_limit(),
                output: Default::default(),
                contract_address: None,
                frames: Vec::new(),
                proving_cycles: 0,
                usage: Default::default(),
            };
            (outcome, TxTrace::default())
        });
        traced.push(TracedTx { hash: *tx.tx_hash(), gas_limit: tx.gas_limit(), outcome, trace });
        ran = builder.len();
    }
    if only.is_some_and(|o| o < forced) {
        return Ok(Some(traced));
    }
    for (i, (tx, sender)) in block.transactions.iter().zip(&block.senders).enumerate().skip(forced) {
        if only.is_some_and(|o| o != i) {
            builder.execute(tx.clone(), *sender).map_err(|e| replay(i, e))?;
            continue;
        }
        let hash = *tx.tx_hash();
        let (outcome, trace) = builder.execute_traced(tx.clone(), *sender, opts).map_err(|e| replay(i, e))?;
        traced.push(TracedTx { hash, gas_limit: tx.gas_limit(), outcome, trace });
        if only == Some(i) {
            break;
        }
    }
    Ok(Some(traced))
}
