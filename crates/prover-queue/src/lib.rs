//! Mosaic's proof-job queue. Proof work — a batch's recursive STARK, the aggregation of a range, a SNARK
//! wrap — is a persistent queue of jobs that any number of workers claim, on any number of machines:
//!
//! - a job has a unique key (the node derives it from what it proves, so enqueueing twice is a no-op),
//!   a kind, an opaque payload (what to prove, naming its inputs in the [`ArtifactStore`]), the keys of
//!   the jobs it waits for, and the memory it needs;
//! - a worker claims a job of a kind it runs whose dependencies are all done, under a lease that its
//!   heartbeats extend; a worker that dies (`kill -9`, a lost machine) stops beating, its lease expires
//!   and the next claim takes the job again;
//! - every claim counts an attempt; a job that fails (or whose lease expires) `max_attempts` times is
//!   failed for good and reported, never retried forever (an operator can [`JobQueue::retry`] it).
//!
//! Two back ends behind [`JobQueue`]: [`EmbeddedQueue`], a redb file beside the node's database (the
//! default; its workers are threads of the node's process), and [`PostgresQueue`] for a fleet (claims
//! with `FOR UPDATE SKIP LOCKED`, leases on the database's clock). [`open`] picks one from a URL.
//! The queue is blocking: callers are proving threads, never async tasks. [`WorkerLoop`] is a worker:
//! claim, run behind [`JobRunner`] while a thread beats, complete or fail, repeat.
use serde::{Deserialize, Serialize};
use std::{fmt, str::FromStr, time::Duration};

mod artifacts;
mod embedded;
mod postgres;
mod rt;
mod s3;
mod task;
mod worker;

pub use artifacts::{open_artifacts, ArtifactError, ArtifactStore, DirectoryStore, S3Options, S3Store};
pub use embedded::EmbeddedQueue;
pub use postgres::PostgresQueue;
pub use task::{Output, Program, Task};
pub use worker::{JobRunner, Ran, WorkerLoop};

/// What a job does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum JobKind {
    /// One batch's recursive STARK.
    Batch,
    /// One STARK aggregating a range of batch STARKs.
    Aggregate,
    /// The SNARK wrap of a STARK (an aggregate's, or one batch's).
    Wrap,
    /// A group of one batch's execution segments, proven apart from the rest (its batch job joins
    /// the groups into the batch's STARK).
    Segment,
}

impl JobKind {
    /// Every kind.
    pub const ALL: [JobKind; 4] = [JobKind::Batch, JobKind::Aggregate, JobKind::Wrap, JobKind::Segment];

    /// Claim order: a worker takes the claimable job closest to a finished proof first (wrap, then
    /// aggregate, then batch, then a batch's segments; the oldest within a kind), so a steady stream of
    /// new batches never starves the ranges already under way.
    pub fn priority(self) -> u8 {
        match self {
            JobKind::Wrap => 0,
            JobKind::Aggregate => 1,
            JobKind::Batch => 2,
            JobKind::Segment => 3,
        }
    }

    /// Its name in URLs, flags and the database.
    pub fn as_str(self) -> &'static str {
        match self {
            JobKind::Batch => "batch",
            JobKind::Aggregate => "aggregate",
            JobKind::Wrap => "wrap",
            JobKind::Segment => "segment",
        }
    }
}

impl fmt::Display for JobKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for JobKind {
    type Err = QueueError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        JobKind::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| QueueError::Invalid(format!("unknown job kind {s:?} (batch, aggregate, wrap or segment)")))
    }
}

/// Where a job stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum JobState {
    /// Waiting for a worker (and for its dependencies).
    Queued,
    /// Claimed by a worker whose lease has not been seen to expire.
    Running,
    /// Its result is stored.
    Done,
    /// Failed `max_attempts` times: reported, not retried.
    Failed,
}

impl JobState {
    /// Its name in the database and in status output.
    pub fn as_str(self) -> &'static str {
        match self {
            JobState::Queued => "queued",
            JobState::Running => "running",
            JobState::Done => "done",
            JobState::Failed => "failed",
        }
    }

    fn parse(s: &str) -> Result<Self, QueueError> {
        [JobState::Queued, JobState::Running, JobState::Done, JobState::Failed]
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| QueueError::Corrupt(format!("unknown job state {s:?}")))
    }
}

/// A job to add.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewJob {
    /// Unique key; enqueueing a key that exists changes nothing.
    pub key: String,
    /// What it does.
    pub kind: JobKind,
    /// What the worker needs to know (opaque to the queue).
    pub payload: Vec<u8>,
    /// Keys of the jobs that must be done before this one can be claimed.
    pub deps: Vec<String>,
    /// Memory it needs, GiB (a worker with less does not claim it).
    pub memory_gib: u32,
    /// Claims before it is failed for good.
    pub max_attempts: u32,
}

impl NewJob {
    /// A job with no dependencies, no memory requirement and three attempts.
    pub fn new(key: impl Into<String>, kind: JobKind, payload: Vec<u8>) -> Self {
        Self { key: key.into(), kind, payload, deps: Vec::new(), memory_gib: 0, max_attempts: 3 }
    }

    /// The same, waiting for `deps`.
    pub fn after(mut self, deps: impl IntoIterator<Item = impl Into<String>>) -> Self {
        self.deps = deps.into_iter().map(Into::into).collect();
        self
    }

    /// The same, needing `gib` GiB.
    pub fn memory(mut self, gib: u32) -> Self {
        self.memory_gib = gib;
        self
    }

    /// The same, with `n` attempts.
    pub fn attempts(mut self, n: u32) -> Self {
        self.max_attempts = n.max(1);
        self
    }
}

/// A job as the queue holds it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Job {
    /// Unique key.
    pub key: String,
    /// What it does.
    pub kind: JobKind,
    /// Where it stands.
    pub state: JobState,
    /// What the worker needs to know.
    #[serde(skip_serializing_if = "Vec::is_empty", default, with = "hex_bytes")]
    pub payload: Vec<u8>,
    /// Jobs it waits for.
    pub deps: Vec<String>,
    /// Memory it needs, GiB.
    pub memory_gib: u32,
    /// Claims so far.
    pub attempts: u32,
    /// Claims allowed.
    pub max_attempts: u32,
    /// The worker that holds (or last held) it.
    pub worker: Option<String>,
    /// When the current lease ends (Unix ms), while running.
    pub lease_until_ms: Option<u64>,
    /// The worker's last reported progress, 0 to 1.
    pub progress: f32,
    /// Why the last attempt failed.
    pub error: Option<String>,
    /// Its result, once done (opaque to the queue: usually an artifact name and a hash).
    #[serde(skip_serializing_if = "Option::is_none", default, with = "hex_bytes_opt")]
    pub result: Option<Vec<u8>>,
    /// When it was enqueued (Unix ms).
    pub created_ms: u64,
    /// When its current (or last) attempt was claimed (Unix ms).
    pub started_ms: Option<u64>,
    /// When it was done or failed for good (Unix ms).
    pub finished_ms: Option<u64>,
}

impl Job {
    /// The job without its payload and result: what [`JobQueue::recent`] lists.
    fn summary(mut self) -> Self {
        self.payload.clear();
        self.result = None;
        self
    }

    /// Seconds its last attempt ran (so far, while running).
    pub fn seconds(&self, now_ms: u64) -> Option<f64> {
        let start = self.started_ms?;
        Some(self.finished_ms.unwrap_or(now_ms).saturating_sub(start) as f64 / 1000.0)
    }
}

/// What a worker runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Worker {
    /// Its name in the queue (unique across the fleet: host and process id, say).
    pub id: String,
    /// The kinds it claims.
    pub kinds: Vec<JobKind>,
    /// The most memory a job may need, GiB (`None`: any).
    pub max_memory_gib: Option<u32>,
    /// How long a claim or heartbeat holds the job.
    pub lease: Duration,
}

impl Worker {
    /// A worker `id` of every kind, any memory, with a one-minute lease.
    pub fn new(id: impl Into<String>) -> Self {
        Self { id: id.into(), kinds: JobKind::ALL.to_vec(), max_memory_gib: None, lease: Duration::from_secs(60) }
    }
}

/// A claimed job: the worker proves it, beats while it does, then completes or fails it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claim {
    /// The job.
    pub key: String,
    /// What it does.
    pub kind: JobKind,
    /// What to prove.
    pub payload: Vec<u8>,
    /// Which attempt this is (1 for the first).
    pub attempt: u32,
}

/// Jobs per state, for one kind: the queue's depth as `/metrics` and `mosaic prover status` show it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct KindStats {
    /// The kind.
    pub kind: Option<JobKind>,
    /// Waiting.
    pub queued: u64,
    /// Claimed.
    pub running: u64,
    /// Done.
    pub done: u64,
    /// Failed for good.
    pub failed: u64,
}

/// Per-kind stats (every kind listed, zero where it has no jobs) from counts of (kind, state) — what
/// each back end's [`JobQueue::stats`] reads.
fn tally(counts: impl IntoIterator<Item = (JobKind, JobState, u64)>) -> Vec<KindStats> {
    let mut stats: Vec<KindStats> =
        JobKind::ALL.iter().map(|k| KindStats { kind: Some(*k), ..Default::default() }).collect();
    for (kind, state, n) in counts {
        if let Some(s) = stats.iter_mut().find(|s| s.kind == Some(kind)) {
            *match state {
                JobState::Queued => &mut s.queued,
                JobState::Running => &mut s.running,
                JobState::Done => &mut s.done,
                JobState::Failed => &mut s.failed,
            } += n;
        }
    }
    stats
}

/// A queue operation failed.
#[derive(Debug, thiserror::Error)]
pub enum QueueError {
    /// The embedded database failed.
    #[error("queue database: {0}")]
    Embedded(#[from] redb::Error),
    /// PostgreSQL failed (or could not be reached).
    #[error("postgres: {0}")]
    Postgres(#[from] sqlx::Error),
    /// A stored job could not be read.
    #[error("corrupt job: {0}")]
    Corrupt(String),
    /// The worker no longer holds the job: its lease expired and the job was taken again, or it ended.
    #[error("job {key}: the lease is lost ({why})")]
    LeaseLost {
        /// The job.
        key: String,
        /// What happened to it.
        why: String,
    },
    /// No such job.
    #[error("no job {0}")]
    NoSuchJob(String),
    /// A bad argument (URL, kind).
    #[error("{0}")]
    Invalid(String),
}

/// A queue of proof jobs (blocking: call from a thread that may block).
pub trait JobQueue: Send + Sync {
    /// Adds `job`; `false` (and no change) if its key exists.
    fn enqueue(&self, job: NewJob) -> Result<bool, QueueError>;
    /// The next job `worker` can run ([`JobKind::priority`], then the oldest): queued, or running under
    /// an expired lease, of one of its kinds, within its memory, with every dependency done. Counts an attempt and leases it to the worker.
    /// A job whose lease expired on its last attempt is failed for good instead.
    fn claim(&self, worker: &Worker) -> Result<Option<Claim>, QueueError>;
    /// `worker` still works on `key` (`progress` 0 to 1): its lease is renewed for `lease`.
    /// [`QueueError::LeaseLost`] if it no longer holds the job (the worker should stop).
    fn heartbeat(&self, key: &str, worker: &str, progress: f32, lease: Duration) -> Result<(), QueueError>;
    /// `worker` finished `key` with `result`.
    fn complete(&self, key: &str, worker: &str, result: &[u8]) -> Result<(), QueueError>;
    /// `worker`'s attempt at `key` failed: queued again, or failed for good after its last attempt
    /// (the state it is left in).
    fn fail(&self, key: &str, worker: &str, error: &str) -> Result<JobState, QueueError>;
    /// Job `key`.
    fn job(&self, key: &str) -> Result<Option<Job>, QueueError>;
    /// The latest `limit` jobs, newest first (without payloads and results).
    fn recent(&self, limit: usize) -> Result<Vec<Job>, QueueError>;
    /// Every job a worker holds now (its lease may have expired unnoticed), longest-running first,
    /// without payloads and results.
    fn running(&self) -> Result<Vec<Job>, QueueError>;
    /// Jobs per kind and state.
    fn stats(&self) -> Result<Vec<KindStats>, QueueError>;
    /// Queues failed job `key` again with fresh attempts (an operator's decision); `false` if it is not
    /// failed.
    fn retry(&self, key: &str) -> Result<bool, QueueError>;
}

/// The queue a URL names: `postgres://…` (or `postgresql://…`) for PostgreSQL, else a path (or
/// `redb://path`) of an embedded queue file, created if missing.
pub fn open(url: &str) -> Result<Box<dyn JobQueue>, QueueError> {
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        Ok(Box::new(PostgresQueue::connect(url)?))
    } else {
        let path = url.strip_prefix("redb://").unwrap_or(url);
        Ok(Box::new(EmbeddedQueue::open(std::path::Path::new(path))?))
    }
}

/// Now, in Unix milliseconds.
pub fn now_ms() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_millis() as u64)
}

/// Payloads and results as hex in JSON (status output and the embedded store).
mod hex_bytes {
    use serde::{Deserialize, Deserializer, Serializer};

    pub(crate) fn serialize<S: Serializer>(bytes: &[u8], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&super::to_hex(bytes))
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        super::from_hex(&String::deserialize(d)?).map_err(serde::de::Error::custom)
    }
}

mod hex_bytes_opt {
    use serde::{Deserialize, Deserializer, Serializer};

    pub(crate) fn serialize<S: Serializer>(bytes: &Option<Vec<u8>>, s: S) -> Result<S::Ok, S::Error> {
        match bytes {
            Some(b) => s.serialize_str(&super::to_hex(b)),
            None => s.serialize_none(),
        }
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Vec<u8>>, D::Error> {
        Option::<String>::deserialize(d)?.map(|s| super::from_hex(&s).map_err(serde::de::Error::custom)).transpose()
    }
}

fn to_hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn from_hex(s: &str) -> Result<Vec<u8>, String> {
    if !s.len().is_multiple_of(2) {
        return Err("odd hex length".into());
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(s.get(i..i + 2).unwrap_or("zz"), 16).map_err(|e| e.to_string()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_and_states_round_trip_through_their_names() {
        for kind in JobKind::ALL {
            assert_eq!(kind.as_str().parse::<JobKind>().unwrap(), kind);
        }
        assert!(matches!("snark".parse::<JobKind>(), Err(QueueError::Invalid(_))));
        for state in [JobState::Queued, JobState::Running, JobState::Done, JobState::Failed] {
            assert_eq!(JobState::parse(state.as_str()).unwrap(), state);
        }
    }

    #[test]
    fn a_job_keeps_its_bytes_through_json() {
        let job = Job {
            key: "batch-7".into(),
            kind: JobKind::Batch,
            state: JobState::Done,
            payload: vec![0, 1, 0xfe],
            deps: vec!["a".into()],
            memory_gib: 8,
            attempts: 1,
            max_attempts: 3,
            worker: Some("w".into()),
            lease_until_ms: None,
            progress: 1.0,
            error: None,
            result: Some(vec![0xab]),
            created_ms: 1,
            started_ms: Some(2),
            finished_ms: Some(1502),
        };
        let back: Job = serde_json::from_slice(&serde_json::to_vec(&job).unwrap()).unwrap();
        assert_eq!(back, job);
        assert_eq!(job.seconds(0), Some(1.5));
        assert!(from_hex("abc").is_err() && from_hex("zz").is_err());
    }
}
