//! The execution-spec-tests state-test format (one JSON object per file: test name → test).
//!
//! Hand-written rather than `revm-statetest-types`: that crate keeps a case's expected post-state private
//! (it compares Ethereum's Merkle-Patricia root, which Mosaic does not have) and turns on serde_json's
//! `preserve_order` for the whole workspace. Only the fields the runner reads are declared.
use alloy_primitives::{Address, Bytes, B256, U256};
use serde::Deserialize;
use std::collections::BTreeMap;

/// One state test: a pre-state, one transaction (already signed, per case) and the expected results.
#[derive(Debug, Deserialize)]
pub struct StateTest {
    /// The block the transaction runs in.
    pub env: Env,
    /// Accounts before the transaction.
    pub pre: BTreeMap<Address, Account>,
    /// The unsigned transaction's parts; the runner only cross-checks the sender.
    pub transaction: TransactionParts,
    /// Fork name → expected results, one per (data, gas, value) combination.
    pub post: BTreeMap<String, Vec<PostState>>,
    /// Chain id and blob schedule.
    #[serde(default)]
    pub config: Config,
}

/// The block environment of a state test.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Env {
    /// `COINBASE`.
    pub current_coinbase: Address,
    /// Block gas limit.
    pub current_gas_limit: U256,
    /// Block number.
    pub current_number: U256,
    /// Block timestamp.
    pub current_timestamp: U256,
    /// `DIFFICULTY` before the Merge.
    #[serde(default)]
    pub current_difficulty: U256,
    /// EIP-1559 base fee (London on).
    #[serde(default)]
    pub current_base_fee: Option<U256>,
    /// `PREVRANDAO` (Paris on).
    #[serde(default)]
    pub current_random: Option<B256>,
    /// EIP-4844 excess blob gas (Cancun on).
    #[serde(default)]
    pub current_excess_blob_gas: Option<U256>,
}

/// An account of the pre- or post-state.
#[derive(Debug, Deserialize)]
pub struct Account {
    /// Balance, wei.
    pub balance: U256,
    /// Nonce.
    pub nonce: U256,
    /// Runtime code.
    #[serde(default)]
    pub code: Bytes,
    /// Non-zero storage slots.
    #[serde(default)]
    pub storage: BTreeMap<U256, U256>,
}

/// The parts of the transaction the runner reads (each case carries its signed bytes).
#[derive(Debug, Deserialize)]
pub struct TransactionParts {
    /// The sender the fixture's filler recovered.
    #[serde(default)]
    pub sender: Option<Address>,
}

/// One expected result.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PostState {
    /// Why the transaction must be rejected, if it must.
    #[serde(default)]
    pub expect_exception: Option<String>,
    /// keccak256 of the RLP of the transaction's logs.
    pub logs: B256,
    /// The signed transaction (EIP-2718 bytes).
    pub txbytes: Bytes,
    /// The whole expected post-state.
    pub state: BTreeMap<Address, Account>,
}

/// A test's chain configuration.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Config {
    /// Chain id (1 when absent).
    #[serde(default)]
    pub chainid: Option<U256>,
    /// Blob parameters per fork (Cancun on).
    #[serde(default)]
    pub blob_schedule: BTreeMap<String, BlobParams>,
}

/// EIP-4844/7691 blob parameters of a fork.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BlobParams {
    /// The blob base fee's update fraction.
    pub base_fee_update_fraction: U256,
}
