//! A misbehaving Wasm contract for the node's bad-input tests: each function runs into one of the
//! node's limits (gas/fuel, the 32-page memory cap, the stack) and must fail cleanly there.

#![no_std]

extern crate alloc;

use alloc::vec::Vec;
use core::arch::wasm32;
use core::hint::black_box;
use mosaic_sdk::{entry, gas_left, sol, CallResult, SolCall, U256};

sol! {
    /// Loops forever on pure computation (no host calls): only fuel/gas metering stops it.
    function spin() external;
    /// Grows memory 16 pages at a time until `memory.grow` fails, writes to the last byte of the
    /// top page and returns the final size in pages.
    function grow() external returns (uint256 pages);
    /// Non-tail recursion `depth` deep with a 64-byte stack frame each; returns `depth`.
    function recurse(uint32 depth) external returns (uint32);
    /// Calls `gas_left()` in a loop until the gas runs out.
    function burn() external;
}

#[inline(never)]
fn recurse(depth: u32) -> u32 {
    let mut frame = [0u8; 64];
    frame[0] = depth as u8;
    black_box(&mut frame);
    if depth == 0 {
        return 0;
    }
    let below = recurse(depth - 1);
    // Use the frame after the call, so the recursion is not a tail call.
    below + 1 + black_box(&frame)[1] as u32
}

fn handle(input: &[u8]) -> CallResult {
    if input.len() < 4 {
        return Err(Vec::new());
    }
    let (selector, data) = input.split_at(4);
    match [selector[0], selector[1], selector[2], selector[3]] {
        spinCall::SELECTOR => {
            let mut x = 0u64;
            loop {
                x = black_box(x.wrapping_add(1));
            }
        }
        growCall::SELECTOR => {
            while wasm32::memory_grow(0, 16) != usize::MAX {}
            let pages = wasm32::memory_size(0);
            // SAFETY: the last byte of linear memory is in bounds.
            unsafe { core::ptr::write_volatile((pages * 65_536 - 1) as *mut u8, 0xff) };
            Ok(growCall::abi_encode_returns(&U256::from(pages)))
        }
        recurseCall::SELECTOR => {
            let c = recurseCall::abi_decode_raw(data).map_err(|_| Vec::new())?;
            Ok(recurseCall::abi_encode_returns(&recurse(c.depth)))
        }
        burnCall::SELECTOR => loop {
            black_box(gas_left());
        },
        _ => Err(Vec::new()),
    }
}

entry!(call = handle);
