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
    /// What proving a block may cost, and how Wasm execution is priced to match it.
    pub proving: ProvingCost,
}

impl Default for ChainConfig {
    fn default() -> Self {
        Self {
            chain_id: 424242,
            block_gas_limit: 30_000_000,
            initial_base_fee: 1_000_000_000,
            min_base_fee: 1_000_000,
            base_fee_params: BaseFeeParams::ethereum(),
            proving: ProvingCost::default(),
        }
    }
}

/// The proving-cost rules of a chain (issue #20): a block's estimated zkVM cycles are capped, and Wasm
/// gas is scaled so that gas tracks proving cost across VMs. Both are consensus: the guest enforces
/// the budget on replay, and the values are bound into the config hash L1 checks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ProvingCost {
    /// Most estimated zkVM cycles one block may take, its L1 messages included.
    pub block_cycle_budget: u64,
    /// How execution counters turn into estimated cycles.
    pub cycles: CycleSchedule,
    /// How Wasm execution is charged in gas.
    pub wasm_gas: WasmGasSchedule,
}

impl Default for ProvingCost {
    fn default() -> Self {
        // A block of 30 M gas of ETH transfers is ≈ 98 M cycles, so ordinary blocks stay gas-bound.
        Self { block_cycle_budget: 150_000_000, cycles: CycleSchedule::default(), wasm_gas: WasmGasSchedule::default() }
    }
}

impl ProvingCost {
    /// No cycle budget and today's schedules: for Ethereum's own test vectors, which know no budget.
    pub fn unbounded() -> Self {
        Self { block_cycle_budget: u64::MAX, ..Self::default() }
    }
}

/// Estimated zkVM cycles per unit of each execution counter, fitted to the batch guest's measured cycles
/// (`cargo bench -p mosaic-prover --bench guest_cycles` prints the fit and its error per workload).
/// Integers only, so the node and the guest compute the same estimate.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CycleSchedule {
    /// Every transaction: decoding, signature recovery, receipt, sender and fee updates.
    pub tx_base: u64,
    /// Every L1 message (deposit) applied.
    pub l1_message: u64,
    /// Per EVM instruction executed.
    pub evm_instruction: u64,
    /// Per unit of Wasm instruction fuel (fuel spent on instructions, not on host functions).
    pub wasm_fuel: u64,
    /// Per Wasm frame: instantiating the module and serving its host calls' bookkeeping.
    pub wasm_frame: u64,
    /// Per byte of a Wasm module compiled for the first time in the block.
    pub wasm_module_byte: u64,
    /// Per account a transaction touched (tree reads and the updated leaf).
    pub account: u64,
    /// Per storage slot a transaction touched.
    pub slot: u64,
    /// Per precompile, indexed by [`precompile_index`]: (cycles per call, cycles per gas the call used).
    /// Ethereum's gas formulas already scale with what makes a precompile expensive (pairs, rounds,
    /// exponent and modulus sizes), so cycles per gas is the one factor each needs.
    pub precompiles: [(u64, u64); PRECOMPILES],
}

/// Number of precompile slots in [`CycleSchedule::precompiles`]: addresses 0x01..=0x11 and P256VERIFY (0x100).
pub const PRECOMPILES: usize = 18;

/// The slot of precompile `address` in [`CycleSchedule::precompiles`], if it is one.
pub fn precompile_index(address: &alloy_primitives::Address) -> Option<usize> {
    let b = address.as_slice();
    if b[..18].iter().any(|&x| x != 0) {
        return None;
    }
    match (b[18], b[19]) {
        (0, n @ 1..=0x11) => Some(n as usize - 1),
        (1, 0) => Some(17),
        _ => None,
    }
}

impl Default for CycleSchedule {
    fn default() -> Self {
        // Fitted on 2026-12-06 to the batch guest's marginal cycles per workload and per precompile
        // (`docs/benchmarks.md`, "The cycle schedule"), rounded up so the estimate errs high; the
        // precompiles on OpenVM's instructions (`mosaic-openvm-precompiles`) refitted to them with ≈ 10 %
        // margin, on their worst case where it differs (a pairing or point evaluation that fails).
        Self {
            tx_base: 55_000,
            l1_message: 3_500,
            evm_instruction: 145,
            wasm_fuel: 18,
            wasm_frame: 220_000,
            wasm_module_byte: 270,
            account: 4_500,
            slot: 8_000,
            precompiles: [
                (0, 7),        // 0x01 ECRECOVER: OpenVM's secp256k1 instructions, ≈ 20k cycles a call
                (600, 18),     // 0x02 SHA256: OpenVM's SHA-256 instruction
                (0, 12),       // 0x03 RIPEMD160
                (0, 60),       // 0x04 IDENTITY
                (630_000, 32), // 0x05 MODEXP, fitted over 32- and 256-byte operands
                (0, 15),       // 0x06 BN254 ADD: OpenVM's G1 instructions, ≈ 1.9k cycles a call
                (0, 2),        // 0x07 BN254 MUL: ≈ 9.8k cycles a call
                (0, 135),      // 0x08 BN254 PAIRING: a product that is not 1 (no hint), the worst case
                (2_200, 575),  // 0x09 BLAKE2F, fitted over 12 and 1,200 rounds
                (0, 510),      // 0x0a KZG POINT EVALUATION: an opening that fails, the worst case
                (0, 23),       // 0x0b BLS12 G1ADD
                (0, 35),       // 0x0c BLS12 G1MSM: fitted on 2 pairs, doubled (gas per pair falls with k)
                (0, 33),       // 0x0d BLS12 G2ADD
                (0, 120),      // 0x0e BLS12 G2MSM: fitted on 2 pairs, doubled
                (0, 260),      // 0x0f BLS12 PAIRING: a product that is not 1, the worst case
                (0, 1_130),    // 0x10 BLS12 MAP_FP_TO_G1
                (0, 810),      // 0x11 BLS12 MAP_FP2_TO_G2
                (0, 4),        // 0x100 P256VERIFY: OpenVM's P256 instructions, ≈ 19k cycles a call
            ],
        }
    }
}

impl CycleSchedule {
    /// The schedule as words, in declaration order (the config hash and the witness use this).
    pub fn to_words(&self) -> alloc::vec::Vec<u64> {
        let mut w = alloc::vec![
            self.tx_base,
            self.l1_message,
            self.evm_instruction,
            self.wasm_fuel,
            self.wasm_frame,
            self.wasm_module_byte,
            self.account,
            self.slot,
        ];
        for (call, word) in self.precompiles {
            w.extend([call, word]);
        }
        w
    }

    /// Parses [`Self::to_words`]; `None` unless the length is exact.
    pub fn from_words(w: &[u64]) -> Option<Self> {
        if w.len() != 8 + 2 * PRECOMPILES {
            return None;
        }
        let mut precompiles = [(0, 0); PRECOMPILES];
        for (i, p) in precompiles.iter_mut().enumerate() {
            *p = (w[8 + 2 * i], w[9 + 2 * i]);
        }
        Some(Self {
            tx_base: w[0],
            l1_message: w[1],
            evm_instruction: w[2],
            wasm_fuel: w[3],
            wasm_frame: w[4],
            wasm_module_byte: w[5],
            account: w[6],
            slot: w[7],
            precompiles,
        })
    }
}

/// How Wasm execution is charged in gas. Wasm runs interpreted inside the zkVM, so one Wasm instruction
/// costs many more proving cycles than one EVM instruction of the same gas; these factors close the gap.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WasmGasSchedule {
    /// Fuel (= gas) per Wasm instruction that wasmi meters (1 is wasmi's default; nop, drop and block
    /// markers stay free).
    pub instruction_fuel: u8,
    /// Gas per Wasm frame started (instantiating the module).
    pub frame_gas: u64,
    /// Gas per host call that suspends the instance (storage, logs, calls).
    pub host_trap_gas: u64,
}

impl Default for WasmGasSchedule {
    fn default() -> Self {
        // From the same fit: ≈ 18 cycles per Wasm instruction and ≈ 220 k per frame, priced at about
        // 0.22 gas per cycle, a little below what an ETH transfer pays (0.31).
        Self { instruction_fuel: 4, frame_gas: 45_000, host_trap_gas: 0 }
    }
}

impl WasmGasSchedule {
    /// The schedule as words, in declaration order.
    pub fn to_words(&self) -> alloc::vec::Vec<u64> {
        alloc::vec![self.instruction_fuel as u64, self.frame_gas, self.host_trap_gas]
    }

    /// Parses [`Self::to_words`]; `None` unless the length is exact and the fuel fits a byte.
    pub fn from_words(w: &[u64]) -> Option<Self> {
        match *w {
            [fuel, frame_gas, host_trap_gas] => {
                Some(Self { instruction_fuel: u8::try_from(fuel).ok()?, frame_gas, host_trap_gas })
            }
            _ => None,
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
    fn schedules_round_trip_through_words() {
        let mut c = CycleSchedule::default();
        c.precompiles[17] = (7, 9);
        assert_eq!(CycleSchedule::from_words(&c.to_words()), Some(c));
        assert_eq!(CycleSchedule::from_words(&c.to_words()[1..]), None);
        let w = WasmGasSchedule { instruction_fuel: 5, frame_gas: 3, host_trap_gas: 2 };
        assert_eq!(WasmGasSchedule::from_words(&w.to_words()), Some(w));
        assert_eq!(WasmGasSchedule::from_words(&[256, 0, 0]), None);
    }

    #[test]
    fn precompile_slots() {
        use alloy_primitives::address;
        assert_eq!(precompile_index(&address!("0000000000000000000000000000000000000001")), Some(0));
        assert_eq!(precompile_index(&address!("0000000000000000000000000000000000000011")), Some(16));
        assert_eq!(precompile_index(&address!("0000000000000000000000000000000000000100")), Some(17));
        assert_eq!(precompile_index(&address!("0000000000000000000000000000000000000012")), None);
        assert_eq!(precompile_index(&address!("0000000000000000000000000000000000000000")), None);
        assert_eq!(precompile_index(&address!("1000000000000000000000000000000000000001")), None);
    }

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
