//! What a traced transaction records: its call tree across VMs (geth's `callTracer`) and, for EVM frames,
//! one entry per executed instruction (geth's struct logger). Off unless asked for: tracing serves
//! `debug_trace*`, never block building.
use alloc::{
    collections::{BTreeMap, BTreeSet},
    string::String,
    vec::Vec,
};
use alloy_primitives::{Address, Bytes, U256};
use revm::interpreter::InstructionResult;

/// Which traces to record.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TraceOptions {
    /// Record the call tree.
    pub calls: bool,
    /// Record every EVM instruction.
    pub steps: bool,
    /// With `steps`: copy the stack into every entry.
    pub stack: bool,
    /// With `steps`: copy the memory into every entry.
    pub memory: bool,
    /// With `steps`: stop recording after this many entries (0 = no limit).
    pub step_limit: usize,
    /// Record the state the transaction touched, before and after.
    pub state: bool,
}

impl TraceOptions {
    /// Whether anything is recorded.
    pub fn any(&self) -> bool {
        self.calls || self.steps || self.state
    }
}

/// One call of the tree, listed in the order calls started (a parent before its callees).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CallFrame {
    /// Call depth, 0 for the transaction's own call.
    pub depth: u16,
    /// Which VM ran it: `"evm"`, `"wasm"`, `"precompile"`, or `"none"` (an account without code).
    pub vm: &'static str,
    /// `"call"`, `"staticcall"`, `"delegatecall"`, `"callcode"`, `"create"` or `"create2"`.
    pub kind: &'static str,
    /// The caller.
    pub from: Address,
    /// The callee (for a delegate call: the code's account; for a create: the new address).
    pub to: Address,
    /// Value transferred (`None` for static and delegate calls).
    pub value: Option<U256>,
    /// Gas given to the call.
    pub gas: u64,
    /// Gas it used, including its callees'.
    pub gas_used: u64,
    /// Call data, or init code for a create.
    pub input: Bytes,
    /// Return data (revert data if it reverted; for a create, the deployed code).
    pub output: Bytes,
    /// How it ended (revm's instruction result: `Return`, `Revert`, `OutOfGas`, ...); `is_ok()` =
    /// it succeeded.
    pub result: InstructionResult,
    /// VM-native work units the call ran itself (EVM instructions, Wasm fuel).
    pub cycles: u64,
}

/// One executed EVM instruction (an entry of geth's struct logger).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StructLog {
    /// Program counter.
    pub pc: u64,
    /// Opcode byte.
    pub op: u8,
    /// Gas left before the instruction.
    pub gas: u64,
    /// Gas the instruction cost (for calls and creates, the gas it forwarded included).
    pub gas_cost: u64,
    /// Call depth, 1 for the transaction's own call (geth's convention).
    pub depth: u16,
    /// Stack before the instruction, bottom first (if asked for).
    pub stack: Option<Vec<U256>>,
    /// Memory before the instruction (if asked for).
    pub memory: Option<Bytes>,
    /// Set when the instruction stopped the frame with an error.
    pub error: Option<String>,
}

/// Everything recorded for one transaction.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TxTrace {
    /// The call tree, in start order.
    pub calls: Vec<CallFrame>,
    /// EVM instructions, in execution order.
    pub steps: Vec<StructLog>,
    /// The touched state before and after (filled by `BlockBuilder::execute_traced`).
    pub state: StateTrace,
}

/// An account as a `prestateTracer` shows it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AccountState {
    /// Balance, wei.
    pub balance: U256,
    /// Nonce.
    pub nonce: u64,
    /// Code (empty for an account without code).
    pub code: Bytes,
    /// Storage slots: the ones the transaction read or wrote.
    pub storage: BTreeMap<U256, U256>,
}

/// The state a transaction touched, before and after it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct StateTrace {
    /// Every account the transaction loaded, as it was before (slots: every one it read or wrote).
    pub pre: BTreeMap<Address, AccountState>,
    /// Every account it changed, as it is after (slots: the changed ones); a deleted account is absent.
    pub post: BTreeMap<Address, AccountState>,
    /// Accounts it changed (the keys of a diff-mode `pre`).
    pub changed: BTreeSet<Address>,
}
