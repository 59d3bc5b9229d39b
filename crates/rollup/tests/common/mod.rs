//! What the rollup's in-process tests share: a node on a temp dir with two funded keys, signed
//! transfers, and the record derivation fills in.
#![allow(dead_code, unreachable_pub)]
use alloy_consensus::{SignableTransaction, TxEip1559, TxEnvelope};
use alloy_eips::eip2718::Encodable2718;
use alloy_primitives::{Address, Bytes, TxKind, B256, U256};
use alloy_signer::SignerSync;
use alloy_signer_local::PrivateKeySigner;
use mosaic_node::{Node, NodeConfig};
use mosaic_primitives::ChainConfig;
use mosaic_rollup::{producer::PreparedBatch, BatchRecord, BatchStatus};
use std::time::Duration;

pub fn eth(n: u64) -> U256 {
    U256::from(n) * U256::from(10u64).pow(U256::from(18u64))
}

pub fn key(byte: u8) -> PrivateKeySigner {
    PrivateKeySigner::from_bytes(&B256::repeat_byte(byte)).unwrap()
}

pub fn open(dir: &std::path::Path) -> Node {
    Node::open(NodeConfig {
        chain: ChainConfig::default(),
        data_dir: dir.to_path_buf(),
        block_time: Duration::ZERO,
        fee_recipient: Address::repeat_byte(0xfe),
        pool: Default::default(),
        genesis_alloc: vec![(key(1).address(), eth(100)), (key(2).address(), eth(100))],
        max_tx_size: 128 * 1024,
        allow_unprotected_txs: false,
        predeploys: mosaic_rollup::predeploys(ChainConfig::default().chain_id),
        genesis_accounts: Vec::new(),
    })
    .unwrap()
}

pub fn signed(signer: &PrivateKeySigner, nonce: u64, to: TxKind, input: &str) -> Bytes {
    let tx = TxEip1559 {
        chain_id: ChainConfig::default().chain_id,
        nonce,
        gas_limit: 200_000,
        max_fee_per_gas: 10_000_000_000,
        max_priority_fee_per_gas: 1_000_000_000,
        to,
        value: U256::from(1000 + nonce),
        input: alloy_primitives::hex::decode(input).unwrap().into(),
        access_list: Default::default(),
    };
    let sig = signer.sign_hash_sync(&tx.signature_hash()).unwrap();
    TxEnvelope::from(tx.into_signed(sig)).encoded_2718().into()
}

pub fn record_for(batch: &PreparedBatch) -> BatchRecord {
    BatchRecord {
        index: batch.header.index,
        status: BatchStatus::Verified,
        first_block: batch.header.firstBlock,
        last_block: batch.header.lastBlock,
        tx_count: 0,
        data_bytes: batch.data.len() as u64,
        data_hash: alloy_primitives::keccak256(&batch.data),
        l1_tx: B256::ZERO,
        l1_block: 0,
        l1_message_cursor: batch.header.l1MessageCursor,
        claimed_state_root: batch.header.postStateRoot,
        claimed_withdrawals_root: batch.header.withdrawalsRoot,
        claimed_last_block_hash: batch.header.lastBlockHash,
        computed_state_root: None,
        computed_withdrawals_root: None,
        computed_last_block_hash: None,
        error: None,
    }
}
