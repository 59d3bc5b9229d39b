//! Derivation: rebuild the L2 chain from L1 data alone. For every batch committed on L1 it reads the
//! `commitBatch` calldata, decodes the batch, takes the deposits it consumes from the bridge queue,
//! re-executes every block, and compares the result with what the batch claims.
//!
//! The `full` role serves the derived chain over RPC; the `verifier` role is the same pipeline whose
//! purpose is the comparison — a batch whose claimed root differs is reported (log, the
//! `mosaic_rollup_batch_faults_total` metric, `mosaic_getBatch`). A malformed batch (undecodable data,
//! an invalid transaction, a broken continuation) is reported and never applied, and derivation stops
//! there: nothing after it can be built on.
use crate::{
    contracts::{L1Contracts, Rollup},
    l1::{Backoff, L1Client, L1Error},
    record::{withdrawal_leaves, BatchRecord, BatchStatus},
    role::NodeRole,
    watcher::DepositScanner,
    RollupMetrics,
};
use alloy_primitives::{keccak256, Address, B256};
use mosaic_batch::Variant;
use mosaic_node::{ChainReader, ImportError, Node, NodeError};
use mosaic_primitives::{merkle_root, L1Cursor, L1Message};
use mosaic_stf::{BlockParts, ReplayError};
use mosaic_witness::{block_transactions, SignatureSource};
use parking_lot::Mutex;
use serde::Serialize;
use std::{collections::BTreeMap, sync::Arc};
use tracing::{info, warn};

/// Progress of the derivation, served by `mosaic_rollupStatus`.
#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DeriveStatus {
    /// Latest batch committed on L1 (at confirmed depth).
    pub l1_committed_batch: u64,
    /// Last batch this node processed.
    pub derived_batch: u64,
    /// Batches reported as malformed or mismatched.
    pub faults: Vec<u64>,
    /// Set when derivation stopped at a malformed batch.
    pub halted_at: Option<u64>,
    /// The last batch the L1 kept when it last reverted batches this node had derived.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reverted_after: Option<u64>,
}

/// Why a batch is rejected (reported, never applied).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Malformed(pub String);

/// A derivation step failed for a reason outside the batch (retried).
#[derive(Debug, thiserror::Error)]
pub enum DeriveError {
    /// L1 trouble.
    #[error(transparent)]
    L1(#[from] L1Error),
    /// Local database trouble.
    #[error(transparent)]
    Node(#[from] NodeError),
}

impl DeriveError {
    /// Whether derivation cannot go on after it (the database cannot be read, or the chain is not what
    /// the L1 says and cannot be unwound); anything else is retried.
    pub fn is_fatal(&self) -> bool {
        matches!(self, DeriveError::Node(NodeError::Blocking(_) | NodeError::Inconsistent(_)))
    }
}

impl From<mosaic_node::BlockingError> for DeriveError {
    fn from(e: mosaic_node::BlockingError) -> Self {
        Self::Node(e.into())
    }
}

impl From<alloy::contract::Error> for DeriveError {
    fn from(e: alloy::contract::Error) -> Self {
        Self::L1(e.into())
    }
}

impl From<alloy::transports::TransportError> for DeriveError {
    fn from(e: alloy::transports::TransportError) -> Self {
        Self::L1(e.into())
    }
}

impl From<mosaic_stf::StateError> for DeriveError {
    fn from(e: mosaic_stf::StateError) -> Self {
        Self::Node(e.into())
    }
}

/// The derivation pipeline of one node.
pub struct Deriver {
    node: Node,
    l1: L1Client,
    rollup: Rollup::RollupInstance<alloy::providers::DynProvider>,
    deposits: DepositScanner,
    /// Every deposit seen so far, by index (shared with the blocking re-execution without a copy).
    queue: Arc<Vec<L1Message>>,
    /// `BatchCommitted` logs seen so far: index → (L1 tx, L1 block).
    commits: BTreeMap<u64, (B256, u64)>,
    commits_scanned: u64,
    status: Arc<Mutex<DeriveStatus>>,
    role: NodeRole,
    metrics: RollupMetrics,
}

impl Deriver {
    /// A pipeline for `node` following `contracts`; `status` is shared with the RPC.
    pub fn new(
        node: Node,
        l1: L1Client,
        contracts: &L1Contracts,
        role: NodeRole,
        status: Arc<Mutex<DeriveStatus>>,
        metrics: RollupMetrics,
    ) -> Self {
        Self {
            rollup: Rollup::new(contracts.rollup, l1.provider().clone()),
            deposits: DepositScanner::new(&l1, contracts),
            queue: Arc::default(),
            commits: BTreeMap::new(),
            commits_scanned: contracts.deployed_at.saturating_sub(1),
            node,
            l1,
            status,
            role,
            metrics,
        }
    }

    /// Checks that this node's genesis is the one the rollup pins.
    pub async fn check_genesis(&self) -> Result<(), L1Error> {
        let genesis = self.rollup.batch(0).call().await?;
        let local = self
            .node
            .header(0)
            .map_err(|e| L1Error::Config(e.to_string()))?
            .ok_or_else(|| L1Error::Config("no genesis block".into()))?;
        if genesis.lastBlockHash != local.hash_slow() || genesis.postStateRoot != local.state_root {
            return Err(L1Error::Config(format!(
                "L2 genesis mismatch: rollup pins block {} / root {}, this node has {} / {} (same chain id, accounts and predeploys?)",
                genesis.lastBlockHash,
                genesis.postStateRoot,
                local.hash_slow(),
                local.state_root
            )));
        }
        Ok(())
    }

    /// Derives forever; L1 failures are retried with backoff. Returns only on a failure the node cannot
    /// go on from (its database cannot be read, re-execution panicked, or the L1 replaced a batch whose
    /// blocks it applied with other data), for the supervisor.
    pub async fn run(mut self) -> Result<(), DeriveError> {
        self.run_until(|_| async { Ok(false) }).await
    }

    /// Derives like [`Self::run`] until `ready` holds: it is asked each time the node has derived every
    /// batch committed at confirmed depth, or is halted at a malformed batch (see `halted_at`), and
    /// an error it returns is retried like an L1 failure (the fallback proposer asks the Rollup).
    pub async fn run_until<F, Fut>(&mut self, mut ready: F) -> Result<(), DeriveError>
    where
        F: FnMut(DeriveStatus) -> Fut,
        Fut: std::future::Future<Output = Result<bool, DeriveError>>,
    {
        let mut backoff = Backoff::default();
        if let Some(last) = self.node.blocking(BatchRecord::last).await?? {
            let mut s = self.status.lock();
            s.derived_batch = last.index;
            if last.status == BatchStatus::Malformed {
                s.halted_at = Some(last.index);
            }
        }
        loop {
            let outcome = match self.step().await {
                Ok(true) => Ok(true),
                Ok(false) => {
                    let status = self.status.lock().clone();
                    match ready(status).await {
                        Ok(true) => return Ok(()),
                        Ok(false) => Ok(false),
                        Err(e) => Err(e),
                    }
                }
                Err(e) => Err(e),
            };
            match outcome {
                Ok(true) => backoff.reset(),
                Ok(false) => {
                    backoff.reset();
                    tokio::time::sleep(self.l1.poll).await;
                }
                Err(e) if e.is_fatal() => return Err(e),
                Err(e) => {
                    self.metrics.l1_errors.inc();
                    backoff.fail("derivation", e.to_string()).await;
                }
            }
        }
    }

    async fn step(&mut self) -> Result<bool, DeriveError> {
        let safe = self.l1.safe_block().await?;
        let fresh = self.deposits.next(safe).await?;
        for m in fresh {
            if m.index as usize == self.queue.len() {
                Arc::make_mut(&mut self.queue).push(m);
            }
        }
        if self.commits_scanned < safe {
            let logs =
                self.rollup.BatchCommitted_filter().from_block(self.commits_scanned + 1).to_block(safe).query().await?;
            for (ev, log) in logs {
                if let (Some(tx), Some(block)) = (log.transaction_hash, log.block_number) {
                    self.commits.insert(ev.index, (tx, block));
                }
            }
            self.commits_scanned = safe;
        }
        let committed = self.rollup.lastCommittedBatch().block(safe.into()).call().await?;
        {
            let mut s = self.status.lock();
            if committed < s.derived_batch {
                // A fraud proof reverted batches this node derived: derive their replacements.
                warn!(from = committed + 1, to = s.derived_batch, "L1 reverted batches; deriving their replacements");
                s.derived_batch = committed;
                s.faults.retain(|i| *i <= committed);
                s.halted_at = s.halted_at.filter(|i| *i <= committed);
                s.reverted_after = Some(committed);
                self.commits.retain(|i, _| *i <= committed);
                self.commits_scanned = self.commits_scanned.min(safe);
            }
        }
        // Halted at a malformed batch: nothing after it can be built on, unless the L1 reverts it (above).
        if self.status.lock().halted_at.is_some() {
            self.status.lock().l1_committed_batch = committed;
            return Ok(false);
        }
        let next = self.status.lock().derived_batch + 1;
        self.status.lock().l1_committed_batch = committed;
        if next > committed {
            return Ok(false);
        }
        let Some(&(l1_tx, l1_block)) = self.commits.get(&next) else { return Ok(false) };
        let record = self.derive_batch(next, l1_tx, l1_block).await?;
        let mut s = self.status.lock();
        s.derived_batch = next;
        match record.status {
            BatchStatus::Malformed => {
                s.faults.push(next);
                s.halted_at = Some(next);
            }
            BatchStatus::Mismatch => s.faults.push(next),
            _ => {}
        }
        Ok(true)
    }

    async fn derive_batch(&mut self, index: u64, l1_tx: B256, l1_block: u64) -> Result<BatchRecord, DeriveError> {
        let claimed = self.rollup.batch(index).call().await?;
        let node = self.node.clone();
        if let Some(old) = node.blocking(move |n| BatchRecord::load(n, index)).await?? {
            // A replacement of a reverted batch: with the same data its blocks are the ones this node
            // already has; with other data the chain would need unwinding, which it cannot do yet.
            if old.data_hash != claimed.dataHash && old.first_block <= self.node.head_number() {
                return Err(DeriveError::Node(NodeError::Inconsistent(format!(
                    "the L1 replaced reverted batch {index} with other data; this node applied the old blocks \
                     and cannot unwind them: derive again on a fresh data dir"
                ))));
            }
        }
        let mut record = BatchRecord {
            index,
            status: BatchStatus::Verified,
            first_block: 0,
            last_block: claimed.lastBlock,
            tx_count: 0,
            data_bytes: 0,
            data_hash: claimed.dataHash,
            l1_tx,
            l1_block,
            l1_message_cursor: claimed.l1MessageCursor,
            claimed_state_root: claimed.postStateRoot,
            claimed_withdrawals_root: claimed.withdrawalsRoot,
            claimed_last_block_hash: claimed.lastBlockHash,
            computed_state_root: None,
            computed_withdrawals_root: None,
            computed_last_block_hash: None,
            error: None,
        };
        let result = match self.l1.commit_call(l1_tx).await? {
            Err(e) => Err(Malformed(format!("L1 transaction is not a direct commitBatch call: {e}"))),
            Ok(call) if keccak256(&call.data) != claimed.dataHash => {
                Err(Malformed("calldata does not hash to the committed data hash".into()))
            }
            Ok(call) => {
                record.first_block = call.header.firstBlock;
                record.data_bytes = call.data.len() as u64;
                // Re-execution writes blocks: off the async workers.
                let (node, queue) = (self.node.clone(), self.queue.clone());
                let (outcome, r) = mosaic_node::spawn_blocking(move || {
                    apply_batch(&node, &call.header, &call.data, &queue, &mut record).map(|o| (o, record))
                })
                .await??;
                record = r;
                outcome
            }
        };
        match result {
            Ok(()) => {
                let mut faults = Vec::new();
                if record.computed_state_root != Some(record.claimed_state_root) {
                    faults.push("state root");
                }
                if record.computed_withdrawals_root != Some(record.claimed_withdrawals_root) {
                    faults.push("withdrawals root");
                }
                if record.computed_last_block_hash.is_some_and(|h| h != record.claimed_last_block_hash) {
                    faults.push("last block hash");
                }
                if !faults.is_empty() {
                    record.status = BatchStatus::Mismatch;
                    record.error = Some(format!("claimed {} differs from re-execution", faults.join(", ")));
                    self.metrics.batch_faults.inc();
                    warn!(index, role = %self.role, claimed = %record.claimed_state_root, computed = ?record.computed_state_root,
                        "FAULT: batch claims a state its data does not produce");
                } else {
                    info!(
                        index,
                        blocks = record.last_block + 1 - record.first_block,
                        txs = record.tx_count,
                        "batch derived and verified"
                    );
                }
            }
            Err(Malformed(why)) => {
                record.status = BatchStatus::Malformed;
                record.error = Some(why.clone());
                self.metrics.batch_faults.inc();
                warn!(index, reason = %why, "FAULT: malformed batch on L1, not applied; derivation stops here");
            }
        }
        self.metrics.batches_derived.inc();
        let node = self.node.clone();
        mosaic_node::spawn_blocking(move || record.store(&node).map(|()| record)).await?.map_err(Into::into)
    }
}

/// Whether the local block `local` is the batch's `block` (with the batch's `beneficiary`): the same
/// time, fee recipient, L1 messages and transactions (by hash; by sender where a zk batch leaves the
/// signatures and nonces out).
fn same_block(local: &mosaic_primitives::Block, block: &mosaic_batch::DecodedBlock, beneficiary: Address) -> bool {
    use mosaic_batch::DecodedTx;
    local.header.timestamp == block.timestamp
        && local.header.beneficiary == beneficiary
        && local.l1_messages.len() as u64 == block.l1_message_count
        && local.sequenced().count() == block.transactions.len()
        && local.sequenced().zip(&block.transactions).all(|((tx, sender), posted)| match posted {
            DecodedTx::Signed(env) => env.tx_hash() == tx.tx_hash(),
            DecodedTx::Unsigned { sender: posted, .. } => posted == sender,
        })
}

/// Re-executes the batch `data`, committed on L1 with `header`, on top of the local head of `node`,
/// taking the L1 messages it consumes from `queue` (the bridge's queue, indexed by message index), and
/// fills in what it computed. `Ok(Err(Malformed))` leaves the chain as it was before the first invalid
/// block. Blocking: it executes and writes blocks.
pub fn apply_batch(
    node: &Node,
    header: &Rollup::BatchHeader,
    data: &[u8],
    queue: &[L1Message],
    record: &mut BatchRecord,
) -> Result<Result<(), Malformed>, DeriveError> {
    let batch = match mosaic_batch::decode(data, node.chain_id()) {
        Ok(b) => b,
        Err(e) => return Ok(Err(Malformed(format!("undecodable batch data: {e}")))),
    };
    let n_blocks = batch.blocks.len() as u64;
    if batch.first_block != header.firstBlock || n_blocks == 0 || header.firstBlock + n_blocks - 1 != header.lastBlock {
        return Ok(Err(Malformed(format!(
            "data holds blocks {}+{n_blocks}, header claims {}..={}",
            batch.first_block, header.firstBlock, header.lastBlock
        ))));
    }
    let head = node.head_number();
    if header.firstBlock == 0 || header.firstBlock > head + 1 {
        return Ok(Err(Malformed(format!("batch starts at block {}, chain is at {head}", header.firstBlock))));
    }
    let mut cursor =
        L1Cursor::from_extra_data(&node.header(header.firstBlock - 1)?.map(|h| h.extra_data).unwrap_or_default())
            .unwrap_or_default();
    for (i, block) in batch.blocks.into_iter().enumerate() {
        let number = header.firstBlock + i as u64;
        let start = cursor.next_index as usize;
        let Some(msgs) = queue.get(start..start + block.l1_message_count as usize) else {
            return Ok(Err(Malformed(format!("block {number} consumes L1 messages the bridge queue does not have"))));
        };
        record.tx_count += block.transactions.len() as u64;
        // Blocks at or below the head were derived from this same batch before a restart — or are
        // blocks the L1 never got (a fallback proposer's unposted ones, once a proposer posted others):
        // then this data dir cannot follow L1, and serving it would serve a fork.
        if number <= head {
            let local =
                node.block(number)?.ok_or_else(|| NodeError::Inconsistent(format!("missing block {number}")))?;
            if !same_block(&local, &block, batch.beneficiary) {
                return Err(NodeError::Inconsistent(format!(
                    "block {number} here is not the one batch {} holds on L1: this data dir has blocks the L1 \
                     does not (a fallback proposer's unposted blocks?); derive again on a fresh data dir",
                    header.index
                ))
                .into());
            }
        } else {
            // Signature-less transactions carry no signature here: the proof checks them.
            let state = node.latest_state()?;
            let txs = match block_transactions(block.transactions, &state, &mut SignatureSource::Absent) {
                Ok(txs) => txs,
                Err(ReplayError::Invalid(why)) => return Ok(Err(Malformed(format!("block {number}: {why}")))),
                Err(ReplayError::State(e)) => return Err(NodeError::from(e).into()),
                Err(ReplayError::Trie(e)) => return Err(NodeError::from(e).into()),
            };
            drop(state);
            let parts = BlockParts {
                timestamp: block.timestamp,
                beneficiary: batch.beneficiary,
                l1_messages: msgs,
                transactions: txs,
            };
            match node.import_block(parts) {
                Ok(_) => {}
                Err(ImportError::Invalid(why)) => return Ok(Err(Malformed(format!("block {number}: {why}")))),
                Err(ImportError::Node(e)) => return Err(e.into()),
            }
        }
        for m in msgs {
            cursor.consume(m);
        }
    }
    let leaves = withdrawal_leaves(node, header.firstBlock, header.lastBlock)?;
    let last = node
        .block(header.lastBlock)?
        .ok_or_else(|| NodeError::Inconsistent(format!("missing block {}", header.lastBlock)))?;
    record.computed_state_root = Some(last.header.state_root);
    record.computed_withdrawals_root = Some(merkle_root(&leaves));
    // Without signatures (zk variant) transaction hashes, hence block hashes, are the proof's business.
    record.computed_last_block_hash = (batch.variant == Variant::Signed).then(|| last.hash());
    if cursor.next_index != header.l1MessageCursor {
        return Ok(Err(Malformed(format!(
            "batch consumes L1 messages up to {}, header claims {}",
            cursor.next_index, header.l1MessageCursor
        ))));
    }
    Ok(Ok(()))
}
