//! Guest cycles per batch, from OpenVM's metered executor (the first run generates the app proving key,
//! which takes minutes): a one-transfer batch and a 16-transfer batch, signed and signature-less; the
//! difference gives the marginal cycles of one ETH transfer. Needs `scripts/build-guest.sh` first.
//!
//! `cargo bench -p mosaic-prover --bench guest_cycles`
use mosaic_batch::Variant;
use mosaic_prover::{batch_witness, check_public_value, sample, Guest};
use std::time::Instant;

fn main() {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    let _enter = rt.enter();
    let guest = Guest::load(&sample::checkout_guest_elf()).expect("guest ELF (run scripts/build-guest.sh)");
    println!("guest ELF keccak {}", guest.elf_hash);
    for variant in [Variant::Signed, Variant::Unsigned] {
        let mut cycles = Vec::new();
        for n in [1usize, 16] {
            let dir = tempfile::tempdir().expect("tempdir");
            let node = sample::chain_with_transfers(dir.path(), n).expect("chain");
            let (witness, native) = batch_witness(&node, 1, 1, variant).expect("witness");
            let started = Instant::now();
            let run = guest.measure(&witness).expect("guest run");
            check_public_value(run.journal_hash, &native.journal).expect("journal");
            println!(
                "{variant:?} batch, {n:>2} ETH transfers: {:>11} cycles, cost {:>13} cells, witness {:>6} B ({:.1} s)",
                run.cycles,
                run.cost,
                witness.encode().len(),
                started.elapsed().as_secs_f64()
            );
            cycles.push(run.cycles);
        }
        println!("{variant:?}: {} cycles per additional ETH transfer", (cycles[1] - cycles[0]) / 15);
    }
}
