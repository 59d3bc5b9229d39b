//! L2 blocks as stored and served: an Ethereum header (whose `state_root` is the SHA-256 sparse
//! Merkle root of the whole state) plus the ordered transactions and their recovered senders.
use alloc::vec::Vec;
use alloy_consensus::{Header, ReceiptEnvelope, TxEnvelope};
use alloy_primitives::{Address, B256};
use alloy_rlp::{BufMut, Decodable, Encodable};

/// A sealed L2 block. Its RLP is `[header, transactions, senders, l1_messages]`, with `forced` appended
/// when it is not zero: blocks (and a sequencer set's stored proposals) from before forced transactions
/// existed still decode, and nodes agree on the bytes of blocks without any.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Block {
    /// Ethereum-shaped header; `state_root` is the Mosaic state tree root.
    pub header: Header,
    /// Transactions in execution order: first the forced transactions of `l1_messages` that ran, then
    /// the sequencer's.
    pub transactions: Vec<TxEnvelope>,
    /// Recovered signer of each transaction (same order), so readers never recover twice.
    pub senders: Vec<Address>,
    /// L1 messages (deposits and forced transactions) applied before the sequencer's transactions, in
    /// queue order.
    pub l1_messages: Vec<crate::L1Message>,
    /// How many of `transactions` (the first ones) are forced L1 messages that ran. A batch does not
    /// post them: replay runs them again from the L1 queue.
    pub forced: u64,
}

impl Block {
    fn payload_length(&self) -> usize {
        let forced = if self.forced == 0 { 0 } else { self.forced.length() };
        self.header.length() + self.transactions.length() + self.senders.length() + self.l1_messages.length() + forced
    }
}

impl Encodable for Block {
    fn encode(&self, out: &mut dyn BufMut) {
        alloy_rlp::Header { list: true, payload_length: self.payload_length() }.encode(out);
        self.header.encode(out);
        self.transactions.encode(out);
        self.senders.encode(out);
        self.l1_messages.encode(out);
        if self.forced != 0 {
            self.forced.encode(out);
        }
    }

    fn length(&self) -> usize {
        let payload = self.payload_length();
        payload + alloy_rlp::length_of_length(payload)
    }
}

impl Decodable for Block {
    fn decode(buf: &mut &[u8]) -> alloy_rlp::Result<Self> {
        let header = alloy_rlp::Header::decode(buf)?;
        if !header.list {
            return Err(alloy_rlp::Error::UnexpectedString);
        }
        let (mut body, rest) = buf.split_at_checked(header.payload_length).ok_or(alloy_rlp::Error::InputTooShort)?;
        let block = Self {
            header: Header::decode(&mut body)?,
            transactions: Vec::decode(&mut body)?,
            senders: Vec::decode(&mut body)?,
            l1_messages: Vec::decode(&mut body)?,
            forced: if body.is_empty() { 0 } else { u64::decode(&mut body)? },
        };
        // One encoding per block: a zero count is left out, never written, and no field takes another
        // form that decodes alike (an L1 message's trailing field written as an empty string).
        if header.payload_length != block.payload_length() {
            return Err(alloy_rlp::Error::Custom("block: not the canonical encoding"));
        }
        if !body.is_empty() {
            return Err(alloy_rlp::Error::Custom("block: unexpected field after the forced count"));
        }
        *buf = rest;
        Ok(block)
    }
}

impl Block {
    /// The transactions the sequencer chose (those after the forced ones), with their senders.
    pub fn sequenced(&self) -> impl Iterator<Item = (&TxEnvelope, &Address)> {
        let skip = usize::try_from(self.forced).unwrap_or(usize::MAX);
        self.transactions.iter().zip(&self.senders).skip(skip)
    }
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
            forced: 0,
        };
        assert_eq!(Block::from_bytes(&block.to_bytes()).unwrap(), block);
        // A block with forced transactions carries their count; one without is encoded as before it.
        let forced = Block { forced: 2, ..block.clone() };
        assert_eq!(Block::from_bytes(&forced.to_bytes()).unwrap(), forced);
        let mut before = Vec::new();
        alloy_rlp::encode_list::<_, dyn Encodable>(
            &[&block.header as &dyn Encodable, &block.transactions, &block.senders, &block.l1_messages],
            &mut before,
        );
        assert_eq!(block.to_bytes(), before);
        let mut explicit_zero = Vec::new();
        alloy_rlp::encode_list::<_, dyn Encodable>(
            &[&block.header as &dyn Encodable, &block.transactions, &block.senders, &block.l1_messages, &0u64],
            &mut explicit_zero,
        );
        assert!(Block::from_bytes(&explicit_zero).is_err(), "a second encoding of the same block");
        // Nor with a forced count and an L1 message whose absent transaction is written as an empty string.
        #[derive(alloy_rlp::RlpEncodable)]
        struct LongDeposit {
            index: u64,
            token: Address,
            from: Address,
            to: Address,
            amount: alloy_primitives::U256,
            transaction: alloy_primitives::Bytes,
        }
        let deposit = crate::L1Message::deposit(0, Address::ZERO, Address::ZERO, Address::ZERO, Default::default());
        let long = LongDeposit {
            index: 0,
            token: Address::ZERO,
            from: Address::ZERO,
            to: Address::ZERO,
            amount: Default::default(),
            transaction: Default::default(),
        };
        let with = Block { l1_messages: alloc::vec![deposit], forced: 1, ..block.clone() };
        assert_eq!(Block::from_bytes(&with.to_bytes()).unwrap(), with);
        let mut other = Vec::new();
        alloy_rlp::encode_list::<_, dyn Encodable>(
            &[&block.header as &dyn Encodable, &block.transactions, &block.senders, &alloc::vec![long], &1u64],
            &mut other,
        );
        assert!(Block::from_bytes(&other).is_err(), "a second encoding of a block with forced transactions");
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
