//! MultiVM against the real node: Wasm contracts (built from `wasm/` with the Rust SDK) deployed and called
//! with plain Ethereum transactions, atomic calls between Wasm and Solidity in both directions, the
//! per-frame stats RPC, and bad Wasm input. The cast/forge demo (`e2e/multivm-demo.sh`) runs here too.
mod common;

use alloy::{
    network::TransactionBuilder,
    primitives::{Address, Bytes, TxKind, B256, U256},
    providers::Provider,
    rpc::types::TransactionRequest,
    sol_types::{SolCall, SolError, SolEvent, SolValue},
};
use common::*;
use serde_json::{json, Value};
use std::process::Command;

alloy::sol!(
    #[sol(rpc)]
    #[derive(Debug)]
    Registry,
    "tests/fixtures/Registry.json"
);

alloy::sol! {
    /// wasm/examples/caller: a Wasm contract that calls the Solidity Registry.
    #[sol(rpc)]
    interface WasmCaller {
        function setRemote(address registry, uint256 v) external returns (uint256 previous);
        function depositRemote(address registry) external payable returns (uint256 total);
        function failRemote(address registry, string reason) external;
        function tryFailRemote(address registry) external returns (bool ok, uint256 counter);
        function whoCallsRemote(address registry) external view returns (address);
        function counter() external view returns (uint256);
        function reenter(address registry) external returns (bytes memory);
        function selfCallDepth(uint256 n) external returns (uint256);
        event Forwarded(address indexed target, uint256 value, uint256 previous);
    }

    /// wasm/examples/erc20.
    #[sol(rpc)]
    interface WasmToken {
        function name() external view returns (string);
        function balanceOf(address owner) external view returns (uint256);
        function transfer(address to, uint256 amount) external returns (bool);
        event Transfer(address indexed from, address indexed to, uint256 value);
    }

    /// wasm/examples/evil: misbehaving contract.
    #[sol(rpc)]
    interface Evil {
        function spin() external;
        function grow() external returns (uint256 pages);
        function recurse(uint32 depth) external returns (uint32);
        function burn() external;
    }

    error Failed(string reason);
}

fn wat(src: &str) -> Vec<u8> {
    wat::parse_str(src).expect("valid wat")
}

/// Sends a create transaction with `init` from dev account 0 and returns the receipt.
async fn create(node: &DevNode, init: Vec<u8>) -> Value {
    // One wallet per account for the whole test, so its cached nonce stays right.
    static WALLETS: std::sync::Mutex<Vec<(u16, alloy::providers::DynProvider)>> = std::sync::Mutex::new(Vec::new());
    let wallet = {
        let mut w = WALLETS.lock().unwrap();
        match w.iter().find(|(p, _)| *p == node.port()) {
            Some((_, wallet)) => wallet.clone(),
            None => {
                let wallet = node.wallet(&dev(0));
                w.push((node.port(), wallet.clone()));
                wallet
            }
        }
    };
    let tx = TransactionRequest::default().with_kind(TxKind::Create).with_input(init).with_gas_limit(10_000_000);
    let pending = wallet.send_transaction(tx).await.expect("send create");
    node.rpc().wait_receipt(*pending.tx_hash()).await
}

async fn deploy_wasm(node: &DevNode, module: &[u8], args: &[u8]) -> Address {
    let receipt = create(node, [module, args].concat()).await;
    assert_eq!(receipt["status"], "0x1", "Wasm deployment failed: {receipt}");
    serde_json::from_value(receipt["contractAddress"].clone()).unwrap()
}

fn token_args(name: &str, supply: u64) -> Vec<u8> {
    (name.to_string(), "TOK".to_string(), U256::from(supply)).abi_encode_params()
}

/// The Solidity Registry and the Wasm caller, deployed by dev account 1 (whose wallet they use).
async fn registry_and_caller(
    node: &DevNode,
) -> (
    Registry::RegistryInstance<alloy::providers::DynProvider>,
    WasmCaller::WasmCallerInstance<alloy::providers::DynProvider>,
) {
    let wallet = node.wallet(&dev(1));
    let registry = Registry::deploy(wallet.clone()).await.expect("deploy Registry");
    let caller_addr = deploy_wasm(node, &wasm_module("caller"), &[]).await;
    (registry, WasmCaller::new(caller_addr, wallet))
}

/// Decodes a JSON-RPC error's revert data as `Error(string)`.
fn revert_string(e: &RpcError) -> String {
    let data = e.data.as_ref().and_then(Value::as_str).unwrap_or_else(|| panic!("no revert data: {e:?}"));
    let bytes = alloy::hex::decode(data).unwrap();
    assert_eq!(&bytes[..4], &[0x08, 0xc3, 0x79, 0xa0], "not Error(string): {data}");
    String::abi_decode(&bytes[4..]).unwrap()
}

#[test]
fn cast_and_forge_demo_wasm_tokens_in_a_solidity_amm() {
    let tools = repo_root().join(".tools/node_modules/.bin/cast");
    assert!(tools.exists(), "run scripts/setup-tools.sh first ({} is missing)", tools.display());
    wasm_module("erc20");
    let node = DevNode::start(&["--block-time", "0"]);
    let out = Command::new("bash")
        .arg(repo_root().join("e2e/multivm-demo.sh"))
        .arg(node.http_url())
        .current_dir(repo_root())
        .output()
        .expect("run e2e/multivm-demo.sh");
    let (stdout, stderr) = (String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "multivm demo failed\nstdout:\n{stdout}\nstderr:\n{stderr}");
    assert!(stdout.lines().any(|l| l.trim() == "multivm-demo: OK"), "{stdout}");
    assert!(stdout.contains("swapped 10000 A for 9871 B"), "{stdout}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wasm_erc20_behaves_like_an_evm_contract() {
    let node = DevNode::start(&["--block-time", "0"]);
    let rpc = node.rpc();
    let module = wasm_module("erc20");
    let token = deploy_wasm(&node, &module, &token_args("Rusty", 1_000)).await;

    // eth_getCode returns the module; calls use the Solidity ABI.
    let code: Bytes = serde_json::from_value(rpc.ok("eth_getCode", json!([token, "latest"])).await).unwrap();
    assert_eq!(code.as_ref(), module.as_slice());
    let wallet = node.wallet(&dev(0));
    let t = WasmToken::new(token, wallet.clone());
    assert_eq!(t.name().call().await.unwrap(), "Rusty");
    assert_eq!(t.balanceOf(dev(0).address()).call().await.unwrap(), U256::from(1_000));

    // eth_estimateGas, then a transfer with exactly that gas; receipt logs are EVM-compatible.
    let to = random_address();
    let req = t.transfer(to, U256::from(250)).into_transaction_request();
    let gas = wallet.estimate_gas(req.clone()).await.unwrap();
    assert!(gas > 21_000 && gas < 200_000, "estimate {gas}");
    let pending = wallet.send_transaction(req.with_gas_limit(gas)).await.unwrap();
    let receipt = rpc.wait_receipt(*pending.tx_hash()).await;
    assert_eq!(receipt["status"], "0x1", "{receipt}");
    let log = &receipt["logs"][0];
    assert_eq!(log["address"], json!(token));
    assert_eq!(log["topics"][0], json!(WasmToken::Transfer::SIGNATURE_HASH));
    assert_eq!(log["topics"][2], json!(to.into_word()));
    assert_eq!(t.balanceOf(to).call().await.unwrap(), U256::from(250));
    let logs = rpc.ok("eth_getLogs", json!([{ "address": token, "fromBlock": "0x0" }])).await;
    assert_eq!(logs.as_array().unwrap().len(), 2, "mint + transfer: {logs}");

    // Revert data comes back like an EVM contract's (custom error InsufficientBalance).
    let too_much = WasmToken::transferCall { to, amount: U256::from(10_000) }.abi_encode();
    let e =
        rpc.err("eth_call", json!([{ "from": dev(0).address(), "to": token, "data": Bytes::from(too_much) }])).await;
    assert_eq!(e.code, 3, "{e:?}");
    let data = e.data.as_ref().and_then(Value::as_str).unwrap();
    let selector = alloy::primitives::keccak256("InsufficientBalance(uint256,uint256)");
    assert!(data.starts_with(&format!("0x{}", alloy::hex::encode(&selector[..4]))), "{data}");

    // Stats: one Wasm frame with cycles.
    let stats = rpc.ok("mosaic_getTransactionStats", json!([pending.tx_hash()])).await;
    assert_eq!(stats["frames"].as_array().unwrap().len(), 1, "{stats}");
    assert_eq!(stats["frames"][0]["vm"], "wasm");
    assert_eq!(stats["gasUsed"], receipt["gasUsed"]);
    assert!(
        u64::from_str_radix(stats["vms"]["wasm"]["cycles"].as_str().unwrap().trim_start_matches("0x"), 16).unwrap()
            > 1000
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wasm_and_solidity_call_each_other_atomically() {
    let node = DevNode::start(&["--block-time", "0"]);
    let rpc = node.rpc();
    let (registry, caller) = registry_and_caller(&node).await;
    let (reg, caller_addr) = (*registry.address(), *caller.address());

    // Wasm → Solidity: return data, msg.sender, logs of both VMs in call order.
    let receipt = caller.setRemote(reg, U256::from(42)).send().await.unwrap().get_receipt().await.unwrap();
    assert!(receipt.status());
    assert_eq!(registry.value().call().await.unwrap(), U256::from(42));
    assert_eq!(registry.lastCaller().call().await.unwrap(), caller_addr, "msg.sender is the Wasm contract");
    let emitters: Vec<Address> = receipt.inner.logs().iter().map(|l| l.address()).collect();
    assert_eq!(emitters, vec![reg, caller_addr], "Registry's ValueSet, then the caller's Forwarded");
    let second = caller.setRemote(reg, U256::from(43)).call().await.unwrap();
    assert_eq!(second, U256::from(42), "the Solidity return value reached Wasm");

    // Stats of that transaction: a Wasm frame that called an EVM frame.
    let stats = rpc.ok("mosaic_getTransactionStats", json!([receipt.transaction_hash])).await;
    let frames: Vec<(String, u64)> = stats["frames"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| (f["vm"].as_str().unwrap().to_string(), f["depth"].as_u64().unwrap()))
        .collect();
    assert_eq!(frames, vec![("wasm".to_string(), 0), ("evm".to_string(), 1)]);
    let hex_u64 = |v: &Value| u64::from_str_radix(v.as_str().unwrap().trim_start_matches("0x"), 16).unwrap();
    // Issue #20: what the block's cycle budget charged the included transaction (compiling the Wasm
    // module included: it was the block's first call of it).
    let charged = hex_u64(&stats["provingCycles"]);
    let compile = mosaic_primitives::ChainConfig::default().proving.cycles.wasm_module_byte;
    assert!(charged > compile * 1000 && charged <= hex_u64(&stats["cycleBudget"]), "{stats}");
    let call_stats = rpc
        .ok(
            "mosaic_callStats",
            json!([{ "from": dev(0).address(), "to": caller_addr,
            "data": Bytes::from(WasmCaller::setRemoteCall { registry: reg, v: U256::from(1) }.abi_encode()) }]),
        )
        .await;
    assert_eq!(call_stats["frames"].as_array().unwrap().len(), 2, "{call_stats}");
    // Issue #20: the call's proving-cycle estimate beside the block's budget.
    let cycles =
        u64::from_str_radix(call_stats["provingCycles"].as_str().unwrap().trim_start_matches("0x"), 16).unwrap();
    let budget = u64::from_str_radix(call_stats["cycleBudget"].as_str().unwrap().trim_start_matches("0x"), 16).unwrap();
    assert!(cycles > 0 && cycles < budget, "{call_stats}");
    // A call no block could prove: eth_estimateGas says so, with the numbers in `data`.
    let word = |n: u64| U256::from(n).to_be_bytes::<32>().to_vec();
    let mut modulus = vec![0xc3u8; 256];
    modulus[255] |= 1;
    let modexp = [word(256), word(256), word(256), vec![0x5a; 256], vec![0xff; 256], modulus].concat();
    let e = rpc
        .err(
            "eth_estimateGas",
            json!([{ "from": dev(0).address(), "to": Address::with_last_byte(5), "data": Bytes::from(modexp) }]),
        )
        .await;
    assert!(e.message.contains("exceeds block cycle budget: transaction needs"), "{e:?}");
    assert_eq!(e.data.as_ref().unwrap()["cycleBudget"], json!(format!("{budget:#x}")), "{e:?}");

    // Value flows Wasm → Solidity.
    let one_eth = U256::from(10u64).pow(U256::from(18u64));
    let r = caller.depositRemote(reg).value(one_eth).send().await.unwrap().get_receipt().await.unwrap();
    assert!(r.status());
    assert_eq!(registry.deposits(caller_addr).call().await.unwrap(), one_eth);
    assert_eq!(rpc.balance(reg).await, one_eth);
    assert_eq!(rpc.balance(caller_addr).await, U256::ZERO, "the Wasm contract forwarded all it got");

    // A nested revert unwinds only the callee: the Wasm caller keeps its own write.
    let r = caller.tryFailRemote(reg).send().await.unwrap().get_receipt().await.unwrap();
    assert!(r.status());
    assert_eq!(caller.counter().call().await.unwrap(), U256::from(1));
    assert_eq!(registry.value().call().await.unwrap(), U256::from(42), "setThenFail(7) was unwound");
    assert!(r.inner.logs().iter().all(|l| l.address() != reg), "the callee's reverted log is gone");

    // A revert bubbled through Wasm reverts the whole transaction, EVM writes included.
    let fail = WasmCaller::failRemoteCall { registry: reg, reason: "boom".into() }.abi_encode();
    let e = rpc
        .err("eth_call", json!([{ "from": dev(0).address(), "to": caller_addr, "data": Bytes::from(fail.clone()) }]))
        .await;
    assert_eq!(e.code, 3);
    let data = alloy::hex::decode(e.data.as_ref().unwrap().as_str().unwrap()).unwrap();
    assert_eq!(Failed::abi_decode(&data).unwrap().reason, "boom");

    // Solidity → Wasm → Solidity → Wasm reentrancy, and a static call from Wasm.
    let out = caller.reenter(reg).call().await.unwrap();
    assert_eq!(U256::abi_decode(&out).unwrap(), U256::from(1), "the re-entered Wasm contract read its counter");
    assert_eq!(caller.whoCallsRemote(reg).call().await.unwrap(), caller_addr);

    // Recursion across frames works and is bounded by gas (63/64 rule) before the 1024 depth limit.
    assert_eq!(caller.selfCallDepth(U256::from(20)).call().await.unwrap(), U256::from(20));
    let deep = WasmCaller::selfCallDepthCall { n: U256::from(2_000) }.abi_encode();
    let e = rpc.err("eth_call", json!([{ "to": caller_addr, "data": Bytes::from(deep), "gas": "0xe4e1c0" }])).await;
    assert!(e.code == 3 || e.code == -32000, "{e:?}");
    assert!(rpc.block_number().await > 0, "the node still answers");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_wasm_fails_with_a_reason_and_bounded_cost() {
    let node = DevNode::start(&["--block-time", "0"]);
    let rpc = node.rpc();
    let wallet = node.wallet(&dev(1));
    let evil_addr = deploy_wasm(&node, &wasm_module("evil"), &[]).await;
    let evil = Evil::new(evil_addr, wallet.clone());

    // Infinite loops (pure computation, or host calls) stop at the gas limit: status 0, gasUsed = limit.
    for req in [evil.spin().into_transaction_request(), evil.burn().into_transaction_request()] {
        let e = wallet.estimate_gas(req.clone()).await.expect_err("cannot estimate an endless loop");
        assert!(e.to_string().contains("gas"), "{e}");
        let pending = wallet.send_transaction(req.with_gas_limit(1_000_000)).await.unwrap();
        let receipt = rpc.wait_receipt(*pending.tx_hash()).await;
        assert_eq!(receipt["status"], "0x0");
        assert_eq!(receipt["gasUsed"], "0xf4240", "exactly the gas limit");
    }

    // Memory bombs stop at the per-frame limit of 32 pages (2 MiB): `grow` adds 16 pages at a time from 1.
    assert_eq!(evil.grow().call().await.unwrap(), U256::from(17));

    // Deep recursion traps with a reason.
    let deep = Evil::recurseCall { depth: 1_000_000 }.abi_encode();
    let e = rpc.err("eth_call", json!([{ "to": evil_addr, "data": Bytes::from(deep) }])).await;
    assert!(revert_string(&e).starts_with("wasm trap"), "{e:?}");
    assert_eq!(evil.recurse(100).call().await.unwrap(), 100, "moderate recursion is fine");

    // Invalid modules: floats, unknown host functions, missing entry points, 1 GiB memory, garbage.
    let memory = r#"(memory (export "memory") 1)"#;
    let entry = r#"(func (export "call") (result i32) (i32.const 0))"#;
    let cases = [
        (
            wat(&format!(
                r#"(module {memory} (func (export "call") (result i32) (drop (f64.sqrt (f64.const 2))) (i32.const 0)))"#
            )),
            "float",
        ),
        (wat(&format!(r#"(module (import "mosaic" "launch_missiles" (func)) {memory} {entry})"#)), "launch_missiles"),
        (wat(&format!(r#"(module (import "env" "sload" (func (param i32 i32))) {memory} {entry})"#)), "env"),
        (wat(&format!(r#"(module (import "mosaic" "sload" (func (param i64))) {memory} {entry})"#)), "sload"),
        (wat(&format!(r#"(module {memory})"#)), "call() -> i32"),
        (wat(&format!(r#"(module (memory (export "memory") 16384) {entry})"#)), "instantiate"),
        (b"\0asm\x01\0\0\0\x01\xff\xff\xff\xff\x0f".to_vec(), "call() -> i32"),
    ];
    for (init, expected) in cases {
        let e =
            rpc.err("eth_estimateGas", json!([{ "from": dev(0).address(), "data": Bytes::from(init.clone()) }])).await;
        let reason = revert_string(&e);
        assert!(reason.contains(expected), "expected `{expected}` in `{reason}`");
        let receipt = create(&node, init).await;
        assert_eq!(receipt["status"], "0x0", "{receipt}");
        assert!(
            receipt["contractAddress"].is_null()
                || rpc.ok("eth_getCode", json!([receipt["contractAddress"], "latest"])).await == "0x"
        );
    }

    // Oversized: a module above the 24,576-byte code limit fails the deployment; init data above the
    // 49,152-byte initcode limit is refused at admission.
    let big = wat(&format!(r#"(module {memory} {entry} (data (i32.const 0) "{}"))"#, "x".repeat(30_000)));
    let receipt = create(&node, big).await;
    assert_eq!(receipt["status"], "0x0");
    let huge = wat(&format!(r#"(module {memory} {entry} (data (i32.const 0) "{}"))"#, "x".repeat(60_000)));
    let tx = TransactionRequest::default().with_kind(TxKind::Create).with_input(huge).with_gas_limit(15_000_000);
    let e = wallet.send_transaction(tx).await.expect_err("initcode over the limit");
    assert!(e.to_string().contains("initcode"), "{e}");

    // The node is unaffected (a fresh wallet: the refused transaction advanced the old one's cached nonce).
    let n = rpc.block_number().await;
    let pending = node
        .wallet(&dev(2))
        .send_transaction(TransactionRequest::default().with_to(random_address()).with_value(U256::from(1)))
        .await
        .unwrap();
    assert_eq!(rpc.wait_receipt(*pending.tx_hash()).await["status"], "0x1");
    assert!(rpc.block_number().await > n);
    // A plain transfer ran no code: its stats have no frames (and an unknown hash has no stats).
    let stats = rpc.ok("mosaic_getTransactionStats", json!([pending.tx_hash()])).await;
    assert_eq!((stats["frames"].clone(), stats["gasUsed"].clone()), (json!([]), json!("0x5208")), "{stats}");
    assert_eq!(rpc.ok("mosaic_getTransactionStats", json!([B256::repeat_byte(9)])).await, Value::Null);
}

/// `debug_traceTransaction` and `debug_traceBlockBy*` on included transactions: the struct logger, the
/// call tree across VMs (`callTracer`, each frame with its VM) and the state before/after
/// (`prestateTracer`, plain and diff mode), in geth's shapes; and the errors for unknown input.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn debug_trace_shows_the_call_tree_across_vms() {
    let node = DevNode::start(&["--block-time", "0"]);
    let rpc = node.rpc();
    let (registry, caller) = registry_and_caller(&node).await;
    let (reg, caller_addr) = (*registry.address(), *caller.address());

    // EVM only: Registry.set(7) from an account.
    let r = registry.set(U256::from(7)).send().await.unwrap().get_receipt().await.unwrap();
    let hash = r.transaction_hash;
    let logs = rpc.ok("debug_traceTransaction", json!([hash])).await;
    assert_eq!(logs["failed"], false);
    assert_eq!(logs["gas"].as_u64(), Some(r.gas_used));
    let steps = logs["structLogs"].as_array().unwrap();
    assert_eq!(steps[0]["op"], "PUSH1", "Solidity starts with the free-memory pointer");
    assert_eq!(steps[0]["pc"], 0);
    assert_eq!(steps[0]["depth"], 1);
    assert!(steps.iter().any(|s| s["op"] == "SSTORE"), "the write is traced");
    assert_eq!(steps.last().unwrap()["op"], "RETURN");
    assert!(steps[1]["stack"].as_array().is_some_and(|s| s.len() == 1), "PUSH1 left one item: {}", steps[1]);
    for pair in steps.windows(2).filter(|w| w[0]["depth"] == w[1]["depth"]) {
        let (gas, cost, next) =
            (pair[0]["gas"].as_u64().unwrap(), pair[0]["gasCost"].as_u64().unwrap(), pair[1]["gas"].as_u64().unwrap());
        assert_eq!(gas - cost, next, "gas accounting between {} and {}", pair[0], pair[1]);
    }
    let limited = rpc.ok("debug_traceTransaction", json!([hash, { "disableStack": true, "limit": 3 }])).await;
    assert_eq!(limited["structLogs"].as_array().unwrap().len(), 3);
    assert!(limited["structLogs"][0].get("stack").is_none());

    let calls = rpc.ok("debug_traceTransaction", json!([hash, { "tracer": "callTracer" }])).await;
    assert_eq!(calls["type"], "CALL");
    assert_eq!(calls["from"], json!(dev(1).address()));
    assert_eq!(calls["to"], json!(reg));
    assert_eq!(calls["vm"], "evm");
    assert_eq!(calls["gasUsed"], json!(U256::from(r.gas_used)));
    assert_eq!(calls["input"], json!(Bytes::from(Registry::setCall { v: U256::from(7) }.abi_encode())));
    assert_eq!(calls["output"], json!(Bytes::from(U256::ZERO.abi_encode())), "set returns the previous value");
    assert!(calls.get("calls").is_none());

    let key = |a: Address| format!("{a:#x}");
    let pre = rpc.ok("debug_traceTransaction", json!([hash, { "tracer": "prestateTracer" }])).await;
    let slot0 = format!("{:#066x}", 0);
    assert_eq!(pre[key(reg)]["storage"][&slot0], json!(B256::ZERO), "value was 0 before: {pre}");
    assert!(pre[key(reg)]["code"].as_str().unwrap().len() > 2);
    assert!(pre[key(dev(1).address())]["balance"].is_string());
    let diff = rpc
        .ok(
            "debug_traceTransaction",
            json!([hash, { "tracer": "prestateTracer", "tracerConfig": { "diffMode": true } }]),
        )
        .await;
    assert_eq!(diff["post"][key(reg)]["storage"][&slot0], json!(B256::from(U256::from(7))), "{diff}");
    assert!(diff["post"][key(reg)].get("code").is_none(), "unchanged code is not repeated: {diff}");
    let sender = key(dev(1).address());
    let nonce_before = diff["pre"][&sender]["nonce"].as_u64().unwrap();
    assert_eq!(diff["post"][&sender]["nonce"].as_u64(), Some(nonce_before + 1));

    // Wasm → EVM, the callee reverting inside a Wasm frame that survives it.
    let r = caller.tryFailRemote(reg).send().await.unwrap().get_receipt().await.unwrap();
    assert!(r.status());
    let tree = rpc.ok("debug_traceTransaction", json!([r.transaction_hash, { "tracer": "callTracer" }])).await;
    assert_eq!(tree["vm"], "wasm", "{tree}");
    assert_eq!(tree["to"], json!(caller_addr));
    let inner = &tree["calls"][0];
    assert_eq!(inner["vm"], "evm", "{tree}");
    assert_eq!(inner["type"], "CALL");
    assert_eq!(inner["from"], json!(caller_addr));
    assert_eq!(inner["to"], json!(reg));
    assert_eq!(inner["error"], "execution reverted", "{tree}");
    assert!(inner["cycles"].as_u64().unwrap() > 0 && tree["cycles"].as_u64().unwrap() > 0);
    let top_only = rpc
        .ok(
            "debug_traceTransaction",
            json!([r.transaction_hash, { "tracer": "callTracer", "tracerConfig": { "onlyTopCall": true } }]),
        )
        .await;
    assert!(top_only.get("calls").is_none());

    // Whole blocks, by number and by hash: one entry per transaction.
    let block: Value = rpc.ok("eth_getBlockByHash", json!([r.block_hash, false])).await;
    let by_number = rpc.ok("debug_traceBlockByNumber", json!([block["number"], { "tracer": "callTracer" }])).await;
    assert_eq!(by_number, json!([{ "txHash": r.transaction_hash, "result": tree }]));
    let by_hash = rpc.ok("debug_traceBlockByHash", json!([r.block_hash, { "tracer": "callTracer" }])).await;
    assert_eq!(by_hash, by_number);

    // Unknown transaction, block and tracer.
    let e = rpc.err("debug_traceTransaction", json!([B256::repeat_byte(9)])).await;
    assert_eq!((e.code, e.message.as_str()), (-32000, "transaction not found"));
    let e = rpc.err("debug_traceBlockByNumber", json!(["0xffffff"])).await;
    assert_eq!(e.code, -32001);
    let e = rpc.err("debug_traceTransaction", json!([hash, { "tracer": "fourByteTracer" }])).await;
    assert_eq!(e.code, -32602);
}
