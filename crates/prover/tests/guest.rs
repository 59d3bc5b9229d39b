//! The OpenVM guest, run in OpenVM's executor on a witness recorded from a real node, reveals the hash of
//! the journal the node computes natively; a tampered witness makes it fail. Needs the guest ELF
//! (`scripts/build-guest.sh`; `scripts/check-prover.sh` runs both): without it this test fails.
use alloy_primitives::B256;
use mosaic_batch::Variant;
use mosaic_prover::{batch_witness, check_public_value, sample, Guest};
use std::path::Path;

#[test]
fn guest_reveals_the_journal_of_a_one_transfer_batch() {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let _enter = rt.enter();
    let dir = tempfile::tempdir().unwrap();
    let node = sample::chain_with_transfers(dir.path(), 1).unwrap();
    let guest = Guest::load(&sample::checkout_guest_elf()).unwrap();
    for variant in [Variant::Signed, Variant::Unsigned] {
        let (witness, native) = batch_witness(&node, 1, 1, variant).unwrap();
        let revealed = guest.execute(&witness).unwrap();
        check_public_value(revealed, &native.journal).unwrap();
        // A forged state root: no execution, hence no proof.
        let mut bad = witness.clone();
        bad.parent.state_root = B256::repeat_byte(1);
        assert!(guest.execute(&bad).is_err(), "the guest must reject a witness that does not open the parent root");
        // A transaction byte changed in the posted data.
        let mut bad = witness.clone();
        let mut data = bad.data.to_vec();
        let last = data.len() - 1;
        data[last] ^= 1;
        bad.data = data.into();
        assert!(guest.execute(&bad).map_or(true, |h| h != revealed), "changed data, same journal");
    }
}

#[test]
fn guest_init_file_matches_the_vm_config() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../guest/batch/openvm_init.rs");
    let committed = std::fs::read_to_string(&path).unwrap();
    assert_eq!(
        committed.trim(),
        mosaic_prover::init_file().trim(),
        "guest/batch/openvm_init.rs must register what mosaic_prover::vm_config declares"
    );
}

#[test]
fn posted_batch_witness_finds_the_encoding_l1_holds() {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let _enter = rt.enter();
    let dir = tempfile::tempdir().unwrap();
    let node = sample::chain_with_transfers(dir.path(), 2).unwrap();
    for variant in [Variant::Signed, Variant::Unsigned] {
        let (expected, _) = batch_witness(&node, 1, 1, variant).unwrap();
        let hash = alloy_primitives::keccak256(&expected.data);
        let (found, native) = mosaic_prover::posted_batch_witness(&node, 1, 1, hash).unwrap();
        assert_eq!(found.encode(), expected.encode(), "{variant:?}");
        assert_eq!(native.journal.batch_data_hash, hash);
    }
    assert!(mosaic_prover::posted_batch_witness(&node, 1, 1, B256::repeat_byte(9)).is_err(), "no encoding matches");
    assert!(mosaic_prover::posted_batch_witness(&node, 0, 1, B256::ZERO).is_err(), "genesis is in no batch");
}
