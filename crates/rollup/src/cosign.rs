//! The wire form of co-signing (`mosaic_attestBatch`): what the sequencer's producer sends a producer's
//! co-signer process (`mosaic-attester`), and what it gets back.
use crate::contracts::Rollup;
use alloy_primitives::{Address, Bytes, B256};
use serde::{Deserialize, Serialize};

/// The JSON-RPC method a co-signer serves: `(WireHeader, data) → Attestation`.
pub const ATTEST_METHOD: &str = "mosaic_attestBatch";

/// A batch header on the wire (`Rollup.BatchHeader`'s fields, camelCase JSON).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WireHeader {
    /// Batch index.
    pub index: u64,
    /// First L2 block.
    pub first_block: u64,
    /// Last L2 block.
    pub last_block: u64,
    /// L1 messages consumed after the batch.
    pub l1_message_cursor: u64,
    /// State root before.
    pub prev_state_root: B256,
    /// State root after.
    pub post_state_root: B256,
    /// Withdrawals root.
    pub withdrawals_root: B256,
    /// Hash of the last block.
    pub last_block_hash: B256,
}

impl From<&Rollup::BatchHeader> for WireHeader {
    fn from(h: &Rollup::BatchHeader) -> Self {
        Self {
            index: h.index,
            first_block: h.firstBlock,
            last_block: h.lastBlock,
            l1_message_cursor: h.l1MessageCursor,
            prev_state_root: h.prevStateRoot,
            post_state_root: h.postStateRoot,
            withdrawals_root: h.withdrawalsRoot,
            last_block_hash: h.lastBlockHash,
        }
    }
}

impl From<WireHeader> for Rollup::BatchHeader {
    fn from(h: WireHeader) -> Self {
        Self {
            index: h.index,
            firstBlock: h.first_block,
            lastBlock: h.last_block,
            l1MessageCursor: h.l1_message_cursor,
            prevStateRoot: h.prev_state_root,
            postStateRoot: h.post_state_root,
            withdrawalsRoot: h.withdrawals_root,
            lastBlockHash: h.last_block_hash,
        }
    }
}

/// An attestation: who signed, and the 65-byte signature (r ‖ s ‖ v) over the public-inputs hash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Attestation {
    /// The producer's address.
    pub producer: Address,
    /// The signature.
    pub signature: Bytes,
    /// The public-inputs hash it signs (`Rollup.publicInputsHash` once committed).
    pub public_inputs_hash: B256,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_header_crosses_the_wire_unchanged() {
        let h = Rollup::BatchHeader {
            index: 3,
            firstBlock: 10,
            lastBlock: 12,
            l1MessageCursor: 4,
            prevStateRoot: B256::repeat_byte(1),
            postStateRoot: B256::repeat_byte(2),
            withdrawalsRoot: B256::repeat_byte(3),
            lastBlockHash: B256::repeat_byte(4),
        };
        let json = serde_json::to_value(WireHeader::from(&h)).unwrap();
        assert_eq!(json["firstBlock"], 10, "camelCase, as Rollup.BatchHeader spells it");
        let back: WireHeader = serde_json::from_value(json).unwrap();
        assert_eq!(WireHeader::from(&Rollup::BatchHeader::from(back)), WireHeader::from(&h));
        assert_eq!(back.last_block_hash, h.lastBlockHash);
    }
}
