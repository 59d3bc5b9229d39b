//! The `eth_`, `net_`, `web3_` and `mosaic_` methods.
use crate::{
    convert::{block_logs, rpc_block, rpc_pending_tx, rpc_receipts, rpc_tx},
    error::{
        cycle_budget_error, internal, invalid_params, reverted, rpc_err, submit_error, LIMIT_EXCEEDED,
        RESOURCE_NOT_FOUND, SERVER_ERROR, TRANSACTION_REJECTED,
    },
    proof::account_proof,
    stats::TxStats,
};
use alloy_consensus::{SignableTransaction, Transaction as _, TxEnvelope};
use alloy_eips::{eip2718::Encodable2718, BlockId, BlockNumberOrTag};
use alloy_primitives::{Address, Bytes, TxKind, B256, U128, U256, U64};
use alloy_rpc_types_eth::{
    Block, FeeHistory, Filter, FilterBlockOption, Log, SyncStatus, Transaction, TransactionReceipt, TransactionRequest,
};
use alloy_signer::SignerSync;
use alloy_signer_local::PrivateKeySigner;
use jsonrpsee::{
    types::{ErrorObjectOwned, Params},
    RpcModule,
};
use mosaic_node::{ChainReader, Node, StateSnapshot};
use mosaic_primitives::ProvingCost;
use mosaic_stf::{
    cost::{standalone_cycles, TxUsage},
    revm::context::TxEnv,
    revm::context_interface::result::{EVMError, ExecutionResult},
    simulate,
    vm::FrameStat,
    BlockContext, SimulateOptions, StateReader,
};
use serde::de::DeserializeOwned;
use std::{collections::HashMap, sync::Arc};

/// Osaka's per-transaction gas cap; calls without a gas field get at most this.
const CALL_GAS_CAP: u64 = 1 << 24;
/// Most blocks one `eth_getLogs` may scan.
const MAX_LOG_BLOCK_RANGE: u64 = 10_000;
/// Most logs one `eth_getLogs` may return.
const MAX_LOGS: usize = 20_000;
/// Most transactions one `mosaic_relayTransactions` call carries.
const MAX_RELAYED: usize = 1_024;
/// Most evidence records one `mosaic_bftEvidence` call returns.
const MAX_EVIDENCE: usize = 100;
/// JSON-RPC "method not found", also for methods refused on purpose (geth's code for both).
const METHOD_NOT_FOUND: i32 = -32601;
/// Spec methods Mosaic refuses on purpose, with the reason the caller gets (`docs/rpc.md`).
const NOT_SUPPORTED: &[(&str, &str)] = &[
    ("eth_getProof", "Mosaic's state is one SHA-256 sparse Merkle tree, not Ethereum's Merkle-Patricia tries; mosaic_getProof returns its proofs"),
    ("eth_simulateV1", "multi-block simulation is not implemented; use eth_call"),
    ("eth_capabilities", "every Mosaic node keeps all history"),
    ("eth_fillTransaction", "wallets fill transactions themselves; eth_signTransaction fills and signs for dev accounts"),
    ("eth_getBlockAccessList", "EIP-7928 block access lists are not active"),
    ("debug_getRawBlockAccessList", "EIP-7928 block access lists are not active"),
];

/// A precompile's name in EIP-7910 (the execution-apis spec's spelling: `BN254_*`).
fn precompile_name(address: &Address) -> Option<&'static str> {
    let bytes = address.as_slice();
    if bytes[..18].iter().any(|b| *b != 0) {
        return None;
    }
    Some(match u16::from_be_bytes([bytes[18], bytes[19]]) {
        0x01 => "ECREC",
        0x02 => "SHA256",
        0x03 => "RIPEMD160",
        0x04 => "ID",
        0x05 => "MODEXP",
        0x06 => "BN254_ADD",
        0x07 => "BN254_MUL",
        0x08 => "BN254_PAIRING",
        0x09 => "BLAKE2F",
        0x0a => "KZG_POINT_EVALUATION",
        0x0b => "BLS12_G1ADD",
        0x0c => "BLS12_G1MSM",
        0x0d => "BLS12_G2ADD",
        0x0e => "BLS12_G2MSM",
        0x0f => "BLS12_PAIRING_CHECK",
        0x10 => "BLS12_MAP_FP_TO_G1",
        0x11 => "BLS12_MAP_FP2_TO_G2",
        0x100 => "P256VERIFY",
        _ => return None,
    })
}

/// Most slots one `eth_getStorageValues` call reads.
const MAX_STORAGE_VALUES: usize = 1_024;
/// Most blocks one `eth_feeHistory` may cover.
const MAX_FEE_HISTORY: u64 = 1024;
/// Tip suggested to wallets, wei (0.001 gwei): blocks are rarely full, so any tip is included.
pub const SUGGESTED_TIP: u128 = 1_000_000;

/// Shared state of every handler.
pub struct EthApi {
    /// The node.
    pub node: Node,
    /// Dev accounts the node signs for (`eth_accounts`, `eth_sendTransaction`); empty outside devnet.
    pub signers: HashMap<Address, PrivateKeySigner>,
    /// Their order as printed at start.
    pub accounts: Vec<Address>,
    /// Why this node refuses transactions, if it does (it derives its chain from L1 instead).
    pub refuse_transactions: Option<String>,
    /// Lifts `refuse_transactions` once set (a fallback proposer that started sequencing).
    pub refusal_lifted: Option<Arc<std::sync::atomic::AtomicBool>>,
    /// Installed polled filters.
    pub(crate) filters: crate::filters::Filters,
}

type RpcResult<T> = Result<T, ErrorObjectOwned>;

impl EthApi {
    /// The sequencer set's view of a member, or why there is none.
    fn consensus(&self) -> RpcResult<Arc<dyn mosaic_node::ConsensusView>> {
        self.node.consensus_view().ok_or_else(|| {
            rpc_err(SERVER_ERROR, "this node is not a member of a sequencer set (it orders blocks alone or follows L1)")
        })
    }

    /// Resolves a block number or tag to a number; `None` if it does not exist.
    fn resolve_number(&self, tag: BlockNumberOrTag) -> Option<u64> {
        let head = self.node.head_number();
        match tag {
            // Pending state equals latest state (blocks are built from the pool on a timer).
            BlockNumberOrTag::Latest | BlockNumberOrTag::Pending => Some(head),
            // Committed on L1 / finalized on L1; the head on a chain that settles nowhere.
            BlockNumberOrTag::Safe => Some(self.node.safe_number()),
            BlockNumberOrTag::Finalized => Some(self.node.finalized_number()),
            BlockNumberOrTag::Earliest => Some(0),
            BlockNumberOrTag::Number(n) => (n <= head).then_some(n),
        }
    }

    fn resolve_block_id(&self, id: Option<BlockId>) -> RpcResult<u64> {
        match id.unwrap_or(BlockId::Number(BlockNumberOrTag::Latest)) {
            BlockId::Number(tag) => {
                self.resolve_number(tag).ok_or_else(|| rpc_err(RESOURCE_NOT_FOUND, "header not found"))
            }
            BlockId::Hash(h) => self
                .node
                .block_number(&h.block_hash)
                .map_err(internal)?
                .ok_or_else(|| rpc_err(RESOURCE_NOT_FOUND, format!("block {} not found", h.block_hash))),
        }
    }

    fn state(&self, id: Option<BlockId>) -> RpcResult<StateSnapshot> {
        self.state_after(self.resolve_block_id(id)?)
    }

    /// The state after block `n`.
    fn state_after(&self, n: u64) -> RpcResult<StateSnapshot> {
        self.node.state_at(n).map_err(internal)?.ok_or_else(|| rpc_err(RESOURCE_NOT_FOUND, "header not found"))
    }

    fn is_pending(id: &Option<BlockId>) -> bool {
        matches!(id, Some(BlockId::Number(BlockNumberOrTag::Pending)))
    }

    /// Context in which a call at block `id` runs: the child of that block.
    fn call_context(&self, number: u64) -> RpcResult<BlockContext> {
        if number == self.node.head_number() {
            return Ok(self.node.next_block_context());
        }
        let header = self
            .node
            .header(number)
            .map_err(internal)?
            .ok_or_else(|| rpc_err(RESOURCE_NOT_FOUND, "header not found"))?;
        let cfg = &self.node.config().chain;
        Ok(mosaic_stf::child_context(cfg, &header, header.timestamp + 1, self.node.config().fee_recipient))
    }

    /// EIP-7910's fork configuration: Osaka from genesis (activation time 0) and nothing scheduled, so
    /// `next` and `last` are null and the fork hash is the CRC32 of the genesis hash alone (EIP-6122
    /// skips forks active at genesis). No blob space (`max` 0); no L1 system contracts (no beacon
    /// roots, history, deposit or request contracts on the L2); the precompiles the STF runs.
    fn config(&self) -> RpcResult<alloy_eips::eip7910::EthConfig> {
        use alloy_eips::{eip7840::BlobParams, eip7910};
        let genesis = self.node.header(0).map_err(internal)?.ok_or_else(|| internal("no genesis header"))?;
        let fork_hash = alloy_eips::eip2124::ForkHash::from(genesis.hash_slow());
        let spec = mosaic_stf::revm::precompile::PrecompileSpecId::from_spec_id(mosaic_stf::HARDFORK);
        let precompiles = mosaic_stf::revm::precompile::Precompiles::new(spec)
            .addresses()
            .filter_map(|a| precompile_name(a).map(|name| (name.to_string(), *a)))
            .collect();
        let current = eip7910::EthForkConfig {
            activation_time: 0,
            blob_schedule: BlobParams { target_blob_count: 0, max_blob_count: 0, ..BlobParams::osaka() },
            chain_id: self.node.chain_id(),
            fork_id: fork_hash.0.to_vec().into(),
            precompiles,
            system_contracts: Default::default(),
        };
        Ok(eip7910::EthConfig { current, next: None, last: None })
    }

    fn block_by_number(&self, n: u64, full: bool) -> RpcResult<Option<Block>> {
        let Some(block) = self.node.block(n).map_err(internal)? else { return Ok(None) };
        let hash = block.hash();
        Ok(Some(rpc_block(&block, hash, full)))
    }

    /// Builds revm's environment for a call request.
    fn call_env(
        &self,
        req: &TransactionRequest,
        ctx: &BlockContext,
        gas_cap: u64,
    ) -> RpcResult<(TxEnv, SimulateOptions)> {
        let priced = req.gas_price.is_some() || req.max_fee_per_gas.is_some();
        let gas_price = req.gas_price.or(req.max_fee_per_gas).unwrap_or(0);
        // Calls and estimates never check the nonce (geth's `SkipNonceChecks`): a wallet estimates its
        // next transactions with future nonces before the earlier ones are in a block.
        let mut opts = SimulateOptions { disable_nonce_check: true, ..Default::default() };
        // geth: a call that names no price pays none, so the base fee does not apply to it.
        if !priced {
            opts.disable_base_fee = true;
        }
        let gas = req.gas.unwrap_or(gas_cap).min(gas_cap);
        let env = TxEnv {
            tx_type: if req.authorization_list.is_some() {
                4
            } else if req.max_fee_per_gas.is_some() || req.max_priority_fee_per_gas.is_some() {
                2
            } else if req.access_list.is_some() {
                1
            } else {
                0
            },
            caller: req.from.unwrap_or_default(),
            gas_limit: gas,
            gas_price,
            kind: req.to.unwrap_or(TxKind::Create),
            value: req.value.unwrap_or_default(),
            data: req.input.input().cloned().unwrap_or_default(),
            nonce: req.nonce.unwrap_or_default(),
            chain_id: Some(ctx.chain_id),
            access_list: req.access_list.clone().unwrap_or_default(),
            gas_priority_fee: req.max_priority_fee_per_gas,
            blob_hashes: Vec::new(),
            max_fee_per_blob_gas: 0,
            authorization_list: req
                .authorization_list
                .clone()
                .unwrap_or_default()
                .into_iter()
                .map(mosaic_stf::revm::context_interface::either::Either::Left)
                .collect(),
        };
        Ok((env, opts))
    }

    fn run_call(
        &self,
        state: StateSnapshot,
        ctx: &BlockContext,
        env: TxEnv,
        opts: SimulateOptions,
    ) -> RpcResult<ExecutionResult> {
        self.run_call_with_stats(state, ctx, env, opts).map(|(r, _, _)| r)
    }

    fn run_call_with_stats(
        &self,
        state: StateSnapshot,
        ctx: &BlockContext,
        env: TxEnv,
        opts: SimulateOptions,
    ) -> RpcResult<(ExecutionResult, Vec<FrameStat>, TxUsage)> {
        Self::simulated(state, ctx, env, opts).map(|(r, stats, usage)| (r.result, stats, usage))
    }

    /// Runs a call on `state` with geth's errors for a transaction that cannot run at all; the result
    /// keeps the touched state (what `eth_createAccessList` reads).
    fn simulated(
        state: StateSnapshot,
        ctx: &BlockContext,
        env: TxEnv,
        opts: SimulateOptions,
    ) -> RpcResult<mosaic_stf::vm::TxExecution> {
        simulate(state, ctx, env, opts).map_err(|e| match e {
            EVMError::Database(e) => internal(e),
            EVMError::Transaction(e) => rpc_err(SERVER_ERROR, tx_error_message(&e)),
            e => rpc_err(SERVER_ERROR, e.to_string()),
        })
    }

    /// Simulates `req` on top of block `id` like `eth_call` (gas capped at the block's and the node's limit).
    fn simulate_request(
        &self,
        req: &TransactionRequest,
        id: Option<BlockId>,
    ) -> RpcResult<(ExecutionResult, Vec<FrameStat>, TxUsage, ProvingCost)> {
        let n = self.resolve_block_id(id)?;
        let ctx = self.call_context(n)?;
        let cap = CALL_GAS_CAP.min(ctx.gas_limit);
        let (env, opts) = self.call_env(req, &ctx, cap)?;
        let (result, frames, usage) = self.run_call_with_stats(self.state_after(n)?, &ctx, env, opts)?;
        Ok((result, frames, usage, ctx.proving))
    }

    fn eth_call(&self, req: TransactionRequest, id: Option<BlockId>) -> RpcResult<Bytes> {
        match self.simulate_request(&req, id)?.0 {
            ExecutionResult::Success { output, .. } => Ok(output.into_data()),
            ExecutionResult::Revert { output, .. } => Err(reverted(&output)),
            ExecutionResult::Halt { reason, .. } => Err(rpc_err(SERVER_ERROR, halt_message(&reason))),
        }
    }

    /// `mosaic_callStats`: runs a call like `eth_call` and reports its per-frame gas and cycles.
    fn call_stats(&self, req: TransactionRequest, id: Option<BlockId>) -> RpcResult<TxStats> {
        let (result, frames, usage, proving) = self.simulate_request(&req, id)?;
        let stats = TxStats::new(None, result.is_success(), result.tx_gas_used(), &frames);
        Ok(stats.with_proving(standalone_cycles(&proving, &usage), proving.block_cycle_budget))
    }

    /// `mosaic_getTransactionStats`: per-frame gas and cycles of an included transaction.
    fn tx_stats(&self, hash: B256) -> RpcResult<Option<TxStats>> {
        let Some(loc) = self.node.tx_location(&hash).map_err(internal)? else { return Ok(None) };
        let frames = self.node.tx_stats(&hash).map_err(internal)?;
        let receipts = self.node.receipts(loc.block).map_err(internal)?.unwrap_or_default();
        let idx = loc.index as usize;
        let Some(receipt) = receipts.get(idx) else { return Ok(None) };
        let prev = if idx == 0 { 0 } else { receipts[idx - 1].cumulative_gas_used() };
        let gas_used = receipt.cumulative_gas_used() - prev;
        let stats = TxStats::new(Some(hash), receipt.status(), gas_used, &frames);
        // What the block's cycle budget charged it (blocks from before the budget have no row).
        let charged = self.node.tx_cycles(loc.block).map_err(internal)?.and_then(|c| c.get(idx).copied());
        Ok(Some(match charged {
            Some(cycles) => stats.with_proving(cycles, self.node.chain_config().proving.block_cycle_budget),
            None => stats,
        }))
    }

    /// `eth_createAccessList`: the accounts and slots the call touches (accounts without slots only if
    /// they are not warm anyway: its sender, its recipient, the fee recipient, precompiles), rerun with
    /// that list until it is stable as geth does, and the gas the call uses with it.
    fn create_access_list(&self, req: TransactionRequest, id: Option<BlockId>) -> RpcResult<serde_json::Value> {
        use alloy_eips::eip2930::{AccessList, AccessListItem};
        let n = self.resolve_block_id(id)?;
        let ctx = self.call_context(n)?;
        let cap = CALL_GAS_CAP.min(ctx.gas_limit);
        let (mut env, opts) = self.call_env(&req, &ctx, cap)?;
        let precompiles = mosaic_stf::revm::precompile::Precompiles::new(
            mosaic_stf::revm::precompile::PrecompileSpecId::from_spec_id(mosaic_stf::HARDFORK),
        );
        let mut excluded = vec![env.caller, ctx.beneficiary];
        if let TxKind::Call(to) = env.kind {
            excluded.push(to);
        }
        let mut list = req.access_list.clone().unwrap_or_default();
        // revm applies an access list only to typed transactions.
        if env.tx_type == 0 {
            env.tx_type = 1;
        }
        for _ in 0..5 {
            env.access_list = list.clone();
            let (outcome, _, _) = Self::simulated(self.state_after(n)?, &ctx, env.clone(), opts)?;
            let mut touched: Vec<AccessListItem> = outcome
                .state
                .iter()
                // geth lists every slot read or written; an account alone only if it is not warm anyway.
                .filter(|(a, acc)| !acc.storage.is_empty() || !(excluded.contains(a) || precompiles.contains(a)))
                .map(|(a, acc)| {
                    let mut keys: Vec<B256> = acc.storage.keys().map(|k| B256::from(*k)).collect();
                    keys.sort();
                    AccessListItem { address: *a, storage_keys: keys }
                })
                .collect();
            touched.sort_by_key(|i| i.address);
            let next = AccessList(touched);
            if next == list || outcome.result.is_halt() {
                let mut out =
                    serde_json::json!({ "accessList": next, "gasUsed": U64::from(outcome.result.tx_gas_used()) });
                match &outcome.result {
                    ExecutionResult::Revert { .. } => out["error"] = "execution reverted".into(),
                    ExecutionResult::Halt { reason, .. } => out["error"] = halt_message(reason).into(),
                    ExecutionResult::Success { .. } => {}
                }
                return Ok(out);
            }
            list = next;
        }
        Err(rpc_err(SERVER_ERROR, "access list did not settle after 5 runs"))
    }

    /// `debug_getRawBlock`: the block's RLP as Ethereum encodes it (header, transactions, no ommers,
    /// empty withdrawals).
    fn raw_block(&self, n: u64) -> RpcResult<Bytes> {
        let block =
            self.node.block(n).map_err(internal)?.ok_or_else(|| rpc_err(RESOURCE_NOT_FOUND, "block not found"))?;
        let body = alloy_consensus::BlockBody {
            transactions: block.transactions,
            ommers: Vec::new(),
            withdrawals: Some(Default::default()),
        };
        Ok(alloy_rlp::encode(alloy_consensus::Block { header: block.header, body }).into())
    }

    fn estimate_gas(&self, req: TransactionRequest, id: Option<BlockId>) -> RpcResult<U64> {
        let n = self.resolve_block_id(id)?;
        let ctx = self.call_context(n)?;
        let cap = req.gas.unwrap_or(CALL_GAS_CAP).min(CALL_GAS_CAP).min(ctx.gas_limit);
        let (env, opts) = self.call_env(&req, &ctx, cap)?;
        let try_gas = |env: &TxEnv, gas: u64| -> RpcResult<ExecutionResult> {
            let mut e = env.clone();
            e.gas_limit = gas;
            self.run_call(self.state_after(n)?, &ctx, e, opts)
        };
        // First at the cap: if it fails there it fails everywhere, and the error is the answer. A
        // transaction that alone needs more proving cycles than a block may take can never be included.
        let (first, _, usage) = self.run_call_with_stats(self.state_after(n)?, &ctx, env.clone(), opts)?;
        let cycles = standalone_cycles(&ctx.proving, &usage);
        if cycles > ctx.proving.block_cycle_budget {
            return Err(cycle_budget_error(cycles, ctx.proving.block_cycle_budget));
        }
        let used = match first {
            ExecutionResult::Success { gas, .. } => gas.tx_gas_used(),
            ExecutionResult::Revert { output, .. } => return Err(reverted(&output)),
            ExecutionResult::Halt { reason, .. } => {
                return Err(rpc_err(
                    SERVER_ERROR,
                    format!("gas required exceeds allowance ({cap}): {}", halt_message(&reason)),
                ))
            }
        };
        // Exactly what it used is enough unless refunds or the 63/64 rule are in play: always for a plain
        // transfer (21,000, as geth answers), often otherwise.
        if matches!(try_gas(&env, used)?, ExecutionResult::Success { .. }) {
            return Ok(U64::from(used));
        }
        // Binary search the smallest limit that succeeds (refunds and the 63/64 rule make `used` a lower bound).
        let mut lo = used.saturating_sub(1).max(mosaic_stf::intrinsic_gas(&env).saturating_sub(1));
        let mut hi = cap;
        // Most calls succeed with a little headroom: try that first to skip most iterations.
        let guess = (used + used / 10 + 2300).min(hi);
        if matches!(try_gas(&env, guess)?, ExecutionResult::Success { .. }) {
            hi = guess;
        } else {
            lo = guess;
        }
        while hi - lo > 1 && (hi - lo) * 100 > hi {
            let mid = lo + (hi - lo) / 2;
            if matches!(try_gas(&env, mid)?, ExecutionResult::Success { .. }) {
                hi = mid;
            } else {
                lo = mid;
            }
        }
        Ok(U64::from(hi))
    }

    fn fee_history(
        &self,
        count: u64,
        newest: BlockNumberOrTag,
        percentiles: Option<Vec<f64>>,
    ) -> RpcResult<FeeHistory> {
        let count = count.min(MAX_FEE_HISTORY);
        let newest = self.resolve_number(newest).ok_or_else(|| rpc_err(RESOURCE_NOT_FOUND, "header not found"))?;
        if let Some(p) = &percentiles {
            if p.windows(2).any(|w| w[0] > w[1]) || p.iter().any(|x| !(0.0..=100.0).contains(x)) {
                return Err(invalid_params("reward percentiles must be ascending values in [0, 100]"));
            }
        }
        if count == 0 {
            return Ok(FeeHistory::default());
        }
        let oldest = (newest + 1).saturating_sub(count);
        let mut base_fees = Vec::new();
        let mut ratios = Vec::new();
        let mut rewards = Vec::new();
        let mut last = None;
        for n in oldest..=newest {
            let block = self.node.block(n).map_err(internal)?.ok_or_else(|| internal(format!("missing block {n}")))?;
            let h = &block.header;
            let base_fee = h.base_fee_per_gas.unwrap_or_default();
            base_fees.push(base_fee as u128);
            ratios.push(if h.gas_limit == 0 { 0.0 } else { h.gas_used as f64 / h.gas_limit as f64 });
            if let Some(p) = &percentiles {
                let receipts = self.node.receipts(n).map_err(internal)?.unwrap_or_default();
                rewards.push(block_rewards(&block.transactions, &receipts, base_fee, p));
            }
            last = Some(h.clone());
        }
        if let Some(h) = last {
            base_fees.push(self.node.config().chain.next_base_fee(
                h.gas_used,
                h.gas_limit,
                h.base_fee_per_gas.unwrap_or_default(),
            ) as u128);
        }
        Ok(FeeHistory {
            base_fee_per_gas: base_fees,
            gas_used_ratio: ratios,
            // Sized by the blocks actually covered: fewer than `count` exist near genesis.
            base_fee_per_blob_gas: vec![0; (newest - oldest) as usize + 2],
            blob_gas_used_ratio: vec![0.0; (newest - oldest) as usize + 1],
            oldest_block: oldest,
            reward: percentiles.map(|_| rewards),
        })
    }

    fn get_logs(&self, filter: &Filter) -> RpcResult<Vec<Log>> {
        let head = self.node.head_number();
        let (from, to) = match filter.block_option {
            FilterBlockOption::AtBlockHash(h) => {
                let n = self
                    .node
                    .block_number(&h)
                    .map_err(internal)?
                    .ok_or_else(|| rpc_err(RESOURCE_NOT_FOUND, "unknown block"))?;
                (n, n)
            }
            FilterBlockOption::Range { from_block, to_block } => {
                let from = from_block.map(|t| self.resolve_number(t).unwrap_or(head + 1)).unwrap_or(head);
                let to = to_block.map(|t| self.resolve_number(t).unwrap_or(head)).unwrap_or(head);
                (from, to.min(head))
            }
        };
        if from > to {
            return Ok(Vec::new());
        }
        if to - from >= MAX_LOG_BLOCK_RANGE {
            return Err(rpc_err(LIMIT_EXCEEDED, format!("query exceeds max block range {MAX_LOG_BLOCK_RANGE}")));
        }
        let mut out = Vec::new();
        for n in from..=to {
            let Some(header) = self.node.header(n).map_err(internal)? else { continue };
            if !filter.matches_bloom(header.logs_bloom) {
                continue;
            }
            let block = self.node.block(n).map_err(internal)?.ok_or_else(|| internal(format!("missing block {n}")))?;
            let receipts = self.node.receipts(n).map_err(internal)?.unwrap_or_default();
            out.extend(block_logs(&block, block.hash(), &receipts).into_iter().filter(|l| filter.matches(&l.inner)));
            if out.len() > MAX_LOGS {
                return Err(rpc_err(LIMIT_EXCEEDED, format!("query returned more than {MAX_LOGS} results")));
            }
        }
        Ok(out)
    }

    /// `eth_getFilterChanges`: block hashes, logs or pending transaction hashes since the last poll.
    fn filter_changes(&self, id: U128) -> RpcResult<serde_json::Value> {
        use crate::filters::Kind;
        let head = self.node.head_number();
        let now = std::time::Instant::now();
        let kind =
            self.filters.poll(id, now, |k| k.clone()).ok_or_else(|| rpc_err(SERVER_ERROR, "filter not found"))?;
        let (out, next_kind) = match kind {
            Kind::Blocks { next } => {
                let mut hashes = Vec::new();
                for n in next..=head {
                    if let Some(h) = self.node.header(n).map_err(internal)? {
                        hashes.push(h.hash_slow());
                    }
                }
                (serde_json::to_value(hashes).map_err(internal)?, Kind::Blocks { next: head + 1 })
            }
            Kind::Logs { filter, next } => {
                // The filter's own range, from where the last poll stopped.
                let (from, to) = match filter.block_option {
                    FilterBlockOption::Range { from_block, to_block } => (
                        from_block.and_then(|t| self.resolve_number(t)).unwrap_or(0).max(next),
                        to_block.and_then(|t| self.resolve_number(t)).unwrap_or(head).min(head),
                    ),
                    FilterBlockOption::AtBlockHash(_) => (next, head),
                };
                let logs = if from > to {
                    Vec::new()
                } else {
                    self.get_logs(&(*filter).clone().from_block(from).to_block(to))?
                };
                (serde_json::to_value(logs).map_err(internal)?, Kind::Logs { filter, next: head + 1 })
            }
            Kind::PendingTxs { after } => {
                let (hashes, last) = self.filters.pending.since(after);
                (serde_json::to_value(hashes).map_err(internal)?, Kind::PendingTxs { after: last })
            }
        };
        self.filters.poll(id, now, |k| *k = next_kind);
        Ok(out)
    }

    fn tx_by_hash(&self, hash: B256) -> RpcResult<Option<Transaction>> {
        if let Some(loc) = self.node.tx_location(&hash).map_err(internal)? {
            let block =
                self.node.block(loc.block).map_err(internal)?.ok_or_else(|| internal("indexed block missing"))?;
            return Ok(rpc_tx(&block, block.hash(), loc.index as usize));
        }
        Ok(self.node.pool_tx(&hash).map(|p| rpc_pending_tx(p.tx.clone(), p.sender)))
    }

    /// Transaction `index` of block `n`, if both exist.
    fn tx_in_block(&self, n: u64, index: U64) -> RpcResult<Option<Transaction>> {
        let Some(block) = self.node.block(n).map_err(internal)? else { return Ok(None) };
        let Ok(index) = usize::try_from(index) else { return Ok(None) };
        Ok(rpc_tx(&block, block.hash(), index))
    }

    /// The dev key of unlocked account `from`.
    fn signer(&self, from: &Address) -> RpcResult<&PrivateKeySigner> {
        self.signers.get(from).ok_or_else(|| rpc_err(SERVER_ERROR, format!("unknown account {from}")))
    }

    fn receipt(&self, hash: B256) -> RpcResult<Option<TransactionReceipt>> {
        let Some(loc) = self.node.tx_location(&hash).map_err(internal)? else { return Ok(None) };
        let block = self.node.block(loc.block).map_err(internal)?.ok_or_else(|| internal("indexed block missing"))?;
        let receipts = self.node.receipts(loc.block).map_err(internal)?.unwrap_or_default();
        Ok(rpc_receipts(&block, block.hash(), &receipts).into_iter().nth(loc.index as usize))
    }

    fn block_receipts(&self, id: BlockId) -> RpcResult<Option<Vec<TransactionReceipt>>> {
        let n = match self.resolve_block_id(Some(id)) {
            Ok(n) => n,
            Err(_) => return Ok(None),
        };
        let Some(block) = self.node.block(n).map_err(internal)? else { return Ok(None) };
        let receipts = self.node.receipts(n).map_err(internal)?.unwrap_or_default();
        Ok(Some(rpc_receipts(&block, block.hash(), &receipts)))
    }

    /// Fills and signs a request with a dev key (devnet only, like anvil's unlocked accounts).
    /// Refuses up front on nodes that do not sequence: a transaction would wait in their pool forever.
    fn accepts_transactions(&self) -> RpcResult<()> {
        let lifted = self.refusal_lifted.as_ref().is_some_and(|l| l.load(std::sync::atomic::Ordering::SeqCst));
        match &self.refuse_transactions {
            Some(why) if !lifted => Err(rpc_err(TRANSACTION_REJECTED, why.clone())),
            _ => Ok(()),
        }
    }

    /// `eth_sendTransaction`: fills and signs the request on the blocking pool (it reads state and may
    /// run a gas estimate), then submits it like a raw transaction.
    async fn send_transaction(self: Arc<Self>, req: TransactionRequest) -> RpcResult<B256> {
        let api = self.clone();
        let raw = mosaic_node::spawn_blocking(move || api.sign_request(req)).await.map_err(internal)??;
        self.node.submit_raw(&raw).await.map_err(submit_error)
    }

    /// Completes a request from an unlocked account (nonce, fees, gas) and signs it; blocking.
    fn sign_request(&self, mut req: TransactionRequest) -> RpcResult<Vec<u8>> {
        let from = req.from.ok_or_else(|| invalid_params("missing `from`"))?;
        let signer = self.signer(&from)?.clone();
        let state = self.state(None)?;
        let account = state.account(&from).map_err(internal)?.unwrap_or_default();
        req.chain_id = Some(self.node.chain_id());
        // No `to` means a contract creation (geth, anvil); the typed-tx builder wants it explicit.
        req.to.get_or_insert(TxKind::Create);
        if req.nonce.is_none() {
            req.nonce = Some(self.node.pending_nonce(&from, account.nonce));
        }
        if req.gas_price.is_none() && req.max_fee_per_gas.is_none() {
            let base = self.node.next_block_context().base_fee as u128;
            req.max_priority_fee_per_gas = Some(req.max_priority_fee_per_gas.unwrap_or(SUGGESTED_TIP));
            req.max_fee_per_gas = Some(base * 2 + SUGGESTED_TIP);
        }
        if req.gas.is_none() {
            let est = self.estimate_gas(req.clone(), None)?;
            req.gas = Some(est.to::<u64>());
        }
        let typed = req.build_typed_tx().map_err(|_| invalid_params("incomplete transaction request"))?;
        let sig = signer.sign_hash_sync(&typed.signature_hash()).map_err(internal)?;
        let envelope: TxEnvelope = typed.into_signed(sig).into();
        Ok(envelope.encoded_2718())
    }
}

fn block_rewards(
    txs: &[TxEnvelope],
    receipts: &[alloy_consensus::ReceiptEnvelope],
    base_fee: u64,
    percentiles: &[f64],
) -> Vec<u128> {
    if txs.is_empty() {
        return vec![0; percentiles.len()];
    }
    let mut prev = 0;
    let mut items: Vec<(u128, u64)> = txs
        .iter()
        .zip(receipts)
        .map(|(tx, r)| {
            let used = r.cumulative_gas_used() - prev;
            prev = r.cumulative_gas_used();
            (tx.effective_tip_per_gas(base_fee).unwrap_or_default(), used)
        })
        .collect();
    items.sort_unstable_by_key(|(tip, _)| *tip);
    let total: u64 = items.iter().map(|(_, g)| g).sum();
    percentiles
        .iter()
        .map(|p| {
            let threshold = (total as f64 * p / 100.0) as u64;
            let mut acc = 0;
            for (tip, gas) in &items {
                acc += gas;
                if acc >= threshold {
                    return *tip;
                }
            }
            items.last().map(|(t, _)| *t).unwrap_or_default()
        })
        .collect()
}

fn halt_message(reason: &mosaic_stf::revm::context_interface::result::HaltReason) -> String {
    use mosaic_stf::revm::context_interface::result::{HaltReason, OutOfGasError};
    match reason {
        HaltReason::OutOfGas(OutOfGasError::Basic | OutOfGasError::Memory | OutOfGasError::MemoryLimit) => {
            "out of gas".into()
        }
        HaltReason::OutOfGas(_) => "out of gas".into(),
        HaltReason::OpcodeNotFound | HaltReason::InvalidFEOpcode => "invalid opcode".into(),
        HaltReason::StackOverflow => "stack overflow".into(),
        HaltReason::StackUnderflow => "stack underflow".into(),
        other => format!("execution halted: {other:?}"),
    }
}

fn tx_error_message(e: &mosaic_stf::revm::context_interface::result::InvalidTransaction) -> String {
    use mosaic_stf::revm::context_interface::result::InvalidTransaction as I;
    match e {
        I::LackOfFundForMaxFee { fee, balance } => {
            format!("insufficient funds for gas * price + value: balance {balance}, tx cost {fee}")
        }
        I::NonceTooLow { tx, state } => format!("nonce too low: next nonce {state}, tx nonce {tx}"),
        I::NonceTooHigh { tx, state } => format!("nonce too high: next nonce {state}, tx nonce {tx}"),
        I::GasPriceLessThanBasefee => "max fee per gas less than block base fee".into(),
        I::CallGasCostMoreThanGasLimit { initial_gas, gas_limit } => {
            format!("intrinsic gas too low: have {gas_limit}, want {initial_gas}")
        }
        other => other.to_string(),
    }
}

/// One required parameter.
fn one<A: DeserializeOwned>(p: Params<'_>) -> RpcResult<A> {
    p.sequence().next()
}

/// A required parameter and an optional one (e.g. an address and a block tag).
fn two<A: DeserializeOwned, B: DeserializeOwned>(p: Params<'_>) -> RpcResult<(A, Option<B>)> {
    let mut s = p.sequence();
    Ok((s.next()?, s.optional_next()?))
}

/// `eth_call` / `eth_estimateGas` parameters; state and block overrides are refused, not ignored.
fn call_params(p: Params<'_>) -> RpcResult<(TransactionRequest, Option<BlockId>)> {
    let mut s = p.sequence();
    let req = s.next()?;
    let id = s.optional_next()?;
    let overrides: Option<serde_json::Value> = s.optional_next()?;
    if overrides.is_some_and(|v| !v.is_null()) {
        return Err(invalid_params("state overrides are not supported"));
    }
    Ok((req, id))
}

/// Two required parameters.
fn two_required<A: DeserializeOwned, B: DeserializeOwned>(p: Params<'_>) -> RpcResult<(A, B)> {
    let mut s = p.sequence();
    Ok((s.next()?, s.next()?))
}

/// Pool transactions as geth's `txpool_content` nests them: sender → nonce (decimal) → transaction;
/// only `only`'s if given.
fn by_sender(txs: &[Arc<mosaic_node::PoolTx>], only: Option<Address>) -> serde_json::Value {
    let mut out = serde_json::Map::new();
    for t in txs.iter().filter(|t| only.is_none_or(|a| a == t.sender)) {
        let entry = out.entry(t.sender.to_string()).or_insert_with(|| serde_json::json!({}));
        entry[t.nonce().to_string()] = serde_json::to_value(rpc_pending_tx(t.tx.clone(), t.sender)).unwrap_or_default();
    }
    serde_json::Value::Object(out)
}

/// Two required parameters and an optional third.
fn three<A: DeserializeOwned, B: DeserializeOwned, C: DeserializeOwned>(p: Params<'_>) -> RpcResult<(A, B, Option<C>)> {
    let mut s = p.sequence();
    Ok((s.next()?, s.next()?, s.optional_next()?))
}

/// Registers every method on a module.
pub(crate) fn module(api: EthApi) -> RpcModule<EthApi> {
    let mut m = RpcModule::new(api);
    macro_rules! reg {
        ($name:literal, |$p:ident, $api:ident| $body:expr) => {
            m.register_blocking_method($name, move |$p, $api, _| -> RpcResult<_> {
                let $api: Arc<EthApi> = $api;
                $body
            })
            .expect("unique method name");
        };
    }
    reg!("eth_chainId", |_p, api| Ok(U64::from(api.node.chain_id())));
    reg!("net_version", |_p, api| Ok(api.node.chain_id().to_string()));
    reg!("net_listening", |_p, _api| Ok(true));
    reg!("net_peerCount", |_p, _api| Ok(U64::ZERO));
    reg!("web3_clientVersion", |_p, _api| Ok(format!("mosaic/v{}", env!("CARGO_PKG_VERSION"))));
    reg!("web3_sha3", |p, _api| {
        let data: Bytes = one(p)?;
        Ok(alloy_primitives::keccak256(&data))
    });
    reg!("eth_blockNumber", |_p, api| Ok(U64::from(api.node.head_number())));
    reg!("eth_syncing", |_p, _api| Ok(SyncStatus::None));
    reg!("eth_accounts", |_p, api| Ok(api.accounts.clone()));
    reg!("eth_getBalance", |p, api| {
        let (addr, id): (Address, Option<BlockId>) = two(p)?;
        let state = api.state(id)?;
        Ok(state.account(&addr).map_err(internal)?.map(|a| a.balance).unwrap_or_default())
    });
    reg!("eth_getTransactionCount", |p, api| {
        let (addr, id): (Address, Option<BlockId>) = two(p)?;
        let pending = EthApi::is_pending(&id);
        let state = api.state(id)?;
        let nonce = state.account(&addr).map_err(internal)?.map(|a| a.nonce).unwrap_or_default();
        Ok(U64::from(if pending { api.node.pending_nonce(&addr, nonce) } else { nonce }))
    });
    reg!("eth_getCode", |p, api| {
        let (addr, id): (Address, Option<BlockId>) = two(p)?;
        let state = api.state(id)?;
        let Some(acc) = state.account(&addr).map_err(internal)? else { return Ok(Bytes::new()) };
        if acc.code_hash == alloy_primitives::KECCAK256_EMPTY {
            return Ok(Bytes::new());
        }
        Ok(state.code(&acc.code_hash).map_err(internal)?.unwrap_or_default())
    });
    reg!("eth_getStorageAt", |p, api| {
        let (addr, slot, id): (Address, U256, Option<BlockId>) = three(p)?;
        let state = api.state(id)?;
        Ok(B256::from(state.storage(&addr, &slot).map_err(internal)?))
    });
    reg!("eth_call", |p, api| {
        let (req, id) = call_params(p)?;
        api.eth_call(req, id)
    });
    reg!("eth_estimateGas", |p, api| {
        let (req, id) = call_params(p)?;
        api.estimate_gas(req, id)
    });
    reg!("eth_gasPrice", |_p, api| Ok(U256::from(api.node.next_block_context().base_fee as u128 + SUGGESTED_TIP)));
    reg!("eth_maxPriorityFeePerGas", |_p, _api| Ok(U256::from(SUGGESTED_TIP)));
    reg!("eth_blobBaseFee", |_p, _api| Ok(U256::from(1)));
    reg!("eth_feeHistory", |p, api| {
        let (count, newest, pct): (U64, BlockNumberOrTag, Option<Vec<f64>>) = three(p)?;
        api.fee_history(count.to::<u64>(), newest, pct)
    });
    for (name, why) in NOT_SUPPORTED {
        m.register_method(name, move |_, _, _| -> RpcResult<()> {
            Err(rpc_err(METHOD_NOT_FOUND, format!("{name} is not supported: {why}")))
        })
        .expect("unique method name");
    }
    reg!("eth_coinbase", |_p, api| Ok(api.node.config().fee_recipient));
    reg!("eth_config", |_p, api| api.config());
    reg!("eth_baseFee", |_p, api| Ok(U256::from(api.node.next_block_context().base_fee)));
    // A sequencer builds only valid blocks and a deriving node rejects a bad batch whole: no bad blocks.
    reg!("debug_getBadBlocks", |_p, _api| Ok(Vec::<serde_json::Value>::new()));
    reg!("eth_getStorageValues", |p, api| {
        let (requests, id): (std::collections::BTreeMap<Address, Vec<U256>>, Option<BlockId>) = two(p)?;
        let slots: usize = requests.values().map(Vec::len).sum();
        if slots > MAX_STORAGE_VALUES {
            return Err(rpc_err(LIMIT_EXCEEDED, format!("at most {MAX_STORAGE_VALUES} slots per call")));
        }
        let state = api.state(id)?;
        let mut out = serde_json::Map::new();
        for (address, keys) in requests {
            let values: Vec<B256> = keys
                .iter()
                .map(|k| state.storage(&address, k).map(B256::from))
                .collect::<Result<_, _>>()
                .map_err(internal)?;
            out.insert(address.to_string(), serde_json::json!(values));
        }
        Ok(serde_json::Value::Object(out))
    });
    reg!("eth_createAccessList", |p, api| {
        let (req, id) = call_params(p)?;
        api.create_access_list(req, id)
    });
    reg!("debug_getRawHeader", |p, api| {
        let n = api.resolve_block_id(Some(one(p)?))?;
        let header =
            api.node.header(n).map_err(internal)?.ok_or_else(|| rpc_err(RESOURCE_NOT_FOUND, "block not found"))?;
        Ok(Bytes::from(alloy_rlp::encode(&header)))
    });
    reg!("debug_getRawBlock", |p, api| {
        let n = api.resolve_block_id(Some(one(p)?))?;
        api.raw_block(n)
    });
    reg!("debug_getRawReceipts", |p, api| {
        let n = api.resolve_block_id(Some(one(p)?))?;
        let receipts =
            api.node.receipts(n).map_err(internal)?.ok_or_else(|| rpc_err(RESOURCE_NOT_FOUND, "block not found"))?;
        Ok(receipts.iter().map(|r| Bytes::from(r.encoded_2718())).collect::<Vec<_>>())
    });
    reg!("debug_getRawTransaction", |p, api| {
        let hash: B256 = one(p)?;
        if let Some(loc) = api.node.tx_location(&hash).map_err(internal)? {
            let block = api.node.block(loc.block).map_err(internal)?;
            let tx = block.and_then(|b| b.transactions.get(loc.index as usize).cloned());
            return Ok(tx.map(|t| Bytes::from(t.encoded_2718())).unwrap_or_default());
        }
        // geth also answers for a pooled transaction; an unknown hash is `0x`.
        Ok(api.node.pool_tx(&hash).map(|p| Bytes::from(p.tx.encoded_2718())).unwrap_or_default())
    });
    reg!("debug_traceTransaction", |p, api| {
        let (hash, cfg): (B256, Option<serde_json::Value>) = two(p)?;
        crate::debug::trace_transaction(&api.node, hash, crate::debug::options(cfg)?)
    });
    reg!("debug_traceBlockByNumber", |p, api| {
        let (tag, cfg): (BlockNumberOrTag, Option<serde_json::Value>) = two(p)?;
        let number = api.resolve_number(tag).ok_or_else(|| rpc_err(RESOURCE_NOT_FOUND, "block not found"))?;
        crate::debug::trace_block(&api.node, number, crate::debug::options(cfg)?)
    });
    reg!("debug_traceBlockByHash", |p, api| {
        let (hash, cfg): (B256, Option<serde_json::Value>) = two(p)?;
        let number = api.node.block_number(&hash).map_err(internal)?;
        let number = number.ok_or_else(|| rpc_err(RESOURCE_NOT_FOUND, format!("block {hash} not found")))?;
        crate::debug::trace_block(&api.node, number, crate::debug::options(cfg)?)
    });
    reg!("eth_getTransactionByHash", |p, api| {
        let hash: B256 = one(p)?;
        api.tx_by_hash(hash)
    });
    reg!("eth_getTransactionReceipt", |p, api| {
        let hash: B256 = one(p)?;
        api.receipt(hash)
    });
    reg!("eth_getBlockByNumber", |p, api| {
        let (tag, full): (BlockNumberOrTag, Option<bool>) = two(p)?;
        match api.resolve_number(tag) {
            Some(n) => api.block_by_number(n, full.unwrap_or(false)),
            None => Ok(None),
        }
    });
    reg!("eth_getBlockByHash", |p, api| {
        let (hash, full): (B256, Option<bool>) = two(p)?;
        match api.node.block_number(&hash).map_err(internal)? {
            Some(n) => api.block_by_number(n, full.unwrap_or(false)),
            None => Ok(None),
        }
    });
    reg!("eth_getBlockTransactionCountByNumber", |p, api| {
        let tag: BlockNumberOrTag = one(p)?;
        let Some(n) = api.resolve_number(tag) else { return Ok(None) };
        Ok(api.node.block(n).map_err(internal)?.map(|b| U64::from(b.transactions.len())))
    });
    reg!("eth_getBlockTransactionCountByHash", |p, api| {
        let hash: B256 = one(p)?;
        let Some(n) = api.node.block_number(&hash).map_err(internal)? else { return Ok(None) };
        Ok(api.node.block(n).map_err(internal)?.map(|b| U64::from(b.transactions.len())))
    });
    reg!("eth_getTransactionByBlockNumberAndIndex", |p, api| {
        let (tag, index): (BlockNumberOrTag, U64) = two_required(p)?;
        let Some(n) = api.resolve_number(tag) else { return Ok(None) };
        api.tx_in_block(n, index)
    });
    reg!("eth_getTransactionByBlockHashAndIndex", |p, api| {
        let (hash, index): (B256, U64) = two_required(p)?;
        let Some(n) = api.node.block_number(&hash).map_err(internal)? else { return Ok(None) };
        api.tx_in_block(n, index)
    });
    reg!("eth_sign", |p, api| {
        let (from, data): (Address, Bytes) = two_required(p)?;
        let signer = api.signer(&from)?;
        // EIP-191 personal message, as geth's eth_sign: r ‖ s ‖ v with v = 27 or 28.
        let sig = signer.sign_message_sync(&data).map_err(internal)?;
        Ok(Bytes::from(sig.as_bytes().to_vec()))
    });
    // geth's answer: the signed bytes and the transaction they decode to.
    reg!("eth_signTransaction", |p, api| {
        use alloy_consensus::transaction::SignerRecoverable;
        use alloy_eips::eip2718::Decodable2718;
        let req: TransactionRequest = one(p)?;
        let raw = api.sign_request(req)?;
        let tx = TxEnvelope::decode_2718(&mut raw.as_slice()).map_err(internal)?;
        let sender = tx.recover_signer().map_err(internal)?;
        Ok(serde_json::json!({ "raw": Bytes::from(raw), "tx": rpc_pending_tx(tx, sender) }))
    });
    reg!("txpool_status", |_p, api| {
        let pool = api.node.pool_content().map_err(internal)?;
        Ok(serde_json::json!({ "pending": U64::from(pool.pending.len()), "queued": U64::from(pool.queued.len()) }))
    });
    reg!("txpool_content", |_p, api| {
        let pool = api.node.pool_content().map_err(internal)?;
        Ok(serde_json::json!({ "pending": by_sender(&pool.pending, None), "queued": by_sender(&pool.queued, None) }))
    });
    reg!("txpool_contentFrom", |p, api| {
        let from: Address = one(p)?;
        let pool = api.node.pool_content().map_err(internal)?;
        let of =
            |txs| by_sender(txs, Some(from)).get(from.to_string()).cloned().unwrap_or_else(|| serde_json::json!({}));
        Ok(serde_json::json!({ "pending": of(&pool.pending), "queued": of(&pool.queued) }))
    });
    reg!("eth_newFilter", |p, api| {
        use crate::filters::Kind;
        let filter: Filter = one(p)?;
        if matches!(filter.block_option, FilterBlockOption::AtBlockHash(_)) {
            return Err(invalid_params("a filter polls new blocks: use fromBlock/toBlock, not blockHash"));
        }
        let next = api.node.head_number() + 1;
        Ok(api.filters.install(Kind::Logs { filter: Box::new(filter), next }, std::time::Instant::now()))
    });
    reg!("eth_newBlockFilter", |_p, api| {
        let next = api.node.head_number() + 1;
        Ok(api.filters.install(crate::filters::Kind::Blocks { next }, std::time::Instant::now()))
    });
    reg!("eth_newPendingTransactionFilter", |_p, api| {
        let after = api.filters.pending.last();
        Ok(api.filters.install(crate::filters::Kind::PendingTxs { after }, std::time::Instant::now()))
    });
    reg!("eth_getFilterChanges", |p, api| {
        let id: U128 = one(p)?;
        api.filter_changes(id)
    });
    reg!("eth_getFilterLogs", |p, api| {
        let id: U128 = one(p)?;
        let kind = api.filters.poll(id, std::time::Instant::now(), |k| k.clone());
        match kind {
            Some(crate::filters::Kind::Logs { filter, .. }) => api.get_logs(&filter),
            _ => Err(rpc_err(SERVER_ERROR, "filter not found")),
        }
    });
    reg!("eth_uninstallFilter", |p, api| {
        let id: U128 = one(p)?;
        Ok(api.filters.uninstall(id))
    });
    reg!("eth_getBlockReceipts", |p, api| {
        let id: BlockId = one(p)?;
        api.block_receipts(id)
    });
    reg!("eth_getLogs", |p, api| {
        let filter: Filter = one(p)?;
        api.get_logs(&filter)
    });
    reg!("mosaic_getProof", |p, api| {
        let (addr, slots, id): (Address, Vec<U256>, Option<BlockId>) = three(p)?;
        let n = api.resolve_block_id(id)?;
        account_proof(&api.node, addr, &slots, n)
    });
    reg!("mosaic_metrics", |_p, api| Ok(api.node.metrics().render()));
    reg!("mosaic_getTransactionStats", |p, api| {
        let hash: B256 = one(p)?;
        api.tx_stats(hash)
    });
    reg!("mosaic_callStats", |p, api| {
        let (req, id): (TransactionRequest, Option<BlockId>) = two(p)?;
        api.call_stats(req, id)
    });
    // A sequencer set's member: where its consensus stands, and the misbehaviour it has seen.
    reg!("mosaic_bftStatus", |_p, api| Ok(api.consensus()?.status()));
    reg!("mosaic_bftEvidence", |p, api| {
        let from: Option<U64> = p.sequence().optional_next()?;
        api.consensus()?.evidence(from.map_or(0, |f| f.to()), MAX_EVIDENCE).map_err(internal)
    });
    m.register_async_method("eth_sendRawTransaction", |p, api, _| async move {
        api.accepts_transactions()?;
        let raw: Bytes = one(p)?;
        api.node.submit_raw(&raw).await.map_err(submit_error)
    })
    .expect("unique method name");
    // A sequencer set's members copy each other's transactions before acknowledging them
    // (`mosaic_consensus::RpcRelay`): admitted without being relayed onwards, "already known" is
    // fine; one error text (or null) per transaction.
    m.register_async_method("mosaic_relayTransactions", |p, api, _| async move {
        api.accepts_transactions()?;
        let raws: Vec<Bytes> = one(p)?;
        if raws.len() > MAX_RELAYED {
            return Err(invalid_params(format!("at most {MAX_RELAYED} transactions per call")));
        }
        // All at once: the admitter checks and stores them in shared batches (one durable write),
        // in the order given.
        let verdicts = futures::future::join_all(raws.iter().map(|raw| api.node.submit_relayed(raw))).await;
        Ok::<_, ErrorObjectOwned>(verdicts.into_iter().map(|v| v.err().map(|e| e.to_string())).collect::<Vec<_>>())
    })
    .expect("unique method name");
    m.register_async_method("eth_sendTransaction", |p, api, _| async move {
        api.accepts_transactions()?;
        let req: TransactionRequest = one(p)?;
        api.send_transaction(req).await
    })
    .expect("unique method name");
    crate::subscribe::register(&mut m);
    m
}
