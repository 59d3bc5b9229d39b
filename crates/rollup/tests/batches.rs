//! The producer's batch closing and splitting (`due_batch`) and derivation's refusal of malformed
//! batches and of batches its own blocks contradict (`apply_batch`), in process on real nodes.
mod common;

use alloy_primitives::{Address, TxKind, B256};
use common::{eth, key, open, record_for, signed};
use mosaic_batch::Variant;
use mosaic_node::{ChainReader, Node};
use mosaic_primitives::{Block, L1Message};
use mosaic_rollup::{
    derive::{apply_batch, Malformed},
    producer::{due_batch, prepare_batch, ProducerConfig, ProducerError, IDLE_BATCH_AGE},
};
use std::time::Duration;

/// A sequencer with `blocks` blocks of `per_block` transfers each (and a deposit in block 1).
async fn chain(dir: &std::path::Path, blocks: u64, per_block: u64) -> (Node, L1Message) {
    let node = open(dir);
    let deposit = L1Message {
        index: 0,
        token: Address::ZERO,
        from: Address::repeat_byte(9),
        to: key(3).address(),
        amount: eth(1),
        transaction: None,
    };
    node.enqueue_l1_messages([deposit.clone()]);
    let mut nonce = 0;
    for _ in 0..blocks {
        for _ in 0..per_block {
            node.submit_raw(&signed(&key(1), nonce, TxKind::Call(Address::repeat_byte(0xd0)), "")).await.unwrap();
            nonce += 1;
        }
        node.blocking(|n| n.build_block(None, false)).await.unwrap().unwrap();
    }
    (node, deposit)
}

fn config(max_blocks: u64, max_bytes: usize, max_age: u64) -> ProducerConfig {
    ProducerConfig {
        max_blocks,
        max_bytes,
        max_age: Duration::from_secs(max_age),
        variant: Variant::Signed,
        attesters: Vec::new(),
        co_signers: Vec::new(),
        fault_wrong_root_at: None,
        turn: None,
        fallback: None,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_producer_closes_batches_on_age_count_and_size() {
    let dir = tempfile::tempdir().unwrap();
    let (node, _) = chain(dir.path(), 4, 3).await;
    let genesis = node.header(0).unwrap().unwrap().state_root;
    let born = node.header(1).unwrap().unwrap().timestamp;
    let due = |c: ProducerConfig, now: u64| due_batch(&node, 1, 1, genesis, &c, now).unwrap();

    // Young and not full: wait. Old enough: everything so far.
    assert!(due(config(600, 120_000, 5), born + 4).is_none());
    let all = due(config(600, 120_000, 5), born + 5).unwrap();
    assert_eq!((all.header.firstBlock, all.header.lastBlock, all.tx_count), (1, 4, 12));
    // Full by block count: closed at once, at the limit.
    let two = due(config(2, 120_000, 5), born).unwrap();
    assert_eq!((two.header.lastBlock, two.tx_count), (2, 6));
    // Over the byte limit: halved until it fits.
    let one_block = prepare_batch(&node, 1, genesis, &[node.block(1).unwrap().unwrap()], Variant::Signed).unwrap();
    let fits = due(config(600, one_block.data.len() + 1, 5), born).unwrap();
    assert_eq!(fits.header.lastBlock, 1, "four blocks halved to two, then to one");
    assert!(fits.data.len() <= one_block.data.len() + 1);
    // A single block over the limit still goes (nothing smaller exists).
    assert_eq!(due(config(600, 10, 5), born).unwrap().header.lastBlock, 1);
    // The L1 holds another state before block 1: refuse to post on top of it.
    let err = due_batch(&node, 1, 1, B256::repeat_byte(1), &config(600, 120_000, 5), born + 99).unwrap_err();
    assert!(matches!(err, ProducerError::Diverged { block: 0, .. }), "{err}");
    // Nothing past the head.
    assert!(due_batch(&node, 2, 5, genesis, &config(1, 120_000, 5), born + 99).unwrap().is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_blocks_wait_longer() {
    let dir = tempfile::tempdir().unwrap();
    let node = open(dir.path());
    for _ in 0..3 {
        node.blocking(|n| n.build_block(None, false)).await.unwrap().unwrap();
    }
    let genesis = node.header(0).unwrap().unwrap().state_root;
    let born = node.header(1).unwrap().unwrap().timestamp;
    let c = config(600, 120_000, 5);
    assert!(due_batch(&node, 1, 1, genesis, &c, born + 5).unwrap().is_none(), "empty blocks are not urgent");
    let idle = due_batch(&node, 1, 1, genesis, &c, born + IDLE_BATCH_AGE.as_secs()).unwrap().unwrap();
    assert_eq!((idle.header.lastBlock, idle.tx_count), (3, 0));
}

/// Applies `data` claimed as `header` to a fresh follower and returns the verdict with its head after.
fn derive(
    dir: &std::path::Path,
    header: &mosaic_rollup::contracts::Rollup::BatchHeader,
    data: &[u8],
    queue: &[L1Message],
) -> (Result<(), Malformed>, u64) {
    let follower = open(dir);
    let batch =
        mosaic_rollup::producer::PreparedBatch { header: header.clone(), data: data.to_vec().into(), tx_count: 0 };
    let mut record = record_for(&batch);
    let verdict = apply_batch(&follower, header, data, queue, &mut record).unwrap();
    (verdict, follower.head_number())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn derivation_refuses_malformed_batches_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let (node, deposit) = chain(&dir.path().join("seq"), 2, 2).await;
    let genesis = node.header(0).unwrap().unwrap().state_root;
    let blocks: Vec<Block> = (1..=2).map(|n| node.block(n).unwrap().unwrap()).collect();
    let good = prepare_batch(&node, 1, genesis, &blocks, Variant::Signed).unwrap();
    let queue = vec![deposit];
    let case = |name: &str| dir.path().join(name);

    let (ok, head) = derive(&case("good"), &good.header, &good.data, &queue);
    assert_eq!((ok, head), (Ok(()), 2));

    let expect = |(verdict, head): (Result<(), Malformed>, u64), fragment: &str, head_after: u64| {
        let Err(Malformed(why)) = verdict else { panic!("accepted, wanted `{fragment}`") };
        assert!(why.contains(fragment), "`{why}` lacks `{fragment}`");
        assert_eq!(head, head_after, "{why}");
    };
    expect(derive(&case("garbage"), &good.header, b"not a batch", &queue), "undecodable batch data", 0);
    let mut longer = good.header.clone();
    longer.lastBlock += 1;
    expect(derive(&case("range"), &longer, &good.data, &queue), "data holds blocks 1+2, header claims 1..=3", 0);
    expect(derive(&case("queue"), &good.header, &good.data, &[]), "L1 messages the bridge queue does not have", 0);

    // A transaction the chain cannot take (alice's first transfer left out: the next nonce is wrong).
    let mut bad = blocks.clone();
    bad[0].transactions.remove(0);
    bad[0].senders.remove(0);
    let forged = prepare_batch(&node, 1, genesis, &bad, Variant::Signed).unwrap();
    expect(derive(&case("nonce"), &good.header, &forged.data, &queue), "block 1: transaction 0", 0);

    // A cursor the data does not reach is caught after the blocks (which are valid) were applied.
    let mut cursor = good.header.clone();
    cursor.l1MessageCursor += 1;
    expect(
        derive(&case("cursor"), &cursor, &good.data, &queue),
        "batch consumes L1 messages up to 1, header claims 2",
        2,
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_whose_blocks_are_not_the_batchs_refuses_to_follow_it() {
    let dir = tempfile::tempdir().unwrap();
    let (theirs, deposit) = chain(&dir.path().join("theirs"), 2, 2).await;
    let (ours, _) = chain(&dir.path().join("ours"), 2, 1).await;
    let genesis = theirs.header(0).unwrap().unwrap().state_root;
    let prepared = |n: &Node| {
        let blocks: Vec<Block> = (1..=2).map(|i| n.block(i).unwrap().unwrap()).collect();
        prepare_batch(n, 1, genesis, &blocks, Variant::Signed).unwrap()
    };
    let queue = vec![deposit];
    // Its own blocks, as after a restart: nothing to redo, nothing wrong.
    let own = prepared(&ours);
    let mut record = record_for(&own);
    assert_eq!(apply_batch(&ours, &own.header, &own.data, &queue, &mut record).unwrap(), Ok(()));
    // Another chain's batch over the same heights (a fallback proposer's unposted blocks, once a
    // proposer posted others): this data dir cannot follow it, and says so instead of serving a fork.
    let other = prepared(&theirs);
    let mut record = record_for(&other);
    let err = apply_batch(&ours, &other.header, &other.data, &queue, &mut record).unwrap_err();
    assert!(err.is_fatal() && err.to_string().contains("not the one batch 1 holds"), "{err}");
    assert_eq!(ours.head_number(), 2, "nothing written");
}
