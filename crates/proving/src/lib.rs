//! The node's validity-proof pipeline for zk batches: every committed zk batch gets its recursive STARK,
//! a run of consecutive proven batches is aggregated into one STARK, and that is wrapped into one SNARK,
//! written into the folder the finalizer posts from (`<aggregate journal hash>.snark`, which
//! `Rollup.finalizeRange` accepts for the whole run). Without aggregation keys each batch's STARK is
//! wrapped on its own instead (`<journal hash>.snark`, for `Rollup.proveBatch`).
//!
//! The queue lives in the node's database — the `validity-jobs` table (one job per batch: proving,
//! proven, failed) and the `validity-ranges` table (one per range: aggregating, wrapping, done, failed) —
//! with the proofs themselves as files beside it, each written atomically. A restart or `kill -9` resumes
//! the step that was under way. The proving itself is behind [`ProofStages`] (OpenVM and the halo2 wrap in
//! a `mosaic` built with the `prover` feature), so this crate links no prover.
//!
//! Ranges: a range starts after the last one made (or at the first zk batch not final on L1) and closes
//! when it holds `max_range` proven batches, or when every committed batch is proven (the prover has
//! caught up): under load ranges grow to `max_range`, when idle the latest batches are not kept waiting.
use alloy_primitives::B256;
use mosaic_node::{Node, NodeError};
use mosaic_rollup::{BatchRecord, BatchStatus};
use mosaic_snark::{ProofDirectory, SnarkProof};
use parking_lot::Mutex;
use serde::{Deserialize, Serialize};
use std::{
    path::{Path, PathBuf},
    sync::Arc,
    time::{Duration, Instant},
};
use tracing::{info, warn};

/// The node's table of per-batch proving jobs.
pub const JOBS_TABLE: &str = "validity-jobs";
/// The node's table of range jobs (aggregate and wrap), keyed by their first batch.
pub const RANGES_TABLE: &str = "validity-ranges";

/// A proof a stage made, and the hash of the journal it proves (a batch's or an aggregate's).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Proven {
    /// The journal hash the proof reveals.
    pub journal_hash: B256,
    /// The proof, in the stage's own encoding (what the next stage reads).
    pub bytes: Vec<u8>,
}

/// Why a stage failed (recorded on the job; retried up to [`PipelineConfig::max_attempts`] times).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct StageError(pub String);

/// The provers the pipeline drives. Called on the pipeline's own thread, one at a time.
pub trait ProofStages: Send + 'static {
    /// The recursive STARK of batch `record` (its blocks are in `node`).
    fn prove_batch(&mut self, node: &Node, record: &BatchRecord) -> Result<Proven, StageError>;
    /// Whether [`ProofStages::aggregate`] can run (the aggregation guest and its SNARK keys exist).
    fn can_aggregate(&self) -> bool;
    /// One STARK aggregating `batches` (consecutive batches' [`ProofStages::prove_batch`] outputs, in
    /// order).
    fn aggregate(&mut self, batches: &[Vec<u8>]) -> Result<Proven, StageError>;
    /// The SNARK of `proof`: an aggregate's if `aggregate`, else a batch STARK's.
    fn wrap(&mut self, proof: &Proven, aggregate: bool) -> Result<SnarkProof, StageError>;
}

/// Where a batch's STARK stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum JobState {
    /// Being proven (or was, when the node stopped: proven again).
    Proving,
    /// The STARK is on disk.
    Proven,
    /// Proving failed.
    Failed,
}

/// One batch's proving job.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Job {
    /// The batch.
    pub index: u64,
    /// The batch data it proves (a batch replaced after a revert is proven again).
    pub data_hash: B256,
    /// State.
    pub state: JobState,
    /// The journal hash its STARK reveals, once proven.
    pub journal_hash: Option<B256>,
    /// Tries so far.
    pub attempts: u32,
    /// Seconds the last try took.
    pub seconds: f64,
    /// Why the last try failed.
    pub error: Option<String>,
}

/// Where a range stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum RangeState {
    /// The batch STARKs are being aggregated.
    Aggregating,
    /// The aggregate (or, without aggregation, the one batch STARK) is being wrapped.
    Wrapping,
    /// The SNARK is in the output folder.
    Done,
    /// A step failed `max_attempts` times.
    Failed,
}

/// One range job: batches `from..=to`, one SNARK.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RangeJob {
    /// First batch.
    pub from: u64,
    /// Last batch.
    pub to: u64,
    /// Aggregated (`finalizeRange`) or one batch wrapped alone (`proveBatch`).
    pub aggregate: bool,
    /// State.
    pub state: RangeState,
    /// The journal hash the SNARK states, once known.
    pub journal_hash: Option<B256>,
    /// Tries of the current step.
    pub attempts: u32,
    /// Why the last try failed.
    pub error: Option<String>,
}

/// What one [`Pipeline::step`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// Nothing to do.
    Idle,
    /// Proved batch `index`'s STARK (or failed to: see its job).
    Proved(u64),
    /// Aggregated batches `from..=to` (or failed to).
    Aggregated(u64, u64),
    /// Wrapped the range starting at `from` and wrote its SNARK (or failed to).
    Wrapped(u64),
}

/// Settings of the pipeline.
#[derive(Debug, Clone)]
pub struct PipelineConfig {
    /// Where STARKs and aggregates are kept (`batch-N.stark`, `range-A-B.agg`).
    pub work_dir: PathBuf,
    /// Where SNARKs go (the finalizer's folder).
    pub out: ProofDirectory,
    /// Most batches per aggregate.
    pub max_range: u64,
    /// Tries of a failing step before it is given up (reported; a restart tries again).
    pub max_attempts: u32,
}

/// The first zk batch as the L1 last said (`None` while the chain is hybrid).
pub type ZkFrom = Arc<dyn Fn() -> Option<u64> + Send + Sync>;

/// The pipeline's section of `mosaic_rollupStatus`.
#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PipelineStatus {
    /// The last step that did something.
    pub last_step: Option<String>,
    /// The last range whose SNARK is written.
    pub last_range: Option<RangeJob>,
    /// The last failure.
    pub last_error: Option<String>,
}

/// The pipeline over one node.
pub struct Pipeline<S> {
    node: Node,
    stages: S,
    config: PipelineConfig,
    zk_from: ZkFrom,
    status: Arc<Mutex<PipelineStatus>>,
}

fn load<T: serde::de::DeserializeOwned>(node: &Node, table: &'static str, index: u64) -> Result<Option<T>, NodeError> {
    Ok(node.records(table).get(index)?.and_then(|b| serde_json::from_slice(&b).ok()))
}

fn store<T: Serialize>(node: &Node, table: &'static str, index: u64, value: &T) -> Result<(), NodeError> {
    // Plain structs of numbers, hashes and strings always serialize.
    node.records(table).put(index, &serde_json::to_vec(value).unwrap_or_default())
}

/// The jobs of the latest `count` batches that have one, newest first: the queue as
/// `mosaic_rollupStatus` (and the explorer's "proofs in progress") shows it.
pub fn recent_jobs(node: &Node, count: u64) -> Result<Vec<Job>, NodeError> {
    let Some((last, _)) = node.records(JOBS_TABLE).last()? else { return Ok(Vec::new()) };
    let mut jobs = Vec::new();
    for index in (last.saturating_sub(count.saturating_sub(1))..=last).rev() {
        if let Some(job) = load(node, JOBS_TABLE, index)? {
            jobs.push(job);
        }
    }
    Ok(jobs)
}

fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, bytes)?;
    std::fs::rename(&tmp, path)
}

impl<S: ProofStages> Pipeline<S> {
    /// A pipeline proving `node`'s zk batches (from `zk_from`) with `stages`.
    pub fn new(node: Node, stages: S, config: PipelineConfig, zk_from: ZkFrom) -> Self {
        Self { node, stages, config, zk_from, status: Arc::default() }
    }

    /// Its status, for `mosaic_rollupStatus`.
    pub fn status(&self) -> Arc<Mutex<PipelineStatus>> {
        self.status.clone()
    }

    fn stark_path(&self, index: u64) -> PathBuf {
        self.config.work_dir.join(format!("batch-{index}.stark"))
    }

    fn aggregate_path(&self, from: u64, to: u64) -> PathBuf {
        self.config.work_dir.join(format!("range-{from}-{to}.agg"))
    }

    /// Works forever on the calling thread (blocking: proving takes minutes); idles 2 s when there is
    /// nothing to do. A database failure is logged and retried.
    pub fn run(mut self) -> ! {
        loop {
            match self.step() {
                Ok(Step::Idle) => std::thread::sleep(Duration::from_secs(2)),
                Ok(_) => {}
                Err(e) => {
                    warn!(error = %e, "validity prover: the node's database failed");
                    self.status.lock().last_error = Some(e.to_string());
                    std::thread::sleep(Duration::from_secs(5));
                }
            }
        }
    }

    /// One unit of work: continue an unfinished range, else prove the next batch, else open a range.
    pub fn step(&mut self) -> Result<Step, NodeError> {
        let Some(zk_from) = (self.zk_from)() else { return Ok(Step::Idle) };
        let last: Option<RangeJob> =
            self.node.records(RANGES_TABLE).last()?.and_then(|(_, b)| serde_json::from_slice(&b).ok());
        let mut start = zk_from;
        if let Some(r) = &last {
            match r.state {
                RangeState::Aggregating | RangeState::Wrapping => return self.advance(r.clone()),
                // Given up: reported, and tried again after a restart.
                RangeState::Failed => return Ok(Step::Idle),
                RangeState::Done => start = start.max(r.to + 1),
            }
        }
        // Batches final on L1 already (finalized by someone else's proof) need no proof from here.
        while BatchRecord::load(&self.node, start)?.is_some_and(|r| r.status == BatchStatus::Finalized) {
            start += 1;
        }
        let mut proven = 0;
        while proven < self.config.max_range {
            let index = start + proven;
            let Some(record) = BatchRecord::load(&self.node, index)? else { break };
            let job: Option<Job> = load(&self.node, JOBS_TABLE, index)?;
            match job {
                Some(j) if j.data_hash == record.data_hash && j.state == JobState::Proven => proven += 1,
                Some(j)
                    if j.data_hash == record.data_hash
                        && j.state == JobState::Failed
                        && j.attempts >= self.config.max_attempts =>
                {
                    return Ok(Step::Idle)
                }
                prior => return self.prove(&record, prior),
            }
        }
        if proven == 0 {
            return Ok(Step::Idle);
        }
        let aggregate = self.stages.can_aggregate();
        let to = if aggregate { start + proven - 1 } else { start };
        let range = RangeJob {
            from: start,
            to,
            aggregate,
            state: if aggregate { RangeState::Aggregating } else { RangeState::Wrapping },
            journal_hash: None,
            attempts: 0,
            error: None,
        };
        store(&self.node, RANGES_TABLE, start, &range)?;
        self.advance(range)
    }

    fn prove(&mut self, record: &BatchRecord, prior: Option<Job>) -> Result<Step, NodeError> {
        let index = record.index;
        let attempts = prior.filter(|j| j.data_hash == record.data_hash).map_or(0, |j| j.attempts) + 1;
        let mut job = Job {
            index,
            data_hash: record.data_hash,
            state: JobState::Proving,
            journal_hash: None,
            attempts,
            seconds: 0.0,
            error: None,
        };
        store(&self.node, JOBS_TABLE, index, &job)?;
        info!(batch = index, attempt = attempts, "validity prover: proving the batch's recursive STARK");
        let started = Instant::now();
        let result = self.stages.prove_batch(&self.node, record).and_then(|p| {
            write_atomically(&self.stark_path(index), &p.bytes)
                .map_err(|e| StageError(format!("{}: {e}", self.stark_path(index).display())))
                .map(|()| p.journal_hash)
        });
        job.seconds = started.elapsed().as_secs_f64();
        match result {
            Ok(hash) => {
                job.state = JobState::Proven;
                job.journal_hash = Some(hash);
                info!(batch = index, seconds = job.seconds, journal = %hash, "validity prover: batch STARK ready");
            }
            Err(e) => {
                job.state = JobState::Failed;
                job.error = Some(e.to_string());
                warn!(batch = index, error = %e, "validity prover: the batch could not be proven");
                self.status.lock().last_error = Some(format!("batch {index}: {e}"));
            }
        }
        store(&self.node, JOBS_TABLE, index, &job)?;
        self.status.lock().last_step = Some(format!("proved batch {index}"));
        Ok(Step::Proved(index))
    }

    /// Moves range `r` one step on (aggregate, or wrap and write).
    fn advance(&mut self, mut r: RangeJob) -> Result<Step, NodeError> {
        if r.attempts >= self.config.max_attempts {
            r.state = RangeState::Failed;
            store(&self.node, RANGES_TABLE, r.from, &r)?;
            return Ok(Step::Idle);
        }
        r.attempts += 1;
        let step = match r.state {
            RangeState::Aggregating => {
                info!(from = r.from, to = r.to, "validity prover: aggregating");
                let result = (r.from..=r.to)
                    .map(|i| {
                        std::fs::read(self.stark_path(i)).map_err(|e| StageError(format!("batch {i}'s STARK: {e}")))
                    })
                    .collect::<Result<Vec<_>, _>>()
                    .and_then(|starks| self.stages.aggregate(&starks))
                    .and_then(|p| {
                        let path = self.aggregate_path(r.from, r.to);
                        write_atomically(&path, &p.bytes)
                            .map_err(|e| StageError(format!("{}: {e}", path.display())))
                            .map(|()| p.journal_hash)
                    });
                match result {
                    Ok(hash) => {
                        r.journal_hash = Some(hash);
                        r.state = RangeState::Wrapping;
                        r.attempts = 0;
                        r.error = None;
                    }
                    Err(e) => r.error = Some(e.to_string()),
                }
                Step::Aggregated(r.from, r.to)
            }
            RangeState::Wrapping => {
                info!(from = r.from, to = r.to, aggregate = r.aggregate, "validity prover: wrapping into a SNARK");
                let input = if r.aggregate {
                    let hash = r.journal_hash.unwrap_or_default();
                    std::fs::read(self.aggregate_path(r.from, r.to)).map(|bytes| Proven { journal_hash: hash, bytes })
                } else {
                    let hash = load::<Job>(&self.node, JOBS_TABLE, r.from)?.and_then(|j| j.journal_hash);
                    std::fs::read(self.stark_path(r.from))
                        .map(|bytes| Proven { journal_hash: hash.unwrap_or_default(), bytes })
                };
                let result = input
                    .map_err(|e| StageError(format!("the proof to wrap: {e}")))
                    .and_then(|p| self.stages.wrap(&p, r.aggregate).map(|s| (p.journal_hash, s)))
                    .and_then(|(expected, snark)| {
                        let stated = snark.statement().map_err(|e| StageError(e.to_string()))?.public_values;
                        if stated != expected.as_slice() {
                            return Err(StageError(format!("the SNARK states another journal than {expected}")));
                        }
                        self.config.out.put(&snark).map_err(|e| StageError(e.to_string()))
                    });
                match result {
                    Ok(path) => {
                        r.state = RangeState::Done;
                        r.error = None;
                        info!(from = r.from, to = r.to, file = %path.display(), "validity prover: SNARK ready for L1");
                        self.status.lock().last_range = Some(r.clone());
                    }
                    Err(e) => r.error = Some(e.to_string()),
                }
                Step::Wrapped(r.from)
            }
            RangeState::Done | RangeState::Failed => return Ok(Step::Idle),
        };
        if let Some(e) = &r.error {
            warn!(from = r.from, to = r.to, error = %e, "validity prover: the range step failed");
            self.status.lock().last_error = Some(format!("batches {}..={}: {e}", r.from, r.to));
        }
        store(&self.node, RANGES_TABLE, r.from, &r)?;
        self.status.lock().last_step = Some(format!("{step:?}"));
        Ok(step)
    }
}

#[cfg(test)]
mod tests;
