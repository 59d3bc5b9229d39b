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
    /// Claim proof jobs from a queue and prove them — batch STARKs, aggregations, SNARK wraps — until
    /// Ctrl-C; any number of workers on any number of machines (feature `prover`).
    Worker(crate::fleet::WorkerArgs),
    /// Print a proof queue: jobs per kind and state, then the latest jobs with their progress.
    Status(crate::fleet::StatusArgs),
    /// Queue a job that failed for good again, with fresh attempts.
    Retry {
        #[command(flatten)]
        queue: crate::fleet::QueueArgs,
        /// The job's key (`mosaic prover status` lists them).
        key: String,
    },
}

/// Runs a `mosaic prover` command.
pub(crate) fn prover(cmd: ProverCommand) -> anyhow::Result<()> {
    match cmd {
        ProverCommand::Vkey { guest } => imp::vkey(&guest),
        ProverCommand::Worker(args) => crate::fleet::run_worker(args),
        ProverCommand::Status(args) => crate::fleet::status(args),
        ProverCommand::Retry { queue, key } => crate::fleet::retry(queue, &key),
    }
}

/// Physical memory, GiB (Linux `/proc/meminfo`; `None` elsewhere).
pub(crate) fn total_memory_gib() -> Option<u64> {
    let info = std::fs::read_to_string("/proc/meminfo").ok()?;
    let line = info.lines().find(|l| l.starts_with("MemTotal:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib >> 20)
}

/// A segment budget in bytes, refused when it cannot fit in this machine's memory: a segment over it
/// would be killed mid-proof (taking a devnet or a worker with it).
#[cfg_attr(not(feature = "prover"), allow(dead_code))]
pub(crate) fn segment_bytes(segment_memory_gib: u64) -> anyhow::Result<usize> {
    use anyhow::Context;
    anyhow::ensure!(segment_memory_gib >= 1, "the segment memory must be at least 1 GiB");
    if let Some(total) = total_memory_gib() {
        anyhow::ensure!(
            segment_memory_gib < total,
            "a segment budget of {segment_memory_gib} GiB does not fit in this machine's {total} GiB; \
             lower --segment-memory-gib / --prover-segment-memory-gib"
        );
    }
    let bytes = segment_memory_gib.checked_mul(1 << 30).context("segment memory too large")?;
    usize::try_from(bytes).context("segment memory too large")
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

    pub(crate) fn vkey(_: &std::path::Path) -> anyhow::Result<()> {
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

    fn load_with(guest: &std::path::Path, segment_memory_gib: u64) -> anyhow::Result<Guest> {
        let bytes = super::segment_bytes(segment_memory_gib)?;
        let guest = Guest::load_with_segment_memory(guest, bytes)?;
        println!("guest program: ELF keccak {}", guest.elf_hash());
        Ok(guest)
    }

    /// The witness of a recorded batch, in the encoding whose hash L1 holds.
    fn witness_for(node: &Node, record: &BatchRecord) -> anyhow::Result<(BatchWitness, Executed)> {
        Ok(posted_batch_witness(node, record.first_block, record.last_block, record.data_hash)?)
    }

    pub(crate) fn prove(args: ProveArgs, matches: &clap::ArgMatches) -> anyhow::Result<()> {
        let c = args.chain.resolve(matches)?;
        let (node, _) = open_devnet_chain(&c, c.sequencer.fee_recipient)?;
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
        let progress = crate::progress::Progress::new("prove");
        progress.set(0.0, "keys and proof (OpenVM)");
        let proof = guest.prove(&witness, &executed.journal, kind)?;
        progress.finish();
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

    pub(crate) fn vkey(guest: &Path) -> anyhow::Result<()> {
        let guest = load(guest)?;
        let commit = guest.program_commit()?;
        println!("app_exe_commit {}", commit.app_exe_commit);
        println!("app_vm_commit  {}", commit.app_vm_commit);
        println!("batch_program  {}  (what aggregate journals name)", commit.program_id);
        Ok(())
    }
}

pub(crate) use imp::{aggregate, prove, spawn_background_prover, verify};
