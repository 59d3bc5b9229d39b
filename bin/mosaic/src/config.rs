//! `mosaic devnet`: its flags (the option groups of [`crate::options`]), the TOML config file they
//! mirror, and start-up.
use crate::{
    options::{
        layer, BatchArgs, ChainArgs, L1Args, ProverArgs, ProverBackend, RollupTermsArgs, RpcArgs, SequencerArgs,
    },
    settlement,
};
use alloy_primitives::{Address, B256, U256};
use anyhow::{bail, Context as _};
use clap::{ArgMatches, Args};
use mosaic_consensus::{
    bft::{Bft, BftConfig},
    RpcRelay, SequencerSet, Sequencing, Solo, DEFAULT_RELAY_TIMEOUT,
};
use mosaic_node::{dev, ChainReader, Node, NodeConfig, Supervisor, TxRelay};
use mosaic_rollup::producer::ProducerConfig;
use serde::{Deserialize, Serialize};
use std::{net::SocketAddr, path::PathBuf, sync::Arc, time::Duration};
use tracing::info;

/// Flags of `mosaic devnet`, in groups. The TOML file given by `--config` has the same keys, each
/// group a table (`[rpc] port = 8545`, `[sequencer] block_time = "1s"`, top-level `data_dir`); a flag
/// given on the command line wins over the file.
#[derive(Args, Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
#[derive(Default)]
pub(crate) struct DevnetArgs {
    /// TOML config file; its tables mirror these flags' groups (e.g. `[rpc] port = 8545`).
    #[arg(long, env = "MOSAIC_CONFIG")]
    #[serde(skip)]
    pub config: Option<PathBuf>,
    /// Data directory (database). Default: the user's data dir, e.g. ~/.local/share/mosaic/devnet.
    #[arg(long)]
    pub data_dir: Option<PathBuf>,
    /// Chain parameters and genesis.
    #[command(flatten)]
    pub chain: ChainArgs,
    /// JSON-RPC server.
    #[command(flatten)]
    pub rpc: RpcArgs,
    /// Block production and admission.
    #[command(flatten)]
    pub sequencer: SequencerArgs,
    /// The L1.
    #[command(flatten)]
    pub l1: L1Args,
    /// Batching.
    #[command(flatten)]
    pub batch: BatchArgs,
    /// Terms of a freshly deployed Rollup.
    #[command(flatten)]
    pub rollup: RollupTermsArgs,
    /// Background prover.
    #[command(flatten)]
    pub prover: ProverArgs,
}

impl DevnetArgs {
    /// The configuration in force: the file (if any) with the flags given on the command line (`matches`)
    /// over it, validated. Nothing is opened or written before this returns.
    pub(crate) fn resolve(&self, matches: &ArgMatches) -> anyhow::Result<Self> {
        let c = match &self.config {
            Some(path) => {
                let text = std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
                let file: Self = toml::from_str(&text).with_context(|| format!("parsing {}", path.display()))?;
                layer(&file, self, matches)?
            }
            None => self.clone(),
        };
        c.validate()?;
        Ok(c)
    }

    /// Checks what types alone do not, so that a bad value fails before anything is opened, started,
    /// deployed or written.
    pub(crate) fn validate(&self) -> anyhow::Result<()> {
        if self.prover.prover == ProverBackend::Cpu && self.l1.no_l1 {
            bail!("--prover cpu proves the batches committed to L1; it cannot run with --no-l1");
        }
        if self.prover.prove_validity && self.l1.no_l1 {
            bail!("--prove-validity proves the batches committed to L1; it cannot run with --no-l1");
        }
        if self.prover.validity_max_range == 0 {
            bail!("--validity-max-range must be at least 1");
        }
        if self.batch.batch_max_blocks == 0 {
            bail!("--batch-max-blocks must be at least 1");
        }
        if self.batch.batch_max_bytes == 0 {
            bail!("--batch-max-bytes must be at least 1");
        }
        if self.batch.batch_max_age.is_zero() {
            bail!("--batch-max-age must be longer than 0 (every L1 poll would post a batch)");
        }
        if self.l1.l1_block_time.is_zero() {
            bail!("--l1-block-time must be longer than 0");
        }
        if self.sequencer.max_tx_size == 0 || self.rpc.max_request_size == 0 {
            bail!("--max-tx-size and --max-request-size must be at least 1 byte");
        }
        let s = &self.sequencer;
        if s.sequencers == 0 {
            bail!("--sequencers must be at least 1");
        }
        if s.sequencers > 1 {
            if s.sequencer_set.is_some() || s.validator_key.is_some() {
                bail!("--sequencers starts a set of its own: it takes no --sequencer-set or --validator-key");
            }
            if s.block_time < Duration::from_millis(250) {
                bail!("--sequencers needs --block-time of at least 250ms (a set's heights take one each)");
            }
        }
        match (&self.sequencer.sequencer_set, &self.sequencer.validator_key) {
            (None, Some(_)) => bail!("--validator-key needs --sequencer-set"),
            (Some(_), None) => bail!("--sequencer-set needs --validator-key (this member's consensus key)"),
            (Some(_), Some(_)) if !self.l1.no_l1 && (self.l1.l1_rpc.is_none() || self.l1.l1_contracts.is_none()) => {
                bail!(
                    "a member of a sequencer set settles on the set's L1 and contracts: give --l1-rpc and \
                     --l1-contracts (deployed by `mosaic deploy-l1 --sequencer-set FILE`), or --no-l1"
                )
            }
            _ => {}
        }
        if s.faults().any() && (s.sequencer_set.is_none() || !self.l1.no_l1) {
            bail!(
                "--fault-byzantine and --fault-abort-proposing are drills for one member of a sequencer set \
                 (--sequencer-set) without an L1 (--no-l1)"
            );
        }
        let in_a_set = self.sequencer.sequencer_set.is_some() || s.sequencers > 1;
        if in_a_set && (self.prover.prover == ProverBackend::Cpu || self.prover.prove_validity) {
            bail!(
                "a sequencer set's members do not prove: run the proving beside the set (`mosaic node --role \
                 verifier --challenge --prove-fraud`, `mosaic prover worker`), not --prover cpu or --prove-validity"
            );
        }
        if in_a_set && !self.batch.co_signer.is_empty() {
            bail!("a sequencer set's batches carry its members' attestations: --co-signer is for a lone sequencer");
        }
        if self.prover.prover_segment_memory_gib == 0 {
            bail!("--prover-segment-memory-gib must be at least 1");
        }
        if u32::from(self.rollup.attest) > self.rollup.producers {
            bail!(
                "--attest {} needs at least as many --producers (have {})",
                self.rollup.attest,
                self.rollup.producers
            );
        }
        l1_signer(self.l1.l1_private_key.as_deref())?;
        self.rpc_addr()?;
        Ok(())
    }

    /// The JSON-RPC listen address.
    pub(crate) fn rpc_addr(&self) -> anyhow::Result<SocketAddr> {
        format!("{}:{}", self.rpc.host, self.rpc.port).parse().context("invalid --host/--port")
    }
}

/// How the devnet orders its blocks.
pub(crate) struct BlockOrdering {
    /// Alone, or as a member of `--sequencer-set`.
    pub sequencing: Box<dyn Sequencing>,
    /// Whom every block credits (a set's blocks all credit the set's).
    pub fee_recipient: Address,
    /// The target time between blocks.
    pub block_time: Duration,
    /// Where a set's member copies transactions before acknowledging them.
    pub relay: Option<Arc<dyn TxRelay>>,
    /// This process's place in a sequencer set (`None`: a lone sequencer).
    pub member: Option<SetMember>,
}

/// A set member's part in settlement: it posts the batches of its turn with the set's attestations and
/// attests the others' batches of the blocks it decided.
pub(crate) struct SetMember {
    /// Its key: consensus votes, L1 attestations and (unless --l1-private-key) its L1 transactions.
    pub key: alloy_signer_local::PrivateKeySigner,
    /// Its place in the poster rotation.
    pub position: u64,
    /// The set's size.
    pub members: u64,
    /// The other members' JSON-RPC URLs, asked for their attestations.
    pub others: Vec<String>,
    /// Where the Rollup's schedule of the set goes, for this member's consensus.
    pub schedule: tokio::sync::watch::Sender<mosaic_consensus::SetSchedule>,
    /// The set file.
    pub set: SequencerSet,
}

/// The devnet's [`BlockOrdering`]: `--sequencer-set` (read and checked before anything opens) or alone.
pub(crate) fn ordering(c: &DevnetArgs, data_dir: &std::path::Path) -> anyhow::Result<BlockOrdering> {
    let s = &c.sequencer;
    let (Some(path), Some(key)) = (&s.sequencer_set, &s.validator_key) else {
        return Ok(BlockOrdering {
            sequencing: Box::new(Solo),
            fee_recipient: s.fee_recipient,
            block_time: s.block_time,
            relay: None,
            member: None,
        });
    };
    let set = SequencerSet::load(path)?;
    let secret: B256 = key.trim().parse().context("--validator-key: expected 32 bytes of hex")?;
    let key = alloy_signer_local::PrivateKeySigner::from_bytes(&secret).context("--validator-key")?;
    let me = key.address();
    let (fee_recipient, block_time) = (set.fee_recipient, set.block_time);
    set.member(&me).context("--validator-key is not a member's")?;
    // The file's rotation, used only while the Rollup names no set (a candidate has no turn there).
    let position = set.initial().position(|m| m.address == me).unwrap_or(0);
    let others = set.peer_rpcs(&me);
    if !c.l1.no_l1 && others.len() + 1 < set.members.len() {
        bail!("{}: every member needs an rpc URL, where the poster of a batch asks for attestations", path.display());
    }
    // With an L1, the set of each height follows the Rollup's schedule, which the L1 watch fills in
    // (until its first read no height starts); without one, the file's genesis members rule forever.
    let (schedule, rx) = tokio::sync::watch::channel(mosaic_consensus::SetSchedule::unknown());
    // An acknowledged transaction is copied to as many members of the set in force as may fail.
    let relay = RpcRelay::for_member(&set, &me, (!c.l1.no_l1).then(|| rx.clone()), DEFAULT_RELAY_TIMEOUT)?;
    let member = SetMember {
        key,
        position: position as u64,
        members: set.initial().count() as u64,
        others,
        schedule,
        set: set.clone(),
    };
    let config = BftConfig {
        set,
        secret: secret.0,
        wal_path: data_dir.join("bft").join("consensus.wal"),
        faults: s.faults(),
        schedule: (!c.l1.no_l1).then_some(rx),
    };
    Ok(BlockOrdering {
        sequencing: Box::new(Bft { config }),
        fee_recipient,
        block_time,
        relay: Some(Arc::new(relay)),
        member: Some(member),
    })
}

/// Opens (or creates) the devnet chain that `c` describes, in its data dir, funding the dev accounts;
/// its blocks credit `fee_recipient`.
pub(crate) fn open_devnet_chain(c: &DevnetArgs, fee_recipient: Address) -> anyhow::Result<(Node, PathBuf)> {
    let data_dir = c.data_dir.clone().unwrap_or_else(default_data_dir);
    let s = &c.sequencer;
    let node = Node::open(NodeConfig {
        chain: c.chain.config(),
        data_dir: data_dir.clone(),
        block_time: s.block_time,
        fee_recipient,
        pool: mosaic_mempool::PoolConfig { max_txs: s.max_pool_txs, ..Default::default() },
        genesis_alloc: c.chain.genesis_alloc(),
        max_tx_size: s.max_tx_size,
        allow_unprotected_txs: s.allow_unprotected_txs,
        predeploys: mosaic_rollup::predeploys(c.chain.chain_id),
        genesis_accounts: c.chain.genesis_accounts()?,
    })
    .with_context(|| format!("opening chain in {}", data_dir.display()))?;
    Ok((node, data_dir))
}

/// `~/.local/share/mosaic/devnet` (the platform's data dir).
pub(crate) fn default_data_dir() -> PathBuf {
    dirs::data_dir().unwrap_or_else(std::env::temp_dir).join("mosaic").join("devnet")
}

/// The L1 signer from a hex private key, or the devnet proposer.
pub(crate) fn l1_signer(key: Option<&str>) -> anyhow::Result<alloy_signer_local::PrivateKeySigner> {
    match key {
        Some(k) => k.trim().parse().context("invalid L1 private key"),
        None => Ok(settlement::dev_proposer()),
    }
}

/// The devnet's L1: `--l1-rpc`, or the embedded one started under `services` in `<data-dir>/l1`. Returns
/// its URL, the confirmations to wait for (default 1 on another L1, 0 on the embedded one, which does
/// not reorg) and the embedded L1's server.
pub(crate) async fn devnet_l1(
    c: &DevnetArgs,
    data_dir: &std::path::Path,
    services: &mut Supervisor,
) -> anyhow::Result<(String, u64, Option<jsonrpsee::server::ServerHandle>)> {
    Ok(match &c.l1.l1_rpc {
        Some(url) => (url.clone(), c.l1.l1_confirmations.unwrap_or(1), None),
        None => {
            let (url, handle) = settlement::start_embedded_l1(
                services,
                &data_dir.join("l1"),
                &c.rpc.host,
                c.l1.l1_port,
                c.l1.l1_block_time,
                c.chain.accounts,
            )
            .await?;
            (url, c.l1.l1_confirmations.unwrap_or(0), Some(handle))
        }
    })
}

/// Starts the devnet and runs until Ctrl-C.
pub(crate) async fn run_devnet(args: DevnetArgs, matches: &ArgMatches) -> anyhow::Result<()> {
    run_sequencer(args.resolve(matches)?, Flavor::Devnet).await
}

/// What a sequencing process offers besides the chain.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Flavor {
    /// `mosaic devnet`: the dev accounts sign `eth_sendTransaction` and are printed with their keys.
    Devnet,
    /// `mosaic node --role sequencer`: a set's member as an operator runs it — no dev accounts.
    Node,
}

/// Runs the sequencer (alone, or one member of a set, or a local set) that the validated `c` describes
/// until Ctrl-C or until one of its services stops.
pub(crate) async fn run_sequencer(c: DevnetArgs, flavor: Flavor) -> anyhow::Result<()> {
    // Refused before anything is opened or deployed.
    #[cfg(not(feature = "prover"))]
    if c.prover.prove_validity && c.prover.prover_workers > 0 {
        use anyhow::Context;
        crate::prove::missing().context(
            "--prove-validity with local prover workers (--prover-workers 0 leaves the proving to `mosaic prover worker`s)",
        )?;
    }
    let signers = match flavor {
        Flavor::Devnet => dev::dev_signers(c.chain.accounts),
        Flavor::Node => Vec::new(),
    };
    let producer_keys = c.rollup.producer_keys()?;
    crate::cluster::exit_with_parent();
    let data_dir = c.data_dir.clone().unwrap_or_else(default_data_dir);
    if c.sequencer.sequencers > 1 {
        return crate::cluster::run_local_set(&c, &data_dir).await;
    }
    let BlockOrdering { sequencing, fee_recipient, block_time, relay, member } = ordering(&c, &data_dir)?;
    let (node, data_dir) = open_devnet_chain(&c, fee_recipient)?;
    if let Some(relay) = relay {
        node.set_tx_relay(relay);
    }

    // Every long-running service, so that one that stops takes the node down with it.
    let mut services = Supervisor::new();
    // Settlement: the L1 (embedded unless --l1-rpc), its contracts, deposits in and batches out.
    let mut l1_handle = None;
    let mut settlement_info = None;
    let mut extra = jsonrpsee::Methods::new();
    if !c.l1.no_l1 {
        let (l1_url, confirmations, handle) = devnet_l1(&c, &data_dir, &mut services).await?;
        l1_handle = handle;
        // A member posts from its own account: its consensus key's, unless --l1-private-key names another.
        let l1_key = match (&member, c.l1.l1_private_key.as_deref()) {
            (Some(m), None) => m.key.clone(),
            (_, key) => l1_signer(key)?,
        };
        let l1 = mosaic_rollup::L1Client::new(&l1_url, l1_key, confirmations)?;
        let genesis = node.header(0)?.context("no genesis block")?;
        let contracts_file = c.l1.l1_contracts.clone().unwrap_or_else(|| data_dir.join("l1-contracts.json"));
        if member.is_some() && !contracts_file.exists() {
            bail!(
                "{} does not exist: a set's contracts are deployed once, for all members, by `mosaic deploy-l1 \
                 --sequencer-set FILE`",
                contracts_file.display()
            );
        }
        let contracts = settlement::contracts_for(
            &l1,
            &contracts_file,
            &node.config().chain,
            (genesis.state_root, genesis.hash_slow()),
            &c.rollup.deploy_settings(None)?,
        )
        .await?;
        let producer = match &member {
            // A member signs for itself and asks the others; batch i is member i mod N's to post.
            Some(m) => {
                settlement::spawn_membership_watch(&mut services, &l1, &contracts, m.schedule.clone(), m.set.clone());
                let methods = settlement::set_member_attester(&node, &l1, &contracts, m.key.clone());
                extra.merge(methods).context("registering mosaic_attestBatch")?;
                let step = c.batch.batch_max_age * 2 + settlement::POSTER_STEP_MARGIN;
                ProducerConfig {
                    attesters: vec![m.key.clone()],
                    co_signers: m.others.clone(),
                    turn: Some(mosaic_rollup::producer::PosterTurn {
                        member: m.key.address(),
                        position: m.position,
                        members: m.members,
                        step,
                    }),
                    ..c.batch.producer()
                }
            }
            // The last keys are the co-signers' (one each): this process signs with the others.
            None => {
                let local = producer_keys.len().saturating_sub(c.batch.co_signer.len());
                ProducerConfig { attesters: producer_keys[..local].to_vec(), ..c.batch.producer() }
            }
        };
        settlement::spawn_sequencer_services(&mut services, &node, &l1, &contracts, producer)?;
        let prover_on = c.prover.prover == ProverBackend::Cpu;
        if prover_on {
            crate::prove::spawn_background_prover(
                &mut services,
                &node,
                &c.prover.prover_guest,
                c.prover.prover_recursive,
                c.prover.prover_segment_memory_gib,
            )
            .await?;
        }
        let (watch, settled) = settlement::spawn_settlement_watch(&mut services, &node, &l1, &contracts);
        let mut sections = vec![watch];
        if c.prover.prove_validity {
            let keys = data_dir.join("snark");
            let aggregate_keys = c.prover.aggregate_keys.clone().unwrap_or_else(|| keys.join("aggregate"));
            let settings = crate::fleet::QueueSettings {
                queue: c.prover.prover_queue.clone(),
                artifacts: c
                    .prover
                    .prover_artifacts
                    .clone()
                    .unwrap_or_else(|| data_dir.join("prover-artifacts").display().to_string()),
                workers: c.prover.prover_workers,
                segment_jobs: c.prover.prover_segment_jobs,
                provers: crate::fleet::ProverSettings {
                    elfs: crate::prove::GuestElfs {
                        guest: c.prover.prover_guest.clone(),
                        aggregate_guest: c.prover.aggregate_guest.clone(),
                    },
                    batch_keys: Some(c.prover.snark_keys.clone().unwrap_or_else(|| keys.join("batch"))),
                    aggregate_keys: aggregate_keys.join("snark.vk.json").exists().then_some(aggregate_keys),
                    segment_memory_gib: c.prover.prover_segment_memory_gib,
                },
            };
            let out = c.prover.validity_proofs.clone().unwrap_or_else(|| data_dir.join("validity-proofs"));
            let zk_from: mosaic_proving::ZkFrom = std::sync::Arc::new(move || settled.lock().zk_from_batch);
            sections.push(crate::fleet::spawn_validity_prover(
                &mut services,
                &node,
                &settings,
                &out,
                c.prover.validity_max_range,
                zk_from,
            )?);
        }
        // A member has no proofs to post (validate() refuses proving in a set).
        if !c.prover.no_finalizer && member.is_none() {
            let proofs = c.prover.validity_proofs.clone().unwrap_or_else(|| data_dir.join("validity-proofs"));
            let key = match c.prover.finalizer_key.as_deref() {
                Some(k) => l1_signer(Some(k))?,
                None => settlement::dev_finalizer(),
            };
            sections.push(settlement::spawn_finalizer(
                &mut services,
                &node,
                (&l1_url, confirmations),
                &contracts,
                &proofs,
                key,
            )?);
        }
        let methods = settlement::rpc_methods(
            &node,
            &contracts,
            mosaic_rollup::NodeRole::Sequencer,
            &l1_url,
            prover_on,
            None,
            sections,
        );
        extra.merge(methods).context("registering the rollup's methods")?;
        settlement_info = Some((l1_url, contracts));
    }

    let addr = c.rpc_addr()?;
    let rpc = mosaic_rpc::RpcConfig {
        addr,
        max_request_body_size: c.rpc.max_request_size,
        dev_signers: signers.clone(),
        explorer: !c.rpc.no_explorer,
        ..Default::default()
    };
    let (bound, handle) =
        mosaic_rpc::start_with(node.clone(), rpc, extra).await.with_context(|| format!("binding {addr}"))?;
    print_banner(&c, &node, bound, &data_dir, block_time, (flavor, &signers), settlement_info.as_ref());
    services.spawn("sequencer", sequencing.run(node.clone()));
    let result = tokio::select! {
        _ = tokio::signal::ctrl_c() => Ok(()),
        exit = services.wait() => Err(anyhow::Error::new(exit)),
    };
    info!("shutting down");
    handle.stop().ok();
    if let Some(h) = l1_handle {
        h.stop().ok();
    }
    services.shutdown().await;
    result
}

fn print_banner(
    c: &DevnetArgs,
    node: &Node,
    addr: SocketAddr,
    data_dir: &std::path::Path,
    block_time: Duration,
    (flavor, signers): (Flavor, &[alloy_signer_local::PrivateKeySigner]),
    settlement: Option<&(String, mosaic_rollup::L1Contracts)>,
) {
    let eth = U256::from(10u64).pow(U256::from(18u64));
    let mut out = String::new();
    if flavor == Flavor::Node {
        out.push_str(&format!("\nMosaic sequencer node v{}\n\n", env!("CARGO_PKG_VERSION")));
    } else {
        out.push_str(&format!("\nMosaic devnet v{}\n\n", env!("CARGO_PKG_VERSION")));
        out.push_str("Available Accounts\n==================\n");
        for (i, s) in signers.iter().enumerate() {
            out.push_str(&format!("({i}) {} ({} ETH)\n", s.address(), dev::dev_balance() / eth));
        }
        out.push_str("\nPrivate Keys\n==================\n");
        for (i, s) in signers.iter().enumerate() {
            out.push_str(&format!("({i}) {}\n", s.to_bytes()));
        }
        out.push_str(&format!(
            "\nWallet\n==================\nMnemonic:          {}\nDerivation path:   m/44'/60'/0'/0/\n\n",
            dev::DEV_MNEMONIC
        ));
    }
    out.push_str(&format!("Chain ID:          {}\n", c.chain.chain_id));
    out.push_str(&format!(
        "Block time:        {}\n",
        if block_time.is_zero() { "0 (one block per transaction)".to_string() } else { format!("{block_time:?}") }
    ));
    out.push_str(&format!("Block gas limit:   {}\n", c.chain.block_gas_limit));
    out.push_str(&format!("Cycle budget:      {} estimated zkVM cycles per block\n", c.chain.block_cycle_budget));
    out.push_str(&format!("Head block:        {}\n", node.head_number()));
    out.push_str(&format!("Data dir:          {}\n", data_dir.display()));
    out.push_str(&format!("Metrics:           http://{addr}/metrics\n"));
    if !c.rpc.no_explorer {
        out.push_str(&format!("Explorer:          http://{addr}/explorer\n"));
    }
    out.push('\n');
    match settlement {
        Some((url, l1)) => {
            out.push_str("L1 Settlement\n==================\n");
            out.push_str(&format!("L1 RPC URL:        {url}\n"));
            out.push_str(&format!("L1 chain ID:       {}\n", l1.l1_chain_id));
            out.push_str(&format!("Rollup:            {}\n", l1.rollup));
            out.push_str(&format!("Bridge:            {}\n", l1.bridge));
            out.push_str(&format!("Attestations:      {}\n", l1.verifier));
            match l1.proof_verifier {
                Some(v) => out.push_str(&format!("Proof verifier:    {v} (SNARK: challenges and validity proofs)\n")),
                None => out.push_str("Proof verifier:    none (batches cannot be challenged)\n"),
            }
            out.push_str(&format!("L2 bridge:         {}\n\n", mosaic_primitives::L2_BRIDGE));
        }
        None => out.push_str("L1 Settlement:     off (--no-l1)\n\n"),
    }
    out.push_str(&format!("RPC URL:           http://{addr}\nWebSocket:         ws://{addr}\n\nListening on {addr}\n"));
    println!("{out}");
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::options::ByzantineFault;
    use clap::{CommandFactory, FromArgMatches, Parser};

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        devnet: DevnetArgs,
    }

    fn parse(args: &[&str]) -> Result<(DevnetArgs, ArgMatches), clap::Error> {
        let matches = Cli::command().try_get_matches_from(std::iter::once("devnet").chain(args.iter().copied()))?;
        Ok((Cli::from_arg_matches(&matches)?.devnet, matches))
    }

    fn resolve(args: &[&str]) -> anyhow::Result<DevnetArgs> {
        let (a, m) = parse(args)?;
        a.resolve(&m)
    }

    #[test]
    fn flags_override_file_and_defaults_fill_the_rest() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("m.toml");
        let p = path.to_str().unwrap();
        std::fs::write(&path, "data_dir = \"/tmp/x\"\n[rpc]\nport = 9000\n[chain]\nchain_id = 7\n[sequencer]\nblock_time = \"250ms\"\n[batch]\nbatch_max_blocks = 9\n").unwrap();
        let c = resolve(&["--config", p, "--port", "9100", "--batch-max-age", "2s"]).unwrap();
        assert_eq!((c.rpc.port, c.chain.chain_id, c.sequencer.block_time), (9100, 7, Duration::from_millis(250)));
        assert_eq!((c.batch.batch_max_blocks, c.batch.batch_max_age), (9, Duration::from_secs(2)));
        assert_eq!(c.data_dir, Some(PathBuf::from("/tmp/x")));
        assert_eq!(c.rollup, RollupTermsArgs::default(), "untouched groups keep their defaults");
        // A flag equal to its default still beats the file.
        let c = resolve(&["--config", p, "--port", "8545"]).unwrap();
        assert_eq!(c.rpc.port, 8545);
        // Unknown keys and misplaced keys are errors, not silently ignored.
        std::fs::write(&path, "bogus = 1\n").unwrap();
        assert!(resolve(&["--config", p]).is_err());
        std::fs::write(&path, "port = 1\n").unwrap();
        assert!(resolve(&["--config", p]).is_err());
    }

    #[test]
    fn defaults_are_the_crates() {
        let c = resolve(&[]).unwrap();
        assert_eq!(c, DevnetArgs::default());
        assert_eq!(c.batch.producer().max_age, mosaic_rollup::producer::ProducerConfig::default().max_age);
        assert_eq!(c.rollup.bond, U256::from(mosaic_rollup::DEFAULT_BOND_WEI));
    }

    /// Every bad value is refused by parsing or `resolve`, which run before anything is opened or deployed.
    #[test]
    fn bad_values_fail_before_side_effects() {
        for bad in [["--batch-max-age", "soon"], ["--block-time", "-1"], ["--prover", "gpu"], ["--l1-block-time", "x"]]
        {
            assert!(parse(&bad).is_err(), "{bad:?} parsed");
        }
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("m.toml");
        let p = path.to_str().unwrap();
        for (text, why) in [
            ("[batch]\nbatch_max_age = \"soon\"\n", "invalid duration"),
            ("[batch]\nbatch_max_age = \"0s\"\n", "--batch-max-age"),
            ("[batch]\nbatch_max_blocks = 0\n", "--batch-max-blocks"),
            ("[rollup]\nproducers = 1\nattest = 2\n", "--attest 2 needs at least as many --producers"),
            ("[prover]\nprover = \"cpu\"\n[l1]\nno_l1 = true\n", "--no-l1"),
            ("[l1]\nl1_private_key = \"0x12\"\n", "invalid L1 private key"),
            ("[rpc]\nhost = \"not a host\"\n", "--host"),
            ("[sequencer]\nsequencers = 4\nblock_time = \"200ms\"\n", "at least 250ms"),
            ("[sequencer]\nsequencers = 4\n[prover]\nprove_validity = true\n", "do not prove"),
            ("[sequencer]\nsequencers = 4\n[batch]\nco_signer = [\"http://x\"]\n", "--co-signer"),
            (
                "[sequencer]\nsequencer_set = \"s.toml\"\nvalidator_key = \"0x01\"\n[l1]\nl1_rpc = \"http://x\"\n",
                "--l1-contracts",
            ),
            // Drills are for one member of a set, off any L1.
            ("[sequencer]\nfault_byzantine = [\"equivocate\"]\n[l1]\nno_l1 = true\n", "drills"),
            ("[sequencer]\nsequencers = 4\nfault_abort_proposing = 5\n", "drills"),
            (
                "[sequencer]\nsequencer_set = \"s.toml\"\nvalidator_key = \"0x01\"\nfault_abort_proposing = 5\n\
                 [l1]\nl1_rpc = \"http://x\"\nl1_contracts = \"c.json\"\n",
                "drills",
            ),
        ] {
            std::fs::write(&path, text).unwrap();
            let err = resolve(&["--config", p]).expect_err(text);
            assert!(format!("{err:#}").contains(why), "{text}: {err:#}");
        }
        let c = resolve(&[
            "--sequencer-set",
            "s.toml",
            "--validator-key",
            "0x01",
            "--no-l1",
            "--fault-byzantine",
            "invalid-proposals,equivocate",
            "--fault-abort-proposing",
            "7",
        ])
        .unwrap();
        assert_eq!(c.sequencer.fault_byzantine, [ByzantineFault::InvalidProposals, ByzantineFault::Equivocate]);
        assert_eq!(c.sequencer.fault_abort_proposing, Some(7));
        assert!(parse(&["--fault-byzantine", "lies"]).is_err(), "an unknown fault");
        let data_dir = dir.path().join("never-created");
        assert!(resolve(&["--data-dir", data_dir.to_str().unwrap(), "--batch-max-blocks", "0"]).is_err());
        assert!(!data_dir.exists());
    }
}
