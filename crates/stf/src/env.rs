//! Mapping Ethereum transactions to revm's environment, and read-only simulation (`eth_call`).
use crate::vm::{TxExecution, WasmVm};
use crate::{
    block::{evm_for, BlockContext},
    db::{Overlay, StateError, StateReader},
};
use alloc::vec::Vec;
use alloy_consensus::{Transaction, TxEnvelope};
use alloy_primitives::Address;
use revm::{
    context::TxEnv,
    context_interface::{either::Either, result::EVMError},
};

/// Builds revm's transaction environment for a signed transaction and its recovered sender.
pub fn tx_env(tx: &TxEnvelope, sender: Address) -> TxEnv {
    let mut env = TxEnv {
        tx_type: tx.tx_type() as u8,
        caller: sender,
        gas_limit: tx.gas_limit(),
        gas_price: tx.max_fee_per_gas(),
        kind: tx.kind(),
        value: tx.value(),
        data: tx.input().clone(),
        nonce: tx.nonce(),
        chain_id: tx.chain_id(),
        access_list: tx.access_list().cloned().unwrap_or_default(),
        gas_priority_fee: tx.max_priority_fee_per_gas(),
        blob_hashes: Vec::new(),
        max_fee_per_blob_gas: 0,
        authorization_list: Vec::new(),
    };
    if let Some(list) = tx.authorization_list() {
        env.authorization_list = list.iter().cloned().map(Either::Left).collect();
    }
    if let Some(hashes) = tx.blob_versioned_hashes() {
        env.blob_hashes = hashes.to_vec();
        env.max_fee_per_blob_gas = tx.max_fee_per_blob_gas().unwrap_or_default();
    }
    env
}

/// Relaxations for read-only calls, mirroring geth's `eth_call` behaviour.
#[derive(Clone, Copy, Debug, Default)]
pub struct SimulateOptions {
    /// Skip the sender's balance check (a call with no gas price pays nothing).
    pub disable_balance_check: bool,
    /// Skip the base-fee check (geth does so when the call sets no gas price).
    pub disable_base_fee: bool,
    /// Skip the nonce check (calls do not carry a nonce).
    pub disable_nonce_check: bool,
}

/// Runs a transaction on top of `reader` without committing anything; returns revm's result and state,
/// and the stats of every VM frame it ran.
pub fn simulate<S: StateReader>(
    reader: S,
    ctx: &BlockContext,
    tx: TxEnv,
    opts: SimulateOptions,
) -> Result<TxExecution, EVMError<StateError>> {
    let mut overlay = Overlay::new(reader);
    let mut evm = evm_for(&mut overlay, ctx, opts, WasmVm::new(ctx.proving.wasm_gas));
    evm.transact(tx)
}

/// Gas a transaction must provide before executing anything (intrinsic gas, or the EIP-7623 calldata
/// floor if higher).
pub fn intrinsic_gas(env: &TxEnv) -> u64 {
    let g = revm::context_interface::cfg::gas::calculate_initial_tx_gas_for_tx(env, crate::HARDFORK, None);
    (g.initial_regular_gas + g.initial_state_gas).max(g.floor_gas)
}
