//! The planner's logic over a real embedded queue, with a mock witness source and a mock worker
//! (`MockWitnesses`, `MockRunner`): which jobs are queued when, how ranges close, that a restart finds
//! its jobs, that failures are reported and an operator's retry resumes them.
use super::*;
use mosaic_node::NodeConfig;
use mosaic_prover_queue::{Claim, DirectoryStore, EmbeddedQueue, JobRunner, WorkerLoop};
use mosaic_snark::{ACCUMULATOR_INSTANCES, COMMIT_INSTANCES};
use std::path::Path;

/// MOCK (unit tests only): a "witness" that is the batch index, and a made-up journal.
struct MockWitnesses;

fn journal_of(index: u64) -> B256 {
    keccak256(format!("journal {index}"))
}

impl WitnessSource for MockWitnesses {
    fn witness(&self, _: &Node, record: &BatchRecord) -> Result<BatchInput, StageError> {
        Ok(BatchInput {
            witness: record.index.to_be_bytes().to_vec(),
            journal: journal_of(record.index).to_vec(),
            journal_hash: journal_of(record.index),
        })
    }
}

/// MOCK (unit tests only): "proves" by hashing — every artifact it writes is the 32-byte journal hash
/// its proof would reveal — and "wraps" into an unverifiable SNARK-shaped file that states it; fails
/// the jobs whose key starts with `fail`.
#[derive(Default)]
struct MockRunner {
    fail: Option<String>,
    ran: Vec<String>,
}

fn mock_snark(hash: B256) -> SnarkProof {
    let mut instances = vec![B256::ZERO; ACCUMULATOR_INSTANCES + COMMIT_INSTANCES];
    instances.extend(hash.iter().map(|b| B256::with_last_byte(*b)));
    SnarkProof { instances, proof: vec![0xab; 8] }
}

impl JobRunner for MockRunner {
    fn run(&mut self, claim: &Claim, artifacts: &dyn ArtifactStore, _: &dyn Fn(f32)) -> Result<Vec<u8>, String> {
        if self.fail.as_deref().is_some_and(|f| claim.key.starts_with(f)) {
            return Err("mock failure".into());
        }
        self.ran.push(claim.key.clone());
        let task = Task::decode(&claim.payload).map_err(|e| e.to_string())?;
        let read = |name: &str| -> Result<B256, String> {
            let bytes = artifacts.get(name).map_err(|e| e.to_string())?.ok_or("missing input")?;
            B256::try_from(bytes.as_slice()).map_err(|e| e.to_string())
        };
        let (bytes, hash) = match &task {
            Task::Batch { journal_hash, segments, .. } => {
                // A join needs every group's output.
                for group in segments {
                    artifacts.get(group).map_err(|e| e.to_string())?.ok_or("missing segment group")?;
                }
                (journal_hash.to_vec(), *journal_hash)
            }
            Task::Segments { group, .. } => (group.to_be_bytes().to_vec(), B256::ZERO),
            Task::Aggregate { inputs, .. } => {
                let hashes = inputs.iter().map(|i| read(i)).collect::<Result<Vec<_>, _>>()?;
                let hash = keccak256(hashes.concat());
                (hash.to_vec(), hash)
            }
            Task::Wrap { input, .. } => {
                let hash = read(input)?;
                (mock_snark(hash).encode(), hash)
            }
        };
        artifacts.put(task.out(), &bytes).map_err(|e| e.to_string())?;
        Ok(Output { artifact: task.out().into(), journal_hash: hash }.encode())
    }
}

fn open(dir: &Path) -> Node {
    Node::open(NodeConfig {
        data_dir: dir.to_path_buf(),
        block_time: Duration::ZERO,
        fee_recipient: Default::default(),
        pool: Default::default(),
        genesis_alloc: Vec::new(),
        max_tx_size: mosaic_node::DEFAULT_MAX_TX_SIZE,
        allow_unprotected_txs: false,
        predeploys: Vec::new(),
        genesis_accounts: Vec::new(),
        chain: Default::default(),
    })
    .unwrap()
}

fn commit(node: &Node, index: u64) {
    BatchRecord {
        index,
        status: BatchStatus::Committed,
        first_block: index,
        last_block: index,
        tx_count: 1,
        data_bytes: 1,
        data_hash: keccak256(index.to_be_bytes()),
        l1_tx: B256::ZERO,
        l1_block: index,
        l1_message_cursor: 0,
        claimed_state_root: B256::ZERO,
        claimed_withdrawals_root: B256::ZERO,
        claimed_last_block_hash: B256::ZERO,
        computed_state_root: None,
        computed_withdrawals_root: None,
        computed_last_block_hash: None,
        error: None,
    }
    .store(node)
    .unwrap();
}

/// A node, a queue and artifacts in one temporary folder, and a worker on them.
struct Rig {
    dir: tempfile::TempDir,
    node: Node,
    queue: Arc<dyn JobQueue>,
    artifacts: Arc<DirectoryStore>,
    worker: WorkerLoop,
    runner: MockRunner,
}

fn rig() -> Rig {
    let dir = tempfile::tempdir().unwrap();
    let node = open(&dir.path().join("node"));
    let queue: Arc<dyn JobQueue> = Arc::new(EmbeddedQueue::open(&dir.path().join("queue.redb")).unwrap());
    let artifacts = Arc::new(DirectoryStore::new(dir.path().join("artifacts")));
    let worker = WorkerLoop::new(queue.clone(), artifacts.clone(), mosaic_prover_queue::Worker::new("w"));
    Rig { dir, node, queue, artifacts, worker, runner: MockRunner::default() }
}

impl Rig {
    fn pipeline(&self, aggregate: bool, zk_from: Option<u64>) -> Pipeline {
        let config = PipelineConfig { out: ProofDirectory::new(self.dir.path().join("out")), max_range: 3, aggregate };
        Pipeline::new(self.jobs(), config, Arc::new(move || zk_from))
    }

    /// Jobs on this rig, two attempts each, witnesses from `MockWitnesses`.
    fn jobs(&self) -> ProofJobs {
        ProofJobs::new(self.node.clone(), self.queue.clone(), self.artifacts.clone(), Box::new(MockWitnesses), 2)
    }

    fn out(&self) -> ProofDirectory {
        ProofDirectory::new(self.dir.path().join("out"))
    }

    /// Runs every claimable job; the keys run, in order.
    fn work(&mut self) -> Vec<String> {
        let before = self.runner.ran.len();
        while self.worker.run_one(&mut self.runner).unwrap().is_some() {}
        self.runner.ran[before..].to_vec()
    }
}

/// Plans until the planner idles.
fn plan(p: &mut Pipeline) -> Vec<Step> {
    let mut steps = Vec::new();
    loop {
        match p.step().unwrap() {
            Step::Idle => return steps,
            s => steps.push(s),
        }
        assert!(steps.len() < 100, "the planner does not settle: {steps:?}");
    }
}

fn key_of(node: &Node, index: u64) -> String {
    batch_key(&BatchRecord::load(node, index).unwrap().unwrap())
}

#[tokio::test]
async fn zk_batches_are_queued_at_once_then_aggregated_in_ranges_and_wrapped() {
    let mut rig = rig();
    for i in 1..=5 {
        commit(&rig.node, i);
    }
    // A hybrid chain: nothing to prove.
    assert_eq!(rig.pipeline(true, None).step().unwrap(), Step::Idle);

    // Zk from batch 2: every batch's job is queued before any is proven (a fleet takes them side by
    // side), with its witness stored for the worker; batches 2..=4 make a full range, queued at once
    // (its aggregation waits for them, the wrap for the aggregation).
    let mut p = rig.pipeline(true, Some(2));
    assert_eq!(
        plan(&mut p),
        vec![Step::Queued(2), Step::Queued(3), Step::Queued(4), Step::Queued(5), Step::Ranged(2, 4)]
    );
    let key3 = key_of(&rig.node, 3);
    assert_eq!(rig.artifacts.get(&format!("{key3}.witness")).unwrap(), Some(3u64.to_be_bytes().to_vec()));
    assert_eq!(rig.queue.job(&key3).unwrap().unwrap().memory_gib, BATCH_JOB_GIB);

    // The range is finished before the younger batch 5 is started.
    let worked = rig.work();
    assert_eq!(worked.len(), 6, "{worked:?}");
    assert!(worked[3].starts_with("aggregate-2-4-") && worked[4].starts_with("wrap-2-4-"), "{worked:?}");
    assert_eq!(worked[5], key_of(&rig.node, 5));
    assert_eq!(plan(&mut p), vec![Step::Posted(2), Step::Ranged(5, 5)], "then 5 alone: the provers caught up");
    let range = load_range(&rig.node).unwrap().unwrap();
    assert_eq!((range.from, range.to, range.state), (5, 5, RangeState::Queued));
    let first: RangeJob = serde_json::from_slice(&rig.node.records(RANGES_TABLE).get(2).unwrap().unwrap()).unwrap();
    let hash = first.journal_hash.unwrap();
    assert_eq!(hash, keccak256([journal_of(2), journal_of(3), journal_of(4)].concat()));
    assert!(rig.out().get(hash).unwrap().is_some(), "the range's SNARK is where the finalizer looks");
    assert_eq!(p.status().lock().last_range.as_ref().map(|r| r.to), Some(4));

    // While range 5 is being wrapped, a new batch is queued at once; its range waits for 5's.
    commit(&rig.node, 6);
    assert_eq!(plan(&mut p), vec![Step::Queued(6)]);
    rig.work();
    assert_eq!(plan(&mut p), vec![Step::Posted(5), Step::Ranged(6, 6)]);
    let stats = rig.queue.stats().unwrap();
    assert_eq!(stats.iter().map(|s| s.done).sum::<u64>(), 5 + 2 + 2, "batches, aggregations, wraps");
}

#[tokio::test]
async fn without_aggregation_each_batch_is_wrapped_alone() {
    let mut rig = rig();
    for i in 1..=2 {
        commit(&rig.node, i);
    }
    let mut p = rig.pipeline(false, Some(1));
    // A range of one batch is full at once: batch 1's wrap is queued with its job.
    assert_eq!(plan(&mut p), vec![Step::Queued(1), Step::Queued(2), Step::Ranged(1, 1)]);
    let worked = rig.work();
    assert_eq!(worked.len(), 3, "{worked:?}");
    assert!(worked[1].starts_with("wrap-1-1-"), "batch 1's wrap before batch 2's proof: {worked:?}");
    assert_eq!(plan(&mut p), vec![Step::Posted(1), Step::Ranged(2, 2)]);
    assert_eq!(rig.work().len(), 1, "one wrap, no aggregation");
    assert_eq!(plan(&mut p), vec![Step::Posted(2)]);
    assert!(rig.out().get(journal_of(1)).unwrap().is_some() && rig.out().get(journal_of(2)).unwrap().is_some());
    assert!(rig.runner.ran.iter().all(|k| !k.starts_with("aggregate")));
}

/// Split over segment jobs: each batch's groups are queued with the batch job that joins them, which
/// waits for them; the groups carry the planner's segment budget; the rest of the pipeline is unchanged,
/// and a restart with another split queues nothing for batches already queued.
#[tokio::test]
async fn a_batch_split_over_segment_jobs_is_joined_after_its_groups() {
    let mut rig = rig();
    commit(&rig.node, 1);
    let split = SegmentJobs { groups: 3, segment_memory: Some(2 << 30) };
    let config = PipelineConfig { out: rig.out(), max_range: 3, aggregate: false };
    let mut p = Pipeline::new(rig.jobs().with_segment_jobs(split), config, Arc::new(|| Some(1)));
    assert_eq!(plan(&mut p), vec![Step::Queued(1), Step::Ranged(1, 1)]);
    let key = key_of(&rig.node, 1);
    let batch = rig.queue.job(&key).unwrap().unwrap();
    assert_eq!(batch.deps.len(), 3, "{:?}", batch.deps);
    let Task::Batch { segments, .. } = Task::decode(&batch.payload).unwrap() else { panic!("not a batch task") };
    for (group, dep) in batch.deps.iter().enumerate() {
        let job = rig.queue.job(dep).unwrap().unwrap();
        assert_eq!((job.kind, job.memory_gib), (mosaic_prover_queue::JobKind::Segment, BATCH_JOB_GIB));
        let Task::Segments { index, witness, group: g, groups, segment_memory, out } =
            Task::decode(&job.payload).unwrap()
        else {
            panic!("not a segment task")
        };
        assert_eq!((index, g, groups, segment_memory), (1, group as u32, 3, Some(2 << 30)));
        assert_eq!((witness, &out), (format!("{key}.witness"), &segments[group]));
    }
    let worked = rig.work();
    assert_eq!(worked.len(), 5, "{worked:?}");
    assert!(worked[..3].iter().all(|k| k.starts_with("segments-1-")), "the groups first: {worked:?}");
    assert_eq!(worked[3], key, "then the join");
    assert!(worked[4].starts_with("wrap-1-1-"), "{worked:?}");
    assert_eq!(plan(&mut p), vec![Step::Posted(1)]);
    assert!(rig.out().get(journal_of(1)).unwrap().is_some());

    // Batch 2 under a planner restarted without the split: one job, and batch 1 gets no new groups.
    commit(&rig.node, 2);
    let config = PipelineConfig { out: rig.out(), max_range: 3, aggregate: false };
    let mut p = Pipeline::new(rig.jobs(), config, Arc::new(|| Some(1)));
    plan(&mut p);
    assert!(rig.queue.job(&key_of(&rig.node, 2)).unwrap().unwrap().deps.is_empty());
    let stats = rig.queue.stats().unwrap();
    let segment_jobs: u64 = stats
        .iter()
        .filter(|s| s.kind == Some(mosaic_prover_queue::JobKind::Segment))
        .map(|s| s.done + s.queued + s.running)
        .sum();
    assert_eq!(segment_jobs, 3);
}

#[tokio::test]
async fn a_restart_finds_its_jobs_and_skips_final_batches() {
    let mut rig = rig();
    for i in 1..=3 {
        commit(&rig.node, i);
    }
    // Batch 1 is final on L1 already (someone else proved it).
    let mut r = BatchRecord::load(&rig.node, 1).unwrap().unwrap();
    r.status = BatchStatus::Finalized;
    r.store(&rig.node).unwrap();
    let mut p = rig.pipeline(true, Some(1));
    assert_eq!(p.step().unwrap(), Step::Queued(2));
    // The node dies here, and again once the range is queued: a new planner queues nothing twice.
    drop(p);
    let mut p = rig.pipeline(true, Some(1));
    assert_eq!(plan(&mut p), vec![Step::Queued(3)]);
    rig.work();
    assert_eq!(plan(&mut p), vec![Step::Ranged(2, 3)]);
    drop(p);
    let mut p = rig.pipeline(true, Some(1));
    assert_eq!(p.step().unwrap(), Step::Idle, "the range's jobs are in the queue: nothing to plan");
    let worked = rig.work();
    assert_eq!(worked.len(), 2, "{worked:?}");
    assert_eq!(plan(&mut p), vec![Step::Posted(2)]);
    assert_eq!(rig.runner.ran.len(), 4, "two batches, one aggregation, one wrap: nothing done twice");

    // A queue that lost the range's jobs (a new queue URL): the range is planned again.
    commit(&rig.node, 4);
    plan(&mut p);
    rig.work();
    assert_eq!(plan(&mut p), vec![Step::Ranged(4, 4)]);
    let fresh: Arc<dyn JobQueue> = Arc::new(EmbeddedQueue::open(&rig.dir.path().join("other.redb")).unwrap());
    rig.queue = fresh;
    let mut p = rig.pipeline(true, Some(1));
    assert_eq!(p.step().unwrap(), Step::Idle, "the range is dropped");
    assert_eq!(plan(&mut p), vec![Step::Queued(4)], "and its batch queued again");
}

#[tokio::test]
async fn a_failed_job_is_reported_and_an_operators_retry_resumes_it() {
    let mut rig = rig();
    commit(&rig.node, 1);
    let mut p = rig.pipeline(true, Some(1));
    assert_eq!(plan(&mut p), vec![Step::Queued(1)]);
    rig.runner.fail = Some("batch-1".into());
    assert!(rig.work().is_empty(), "both attempts fail (max_attempts 2)");
    let key = key_of(&rig.node, 1);
    let job = rig.queue.job(&key).unwrap().unwrap();
    assert_eq!((job.state, job.attempts, job.error.as_deref()), (JobState::Failed, 2, Some("mock failure")));
    assert_eq!(plan(&mut p), vec![]);
    let error = p.status().lock().last_error.clone().unwrap();
    assert!(error.contains(&key) && error.contains("mosaic prover retry"), "{error}");

    rig.runner.fail = None;
    assert!(rig.queue.retry(&key).unwrap());
    rig.work();
    assert_eq!(plan(&mut p), vec![Step::Ranged(1, 1)]);
    rig.work();
    assert_eq!(plan(&mut p), vec![Step::Posted(1)]);
    assert_eq!(p.status().lock().last_error, None, "a posted range clears the report");

    // A batch replaced after a revert (other data) is a new job.
    commit(&rig.node, 2);
    let mut r = BatchRecord::load(&rig.node, 2).unwrap().unwrap();
    plan(&mut p);
    let old = key_of(&rig.node, 2);
    r.data_hash = B256::repeat_byte(9);
    r.store(&rig.node).unwrap();
    assert_eq!(plan(&mut p), vec![Step::Queued(2)]);
    assert_ne!(key_of(&rig.node, 2), old);
}

#[tokio::test]
async fn a_fraud_proof_is_the_batch_job_and_a_wrap_into_the_challengers_folder() {
    let mut rig = rig();
    commit(&rig.node, 1);
    let out = ProofDirectory::new(rig.dir.path().join("fraud"));
    let fraud = FraudProofs::new(rig.jobs(), out.clone());
    // A game whose journal the batch does not re-execute to is refused before anything is proven.
    assert!(
        matches!(fraud.step(1, B256::repeat_byte(1)).unwrap(), FraudState::Failed(e) if e.contains("states journal"))
    );
    assert_eq!(fraud.step(1, journal_of(1)).unwrap(), FraudState::Proving);
    assert_eq!(fraud.step(1, journal_of(1)).unwrap(), FraudState::Proving, "queued once");
    assert_eq!(rig.work().len(), 2, "the batch STARK, then its wrap");
    let FraudState::Ready(path) = fraud.step(1, journal_of(1)).unwrap() else { panic!("no proof") };
    assert_eq!(path, out.path_of(journal_of(1)));
    assert!(out.get(journal_of(1)).unwrap().is_some());
    // The validity planner would reuse the batch's job (one key per batch and data).
    assert_eq!(rig.pipeline(true, Some(1)).step().unwrap(), Step::Ranged(1, 1));
}

#[tokio::test]
async fn a_batch_not_yet_on_l1_is_proven_from_the_record_its_poster_gives() {
    let mut rig = rig();
    // A fallback proposer's prepared batch 5 (built here as a record on another node): the proving
    // node stores nothing about it.
    commit(&rig.node, 5);
    let record = BatchRecord::load(&rig.node, 5).unwrap().unwrap();
    let poster = open(&rig.dir.path().join("poster"));
    let jobs = ProofJobs::new(poster, rig.queue.clone(), rig.artifacts.clone(), Box::new(MockWitnesses), 2);
    let out = ProofDirectory::new(rig.dir.path().join("fallback-proofs"));
    let proofs = FraudProofs::new(jobs, out.clone()).for_purpose("fallback");
    assert!(matches!(proofs.step(5, journal_of(5)).unwrap(), FraudState::Failed(e) if e.contains("no record")));
    assert_eq!(proofs.prove(&record, journal_of(5)).unwrap(), FraudState::Proving);
    let ran = rig.work();
    assert_eq!(ran.len(), 2, "the batch STARK, then its wrap: {ran:?}");
    assert!(ran[1].starts_with("fallback-5-"), "the wrap job is named for its purpose: {ran:?}");
    assert_eq!(proofs.prove(&record, journal_of(5)).unwrap(), FraudState::Ready(out.path_of(journal_of(5))));
    assert!(out.get(journal_of(5)).unwrap().is_some());
}

#[tokio::test]
async fn the_status_lists_batch_jobs_by_index_as_the_explorer_reads_them() {
    let mut rig = rig();
    for i in 1..=2 {
        commit(&rig.node, i);
    }
    let mut p = rig.pipeline(true, Some(1));
    plan(&mut p);
    rig.worker.run_one(&mut rig.runner).unwrap();
    let (stats, jobs) = queue_view(&*rig.queue, 10).unwrap();
    assert_eq!(stats.iter().map(|s| s.queued + s.done).sum::<u64>(), 2);
    let views = batch_views(&jobs);
    let states: Vec<(u64, &str)> = views.iter().map(|v| (v.index, v.state)).collect();
    assert_eq!(states, vec![(2, "queued"), (1, "proven")], "newest first");

    // A held job is listed first, however many newer jobs there are (a backlog must not hide it).
    let held = rig.queue.claim(&mosaic_prover_queue::Worker::new("w")).unwrap().unwrap();
    for i in 3..=5 {
        commit(&rig.node, i);
    }
    plan(&mut p);
    let (_, jobs) = queue_view(&*rig.queue, 1).unwrap();
    assert_eq!(jobs.len(), 2, "the held job, then the latest one");
    assert_eq!((jobs[0].key.as_str(), jobs[0].state), (held.key.as_str(), mosaic_prover_queue::JobState::Running));
    assert_ne!(jobs[1].key, held.key);
}

#[tokio::test]
async fn metrics_count_jobs_per_kind_and_state_and_finished_jobs() {
    let mut rig = rig();
    commit(&rig.node, 1);
    let registry = prometheus::Registry::new();
    let metrics = ProvingMetrics::register(&registry).unwrap();
    let mut p = rig.pipeline(true, Some(1)).with_metrics(metrics.clone());
    p.observe().unwrap(); // The first look sets the mark.
    plan(&mut p);
    rig.work();
    plan(&mut p);
    rig.work();
    plan(&mut p);
    p.observe().unwrap();
    assert_eq!(metrics.jobs.with_label_values(&["wrap", "done"]).get(), 1);
    assert_eq!(metrics.jobs.with_label_values(&["batch", "queued"]).get(), 0);
    assert_eq!(metrics.job_seconds.with_label_values(&["batch"]).get_sample_count(), 1);
    assert!(metrics.proof_lag.get() >= 0.0);
    let text = prometheus::TextEncoder::new().encode_to_string(&registry.gather()).unwrap();
    assert!(text.contains("prover_jobs{kind=\"aggregate\",state=\"done\"} 1"), "{text}");
}
