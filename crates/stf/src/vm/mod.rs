//! MultiVM: one call stack, one journal, several virtual machines.
//!
//! revm owns the transaction pipeline (validation, fees, the journal with its checkpoints) and the call
//! stack. Every frame on that stack is an [`EthFrame`] *shell*: it carries the frame's inputs, gas, journal
//! checkpoint, depth and return-data buffer. What runs inside the shell is decided by the frame's code:
//! the [`Router`] asks each registered [`Vm`] whether it owns the code (Wasm code starts with `\0asm`,
//! everything else is EVM bytecode) and hands the frame to that VM. A VM runs the frame until it finishes
//! or *yields* an outgoing call; the router pushes the callee (of any VM) and later *resumes* the caller
//! with the callee's result. Commit and revert are the journal's checkpoints, so a revert anywhere
//! unwinds the changes of every VM below it, and the depth limit counts frames of all VMs.
//!
//! Adding a VM means implementing [`Vm`] and listing it in [`Vms::all`].
mod evm;
mod trace;
mod wasm;

pub use evm::EvmVm;
pub use trace::{AccountState, CallFrame, StateTrace, StructLog, TraceOptions, TxTrace};
pub(crate) use wasm::MODULE_CACHE;
pub use wasm::{
    wasm_module_len, WasmVm, FUEL_PER_GAS, MAX_WASM_FRAME_PAGES, MAX_WASM_TX_PAGES, WASM_DEPLOY_GAS_PER_BYTE,
    WASM_PAGE_GAS,
};

use crate::cost::TxUsage;
use alloc::{string::String, vec::Vec};
use alloy_primitives::{Address, Bytes};
use alloy_sol_types::{Revert, SolError};
use revm::{
    context::{Cfg, ContextSetters, ContextTr, Evm, FrameStack, JournalTr},
    context_interface::{
        result::{EVMError, ExecutionResult, HaltReason, InvalidTransaction, ResultAndState},
        Database,
    },
    handler::{
        evm::{ContextDbError, FrameInitResult, FrameTr},
        instructions::EthInstructions,
        EthFrame, EthPrecompiles, EvmTr, FrameInitOrResult, FrameResult, Handler, ItemOrResult, MainnetHandler,
    },
    interpreter::{
        interpreter::EthInterpreter, interpreter_action::FrameInit, CreateScheme, FrameInput, Host, InstructionResult,
    },
    state::EvmState,
};

/// Leading bytes that mark code (and init code) as a Wasm module.
pub const WASM_MAGIC: [u8; 4] = *b"\0asm";

/// What one VM frame cost: the rows of `mosaic_getTransactionStats`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FrameStat {
    /// Call depth, 0 for the transaction's own frame.
    pub depth: u16,
    /// Which VM ran the frame (`"evm"`, `"wasm"`).
    pub vm: &'static str,
    /// `"call"`, `"staticcall"`, `"delegatecall"`, `"callcode"` or `"create"`.
    pub kind: &'static str,
    /// Account whose storage the frame used (the created address for a create).
    pub address: Address,
    /// Gas the frame was given.
    pub gas_limit: u64,
    /// Gas the frame used, including what it forwarded to its callees.
    pub gas_used: u64,
    /// VM-native work units the frame executed itself: EVM instructions, or Wasm fuel spent on
    /// instructions (host functions are gas, not cycles).
    pub cycles: u64,
    /// How the frame ended (revm's instruction result, e.g. `Return`, `Revert`, `OutOfGas`).
    pub status: String,
}

/// What a VM frame did when it stopped running.
pub struct VmStep<F: FrameTr> {
    /// A callee to push (the frame yielded) or the frame's final result.
    pub action: FrameInitOrResult<F>,
    /// Work units executed during this run segment.
    pub cycles: u64,
}

/// The seam between the router and one virtual machine.
///
/// The frame shell is revm's [`EthFrame`]: its interpreter holds the frame's gas, input, return-data
/// buffer and memory context, whatever VM runs it. A VM keeps its own per-frame state (a suspended Wasm
/// instance, for example) between [`Vm::run`] calls, keyed by the frame's depth.
pub trait Vm<CTX> {
    /// Short lowercase name, used in stats and traces.
    fn name(&self) -> &'static str;
    /// Whether this VM runs `code` (deployed code, or the init code of a create frame).
    fn owns(&self, code: &[u8]) -> bool;
    /// Runs the frame on top of the stack until it finishes or yields an outgoing call. `resume` is
    /// `None` on the first run and carries the callee's result when the frame is resumed after a yield.
    fn run(
        &mut self,
        ctx: &mut CTX,
        frame: &mut EthFrame<EthInterpreter>,
        resume: Option<FrameResult>,
    ) -> Result<VmStep<EthFrame<EthInterpreter>>, ContextDbError<CTX>>
    where
        CTX: ContextTr;
    /// Forgets every suspended frame (end of a transaction, or an aborted one).
    fn reset(&mut self);
}

/// The registered VMs, in the order the router asks them.
pub struct Vms<CTX> {
    /// Wasm contracts.
    pub wasm: WasmVm,
    /// EVM bytecode: the fallback that owns every code no other VM claims.
    pub evm: EvmVm<CTX>,
}

impl<CTX: ContextTr + Host> Vms<CTX> {
    /// Every VM; the last one is the fallback.
    fn all(&mut self) -> [&mut dyn Vm<CTX>; 2] {
        [&mut self.wasm, &mut self.evm]
    }

    fn pick(&mut self, code: &[u8]) -> usize {
        let vms = self.all();
        let last = vms.len() - 1;
        vms.iter().position(|vm| vm.owns(code)).unwrap_or(last)
    }
}

struct Active {
    vm: usize,
    stat: usize,
}

/// Dispatches frames to VMs and keeps per-frame stats for the current transaction.
pub struct Router<CTX> {
    vms: Vms<CTX>,
    active: Vec<Active>,
    pending: Option<FrameResult>,
    stats: Vec<FrameStat>,
    /// What to trace; the call tree so far and the calls not finished yet (indices into it).
    trace: TraceOptions,
    calls: Vec<CallFrame>,
    open_calls: Vec<usize>,
    last_trace: TxTrace,
    /// Precompile calls of the current transaction (address, gas used), for the cycle estimate.
    precompiles: Vec<(Address, u64)>,
}

impl<CTX: ContextTr + Host> Router<CTX> {
    fn new(wasm: WasmVm, spec: revm::primitives::hardfork::SpecId) -> Self {
        Self {
            vms: Vms { wasm, evm: EvmVm::with_spec(spec) },
            active: Vec::new(),
            pending: None,
            stats: Vec::new(),
            trace: TraceOptions::default(),
            calls: Vec::new(),
            open_calls: Vec::new(),
            last_trace: TxTrace::default(),
            precompiles: Vec::new(),
        }
    }

    fn reset(&mut self) {
        self.active.clear();
        self.pending = None;
        self.stats.clear();
        self.calls.clear();
        self.open_calls.clear();
        self.precompiles.clear();
        for vm in self.vms.all() {
            vm.reset();
        }
    }

    fn started(&mut self, frame: &EthFrame<EthInterpreter>, call: Option<CallFrame>) {
        let code = frame.interpreter.bytecode.original_byte_slice();
        let vm = self.vms.pick(code);
        let name = self.vms.all()[vm].name();
        if let Some(mut call) = call {
            call.vm = name;
            call.gas = frame.interpreter.gas.limit();
            if call.kind.starts_with("create") {
                call.to = frame.interpreter.input.target_address;
            }
            self.calls.push(call);
            self.open_calls.push(self.calls.len() - 1);
        }
        let (kind, address) = match &frame.input {
            revm::interpreter::FrameInput::Call(c) => (scheme_name(c.scheme), c.target_address),
            _ => ("create", frame.interpreter.input.target_address),
        };
        self.stats.push(FrameStat {
            depth: frame.depth.min(u16::MAX as usize) as u16,
            vm: name,
            kind,
            address,
            gas_limit: frame.interpreter.gas.limit(),
            gas_used: 0,
            cycles: 0,
            status: String::new(),
        });
        self.active.push(Active { vm, stat: self.stats.len() - 1 });
    }

    fn finished(&mut self, result: &FrameResult) {
        if let Some(active) = self.active.pop() {
            let stat = &mut self.stats[active.stat];
            stat.gas_used = stat.gas_limit.saturating_sub(result.gas().remaining());
            stat.status = alloc::format!("{:?}", result.instruction_result());
            if self.trace.calls {
                let cycles = stat.cycles;
                if let Some(call) = self.open_calls.pop().and_then(|i| self.calls.get_mut(i)) {
                    call.cycles = cycles;
                    finish_call(call, result);
                }
            }
        }
    }

    /// A call that ran no code (a precompile, an account without code, or one refused before it ran).
    fn leaf(&mut self, mut call: CallFrame, result: &FrameResult, precompile: bool) {
        call.vm = if precompile { "precompile" } else { "none" };
        if let FrameResult::Create(outcome) = result {
            call.to = outcome.address.unwrap_or_default();
        }
        finish_call(&mut call, result);
        self.calls.push(call);
    }
}

/// A call as it starts: who calls whom with what (the VM, gas and a create's address come later).
fn describe_call<CTX: ContextTr>(init: &FrameInit, ctx: &CTX) -> CallFrame {
    let depth = init.depth.min(u16::MAX as usize) as u16;
    let (kind, from, to, value, gas, input) = match &init.frame_input {
        FrameInput::Call(c) => {
            let value = match c.scheme {
                revm::interpreter::CallScheme::Call | revm::interpreter::CallScheme::CallCode => Some(c.value.get()),
                _ => None,
            };
            let input = Bytes::copy_from_slice(&c.input.as_bytes(ctx));
            (scheme_name(c.scheme), c.caller, c.bytecode_address, value, c.gas_limit, input)
        }
        FrameInput::Create(c) => {
            let kind = if matches!(c.scheme(), CreateScheme::Create2 { .. }) { "create2" } else { "create" };
            (kind, c.caller(), Address::ZERO, Some(c.value()), c.gas_limit(), c.init_code().clone())
        }
        FrameInput::Empty => ("call", Address::ZERO, Address::ZERO, None, 0, Bytes::new()),
    };
    CallFrame {
        depth,
        vm: "",
        kind,
        from,
        to,
        value,
        gas,
        gas_used: 0,
        input,
        output: Bytes::new(),
        result: InstructionResult::Stop,
        cycles: 0,
    }
}

fn finish_call(call: &mut CallFrame, result: &FrameResult) {
    call.gas_used = call.gas.saturating_sub(result.gas().remaining());
    call.output = result.interpreter_result().output.clone();
    call.result = result.instruction_result();
}

fn scheme_name(scheme: revm::interpreter::CallScheme) -> &'static str {
    use revm::interpreter::CallScheme::*;
    match scheme {
        Call => "call",
        CallCode => "callcode",
        DelegateCall => "delegatecall",
        StaticCall => "staticcall",
    }
}

/// ABI-encodes `Error(reason)`, the revert payload Solidity's `require(cond, reason)` produces.
pub(crate) fn revert_reason(reason: &str) -> Bytes {
    Revert::from(reason).abi_encode().into()
}

/// Frames that finish with this result count as a failed VM frame with a reason in its revert data.
pub(crate) const VM_ERROR: InstructionResult = InstructionResult::Revert;

/// The Mosaic EVM: revm's context, precompiles and transaction pipeline, with frames run by the [`Router`].
pub struct MosaicEvm<CTX: ContextTr + Host> {
    inner: Evm<CTX, (), EthInstructions<EthInterpreter, CTX>, EthPrecompiles, EthFrame<EthInterpreter>>,
    router: Router<CTX>,
}

impl<CTX: ContextTr + Host> core::fmt::Debug for MosaicEvm<CTX> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("MosaicEvm").field("frames", &self.router.active.len()).finish()
    }
}

/// Result of one transaction: revm's result and state, the per-frame stats, and the counters of its
/// proving cost.
pub type TxExecution = (ResultAndState<HaltReason>, Vec<FrameStat>, TxUsage);

impl<CTX> MosaicEvm<CTX>
where
    CTX: ContextTr<Journal: JournalTr<State = EvmState>> + ContextSetters + Host,
{
    /// Wraps a context; `wasm` carries the Wasm engine and its compiled-module cache.
    pub fn new(ctx: CTX, wasm: WasmVm) -> Self {
        let spec = ctx.cfg().spec().into();
        let inner = Evm::new(ctx, EthInstructions::new_mainnet_with_spec(spec), EthPrecompiles::new(spec));
        Self { inner, router: Router::new(wasm, spec) }
    }

    /// The execution context (journal, database, block and transaction environment).
    pub fn ctx(&mut self) -> &mut CTX {
        &mut self.inner.ctx
    }

    /// The execution context, read-only.
    pub fn ctx_ref(&self) -> &CTX {
        &self.inner.ctx
    }

    /// What the following transactions record (nothing by default); read it with [`Self::take_trace`].
    pub fn set_trace(&mut self, opts: TraceOptions) {
        self.router.trace = opts;
        self.router.vms.evm.record_steps(opts.steps.then_some(opts));
    }

    /// The trace of the last transaction.
    pub fn take_trace(&mut self) -> TxTrace {
        core::mem::take(&mut self.router.last_trace)
    }

    /// Executes `tx` and returns its result, the state it touched (not yet committed anywhere) and the
    /// stats of every frame it ran.
    #[allow(clippy::type_complexity)]
    pub fn transact(
        &mut self,
        tx: CTX::Tx,
    ) -> Result<TxExecution, EVMError<<CTX::Db as Database>::Error, InvalidTransaction>> {
        self.router.reset();
        self.inner.ctx.set_tx(tx);
        let mut handler: MainnetHandler<Self, EVMError<<CTX::Db as Database>::Error, InvalidTransaction>, _> =
            MainnetHandler::default();
        let result: Result<ExecutionResult<HaltReason>, _> = handler.run(self);
        let state = self.inner.ctx.journal_mut().finalize();
        let stats = core::mem::take(&mut self.router.stats);
        let wasm = self.router.vms.wasm.take_usage();
        let mut usage = TxUsage {
            host_traps: wasm.host_traps,
            modules: wasm.modules,
            precompiles: core::mem::take(&mut self.router.precompiles),
            accounts: state.len() as u64,
            slots: state.values().map(|a| a.storage.len() as u64).sum(),
            ..TxUsage::default()
        };
        usage.add_frames(&stats);
        if self.router.trace.any() {
            let calls = core::mem::take(&mut self.router.calls);
            self.router.last_trace = TxTrace { calls, steps: self.router.vms.evm.take_steps(), ..Default::default() };
        }
        self.router.reset();
        Ok((ResultAndState::new(result?, state), stats, usage))
    }
}

impl<CTX> EvmTr for MosaicEvm<CTX>
where
    CTX: ContextTr + Host,
{
    type Context = CTX;
    type Instructions = EthInstructions<EthInterpreter, CTX>;
    type Precompiles = EthPrecompiles;
    type Frame = EthFrame<EthInterpreter>;

    fn all(&self) -> (&CTX, &Self::Instructions, &EthPrecompiles, &FrameStack<Self::Frame>) {
        self.inner.all()
    }

    fn all_mut(&mut self) -> (&mut CTX, &mut Self::Instructions, &mut EthPrecompiles, &mut FrameStack<Self::Frame>) {
        self.inner.all_mut()
    }

    fn frame_init(&mut self, input: FrameInit) -> Result<FrameInitResult<'_, Self::Frame>, ContextDbError<CTX>> {
        let call = self.router.trace.calls.then(|| describe_call(&input, &self.inner.ctx));
        let callee = match &input.frame_input {
            FrameInput::Call(c) => Some(c.bytecode_address),
            _ => None,
        };
        // revm's frame setup is VM-neutral: depth check, checkpoint, value transfer, precompiles, empty code.
        let inner = &mut self.inner;
        let is_first = inner.frame_stack.index().is_none();
        let slot = if is_first { inner.frame_stack.start_init() } else { inner.frame_stack.get_next() };
        let res = EthFrame::init_with_context(slot, &mut inner.ctx, &mut inner.precompiles, input)?;
        let router = &mut self.router;
        Ok(match res {
            ItemOrResult::Item(token) => {
                // SAFETY: the token was produced for this stack slot by `init_with_context` just above,
                // exactly as revm's own `Evm::frame_init` does it.
                unsafe {
                    if is_first {
                        inner.frame_stack.end_init(token)
                    } else {
                        inner.frame_stack.push(token)
                    }
                };
                let frame = inner.frame_stack.get();
                router.started(frame, call);
                ItemOrResult::Item(frame)
            }
            ItemOrResult::Result(result) => {
                // Counted whether or not tracing is on: precompiles are priced in proving cycles.
                let precompile = callee.filter(|a| inner.precompiles.contains(a));
                if let Some(address) = precompile {
                    router.precompiles.push((address, result.gas().total_gas_spent()));
                }
                if let Some(call) = call {
                    // `call.to` is the callee's code address too (`describe_call`).
                    router.leaf(call, &result, precompile.is_some());
                }
                ItemOrResult::Result(result)
            }
        })
    }

    fn frame_run(&mut self) -> Result<FrameInitOrResult<Self::Frame>, ContextDbError<CTX>> {
        let frame = self.inner.frame_stack.get();
        let resume = self.router.pending.take();
        let Some(active) = self.router.active.last() else {
            return Err(revm::context_interface::context::ContextError::Custom("frame without a VM".into()));
        };
        let (vm_index, stat) = (active.vm, active.stat);
        let vm = &mut self.router.vms.all()[vm_index];
        let step = vm.run(&mut self.inner.ctx, frame, resume)?;
        self.router.stats[stat].cycles += step.cycles;
        if step.action.is_result() {
            frame.set_finished(true);
        }
        Ok(step.action)
    }

    fn frame_return_result(&mut self, result: FrameResult) -> Result<Option<FrameResult>, ContextDbError<CTX>> {
        if self.inner.frame_stack.get().is_finished() {
            self.inner.frame_stack.pop();
            self.router.finished(&result);
        }
        if self.inner.frame_stack.index().is_none() {
            return Ok(Some(result));
        }
        // The caller's VM consumes the result when it is resumed by the next `frame_run`.
        self.router.pending = Some(result);
        Ok(None)
    }
}
