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
use mosaic_prover::{batch_witness, decompress, sample, BatchProof, Guest, ProofKind};
use mosaic_snark::{
    keygen_inputs, root_proof, srs::DEV_SEED, KeygenInputs, RootKey, SnarkProof, SnarkProver, SnarkVerifyingKey,
    ACCUMULATOR_INSTANCES, DEFAULT_K,
};
use std::{path::PathBuf, time::Instant};

#[test]
#[ignore = "slow: KZG parameters, halo2 keygen at k = 22 and 23 and one wrap (tens of minutes, ≈20 GB)"]
fn a_recursive_batch_proof_wraps_into_a_snark_that_verifies() {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let _enter = rt.enter();
    let chain = tempfile::tempdir().unwrap();
    let node = sample::chain_with_transfer_blocks(chain.path(), 1, 1).unwrap();
    let guest = Guest::load(&sample::checkout_guest_elf()).unwrap();
    let (witness, native) = batch_witness(&node, 1, 1, Variant::Signed).unwrap();

    let cache = std::env::var_os("MOSAIC_PROOF_CACHE").map(PathBuf::from);
    let cached = cache.as_ref().map(|dir| dir.join("batch-1.proof"));
    let proof = match cached.as_ref().and_then(|p| std::fs::read(p).ok()) {
        Some(bytes) => BatchProof::decode(&bytes).unwrap(),
        None => {
            let started = Instant::now();
            let proof = guest.prove(&witness, &native.journal, ProofKind::Recursive).unwrap();
            eprintln!("recursive batch proof: {:.0} s", started.elapsed().as_secs_f64());
            if let Some(path) = &cached {
                std::fs::create_dir_all(path.parent().unwrap()).unwrap();
                std::fs::write(path, proof.encode()).unwrap();
            }
            proof
        }
    };
    assert_eq!(proof.journal, native.journal, "a stale proof in MOSAIC_PROOF_CACHE");
    guest.verify(&proof).unwrap();

    let keys_tmp = tempfile::tempdir().unwrap();
    let keys = std::env::var_os("MOSAIC_SNARK_DIR").map(PathBuf::from).unwrap_or_else(|| keys_tmp.path().into());
    std::fs::create_dir_all(&keys).unwrap();
    let program = guest.program_commit().unwrap();
    let stark = decompress(&proof.proof).unwrap();
    let have_keys = SnarkVerifyingKey::read(&keys.join("snark.vk.json"))
        .is_ok_and(|vk| (vk.app_exe_commit, vk.app_vm_commit) == (program.app_exe_commit, program.app_vm_commit));
    // Keys made earlier (at least their static half): their cached root proving key (or the SDK's,
    // then cached).
    let root_key = RootKey::for_keys(guest.vm(), &keys).ok();
    let inputs = if have_keys {
        None
    } else {
        Some(match KeygenInputs::read(&keys, &program).unwrap() {
            Some(inputs) => inputs,
            None => {
                let inputs = keygen_inputs(guest.vm(), &keys).unwrap();
                eprintln!("STARK side of setup: {:.0} s", inputs.seconds);
                inputs
            }
        })
    };
    let prove_root = |stark: &[u8]| match &root_key {
        Some(key) => key.prove(guest.vm(), stark),
        None => root_proof(guest.vm(), stark),
    };
    let (root, root_s) = prove_root(&stark).unwrap();
    eprintln!("root STARK: {root_s:.0} s");
    // A flipped byte of the recursive STARK is refused before any root proving.
    let mut forged = stark.clone();
    let mid = forged.len() / 2;
    forged[mid] ^= 1;
    assert!(prove_root(&forged).is_err(), "a tampered STARK reached a root proof");
    drop(root_key);
    drop(guest);

    let prover = match inputs {
        None => SnarkProver::load(&keys).unwrap(),
        Some(inputs) => {
            let started = Instant::now();
            let (params, hash, generated) = mosaic_snark::params(&keys, DEFAULT_K, DEV_SEED).unwrap();
            eprintln!("KZG parameters: {:.0} s", started.elapsed().as_secs_f64());
            let (prover, report) = SnarkProver::setup(inputs, params, hash, generated, DEV_SEED, &keys).unwrap();
            eprintln!("setup: {report:?}");
            prover
        }
    };
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
        let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
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
