//! Proving cost: what a transaction made the VMs do, and the zkVM cycles that is estimated to take.
//!
//! The counters are deterministic (EVM steps, wasmi fuel, frames, precompile calls, modules, touched
//! state), so the sequencer, every deriving node and the guest compute the same estimate, and a block
//! over its cycle budget is invalid everywhere (issue #20, `docs/design/cycle-budget.md`).
use alloc::{collections::BTreeSet, vec::Vec};
use alloy_primitives::{Address, B256};
use mosaic_primitives::{precompile_index, ProvingCost};

use crate::vm::FrameStat;

/// What one transaction made the VMs do.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TxUsage {
    /// EVM instructions executed, over all EVM frames.
    pub evm_instructions: u64,
    /// Wasm fuel spent on instructions, over all Wasm frames.
    pub wasm_fuel: u64,
    /// Wasm frames started.
    pub wasm_frames: u64,
    /// Host calls that suspended a Wasm instance (storage, logs, calls).
    pub host_traps: u64,
    /// Precompile calls: address and the gas the call used.
    pub precompiles: Vec<(Address, u64)>,
    /// Wasm modules instantiated, in order (repeats included): code hash and length.
    pub modules: Vec<(B256, u32)>,
    /// Accounts the transaction touched.
    pub accounts: u64,
    /// Storage slots the transaction touched.
    pub slots: u64,
}

impl TxUsage {
    /// Adds the frame counters (`FrameStat.cycles` by VM) to the VM-side counters.
    pub(crate) fn add_frames(&mut self, frames: &[FrameStat]) {
        for f in frames {
            match f.vm {
                "wasm" => {
                    self.wasm_fuel += f.cycles;
                    self.wasm_frames += 1;
                }
                _ => self.evm_instructions += f.cycles,
            }
        }
    }

    /// Total bytes of the distinct modules it instantiated (what compiling them all would cost).
    pub fn module_bytes(&self) -> u64 {
        let mut seen = BTreeSet::new();
        self.modules.iter().filter(|(h, _)| seen.insert(*h)).map(|(_, len)| *len as u64).sum()
    }
}

/// Estimated zkVM cycles of a transaction with `usage`, compiling `cold_module_bytes` of Wasm modules
/// the block has not compiled yet. Saturating integer arithmetic only.
pub fn tx_cycles(p: &ProvingCost, usage: &TxUsage, cold_module_bytes: u64) -> u64 {
    let (s, wasm) = (&p.cycles, &p.wasm_gas);
    // Fuel is weighted by the Wasm gas schedule; the cycle coefficient is per instruction.
    let wasm_instructions = usage.wasm_fuel / u64::from(wasm.instruction_fuel.max(1));
    let mut c = s
        .tx_base
        .saturating_add(s.evm_instruction.saturating_mul(usage.evm_instructions))
        .saturating_add(s.wasm_fuel.saturating_mul(wasm_instructions))
        .saturating_add(s.wasm_frame.saturating_mul(usage.wasm_frames))
        .saturating_add(s.wasm_module_byte.saturating_mul(cold_module_bytes))
        .saturating_add(s.account.saturating_mul(usage.accounts))
        .saturating_add(s.slot.saturating_mul(usage.slots));
    for (address, gas) in &usage.precompiles {
        let (call, per_gas) = precompile_index(address).map(|i| s.precompiles[i]).unwrap_or_default();
        c = c.saturating_add(call).saturating_add(per_gas.saturating_mul(*gas));
    }
    c
}

/// The Wasm modules a block has compiled so far, mirroring the Wasm VM's per-block module cache
/// (cleared when it holds 256 modules), so compilation is charged exactly when the guest compiles.
#[derive(Clone, Debug, Default)]
pub struct CompiledModules {
    hashes: BTreeSet<B256>,
}

impl CompiledModules {
    /// Bytes `modules` would compile on top of this set, and the set after them.
    pub fn charge(&self, modules: &[(B256, u32)]) -> (u64, Self) {
        let mut next = self.clone();
        let mut bytes = 0u64;
        for (hash, len) in modules {
            if !next.hashes.contains(hash) {
                if next.hashes.len() >= crate::vm::MODULE_CACHE {
                    next.hashes.clear();
                }
                next.hashes.insert(*hash);
                bytes += *len as u64;
            }
        }
        (bytes, next)
    }
}

/// Estimated zkVM cycles of a transaction with `usage` alone in a block (every module it uses compiled):
/// what admission and `eth_estimateGas` check against the block's budget.
pub fn standalone_cycles(p: &ProvingCost, usage: &TxUsage) -> u64 {
    tx_cycles(p, usage, usage.module_bytes())
}
