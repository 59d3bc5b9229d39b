//! The whole hybrid game on a real L1 (anvil) with a real SNARK: a proposer commits batch 1 of the
//! sample chain — the batch the committed SNARK fixture proves — with a state root its data does not
//! produce; a verifier node derives it from L1 data alone, sees the lie, challenges in the next L1
//! block, restarts in the middle of the game, finds the fraud proof in its proof folder, proves the
//! fraud and wins: the batch is reverted, the liar slashed and removed. And the producer's side: a
//! producer with the fault-injection flag lies about batch 1, loses, and once the owner admits it again
//! re-posts the reverted batch's very blocks with the true root, which the verifier accepts.
use alloy::{
    primitives::{keccak256, B256, U256},
    providers::Provider,
    signers::local::PrivateKeySigner,
};
use mosaic_challenger::{Challenger, ChallengerMetrics, Game, GameStatus, ProofDirectory};
use mosaic_rollup::{
    contracts::Rollup,
    derive::{DeriveStatus, Deriver},
    testing::{
        b256, deploy_fixture_rollup, fixture_batch, fixture_data, fixture_header, fixture_snark_path, sample_node,
        Anvil, ANVIL_KEYS,
    },
    HybridTerms, L1Client, Mode, NodeRole, RollupMetrics,
};
use std::{sync::Arc, time::Duration};

async fn until<T>(what: &str, mut f: impl AsyncFnMut() -> Option<T>) -> T {
    for _ in 0..240 {
        if let Some(v) = f().await {
            return v;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    panic!("timed out waiting for {what}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_false_batch_is_challenged_and_defrauded_with_the_committed_snark() {
    let anvil = Anvil::start();
    let signer = |i: usize| -> PrivateKeySigner { ANVIL_KEYS[i].parse().unwrap() };
    let (owner, liar, watcher) = (signer(0), signer(1), signer(2));
    let l1 = L1Client::new(&anvil.url, owner.clone(), 0).unwrap();
    until("anvil", async || l1.provider().get_block_number().await.ok()).await;

    // The Rollup of the sample chain, with the committed SNARK keys' verifier.
    let batch = fixture_batch();
    let terms = HybridTerms { challenge_window: 600, proof_window: 600, ..HybridTerms::default() };
    let contracts = deploy_fixture_rollup(&l1, Mode::Hybrid, terms, liar.address()).await;

    // The lie: batch 1's data, with a state root that data does not produce.
    let data = fixture_data(&batch);
    let header =
        Rollup::BatchHeader { postStateRoot: keccak256("a root that pays the liar"), ..fixture_header(&batch) };
    let liar_l1 = L1Client::new(&anvil.url, liar.clone(), 0).unwrap();
    let rollup = Rollup::new(contracts.rollup, liar_l1.provider().clone());
    let sent = rollup.commitBatch(header, data).value(terms.bond).send().await.unwrap();
    let committed_in = liar_l1.confirm(sent).await.unwrap().block_number.unwrap();

    // A verifier of the sample chain derives batch 1 from L1 data alone and challenges it.
    let dir = tempfile::tempdir().unwrap();
    let node = sample_node(&dir.path().join("node"));
    let metrics = RollupMetrics::register(node.metrics().registry()).unwrap();
    let reader = L1Client::new(&anvil.url, watcher.clone(), 0).unwrap();
    let status = Arc::new(parking_lot::Mutex::new(DeriveStatus::default()));
    let deriver = Deriver::new(node.clone(), reader, &contracts, NodeRole::Verifier, status, metrics);
    deriver.check_genesis().await.expect("the sample genesis is the one the Rollup pins");
    let deriving = tokio::spawn(deriver.run());
    let proofs = dir.path().join("fraud-proofs");
    let challenger_metrics = ChallengerMetrics::register(node.metrics().registry()).unwrap();
    let challenger = |metrics: ChallengerMetrics| {
        let l1 = L1Client::new(&anvil.url, watcher.clone(), 0).unwrap();
        Challenger::new(node.clone(), l1, &contracts, Arc::new(ProofDirectory::new(&proofs)), metrics)
    };
    let first = challenger(challenger_metrics.clone());
    let game = until("the challenge", async || {
        first.round().await.unwrap();
        let n = node.clone();
        mosaic_node::spawn_blocking(move || Game::load(&n, 1)).await.unwrap().unwrap()
    })
    .await;
    assert_eq!(game.status, GameStatus::Challenged);
    assert_eq!(game.journal_hash, b256(&batch["journalHash"]), "the true journal is the one the SNARK proves");
    let challenge_tx = game.challenge_tx.expect("challenged by this node");
    let receipt = l1.provider().get_transaction_receipt(challenge_tx).await.unwrap().unwrap();
    println!("bad commit in L1 block {committed_in}, challenge in L1 block {:?}", receipt.block_number);
    let on_l1 = rollup.challenges(1).call().await.unwrap();
    assert_eq!(on_l1.challenger, watcher.address());
    drop(first);

    // A restart mid-game (a new challenger over the same database); the proof appears in the folder.
    std::fs::create_dir_all(&proofs).unwrap();
    std::fs::copy(fixture_snark_path(), ProofDirectory::new(&proofs).path_of(game.journal_hash)).unwrap();
    let second = challenger(challenger_metrics.clone());
    let game = until("the fraud proof", async || {
        second.round().await.unwrap();
        let n = node.clone();
        mosaic_node::spawn_blocking(move || Game::load(&n, 1))
            .await
            .unwrap()
            .unwrap()
            .filter(|g| g.status != GameStatus::Challenged)
    })
    .await;
    assert_eq!(game.status, GameStatus::Won, "{game:?}");
    assert!(game.fraud_tx.is_some());
    assert_eq!(challenger_metrics.challenges.get(), 1, "challenged once across the restart");
    assert_eq!(challenger_metrics.fraud_proofs.get(), 1);

    // On L1: reverted, the liar slashed (half burned) and removed.
    assert_eq!(rollup.lastCommittedBatch().call().await.unwrap(), 0, "batch 1 reverted");
    assert!(!rollup.isProposer(liar.address()).call().await.unwrap(), "the liar may no longer propose");
    assert_eq!(rollup.totalBurned().call().await.unwrap(), terms.bond / U256::from(2));
    let (open, ..) = {
        let c = rollup.challenges(1).call().await.unwrap();
        (c.challenger, c.deadline)
    };
    assert!(open.is_zero(), "the challenge is closed");

    // The chain goes on: an honest proposer commits the true batch 1, which the verifier derives and
    // verifies (the same data: its blocks are the ones it has) without a new game, and the fixture's
    // validity proof finalizes it at once.
    let honest = Rollup::new(contracts.rollup, l1.provider().clone());
    l1.confirm(honest.setProposer(owner.address(), true).send().await.unwrap()).await.unwrap();
    let sent = honest.commitBatch(fixture_header(&batch), fixture_data(&batch));
    l1.confirm(sent.value(terms.bond).send().await.unwrap()).await.unwrap();
    let record = until("the true batch 1 verified", async || {
        let n = node.clone();
        let r = mosaic_node::spawn_blocking(move || mosaic_rollup::BatchRecord::load(&n, 1)).await.unwrap().unwrap()?;
        (r.status == mosaic_rollup::BatchStatus::Verified).then_some(r)
    })
    .await;
    assert_eq!(record.computed_state_root, Some(b256(&batch["postStateRoot"])));
    second.round().await.unwrap();
    assert_eq!(challenger_metrics.challenges.get(), 1, "a true batch is never challenged");
    let snark = mosaic_snark::SnarkProof::decode(&std::fs::read(fixture_snark_path()).unwrap()).unwrap();
    l1.confirm(honest.proveBatch(1, snark.onchain_proof().into()).send().await.unwrap()).await.unwrap();
    assert_eq!(honest.lastFinalizedBatch().call().await.unwrap(), 1, "final on its validity proof");
    deriving.abort();
}

#[tokio::test(flavor = "multi_thread")]
async fn a_lying_producer_loses_and_reposts_the_same_blocks_with_the_true_root() {
    let anvil = Anvil::start();
    let signer = |i: usize| -> PrivateKeySigner { ANVIL_KEYS[i].parse().unwrap() };
    let (owner, liar, watcher) = (signer(0), signer(1), signer(2));
    let l1 = L1Client::new(&anvil.url, owner.clone(), 0).unwrap();
    until("anvil", async || l1.provider().get_block_number().await.ok()).await;
    let batch = fixture_batch();
    let terms = HybridTerms { challenge_window: 600, proof_window: 600, ..HybridTerms::default() };
    let contracts = deploy_fixture_rollup(&l1, Mode::Hybrid, terms, liar.address()).await;
    let rollup = Rollup::new(contracts.rollup, l1.provider().clone());

    // The producer's node holds block 1 of the sample chain (imported from the fixture's data).
    let dir = tempfile::tempdir().unwrap();
    let producer_node = sample_node(&dir.path().join("producer"));
    let n = producer_node.clone();
    let (header, data) = (fixture_header(&batch), fixture_data(&batch));
    mosaic_node::spawn_blocking(move || {
        let mut record = mosaic_rollup::BatchRecord {
            index: 1,
            status: mosaic_rollup::BatchStatus::Committed,
            first_block: 1,
            last_block: 1,
            tx_count: 0,
            data_bytes: 0,
            data_hash: B256::ZERO,
            l1_tx: B256::ZERO,
            l1_block: 0,
            l1_message_cursor: 0,
            claimed_state_root: header.postStateRoot,
            claimed_withdrawals_root: header.withdrawalsRoot,
            claimed_last_block_hash: header.lastBlockHash,
            computed_state_root: None,
            computed_withdrawals_root: None,
            computed_last_block_hash: None,
            error: None,
        };
        mosaic_rollup::derive::apply_batch(&n, &header, &data, &[], &mut record).unwrap().unwrap();
    })
    .await
    .unwrap();
    let config = mosaic_rollup::producer::ProducerConfig {
        max_blocks: 1,
        max_age: Duration::ZERO,
        fault_wrong_root_at: Some(1),
        ..Default::default()
    };
    let producing = tokio::spawn(mosaic_rollup::producer::run_producer(
        producer_node.clone(),
        L1Client::new(&anvil.url, liar.clone(), 0).unwrap(),
        contracts.clone(),
        config,
        RollupMetrics::register(producer_node.metrics().registry()).unwrap(),
    ));
    let lie = until("the lie on L1", async || {
        // The count first: once it reads 1, batch 1 is stored (the other order races a new L1 block).
        (rollup.lastCommittedBatch().call().await.ok()? == 1).then_some(())?;
        rollup.batch(1).call().await.ok()
    })
    .await;
    assert_eq!(lie.dataHash, keccak256(fixture_data(&batch)), "the producer posts the fixture's block 1");
    assert_ne!(lie.postStateRoot, b256(&batch["postStateRoot"]), "with a root its data does not produce");

    // A verifier derives it, challenges, and proves the fraud with the committed SNARK.
    let node = sample_node(&dir.path().join("verifier"));
    let metrics = RollupMetrics::register(node.metrics().registry()).unwrap();
    let status = Arc::new(parking_lot::Mutex::new(DeriveStatus::default()));
    let reader = L1Client::new(&anvil.url, watcher.clone(), 0).unwrap();
    let deriving =
        tokio::spawn(Deriver::new(node.clone(), reader, &contracts, NodeRole::Verifier, status, metrics).run());
    let proofs = dir.path().join("fraud-proofs");
    std::fs::create_dir_all(&proofs).unwrap();
    std::fs::copy(fixture_snark_path(), ProofDirectory::new(&proofs).path_of(b256(&batch["journalHash"]))).unwrap();
    let challenger_metrics = ChallengerMetrics::register(node.metrics().registry()).unwrap();
    let challenger = Challenger::new(
        node.clone(),
        L1Client::new(&anvil.url, watcher.clone(), 0).unwrap(),
        &contracts,
        Arc::new(ProofDirectory::new(&proofs)),
        challenger_metrics.clone(),
    );
    let game = until("the game won", async || {
        challenger.round().await.unwrap();
        let n = node.clone();
        mosaic_node::spawn_blocking(move || Game::load(&n, 1))
            .await
            .unwrap()
            .unwrap()
            .filter(|g| g.status != GameStatus::Challenged)
    })
    .await;
    assert_eq!(game.status, GameStatus::Won, "{game:?}");
    assert!(!rollup.isProposer(liar.address()).call().await.unwrap(), "the liar is out of the proposer set");

    // Admitted again, the producer re-posts block 1 — the same data — with the true root, and the
    // verifier, which applied that block already, verifies it without a new game.
    l1.confirm(rollup.setProposer(liar.address(), true).send().await.unwrap()).await.unwrap();
    let again = until("the replacement on L1", async || {
        // The count first: once it reads 1, batch 1 is stored (the other order races a new L1 block).
        (rollup.lastCommittedBatch().call().await.ok()? == 1).then_some(())?;
        rollup.batch(1).call().await.ok()
    })
    .await;
    assert_eq!(again.dataHash, lie.dataHash, "the same blocks");
    assert_eq!(again.postStateRoot, b256(&batch["postStateRoot"]), "the true root");
    let record = until("the replacement verified", async || {
        let n = node.clone();
        let r = mosaic_node::spawn_blocking(move || mosaic_rollup::BatchRecord::load(&n, 1)).await.unwrap().unwrap()?;
        (r.status == mosaic_rollup::BatchStatus::Verified && r.claimed_state_root == again.postStateRoot).then_some(r)
    })
    .await;
    assert_eq!(record.computed_state_root, Some(again.postStateRoot));
    challenger.round().await.unwrap();
    assert_eq!(challenger_metrics.challenges.get(), 1, "the honest replacement is not challenged");
    assert!(!producing.is_finished(), "the producer runs on");
    producing.abort();
    deriving.abort();
}
