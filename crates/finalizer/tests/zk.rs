//! A zk Rollup on a real L1 (anvil) with the committed SNARK keys' verifier: batch 1 of the sample
//! chain — the batch the committed SNARK fixture proves — is committed and stays unfinalized (no window
//! can finalize a zk batch) until its proof appears in the finalizer's proof folder; then the finalizer
//! posts it and the batch is final, its withdrawals claimable. A proof of another statement, or none,
//! posts nothing. With the committed aggregate keys' verifier, batches 1 and 2 finalize by one range
//! proof, the committed aggregate SNARK, which the finalizer prefers to the batch proof of batch 1.
use alloy::{providers::Provider, signers::local::PrivateKeySigner};
use alloy_primitives::B256;
use mosaic_finalizer::{Finalizer, FinalizerConfig, FinalizerMetrics, Posted};
use mosaic_rollup::{
    contracts::Rollup,
    deploy,
    testing::{
        aggregate_fixture_verifier, aggregate_snark_path, b256, deploy_fixture_rollup, fixture_batch, fixture_data,
        fixture_header, fixture_snark_path, range_batch, range_batches, Anvil, ANVIL_KEYS,
    },
    DeployParams, HybridTerms, L1Client, Mode,
};
use mosaic_snark::{ProofDirectory, SnarkProof};
use mosaic_witness::{AggregateJournal, Journal};
use std::{sync::Arc, time::Duration};

fn signer(i: usize) -> PrivateKeySigner {
    ANVIL_KEYS[i].parse().unwrap()
}

/// An anvil and the owner's client on it, once it answers.
async fn l1() -> (Anvil, L1Client) {
    let anvil = Anvil::start();
    let l1 = L1Client::new(&anvil.url, signer(0), 0).unwrap();
    for _ in 0..100 {
        if l1.provider().get_block_number().await.is_ok() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    (anvil, l1)
}

#[tokio::test(flavor = "multi_thread")]
async fn a_zk_batch_finalizes_when_its_snark_appears() {
    let (anvil, l1) = l1().await;
    let (owner, finalizer_key) = (signer(0), signer(1));
    let batch = fixture_batch();
    let contracts = deploy_fixture_rollup(&l1, Mode::Zk, HybridTerms::default(), owner.address()).await;
    let rollup = Rollup::new(contracts.rollup, l1.provider().clone());
    assert_eq!(rollup.mode().call().await.unwrap(), 1, "a zk Rollup");
    // A zk batch carries no bond.
    let sent = rollup.commitBatch(fixture_header(&batch), fixture_data(&batch)).send().await.unwrap();
    l1.confirm(sent).await.unwrap();
    assert_eq!(rollup.publicInputsHash(1).call().await.unwrap(), b256(&batch["journalHash"]));
    assert!(rollup.finalizeBatch(1).call().await.is_err(), "no window finalizes a zk batch");

    // The aggregate journal the Rollup rebuilds for a range is the one the aggregation guest folds
    // (`mosaic_witness::AggregateJournal`). With an aggregate verifier set (here the batch verifier under
    // a made-up batch program, so no aggregate proof of it exists) the finalizer looks for range proofs
    // first and falls back to the batch proof.
    let program = alloy_primitives::keccak256("the batch program");
    let verifier = contracts.proof_verifier.expect("a SNARK verifier");
    l1.confirm(rollup.setAggregateVerifier(verifier, program).send().await.unwrap()).await.unwrap();
    let journal = Journal {
        chain_id: batch["chainId"].as_u64().unwrap(),
        config_hash: b256(&batch["configHash"]),
        prev_state_root: b256(&batch["genesisStateRoot"]),
        post_state_root: b256(&batch["postStateRoot"]),
        prev_block_hash: b256(&batch["genesisBlockHash"]),
        last_block_hash: b256(&batch["lastBlockHash"]),
        last_block: batch["lastBlock"].as_u64().unwrap(),
        batch_data_hash: alloy_primitives::keccak256(fixture_data(&batch)),
        l1_message_cursor: 0,
        l1_messages_hash: B256::ZERO,
        withdrawals_root: b256(&batch["withdrawalsRoot"]),
    };
    assert_eq!(journal.hash(), b256(&batch["journalHash"]), "the fixture's journal");
    assert_eq!(
        rollup.aggregateInputsHash(1, 1).call().await.unwrap(),
        AggregateJournal::fold(program, &[journal]).unwrap().hash(),
        "Solidity and Rust agree on the aggregate journal"
    );

    let dir = tempfile::tempdir().unwrap();
    let proofs = ProofDirectory::new(dir.path());
    let registry = prometheus::Registry::new();
    let metrics = FinalizerMetrics::register(&registry).unwrap();
    let finalizer = Finalizer::new(
        L1Client::new(&anvil.url, finalizer_key.clone(), 0).unwrap(),
        &contracts,
        Arc::new(proofs.clone()),
        metrics.clone(),
        FinalizerConfig::default(),
    );
    let status = finalizer.status_section();
    assert_eq!(finalizer.round().await.unwrap(), None, "no proof yet: nothing to post");
    assert_eq!(status.status()["waitingFor"], batch["journalHash"], "{}", status.status());
    // Garbage filed under the batch's journal hash is an error, never posted.
    std::fs::write(proofs.path_of(b256(&batch["journalHash"])), b"not a proof").unwrap();
    assert!(finalizer.round().await.is_err(), "a bad file is an error, not a proof");
    assert!(!rollup.isFinalized(1).call().await.unwrap());

    // The prover's SNARK arrives (written by the pipeline, here the committed fixture).
    let snark = SnarkProof::decode(&std::fs::read(fixture_snark_path()).unwrap()).unwrap();
    proofs.put(&snark).unwrap();
    let posted = finalizer.round().await.unwrap().expect("the proof posted");
    let Posted::Batch { index: 1, tx } = posted else { panic!("expected a batch proof, got {posted:?}") };
    let receipt = l1.provider().get_transaction_receipt(tx).await.unwrap().expect("mined");
    println!("proveBatch on L1: {} gas", receipt.gas_used);
    assert!(rollup.isFinalized(1).call().await.unwrap(), "final on its proof, no window");
    assert_eq!(rollup.lastFinalizedBatch().call().await.unwrap(), 1);
    assert_eq!((metrics.batch_proofs.get(), metrics.batches_finalized.get()), (1, 1));
    assert_eq!(status.status()["lastPosted"]["kind"], "batch");
    // Nothing left: a restarted finalizer (it keeps no state) posts nothing.
    let again = Finalizer::new(
        L1Client::new(&anvil.url, finalizer_key, 0).unwrap(),
        &contracts,
        Arc::new(proofs),
        FinalizerMetrics::register(&prometheus::Registry::new()).unwrap(),
        FinalizerConfig::default(),
    );
    assert_eq!(again.round().await.unwrap(), None);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_zk_range_finalizes_with_one_aggregate_snark() {
    let (anvil, l1) = l1().await;
    let owner = signer(0);
    let batch = fixture_batch();
    let params = DeployParams {
        mode: Mode::Zk,
        l2_chain_id: batch["chainId"].as_u64().unwrap(),
        l2_config_hash: b256(&batch["configHash"]),
        genesis: (b256(&batch["genesisStateRoot"]), b256(&batch["genesisBlockHash"])),
        terms: HybridTerms::default(),
        inclusion_deadline: 3600,
        proposers: vec![owner.address()],
        attesters: (vec![owner.address()], 1),
        producers: (vec![], 0),
        members: vec![],
        proof_verifier: Some(mosaic_rollup::testing::fixture_verifier()),
        insecure_dev_srs: false,
        allow_unsafe_terms: false,
        aggregate_verifier: Some(aggregate_fixture_verifier()),
    };
    let contracts = deploy(&l1, &params).await.unwrap();
    let rollup = Rollup::new(contracts.rollup, l1.provider().clone());
    let batches = range_batches();
    for b in &batches {
        let (header, data) = range_batch(b);
        l1.confirm(rollup.commitBatch(header, data).send().await.unwrap()).await.unwrap();
    }
    let fixture = mosaic_rollup::testing::json("contracts/test/snark/aggregate-fixture.json");
    assert_eq!(rollup.aggregateInputsHash(1, 2).call().await.unwrap(), b256(&fixture["journalHash"]));

    // Both proofs are there; the finalizer takes the longest range it has a proof for.
    let dir = tempfile::tempdir().unwrap();
    let proofs = ProofDirectory::new(dir.path());
    proofs.put(&SnarkProof::decode(&std::fs::read(fixture_snark_path()).unwrap()).unwrap()).unwrap();
    proofs.put(&SnarkProof::decode(&std::fs::read(aggregate_snark_path()).unwrap()).unwrap()).unwrap();
    let metrics = FinalizerMetrics::register(&prometheus::Registry::new()).unwrap();
    let finalizer = Finalizer::new(
        L1Client::new(&anvil.url, signer(1), 0).unwrap(),
        &contracts,
        Arc::new(proofs),
        metrics.clone(),
        FinalizerConfig::default(),
    );
    let posted = finalizer.round().await.unwrap().expect("the range proof posted");
    let Posted::Range { from: 1, to: 2, tx } = posted else { panic!("expected the range 1..=2, got {posted:?}") };
    let receipt = l1.provider().get_transaction_receipt(tx).await.unwrap().expect("mined");
    println!("finalizeRange of 2 batches on L1: {} gas", receipt.gas_used);
    assert_eq!(rollup.lastFinalizedBatch().call().await.unwrap(), 2, "both batches final on one proof");
    assert_eq!((metrics.range_proofs.get(), metrics.batch_proofs.get(), metrics.batches_finalized.get()), (1, 0, 2));
    assert_eq!(finalizer.round().await.unwrap(), None, "nothing left to post");
}
