//! BLS12-381's precompiles (EIP-2537) on OpenVM's instructions, staged like BN254's (`crate::bn254`):
//! G1 addition (0x0b) and MSM (0x0c) on the short-Weierstrass instructions over the 381-bit base field
//! (48-byte limbs), G2 addition (0x0d) and MSM (0x0e) on the Fp2 instructions, and the pairing check
//! (0x0f) on the pairing extension's final-exponentiation hint. The types are `openvm-pairing`'s
//! (`Bls12_381G1Affine`, `Bls12_381Fp2` in the VM configuration). MAP_FP_TO_G1 and MAP_FP2_TO_G2 have no
//! OpenVM counterpart and keep revm's code.
//!
//! In software (revm's arkworks fallback) the worst of these cost 1,000–1,450 cycles per gas. Decoding
//! follows revm's, error for error and in the same order: each coordinate canonical (below p, else
//! `NonCanonicalFp`; revm has already stripped the 16-byte padding), Fp2 elements `c0 ‖ c1`, `(0, 0)` the
//! identity, any other point on its curve (else `Bls12381G{1,2}NotOnCurve`); the MSMs and the pairing
//! also require the order-r subgroup (else `Bls12381G{1,2}NotInSubgroup`; both curves have cofactors),
//! the additions do not. MSM scalars are any 256-bit value, reduced modulo r; a zero scalar skips its pair
//! after the point is checked.

use alloc::vec::Vec;
use openvm_algebra_guest::{IntMod, Reduce};
use openvm_ecc_guest::{
    weierstrass::{IntrinsicCurve, WeierstrassPoint},
    AffinePoint, Group,
};
use openvm_pairing::bls12_381::{Bls12_381, Fp, Fp2, G1Affine, G2Affine, Scalar};
use revm::precompile::{
    bls12_381::{G1Point, G1PointScalar, G2Point, G2PointScalar},
    PrecompileHalt,
};

/// BLS12-381's group order r, big-endian (the subgroup checks multiply by it).
const ORDER: [u8; 32] = alloy_primitives::hex!("73EDA753299D7D483339D80809A1D80553BDA402FFFE5BFEFFFFFFFF00000001");

/// Whether `r · point` is the identity, by double-and-add over r's bits with the complete group law of
/// OpenVM's point types (doubling, opposite points and the identity handled).
fn in_subgroup<P: Group>(point: &P) -> bool {
    let mut acc = P::IDENTITY;
    for byte in ORDER {
        for bit in (0..8).rev() {
            acc.double_assign();
            if (byte >> bit) & 1 == 1 {
                acc += point;
            }
        }
    }
    acc.is_identity()
}

fn read_fp(bytes: &[u8; 48]) -> Result<Fp, PrecompileHalt> {
    Fp::from_be_bytes(bytes).ok_or(PrecompileHalt::NonCanonicalFp)
}

/// A G1 point on the curve (or the identity), without the subgroup check.
fn read_g1_on_curve((x, y): &G1Point) -> Result<G1Affine, PrecompileHalt> {
    let (x, y) = (read_fp(x)?, read_fp(y)?);
    if x == Fp::ZERO && y == Fp::ZERO {
        return Ok(<G1Affine as Group>::IDENTITY);
    }
    // SAFETY: from_xy_nonidentity checks the curve equation; the subgroup is the callers' to check.
    unsafe { G1Affine::from_xy_nonidentity(x, y) }.ok_or(PrecompileHalt::Bls12381G1NotOnCurve)
}

/// A G1 point in the order-r subgroup (or the identity).
pub(crate) fn read_g1(point: &G1Point) -> Result<G1Affine, PrecompileHalt> {
    let p = read_g1_on_curve(point)?;
    if !in_subgroup(&p) {
        return Err(PrecompileHalt::Bls12381G1NotInSubgroup);
    }
    Ok(p)
}

/// A G2 point on the twist (or the identity), without the subgroup check.
fn read_g2_on_curve((x0, x1, y0, y1): &G2Point) -> Result<G2Affine, PrecompileHalt> {
    let x = Fp2::new(read_fp(x0)?, read_fp(x1)?);
    let y = Fp2::new(read_fp(y0)?, read_fp(y1)?);
    if x == Fp2::ZERO && y == Fp2::ZERO {
        return Ok(<G2Affine as Group>::IDENTITY);
    }
    // SAFETY: as for G1, on the twist.
    unsafe { G2Affine::from_xy_nonidentity(x, y) }.ok_or(PrecompileHalt::Bls12381G2NotOnCurve)
}

/// A G2 point in the order-r subgroup (or the identity).
pub(crate) fn read_g2(point: &G2Point) -> Result<G2Affine, PrecompileHalt> {
    let q = read_g2_on_curve(point)?;
    if !in_subgroup(&q) {
        return Err(PrecompileHalt::Bls12381G2NotInSubgroup);
    }
    Ok(q)
}

fn encode_g1(point: &G1Affine) -> [u8; 96] {
    let mut out = [0u8; 96];
    if !point.is_identity() {
        out[..48].copy_from_slice(point.x().to_be_bytes().as_ref());
        out[48..].copy_from_slice(point.y().to_be_bytes().as_ref());
    }
    out
}

fn encode_g2(point: &G2Affine) -> [u8; 192] {
    let mut out = [0u8; 192];
    if !point.is_identity() {
        let (x, y) = (point.x(), point.y());
        for (i, c) in [&x.c0, &x.c1, &y.c0, &y.c1].into_iter().enumerate() {
            out[i * 48..(i + 1) * 48].copy_from_slice(c.to_be_bytes().as_ref());
        }
    }
    out
}

/// G1ADD: no subgroup check (EIP-2537).
pub fn g1_add(a: G1Point, b: G1Point) -> Result<[u8; 96], PrecompileHalt> {
    let p = read_g1_on_curve(&a)?;
    let q = read_g1_on_curve(&b)?;
    Ok(encode_g1(&(p + q)))
}

/// G2ADD: no subgroup check (EIP-2537).
pub fn g2_add(a: G2Point, b: G2Point) -> Result<[u8; 192], PrecompileHalt> {
    let p = read_g2_on_curve(&a)?;
    let q = read_g2_on_curve(&b)?;
    Ok(encode_g2(&(p + q)))
}

/// The points (subgroup-checked) and reduced scalars of an MSM's pairs, zero scalars left out.
fn msm_terms<P, R>(
    pairs: &mut dyn Iterator<Item = Result<(R, [u8; 32]), PrecompileHalt>>,
    read: impl Fn(&R) -> Result<P, PrecompileHalt>,
) -> Result<(Vec<P>, Vec<Scalar>), PrecompileHalt> {
    let (mut points, mut scalars) = (Vec::new(), Vec::new());
    for pair in pairs {
        let (point, scalar) = pair?;
        let point = read(&point)?;
        if scalar.iter().all(|&b| b == 0) {
            continue;
        }
        points.push(point);
        scalars.push(Scalar::reduce_be_bytes(&scalar));
    }
    Ok((points, scalars))
}

/// G1MSM: `Σ kᵢ·Pᵢ` by OpenVM's Pippenger on the G1 instructions.
pub fn g1_msm(
    pairs: &mut dyn Iterator<Item = Result<G1PointScalar, PrecompileHalt>>,
) -> Result<[u8; 96], PrecompileHalt> {
    let (points, scalars) = msm_terms(pairs, read_g1)?;
    if points.is_empty() {
        return Ok([0u8; 96]);
    }
    Ok(encode_g1(&Bls12_381::msm(&scalars, &points)))
}

/// G2MSM: `Σ kᵢ·Qᵢ` by OpenVM's Pippenger on the Fp2 instructions.
pub fn g2_msm(
    pairs: &mut dyn Iterator<Item = Result<G2PointScalar, PrecompileHalt>>,
) -> Result<[u8; 192], PrecompileHalt> {
    let (points, scalars) = msm_terms(pairs, read_g2)?;
    if points.is_empty() {
        return Ok([0u8; 192]);
    }
    Ok(encode_g2(&openvm_ecc_guest::msm(&scalars, &points)))
}

/// PAIRING: whether `∏ e(Pᵢ, Qᵢ) = 1`. As revm: no pair is `true`; a pair with an all-zero side is left
/// out after its other side is checked; every point in its subgroup.
pub fn pairing_check(pairs: &[(G1Point, G2Point)]) -> Result<bool, PrecompileHalt> {
    let (mut ps, mut qs) = (Vec::with_capacity(pairs.len()), Vec::with_capacity(pairs.len()));
    for (g1, g2) in pairs {
        let g1_zero = g1.0.iter().chain(&g1.1).all(|&b| b == 0);
        let g2_zero = [&g2.0, &g2.1, &g2.2, &g2.3].iter().all(|c| c.iter().all(|&b| b == 0));
        if g1_zero || g2_zero {
            if !g1_zero {
                read_g1(g1)?;
            }
            if !g2_zero {
                read_g2(g2)?;
            }
            continue;
        }
        let (p, q) = (read_g1(g1)?, read_g2(g2)?);
        let ((px, py), (qx, qy)) = (p.into_coords(), q.into_coords());
        ps.push(AffinePoint::new(px, py));
        qs.push(AffinePoint::new(qx, qy));
    }
    if ps.is_empty() {
        return Ok(true);
    }
    // A product other than 1 has no hint; the final exponentiation decides it (`crate::pairing`).
    Ok(crate::pairing::bls12_381_is_one(&ps, &qs))
}

#[cfg(test)]
mod tests;
