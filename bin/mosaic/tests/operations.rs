//! Operations: the TOML config file and its flag overrides, Prometheus `/metrics`, `--help`,
//! `mosaic snark verify` on the committed SNARK, and `mosaic prover status | retry` on a queue.
mod common;

use common::*;
use serde_json::json;
use std::process::Command;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn config_file_flags_override_and_metrics() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("devnet.toml");
    std::fs::write(
        &cfg,
        "[chain]\nchain_id = 777\naccounts = 3\nblock_gas_limit = 40000000\n[sequencer]\nblock_time = \"0\"\n",
    )
    .unwrap();
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
    for flag in [
        "--mode",
        "--validity-proofs",
        "--finalizer-key",
        "--prove-validity",
        "--validity-max-range",
        "--prover-queue",
        "--prover-artifacts",
        "--prover-workers",
    ] {
        assert!(text.contains(flag), "`mosaic devnet --help` does not mention {flag}:\n{text}");
    }
    // The validity prover is refused before anything is opened: without L1, with an empty range, and
    // (in a build without the prover) at all.
    let dir = tempfile::tempdir().unwrap();
    let refused = |extra: &[&str], why: &str| {
        let out = Command::new(env!("CARGO_BIN_EXE_mosaic"))
            .args(["devnet", "--port", "0", "--l1-port", "0", "--prove-validity", "--data-dir"])
            .arg(dir.path())
            .args(extra)
            .output()
            .unwrap();
        assert!(!out.status.success(), "{extra:?} must be refused");
        assert!(
            String::from_utf8_lossy(&out.stderr).contains(why),
            "{extra:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    refused(&["--no-l1"], "cannot run with --no-l1");
    refused(&["--validity-max-range", "0"], "--validity-max-range must be at least 1");
    if !cfg!(feature = "prover") {
        refused(&[], "built without the prover");
    }
    assert!(!dir.path().join("l1-contracts.json").exists(), "nothing deployed by a refused start");
}

/// `mosaic snark verify` on the committed real SNARK: it verifies and states its journal hash, prints the
/// exact bytes the forge tests hand to `SnarkVerifier`, and refuses another journal hash or a changed
/// proof with a clear error.
#[test]
fn snark_verify_checks_the_committed_snark() {
    let root = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let fixtures = root.join("crates/snark/fixtures");
    let snark = fixtures.join("batch-1.snark");
    let vk = fixtures.join("batch.vk.json");
    let journal = std::fs::read_to_string(fixtures.join("batch-1.journal-hash")).unwrap().trim().to_string();
    let verify = |file: &std::path::Path, extra: &[&str]| {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_mosaic"));
        cmd.arg("snark").arg("verify").arg(file).arg("--vk").arg(&vk).args(extra);
        cmd.output().unwrap()
    };

    let ok = verify(&snark, &["--journal-hash", &journal]);
    let stdout = String::from_utf8_lossy(&ok.stdout);
    assert!(ok.status.success(), "{stdout}{}", String::from_utf8_lossy(&ok.stderr));
    assert!(stdout.contains("valid SNARK") && stdout.contains(&journal), "{stdout}");

    let l1 = verify(&snark, &["--l1-proof"]);
    assert!(l1.status.success());
    let fixture: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(root.join("contracts/test/snark/fixture.json")).unwrap())
            .unwrap();
    assert_eq!(String::from_utf8_lossy(&l1.stdout).trim(), fixture["proof"].as_str().unwrap());

    let other = format!("0x{}", "11".repeat(32));
    let wrong = verify(&snark, &["--journal-hash", &other]);
    assert!(!wrong.status.success());
    assert!(String::from_utf8_lossy(&wrong.stderr).contains("not 0x1111"), "{wrong:?}");

    let dir = tempfile::tempdir().unwrap();
    let mut bytes = std::fs::read(&snark).unwrap();
    let last = bytes.len() - 1;
    bytes[last - 40] ^= 1;
    let forged = dir.path().join("forged.snark");
    std::fs::write(&forged, bytes).unwrap();
    let bad = verify(&forged, &[]);
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("does not verify"), "{bad:?}");
}

/// `--genesis FILE`: a geth-style genesis file's accounts (balance in hex or decimal, nonce, code,
/// storage) are in the devnet's state from block 0, beside the dev accounts and the predeploys; a file
/// for another chain id is refused before anything starts.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_geth_genesis_file_seeds_the_state() {
    use alloy::primitives::{address, Address, B256, U256};
    let dir = tempfile::tempdir().unwrap();
    let contract: Address = address!("00000000000000000000000000000000000000aa");
    let holder: Address = address!("1111111111111111111111111111111111111111");
    // Returns storage slot 0: PUSH1 0 SLOAD PUSH1 0 MSTORE PUSH1 32 PUSH1 0 RETURN.
    let file = json!({
        "config": { "chainId": 424242 },
        "alloc": {
            "00000000000000000000000000000000000000aa": {
                "balance": "0x3e8", "nonce": "0x5", "code": "0x60005460005260206000f3",
                "storage": { format!("0x{}", "00".repeat(32)): format!("0x{:064x}", 42) }
            },
            holder.to_string(): { "balance": "1000000000000000000" }
        }
    });
    let path = dir.path().join("genesis.json");
    std::fs::write(&path, file.to_string()).unwrap();
    let node = DevNode::start(&["--block-time", "0", "--genesis", path.to_str().unwrap()]);
    let rpc = node.rpc();
    assert_eq!(rpc.ok("eth_getBalance", json!([contract, "0x0"])).await, json!(U256::from(1000)));
    assert_eq!(rpc.ok("eth_getTransactionCount", json!([contract, "0x0"])).await, json!("0x5"));
    assert_eq!(rpc.ok("eth_getCode", json!([contract, "0x0"])).await, json!("0x60005460005260206000f3"));
    assert_eq!(rpc.ok("eth_getStorageAt", json!([contract, "0x0", "0x0"])).await, json!(B256::from(U256::from(42))));
    assert_eq!(rpc.ok("eth_call", json!([{ "to": contract }])).await, json!(B256::from(U256::from(42))));
    assert_eq!(rpc.ok("eth_getBalance", json!([holder, "latest"])).await, json!(U256::from(10u64).pow(U256::from(18))));
    assert!(rpc.balance(dev(0).address()).await > U256::ZERO, "the dev accounts are still funded");

    let out = Command::new(env!("CARGO_BIN_EXE_mosaic"))
        .args(["devnet", "--port", "0", "--no-l1", "--chain-id", "7", "--genesis"])
        .arg(&path)
        .arg("--data-dir")
        .arg(dir.path().join("other"))
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("is for chain 424242; start with --chain-id 424242"), "{err}");
}

/// `mosaic prover status` prints a queue's jobs per kind and state and its latest jobs; `mosaic prover
/// retry` queues a job that failed for good again and refuses one that did not fail.
#[test]
fn prover_status_and_retry_read_and_mend_a_queue() {
    use mosaic_prover_queue::{EmbeddedQueue, JobKind, JobQueue, NewJob, Worker};
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("queue.redb");
    {
        let q = EmbeddedQueue::open(&path).unwrap();
        q.enqueue(NewJob::new("batch-1-aa", JobKind::Batch, vec![]).attempts(1)).unwrap();
        q.enqueue(NewJob::new("wrap-1-1-bb", JobKind::Wrap, vec![]).after(["batch-1-aa"])).unwrap();
        let claim = q.claim(&Worker::new("w")).unwrap().unwrap();
        q.fail(&claim.key, "w", "out of memory").unwrap();
    } // The CLI opens the file itself.
    let mosaic = |args: &[&str]| {
        let out = Command::new(env!("CARGO_BIN_EXE_mosaic")).arg("prover").args(args).output().unwrap();
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let queue = path.to_str().unwrap();
    let (ok, text, err) = mosaic(&["status", "--queue", queue]);
    assert!(ok, "{err}");
    let batch_row = text.lines().find(|l| l.starts_with("batch ")).unwrap();
    assert_eq!(batch_row.split_whitespace().collect::<Vec<_>>(), ["batch", "0", "0", "0", "1"], "{text}");
    assert!(text.contains("batch-1-aa") && text.contains("out of memory"), "{text}");
    let (ok, json, _) = mosaic(&["status", "--queue", queue, "--json"]);
    let json: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert!(ok && json["jobs"].as_array().unwrap().len() == 2, "{json}");

    let (ok, _, err) = mosaic(&["retry", "--queue", queue, "wrap-1-1-bb"]);
    assert!(!ok && err.contains("is not failed"), "{err}");
    let (ok, text, err) = mosaic(&["retry", "--queue", queue, "batch-1-aa"]);
    assert!(ok && text.contains("queued again"), "{err}");
    let q = EmbeddedQueue::open(&path).unwrap();
    assert_eq!(q.job("batch-1-aa").unwrap().unwrap().state, mosaic_prover_queue::JobState::Queued);
}
