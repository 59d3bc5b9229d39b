//! Unit tests of the STF against an in-memory state (`MemoryState` is a test-only stand-in for the
//! node's database).
use crate::*;
use alloc::{collections::BTreeMap, vec, vec::Vec};
use alloy_consensus::{SignableTransaction, TxEip1559, TxEnvelope};
use alloy_primitives::{address, Address, Bytes, TxKind, B256, U256};
use alloy_signer::SignerSync;
use alloy_signer_local::PrivateKeySigner;
use mosaic_primitives::{account_key, storage_key, AccountLeaf, ChainConfig};
use mosaic_trie::{MemoryNodeStore, EMPTY_ROOT};
use revm::primitives::KECCAK_EMPTY;

/// Test-only in-memory committed state.
#[derive(Default, Clone)]
struct MemoryState {
    accounts: BTreeMap<Address, AccountLeaf>,
    storage: BTreeMap<(Address, U256), U256>,
    codes: BTreeMap<B256, Bytes>,
}

impl StateReader for MemoryState {
    fn account(&self, a: &Address) -> Result<Option<AccountLeaf>, StateError> {
        Ok(self.accounts.get(a).copied())
    }
    fn storage(&self, a: &Address, s: &U256) -> Result<U256, StateError> {
        Ok(self.storage.get(&(*a, *s)).copied().unwrap_or_default())
    }
    fn code(&self, h: &B256) -> Result<Option<Bytes>, StateError> {
        Ok(self.codes.get(h).cloned())
    }
    fn block_hash(&self, _: u64) -> Result<B256, StateError> {
        Ok(B256::ZERO)
    }
}

const FEE_RECIPIENT: Address = address!("000000000000000000000000000000000000fee0");
const BASE_FEE: u64 = 1_000_000_000;
const TIP: u128 = 2_000_000_000;

fn ctx() -> BlockContext {
    BlockContext {
        chain_id: 7,
        number: 1,
        timestamp: 1_000,
        beneficiary: FEE_RECIPIENT,
        gas_limit: 1_000_000,
        base_fee: BASE_FEE,
        parent_hash: B256::repeat_byte(1),
    }
}

fn eth(n: u64) -> U256 {
    U256::from(n) * U256::from(10u64).pow(U256::from(18u64))
}

fn signer(i: u8) -> PrivateKeySigner {
    PrivateKeySigner::from_bytes(&B256::repeat_byte(i + 1)).unwrap()
}

fn funded(signers: &[&PrivateKeySigner]) -> MemoryState {
    let mut s = MemoryState::default();
    for k in signers {
        s.accounts.insert(k.address(), AccountLeaf { nonce: 0, balance: eth(10), code_hash: KECCAK_EMPTY });
    }
    s
}

fn tx(k: &PrivateKeySigner, nonce: u64, to: TxKind, value: U256, input: Vec<u8>, gas: u64) -> TxEnvelope {
    let tx = TxEip1559 {
        chain_id: 7,
        nonce,
        gas_limit: gas,
        max_fee_per_gas: BASE_FEE as u128 + TIP,
        max_priority_fee_per_gas: TIP,
        to,
        value,
        input: input.into(),
        access_list: Default::default(),
    };
    let sig = k.sign_hash_sync(&tx.signature_hash()).unwrap();
    tx.into_signed(sig).into()
}

/// The root of a tree built from scratch out of a complete state, independent of incremental updates.
fn root_from_scratch(state: &MemoryState) -> B256 {
    let mut updates: Vec<(B256, Option<Vec<u8>>)> = Vec::new();
    for (a, leaf) in &state.accounts {
        updates.push((account_key(a), Some(leaf.encode().to_vec())));
    }
    for ((a, slot), v) in &state.storage {
        if !v.is_zero() {
            updates.push((storage_key(a, slot), Some(v.to_be_bytes::<32>().to_vec())));
        }
    }
    mosaic_trie::update(&MemoryNodeStore::new(), EMPTY_ROOT, &updates).unwrap().0
}

/// Applies a block's diff to a state (what the node's database does).
fn apply(state: &mut MemoryState, diff: &StateDiff) {
    for (a, leaf) in &diff.accounts {
        match leaf {
            Some(l) => state.accounts.insert(*a, *l),
            None => state.accounts.remove(a),
        };
    }
    for (k, v) in &diff.storage {
        state.storage.insert(*k, *v);
    }
    state.codes.extend(diff.codes.clone());
}

#[test]
fn transfer_moves_value_pays_tip_and_burns_base_fee() {
    let (a, b) = (signer(0), signer(1));
    let state = funded(&[&a]);
    let mut builder = BlockBuilder::new(state.clone(), ctx());
    let out = builder.execute(tx(&a, 0, TxKind::Call(b.address()), eth(1), vec![], 21_000), a.address()).unwrap();
    assert!(out.success);
    assert_eq!(out.gas_used, 21_000);
    let store = MemoryNodeStore::new();
    let genesis_root = root_from_scratch(&state);
    // The tree under the parent root must hold the parent state: build it.
    let (_, nodes) = mosaic_trie::update(
        &store,
        EMPTY_ROOT,
        &[(account_key(&a.address()), Some(state.accounts[&a.address()].encode().to_vec()))],
    )
    .unwrap();
    let mut store = store;
    store.insert_all(nodes);
    let built = builder.finish(&store, genesis_root).unwrap();
    let d = &built.diff;
    let sender = d.accounts[&a.address()].unwrap();
    let fee = U256::from(21_000u64) * U256::from(BASE_FEE as u128 + TIP);
    assert_eq!(sender.nonce, 1);
    assert_eq!(sender.balance, eth(10) - eth(1) - fee);
    assert_eq!(d.accounts[&b.address()].unwrap().balance, eth(1));
    assert_eq!(d.accounts[&FEE_RECIPIENT].unwrap().balance, U256::from(21_000u64) * U256::from(TIP));
    // The incremental root equals a from-scratch root of the resulting state.
    let mut after = state;
    apply(&mut after, d);
    assert_eq!(built.block.header.state_root, root_from_scratch(&after));
    assert_eq!(built.block.header.gas_used, 21_000);
    assert_eq!(built.block.header.base_fee_per_gas, Some(BASE_FEE));
    assert_eq!(built.receipts.len(), 1);
    assert!(built.receipts[0].status());
}

#[test]
fn invalid_transactions_leave_the_block_unchanged() {
    let (a, b, poor) = (signer(0), signer(1), signer(2));
    let mut builder = BlockBuilder::new(funded(&[&a]), ctx());
    let to = TxKind::Call(b.address());
    assert!(matches!(
        builder.execute(tx(&a, 5, to, U256::ZERO, vec![], 21_000), a.address()),
        Err(TxFailure::NonceTooHigh { tx: 5, state: 0 })
    ));
    assert!(matches!(
        builder.execute(tx(&poor, 0, to, eth(1), vec![], 21_000), poor.address()),
        Err(TxFailure::Invalid(_))
    ));
    assert!(matches!(
        builder.execute(tx(&a, 0, to, U256::ZERO, vec![], 2_000_000), a.address()),
        Err(TxFailure::BlockFull)
    ));
    let mut low = ctx();
    low.base_fee = BASE_FEE * 10;
    let mut b2 = BlockBuilder::new(funded(&[&a]), low);
    assert_eq!(b2.execute(tx(&a, 0, to, U256::ZERO, vec![], 21_000), a.address()).unwrap_err(), TxFailure::FeeTooLow);
    assert!(builder.is_empty());
    assert!(builder.overlay().diff.accounts.is_empty());
}

/// Init code that deploys a runtime which stores calldata word 0 at slot 0, and reverts with 0xdead when
/// called with calldata word 0 == 0.
fn store_contract_init() -> Vec<u8> {
    // runtime: PUSH1 0 CALLDATALOAD DUP1 PUSH1 0x0e JUMPI PUSH2 0xdead PUSH1 0 MSTORE PUSH1 2 PUSH1 30 REVERT
    //          JUMPDEST(0x0e) PUSH1 0 SSTORE STOP
    let runtime: Vec<u8> = vec![
        0x60, 0x00, 0x35, 0x80, 0x60, 0x0e, 0x57, 0x61, 0xde, 0xad, 0x60, 0x00, 0x52, 0x60, 0x02, 0x60, 0x1e, 0xfd,
        0x5b, 0x60, 0x00, 0x55, 0x00,
    ];
    // The JUMPDEST sits at offset 0x12; patch the PUSH1 target accordingly.
    let mut runtime = runtime;
    runtime[5] = 0x12;
    let len = runtime.len() as u8;
    // init: PUSH1 len PUSH1 12 PUSH1 0 CODECOPY PUSH1 len PUSH1 0 RETURN
    let mut init = vec![0x60, len, 0x60, 0x0c, 0x60, 0x00, 0x39, 0x60, len, 0x60, 0x00, 0xf3];
    init.extend(runtime);
    init
}

#[test]
fn create_store_and_revert() {
    let a = signer(0);
    let mut builder = BlockBuilder::new(funded(&[&a]), ctx());
    let created =
        builder.execute(tx(&a, 0, TxKind::Create, U256::ZERO, store_contract_init(), 200_000), a.address()).unwrap();
    assert!(created.success);
    let contract = created.contract_address.expect("created");
    assert_eq!(contract, a.address().create(0));
    let mut word = [0u8; 32];
    word[31] = 42;
    let stored =
        builder.execute(tx(&a, 1, TxKind::Call(contract), U256::ZERO, word.to_vec(), 100_000), a.address()).unwrap();
    assert!(stored.success);
    let reverted =
        builder.execute(tx(&a, 2, TxKind::Call(contract), U256::ZERO, vec![0; 32], 100_000), a.address()).unwrap();
    assert!(!reverted.success);
    assert_eq!(reverted.output.as_ref(), &[0xde, 0xad]);
    let d = &builder.overlay().diff;
    assert_eq!(d.storage[&(contract, U256::ZERO)], U256::from(42));
    let code_hash = d.accounts[&contract].unwrap().code_hash;
    assert_ne!(code_hash, KECCAK_EMPTY);
    assert!(d.codes.contains_key(&code_hash));
    // A reverted transaction still uses its nonce and pays for gas.
    assert_eq!(d.accounts[&a.address()].unwrap().nonce, 3);
    let built = builder.finish(&MemoryNodeStore::new(), EMPTY_ROOT).unwrap();
    assert!(!built.receipts[2].status());
    assert_eq!(built.block.transactions.len(), 3);
}

#[test]
fn simulate_does_not_commit_and_genesis_is_deterministic() {
    let a = signer(0);
    let state = funded(&[&a]);
    let env = tx_env(&tx(&a, 0, TxKind::Call(Address::ZERO), eth(1), vec![], 21_000), a.address());
    let r = simulate(&state, &ctx(), env, SimulateOptions::default()).unwrap();
    assert!(r.result.is_success());
    assert_eq!(state.accounts[&a.address()].nonce, 0);
    let cfg = ChainConfig::default();
    let alloc = [(a.address(), eth(10))];
    let g1 = genesis(&MemoryNodeStore::new(), &cfg, &alloc, 5).unwrap();
    let g2 = genesis(&MemoryNodeStore::new(), &cfg, &alloc, 5).unwrap();
    assert_eq!(g1.block.hash(), g2.block.hash());
    assert_eq!(g1.block.header.state_root, root_from_scratch(&state));
}

#[test]
fn blob_transactions_are_rejected() {
    use alloy_consensus::{TxEip4844, TxEip4844Variant};
    let a = signer(0);
    let blob = TxEip4844 {
        chain_id: 7,
        gas_limit: 21_000,
        max_fee_per_gas: 10_000_000_000,
        blob_versioned_hashes: vec![B256::repeat_byte(1)],
        max_fee_per_blob_gas: 1,
        ..Default::default()
    };
    let sig = a.sign_hash_sync(&blob.signature_hash()).unwrap();
    let variant: TxEip4844Variant = TxEip4844Variant::TxEip4844(blob);
    let env: TxEnvelope = variant.into_signed(sig).into();
    let mut builder = BlockBuilder::new(funded(&[&a]), ctx());
    assert!(matches!(builder.execute(env, a.address()), Err(TxFailure::Invalid(m)) if m.contains("blob")));
}
