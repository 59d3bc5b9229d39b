//! Settlement layer end to end: the embedded L1, deposits, batches, withdrawals claimed on L1; and, on
//! anvil, a full node and a verifier that rebuild the L2 from L1 calldata alone and report bad batches.
#![allow(clippy::too_many_arguments)] // generated contract bindings mirror Solidity signatures
mod common;

use alloy::{
    primitives::{keccak256, Address, Bytes, B256, U256},
    providers::{DynProvider, Provider, ProviderBuilder},
    signers::local::PrivateKeySigner,
    sol_types::SolCall,
};
use common::*;
use mosaic_rollup::testing::Anvil;
use serde_json::{json, Value};
use std::{
    process::Command,
    sync::{
        atomic::{AtomicBool, Ordering},
        Arc, Mutex,
    },
    time::Duration,
};

alloy::sol! {
    #[sol(rpc)]
    interface IBridge {
        function depositETH(address l2Recipient) external payable;
        function enqueueL2Transaction(bytes calldata transaction) external;
        function queueLength() external view returns (uint256);
        function claimWithdrawal(uint64 batchIndex, uint256 nonce, address from, address l1Recipient, address token, uint256 amount, uint256 leafIndex, bytes32[] calldata proof) external;
    }
    #[sol(rpc)]
    interface IEscape {
        function freeze() external;
        function frozen() external view returns (bool);
        function freezeDelay() external view returns (uint64);
        function lastFinalizedBatch() external view returns (uint64);
        function escapeState() external view returns (bytes32 stateRoot, uint64 l1MessageCursor);
        function escapeETH(uint64 nonce, uint256 balance, bytes32 codeHash, bytes32[] calldata siblings) external;
        function escaped(address account, address token) external view returns (bool);
    }
    #[sol(rpc)]
    interface IFallback {
        function fallbackOpen() external view returns (bool);
        function fallbackDelay() external view returns (uint64);
        function lastFinalizedBatch() external view returns (uint64);
    }
    #[sol(rpc)]
    interface IL2Bridge {
        function withdrawETH(address l1Recipient) external payable;
    }
    struct BatchHeader {
        uint64 index;
        uint64 firstBlock;
        uint64 lastBlock;
        uint64 l1MessageCursor;
        bytes32 prevStateRoot;
        bytes32 postStateRoot;
        bytes32 withdrawalsRoot;
        bytes32 lastBlockHash;
    }
    struct BatchRecord {
        bytes32 dataHash;
        bytes32 postStateRoot;
        bytes32 withdrawalsRoot;
        bytes32 lastBlockHash;
        bytes32 l1MessagesHash;
        bytes32 prevStateRoot;
        uint64 lastBlock;
        uint64 l1MessageCursor;
        uint64 committedAt;
        address proposer;
        uint96 bond;
        bool proven;
        bool byFallback;
    }
    #[sol(rpc)]
    interface IRollup {
        function commitBatch(BatchHeader calldata header, bytes calldata data) external payable;
        function lastCommittedBatch() external view returns (uint64);
        function bondAmount() external view returns (uint96);
        function batch(uint64 index) external view returns (BatchRecord memory);
        function verifier() external view returns (address);
        function challenges(uint64 index) external view returns (address challenger, uint96 bond, uint64 deadline);
        event BatchChallenged(uint64 indexed index, address indexed challenger, uint64 deadline);
        event BatchCommitted(uint64 indexed index, bytes32 dataHash, bytes32 postStateRoot, uint64 lastBlock, uint64 l1MessageCursor);
    }
    #[sol(rpc)]
    interface IProducers {
        function attestThreshold() external view returns (uint8);
        function attesters(uint64 index) external view returns (uint256);
        function producers(uint256 i) external view returns (address);
        function stakes(address producer) external view returns (uint256);
    }
    #[sol(rpc)]
    interface IRollupFinality {
        function lastFinalizedBatch() external view returns (uint64);
        function publicInputsHash(uint64 index) external view returns (bytes32);
        function zkFromBatch() external view returns (uint64);
    }
    #[sol(rpc)]
    interface IRollupRanges {
        function aggregateVerifier() external view returns (address);
        function aggregateBatchProgram() external view returns (bytes32);
    }
    #[sol(rpc)]
    interface ISnarkVerifier {
        function appExeCommit() external view returns (bytes32);
        function appVmCommit() external view returns (bytes32);
    }
}

fn eth(n: u64) -> U256 {
    U256::from(n) * U256::from(10u64).pow(U256::from(18u64))
}

fn wallet(url: &str, signer: &PrivateKeySigner) -> DynProvider {
    ProviderBuilder::new().wallet(signer.clone()).connect_http(url.parse().expect("url")).erased()
}

fn addr(v: &Value) -> Address {
    v.as_str().expect("address string").parse().expect("address")
}

/// Waits until the node's own batch record for `index` reaches `status`.
async fn wait_batch_status(rpc: &Rpc, index: u64, status: &str) -> Value {
    poll_until(&format!("batch {index} {status}"), async || {
        let b = rpc.ok("mosaic_getBatch", json!([format!("0x{index:x}")])).await;
        (b.get("status").and_then(|s| s.as_str()) == Some(status)).then_some(b)
    })
    .await
}

#[tokio::test(flavor = "multi_thread")]
async fn deposit_batch_withdraw_and_claim_on_the_embedded_l1() {
    let node = fast_devnet(&["--challenge-window", "2"]);
    let rpc = node.rpc();
    let contracts = rpc.ok("mosaic_l1Contracts", json!([])).await;
    assert_eq!(contracts["l1ChainId"].as_u64(), Some(1337), "{contracts}");
    let status = rpc.ok("mosaic_rollupStatus", json!([])).await;
    let l1_url = status["l1Rpc"].as_str().expect("l1Rpc").to_string();
    let (bridge, rollup) = (addr(&contracts["bridge"]), addr(&contracts["rollup"]));

    // Deposit: dev account 1 sends 5 ETH on L1 to a fresh L2 address.
    let l1 = wallet(&l1_url, &dev_signers()[1]);
    let recipient = PrivateKeySigner::random().address();
    let receipt = IBridge::new(bridge, l1.clone())
        .depositETH(recipient)
        .value(eth(5))
        .send()
        .await
        .expect("deposit sent")
        .get_receipt()
        .await
        .expect("deposit mined");
    assert!(receipt.status());
    poll_until("deposit credited on L2", async || (rpc.balance(recipient).await == eth(5)).then_some(())).await;
    // The deposit is in a block's extraData cursor: one L1 message consumed.
    let head = rpc.block(rpc.block_number().await).await;
    let extra = hex_bytes(&head["extraData"]);
    assert_eq!(extra.len(), 40, "extraData holds the L1 cursor");
    assert_eq!(u64::from_be_bytes(extra[..8].try_into().unwrap()), 1);

    // Withdrawal: dev account 2 withdraws 1 ETH on L2 to a fresh L1 address.
    let l1_recipient = PrivateKeySigner::random().address();
    let l2 = node.wallet(&dev_signers()[2]);
    let w = IL2Bridge::new(mosaic_l2_bridge(), l2)
        .withdrawETH(l1_recipient)
        .value(eth(1))
        .send()
        .await
        .expect("withdrawal sent")
        .get_receipt()
        .await
        .expect("withdrawal mined");
    assert!(w.status());
    let tx = w.transaction_hash;

    // Block tags follow L1: `finalized` names the last block of a finalized batch (genesis before one),
    // not the head, and `safe` lies between.
    let tag = async |t: &str| hex_u64(&rpc.ok("eth_getBlockByNumber", json!([t, false])).await["number"]);
    poll_until("the chain runs ahead of L1 finality", async || {
        (tag("finalized").await < rpc.block_number().await).then_some(())
    })
    .await;

    // It becomes claimable once its batch is committed and finalized on L1.
    let proof = poll_until("withdrawal finalized", async || {
        let r = rpc.call("mosaic_getWithdrawalProof", json!([tx])).await.ok()?;
        let p = r.as_array()?.first()?.clone();
        (p["finalized"] == json!(true)).then_some(p)
    })
    .await;
    let batch_index = hex_u64(&proof["batchIndex"]);
    let batch = rpc.ok("mosaic_getBatch", json!([proof["batchIndex"]])).await;
    assert_eq!(batch["status"], "finalized", "{batch}");
    // The rollup stores only the hash of the calldata; it matches the posted bytes.
    let l1_tx = hex_b256(&batch["l1Tx"]);
    let posted = l1.get_transaction_by_hash(l1_tx).await.expect("rpc").expect("commit tx");
    let call =
        IRollup::commitBatchCall::abi_decode(alloy::consensus::Transaction::input(&posted)).expect("commitBatch");
    assert_eq!(keccak256(&call.data), hex_b256(&batch["dataHash"]));
    assert_eq!(call.header.index, batch_index);
    let batch_last = call.header.lastBlock;
    let finalized = poll_until("the finalized tag covers the batch", async || {
        let n = tag("finalized").await;
        (n >= batch_last).then_some(n)
    })
    .await;
    let (safe, latest) = (tag("safe").await, tag("latest").await);
    assert!(finalized <= safe && safe <= latest, "finalized {finalized}, safe {safe}, latest {latest}");
    assert!(metric(&node, "mosaic_finalized_block").await >= finalized);

    let claimer = IBridge::new(bridge, wallet(&l1_url, &dev_signers()[3]));
    let siblings: Vec<B256> = proof["proof"].as_array().unwrap().iter().map(hex_b256).collect();
    let claim = claimer.claimWithdrawal(
        batch_index,
        hex_u256(&proof["nonce"]),
        addr(&proof["from"]),
        l1_recipient,
        Address::ZERO,
        hex_u256(&proof["amount"]),
        U256::from(hex_u64(&proof["leafIndex"])),
        siblings,
    );
    let r = claim.send().await.expect("claim sent").get_receipt().await.expect("claim mined");
    assert!(r.status());
    assert_eq!(l1.get_balance(l1_recipient).await.unwrap(), eth(1));
    // Paid exactly once: a second claim reverts.
    assert!(claim.call().await.is_err(), "a withdrawal must not pay twice");
    assert!(IRollup::new(rollup, l1).lastCommittedBatch().call().await.unwrap() >= batch_index);
}

fn mosaic_l2_bridge() -> Address {
    "0x4d4f534149430000000000000000000000000001".parse().unwrap()
}

/// Anvil with the contracts deployed by `mosaic deploy-l1` (challenge window 2 s); dev account 9 proposes.
struct L1Setup {
    anvil: Anvil,
    provider: DynProvider,
    proposer: PrivateKeySigner,
    key: String,
    contracts_file: String,
    _dir: tempfile::TempDir,
    bridge: Address,
    rollup: Address,
    deployed_at: u64,
}

impl L1Setup {
    async fn deploy() -> Self {
        Self::deploy_with(&[]).await
    }

    /// A deployment with `deploy-l1`'s extra flags `args`.
    async fn deploy_with(args: &[&str]) -> Self {
        let anvil = Anvil::start();
        let provider = ProviderBuilder::new().connect_http(anvil.url.parse().unwrap()).erased();
        poll_until("anvil up", async || provider.get_block_number().await.ok()).await;
        // Anvil funds accounts 0–9 of the same mnemonic.
        let proposer = dev_signers()[9].clone();
        let key = format!("0x{}", alloy::primitives::hex::encode(proposer.to_bytes()));
        let dir = tempfile::tempdir().unwrap();
        let contracts_file = dir.path().join("l1.json");
        let out = Command::new(env!("CARGO_BIN_EXE_mosaic"))
            .args(["deploy-l1", "--l1-rpc", &anvil.url, "--private-key", &key, "--challenge-window", "2"])
            .args(args)
            .arg("--out")
            .arg(&contracts_file)
            .output()
            .expect("run deploy-l1");
        assert!(out.status.success(), "deploy-l1 failed: {}", String::from_utf8_lossy(&out.stderr));
        let contracts: Value = serde_json::from_slice(&std::fs::read(&contracts_file).unwrap()).unwrap();
        let (bridge, rollup) = (addr(&contracts["bridge"]), addr(&contracts["rollup"]));
        let deployed_at = contracts["deployedAt"].as_u64().expect("deployedAt");
        let contracts_file = contracts_file.to_str().unwrap().to_string();
        Self { anvil, provider, proposer, key, contracts_file, _dir: dir, bridge, rollup, deployed_at }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn batches_carry_m_of_n_producer_attestations_and_full_nodes_derive_them() {
    let node = fast_devnet(&["--challenge-window", "2", "--producers", "3", "--attest", "2"]);
    let rpc = node.rpc();
    let raw = signed_transfer(&dev_signers()[3], 0, Address::repeat_byte(0x42), U256::from(1));
    let tx = rpc.send_raw(&raw).await.expect("transfer accepted");
    let mined_in = hex_u64(&rpc.wait_receipt(tx).await["blockNumber"]);
    let status = poll_until("an attested batch with the transfer", async || {
        let s = rpc.ok("mosaic_rollupStatus", json!([])).await;
        (s["lastBatch"]["lastBlock"].as_u64()? >= mined_in).then_some(s)
    })
    .await;
    let index = status["lastBatch"]["index"].as_u64().unwrap();
    let l1_url = status["l1Rpc"].as_str().unwrap().to_string();
    let l1 = ProviderBuilder::new().connect_http(l1_url.parse().unwrap()).erased();
    let producers = IProducers::new(addr(&status["contracts"]["rollup"]), l1.clone());
    assert_eq!(producers.attestThreshold().call().await.unwrap(), 2);
    // The devnet signs with all three producer keys: every batch's attester set is all of them.
    assert_eq!(producers.attesters(index).call().await.unwrap(), U256::from(0b111));
    let stake = producers.stakes(producers.producers(U256::ZERO).call().await.unwrap()).call().await.unwrap();
    assert!(stake > U256::ZERO, "the producers are staked");

    // A full node decodes the attested commits from L1 calldata and rebuilds the same chain.
    let contracts = node.data_dir().join("l1-contracts.json");
    let full = DevNode::start_cmd(
        &["node"],
        &[
            "--role",
            "full",
            "--l1-rpc",
            &l1_url,
            "--l1-contracts",
            contracts.to_str().unwrap(),
            "--l1-confirmations",
            "0",
        ],
    );
    let derived = wait_batch_status(&full.rpc(), index, "verified").await;
    assert_eq!(derived["computedStateRoot"], status["lastBatch"]["claimedStateRoot"], "{derived}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_lying_devnet_is_challenged_by_a_verifier_at_once() {
    // The sequencer lies about batch 2's state root (fault injection, a development L1 only) and goes
    // on building on its lie; a challenging verifier on the same L1 sees it and challenges.
    let node = fast_devnet(&["--challenge-window", "60", "--fault-wrong-root-at", "2"]);
    let rpc = node.rpc();
    let traffic = traffic(&node);
    let status = rpc.ok("mosaic_rollupStatus", json!([])).await;
    let l1_url = status["l1Rpc"].as_str().unwrap().to_string();
    let contracts = node.data_dir().join("l1-contracts.json");
    let key = format!("0x{}", alloy::primitives::hex::encode(dev_signers()[5].to_bytes()));
    let verifier = DevNode::start_cmd(
        &["node"],
        &[
            "--role",
            "verifier",
            "--l1-rpc",
            &l1_url,
            "--l1-contracts",
            contracts.to_str().unwrap(),
            "--l1-confirmations",
            "0",
            "--challenge",
            "--l1-private-key",
            &key,
        ],
    );
    let vrpc = verifier.rpc();
    let game = poll_until("the lie challenged", async || {
        let s = vrpc.ok("mosaic_rollupStatus", json!([])).await;
        s["challenger"]["games"].as_array()?.iter().find(|g| g["index"] == json!(2)).cloned()
    })
    .await;
    assert_eq!(game["status"], "challenged", "{game}");
    assert_eq!(wait_batch_status(&vrpc, 1, "verified").await["index"], json!(1));
    // The liar builds on its lie: batch 3 chains onto the false root, and its own claim is true.
    poll_until("batch 3 committed and derived", async || {
        let b = vrpc.ok("mosaic_getBatch", json!(["0x3"])).await;
        (b.get("status")?.as_str()? == "verified").then_some(())
    })
    .await;
    let s = vrpc.ok("mosaic_rollupStatus", json!([])).await;
    assert_eq!(s["derivation"]["faults"], json!([2]), "{s}");
    assert_eq!(s["challenger"]["games"].as_array().unwrap().len(), 1, "only the lie is challenged");
    traffic.abort();
}

#[tokio::test(flavor = "multi_thread")]
async fn the_devnet_switches_from_hybrid_to_zk_while_it_runs() {
    let node = fast_devnet(&["--challenge-window", "2", "--switch-delay", "3"]);
    let rpc = node.rpc();
    let traffic = traffic(&node);
    let status = poll_until("a hybrid batch", async || {
        let s = rpc.ok("mosaic_rollupStatus", json!([])).await;
        (s["settlement"]["mode"] == "hybrid" && s["lastBatch"]["index"].as_u64()? >= 1).then_some(s)
    })
    .await;
    assert_eq!(status["settlement"]["zkSwitchAt"], Value::Null, "{status}");
    let l1_url = status["l1Rpc"].as_str().unwrap().to_string();
    let l1 = ProviderBuilder::new().connect_http(l1_url.parse().unwrap()).erased();
    let rollup = IRollup::new(addr(&status["contracts"]["rollup"]), l1.clone());
    let bond = U256::from(rollup.bondAmount().call().await.unwrap());

    // The owner (the devnet's deployer) schedules the switch; the running node follows it.
    let contracts = node.data_dir().join("l1-contracts.json");
    let out = Command::new(env!("CARGO_BIN_EXE_mosaic"))
        .args(["switch-to-zk", "--l1-rpc", &l1_url, "--l1-contracts"])
        .arg(&contracts)
        .output()
        .expect("run switch-to-zk");
    assert!(out.status.success(), "switch-to-zk failed: {}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).contains("switch to zk scheduled"));
    let status = poll_until("the switch", async || {
        let s = rpc.ok("mosaic_rollupStatus", json!([])).await;
        (s["settlement"]["mode"] == "zk").then_some(s)
    })
    .await;
    let first_zk = status["settlement"]["zkFromBatch"].as_u64().expect("zkFromBatch");
    assert!(status["settlement"]["zkSwitchAt"].as_u64().is_some(), "{status}");
    poll_until("a second zk batch", async || {
        let s = rpc.ok("mosaic_rollupStatus", json!([])).await;
        (s["lastBatch"]["index"].as_u64()? > first_zk).then_some(())
    })
    .await;
    // Hybrid batches carried bonds and finalize by window; zk batches carry none and wait for proofs.
    let commits = rollup.BatchCommitted_filter().from_block(0).query().await.unwrap();
    let value_of = async |index: u64| {
        let (_, log) = commits.iter().find(|(e, _)| e.index == index).expect("commit log");
        let tx = l1.get_transaction_by_hash(log.transaction_hash.unwrap()).await.unwrap().unwrap();
        alloy::consensus::Transaction::value(&tx)
    };
    assert_eq!(value_of(first_zk - 1).await, bond, "the last hybrid batch was bonded");
    assert_eq!(value_of(first_zk).await, U256::ZERO, "the first zk batch carries no bond");
    poll_until("the hybrid batches final", async || {
        let f = IRollupFinality::new(*rollup.address(), l1.clone()).lastFinalizedBatch().call().await.ok()?;
        (f == first_zk - 1).then_some(())
    })
    .await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    let f = IRollupFinality::new(*rollup.address(), l1.clone()).lastFinalizedBatch().call().await.unwrap();
    assert_eq!(f, first_zk - 1, "a zk batch finalized without a proof");
    traffic.abort();
}

#[tokio::test(flavor = "multi_thread")]
async fn a_zk_devnet_commits_without_bonds_and_finalizes_only_on_proofs() {
    let node = fast_devnet(&["--mode", "zk"]);
    let rpc = node.rpc();
    let traffic = traffic(&node);
    let status = poll_until("two zk batches", async || {
        let s = rpc.ok("mosaic_rollupStatus", json!([])).await;
        (s["settlement"]["mode"] == "zk" && s["lastBatch"]["index"].as_u64()? >= 2).then_some(s)
    })
    .await;
    assert_eq!(status["settlement"]["zkFromBatch"], 1, "{status}");
    let l1 = ProviderBuilder::new().connect_http(status["l1Rpc"].as_str().unwrap().parse().unwrap()).erased();
    let rollup = IRollup::new(addr(&status["contracts"]["rollup"]), l1.clone());
    let finality = IRollupFinality::new(*rollup.address(), l1.clone());
    // Ranges finalize by the committed aggregation keys' verifier, set at deployment by default.
    let ranges = IRollupRanges::new(*rollup.address(), l1.clone());
    let aggregate = ranges.aggregateVerifier().call().await.unwrap();
    let vk: Value =
        serde_json::from_slice(&std::fs::read(repo_root().join("crates/snark/fixtures/aggregate.vk.json")).unwrap())
            .unwrap();
    let exe: B256 = vk["app_exe_commit"].as_str().unwrap().parse().unwrap();
    assert_eq!(ISnarkVerifier::new(aggregate, l1.clone()).appExeCommit().call().await.unwrap(), exe);
    let program = std::fs::read_to_string(repo_root().join("crates/snark/fixtures/aggregate.batch-program")).unwrap();
    assert_eq!(ranges.aggregateBatchProgram().call().await.unwrap(), program.trim().parse::<B256>().unwrap());
    let commits = rollup.BatchCommitted_filter().from_block(0).query().await.unwrap();
    for (_, log) in commits.iter().take(2) {
        let tx = l1.get_transaction_by_hash(log.transaction_hash.unwrap()).await.unwrap().unwrap();
        assert_eq!(alloy::consensus::Transaction::value(&tx), U256::ZERO, "a zk batch carries no bond");
    }
    // Committed is `safe`; nothing is `finalized` without a proof, and the finalizer says which journal's
    // proof it waits for.
    let batch1_last = rollup.batch(1).call().await.unwrap().lastBlock;
    let tag = async |t: &str| hex_u64(&rpc.ok("eth_getBlockByNumber", json!([t, false])).await["number"]);
    poll_until("safe covers batch 1", async || (tag("safe").await >= batch1_last).then_some(())).await;
    let waiting = finality.publicInputsHash(1).call().await.unwrap();
    let status = poll_until("the finalizer waiting for batch 1's proof", async || {
        let s = rpc.ok("mosaic_rollupStatus", json!([])).await;
        (s["finalizer"]["waitingFor"] == json!(waiting)).then_some(s)
    })
    .await;
    assert_eq!(status["finalizer"]["lastFinalizedBatch"], 0, "{status}");
    assert_eq!(tag("finalized").await, 0, "no proof, no finality");
    assert_eq!(finality.lastFinalizedBatch().call().await.unwrap(), 0);
    traffic.abort();
}

/// A transfer every 400 ms from dev account 3, so batches close by age instead of waiting for the idle
/// limit; abort the handle to stop.
fn traffic(node: &DevNode) -> tokio::task::JoinHandle<()> {
    let rpc = node.rpc();
    tokio::spawn(async move {
        for nonce in 0.. {
            let raw = signed_transfer(&dev_signers()[3], nonce, Address::repeat_byte(0x42), U256::from(1));
            let _ = rpc.send_raw(&raw).await;
            tokio::time::sleep(Duration::from_millis(400)).await;
        }
    })
}

/// The committed SNARK keys' program commitments (what `deploy-l1` pins by default).
fn committed_program() -> (B256, B256) {
    let vk: Value =
        serde_json::from_slice(&std::fs::read(repo_root().join("crates/snark/fixtures/batch.vk.json")).unwrap())
            .unwrap();
    (vk["app_exe_commit"].as_str().unwrap().parse().unwrap(), vk["app_vm_commit"].as_str().unwrap().parse().unwrap())
}

#[tokio::test(flavor = "multi_thread")]
async fn deploy_l1_refuses_the_development_srs_outside_dev_chains() {
    // A chain id that is not a development chain: the committed keys (development KZG setup) are refused
    // before anything is sent.
    let anvil = Anvil::start_with(&["--chain-id", "11155111"]);
    let provider = ProviderBuilder::new().connect_http(anvil.url.parse().unwrap()).erased();
    poll_until("anvil up", async || provider.get_block_number().await.ok()).await;
    let deployer = dev_signers()[9].clone();
    let key = format!("0x{}", alloy::primitives::hex::encode(deployer.to_bytes()));
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("l1.json");
    let deploy = |extra: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_mosaic"))
            .args(["deploy-l1", "--l1-rpc", &anvil.url, "--private-key", &key, "--out"])
            .arg(&file)
            .args(extra)
            .output()
            .expect("run deploy-l1")
    };
    let out = deploy(&[]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "deployed a forgeable verifier on chain 11155111");
    assert!(stderr.contains("development KZG setup") && stderr.contains("--insecure-dev-srs"), "{stderr}");
    assert_eq!(provider.get_transaction_count(deployer.address()).await.unwrap(), 0, "something was sent");
    assert!(!file.exists(), "a contracts file was written");

    // The aggregate verifier is held to the same rule (here the committed batch keys stand in for the
    // aggregation program's: only the wiring is under test).
    let root = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let vk = root.join("crates/snark/fixtures/batch.vk.json");
    let halo2 = root.join("contracts/artifacts/Halo2Verifier.json");
    let program = format!("0x{}", "ab".repeat(32));
    let aggregate = ["--aggregate-vk", vk.to_str().unwrap(), "--aggregate-halo2-verifier", halo2.to_str().unwrap()];
    let out = deploy(&[&aggregate[..], &["--aggregate-batch-program", &program, "--no-proof-verifier"]].concat());
    assert!(!out.status.success(), "deployed a forgeable aggregate verifier on chain 11155111");
    assert!(String::from_utf8_lossy(&out.stderr).contains("development KZG setup"));
    let out = deploy(&aggregate);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("go together"), "{out:?}");
    assert_eq!(provider.get_transaction_count(deployer.address()).await.unwrap(), 0, "something was sent");

    // Explicitly allowed: the Rollup checks proofs with a SnarkVerifier pinning the committed program,
    // and ranges with the aggregate verifier.
    // The devnet's terms (a 10 s challenge window, a 30 s switch delay) are refused here too, each named.
    let allowed = [&aggregate[..], &["--aggregate-batch-program", &program, "--insecure-dev-srs"]].concat();
    let out = deploy(&allowed);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "a devnet's terms on chain 11155111");
    assert!(
        stderr.contains("--challenge-window 10 s is under 3600 s") && stderr.contains("--allow-unsafe-terms"),
        "{stderr}"
    );
    assert_eq!(provider.get_transaction_count(deployer.address()).await.unwrap(), 0, "something was sent");
    let out = deploy(&[&allowed[..], &["--allow-unsafe-terms"]].concat());
    assert!(out.status.success(), "deploy-l1 --insecure-dev-srs failed: {}", String::from_utf8_lossy(&out.stderr));
    let contracts: Value = serde_json::from_slice(&std::fs::read(&file).unwrap()).unwrap();
    let snark = addr(&contracts["proofVerifier"]);
    let rollup = IRollup::new(addr(&contracts["rollup"]), provider.clone());
    assert_eq!(rollup.verifier().call().await.unwrap(), snark, "the Rollup's verifier");
    let v = ISnarkVerifier::new(snark, provider.clone());
    let (exe, vm) = committed_program();
    assert_eq!(v.appExeCommit().call().await.unwrap(), exe);
    assert_eq!(v.appVmCommit().call().await.unwrap(), vm);
    let aggregate = addr(&contracts["aggregateVerifier"]);
    assert_ne!(aggregate, snark, "a verifier of its own");
    let ranges = IRollupRanges::new(*rollup.address(), provider.clone());
    assert_eq!(ranges.aggregateVerifier().call().await.unwrap(), aggregate);
    assert_eq!(ranges.aggregateBatchProgram().call().await.unwrap(), B256::repeat_byte(0xab));
    assert_eq!(ISnarkVerifier::new(aggregate, provider.clone()).appExeCommit().call().await.unwrap(), exe);

    // Fault injection is a drill for development chains: a sequencer asked to lie here stops instead.
    let mut liar = DevNode::start(&[
        "--l1-rpc",
        &anvil.url,
        "--l1-contracts",
        file.to_str().unwrap(),
        "--l1-private-key",
        &key,
        "--fault-wrong-root-at",
        "1",
    ]);
    let exit = liar.wait_exit(Duration::from_secs(30)).expect("the sequencer stops");
    assert!(!exit.success());
    assert!(liar.logs().contains("fault injection is refused on L1 chain 11155111"), "{}", liar.logs());
}

#[tokio::test(flavor = "multi_thread")]
async fn full_node_and_verifier_rebuild_the_chain_from_anvil_alone() {
    let l1s = L1Setup::deploy().await;
    let (anvil, l1, proposer) = (&l1s.anvil, &l1s.provider, &l1s.proposer);
    let (key, cf) = (l1s.key.as_str(), l1s.contracts_file.as_str());
    let (bridge, rollup) = (l1s.bridge, l1s.rollup);

    let mut seq = DevNode::start(&[
        "--l1-rpc",
        &anvil.url,
        "--l1-contracts",
        cf,
        "--l1-private-key",
        key,
        "--l1-confirmations",
        "0",
        "--block-time",
        "300ms",
        "--batch-max-age",
        "1s",
    ]);
    let rpc = seq.rpc();
    // L2 activity: a deposit, transfers, a contract with storage.
    let depositor = wallet(&anvil.url, &dev_signers()[1]);
    let to = PrivateKeySigner::random().address();
    let l1_bridge = IBridge::new(bridge, depositor);
    l1_bridge.depositETH(to).value(eth(3)).send().await.unwrap().get_receipt().await.unwrap();
    poll_until("deposit on L2", async || (rpc.balance(to).await == eth(3)).then_some(())).await;
    // An L2 transaction forced through L1 (by an L1 account that is not its signer) runs on L2 with its
    // receipt, first in its block; the batches carry it only as an L1 message, and derivation runs it.
    let forced = signed_transfer(&dev_signers()[6], 0, to, U256::from(500));
    let forced_hash = alloy::primitives::keccak256(&forced);
    l1_bridge.enqueueL2Transaction(forced).send().await.unwrap().get_receipt().await.unwrap();
    let receipt = rpc.wait_receipt(forced_hash).await;
    assert_eq!(receipt["status"], "0x1", "{receipt}");
    assert_eq!(receipt["transactionIndex"], "0x0", "{receipt}");
    assert_eq!(addr(&receipt["from"]), dev_signers()[6].address());
    let (token, _) = deploy_token(&seq, &dev_signers()[4]).await;
    for i in 0..3u64 {
        let raw = signed_transfer(&dev_signers()[5], i, to, U256::from(1000 + i));
        let h = rpc.send_raw(&raw).await.expect("transfer accepted");
        rpc.wait_receipt(h).await;
    }
    let last_tx_block = rpc.block_number().await;
    // Wait until L1 holds every block up to there.
    let batch = poll_until("batches cover the activity", async || {
        let s = rpc.ok("mosaic_rollupStatus", json!([])).await;
        let last = s.get("lastBatch")?.clone();
        (last.get("lastBlock")?.as_u64()? >= last_tx_block).then_some(last)
    })
    .await;
    let last_block = batch["lastBlock"].as_u64().unwrap();
    let expected = rpc.block(last_block).await;
    let code = rpc.ok("eth_getCode", json!([token, format!("0x{last_block:x}")])).await;
    seq.kill9();
    // Whatever the producer posted last (empty blocks may follow the activity) is the tip to build on.
    let tip = IRollup::new(rollup, l1.clone()).lastCommittedBatch().call().await.unwrap();

    // A full node on a fresh data dir, knowing only the L1.
    let full = DevNode::start_cmd(
        &["node"],
        &["--role", "full", "--l1-rpc", &anvil.url, "--l1-contracts", cf, "--l1-confirmations", "0"],
    );
    let frpc = full.rpc();
    let index = batch["index"].as_u64().unwrap();
    let derived = wait_batch_status(&frpc, index, "verified").await;
    assert_eq!(derived["computedStateRoot"], batch["claimedStateRoot"], "{derived}");
    let got = frpc.block(last_block).await;
    assert_eq!(got["hash"], expected["hash"], "same block hash as the sequencer");
    assert_eq!(got["stateRoot"], expected["stateRoot"]);
    assert_eq!(frpc.balance(to).await, eth(3) + U256::from(3503u64), "the deposit, the forced and the sent");
    let derived_forced = frpc.ok("eth_getTransactionReceipt", json!([forced_hash])).await;
    assert_eq!(derived_forced["blockHash"], receipt["blockHash"], "the full node ran the forced transaction too");
    assert_eq!(frpc.ok("eth_getCode", json!([token, "latest"])).await, code);
    // It follows the L1 and sequences nothing, so it says so instead of pooling transactions forever.
    let raw = signed_transfer(&dev_signers()[5], 3, to, U256::from(1));
    let refused = frpc.send_raw(&raw).await.expect_err("a full node refuses transactions");
    assert_rpc_error(&refused, -32003, "send them to the sequencer");

    // A challenging verifier on the same L1; then someone posts a batch whose root is a lie, and one of
    // garbage.
    let challenger = dev_signers()[7].clone();
    let challenger_key = format!("0x{}", alloy::primitives::hex::encode(challenger.to_bytes()));
    let mut verifier = DevNode::start_cmd(
        &["node"],
        &[
            "--role",
            "verifier",
            "--l1-rpc",
            &anvil.url,
            "--l1-contracts",
            cf,
            "--l1-confirmations",
            "0",
            "--challenge",
            "--l1-private-key",
            &challenger_key,
        ],
    );
    let vrpc = verifier.rpc();
    let tip_record = wait_batch_status(&vrpc, tip, "verified").await;
    let (index, last_block) = (tip, tip_record["lastBlock"].as_u64().unwrap());
    let expected = vrpc.block(last_block).await;
    let rollup_c = IRollup::new(rollup, wallet(&anvil.url, proposer));
    let bond = U256::from(rollup_c.bondAmount().call().await.unwrap());
    let prev_root = hex_b256(&expected["stateRoot"]);
    let ts = hex_u64(&expected["timestamp"]) + 1;
    let empty_block = mosaic_batch::Batch {
        first_block: last_block + 1,
        beneficiary: Address::ZERO,
        blocks: vec![mosaic_batch::BatchBlock {
            timestamp: ts,
            l1_message_count: 0,
            transactions: vec![],
            senders: vec![],
        }],
    };
    let data: Bytes = mosaic_batch::encode(&empty_block, mosaic_batch::Variant::Signed, CHAIN_ID).into();
    let lie = BatchHeader {
        index: index + 1,
        firstBlock: last_block + 1,
        lastBlock: last_block + 1,
        l1MessageCursor: 2, // the deposit and the forced transaction
        prevStateRoot: prev_root,
        postStateRoot: B256::repeat_byte(0x66),
        withdrawalsRoot: B256::ZERO,
        lastBlockHash: B256::repeat_byte(0x77),
    };
    let lie_receipt = rollup_c.commitBatch(lie, data).value(bond).send().await.unwrap().get_receipt().await.unwrap();
    let garbage = BatchHeader {
        index: index + 2,
        firstBlock: last_block + 2,
        lastBlock: last_block + 2,
        l1MessageCursor: 2, // the deposit and the forced transaction
        prevStateRoot: B256::repeat_byte(0x66),
        postStateRoot: B256::repeat_byte(0x88),
        withdrawalsRoot: B256::ZERO,
        lastBlockHash: B256::repeat_byte(0x99),
    };
    rollup_c
        .commitBatch(garbage, Bytes::from_static(b"\x01not a batch"))
        .value(bond)
        .send()
        .await
        .unwrap()
        .get_receipt()
        .await
        .unwrap();
    let mismatch = wait_batch_status(&vrpc, index + 1, "mismatch").await;
    assert!(mismatch["error"].as_str().unwrap().contains("state root"), "{mismatch}");
    assert_ne!(mismatch["computedStateRoot"], mismatch["claimedStateRoot"]);
    let malformed = wait_batch_status(&vrpc, index + 2, "malformed").await;
    assert!(malformed["error"].as_str().unwrap().contains("undecodable"), "{malformed}");
    let status = vrpc.ok("mosaic_rollupStatus", json!([])).await;
    assert_eq!(status["derivation"]["faults"], json!([index + 1, index + 2]), "{status}");
    assert_eq!(status["derivation"]["haltedAt"], json!(index + 2));
    // The malformed batch was not applied: the chain stops at the last good block.
    assert_eq!(vrpc.block_number().await, last_block + 1);
    let metrics = reqwest::get(format!("{}/metrics", verifier.http_url())).await.unwrap().text().await.unwrap();
    assert!(metrics.contains("mosaic_rollup_batch_faults_total 2"), "{metrics}");

    // The lie was challenged from the challenger's account, at once; the garbage was not (a malformed
    // batch has no journal to prove), nor was any correct batch.
    let game = poll_until("the false batch challenged", async || {
        let s = vrpc.ok("mosaic_rollupStatus", json!([])).await;
        let games = s["challenger"]["games"].as_array()?.clone();
        games.iter().find(|g| g["index"] == json!(index + 1) && g.get("challengeTx").is_some()).cloned()
    })
    .await;
    assert_eq!(game["status"], "challenged", "{game}");
    let on_l1 = IRollup::new(rollup, l1.clone()).challenges(index + 1).call().await.unwrap();
    assert_eq!(on_l1.challenger, challenger.address(), "challenged from the challenger's key");
    assert_eq!(game["deadline"], json!(on_l1.deadline));
    let challenge_tx: B256 = game["challengeTx"].as_str().unwrap().parse().unwrap();
    let challenged_in = l1.get_transaction_receipt(challenge_tx).await.unwrap().unwrap().block_number.expect("mined");
    let committed_in = lie_receipt.block_number.expect("mined");
    eprintln!("bad commit in L1 block {committed_in}, challenge in L1 block {challenged_in} (anvil: 1 s blocks)");
    let status = vrpc.ok("mosaic_rollupStatus", json!([])).await;
    let games = status["challenger"]["games"].as_array().unwrap();
    assert_eq!(games.len(), 1, "one game, about the lie only: {status}");
    let challenged =
        IRollup::new(rollup, l1.clone()).BatchChallenged_filter().from_block(l1s.deployed_at).query().await.unwrap();
    assert_eq!(challenged.len(), 1, "one BatchChallenged event");
    // A restart in the middle of the game picks it up and does not challenge again.
    verifier.restart();
    let vrpc = verifier.rpc();
    poll_until("the game after a restart", async || {
        let s = vrpc.ok("mosaic_rollupStatus", json!([])).await;
        (s["challenger"]["games"][0]["status"] == "challenged").then_some(())
    })
    .await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    let challenged =
        IRollup::new(rollup, l1.clone()).BatchChallenged_filter().from_block(l1s.deployed_at).query().await.unwrap();
    assert_eq!(challenged.len(), 1, "challenged again after a restart");
    let metrics = reqwest::get(format!("{}/metrics", verifier.http_url())).await.unwrap().text().await.unwrap();
    assert!(metrics.contains("mosaic_challenger_games_open 1"), "{metrics}");
}

/// The escape hatch with no operator left: the sequencer dies, a full node rebuilds the chain from L1
/// alone and gives a user the proof of their account at the last finalized batch (`mosaic_getProof`),
/// anyone freezes the Rollup once nothing was finalized for its freeze delay, and the user takes their
/// L2 balance out of the Bridge on L1.
#[tokio::test(flavor = "multi_thread")]
async fn with_every_operator_gone_a_user_escapes_with_a_proof_of_the_finalized_state() {
    const FREEZE_DELAY: u64 = 60;
    let l1s = L1Setup::deploy_with(&[
        "--proof-window",
        "5",
        "--freeze-delay",
        &FREEZE_DELAY.to_string(),
        "--fallback-delay",
        "40",
    ])
    .await;
    let (anvil, l1) = (&l1s.anvil, &l1s.provider);
    let rollup = IEscape::new(l1s.rollup, l1.clone());
    assert_eq!(rollup.freezeDelay().call().await.unwrap(), FREEZE_DELAY);
    let mut seq = sequencer(&l1s, &anvil.url);
    let rpc = seq.rpc();
    let user = PrivateKeySigner::random();
    let depositor = wallet(&anvil.url, &dev_signers()[1]);
    IBridge::new(l1s.bridge, depositor)
        .depositETH(user.address())
        .value(eth(3))
        .send()
        .await
        .unwrap()
        .get_receipt()
        .await
        .unwrap();
    poll_until("deposit on L2", async || (rpc.balance(user.address()).await == eth(3)).then_some(())).await;
    let credited = rpc.block_number().await;
    poll_until("a finalized batch holds the deposit", async || {
        let f = rollup.lastFinalizedBatch().call().await.ok()?;
        let b = IRollup::new(l1s.rollup, l1.clone()).batch(f).call().await.ok()?;
        (b.lastBlock >= credited).then_some(())
    })
    .await;
    // Every operator disappears.
    seq.kill9();
    assert!(rollup.freeze().call().await.is_err(), "not freezable while batches were finalized just now");
    let finalized = rollup.lastFinalizedBatch().call().await.unwrap();
    let at = IRollup::new(l1s.rollup, l1.clone()).batch(finalized).call().await.unwrap();

    // The user's own full node, from L1 data alone, proves the account at the last finalized batch.
    let full = DevNode::start_cmd(
        &["node"],
        &["--role", "full", "--l1-rpc", &anvil.url, "--l1-contracts", &l1s.contracts_file, "--l1-confirmations", "0"],
    );
    let frpc = full.rpc();
    wait_batch_status(&frpc, finalized, "verified").await;
    let proof = frpc.ok("mosaic_getProof", json!([user.address(), [], format!("0x{:x}", at.lastBlock)])).await;
    assert_eq!(hex_b256(&proof["stateRoot"]), at.postStateRoot, "the finalized state: {proof}");
    let account = &proof["account"];
    let balance = hex_u256(&account["balance"]);
    assert_eq!(balance, eth(3));
    let siblings: Vec<B256> = proof["accountProof"]["siblings"].as_array().unwrap().iter().map(hex_b256).collect();

    // Nothing is finalized for the freeze delay: anyone freezes the Rollup.
    let _: Value = l1.raw_request("evm_increaseTime".into(), (FREEZE_DELAY + 1,)).await.unwrap();
    let _: Value = l1.raw_request("evm_mine".into(), ()).await.unwrap();
    let anyone = IEscape::new(l1s.rollup, wallet(&anvil.url, &dev_signers()[3]));
    anyone.freeze().send().await.unwrap().get_receipt().await.unwrap();
    assert!(rollup.frozen().call().await.unwrap());
    assert_eq!(rollup.escapeState().call().await.unwrap().stateRoot, at.postStateRoot);

    // The user (funded on L1 for gas) takes the 3 ETH out.
    let _: Value = l1.raw_request("anvil_setBalance".into(), (user.address(), eth(1))).await.unwrap();
    let bridge = IEscape::new(l1s.bridge, wallet(&anvil.url, &user));
    let escape =
        bridge.escapeETH(hex_u64(&account["nonce"]), balance, hex_b256(&account["codeHash"]), siblings.clone());
    let receipt = escape.send().await.unwrap().get_receipt().await.unwrap();
    assert!(receipt.status());
    let gas = U256::from(receipt.gas_used) * U256::from(receipt.effective_gas_price);
    eprintln!("escapeETH: {} gas, {} siblings", receipt.gas_used, siblings.len());
    assert_eq!(l1.get_balance(user.address()).await.unwrap(), eth(1) + eth(3) - gas, "the finalized balance, on L1");
    assert!(bridge.escaped(user.address(), Address::ZERO).call().await.unwrap());
    assert!(escape.call().await.is_err(), "once per account");
}

/// A chain whose sequencer is gone and whose fallback proposer — a full node with `--fallback-key` —
/// took over: the anvil L1 and contracts, the full node, its poster key, and the index of the batch it
/// waits for a proof of.
struct Takeover {
    l1s: L1Setup,
    _seq: DevNode,
    full: DevNode,
    index: u64,
}

/// The sequencer stops, and once the Rollup's fallback delay has passed on L1 a full node started with
/// `--fallback-key` takes over from the chain it derived: it includes a deposit made after the sequencer
/// died, takes transactions it refused while deriving, finalizes the sequencer's batches, and prepares
/// its own batch, which it posts only with a proof of its journal (the Rollup refuses it without).
async fn fallback_takeover() -> Takeover {
    let l1s = L1Setup::deploy_with(&[]).await;
    let (anvil, l1) = (&l1s.anvil, &l1s.provider);
    let fallback = IFallback::new(l1s.rollup, l1.clone());
    let delay = fallback.fallbackDelay().call().await.unwrap();
    assert_eq!(delay, 24 * 3600, "the default fallback delay");
    let mut seq = sequencer(&l1s, &anvil.url);
    let rpc = seq.rpc();
    let alice = dev_signers()[0].clone();
    let before = transfers(&rpc, &alice, 2).await;
    let rollup = IRollup::new(l1s.rollup, l1.clone());
    let last = wait_l1_covers(&rollup, before).await;

    // A full node that may take over, from an account that is no proposer.
    let poster = PrivateKeySigner::random();
    let _: Value = l1.raw_request("anvil_setBalance".into(), (poster.address(), eth(10))).await.unwrap();
    let key = format!("0x{}", alloy::hex::encode(poster.to_bytes()));
    // It queues the proofs of its batches for a prover fleet (no workers here: proving takes ≈ 50 min).
    let full =
        DevNode::fallback_node(&anvil.url, &l1s.contracts_file, &key, &["--fallback-prove", "--prover-workers", "0"]);
    let frpc = full.rpc();
    wait_batch_status(&frpc, last, "verified").await;
    let raw = signed_transfer(&alice, rpc.nonce(alice.address(), "pending").await, random_address(), U256::from(5));
    assert!(frpc.send_raw(&raw).await.is_err(), "a deriving node refuses transactions");
    let status = frpc.ok("mosaic_rollupStatus", json!([])).await;
    assert_eq!(status["fallback"]["poster"], json!(poster.address()), "{status}");
    assert_eq!(status["fallback"]["sequencing"], json!(false), "{status}");

    // The sequencer dies; a user deposits anyway.
    seq.kill9();
    let user = PrivateKeySigner::random();
    let depositor = wallet(&anvil.url, &dev_signers()[1]);
    let bridge = IBridge::new(l1s.bridge, depositor);
    bridge.depositETH(user.address()).value(eth(2)).send().await.unwrap().get_receipt().await.unwrap();
    assert!(!fallback.fallbackOpen().call().await.unwrap(), "closed while the sequencer's last batch is fresh");

    // A day later on L1 nobody has committed: the full node takes over.
    let _: Value = l1.raw_request("evm_increaseTime".into(), (delay + 1,)).await.unwrap();
    let _: Value = l1.raw_request("evm_mine".into(), ()).await.unwrap();
    assert!(fallback.fallbackOpen().call().await.unwrap());
    poll_until("the full node sequences", async || {
        let s = frpc.ok("mosaic_rollupStatus", json!([])).await;
        (s["fallback"]["sequencing"] == json!(true)).then_some(())
    })
    .await;
    let h = frpc.send_raw(&raw).await.expect("the fallback takes transactions");
    let mined = hex_u64(&frpc.wait_receipt(h).await["blockNumber"]);
    poll_until("the deposit on L2", async || (frpc.balance(user.address()).await == eth(2)).then_some(())).await;

    // It prepares the batch and posts it only with a proof of its journal: the Rollup takes nothing less
    // from an account that is no proposer (its data might be undecodable, which no fraud proof shows).
    let awaiting = poll_until("the fallback's batch prepared", async || {
        let s = frpc.ok("mosaic_rollupStatus", json!([])).await;
        let a = s["fallback"]["awaiting"].clone();
        (a.is_object() && a["lastBlock"].as_u64()? >= mined).then_some(a)
    })
    .await;
    let index = awaiting["index"].as_u64().unwrap();
    assert_eq!(index, last + 1, "{awaiting}");
    assert!(awaiting["location"].as_str().unwrap().ends_with(".snark"), "{awaiting}");
    let first = rollup.batch(last).call().await.unwrap().lastBlock + 1;
    let header = BatchHeader {
        index,
        firstBlock: first,
        lastBlock: first,
        l1MessageCursor: 0,
        prevStateRoot: B256::ZERO,
        postStateRoot: B256::ZERO,
        withdrawalsRoot: B256::ZERO,
        lastBlockHash: B256::ZERO,
    };
    let as_poster = IRollup::new(l1s.rollup, wallet(&anvil.url, &poster));
    let unproven = as_poster.commitBatch(header, Bytes::from_static(&[1])).value(eth(1) / U256::from(10));
    let Err(refused) = unproven.call().await else { panic!("an unproven fallback commit") };
    assert!(refused.to_string().contains("revert"), "{refused}");
    assert_eq!(rollup.lastCommittedBatch().call().await.unwrap(), last, "nothing posted without its proof");
    // The sequencer's batches before it finalize by their window: the fallback node finalizes them.
    poll_until("the sequencer's batches finalized", async || {
        (fallback.lastFinalizedBatch().call().await.ok()? == last).then_some(())
    })
    .await;
    assert!(fallback.fallbackOpen().call().await.unwrap(), "open until a proposer commits");
    // Its prover queued the batch's STARK and wrap: re-executing the batch from the node's blocks states
    // the very journal the producer computed from L1 (else the prover reports the mismatch).
    poll_until("the fallback's proof queued", async || full.logs().contains("fallback prover").then_some(())).await;
    let logs = full.logs();
    assert!(logs.contains("Proving") && !logs.contains("Failed"), "{logs}");
    eprintln!(
        "fallback: batch {index} (blocks {}..={}) awaits its proof, journal {}",
        awaiting["firstBlock"], awaiting["lastBlock"], awaiting["journalHash"]
    );
    Takeover { l1s, _seq: seq, full, index }
}

/// With the sequencer gone a full node with a fallback key takes over (`fallback_takeover`); when a
/// proposer commits again the fallback closes and the node stops with that reason (the blocks it would
/// build next are not the chain's).
#[tokio::test(flavor = "multi_thread")]
async fn with_the_sequencer_gone_a_full_node_with_a_fallback_key_takes_over() {
    let Takeover { l1s, _seq, mut full, index } = fallback_takeover().await;
    let (anvil, l1) = (&l1s.anvil, &l1s.provider);
    let (rollup, fallback) = (IRollup::new(l1s.rollup, l1.clone()), IFallback::new(l1s.rollup, l1.clone()));
    let top_index = rollup.lastCommittedBatch().call().await.unwrap();
    assert_eq!(top_index + 1, index, "the proposer takes the index the fallback waited to post");
    let top = rollup.batch(top_index).call().await.unwrap();
    let header = BatchHeader {
        index: top_index + 1,
        firstBlock: top.lastBlock + 1,
        lastBlock: top.lastBlock + 1,
        // It must include the deposit made after the sequencer died (overdue by now).
        l1MessageCursor: top.l1MessageCursor + 1,
        prevStateRoot: top.postStateRoot,
        postStateRoot: B256::repeat_byte(7),
        withdrawalsRoot: B256::ZERO,
        lastBlockHash: B256::repeat_byte(8),
    };
    let proposer = IRollup::new(l1s.rollup, wallet(&anvil.url, &l1s.proposer));
    let bond = U256::from(proposer.bondAmount().call().await.unwrap());
    let commit = proposer.commitBatch(header, Bytes::from_static(&[1])).value(bond);
    commit.send().await.unwrap().get_receipt().await.unwrap();
    assert!(!fallback.fallbackOpen().call().await.unwrap(), "a proposer committed");
    let status = full.wait_exit(TIMEOUT).unwrap_or_else(|| panic!("the fallback kept running:\n{}", full.logs()));
    assert!(!status.success(), "exit status {status}");
    assert!(full.logs().contains("fallback closed at batch"), "{}", full.logs());
}

/// A sequencer posting to `l1_url` (anvil or a proxy in front of it) with the contracts of `l1s`.
fn sequencer(l1s: &L1Setup, l1_url: &str) -> DevNode {
    DevNode::start(&[
        "--l1-rpc",
        l1_url,
        "--l1-contracts",
        &l1s.contracts_file,
        "--l1-private-key",
        &l1s.key,
        "--l1-confirmations",
        "0",
        "--block-time",
        "300ms",
        "--batch-max-age",
        "1s",
    ])
}

/// Sends `n` transfers from `from` (starting at its current nonce) and returns the block of the last one.
async fn transfers(rpc: &Rpc, from: &PrivateKeySigner, n: u64) -> u64 {
    let start = rpc.nonce(from.address(), "pending").await;
    let mut last = 0;
    for nonce in start..start + n {
        let raw = signed_transfer(from, nonce, random_address(), U256::from(1000 + nonce));
        let h = rpc.send_raw(&raw).await.expect("transfer accepted");
        last = hex_u64(&rpc.wait_receipt(h).await["blockNumber"]);
    }
    last
}

/// Waits until the L1 holds batches up to L2 block `block`; returns the last committed index.
async fn wait_l1_covers(rollup: &IRollup::IRollupInstance<DynProvider>, block: u64) -> u64 {
    poll_until(&format!("L1 batches cover L2 block {block}"), async || {
        let last = rollup.lastCommittedBatch().call().await.ok()?;
        (rollup.batch(last).call().await.ok()?.lastBlock >= block).then_some(last)
    })
    .await
}

/// Scans the canonical L1 chain: every `commitBatch` the proposer sent succeeded, indices 1..=last
/// appear exactly once, the batches are contiguous, and each ends on the sequencer's own block hash.
/// Returns, per batch index, its last L2 block and the L1 block that holds its commit.
async fn assert_each_batch_once(l1s: &L1Setup, seq: &Rpc) -> Vec<(u64, u64)> {
    use alloy::{consensus::Transaction as _, network::TransactionResponse as _};
    let head = l1s.provider.get_block_number().await.unwrap();
    let mut commits = Vec::new();
    for n in l1s.deployed_at..=head {
        let block = l1s.provider.get_block_by_number(n.into()).full().await.unwrap().expect("L1 block");
        for tx in block.transactions.txns() {
            let input = tx.input();
            if tx.to() != Some(l1s.rollup) || !input.starts_with(&IRollup::commitBatchCall::SELECTOR) {
                continue;
            }
            let receipt = l1s.provider.get_transaction_receipt(tx.tx_hash()).await.unwrap().expect("receipt");
            assert!(receipt.status(), "commit {} in L1 block {n} reverted: posted twice?", tx.tx_hash());
            assert_eq!(tx.from(), l1s.proposer.address());
            let call = IRollup::commitBatchCall::abi_decode(input).expect("commitBatch calldata");
            commits.push((call.header, n));
        }
    }
    let rollup = IRollup::new(l1s.rollup, l1s.provider.clone());
    let last = rollup.lastCommittedBatch().call().await.unwrap();
    assert_eq!(commits.len() as u64, last, "one commit per batch on the canonical L1");
    let mut next_block = 1;
    for (i, (header, _)) in commits.iter().enumerate() {
        assert_eq!(header.index, i as u64 + 1, "batches in index order, each once");
        assert_eq!(header.firstBlock, next_block, "batch {} leaves no gap", header.index);
        let block = seq.block(header.lastBlock).await;
        assert_eq!(hex_b256(&block["hash"]), header.lastBlockHash, "batch {} ends on the L2 block", header.index);
        assert_eq!(hex_b256(&block["stateRoot"]), header.postStateRoot);
        next_block = header.lastBlock + 1;
    }
    commits.into_iter().map(|(h, n)| (h.lastBlock, n)).collect()
}

/// Waits until the node's batch records (what `mosaic_getBatch` and withdrawal proofs read) name the
/// canonical L1 commit of every batch, including commits whose confirmation an outage or a reorg hid.
async fn wait_records_match(rpc: &Rpc, commits: &[(u64, u64)]) {
    for (i, &(_, l1_block)) in commits.iter().enumerate() {
        let index = i + 1;
        poll_until(&format!("record of batch {index} at L1 block {l1_block}"), async || {
            let r = rpc.ok("mosaic_getBatch", json!([format!("0x{index:x}")])).await;
            (r.get("l1Block").and_then(Value::as_u64) == Some(l1_block)).then_some(())
        })
        .await;
    }
}

/// A TCP proxy in front of the L1 that a test can cut (dropping open connections and refusing new ones)
/// and restore.
struct Proxy {
    url: String,
    up: Arc<AtomicBool>,
    conns: Arc<Mutex<Vec<tokio::task::AbortHandle>>>,
    accept: tokio::task::JoinHandle<()>,
}

impl Proxy {
    async fn start(target: &str) -> Self {
        let target = target.strip_prefix("http://").expect("http URL").to_string();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let up = Arc::new(AtomicBool::new(true));
        let conns = Arc::new(Mutex::new(Vec::new()));
        let (up2, conns2) = (up.clone(), conns.clone());
        let accept = tokio::spawn(async move {
            while let Ok((mut inbound, _)) = listener.accept().await {
                if !up2.load(Ordering::SeqCst) {
                    continue; // dropped: the client sees the connection close
                }
                let target = target.clone();
                let pipe = tokio::spawn(async move {
                    if let Ok(mut out) = tokio::net::TcpStream::connect(&target).await {
                        let _ = tokio::io::copy_bidirectional(&mut inbound, &mut out).await;
                    }
                });
                conns2.lock().unwrap().push(pipe.abort_handle());
            }
        });
        Self { url, up, conns, accept }
    }

    fn cut(&self) {
        self.up.store(false, Ordering::SeqCst);
        for c in self.conns.lock().unwrap().drain(..) {
            c.abort();
        }
    }

    fn restore(&self) {
        self.up.store(true, Ordering::SeqCst);
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.accept.abort();
        self.cut();
    }
}

async fn metric(node: &DevNode, name: &str) -> u64 {
    let text = reqwest::get(format!("{}/metrics", node.http_url())).await.unwrap().text().await.unwrap();
    text.lines()
        .find_map(|l| l.strip_prefix(name)?.strip_prefix(' ')?.trim().parse().ok())
        .unwrap_or_else(|| panic!("metric {name} missing:\n{text}"))
}

#[tokio::test(flavor = "multi_thread")]
async fn producer_and_deposit_watcher_ride_out_an_l1_outage() {
    let l1s = L1Setup::deploy().await;
    let proxy = Proxy::start(&l1s.anvil.url).await;
    let mut seq = sequencer(&l1s, &proxy.url);
    let rpc = seq.rpc();
    let rollup = IRollup::new(l1s.rollup, l1s.provider.clone());
    let before = transfers(&rpc, &dev_signers()[5], 2).await;
    wait_l1_covers(&rollup, before).await;

    // The L1 goes away. The L2 keeps taking transactions; a deposit lands on the L1 meanwhile.
    proxy.cut();
    let errors_before = metric(&seq, "mosaic_rollup_l1_errors_total").await;
    let during = transfers(&rpc, &dev_signers()[5], 3).await;
    let to = PrivateKeySigner::random().address();
    let depositor = wallet(&l1s.anvil.url, &dev_signers()[1]);
    IBridge::new(l1s.bridge, depositor).depositETH(to).value(eth(2)).send().await.unwrap().get_receipt().await.unwrap();
    poll_until("the producer notices the outage", async || {
        (metric(&seq, "mosaic_rollup_l1_errors_total").await > errors_before).then_some(())
    })
    .await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(rpc.balance(to).await, U256::ZERO, "no deposit can arrive while the L1 is unreachable");
    assert!(seq.is_running(), "the node stays up");
    let committed_in_outage = rollup.lastCommittedBatch().call().await.unwrap();
    assert!(rollup.batch(committed_in_outage).call().await.unwrap().lastBlock < during, "nothing posted meanwhile");

    // Back: the deposit is credited and every block reaches the L1, each exactly once, none skipped.
    proxy.restore();
    poll_until("deposit credited after the outage", async || (rpc.balance(to).await == eth(2)).then_some(())).await;
    let after = transfers(&rpc, &dev_signers()[5], 1).await;
    wait_l1_covers(&rollup, after).await;
    let commits = assert_each_batch_once(&l1s, &rpc).await;
    wait_records_match(&rpc, &commits).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn producer_reposts_a_batch_dropped_by_an_l1_reorg() {
    let l1s = L1Setup::deploy().await;
    let seq = sequencer(&l1s, &l1s.anvil.url);
    let rpc = seq.rpc();
    let rollup = IRollup::new(l1s.rollup, l1s.provider.clone());
    let block = transfers(&rpc, &dev_signers()[6], 2).await;
    let index = wait_l1_covers(&rollup, block).await;
    // The producer records a batch once the L1 confirms it (committed, then finalized after 2 s).
    let record = poll_until("batch record", async || {
        let r = rpc.ok("mosaic_getBatch", json!([format!("0x{index:x}")])).await;
        r.get("l1Block").is_some().then_some(r)
    })
    .await;
    let commit_block = record["l1Block"].as_u64().expect("l1Block");

    // Reorg the L1 from below the commit (one block of margin for anvil's clock): the replacement
    // blocks are empty, so the commit is gone from the canonical chain.
    let head = l1s.provider.get_block_number().await.unwrap();
    let depth = head - commit_block + 2;
    assert!(commit_block > l1s.deployed_at + 1, "the reorg must keep the deployment");
    let _: Value = l1s.provider.raw_request("anvil_reorg".into(), (depth, Vec::<Value>::new())).await.unwrap();
    let after_reorg = l1s.provider.get_block_number().await.unwrap();
    assert!(after_reorg >= head);

    // The producer notices that the L1 lacks those blocks and posts them again, on the new chain (as
    // part of whatever batch it closes next; more activity makes sure one closes soon).
    let more = transfers(&rpc, &dev_signers()[6], 1).await;
    wait_l1_covers(&rollup, more).await;
    let commits = assert_each_batch_once(&l1s, &rpc).await;
    let (_, reposted_in) = commits.iter().find(|(last, _)| *last >= block).expect("a batch covers the transfers");
    assert!(*reposted_in > after_reorg, "the transfers' batch now lives on the new chain");
    wait_records_match(&rpc, &commits).await;
}

/// A service that stops takes the node down with it, loudly. A second, fresh sequencer started on the
/// first one's contracts has the same genesis but none of its blocks: its producer finds that the local
/// chain diverges from what L1 holds and stops (posting would burn bonds), and the supervisor ends the
/// process with a non-zero exit and the cause in its log instead of serving on without a producer.
#[tokio::test]
async fn a_service_that_stops_stops_the_node() {
    let l1s = L1Setup::deploy().await;
    let first = sequencer(&l1s, &l1s.anvil.url);
    let rollup = IRollup::new(l1s.rollup, l1s.provider.clone());
    let block = transfers(&first.rpc(), &dev_signers()[7], 1).await;
    wait_l1_covers(&rollup, block).await;
    drop(first);

    let mut second = sequencer(&l1s, &l1s.anvil.url);
    let status = second.wait_exit(TIMEOUT).unwrap_or_else(|| panic!("the node kept running:\n{}", second.logs()));
    assert!(!status.success(), "exit status {status}");
    let logs = second.logs();
    assert!(
        logs.contains("service `batch producer` stopped") && logs.contains("local chain diverges from L1"),
        "{logs}"
    );
}
