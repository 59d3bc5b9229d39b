//! Rust verification of the committed real SNARK (`cargo bench -p mosaic-snark --bench verify`): the
//! time per verification (halo2 SHPLONK verifier + KZG pairing check), and the sizes involved. The wrap
//! itself is measured by `scripts/update-snark-fixture.sh` (docs/benchmarks.md).
use mosaic_snark::{verifier_cost, SnarkProof, SnarkVerifyingKey};
use std::{path::PathBuf, time::Instant};

fn main() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures");
    let vk = SnarkVerifyingKey::read(&dir.join("batch.vk.json")).expect("fixture key");
    let proof = SnarkProof::decode(&std::fs::read(dir.join("batch-1.snark")).expect("fixture")).expect("fixture");
    let started = Instant::now();
    let prepared = vk.prepare().expect("the key parses");
    let prepare = started.elapsed().as_secs_f64();
    prepared.verify(&proof).expect("the fixture verifies");
    let runs = 50;
    let started = Instant::now();
    for _ in 0..runs {
        prepared.verify(&proof).expect("verifies");
    }
    let per = started.elapsed().as_secs_f64() / runs as f64;
    println!(
        "snark verify (Rust): parse the key {:.0} ms once, then {:.2} ms per proof over {runs} runs",
        prepare * 1e3,
        per * 1e3
    );
    println!(
        "proof: {} bytes + {} public inputs ({} bytes of calldata)",
        proof.proof.len(),
        proof.instances.len(),
        proof.calldata().len()
    );
    println!(
        "verifying key: {} bytes of halo2 key, wrapper k = {} over the static verifier at k = {}",
        vk.vk.len(),
        vk.k,
        vk.static_k
    );
    let cost = verifier_cost(&vk).expect("the key compiles");
    println!(
        "L1 verifier (snark-verifier's cost model): {} commitments, {} evaluations, {} ecMul, {} pairings",
        cost.commitments, cost.evaluations, cost.msm, cost.pairings
    );
}
