//! Stored blocks and receipts → the JSON shapes of `alloy-rpc-types-eth` (what every client parses).
use alloy_consensus::{transaction::Recovered, Header, ReceiptEnvelope, Transaction as _, TxEnvelope, TxReceipt as _};
use alloy_primitives::{Address, B256, U256};
use alloy_rlp::Encodable;
use alloy_rpc_types_eth::{Block, BlockTransactions, Log, Transaction, TransactionReceipt};
use mosaic_primitives::Block as L2Block;

/// RPC header of a stored header.
pub(crate) fn rpc_header(header: &Header, hash: B256, size: Option<u64>) -> alloy_rpc_types_eth::Header {
    alloy_rpc_types_eth::Header {
        hash,
        inner: header.clone(),
        total_difficulty: Some(U256::ZERO),
        size: size.map(U256::from),
    }
}

/// RPC transaction at `index` of `block`.
pub(crate) fn rpc_tx(block: &L2Block, hash: B256, index: usize) -> Option<Transaction> {
    let tx = block.transactions.get(index)?.clone();
    let sender = *block.senders.get(index)?;
    let base_fee = block.header.base_fee_per_gas;
    Some(Transaction {
        effective_gas_price: Some(tx.effective_gas_price(base_fee)),
        inner: Recovered::new_unchecked(tx, sender),
        block_hash: Some(hash),
        block_number: Some(block.header.number),
        transaction_index: Some(index as u64),
        block_timestamp: Some(block.header.timestamp),
    })
}

/// RPC transaction still waiting in the pool.
pub(crate) fn rpc_pending_tx(tx: TxEnvelope, sender: Address) -> Transaction {
    // geth shows a pending transaction's `gasPrice` as its fee cap (the spec requires the field).
    Transaction {
        effective_gas_price: Some(alloy_consensus::Transaction::max_fee_per_gas(&tx)),
        inner: Recovered::new_unchecked(tx, sender),
        block_hash: None,
        block_number: None,
        transaction_index: None,
        block_timestamp: None,
    }
}

/// RPC block, with full transactions or hashes.
pub(crate) fn rpc_block(block: &L2Block, hash: B256, full: bool) -> Block {
    let size = block.length() as u64;
    let transactions = if full {
        BlockTransactions::Full((0..block.transactions.len()).filter_map(|i| rpc_tx(block, hash, i)).collect())
    } else {
        BlockTransactions::Hashes(block.transactions.iter().map(|t| *t.tx_hash()).collect())
    };
    Block {
        header: rpc_header(&block.header, hash, Some(size)),
        uncles: Vec::new(),
        transactions,
        withdrawals: Some(Default::default()),
    }
}

/// RPC logs of one receipt; `first_log_index` is the block-wide index of its first log.
fn rpc_logs(
    receipt: &ReceiptEnvelope,
    block: &L2Block,
    hash: B256,
    tx_index: usize,
    first_log_index: usize,
) -> Vec<Log> {
    let tx_hash = block.transactions.get(tx_index).map(|t| *t.tx_hash());
    receipt
        .logs()
        .iter()
        .enumerate()
        .map(|(i, l)| Log {
            inner: l.clone(),
            block_hash: Some(hash),
            block_number: Some(block.header.number),
            block_timestamp: Some(block.header.timestamp),
            transaction_hash: tx_hash,
            transaction_index: Some(tx_index as u64),
            log_index: Some((first_log_index + i) as u64),
            removed: false,
        })
        .collect()
}

/// Every log of a block in order, with block-wide log indices.
pub(crate) fn block_logs(block: &L2Block, hash: B256, receipts: &[ReceiptEnvelope]) -> Vec<Log> {
    let mut out = Vec::new();
    for (i, r) in receipts.iter().enumerate() {
        let first = out.len();
        out.extend(rpc_logs(r, block, hash, i, first));
    }
    out
}

/// RPC receipts of a whole block.
pub(crate) fn rpc_receipts(block: &L2Block, hash: B256, receipts: &[ReceiptEnvelope]) -> Vec<TransactionReceipt> {
    let mut out = Vec::with_capacity(receipts.len());
    let mut log_index = 0usize;
    let mut prev_cumulative = 0u64;
    for (i, r) in receipts.iter().enumerate() {
        let (Some(tx), Some(sender)) = (block.transactions.get(i), block.senders.get(i)) else { break };
        let logs = rpc_logs(r, block, hash, i, log_index);
        log_index += logs.len();
        let cumulative = r.cumulative_gas_used();
        let gas_used = cumulative - prev_cumulative;
        prev_cumulative = cumulative;
        let contract_address = tx.kind().is_create().then(|| sender.create(tx.nonce()));
        let inner = map_receipt_logs(r, logs);
        out.push(TransactionReceipt {
            inner,
            transaction_hash: *tx.tx_hash(),
            transaction_index: Some(i as u64),
            block_hash: Some(hash),
            block_number: Some(block.header.number),
            gas_used,
            effective_gas_price: tx.effective_gas_price(block.header.base_fee_per_gas),
            blob_gas_used: None,
            blob_gas_price: None,
            from: *sender,
            to: tx.kind().to().copied(),
            contract_address,
        });
    }
    out
}

fn map_receipt_logs(r: &ReceiptEnvelope, logs: Vec<Log>) -> ReceiptEnvelope<Log> {
    use alloy_consensus::{Receipt, ReceiptWithBloom};
    let receipt = Receipt { status: r.status_or_post_state(), cumulative_gas_used: r.cumulative_gas_used(), logs };
    let with_bloom = ReceiptWithBloom { receipt, logs_bloom: *r.logs_bloom() };
    match r {
        ReceiptEnvelope::Legacy(_) => ReceiptEnvelope::Legacy(with_bloom),
        ReceiptEnvelope::Eip2930(_) => ReceiptEnvelope::Eip2930(with_bloom),
        ReceiptEnvelope::Eip1559(_) => ReceiptEnvelope::Eip1559(with_bloom),
        ReceiptEnvelope::Eip4844(_) => ReceiptEnvelope::Eip4844(with_bloom),
        ReceiptEnvelope::Eip7702(_) => ReceiptEnvelope::Eip7702(with_bloom),
    }
}
