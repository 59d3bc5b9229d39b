//! The node's validity-proof planner for zk batches: every committed zk batch gets a job for its
//! recursive STARK, a run of consecutive proven batches gets an aggregation job, and that a SNARK wrap
//! job, whose SNARK is written into the folder the finalizer posts from (`<aggregate journal hash>.snark`,
//! which `Rollup.finalizeRange` accepts for the whole run). Without aggregation each batch's STARK is
//! wrapped on its own instead (`<journal hash>.snark`, for `Rollup.proveBatch`).
//!
//! The jobs go to a [`JobQueue`] (`mosaic-prover-queue`): the node's embedded one by default, with a
//! worker thread in the node's process, or PostgreSQL shared with a fleet of `mosaic prover worker`s.
//! The planner builds each batch's witness from the node's blocks ([`WitnessSource`]: no zkVM needed)
//! and stores it as an artifact; workers read their inputs from and write their outputs to the shared
//! [`ArtifactStore`]. Job keys name what they prove (batch index and data hash), so planning again
//! after a restart or `kill -9` finds the jobs already there; the planner's own state — which ranges it
//! made — is the `validity-ranges` table of the node's database.
//!
//! Ranges: a range starts after the last one made (or at the first zk batch not final on L1); it is
//! queued as soon as `max_range` batches have jobs (its aggregation and wrap wait for them in the
//! queue), or, shorter, when every committed batch is proven (the provers have caught up): under load
//! ranges grow to `max_range`, when idle the latest batches are not kept waiting.
//! Batch jobs are queued as soon as their batch is committed, so several workers prove batches at once.
use alloy_primitives::{keccak256, B256};
use mosaic_node::{Node, NodeError};
use mosaic_prover_queue::{
    ArtifactStore, Job, JobQueue, JobState, KindStats, NewJob, Output, Program, QueueError, Task,
};
use mosaic_rollup::{BatchRecord, BatchStatus};
use mosaic_snark::{ProofDirectory, SnarkProof};
use parking_lot::Mutex;
use serde::{Deserialize, Serialize};
use std::{path::PathBuf, sync::Arc, time::Duration};
use tracing::{info, warn};

mod metrics;
pub use metrics::ProvingMetrics;

/// The node's table of ranges (aggregate and wrap jobs), keyed by their first batch.
pub const RANGES_TABLE: &str = "validity-ranges";

/// Memory a batch STARK job needs, GiB (measured: ≈ 6–7 GB for one-transfer batches).
pub const BATCH_JOB_GIB: u32 = 8;
/// Memory an aggregation job needs, GiB (measured: ≈ 4 GB).
pub const AGGREGATE_JOB_GIB: u32 = 6;
/// Memory a SNARK wrap needs, GiB (measured: 18.3 GB peak).
pub const WRAP_JOB_GIB: u32 = 19;

/// Why planning failed.
#[derive(Debug, thiserror::Error)]
pub enum PlanError {
    /// The node's database failed.
    #[error(transparent)]
    Node(#[from] NodeError),
    /// The job queue failed.
    #[error(transparent)]
    Queue(#[from] QueueError),
    /// The artifact store failed.
    #[error(transparent)]
    Artifact(#[from] mosaic_prover_queue::ArtifactError),
}

/// A batch's witness could not be built (reported on the pipeline's status; tried again later).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct StageError(pub String);

/// What a batch's proof job needs: its witness and the journal the proof reveals.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BatchInput {
    /// The witness, encoded (RLP).
    pub witness: Vec<u8>,
    /// The journal, encoded.
    pub journal: Vec<u8>,
    /// Its hash.
    pub journal_hash: B256,
}

/// Builds batch witnesses from the node's blocks.
pub trait WitnessSource: Send + Sync + 'static {
    /// The input of batch `record`'s proof (its blocks are in `node`).
    fn witness(&self, node: &Node, record: &BatchRecord) -> Result<BatchInput, StageError>;
}

/// Witnesses recorded by re-executing the batch over the node's database (`mosaic_rollup::witness`).
#[derive(Debug, Clone, Copy, Default)]
pub struct NodeWitnesses;

impl WitnessSource for NodeWitnesses {
    fn witness(&self, node: &Node, record: &BatchRecord) -> Result<BatchInput, StageError> {
        let (witness, executed) =
            mosaic_rollup::witness::posted_batch_witness(node, record.first_block, record.last_block, record.data_hash)
                .map_err(|e| StageError(e.to_string()))?;
        Ok(BatchInput {
            witness: witness.encode(),
            journal: executed.journal.encode(),
            journal_hash: executed.journal.hash(),
        })
    }
}

/// Where a range stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum RangeState {
    /// Its aggregation and wrap jobs are in the queue.
    Queued,
    /// The SNARK is in the output folder.
    Done,
}

/// One range: batches `from..=to`, one SNARK.
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
    /// The queue's jobs for it, the wrap last.
    pub jobs: Vec<String>,
    /// The journal hash the SNARK states, once done.
    pub journal_hash: Option<B256>,
}

impl RangeJob {
    fn wrap_key(&self) -> &str {
        self.jobs.last().map_or("", String::as_str)
    }
}

/// What one [`Pipeline::step`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// Nothing to do (or waiting for the provers).
    Idle,
    /// Queued batch `index`'s STARK job (its witness stored).
    Queued(u64),
    /// Queued the jobs of range `from..=to`.
    Ranged(u64, u64),
    /// Wrote the SNARK of the range starting at `from` for the finalizer.
    Posted(u64),
}

/// Settings of the pipeline.
#[derive(Debug, Clone)]
pub struct PipelineConfig {
    /// Where SNARKs go (the finalizer's folder).
    pub out: ProofDirectory,
    /// Most batches per aggregate.
    pub max_range: u64,
    /// Whether ranges are aggregated (the aggregation program's SNARK keys exist where the wraps run).
    pub aggregate: bool,
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
    /// What stops the pipeline now (a job failed for good, a witness that cannot be built), if anything.
    pub last_error: Option<String>,
}

/// The jobs of the batch a record describes: key and artifact names carry the data hash, so a batch
/// replaced after a revert is proven again.
fn batch_key(record: &BatchRecord) -> String {
    format!("batch-{}-{}", record.index, short(record.data_hash))
}

fn short(hash: B256) -> String {
    alloy_primitives::hex::encode(&hash[..6])
}

/// What both planners (validity and fraud) work with: the node whose batches they prove, the queue and
/// artifact store they share with the workers, and where witnesses come from.
pub struct ProofJobs {
    node: Node,
    queue: Arc<dyn JobQueue>,
    artifacts: Arc<dyn ArtifactStore>,
    witnesses: Box<dyn WitnessSource>,
    max_attempts: u32,
    segments: SegmentJobs,
}

/// How a batch's recursive STARK is split over jobs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SegmentJobs {
    /// Jobs proving groups of the batch's execution segments, joined by its batch job (1: the batch
    /// job proves it all).
    pub groups: u32,
    /// The segment budget (bytes of estimated proving memory) every group job cuts the run with, so
    /// that workers with other settings still cut it the same way; `None`: each worker's own.
    pub segment_memory: Option<u64>,
}

impl Default for SegmentJobs {
    fn default() -> Self {
        Self { groups: 1, segment_memory: None }
    }
}

impl ProofJobs {
    /// Jobs of `node`'s batches in `queue`, inputs and outputs in `artifacts`, each tried up to
    /// `max_attempts` times (then failed for good and reported; `mosaic prover retry` queues it again).
    pub fn new(
        node: Node,
        queue: Arc<dyn JobQueue>,
        artifacts: Arc<dyn ArtifactStore>,
        witnesses: Box<dyn WitnessSource>,
        max_attempts: u32,
    ) -> Self {
        Self { node, queue, artifacts, witnesses, max_attempts, segments: SegmentJobs::default() }
    }

    /// The same, splitting each batch's recursive STARK as `segments` says (for batches not queued
    /// yet: a batch job in the queue keeps the jobs it was queued with).
    pub fn with_segment_jobs(mut self, segments: SegmentJobs) -> Self {
        self.segments = SegmentJobs { groups: segments.groups.max(1), ..segments };
        self
    }

    /// Queues batch `record`'s STARK job with its witness stored for the worker; the journal hash its
    /// proof will reveal, or why the witness cannot be built (nothing queued then). Blocking (seconds).
    fn queue_batch(&self, record: &BatchRecord) -> Result<Result<B256, StageError>, PlanError> {
        let (index, started) = (record.index, std::time::Instant::now());
        let input = match self.witnesses.witness(&self.node, record) {
            Ok(input) => input,
            Err(e) => return Ok(Err(e)),
        };
        info!(
            batch = index,
            bytes = input.witness.len(),
            seconds = started.elapsed().as_secs_f64(),
            "prover: witness recorded"
        );
        let key = batch_key(record);
        let witness = format!("{key}.witness");
        self.artifacts.put(&witness, &input.witness)?;
        // Split over segment jobs: the groups first, then the batch job that joins them (only for a
        // batch not queued yet, so that a restart with another setting adds no orphan groups).
        let (mut deps, mut segments) = (Vec::new(), Vec::new());
        let groups = self.segments.groups;
        if groups > 1 && self.queue.job(&key)?.is_none() {
            for group in 0..groups {
                let seg_key = format!("segments-{}-{}-{group}of{groups}", index, short(record.data_hash));
                let task = Task::Segments {
                    index,
                    witness: witness.clone(),
                    group,
                    groups,
                    segment_memory: self.segments.segment_memory,
                    out: format!("{seg_key}.group"),
                };
                segments.push(task.out().to_string());
                self.queue.enqueue(
                    NewJob::new(seg_key.clone(), task.kind(), task.encode())
                        .memory(BATCH_JOB_GIB)
                        .attempts(self.max_attempts),
                )?;
                deps.push(seg_key);
            }
        }
        let task = Task::Batch {
            index,
            witness,
            journal: input.journal.into(),
            journal_hash: input.journal_hash,
            out: format!("{key}.stark"),
            segments,
        };
        self.queue.enqueue(
            NewJob::new(key, task.kind(), task.encode()).after(deps).memory(BATCH_JOB_GIB).attempts(self.max_attempts),
        )?;
        Ok(Ok(input.journal_hash))
    }

    /// Copies the SNARK that the done wrap job `wrap` made into `out`: its path there and the journal
    /// hash it states, or why it is unusable (missing, not a SNARK, stating another journal than the
    /// job's output says) — reported by the caller, not an error of the planner.
    fn publish(&self, wrap: &Job, out: &ProofDirectory) -> Result<Result<(PathBuf, B256), String>, PlanError> {
        let output = Output::decode(wrap.result.as_deref().unwrap_or_default())?;
        let Some(bytes) = self.artifacts.get(&output.artifact)? else {
            return Ok(Err(format!("the wrap's output {} is missing", output.artifact)));
        };
        Ok(SnarkProof::decode(&bytes).map_err(|e| e.to_string()).and_then(|snark| {
            let stated = snark.statement().map_err(|e| e.to_string())?.public_values;
            if stated != output.journal_hash.as_slice() {
                return Err(format!("{} states another journal than {}", output.artifact, output.journal_hash));
            }
            let path = out.put(&snark).map_err(|e| e.to_string())?;
            Ok((path, output.journal_hash))
        }))
    }
}

/// The planner over one node.
pub struct Pipeline {
    jobs: ProofJobs,
    config: PipelineConfig,
    zk_from: ZkFrom,
    status: Arc<Mutex<PipelineStatus>>,
    metrics: Option<ProvingMetrics>,
}

fn load_range(node: &Node) -> Result<Option<RangeJob>, NodeError> {
    Ok(node.records(RANGES_TABLE).last()?.and_then(|(_, b)| serde_json::from_slice(&b).ok()))
}

fn store_range(node: &Node, range: &RangeJob) -> Result<(), NodeError> {
    // Plain structs of numbers, hashes and strings always serialize.
    node.records(RANGES_TABLE).put(range.from, &serde_json::to_vec(range).unwrap_or_default())
}

impl Pipeline {
    /// A planner for the zk batches (from `zk_from`) of the node `jobs` proves.
    pub fn new(jobs: ProofJobs, config: PipelineConfig, zk_from: ZkFrom) -> Self {
        Self { jobs, config, zk_from, status: Arc::default(), metrics: None }
    }

    /// The same, keeping `metrics` (on `/metrics`) up to date.
    pub fn with_metrics(mut self, metrics: ProvingMetrics) -> Self {
        self.metrics = Some(metrics);
        self
    }

    fn observe(&self) -> Result<(), QueueError> {
        if let Some(m) = &self.metrics {
            let (stats, recent) = queue_view(&*self.jobs.queue, 64)?;
            m.observe(&stats, &recent);
        }
        Ok(())
    }

    /// Its status, for `mosaic_rollupStatus`.
    pub fn status(&self) -> Arc<Mutex<PipelineStatus>> {
        self.status.clone()
    }

    /// Plans forever on the calling thread (blocking: witnesses take seconds); idles 2 s when there is
    /// nothing to do. A database or queue failure is logged and retried.
    pub fn run(mut self) -> ! {
        loop {
            if let Err(e) = self.observe() {
                warn!(error = %e, "validity prover: reading the queue for /metrics");
            }
            match self.step() {
                Ok(Step::Idle) => std::thread::sleep(Duration::from_secs(2)),
                Ok(_) => {}
                Err(e) => {
                    warn!(error = %e, "validity prover: planning failed");
                    self.status.lock().last_error = Some(e.to_string());
                    std::thread::sleep(Duration::from_secs(5));
                }
            }
        }
    }

    /// One unit of planning: collect the open range's SNARK, else queue the next batch's job, else
    /// open a range.
    pub fn step(&mut self) -> Result<Step, PlanError> {
        let Some(zk_from) = (self.zk_from)() else { return Ok(Step::Idle) };
        let mut start = zk_from;
        let mut open = false;
        if let Some(r) = load_range(&self.jobs.node)? {
            start = start.max(r.to + 1);
            if r.state == RangeState::Queued {
                if let Some(step) = self.collect(r)? {
                    return Ok(step);
                }
                // Its wrap is under way: batches after it are still queued, so that workers prove
                // them meanwhile; the next range opens once this one is done.
                open = true;
            }
        }
        // Batches final on L1 already (finalized by someone else's proof) need no proof from here.
        while BatchRecord::load(&self.jobs.node, start)?.is_some_and(|r| r.status == BatchStatus::Finalized) {
            start += 1;
        }
        // Every committed batch gets its job at once (so a fleet proves them side by side); the next
        // range is the run of batch jobs from `start` that have not failed.
        let limit = if self.config.aggregate { self.config.max_range.max(1) } else { 1 };
        let (mut run, mut in_run, mut index) = (Vec::new(), true, start);
        while let Some(record) = BatchRecord::load(&self.jobs.node, index)? {
            let Some(job) = self.jobs.queue.job(&batch_key(&record))? else { return self.queue_batch(&record) };
            if job.state == JobState::Failed {
                self.report_failed(&job);
            }
            if in_run && job.state != JobState::Failed && (run.len() as u64) < limit {
                run.push(job);
            } else {
                in_run = false;
            }
            index += 1;
        }
        // A full range is queued at once: its aggregation and wrap wait for its batch jobs in the queue,
        // and the claim order (wrap > aggregate > batch) runs them before younger batches, so a worker
        // that finishes the range's last batch goes on with the range. A shorter range is queued once
        // every committed batch is proven (the provers caught up: the latest batches are not kept
        // waiting for more).
        let full = run.len() as u64 == limit;
        let caught_up = run.len() as u64 == index - start && run.iter().all(|j| j.state == JobState::Done);
        if open || run.is_empty() || !(full || caught_up) {
            return Ok(Step::Idle);
        }
        self.open_range(start, &run)
    }

    fn queue_batch(&mut self, record: &BatchRecord) -> Result<Step, PlanError> {
        let index = record.index;
        if let Err(e) = self.jobs.queue_batch(record)? {
            warn!(batch = index, error = %e, "validity prover: the batch's witness cannot be built");
            self.status.lock().last_error = Some(format!("batch {index}: {e}"));
            return Ok(Step::Idle);
        }
        self.status.lock().last_step = Some(format!("queued batch {index}"));
        Ok(Step::Queued(index))
    }

    /// Queues the aggregation (if any) and the wrap of the batches whose jobs are `batches` (done or
    /// not: what they will output is in their tasks).
    fn open_range(&mut self, from: u64, batches: &[Job]) -> Result<Step, PlanError> {
        let to = from + batches.len() as u64 - 1;
        let outputs = batches
            .iter()
            .map(|j| match Task::decode(&j.payload)? {
                Task::Batch { out, journal_hash, .. } => Ok(Output { artifact: out, journal_hash }),
                _ => Err(QueueError::Corrupt(format!("job {} is not a batch job", j.key))),
            })
            .collect::<Result<Vec<_>, QueueError>>()?;
        let batch_keys: Vec<String> = batches.iter().map(|j| j.key.clone()).collect();
        // One tag for this set of batch jobs: a range over replaced batches is a new range.
        let tag = short(keccak256(batch_keys.join(",")));
        let mut jobs = Vec::new();
        let wrap = if self.config.aggregate {
            let key = format!("aggregate-{from}-{to}-{tag}");
            let task = Task::Aggregate {
                from,
                to,
                inputs: outputs.iter().map(|o| o.artifact.clone()).collect(),
                out: format!("{key}.agg"),
            };
            let input = task.out().to_string();
            self.jobs.queue.enqueue(
                NewJob::new(key.clone(), task.kind(), task.encode())
                    .after(batch_keys)
                    .memory(AGGREGATE_JOB_GIB)
                    .attempts(self.jobs.max_attempts),
            )?;
            jobs.push(key.clone());
            (Task::Wrap { program: Program::Aggregate, input, journal_hash: None, out: format!("{key}.snark") }, key)
        } else {
            let output = &outputs[0];
            let task = Task::Wrap {
                program: Program::Batch,
                input: output.artifact.clone(),
                journal_hash: Some(output.journal_hash),
                out: format!("{}.snark", batch_keys[0]),
            };
            (task, batch_keys[0].clone())
        };
        let (task, dep) = wrap;
        let key = format!("wrap-{from}-{to}-{tag}");
        self.jobs.queue.enqueue(
            NewJob::new(key.clone(), task.kind(), task.encode())
                .after([dep])
                .memory(WRAP_JOB_GIB)
                .attempts(self.jobs.max_attempts),
        )?;
        jobs.push(key);
        let range = RangeJob {
            from,
            to,
            aggregate: self.config.aggregate,
            state: RangeState::Queued,
            jobs,
            journal_hash: None,
        };
        store_range(&self.jobs.node, &range)?;
        info!(from, to, aggregate = range.aggregate, "validity prover: range queued");
        self.status.lock().last_step = Some(format!("queued range {from}..={to}"));
        Ok(Step::Ranged(from, to))
    }

    /// Moves the SNARK of range `r` to the finalizer's folder once its wrap is done (`None`: not yet).
    fn collect(&mut self, mut r: RangeJob) -> Result<Option<Step>, PlanError> {
        let Some(wrap) = self.jobs.queue.job(r.wrap_key())? else {
            // The queue forgot the range (another queue URL, a wiped database): plan it again.
            warn!(
                from = r.from,
                to = r.to,
                job = r.wrap_key(),
                "validity prover: the queue has no job for the range; planning it again"
            );
            self.jobs.node.records(RANGES_TABLE).drop_after(r.from.saturating_sub(1))?;
            return Ok(Some(Step::Idle));
        };
        match wrap.state {
            JobState::Done => {}
            JobState::Failed => {
                self.report_failed(&wrap);
                return Ok(None);
            }
            JobState::Queued | JobState::Running => {
                for key in &r.jobs {
                    if let Some(job) = self.jobs.queue.job(key)?.filter(|j| j.state == JobState::Failed) {
                        self.report_failed(&job);
                    }
                }
                return Ok(None);
            }
        }
        let result = self.jobs.publish(&wrap, &self.config.out)?;
        match result {
            Ok((path, journal_hash)) => {
                if let (Some(m), Some(first)) = (&self.metrics, self.first_batch_job(&r)?) {
                    let lag = mosaic_prover_queue::now_ms().saturating_sub(first.created_ms) as f64 / 1000.0;
                    m.proof_lag.set(lag);
                }
                r.state = RangeState::Done;
                r.journal_hash = Some(journal_hash);
                store_range(&self.jobs.node, &r)?;
                info!(from = r.from, to = r.to, file = %path.display(), "validity prover: SNARK ready for L1");
                let mut status = self.status.lock();
                status.last_range = Some(r.clone());
                status.last_step = Some(format!("posted range {}..={}", r.from, r.to));
                status.last_error = None;
                Ok(Some(Step::Posted(r.from)))
            }
            Err(e) => {
                warn!(from = r.from, to = r.to, error = %e, "validity prover: the range's SNARK is unusable");
                self.status.lock().last_error = Some(format!("batches {}..={}: {e}", r.from, r.to));
                Ok(None)
            }
        }
    }

    /// The batch job of range `r`'s first batch.
    fn first_batch_job(&self, r: &RangeJob) -> Result<Option<Job>, PlanError> {
        let Some(record) = BatchRecord::load(&self.jobs.node, r.from)? else { return Ok(None) };
        Ok(self.jobs.queue.job(&batch_key(&record))?)
    }

    fn report_failed(&self, job: &Job) {
        let why = format!(
            "job {} failed {} times ({}); `mosaic prover retry {}` queues it again",
            job.key,
            job.attempts,
            job.error.as_deref().unwrap_or("no error recorded"),
            job.key
        );
        let mut status = self.status.lock();
        if status.last_error.as_deref() != Some(why.as_str()) {
            warn!(job = %job.key, "validity prover: {why}");
            status.last_error = Some(why);
        }
    }
}

/// Where a fraud proof stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FraudState {
    /// Its jobs are queued (or being proven).
    Proving,
    /// Its SNARK is in the challenger's folder.
    Ready(std::path::PathBuf),
    /// It cannot be made: why (a job failed for good, the batch does not re-execute to the game's
    /// journal).
    Failed(String),
}

/// Proofs of the journal a node's blocks state, through the queue: a challenged batch's true journal
/// (a fraud proof), or a fallback proposer's batch before it is posted — the batch's STARK (the same job
/// the validity planner would queue for it) and its SNARK wrap, written to the folder once made.
pub struct FraudProofs {
    jobs: ProofJobs,
    out: ProofDirectory,
    purpose: &'static str,
}

impl FraudProofs {
    /// Fraud proofs of the batches of the node `jobs` proves, into `out`; their wrap jobs are named
    /// `fraud-<batch>-…`.
    pub fn new(jobs: ProofJobs, out: ProofDirectory) -> Self {
        Self { jobs, out, purpose: "fraud" }
    }

    /// The same proofs made for another purpose, which names their wrap jobs (`<purpose>-<batch>-…`, as
    /// `mosaic prover status` lists them): `fallback` for a fallback proposer's batches.
    pub fn for_purpose(mut self, purpose: &'static str) -> Self {
        self.purpose = purpose;
        self
    }

    /// Moves the proof that batch `index` truly has journal `journal_hash` on: queues its jobs, or
    /// writes its SNARK once the wrap is done. Blocking (a witness takes seconds).
    pub fn step(&self, index: u64, journal_hash: B256) -> Result<FraudState, PlanError> {
        if self.out.path_of(journal_hash).exists() {
            return Ok(FraudState::Ready(self.out.path_of(journal_hash)));
        }
        let Some(record) = BatchRecord::load(&self.jobs.node, index)? else {
            return Ok(FraudState::Failed(format!("this node has no record of batch {index}")));
        };
        self.prove(&record, journal_hash)
    }

    /// Moves the proof that the blocks `record` names (its index, blocks and data hash; nothing else
    /// is read, so the batch need not be on L1 yet) state journal `journal_hash` on, as [`Self::step`].
    pub fn prove(&self, record: &BatchRecord, journal_hash: B256) -> Result<FraudState, PlanError> {
        let index = record.index;
        if self.out.path_of(journal_hash).exists() {
            return Ok(FraudState::Ready(self.out.path_of(journal_hash)));
        }
        let batch = batch_key(record);
        let wrap = format!("{}-{index}-{}", self.purpose, short(journal_hash));
        if self.jobs.queue.job(&batch)?.is_none() {
            match self.jobs.queue_batch(record)? {
                Err(e) => return Ok(FraudState::Failed(e.to_string())),
                Ok(hash) if hash != journal_hash => {
                    return Ok(FraudState::Failed(format!(
                        "re-executing batch {index} states journal {hash}, the game {journal_hash}"
                    )))
                }
                Ok(_) => info!(batch = index, journal = %journal_hash, purpose = self.purpose, "batch proof queued"),
            }
        }
        let task = Task::Wrap {
            program: Program::Batch,
            input: format!("{batch}.stark"),
            journal_hash: Some(journal_hash),
            out: format!("{wrap}.snark"),
        };
        // Idempotent: queued once, whatever the number of steps.
        self.jobs.queue.enqueue(
            NewJob::new(wrap.clone(), task.kind(), task.encode())
                .after([batch.clone()])
                .memory(WRAP_JOB_GIB)
                .attempts(self.jobs.max_attempts),
        )?;
        for key in [&batch, &wrap] {
            if let Some(job) = self.jobs.queue.job(key)?.filter(|j| j.state == JobState::Failed) {
                return Ok(FraudState::Failed(format!(
                    "job {} failed {} times: {}",
                    job.key,
                    job.attempts,
                    job.error.unwrap_or_default()
                )));
            }
        }
        let Some(done) = self.jobs.queue.job(&wrap)?.filter(|j| j.state == JobState::Done) else {
            return Ok(FraudState::Proving);
        };
        Ok(match self.jobs.publish(&done, &self.out)? {
            Ok((path, hash)) if hash == journal_hash => FraudState::Ready(path),
            Ok((path, _)) => {
                FraudState::Failed(format!("{} states another journal than {journal_hash}", path.display()))
            }
            Err(e) => FraudState::Failed(e),
        })
    }
}

/// A batch's proof job as `mosaic_rollupStatus.validityProver.jobs` (and the explorer) shows it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BatchJobView {
    /// The batch.
    pub index: u64,
    /// `queued`, `proving`, `proven` or `failed`.
    pub state: &'static str,
    /// Progress of a running job, 0 to 1.
    pub progress: f32,
    /// Tries so far.
    pub attempts: u32,
    /// Seconds its last try took (so far, while running).
    pub seconds: Option<f64>,
    /// Why the last try failed.
    pub error: Option<String>,
}

/// The batch jobs among `jobs`, in their order.
pub fn batch_views(jobs: &[Job]) -> Vec<BatchJobView> {
    let now = mosaic_prover_queue::now_ms();
    jobs.iter()
        .filter(|j| j.kind == mosaic_prover_queue::JobKind::Batch)
        .filter_map(|j| {
            let index = j.key.strip_prefix("batch-")?.split('-').next()?.parse().ok()?;
            let state = match j.state {
                JobState::Queued => "queued",
                JobState::Running => "proving",
                JobState::Done => "proven",
                JobState::Failed => "failed",
            };
            Some(BatchJobView {
                index,
                state,
                progress: j.progress,
                attempts: j.attempts,
                seconds: j.seconds(now),
                error: j.error.clone(),
            })
        })
        .collect()
}

/// What the queue holds, for `mosaic_rollupStatus` and `mosaic prover status`: jobs per kind and state,
/// then the jobs being run now (longest-running first) and the latest `limit` others, newest first.
pub fn queue_view(queue: &dyn JobQueue, limit: usize) -> Result<(Vec<KindStats>, Vec<Job>), QueueError> {
    // Running jobs first, all of them: under a backlog the latest jobs are queued ones, and the job
    // being proven would fall off the list.
    let mut jobs = queue.running()?;
    let running: std::collections::HashSet<String> = jobs.iter().map(|j| j.key.clone()).collect();
    jobs.extend(queue.recent(limit)?.into_iter().filter(|j| !running.contains(&j.key)));
    Ok((queue.stats()?, jobs))
}

#[cfg(test)]
mod tests;
