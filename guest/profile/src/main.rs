//! Benchmark guest (not proven, never pinned): the batch guest's work cut off after a chosen phase, so
//! that differences of cycle counts split a batch's cost by phase. Input: one mode byte, then the RLP
//! `BatchWitness` the batch guest reads. Modes, each including the ones before it where it says so:
//! * 0 — read and decode the witness;
//! * 1 — 0, then decode the batch data (inflate, parse);
//! * 2 — 1, then recover every transaction's signer (signed batches);
//! * 3 — 0, then index the witness as the batch guest does (decode and SHA-256 every tree node, keccak
//!   every code, check the ancestor chain);
//! * 4 — everything the batch guest does (`BatchWitness::execute`).
//!
//! Same VM configuration, accelerations and `openvm_init.rs` as `guest/batch`.
#![no_main]
#![no_std]

extern crate alloc;

use alloy_consensus::transaction::SignerRecoverable;
use mosaic_batch::DecodedTx;
use mosaic_witness::{BatchWitness, WitnessSources};
use openvm_keccak256 as _;

openvm::entry!(main);
openvm::init!();

fn main() {
    if !mosaic_openvm_precompiles::install_providers() {
        panic!("crypto providers installed twice");
    }
    let input = openvm::io::read_vec();
    let Some((&mode, rest)) = input.split_first() else { panic!("no mode") };
    let Ok(witness) = BatchWitness::decode(rest) else { panic!("bad witness") };
    let mut out = [0u8; 32];
    match mode {
        0 => {}
        1 | 2 => {
            let Ok(batch) = mosaic_batch::decode(&witness.data, witness.config.chain_id) else { panic!("bad batch") };
            let mut signers = 0u8;
            if mode == 2 {
                for block in &batch.blocks {
                    for tx in &block.transactions {
                        if let DecodedTx::Signed(tx) = tx {
                            let Ok(signer) = tx.recover_signer() else { panic!("bad signature") };
                            signers ^= signer.0[0];
                        }
                    }
                }
            }
            out[0] = signers;
        }
        3 => {
            if WitnessSources::new(&witness).is_err() {
                panic!("bad witness");
            }
        }
        4 => match witness.execute() {
            Ok(x) => out = x.journal.hash().0,
            Err(_) => panic!("batch does not execute"),
        },
        _ => panic!("unknown mode"),
    }
    openvm::io::reveal_bytes32(out);
}
