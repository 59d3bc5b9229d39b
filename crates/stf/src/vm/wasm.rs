//! The Wasm VM: contracts compiled to WebAssembly, run by wasmi with fuel metering and resumable calls.
//!
//! A Wasm contract imports host functions from the `mosaic` module (see `wasm/README.md` for the ABI) and
//! exports `memory`, `call() -> i32` and optionally `deploy() -> i32`. Host functions that only read the
//! frame's own data (calldata, caller, block info) run inline. Those that touch shared state (storage,
//! balances, logs, calls) *trap* with a [`HostRequest`]; the VM serves the request against revm's journal
//! and resumes the instance, or — for an outgoing call — suspends the instance and yields the callee to
//! the router, resuming it with the callee's result later. State therefore lives in one place (revm's
//! journal) for every VM, and commit/revert is the frame's journal checkpoint.
//!
//! Gas: one unit of gas buys [`FUEL_PER_GAS`] fuel; wasmi charges 1 fuel per executed instruction (0 for
//! `nop`/`drop`/block markers) and 1 fuel per 64 bytes that `memory.grow/copy/fill` touch. Host functions
//! charge what the equivalent EVM opcode costs (SLOAD/SSTORE with EIP-2929/2200 rules, LOG, KECCAK256,
//! CALL with the 63/64 rule and value stipend). Memory pages present at instantiation cost
//! [`WASM_PAGE_GAS`] each.
use super::{revert_reason, Vm, VmStep, VM_ERROR, WASM_MAGIC};
use alloc::{boxed::Box, collections::BTreeMap, format, string::String, vec::Vec};
use alloy_primitives::{Address, Bytes, Log, LogData, B256, U256};
use core::fmt;
use mosaic_primitives::WasmGasSchedule;
use revm::{
    context::ContextTr,
    context_interface::{Block, Cfg, Transaction},
    handler::{evm::ContextDbError, EthFrame, FrameData, FrameResult, ItemOrResult},
    interpreter::{
        instructions::contract::load_account_delegated, interpreter::EthInterpreter, interpreter_types::ReturnData,
        CallInput, CallInputs, CallScheme, CallValue, FrameInput, Gas, Host, InstructionResult, InterpreterAction,
        InterpreterResult,
    },
};
use wasmi::{
    errors::HostError, Caller, CompilationMode, Config, Engine, Error as WasmError, Instance, Linker, Memory, Module,
    OperatorCost, Store, StoreLimits, StoreLimitsBuilder, TypedFunc, TypedResumableCall, TypedResumableCallHostTrap,
    Val,
};

/// Fuel one unit of gas buys.
pub const FUEL_PER_GAS: u64 = 1;
/// Gas per 64 KiB memory page a module starts with.
pub const WASM_PAGE_GAS: u64 = 1024;
/// Largest linear memory one Wasm frame may have, in 64 KiB pages (2 MiB).
pub const MAX_WASM_FRAME_PAGES: u32 = 32;
/// Largest linear memory all live Wasm frames of one transaction may have together (16 MiB).
pub const MAX_WASM_TX_PAGES: u32 = 256;
/// Gas per byte of module charged at deployment for validation and compilation.
pub const WASM_DEPLOY_GAS_PER_BYTE: u64 = 2;
/// Wasm call depth inside one frame (Rust recursion); deeper traps with "stack overflow".
const MAX_RECURSION_DEPTH: usize = 512;
/// Value-stack bytes of one frame.
const MAX_STACK_HEIGHT: usize = 256 * 1024;
const PAGE: usize = 64 * 1024;
/// Compiled modules one Wasm VM keeps; it forgets them all when a block touches more.
pub(crate) const MODULE_CACHE: usize = 256;

/// Returns the length of the Wasm module at the start of `code` (the rest is constructor input), or
/// `None` if `code` does not start with a module header.
///
/// The module is the longest prefix of well-formed sections: standard sections in the order the spec
/// requires, custom sections (with a non-empty name) anywhere. ABI-encoded constructor arguments start
/// with a zero byte for every value below 2^248, which never reads as a well-formed section here.
pub fn wasm_module_len(code: &[u8]) -> Option<usize> {
    if code.len() < 8 || code[..4] != WASM_MAGIC || code[4..8] != [1, 0, 0, 0] {
        return None;
    }
    // Spec order of the standard section ids (datacount, 12, sits between element and code).
    fn rank(id: u8) -> Option<u8> {
        Some(match id {
            1..=9 => id,
            12 => 10,
            10 => 11,
            11 => 12,
            13 => 0, // tag section (exceptions) is rejected by validation later; never part of order here
            _ => return None,
        })
    }
    let mut pos = 8;
    let mut last_rank = 0u8;
    while pos < code.len() {
        let id = code[pos];
        let Some((size, n)) = read_leb_u32(&code[pos + 1..]) else { break };
        let start = pos + 1 + n;
        let Some(end) = start.checked_add(size as usize).filter(|&e| e <= code.len()) else { break };
        if id == 0 {
            let Some((name_len, m)) = read_leb_u32(&code[start..end]) else { break };
            if name_len == 0 || m + name_len as usize > end - start {
                break;
            }
        } else {
            match rank(id) {
                Some(r) if r > last_rank && id != 13 => last_rank = r,
                _ => break,
            }
        }
        pos = end;
    }
    Some(pos)
}

fn read_leb_u32(bytes: &[u8]) -> Option<(u32, usize)> {
    let mut value = 0u32;
    for (i, b) in bytes.iter().take(5).enumerate() {
        value |= u32::from(b & 0x7f) << (7 * i);
        if b & 0x80 == 0 {
            return Some((value, i + 1));
        }
    }
    None
}

/// A host call that needs the shared state: the instance traps with it and is resumed once it is served.
#[derive(Debug)]
enum HostRequest {
    Sload {
        key: U256,
        out: u32,
    },
    Sstore {
        key: U256,
        value: U256,
    },
    Balance {
        address: Address,
        out: u32,
    },
    Log {
        topics: Vec<B256>,
        data: Bytes,
    },
    Call {
        scheme: CallScheme,
        gas: u64,
        to: Address,
        value: U256,
        data: Bytes,
    },
    /// The contract did something the host refuses (bad pointer, wrong argument); ends the frame.
    Abort(String),
    OutOfGas,
}

impl fmt::Display for HostRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Abort(reason) => f.write_str(reason),
            other => write!(f, "{other:?}"),
        }
    }
}

impl HostError for HostRequest {}

/// What one Wasm frame can see without asking the host.
struct HostState {
    memory: Option<Memory>,
    input: Bytes,
    caller: Address,
    address: Address,
    origin: Address,
    value: U256,
    coinbase: Address,
    base_fee: U256,
    gas_price: U256,
    chain_id: u64,
    number: u64,
    timestamp: u64,
    output: Vec<u8>,
    /// For a deployment: the module (without constructor input), the frame's output if `deploy` succeeds.
    deployed: Option<Bytes>,
    return_data: Bytes,
    /// Gas charged by host functions, so cycles = fuel spent − host gas.
    host_gas: u64,
    /// Fuel and host gas when the instance was last (re)started, to count cycles per run segment.
    fuel_mark: u64,
    host_gas_mark: u64,
    limits: StoreLimits,
}

/// A Wasm frame suspended on an outgoing call.
struct Suspended {
    depth: usize,
    store: Store<HostState>,
    call: TypedResumableCallHostTrap<i32>,
    pages: u32,
}

/// How a Wasm frame ended when it did not return normally.
enum Failure {
    /// Revert with `Error(reason)`, keeping the unspent gas (invalid module at deployment).
    Reject(String),
    /// Revert with `Error(reason)` and consume all the frame's gas (traps).
    Trap(String),
    /// An EVM-style exceptional halt (out of gas, static violation, …).
    Halt(InstructionResult),
}

/// The first outcome of an instance's entry point (it may already have trapped on a host request).
type Started = (Store<HostState>, Result<TypedResumableCall<i32>, WasmError>);
/// How a run segment ended: a callee to push, or the frame's end (`(success, output)` or a failure).
type Segment = ItemOrResult<revm::interpreter::interpreter_action::FrameInit, Result<(bool, Bytes), Failure>>;

/// The wasmi engine with Mosaic's configuration and the `mosaic` host functions.
struct Runtime {
    engine: Engine,
    linker: Linker<HostState>,
}

/// The Wasm VM: one wasmi engine, its compiled modules, and the frames suspended on calls.
///
/// The engine is built on the first Wasm frame, so EVM-only execution (most blocks, `eth_call`s and
/// every `eth_estimateGas` probe) never pays for it.
pub struct WasmVm {
    runtime: Option<Runtime>,
    modules: BTreeMap<B256, Module>,
    suspended: Vec<Suspended>,
    schedule: WasmGasSchedule,
    /// Proving-cost counters of the current transaction (modules instantiated, host traps served).
    usage: WasmUsage,
}

/// What the Wasm VM counts for the cycle estimate besides fuel (drained per transaction).
#[derive(Debug, Default)]
pub(crate) struct WasmUsage {
    pub(crate) host_traps: u64,
    pub(crate) modules: Vec<(B256, u32)>,
}

impl fmt::Debug for WasmVm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WasmVm").field("modules", &self.modules.len()).finish()
    }
}

impl Default for WasmVm {
    fn default() -> Self {
        Self::new(WasmGasSchedule::default())
    }
}

impl WasmVm {
    /// A Wasm VM charging gas by `schedule`; its engine is created when the first Wasm frame runs.
    pub fn new(schedule: WasmGasSchedule) -> Self {
        Self { runtime: None, modules: BTreeMap::new(), suspended: Vec::new(), schedule, usage: WasmUsage::default() }
    }

    /// The counters of the transaction that just ran, leaving them empty for the next.
    pub(crate) fn take_usage(&mut self) -> WasmUsage {
        core::mem::take(&mut self.usage)
    }

    /// The engine, created on first use with Mosaic's deterministic configuration.
    fn runtime(&mut self) -> &Runtime {
        let instruction_fuel = self.schedule.instruction_fuel;
        self.runtime.get_or_insert_with(|| {
            let mut config = Config::default();
            config
                .operator_cost(operator_cost(instruction_fuel))
                .consume_fuel(true)
                .floats(false)
                .wasm_multi_memory(false)
                .wasm_custom_page_sizes(false)
                .allow_start_fn(false)
                .ignore_custom_sections(true)
                .compilation_mode(CompilationMode::Eager)
                .set_max_recursion_depth(MAX_RECURSION_DEPTH)
                .set_max_stack_height(MAX_STACK_HEIGHT)
                .set_max_cached_stacks(4);
            let engine = Engine::new(&config);
            let linker = host_functions(&engine);
            Runtime { engine, linker }
        })
    }

    fn module(&mut self, hash: B256, code: &[u8]) -> Result<Module, String> {
        self.usage.modules.push((hash, code.len().min(u32::MAX as usize) as u32));
        if let Some(m) = self.modules.get(&hash) {
            return Ok(m.clone());
        }
        let module = Module::new(&self.runtime().engine, code).map_err(|e| format!("wasm: invalid module: {e}"))?;
        // Bound the cache: a block touches few distinct modules; drop everything if a block touches many.
        if self.modules.len() >= MODULE_CACHE {
            self.modules.clear();
        }
        self.modules.insert(hash, module.clone());
        Ok(module)
    }

    fn live_pages(&self) -> u32 {
        self.suspended.iter().map(|s| s.pages).sum()
    }

    /// Instantiates the frame's module and starts its entry point.
    fn start<CTX: ContextTr + Host>(
        &mut self,
        ctx: &mut CTX,
        frame: &mut EthFrame<EthInterpreter>,
    ) -> Result<Started, Failure> {
        let code = frame.interpreter.bytecode.original_bytes();
        let is_create = matches!(frame.data, FrameData::Create(_));
        let mut deployed = None;
        let (module, input, entry) = if is_create {
            let len = wasm_module_len(&code).ok_or_else(|| Failure::Reject("wasm: no module header".into()))?;
            let deploy_gas = WASM_DEPLOY_GAS_PER_BYTE.saturating_mul(len as u64);
            if !frame.interpreter.gas.record_regular_cost(deploy_gas) {
                return Err(Failure::Halt(InstructionResult::OutOfGas));
            }
            let hash = alloy_primitives::keccak256(&code[..len]);
            let module = self.module(hash, &code[..len]).map_err(Failure::Reject)?;
            check_exports(&module).map_err(Failure::Reject)?;
            deployed = Some(code.slice(..len));
            (module, code.slice(len..), "deploy")
        } else {
            let hash = frame.interpreter.bytecode.hash().unwrap_or_else(|| alloy_primitives::keccak256(&code));
            let module = self.module(hash, &code).map_err(Failure::Trap)?;
            let input = frame.interpreter.input.input.bytes(ctx);
            (module, input, "call")
        };

        let budget = MAX_WASM_TX_PAGES.saturating_sub(self.live_pages()).min(MAX_WASM_FRAME_PAGES);
        let limits = StoreLimitsBuilder::new()
            .memory_size(budget as usize * PAGE)
            .memories(1)
            .tables(1)
            .table_elements(4096)
            .instances(1)
            .trap_on_grow_failure(false)
            .build();
        let tx = ctx.tx();
        let block = ctx.block();
        let state = HostState {
            memory: None,
            input,
            caller: frame.interpreter.input.caller_address,
            address: frame.interpreter.input.target_address,
            origin: tx.caller(),
            value: frame.interpreter.input.call_value,
            coinbase: block.beneficiary(),
            base_fee: U256::from(block.basefee()),
            gas_price: U256::from(tx.effective_gas_price(block.basefee() as u128)),
            chain_id: ctx.cfg().chain_id(),
            number: block.number().saturating_to(),
            timestamp: block.timestamp().saturating_to(),
            output: Vec::new(),
            deployed,
            return_data: Bytes::new(),
            host_gas: 0,
            fuel_mark: 0,
            host_gas_mark: 0,
            limits,
        };
        let runtime = self.runtime();
        let mut store = Store::new(&runtime.engine, state);
        store.limiter(|s| &mut s.limits);
        let instance: Instance = runtime
            .linker
            .instantiate_and_start(&mut store, &module)
            .map_err(|e| Failure::Reject(format!("wasm: cannot instantiate: {e}")))?;
        let memory = instance
            .get_memory(&store, "memory")
            .ok_or_else(|| Failure::Reject("wasm: module does not export `memory`".into()))?;
        store.data_mut().memory = Some(memory);
        let pages = memory.size(&store);
        let start_gas = WASM_PAGE_GAS.saturating_mul(pages).saturating_add(self.schedule.frame_gas);
        if !frame.interpreter.gas.record_regular_cost(start_gas) {
            return Err(Failure::Halt(InstructionResult::OutOfGas));
        }
        set_fuel(&mut store, &frame.interpreter.gas);
        let func: Option<TypedFunc<(), i32>> = instance.get_typed_func(&store, entry).ok();
        let Some(func) = func else {
            if is_create {
                // No constructor: deploying only stores the module.
                return Ok((store, Ok(TypedResumableCall::Finished(0))));
            }
            return Err(Failure::Reject("wasm: module does not export `call() -> i32`".into()));
        };
        let first = func.call_resumable(&mut store, ());
        Ok((store, first))
    }

    /// Drives the instance until it finishes or yields a call; serves state requests in between.
    fn drive<CTX: ContextTr + Host>(
        &mut self,
        ctx: &mut CTX,
        frame: &mut EthFrame<EthInterpreter>,
        mut store: Store<HostState>,
        mut outcome: Result<TypedResumableCall<i32>, WasmError>,
        cycles: &mut u64,
    ) -> Result<Segment, ()> {
        let mut account = |store: &Store<HostState>, frame: &mut EthFrame<EthInterpreter>| {
            let spent_fuel = store.data().fuel_mark.saturating_sub(fuel(store));
            let host_fuel = (store.data().host_gas - store.data().host_gas_mark) * FUEL_PER_GAS;
            *cycles += spent_fuel.saturating_sub(host_fuel);
            // Fuel is the meter while Wasm runs; the frame's gas catches up whenever the instance stops.
            let remaining = fuel(store) / FUEL_PER_GAS;
            let used = frame.interpreter.gas.remaining().saturating_sub(remaining);
            let _ = frame.interpreter.gas.record_regular_cost(used);
        };
        loop {
            let trap = match outcome {
                Ok(TypedResumableCall::Finished(status)) => {
                    account(&store, frame);
                    let data = store.data_mut();
                    let output = match data.deployed.take() {
                        Some(module) if status == 0 => module,
                        _ => Bytes::from(core::mem::take(&mut data.output)),
                    };
                    return Ok(ItemOrResult::Result(Ok((status == 0, output))));
                }
                Ok(TypedResumableCall::OutOfFuel(_)) => {
                    account(&store, frame);
                    return Ok(ItemOrResult::Result(Err(Failure::Halt(InstructionResult::OutOfGas))));
                }
                Ok(TypedResumableCall::HostTrap(trap)) => trap,
                Err(e) => {
                    account(&store, frame);
                    let failure = if e.as_trap_code() == Some(wasmi::TrapCode::OutOfFuel) {
                        Failure::Halt(InstructionResult::OutOfGas)
                    } else {
                        match e.downcast_ref::<HostRequest>() {
                            Some(HostRequest::OutOfGas) => Failure::Halt(InstructionResult::OutOfGas),
                            Some(HostRequest::Abort(r)) => Failure::Trap(format!("wasm: {r}")),
                            _ => Failure::Trap(format!("wasm trap: {e}")),
                        }
                    };
                    return Ok(ItemOrResult::Result(Err(failure)));
                }
            };
            let Some(request) = trap.host_error().downcast_ref::<HostRequest>() else {
                account(&store, frame);
                return Ok(ItemOrResult::Result(Err(Failure::Trap(format!("wasm trap: {}", trap.host_error())))));
            };
            let is_static = frame.interpreter.runtime_flag.is_static;
            if !matches!(request, HostRequest::Abort(_) | HostRequest::OutOfGas) {
                // Suspending and resuming the instance costs proving cycles beyond the EVM-equal price.
                self.usage.host_traps += 1;
                if let Err(failure) = charge(&mut store, self.schedule.host_trap_gas) {
                    account(&store, frame);
                    return Ok(ItemOrResult::Result(Err(failure)));
                }
            }
            let served: Result<(), Failure> = match request {
                HostRequest::Sload { key, out } => {
                    let gp = ctx.gas_params();
                    let (warm, cold) = (gp.warm_storage_read_cost(), gp.cold_storage_additional_cost());
                    match ctx.sload(frame.interpreter.input.target_address, *key) {
                        None => Err(Failure::Halt(InstructionResult::FatalExternalError)),
                        Some(load) => charge(&mut store, warm + if load.is_cold { cold } else { 0 })
                            .and_then(|_| write_mem(&mut store, *out, &load.data.to_be_bytes::<32>())),
                    }
                }
                HostRequest::Sstore { key, value } => {
                    if is_static {
                        Err(Failure::Halt(InstructionResult::StateChangeDuringStaticCall))
                    } else if fuel(&store) / FUEL_PER_GAS <= ctx.gas_params().call_stipend() {
                        Err(Failure::Halt(InstructionResult::ReentrancySentryOOG))
                    } else {
                        let address = frame.interpreter.input.target_address;
                        match ctx.sstore(address, *key, *value) {
                            None => Err(Failure::Halt(InstructionResult::FatalExternalError)),
                            Some(load) => {
                                let gp = ctx.gas_params();
                                let cost =
                                    gp.sstore_static_gas() + gp.sstore_dynamic_gas(true, &load.data, load.is_cold);
                                let refund = gp.sstore_refund(true, &load.data);
                                frame.interpreter.gas.record_refund(refund);
                                charge(&mut store, cost)
                            }
                        }
                    }
                }
                HostRequest::Balance { address, out } => {
                    let gp = ctx.gas_params();
                    let (warm, cold) = (gp.warm_storage_read_cost(), gp.cold_account_additional_cost());
                    match ctx.balance(*address) {
                        None => Err(Failure::Halt(InstructionResult::FatalExternalError)),
                        Some(load) => charge(&mut store, warm + if load.is_cold { cold } else { 0 })
                            .and_then(|_| write_mem(&mut store, *out, &load.data.to_be_bytes::<32>())),
                    }
                }
                HostRequest::Log { topics, data } => {
                    if is_static {
                        Err(Failure::Halt(InstructionResult::StateChangeDuringStaticCall))
                    } else {
                        let cost = ctx.gas_params().log_cost(topics.len() as u8, data.len() as u64);
                        charge(&mut store, cost).map(|_| {
                            ctx.log(Log {
                                address: frame.interpreter.input.target_address,
                                data: LogData::new_unchecked(topics.clone(), data.clone()),
                            })
                        })
                    }
                }
                HostRequest::Call { scheme, gas, to, value, data } => {
                    account(&store, frame);
                    let (scheme, gas, to, value, data) = (*scheme, *gas, *to, *value, data.clone());
                    return match call_inputs(ctx, frame, scheme, gas, to, value, data) {
                        Ok(inputs) => {
                            let pages = store.data().memory.map(|m| m.size(&store) as u32).unwrap_or(0);
                            self.suspended.push(Suspended { depth: frame.depth, store, call: trap, pages });
                            let action = InterpreterAction::NewFrame(FrameInput::Call(Box::new(inputs)));
                            match frame.process_next_action::<_, ContextDbError<CTX>>(ctx, action) {
                                Ok(ItemOrResult::Item(init)) => Ok(ItemOrResult::Item(init)),
                                _ => Err(()),
                            }
                        }
                        Err(f) => Ok(ItemOrResult::Result(Err(f))),
                    };
                }
                HostRequest::Abort(reason) => Err(Failure::Trap(format!("wasm: {reason}"))),
                HostRequest::OutOfGas => Err(Failure::Halt(InstructionResult::OutOfGas)),
            };
            if let Err(failure) = served {
                account(&store, frame);
                return Ok(ItemOrResult::Result(Err(failure)));
            }
            outcome = trap.resume(&mut store, &[]);
        }
    }

    /// Turns the frame's end into revm's frame result (journal commit/revert, code deposit for creates).
    fn finish<CTX: ContextTr>(
        ctx: &mut CTX,
        frame: &mut EthFrame<EthInterpreter>,
        end: Result<(bool, Bytes), Failure>,
    ) -> Result<FrameResult, ContextDbError<CTX>> {
        let mut gas = frame.interpreter.gas;
        let (result, output) = match end {
            // For a deployment the output is the module, which revm deposits as the contract's code.
            Ok((true, output)) => (InstructionResult::Return, output),
            Ok((false, output)) => (InstructionResult::Revert, output),
            Err(Failure::Reject(reason)) => (VM_ERROR, revert_reason(&reason)),
            Err(Failure::Trap(reason)) => {
                gas.spend_all();
                (VM_ERROR, revert_reason(&reason))
            }
            Err(Failure::Halt(halt)) => {
                gas.spend_all();
                (halt, Bytes::new())
            }
        };
        let action = InterpreterAction::Return(InterpreterResult { result, output, gas });
        match frame.process_next_action::<_, ContextDbError<CTX>>(ctx, action)? {
            ItemOrResult::Result(result) => Ok(result),
            ItemOrResult::Item(_) => Err(revm::context_interface::context::ContextError::Custom(
                "wasm frame produced a new frame on return".into(),
            )),
        }
    }
}

impl<CTX: ContextTr + Host> Vm<CTX> for WasmVm {
    fn name(&self) -> &'static str {
        "wasm"
    }

    fn owns(&self, code: &[u8]) -> bool {
        code.starts_with(&WASM_MAGIC)
    }

    fn run(
        &mut self,
        ctx: &mut CTX,
        frame: &mut EthFrame<EthInterpreter>,
        resume: Option<FrameResult>,
    ) -> Result<VmStep<EthFrame<EthInterpreter>>, ContextDbError<CTX>> {
        let mut cycles = 0;
        let (store, outcome) = match resume {
            None => match self.start(ctx, frame) {
                Ok(started) => started,
                Err(failure) => {
                    let result = Self::finish(ctx, frame, Err(failure))?;
                    return Ok(VmStep { action: ItemOrResult::Result(result), cycles });
                }
            },
            Some(result) => {
                let Some(mut s) = self.suspended.pop().filter(|s| s.depth == frame.depth) else {
                    return Err(revm::context_interface::context::ContextError::Custom(
                        "resumed a wasm frame that is not suspended".into(),
                    ));
                };
                let ok = result.instruction_result().is_ok();
                // revm settles the callee's gas into this frame and keeps its output as return data.
                frame.return_result::<_, ContextDbError<CTX>>(ctx, result)?;
                let _ = frame.interpreter.stack.pop();
                s.store.data_mut().return_data = frame.interpreter.return_data.buffer().clone();
                set_fuel(&mut s.store, &frame.interpreter.gas);
                let next = s.call.resume(&mut s.store, &[Val::I32(i32::from(!ok))]);
                (s.store, next)
            }
        };
        let step = self.drive(ctx, frame, store, outcome, &mut cycles).map_err(|_| {
            revm::context_interface::context::ContextError::Custom("wasm call could not be set up".into())
        })?;
        let action = match step {
            ItemOrResult::Item(init) => ItemOrResult::Item(init),
            ItemOrResult::Result(end) => ItemOrResult::Result(Self::finish(ctx, frame, end)?),
        };
        Ok(VmStep { action, cycles })
    }

    fn reset(&mut self) {
        self.suspended.clear();
    }
}

/// Builds the callee's inputs for a call made from Wasm, charging the caller like the EVM's CALL.
fn call_inputs<CTX: ContextTr + Host>(
    ctx: &mut CTX,
    frame: &mut EthFrame<EthInterpreter>,
    scheme: CallScheme,
    requested_gas: u64,
    to: Address,
    value: U256,
    data: Bytes,
) -> Result<CallInputs, Failure> {
    let input = &frame.interpreter.input;
    let is_static = frame.interpreter.runtime_flag.is_static || scheme == CallScheme::StaticCall;
    let has_transfer = scheme == CallScheme::Call && !value.is_zero();
    if frame.interpreter.runtime_flag.is_static && has_transfer {
        return Err(Failure::Halt(InstructionResult::CallNotAllowedInsideStatic));
    }
    let (target_address, caller, call_value) = match scheme {
        CallScheme::DelegateCall => (input.target_address, input.caller_address, CallValue::Apparent(input.call_value)),
        _ => (to, input.target_address, CallValue::Transfer(if has_transfer { value } else { U256::ZERO })),
    };
    let gas = &mut frame.interpreter.gas;
    let gp = ctx.gas_params().clone();
    if has_transfer && !gas.record_regular_cost(gp.transfer_value_cost()) {
        return Err(Failure::Halt(InstructionResult::OutOfGas));
    }
    let spec = ctx.cfg().spec().into();
    let (cost, state_gas, bytecode, code_hash) =
        load_account_delegated(ctx, spec, gas.remaining(), to, has_transfer, scheme == CallScheme::Call)
            .map_err(|_| Failure::Halt(InstructionResult::FatalExternalError))?;
    if !gas.record_regular_cost(cost) || (state_gas > 0 && !gas.record_state_cost(state_gas)) {
        return Err(Failure::Halt(InstructionResult::OutOfGas));
    }
    let mut gas_limit = gp.call_stipend_reduction(gas.remaining()).min(requested_gas);
    if !gas.record_regular_cost(gas_limit) {
        return Err(Failure::Halt(InstructionResult::OutOfGas));
    }
    if has_transfer {
        gas_limit = gas_limit.saturating_add(gp.call_stipend());
    }
    Ok(CallInputs {
        input: CallInput::Bytes(data),
        return_memory_offset: 0..0,
        gas_limit,
        reservoir: gas.reservoir(),
        bytecode_address: to,
        known_bytecode: (code_hash, bytecode),
        target_address,
        caller,
        value: call_value,
        scheme,
        is_static,
        charged_new_account_state_gas: state_gas > 0,
    })
}

fn check_exports(module: &Module) -> Result<(), String> {
    let mut has_call = false;
    let mut has_memory = false;
    for export in module.exports() {
        match (export.name(), export.ty()) {
            ("call" | "deploy", wasmi::ExternType::Func(f)) => {
                if !f.params().is_empty() || f.results() != [wasmi::ValType::I32] {
                    return Err(format!("wasm: export `{}` must have type () -> i32", export.name()));
                }
                has_call |= export.name() == "call";
            }
            ("memory", wasmi::ExternType::Memory(_)) => has_memory = true,
            _ => {}
        }
    }
    if !has_call {
        return Err("wasm: module does not export `call() -> i32`".into());
    }
    if !has_memory {
        return Err("wasm: module does not export `memory`".into());
    }
    Ok(())
}

/// wasmi's operator costs with every priced operator at `fuel` (nop, drop and block markers stay free).
fn operator_cost(fuel: u8) -> OperatorCost {
    let mut table = OperatorCost::default();
    // SAFETY: `OperatorCost` has only `u8` fields, so it is a byte array of its size with alignment 1 and
    // no padding, whatever the field order; every byte value is a valid `u8`. Scaling every priced field
    // this way needs no list of wasmi's operators, which changes between versions.
    let bytes = unsafe {
        core::slice::from_raw_parts_mut((&mut table as *mut OperatorCost).cast::<u8>(), size_of::<OperatorCost>())
    };
    for b in bytes.iter_mut().filter(|b| **b > 0) {
        *b = fuel;
    }
    table
}

fn fuel(store: &Store<HostState>) -> u64 {
    store.get_fuel().unwrap_or(0)
}

fn set_fuel(store: &mut Store<HostState>, gas: &Gas) {
    let fuel = gas.remaining().saturating_mul(FUEL_PER_GAS);
    let _ = store.set_fuel(fuel);
    let data = store.data_mut();
    data.fuel_mark = fuel;
    data.host_gas_mark = data.host_gas;
}

fn charge(store: &mut Store<HostState>, gas: u64) -> Result<(), Failure> {
    let need = gas.saturating_mul(FUEL_PER_GAS);
    let have = fuel(store);
    if have < need {
        return Err(Failure::Halt(InstructionResult::OutOfGas));
    }
    let _ = store.set_fuel(have - need);
    store.data_mut().host_gas += gas;
    Ok(())
}

fn write_mem(store: &mut Store<HostState>, ptr: u32, bytes: &[u8]) -> Result<(), Failure> {
    let memory = store.data().memory.ok_or_else(|| Failure::Trap("wasm: no memory".into()))?;
    memory
        .write(&mut *store, ptr as usize, bytes)
        .map_err(|_| Failure::Trap(format!("wasm: host write out of bounds at {ptr}")))
}

// ---- host functions -------------------------------------------------------------------------------

type Ctx<'a> = Caller<'a, HostState>;

fn abort(reason: impl Into<String>) -> WasmError {
    WasmError::host(HostRequest::Abort(reason.into()))
}

fn gas_charge(caller: &mut Ctx<'_>, gas: u64) -> Result<(), WasmError> {
    let need = gas.saturating_mul(FUEL_PER_GAS);
    let have = caller.get_fuel().unwrap_or(0);
    if have < need {
        return Err(WasmError::host(HostRequest::OutOfGas));
    }
    let _ = caller.set_fuel(have - need);
    caller.data_mut().host_gas += gas;
    Ok(())
}

fn read(caller: &Ctx<'_>, ptr: i32, len: i32) -> Result<Vec<u8>, WasmError> {
    let memory = caller.data().memory.ok_or_else(|| abort("no memory"))?;
    let (ptr, len) = (ptr as u32 as usize, len as u32 as usize);
    let data = memory.data(caller);
    let end = ptr.checked_add(len).filter(|&e| e <= data.len()).ok_or_else(|| abort("read out of bounds"))?;
    Ok(data[ptr..end].to_vec())
}

fn read_word(caller: &Ctx<'_>, ptr: i32) -> Result<[u8; 32], WasmError> {
    let v = read(caller, ptr, 32)?;
    let mut w = [0u8; 32];
    w.copy_from_slice(&v);
    Ok(w)
}

fn read_address(caller: &Ctx<'_>, ptr: i32) -> Result<Address, WasmError> {
    Ok(Address::from_slice(&read(caller, ptr, 20)?))
}

fn write(caller: &mut Ctx<'_>, ptr: i32, bytes: &[u8]) -> Result<(), WasmError> {
    let memory = caller.data().memory.ok_or_else(|| abort("no memory"))?;
    memory.write(&mut *caller, ptr as u32 as usize, bytes).map_err(|_| abort("write out of bounds"))
}

/// Copy gas like CALLDATACOPY: 3 + 3 per word.
fn copy_gas(len: usize) -> u64 {
    3 + 3 * (len as u64).div_ceil(32)
}

fn host_functions(engine: &Engine) -> Linker<HostState> {
    let mut l = Linker::<HostState>::new(engine);
    // Registration only fails on duplicate names, which the list below does not have.
    let def = |name: &str, r: Result<(), wasmi::errors::LinkerError>| {
        if let Err(e) = r {
            panic!("host function {name}: {e}");
        }
    };
    macro_rules! wrap {
        ($name:literal, $f:expr) => {
            def($name, l.func_wrap("mosaic", $name, $f).map(|_| ()))
        };
    }
    wrap!("input_size", |mut c: Ctx<'_>| -> Result<i32, WasmError> {
        gas_charge(&mut c, 2)?;
        Ok(c.data().input.len() as i32)
    });
    wrap!("input_copy", |mut c: Ctx<'_>, dest: i32, offset: i32, len: i32| -> Result<(), WasmError> {
        let (offset, len) = (offset as u32 as usize, len as u32 as usize);
        gas_charge(&mut c, copy_gas(len))?;
        let input = c.data().input.clone();
        let end = offset.checked_add(len).filter(|&e| e <= input.len()).ok_or_else(|| abort("input out of range"))?;
        write(&mut c, dest, &input[offset..end])
    });
    wrap!("set_output", |mut c: Ctx<'_>, ptr: i32, len: i32| -> Result<(), WasmError> {
        gas_charge(&mut c, copy_gas(len as u32 as usize))?;
        let out = read(&c, ptr, len)?;
        c.data_mut().output = out;
        Ok(())
    });
    wrap!("return_data_size", |mut c: Ctx<'_>| -> Result<i32, WasmError> {
        gas_charge(&mut c, 2)?;
        Ok(c.data().return_data.len() as i32)
    });
    wrap!("return_data_copy", |mut c: Ctx<'_>, dest: i32, offset: i32, len: i32| -> Result<(), WasmError> {
        let (offset, len) = (offset as u32 as usize, len as u32 as usize);
        gas_charge(&mut c, copy_gas(len))?;
        let data = c.data().return_data.clone();
        let end =
            offset.checked_add(len).filter(|&e| e <= data.len()).ok_or_else(|| abort("return data out of range"))?;
        write(&mut c, dest, &data[offset..end])
    });
    macro_rules! address_getter {
        ($name:literal, $field:ident) => {
            wrap!($name, |mut c: Ctx<'_>, dest: i32| -> Result<(), WasmError> {
                gas_charge(&mut c, 2)?;
                let a = c.data().$field;
                write(&mut c, dest, a.as_slice())
            })
        };
    }
    address_getter!("caller", caller);
    address_getter!("address", address);
    address_getter!("origin", origin);
    address_getter!("coinbase", coinbase);
    macro_rules! word_getter {
        ($name:literal, $field:ident) => {
            wrap!($name, |mut c: Ctx<'_>, dest: i32| -> Result<(), WasmError> {
                gas_charge(&mut c, 2)?;
                let w = c.data().$field.to_be_bytes::<32>();
                write(&mut c, dest, &w)
            })
        };
    }
    word_getter!("call_value", value);
    word_getter!("base_fee", base_fee);
    word_getter!("gas_price", gas_price);
    macro_rules! u64_getter {
        ($name:literal, $field:ident) => {
            wrap!($name, |mut c: Ctx<'_>| -> Result<i64, WasmError> {
                gas_charge(&mut c, 2)?;
                Ok(c.data().$field as i64)
            })
        };
    }
    u64_getter!("chain_id", chain_id);
    u64_getter!("block_number", number);
    u64_getter!("block_timestamp", timestamp);
    wrap!("gas_left", |mut c: Ctx<'_>| -> Result<i64, WasmError> {
        gas_charge(&mut c, 2)?;
        Ok((c.get_fuel().unwrap_or(0) / FUEL_PER_GAS) as i64)
    });
    wrap!("keccak256", |mut c: Ctx<'_>, ptr: i32, len: i32, dest: i32| -> Result<(), WasmError> {
        gas_charge(&mut c, 30 + 6 * (len as u32 as u64).div_ceil(32))?;
        let data = read(&c, ptr, len)?;
        let h = alloy_primitives::keccak256(&data);
        write(&mut c, dest, h.as_slice())
    });
    wrap!("sload", |c: Ctx<'_>, key: i32, dest: i32| -> Result<(), WasmError> {
        let key = U256::from_be_bytes(read_word(&c, key)?);
        Err(WasmError::host(HostRequest::Sload { key, out: dest as u32 }))
    });
    wrap!("sstore", |c: Ctx<'_>, key: i32, value: i32| -> Result<(), WasmError> {
        let key = U256::from_be_bytes(read_word(&c, key)?);
        let value = U256::from_be_bytes(read_word(&c, value)?);
        Err(WasmError::host(HostRequest::Sstore { key, value }))
    });
    wrap!("balance", |c: Ctx<'_>, addr: i32, dest: i32| -> Result<(), WasmError> {
        let address = read_address(&c, addr)?;
        Err(WasmError::host(HostRequest::Balance { address, out: dest as u32 }))
    });
    wrap!("emit_log", |c: Ctx<'_>, topics: i32, n: i32, data: i32, len: i32| -> Result<(), WasmError> {
        if !(0..=4).contains(&n) {
            return Err(abort(format!("emit_log: {n} topics (at most 4)")));
        }
        let raw = read(&c, topics, n * 32)?;
        let topics = raw.chunks_exact(32).map(B256::from_slice).collect();
        let data = Bytes::from(read(&c, data, len)?);
        Err(WasmError::host(HostRequest::Log { topics, data }))
    });
    wrap!("call", |c: Ctx<'_>,
                   kind: i32,
                   gas: i64,
                   addr: i32,
                   value: i32,
                   data: i32,
                   len: i32|
     -> Result<i32, WasmError> {
        let scheme = match kind {
            0 => CallScheme::Call,
            1 => CallScheme::StaticCall,
            2 => CallScheme::DelegateCall,
            k => return Err(abort(format!("call: unknown kind {k}"))),
        };
        let to = read_address(&c, addr)?;
        let value = if scheme == CallScheme::Call { U256::from_be_bytes(read_word(&c, value)?) } else { U256::ZERO };
        let data = Bytes::from(read(&c, data, len)?);
        let gas = if gas < 0 { u64::MAX } else { gas as u64 };
        Err(WasmError::host(HostRequest::Call { scheme, gas, to, value, data }))
    });
    l
}
