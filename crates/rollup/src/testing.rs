//! Helpers for tests that settle on a real L1 (`test-utils` feature): an anvil process, batch 1 of the
//! sample chain that the committed SNARK fixture proves (`contracts/test/snark/batch.json`), and
//! batches 1 and 2 that the committed aggregate SNARK proves (`contracts/test/snark/range.json`).
use crate::{contracts::Rollup, deploy, DeployParams, HybridTerms, L1Client, L1Contracts, Mode, ProofVerifier};
use alloy_primitives::Address;
use alloy_primitives::{Bytes, B256};
use serde_json::Value;
use std::{
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
};

/// The repository root.
pub fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Anvil's dev accounts 0–2 (its default mnemonic).
pub const ANVIL_KEYS: [&str; 3] = [
    "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80",
    "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d",
    "0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a",
];

/// An anvil process (1 s blocks) on a free port, killed on drop; `url` is its JSON-RPC endpoint.
pub struct Anvil {
    child: Child,
    /// Its JSON-RPC endpoint.
    pub url: String,
}

impl Anvil {
    /// Installs the project's tools if needed (`scripts/setup-tools.sh`) and starts anvil.
    pub fn start() -> Self {
        Self::start_with(&[])
    }

    /// [`Anvil::start`] with extra anvil flags (e.g. `--chain-id`).
    pub fn start_with(args: &[&str]) -> Self {
        let status = Command::new(repo().join("scripts/setup-tools.sh")).status().expect("run setup-tools.sh");
        assert!(status.success(), "setup-tools.sh failed");
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let child = Command::new(repo().join(".tools/node_modules/.bin/anvil"))
            .args(["--port", &port.to_string(), "--block-time", "1", "--silent"])
            .args(args)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn anvil");
        Self { child, url: format!("http://127.0.0.1:{port}") }
    }
}

impl Drop for Anvil {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A JSON file of the repository.
pub fn json(path: &str) -> Value {
    serde_json::from_slice(&std::fs::read(repo().join(path)).expect(path)).expect(path)
}

/// A JSON string as a hash.
pub fn b256(v: &Value) -> B256 {
    v.as_str().expect("a hex string").parse().expect("a 32-byte hash")
}

/// Batch 1 of the sample chain as the SNARK fixture proves it (chain, genesis, data, outputs).
pub fn fixture_batch() -> Value {
    json("contracts/test/snark/batch.json")
}

/// Its data (the calldata of its commit).
pub fn fixture_data(batch: &Value) -> Bytes {
    batch["data"].as_str().expect("data").parse().expect("hex data")
}

/// Its header with its true roots.
pub fn fixture_header(batch: &Value) -> Rollup::BatchHeader {
    Rollup::BatchHeader {
        index: 1,
        firstBlock: 1,
        lastBlock: batch["lastBlock"].as_u64().expect("lastBlock"),
        l1MessageCursor: 0,
        prevStateRoot: b256(&batch["genesisStateRoot"]),
        postStateRoot: b256(&batch["postStateRoot"]),
        withdrawalsRoot: b256(&batch["withdrawalsRoot"]),
        lastBlockHash: b256(&batch["lastBlockHash"]),
    }
}

/// The proof verifier of the committed SNARK keys (what `deploy` deploys by default).
pub fn fixture_verifier() -> ProofVerifier {
    let vk = json("crates/snark/fixtures/batch.vk.json");
    let halo2 = json("contracts/artifacts/Halo2Verifier.json");
    ProofVerifier {
        halo2_bytecode: halo2["bytecode"].as_str().expect("bytecode").parse().expect("hex bytecode"),
        app_exe_commit: b256(&vk["app_exe_commit"]),
        app_vm_commit: b256(&vk["app_vm_commit"]),
        dev_srs: vk["dev_srs"].as_bool().expect("dev_srs"),
    }
}

/// The committed SNARK of the fixture batch's journal.
pub fn fixture_snark_path() -> PathBuf {
    repo().join("crates/snark/fixtures/batch-1.snark")
}

/// Batches 1 and 2 of the two-block sample chain as the aggregate SNARK fixture proves them (batch 1
/// is [`fixture_batch`]'s).
pub fn range_batches() -> Vec<Value> {
    json("contracts/test/snark/range.json")["batches"].as_array().expect("batches").clone()
}

/// A batch of [`range_batches`]: its header with its true roots, and its data.
pub fn range_batch(batch: &Value) -> (Rollup::BatchHeader, Bytes) {
    let header = Rollup::BatchHeader {
        index: batch["index"].as_u64().expect("index"),
        firstBlock: batch["firstBlock"].as_u64().expect("firstBlock"),
        lastBlock: batch["lastBlock"].as_u64().expect("lastBlock"),
        l1MessageCursor: 0,
        prevStateRoot: b256(&batch["prevStateRoot"]),
        postStateRoot: b256(&batch["postStateRoot"]),
        withdrawalsRoot: b256(&batch["withdrawalsRoot"]),
        lastBlockHash: b256(&batch["lastBlockHash"]),
    };
    (header, fixture_data(batch))
}

/// The aggregate verifier of the committed aggregation-program keys and the batch program they
/// aggregate (what `DeployParams::aggregate_verifier` takes).
pub fn aggregate_fixture_verifier() -> (ProofVerifier, B256) {
    let vk = json("crates/snark/fixtures/aggregate.vk.json");
    let halo2 = json("contracts/artifacts/AggregateHalo2Verifier.json");
    let fixture = json("contracts/test/snark/aggregate-fixture.json");
    let verifier = ProofVerifier {
        halo2_bytecode: halo2["bytecode"].as_str().expect("bytecode").parse().expect("hex bytecode"),
        app_exe_commit: b256(&vk["app_exe_commit"]),
        app_vm_commit: b256(&vk["app_vm_commit"]),
        dev_srs: vk["dev_srs"].as_bool().expect("dev_srs"),
    };
    (verifier, b256(&fixture["batchProgram"]))
}

/// The committed aggregate SNARK of batches 1 and 2.
pub fn aggregate_snark_path() -> PathBuf {
    repo().join("crates/snark/fixtures/aggregate-1-2.snark")
}

/// Deploys, from `l1`'s account, the Rollup of the fixture's chain (its genesis and consensus parameters)
/// in `mode` with `terms`, the committed keys' SNARK verifier and `proposer` allowed to commit.
pub async fn deploy_fixture_rollup(l1: &L1Client, mode: Mode, terms: HybridTerms, proposer: Address) -> L1Contracts {
    let batch = fixture_batch();
    let params = DeployParams {
        mode,
        l2_chain_id: batch["chainId"].as_u64().expect("chainId"),
        l2_config_hash: b256(&batch["configHash"]),
        genesis: (b256(&batch["genesisStateRoot"]), b256(&batch["genesisBlockHash"])),
        terms,
        inclusion_deadline: 3600,
        proposers: vec![proposer],
        attesters: (vec![l1.address()], 1),
        producers: (vec![], 0),
        members: vec![],
        proof_verifier: Some(fixture_verifier()),
        insecure_dev_srs: false,
        allow_unsafe_terms: false,
        aggregate_verifier: None,
    };
    deploy(l1, &params).await.expect("deploy the fixture's Rollup")
}

/// A fresh node of the sample chain the fixture's batches belong to (`mosaic_prover::sample`): default
/// chain parameters, key 1 funded with 10 ETH, no predeploys.
pub fn sample_node(dir: &Path) -> mosaic_node::Node {
    let key = alloy_signer_local::PrivateKeySigner::from_bytes(&B256::with_last_byte(1)).expect("key 1");
    let ten_eth = alloy_primitives::U256::from(10u64)
        * alloy_primitives::U256::from(10u64).pow(alloy_primitives::U256::from(18u64));
    mosaic_node::Node::open(mosaic_node::NodeConfig {
        chain: mosaic_primitives::ChainConfig::default(),
        data_dir: dir.to_path_buf(),
        block_time: std::time::Duration::ZERO,
        fee_recipient: Address::repeat_byte(0xfe),
        pool: Default::default(),
        genesis_alloc: vec![(key.address(), ten_eth)],
        max_tx_size: mosaic_node::DEFAULT_MAX_TX_SIZE,
        allow_unprotected_txs: false,
        predeploys: vec![],
        genesis_accounts: Vec::new(),
    })
    .expect("open the sample chain")
}
