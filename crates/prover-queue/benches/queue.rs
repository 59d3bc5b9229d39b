//! The queue's cost per job — enqueue, claim, one heartbeat, complete — on each back end: what a worker
//! pays per job on top of the proving itself (minutes per batch; the goal is < 1 % of that). PostgreSQL
//! runs as a throw-away local cluster (scripts/setup-postgres.sh installs the server).
//! `cargo bench -p mosaic-prover-queue --bench queue`
use criterion::{criterion_group, criterion_main, Criterion};
use mosaic_prover_queue::{EmbeddedQueue, JobKind, JobQueue, NewJob, PostgresQueue, Worker};
use std::time::Duration;

#[path = "../tests/support/postgres.rs"]
mod postgres;

fn one_job(q: &dyn JobQueue, worker: &Worker, n: &mut u64) {
    *n += 1;
    let key = format!("job-{n}");
    q.enqueue(NewJob::new(key.clone(), JobKind::Batch, vec![0; 64])).expect("enqueue");
    let claim = q.claim(worker).expect("claim").expect("a job");
    q.heartbeat(&claim.key, &worker.id, 0.5, worker.lease).expect("heartbeat");
    q.complete(&claim.key, &worker.id, &[1; 64]).expect("complete");
}

fn queue(c: &mut Criterion) {
    let worker = Worker { lease: Duration::from_secs(60), ..Worker::new("bench") };
    let dir = tempfile::tempdir().expect("temp dir");
    let embedded = EmbeddedQueue::open(&dir.path().join("queue.redb")).expect("queue");
    let mut n = 0;
    c.bench_function("embedded_job_round_trip", |b| b.iter(|| one_job(&embedded, &worker, &mut n)));
    let cluster = postgres::Cluster::start();
    let pg = PostgresQueue::connect(&cluster.database("bench")).expect("postgres");
    c.bench_function("postgres_job_round_trip", |b| b.iter(|| one_job(&pg, &worker, &mut n)));
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(20).measurement_time(Duration::from_secs(5));
    targets = queue
}
criterion_main!(benches);
