//! The consensus context against the set file's rules, and the signatures members exchange.
use super::*;
use crate::SequencerSet;
use alloy_primitives::{keccak256, B256};
use malachitebft_core_types::{Context, Height, NilOrVal, Round, Validator as _, ValidatorSet as _, VoteType};
use malachitebft_signing::{Signer, Verifier};

fn secret(i: u8) -> [u8; 32] {
    [i; 32]
}

fn set_file(n: u8) -> String {
    let mut s = "block_time = \"1s\"\nfee_recipient = \"0x00000000000000000000000000000000000000fe\"\n".to_string();
    for i in 1..=n {
        let signer = MosaicSigner::new(&secret(i), 7).unwrap();
        let key = k256::ecdsa::VerifyingKey::from_sec1_bytes(&signer.public_key().to_vec()).unwrap();
        s.push_str(&format!(
            "[[member]]\naddress = \"{}\"\npublic_key = \"0x{}\"\np2p = \"/ip4/127.0.0.1/tcp/{}\"\n",
            alloy_primitives::Address::from_public_key(&key),
            alloy_primitives::hex::encode(signer.public_key().to_vec()),
            27000 + u16::from(i)
        ));
    }
    s
}

fn vote(kind: VoteType, height: u64, round: u32, value: Option<B256>, voter: BftAddress) -> Vote {
    let value = value.map_or(NilOrVal::Nil, |h| NilOrVal::Val(BlockId(h)));
    Vote { kind, height: BftHeight(height), round: Round::new(round), value, voter }
}

#[test]
fn heights_are_block_numbers_from_one() {
    assert_eq!((BftHeight::ZERO, BftHeight::INITIAL), (BftHeight(0), BftHeight(1)), "genesis is never decided");
    assert_eq!(BftHeight(5).increment(), BftHeight(6));
    assert_eq!(BftHeight(5).decrement_by(6), None);
    assert_eq!(BftHeight(u64::MAX).increment(), BftHeight(u64::MAX), "saturates instead of wrapping");
}

#[test]
fn the_engine_rotates_proposers_as_the_set_file_says() {
    let file = SequencerSet::from_toml(&set_file(4)).unwrap();
    let set = ValidatorSet::from_set(&file).unwrap();
    assert_eq!((set.count(), set.total_voting_power()), (4, 4), "one vote each");
    let ctx = MosaicContext { chain_id: 7 };
    for height in 1..9 {
        for round in 0..5 {
            let engine = ctx.select_proposer(&set, BftHeight(height), Round::new(round));
            assert_eq!(engine.address().0, file.proposer(height, round).address, "height {height} round {round}");
        }
    }
    let first = &file.members[0];
    let v = set.get_by_address(&BftAddress(first.address)).unwrap();
    assert_eq!(v.public_key().to_vec(), first.public_key.to_vec(), "the file's key, SEC1-compressed");
    assert!(ValidatorSet::new(vec![]).is_none());
    assert!(ValidatorSet::new(vec![v.clone(), v.clone()]).is_none(), "an address twice");
}

#[tokio::test]
async fn votes_and_proposals_verify_only_as_signed() {
    let (a, b) = (MosaicSigner::new(&secret(1), 7).unwrap(), MosaicSigner::new(&secret(2), 7).unwrap());
    let verifier = MosaicVerifier { chain_id: 7 };
    let voter = BftAddress(alloy_primitives::Address::repeat_byte(1));
    let block = keccak256("block");
    let original = vote(VoteType::Precommit, 3, 0, Some(block), voter);
    let signed = a.sign_vote(original.clone()).await.unwrap();
    let ok = |v: &Vote| {
        let v = v.clone();
        let sig = signed.signature.clone();
        let key = a.public_key();
        async move { verifier.verify_signed_vote(&v, &sig, &key).await.unwrap().is_valid() }
    };
    assert!(ok(&original).await);
    // Each field is covered: another kind, height, round, value, nil, voter.
    for changed in [
        vote(VoteType::Prevote, 3, 0, Some(block), voter),
        vote(VoteType::Precommit, 4, 0, Some(block), voter),
        vote(VoteType::Precommit, 3, 1, Some(block), voter),
        vote(VoteType::Precommit, 3, 0, Some(keccak256("other")), voter),
        vote(VoteType::Precommit, 3, 0, None, voter),
        vote(VoteType::Precommit, 3, 0, Some(block), BftAddress(alloy_primitives::Address::repeat_byte(2))),
    ] {
        assert!(!ok(&changed).await, "{changed:?} verified with the signature of {original:?}");
    }
    // Another key, another chain.
    assert!(!verifier.verify_signed_vote(&original, &signed.signature, &b.public_key()).await.unwrap().is_valid());
    let other_chain = MosaicVerifier { chain_id: 8 };
    assert!(!other_chain.verify_signed_vote(&original, &signed.signature, &a.public_key()).await.unwrap().is_valid());

    // A certificate is checked by rebuilding the vote from its parts: the context's constructor must
    // give back the signed bytes.
    let ctx = MosaicContext { chain_id: 7 };
    let rebuilt = ctx.new_precommit(BftHeight(3), Round::new(0), NilOrVal::Val(BlockId(block)), voter);
    assert!(ok(&rebuilt).await);

    let proposal = ctx.new_proposal(BftHeight(3), Round::new(1), BlockValue { hash: block }, Round::Nil, voter);
    let signed = a.sign_proposal(proposal.clone()).await.unwrap();
    assert!(verifier.verify_signed_proposal(&proposal, &signed.signature, &a.public_key()).await.unwrap().is_valid());
    let relocked = Proposal { pol_round: Round::new(0), ..proposal.clone() };
    assert!(!verifier.verify_signed_proposal(&relocked, &signed.signature, &a.public_key()).await.unwrap().is_valid());
    // A proposal's signature is not a vote's, even over the same height and round.
    let as_vote = vote(VoteType::Prevote, 3, 1, Some(block), voter);
    assert!(!verifier.verify_signed_vote(&as_vote, &signed.signature, &a.public_key()).await.unwrap().is_valid());
}

#[tokio::test]
async fn a_validator_proof_binds_the_key_to_a_peer() {
    let a = MosaicSigner::new(&secret(1), 7).unwrap();
    let verifier = MosaicVerifier { chain_id: 7 };
    let proof = a.sign_validator_proof(a.public_key().to_vec(), b"peer-1".to_vec()).await.unwrap();
    assert!(verifier.verify_validator_proof(&proof).await.unwrap().is_valid());
    let mut moved = proof.clone();
    moved.peer_id = b"peer-2".to_vec();
    assert!(!verifier.verify_validator_proof(&moved).await.unwrap().is_valid(), "another peer");
    let mut garbage = proof;
    garbage.public_key = vec![4; 3];
    assert!(!verifier.verify_validator_proof(&garbage).await.unwrap().is_valid(), "no key at all");
}

#[test]
fn timeouts_follow_the_block_time() {
    use std::time::Duration;
    let t = timeouts(Duration::from_secs(1));
    assert_eq!(
        (t.propose, t.prevote, t.precommit),
        (Duration::from_secs(3), Duration::from_secs(1), Duration::from_secs(1))
    );
    let fast = timeouts(Duration::from_millis(250));
    assert_eq!((fast.propose, fast.prevote), (Duration::from_secs(1), Duration::from_millis(500)), "floors");
    assert_eq!(fast.max_timeout, Duration::from_secs(60));
}

#[test]
fn a_member_listens_on_its_address_and_dials_the_others() {
    use malachitebft_app_channel::app::config::NodeConfig;
    let file = SequencerSet::from_toml(&set_file(4)).unwrap();
    let me = file.members[1].address;
    let config = node_config(&file, &me).unwrap();
    assert_eq!(config.consensus().p2p.listen_addr.to_string(), "/ip4/127.0.0.1/tcp/27002");
    let peers: Vec<String> = config.consensus().p2p.persistent_peers.iter().map(|a| a.to_string()).collect();
    assert_eq!(peers, ["/ip4/127.0.0.1/tcp/27001", "/ip4/127.0.0.1/tcp/27003", "/ip4/127.0.0.1/tcp/27004"]);
    let p2p = &config.consensus().p2p;
    assert!(!p2p.discovery.enabled && !p2p.persistent_peers_only, "dials only members; members dial in from any port");
    assert!(config.consensus().p2p.discovery.max_connections_per_ip >= 2 * 3, "all of a devnet's peers share an IP");
    assert_ne!(config.moniker(), node_config(&file, &file.members[0].address).unwrap().moniker());

    let stranger = alloy_primitives::Address::repeat_byte(9);
    assert!(node_config(&file, &stranger).unwrap_err().to_string().contains("not a member"));
    let udp = SequencerSet::from_toml(&set_file(2).replace("/tcp/27001", "/udp/27001")).unwrap();
    let refused = node_config(&udp, &udp.members[1].address).unwrap_err().to_string();
    assert!(refused.contains("no tcp or quic"), "{refused}");
}

/// Encodes `value`, decodes it back, and checks it is unchanged; every strict prefix and one trailing
/// byte must be refused. Returns the encoding.
fn round_trips<T>(value: &T) -> Vec<u8>
where
    T: PartialEq + std::fmt::Debug,
    MosaicCodec: malachitebft_app_channel::app::types::codec::Codec<T>,
{
    use malachitebft_app_channel::app::types::codec::Codec;
    let bytes = MosaicCodec.encode(value).unwrap();
    assert_eq!(&Codec::<T>::decode(&MosaicCodec, bytes.clone()).unwrap(), value);
    for cut in 0..bytes.len() {
        assert!(Codec::<T>::decode(&MosaicCodec, bytes.slice(..cut)).is_err(), "a {cut}-byte prefix of {value:?}");
    }
    let mut longer = bytes.to_vec();
    longer.push(0);
    assert!(Codec::<T>::decode(&MosaicCodec, longer.into()).is_err(), "a trailing byte after {value:?}");
    bytes.to_vec()
}

#[test]
fn the_codec_meets_all_three_of_the_engines_bounds() {
    use malachitebft_app_channel::app::types::codec::{ConsensusCodec, SyncCodec, WalCodec};
    fn engine_accepts<C: ConsensusCodec<MosaicContext> + SyncCodec<MosaicContext> + WalCodec<MosaicContext>>(
        _: C,
    ) -> bool {
        true
    }
    assert!(engine_accepts(MosaicCodec));
}

#[tokio::test]
async fn every_message_the_engine_needs_round_trips() {
    use malachitebft_app_channel::app::{
        consensus::{LivenessMsg, ProposedValue, SignedConsensusMsg},
        streaming::{StreamContent, StreamId, StreamMessage},
        types::{
            core::{
                ExtendedCommitCertificate, ExtendedCommitSignature, PolkaCertificate, PolkaSignature, RoundCertificate,
                RoundCertificateType, RoundSignature, SignedMessage, Validity,
            },
            sync::{RawDecidedValue, Request, Response, Status},
            PeerId,
        },
    };
    let a = MosaicSigner::new(&secret(1), 7).unwrap();
    let me = BftAddress(alloy_primitives::Address::repeat_byte(1));
    let block = keccak256("block");
    let (h, r) = (BftHeight(9), Round::new(2));

    let init = ProposalPart::Init { height: h, round: r, pol_round: Round::Nil, proposer: me, parent_hash: block };
    round_trips(&init);
    round_trips(&ProposalPart::Data(vec![7u8; 300].into()));
    let fin = ProposalPart::Fin { signature: a.sign_bytes(b"stream").to_vec().into() };
    round_trips(&fin);

    let signed_vote = a.sign_vote(vote(VoteType::Prevote, 9, 2, Some(block), me)).await.unwrap();
    let nil_vote = a.sign_vote(vote(VoteType::Precommit, 9, 2, None, me)).await.unwrap();
    let proposal =
        Proposal { height: h, round: r, value: BlockValue { hash: block }, pol_round: Round::new(1), proposer: me };
    let signed_proposal = a.sign_proposal(proposal).await.unwrap();
    round_trips(&SignedConsensusMsg::<MosaicContext>::Vote(signed_vote.clone()));
    round_trips(&SignedConsensusMsg::<MosaicContext>::Vote(nil_vote.clone()));
    round_trips(&SignedConsensusMsg::<MosaicContext>::Proposal(signed_proposal));

    let polka = PolkaCertificate {
        height: h,
        round: r,
        value_id: BlockId(block),
        polka_signatures: vec![PolkaSignature { address: me, signature: signed_vote.signature.clone() }],
    };
    round_trips(&polka);
    let skip = RoundCertificate {
        height: h,
        round: r,
        cert_type: RoundCertificateType::Skip,
        round_signatures: vec![RoundSignature {
            vote_type: VoteType::Precommit,
            value_id: NilOrVal::Nil,
            address: me,
            signature: nil_vote.signature.clone(),
        }],
    };
    round_trips(&LivenessMsg::<MosaicContext>::Vote(signed_vote.clone()));
    round_trips(&LivenessMsg::PolkaCertificate(polka));
    round_trips(&LivenessMsg::SkipRoundCertificate(skip));

    let id = StreamId::new(vec![1, 2, 3].into());
    round_trips(&StreamMessage::new(id.clone(), 0, StreamContent::Data(init)));
    round_trips(&StreamMessage::new(id, 5, StreamContent::<ProposalPart>::Fin));

    let proof = a.sign_validator_proof(a.public_key().to_vec(), b"peer".to_vec()).await.unwrap();
    round_trips(&proof);

    round_trips(&ProposedValue::<MosaicContext> {
        height: h,
        round: r,
        valid_round: Round::Nil,
        proposer: me,
        value: BlockValue { hash: block },
        validity: Validity::Invalid,
    });

    let keypair = malachitebft_app_channel::app::types::Keypair::ed25519_from_bytes([5u8; 32]).unwrap();
    let peer = PeerId::from_bytes(&keypair.public().to_peer_id().to_bytes()).unwrap();
    round_trips(&Status::<MosaicContext> { peer_id: peer, tip_height: h, history_min_height: BftHeight(1) });
    round_trips(&Request::<MosaicContext>::ValueRequest(malachitebft_sync::ValueRequest::new(BftHeight(3)..=h)));
    let commit = ExtendedCommitCertificate {
        height: h,
        round: r,
        value_id: BlockId(block),
        commit_signatures: vec![ExtendedCommitSignature {
            address: me,
            signature: signed_vote.signature.clone(),
            extension: Some(SignedMessage::new((), nil_vote.signature.clone())),
        }],
    };
    let response = Response::<MosaicContext>::ValueResponse(malachitebft_sync::ValueResponse::new(
        h,
        vec![RawDecidedValue::new(vec![0xab; 40].into(), commit)],
    ));
    let bytes = round_trips(&response);
    use malachitebft_app_channel::app::types::codec::HasEncodedLen;
    assert_eq!(MosaicCodec.encoded_len(&response).unwrap(), bytes.len());
}

#[test]
fn hostile_bytes_are_refused_without_panicking_or_allocating() {
    use malachitebft_app_channel::app::{
        consensus::SignedConsensusMsg,
        types::{codec::Codec, sync::Response},
    };
    // A list that claims four billion certificates in a few bytes.
    let mut huge = vec![0u8];
    huge.extend_from_slice(&9u64.to_be_bytes());
    huge.extend_from_slice(&u32::MAX.to_be_bytes());
    assert!(Codec::<Response<MosaicContext>>::decode(&MosaicCodec, huge.into()).is_err());
    // Unknown tags, a round tag out of range, pseudo-random garbage.
    for bytes in [vec![9u8], vec![0, 0, 0, 0, 0, 0, 0, 0, 0, 9], vec![]] {
        assert!(Codec::<SignedConsensusMsg<MosaicContext>>::decode(&MosaicCodec, bytes.into()).is_err());
    }
    for i in 0..256u32 {
        let garbage = keccak256(i.to_be_bytes()).to_vec();
        let _ = Codec::<SignedConsensusMsg<MosaicContext>>::decode(&MosaicCodec, garbage.clone().into());
        let _ = Codec::<ProposalPart>::decode(&MosaicCodec, garbage.into());
    }
}
