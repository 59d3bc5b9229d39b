//! Shared harness of the integration tests: spawns the real `mosaic` binary on a fresh data dir and
//! port 0, talks to it over JSON-RPC (raw `reqwest` and alloy providers), and kills it on drop.
#![allow(dead_code)]

use alloy::{
    consensus::{SignableTransaction, TxEip1559, TxEnvelope, TxLegacy},
    eips::eip2718::Encodable2718,
    network::TxSignerSync,
    primitives::{Address, Bytes, TxKind, B256, U256},
    providers::{DynProvider, Provider, ProviderBuilder},
    signers::local::{coins_bip39::English, MnemonicBuilder, PrivateKeySigner},
};
use serde_json::{json, Value};
use std::{
    io::{BufRead, BufReader, Read},
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    sync::{mpsc, Arc, Mutex, OnceLock},
    time::{Duration, Instant},
};

/// Upper bound for anything the tests wait for (start-up, inclusion): generous for a loaded CI box.
pub(crate) const TIMEOUT: Duration = Duration::from_secs(60);
/// Default chain id of `mosaic devnet`.
pub(crate) const CHAIN_ID: u64 = 424242;
/// Default floor of the base fee (`--min-base-fee`), wei.
pub(crate) const MIN_BASE_FEE: u64 = 1_000_000;
/// Tip the node suggests (`eth_maxPriorityFeePerGas`), wei.
pub(crate) const SUGGESTED_TIP: u128 = 1_000_000;
/// Gas of a plain ETH transfer.
pub(crate) const TRANSFER_GAS: u64 = 21_000;
/// The well-known test mnemonic (anvil / Hardhat).
pub(crate) const MNEMONIC: &str = "test test test test test test test test test test test junk";
/// Genesis balance of each dev account: 10,000 ETH.
pub(crate) fn dev_balance() -> U256 {
    U256::from(10_000u64) * U256::from(10u64).pow(U256::from(18u64))
}

/// Most log lines of the node kept for failure reports.
const LOG_LINES: usize = 400;

/// A running `mosaic devnet` child process on its own data dir.
pub(crate) struct DevNode {
    command: Vec<String>,
    child: Option<Child>,
    dir: tempfile::TempDir,
    args: Vec<String>,
    port: u16,
    log: Arc<Mutex<Vec<String>>>,
}

impl DevNode {
    /// Starts `mosaic devnet --port 0 --data-dir <fresh tempdir> <args>` and waits until it listens.
    pub(crate) fn start(args: &[&str]) -> Self {
        // The embedded L1 takes a free port too, so tests run side by side.
        Self::start_cmd(&["devnet", "--l1-port", "0"], args)
    }

    /// Starts `mosaic <command> --host 127.0.0.1 --port 0 --data-dir <fresh tempdir> <args>`.
    pub(crate) fn start_cmd(command: &[&str], args: &[&str]) -> Self {
        let dir = tempfile::Builder::new().prefix("mosaic-it-").tempdir().expect("create temp data dir");
        let mut node = Self {
            command: command.iter().map(|s| s.to_string()).collect(),
            child: None,
            dir,
            args: args.iter().map(|s| s.to_string()).collect(),
            port: 0,
            log: Arc::new(Mutex::new(Vec::new())),
        };
        node.spawn();
        node
    }

    fn spawn(&mut self) {
        assert!(self.child.is_none(), "node already running");
        // Port 0 (a free one) unless the test names one (members of a sequencer set list theirs).
        let port: &[&str] = if self.args.iter().any(|a| a == "--port") { &[] } else { &["--port", "0"] };
        let mut child = Command::new(env!("CARGO_BIN_EXE_mosaic"))
            .args(&self.command)
            .args(["--host", "127.0.0.1"])
            .args(port)
            .args(["--data-dir"])
            .arg(self.dir.path())
            .args(&self.args)
            .env("NO_COLOR", "1")
            .env_remove("MOSAIC_CONFIG")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn mosaic binary");
        let (port_tx, port_rx) = mpsc::channel::<u16>();
        drain(child.stdout.take().expect("stdout piped"), self.log.clone(), Some(port_tx));
        drain(child.stderr.take().expect("stderr piped"), self.log.clone(), None);
        self.child = Some(child);
        match port_rx.recv_timeout(TIMEOUT) {
            Ok(port) => self.port = port,
            Err(e) => panic!("node did not print `Listening on` ({e}); output:\n{}", self.logs()),
        }
    }

    /// Port the node listens on (changes across restarts).
    /// `mosaic node --role full` deriving from `l1_url` with the contracts file `contracts` (no
    /// confirmations), holding `fallback_key` (hex) as a fallback proposer that closes batches after 1 s,
    /// with `extra` flags.
    pub(crate) fn fallback_node(l1_url: &str, contracts: &str, fallback_key: &str, extra: &[&str]) -> Self {
        let args = ["--role", "full", "--l1-rpc", l1_url, "--l1-contracts", contracts, "--l1-confirmations", "0"];
        let fallback = ["--fallback-key", fallback_key, "--batch-max-age", "1s"];
        Self::start_cmd(&["node"], &[&args[..], &fallback[..], extra].concat())
    }

    pub(crate) fn port(&self) -> u16 {
        self.port
    }

    /// `http://127.0.0.1:PORT`.
    pub(crate) fn http_url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// `ws://127.0.0.1:PORT`.
    pub(crate) fn ws_url(&self) -> String {
        format!("ws://127.0.0.1:{}", self.port)
    }

    /// The data directory.
    pub(crate) fn data_dir(&self) -> &Path {
        self.dir.path()
    }

    /// Raw JSON-RPC client for this node (valid until the next restart).
    pub(crate) fn rpc(&self) -> Rpc {
        Rpc::new(&self.http_url())
    }

    /// An alloy provider without a wallet.
    pub(crate) fn provider(&self) -> DynProvider {
        ProviderBuilder::new().connect_http(self.http_url().parse().expect("url")).erased()
    }

    /// An alloy provider that signs with `signer` (recommended fillers: nonce, gas, fees, chain id).
    pub(crate) fn wallet(&self, signer: &PrivateKeySigner) -> DynProvider {
        ProviderBuilder::new().wallet(signer.clone()).connect_http(self.http_url().parse().expect("url")).erased()
    }

    /// Kills the node with SIGKILL (no shutdown path runs) and reaps it.
    pub(crate) fn kill9(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Waits up to `timeout` for the process to exit on its own; its status, or `None` if it still runs.
    pub(crate) fn wait_exit(&mut self, timeout: Duration) -> Option<std::process::ExitStatus> {
        let deadline = Instant::now() + timeout;
        while Instant::now() < deadline {
            if let Some(status) = self.child.as_mut().and_then(|c| c.try_wait().ok().flatten()) {
                // Let the pipe readers catch the last lines.
                std::thread::sleep(Duration::from_millis(200));
                return Some(status);
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        None
    }

    /// Whether the process is still alive.
    pub(crate) fn is_running(&mut self) -> bool {
        self.child.as_mut().is_some_and(|c| matches!(c.try_wait(), Ok(None)))
    }

    /// Restarts on the same data dir with the same flags (kills first if still running).
    pub(crate) fn restart(&mut self) {
        self.kill9();
        self.log.lock().unwrap().push("----- restart -----".into());
        self.spawn();
    }

    /// Restarts on the same data dir with `args` in place of its flags (kills first if still running).
    pub(crate) fn restart_with(&mut self, args: &[&str]) {
        self.args = args.iter().map(|s| s.to_string()).collect();
        self.restart();
    }

    /// The node's recent output.
    pub(crate) fn logs(&self) -> String {
        self.log.lock().unwrap().join("\n")
    }
}

impl Drop for DevNode {
    fn drop(&mut self) {
        self.kill9();
        if std::thread::panicking() {
            eprintln!("---- mosaic output (last {LOG_LINES} lines) ----\n{}\n----", self.logs());
        }
    }
}

/// Reads a child pipe to the end (so the child never blocks on a full pipe), keeping the last lines and
/// reporting the port of the `Listening on 127.0.0.1:PORT` line.
fn drain(pipe: impl Read + Send + 'static, log: Arc<Mutex<Vec<String>>>, port_tx: Option<mpsc::Sender<u16>>) {
    std::thread::spawn(move || {
        let mut port_tx = port_tx;
        for line in BufReader::new(pipe).lines() {
            let Ok(line) = line else { break };
            if let Some(rest) = line.trim().strip_prefix("Listening on ") {
                if let Some(tx) = port_tx.take() {
                    let port = rest.rsplit(':').next().and_then(|p| p.parse().ok()).expect("port in Listening line");
                    assert!(rest.starts_with("127.0.0.1:"), "node must listen on 127.0.0.1: {line}");
                    let _ = tx.send(port);
                }
            }
            let mut log = log.lock().unwrap();
            log.push(line);
            if log.len() > LOG_LINES {
                log.remove(0);
            }
        }
    });
}

/// The ten dev signers of the test mnemonic (m/44'/60'/0'/0/i).
pub(crate) fn dev_signers() -> &'static [PrivateKeySigner] {
    static SIGNERS: OnceLock<Vec<PrivateKeySigner>> = OnceLock::new();
    SIGNERS.get_or_init(|| {
        let signers: Vec<PrivateKeySigner> = (0..10)
            .map(|i| MnemonicBuilder::<English>::default().phrase(MNEMONIC).index(i).unwrap().build().unwrap())
            .collect();
        // Anvil's account 0, known independently of the derivation code.
        assert_eq!(signers[0].address().to_string(), "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266");
        signers
    })
}

/// Dev signer `i`.
pub(crate) fn dev(i: usize) -> PrivateKeySigner {
    dev_signers()[i].clone()
}

/// A fresh address nobody controls or funded (unique per call and process).
pub(crate) fn random_address() -> Address {
    static COUNTER: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos();
    let seed = format!("{}-{nanos}-{n}", std::process::id());
    Address::from_slice(&alloy::primitives::keccak256(seed.as_bytes())[12..])
}

/// A JSON-RPC error object.
#[derive(Debug, Clone)]
pub(crate) struct RpcError {
    /// Error code.
    pub code: i64,
    /// Message.
    pub message: String,
    /// Optional data.
    pub data: Option<Value>,
}

/// Minimal raw JSON-RPC client, so tests see codes and shapes exactly as sent.
#[derive(Clone)]
pub(crate) struct Rpc {
    client: reqwest::Client,
    url: String,
}

impl Rpc {
    /// A client for `url`.
    pub(crate) fn new(url: &str) -> Self {
        Self { client: reqwest::Client::builder().timeout(TIMEOUT).build().unwrap(), url: url.to_string() }
    }

    /// The URL.
    pub(crate) fn url(&self) -> &str {
        &self.url
    }

    /// POSTs a raw body; returns the HTTP status and the body.
    pub(crate) async fn post_raw(&self, body: impl Into<reqwest::Body>) -> (u16, String) {
        let resp = self
            .client
            .post(&self.url)
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .expect("HTTP request failed");
        let status = resp.status().as_u16();
        (status, resp.text().await.expect("read HTTP body"))
    }

    /// Calls `method`, tolerating transport failure (the node may have been killed): `Err` on a
    /// transport error, else the JSON-RPC outcome.
    pub(crate) async fn try_call(&self, method: &str, params: Value) -> Result<Result<Value, RpcError>, String> {
        let body = json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params});
        let resp = self
            .client
            .post(&self.url)
            .header("content-type", "application/json")
            .body(body.to_string())
            .send()
            .await
            .map_err(|e| e.to_string())?;
        let text = resp.text().await.map_err(|e| e.to_string())?;
        let v: Value = serde_json::from_str(&text).map_err(|e| format!("{e}: {text}"))?;
        Ok(parse_response(&v))
    }

    /// Calls `method`; `Ok(result)` or `Err(error object)`.
    pub(crate) async fn call(&self, method: &str, params: Value) -> Result<Value, RpcError> {
        let body = json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params});
        let (status, text) = self.post_raw(body.to_string()).await;
        let v: Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{method}: bad JSON ({e}): {text}"));
        assert_eq!(status, 200, "{method}: HTTP {status}: {text}");
        assert_eq!(v["jsonrpc"], "2.0", "{method}: {text}");
        assert_eq!(v["id"], 1, "{method}: {text}");
        parse_response(&v)
    }

    /// Calls `method` and expects success.
    pub(crate) async fn ok(&self, method: &str, params: Value) -> Value {
        self.call(method, params).await.unwrap_or_else(|e| panic!("{method} failed: {e:?}"))
    }

    /// Calls `method` and expects an error.
    pub(crate) async fn err(&self, method: &str, params: Value) -> RpcError {
        match self.call(method, params).await {
            Ok(v) => panic!("{method} unexpectedly succeeded: {v}"),
            Err(e) => e,
        }
    }

    /// `eth_blockNumber`.
    pub(crate) async fn block_number(&self) -> u64 {
        hex_u64(&self.ok("eth_blockNumber", json!([])).await)
    }

    /// `eth_getBalance` at `block` (a tag or hex number).
    pub(crate) async fn balance_at(&self, addr: Address, block: Value) -> U256 {
        hex_u256(&self.ok("eth_getBalance", json!([addr, block])).await)
    }

    /// `eth_getBalance` at latest.
    pub(crate) async fn balance(&self, addr: Address) -> U256 {
        self.balance_at(addr, json!("latest")).await
    }

    /// `eth_getTransactionCount` at `tag`.
    pub(crate) async fn nonce(&self, addr: Address, tag: &str) -> u64 {
        hex_u64(&self.ok("eth_getTransactionCount", json!([addr, tag])).await)
    }

    /// `eth_getBlockByNumber` (hashes only); panics if absent.
    pub(crate) async fn block(&self, number: u64) -> Value {
        let b = self.ok("eth_getBlockByNumber", json!([format!("{number:#x}"), false])).await;
        assert!(b.is_object(), "block {number} missing: {b}");
        b
    }

    /// `eth_sendRawTransaction`; returns the hash.
    pub(crate) async fn send_raw(&self, raw: &Bytes) -> Result<B256, RpcError> {
        self.call("eth_sendRawTransaction", json!([raw])).await.map(|v| serde_json::from_value(v).unwrap())
    }

    /// Polls `eth_getTransactionReceipt` until it is there (panics after [`TIMEOUT`]).
    pub(crate) async fn wait_receipt(&self, hash: B256) -> Value {
        poll_until(&format!("receipt of {hash}"), async || {
            let r = self.ok("eth_getTransactionReceipt", json!([hash])).await;
            (!r.is_null()).then_some(r)
        })
        .await
    }

    /// Polls until the head is at least `number`.
    pub(crate) async fn wait_block(&self, number: u64) -> u64 {
        poll_until(&format!("block {number}"), async || {
            let n = self.block_number().await;
            (n >= number).then_some(n)
        })
        .await
    }

    /// Base fee of the block the next transaction lands in, per the latest header.
    pub(crate) async fn latest_base_fee(&self) -> u128 {
        hex_u64(&self.ok("eth_getBlockByNumber", json!(["latest", false])).await["baseFeePerGas"]) as u128
    }
}

fn parse_response(v: &Value) -> Result<Value, RpcError> {
    if let Some(e) = v.get("error") {
        assert!(v.get("result").is_none(), "both result and error: {v}");
        return Err(RpcError {
            code: e["code"].as_i64().unwrap_or_else(|| panic!("error without code: {v}")),
            message: e["message"].as_str().unwrap_or_else(|| panic!("error without message: {v}")).to_string(),
            data: e.get("data").cloned(),
        });
    }
    Ok(v.get("result").unwrap_or_else(|| panic!("response without result: {v}")).clone())
}

/// Asserts an error's code and that its message contains `fragment`.
#[track_caller]
pub(crate) fn assert_rpc_error(e: &RpcError, code: i64, fragment: &str) {
    assert_eq!(e.code, code, "wrong error code: {e:?}");
    assert!(e.message.contains(fragment), "message {:?} lacks {fragment:?} ({e:?})", e.message);
}

/// Polls `f` every 25 ms until it returns `Some`, panicking after [`TIMEOUT`].
pub(crate) async fn poll_until<T>(what: &str, mut f: impl AsyncFnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + TIMEOUT;
    loop {
        if let Some(v) = f().await {
            return v;
        }
        assert!(Instant::now() < deadline, "timed out after {TIMEOUT:?} waiting for {what}");
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

/// Parses a 0x-hex quantity.
#[track_caller]
pub(crate) fn hex_u64(v: &Value) -> u64 {
    let s = v.as_str().unwrap_or_else(|| panic!("not a hex string: {v}"));
    u64::from_str_radix(s.strip_prefix("0x").unwrap_or_else(|| panic!("no 0x: {s}")), 16).expect("hex quantity")
}

/// Parses a 0x-hex 256-bit quantity.
#[track_caller]
pub(crate) fn hex_u256(v: &Value) -> U256 {
    let s = v.as_str().unwrap_or_else(|| panic!("not a hex string: {v}"));
    U256::from_str_radix(s.strip_prefix("0x").unwrap_or_else(|| panic!("no 0x: {s}")), 16).expect("hex quantity")
}

/// Parses a 32-byte hash.
#[track_caller]
/// A JSON hex string's bytes.
pub(crate) fn hex_bytes(v: &Value) -> Vec<u8> {
    let s = v.as_str().unwrap_or_else(|| panic!("not a hex string: {v}"));
    alloy::primitives::hex::decode(s).expect("hex")
}

pub(crate) fn hex_b256(v: &Value) -> B256 {
    serde_json::from_value(v.clone()).unwrap_or_else(|e| panic!("not a B256 ({e}): {v}"))
}

/// Signs a transaction and returns its EIP-2718 encoding.
pub(crate) fn sign<T: SignableTransaction<alloy::signers::Signature>>(signer: &PrivateKeySigner, mut tx: T) -> Bytes
where
    TxEnvelope: From<alloy::consensus::Signed<T>>,
{
    let sig = signer.sign_transaction_sync(&mut tx).expect("sign");
    TxEnvelope::from(tx.into_signed(sig)).encoded_2718().into()
}

/// An EIP-1559 transfer of `value` wei to `to`, 21000 gas.
pub(crate) fn transfer_1559(nonce: u64, to: Address, value: U256, max_fee: u128, tip: u128) -> TxEip1559 {
    TxEip1559 {
        chain_id: CHAIN_ID,
        nonce,
        gas_limit: TRANSFER_GAS,
        max_fee_per_gas: max_fee,
        max_priority_fee_per_gas: tip,
        to: TxKind::Call(to),
        value,
        ..Default::default()
    }
}

/// A signed EIP-1559 transfer with a fee cap far above any base fee the tests reach.
pub(crate) fn signed_transfer(signer: &PrivateKeySigner, nonce: u64, to: Address, value: U256) -> Bytes {
    sign(signer, transfer_1559(nonce, to, value, 100_000_000_000, SUGGESTED_TIP))
}

/// An EIP-155 legacy transfer.
pub(crate) fn transfer_legacy(
    nonce: u64,
    to: Address,
    value: U256,
    gas_price: u128,
    chain_id: Option<u64>,
) -> TxLegacy {
    TxLegacy { chain_id, nonce, gas_price, gas_limit: TRANSFER_GAS, to: TxKind::Call(to), value, ..Default::default() }
}

alloy::sol!(
    #[sol(rpc)]
    #[derive(Debug)]
    Token,
    "tests/fixtures/Token.json"
);

/// Storage slot of `Token.balanceOf` (slots: 0 name, 1 symbol, 2 totalSupply, 3 balanceOf, 4 allowance).
pub(crate) const BALANCE_OF_SLOT: u64 = 3;

/// Storage slot of `balanceOf[holder]`: keccak256(pad32(holder) || pad32(3)).
pub(crate) fn balance_slot(holder: Address) -> U256 {
    let mut pre = [0u8; 64];
    pre[12..32].copy_from_slice(holder.as_slice());
    pre[32..].copy_from_slice(&U256::from(BALANCE_OF_SLOT).to_be_bytes::<32>());
    U256::from_be_bytes(alloy::primitives::keccak256(pre).0)
}

/// 1,000,000 tokens with 18 decimals.
pub(crate) fn token_supply() -> U256 {
    U256::from(1_000_000u64) * U256::from(10u64).pow(U256::from(18u64))
}

/// Deploys the ERC-20 fixture from `deployer` with [`token_supply`] minted to it; returns the address
/// and the deployment receipt (raw JSON).
pub(crate) async fn deploy_token(node: &DevNode, deployer: &PrivateKeySigner) -> (Address, Value) {
    let provider = node.wallet(deployer);
    let pending = Token::deploy_builder(&provider, "Mosaic Token".into(), "MOS".into(), token_supply())
        .send()
        .await
        .expect("send deployment");
    let receipt = node.rpc().wait_receipt(*pending.tx_hash()).await;
    assert_eq!(receipt["status"], "0x1", "deployment failed: {receipt}");
    let address: Address = serde_json::from_value(receipt["contractAddress"].clone()).expect("contractAddress");
    (address, receipt)
}

/// Path of the repository root.
pub(crate) fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").canonicalize().expect("repo root")
}

/// Waits until `provider` reports a receipt for `hash` (via the raw client, polling).
pub(crate) async fn wait_receipt_via(provider: &DynProvider, hash: B256) -> alloy::rpc::types::TransactionReceipt {
    poll_until(&format!("receipt of {hash}"), async || provider.get_transaction_receipt(hash).await.expect("rpc")).await
}

/// A devnet on its embedded L1 with 300 ms blocks on both chains and batches closed after 1 s, plus
/// `extra` flags.
pub(crate) fn fast_devnet(extra: &[&str]) -> DevNode {
    let mut args = vec!["--block-time", "300ms", "--l1-block-time", "300ms", "--batch-max-age", "1s"];
    args.extend_from_slice(extra);
    DevNode::start(&args)
}

/// Builds the example Wasm contracts once per test binary (idempotent and quick when up to date).
pub(crate) fn wasm_module(name: &str) -> Vec<u8> {
    static BUILD: std::sync::Once = std::sync::Once::new();
    BUILD.call_once(|| {
        let out = Command::new("bash")
            .arg(repo_root().join("scripts/build-wasm-contracts.sh"))
            .output()
            .expect("run scripts/build-wasm-contracts.sh");
        assert!(out.status.success(), "building the Wasm contracts failed:\n{}", String::from_utf8_lossy(&out.stderr));
    });
    let path: PathBuf = repo_root().join("wasm/out").join(format!("{name}.wasm"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}
