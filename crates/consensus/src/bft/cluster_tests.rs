//! Four members in one process, over loopback TCP: every member re-executes and commits the same
//! blocks, a transaction in one member's pool reaches the chain on its turn, and every block is
//! stored with a certificate that more than two thirds of the set signed. A byzantine member — one
//! that proposes blocks with a wrong state root, or signs two votes in every step — gets none of its
//! lies decided, and its equivocation is kept as evidence by the others.
use super::{test_support::*, *};
use crate::{SequencerSet, Sequencing};
use alloy_primitives::{Address, B256, U256};
use malachitebft_app_channel::app::types::{codec::Codec, core::ExtendedCommitCertificate};
use malachitebft_signing::{VerificationResult, Verifier as _};
use malachitebft_signing_ecdsa::{K256Config, PublicKey};
use mosaic_node::{ChainReader, ConsensusView, Node};
use mosaic_primitives::ChainConfig;
use std::time::{Duration, Instant};

const FEE_RECIPIENT: Address = Address::repeat_byte(0xfe);

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// A signed transfer of 1 wei from `signer`, EIP-2718 encoded.
fn transfer(signer: &alloy_signer_local::PrivateKeySigner, nonce: u64) -> (B256, Vec<u8>) {
    use alloy_eips::eip2718::Encodable2718;
    let chain_id = ChainConfig::default().chain_id;
    let signed = mosaic_node::dev::signed_transfer(signer, chain_id, nonce, Address::repeat_byte(0xd0), U256::from(1));
    (*signed.tx_hash(), signed.encoded_2718())
}

/// Four members of one set in this process, each with its own node and database.
struct Cluster {
    set: SequencerSet,
    nodes: Vec<Node>,
    views: Vec<std::sync::Arc<dyn ConsensusView>>,
    members: Vec<tokio::task::JoinHandle<Result<(), crate::SequencingError>>>,
    alice: alloy_signer_local::PrivateKeySigner,
    _dirs: Vec<tempfile::TempDir>,
}

impl Cluster {
    /// Starts four members; member `i` commits `faults(i)`.
    async fn start(faults: impl Fn(usize) -> Faults) -> Self {
        Self::start_with(4, None, faults).await
    }

    /// Starts `n` members, the last of them a candidate when `schedule` is given (which then says who
    /// is in the set when); member `i` commits `faults(i)`.
    async fn start_with(
        n: u8,
        schedule: Option<tokio::sync::watch::Receiver<crate::SetSchedule>>,
        faults: impl Fn(usize) -> Faults,
    ) -> Self {
        let _ = tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
            .with_test_writer()
            .try_init();
        let secrets: Vec<[u8; 32]> = (21..21 + n).map(|i| [i; 32]).collect();
        let mut text = set_file(&secrets, "250ms", FEE_RECIPIENT, |_| free_port());
        if schedule.is_some() {
            // The key lands in the last `[[member]]` table.
            text.push_str("active = false\n");
        }
        let set = SequencerSet::from_toml(&text).unwrap();
        let alice = alloy_signer_local::PrivateKeySigner::from_bytes(&B256::repeat_byte(1)).unwrap();
        let dirs: Vec<_> = secrets.iter().map(|_| tempfile::tempdir().unwrap()).collect();
        let nodes: Vec<Node> = dirs.iter().map(|d| member_node(d.path(), FEE_RECIPIENT, alice.address())).collect();
        let members = secrets
            .iter()
            .zip(&nodes)
            .zip(&dirs)
            .enumerate()
            .map(|(i, ((secret, node), dir))| {
                let config = BftConfig {
                    set: set.clone(),
                    secret: *secret,
                    wal_path: dir.path().join("bft/consensus.wal"),
                    faults: faults(i),
                    schedule: schedule.clone(),
                };
                tokio::spawn(Box::new(Bft { config }).run(node.clone()))
            })
            .collect();
        // Each member hands its node a view for the RPC as it starts.
        let deadline = Instant::now() + Duration::from_secs(30);
        while nodes.iter().any(|n| n.consensus_view().is_none()) {
            assert!(Instant::now() < deadline, "a member did not start");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let views = nodes.iter().map(|n| n.consensus_view().unwrap()).collect();
        Self { set, nodes, views, members, alice, _dirs: dirs }
    }

    /// Waits until `done` holds for every member in `which`, failing if a member stops or 90 s pass.
    async fn wait(&self, which: &[usize], done: impl Fn(&Node) -> bool) {
        let deadline = Instant::now() + Duration::from_secs(90);
        while !which.iter().all(|&i| done(&self.nodes[i])) {
            for &i in which {
                assert!(!self.members[i].is_finished(), "member {i} stopped: {:?}", self.members[i]);
            }
            assert!(
                Instant::now() < deadline,
                "no progress: heads {:?}",
                self.nodes.iter().map(|n| n.head_number()).collect::<Vec<_>>()
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Checks blocks `1..=top` of the members in `which`: one chain, each block with a certificate of a
    /// quorum of the set; returns the certificates.
    fn one_chain(&self, which: &[usize], top: u64) -> Vec<ExtendedCommitCertificate<MosaicContext>> {
        let mut certs = Vec::new();
        for number in 1..=top {
            let block = self.nodes[which[0]].block(number).unwrap().unwrap();
            assert_eq!(block.header.beneficiary, FEE_RECIPIENT);
            for &i in which {
                let n = &self.nodes[i];
                assert_eq!(
                    n.block(number).unwrap().unwrap().hash(),
                    block.hash(),
                    "member {i}, block {number}: a fork"
                );
                let bytes = n.records(CERTIFICATES).get(number).unwrap().expect("a certificate with every block");
                let cert: ExtendedCommitCertificate<MosaicContext> = MosaicCodec.decode(bytes.into()).unwrap();
                assert_eq!((cert.height, cert.value_id), (BftHeight(number), BlockId(block.hash())), "member {i}");
                assert!(
                    cert.commit_signatures.len() >= self.set.quorum(),
                    "member {i}, block {number}: under a quorum"
                );
                for s in &cert.commit_signatures {
                    assert!(self.set.member(&s.address.0).is_some(), "a signer outside the set");
                }
                if i == which[0] {
                    certs.push(cert);
                }
            }
        }
        certs
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        for m in &self.members {
            m.abort();
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn four_members_decide_the_same_blocks_each_with_a_quorum_certificate() {
    let cluster = Cluster::start(|_| Faults::default()).await;
    let nodes = &cluster.nodes;

    // Transactions only in member 1's pool: they reach the chain when it proposes.
    let mut hashes = Vec::new();
    for nonce in 0..4 {
        let (hash, raw) = transfer(&cluster.alice, nonce);
        assert_eq!(nodes[1].submit_raw(&raw).await.unwrap(), hash);
        hashes.push(hash);
    }
    let included = |n: &Node| hashes.iter().all(|h| n.tx_location(h).unwrap().is_some());
    cluster.wait(&[0, 1, 2, 3], |n| n.head_number() >= 6 && included(n)).await;
    let top = nodes.iter().map(|n| n.head_number()).min().unwrap();
    cluster.one_chain(&[0, 1, 2, 3], top);

    // The RPC's view: the set, and the last block decided with its signers.
    let status = cluster.views[2].status();
    assert_eq!(status.members.len(), 4);
    assert_eq!((status.quorum.to::<usize>(), status.me), (3, cluster.set.members[2].address));
    let last = status.last_decided.clone().expect("a decided block");
    assert!(last.height.to::<u64>() >= top && last.signers.len() >= 3, "{last:?}");
    assert!(status.height >= last.height, "{status:?}");
    assert!(cluster.views[2].evidence(0, 10).unwrap().is_empty(), "honest members leave no evidence");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_proposer_that_lies_about_the_state_root_gets_none_of_its_blocks_decided() {
    let cluster = Cluster::start(|i| Faults { invalid_proposals: i == 0, ..Faults::default() }).await;
    // Member 0 proposes at every height ≡ 0 (mod 4) in round 0; the others refuse it and the next
    // round's proposer's block is decided instead.
    cluster.wait(&[0, 1, 2, 3], |n| n.head_number() >= 9).await;
    let top = cluster.nodes.iter().map(|n| n.head_number()).min().unwrap();
    let certs = cluster.one_chain(&[0, 1, 2, 3], top);
    let liar = cluster.set.members[0].address;
    for cert in &certs {
        let (height, round) = (cert.height.0, cert.round.as_u32().unwrap());
        assert_ne!(cluster.set.proposer(height, round).address, liar, "block {height}: the liar's proposal decided");
    }
    assert!(certs.iter().any(|c| c.round.as_u32() > Some(0)), "the liar's rounds were refused and retried");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_member_that_signs_two_votes_per_step_is_recorded_as_evidence_and_forks_nothing() {
    let cluster = Cluster::start(|i| Faults { equivocate_votes: i == 2, ..Faults::default() }).await;
    let cheat = cluster.set.members[2].address;
    let honest = [0, 1, 3];
    cluster.wait(&honest, |n| n.head_number() >= 6).await;
    let deadline = Instant::now() + Duration::from_secs(60);
    while honest.iter().any(|&i| cluster.views[i].evidence(0, 10).unwrap().is_empty()) {
        assert!(Instant::now() < deadline, "no evidence recorded");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let top = honest.iter().map(|&i| cluster.nodes[i].head_number()).min().unwrap();
    cluster.one_chain(&honest, top);
    for i in honest {
        let evidence = cluster.views[i].evidence(0, 100).unwrap();
        assert!(cluster.views[i].status().evidence.to::<usize>() >= evidence.len().min(1));
        for e in &evidence {
            assert_eq!(e.member, cheat, "member {i} blames an honest member: {e:?}");
            assert!(matches!(e.kind.as_str(), "double-prevote" | "double-precommit"), "{e:?}");
            assert_ne!(e.first, e.second);
            // Both messages are the cheat's signed votes for the same height and round.
            for bytes in [&e.first, &e.second] {
                let msg: malachitebft_app_channel::app::types::SignedConsensusMsg<MosaicContext> =
                    MosaicCodec.decode(bytes.to_vec().into()).unwrap();
                let malachitebft_app_channel::app::types::SignedConsensusMsg::Vote(v) = msg else { panic!("a vote") };
                assert_eq!((v.message.voter.0, v.message.height.0), (cheat, e.height.to::<u64>()));
                let key = PublicKey::<K256Config>::from_sec1_bytes(&cluster.set.members[2].public_key).unwrap();
                let verifier = MosaicVerifier { chain_id: cluster.nodes[i].chain_id() };
                let verdict = verifier.verify_signed_vote(&v.message, &v.signature, &key).await.unwrap();
                assert!(matches!(verdict, VerificationResult::Valid), "signed by the cheat");
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_set_changes_at_the_height_whose_parent_is_past_the_scheduled_time() {
    use crate::{MemberChange, SetSchedule};
    // Five members in the mesh: 0–3 from genesis, 4 a candidate. L1 (here a channel) first names the
    // genesis four; later it schedules 4 in and 0 out from time `switch`.
    let (tx, rx) = tokio::sync::watch::channel(SetSchedule::unknown());
    let cluster = Cluster::start_with(5, Some(rx), |_| Faults::default()).await;
    let a: Vec<Address> = cluster.set.members.iter().map(|m| m.address).collect();
    let genesis: Vec<MemberChange> =
        a[..4].iter().map(|&member| MemberChange { member, active: true, effective_at: 0 }).collect();
    // Until L1 shows the set at genesis' time, nobody starts height 1.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert!(cluster.nodes.iter().all(|n| n.head_number() == 0), "a height started on a guess of the set");
    tx.send(SetSchedule::from_l1(genesis.clone(), u64::MAX / 2, 0)).unwrap();
    cluster.wait(&[0, 1, 2, 3, 4], |n| n.head_number() >= 3).await;

    let head = cluster.nodes[1].head_number();
    let switch = cluster.nodes[1].header(head).unwrap().unwrap().timestamp + 3;
    let mut changes = genesis;
    changes.push(MemberChange { member: a[4], active: true, effective_at: switch });
    changes.push(MemberChange { member: a[0], active: false, effective_at: switch });
    tx.send(SetSchedule::from_l1(changes, u64::MAX / 2, 0)).unwrap();
    let past = |n: &Node| n.header(n.head_number()).unwrap().is_some_and(|h| h.timestamp >= switch + 2);
    cluster.wait(&[1, 2, 3, 4], past).await;

    // Members 0 and 1 stop: the old set would be left with two of four (no quorum); the new one has
    // three of four, so the chain goes on.
    cluster.members[0].abort();
    cluster.members[1].abort();
    let top = cluster.nodes[2].head_number();
    cluster.wait(&[2, 3, 4], |n| n.head_number() >= top + 4).await;
    let top = [2, 3, 4].iter().map(|&i| cluster.nodes[i].head_number()).min().unwrap();
    let certs = cluster.one_chain(&[2, 3, 4], top);
    let mut joined = false;
    for cert in &certs {
        let height = cert.height.0;
        let parent_time = cluster.nodes[2].header(height - 1).unwrap().unwrap().timestamp;
        let set: &[Address] = if parent_time >= switch { &a[1..] } else { &a[..4] };
        for s in &cert.commit_signatures {
            assert!(set.contains(&s.address.0), "block {height}: {} signed outside its set {set:?}", s.address.0);
        }
        joined |= cert.commit_signatures.iter().any(|s| s.address.0 == a[4]);
    }
    assert!(joined, "the member that joined signs blocks");
    let status = cluster.views[3].status();
    assert_eq!((status.members.as_slice(), status.quorum.to::<usize>()), (&a[1..], 3), "{status:?}");
}
