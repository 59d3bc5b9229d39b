//! The batch guest: reads a `BatchWitness` (RLP) from the input stream, re-executes the batch through the
//! shared STF (`mosaic-witness`), and reveals keccak256 of the 280-byte journal as the proof's public
//! value. Any invalid batch or forged witness panics, so no proof exists for it.
#![no_main]
#![no_std]

extern crate alloc;

use mosaic_witness::BatchWitness;

openvm::entry!(main);

fn main() {
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
