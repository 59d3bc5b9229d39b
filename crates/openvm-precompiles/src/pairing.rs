//! Pairing checks for [`crate::bn254`] and [`crate::bls12_381`]: OpenVM's hinted check first, and, where
//! the product is not 1, a cheaper final exponentiation than `openvm-pairing`'s fallback.
//!
//! A pairing check is `f^((p¹²−1)/r) = 1` for the Miller loop's `f`. When it holds, the host's hint (a
//! residue witness `c` and a scaling factor in a subfield) proves it for the price of one Miller loop
//! with `c` folded in (Novakovic–Eagon, eprint 2024/640, Theorem 3; for BLS12-381 as gnark does it).
//! When it does not hold there is no witness, and `openvm-pairing` then raises `f` to the whole
//! `(p¹²−1)/r` (349 bytes for BN254, 540 for BLS12-381) by square-and-multiply: a legitimate `false`
//! cost 15–25× a `true`. Here the exponent is split as `(p⁶−1)(p²+1)·h` with `h = (p⁴−p²+1)/r`: the
//! first two factors are a conjugation, an inversion and a Frobenius map, and only `h` (761 and 1,268
//! bits) is done by squaring, a third of the fallback's work. `openvm-pairing` keeps its hinted check
//! private, so it is written out here for both curves.
use openvm_algebra_guest::{
    field::{ComplexConjugate, FieldExtension},
    DivUnsafe, ExpBytes, Field,
};
use openvm_ecc_guest::AffinePoint;
use openvm_pairing_guest::pairing::{MultiMillerLoop, PairingCheck};

/// `(p⁴ − p² + 1) / r` for BN254, big-endian.
const BN254_HARD: [u8; 96] = alloy_primitives::hex!(
    "01baaa710b0759ad331ec15183177faf6c0eb522d5b122784e529a5861876f6b3b1b1355d189227d79581e16f3fd90c6"
    "6b887d56d5095f23aaa441e3954bcf8adcc7b44c87cdbacff1154e7e1da014fd5abf5cc4f49c36d4e81bb482ccdf42b1"
);

/// `(p⁴ − p² + 1) / r` for BLS12-381, big-endian.
const BLS12_381_HARD: [u8; 159] = alloy_primitives::hex!(
    "0f686b3d807d01c0bd38c3195c899ed3cde88eeb996ca394506632528d6a9a2f230063cf081517f68f7764c28b6f8ae5"
    "a72bce8d63cb9f827eca0ba621315b2076995003fc77a17988f8761bdc51dc2378b9039096d1b767f17fcbde78376591"
    "5c97f36c6f18212ed0b283ed237db421d160aeb6a1e79983774940996754c8c71a2629b0dea236905ce937335d5b68fa"
    "9912aae208ccf1e516c3f438e3ba79"
);

/// Whether `f^((p¹²−1)/r) = 1` in the Fp12 tower `$fp12`: the easy part `(p⁶−1)(p²+1)` by conjugation
/// (this tower's `p⁶`-power Frobenius), one inversion and the `p²`-power Frobenius, then `$hard` by
/// square-and-multiply.
macro_rules! final_exponentiation_is_one {
    ($f:expr, $fp12:ty, $hard:expr) => {{
        let f: &$fp12 = $f;
        if *f == <$fp12>::ZERO {
            false
        } else {
            let m = f.clone().conjugate().div_unsafe(f);
            let m = FieldExtension::frobenius_map(&m, 2) * m;
            m.exp_bytes(true, $hard) == <$fp12>::ONE
        }
    }};
}

/// `∏ e(Pᵢ, Qᵢ) = 1` on BN254, for validated, non-identity points.
pub fn bn254_is_one(
    p: &[AffinePoint<openvm_pairing::bn254::Fp>],
    q: &[AffinePoint<openvm_pairing::bn254::Fp2>],
) -> bool {
    use openvm_pairing::bn254::{Bn254, Fp12};
    let (c, u) = Bn254::pairing_check_hint(p, q);
    bn254_hint_proves_one(p, q, &c, &u)
        || final_exponentiation_is_one!(&Bn254::multi_miller_loop(p, q), Fp12, &BN254_HARD)
}

/// Whether the hint `(c, u)` proves `∏ e(Pᵢ, Qᵢ) = 1`. The hint is the prover's, so untrusted: `c ≠ 0`,
/// `u` in the subfield Fp6 (odd coefficients zero), and Theorem 3's `f·u = c^λ` with
/// `λ = 6x + 2 + p³ − p² + p`, checked as `f·c^−(6x+2) · c^−(p³−p²+p) · u = 1`, the first factor folded
/// into the Miller loop.
fn bn254_hint_proves_one(
    p: &[AffinePoint<openvm_pairing::bn254::Fp>],
    q: &[AffinePoint<openvm_pairing::bn254::Fp2>],
    c: &openvm_pairing::bn254::Fp12,
    u: &openvm_pairing::bn254::Fp12,
) -> bool {
    use openvm_pairing::bn254::{Bn254, Fp12, Fp2};
    if *c == Fp12::ZERO || [1, 3, 5].iter().any(|&i| u.c[i] != Fp2::ZERO) {
        return false;
    }
    let c_inv = Fp12::ONE.div_unsafe(c);
    let scale = FieldExtension::frobenius_map(&c_inv, 3)
        * FieldExtension::frobenius_map(c, 2)
        * FieldExtension::frobenius_map(&c_inv, 1);
    let fc = Bn254::multi_miller_loop_embedded_exp(p, q, Some(c_inv));
    fc * scale * u == Fp12::ONE
}

/// `∏ e(Pᵢ, Qᵢ) = 1` on BLS12-381, for validated, non-identity points.
pub fn bls12_381_is_one(
    p: &[AffinePoint<openvm_pairing::bls12_381::Fp>],
    q: &[AffinePoint<openvm_pairing::bls12_381::Fp2>],
) -> bool {
    use openvm_pairing::bls12_381::{Bls12_381, Fp12};
    let (c, s) = Bls12_381::pairing_check_hint(p, q);
    bls12_381_hint_proves_one(p, q, &c, &s)
        || final_exponentiation_is_one!(&Bls12_381::multi_miller_loop(p, q), Fp12, &BLS12_381_HARD)
}

/// Whether the (untrusted) hint `(c, s)` proves `∏ e(Pᵢ, Qᵢ) = 1`: `s` in the subfield Fp6, then
/// `f·s = c^(p − x)` for the curve's seed x, checked as `f·c^x·s = c^p`. The seed is negative, so the
/// Miller loop runs on −x and folds in `conj(c)⁻¹`, which gives `f·c^x`.
fn bls12_381_hint_proves_one(
    p: &[AffinePoint<openvm_pairing::bls12_381::Fp>],
    q: &[AffinePoint<openvm_pairing::bls12_381::Fp2>],
    c: &openvm_pairing::bls12_381::Fp12,
    s: &openvm_pairing::bls12_381::Fp12,
) -> bool {
    use openvm_pairing::bls12_381::{Bls12_381, Fp12, Fp2};
    if [1, 3, 5].iter().any(|&i| s.c[i] != Fp2::ZERO) {
        return false;
    }
    let c_conj = c.clone().conjugate();
    if c_conj == Fp12::ZERO {
        return false;
    }
    let fc = Bls12_381::multi_miller_loop_embedded_exp(p, q, Some(Fp12::ONE.div_unsafe(&c_conj)));
    fc * s == FieldExtension::frobenius_map(c, 1)
}

/// `k · point` by double-and-add over `k`'s big-endian bytes, with the complete group law of OpenVM's
/// point types (doubling, opposite points and the identity handled): the subgroup checks (k = r) and
/// the KZG check's multiples of the generators.
pub(crate) fn times<P: openvm_ecc_guest::Group>(point: &P, k: &[u8]) -> P {
    let mut acc = P::IDENTITY;
    for byte in k {
        for bit in (0..8).rev() {
            acc.double_assign();
            if (byte >> bit) & 1 == 1 {
                acc += point;
            }
        }
    }
    acc
}

#[cfg(test)]
mod tests;
