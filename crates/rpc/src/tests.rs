//! The handlers in process: a real node on a temp dir and the `eth_` module called directly through
//! jsonrpsee (no server, no port), as a wallet's requests would reach it.
use crate::{
    error::{INVALID_PARAMS, RESOURCE_NOT_FOUND, SERVER_ERROR, TRANSACTION_REJECTED},
    eth::{module, EthApi},
};
use alloy_eips::eip2718::Encodable2718;
use alloy_primitives::{Address, Bytes, B256, U256, U64};
use alloy_signer_local::PrivateKeySigner;
use jsonrpsee::{core::server::MethodsError, RpcModule};
use mosaic_node::{dev, Node, NodeConfig};
use mosaic_primitives::ChainConfig;
use serde_json::{json, Value};
use std::{
    sync::{
        atomic::{AtomicBool, Ordering},
        Arc,
    },
    time::Duration,
};

struct TestNode {
    _dir: tempfile::TempDir,
    node: Node,
    rpc: RpcModule<EthApi>,
}

fn start(refuse: Option<&str>) -> TestNode {
    start_lifted(refuse, None)
}

fn start_lifted(refuse: Option<&str>, refusal_lifted: Option<Arc<AtomicBool>>) -> TestNode {
    let dir = tempfile::tempdir().unwrap();
    let signers = dev::dev_signers(2);
    let node = Node::open(NodeConfig {
        chain: ChainConfig::default(),
        data_dir: dir.path().to_path_buf(),
        block_time: Duration::ZERO,
        fee_recipient: Address::ZERO,
        pool: Default::default(),
        genesis_alloc: signers.iter().map(|s| (s.address(), dev::dev_balance())).collect(),
        max_tx_size: 128 * 1024,
        allow_unprotected_txs: false,
        predeploys: Vec::new(),
        genesis_accounts: Vec::new(),
    })
    .unwrap();
    let api = EthApi {
        node: node.clone(),
        accounts: signers.iter().map(|s| s.address()).collect(),
        signers: signers.iter().map(|s| (s.address(), s.clone())).collect(),
        refuse_transactions: refuse.map(str::to_string),
        refusal_lifted,
        filters: Default::default(),
    };
    TestNode { _dir: dir, node, rpc: module(api) }
}

impl TestNode {
    async fn ok(&self, method: &str, params: Value) -> Value {
        self.rpc.call(method, list(params)).await.unwrap_or_else(|e| panic!("{method}: {e}"))
    }

    async fn err(&self, method: &str, params: Value) -> (i32, String) {
        match self.rpc.call::<_, Value>(method, list(params)).await {
            Err(MethodsError::JsonRpc(e)) => (e.code(), e.message().to_string()),
            other => panic!("{method}: wanted a JSON-RPC error, got {other:?}"),
        }
    }

    async fn seal(&self) {
        self.node.blocking(|n| n.build_block(None, false)).await.unwrap().unwrap();
    }
}

/// Positional parameters as jsonrpsee takes them.
fn list(params: Value) -> Vec<Value> {
    params.as_array().cloned().unwrap_or_default()
}

fn transfer(signer: &PrivateKeySigner, nonce: u64, to: Address) -> Bytes {
    dev::signed_transfer(signer, ChainConfig::default().chain_id, nonce, to, U256::from(7)).encoded_2718().into()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chain_queries_answer_in_the_standard_shape() {
    let t = start(None);
    let alice = dev::dev_signers(1).remove(0).address();
    assert_eq!(t.ok("eth_chainId", json!([])).await, json!(format!("{:#x}", ChainConfig::default().chain_id)));
    assert_eq!(t.ok("eth_blockNumber", json!([])).await, json!("0x0"));
    let balance: U256 = serde_json::from_value(t.ok("eth_getBalance", json!([alice, "latest"])).await).unwrap();
    assert_eq!(balance, dev::dev_balance());
    assert_eq!(t.ok("eth_accounts", json!([])).await.as_array().unwrap().len(), 2);
    let genesis = t.ok("eth_getBlockByNumber", json!(["0x0", false])).await;
    assert_eq!(genesis["number"], json!("0x0"));
    assert_eq!(t.ok("eth_getBlockByHash", json!([genesis["hash"], false])).await["hash"], genesis["hash"]);
    assert!(t.ok("eth_getBlockByNumber", json!(["0x9", false])).await.is_null(), "a future block is null");
    assert_eq!(t.err("eth_getBalance", json!([alice, "0x9"])).await.0, RESOURCE_NOT_FOUND);
    assert_eq!(t.err("eth_getBalance", json!(["0x1234", "latest"])).await.0, INVALID_PARAMS);
    assert!(t.ok("eth_getTransactionByHash", json!([B256::ZERO])).await.is_null());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn eth_config_describes_osaka_from_genesis_without_blobs_or_system_contracts() {
    let t = start(None);
    let config = t.ok("eth_config", json!([])).await;
    let current = &config["current"];
    assert_eq!(current["activationTime"], json!(0));
    assert_eq!(current["chainId"], json!(format!("{:#x}", ChainConfig::default().chain_id)));
    assert_eq!((config["next"].clone(), config["last"].clone()), (Value::Null, Value::Null));
    assert_eq!(current["blobSchedule"]["max"], json!(0));
    assert_eq!(current["systemContracts"], json!({}));
    assert_eq!(current["precompiles"]["ECREC"], json!("0x0000000000000000000000000000000000000001"));
    assert_eq!(current["precompiles"]["P256VERIFY"], json!("0x0000000000000000000000000000000000000100"));
    assert_eq!(current["precompiles"].as_object().unwrap().len(), 18, "Osaka's precompiles: {current}");
    // EIP-6122: nothing scheduled after genesis, so the fork hash is CRC32(genesis hash).
    let genesis: B256 =
        serde_json::from_value(t.ok("eth_getBlockByNumber", json!(["0x0", false])).await["hash"].clone()).unwrap();
    let crc = alloy_eips::eip2124::ForkHash::from(genesis);
    assert_eq!(current["forkId"], json!(format!("0x{}", alloy_primitives::hex::encode(crc.0))));
    // The same function gives mainnet's genesis fork hash (EIP-2124's first test vector).
    let mainnet = alloy_primitives::b256!("d4e56740f876aef8c010b86a40d5f56745a118d0906a34e69aec8c0db1cb8fa3");
    assert_eq!(alloy_eips::eip2124::ForkHash::from(mainnet).0, [0xfc, 0x64, 0xec, 0x04]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_transaction_goes_from_submission_to_receipt() {
    let t = start(None);
    let alice = dev::dev_signers(1).remove(0);
    let to = Address::repeat_byte(0xd0);
    let gas: U64 = serde_json::from_value(
        t.ok("eth_estimateGas", json!([{ "from": alice.address(), "to": to, "value": "0x7" }])).await,
    )
    .unwrap();
    // The search stops within 1 % above the least gas that succeeds.
    assert!((21_000..=21_210).contains(&gas.to::<u64>()), "estimate {gas}");
    let hash: B256 =
        serde_json::from_value(t.ok("eth_sendRawTransaction", json!([transfer(&alice, 0, to)])).await).unwrap();
    let pending = t.ok("eth_getTransactionByHash", json!([hash])).await;
    assert!(pending["blockNumber"].is_null(), "pending until sealed: {pending}");
    assert_eq!(t.ok("eth_getTransactionCount", json!([alice.address(), "pending"])).await, json!("0x1"));
    t.seal().await;
    let receipt = t.ok("eth_getTransactionReceipt", json!([hash])).await;
    assert_eq!((receipt["status"].clone(), receipt["blockNumber"].clone()), (json!("0x1"), json!("0x1")));
    assert_eq!(receipt["gasUsed"], json!("0x5208"));
    assert_eq!(t.ok("eth_getBalance", json!([to, "latest"])).await, json!("0x7"));
    assert_eq!(t.ok("eth_getBalance", json!([to, "0x0"])).await, json!("0x0"), "history stays readable");
    // The same transaction again is refused with geth's message.
    let (code, message) = t.err("eth_sendRawTransaction", json!([transfer(&alice, 0, to)])).await;
    assert_eq!(code, SERVER_ERROR);
    assert!(message.contains("nonce too low"), "{message}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unlocked_account_sends_without_gas_or_nonce() {
    let t = start(None);
    let alice = dev::dev_signers(1).remove(0).address();
    let req = json!([{ "from": alice, "to": Address::repeat_byte(0xd1), "value": "0x1" }]);
    let hash: B256 = serde_json::from_value(t.ok("eth_sendTransaction", req).await).unwrap();
    t.seal().await;
    let tx = t.ok("eth_getTransactionByHash", json!([hash])).await;
    assert_eq!(tx["nonce"], json!("0x0"));
    let gas: U64 = serde_json::from_value(tx["gas"].clone()).unwrap();
    assert!((21_000..=21_210).contains(&gas.to::<u64>()), "gas filled in from the estimate: {gas}");
    let stranger = Address::repeat_byte(0x77);
    let (code, message) = t.err("eth_sendTransaction", json!([{ "from": stranger, "to": alice }])).await;
    assert_eq!(code, SERVER_ERROR);
    assert!(message.contains("unknown account"), "{message}");
    let number: U64 = serde_json::from_value(t.ok("eth_blockNumber", json!([])).await).unwrap();
    assert_eq!(number, U64::from(1));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_that_derives_refuses_transactions_up_front() {
    let t = start(Some("this is a full node"));
    let alice = dev::dev_signers(1).remove(0);
    let (code, message) = t.err("eth_sendRawTransaction", json!([transfer(&alice, 0, Address::repeat_byte(1))])).await;
    assert_eq!((code, message.as_str()), (TRANSACTION_REJECTED, "this is a full node"));
    assert_eq!(t.node.pool_len(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fallback_proposer_takes_transactions_once_it_sequences() {
    let lifted = Arc::new(AtomicBool::new(false));
    let t = start_lifted(Some("this is a full node"), Some(lifted.clone()));
    let alice = dev::dev_signers(1).remove(0);
    let raw = transfer(&alice, 0, Address::repeat_byte(1));
    let (code, _) = t.err("eth_sendRawTransaction", json!([raw.clone()])).await;
    assert_eq!(code, TRANSACTION_REJECTED, "refused while it derives");
    lifted.store(true, Ordering::SeqCst);
    t.ok("eth_sendRawTransaction", json!([raw])).await;
    assert_eq!(t.node.pool_len(), 1, "admitted once it sequences");
}

/// A mock sequencer-set view (unit test only): fixed answers, to check how the RPC serves them.
struct MockConsensusView;

impl mosaic_node::ConsensusView for MockConsensusView {
    fn status(&self) -> mosaic_node::ConsensusStatus {
        mosaic_node::ConsensusStatus {
            engine: "mock".into(),
            me: Address::repeat_byte(2),
            members: (1..=4).map(Address::repeat_byte).collect(),
            quorum: U64::from(3),
            height: U64::from(8),
            round: U64::from(1),
            proposer: Some(Address::repeat_byte(4)),
            last_decided: Some(mosaic_node::DecidedSummary {
                height: U64::from(7),
                round: U64::ZERO,
                signers: (1..=3).map(Address::repeat_byte).collect(),
            }),
            evidence: U64::from(3),
        }
    }

    fn evidence(&self, from: u64, limit: usize) -> Result<Vec<mosaic_node::Evidence>, mosaic_node::NodeError> {
        Ok((from..3)
            .take(limit)
            .map(|i| mosaic_node::Evidence {
                member: Address::repeat_byte(4),
                kind: "double-prevote".into(),
                height: U64::from(i + 1),
                round: U64::ZERO,
                first: Bytes::from(vec![1]),
                second: Bytes::from(vec![2]),
                recorded_at: U64::from(i + 1),
            })
            .collect())
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bft_status_and_evidence_come_from_the_sequencer_set_or_a_clear_error() {
    let t = start(None);
    let (code, message) = t.err("mosaic_bftStatus", json!([])).await;
    assert_eq!(code, SERVER_ERROR);
    assert!(message.contains("not a member of a sequencer set"), "{message}");
    assert_eq!(t.err("mosaic_bftEvidence", json!([])).await.0, SERVER_ERROR);

    assert!(t.node.set_consensus_view(std::sync::Arc::new(MockConsensusView)));
    let status = t.ok("mosaic_bftStatus", json!([])).await;
    assert_eq!((status["quorum"].as_str(), status["round"].as_str()), (Some("0x3"), Some("0x1")));
    assert_eq!(status["lastDecided"]["height"], "0x7");
    assert_eq!(status["lastDecided"]["signers"].as_array().unwrap().len(), 3);
    assert_eq!(status["proposer"], json!(Address::repeat_byte(4)));
    assert_eq!(t.ok("mosaic_bftEvidence", json!([])).await.as_array().unwrap().len(), 3);
    let later = t.ok("mosaic_bftEvidence", json!(["0x2"])).await;
    assert_eq!((later.as_array().unwrap().len(), &later[0]["kind"]), (1, &json!("double-prevote")));
    assert_eq!(later[0]["recordedAt"], "0x3");
}
