//! Producers' M-of-N attestations with a producer in its own process: `mosaic node --role producer`
//! derives the chain from L1 and attests the sequencer's next batch only after re-executing it. The
//! sequencer cannot commit without it (M = N = 2), commits with both attestations once it runs, and a
//! sequencer that lies about a state root gets no attestation at all, so the lie never reaches L1.
mod common;

use alloy::{
    primitives::U256,
    providers::{Provider, ProviderBuilder},
};
use common::*;
use serde_json::{json, Value};
use std::{
    path::PathBuf,
    process::{Child, Command, Stdio},
    time::Duration,
};

alloy::sol! {
    #[sol(rpc)]
    interface IAttested {
        function lastCommittedBatch() external view returns (uint64);
        function attesters(uint64 index) external view returns (uint256);
        function attestThreshold() external view returns (uint8);
    }
}

/// A `mosaic node --role producer` process on a port chosen before the sequencer starts (the sequencer
/// names it in `--co-signer`); killed on drop. Its output goes to a file in its data dir.
struct CoSigner {
    child: Child,
    dir: tempfile::TempDir,
}

impl CoSigner {
    fn start(port: u16, l1_url: &str, contracts: &std::path::Path, key_index: usize) -> Self {
        let dir = tempfile::tempdir().unwrap();
        // Producer keys are 20, 21, … of the test mnemonic.
        let signer = mosaic_node::dev::dev_signers(key_index as u32 + 1).pop().unwrap();
        let key = format!("0x{}", alloy::primitives::hex::encode(signer.to_bytes()));
        let log = std::fs::File::create(dir.path().join("log")).unwrap();
        let child = Command::new(env!("CARGO_BIN_EXE_mosaic"))
            .args(["node", "--role", "producer", "--producer-key", &key, "--l1-rpc", l1_url, "--l1-contracts"])
            .arg(contracts)
            .args(["--l1-confirmations", "0", "--host", "127.0.0.1", "--port", &port.to_string(), "--data-dir"])
            .arg(dir.path().join("data"))
            .env("NO_COLOR", "1")
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .expect("spawn the co-signer");
        Self { child, dir }
    }

    fn logs(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("log")).unwrap_or_default()
    }
}

impl Drop for CoSigner {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// A devnet whose two producers are dev keys 20 (in process) and 21 (the co-signer's), both required.
fn sequencer(co_signer: &str, extra: &[&str]) -> DevNode {
    let mut args = vec!["--producers", "2", "--attest", "2", "--co-signer", co_signer];
    args.extend_from_slice(extra);
    fast_devnet(&args)
}

async fn l1_of(node: &DevNode) -> (String, PathBuf) {
    let status = node.rpc().ok("mosaic_rollupStatus", json!([])).await;
    (status["l1Rpc"].as_str().unwrap().to_string(), node.data_dir().join("l1-contracts.json"))
}

#[tokio::test(flavor = "multi_thread")]
async fn a_producer_in_its_own_process_co_signs_what_it_re_executed() {
    let port = free_port();
    let node = sequencer(&format!("http://127.0.0.1:{port}"), &[]);
    let rpc = node.rpc();
    let (l1_url, contracts) = l1_of(&node).await;
    let l1 = ProviderBuilder::new().connect_http(l1_url.parse().unwrap()).erased();
    let contracts_json: Value = serde_json::from_slice(&std::fs::read(&contracts).unwrap()).unwrap();
    let rollup = IAttested::new(contracts_json["rollup"].as_str().unwrap().parse().unwrap(), l1.clone());
    assert_eq!(rollup.attestThreshold().call().await.unwrap(), 2);
    let sent = rpc.send_raw(&signed_transfer(&dev(3), 0, random_address(), U256::from(1))).await.unwrap();
    rpc.wait_receipt(sent).await;

    // Without the co-signer the sequencer has one attestation of two: nothing is committed.
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(rollup.lastCommittedBatch().call().await.unwrap(), 0, "committed without the second producer");
    assert!(node.logs().contains("no attestation"), "{}", node.logs());

    // With it, batches go out carrying both attestations.
    let co = CoSigner::start(port, &l1_url, &contracts, 21);
    poll_until("batch 1 committed", async || (rollup.lastCommittedBatch().call().await.ok()? >= 1).then_some(())).await;
    assert_eq!(rollup.attesters(1).call().await.unwrap(), U256::from(0b11), "both producers attested batch 1");
    // The co-signer keeps up: the next batch (built on batch 1, which it derived from L1) too.
    let sent = rpc.send_raw(&signed_transfer(&dev(3), 1, random_address(), U256::from(1))).await.unwrap();
    rpc.wait_receipt(sent).await;
    poll_until("batch 2 committed", async || (rollup.lastCommittedBatch().call().await.ok()? >= 2).then_some(())).await;
    assert_eq!(rollup.attesters(2).call().await.unwrap(), U256::from(0b11));
    assert!(co.logs().contains("batch attested"), "{}", co.logs());

    // It refuses what it cannot check: a batch that is not the next one.
    let co_rpc = Rpc::new(&format!("http://127.0.0.1:{port}"));
    let header = json!({
        "index": 99, "firstBlock": 1, "lastBlock": 1, "l1MessageCursor": 0,
        "prevStateRoot": format!("0x{}", "00".repeat(32)), "postStateRoot": format!("0x{}", "00".repeat(32)),
        "withdrawalsRoot": format!("0x{}", "00".repeat(32)), "lastBlockHash": format!("0x{}", "00".repeat(32)),
    });
    let e = co_rpc.err("mosaic_attestBatch", json!([header, "0x00"])).await;
    assert_rpc_error(&e, -32010, "not the next one");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_lie_gets_no_attestation_and_never_reaches_l1() {
    let port = free_port();
    let node = sequencer(&format!("http://127.0.0.1:{port}"), &["--fault-wrong-root-at", "1"]);
    let rpc = node.rpc();
    let (l1_url, contracts) = l1_of(&node).await;
    let l1 = ProviderBuilder::new().connect_http(l1_url.parse().unwrap()).erased();
    let contracts_json: Value = serde_json::from_slice(&std::fs::read(&contracts).unwrap()).unwrap();
    let rollup = IAttested::new(contracts_json["rollup"].as_str().unwrap().parse().unwrap(), l1.clone());
    let co = CoSigner::start(port, &l1_url, &contracts, 21);
    let sent = rpc.send_raw(&signed_transfer(&dev(3), 0, random_address(), U256::from(1))).await.unwrap();
    rpc.wait_receipt(sent).await;
    poll_until("the co-signer refusing the lie", async || co.logs().contains("refusing to attest").then_some(())).await;
    // The sequencer logs the refusal once the co-signer's answer arrives, a moment after the co-signer's log.
    poll_until("the sequencer hearing the refusal", async || {
        node.logs().contains("differ from what its data produces").then_some(())
    })
    .await;
    assert_eq!(rollup.lastCommittedBatch().call().await.unwrap(), 0, "the lie reached L1");
}
