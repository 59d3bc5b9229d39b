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
        l1: Default::default(),
        proving: mosaic_primitives::ProvingCost::unbounded(),
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
    let (r, _, _) = simulate(&state, &ctx(), env, SimulateOptions::default()).unwrap();
    assert!(r.result.is_success());
    assert_eq!(state.accounts[&a.address()].nonce, 0);
    let cfg = ChainConfig::default();
    let alloc = [(a.address(), eth(10))];
    let g1 = genesis(&MemoryNodeStore::new(), &cfg, &alloc, &[], &[], 5).unwrap();
    let g2 = genesis(&MemoryNodeStore::new(), &cfg, &alloc, &[], &[], 5).unwrap();
    assert_eq!(g1.block.hash(), g2.block.hash());
    assert_eq!(g1.block.header.state_root, root_from_scratch(&state));
}

#[test]
fn a_genesis_account_replaces_a_predeploy_whole_and_keeps_others_storage() {
    let (a, b) = (Address::repeat_byte(0xaa), Address::repeat_byte(0xbb));
    let slot = |k: u64, v: u64| (U256::from(k), U256::from(v));
    let predeploy = |storage| InitialAccount { nonce: 1, code: vec![0x00].into(), storage, ..Default::default() };
    let predeploys = [(a, predeploy(vec![slot(1, 1), slot(2, 2)])), (b, predeploy(vec![slot(1, 3)]))];
    let replacement = InitialAccount { balance: U256::from(5), storage: vec![slot(3, 4)], ..Default::default() };
    let cfg = ChainConfig::default();
    let g = genesis(&MemoryNodeStore::new(), &cfg, &[(a, U256::from(9))], &predeploys, &[(a, replacement)], 0).unwrap();
    let storage: Vec<_> = g.diff.storage.iter().map(|(k, v)| (*k, *v)).collect();
    assert_eq!(storage, vec![((a, U256::from(3)), U256::from(4)), ((b, U256::from(1)), U256::from(3))]);
    let leaf = g.diff.accounts[&a].unwrap();
    assert_eq!((leaf.nonce, leaf.balance, leaf.code_hash), (0, U256::from(5), KECCAK_EMPTY));
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

/// MultiVM: Wasm contracts deployed and called with ordinary transactions, and EVM ↔ Wasm calls.
mod multivm {
    use super::*;
    use crate::vm::{FrameStat, FUEL_PER_GAS, MAX_WASM_FRAME_PAGES};

    const GAS: u64 = 900_000;

    fn ctx() -> BlockContext {
        BlockContext { gas_limit: 30_000_000, ..super::ctx() }
    }

    fn wasm(src: &str) -> Vec<u8> {
        wat::parse_str(src).expect("valid wat")
    }

    /// Counter: `deploy` stores 5 in slot 0; `call` increments it, logs it and returns it.
    const COUNTER: &str = r#"(module
      (import "mosaic" "sload" (func $sload (param i32 i32)))
      (import "mosaic" "sstore" (func $sstore (param i32 i32)))
      (import "mosaic" "set_output" (func $set_output (param i32 i32)))
      (import "mosaic" "emit_log" (func $emit_log (param i32 i32 i32 i32)))
      (memory (export "memory") 1)
      (func (export "deploy") (result i32)
        (i32.store8 (i32.const 63) (i32.const 5))
        (call $sstore (i32.const 0) (i32.const 32))
        (i32.const 0))
      (func (export "call") (result i32)
        (call $sload (i32.const 0) (i32.const 32))
        (i32.store8 (i32.const 63) (i32.add (i32.load8_u (i32.const 63)) (i32.const 1)))
        (call $sstore (i32.const 0) (i32.const 32))
        (call $emit_log (i32.const 0) (i32.const 0) (i32.const 32) (i32.const 32))
        (call $set_output (i32.const 32) (i32.const 32))
        (i32.const 0)))"#;

    fn word(n: u64) -> Bytes {
        Bytes::from(U256::from(n).to_be_bytes::<32>().to_vec())
    }

    /// EVM code: CALL `to` with no data, copy 32 bytes of its output, then RETURN (or REVERT) them.
    fn evm_caller(to: Address, revert: bool) -> Vec<u8> {
        let mut c = vec![0x60, 0x20, 0x60, 0x00, 0x60, 0x00, 0x60, 0x00, 0x60, 0x00, 0x73];
        c.extend_from_slice(to.as_slice());
        c.extend_from_slice(&[0x5a, 0xf1, 0x50, 0x60, 0x20, 0x60, 0x00, if revert { 0xfd } else { 0xf3 }]);
        c
    }

    fn with_code(state: &mut MemoryState, at: Address, code: Vec<u8>) {
        let hash = alloy_primitives::keccak256(&code);
        state.codes.insert(hash, code.into());
        state.accounts.insert(at, AccountLeaf { nonce: 1, balance: U256::ZERO, code_hash: hash });
    }

    fn reason(output: &Bytes) -> alloc::string::String {
        use alloy_sol_types::SolError;
        alloy_sol_types::Revert::abi_decode(output)
            .unwrap_or_else(|e| panic!("not an Error(string): {output}: {e}"))
            .reason
    }

    fn deploy(builder: &mut BlockBuilder<MemoryState>, k: &PrivateKeySigner, nonce: u64, code: Vec<u8>) -> TxOutcome {
        builder.execute(tx(k, nonce, TxKind::Create, U256::ZERO, code, GAS), k.address()).unwrap()
    }

    #[test]
    fn wasm_contract_deploys_and_runs_with_plain_transactions() {
        let a = signer(0);
        let module = wasm(COUNTER);
        let mut builder = BlockBuilder::new(funded(&[&a]), ctx());
        let out = deploy(&mut builder, &a, 0, module.clone());
        assert!(out.success, "deploy failed: {out:?}");
        let counter = out.contract_address.unwrap();
        assert_eq!(counter, a.address().create(0), "Wasm contracts live at the usual CREATE address");
        let code_hash = builder.overlay().account(&counter).unwrap().unwrap().code_hash;
        assert_eq!(code_hash, alloy_primitives::keccak256(&module), "the code is the module itself");
        assert_eq!(builder.overlay().storage_value(&counter, &U256::ZERO).unwrap(), U256::from(5));

        let out = builder.execute(tx(&a, 1, TxKind::Call(counter), U256::ZERO, vec![], GAS), a.address()).unwrap();
        assert!(out.success);
        assert_eq!(out.output, word(6));
        assert_eq!(builder.overlay().storage_value(&counter, &U256::ZERO).unwrap(), U256::from(6));
        let [frame]: [FrameStat; 1] = out.frames.try_into().unwrap();
        assert_eq!((frame.vm, frame.kind, frame.address, frame.depth), ("wasm", "call", counter, 0));
        let schedule = ctx().proving.wasm_gas;
        let fuel = u64::from(schedule.instruction_fuel);
        assert!(frame.cycles > 5 * fuel && frame.cycles < 100 * fuel, "cycles {}", frame.cycles);
        // Besides the frame's start, the host traps and the instructions' fuel: cold SLOAD 2100 + SSTORE
        // 5→6 (2900 + 100) + LOG0 with 32 bytes (375 + 256) + page 1024 + copies
        let host = frame.gas_used - schedule.frame_gas - 3 * schedule.host_trap_gas - frame.cycles;
        assert!(host > 5_000 && host < 7_000, "gas {} (host functions {host})", frame.gas_used);
        assert_eq!(out.gas_used, 21_000 + frame.gas_used);

        let built = builder.finish(&MemoryNodeStore::new(), EMPTY_ROOT).unwrap();
        let receipt = &built.receipts[1];
        assert_eq!(receipt.logs().len(), 1);
        assert_eq!(receipt.logs()[0].address, counter);
        assert_eq!(receipt.logs()[0].data.data, word(6));
        assert_eq!(built.frame_stats.len(), 2);
    }

    #[test]
    fn evm_calls_wasm_and_a_revert_unwinds_both() {
        let a = signer(0);
        let mut builder = BlockBuilder::new(funded(&[&a]), ctx());
        let counter = deploy(&mut builder, &a, 0, wasm(COUNTER)).contract_address.unwrap();
        let mut state = funded(&[&a]);
        let (ok_caller, bad_caller) = (Address::repeat_byte(0xc1), Address::repeat_byte(0xc2));
        with_code(&mut state, ok_caller, evm_caller(counter, false));
        with_code(&mut state, bad_caller, evm_caller(counter, true));
        // Re-run the deployment on a state that also holds the two EVM callers.
        let mut builder = BlockBuilder::new(state, ctx());
        assert_eq!(deploy(&mut builder, &a, 0, wasm(COUNTER)).contract_address, Some(counter));

        let out = builder.execute(tx(&a, 1, TxKind::Call(ok_caller), U256::ZERO, vec![], GAS), a.address()).unwrap();
        assert!(out.success);
        assert_eq!(out.output, word(6), "the EVM caller got the Wasm callee's return data");
        let vms: Vec<_> = out.frames.iter().map(|f| (f.vm, f.depth, f.address)).collect();
        assert_eq!(vms, vec![("evm", 0, ok_caller), ("wasm", 1, counter)]);
        assert!(out.frames[0].gas_used > out.frames[1].gas_used, "the caller's gas includes the callee's");

        let out = builder.execute(tx(&a, 2, TxKind::Call(bad_caller), U256::ZERO, vec![], GAS), a.address()).unwrap();
        assert!(!out.success);
        assert_eq!(out.output, word(7), "the callee ran (and returned 7) before the caller reverted");
        assert_eq!(
            builder.overlay().storage_value(&counter, &U256::ZERO).unwrap(),
            U256::from(6),
            "the caller's revert unwound the Wasm callee's write"
        );
    }

    #[test]
    fn evm_code_may_not_pose_as_wasm() {
        let a = signer(0);
        let mut builder = BlockBuilder::new(funded(&[&a]), ctx());
        // init code: MSTORE the magic at 0 and RETURN 4 bytes from offset 28: returns "\0asm".
        let init = vec![0x63, 0x00, 0x61, 0x73, 0x6d, 0x60, 0x00, 0x52, 0x60, 0x04, 0x60, 0x1c, 0xf3];
        let out = deploy(&mut builder, &a, 0, init);
        assert!(!out.success);
        assert!(reason(&out.output).contains("Wasm magic"), "{}", reason(&out.output));
    }

    fn failing_deploy(src: &str) -> (TxOutcome, alloc::string::String) {
        let a = signer(0);
        let mut builder = BlockBuilder::new(funded(&[&a]), ctx());
        let out = deploy(&mut builder, &a, 0, wasm(src));
        assert!(!out.success, "deployment should fail");
        let r = reason(&out.output);
        (out, r)
    }

    #[test]
    fn invalid_modules_are_rejected_with_a_reason() {
        let (out, r) = failing_deploy(
            r#"(module (memory (export "memory") 1)
               (func (export "call") (result i32) (drop (f32.add (f32.const 1) (f32.const 2))) (i32.const 0)))"#,
        );
        assert!(r.starts_with("wasm: invalid module") && r.contains("float"), "{r}");
        assert!(out.gas_used < GAS / 2, "an invalid module costs its validation, not all gas: {}", out.gas_used);

        let (_, r) = failing_deploy(
            r#"(module (import "mosaic" "self_destruct_everything" (func))
               (memory (export "memory") 1) (func (export "call") (result i32) (i32.const 0)))"#,
        );
        assert!(r.contains("cannot instantiate") && r.contains("self_destruct_everything"), "{r}");

        let (_, r) = failing_deploy(r#"(module (memory (export "memory") 1))"#);
        assert!(r.contains("call() -> i32"), "{r}");

        let (_, r) = failing_deploy(r#"(module (func (export "call") (result i32) (i32.const 0)))"#);
        assert!(r.contains("memory"), "{r}");

        let (_, r) = failing_deploy(
            r#"(module (memory (export "memory") 1000) (func (export "call") (result i32) (i32.const 0)))"#,
        );
        assert!(r.contains("cannot instantiate"), "a 64 MiB initial memory is refused: {r}");

        let a = signer(0);
        let mut builder = BlockBuilder::new(funded(&[&a]), ctx());
        // Bytes that do not parse as sections are constructor input of an empty module.
        let out = deploy(&mut builder, &a, 0, b"\0asm\x01\0\0\0garbage".to_vec());
        assert!(!out.success);
        assert!(reason(&out.output).contains("call() -> i32"));
    }

    /// Deploys `src` (which must deploy fine) and calls it once.
    fn call_once(src: &str, gas: u64) -> TxOutcome {
        let a = signer(0);
        let mut builder = BlockBuilder::new(funded(&[&a]), ctx());
        let out = deploy(&mut builder, &a, 0, wasm(src));
        assert!(out.success, "{out:?}");
        let to = out.contract_address.unwrap();
        builder.execute(tx(&a, 1, TxKind::Call(to), U256::ZERO, vec![], gas), a.address()).unwrap()
    }

    #[test]
    fn infinite_loops_run_out_of_gas() {
        let out = call_once(
            r#"(module (memory (export "memory") 1)
               (func (export "call") (result i32) (loop $l (br $l)) (i32.const 0)))"#,
            200_000,
        );
        assert!(!out.success);
        assert_eq!(out.gas_used, 200_000, "a halt consumes the gas limit, no more");
        assert_eq!(out.frames[0].status, "OutOfGas");
        assert!(out.frames[0].cycles > 100_000 * FUEL_PER_GAS / 2);
    }

    #[test]
    fn deep_recursion_traps() {
        let out = call_once(
            r#"(module (memory (export "memory") 1)
               (func $r (call $r))
               (func (export "call") (result i32) (call $r) (i32.const 0)))"#,
            500_000,
        );
        assert!(!out.success);
        assert!(reason(&out.output).contains("wasm trap"), "{}", reason(&out.output));
        assert_eq!(out.gas_used, 500_000, "a trap consumes the frame's gas");
    }

    #[test]
    fn memory_growth_stops_at_the_frame_limit() {
        // Grows one page at a time until refused, then returns the memory size in pages.
        let out = call_once(
            r#"(module
               (import "mosaic" "set_output" (func $set_output (param i32 i32)))
               (memory (export "memory") 1)
               (func (export "call") (result i32)
                 (loop $l (br_if $l (i32.ne (memory.grow (i32.const 1)) (i32.const -1))))
                 (i32.store (i32.const 0) (memory.size))
                 (call $set_output (i32.const 0) (i32.const 4))
                 (i32.const 0)))"#,
            900_000,
        );
        assert!(out.success, "{out:?}");
        assert_eq!(out.output.as_ref(), &MAX_WASM_FRAME_PAGES.to_le_bytes());
        // growing 31 pages costs fuel for the 2 MiB it touches
        assert!(out.gas_used > 21_000 + 31 * 1000, "gas {}", out.gas_used);
    }

    #[test]
    fn reverting_wasm_returns_its_data_and_unwinds_its_writes() {
        let out = call_once(
            r#"(module
               (import "mosaic" "sstore" (func $sstore (param i32 i32)))
               (import "mosaic" "set_output" (func $set_output (param i32 i32)))
               (memory (export "memory") 1)
               (data (i32.const 64) "nope")
               (func (export "call") (result i32)
                 (i32.store8 (i32.const 63) (i32.const 9))
                 (call $sstore (i32.const 0) (i32.const 32))
                 (call $set_output (i32.const 64) (i32.const 4))
                 (i32.const 1)))"#,
            300_000,
        );
        assert!(!out.success);
        assert_eq!(out.output.as_ref(), b"nope");
        assert!(out.gas_used < 300_000, "a revert refunds the unused gas");
        assert_eq!(out.frames[0].status, "Revert");
    }

    #[test]
    fn module_length_separates_constructor_input() {
        let module = wasm(COUNTER);
        assert_eq!(crate::vm::wasm_module_len(&module), Some(module.len()));
        let mut with_args = module.clone();
        with_args.extend_from_slice(&U256::from(1234).to_be_bytes::<32>());
        with_args.extend_from_slice(&[0u8; 12]);
        with_args.extend_from_slice(&[0xab; 20]);
        assert_eq!(crate::vm::wasm_module_len(&with_args), Some(module.len()));
        assert_eq!(crate::vm::wasm_module_len(b"\x60\x80"), None);
    }
}

#[test]
fn l1_deposits_credit_eth_and_tokens_in_queue_order_before_transactions() {
    use mosaic_primitives::{l2_bridge_balance_slot, L1Cursor, L1Message, L2_BRIDGE};
    let (user, token_owner) = (signer(3), address!("00000000000000000000000000000000000000b0"));
    let token = address!("00000000000000000000000000000000000000e2");
    let msg = |index, token, to, amount| L1Message {
        index,
        token,
        from: Address::repeat_byte(0xaa),
        to,
        amount,
        transaction: None,
    };
    let deposits = [msg(0, Address::ZERO, user.address(), eth(1)), msg(1, token, token_owner, U256::from(500))];
    let mut builder = BlockBuilder::new(MemoryState::default(), ctx());
    // Not the head of the queue: refused, nothing applied.
    let err = builder.apply_l1_messages(&deposits[1..]).unwrap_err();
    assert!(matches!(err, L1MessageError::OutOfOrder { expected: 0, got: 1 }), "{err}");
    builder.apply_l1_messages(&deposits).unwrap();
    // The deposited ETH is spendable in the same block, by a transaction that comes after it.
    let out = builder
        .execute(
            tx(&user, 0, TxKind::Call(Address::repeat_byte(5)), eth(1) / U256::from(2), vec![], 21_000),
            user.address(),
        )
        .unwrap();
    assert!(out.success);
    let late = builder.apply_l1_messages(&[msg(2, Address::ZERO, user.address(), eth(1))]).unwrap_err();
    assert!(matches!(late, L1MessageError::AfterTransactions), "{late}");

    let built = builder.finish(&MemoryNodeStore::new(), EMPTY_ROOT).unwrap();
    let d = &built.diff;
    let fee = U256::from(21_000u64) * U256::from(BASE_FEE as u128 + TIP);
    assert_eq!(d.accounts[&user.address()].unwrap().balance, eth(1) - eth(1) / U256::from(2) - fee);
    assert_eq!(d.storage[&(L2_BRIDGE, l2_bridge_balance_slot(&token, &token_owner))], U256::from(500));
    assert!(!d.accounts.contains_key(&token_owner), "a token deposit moves no ETH");
    // The block carries the messages and commits to the queue position and rolling hash.
    assert_eq!(built.block.l1_messages, deposits);
    let mut cursor = L1Cursor::default();
    deposits.iter().for_each(|m| assert!(cursor.consume(m)));
    assert_eq!(L1Cursor::from_extra_data(&built.block.header.extra_data), Some(cursor));
    assert_eq!(cursor.next_index, 2);
    let mut after = MemoryState::default();
    apply(&mut after, d);
    assert_eq!(built.block.header.state_root, root_from_scratch(&after));
}

/// A traced transaction: a contract that stores a value and calls the identity precompile and an
/// account without code. The call tree lists every call with its VM, the struct log every instruction
/// with consistent gas, the state trace the slot before and after.
#[test]
fn traced_execution_records_calls_steps_and_state() {
    use crate::vm::TraceOptions;
    let a = signer(0);
    let contract = address!("00000000000000000000000000000000000c0de1");
    let empty = address!("00000000000000000000000000000000000e0e0e");
    // SSTORE(0, 5); CALL(gas, 0x04, 0, 0, 0, 0, 0); CALL(gas, empty, 0, 0, 0, 0, 0); STOP
    let mut code = vec![0x60, 0x05, 0x60, 0x00, 0x55];
    for callee in [&[0x04u8][..], empty.as_slice()] {
        code.extend([0x60, 0x00, 0x60, 0x00, 0x60, 0x00, 0x60, 0x00, 0x60, 0x00]);
        code.push(0x73);
        code.extend(core::iter::repeat_n(0u8, 20 - callee.len()));
        code.extend(callee);
        code.extend([0x5a, 0xf1, 0x50]);
    }
    code.push(0x00);
    let code = Bytes::from(code);
    let mut state = funded(&[&a]);
    let code_hash = alloy_primitives::keccak256(&code);
    state.accounts.insert(contract, AccountLeaf { nonce: 1, balance: U256::ZERO, code_hash });
    state.codes.insert(code_hash, code.clone());
    state.storage.insert((contract, U256::ZERO), U256::from(9));

    let mut builder = BlockBuilder::new(state, ctx());
    let opts = TraceOptions { calls: true, steps: true, stack: true, state: true, ..Default::default() };
    let (out, trace) = builder
        .execute_traced(tx(&a, 0, TxKind::Call(contract), U256::ZERO, vec![], 100_000), a.address(), opts)
        .unwrap();
    assert!(out.success);

    let calls: Vec<(u16, &str, Address)> = trace.calls.iter().map(|c| (c.depth, c.vm, c.to)).collect();
    let identity = address!("0000000000000000000000000000000000000004");
    assert_eq!(calls, vec![(0, "evm", contract), (1, "precompile", identity), (1, "none", empty)]);
    assert!(trace.calls.iter().all(|c| c.result.is_ok() && c.kind == "call"));
    assert_eq!(trace.calls[0].from, a.address());

    assert_eq!(trace.steps.first().map(|s| (s.pc, s.op, s.depth)), Some((0, 0x60, 1)));
    assert_eq!(trace.steps.last().map(|s| s.op), Some(0x00));
    for w in trace.steps.windows(2).filter(|w| w[0].op != 0xf1) {
        assert_eq!(w[0].gas - w[0].gas_cost, w[1].gas, "gas between {:?} and {:?}", w[0], w[1]);
    }
    assert_eq!(trace.steps[2].stack.as_deref(), Some(&[U256::from(5), U256::ZERO][..]), "stack before SSTORE");

    assert_eq!(trace.state.pre[&contract].storage[&U256::ZERO], U256::from(9));
    assert_eq!(trace.state.post[&contract].storage[&U256::ZERO], U256::from(5));
    assert!(trace.state.changed.contains(&a.address()) && trace.state.changed.contains(&contract));

    // Untraced execution records nothing.
    let (_, quiet) = builder
        .execute_traced(
            tx(&a, 1, TxKind::Call(contract), U256::ZERO, vec![], 100_000),
            a.address(),
            TraceOptions::default(),
        )
        .unwrap();
    assert_eq!(quiet, crate::vm::TxTrace::default());
}

/// The per-block cycle budget (issue #20): estimates, deferral, refusal, what is charged when.
mod budget {
    use super::*;
    use crate::cost::{standalone_cycles, tx_cycles, TxUsage};
    use mosaic_primitives::{L1Message, ProvingCost};

    fn ctx_with_budget(budget: u64) -> BlockContext {
        BlockContext {
            gas_limit: 30_000_000,
            proving: ProvingCost { block_cycle_budget: budget, ..ProvingCost::default() },
            ..super::ctx()
        }
    }

    fn transfer(k: &PrivateKeySigner, nonce: u64) -> TxEnvelope {
        tx(k, nonce, TxKind::Call(Address::repeat_byte(9)), U256::from(1), vec![], 21_000)
    }

    /// What one plain transfer is estimated at, measured on an unbounded block.
    fn transfer_cycles() -> u64 {
        let a = signer(0);
        let mut b = BlockBuilder::new(funded(&[&a]), ctx_with_budget(u64::MAX));
        b.execute(transfer(&a, 0), a.address()).unwrap().proving_cycles
    }

    #[test]
    fn a_transaction_over_the_budget_left_waits_and_one_over_the_whole_budget_is_refused() {
        let one = transfer_cycles();
        let p = ProvingCost::default().cycles;
        assert!(one >= p.tx_base + 2 * p.account, "sender and recipient are touched: {one}");
        let a = signer(0);
        let mut b = BlockBuilder::new(funded(&[&a]), ctx_with_budget(2 * one + one / 2));
        b.execute(transfer(&a, 0), a.address()).unwrap();
        b.execute(transfer(&a, 1), a.address()).unwrap();
        let (gas, cycles) = (b.gas_used(), b.cycles_used());
        assert_eq!(cycles, 2 * one);
        assert_eq!(b.execute(transfer(&a, 2), a.address()).unwrap_err(), TxFailure::CycleBudgetFull);
        assert_eq!(
            (b.len(), b.gas_used(), b.cycles_used()),
            (2, gas, cycles),
            "a deferred transaction changes nothing"
        );
        let built = b.finish(&MemoryNodeStore::new(), EMPTY_ROOT).unwrap();
        assert_eq!((built.tx_cycles, built.cycles_used), (vec![one, one], 2 * one));

        let mut b = BlockBuilder::new(funded(&[&a]), ctx_with_budget(one - 1));
        assert_eq!(
            b.execute(transfer(&a, 0), a.address()).unwrap_err(),
            TxFailure::ExceedsCycleBudget { cycles: one, budget: one - 1 }
        );
    }

    #[test]
    fn deposits_count_against_the_budget_but_are_never_refused() {
        let p = ProvingCost::default().cycles;
        let a = signer(0);
        let mut b = BlockBuilder::new(funded(&[&a]), ctx_with_budget(p.l1_message));
        let msgs: Vec<L1Message> = (0..3)
            .map(|i| L1Message {
                index: i,
                token: Address::ZERO,
                from: Address::repeat_byte(1),
                to: Address::repeat_byte(2),
                amount: U256::from(5),
                transaction: None,
            })
            .collect();
        b.apply_l1_messages(&msgs).unwrap();
        assert_eq!(b.cycles_used(), 3 * p.l1_message);
        assert_eq!(b.cycles_left(), 0);
        assert!(matches!(b.execute(transfer(&a, 0), a.address()), Err(TxFailure::ExceedsCycleBudget { .. })));
    }

    #[test]
    fn a_wasm_module_is_charged_for_compilation_once_per_block() {
        let a = signer(0);
        let module = wat::parse_str(
            r#"(module (memory (export "memory") 1) (func (export "call") (result i32) (i32.const 0)))"#,
        )
        .unwrap();
        let mut state = funded(&[&a]);
        let at = Address::repeat_byte(0x77);
        let hash = alloy_primitives::keccak256(&module);
        state.codes.insert(hash, module.clone().into());
        state.accounts.insert(at, AccountLeaf { nonce: 1, balance: U256::ZERO, code_hash: hash });
        let call = |n| tx(&a, n, TxKind::Call(at), U256::ZERO, vec![], 100_000);

        let mut b = BlockBuilder::new(state.clone(), ctx_with_budget(u64::MAX));
        let first = b.execute(call(0), a.address()).unwrap();
        let second = b.execute(call(1), a.address()).unwrap();
        assert!(first.success && second.success);
        assert_eq!(first.usage.modules, vec![(hash, module.len() as u32)]);
        assert_eq!(first.usage.wasm_frames, 1);
        let compile = ProvingCost::default().cycles.wasm_module_byte * module.len() as u64;
        assert_eq!(first.proving_cycles, second.proving_cycles + compile, "the second call finds it compiled");

        // A transaction that is deferred compiles nothing for the block: the next one still pays.
        let mut b = BlockBuilder::new(state, ctx_with_budget(first.proving_cycles - 1));
        assert!(matches!(b.execute(call(0), a.address()), Err(TxFailure::ExceedsCycleBudget { .. })));
        let p = ProvingCost::default();
        let alone = standalone_cycles(&p, &first.usage);
        assert_eq!(alone, first.proving_cycles);
    }

    #[test]
    fn precompile_calls_are_counted_with_their_gas() {
        let a = signer(0);
        let sha256 = address!("0000000000000000000000000000000000000002");
        let mut b = BlockBuilder::new(funded(&[&a]), ctx_with_budget(u64::MAX));
        let out = b.execute(tx(&a, 0, TxKind::Call(sha256), U256::ZERO, vec![7; 64], 100_000), a.address()).unwrap();
        assert!(out.success);
        assert_eq!(out.usage.precompiles, vec![(sha256, 60 + 12 * 2)], "SHA-256 of two words");
        let p = ProvingCost::default();
        let without = tx_cycles(&p, &TxUsage { precompiles: vec![], ..out.usage.clone() }, 0);
        let (call, per_gas) = p.cycles.precompiles[1];
        assert_eq!(out.proving_cycles, without + call + per_gas * 84);
    }

    #[test]
    fn a_block_over_the_budget_does_not_replay() {
        let a = signer(0);
        let config = ChainConfig { chain_id: 7, ..ChainConfig::default() };
        let genesis = crate::genesis(&MemoryNodeStore::new(), &config, &[(a.address(), eth(10))], &[], &[], 0).unwrap();
        let parts = || BlockParts {
            timestamp: 1,
            beneficiary: FEE_RECIPIENT,
            l1_messages: &[],
            transactions: vec![(transfer(&a, 0), a.address()), (transfer(&a, 1), a.address())],
        };
        let mut nodes = MemoryNodeStore::new();
        nodes.insert_all(genesis.trie_nodes.clone());
        let state = funded(&[&a]);
        let header = &genesis.block.header;
        replay_block(&config, header, parts(), state.clone(), &nodes).expect("fits the default budget");
        let tight = ChainConfig {
            proving: ProvingCost { block_cycle_budget: transfer_cycles() + 1, ..config.proving },
            ..config.clone()
        };
        let err = replay_block(&tight, header, parts(), state, &nodes).unwrap_err();
        assert!(matches!(err, ReplayError::Invalid(ref m) if m.contains("cycle budget")), "{err}");
    }
}

mod forced {
    use super::*;
    use alloy_eips::eip2718::Encodable2718;
    use mosaic_primitives::{L1Cursor, L1Message};

    fn transfer(k: &PrivateKeySigner, nonce: u64) -> TxEnvelope {
        tx(k, nonce, TxKind::Call(Address::repeat_byte(9)), U256::from(1), vec![], 21_000)
    }

    fn raw(t: &TxEnvelope) -> Bytes {
        t.encoded_2718().into()
    }

    /// A forced transaction runs first, with its receipt, as a transaction of its signer; one that
    /// cannot run is consumed without effect; a batch posts only the sequencer's transactions, and
    /// replaying those with the queue gives the same block.
    #[test]
    fn forced_transactions_run_first_and_the_unrunnable_ones_are_consumed_without_effect() {
        let (a, b) = (signer(0), signer(1));
        let config = ChainConfig { chain_id: 7, ..ChainConfig::default() };
        let alloc = [(a.address(), eth(10)), (b.address(), eth(10))];
        let genesis = crate::genesis(&MemoryNodeStore::new(), &config, &alloc, &[], &[], 0).unwrap();
        let mut nodes = MemoryNodeStore::new();
        nodes.insert_all(genesis.trie_nodes.clone());
        let state = funded(&[&a, &b]);
        let header = &genesis.block.header;
        let l1 = Address::repeat_byte(0xaa);
        let mut trailing = raw(&transfer(&a, 1)).to_vec();
        trailing.push(0);
        let messages = [
            L1Message::forced(0, l1, Bytes::from_static(b"not a transaction")),
            L1Message::forced(1, l1, raw(&transfer(&a, 5))), // nonce gap
            L1Message::forced(2, l1, raw(&transfer(&a, 0))), // runs
            L1Message::forced(3, l1, raw(&transfer(&a, 0))), // the same again: nonce too low
            L1Message::forced(4, l1, trailing.into()),       // not exactly one transaction
            L1Message::deposit(5, Address::ZERO, l1, b.address(), eth(1)),
        ];
        let parts = |transactions| BlockParts {
            timestamp: 1,
            beneficiary: FEE_RECIPIENT,
            l1_messages: &messages,
            transactions,
        };
        let sequenced = vec![(transfer(&b, 0), b.address()), (transfer(&b, 1), b.address())];
        let built = replay_block(&config, header, parts(sequenced.clone()), state.clone(), &nodes).unwrap();
        let block = &built.block;
        assert_eq!(block.forced, 1);
        assert_eq!(block.transactions.len(), 3);
        assert_eq!(block.transactions[0].tx_hash(), transfer(&a, 0).tx_hash(), "the forced one first");
        assert_eq!(block.senders[0], a.address());
        assert_eq!(built.receipts.len(), 3, "with its receipt");
        assert_eq!(block.l1_messages, messages, "every message consumed");
        let cursor = L1Cursor::from_extra_data(&block.header.extra_data).unwrap();
        assert_eq!(cursor.next_index, 6);
        assert_eq!(built.diff.accounts[&a.address()].unwrap().nonce, 1, "the forced one ran once");
        assert_eq!(block.sequenced().map(|(t, s)| (t.clone(), *s)).collect::<Vec<_>>(), sequenced);
        // What a batch posts replays to the same block ...
        let again = replay_block(&config, header, parts(sequenced.clone()), state.clone(), &nodes).unwrap();
        assert_eq!(again.block.hash(), block.hash());
        // ... and a batch that posts the forced transaction too does not replay.
        let mut doubled = vec![(transfer(&a, 0), a.address())];
        doubled.extend(sequenced);
        let err = replay_block(&config, header, parts(doubled), state.clone(), &nodes).unwrap_err();
        assert!(matches!(err, ReplayError::Invalid(ref m) if m.contains("transaction 0")), "{err}");
        // A consumed forced message that did not run leaves the block to the sequencer's transactions.
        let alone = [L1Message::forced(0, l1, Bytes::from_static(&[0x02]))];
        let mut builder = BlockBuilder::new(state, ctx());
        builder.apply_l1_messages(&alone).unwrap();
        builder.execute(transfer(&a, 0), a.address()).unwrap();
        let built = builder.finish(&MemoryNodeStore::new(), EMPTY_ROOT).unwrap();
        assert_eq!((built.block.forced, built.block.transactions.len()), (0, 1));
        assert_eq!(built.diff.accounts[&a.address()].unwrap().nonce, 1);
    }

    /// Blocks less than a second apart share their parent's timestamp; an earlier one does not replay.
    #[test]
    fn a_block_may_share_its_parents_timestamp_but_not_go_back() {
        let a = signer(0);
        let config = ChainConfig { chain_id: 7, ..ChainConfig::default() };
        let genesis = crate::genesis(&MemoryNodeStore::new(), &config, &[(a.address(), eth(10))], &[], &[], 5).unwrap();
        let mut nodes = MemoryNodeStore::new();
        nodes.insert_all(genesis.trie_nodes.clone());
        let header = &genesis.block.header;
        assert_eq!(header.timestamp, 5);
        let parts = |timestamp| BlockParts {
            timestamp,
            beneficiary: FEE_RECIPIENT,
            l1_messages: &[],
            transactions: vec![(transfer(&a, 0), a.address())],
        };
        let same = replay_block(&config, header, parts(5), funded(&[&a]), &nodes).unwrap();
        assert_eq!(same.block.header.timestamp, 5);
        let err = replay_block(&config, header, parts(4), funded(&[&a]), &nodes).unwrap_err();
        assert!(matches!(err, ReplayError::Invalid(ref m) if m.contains("before parent")), "{err}");
        assert_eq!(child_context(&config, header, 3, FEE_RECIPIENT).timestamp, 5, "never before the parent");
    }

    /// Messages may be applied in several calls while only forced transactions ran, never after a
    /// transaction of the sequencer's.
    #[test]
    fn messages_follow_forced_transactions_but_not_the_sequencers() {
        let (a, b) = (signer(0), signer(1));
        let l1 = Address::repeat_byte(0xaa);
        let mut builder = BlockBuilder::new(funded(&[&a, &b]), ctx());
        builder.apply_l1_messages(&[L1Message::forced(0, l1, raw(&transfer(&a, 0)))]).unwrap();
        assert_eq!(builder.len(), 1);
        builder.apply_l1_messages(&[L1Message::deposit(1, Address::ZERO, l1, a.address(), eth(1))]).unwrap();
        builder.execute(transfer(&b, 0), b.address()).unwrap();
        let late = builder.apply_l1_messages(&[L1Message::forced(2, l1, raw(&transfer(&a, 2)))]).unwrap_err();
        assert!(matches!(late, L1MessageError::AfterTransactions), "{late}");
    }

    /// A legacy transaction without a chain id could be anyone's, replayed from another chain: forced, it
    /// is consumed without effect (the same one protected by EIP-155 runs).
    #[test]
    fn a_forced_transaction_must_name_its_chain() {
        use alloy_consensus::TxLegacy;
        let a = signer(0);
        let legacy = |chain_id| {
            let t = TxLegacy {
                chain_id,
                nonce: 0,
                gas_price: BASE_FEE as u128 + TIP,
                gas_limit: 21_000,
                to: TxKind::Call(Address::repeat_byte(9)),
                value: U256::from(1),
                input: Bytes::new(),
            };
            let sig = a.sign_hash_sync(&t.signature_hash()).unwrap();
            raw(&TxEnvelope::from(t.into_signed(sig)))
        };
        let l1 = Address::repeat_byte(0xaa);
        let mut builder = BlockBuilder::new(funded(&[&a]), ctx());
        builder.apply_l1_messages(&[L1Message::forced(0, l1, legacy(None))]).unwrap();
        assert_eq!(builder.len(), 0, "unprotected: not run");
        builder.apply_l1_messages(&[L1Message::forced(1, l1, legacy(Some(7)))]).unwrap();
        assert_eq!(builder.len(), 1, "protected: run");
    }

    /// A forced transaction asking for more gas than the cap is consumed without running.
    #[test]
    fn a_forced_transaction_over_the_gas_cap_is_consumed_without_running() {
        let a = signer(0);
        let l1 = Address::repeat_byte(0xaa);
        let to = TxKind::Call(Address::repeat_byte(9));
        let over = tx(&a, 0, to, U256::from(1), vec![], crate::MAX_FORCED_TX_GAS + 1);
        let mut builder = BlockBuilder::new(funded(&[&a]), ctx());
        builder.apply_l1_messages(&[L1Message::forced(0, l1, raw(&over))]).unwrap();
        assert_eq!((builder.len(), builder.l1_cursor().next_index), (0, 1));
        let at = tx(&a, 0, to, U256::from(1), vec![], crate::MAX_FORCED_TX_GAS);
        builder.apply_l1_messages(&[L1Message::forced(1, l1, raw(&at))]).unwrap();
        assert_eq!((builder.len(), builder.l1_cursor().next_index), (1, 2), "at the cap it runs");
    }

    /// A forced transaction that only lacks room in this block is refused there, so that it opens the
    /// next one; as the first L1 message of a block it is consumed even if it does not fit.
    #[test]
    fn a_forced_transaction_without_room_opens_the_next_block() {
        let a = signer(0);
        let l1 = Address::repeat_byte(0xaa);
        let forced = |index, nonce| L1Message::forced(index, l1, raw(&transfer(&a, nonce)));
        let small = BlockContext { gas_limit: 50_000, ..ctx() };
        let mut builder = BlockBuilder::new(funded(&[&a]), small.clone());
        let err = builder.apply_l1_messages(&[forced(0, 0), forced(1, 1), forced(2, 2)]).unwrap_err();
        assert_eq!(err, L1MessageError::ForcedDoesNotFit { index: 2 });
        assert_eq!((builder.len(), builder.l1_cursor().next_index), (2, 2), "the two before it ran");
        let state_after_two = {
            let mut s = funded(&[&a]);
            s.accounts.get_mut(&a.address()).unwrap().nonce = 2;
            s
        };
        // (The fresh builders below start the queue at 0, so the message keeps its transaction only.)
        let mut next = BlockBuilder::new(state_after_two.clone(), small);
        next.apply_l1_messages(&[forced(0, 2)]).unwrap();
        assert_eq!(next.len(), 1, "first in the next block, it runs");
        // First in a block that cannot hold it at all: consumed without effect.
        let tiny = BlockContext { gas_limit: 20_000, ..ctx() };
        let mut builder = BlockBuilder::new(state_after_two, tiny);
        builder.apply_l1_messages(&[forced(0, 2)]).unwrap();
        assert_eq!((builder.len(), builder.l1_cursor().next_index), (0, 1));
    }

    /// A forced transaction that costs more to prove than the block has: after other L1 messages it is
    /// refused there; first in its block it fails like an out-of-gas transaction — charged its gas limit,
    /// its nonce used — and nothing else runs in that block.
    #[test]
    fn a_forced_transaction_over_the_cycle_budget_is_charged_and_fills_its_block() {
        use mosaic_primitives::ProvingCost;
        let (a, b) = (signer(0), signer(1));
        let l1 = Address::repeat_byte(0xaa);
        // Room for L1 messages, not for a transfer.
        let tight =
            BlockContext { proving: ProvingCost { block_cycle_budget: 20_000, ..ProvingCost::default() }, ..ctx() };
        let forced = L1Message::forced(1, l1, raw(&transfer(&a, 0)));
        let deposit = L1Message::deposit(0, Address::ZERO, l1, b.address(), eth(1));
        let mut builder = BlockBuilder::new(funded(&[&a, &b]), tight.clone());
        let err = builder.apply_l1_messages(&[deposit, forced.clone()]).unwrap_err();
        assert_eq!(err, L1MessageError::ForcedDoesNotFit { index: 1 });
        let mut first = L1Message::forced(0, l1, raw(&transfer(&a, 0)));
        let mut builder = BlockBuilder::new(funded(&[&a, &b]), tight.clone());
        builder.apply_l1_messages(core::slice::from_ref(&first)).unwrap();
        assert_eq!(builder.len(), 1, "included, as a failure");
        assert!(!builder.receipts()[0].status());
        assert_eq!(builder.gas_used(), 21_000, "its whole gas limit");
        assert_eq!(builder.cycles_left(), 0, "the block is full");
        let refused = builder.execute(transfer(&b, 0), b.address()).unwrap_err();
        assert!(matches!(refused, TxFailure::CycleBudgetFull | TxFailure::ExceedsCycleBudget { .. }), "{refused}");
        let built = builder.finish(&MemoryNodeStore::new(), EMPTY_ROOT).unwrap();
        let payer = built.diff.accounts[&a.address()].unwrap();
        let price = U256::from(BASE_FEE as u128 + TIP);
        assert_eq!((payer.nonce, payer.balance), (1, eth(10) - U256::from(21_000) * price));
        let tip = built.diff.accounts[&FEE_RECIPIENT].unwrap().balance;
        assert_eq!(tip, U256::from(21_000) * U256::from(TIP));
        assert!(!built.diff.accounts.contains_key(&Address::repeat_byte(9)), "the transfer did nothing");
        assert_eq!(built.block.forced, 1);
        // Queued again, its bytes are refused before they run: the nonce is used.
        let mut after = funded(&[&a, &b]);
        apply(&mut after, &built.diff);
        first.index = 0;
        let mut again = BlockBuilder::new(after, ctx());
        again.apply_l1_messages(&[first]).unwrap();
        assert_eq!((again.len(), again.cycles_used() < 20_000), (0, true));
    }

    /// A forced message is charged by its size before anything runs: large ones fill a block's budget
    /// and open the next block.
    #[test]
    fn large_forced_messages_count_by_their_size() {
        use mosaic_primitives::ProvingCost;
        let l1 = Address::repeat_byte(0xaa);
        let budget = 10_000 + 2 * crate::FORCED_BYTE_CYCLES * 1000;
        let ctx =
            BlockContext { proving: ProvingCost { block_cycle_budget: budget, ..ProvingCost::default() }, ..ctx() };
        let junk = |index| L1Message::forced(index, l1, vec![0xffu8; 1000].into());
        let mut builder = BlockBuilder::new(MemoryState::default(), ctx);
        assert_eq!(
            builder.apply_l1_messages(&[junk(0), junk(1), junk(2)]).unwrap_err(),
            L1MessageError::ForcedDoesNotFit { index: 2 }
        );
        assert_eq!((builder.len(), builder.l1_cursor().next_index), (0, 2), "two fit, consumed without effect");
    }

    /// After a forced transaction of its sender ran, a sequenced one waits for the next block: a batch
    /// without nonces derives them from the parent state and the sender's sequenced transactions alone.
    #[test]
    fn a_senders_forced_transaction_holds_its_sequenced_ones_to_the_next_block() {
        let (a, b) = (signer(0), signer(1));
        let l1 = Address::repeat_byte(0xaa);
        let mut builder = BlockBuilder::new(funded(&[&a, &b]), ctx());
        builder.apply_l1_messages(&[L1Message::forced(0, l1, raw(&transfer(&a, 0)))]).unwrap();
        assert_eq!(builder.execute(transfer(&a, 1), a.address()).unwrap_err(), TxFailure::NonceMoved);
        // Others are not held, and the sender's own sequenced transactions chain as usual.
        builder.execute(transfer(&b, 0), b.address()).unwrap();
        builder.execute(transfer(&b, 1), b.address()).unwrap();
        assert_eq!(builder.len(), 3);
    }
}
