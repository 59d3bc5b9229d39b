//! The OpenVM guest, run in OpenVM's executor on a witness recorded from a real node, reveals the hash of
//! the journal the node computes natively; a tampered witness makes it fail. Needs the guest ELF
//! (`scripts/build-guest.sh`; `scripts/check-prover.sh` runs both): without it this test fails.
use alloy_primitives::B256;
use mosaic_batch::Variant;
use mosaic_prover::{
    batch_witness, check_public_value,
    sample::{self, Scenario, Workload},
    Guest,
};
use std::path::Path;

#[test]
fn guest_reveals_the_journal_of_a_one_transfer_batch() {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let _enter = rt.enter();
    let dir = tempfile::tempdir().unwrap();
    let node = sample::chain_with_transfers(dir.path(), 1).unwrap();
    let guest = Guest::load(&sample::checkout_guest_elf()).unwrap();
    for variant in [Variant::Signed, Variant::Unsigned] {
        let (witness, native) = batch_witness(&node, 1, 1, variant).unwrap();
        let revealed = guest.execute(&witness).unwrap();
        check_public_value(revealed, &native.journal).unwrap();
        // A forged state root: no execution, hence no proof.
        let mut bad = witness.clone();
        bad.parent.state_root = B256::repeat_byte(1);
        assert!(guest.execute(&bad).is_err(), "the guest must reject a witness that does not open the parent root");
        // A transaction byte changed in the posted data.
        let mut bad = witness.clone();
        let mut data = bad.data.to_vec();
        let last = data.len() - 1;
        data[last] ^= 1;
        bad.data = data.into();
        assert!(guest.execute(&bad).map_or(true, |h| h != revealed), "changed data, same journal");
    }
}

/// Every MultiVM scenario — EVM and Wasm ERC-20 transfers, a Solidity AMM swapping Wasm tokens, deposits,
/// withdrawals, ETH transfers — as its own batch, and all of them as one batch: the guest, run
/// execute-only on the recorded witness, reveals the journal of the node's own blocks (`batch_witness`
/// checks that the native re-execution reaches the node's post-state root and block hash).
#[test]
fn guest_reaches_the_node_root_for_every_multivm_scenario() {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let _enter = rt.enter();
    let dir = tempfile::tempdir().unwrap();
    let mut chain = Scenario::new(dir.path()).unwrap();
    let guest = Guest::load(&sample::checkout_guest_elf()).unwrap();
    let mut blocks = Vec::new();
    for workload in Workload::ALL {
        let block = chain.batch(workload, 2).unwrap();
        blocks.push(block);
        for variant in [Variant::Signed, Variant::Unsigned] {
            let (witness, native) = batch_witness(&chain.node, block, block, variant).unwrap();
            let revealed = guest.execute(&witness).unwrap_or_else(|e| panic!("{workload:?} {variant:?}: {e}"));
            check_public_value(revealed, &native.journal).unwrap();
            if workload == Workload::Withdrawal {
                assert_ne!(native.journal.withdrawals_root, mosaic_primitives::merkle_root(&[]), "no withdrawal");
            }
            if workload == Workload::Deposit {
                assert_eq!(native.journal.l1_message_cursor, 2, "the deposits were consumed");
            }
            if workload == Workload::Forced {
                assert_eq!(native.journal.l1_message_cursor, 4, "the forced transactions were consumed");
                let b = mosaic_node::ChainReader::block(&chain.node, block).unwrap().unwrap();
                assert_eq!((b.forced, b.transactions.len()), (2, 2), "and ran");
            }
        }
    }
    let (first, last) = (blocks[0], blocks[blocks.len() - 1]);
    let (witness, native) = batch_witness(&chain.node, first, last, Variant::Signed).unwrap();
    check_public_value(guest.execute(&witness).unwrap(), &native.journal).unwrap();
}

#[test]
fn guest_init_file_matches_the_vm_config() {
    // The batch guest and the benchmark-only profile guest run in the same VM.
    for program in ["batch", "profile"] {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("../../guest/{program}/openvm_init.rs"));
        let committed = std::fs::read_to_string(&path).unwrap();
        assert_eq!(
            committed.trim(),
            mosaic_prover::init_file().trim(),
            "guest/{program}/openvm_init.rs must register what mosaic_prover::vm_config declares"
        );
    }
}

#[test]
fn posted_batch_witness_finds_the_encoding_l1_holds() {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let _enter = rt.enter();
    let dir = tempfile::tempdir().unwrap();
    let node = sample::chain_with_transfers(dir.path(), 2).unwrap();
    for variant in [Variant::Signed, Variant::Unsigned] {
        let (expected, _) = batch_witness(&node, 1, 1, variant).unwrap();
        let hash = alloy_primitives::keccak256(&expected.data);
        let (found, native) = mosaic_prover::posted_batch_witness(&node, 1, 1, hash).unwrap();
        assert_eq!(found.encode(), expected.encode(), "{variant:?}");
        assert_eq!(native.journal.batch_data_hash, hash);
    }
    assert!(mosaic_prover::posted_batch_witness(&node, 1, 1, B256::repeat_byte(9)).is_err(), "no encoding matches");
    assert!(mosaic_prover::posted_batch_witness(&node, 0, 1, B256::ZERO).is_err(), "genesis is in no batch");
}

/// The memory guard: a smaller segment budget cuts the same batch into more segments (each proven on
/// its own, so proving memory stays bounded however long the batch), with the same program commitment
/// and the same result.
#[test]
fn a_smaller_segment_budget_splits_a_batch_into_more_segments() {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let _enter = rt.enter();
    let dir = tempfile::tempdir().unwrap();
    let node = sample::chain_with_transfers(dir.path(), 16).unwrap();
    let (witness, native) = batch_witness(&node, 1, 1, Variant::Signed).unwrap();
    let default = Guest::load(&sample::checkout_guest_elf()).unwrap();
    let tight = Guest::load_with_segment_memory(&sample::checkout_guest_elf(), 256 << 20).unwrap();
    let (few, many) = (default.segments(&witness).unwrap(), tight.segments(&witness).unwrap());
    eprintln!("16 ETH transfers: {few} segment(s) at the default budget, {many} at 256 MiB");
    assert!(many > few, "a 256 MiB budget gave {many} segment(s), the default {few}");
    check_public_value(tight.execute(&witness).unwrap(), &native.journal).unwrap();
}

/// The batch the committed SNARK (`crates/snark/fixtures/batch-1.*`, from `scripts/update-snark-fixture.sh`)
/// proves is batch 1 of the one-transfer sample chain: its journal hashes to the fixture's, and
/// `contracts/test/snark/batch.json` holds exactly what a Rollup is deployed with and commits for it, so
/// forge (`SnarkRollup.t.sol`) finalizes that batch with the real SNARK. `MOSAIC_UPDATE_FIXTURE=1`
/// rewrites the JSON.
#[test]
fn snark_fixture_batch_is_batch_one_of_the_sample_chain() {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let _enter = rt.enter();
    let dir = tempfile::tempdir().unwrap();
    let node = sample::chain_with_transfer_blocks(dir.path(), 1, 1).unwrap();
    let (witness, native) = batch_witness(&node, 1, 1, mosaic_batch::Variant::Signed).unwrap();
    let j = &native.journal;
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let committed = std::fs::read_to_string(root.join("crates/snark/fixtures/batch-1.journal-hash")).unwrap();
    assert_eq!(j.hash(), committed.trim().parse::<B256>().unwrap(), "the SNARK fixture proves another batch");
    assert_eq!(alloy_primitives::keccak256(&witness.data), j.batch_data_hash);
    // Batch 1 builds on genesis and consumes no L1 message: the Rollup's genesis record and the empty
    // queue's rolling hash (zero) are what the journal binds.
    assert_eq!((j.l1_message_cursor, j.l1_messages_hash), (0, B256::ZERO));
    let json = serde_json::json!({
        "chainId": j.chain_id,
        "configHash": j.config_hash,
        "genesisStateRoot": j.prev_state_root,
        "genesisBlockHash": j.prev_block_hash,
        "lastBlock": j.last_block,
        "postStateRoot": j.post_state_root,
        "withdrawalsRoot": j.withdrawals_root,
        "lastBlockHash": j.last_block_hash,
        "data": witness.data,
        "journalHash": j.hash(),
    });
    let text = serde_json::to_string_pretty(&json).unwrap() + "\n";
    let path = root.join("contracts/test/snark/batch.json");
    if std::env::var_os("MOSAIC_UPDATE_FIXTURE").is_some() {
        std::fs::write(&path, &text).unwrap();
    }
    assert_eq!(
        std::fs::read_to_string(&path).unwrap_or_default(),
        text,
        "{} is stale: rerun with MOSAIC_UPDATE_FIXTURE=1",
        path.display()
    );
}

/// The range the committed aggregate SNARK (`crates/snark/fixtures/aggregate-1-2.*`, from
/// `scripts/update-snark-fixture.sh --aggregate`) proves is batches 1 and 2 of the two-block sample
/// chain, one block each, batch 1 being the batch fixture's: `contracts/test/snark/range.json` holds the
/// headers and data a Rollup commits for them, so forge (`RangeFinalization.t.sol`) and the finalizer's
/// test finalize that range with the real SNARK. `MOSAIC_UPDATE_FIXTURE=1` rewrites the JSON.
#[test]
fn range_fixture_is_batches_one_and_two_of_the_sample_chain() {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let _enter = rt.enter();
    let dir = tempfile::tempdir().unwrap();
    let node = sample::chain_with_transfer_blocks(dir.path(), 2, 1).unwrap();
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let committed = std::fs::read_to_string(root.join("crates/snark/fixtures/batch-1.journal-hash")).unwrap();
    let mut batches = Vec::new();
    let mut first = None;
    for block in 1..=2u64 {
        let (witness, native) = batch_witness(&node, block, block, Variant::Signed).unwrap();
        let j = native.journal;
        if block == 1 {
            assert_eq!(j.hash(), committed.trim().parse::<B256>().unwrap(), "batch 1 is not the batch fixture's");
            first = Some(j);
        }
        assert_eq!(alloy_primitives::keccak256(&witness.data), j.batch_data_hash);
        assert_eq!((j.l1_message_cursor, j.l1_messages_hash), (0, B256::ZERO));
        batches.push(serde_json::json!({
            "index": block,
            "firstBlock": block,
            "lastBlock": j.last_block,
            "prevStateRoot": j.prev_state_root,
            "postStateRoot": j.post_state_root,
            "withdrawalsRoot": j.withdrawals_root,
            "lastBlockHash": j.last_block_hash,
            "data": witness.data,
            "journalHash": j.hash(),
        }));
    }
    let first = first.unwrap();
    let json = serde_json::json!({
        "chainId": first.chain_id,
        "configHash": first.config_hash,
        "genesisStateRoot": first.prev_state_root,
        "genesisBlockHash": first.prev_block_hash,
        "batches": batches,
    });
    let text = serde_json::to_string_pretty(&json).unwrap() + "\n";
    let path = root.join("contracts/test/snark/range.json");
    if std::env::var_os("MOSAIC_UPDATE_FIXTURE").is_some() {
        std::fs::write(&path, &text).unwrap();
    }
    assert_eq!(
        std::fs::read_to_string(&path).unwrap_or_default(),
        text,
        "{} is stale: rerun with MOSAIC_UPDATE_FIXTURE=1",
        path.display()
    );
}

/// The inputs on which the guest's precompile crypto (ECRECOVER on OpenVM's secp256k1 curve, SHA-256 on
/// its SHA-256 instruction: `mosaic-openvm-precompiles`) must give the node's results (libsecp256k1 and
/// `sha2`): valid, malleated and invalid signatures, messages at the edges of the scalar field, short
/// and empty inputs, a known answer, SHA-256 around its padding boundaries, and the KZG point
/// evaluation, whose versioned hash is a SHA-256.
fn precompile_vectors() -> Vec<(alloy_primitives::Address, Vec<u8>)> {
    use alloy_primitives::{hex, keccak256, Address, B256, U256};
    use alloy_signer::SignerSync;
    let (ecrecover, sha256) = (Address::with_last_byte(1), Address::with_last_byte(2));
    let n = U256::from_be_bytes(hex!("FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141"));
    let key = alloy_signer_local::PrivateKeySigner::from_bytes(&B256::repeat_byte(9)).unwrap();
    let input = |msg: B256, v: u64, r: U256, s: U256| {
        [msg.to_vec(), U256::from(v).to_be_bytes_vec(), r.to_be_bytes_vec(), s.to_be_bytes_vec()].concat()
    };
    let mut calls = Vec::new();
    for i in 0..4u8 {
        let msg = keccak256([i]);
        let sig = key.sign_hash_sync(&msg).unwrap();
        let v = 27 + u64::from(sig.v());
        calls.push(input(msg, v, sig.r(), sig.s()));
        // The high-s twin recovers the same key; the other parity another one.
        calls.push(input(msg, 55 - v, sig.r(), n - sig.s()));
        calls.push(input(msg, 55 - v, sig.r(), sig.s()));
    }
    let msg = keccak256("edges");
    let sig = key.sign_hash_sync(&msg).unwrap();
    let (r, s) = (sig.r(), sig.s());
    for (v, r, s) in
        [(29, r, s), (27, U256::ZERO, s), (27, r, U256::ZERO), (27, n, s), (27, r, n), (28, U256::from(5), s)]
    {
        calls.push(input(msg, v, r, s));
    }
    calls.push(input(B256::repeat_byte(0xff), 27, r, s));
    calls.push(input(B256::ZERO, 28, r, s));
    let mut high_v = input(msg, 27, r, s);
    high_v[32] = 1;
    calls.push(high_v);
    calls.push(input(msg, 27, r, s)[..100].to_vec());
    calls.push(Vec::new());
    // Ethereum's ECRECOVER vector "ValidKey" (a94f5374fce5edbc8e2a8697c15331677e6ebf0b).
    calls.push(
        hex!(
            "18c547e4f7b0f325ad1e56f57e26c745b09a3e503d86e00e5255ff7f715d3d1c"
            "000000000000000000000000000000000000000000000000000000000000001c"
            "73b1693892219d736caba55bdb67216e485557ea6b6af75f37096c9aa6a5a75f"
            "eeb940b1d03b21e36b0e47e79769f095fe2ab855bd91e3a38756b7d75a9c4549"
        )
        .to_vec(),
    );
    let mut all: Vec<(Address, Vec<u8>)> = calls.into_iter().map(|c| (ecrecover, c)).collect();
    for len in [0usize, 1, 55, 56, 63, 64, 65, 119, 120, 256, 1000] {
        all.push((sha256, (0..len).map(|i| (i * 7 + len) as u8).collect()));
    }
    let (kzg, valid) = sample::Precompile::PointEvaluation.call(&key);
    let mut wrong_hash = valid.clone();
    wrong_hash[1] ^= 1;
    all.extend([(kzg, valid), (kzg, wrong_hash)]);
    all
}

/// P256VERIFY calls (0x100): signatures by several keys (the generator among them), their high-s twins,
/// messages at and above the group order, and refusals (another message, r or s out of range, keys off
/// the curve, above p or all zero, a short input).
fn p256_vectors() -> Vec<(alloy_primitives::Address, Vec<u8>)> {
    use alloy_primitives::{hex, keccak256, Address, U256};
    use p256::ecdsa::{signature::hazmat::PrehashSigner, Signature, SigningKey};
    let verify = Address::left_padding_from(&[1, 0]);
    let n = U256::from_be_bytes(hex!("FFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551"));
    let p = U256::from_be_bytes(hex!("FFFFFFFF00000001000000000000000000000000FFFFFFFFFFFFFFFFFFFFFFFF"));
    let word = |x: U256| x.to_be_bytes::<32>().to_vec();
    let call = |msg: &[u8; 32], r: U256, s: U256, x: U256, y: U256| {
        (verify, [msg.to_vec(), word(r), word(s), word(x), word(y)].concat())
    };
    let signed = |key: U256, msg: &[u8; 32]| {
        let key = SigningKey::from_bytes(&key.to_be_bytes::<32>().into()).unwrap();
        let sig: Signature = key.sign_prehash(msg).unwrap();
        let point = key.verifying_key().to_encoded_point(false);
        let (sig, point) = (sig.to_bytes(), point.as_bytes());
        let u = |b: &[u8]| U256::from_be_slice(b);
        (u(&sig[..32]), u(&sig[32..]), u(&point[1..33]), u(&point[33..]))
    };
    let mut calls = Vec::new();
    for i in 0..4u64 {
        let msg = keccak256(format!("p256 {i}")).0;
        let (r, s, x, y) = signed(U256::from(i + 2).pow(U256::from(40)) % n, &msg);
        calls.push(call(&msg, r, s, x, y));
        calls.push(call(&msg, r, n - s, x, y));
        let mut other = msg;
        other[0] ^= 1;
        calls.push(call(&other, r, s, x, y));
    }
    let msg = keccak256("p256 edges").0;
    let (r, s, x, y) = signed(U256::from(1), &msg);
    calls.push(call(&msg, r, s, x, y));
    for (r, s, x, y) in [
        (U256::ZERO, s, x, y),
        (r, U256::ZERO, x, y),
        (n, s, x, y),
        (r, n, x, y),
        (r, s, x, y ^ U256::from(1)),
        (r, s, p, y),
        (r, s, U256::ZERO, U256::ZERO),
    ] {
        calls.push(call(&msg, r, s, x, y));
    }
    for msg in [[0u8; 32], [0xff; 32], n.to_be_bytes::<32>()] {
        let (r, s, x, y) = signed(U256::from(7), &msg);
        calls.push(call(&msg, r, s, x, y));
    }
    let mut short = call(&msg, r, s, x, y);
    short.1.pop();
    calls.push(short);
    calls
}

/// BN254 ECADD (0x06), ECMUL (0x07) and ECPAIRING (0x08) calls: sums of valid points (doubling, the identity, a point and
/// its negation), products by scalars around the group order, short inputs (right-padded), and refusals
/// (a coordinate at or above p, a point off the curve).
fn bn254_vectors() -> Vec<(alloy_primitives::Address, Vec<u8>)> {
    use alloy_primitives::{hex, keccak256, Address, U256};
    use mosaic_stf::revm::precompile::{Crypto, DefaultCrypto};
    let (ecadd, ecmul) = (Address::with_last_byte(6), Address::with_last_byte(7));
    let p = U256::from_be_bytes(hex!("30644E72E131A029B85045B68181585D97816A916871CA8D3C208C16D87CFD47"));
    let r = U256::from_be_bytes(hex!("30644E72E131A029B85045B68181585D2833E84879B9709143E1F593F0000001"));
    let word = |x: U256| x.to_be_bytes::<32>().to_vec();
    let g = [word(U256::from(1)), word(U256::from(2))].concat();
    let points: Vec<Vec<u8>> =
        (0..4u8).map(|i| DefaultCrypto.bn254_g1_mul(&g, &keccak256([i]).0).unwrap().to_vec()).collect();
    let negated = |pt: &[u8]| [pt[..32].to_vec(), word(p - U256::from_be_slice(&pt[32..]))].concat();
    let zero = vec![0u8; 64];
    let mut calls = Vec::new();
    for (i, a) in points.iter().enumerate() {
        let b = &points[(i + 1) % points.len()];
        for (x, y) in [(a, b), (a, a), (a, &zero), (&zero, a)] {
            calls.push((ecadd, [x.clone(), y.clone()].concat()));
        }
        calls.push((ecadd, [a.clone(), negated(a)].concat()));
        for k in [
            U256::from_be_bytes(keccak256([0x40 + i as u8]).0),
            U256::ZERO,
            U256::from(1),
            r - U256::from(1),
            r,
            U256::MAX,
        ] {
            calls.push((ecmul, [a.clone(), word(k)].concat()));
        }
    }
    calls.push((ecadd, [zero.clone(), zero.clone()].concat()));
    calls.push((ecmul, [zero.clone(), word(U256::from(5))].concat()));
    calls.push((ecadd, g[..40].to_vec()));
    calls.push((ecmul, [g.clone(), vec![7u8]].concat()));
    calls.push((ecadd, Vec::new()));
    // ECPAIRING (0x08): e(7G, 5H)·e(∓35G, H), one pair alone, identities, no pair, a short input, a
    // twist point off the curve and one outside the order-r subgroup.
    let ecpairing = Address::with_last_byte(8);
    let h = |k: u64| {
        g2_bytes(&(<ark_bn254::G2Projective as ark_ec::PrimeGroup>::generator() * ark_bn254::Fr::from(k))).to_vec()
    };
    let (a, b) = (
        DefaultCrypto.bn254_g1_mul(&g, &word(U256::from(7))).unwrap().to_vec(),
        DefaultCrypto.bn254_g1_mul(&g, &word(U256::from(35))).unwrap().to_vec(),
    );
    let outside = (1u64..)
        .find_map(|i| {
            let x = ark_bn254::Fq2::new(ark_bn254::Fq::from(i), ark_bn254::Fq::from(1u64));
            ark_bn254::G2Affine::get_point_from_x_unchecked(x, false)
                .filter(|p| !p.is_in_correct_subgroup_assuming_on_curve())
        })
        .unwrap();
    let mut off_curve = h(3);
    off_curve[127] ^= 1;
    for pairs in [
        [a.clone(), h(5), negated(&b), h(1)].concat(),
        [a.clone(), h(5), b.clone(), h(1)].concat(),
        [a.clone(), h(5)].concat(),
        [zero.clone(), h(5), a.clone(), vec![0u8; 128]].concat(),
        Vec::new(),
        [a.clone(), h(5)].concat()[..191].to_vec(),
        [a.clone(), g2_bytes(&outside.into()).to_vec()].concat(),
        [a.clone(), off_curve.to_vec()].concat(),
    ] {
        calls.push((ecpairing, pairs));
    }
    for bad in [
        [word(p), word(U256::from(2))].concat(),
        [word(U256::from(1)), word(p)].concat(),
        [word(U256::from(1)), word(U256::from(3))].concat(),
    ] {
        calls.push((ecadd, [bad.clone(), g.clone()].concat()));
        calls.push((ecadd, [g.clone(), bad.clone()].concat()));
        calls.push((ecmul, [bad, word(U256::from(3))].concat()));
    }
    calls
}

/// BLS12-381 calls (0x0b G1ADD, 0x0c G1MSM, 0x0d G2ADD, 0x0e G2MSM, 0x0f PAIRING): sums (doubling, a
/// point and its negation, points outside the subgroup, which the additions allow), MSMs with zero and
/// large scalars, pairings that hold and that do not, zero sides, and refusals (off the curve, outside
/// the subgroup where one is required).
fn bls12_381_vectors() -> Vec<(alloy_primitives::Address, Vec<u8>)> {
    use alloy_primitives::Address;
    use ark_bls12_381::{Fq, Fq2, Fr, G1Affine, G1Projective, G2Affine, G2Projective};
    use ark_ec::{AffineRepr, CurveGroup, PrimeGroup};
    use ark_ff::{BigInteger, PrimeField};
    let addr = Address::with_last_byte;
    let fp = |x: &Fq| [vec![0u8; 16], x.into_bigint().to_bytes_be()].concat();
    let g1 = |p: &G1Affine| p.xy().map(|(x, y)| [fp(&x), fp(&y)].concat()).unwrap_or(vec![0u8; 128]);
    let g2 = |p: &G2Affine| {
        p.xy().map(|(x, y)| [fp(&x.c0), fp(&x.c1), fp(&y.c0), fp(&y.c1)].concat()).unwrap_or(vec![0u8; 256])
    };
    let a = |k: u64| (G1Projective::generator() * Fr::from(k)).into_affine();
    let b = |k: u64| (G2Projective::generator() * Fr::from(k)).into_affine();
    let k = |v: u64| alloy_primitives::U256::from(v).to_be_bytes::<32>().to_vec();
    let outside1 = (1u64..)
        .find_map(|i| G1Affine::get_point_from_x_unchecked(Fq::from(i), false))
        .filter(|p| !p.is_in_correct_subgroup_assuming_on_curve())
        .unwrap();
    let outside2 = (1u64..)
        .find_map(|i| {
            G2Affine::get_point_from_x_unchecked(Fq2::new(Fq::from(i), Fq::from(1u64)), false)
                .filter(|p| !p.is_in_correct_subgroup_assuming_on_curve())
        })
        .unwrap();
    let mut off1 = g1(&a(3));
    off1[127] ^= 1;
    let mut off2 = g2(&b(3));
    off2[255] ^= 1;
    vec![
        (addr(0x0b), [g1(&a(3)), g1(&a(5))].concat()),
        (addr(0x0b), [g1(&a(7)), g1(&a(7))].concat()),
        (addr(0x0b), [g1(&a(7)), g1(&-a(7))].concat()),
        (addr(0x0b), [g1(&outside1), g1(&a(2))].concat()),
        (addr(0x0b), [off1.clone(), g1(&a(2))].concat()),
        (addr(0x0d), [g2(&b(3)), g2(&b(5))].concat()),
        (addr(0x0d), [g2(&b(7)), g2(&-b(7))].concat()),
        (addr(0x0d), [g2(&outside2), g2(&b(2))].concat()),
        (addr(0x0d), [g2(&b(2)), off2.clone()].concat()),
        (addr(0x0c), [g1(&a(2)), k(1000), g1(&a(3)), vec![0xff; 32]].concat()),
        (addr(0x0c), [g1(&a(2)), k(0), g1(&G1Affine::zero()), k(5)].concat()),
        (addr(0x0c), [g1(&outside1), k(3)].concat()),
        (addr(0x0e), [g2(&b(2)), k(1000), g2(&b(3)), vec![0xff; 32]].concat()),
        (addr(0x0e), [g2(&outside2), k(3)].concat()),
        (addr(0x0f), [g1(&a(6)), g2(&b(7)), g1(&-a(42)), g2(&b(1))].concat()),
        (addr(0x0f), [g1(&a(6)), g2(&b(7)), g1(&a(42)), g2(&b(1))].concat()),
        (addr(0x0f), [g1(&G1Affine::zero()), g2(&b(7)), g1(&a(6)), g2(&G2Affine::zero())].concat()),
        (addr(0x0f), [g1(&a(6)), g2(&outside2)].concat()),
        (addr(0x0f), [g1(&outside1), g2(&G2Affine::zero())].concat()),
        (addr(0x0f), [g1(&a(6)), off2].concat()),
    ]
}

/// A G2 point as ECPAIRING reads it: `x.c1 ‖ x.c0 ‖ y.c1 ‖ y.c0`, big-endian (zeros for the identity).
fn g2_bytes(point: &ark_bn254::G2Projective) -> [u8; 128] {
    use ark_ec::{AffineRepr, CurveGroup};
    use ark_ff::{BigInteger, PrimeField};
    let mut out = [0u8; 128];
    if let Some((x, y)) = point.into_affine().xy() {
        for (i, c) in [x.c1, x.c0, y.c1, y.c0].iter().enumerate() {
            out[i * 32..(i + 1) * 32].copy_from_slice(&c.into_bigint().to_bytes_be());
        }
    }
    out
}

/// Precompiles whose crypto the guest runs on OpenVM's instructions (ECRECOVER, SHA256, P256VERIFY,
/// BN254's and BLS12-381's but the maps to curve, the point evaluation) reach the node's state: a probe
/// contract folds every call's success and output into its storage, so one differing result anywhere
/// would give the guest another state root than the node's blocks.
#[test]
fn guest_runs_precompiles_like_the_node() {
    let mut calls = precompile_vectors();
    calls.extend(p256_vectors());
    calls.extend(bn254_vectors());
    calls.extend(bls12_381_vectors());
    guest_runs_like_the_node(calls);
}

/// Sends `calls` through the probe contract on a chain without a cycle budget and checks that the batch
/// guest reveals the node's journal for every batch of them.
fn guest_runs_like_the_node(mut calls: Vec<(alloy_primitives::Address, Vec<u8>)>) {
    use mosaic_stf::StateReader;
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let _enter = rt.enter();
    let dir = tempfile::tempdir().unwrap();
    let mut chain = mosaic_primitives::ChainConfig::default();
    chain.proving.block_cycle_budget = u64::MAX;
    let mut chain = Scenario::with_chain(dir.path(), chain).unwrap();
    let guest = Guest::load(&sample::checkout_guest_elf()).unwrap();
    // Each call's transaction gets 1.7 M gas plus its calldata's: a refusal burns all the gas forwarded to
    // the precompile, and the 1/64 the probe keeps must pay its storage write. Blocks take at most 14 M of
    // such limits, under the 15 M target, so the base fee does not climb over the ≈ 120 blocks.
    calls.sort_by_key(|(_, input)| input.len());
    let gas = |input: &[u8]| 1_700_000 + 20 * input.len() as u64;
    let mut probed: Vec<(u64, alloy_primitives::Address)> = Vec::new();
    let mut rest = &calls[..];
    while !rest.is_empty() {
        let mut n = 1;
        while n < rest.len() && (n as u64 + 1) * gas(&rest[n].1) <= 14_000_000 {
            n += 1;
        }
        probed.push(chain.probe_with_gas(&rest[..n], gas(&rest[n - 1].1)).unwrap());
        rest = &rest[n..];
    }
    // Batches of 16 blocks (a batch's data has a size limit).
    for blocks in probed.chunks(16) {
        let (first, last) = (blocks[0].0, blocks[blocks.len() - 1].0);
        let (witness, native) = batch_witness(&chain.node, first, last, Variant::Signed).unwrap();
        check_public_value(guest.execute(&witness).unwrap(), &native.journal).unwrap();
    }
    let folded = chain.node.latest_state().unwrap().storage(&probed[0].1, &alloy_primitives::U256::ZERO).unwrap();
    assert_ne!(folded, alloy_primitives::U256::ZERO, "the probe recorded the calls");
}

/// Ethereum's own precompile vectors: every precompile call the bundled execution-spec-tests make
/// (EIP-2537's BLS12-381 suites, EIP-198 MODEXP, EIP-152 BLAKE2F, the point evaluation, the frontier
/// precompile tests), run through the batch guest and compared with the node's
/// back ends (blst, c-kzg, libsecp256k1). Calls that cost more than 150,000 gas are left out (the
/// largest MSMs and MODEXPs: tens of millions of cycles each in the guest).
#[test]
fn guest_runs_eest_precompile_vectors_like_the_node() {
    use mosaic_stf::revm::precompile::{PrecompileSpecId, Precompiles};
    let suite = mosaic_conformance::Suite::bundled().unwrap();
    let all = suite.precompile_calls(&[
        "eip2537_bls_12_381_precompiles",
        "eip198_modexp_precompile",
        "eip152_blake2",
        "point_evaluation_precompile/",
        "frontier/precompiles/",
    ]);
    let precompiles = Precompiles::new(PrecompileSpecId::OSAKA);
    let calls: Vec<(alloy_primitives::Address, Vec<u8>)> = all
        .iter()
        .filter(|(to, input)| {
            let Some(p) = precompiles.get(to) else { return false };
            p.execute(input, 10_000_000, 0).map_or(true, |o| o.gas_used <= 150_000)
        })
        .map(|(to, input)| (*to, input.to_vec()))
        .collect();
    let mut per: std::collections::BTreeMap<u8, usize> = Default::default();
    calls.iter().for_each(|(to, _)| *per.entry(to.0[19]).or_default() += 1);
    println!("EEST precompile calls: {} distinct, {} run, per precompile {per:?}", all.len(), calls.len());
    assert!(per.len() >= 14 && calls.len() > 300, "the bundled vectors reach every precompile: {per:?}");

    guest_runs_like_the_node(calls);
}
