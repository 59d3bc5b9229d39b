//! Bad input over the wire: each case asserts the JSON-RPC error code and a message fragment, that a
//! refused transaction left no trace, and that the node keeps answering afterwards. Every admission
//! refusal is unit-tested in process (`mosaic-node`'s admission tests); here one node checks that each
//! reaches a client with geth's code and message.
mod common;

use alloy::{
    consensus::{SignableTransaction, TxEip1559, TxEip4844, TxEnvelope},
    eips::eip2718::Encodable2718,
    network::TxSignerSync,
    primitives::{keccak256, Address, Bytes, B256, U256},
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
    assert_rpc_error(&rpc.err("engine_newPayloadV4", json!([])).await, -32601, "Method not found");
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

/// Re-signs `tx` with a corrupted signature; returns the encoding.
fn with_signature(tx: TxEip1559, sig: Signature) -> (Bytes, alloy::consensus::Signed<TxEip1559>) {
    let signed = tx.into_signed(sig);
    (TxEnvelope::from(signed.clone()).encoded_2718().into(), signed)
}

/// Every kind of refused transaction, through one node: geth's code and message, nothing kept, the node
/// alive; then a transaction exactly at the limits is accepted and included.
#[tokio::test]
async fn refused_transactions_reach_the_client_with_geths_errors() {
    let node = DevNode::start(&["--block-time", "0", "--block-gas-limit", "100000", "--max-tx-size", "1000"]);
    let rpc = node.rpc();
    let signer = dev(3);
    let mut versioned = B256::repeat_byte(0x11);
    versioned.0[0] = 0x01; // KZG version byte
    let blob = TxEip4844 {
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
    let mut tx = eip1559(0, TRANSFER_GAS);
    let good = signer.sign_transaction_sync(&mut tx).unwrap();
    let (no_sender, _) = with_signature(tx, Signature::new(U256::ZERO, good.s(), good.v()));
    let big = TxEip1559 { input: Bytes::from(vec![0u8; 2_000]), ..eip1559(0, 100_000) };
    let cases: Vec<(Bytes, i64, String)> = vec![
        (
            sign(&signer, TxEip1559 { chain_id: 1, ..eip1559(0, TRANSFER_GAS) }),
            -32000,
            format!("invalid chain id: have 1, want {CHAIN_ID}"),
        ),
        (
            sign(&signer, transfer_legacy(0, random_address(), U256::from(1u64), 10_000_000_000, Some(5))),
            -32000,
            "invalid chain id: have 5".into(),
        ),
        (
            sign(&signer, transfer_legacy(0, random_address(), U256::from(1u64), 10_000_000_000, None)),
            -32000,
            "only replay-protected (EIP-155) transactions allowed".into(),
        ),
        (sign(&signer, blob), -32000, "blob transactions".into()),
        (no_sender, -32000, "invalid sender".into()),
        (sign(&signer, eip1559(0, 20_000)), -32000, "intrinsic gas too low: have 20000, want 21000".into()),
        (sign(&signer, eip1559(0, 100_001)), -32000, "exceeds block gas limit".into()),
        (
            sign(
                &signer,
                TxEip1559 {
                    max_priority_fee_per_gas: 2_000_000_000,
                    max_fee_per_gas: 1_000_000_000,
                    ..eip1559(0, TRANSFER_GAS)
                },
            ),
            -32000,
            "max priority fee per gas higher than max fee per gas".into(),
        ),
        (
            sign(
                &signer,
                TxEip1559 {
                    max_fee_per_gas: MIN_BASE_FEE as u128 - 1,
                    max_priority_fee_per_gas: 0,
                    ..eip1559(0, TRANSFER_GAS)
                },
            ),
            -32000,
            "transaction underpriced".into(),
        ),
        (
            signed_transfer(&signer, 0, random_address(), dev_balance()),
            -32000,
            "insufficient funds for gas * price + value".into(),
        ),
        (sign(&signer, big), -32602, "oversized data".into()),
    ];
    for (raw, code, fragment) in &cases {
        expect_rejected(&rpc, raw, *code, fragment).await;
    }
    assert_eq!(rpc.nonce(signer.address(), "pending").await, 0, "nothing was admitted");
    // Exactly the block gas limit is fine; resending the included transaction is `nonce too low`.
    let raw = sign(&signer, eip1559(0, 100_000));
    let hash = rpc.send_raw(&raw).await.unwrap();
    assert_eq!(rpc.wait_receipt(hash).await["status"], "0x1");
    let e = rpc.send_raw(&raw).await.unwrap_err();
    assert_rpc_error(&e, -32000, "nonce too low: next nonce 1, tx nonce 0");
}
