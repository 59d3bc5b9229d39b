//! Fees: the EIP-1559 base fee follows block fullness and respects its floor, priority fees reach the
//! fee recipient exactly, and `--block-time 0` makes one block per transaction.
mod common;

use alloy::{
    consensus::{TxEip1559, TxEip2930},
    primitives::{Bytes, TxKind, B256, U256},
    sol_types::SolConstructor,
};
use common::*;
use serde_json::{json, Value};

fn gwei(n: u64) -> u128 {
    n as u128 * 1_000_000_000
}

/// EIP-1559 (elasticity 2, max change 1/8), clamped to the floor: written out here independently.
fn expected_base_fee(parent_used: u64, parent_limit: u64, parent_base: u64, floor: u64) -> u64 {
    let (used, target, base) = (parent_used as u128, (parent_limit / 2) as u128, parent_base as u128);
    let next = if used == target {
        base
    } else if used > target {
        base + (base * (used - target) / target / 8).max(1)
    } else {
        base - base * (target - used) / target / 8
    };
    (next as u64).max(floor)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn base_fee_rises_when_full_and_falls_to_the_floor_when_idle() {
    const LIMIT: u64 = 100_000;
    const FLOOR: u64 = 900_000_000;
    let node = DevNode::start(&[
        "--block-time",
        "300ms",
        "--block-gas-limit",
        &LIMIT.to_string(),
        "--min-base-fee",
        &FLOOR.to_string(),
    ]);
    let rpc = node.rpc();
    // 4 senders x 6 transfers; a block fits 4 (84000 gas > the 50000 target). Future nonces first, so
    // everything becomes ready within a few submissions and blocks stay full.
    let mut hashes = Vec::new();
    for nonce in (1..6).chain([0]) {
        for s in 0..4 {
            let raw = sign(&dev(s), transfer_1559(nonce, random_address(), U256::from(1u64), gwei(100), gwei(1)));
            hashes.push(rpc.send_raw(&raw).await.unwrap());
        }
    }
    let mut last_tx_block = 0;
    for h in &hashes {
        last_tx_block = last_tx_block.max(hex_u64(&rpc.wait_receipt(*h).await["blockNumber"]));
    }
    // Idle until the fee is back at the floor, and one more block to see it stay there.
    let at_floor = poll_until("base fee back at the floor", async || {
        let b = rpc.ok("eth_getBlockByNumber", json!(["latest", false])).await;
        let n = hex_u64(&b["number"]);
        (n > last_tx_block + 2 && hex_u64(&b["baseFeePerGas"]) == FLOOR).then_some(n)
    })
    .await;
    let head = rpc.wait_block(at_floor + 1).await;

    let blocks: Vec<Value> = {
        let mut v = Vec::new();
        for n in 0..=head {
            v.push(rpc.block(n).await);
        }
        v
    };
    let fee = |n: usize| hex_u64(&blocks[n]["baseFeePerGas"]);
    let used = |n: usize| hex_u64(&blocks[n]["gasUsed"]);
    for (n, block) in blocks.iter().enumerate().skip(1) {
        assert_eq!(hex_u64(&block["gasLimit"]), LIMIT);
        assert!(fee(n) >= FLOOR, "block {n}: base fee {} below the floor", fee(n));
        assert_eq!(fee(n), expected_base_fee(used(n - 1), LIMIT, fee(n - 1), FLOOR), "block {n}: EIP-1559 update");
    }
    // Blocks were really full (4 transfers), and the fee rose across at least three in a row.
    let full: Vec<usize> = (1..blocks.len()).filter(|&n| used(n) == 4 * TRANSFER_GAS).collect();
    assert!(full.len() >= 4, "expected >= 4 full blocks, got {full:?}");
    let (mut run, mut longest) = (0, 0);
    for n in 1..blocks.len() {
        run = if used(n - 1) > LIMIT / 2 && fee(n) > fee(n - 1) { run + 1 } else { 0 };
        longest = longest.max(run);
    }
    assert!(longest >= 3, "base fee rose block over block only {longest} times in a row");
    let peak = (0..blocks.len()).map(fee).max().unwrap();
    assert!(peak > FLOOR * 5 / 4, "peak {peak} barely above the floor");
    // Then it fell block over block while idle, and stays on the floor.
    let last = last_tx_block as usize;
    assert!(fee(last + 2) < fee(last + 1), "idle blocks lower the fee");
    let falling = (last + 2..blocks.len()).filter(|&n| fee(n) < fee(n - 1)).count();
    assert!(falling >= 2, "base fee fell only {falling} times");
    assert_eq!((fee(head as usize - 1), fee(head as usize)), (FLOOR, FLOOR), "floor holds");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn priority_fees_go_to_the_fee_recipient() {
    let recipient = random_address();
    let node = DevNode::start(&["--block-time", "0", "--fee-recipient", &recipient.to_string()]);
    let rpc = node.rpc();
    assert_eq!(rpc.balance(recipient).await, U256::ZERO);
    let signer = dev(7);
    let to = random_address();

    /// What the next block's base fee will be: the last entry of eth_feeHistory.
    async fn next_base_fee(rpc: &Rpc) -> u128 {
        let h = rpc.ok("eth_feeHistory", json!(["0x1", "latest", []])).await;
        hex_u64(h["baseFeePerGas"].as_array().unwrap().last().unwrap()) as u128
    }

    let mut expected_tips: Vec<(B256, u128)> = Vec::new();
    // EIP-1559 paying its full tip.
    let raw = sign(&signer, transfer_1559(0, to, U256::from(1u64), gwei(100), gwei(2)));
    expected_tips.push((rpc.send_raw(&raw).await.unwrap(), gwei(2)));
    rpc.wait_receipt(expected_tips[0].0).await;
    // EIP-1559 whose tip (as high as its fee cap) is capped by maxFee - baseFee.
    let base = next_base_fee(&rpc).await;
    let raw = sign(&signer, transfer_1559(1, to, U256::from(1u64), base + 12_345, base + 12_345));
    expected_tips.push((rpc.send_raw(&raw).await.unwrap(), 12_345));
    rpc.wait_receipt(expected_tips[1].0).await;
    // Legacy: the tip is gasPrice - baseFee.
    let base = next_base_fee(&rpc).await;
    let raw = sign(&signer, transfer_legacy(2, to, U256::from(1u64), gwei(3), Some(CHAIN_ID)));
    expected_tips.push((rpc.send_raw(&raw).await.unwrap(), gwei(3) - base));
    rpc.wait_receipt(expected_tips[2].0).await;
    // EIP-2930 calling into nothing, with calldata (more gas than a transfer).
    let base = next_base_fee(&rpc).await;
    let tx = TxEip2930 {
        chain_id: CHAIN_ID,
        nonce: 3,
        gas_price: gwei(4),
        gas_limit: 60_000,
        to: TxKind::Call(to),
        value: U256::ZERO,
        access_list: Default::default(),
        input: Bytes::from(vec![1u8; 100]),
    };
    expected_tips.push((rpc.send_raw(&sign(&signer, tx)).await.unwrap(), gwei(4) - base));
    rpc.wait_receipt(expected_tips[3].0).await;
    // A zero tip pays the recipient nothing.
    let zero_tip = TxEip1559 { max_priority_fee_per_gas: 0, ..transfer_1559(4, to, U256::from(1u64), gwei(100), 0) };
    expected_tips.push((rpc.send_raw(&sign(&signer, zero_tip)).await.unwrap(), 0));
    // A contract deployment through eth_sendTransaction: the node fills in its suggested tip.
    let ctor = Token::constructorCall::new(("Fee Token".to_string(), "FEE".to_string(), token_supply()));
    let init = Bytes::from([Token::BYTECODE.to_vec(), ctor.abi_encode()].concat());
    let hash = rpc.ok("eth_sendTransaction", json!([{ "from": dev(8).address(), "data": init }])).await;
    let deploy = rpc.wait_receipt(hex_b256(&hash)).await;
    assert_eq!(deploy["status"], "0x1");
    assert!(deploy["contractAddress"].is_string());
    expected_tips.push((hex_b256(&hash), SUGGESTED_TIP));

    let mut total = U256::ZERO;
    for (hash, tip) in &expected_tips {
        let r = rpc.wait_receipt(*hash).await;
        let block = rpc.block(hex_u64(&r["blockNumber"])).await;
        assert_eq!(block["miner"], json!(recipient), "block's miner is the fee recipient");
        let base = hex_u64(&block["baseFeePerGas"]) as u128;
        let price = hex_u64(&r["effectiveGasPrice"]) as u128;
        assert_eq!(price - base, *tip, "effective tip of {hash}");
        total += U256::from(*tip) * U256::from(hex_u64(&r["gasUsed"]));
    }
    assert!(total > U256::ZERO);
    assert_eq!(rpc.balance(recipient).await, total, "recipient got exactly sum(tip * gasUsed)");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn block_time_zero_makes_one_block_per_transaction() {
    let node = DevNode::start(&["--block-time", "0"]);
    let rpc = node.rpc();
    assert_eq!(rpc.block_number().await, 0, "no transactions, no blocks");
    let to = random_address();
    // Five senders at once, and one sender's three nonces back to back without waiting.
    let concurrent = futures::future::join_all((0..5).map(|s| {
        let rpc = rpc.clone();
        async move { rpc.send_raw(&signed_transfer(&dev(s), 0, to, U256::from(1u64))).await.unwrap() }
    }))
    .await;
    let mut sequential = Vec::new();
    for nonce in 0..3 {
        sequential.push(rpc.send_raw(&signed_transfer(&dev(5), nonce, to, U256::from(1u64))).await.unwrap());
    }
    let mut numbers = Vec::new();
    for h in concurrent.iter().chain(&sequential) {
        let r = rpc.wait_receipt(*h).await;
        assert_eq!(hex_u64(&r["transactionIndex"]), 0);
        numbers.push(hex_u64(&r["blockNumber"]));
    }
    let seq_blocks = numbers[5..].to_vec();
    assert!(seq_blocks.windows(2).all(|w| w[0] < w[1]), "nonce order: {seq_blocks:?}");
    numbers.sort_unstable();
    assert_eq!(numbers, (1..=8).collect::<Vec<u64>>(), "eight transactions, blocks 1..=8");
    assert_eq!(rpc.block_number().await, 8, "and no other blocks");
    for n in 1..=8 {
        assert_eq!(rpc.block(n).await["transactions"].as_array().unwrap().len(), 1, "block {n}");
    }
    assert_eq!(rpc.balance(to).await, U256::from(8u64));
}
