//! The finalizer: what turns proofs into L1 finality. Every round it looks at the oldest unfinalized
//! batches on L1 and asks its [`ValidityProofSource`] for a proof that finalizes them:
//! - for zk batches, an aggregate proof of the longest range starting at the first unfinalized batch
//!   (`Rollup.finalizeRange`: one SNARK for many batches), when the Rollup has an aggregate verifier;
//! - otherwise a proof of one batch's committed journal (`Rollup.proveBatch`), which finalizes a zk
//!   batch, finalizes a hybrid one without waiting out its window, and ends a challenge against it.
//!
//! It keeps no state of its own (everything it needs is on L1), so it resumes after any restart, and it
//! never posts a proof the Rollup would refuse (each is dry-run first). Several finalizers may run:
//! the first proof to land wins, the others' dry runs then fail and nothing is sent.
use alloy::primitives::Bytes;
use alloy_primitives::{Address, B256};
use mosaic_rollup::{contracts::Rollup, l1::Backoff, rpc::StatusSection, L1Client, L1Contracts, L1Error};
use mosaic_snark::ProofDirectory;
use parking_lot::Mutex;
use prometheus::{IntCounter, Registry};
use serde::Serialize;
use std::sync::Arc;
use tracing::{info, warn};

type RollupInstance = Rollup::RollupInstance<alloy::providers::DynProvider>;

/// Why a finalizer round failed (retried with backoff).
#[derive(Debug, thiserror::Error)]
pub enum FinalizerError {
    /// L1 trouble.
    #[error(transparent)]
    L1(#[from] L1Error),
    /// The proof source failed.
    #[error("proof source: {0}")]
    Source(String),
}

impl From<alloy::contract::Error> for FinalizerError {
    fn from(e: alloy::contract::Error) -> Self {
        Self::L1(e.into())
    }
}

impl From<alloy::transports::TransportError> for FinalizerError {
    fn from(e: alloy::transports::TransportError) -> Self {
        Self::L1(e.into())
    }
}

/// Something that makes, or has, SNARKs of batch journals and of aggregate journals.
pub trait ValidityProofSource: Send + Sync + 'static {
    /// The proof bytes the Rollup takes (a SNARK's on-chain form) for the statement whose hash is
    /// `hash` — a batch's journal hash or an aggregate journal's — once one exists; `Ok(None)` while
    /// it is not ready. Called on the blocking pool.
    fn proof(&self, hash: B256) -> Result<Option<Vec<u8>>, String>;
}

/// A folder of SNARK files named by the statement they prove (what `mosaic snark wrap` and the node's
/// prover write).
impl ValidityProofSource for ProofDirectory {
    fn proof(&self, hash: B256) -> Result<Option<Vec<u8>>, String> {
        Ok(self.get(hash).map_err(|e| e.to_string())?.map(|p| p.onchain_proof()))
    }
}

/// How far the finalizer looks.
#[derive(Debug, Clone, Copy)]
pub struct FinalizerConfig {
    /// Longest range one aggregate proof may finalize (the aggregation guest's batch count; the L1 cost
    /// grows by ≈ 2.4k gas per batch over a ≈ 345k base).
    pub max_range: u64,
    /// How many unfinalized batches a round looks at for single-batch proofs.
    pub scan: u64,
}

impl Default for FinalizerConfig {
    fn default() -> Self {
        Self { max_range: 16, scan: 32 }
    }
}

/// What one round posted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase", tag = "kind")]
pub enum Posted {
    /// An aggregate proof finalized batches `from..=to`.
    Range {
        /// First batch.
        from: u64,
        /// Last batch.
        to: u64,
        /// The L1 transaction.
        tx: B256,
    },
    /// A proof of batch `index` was accepted.
    Batch {
        /// The batch.
        index: u64,
        /// The L1 transaction.
        tx: B256,
    },
    /// A batch proven earlier was finalized once its predecessor was.
    Finalized {
        /// The batch.
        index: u64,
        /// The L1 transaction.
        tx: B256,
    },
}

/// The finalizer's section of `mosaic_rollupStatus`.
#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FinalizerStatus {
    /// The account it sends from.
    pub address: Address,
    /// The last batch finalized on L1, as it last read.
    pub last_finalized_batch: u64,
    /// The last batch committed on L1, as it last read.
    pub last_committed_batch: u64,
    /// What it posted last.
    pub last_posted: Option<Posted>,
    /// The statement (journal hash) it waits for a proof of, for the first unfinalized batch.
    pub waiting_for: Option<B256>,
    /// The last failure, until a round succeeds.
    pub last_error: Option<String>,
}

/// The finalizer's counters (`/metrics`, `mosaic_finalizer_*`).
#[derive(Clone)]
pub struct FinalizerMetrics {
    /// Aggregate proofs accepted on L1.
    pub range_proofs: IntCounter,
    /// Single-batch proofs accepted on L1.
    pub batch_proofs: IntCounter,
    /// Batches that became final by this finalizer's transactions.
    pub batches_finalized: IntCounter,
}

impl FinalizerMetrics {
    /// Registers the counters in `registry` (once per node).
    pub fn register(registry: &Registry) -> Result<Self, prometheus::Error> {
        let counter = |name: &str, help: &str| mosaic_node::register_counter(registry, name, help);
        Ok(Self {
            range_proofs: counter("finalizer_range_proofs_total", "Aggregate proofs accepted on L1")?,
            batch_proofs: counter("finalizer_batch_proofs_total", "Single-batch proofs accepted on L1")?,
            batches_finalized: counter("finalizer_batches_finalized_total", "Batches finalized by this node")?,
        })
    }
}

/// The finalizer service.
pub struct Finalizer {
    l1: L1Client,
    rollup: RollupInstance,
    source: Arc<dyn ValidityProofSource>,
    metrics: FinalizerMetrics,
    config: FinalizerConfig,
    status: Arc<Mutex<FinalizerStatus>>,
}

impl Finalizer {
    /// A finalizer of the Rollup of `c`, sending from `l1`'s account, with proofs from `source`.
    pub fn new(
        l1: L1Client,
        c: &L1Contracts,
        source: Arc<dyn ValidityProofSource>,
        metrics: FinalizerMetrics,
        config: FinalizerConfig,
    ) -> Self {
        let rollup = Rollup::new(c.rollup, l1.provider().clone());
        let status = FinalizerStatus { address: l1.address(), ..Default::default() };
        Self { l1, rollup, source, metrics, config, status: Arc::new(Mutex::new(status)) }
    }

    /// Its section of `mosaic_rollupStatus`.
    pub fn status_section(&self) -> Arc<dyn StatusSection> {
        Arc::new(Section(self.status.clone()))
    }

    /// Finalizes forever; failures are retried with backoff.
    pub async fn run(self) -> Result<(), FinalizerError> {
        let mut backoff = Backoff::default();
        info!(address = %self.l1.address(), "finalizer on: batches finalize as their proofs appear");
        loop {
            match self.round().await {
                Ok(posted) => {
                    backoff.reset();
                    self.status.lock().last_error = None;
                    // Straight on after a success: the next range may be ready too.
                    if posted.is_none() {
                        tokio::time::sleep(self.l1.poll).await;
                    }
                }
                Err(e) => {
                    self.status.lock().last_error = Some(e.to_string());
                    backoff.fail("finalizer", e.to_string()).await;
                }
            }
        }
    }

    async fn find(&self, hash: B256) -> Result<Option<Bytes>, FinalizerError> {
        let source = self.source.clone();
        let found = tokio::task::spawn_blocking(move || source.proof(hash))
            .await
            .map_err(|e| FinalizerError::Source(format!("the proof source panicked: {e}")))?
            .map_err(FinalizerError::Source)?;
        Ok(found.map(Bytes::from))
    }

    /// One pass; what it posted, if anything.
    pub async fn round(&self) -> Result<Option<Posted>, FinalizerError> {
        // One transaction in flight at a time.
        if self.l1.has_pending().await? {
            return Ok(None);
        }
        let finalized = self.rollup.lastFinalizedBatch().call().await?;
        let committed = self.rollup.lastCommittedBatch().call().await?;
        {
            let mut s = self.status.lock();
            s.last_finalized_batch = finalized;
            s.last_committed_batch = committed;
        }
        if finalized >= committed {
            self.status.lock().waiting_for = None;
            return Ok(None);
        }
        let from = finalized + 1;
        if let Some(posted) = self.range(from, committed).await? {
            return Ok(Some(posted));
        }
        let last = committed.min(from + self.config.scan.max(1) - 1);
        let mut from_proven = false;
        for index in from..=last {
            let record = self.rollup.batch(index).call().await?;
            if record.proven {
                from_proven |= index == from;
                continue;
            }
            let hash = self.rollup.publicInputsHash(index).call().await?;
            if index == from {
                self.status.lock().waiting_for = Some(hash);
            }
            let Some(proof) = self.find(hash).await? else { continue };
            if let Err(e) = self.rollup.proveBatch(index, proof.clone()).call().await {
                warn!(index, "the Rollup refuses the proof of batch {index}: {e}");
                continue;
            }
            let receipt = self.l1.confirm(self.rollup.proveBatch(index, proof).send().await?).await?;
            let tx = receipt.transaction_hash;
            self.metrics.batch_proofs.inc();
            let now = self.rollup.lastFinalizedBatch().call().await?;
            self.metrics.batches_finalized.inc_by(now.saturating_sub(finalized));
            info!(index, %tx, final_up_to = now, "batch proof accepted on L1");
            return Ok(Some(self.posted(Posted::Batch { index, tx })));
        }
        // A batch proven while an earlier one was not final finalizes once it is next.
        if from_proven && self.rollup.finalizeBatch(from).call().await.is_ok() {
            let receipt = self.l1.confirm(self.rollup.finalizeBatch(from).send().await?).await?;
            self.metrics.batches_finalized.inc();
            return Ok(Some(self.posted(Posted::Finalized { index: from, tx: receipt.transaction_hash })));
        }
        Ok(None)
    }

    /// The longest range of zk batches from `from` (at most `max_range`, within `committed`) whose
    /// aggregate proof the source has, finalized on L1.
    async fn range(&self, from: u64, committed: u64) -> Result<Option<Posted>, FinalizerError> {
        if self.config.max_range == 0 || self.rollup.aggregateVerifier().call().await?.is_zero() {
            return Ok(None);
        }
        let zk_from = self.rollup.zkFromBatch().call().await?;
        if zk_from == 0 || from < zk_from {
            return Ok(None);
        }
        let top = committed.min(from + self.config.max_range - 1);
        for to in (from..=top).rev() {
            let hash = self.rollup.aggregateInputsHash(from, to).call().await?;
            let Some(proof) = self.find(hash).await? else { continue };
            if let Err(e) = self.rollup.finalizeRange(to, proof.clone()).call().await {
                warn!(from, to, "the Rollup refuses the aggregate proof of batches {from}..={to}: {e}");
                continue;
            }
            let receipt = self.l1.confirm(self.rollup.finalizeRange(to, proof).send().await?).await?;
            let tx = receipt.transaction_hash;
            self.metrics.range_proofs.inc();
            self.metrics.batches_finalized.inc_by(to - from + 1);
            info!(from, to, %tx, "aggregate proof accepted on L1: the range is final");
            return Ok(Some(self.posted(Posted::Range { from, to, tx })));
        }
        Ok(None)
    }

    fn posted(&self, p: Posted) -> Posted {
        let mut s = self.status.lock();
        s.last_posted = Some(p);
        s.waiting_for = None;
        p
    }
}

struct Section(Arc<Mutex<FinalizerStatus>>);

impl StatusSection for Section {
    fn key(&self) -> &'static str {
        "finalizer"
    }

    fn status(&self) -> serde_json::Value {
        serde_json::to_value(&*self.0.lock()).unwrap_or_default()
    }
}
