//! `mosaic_getTransactionStats` / `mosaic_callStats`: where a transaction's cost went, frame by frame.
use alloy_primitives::{Address, B256, U64};
use mosaic_stf::vm::FrameStat;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// One VM frame of a transaction, in call order.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct FrameStats {
    /// Call depth (0 = the transaction's own frame).
    pub depth: u16,
    /// VM that ran the frame: `evm` or `wasm`.
    pub vm: String,
    /// `call`, `staticcall`, `delegatecall`, `callcode` or `create`.
    pub kind: String,
    /// Account whose code and storage the frame used.
    pub address: Address,
    /// Gas the frame was given.
    pub gas_limit: U64,
    /// Gas the frame used, including its callees.
    pub gas_used: U64,
    /// Instructions the frame executed itself (EVM opcodes, Wasm fuel).
    pub cycles: U64,
    /// How the frame ended (`Return`, `Stop`, `Revert`, `OutOfGas`, …).
    pub status: String,
}

/// Totals of one VM over a transaction.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct VmTotals {
    /// Frames this VM ran.
    pub frames: U64,
    /// Cycles this VM executed.
    pub cycles: U64,
    /// Gas used by this VM's frames themselves (a frame's gas minus what its direct callees used).
    pub gas_used: U64,
}

/// Response of the stats methods.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct TxStats {
    /// The transaction (absent for `mosaic_callStats`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub transaction_hash: Option<B256>,
    /// Whether it succeeded.
    pub status: bool,
    /// Gas charged for the whole transaction (intrinsic gas included).
    pub gas_used: U64,
    /// Every frame, in call order.
    pub frames: Vec<FrameStats>,
    /// Per-VM totals.
    pub vms: BTreeMap<String, VmTotals>,
    /// Proving cycles: of the call alone in a block (`mosaic_callStats`), or what the block's cycle budget
    /// charged an included transaction (`mosaic_getTransactionStats`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub proving_cycles: Option<U64>,
    /// The block cycle budget.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cycle_budget: Option<U64>,
}

impl TxStats {
    /// Builds the response from the STF's frame stats.
    pub fn new(hash: Option<B256>, status: bool, gas_used: u64, frames: &[FrameStat]) -> Self {
        let mut vms: BTreeMap<String, VmTotals> = BTreeMap::new();
        for (i, f) in frames.iter().enumerate() {
            // Direct callees follow a frame at depth + 1 until the next frame at its own depth or above.
            let callees: u64 = frames[i + 1..]
                .iter()
                .take_while(|c| c.depth > f.depth)
                .filter(|c| c.depth == f.depth + 1)
                .map(|c| c.gas_used)
                .sum();
            let t = vms.entry(f.vm.to_string()).or_default();
            t.frames = U64::from(t.frames.to::<u64>() + 1);
            t.cycles = U64::from(t.cycles.to::<u64>() + f.cycles);
            t.gas_used = U64::from(t.gas_used.to::<u64>() + f.gas_used.saturating_sub(callees));
        }
        Self {
            transaction_hash: hash,
            status,
            gas_used: U64::from(gas_used),
            frames: frames
                .iter()
                .map(|f| FrameStats {
                    depth: f.depth,
                    vm: f.vm.to_string(),
                    kind: f.kind.to_string(),
                    address: f.address,
                    gas_limit: U64::from(f.gas_limit),
                    gas_used: U64::from(f.gas_used),
                    cycles: U64::from(f.cycles),
                    status: f.status.clone(),
                })
                .collect(),
            vms,
            proving_cycles: None,
            cycle_budget: None,
        }
    }

    /// Adds the proving-cost estimate and the budget it is checked against.
    pub fn with_proving(mut self, cycles: u64, budget: u64) -> Self {
        self.proving_cycles = Some(U64::from(cycles));
        self.cycle_budget = Some(U64::from(budget));
        self
    }
}
