//! Contract-side SDK for Mosaic's Wasm VM.
//!
//! A contract is a `cdylib` built for `wasm32-unknown-unknown` that exports `call` (and optionally
//! `deploy`) and imports host functions from the module `mosaic` (see [`sys`] and `wasm/README.md`).
//! This crate wraps those imports in safe functions and generates the exports with [`entry!`]:
//!
//! ```ignore
//! #![no_std]
//! extern crate alloc;
//! use alloc::vec::Vec;
//!
//! fn handle(input: &[u8]) -> Result<Vec<u8>, Vec<u8>> {
//!     // dispatch on the 4-byte selector, decode with alloy-sol-types, return ABI-encoded output
//!     # unimplemented!()
//! }
//!
//! mosaic_sdk::entry!(call = handle);
//! ```
//!
//! Handlers return `Ok(output)` to succeed or `Err(revert_data)` to revert (build revert data with
//! [`Revert`]). Words are big-endian like the EVM's, so storage slots, event topics and ABI data
//! are interchangeable with Solidity contracts.
//!
//! With the default `runtime` feature the crate also defines the global allocator (a bump
//! allocator) and the panic handler (a trap).

#![no_std]
#![warn(missing_docs)]

extern crate alloc;

use alloc::vec::Vec;

pub use alloy_primitives::{self, Address, FixedBytes, B256, U256};
pub use alloy_sol_types::{self, SolCall, SolError, SolEvent, SolType, SolValue};

mod revert;
#[cfg(all(feature = "runtime", target_arch = "wasm32", not(test)))]
mod runtime;
pub mod storage;
pub mod sys;

pub use revert::{revert_with, Revert};

/// What a handler returns: `Ok(output)` to succeed, `Err(revert_data)` to revert.
pub type CallResult = Result<Vec<u8>, Vec<u8>>;

/// Passed as `gas` to [`call`], [`static_call`] or [`delegate_call`]: forward all available gas
/// (the host caps any request at all but 1/64 of what is left).
pub const ALL_GAS: u64 = u64::MAX;

/// `alloy_sol_types::sol!`, pointed at this crate's re-export of `alloy_sol_types` so that contracts
/// need not depend on it directly. Declares Solidity functions (`fooCall` with `SELECTOR`,
/// `abi_decode_raw`, `abi_encode_returns`), events (for [`emit`]), errors (for [`Revert::error`]),
/// structs and interfaces, with the same ABI as Solidity.
#[macro_export]
macro_rules! sol {
    ($($tt:tt)*) => {
        $crate::alloy_sol_types::sol! {
            #![sol(alloy_sol_types = $crate::alloy_sol_types)]
            $($tt)*
        }
    };
}

// ---------------------------------------------------------------------------------------------
// Input and output
// ---------------------------------------------------------------------------------------------

/// The frame's input: the calldata in `call`, the constructor arguments in `deploy`.
pub fn input() -> Vec<u8> {
    // SAFETY: the host writes exactly `len` bytes into the reserved capacity.
    unsafe {
        let len = sys::input_size() as usize;
        let mut buf = Vec::with_capacity(len);
        sys::input_copy(buf.as_mut_ptr(), 0, len as i32);
        buf.set_len(len);
        buf
    }
}

/// Sets the frame's return data (or revert data, if the entry point then reports failure).
/// [`entry!`] calls this with the handler's result; calling it directly is rarely needed.
pub fn set_output(data: &[u8]) {
    // SAFETY: reads `data.len()` bytes from a valid slice.
    unsafe { sys::set_output(data.as_ptr(), data.len() as i32) }
}

/// The return (or revert) data of the last call this frame made.
pub fn return_data() -> Vec<u8> {
    // SAFETY: the host writes exactly `len` bytes into the reserved capacity.
    unsafe {
        let len = sys::return_data_size() as usize;
        let mut buf = Vec::with_capacity(len);
        sys::return_data_copy(buf.as_mut_ptr(), 0, len as i32);
        buf.set_len(len);
        buf
    }
}

#[doc(hidden)]
pub fn __entry<F: FnOnce(&[u8]) -> CallResult>(handler: F) -> i32 {
    let (status, out) = match handler(&input()) {
        Ok(out) => (0, out),
        Err(data) => (1, data),
    };
    set_output(&out);
    status
}

/// Generates the module's exported entry points from handler functions.
///
/// `entry!(call = handler)` exports `call`; `entry!(call = handler, deploy = constructor)` also
/// exports `deploy`, which the node runs once at deployment with the constructor arguments as input.
/// Each handler is anything callable as `FnOnce(&[u8]) -> Result<Vec<u8>, Vec<u8>>` ([`CallResult`]):
/// it receives the frame's input, and its `Ok` value becomes the return data (exit code 0) while its
/// `Err` value becomes the revert data (exit code 1, all state changes of the frame are undone).
/// Use it once, in the contract crate.
#[macro_export]
macro_rules! entry {
    (call = $call:expr, deploy = $deploy:expr $(,)?) => {
        $crate::entry!(call = $call);
        const _: () = {
            #[unsafe(export_name = "deploy")]
            extern "C" fn __mosaic_deploy() -> i32 {
                $crate::__entry($deploy)
            }
        };
    };
    (call = $call:expr $(,)?) => {
        const _: () = {
            #[unsafe(export_name = "call")]
            extern "C" fn __mosaic_call() -> i32 {
                $crate::__entry($call)
            }
        };
    };
}

// ---------------------------------------------------------------------------------------------
// Environment
// ---------------------------------------------------------------------------------------------

macro_rules! address_getter {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        pub fn $name() -> Address {
            let mut out = Address::ZERO;
            // SAFETY: the host writes 20 bytes.
            unsafe { sys::$name(out.0 .0.as_mut_ptr()) };
            out
        }
    };
}

macro_rules! word_getter {
    ($(#[$doc:meta])* $name:ident => $import:ident) => {
        $(#[$doc])*
        pub fn $name() -> U256 {
            let mut out = [0u8; 32];
            // SAFETY: the host writes 32 bytes.
            unsafe { sys::$import(out.as_mut_ptr()) };
            U256::from_be_bytes(out)
        }
    };
}

address_getter!(
    /// `msg.sender`: the account or contract that called this frame.
    caller
);
address_getter!(
    /// `address(this)`: this contract's address (for a DELEGATECALL, the delegating contract's).
    address
);
address_getter!(
    /// `tx.origin`: the account that signed the transaction.
    origin
);
address_getter!(
    /// `block.coinbase`: the block's beneficiary.
    coinbase
);
word_getter!(
    /// `msg.value`: wei sent with this call.
    value => call_value
);
word_getter!(
    /// `block.basefee`.
    base_fee => base_fee
);
word_getter!(
    /// `tx.gasprice`: the effective gas price of the transaction.
    gas_price => gas_price
);

/// `block.chainid`.
pub fn chain_id() -> u64 {
    // SAFETY: no pointers.
    unsafe { sys::chain_id() as u64 }
}

/// `block.number`.
pub fn block_number() -> u64 {
    // SAFETY: no pointers.
    unsafe { sys::block_number() as u64 }
}

/// `block.timestamp`, in seconds.
pub fn timestamp() -> u64 {
    // SAFETY: no pointers.
    unsafe { sys::block_timestamp() as u64 }
}

/// `gasleft()`: gas remaining in this frame.
pub fn gas_left() -> u64 {
    // SAFETY: no pointers.
    unsafe { sys::gas_left() as u64 }
}

/// `addr.balance`, in wei.
pub fn balance(addr: Address) -> U256 {
    let mut out = [0u8; 32];
    // SAFETY: reads 20 bytes, writes 32.
    unsafe { sys::balance(addr.0 .0.as_ptr(), out.as_mut_ptr()) };
    U256::from_be_bytes(out)
}

/// keccak256 of `data`, computed by the host.
pub fn keccak256(data: &[u8]) -> B256 {
    let mut out = B256::ZERO;
    // SAFETY: reads `data.len()` bytes, writes 32.
    unsafe { sys::keccak256(data.as_ptr(), data.len() as i32, out.0.as_mut_ptr()) };
    out
}

// ---------------------------------------------------------------------------------------------
// Events
// ---------------------------------------------------------------------------------------------

/// Emits a raw EVM log with up to 4 topics (more makes the host trap).
pub fn emit_raw(topics: &[B256], data: &[u8]) {
    // SAFETY: `B256` is `repr(transparent)` over `[u8; 32]`, so `topics` is contiguous words.
    unsafe { sys::emit_log(topics.as_ptr().cast(), topics.len() as i32, data.as_ptr(), data.len() as i32) }
}

/// Emits an event declared with [`sol!`], exactly as Solidity's `emit` would (signature hash as
/// the first topic unless anonymous, indexed parameters as topics, the rest ABI-encoded as data).
pub fn emit<E: SolEvent>(event: &E) {
    let topics = event.encode_topics();
    let data = event.encode_data();
    // SAFETY: `WordToken` is `repr(transparent)` over a 32-byte word.
    unsafe { sys::emit_log(topics.as_ptr().cast(), topics.len() as i32, data.as_ptr(), data.len() as i32) }
}

// ---------------------------------------------------------------------------------------------
// Calls
// ---------------------------------------------------------------------------------------------

fn raw_call(kind: i32, addr: &Address, value: &[u8; 32], data: &[u8], gas: u64) -> CallResult {
    let gas = if gas > i64::MAX as u64 { sys::ALL_GAS } else { gas as i64 };
    // SAFETY: reads 20 bytes at `addr`, 32 at `value`, `data.len()` at `data`.
    let status = unsafe { sys::call(kind, gas, addr.0 .0.as_ptr(), value.as_ptr(), data.as_ptr(), data.len() as i32) };
    let out = return_data();
    if status == 0 {
        Ok(out)
    } else {
        Err(out)
    }
}

/// CALLs `addr` (an EVM or a Wasm contract, or an account) with `value` wei and calldata `data`,
/// forwarding up to `gas` ([`ALL_GAS`] for all available). `Ok(return_data)` if the callee
/// succeeded, `Err(revert_data)` if it reverted or failed; only the callee's changes are undone.
pub fn call(addr: Address, value: U256, data: &[u8], gas: u64) -> CallResult {
    raw_call(sys::CALL, &addr, &value.to_be_bytes::<32>(), data, gas)
}

/// STATICCALLs `addr`: like [`call`] without value, and the callee may not change state.
pub fn static_call(addr: Address, data: &[u8], gas: u64) -> CallResult {
    raw_call(sys::STATICCALL, &addr, &[0; 32], data, gas)
}

/// DELEGATECALLs `addr`: runs its code on this contract's storage, with this frame's caller and value.
pub fn delegate_call(addr: Address, data: &[u8], gas: u64) -> CallResult {
    raw_call(sys::DELEGATECALL, &addr, &[0; 32], data, gas)
}

fn decode_returns<C: SolCall>(out: CallResult) -> Result<C::Return, Vec<u8>> {
    let out = out?;
    match C::abi_decode_returns(&out) {
        Ok(ret) => Ok(ret),
        Err(_) => Err(out),
    }
}

/// Calls a [`sol!`]-declared function on `addr` with `value` wei and all available gas, and decodes
/// its return values. `Err` holds the callee's revert data, or its return data if that does not
/// decode as `C::Return` (so it can be bubbled up either way).
pub fn call_sol<C: SolCall>(addr: Address, value: U256, call_data: &C) -> Result<C::Return, Vec<u8>> {
    decode_returns::<C>(call(addr, value, &call_data.abi_encode(), ALL_GAS))
}

/// Like [`call_sol`], as a STATICCALL (for `view`/`pure` functions).
pub fn static_call_sol<C: SolCall>(addr: Address, call_data: &C) -> Result<C::Return, Vec<u8>> {
    decode_returns::<C>(static_call(addr, &call_data.abi_encode(), ALL_GAS))
}
