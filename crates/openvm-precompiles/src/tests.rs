//! The OpenVM provider against revm's own back ends (libsecp256k1 where the build enables it, and
//! `k256`, which the guest ran before), on the big-integer fallback the curve macros generate off the
//! zkVM. The guest side of the same check is `guest_runs_precompiles_like_the_node` in `mosaic-prover`.
use super::*;
use alloc::vec::Vec;
use alloy_primitives::{hex, B256, B512, U256};
use alloy_signer::SignerSync;
use alloy_signer_local::PrivateKeySigner;
use revm::precompile::DefaultCrypto;

/// secp256k1's group order n and field prime p.
const N: U256 = U256::from_be_bytes(hex!("FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141"));
const P: U256 = U256::from_be_bytes(hex!("FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEFFFFFC2F"));

/// One ECRECOVER call: `r ‖ s`, the recovery id, the message.
type Call = ([u8; 64], u8, [u8; 32]);

/// Asserts that the provider, revm's default and `k256` agree on `call`; returns the result.
fn agree(call: &Call) -> Option<[u8; 32]> {
    let (sig, recid, msg) = call;
    let ours = OpenVmCrypto.secp256k1_ecrecover(sig, *recid, msg);
    let default = DefaultCrypto.secp256k1_ecrecover(sig, *recid, msg);
    assert_eq!(ours, default, "provider vs revm's default on {}", hex::encode([&sig[..], &[*recid], msg].concat()));
    let k256 = revm::precompile::secp256k1::k256::ecrecover(&B512::from(*sig), *recid, &B256::from(*msg)).ok();
    assert_eq!(ours.as_ref().ok().copied(), k256.map(|h| h.0), "provider vs k256");
    ours.ok()
}

fn words(r: U256, s: U256) -> [u8; 64] {
    let mut sig = [0u8; 64];
    sig[..32].copy_from_slice(&r.to_be_bytes::<32>());
    sig[32..].copy_from_slice(&s.to_be_bytes::<32>());
    sig
}

fn signed(i: u64) -> (PrivateKeySigner, Call) {
    let signer = PrivateKeySigner::from_bytes(&keccak256(i.to_be_bytes())).expect("key");
    let msg = keccak256(alloc::format!("ecrecover {i}"));
    let sig = signer.sign_hash_sync(&msg).expect("sign");
    (signer, (words(sig.r(), sig.s()), sig.v() as u8, msg.0))
}

fn address(out: [u8; 32]) -> alloy_primitives::Address {
    assert_eq!(out[..12], [0u8; 12], "the address is left-padded with zeros");
    alloy_primitives::Address::from_slice(&out[12..])
}

#[test]
fn recovers_signers_like_revm() {
    for i in 0..32 {
        let (signer, call) = signed(i);
        assert_eq!(agree(&call).map(address), Some(signer.address()), "signature {i}");
        // The malleated twin (r, n - s, !recid) recovers the same signer everywhere.
        let (sig, recid, msg) = call;
        let s = U256::from_be_slice(&sig[32..]);
        let twin = (words(U256::from_be_slice(&sig[..32]), N - s), recid ^ 1, msg);
        assert_eq!(agree(&twin).map(address), Some(signer.address()), "high-s twin {i}");
        // The other recovery id recovers some other key, the same one everywhere.
        assert_ne!(agree(&(sig, recid ^ 1, msg)).map(address), Some(signer.address()));
    }
}

#[test]
fn refuses_what_revm_refuses() {
    let (_, (sig, recid, msg)) = signed(1);
    let (r, s) = (U256::from_be_slice(&sig[..32]), U256::from_be_slice(&sig[32..]));
    let mut refused: Vec<Call> = Vec::new();
    for (r, s) in [
        (U256::ZERO, s),
        (r, U256::ZERO),
        (N, s),
        (r, N),
        (r, N + U256::from(1)),
        (P - U256::from(1), s),
        (U256::MAX, s),
        (r, U256::MAX),
        // x = 5 is no point's x-coordinate (5³ + 7 is not a square mod p).
        (U256::from(5), s),
    ] {
        refused.push((words(r, s), recid, msg));
    }
    for (i, call) in refused.iter().enumerate() {
        assert_eq!(agree(call), None, "case {i} recovered");
    }
    assert_eq!(
        OpenVmCrypto.secp256k1_ecrecover(&refused[0].0, recid, &msg),
        Err(PrecompileHalt::Secp256k1RecoverFailed),
        "the halt revm's default returns"
    );
}

#[test]
fn arbitrary_inputs_give_the_same_result() {
    // Pseudo-random r, s and messages: about half of the r values are x-coordinates of a point, so both
    // the recovery and the refusal paths run; messages above n exercise the reduction of the prehash.
    let mut recovered = 0;
    for i in 0..96u64 {
        let seed = keccak256(i.to_le_bytes());
        let mut sig = [0u8; 64];
        sig[..32].copy_from_slice(keccak256(seed).as_slice());
        sig[32..].copy_from_slice(keccak256(keccak256(seed)).as_slice());
        let mut msg = seed.0;
        if i % 4 == 0 {
            msg = [0xff; 32];
        } else if i % 4 == 1 {
            msg = [0; 32];
        }
        recovered += usize::from(agree(&(sig, (i % 2) as u8, msg)).is_some());
    }
    assert!((20..=76).contains(&recovered), "{recovered} of 96 recovered: the inputs no longer cover both paths");
}

#[test]
fn known_answers() {
    // Ethereum's ECRECOVER test vector "ValidKey" (also in go-ethereum's precompile tests): the input
    // is msg ‖ v ‖ r ‖ s.
    let input = hex!(
        "18c547e4f7b0f325ad1e56f57e26c745b09a3e503d86e00e5255ff7f715d3d1c"
        "000000000000000000000000000000000000000000000000000000000000001c"
        "73b1693892219d736caba55bdb67216e485557ea6b6af75f37096c9aa6a5a75f"
        "eeb940b1d03b21e36b0e47e79769f095fe2ab855bd91e3a38756b7d75a9c4549"
    );
    let sig: [u8; 64] = input[64..].try_into().unwrap();
    let msg: [u8; 32] = input[..32].try_into().unwrap();
    let out = agree(&(sig, input[63] - 27, msg)).expect("recovers");
    assert_eq!(address(out), alloy_primitives::address!("a94f5374fce5edbc8e2a8697c15331677e6ebf0b"));
    // SHA-256 of "abc" (FIPS 180-2).
    assert_eq!(OpenVmCrypto.sha256(b"abc"), hex!("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"));
}
