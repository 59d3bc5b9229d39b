//! The co-signer on a real L1 (anvil, with the Rollup of the committed SNARK fixture's chain) and batch 1
//! of the sample chain: it signs exactly the journal the batch's data produces — the one the SNARK
//! fixture proves — and refuses a batch whose claims its data does not produce, one that is not next on
//! L1, and, asked too early, says it is not synced yet; as a set member it never signs blocks it has
//! not decided.
use super::*;
use alloy::providers::Provider;
use alloy_primitives::B256;
use mosaic_rollup::{
    testing::{
        b256, deploy_fixture_rollup, fixture_batch, fixture_data, fixture_header, sample_node, Anvil, ANVIL_KEYS,
    },
    HybridTerms, Mode,
};
use std::time::Duration;

#[tokio::test(flavor = "multi_thread")]
async fn signs_the_journal_its_data_produces_and_refuses_anything_else() {
    let anvil = Anvil::start();
    let owner: PrivateKeySigner = ANVIL_KEYS[0].parse().unwrap();
    let l1 = L1Client::new(&anvil.url, owner.clone(), 0).unwrap();
    for _ in 0..240 {
        if l1.provider().get_block_number().await.is_ok() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    let contracts = deploy_fixture_rollup(&l1, Mode::Hybrid, HybridTerms::default(), owner.address()).await;
    let dir = tempfile::tempdir().unwrap();
    let node = sample_node(dir.path());
    let key: PrivateKeySigner = ANVIL_KEYS[1].parse().unwrap();
    let reader = || L1Client::new(&anvil.url, key.clone(), 0).unwrap();
    let attester = Attester::new(node.clone(), reader(), &contracts, key.clone());
    let batch = fixture_batch();
    let (header, data) = (fixture_header(&batch), fixture_data(&batch));

    let signed = attester.attest(header.clone(), data.clone()).await.expect("the true batch is attested");
    assert_eq!(signed.producer, key.address());
    assert_eq!(signed.public_inputs_hash, b256(&batch["journalHash"]), "the journal the SNARK fixture proves");
    let signature = alloy_primitives::Signature::try_from(signed.signature.as_ref()).unwrap();
    let by = signature.recover_address_from_msg(signed.public_inputs_hash.as_slice()).unwrap();
    assert_eq!(by, key.address(), "an EIP-191 signature of the public-inputs hash by the producer key");

    // Each claim its data does not produce is named in the refusal.
    let lies = [
        (
            Rollup::BatchHeader { postStateRoot: keccak256("not what the data produces"), ..header.clone() },
            "post-state root",
        ),
        (Rollup::BatchHeader { withdrawalsRoot: B256::repeat_byte(7), ..header.clone() }, "withdrawals root"),
        (Rollup::BatchHeader { lastBlockHash: B256::repeat_byte(8), ..header.clone() }, "last block hash"),
        (Rollup::BatchHeader { prevStateRoot: B256::repeat_byte(9), ..header.clone() }, "starts from state root"),
        (Rollup::BatchHeader { index: 2, ..header.clone() }, "not the next one"),
    ];
    for (lie, why) in lies {
        match attester.attest(lie, data.clone()).await {
            Err(AttestError::Refused(m)) => assert!(m.contains(why), "{why}: {m}"),
            other => panic!("{why}: {other:?}"),
        }
    }
    let mut garbled = data.to_vec();
    let last = garbled.len() - 1;
    garbled[last] ^= 0xff;
    assert!(matches!(attester.attest(header.clone(), garbled.into()).await, Err(AttestError::Refused(_))));
    // A batch past this node's head: not a refusal, ask again later.
    let ahead = Rollup::BatchHeader { firstBlock: 2, lastBlock: 2, ..header.clone() };
    assert!(matches!(attester.attest(ahead, data.clone()).await, Err(AttestError::NotSynced(_))));

    // A set member signs only blocks it decided: this node has none.
    let member =
        Attester::with_check(Check::Decided { certificates: "bft_certificates" }, node, reader(), &contracts, key);
    match member.attest(header, data).await {
        Err(AttestError::NotSynced(m)) => assert!(m.contains("decided up to block 0"), "{m}"),
        other => panic!("an undecided batch: {other:?}"),
    }
}
