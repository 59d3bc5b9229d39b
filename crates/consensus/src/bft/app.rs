//! A member's side of the engine: answers Malachite's requests with Mosaic's node. The proposer
//! assembles a block from its pool and streams it to the others; every member re-executes a proposal
//! with the same STF before it may vote for it; a decided block is committed with its commit
//! certificate in one database transaction, and served from there to members catching up.
//!
//! One task owns the engine's channel and handles one message at a time; executing and committing
//! blocks runs on the blocking pool (`Node::blocking`).
use super::view::{summary, BftView, Live, EVIDENCE};
use super::{
    codec::MosaicCodec,
    config::node_config,
    context::{timeouts, BftAddress, BftHeight, BlockValue, MosaicContext, ProposalPart, ValidatorSet},
    signing::{part_stream_bytes, MosaicSigner, MosaicVerifier},
};
use crate::{SequencerSet, SequencingError, SetSchedule};
use alloy_primitives::{bytes::Bytes as RawBytes, keccak256, Address, Bytes, B256};
use malachitebft_app_channel::app::types::MisbehaviorEvidence;
use malachitebft_app_channel::{
    app::{
        engine::host::{HeightParams, Next, SyncedValueOutcome},
        streaming::{StreamContent, StreamId, StreamMessage},
        types::{
            codec::Codec,
            core::{
                CommitCertificate, Context as _, ExtendedCommitCertificate, ProposalPart as _, Round, Validator as _,
                ValidatorSet as _, Validity, VoteExtensions,
            },
            sync::RawDecidedValue,
            Keypair, LocallyProposedValue, PeerId, ProposedValue,
        },
    },
    start_engine, AppMsg, Channels, ConsensusContext, EngineHandle, NetworkContext, NetworkIdentity, NetworkMsg,
    RequestContext, Signer as _, SyncContext, WalContext,
};
use malachitebft_signing_ecdsa::{K256Config, Signature};
use mosaic_node::{ChainReader, ImportError, Node};
use mosaic_primitives::Block;
use mosaic_stf::BuiltBlock;
use std::{
    collections::{BTreeMap, HashMap},
    path::PathBuf,
    sync::{Arc, Mutex},
    time::{Duration, Instant, SystemTime, UNIX_EPOCH},
};
use tokio::sync::{mpsc, watch};
use tracing::{debug, error, info, warn};

/// The node's record table of commit certificates, one per decided block (`MosaicCodec`'s bytes of an
/// `ExtendedCommitCertificate`), written in the block's own database transaction.
pub const CERTIFICATES: &str = "bft_certificates";

/// The node's record table of the last block this member proposed, at index 0 (its height, 8 bytes,
/// and round, 4 bytes, big-endian, then the block's RLP), written before the proposal is streamed.
pub const PROPOSALS: &str = "bft_proposals";

/// Bytes of block RLP per `Data` part of a proposal stream.
const CHUNK: usize = 64 * 1024;
/// Most parts one stream may have: a block larger than this is not a block anyone proposes.
const MAX_PARTS: u64 = 1 + 512 + 1;
/// Most streams one publisher may have open at once (a height's rounds, and one more).
const MAX_OPEN_STREAMS: usize = 8;

/// What a member needs besides its node: the set it belongs to, its consensus key and where the
/// engine keeps its write-ahead log.
#[derive(Clone)]
pub struct BftConfig {
    /// The sequencer set (the same file on every member).
    pub set: SequencerSet,
    /// This member's 32-byte secp256k1 consensus key (its address must be a member's).
    pub secret: [u8; 32],
    /// The engine's write-ahead log file (its parent directory is created).
    pub wal_path: PathBuf,
    /// Faults this member commits on purpose, to test that the others withstand them (tests and drills:
    /// the binary sets them only from its `--fault-*` flags, and never with an external L1).
    pub faults: Faults,
    /// Who is in the set when, as the Rollup on L1 schedules it; `None`: the set file's genesis members
    /// forever (a set no L1 manages).
    pub schedule: Option<watch::Receiver<SetSchedule>>,
}

/// Faults a member commits on purpose, for tests and drills of the honest ones; the default commits
/// none.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Faults {
    /// Propose blocks whose state root is wrong (signed like honest proposals).
    pub invalid_proposals: bool,
    /// Sign and send a second, conflicting vote beside every vote (equivocation).
    pub equivocate_votes: bool,
    /// End the process at once (`abort`, as `kill -9` would: nothing is flushed or closed) right after
    /// storing its own proposal for this height, before anyone has seen it.
    pub abort_proposing_at: Option<u64>,
}

impl Faults {
    /// Whether any fault is on.
    pub fn any(&self) -> bool {
        *self != Self::default()
    }
}

impl std::fmt::Debug for BftConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print the key.
        f.debug_struct("BftConfig")
            .field("set", &self.set.hash)
            .field("wal_path", &self.wal_path)
            .field("faults", &self.faults)
            .finish()
    }
}

/// Ordering by a sequencer set under Malachite BFT: a block is final once more than two thirds of the
/// set committed it.
#[derive(Debug, Clone)]
pub struct Bft {
    /// The member's configuration.
    pub config: BftConfig,
}

impl crate::Sequencing for Bft {
    fn run(self: Box<Self>, node: Node) -> crate::SequencingFuture {
        Box::pin(run(self.config, node))
    }
}

fn engine_err(what: &str, e: impl std::fmt::Display) -> SequencingError {
    SequencingError::Engine(format!("{what}: {e}"))
}

/// The libp2p identity of the member whose consensus key is `secret`: an ed25519 key derived from
/// it, so a member needs one key file; the validator proof binds the two for its peers.
fn p2p_keypair(secret: &[u8; 32]) -> Result<Keypair, SequencingError> {
    let seed = keccak256([b"mosaic-p2p".as_slice(), secret].concat()).0;
    Keypair::ed25519_from_bytes(seed).map_err(|e| engine_err("p2p key", e))
}

/// Starts the engine for `config`'s member and answers it with `node` until the engine stops.
pub async fn run(config: BftConfig, node: Node) -> Result<(), SequencingError> {
    let chain_id = node.chain_id();
    let ctx = MosaicContext { chain_id };
    let signer = MosaicSigner::new(&config.secret, chain_id).map_err(|e| engine_err("consensus key", e))?;
    let key = k256::ecdsa::VerifyingKey::from_sec1_bytes(&signer.public_key().to_vec())
        .map_err(|e| engine_err("consensus key", e))?;
    let me = Address::from_public_key(&key);
    let candidates = ValidatorSet::from_set(&config.set).map_err(|e| engine_err("sequencer set", e))?;
    let node_cfg = node_config(&config.set, &me).map_err(|e| engine_err("sequencer set", e))?;
    if node.config().fee_recipient != config.set.fee_recipient {
        return Err(engine_err(
            "fee recipient",
            format!(
                "the node credits {}, the set's blocks credit {}: every member must build the same blocks",
                node.config().fee_recipient,
                config.set.fee_recipient
            ),
        ));
    }
    pin_set(&node, config.set.genesis_hash()).await?;
    let keypair = p2p_keypair(&config.secret)?;
    let peer_id = keypair.public().to_peer_id();
    let proof = signer
        .sign_validator_proof(signer.public_key().to_vec(), peer_id.to_bytes())
        .await
        .map_err(|e| engine_err("validator proof", e))?;
    let proof_bytes = MosaicCodec.encode(&proof).map_err(|e| engine_err("validator proof", e))?;
    let address = BftAddress(me);
    let identity = NetworkIdentity::new_validator(node_cfg.moniker.clone(), keypair, address.to_string(), proof_bytes);
    info!(%me, candidates = candidates.count(), %peer_id, "starting BFT consensus");
    if config.faults.any() {
        warn!(faults = ?config.faults, "fault injection: this member misbehaves on purpose (a drill)");
    }
    let consensus_ctx =
        ConsensusContext::new_validator(address, Box::new(MosaicVerifier { chain_id }), Box::new(signer.clone()));
    let (channels, engine) = if config.faults.equivocate_votes {
        byzantine_engine(ctx, node_cfg, &config, identity, consensus_ctx, &signer, address).await?
    } else {
        start_engine(
            ctx,
            node_cfg,
            WalContext::new(config.wal_path.clone(), MosaicCodec),
            NetworkContext::new(identity, MosaicCodec),
            consensus_ctx,
            SyncContext::new(MosaicCodec),
            RequestContext::new(100),
        )
        .await
        .map_err(|e| engine_err("engine start", e))?
    };
    let _stop = StopOnDrop(Some(engine));
    let Channels { consensus, network, .. } = channels;
    let schedule = match config.schedule.clone() {
        Some(rx) => rx,
        None => watch::channel(SetSchedule::fixed(&config.set)).1,
    };
    let app = App::new(node.clone(), &config.set, candidates, signer, network, schedule).with_faults(config.faults);
    app.load_status().await?;
    node.set_consensus_view(std::sync::Arc::new(app.view()));
    app.serve(consensus).await
}

/// The engine of a member that equivocates: Malachite's byzantine network proxy signs a second vote
/// for another block beside each of its votes ([`Faults::equivocate_votes`]).
async fn byzantine_engine(
    ctx: MosaicContext,
    node_cfg: super::BftNodeConfig,
    config: &BftConfig,
    identity: NetworkIdentity,
    consensus_ctx: ConsensusContext<MosaicContext>,
    signer: &MosaicSigner,
    address: BftAddress,
) -> Result<(Channels<MosaicContext>, EngineHandle), SequencingError> {
    use malachitebft_app_channel::{ByzantineContext, EngineBuilder};
    use malachitebft_engine_byzantine::{ByzantineConfig, Trigger};
    let byz = ByzantineContext {
        identity,
        codec: MosaicCodec,
        config: ByzantineConfig::new(Some(21)).with_equivocate_votes(Trigger::Always),
        signer: Box::new(signer.clone()),
        address,
        conflicting_value_fn: None,
        // A vote for a block that does not exist: flip the hash's last byte.
        conflicting_vote_value_fn: Some(Box::new(|id: Option<&super::BlockId>| {
            let mut hash = id.map(|b| b.0).unwrap_or_default();
            hash.0[31] ^= 0xff;
            super::BlockId(hash)
        })),
    };
    EngineBuilder::new(ctx, node_cfg)
        .with_default_wal(WalContext::new(config.wal_path.clone(), MosaicCodec))
        .with_byzantine_network(byz)
        .await
        .map_err(|e| engine_err("engine start", e))?
        .with_default_sync(SyncContext::new(MosaicCodec))
        .with_default_consensus(consensus_ctx)
        .with_default_request(RequestContext::new(100))
        .build()
        .await
        .map_err(|e| engine_err("engine start", e))
}

/// The node's record of which sequencer set it orders blocks with (`SequencerSet::genesis_hash`, at
/// index 0).
pub const SET: &str = "bft_set";

/// Pins the set's genesis on a node's first start, and refuses another later: blocks decided by one
/// set must not be extended by another without a decision to change it (the Rollup's schedule).
async fn pin_set(node: &Node, hash: B256) -> Result<(), SequencingError> {
    let pinned = node
        .blocking(move |n| -> Result<Option<Vec<u8>>, mosaic_node::NodeError> {
            let records = n.records(SET);
            match records.get(0)? {
                Some(p) => Ok(Some(p)),
                None => records.put(0, hash.as_slice()).map(|()| None),
            }
        })
        .await
        .map_err(|e| SequencingError::Node(e.to_string()))?
        .map_err(|e| SequencingError::Node(e.to_string()))?;
    match pinned {
        Some(p) if p != hash.as_slice() => Err(engine_err(
            "sequencer set",
            format!(
                "this data directory orders blocks with the set whose genesis hashes to 0x{}, not {hash} \
                 (the block time, fee recipient and genesis members must not change; only candidates may be added)",
                alloy_primitives::hex::encode(p)
            ),
        )),
        _ => Ok(()),
    }
}

/// Stops the engine's actors when the member's task ends (or is dropped by its supervisor).
struct StopOnDrop(Option<EngineHandle>);

impl Drop for StopOnDrop {
    fn drop(&mut self) {
        if let Some(engine) = self.0.take() {
            engine.actor.stop(Some("mosaic sequencer stopped".into()));
            engine.handle.abort();
        }
    }
}

/// A complete proposal stream, checked against its signature, kept until its height is decided.
#[derive(Clone, Debug)]
struct Received {
    proposer: BftAddress,
    pol_round: Round,
    block: Block,
    /// The proposer's `Fin` signature, to re-stream the proposal as it was signed.
    fin: Bytes,
    /// `None` until the block was executed on its parent (a stream may arrive a height early).
    validity: Option<Validity>,
    /// keccak256 of the block's bytes as streamed, which the `Fin` signature covers; `Some` until the
    /// signature and proposer are checked, which waits for the height's set (a stream a height early
    /// may be of a set that changes at that height).
    unchecked: Option<B256>,
}

/// The parts of one stream received so far.
#[derive(Default)]
struct Partial {
    parts: BTreeMap<u64, ProposalPart>,
    last: Option<u64>,
    height: u64,
}

struct App {
    node: Node,
    ctx: MosaicContext,
    /// The set deciding the height being run.
    set: ValidatorSet,
    /// Every member the set file lists (genesis members and candidates), with their keys.
    candidates: ValidatorSet,
    /// The set file.
    file: SequencerSet,
    /// Who is in the set when.
    schedule: watch::Receiver<SetSchedule>,
    fee_recipient: Address,
    block_time: Duration,
    me: BftAddress,
    signer: MosaicSigner,
    network: mpsc::Sender<NetworkMsg<MosaicContext>>,
    /// Blocks executed on the current head (own and others' proposals), by hash, ready to commit.
    executed: HashMap<B256, BuiltBlock>,
    /// Complete proposals by `(height, round)`.
    proposals: BTreeMap<(u64, u32), Received>,
    /// Streams being received, by publisher and stream id.
    streams: HashMap<(PeerId, StreamId), Partial>,
    /// Streams this member published, to give each a fresh id.
    restreams: u64,
    /// Where consensus stands, for the RPC ([`BftView`]).
    live: Arc<Mutex<Live>>,
    /// Faults committed on purpose (tests of a byzantine member).
    faults: Faults,
}

fn now_secs() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or_default()
}

/// A round as a number (a nil round, never asked for, counts as 0).
pub(super) fn round_u32(r: Round) -> u32 {
    r.as_u32().unwrap_or(0)
}

impl App {
    /// Member `signer` of `file` (whose members with their keys are `candidates`), answering with `node`;
    /// the set of each height follows `schedule`.
    fn new(
        node: Node,
        file: &SequencerSet,
        candidates: ValidatorSet,
        signer: MosaicSigner,
        network: mpsc::Sender<NetworkMsg<MosaicContext>>,
        schedule: watch::Receiver<SetSchedule>,
    ) -> Self {
        let key = signer.public_key().to_vec();
        let me = candidates
            .iter()
            .find(|v| v.public_key().to_vec() == key)
            .map(|v| *v.address())
            .unwrap_or(BftAddress(Address::ZERO));
        let genesis: Vec<_> =
            candidates.iter().filter(|v| file.initial().any(|m| m.address == v.address().0)).cloned().collect();
        let set = ValidatorSet::new(genesis).unwrap_or_else(|| candidates.clone());
        let live =
            Live { members: set.iter().map(|v| v.address().0).collect(), quorum: file.quorum(), ..Live::default() };
        Self {
            ctx: MosaicContext { chain_id: node.chain_id() },
            node,
            set,
            candidates,
            file: file.clone(),
            schedule,
            fee_recipient: file.fee_recipient,
            block_time: file.block_time,
            me,
            signer,
            network,
            executed: HashMap::new(),
            proposals: BTreeMap::new(),
            streams: HashMap::new(),
            restreams: 0,
            live: Arc::new(Mutex::new(live)),
            faults: Faults::default(),
        }
    }

    /// This member commits `faults` (a byzantine member, in tests).
    fn with_faults(mut self, faults: Faults) -> Self {
        self.faults = faults;
        self
    }

    /// What the RPC is told about this member.
    fn view(&self) -> BftView {
        BftView { node: self.node.clone(), me: self.me.0, live: self.live.clone() }
    }

    fn set_live(&self, f: impl FnOnce(&mut Live)) {
        if let Ok(mut live) = self.live.lock() {
            f(&mut live);
        }
    }

    /// The status a restarted member starts from: its head's certificate and its evidence count.
    async fn load_status(&self) -> Result<(), SequencingError> {
        let head = self.node.head_number();
        let (cert, evidence) = self
            .blocking(move |n| {
                let cert = n.records(CERTIFICATES).get(head).ok().flatten();
                let evidence = n.records(EVIDENCE).last().ok().flatten().map_or(0, |(i, _)| i + 1);
                (cert, evidence)
            })
            .await?;
        let decided = cert
            .and_then(|c| MosaicCodec.decode(RawBytes::from(c)).ok())
            .map(|c: ExtendedCommitCertificate<MosaicContext>| summary(&c.trim_vote_extensions()));
        self.set_live(|l| {
            l.height = head + 1;
            l.last_decided = decided;
            l.evidence = evidence;
        });
        Ok(())
    }

    /// Keeps the engine's misbehaviour evidence in the node's database, one record per pair.
    async fn record_evidence(&self, evidence: &MisbehaviorEvidence<MosaicContext>, height: u64) {
        let records = super::view::records(evidence, height);
        for e in &records {
            warn!(member = %e.member, kind = %e.kind, height = %e.height, round = %e.round, "misbehaviour evidence");
        }
        let stored = self
            .blocking(move |n| -> Result<u64, String> {
                let table = n.records(EVIDENCE);
                let mut next = table.last().map_err(|e| e.to_string())?.map_or(0, |(i, _)| i + 1);
                for e in &records {
                    let json = serde_json::to_vec(e).map_err(|e| e.to_string())?;
                    table.put(next, &json).map_err(|e| e.to_string())?;
                    next += 1;
                }
                Ok(next)
            })
            .await;
        match stored {
            Ok(Ok(count)) => self.set_live(|l| l.evidence = count),
            Ok(Err(e)) => error!(%e, "cannot store misbehaviour evidence"),
            Err(e) => error!(%e, "cannot store misbehaviour evidence"),
        }
    }

    /// The parameters of `height`, whose set is the members active at its parent's timestamp. Waits
    /// while this member's view of L1 is too old to know that set: a guess could split the set.
    async fn params(&mut self, height: u64) -> Result<HeightParams<MosaicContext>, SequencingError> {
        let parent = height.saturating_sub(1);
        let time = self
            .blocking(move |n| n.header(parent))
            .await?
            .map_err(|e| SequencingError::Node(e.to_string()))?
            .map(|h| h.timestamp)
            .ok_or_else(|| SequencingError::Node(format!("no block {parent} to start height {height} on")))?;
        let mut waited = false;
        let members: Vec<Address> = loop {
            let known =
                self.schedule.borrow().members_at(&self.file, time).map(|m| m.iter().map(|m| m.address).collect());
            if let Some(members) = known {
                break members;
            }
            if !waited {
                warn!(height, parent_time = time, "waiting for L1 to show who is in the sequencer set at this height");
                waited = true;
            }
            // Woken by the L1 watch, or after a second; a closed channel (the watch ended: its supervisor
            // stops the node) is polled on the timer, not in a loop.
            if let Ok(Err(_)) = tokio::time::timeout(Duration::from_secs(1), self.schedule.changed()).await {
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        };
        // A member L1 made active that this file does not list would leave this member deciding with
        // another set than the rest: stop with the reason rather than fork.
        let unlisted: Vec<Address> = {
            let schedule = self.schedule.borrow();
            schedule.unknown_members(&self.file).into_iter().filter(|a| schedule.is_active(a, time)).collect()
        };
        if !unlisted.is_empty() {
            return Err(engine_err(
                "sequencer set",
                format!("the Rollup counts {unlisted:?} in the set at height {height}, but the set file does not list them: add them to it and restart"),
            ));
        }
        // In the schedule's order (the proposer rotation), not the file's.
        let validators: Vec<_> =
            members.iter().filter_map(|a| self.candidates.get_by_address(&BftAddress(*a)).cloned()).collect();
        let set = ValidatorSet::new(validators).ok_or_else(|| {
            engine_err("sequencer set", format!("no member of the set file is active at height {height}"))
        })?;
        if set != self.set {
            info!(height, members = ?members, "the sequencer set changes at this height");
            self.set = set;
        }
        let quorum = crate::quorum(self.set.count());
        self.set_live(|l| {
            l.members = members;
            l.quorum = quorum;
        });
        // The target time paces heights: a height is finalized no earlier than `block_time` after it began.
        Ok(HeightParams::new(self.set.clone(), timeouts(self.block_time), Some(self.block_time)))
    }

    fn next_height(&self) -> u64 {
        self.node.head_number() + 1
    }

    async fn serve(mut self, mut consensus: mpsc::Receiver<AppMsg<MosaicContext>>) -> Result<(), SequencingError> {
        while let Some(msg) = consensus.recv().await {
            self.handle(msg).await?;
        }
        Err(SequencingError::Engine("the consensus engine stopped".into()))
    }

    async fn handle(&mut self, msg: AppMsg<MosaicContext>) -> Result<(), SequencingError> {
        match msg {
            AppMsg::ConsensusReady { reply } => {
                let height = BftHeight(self.next_height());
                info!(%height, "consensus ready");
                let params = self.params(height.0).await?;
                let _ = reply.send((height, params));
            }
            AppMsg::StartedRound { height, round, proposer, role, reply_value } => {
                debug!(%height, %round, %proposer, ?role, "round started");
                self.set_live(|l| {
                    l.height = height.0;
                    l.round = round_u32(round);
                    l.proposer = Some(proposer.0);
                });
                let values = self.values_at(height.0).await?;
                let _ = reply_value.send(values);
            }
            AppMsg::GetValue { height, round, timeout, reply } => {
                if let Some(value) = self.propose(height.0, round, timeout).await? {
                    let _ = reply.send(value);
                }
            }
            AppMsg::ExtendVote { reply, .. } => {
                // Mosaic enables no vote extensions.
                let _ = reply.send(None);
            }
            AppMsg::VerifyVoteExtensions { extensions, reply, .. } => {
                let _ = reply.send(extensions.into_iter().map(|(a, _)| (a, Ok(()))).collect());
            }
            AppMsg::RestreamProposal { height, round, valid_round, address, value_id } => {
                self.restream(height.0, round, valid_round, address, value_id.0).await;
            }
            AppMsg::GetHistoryMinHeight { reply } => {
                // Every block from 1 is kept, each with its certificate.
                let _ = reply.send(BftHeight(1));
            }
            AppMsg::ReceivedProposalPart { from, published_by, part, reply } => {
                let value = self.received_part(published_by.unwrap_or(from), part).await?;
                let _ = reply.send(value);
            }
            AppMsg::Decided { certificate, extensions, reply } => {
                self.decided(certificate, extensions).await?;
                let _ = reply.send(());
            }
            AppMsg::Finalized { certificate, evidence, reply, .. } => {
                let height = certificate.height.0;
                if !evidence.is_empty() {
                    self.record_evidence(&evidence, height).await;
                }
                let next = if self.node.head_number() >= height {
                    Next::Start(BftHeight(height + 1), self.params(height + 1).await?)
                } else {
                    // Deciding did not commit (a local failure): run the height again; sync brings the block.
                    warn!(height, "decided block not committed; restarting the height");
                    Next::Restart(BftHeight(height), self.params(height).await?)
                };
                let _ = reply.send(next);
            }
            AppMsg::GetDecidedValues { range, reply } => {
                let (from, to) = (range.start().0.max(1), range.end().0);
                let values = self.decided_values(from, to).await?;
                let _ = reply.send(values);
            }
            AppMsg::ProcessSyncedValue { height, round, proposer, value_bytes, reply } => {
                let outcome = self.synced(height.0, round, proposer, value_bytes).await?;
                let _ = reply.send(outcome);
            }
        }
        Ok(())
    }

    /// Runs `f` on the blocking pool with the node; a panic there ends the member (for its supervisor).
    async fn blocking<T: Send + 'static>(
        &self,
        f: impl FnOnce(&Node) -> T + Send + 'static,
    ) -> Result<T, SequencingError> {
        self.node.blocking(f).await.map_err(|e| SequencingError::Node(e.to_string()))
    }

    /// The proposals of `height` this member holds, validated now if they arrived before their parent
    /// was committed (the engine asks at every round, and after a restart).
    async fn values_at(&mut self, height: u64) -> Result<Vec<ProposedValue<MosaicContext>>, SequencingError> {
        let keys: Vec<(u64, u32)> = self.proposals.range((height, 0)..=(height, u32::MAX)).map(|(k, _)| *k).collect();
        let mut out = Vec::new();
        for key in keys {
            if let Some(value) = self.validate(key).await? {
                out.push(value);
            }
        }
        Ok(out)
    }

    /// Decides on the validity of the proposal at `key` (once), if its height is the next one.
    async fn validate(&mut self, key: (u64, u32)) -> Result<Option<ProposedValue<MosaicContext>>, SequencingError> {
        if key.0 != self.next_height() {
            return Ok(None);
        }
        // A stream that came before its height started is checked against that height's set now.
        if let Some(r) = self.proposals.get(&key) {
            if let Some(data_hash) = r.unchecked {
                if !self.signed_by_proposer(BftHeight(key.0), Round::new(key.1), &r.proposer, &data_hash, &r.fin) {
                    self.proposals.remove(&key);
                    return Ok(None);
                }
                if let Some(r) = self.proposals.get_mut(&key) {
                    r.unchecked = None;
                }
            }
        }
        let validity = match self.proposals.get(&key).map(|r| r.validity) {
            None => return Ok(None),
            Some(Some(v)) => v,
            Some(None) => {
                let block = self.proposals[&key].block.clone();
                let verdict = self.execute(&block).await?;
                let Some(validity) = verdict else { return Ok(None) };
                if let Some(r) = self.proposals.get_mut(&key) {
                    r.validity = Some(validity);
                }
                validity
            }
        };
        let received = &self.proposals[&key];
        Ok(Some(ProposedValue {
            height: BftHeight(key.0),
            round: Round::new(key.1),
            valid_round: received.pol_round,
            proposer: received.proposer,
            value: BlockValue { hash: received.block.hash() },
            validity,
        }))
    }

    /// Applies the set's block rules and re-executes `block` on the head; an executed block is kept to
    /// commit. `None` when this member cannot judge it now (a storage failure).
    async fn execute(&mut self, block: &Block) -> Result<Option<Validity>, SequencingError> {
        let hash = block.hash();
        if self.executed.contains_key(&hash) {
            return Ok(Some(Validity::Valid));
        }
        if let Err(why) = self.rules(block) {
            warn!(number = block.header.number, %hash, why, "proposal refused");
            return Ok(Some(Validity::Invalid));
        }
        let started = Instant::now();
        let candidate = block.clone();
        match self.blocking(move |n| n.validate_block(&candidate)).await? {
            Ok(built) => {
                debug!(number = block.header.number, %hash, ms = started.elapsed().as_millis() as u64, "proposal valid");
                self.executed.insert(hash, built);
                Ok(Some(Validity::Valid))
            }
            Err(ImportError::Invalid(why)) => {
                warn!(number = block.header.number, %hash, why, "proposal refused");
                Ok(Some(Validity::Invalid))
            }
            Err(e) => {
                error!(number = block.header.number, %hash, %e, "cannot check a proposal");
                Ok(None)
            }
        }
    }

    /// The rules the STF leaves to the set: its fee recipient, a timestamp no later than now (one
    /// second of clock skew allowed), and only L1 messages this member has seen on L1 itself. There is no
    /// lower bound on the timestamp beyond the parent's: a rule that a proposal can fail later (as the
    /// clock moves) could leave members locked on a value they no longer accept. A member proposes at
    /// its clock, so a proposer holding the L2 clock still holds it only for its own heights.
    fn rules(&self, block: &Block) -> Result<(), String> {
        let header = &block.header;
        if header.beneficiary != self.fee_recipient {
            return Err(format!("credits {}, not the set's {}", header.beneficiary, self.fee_recipient));
        }
        let parent = self.node.head();
        let latest = (now_secs() + 1).max(parent.timestamp);
        if header.timestamp > latest {
            return Err(format!("timestamp {} is in the future (latest {latest})", header.timestamp));
        }
        if !self.node.l1_messages_are_next_in_inbox(&block.l1_messages) {
            return Err("carries L1 messages this member has not seen on L1".into());
        }
        Ok(())
    }

    /// `GetValue`: the block this member proposes at `(height, round)` — the one it already proposed
    /// there, if any (proposing two would be equivocation), else a new one from its pool.
    async fn propose(
        &mut self,
        height: u64,
        round: Round,
        timeout: Duration,
    ) -> Result<Option<LocallyProposedValue<MosaicContext>>, SequencingError> {
        let key = (height, round_u32(round));
        if let Some(own) = self.proposals.get(&key).filter(|p| p.proposer == self.me) {
            let value = BlockValue { hash: own.block.hash() };
            self.publish(key, own.clone()).await;
            return Ok(Some(LocallyProposedValue::new(BftHeight(height), round, value)));
        }
        if height != self.next_height() {
            warn!(height, head = self.node.head_number(), "asked to propose for a height that is not next");
            return Ok(None);
        }
        if let Some(block) = self.own_proposal(key).await? {
            // Proposed before a crash: the same block again, never a second one for this round.
            let hash = block.hash();
            if self.execute(&block).await? == Some(Validity::Valid) {
                self.propose_own(key, block, Round::Nil).await;
                return Ok(Some(LocallyProposedValue::new(BftHeight(height), round, BlockValue { hash })));
            }
        }
        // Stop taking transactions in time to execute, stream and still answer within the timeout.
        let deadline = Instant::now() + (timeout / 2).min(self.block_time);
        let assembled = match self.blocking(move |n| n.assemble_block(None, false, Some(deadline))).await? {
            Ok(Some(a)) => a,
            Ok(None) => return Ok(None),
            Err(e) => {
                error!(height, %e, "cannot assemble a proposal");
                return Ok(None);
            }
        };
        let mut block = assembled.built.block.clone();
        if self.faults.invalid_proposals {
            // A byzantine proposer's lie: a state root the block's transactions do not produce.
            block.header.state_root.0[0] ^= 0xff;
        }
        let hash = block.hash();
        info!(height, round = key.1, %hash, txs = block.transactions.len(), "proposing");
        // On disk before anyone sees it, so a restarted proposer proposes the same block.
        let mut record = height.to_be_bytes().to_vec();
        record.extend_from_slice(&key.1.to_be_bytes());
        record.extend_from_slice(&block.to_bytes());
        self.blocking(move |n| n.records(PROPOSALS).put(0, &record))
            .await?
            .map_err(|e| SequencingError::Node(e.to_string()))?;
        if self.faults.abort_proposing_at == Some(height) {
            error!(height, "fault injection: aborting with this member's proposal stored but not sent");
            std::process::abort();
        }
        self.executed.insert(hash, assembled.built);
        self.propose_own(key, block, Round::Nil).await;
        Ok(Some(LocallyProposedValue::new(BftHeight(height), round, BlockValue { hash })))
    }

    /// The block this member proposed at `key` before it restarted, if any.
    async fn own_proposal(&self, (height, round): (u64, u32)) -> Result<Option<Block>, SequencingError> {
        let record =
            self.blocking(|n| n.records(PROPOSALS).get(0)).await?.map_err(|e| SequencingError::Node(e.to_string()))?;
        let Some(record) = record.filter(|r| r.len() > 12) else { return Ok(None) };
        let (at, bytes) = record.split_at(12);
        if at[..8] != height.to_be_bytes() || at[8..] != round.to_be_bytes() {
            return Ok(None);
        }
        Ok(Block::from_bytes(bytes).ok())
    }

    /// Signs `block` as this member's proposal at `key` (re-proposing a value locked at `pol_round`, or
    /// `Round::Nil` for a new one), keeps it for `StartedRound` and restreams, and streams it.
    async fn propose_own(&mut self, key: (u64, u32), block: Block, pol_round: Round) {
        let signed = part_stream_bytes(
            self.ctx.chain_id,
            BftHeight(key.0),
            Round::new(key.1),
            &self.me,
            &keccak256(block.to_bytes()),
        );
        let fin = Bytes::from(self.signer.sign_bytes(&signed).to_vec());
        let own =
            Received { proposer: self.me, pol_round, block, fin, validity: Some(Validity::Valid), unchecked: None };
        self.proposals.insert(key, own.clone());
        self.publish(key, own).await;
    }

    /// Streams a proposal to the other members: who proposes what on which parent, the block in
    /// chunks, and the proposer's signature over it.
    async fn publish(&mut self, (height, round): (u64, u32), p: Received) {
        self.restreams += 1;
        let mut id = Vec::with_capacity(20);
        id.extend_from_slice(&height.to_be_bytes());
        id.extend_from_slice(&round.to_be_bytes());
        id.extend_from_slice(&self.restreams.to_be_bytes());
        let stream_id = StreamId::new(RawBytes::from(id));
        let bytes = p.block.to_bytes();
        let mut parts = vec![ProposalPart::Init {
            height: BftHeight(height),
            round: Round::new(round),
            pol_round: p.pol_round,
            proposer: p.proposer,
            parent_hash: p.block.header.parent_hash,
        }];
        parts.extend(bytes.chunks(CHUNK).map(|c| ProposalPart::Data(Bytes::copy_from_slice(c))));
        parts.push(ProposalPart::Fin { signature: p.fin });
        for (sequence, part) in parts.into_iter().enumerate() {
            let msg = StreamMessage::new(stream_id.clone(), sequence as u64, StreamContent::Data(part));
            if self.network.send(NetworkMsg::PublishProposalPart(msg)).await.is_err() {
                warn!(height, round, "the engine's network is gone; proposal not streamed");
                return;
            }
        }
    }

    /// `RestreamProposal`: streams a proposal again — as this member's own at `round` when it proposes
    /// a value it locked on earlier, or as its original proposer signed it.
    async fn restream(&mut self, height: u64, round: Round, valid_round: Round, address: BftAddress, hash: B256) {
        let key = (height, round_u32(round));
        if let Some(p) = self.proposals.get(&key).filter(|p| p.block.hash() == hash && p.proposer == address) {
            let p = p.clone();
            self.publish(key, p).await;
            return;
        }
        if address != self.me {
            debug!(height, %round, %hash, "asked to restream a proposal this member does not hold");
            return;
        }
        let Some(block) = self.proposals.values().find(|p| p.block.hash() == hash).map(|p| p.block.clone()) else {
            debug!(height, %round, %hash, "asked to restream a value this member does not hold");
            return;
        };
        self.propose_own(key, block, valid_round).await;
    }

    /// `ReceivedProposalPart`: buffers a stream's parts until it is complete, then checks its
    /// signature, decodes the block and, if its height is next, re-executes it.
    async fn received_part(
        &mut self,
        publisher: PeerId,
        msg: StreamMessage<ProposalPart>,
    ) -> Result<Option<ProposedValue<MosaicContext>>, SequencingError> {
        let StreamContent::Data(part) = msg.content else { return Ok(None) };
        if msg.sequence >= MAX_PARTS {
            return Ok(None);
        }
        let head = self.node.head_number();
        let key = (publisher, msg.stream_id.clone());
        if !self.streams.contains_key(&key) {
            // Forget finished heights' leftovers, and cap what one publisher may keep open.
            self.streams.retain(|_, s| s.height == 0 || s.height > head);
            if self.streams.keys().filter(|(p, _)| *p == publisher).count() >= MAX_OPEN_STREAMS {
                warn!(%publisher, "too many open proposal streams; dropping them");
                self.streams.retain(|(p, _), _| *p != publisher);
            }
        }
        let stream = self.streams.entry(key.clone()).or_default();
        if let ProposalPart::Init { height, .. } = &part {
            stream.height = height.0;
        }
        if part.is_last() {
            stream.last = Some(msg.sequence);
        }
        stream.parts.insert(msg.sequence, part);
        let complete = stream.last.is_some_and(|last| stream.parts.len() as u64 == last + 1);
        if !complete {
            return Ok(None);
        }
        let Some(stream) = self.streams.remove(&key) else { return Ok(None) };
        let Some((key, received)) = self.check_stream(stream) else { return Ok(None) };
        if key.0 <= head {
            return Ok(None);
        }
        self.proposals.insert(key, received);
        self.validate(key).await
    }

    /// Whether `proposer` is the proposer of `(height, round)` in the current height's set and `fin` is
    /// its signature over the stream whose block bytes hash to `data_hash`.
    fn signed_by_proposer(
        &self,
        height: BftHeight,
        round: Round,
        proposer: &BftAddress,
        data_hash: &B256,
        fin: &[u8],
    ) -> bool {
        let expected = self.ctx.select_proposer(&self.set, height, round);
        if expected.address() != proposer {
            debug!(%height, %round, %proposer, "a stream from a member whose turn it is not");
            return false;
        }
        let signed = part_stream_bytes(self.ctx.chain_id, height, round, proposer, data_hash);
        let Ok(signature) = Signature::<K256Config>::from_slice(fin) else { return false };
        if expected.public_key().verify(&signed, &signature).is_err() {
            warn!(%height, %round, %proposer, "a proposal stream with a bad signature");
            return false;
        }
        true
    }

    /// A complete stream as a proposal: `Init`, the block's bytes, and a `Fin` signed by the round's
    /// proposer over them. `None` (dropped) for anything else.
    fn check_stream(&self, stream: Partial) -> Option<((u64, u32), Received)> {
        let mut parts = stream.parts.into_values();
        let Some(ProposalPart::Init { height, round, pol_round, proposer, parent_hash }) = parts.next() else {
            return None;
        };
        let mut data = Vec::new();
        let mut fin = None;
        for part in parts {
            match part {
                ProposalPart::Data(d) if fin.is_none() => data.extend_from_slice(&d),
                ProposalPart::Fin { signature } if fin.is_none() => fin = Some(signature),
                _ => return None,
            }
        }
        let fin = fin?;
        let data_hash = keccak256(&data);
        // The set of a later height is known only once its parent is decided: check then (`validate`).
        let unchecked = (height.0 > self.next_height()).then_some(data_hash);
        if unchecked.is_none() && !self.signed_by_proposer(height, round, &proposer, &data_hash, &fin) {
            return None;
        }
        let block = match Block::from_bytes(&data) {
            Ok(b) => b,
            Err(e) => {
                warn!(%height, %round, %proposer, %e, "a signed proposal that is not a block");
                return None;
            }
        };
        // A signed stream whose block is of another height or parent is invalid, not dropped: its
        // proposer signed it, and the engine must prevote nil rather than wait.
        let validity =
            (block.header.number != height.0 || block.header.parent_hash != parent_hash).then_some(Validity::Invalid);
        let received = Received { proposer, pol_round, block, fin, validity, unchecked };
        Some(((height.0, round_u32(round)), received))
    }

    /// `Decided`: commits the decided block with its certificate, in one database transaction.
    async fn decided(
        &mut self,
        certificate: CommitCertificate<MosaicContext>,
        extensions: VoteExtensions<MosaicContext>,
    ) -> Result<(), SequencingError> {
        let height = certificate.height.0;
        let hash = certificate.value_id.0;
        if self.node.head_number() >= height {
            // Already committed (the engine replays its log after a restart).
            return Ok(());
        }
        if !self.executed.contains_key(&hash) {
            if let Some(key) = self.proposals.iter().find(|(_, p)| p.block.hash() == hash).map(|(k, _)| *k) {
                self.validate(key).await?;
            }
        }
        let Some(built) = self.executed.remove(&hash) else {
            error!(height, %hash, "decided a block this member does not hold");
            return Ok(());
        };
        let decided = summary(&certificate);
        let certificate = ExtendedCommitCertificate::from_commit_certificate_and_extensions(certificate, extensions);
        let bytes = MosaicCodec.encode(&certificate).map_err(|e| engine_err("certificate", e))?;
        let committed =
            self.blocking(move |n| n.commit_decided(built, &[(CERTIFICATES, height, bytes.as_ref())])).await?;
        match committed {
            Ok(new) => {
                info!(
                    height,
                    %hash,
                    txs = new.block.transactions.len(),
                    signers = certificate.commit_signatures.len(),
                    "block decided"
                );
                self.set_live(|l| l.last_decided = Some(decided));
            }
            Err(e) => error!(height, %hash, %e, "cannot commit a decided block"),
        }
        // Everything executed was executed on the old head.
        self.executed.clear();
        self.proposals = self.proposals.split_off(&(height + 1, 0));
        Ok(())
    }

    /// `GetDecidedValues`: blocks `from..=to` this member committed, each with its certificate.
    async fn decided_values(&self, from: u64, to: u64) -> Result<Vec<RawDecidedValue<MosaicContext>>, SequencingError> {
        let to = to.min(self.node.head_number());
        self.blocking(move |n| {
            let mut out = Vec::new();
            for number in from..=to {
                let (Ok(Some(block)), Ok(Some(cert))) = (n.block(number), n.records(CERTIFICATES).get(number)) else {
                    break;
                };
                let Ok(certificate) = MosaicCodec.decode(RawBytes::from(cert)) else { break };
                out.push(RawDecidedValue::new(RawBytes::from(block.to_bytes()), certificate));
            }
            out
        })
        .await
    }

    /// `ProcessSyncedValue`: a block a peer says was decided (its certificate is checked by the
    /// engine), re-executed like any proposal.
    async fn synced(
        &mut self,
        height: u64,
        round: Round,
        proposer: BftAddress,
        value_bytes: RawBytes,
    ) -> Result<SyncedValueOutcome<MosaicContext>, SequencingError> {
        let Ok(block) = Block::from_bytes(&value_bytes) else { return Ok(SyncedValueOutcome::PeerFault) };
        if block.header.number != height || height != self.next_height() {
            return Ok(SyncedValueOutcome::LocalTransientError);
        }
        if !self.node.l1_messages_are_next_in_inbox(&block.l1_messages) {
            // Certified, so the deposits are real: this member's L1 view lags. Ask again later.
            return Ok(SyncedValueOutcome::LocalTransientError);
        }
        let Some(validity) = self.execute(&block).await? else { return Ok(SyncedValueOutcome::LocalTransientError) };
        if validity == Validity::Invalid {
            error!(height, hash = %block.hash(), "a block the set decided does not re-execute here");
        }
        Ok(SyncedValueOutcome::Verdict(ProposedValue {
            height: BftHeight(height),
            round,
            valid_round: Round::Nil,
            proposer,
            value: BlockValue { hash: block.hash() },
            validity,
        }))
    }
}

#[cfg(test)]
mod tests {
    //! A member's checks on a proposal stream, without an engine: the stream's signature and
    //! proposer, and the set's block rules on top of re-execution.
    use super::*;
    use crate::bft::test_support::{member_node, set_file};
    use alloy_primitives::U256;

    const FEE: Address = Address::repeat_byte(0xfe);

    fn secret(i: u8) -> [u8; 32] {
        [20 + i; 32]
    }

    fn set() -> SequencerSet {
        let secrets: Vec<[u8; 32]> = (0..4).map(secret).collect();
        SequencerSet::from_toml(&set_file(&secrets, "1s", FEE, |i| 27100 + i as u16)).unwrap()
    }

    fn node(dir: &std::path::Path, fee_recipient: Address) -> Node {
        member_node(dir, fee_recipient, Address::repeat_byte(1))
    }

    fn app(node: Node, me: u8, network: mpsc::Sender<NetworkMsg<MosaicContext>>) -> App {
        let file = set();
        let signer = MosaicSigner::new(&secret(me), node.chain_id()).unwrap();
        let schedule = watch::channel(SetSchedule::fixed(&file)).1;
        let app = App::new(node, &file, ValidatorSet::from_set(&file).unwrap(), signer, network, schedule);
        assert_eq!(app.me.0, file.members[me as usize].address);
        app
    }

    /// Streams `block` for `(height 1, round 0)` as `proposer` (a member index), signed by `signer`,
    /// into `app`; returns what the member answers the engine.
    async fn stream(
        app: &mut App,
        id: u8,
        block: &Block,
        proposer: u8,
        signer: u8,
    ) -> Option<ProposedValue<MosaicContext>> {
        let file = set();
        let proposer = BftAddress(file.members[proposer as usize].address);
        let data = block.to_bytes();
        let (height, round) = (BftHeight(1), Round::new(0));
        let signed = part_stream_bytes(app.ctx.chain_id, height, round, &proposer, &keccak256(&data));
        let fin = MosaicSigner::new(&secret(signer), app.ctx.chain_id).unwrap().sign_bytes(&signed).to_vec();
        let parts = [
            ProposalPart::Init {
                height,
                round,
                pol_round: Round::Nil,
                proposer,
                parent_hash: block.header.parent_hash,
            },
            ProposalPart::Data(Bytes::copy_from_slice(&data[..data.len() / 2])),
            ProposalPart::Data(Bytes::copy_from_slice(&data[data.len() / 2..])),
            ProposalPart::Fin { signature: fin.into() },
        ];
        let peer = PeerId::from_bytes(&p2p_keypair(&secret(9)).unwrap().public().to_peer_id().to_bytes()).unwrap();
        let mut answer = None;
        // Out of order on the wire: the member waits for the whole stream.
        for (sequence, part) in parts.into_iter().enumerate().rev() {
            let msg =
                StreamMessage::new(StreamId::new(RawBytes::from(vec![id])), sequence as u64, StreamContent::Data(part));
            answer = app.received_part(peer, msg).await.unwrap();
        }
        answer
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_height_starts_only_with_a_set_the_file_can_name() {
        use crate::MemberChange;
        let dir = tempfile::tempdir().unwrap();
        let (tx, _rx) = mpsc::channel(16);
        let mut app = app(node(dir.path(), FEE), 1, tx);
        let members: Vec<Address> = set().members.iter().map(|m| m.address).collect();
        let genesis = |a: &Address| MemberChange { member: *a, active: true, effective_at: 0 };
        let params = app.params(1).await.unwrap();
        assert_eq!(params.validator_set.count(), 4);
        // L1 leaves member 3 out from genesis: height 1 is decided by three.
        let three = members[..3].iter().map(genesis).collect();
        app.schedule = watch::channel(SetSchedule::from_l1(three, 0, 0)).1;
        assert_eq!(app.params(1).await.unwrap().validator_set.count(), 3);
        // The rotation is the order L1 named the members in, whatever the file's order.
        let reversed = members[..3].iter().rev().map(genesis).collect();
        app.schedule = watch::channel(SetSchedule::from_l1(reversed, 0, 0)).1;
        let order: Vec<Address> = app.params(1).await.unwrap().validator_set.iter().map(|v| v.address().0).collect();
        assert_eq!(order, [members[2], members[1], members[0]]);
        assert_eq!(mosaic_node::ConsensusView::status(&app.view()).quorum.to::<usize>(), 3);
        // L1 counts a member the file does not list: the member stops rather than decide with another set.
        let stranger = members.iter().map(genesis).chain([genesis(&Address::repeat_byte(9))]).collect();
        app.schedule = watch::channel(SetSchedule::from_l1(stranger, 0, 0)).1;
        let err = app.params(1).await.unwrap_err().to_string();
        assert!(err.contains("does not list"), "{err}");
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_data_directory_keeps_the_set_it_started_with_but_takes_new_candidates() {
        let dir = tempfile::tempdir().unwrap();
        let node = node(dir.path(), Address::repeat_byte(0xfe));
        let (a, b) = (B256::repeat_byte(1), B256::repeat_byte(2));
        pin_set(&node, a).await.unwrap();
        pin_set(&node, a).await.expect("the same set again");
        let err = pin_set(&node, b).await.unwrap_err().to_string();
        assert!(err.contains("only candidates may be added"), "{err}");
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_member_votes_only_for_a_signed_proposal_of_the_rounds_proposer_that_re_executes() {
        let dirs = [(); 3].map(|_| tempfile::tempdir().unwrap());
        let (network, _keep) = mpsc::channel(64);
        let mut member = app(node(dirs[0].path(), FEE), 0, network);
        let proposer = node(dirs[1].path(), FEE);
        let block = proposer.assemble_block(None, false, None).unwrap().unwrap().built.block;
        // Member 1 proposes at height 1, round 0 (round-robin from height 1).
        let valid = stream(&mut member, 1, &block, 1, 1).await.expect("a complete, signed stream");
        assert_eq!((valid.validity, valid.value.hash), (Validity::Valid, block.hash()));

        assert!(stream(&mut member, 2, &block, 1, 2).await.is_none(), "signed by another member: dropped");
        assert!(stream(&mut member, 3, &block, 2, 2).await.is_none(), "not member 2's turn: dropped");

        let mut tampered = block.clone();
        tampered.header.state_root = B256::repeat_byte(7);
        let answer = stream(&mut member, 4, &tampered, 1, 1).await.expect("signed by its proposer");
        assert_eq!(answer.validity, Validity::Invalid, "a wrong state root");

        let elsewhere = node(dirs[2].path(), Address::repeat_byte(0xee));
        let other = elsewhere.assemble_block(None, false, None).unwrap().unwrap().built.block;
        let answer = stream(&mut member, 5, &other, 1, 1).await.expect("signed by its proposer");
        assert_eq!(answer.validity, Validity::Invalid, "credits another fee recipient");

        let mut future = block.clone();
        future.header.timestamp = now_secs() + 60;
        assert!(member.rules(&future).unwrap_err().contains("in the future"));
        let mut deposit = block.clone();
        deposit.l1_messages.push(mosaic_primitives::L1Message {
            index: 0,
            token: Address::ZERO,
            from: Address::repeat_byte(2),
            to: Address::repeat_byte(3),
            amount: U256::from(1),
            transaction: None,
        });
        assert!(member.rules(&deposit).unwrap_err().contains("not seen on L1"));
        assert_eq!(member.node.head_number(), 0, "checking commits nothing");
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_restarted_proposer_proposes_the_block_it_proposed_before_never_a_second_one() {
        let dir = tempfile::tempdir().unwrap();
        let (network, _published) = mpsc::channel(256);
        let node = node(dir.path(), FEE);
        let timeout = Duration::from_secs(2);
        // Member 1 proposes at height 1, round 0, then crashes: all it held in memory is gone.
        let mut before = app(node.clone(), 1, network.clone());
        let first = before.propose(1, Round::new(0), timeout).await.unwrap().expect("a proposal").value.hash;
        drop(before);
        // A block assembled now would differ (a later timestamp).
        tokio::time::sleep(Duration::from_millis(1100)).await;
        let mut after = app(node.clone(), 1, network);
        let again = after.propose(1, Round::new(0), timeout).await.unwrap().expect("a proposal").value.hash;
        assert_eq!(again, first, "the block it proposed for (1, 0) before the crash, not a second one");
        let next_round = after.propose(1, Round::new(1), timeout).await.unwrap().expect("a proposal").value.hash;
        assert_ne!(next_round, first, "a new round gets a newly assembled block");
        assert_eq!(node.head_number(), 0, "proposing commits nothing");
    }
}
