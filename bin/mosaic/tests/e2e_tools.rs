//! The e2e client scripts (Foundry's forge/cast, then viem; a cast deposit on the embedded L1) against a
//! spawned devnet. They need the pinned tools in `.tools/`: without them this test fails (it never passes
//! silently).
mod common;

use common::*;
use std::{
    io::Read,
    path::Path,
    process::{Command, Stdio},
    time::{Duration, Instant},
};

/// Runs a command in the repository root with a deadline; returns (success, stdout, stderr).
fn run(program: &str, args: &[&str], limit: Duration) -> (bool, String, String) {
    let mut child = Command::new(program)
        .args(args)
        .current_dir(repo_root())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run {program}: {e}"));
    let read = |mut pipe: Box<dyn Read + Send>| {
        std::thread::spawn(move || {
            let mut s = String::new();
            let _ = pipe.read_to_string(&mut s);
            s
        })
    };
    let out = read(Box::new(child.stdout.take().unwrap()));
    let err = read(Box::new(child.stderr.take().unwrap()));
    let deadline = Instant::now() + limit;
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait for child") {
            break Some(status);
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let (out, err) = (out.join().unwrap(), err.join().unwrap());
    let Some(status) = status else {
        panic!("{program} {args:?} did not finish within {limit:?}\nstdout:\n{out}\nstderr:\n{err}");
    };
    (status.success(), out, err)
}

fn require_tools() {
    let root = repo_root();
    let forge = root.join(".tools/node_modules/.bin/forge");
    assert!(
        forge.exists(),
        "{} is missing: run scripts/setup-tools.sh to install the pinned e2e tools (forge, cast, viem)",
        forge.display()
    );
    assert!(
        Command::new("node").arg("--version").output().is_ok_and(|o| o.status.success()),
        "`node` (>= 20) is not on PATH; it is needed by the e2e tools (see scripts/setup-tools.sh)"
    );
    assert!(Path::new(&root.join("e2e/foundry-erc20.sh")).exists());
}

#[test]
fn foundry_and_viem_erc20_scripts_pass() {
    require_tools();
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let node = DevNode::start(&["--block-time", "0"]);
    let url = node.http_url();
    let limit = Duration::from_secs(300);

    // Foundry: forge build + create, cast send/call/logs. Also builds the artifact viem reads.
    let (ok, out, err) = run("bash", &["e2e/foundry-erc20.sh", &url], limit);
    assert!(ok, "e2e/foundry-erc20.sh failed\nstdout:\n{out}\nstderr:\n{err}");
    assert!(out.lines().any(|l| l.trim() == "foundry-erc20: OK"), "no OK line\nstdout:\n{out}\nstderr:\n{err}");
    assert!(out.contains("foundry-erc20: deployed Token at"), "{out}");

    let (ok, out, err) = run("node", &["e2e/viem-erc20.mjs", &url], limit);
    assert!(ok, "e2e/viem-erc20.mjs failed\nstdout:\n{out}\nstderr:\n{err}");
    assert!(out.lines().any(|l| l.trim() == "viem-erc20: OK"), "no OK line\nstdout:\n{out}\nstderr:\n{err}");

    // The node is still healthy and the scripts really used it: dev account 0 sent transactions.
    rt.block_on(async {
        let rpc = node.rpc();
        // foundry: deploy, transfer, approve, reverted transfer; viem: deploy, transfer, approve.
        let nonce = rpc.nonce(dev(0).address(), "latest").await;
        assert!(nonce >= 7, "the scripts' 7 transactions landed here, nonce is {nonce}");
        assert!(rpc.block_number().await >= 7);
    });
}

#[test]
fn cast_deposits_on_the_embedded_l1_reach_l2() {
    require_tools();
    let node = DevNode::start(&["--block-time", "300ms", "--l1-block-time", "300ms"]);
    let (ok, out, err) = run("bash", &["e2e/cast-deposit.sh", &node.http_url()], Duration::from_secs(180));
    assert!(ok, "e2e/cast-deposit.sh failed\nstdout:\n{out}\nstderr:\n{err}");
    assert!(out.lines().any(|l| l.trim() == "cast-deposit: OK"), "no OK line\nstdout:\n{out}\nstderr:\n{err}");
    assert!(out.contains("L2 consumed the queue up to 2"), "{out}");
}

/// The standard predeploys serve the tools that expect them: `forge script` deploys a salted contract
/// through the CREATE2 deployer, viem's `multicall` reads through Multicall3 (e2e/predeploys.sh).
#[test]
fn forge_script_and_viem_multicall_use_the_standard_predeploys() {
    require_tools();
    let node = DevNode::start(&["--block-time", "0"]);
    let (ok, out, err) = run("bash", &["e2e/predeploys.sh", &node.http_url()], Duration::from_secs(300));
    assert!(ok, "e2e/predeploys.sh failed\nstdout:\n{out}\nstderr:\n{err}");
    assert!(out.lines().any(|l| l.trim() == "predeploys: OK"), "no OK line\nstdout:\n{out}\nstderr:\n{err}");
    assert!(out.contains("4 reads in one eth_call through Multicall3"), "{out}");
}

/// The predeploys' code is canonical: the CREATE2 deployer's is what its keyless deployment transaction
/// creates (and what anvil installs), Multicall3's what viem's creation code deploys. Pre-EIP-155
/// transactions are refused unless `--allow-unprotected-txs`.
#[test]
fn predeploys_are_canonical_and_unprotected_transactions_need_the_flag() {
    use alloy::{
        consensus::{transaction::SignerRecoverable, SignableTransaction, TxEnvelope, TxLegacy},
        eips::eip2718::{Decodable2718, Encodable2718},
        network::TxSignerSync,
        primitives::{Address, Bytes, TxKind, U256},
    };
    use mosaic_rollup::standard::{CREATE2_DEPLOYER, MULTICALL3};
    use serde_json::json;
    require_tools();
    // Arachnid's keyless deployment: signer 0x3fab…5362 (r = s = 0x22…22, v = 27), nonce 0, no chain id.
    const KEYLESS: &str = "0xf8a58085174876e800830186a08080b853604580600e600039806000f350fe7fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffe03601600081602082378035828234f58015156039578182fd5b8082525050506014600cf31ba02222222222222222222222222222222222222222222222222222222222222222a02222222222222222222222222222222222222222222222222222222222222222";
    let raw: Bytes = KEYLESS.parse().unwrap();
    let keyless = TxEnvelope::decode_2718(&mut raw.as_ref()).unwrap();
    let signer = keyless.recover_signer().unwrap();
    assert_eq!(signer.create(0), CREATE2_DEPLOYER, "the keyless transaction creates at the canonical address");
    let viem =
        std::fs::read_to_string(repo_root().join(".tools/node_modules/viem/_esm/constants/contracts.js")).unwrap();
    let start = viem.find("multicall3Bytecode = '").expect("viem ships Multicall3's creation code") + 22;
    let viem_multicall3: Bytes = viem[start..start + viem[start..].find('\'').unwrap()].parse().unwrap();

    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    rt.block_on(async {
        let node = DevNode::start(&["--block-time", "0"]);
        let rpc = node.rpc();
        let code = |a: Address| rpc.ok("eth_getCode", json!([a, "latest"]));
        // What the creation code deploys (run from a fresh account: the canonical address is taken).
        let created = |init: &Bytes| rpc.ok("eth_call", json!([{ "from": Address::repeat_byte(0x42), "data": init }]));
        assert_eq!(code(CREATE2_DEPLOYER).await, created(alloy::consensus::Transaction::input(&keyless)).await);
        assert_eq!(code(MULTICALL3).await, created(&viem_multicall3).await);
        let e = rpc.err("eth_sendRawTransaction", json!([raw])).await;
        assert_eq!(e.code, -32000);
        assert!(e.message.contains("EIP-155"), "{e:?}");

        // With the flag, an unprotected legacy transaction is admitted and runs.
        let node = DevNode::start(&["--block-time", "0", "--allow-unprotected-txs"]);
        let rpc = node.rpc();
        let key = dev(3);
        let mut tx = TxLegacy {
            chain_id: None,
            nonce: 0,
            gas_price: 10_000_000_000,
            gas_limit: 100_000,
            to: TxKind::Create,
            value: U256::ZERO,
            input: alloy::consensus::Transaction::input(&keyless).clone(),
        };
        let sig = key.sign_transaction_sync(&mut tx).unwrap();
        let raw = TxEnvelope::from(tx.into_signed(sig)).encoded_2718();
        let hash = rpc.ok("eth_sendRawTransaction", json!([Bytes::from(raw)])).await;
        let receipt = rpc.wait_receipt(serde_json::from_value(hash).unwrap()).await;
        assert_eq!(receipt["status"], "0x1");
        let at: Address = serde_json::from_value(receipt["contractAddress"].clone()).unwrap();
        assert_eq!(at, key.address().create(0));
        assert_eq!(
            rpc.ok("eth_getCode", json!([at, "latest"])).await,
            rpc.ok("eth_getCode", json!([CREATE2_DEPLOYER, "latest"])).await
        );
    });
}
