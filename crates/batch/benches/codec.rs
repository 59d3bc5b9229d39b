//! Encode and decode of a 1000-transaction batch (10 blocks, 20 senders, 200 recipients) in both variants,
//! for plain ETH transfers and ERC-20 `transfer` calls; prints the posted bytes per transaction.
use criterion::{criterion_group, criterion_main, Criterion};
use mosaic_batch::{decode, encode, Batch, Variant};
use std::hint::black_box;

#[path = "common/workload.rs"]
mod workload;

fn codec(c: &mut Criterion) {
    let workloads = [
        ("eth_transfer", workload::transfers(1000, 10, 20, 200)),
        ("erc20_transfer", workload::erc20_transfers(1000, 10, 20, 200)),
    ];
    for (name, blocks) in &workloads {
        let batch = Batch::from_blocks(blocks).expect("valid batch");
        let n_txs: usize = batch.blocks.iter().map(|b| b.transactions.len()).sum();
        let rlp_bytes: usize =
            blocks.iter().flat_map(|b| &b.transactions).map(alloy_eips::Encodable2718::encode_2718_len).sum();
        println!("{name}: {n_txs} txs, {:.1} B/tx as EIP-2718 bytes", rlp_bytes as f64 / n_txs as f64);
        for variant in [Variant::Signed, Variant::Unsigned] {
            let data = encode(&batch, variant, workload::CHAIN_ID);
            println!("{name} {variant:?}: {} bytes, {:.2} B/tx", data.len(), data.len() as f64 / n_txs as f64);
            let label = format!("{name}_{}", if variant == Variant::Signed { "signed" } else { "unsigned" });
            c.bench_function(&format!("encode_{label}_1000"), |b| {
                b.iter(|| encode(black_box(&batch), variant, workload::CHAIN_ID))
            });
            c.bench_function(&format!("decode_{label}_1000"), |b| {
                b.iter(|| decode(black_box(&data), workload::CHAIN_ID).expect("decodes"))
            });
        }
    }
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(20);
    targets = codec
}
criterion_main!(benches);
