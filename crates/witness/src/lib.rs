//! The zk witness of one L1 batch and the journal its proof commits.
//!
//! [`execute_batch`] re-executes a batch — the exact bytes posted to L1 — on top of its parent block,
//! reading state through the SHA-256 state tree from a [`Sources`]. The node runs it over its database
//! with a [`Recorder`] to collect the witness (every tree node, code and ancestor header the run
//! touched); the zkVM guest runs the very same function over [`WitnessSources`], which trusts nothing:
//! tree nodes are hash-checked on every fetch, codes are keyed by their keccak hash, ancestor headers
//! must chain to the parent. So a proof of the guest covers exactly what the node executed.
//!
//! `no_std` + `alloc`: this crate is compiled into the guest.
#![cfg_attr(not(feature = "std"), no_std)]
#![warn(missing_docs)]

extern crate alloc;

mod aggregate;
mod exec;
mod journal;
mod witness;

pub use aggregate::{AggregateError, AggregateJournal, AGGREGATE_ENTRY_LEN, AGGREGATE_JOURNAL_LEN};
pub use exec::{
    block_transactions, execute_batch, signed_with, BatchInput, Executed, SignatureSource, Sources, WitnessError,
};
pub use journal::{config_hash, Journal, JOURNAL_LEN};
pub use witness::{BatchWitness, ChainSource, Recorder, WitnessSources};
