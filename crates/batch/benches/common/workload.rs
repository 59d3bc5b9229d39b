//! Realistic signed workloads for the batch size tests and the codec bench (shared by both through `#[path]`).
#![allow(dead_code)]

use alloy_consensus::{Header, SignableTransaction, TxEip1559, TxEnvelope};
use alloy_primitives::{keccak256, Address, Bytes, TxKind, B256, U256};
use alloy_signer::SignerSync;
use alloy_signer_local::PrivateKeySigner;
use mosaic_primitives::Block;

/// Chain id the workloads are signed for.
pub(super) const CHAIN_ID: u64 = 7;
/// Beneficiary of every block.
pub(super) const BENEFICIARY: Address = Address::new([0xfe; 20]);
/// The ERC-20 contract of [`erc20_transfers`].
pub(super) const TOKEN: Address = Address::new([0x70; 20]);

/// Deterministic xorshift64* generator: no dependency, same workload on every run.
pub(super) struct Rng(u64);

impl Rng {
    /// A generator from a non-zero seed.
    pub(super) fn new(seed: u64) -> Self {
        Self(seed | 1)
    }
    /// Next 64 random bits.
    pub(super) fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    /// Uniform-ish in `0..n`.
    pub(super) fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n
    }
}

/// Signer number `i`.
pub(super) fn signer(i: usize) -> PrivateKeySigner {
    let mut key = [0u8; 32];
    key[24..].copy_from_slice(&(i as u64 + 1).to_be_bytes());
    key[0] = 0x42;
    PrivateKeySigner::from_bytes(&B256::from(key)).expect("valid key")
}

/// Recipient number `i` (an EOA-looking address).
pub(super) fn recipient(i: usize) -> Address {
    Address::from_slice(&keccak256((i as u64).to_be_bytes())[12..])
}

/// Signs `tx` with `key` into an envelope.
pub(super) fn sign(key: &PrivateKeySigner, tx: TxEip1559) -> TxEnvelope {
    let sig = key.sign_hash_sync(&tx.signature_hash()).expect("sign");
    tx.into_signed(sig).into()
}

const GWEI: u128 = 1_000_000_000;

/// Fee fields a wallet would pick in block `b`: `max_fee = 2·base_fee + tip`, two popular tips.
fn fees(b: usize, rng: &mut Rng) -> (u128, u128) {
    let base_fee = GWEI / 100 + (b as u128 * 7_919_113) % (GWEI / 50);
    let tip = if rng.below(4) == 0 { GWEI / 1000 } else { GWEI / 100 };
    (2 * base_fee + tip, tip)
}

/// Builds `n_blocks` blocks holding `n_txs` EIP-1559 transactions from `n_senders` senders, each made by
/// `make(rng, sender_index) -> (to, value, input, gas_limit)`. Senders are picked at random and start
/// from scattered nonces (some above 127, so two-byte varints).
fn build(
    n_txs: usize,
    n_blocks: usize,
    n_senders: usize,
    seed: u64,
    mut make: impl FnMut(&mut Rng) -> (Address, U256, Bytes, u64),
) -> Vec<Block> {
    let mut rng = Rng::new(seed);
    let keys: Vec<PrivateKeySigner> = (0..n_senders).map(signer).collect();
    let mut nonces: Vec<u64> = (0..n_senders).map(|i| (i as u64 * 37) % 300).collect();
    let per_block = n_txs.div_ceil(n_blocks.max(1));
    let mut blocks = Vec::with_capacity(n_blocks);
    let mut made = 0;
    for b in 0..n_blocks {
        let mut transactions = Vec::new();
        let mut senders = Vec::new();
        while transactions.len() < per_block && made < n_txs {
            let s = rng.below(n_senders as u64) as usize;
            let (max_fee_per_gas, max_priority_fee_per_gas) = fees(b, &mut rng);
            let (to, value, input, gas_limit) = make(&mut rng);
            let tx = TxEip1559 {
                chain_id: CHAIN_ID,
                nonce: nonces[s],
                gas_limit,
                max_fee_per_gas,
                max_priority_fee_per_gas,
                to: TxKind::Call(to),
                value,
                access_list: Default::default(),
                input,
            };
            nonces[s] += 1;
            transactions.push(sign(&keys[s], tx));
            senders.push(keys[s].address());
            made += 1;
        }
        blocks.push(Block {
            header: Header {
                number: 1_000 + b as u64,
                timestamp: 1_700_000_000 + 2 * b as u64,
                beneficiary: BENEFICIARY,
                ..Default::default()
            },
            transactions,
            senders,
            l1_messages: Vec::new(),
            forced: 0,
        });
    }
    blocks
}

/// Plain ETH transfers (21000 gas) of round amounts (0.5, 1, 0.1, ... ether) to `n_recipients` addresses.
pub(super) fn transfers(n_txs: usize, n_blocks: usize, n_senders: usize, n_recipients: usize) -> Vec<Block> {
    const AMOUNTS_MILLI_ETH: [u128; 8] = [500, 1_000, 100, 250, 2_000, 50, 10, 1_500];
    build(n_txs, n_blocks, n_senders, 0x5eed, |rng| {
        let to = recipient(rng.below(n_recipients as u64) as usize);
        let value = U256::from(AMOUNTS_MILLI_ETH[rng.below(8) as usize] * 1_000_000_000_000_000);
        (to, value, Bytes::new(), 21_000)
    })
}

/// ERC-20 `transfer(address,uint256)` calls on [`TOKEN`] to `n_recipients` holders, amounts with two
/// decimals (18-decimal token), 60000 gas.
pub(super) fn erc20_transfers(n_txs: usize, n_blocks: usize, n_senders: usize, n_recipients: usize) -> Vec<Block> {
    build(n_txs, n_blocks, n_senders, 0xe2c20, |rng| {
        let to = recipient(rng.below(n_recipients as u64) as usize);
        let amount = U256::from(1 + rng.below(100_000)) * U256::from(10_000_000_000_000_000u64);
        let mut input = Vec::with_capacity(68);
        input.extend_from_slice(&[0xa9, 0x05, 0x9c, 0xbb]);
        input.extend_from_slice(&[0u8; 12]);
        input.extend_from_slice(to.as_slice());
        input.extend_from_slice(&amount.to_be_bytes::<32>());
        (TOKEN, U256::ZERO, input.into(), 60_000)
    })
}
