//! The Mosaic state transition function.
//!
//! One deterministic, `no_std + alloc` crate used by the node (fast path) and, later, by the zkVM guest
//! (proof path): it executes transactions with revm against a [`StateReader`], collects the changes of a
//! block into a [`StateDiff`], and commits them into the SHA-256 sparse Merkle tree whose root is the
//! block's `stateRoot`. Signature recovery is the caller's job (the node recovers once at admission, the
//! guest with accelerated syscalls), so the STF takes `(transaction, sender)` pairs.
#![cfg_attr(not(feature = "std"), no_std)]
extern crate alloc;

mod block;
pub mod cost;
mod db;
#[cfg(feature = "std")]
mod deploy;
mod diff;
mod env;
mod replay;
pub mod vm;

pub use block::{
    child_context, genesis, BlockBuilder, BlockContext, BuiltBlock, InitialAccount, L1MessageError, TxFailure,
    TxOutcome, FORCED_BYTE_CYCLES, HARDFORK, MAX_FORCED_TX_GAS,
};
pub use db::{in_blockhash_window, tree_account, tree_storage, Overlay, StateError, StateReader, BLOCKHASH_WINDOW};
#[cfg(feature = "std")]
pub use deploy::{run_deployments, DeployError, Deployed};
pub use diff::{trie_updates, StateDiff};
pub use env::{intrinsic_gas, simulate, tx_env, SimulateOptions};
pub use replay::{replay_block, BlockParts, ReplayError};
pub use revm;

#[cfg(test)]
mod tests;
