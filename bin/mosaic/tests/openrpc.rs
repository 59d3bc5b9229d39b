//! Every method of the execution-apis OpenRPC spec that Mosaic serves, called on a devnet with traffic,
//! its answer validated against the spec's result schema (a copy of the assembled spec is in
//! `tests/fixtures/execution-apis-openrpc.json.zst`). The spec's other methods must be listed below as
//! not served, with the reason `docs/rpc.md` gives, so a new spec method cannot slip by unnoticed.
mod common;

use alloy::{
    primitives::{Bytes, B256, U256},
    sol_types::SolCall,
};
use common::*;
use serde_json::{json, Value};
use std::collections::BTreeMap;

/// Spec methods Mosaic does not serve (`docs/rpc.md` says why).
const NOT_SERVED: &[&str] = &[
    "eth_simulateV1",
    "eth_getProof",
    "eth_capabilities",
    "eth_fillTransaction",
    "eth_getBlockAccessList",
    "debug_getRawBlockAccessList",
    "testing_buildBlockV1",
];

fn spec() -> BTreeMap<String, Value> {
    let packed = std::fs::read(repo_root().join("bin/mosaic/tests/fixtures/execution-apis-openrpc.json.zst")).unwrap();
    let spec: Value = serde_json::from_slice(&zstd::decode_all(packed.as_slice()).unwrap()).unwrap();
    spec["methods"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| (m["name"].as_str().unwrap().to_string(), m["result"]["schema"].clone()))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_served_spec_method_answers_in_the_specs_shape() {
    let schemas = spec();
    let node = DevNode::start(&["--block-time", "0"]);
    let rpc = node.rpc();
    let owner = dev(0);
    let alice = dev(1).address();

    // Traffic: a contract with logs, a transfer, pending-transaction and block filters.
    let block_filter = rpc.ok("eth_newBlockFilter", json!([])).await;
    let log_filter = rpc.ok("eth_newFilter", json!([{ "fromBlock": "0x0" }])).await;
    let pending_filter = rpc.ok("eth_newPendingTransactionFilter", json!([])).await;
    let (token, _) = deploy_token(&node, &owner).await;
    let transfer = Bytes::from(Token::transferCall { to: alice, value: U256::from(7) }.abi_encode());
    let sent = rpc.ok("eth_sendTransaction", json!([{ "from": owner.address(), "to": token, "data": transfer }])).await;
    let hash: B256 = serde_json::from_value(sent.clone()).unwrap();
    let receipt = rpc.wait_receipt(hash).await;
    let (number, block_hash) = (receipt["blockNumber"].clone(), receipt["blockHash"].clone());
    let raw = signed_transfer(&dev(2), 0, alice, U256::from(1));
    let call = json!({ "from": owner.address(), "to": token, "data": transfer });
    let slot = balance_slot(alice);

    let calls: Vec<(&str, Value)> = vec![
        ("net_version", json!([])),
        ("eth_chainId", json!([])),
        ("eth_config", json!([])),
        ("eth_syncing", json!([])),
        ("eth_accounts", json!([])),
        ("eth_coinbase", json!([])),
        ("eth_blockNumber", json!([])),
        ("eth_gasPrice", json!([])),
        ("eth_baseFee", json!([])),
        ("eth_blobBaseFee", json!([])),
        ("eth_maxPriorityFeePerGas", json!([])),
        ("eth_feeHistory", json!(["0x2", "latest", [25.0, 75.0]])),
        ("eth_getBalance", json!([alice, "latest"])),
        ("eth_getTransactionCount", json!([owner.address(), "pending"])),
        ("eth_getCode", json!([token, "latest"])),
        ("eth_getStorageAt", json!([token, slot, "latest"])),
        ("eth_getStorageValues", json!([{ token.to_string(): [slot] }, "latest"])),
        ("eth_call", json!([call, "latest"])),
        ("eth_estimateGas", json!([call])),
        ("eth_createAccessList", json!([call, "latest"])),
        ("eth_getBlockByNumber", json!([number, false])),
        ("eth_getBlockByNumber", json!(["latest", true])),
        ("eth_getBlockByHash", json!([block_hash, true])),
        ("eth_getBlockByNumber", json!(["0xffffff", false])),
        ("eth_getBlockTransactionCountByNumber", json!([number])),
        ("eth_getBlockTransactionCountByHash", json!([block_hash])),
        ("eth_getBlockReceipts", json!([number])),
        ("eth_getTransactionByHash", json!([hash])),
        ("eth_getTransactionByBlockNumberAndIndex", json!([number, "0x0"])),
        ("eth_getTransactionByBlockHashAndIndex", json!([block_hash, "0x0"])),
        ("eth_getTransactionReceipt", json!([hash])),
        ("eth_getLogs", json!([{ "fromBlock": "0x0", "toBlock": "latest", "address": token }])),
        // Filter ids are filled in below, once the first filters have been drained.
        ("eth_getFilterChanges", json!(["block"])),
        ("eth_getFilterChanges", json!(["log"])),
        ("eth_getFilterChanges", json!(["pending"])),
        ("eth_getFilterLogs", json!(["log"])),
        ("eth_newFilter", json!([{ "address": token }])),
        ("eth_newBlockFilter", json!([])),
        ("eth_newPendingTransactionFilter", json!([])),
        ("eth_uninstallFilter", json!(["block"])),
        ("eth_sign", json!([owner.address(), "0xdeadbeef"])),
        (
            "eth_signTransaction",
            json!([{ "from": owner.address(), "to": alice, "gas": "0x5208", "maxFeePerGas": "0x3b9aca00",
                     "maxPriorityFeePerGas": "0x1", "nonce": "0x9", "value": "0x1" }]),
        ),
        ("eth_sendRawTransaction", json!([raw])),
        ("eth_sendTransaction", json!([{ "from": owner.address(), "to": alice, "value": "0x1" }])),
        ("txpool_status", json!([])),
        ("txpool_content", json!([])),
        ("txpool_contentFrom", json!([owner.address()])),
        ("debug_getRawHeader", json!([number])),
        ("debug_getRawBlock", json!([number])),
        ("debug_getRawReceipts", json!([number])),
        ("debug_getRawTransaction", json!([hash])),
        ("debug_getBadBlocks", json!([])),
        ("debug_traceTransaction", json!([hash])),
        ("debug_traceTransaction", json!([hash, { "tracer": "callTracer" }])),
        ("debug_traceTransaction", json!([hash, { "tracer": "prestateTracer" }])),
        ("debug_traceBlockByNumber", json!([number, { "tracer": "callTracer" }])),
        (
            "debug_traceBlockByHash",
            json!([block_hash, { "tracer": "prestateTracer", "tracerConfig": { "diffMode": true } }]),
        ),
    ];

    // Coverage: every spec method is called here or listed as not served (engine_* is the consensus API).
    for name in schemas.keys() {
        let called = calls.iter().any(|(m, _)| m == name);
        let excused = name.starts_with("engine_") || NOT_SERVED.contains(&name.as_str());
        assert!(called || excused, "spec method {name} is neither tested here nor listed as not served");
        assert!(!(called && excused), "{name} is both served and listed as not served");
    }

    // The filters saw the traffic (so their answers below are not vacuous empty lists).
    for filter in [&block_filter, &log_filter, &pending_filter] {
        let seen = rpc.ok("eth_getFilterChanges", json!([filter])).await;
        assert!(
            !seen.as_array().unwrap().is_empty(),
            "filter {filter} saw nothing (block {block_filter}, log {log_filter}, pending {pending_filter})"
        );
    }
    let block_filter = rpc.ok("eth_newBlockFilter", json!([])).await;
    let log_filter = rpc.ok("eth_newFilter", json!([{ "fromBlock": "0x0" }])).await;
    let pending_filter = rpc.ok("eth_newPendingTransactionFilter", json!([])).await;
    // A token transfer: a new block, a log and a pending transaction for the second set of filters.
    let more = rpc.ok("eth_sendTransaction", json!([{ "from": owner.address(), "to": token, "data": transfer }])).await;
    rpc.wait_receipt(serde_json::from_value(more).unwrap()).await;
    let calls: Vec<(&str, Value)> = calls
        .into_iter()
        .map(|(m, p)| match (m, p[0].as_str()) {
            ("eth_getFilterChanges", Some("block")) => (m, json!([block_filter])),
            ("eth_getFilterChanges", Some("log")) => (m, json!([log_filter])),
            ("eth_getFilterChanges", Some("pending")) => (m, json!([pending_filter])),
            ("eth_getFilterLogs", _) => (m, json!([log_filter])),
            ("eth_uninstallFilter", _) => (m, json!([block_filter])),
            _ => (m, p),
        })
        .collect();

    let mut failures = Vec::new();
    for (method, params) in &calls {
        let result = rpc.ok(method, params.clone()).await;
        let validator =
            jsonschema::validator_for(&schemas[*method]).unwrap_or_else(|e| panic!("{method}: bad schema: {e}"));
        let errors: Vec<String> =
            validator.iter_errors(&result).map(|e| format!("at {}: {e}", e.instance_path())).take(3).collect();
        if !errors.is_empty() {
            failures.push(format!("{method} {params}: {}\n  answer: {}", errors.join("; "), truncate(&result)));
        }
    }
    assert!(failures.is_empty(), "{} answers do not match the spec:\n{}", failures.len(), failures.join("\n"));
    // The methods refused on purpose say so.
    for method in NOT_SERVED.iter().filter(|m| !m.starts_with("testing_")) {
        let e = rpc.err(method, json!([])).await;
        assert_eq!(e.code, -32601, "{method}");
        assert!(e.message.starts_with(&format!("{method} is not supported: ")), "{method}: {e:?}");
    }
}

fn truncate(v: &Value) -> String {
    let s = v.to_string();
    if s.len() > 400 {
        format!("{}…", &s[..400])
    } else {
        s
    }
}
