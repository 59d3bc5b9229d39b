//! A worker's loop: claim a job, run it while a heartbeat thread keeps the lease, store the result or
//! the failure, repeat. Whatever runs the jobs (OpenVM, the halo2 wrap) sits behind [`JobRunner`].
use crate::{ArtifactStore, Claim, JobQueue, JobState, QueueError, Worker};
use std::{
    sync::{
        atomic::{AtomicBool, AtomicU32, Ordering},
        mpsc, Arc,
    },
    time::{Duration, Instant},
};
use tracing::{info, warn};

/// Runs claimed jobs.
pub trait JobRunner {
    /// Runs `claim`: reads its inputs from `artifacts`, writes its outputs there, and returns the result
    /// stored on the job (small: artifact names and hashes). `progress` takes 0 to 1.
    fn run(&mut self, claim: &Claim, artifacts: &dyn ArtifactStore, progress: &dyn Fn(f32)) -> Result<Vec<u8>, String>;
}

/// How one claimed job ended.
#[derive(Debug, Clone, PartialEq)]
pub struct Ran {
    /// The job.
    pub key: String,
    /// The state the job was left in (`Done`; `Queued` to be retried; `Failed` for good), or `None` if
    /// the worker had lost the job to another before it finished (its result was dropped).
    pub state: Option<JobState>,
    /// Seconds it ran.
    pub seconds: f64,
}

/// One worker over one queue.
pub struct WorkerLoop {
    queue: Arc<dyn JobQueue>,
    artifacts: Arc<dyn ArtifactStore>,
    worker: Worker,
    /// Pause between claims when there is nothing to do.
    pub idle: Duration,
}

impl WorkerLoop {
    /// A loop for `worker` on `queue`, with inputs and outputs in `artifacts`.
    pub fn new(queue: Arc<dyn JobQueue>, artifacts: Arc<dyn ArtifactStore>, worker: Worker) -> Self {
        Self { queue, artifacts, worker, idle: Duration::from_secs(2) }
    }

    /// Claims one job and runs it (`None`: nothing to claim). Blocking, for as long as the job takes.
    pub fn run_one(&self, runner: &mut dyn JobRunner) -> Result<Option<Ran>, QueueError> {
        let Some(claim) = self.queue.claim(&self.worker)? else { return Ok(None) };
        let id = self.worker.id.as_str();
        info!(job = %claim.key, kind = %claim.kind, attempt = claim.attempt, worker = id, "prover worker: claimed");
        let progress = Arc::new(AtomicU32::new(0f32.to_bits()));
        let lost = AtomicBool::new(false);
        let started = Instant::now();
        let (done, beat_stop) = mpsc::channel::<()>();
        let key = claim.key.as_str();
        let result = std::thread::scope(|scope| {
            // Beats at a third of the lease, so one late beat does not lose the job.
            let every = (self.worker.lease / 3).max(Duration::from_millis(50));
            let beats = {
                let (progress, lost) = (progress.clone(), &lost);
                scope.spawn(move || {
                    while let Err(mpsc::RecvTimeoutError::Timeout) = beat_stop.recv_timeout(every) {
                        let p = f32::from_bits(progress.load(Ordering::Relaxed));
                        match self.queue.heartbeat(key, id, p, self.worker.lease) {
                            Ok(()) => {}
                            Err(e @ (QueueError::LeaseLost { .. } | QueueError::NoSuchJob(_))) => {
                                warn!(job = key, error = %e, "prover worker: lost the job; its result will be dropped");
                                lost.store(true, Ordering::Relaxed);
                                return;
                            }
                            // A database hiccup: the next beat may get through before the lease ends.
                            Err(e) => warn!(job = key, error = %e, "prover worker: heartbeat failed"),
                        }
                    }
                })
            };
            let report = |p: f32| progress.store(p.clamp(0.0, 1.0).to_bits(), Ordering::Relaxed);
            let result = runner.run(&claim, &*self.artifacts, &report);
            drop(done);
            let _ = beats.join();
            result
        });
        let seconds = started.elapsed().as_secs_f64();
        let state = match result {
            Ok(bytes) => self.queue.complete(&claim.key, id, &bytes).map(|()| JobState::Done),
            Err(e) => {
                warn!(job = %claim.key, attempt = claim.attempt, error = %e, "prover worker: the job failed");
                self.queue.fail(&claim.key, id, &e)
            }
        };
        let state = match state {
            Ok(s) => Some(s),
            Err(QueueError::LeaseLost { .. } | QueueError::NoSuchJob(_)) => None,
            Err(e) => return Err(e),
        };
        info!(job = %claim.key, ?state, seconds, lost = lost.load(Ordering::Relaxed), "prover worker: finished");
        Ok(Some(Ran { key: claim.key, state, seconds }))
    }

    /// Runs jobs until `stop` is set (checked between jobs and while idle). A queue that cannot be
    /// reached is retried after the idle pause.
    pub fn run(&self, runner: &mut dyn JobRunner, stop: &AtomicBool) {
        while !stop.load(Ordering::Relaxed) {
            match self.run_one(runner) {
                Ok(Some(_)) => {}
                Ok(None) => std::thread::sleep(self.idle),
                Err(e) => {
                    warn!(error = %e, "prover worker: the queue failed");
                    std::thread::sleep(self.idle);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{DirectoryStore, EmbeddedQueue, JobKind, NewJob};

    /// A mock runner, for these unit tests only: copies the artifact the payload names to `<name>.out`,
    /// sleeping `delay` first; fails when the payload says "fail".
    struct MockRunner {
        delay: Duration,
    }

    impl JobRunner for MockRunner {
        fn run(
            &mut self,
            claim: &Claim,
            artifacts: &dyn ArtifactStore,
            progress: &dyn Fn(f32),
        ) -> Result<Vec<u8>, String> {
            let name = String::from_utf8(claim.payload.clone()).map_err(|e| e.to_string())?;
            if name == "fail" {
                return Err("told to fail".into());
            }
            progress(0.5);
            std::thread::sleep(self.delay);
            let input = artifacts.get(&name).map_err(|e| e.to_string())?.ok_or("no input")?;
            let out = format!("{name}.out");
            artifacts.put(&out, &input).map_err(|e| e.to_string())?;
            Ok(out.into_bytes())
        }
    }

    fn setup(lease_ms: u64) -> (tempfile::TempDir, WorkerLoop, Arc<dyn JobQueue>, Arc<DirectoryStore>) {
        let dir = tempfile::tempdir().unwrap();
        let queue: Arc<dyn JobQueue> = Arc::new(EmbeddedQueue::open(&dir.path().join("q.redb")).unwrap());
        let artifacts = Arc::new(DirectoryStore::new(dir.path().join("artifacts")));
        let worker = Worker { lease: Duration::from_millis(lease_ms), ..Worker::new("w") };
        let lp = WorkerLoop::new(queue.clone(), artifacts.clone(), worker);
        (dir, lp, queue, artifacts)
    }

    #[test]
    fn heartbeats_keep_a_job_that_outlives_its_lease_and_results_are_stored() {
        let (_dir, lp, queue, artifacts) = setup(150);
        artifacts.put("witness", b"w").unwrap();
        queue.enqueue(NewJob::new("batch-1", JobKind::Batch, b"witness".to_vec())).unwrap();
        // The job runs 4 leases long: only the heartbeats keep it.
        let ran = lp.run_one(&mut MockRunner { delay: Duration::from_millis(600) }).unwrap().unwrap();
        assert_eq!((ran.key.as_str(), ran.state), ("batch-1", Some(JobState::Done)));
        let job = queue.job("batch-1").unwrap().unwrap();
        assert_eq!((job.attempts, job.result.as_deref()), (1, Some(&b"witness.out"[..])));
        assert_eq!(artifacts.get("witness.out").unwrap().as_deref(), Some(&b"w"[..]));
        assert_eq!(lp.run_one(&mut MockRunner { delay: Duration::ZERO }).unwrap(), None);
    }

    #[test]
    fn a_failing_job_is_queued_again_then_failed_for_good() {
        let (_dir, lp, queue, _) = setup(60_000);
        queue.enqueue(NewJob::new("bad", JobKind::Wrap, b"fail".to_vec()).attempts(2)).unwrap();
        let mut runner = MockRunner { delay: Duration::ZERO };
        assert_eq!(lp.run_one(&mut runner).unwrap().unwrap().state, Some(JobState::Queued));
        assert_eq!(lp.run_one(&mut runner).unwrap().unwrap().state, Some(JobState::Failed));
        assert_eq!(queue.job("bad").unwrap().unwrap().error.as_deref(), Some("told to fail"));
        assert_eq!(lp.run_one(&mut runner).unwrap(), None);
    }

    #[test]
    fn run_works_through_the_queue_and_stops_when_asked() {
        let (_dir, mut lp, queue, artifacts) = setup(60_000);
        lp.idle = Duration::from_millis(10);
        for i in 0..3 {
            artifacts.put(&format!("in-{i}"), b"x").unwrap();
            queue.enqueue(NewJob::new(format!("job-{i}"), JobKind::Batch, format!("in-{i}").into_bytes())).unwrap();
        }
        let stop = AtomicBool::new(false);
        let done = || queue.stats().unwrap().iter().map(|s| s.done).sum::<u64>();
        std::thread::scope(|s| {
            s.spawn(|| lp.run(&mut MockRunner { delay: Duration::ZERO }, &stop));
            let started = Instant::now();
            while done() < 3 && started.elapsed() < Duration::from_secs(10) {
                std::thread::sleep(Duration::from_millis(10));
            }
            stop.store(true, Ordering::Relaxed);
        }); // Returns only once the loop has stopped.
        assert_eq!(done(), 3);
    }
}
