//! Mosaic's settlement services, between a [`mosaic_node::Node`] and the L1 contracts in `contracts/`:
//! - [`contracts`]: bindings generated from the committed artifacts, deployment ([`deploy`]);
//! - [`watcher`]: follows the L1 bridge queue and hands deposits to the sequencer;
//! - [`producer`]: groups L2 blocks into batches, posts them to `Rollup.commitBatch`, finalizes them;
//! - [`derive`]: rebuilds the L2 chain from L1 calldata alone (full node) and checks every claimed
//!   root (verifier);
//! - [`fallback`]: a full node that builds and posts blocks while the Rollup lets anyone commit;
//! - [`witness`]: a posted batch's witness for the batch guest, from the node's blocks;
//! - [`proofs`]: batch proof files and their status (the background prover's queue);
//! - [`rpc`]: `mosaic_l1Contracts`, `mosaic_getBatch`, `mosaic_rollupStatus`, `mosaic_getWithdrawalProof`.
pub mod contracts;
pub mod cosign;
pub mod derive;
pub mod fallback;
pub mod l1;
pub mod membership;
mod metrics;
pub mod mode;
pub mod producer;
pub mod proofs;
pub mod record;
mod role;
pub mod rpc;
pub mod standard;
#[cfg(feature = "test-utils")]
pub mod testing;
pub mod watcher;
pub mod witness;

pub use contracts::{
    check_deployment, deploy, l2_genesis, predeploys, DeployParams, HybridTerms, L1Contracts, Mode, ProofVerifier,
    DEFAULT_BOND_WEI, DEFAULT_CHALLENGER_BOND_WEI, DEFAULT_CHALLENGE_WINDOW_SECS, DEFAULT_FALLBACK_DELAY_SECS,
    DEFAULT_FREEZE_DELAY_SECS, DEFAULT_INCLUSION_DEADLINE_SECS, DEFAULT_PRODUCER_STAKE_WEI, DEFAULT_PROOF_WINDOW_SECS,
    DEFAULT_SWITCH_DELAY_SECS, DEV_L1_CHAIN_IDS,
};
pub use l1::{L1Client, L1Error};
pub use metrics::RollupMetrics;
/// The consensus-parameter hash a Rollup deployment pins (and every batch journal carries).
pub use mosaic_witness::config_hash;
pub use proofs::{ProofDir, ProofState, ProofStatus};
pub use record::{BatchRecord, BatchStatus};
pub use role::NodeRole;

#[cfg(test)]
mod tests {
    use alloy_primitives::{keccak256, Address, Bytes, B256, U256};
    use mosaic_primitives::{merkle_root, roll_queue_hash, withdrawal_hash, L1Message};

    fn vectors() -> serde_json::Value {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../contracts/test/vectors.json");
        serde_json::from_str(&std::fs::read_to_string(path).expect("vectors.json")).expect("json")
    }

    fn h(v: &serde_json::Value) -> B256 {
        v.as_str().expect("hex").parse().expect("b256")
    }

    /// The batch journal the guest reveals hashes like `Rollup.publicInputsHash` (vector asserted by forge).
    #[test]
    fn journal_matches_the_public_inputs_vector() {
        let v = vectors();
        let p = &v["publicInputs"];
        let journal = mosaic_witness::Journal {
            chain_id: p["l2ChainId"].as_u64().unwrap(),
            config_hash: h(&p["l2ConfigHash"]),
            prev_state_root: h(&p["prevStateRoot"]),
            post_state_root: h(&p["postStateRoot"]),
            prev_block_hash: h(&p["prevBlockHash"]),
            last_block_hash: h(&p["lastBlockHash"]),
            last_block: p["lastBlock"].as_u64().unwrap(),
            batch_data_hash: h(&p["dataHash"]),
            l1_message_cursor: p["l1MessageCursor"].as_u64().unwrap(),
            l1_messages_hash: h(&p["l1MessagesHash"]),
            withdrawals_root: h(&p["withdrawalsRoot"]),
        };
        assert_eq!(journal.hash(), h(&p["publicInputsHash"]));
    }

    /// The Rust hashing matches the Solidity contracts byte for byte (vectors asserted by forge too).
    #[test]
    fn hashes_match_the_contracts_vectors() {
        let v = vectors();
        let m = &v["l1Message"];
        let one_eth = U256::from(10u64).pow(U256::from(18u64));
        let msg = L1Message {
            index: 0,
            token: Address::ZERO,
            from: Address::with_last_byte(1),
            to: Address::with_last_byte(2),
            amount: one_eth,
            transaction: None,
        };
        assert_eq!(msg.hash(), h(&m["msgHash"]));
        assert_eq!(roll_queue_hash(B256::ZERO, msg.hash()), h(&m["rollingHash1"]));
        let f = &v["forcedTransaction"];
        let forced = L1Message::forced(1, Address::with_last_byte(1), Bytes::from_static(&[1, 2, 3, 4]));
        assert_eq!(forced.hash(), h(&f["msgHash"]));
        assert_eq!(roll_queue_hash(h(&m["rollingHash1"]), forced.hash()), h(&f["rollingHash2"]));
        let w = &v["withdrawal"];
        let wh =
            withdrawal_hash(U256::ZERO, Address::with_last_byte(1), Address::with_last_byte(2), Address::ZERO, one_eth);
        assert_eq!(wh, h(&w["withdrawalHash"]));
        let leaves: Vec<B256> = (0u8..3).map(|i| keccak256([i])).collect();
        assert_eq!(merkle_root(&leaves), h(&v["merkle"]["root"]));
        let slot = mosaic_primitives::l2_bridge_balance_slot(&Address::with_last_byte(1), &Address::with_last_byte(2));
        assert_eq!(B256::from(slot.to_be_bytes::<32>()), h(&v["l2BridgeBalanceSlot"]["slot"]));
        assert_eq!(
            mosaic_primitives::l1::withdrawal_initiated_topic(),
            h(&v["eventTopics"]["WithdrawalInitiated"]["topic0"])
        );
    }
}
