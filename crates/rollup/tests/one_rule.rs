//! Consensus-critical logic exists once: one batch — several transactions of one sender per block, a
//! deposit, a reverting call — goes through every caller that rebuilds blocks, and all agree:
//! * the sequencer (pool → `build_block`) produces the chain and the producer encodes the batch;
//! * derivation (`apply_batch`: sender and nonce resolution, `Node::import_block`) rebuilds it on a
//!   fresh node from the posted bytes alone, in both encodings;
//! * the prover's path (`execute_batch` over a `Recorder`, the function the zkVM guest runs) re-executes
//!   it from a witness and commits the same roots and hashes in its journal.
mod common;

use alloy_primitives::{Address, Signature, TxKind};
use common::{eth, key, open, record_for, signed};
use mosaic_batch::Variant;
use mosaic_node::ChainReader;
use mosaic_primitives::{Block, ChainConfig, L1Message};
use mosaic_rollup::{derive::apply_batch, producer::prepare_batch};
use mosaic_witness::{Recorder, WitnessError};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sequencer_deriver_and_prover_agree_on_one_batch() {
    let dir = tempfile::tempdir().unwrap();
    let seq = open(&dir.path().join("sequencer"));
    let (alice, bob) = (key(1), key(2));
    let deposit = L1Message {
        index: 0,
        token: Address::ZERO,
        from: Address::repeat_byte(9),
        to: key(3).address(),
        amount: eth(2),
        transaction: None,
    };

    // Block 1: a deposit and three transactions of alice (nonces counted within the block) and one of bob.
    seq.enqueue_l1_messages([deposit.clone()]);
    for n in 0..3 {
        seq.submit_raw(&signed(&alice, n, TxKind::Call(Address::repeat_byte(0xd0)), "")).await.unwrap();
    }
    seq.submit_raw(&signed(&bob, 0, TxKind::Call(alice.address()), "")).await.unwrap();
    let b1 = seq.blocking(|n| n.build_block(None, false)).await.unwrap().unwrap().unwrap();
    assert_eq!((b1.block.transactions.len(), b1.block.l1_messages.len()), (4, 1));
    // Block 2: a contract that always reverts (included, status 0), then two more of alice.
    seq.submit_raw(&signed(&bob, 1, TxKind::Create, "60006000fd")).await.unwrap();
    seq.submit_raw(&signed(&alice, 3, TxKind::Call(Address::repeat_byte(0xd1)), "")).await.unwrap();
    seq.submit_raw(&signed(&alice, 4, TxKind::Call(Address::repeat_byte(0xd1)), "")).await.unwrap();
    let b2 = seq.blocking(|n| n.build_block(None, false)).await.unwrap().unwrap().unwrap();
    assert_eq!(b2.block.transactions.len(), 3);
    assert!(b2.receipts.iter().any(|r| !r.status()), "the reverting creation is in the block");

    let blocks: Vec<Block> = (1..=2).map(|n| seq.block(n).unwrap().unwrap()).collect();
    let genesis = seq.header(0).unwrap().unwrap();
    let queue = vec![deposit];
    for variant in [Variant::Signed, Variant::Unsigned] {
        let batch = prepare_batch(&seq, 1, genesis.state_root, &blocks, variant).unwrap();

        // Derivation from the posted bytes alone, on a fresh node.
        let follower = open(&dir.path().join(format!("follower-{variant:?}")));
        let mut record = record_for(&batch);
        let outcome = apply_batch(&follower, &batch.header, &batch.data, &queue, &mut record).unwrap();
        assert_eq!(outcome, Ok(()), "{variant:?}");
        assert_eq!(record.computed_state_root, Some(batch.header.postStateRoot), "{variant:?}");
        assert_eq!(record.computed_withdrawals_root, Some(batch.header.withdrawalsRoot), "{variant:?}");
        for (ours, theirs) in blocks.iter().zip(1..) {
            let derived = follower.block(theirs).unwrap().unwrap();
            assert_eq!(derived.header.state_root, ours.header.state_root, "{variant:?} block {theirs}");
            assert_eq!(derived.header.receipts_root, ours.header.receipts_root, "{variant:?} block {theirs}");
            assert_eq!(derived.senders, ours.senders, "{variant:?} block {theirs}");
            let nonces = |b: &Block| b.transactions.iter().map(alloy_consensus::Transaction::nonce).collect::<Vec<_>>();
            assert_eq!(nonces(&derived), nonces(ours), "{variant:?} block {theirs}: nonces resolved alike");
            if variant == Variant::Signed {
                assert_eq!(derived.hash(), ours.hash(), "block {theirs}");
            }
        }
        assert_eq!(record.computed_last_block_hash, (variant == Variant::Signed).then(|| blocks[1].hash()));

        // The prover's path: the very function the guest runs, over a witness recorded from the sequencer.
        let sigs: Vec<Signature> = match variant {
            Variant::Signed => vec![],
            Variant::Unsigned => blocks.iter().flat_map(|b| b.transactions.iter().map(|t| *t.signature())).collect(),
        };
        let (witness, executed) = Recorder::new(seq.state_tree(0).unwrap())
            .build(&ChainConfig::default(), &genesis, &batch.data, &queue, &sigs)
            .unwrap();
        let j = &executed.journal;
        assert_eq!(j.post_state_root, batch.header.postStateRoot, "{variant:?}");
        assert_eq!(j.last_block_hash, batch.header.lastBlockHash, "{variant:?}: signatures restored");
        assert_eq!(j.withdrawals_root, batch.header.withdrawalsRoot, "{variant:?}");
        assert_eq!(j.l1_message_cursor, batch.header.l1MessageCursor, "{variant:?}");
        for (rebuilt, ours) in executed.blocks.iter().zip(&blocks) {
            assert_eq!(rebuilt.header, ours.header, "{variant:?}");
        }
        // And the witness alone (as in the guest) says the same.
        assert_eq!(witness.execute().unwrap().journal, *j, "{variant:?}");

        // A wrong signature is refused by the prover's path; derivation of the signature-less variant
        // trusts the posted sender and leaves that to the proof.
        if variant == Variant::Unsigned {
            let mut bad = sigs.clone();
            bad.swap(0, 1);
            let err = Recorder::new(seq.state_tree(0).unwrap())
                .build(&ChainConfig::default(), &genesis, &batch.data, &queue, &bad)
                .unwrap_err();
            assert!(matches!(&err, WitnessError::Invalid { block: 1, why } if why.contains("posted as")), "{err}");
        }
    }
}
