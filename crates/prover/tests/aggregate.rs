//! Aggregation of two consecutive batches' recursive proofs into one STARK (slow: two recursive batch
//! proofs, the deferral circuits' key generation and the aggregation proof take tens of minutes on two
//! cores; `cargo test --release -p mosaic-prover --test aggregate -- --ignored`). The aggregate verifies
//! and states the span of both batches; batches out of order, a journal a proof does not reveal, a proof
//! of another batch program, a changed journal field or proof byte are all refused. With
//! `MOSAIC_PROOF_CACHE=DIR` the two batch proofs are kept in DIR and reused by the next run.
use alloy_primitives::B256;
use mosaic_batch::Variant;
use mosaic_prover::{batch_witness, sample, AggregateJournal, Aggregator, BatchProof, Guest, ProofFile, ProofKind};

#[test]
#[ignore = "slow: two recursive batch proofs and their aggregation (tens of minutes)"]
fn two_batch_proofs_aggregate_into_one_and_tampering_fails() {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let _enter = rt.enter();
    let dir = tempfile::tempdir().unwrap();
    let node = sample::chain_with_transfer_blocks(dir.path(), 2, 1).unwrap();
    let guest = Guest::load(&sample::checkout_guest_elf()).unwrap();
    let started = std::time::Instant::now();
    let aggregator = Aggregator::load(&guest, &sample::checkout_aggregate_elf()).unwrap();
    eprintln!("aggregator keys: {:.0} s", started.elapsed().as_secs_f64());
    // The chain is deterministic, so a developer may keep its batch proofs between runs.
    let cache = std::env::var_os("MOSAIC_PROOF_CACHE").map(std::path::PathBuf::from);
    let mut proofs = Vec::new();
    for block in 1..=2 {
        let (witness, native) = batch_witness(&node, block, block, Variant::Signed).unwrap();
        let cached = cache.as_ref().map(|dir| dir.join(format!("batch-{block}.proof")));
        if let Some(bytes) = cached.as_ref().and_then(|path| std::fs::read(path).ok()) {
            let proof = BatchProof::decode(&bytes).unwrap();
            assert_eq!(proof.journal, native.journal, "a stale proof in MOSAIC_PROOF_CACHE");
            proofs.push(proof);
            continue;
        }
        let started = std::time::Instant::now();
        let proof = guest.prove(&witness, &native.journal, ProofKind::Recursive).unwrap();
        eprintln!("recursive proof of batch {block}: {:.0} s", started.elapsed().as_secs_f64());
        if let Some(path) = cached {
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, proof.encode()).unwrap();
        }
        proofs.push(proof);
    }
    assert_eq!(aggregator.batch_program, guest.program_commit().unwrap().program_id);

    for proof in &proofs {
        assert_eq!(aggregator.program_of(proof).unwrap(), aggregator.batch_program, "the proofs' program");
    }
    // The guest refuses, on real proofs: batches out of order, and a journal the proof does not reveal.
    let journals: Vec<_> = proofs.iter().map(|p| p.journal).collect();
    let honest = aggregator.execute(&proofs, &journals).unwrap();
    let expected = AggregateJournal::fold(aggregator.batch_program, &journals).unwrap();
    assert_eq!(honest, expected.hash(), "the guest folds the journals as the host does");
    let swapped = [proofs[1].clone(), proofs[0].clone()];
    assert!(aggregator.execute(&swapped, &[journals[1], journals[0]]).is_err(), "batches out of order aggregated");
    let mut lying = journals.clone();
    lying[1].withdrawals_root = B256::repeat_byte(3);
    assert!(aggregator.execute(&proofs, &lying).is_err(), "a journal its proof does not reveal was accepted");
    // An app proof is no input for aggregation.
    let mut app = proofs[0].clone();
    app.kind = ProofKind::App;
    assert!(aggregator.prove(&[app, proofs[1].clone()]).is_err());

    let started = std::time::Instant::now();
    let proof = aggregator.prove(&proofs).unwrap();
    eprintln!("aggregation proof: {:.0} s, {} bytes", started.elapsed().as_secs_f64(), proof.proof.len());
    let ProofFile::Aggregate(file) = ProofFile::decode(&proof.encode()).unwrap() else { panic!("not an aggregate") };
    let journal = aggregator.verify(&file).unwrap();
    assert_eq!(journal, expected);
    assert_eq!((journal.batches, journal.prev_state_root), (2, proofs[0].journal.prev_state_root));
    assert_eq!((journal.post_state_root, journal.last_block), (proofs[1].journal.post_state_root, 2));

    // A changed journal field, a flipped proof byte.
    let mut claim = file.clone();
    claim.journal.post_state_root = B256::repeat_byte(7);
    assert!(aggregator.verify(&claim).is_err(), "a changed aggregate journal verified");
    let mut raw = zstd::decode_all(file.proof.as_slice()).unwrap();
    let mid = raw.len() / 2;
    raw[mid] ^= 1;
    let mut forged = file.clone();
    forged.proof = zstd::encode_all(raw.as_slice(), 3).unwrap();
    assert!(aggregator.verify(&forged).is_err(), "a changed proof byte verified");

    // Another batch program: its aggregator neither takes these batch proofs nor accepts this aggregate.
    let other_elf = dir.path().join("other.elf");
    sample::write_other_program(&sample::checkout_guest_elf(), &other_elf).unwrap();
    let other = Guest::load(&other_elf).unwrap();
    assert!(other.verify(&proofs[0]).is_err(), "a batch proof verified as another program's");
    let other_aggregator = Aggregator::load(&other, &sample::checkout_aggregate_elf()).unwrap();
    assert_ne!(other_aggregator.batch_program, aggregator.batch_program);
    assert!(other_aggregator.verify(&file).is_err(), "an aggregate of another batch program verified");
    assert!(other_aggregator.prove(&proofs).is_err(), "proofs of another batch program aggregated");
}
