//! The committed real SNARK (`fixtures/`, written by `scripts/update-snark-fixture.sh` from a recursive
//! proof of a one-transfer batch) verifies in Rust, and any change to its public inputs (the inner
//! proof's accumulator included), its proof bytes or the verifying key makes verification fail.
use alloy_primitives::B256;
use mosaic_snark::{SnarkProof, SnarkVerifyingKey, ACCUMULATOR_INSTANCES, COMMIT_INSTANCES};
use std::path::PathBuf;

fn fixture() -> (SnarkVerifyingKey, SnarkProof, B256) {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures");
    let vk = SnarkVerifyingKey::read(&dir.join("batch.vk.json")).unwrap();
    let proof = SnarkProof::decode(&std::fs::read(dir.join("batch-1.snark")).unwrap()).unwrap();
    let journal: String = std::fs::read_to_string(dir.join("batch-1.journal-hash")).unwrap();
    (vk, proof, journal.trim().parse().unwrap())
}

#[test]
fn the_committed_snark_verifies_and_states_its_journal() {
    let (vk, proof, journal) = fixture();
    let statement = vk.verify(&proof).unwrap();
    assert_eq!(statement.public_values, journal.as_slice());
    assert_eq!((statement.app_exe_commit, statement.app_vm_commit), (vk.app_exe_commit, vk.app_vm_commit));
    assert_eq!(proof.instances.len(), ACCUMULATOR_INSTANCES + COMMIT_INSTANCES + 32);
    // The wrapper: one advice column at k = 23 over the static verifier's proof at k = 22.
    assert_eq!((vk.k, vk.static_k, vk.circuit.num_advice_per_phase.as_slice()), (23, 22, &[1][..]));
}

#[test]
fn keys_made_before_the_wrapper_layer_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("snark.vk.json");
    std::fs::write(&path, r#"{"version": 1, "k": 22}"#).unwrap();
    let err = SnarkVerifyingKey::read(&path).unwrap_err().to_string();
    assert!(err.contains("before the wrapper layer"), "{err}");
}

#[test]
fn an_accumulator_that_is_not_a_curve_point_fails() {
    let (key, proof, _) = fixture();
    let vk = key.prepare().unwrap();
    // The limbs of lhs.x replaced by another small value: still field elements, no longer the proof's.
    let mut forged = proof.clone();
    forged.instances[0] = B256::with_last_byte(1);
    forged.instances[1] = B256::ZERO;
    forged.instances[2] = B256::ZERO;
    assert!(vk.verify(&forged).is_err());
}

#[test]
fn a_changed_public_input_fails() {
    let (key, proof, _) = fixture();
    let vk = key.prepare().unwrap();
    for i in 0..proof.instances.len() {
        let mut forged = proof.clone();
        // +1 keeps it a field element and, for a public-value byte, a byte (unless 0xff: then -1).
        let last = forged.instances[i].0[31];
        forged.instances[i].0[31] = if last == 0xff { 0xfe } else { last + 1 };
        assert!(vk.verify(&forged).is_err(), "public input {i} changed and still verified");
    }
    let mut short = proof.clone();
    short.instances.pop();
    assert!(vk.verify(&short).is_err());
}

#[test]
fn a_changed_proof_byte_fails() {
    let (key, proof, _) = fixture();
    let vk = key.prepare().unwrap();
    // One flipped bit in every 32-byte word of the proof (each is a point coordinate or a scalar).
    for word in 0..proof.proof.len() / 32 {
        let mut forged = proof.clone();
        forged.proof[word * 32 + 31] ^= 1;
        assert!(vk.verify(&forged).is_err(), "proof word {word} changed and still verified");
    }
    let mut truncated = proof.clone();
    truncated.proof.truncate(proof.proof.len() - 32);
    assert!(vk.verify(&truncated).is_err());
}

#[test]
fn a_changed_verifying_key_fails() {
    let (vk, proof, _) = fixture();
    // Another program pinned.
    let mut other = vk.clone();
    other.app_exe_commit.0[31] ^= 1;
    assert!(other.verify(&proof).unwrap_err().to_string().contains("another program"));
    // Another KZG secret: [s]G2 of different parameters.
    let mut other = vk.clone();
    other.s_g2 = other.g2.clone();
    assert!(other.verify(&proof).is_err());
    // A changed byte in halo2's key (fixed and permutation commitments, the transcript's vk digest).
    for at in (0..vk.vk.len()).step_by(vk.vk.len().div_ceil(10)) {
        let mut other = vk.clone();
        other.vk[at] ^= 1;
        assert!(other.verify(&proof).is_err(), "verifying key byte {at} changed and still verified");
    }
}

#[test]
fn the_committed_solidity_verifier_is_the_one_generated_from_the_committed_key() {
    let (vk, _, _) = fixture();
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../contracts/verifier/Halo2Verifier.sol");
    let committed = std::fs::read_to_string(&path).unwrap();
    assert!(
        vk.solidity().unwrap() == committed,
        "{} is stale: regenerate it with scripts/update-snark-fixture.sh",
        path.display()
    );
}

/// The committed aggregate SNARK (`scripts/update-snark-fixture.sh --aggregate`) verifies under the
/// aggregation program's key and states the aggregate journal's hash; the batch program's key refuses
/// it, and the aggregation key refuses the batch SNARK.
#[test]
fn the_committed_aggregate_snark_verifies_under_its_own_key_only() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures");
    let vk = SnarkVerifyingKey::read(&dir.join("aggregate.vk.json")).unwrap();
    let proof = SnarkProof::decode(&std::fs::read(dir.join("aggregate-1-2.snark")).unwrap()).unwrap();
    let journal: B256 =
        std::fs::read_to_string(dir.join("aggregate-1-2.journal-hash")).unwrap().trim().parse().unwrap();
    let statement = vk.verify(&proof).unwrap();
    assert_eq!(statement.public_values, journal.as_slice());
    assert_eq!((statement.app_exe_commit, statement.app_vm_commit), (vk.app_exe_commit, vk.app_vm_commit));
    let (batch_vk, batch_proof, _) = fixture();
    assert_ne!(batch_vk.app_exe_commit, vk.app_exe_commit, "two programs");
    assert!(batch_vk.verify(&proof).is_err(), "the batch key accepted the aggregate SNARK");
    assert!(vk.verify(&batch_proof).is_err(), "the aggregation key accepted a batch SNARK");
}
