//! BN254's addition, multiplication and pairing check on OpenVM's types (their big-integer fallback off
//! the zkVM, halo2curves for the pairing's hint) against revm's default (arkworks), results and errors
//! alike. The guest side of the same check is
//! `guest_runs_precompiles_like_the_node` in `mosaic-prover`.
use crate::OpenVmCrypto;
use alloc::{vec, vec::Vec};
use alloy_primitives::{hex, keccak256, U256};
use revm::precompile::{Crypto, DefaultCrypto};

/// BN254's base-field prime p and group order r.
const P: U256 = U256::from_be_bytes(hex!("30644E72E131A029B85045B68181585D97816A916871CA8D3C208C16D87CFD47"));
const R: U256 = U256::from_be_bytes(hex!("30644E72E131A029B85045B68181585D2833E84879B9709143E1F593F0000001"));

fn point(x: U256, y: U256) -> [u8; 64] {
    let mut out = [0u8; 64];
    out[..32].copy_from_slice(&x.to_be_bytes::<32>());
    out[32..].copy_from_slice(&y.to_be_bytes::<32>());
    out
}

fn coords(p: &[u8; 64]) -> (U256, U256) {
    (U256::from_be_slice(&p[..32]), U256::from_be_slice(&p[32..]))
}

/// The generator (1, 2).
fn generator() -> [u8; 64] {
    point(U256::from(1), U256::from(2))
}

fn add(a: &[u8; 64], b: &[u8; 64]) -> Result<[u8; 64], revm::precompile::PrecompileHalt> {
    let ours = OpenVmCrypto.bn254_g1_add(a, b);
    let default = DefaultCrypto.bn254_g1_add(a, b);
    assert_eq!(ours, default, "add {} + {}", hex::encode(a), hex::encode(b));
    ours
}

fn mul(p: &[u8; 64], k: U256) -> Result<[u8; 64], revm::precompile::PrecompileHalt> {
    let k = k.to_be_bytes::<32>();
    let ours = OpenVmCrypto.bn254_g1_mul(p, &k);
    let default = DefaultCrypto.bn254_g1_mul(p, &k);
    assert_eq!(ours, default, "mul {} · {}", hex::encode(p), hex::encode(k));
    ours
}

/// Points k·G for a few pseudo-random k (computed by revm, so these are valid points).
fn points() -> Vec<[u8; 64]> {
    (0..8u8).map(|i| DefaultCrypto.bn254_g1_mul(&generator(), &keccak256([i]).0).expect("k·G")).collect()
}

#[test]
fn adds_like_revm() {
    let points = points();
    let zero = [0u8; 64];
    for (i, a) in points.iter().enumerate() {
        let b = &points[(i + 1) % points.len()];
        assert_ne!(add(a, b).expect("sum"), zero);
        // Doubling, the identity on either side, and a point plus its negation.
        assert_eq!(add(a, a).expect("double"), mul(a, U256::from(2)).expect("2·a"));
        assert_eq!(add(a, &zero).expect("a + 0"), *a);
        assert_eq!(add(&zero, a).expect("0 + a"), *a);
        let (x, y) = coords(a);
        assert_eq!(add(a, &point(x, P - y)).expect("a − a"), zero);
    }
    assert_eq!(add(&zero, &zero).expect("0 + 0"), zero);
}

#[test]
fn multiplies_like_revm() {
    for (i, p) in points().iter().enumerate() {
        let k = U256::from_be_bytes(keccak256([0x40 + i as u8]).0);
        mul(p, k).expect("k·p");
        // Scalars are reduced modulo r: 0, 1, r − 1, r, r + 1 and 2²⁵⁶ − 1.
        assert_eq!(mul(p, U256::ZERO).expect("0·p"), [0u8; 64]);
        assert_eq!(mul(p, U256::from(1)).expect("1·p"), *p);
        mul(p, R - U256::from(1)).expect("(r−1)·p");
        assert_eq!(mul(p, R).expect("r·p"), [0u8; 64]);
        assert_eq!(mul(p, R + U256::from(1)).expect("(r+1)·p"), *p);
        mul(p, U256::MAX).expect("(2²⁵⁶−1)·p");
    }
    assert_eq!(mul(&[0u8; 64], U256::from(12345)).expect("k·0"), [0u8; 64]);
}

#[test]
fn refuses_what_revm_refuses_with_the_same_error() {
    let g = generator();
    let bad = [
        // A coordinate at or above p (x first, then y), off the curve, and both at once.
        point(P, U256::from(2)),
        point(U256::from(1), P),
        point(U256::from(1), P + U256::from(2)),
        point(U256::from(1), U256::from(3)),
        point(U256::ZERO, U256::from(1)),
        point(U256::MAX, U256::MAX),
    ];
    for b in &bad {
        assert!(add(b, &g).is_err());
        assert!(add(&g, b).is_err());
        assert!(mul(b, U256::from(3)).is_err());
        // The first point's error comes first.
        for c in &bad {
            assert!(add(b, c).is_err());
        }
    }
}

/// G2 points encoded as revm reads them: `x.c1 ‖ x.c0 ‖ y.c1 ‖ y.c0`, big-endian.
fn g2_bytes(point: &ark_bn254::G2Affine) -> [u8; 128] {
    use ark_ff::{BigInteger, PrimeField};
    let mut out = [0u8; 128];
    if let Some((x, y)) = ark_ec::AffineRepr::xy(point) {
        for (i, c) in [x.c1, x.c0, y.c1, y.c0].iter().enumerate() {
            out[i * 32..(i + 1) * 32].copy_from_slice(&c.into_bigint().to_bytes_be());
        }
    }
    out
}

fn g2_times(k: u64) -> [u8; 128] {
    use ark_ec::{CurveGroup, PrimeGroup};
    g2_bytes(&(ark_bn254::G2Projective::generator() * ark_bn254::Fr::from(k)).into_affine())
}

/// A point on the twist outside the order-r subgroup.
fn g2_outside_subgroup() -> [u8; 128] {
    (1u64..)
        .find_map(|i| {
            let x = ark_bn254::Fq2::new(ark_bn254::Fq::from(i), ark_bn254::Fq::from(1u64));
            ark_bn254::G2Affine::get_point_from_x_unchecked(x, false)
                .filter(|p| !p.is_in_correct_subgroup_assuming_on_curve())
        })
        .map(|p| g2_bytes(&p))
        .expect("a twist point outside the subgroup")
}

fn pairing(pairs: &[([u8; 64], [u8; 128])]) -> Result<bool, revm::precompile::PrecompileHalt> {
    let refs: Vec<(&[u8], &[u8])> = pairs.iter().map(|(a, b)| (&a[..], &b[..])).collect();
    let ours = OpenVmCrypto.bn254_pairing_check(&refs);
    let default = DefaultCrypto.bn254_pairing_check(&refs);
    assert_eq!(ours, default, "pairing of {} pairs", pairs.len());
    ours
}

fn negate(p: &[u8; 64]) -> [u8; 64] {
    let (x, y) = coords(p);
    point(x, P - y)
}

#[test]
fn pairing_checks_like_revm() {
    let (g1, q) = (generator(), g2_times(5));
    let a = mul(&g1, U256::from(7)).expect("7·G");
    // e(7G, 5H)·e(−35G, H) = 1, and what it is not.
    let b = mul(&g1, U256::from(35)).expect("35·G");
    assert_eq!(pairing(&[(a, q), (negate(&b), g2_times(1))]), Ok(true));
    assert_eq!(pairing(&[(a, q), (b, g2_times(1))]), Ok(false));
    assert_eq!(pairing(&[(a, q)]), Ok(false));
    assert_eq!(pairing(&[(a, q), (negate(&a), q)]), Ok(true));
    // Identities on either side leave their pair out; nothing left is true.
    let (zero1, zero2) = ([0u8; 64], [0u8; 128]);
    assert_eq!(pairing(&[]), Ok(true));
    assert_eq!(pairing(&[(zero1, q), (a, zero2)]), Ok(true));
    assert_eq!(pairing(&[(zero1, q), (a, q)]), Ok(false));
}

#[test]
fn pairing_refuses_what_revm_refuses_with_the_same_error() {
    let (g1, q) = (generator(), g2_times(3));
    let outside = g2_outside_subgroup();
    let mut off_curve = q;
    off_curve[127] ^= 1;
    let mut above_p = q;
    above_p[..32].copy_from_slice(&(U256::from_be_slice(&q[..32]) + P).to_be_bytes::<32>());
    let bad_g1 = point(U256::from(1), U256::from(3));
    for (k, pairs) in [
        vec![(g1, outside)],
        vec![(g1, off_curve)],
        vec![(g1, above_p)],
        vec![(g1, q), (bad_g1, outside)],
        vec![(bad_g1, q)],
        vec![(g1, q), ([0u8; 64], outside)],
    ]
    .iter()
    .enumerate()
    {
        assert!(pairing(pairs).is_err(), "case {k} was accepted");
    }
}
