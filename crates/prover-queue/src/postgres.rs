//! The PostgreSQL back end, for a fleet: any number of workers on any number of machines share one
//! table. A claim is one statement (`FOR UPDATE SKIP LOCKED`, so concurrent claims never wait for or
//! take the same job); leases are on the database's clock, so workers' clocks do not matter.
use crate::rt::{off_runtime, BackgroundRuntime};
use crate::{Claim, Job, JobKind, JobQueue, JobState, KindStats, NewJob, QueueError, Worker};
use sqlx::{postgres::PgPoolOptions, PgPool, Row};
use std::time::Duration;

const SCHEMA: &str = r#"
CREATE TABLE IF NOT EXISTS mosaic_prover_jobs (
    seq          BIGSERIAL UNIQUE,
    key          TEXT PRIMARY KEY,
    kind         TEXT NOT NULL,
    state        TEXT NOT NULL,
    payload      BYTEA NOT NULL,
    deps         TEXT[] NOT NULL,
    memory_gib   INTEGER NOT NULL,
    attempts     INTEGER NOT NULL DEFAULT 0,
    max_attempts INTEGER NOT NULL,
    worker       TEXT,
    lease_until  TIMESTAMPTZ,
    progress     REAL NOT NULL DEFAULT 0,
    error        TEXT,
    result       BYTEA,
    created_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    started_at   TIMESTAMPTZ,
    finished_at  TIMESTAMPTZ
);
CREATE INDEX IF NOT EXISTS mosaic_prover_jobs_active ON mosaic_prover_jobs (seq)
    WHERE state IN ('queued', 'running');
"#;

/// Serializes schema creation between workers starting at once (CREATE … IF NOT EXISTS can race).
const SCHEMA_LOCK: i64 = 0x6d6f_7361_6963;

const COLUMNS: &str = "key, kind, state, payload, deps, memory_gib, attempts, max_attempts, worker, \
    (extract(epoch FROM lease_until) * 1000)::BIGINT AS lease_until_ms, progress, error, result, \
    (extract(epoch FROM created_at) * 1000)::BIGINT AS created_ms, \
    (extract(epoch FROM started_at) * 1000)::BIGINT AS started_ms, \
    (extract(epoch FROM finished_at) * 1000)::BIGINT AS finished_ms";

/// A queue in PostgreSQL (`postgres://user@host:port/db`).
#[derive(Debug)]
pub struct PostgresQueue {
    // Its own runtime: the queue's callers are blocking proving threads.
    rt: BackgroundRuntime,
    pool: PgPool,
}

fn ms(v: Option<i64>) -> Option<u64> {
    v.map(|v| v.max(0) as u64)
}

fn job_from(row: &sqlx::postgres::PgRow) -> Result<Job, QueueError> {
    let kind: String = row.try_get("kind")?;
    let state: String = row.try_get("state")?;
    Ok(Job {
        key: row.try_get("key")?,
        kind: kind.parse()?,
        state: JobState::parse(&state)?,
        payload: row.try_get("payload")?,
        deps: row.try_get("deps")?,
        memory_gib: row.try_get::<i32, _>("memory_gib")?.max(0) as u32,
        attempts: row.try_get::<i32, _>("attempts")?.max(0) as u32,
        max_attempts: row.try_get::<i32, _>("max_attempts")?.max(0) as u32,
        worker: row.try_get("worker")?,
        lease_until_ms: ms(row.try_get("lease_until_ms")?),
        progress: row.try_get("progress")?,
        error: row.try_get("error")?,
        result: row.try_get("result")?,
        created_ms: ms(row.try_get("created_ms")?).unwrap_or_default(),
        started_ms: ms(row.try_get("started_ms")?),
        finished_ms: ms(row.try_get("finished_ms")?),
    })
}

impl PostgresQueue {
    /// Connects to `url` and creates the jobs table if it is missing. Callable from async code too (a
    /// node opens its queue while it starts); the queue's methods block, so call those from a blocking
    /// thread.
    pub fn connect(url: &str) -> Result<Self, QueueError> {
        off_runtime(|| Self::connect_blocking(url))
            .ok_or_else(|| QueueError::Invalid("connecting to the queue panicked".into()))?
    }

    fn connect_blocking(url: &str) -> Result<Self, QueueError> {
        let rt = BackgroundRuntime::new("prover-queue-pg")
            .map_err(|e| QueueError::Invalid(format!("a runtime for the queue: {e}")))?;
        let pool = rt.block_on(async {
            let pool =
                PgPoolOptions::new().max_connections(4).acquire_timeout(Duration::from_secs(10)).connect(url).await?;
            let mut tx = pool.begin().await?;
            // `CREATE … IF NOT EXISTS` on an existing schema sends notices, which sqlx logs: keep them out
            // of every command's output (`mosaic prover status --json` prints JSON on stdout).
            sqlx::query("SET LOCAL client_min_messages = warning").execute(&mut *tx).await?;
            sqlx::query("SELECT pg_advisory_xact_lock($1)").bind(SCHEMA_LOCK).execute(&mut *tx).await?;
            sqlx::raw_sql(SCHEMA).execute(&mut *tx).await?;
            tx.commit().await?;
            Ok::<_, sqlx::Error>(pool)
        })?;
        Ok(Self { rt, pool })
    }

    fn block_on<F: std::future::Future>(&self, f: F) -> F::Output {
        self.rt.block_on(f)
    }

    /// Why `worker` does not hold `key` (after an update that matched no row).
    async fn lost(&self, key: &str, worker: &str) -> QueueError {
        let row = sqlx::query("SELECT state, worker FROM mosaic_prover_jobs WHERE key = $1")
            .bind(key)
            .fetch_optional(&self.pool)
            .await;
        match row {
            Err(e) => e.into(),
            Ok(None) => QueueError::NoSuchJob(key.into()),
            Ok(Some(row)) => {
                let state: String = row.try_get("state").unwrap_or_default();
                let holder: Option<String> = row.try_get("worker").unwrap_or_default();
                let why = match holder {
                    Some(w) if state == "running" && w != worker => format!("now held by {w}"),
                    _ => format!("it is {state}"),
                };
                QueueError::LeaseLost { key: key.into(), why }
            }
        }
    }
}

impl JobQueue for PostgresQueue {
    fn enqueue(&self, job: NewJob) -> Result<bool, QueueError> {
        self.block_on(async {
            let done = sqlx::query(
                "INSERT INTO mosaic_prover_jobs (key, kind, state, payload, deps, memory_gib, max_attempts) \
                 VALUES ($1, $2, 'queued', $3, $4, $5, $6) ON CONFLICT (key) DO NOTHING",
            )
            .bind(&job.key)
            .bind(job.kind.as_str())
            .bind(&job.payload)
            .bind(&job.deps)
            .bind(i32::try_from(job.memory_gib).unwrap_or(i32::MAX))
            .bind(i32::try_from(job.max_attempts.max(1)).unwrap_or(i32::MAX))
            .execute(&self.pool)
            .await?;
            Ok(done.rows_affected() == 1)
        })
    }

    fn claim(&self, worker: &Worker) -> Result<Option<Claim>, QueueError> {
        let kinds: Vec<&str> = worker.kinds.iter().map(|k| k.as_str()).collect();
        let memory = worker.max_memory_gib.map(|m| i32::try_from(m).unwrap_or(i32::MAX));
        let mut by_priority = JobKind::ALL.to_vec();
        by_priority.sort_by_key(|k| k.priority());
        let by_priority: Vec<&str> = by_priority.iter().map(|k| k.as_str()).collect();
        self.block_on(async {
            // A job whose last attempt's lease expired is failed for good, not claimed again.
            sqlx::query(
                "UPDATE mosaic_prover_jobs SET state = 'failed', lease_until = NULL, finished_at = now(), \
                 error = format('the lease of attempt %s expired (%s stopped beating)', attempts, coalesce(worker, '?')) \
                 WHERE state = 'running' AND lease_until < now() AND attempts >= max_attempts",
            )
            .execute(&self.pool)
            .await?;
            // Claim order as `JobKind::priority` says ($5 lists the kinds in that order); then the oldest.
            let row = sqlx::query(
                "WITH next AS ( \
                   SELECT j.key FROM mosaic_prover_jobs j \
                   WHERE (j.state = 'queued' OR (j.state = 'running' AND j.lease_until < now())) \
                     AND j.attempts < j.max_attempts AND j.kind = ANY($2) \
                     AND ($3::INTEGER IS NULL OR j.memory_gib <= $3) \
                     AND NOT EXISTS (SELECT 1 FROM unnest(j.deps) AS d(key) WHERE NOT EXISTS \
                       (SELECT 1 FROM mosaic_prover_jobs x WHERE x.key = d.key AND x.state = 'done')) \
                   ORDER BY array_position($5::TEXT[], j.kind), j.seq \
                   LIMIT 1 FOR UPDATE SKIP LOCKED) \
                 UPDATE mosaic_prover_jobs j SET state = 'running', attempts = j.attempts + 1, worker = $1, \
                   lease_until = now() + make_interval(secs => $4), started_at = now(), progress = 0 \
                 FROM next WHERE j.key = next.key \
                 RETURNING j.key, j.kind, j.payload, j.attempts",
            )
            .bind(&worker.id)
            .bind(&kinds)
            .bind(memory)
            .bind(worker.lease.as_secs_f64())
            .bind(&by_priority)
            .fetch_optional(&self.pool)
            .await?;
            let Some(row) = row else { return Ok(None) };
            let kind: String = row.try_get("kind")?;
            Ok(Some(Claim {
                key: row.try_get("key")?,
                kind: kind.parse::<JobKind>()?,
                payload: row.try_get("payload")?,
                attempt: row.try_get::<i32, _>("attempts")?.max(0) as u32,
            }))
        })
    }

    fn heartbeat(&self, key: &str, worker: &str, progress: f32, lease: Duration) -> Result<(), QueueError> {
        self.block_on(async {
            let done = sqlx::query(
                "UPDATE mosaic_prover_jobs SET lease_until = now() + make_interval(secs => $3), progress = $4 \
                 WHERE key = $1 AND state = 'running' AND worker = $2",
            )
            .bind(key)
            .bind(worker)
            .bind(lease.as_secs_f64())
            .bind(progress.clamp(0.0, 1.0))
            .execute(&self.pool)
            .await?;
            if done.rows_affected() == 0 {
                return Err(self.lost(key, worker).await);
            }
            Ok(())
        })
    }

    fn complete(&self, key: &str, worker: &str, result: &[u8]) -> Result<(), QueueError> {
        self.block_on(async {
            let done = sqlx::query(
                "UPDATE mosaic_prover_jobs SET state = 'done', result = $3, lease_until = NULL, progress = 1, \
                 error = NULL, finished_at = now() WHERE key = $1 AND state = 'running' AND worker = $2",
            )
            .bind(key)
            .bind(worker)
            .bind(result)
            .execute(&self.pool)
            .await?;
            if done.rows_affected() == 0 {
                return Err(self.lost(key, worker).await);
            }
            Ok(())
        })
    }

    fn fail(&self, key: &str, worker: &str, error: &str) -> Result<JobState, QueueError> {
        self.block_on(async {
            let row = sqlx::query(
                "UPDATE mosaic_prover_jobs SET error = $3, lease_until = NULL, \
                   state = CASE WHEN attempts >= max_attempts THEN 'failed' ELSE 'queued' END, \
                   finished_at = CASE WHEN attempts >= max_attempts THEN now() END \
                 WHERE key = $1 AND state = 'running' AND worker = $2 RETURNING state",
            )
            .bind(key)
            .bind(worker)
            .bind(error)
            .fetch_optional(&self.pool)
            .await?;
            match row {
                Some(row) => JobState::parse(&row.try_get::<String, _>("state")?),
                None => Err(self.lost(key, worker).await),
            }
        })
    }

    fn job(&self, key: &str) -> Result<Option<Job>, QueueError> {
        self.block_on(async {
            let row = sqlx::query(&format!("SELECT {COLUMNS} FROM mosaic_prover_jobs WHERE key = $1"))
                .bind(key)
                .fetch_optional(&self.pool)
                .await?;
            row.as_ref().map(job_from).transpose()
        })
    }

    fn recent(&self, limit: usize) -> Result<Vec<Job>, QueueError> {
        self.block_on(async {
            let rows = sqlx::query(&format!("SELECT {COLUMNS} FROM mosaic_prover_jobs ORDER BY seq DESC LIMIT $1"))
                .bind(i64::try_from(limit).unwrap_or(i64::MAX))
                .fetch_all(&self.pool)
                .await?;
            rows.iter().map(|row| job_from(row).map(Job::summary)).collect()
        })
    }

    fn running(&self) -> Result<Vec<Job>, QueueError> {
        self.block_on(async {
            let sql =
                format!("SELECT {COLUMNS} FROM mosaic_prover_jobs WHERE state = 'running' ORDER BY started_at, seq");
            let rows = sqlx::query(&sql).fetch_all(&self.pool).await?;
            rows.iter().map(|row| job_from(row).map(Job::summary)).collect()
        })
    }

    fn stats(&self) -> Result<Vec<KindStats>, QueueError> {
        self.block_on(async {
            let rows = sqlx::query("SELECT kind, state, count(*) AS n FROM mosaic_prover_jobs GROUP BY kind, state")
                .fetch_all(&self.pool)
                .await?;
            let mut counts = Vec::new();
            for row in rows {
                let kind: JobKind = row.try_get::<String, _>("kind")?.parse()?;
                let state = JobState::parse(&row.try_get::<String, _>("state")?)?;
                counts.push((kind, state, row.try_get::<i64, _>("n")?.max(0) as u64));
            }
            Ok(crate::tally(counts))
        })
    }

    fn retry(&self, key: &str) -> Result<bool, QueueError> {
        self.block_on(async {
            let done = sqlx::query(
                "UPDATE mosaic_prover_jobs SET state = 'queued', attempts = 0, finished_at = NULL \
                 WHERE key = $1 AND state = 'failed'",
            )
            .bind(key)
            .execute(&self.pool)
            .await?;
            if done.rows_affected() == 1 {
                return Ok(true);
            }
            let exists = sqlx::query("SELECT 1 FROM mosaic_prover_jobs WHERE key = $1")
                .bind(key)
                .fetch_optional(&self.pool)
                .await?
                .is_some();
            if exists {
                Ok(false)
            } else {
                Err(QueueError::NoSuchJob(key.into()))
            }
        })
    }
}
