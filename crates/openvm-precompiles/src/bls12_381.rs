//! BLS12-381's precompiles (EIP-2537) on OpenVM's instructions:
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

/// Whether `r · point` is the identity: the subgroup check (both curves have cofactors).
fn in_subgroup<P: Group>(point: &P) -> bool {
    crate::pairing::times(point, &ORDER).is_identity()
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

/// `x ‖ y` big-endian, all zeros for the identity; coordinates asserted canonical first (in the zkVM a
/// computed coordinate need not be, see `crate::bn254`).
fn encode_g1(point: &G1Affine) -> [u8; 96] {
    let mut out = [0u8; 96];
    if !point.is_identity() {
        point.x().assert_reduced();
        point.y().assert_reduced();
        out[..48].copy_from_slice(point.x().to_be_bytes().as_ref());
        out[48..].copy_from_slice(point.y().to_be_bytes().as_ref());
    }
    out
}

/// `x.c0 ‖ x.c1 ‖ y.c0 ‖ y.c1` big-endian, all zeros for the identity; each asserted canonical first.
fn encode_g2(point: &G2Affine) -> [u8; 192] {
    let mut out = [0u8; 192];
    if !point.is_identity() {
        let (x, y) = (point.x(), point.y());
        for (i, c) in [&x.c0, &x.c1, &y.c0, &y.c1].into_iter().enumerate() {
            c.assert_reduced();
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

/// `(p + 1) / 4`: squares have the root `a^((p+1)/4)`, as p ≡ 3 (mod 4).
const SQRT_EXPONENT: [u8; 48] = alloy_primitives::hex!(
    "0680447a8e5ff9a692c6e9ed90d2eb35d91dd2e13ce144afd9cc34a83dac3d8907aaffffac54ffffee7fbfffffffeaab"
);

/// `[τ]G2` of Ethereum's KZG ceremony (`g2_monomial_1`, revm's `TRUSTED_SETUP_TAU_G2_BYTES`
/// decompressed; a test checks it): `x.c0`, `x.c1`, `y.c0`, `y.c1`, big-endian.
const TAU_G2: [[u8; 48]; 4] = [
    alloy_primitives::hex!(
        "185cbfee53492714734429b7b38608e23926c911cceceac9a36851477ba4c60b087041de621000edc98edada20c1def2"
    ),
    alloy_primitives::hex!(
        "15bfd7dd8cdeb128843bc287230af38926187075cbfbefa81009a2ce615ac53d2914e5870cb452d2afaaab24f3499f72"
    ),
    alloy_primitives::hex!(
        "014353bdb96b626dd7d5ee8599d1fca2131569490e28de18e82451a496a9c9794ce26d105941f383ee689bfbbb832a99"
    ),
    alloy_primitives::hex!(
        "1666c54b0a32529503432fcae0181b4bef79de09fc63671fda5ed1ba9bfa07899495346f3d7ac9cd23048ef30d0a154f"
    ),
];

/// BLS12-381's G2 generator, `x.c0`, `x.c1`, `y.c0`, `y.c1`, big-endian.
const G2_GENERATOR: [[u8; 48]; 4] = [
    alloy_primitives::hex!(
        "024aa2b2f08f0a91260805272dc51051c6e47ad4fa403b02b4510b647ae3d1770bac0326a805bbefd48056c8c121bdb8"
    ),
    alloy_primitives::hex!(
        "13e02b6052719f607dacd3a088274f65596bd0d09920b61ab5da61bbdc7f5049334cf11213945d57e5ac7d055d042b7e"
    ),
    alloy_primitives::hex!(
        "0ce5d527727d6e118cc9cdc6da2e351aadfd9baa8cbdd3a76d429a695160d12c923ac9cc3baca289e193548608b82801"
    ),
    alloy_primitives::hex!(
        "0606c4a02ea734cc32acd2b02bc28b99cb3e287e85a763af267492ab572e99ab3f370d275cec1da1aaa9075ff05f79be"
    ),
];

/// A G1 point from its 48-byte compressed (ZCash) encoding, as arkworks' checked deserialization reads
/// it: the compression flag set; the sort flag only on a finite point; the infinity flag only with an
/// all-zero x; x below p and on the curve, y the root the sort flag names (the larger of y and p − y
/// when set); the point in the subgroup.
fn read_g1_compressed(bytes: &[u8; 48]) -> Option<G1Affine> {
    let (compressed, infinity, largest) = (bytes[0] & 0x80 != 0, bytes[0] & 0x40 != 0, bytes[0] & 0x20 != 0);
    if !compressed || (largest && infinity) {
        return None;
    }
    let mut x = *bytes;
    x[0] &= 0x1f;
    if infinity {
        return (x == [0u8; 48]).then_some(<G1Affine as Group>::IDENTITY);
    }
    let x = Fp::from_be_bytes(&x)?;
    let rhs = &x * &x * &x + Fp::from_u8(4);
    // The root by exponentiation (no hint to trust), checked.
    let y = openvm_algebra_guest::ExpBytes::exp_bytes(&rhs, true, &SQRT_EXPONENT);
    if &y * &y != rhs {
        return None;
    }
    let minus_y = -y.clone();
    // Bytes of canonical representatives only (see `encode_g1`).
    y.assert_reduced();
    minus_y.assert_reduced();
    let y = if (y.to_be_bytes() > minus_y.to_be_bytes()) == largest { y } else { minus_y };
    // SAFETY: from_xy_nonidentity checks the curve equation (true by construction); the subgroup next.
    let point = unsafe { G1Affine::from_xy_nonidentity(x, y) }?;
    in_subgroup(&point).then_some(point)
}

/// A G2 point from four canonical big-endian coordinates, trusted to be on the twist (constants).
fn g2_constant(c: &[[u8; 48]; 4]) -> G2Affine {
    let fp = |b: &[u8; 48]| Fp::from_be_bytes_unchecked(b);
    // SAFETY: the constants are points of the twist (checked against arkworks by the tests).
    unsafe { G2Affine::from_xy_unchecked(Fp2::new(fp(&c[0]), fp(&c[1])), Fp2::new(fp(&c[2]), fp(&c[3]))) }
}

/// The point evaluation (0x0a, EIP-4844): whether `proof` opens `commitment` to `y` at `z`, i.e.
/// `e(C − [y]G1, −G2) · e(π, [τ]G2 − [z]G2) = 1`, with arkworks' decoding (compressed points in the
/// subgroup, `z` and `y` below r). Any failure is `BlobVerifyKzgProofFailed`, as in revm.
pub fn verify_kzg_proof(
    z: &[u8; 32],
    y: &[u8; 32],
    commitment: &[u8; 48],
    proof: &[u8; 48],
) -> Result<(), PrecompileHalt> {
    kzg_holds(z, y, commitment, proof).then_some(()).ok_or(PrecompileHalt::BlobVerifyKzgProofFailed)
}

fn kzg_holds(z: &[u8; 32], y: &[u8; 32], commitment: &[u8; 48], proof: &[u8; 48]) -> bool {
    let (Some(c), Some(pi)) = (read_g1_compressed(commitment), read_g1_compressed(proof)) else { return false };
    let (Some(_), Some(_)) = (Scalar::from_be_bytes(z), Scalar::from_be_bytes(y)) else { return false };
    let c_minus_y = c - crate::pairing::times(&<G1Affine as openvm_ecc_guest::CyclicGroup>::GENERATOR, y);
    let g2 = g2_constant(&G2_GENERATOR);
    let tau_minus_z = g2_constant(&TAU_G2) - crate::pairing::times(&g2, z);
    let (mut ps, mut qs) = (Vec::new(), Vec::new());
    for (p, q) in [(c_minus_y, -g2), (pi, tau_minus_z)] {
        // A pair with the identity contributes 1.
        if !p.is_identity() && !q.is_identity() {
            let ((px, py), (qx, qy)) = (p.into_coords(), q.into_coords());
            ps.push(AffinePoint::new(px, py));
            qs.push(AffinePoint::new(qx, qy));
        }
    }
    ps.is_empty() || crate::pairing::bls12_381_is_one(&ps, &qs)
}

#[cfg(test)]
mod tests;
