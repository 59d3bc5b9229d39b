//! Core types shared by every Mosaic crate, `no_std` so the zkVM guest uses the same definitions.
#![cfg_attr(not(feature = "std"), no_std)]
extern crate alloc;

pub mod account;
pub mod block;
pub mod config;
pub mod l1;

pub use account::{account_key, storage_key, AccountLeaf, LEAF_LEN};
pub use alloy_consensus::{Header, ReceiptEnvelope, TxEnvelope};
pub use alloy_eips::eip1559::BaseFeeParams;
pub use alloy_primitives::{Address, Bloom, Bytes, Log, B256, U256};
pub use block::{decode_receipts, encode_receipts, Block, DecodeError};
pub use config::{precompile_index, ChainConfig, CycleSchedule, ProvingCost, WasmGasSchedule, PRECOMPILES};
pub use l1::{
    l2_bridge_balance_slot, merkle_proof, merkle_root, roll_queue_hash, verify_merkle_proof, withdrawal_hash,
    withdrawals_in, L1Cursor, L1Message, Withdrawal, L2_BRIDGE,
};
