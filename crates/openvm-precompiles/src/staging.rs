//! The profile guest's provider: the batch guest's ([`crate::OpenVmCrypto`]) plus the precompiles whose
//! curves the batch guest's VM configuration does not declare yet. Only the profile guest, run in
//! `mosaic_prover::staging_vm_config`, installs it; the batch guest takes these overrides over once its
//! own configuration (and with it the SNARK fixtures) changes.
use crate::{bls12_381, bn254, p256, OpenVmCrypto};
use revm::precompile::{
    bls12_381::{G1Point, G1PointScalar, G2Point, G2PointScalar},
    Crypto, PrecompileHalt,
};

/// [`OpenVmCrypto`] plus P256VERIFY ([`p256`]), BN254's addition, multiplication and pairing check
/// ([`bn254`]), BLS12-381's additions, MSMs and pairing check and the KZG point evaluation
/// ([`bls12_381`]).
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

    fn verify_kzg_proof(
        &self,
        z: &[u8; 32],
        y: &[u8; 32],
        commitment: &[u8; 48],
        proof: &[u8; 48],
    ) -> Result<(), PrecompileHalt> {
        bls12_381::verify_kzg_proof(z, y, commitment, proof)
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
