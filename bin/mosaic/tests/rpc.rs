//! The Ethereum JSON-RPC surface of `mosaic devnet`, driven by alloy and raw JSON-RPC: identity,
//! accounts, transfers of every supported type, nonces and replacement, blocks/receipts, fees, and
//! an ERC-20 contract (deploy, calls, logs, reverts, gas estimation, storage).
mod common;

use alloy::{
    consensus::TxEip2930,
    eips::{BlockId, BlockNumberOrTag},
    network::TransactionBuilder,
    primitives::{Address, Bytes, TxKind, B256, U256},
    providers::Provider,
    rpc::types::{AccessList, AccessListItem, Filter, TransactionRequest},
    sol_types::{SolCall, SolConstructor, SolError, SolEvent},
};
use common::*;
use serde_json::{json, Value};

fn gwei(n: u64) -> u128 {
    n as u128 * 1_000_000_000
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn identity_accounts_and_fee_suggestions() {
    let node = DevNode::start(&["--block-time", "0"]);
    let rpc = node.rpc();
    let provider = node.provider();

    assert_eq!(provider.get_chain_id().await.unwrap(), CHAIN_ID);
    assert_eq!(rpc.ok("eth_chainId", json!([])).await, json!("0x67932"));
    assert_eq!(rpc.ok("net_version", json!([])).await, json!(CHAIN_ID.to_string()));
    assert_eq!(rpc.ok("net_listening", json!([])).await, json!(true));
    let version = provider.get_client_version().await.unwrap();
    assert!(version.starts_with("mosaic/v"), "web3_clientVersion: {version}");
    assert_eq!(rpc.ok("eth_syncing", json!([])).await, json!(false));

    let expected: Vec<Address> = dev_signers().iter().map(|s| s.address()).collect();
    assert_eq!(provider.get_accounts().await.unwrap(), expected, "eth_accounts lists the dev accounts in order");
    for addr in &expected {
        assert_eq!(provider.get_balance(*addr).await.unwrap(), dev_balance(), "genesis balance of {addr}");
        assert_eq!(rpc.nonce(*addr, "latest").await, 0);
    }
    assert_eq!(provider.get_balance(random_address()).await.unwrap(), U256::ZERO);

    // Suggestions: tip is the constant; gas price = next base fee + tip, where the next base fee is the
    // last entry of eth_feeHistory.
    let tip = provider.get_max_priority_fee_per_gas().await.unwrap();
    assert_eq!(tip, SUGGESTED_TIP);
    let gas_price = provider.get_gas_price().await.unwrap();
    let history = provider.get_fee_history(1, BlockNumberOrTag::Latest, &[]).await.unwrap();
    let next_base = *history.base_fee_per_gas.last().unwrap();
    assert_eq!(gas_price, next_base + tip, "eth_gasPrice = next base fee + tip");
    assert!(next_base >= MIN_BASE_FEE as u128);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn block_number_advances_with_block_time() {
    let node = DevNode::start(&["--block-time", "1s"]);
    let rpc = node.rpc();
    let start = rpc.block_number().await;
    let head = rpc.wait_block(start + 2).await;
    assert!(head >= start + 2);
    // The blocks form a chain: parent hashes link, numbers and timestamps never go backwards.
    let mut prev = rpc.block(0).await;
    assert_eq!(prev["number"], "0x0");
    for n in 1..=head {
        let b = rpc.block(n).await;
        assert_eq!(hex_u64(&b["number"]), n);
        assert_eq!(b["parentHash"], prev["hash"], "block {n} parent");
        assert!(hex_u64(&b["timestamp"]) >= hex_u64(&prev["timestamp"]), "block {n} timestamp");
        assert_eq!(b["transactions"], json!([]), "idle blocks are empty");
        prev = b;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn eip1559_transfer_with_wallet_provider() {
    let node = DevNode::start(&["--block-time", "0"]);
    let rpc = node.rpc();
    let sender = dev(1);
    let wallet = node.wallet(&sender);
    let to = random_address();
    let value = U256::from(123_456_789_000_000u64);

    let before = rpc.balance(sender.address()).await;
    let pending = wallet.send_transaction(TransactionRequest::default().with_to(to).with_value(value)).await.unwrap();
    let hash = *pending.tx_hash();
    let receipt = wait_receipt_via(&wallet, hash).await;
    assert!(receipt.status(), "transfer succeeded");
    assert_eq!(receipt.gas_used, TRANSFER_GAS);
    assert_eq!(receipt.from, sender.address());
    assert_eq!(receipt.to, Some(to));
    assert_eq!(receipt.contract_address, None);

    let tx = wallet.get_transaction_by_hash(hash).await.unwrap().expect("tx by hash");
    let raw_tx = rpc.ok("eth_getTransactionByHash", json!([hash])).await;
    assert_eq!(raw_tx["type"], "0x2", "alloy's wallet sends EIP-1559 by default");
    assert_eq!(hex_u64(&raw_tx["chainId"]), CHAIN_ID);
    let block = rpc.block(receipt.block_number.unwrap()).await;
    let base_fee = hex_u64(&block["baseFeePerGas"]) as u128;
    let max_fee = hex_u256(&raw_tx["maxFeePerGas"]).to::<u128>();
    let tip = hex_u256(&raw_tx["maxPriorityFeePerGas"]).to::<u128>();
    assert_eq!(receipt.effective_gas_price, max_fee.min(base_fee + tip), "effective gas price");
    assert_eq!(tx.effective_gas_price, Some(receipt.effective_gas_price));

    let after = rpc.balance(sender.address()).await;
    let cost = value + U256::from(receipt.gas_used) * U256::from(receipt.effective_gas_price);
    assert_eq!(before - after, cost, "sender pays value + gasUsed * effectiveGasPrice exactly");
    assert_eq!(rpc.balance(to).await, value, "recipient receives the value exactly");
    assert_eq!(rpc.nonce(sender.address(), "latest").await, 1);
    // The old balance is still readable at the parent block.
    let parent = format!("{:#x}", receipt.block_number.unwrap() - 1);
    assert_eq!(rpc.balance_at(sender.address(), json!(parent)).await, before);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn legacy_and_eip2930_transfers() {
    let node = DevNode::start(&["--block-time", "0"]);
    let rpc = node.rpc();
    let sender = dev(2);
    let to = random_address();
    let gas_price = gwei(5);

    // EIP-155 legacy.
    let raw = sign(&sender, transfer_legacy(0, to, U256::from(1_000u64), gas_price, Some(CHAIN_ID)));
    let legacy_hash = rpc.send_raw(&raw).await.unwrap();
    let receipt = rpc.wait_receipt(legacy_hash).await;
    assert_eq!(receipt["status"], "0x1");
    assert_eq!(receipt["type"], "0x0");
    assert_eq!(hex_u64(&receipt["effectiveGasPrice"]) as u128, gas_price, "legacy pays its gas price");
    let tx = rpc.ok("eth_getTransactionByHash", json!([legacy_hash])).await;
    assert_eq!(tx["type"], "0x0");
    let v = hex_u64(&tx["v"]);
    assert!(v == CHAIN_ID * 2 + 35 || v == CHAIN_ID * 2 + 36, "EIP-155 v, got {v}");
    assert_eq!(tx["from"], json!(sender.address()));
    assert_eq!(tx["input"], "0x");

    // EIP-2930 with a non-empty access list (21000 + 2400 per address + 1900 per key).
    let access_list = AccessList(vec![AccessListItem { address: to, storage_keys: vec![B256::ZERO] }]);
    let tx2930 = TxEip2930 {
        chain_id: CHAIN_ID,
        nonce: 1,
        gas_price,
        gas_limit: 30_000,
        to: TxKind::Call(to),
        value: U256::from(2_000u64),
        access_list,
        input: Bytes::new(),
    };
    let hash2930 = rpc.send_raw(&sign(&sender, tx2930)).await.unwrap();
    let receipt = rpc.wait_receipt(hash2930).await;
    assert_eq!(receipt["status"], "0x1");
    assert_eq!(receipt["type"], "0x1");
    assert_eq!(hex_u64(&receipt["gasUsed"]), 21_000 + 2_400 + 1_900, "access list gas is charged");
    let tx = rpc.ok("eth_getTransactionByHash", json!([hash2930])).await;
    assert_eq!(tx["type"], "0x1");
    assert_eq!(tx["accessList"][0]["address"], json!(to));

    assert_eq!(rpc.balance(to).await, U256::from(3_000u64));
    assert_eq!(rpc.nonce(sender.address(), "latest").await, 2);
    // Typed alloy parsing of both shapes works too.
    let provider = node.provider();
    for h in [legacy_hash, hash2930] {
        let r = provider.get_transaction_receipt(h).await.unwrap().unwrap();
        assert!(r.status());
        assert!(provider.get_transaction_by_hash(h).await.unwrap().is_some());
    }
}

/// Future nonces wait in the pool; filling the gap releases all of them, in nonce order. With an
/// interval block time they all become ready at once, so the block holds several transactions, which
/// the consistency checks of blocks, receipts and transactions then cover.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nonce_gap_then_fill_and_block_receipt_consistency() {
    let node = DevNode::start(&["--block-time", "300ms"]);
    let rpc = node.rpc();
    let sender = dev(3);
    let addr = sender.address();
    let to = random_address();

    let future: Vec<B256> = {
        let mut v = Vec::new();
        for nonce in 1..=3 {
            v.push(rpc.send_raw(&signed_transfer(&sender, nonce, to, U256::from(nonce))).await.unwrap());
        }
        v
    };
    assert_eq!(rpc.nonce(addr, "latest").await, 0);
    assert_eq!(rpc.nonce(addr, "pending").await, 0, "a nonce gap does not count as pending");
    for h in &future {
        let tx = rpc.ok("eth_getTransactionByHash", json!([h])).await;
        assert_eq!(tx["hash"], json!(h), "future tx is retrievable while it waits");
        assert!(tx["blockNumber"].is_null() && tx["blockHash"].is_null() && tx["transactionIndex"].is_null());
    }
    // Two more blocks pass; the future transactions stay out.
    let now = rpc.block_number().await;
    rpc.wait_block(now + 2).await;
    for h in &future {
        assert!(rpc.ok("eth_getTransactionReceipt", json!([h])).await.is_null(), "future tx was included");
    }

    let first = rpc.send_raw(&signed_transfer(&sender, 0, to, U256::from(100u64))).await.unwrap();
    let hashes: Vec<B256> = std::iter::once(first).chain(future).collect();
    let mut receipts = Vec::new();
    for h in &hashes {
        receipts.push(rpc.wait_receipt(*h).await);
    }
    // Included in nonce order.
    let position = |r: &Value| (hex_u64(&r["blockNumber"]), hex_u64(&r["transactionIndex"]));
    for w in receipts.windows(2) {
        assert!(position(&w[0]) < position(&w[1]), "nonce order: {:?} then {:?}", position(&w[0]), position(&w[1]));
    }
    assert_eq!(rpc.nonce(addr, "latest").await, 4);
    assert_eq!(rpc.nonce(addr, "pending").await, 4);
    assert_eq!(rpc.balance(to).await, U256::from(106u64));

    // They all became ready at once, so they share one block; all views of it agree.
    let mut blocks: Vec<u64> = receipts.iter().map(|r| hex_u64(&r["blockNumber"])).collect();
    blocks.dedup();
    assert_eq!(blocks.len(), 1, "all four in the block after the gap closed: {blocks:?}");
    for n in blocks {
        let by_number = rpc.ok("eth_getBlockByNumber", json!([format!("{n:#x}"), false])).await;
        let hash = by_number["hash"].clone();
        let by_hash = rpc.ok("eth_getBlockByHash", json!([hash, false])).await;
        assert_eq!(by_number, by_hash, "block {n} by number and by hash");
        let full = rpc.ok("eth_getBlockByNumber", json!([format!("{n:#x}"), true])).await;
        let tx_hashes = by_number["transactions"].as_array().unwrap().clone();
        let count = rpc.ok("eth_getBlockTransactionCountByNumber", json!([format!("{n:#x}")])).await;
        assert_eq!(hex_u64(&count), tx_hashes.len() as u64);
        let block_receipts = rpc.ok("eth_getBlockReceipts", json!([format!("{n:#x}")])).await;
        let block_receipts_by_hash = rpc.ok("eth_getBlockReceipts", json!([{ "blockHash": hash }])).await;
        assert_eq!(block_receipts, block_receipts_by_hash);
        let block_receipts = block_receipts.as_array().unwrap();
        assert_eq!(block_receipts.len(), tx_hashes.len());
        let mut cumulative = 0;
        for (i, h) in tx_hashes.iter().enumerate() {
            let tx = rpc.ok("eth_getTransactionByHash", json!([h])).await;
            assert_eq!(full["transactions"][i], tx, "full block tx {i} = eth_getTransactionByHash");
            assert_eq!(tx["blockHash"], hash);
            assert_eq!(hex_u64(&tx["blockNumber"]), n);
            assert_eq!(hex_u64(&tx["transactionIndex"]), i as u64);
            let receipt = rpc.ok("eth_getTransactionReceipt", json!([h])).await;
            assert_eq!(block_receipts[i], receipt, "eth_getBlockReceipts[{i}] = eth_getTransactionReceipt");
            assert_eq!(receipt["transactionHash"], *h);
            assert_eq!(receipt["blockHash"], hash);
            let used = hex_u64(&receipt["gasUsed"]);
            cumulative += used;
            assert_eq!(hex_u64(&receipt["cumulativeGasUsed"]), cumulative, "cumulative gas of tx {i}");
        }
        assert_eq!(hex_u64(&by_number["gasUsed"]), cumulative, "block gasUsed = sum of receipts");
    }
    // Unknown blocks and transactions are null, not errors.
    let future_block = format!("{:#x}", rpc.block_number().await + 1000);
    assert!(rpc.ok("eth_getBlockByNumber", json!([future_block, false])).await.is_null());
    assert!(rpc.ok("eth_getBlockByHash", json!([B256::repeat_byte(7), false])).await.is_null());
    assert!(rpc.ok("eth_getTransactionByHash", json!([B256::repeat_byte(7)])).await.is_null());
    assert!(rpc.ok("eth_getTransactionReceipt", json!([B256::repeat_byte(7)])).await.is_null());
}

/// A transaction priced under the base fee waits in the pool: `pending` counts it, `latest` does not.
/// Replacing it needs at least +10% on both fee cap and tip.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pending_nonce_and_fee_bump_replacement() {
    let node = DevNode::start(&["--block-time", "0"]);
    let rpc = node.rpc();
    let sender = dev(4);
    let addr = sender.address();
    let to = random_address();
    let base_fee = rpc.latest_base_fee().await;
    let cap = 2 * MIN_BASE_FEE as u128;
    assert!(cap * 2 < base_fee, "test needs a base fee well above {cap}, got {base_fee}");

    let tip = cap / 2;
    let low = sign(&sender, transfer_1559(0, to, U256::from(1u64), cap, tip));
    let low_hash = rpc.send_raw(&low).await.unwrap();
    assert_eq!(rpc.nonce(addr, "latest").await, 0);
    assert_eq!(rpc.nonce(addr, "pending").await, 1, "the waiting tx counts as pending");
    let waiting = rpc.ok("eth_getTransactionByHash", json!([low_hash])).await;
    assert!(waiting["blockNumber"].is_null());

    // Resending the same bytes is "already known".
    let e = rpc.send_raw(&low).await.unwrap_err();
    assert_rpc_error(&e, -32000, "already known");
    // +5% on both: not enough.
    let raw = sign(&sender, transfer_1559(0, to, U256::from(2u64), cap * 105 / 100, tip * 105 / 100));
    assert_rpc_error(&rpc.send_raw(&raw).await.unwrap_err(), -32000, "replacement transaction underpriced");
    // +10% on the cap only: not enough either, the tip must be bumped too.
    let raw = sign(&sender, transfer_1559(0, to, U256::from(2u64), cap * 110 / 100, tip));
    assert_rpc_error(&rpc.send_raw(&raw).await.unwrap_err(), -32000, "replacement transaction underpriced");
    assert!(rpc.ok("eth_getTransactionByHash", json!([low_hash])).await.is_object(), "original still waits");

    // +10% on both: replaces (still below the base fee, so it keeps waiting).
    let bumped = sign(&sender, transfer_1559(0, to, U256::from(3u64), cap * 110 / 100, tip * 110 / 100));
    let bumped_hash = rpc.send_raw(&bumped).await.unwrap();
    assert!(rpc.ok("eth_getTransactionByHash", json!([low_hash])).await.is_null(), "replaced tx is gone");
    assert!(rpc.ok("eth_getTransactionByHash", json!([bumped_hash])).await.is_object());
    assert_eq!(rpc.nonce(addr, "pending").await, 1);

    // A properly priced replacement gets included; the replaced ones never are.
    let good = sign(&sender, transfer_1559(0, to, U256::from(4u64), base_fee * 4, gwei(1)));
    let good_hash = rpc.send_raw(&good).await.unwrap();
    let receipt = rpc.wait_receipt(good_hash).await;
    assert_eq!(receipt["status"], "0x1");
    assert_eq!(rpc.nonce(addr, "latest").await, 1);
    assert_eq!(rpc.nonce(addr, "pending").await, 1);
    assert_eq!(rpc.balance(to).await, U256::from(4u64));
    for h in [low_hash, bumped_hash] {
        assert!(rpc.ok("eth_getTransactionReceipt", json!([h])).await.is_null());
        assert!(rpc.ok("eth_getTransactionByHash", json!([h])).await.is_null());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fee_history_shape() {
    let node = DevNode::start(&["--block-time", "0"]);
    let rpc = node.rpc();
    let provider = node.provider();
    let sender = dev(5);

    // Near genesis fewer blocks exist than asked for: every array is sized by the blocks covered.
    let h = rpc.ok("eth_feeHistory", json!(["0xa", "latest", [10.0, 90.0]])).await;
    assert_eq!(h["oldestBlock"], "0x0");
    assert_eq!(h["gasUsedRatio"].as_array().unwrap().len(), 1);
    assert_eq!(h["baseFeePerGas"].as_array().unwrap().len(), 2);
    assert_eq!(h["baseFeePerBlobGas"].as_array().unwrap().len(), 2, "{h}");
    assert_eq!(h["blobGasUsedRatio"].as_array().unwrap().len(), 1, "{h}");
    assert_eq!(h["reward"], json!([["0x0", "0x0"]]));

    // Three blocks, one transfer each with different tips (block time 0).
    let tips = [gwei(1), gwei(2), gwei(3)];
    for (nonce, tip) in tips.iter().enumerate() {
        let raw = sign(&sender, transfer_1559(nonce as u64, random_address(), U256::from(1u64), gwei(100), *tip));
        let hash = rpc.send_raw(&raw).await.unwrap();
        rpc.wait_receipt(hash).await;
    }
    let head = rpc.block_number().await;
    assert_eq!(head, 3);
    let h = provider.get_fee_history(3, BlockNumberOrTag::Latest, &[25.0, 75.0]).await.unwrap();
    assert_eq!(h.oldest_block, 1);
    assert_eq!(h.base_fee_per_gas.len(), 4);
    assert_eq!(h.gas_used_ratio.len(), 3);
    let rewards = h.reward.as_ref().expect("rewards requested");
    assert_eq!(rewards.len(), 3);
    for (i, n) in (1..=3u64).enumerate() {
        let b = rpc.block(n).await;
        assert_eq!(h.base_fee_per_gas[i], hex_u64(&b["baseFeePerGas"]) as u128, "base fee of block {n}");
        let ratio = hex_u64(&b["gasUsed"]) as f64 / hex_u64(&b["gasLimit"]) as f64;
        assert!((h.gas_used_ratio[i] - ratio).abs() < 1e-12, "gas used ratio of block {n}");
        // One tx per block: both percentiles are its tip.
        assert_eq!(rewards[i], vec![tips[i], tips[i]], "rewards of block {n}");
    }
    // The extra entry is the next block's base fee: what eth_gasPrice builds on.
    let next = h.base_fee_per_gas[3];
    assert_eq!(provider.get_gas_price().await.unwrap(), next + SUGGESTED_TIP);
    // Without percentiles there is no reward field; percentiles must ascend.
    let raw = rpc.ok("eth_feeHistory", json!(["0x2", "latest"])).await;
    assert!(raw.get("reward").is_none() || raw["reward"].is_null(), "{raw}");
    let e = rpc.err("eth_feeHistory", json!(["0x2", "latest", [90.0, 10.0]])).await;
    assert_rpc_error(&e, -32602, "percentiles");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn eth_send_transaction_from_unlocked_account() {
    let node = DevNode::start(&["--block-time", "0"]);
    let rpc = node.rpc();
    let from = dev(6).address();
    let to = random_address();
    let hash = rpc.ok("eth_sendTransaction", json!([{ "from": from, "to": to, "value": "0x2a" }])).await;
    let receipt = rpc.wait_receipt(hex_b256(&hash)).await;
    assert_eq!(receipt["status"], "0x1");
    assert_eq!(receipt["from"], json!(from));
    assert_eq!(rpc.balance(to).await, U256::from(42u64));
    assert_eq!(rpc.nonce(from, "latest").await, 1);
    // Without `to` it deploys a contract (gas estimated by the node).
    let ctor = Token::constructorCall::new(("Dev Token".to_string(), "DEV".to_string(), token_supply()));
    let init = Bytes::from([Token::BYTECODE.to_vec(), ctor.abi_encode()].concat());
    let hash = rpc.ok("eth_sendTransaction", json!([{ "from": from, "data": init }])).await;
    let receipt = rpc.wait_receipt(hex_b256(&hash)).await;
    assert_eq!(receipt["status"], "0x1");
    assert_eq!(receipt["to"], Value::Null);
    let created: Address = serde_json::from_value(receipt["contractAddress"].clone()).unwrap();
    assert_eq!(created, from.create(1), "CREATE address of (sender, nonce 1)");
    let code = rpc.ok("eth_getCode", json!([created, "latest"])).await;
    assert_eq!(code, json!(Token::DEPLOYED_BYTECODE));
    // Accounts the node holds no key for are refused.
    let stranger = random_address();
    let e = rpc.err("eth_sendTransaction", json!([{ "from": stranger, "to": to, "value": "0x1" }])).await;
    assert_rpc_error(&e, -32000, "unknown account");
    assert_eq!(rpc.block_number().await, 2, "nothing else was included");
}

/// Wallets send from an unlocked account back to back, without `gas`, before the first transaction is
/// in a block: each estimate runs with the account's next pending nonce, above its state nonce.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn eth_send_transaction_back_to_back_without_gas() {
    let node = DevNode::start(&["--block-time", "3s"]);
    let rpc = node.rpc();
    let from = dev(7).address();
    let to = random_address();
    let ctor = Token::constructorCall::new(("Dev Token".to_string(), "DEV".to_string(), token_supply()));
    let init = Bytes::from([Token::BYTECODE.to_vec(), ctor.abi_encode()].concat());
    let mut hashes = Vec::new();
    for req in [
        json!({ "from": from, "to": to, "value": "0x1" }),
        json!({ "from": from, "data": init }),
        json!({ "from": from, "to": to, "value": "0x2" }),
    ] {
        hashes.push(rpc.ok("eth_sendTransaction", json!([req])).await);
    }
    assert_eq!(rpc.nonce(from, "pending").await, 3, "three accepted before a block");
    assert_eq!(rpc.nonce(from, "latest").await, 0, "none in a block yet");
    // An explicit future nonce estimates too (geth and anvil skip the nonce check when estimating).
    let est = rpc.ok("eth_estimateGas", json!([{ "from": from, "to": to, "value": "0x1", "nonce": "0x9" }])).await;
    assert_eq!(hex_u64(&est), 21_000);
    let call = rpc.ok("eth_call", json!([{ "from": from, "to": to, "nonce": "0x9" }, "latest"])).await;
    assert_eq!(call, json!("0x"));
    for (i, hash) in hashes.iter().enumerate() {
        let receipt = rpc.wait_receipt(hex_b256(hash)).await;
        assert_eq!(receipt["status"], "0x1", "transaction {i}: {receipt}");
    }
    assert_eq!(rpc.balance(to).await, U256::from(3u64));
    assert_eq!(rpc.nonce(from, "latest").await, 3);
}

/// The pool as geth's `txpool_*` show it, block-and-index lookups, and signing for unlocked accounts.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn txpool_index_lookups_and_signing() {
    let node = DevNode::start(&["--block-time", "3s"]);
    let rpc = node.rpc();
    let (a, b) = (dev(4), dev(5));
    let to = random_address();
    let h0 = rpc.send_raw(&signed_transfer(&a, 0, to, U256::from(1))).await.unwrap();
    let h1 = rpc.send_raw(&signed_transfer(&a, 1, to, U256::from(2))).await.unwrap();
    // A nonce gap: queued, not pending.
    let gapped = rpc.send_raw(&signed_transfer(&b, 5, to, U256::from(3))).await.unwrap();
    assert_eq!(rpc.ok("txpool_status", json!([])).await, json!({ "pending": "0x2", "queued": "0x1" }));
    let content = rpc.ok("txpool_content", json!([])).await;
    let of_a = &content["pending"][a.address().to_string()];
    assert_eq!(of_a["0"]["hash"], json!(h0), "{content}");
    assert_eq!(of_a["1"]["hash"], json!(h1));
    assert_eq!(content["queued"][b.address().to_string()]["5"]["hash"], json!(gapped));
    let from_b = rpc.ok("txpool_contentFrom", json!([b.address()])).await;
    assert_eq!(from_b["pending"], json!({}));
    assert_eq!(from_b["queued"]["5"]["nonce"], "0x5");

    // Once included: by block and index, and the count by hash.
    let receipt = rpc.wait_receipt(h1).await;
    let (number, hash) = (receipt["blockNumber"].clone(), receipt["blockHash"].clone());
    let index = receipt["transactionIndex"].clone();
    let by_number = rpc.ok("eth_getTransactionByBlockNumberAndIndex", json!([number, index])).await;
    let by_hash = rpc.ok("eth_getTransactionByBlockHashAndIndex", json!([hash, index])).await;
    assert_eq!(by_number["hash"], json!(h1));
    assert_eq!(by_number, by_hash);
    assert_eq!(by_number, rpc.ok("eth_getTransactionByHash", json!([h1])).await);
    assert_eq!(rpc.ok("eth_getBlockTransactionCountByHash", json!([hash])).await, "0x2");
    assert_eq!(rpc.ok("eth_getTransactionByBlockNumberAndIndex", json!([number, "0x63"])).await, Value::Null);
    assert_eq!(rpc.ok("eth_getBlockTransactionCountByHash", json!([B256::repeat_byte(7)])).await, Value::Null);
    assert_eq!(rpc.ok("txpool_status", json!([])).await, json!({ "pending": "0x0", "queued": "0x1" }));

    // eth_sign: an EIP-191 signature by the unlocked account.
    let signer = dev(6).address();
    let sig = rpc.ok("eth_sign", json!([signer, "0xdeadbeef"])).await;
    let sig: alloy::primitives::Signature = hex_bytes(&sig).as_slice().try_into().unwrap();
    assert_eq!(sig.recover_address_from_msg([0xde, 0xad, 0xbe, 0xef]).unwrap(), signer);
    // eth_signTransaction: filled in (nonce, fees, gas) and signed, not sent; sending it works.
    let signed = rpc.ok("eth_signTransaction", json!([{ "from": signer, "to": to, "value": "0x4" }])).await;
    assert_eq!((signed["tx"]["from"].clone(), signed["tx"]["to"].clone()), (json!(signer), json!(to)));
    assert_eq!(rpc.nonce(signer, "pending").await, 0, "signing sends nothing");
    let sent = rpc.send_raw(&hex_bytes(&signed["raw"]).into()).await.unwrap();
    assert_eq!(json!(sent), signed["tx"]["hash"]);
    let receipt = rpc.wait_receipt(sent).await;
    assert_eq!((receipt["status"].clone(), receipt["from"].clone()), (json!("0x1"), json!(signer)));
    let e = rpc.err("eth_sign", json!([random_address(), "0x00"])).await;
    assert_rpc_error(&e, -32000, "unknown account");
}

/// Polled filters, as ethers and web3.py use them over HTTP: new blocks, logs and pending transactions
/// since the last poll; uninstalled or unknown filters are errors.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn polled_filters_see_blocks_logs_and_pending_transactions() {
    let node = DevNode::start(&["--block-time", "2s"]);
    let rpc = node.rpc();
    let blocks = rpc.ok("eth_newBlockFilter", json!([])).await;
    let pending = rpc.ok("eth_newPendingTransactionFilter", json!([])).await;
    let logs = rpc.ok("eth_newFilter", json!([{ "fromBlock": "0x0" }])).await;
    assert_ne!(blocks, pending);
    let from = dev(7).address();
    let ctor = Token::constructorCall::new(("Dev Token".to_string(), "DEV".to_string(), token_supply()));
    let init = Bytes::from([Token::BYTECODE.to_vec(), ctor.abi_encode()].concat());
    let hash = rpc.ok("eth_sendTransaction", json!([{ "from": from, "data": init }])).await;
    assert_eq!(rpc.ok("eth_getFilterChanges", json!([pending])).await, json!([hash]), "the new pool transaction");
    assert_eq!(rpc.ok("eth_getFilterChanges", json!([pending])).await, json!([]), "once");
    let receipt = rpc.wait_receipt(hex_b256(&hash)).await;
    let new_blocks = rpc.ok("eth_getFilterChanges", json!([blocks])).await;
    assert!(new_blocks.as_array().unwrap().contains(&receipt["blockHash"]), "{new_blocks} lacks {receipt}");
    let changes = rpc.ok("eth_getFilterChanges", json!([logs])).await;
    let changes = changes.as_array().unwrap();
    assert!(!changes.is_empty() && changes.iter().all(|l| l["transactionHash"] == hash), "{changes:?}");
    assert_eq!(rpc.ok("eth_getFilterChanges", json!([logs])).await, json!([]), "nothing new since");
    assert_eq!(rpc.ok("eth_getFilterLogs", json!([logs])).await.as_array().unwrap().len(), changes.len());
    assert_eq!(rpc.ok("eth_uninstallFilter", json!([logs])).await, json!(true));
    assert_eq!(rpc.ok("eth_uninstallFilter", json!([logs])).await, json!(false));
    let e = rpc.err("eth_getFilterChanges", json!([logs])).await;
    assert_rpc_error(&e, -32000, "filter not found");
    let e = rpc.err("eth_newFilter", json!([{ "blockHash": receipt["blockHash"] }])).await;
    assert_rpc_error(&e, -32602, "blockHash");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn erc20_deploy_call_logs_revert_estimate_storage() {
    let node = DevNode::start(&["--block-time", "0"]);
    let rpc = node.rpc();
    let owner = dev(0);
    let alice = dev(1).address();
    let bob = random_address();
    let (token_addr, deploy_receipt) = deploy_token(&node, &owner).await;
    let wallet = node.wallet(&owner);
    let token = Token::new(token_addr, wallet.clone());

    // Code and constructor state.
    let code = wallet.get_code_at(token_addr).await.unwrap();
    assert_eq!(code, Token::DEPLOYED_BYTECODE, "eth_getCode = the artifact's deployedBytecode");
    assert_eq!(token.name().call().await.unwrap(), "Mosaic Token");
    assert_eq!(token.symbol().call().await.unwrap(), "MOS");
    assert_eq!(token.decimals().call().await.unwrap(), 18);
    assert_eq!(token.totalSupply().call().await.unwrap(), token_supply());
    assert_eq!(token.balanceOf(owner.address()).call().await.unwrap(), token_supply());

    // Transfer; the receipt carries the Transfer log.
    let amount = U256::from(250u64) * U256::from(10u64).pow(U256::from(18u64));
    let pending = token.transfer(alice, amount).send().await.unwrap();
    let hash = *pending.tx_hash();
    let receipt = rpc.wait_receipt(hash).await;
    assert_eq!(receipt["status"], "0x1");
    let logs = receipt["logs"].as_array().unwrap();
    assert_eq!(logs.len(), 1);
    let log = &logs[0];
    let topic = |a: Address| json!(B256::left_padding_from(a.as_slice()));
    assert_eq!(log["address"], json!(token_addr));
    assert_eq!(log["topics"], json!([Token::Transfer::SIGNATURE_HASH, topic(owner.address()), topic(alice)]));
    assert_eq!(log["data"], json!(B256::from(amount)));
    assert_eq!(log["transactionHash"], json!(hash));
    assert_eq!(log["blockHash"], receipt["blockHash"]);
    assert_eq!(log["removed"], json!(false));

    // eth_getLogs: by address + topic over the receipt's block, by block hash, by a wider range.
    let block = hex_u64(&receipt["blockNumber"]);
    let by_range = rpc
        .ok(
            "eth_getLogs",
            json!([{ "address": token_addr, "topics": [Token::Transfer::SIGNATURE_HASH],
                     "fromBlock": format!("{block:#x}"), "toBlock": format!("{block:#x}") }]),
        )
        .await;
    assert_eq!(by_range, json!([log]), "eth_getLogs by range = the receipt's log");
    let by_hash = rpc.ok("eth_getLogs", json!([{ "blockHash": receipt["blockHash"], "address": token_addr }])).await;
    assert_eq!(by_hash, json!([log]));
    let to_alice = rpc
        .ok("eth_getLogs", json!([{ "fromBlock": "0x0", "toBlock": "latest", "topics": [null, null, topic(alice)] }]))
        .await;
    assert_eq!(to_alice, json!([log]), "filter on the indexed `to` topic");
    let all = wallet.get_logs(&Filter::new().address(token_addr).from_block(0)).await.unwrap();
    assert_eq!(all.len(), 2, "the constructor's mint and the transfer");
    assert_eq!(all[0].transaction_hash, Some(hex_b256(&deploy_receipt["transactionHash"])));
    assert_eq!(all[0].topics()[1], B256::ZERO, "mint comes from address(0)");
    let none = rpc
        .ok("eth_getLogs", json!([{ "fromBlock": "0x0", "address": token_addr, "topics": [B256::repeat_byte(1)] }]))
        .await;
    assert_eq!(none, json!([]));

    // eth_call.
    assert_eq!(token.balanceOf(owner.address()).call().await.unwrap(), token_supply() - amount);
    assert_eq!(token.balanceOf(alice).call().await.unwrap(), amount);
    let calldata = Token::balanceOfCall::new((alice,)).abi_encode();
    let out = rpc.ok("eth_call", json!([{ "to": token_addr, "data": Bytes::from(calldata) }, "latest"])).await;
    assert_eq!(out, json!(B256::from(amount)));
    // ...at the block before the transfer.
    let before = format!("{:#x}", block - 1);
    let out = rpc
        .ok(
            "eth_call",
            json!([{ "to": token_addr, "data": Bytes::from(
        Token::balanceOfCall::new((alice,)).abi_encode()) }, before]),
        )
        .await;
    assert_eq!(out, json!(B256::ZERO));

    // An over-balance transfer reverts with code 3 and the custom error in `data`.
    let too_much = token_supply() * U256::from(2u64);
    let call = json!({ "from": owner.address(), "to": token_addr,
                       "data": Bytes::from(Token::transferCall { to: alice, value: too_much }.abi_encode()) });
    let want = Bytes::from(
        Token::InsufficientBalance { from: owner.address(), balance: token_supply() - amount, needed: too_much }
            .abi_encode(),
    );
    for method in ["eth_call", "eth_estimateGas"] {
        let e = rpc.err(method, json!([call, "latest"])).await;
        assert_rpc_error(&e, 3, "execution reverted");
        assert_eq!(e.data, Some(json!(want)), "{method}: revert data is the InsufficientBalance error");
    }
    // alloy surfaces the same error data.
    let err = token.transfer(alice, too_much).call().await.unwrap_err();
    let decoded = err.as_decoded_error::<Token::InsufficientBalance>().expect("decoded custom error");
    assert_eq!(decoded.needed, too_much);

    // eth_estimateGas covers what the same transaction then uses.
    let req = TransactionRequest::default()
        .with_from(owner.address())
        .with_to(token_addr)
        .with_input(Token::transferCall { to: bob, value: U256::from(7u64) }.abi_encode());
    let estimate = wallet.estimate_gas(req.clone()).await.unwrap();
    let pending = wallet.send_transaction(req.with_gas_limit(estimate)).await.unwrap();
    let receipt = rpc.wait_receipt(*pending.tx_hash()).await;
    assert_eq!(receipt["status"], "0x1", "the tx succeeds with exactly the estimate");
    let used = hex_u64(&receipt["gasUsed"]);
    assert!(estimate >= used, "estimate {estimate} < used {used}");
    assert!(estimate <= used * 2, "estimate {estimate} far above used {used}");

    // Storage: balanceOf mapping slot and totalSupply (slot 2).
    assert_eq!(wallet.get_storage_at(token_addr, balance_slot(alice)).await.unwrap(), amount);
    assert_eq!(wallet.get_storage_at(token_addr, balance_slot(bob)).await.unwrap(), U256::from(7u64));
    assert_eq!(wallet.get_storage_at(token_addr, U256::from(2u64)).await.unwrap(), token_supply());
    let raw =
        rpc.ok("eth_getStorageAt", json!([token_addr, format!("{:#x}", balance_slot(random_address())), "latest"]));
    assert_eq!(raw.await, json!(B256::ZERO), "absent slot reads as a zero word");
    let at_deploy = BlockId::number(hex_u64(&deploy_receipt["blockNumber"]));
    assert_eq!(wallet.get_storage_at(token_addr, balance_slot(alice)).block_id(at_deploy).await.unwrap(), U256::ZERO);
}

/// `eth_createAccessList` (a list a transaction can be sent with, and its exact gas), the `debug_getRaw*`
/// encodings (each decodes back to what the node serves), and `eth_subscribe` over plain HTTP.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn access_lists_raw_encodings_and_subscriptions_over_http() {
    use alloy::{
        consensus::{Block, ReceiptEnvelope, TxEnvelope},
        eips::eip2718::Decodable2718,
        rlp::Decodable,
    };
    let node = DevNode::start(&["--block-time", "0"]);
    let rpc = node.rpc();
    let owner = dev(0);
    let alice = dev(1).address();
    let (token, _) = deploy_token(&node, &owner).await;
    let data = Bytes::from(Token::transferCall { to: alice, value: U256::from(5) }.abi_encode());

    let created = rpc.ok("eth_createAccessList", json!([{ "from": owner.address(), "to": token, "data": data }])).await;
    let list: AccessList = serde_json::from_value(created["accessList"].clone()).unwrap();
    assert_eq!(list.0.len(), 1, "only the token, with its two balance slots: {created}");
    assert_eq!(list.0[0].address, token);
    let mut keys = vec![B256::from(balance_slot(owner.address())), B256::from(balance_slot(alice))];
    keys.sort();
    assert_eq!(list.0[0].storage_keys, keys);
    let gas = hex_u64(&created["gasUsed"]);
    assert!(created.get("error").is_none());
    // Sent with that list and exactly that gas, it succeeds and uses exactly that gas.
    let wallet = node.wallet(&owner);
    let tx = TransactionRequest::default()
        .with_to(token)
        .with_input(data.clone())
        .with_access_list(list)
        .with_gas_limit(gas);
    let receipt = wallet.send_transaction(tx).await.unwrap().get_receipt().await.unwrap();
    assert!(receipt.status());
    assert_eq!(receipt.gas_used, gas);
    let failing = Bytes::from(Token::transferCall { to: alice, value: U256::MAX }.abi_encode());
    let refused = rpc.ok("eth_createAccessList", json!([{ "from": alice, "to": token, "data": failing }])).await;
    assert_eq!(refused["error"], "execution reverted");

    // Raw encodings of that transaction's block.
    let hash = receipt.transaction_hash;
    let number = format!("{:#x}", receipt.block_number.unwrap());
    let raw_tx: Bytes = serde_json::from_value(rpc.ok("debug_getRawTransaction", json!([hash])).await).unwrap();
    assert_eq!(*TxEnvelope::decode_2718(&mut raw_tx.as_ref()).unwrap().tx_hash(), hash);
    let raw_header: Bytes = serde_json::from_value(rpc.ok("debug_getRawHeader", json!([number])).await).unwrap();
    assert_eq!(
        alloy::primitives::keccak256(&raw_header),
        receipt.block_hash.unwrap(),
        "the header hashes to the block hash"
    );
    let by_hash: Bytes =
        serde_json::from_value(rpc.ok("debug_getRawHeader", json!([receipt.block_hash])).await).unwrap();
    assert_eq!(by_hash, raw_header);
    let raw_block: Bytes = serde_json::from_value(rpc.ok("debug_getRawBlock", json!([number])).await).unwrap();
    let block = Block::<TxEnvelope>::decode(&mut raw_block.as_ref()).unwrap();
    assert_eq!(block.header.hash_slow(), receipt.block_hash.unwrap());
    assert_eq!(block.body.transactions.len(), 1);
    let raw_receipts: Vec<Bytes> =
        serde_json::from_value(rpc.ok("debug_getRawReceipts", json!([number])).await).unwrap();
    let decoded = ReceiptEnvelope::decode_2718(&mut raw_receipts[0].as_ref()).unwrap();
    assert!(decoded.status());
    assert_eq!(decoded.cumulative_gas_used(), gas);
    assert_eq!(rpc.ok("debug_getRawTransaction", json!([B256::repeat_byte(7)])).await, json!("0x"));
    assert_eq!(rpc.err("debug_getRawBlock", json!(["0xffffff"])).await.code, -32001);

    // Several slots at once agree with eth_getStorageAt; the small getters.
    let slots = [balance_slot(owner.address()), balance_slot(alice)];
    let values = rpc.ok("eth_getStorageValues", json!([{ token.to_string(): slots }, "latest"])).await;
    for (i, slot) in slots.iter().enumerate() {
        let one = rpc.ok("eth_getStorageAt", json!([token, slot, "latest"])).await;
        assert_eq!(values[token.to_string()][i], one, "{values}");
    }
    assert_eq!(values[token.to_string()][1], json!(B256::from(U256::from(5))));
    assert_eq!(rpc.ok("eth_coinbase", json!([])).await, json!(Address::ZERO));
    let base: U256 = serde_json::from_value(rpc.ok("eth_baseFee", json!([])).await).unwrap();
    let price: U256 = serde_json::from_value(rpc.ok("eth_gasPrice", json!([])).await).unwrap();
    assert_eq!(price, base + U256::from(mosaic_rpc::SUGGESTED_TIP), "the gas price is the next base fee plus the tip");
    assert_eq!(rpc.ok("debug_getBadBlocks", json!([])).await, json!([]));

    // Subscriptions need a connection that stays open: over HTTP, geth's answer.
    let e = rpc.err("eth_subscribe", json!(["newHeads"])).await;
    assert_eq!((e.code, e.message.as_str()), (-32601, "notifications not supported"));
    // Also inside a batch, whose other calls are answered.
    let batch = json!([
        { "jsonrpc": "2.0", "id": 1, "method": "eth_subscribe", "params": ["newHeads"] },
        { "jsonrpc": "2.0", "id": 2, "method": "eth_chainId", "params": [] },
        { "jsonrpc": "2.0", "id": 3, "method": "eth_unsubscribe", "params": ["0x1"] },
    ]);
    let (status, body) = rpc.post_raw(batch.to_string()).await;
    assert_eq!(status, 200, "{body}");
    let answers: Vec<Value> = serde_json::from_str(&body).unwrap();
    let by_id =
        |id: u64| answers.iter().find(|a| a["id"] == json!(id)).unwrap_or_else(|| panic!("no answer {id}: {body}"));
    for id in [1, 3] {
        assert_eq!(by_id(id)["error"]["code"], json!(-32601), "{body}");
        assert_eq!(by_id(id)["error"]["message"], json!("notifications not supported"), "{body}");
    }
    assert_eq!(by_id(2)["result"], json!(format!("{CHAIN_ID:#x}")), "{body}");
}
