//! The split final exponentiation against `openvm-pairing`'s whole-exponent check, on Miller loops of
//! pairs whose product is 1 and of pairs whose product is not; and the hinted checks on both.
use super::*;
use alloc::{vec, vec::Vec};
use openvm_ecc_guest::{weierstrass::WeierstrassPoint, Group};
use openvm_pairing_guest::pairing::exp_check_fallback;

fn affine<P: WeierstrassPoint>(p: &P) -> AffinePoint<P::Coordinate> {
    AffinePoint::new(p.x().clone(), p.y().clone())
}

#[test]
fn bn254_final_exponentiation_decides_like_the_whole_exponent() {
    use openvm_pairing::bn254::{Bn254, Fp12};
    let g = crate::bn254::read_g1(&alloy_primitives::hex!(
        "00000000000000000000000000000000000000000000000000000000000000010000000000000000000000000000000000000000000000000000000000000002"
    ))
    .expect("G");
    // EIP-197's G2 generator: x.c1 ‖ x.c0 ‖ y.c1 ‖ y.c0.
    let h = crate::bn254::read_g2(&alloy_primitives::hex!(
        "198e9393920d483a7260bfb731fb5d25f1aa493335a9e71297e485b7aef312c21800deef121f1e76426a00665e5c4479674322d4f75edadd46debd5cd992f6ed090689d0585ff075ec9e99ad690c3395bc4b313370b38ef355acdadcd122975b12c85ea5db8c6deb4aab71808dcb408fe3d1e7690c43d37b4ce6cc0166fa7daa"
    ))
    .expect("H");
    let (g2, h2) = (g.double(), h.double());
    let cases = [
        (vec![affine(&g), affine(&-g.clone())], vec![affine(&h), affine(&h)], true),
        (vec![affine(&g2), affine(&-g.clone())], vec![affine(&h), affine(&h2)], true),
        (vec![affine(&g)], vec![affine(&h)], false),
        (vec![affine(&g2), affine(&g)], vec![affine(&h), affine(&h2)], false),
    ];
    for (k, (p, q, holds)) in cases.iter().enumerate() {
        let f: Fp12 = Bn254::multi_miller_loop(p, q);
        assert_eq!(exp_check_fallback(&f, &Bn254::FINAL_EXPONENT).is_ok(), *holds, "case {k}: the whole exponent");
        assert_eq!(final_exponentiation_is_one!(&f, Fp12, &BN254_HARD), *holds, "case {k}: the split one");
        assert_eq!(bn254_is_one(p, q), *holds, "case {k}: hint, then the split one");
        assert_hints_are_checked(p, q, *holds, Bn254::pairing_check_hint, bn254_hint_proves_one, Fp12::ONE);
    }
}

#[test]
fn bls12_381_final_exponentiation_decides_like_the_whole_exponent() {
    use openvm_pairing::bls12_381::{Bls12_381, Fp12};
    let fp = |h: &str| -> [u8; 48] { alloy_primitives::hex::decode(h).expect("hex").try_into().expect("48") };
    let g = crate::bls12_381::read_g1(&(
        fp("17f1d3a73197d7942695638c4fa9ac0fc3688c4f9774b905a14e3a3f171bac586c55e83ff97a1aeffb3af00adb22c6bb"),
        fp("08b3f481e3aaa0f1a09e30ed741d8ae4fcf5e095d5d00af600db18cb2c04b3edd03cc744a2888ae40caa232946c5e7e1"),
    ))
    .expect("G");
    let h = crate::bls12_381::read_g2(&(
        fp("024aa2b2f08f0a91260805272dc51051c6e47ad4fa403b02b4510b647ae3d1770bac0326a805bbefd48056c8c121bdb8"),
        fp("13e02b6052719f607dacd3a088274f65596bd0d09920b61ab5da61bbdc7f5049334cf11213945d57e5ac7d055d042b7e"),
        fp("0ce5d527727d6e118cc9cdc6da2e351aadfd9baa8cbdd3a76d429a695160d12c923ac9cc3baca289e193548608b82801"),
        fp("0606c4a02ea734cc32acd2b02bc28b99cb3e287e85a763af267492ab572e99ab3f370d275cec1da1aaa9075ff05f79be"),
    ))
    .expect("H");
    let (g2, h2) = (g.double(), h.double());
    let cases: Vec<(Vec<_>, Vec<_>, bool)> = vec![
        (vec![affine(&g), affine(&-g.clone())], vec![affine(&h), affine(&h)], true),
        (vec![affine(&g2), affine(&-g.clone())], vec![affine(&h), affine(&h2)], true),
        (vec![affine(&g)], vec![affine(&h)], false),
        (vec![affine(&g2), affine(&g)], vec![affine(&h), affine(&h2)], false),
    ];
    for (k, (p, q, holds)) in cases.iter().enumerate() {
        let f: Fp12 = Bls12_381::multi_miller_loop(p, q);
        assert_eq!(exp_check_fallback(&f, &Bls12_381::FINAL_EXPONENT).is_ok(), *holds, "case {k}: the whole exponent");
        assert_eq!(final_exponentiation_is_one!(&f, Fp12, &BLS12_381_HARD), *holds, "case {k}: the split one");
        assert_eq!(bls12_381_is_one(p, q), *holds, "case {k}: hint, then the split one");
        assert_hints_are_checked(p, q, *holds, Bls12_381::pairing_check_hint, bls12_381_hint_proves_one, Fp12::ONE);
    }
}

/// A curve's hint function.
type Hint<A, B, F> = fn(&[AffinePoint<A>], &[AffinePoint<B>]) -> (F, F);
/// A curve's hinted check.
type Proves<A, B, F> = fn(&[AffinePoint<A>], &[AffinePoint<B>], &F, &F) -> bool;

/// The honest hint proves a product of 1 and nothing else; hints a dishonest prover could send instead
/// (the honest `c` with `u = 1`, `c = u = 1`, `c = 1` with the honest `u`) prove nothing when the product
/// is not 1.
fn assert_hints_are_checked<A, B, F: Clone + PartialEq + core::fmt::Debug>(
    p: &[AffinePoint<A>],
    q: &[AffinePoint<B>],
    holds: bool,
    hint: Hint<A, B, F>,
    proves: Proves<A, B, F>,
    one: F,
) {
    let (c, u) = hint(p, q);
    assert_eq!(proves(p, q, &c, &u), holds, "the honest hint");
    if !holds {
        for (c, u) in [(c.clone(), one.clone()), (one.clone(), one.clone()), (one.clone(), u.clone())] {
            assert!(!proves(p, q, &c, &u), "a forged hint proved a product that is not 1");
        }
    }
}
