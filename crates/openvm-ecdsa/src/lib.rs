//! secp256k1 signer recovery on OpenVM's modular-arithmetic and short-Weierstrass instructions.
//!
//! The batch guest installs [`OpenVmSecp256k1`] as alloy's crypto backend, so every transaction
//! signature the shared STF recovers inside the zkVM runs on OpenVM's accelerated curve arithmetic
//! instead of software `k256` (≈11 M cycles per signature). The curve types come from OpenVM's
//! `moduli_declare!`/`sw_declare!`; off the zkVM they fall back to big-integer arithmetic, which is how
//! the tests below check this code against `k256`. The guest's VM configuration must declare the same
//! moduli and curve, in this order (`guest/batch/openvm_init.rs`).
#![no_std]
#![warn(missing_docs)]
// The OpenVM macros expand to items without docs.
#![allow(missing_docs)]

extern crate alloc;

use alloy_consensus::crypto::{backend::CryptoProvider, RecoveryError};
use alloy_primitives::{keccak256, Address};
// The curve macros' expansion negates points through `Neg`.
#[allow(unused_imports)]
use core::ops::Neg;
use openvm_algebra_guest::{moduli_macros::moduli_declare, DivUnsafe, IntMod, Reduce};
#[cfg(target_os = "zkvm")]
use openvm_ecc_guest::weierstrass::FromCompressed;
use openvm_ecc_guest::{
    sw_macros::sw_declare,
    weierstrass::{CachedMulTable, IntrinsicCurve, WeierstrassPoint},
    Group,
};

moduli_declare! {
    Secp256k1Coord { modulus = "0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEFFFFFC2F" },
    Secp256k1Scalar { modulus = "0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141" },
}

/// `b = 7` of `y² = x³ + 7`.
const CURVE_B: Secp256k1Coord = Secp256k1Coord::from_const_bytes(le(&{
    let mut b = [0u8; 32];
    b[31] = 7;
    b
}));

sw_declare! {
    Secp256k1Point { mod_type = Secp256k1Coord, b = CURVE_B },
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

/// The negated generator `-G`; recovery computes `(z/r)·(-G) + (s/r)·R` in one multi-scalar product.
const NEG_GENERATOR: Secp256k1Point = Secp256k1Point {
    x: Secp256k1Coord::from_const_bytes(le(&alloy_primitives::hex!(
        "79BE667EF9DCBBAC55A06295CE870B07029BFCDB2DCE28D959F2815B16F81798"
    ))),
    y: Secp256k1Coord::from_const_bytes(le(&alloy_primitives::hex!(
        "B7C52588D95C3B9AA25B0403F1EEF75702E84BB7597AABE663B82F6F04EF2777"
    ))),
};

/// The generator `G`.
const GENERATOR: Secp256k1Point = Secp256k1Point {
    x: Secp256k1Coord::from_const_bytes(le(&alloy_primitives::hex!(
        "79BE667EF9DCBBAC55A06295CE870B07029BFCDB2DCE28D959F2815B16F81798"
    ))),
    y: Secp256k1Coord::from_const_bytes(le(&alloy_primitives::hex!(
        "483ADA7726A3C4655DA4FBFC0E1108A8FD17B448A68554199C47D08FFB10D4B8"
    ))),
};

/// The curve, for OpenVM's multi-scalar multiplication.
struct Secp256k1;

impl IntrinsicCurve for Secp256k1 {
    type Scalar = Secp256k1Scalar;
    type Point = Secp256k1Point;

    fn msm(coeffs: &[Self::Scalar], bases: &[Self::Point]) -> Self::Point {
        // Two bases: a 4-bit window table beats Pippenger by far at this size. secp256k1 has prime
        // order (cofactor 1), which the table's shortcuts require of every base.
        CachedMulTable::<Self>::new_with_prime_order(bases, 4).windowed_mul(coeffs)
    }
}

/// A scalar in `[1, n)` from 32 big-endian bytes.
fn nonzero_scalar(be: &[u8]) -> Option<Secp256k1Scalar> {
    let s = Secp256k1Scalar::from_be_bytes(be)?;
    (s != Secp256k1Scalar::ZERO).then_some(s)
}

/// The curve point with x-coordinate `x` and y-parity `parity`, if there is one.
fn decompress(x: Secp256k1Coord, parity: u8) -> Option<Secp256k1Point> {
    // In the zkVM the square root is a host hint checked by one multiplication.
    #[cfg(target_os = "zkvm")]
    {
        Secp256k1Point::decompress(x, &parity)
    }
    // Off the zkVM the macros have no hint (they panic); p ≡ 3 (mod 4), so y = (x³ + 7)^((p+1)/4).
    #[cfg(not(target_os = "zkvm"))]
    {
        use openvm_algebra_guest::ExpBytes;
        let rhs = &x * &x * &x + &CURVE_B;
        let mut y = rhs.exp_bytes(
            true,
            &alloy_primitives::hex!("3FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFBFFFFF0C"),
        );
        if &y * &y != rhs {
            return None;
        }
        if y.as_le_bytes()[0] & 1 != parity {
            y = -y;
        }
        // y = 0 has no odd twin.
        if y.as_le_bytes()[0] & 1 != parity {
            return None;
        }
        // SAFETY: y² = x³ + 7 was checked above.
        Some(unsafe { Secp256k1Point::from_xy_unchecked(x, y) })
    }
}

/// `x ‖ y` (big-endian) of a non-identity point.
fn uncompressed(point: &Secp256k1Point) -> Option<[u8; 64]> {
    if point.is_identity() {
        return None;
    }
    // In the zkVM a computed coordinate need not be its canonical representative, and a prover could
    // pick another (`y + p` when it fits 32 bytes) to change the key's bytes: assert both canonical
    // (`is_identity` compares only `x` when `x ≠ 0`).
    point.x().assert_reduced();
    point.y().assert_reduced();
    let mut out = [0u8; 64];
    out[..32].copy_from_slice(point.x().to_be_bytes().as_ref());
    out[32..].copy_from_slice(point.y().to_be_bytes().as_ref());
    Some(out)
}

/// The public key (`x ‖ y`, big-endian) that signed `prehash` with `sig = r ‖ s ‖ v`, without the
/// low-`s` rule (as `k256`'s recovery). `v` is the y-parity of `R`, 0 or 1: Ethereum transactions cannot
/// encode the x-overflow ids 2 and 3, so they are refused.
pub fn recover_public_key(sig: &[u8; 65], prehash: &[u8; 32]) -> Option<[u8; 64]> {
    let parity = sig[64];
    if parity > 1 {
        return None;
    }
    let r = nonzero_scalar(&sig[..32])?;
    let s = nonzero_scalar(&sig[32..64])?;
    // r < n < p, so r is also R's x-coordinate.
    let x = Secp256k1Coord::from_be_bytes(&sig[..32])?;
    let big_r = decompress(x, parity)?;
    // z may exceed n; the field arithmetic works modulo n regardless.
    let z = Secp256k1Scalar::from_be_bytes_unchecked(prehash);
    let u1 = z.div_unsafe(&r);
    let u2 = s.div_unsafe(&r);
    uncompressed(&Secp256k1::msm(&[u1, u2], &[NEG_GENERATOR, big_r]))
}

/// Verifies `sig = r ‖ s` on `prehash` against the SEC1 uncompressed key `0x04 ‖ x ‖ y`, without the
/// low-`s` rule; returns the key's `x ‖ y`.
pub fn verify(public_key: &[u8; 65], sig: &[u8; 64], prehash: &[u8; 32]) -> Option<[u8; 64]> {
    if public_key[0] != 0x04 {
        return None;
    }
    let x = Secp256k1Coord::from_be_bytes(&public_key[1..33])?;
    let y = Secp256k1Coord::from_be_bytes(&public_key[33..])?;
    // SAFETY: from_xy_nonidentity checks the curve equation; every point on secp256k1 is in the
    // prime-order group (cofactor 1).
    let q = unsafe { Secp256k1Point::from_xy_nonidentity(x, y) }?;
    let r = nonzero_scalar(&sig[..32])?;
    let s = nonzero_scalar(&sig[32..])?;
    let z = Secp256k1Scalar::from_be_bytes_unchecked(prehash);
    let u1 = z.div_unsafe(&s);
    let u2 = r.clone().div_unsafe(&s);
    let point = Secp256k1::msm(&[u1, u2], &[GENERATOR, q.clone()]);
    if point.is_identity() {
        return None;
    }
    // The signature holds when R.x reduced modulo n equals r.
    (Secp256k1Scalar::reduce_le_bytes(point.x().as_le_bytes()) == r).then(|| uncompressed(&q)).flatten()
}

/// The Ethereum address of a public key `x ‖ y`.
fn address(public_key: &[u8; 64]) -> Address {
    Address::from_slice(&keccak256(public_key)[12..])
}

/// alloy's crypto backend on OpenVM's curve instructions; the batch guest installs it at start-up.
#[derive(Debug, Clone, Copy, Default)]
pub struct OpenVmSecp256k1;

impl CryptoProvider for OpenVmSecp256k1 {
    fn recover_signer_unchecked(&self, sig: &[u8; 65], msg: &[u8; 32]) -> Result<Address, RecoveryError> {
        recover_public_key(sig, msg).map(|key| address(&key)).ok_or_else(RecoveryError::new)
    }

    fn verify_and_compute_signer_unchecked(
        &self,
        pubkey: &[u8; 65],
        sig: &[u8; 64],
        msg: &[u8; 32],
    ) -> Result<Address, RecoveryError> {
        verify(pubkey, sig, msg).map(|key| address(&key)).ok_or_else(RecoveryError::new)
    }
}

#[cfg(test)]
mod tests;
