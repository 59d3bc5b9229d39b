//! Running one state test through Mosaic's STF and comparing the result with the fixture.
use crate::fixture::{Account, Env, PostState, StateTest};
use alloy_consensus::{transaction::SignerRecoverable, TxEnvelope};
use alloy_eips::eip2718::Decodable2718;
use alloy_primitives::{keccak256, Address, Bytes, B256, U256};
use mosaic_primitives::{AccountLeaf, L1Cursor};
use mosaic_stf::{
    revm::{
        context::BlockEnv,
        context_interface::block::BlobExcessGasAndPrice,
        primitives::{eip4844, hardfork::SpecId, KECCAK_EMPTY},
    },
    tree_account, tree_storage, trie_updates, BlockBuilder, BlockContext, StateDiff, StateError, StateReader,
    TxFailure,
};
use mosaic_trie::{MemoryNodeStore, EMPTY_ROOT};
use std::collections::{BTreeMap, BTreeSet};

/// Why a case is not run: a place where Mosaic deliberately differs from Ethereum L1.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum SkipReason {
    /// EIP-4844 blob transactions: an L2 has no blob space, Mosaic refuses type-3 transactions.
    BlobTransaction,
    /// Code starting with `\0asm` runs in Mosaic's Wasm VM, not the EVM.
    WasmCode,
    /// A fork name the runner does not know.
    UnknownFork,
}

impl SkipReason {
    /// A short, stable name for reports.
    pub fn name(&self) -> &'static str {
        match self {
            Self::BlobTransaction => "blob transactions (EIP-4844): no blob space on the L2",
            Self::WasmCode => "code starting with \\0asm runs in the Wasm VM",
            Self::UnknownFork => "fork unknown to the runner",
        }
    }
}

/// How one case (one fork, one expected result) ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Mosaic produced the expected post-state and logs, or refused a transaction that must be refused.
    Passed,
    /// It did not; the first difference found.
    Failed(String),
    /// Not run, for a documented reason.
    Skipped(SkipReason),
}

/// The result of one case.
#[derive(Clone, Debug)]
pub struct CaseResult {
    /// `file::test[fork/index]`.
    pub name: String,
    /// How it ended.
    pub verdict: Verdict,
}

/// The revm spec of an execution-spec-tests fork name.
pub fn fork_spec(name: &str) -> Option<SpecId> {
    Some(match name {
        "Frontier" => SpecId::FRONTIER,
        "Homestead" => SpecId::HOMESTEAD,
        "EIP150" | "TangerineWhistle" => SpecId::TANGERINE,
        "EIP158" | "SpuriousDragon" => SpecId::SPURIOUS_DRAGON,
        "Byzantium" => SpecId::BYZANTIUM,
        "ConstantinopleFix" | "Petersburg" => SpecId::PETERSBURG,
        "Istanbul" => SpecId::ISTANBUL,
        "Berlin" => SpecId::BERLIN,
        "London" => SpecId::LONDON,
        "Paris" | "Merge" => SpecId::MERGE,
        "Shanghai" => SpecId::SHANGHAI,
        "Cancun" => SpecId::CANCUN,
        "Prague" => SpecId::PRAGUE,
        "Osaka" => SpecId::OSAKA,
        _ => return None,
    })
}

/// Runs every case of `test` (named `name`).
pub fn run_test(name: &str, test: &StateTest) -> Vec<CaseResult> {
    let mut results = Vec::new();
    for (fork, posts) in &test.post {
        for (i, post) in posts.iter().enumerate() {
            let verdict = match fork_spec(fork) {
                Some(spec) => run_case(test, fork, spec, post),
                None => Verdict::Skipped(SkipReason::UnknownFork),
            };
            results.push(CaseResult { name: format!("{name}[{fork}/{i}]"), verdict });
        }
    }
    results
}

fn run_case(test: &StateTest, fork: &str, spec: SpecId, post: &PostState) -> Verdict {
    match try_case(test, fork, spec, post) {
        Ok(verdict) => verdict,
        Err(why) => Verdict::Failed(why),
    }
}

/// A case ready to run: its transaction, signer, pre-state and block environment.
struct Prepared {
    tx: TxEnvelope,
    sender: Address,
    state: PreState,
    pre_root: B256,
    ctx: BlockContext,
    block: BlockEnv,
}

/// What the node does with raw bytes before the STF: decode (EIP-2718), recover the signer; then the
/// pre-state and the environment. `Err` is the case's verdict when it ends before the STF.
fn prepare(test: &StateTest, fork: &str, spec: SpecId, post: &PostState) -> Result<Prepared, Result<Verdict, String>> {
    if test.pre.values().any(|a| a.code.starts_with(b"\0asm")) {
        return Err(Ok(Verdict::Skipped(SkipReason::WasmCode)));
    }
    let expected_refusal = post.expect_exception.as_deref();
    let tx = match TxEnvelope::decode_2718(&mut post.txbytes.as_ref()) {
        Ok(tx) => tx,
        Err(e) => return Err(refused(expected_refusal, &format!("undecodable transaction: {e}"))),
    };
    if tx.is_eip4844() {
        return Err(Ok(Verdict::Skipped(SkipReason::BlobTransaction)));
    }
    let sender = match tx.recover_signer() {
        Ok(sender) => sender,
        Err(e) => return Err(refused(expected_refusal, &format!("bad signature: {e}"))),
    };
    if let Some(expected) = test.transaction.sender {
        if expected != sender {
            return Err(Err(format!("recovered sender {sender}, fixture says {expected}")));
        }
    }
    let (state, pre_root) = PreState::build(&test.pre).map_err(|e| Err(format!("pre-state: {e}")))?;
    let chain_id = test.config.chainid.map(|id| id.saturating_to()).unwrap_or(1);
    let fraction = test.config.blob_schedule.get(fork).map(|b| b.base_fee_update_fraction.saturating_to());
    let (ctx, block) = environment(&test.env, chain_id, spec, fraction);
    Ok(Prepared { tx, sender, state, pre_root, ctx, block })
}

/// Every precompile call (address, input) the test's cases make when they run, in call order, for
/// checking precompile back ends against each other on Ethereum's own vectors. Cases that end before the
/// STF make none.
pub fn precompile_calls(test: &StateTest) -> Vec<(Address, Bytes)> {
    let mut calls = Vec::new();
    for (fork, posts) in &test.post {
        let Some(spec) = fork_spec(fork) else { continue };
        for post in posts {
            let Ok(p) = prepare(test, fork, spec, post) else { continue };
            let mut builder = BlockBuilder::with_rules(&p.state, p.ctx, spec, p.block);
            let opts = mosaic_stf::vm::TraceOptions { calls: true, ..Default::default() };
            if let Ok((_, trace)) = builder.execute_traced(p.tx, p.sender, opts) {
                calls.extend(trace.calls.into_iter().filter(|f| f.vm == "precompile").map(|f| (f.to, f.input)));
            }
        }
    }
    calls
}

/// The STF on a prepared case, then the comparison with the fixture.
fn try_case(test: &StateTest, fork: &str, spec: SpecId, post: &PostState) -> Result<Verdict, String> {
    let expected_refusal = post.expect_exception.as_deref();
    let Prepared { tx, sender, mut state, pre_root, ctx, block } = match prepare(test, fork, spec, post) {
        Ok(prepared) => prepared,
        Err(verdict) => return verdict,
    };
    let mut builder = BlockBuilder::with_rules(&state, ctx, spec, block);
    match builder.execute(tx, sender) {
        Ok(_) => {}
        Err(TxFailure::State(e)) => return Err(format!("state read failed: {e}")),
        Err(e) => {
            // A refused transaction leaves the state as it was: nothing to commit.
            return match expected_refusal {
                Some(_) => {
                    compare(&state, pre_root, &post.state, &test.pre, &StateDiff::default()).map(|()| Verdict::Passed)
                }
                None => Err(format!("refused: {e}")),
            };
        }
    }
    if let Some(exception) = expected_refusal {
        return Err(format!("executed, but the fixture expects {exception}"));
    }
    let logs = builder.receipts().first().map(|r| r.logs().to_vec()).unwrap_or_default();
    let logs_hash = keccak256(alloy_rlp::encode(&logs));
    if logs_hash != post.logs {
        return Err(format!("logs hash {logs_hash}, expected {}", post.logs));
    }
    let built = builder.finish(&state.nodes, pre_root).map_err(|e| format!("commit: {e}"))?;
    state.nodes.insert_all(built.trie_nodes.iter().cloned());
    state.codes.extend(built.diff.codes.iter().map(|(h, c)| (*h, c.clone())));
    compare(&state, built.block.header.state_root, &post.state, &test.pre, &built.diff)?;
    Ok(Verdict::Passed)
}

fn refused(expected: Option<&str>, why: &str) -> Result<Verdict, String> {
    match expected {
        Some(_) => Ok(Verdict::Passed),
        None => Err(why.to_string()),
    }
}

/// Mosaic's block context and the fixture's own block environment (difficulty, `PREVRANDAO` and the
/// blob gas price as the fixture sets them, instead of Mosaic's rules for its own blocks).
fn environment(env: &Env, chain_id: u64, spec: SpecId, blob_fraction: Option<u64>) -> (BlockContext, BlockEnv) {
    let ctx = BlockContext {
        chain_id,
        number: env.current_number.saturating_to(),
        timestamp: env.current_timestamp.saturating_to(),
        beneficiary: env.current_coinbase,
        gas_limit: env.current_gas_limit.saturating_to(),
        base_fee: env.current_base_fee.unwrap_or_default().saturating_to(),
        parent_hash: B256::ZERO,
        l1: L1Cursor::default(),
        proving: mosaic_primitives::ProvingCost::unbounded(),
    };
    let prevrandao = match env.current_random {
        Some(r) => Some(r),
        None if spec.is_enabled_in(SpecId::MERGE) => Some(B256::ZERO),
        None => None,
    };
    let blob = env.current_excess_blob_gas.map(|excess| {
        let fraction = blob_fraction.unwrap_or(if spec.is_enabled_in(SpecId::PRAGUE) {
            eip4844::BLOB_BASE_FEE_UPDATE_FRACTION_PRAGUE
        } else {
            eip4844::BLOB_BASE_FEE_UPDATE_FRACTION_CANCUN
        });
        BlobExcessGasAndPrice::new(excess.saturating_to(), fraction)
    });
    let block = BlockEnv {
        number: env.current_number,
        beneficiary: env.current_coinbase,
        timestamp: env.current_timestamp,
        gas_limit: ctx.gas_limit,
        basefee: ctx.base_fee,
        difficulty: env.current_difficulty,
        prevrandao,
        blob_excess_gas_and_price: blob,
        slot_num: 0,
    };
    (ctx, block)
}

/// A test's state in Mosaic's own sparse Merkle tree (the same tree and encoding the node commits).
pub(crate) struct PreState {
    nodes: MemoryNodeStore,
    root: B256,
    codes: BTreeMap<B256, Bytes>,
}

impl PreState {
    fn build(pre: &BTreeMap<Address, Account>) -> Result<(Self, B256), String> {
        let mut diff = StateDiff::default();
        for (address, account) in pre {
            let code_hash = code_hash(&account.code);
            if !account.code.is_empty() {
                diff.codes.insert(code_hash, account.code.clone());
            }
            let nonce = u64::try_from(account.nonce).map_err(|_| format!("nonce of {address} over 2^64"))?;
            diff.accounts.insert(*address, Some(AccountLeaf { nonce, balance: account.balance, code_hash }));
            for (slot, value) in &account.storage {
                diff.storage.insert((*address, *slot), *value);
            }
        }
        let mut nodes = MemoryNodeStore::new();
        let (root, new) = mosaic_trie::update(&nodes, EMPTY_ROOT, &trie_updates(&diff)).map_err(|e| e.to_string())?;
        nodes.insert_all(new);
        Ok((Self { nodes, root, codes: diff.codes }, root))
    }
}

impl StateReader for PreState {
    fn account(&self, address: &Address) -> Result<Option<AccountLeaf>, StateError> {
        tree_account(&self.nodes, self.root, address)
    }
    fn storage(&self, address: &Address, slot: &U256) -> Result<U256, StateError> {
        tree_storage(&self.nodes, self.root, address, slot)
    }
    fn code(&self, code_hash: &B256) -> Result<Option<Bytes>, StateError> {
        Ok(self.codes.get(code_hash).cloned())
    }
    /// What Ethereum's state-test harnesses answer: keccak256 of the number in decimal.
    fn block_hash(&self, number: u64) -> Result<B256, StateError> {
        Ok(keccak256(number.to_string()))
    }
}

fn code_hash(code: &Bytes) -> B256 {
    if code.is_empty() {
        KECCAK_EMPTY
    } else {
        keccak256(code)
    }
}

/// Reads the committed tree under `root` back and compares it with the whole expected post-state: every
/// expected account and slot, and no account or non-zero slot the fixture does not list.
fn compare(
    state: &PreState,
    root: B256,
    expected: &BTreeMap<Address, Account>,
    pre: &BTreeMap<Address, Account>,
    diff: &StateDiff,
) -> Result<(), String> {
    let read = |address: &Address| tree_account(&state.nodes, root, address).map_err(|e| e.to_string());
    let slot =
        |address: &Address, key: &U256| tree_storage(&state.nodes, root, address, key).map_err(|e| e.to_string());
    for (address, want) in expected {
        let Some(got) = read(address)? else {
            return Err(format!("account {address} missing"));
        };
        if U256::from(got.nonce) != want.nonce {
            return Err(format!("nonce of {address}: {} , expected {}", got.nonce, want.nonce));
        }
        if got.balance != want.balance {
            return Err(format!("balance of {address}: {}, expected {}", got.balance, want.balance));
        }
        if got.code_hash != code_hash(&want.code) {
            return Err(format!("code of {address} differs"));
        }
        for (key, value) in &want.storage {
            let got = slot(address, key)?;
            if got != *value {
                return Err(format!("storage {address}[{key:#x}]: {got:#x}, expected {value:#x}"));
            }
        }
    }
    let mut seen: BTreeSet<Address> = pre.keys().copied().collect();
    seen.extend(diff.accounts.keys().copied());
    for address in seen.iter().filter(|a| !expected.contains_key(*a)) {
        if read(address)?.is_some() {
            return Err(format!("account {address} exists, expected none"));
        }
    }
    let mut slots: BTreeSet<(Address, U256)> =
        pre.iter().flat_map(|(a, acc)| acc.storage.keys().map(move |k| (*a, *k))).collect();
    slots.extend(diff.storage.keys().copied());
    for (address, key) in slots {
        let want = expected.get(&address).and_then(|a| a.storage.get(&key)).copied().unwrap_or_default();
        let got = slot(&address, &key)?;
        if got != want {
            return Err(format!("storage {address}[{key:#x}]: {got:#x}, expected {want:#x}"));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    //! The comparison catches every kind of difference: real fixtures, each altered in one place.
    use super::*;
    use crate::Suite;

    fn load(file: &str, fork: &str) -> StateTest {
        let suite = Suite::bundled().expect("bundled fixtures");
        let tests: BTreeMap<String, StateTest> =
            serde_json::from_slice(suite.file(file).expect("fixture file")).expect("parses");
        tests.into_values().find(|t| t.post.contains_key(fork)).expect("a test for the fork")
    }

    fn verdict(test: &StateTest) -> Verdict {
        let results = run_test("t", test);
        assert_eq!(results.len(), 1);
        results[0].verdict.clone()
    }

    fn failed_with(test: &StateTest, needle: &str) {
        match verdict(test) {
            Verdict::Failed(why) => assert!(why.contains(needle), "failed for another reason: {why}"),
            other => panic!("expected a failure mentioning {needle:?}, got {other:?}"),
        }
    }

    const STORAGE: (&str, &str) = ("homestead/yul/yul_example/yul.json", "Berlin");
    const LOGS: (&str, &str) = ("prague/eip7702_set_code_tx/set_code_txs/set_code_to_log.json", "Prague");

    fn post<'a>(test: &'a mut StateTest, fork: &str) -> &'a mut PostState {
        &mut test.post.get_mut(fork).expect("fork")[0]
    }

    #[test]
    fn the_unaltered_fixtures_pass() {
        assert_eq!(verdict(&load(STORAGE.0, STORAGE.1)), Verdict::Passed);
        assert_eq!(verdict(&load(LOGS.0, LOGS.1)), Verdict::Passed);
    }

    #[test]
    fn a_different_balance_nonce_or_code_fails() {
        let mut t = load(STORAGE.0, STORAGE.1);
        post(&mut t, STORAGE.1).state.values_mut().next().expect("an account").balance += U256::from(1);
        failed_with(&t, "balance of");

        let mut t = load(STORAGE.0, STORAGE.1);
        post(&mut t, STORAGE.1).state.values_mut().next().expect("an account").nonce += U256::from(1);
        failed_with(&t, "nonce of");

        let mut t = load(STORAGE.0, STORAGE.1);
        let contract = post(&mut t, STORAGE.1).state.values_mut().find(|a| !a.code.is_empty()).expect("a contract");
        contract.code = Bytes::from_static(&[0x00]);
        failed_with(&t, "code of");
    }

    #[test]
    fn a_different_or_unlisted_storage_slot_fails() {
        let mut t = load(STORAGE.0, STORAGE.1);
        let slots = &mut post(&mut t, STORAGE.1).state.values_mut().find(|a| !a.storage.is_empty()).unwrap().storage;
        *slots.values_mut().next().expect("a slot") += U256::from(1);
        failed_with(&t, "storage");

        let mut t = load(STORAGE.0, STORAGE.1);
        let slots = &mut post(&mut t, STORAGE.1).state.values_mut().find(|a| !a.storage.is_empty()).unwrap().storage;
        let first = *slots.keys().next().expect("a slot");
        slots.remove(&first);
        failed_with(&t, "expected 0x0");
    }

    #[test]
    fn a_missing_or_extra_account_fails() {
        let mut t = load(STORAGE.0, STORAGE.1);
        let expected = &mut post(&mut t, STORAGE.1).state;
        let first = *expected.keys().next().expect("an account");
        expected.remove(&first);
        failed_with(&t, "expected none");

        let mut t = load(STORAGE.0, STORAGE.1);
        let ghost = Account { balance: U256::from(1), nonce: U256::ZERO, code: Bytes::new(), storage: BTreeMap::new() };
        post(&mut t, STORAGE.1).state.insert(Address::repeat_byte(0x77), ghost);
        failed_with(&t, "missing");
    }

    #[test]
    fn different_logs_fail() {
        let mut t = load(LOGS.0, LOGS.1);
        post(&mut t, LOGS.1).logs = B256::repeat_byte(1);
        failed_with(&t, "logs hash");
    }

    #[test]
    fn an_exception_is_expected_only_from_a_refused_transaction() {
        let mut t = load(STORAGE.0, STORAGE.1);
        post(&mut t, STORAGE.1).expect_exception = Some("TransactionException.INTRINSIC_GAS_TOO_LOW".into());
        failed_with(&t, "executed, but");

        // A signature that recovers another sender is caught before execution.
        let mut t = load(STORAGE.0, STORAGE.1);
        let mut bytes = post(&mut t, STORAGE.1).txbytes.to_vec();
        let last = bytes.len() - 1;
        bytes[last] ^= 1;
        post(&mut t, STORAGE.1).txbytes = bytes.into();
        assert!(matches!(verdict(&t), Verdict::Failed(_)));
    }

    #[test]
    fn fork_names_map_to_specs() {
        assert_eq!(fork_spec("ConstantinopleFix"), Some(SpecId::PETERSBURG));
        assert_eq!(fork_spec("Prague"), Some(SpecId::PRAGUE));
        assert_eq!(fork_spec("Amsterdam"), None);
    }
}
