//! STF hot path: execute a block of 1,000 ETH transfers with revm and commit it into the state tree.
//! `cargo bench -p mosaic-stf` (numbers in docs/benchmarks.md).
use alloy_consensus::{SignableTransaction, TxEip1559, TxEnvelope};
use alloy_primitives::{keccak256, Address, TxKind, B256, U256};
use alloy_signer::SignerSync;
use alloy_signer_local::PrivateKeySigner;
use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use mosaic_primitives::AccountLeaf;
use mosaic_stf::{BlockBuilder, BlockContext};
use mosaic_trie::{MemoryNodeStore, EMPTY_ROOT};
use std::collections::HashMap;

mod common;
use common::MemState;

const SENDERS: usize = 100;
const TXS: usize = 1_000;

fn setup() -> (HashMap<Address, AccountLeaf>, Vec<(TxEnvelope, Address)>) {
    let keys: Vec<PrivateKeySigner> =
        (0..SENDERS).map(|i| PrivateKeySigner::from_bytes(&keccak256(i.to_be_bytes())).expect("key")).collect();
    let rich = AccountLeaf {
        nonce: 0,
        balance: U256::from(10u64).pow(U256::from(21u64)),
        code_hash: alloy_primitives::KECCAK256_EMPTY,
    };
    let accounts = keys.iter().map(|k| (k.address(), rich)).collect();
    let txs = (0..TXS)
        .map(|i| {
            let k = &keys[i % SENDERS];
            let tx = TxEip1559 {
                chain_id: 1,
                nonce: (i / SENDERS) as u64,
                gas_limit: 21_000,
                max_fee_per_gas: 2_000_000_000,
                max_priority_fee_per_gas: 1_000_000,
                to: TxKind::Call(Address::from_word(keccak256((i as u64 + 1_000_000).to_be_bytes()))),
                value: U256::from(1),
                ..Default::default()
            };
            let sig = k.sign_hash_sync(&tx.signature_hash()).expect("sign");
            (tx.into_signed(sig).into(), k.address())
        })
        .collect();
    (accounts, txs)
}

fn bench_block(c: &mut Criterion) {
    let (accounts, txs) = setup();
    let ctx = BlockContext {
        chain_id: 1,
        number: 1,
        timestamp: 1,
        beneficiary: Address::ZERO,
        gas_limit: 100_000_000,
        base_fee: 1_000_000_000,
        parent_hash: B256::ZERO,
        l1: Default::default(),
        proving: mosaic_primitives::ProvingCost::unbounded(),
    };
    let mut g = c.benchmark_group("stf_block_1000_eth_transfers");
    g.throughput(Throughput::Elements(TXS as u64));
    g.sample_size(20);
    g.bench_function("execute", |b| {
        b.iter_batched(
            || BlockBuilder::new(MemState(accounts.clone()), ctx.clone()),
            |mut builder| {
                for (tx, from) in &txs {
                    builder.execute(tx.clone(), *from).expect("valid transfer");
                }
                builder
            },
            BatchSize::LargeInput,
        )
    });
    g.bench_function("execute_and_commit_state_root", |b| {
        b.iter_batched(
            || BlockBuilder::new(MemState(accounts.clone()), ctx.clone()),
            |mut builder| {
                for (tx, from) in &txs {
                    builder.execute(tx.clone(), *from).expect("valid transfer");
                }
                builder.finish(&MemoryNodeStore::new(), EMPTY_ROOT).expect("commit")
            },
            BatchSize::LargeInput,
        )
    });
    g.finish();
}

criterion_group!(benches, bench_block);
criterion_main!(benches);
