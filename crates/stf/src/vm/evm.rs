//! The EVM behind the [`Vm`] seam: revm's interpreter, run one frame at a time.
use super::{
    revert_reason,
    trace::{StructLog, TraceOptions},
    Vm, VmStep, WASM_MAGIC,
};
use alloc::vec::Vec;
use alloy_primitives::Bytes;
use revm::{
    context::ContextTr,
    handler::{evm::ContextDbError, instructions::EthInstructions, EthFrame, FrameData, FrameResult},
    interpreter::{
        interpreter::EthInterpreter,
        interpreter_types::{Jumps, LoopControl, MemoryTr},
        Host, InstructionResult, InterpreterAction,
    },
};

/// revm's interpreter with the mainnet instruction set, counting executed instructions.
pub struct EvmVm<CTX> {
    instructions: EthInstructions<EthInterpreter, CTX>,
    /// Struct-logger entries of the current transaction, when tracing asks for them.
    steps: Option<(TraceOptions, Vec<StructLog>)>,
}

impl<CTX: ContextTr + Host> EvmVm<CTX> {
    /// The mainnet instruction table for the Mosaic hardfork.
    pub fn new() -> Self {
        Self::with_spec(crate::HARDFORK)
    }

    /// The instruction table (static gas costs included) of another fork — the context's, which only
    /// Ethereum's test vectors set to anything but Mosaic's.
    pub fn with_spec(spec: revm::primitives::hardfork::SpecId) -> Self {
        Self { instructions: EthInstructions::new_mainnet_with_spec(spec), steps: None }
    }

    /// Starts (or, with `None`, stops) recording one entry per executed instruction.
    pub(crate) fn record_steps(&mut self, opts: Option<TraceOptions>) {
        self.steps = opts.map(|o| (o, Vec::new()));
    }

    /// The entries recorded so far; recording goes on with an empty list.
    pub(crate) fn take_steps(&mut self) -> Vec<StructLog> {
        self.steps.as_mut().map(|(_, steps)| core::mem::take(steps)).unwrap_or_default()
    }
}

impl<CTX: ContextTr + Host> Default for EvmVm<CTX> {
    fn default() -> Self {
        Self::new()
    }
}

impl<CTX: ContextTr + Host> Vm<CTX> for EvmVm<CTX> {
    fn name(&self) -> &'static str {
        "evm"
    }

    fn owns(&self, _code: &[u8]) -> bool {
        true
    }

    fn run(
        &mut self,
        ctx: &mut CTX,
        frame: &mut EthFrame<EthInterpreter>,
        resume: Option<FrameResult>,
    ) -> Result<VmStep<EthFrame<EthInterpreter>>, ContextDbError<CTX>> {
        if let Some(result) = resume {
            frame.return_result::<_, ContextDbError<CTX>>(ctx, result)?;
        }
        let table = self.instructions.instruction_table();
        let gas_table = self.instructions.gas_table();
        let depth = frame.depth.min(u16::MAX as usize - 1) as u16 + 1;
        let interpreter = &mut frame.interpreter;
        // revm's `run_plain`, plus an instruction counter for the frame's cycle stats.
        let mut cycles = 0u64;
        let stop = match &mut self.steps {
            None => loop {
                cycles += 1;
                if let Err(e) = interpreter.step(table, gas_table, ctx) {
                    break e;
                }
            },
            Some((opts, steps)) => loop {
                cycles += 1;
                let gas = interpreter.gas.remaining();
                let at = (opts.step_limit == 0 || steps.len() < opts.step_limit).then(|| {
                    steps.push(StructLog {
                        pc: interpreter.bytecode.pc() as u64,
                        op: interpreter.bytecode.opcode(),
                        gas,
                        gas_cost: 0,
                        depth,
                        stack: opts.stack.then(|| interpreter.stack.data().clone()),
                        memory: opts
                            .memory
                            .then(|| Bytes::copy_from_slice(&interpreter.memory.slice(0..interpreter.memory.size()))),
                        error: None,
                    });
                    steps.len() - 1
                });
                let result = interpreter.step(table, gas_table, ctx);
                if let Some(at) = at {
                    steps[at].gas_cost = gas.saturating_sub(interpreter.gas.remaining());
                }
                if let Err(e) = result {
                    if let (Some(at), true) = (at, e.is_halt() || e.is_revert()) {
                        steps[at].error = Some(alloc::format!("{e:?}"));
                    }
                    break e;
                }
            },
        };
        if interpreter.bytecode.action().is_none() {
            interpreter.halt(stop);
        }
        let mut action = interpreter.take_next_action();
        // Code starting with the Wasm magic would be run by the Wasm VM without having been validated as
        // a module, so EVM init code may not deploy it (like EIP-3541 reserves 0xEF).
        if let (FrameData::Create(_), InterpreterAction::Return(result)) = (&frame.data, &mut action) {
            if result.result.is_ok() && result.output.starts_with(&WASM_MAGIC) {
                result.result = InstructionResult::Revert;
                result.output = revert_reason("EVM code may not start with the Wasm magic \\0asm");
            }
        }
        let action = frame.process_next_action::<_, ContextDbError<CTX>>(ctx, action)?;
        Ok(VmStep { action, cycles })
    }

    fn reset(&mut self) {}
}
