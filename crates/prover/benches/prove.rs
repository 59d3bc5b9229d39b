//! Real proofs of ETH-transfer batches on this machine's CPU: key generation, proving and verification
//! time and proof size, for app proofs (one STARK per segment) and recursive proofs (aggregated into one
//! STARK); `aggregate`: two one-transfer batches proven recursively, then aggregated into one proof by
//! the aggregation guest; `segments`: one batch's recursive proof made whole, then by segment groups and
//! a join (what `segment` jobs do, one after another here: with a worker per group the wall time is the
//! slowest group plus the join). Peak memory: run it under `/usr/bin/time -v`. Needs
//! `scripts/build-guest.sh`.
//!
//! `cargo bench -p mosaic-prover --bench prove [-- app|recursive|aggregate] [transfers]`
//! `cargo bench -p mosaic-prover --bench prove -- segments [transfers] [groups] [segment MiB]`
//! `cargo bench -p mosaic-prover --bench prove -- segment-count [transfers] [segment MiB …]` (no proof:
//! how many segments each budget cuts the batch into)
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

fn segments(transfers: usize, groups: u32, segment_mib: usize) {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    let _enter = rt.enter();
    let dir = tempfile::tempdir().expect("tempdir");
    let node = sample::chain_with_transfers(dir.path(), transfers).expect("chain");
    let (witness, native) = batch_witness(&node, 1, 1, Variant::Signed).expect("witness");
    let elf = sample::checkout_guest_elf();
    let load =
        || Guest::load_with_segment_memory(&elf, segment_mib << 20).expect("guest ELF (run scripts/build-guest.sh)");
    let guest = load();
    let t = Instant::now();
    guest.keygen(ProofKind::Recursive);
    println!("keys (app + recursion): {:.1} s", t.elapsed().as_secs_f64());
    let total = guest.segments(&witness).expect("segments");
    println!("{transfers} transfers at {segment_mib} MiB per segment: {total} segments, {groups} groups");
    let t = Instant::now();
    let whole = guest.prove(&witness, &native.journal, ProofKind::Recursive).expect("prove");
    println!("whole recursive proof (one job): {:.1} s", t.elapsed().as_secs_f64());
    let mut slowest = 0f64;
    let parts: Vec<_> = (0..groups)
        .map(|g| {
            // Each group as its job runs it: a fresh guest (setup included), the prefix re-executed.
            let t = Instant::now();
            let part = load().prove_segment_group(&witness, g, groups).expect("group");
            let s = t.elapsed().as_secs_f64();
            slowest = slowest.max(s);
            println!(
                "group {g}: segments {}..{} ({} leaves): {s:.1} s",
                part.first,
                part.first + part.count,
                part.leaves.len()
            );
            part
        })
        .collect();
    let t = Instant::now();
    let joined = guest.join_segment_groups(&native.journal, parts).expect("join");
    let join = t.elapsed().as_secs_f64();
    println!("join: {join:.1} s; with a worker per group: {:.1} s wall", slowest + join);
    for proof in [&whole, &joined] {
        assert_eq!(guest.verify(proof).expect("verify"), native.journal);
    }
    println!("both verify; proof files {} and {} bytes", whole.encode().len(), joined.encode().len());
}

fn segment_count(transfers: usize, budgets: &[usize]) {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    let _enter = rt.enter();
    let dir = tempfile::tempdir().expect("tempdir");
    let node = sample::chain_with_transfers(dir.path(), transfers).expect("chain");
    let (witness, _) = batch_witness(&node, 1, 1, Variant::Signed).expect("witness");
    for &mib in budgets {
        let guest = Guest::load_with_segment_memory(&sample::checkout_guest_elf(), mib << 20).expect("guest ELF");
        let t = Instant::now();
        let n = guest.segments(&witness).expect("segments");
        println!("{transfers} transfers at {mib} MiB per segment: {n} segments ({:.1} s)", t.elapsed().as_secs_f64());
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).filter(|a| !a.starts_with("--")).collect();
    let arg = |i: usize, default: usize| args.get(i).and_then(|n| n.parse().ok()).unwrap_or(default);
    let kinds = match args.first().map(String::as_str) {
        Some("aggregate") => return aggregate(),
        Some("segments") => return segments(arg(1, 16), arg(2, 2) as u32, arg(3, 1536)),
        Some("segment-count") => {
            let budgets: Vec<usize> = args.iter().skip(2).filter_map(|a| a.parse().ok()).collect();
            return segment_count(arg(1, 16), if budgets.is_empty() { &[8192] } else { &budgets });
        }
        Some("app") => vec![ProofKind::App],
        Some("recursive") => vec![ProofKind::Recursive],
        _ => vec![ProofKind::App, ProofKind::Recursive],
    };
    let transfers = arg(1, 1);
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
