//! Unit tests, checked against hand-computed hashes and a naive reference tree.

use alloc::{collections::BTreeMap, vec, vec::Vec};
use alloy_primitives::B256;
use core::cell::RefCell;
use sha2::{Digest, Sha256};

use crate::*;

/// Tiny deterministic PRNG so the tests need no `rand`.
struct XorShift(u64);

impl XorShift {
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    fn key(&mut self) -> B256 {
        let mut k = [0u8; 32];
        for chunk in k.chunks_mut(8) {
            chunk.copy_from_slice(&self.next().to_le_bytes());
        }
        B256::from(k)
    }

    fn value(&mut self) -> Vec<u8> {
        let len = self.below(40) as usize;
        (0..len).map(|_| self.next() as u8).collect()
    }

    fn shuffle<T>(&mut self, v: &mut [T]) {
        for i in (1..v.len()).rev() {
            let j = self.below(i as u64 + 1) as usize;
            v.swap(i, j);
        }
    }
}

/// Independent sha256 so the hash layout is checked against the spec, not the crate.
fn sha(parts: &[&[u8]]) -> B256 {
    let mut h = Sha256::new();
    for p in parts {
        h.update(p);
    }
    B256::from_slice(&h.finalize())
}

fn spec_leaf(key: &B256, value: &[u8]) -> B256 {
    sha(&[&[0u8], key.as_slice(), sha(&[value]).as_slice()])
}

fn spec_internal(l: &B256, r: &B256) -> B256 {
    sha(&[&[1u8], l.as_slice(), r.as_slice()])
}

fn spec_bit(key: &B256, i: usize) -> u8 {
    (key[i / 8] >> (7 - i % 8)) & 1
}

/// Naive compact-tree root built from scratch over sorted entries.
fn reference_root(entries: &[(B256, Vec<u8>)], depth: usize) -> B256 {
    match entries {
        [] => B256::ZERO,
        [(k, v)] => spec_leaf(k, v),
        _ => {
            let mid = entries.iter().position(|(k, _)| spec_bit(k, depth) == 1).unwrap_or(entries.len());
            let l = reference_root(&entries[..mid], depth + 1);
            let r = reference_root(&entries[mid..], depth + 1);
            spec_internal(&l, &r)
        }
    }
}

fn model_root(model: &BTreeMap<B256, Vec<u8>>) -> B256 {
    let entries: Vec<(B256, Vec<u8>)> = model.iter().map(|(k, v)| (*k, v.clone())).collect();
    reference_root(&entries, 0)
}

/// Key with the given leading bits (as '0'/'1' chars), rest filled from `fill`.
fn key_with_prefix(prefix: &str, fill: u8) -> B256 {
    let mut k = [fill; 32];
    for (i, c) in prefix.chars().enumerate() {
        let mask = 0x80u8 >> (i % 8);
        if c == '1' {
            k[i / 8] |= mask;
        } else {
            k[i / 8] &= !mask;
        }
    }
    B256::from(k)
}

/// Apply a batch, persist the new nodes, and sanity-check what `update` returned.
fn apply(store: &mut MemoryNodeStore, root: B256, batch: &[(B256, Option<Vec<u8>>)]) -> B256 {
    let (new_root, nodes) = update(&*store, root, batch).unwrap();
    let mut seen = BTreeMap::new();
    for (h, n) in &nodes {
        assert_eq!(*h, n.hash(), "returned hash must match node");
        assert!(seen.insert(*h, ()).is_none(), "new node emitted twice");
    }
    store.insert_all(nodes);
    new_root
}

/// Counts fetches per hash to check each node is read at most once.
struct CountingStore<'a> {
    inner: &'a MemoryNodeStore,
    reads: RefCell<BTreeMap<B256, usize>>,
}

impl NodeStore for CountingStore<'_> {
    fn get_node(&self, hash: &B256) -> Result<Option<Node>, TrieError> {
        *self.reads.borrow_mut().entry(*hash).or_insert(0) += 1;
        self.inner.get_node(hash)
    }
}

#[test]
fn empty_tree() {
    let store = MemoryNodeStore::new();
    assert_eq!(EMPTY_ROOT, B256::ZERO);
    let (root, nodes) = update(&store, EMPTY_ROOT, &[]).unwrap();
    assert_eq!(root, B256::ZERO);
    assert!(nodes.is_empty());
    assert_eq!(get(&store, EMPTY_ROOT, &B256::repeat_byte(7)).unwrap(), None);
    // Deleting from the empty tree stays empty.
    let (root, nodes) = update(&store, EMPTY_ROOT, &[(B256::repeat_byte(7), None)]).unwrap();
    assert_eq!(root, B256::ZERO);
    assert!(nodes.is_empty());
}

#[test]
fn hash_layout_matches_spec() {
    let k = B256::repeat_byte(0xab);
    assert_eq!(leaf_hash(&k, b"hello"), spec_leaf(&k, b"hello"));
    assert_eq!(value_hash(b"hello"), sha(&[b"hello"]));
    let (a, b) = (B256::repeat_byte(1), B256::repeat_byte(2));
    assert_eq!(internal_hash(&a, &b), spec_internal(&a, &b));
    assert_ne!(internal_hash(&a, &b), internal_hash(&b, &a));
}

#[test]
fn single_key_root_is_leaf_hash() {
    let mut store = MemoryNodeStore::new();
    let k = B256::repeat_byte(0x5a);
    let root = apply(&mut store, EMPTY_ROOT, &[(k, Some(b"v".to_vec()))]);
    assert_eq!(root, spec_leaf(&k, b"v"));
    assert_eq!(store.len(), 1);
    assert_eq!(get(&store, root, &k).unwrap(), Some(b"v".to_vec()));
    assert_eq!(get(&store, root, &B256::repeat_byte(0x5b)).unwrap(), None);
}

#[test]
fn two_keys_differing_in_first_bit() {
    let mut store = MemoryNodeStore::new();
    let a = key_with_prefix("0", 0x33);
    let b = key_with_prefix("1", 0x33);
    // Insert right-side key first to show order doesn't matter.
    let root = apply(&mut store, EMPTY_ROOT, &[(b, Some(b"B".to_vec())), (a, Some(b"A".to_vec()))]);
    let expected = spec_internal(&spec_leaf(&a, b"A"), &spec_leaf(&b, b"B"));
    assert_eq!(root, expected);
    assert_eq!(get(&store, root, &a).unwrap(), Some(b"A".to_vec()));
    assert_eq!(get(&store, root, &b).unwrap(), Some(b"B".to_vec()));
}

#[test]
fn shared_prefix_builds_chain_with_empty_siblings() {
    let mut store = MemoryNodeStore::new();
    // Both keys start 101, then differ at bit 3.
    let a = key_with_prefix("1010", 0x0f);
    let b = key_with_prefix("1011", 0x0f);
    let root = apply(&mut store, EMPTY_ROOT, &[(a, Some(b"a".to_vec())), (b, Some(b"b".to_vec()))]);
    let z = B256::ZERO;
    let n3 = spec_internal(&spec_leaf(&a, b"a"), &spec_leaf(&b, b"b"));
    let n2 = spec_internal(&z, &n3); // bit 2 = 1
    let n1 = spec_internal(&n2, &z); // bit 1 = 0
    let n0 = spec_internal(&z, &n1); // bit 0 = 1
    assert_eq!(root, n0);
    assert_eq!(store.len(), 6, "2 leaves + 4 internal nodes");

    // A third key branching off at bit 1 shortens the chain above it.
    let c = key_with_prefix("11", 0x00);
    let root2 = apply(&mut store, root, &[(c, Some(b"c".to_vec()))]);
    let m1 = spec_internal(&n2, &spec_leaf(&c, b"c"));
    assert_eq!(root2, spec_internal(&z, &m1));

    // Deleting `b` collapses a's leaf all the way up to depth 1.
    let root3 = apply(&mut store, root2, &[(b, None)]);
    assert_eq!(root3, spec_internal(&z, &spec_internal(&spec_leaf(&a, b"a"), &spec_leaf(&c, b"c"))));
    // Deleting `c` too leaves a lone leaf as the root.
    let root4 = apply(&mut store, root3, &[(c, None)]);
    assert_eq!(root4, spec_leaf(&a, b"a"));
    let root5 = apply(&mut store, root4, &[(a, None)]);
    assert_eq!(root5, EMPTY_ROOT);

    // Old roots remain readable since nodes are immutable.
    assert_eq!(get(&store, root, &b).unwrap(), Some(b"b".to_vec()));
    assert_eq!(get(&store, root2, &c).unwrap(), Some(b"c".to_vec()));
}

#[test]
fn keys_differing_only_in_last_bit() {
    let mut store = MemoryNodeStore::new();
    let a = B256::repeat_byte(0xff);
    let mut bb = [0xffu8; 32];
    bb[31] = 0xfe;
    let b = B256::from(bb);
    let root = apply(&mut store, EMPTY_ROOT, &[(a, Some(vec![1])), (b, Some(vec![2]))]);
    let mut expected = spec_internal(&spec_leaf(&b, &[2]), &spec_leaf(&a, &[1]));
    for _ in 0..255 {
        expected = spec_internal(&B256::ZERO, &expected);
    }
    assert_eq!(root, expected);
    let proof = prove(&store, root, &a).unwrap();
    assert_eq!(proof.siblings.len(), 256);
    verify_proof(root, &a, Some(&[1]), &proof).unwrap();
    assert_eq!(get(&store, root, &b).unwrap(), Some(vec![2]));
}

#[test]
fn duplicates_last_wins_and_noop_updates() {
    let mut store = MemoryNodeStore::new();
    let k = B256::repeat_byte(1);
    let k2 = B256::repeat_byte(0x81);
    let root = apply(
        &mut store,
        EMPTY_ROOT,
        &[(k, Some(b"first".to_vec())), (k2, Some(b"x".to_vec())), (k, None), (k, Some(b"last".to_vec()))],
    );
    assert_eq!(get(&store, root, &k).unwrap(), Some(b"last".to_vec()));
    assert_eq!(root, spec_internal(&spec_leaf(&k, b"last"), &spec_leaf(&k2, b"x")));

    // Same value again, and deleting an absent key: same root, no new nodes.
    let absent = B256::repeat_byte(0x02);
    let (same, nodes) = update(&store, root, &[(k, Some(b"last".to_vec())), (absent, None)]).unwrap();
    assert_eq!(same, root);
    assert!(nodes.is_empty(), "no-op batch must not create nodes");

    // Set then delete within one batch is a delete.
    let (r2, _) = update(&store, root, &[(k, Some(b"zzz".to_vec())), (k, None)]).unwrap();
    assert_eq!(r2, spec_leaf(&k2, b"x"));
}

#[test]
fn randomized_against_reference() {
    let mut rng = XorShift(0x9e37_79b9_7f4a_7c15);
    let mut store = MemoryNodeStore::new();
    let mut model: BTreeMap<B256, Vec<u8>> = BTreeMap::new();
    let mut root = EMPTY_ROOT;
    let mut history: Vec<(B256, BTreeMap<B256, Vec<u8>>)> = Vec::new();

    // 2,000 keys, some of them near-duplicates of others to force deep paths.
    let mut keys: Vec<B256> = Vec::new();
    while keys.len() < 2000 {
        if !keys.is_empty() && rng.below(5) == 0 {
            let base = keys[rng.below(keys.len() as u64) as usize];
            let bit = 200 + rng.below(56) as usize;
            let mut k = base.0;
            k[bit / 8] ^= 0x80 >> (bit % 8);
            keys.push(B256::from(k));
        } else {
            keys.push(rng.key());
        }
    }
    keys.sort();
    keys.dedup();
    rng.shuffle(&mut keys);

    let check = |root: B256, model: &BTreeMap<B256, Vec<u8>>| {
        assert_eq!(root, model_root(model), "root differs from reference");
    };

    // Insert in batches of varying size (including duplicates inside a batch).
    let sizes = [1usize, 2, 3, 17, 64, 250, 5, 400, 1, 900, 1000];
    let mut it = keys.iter().copied();
    'outer: for &size in sizes.iter().cycle() {
        let mut batch = Vec::new();
        for _ in 0..size {
            let Some(k) = it.next() else {
                if batch.is_empty() {
                    break 'outer;
                }
                break;
            };
            let v = rng.value();
            if rng.below(10) == 0 {
                batch.push((k, Some(rng.value())));
            }
            batch.push((k, Some(v.clone())));
            model.insert(k, v);
        }
        root = apply(&mut store, root, &batch);
        check(root, &model);
        history.push((root, model.clone()));
    }
    assert_eq!(model.len(), keys.len());

    // Delete a third, mixed with deletes of absent keys, in varying batches.
    let mut to_delete: Vec<B256> = keys.iter().copied().step_by(3).collect();
    rng.shuffle(&mut to_delete);
    for chunk in to_delete.chunks(97) {
        let mut batch: Vec<(B256, Option<Vec<u8>>)> = chunk.iter().map(|k| (*k, None)).collect();
        batch.push((rng.key(), None));
        for k in chunk {
            model.remove(k);
        }
        root = apply(&mut store, root, &batch);
        check(root, &model);
    }
    history.push((root, model.clone()));

    // Update some existing values, re-set some to the same value, re-insert some deleted.
    let present: Vec<B256> = model.keys().copied().collect();
    let mut batch = Vec::new();
    for k in present.iter().step_by(5) {
        let v = rng.value();
        model.insert(*k, v.clone());
        batch.push((*k, Some(v)));
    }
    for k in present.iter().skip(1).step_by(7) {
        batch.push((*k, Some(model[k].clone())));
    }
    for k in to_delete.iter().take(50) {
        let v = rng.value();
        model.insert(*k, v.clone());
        batch.push((*k, Some(v)));
    }
    rng.shuffle(&mut batch);
    let counting = CountingStore { inner: &store, reads: RefCell::new(BTreeMap::new()) };
    let (new_root, nodes) = update(&counting, root, &batch).unwrap();
    assert!(counting.reads.borrow().values().all(|&n| n == 1), "each existing node fetched at most once");
    store.insert_all(nodes);
    root = new_root;
    check(root, &model);
    history.push((root, model.clone()));

    // Every key reads back; absent keys read as None.
    for k in &keys {
        assert_eq!(get(&store, root, k).unwrap().as_ref(), model.get(k));
    }
    for _ in 0..500 {
        let k = rng.key();
        assert_eq!(get(&store, root, &k).unwrap(), None);
    }
    // Historical roots are still fully readable.
    for (old_root, old_model) in &history {
        for k in keys.iter().step_by(13) {
            assert_eq!(get(&store, *old_root, k).unwrap().as_ref(), old_model.get(k));
        }
    }

    // Deleting everything returns to the empty root.
    let all: Vec<_> = model.keys().map(|k| (*k, None)).collect();
    let (empty, _) = update(&store, root, &all).unwrap();
    assert_eq!(empty, EMPTY_ROOT);
}

#[test]
fn insertion_order_independence() {
    let mut rng = XorShift(42);
    let entries: Vec<(B256, Vec<u8>)> = (0..600).map(|_| (rng.key(), rng.value())).collect();
    let model: BTreeMap<B256, Vec<u8>> = entries.iter().cloned().collect();
    let expected = model_root(&model);

    // One batch.
    let mut s1 = MemoryNodeStore::new();
    let all: Vec<_> = entries.iter().map(|(k, v)| (*k, Some(v.clone()))).collect();
    let r1 = apply(&mut s1, EMPTY_ROOT, &all);
    assert_eq!(r1, expected);

    // Shuffled, many small batches of random size.
    let mut shuffled = all.clone();
    rng.shuffle(&mut shuffled);
    let mut s2 = MemoryNodeStore::new();
    let mut r2 = EMPTY_ROOT;
    let mut rest = &shuffled[..];
    while !rest.is_empty() {
        let n = (1 + rng.below(40) as usize).min(rest.len());
        r2 = apply(&mut s2, r2, &rest[..n]);
        rest = &rest[n..];
    }
    assert_eq!(r2, expected);

    // Superset with junk values, then fix values and delete the extras.
    let extras: Vec<B256> = (0..200).map(|_| rng.key()).collect();
    let mut s3 = MemoryNodeStore::new();
    let mut first: Vec<_> = entries.iter().map(|(k, _)| (*k, Some(vec![0xee]))).collect();
    first.extend(extras.iter().map(|k| (*k, Some(vec![1]))));
    let r3 = apply(&mut s3, EMPTY_ROOT, &first);
    let mut fix: Vec<_> = extras.iter().map(|k| (*k, None)).collect();
    fix.extend(all.iter().cloned());
    rng.shuffle(&mut fix);
    let r3 = apply(&mut s3, r3, &fix);
    assert_eq!(r3, expected);
}

/// Builds a random tree and returns (store, root, model).
fn random_tree(seed: u64, n: usize) -> (MemoryNodeStore, B256, BTreeMap<B256, Vec<u8>>) {
    let mut rng = XorShift(seed);
    let mut store = MemoryNodeStore::new();
    let model: BTreeMap<B256, Vec<u8>> = (0..n).map(|_| (rng.key(), rng.value())).collect();
    let batch: Vec<_> = model.iter().map(|(k, v)| (*k, Some(v.clone()))).collect();
    let root = apply(&mut store, EMPTY_ROOT, &batch);
    (store, root, model)
}

#[test]
fn proofs_verify_and_reject_tampering() {
    let (store, root, model) = random_tree(7, 300);
    let mut rng = XorShift(99);

    for (k, v) in model.iter().step_by(3) {
        let proof = prove(&store, root, k).unwrap();
        assert_eq!(proof.leaf, Some((*k, value_hash(v))));
        verify_proof(root, k, Some(v), &proof).unwrap();

        // Wrong value.
        let mut other = v.clone();
        other.push(1);
        assert_eq!(verify_proof(root, k, Some(&other), &proof), Err(ProofError::ValueMismatch));
        // Claiming absence of a present key.
        assert_eq!(verify_proof(root, k, None, &proof), Err(ProofError::KeyPresent));
        // Tampered sibling.
        let mut bad = proof.clone();
        let i = rng.below(bad.siblings.len() as u64) as usize;
        bad.siblings[i].0[0] ^= 1;
        assert!(matches!(verify_proof(root, k, Some(v), &bad), Err(ProofError::RootMismatch { .. })));
        // Tampered leaf value hash in the proof.
        let mut bad = proof.clone();
        bad.leaf = Some((*k, value_hash(&other)));
        assert!(verify_proof(root, k, Some(v), &bad).is_err());
        assert!(verify_proof(root, k, Some(&other), &bad).is_err());
        // Wrong root.
        let mut bad_root = root;
        bad_root.0[31] ^= 1;
        assert!(matches!(verify_proof(bad_root, k, Some(v), &proof), Err(ProofError::RootMismatch { .. })));
        // Different key with this proof.
        let mut other_key = *k;
        other_key.0[31] ^= 1;
        assert!(matches!(verify_proof(root, &other_key, Some(v), &proof), Err(ProofError::KeyMismatch { .. })));
        // Truncated path.
        let mut bad = proof.clone();
        bad.siblings.pop();
        assert!(verify_proof(root, k, Some(v), &bad).is_err());
    }

    // Exclusion proofs: both kinds (empty end and foreign-leaf end) must show up.
    let (mut empty_ends, mut leaf_ends) = (0, 0);
    for _ in 0..400 {
        let k = rng.key();
        assert!(!model.contains_key(&k));
        let proof = prove(&store, root, &k).unwrap();
        verify_proof(root, &k, None, &proof).unwrap();
        match proof.leaf {
            None => empty_ends += 1,
            Some((other, _)) => {
                leaf_ends += 1;
                assert_ne!(other, k);
            }
        }
        // The exclusion proof cannot prove a value.
        assert!(verify_proof(root, &k, Some(b"x"), &proof).is_err());
        // Tampered sibling / root.
        if !proof.siblings.is_empty() {
            let mut bad = proof.clone();
            bad.siblings[0].0[5] ^= 0x40;
            assert!(verify_proof(root, &k, None, &bad).is_err());
        }
        let mut bad_root = root;
        bad_root.0[0] ^= 1;
        assert!(verify_proof(bad_root, &k, None, &proof).is_err());
        // Pretending the path ends in an empty subtree instead of the leaf.
        if proof.leaf.is_some() {
            let mut bad = proof.clone();
            bad.leaf = None;
            assert!(verify_proof(root, &k, None, &bad).is_err());
        }
    }
    assert!(empty_ends > 0 && leaf_ends > 0, "{empty_ends} / {leaf_ends}");

    // Empty tree: empty proof proves absence.
    let p = prove(&store, EMPTY_ROOT, &B256::repeat_byte(3)).unwrap();
    assert_eq!(p, Proof::default());
    verify_proof(EMPTY_ROOT, &B256::repeat_byte(3), None, &p).unwrap();
    assert_eq!(verify_proof(EMPTY_ROOT, &B256::repeat_byte(3), Some(b""), &p), Err(ProofError::MissingLeaf));
}

#[test]
fn exclusion_leaf_must_share_prefix() {
    let mut store = MemoryNodeStore::new();
    let a = key_with_prefix("00", 0x11);
    let b = key_with_prefix("1", 0x22);
    let root = apply(&mut store, EMPTY_ROOT, &[(a, Some(b"a".to_vec())), (b, Some(b"b".to_vec()))]);
    // Honest exclusion for a key under a's subtree that is not a.
    let c = key_with_prefix("01", 0x11);
    let proof = prove(&store, root, &c).unwrap();
    assert_eq!(proof.leaf.map(|l| l.0), Some(a));
    verify_proof(root, &c, None, &proof).unwrap();
    // Reuse that proof for a key on the other side: the leaf does not share bit 0.
    let d = key_with_prefix("1", 0x99);
    assert_eq!(verify_proof(root, &d, None, &proof), Err(ProofError::PrefixMismatch { found: a, depth: 1 }));
}

#[test]
fn too_deep_proof_rejected() {
    let k = B256::repeat_byte(9);
    let proof = Proof { siblings: vec![B256::ZERO; 257], leaf: None };
    assert_eq!(verify_proof(B256::ZERO, &k, None, &proof), Err(ProofError::TooDeep(257)));
}

#[test]
fn recording_store_witness_replays_update() {
    let (store, root, model) = random_tree(1234, 500);
    let mut rng = XorShift(5);
    let keys: Vec<B256> = model.keys().copied().collect();

    let mut batch: Vec<(B256, Option<Vec<u8>>)> = Vec::new();
    for k in keys.iter().step_by(4) {
        batch.push((*k, None)); // many deletions collapse nodes
    }
    for k in keys.iter().skip(1).step_by(9) {
        batch.push((*k, Some(rng.value())));
    }
    for _ in 0..30 {
        batch.push((rng.key(), Some(rng.value())));
        batch.push((rng.key(), None));
    }

    let recording = RecordingStore::new(&store);
    let (expected_root, expected_nodes) = update(&recording, root, &batch).unwrap();
    let witness = recording.into_recorded();
    assert!(witness.len() < store.len(), "witness should be partial");

    let (replayed_root, replayed_nodes) = update(&witness, root, &batch).unwrap();
    assert_eq!(replayed_root, expected_root);
    assert_eq!(replayed_nodes, expected_nodes);

    let mut full = store.clone();
    full.insert_all(expected_nodes);
    let mut new_model = model.clone();
    for (k, v) in &batch {
        match v {
            Some(v) => new_model.insert(*k, v.clone()),
            None => new_model.remove(k),
        };
    }
    assert_eq!(expected_root, model_root(&new_model));
}

#[test]
fn witness_includes_collapse_sibling() {
    let mut store = MemoryNodeStore::new();
    let a = key_with_prefix("0100", 0x01);
    let b = key_with_prefix("0101", 0x02);
    let c = key_with_prefix("1", 0x03);
    let root =
        apply(&mut store, EMPTY_ROOT, &[(a, Some(b"a".to_vec())), (b, Some(b"b".to_vec())), (c, Some(b"c".to_vec()))]);
    let recording = RecordingStore::new(&store);
    let (new_root, _) = update(&recording, root, &[(b, None)]).unwrap();
    assert_eq!(new_root, spec_internal(&spec_leaf(&a, b"a"), &spec_leaf(&c, b"c")));
    let witness = recording.into_recorded();
    // a's leaf was never on b's path but is needed to know it moves up.
    assert!(witness.contains(&spec_leaf(&a, b"a")));
    // c's leaf is untouched and its hash suffices.
    assert!(!witness.contains(&spec_leaf(&c, b"c")));
    assert_eq!(update(&witness, root, &[(b, None)]).unwrap().0, new_root);

    // Reads and proofs are recorded too and replay from their witness.
    let recording = RecordingStore::new(&store);
    let v = get(&recording, root, &b).unwrap();
    let p = prove(&recording, root, &a).unwrap();
    // root, 3 chain nodes, b's leaf, a's leaf.
    assert_eq!(recording.recorded_len(), 6);
    let witness = recording.into_recorded();
    assert_eq!(get(&witness, root, &b).unwrap(), v);
    assert_eq!(prove(&witness, root, &a).unwrap(), p);
}

#[test]
fn missing_and_corrupt_nodes_are_errors() {
    let (store, root, model) = random_tree(77, 50);
    let k = *model.keys().next().unwrap();
    let empty = MemoryNodeStore::new();
    assert!(matches!(get(&empty, root, &k), Err(TrieError::MissingNode(h)) if h == root));
    assert!(matches!(update(&empty, root, &[(k, None)]), Err(TrieError::MissingNode(_))));
    assert!(matches!(prove(&empty, root, &k), Err(TrieError::MissingNode(_))));

    // A store that lies about a node's content is caught.
    let mut liar = MemoryNodeStore::new();
    liar.insert_all(store.iter().map(|(h, n)| (*h, n.clone())));
    liar.insert_all([(root, Node::Leaf { key: k, value: b"forged".to_vec() })]);
    assert!(matches!(get(&liar, root, &k), Err(TrieError::Store(_))));
    assert!(matches!(update(&liar, root, &[(k, None)]), Err(TrieError::Store(_))));
}

#[test]
fn node_encoding_roundtrip() {
    let nodes = [
        Node::Leaf { key: B256::repeat_byte(0xa1), value: vec![] },
        Node::Leaf { key: B256::repeat_byte(0x01), value: b"some value bytes".to_vec() },
        Node::Internal { left: B256::ZERO, right: B256::repeat_byte(0xfe) },
    ];
    for n in &nodes {
        let enc = n.encode();
        assert_eq!(&Node::decode(&enc).unwrap(), n);
    }
    let leaf_enc = nodes[1].encode();
    assert_eq!(leaf_enc[0], 0);
    assert_eq!(leaf_enc.len(), 33 + 16);
    let int_enc = nodes[2].encode();
    assert_eq!(int_enc[0], 1);
    assert_eq!(int_enc.len(), 65);
}

#[test]
fn decode_rejects_garbage() {
    assert!(matches!(Node::decode(&[]), Err(TrieError::Decode(_))));
    assert!(Node::decode(&[0]).is_err());
    assert!(Node::decode(&[0; 32]).is_err()); // leaf tag + 31 key bytes
    assert!(Node::decode(&[1; 64]).is_err()); // internal missing a byte
    assert!(Node::decode(&[1; 66]).is_err()); // internal with trailing byte
    assert!(Node::decode(&[2; 65]).is_err());
    assert!(Node::decode(&[0xff]).is_err());
    // Every truncation of valid encodings fails (or, for leaves, is a shorter value).
    let int_enc = Node::Internal { left: B256::repeat_byte(3), right: B256::repeat_byte(4) }.encode();
    for len in 0..int_enc.len() {
        assert!(Node::decode(&int_enc[..len]).is_err());
    }
    // Random bytes never panic; anything accepted re-encodes identically.
    let mut rng = XorShift(0xdead_beef);
    for _ in 0..2000 {
        let len = rng.below(100) as usize;
        let mut bytes: Vec<u8> = (0..len).map(|_| rng.next() as u8).collect();
        if len > 0 && rng.below(2) == 0 {
            bytes[0] = rng.below(3) as u8;
        }
        if let Ok(node) = Node::decode(&bytes) {
            assert_eq!(node.encode(), bytes);
        }
    }
}
