//! State-tree hot path: a block's batch update into an existing tree, and proofs.
//! `cargo bench -p mosaic-trie` (numbers in docs/benchmarks.md).
use alloy_primitives::{keccak256, B256};
use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use mosaic_trie::{prove, update, MemoryNodeStore, EMPTY_ROOT};

fn key(i: u64) -> B256 {
    keccak256(i.to_be_bytes())
}

/// A tree of `n` 72-byte leaves (account-sized values).
fn tree(n: u64) -> (MemoryNodeStore, B256) {
    let mut store = MemoryNodeStore::new();
    let updates: Vec<_> = (0..n).map(|i| (key(i), Some(vec![7u8; 72]))).collect();
    let (root, nodes) = update(&store, EMPTY_ROOT, &updates).expect("in-memory update");
    store.insert_all(nodes);
    (store, root)
}

fn bench_update(c: &mut Criterion) {
    let (store, root) = tree(100_000);
    let mut g = c.benchmark_group("trie_update_100k_tree");
    for batch in [100u64, 10_000] {
        g.throughput(Throughput::Elements(batch));
        // Half the batch changes existing keys, half inserts new ones: like a block of transfers.
        g.bench_function(format!("batch_{batch}"), |b| {
            b.iter_batched(
                || {
                    (0..batch)
                        .map(|i| (key(if i % 2 == 0 { i * 7 } else { 1_000_000 + i }), Some(vec![9u8; 72])))
                        .collect::<Vec<_>>()
                },
                |updates| update(&store, root, &updates).expect("update"),
                BatchSize::LargeInput,
            )
        });
    }
    g.finish();
    c.bench_function("trie_prove_100k_tree", |b| b.iter(|| prove(&store, root, &key(4242)).expect("prove")));
}

criterion_group!(benches, bench_update);
criterion_main!(benches);
