//! `mosaic node --role full|verifier` (derive the L2 from L1 data alone) and `mosaic deploy-l1`.
use crate::{
    config::l1_signer,
    options::{ChainArgs, RollupTermsArgs, RpcArgs},
    settlement,
};
use anyhow::{bail, Context as _};
use clap::Args;
use mosaic_node::{Node, NodeConfig, Supervisor};
use mosaic_rollup::{L1Client, L1Contracts, NodeRole};
use std::{net::SocketAddr, path::PathBuf, sync::Arc, time::Duration};
use tracing::info;

/// Flags of `mosaic node`.
#[derive(Args, Debug)]
pub(crate) struct NodeArgs {
    /// Role of this node: `full`, `verifier`, `producer`, or `sequencer` — a member of a sequencer set
    /// (with --sequencer-set and --validator-key; a lone development sequencer is `mosaic devnet`).
    #[arg(long, value_enum)]
    pub role: NodeRole,
    /// L1 JSON-RPC endpoint (the only source of L2 data this node uses).
    #[arg(long)]
    pub l1_rpc: String,
    /// L1 contract addresses (JSON written by `mosaic deploy-l1` or a devnet's data dir).
    #[arg(long)]
    pub l1_contracts: PathBuf,
    /// L1 blocks on top before an L1 event counts.
    #[arg(long, default_value_t = 1)]
    pub l1_confirmations: u64,
    /// Data directory (a fresh one derives from batch 1).
    #[arg(long)]
    pub data_dir: PathBuf,
    /// JSON-RPC server.
    #[command(flatten)]
    pub rpc: RpcArgs,
    /// The chain to derive: must be the sequencer's (the rollup pins its genesis and parameters).
    #[command(flatten)]
    pub chain: ChainArgs,
    /// With `--role verifier`: challenge every batch whose claimed roots its data contradicts, locking
    /// the Rollup's challenger bond from --l1-private-key's account, and submit the fraud proof.
    #[arg(long, requires = "l1_private_key")]
    pub challenge: bool,
    /// L1 account of the challenger (hex private key).
    #[arg(long)]
    pub l1_private_key: Option<String>,
    /// With --challenge: the folder fraud proofs come from (SNARK files named by the journal hash they
    /// state, `<hash>.snark`, as `mosaic snark wrap` writes them); default `<data-dir>/fraud-proofs`.
    #[arg(long, requires = "challenge")]
    pub fraud_proofs: Option<PathBuf>,
    /// With --challenge: make the fraud proofs — the batch's recursive STARK from this node's blocks,
    /// then the SNARK wrap with the keys of `mosaic snark setup` (--snark-keys) — as jobs in
    /// --prover-queue, proven by --prover-workers threads here (a mosaic built with `--features prover`)
    /// or by `mosaic prover worker`s.
    #[arg(long, requires = "challenge")]
    pub prove_fraud: bool,
    /// With --prove-fraud or --fallback-prove: the folder of the batch program's SNARK keys (`mosaic
    /// snark setup --dir`); default `<data-dir>/snark/batch`.
    #[arg(long)]
    pub snark_keys: Option<PathBuf>,
    /// With --prove-fraud or --fallback-prove: the batch guest ELF (`scripts/build-guest.sh` writes it).
    #[arg(long, default_value = crate::prove::DEFAULT_GUEST_ELF)]
    pub fraud_guest: PathBuf,
    /// With --prove-fraud or --fallback-prove: the proof job queue — `postgres://user@host/db` to let a
    /// fleet of `mosaic prover worker`s make the proofs. Default: embedded in the data dir
    /// (`prover-queue.redb`).
    #[arg(long)]
    pub prover_queue: Option<String>,
    /// With --prove-fraud or --fallback-prove: where witnesses and proofs are shared with the workers — a
    /// folder (a shared mount for workers on other machines) or `s3://bucket[/prefix]` (credentials and
    /// endpoint from the standard `AWS_*` variables). Default: `<data-dir>/prover-artifacts`.
    #[arg(long)]
    pub prover_artifacts: Option<String>,
    /// With --prove-fraud or --fallback-prove: prover workers inside this process (0: only `mosaic
    /// prover worker`s prove).
    #[arg(long, default_value_t = 1)]
    pub prover_workers: u32,
    /// With --prove-fraud or --fallback-prove: split each batch's recursive STARK into this many jobs,
    /// each proving a group of its execution segments, joined by the batch's job (1: one job).
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=64))]
    pub prover_segment_jobs: u32,
    /// With `--role producer`: the staked producer key this process attests with (hex private key);
    /// the sequencer lists this node's URL in `--co-signer`.
    #[arg(long)]
    pub producer_key: Option<String>,
    /// With `--role sequencer`: the set's file (members, their keys, p2p and RPC addresses; the same
    /// bytes on every member), deployed for with `mosaic deploy-l1 --sequencer-set`.
    #[arg(long)]
    pub sequencer_set: Option<PathBuf>,
    /// With `--role sequencer`: this member's consensus key (hex private key), which also attests its
    /// batches and, unless --l1-private-key, posts them; best given in the environment.
    #[arg(long, env = "MOSAIC_VALIDATOR_KEY", hide_env_values = true)]
    pub validator_key: Option<String>,
    /// With `--role full`: the fallback proposer's L1 key (hex private key; best given in the
    /// environment). Once the Rollup lets anyone commit (`fallbackOpen()`: no proposer's batch for its
    /// fallback delay, or an L1 message past its inclusion deadline) and this node has derived every
    /// batch, it builds blocks on that head, takes transactions, and posts each batch from this account
    /// with the bond and its proof (--fallback-proofs); it stops when a proposer commits again. Use an
    /// account that is not a proposer.
    #[arg(long, env = "MOSAIC_FALLBACK_KEY", hide_env_values = true)]
    pub fallback_key: Option<String>,
    /// With --fallback-key: the folder the proofs of its batches come from — SNARK files named by the
    /// journal hash they state (`<hash>.snark`, as `mosaic snark wrap` writes them); each batch is
    /// committed with its proof (`commitProvenBatch`). `mosaic_rollupStatus.fallback.awaiting` names the
    /// batch waiting for one. Default `<data-dir>/fallback-proofs`.
    #[arg(long, requires = "fallback_key")]
    pub fallback_proofs: Option<PathBuf>,
    /// With --fallback-key: make the proofs of its batches — each batch's STARK from this node's blocks,
    /// then the SNARK wrap with --snark-keys — as jobs in --prover-queue, proven by --prover-workers
    /// threads here (a mosaic built with `--features prover`) or by `mosaic prover worker`s, into
    /// --fallback-proofs.
    #[arg(long, requires = "fallback_key")]
    pub fallback_prove: bool,
    /// With `--role sequencer` or --fallback-key: when this node closes the batches it posts.
    #[command(flatten, next_help_heading = "Batching (--role sequencer, --fallback-key)")]
    pub batch: crate::options::BatchArgs,
}

/// `mosaic node --role sequencer`: one member of a sequencer set, as `mosaic devnet --sequencer-set`
/// runs it but with no development accounts, settling on the given L1 and contracts.
async fn run_set_member(a: NodeArgs) -> anyhow::Result<()> {
    if a.challenge || a.producer_key.is_some() {
        bail!("--role sequencer takes neither --challenge nor --producer-key (run those roles beside it)");
    }
    let (Some(set), Some(key)) = (a.sequencer_set, a.validator_key) else {
        bail!("--role sequencer needs --sequencer-set FILE and --validator-key KEY (or MOSAIC_VALIDATOR_KEY)");
    };
    let c = crate::config::DevnetArgs {
        data_dir: Some(a.data_dir),
        chain: a.chain,
        rpc: a.rpc,
        sequencer: crate::options::SequencerArgs {
            sequencer_set: Some(set),
            validator_key: Some(key),
            ..Default::default()
        },
        l1: crate::options::L1Args {
            l1_rpc: Some(a.l1_rpc),
            l1_contracts: Some(a.l1_contracts),
            l1_confirmations: Some(a.l1_confirmations),
            l1_private_key: a.l1_private_key,
            ..Default::default()
        },
        batch: a.batch,
        // A member posts no validity proofs.
        prover: crate::options::ProverArgs { no_finalizer: true, ..Default::default() },
        ..Default::default()
    };
    c.validate()?;
    crate::config::run_sequencer(c, crate::config::Flavor::Node).await
}

/// Flags of `mosaic switch-to-zk`.
#[derive(Args, Debug)]
pub(crate) struct SwitchArgs {
    /// L1 JSON-RPC endpoint.
    #[arg(long)]
    pub l1_rpc: String,
    /// L1 contract addresses (JSON written by `mosaic deploy-l1` or a devnet's data dir).
    #[arg(long)]
    pub l1_contracts: PathBuf,
    /// The Rollup owner's key. Default: dev account 10 of the test mnemonic (the devnet's deployer).
    #[arg(long)]
    pub private_key: Option<String>,
}

/// `mosaic switch-to-zk`: schedules the Rollup's switch from hybrid to zk.
pub(crate) async fn run_switch(a: SwitchArgs) -> anyhow::Result<()> {
    let contracts = L1Contracts::load(&a.l1_contracts)?;
    let l1 = L1Client::new(&a.l1_rpc, l1_signer(a.private_key.as_deref())?, 0)?;
    let at = mosaic_rollup::mode::schedule_zk_switch(&l1, &contracts).await.context("scheduling the switch")?;
    println!(
        "switch to zk scheduled: the first batch committed at or after L1 time {at} is the first zk batch; \
         batches before it finish under hybrid rules"
    );
    Ok(())
}

/// Flags of `mosaic schedule-member`.
#[derive(Args, Debug)]
pub(crate) struct MemberArgs {
    /// The L1, its contracts and the Rollup owner's key.
    #[command(flatten)]
    pub owner: SwitchArgs,
    /// The member's address (its consensus key's; a candidate the set file lists, to join).
    #[arg(long)]
    pub member: alloy_primitives::Address,
    /// Schedule it out of the set (default: in).
    #[arg(long)]
    pub leave: bool,
}

/// `mosaic schedule-member`: schedules a member into or out of the Rollup's sequencer set; the set's
/// L2 blocks follow from the first height whose parent is stamped at or after the change.
pub(crate) async fn run_schedule_member(a: MemberArgs) -> anyhow::Result<()> {
    let contracts = L1Contracts::load(&a.owner.l1_contracts)?;
    let l1 = L1Client::new(&a.owner.l1_rpc, l1_signer(a.owner.private_key.as_deref())?, 0)?;
    let at = mosaic_rollup::membership::schedule_member(&l1, &contracts, a.member, !a.leave).await?;
    println!(
        "{} {} the sequencer set from L1 time {at}: on L1 from then on, on the L2 from the first height whose \
         parent block is stamped at or after it",
        a.member,
        if a.leave { "leaves" } else { "joins" }
    );
    Ok(())
}

/// Flags of `mosaic deploy-l1`.
#[derive(Args, Debug)]
pub(crate) struct DeployArgs {
    /// L1 JSON-RPC endpoint.
    #[arg(long)]
    pub l1_rpc: String,
    /// Deployer key (becomes owner, proposer and attester). Default: dev account 10 of the test mnemonic.
    #[arg(long)]
    pub private_key: Option<String>,
    /// Where to write the addresses.
    #[arg(long, default_value = "l1-contracts.json")]
    pub out: PathBuf,
    /// The Rollup's terms.
    #[command(flatten)]
    pub rollup: RollupTermsArgs,
    /// The L2 the rollup settles (pins its genesis and parameters).
    #[command(flatten)]
    pub chain: ChainArgs,
    /// A sequencer set's file: its genesis members become the Rollup's set (they commit batches, and
    /// every hybrid batch needs the attestations of ⌊2N/3⌋+1 of the active members; `mosaic
    /// schedule-member` changes it later), every member and candidate is staked as a producer (the
    /// deployer pays), and on a development L1 each is funded for bonds and gas. Replaces --producers.
    #[arg(long, conflicts_with_all = ["producers", "attest"])]
    pub sequencer_set: Option<PathBuf>,
}

/// The prover queue a full or verifier node feeds (fraud proofs, or a fallback's batches): its flags.
fn queue_settings(a: &NodeArgs) -> crate::fleet::QueueSettings {
    crate::fleet::QueueSettings {
        queue: a.prover_queue.clone(),
        artifacts: a
            .prover_artifacts
            .clone()
            .unwrap_or_else(|| a.data_dir.join("prover-artifacts").display().to_string()),
        workers: a.prover_workers,
        segment_jobs: a.prover_segment_jobs,
        provers: crate::fleet::ProverSettings {
            elfs: crate::prove::GuestElfs {
                guest: a.fraud_guest.clone(),
                aggregate_guest: crate::prove::DEFAULT_AGGREGATE_ELF.into(),
            },
            batch_keys: Some(a.snark_keys.clone().unwrap_or_else(|| a.data_dir.join("snark").join("batch"))),
            aggregate_keys: None,
            segment_memory_gib: crate::prove::DEFAULT_SEGMENT_MEMORY_GIB,
        },
    }
}

/// `mosaic deploy-l1`.
pub(crate) async fn run_deploy(a: DeployArgs) -> anyhow::Result<()> {
    if a.out.exists() {
        bail!("{} exists; remove it to deploy a new set of contracts", a.out.display());
    }
    let set = a.sequencer_set.as_deref().map(mosaic_consensus::SequencerSet::load).transpose()?;
    let l1 = L1Client::new(&a.l1_rpc, l1_signer(a.private_key.as_deref())?, 0)?;
    let c = settlement::deploy_for(&l1, &a.out, &a.chain, &a.rollup, set.as_ref()).await?;
    println!("{}", serde_json::to_string_pretty(&c)?);
    Ok(())
}

/// `mosaic node`.
pub(crate) async fn run_node(a: NodeArgs) -> anyhow::Result<()> {
    let role = a.role;
    if role == NodeRole::Sequencer {
        return run_set_member(a).await;
    }
    if a.sequencer_set.is_some() {
        bail!("--sequencer-set needs --role sequencer");
    }
    if a.fallback_key.is_some() && role != NodeRole::Full {
        bail!("--fallback-key needs --role full");
    }
    if a.fallback_key.is_none() && a.batch != crate::options::BatchArgs::default() {
        bail!("the batching flags need --role sequencer or --fallback-key");
    }
    if a.challenge && role != NodeRole::Verifier {
        bail!("--challenge needs --role verifier");
    }
    let producer_key = match (role, a.producer_key.as_deref()) {
        (NodeRole::Producer, Some(k)) => Some(l1_signer(Some(k)).context("--producer-key")?),
        (NodeRole::Producer, None) => bail!("--role producer needs --producer-key (the staked producer's key)"),
        (_, Some(_)) => bail!("--producer-key needs --role producer"),
        (_, None) => None,
    };
    let proving = a.prove_fraud || a.fallback_prove;
    if !proving && (a.snark_keys.is_some() || a.prover_queue.is_some() || a.prover_artifacts.is_some()) {
        bail!("--snark-keys, --prover-queue and --prover-artifacts need --prove-fraud or --fallback-prove");
    }
    #[cfg(not(feature = "prover"))]
    if proving && a.prover_workers > 0 {
        crate::prove::missing().context(
            "--prove-fraud or --fallback-prove with local prover workers (--prover-workers 0 leaves it to `mosaic \
             prover worker`s)",
        )?;
    }
    let challenger_key = a.l1_private_key.as_deref().map(|k| l1_signer(Some(k))).transpose()?;
    let fallback_key = a.fallback_key.as_deref().map(|k| l1_signer(Some(k)).context("--fallback-key")).transpose()?;
    let addr: SocketAddr = format!("{}:{}", a.rpc.host, a.rpc.port).parse().context("invalid --host/--port")?;
    let contracts = L1Contracts::load(&a.l1_contracts)?;
    let node = Node::open(NodeConfig {
        chain: a.chain.config(),
        data_dir: a.data_dir.clone(),
        block_time: Duration::ZERO,
        // A fallback proposer's blocks pay their fees to its poster.
        fee_recipient: fallback_key.as_ref().map(|k| k.address()).unwrap_or_default(),
        pool: Default::default(),
        genesis_alloc: a.chain.genesis_alloc(),
        max_tx_size: mosaic_node::DEFAULT_MAX_TX_SIZE,
        allow_unprotected_txs: false,
        predeploys: mosaic_rollup::predeploys(a.chain.chain_id),
        genesis_accounts: a.chain.genesis_accounts()?,
    })
    .with_context(|| format!("opening chain in {}", a.data_dir.display()))?;
    // The key only identifies this client; a deriving node sends no L1 transactions.
    let l1 = L1Client::new(&a.l1_rpc, settlement::dev_proposer(), a.l1_confirmations)?;
    let mut services = Supervisor::new();
    let mut sections = vec![settlement::spawn_settlement_watch(&mut services, &node, &l1, &contracts).0];
    let accepting = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let status = match fallback_key {
        None => settlement::spawn_derivation(&mut services, &node, &l1, &contracts, role).await?,
        Some(key) => {
            let poster = L1Client::new(&a.l1_rpc, key, a.l1_confirmations)?;
            let proofs = a.fallback_proofs.clone().unwrap_or_else(|| a.data_dir.join("fallback-proofs"));
            let (status, section, awaiting) = settlement::spawn_fallback(
                &mut services,
                (&node, &l1, &poster, &contracts),
                (a.batch.producer(), &proofs),
                accepting.clone(),
            )
            .await?;
            sections.push(section);
            if a.fallback_prove {
                crate::fleet::spawn_fallback_prover(&mut services, &node, &proofs, &queue_settings(&a), awaiting)?;
            }
            status
        }
    };
    if let (true, Some(key)) = (a.challenge, challenger_key) {
        let l1 = L1Client::new(&a.l1_rpc, key, a.l1_confirmations)?;
        let proofs = a.fraud_proofs.clone().unwrap_or_else(|| a.data_dir.join("fraud-proofs"));
        let source = Arc::new(mosaic_challenger::ProofDirectory::new(&proofs));
        let metrics = mosaic_challenger::ChallengerMetrics::register(node.metrics().registry())?;
        let challenger = mosaic_challenger::Challenger::new(node.clone(), l1, &contracts, source, metrics);
        sections.push(challenger.status_section());
        services.spawn("challenger", challenger.run());
        if a.prove_fraud {
            crate::fleet::spawn_fraud_prover(&mut services, &node, &proofs, &queue_settings(&a))?;
        }
        info!(proofs = %proofs.display(), "fraud proofs are taken from this folder");
    }
    let mut extra = settlement::rpc_methods(&node, &contracts, role, &a.l1_rpc, false, Some(status), sections);
    if let Some(key) = producer_key {
        let attester = mosaic_attester::Attester::new(node.clone(), l1.clone(), &contracts, key);
        info!(producer = %attester.address(), "co-signing: batches are attested once re-executed");
        extra.merge(attester.rpc_methods()).context("registering mosaic_attestBatch")?;
    }
    let rpc = mosaic_rpc::RpcConfig {
        addr,
        max_request_body_size: a.rpc.max_request_size,
        explorer: !a.rpc.no_explorer,
        refuse_transactions: Some(format!(
            "this is a {role} node: it rebuilds the chain from L1 and takes no transactions; send them to the sequencer"
        )),
        refusal_lifted: Some(accepting),
        ..Default::default()
    };
    let (bound, handle) =
        mosaic_rpc::start_with(node.clone(), rpc, extra).await.with_context(|| format!("binding {addr}"))?;
    println!(
        "\nMosaic {role} node v{}\n\nDeriving from L1:  {}\nRollup:            {}\nHead block:        {}\nData dir:          {}\n\nListening on {bound}\n",
        env!("CARGO_PKG_VERSION"),
        a.l1_rpc,
        contracts.rollup,
        node.head_number(),
        a.data_dir.display()
    );
    let result = tokio::select! {
        _ = tokio::signal::ctrl_c() => Ok(()),
        exit = services.wait() => Err(anyhow::Error::new(exit)),
    };
    info!("shutting down");
    handle.stop().ok();
    services.shutdown().await;
    result
}
