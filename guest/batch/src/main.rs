//! The batch guest: reads a `BatchWitness` (RLP) from the input stream, re-executes the batch through the
//! shared STF (`mosaic-witness`), and reveals keccak256 of the 280-byte journal as the proof's public
//! value. Any invalid batch or forged witness panics, so no proof exists for it.
//!
//! Signature recovery (of transactions and of the ECRECOVER precompile), keccak256, SHA-256 (of the
//! state tree and of the SHA-256 precompile) and the P256, BN254, BLS12-381 and KZG precompiles run on
//! OpenVM's instructions: the VM configuration the prover uses (`mosaic_prover::vm_config`) declares the
//! moduli, Fp2s and curves that `openvm_init.rs` registers, in the same order.
#![no_main]
#![no_std]

extern crate alloc;

use mosaic_witness::BatchWitness;
// Links `native_keccak256`, the symbol alloy-primitives' `native-keccak` feature calls.
use openvm_keccak256 as _;

openvm::entry!(main);
openvm::init!();

fn main() {
    if !mosaic_openvm_precompiles::install_providers() {
        panic!("crypto providers installed twice");
    }
    let bytes = openvm::io::read_vec();
    let witness = match BatchWitness::decode(&bytes) {
        Ok(w) => w,
        Err(e) => panic!("bad witness: {e}"),
    };
    let executed = match witness.execute() {
        Ok(x) => x,
        Err(e) => panic!("batch does not execute: {e}"),
    };
    openvm::io::reveal_bytes32(executed.journal.hash().0);
}
