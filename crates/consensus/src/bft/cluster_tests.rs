//! Four members in one process, over loopback TCP: every member re-executes and commits the same
//! blocks, a transaction in one member's pool reaches the chain on its turn, and every block is
//! stored with a certificate that more than two thirds of the set signed.
use super::{test_support::*, *};
use crate::{SequencerSet, Sequencing};
use alloy_primitives::{Address, B256, U256};
use malachitebft_app_channel::app::types::{codec::Codec, core::ExtendedCommitCertificate};
use mosaic_node::{ChainReader, Node};
use mosaic_primitives::ChainConfig;
use std::time::{Duration, Instant};

const FEE_RECIPIENT: Address = Address::repeat_byte(0xfe);

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// A signed transfer of 1 wei from `signer`, EIP-2718 encoded.
fn transfer(signer: &alloy_signer_local::PrivateKeySigner, nonce: u64) -> (B256, Vec<u8>) {
    use alloy_consensus::SignableTransaction;
    use alloy_eips::eip2718::Encodable2718;
    use alloy_signer::SignerSync;
    let tx = alloy_consensus::TxEip1559 {
        chain_id: ChainConfig::default().chain_id,
        nonce,
        gas_limit: 21_000,
        max_fee_per_gas: 10_000_000_000,
        max_priority_fee_per_gas: 1_000_000,
        to: alloy_primitives::TxKind::Call(Address::repeat_byte(0xd0)),
        value: U256::from(1),
        access_list: Default::default(),
        input: Default::default(),
    };
    let signature = signer.sign_hash_sync(&tx.signature_hash()).unwrap();
    let signed: alloy_consensus::TxEnvelope = tx.into_signed(signature).into();
    (*signed.tx_hash(), signed.encoded_2718())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn four_members_decide_the_same_blocks_each_with_a_quorum_certificate() {
    let _ = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .with_test_writer()
        .try_init();
    let secrets: Vec<[u8; 32]> = (21..25).map(|i| [i; 32]).collect();
    let set = SequencerSet::from_toml(&set_file(&secrets, "250ms", FEE_RECIPIENT, |_| free_port())).unwrap();
    let alice = alloy_signer_local::PrivateKeySigner::from_bytes(&B256::repeat_byte(1)).unwrap();
    let dirs: Vec<_> = secrets.iter().map(|_| tempfile::tempdir().unwrap()).collect();
    let nodes: Vec<Node> = dirs.iter().map(|d| member_node(d.path(), FEE_RECIPIENT, alice.address())).collect();
    let members: Vec<_> = secrets
        .iter()
        .zip(&nodes)
        .zip(&dirs)
        .map(|((secret, node), dir)| {
            let config =
                BftConfig { set: set.clone(), secret: *secret, wal_path: dir.path().join("bft/consensus.wal") };
            tokio::spawn(Box::new(Bft { config }).run(node.clone()))
        })
        .collect();

    // Transactions only in member 1's pool: they reach the chain when it proposes.
    let mut hashes = Vec::new();
    for nonce in 0..4 {
        let (hash, raw) = transfer(&alice, nonce);
        assert_eq!(nodes[1].submit_raw(&raw).await.unwrap(), hash);
        hashes.push(hash);
    }
    let deadline = Instant::now() + Duration::from_secs(90);
    let included = |n: &Node| hashes.iter().all(|h| n.tx_location(h).unwrap().is_some());
    while !nodes.iter().all(|n| n.head_number() >= 6 && included(n)) {
        for m in &members {
            assert!(!m.is_finished(), "a member stopped: {m:?}");
        }
        assert!(
            Instant::now() < deadline,
            "no progress: heads {:?}",
            nodes.iter().map(|n| n.head_number()).collect::<Vec<_>>()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    let top = nodes.iter().map(|n| n.head_number()).min().unwrap();
    for number in 1..=top {
        let block = nodes[0].block(number).unwrap().unwrap();
        assert_eq!(block.header.beneficiary, FEE_RECIPIENT);
        for (i, n) in nodes.iter().enumerate() {
            assert_eq!(n.block(number).unwrap().unwrap().hash(), block.hash(), "member {i}, block {number}: a fork");
            let bytes = n.records(CERTIFICATES).get(number).unwrap().expect("a certificate with every block");
            let cert: ExtendedCommitCertificate<MosaicContext> = MosaicCodec.decode(bytes.into()).unwrap();
            assert_eq!((cert.height, cert.value_id), (BftHeight(number), BlockId(block.hash())), "member {i}");
            assert!(cert.commit_signatures.len() >= set.quorum(), "member {i}, block {number}: under a quorum");
            for s in &cert.commit_signatures {
                assert!(set.member(&s.address.0).is_some(), "a signer outside the set");
            }
        }
    }
    for m in members {
        m.abort();
    }
}
