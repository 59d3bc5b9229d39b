//! The profile guest's provider: the batch guest's ([`crate::OpenVmCrypto`]) plus the precompiles whose
//! curves the batch guest's VM configuration does not declare yet. Only the profile guest, run in
//! `mosaic_prover::staging_vm_config`, installs it; the batch guest takes these overrides over once its
//! own configuration (and with it the SNARK fixtures) changes.
use crate::{bn254, p256, OpenVmCrypto};
use revm::precompile::{Crypto, PrecompileHalt};

/// [`OpenVmCrypto`] plus P256VERIFY ([`p256`]) and BN254's addition, multiplication and pairing check
/// ([`bn254`]).
#[derive(Debug, Clone, Copy, Default)]
pub struct StagingCrypto;

impl Crypto for StagingCrypto {
    fn sha256(&self, input: &[u8]) -> [u8; 32] {
        OpenVmCrypto.sha256(input)
    }

    fn secp256k1_ecrecover(&self, sig: &[u8; 64], recid: u8, msg: &[u8; 32]) -> Result<[u8; 32], PrecompileHalt> {
        OpenVmCrypto.secp256k1_ecrecover(sig, recid, msg)
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
}

/// [`crate::install_providers`] with [`StagingCrypto`] as revm's provider (the profile guest).
pub fn install_staging_providers() -> bool {
    let alloy = alloy_consensus::crypto::backend::install_default_provider(alloc::sync::Arc::new(
        mosaic_openvm_ecdsa::OpenVmSecp256k1,
    ))
    .is_ok();
    let revm = revm::install_crypto(StagingCrypto);
    alloy && revm
}
