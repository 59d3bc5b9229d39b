//! The embedded back end: jobs in a redb file (one process at a time; its workers are that process's
//! threads). Every change is one durable write transaction, so a claim is atomic and a `kill -9` loses
//! nothing that was acknowledged.
use crate::{now_ms, Claim, Job, JobQueue, JobState, KindStats, NewJob, QueueError, Worker};
use redb::{Durability, ReadableDatabase, ReadableTable, TableDefinition, WriteTransaction};
use serde::{Deserialize, Serialize};
use std::{path::Path, time::Duration};

/// Key → the stored job.
const JOBS: TableDefinition<&str, &[u8]> = TableDefinition::new("jobs");
/// Enqueue order → key, every job (newest last).
const ORDER: TableDefinition<u64, &str> = TableDefinition::new("order");
/// Enqueue order → key, the jobs not yet done or failed: what a claim scans.
const ACTIVE: TableDefinition<u64, &str> = TableDefinition::new("active");

macro_rules! from_redb {
    ($($t:ty),*) => {$(
        impl From<$t> for QueueError {
            fn from(e: $t) -> Self { Self::Embedded(e.into()) }
        }
    )*};
}
from_redb!(
    redb::DatabaseError,
    redb::TransactionError,
    redb::TableError,
    redb::StorageError,
    redb::CommitError,
    redb::SetDurabilityError
);

#[derive(Serialize, Deserialize)]
struct Stored {
    seq: u64,
    job: Job,
}

/// A queue in a redb file.
#[derive(Debug)]
pub struct EmbeddedQueue {
    db: redb::Database,
}

fn decode(bytes: &[u8]) -> Result<Stored, QueueError> {
    serde_json::from_slice(bytes).map_err(|e| QueueError::Corrupt(e.to_string()))
}

fn load(txn: &WriteTransaction, key: &str) -> Result<Option<Stored>, QueueError> {
    let jobs = txn.open_table(JOBS)?;
    let stored = jobs.get(key)?.map(|v| decode(v.value())).transpose()?;
    Ok(stored)
}

fn save(txn: &WriteTransaction, stored: &Stored) -> Result<(), QueueError> {
    let bytes = serde_json::to_vec(stored).map_err(|e| QueueError::Corrupt(e.to_string()))?;
    txn.open_table(JOBS)?.insert(stored.job.key.as_str(), bytes.as_slice())?;
    let mut active = txn.open_table(ACTIVE)?;
    if matches!(stored.job.state, JobState::Queued | JobState::Running) {
        active.insert(stored.seq, stored.job.key.as_str())?;
    } else {
        active.remove(stored.seq)?;
    }
    Ok(())
}

/// The job `key` if `worker` holds it.
fn held(txn: &WriteTransaction, key: &str, worker: &str) -> Result<Stored, QueueError> {
    let stored = load(txn, key)?.ok_or_else(|| QueueError::NoSuchJob(key.into()))?;
    if stored.job.state != JobState::Running || stored.job.worker.as_deref() != Some(worker) {
        let why = match (&stored.job.state, &stored.job.worker) {
            (JobState::Running, Some(w)) => format!("now held by {w}"),
            (state, _) => format!("it is {}", state.as_str()),
        };
        return Err(QueueError::LeaseLost { key: key.into(), why });
    }
    Ok(stored)
}

impl EmbeddedQueue {
    /// Opens (or creates) the queue file at `path`.
    pub fn open(path: &Path) -> Result<Self, QueueError> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(|e| QueueError::Invalid(format!("{}: {e}", dir.display())))?;
        }
        let db = redb::Database::create(path)?;
        let queue = Self { db };
        queue.write(|txn| {
            txn.open_table(JOBS)?;
            txn.open_table(ORDER)?;
            txn.open_table(ACTIVE)?;
            Ok(())
        })?;
        Ok(queue)
    }

    fn write<T>(&self, f: impl FnOnce(&WriteTransaction) -> Result<T, QueueError>) -> Result<T, QueueError> {
        let mut txn = self.db.begin_write()?;
        txn.set_durability(Durability::Immediate)?;
        let out = f(&txn)?;
        txn.commit()?;
        Ok(out)
    }
}

impl JobQueue for EmbeddedQueue {
    fn enqueue(&self, new: NewJob) -> Result<bool, QueueError> {
        self.write(|txn| {
            if load(txn, &new.key)?.is_some() {
                return Ok(false);
            }
            let seq = txn.open_table(ORDER)?.last()?.map_or(0, |(k, _)| k.value() + 1);
            txn.open_table(ORDER)?.insert(seq, new.key.as_str())?;
            let job = Job {
                key: new.key,
                kind: new.kind,
                state: JobState::Queued,
                payload: new.payload,
                deps: new.deps,
                memory_gib: new.memory_gib,
                attempts: 0,
                max_attempts: new.max_attempts.max(1),
                worker: None,
                lease_until_ms: None,
                progress: 0.0,
                error: None,
                result: None,
                created_ms: now_ms(),
                started_ms: None,
                finished_ms: None,
            };
            save(txn, &Stored { seq, job })?;
            Ok(true)
        })
    }

    fn claim(&self, worker: &Worker) -> Result<Option<Claim>, QueueError> {
        self.write(|txn| {
            let now = now_ms();
            let keys: Vec<String> = {
                let active = txn.open_table(ACTIVE)?;
                let keys = active.iter()?.map(|e| e.map(|(_, k)| k.value().to_owned())).collect::<Result<_, _>>()?;
                keys
            };
            // Active jobs in claim order: by kind's priority, then oldest (`keys` are in enqueue order and
            // the sort is stable).
            let mut active = Vec::with_capacity(keys.len());
            for key in keys {
                if let Some(stored) = load(txn, &key)? {
                    active.push(stored);
                }
            }
            active.sort_by_key(|s| s.job.kind.priority());
            for mut stored in active {
                let job = &mut stored.job;
                if !worker.kinds.contains(&job.kind) || worker.max_memory_gib.is_some_and(|m| job.memory_gib > m) {
                    continue;
                }
                if job.state == JobState::Running {
                    if job.lease_until_ms.is_some_and(|until| until > now) {
                        continue;
                    }
                    if job.attempts >= job.max_attempts {
                        job.state = JobState::Failed;
                        job.error = Some(format!(
                            "the lease of attempt {} expired ({} stopped beating)",
                            job.attempts,
                            job.worker.as_deref().unwrap_or("?")
                        ));
                        job.lease_until_ms = None;
                        job.finished_ms = Some(now);
                        save(txn, &stored)?;
                        continue;
                    }
                }
                let mut ready = true;
                for dep in &job.deps {
                    ready &= load(txn, dep)?.is_some_and(|d| d.job.state == JobState::Done);
                }
                if !ready {
                    continue;
                }
                job.state = JobState::Running;
                job.attempts += 1;
                job.worker = Some(worker.id.clone());
                job.lease_until_ms = Some(now + worker.lease.as_millis() as u64);
                job.started_ms = Some(now);
                job.progress = 0.0;
                let claim =
                    Claim { key: job.key.clone(), kind: job.kind, payload: job.payload.clone(), attempt: job.attempts };
                save(txn, &stored)?;
                return Ok(Some(claim));
            }
            Ok(None)
        })
    }

    fn heartbeat(&self, key: &str, worker: &str, progress: f32, lease: Duration) -> Result<(), QueueError> {
        self.write(|txn| {
            let mut stored = held(txn, key, worker)?;
            stored.job.lease_until_ms = Some(now_ms() + lease.as_millis() as u64);
            stored.job.progress = progress.clamp(0.0, 1.0);
            save(txn, &stored)
        })
    }

    fn complete(&self, key: &str, worker: &str, result: &[u8]) -> Result<(), QueueError> {
        self.write(|txn| {
            let mut stored = held(txn, key, worker)?;
            let job = &mut stored.job;
            job.state = JobState::Done;
            job.result = Some(result.to_vec());
            job.lease_until_ms = None;
            job.progress = 1.0;
            job.error = None;
            job.finished_ms = Some(now_ms());
            save(txn, &stored)
        })
    }

    fn fail(&self, key: &str, worker: &str, error: &str) -> Result<JobState, QueueError> {
        self.write(|txn| {
            let mut stored = held(txn, key, worker)?;
            let job = &mut stored.job;
            job.error = Some(error.into());
            job.lease_until_ms = None;
            if job.attempts >= job.max_attempts {
                job.state = JobState::Failed;
                job.finished_ms = Some(now_ms());
            } else {
                job.state = JobState::Queued;
            }
            let state = job.state;
            save(txn, &stored)?;
            Ok(state)
        })
    }

    fn job(&self, key: &str) -> Result<Option<Job>, QueueError> {
        let txn = self.db.begin_read()?;
        let jobs = txn.open_table(JOBS)?;
        let job = jobs.get(key)?.map(|v| decode(v.value()).map(|s| s.job)).transpose()?;
        Ok(job)
    }

    fn recent(&self, limit: usize) -> Result<Vec<Job>, QueueError> {
        let txn = self.db.begin_read()?;
        let (order, jobs) = (txn.open_table(ORDER)?, txn.open_table(JOBS)?);
        let mut out = Vec::new();
        for entry in order.iter()?.rev().take(limit) {
            let (_, key) = entry?;
            if let Some(v) = jobs.get(key.value())? {
                out.push(decode(v.value())?.job.summary());
            }
        }
        Ok(out)
    }

    fn running(&self) -> Result<Vec<Job>, QueueError> {
        let txn = self.db.begin_read()?;
        let jobs = txn.open_table(JOBS)?;
        let mut out = Vec::new();
        for entry in jobs.iter()? {
            let job = decode(entry?.1.value())?.job;
            if job.state == JobState::Running {
                out.push(job.summary());
            }
        }
        out.sort_by_key(|j| j.started_ms);
        Ok(out)
    }

    fn stats(&self) -> Result<Vec<KindStats>, QueueError> {
        let txn = self.db.begin_read()?;
        let jobs = txn.open_table(JOBS)?;
        let mut counts = Vec::new();
        for entry in jobs.iter()? {
            let (_, v) = entry?;
            let job = decode(v.value())?.job;
            counts.push((job.kind, job.state, 1));
        }
        Ok(crate::tally(counts))
    }

    fn retry(&self, key: &str) -> Result<bool, QueueError> {
        self.write(|txn| {
            let Some(mut stored) = load(txn, key)? else { return Err(QueueError::NoSuchJob(key.into())) };
            if stored.job.state != JobState::Failed {
                return Ok(false);
            }
            stored.job.state = JobState::Queued;
            stored.job.attempts = 0;
            stored.job.finished_ms = None;
            save(txn, &stored)?;
            Ok(true)
        })
    }
}
