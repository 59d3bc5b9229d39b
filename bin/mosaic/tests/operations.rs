//! Operations: the TOML config file and its flag overrides, Prometheus `/metrics`, and `--help`.
mod common;

use common::*;
use serde_json::json;
use std::process::Command;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn config_file_flags_override_and_metrics() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("devnet.toml");
    std::fs::write(&cfg, "chain_id = 777\nblock_time = \"0\"\naccounts = 3\nblock_gas_limit = 40000000\n").unwrap();
    // The file sets chain id, block time and accounts; the flag overrides the gas limit.
    let node = DevNode::start(&["--config", cfg.to_str().unwrap(), "--block-gas-limit", "50000000"]);
    let rpc = node.rpc();
    assert_eq!(rpc.ok("eth_chainId", json!([])).await, json!("0x309"));
    assert_eq!(rpc.ok("eth_accounts", json!([])).await.as_array().unwrap().len(), 3);
    let head = rpc.ok("eth_getBlockByNumber", json!(["latest", false])).await;
    assert_eq!(head["gasLimit"], json!("0x2faf080"), "flag beats file: 50,000,000");

    // One transfer, then the counters show it.
    let mut tx = transfer_1559(0, random_address(), alloy::primitives::U256::from(1), 100_000_000_000, SUGGESTED_TIP);
    tx.chain_id = 777;
    let hash = rpc.ok("eth_sendRawTransaction", json!([sign(&dev(0), tx)])).await;
    let hash: alloy::primitives::B256 = serde_json::from_value(hash).unwrap();
    rpc.wait_receipt(hash).await;
    let body = reqwest::get(format!("{}/metrics", node.http_url())).await.unwrap().text().await.unwrap();
    let metric = |name: &str| -> f64 {
        body.lines()
            .find_map(|l| l.strip_prefix(name).and_then(|rest| rest.trim().parse().ok()))
            .unwrap_or_else(|| panic!("metric {name} missing in:\n{body}"))
    };
    assert!(metric("mosaic_transactions_total ") >= 1.0);
    assert!(metric("mosaic_transactions_received_total ") >= 1.0);
    assert!(metric("mosaic_blocks_total ") >= 1.0);
    assert_eq!(metric("mosaic_mempool_size "), 0.0);
    assert!(metric("mosaic_head_block ") >= 1.0);
    assert!(metric("mosaic_block_execution_seconds_count ") >= 1.0);
    assert!(metric("mosaic_block_commit_seconds_count ") >= 1.0);
}

#[test]
fn help_explains_every_flag() {
    let out = Command::new(env!("CARGO_BIN_EXE_mosaic")).args(["devnet", "--help"]).output().unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    for flag in [
        "--config",
        "--port",
        "--data-dir",
        "--block-time",
        "--chain-id",
        "--block-gas-limit",
        "--min-base-fee",
        "--fee-recipient",
        "--max-request-size",
        "--max-tx-size",
    ] {
        assert!(text.contains(flag), "`mosaic devnet --help` does not mention {flag}:\n{text}");
    }
    let bad = Command::new(env!("CARGO_BIN_EXE_mosaic"))
        .args(["devnet", "--block-time", "soon", "--port", "0"])
        .output()
        .unwrap();
    assert!(!bad.status.success(), "an invalid block time must be refused");
    assert!(String::from_utf8_lossy(&bad.stderr).contains("invalid duration"));
}
