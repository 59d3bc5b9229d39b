//! MultiVM hot paths: an ERC-20 transfer in the EVM (Solidity) vs in Wasm (Rust SDK), and a swap in the
//! Solidity AMM over two Wasm tokens (cross-VM) vs over two EVM tokens. Throughput is reported as gas/s
//! ("elem/s" = gas per second); the cycles of every frame are printed once before measuring.
//!
//! Needs the Wasm contracts: `scripts/build-wasm-contracts.sh`, then `cargo bench -p mosaic-stf --bench multivm`.
use alloy_consensus::{SignableTransaction, TxEip1559, TxEnvelope};
use alloy_primitives::{Address, TxKind, B256, U256};
use alloy_signer::SignerSync;
use alloy_signer_local::PrivateKeySigner;
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use mosaic_primitives::AccountLeaf;
use mosaic_stf::{BlockBuilder, BlockContext, TxOutcome};
use std::{
    collections::HashMap,
    path::PathBuf,
    time::{Duration, Instant},
};

mod common;
use common::MemState;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn fixture_bytecode(name: &str) -> Vec<u8> {
    let path = root().join(format!("bin/mosaic/tests/fixtures/{name}.json"));
    let json: serde_json::Value = serde_json::from_slice(&std::fs::read(&path).expect("fixture")).expect("json");
    alloy_primitives::hex::decode(json["bytecode"].as_str().expect("bytecode")).expect("hex")
}

fn wasm(name: &str) -> Vec<u8> {
    let path = root().join(format!("wasm/out/{name}.wasm"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}; run scripts/build-wasm-contracts.sh", path.display()))
}

fn word(v: impl Into<U256>) -> [u8; 32] {
    v.into().to_be_bytes::<32>()
}

fn addr_word(a: Address) -> [u8; 32] {
    a.into_word().0
}

fn selector(sig: &str) -> [u8; 4] {
    alloy_primitives::keccak256(sig)[..4].try_into().unwrap()
}

fn call_data(sig: &str, words: &[[u8; 32]]) -> Vec<u8> {
    let mut d = selector(sig).to_vec();
    for w in words {
        d.extend_from_slice(w);
    }
    d
}

/// ABI-encodes `(string name, string symbol, uint256 supply)` for the token constructors.
fn token_args(name: &str, symbol: &str, supply: u64) -> Vec<u8> {
    let mut d = Vec::new();
    d.extend_from_slice(&word(U256::from(96)));
    d.extend_from_slice(&word(U256::from(160)));
    d.extend_from_slice(&word(U256::from(supply)));
    for s in [name, symbol] {
        d.extend_from_slice(&word(U256::from(s.len())));
        let mut padded = [0u8; 32];
        padded[..s.len()].copy_from_slice(s.as_bytes());
        d.extend_from_slice(&padded);
    }
    d
}

struct Chain {
    key: PrivateKeySigner,
    nonce: u64,
    builder: BlockBuilder<MemState>,
}

impl Chain {
    fn new() -> Self {
        let key = PrivateKeySigner::from_bytes(&B256::repeat_byte(7)).unwrap();
        let rich = AccountLeaf {
            nonce: 0,
            balance: U256::from(10u64).pow(U256::from(30u64)),
            code_hash: alloy_primitives::KECCAK256_EMPTY,
        };
        let ctx = BlockContext {
            chain_id: 1,
            number: 1,
            timestamp: 1,
            beneficiary: Address::ZERO,
            gas_limit: u64::MAX / 4,
            base_fee: 1_000_000_000,
            parent_hash: B256::ZERO,
            l1: Default::default(),
            proving: mosaic_primitives::ProvingCost::default(),
        };
        let builder = BlockBuilder::new(MemState(HashMap::from([(key.address(), rich)])), ctx);
        Self { key, nonce: 0, builder }
    }

    fn sign(&mut self, to: TxKind, input: Vec<u8>, gas: u64) -> (TxEnvelope, Address) {
        let tx = TxEip1559 {
            chain_id: 1,
            nonce: self.nonce,
            gas_limit: gas,
            max_fee_per_gas: 2_000_000_000,
            max_priority_fee_per_gas: 1,
            to,
            input: input.into(),
            ..Default::default()
        };
        self.nonce += 1;
        let sig = self.key.sign_hash_sync(&tx.signature_hash()).unwrap();
        (tx.into_signed(sig).into(), self.key.address())
    }

    fn send(&mut self, to: TxKind, input: Vec<u8>) -> TxOutcome {
        let (tx, from) = self.sign(to, input, 12_000_000);
        let out = self.builder.execute(tx, from).expect("valid tx");
        assert!(out.success, "setup transaction failed: {out:?}");
        out
    }

    fn deploy(&mut self, code: Vec<u8>, args: Vec<u8>) -> Address {
        self.send(TxKind::Create, [code, args].concat()).contract_address.unwrap()
    }
}

/// Measures `iters` transactions built by `make` (signed outside the timed section); returns the gas used.
fn measure(chain: &mut Chain, iters: u64, make: &dyn Fn(&mut Chain) -> (TxEnvelope, Address)) -> Duration {
    let txs: Vec<_> = (0..iters).map(|_| make(chain)).collect();
    let start = Instant::now();
    for (tx, from) in txs {
        let out = chain.builder.execute(tx, from).expect("valid tx");
        assert!(out.success);
    }
    start.elapsed()
}

fn report(label: &str, out: &TxOutcome) {
    let frames: Vec<String> = out
        .frames
        .iter()
        .map(|f| format!("{}{}:{} gas={} cycles={}", "  ".repeat(f.depth as usize), f.vm, f.kind, f.gas_used, f.cycles))
        .collect();
    eprintln!("{label}: tx gas {} | {}", out.gas_used, frames.join(" | "));
}

fn bench_multivm(c: &mut Criterion) {
    let mut chain = Chain::new();
    let me = chain.key.address();
    let supply = 1_000_000_000_000u64;
    let evm_token = chain.deploy(fixture_bytecode("Token"), token_args("EVM", "EVM", supply));
    let evm_token_b = chain.deploy(fixture_bytecode("Token"), token_args("EVM B", "EVB", supply));
    let wasm_token = chain.deploy(wasm("erc20"), token_args("Wasm", "WSM", supply));
    let wasm_token_b = chain.deploy(wasm("erc20"), token_args("Wasm B", "WSB", supply));
    let amm_args = |a: Address, b: Address| [addr_word(a), addr_word(b), word(U256::from(30))].concat();
    let cross_amm = chain.deploy(fixture_bytecode("ConstantProductAmm"), amm_args(wasm_token, wasm_token_b));
    let evm_amm = chain.deploy(fixture_bytecode("ConstantProductAmm"), amm_args(evm_token, evm_token_b));
    for (amm, tokens) in [(cross_amm, [wasm_token, wasm_token_b]), (evm_amm, [evm_token, evm_token_b])] {
        for t in tokens {
            chain.send(TxKind::Call(t), call_data("approve(address,uint256)", &[addr_word(amm), word(U256::MAX)]));
        }
        let liquidity = word(U256::from(supply / 2));
        chain.send(TxKind::Call(amm), call_data("addLiquidity(uint256,uint256)", &[liquidity, liquidity]));
    }

    let recipient = Address::repeat_byte(0x42);
    let transfer = call_data("transfer(address,uint256)", &[addr_word(recipient), word(U256::from(1))]);
    let swap = |token: Address| {
        call_data(
            "swap(address,uint256,uint256,address)",
            &[addr_word(token), word(U256::from(1000)), word(U256::ZERO), addr_word(me)],
        )
    };
    let cases: Vec<(&str, Address, Vec<u8>)> = vec![
        ("erc20_transfer_evm", evm_token, transfer.clone()),
        ("erc20_transfer_wasm", wasm_token, transfer),
        ("amm_swap_evm_tokens", evm_amm, swap(evm_token)),
        ("amm_swap_wasm_tokens_cross_vm", cross_amm, swap(wasm_token)),
    ];

    let mut g = c.benchmark_group("multivm");
    for (name, to, data) in cases {
        // One warm-up execution gives the steady-state gas and per-frame cycles.
        let out = chain.send(TxKind::Call(to), data.clone());
        report(name, &out);
        g.throughput(Throughput::Elements(out.gas_used));
        g.bench_function(name, |b| {
            b.iter_custom(|iters| measure(&mut chain, iters, &|ch| ch.sign(TxKind::Call(to), data.clone(), 1_000_000)))
        });
    }
    g.finish();
}

criterion_group!(benches, bench_multivm);
criterion_main!(benches);
