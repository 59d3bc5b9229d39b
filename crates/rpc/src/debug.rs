//! `debug_traceTransaction`, `debug_traceBlockByNumber`, `debug_traceBlockByHash`: geth's struct logger
//! (no `tracer`), `callTracer` and `prestateTracer` (with `diffMode`), in geth's shapes. Call frames carry
//! two Mosaic fields, `vm` (`evm`, `wasm`, `precompile`, `none`) and `cycles`, so a call tree shows which
//! VM ran each frame. The block is re-executed on its parent's state (`mosaic_node::trace_block`).
use crate::error::{internal, invalid_params, rpc_err, RESOURCE_NOT_FOUND, SERVER_ERROR};
use alloy_primitives::{hex, B256, U256};
use jsonrpsee::core::RpcResult;
use mosaic_node::{ChainReader, TracedTx};
use mosaic_stf::{
    revm::{bytecode::opcode::OpCode, interpreter::InstructionResult},
    vm::{AccountState, CallFrame, StateTrace, StructLog, TraceOptions},
};
use serde::Deserialize;
use serde_json::{json, Map, Value};

/// Most struct-logger entries one call returns (geth has no cap; a cap keeps one call from filling
/// the memory of the node). `limit` in the options lowers it.
pub const MAX_STRUCT_LOGS: usize = 1_000_000;

/// The tracer options geth accepts (the ones Mosaic understands; others are refused, not ignored).
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TraceConfig {
    /// `callTracer`, `prestateTracer`, `noopTracer`, or absent for the struct logger.
    #[serde(default)]
    pub tracer: Option<String>,
    /// The tracer's own options.
    #[serde(default)]
    pub tracer_config: Option<TracerConfig>,
    /// Struct logger: leave the stack out.
    #[serde(default)]
    pub disable_stack: bool,
    /// Struct logger: include the memory.
    #[serde(default)]
    pub enable_memory: bool,
    /// Struct logger: leave storage out (Mosaic never reports it; accepted for compatibility).
    #[serde(default)]
    pub disable_storage: bool,
    /// Struct logger: include return data (not reported; accepted for compatibility).
    #[serde(default)]
    pub enable_return_data: bool,
    /// Struct logger: at most this many entries.
    #[serde(default)]
    pub limit: usize,
    /// geth's tracing timeout (accepted; Mosaic's tracing is bounded by gas instead).
    #[serde(default)]
    pub timeout: Option<String>,
}

/// Options of `callTracer` and `prestateTracer`.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TracerConfig {
    /// callTracer: only the top call.
    #[serde(default)]
    pub only_top_call: bool,
    /// callTracer: logs per frame (refused: Mosaic's call frames carry no logs yet).
    #[serde(default)]
    pub with_log: bool,
    /// prestateTracer: pre and post of the changed accounts.
    #[serde(default)]
    pub diff_mode: bool,
}

enum Tracer {
    StructLogger,
    Call { only_top: bool },
    Prestate { diff: bool },
    Noop,
}

impl TraceConfig {
    fn tracer(&self) -> RpcResult<(Tracer, TraceOptions)> {
        let cfg = self.tracer_config.as_ref();
        let mut opts = TraceOptions::default();
        let tracer = match self.tracer.as_deref() {
            None | Some("") | Some("structLogger") => {
                let limit = if self.limit == 0 { MAX_STRUCT_LOGS } else { self.limit.min(MAX_STRUCT_LOGS) };
                opts.steps = true;
                opts.stack = !self.disable_stack;
                opts.memory = self.enable_memory;
                opts.step_limit = limit;
                Tracer::StructLogger
            }
            Some("callTracer") => {
                if cfg.is_some_and(|c| c.with_log) {
                    return Err(invalid_params("callTracer: withLog is not supported"));
                }
                opts.calls = true;
                Tracer::Call { only_top: cfg.is_some_and(|c| c.only_top_call) }
            }
            Some("prestateTracer") => {
                opts.state = true;
                Tracer::Prestate { diff: cfg.is_some_and(|c| c.diff_mode) }
            }
            Some("noopTracer") => Tracer::Noop,
            Some(other) => {
                return Err(invalid_params(format!(
                    "tracer {other:?} not found (supported: callTracer, prestateTracer, noopTracer, the struct logger)"
                )))
            }
        };
        Ok((tracer, opts))
    }
}

/// Traces the transaction `hash`.
pub fn trace_transaction<R: ChainReader + ?Sized>(chain: &R, hash: B256, cfg: TraceConfig) -> RpcResult<Value> {
    let loc =
        chain.tx_location(&hash).map_err(internal)?.ok_or_else(|| rpc_err(SERVER_ERROR, "transaction not found"))?;
    let (tracer, opts) = cfg.tracer()?;
    let traced = mosaic_node::trace_block(chain, loc.block, Some(loc.index as usize), opts)
        .map_err(internal)?
        .and_then(|mut t| t.pop())
        .ok_or_else(|| rpc_err(SERVER_ERROR, "transaction not found"))?;
    Ok(render(&tracer, &traced))
}

/// Traces every transaction of block `number`: `[{txHash, result}]`.
pub fn trace_block<R: ChainReader + ?Sized>(chain: &R, number: u64, cfg: TraceConfig) -> RpcResult<Value> {
    let (tracer, opts) = cfg.tracer()?;
    let traced = mosaic_node::trace_block(chain, number, None, opts)
        .map_err(internal)?
        .ok_or_else(|| rpc_err(RESOURCE_NOT_FOUND, format!("block #{number} not found")))?;
    Ok(Value::Array(traced.iter().map(|t| json!({ "txHash": t.hash, "result": render(&tracer, t) })).collect()))
}

fn render(tracer: &Tracer, t: &TracedTx) -> Value {
    match tracer {
        Tracer::StructLogger => struct_logs(t),
        Tracer::Call { only_top } => call_tree(t, *only_top),
        Tracer::Prestate { diff } => prestate(&t.trace.state, *diff),
        Tracer::Noop => json!({}),
    }
}

fn struct_logs(t: &TracedTx) -> Value {
    let logs: Vec<Value> = t.trace.steps.iter().map(struct_log).collect();
    json!({
        "gas": t.outcome.gas_used,
        "failed": !t.outcome.success,
        "returnValue": t.outcome.output,
        "structLogs": logs,
    })
}

fn struct_log(s: &StructLog) -> Value {
    let mut o = Map::new();
    o.insert("pc".into(), s.pc.into());
    o.insert("op".into(), OpCode::name_by_op(s.op).into());
    o.insert("gas".into(), s.gas.into());
    o.insert("gasCost".into(), s.gas_cost.into());
    o.insert("depth".into(), s.depth.into());
    if let Some(stack) = &s.stack {
        o.insert("stack".into(), stack.iter().map(|v| Value::String(format!("{v:#x}"))).collect());
    }
    if let Some(memory) = &s.memory {
        // geth: 32-byte words, hex without a prefix.
        o.insert("memory".into(), memory.chunks(32).map(|w| Value::String(hex::encode(w))).collect());
    }
    if let Some(error) = &s.error {
        o.insert("error".into(), error.clone().into());
    }
    Value::Object(o)
}

/// geth's error text for how a frame ended.
fn call_error(result: InstructionResult) -> String {
    use InstructionResult::*;
    match result {
        Revert => "execution reverted",
        OutOfGas | MemoryOOG | MemoryLimitOOG | PrecompileOOG | InvalidOperandOOG | ReentrancySentryOOG => "out of gas",
        OpcodeNotFound | InvalidFEOpcode => "invalid opcode",
        InvalidJump => "invalid jump destination",
        StackUnderflow => "stack underflow",
        StackOverflow => "stack limit reached 1024",
        CallTooDeep => "max call depth exceeded",
        OutOfFunds => "insufficient balance for transfer",
        CreateCollision => "contract address collision",
        StateChangeDuringStaticCall => "write protection",
        CreateContractSizeLimit => "max code size exceeded",
        other => return format!("{other:?}"),
    }
    .to_string()
}

fn call_frame(c: &CallFrame) -> Map<String, Value> {
    let mut o = Map::new();
    o.insert("type".into(), c.kind.to_uppercase().into());
    o.insert("from".into(), json!(c.from));
    o.insert("to".into(), json!(c.to));
    if let Some(v) = c.value {
        o.insert("value".into(), json!(v));
    }
    o.insert("gas".into(), json!(U256::from(c.gas)));
    o.insert("gasUsed".into(), json!(U256::from(c.gas_used)));
    o.insert("input".into(), json!(c.input));
    let success = c.result.is_ok();
    if !c.output.is_empty() || success {
        o.insert("output".into(), json!(c.output));
    }
    if !success {
        o.insert("error".into(), call_error(c.result).into());
        if let Some(reason) = alloy_sol_types::decode_revert_reason(&c.output).filter(|r| !r.is_empty()) {
            o.insert("revertReason".into(), reason.into());
        }
    }
    o.insert("vm".into(), c.vm.into());
    o.insert("cycles".into(), c.cycles.into());
    o
}

/// The nested call tree (frames are listed parent first; a frame's callees follow it one level deeper).
fn call_tree(t: &TracedTx, only_top: bool) -> Value {
    let calls = &t.trace.calls;
    if calls.is_empty() {
        return json!({});
    }
    fn children(calls: &[CallFrame], at: usize, only_top: bool) -> Map<String, Value> {
        let mut o = call_frame(&calls[at]);
        if only_top {
            return o;
        }
        let depth = calls[at].depth;
        let mut kids = Vec::new();
        for (i, c) in calls.iter().enumerate().skip(at + 1) {
            if c.depth <= depth {
                break;
            }
            if c.depth == depth + 1 {
                kids.push(Value::Object(children(calls, i, false)));
            }
        }
        if !kids.is_empty() {
            o.insert("calls".into(), Value::Array(kids));
        }
        o
    }
    let mut root = children(calls, 0, only_top);
    // geth reports the transaction's gas and gas used (intrinsic gas included) on the top call.
    root.insert("gas".into(), json!(U256::from(t.gas_limit)));
    root.insert("gasUsed".into(), json!(U256::from(t.outcome.gas_used)));
    Value::Object(root)
}

fn account(a: &AccountState, fields: Option<&AccountState>) -> Value {
    let mut o = Map::new();
    // In diff mode's `post`, only what changed (`fields` is the account before).
    let show = |changed: bool| fields.is_none() || changed;
    if show(fields.is_some_and(|p| p.balance != a.balance)) {
        o.insert("balance".into(), json!(a.balance));
    }
    if show(fields.is_some_and(|p| p.nonce != a.nonce)) && (a.nonce != 0 || fields.is_some()) {
        o.insert("nonce".into(), a.nonce.into());
    }
    if !a.code.is_empty() && show(fields.is_some_and(|p| p.code != a.code)) {
        o.insert("code".into(), json!(a.code));
    }
    let storage: Map<String, Value> =
        a.storage.iter().map(|(k, v)| (B256::from(*k).to_string(), json!(B256::from(*v)))).collect();
    if !storage.is_empty() {
        o.insert("storage".into(), Value::Object(storage));
    }
    Value::Object(o)
}

fn prestate(s: &StateTrace, diff: bool) -> Value {
    if !diff {
        return Value::Object(s.pre.iter().map(|(a, acc)| (format!("{a:#x}"), account(acc, None))).collect());
    }
    let mut pre = Map::new();
    for address in &s.changed {
        let Some(before) = s.pre.get(address) else { continue };
        let mut shown = before.clone();
        // Only the slots that changed, as geth's diff mode shows them.
        let post_slots = s.post.get(address).map(|p| &p.storage);
        shown.storage.retain(|k, _| post_slots.is_some_and(|slots| slots.contains_key(k)));
        if *before != AccountState::default() {
            pre.insert(format!("{address:#x}"), account(&shown, None));
        }
    }
    let mut post = Map::new();
    for (address, after) in &s.post {
        let before = s.pre.get(address).cloned().unwrap_or_default();
        let mut shown = after.clone();
        shown.storage.retain(|k, v| before.storage.get(k) != Some(v));
        post.insert(format!("{address:#x}"), account(&shown, Some(&before)));
    }
    json!({ "pre": pre, "post": post })
}

/// `debug_trace*` parameters: the transaction or block, then optional options.
pub fn options(v: Option<Value>) -> RpcResult<TraceConfig> {
    match v {
        None | Some(Value::Null) => Ok(TraceConfig::default()),
        Some(v) => serde_json::from_value(v).map_err(|e| invalid_params(format!("trace options: {e}"))),
    }
}
