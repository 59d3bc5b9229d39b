//! The block explorer in a real browser: a devnet (embedded L1, quick batches) gets traffic — a plain
//! transfer and a Wasm contract calling a Solidity one — then headless Chromium (Debian's `chromium`,
//! installed by scripts/setup-chromium.sh) loads every page, the test checks what the rendered page
//! shows, and a screenshot of each page lands in `$CARGO_TARGET_TMPDIR/explorer/`.
mod common;

use alloy::{
    network::TransactionBuilder,
    primitives::{Address, TxKind, U256},
    providers::Provider,
    rpc::types::TransactionRequest,
};
use common::*;
use serde_json::{json, Value};
use std::{
    path::{Path, PathBuf},
    process::Command,
};

alloy::sol!(
    #[sol(rpc)]
    Registry,
    "tests/fixtures/Registry.json"
);

alloy::sol! {
    /// wasm/examples/caller.
    #[sol(rpc)]
    interface WasmCaller {
        function setRemote(address registry, uint256 v) external returns (uint256 previous);
    }
}

/// Chromium's path, installing it first if needed.
fn chromium() -> String {
    let out = Command::new("bash")
        .arg(repo_root().join("scripts/setup-chromium.sh"))
        .output()
        .expect("run scripts/setup-chromium.sh");
    assert!(out.status.success(), "scripts/setup-chromium.sh failed:\n{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

/// Loads `url` in headless Chromium, lets the page's requests finish (virtual time waits for the
/// network), writes a screenshot to `png` and returns the rendered DOM.
fn load(browser: &str, url: &str, png: &Path) -> String {
    let run = |mode: &str| {
        let out = Command::new(browser)
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-dev-shm-usage",
                "--hide-scrollbars",
                "--no-first-run",
                "--window-size=1280,1100",
                "--virtual-time-budget=15000",
                mode,
                url,
            ])
            .output()
            .expect("run chromium");
        assert!(out.status.success(), "chromium {mode} {url} failed:\n{}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8(out.stdout).unwrap()
    };
    run(&format!("--screenshot={}", png.display()));
    assert!(std::fs::metadata(png).map(|m| m.len() > 10_000).unwrap_or(false), "no screenshot at {}", png.display());
    run("--dump-dom")
}

fn text_of(dom: &str) -> String {
    // Tags out, entities of the escaped values back: what a reader sees, in one line.
    let mut out = String::with_capacity(dom.len());
    let mut in_tag = false;
    for c in dom.chars() {
        match c {
            '<' => in_tag = true,
            '>' => {
                in_tag = false;
                out.push(' ');
            }
            _ if !in_tag => out.push(c),
            _ => {}
        }
    }
    out.replace("&amp;", "&").replace("&lt;", "<").replace("&gt;", ">").split_whitespace().collect::<Vec<_>>().join(" ")
}

struct Page {
    dom: String,
    text: String,
}

impl Page {
    fn open(browser: &str, base: &str, route: &str, name: &str, shots: &Path) -> Self {
        let dom = load(browser, &format!("{base}/explorer#/{route}"), &shots.join(format!("{name}.png")));
        let text = text_of(&dom);
        Self { dom, text }
    }

    fn ready(&self, page: &str) -> &Self {
        assert!(self.dom.contains(&format!("data-ready=\"{page}\"")), "page {page} did not finish:\n{}", self.text);
        self
    }

    fn shows(&self, what: &str) -> &Self {
        assert!(self.text.contains(what), "the page does not show {what:?}:\n{}", self.text);
        self
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn explorer_pages_show_blocks_transactions_call_trees_accounts_and_batches() {
    let browser = chromium();
    let shots: PathBuf = Path::new(env!("CARGO_TARGET_TMPDIR")).join("explorer");
    std::fs::create_dir_all(&shots).unwrap();

    let node = fast_devnet(&["--challenge-window", "2"]);
    let rpc = node.rpc();
    let base = node.http_url().trim_end_matches('/').to_string();

    // Traffic: a transfer, then a Wasm contract that calls a Solidity one.
    let to = random_address();
    let transfer =
        rpc.send_raw(&signed_transfer(&dev(0), 0, to, U256::from(123_000_000_000_000_000u64))).await.unwrap();
    let transfer_receipt = rpc.wait_receipt(transfer).await;
    let wallet = node.wallet(&dev(1));
    let registry = Registry::deploy(wallet.clone()).await.expect("deploy Registry");
    let module = wasm_module("caller");
    let create =
        TransactionRequest::default().with_kind(TxKind::Create).with_input(module.clone()).with_gas_limit(10_000_000);
    let pending = wallet.send_transaction(create).await.expect("deploy the Wasm caller");
    let created = rpc.wait_receipt(*pending.tx_hash()).await;
    let caller: Address = serde_json::from_value(created["contractAddress"].clone()).unwrap();
    let call = WasmCaller::new(caller, wallet).setRemote(*registry.address(), U256::from(7)).send().await.unwrap();
    let cross_vm = *call.tx_hash();
    let receipt = rpc.wait_receipt(cross_vm).await;
    assert_eq!(receipt["status"], "0x1", "{receipt}");
    let block = hex_u64(&receipt["blockNumber"]);

    // A batch holding all of it, committed on the embedded L1.
    let batch = poll_until("a batch up to the cross-VM call", async || {
        let status = rpc.ok("mosaic_rollupStatus", json!([])).await;
        let last = status["lastBatch"].clone();
        (last["lastBlock"].as_u64().is_some_and(|l| l >= block)).then_some(last)
    })
    .await;
    let index = batch["index"].as_u64().unwrap();

    // Overview: the latest blocks and transactions, and the batch with its L1 status.
    let overview = Page::open(&browser, &base, "", "overview", &shots);
    overview
        .ready("overview")
        .shows("Latest blocks")
        .shows("Latest transactions")
        .shows(&format!("Chain ID {CHAIN_ID}"))
        .shows(&format!("#{index}"))
        .shows("Proofs in progress");
    assert!(
        overview.dom.contains(&format!("#/tx/{cross_vm}")),
        "the cross-VM call is not among the latest transactions"
    );
    assert!(
        ["committed", "finalized"].iter().any(|s| overview.dom.contains(&format!("st-{s}"))),
        "no L1 status badge:\n{}",
        overview.text
    );

    // The cross-VM transaction: receipt, both VMs in the call tree with gas and cycles, the logs.
    let tx = Page::open(&browser, &base, &format!("tx/{cross_vm}"), "transaction", &shots);
    tx.ready("tx").shows("success").shows("Call tree").shows("WASM").shows("EVM").shows("cycles").shows("Logs");
    let trace = rpc.ok("debug_traceTransaction", json!([cross_vm, { "tracer": "callTracer" }])).await;
    assert_eq!(trace["vm"], "wasm");
    assert_eq!(trace["calls"][0]["vm"], "evm");
    let wasm_cycles = trace["cycles"].as_u64().unwrap();
    assert!(wasm_cycles > 0);
    assert!(tx.text.contains(&format!("cycles {wasm_cycles}")), "the Wasm frame's cycles are not shown:\n{}", tx.text);
    let frame_gas = hex_u64(&trace["gasUsed"]);
    assert!(tx.text.contains(&format!("gas {frame_gas}")), "the Wasm frame's gas is not shown:\n{}", tx.text);
    for log in receipt["logs"].as_array().unwrap() {
        let topic = log["topics"][0].as_str().unwrap();
        assert!(tx.text.contains(topic), "log topic {topic} is not shown");
    }

    // The plain transfer: its value.
    Page::open(&browser, &base, &format!("tx/{transfer}"), "transfer", &shots)
        .ready("tx")
        .shows("0.123 ETH")
        .shows(&format!("Block {}", hex_u64(&transfer_receipt["blockNumber"])));

    // Accounts and contracts: the VM and code size of each.
    let code_len = |c: &Value| (c.as_str().unwrap().len() - 2) / 2;
    let wasm_code = rpc.ok("eth_getCode", json!([caller, "latest"])).await;
    Page::open(&browser, &base, &format!("address/{caller}"), "wasm-contract", &shots)
        .ready("address")
        .shows("Contract")
        .shows("WASM")
        .shows(&format!("{} bytes", fmt_thousands(code_len(&wasm_code))));
    let evm_code = rpc.ok("eth_getCode", json!([registry.address(), "latest"])).await;
    Page::open(&browser, &base, &format!("address/{}", registry.address()), "evm-contract", &shots)
        .ready("address")
        .shows("EVM")
        .shows(&format!("{} bytes", fmt_thousands(code_len(&evm_code))));
    Page::open(&browser, &base, &format!("address/{to}"), "account", &shots)
        .ready("address")
        .shows("Account")
        .shows("0.123 ETH")
        .shows("none (no code)");

    // A block, and the batch with its L1 transaction and proof status.
    Page::open(&browser, &base, &format!("block/{block}"), "block", &shots)
        .ready("block")
        .shows(&format!("Block {block}"))
        .shows(receipt["blockHash"].as_str().unwrap());
    let record = rpc.ok("mosaic_getBatch", json!([format!("0x{index:x}")])).await;
    Page::open(&browser, &base, &format!("batch/{index}"), "batch", &shots)
        .ready("batch")
        .shows(&format!("Batch {index}"))
        .shows("L1 status")
        .shows(record["l1Tx"].as_str().unwrap());
    Page::open(&browser, &base, "batches", "batches", &shots).ready("batches").shows(&format!("#{index}"));

    // Bad input gets a clear message, not a blank page.
    Page::open(&browser, &base, "block/999999", "missing-block", &shots).ready("error").shows("no block 999999");

    for name in ["overview", "transaction", "wasm-contract", "evm-contract", "account", "block", "batch", "batches"] {
        assert!(shots.join(format!("{name}.png")).exists());
    }
    println!("explorer screenshots: {}", shots.display());

    // Off when asked: the RPC server has no page there.
    let quiet = DevNode::start(&["--block-time", "0", "--no-l1", "--no-explorer"]);
    let status = reqwest::get(format!("{}/explorer", quiet.http_url().trim_end_matches('/'))).await.unwrap().status();
    assert_ne!(status.as_u16(), 200, "--no-explorer still serves the page");
    let served = reqwest::get(format!("{base}/explorer")).await.unwrap();
    assert_eq!(served.status().as_u16(), 200);
    assert!(served.text().await.unwrap().contains("/explorer/explorer.js"));
}

/// `n` with thousands separators, as the page's `toLocaleString("en")` writes it.
fn fmt_thousands(n: usize) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}
