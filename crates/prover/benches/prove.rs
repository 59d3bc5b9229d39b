//! Real proofs of ETH-transfer batches on this machine's CPU: key generation, proving and verification
//! time and proof size, for app proofs (one STARK per segment) and recursive proofs (aggregated into one
//! STARK); `aggregate`: two one-transfer batches proven recursively, then aggregated into one proof by
//! the aggregation guest. Peak memory: run it under `/usr/bin/time -v`. Needs `scripts/build-guest.sh`.
//!
//! `cargo bench -p mosaic-prover --bench prove [-- app|recursive|aggregate] [transfers]`
use mosaic_batch::Variant;
use mosaic_prover::{batch_witness, sample, Aggregator, Guest, ProofKind};
use std::time::Instant;

fn aggregate() {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    let _enter = rt.enter();
    let dir = tempfile::tempdir().expect("tempdir");
    let node = sample::chain_with_transfer_blocks(dir.path(), 2, 1).expect("chain");
    let guest = Guest::load(&sample::checkout_guest_elf()).expect("guest ELF (run scripts/build-guest.sh)");
    let t = Instant::now();
    guest.keygen(ProofKind::Recursive);
    println!("batch guest keys (app + recursion): {:.1} s", t.elapsed().as_secs_f64());
    let proofs: Vec<_> = (1..=2)
        .map(|block| {
            let (witness, native) = batch_witness(&node, block, block, Variant::Signed).expect("witness");
            let t = Instant::now();
            let proof = guest.prove(&witness, &native.journal, ProofKind::Recursive).expect("prove");
            println!("recursive proof of batch {block}: {:.1} s", t.elapsed().as_secs_f64());
            proof
        })
        .collect();
    let t = Instant::now();
    let aggregator = Aggregator::load(&guest, &sample::checkout_aggregate_elf()).expect("aggregation guest ELF");
    println!("aggregation keys (verify-stark circuit, deferral recursion, hook): {:.1} s", t.elapsed().as_secs_f64());
    let t = Instant::now();
    let proof = aggregator.prove(&proofs).expect("aggregate");
    let prove = t.elapsed().as_secs_f64();
    let t = Instant::now();
    let journal = aggregator.verify(&proof).expect("verify");
    let verify = t.elapsed().as_secs_f64();
    assert_eq!(journal.batches, 2);
    println!(
        "Aggregate proof of 2 batches: prove {prove:.1} s, verify {verify:.1} s (including the aggregation \
         program's baseline), proof file {} bytes",
        proof.encode().len()
    );
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).filter(|a| !a.starts_with("--")).collect();
    let kinds = match args.first().map(String::as_str) {
        Some("aggregate") => return aggregate(),
        Some("app") => vec![ProofKind::App],
        Some("recursive") => vec![ProofKind::Recursive],
        _ => vec![ProofKind::App, ProofKind::Recursive],
    };
    let transfers: usize = args.get(1).and_then(|n| n.parse().ok()).unwrap_or(1);
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    let _enter = rt.enter();
    let dir = tempfile::tempdir().expect("tempdir");
    let node = sample::chain_with_transfers(dir.path(), transfers).expect("chain");
    let (witness, native) = batch_witness(&node, 1, 1, Variant::Signed).expect("witness");
    let guest = Guest::load(&sample::checkout_guest_elf()).expect("guest ELF (run scripts/build-guest.sh)");
    println!("guest ELF keccak {}; batch of {transfers} ETH transfer(s)", guest.elf_hash());
    for kind in kinds {
        let t = Instant::now();
        guest.keygen(kind);
        let keygen = t.elapsed().as_secs_f64();
        let t = Instant::now();
        let proof = guest.prove(&witness, &native.journal, kind).expect("prove");
        let prove = t.elapsed().as_secs_f64();
        let t = Instant::now();
        let journal = guest.verify(&proof).expect("verify");
        let verify = t.elapsed().as_secs_f64();
        assert_eq!(journal, native.journal);
        println!(
            "{kind:?} proof: keygen {keygen:.1} s, prove {prove:.1} s, verify {verify:.1} s, proof file {} bytes",
            proof.encode().len()
        );
    }
}
