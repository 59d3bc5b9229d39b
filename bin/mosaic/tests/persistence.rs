//! Durability: the chain and the acknowledged pool survive SIGKILL, and a restart continues the chain.
mod common;

use alloy::primitives::{Address, Bytes, B256, U256};
use common::*;
use serde_json::json;
use std::{
    collections::BTreeMap,
    sync::{
        atomic::{AtomicBool, AtomicUsize, Ordering},
        Arc, Mutex,
    },
};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn restart_keeps_chain_state_and_pool() {
    let mut node = DevNode::start(&["--block-time", "0"]);
    let rpc = node.rpc();
    let (a, b) = (dev(0), dev(1));
    let to = random_address();
    for nonce in 0..4 {
        let hash = rpc.send_raw(&signed_transfer(&a, nonce, to, U256::from(10u64))).await.unwrap();
        rpc.wait_receipt(hash).await;
    }
    let hash = rpc.send_raw(&signed_transfer(&b, 0, to, U256::from(1u64))).await.unwrap();
    rpc.wait_receipt(hash).await;
    // A future nonce waits in the (persisted) pool.
    let waiting = rpc.send_raw(&signed_transfer(&b, 2, to, U256::from(100u64))).await.unwrap();

    let head = rpc.block_number().await;
    assert_eq!(head, 5);
    let mut blocks = Vec::new();
    for n in 0..=head {
        blocks.push(rpc.block(n).await);
    }
    let balances = [rpc.balance(a.address()).await, rpc.balance(b.address()).await, rpc.balance(to).await];
    assert_eq!(balances[2], U256::from(41u64));

    node.kill9();
    assert!(!node.is_running());
    node.restart();
    let rpc = node.rpc();

    assert_eq!(rpc.block_number().await, head, "same head number");
    for (n, before) in blocks.iter().enumerate() {
        let after = rpc.block(n as u64).await;
        assert_eq!(&after, before, "block {n} identical after restart (hash, stateRoot, txs)");
    }
    assert_eq!(
        [rpc.balance(a.address()).await, rpc.balance(b.address()).await, rpc.balance(to).await],
        balances,
        "balances intact"
    );
    assert_eq!(rpc.nonce(a.address(), "latest").await, 4);
    let tx = rpc.ok("eth_getTransactionByHash", json!([waiting])).await;
    assert_eq!(tx["hash"], json!(waiting), "the waiting tx survived the kill");
    assert!(tx["blockNumber"].is_null());

    // The chain continues on top of the old head, and the gap fill releases the waiting tx.
    let fill = rpc.send_raw(&signed_transfer(&b, 1, to, U256::from(1000u64))).await.unwrap();
    let r1 = rpc.wait_receipt(fill).await;
    let r2 = rpc.wait_receipt(waiting).await;
    assert_eq!(hex_u64(&r1["blockNumber"]), head + 1);
    assert_eq!(hex_u64(&r2["blockNumber"]), head + 2);
    assert_eq!(rpc.block(head + 1).await["parentHash"], blocks[head as usize]["hash"]);
    assert_eq!(rpc.balance(to).await, U256::from(1141u64));
    assert_eq!(rpc.nonce(b.address(), "latest").await, 3);
}

const SENDERS: usize = 5;
const PER_SENDER: u64 = 60;
/// Most transactions a sender has acknowledged but not yet included, so sending spans many blocks.
const WINDOW: u64 = 20;

/// ~300 transfers from five accounts at once; SIGKILL while they are being sent. Every hash the node
/// acknowledged must survive (included, or still waiting and included after the restart), and every
/// block observed before the kill must be unchanged.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn crash_under_load_loses_no_acknowledged_transaction() {
    let mut node = DevNode::start(&["--block-time", "200ms"]);
    let rpc = node.rpc();
    let total = SENDERS * PER_SENDER as usize;
    let acked: Arc<Mutex<Vec<(Address, u64, B256)>>> = Arc::default();
    let acked_count = Arc::new(AtomicUsize::new(0));
    let killed = Arc::new(AtomicBool::new(false));
    let kill_at = total / 2;
    // Backstop: senders pause once this many are acknowledged, so the kill always lands before the end.
    let pause_at = total * 5 / 6;

    // Watcher: records every block (hash, transaction count) it sees while the node is up.
    let seen: Arc<Mutex<BTreeMap<u64, (B256, usize)>>> = Arc::default();
    let watcher = {
        let (rpc, seen) = (rpc.clone(), seen.clone());
        tokio::spawn(async move {
            let mut next = 0u64;
            loop {
                let Ok(Ok(head)) = rpc.try_call("eth_blockNumber", json!([])).await else { return };
                let head = hex_u64(&head);
                while next <= head {
                    let Ok(Ok(b)) = rpc.try_call("eth_getBlockByNumber", json!([format!("{next:#x}"), false])).await
                    else {
                        return;
                    };
                    let txs = b["transactions"].as_array().map_or(0, |t| t.len());
                    seen.lock().unwrap().insert(next, (hex_b256(&b["hash"]), txs));
                    next += 1;
                }
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            }
        })
    };

    let mut tasks = Vec::new();
    for s in 0..SENDERS {
        let signer = dev(s + 1);
        let raws: Vec<Bytes> =
            (0..PER_SENDER).map(|nonce| signed_transfer(&signer, nonce, random_address(), U256::from(1u64))).collect();
        let (rpc, acked, acked_count, killed) = (rpc.clone(), acked.clone(), acked_count.clone(), killed.clone());
        tasks.push(tokio::spawn(async move {
            for (nonce, raw) in raws.iter().enumerate() {
                while acked_count.load(Ordering::SeqCst) >= pause_at && !killed.load(Ordering::SeqCst) {
                    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
                }
                // Keep at most WINDOW waiting: wait for inclusion of nonce - WINDOW.
                loop {
                    if nonce as u64 <= WINDOW {
                        break;
                    }
                    match rpc.try_call("eth_getTransactionCount", json!([signer.address(), "latest"])).await {
                        Ok(Ok(n)) if hex_u64(&n) + WINDOW >= nonce as u64 => break,
                        Ok(Ok(_)) => tokio::time::sleep(std::time::Duration::from_millis(20)).await,
                        Ok(Err(e)) => panic!("eth_getTransactionCount failed: {e:?}"),
                        Err(_) => return,
                    }
                }
                match rpc.try_call("eth_sendRawTransaction", json!([raw])).await {
                    Ok(Ok(hash)) => {
                        acked.lock().unwrap().push((signer.address(), nonce as u64, hex_b256(&hash)));
                        acked_count.fetch_add(1, Ordering::SeqCst);
                    }
                    Ok(Err(e)) => panic!("node refused a valid tx: {e:?}"),
                    Err(_) => return, // the node is gone
                }
            }
        }));
    }

    // Kill once half are acknowledged and some were seen included.
    poll_until("half of the transactions acknowledged, some included", async || {
        let included = seen.lock().unwrap().values().any(|(_, txs)| *txs > 0);
        (acked_count.load(Ordering::SeqCst) >= kill_at && included).then_some(())
    })
    .await;
    node.kill9();
    killed.store(true, Ordering::SeqCst);
    for t in tasks {
        t.await.expect("sender task");
    }
    watcher.await.unwrap();
    let acked = acked.lock().unwrap().clone();
    let seen = seen.lock().unwrap().clone();
    assert!(acked.len() >= kill_at && acked.len() < total, "killed mid-way: {} of {total} acked", acked.len());
    assert!(seen.values().any(|(_, txs)| *txs > 0), "a block with transactions was seen before the kill");

    node.restart();
    let rpc = node.rpc();
    // Right after the restart each acknowledged tx is either included or waiting.
    let mut waiting = 0;
    for (_, _, hash) in &acked {
        if rpc.ok("eth_getTransactionReceipt", json!([hash])).await.is_null() {
            let tx = rpc.ok("eth_getTransactionByHash", json!([hash])).await;
            assert_eq!(tx["hash"], json!(hash), "acknowledged tx {hash} lost by the crash");
            waiting += 1;
        }
    }
    eprintln!("{} acknowledged before the kill, {waiting} still waiting after the restart", acked.len());
    // ...and all get included, each sender's in nonce order.
    let mut position = BTreeMap::new();
    for (sender, nonce, hash) in &acked {
        let r = rpc.wait_receipt(*hash).await;
        assert_eq!(r["status"], "0x1");
        assert_eq!(r["from"], json!(sender));
        position.insert((*sender, *nonce), (hex_u64(&r["blockNumber"]), hex_u64(&r["transactionIndex"])));
    }
    for ((s1, n1), p1) in &position {
        if let Some(p2) = position.get(&(*s1, n1 + 1)) {
            assert!(p1 < p2, "nonce order of {s1}");
        }
    }
    for s in 0..SENDERS {
        let addr = dev(s + 1).address();
        let n_acked = acked.iter().filter(|(a, _, _)| *a == addr).count() as u64;
        assert!(rpc.nonce(addr, "latest").await >= n_acked, "nonce of {addr} covers its acknowledged txs");
    }
    // Blocks seen before the kill are unchanged; new blocks build on them.
    for (n, (hash, _)) in &seen {
        assert_eq!(hex_b256(&rpc.block(*n).await["hash"]), *hash, "block {n} changed across the crash");
    }
    let last_seen = *seen.keys().last().unwrap();
    rpc.wait_block(last_seen + 2).await;
}
