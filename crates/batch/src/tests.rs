//! Round trips of both variants over every transaction shape, decode errors, a no-panic fuzz loop over real
//! batches, and the size targets.
#[path = "../benches/common/workload.rs"]
mod workload;

use crate::codec::{decode_payload, encode_payload};
use crate::*;
use alloy_consensus::{
    transaction::TxEip4844Variant, Header, SignableTransaction, Signed, TxEip1559, TxEip2930, TxEip4844, TxEip7702,
    TxLegacy,
};
use alloy_eips::{
    eip2930::{AccessList, AccessListItem},
    eip7702::{Authorization, SignedAuthorization},
};
use alloy_primitives::{Bytes, Signature, TxKind, B256, U256};
use alloy_signer::SignerSync;
use mosaic_primitives::L1Message;
use workload::{erc20_transfers, sign, signer, transfers, Rng, BENEFICIARY, CHAIN_ID};

fn sig_of(i: usize, hash: B256) -> Signature {
    signer(i).sign_hash_sync(&hash).expect("sign")
}

fn legacy(i: usize, nonce: u64, chain_id: Option<u64>, to: TxKind, value: U256, input: &[u8]) -> TxEnvelope {
    let tx = TxLegacy {
        chain_id,
        nonce,
        gas_price: 3_000_000_000,
        gas_limit: 90_000,
        to,
        value,
        input: input.to_vec().into(),
    };
    let sig = sig_of(i, tx.signature_hash());
    tx.into_signed(sig).into()
}

fn eip1559(i: usize, nonce: u64, to: TxKind, value: U256, input: &[u8]) -> TxEnvelope {
    sign(
        &signer(i),
        TxEip1559 {
            chain_id: CHAIN_ID,
            nonce,
            gas_limit: 500_000,
            max_fee_per_gas: 30_000_000_000,
            max_priority_fee_per_gas: 1_000_000_000,
            to,
            value,
            access_list: Default::default(),
            input: input.to_vec().into(),
        },
    )
}

fn access_list() -> AccessList {
    AccessList(vec![AccessListItem { address: Address::repeat_byte(9), storage_keys: vec![B256::repeat_byte(3)] }])
}

fn block(number: u64, timestamp: u64, l1: usize, txs: Vec<(TxEnvelope, usize)>) -> Block {
    let senders = txs.iter().map(|(_, i)| signer(*i).address()).collect();
    Block {
        header: Header { number, timestamp, beneficiary: BENEFICIARY, ..Default::default() },
        transactions: txs.into_iter().map(|(t, _)| t).collect(),
        senders,
        l1_messages: (0..l1)
            .map(|k| L1Message {
                index: k as u64,
                token: Address::ZERO,
                from: Address::repeat_byte(1),
                to: Address::repeat_byte(2),
                amount: U256::from(k),
                transaction: None,
            })
            .collect(),
        forced: 0,
    }
}

/// Every transaction shape: compact legacy and 1559 (calls, creations, calldata, extreme values and fees)
/// and each raw fallback, spread over blocks that include empty and L1-message-only ones.
fn mixed_blocks() -> Vec<Block> {
    let to = TxKind::Call(Address::repeat_byte(0xaa));
    let eth = U256::from(10u128.pow(18));
    let code = [0x60u8, 0x00, 0x60, 0x00, 0xf3];
    let huge_fee = TxEip1559 {
        chain_id: CHAIN_ID,
        nonce: u64::MAX - 1,
        gas_limit: u64::MAX,
        max_fee_per_gas: u128::MAX,
        max_priority_fee_per_gas: u128::MAX - 1,
        to,
        value: U256::MAX,
        access_list: Default::default(),
        input: Bytes::from(vec![0u8; 300]),
    };
    let with_access_list = TxEip1559 { access_list: access_list(), ..huge_fee.clone() };
    let other_chain = TxEip1559 { chain_id: CHAIN_ID + 1, nonce: 1, ..huge_fee.clone() };
    let tx2930 = TxEip2930 {
        chain_id: CHAIN_ID,
        nonce: 4,
        gas_price: 7,
        gas_limit: 50_000,
        to,
        value: U256::from(12345),
        access_list: access_list(),
        input: Bytes::from_static(&[1, 2, 3]),
    };
    let auth = Authorization { chain_id: U256::from(CHAIN_ID), address: Address::repeat_byte(0x77), nonce: 9 };
    let auth_sig = sig_of(3, auth.signature_hash());
    let tx7702 = TxEip7702 {
        chain_id: CHAIN_ID,
        nonce: 2,
        gas_limit: 100_000,
        max_fee_per_gas: 5,
        max_priority_fee_per_gas: 1,
        to: Address::repeat_byte(0xbb),
        value: U256::ZERO,
        access_list: Default::default(),
        authorization_list: vec![SignedAuthorization::new_unchecked(
            auth,
            auth_sig.v() as u8,
            auth_sig.r(),
            auth_sig.s(),
        )],
        input: Bytes::new(),
    };
    let tx4844 = TxEip4844 {
        chain_id: CHAIN_ID,
        nonce: 3,
        gas_limit: 21_000,
        max_fee_per_gas: 10,
        max_priority_fee_per_gas: 1,
        to: Address::repeat_byte(0xcc),
        value: U256::from(1),
        access_list: Default::default(),
        blob_versioned_hashes: vec![B256::repeat_byte(1)],
        max_fee_per_blob_gas: 3,
        input: Bytes::new(),
    };
    let signed = |i: usize, tx: TxEip1559| sign(&signer(i), tx);
    let s2930 = sig_of(2, tx2930.signature_hash());
    let s7702 = sig_of(3, tx7702.signature_hash());
    let s4844 = sig_of(4, tx4844.signature_hash());
    let tx4844: TxEnvelope =
        TxEnvelope::Eip4844(Signed::new_unhashed(TxEip4844Variant::TxEip4844(tx4844.clone()), s4844));
    vec![
        block(
            50,
            1_000,
            2,
            vec![
                (legacy(0, 0, Some(CHAIN_ID), to, eth, &[]), 0),
                (legacy(0, 1, Some(CHAIN_ID), TxKind::Create, U256::ZERO, &code), 0),
                (legacy(1, 200, None, to, U256::from(5), &[]), 1),
                (legacy(1, 201, Some(CHAIN_ID + 5), to, U256::from(5), &[9; 40]), 1),
                (eip1559(2, 0, to, eth / U256::from(2), &[]), 2),
                (eip1559(2, 1, TxKind::Create, U256::ZERO, &code), 2),
                (eip1559(2, 2, to, U256::from(123_456_789u64), &[0xa9, 0x05, 0x9c, 0xbb, 0, 1, 2]), 2),
                (signed(3, huge_fee.clone()), 3),
            ],
        ),
        block(51, 1_000, 0, vec![]),
        block(52, 1_003, 5, vec![]),
        block(
            53,
            1_004,
            1,
            vec![
                (signed(3, with_access_list), 3),
                (signed(3, other_chain), 3),
                (tx2930.into_signed(s2930).into(), 2),
                (tx7702.into_signed(s7702).into(), 3),
                (tx4844, 4),
                (eip1559(5, 7, to, U256::from(10u8).pow(U256::from(77u8)), &[]), 5),
                (eip1559(5, 8, to, U256::MAX - U256::from(1u8), &[]), 5),
            ],
        ),
        // Timestamps may go backwards in a hand-made batch: deltas wrap.
        block(54, 999, 0, vec![(eip1559(6, 0, to, U256::from(1u8), &[]), 6)]),
        block(55, u64::MAX, 0, vec![]),
        block(56, 0, 0, vec![]),
    ]
}

/// The unsigned form the Unsigned variant must reproduce: nonce 0, no signature.
fn unsigned_form(tx: &TxEnvelope) -> alloy_consensus::TypedTransaction {
    let mut typed = alloy_consensus::TypedTransaction::from(tx.clone());
    match &mut typed {
        alloy_consensus::TypedTransaction::Legacy(t) => t.nonce = 0,
        alloy_consensus::TypedTransaction::Eip2930(t) => t.nonce = 0,
        alloy_consensus::TypedTransaction::Eip1559(t) => t.nonce = 0,
        alloy_consensus::TypedTransaction::Eip4844(TxEip4844Variant::TxEip4844(t)) => t.nonce = 0,
        alloy_consensus::TypedTransaction::Eip4844(TxEip4844Variant::TxEip4844WithSidecar(t)) => t.tx.nonce = 0,
        alloy_consensus::TypedTransaction::Eip7702(t) => t.nonce = 0,
    }
    typed
}

/// Encodes `batch` in `variant`, decodes it, and checks every field and transaction.
fn assert_roundtrip(batch: &Batch, variant: Variant) -> Vec<u8> {
    let data = encode(batch, variant, CHAIN_ID);
    assert_eq!(data[0], variant as u8);
    let decoded = decode(&data, CHAIN_ID).expect("decodes");
    assert_eq!(decoded.variant, variant);
    assert_eq!(decoded.first_block, batch.first_block);
    assert_eq!(decoded.beneficiary, batch.beneficiary);
    assert_eq!(decoded.blocks.len(), batch.blocks.len());
    for (d, b) in decoded.blocks.iter().zip(&batch.blocks) {
        assert_eq!(d.timestamp, b.timestamp);
        assert_eq!(d.l1_message_count, b.l1_message_count);
        assert_eq!(d.transactions.len(), b.transactions.len());
        for (i, (dtx, tx)) in d.transactions.iter().zip(&b.transactions).enumerate() {
            match (variant, dtx) {
                (Variant::Signed, DecodedTx::Signed(env)) => {
                    assert_eq!(env, tx);
                    assert_eq!(env.tx_hash(), tx.tx_hash());
                    assert_eq!(env.encoded_2718(), tx.encoded_2718());
                }
                (Variant::Unsigned, DecodedTx::Unsigned { sender, tx: typed }) => {
                    assert_eq!(*sender, b.senders[i]);
                    assert_eq!(*typed, unsigned_form(tx));
                }
                other => panic!("wrong decoded form {other:?}"),
            }
        }
    }
    data
}

use alloy_eips::eip2718::Encodable2718;

#[test]
fn mixed_batch_roundtrips_in_both_variants() {
    let batch = Batch::from_blocks(&mixed_blocks()).unwrap();
    assert_eq!(batch.first_block, 50);
    assert_eq!(batch.blocks[2].l1_message_count, 5);
    for variant in [Variant::Signed, Variant::Unsigned] {
        assert_roundtrip(&batch, variant);
    }
}

#[test]
fn compact_kinds_are_used_where_they_apply() {
    // A legacy EIP-155 and a 1559 transfer are far smaller than their RLP; the raw ones are not compact.
    let to = TxKind::Call(Address::repeat_byte(0xaa));
    let one = |tx: TxEnvelope| {
        let batch = Batch {
            first_block: 1,
            beneficiary: BENEFICIARY,
            blocks: vec![BatchBlock {
                timestamp: 1,
                l1_message_count: 0,
                transactions: vec![tx],
                senders: vec![Address::ZERO],
            }],
        };
        (encode_payload(&batch, Variant::Signed, CHAIN_ID), encode_payload(&batch, Variant::Unsigned, CHAIN_ID))
    };
    let eth = U256::from(10u128.pow(18));
    let (signed, unsigned) = one(eip1559(0, 3, to, eth, &[]));
    // header 1+20+1+3, addresses 1+20, fees 1+1+3+5+5, tx: flags, nonce, fee, to, value(2), r, s.
    assert_eq!(signed.len(), 25 + 21 + 15 + (1 + 1 + 1 + 1 + 2 + 64));
    // Unsigned: the sender joins the address table and replaces nonce and signature.
    assert_eq!(unsigned.len(), 25 + 41 + 15 + (1 + 1 + 1 + 1 + 2));
    let (signed, _) = one(legacy(0, 3, Some(CHAIN_ID), to, eth, &[]));
    assert_eq!(signed.len(), 25 + 21 + (1 + 1 + 3 + 5) + (1 + 1 + 1 + 1 + 2 + 64));
    let raw = legacy(0, 3, None, to, eth, &[]);
    let (signed, _) = one(raw.clone());
    assert_eq!(signed.len(), 25 + 1 + 1 + (1 + 1 + raw.encoded_2718().len()));
}

#[test]
fn transfer_batches_roundtrip_in_both_variants() {
    for blocks in [transfers(300, 3, 20, 200), erc20_transfers(300, 3, 20, 200)] {
        let batch = Batch::from_blocks(&blocks).unwrap();
        for variant in [Variant::Signed, Variant::Unsigned] {
            assert_roundtrip(&batch, variant);
        }
    }
}

#[test]
fn empty_batch_and_empty_blocks_roundtrip() {
    let batch = Batch { first_block: u64::MAX, beneficiary: Address::ZERO, blocks: vec![] };
    for variant in [Variant::Signed, Variant::Unsigned] {
        assert_roundtrip(&batch, variant);
    }
    let batch = Batch::from_blocks(&[block(0, 0, 0, vec![]), block(1, 0, 3, vec![])]).unwrap();
    for variant in [Variant::Signed, Variant::Unsigned] {
        assert_roundtrip(&batch, variant);
    }
}

#[test]
fn from_blocks_checks_numbers_beneficiary_and_senders() {
    assert!(matches!(Batch::from_blocks(&[]), Err(BatchError::NoBlocks)));
    let gap = [block(1, 0, 0, vec![]), block(3, 0, 0, vec![])];
    assert!(matches!(Batch::from_blocks(&gap), Err(BatchError::NonConsecutive { prev: 1, got: 3 })));
    let mut other = block(2, 0, 0, vec![]);
    other.header.beneficiary = Address::repeat_byte(1);
    let err = Batch::from_blocks(&[block(1, 0, 0, vec![]), other]).unwrap_err();
    assert!(matches!(err, BatchError::BeneficiaryMismatch { number: 2, .. }), "{err}");
    let mut missing = block(1, 0, 0, vec![(eip1559(0, 0, TxKind::Create, U256::ZERO, &[]), 0)]);
    missing.senders.clear();
    assert!(matches!(Batch::from_blocks(&[missing]), Err(BatchError::SenderCountMismatch { .. })));
    let wrap = [block(u64::MAX, 0, 0, vec![]), block(0, 0, 0, vec![])];
    assert!(matches!(Batch::from_blocks(&wrap), Err(BatchError::NonConsecutive { .. })));
}

fn deflate(payload: &[u8], variant: Variant) -> Vec<u8> {
    let mut out = vec![variant as u8];
    out.extend(miniz_oxide::deflate::compress_to_vec(payload, 1));
    out
}

/// A small valid payload: one block with one transfer (Unsigned).
fn small_unsigned_payload() -> Vec<u8> {
    let blocks =
        [block(7, 200, 0, vec![(eip1559(0, 0, TxKind::Call(Address::repeat_byte(5)), U256::from(1), &[]), 0)])];
    encode_payload(&Batch::from_blocks(&blocks).unwrap(), Variant::Unsigned, CHAIN_ID)
}

#[test]
fn decode_rejects_bad_envelopes() {
    let batch = Batch::from_blocks(&mixed_blocks()).unwrap();
    let data = encode(&batch, Variant::Signed, CHAIN_ID);
    assert!(matches!(decode(&[], CHAIN_ID), Err(BatchError::Empty)));
    for v in [0u8, 3, 0x7f, 0xff] {
        let mut bad = data.clone();
        bad[0] = v;
        let err = decode(&bad, CHAIN_ID).unwrap_err();
        assert!(matches!(err, BatchError::UnknownVersion(b) if b == v));
        assert_eq!(err.to_string(), format!("unknown batch version byte {v:#04x}"));
    }
    // Only the version byte, a truncated stream, garbage after the stream.
    assert!(matches!(decode(&data[..1], CHAIN_ID), Err(BatchError::Decompression(_))));
    assert!(matches!(decode(&data[..data.len() / 2], CHAIN_ID), Err(BatchError::Decompression(_))));
    let mut trailing = data.clone();
    trailing.extend_from_slice(&[0, 1, 2]);
    assert!(matches!(decode(&trailing, CHAIN_ID), Err(BatchError::TrailingCompressed(3))));
    // A decompression bomb: 17 MiB of zeros is a few KiB compressed.
    let bomb = deflate(&vec![0u8; MAX_DECOMPRESSED + (1 << 20)], Variant::Signed);
    assert!(bomb.len() < 100_000);
    assert!(matches!(decode(&bomb, CHAIN_ID), Err(BatchError::DecompressedTooLarge)));
    // Exactly at the limit is allowed to inflate (and then fails as a payload).
    let at_limit = deflate(&vec![0u8; MAX_DECOMPRESSED], Variant::Signed);
    assert!(matches!(decode(&at_limit, CHAIN_ID), Err(BatchError::TrailingBytes(_))));
}

#[test]
fn decode_rejects_bad_payloads() {
    let good = small_unsigned_payload();
    assert!(decode(&deflate(&good, Variant::Unsigned), CHAIN_ID).is_ok());
    let err = |p: &[u8]| decode(&deflate(p, Variant::Unsigned), CHAIN_ID).unwrap_err();

    let mut trailing = good.clone();
    trailing.push(0);
    assert!(matches!(err(&trailing), BatchError::TrailingBytes(1)));
    for n in 0..good.len() {
        let e = err(&good[..n]);
        assert!(matches!(e, BatchError::Truncated(_) | BatchError::CountExceedsInput { .. }), "truncated at {n}: {e}");
    }
    // Layout: first_block(1) beneficiary(20) n_blocks(1) [ts(2) l1(1) count(1)] addresses(1 + 40) fees(1 + ...) tx.
    let header = 1 + 20 + 1 + 2 + 1 + 1;
    assert_eq!(good[header], 2, "two addresses: sender and recipient");
    let fees_at = header + 1 + 40;
    let fee_len = 1 + 3 + 5 + 5;
    let tx_at = fees_at + 1 + fee_len;
    assert_eq!(&good[tx_at..], &[2, 0, 0, 1, 0, 1], "flags, sender, fee, to, value (0, 1)");

    let mut bad = good.clone();
    bad[tx_at + 1] = 2; // sender index 2 of 2
    let e = err(&bad);
    assert!(matches!(e, BatchError::IndexOutOfRange { table: "sender address", index: 2, len: 2 }), "{e}");
    assert_eq!(e.to_string(), "sender address index 2 out of range: the table has 2 entries");
    let mut bad = good.clone();
    bad[tx_at + 2] = 1; // fee index 1 of 1
    assert!(matches!(err(&bad), BatchError::IndexOutOfRange { table: "fee", index: 1, len: 1 }));
    for flags in [3u8, 0x20, 0x80, 0x04, 0x08, 0x06] {
        let mut bad = good.clone();
        bad[tx_at] = flags;
        assert!(matches!(err(&bad), BatchError::InvalidFlags(f) if f == flags), "flags {flags:#x}");
    }
    let mut bad = good.clone();
    bad[tx_at] = 1; // legacy kind against a 1559 fee entry
    assert!(matches!(err(&bad), BatchError::FeeKindMismatch { index: 0, entry: 2, tx: 1 }));
    let mut bad = good.clone();
    bad[fees_at + 1] = 3;
    assert!(matches!(err(&bad), BatchError::InvalidFeeKind(3)));
    let mut bad = good.clone();
    bad[tx_at + 4] = 1; // value (1, 1) fine; (1, 10) non-canonical
    bad[tx_at + 5] = 10;
    assert!(matches!(err(&bad), BatchError::NonCanonical("value")));
    // Counts larger than the rest of the payload are rejected before allocating.
    let mut bad = good[..21].to_vec();
    bad.extend_from_slice(&[0xff, 0xff, 0xff, 0xff, 0x0f]);
    assert!(matches!(err(&bad), BatchError::CountExceedsInput { what: "block", .. }));
    let mut bad = good.clone();
    bad[header - 1] = 100; // tx count
    assert!(matches!(err(&bad), BatchError::CountExceedsInput { what: "transaction", .. }));
    let mut bad = good.clone();
    bad[header] = 90; // address count
    assert!(matches!(err(&bad), BatchError::CountExceedsInput { what: "address table", .. }));
    // Block numbers that overflow u64.
    let blocks = Batch { first_block: u64::MAX, beneficiary: Address::ZERO, blocks: vec![] };
    let mut bad = encode_payload(&blocks, Variant::Signed, CHAIN_ID);
    let n_blocks_at = 10 + 20;
    bad[n_blocks_at] = 2;
    bad.splice(n_blocks_at + 1..n_blocks_at + 1, [0, 0, 0, 0, 0, 0]);
    assert!(matches!(
        decode_payload(&bad, Variant::Signed, CHAIN_ID),
        Err(BatchError::BlockNumberOverflow { first: u64::MAX, count: 2 })
    ));
}

#[test]
fn raw_unsigned_must_be_zero_signed_with_nonce_zero() {
    let tx = legacy(1, 5, None, TxKind::Call(Address::repeat_byte(1)), U256::from(1), &[]);
    let batch = Batch::from_blocks(&[block(1, 1, 0, vec![(tx.clone(), 1)])]).unwrap();
    let good = encode_payload(&batch, Variant::Unsigned, CHAIN_ID);
    assert!(decode_payload(&good, Variant::Unsigned, CHAIN_ID).is_ok());
    // Replace the zero-signed raw bytes with the really signed ones (same length class is irrelevant).
    let raw_at = good.len() - crate::codec::unsigned_raw(&tx).len();
    let mut bad = good[..raw_at - 1].to_vec();
    let signed = tx.encoded_2718();
    bad.push(signed.len() as u8);
    bad.extend_from_slice(&signed);
    assert!(matches!(decode_payload(&bad, Variant::Unsigned, CHAIN_ID), Err(BatchError::NonCanonical(_))));
    // Garbage raw bytes.
    let mut bad = good[..raw_at - 1].to_vec();
    bad.extend_from_slice(&[3, 0xc1, 0xc0, 0xc0]);
    assert!(matches!(decode_payload(&bad, Variant::Unsigned, CHAIN_ID), Err(BatchError::RawTransaction(_))));
}

/// Decodes `data` and `payload` after every truncation and after many random corruptions; nothing may
/// panic, and every strict truncation must fail.
fn fuzz(variant: Variant, data: &[u8], payload: &[u8], rng: &mut Rng, rounds: usize) -> usize {
    let mut ok = 0;
    for n in 0..data.len() {
        assert!(decode(&data[..n], CHAIN_ID).is_err(), "data truncated at {n} decoded");
    }
    for n in 0..payload.len() {
        assert!(decode_payload(&payload[..n], variant, CHAIN_ID).is_err(), "payload truncated at {n} decoded");
    }
    for round in 0..rounds {
        let target = if round % 4 == 0 { data } else { payload };
        let mut bad = target.to_vec();
        for _ in 0..1 + rng.below(3) {
            let at = rng.below(bad.len() as u64) as usize;
            match rng.below(4) {
                0 => bad[at] ^= 1 << rng.below(8),
                1 => bad[at] = rng.next_u64() as u8,
                2 => bad[at] = [0x00, 0x7f, 0x80, 0xff][rng.below(4) as usize],
                _ => {
                    bad.insert(at, rng.next_u64() as u8);
                }
            }
        }
        let result = if round % 4 == 0 { decode(&bad, CHAIN_ID) } else { decode_payload(&bad, variant, CHAIN_ID) };
        ok += result.is_ok() as usize;
    }
    ok
}

#[test]
fn corrupt_and_truncated_batches_never_panic() {
    let mut rng = Rng::new(0xf022);
    let mut blocks = mixed_blocks();
    blocks.extend(transfers(40, 2, 5, 10).into_iter().enumerate().map(|(i, mut b)| {
        b.header.number = 57 + i as u64;
        b
    }));
    let batch = Batch::from_blocks(&blocks).unwrap();
    for variant in [Variant::Signed, Variant::Unsigned] {
        let data = encode(&batch, variant, CHAIN_ID);
        let payload = encode_payload(&batch, variant, CHAIN_ID);
        let ok = fuzz(variant, &data, &payload, &mut rng, 20_000);
        // Corruptions of signatures, values or addresses still decode (to a different batch): a format
        // without checksums cannot tell, and must not need to.
        assert!(ok > 0 && ok < 20_000, "{ok} of 20000 corruptions decoded");
    }
}

/// Bytes per transaction of a workload in both variants.
fn bytes_per_tx(blocks: &[Block]) -> (f64, f64) {
    let batch = Batch::from_blocks(blocks).unwrap();
    let n = blocks.iter().map(|b| b.transactions.len()).sum::<usize>() as f64;
    let signed = assert_roundtrip(&batch, Variant::Signed).len() as f64 / n;
    let unsigned = assert_roundtrip(&batch, Variant::Unsigned).len() as f64 / n;
    (signed, unsigned)
}

#[test]
fn transfer_batch_meets_size_targets() {
    // 1000 plain ETH transfers in 10 blocks, 20 senders, 200 recipients.
    let (signed, unsigned) = bytes_per_tx(&transfers(1000, 10, 20, 200));
    println!("ETH transfers: {signed:.1} B/tx signed, {unsigned:.1} B/tx unsigned");
    assert!(signed <= 80.0, "signed transfer batch: {signed:.1} B/tx > 80");
    assert!(unsigned <= 16.0, "unsigned transfer batch: {unsigned:.1} B/tx > 16");
    let (signed, unsigned) = bytes_per_tx(&erc20_transfers(1000, 10, 20, 200));
    println!("ERC-20 transfers: {signed:.1} B/tx signed, {unsigned:.1} B/tx unsigned");
}

#[test]
fn huge_claimed_counts_in_a_tiny_batch_fail_fast() {
    // One block claiming a million transactions, then 3 MiB of zeros (under MAX_DECOMPRESSED): tiny compressed.
    let mut payload = vec![0u8; 21];
    payload.push(1); // one block
    payload.extend_from_slice(&[0, 0]); // timestamp, L1 messages
    let mut count = Vec::new();
    crate::wire::put_varint(&mut count, 1_000_000);
    payload.extend_from_slice(&count);
    payload.extend_from_slice(&[0, 0]); // empty tables
    payload.resize(3 << 20, 0);
    let data = deflate(&payload, Variant::Unsigned);
    assert!(data.len() < 100_000);
    // The zeros read as a raw transaction from sender 0 of an empty address table.
    let err = decode(&data, CHAIN_ID).unwrap_err();
    assert!(matches!(err, BatchError::IndexOutOfRange { table: "sender address", .. }), "{err}");
}
