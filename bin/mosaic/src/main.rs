//! `mosaic`: the Mosaic rollup node binary.
mod bench;
mod cluster;
mod config;
mod fleet;
mod options;
// Used by the `prover` commands only.
#[cfg_attr(not(feature = "prover"), allow(dead_code))]
mod progress;
mod prove;
mod roles;
mod settlement;
mod snark;

use anyhow::Context as _;
use clap::{CommandFactory, FromArgMatches, Subcommand};
use config::DevnetArgs;
use tracing_subscriber::EnvFilter;

/// Most threads of tokio's blocking pool (the prover holds one for its life).
const MAX_BLOCKING_THREADS: usize = 64;

/// Mosaic: a multi-VM zk-rollup for Ethereum.
#[derive(clap::Parser, Debug)]
#[command(name = "mosaic", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Run a single-process development chain: sequencer + JSON-RPC (HTTP and WebSocket), with ten
    /// funded accounts from the well-known test mnemonic.
    Devnet(Box<DevnetArgs>),
    /// Load-test a JSON-RPC endpoint (Mosaic or any Ethereum node, e.g. anvil) with signed ETH and ERC-20
    /// transfers and report throughput to inclusion and latency.
    Bench(bench::BenchArgs),
    /// Run a node that derives the L2 from L1 data alone: `--role full` serves it over JSON-RPC,
    /// `--role verifier` checks every batch's claimed state root and reports faults.
    Node(roles::NodeArgs),
    /// Deploy the settlement contracts (Rollup, Bridge, Verifier) to an L1 and write their addresses.
    DeployL1(roles::DeployArgs),
    /// Run Ethereum's state tests (execution-spec-tests fixtures) through Mosaic's STF: the bundled
    /// release by default, or a folder / `.tar.zst` of fixtures.
    Conformance(ConformanceArgs),
    /// Schedule the Rollup's switch from hybrid to zk on a live chain (its owner's key): after the
    /// deployment's switch delay, new batches finalize by proof only.
    SwitchToZk(roles::SwitchArgs),
    /// Schedule a member into or out of the Rollup's sequencer set (its owner's key): it takes effect
    /// after the deployment's switch delay, on L1 and on the L2 alike.
    ScheduleMember(roles::MemberArgs),
    /// Prove a batch from the node database with the OpenVM guest and write the proof (feature `prover`).
    Prove(Box<prove::ProveArgs>),
    /// Aggregate the recursive proofs of consecutive batches into one proof (feature `prover`).
    Aggregate(prove::AggregateArgs),
    /// Verify a batch or aggregate proof against the guest programs and print its journal (feature
    /// `prover`).
    VerifyProof(prove::VerifyArgs),
    /// The guest program's commitments (feature `prover`).
    #[command(subcommand)]
    Prover(prove::ProverCommand),
    /// Wrap recursive proofs into SNARKs that Ethereum verifies: `setup`, `wrap` (feature `prover`) and
    /// `verify`.
    #[command(subcommand)]
    Snark(snark::SnarkCommand),
}

fn main() -> anyhow::Result<()> {
    // The matches say which values came from the command line: they win over a config file.
    let matches = Cli::command().get_matches();
    let cli = Cli::from_arg_matches(&matches).unwrap_or_else(|e| e.exit());
    let sub = matches.subcommand().map(|(_, m)| m.clone()).unwrap_or_default();
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_env("RUST_LOG")
                .unwrap_or_else(|_| EnvFilter::new("info,openvm_stark_backend::keygen=warn")),
        )
        .with_target(false)
        .init();
    // Blocking work (admission, block building, database writes) runs on tokio's blocking pool; a bound
    // keeps a burst of requests from spawning hundreds of threads that only contend for the cores.
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .max_blocking_threads(MAX_BLOCKING_THREADS)
        .build()
        .context("starting tokio")?;
    let result = match cli.command {
        Command::Devnet(args) => rt.block_on(config::run_devnet(*args, &sub)),
        Command::Bench(args) => rt.block_on(bench::run(args)),
        Command::Node(args) => rt.block_on(roles::run_node(args)),
        Command::DeployL1(args) => rt.block_on(roles::run_deploy(args)),
        Command::Conformance(args) => conformance(args),
        Command::SwitchToZk(args) => rt.block_on(roles::run_switch(args)),
        Command::ScheduleMember(args) => rt.block_on(roles::run_schedule_member(args)),
        // Node::open needs a runtime context; proving itself is synchronous.
        Command::Prove(args) => {
            let _enter = rt.enter();
            prove::prove(*args, &sub)
        }
        Command::Aggregate(args) => prove::aggregate(args),
        Command::VerifyProof(args) => prove::verify(args),
        Command::Prover(cmd) => prove::prover(cmd),
        Command::Snark(cmd) => snark::run(cmd),
    };
    // A blocking service that loops (a prover) never returns: the runtime is not dropped waiting for it.
    rt.shutdown_timeout(mosaic_node::SHUTDOWN_GRACE);
    result
}

/// `mosaic conformance`.
#[derive(clap::Args, Debug)]
struct ConformanceArgs {
    /// A folder of state-test fixtures (searched for `*.json`) or a `.tar.zst` of one; the bundled
    /// execution-spec-tests v4.1.0 when absent.
    path: Option<std::path::PathBuf>,
    /// Only the tests whose name or file contains this text.
    #[arg(long, default_value = "")]
    filter: String,
    /// Print every case, not only the failures.
    #[arg(long)]
    verbose: bool,
    /// Worker threads (default: all cores).
    #[arg(long)]
    threads: Option<usize>,
}

/// Runs the state tests and prints `N passed, N failed, N skipped (reasons)`; fails if any case failed.
fn conformance(args: ConformanceArgs) -> anyhow::Result<()> {
    let suite = match &args.path {
        Some(path) => mosaic_conformance::Suite::open(path)?,
        None => mosaic_conformance::Suite::bundled()?,
    };
    let threads = args.threads.unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    let report = suite.run(&args.filter, threads);
    for case in &report.cases {
        match &case.verdict {
            mosaic_conformance::Verdict::Failed(why) => println!("FAIL {}: {why}", case.name),
            verdict if args.verbose => println!("{verdict:?} {}", case.name),
            _ => {}
        }
    }
    println!("state tests ({} files): {}", suite.len(), report.summary());
    anyhow::ensure!(report.failures().next().is_none(), "some state tests failed");
    Ok(())
}
