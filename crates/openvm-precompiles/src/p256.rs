//! P256VERIFY (0x100, EIP-7951) on OpenVM's modular-arithmetic and short-Weierstrass instructions over
//! secp256r1.
//!
//! In software (revm's `p256` fallback) one verification costs ≈ 11.4 M cycles for 6,900 gas, the worst
//! cycles per gas of any precompile. Here it is the same double-scalar product as the secp256k1
//! verification in `mosaic-openvm-ecdsa`, on P256's curve instructions (≈ 19k cycles): the VM declares
//! P256's moduli and curve (`mosaic_prover::vm_config`).
// The OpenVM macros expand to items without docs.
#![allow(missing_docs)]

// The curve macros' expansion negates points through `Neg`.
#[allow(unused_imports)]
use core::ops::Neg;
use openvm_algebra_guest::{moduli_macros::moduli_declare, DivUnsafe, IntMod, Reduce};
use openvm_ecc_guest::{
    sw_macros::sw_declare,
    weierstrass::{CachedMulTable, IntrinsicCurve, WeierstrassPoint},
    Group,
};

moduli_declare! {
    P256Coord { modulus = "0xFFFFFFFF00000001000000000000000000000000FFFFFFFFFFFFFFFFFFFFFFFF" },
    P256Scalar { modulus = "0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551" },
}

/// `a = −3` of `y² = x³ + ax + b`.
const CURVE_A: P256Coord = P256Coord::from_const_bytes(le(&alloy_primitives::hex!(
    "FFFFFFFF00000001000000000000000000000000FFFFFFFFFFFFFFFFFFFFFFFC"
)));

/// `b` of `y² = x³ + ax + b`.
const CURVE_B: P256Coord = P256Coord::from_const_bytes(le(&alloy_primitives::hex!(
    "5AC635D8AA3A93E7B3EBBD55769886BC651D06B0CC53B0F63BCE3C3E27D2604B"
)));

sw_declare! {
    P256Point { mod_type = P256Coord, a = CURVE_A, b = CURVE_B },
}

/// Big-endian bytes to the little-endian limbs OpenVM's field elements store.
const fn le(be: &[u8; 32]) -> [u8; 32] {
    let mut out = [0u8; 32];
    let mut i = 0;
    while i < 32 {
        out[i] = be[31 - i];
        i += 1;
    }
    out
}

/// The generator `G`.
const GENERATOR: P256Point = P256Point {
    x: P256Coord::from_const_bytes(le(&alloy_primitives::hex!(
        "6B17D1F2E12C4247F8BCE6E563A440F277037D812DEB33A0F4A13945D898C296"
    ))),
    y: P256Coord::from_const_bytes(le(&alloy_primitives::hex!(
        "4FE342E2FE1A7F9B8EE7EB4A7C0F9E162BCE33576B315ECECBB6406837BF51F5"
    ))),
};

/// The curve, for OpenVM's multi-scalar multiplication.
struct P256;

impl IntrinsicCurve for P256 {
    type Scalar = P256Scalar;
    type Point = P256Point;

    fn msm(coeffs: &[Self::Scalar], bases: &[Self::Point]) -> Self::Point {
        // Two bases: a 4-bit window table, as for secp256k1. P256 has prime order (cofactor 1), which
        // the table's shortcuts require of every base; the additions between the two bases' multiples
        // handle equal and opposite points (a key equal to ±G).
        CachedMulTable::<Self>::new_with_prime_order(bases, 4).windowed_mul(coeffs)
    }
}

/// A scalar in `[1, n)` from 32 big-endian bytes.
fn nonzero_scalar(be: &[u8]) -> Option<P256Scalar> {
    let s = P256Scalar::from_be_bytes(be)?;
    (s != P256Scalar::ZERO).then_some(s)
}

/// EIP-7951's verification of `sig = r ‖ s` on the 32-byte `msg` against the key `pk = x ‖ y` (all
/// big-endian): `r` and `s` in `[1, n)`, the key's coordinates below `p` and on the curve (the identity
/// has no encoding), `R = (msg/s)·G + (r/s)·Q` not the identity and `x(R) mod n = r`. A high `s` is
/// accepted, as `p256`'s `verify_prehash` (revm's default) accepts it.
pub fn verify(msg: &[u8; 32], sig: &[u8; 64], pk: &[u8; 64]) -> bool {
    verify_inner(msg, sig, pk).is_some()
}

fn verify_inner(msg: &[u8; 32], sig: &[u8; 64], pk: &[u8; 64]) -> Option<()> {
    let r = nonzero_scalar(&sig[..32])?;
    let s = nonzero_scalar(&sig[32..])?;
    let x = P256Coord::from_be_bytes(&pk[..32])?;
    let y = P256Coord::from_be_bytes(&pk[32..])?;
    // SAFETY: from_xy_nonidentity checks the curve equation; every point on P256 is in the prime-order
    // group (cofactor 1).
    let q = unsafe { P256Point::from_xy_nonidentity(x, y) }?;
    // The message may exceed n: reduce it, as ECDSA's bits2field does for a 256-bit curve.
    let z = P256Scalar::reduce_be_bytes(msg);
    let u1 = z.div_unsafe(&s);
    let u2 = r.clone().div_unsafe(&s);
    let point = P256::msm(&[u1, u2], &[GENERATOR, q]);
    if point.is_identity() {
        return None;
    }
    // In the zkVM a computed coordinate need not be canonical (x + p fits 32 bytes when x < 2²⁵⁶ − p,
    // which a signer can grind for), and x mod n would change with it: assert it first.
    point.x().assert_reduced();
    (P256Scalar::reduce_le_bytes(point.x().as_le_bytes()) == r).then_some(())
}

#[cfg(test)]
mod tests;
