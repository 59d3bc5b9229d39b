//! Shared by the STF benchmarks.
use alloy_primitives::{Address, Bytes, B256, U256};
use mosaic_primitives::AccountLeaf;
use mosaic_stf::{StateError, StateReader};
use std::collections::HashMap;

/// A committed state of funded accounts held in memory (benchmark-only stand-in for the database).
pub(crate) struct MemState(pub HashMap<Address, AccountLeaf>);

impl StateReader for MemState {
    fn account(&self, a: &Address) -> Result<Option<AccountLeaf>, StateError> {
        Ok(self.0.get(a).copied())
    }
    fn storage(&self, _: &Address, _: &U256) -> Result<U256, StateError> {
        Ok(U256::ZERO)
    }
    fn code(&self, _: &B256) -> Result<Option<Bytes>, StateError> {
        Ok(None)
    }
    fn block_hash(&self, _: u64) -> Result<B256, StateError> {
        Ok(B256::ZERO)
    }
}
