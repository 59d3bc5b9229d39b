//! The rollup producer: groups consecutive L2 blocks into batches, posts each with `Rollup.commitBatch`
//! (and the bond, in hybrid mode), waits for L1 confirmations, and finalizes batches whose challenge
//! window has passed.
//!
//! It keeps no state of its own: every round starts from what the L1 says (last committed batch, its
//! last block and state root), so a restart, an L1 outage or an L1 reorg that drops a commit all end
//! the same way — the next round posts whatever the L1 lacks. It never has two transactions in flight,
//! and `Rollup` rejects a second commit of an index, so no batch is posted twice.
use crate::{
    contracts::{L1Contracts, Rollup},
    l1::{Backoff, L1Client, L1Error},
    record::{withdrawal_leaves, BatchRecord, BatchStatus},
    RollupMetrics,
};
use alloy::{primitives::U256, providers::Provider};
use alloy_primitives::{keccak256, Address, Bytes, B256};
use mosaic_batch::Variant;
use mosaic_node::{ChainReader, Node, NodeError};
use mosaic_primitives::{merkle_root, Block, L1Cursor};
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use tracing::info;

/// How long blocks without transactions or deposits wait before they are posted.
pub const IDLE_BATCH_AGE: Duration = Duration::from_secs(60);

/// When to close a batch.
#[derive(Debug, Clone)]
pub struct ProducerConfig {
    /// Most L2 blocks per batch.
    pub max_blocks: u64,
    /// Most bytes of batch data (calldata) per batch.
    pub max_bytes: usize,
    /// Post a partial batch once its oldest block is this old.
    pub max_age: Duration,
    /// Data format: with signatures (hybrid) or without (zk).
    pub variant: Variant,
    /// Producer keys whose attestations go with each hybrid batch when the Rollup requires them (M of
    /// the registered N), signed in this process.
    pub attesters: Vec<alloy_signer_local::PrivateKeySigner>,
    /// JSON-RPC endpoints of producers' co-signer processes (`mosaic node --role producer`), asked for
    /// their attestations (`mosaic_attestBatch`) beside the in-process keys'.
    pub co_signers: Vec<String>,
    /// Fault injection, for development chains only: commit batch K with a state root its data does
    /// not produce, then go on building on that lie as an attacker would.
    pub fault_wrong_root_at: Option<u64>,
    /// A sequencer set's rotation of who posts and finalizes each batch (`None`: this producer posts
    /// every batch, as a lone sequencer does).
    pub turn: Option<PosterTurn>,
    /// Post as the fallback proposer (`Rollup.fallbackOpen()`): each batch with a proof of its journal
    /// (`commitProvenBatch`) and without attestations, and only while the fallback is open — once a
    /// proposer commits again this producer stops, since the blocks it built after its last batch are
    /// not the chain's.
    pub fallback: Option<FallbackPosting>,
}

/// Where a fallback proposer gets the proofs of its batches.
pub trait FallbackProofs: Send + Sync + 'static {
    /// The on-chain proof of the batch journal with hash `journal_hash`, once it exists (`None`
    /// before). Blocking (it may read a file).
    fn proof(&self, journal_hash: B256) -> Result<Option<Vec<u8>>, String>;
    /// Where that proof is expected, for the operator.
    fn location(&self, journal_hash: B256) -> String;
}

/// A batch the fallback proposer has prepared and cannot post before its proof exists.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AwaitedProof {
    /// The batch index.
    pub index: u64,
    /// Its first block.
    pub first_block: u64,
    /// Its last block.
    pub last_block: u64,
    /// keccak256 of its data (which variant the proof covers).
    pub data_hash: B256,
    /// The hash of the journal the proof must state (`Rollup.publicInputsHash` once committed).
    pub journal_hash: B256,
    /// Where the proof is expected.
    pub location: String,
}

impl AwaitedProof {
    /// The record a prover works from: the batch's index, blocks and data hash (it is on no L1 yet,
    /// so nothing else is known).
    pub fn record(&self) -> BatchRecord {
        BatchRecord {
            index: self.index,
            status: BatchStatus::Committed,
            first_block: self.first_block,
            last_block: self.last_block,
            tx_count: 0,
            data_bytes: 0,
            data_hash: self.data_hash,
            l1_tx: B256::ZERO,
            l1_block: 0,
            l1_message_cursor: 0,
            claimed_state_root: B256::ZERO,
            claimed_withdrawals_root: B256::ZERO,
            claimed_last_block_hash: B256::ZERO,
            computed_state_root: None,
            computed_withdrawals_root: None,
            computed_last_block_hash: None,
            error: None,
        }
    }
}

/// A fallback proposer's posting: its proofs, and the batch it waits for a proof of.
#[derive(Clone)]
pub struct FallbackPosting {
    /// Where the proofs come from.
    pub proofs: std::sync::Arc<dyn FallbackProofs>,
    /// The batch it waits for a proof of (for the status, and for a prover).
    pub awaiting: std::sync::Arc<parking_lot::Mutex<Option<AwaitedProof>>>,
}

impl FallbackPosting {
    /// The batch it waits for a proof of, if that is still batch `index` from block `first` (the L1
    /// has not moved on meanwhile).
    fn pinned(&self, index: u64, first: u64) -> Option<AwaitedProof> {
        self.awaiting.lock().clone().filter(|a| a.index == index && a.first_block == first)
    }

    /// The proof of journal `journal_hash` if it exists yet, read off the async workers.
    async fn proof(&self, node: &Node, journal_hash: B256) -> Result<Option<Vec<u8>>, ProducerError> {
        let proofs = self.proofs.clone();
        node.blocking(move |_| proofs.proof(journal_hash)).await?.map_err(ProducerError::FallbackProof)
    }
}

impl std::fmt::Debug for FallbackPosting {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FallbackPosting").field("awaiting", &*self.awaiting.lock()).finish_non_exhaustive()
    }
}

/// A sequencer set's rotation of the L1 poster: batch `i` is the turn of member `i mod members`, and
/// the others step in one `step` after another once it is overdue, so that one member down (or one
/// that censors by not posting) delays a batch by `step`, not forever. Two members posting the same
/// index is harmless — the Rollup takes the first and refuses the second — but costs gas, which the
/// stagger avoids while everyone is up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PosterTurn {
    /// This member's address (its place follows the Rollup's active set when the Rollup names one).
    pub member: Address,
    /// This member's position in the set (the set file's order, or the Rollup's).
    pub position: u64,
    /// How many members the set has.
    pub members: u64,
    /// How long each member further from the turn waits after the one before it.
    pub step: Duration,
}

impl PosterTurn {
    /// How long after batch `index` is due this member posts (or finalizes) it: zero on its own turn,
    /// `k × step` when it is `k` places after the member whose turn it is.
    pub fn delay(&self, index: u64) -> Duration {
        let n = self.members.max(1);
        let k = (self.position % n + n - index % n) % n;
        self.step.saturating_mul(u32::try_from(k).unwrap_or(u32::MAX))
    }

    /// Whether this member posts (or finalizes) batch `index` at `now` (Unix seconds), the batch being
    /// due since `due_since`: at once on its own turn, else once [`Self::delay`] has passed.
    pub fn may_post(&self, index: u64, due_since: u64, now: u64) -> bool {
        now >= due_since.saturating_add(self.delay(index).as_secs())
    }

    /// This member's turn among `active`, the members the Rollup counts now in its order (empty: the
    /// Rollup names no set, and the set file's rotation stands); `None` while it is not one of them.
    pub fn among(&self, active: &[Address]) -> Option<Self> {
        if active.is_empty() {
            return Some(*self);
        }
        let position = active.iter().position(|a| *a == self.member)?;
        Some(Self { position: position as u64, members: active.len() as u64, ..*self })
    }
}

/// Default most L2 blocks per batch.
pub const DEFAULT_BATCH_MAX_BLOCKS: u64 = 600;
/// Default most bytes of batch data per batch (well under an L1 transaction's 128 KiB).
pub const DEFAULT_BATCH_MAX_BYTES: usize = 120_000;
/// Default age at which a partial batch is posted.
pub const DEFAULT_BATCH_MAX_AGE: Duration = Duration::from_secs(5);

impl Default for ProducerConfig {
    fn default() -> Self {
        Self {
            max_blocks: DEFAULT_BATCH_MAX_BLOCKS,
            max_bytes: DEFAULT_BATCH_MAX_BYTES,
            max_age: DEFAULT_BATCH_MAX_AGE,
            variant: Variant::Signed,
            attesters: Vec::new(),
            co_signers: Vec::new(),
            fault_wrong_root_at: None,
            turn: None,
            fallback: None,
        }
    }
}

/// Why a producer round failed.
#[derive(Debug, thiserror::Error)]
pub enum ProducerError {
    /// L1 trouble (retried).
    #[error(transparent)]
    L1(#[from] L1Error),
    /// Local database trouble.
    #[error(transparent)]
    Node(#[from] NodeError),
    /// The local chain does not extend what L1 has: the producer stops posting.
    #[error("local chain diverges from L1 at block {block}: L1 has state root {l1}, local {local}")]
    Diverged {
        /// Block number.
        block: u64,
        /// Root on L1.
        l1: B256,
        /// Local root.
        local: B256,
    },
    /// The blocks could not be encoded.
    #[error("batch encoding: {0}")]
    Encode(#[from] mosaic_batch::BatchError),
    /// A batch needs at least one block.
    #[error("a batch needs at least one block")]
    Empty,
    /// Fault injection asked for on an L1 that is not a development chain.
    #[error("fault injection is refused on L1 chain {0}: only development chains (1337, 31337) accept it")]
    FaultInjectionRefused(u64),
    /// A producer key could not sign.
    #[error("attesting the batch: {0}")]
    Attest(String),
    /// A fallback proposer found the fallback closed: a proposer committed batch `last` (or the Rollup
    /// froze), so the blocks this node built after its own last batch are not the chain's.
    #[error(
        "the Rollup's fallback closed at batch {last} (a proposer committed again, or it froze): this node's \
         blocks after its last posted batch are not the chain's; derive again on a fresh data dir"
    )]
    FallbackClosed {
        /// The last committed batch when it closed.
        last: u64,
    },
    /// A fallback proposer's proofs could not be read.
    #[error("fallback proof: {0}")]
    FallbackProof(String),
}

impl From<mosaic_node::BlockingError> for ProducerError {
    fn from(e: mosaic_node::BlockingError) -> Self {
        Self::Node(e.into())
    }
}

impl From<alloy::contract::Error> for ProducerError {
    fn from(e: alloy::contract::Error) -> Self {
        Self::L1(e.into())
    }
}

/// Everything the L1 needs about a batch, computed from local blocks.
#[derive(Debug, Clone)]
pub struct PreparedBatch {
    /// The `commitBatch` header.
    pub header: Rollup::BatchHeader,
    /// The encoded batch data.
    pub data: Bytes,
    /// Transactions in it.
    pub tx_count: u64,
}

/// Encodes `blocks` (consecutive, following a batch that ended with `prev_state_root`) as batch `index`.
pub fn prepare_batch(
    node: &Node,
    index: u64,
    prev_state_root: B256,
    blocks: &[Block],
    variant: Variant,
) -> Result<PreparedBatch, ProducerError> {
    let (first, last) = match (blocks.first(), blocks.last()) {
        (Some(f), Some(l)) => (f, l),
        _ => return Err(ProducerError::Empty),
    };
    let batch = mosaic_batch::Batch::from_blocks(blocks)?;
    let data = mosaic_batch::encode(&batch, variant, node.chain_id());
    let leaves = withdrawal_leaves(node, first.header.number, last.header.number)?;
    let cursor = L1Cursor::from_extra_data(&last.header.extra_data).unwrap_or_default();
    let header = Rollup::BatchHeader {
        index,
        firstBlock: first.header.number,
        lastBlock: last.header.number,
        l1MessageCursor: cursor.next_index,
        prevStateRoot: prev_state_root,
        postStateRoot: last.header.state_root,
        withdrawalsRoot: merkle_root(&leaves),
        lastBlockHash: last.hash(),
    };
    // The transactions the batch posts (forced ones run from the L1 queue), as derivation counts them.
    let tx_count = blocks.iter().map(|b| b.sequenced().count() as u64).sum();
    Ok(PreparedBatch { header, data: data.into(), tx_count })
}

fn now_secs() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or_default()
}

/// Posts batches forever; L1 failures are retried with backoff, nothing is lost in between. Returns
/// only when it must not go on (the local chain diverges from L1, or building a batch panicked), for
/// the supervisor.
pub async fn run_producer(
    node: Node,
    l1: L1Client,
    contracts: L1Contracts,
    config: ProducerConfig,
    metrics: RollupMetrics,
) -> Result<(), ProducerError> {
    let rollup = Rollup::new(contracts.rollup, l1.provider().clone());
    let mut backoff = Backoff::default();
    if let Some(k) = config.fault_wrong_root_at {
        let chain = l1.provider().get_chain_id().await.map_err(L1Error::from)?;
        if !crate::contracts::DEV_L1_CHAIN_IDS.contains(&chain) {
            return Err(ProducerError::FaultInjectionRefused(chain));
        }
        tracing::warn!(batch = k, "fault injection on: this producer will lie about batch {k}'s state root");
    }
    loop {
        let step = async {
            match Terms::read(&rollup, &l1).await? {
                Some(t) => round(&node, &l1, &rollup, &config, t, &contracts, &metrics).await,
                None => Ok(false),
            }
        };
        match step.await {
            Ok(progress) => {
                backoff.reset();
                if !progress {
                    tokio::time::sleep(l1.poll).await;
                }
            }
            // Posting on top of a chain L1 does not have would only burn bonds: stop loudly.
            Err(
                e @ (ProducerError::Diverged { .. }
                | ProducerError::Node(NodeError::Blocking(_))
                | ProducerError::FallbackClosed { .. }),
            ) => return Err(e),
            Err(e) => {
                metrics.l1_errors.inc();
                backoff.fail("batch producer", e.to_string()).await;
            }
        }
    }
}

type RollupInstance = Rollup::RollupInstance<alloy::providers::DynProvider>;

/// How close to a scheduled switch to zk the producer holds its commits: one landing on either side of
/// the switch with the other side's bond would revert.
const SWITCH_MARGIN_SECS: u64 = 15;

/// The terms of the next commit, read every round: the owner may switch the chain from hybrid to zk
/// while it runs.
#[derive(Debug, Clone, Copy)]
struct Terms {
    /// Hybrid rules (bond, challenge window) rather than zk.
    hybrid: bool,
    /// Value sent with the commit.
    bond: U256,
}

impl Terms {
    /// `None` while a scheduled switch is too close to tell which side the next commit lands on.
    async fn read(rollup: &RollupInstance, l1: &L1Client) -> Result<Option<Self>, ProducerError> {
        let mut hybrid = rollup.mode().call().await? == 0;
        if hybrid {
            let switch_at = rollup.zkSwitchAt().call().await?;
            if switch_at != 0 {
                let now = l1.latest_timestamp().await?;
                if now >= switch_at {
                    hybrid = false;
                } else if switch_at - now <= SWITCH_MARGIN_SECS {
                    return Ok(None);
                }
            }
        }
        let bond = if hybrid { U256::from(rollup.bondAmount().call().await?) } else { U256::ZERO };
        Ok(Some(Self { hybrid, bond }))
    }
}

/// One step: finalize what can be, or post the next batch. Returns whether it did anything.
async fn round(
    node: &Node,
    l1: &L1Client,
    rollup: &RollupInstance,
    config: &ProducerConfig,
    terms: Terms,
    contracts: &L1Contracts,
    metrics: &RollupMetrics,
) -> Result<bool, ProducerError> {
    let from_block = contracts.deployed_at;
    // One transaction in flight at a time: a commit sent before a crash or a timeout settles first.
    if l1.has_pending().await? {
        return Ok(false);
    }
    let last = rollup.lastCommittedBatch().call().await?;
    let committed = rollup.batch(last).call().await?;
    // Before the records: a proposer's batch over this node's own unposted blocks must not be stored.
    if config.fallback.is_some() && !rollup.fallbackOpen().call().await? {
        return Err(ProducerError::FallbackClosed { last });
    }
    sync_records(node, l1, rollup, from_block, last, &committed).await?;
    // A set's member takes its turn among the members the Rollup counts now; one it does not count
    // (not yet joined, or left) neither posts nor finalizes.
    let active = if config.turn.is_some() { rollup.activeSet().call().await? } else { Vec::new() };
    let turn = match config.turn.map(|t| t.among(&active)) {
        Some(None) => return Ok(false),
        Some(turn) => turn,
        None => None,
    };
    // Finalizes hybrid batches whose window passed, and proven ones, in either mode.
    if finalize_next(node, l1, rollup, last, turn).await? {
        return Ok(true);
    }
    let first = committed.lastBlock + 1;
    if node.head_number() < first {
        return Ok(false);
    }
    // A fallback whose batch waits for its proof has nothing to rebuild until that proof exists.
    let mut found = None;
    let pinned = config.fallback.as_ref().and_then(|f| f.pinned(last + 1, first).map(|a| (f, a)));
    if let Some((fallback, a)) = pinned {
        match fallback.proof(node, a.journal_hash).await? {
            None => return Ok(false),
            Some(proof) => found = Some((a.journal_hash, proof)),
        }
    }
    let (mut config_, mut prev_root) = (config.clone(), committed.postStateRoot);
    if config.fault_wrong_root_at.is_some_and(|k| k <= last) {
        // After the injected lie the L1 holds a root the local chain never had: build on the local
        // block, and claim to start from the L1's root, as the contract requires.
        let local = node.blocking(move |n| n.header(first - 1)).await??.map(|h| h.state_root);
        prev_root = local.unwrap_or(prev_root);
    }
    config_.variant = batch_variant(config, terms);
    let (due, replacement) = node
        .blocking(move |n| -> Result<_, ProducerError> {
            match replacement_batch(n, last + 1, first, prev_root, config_.variant)? {
                Some(batch) => Ok((Some(batch), true)),
                None => Ok((due_batch(n, last + 1, first, prev_root, &config_, now_secs())?, false)),
            }
        })
        .await??;
    let Some(mut batch) = due else { return Ok(false) };
    if let Some(turn) = turn.filter(|t| !t.delay(last + 1).is_zero()) {
        // Due since its first block reached the age limit, and not before the batch ahead of it landed
        // (the member whose turn it is could not post it earlier).
        let born = node.blocking(move |n| n.header(first)).await??.map(|h| h.timestamp).unwrap_or_default();
        let due_since = (born + config.max_age.as_secs()).max(committed.committedAt);
        if !turn.may_post(last + 1, due_since, now_secs()) {
            return Ok(false);
        }
        info!(index = last + 1, "the member whose turn this batch is has not posted it: posting it instead");
    }
    batch.header.prevStateRoot = committed.postStateRoot;
    if replacement {
        info!(index = last + 1, first, last_block = batch.header.lastBlock, "re-posting a reverted batch's blocks");
    }
    // The injected lie is told once: the replacement of the reverted batch is honest.
    if config.fault_wrong_root_at == Some(last + 1) && !replacement {
        batch.header.postStateRoot =
            keccak256([b"mosaic fault injection".as_slice(), batch.header.postStateRoot.as_slice()].concat());
        tracing::warn!(index = last + 1, claimed = %batch.header.postStateRoot,
            "FAULT INJECTION: committing a state root this batch's data does not produce");
    }
    let pending = if let Some(fallback) = &config.fallback {
        // The fallback commits with the proof and without attestations, once the proof exists. The batch
        // it waits for keeps its blocks (a prover works on it), however many more arrive meanwhile.
        if let Some(a) = fallback.pinned(last + 1, first) {
            let (prev, variant) = (committed.postStateRoot, batch_variant(config, terms));
            batch = node
                .blocking(move |n| -> Result<_, ProducerError> {
                    let blocks = blocks_on(n, first, a.last_block, prev)?;
                    prepare_batch(n, a.index, prev, &blocks, variant)
                })
                .await??;
        }
        let journal_hash = batch_journal_hash(node, l1, contracts, &batch, committed.lastBlockHash).await?;
        let proof = match found.filter(|(hash, _)| *hash == journal_hash) {
            Some((_, proof)) => Some(proof),
            None => fallback.proof(node, journal_hash).await?,
        };
        let Some(proof) = proof else {
            let awaited = AwaitedProof {
                index: last + 1,
                first_block: batch.header.firstBlock,
                last_block: batch.header.lastBlock,
                data_hash: keccak256(&batch.data),
                journal_hash,
                location: fallback.proofs.location(journal_hash),
            };
            let mut awaiting = fallback.awaiting.lock();
            if awaiting.as_ref() != Some(&awaited) {
                info!(index = last + 1, first, last_block = awaited.last_block, journal = %journal_hash,
                    at = %awaited.location, "fallback batch prepared: it is posted once its proof exists");
                *awaiting = Some(awaited);
            }
            return Ok(false);
        };
        *fallback.awaiting.lock() = None;
        let call = rollup.commitProvenBatch(batch.header.clone(), batch.data.clone(), proof.into());
        call.value(terms.bond).send().await?
    } else {
        // With a set named on the Rollup, the quorum of its active members (in zk mode too: L1 checks
        // that the set decided what a member posts); else the fixed threshold, which zk mode ignores.
        let threshold = if terms.hybrid || !active.is_empty() {
            usize::try_from(rollup.attestQuorum().call().await?).unwrap_or(usize::MAX)
        } else {
            0
        };
        if threshold > 0 {
            let sigs =
                attest(node, l1, contracts, config, &batch, committed.lastBlockHash, (threshold, &active)).await?;
            let call = rollup.commitAttestedBatch(batch.header.clone(), batch.data.clone(), sigs);
            call.value(terms.bond).send().await?
        } else {
            rollup.commitBatch(batch.header.clone(), batch.data.clone()).value(terms.bond).send().await?
        }
    };
    let l1_tx = *pending.tx_hash();
    info!(index = last + 1, first, last_block = batch.header.lastBlock, bytes = batch.data.len(), %l1_tx, "batch posted");
    let receipt = l1.confirm(pending).await?;
    let l1_block = receipt.block_number.unwrap_or_default();
    let record = committed_record(&batch.header, &batch.data, batch.tx_count, l1_tx, l1_block);
    let record = node.blocking(move |n| record.store(n).map(|()| record)).await??;
    metrics.batches_posted.inc();
    info!(index = record.index, l1_block = record.l1_block, "batch confirmed on L1");
    Ok(true)
}

/// The producers' attestations of `batch`: each key's EIP-191 signature (r ‖ s ‖ v) over the public
/// inputs hash the Rollup will compute for it, in ascending address order as the contract requires;
/// at least `threshold` of them, and only those of `active` members when that is not empty (the
/// Rollup refuses the attestation of a member that is not in its set now).
async fn attest(
    node: &Node,
    l1: &L1Client,
    contracts: &L1Contracts,
    config: &ProducerConfig,
    batch: &PreparedBatch,
    prev_block_hash: B256,
    (threshold, active): (usize, &[Address]),
) -> Result<Bytes, ProducerError> {
    use alloy::signers::SignerSync;
    let h = &batch.header;
    let inputs = batch_journal_hash(node, l1, contracts, batch, prev_block_hash).await?;
    let mut sigs = std::collections::BTreeMap::new();
    for key in &config.attesters {
        let sig = key.sign_message_sync(inputs.as_slice()).map_err(|e| ProducerError::Attest(e.to_string()))?;
        sigs.insert(key.address(), sig.as_bytes().to_vec());
    }
    // The co-signers re-execute the batch before they sign; one that refuses, lags or is down is
    // skipped (the round fails below if too few remain, and is retried).
    let wire = crate::cosign::WireHeader::from(h);
    for url in &config.co_signers {
        // A hung co-signer must not hold the batch up for good: it counts as one that refused.
        let asked = tokio::time::timeout(CO_SIGN_TIMEOUT, co_sign(url, wire, &batch.data, inputs)).await;
        match asked.unwrap_or_else(|_| Err(format!("no answer in {CO_SIGN_TIMEOUT:?}"))) {
            Ok((producer, sig)) => {
                sigs.insert(producer, sig);
            }
            Err(e) => tracing::warn!(co_signer = %url, index = h.index, "no attestation: {e}"),
        }
    }
    if !active.is_empty() {
        sigs.retain(|signer, _| active.contains(signer));
    }
    if sigs.len() < threshold {
        return Err(ProducerError::Attest(format!(
            "batch {} has {} attestations, the Rollup needs {threshold}",
            h.index,
            sigs.len()
        )));
    }
    // Ascending by address, as the contract requires.
    Ok(sigs.into_values().flatten().collect::<Vec<u8>>().into())
}

/// The data format of the next batch: a zk batch's proof covers its signatures, so its data leaves them
/// out.
fn batch_variant(config: &ProducerConfig, terms: Terms) -> Variant {
    if terms.hybrid {
        config.variant
    } else {
        Variant::Unsigned
    }
}

/// The hash of the journal a proof of `batch` states (the Rollup's `publicInputsHash` once it is
/// committed), the block before it having hash `prev_block_hash`.
async fn batch_journal_hash(
    node: &Node,
    l1: &L1Client,
    contracts: &L1Contracts,
    batch: &PreparedBatch,
    prev_block_hash: B256,
) -> Result<B256, ProducerError> {
    let h = &batch.header;
    let bridge = crate::contracts::Bridge::new(contracts.bridge, l1.provider().clone());
    let l1_messages_hash = bridge.rollingHash(U256::from(h.l1MessageCursor)).call().await?;
    Ok(batch_journal(node.chain_config(), h, &batch.data, prev_block_hash, l1_messages_hash).hash())
}

/// How long the producer waits for one co-signer's attestation (a co-signer re-executes the batch).
const CO_SIGN_TIMEOUT: Duration = Duration::from_secs(30);

/// The journal a proof of batch `header` with `data` states, whose hash the Rollup computes at commit
/// (`publicInputsHash`) and producers attest: given the hash of the block before the batch and the
/// bridge's rolling hash of the L1 messages up to the batch's cursor.
pub fn batch_journal(
    chain: &mosaic_primitives::ChainConfig,
    header: &Rollup::BatchHeader,
    data: &[u8],
    prev_block_hash: B256,
    l1_messages_hash: B256,
) -> mosaic_witness::Journal {
    mosaic_witness::Journal {
        chain_id: chain.chain_id,
        config_hash: mosaic_witness::config_hash(chain),
        prev_state_root: header.prevStateRoot,
        post_state_root: header.postStateRoot,
        prev_block_hash,
        last_block_hash: header.lastBlockHash,
        last_block: header.lastBlock,
        batch_data_hash: keccak256(data),
        l1_message_cursor: header.l1MessageCursor,
        l1_messages_hash,
        withdrawals_root: header.withdrawalsRoot,
    }
}

/// Asks the co-signer at `url` to attest the batch; checks that its signature is over `inputs`.
async fn co_sign(
    url: &str,
    header: crate::cosign::WireHeader,
    data: &Bytes,
    inputs: B256,
) -> Result<(Address, Vec<u8>), String> {
    let url = url.parse().map_err(|e| format!("invalid URL: {e}"))?;
    let client = alloy::rpc::client::ClientBuilder::default().http(url);
    let a: crate::cosign::Attestation =
        client.request(crate::cosign::ATTEST_METHOD, (header, data.clone())).await.map_err(|e| e.to_string())?;
    let sig = alloy::primitives::Signature::try_from(a.signature.as_ref()).map_err(|e| e.to_string())?;
    let signer = sig.recover_address_from_msg(inputs.as_slice()).map_err(|e| e.to_string())?;
    if a.public_inputs_hash != inputs || signer != a.producer {
        return Err(format!("its attestation is of another batch or signer ({signer})"));
    }
    Ok((a.producer, a.signature.to_vec()))
}

/// The batch `index` that starts at block `first` (after a batch that ended with `prev_state_root`) if it
/// is due at `now` (Unix seconds): full by block count or bytes, or its oldest block older than the
/// age limit (longer for idle blocks). A batch over the byte limit is halved until it fits or holds one
/// block. Blocking: reads blocks and encodes them.
pub fn due_batch(
    node: &Node,
    index: u64,
    first: u64,
    prev_state_root: B256,
    config: &ProducerConfig,
    now: u64,
) -> Result<Option<PreparedBatch>, ProducerError> {
    let head = node.head_number();
    if head < first {
        return Ok(None);
    }
    let end = head.min(first + config.max_blocks.max(1) - 1);
    let mut blocks = blocks_on(node, first, end, prev_state_root)?;
    let mut batch = prepare_batch(node, index, prev_state_root, &blocks, config.variant)?;
    let full = blocks.len() as u64 >= config.max_blocks || batch.data.len() >= config.max_bytes;
    let age = now.saturating_sub(blocks[0].header.timestamp);
    // Blocks with nothing in them only need to reach L1 now and then (they still advance time).
    let idle = batch.tx_count == 0 && blocks.iter().all(|b| b.l1_messages.is_empty());
    let max_age = if idle { config.max_age.max(IDLE_BATCH_AGE) } else { config.max_age };
    if !full && age < max_age.as_secs() {
        return Ok(None);
    }
    while batch.data.len() > config.max_bytes && blocks.len() > 1 {
        blocks.truncate(blocks.len() / 2);
        batch = prepare_batch(node, index, prev_state_root, &blocks, config.variant)?;
    }
    Ok(Some(batch))
}

/// Table of the block ranges of batches a fraud proof reverted: index → first ‖ last block (u64 BE).
pub const REVERTED_TABLE: &str = "reverted-batches";

/// Notes that batch `index`, blocks `first..=last`, was reverted on L1.
fn remember_reverted(node: &Node, index: u64, first: u64, last: u64) -> Result<(), NodeError> {
    let bytes = [first.to_be_bytes(), last.to_be_bytes()].concat();
    node.records(REVERTED_TABLE).put(index, &bytes)
}

/// The replacement of reverted batch `index` if it starts at `first`: the same blocks, whatever the
/// batching limits say now, once this node has them all. A chain that goes on from the same blocks
/// keeps every follower's applied blocks valid (their derivation cannot unwind), and the replacement
/// posts the data the verifier already checked, with the true roots.
pub fn replacement_batch(
    node: &Node,
    index: u64,
    first: u64,
    prev_state_root: B256,
    variant: Variant,
) -> Result<Option<PreparedBatch>, ProducerError> {
    let Some(bytes) = node.records(REVERTED_TABLE).get(index)? else { return Ok(None) };
    let word = |at: usize| bytes.get(at..at + 8).and_then(|b| b.try_into().ok()).map(u64::from_be_bytes);
    let (Some(f), Some(l)) = (word(0), word(8)) else { return Ok(None) };
    if f != first || l < f || node.head_number() < l {
        return Ok(None);
    }
    let blocks = blocks_on(node, first, l, prev_state_root)?;
    Ok(Some(prepare_batch(node, index, prev_state_root, &blocks, variant)?))
}

/// Blocks `first..=last`, after checking that block `first - 1` ends in the state root L1 has.
pub fn blocks_on(node: &Node, first: u64, last: u64, prev_state_root: B256) -> Result<Vec<Block>, ProducerError> {
    let parent =
        node.header(first - 1)?.ok_or_else(|| NodeError::Inconsistent(format!("missing header {}", first - 1)))?;
    if parent.state_root != prev_state_root {
        return Err(ProducerError::Diverged { block: first - 1, l1: prev_state_root, local: parent.state_root });
    }
    (first..=last)
        .map(|n| node.block(n)?.ok_or_else(|| NodeError::Inconsistent(format!("missing block {n}")).into()))
        .collect()
}

/// The local record of a batch committed on L1 as `header` with `data`.
fn committed_record(
    header: &Rollup::BatchHeader,
    data: &[u8],
    tx_count: u64,
    l1_tx: B256,
    l1_block: u64,
) -> BatchRecord {
    BatchRecord {
        index: header.index,
        status: BatchStatus::Committed,
        first_block: header.firstBlock,
        last_block: header.lastBlock,
        tx_count,
        data_bytes: data.len() as u64,
        data_hash: keccak256(data),
        l1_tx,
        l1_block,
        l1_message_cursor: header.l1MessageCursor,
        claimed_state_root: header.postStateRoot,
        claimed_withdrawals_root: header.withdrawalsRoot,
        claimed_last_block_hash: header.lastBlockHash,
        computed_state_root: None,
        computed_withdrawals_root: None,
        computed_last_block_hash: None,
        error: None,
    }
}

/// Makes the local batch records agree with the L1: forgets records of batches the L1 no longer has (a
/// reorg dropped them), and adopts the L1's last batch when its confirmation was never seen here (a
/// crash, an L1 outage or a timeout between sending and confirming), so withdrawal proofs find it.
async fn sync_records(
    node: &Node,
    l1: &L1Client,
    rollup: &RollupInstance,
    from_block: u64,
    last: u64,
    committed: &Rollup::BatchRecord,
) -> Result<(), ProducerError> {
    let (data_hash, last_hash) = (committed.dataHash, committed.lastBlockHash);
    let in_sync = node
        .blocking(move |n| -> Result<bool, ProducerError> {
            let records = n.records(crate::record::TABLE);
            if let Some((top, _)) = records.last()?.filter(|(top, _)| *top > last) {
                // A fraud proof reverted batches last+1..=top. Remember their block ranges: the
                // replacements re-post the same blocks, so nodes that applied them need not unwind.
                for index in last + 1..=top {
                    if let Some(r) = BatchRecord::load(n, index)? {
                        remember_reverted(n, index, r.first_block, r.last_block)?;
                    }
                }
                records.drop_after(last)?;
            }
            Ok(last == 0
                || BatchRecord::load(n, last)?
                    .is_some_and(|r| r.data_hash == data_hash && r.claimed_last_block_hash == last_hash))
        })
        .await??;
    if in_sync {
        return Ok(());
    }
    let logs =
        rollup.BatchCommitted_filter().topic1(B256::from(U256::from(last))).from_block(from_block).query().await?;
    let (l1_tx, l1_block) = logs
        .last()
        .and_then(|(_, log)| Some((log.transaction_hash?, log.block_number?)))
        .ok_or_else(|| L1Error::Rpc(format!("no BatchCommitted log for batch {last}")))?;
    // Another proposer may have posted it through a contract: then the header comes from storage alone.
    let (header, data) = match l1.commit_call(l1_tx).await? {
        Ok(call) => (call.header, call.data),
        Err(_) => {
            let prev = rollup.batch(last - 1).call().await?;
            let header = Rollup::BatchHeader {
                index: last,
                firstBlock: prev.lastBlock + 1,
                lastBlock: committed.lastBlock,
                l1MessageCursor: committed.l1MessageCursor,
                prevStateRoot: committed.prevStateRoot,
                postStateRoot: committed.postStateRoot,
                withdrawalsRoot: committed.withdrawalsRoot,
                lastBlockHash: committed.lastBlockHash,
            };
            (header, Bytes::new())
        }
    };
    let finalized = rollup.isFinalized(last).call().await?;
    node.blocking(move |n| -> Result<(), ProducerError> {
        let mut tx_count = 0;
        // Bounded by the local head: a batch's claimed last block is whatever its poster wrote.
        for b in header.firstBlock..=header.lastBlock.min(n.head_number()) {
            tx_count += n.block(b)?.map_or(0, |b| b.sequenced().count() as u64);
        }
        let mut record = committed_record(&header, &data, tx_count, l1_tx, l1_block);
        record.data_hash = data_hash;
        if finalized {
            record.status = BatchStatus::Finalized;
        }
        Ok(record.store(n)?)
    })
    .await??;
    info!(index = last, %l1_tx, l1_block, "batch record taken over from L1");
    Ok(())
}

/// Marks the records of batches up to `finalized` (final on L1) finalized, newest first, stopping at the
/// first one already marked (batches finalize in order).
fn mark_finalized(node: &Node, finalized: u64) -> Result<(), ProducerError> {
    for index in (1..=finalized).rev() {
        let Some(mut r) = BatchRecord::load(node, index)? else { break };
        if r.status == BatchStatus::Finalized {
            break;
        }
        r.status = BatchStatus::Finalized;
        r.store(node)?;
    }
    Ok(())
}

/// Finalizes the oldest unfinalized batch (of `committed` on L1) once the L1 allows it: a hybrid batch
/// whose challenge window has passed with no open challenge, or a batch already proven.
async fn finalize_next(
    node: &Node,
    l1: &L1Client,
    rollup: &RollupInstance,
    committed: u64,
    turn: Option<PosterTurn>,
) -> Result<bool, ProducerError> {
    let finalized = rollup.lastFinalizedBatch().call().await?;
    // Batches someone else finalized (a finalizer's proof, a range proof) are final here too.
    node.blocking(move |n| mark_finalized(n, finalized)).await??;
    if finalized >= committed {
        return Ok(false);
    }
    let index = finalized + 1;
    // Ask the L1 itself whether the window has passed: its clock is the one that counts.
    if rollup.finalizeBatch(index).call().await.is_err() {
        return Ok(false);
    }
    // In a set, the member whose turn the batch is finalizes it; the others only once it is overdue.
    if let Some(turn) = turn.filter(|t| !t.delay(index).is_zero()) {
        let (record, window) = (rollup.batch(index).call().await?, rollup.challengeWindow().call().await?);
        let finalizable_at = if record.proven { record.committedAt } else { record.committedAt + window };
        if !turn.may_post(index, finalizable_at, l1.latest_timestamp().await?) {
            return Ok(false);
        }
    }
    l1.confirm(rollup.finalizeBatch(index).send().await?).await?;
    node.blocking(move |n| -> Result<(), ProducerError> {
        if let Some(mut r) = BatchRecord::load(n, index)? {
            r.status = BatchStatus::Finalized;
            r.store(n)?;
        }
        Ok(())
    })
    .await??;
    info!(index, "batch finalized on L1");
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_poster_rotates_and_the_others_step_in_one_after_another() {
        let step = Duration::from_secs(10);
        let turn = |position| PosterTurn { member: Address::ZERO, position, members: 4, step };
        // Batch 5 is member 1's; member 2 steps in after one step, member 0 (three places on) after three.
        assert_eq!(turn(1).delay(5), Duration::ZERO);
        assert_eq!(turn(2).delay(5), step);
        assert_eq!(turn(0).delay(5), 3 * step);
        for index in 1..=8 {
            let delays: Vec<Duration> = (0..4).map(|p| turn(p).delay(index)).collect();
            let mut sorted = delays.clone();
            sorted.sort();
            assert_eq!(sorted, [0, 1, 2, 3].map(|k| k * step), "batch {index}: one member per place");
            assert_eq!(delays[(index % 4) as usize], Duration::ZERO);
        }
        let alone = PosterTurn { member: Address::ZERO, position: 0, members: 1, step };
        assert!((1..5).all(|i| alone.delay(i).is_zero()));
        // Due since second 100: its own member posts at once, the one two places on from second 120.
        assert!(turn(1).may_post(5, 100, 100));
        assert!(!turn(3).may_post(5, 100, 119) && turn(3).may_post(5, 100, 120));
        assert!(!turn(3).may_post(5, u64::MAX, u64::MAX - 1), "no overflow");
        // The Rollup's active set replaces the file's rotation; a member it does not count has no turn.
        let me = PosterTurn { member: Address::repeat_byte(2), ..turn(1) };
        let active = [Address::repeat_byte(5), Address::repeat_byte(2)];
        assert_eq!(me.among(&active), Some(PosterTurn { position: 1, members: 2, ..me }));
        assert_eq!(me.among(&[]), Some(me), "no set on the Rollup: the file's rotation");
        assert_eq!(me.among(&active[..1]), None, "not in the set now");
    }

    fn node(dir: &std::path::Path) -> Node {
        Node::open(mosaic_node::NodeConfig {
            data_dir: dir.to_path_buf(),
            block_time: Duration::ZERO,
            fee_recipient: Default::default(),
            pool: Default::default(),
            genesis_alloc: Vec::new(),
            max_tx_size: mosaic_node::DEFAULT_MAX_TX_SIZE,
            allow_unprotected_txs: false,
            predeploys: Vec::new(),
            genesis_accounts: Vec::new(),
            chain: Default::default(),
        })
        .unwrap()
    }

    /// A reverted batch is replaced by exactly its blocks (whatever the batching limits), only at its
    /// own index and start, only once the node has them all, and never onto another parent state.
    #[tokio::test]
    async fn a_reverted_batch_is_replaced_by_the_same_blocks() {
        let dir = tempfile::tempdir().unwrap();
        let node = node(dir.path());
        for _ in 0..5 {
            node.build_block(None, false).unwrap().expect("a block");
        }
        let root1 = node.header(1).unwrap().unwrap().state_root;
        assert!(replacement_batch(&node, 2, 2, root1, Variant::Signed).unwrap().is_none(), "nothing reverted yet");
        remember_reverted(&node, 2, 2, 4).unwrap();
        remember_reverted(&node, 3, 5, 7).unwrap();
        let batch = replacement_batch(&node, 2, 2, root1, Variant::Signed).unwrap().expect("the replacement");
        assert_eq!((batch.header.index, batch.header.firstBlock, batch.header.lastBlock), (2, 2, 4));
        assert_eq!(batch.header.postStateRoot, node.header(4).unwrap().unwrap().state_root);
        let blocks: Vec<_> = (2..=4).map(|n| node.block(n).unwrap().unwrap()).collect();
        let fresh = prepare_batch(&node, 2, root1, &blocks, Variant::Signed).unwrap();
        assert_eq!(batch.data, fresh.data, "the same data as the reverted batch's blocks");
        // Another start (the chain went on differently), another index, blocks not there yet.
        assert!(replacement_batch(&node, 2, 3, root1, Variant::Signed).unwrap().is_none());
        assert!(replacement_batch(&node, 4, 5, root1, Variant::Signed).unwrap().is_none());
        let root4 = node.header(4).unwrap().unwrap().state_root;
        assert!(replacement_batch(&node, 3, 5, root4, Variant::Signed).unwrap().is_none(), "block 7 missing");
        // The L1's previous root is not this node's: refused loudly.
        let wrong = replacement_batch(&node, 2, 2, B256::repeat_byte(1), Variant::Signed);
        assert!(matches!(wrong, Err(ProducerError::Diverged { block: 1, .. })), "{wrong:?}");
    }
}
