//! The fallback proposer: a full node that takes over when the Rollup lets anyone commit.
//!
//! The Rollup opens its commits to anyone bonded (`fallbackOpen()`) when no proposer — nor member of the
//! sequencer set — has committed for `fallbackDelay`, or when the proposers leave an L1 message past its
//! inclusion deadline; anyone then commits with a proof of the batch's journal (`commitProvenBatch`),
//! which makes it final at once. A node started with a fallback key derives the chain from L1 like any
//! full node; once the fallback is open and it has derived every committed batch, it builds blocks on
//! that head (the L1 deposits first, then the transactions sent to its RPC, which it refused until then),
//! prepares the next batch, and posts it with its key and bond once the batch's proof is in its
//! [`FallbackProofs`] (a prover works from [`FallbackStatus::awaiting`]). If a proposer commits again the
//! fallback closes: the blocks this node built after its last posted batch are not the chain's, and it
//! stops (the supervisor reports why). Blocks a set decided but never posted are lost to the chain.
use crate::{
    contracts::{L1Contracts, Rollup},
    derive::{DeriveError, DeriveStatus, Deriver},
    l1::{L1Client, L1Error},
    producer::{run_producer, AwaitedProof, FallbackPosting, FallbackProofs, ProducerConfig, ProducerError},
    rpc::StatusSection,
    watcher::run_deposit_watcher,
    RollupMetrics,
};
use alloy_primitives::Address;
use mosaic_node::Node;
use parking_lot::Mutex;
use serde::Serialize;
use std::sync::{
    atomic::{AtomicBool, Ordering},
    Arc,
};
use tracing::info;

/// Why the fallback proposer stopped.
#[derive(Debug, thiserror::Error)]
pub enum FallbackError {
    /// Derivation cannot go on.
    #[error("derivation: {0}")]
    Derive(#[from] DeriveError),
    /// Posting cannot go on (the fallback closed, or the chain diverged).
    #[error("posting: {0}")]
    Producer(#[from] ProducerError),
    /// Block production failed for good.
    #[error("block production: {0}")]
    Sequencer(#[from] mosaic_node::BlockingError),
}

/// Where the fallback proposer stands (`mosaic_rollupStatus`'s `fallback` section).
#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FallbackStatus {
    /// The account that posts and bonds the fallback's batches.
    pub poster: Address,
    /// Whether the Rollup's fallback was open at the last look (while deriving).
    pub open: bool,
    /// Whether this node builds and posts blocks (it took over).
    pub sequencing: bool,
    /// The prepared batch it posts once its proof exists.
    pub awaiting: Option<AwaitedProof>,
}

/// A full node's fallback proposer: derives until the fallback opens, then sequences and posts.
pub struct Fallback {
    deriver: Deriver,
    node: Node,
    l1: L1Client,
    contracts: L1Contracts,
    producer: ProducerConfig,
    metrics: RollupMetrics,
    accepting: Arc<AtomicBool>,
    status: Arc<Mutex<FallbackStatus>>,
    awaiting: Arc<Mutex<Option<AwaitedProof>>>,
}

impl Fallback {
    /// A fallback proposer for `node`, deriving with `deriver` and posting from `l1`'s account with
    /// `producer`'s batch limits and the proofs of `proofs`. `accepting` is set once it sequences (its
    /// RPC then takes transactions).
    pub fn new(
        (deriver, node, l1, contracts): (Deriver, Node, L1Client, L1Contracts),
        producer: ProducerConfig,
        proofs: Arc<dyn FallbackProofs>,
        metrics: RollupMetrics,
        accepting: Arc<AtomicBool>,
    ) -> Self {
        let status = FallbackStatus { poster: l1.address(), ..Default::default() };
        let awaiting = Arc::new(Mutex::new(None));
        let posting = FallbackPosting { proofs, awaiting: awaiting.clone() };
        let producer = ProducerConfig { fallback: Some(posting), turn: None, attesters: Vec::new(), ..producer };
        let status = Arc::new(Mutex::new(status));
        Self { deriver, node, l1, contracts, producer, metrics, accepting, status, awaiting }
    }

    /// The batch it waits for a proof of (shared: a prover reads it).
    pub fn awaiting(&self) -> Arc<Mutex<Option<AwaitedProof>>> {
        self.awaiting.clone()
    }

    /// Its `mosaic_rollupStatus` section.
    pub fn status_section(&self) -> Arc<dyn StatusSection> {
        Arc::new(Section(self.status.clone(), self.awaiting.clone()))
    }

    /// Derives until the fallback opens with every committed batch derived, then builds and posts
    /// blocks until it must stop.
    pub async fn run(mut self) -> Result<(), FallbackError> {
        let rollup = Rollup::new(self.contracts.rollup, self.l1.provider().clone());
        let status = self.status.clone();
        self.deriver
            .run_until(|derived: DeriveStatus| {
                let (rollup, status) = (rollup.clone(), status.clone());
                async move {
                    let ready = ready(&rollup, &derived).await?;
                    status.lock().open = ready.is_some();
                    Ok(ready == Some(true))
                }
            })
            .await?;
        let head = self.node.head_number();
        info!(head, poster = %self.l1.address(), "the Rollup's fallback is open: this node now builds blocks and posts them");
        self.status.lock().sequencing = true;
        self.accepting.store(true, Ordering::SeqCst);
        let (node, l1, contracts, metrics) = (self.node, self.l1, self.contracts, self.metrics);
        let deposits = run_deposit_watcher(node.clone(), l1.clone(), contracts.clone(), metrics.clone());
        let blocks = mosaic_node::run_sequencer(node.clone());
        let posting = run_producer(node, l1, contracts, self.producer, metrics);
        tokio::select! {
            r = deposits => match r {
                Ok(()) => Ok(()),
                Err(never) => match never {},
            },
            r = blocks => r.map_err(Into::into),
            r = posting => r.map_err(Into::into),
        }
    }
}

/// Whether this node may take over now: `None` while the fallback is closed, `Some(false)` while it is
/// open but the node still has batches to derive, `Some(true)` when it takes over.
async fn ready(
    rollup: &Rollup::RollupInstance<alloy::providers::DynProvider>,
    derived: &DeriveStatus,
) -> Result<Option<bool>, DeriveError> {
    if !rollup.fallbackOpen().call().await? {
        return Ok(None);
    }
    // Take over only on top of every committed batch (the deriver reads at confirmed depth; the
    // commit may be newer), else the first post would not chain; and never on top of a batch whose
    // claims its data contradicts (a challenger's business: nothing true builds on it), nor while
    // derivation is halted.
    let ready = rollup.lastCommittedBatch().call().await? == derived.derived_batch
        && !derived.faults.contains(&derived.derived_batch)
        && derived.halted_at.is_none();
    Ok(Some(ready))
}

struct Section(Arc<Mutex<FallbackStatus>>, Arc<Mutex<Option<AwaitedProof>>>);

impl StatusSection for Section {
    fn key(&self) -> &'static str {
        "fallback"
    }

    fn status(&self) -> serde_json::Value {
        let mut status = self.0.lock().clone();
        status.awaiting = self.1.lock().clone();
        serde_json::to_value(&status).unwrap_or_default()
    }
}

impl From<L1Error> for FallbackError {
    fn from(e: L1Error) -> Self {
        Self::Derive(e.into())
    }
}
