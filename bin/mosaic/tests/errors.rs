//! Bad input, one case per test: each asserts the JSON-RPC error code and a message fragment, that a
//! refused transaction left no trace, and that the node keeps answering afterwards.
mod common;

use alloy::{
    consensus::{SignableTransaction, TxEip1559, TxEip4844, TxEnvelope},
    eips::eip2718::Encodable2718,
    network::TxSignerSync,
    primitives::{keccak256, Address, Bytes, TxKind, B256, U256},
    signers::Signature,
};
use common::*;
use serde_json::{json, Value};

/// The node still serves a plain request.
async fn assert_alive(rpc: &Rpc) {
    let n = rpc.ok("eth_blockNumber", json!([])).await;
    assert!(n.as_str().is_some_and(|s| s.starts_with("0x")), "eth_blockNumber after the error: {n}");
}

/// Submits `raw`, expects the error, and checks nothing was accepted.
async fn expect_rejected(rpc: &Rpc, raw: &Bytes, code: i64, fragment: &str) {
    let e = rpc.send_raw(raw).await.expect_err("transaction must be refused");
    assert_rpc_error(&e, code, fragment);
    let hash = keccak256(raw);
    assert!(rpc.ok("eth_getTransactionByHash", json!([hash])).await.is_null(), "refused tx is retrievable");
    assert_alive(rpc).await;
}

fn eip1559(nonce: u64, gas_limit: u64) -> TxEip1559 {
    TxEip1559 { gas_limit, ..transfer_1559(nonce, random_address(), U256::from(1u64), 100_000_000_000, 1_000_000) }
}

#[tokio::test]
async fn malformed_json_is_a_parse_error() {
    let node = DevNode::start(&["--block-time", "0"]);
    let rpc = node.rpc();
    for body in
        [r#"{"jsonrpc":"2.0","id":1,"method":"#, "hello", r#"{"jsonrpc":"2.0","id":1,"method":"eth_blockNumber""#]
    {
        let (_status, text) = rpc.post_raw(body).await;
        let v: Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("non-JSON answer ({e}): {text}"));
        assert_eq!(v["error"]["code"], -32700, "{body:?} -> {text}");
        assert!(v["error"]["message"].as_str().unwrap().contains("Parse error"), "{text}");
        assert!(v["id"].is_null(), "no id can be known: {text}");
    }
    assert_alive(&rpc).await;
}

#[tokio::test]
async fn unknown_method() {
    let node = DevNode::start(&["--block-time", "0"]);
    let rpc = node.rpc();
    assert_rpc_error(&rpc.err("eth_fooBar", json!([])).await, -32601, "Method not found");
    assert_rpc_error(&rpc.err("debug_traceTransaction", json!([B256::ZERO])).await, -32601, "Method not found");
    assert_alive(&rpc).await;
}

#[tokio::test]
async fn wrong_params() {
    let node = DevNode::start(&["--block-time", "0"]);
    let rpc = node.rpc();
    let cases = [
        ("eth_getBalance", json!(["0xnot-an-address"])),
        ("eth_getBalance", json!([])),
        ("eth_getBalance", json!([1234])),
        ("eth_getBlockByNumber", json!([true])),
        ("eth_getTransactionByHash", json!(["0x1234"])),
        ("eth_sendRawTransaction", json!([])),
        ("eth_feeHistory", json!(["0x1"])),
        ("mosaic_getProof", json!([Address::ZERO])),
    ];
    for (method, params) in cases {
        let e = rpc.err(method, params.clone()).await;
        assert_rpc_error(&e, -32602, "Invalid params");
    }
    // State overrides are refused rather than silently ignored.
    let e = rpc.err("eth_call", json!([{ "to": Address::ZERO }, "latest", { "0x00": {} }])).await;
    assert_rpc_error(&e, -32602, "state overrides are not supported");
    // An undecodable raw transaction.
    assert_rpc_error(
        &rpc.err("eth_sendRawTransaction", json!(["0x02"])).await,
        -32602,
        "transaction could not be decoded",
    );
    assert_alive(&rpc).await;
}

#[tokio::test]
async fn wrong_chain_id() {
    let node = DevNode::start(&["--block-time", "0"]);
    let rpc = node.rpc();
    let raw = sign(&dev(0), TxEip1559 { chain_id: 1, ..eip1559(0, TRANSFER_GAS) });
    expect_rejected(&rpc, &raw, -32000, &format!("invalid chain id: have 1, want {CHAIN_ID}")).await;
    // The same mistake in a legacy transaction.
    let raw = sign(&dev(0), transfer_legacy(0, random_address(), U256::from(1u64), 10_000_000_000, Some(5)));
    expect_rejected(&rpc, &raw, -32000, "invalid chain id: have 5").await;
    assert_eq!(rpc.nonce(dev(0).address(), "pending").await, 0);
}

/// Re-signs `tx` with a corrupted signature; returns the encoding.
fn with_signature(tx: TxEip1559, sig: Signature) -> (Bytes, alloy::consensus::Signed<TxEip1559>) {
    let signed = tx.into_signed(sig);
    (TxEnvelope::from(signed.clone()).encoded_2718().into(), signed)
}

#[tokio::test]
async fn bad_signature_that_recovers_nobody() {
    let node = DevNode::start(&["--block-time", "0"]);
    let rpc = node.rpc();
    let mut tx = eip1559(0, TRANSFER_GAS);
    let good = dev(0).sign_transaction_sync(&mut tx).unwrap();
    // r = 0 is not a curve point's x coordinate: recovery must fail.
    let (raw, signed) = with_signature(tx, Signature::new(U256::ZERO, good.s(), good.v()));
    assert!(signed.recover_signer().is_err());
    expect_rejected(&rpc, &raw, -32000, "invalid sender").await;
}

#[tokio::test]
async fn bad_signature_that_recovers_an_unfunded_sender() {
    let node = DevNode::start(&["--block-time", "0"]);
    let rpc = node.rpc();
    let mut tx = eip1559(0, TRANSFER_GAS);
    let good = dev(0).sign_transaction_sync(&mut tx).unwrap();
    // A corrupted r usually still recovers, to some unrelated key nobody funded.
    let mut r = good.r();
    let (raw, sender) = loop {
        r += U256::from(1u64);
        let (raw, signed) = with_signature(tx.clone(), Signature::new(r, good.s(), good.v()));
        if let Ok(sender) = signed.recover_signer() {
            break (raw, sender);
        }
    };
    assert_ne!(sender, dev(0).address());
    assert_eq!(rpc.balance(sender).await, U256::ZERO);
    expect_rejected(&rpc, &raw, -32000, "insufficient funds for gas * price + value: balance 0").await;
    assert_eq!(rpc.nonce(dev(0).address(), "pending").await, 0, "the real signer is untouched");
}

#[tokio::test]
async fn nonce_too_low() {
    let node = DevNode::start(&["--block-time", "0"]);
    let rpc = node.rpc();
    let signer = dev(1);
    let to = random_address();
    let hash = rpc.send_raw(&signed_transfer(&signer, 0, to, U256::from(1u64))).await.unwrap();
    rpc.wait_receipt(hash).await;
    let raw = signed_transfer(&signer, 0, to, U256::from(2u64));
    expect_rejected(&rpc, &raw, -32000, "nonce too low: next nonce 1, tx nonce 0").await;
    // Resending the included transaction itself is refused the same way.
    let e = rpc.send_raw(&signed_transfer(&signer, 0, to, U256::from(1u64))).await.unwrap_err();
    assert_rpc_error(&e, -32000, "nonce too low");
    assert_eq!(rpc.balance(to).await, U256::from(1u64));
}

#[tokio::test]
async fn insufficient_funds() {
    let node = DevNode::start(&["--block-time", "0"]);
    let rpc = node.rpc();
    // More value than the 10,000 ETH balance.
    let raw = signed_transfer(&dev(2), 0, random_address(), dev_balance());
    expect_rejected(&rpc, &raw, -32000, "insufficient funds for gas * price + value").await;
    // An unfunded key cannot even pay for gas.
    let stranger = alloy::signers::local::PrivateKeySigner::from_bytes(&keccak256(b"mosaic stranger")).unwrap();
    let raw = signed_transfer(&stranger, 0, random_address(), U256::ZERO);
    expect_rejected(&rpc, &raw, -32000, "insufficient funds for gas * price + value: balance 0").await;
}

#[tokio::test]
async fn intrinsic_gas_too_low() {
    let node = DevNode::start(&["--block-time", "0"]);
    let rpc = node.rpc();
    let raw = sign(&dev(3), eip1559(0, 20_000));
    expect_rejected(&rpc, &raw, -32000, "intrinsic gas too low: have 20000, want 21000").await;
}

#[tokio::test]
async fn gas_above_block_gas_limit() {
    let node = DevNode::start(&["--block-time", "0", "--block-gas-limit", "100000"]);
    let rpc = node.rpc();
    let raw = sign(&dev(3), eip1559(0, 100_001));
    expect_rejected(&rpc, &raw, -32000, "exceeds block gas limit").await;
    // Exactly the limit is fine.
    let hash = rpc.send_raw(&sign(&dev(3), eip1559(0, 100_000))).await.unwrap();
    assert_eq!(rpc.wait_receipt(hash).await["status"], "0x1");
}

#[tokio::test]
async fn gas_above_per_transaction_cap() {
    // Default block gas limit (30M) is above Osaka's per-transaction cap of 2^24.
    let node = DevNode::start(&["--block-time", "0"]);
    let rpc = node.rpc();
    let raw = sign(&dev(3), eip1559(0, (1 << 24) + 1));
    expect_rejected(&rpc, &raw, -32000, "transaction gas limit too high").await;
    let raw = sign(&dev(3), eip1559(0, 30_000_001));
    expect_rejected(&rpc, &raw, -32000, "exceeds block gas limit").await;
}

#[tokio::test]
async fn blob_transactions_are_refused() {
    let node = DevNode::start(&["--block-time", "0"]);
    let rpc = node.rpc();
    let mut versioned = B256::repeat_byte(0x11);
    versioned.0[0] = 0x01; // KZG version byte
    let tx = TxEip4844 {
        chain_id: CHAIN_ID,
        nonce: 0,
        gas_limit: TRANSFER_GAS,
        max_fee_per_gas: 100_000_000_000,
        max_priority_fee_per_gas: 1_000_000,
        to: random_address(),
        value: U256::from(1u64),
        access_list: Default::default(),
        blob_versioned_hashes: vec![versioned],
        max_fee_per_blob_gas: 1_000_000_000,
        input: Bytes::new(),
    };
    let raw = sign(&dev(4), tx);
    assert_eq!(raw[0], 3, "type-3 envelope");
    expect_rejected(&rpc, &raw, -32000, "blob transactions").await;
}

#[tokio::test]
async fn unprotected_legacy_transaction() {
    let node = DevNode::start(&["--block-time", "0"]);
    let rpc = node.rpc();
    let raw = sign(&dev(5), transfer_legacy(0, random_address(), U256::from(1u64), 10_000_000_000, None));
    expect_rejected(&rpc, &raw, -32000, "only replay-protected (EIP-155) transactions allowed").await;
}

#[tokio::test]
async fn fee_fields_out_of_range() {
    let node = DevNode::start(&["--block-time", "0"]);
    let rpc = node.rpc();
    let tip_above_cap = TxEip1559 {
        max_priority_fee_per_gas: 2_000_000_000,
        max_fee_per_gas: 1_000_000_000,
        ..eip1559(0, TRANSFER_GAS)
    };
    let raw = sign(&dev(6), tip_above_cap);
    expect_rejected(&rpc, &raw, -32000, "max priority fee per gas higher than max fee per gas").await;
    let under_floor = TxEip1559 {
        max_fee_per_gas: MIN_BASE_FEE as u128 - 1,
        max_priority_fee_per_gas: 0,
        ..eip1559(0, TRANSFER_GAS)
    };
    let raw = sign(&dev(6), under_floor);
    expect_rejected(&rpc, &raw, -32000, "transaction underpriced").await;
}

#[tokio::test]
async fn oversized_http_body() {
    let node = DevNode::start(&["--block-time", "0", "--max-request-size", "10000"]);
    let rpc = node.rpc();
    let call =
        |pad: usize| format!(r#"{{"jsonrpc":"2.0","id":1,"method":"eth_blockNumber","params":[]{}}}"#, " ".repeat(pad));
    // Just under the limit: served.
    let (status, text) = rpc.post_raw(call(9_000)).await;
    assert_eq!(status, 200, "{text}");
    assert!(serde_json::from_str::<Value>(&text).unwrap()["result"].is_string(), "{text}");
    // Over it: HTTP 413 with a JSON-RPC error, whatever the method.
    let (status, text) = rpc.post_raw(call(20_000)).await;
    assert_eq!(status, 413, "{text}");
    let v: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(v["error"]["code"], -32007, "{text}");
    assert!(v["error"]["message"].as_str().unwrap().contains("too big"), "{text}");
    let raw_tx = format!(
        r#"{{"jsonrpc":"2.0","id":1,"method":"eth_sendRawTransaction","params":["0x{}"]}}"#,
        "ab".repeat(8_000)
    );
    let (status, _) = rpc.post_raw(raw_tx).await;
    assert_eq!(status, 413);
    assert_alive(&rpc).await;
    // A real transaction still goes through.
    let hash = rpc.send_raw(&signed_transfer(&dev(7), 0, random_address(), U256::from(1u64))).await.unwrap();
    rpc.wait_receipt(hash).await;
}

#[tokio::test]
async fn batch_with_good_and_bad_calls() {
    let node = DevNode::start(&["--block-time", "0"]);
    let rpc = node.rpc();
    let batch = json!([
        { "jsonrpc": "2.0", "id": 1, "method": "eth_blockNumber", "params": [] },
        { "jsonrpc": "2.0", "id": 2, "method": "eth_noSuchMethod", "params": [] },
        { "jsonrpc": "2.0", "id": 3, "method": "eth_getBalance", "params": [1] },
        { "jsonrpc": "2.0", "id": 4, "method": "eth_chainId", "params": [] },
        { "jsonrpc": "2.0", "id": "five", "method": "eth_getBalance", "params": [dev(0).address(), "latest"] },
        { "jsonrpc": "2.0", "id": 6, "method": "eth_sendRawTransaction", "params": ["0x02"] },
    ]);
    let (status, text) = rpc.post_raw(batch.to_string()).await;
    assert_eq!(status, 200, "{text}");
    let answers: Vec<Value> = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text}"));
    assert_eq!(answers.len(), 6, "{text}");
    let ids: Vec<Value> = answers.iter().map(|a| a["id"].clone()).collect();
    assert_eq!(ids, vec![json!(1), json!(2), json!(3), json!(4), json!("five"), json!(6)], "answered in order");
    assert_eq!(answers[0]["result"], "0x0");
    assert_eq!(answers[1]["error"]["code"], -32601);
    assert_eq!(answers[2]["error"]["code"], -32602);
    assert_eq!(answers[3]["result"], "0x67932");
    assert_eq!(hex_u256(&answers[4]["result"]), dev_balance());
    assert_eq!(answers[5]["error"]["code"], -32602);
    // An empty batch is an invalid request.
    let (_, text) = rpc.post_raw("[]").await;
    assert_eq!(serde_json::from_str::<Value>(&text).unwrap()["error"]["code"], -32600, "{text}");
    assert_alive(&rpc).await;
}

#[tokio::test]
async fn oversized_raw_transaction() {
    let node = DevNode::start(&["--block-time", "0", "--max-tx-size", "1000"]);
    let rpc = node.rpc();
    let signer = dev(8);
    let with_input = |nonce: u64, len: usize| TxEip1559 {
        input: Bytes::from(vec![0u8; len]),
        to: TxKind::Call(random_address()),
        ..eip1559(nonce, 100_000)
    };
    let raw = sign(&signer, with_input(0, 2_000));
    assert!(raw.len() > 1000);
    expect_rejected(&rpc, &raw, -32602, &format!("oversized data: transaction size {}, limit 1000", raw.len())).await;
    // Under the limit: accepted and included.
    let raw = sign(&signer, with_input(0, 500));
    let hash = rpc.send_raw(&raw).await.unwrap();
    assert_eq!(rpc.wait_receipt(hash).await["status"], "0x1");
}
