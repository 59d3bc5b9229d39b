#![doc = include_str!("../README.md")]
#![cfg_attr(not(feature = "std"), no_std)]
#![warn(missing_docs)]
extern crate alloc;

mod codec;
mod wire;

#[cfg(test)]
mod tests;

use alloc::vec::Vec;
use alloy_consensus::{TxEnvelope, TypedTransaction};
use alloy_eips::eip2718::Eip2718Error;
use alloy_primitives::Address;
use mosaic_primitives::Block;

pub use codec::{decode, encode};

/// Upper bound on the decompressed payload; decoding never inflates past it.
pub const MAX_DECOMPRESSED: usize = 4 << 20;

/// Format variant, the first byte of the posted data.
#[repr(u8)]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Variant {
    /// Hybrid mode: transactions carry their signatures; the reader recovers senders.
    Signed = 1,
    /// zk mode: no signatures or nonces; senders are explicit, nonces implied by state.
    Unsigned = 2,
}

impl Variant {
    /// The variant whose version byte is `byte`, if any.
    pub const fn from_byte(byte: u8) -> Option<Self> {
        match byte {
            1 => Some(Self::Signed),
            2 => Some(Self::Unsigned),
            _ => None,
        }
    }
}

/// One L2 block as it goes into a batch: only what derivation cannot recompute.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BatchBlock {
    /// Block timestamp (seconds).
    pub timestamp: u64,
    /// Number of L1 queue messages the block consumes (they are read from L1, not posted).
    pub l1_message_count: u64,
    /// Transactions in execution order.
    pub transactions: Vec<TxEnvelope>,
    /// Sender of each transaction; needed by [`Variant::Unsigned`], ignored by [`Variant::Signed`].
    pub senders: Vec<Address>,
}

/// A run of consecutive L2 blocks with one beneficiary, the unit posted to L1.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Batch {
    /// Number of the first block; the others follow consecutively.
    pub first_block: u64,
    /// Fee recipient shared by every block of the batch.
    pub beneficiary: Address,
    /// The blocks, in order.
    pub blocks: Vec<BatchBlock>,
}

impl Batch {
    /// Builds a batch from sealed blocks, which must be non-empty, consecutive and share a beneficiary.
    pub fn from_blocks(blocks: &[Block]) -> Result<Self, BatchError> {
        let first = blocks.first().ok_or(BatchError::NoBlocks)?;
        let beneficiary = first.header.beneficiary;
        let mut out = Vec::with_capacity(blocks.len());
        for (i, block) in blocks.iter().enumerate() {
            let number = block.header.number;
            if i > 0 {
                let prev = blocks[i - 1].header.number;
                if prev.checked_add(1) != Some(number) {
                    return Err(BatchError::NonConsecutive { prev, got: number });
                }
            }
            if block.header.beneficiary != beneficiary {
                return Err(BatchError::BeneficiaryMismatch {
                    number,
                    expected: beneficiary,
                    got: block.header.beneficiary,
                });
            }
            if block.senders.len() != block.transactions.len() {
                return Err(BatchError::SenderCountMismatch {
                    number,
                    transactions: block.transactions.len(),
                    senders: block.senders.len(),
                });
            }
            let forced = usize::try_from(block.forced).unwrap_or(usize::MAX);
            if forced > block.transactions.len() {
                return Err(BatchError::ForcedCountMismatch { number, forced: block.forced });
            }
            // Forced transactions come from the L1 queue, which replay reads; only the rest is posted.
            out.push(BatchBlock {
                timestamp: block.header.timestamp,
                l1_message_count: block.l1_messages.len() as u64,
                transactions: block.transactions[forced..].to_vec(),
                senders: block.senders[forced..].to_vec(),
            });
        }
        Ok(Self { first_block: first.header.number, beneficiary, blocks: out })
    }
}

/// A batch as read back from L1 data.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DecodedBatch {
    /// Format variant the data was posted in.
    pub variant: Variant,
    /// Number of the first block.
    pub first_block: u64,
    /// Fee recipient of every block.
    pub beneficiary: Address,
    /// The blocks, in order.
    pub blocks: Vec<DecodedBlock>,
}

/// One decoded block.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DecodedBlock {
    /// Block timestamp (seconds).
    pub timestamp: u64,
    /// Number of L1 queue messages the block consumes.
    pub l1_message_count: u64,
    /// Transactions in execution order.
    pub transactions: Vec<DecodedTx>,
}

/// One decoded transaction.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DecodedTx {
    /// Signed variant: the exact signed transaction (its hash equals the original); the caller recovers the sender.
    Signed(TxEnvelope),
    /// Unsigned variant: the sender and the transaction with nonce 0; the executor sets the nonce from state.
    Unsigned {
        /// Sender, as posted by the producer.
        sender: Address,
        /// The transaction with `nonce = 0`.
        tx: TypedTransaction,
    },
}

/// Why a batch could not be built or decoded.
#[derive(Debug, thiserror::Error)]
pub enum BatchError {
    /// `Batch::from_blocks` got no blocks.
    #[error("a batch needs at least one block")]
    NoBlocks,
    /// A block claims more forced transactions than it has transactions.
    #[error("block {number} claims {forced} forced transactions, more than it has")]
    ForcedCountMismatch {
        /// Number of the offending block.
        number: u64,
        /// The count it claims.
        forced: u64,
    },
    /// Block numbers do not follow each other.
    #[error("non-consecutive blocks: block {got} follows block {prev}")]
    NonConsecutive {
        /// Number of the previous block.
        prev: u64,
        /// Number of the offending block.
        got: u64,
    },
    /// Blocks of one batch must share a beneficiary.
    #[error("block {number} has beneficiary {got}, the batch's is {expected}")]
    BeneficiaryMismatch {
        /// Number of the offending block.
        number: u64,
        /// Beneficiary of the first block.
        expected: Address,
        /// Beneficiary of this block.
        got: Address,
    },
    /// A block lists a different number of senders than transactions.
    #[error("block {number} has {transactions} transactions but {senders} senders")]
    SenderCountMismatch {
        /// Number of the offending block.
        number: u64,
        /// Its transaction count.
        transactions: usize,
        /// Its sender count.
        senders: usize,
    },
    /// The data is empty: not even a version byte.
    #[error("empty batch data: missing version byte")]
    Empty,
    /// The first byte is not a known [`Variant`].
    #[error("unknown batch version byte {0:#04x}")]
    UnknownVersion(u8),
    /// The DEFLATE stream is corrupt or truncated.
    #[error("decompression failed: {0}")]
    Decompression(&'static str),
    /// The payload inflates past [`MAX_DECOMPRESSED`].
    #[error("limit exceeded: decompressed payload is larger than {MAX_DECOMPRESSED} bytes")]
    DecompressedTooLarge,
    /// Bytes follow the end of the DEFLATE stream.
    #[error("{0} trailing bytes after the compressed stream")]
    TrailingCompressed(usize),
    /// Bytes follow the last transaction in the payload.
    #[error("{0} trailing bytes after the payload")]
    TrailingBytes(usize),
    /// The payload ends in the middle of a field.
    #[error("truncated payload: input ends inside {0}")]
    Truncated(&'static str),
    /// A varint encodes more bits than its field holds.
    #[error("varint overflow in {0}")]
    VarintOverflow(&'static str),
    /// A field is not in its one canonical encoding (over-long varint, non-maximal exponent, ...).
    #[error("non-canonical encoding of {0}")]
    NonCanonical(&'static str),
    /// A count or length claims more items than the remaining payload can possibly hold.
    #[error("limit exceeded: {what} count {count} does not fit in the remaining {remaining} payload bytes")]
    CountExceedsInput {
        /// Which count.
        what: &'static str,
        /// The claimed count.
        count: u64,
        /// Payload bytes left when it was read.
        remaining: usize,
    },
    /// A table index points past the end of its table.
    #[error("{table} index {index} out of range: the table has {len} entries")]
    IndexOutOfRange {
        /// Which table.
        table: &'static str,
        /// The index read.
        index: u64,
        /// The table's size.
        len: usize,
    },
    /// A transaction flags byte uses an unknown kind or reserved bits.
    #[error("invalid transaction flags byte {0:#04x}")]
    InvalidFlags(u8),
    /// A fee table entry has an unknown kind.
    #[error("invalid fee table entry kind {0}")]
    InvalidFeeKind(u8),
    /// A transaction references a fee entry of another kind.
    #[error("fee entry {index} is of kind {entry}, the transaction is of kind {tx}")]
    FeeKindMismatch {
        /// The fee table index.
        index: usize,
        /// The entry's kind.
        entry: u8,
        /// The transaction's kind.
        tx: u8,
    },
    /// `mantissa · 10^exp` does not fit in 256 bits.
    #[error("value overflows 256 bits (exponent {0})")]
    ValueOverflow(u8),
    /// `first_block + n_blocks` overflows `u64`.
    #[error("block numbers overflow u64: first block {first}, {count} blocks")]
    BlockNumberOverflow {
        /// First block number.
        first: u64,
        /// Block count.
        count: u64,
    },
    /// A raw-fallback transaction's EIP-2718 bytes do not decode.
    #[error("invalid raw transaction: {0}")]
    RawTransaction(Eip2718Error),
}
