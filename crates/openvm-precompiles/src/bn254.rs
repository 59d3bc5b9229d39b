//! BN254 G1 addition (0x06) and scalar multiplication (0x07) on OpenVM's modular-arithmetic and
//! short-Weierstrass instructions over BN254's base field, staged like P256VERIFY (`crate::p256`).
//!
//! In software (revm's arkworks fallback) an addition costs ≈ 142k cycles for 150 gas and a
//! multiplication ≈ 4.4 M for 6,000 gas. The decoding follows revm's exactly, error for error: each
//! coordinate below p (else `Bn254FieldPointNotAMember`, x before y, the first point before the second),
//! `(0, 0)` is the identity, any other point must be on `y² = x³ + 3` (else
//! `Bn254AffineGFailedToCreate`; G1 has prime order, so that is the subgroup check too); the scalar is
//! any 256-bit integer, reduced modulo the group order. The curve's struct name is OpenVM's
//! (`Bn254G1Affine`, `PairingCurve::Bn254.curve_config()`), so the pairing extension can join the same
//! configuration later.
// The OpenVM macros expand to items without docs.
#![allow(missing_docs)]

// The curve macros' expansion negates points through `Neg`.
#[allow(unused_imports)]
use core::ops::Neg;
use openvm_algebra_guest::{moduli_macros::moduli_declare, IntMod, Reduce};
use openvm_ecc_guest::{
    sw_macros::sw_declare,
    weierstrass::{CachedMulTable, IntrinsicCurve, WeierstrassPoint},
    Group,
};
use revm::precompile::PrecompileHalt;

moduli_declare! {
    Bn254Coord { modulus = "0x30644E72E131A029B85045B68181585D97816A916871CA8D3C208C16D87CFD47" },
    Bn254Scalar { modulus = "0x30644E72E131A029B85045B68181585D2833E84879B9709143E1F593F0000001" },
}

/// `b = 3` of `y² = x³ + 3`.
const CURVE_B: Bn254Coord = Bn254Coord::from_const_u8(3);

sw_declare! {
    Bn254G1Affine { mod_type = Bn254Coord, b = CURVE_B },
}

/// The curve, for OpenVM's scalar multiplication.
struct Bn254G1;

impl IntrinsicCurve for Bn254G1 {
    type Scalar = Bn254Scalar;
    type Point = Bn254G1Affine;

    fn msm(coeffs: &[Self::Scalar], bases: &[Self::Point]) -> Self::Point {
        // One base: a 4-bit window table. G1 has prime order (cofactor 1), which the table's shortcuts
        // require of the base; decoding admits only the identity and points on the curve.
        CachedMulTable::<Self>::new_with_prime_order(bases, 4).windowed_mul(coeffs)
    }
}

/// A G1 point from 64 big-endian bytes `x ‖ y`, as revm's arkworks back end reads it.
fn read_point(bytes: &[u8]) -> Result<Bn254G1Affine, PrecompileHalt> {
    let (Some(xb), Some(yb)) = (bytes.get(..32), bytes.get(32..64)) else {
        return Err(PrecompileHalt::Bn254FieldPointNotAMember);
    };
    let x = Bn254Coord::from_be_bytes(xb).ok_or(PrecompileHalt::Bn254FieldPointNotAMember)?;
    let y = Bn254Coord::from_be_bytes(yb).ok_or(PrecompileHalt::Bn254FieldPointNotAMember)?;
    if x == Bn254Coord::ZERO && y == Bn254Coord::ZERO {
        return Ok(<Bn254G1Affine as Group>::IDENTITY);
    }
    // SAFETY: from_xy_nonidentity checks the curve equation; every point on G1 is in the prime-order
    // group (cofactor 1).
    unsafe { Bn254G1Affine::from_xy_nonidentity(x, y) }.ok_or(PrecompileHalt::Bn254AffineGFailedToCreate)
}

/// `x ‖ y` big-endian, all zeros for the identity.
fn encode(point: &Bn254G1Affine) -> [u8; 64] {
    let mut out = [0u8; 64];
    if !point.is_identity() {
        out[..32].copy_from_slice(point.x().to_be_bytes().as_ref());
        out[32..].copy_from_slice(point.y().to_be_bytes().as_ref());
    }
    out
}

/// ECADD: `p1 + p2` (each 64 bytes, right-padded by revm).
pub fn g1_add(p1: &[u8], p2: &[u8]) -> Result<[u8; 64], PrecompileHalt> {
    let a = read_point(p1)?;
    let b = read_point(p2)?;
    // The group law of the macros handles the identity, equal points (a doubling) and opposite ones.
    Ok(encode(&(a + b)))
}

/// ECMUL: `k · p` for the 64-byte point and the 32-byte big-endian scalar `k` (any 256-bit value).
pub fn g1_mul(point: &[u8], scalar: &[u8]) -> Result<[u8; 64], PrecompileHalt> {
    let p = read_point(point)?;
    let Some(scalar) = scalar.get(..32) else { return Err(PrecompileHalt::Bn254FieldPointNotAMember) };
    // k·P = (k mod r)·P in a group of order r.
    let k = Bn254Scalar::reduce_be_bytes(scalar);
    Ok(encode(&Bn254G1::msm(&[k], &[p])))
}

#[cfg(test)]
mod tests;
