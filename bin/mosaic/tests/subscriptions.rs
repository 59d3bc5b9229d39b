//! `eth_subscribe` over WebSocket: `newHeads`, address-filtered `logs` and `newPendingTransactions`.
mod common;

use alloy::{
    primitives::U256,
    providers::{DynProvider, Provider, ProviderBuilder, WsConnect},
    rpc::types::Filter,
    sol_types::SolEvent,
};
use common::*;
use serde_json::json;

async fn ws(node: &DevNode) -> DynProvider {
    ProviderBuilder::new().connect_ws(WsConnect::new(node.ws_url())).await.expect("WebSocket connect").erased()
}

async fn next<T>(what: &str, f: impl std::future::Future<Output = T>) -> T {
    tokio::time::timeout(TIMEOUT, f).await.unwrap_or_else(|_| panic!("timed out waiting for {what}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn new_heads_are_consecutive() {
    let node = DevNode::start(&["--block-time", "200ms"]);
    let rpc = node.rpc();
    let provider = ws(&node).await;
    let mut sub = provider.subscribe_blocks().await.expect("eth_subscribe newHeads");
    let mut prev: Option<alloy::rpc::types::Header> = None;
    for _ in 0..4 {
        let h = next("a new head", sub.recv()).await.expect("subscription open");
        // Each header equals the block served over HTTP.
        let b = rpc.block(h.number).await;
        assert_eq!(json!(h.hash), b["hash"]);
        assert_eq!(json!(h.state_root), b["stateRoot"]);
        assert_eq!(json!(h.parent_hash), b["parentHash"]);
        if let Some(p) = &prev {
            assert_eq!(h.number, p.number + 1, "consecutive numbers");
            assert_eq!(h.parent_hash, p.hash, "linked by parent hash");
        }
        prev = Some(h);
    }
    // The same connection still answers plain calls.
    assert!(provider.get_block_number().await.unwrap() >= prev.unwrap().number);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logs_subscription_filters_by_address() {
    let node = DevNode::start(&["--block-time", "0"]);
    let rpc = node.rpc();
    let owner = dev(0);
    let (token_a, _) = deploy_token(&node, &owner).await;
    let (token_b, _) = deploy_token(&node, &owner).await;
    let provider = ws(&node).await;
    let mut sub = provider.subscribe_logs(&Filter::new().address(token_a)).await.expect("eth_subscribe logs");

    let wallet = node.wallet(&owner);
    let recipient = random_address();
    // A transfer on the other token first: the filter must skip it.
    let other =
        *Token::new(token_b, wallet.clone()).transfer(recipient, U256::from(1u64)).send().await.unwrap().tx_hash();
    rpc.wait_receipt(other).await;
    let hash =
        *Token::new(token_a, wallet.clone()).transfer(recipient, U256::from(77u64)).send().await.unwrap().tx_hash();
    let receipt = rpc.wait_receipt(hash).await;

    let log = next("the Transfer log", sub.recv()).await.expect("subscription open");
    assert_eq!(log.address(), token_a, "only the filtered address");
    assert_eq!(log.transaction_hash, Some(hash));
    let event = Token::Transfer::decode_log(&log.inner).expect("a Transfer event");
    assert_eq!((event.from, event.to, event.value), (owner.address(), recipient, U256::from(77u64)));
    assert_eq!(json!(log), receipt["logs"][0], "the pushed log equals the receipt's");

    // Bad subscription kinds are refused with invalid params.
    let err = provider.client().request::<_, serde_json::Value>("eth_subscribe", ("bogus",)).await.unwrap_err();
    let payload = err.as_error_resp().expect("JSON-RPC error");
    assert_eq!(payload.code, -32602);
    assert!(payload.message.contains("unsupported subscription"), "{payload:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn new_pending_transactions_stream_hashes_as_the_pool_accepts_them() {
    let node = DevNode::start(&["--block-time", "2s"]);
    let rpc = node.rpc();
    let provider = ws(&node).await;
    let mut sub = provider.subscribe_pending_transactions().await.expect("eth_subscribe newPendingTransactions");
    let to = random_address();
    let mut sent = Vec::new();
    for nonce in 0..3 {
        sent.push(rpc.send_raw(&signed_transfer(&dev(2), nonce, to, U256::from(1))).await.unwrap());
    }
    let mut seen = Vec::new();
    for _ in 0..3 {
        seen.push(next("a pending transaction", sub.recv()).await.expect("subscription open"));
    }
    assert_eq!(seen, sent, "every accepted transaction, in order");
}
