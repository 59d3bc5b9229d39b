//! How large OpenVM's single-column wrapper layer would be on Mosaic's SNARK
//! (`cargo bench -p mosaic-snark --bench wrapper_size`): the circuit that would bring the L1 verifier
//! from 41 commitments (≈695k gas) towards 350k, laid out on the committed real SNARK. Its `k` is what
//! its keygen and every wrap would have to handle (docs/benchmarks.md, "SNARK wrap").
//!
//! With `MOSAIC_WRAPPER_KEYGEN=DIR` it also runs the wrapper's halo2 keygen at that `k` (minutes, GBs:
//! run it under `/usr/bin/time -v`) on the KZG parameters `DIR/kzg_bn254_<k>.srs` (development ones from
//! `DEV_SEED` are generated there if absent), and prints what its L1 verifier would compute.
use mosaic_snark::{srs, verifier_cost, wrapper_keygen, wrapper_size, SnarkProof, SnarkVerifyingKey};
use std::{path::PathBuf, time::Instant};

fn main() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures");
    let vk = SnarkVerifyingKey::read(&dir.join("batch.vk.json")).expect("fixture key");
    let proof = SnarkProof::decode(&std::fs::read(dir.join("batch-1.snark")).expect("fixture")).expect("fixture");
    let started = Instant::now();
    let size = wrapper_size(&vk, &proof).expect("the wrapper lays out");
    println!(
        "wrapper layer over the static verifier (k = {}, {} advice columns): one advice column at k = {}",
        vk.k,
        vk.circuit.num_advice_per_phase.iter().sum::<usize>(),
        size.k
    );
    println!(
        "  {} advice cells, {} range-checked cells, {} fixed columns",
        size.advice_cells, size.lookup_cells, size.fixed_columns
    );
    for (k, columns) in &size.tried {
        println!("  k = {k}: {columns} advice columns");
    }
    println!("  laid out in {:.1} s", started.elapsed().as_secs_f64());
    let cost = verifier_cost(&vk).expect("the key compiles");
    println!(
        "static verifier's L1 verification today: {} commitments, {} evaluations, {} ecMul, {} pairings",
        cost.commitments, cost.evaluations, cost.msm, cost.pairings
    );
    let Some(dir) = std::env::var_os("MOSAIC_WRAPPER_KEYGEN").map(PathBuf::from) else { return };
    let path = srs::path(&dir, size.k);
    let started = Instant::now();
    let params = if path.exists() {
        srs::read(&path).expect("KZG parameters")
    } else {
        std::fs::create_dir_all(&dir).expect("folder");
        let params = srs::dev_setup(size.k, srs::DEV_SEED);
        srs::write(&params, &path).expect("write parameters");
        params
    };
    println!("KZG parameters 2^{}: {:.1} s", size.k, started.elapsed().as_secs_f64());
    let (seconds, cost) = wrapper_keygen(&vk, &proof, &params).expect("wrapper keygen");
    println!(
        "wrapper keygen at k = {}: {seconds:.1} s; its L1 verification: {} commitments, {} evaluations, {} ecMul, \
         {} pairings",
        size.k, cost.commitments, cost.evaluations, cost.msm, cost.pairings
    );
}
