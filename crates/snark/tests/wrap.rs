//! The whole wrap, end to end (slow: the KZG parameters, the static verifier's and the wrapper's keygen
//! and one wrap take tens of minutes and ≈20 GB on two cores; `scripts/update-snark-fixture.sh` runs it):
//! a recursive proof of batch 1 of the sample chain is wrapped into a SNARK that verifies in Rust and
//! states the batch's journal hash; a tampered recursive STARK cannot be wrapped.
//!
//! `MOSAIC_PROOF_CACHE=DIR` keeps the recursive batch proof between runs, `MOSAIC_SNARK_DIR=DIR` the
//! keys; `MOSAIC_UPDATE_FIXTURE=1` writes the committed fixtures (`crates/snark/fixtures/`, the Solidity
//! verifier and `contracts/test/snark/fixture.json`).
#![cfg(feature = "test-utils")]
use mosaic_batch::Variant;
use mosaic_prover::{
    batch_witness, decompress, sample, AggregateJournal, Aggregator, BatchProof, Guest, ProofFile, ProofKind,
};
use mosaic_snark::{
    keygen_inputs, root_proof, srs::DEV_SEED, KeygenInputs, RootKey, SnarkProof, SnarkProver, SnarkVerifyingKey,
    ACCUMULATOR_INSTANCES, DEFAULT_K,
};
use std::{
    path::{Path, PathBuf},
    time::Instant,
};

/// The recursive proof of batch `block` (one block) of `node`'s chain, verified; kept in
/// `MOSAIC_PROOF_CACHE` as `batch-<block>.proof` when that is set (the sample chain is deterministic).
fn batch_proof(guest: &Guest, node: &mosaic_node::Node, block: u64) -> BatchProof {
    let (witness, native) = batch_witness(node, block, block, Variant::Signed).unwrap();
    let cached = proof_cache().map(|dir| dir.join(format!("batch-{block}.proof")));
    let proof = match cached.as_ref().and_then(|p| std::fs::read(p).ok()) {
        Some(bytes) => BatchProof::decode(&bytes).unwrap(),
        None => {
            let started = Instant::now();
            let proof = guest.prove(&witness, &native.journal, ProofKind::Recursive).unwrap();
            eprintln!("recursive proof of batch {block}: {:.0} s", started.elapsed().as_secs_f64());
            if let Some(path) = &cached {
                std::fs::create_dir_all(path.parent().unwrap()).unwrap();
                std::fs::write(path, proof.encode()).unwrap();
            }
            proof
        }
    };
    assert_eq!(proof.journal, native.journal, "a stale proof in MOSAIC_PROOF_CACHE");
    guest.verify(&proof).unwrap();
    proof
}

fn proof_cache() -> Option<PathBuf> {
    std::env::var_os("MOSAIC_PROOF_CACHE").map(PathBuf::from)
}

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The root STARK of `stark` (a recursive proof of `vm`'s program), and the STARK side of the SNARK
/// setup when `keys` holds no keys for that program yet. A flipped byte of `stark` must be refused
/// before any root proving.
fn root_and_keygen_inputs(
    vm: &mosaic_prover::OpenVm,
    keys: &Path,
    stark: &[u8],
) -> (mosaic_snark::RootProof, Option<KeygenInputs>) {
    std::fs::create_dir_all(keys).unwrap();
    let program = mosaic_prover::ZkVm::program_commit(vm).unwrap();
    let have_keys = SnarkVerifyingKey::read(&keys.join("snark.vk.json"))
        .is_ok_and(|vk| (vk.app_exe_commit, vk.app_vm_commit) == (program.app_exe_commit, program.app_vm_commit));
    // Keys made earlier (at least their static half): their cached root proving key (or the SDK's,
    // then cached).
    let root_key = RootKey::for_keys(vm, keys).ok();
    let inputs = if have_keys {
        None
    } else {
        Some(match KeygenInputs::read(keys, &program).unwrap() {
            Some(inputs) => inputs,
            None => {
                let inputs = keygen_inputs(vm, keys).unwrap();
                eprintln!("STARK side of setup: {:.0} s", inputs.seconds);
                inputs
            }
        })
    };
    let prove_root = |stark: &[u8]| match &root_key {
        Some(key) => key.prove(vm, stark),
        None => root_proof(vm, stark),
    };
    let (root, root_s) = prove_root(stark).unwrap();
    eprintln!("root STARK: {root_s:.0} s");
    let mut forged = stark.to_vec();
    let mid = forged.len() / 2;
    forged[mid] ^= 1;
    assert!(prove_root(&forged).is_err(), "a tampered STARK reached a root proof");
    (root, inputs)
}

/// The wrapping prover of `keys`, made there first from `inputs` (development KZG parameters) if given.
/// Call it with the program's SDK dropped: the halo2 keygen needs the memory.
fn load_or_setup(keys: &Path, inputs: Option<KeygenInputs>) -> SnarkProver {
    match inputs {
        None => SnarkProver::load(keys).unwrap(),
        Some(inputs) => {
            let started = Instant::now();
            let (params, hash, generated) = mosaic_snark::params(keys, DEFAULT_K, DEV_SEED).unwrap();
            eprintln!("KZG parameters: {:.0} s", started.elapsed().as_secs_f64());
            let (prover, report) = SnarkProver::setup(inputs, params, hash, generated, DEV_SEED, keys).unwrap();
            eprintln!("setup: {report:?}");
            prover
        }
    }
}

#[test]
#[ignore = "slow: KZG parameters, halo2 keygen at k = 22 and 23 and one wrap (tens of minutes, ≈20 GB)"]
fn a_recursive_batch_proof_wraps_into_a_snark_that_verifies() {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let _enter = rt.enter();
    let chain = tempfile::tempdir().unwrap();
    let node = sample::chain_with_transfer_blocks(chain.path(), 1, 1).unwrap();
    let guest = Guest::load(&sample::checkout_guest_elf()).unwrap();
    let (_, native) = batch_witness(&node, 1, 1, Variant::Signed).unwrap();
    let proof = batch_proof(&guest, &node, 1);
    assert_eq!(proof.journal, native.journal);

    let keys_tmp = tempfile::tempdir().unwrap();
    let keys = std::env::var_os("MOSAIC_SNARK_DIR").map(PathBuf::from).unwrap_or_else(|| keys_tmp.path().into());
    let program = guest.program_commit().unwrap();
    let stark = decompress(&proof.proof).unwrap();
    let (root, inputs) = root_and_keygen_inputs(guest.vm(), &keys, &stark);
    drop(guest);
    let prover = load_or_setup(&keys, inputs);
    let started = Instant::now();
    let (snark, report) = prover.prove(&root).unwrap();
    eprintln!("halo2: {:.0} s, {report:?}, proof {} bytes", started.elapsed().as_secs_f64(), snark.proof.len());
    assert_eq!(snark.instances.len(), ACCUMULATOR_INSTANCES + 2 + 32);
    let statement = prover.vk().verify(&snark).unwrap();
    assert_eq!(statement.public_values, native.journal.hash().as_slice());
    assert_eq!((statement.app_exe_commit, statement.app_vm_commit), (program.app_exe_commit, program.app_vm_commit));
    assert_eq!(SnarkProof::decode(&snark.encode()).unwrap(), snark);
    let wrapper = prover;

    if std::env::var_os("MOSAIC_UPDATE_FIXTURE").is_some() {
        let root = repo();
        let fixtures = root.join("crates/snark/fixtures");
        std::fs::create_dir_all(&fixtures).unwrap();
        wrapper.vk().write(&fixtures.join("batch.vk.json")).unwrap();
        std::fs::write(fixtures.join("batch-1.snark"), snark.encode()).unwrap();
        std::fs::write(fixtures.join("batch-1.journal-hash"), format!("{}\n", native.journal.hash())).unwrap();
        std::fs::write(root.join("contracts/verifier/Halo2Verifier.sol"), wrapper.vk().solidity().unwrap()).unwrap();
        let json = serde_json::json!({
            "journalHash": native.journal.hash(),
            "appExeCommit": statement.app_exe_commit,
            "appVmCommit": statement.app_vm_commit,
            "proof": alloy_primitives::hex::encode_prefixed(snark.onchain_proof()),
        });
        let path = root.join("contracts/test/snark/fixture.json");
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, serde_json::to_string_pretty(&json).unwrap() + "\n").unwrap();
        eprintln!("fixtures written");
    }
}

/// The aggregation program's wrap (as slow as the batch's, plus two recursive batch proofs and their
/// aggregation): the aggregate of batches 1 and 2 of the two-block sample chain is wrapped into a SNARK
/// that states the aggregate journal's hash under the aggregation program's commitments, which the batch
/// program's keys refuse. `MOSAIC_SNARK_DIR` here holds the aggregation program's keys; with
/// `MOSAIC_UPDATE_FIXTURE=1` it writes `crates/snark/fixtures/aggregate*`, the aggregate Solidity verifier
/// and `contracts/test/snark/aggregate-fixture.json` (what `RangeFinalization.t.sol` finalizes with).
#[test]
#[ignore = "slow: two recursive proofs, their aggregation, the aggregation program's SNARK setup and one wrap (≈1 h, ≈20 GB)"]
fn an_aggregate_of_two_batches_wraps_into_a_snark_that_verifies() {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let _enter = rt.enter();
    let chain = tempfile::tempdir().unwrap();
    let node = sample::chain_with_transfer_blocks(chain.path(), 2, 1).unwrap();
    let guest = Guest::load(&sample::checkout_guest_elf()).unwrap();
    let proofs = [batch_proof(&guest, &node, 1), batch_proof(&guest, &node, 2)];
    // Batch 1 is the batch fixture's batch: the aggregate extends what the batch SNARK proves.
    let committed = std::fs::read_to_string(repo().join("crates/snark/fixtures/batch-1.journal-hash")).unwrap();
    assert_eq!(proofs[0].journal.hash().to_string(), committed.trim(), "batch 1 differs from the batch fixture's");

    let started = Instant::now();
    let aggregator = Aggregator::load(&guest, &sample::checkout_aggregate_elf()).unwrap();
    eprintln!("aggregator keys: {:.0} s", started.elapsed().as_secs_f64());
    drop(guest);
    let journals: Vec<_> = proofs.iter().map(|p| p.journal).collect();
    let expected = AggregateJournal::fold(aggregator.batch_program, &journals).unwrap();
    let cached = proof_cache().map(|dir| dir.join("aggregate-1-2.proof"));
    let aggregate = match cached.as_ref().and_then(|p| std::fs::read(p).ok()) {
        Some(bytes) => match ProofFile::decode(&bytes).unwrap() {
            ProofFile::Aggregate(proof) => proof,
            ProofFile::Batch(_) => panic!("{} is not an aggregate", cached.unwrap().display()),
        },
        None => {
            let started = Instant::now();
            let proof = aggregator.prove(&proofs).unwrap();
            eprintln!("aggregation proof: {:.0} s", started.elapsed().as_secs_f64());
            if let Some(path) = &cached {
                std::fs::write(path, proof.encode()).unwrap();
            }
            proof
        }
    };
    assert_eq!(aggregator.verify(&aggregate).unwrap(), expected, "a stale aggregate in MOSAIC_PROOF_CACHE");

    let keys_tmp = tempfile::tempdir().unwrap();
    let keys = std::env::var_os("MOSAIC_SNARK_DIR").map(PathBuf::from).unwrap_or_else(|| keys_tmp.path().into());
    let program = mosaic_prover::ZkVm::program_commit(aggregator.vm()).unwrap();
    let stark = decompress(&aggregate.proof).unwrap();
    let (root, inputs) = root_and_keygen_inputs(aggregator.vm(), &keys, &stark);
    let batch_program = aggregator.batch_program;
    drop(aggregator);
    let prover = load_or_setup(&keys, inputs);
    let started = Instant::now();
    let (snark, report) = prover.prove(&root).unwrap();
    eprintln!("halo2: {:.0} s, {report:?}, proof {} bytes", started.elapsed().as_secs_f64(), snark.proof.len());
    let statement = prover.vk().verify(&snark).unwrap();
    assert_eq!(statement.public_values, expected.hash().as_slice(), "the SNARK states the aggregate journal");
    assert_eq!((statement.app_exe_commit, statement.app_vm_commit), (program.app_exe_commit, program.app_vm_commit));
    // The batch program's committed keys refuse it.
    let batch_vk = SnarkVerifyingKey::read(&repo().join("crates/snark/fixtures/batch.vk.json")).unwrap();
    assert!(batch_vk.verify(&snark).is_err(), "the batch program's key accepted an aggregate SNARK");

    if std::env::var_os("MOSAIC_UPDATE_FIXTURE").is_some() {
        let root = repo();
        let fixtures = root.join("crates/snark/fixtures");
        prover.vk().write(&fixtures.join("aggregate.vk.json")).unwrap();
        std::fs::write(fixtures.join("aggregate-1-2.snark"), snark.encode()).unwrap();
        std::fs::write(fixtures.join("aggregate-1-2.journal-hash"), format!("{}\n", expected.hash())).unwrap();
        std::fs::write(fixtures.join("aggregate.batch-program"), format!("{batch_program}\n")).unwrap();
        std::fs::write(root.join("contracts/verifier/AggregateHalo2Verifier.sol"), prover.vk().solidity().unwrap())
            .unwrap();
        let json = serde_json::json!({
            "journalHash": expected.hash(),
            "batchProgram": batch_program,
            "appExeCommit": statement.app_exe_commit,
            "appVmCommit": statement.app_vm_commit,
            "proof": alloy_primitives::hex::encode_prefixed(snark.onchain_proof()),
        });
        let path = root.join("contracts/test/snark/aggregate-fixture.json");
        std::fs::write(path, serde_json::to_string_pretty(&json).unwrap() + "\n").unwrap();
        eprintln!("aggregate fixtures written");
    }
}
