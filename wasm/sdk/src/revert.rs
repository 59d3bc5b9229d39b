//! Building revert data. A handler reverts by returning `Err(data)`; these build `data` the way
//! Solidity does, so callers and tools (alloy, cast, ethers) decode it.

use alloc::vec::Vec;
use alloy_sol_types::SolError;

/// Builders for Solidity-compatible revert payloads.
#[derive(Clone, Copy, Debug)]
pub struct Revert;

fn push_word(out: &mut Vec<u8>, v: usize) {
    out.extend_from_slice(&[0; 24]);
    out.extend_from_slice(&(v as u64).to_be_bytes());
}

impl Revert {
    /// `Error(string)` (selector `0x08c379a0`), as `revert("msg")` and `require(c, "msg")` produce.
    pub fn message(msg: &str) -> Vec<u8> {
        let msg = msg.as_bytes();
        let mut out = Vec::with_capacity(4 + 64 + msg.len().div_ceil(32) * 32);
        out.extend_from_slice(&[0x08, 0xc3, 0x79, 0xa0]);
        push_word(&mut out, 32);
        push_word(&mut out, msg.len());
        out.extend_from_slice(msg);
        out.resize(out.len().div_ceil(32) * 32 + 4, 0);
        out
    }

    /// A custom error declared with `sol!` (`error Name(args)`): selector followed by the ABI-encoded
    /// arguments, as Solidity's `revert Name(args)` produces.
    pub fn error<E: SolError>(err: &E) -> Vec<u8> {
        err.abi_encode()
    }

    /// `Panic(uint256 code)` (selector `0x4e487b71`), as Solidity's checked arithmetic (0x11),
    /// division by zero (0x12) or out-of-bounds access (0x32) produce.
    pub fn panic(code: u8) -> Vec<u8> {
        let mut out = Vec::with_capacity(36);
        out.extend_from_slice(&[0x4e, 0x48, 0x7b, 0x71]);
        push_word(&mut out, code as usize);
        out
    }
}

/// Reverts with `data` verbatim (for example a callee's revert data, to bubble it up):
/// `return revert_with(&data)` from a handler.
pub fn revert_with<T>(data: &[u8]) -> Result<T, Vec<u8>> {
    Err(data.to_vec())
}
