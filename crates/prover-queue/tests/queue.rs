//! The queue's behaviour, the same tests against both back ends: the embedded redb file and a real
//! PostgreSQL server (a throw-away cluster per test, see `support/postgres.rs`).
use mosaic_prover_queue::{EmbeddedQueue, JobKind, JobQueue, JobState, NewJob, PostgresQueue, QueueError, Worker};
use std::{
    collections::BTreeMap,
    io::{BufRead, BufReader},
    path::Path,
    process::{Command, Stdio},
    sync::Arc,
    time::{Duration, Instant},
};

mod support {
    pub(crate) mod postgres;
}
use support::postgres::Cluster;

fn worker(id: &str, kinds: &[JobKind], lease_ms: u64) -> Worker {
    Worker { id: id.into(), kinds: kinds.to_vec(), max_memory_gib: None, lease: Duration::from_millis(lease_ms) }
}

fn claim_key(q: &dyn JobQueue, w: &Worker) -> Option<String> {
    q.claim(w).unwrap().map(|c| c.key)
}

/// Kinds, memory and dependencies decide what a worker may claim, oldest first; keys are unique.
fn claims_follow_kinds_memory_and_dependencies(q: &dyn JobQueue) {
    use JobKind::*;
    assert!(q.enqueue(NewJob::new("batch-1", Batch, b"one".to_vec()).memory(8)).unwrap());
    assert!(q.enqueue(NewJob::new("batch-2", Batch, b"two".to_vec())).unwrap());
    assert!(q.enqueue(NewJob::new("agg-1-2", Aggregate, vec![]).after(["batch-1", "batch-2"])).unwrap());
    assert!(q.enqueue(NewJob::new("wrap-1-2", Wrap, vec![]).after(["agg-1-2"])).unwrap());
    assert!(!q.enqueue(NewJob::new("batch-1", Batch, b"other".to_vec())).unwrap(), "a key is enqueued once");
    assert_eq!(q.job("batch-1").unwrap().unwrap().payload, b"one");

    let late = worker("late", &[Aggregate, Wrap], 60_000);
    assert_eq!(claim_key(q, &late), None, "the aggregate waits for its batches");
    let small = Worker { max_memory_gib: Some(4), ..worker("small", &[Batch], 60_000) };
    let c = q.claim(&small).unwrap().unwrap();
    assert_eq!((c.key.as_str(), c.payload.as_slice(), c.attempt), ("batch-2", &b"two"[..], 1), "batch-1 needs 8 GiB");
    let big = worker("big", &[Batch], 60_000);
    assert_eq!(claim_key(q, &big).as_deref(), Some("batch-1"));
    assert_eq!(claim_key(q, &big), None, "both batches are held");
    let mut running: Vec<_> = q.running().unwrap().into_iter().map(|j| (j.key, j.worker, j.payload)).collect();
    running.sort();
    let held = |k: &str, w: &str| (k.to_string(), Some(w.to_string()), Vec::new());
    assert_eq!(running, [held("batch-1", "big"), held("batch-2", "small")], "held jobs, without payloads");

    q.heartbeat("batch-1", "big", 0.5, Duration::from_secs(60)).unwrap();
    let running = q.job("batch-1").unwrap().unwrap();
    assert_eq!((running.state, running.worker.as_deref(), running.progress), (JobState::Running, Some("big"), 0.5));
    q.complete("batch-1", "big", b"stark-1").unwrap();
    assert_eq!(claim_key(q, &late), None, "batch-2 is not done yet");
    q.complete("batch-2", "small", b"stark-2").unwrap();
    assert_eq!(claim_key(q, &late).as_deref(), Some("agg-1-2"));
    assert_eq!(claim_key(q, &late), None, "the wrap waits for the aggregate");
    q.complete("agg-1-2", "late", b"agg").unwrap();
    assert_eq!(claim_key(q, &late).as_deref(), Some("wrap-1-2"));
    q.complete("wrap-1-2", "late", b"snark").unwrap();

    let done = q.job("wrap-1-2").unwrap().unwrap();
    assert_eq!((done.state, done.result.as_deref(), done.attempts), (JobState::Done, Some(&b"snark"[..]), 1));
    assert!(done.finished_ms >= done.started_ms && done.started_ms >= Some(done.created_ms));
    let recent: Vec<String> = q.recent(3).unwrap().into_iter().map(|j| j.key).collect();
    assert_eq!(recent, ["wrap-1-2", "agg-1-2", "batch-2"], "newest first");
    assert!(q.running().unwrap().is_empty(), "nothing held once all is done");
    let stats = q.stats().unwrap();
    let batch = stats.iter().find(|s| s.kind == Some(Batch)).unwrap();
    assert_eq!((batch.done, batch.queued, batch.running, batch.failed), (2, 0, 0, 0));
}

/// A claim takes the job closest to a finished proof first: a range's aggregation before older batches.
fn the_job_closest_to_a_proof_goes_first(q: &dyn JobQueue) {
    use JobKind::*;
    let all = worker("all", &JobKind::ALL, 60_000);
    q.enqueue(NewJob::new("batch-1", Batch, vec![])).unwrap();
    assert_eq!(claim_key(q, &all).as_deref(), Some("batch-1"));
    q.complete("batch-1", "all", b"stark").unwrap();
    q.enqueue(NewJob::new("batch-2", Batch, vec![])).unwrap();
    q.enqueue(NewJob::new("batch-3", Batch, vec![])).unwrap();
    q.enqueue(NewJob::new("agg-1", Aggregate, vec![]).after(["batch-1"])).unwrap();
    q.enqueue(NewJob::new("wrap-1", Wrap, vec![]).after(["agg-1"])).unwrap();
    assert_eq!(claim_key(q, &all).as_deref(), Some("agg-1"), "before the older batches");
    assert_eq!(claim_key(q, &all).as_deref(), Some("batch-2"), "the wrap waits for the aggregate");
    q.complete("agg-1", "all", b"agg").unwrap();
    assert_eq!(claim_key(q, &all).as_deref(), Some("wrap-1"));
    assert_eq!(claim_key(q, &all).as_deref(), Some("batch-3"));
}

/// Workers claiming at once never get the same job, and every job is done exactly once.
fn concurrent_claims_never_share_a_job(q: Arc<dyn JobQueue>) {
    const JOBS: usize = 40;
    for i in 0..JOBS {
        q.enqueue(NewJob::new(format!("job-{i:02}"), JobKind::Batch, vec![])).unwrap();
    }
    // Every worker first holds one job while the others claim theirs (so the claims do overlap), then
    // they all drain the queue.
    let barrier = Arc::new(std::sync::Barrier::new(4));
    let threads: Vec<_> = (0..4)
        .map(|t| {
            let (q, barrier) = (q.clone(), barrier.clone());
            std::thread::spawn(move || {
                let w = worker(&format!("w{t}"), &[JobKind::Batch], 60_000);
                let first = q.claim(&w).unwrap().expect("a job for every worker");
                barrier.wait();
                q.complete(&first.key, &w.id, b"").unwrap();
                let mut mine = vec![first.key];
                while let Some(c) = q.claim(&w).unwrap() {
                    q.complete(&c.key, &w.id, c.key.as_bytes()).unwrap();
                    mine.push(c.key);
                }
                mine
            })
        })
        .collect();
    let mut seen = BTreeMap::new();
    let mut workers_with_work = 0;
    for t in threads {
        let mine = t.join().unwrap();
        workers_with_work += usize::from(!mine.is_empty());
        for key in mine {
            *seen.entry(key).or_insert(0) += 1;
        }
    }
    assert_eq!(seen.len(), JOBS, "every job was claimed");
    assert!(seen.values().all(|&n| n == 1), "no job was claimed twice: {seen:?}");
    assert_eq!(workers_with_work, 4, "every worker held a job at once");
    let stats = q.stats().unwrap();
    assert_eq!(stats.iter().map(|s| s.done).sum::<u64>(), JOBS as u64);
}

/// A lease that is not renewed expires: another worker takes the job, the first is told it lost it, and
/// an expiry on the last attempt fails the job for good.
fn an_expired_lease_moves_the_job_and_the_last_one_fails_it(q: &dyn JobQueue) {
    // Long enough that a loaded machine cannot expire a lease between two calls.
    const LEASE: u64 = 2000;
    q.enqueue(NewJob::new("slow", JobKind::Wrap, vec![]).attempts(2)).unwrap();
    let (a, b, c) = (
        worker("a", &[JobKind::Wrap], LEASE),
        worker("b", &[JobKind::Wrap], LEASE),
        worker("c", &[JobKind::Wrap], LEASE),
    );
    assert_eq!(q.claim(&a).unwrap().unwrap().attempt, 1);
    assert_eq!(claim_key(q, &b), None, "the lease holds");
    std::thread::sleep(Duration::from_millis(LEASE + 500));
    let again = q.claim(&b).unwrap().unwrap();
    assert_eq!((again.key.as_str(), again.attempt), ("slow", 2));
    for lost in [
        q.heartbeat("slow", "a", 0.9, Duration::from_secs(1)).unwrap_err(),
        q.complete("slow", "a", b"late").unwrap_err(),
        q.fail("slow", "a", "late").unwrap_err(),
    ] {
        assert!(matches!(&lost, QueueError::LeaseLost { why, .. } if why.contains("held by b")), "{lost}");
    }
    std::thread::sleep(Duration::from_millis(LEASE + 500));
    assert_eq!(claim_key(q, &c), None, "no third attempt");
    let job = q.job("slow").unwrap().unwrap();
    assert_eq!(job.state, JobState::Failed);
    assert!(job.error.as_deref().unwrap_or_default().contains("lease of attempt 2 expired (b"), "{job:?}");
    assert!(matches!(q.complete("slow", "b", b"x"), Err(QueueError::LeaseLost { .. })));
    assert!(matches!(q.heartbeat("none", "b", 0.0, Duration::ZERO), Err(QueueError::NoSuchJob(_))));
}

/// A failing job is retried until its last attempt, then failed for good and reported; an operator's
/// retry queues it again.
fn a_poisoned_job_stops_after_its_attempts(q: &dyn JobQueue) {
    q.enqueue(NewJob::new("poison", JobKind::Aggregate, vec![]).attempts(3)).unwrap();
    q.enqueue(NewJob::new("after", JobKind::Wrap, vec![]).after(["poison"])).unwrap();
    let w = worker("w", &[JobKind::Aggregate, JobKind::Wrap], 60_000);
    for (attempt, left_in) in [(1, JobState::Queued), (2, JobState::Queued), (3, JobState::Failed)] {
        let c = q.claim(&w).unwrap().unwrap();
        assert_eq!((c.key.as_str(), c.attempt), ("poison", attempt));
        assert_eq!(q.fail("poison", "w", &format!("boom {attempt}")).unwrap(), left_in);
    }
    assert_eq!(claim_key(q, &w), None, "neither the poisoned job nor the one waiting for it runs");
    let job = q.job("poison").unwrap().unwrap();
    assert_eq!((job.state, job.attempts, job.error.as_deref()), (JobState::Failed, 3, Some("boom 3")));
    let stats = q.stats().unwrap();
    assert_eq!(stats.iter().find(|s| s.kind == Some(JobKind::Aggregate)).unwrap().failed, 1);
    assert!(!q.retry("after").unwrap(), "only a failed job is retried");
    assert!(q.retry("poison").unwrap());
    assert_eq!(q.claim(&w).unwrap().unwrap().attempt, 1, "fresh attempts");
    q.complete("poison", "w", b"").unwrap();
    assert_eq!(claim_key(q, &w).as_deref(), Some("after"));
    assert!(matches!(q.retry("missing"), Err(QueueError::NoSuchJob(_))));
}

/// Env var that turns this test binary into a worker process (see `worker_process`).
const WORKER_ENV: &str = "MOSAIC_QUEUE_TEST_WORKER";

/// Not a test on its own: run by `*_a_killed_worker_process_loses_nothing` as a child, it claims one job
/// with a 3 s lease, prints its key and beats every 0.3 s until it is killed.
#[test]
#[ignore = "a worker process for the kill -9 tests, started by them"]
fn worker_process() {
    let url = std::env::var(WORKER_ENV).expect("started by a kill -9 test, with the queue URL");
    let q = mosaic_prover_queue::open(&url).unwrap();
    let w = worker("child", &[JobKind::Batch], 3000);
    let c = q.claim(&w).unwrap().expect("a job to claim");
    println!("claimed {}", c.key);
    loop {
        std::thread::sleep(Duration::from_millis(300));
        q.heartbeat(&c.key, "child", 0.5, w.lease).unwrap();
    }
}

/// Starts `worker_process` in a child against `url` and returns it once it holds a job.
fn spawn_worker(url: &str) -> std::process::Child {
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "worker_process", "--ignored", "--nocapture"])
        .env(WORKER_ENV, url)
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let mut lines = BufReader::new(stdout).lines();
    let started = Instant::now();
    let claimed = loop {
        match lines.next() {
            Some(Ok(line)) if line.starts_with("claimed ") => break true,
            Some(Ok(_)) if started.elapsed() < Duration::from_secs(60) => {}
            _ => break false,
        }
    };
    if !claimed {
        let _ = child.kill();
        let _ = child.wait();
        panic!("the worker process did not claim the job");
    }
    child
}

fn kill_9(child: &mut std::process::Child) {
    // SIGKILL: no destructor, no goodbye to the queue.
    Command::new("kill").args(["-9", &child.id().to_string()]).status().unwrap();
    child.wait().unwrap();
}

/// After `kill -9` of the worker, the job is taken again once the lease runs out, and nothing is lost.
fn take_over_after_the_lease(q: &dyn JobQueue) {
    let held = q.job("job").unwrap().unwrap();
    assert_eq!((held.state, held.worker.as_deref(), held.attempts), (JobState::Running, Some("child"), 1));
    let w = worker("survivor", &[JobKind::Batch], 60_000);
    let started = Instant::now();
    let claim = loop {
        if let Some(c) = q.claim(&w).unwrap() {
            break c;
        }
        assert!(started.elapsed() < Duration::from_secs(30), "the lease never expired");
        std::thread::sleep(Duration::from_millis(100));
    };
    assert_eq!((claim.key.as_str(), claim.payload.as_slice(), claim.attempt), ("job", &b"witness"[..], 2));
    q.complete("job", "survivor", b"proof").unwrap();
    assert_eq!(q.job("job").unwrap().unwrap().state, JobState::Done);
}

fn embedded(dir: &Path) -> Arc<dyn JobQueue> {
    Arc::new(EmbeddedQueue::open(&dir.join("queue.redb")).unwrap())
}

#[test]
fn embedded_claims_follow_kinds_memory_and_dependencies() {
    let dir = tempfile::tempdir().unwrap();
    claims_follow_kinds_memory_and_dependencies(&*embedded(dir.path()));
}

#[test]
fn embedded_the_job_closest_to_a_proof_goes_first() {
    let dir = tempfile::tempdir().unwrap();
    the_job_closest_to_a_proof_goes_first(&*embedded(dir.path()));
}

#[test]
fn embedded_concurrent_claims_never_share_a_job() {
    let dir = tempfile::tempdir().unwrap();
    concurrent_claims_never_share_a_job(embedded(dir.path()));
}

#[test]
fn embedded_an_expired_lease_moves_the_job_and_the_last_one_fails_it() {
    let dir = tempfile::tempdir().unwrap();
    an_expired_lease_moves_the_job_and_the_last_one_fails_it(&*embedded(dir.path()));
}

#[test]
fn embedded_a_poisoned_job_stops_after_its_attempts() {
    let dir = tempfile::tempdir().unwrap();
    a_poisoned_job_stops_after_its_attempts(&*embedded(dir.path()));
}

#[test]
fn embedded_a_killed_worker_process_loses_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("queue.redb");
    {
        let q = EmbeddedQueue::open(&path).unwrap();
        q.enqueue(NewJob::new("job", JobKind::Batch, b"witness".to_vec())).unwrap();
    } // The file is the child's while it runs (one process at a time).
    let mut child = spawn_worker(path.to_str().unwrap());
    kill_9(&mut child);
    take_over_after_the_lease(&EmbeddedQueue::open(&path).unwrap());
}

#[test]
fn postgres_claims_follow_kinds_memory_and_dependencies() {
    let pg = Cluster::start();
    claims_follow_kinds_memory_and_dependencies(&PostgresQueue::connect(&pg.database("deps")).unwrap());
    the_job_closest_to_a_proof_goes_first(&PostgresQueue::connect(&pg.database("order")).unwrap());
}

#[test]
fn postgres_concurrent_claims_never_share_a_job() {
    let pg = Cluster::start();
    let url = pg.database("concurrent");
    // Four workers, each with its own connection pool, as on four machines.
    let q: Arc<dyn JobQueue> = Arc::new(PostgresQueue::connect(&url).unwrap());
    concurrent_claims_never_share_a_job(q);
    let threads: Vec<_> = (0..4)
        .map(|t| {
            let url = url.clone();
            std::thread::spawn(move || {
                let q = PostgresQueue::connect(&url).unwrap();
                q.enqueue(NewJob::new(format!("more-{t}"), JobKind::Wrap, vec![])).unwrap();
                let w = worker(&format!("m{t}"), &[JobKind::Wrap], 60_000);
                let mut mine = 0;
                while let Some(c) = q.claim(&w).unwrap() {
                    q.complete(&c.key, &w.id, b"").unwrap();
                    mine += 1;
                }
                mine
            })
        })
        .collect();
    let total: usize = threads.into_iter().map(|t| t.join().unwrap()).sum();
    assert_eq!(total, 4, "every job once, across separate pools");
}

#[test]
fn postgres_an_expired_lease_moves_the_job_and_the_last_one_fails_it() {
    let pg = Cluster::start();
    an_expired_lease_moves_the_job_and_the_last_one_fails_it(&PostgresQueue::connect(&pg.database("lease")).unwrap());
}

#[test]
fn postgres_a_poisoned_job_stops_after_its_attempts() {
    let pg = Cluster::start();
    a_poisoned_job_stops_after_its_attempts(&PostgresQueue::connect(&pg.database("poison")).unwrap());
}

#[test]
fn postgres_a_killed_worker_process_loses_nothing() {
    let pg = Cluster::start();
    let url = pg.database("kill");
    let q = PostgresQueue::connect(&url).unwrap();
    q.enqueue(NewJob::new("job", JobKind::Batch, b"witness".to_vec())).unwrap();
    let mut child = spawn_worker(&url);
    // Its heartbeats hold the job past its 3 s lease while it lives.
    std::thread::sleep(Duration::from_millis(4000));
    assert_eq!(q.claim(&worker("eager", &[JobKind::Batch], 1000)).unwrap(), None, "the living worker keeps it");
    kill_9(&mut child);
    take_over_after_the_lease(&q);
}

/// A node opens its queue while it starts, inside async code, and reads it from blocking threads:
/// neither that nor dropping the queue there may panic.
#[test]
fn postgres_a_queue_opens_and_closes_inside_async_code() {
    let pg = Cluster::start();
    let url = pg.database("async");
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().unwrap();
    rt.block_on(async {
        let q: Arc<dyn JobQueue> = Arc::from(mosaic_prover_queue::open(&url).unwrap());
        let queued = q.clone();
        tokio::task::spawn_blocking(move || queued.enqueue(NewJob::new("job", JobKind::Batch, vec![])).unwrap())
            .await
            .unwrap();
        let read = q.clone();
        let job = tokio::task::spawn_blocking(move || read.job("job").unwrap()).await.unwrap();
        assert_eq!(job.map(|j| j.state), Some(JobState::Queued));
        drop(q);
    });
}
