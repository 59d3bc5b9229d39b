//! Settlement wiring of the binary: the embedded L1, contract deployment, and the rollup services of
//! each role (sequencer: deposit watcher + batch producer; full / verifier: derivation).
use alloy_primitives::Address;
use anyhow::Context as _;
use mosaic_node::{dev, run_sequencer, Node, NodeConfig, Supervisor};
use mosaic_primitives::ChainConfig;
use mosaic_rollup::{
    derive::{DeriveStatus, Deriver},
    producer::{run_producer, ProducerConfig},
    rpc::RoleInfo,
    watcher::run_deposit_watcher,
    DeployParams, L1Client, L1Contracts, Mode, NodeRole, RollupMetrics,
};
use std::{net::SocketAddr, path::Path, sync::Arc, time::Duration};
use tracing::info;

/// Chain id of the embedded development L1.
pub(crate) const EMBEDDED_L1_CHAIN_ID: u64 = 1337;

/// The L1 account that deploys the contracts and posts batches on a devnet: dev account 10 of the test
/// mnemonic, funded on the embedded L1 (kept apart from accounts 0–9 so users' L1 transactions never
/// race the producer's nonces).
pub(crate) fn dev_proposer() -> alloy_signer_local::PrivateKeySigner {
    dev::dev_signers(11).pop().expect("eleven dev signers")
}

/// The development finalizer key: account 11 of the test mnemonic (its own account, so its proofs
/// never race the proposer's commits for a nonce).
pub(crate) fn dev_finalizer() -> alloy_signer_local::PrivateKeySigner {
    dev::dev_signers(12).pop().expect("twelve dev signers")
}

/// Starts the in-process L1: a Mosaic chain (revm, real contract bytecode) with its own data directory,
/// block clock and JSON-RPC server, its sequencer under `services`. Returns its URL.
pub(crate) async fn start_embedded_l1(
    services: &mut Supervisor,
    data_dir: &Path,
    host: &str,
    port: u16,
    block_time: Duration,
    accounts: u32,
) -> anyhow::Result<(String, jsonrpsee::server::ServerHandle)> {
    let mut funded: Vec<_> = dev::dev_signers(accounts).iter().map(|s| (s.address(), dev::dev_balance())).collect();
    funded.push((dev_proposer().address(), dev::dev_balance()));
    funded.push((dev_finalizer().address(), dev::dev_balance()));
    let node = Node::open(NodeConfig {
        chain: ChainConfig { chain_id: EMBEDDED_L1_CHAIN_ID, ..ChainConfig::default() },
        data_dir: data_dir.to_path_buf(),
        block_time,
        fee_recipient: Address::ZERO,
        pool: Default::default(),
        genesis_alloc: funded,
        // Batches travel as calldata: room for the producer's largest.
        max_tx_size: 1 << 20,
        allow_unprotected_txs: false,
        predeploys: Vec::new(),
        genesis_accounts: Vec::new(),
    })
    .with_context(|| format!("opening embedded L1 in {}", data_dir.display()))?;
    let addr: SocketAddr = format!("{host}:{port}").parse().context("invalid L1 host/port")?;
    let rpc = mosaic_rpc::RpcConfig { addr, dev_signers: dev::dev_signers(accounts), ..Default::default() };
    let (bound, handle) =
        mosaic_rpc::start(node.clone(), rpc).await.with_context(|| format!("binding L1 RPC {addr}"))?;
    services.spawn("embedded L1 sequencer", run_sequencer(node));
    Ok((format!("http://{bound}"), handle))
}

/// Deployment settings of a devnet (also `mosaic deploy-l1`).
#[derive(Debug, Clone)]
pub(crate) struct DeploySettings {
    /// The hybrid game's windows and bonds.
    pub terms: mosaic_rollup::HybridTerms,
    /// The SNARK verifier to deploy with the Rollup.
    pub proof_verifier: Option<mosaic_rollup::ProofVerifier>,
    /// Allow a development-setup proof verifier on a non-development L1.
    pub insecure_dev_srs: bool,
    /// Allow development terms (short windows, zero bonds) on a non-development L1.
    pub allow_unsafe_terms: bool,
    /// The aggregate verifier to set, and the batch program it aggregates.
    pub aggregate_verifier: Option<(mosaic_rollup::ProofVerifier, alloy_primitives::B256)>,
    /// Producers to stake for, and the attestation threshold.
    pub producers: (Vec<Address>, u8),
    /// Forced-inclusion deadline, seconds.
    pub inclusion_deadline: u64,
    /// Settlement mode.
    pub mode: Mode,
    /// A sequencer set: named on the Rollup, its members, not the deployer, propose, and every hybrid
    /// batch needs a quorum of their attestations; this overrides `producers`.
    pub sequencer_set: Option<SetDeployment>,
}

/// What the L1 is told of a sequencer set at deployment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SetDeployment {
    /// Its genesis members: named on the Rollup (`initMembers`) and the attestation verifier's signers.
    pub genesis: Vec<Address>,
    /// Every member the file lists, candidates included: the deployer stakes for each, so that a
    /// candidate the owner schedules in can attest at once.
    pub candidates: Vec<Address>,
    /// The genesis members' quorum (the attestation verifier's threshold).
    pub quorum: u8,
}

/// Loads the contracts file at `path` and checks it against the L1, or deploys and writes it.
pub(crate) async fn contracts_for(
    l1: &L1Client,
    path: &Path,
    chain: &mosaic_primitives::ChainConfig,
    genesis: (alloy_primitives::B256, alloy_primitives::B256),
    s: &DeploySettings,
) -> anyhow::Result<L1Contracts> {
    let config_hash = mosaic_rollup::config_hash(chain);
    if path.exists() {
        let c = L1Contracts::load(path)?;
        mosaic_rollup::check_deployment(l1, &c, genesis, config_hash).await?;
        info!(rollup = %c.rollup, "using deployed L1 contracts from {}", path.display());
        return Ok(c);
    }
    let c = mosaic_rollup::deploy(
        l1,
        &DeployParams {
            mode: s.mode,
            l2_chain_id: chain.chain_id,
            l2_config_hash: config_hash,
            genesis,
            terms: s.terms,
            inclusion_deadline: s.inclusion_deadline,
            // A set's members commit as members: a member scheduled out loses the right with it.
            proposers: match &s.sequencer_set {
                Some(_) => Vec::new(),
                None => vec![l1.address()],
            },
            attesters: match &s.sequencer_set {
                Some(set) => (set.genesis.clone(), u64::from(set.quorum)),
                None => (vec![l1.address()], 1),
            },
            proof_verifier: s.proof_verifier.clone(),
            insecure_dev_srs: s.insecure_dev_srs,
            allow_unsafe_terms: s.allow_unsafe_terms,
            aggregate_verifier: s.aggregate_verifier.clone(),
            producers: match &s.sequencer_set {
                Some(set) => (set.candidates.clone(), 0),
                None => s.producers.clone(),
            },
            members: s.sequencer_set.as_ref().map(|set| set.genesis.clone()).unwrap_or_default(),
        },
    )
    .await
    .context("deploying the L1 contracts")?;
    c.save(path)?;
    info!(rollup = %c.rollup, bridge = %c.bridge, "L1 contracts deployed, addresses in {}", path.display());
    Ok(c)
}

/// The sequencer's rollup services under `services`: deposits in, batches out.
pub(crate) fn spawn_sequencer_services(
    services: &mut Supervisor,
    node: &Node,
    l1: &L1Client,
    contracts: &L1Contracts,
    producer: ProducerConfig,
) -> anyhow::Result<()> {
    let metrics = RollupMetrics::register(node.metrics().registry())?;
    services
        .spawn("deposit watcher", run_deposit_watcher(node.clone(), l1.clone(), contracts.clone(), metrics.clone()));
    services.spawn("batch producer", run_producer(node.clone(), l1.clone(), contracts.clone(), producer, metrics));
    Ok(())
}

/// What a set's poster rotation adds to twice the batch age before the next member steps in: time to
/// gather the attestations and for the L1 to include and show the commit.
pub(crate) const POSTER_STEP_MARGIN: Duration = Duration::from_secs(4);

/// `mosaic_attestBatch` of a sequencer set's member: it signs a batch, with `key`, only if the batch is
/// blocks its own chain holds with the set's commit certificates.
pub(crate) fn set_member_attester(
    node: &Node,
    l1: &L1Client,
    contracts: &L1Contracts,
    key: alloy_signer_local::PrivateKeySigner,
) -> jsonrpsee::Methods {
    let check = mosaic_attester::Check::Decided { certificates: mosaic_consensus::bft::CERTIFICATES };
    let attester = mosaic_attester::Attester::with_check(check, node.clone(), l1.clone(), contracts, key);
    info!(member = %attester.address(), "co-signing: batches of blocks this member decided are attested");
    attester.rpc_methods()
}

/// Keeps `schedule` at what the Rollup says of the sequencer set (its `MembershipScheduled` changes, at
/// confirmed depth; `set`'s genesis members while the Rollup names none), under `services`: a member's
/// consensus picks each height's set from it.
pub(crate) fn spawn_membership_watch(
    services: &mut Supervisor,
    l1: &L1Client,
    contracts: &L1Contracts,
    schedule: tokio::sync::watch::Sender<mosaic_consensus::SetSchedule>,
    set: mosaic_consensus::SequencerSet,
) {
    use mosaic_consensus::{MemberChange, SequencerSet, SetSchedule};
    use mosaic_rollup::membership::MembershipScanner;
    async fn watch(
        mut scanner: MembershipScanner,
        l1: L1Client,
        schedule: tokio::sync::watch::Sender<SetSchedule>,
        set: SequencerSet,
    ) -> Result<(), std::convert::Infallible> {
        let mut backoff = mosaic_rollup::l1::Backoff::default();
        loop {
            match scanner.poll(&l1).await {
                Ok(m) => {
                    backoff.reset();
                    let changes = m
                        .changes
                        .iter()
                        .map(|c| MemberChange { member: c.member, active: c.active, effective_at: c.effective_at })
                        .collect();
                    let from_l1 = SetSchedule::from_l1(changes, m.l1_time, m.delay);
                    // A Rollup that names no set (deployed without one): the file's genesis members rule.
                    schedule.send_replace(if from_l1.is_empty() { SetSchedule::fixed(&set) } else { from_l1 });
                }
                Err(e) => backoff.fail("set membership watch", e.to_string()).await,
            }
            tokio::time::sleep(l1.poll * 2).await;
        }
    }
    let scanner = MembershipScanner::new(l1, contracts);
    services.spawn("set membership watch", watch(scanner, l1.clone(), schedule, set));
}

/// Wei a development L1 gives each member of a sequencer set: bonds of its batches and gas.
const SET_MEMBER_FUNDS_WEI: u128 = 100_000_000_000_000_000_000;

/// A sequencer set as the L1 deployment takes it.
fn set_signers(set: &mosaic_consensus::SequencerSet) -> anyhow::Result<SetDeployment> {
    if set.members.len() > 255 {
        anyhow::bail!("a set of over 255 members and candidates cannot attest on L1");
    }
    Ok(SetDeployment {
        genesis: set.initial().map(|m| m.address).collect(),
        candidates: set.members.iter().map(|m| m.address).collect(),
        quorum: u8::try_from(set.quorum()).context("a set of over 255 members cannot attest on L1")?,
    })
}

/// The contracts file at `path` checked against the L1, or the contracts deployed from `l1`'s account
/// for the L2 `chain` under `rollup`'s terms and written there (`mosaic deploy-l1`, a local set's
/// parent). With a sequencer `set`, its members propose and attest, and on a development L1 each
/// member's account is topped up for bonds and gas (elsewhere a warning names those short).
pub(crate) async fn deploy_for(
    l1: &L1Client,
    path: &Path,
    chain: &crate::options::ChainArgs,
    rollup: &crate::options::RollupTermsArgs,
    set: Option<&mosaic_consensus::SequencerSet>,
) -> anyhow::Result<L1Contracts> {
    let config = chain.config();
    let genesis = mosaic_rollup::l2_genesis(&config, &chain.genesis_alloc(), &chain.genesis_accounts()?)?;
    let set = set.map(set_signers).transpose()?;
    let contracts = contracts_for(l1, path, &config, genesis, &rollup.deploy_settings(set.clone())?).await?;
    if let Some(set) = &set {
        let funds = alloy_primitives::U256::from(SET_MEMBER_FUNDS_WEI);
        for a in l1.top_up(&set.candidates, funds).await.context("funding the set's members on L1")? {
            tracing::warn!(account = %a, "this L1 account posts batches and locks bonds: fund it");
        }
    }
    Ok(contracts)
}

/// Starts the finalizer under `services`: it posts the SNARKs that appear in `proofs` to L1 from `key`'s
/// account; returns its `mosaic_rollupStatus` section.
pub(crate) fn spawn_finalizer(
    services: &mut Supervisor,
    node: &Node,
    (l1_url, confirmations): (&str, u64),
    contracts: &L1Contracts,
    proofs: &Path,
    key: alloy_signer_local::PrivateKeySigner,
) -> anyhow::Result<Arc<dyn mosaic_rollup::rpc::StatusSection>> {
    let l1 = L1Client::new(l1_url, key, confirmations)?;
    let metrics = mosaic_finalizer::FinalizerMetrics::register(node.metrics().registry())?;
    let source = Arc::new(mosaic_snark::ProofDirectory::new(proofs));
    let finalizer = mosaic_finalizer::Finalizer::new(l1, contracts, source, metrics, Default::default());
    let section = finalizer.status_section();
    services.spawn("finalizer", finalizer.run());
    Ok(section)
}

/// Starts the watch of the Rollup's mode (hybrid, a scheduled switch, zk) and finality under `services`,
/// which `node`'s `safe` and `finalized` tags follow; returns its `mosaic_rollupStatus` section and what
/// it last read.
pub(crate) fn spawn_settlement_watch(
    services: &mut Supervisor,
    node: &Node,
    l1: &L1Client,
    contracts: &L1Contracts,
) -> (Arc<dyn mosaic_rollup::rpc::StatusSection>, Arc<parking_lot::Mutex<mosaic_rollup::mode::ModeStatus>>) {
    let watch = mosaic_rollup::mode::SettlementWatch::new(l1, contracts).updating(node);
    let section = watch.section();
    let shared = watch.shared();
    services.spawn("settlement watch", watch.run());
    (section, shared)
}

/// Starts derivation for a full or verifier node under `services`; returns its shared status for the RPC.
pub(crate) async fn spawn_derivation(
    services: &mut Supervisor,
    node: &Node,
    l1: &L1Client,
    contracts: &L1Contracts,
    role: NodeRole,
) -> anyhow::Result<Arc<parking_lot::Mutex<DeriveStatus>>> {
    let status = Arc::new(parking_lot::Mutex::new(DeriveStatus::default()));
    let metrics = RollupMetrics::register(node.metrics().registry())?;
    let deriver = Deriver::new(node.clone(), l1.clone(), contracts, role, status.clone(), metrics);
    deriver.check_genesis().await?;
    services.spawn("deriver", deriver.run());
    Ok(status)
}

/// The proofs a fallback proposer commits its batches with: SNARK files named by the journal hash they
/// state, as `mosaic snark wrap` and the prover fleet write them.
struct FallbackProofDir(mosaic_snark::ProofDirectory);

impl mosaic_rollup::producer::FallbackProofs for FallbackProofDir {
    fn proof(&self, journal_hash: alloy_primitives::B256) -> Result<Option<Vec<u8>>, String> {
        Ok(self.0.get(journal_hash).map_err(|e| e.to_string())?.map(|p| p.onchain_proof()))
    }

    fn location(&self, journal_hash: alloy_primitives::B256) -> String {
        self.0.path_of(journal_hash).display().to_string()
    }
}

/// Starts a full node's derivation as a fallback proposer under `services`: once the Rollup's fallback
/// opens it sequences, and posts each batch from `poster`'s account with `producer`'s batch limits once
/// its proof is in `proofs`; it sets `accepting`. Returns the derivation's shared status, the
/// fallback's `mosaic_rollupStatus` section, and the batch it waits for a proof of (for a prover).
pub(crate) async fn spawn_fallback(
    services: &mut Supervisor,
    (node, l1, poster, contracts): (&Node, &L1Client, &L1Client, &L1Contracts),
    (producer, proofs): (ProducerConfig, &Path),
    accepting: Arc<std::sync::atomic::AtomicBool>,
) -> anyhow::Result<(
    Arc<parking_lot::Mutex<DeriveStatus>>,
    Arc<dyn mosaic_rollup::rpc::StatusSection>,
    Arc<parking_lot::Mutex<Option<mosaic_rollup::producer::AwaitedProof>>>,
)> {
    let status = Arc::new(parking_lot::Mutex::new(DeriveStatus::default()));
    let metrics = RollupMetrics::register(node.metrics().registry())?;
    let deriver = Deriver::new(node.clone(), l1.clone(), contracts, NodeRole::Full, status.clone(), metrics.clone());
    deriver.check_genesis().await?;
    let fallback = mosaic_rollup::fallback::Fallback::new(
        (deriver, node.clone(), poster.clone(), contracts.clone()),
        producer,
        Arc::new(FallbackProofDir(mosaic_snark::ProofDirectory::new(proofs))),
        metrics,
        accepting,
    );
    info!(poster = %poster.address(), proofs = %proofs.display(),
        "fallback proposer: this node takes over block production if the Rollup's fallback opens");
    let (section, awaiting) = (fallback.status_section(), fallback.awaiting());
    services.spawn("fallback proposer", fallback.run());
    Ok((status, section, awaiting))
}

/// RPC methods of the settlement layer for `role`.
pub(crate) fn rpc_methods(
    node: &Node,
    contracts: &L1Contracts,
    role: NodeRole,
    l1_rpc: &str,
    prover: bool,
    derive: Option<Arc<parking_lot::Mutex<DeriveStatus>>>,
    sections: Vec<Arc<dyn mosaic_rollup::rpc::StatusSection>>,
) -> jsonrpsee::Methods {
    mosaic_rollup::rpc::methods(
        node.clone(),
        contracts.clone(),
        RoleInfo { role, l1_rpc: l1_rpc.into(), prover },
        derive,
        sections,
    )
}
