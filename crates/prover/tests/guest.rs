//! The OpenVM guest, run in OpenVM's executor on a witness recorded from a real node, reveals the hash of
//! the journal the node computes natively; a tampered witness makes it fail. Needs the guest ELF
//! (`scripts/build-guest.sh`; `scripts/check-prover.sh` runs both): without it this test fails.
use alloy_primitives::B256;
use mosaic_batch::Variant;
use mosaic_prover::{
    batch_witness, check_public_value,
    sample::{self, Scenario, Workload},
    Guest,
};
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

/// Every MultiVM scenario — EVM and Wasm ERC-20 transfers, a Solidity AMM swapping Wasm tokens, deposits,
/// withdrawals, ETH transfers — as its own batch, and all of them as one batch: the guest, run
/// execute-only on the recorded witness, reveals the journal of the node's own blocks (`batch_witness`
/// checks that the native re-execution reaches the node's post-state root and block hash).
#[test]
fn guest_reaches_the_node_root_for_every_multivm_scenario() {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let _enter = rt.enter();
    let dir = tempfile::tempdir().unwrap();
    let mut chain = Scenario::new(dir.path()).unwrap();
    let guest = Guest::load(&sample::checkout_guest_elf()).unwrap();
    let mut blocks = Vec::new();
    for workload in Workload::ALL {
        let block = chain.batch(workload, 2).unwrap();
        blocks.push(block);
        for variant in [Variant::Signed, Variant::Unsigned] {
            let (witness, native) = batch_witness(&chain.node, block, block, variant).unwrap();
            let revealed = guest.execute(&witness).unwrap_or_else(|e| panic!("{workload:?} {variant:?}: {e}"));
            check_public_value(revealed, &native.journal).unwrap();
            if workload == Workload::Withdrawal {
                assert_ne!(native.journal.withdrawals_root, mosaic_primitives::merkle_root(&[]), "no withdrawal");
            }
            if workload == Workload::Deposit {
                assert_eq!(native.journal.l1_message_cursor, 2, "the deposits were consumed");
            }
        }
    }
    let (first, last) = (blocks[0], blocks[blocks.len() - 1]);
    let (witness, native) = batch_witness(&chain.node, first, last, Variant::Signed).unwrap();
    check_public_value(guest.execute(&witness).unwrap(), &native.journal).unwrap();
}

#[test]
fn guest_init_file_matches_the_vm_config() {
    // The batch guest and the benchmark-only profile guest run in the same VM.
    for program in ["batch", "profile"] {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("../../guest/{program}/openvm_init.rs"));
        let committed = std::fs::read_to_string(&path).unwrap();
        assert_eq!(
            committed.trim(),
            mosaic_prover::init_file().trim(),
            "guest/{program}/openvm_init.rs must register what mosaic_prover::vm_config declares"
        );
    }
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

/// The memory guard: a smaller segment budget cuts the same batch into more segments (each proven on
/// its own, so proving memory stays bounded however long the batch), with the same program commitment
/// and the same result.
#[test]
fn a_smaller_segment_budget_splits_a_batch_into_more_segments() {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let _enter = rt.enter();
    let dir = tempfile::tempdir().unwrap();
    let node = sample::chain_with_transfers(dir.path(), 16).unwrap();
    let (witness, native) = batch_witness(&node, 1, 1, Variant::Signed).unwrap();
    let default = Guest::load(&sample::checkout_guest_elf()).unwrap();
    let tight = Guest::load_with_segment_memory(&sample::checkout_guest_elf(), 256 << 20).unwrap();
    let (few, many) = (default.segments(&witness).unwrap(), tight.segments(&witness).unwrap());
    eprintln!("16 ETH transfers: {few} segment(s) at the default budget, {many} at 256 MiB");
    assert!(many > few, "a 256 MiB budget gave {many} segment(s), the default {few}");
    check_public_value(tight.execute(&witness).unwrap(), &native.journal).unwrap();
}

/// The batch the committed SNARK (`crates/snark/fixtures/batch-1.*`, from `scripts/update-snark-fixture.sh`)
/// proves is batch 1 of the one-transfer sample chain: its journal hashes to the fixture's, and
/// `contracts/test/snark/batch.json` holds exactly what a Rollup is deployed with and commits for it, so
/// forge (`SnarkRollup.t.sol`) finalizes that batch with the real SNARK. `MOSAIC_UPDATE_FIXTURE=1`
/// rewrites the JSON.
#[test]
fn snark_fixture_batch_is_batch_one_of_the_sample_chain() {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let _enter = rt.enter();
    let dir = tempfile::tempdir().unwrap();
    let node = sample::chain_with_transfer_blocks(dir.path(), 1, 1).unwrap();
    let (witness, native) = batch_witness(&node, 1, 1, mosaic_batch::Variant::Signed).unwrap();
    let j = &native.journal;
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let committed = std::fs::read_to_string(root.join("crates/snark/fixtures/batch-1.journal-hash")).unwrap();
    assert_eq!(j.hash(), committed.trim().parse::<B256>().unwrap(), "the SNARK fixture proves another batch");
    assert_eq!(alloy_primitives::keccak256(&witness.data), j.batch_data_hash);
    // Batch 1 builds on genesis and consumes no L1 message: the Rollup's genesis record and the empty
    // queue's rolling hash (zero) are what the journal binds.
    assert_eq!((j.l1_message_cursor, j.l1_messages_hash), (0, B256::ZERO));
    let json = serde_json::json!({
        "chainId": j.chain_id,
        "configHash": j.config_hash,
        "genesisStateRoot": j.prev_state_root,
        "genesisBlockHash": j.prev_block_hash,
        "lastBlock": j.last_block,
        "postStateRoot": j.post_state_root,
        "withdrawalsRoot": j.withdrawals_root,
        "lastBlockHash": j.last_block_hash,
        "data": witness.data,
        "journalHash": j.hash(),
    });
    let text = serde_json::to_string_pretty(&json).unwrap() + "\n";
    let path = root.join("contracts/test/snark/batch.json");
    if std::env::var_os("MOSAIC_UPDATE_FIXTURE").is_some() {
        std::fs::write(&path, &text).unwrap();
    }
    assert_eq!(
        std::fs::read_to_string(&path).unwrap_or_default(),
        text,
        "{} is stale: rerun with MOSAIC_UPDATE_FIXTURE=1",
        path.display()
    );
}

/// The range the committed aggregate SNARK (`crates/snark/fixtures/aggregate-1-2.*`, from
/// `scripts/update-snark-fixture.sh --aggregate`) proves is batches 1 and 2 of the two-block sample
/// chain, one block each, batch 1 being the batch fixture's: `contracts/test/snark/range.json` holds the
/// headers and data a Rollup commits for them, so forge (`RangeFinalization.t.sol`) and the finalizer's
/// test finalize that range with the real SNARK. `MOSAIC_UPDATE_FIXTURE=1` rewrites the JSON.
#[test]
fn range_fixture_is_batches_one_and_two_of_the_sample_chain() {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let _enter = rt.enter();
    let dir = tempfile::tempdir().unwrap();
    let node = sample::chain_with_transfer_blocks(dir.path(), 2, 1).unwrap();
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let committed = std::fs::read_to_string(root.join("crates/snark/fixtures/batch-1.journal-hash")).unwrap();
    let mut batches = Vec::new();
    let mut first = None;
    for block in 1..=2u64 {
        let (witness, native) = batch_witness(&node, block, block, Variant::Signed).unwrap();
        let j = native.journal;
        if block == 1 {
            assert_eq!(j.hash(), committed.trim().parse::<B256>().unwrap(), "batch 1 is not the batch fixture's");
            first = Some(j);
        }
        assert_eq!(alloy_primitives::keccak256(&witness.data), j.batch_data_hash);
        assert_eq!((j.l1_message_cursor, j.l1_messages_hash), (0, B256::ZERO));
        batches.push(serde_json::json!({
            "index": block,
            "firstBlock": block,
            "lastBlock": j.last_block,
            "prevStateRoot": j.prev_state_root,
            "postStateRoot": j.post_state_root,
            "withdrawalsRoot": j.withdrawals_root,
            "lastBlockHash": j.last_block_hash,
            "data": witness.data,
            "journalHash": j.hash(),
        }));
    }
    let first = first.unwrap();
    let json = serde_json::json!({
        "chainId": first.chain_id,
        "configHash": first.config_hash,
        "genesisStateRoot": first.prev_state_root,
        "genesisBlockHash": first.prev_block_hash,
        "batches": batches,
    });
    let text = serde_json::to_string_pretty(&json).unwrap() + "\n";
    let path = root.join("contracts/test/snark/range.json");
    if std::env::var_os("MOSAIC_UPDATE_FIXTURE").is_some() {
        std::fs::write(&path, &text).unwrap();
    }
    assert_eq!(
        std::fs::read_to_string(&path).unwrap_or_default(),
        text,
        "{} is stale: rerun with MOSAIC_UPDATE_FIXTURE=1",
        path.display()
    );
}
