//! The chain: database, cached head, state snapshots, and block production.
use crate::{admission::Admitter, metrics::Metrics};
use alloy_consensus::{Header, ReceiptEnvelope, Transaction};
use alloy_primitives::{Address, B256, U256};
use mosaic_mempool::{Mempool, PoolConfig, PoolTx};
use mosaic_primitives::{AccountLeaf, Block, ChainConfig, L1Cursor, L1Message};
use mosaic_stf::{
    child_context, replay_block, BlockBuilder, BlockContext, BlockParts, BuiltBlock, L1MessageError, ReplayError,
    StateError, StateReader, TxFailure,
};
use mosaic_storage::{Database, HistoricalState, LatestState, StorageError, TrieNodes};
use parking_lot::{Mutex, RwLock};
use std::{
    collections::HashSet,
    path::PathBuf,
    sync::Arc,
    time::{Duration, Instant, SystemTime, UNIX_EPOCH},
};
use tokio::sync::{broadcast, Notify};
use tracing::{debug, info, warn};

/// Node settings.
#[derive(Debug, Clone)]
pub struct NodeConfig {
    /// Consensus parameters.
    pub chain: ChainConfig,
    /// Where the database lives.
    pub data_dir: PathBuf,
    /// Time between blocks; zero produces one block per transaction.
    pub block_time: Duration,
    /// Receives priority fees.
    pub fee_recipient: Address,
    /// Mempool limits.
    pub pool: PoolConfig,
    /// Accounts funded at genesis.
    pub genesis_alloc: Vec<(Address, U256)>,
    /// Largest accepted raw transaction, bytes.
    pub max_tx_size: usize,
    /// Admit legacy transactions without EIP-155 replay protection (keyless deployment transactions);
    /// off by default, as in geth.
    pub allow_unprotected_txs: bool,
    /// Accounts installed at genesis (the L2 bridge and the standard contracts), on top of
    /// `genesis_alloc`'s balances.
    pub predeploys: Vec<(Address, mosaic_stf::InitialAccount)>,
    /// Accounts a genesis file sets in full (code, storage, nonce, balance), applied last.
    pub genesis_accounts: Vec<(Address, mosaic_stf::InitialAccount)>,
}

/// Default largest accepted raw transaction, bytes.
pub const DEFAULT_MAX_TX_SIZE: usize = 128 * 1024;

/// Most L1 messages one block consumes, so a deposit flood cannot stall transactions.
pub const MAX_L1_MESSAGES_PER_BLOCK: usize = 256;

/// A node-level failure (not a user error).
#[derive(Debug, thiserror::Error)]
pub enum NodeError {
    /// Database failure.
    #[error(transparent)]
    Storage(#[from] StorageError),
    /// State-tree failure.
    #[error(transparent)]
    Trie(#[from] mosaic_trie::TrieError),
    /// State read failure.
    #[error(transparent)]
    State(#[from] StateError),
    /// The data directory belongs to another chain.
    #[error("data directory holds chain {found}, configured chain id is {configured}")]
    ChainMismatch {
        /// Chain id found in the database.
        found: u64,
        /// Configured chain id.
        configured: u64,
    },
    /// The database is missing something it must have.
    #[error("database inconsistent: {0}")]
    Inconsistent(String),
    /// I/O failure around the database.
    #[error("io: {0}")]
    Io(#[from] std::io::Error),
    /// Blocking work handed to the blocking pool did not finish.
    #[error(transparent)]
    Blocking(#[from] crate::blocking::BlockingError),
}

/// A block executed on the head and not committed: a proposal, or what [`Node::build_block`] commits.
#[derive(Debug)]
pub struct Assembled {
    /// The executed block, its receipts and its state changes.
    pub built: BuiltBlock,
    /// Pool transactions found invalid while assembling (dropped from the pool when committed here).
    pub invalid: Vec<B256>,
    /// Time executing transactions.
    pub exec_time: Duration,
    /// Time computing the state root.
    pub root_time: Duration,
}

/// Why a block given by its parts (from L1 data) was not imported.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// The block is not valid on top of the head: nothing was written.
    #[error("invalid block: {0}")]
    Invalid(String),
    /// A node failure.
    #[error(transparent)]
    Node(#[from] NodeError),
}

impl From<StorageError> for ImportError {
    fn from(e: StorageError) -> Self {
        Self::Node(e.into())
    }
}

impl From<StateError> for ImportError {
    fn from(e: StateError) -> Self {
        Self::Node(e.into())
    }
}

/// A block that was just committed, as announced to subscribers.
#[derive(Debug, Clone)]
pub struct NewBlock {
    /// The block.
    pub block: Block,
    /// Its hash.
    pub hash: B256,
    /// Its receipts.
    pub receipts: Vec<ReceiptEnvelope>,
}

/// State as of some block, behind one type for every reader.
pub enum StateSnapshot {
    /// The head state from the flat tables (fast).
    Latest(LatestState),
    /// An older state through the state tree.
    Historical(HistoricalState),
}

impl StateReader for StateSnapshot {
    fn account(&self, a: &Address) -> Result<Option<AccountLeaf>, StateError> {
        match self {
            Self::Latest(s) => s.account(a),
            Self::Historical(s) => s.account(a),
        }
    }
    fn storage(&self, a: &Address, slot: &U256) -> Result<U256, StateError> {
        match self {
            Self::Latest(s) => s.storage(a, slot),
            Self::Historical(s) => s.storage(a, slot),
        }
    }
    fn code(&self, h: &B256) -> Result<Option<alloy_primitives::Bytes>, StateError> {
        match self {
            Self::Latest(s) => s.code(h),
            Self::Historical(s) => s.code(h),
        }
    }
    fn block_hash(&self, n: u64) -> Result<B256, StateError> {
        match self {
            Self::Latest(s) => s.block_hash(n),
            Self::Historical(s) => s.block_hash(n),
        }
    }
}

pub(crate) struct Inner {
    pub(crate) config: NodeConfig,
    pub(crate) db: Database,
    pub(crate) head: RwLock<Header>,
    pub(crate) pool: Mutex<Mempool>,
    pub(crate) build_lock: Mutex<()>,
    pub(crate) blocks: broadcast::Sender<Arc<NewBlock>>,
    pub(crate) tx_arrived: Notify,
    /// Hashes of transactions accepted into the pool (`newPendingTransactions`).
    pub(crate) pending_txs: broadcast::Sender<B256>,
    pub(crate) metrics: Metrics,
    pub(crate) admitter: Admitter,
    /// Where accepted transactions are copied before they are acknowledged (a sequencer set's members).
    pub(crate) relay: std::sync::OnceLock<Arc<dyn crate::TxRelay>>,
    /// What a sequencer set's consensus tells the RPC about itself.
    pub(crate) consensus: std::sync::OnceLock<Arc<dyn crate::ConsensusView>>,
    /// L1 deposits seen on L1 (confirmed) and not yet in a block, in queue order.
    pub(crate) l1_inbox: Mutex<std::collections::VecDeque<L1Message>>,
    /// The `safe` and `finalized` blocks as the L1 last said; `None` while the node settles nowhere.
    pub(crate) l1_finality: RwLock<Option<L1Finality>>,
}

/// The pool split as `txpool_content` shows it ([`Node::pool_content`]).
#[derive(Debug, Clone, Default)]
pub struct PoolContent {
    /// Executable now: nonces contiguous from each sender's state nonce, in nonce order.
    pub pending: Vec<Arc<PoolTx>>,
    /// Behind a nonce gap.
    pub queued: Vec<Arc<PoolTx>>,
}

/// How far the L1 has settled this chain: the last block of the last batch committed on L1 (`safe`) and
/// of the last finalized batch (`finalized`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct L1Finality {
    /// Last block contained in a batch committed on L1.
    pub safe: u64,
    /// Last block contained in a finalized batch.
    pub finalized: u64,
}

/// A running Mosaic chain; cheap to clone.
#[derive(Clone)]
pub struct Node {
    pub(crate) inner: Arc<Inner>,
}

fn now_secs() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or_default()
}

impl Node {
    /// Opens the database in `config.data_dir` (creating genesis on first start) and reloads the
    /// persisted mempool. Must be called inside a tokio runtime.
    pub fn open(config: NodeConfig) -> Result<Self, NodeError> {
        std::fs::create_dir_all(&config.data_dir)?;
        let db = Database::open(&config.data_dir.join("mosaic.redb"))?;
        match db.chain_id()? {
            Some(found) if found != config.chain.chain_id => {
                return Err(NodeError::ChainMismatch { found, configured: config.chain.chain_id })
            }
            Some(_) => {}
            None => {
                let built = {
                    let txn = db.read()?;
                    let nodes = TrieNodes::new(&txn)?;
                    // A fixed genesis timestamp makes the genesis hash a function of the config alone,
                    // so a node deriving from L1 reproduces the sequencer's chain exactly.
                    mosaic_stf::genesis(
                        &nodes,
                        &config.chain,
                        &config.genesis_alloc,
                        &config.predeploys,
                        &config.genesis_accounts,
                        0,
                    )?
                };
                db.commit_block(&built)?;
                db.set_chain_id(config.chain.chain_id)?;
                info!(hash = %built.block.hash(), root = %built.block.header.state_root, "genesis written");
            }
        }
        let head_number = db.head_number()?.ok_or_else(|| NodeError::Inconsistent("no head block".into()))?;
        let head =
            db.header(head_number)?.ok_or_else(|| NodeError::Inconsistent(format!("missing header {head_number}")))?;
        let (blocks, _) = broadcast::channel(1024);
        let metrics = Metrics::new();
        metrics.head.set(head_number as i64);
        let pool_config = config.pool.clone();
        let node = Self {
            inner: Arc::new(Inner {
                admitter: Admitter::spawn(),
                relay: std::sync::OnceLock::new(),
                consensus: std::sync::OnceLock::new(),
                db,
                head: RwLock::new(head),
                pool: Mutex::new(Mempool::new(pool_config)),
                build_lock: Mutex::new(()),
                blocks,
                tx_arrived: Notify::new(),
                pending_txs: broadcast::channel(4096).0,
                metrics,
                config,
                l1_inbox: Mutex::new(Default::default()),
                l1_finality: RwLock::new(None),
            }),
        };
        node.inner.admitter.attach(node.clone());
        node.reload_pool()?;
        info!(head = head_number, pool = node.inner.pool.lock().len(), "chain opened");
        Ok(node)
    }

    /// Puts persisted pool transactions back into the pool, dropping those that are no longer valid.
    fn reload_pool(&self) -> Result<(), NodeError> {
        let rows = self.inner.db.pool_load()?;
        let state = self.latest_state()?;
        let mut stale = Vec::new();
        let mut pool = self.inner.pool.lock();
        for (sender, raw) in rows {
            let tx = match <alloy_consensus::TxEnvelope as alloy_eips::eip2718::Decodable2718>::decode_2718_exact(&raw)
            {
                Ok(tx) => tx,
                Err(e) => {
                    warn!(%e, "dropping undecodable persisted pool transaction");
                    continue;
                }
            };
            let nonce = state.account(&sender)?.map(|a| a.nonce).unwrap_or_default();
            let hash = *tx.tx_hash();
            if pool.add(sender, tx, nonce).is_err() {
                stale.push(hash);
            }
        }
        self.inner.metrics.mempool_size.set(pool.len() as i64);
        drop(pool);
        self.inner.db.pool_remove(&stale)?;
        Ok(())
    }

    /// Node settings.
    pub fn config(&self) -> &NodeConfig {
        &self.inner.config
    }

    /// Chain id.
    pub fn chain_id(&self) -> u64 {
        self.inner.config.chain.chain_id
    }

    /// Metrics registry.
    pub fn metrics(&self) -> &Metrics {
        &self.inner.metrics
    }

    /// Latest block header.
    pub fn head(&self) -> Header {
        self.inner.head.read().clone()
    }

    /// Latest block number.
    pub fn head_number(&self) -> u64 {
        self.inner.head.read().number
    }

    /// Makes the `safe` and `finalized` tags follow the L1 ([`Node::set_l1_finality`]) instead of the
    /// head; until the L1 has been read they are genesis. Called once by a node that settles on an L1.
    pub fn follow_l1_finality(&self) {
        self.inner.l1_finality.write().get_or_insert_with(L1Finality::default);
    }

    /// Records what the L1 says is committed and finalized (the `safe` and `finalized` tags).
    pub fn set_l1_finality(&self, finality: L1Finality) {
        *self.inner.l1_finality.write() = Some(finality);
        self.inner.metrics.safe.set(finality.safe as i64);
        self.inner.metrics.finalized.set(finality.finalized as i64);
    }

    /// The block the `safe` tag names: in a batch committed on L1, or the head for a chain that settles
    /// nowhere. Never beyond the local head (a deriving node may lag the L1).
    pub fn safe_number(&self) -> u64 {
        let head = self.head_number();
        self.inner.l1_finality.read().map_or(head, |f| f.safe.min(head))
    }

    /// The block the `finalized` tag names: in a finalized batch, or the head for a chain that settles
    /// nowhere. Never beyond the local head.
    pub fn finalized_number(&self) -> u64 {
        let head = self.head_number();
        self.inner.l1_finality.read().map_or(head, |f| f.finalized.min(head))
    }

    /// Hashes of transactions as the pool accepts them (a slow receiver skips what it missed).
    pub fn subscribe_pending(&self) -> broadcast::Receiver<B256> {
        self.inner.pending_txs.subscribe()
    }

    /// New-block notifications.
    pub fn subscribe(&self) -> broadcast::Receiver<Arc<NewBlock>> {
        self.inner.blocks.subscribe()
    }

    /// A snapshot of the head state.
    pub fn latest_state(&self) -> Result<LatestState, NodeError> {
        // Read the head inside the snapshot so the two agree even while a block commits.
        let txn = self.inner.db.read()?;
        let head = mosaic_storage::head_in(&txn)?;
        Ok(LatestState::new(txn, head)?)
    }

    /// State after block `number` (`None` if the block does not exist).
    pub fn state_at(&self, number: u64) -> Result<Option<StateSnapshot>, NodeError> {
        if number == self.head_number() {
            return Ok(Some(StateSnapshot::Latest(self.latest_state()?)));
        }
        let txn = self.inner.db.read()?;
        let Some(header) = mosaic_storage::header_in(&txn, number)? else { return Ok(None) };
        Ok(Some(StateSnapshot::Historical(HistoricalState::new(txn, number, header.state_root)?)))
    }

    /// Context of the next block (what `pending` means).
    pub fn next_block_context(&self) -> BlockContext {
        let head = self.inner.head.read();
        child_context(&self.inner.config.chain, &head, now_secs(), self.inner.config.fee_recipient)
    }

    /// A waiting pool transaction.
    pub fn pool_tx(&self, hash: &B256) -> Option<Arc<PoolTx>> {
        self.inner.pool.lock().get(hash)
    }

    /// Every waiting pool transaction, split as `txpool_content` does: per sender, those executable now
    /// (nonces contiguous from the sender's state nonce: `pending`) and those behind a gap (`queued`),
    /// each in nonce order. Blocking: reads the sender accounts.
    pub fn pool_content(&self) -> Result<PoolContent, NodeError> {
        let mut by_sender: std::collections::BTreeMap<Address, Vec<Arc<PoolTx>>> = Default::default();
        for tx in self.inner.pool.lock().all() {
            by_sender.entry(tx.sender).or_default().push(tx.clone());
        }
        let state = self.latest_state()?;
        let (mut pending, mut queued) = (Vec::new(), Vec::new());
        for (sender, mut txs) in by_sender {
            txs.sort_by_key(|t| t.nonce());
            let mut next = state.account(&sender)?.map(|a| a.nonce).unwrap_or_default();
            for tx in txs {
                if tx.nonce() == next {
                    next += 1;
                    pending.push(tx);
                } else {
                    queued.push(tx);
                }
            }
        }
        Ok(PoolContent { pending, queued })
    }

    /// Number of waiting pool transactions.
    pub fn pool_len(&self) -> usize {
        self.inner.pool.lock().len()
    }

    /// Next nonce for `sender` counting its waiting transactions.
    pub fn pending_nonce(&self, sender: &Address, state_nonce: u64) -> u64 {
        self.inner.pool.lock().pending_nonce(sender, state_nonce)
    }

    /// Where the head block leaves the L1 queue.
    pub fn l1_cursor(&self) -> L1Cursor {
        L1Cursor::from_extra_data(&self.inner.head.read().extra_data).unwrap_or_default()
    }

    /// Hands L1 deposits (confirmed on L1, in queue order) to the sequencer; those already consumed or
    /// already waiting are ignored, so a watcher may deliver the same message twice.
    pub fn enqueue_l1_messages(&self, messages: impl IntoIterator<Item = L1Message>) {
        let consumed = self.l1_cursor().next_index;
        let mut inbox = self.inner.l1_inbox.lock();
        for m in messages {
            let next = inbox.back().map(|b| b.index + 1).unwrap_or(consumed);
            if m.index == next {
                inbox.push_back(m);
            }
        }
        self.inner.tx_arrived.notify_one();
    }

    /// Number of L1 deposits waiting for a block.
    pub fn l1_inbox_len(&self) -> usize {
        self.inner.l1_inbox.lock().len()
    }

    /// Whether `messages` are the next L1 messages after the head's cursor exactly as this node's own
    /// inbox (its confirmed view of L1) holds them: a block someone else proposes may carry only
    /// deposits every member has seen, never invented ones.
    pub fn l1_messages_are_next_in_inbox(&self, messages: &[L1Message]) -> bool {
        if messages.is_empty() {
            return true;
        }
        let next = self.l1_cursor().next_index;
        let inbox = self.inner.l1_inbox.lock();
        let mut ours = inbox.iter().skip_while(|m| m.index < next);
        messages.iter().all(|m| ours.next() == Some(m))
    }

    /// Re-executes a block given by its parts (derivation from L1 data) on top of the head with the STF's
    /// one replay rule ([`replay_block`]) and commits it. Nothing is written unless every L1 message and
    /// every transaction is valid.
    pub fn import_block(&self, parts: BlockParts<'_>) -> Result<Arc<NewBlock>, ImportError> {
        let _guard = self.inner.build_lock.lock();
        let built = self.replay_on_head(parts)?;
        Ok(self.commit_built(built, &[], &[])?)
    }

    /// Runs `parts` on the head through [`replay_block`], writing nothing.
    fn replay_on_head(&self, parts: BlockParts<'_>) -> Result<BuiltBlock, ImportError> {
        let parent = self.head();
        let state = self.latest_state()?;
        let txn = self.inner.db.read()?;
        let nodes = TrieNodes::new(&txn)?;
        match replay_block(&self.inner.config.chain, &parent, parts, state, &nodes) {
            Ok(built) => Ok(built),
            Err(ReplayError::Invalid(why)) => Err(ImportError::Invalid(why)),
            Err(ReplayError::State(e)) => Err(NodeError::from(e).into()),
            Err(ReplayError::Trie(e)) => Err(NodeError::from(e).into()),
        }
    }

    /// Checks a whole block someone else built (a proposal) on top of the head, writing nothing: every
    /// signature recovers the sender the block names, and re-executing its parts with the one replay rule
    /// gives the same block hash — the header commits to the state, transaction and receipt roots and the
    /// L1 cursor, so an equal hash is an equal block. Returns the executed block for
    /// [`Node::commit_decided`].
    pub fn validate_block(&self, block: &Block) -> Result<BuiltBlock, ImportError> {
        let _guard = self.inner.build_lock.lock();
        self.check_extends_head(&block.header)?;
        if block.senders.len() != block.transactions.len() {
            return Err(ImportError::Invalid("a sender per transaction is missing".into()));
        }
        // The forced transactions at the front run again from `l1_messages`; only the rest are parts.
        let mut transactions = Vec::with_capacity(block.transactions.len());
        for (i, (tx, named)) in block.sequenced().enumerate() {
            let signer = alloy_consensus::transaction::SignerRecoverable::recover_signer(tx)
                .map_err(|e| ImportError::Invalid(format!("transaction {i}: bad signature: {e}")))?;
            if signer != *named {
                return Err(ImportError::Invalid(format!("transaction {i}: signed by {signer}, named {named}")));
            }
            transactions.push((tx.clone(), signer));
        }
        let parts = BlockParts {
            timestamp: block.header.timestamp,
            beneficiary: block.header.beneficiary,
            l1_messages: &block.l1_messages,
            transactions,
        };
        let built = self.replay_on_head(parts)?;
        let (ours, theirs) = (built.block.hash(), block.hash());
        if ours != theirs {
            return Err(ImportError::Invalid(format!(
                "block {} re-executes to {ours}, not {theirs} (state root {} against {})",
                block.header.number, built.block.header.state_root, block.header.state_root
            )));
        }
        Ok(built)
    }

    /// Commits a block that [`Node::validate_block`] or [`Node::assemble_block`] executed, once the
    /// sequencer set decided it, with the deciders' service records (`(table, index, bytes)`, see
    /// [`Node::records`]: the commit certificate) in the same database transaction; refused unless it
    /// still extends the head.
    pub fn commit_decided(
        &self,
        built: BuiltBlock,
        records: &[(&str, u64, &[u8])],
    ) -> Result<Arc<NewBlock>, ImportError> {
        let _guard = self.inner.build_lock.lock();
        self.check_extends_head(&built.block.header)?;
        Ok(self.commit_built(built, &[], records)?)
    }

    /// Refuses a block whose header is not the head's child (under the build lock, held by the caller).
    fn check_extends_head(&self, header: &Header) -> Result<(), ImportError> {
        let head = self.head();
        if header.parent_hash != head.hash_slow() || header.number != head.number + 1 {
            return Err(ImportError::Invalid(format!(
                "block {} does not extend the head (block {})",
                header.number, head.number
            )));
        }
        Ok(())
    }

    /// Executes one block from the pool on the head without committing it (what a proposer offers). With
    /// `max_txs` set, takes at most that many transactions; past `deadline`, takes no more. Returns `None`
    /// when `skip_empty` is set and nothing was ready.
    pub fn assemble_block(
        &self,
        max_txs: Option<usize>,
        skip_empty: bool,
        deadline: Option<Instant>,
    ) -> Result<Option<Assembled>, NodeError> {
        let _guard = self.inner.build_lock.lock();
        self.assemble_locked(max_txs, skip_empty, deadline)
    }

    /// Builds, commits and announces one block from the pool. With `max_txs` set, includes at most
    /// that many transactions. Returns `None` when `skip_empty` is set and nothing was ready.
    pub fn build_block(&self, max_txs: Option<usize>, skip_empty: bool) -> Result<Option<Arc<NewBlock>>, NodeError> {
        let _guard = self.inner.build_lock.lock();
        let Some(assembled) = self.assemble_locked(max_txs, skip_empty, None)? else { return Ok(None) };
        let Assembled { built, invalid, exec_time, root_time } = assembled;
        let cycles = built.cycles_used;
        let commit_start = Instant::now();
        let new = self.commit_built(built, &invalid, &[])?;
        let commit_time = commit_start.elapsed();
        let m = &self.inner.metrics;
        m.execution_seconds.observe(exec_time.as_secs_f64());
        m.state_root_seconds.observe(root_time.as_secs_f64());
        m.commit_seconds.observe(commit_time.as_secs_f64());
        debug!(
            number = new.block.header.number,
            txs = new.block.transactions.len(),
            deposits = new.block.l1_messages.len(),
            gas = new.block.header.gas_used,
            cycles,
            exec_ms = exec_time.as_millis() as u64,
            root_ms = root_time.as_millis() as u64,
            commit_ms = commit_time.as_millis() as u64,
            "block committed"
        );
        Ok(Some(new))
    }

    /// [`Node::assemble_block`] under the build lock, which the caller holds.
    fn assemble_locked(
        &self,
        max_txs: Option<usize>,
        skip_empty: bool,
        deadline: Option<Instant>,
    ) -> Result<Option<Assembled>, NodeError> {
        let parent = self.head();
        let ctx = child_context(&self.inner.config.chain, &parent, now_secs(), self.inner.config.fee_recipient);
        let state = self.latest_state()?;
        let candidates: Vec<Arc<PoolTx>> = {
            let pool = self.inner.pool.lock();
            let best =
                pool.best(ctx.base_fee, |a| state.account(a).ok().flatten().map(|a| a.nonce).unwrap_or_default());
            // Enough candidates to fill the block even if every one uses its whole gas limit.
            let mut gas = 0u64;
            let mut out = Vec::new();
            for tx in best {
                if max_txs.is_some_and(|m| out.len() >= m) || gas >= ctx.gas_limit.saturating_mul(2) {
                    break;
                }
                gas = gas.saturating_add(tx.tx.gas_limit());
                out.push(tx);
            }
            out
        };
        let deposits: Vec<L1Message> = {
            let mut inbox = self.inner.l1_inbox.lock();
            // Drop what an earlier block consumed (the inbox may be refilled from an older cursor).
            while inbox.front().is_some_and(|m| m.index < ctx.l1.next_index) {
                inbox.pop_front();
            }
            inbox.iter().take(MAX_L1_MESSAGES_PER_BLOCK).cloned().collect()
        };
        if candidates.is_empty() && deposits.is_empty() && skip_empty {
            return Ok(None);
        }
        let started = Instant::now();
        let mut builder = BlockBuilder::new(state, ctx);
        for msg in &deposits {
            match builder.apply_l1_messages(std::slice::from_ref(msg)) {
                Ok(()) => {}
                // It opens the next block instead.
                Err(L1MessageError::ForcedDoesNotFit { .. }) => break,
                Err(L1MessageError::State(e)) => return Err(e.into()),
                Err(e) => {
                    // The inbox is filled in queue order from the cursor, so this means the inbox is stale.
                    warn!(%e, "dropping L1 inbox");
                    self.inner.l1_inbox.lock().clear();
                    return Ok(None);
                }
            }
        }
        let mut skipped: HashSet<Address> = HashSet::new();
        let mut invalid: Vec<B256> = Vec::new();
        for tx in &candidates {
            if skipped.contains(&tx.sender) {
                continue;
            }
            if builder.context().gas_limit - builder.gas_used() < 21_000
                || builder.cycles_left() < builder.context().proving.cycles.tx_base
                || deadline.is_some_and(|d| Instant::now() >= d)
            {
                break;
            }
            match builder.execute(tx.tx.clone(), tx.sender) {
                Ok(_) => {}
                Err(TxFailure::State(e)) => return Err(e.into()),
                Err(e @ (TxFailure::Invalid(_) | TxFailure::ExceedsCycleBudget { .. })) => {
                    debug!(hash = %tx.hash, reason = %e, "dropping invalid transaction");
                    invalid.push(tx.hash);
                    skipped.insert(tx.sender);
                }
                Err(_) => {
                    skipped.insert(tx.sender);
                }
            }
        }
        let exec_time = started.elapsed();
        let root_start = Instant::now();
        let parent_root = parent.state_root;
        let built = {
            let txn = self.inner.db.read()?;
            let nodes = TrieNodes::new(&txn)?;
            builder.finish(&nodes, parent_root)?
        };
        let root_time = root_start.elapsed();
        Ok(Some(Assembled { built, invalid, exec_time, root_time }))
    }

    /// Persists a built block, makes it the head, cleans the pool (dropping `invalid` too) and announces it.
    fn commit_built(
        &self,
        built: mosaic_stf::BuiltBlock,
        invalid: &[B256],
        records: &[(&str, u64, &[u8])],
    ) -> Result<Arc<NewBlock>, NodeError> {
        self.inner.db.commit_block_with_records(&built, records)?;
        self.inner.metrics.block_cycles.observe(built.cycles_used as f64);
        let hash = built.block.hash();
        *self.inner.head.write() = built.block.header.clone();
        {
            let consumed = L1Cursor::from_extra_data(&built.block.header.extra_data).unwrap_or_default().next_index;
            let mut inbox = self.inner.l1_inbox.lock();
            while inbox.front().is_some_and(|m| m.index < consumed) {
                inbox.pop_front();
            }
        }
        let mut invalid = invalid.to_vec();

        // Drop what was included, what became stale, and what can never be valid.
        let included: Vec<B256> = built.block.transactions.iter().map(|t| *t.tx_hash()).collect();
        let stale = {
            let mut pool = self.inner.pool.lock();
            pool.remove(&included);
            pool.remove(&invalid);
            let mut stale = Vec::new();
            for (addr, leaf) in &built.diff.accounts {
                let nonce = leaf.map(|l| l.nonce).unwrap_or_default();
                stale.extend(pool.prune_sender(addr, nonce));
            }
            self.inner.metrics.mempool_size.set(pool.len() as i64);
            stale
        };
        invalid.extend(stale);
        self.inner.db.pool_remove(&invalid)?;

        let m = &self.inner.metrics;
        m.blocks.inc();
        m.txs.inc_by(included.len() as u64);
        m.head.set(built.block.header.number as i64);
        let new = Arc::new(NewBlock { hash, block: built.block, receipts: built.receipts });
        let _ = self.inner.blocks.send(new.clone());
        Ok(new)
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A node in `dir` with the default chain and nothing funded: the crate's unit tests' node.
    pub(crate) fn config(dir: &std::path::Path) -> NodeConfig {
        NodeConfig {
            data_dir: dir.to_path_buf(),
            block_time: std::time::Duration::ZERO,
            fee_recipient: Default::default(),
            pool: Default::default(),
            genesis_alloc: Vec::new(),
            max_tx_size: crate::DEFAULT_MAX_TX_SIZE,
            allow_unprotected_txs: false,
            predeploys: Vec::new(),
            genesis_accounts: Vec::new(),
            chain: Default::default(),
        }
    }

    #[tokio::test]
    async fn safe_and_finalized_follow_the_l1_once_asked_and_never_pass_the_head() {
        let dir = tempfile::tempdir().unwrap();
        let node = Node::open(config(dir.path())).unwrap();
        for _ in 0..3 {
            node.build_block(None, false).unwrap().expect("a block");
        }
        // Settling nowhere, the head is as final as it gets.
        assert_eq!((node.safe_number(), node.finalized_number()), (3, 3));
        // Following an L1 that has not been read yet: genesis.
        node.follow_l1_finality();
        assert_eq!((node.safe_number(), node.finalized_number()), (0, 0));
        node.set_l1_finality(L1Finality { safe: 2, finalized: 1 });
        assert_eq!((node.safe_number(), node.finalized_number()), (2, 1));
        // A second call to follow keeps what the L1 said.
        node.follow_l1_finality();
        assert_eq!(node.safe_number(), 2);
        // A node that lags the L1 names its own head.
        node.set_l1_finality(L1Finality { safe: 9, finalized: 7 });
        assert_eq!((node.safe_number(), node.finalized_number()), (3, 3));
        assert_eq!(node.metrics().finalized.get(), 7);
    }

    #[tokio::test]
    async fn a_proposal_may_carry_only_the_next_deposits_this_node_has_seen() {
        let dir = tempfile::tempdir().unwrap();
        let node = Node::open(config(dir.path())).unwrap();
        let deposit = |index: u64| L1Message {
            index,
            token: Address::ZERO,
            from: Address::repeat_byte(1),
            to: Address::repeat_byte(2),
            amount: U256::from(5),
            transaction: None,
        };
        assert!(node.l1_messages_are_next_in_inbox(&[]), "no deposits: always fine");
        assert!(!node.l1_messages_are_next_in_inbox(&[deposit(0)]), "not seen on L1 here yet");
        node.enqueue_l1_messages([deposit(0), deposit(1)]);
        assert!(node.l1_messages_are_next_in_inbox(&[deposit(0)]));
        assert!(node.l1_messages_are_next_in_inbox(&[deposit(0), deposit(1)]));
        assert!(!node.l1_messages_are_next_in_inbox(&[deposit(1)]), "skips deposit 0");
        let mut invented = deposit(1);
        invented.amount = U256::from(5_000);
        assert!(!node.l1_messages_are_next_in_inbox(&[deposit(0), invented]), "an amount nobody deposited");
        assert!(!node.l1_messages_are_next_in_inbox(&[deposit(0), deposit(1), deposit(2)]), "one too many");
        // Once a block consumed both, the next block starts at deposit 2.
        let block = node.build_block(None, false).unwrap().expect("a block");
        assert_eq!(block.block.l1_messages.len(), 2);
        assert!(!node.l1_messages_are_next_in_inbox(&[deposit(1)]), "already consumed");
        node.enqueue_l1_messages([deposit(2)]);
        assert!(node.l1_messages_are_next_in_inbox(&[deposit(2)]));
    }

    /// A transfer of 1 wei from `signer`, signed.
    fn transfer(
        signer: &alloy_signer_local::PrivateKeySigner,
        chain_id: u64,
        nonce: u64,
    ) -> alloy_consensus::TxEnvelope {
        crate::dev::signed_transfer(signer, chain_id, nonce, Address::repeat_byte(0xd0), U256::from(1))
    }

    /// Forced transactions run first, before the pool's, as many as fit; the first that does not fit
    /// opens the next block. The node stores which transactions were forced, across a restart.
    #[tokio::test]
    async fn forced_transactions_run_before_the_pools_and_one_that_does_not_fit_opens_the_next_block() {
        use alloy_eips::eip2718::Encodable2718;
        let (alice, bob) = (
            alloy_signer_local::PrivateKeySigner::from_bytes(&B256::repeat_byte(1)).unwrap(),
            alloy_signer_local::PrivateKeySigner::from_bytes(&B256::repeat_byte(2)).unwrap(),
        );
        let dir = tempfile::tempdir().unwrap();
        let one_eth = U256::from(10u64).pow(U256::from(18u64));
        // Room for two transfers a block.
        let chain = ChainConfig { block_gas_limit: 50_000, ..ChainConfig::default() };
        let funded = vec![(alice.address(), one_eth), (bob.address(), one_eth)];
        let cfg = NodeConfig { genesis_alloc: funded, chain: chain.clone(), ..config(dir.path()) };
        let node = Node::open(cfg.clone()).unwrap();
        let l1 = Address::repeat_byte(0xaa);
        let deposit = |index| L1Message::deposit(index, Address::ZERO, l1, bob.address(), U256::from(7));
        let forced =
            |index, nonce| L1Message::forced(index, l1, transfer(&alice, chain.chain_id, nonce).encoded_2718().into());
        node.submit_raw(&transfer(&bob, chain.chain_id, 0).encoded_2718()).await.unwrap();
        node.enqueue_l1_messages([deposit(0), forced(1, 0), forced(2, 1), forced(3, 2), deposit(4)]);
        let first = node.build_block(None, false).unwrap().expect("a block");
        assert_eq!(first.block.l1_messages, vec![deposit(0), forced(1, 0), forced(2, 1)], "the third does not fit");
        assert_eq!((first.block.forced, first.block.senders.clone()), (2, vec![alice.address(), alice.address()]));
        let second = node.build_block(None, false).unwrap().expect("a block");
        assert_eq!(second.block.l1_messages, vec![forced(3, 2), deposit(4)]);
        assert_eq!(second.block.senders, vec![alice.address(), bob.address()], "forced first, then the pool's");
        assert_eq!(second.block.forced, 1);
        // debug_trace* replays them too: every transaction of block 1, or one of them alone.
        let hashes = |t: Vec<crate::trace::TracedTx>| t.iter().map(|t| t.hash).collect::<Vec<_>>();
        let all = crate::trace::trace_block(&node, 1, None, Default::default()).unwrap().unwrap();
        let in_block: Vec<B256> = first.block.transactions.iter().map(|t| *t.tx_hash()).collect();
        assert_eq!(hashes(all), in_block);
        let one = crate::trace::trace_block(&node, 1, Some(1), Default::default()).unwrap().unwrap();
        assert_eq!(hashes(one), vec![in_block[1]]);
        let sequenced = crate::trace::trace_block(&node, 2, Some(1), Default::default()).unwrap().unwrap();
        assert_eq!(hashes(sequenced), vec![*second.block.transactions[1].tx_hash()]);
        drop(node);
        let node = Node::open(cfg).unwrap();
        let stored = crate::ChainReader::block(&node, 2).unwrap().expect("block 2");
        assert_eq!((stored.forced, stored.transactions.len()), (1, 2), "the forced count is stored");
        assert_eq!(node.latest_state().unwrap().account(&alice.address()).unwrap().unwrap().nonce, 3);
    }

    /// A forced transaction that costs more cycles than a block has, first in its block, is included as
    /// a failure charged its gas limit; debug_trace* reports it so.
    #[tokio::test]
    async fn a_forced_transaction_over_the_cycle_budget_is_traced_as_the_failure_it_was() {
        use alloy_eips::eip2718::Encodable2718;
        let alice = alloy_signer_local::PrivateKeySigner::from_bytes(&B256::repeat_byte(1)).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let proving = mosaic_primitives::ProvingCost { block_cycle_budget: 20_000, ..Default::default() };
        let chain = ChainConfig { proving, ..ChainConfig::default() };
        let funded = vec![(alice.address(), U256::from(10u64).pow(U256::from(18u64)))];
        let node =
            Node::open(NodeConfig { genesis_alloc: funded, chain: chain.clone(), ..config(dir.path()) }).unwrap();
        let raw = transfer(&alice, chain.chain_id, 0).encoded_2718();
        node.enqueue_l1_messages([L1Message::forced(0, Address::repeat_byte(0xaa), raw.into())]);
        let block = node.build_block(None, false).unwrap().expect("a block");
        assert_eq!((block.block.forced, block.receipts.len()), (1, 1));
        assert!(!block.receipts[0].status(), "charged, not run");
        for only in [None, Some(0)] {
            let traced = crate::trace::trace_block(&node, 1, only, Default::default()).unwrap().unwrap();
            assert_eq!(traced.len(), 1, "{only:?}");
            assert_eq!(traced[0].hash, *block.block.transactions[0].tx_hash());
            assert_eq!((traced[0].outcome.success, traced[0].outcome.gas_used), (false, 21_000));
        }
    }

    #[tokio::test]
    async fn a_relayed_copy_of_a_pooled_transaction_is_accepted_with_its_hash() {
        use alloy_eips::eip2718::Encodable2718;
        let alice = alloy_signer_local::PrivateKeySigner::from_bytes(&B256::repeat_byte(1)).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let funded = vec![(alice.address(), U256::from(10u64).pow(U256::from(18u64)))];
        let node = Node::open(NodeConfig { genesis_alloc: funded, ..config(dir.path()) }).unwrap();
        let raw = transfer(&alice, ChainConfig::default().chain_id, 0).encoded_2718();
        let hash = node.submit_relayed(&raw).await.unwrap();
        assert_eq!(node.submit_relayed(&raw).await.unwrap(), hash, "a second copy is fine");
        assert!(matches!(node.submit_raw(&raw).await, Err(crate::SubmitError::Pool(_))), "a client's resend is not");
        assert_eq!(node.pool_len(), 1);
    }

    #[tokio::test]
    async fn a_proposed_block_is_validated_by_re_execution_and_a_tampered_one_is_refused() {
        use alloy_eips::eip2718::Encodable2718;
        let alice = alloy_signer_local::PrivateKeySigner::from_bytes(&B256::repeat_byte(1)).unwrap();
        let chain_id = ChainConfig::default().chain_id;
        let dirs = [tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap()];
        let [proposer, member] = dirs.each_ref().map(|d| {
            let funded = vec![(alice.address(), U256::from(10u64).pow(U256::from(18u64)))];
            Node::open(NodeConfig { genesis_alloc: funded, ..config(d.path()) }).unwrap()
        });
        proposer.submit_raw(&transfer(&alice, chain_id, 0).encoded_2718()).await.unwrap();
        let assembled = proposer.assemble_block(None, true, None).unwrap().expect("a block");
        assert_eq!(proposer.head_number(), 0, "assembling commits nothing");
        let block = assembled.built.block.clone();
        assert_eq!((block.header.number, block.transactions.len()), (1, 1));

        let refused = |b: &Block, why: &str| match member.validate_block(b) {
            Err(ImportError::Invalid(w)) => assert!(w.contains(why), "{w:?} does not say {why:?}"),
            other => panic!("{why}: {other:?}"),
        };
        let mut bad = block.clone();
        bad.header.state_root = B256::repeat_byte(7);
        refused(&bad, "re-executes to");
        let mut bad = block.clone();
        bad.senders[0] = Address::repeat_byte(9);
        refused(&bad, "signed by");
        let mut bad = block.clone();
        bad.transactions[0] = transfer(&alice, chain_id, 5);
        refused(&bad, "nonce");
        let mut bad = block.clone();
        bad.header.number = 2;
        refused(&bad, "does not extend the head");
        assert_eq!(member.head_number(), 0, "validating commits nothing");

        let built = member.validate_block(&block).unwrap();
        assert_eq!(member.commit_decided(built, &[("certs", 1, b"c")]).unwrap().hash, block.hash());
        assert_eq!(member.records("certs").get(1).unwrap().as_deref(), Some(&b"c"[..]), "with its block");
        assert_eq!(proposer.commit_decided(assembled.built, &[]).unwrap().hash, block.hash());
        assert_eq!(proposer.pool_len(), 0, "the included transaction leaves the pool");
        refused(&block, "does not extend the head");
        // `build_block` is still assemble + commit.
        proposer.submit_raw(&transfer(&alice, chain_id, 1).encoded_2718()).await.unwrap();
        let next = proposer.build_block(None, true).unwrap().expect("block 2");
        assert_eq!((next.block.header.number, next.block.header.parent_hash), (2, block.hash()));
    }
}
