//! JSON-RPC error objects with the codes and shapes geth and reth use.
use alloy_primitives::Bytes;
use jsonrpsee::types::ErrorObjectOwned;
use mosaic_node::SubmitError;

/// Invalid method parameters.
pub const INVALID_PARAMS: i32 = -32602;
/// Internal error.
pub const INTERNAL_ERROR: i32 = -32603;
/// Server error used by geth for transaction and execution failures.
pub const SERVER_ERROR: i32 = -32000;
/// Execution reverted (EIP-1474 / geth), carries the revert data.
pub const EXECUTION_REVERTED: i32 = 3;
/// Resource not found / unavailable (e.g. pruned state).
pub const RESOURCE_NOT_FOUND: i32 = -32001;
/// Query exceeds a limit (e.g. too many logs).
pub const LIMIT_EXCEEDED: i32 = -32005;
/// EIP-1474 "transaction rejected": this node takes no transactions (it follows the L1).
pub const TRANSACTION_REJECTED: i32 = -32003;

/// An error with a code and message.
pub fn rpc_err(code: i32, msg: impl Into<String>) -> ErrorObjectOwned {
    ErrorObjectOwned::owned(code, msg.into(), None::<()>)
}

/// Invalid params.
pub fn invalid_params(msg: impl Into<String>) -> ErrorObjectOwned {
    rpc_err(INVALID_PARAMS, msg)
}

/// Internal error; the message is logged-quality, never user data.
pub fn internal(e: impl std::fmt::Display) -> ErrorObjectOwned {
    tracing::warn!(%e, "internal RPC error");
    rpc_err(INTERNAL_ERROR, format!("internal error: {e}"))
}

/// geth's revert error: code 3, `execution reverted[: reason]`, data = revert bytes.
pub fn reverted(output: &Bytes) -> ErrorObjectOwned {
    let msg = match alloy_sol_types::decode_revert_reason(output) {
        Some(reason) => format!("execution reverted: {reason}"),
        None => "execution reverted".to_string(),
    };
    ErrorObjectOwned::owned(EXECUTION_REVERTED, msg, Some(output.to_string()))
}

/// A transaction that alone needs more proving cycles than a block may take: `-32000`, the admission
/// error's text, and `data: {provingCycles, cycleBudget}`.
pub fn cycle_budget_error(cycles: u64, budget: u64) -> ErrorObjectOwned {
    let msg = SubmitError::ExceedsBlockCycleBudget { cycles, budget }.to_string();
    let data = serde_json::json!({ "provingCycles": format!("{cycles:#x}"), "cycleBudget": format!("{budget:#x}") });
    ErrorObjectOwned::owned(SERVER_ERROR, msg, Some(data))
}

/// Maps a refused submission to the JSON-RPC error geth would return.
pub fn submit_error(e: SubmitError) -> ErrorObjectOwned {
    match e {
        SubmitError::Decode(_) | SubmitError::Oversized { .. } => invalid_params(e.to_string()),
        SubmitError::Internal(_) => internal(e),
        SubmitError::ExceedsBlockCycleBudget { cycles, budget } => cycle_budget_error(cycles, budget),
        other => rpc_err(SERVER_ERROR, other.to_string()),
    }
}
