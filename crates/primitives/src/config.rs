//! Chain parameters every node and the zkVM guest must agree on.
use alloy_eips::eip1559::BaseFeeParams;

/// Consensus parameters of a Mosaic chain.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChainConfig {
    /// EIP-155 chain id.
    pub chain_id: u64,
    /// Gas limit of every L2 block.
    pub block_gas_limit: u64,
    /// Base fee of the first block after genesis, in wei.
    pub initial_base_fee: u64,
    /// Floor under the EIP-1559 base fee, in wei, so spam is never free.
    pub min_base_fee: u64,
    /// EIP-1559 elasticity and max change denominator.
    pub base_fee_params: BaseFeeParams,
}

impl Default for ChainConfig {
    fn default() -> Self {
        Self {
            chain_id: 424242,
            block_gas_limit: 30_000_000,
            initial_base_fee: 1_000_000_000,
            min_base_fee: 1_000_000,
            base_fee_params: BaseFeeParams::ethereum(),
        }
    }
}

impl ChainConfig {
    /// Base fee of the child of a block with the given gas use (EIP-1559, clamped to the floor).
    pub fn next_base_fee(&self, parent_gas_used: u64, parent_gas_limit: u64, parent_base_fee: u64) -> u64 {
        let next = alloy_eips::eip1559::calc_next_block_base_fee(
            parent_gas_used,
            parent_gas_limit,
            parent_base_fee,
            self.base_fee_params,
        );
        next.max(self.min_base_fee)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_fee_moves_with_fullness() {
        let c = ChainConfig::default();
        let fee = 1_000_000_000;
        // Target is half the limit: at target the fee holds, above it rises, below it falls.
        assert_eq!(c.next_base_fee(15_000_000, 30_000_000, fee), fee);
        assert_eq!(c.next_base_fee(30_000_000, 30_000_000, fee), 1_125_000_000);
        assert_eq!(c.next_base_fee(0, 30_000_000, fee), 875_000_000);
        assert_eq!(c.next_base_fee(0, 30_000_000, c.min_base_fee), c.min_base_fee);
    }
}
