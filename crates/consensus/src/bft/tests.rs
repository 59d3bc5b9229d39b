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
    assert!(config.consensus().p2p.persistent_peers_only);
    assert!(config.consensus().p2p.discovery.max_connections_per_ip >= 2 * 3, "all of a devnet's peers share an IP");
    assert_ne!(config.moniker(), node_config(&file, &file.members[0].address).unwrap().moniker());

    let stranger = alloy_primitives::Address::repeat_byte(9);
    assert!(node_config(&file, &stranger).unwrap_err().to_string().contains("not a member"));
    let udp = SequencerSet::from_toml(&set_file(2).replace("/tcp/27001", "/udp/27001")).unwrap();
    let refused = node_config(&udp, &udp.members[1].address).unwrap_err().to_string();
    assert!(refused.contains("no tcp or quic"), "{refused}");
}
