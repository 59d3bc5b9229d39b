//! revm's precompile crypto provider on OpenVM's instructions, for the batch guest.
//!
//! Without a provider, every precompile in the guest runs revm's pure-Rust fallback with no OpenVM
//! acceleration: ECRECOVER, for instance, is software `k256` at ≈ 11 M cycles a call, for 3,000 gas.
//! [`OpenVmCrypto`] overrides the operations that an extension in the guest's VM configuration already
//! accelerates:
//! * `secp256k1_ecrecover` (0x01) runs on the secp256k1 curve instructions, through the recovery that
//!   transaction signatures use (`mosaic-openvm-ecdsa`);
//! * `sha256` (0x02, and the KZG point evaluation's versioned hash) runs on the SHA-256 instruction.
//!
//! Every other operation keeps revm's default, and the block's cycle budget charges what it costs
//! (`mosaic_primitives::CycleSchedule`). The node keeps revm's native back ends (libsecp256k1); the tests
//! here and the guest tests in `mosaic-prover` check that both give the same results. Off the zkVM the
//! curve arithmetic falls back to big integers, which is how the tests below run this code.
#![no_std]

extern crate alloc;

use alloc::sync::Arc;
use alloy_primitives::keccak256;
use revm::precompile::{Crypto, PrecompileHalt};

/// revm's crypto provider on OpenVM's instructions.
#[derive(Debug, Clone, Copy, Default)]
pub struct OpenVmCrypto;

impl Crypto for OpenVmCrypto {
    fn sha256(&self, input: &[u8]) -> [u8; 32] {
        #[cfg(target_os = "zkvm")]
        {
            openvm_sha2::Sha256::digest(input)
        }
        #[cfg(not(target_os = "zkvm"))]
        {
            revm::precompile::DefaultCrypto.sha256(input)
        }
    }

    fn secp256k1_ecrecover(&self, sig: &[u8; 64], recid: u8, msg: &[u8; 32]) -> Result<[u8; 32], PrecompileHalt> {
        ecrecover(sig, recid, msg).ok_or(PrecompileHalt::Secp256k1RecoverFailed)
    }
}

/// The ECRECOVER result for `sig = r ‖ s`, `recid` (0 or 1) and the 32-byte `msg`: the signer's
/// address left-padded to 32 bytes, or `None` where revm's default returns an error (a zero or
/// out-of-range `r` or `s`, an `r` that is no point's x-coordinate, the point at infinity).
///
/// A high `s` is accepted, as revm's back ends accept it: they normalise `s` and flip `recid`, which
/// recovers the same key as using `s` directly.
pub fn ecrecover(sig: &[u8; 64], recid: u8, msg: &[u8; 32]) -> Option<[u8; 32]> {
    let mut full = [0u8; 65];
    full[..64].copy_from_slice(sig);
    full[64] = recid;
    let key = mosaic_openvm_ecdsa::recover_public_key(&full, msg)?;
    let mut out = keccak256(key).0;
    out[..12].fill(0);
    Some(out)
}

/// Installs both of the guest's crypto providers before the first transaction runs: alloy's (the
/// signatures of transactions) and revm's (precompiles). Returns `false` if either was already
/// installed, in which case the guest must stop: a provider installed by someone else would decide
/// what the proof says.
pub fn install_providers() -> bool {
    let alloy =
        alloy_consensus::crypto::backend::install_default_provider(Arc::new(mosaic_openvm_ecdsa::OpenVmSecp256k1))
            .is_ok();
    let revm = revm::install_crypto(OpenVmCrypto);
    alloy && revm
}

#[cfg(test)]
mod tests;

/// BLS12-381's additions, MSMs and pairing check on OpenVM's instructions (feature `staging`).
#[cfg(feature = "staging")]
pub mod bls12_381;
/// BN254's addition, multiplication and pairing check on OpenVM's instructions (feature `staging`).
#[cfg(feature = "staging")]
pub mod bn254;
/// P256VERIFY on OpenVM's instructions (feature `staging`: its guest's VM must declare P256's moduli and
/// curve).
#[cfg(feature = "staging")]
pub mod p256;
/// Pairing checks with a cheaper `false` than `openvm-pairing`'s (feature `staging`).
#[cfg(feature = "staging")]
pub mod pairing;
/// The profile guest's staging provider.
#[cfg(feature = "staging")]
pub mod staging;
