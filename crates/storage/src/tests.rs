//! Round trips through a real redb file: a block and its effects, the readers, the persisted pool.
use crate::{Database, HistoricalState, LatestState, TrieNodes};
use alloy_consensus::{SignableTransaction, TxEip1559, TxEnvelope};
use alloy_eips::eip2718::Encodable2718;
use alloy_primitives::{Address, TxKind, B256, U256};
use alloy_signer::SignerSync;
use alloy_signer_local::PrivateKeySigner;
use mosaic_primitives::ChainConfig;
use mosaic_stf::{child_context, genesis, BlockBuilder, StateReader};

fn signed(k: &PrivateKeySigner, nonce: u64, to: Address) -> TxEnvelope {
    let tx = TxEip1559 {
        chain_id: ChainConfig::default().chain_id,
        nonce,
        gas_limit: 21_000,
        max_fee_per_gas: 10_000_000_000,
        max_priority_fee_per_gas: 1,
        to: TxKind::Call(to),
        value: U256::from(5),
        ..Default::default()
    };
    let sig = k.sign_hash_sync(&tx.signature_hash()).unwrap();
    tx.into_signed(sig).into()
}

#[test]
fn block_commit_roundtrip_and_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("db.redb");
    let cfg = ChainConfig::default();
    let k = PrivateKeySigner::random();
    let to = Address::repeat_byte(9);
    let (genesis_hash, block_hash, tx_hash) = {
        let db = Database::open(&path).unwrap();
        assert_eq!(db.head_number().unwrap(), None);
        let g = {
            let txn = db.read().unwrap();
            genesis(
                &TrieNodes::new(&txn).unwrap(),
                &cfg,
                &[(k.address(), U256::from(10u64).pow(U256::from(18u64)))],
                &[],
                &[],
                1,
            )
            .unwrap()
        };
        db.commit_block(&g).unwrap();
        let tx = signed(&k, 0, to);
        db.pool_insert(&[(*tx.tx_hash(), k.address(), tx.encoded_2718())]).unwrap();
        assert_eq!(db.pool_load().unwrap().len(), 1);
        let ctx = child_context(&cfg, &g.block.header, 2, Address::ZERO);
        let mut b = BlockBuilder::new(LatestState::new(db.read().unwrap(), 0).unwrap(), ctx);
        b.execute(tx.clone(), k.address()).unwrap();
        let built = {
            let txn = db.read().unwrap();
            b.finish(&TrieNodes::new(&txn).unwrap(), g.block.header.state_root).unwrap()
        };
        db.commit_block_with_records(&built, &[("certificates", 1, b"cert-1")]).unwrap();
        // Inclusion removes the transaction from the stored pool in the same commit.
        assert!(db.pool_load().unwrap().is_empty());
        (g.block.hash(), built.block.hash(), *tx.tx_hash())
    };
    // Everything is still there after reopening the file.
    let db = Database::open(&path).unwrap();
    assert_eq!(db.head_number().unwrap(), Some(1));
    assert_eq!(db.record("certificates", 1).unwrap().as_deref(), Some(&b"cert-1"[..]), "committed with its block");
    assert_eq!(db.block(0).unwrap().unwrap().hash(), genesis_hash);
    let block = db.block(1).unwrap().unwrap();
    assert_eq!(block.hash(), block_hash);
    assert_eq!(block.senders, vec![k.address()]);
    assert_eq!(db.block_number(&block_hash).unwrap(), Some(1));
    assert_eq!(db.receipts(1).unwrap().unwrap().len(), 1);
    let loc = db.tx_location(&tx_hash).unwrap().unwrap();
    assert_eq!((loc.block, loc.index), (1, 0));
    // The flat latest state and the tree under the block's root agree; the old root still reads old values.
    let latest = LatestState::new(db.read().unwrap(), 1).unwrap();
    let hist = HistoricalState::new(db.read().unwrap(), 1, block.header.state_root).unwrap();
    let old = HistoricalState::new(db.read().unwrap(), 0, db.header(0).unwrap().unwrap().state_root).unwrap();
    for a in [k.address(), to] {
        assert_eq!(latest.account(&a).unwrap(), hist.account(&a).unwrap());
    }
    assert_eq!(latest.account(&to).unwrap().unwrap().balance, U256::from(5));
    assert_eq!(old.account(&to).unwrap(), None);
    assert_eq!(db.latest_account(&k.address()).unwrap().unwrap().nonce, 1);
    // Executing on top of block 1, BLOCKHASH sees blocks 0 and 1 but not the block being built.
    assert_eq!(latest.block_hash(0).unwrap(), genesis_hash);
    assert_eq!(latest.block_hash(1).unwrap(), block_hash);
    assert_eq!(latest.block_hash(2).unwrap(), B256::ZERO);
}

#[test]
fn pool_rows_survive_and_can_be_removed() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("db.redb");
    let k = PrivateKeySigner::random();
    let txs: Vec<TxEnvelope> = (0..3).map(|n| signed(&k, n, Address::ZERO)).collect();
    {
        let db = Database::open(&path).unwrap();
        let rows: Vec<_> = txs.iter().map(|t| (*t.tx_hash(), k.address(), t.encoded_2718())).collect();
        db.pool_insert(&rows).unwrap();
        db.pool_remove(&[*txs[1].tx_hash()]).unwrap();
    }
    let db = Database::open(&path).unwrap();
    let mut loaded = db.pool_load().unwrap();
    loaded.sort();
    let mut want: Vec<_> = [&txs[0], &txs[2]].iter().map(|t| (k.address(), t.encoded_2718())).collect();
    want.sort();
    assert_eq!(loaded, want);
}

#[test]
fn pool_update_inserts_then_removes_in_one_commit() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("db.redb");
    let k = PrivateKeySigner::random();
    let txs: Vec<TxEnvelope> = (0..3).map(|n| signed(&k, n, Address::ZERO)).collect();
    let row = |t: &TxEnvelope| (*t.tx_hash(), k.address(), t.encoded_2718());
    {
        let db = Database::open(&path).unwrap();
        db.pool_insert(&[row(&txs[0])]).unwrap();
        // txs[2] is inserted and removed by the same update (replaced within one admission batch).
        db.pool_update(&[row(&txs[1]), row(&txs[2])], &[*txs[0].tx_hash(), *txs[2].tx_hash()]).unwrap();
    }
    let loaded = Database::open(&path).unwrap().pool_load().unwrap();
    assert_eq!(loaded, vec![(k.address(), txs[1].encoded_2718())]);
}

#[test]
fn records_replace_and_drop_after() {
    let dir = tempfile::tempdir().unwrap();
    let db = Database::open(&dir.path().join("db.redb")).unwrap();
    assert_eq!(db.last_record("batches").unwrap(), None);
    for i in 1..=4u64 {
        db.put_record("batches", i, &[i as u8]).unwrap();
    }
    db.put_record("batches", 2, b"again").unwrap();
    assert_eq!(db.record("batches", 2).unwrap().as_deref(), Some(&b"again"[..]));
    db.drop_records_after("batches", 2).unwrap();
    assert_eq!(db.last_record("batches").unwrap(), Some((2, b"again".to_vec())));
    assert_eq!(db.record("batches", 3).unwrap(), None);
    assert_eq!(db.record("batches", 1).unwrap(), Some(vec![1]));
    // Tables are independent, and one never written reads as empty.
    db.put_record("games", 3, b"game").unwrap();
    db.drop_records_after("batches", 0).unwrap();
    assert_eq!(db.last_record("batches").unwrap(), None);
    assert_eq!(db.record("games", 3).unwrap().as_deref(), Some(&b"game"[..]));
    assert_eq!(db.last_record("never-written").unwrap(), None);
}
