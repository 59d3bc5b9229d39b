//! Real proofs of a one-transfer batch (slow: key generation and proving take minutes on two cores, so
//! ignored by default; `cargo test --release -p mosaic-prover --test prove -- --ignored`). Each proof
//! verifies against the guest's keys and reveals the node's journal; a changed journal field or proof
//! byte, or another guest program, fails verification.
use alloy_primitives::B256;
use mosaic_batch::Variant;
use mosaic_prover::{batch_witness, sample, BatchProof, Guest, ProofKind};

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
