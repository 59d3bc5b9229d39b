use super::*;
use alloy_consensus::{SignableTransaction, TxEip1559};
use alloy_primitives::TxKind;
use alloy_signer::SignerSync;
use alloy_signer_local::PrivateKeySigner;

fn tx(signer: &PrivateKeySigner, nonce: u64, max_fee: u128, tip: u128) -> TxEnvelope {
    let tx = TxEip1559 {
        chain_id: 1,
        nonce,
        gas_limit: 21_000,
        max_fee_per_gas: max_fee,
        max_priority_fee_per_gas: tip,
        to: TxKind::Call(Address::ZERO),
        ..Default::default()
    };
    let sig = signer.sign_hash_sync(&tx.signature_hash()).unwrap();
    tx.into_signed(sig).into()
}

#[test]
fn future_nonces_wait_until_gap_closes() {
    let s = PrivateKeySigner::random();
    let mut pool = Mempool::default();
    pool.add(s.address(), tx(&s, 1, 100, 10), 0).unwrap();
    assert_eq!(pool.best(1, |_| 0).count(), 0, "nonce 1 is not ready while nonce 0 is missing");
    assert_eq!(pool.pending_nonce(&s.address(), 0), 0);
    pool.add(s.address(), tx(&s, 0, 100, 10), 0).unwrap();
    let nonces: Vec<u64> = pool.best(1, |_| 0).map(|t| t.nonce()).collect();
    assert_eq!(nonces, vec![0, 1]);
    assert_eq!(pool.pending_nonce(&s.address(), 0), 2);
}

#[test]
fn replacement_needs_fee_bump() {
    let s = PrivateKeySigner::random();
    let mut pool = Mempool::default();
    let first = tx(&s, 0, 100, 10);
    pool.add(s.address(), first.clone(), 0).unwrap();
    assert_eq!(pool.add(s.address(), first.clone(), 0), Err(PoolError::AlreadyKnown));
    assert_eq!(pool.add(s.address(), tx(&s, 0, 109, 11), 0), Err(PoolError::ReplacementUnderpriced));
    assert_eq!(pool.add(s.address(), tx(&s, 0, 110, 10), 0), Err(PoolError::ReplacementUnderpriced));
    let out = pool.add(s.address(), tx(&s, 0, 110, 11), 0).unwrap();
    assert_eq!(out, AddOutcome::Replaced(*first.tx_hash()));
    assert_eq!(pool.len(), 1);
    assert!(pool.get(first.tx_hash()).is_none());
}

#[test]
fn rejects_low_nonce_and_large_gap() {
    let s = PrivateKeySigner::random();
    let mut pool = Mempool::new(PoolConfig { max_nonce_gap: 5, ..Default::default() });
    assert_eq!(pool.add(s.address(), tx(&s, 2, 100, 1), 3), Err(PoolError::NonceTooLow { tx: 2, state: 3 }));
    assert_eq!(pool.add(s.address(), tx(&s, 9, 100, 1), 3), Err(PoolError::NonceGapTooLarge { tx: 9, max: 8 }));
    assert!(pool.add(s.address(), tx(&s, 8, 100, 1), 3).is_ok());
}

#[test]
fn best_orders_by_tip_and_keeps_nonce_order() {
    let a = PrivateKeySigner::random();
    let b = PrivateKeySigner::random();
    let mut pool = Mempool::default();
    pool.add(a.address(), tx(&a, 0, 100, 1), 0).unwrap();
    pool.add(a.address(), tx(&a, 1, 100, 50), 0).unwrap();
    pool.add(b.address(), tx(&b, 0, 100, 20), 0).unwrap();
    let order: Vec<(Address, u64)> = pool.best(0, |_| 0).map(|t| (t.sender, t.nonce())).collect();
    // b pays more than a's first tx; a's second tx only becomes eligible after its first.
    assert_eq!(order, vec![(b.address(), 0), (a.address(), 0), (a.address(), 1)]);
    // Fee cap below base fee: not ready.
    assert_eq!(pool.best(101, |_| 0).count(), 0);
}

#[test]
fn mark_invalid_skips_sender_and_prune_drops_stale() {
    let a = PrivateKeySigner::random();
    let mut pool = Mempool::default();
    for n in 0..3 {
        pool.add(a.address(), tx(&a, n, 100, 1), 0).unwrap();
    }
    let mut best = pool.best(0, |_| 0);
    let first = best.next().unwrap();
    best.mark_invalid(first.sender);
    assert!(best.next().is_none());
    let stale = pool.prune_sender(&a.address(), 2);
    assert_eq!(stale.len(), 2);
    assert_eq!(pool.len(), 1);
    assert_eq!(pool.remove(&[*tx(&a, 2, 100, 1).tx_hash()]).len(), 1);
    assert!(pool.is_empty());
}

#[test]
fn limits() {
    let a = PrivateKeySigner::random();
    let mut pool = Mempool::new(PoolConfig { max_per_sender: 2, max_txs: 3, ..Default::default() });
    pool.add(a.address(), tx(&a, 0, 100, 1), 0).unwrap();
    pool.add(a.address(), tx(&a, 1, 100, 1), 0).unwrap();
    assert_eq!(pool.add(a.address(), tx(&a, 2, 100, 1), 0), Err(PoolError::SenderFull));
    let b = PrivateKeySigner::random();
    pool.add(b.address(), tx(&b, 0, 100, 1), 0).unwrap();
    let c = PrivateKeySigner::random();
    assert_eq!(pool.add(c.address(), tx(&c, 0, 100, 1), 0), Err(PoolError::PoolFull));
}
