//! `mosaic prove`, `mosaic aggregate`, `mosaic verify-proof` and `mosaic prover vkey`: batch proofs with
//! the OpenVM guests.
//! They need the `prover` feature (it compiles OpenVM's prover, ≈13 min on two cores); without it they
//! say how to get it.
use crate::config::DevnetArgs;
use clap::{Args, Subcommand};
use std::path::PathBuf;

/// Where `scripts/build-guest.sh` puts the guest ELF, relative to the repository root.
pub(crate) const DEFAULT_GUEST_ELF: &str = "guest/out/mosaic-guest-batch.elf";
/// Where it puts the aggregation guest.
pub(crate) const DEFAULT_AGGREGATE_ELF: &str = "guest/out/mosaic-guest-aggregate.elf";
/// Estimated proving memory per segment, GiB (`mosaic_prover::DEFAULT_SEGMENT_MEMORY`).
pub(crate) const DEFAULT_SEGMENT_MEMORY_GIB: u64 = 8;

/// Flags of `mosaic prove`.
#[derive(Args, Debug)]
pub(crate) struct ProveArgs {
    /// Batch index, as `mosaic_getBatch` numbers it.
    #[arg(long)]
    pub batch: u64,
    /// Aggregate the segment proofs into one recursive STARK (slower, constant size).
    #[arg(long)]
    pub recursive: bool,
    /// Where to write the proof. Default: `<data dir>/proofs/batch-<N>.proof`.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// The guest ELF (`scripts/build-guest.sh` writes it).
    #[arg(long, default_value = DEFAULT_GUEST_ELF)]
    pub guest: PathBuf,
    /// Cut execution into another segment at this much estimated proving memory, GiB (segments are
    /// proven one at a time, so this bounds the prover's memory).
    #[arg(long, default_value_t = DEFAULT_SEGMENT_MEMORY_GIB)]
    pub segment_memory_gib: u64,
    /// The chain: the same flags (or `--config`) as the `mosaic devnet` whose data dir holds the batch.
    /// Stop that devnet first: its database is locked while it runs.
    #[command(flatten)]
    pub chain: DevnetArgs,
}

/// Flags of `mosaic aggregate`.
#[derive(Args, Debug)]
pub(crate) struct AggregateArgs {
    /// The first batch index.
    #[arg(long)]
    pub first: u64,
    /// How many consecutive batches, from `--first`.
    #[arg(long, default_value_t = 2)]
    pub count: u64,
    /// The folder holding their recursive proofs `batch-<N>.proof` (what `mosaic prove --recursive` and
    /// `mosaic devnet --prover cpu --prover-recursive` write). Default: `<data dir>/proofs`.
    #[arg(long)]
    pub proofs: Option<PathBuf>,
    /// The devnet data dir whose `proofs/` to read (ignored with `--proofs`).
    #[arg(long)]
    pub data_dir: Option<PathBuf>,
    /// Where to write the aggregate proof. Default: `<proofs>/aggregate-<first>-<last>.proof`.
    #[arg(long)]
    pub out: Option<PathBuf>,
    #[command(flatten)]
    pub elfs: GuestElfs,
}

/// Flags of `mosaic verify-proof`.
#[derive(Args, Debug)]
pub(crate) struct VerifyArgs {
    /// The proof file `mosaic prove` or `mosaic aggregate` wrote.
    pub file: PathBuf,
    #[command(flatten)]
    pub elfs: GuestElfs,
}

/// The guest programs a proof command works with (`scripts/build-guest.sh` writes both).
#[derive(Args, Debug, Clone)]
pub(crate) struct GuestElfs {
    /// The batch guest ELF: the program of batch proofs, and the one an aggregate's batches are of.
    #[arg(long, default_value = DEFAULT_GUEST_ELF)]
    pub guest: PathBuf,
    /// The aggregation guest ELF (aggregate proofs).
    #[arg(long, default_value = DEFAULT_AGGREGATE_ELF)]
    pub aggregate_guest: PathBuf,
}

/// `mosaic prover …`.
#[derive(Subcommand, Debug)]
pub(crate) enum ProverCommand {
    /// Print the guest program's commitments (what an L1 deployment pins).
    Vkey {
        /// The guest ELF.
        #[arg(long, default_value = DEFAULT_GUEST_ELF)]
        guest: PathBuf,
    },
}

/// The error of a prover command in a binary built without the `prover` feature.
#[cfg(not(feature = "prover"))]
pub(crate) fn missing() -> anyhow::Result<()> {
    anyhow::bail!(
        "this mosaic was built without the prover; build it with \
         `cargo build --release -p mosaic --features prover` (compiles OpenVM's prover, ≈18 min)"
    )
}

#[cfg(not(feature = "prover"))]
mod imp {
    use super::*;

    pub(crate) fn prove(_: ProveArgs, _: &clap::ArgMatches) -> anyhow::Result<()> {
        missing()
    }

    pub(crate) fn verify(_: VerifyArgs) -> anyhow::Result<()> {
        missing()
    }

    pub(crate) fn aggregate(_: AggregateArgs) -> anyhow::Result<()> {
        missing()
    }

    pub(crate) fn prover(_: ProverCommand) -> anyhow::Result<()> {
        missing()
    }

    pub(crate) async fn spawn_background_prover(
        _: &mut mosaic_node::Supervisor,
        _: &mosaic_node::Node,
        _: &std::path::Path,
        _: bool,
        _: u64,
    ) -> anyhow::Result<()> {
        missing()
    }

    pub(crate) fn spawn_fraud_prover(
        _: &mut mosaic_node::Supervisor,
        _: &mosaic_node::Node,
        _: &std::path::Path,
        _: &crate::snark::KeyDir,
        _: &std::path::Path,
    ) -> anyhow::Result<()> {
        missing()
    }

    pub(crate) fn spawn_validity_prover(
        _: &mut mosaic_node::Supervisor,
        _: &mosaic_node::Node,
        _: ValiditySettings,
        _: mosaic_proving::ZkFrom,
    ) -> anyhow::Result<std::sync::Arc<dyn mosaic_rollup::rpc::StatusSection>> {
        missing()?;
        anyhow::bail!("the prover is missing")
    }
}

#[cfg(feature = "prover")]
mod imp {
    use super::*;
    use crate::config::open_devnet_chain;
    use anyhow::Context;
    use mosaic_node::Node;
    use mosaic_prover::{
        posted_batch_witness, AggregateJournal, Aggregator, BatchProof, BatchWitness, Executed, Guest, Journal,
        ProofFile, ProofKind,
    };
    use mosaic_rollup::{BatchRecord, ProofDir};
    use std::{path::Path, time::Instant};
    use tracing::info;

    fn load(guest: &std::path::Path) -> anyhow::Result<Guest> {
        load_with(guest, DEFAULT_SEGMENT_MEMORY_GIB)
    }

    pub(super) fn load_with(guest: &std::path::Path, segment_memory_gib: u64) -> anyhow::Result<Guest> {
        anyhow::ensure!(segment_memory_gib >= 1, "the segment memory must be at least 1 GiB");
        // A segment that cannot fit in this machine's memory would be killed mid-proof (taking a devnet
        // with it): refuse the budget up front instead.
        if let Some(total) = total_memory_gib() {
            anyhow::ensure!(
                segment_memory_gib < total,
                "a segment budget of {segment_memory_gib} GiB does not fit in this machine's {total} GiB; \
                 lower --segment-memory-gib / --prover-segment-memory-gib"
            );
        }
        let bytes = usize::try_from(segment_memory_gib << 30).context("segment memory too large")?;
        let guest = Guest::load_with_segment_memory(guest, bytes)?;
        println!("guest program: ELF keccak {}", guest.elf_hash());
        Ok(guest)
    }

    /// Physical memory, GiB (Linux `/proc/meminfo`; `None` elsewhere).
    fn total_memory_gib() -> Option<u64> {
        let info = std::fs::read_to_string("/proc/meminfo").ok()?;
        let line = info.lines().find(|l| l.starts_with("MemTotal:"))?;
        let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
        Some(kib >> 20)
    }

    /// The witness of a recorded batch, in the encoding whose hash L1 holds.
    fn witness_for(node: &Node, record: &BatchRecord) -> anyhow::Result<(BatchWitness, Executed)> {
        Ok(posted_batch_witness(node, record.first_block, record.last_block, record.data_hash)?)
    }

    pub(crate) fn prove(args: ProveArgs, matches: &clap::ArgMatches) -> anyhow::Result<()> {
        let c = args.chain.resolve(matches)?;
        let (node, _) = open_devnet_chain(&c)?;
        let record = BatchRecord::load(&node, args.batch)?
            .with_context(|| format!("this node has no record of batch {}", args.batch))?;
        let (witness, executed) = witness_for(&node, &record)?;
        let guest = load_with(&args.guest, args.segment_memory_gib)?;
        let kind = if args.recursive { ProofKind::Recursive } else { ProofKind::App };
        println!(
            "proving batch {} (blocks {}..={}, {} transactions, {kind:?} proof): key generation and proving take minutes",
            args.batch, record.first_block, record.last_block, record.tx_count
        );
        let started = Instant::now();
        let proof = guest.prove(&witness, &executed.journal, kind)?;
        let out = args.out.unwrap_or_else(|| ProofDir::of(&node).proof_path(args.batch));
        if let Some(dir) = out.parent() {
            std::fs::create_dir_all(dir)?;
        }
        let bytes = proof.encode();
        std::fs::write(&out, &bytes).with_context(|| format!("writing {}", out.display()))?;
        println!(
            "wrote {} ({} bytes) in {:.1} s; journal hash {}",
            out.display(),
            bytes.len(),
            started.elapsed().as_secs_f64(),
            executed.journal.hash()
        );
        Ok(())
    }

    pub(crate) fn verify(args: VerifyArgs) -> anyhow::Result<()> {
        let bytes = std::fs::read(&args.file).with_context(|| format!("reading {}", args.file.display()))?;
        let guest = load(&args.elfs.guest)?;
        let started = Instant::now();
        match ProofFile::decode(&bytes)? {
            ProofFile::Batch(proof) => {
                let j = guest.verify(&proof).context("the proof does not verify")?;
                println!(
                    "valid {:?} proof ({:.1} s, including key generation). Journal:",
                    proof.kind,
                    started.elapsed().as_secs_f64()
                );
                print_journal(&j);
            }
            ProofFile::Aggregate(proof) => {
                let aggregator = Aggregator::load(&guest, &args.elfs.aggregate_guest)?;
                let j = aggregator.verify(&proof).context("the proof does not verify")?;
                println!(
                    "valid aggregate proof of {} batches ({:.1} s, including key generation). Journal:",
                    j.batches,
                    started.elapsed().as_secs_f64()
                );
                print_aggregate_journal(&j);
            }
        }
        Ok(())
    }

    fn print_journal(j: &Journal) {
        println!("  chainId          {}", j.chain_id);
        println!("  configHash       {}", j.config_hash);
        println!("  prevStateRoot    {}", j.prev_state_root);
        println!("  postStateRoot    {}", j.post_state_root);
        println!("  prevBlockHash    {}", j.prev_block_hash);
        println!("  lastBlockHash    {}", j.last_block_hash);
        println!("  lastBlock        {}", j.last_block);
        println!("  batchDataHash    {}", j.batch_data_hash);
        println!("  l1MessageCursor  {}", j.l1_message_cursor);
        println!("  l1MessagesHash   {}", j.l1_messages_hash);
        println!("  withdrawalsRoot  {}", j.withdrawals_root);
        println!("  journal hash     {}", j.hash());
    }

    fn print_aggregate_journal(j: &AggregateJournal) {
        println!("  batchProgram     {}", j.batch_program);
        println!("  batches          {}", j.batches);
        println!("  chainId          {}", j.chain_id);
        println!("  configHash       {}", j.config_hash);
        println!("  prevStateRoot    {}", j.prev_state_root);
        println!("  postStateRoot    {}", j.post_state_root);
        println!("  prevBlockHash    {}", j.prev_block_hash);
        println!("  lastBlockHash    {}", j.last_block_hash);
        println!("  lastBlock        {}", j.last_block);
        println!("  l1MessageCursor  {}", j.l1_message_cursor);
        println!("  l1MessagesHash   {}", j.l1_messages_hash);
        println!("  journalsHash     {}", j.journals_hash);
        println!("  journal hash     {}", j.hash());
    }

    pub(crate) fn aggregate(args: AggregateArgs) -> anyhow::Result<()> {
        anyhow::ensure!(args.first >= 1 && args.count >= 1, "batches are numbered from 1; --count must be at least 1");
        let dir = args
            .proofs
            .clone()
            .unwrap_or_else(|| args.data_dir.clone().unwrap_or_else(crate::config::default_data_dir).join("proofs"));
        let last = args.first + args.count - 1;
        let proofs = (args.first..=last)
            .map(|i| {
                let path = dir.join(format!("batch-{i}.proof"));
                let bytes = std::fs::read(&path).with_context(|| {
                    format!("reading {} (prove batch {i} with `mosaic prove --batch {i} --recursive`)", path.display())
                })?;
                Ok(BatchProof::decode(&bytes)?)
            })
            .collect::<anyhow::Result<Vec<_>>>()?;
        let guest = load(&args.elfs.guest)?;
        println!("aggregating batches {}..={last}: key generation and proving take minutes", args.first);
        let started = Instant::now();
        let aggregator = Aggregator::load(&guest, &args.elfs.aggregate_guest)?;
        let proof = aggregator.prove(&proofs)?;
        let out = args.out.unwrap_or_else(|| dir.join(format!("aggregate-{}-{last}.proof", args.first)));
        let bytes = proof.encode();
        std::fs::write(&out, &bytes).with_context(|| format!("writing {}", out.display()))?;
        println!(
            "wrote {} ({} bytes) in {:.1} s; aggregate journal hash {}",
            out.display(),
            bytes.len(),
            started.elapsed().as_secs_f64(),
            proof.journal.hash()
        );
        Ok(())
    }

    pub(crate) async fn spawn_background_prover(
        services: &mut mosaic_node::Supervisor,
        node: &Node,
        guest: &Path,
        recursive: bool,
        segment_memory_gib: u64,
    ) -> anyhow::Result<()> {
        let kind = if recursive { ProofKind::Recursive } else { ProofKind::App };
        let (node, path) = (node.clone(), guest.to_path_buf());
        // OpenVM's SDK is not Send: the prover's own thread loads the guest and reports back, awaited
        // without blocking an async worker.
        let (loaded, outcome) = tokio::sync::oneshot::channel();
        services.spawn_blocking("prover", move || -> Result<(), String> {
            let guest = match load_with(&path, segment_memory_gib) {
                Ok(guest) => guest,
                Err(e) => {
                    let _ = loaded.send(Err(format!("--prover cpu: {e}")));
                    return Ok(());
                }
            };
            info!(elf = %guest.elf_hash(), ?kind, "background prover started");
            let _ = loaded.send(Ok(()));
            mosaic_prover::run_background_prover(&node, &guest, kind)
        });
        outcome.await.map_err(|_| anyhow::anyhow!("the prover thread died"))?.map_err(anyhow::Error::msg)
    }

    /// Makes the fraud proof of every open challenge game into the challenger's folder `proofs`, on its
    /// own thread: the batch's recursive STARK from this node's own blocks (which its derivation built
    /// from the L1 data), then the SNARK wrap with the keys in `keys` — what `mosaic prove --recursive`
    /// and `mosaic snark wrap` do, in process. The file appears atomically as `<journal hash>.snark`,
    /// which the challenger submits. A game whose proof fails is not retried until a restart.
    pub(crate) fn spawn_fraud_prover(
        services: &mut mosaic_node::Supervisor,
        node: &Node,
        proofs: &Path,
        keys: &crate::snark::KeyDir,
        guest: &Path,
    ) -> anyhow::Result<()> {
        let (node, proofs, keys, guest) = (node.clone(), proofs.to_path_buf(), keys.clone(), guest.to_path_buf());
        anyhow::ensure!(guest.exists(), "no guest ELF at {} (run scripts/build-guest.sh)", guest.display());
        std::fs::create_dir_all(&proofs).with_context(|| format!("creating {}", proofs.display()))?;
        services.spawn_blocking("fraud prover", move || -> Result<(), String> {
            let mut given_up = std::collections::HashSet::new();
            loop {
                let games = mosaic_challenger::Game::open_games(&node).map_err(|e| e.to_string())?;
                for game in games {
                    let out = mosaic_challenger::ProofDirectory::new(&proofs).path_of(game.journal_hash);
                    if out.exists() || given_up.contains(&game.journal_hash) {
                        continue;
                    }
                    let started = Instant::now();
                    info!(batch = game.index, journal = %game.journal_hash, "proving the fraud");
                    match prove_fraud(&node, &game, &proofs, &keys, &guest, &out) {
                        Ok(()) => info!(batch = game.index, seconds = started.elapsed().as_secs_f64(),
                            file = %out.display(), "fraud proof ready"),
                        Err(e) => {
                            tracing::warn!(batch = game.index, error = %e, "the fraud proof failed; not retried");
                            given_up.insert(game.journal_hash);
                        }
                    }
                }
                std::thread::sleep(std::time::Duration::from_secs(2));
            }
        });
        Ok(())
    }

    fn prove_fraud(
        node: &Node,
        game: &mosaic_challenger::Game,
        proofs: &Path,
        keys: &crate::snark::KeyDir,
        guest: &Path,
        out: &Path,
    ) -> anyhow::Result<()> {
        let stark = proofs.join(format!("{}.stark", game.journal_hash));
        if !stark.exists() {
            let record = BatchRecord::load(node, game.index)?.context("no record of the batch")?;
            // The guest's SDK lives only for the STARK: the wrap needs the memory.
            let prover = load(guest)?;
            let (witness, executed) =
                posted_batch_witness(node, record.first_block, record.last_block, record.data_hash)?;
            anyhow::ensure!(
                executed.journal.hash() == game.journal_hash,
                "re-executing the batch states journal {}, the game {}",
                executed.journal.hash(),
                game.journal_hash
            );
            let proof = prover.prove(&witness, &executed.journal, ProofKind::Recursive)?;
            let tmp = stark.with_extension("stark.tmp");
            std::fs::write(&tmp, proof.encode()).and_then(|()| std::fs::rename(&tmp, &stark))?;
        }
        let tmp = out.with_extension("snark.tmp");
        let elfs = GuestElfs { guest: guest.to_path_buf(), aggregate_guest: DEFAULT_AGGREGATE_ELF.into() };
        let keys = keys.clone();
        crate::snark::run(crate::snark::SnarkCommand::Wrap(crate::snark::WrapArgs {
            proof: stark,
            keys,
            out: Some(tmp.clone()),
            elfs,
        }))?;
        std::fs::rename(&tmp, out)?;
        Ok(())
    }

    pub(crate) fn prover(cmd: ProverCommand) -> anyhow::Result<()> {
        match cmd {
            ProverCommand::Vkey { guest } => {
                let guest = load(&guest)?;
                let commit = guest.program_commit()?;
                println!("app_exe_commit {}", commit.app_exe_commit);
                println!("app_vm_commit  {}", commit.app_vm_commit);
                println!("batch_program  {}  (what aggregate journals name)", commit.program_id);
                Ok(())
            }
        }
    }
}

#[cfg(not(feature = "prover"))]
pub(crate) use imp::spawn_validity_prover;
pub(crate) use imp::{aggregate, prove, prover, spawn_background_prover, spawn_fraud_prover, verify};

/// What the validity prover (`--prove-validity`) works with (read only by a build with the prover).
#[derive(Debug, Clone)]
#[cfg_attr(not(feature = "prover"), allow(dead_code))]
pub(crate) struct ValiditySettings {
    /// The guest ELFs.
    pub elfs: GuestElfs,
    /// SNARK keys of the batch program (`mosaic snark setup`).
    pub batch_keys: PathBuf,
    /// SNARK keys of the aggregation program; without them each batch is wrapped alone.
    pub aggregate_keys: Option<PathBuf>,
    /// Estimated proving memory per segment, GiB.
    pub segment_memory_gib: u64,
    /// Where STARKs and aggregates are kept.
    pub work_dir: PathBuf,
    /// Where SNARKs go (the finalizer's folder).
    pub out: PathBuf,
    /// Most batches per aggregate.
    pub max_range: u64,
}

/// The validity pipeline's section of `mosaic_rollupStatus`: its last step and range, and the jobs of
/// the latest batches (proving, proven, failed).
#[cfg_attr(not(feature = "prover"), allow(dead_code))]
struct ValiditySection(std::sync::Arc<parking_lot::Mutex<mosaic_proving::PipelineStatus>>, mosaic_node::Node);

/// Batch jobs the section lists.
#[cfg_attr(not(feature = "prover"), allow(dead_code))]
const RECENT_JOBS: u64 = 32;

impl mosaic_rollup::rpc::StatusSection for ValiditySection {
    fn key(&self) -> &'static str {
        "validityProver"
    }

    fn status(&self) -> serde_json::Value {
        let mut status = serde_json::to_value(&*self.0.lock()).unwrap_or_default();
        status["jobs"] = match mosaic_proving::recent_jobs(&self.1, RECENT_JOBS) {
            Ok(jobs) => serde_json::to_value(jobs).unwrap_or_default(),
            Err(e) => serde_json::Value::String(format!("unreadable: {e}")),
        };
        status
    }
}

/// The validity pipeline's provers: OpenVM for the batch and aggregation guests, the halo2 wrap for
/// SNARKs. Each stage loads what it needs and drops it before the next (the wrap needs ≈ 18 GB).
#[cfg(feature = "prover")]
mod stages {
    use super::*;
    use anyhow::Context;
    use mosaic_node::Node;
    use mosaic_prover::{posted_batch_witness, Aggregator, BatchProof, Guest, ProofKind};
    use mosaic_proving::{ProofStages, Proven, StageError};
    use mosaic_rollup::BatchRecord;
    use mosaic_snark::SnarkProof;

    pub(crate) struct OpenVmStages {
        pub(crate) settings: ValiditySettings,
    }

    fn stage<T>(r: anyhow::Result<T>) -> Result<T, StageError> {
        r.map_err(|e| StageError(format!("{e:#}")))
    }

    fn guest(s: &ValiditySettings) -> anyhow::Result<Guest> {
        super::imp::load_with(&s.elfs.guest, s.segment_memory_gib)
    }

    impl ProofStages for OpenVmStages {
        fn prove_batch(&mut self, node: &Node, record: &BatchRecord) -> Result<Proven, StageError> {
            stage((|| {
                let guest = guest(&self.settings)?;
                let (witness, executed) =
                    posted_batch_witness(node, record.first_block, record.last_block, record.data_hash)?;
                let proof = guest.prove(&witness, &executed.journal, ProofKind::Recursive)?;
                Ok(Proven { journal_hash: executed.journal.hash(), bytes: proof.encode() })
            })())
        }

        fn can_aggregate(&self) -> bool {
            self.settings.aggregate_keys.is_some()
        }

        fn aggregate(&mut self, batches: &[Vec<u8>]) -> Result<Proven, StageError> {
            stage((|| {
                let guest = guest(&self.settings)?;
                let aggregator = Aggregator::load(&guest, &self.settings.elfs.aggregate_guest)?;
                let proofs = batches.iter().map(|b| BatchProof::decode(b)).collect::<Result<Vec<_>, _>>()?;
                let proof = aggregator.prove(&proofs)?;
                Ok(Proven { journal_hash: proof.journal.hash(), bytes: proof.encode() })
            })())
        }

        fn wrap(&mut self, proof: &Proven, aggregate: bool) -> Result<SnarkProof, StageError> {
            stage((|| {
                let (program, keys) = match (aggregate, &self.settings.aggregate_keys) {
                    (true, Some(keys)) => (crate::snark::Program::Aggregate, keys.clone()),
                    (true, None) => anyhow::bail!("no aggregation keys"),
                    (false, _) => (crate::snark::Program::Batch, self.settings.batch_keys.clone()),
                };
                // `mosaic snark wrap`, in process: it checks the STARK, proves, and verifies the SNARK.
                let input = self.settings.work_dir.join(format!("{}.wrap-input", proof.journal_hash));
                let out = input.with_extension("snark");
                std::fs::write(&input, &proof.bytes).with_context(|| format!("writing {}", input.display()))?;
                crate::snark::run(crate::snark::SnarkCommand::Wrap(crate::snark::WrapArgs {
                    proof: input.clone(),
                    keys: crate::snark::KeyDir { dir: Some(keys), program },
                    out: Some(out.clone()),
                    elfs: self.settings.elfs.clone(),
                }))?;
                let snark =
                    SnarkProof::decode(&std::fs::read(&out).with_context(|| format!("reading {}", out.display()))?)?;
                let _ = std::fs::remove_file(&input);
                let _ = std::fs::remove_file(&out);
                Ok(snark)
            })())
        }
    }
}

#[cfg(feature = "prover")]
mod validity {
    use super::*;
    use std::sync::Arc;

    /// Starts the validity pipeline (`mosaic_proving`) on its own thread: every zk batch's recursive
    /// STARK, aggregated over runs of up to `max_range` batches, wrapped into the SNARK the finalizer
    /// posts. Returns its `mosaic_rollupStatus` section.
    pub(crate) fn spawn_validity_prover(
        services: &mut mosaic_node::Supervisor,
        node: &mosaic_node::Node,
        settings: ValiditySettings,
        zk_from: mosaic_proving::ZkFrom,
    ) -> anyhow::Result<Arc<dyn mosaic_rollup::rpc::StatusSection>> {
        anyhow::ensure!(
            settings.elfs.guest.exists(),
            "no guest ELF at {} (run scripts/build-guest.sh)",
            settings.elfs.guest.display()
        );
        anyhow::ensure!(
            settings.batch_keys.join("snark.vk.json").exists() || settings.aggregate_keys.is_some(),
            "no SNARK keys in {} (run `mosaic snark setup`)",
            settings.batch_keys.display()
        );
        let config = mosaic_proving::PipelineConfig {
            work_dir: settings.work_dir.clone(),
            out: mosaic_snark::ProofDirectory::new(&settings.out),
            max_range: settings.max_range.max(1),
            max_attempts: 3,
        };
        let stages = super::stages::OpenVmStages { settings };
        let pipeline = mosaic_proving::Pipeline::new(node.clone(), stages, config, zk_from);
        let section = Arc::new(ValiditySection(pipeline.status(), node.clone()));
        services.spawn_blocking("validity prover", move || -> Result<(), String> { pipeline.run() });
        Ok(section)
    }
}
#[cfg(feature = "prover")]
pub(crate) use validity::spawn_validity_prover;
