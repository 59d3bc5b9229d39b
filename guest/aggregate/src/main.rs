//! The aggregation guest: reads K entries (the verify-stark input commit of a batch proof, then that
//! batch's 280-byte journal), has OpenVM's verify-stark deferral circuit verify each batch STARK, checks
//! that every proof reveals its journal's hash and comes from one batch program, folds the journals —
//! which checks state-root, block and L1-queue continuity — and reveals keccak256 of the aggregate
//! journal. Anything else panics, so no proof of it exists.
//!
//! The batch program is not pinned here (that would make this ELF depend on the batch ELF's keys): the
//! aggregate journal carries `keccak256(app_exe_commit ‖ app_vm_commit)` of the verified proofs and the
//! verifier compares it with the program it trusts.
#![no_main]
#![no_std]

extern crate alloc;

use alloc::vec::Vec;
use alloy_primitives::{keccak256, B256};
use mosaic_witness::{AggregateJournal, Journal, AGGREGATE_ENTRY_LEN};
// Links `native_keccak256`, the symbol alloy-primitives' `native-keccak` feature calls.
use openvm_keccak256 as _;
use openvm_verify_stark_guest::verify_stark_unchecked;

openvm::entry!(main);

/// The deferral slot of the verify-stark circuit in the VM configuration (`mosaic_prover::aggregate`).
const VERIFY_STARK: u16 = 0;

fn main() {
    let input = openvm::io::read_vec();
    if input.is_empty() || input.len() % AGGREGATE_ENTRY_LEN != 0 {
        panic!("aggregation input is not a whole number of entries");
    }
    let mut program: Option<B256> = None;
    let mut journals = Vec::with_capacity(input.len() / AGGREGATE_ENTRY_LEN);
    for entry in input.chunks_exact(AGGREGATE_ENTRY_LEN) {
        let (commit, journal) = entry.split_at(32);
        let mut input_commit = [0u8; 32];
        input_commit.copy_from_slice(commit);
        let out = verify_stark_unchecked::<VERIFY_STARK>(&input_commit);
        let Some(journal) = Journal::decode(journal) else { panic!("malformed batch journal") };
        if out.user_public_values.as_slice() != journal.hash().as_slice() {
            panic!("a batch proof does not reveal its journal");
        }
        let mut commits = [0u8; 64];
        commits[..32].copy_from_slice(&out.app_exe_commit);
        commits[32..].copy_from_slice(&out.app_vm_commit);
        let this = keccak256(commits);
        if *program.get_or_insert(this) != this {
            panic!("batch proofs of different programs");
        }
        journals.push(journal);
    }
    let program = program.unwrap_or_default();
    let aggregate = match AggregateJournal::fold(program, &journals) {
        Ok(a) => a,
        Err(e) => panic!("batches do not chain: {e}"),
    };
    openvm::io::reveal_bytes32(aggregate.hash().0);
}
