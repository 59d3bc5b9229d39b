//! Real proofs of a one-transfer batch (slow: key generation and proving take minutes on two cores, so
//! ignored by default; `cargo test --release -p mosaic-prover --test prove -- --ignored`). Each proof
//! verifies against the guest's keys and reveals the node's journal; a changed journal field or proof
//! byte, or another guest program, fails verification.
use alloy_primitives::B256;
use mosaic_batch::Variant;
use mosaic_prover::{batch_witness, sample, BatchProof, Guest, ProofKind, SegmentGroup};

fn prove_and_tamper(kind: ProofKind) {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let _enter = rt.enter();
    let dir = tempfile::tempdir().unwrap();
    let node = sample::chain_with_transfers(dir.path(), 1).unwrap();
    let guest = Guest::load(&sample::checkout_guest_elf()).unwrap();
    let (witness, native) = batch_witness(&node, 1, 1, Variant::Signed).unwrap();
    let proof = guest.prove(&witness, &native.journal, kind).unwrap();
    let file = BatchProof::decode(&proof.encode()).unwrap();
    assert_eq!(guest.verify(&file).unwrap(), native.journal);

    // A journal that claims another post-state root: the proof reveals a different hash.
    let mut claim = file.clone();
    claim.journal.post_state_root = B256::repeat_byte(7);
    assert!(guest.verify(&claim).is_err(), "a changed journal field verified");
    // A flipped byte inside the (decompressed) proof.
    let mut raw = zstd::decode_all(file.proof.as_slice()).unwrap();
    let mid = raw.len() / 2;
    raw[mid] ^= 1;
    let mut forged = file.clone();
    forged.proof = zstd::encode_all(raw.as_slice(), 3).unwrap();
    assert!(guest.verify(&forged).is_err(), "a changed proof byte verified");
    // The same proof checked against another program (one byte of the ELF changed).
    let other_elf = dir.path().join("other.elf");
    sample::write_other_program(&sample::checkout_guest_elf(), &other_elf).unwrap();
    let other = Guest::load(&other_elf).unwrap();
    assert!(other.verify(&file).is_err(), "a proof verified as another program's");
}

#[test]
#[ignore = "slow: proves a batch (minutes)"]
fn app_proof_of_a_one_transfer_batch_verifies_and_tampering_fails() {
    prove_and_tamper(ProofKind::App);
}

#[test]
#[ignore = "slow: proves and aggregates a batch (minutes)"]
fn recursive_proof_of_a_one_transfer_batch_verifies_and_tampering_fails() {
    prove_and_tamper(ProofKind::Recursive);
}

/// A batch's recursive STARK proven by separate segment jobs (issue #20): a run cut small (16 transfers
/// at a 1.5 GiB segment budget: 6 segments, two leaves), proven in two groups — each as its own job
/// would, in a VM of its own, the run re-executed up to its first segment, its output through the
/// artifact encoding — and joined into a proof that verifies as `Guest::prove`'s does and reveals the
/// node's journal. Groups missing or out of order are refused before any proving.
#[test]
#[ignore = "slow: proves a batch in segment groups and joins them (minutes)"]
fn a_recursive_proof_joined_from_segment_groups_verifies() {
    const BUDGET: usize = 1536 << 20;
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let _enter = rt.enter();
    let dir = tempfile::tempdir().unwrap();
    let node = sample::chain_with_transfers(dir.path(), 16).unwrap();
    let elf = sample::checkout_guest_elf();
    let guest = Guest::load_with_segment_memory(&elf, BUDGET).unwrap();
    let (witness, native) = batch_witness(&node, 1, 1, Variant::Signed).unwrap();
    let total = guest.segments(&witness).unwrap();
    eprintln!("16 transfers at 1.5 GiB: {total} segments");
    assert!(total > 4, "two groups need more than one leaf (4 segments): {total}");
    let bytes: Vec<Vec<u8>> = (0..2)
        .map(|group| {
            let started = std::time::Instant::now();
            let worker = Guest::load_with_segment_memory(&elf, BUDGET).unwrap();
            let part = worker.prove_segment_group(&witness, group, 2).unwrap();
            eprintln!(
                "group {group}: segments {}..{} of {}, {} leaves, {:.0} s",
                part.first,
                part.first + part.count,
                part.total,
                part.leaves.len(),
                started.elapsed().as_secs_f64()
            );
            part.encode().unwrap()
        })
        .collect();
    let part = |i: usize| SegmentGroup::decode(&bytes[i]).unwrap();
    assert_eq!((part(0).first, part(0).total as usize), (0, total));
    assert!(part(1).count > 0 && part(1).first + part(1).count == total as u32);
    assert!(part(0).public_values.is_none() && part(1).public_values.is_some());

    for (groups, why) in [(vec![part(1), part(0)], "out of order"), (vec![part(0)], "missing"), (vec![], "none")] {
        let err = guest.join_segment_groups(&native.journal, groups).unwrap_err();
        assert!(err.to_string().contains("do not join"), "{why}: {err}");
    }
    let started = std::time::Instant::now();
    let proof = guest.join_segment_groups(&native.journal, vec![part(0), part(1)]).unwrap();
    eprintln!("join: {:.0} s", started.elapsed().as_secs_f64());
    assert_eq!(proof.kind, ProofKind::Recursive);
    let file = BatchProof::decode(&proof.encode()).unwrap();
    assert_eq!(guest.verify(&file).unwrap(), native.journal);
    // The same proof under the default budget's guest (the commitments do not depend on the cut).
    assert_eq!(Guest::load(&elf).unwrap().verify(&file).unwrap(), native.journal);
}
