//! L2 blocks as stored and served: an Ethereum header (whose `state_root` is the SHA-256 sparse
//! Merkle root of the whole state) plus the ordered transactions and their recovered senders.
use alloc::vec::Vec;
use alloy_consensus::{Header, ReceiptEnvelope, TxEnvelope};
use alloy_primitives::{Address, B256};
use alloy_rlp::{Decodable, Encodable, RlpDecodable, RlpEncodable};

/// A sealed L2 block.
#[derive(Clone, Debug, PartialEq, Eq, RlpEncodable, RlpDecodable)]
pub struct Block {
    /// Ethereum-shaped header; `state_root` is the Mosaic state tree root.
    pub header: Header,
    /// Transactions in execution order.
    pub transactions: Vec<TxEnvelope>,
    /// Recovered signer of each transaction (same order), so readers never recover twice.
    pub senders: Vec<Address>,
    /// L1 deposits applied before the transactions, in queue order.
    pub l1_messages: Vec<crate::L1Message>,
}

/// A stored value could not be decoded.
#[derive(Debug)]
pub struct DecodeError(pub alloy_rlp::Error);

impl core::fmt::Display for DecodeError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "corrupt stored value: {}", self.0)
    }
}

impl Block {
    /// Block hash: keccak256 of the RLP header, exactly as on Ethereum.
    pub fn hash(&self) -> B256 {
        self.header.hash_slow()
    }

    /// RLP bytes used for storage.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.length());
        self.encode(&mut out);
        out
    }

    /// Inverse of [`Block::to_bytes`].
    pub fn from_bytes(mut bytes: &[u8]) -> Result<Self, DecodeError> {
        Self::decode(&mut bytes).map_err(DecodeError)
    }
}

/// RLP bytes of a block's receipt list, used for storage.
pub fn encode_receipts(receipts: &[ReceiptEnvelope]) -> Vec<u8> {
    let mut out = Vec::new();
    alloy_rlp::encode_list(receipts, &mut out);
    out
}

/// Inverse of [`encode_receipts`].
pub fn decode_receipts(mut bytes: &[u8]) -> Result<Vec<ReceiptEnvelope>, DecodeError> {
    Vec::<ReceiptEnvelope>::decode(&mut bytes).map_err(DecodeError)
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy_consensus::{Receipt, ReceiptWithBloom};
    use alloy_primitives::{Log, LogData};

    #[test]
    fn block_and_receipts_roundtrip() {
        let block = Block {
            header: Header { number: 5, gas_limit: 30_000_000, ..Default::default() },
            transactions: Vec::new(),
            senders: Vec::new(),
            l1_messages: Vec::new(),
        };
        assert_eq!(Block::from_bytes(&block.to_bytes()).unwrap(), block);
        let receipt = Receipt {
            status: true.into(),
            cumulative_gas_used: 21_000,
            logs: alloc::vec![Log {
                address: Address::ZERO,
                data: LogData::new_unchecked(alloc::vec![B256::ZERO], alloc::vec![1u8].into())
            }],
        };
        let rs = alloc::vec![ReceiptEnvelope::Eip1559(ReceiptWithBloom::from(receipt))];
        assert_eq!(decode_receipts(&encode_receipts(&rs)).unwrap(), rs);
        assert!(Block::from_bytes(&[0xc1, 0x80]).is_err());
    }
}
