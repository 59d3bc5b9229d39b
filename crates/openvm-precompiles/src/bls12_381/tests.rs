//! BLS12-381's additions, MSMs and pairing check on OpenVM's types (their big-integer fallback off the
//! zkVM, halo2curves for the pairing's hint) against revm's default (blst or arkworks), results and
//! errors alike. The guest side is `guest_runs_precompiles_like_the_node` in
//! `mosaic-prover`.
use crate::OpenVmCrypto;
use alloc::vec::Vec;
use ark_bls12_381::{Fq, Fq2, Fr, G1Affine as ArkG1, G1Projective, G2Affine as ArkG2, G2Projective};
use ark_ec::{AffineRepr, CurveGroup, PrimeGroup};
use ark_ff::{BigInteger, PrimeField};
use revm::precompile::{
    bls12_381::{G1Point, G2Point},
    Crypto, DefaultCrypto, PrecompileHalt,
};

fn fp(x: &Fq) -> [u8; 48] {
    x.into_bigint().to_bytes_be().try_into().expect("48 bytes")
}

fn g1(p: &ArkG1) -> G1Point {
    p.xy().map(|(x, y)| (fp(&x), fp(&y))).unwrap_or(([0; 48], [0; 48]))
}

fn g2(p: &ArkG2) -> G2Point {
    p.xy().map(|(x, y)| (fp(&x.c0), fp(&x.c1), fp(&y.c0), fp(&y.c1))).unwrap_or(([0; 48], [0; 48], [0; 48], [0; 48]))
}

fn g1_times(k: u64) -> ArkG1 {
    (G1Projective::generator() * Fr::from(k)).into_affine()
}

fn g2_times(k: u64) -> ArkG2 {
    (G2Projective::generator() * Fr::from(k)).into_affine()
}

/// Points on the curve (on the twist) outside the order-r subgroup.
fn g1_outside() -> ArkG1 {
    (1u64..)
        .find_map(|i| ArkG1::get_point_from_x_unchecked(Fq::from(i), false))
        .filter(|p| !p.is_in_correct_subgroup_assuming_on_curve())
        .expect("a G1 point outside the subgroup")
}

fn g2_outside() -> ArkG2 {
    (1u64..)
        .find_map(|i| {
            ArkG2::get_point_from_x_unchecked(Fq2::new(Fq::from(i), Fq::from(1u64)), false)
                .filter(|p| !p.is_in_correct_subgroup_assuming_on_curve())
        })
        .expect("a G2 point outside the subgroup")
}

fn scalar(k: u64) -> [u8; 32] {
    let mut out = [0u8; 32];
    out[24..].copy_from_slice(&k.to_be_bytes());
    out
}

fn same<T: PartialEq + core::fmt::Debug>(
    ours: Result<T, PrecompileHalt>,
    default: Result<T, PrecompileHalt>,
    what: &str,
) -> Result<T, PrecompileHalt> {
    assert_eq!(ours, default, "{what}");
    ours
}

fn g1_add(a: G1Point, b: G1Point) -> Result<[u8; 96], PrecompileHalt> {
    same(OpenVmCrypto.bls12_381_g1_add(a, b), DefaultCrypto.bls12_381_g1_add(a, b), "g1 add")
}

fn g2_add(a: G2Point, b: G2Point) -> Result<[u8; 192], PrecompileHalt> {
    same(OpenVmCrypto.bls12_381_g2_add(a, b), DefaultCrypto.bls12_381_g2_add(a, b), "g2 add")
}

fn g1_msm(pairs: &[(G1Point, [u8; 32])]) -> Result<[u8; 96], PrecompileHalt> {
    let ours = OpenVmCrypto.bls12_381_g1_msm(&mut pairs.iter().map(|p| Ok(*p)));
    let default = DefaultCrypto.bls12_381_g1_msm(&mut pairs.iter().map(|p| Ok(*p)));
    same(ours, default, "g1 msm")
}

fn g2_msm(pairs: &[(G2Point, [u8; 32])]) -> Result<[u8; 192], PrecompileHalt> {
    let ours = OpenVmCrypto.bls12_381_g2_msm(&mut pairs.iter().map(|p| Ok(*p)));
    let default = DefaultCrypto.bls12_381_g2_msm(&mut pairs.iter().map(|p| Ok(*p)));
    same(ours, default, "g2 msm")
}

fn pairing(pairs: &[(G1Point, G2Point)]) -> Result<bool, PrecompileHalt> {
    same(OpenVmCrypto.bls12_381_pairing_check(pairs), DefaultCrypto.bls12_381_pairing_check(pairs), "pairing")
}

#[test]
fn adds_like_revm() {
    let zero1 = g1(&ArkG1::zero());
    for (a, b) in [(3, 5), (7, 7), (9, 0)] {
        let (p, q) = (g1(&g1_times(a)), g1(&g1_times(b)));
        assert_eq!(g1_add(p, q).expect("sum"), g1_add(g1(&g1_times(a + b)), zero1).expect("sum"));
        let (p, q) = (g2(&g2_times(a)), g2(&g2_times(b)));
        g2_add(p, q).expect("sum");
    }
    // A point plus its negation; points outside the subgroup add without a check.
    let p = g1_times(11);
    assert_eq!(g1_add(g1(&p), g1(&-p)).expect("p − p"), [0u8; 96]);
    g1_add(g1(&g1_outside()), g1(&p)).expect("outside + p");
    g2_add(g2(&g2_outside()), g2(&g2_times(4))).expect("outside + q");
    let q = g2_times(6);
    assert_eq!(g2_add(g2(&q), g2(&-q)).expect("q − q"), [0u8; 192]);
    // Not on the curve, and not canonical.
    let mut off = g1(&p);
    off.1[47] ^= 1;
    assert_eq!(g1_add(off, g1(&p)), Err(PrecompileHalt::Bls12381G1NotOnCurve));
    let mut big = g1(&p);
    big.0 = [0xff; 48];
    assert_eq!(g1_add(g1(&p), big), Err(PrecompileHalt::NonCanonicalFp));
    let mut off = g2(&q);
    off.3[47] ^= 1;
    assert_eq!(g2_add(g2(&q), off), Err(PrecompileHalt::Bls12381G2NotOnCurve));
}

#[test]
fn msms_like_revm() {
    let r_minus_1: [u8; 32] = (Fr::from(0u64) - Fr::from(1u64)).into_bigint().to_bytes_be().try_into().expect("32");
    for n in 1..4u64 {
        let pairs: Vec<_> = (0..n).map(|i| (g1(&g1_times(i + 2)), scalar(1000 + i))).collect();
        g1_msm(&pairs).expect("g1 msm");
        let pairs: Vec<_> = (0..n).map(|i| (g2(&g2_times(i + 2)), scalar(1000 + i))).collect();
        g2_msm(&pairs).expect("g2 msm");
    }
    // Zero scalars, scalars at and above r, the identity as a point.
    let p = g1(&g1_times(5));
    assert_eq!(g1_msm(&[(p, scalar(0))]).expect("0·p"), [0u8; 96]);
    g1_msm(&[(p, r_minus_1), (g1(&ArkG1::zero()), scalar(3)), (p, [0xff; 32])]).expect("edge scalars");
    let q = g2(&g2_times(5));
    g2_msm(&[(q, r_minus_1), (q, [0xff; 32]), (q, scalar(0))]).expect("edge scalars");
    // The MSMs check the subgroup.
    assert_eq!(g1_msm(&[(p, scalar(1)), (g1(&g1_outside()), scalar(0))]), Err(PrecompileHalt::Bls12381G1NotInSubgroup));
    assert_eq!(g2_msm(&[(g2(&g2_outside()), scalar(2))]), Err(PrecompileHalt::Bls12381G2NotInSubgroup));
}

#[test]
fn pairing_checks_like_revm() {
    let (a, b) = (g1_times(6), g2_times(7));
    // e(6G, 7H)·e(−42G, H) = 1, and what it is not.
    assert_eq!(pairing(&[(g1(&a), g2(&b)), (g1(&-g1_times(42)), g2(&g2_times(1)))]), Ok(true));
    assert_eq!(pairing(&[(g1(&a), g2(&b)), (g1(&g1_times(42)), g2(&g2_times(1)))]), Ok(false));
    assert_eq!(pairing(&[(g1(&a), g2(&b))]), Ok(false));
    assert_eq!(pairing(&[]), Ok(true));
    // A zero side leaves its pair out, after the other side is checked.
    let (zero1, zero2) = (g1(&ArkG1::zero()), g2(&ArkG2::zero()));
    assert_eq!(pairing(&[(zero1, g2(&b)), (g1(&a), zero2)]), Ok(true));
    assert_eq!(pairing(&[(zero1, g2(&g2_outside()))]), Err(PrecompileHalt::Bls12381G2NotInSubgroup));
    assert_eq!(pairing(&[(g1(&g1_outside()), zero2)]), Err(PrecompileHalt::Bls12381G1NotInSubgroup));
    assert_eq!(pairing(&[(g1(&a), g2(&g2_outside()))]), Err(PrecompileHalt::Bls12381G2NotInSubgroup));
    let mut off = g2(&b);
    off.2[47] ^= 1;
    assert_eq!(pairing(&[(g1(&a), off)]), Err(PrecompileHalt::Bls12381G2NotOnCurve));
}

#[test]
fn the_ceremony_point_is_revms() {
    use ark_serialize::CanonicalDeserialize;
    let tau = ArkG2::deserialize_compressed(&revm::precompile::bls12_381_const::TRUSTED_SETUP_TAU_G2_BYTES[..])
        .expect("[τ]G2");
    let (a, b, c, d) = g2(&tau);
    assert_eq!([a, b, c, d], super::TAU_G2);
}

/// A G1 point in revm's compressed (ZCash) encoding.
fn compressed(p: &ArkG1) -> [u8; 48] {
    use ark_serialize::CanonicalSerialize;
    let mut out = [0u8; 48];
    p.serialize_compressed(&mut out[..]).expect("48 bytes");
    out
}

fn kzg(z: [u8; 32], y: [u8; 32], commitment: [u8; 48], proof: [u8; 48]) -> bool {
    let ours = OpenVmCrypto.verify_kzg_proof(&z, &y, &commitment, &proof);
    let default = DefaultCrypto.verify_kzg_proof(&z, &y, &commitment, &proof);
    same(ours, default, "kzg").is_ok()
}

#[test]
fn point_evaluations_verify_like_revm() {
    // A degree-1 polynomial p(X) = a + bX committed with a made-up τ would not match the ceremony's
    // [τ]G2, so the valid cases are the constant polynomials: C = [a]G1, π = 0, y = a at every z.
    let (a, z) = (12345u64, 777u64);
    let commitment = compressed(&g1_times(a));
    let infinity = compressed(&ArkG1::zero());
    assert!(kzg(scalar(z), scalar(a), commitment, infinity), "a constant polynomial");
    assert!(kzg(scalar(0), scalar(0), infinity, infinity), "the zero polynomial");
    assert!(!kzg(scalar(z), scalar(a + 1), commitment, infinity), "a wrong value");
    assert!(!kzg(scalar(z), scalar(a), commitment, compressed(&g1_times(3))), "a wrong proof");
    // Encodings arkworks refuses: no compression flag, infinity with a sort flag or a nonzero x, an x
    // at or above p, an x with no point, a point outside the subgroup; z or y at or above r.
    let mut uncompressed_flag = commitment;
    uncompressed_flag[0] &= 0x7f;
    let mut sorted_infinity = infinity;
    sorted_infinity[0] |= 0x20;
    let mut dirty_infinity = infinity;
    dirty_infinity[47] = 1;
    let mut big_x = [0xffu8; 48];
    big_x[0] = 0x9f;
    let outside = compressed(&g1_outside());
    let no_point = (1u8..)
        .map(|i| {
            let mut b = infinity;
            b[0] = 0x80;
            b[47] = i;
            b
        })
        .find(|b| {
            ArkG1::get_point_from_x_unchecked(
                Fq::from_be_bytes_mod_order(&{
                    let mut x = *b;
                    x[0] &= 0x1f;
                    x
                }),
                false,
            )
            .is_none()
        })
        .expect("an x with no point");
    let r: [u8; 32] = Fr::MODULUS.to_bytes_be().try_into().expect("32");
    for (k, (z, y, c, p)) in [
        (scalar(z), scalar(a), uncompressed_flag, infinity),
        (scalar(z), scalar(a), commitment, sorted_infinity),
        (scalar(z), scalar(a), commitment, dirty_infinity),
        (scalar(z), scalar(a), big_x, infinity),
        (scalar(z), scalar(a), no_point, infinity),
        (scalar(z), scalar(a), outside, infinity),
        (r, scalar(a), commitment, infinity),
        (scalar(z), r, commitment, infinity),
    ]
    .into_iter()
    .enumerate()
    {
        assert!(!kzg(z, y, c, p), "case {k} verified");
    }
    // Both signs of y.
    let negated = compressed(&-g1_times(a));
    assert_ne!(negated, commitment);
    assert!(!kzg(scalar(z), scalar(a), negated, infinity));
}
