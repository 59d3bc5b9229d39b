//! Building an L2 block: execute transactions in order, collect receipts, commit the state tree.
use crate::cost::{standalone_cycles, tx_cycles, CompiledModules, TxUsage};
use crate::vm::{AccountState, FrameStat, MosaicEvm, StateTrace, TraceOptions, TxTrace, WasmVm};
use crate::{
    db::{Overlay, StateError, StateReader},
    diff::{trie_updates, StateDiff},
    env::{tx_env, SimulateOptions},
};
use alloc::{collections::BTreeMap, string::String, vec::Vec};
use alloy_consensus::{
    constants::{EMPTY_OMMER_ROOT_HASH, EMPTY_WITHDRAWALS},
    proofs::{calculate_receipt_root, calculate_transaction_root},
    transaction::SignerRecoverable,
    Header, Receipt, ReceiptEnvelope, Transaction, TxEnvelope,
};
use alloy_eips::{eip2718::Decodable2718, eip7685::EMPTY_REQUESTS_HASH};
use alloy_primitives::{Address, Bloom, Bytes, Log, B256, U256};
use mosaic_primitives::{
    l2_bridge_balance_slot, AccountLeaf, Block, ChainConfig, L1Cursor, L1Message, ProvingCost, L2_BRIDGE,
};
use mosaic_trie::{Node, NodeStore, TrieError};
use revm::{
    context::{BlockEnv, Context},
    context_interface::{
        block::BlobExcessGasAndPrice,
        result::{EVMError, ExecutionResult, InvalidTransaction},
    },
    handler::MainnetContext,
    primitives::hardfork::SpecId,
    Database,
};

/// The Ethereum hardfork Mosaic executes (revm's spec).
pub const HARDFORK: SpecId = SpecId::OSAKA;

/// Everything about the block being executed that the EVM can observe.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BlockContext {
    /// Chain id (EIP-155).
    pub chain_id: u64,
    /// Block number.
    pub number: u64,
    /// Unix timestamp, seconds.
    pub timestamp: u64,
    /// Receives priority fees (`COINBASE`).
    pub beneficiary: Address,
    /// Block gas limit.
    pub gas_limit: u64,
    /// EIP-1559 base fee, wei.
    pub base_fee: u64,
    /// Parent block hash; also the block's `PREVRANDAO`, so execution stays deterministic and provable.
    pub parent_hash: B256,
    /// Where the parent left the L1 deposit queue.
    pub l1: L1Cursor,
    /// The block's cycle budget and the schedules that price proving cost.
    pub proving: ProvingCost,
}

/// The block environment Mosaic's own rules give `ctx`: no difficulty, `PREVRANDAO` = parent hash, no blobs.
fn mosaic_block_env(ctx: &BlockContext) -> BlockEnv {
    BlockEnv {
        number: U256::from(ctx.number),
        beneficiary: ctx.beneficiary,
        timestamp: U256::from(ctx.timestamp),
        gas_limit: ctx.gas_limit,
        basefee: ctx.base_fee,
        difficulty: U256::ZERO,
        prevrandao: Some(ctx.parent_hash),
        blob_excess_gas_and_price: Some(BlobExcessGasAndPrice::new(0, 1)),
        slot_num: 0,
    }
}

/// A Mosaic EVM (revm plus the Wasm VM) over `db` configured for the block.
pub(crate) fn evm_for<DB: Database>(
    db: DB,
    ctx: &BlockContext,
    opts: SimulateOptions,
    wasm: WasmVm,
) -> MosaicEvm<MainnetContext<DB>> {
    evm_with(db, ctx.chain_id, HARDFORK, mosaic_block_env(ctx), opts, wasm)
}

fn evm_with<DB: Database>(
    db: DB,
    chain_id: u64,
    spec: SpecId,
    block: BlockEnv,
    opts: SimulateOptions,
    wasm: WasmVm,
) -> MosaicEvm<MainnetContext<DB>> {
    let mut c: MainnetContext<DB> = Context::new(db, spec);
    c = c.modify_cfg_chained(|cfg| {
        cfg.chain_id = chain_id;
        cfg.disable_balance_check = opts.disable_balance_check;
        cfg.disable_base_fee = opts.disable_base_fee;
        cfg.disable_nonce_check = opts.disable_nonce_check;
    });
    c.block = block;
    MosaicEvm::new(c, wasm)
}

/// Why a transaction could not be included (it leaves the block unchanged).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TxFailure {
    /// It does not fit into the gas the block has left; it may fit a later block.
    #[error("block gas limit reached")]
    BlockFull,
    /// It does not fit into the proving cycles the block has left; it may fit a later block.
    #[error("block cycle budget reached")]
    CycleBudgetFull,
    /// It alone needs more proving cycles than a whole block may take: it can never be included.
    #[error("exceeds block cycle budget: transaction needs {cycles} proving cycles, block budget {budget}")]
    ExceedsCycleBudget {
        /// Estimated zkVM cycles of the transaction, compiling every Wasm module it uses.
        cycles: u64,
        /// The block's cycle budget.
        budget: u64,
    },
    /// Its nonce is ahead of the sender's; it may become valid later.
    #[error("nonce too high: tx {tx}, state {state}")]
    NonceTooHigh {
        /// Transaction nonce.
        tx: u64,
        /// Sender's current nonce.
        state: u64,
    },
    /// Its max fee is below the block's base fee; it may become valid later.
    #[error("max fee per gas below base fee")]
    FeeTooLow,
    /// Something else than the sender's own transactions of the block moved its nonce earlier in the
    /// block (a forced transaction of the sender's, an EIP-7702 authorization): a batch that leaves nonces
    /// out derives them from the parent state and the sender's transactions alone, so its next
    /// transaction waits for the next block.
    #[error("sender's nonce moved earlier in this block; it may fit the next block")]
    NonceMoved,
    /// It can never be valid on top of this state (nonce too low, no funds, bad chain id, ...).
    #[error("invalid transaction: {0}")]
    Invalid(String),
    /// The state could not be read; the block must be abandoned.
    #[error(transparent)]
    State(#[from] StateError),
}

/// L1 messages could not be applied to a block.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum L1MessageError {
    /// A forced transaction does not fit in what the block has left (gas or proving cycles): it must be
    /// the block's first L1 message, where it is consumed without effect if it still does not fit.
    /// Nothing of it was applied.
    #[error("forced transaction {index} does not fit in the block after the L1 messages before it")]
    ForcedDoesNotFit {
        /// Its queue index.
        index: u64,
    },
    /// Messages must be applied before any transaction.
    #[error("L1 messages must come before the block's transactions")]
    AfterTransactions,
    /// The message is not the next one in the L1 queue.
    #[error("L1 message {got} out of order: expected {expected}")]
    OutOfOrder {
        /// Index of the next message in the queue.
        expected: u64,
        /// Index given.
        got: u64,
    },
    /// The state could not be read.
    #[error(transparent)]
    State(#[from] StateError),
}

impl TxFailure {
    fn from_evm(err: EVMError<StateError>) -> Self {
        match err {
            EVMError::Transaction(InvalidTransaction::NonceTooHigh { tx, state }) => Self::NonceTooHigh { tx, state },
            EVMError::Transaction(InvalidTransaction::GasPriceLessThanBasefee) => Self::FeeTooLow,
            EVMError::Transaction(e) => Self::Invalid(alloc::format!("{e}")),
            EVMError::Header(e) => Self::Invalid(alloc::format!("{e}")),
            EVMError::Database(e) => Self::State(e),
            EVMError::Custom(e) => Self::Invalid(e),
            EVMError::CustomAny(e) => Self::Invalid(alloc::format!("{e}")),
        }
    }
}

/// The most gas a forced transaction may ask for; one asking for more is consumed without running. Proving
/// a transaction costs up to ≈ 3,200 zkVM cycles per gas today (MODEXP at its minimum gas; the
/// precompiles not yet on OpenVM's instructions are ≈ 1,000–1,650), and the guest runs a forced
/// transaction before the block's cycle budget can refuse it, so the cap bounds what one forced
/// transaction costs a prover (≈ 1 G cycles at worst); transfers, withdrawals, approvals and swaps fit.
pub const MAX_FORCED_TX_GAS: u64 = 300_000;

/// zkVM cycles a forced L1 message costs per byte of its transaction before it runs — the queue's keccak,
/// decoding, the signing hash — whether it runs or not: a bound that errs high (the transaction's own
/// execution is charged by the cycle schedule like any transaction's).
pub const FORCED_BYTE_CYCLES: u64 = 64;

/// A forced transaction's bytes as a signed transaction and its signer: `None` unless they are exactly
/// one EIP-2718 transaction that names a chain (no pre-EIP-155 transaction, which anyone could replay
/// from another chain through L1) and whose signature recovers.
fn decode_forced(raw: &[u8]) -> Option<(TxEnvelope, Address)> {
    let mut buf = raw;
    let tx = TxEnvelope::decode_2718(&mut buf).ok()?;
    if !buf.is_empty() || tx.chain_id().is_none() {
        return None;
    }
    let sender = tx.recover_signer().ok()?;
    Some((tx, sender))
}

/// The result of one included transaction.
#[derive(Debug, Clone)]
pub struct TxOutcome {
    /// Whether it succeeded (receipt status 1).
    pub success: bool,
    /// Gas charged to the sender.
    pub gas_used: u64,
    /// Return data, or revert data when it reverted.
    pub output: Bytes,
    /// Address of the contract it created, if any.
    pub contract_address: Option<Address>,
    /// Gas and cycles of every VM frame it ran.
    pub frames: Vec<FrameStat>,
    /// Estimated zkVM cycles it added to the block.
    pub proving_cycles: u64,
    /// What it made the VMs do.
    pub usage: TxUsage,
}

/// A finished block with everything the node must persist atomically.
#[derive(Debug, Clone)]
pub struct BuiltBlock {
    /// The sealed block.
    pub block: Block,
    /// One receipt per transaction.
    pub receipts: Vec<ReceiptEnvelope>,
    /// State changes of the block.
    pub diff: StateDiff,
    /// New state-tree nodes to persist.
    pub trie_nodes: Vec<(B256, Node)>,
    /// Per-transaction VM frame stats, in transaction order.
    pub frame_stats: Vec<Vec<FrameStat>>,
    /// Per-transaction estimated zkVM cycles, in transaction order.
    pub tx_cycles: Vec<u64>,
    /// Estimated zkVM cycles of the whole block (transactions and L1 messages).
    pub cycles_used: u64,
}

/// Executes transactions one by one on top of a parent state and seals them into a block.
///
/// One revm instance serves the whole block (its journal is emptied after every transaction), with the
/// block's overlay as its database.
pub struct BlockBuilder<S: StateReader> {
    ctx: BlockContext,
    evm: MosaicEvm<MainnetContext<Overlay<S>>>,
    transactions: Vec<TxEnvelope>,
    frame_stats: Vec<Vec<FrameStat>>,
    tx_cycles: Vec<u64>,
    cycles_used: u64,
    compiled: CompiledModules,
    senders: Vec<Address>,
    receipts: Vec<ReceiptEnvelope>,
    cumulative_gas: u64,
    l1_messages: Vec<L1Message>,
    /// How many of `transactions` (all at the front) came from forced L1 messages.
    forced: usize,
    /// Each sequenced sender's next nonce, as its own transactions of the block leave it.
    sequenced_nonces: BTreeMap<Address, u64>,
    /// The outcome of the last forced transaction that ran (for tracing).
    last_forced: Option<TxOutcome>,
    l1: L1Cursor,
    /// Set while `execute_traced` runs: record the touched state.
    state_trace: Option<StateTrace>,
}

impl<S: StateReader> core::fmt::Debug for BlockBuilder<S> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("BlockBuilder").field("ctx", &self.ctx).field("txs", &self.transactions.len()).finish()
    }
}

impl<S: StateReader> BlockBuilder<S> {
    /// Starts a block on top of `reader`'s state.
    pub fn new(reader: S, ctx: BlockContext) -> Self {
        let block = mosaic_block_env(&ctx);
        Self::with_rules(reader, ctx, HARDFORK, block)
    }

    /// Starts a block under another fork and block environment than Mosaic's — for Ethereum's own test
    /// vectors (`mosaic-conformance`), which fix `DIFFICULTY`, `PREVRANDAO` and the blob gas price
    /// themselves and expect the rules of the fork they were filled for. The chain never uses this.
    pub fn with_rules(reader: S, ctx: BlockContext, spec: SpecId, block: BlockEnv) -> Self {
        let wasm = WasmVm::new(ctx.proving.wasm_gas);
        let evm = evm_with(Overlay::new(reader), ctx.chain_id, spec, block, SimulateOptions::default(), wasm);
        Self {
            l1: ctx.l1,
            l1_messages: Vec::new(),
            forced: 0,
            sequenced_nonces: BTreeMap::new(),
            last_forced: None,
            ctx,
            evm,
            transactions: Vec::new(),
            frame_stats: Vec::new(),
            tx_cycles: Vec::new(),
            cycles_used: 0,
            compiled: CompiledModules::default(),
            senders: Vec::new(),
            receipts: Vec::new(),
            cumulative_gas: 0,
            state_trace: None,
        }
    }

    /// The receipts of the transactions included so far.
    pub fn receipts(&self) -> &[ReceiptEnvelope] {
        &self.receipts
    }

    /// The block being built.
    pub fn context(&self) -> &BlockContext {
        &self.ctx
    }

    /// Gas used so far.
    pub fn gas_used(&self) -> u64 {
        self.cumulative_gas
    }

    /// Estimated zkVM cycles used so far.
    pub fn cycles_used(&self) -> u64 {
        self.cycles_used
    }

    /// Estimated zkVM cycles the block may still take.
    pub fn cycles_left(&self) -> u64 {
        self.ctx.proving.block_cycle_budget.saturating_sub(self.cycles_used)
    }

    /// Number of transactions included so far.
    pub fn len(&self) -> usize {
        self.transactions.len()
    }

    /// Whether no transaction was included yet.
    pub fn is_empty(&self) -> bool {
        self.transactions.is_empty()
    }

    /// The state as the next transaction would see it.
    pub fn overlay(&self) -> &Overlay<S> {
        &self.evm.ctx_ref().journaled_state.database
    }

    /// Where the block leaves the L1 queue so far.
    pub fn l1_cursor(&self) -> L1Cursor {
        self.l1
    }

    /// Applies L1 messages, which must be the next ones of the queue, before any transaction of the
    /// sequencer's. A deposit mints ETH to its recipient, or credits an ERC-20 amount to
    /// `balanceOf[token][recipient]` of the bridge predeploy; it cannot fail, costs no gas and leaves no
    /// receipt. A forced transaction runs like any transaction of its signer and is included with its
    /// receipt. One that can never run — undecodable, not exactly one transaction, no chain id, badly
    /// signed, a blob transaction, a gas limit over [`MAX_FORCED_TX_GAS`], invalid on this state
    /// (nonce, funds, fee, chain) or over the whole cycle budget — is consumed without effect: the queue
    /// must move on, and no one may be able to stop it. One that only does not fit in what the block
    /// has left is refused ([`L1MessageError::ForcedDoesNotFit`]) unless it is the block's first L1
    /// message, so that a sequencer cannot drop it by where it puts it: it goes first in the next block.
    pub fn apply_l1_messages(&mut self, messages: &[L1Message]) -> Result<(), L1MessageError> {
        if self.transactions.len() != self.forced {
            return Err(L1MessageError::AfterTransactions);
        }
        for msg in messages {
            let mut next = self.l1;
            if !next.consume(msg) {
                return Err(L1MessageError::OutOfOrder { expected: self.l1.next_index, got: msg.index });
            }
            let cycles_before = self.cycles_used;
            let first = self.l1_messages.is_empty();
            match &msg.transaction {
                Some(raw) => {
                    // Reading it (queue hash, decoding, the signer) costs by its size, run or not.
                    let reading = self.ctx.proving.cycles.l1_message.saturating_add(
                        FORCED_BYTE_CYCLES.saturating_mul(u64::try_from(raw.len()).unwrap_or(u64::MAX)),
                    );
                    self.cycles_used = self.cycles_used.saturating_add(reading);
                    let fits = (first || self.cycles_used <= self.ctx.proving.block_cycle_budget)
                        && self.apply_forced(raw, first)?;
                    if !fits {
                        self.cycles_used = cycles_before;
                        return Err(L1MessageError::ForcedDoesNotFit { index: msg.index });
                    }
                }
                None => {
                    // Deposits count against the budget but are never refused.
                    self.cycles_used = self.cycles_used.saturating_add(self.ctx.proving.cycles.l1_message);
                    self.apply_deposit(msg)?
                }
            }
            self.l1 = next;
            self.l1_messages.push(msg.clone());
        }
        Ok(())
    }

    fn apply_deposit(&mut self, msg: &L1Message) -> Result<(), StateError> {
        // The journal is empty between transactions, so the overlay is the only copy of the state.
        let overlay = &mut self.evm.ctx().journaled_state.database;
        if msg.token == Address::ZERO {
            let mut leaf = overlay.account(&msg.to)?.unwrap_or(AccountLeaf {
                nonce: 0,
                balance: U256::ZERO,
                code_hash: revm::primitives::KECCAK_EMPTY,
            });
            leaf.balance = leaf.balance.saturating_add(msg.amount);
            overlay.diff.accounts.insert(msg.to, Some(leaf));
        } else {
            let slot = l2_bridge_balance_slot(&msg.token, &msg.to);
            let old = overlay.storage_value(&L2_BRIDGE, &slot)?;
            overlay.diff.storage.insert((L2_BRIDGE, slot), old.saturating_add(msg.amount));
        }
        Ok(())
    }

    /// Runs a forced transaction, or consumes it; `false` if it was left out only for lack of room in
    /// this block, which is not its first L1 message (nothing applied).
    fn apply_forced(&mut self, raw: &Bytes, first: bool) -> Result<bool, StateError> {
        let Some((tx, sender)) = decode_forced(raw) else { return Ok(true) };
        // Over the cap it is not even run: the guest would execute it before any budget could refuse it.
        if tx.gas_limit() > MAX_FORCED_TX_GAS {
            return Ok(true);
        }
        match self.run(tx.clone(), sender) {
            Ok(outcome) => {
                self.forced += 1;
                self.last_forced = Some(outcome);
                Ok(true)
            }
            Err(TxFailure::State(e)) => Err(e),
            // First in its block it had all the gas a block has: it never fits.
            Err(TxFailure::BlockFull) => Ok(first),
            // It ran, and proving it costs more than the block had. First in its block, it fails like an
            // out-of-gas transaction — its gas limit charged, its nonce used, so its bytes cannot be
            // queued again for free — and fills the block.
            Err(TxFailure::CycleBudgetFull | TxFailure::ExceedsCycleBudget { .. }) if first => {
                self.charge_over_budget(tx, sender)?;
                Ok(true)
            }
            Err(TxFailure::CycleBudgetFull | TxFailure::ExceedsCycleBudget { .. }) => Ok(false),
            // Refused before it ran (nonce, fee, funds, chain, blob): consumed without effect.
            Err(_) => Ok(true),
        }
    }

    /// Includes `tx` as a failed transaction that used its whole gas limit, changing nothing but its
    /// sender's nonce and balance (the fee: the base fee burned, the tip to the beneficiary), and ends the
    /// block's room for proving.
    fn charge_over_budget(&mut self, tx: TxEnvelope, sender: Address) -> Result<(), StateError> {
        let gas = tx.gas_limit();
        let base_fee = u128::from(self.ctx.base_fee);
        let price = tx.effective_gas_price(Some(self.ctx.base_fee));
        let beneficiary = self.ctx.beneficiary;
        let empty = AccountLeaf { nonce: 0, balance: U256::ZERO, code_hash: revm::primitives::KECCAK_EMPTY };
        // The journal is empty between transactions, so the overlay is the only copy of the state.
        let overlay = &mut self.evm.ctx().journaled_state.database;
        let mut payer = overlay.account(&sender)?.unwrap_or(empty);
        payer.nonce = payer.nonce.saturating_add(1);
        // revm checked the balance covers the gas limit at the fee cap before it ran the transaction.
        payer.balance = payer.balance.saturating_sub(U256::from(gas) * U256::from(price));
        overlay.diff.accounts.insert(sender, Some(payer));
        let tip = U256::from(gas) * U256::from(price.saturating_sub(base_fee));
        if !tip.is_zero() {
            let mut paid = overlay.account(&beneficiary)?.unwrap_or(empty);
            paid.balance = paid.balance.saturating_add(tip);
            overlay.diff.accounts.insert(beneficiary, Some(paid));
        }
        self.cumulative_gas = self.cumulative_gas.saturating_add(gas);
        let receipt =
            Receipt::<Log> { status: false.into(), cumulative_gas_used: self.cumulative_gas, logs: Vec::new() };
        self.receipts.push(ReceiptEnvelope::from_typed(tx.tx_type(), receipt.with_bloom()));
        self.transactions.push(tx);
        self.senders.push(sender);
        self.frame_stats.push(Vec::new());
        self.tx_cycles.push(0);
        self.cycles_used = self.cycles_used.max(self.ctx.proving.block_cycle_budget);
        self.forced += 1;
        self.last_forced = None;
        Ok(())
    }

    /// Executes `tx` (signed by `sender`) and, unless it is invalid, includes it in the block.
    pub fn execute(&mut self, tx: TxEnvelope, sender: Address) -> Result<TxOutcome, TxFailure> {
        let nonce = tx.nonce();
        let overlay = &self.evm.ctx_ref().journaled_state.database;
        // What a batch without nonces derives: the parent's nonce, then one more per transaction of the
        // sender's. Anything else that moved it earlier in the block makes the sender wait a block.
        let expected = match self.sequenced_nonces.get(&sender) {
            Some(next) => Some(*next),
            None if overlay.diff.accounts.contains_key(&sender) => {
                Some(overlay.reader.account(&sender)?.map_or(0, |a| a.nonce))
            }
            None => None,
        };
        if let Some(expected) = expected {
            if overlay.account(&sender)?.map_or(0, |a| a.nonce) != expected {
                return Err(TxFailure::NonceMoved);
            }
        }
        let outcome = self.run(tx, sender)?;
        self.sequenced_nonces.insert(sender, nonce.saturating_add(1));
        Ok(outcome)
    }

    /// Executes `tx` (signed by `sender`) and, unless it is invalid, includes it in the block.
    fn run(&mut self, tx: TxEnvelope, sender: Address) -> Result<TxOutcome, TxFailure> {
        if tx.is_eip4844() {
            return Err(TxFailure::Invalid("blob transactions are not supported".into()));
        }
        if self.cumulative_gas.saturating_add(tx.gas_limit()) > self.ctx.gas_limit {
            return Err(TxFailure::BlockFull);
        }
        let env = tx_env(&tx, sender);
        let (result, frames, usage) = self.evm.transact(env).map_err(TxFailure::from_evm)?;
        // Checked before anything is applied, so a refused transaction leaves the block unchanged.
        let proving = &self.ctx.proving;
        let (cold_bytes, compiled) = self.compiled.charge(&usage.modules);
        let cycles = tx_cycles(proving, &usage, cold_bytes);
        let budget = proving.block_cycle_budget;
        if self.cycles_used.saturating_add(cycles) > budget {
            // Compiling every module it uses is the most it can cost in any block.
            let alone = standalone_cycles(proving, &usage);
            return Err(if alone > budget {
                TxFailure::ExceedsCycleBudget { cycles: alone, budget }
            } else {
                TxFailure::CycleBudgetFull
            });
        }
        self.cycles_used += cycles;
        self.compiled = compiled;
        self.tx_cycles.push(cycles);
        if self.state_trace.is_some() {
            let traced = state_trace(&mut self.evm.ctx().journaled_state.database, &result.state)?;
            self.state_trace = Some(traced);
        }
        self.evm.ctx().journaled_state.database.diff.apply_evm_state(result.state);
        let gas_used = result.result.tx_gas_used();
        self.cumulative_gas += gas_used;
        let (success, output, logs, contract_address) = match result.result {
            ExecutionResult::Success { logs, output, .. } => {
                let created = output.address().copied();
                (true, output.into_data(), logs, created)
            }
            ExecutionResult::Revert { output, logs, .. } => (false, output, logs, None),
            ExecutionResult::Halt { logs, .. } => (false, Bytes::new(), logs, None),
        };
        let receipt = Receipt::<Log> { status: success.into(), cumulative_gas_used: self.cumulative_gas, logs };
        self.receipts.push(ReceiptEnvelope::from_typed(tx.tx_type(), receipt.with_bloom()));
        self.transactions.push(tx);
        self.senders.push(sender);
        self.frame_stats.push(frames.clone());
        Ok(TxOutcome { success, gas_used, output, contract_address, frames, proving_cycles: cycles, usage })
    }

    /// [`Self::execute`], recording what `opts` asks for: the call tree across VMs, EVM instructions, and
    /// the state the transaction touched before and after it (`debug_trace*`).
    pub fn execute_traced(
        &mut self,
        tx: TxEnvelope,
        sender: Address,
        opts: TraceOptions,
    ) -> Result<(TxOutcome, TxTrace), TxFailure> {
        self.evm.set_trace(opts);
        self.state_trace = opts.state.then(StateTrace::default);
        let outcome = self.execute(tx, sender);
        self.evm.set_trace(TraceOptions::default());
        let mut trace = self.evm.take_trace();
        trace.state = self.state_trace.take().unwrap_or_default();
        outcome.map(|o| (o, trace))
    }

    /// [`Self::apply_l1_messages`] for one message, recording a forced transaction that runs as
    /// [`Self::execute_traced`] records a transaction; `None` for a deposit, or for a forced transaction
    /// consumed without running.
    pub fn apply_l1_message_traced(
        &mut self,
        msg: &L1Message,
        opts: TraceOptions,
    ) -> Result<Option<(TxOutcome, TxTrace)>, L1MessageError> {
        self.evm.set_trace(opts);
        self.state_trace = opts.state.then(StateTrace::default);
        self.last_forced = None;
        let applied = self.apply_l1_messages(core::slice::from_ref(msg));
        self.evm.set_trace(TraceOptions::default());
        let mut trace = self.evm.take_trace();
        trace.state = self.state_trace.take().unwrap_or_default();
        applied?;
        Ok(self.last_forced.take().map(|outcome| (outcome, trace)))
    }

    /// Commits the block's changes into the state tree rooted at `parent_root` and seals the header.
    pub fn finish<N: NodeStore>(mut self, nodes: &N, parent_root: B256) -> Result<BuiltBlock, TrieError> {
        let diff = core::mem::take(&mut self.evm.ctx().journaled_state.database.diff);
        let updates = trie_updates(&diff);
        let (state_root, trie_nodes) = mosaic_trie::update(nodes, parent_root, &updates)?;
        let logs_bloom = self.receipts.iter().fold(Bloom::ZERO, |mut acc, r| {
            acc.accrue_bloom(r.logs_bloom());
            acc
        });
        let header = Header {
            parent_hash: self.ctx.parent_hash,
            ommers_hash: EMPTY_OMMER_ROOT_HASH,
            beneficiary: self.ctx.beneficiary,
            state_root,
            transactions_root: calculate_transaction_root(&self.transactions),
            receipts_root: calculate_receipt_root(&self.receipts),
            logs_bloom,
            difficulty: U256::ZERO,
            number: self.ctx.number,
            gas_limit: self.ctx.gas_limit,
            gas_used: self.cumulative_gas,
            timestamp: self.ctx.timestamp,
            extra_data: self.l1.to_extra_data(),
            mix_hash: self.ctx.parent_hash,
            nonce: Default::default(),
            base_fee_per_gas: Some(self.ctx.base_fee),
            withdrawals_root: Some(EMPTY_WITHDRAWALS),
            blob_gas_used: Some(0),
            excess_blob_gas: Some(0),
            parent_beacon_block_root: Some(B256::ZERO),
            requests_hash: Some(EMPTY_REQUESTS_HASH),
            ..Default::default()
        };
        Ok(BuiltBlock {
            block: Block {
                header,
                transactions: self.transactions,
                senders: self.senders,
                l1_messages: self.l1_messages,
                forced: self.forced as u64,
            },
            receipts: self.receipts,
            diff,
            trie_nodes,
            frame_stats: self.frame_stats,
            tx_cycles: self.tx_cycles,
            cycles_used: self.cycles_used,
        })
    }
}

/// The accounts and slots `state` (one transaction's result, not yet applied) touched, before (from the
/// overlay) and after.
fn state_trace<S: StateReader>(
    overlay: &mut Overlay<S>,
    state: &revm::state::EvmState,
) -> Result<StateTrace, StateError> {
    let mut trace = StateTrace::default();
    for (address, account) in state {
        let before = overlay.account(address)?;
        let mut pre = AccountState::default();
        if let Some(leaf) = before {
            pre.balance = leaf.balance;
            pre.nonce = leaf.nonce;
            pre.code = overlay.code_by_hash(leaf.code_hash)?.original_bytes();
        }
        for (slot, value) in &account.storage {
            pre.storage.insert(*slot, value.original_value);
        }
        let changed_slots: alloc::collections::BTreeMap<U256, U256> =
            account.changed_storage_slots().map(|(k, v)| (*k, v.present_value)).collect();
        let deleted = account.is_selfdestructed() || (account.is_touched() && account.is_empty());
        let info_changed = before.map(|l| (l.nonce, l.balance, l.code_hash))
            != Some((account.info.nonce, account.info.balance, account.info.code_hash));
        if account.is_touched()
            && (deleted && before.is_some() || info_changed && !deleted || !changed_slots.is_empty())
        {
            trace.changed.insert(*address);
            if !deleted {
                let code = match &account.info.code {
                    Some(code) => code.original_bytes(),
                    None => overlay.code_by_hash(account.info.code_hash)?.original_bytes(),
                };
                let post = AccountState {
                    balance: account.info.balance,
                    nonce: account.info.nonce,
                    code,
                    storage: changed_slots,
                };
                trace.post.insert(*address, post);
            }
        }
        trace.pre.insert(*address, pre);
    }
    Ok(trace)
}

/// The context of the block that follows `parent` under `config`. Its timestamp is `timestamp`, or the
/// parent's if that is later: timestamps are whole seconds and never decrease, and blocks less than a
/// second apart share one, so that the L2's clock never runs ahead of the wall clock.
pub fn child_context(config: &ChainConfig, parent: &Header, timestamp: u64, beneficiary: Address) -> BlockContext {
    BlockContext {
        chain_id: config.chain_id,
        number: parent.number + 1,
        timestamp: timestamp.max(parent.timestamp),
        beneficiary,
        gas_limit: config.block_gas_limit,
        base_fee: config.next_base_fee(
            parent.gas_used,
            parent.gas_limit,
            parent.base_fee_per_gas.unwrap_or(config.initial_base_fee),
        ),
        parent_hash: parent.hash_slow(),
        // A header the node wrote itself always parses; anything else starts from the empty queue.
        l1: L1Cursor::from_extra_data(&parent.extra_data).unwrap_or_default(),
        proving: config.proving,
    }
}

/// An account a genesis file sets in full (geth's `alloc` entries).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct InitialAccount {
    /// Balance, wei.
    pub balance: U256,
    /// Nonce.
    pub nonce: u64,
    /// Runtime code (empty: none).
    pub code: Bytes,
    /// Storage slots.
    pub storage: Vec<(U256, U256)>,
}

/// The genesis block: `alloc` balances, then `predeploys` (which keep the balance `alloc` gave their
/// address), then `accounts` (which replace whatever the first two set at their addresses) in an
/// otherwise empty state, committed into an empty tree.
pub fn genesis<N: NodeStore>(
    nodes: &N,
    config: &ChainConfig,
    alloc: &[(Address, U256)],
    predeploys: &[(Address, InitialAccount)],
    accounts: &[(Address, InitialAccount)],
    timestamp: u64,
) -> Result<BuiltBlock, TrieError> {
    let mut diff = StateDiff::default();
    for (address, balance) in alloc {
        let leaf = AccountLeaf { nonce: 0, balance: *balance, code_hash: revm::primitives::KECCAK_EMPTY };
        diff.accounts.insert(*address, Some(leaf));
    }
    // Setting an account replaces it whole: storage an earlier entry gave the address goes (a range of
    // the ordered map, not a scan of every slot, so large genesis files stay linear).
    let set = |diff: &mut StateDiff, address: Address, account: &InitialAccount, balance: U256| {
        let earlier: Vec<_> =
            diff.storage.range((address, U256::ZERO)..=(address, U256::MAX)).map(|(k, _)| *k).collect();
        for key in earlier {
            diff.storage.remove(&key);
        }
        let code_hash = if account.code.is_empty() {
            revm::primitives::KECCAK_EMPTY
        } else {
            let hash = alloy_primitives::keccak256(&account.code);
            diff.codes.insert(hash, account.code.clone());
            hash
        };
        diff.accounts.insert(address, Some(AccountLeaf { nonce: account.nonce, balance, code_hash }));
        for (slot, value) in &account.storage {
            diff.storage.insert((address, *slot), *value);
        }
    };
    for (address, account) in predeploys {
        let funded = diff.accounts.get(address).copied().flatten().map(|l| l.balance).unwrap_or_default();
        set(&mut diff, *address, account, funded + account.balance);
    }
    for (address, account) in accounts {
        set(&mut diff, *address, account, account.balance);
    }
    let (state_root, trie_nodes) = mosaic_trie::update(nodes, mosaic_trie::EMPTY_ROOT, &trie_updates(&diff))?;
    let header = Header {
        ommers_hash: EMPTY_OMMER_ROOT_HASH,
        state_root,
        transactions_root: alloy_consensus::constants::EMPTY_TRANSACTIONS,
        receipts_root: alloy_consensus::constants::EMPTY_RECEIPTS,
        number: 0,
        gas_limit: config.block_gas_limit,
        timestamp,
        base_fee_per_gas: Some(config.initial_base_fee),
        withdrawals_root: Some(EMPTY_WITHDRAWALS),
        blob_gas_used: Some(0),
        excess_blob_gas: Some(0),
        parent_beacon_block_root: Some(B256::ZERO),
        requests_hash: Some(EMPTY_REQUESTS_HASH),
        ..Default::default()
    };
    Ok(BuiltBlock {
        block: Block { header, transactions: Vec::new(), senders: Vec::new(), l1_messages: Vec::new(), forced: 0 },
        receipts: Vec::new(),
        diff,
        frame_stats: Vec::new(),
        tx_cycles: Vec::new(),
        cycles_used: 0,
        trie_nodes,
    })
}
