//! A Wasm contract that calls a Solidity contract (`Registry`) across VMs, for the node's
//! cross-VM tests: plain and payable calls, revert bubbling, partial rollback, static calls,
//! Wasm → EVM → Wasm reentrancy and self-recursion to the call-depth limit.
//!
//! Storage: slot 0 = the `previous` value returned by the last `setRemote`, slot 1 = a counter
//! bumped by `tryFailRemote`. Only `depositRemote` is payable; like Solidity, other calls with value
//! and malformed arguments revert with empty data, and an unknown selector reverts with
//! `UnknownSelector(bytes4)`.

#![no_std]

extern crate alloc;

use alloc::vec::Vec;
use mosaic_sdk::alloy_sol_types::abi::{
    self,
    token::{PackedSeqToken, WordToken},
};
use mosaic_sdk::alloy_sol_types::sol_data;
use mosaic_sdk::storage;
use mosaic_sdk::{
    address, call, call_sol, emit, entry, sol, static_call_sol, value, Address, CallResult, Revert, SolCall, SolType,
    ALL_GAS, U256,
};

sol! {
    /// The Solidity contract this one calls.
    interface IRegistry {
        function set(uint256 v) external returns (uint256 previous);
        function deposit() external payable returns (uint256 total);
        function fail(string calldata reason) external pure;
        function setThenFail(uint256 v) external;
        function callBack(address target, bytes calldata data) external returns (bytes memory);
        function whoCalls() external view returns (address);
        error Failed(string reason);
    }

    function setRemote(address registry, uint256 v) external returns (uint256 previous);
    function depositRemote(address registry) external payable returns (uint256 total);
    function failRemote(address registry, string reason) external;
    function tryFailRemote(address registry) external returns (bool ok, uint256 counter);
    function whoCallsRemote(address registry) external view returns (address);
    function counter() external view returns (uint256);
    function lastPrevious() external view returns (uint256);
    function reenter(address registry) external returns (bytes memory);
    function selfCallDepth(uint256 n) external returns (uint256);

    event Forwarded(address indexed target, uint256 value, uint256 previous);
    error UnknownSelector(bytes4 selector);
}

const LAST_PREVIOUS: u64 = 0;
const COUNTER: u64 = 1;

/// Decodes a call's arguments (after the selector); malformed input reverts with empty data.
fn args<C: SolCall>(data: &[u8]) -> Result<C, Vec<u8>> {
    C::abi_decode_raw(data).map_err(|_| Vec::new())
}

fn handle(input: &[u8]) -> CallResult {
    let mut selector = [0u8; 4];
    let n = input.len().min(4);
    selector[..n].copy_from_slice(&input[..n]);
    let data = &input[n..];
    if selector != depositRemoteCall::SELECTOR && !value().is_zero() {
        return Err(Vec::new());
    }
    match selector {
        // registry.set(v); remember what it returned and log it.
        setRemoteCall::SELECTOR => {
            let c: setRemoteCall = args(data)?;
            let previous = call_sol(c.registry, U256::ZERO, &IRegistry::setCall { v: c.v })?;
            storage::store(LAST_PREVIOUS, previous);
            emit(&Forwarded { target: c.registry, value: c.v, previous });
            Ok(setRemoteCall::abi_encode_returns(&previous))
        }
        // registry.deposit{value: msg.value}().
        depositRemoteCall::SELECTOR => {
            let c: depositRemoteCall = args(data)?;
            let total = call_sol(c.registry, value(), &IRegistry::depositCall {})?;
            Ok(depositRemoteCall::abi_encode_returns(&total))
        }
        // registry.fail(reason) reverts with Failed(reason): `?` bubbles its revert data verbatim.
        failRemoteCall::SELECTOR => {
            // The reason is passed through as raw ABI bytes (`string` and `bytes` encode alike),
            // which keeps UTF-8 conversion code out of the module.
            let (registry, reason): (WordToken, PackedSeqToken<'_>) =
                abi::decode_sequence(data).map_err(|_| Vec::new())?;
            let mut calldata = IRegistry::failCall::SELECTOR.to_vec();
            calldata.extend_from_slice(&<(sol_data::Bytes,)>::abi_encode_params(&(reason.0,)));
            call(Address::from_word(registry.0), U256::ZERO, &calldata, ALL_GAS)?;
            Ok(Vec::new())
        }
        // Our own write survives the callee's revert: only the callee's frame is rolled back.
        tryFailRemoteCall::SELECTOR => {
            let c: tryFailRemoteCall = args(data)?;
            let counter = storage::load(COUNTER) + U256::from(1);
            storage::store(COUNTER, counter);
            let calldata = IRegistry::setThenFailCall { v: U256::from(7) }.abi_encode();
            let ok = call(c.registry, U256::ZERO, &calldata, ALL_GAS).is_ok();
            Ok(tryFailRemoteCall::abi_encode_returns(&tryFailRemoteReturn { ok, counter }))
        }
        whoCallsRemoteCall::SELECTOR => {
            let c: whoCallsRemoteCall = args(data)?;
            let who = static_call_sol(c.registry, &IRegistry::whoCallsCall {})?;
            Ok(whoCallsRemoteCall::abi_encode_returns(&who))
        }
        counterCall::SELECTOR => Ok(counterCall::abi_encode_returns(&storage::load(COUNTER))),
        lastPreviousCall::SELECTOR => Ok(lastPreviousCall::abi_encode_returns(&storage::load(LAST_PREVIOUS))),
        // registry.callBack(this, abi.encodeCall(counter, ())): Wasm → EVM → Wasm.
        // The returned `bytes` is passed through as callBack's ABI-encoded output (same return
        // type); encoding by hand keeps `alloy_primitives::Bytes` out of the module.
        reenterCall::SELECTOR => {
            let c: reenterCall = args(data)?;
            let mut calldata = IRegistry::callBackCall::SELECTOR.to_vec();
            calldata.extend_from_slice(&<(sol_data::Address, sol_data::Bytes)>::abi_encode_params(&(
                address(),
                counterCall {}.abi_encode(),
            )));
            call(c.registry, U256::ZERO, &calldata, ALL_GAS)
        }
        // this.selfCallDepth(n - 1) + 1, down to 0: returns n, or reverts with the innermost
        // failure (the call-depth limit: empty data) bubbled up.
        selfCallDepthCall::SELECTOR => {
            let c: selfCallDepthCall = args(data)?;
            let depth = if c.n.is_zero() {
                U256::ZERO
            } else {
                let inner = selfCallDepthCall { n: c.n - U256::from(1) };
                call_sol(address(), U256::ZERO, &inner)? + U256::from(1)
            };
            Ok(selfCallDepthCall::abi_encode_returns(&depth))
        }
        _ => Err(Revert::error(&UnknownSelector { selector: selector.into() })),
    }
}

entry!(call = handle);
