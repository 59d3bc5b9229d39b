//! BN254's precompiles on OpenVM's instructions: G1 addition
//! (0x06) and scalar multiplication (0x07) on the short-Weierstrass instructions over BN254's base field,
//! and the pairing check (0x08) on the Fp2 instructions and the pairing extension's final-exponentiation
//! hint. The curve types are OpenVM's own (`openvm-pairing`, `Bn254G1Affine` in the VM configuration).
//!
//! In software (revm's arkworks fallback) an addition costs ≈ 142k cycles for 150 gas, a multiplication
//! ≈ 4.4 M for 6,000 gas and a two-pair pairing check ≈ 57 M for 113,000 gas. The decoding follows revm's
//! exactly, error for error and in the same order: each coordinate below p (else
//! `Bn254FieldPointNotAMember`), `(0, 0)` is the identity, any other G1 point must be on `y² = x³ + 3`
//! and any other G2 point on the twist and in the order-r subgroup (else `Bn254AffineGFailedToCreate`;
//! G1 has prime order, so its curve check is its subgroup check); the scalar is any 256-bit integer,
//! reduced modulo r; Fp2 elements are encoded imaginary part first.

use alloc::vec::Vec;
use openvm_algebra_guest::{IntMod, Reduce};
use openvm_ecc_guest::{
    weierstrass::{IntrinsicCurve, WeierstrassPoint},
    AffinePoint, Group,
};
use openvm_pairing::bn254::{Bn254, Fp, Fp2, G1Affine, G2Affine, Scalar};
use revm::precompile::PrecompileHalt;

/// BN254's group order r, big-endian (the subgroup check of G2 multiplies by it).
const ORDER: [u8; 32] = alloy_primitives::hex!("30644E72E131A029B85045B68181585D2833E84879B9709143E1F593F0000001");

/// A base-field element from 32 big-endian bytes, below p.
fn read_fp(bytes: &[u8]) -> Result<Fp, PrecompileHalt> {
    bytes.get(..32).and_then(Fp::from_be_bytes).ok_or(PrecompileHalt::Bn254FieldPointNotAMember)
}

/// A G1 point from 64 big-endian bytes `x ‖ y`, as revm's arkworks back end reads it.
pub(crate) fn read_g1(bytes: &[u8]) -> Result<G1Affine, PrecompileHalt> {
    let x = read_fp(bytes)?;
    let y = read_fp(bytes.get(32..).unwrap_or_default())?;
    if x == Fp::ZERO && y == Fp::ZERO {
        return Ok(<G1Affine as Group>::IDENTITY);
    }
    // SAFETY: from_xy_nonidentity checks the curve equation; every point on G1 is in the prime-order
    // group (cofactor 1).
    unsafe { G1Affine::from_xy_nonidentity(x, y) }.ok_or(PrecompileHalt::Bn254AffineGFailedToCreate)
}

/// An Fp2 element from 64 bytes `c1 ‖ c0` (imaginary part first, and read first, as revm reads it).
fn read_fp2(bytes: &[u8]) -> Result<Fp2, PrecompileHalt> {
    let c1 = read_fp(bytes)?;
    let c0 = read_fp(bytes.get(32..).unwrap_or_default())?;
    Ok(Fp2::new(c0, c1))
}

/// A G2 point from 128 bytes `x ‖ y`: the identity `(0, 0)`, or a point on the twist in the order-r
/// subgroup.
pub(crate) fn read_g2(bytes: &[u8]) -> Result<G2Affine, PrecompileHalt> {
    let x = read_fp2(bytes)?;
    let y = read_fp2(bytes.get(64..).unwrap_or_default())?;
    if x == Fp2::ZERO && y == Fp2::ZERO {
        return Ok(<G2Affine as Group>::IDENTITY);
    }
    // SAFETY: from_xy_nonidentity checks the twist's equation; the subgroup is checked below.
    let point = unsafe { G2Affine::from_xy_nonidentity(x, y) }.ok_or(PrecompileHalt::Bn254AffineGFailedToCreate)?;
    if !times_order_is_identity(&point) {
        return Err(PrecompileHalt::Bn254AffineGFailedToCreate);
    }
    Ok(point)
}

/// Whether `r · point` is the identity: the twist's points outside the order-r subgroup (its cofactor
/// is not 1) fail.
fn times_order_is_identity(point: &G2Affine) -> bool {
    crate::pairing::times(point, &ORDER).is_identity()
}

/// `x ‖ y` big-endian, all zeros for the identity.
fn encode(point: &G1Affine) -> [u8; 64] {
    let mut out = [0u8; 64];
    if !point.is_identity() {
        // In the zkVM a computed coordinate need not be its canonical representative (below p): the
        // prover could pick another (x + p fits 32 bytes for BN254) and change the output bytes. An
        // equality check constrains both sides to be canonical, so assert that before reading bytes.
        point.x().assert_reduced();
        point.y().assert_reduced();
        out[..32].copy_from_slice(point.x().to_be_bytes().as_ref());
        out[32..].copy_from_slice(point.y().to_be_bytes().as_ref());
    }
    out
}

/// ECADD: `p1 + p2` (each 64 bytes, right-padded by revm).
pub fn g1_add(p1: &[u8], p2: &[u8]) -> Result<[u8; 64], PrecompileHalt> {
    let a = read_g1(p1)?;
    let b = read_g1(p2)?;
    // The group law of the macros handles the identity, equal points (a doubling) and opposite ones.
    Ok(encode(&(a + b)))
}

/// ECMUL: `k · p` for the 64-byte point and the 32-byte big-endian scalar `k` (any 256-bit value).
pub fn g1_mul(point: &[u8], scalar: &[u8]) -> Result<[u8; 64], PrecompileHalt> {
    let p = read_g1(point)?;
    let Some(scalar) = scalar.get(..32) else { return Err(PrecompileHalt::Bn254FieldPointNotAMember) };
    // k·P = (k mod r)·P in a group of order r.
    let k = Scalar::reduce_be_bytes(scalar);
    // openvm-pairing's curve: for one base, a 4-bit window table, whose shortcuts need the prime order G1
    // has (cofactor 1); decoding admits only the identity and points on the curve.
    Ok(encode(&Bn254::msm(&[k], &[p])))
}

/// ECPAIRING: whether `∏ e(g1ᵢ, g2ᵢ) = 1` over the `(64-byte G1, 128-byte G2)` pairs. Pairs with the
/// identity on either side contribute 1 and are left out (the pairing check requires non-identity
/// points); no pair left is `true`, as in revm.
pub fn pairing_check(pairs: &[(&[u8], &[u8])]) -> Result<bool, PrecompileHalt> {
    let mut g1 = Vec::with_capacity(pairs.len());
    let mut g2 = Vec::with_capacity(pairs.len());
    for (a, b) in pairs {
        let p = read_g1(a)?;
        let q = read_g2(b)?;
        if !p.is_identity() && !q.is_identity() {
            let (px, py) = p.into_coords();
            let (qx, qy) = q.into_coords();
            g1.push(AffinePoint::new(px, py));
            g2.push(AffinePoint::new(qx, qy));
        }
    }
    if g1.is_empty() {
        return Ok(true);
    }
    // A product other than 1 is a legitimate `false`: the hint proves only `true`, the final
    // exponentiation decides the rest (`crate::pairing`).
    Ok(crate::pairing::bn254_is_one(&g1, &g2))
}

#[cfg(test)]
mod tests;
