//! Proving through the job queue (`mosaic-prover-queue`): the node's validity planner and fraud prover
//! queue jobs, workers — threads of this process (`--prover-workers`) or `mosaic prover worker`s on
//! other machines sharing a PostgreSQL queue and an artifact folder — prove them. Also `mosaic prover
//! worker | status | retry`.
use crate::prove::{GuestElfs, DEFAULT_SEGMENT_MEMORY_GIB};
use anyhow::Context;
use clap::Args;
use mosaic_node::{Node, Supervisor};
use mosaic_prover_queue::{ArtifactStore, JobKind, JobQueue, JobState};
use std::{
    path::{Path, PathBuf},
    sync::Arc,
    time::Duration,
};
use tracing::info;

/// Where proof jobs and their artifacts live, and who proves them.
#[derive(Debug, Clone)]
pub(crate) struct QueueSettings {
    /// `postgres://…` for a fleet; `None`: the node's embedded queue (`<data-dir>/prover-queue.redb`).
    pub queue: Option<String>,
    /// The artifact store the node and every worker share: a folder or `s3://bucket[/prefix]`.
    pub artifacts: String,
    /// Worker threads in this process (0: only a fleet proves).
    pub workers: u32,
    /// Jobs each batch's recursive STARK is split into, over groups of its execution segments (1: one).
    pub segment_jobs: u32,
    /// What those workers prove with.
    pub provers: ProverSettings,
}

/// What a worker proves with.
#[derive(Debug, Clone)]
#[cfg_attr(not(feature = "prover"), allow(dead_code))]
pub(crate) struct ProverSettings {
    /// The guests.
    pub elfs: GuestElfs,
    /// SNARK keys of the batch program.
    pub batch_keys: Option<PathBuf>,
    /// SNARK keys of the aggregation program.
    pub aggregate_keys: Option<PathBuf>,
    /// Proving memory per segment, GiB.
    pub segment_memory_gib: u64,
}

/// The queue and artifact store of `settings` for a node whose data dir is `data_dir`.
pub(crate) fn open_queue(
    settings: &QueueSettings,
    data_dir: &Path,
) -> anyhow::Result<(Arc<dyn JobQueue>, Arc<dyn ArtifactStore>)> {
    let url = settings.queue.clone().unwrap_or_else(|| data_dir.join("prover-queue.redb").display().to_string());
    let queue: Arc<dyn JobQueue> =
        Arc::from(mosaic_prover_queue::open(&url).with_context(|| format!("opening the prover queue {url}"))?);
    let artifacts = mosaic_prover_queue::open_artifacts(&settings.artifacts)
        .with_context(|| format!("opening the prover artifacts {}", settings.artifacts))?;
    Ok((queue, artifacts))
}

/// Starts `settings.workers` worker threads on `queue`.
fn spawn_local_workers(
    services: &mut Supervisor,
    queue: &Arc<dyn JobQueue>,
    artifacts: &Arc<dyn ArtifactStore>,
    settings: &QueueSettings,
) -> anyhow::Result<()> {
    for n in 0..settings.workers {
        let id = format!("{}-{}-local{n}", hostname(), std::process::id());
        imp::spawn_worker(services, queue.clone(), artifacts.clone(), &settings.provers, worker(id, None, None))?;
    }
    if settings.workers == 0 {
        info!("prover: no local workers; a fleet of `mosaic prover worker`s proves the queued jobs");
    }
    Ok(())
}

fn worker(id: String, kinds: Option<Vec<JobKind>>, max_memory_gib: Option<u32>) -> mosaic_prover_queue::Worker {
    let mut w = mosaic_prover_queue::Worker::new(id);
    if let Some(kinds) = kinds {
        w.kinds = kinds;
    }
    w.max_memory_gib = max_memory_gib;
    w
}

fn hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname").map(|h| h.trim().to_string()).unwrap_or_else(|_| "host".into())
}

/// Attempts of a proof job before it is failed for good (then `mosaic prover retry`).
const MAX_ATTEMPTS: u32 = 3;

/// The jobs of `node`'s batches, witnesses from its blocks, split over segment jobs as `settings` say
/// (every group cut with this node's segment budget, whatever each worker's own).
fn proof_jobs(
    node: &Node,
    queue: Arc<dyn JobQueue>,
    artifacts: Arc<dyn ArtifactStore>,
    settings: &QueueSettings,
) -> mosaic_proving::ProofJobs {
    let segments = mosaic_proving::SegmentJobs {
        groups: settings.segment_jobs,
        segment_memory: settings.provers.segment_memory_gib.checked_mul(1 << 30),
    };
    mosaic_proving::ProofJobs::new(
        node.clone(),
        queue,
        artifacts,
        Box::new(mosaic_proving::NodeWitnesses),
        MAX_ATTEMPTS,
    )
    .with_segment_jobs(segments)
}

/// Starts the validity planner (`mosaic_proving`) on its own thread and the local workers: every zk
/// batch's recursive STARK, aggregated over runs of up to `max_range` batches, wrapped into the SNARK
/// the finalizer posts from `out`. Returns its `mosaic_rollupStatus` section.
pub(crate) fn spawn_validity_prover(
    services: &mut Supervisor,
    node: &Node,
    settings: &QueueSettings,
    out: &Path,
    max_range: u64,
    zk_from: mosaic_proving::ZkFrom,
) -> anyhow::Result<Arc<dyn mosaic_rollup::rpc::StatusSection>> {
    let (queue, artifacts) = open_queue(settings, &node.config().data_dir)?;
    let aggregate = settings.provers.aggregate_keys.is_some();
    spawn_local_workers(services, &queue, &artifacts, settings)?;
    let config = mosaic_proving::PipelineConfig {
        out: mosaic_snark::ProofDirectory::new(out),
        max_range: max_range.max(1),
        aggregate,
    };
    let pipeline = mosaic_proving::Pipeline::new(proof_jobs(node, queue.clone(), artifacts, settings), config, zk_from)
        .with_metrics(mosaic_proving::ProvingMetrics::register(node.metrics().registry())?);
    let section = Arc::new(ValiditySection(pipeline.status(), queue));
    services.spawn_blocking("validity prover", move || -> Result<(), String> { pipeline.run() });
    Ok(section)
}

/// The validity planner's section of `mosaic_rollupStatus`: its last step and range, the queue's jobs
/// per kind and state (`queue`), its latest jobs (`queueJobs`) and among them the batches' (`jobs`).
struct ValiditySection(Arc<parking_lot::Mutex<mosaic_proving::PipelineStatus>>, Arc<dyn JobQueue>);

/// Jobs the section lists.
const RECENT_JOBS: usize = 32;

impl mosaic_rollup::rpc::StatusSection for ValiditySection {
    fn key(&self) -> &'static str {
        "validityProver"
    }

    fn status(&self) -> serde_json::Value {
        let mut status = serde_json::to_value(&*self.0.lock()).unwrap_or_default();
        match mosaic_proving::queue_view(&*self.1, RECENT_JOBS) {
            Ok((stats, jobs)) => {
                status["queue"] = serde_json::to_value(stats).unwrap_or_default();
                status["jobs"] = serde_json::to_value(mosaic_proving::batch_views(&jobs)).unwrap_or_default();
                status["queueJobs"] = serde_json::to_value(jobs).unwrap_or_default();
            }
            Err(e) => status["queue"] = serde_json::Value::String(format!("unreadable: {e}")),
        }
        status
    }
}

/// Makes the fraud proof of every open challenge game into the challenger's folder `proofs` through
/// the queue: the batch's recursive STARK from this node's own blocks (which its derivation built from
/// the L1 data), then its SNARK wrap; the file appears as `<journal hash>.snark`, which the challenger
/// submits. A game whose proof cannot be made is reported and not retried until a restart.
pub(crate) fn spawn_fraud_prover(
    services: &mut Supervisor,
    node: &Node,
    proofs: &Path,
    settings: &QueueSettings,
) -> anyhow::Result<()> {
    let fraud = journal_prover(services, node, proofs, settings, "fraud")?;
    let node = node.clone();
    // Async between rounds (each round on the blocking pool), so that a shutdown stops it.
    services.spawn("fraud prover", async move {
        let mut reported = std::collections::HashSet::new();
        loop {
            let (n, f, skip) = (node.clone(), fraud.clone(), reported.clone());
            let steps = mosaic_node::spawn_blocking(move || -> Result<Vec<_>, String> {
                let games = mosaic_challenger::Game::open_games(&n).map_err(|e| e.to_string())?;
                let open = games.into_iter().filter(|g| !skip.contains(&g.journal_hash));
                Ok(open.map(|g| (g.index, g.journal_hash, f.step(g.index, g.journal_hash))).collect())
            })
            .await
            .map_err(|e| e.to_string())??;
            for (index, journal_hash, step) in steps {
                match step {
                    Ok(mosaic_proving::FraudState::Proving) => {}
                    Ok(mosaic_proving::FraudState::Ready(file)) => {
                        info!(batch = index, file = %file.display(), "fraud proof ready");
                        reported.insert(journal_hash);
                    }
                    Ok(mosaic_proving::FraudState::Failed(why)) => {
                        tracing::warn!(batch = index, error = %why, "the fraud proof cannot be made");
                        reported.insert(journal_hash);
                    }
                    Err(e) => tracing::warn!(batch = index, error = %e, "fraud prover: the queue failed"),
                }
            }
            tokio::time::sleep(Duration::from_secs(2)).await;
        }
        #[allow(unreachable_code)]
        Ok::<(), String>(())
    });
    Ok(())
}

/// Proofs of the journals this node's blocks state (a challenged batch's, a fallback's batch's) through
/// the queue `settings` name, with its local workers started, written to `proofs`.
fn journal_prover(
    services: &mut Supervisor,
    node: &Node,
    proofs: &Path,
    settings: &QueueSettings,
    purpose: &'static str,
) -> anyhow::Result<Arc<mosaic_proving::FraudProofs>> {
    let (queue, artifacts) = open_queue(settings, &node.config().data_dir)?;
    spawn_local_workers(services, &queue, &artifacts, settings)?;
    let jobs = proof_jobs(node, queue, artifacts, settings);
    let out = mosaic_snark::ProofDirectory::new(proofs);
    Ok(Arc::new(mosaic_proving::FraudProofs::new(jobs, out).for_purpose(purpose)))
}

/// The proofs of a fallback proposer's batches through the queue: whatever batch it waits for (`awaiting`)
/// is proven from this node's blocks and wrapped, into `proofs`, where its producer picks it up.
pub(crate) fn spawn_fallback_prover(
    services: &mut Supervisor,
    node: &Node,
    proofs: &Path,
    settings: &QueueSettings,
    awaiting: Arc<parking_lot::Mutex<Option<mosaic_rollup::producer::AwaitedProof>>>,
) -> anyhow::Result<()> {
    let prover = journal_prover(services, node, proofs, settings, "fallback")?;
    // Async between rounds (each round on the blocking pool), so that a shutdown stops it.
    services.spawn("fallback prover", async move {
        let mut last = None;
        loop {
            let next = awaiting.lock().clone();
            if let Some(a) = next {
                let record = a.record();
                let (p, hash) = (prover.clone(), a.journal_hash);
                let state =
                    mosaic_node::spawn_blocking(move || p.prove(&record, hash)).await.map_err(|e| e.to_string())?;
                let summary = format!("{state:?}");
                if last.as_ref() != Some(&(a.journal_hash, summary.clone())) {
                    match &state {
                        Ok(s) => info!(batch = a.index, journal = %a.journal_hash, state = ?s, "fallback prover"),
                        Err(e) => tracing::warn!(batch = a.index, error = %e, "fallback prover: the queue failed"),
                    }
                    last = Some((a.journal_hash, summary));
                }
            }
            tokio::time::sleep(Duration::from_secs(2)).await;
        }
        #[allow(unreachable_code)]
        Ok::<(), String>(())
    });
    Ok(())
}

/// Flags naming a queue.
#[derive(Args, Debug)]
pub(crate) struct QueueArgs {
    /// The queue: `postgres://user@host/db`, or the file of an embedded queue (a node's
    /// `<data-dir>/prover-queue.redb`, readable only while that node is stopped).
    #[arg(long)]
    pub queue: String,
}

/// Flags of `mosaic prover worker`.
#[derive(Args, Debug)]
pub(crate) struct WorkerArgs {
    #[command(flatten)]
    pub queue: QueueArgs,
    /// Where the node writes witnesses and reads proofs: a folder (a shared mount when the worker is on
    /// another machine) or `s3://bucket[/prefix]` (credentials and endpoint from the standard `AWS_*`
    /// variables: `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_REGION`, `AWS_ENDPOINT_URL`,
    /// `AWS_ALLOW_HTTP`).
    #[arg(long)]
    pub artifacts: String,
    /// The job kinds it claims.
    #[arg(long, value_delimiter = ',', default_value = "batch,aggregate,wrap,segment")]
    pub kinds: Vec<JobKind>,
    /// The most memory a job it claims may need, GiB (a wrap needs 19; default: this machine's memory).
    #[arg(long)]
    pub max_memory_gib: Option<u32>,
    /// Its name in the queue. Default: `<hostname>-<pid>`.
    #[arg(long)]
    pub id: Option<String>,
    /// SNARK keys of the batch program (wrap jobs of batches).
    #[arg(long)]
    pub batch_keys: Option<PathBuf>,
    /// SNARK keys of the aggregation program (wrap jobs of aggregates).
    #[arg(long)]
    pub aggregate_keys: Option<PathBuf>,
    /// Cut execution into another segment at this much estimated proving memory, GiB.
    #[arg(long, default_value_t = DEFAULT_SEGMENT_MEMORY_GIB)]
    pub segment_memory_gib: u64,
    #[command(flatten)]
    pub elfs: GuestElfs,
}

/// `mosaic prover worker`: claims and proves jobs until Ctrl-C (checked between jobs).
pub(crate) fn run_worker(args: WorkerArgs) -> anyhow::Result<()> {
    let url = &args.queue.queue;
    let queue: Arc<dyn JobQueue> =
        Arc::from(mosaic_prover_queue::open(url).with_context(|| format!("opening the prover queue {url}"))?);
    let artifacts = mosaic_prover_queue::open_artifacts(&args.artifacts)
        .with_context(|| format!("opening the prover artifacts {}", args.artifacts))?;
    let memory = args.max_memory_gib.or_else(|| crate::prove::total_memory_gib().map(|g| g as u32));
    let id = args.id.clone().unwrap_or_else(|| format!("{}-{}", hostname(), std::process::id()));
    let provers = ProverSettings {
        elfs: args.elfs.clone(),
        batch_keys: args.batch_keys.clone(),
        aggregate_keys: args.aggregate_keys.clone(),
        segment_memory_gib: args.segment_memory_gib,
    };
    let kinds: Vec<JobKind> = args.kinds.clone();
    println!(
        "prover worker {id}: {} jobs of up to {} GiB from {url}, artifacts in {}",
        kinds.iter().map(|k| k.as_str()).collect::<Vec<_>>().join(", "),
        memory.map_or("any".into(), |m| m.to_string()),
        args.artifacts
    );
    imp::run_worker(queue, artifacts, &provers, worker(id, Some(kinds), memory))
}

/// Flags of `mosaic prover status`.
#[derive(Args, Debug)]
pub(crate) struct StatusArgs {
    #[command(flatten)]
    pub queue: QueueArgs,
    /// How many of the latest jobs to list.
    #[arg(long, default_value_t = 20)]
    pub limit: usize,
    /// Print JSON instead of a table.
    #[arg(long)]
    pub json: bool,
}

/// `mosaic prover status`: jobs per kind and state, then the latest jobs with their progress.
pub(crate) fn status(args: StatusArgs) -> anyhow::Result<()> {
    let queue = mosaic_prover_queue::open(&args.queue.queue)?;
    let (stats, jobs) = mosaic_proving::queue_view(&*queue, args.limit)?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&serde_json::json!({ "queue": stats, "jobs": jobs }))?);
        return Ok(());
    }
    println!("{:<10} {:>7} {:>8} {:>7} {:>7}", "kind", "queued", "running", "done", "failed");
    for s in &stats {
        let kind = s.kind.map_or("?", |k| k.as_str());
        println!("{kind:<10} {:>7} {:>8} {:>7} {:>7}", s.queued, s.running, s.done, s.failed);
    }
    let now = mosaic_prover_queue::now_ms();
    println!("\n{:<34} {:<8} {:>8} {:>9} {:>9}  worker / error", "job", "state", "progress", "attempts", "seconds");
    for job in &jobs {
        let progress = match job.state {
            JobState::Running => format!("{:.0} %", job.progress * 100.0),
            JobState::Done => "100 %".into(),
            _ => "-".into(),
        };
        let seconds = job.seconds(now).map_or("-".into(), |s| format!("{s:.1}"));
        let note = job
            .error
            .clone()
            .filter(|_| job.state != JobState::Done)
            .or_else(|| job.worker.clone())
            .unwrap_or_default();
        println!(
            "{:<34} {:<8} {progress:>8} {:>9} {seconds:>9}  {note}",
            job.key,
            job.state.as_str(),
            format!("{}/{}", job.attempts, job.max_attempts)
        );
    }
    Ok(())
}

/// `mosaic prover retry`: queues a job that failed for good again.
pub(crate) fn retry(queue: QueueArgs, key: &str) -> anyhow::Result<()> {
    let q = mosaic_prover_queue::open(&queue.queue)?;
    anyhow::ensure!(q.retry(key)?, "job {key} is not failed (see `mosaic prover status`)");
    println!("job {key} queued again");
    Ok(())
}

#[cfg(feature = "prover")]
mod imp {
    use super::*;
    use mosaic_prover_queue::{Worker, WorkerLoop};
    use mosaic_prover_worker::{Elfs, OpenVmRunner, Provers};
    use std::sync::atomic::AtomicBool;

    fn runner(settings: &ProverSettings) -> anyhow::Result<OpenVmRunner> {
        anyhow::ensure!(
            settings.elfs.guest.exists(),
            "no guest ELF at {} (run scripts/build-guest.sh)",
            settings.elfs.guest.display()
        );
        let segment_memory = crate::prove::segment_bytes(settings.segment_memory_gib)?;
        Ok(OpenVmRunner::new(Provers {
            elfs: Elfs { guest: settings.elfs.guest.clone(), aggregate_guest: settings.elfs.aggregate_guest.clone() },
            batch_keys: settings.batch_keys.clone(),
            aggregate_keys: settings.aggregate_keys.clone(),
            segment_memory,
        }))
    }

    /// A worker loop on `queue` with a runner for `settings`: `run` it until its stop flag is set.
    struct Work(WorkerLoop, OpenVmRunner);

    impl Work {
        fn new(
            queue: Arc<dyn JobQueue>,
            artifacts: Arc<dyn ArtifactStore>,
            settings: &ProverSettings,
            worker: Worker,
        ) -> anyhow::Result<Self> {
            Ok(Self(WorkerLoop::new(queue, artifacts, worker), runner(settings)?))
        }

        fn run(mut self, stop: &AtomicBool) {
            self.0.run(&mut self.1, stop)
        }
    }

    pub(super) fn spawn_worker(
        services: &mut Supervisor,
        queue: Arc<dyn JobQueue>,
        artifacts: Arc<dyn ArtifactStore>,
        settings: &ProverSettings,
        worker: Worker,
    ) -> anyhow::Result<()> {
        let name = worker.id.clone();
        let work = Work::new(queue, artifacts, settings, worker)?;
        info!(worker = %name, "prover: local worker started");
        services.spawn_blocking("prover worker", move || -> Result<(), String> {
            work.run(&AtomicBool::new(false));
            Ok(())
        });
        Ok(())
    }

    pub(super) fn run_worker(
        queue: Arc<dyn JobQueue>,
        artifacts: Arc<dyn ArtifactStore>,
        settings: &ProverSettings,
        worker: Worker,
    ) -> anyhow::Result<()> {
        let work = Work::new(queue, artifacts, settings, worker)?;
        let stop = Arc::new(AtomicBool::new(false));
        {
            let stop = stop.clone();
            // Ctrl-C finishes the job under way (a second one kills the worker; its lease then expires).
            let rt = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
            std::thread::spawn(move || {
                rt.block_on(async {
                    let _ = tokio::signal::ctrl_c().await;
                    eprintln!("stopping after the job under way (Ctrl-C again to kill)");
                    stop.store(true, std::sync::atomic::Ordering::Relaxed);
                    let _ = tokio::signal::ctrl_c().await;
                    std::process::exit(130);
                })
            });
        }
        work.run(&stop);
        Ok(())
    }
}

#[cfg(not(feature = "prover"))]
mod imp {
    use super::*;

    pub(super) fn spawn_worker(
        _: &mut Supervisor,
        _: Arc<dyn JobQueue>,
        _: Arc<dyn ArtifactStore>,
        _: &ProverSettings,
        _: mosaic_prover_queue::Worker,
    ) -> anyhow::Result<()> {
        crate::prove::missing().context("local prover workers (--prover-workers 0 leaves the proving to a fleet)")
    }

    pub(super) fn run_worker(
        _: Arc<dyn JobQueue>,
        _: Arc<dyn ArtifactStore>,
        _: &ProverSettings,
        _: mosaic_prover_queue::Worker,
    ) -> anyhow::Result<()> {
        crate::prove::missing()
    }
}
