//! The prover queue on `/metrics`, as the node's planner sees it: jobs per kind and state, how long
//! finished jobs took, jobs failed for good, and the lag from a batch's commit to its SNARK.
use mosaic_prover_queue::{Job, JobKind, JobState, KindStats};
use prometheus::{Gauge, HistogramOpts, HistogramVec, IntCounterVec, IntGaugeVec, Opts, Registry};

/// The planner's metrics.
#[derive(Clone)]
pub struct ProvingMetrics {
    /// Jobs per kind and state (`prover_jobs{kind, state}`).
    pub jobs: IntGaugeVec,
    /// Seconds of finished jobs' last attempts, per kind.
    pub job_seconds: HistogramVec,
    /// Jobs failed for good, per kind.
    pub failures: IntCounterVec,
    /// Seconds from the first batch job of the last posted range to its SNARK in the finalizer's folder.
    pub proof_lag: Gauge,
    seen_until_ms: std::sync::Arc<parking_lot::Mutex<u64>>,
}

impl ProvingMetrics {
    /// Registers them in `registry` (once per node).
    pub fn register(registry: &Registry) -> Result<Self, prometheus::Error> {
        let jobs = IntGaugeVec::new(
            Opts::new("prover_jobs", "Proof jobs in the queue per kind and state"),
            &["kind", "state"],
        )?;
        // Batch STARKs take minutes, wraps tens of minutes on a CPU.
        let buckets = vec![10.0, 30.0, 60.0, 120.0, 300.0, 600.0, 1200.0, 1800.0, 3600.0, 7200.0];
        let job_seconds = HistogramVec::new(
            HistogramOpts::new("prover_job_seconds", "Seconds a finished proof job's last attempt took")
                .buckets(buckets),
            &["kind"],
        )?;
        let failures =
            IntCounterVec::new(Opts::new("prover_job_failures_total", "Proof jobs failed for good"), &["kind"])?;
        let proof_lag = Gauge::new(
            "prover_proof_lag_seconds",
            "Seconds from the last posted range's first batch job to its SNARK",
        )?;
        registry.register(Box::new(jobs.clone()))?;
        registry.register(Box::new(job_seconds.clone()))?;
        registry.register(Box::new(failures.clone()))?;
        registry.register(Box::new(proof_lag.clone()))?;
        Ok(Self { jobs, job_seconds, failures, proof_lag, seen_until_ms: Default::default() })
    }

    /// Updates the gauges from the queue's `stats`, and counts the jobs among `recent` that ended since
    /// the last call.
    pub fn observe(&self, stats: &[KindStats], recent: &[Job]) {
        for s in stats {
            let kind = s.kind.map_or("?", JobKind::as_str);
            for (state, n) in [("queued", s.queued), ("running", s.running), ("done", s.done), ("failed", s.failed)] {
                self.jobs.with_label_values(&[kind, state]).set(n as i64);
            }
        }
        let mut seen = self.seen_until_ms.lock();
        let first = *seen == 0;
        let mut latest = *seen;
        for job in recent {
            let Some(finished) = job.finished_ms.filter(|f| *f > *seen) else { continue };
            latest = latest.max(finished);
            // The first look only sets the mark: jobs that ended before this node started are history.
            if first {
                continue;
            }
            match job.state {
                JobState::Done => {
                    if let Some(s) = job.seconds(finished) {
                        self.job_seconds.with_label_values(&[job.kind.as_str()]).observe(s);
                    }
                }
                JobState::Failed => self.failures.with_label_values(&[job.kind.as_str()]).inc(),
                JobState::Queued | JobState::Running => {}
            }
        }
        *seen = latest.max(1);
    }
}
