//! revm's precompile crypto provider on OpenVM's instructions, for the batch guest.
//!
//! Without a provider, every precompile in the guest runs revm's pure-Rust fallback with no OpenVM
//! acceleration: ECRECOVER, for instance, is software `k256` at ≈ 11 M cycles a call, for 3,000 gas.
//! [`OpenVmCrypto`] overrides every operation an extension in the guest's VM configuration
//! (`mosaic_prover::vm_config`) accelerates:
//! * `secp256k1_ecrecover` (0x01) on the secp256k1 curve instructions, through the recovery that
//!   transaction signatures use (`mosaic-openvm-ecdsa`);
//! * `sha256` (0x02, and the KZG point evaluation's versioned hash) on the SHA-256 instruction;
//! * BN254's addition, multiplication and pairing check (0x06–0x08, [`bn254`]);
//! * the KZG point evaluation (0x0a) and BLS12-381's additions, MSMs and pairing check (0x0b–0x0f,
//!   [`bls12_381`]); both pairings decide `false` more cheaply than `openvm-pairing` ([`pairing`]);
//! * P256VERIFY (0x100, [`p256`]).
//!
//! RIPEMD160, IDENTITY, MODEXP, BLAKE2F and the two maps to curve keep revm's default, and the block's
//! cycle budget charges what they cost (`mosaic_primitives::CycleSchedule`). The node keeps revm's native
//! back ends (libsecp256k1, blst, c-kzg); the tests here and the guest tests in `mosaic-prover` (Ethereum's
//! own vectors among them) check that both give the same results. Off the zkVM the curve arithmetic falls
//! back to big integers, which is how the tests below run this code.
#![no_std]

extern crate alloc;

use alloc::sync::Arc;
use alloy_primitives::keccak256;
use revm::precompile::{
    bls12_381::{G1Point, G1PointScalar, G2Point, G2PointScalar},
    Crypto, PrecompileHalt,
};

/// BLS12-381's additions, MSMs and pairing check, and the KZG point evaluation.
pub mod bls12_381;
/// BN254's addition, multiplication and pairing check.
pub mod bn254;
/// P256VERIFY.
pub mod p256;
/// Pairing checks with a cheaper `false` than `openvm-pairing`'s, and the shared double-and-add.
pub mod pairing;

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

    fn secp256r1_verify_signature(&self, msg: &[u8; 32], sig: &[u8; 64], pk: &[u8; 64]) -> bool {
        p256::verify(msg, sig, pk)
    }

    fn bn254_g1_add(&self, p1: &[u8], p2: &[u8]) -> Result<[u8; 64], PrecompileHalt> {
        bn254::g1_add(p1, p2)
    }

    fn bn254_g1_mul(&self, point: &[u8], scalar: &[u8]) -> Result<[u8; 64], PrecompileHalt> {
        bn254::g1_mul(point, scalar)
    }

    fn bn254_pairing_check(&self, pairs: &[(&[u8], &[u8])]) -> Result<bool, PrecompileHalt> {
        bn254::pairing_check(pairs)
    }

    fn verify_kzg_proof(
        &self,
        z: &[u8; 32],
        y: &[u8; 32],
        commitment: &[u8; 48],
        proof: &[u8; 48],
    ) -> Result<(), PrecompileHalt> {
        bls12_381::verify_kzg_proof(z, y, commitment, proof)
    }

    fn bls12_381_g1_add(&self, a: G1Point, b: G1Point) -> Result<[u8; 96], PrecompileHalt> {
        bls12_381::g1_add(a, b)
    }

    fn bls12_381_g1_msm(
        &self,
        pairs: &mut dyn Iterator<Item = Result<G1PointScalar, PrecompileHalt>>,
    ) -> Result<[u8; 96], PrecompileHalt> {
        bls12_381::g1_msm(pairs)
    }

    fn bls12_381_g2_add(&self, a: G2Point, b: G2Point) -> Result<[u8; 192], PrecompileHalt> {
        bls12_381::g2_add(a, b)
    }

    fn bls12_381_g2_msm(
        &self,
        pairs: &mut dyn Iterator<Item = Result<G2PointScalar, PrecompileHalt>>,
    ) -> Result<[u8; 192], PrecompileHalt> {
        bls12_381::g2_msm(pairs)
    }

    fn bls12_381_pairing_check(&self, pairs: &[(G1Point, G2Point)]) -> Result<bool, PrecompileHalt> {
        bls12_381::pairing_check(pairs)
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
