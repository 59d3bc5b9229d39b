//! BN254 G1 addition and multiplication on OpenVM's curve (its big-integer fallback off the zkVM)
//! against revm's default (arkworks), results and errors alike. The guest side of the same check is
//! `profile_guest_runs_staging_precompiles_like_the_node` in `mosaic-prover`.
use crate::staging::StagingCrypto;
use alloc::vec::Vec;
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
    let ours = StagingCrypto.bn254_g1_add(a, b);
    let default = DefaultCrypto.bn254_g1_add(a, b);
    assert_eq!(ours, default, "add {} + {}", hex::encode(a), hex::encode(b));
    ours
}

fn mul(p: &[u8; 64], k: U256) -> Result<[u8; 64], revm::precompile::PrecompileHalt> {
    let k = k.to_be_bytes::<32>();
    let ours = StagingCrypto.bn254_g1_mul(p, &k);
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
