//! Admission, in process: every way a transaction is refused, with geth's message, leaving no trace in
//! the pool or on disk — no node process per case.
use super::*;
use crate::{Node, NodeConfig};
use alloy_consensus::{SignableTransaction, TxEip1559, TxEip4844, TxLegacy};
use alloy_eips::eip2718::Encodable2718;
use alloy_primitives::{keccak256, Bytes, Signature, TxKind};
use alloy_signer::SignerSync;
use alloy_signer_local::PrivateKeySigner;
use mosaic_primitives::ChainConfig;
use std::time::Duration;

const CHAIN_ID: u64 = 424242;

fn key(i: u8) -> PrivateKeySigner {
    PrivateKeySigner::from_bytes(&B256::repeat_byte(i)).unwrap()
}

fn eth(n: u64) -> U256 {
    U256::from(n) * U256::from(10u64).pow(U256::from(18u64))
}

fn open(dir: &std::path::Path, block_gas_limit: u64) -> Node {
    open_with(dir, block_gas_limit, false)
}

fn open_with(dir: &std::path::Path, block_gas_limit: u64, allow_unprotected_txs: bool) -> Node {
    Node::open(NodeConfig {
        chain: ChainConfig { chain_id: CHAIN_ID, block_gas_limit, ..ChainConfig::default() },
        data_dir: dir.to_path_buf(),
        block_time: Duration::ZERO,
        fee_recipient: Address::ZERO,
        pool: Default::default(),
        genesis_alloc: vec![(key(1).address(), eth(10))],
        max_tx_size: 128 * 1024,
        allow_unprotected_txs,
        predeploys: Vec::new(),
        genesis_accounts: Vec::new(),
    })
    .unwrap()
}

fn tx(nonce: u64, gas_limit: u64) -> TxEip1559 {
    TxEip1559 {
        chain_id: CHAIN_ID,
        nonce,
        gas_limit,
        max_fee_per_gas: 10_000_000_000,
        max_priority_fee_per_gas: 1_000_000,
        to: TxKind::Call(Address::repeat_byte(0xd0)),
        value: U256::from(1),
        access_list: Default::default(),
        input: Bytes::new(),
    }
}

/// A legacy transfer without a chain id (no EIP-155 replay protection).
fn unprotected_transfer() -> TxLegacy {
    TxLegacy {
        chain_id: None,
        nonce: 0,
        gas_price: 10_000_000_000,
        gas_limit: 21_000,
        to: TxKind::Call(Address::ZERO),
        value: U256::from(1),
        input: Bytes::new(),
    }
}

fn sign<T: SignableTransaction<Signature>>(signer: &PrivateKeySigner, t: T) -> Vec<u8>
where
    alloy_consensus::Signed<T>: Into<TxEnvelope>,
{
    let sig = signer.sign_hash_sync(&t.signature_hash()).unwrap();
    let env: TxEnvelope = t.into_signed(sig).into();
    env.encoded_2718()
}

/// Submits `raw`, expects refusal with `fragment` in the message, and checks nothing was kept.
async fn refused(node: &Node, raw: &[u8], fragment: &str) -> SubmitError {
    let before = (node.pool_len(), node.inner.db.pool_load().unwrap().len());
    let err = node.submit_raw(raw).await.expect_err("must be refused");
    assert!(err.to_string().contains(fragment), "`{err}` lacks `{fragment}`");
    assert!(node.pool_tx(&keccak256(raw)).is_none());
    assert_eq!((node.pool_len(), node.inner.db.pool_load().unwrap().len()), before, "{err}: left a trace");
    err
}

#[tokio::test]
async fn every_bad_transaction_is_refused_with_geths_message_and_leaves_no_trace() {
    let dir = tempfile::tempdir().unwrap();
    let node = open(dir.path(), 30_000_000);
    let alice = key(1);

    let e = refused(&node, &vec![0u8; 128 * 1024 + 1], "oversized data: transaction size 131073, limit 131072").await;
    assert!(matches!(e, SubmitError::Oversized { size: 131073, max: 131072 }));
    refused(&node, b"hello", "transaction could not be decoded").await;
    refused(&node, &sign(&alice, TxEip1559 { chain_id: 1, ..tx(0, 21_000) }), "invalid chain id: have 1, want 424242")
        .await;
    let legacy = unprotected_transfer();
    refused(&node, &sign(&alice, legacy), "only replay-protected (EIP-155) transactions allowed").await;
    let blob = TxEip4844 {
        chain_id: CHAIN_ID,
        nonce: 0,
        gas_limit: 21_000,
        max_fee_per_gas: 10_000_000_000,
        max_priority_fee_per_gas: 1,
        to: Address::ZERO,
        value: U256::ZERO,
        access_list: Default::default(),
        blob_versioned_hashes: vec![B256::with_last_byte(1)],
        max_fee_per_blob_gas: 1,
        input: Bytes::new(),
    };
    refused(&node, &sign(&alice, blob), "blob transactions (type 3) are not supported").await;
    refused(&node, &sign(&alice, tx(0, 30_000_001)), "exceeds block gas limit").await;
    refused(&node, &sign(&alice, tx(0, (1 << 24) + 1)), "transaction gas limit too high (cap: 16777216").await;
    refused(&node, &sign(&alice, tx(0, 20_000)), "intrinsic gas too low: have 20000, want 21000").await;
    let create = TxEip1559 { to: TxKind::Create, input: vec![0u8; 2 * 24_576 + 1].into(), ..tx(0, 1_000_000) };
    refused(&node, &sign(&alice, create), "max initcode size exceeded: code size 49153, limit 49152").await;
    let tip_above_cap = TxEip1559 { max_priority_fee_per_gas: 20_000_000_000, ..tx(0, 21_000) };
    refused(&node, &sign(&alice, tip_above_cap), "max priority fee per gas higher than max fee per gas").await;
    let under_floor = TxEip1559 { max_fee_per_gas: 999_999, max_priority_fee_per_gas: 0, ..tx(0, 21_000) };
    refused(&node, &sign(&alice, under_floor), "transaction underpriced").await;

    // Signatures: one that recovers nobody, and one that recovers an unfunded stranger.
    let t = tx(0, 21_000);
    let good = alice.sign_hash_sync(&t.signature_hash()).unwrap();
    let env: TxEnvelope = t.clone().into_signed(Signature::new(U256::ZERO, good.s(), good.v())).into();
    refused(&node, &env.encoded_2718(), "invalid sender").await;
    let stranger = key(9);
    refused(&node, &sign(&stranger, tx(0, 21_000)), "insufficient funds for gas * price + value: balance 0").await;
    let too_much = TxEip1559 { value: eth(10), ..tx(0, 21_000) };
    refused(&node, &sign(&alice, too_much), "insufficient funds for gas * price + value").await;

    // Nonces: an included one is too low; a same-nonce replacement needs a higher fee.
    node.submit_raw(&sign(&alice, tx(0, 21_000))).await.unwrap();
    node.blocking(|n| n.build_block(None, false)).await.unwrap().unwrap();
    refused(&node, &sign(&alice, tx(0, 21_000)), "nonce too low: next nonce 1, tx nonce 0").await;
    let first = node.submit_raw(&sign(&alice, tx(1, 21_000))).await.unwrap();
    refused(
        &node,
        &sign(&alice, TxEip1559 { value: U256::from(2), ..tx(1, 21_000) }),
        "replacement transaction underpriced",
    )
    .await;
    assert!(node.pool_tx(&first).is_some(), "the original stays");

    // And the node still admits good transactions afterwards, durably.
    let ok = node.submit_raw(&sign(&alice, tx(2, 21_000))).await.unwrap();
    assert!(node.inner.db.pool_load().unwrap().iter().any(|(_, raw)| keccak256(raw) == ok));
}

#[tokio::test]
async fn a_replacement_removes_the_replaced_transaction_from_disk() {
    let dir = tempfile::tempdir().unwrap();
    let node = open(dir.path(), 30_000_000);
    let alice = key(1);
    let old = node.submit_raw(&sign(&alice, tx(0, 21_000))).await.unwrap();
    let bumped = TxEip1559 { max_fee_per_gas: 20_000_000_000, max_priority_fee_per_gas: 2_000_000, ..tx(0, 21_000) };
    let new = node.submit_raw(&sign(&alice, bumped)).await.unwrap();
    let stored: Vec<B256> = node.inner.db.pool_load().unwrap().iter().map(|(_, raw)| keccak256(raw)).collect();
    assert_eq!(stored, vec![new], "only the replacement survives a restart");
    assert!(node.pool_tx(&old).is_none());
}

/// `--allow-unprotected-txs`: a legacy transaction without a chain id is admitted and mined.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unprotected_transactions_are_admitted_only_when_allowed() {
    let dir = tempfile::tempdir().unwrap();
    let node = open_with(dir.path(), 30_000_000, true);
    let alice = key(1);
    let legacy = unprotected_transfer();
    let hash = node.submit_raw(&sign(&alice, legacy)).await.expect("admitted");
    let block = node.build_block(None, true).unwrap().expect("a block");
    assert_eq!(*block.block.transactions[0].tx_hash(), hash);
    assert!(block.receipts[0].status());
}

/// Issue #20: a transaction that alone needs more proving cycles than a block may take is refused at
/// admission with its estimate; one that fits is admitted and mined, its cycles counted in the block.
#[tokio::test]
async fn a_transaction_no_block_could_prove_is_refused_with_its_cycles() {
    let dir = tempfile::tempdir().unwrap();
    let node = open(dir.path(), 30_000_000);
    let alice = key(1);
    let word = |n: u64| U256::from(n).to_be_bytes::<32>().to_vec();
    let precompile = |n: u8| TxKind::Call(Address::with_last_byte(n));
    // MODEXP over 2048-bit operands: 7.9 M gas, ≈ 250 M proving cycles in the guest's software big integers.
    let mut modulus = vec![0xc3u8; 256];
    modulus[255] |= 1;
    let input = [word(256), word(256), word(256), vec![0x5a; 256], vec![0xff; 256], modulus].concat();
    let modexp = TxEip1559 { to: precompile(5), value: U256::ZERO, input: input.into(), ..tx(0, 16_000_000) };
    let err = refused(&node, &sign(&alice, modexp), "exceeds block cycle budget: transaction needs").await;
    let SubmitError::ExceedsBlockCycleBudget { cycles, budget } = err else { panic!("{err}") };
    assert_eq!(budget, ChainConfig::default().proving.block_cycle_budget);
    assert!(cycles > budget && cycles < 2 * budget, "{cycles}");

    let sha = TxEip1559 { to: precompile(2), value: U256::ZERO, input: vec![1u8; 64].into(), ..tx(0, 100_000) };
    node.submit_raw(&sign(&alice, sha)).await.expect("fits a block");
    let block = node.build_block(None, true).unwrap().expect("a block");
    assert_eq!(block.block.transactions.len(), 1);
}
