//! The queue's logic with a mock prover (`MockStages`): which batch is proven when, how ranges close,
//! that a restart resumes the step under way, and that failures are retried then given up.
use super::*;
use alloy_primitives::keccak256;
use mosaic_node::NodeConfig;
use mosaic_snark::{ACCUMULATOR_INSTANCES, COMMIT_INSTANCES};

/// MOCK (unit tests only): "proves" by hashing, and "wraps" into an unverifiable SNARK-shaped file
/// that states the right journal hash; counts calls and can be told to fail.
#[derive(Default)]
struct MockStages {
    aggregate: bool,
    proved: Vec<u64>,
    aggregated: Vec<usize>,
    wrapped: usize,
    fail_batch: Option<u64>,
}

fn journal_of(index: u64) -> B256 {
    keccak256(format!("journal {index}"))
}

impl ProofStages for MockStages {
    fn prove_batch(&mut self, _: &Node, record: &BatchRecord) -> Result<Proven, StageError> {
        if self.fail_batch == Some(record.index) {
            return Err(StageError("mock failure".into()));
        }
        self.proved.push(record.index);
        Ok(Proven { journal_hash: journal_of(record.index), bytes: record.index.to_be_bytes().to_vec() })
    }

    fn can_aggregate(&self) -> bool {
        self.aggregate
    }

    fn aggregate(&mut self, batches: &[Vec<u8>]) -> Result<Proven, StageError> {
        self.aggregated.push(batches.len());
        Ok(Proven { journal_hash: keccak256(batches.concat()), bytes: batches.concat() })
    }

    fn wrap(&mut self, proof: &Proven, _: bool) -> Result<SnarkProof, StageError> {
        self.wrapped += 1;
        let mut instances = vec![B256::ZERO; ACCUMULATOR_INSTANCES + COMMIT_INSTANCES];
        instances.extend(proof.journal_hash.iter().map(|b| B256::with_last_byte(*b)));
        Ok(SnarkProof { instances, proof: vec![0xab; 8] })
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

fn pipeline(node: &Node, dir: &Path, stages: MockStages, zk_from: Option<u64>) -> Pipeline<MockStages> {
    let config = PipelineConfig {
        work_dir: dir.join("work"),
        out: ProofDirectory::new(dir.join("out")),
        max_range: 3,
        max_attempts: 2,
    };
    Pipeline::new(node.clone(), stages, config, Arc::new(move || zk_from))
}

fn drain(p: &mut Pipeline<MockStages>) -> Vec<Step> {
    let mut steps = Vec::new();
    loop {
        match p.step().unwrap() {
            Step::Idle => return steps,
            s => steps.push(s),
        }
        assert!(steps.len() < 100, "the pipeline does not settle: {steps:?}");
    }
}

#[tokio::test]
async fn zk_batches_are_proven_aggregated_in_ranges_and_wrapped() {
    let dir = tempfile::tempdir().unwrap();
    let node = open(&dir.path().join("node"));
    for i in 1..=5 {
        commit(&node, i);
    }
    // A hybrid chain: nothing to prove.
    let mut hybrid = pipeline(&node, dir.path(), MockStages { aggregate: true, ..Default::default() }, None);
    assert_eq!(hybrid.step().unwrap(), Step::Idle);

    // Zk from batch 2: batches 2..=4 make a full range, then 5 alone once the prover has caught up.
    let mut p = pipeline(&node, dir.path(), MockStages { aggregate: true, ..Default::default() }, Some(2));
    let steps = drain(&mut p);
    assert_eq!(
        steps,
        vec![
            Step::Proved(2),
            Step::Proved(3),
            Step::Proved(4),
            Step::Aggregated(2, 4),
            Step::Wrapped(2),
            Step::Proved(5),
            Step::Aggregated(5, 5),
            Step::Wrapped(5),
        ]
    );
    assert_eq!(p.stages.aggregated, vec![3, 1]);
    let out = ProofDirectory::new(dir.path().join("out"));
    let range: RangeJob = load(&node, RANGES_TABLE, 2).unwrap().unwrap();
    assert_eq!((range.from, range.to, range.state), (2, 4, RangeState::Done));
    let hash = range.journal_hash.unwrap();
    assert!(out.get(hash).unwrap().is_some(), "the range's SNARK is where the finalizer looks");
    let job: Job = load(&node, JOBS_TABLE, 3).unwrap().unwrap();
    assert_eq!((job.state, job.journal_hash), (JobState::Proven, Some(journal_of(3))));
    let recent: Vec<u64> = recent_jobs(&node, 3).unwrap().iter().map(|j| j.index).collect();
    assert_eq!(recent, vec![5, 4, 3], "newest first");
    assert_eq!(recent_jobs(&node, 100).unwrap().len(), 4, "batch 1 was never a zk batch");

    // A new batch opens the next range.
    commit(&node, 6);
    assert_eq!(drain(&mut p), vec![Step::Proved(6), Step::Aggregated(6, 6), Step::Wrapped(6)]);
}

#[tokio::test]
async fn without_aggregation_each_batch_is_wrapped_alone() {
    let dir = tempfile::tempdir().unwrap();
    let node = open(&dir.path().join("node"));
    for i in 1..=2 {
        commit(&node, i);
    }
    let mut p = pipeline(&node, dir.path(), MockStages::default(), Some(1));
    assert_eq!(
        drain(&mut p),
        vec![Step::Proved(1), Step::Proved(2), Step::Wrapped(1), Step::Wrapped(2)],
        "both STARKs, then one SNARK per batch"
    );
    let out = ProofDirectory::new(dir.path().join("out"));
    assert!(out.get(journal_of(1)).unwrap().is_some() && out.get(journal_of(2)).unwrap().is_some());
    assert!(p.stages.aggregated.is_empty());
}

#[tokio::test]
async fn a_restart_resumes_the_step_under_way_and_skips_final_batches() {
    let dir = tempfile::tempdir().unwrap();
    let node_dir = dir.path().join("node");
    {
        let node = open(&node_dir);
        for i in 1..=3 {
            commit(&node, i);
        }
        // Batch 1 is final on L1 already (someone else proved it).
        let mut r = BatchRecord::load(&node, 1).unwrap().unwrap();
        r.status = BatchStatus::Finalized;
        r.store(&node).unwrap();
        let mut p = pipeline(&node, dir.path(), MockStages { aggregate: true, ..Default::default() }, Some(1));
        assert_eq!(p.step().unwrap(), Step::Proved(2));
        // The node dies while batch 3 is being proven (the job says so) …
        store(
            &node,
            JOBS_TABLE,
            3,
            &Job {
                index: 3,
                data_hash: keccak256(3u64.to_be_bytes()),
                state: JobState::Proving,
                journal_hash: None,
                attempts: 1,
                seconds: 0.0,
                error: None,
            },
        )
        .unwrap();
    }
    // … and after the restart batch 3 is proven again, batch 2 is not, and the range is 2..=3.
    let node = open(&node_dir);
    let mut p = pipeline(&node, dir.path(), MockStages { aggregate: true, ..Default::default() }, Some(1));
    assert_eq!(drain(&mut p), vec![Step::Proved(3), Step::Aggregated(2, 3), Step::Wrapped(2)]);
    assert_eq!(p.stages.proved, vec![3]);

    // A range that was aggregated but not wrapped when the node died is wrapped after the restart.
    commit(&node, 4);
    assert_eq!(p.step().unwrap(), Step::Proved(4));
    let mut r = RangeJob {
        from: 4,
        to: 4,
        aggregate: true,
        state: RangeState::Aggregating,
        journal_hash: None,
        attempts: 0,
        error: None,
    };
    store(&node, RANGES_TABLE, 4, &r).unwrap();
    assert_eq!(p.step().unwrap(), Step::Aggregated(4, 4));
    r = load(&node, RANGES_TABLE, 4).unwrap().unwrap();
    assert_eq!(r.state, RangeState::Wrapping);
    drop(p);
    let mut p = pipeline(&node, dir.path(), MockStages { aggregate: true, ..Default::default() }, Some(1));
    assert_eq!(drain(&mut p), vec![Step::Wrapped(4)]);
    assert!(p.stages.proved.is_empty() && p.stages.aggregated.is_empty(), "nothing done twice");
}

#[tokio::test]
async fn a_failing_batch_is_retried_then_given_up_and_reported() {
    let dir = tempfile::tempdir().unwrap();
    let node = open(&dir.path().join("node"));
    commit(&node, 1);
    let stages = MockStages { aggregate: true, fail_batch: Some(1), ..Default::default() };
    let mut p = pipeline(&node, dir.path(), stages, Some(1));
    assert_eq!(drain(&mut p), vec![Step::Proved(1), Step::Proved(1)], "two attempts (max_attempts)");
    let job: Job = load(&node, JOBS_TABLE, 1).unwrap().unwrap();
    assert_eq!((job.state, job.attempts), (JobState::Failed, 2));
    assert_eq!(job.error.as_deref(), Some("mock failure"));
    assert!(p.status().lock().last_error.as_deref().is_some_and(|e| e.contains("batch 1")));
    // A batch replaced after a revert (other data) starts over.
    let mut r = BatchRecord::load(&node, 1).unwrap().unwrap();
    r.data_hash = B256::repeat_byte(9);
    r.store(&node).unwrap();
    p.stages.fail_batch = None;
    assert_eq!(drain(&mut p), vec![Step::Proved(1), Step::Aggregated(1, 1), Step::Wrapped(1)]);
}
