//! The OpenVM recovery against alloy's software (`k256`) recovery, on the big-integer fallback the
//! curve macros generate off the zkVM.
use super::*;
use alloy_primitives::{B256, U256};
use alloy_signer::SignerSync;
use alloy_signer_local::PrivateKeySigner;

/// secp256k1's group order n.
const N: U256 =
    U256::from_be_bytes(alloy_primitives::hex!("FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141"));

fn signer_of(i: u64) -> PrivateKeySigner {
    PrivateKeySigner::from_bytes(&keccak256(i.to_be_bytes())).expect("key")
}

/// `r ‖ s ‖ v` as alloy hands it to the crypto backend.
fn raw(sig: &alloy_primitives::Signature) -> [u8; 65] {
    let mut out = [0u8; 65];
    out[..32].copy_from_slice(&sig.r().to_be_bytes::<32>());
    out[32..64].copy_from_slice(&sig.s().to_be_bytes::<32>());
    out[64] = sig.v() as u8;
    out
}

fn sec1(signer: &PrivateKeySigner) -> [u8; 65] {
    let point = signer.credential().verifying_key().to_encoded_point(false);
    point.as_bytes().try_into().expect("uncompressed key")
}

#[test]
fn recovers_the_same_signer_as_k256() {
    for i in 0..24u64 {
        let signer = signer_of(i);
        let hash = keccak256(alloc::format!("message {i}"));
        let sig = signer.sign_hash_sync(&hash).expect("sign");
        let expected = sig.recover_address_from_prehash(&hash).expect("k256 recovers");
        assert_eq!(expected, signer.address());
        let got = OpenVmSecp256k1.recover_signer_unchecked(&raw(&sig), &hash.0).expect("openvm recovers");
        assert_eq!(got, expected, "signature {i}");
        // Both y parities occur over 24 keys, so both decompression branches ran.
        let key = sec1(&signer);
        let verified =
            OpenVmSecp256k1.verify_and_compute_signer_unchecked(&key, raw(&sig)[..64].try_into().unwrap(), &hash.0);
        assert_eq!(verified.expect("verifies"), expected);
    }
}

#[test]
fn high_s_recovers_like_k256_and_wrong_inputs_do_not_reach_the_signer() {
    let signer = signer_of(7);
    let hash = keccak256("high s");
    let sig = signer.sign_hash_sync(&hash).expect("sign");
    // (r, n - s, !v) is the same signature's malleated twin: the unchecked recovery accepts it.
    let mut twin = raw(&sig);
    twin[32..64].copy_from_slice(&(N - sig.s()).to_be_bytes::<32>());
    twin[64] ^= 1;
    assert_eq!(OpenVmSecp256k1.recover_signer_unchecked(&twin, &hash.0).unwrap(), signer.address());

    let good = raw(&sig);
    // Another message or the other parity recovers some other key.
    let other = keccak256("another message");
    assert_ne!(OpenVmSecp256k1.recover_signer_unchecked(&good, &other.0).ok(), Some(signer.address()));
    let mut flipped = good;
    flipped[64] ^= 1;
    assert_ne!(OpenVmSecp256k1.recover_signer_unchecked(&flipped, &hash.0).ok(), Some(signer.address()));

    // Zero or out-of-range scalars and an r off the curve: k256 refuses them too, so the node and the
    // guest agree on which transactions exist.
    let mut bad: alloc::vec::Vec<[u8; 65]> = alloc::vec::Vec::new();
    for (range, value) in [(0..32, U256::ZERO), (32..64, U256::ZERO), (0..32, N), (32..64, N + U256::from(1))] {
        let mut s = good;
        s[range].copy_from_slice(&value.to_be_bytes::<32>());
        bad.push(s);
    }
    // x = 5 has no y on secp256k1 (5³ + 7 = 132 is not a square mod p).
    let mut off_curve = good;
    off_curve[..32].copy_from_slice(&U256::from(5).to_be_bytes::<32>());
    bad.push(off_curve);
    for (i, s) in bad.iter().enumerate() {
        assert!(OpenVmSecp256k1.recover_signer_unchecked(s, &hash.0).is_err(), "bad signature {i} recovered");
        let software = alloy_primitives::Signature::new(
            U256::from_be_slice(&s[..32]),
            U256::from_be_slice(&s[32..64]),
            s[64] == 1,
        );
        assert!(software.recover_address_from_prehash(&hash).is_err(), "k256 recovers bad signature {i}");
    }
    // Recovery ids 2 and 3 (x ≥ n) cannot come from a transaction; they are refused.
    for v in [2u8, 3, 27] {
        let mut s = good;
        s[64] = v;
        assert!(OpenVmSecp256k1.recover_signer_unchecked(&s, &hash.0).is_err(), "recovery id {v}");
    }

    // Verification against the wrong key or a key off the curve fails.
    let sig64: [u8; 64] = good[..64].try_into().unwrap();
    assert!(verify(&sec1(&signer_of(8)), &sig64, &hash.0).is_none());
    let mut off = sec1(&signer);
    off[64] ^= 1;
    assert!(verify(&off, &sig64, &hash.0).is_none());
    assert!(verify(&sec1(&signer), &sig64, &B256::repeat_byte(1).0).is_none());
}
