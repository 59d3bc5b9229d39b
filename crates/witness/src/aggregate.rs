//! The journal of an aggregation proof: K consecutive batch proofs folded into one statement. The
//! aggregation guest verifies each batch STARK, checks that the batches chain ([`AggregateJournal::fold`])
//! and reveals keccak256 of this journal; the host computes the same value natively.
use crate::journal::Journal;
use alloc::vec::Vec;
use alloy_primitives::{keccak256, B256};

/// Length of [`AggregateJournal::encode`]: four `uint64` and eight `bytes32`.
pub const AGGREGATE_JOURNAL_LEN: usize = 4 * 8 + 8 * 32;

/// What an aggregation proof states: "`batches` consecutive batches, each proven by the batch program
/// `batch_program`, take the chain from block `prev_block_hash` (state `prev_state_root`) to block
/// `last_block_hash` (state `post_state_root`), consuming the L1 queue up to `l1_message_cursor`; their
/// journals hash to `journals_hash`".
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct AggregateJournal {
    /// keccak256 of the batch program's `app_exe_commit ‖ app_vm_commit` (each 8 BabyBear limbs, u32
    /// little-endian: the form the verify-stark circuit outputs). The verifier pins it.
    pub batch_program: B256,
    /// How many batch proofs were aggregated (≥ 1).
    pub batches: u64,
    /// L2 chain id (the same in every batch).
    pub chain_id: u64,
    /// Consensus parameters hash (the same in every batch).
    pub config_hash: B256,
    /// State root before the first batch.
    pub prev_state_root: B256,
    /// State root after the last batch.
    pub post_state_root: B256,
    /// Block the first batch builds on.
    pub prev_block_hash: B256,
    /// Last block of the last batch.
    pub last_block_hash: B256,
    /// Its number.
    pub last_block: u64,
    /// The L1 queue cursor after the last batch.
    pub l1_message_cursor: u64,
    /// The queue's rolling hash at that cursor.
    pub l1_messages_hash: B256,
    /// keccak256 of the batches' journal hashes, in order: binds every batch's data hash and
    /// withdrawals root (L1 recomputes it from its batch records).
    pub journals_hash: B256,
}

/// Why batch journals cannot be aggregated.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum AggregateError {
    /// Nothing to aggregate.
    #[error("no batch to aggregate")]
    Empty,
    /// Batch `index` (0-based) belongs to another chain or other consensus parameters.
    #[error("batch {0} is of another chain or configuration")]
    Chain(usize),
    /// Batch `index` does not start where the one before it ended (state root or block).
    #[error("batch {0} does not start where the batch before it ended")]
    Gap(usize),
    /// Batch `index` rewinds the L1 queue, or reaches the same cursor with another queue.
    #[error("batch {0} breaks the L1 message queue")]
    Queue(usize),
}

impl AggregateJournal {
    /// Folds the journals of consecutive batches proven by `batch_program` into one, checking that each
    /// batch starts at the block and state its predecessor ended with, and that the L1 queue only moves
    /// forward and agrees where it stands still.
    pub fn fold(batch_program: B256, journals: &[Journal]) -> Result<Self, AggregateError> {
        let (first, last) = match journals {
            [] => return Err(AggregateError::Empty),
            [first, .., last] => (first, last),
            [only] => (only, only),
        };
        for (i, pair) in journals.windows(2).enumerate() {
            let (a, b) = (&pair[0], &pair[1]);
            if b.chain_id != a.chain_id || b.config_hash != a.config_hash {
                return Err(AggregateError::Chain(i + 1));
            }
            // The previous block's hash commits to its number and its L1 cursor (header extraData), so
            // this also chains the block numbers and the queue position each batch starts from.
            if b.prev_state_root != a.post_state_root || b.prev_block_hash != a.last_block_hash {
                return Err(AggregateError::Gap(i + 1));
            }
            if b.l1_message_cursor < a.l1_message_cursor
                || (b.l1_message_cursor == a.l1_message_cursor && b.l1_messages_hash != a.l1_messages_hash)
            {
                return Err(AggregateError::Queue(i + 1));
            }
        }
        let mut hashes = Vec::with_capacity(journals.len() * 32);
        for j in journals {
            hashes.extend_from_slice(j.hash().as_slice());
        }
        Ok(Self {
            batch_program,
            batches: journals.len() as u64,
            chain_id: first.chain_id,
            config_hash: first.config_hash,
            prev_state_root: first.prev_state_root,
            post_state_root: last.post_state_root,
            prev_block_hash: first.prev_block_hash,
            last_block_hash: last.last_block_hash,
            last_block: last.last_block,
            l1_message_cursor: last.l1_message_cursor,
            l1_messages_hash: last.l1_messages_hash,
            journals_hash: keccak256(&hashes),
        })
    }

    /// `abi.encodePacked(batchProgram, batches, chainId, configHash, prevStateRoot, postStateRoot,
    /// prevBlockHash, lastBlockHash, lastBlock, l1MessageCursor, l1MessagesHash, journalsHash)`.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(AGGREGATE_JOURNAL_LEN);
        out.extend_from_slice(self.batch_program.as_slice());
        out.extend_from_slice(&self.batches.to_be_bytes());
        out.extend_from_slice(&self.chain_id.to_be_bytes());
        for h in
            [self.config_hash, self.prev_state_root, self.post_state_root, self.prev_block_hash, self.last_block_hash]
        {
            out.extend_from_slice(h.as_slice());
        }
        out.extend_from_slice(&self.last_block.to_be_bytes());
        out.extend_from_slice(&self.l1_message_cursor.to_be_bytes());
        out.extend_from_slice(self.l1_messages_hash.as_slice());
        out.extend_from_slice(self.journals_hash.as_slice());
        out
    }

    /// Parses [`AggregateJournal::encode`]'s output; `None` unless it is exactly that long.
    pub fn decode(bytes: &[u8]) -> Option<Self> {
        if bytes.len() != AGGREGATE_JOURNAL_LEN {
            return None;
        }
        let n = |at: usize| u64::from_be_bytes([0, 1, 2, 3, 4, 5, 6, 7].map(|i| bytes[at + i]));
        let h = |at: usize| B256::from_slice(&bytes[at..at + 32]);
        Some(Self {
            batch_program: h(0),
            batches: n(32),
            chain_id: n(40),
            config_hash: h(48),
            prev_state_root: h(80),
            post_state_root: h(112),
            prev_block_hash: h(144),
            last_block_hash: h(176),
            last_block: n(208),
            l1_message_cursor: n(216),
            l1_messages_hash: h(224),
            journals_hash: h(256),
        })
    }

    /// keccak256 of [`AggregateJournal::encode`]: the aggregation guest's public value.
    pub fn hash(&self) -> B256 {
        keccak256(self.encode())
    }
}

/// The aggregation guest's input: for each batch proof, the verify-stark input commit (32 bytes) and
/// the batch's 280-byte journal, concatenated.
pub const AGGREGATE_ENTRY_LEN: usize = 32 + crate::journal::JOURNAL_LEN;

#[cfg(test)]
mod tests {
    use super::*;

    fn chain(n: usize) -> Vec<Journal> {
        let mut out: Vec<Journal> = Vec::new();
        for i in 0..n {
            let prev = out.last().copied().unwrap_or(Journal {
                chain_id: 424242,
                config_hash: B256::repeat_byte(0xc0),
                post_state_root: B256::repeat_byte(0x10),
                last_block_hash: B256::repeat_byte(0x20),
                last_block: 0,
                l1_message_cursor: 0,
                l1_messages_hash: B256::ZERO,
                ..Default::default()
            });
            out.push(Journal {
                chain_id: prev.chain_id,
                config_hash: prev.config_hash,
                prev_state_root: prev.post_state_root,
                post_state_root: B256::repeat_byte(0x11 + i as u8),
                prev_block_hash: prev.last_block_hash,
                last_block_hash: B256::repeat_byte(0x21 + i as u8),
                last_block: prev.last_block + 3,
                batch_data_hash: B256::repeat_byte(0x31 + i as u8),
                l1_message_cursor: prev.l1_message_cursor + (i as u64 % 2),
                l1_messages_hash: if i % 2 == 1 { B256::repeat_byte(0x41 + i as u8) } else { prev.l1_messages_hash },
                withdrawals_root: B256::repeat_byte(0x51 + i as u8),
            });
        }
        out
    }

    #[test]
    fn folds_consecutive_batches_and_round_trips() {
        let js = chain(3);
        let program = B256::repeat_byte(0xaa);
        let agg = AggregateJournal::fold(program, &js).unwrap();
        assert_eq!(agg.batches, 3);
        assert_eq!((agg.prev_state_root, agg.prev_block_hash), (js[0].prev_state_root, js[0].prev_block_hash));
        assert_eq!((agg.post_state_root, agg.last_block_hash), (js[2].post_state_root, js[2].last_block_hash));
        assert_eq!((agg.last_block, agg.l1_message_cursor), (js[2].last_block, js[2].l1_message_cursor));
        let hashes: Vec<u8> = js.iter().flat_map(|j| j.hash().0).collect();
        assert_eq!(agg.journals_hash, keccak256(hashes));
        let bytes = agg.encode();
        assert_eq!(bytes.len(), AGGREGATE_JOURNAL_LEN);
        assert_eq!(AggregateJournal::decode(&bytes), Some(agg));
        assert_eq!(AggregateJournal::decode(&bytes[1..]), None);
        // One batch aggregates to its own span.
        let one = AggregateJournal::fold(program, &js[..1]).unwrap();
        assert_eq!((one.batches, one.post_state_root), (1, js[0].post_state_root));
        // Another batch program gives another statement.
        assert_ne!(AggregateJournal::fold(B256::ZERO, &js).unwrap().hash(), agg.hash());
    }

    #[test]
    fn refuses_batches_that_do_not_chain() {
        let program = B256::repeat_byte(0xaa);
        assert_eq!(AggregateJournal::fold(program, &[]), Err(AggregateError::Empty));
        let js = chain(3);
        type Breakage = (&'static str, fn(&mut Journal), AggregateError);
        let broken: [Breakage; 6] = [
            ("state root", |j| j.prev_state_root = B256::repeat_byte(1), AggregateError::Gap(2)),
            ("block hash", |j| j.prev_block_hash = B256::repeat_byte(1), AggregateError::Gap(2)),
            ("chain id", |j| j.chain_id += 1, AggregateError::Chain(2)),
            ("config", |j| j.config_hash = B256::ZERO, AggregateError::Chain(2)),
            ("queue rewound", |j| j.l1_message_cursor = 0, AggregateError::Queue(2)),
            ("same cursor, other queue", |j| j.l1_messages_hash = B256::repeat_byte(9), AggregateError::Queue(2)),
        ];
        for (what, change, expected) in broken {
            let mut bad = js.clone();
            change(&mut bad[2]);
            assert_eq!(AggregateJournal::fold(program, &bad), Err(expected), "{what}");
        }
        // Out of order.
        assert_eq!(AggregateJournal::fold(program, &[js[1], js[0]]), Err(AggregateError::Gap(1)));
    }
}
