//! The journal: the public output of a batch proof, laid out as Solidity's `abi.encodePacked` of its
//! fields so the L1 can hash and compare it field by field.
use alloc::vec::Vec;
use alloy_primitives::{keccak256, B256};
use mosaic_primitives::ChainConfig;

/// Length of [`Journal::encode`]: three `uint64` and eight `bytes32`.
pub const JOURNAL_LEN: usize = 3 * 8 + 8 * 32;

/// What a batch proof states: "executing the batch whose calldata hashes to `batch_data_hash` on top of
/// block `prev_block_hash` (state `prev_state_root`), consuming the L1 queue up to `l1_message_cursor`,
/// yields block `last_block_hash` with state `post_state_root` and these withdrawals".
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Journal {
    /// L2 chain id.
    pub chain_id: u64,
    /// [`config_hash`] of every other consensus parameter (gas limit, fee rules).
    pub config_hash: B256,
    /// State root before the batch (the parent block's).
    pub prev_state_root: B256,
    /// State root after the batch's last block.
    pub post_state_root: B256,
    /// Hash of the block the batch builds on: binds the starting L1 cursor, base fee and numbering.
    pub prev_block_hash: B256,
    /// Hash of the batch's last block.
    pub last_block_hash: B256,
    /// Number of the batch's last block.
    pub last_block: u64,
    /// keccak256 of the batch data exactly as posted in calldata.
    pub batch_data_hash: B256,
    /// Index of the next L1 message after the batch (= messages consumed so far).
    pub l1_message_cursor: u64,
    /// Rolling hash of the L1 queue up to that cursor (the bridge's `rollingHash(cursor)`).
    pub l1_messages_hash: B256,
    /// Merkle root of the batch's withdrawals (what `Bridge.claimWithdrawal` proves against).
    pub withdrawals_root: B256,
}

impl Journal {
    /// `abi.encodePacked(chainId, configHash, prevStateRoot, postStateRoot, prevBlockHash,
    /// lastBlockHash, lastBlock, batchDataHash, l1MessageCursor, l1MessagesHash, withdrawalsRoot)`.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(JOURNAL_LEN);
        out.extend_from_slice(&self.chain_id.to_be_bytes());
        for h in
            [self.config_hash, self.prev_state_root, self.post_state_root, self.prev_block_hash, self.last_block_hash]
        {
            out.extend_from_slice(h.as_slice());
        }
        out.extend_from_slice(&self.last_block.to_be_bytes());
        out.extend_from_slice(self.batch_data_hash.as_slice());
        out.extend_from_slice(&self.l1_message_cursor.to_be_bytes());
        out.extend_from_slice(self.l1_messages_hash.as_slice());
        out.extend_from_slice(self.withdrawals_root.as_slice());
        out
    }

    /// Parses [`Journal::encode`]'s output; `None` unless it is exactly that long.
    pub fn decode(bytes: &[u8]) -> Option<Self> {
        if bytes.len() != JOURNAL_LEN {
            return None;
        }
        let n = |at: usize| u64::from_be_bytes([0, 1, 2, 3, 4, 5, 6, 7].map(|i| bytes[at + i]));
        let h = |at: usize| B256::from_slice(&bytes[at..at + 32]);
        let (chain_id, config_hash, prev_state_root, post_state_root) = (n(0), h(8), h(40), h(72));
        let (prev_block_hash, last_block_hash, last_block, batch_data_hash) = (h(104), h(136), n(168), h(176));
        let l1_message_cursor = n(208);
        Some(Self {
            chain_id,
            config_hash,
            prev_state_root,
            post_state_root,
            prev_block_hash,
            last_block_hash,
            last_block,
            batch_data_hash,
            l1_message_cursor,
            l1_messages_hash: h(216),
            withdrawals_root: h(248),
        })
    }

    /// keccak256 of [`Journal::encode`]: the public-input hash an L1 verifier checks.
    pub fn hash(&self) -> B256 {
        keccak256(self.encode())
    }
}

/// keccak256 over the consensus parameters besides the chain id, so a proof cannot pick its own gas
/// limit, fee rules or proving-cost rules: `abi.encodePacked(uint64 blockGasLimit, uint64 initialBaseFee,
/// uint64 minBaseFee, uint128 maxChangeDenominator, uint128 elasticityMultiplier, uint64 blockCycleBudget,
/// bytes32 keccak256(cycleSchedule), bytes32 keccak256(wasmGasSchedule))`, each schedule packed as its
/// words (`uint64`s) in declaration order.
pub fn config_hash(config: &ChainConfig) -> B256 {
    let words = |w: Vec<u64>| keccak256(w.iter().flat_map(|x| x.to_be_bytes()).collect::<Vec<u8>>());
    let p = &config.proving;
    let mut buf = Vec::with_capacity(128);
    buf.extend_from_slice(&config.block_gas_limit.to_be_bytes());
    buf.extend_from_slice(&config.initial_base_fee.to_be_bytes());
    buf.extend_from_slice(&config.min_base_fee.to_be_bytes());
    buf.extend_from_slice(&config.base_fee_params.max_change_denominator.to_be_bytes());
    buf.extend_from_slice(&config.base_fee_params.elasticity_multiplier.to_be_bytes());
    buf.extend_from_slice(&p.block_cycle_budget.to_be_bytes());
    buf.extend_from_slice(words(p.cycles.to_words()).as_slice());
    buf.extend_from_slice(words(p.wasm_gas.to_words()).as_slice());
    keccak256(buf)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The default chain's hash, pinned: a change to any consensus default (the cycle budget and the
    /// schedules included) shows here, and means regenerating the SNARK fixtures and a new Rollup.
    #[test]
    fn the_default_config_hash_is_pinned() {
        let want: B256 = "0xa4f050b01efecdc69c44d29f66a7cf0c550d2eb8b959d0d8352e690f32cc9e44".parse().unwrap();
        assert_eq!(config_hash(&ChainConfig::default()), want);
        let mut other = ChainConfig::default();
        other.proving.block_cycle_budget += 1;
        assert_ne!(config_hash(&other), want);
    }
}
