//! P256VERIFY on OpenVM's curve (its big-integer fallback off the zkVM) against revm's default, the
//! `p256` crate. The guest side of the same check is `guest_runs_precompiles_like_the_node`
//! in `mosaic-prover`.
use crate::OpenVmCrypto;
use alloy_primitives::{hex, keccak256, U256};
use p256::ecdsa::{signature::hazmat::PrehashSigner, Signature, SigningKey};
use revm::precompile::Crypto;
use revm::precompile::DefaultCrypto;

/// P256's group order n and field prime p.
const N: U256 = U256::from_be_bytes(hex!("FFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551"));
const P: U256 = U256::from_be_bytes(hex!("FFFFFFFF00000001000000000000000000000000FFFFFFFFFFFFFFFFFFFFFFFF"));

/// One P256VERIFY call: message, `r ‖ s`, key `x ‖ y`.
type Call = ([u8; 32], [u8; 64], [u8; 64]);

/// Asserts that the OpenVM verification and revm's default agree on `call`; returns the result.
fn agree(call: &Call) -> bool {
    let (msg, sig, pk) = call;
    let ours = OpenVmCrypto.secp256r1_verify_signature(msg, sig, pk);
    let default = DefaultCrypto.secp256r1_verify_signature(msg, sig, pk);
    assert_eq!(ours, default, "OpenVM vs revm's default on {}", hex::encode([&msg[..], sig, pk].concat()));
    ours
}

fn pair(a: U256, b: U256) -> [u8; 64] {
    let mut out = [0u8; 64];
    out[..32].copy_from_slice(&a.to_be_bytes::<32>());
    out[32..].copy_from_slice(&b.to_be_bytes::<32>());
    out
}

fn halves(x: &[u8; 64]) -> (U256, U256) {
    (U256::from_be_slice(&x[..32]), U256::from_be_slice(&x[32..]))
}

/// A signature by key `i` on `msg`, with the key's coordinates.
fn signed(i: u64, msg: [u8; 32]) -> Call {
    let key = SigningKey::from_bytes(&keccak256(i.to_be_bytes()).0.into()).expect("key");
    let sig: Signature = key.sign_prehash(&msg).expect("sign");
    let point = key.verifying_key().to_encoded_point(false);
    let pk: [u8; 64] = point.as_bytes()[1..].try_into().expect("x ‖ y");
    (msg, sig.to_bytes().into(), pk)
}

#[test]
fn verifies_like_revm() {
    for i in 0..16 {
        let (msg, sig, pk) = signed(i, keccak256(alloc::format!("p256 {i}")).0);
        assert!(agree(&(msg, sig, pk)), "signature {i}");
        let (r, s) = halves(&sig);
        // The high-s twin verifies too (EIP-7951 has no low-s rule).
        assert!(agree(&(msg, pair(r, N - s), pk)), "high-s twin {i}");
        // Another message, another r, or the negated key: refused.
        let mut other = msg;
        other[31] ^= 1;
        assert!(!agree(&(other, sig, pk)), "other message {i}");
        assert!(!agree(&(msg, pair(r + U256::from(1), s), pk)), "other r {i}");
        let (x, y) = halves(&pk);
        assert!(!agree(&(msg, sig, pair(x, P - y))), "negated key {i}");
    }
}

#[test]
fn refuses_what_revm_refuses() {
    let (msg, sig, pk) = signed(7, keccak256("edges").0);
    let ((r, s), (x, y)) = (halves(&sig), halves(&pk));
    let refused = [
        (msg, pair(U256::ZERO, s), pk),
        (msg, pair(r, U256::ZERO), pk),
        (msg, pair(N, s), pk),
        (msg, pair(r, N), pk),
        // r + n: the same residue, but out of range.
        (msg, pair(r.wrapping_add(N), s), pk),
        (msg, pair(r, s.wrapping_add(N)), pk),
        // Keys off the curve, with a coordinate at or above p, and the all-zero "identity".
        (msg, sig, pair(x, y ^ U256::from(1))),
        (msg, sig, pair(x + P, y)),
        (msg, sig, pair(x, y + P)),
        (msg, sig, pair(P, y)),
        (msg, sig, [0u8; 64]),
        (msg, [0xff; 64], pk),
    ];
    for (k, call) in refused.iter().enumerate() {
        // A wrapped sum stays a refusal; the point is that both agree on it.
        assert!(!agree(call), "case {k} verified");
    }
}

#[test]
fn edge_messages_and_keys_verify_like_revm() {
    // Messages at and above n are reduced (ECDSA's bits2field), zero included.
    for msg in [[0u8; 32], [0xff; 32], N.to_be_bytes::<32>(), (N + U256::from(1)).to_be_bytes::<32>()] {
        assert!(agree(&signed(3, msg)), "message {}", hex::encode(msg));
    }
    // The generator as the key (private key 1): u1·G + u2·G adds equal or opposite multiples.
    let one = SigningKey::from_bytes(&U256::from(1).to_be_bytes::<32>().into()).expect("key 1");
    for i in 0..8u8 {
        let msg = keccak256([i]).0;
        let sig: Signature = one.sign_prehash(&msg).expect("sign");
        let pk: [u8; 64] = one.verifying_key().to_encoded_point(false).as_bytes()[1..].try_into().expect("G");
        assert!(agree(&(msg, sig.to_bytes().into(), pk)), "key G, message {i}");
    }
    // Key n − 1 (−G).
    let minus_one = SigningKey::from_bytes(&(N - U256::from(1)).to_be_bytes::<32>().into()).expect("key n-1");
    let msg = keccak256("minus one").0;
    let sig: Signature = minus_one.sign_prehash(&msg).expect("sign");
    let pk: [u8; 64] = minus_one.verifying_key().to_encoded_point(false).as_bytes()[1..].try_into().expect("-G");
    assert!(agree(&(msg, sig.to_bytes().into(), pk)), "key -G");
}
