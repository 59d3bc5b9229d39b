//! The transaction pool.
//!
//! Transactions wait in one nonce-ordered queue per sender: a nonce ahead of the sender's state nonce
//! waits until the gap closes, a second transaction with the same nonce replaces the first only with a
//! fee bump, and block building takes ready transactions best-tip-first while keeping each sender's
//! nonce order. The pool holds no state of its own beyond the queues: callers pass state nonces in.
use alloy_consensus::{Transaction, TxEnvelope};
use alloy_primitives::{Address, B256, U256};
use std::{
    cmp::Ordering,
    collections::{BTreeMap, BinaryHeap, HashMap, HashSet},
    sync::Arc,
};

/// A validated, signature-recovered transaction waiting for inclusion.
#[derive(Debug, Clone)]
pub struct PoolTx {
    /// Transaction hash.
    pub hash: B256,
    /// Recovered signer.
    pub sender: Address,
    /// The signed transaction.
    pub tx: TxEnvelope,
    /// Arrival order, the tie-breaker between equal tips.
    pub seq: u64,
}

impl PoolTx {
    /// Sender nonce the transaction uses.
    pub fn nonce(&self) -> u64 {
        self.tx.nonce()
    }

    /// Tip the block producer earns per gas at `base_fee` (`None` if the fee cap is below it).
    pub fn effective_tip(&self, base_fee: u64) -> Option<u128> {
        self.tx.effective_tip_per_gas(base_fee)
    }

    /// Most the sender can be charged: `max_fee * gas_limit + value`.
    pub fn max_cost(&self) -> U256 {
        U256::from(self.tx.max_fee_per_gas()) * U256::from(self.tx.gas_limit()) + self.tx.value()
    }
}

/// Pool limits.
#[derive(Debug, Clone)]
pub struct PoolConfig {
    /// Most transactions in the pool.
    pub max_txs: usize,
    /// Most transactions one sender may have waiting.
    pub max_per_sender: usize,
    /// How far ahead of the state nonce a transaction may be.
    pub max_nonce_gap: u64,
    /// Minimum fee increase, percent, for a same-nonce replacement (both fee cap and tip).
    pub price_bump_percent: u128,
}

impl Default for PoolConfig {
    fn default() -> Self {
        Self { max_txs: 200_000, max_per_sender: 16_384, max_nonce_gap: 16_384, price_bump_percent: 10 }
    }
}

/// Why the pool refused a transaction.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PoolError {
    /// The same transaction is already waiting.
    #[error("already known")]
    AlreadyKnown,
    /// The nonce was already used.
    #[error("nonce too low: next nonce {state}, tx nonce {tx}")]
    NonceTooLow {
        /// Transaction nonce.
        tx: u64,
        /// Sender's state nonce.
        state: u64,
    },
    /// A transaction with that nonce waits already and the new one does not pay enough more.
    #[error("replacement transaction underpriced")]
    ReplacementUnderpriced,
    /// The nonce is too far ahead of the sender's state nonce.
    #[error("nonce too high: tx nonce {tx}, at most {max} allowed")]
    NonceGapTooLarge {
        /// Transaction nonce.
        tx: u64,
        /// Largest accepted nonce.
        max: u64,
    },
    /// The pool is full.
    #[error("txpool is full")]
    PoolFull,
    /// The sender has too many waiting transactions.
    #[error("too many pending transactions from sender")]
    SenderFull,
}

/// What happened to an accepted transaction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AddOutcome {
    /// New transaction.
    Added,
    /// It replaced the transaction with this hash.
    Replaced(B256),
}

/// The pool.
#[derive(Debug, Default)]
pub struct Mempool {
    config: PoolConfig,
    by_sender: HashMap<Address, BTreeMap<u64, Arc<PoolTx>>>,
    by_hash: HashMap<B256, Arc<PoolTx>>,
    seq: u64,
}

impl Mempool {
    /// An empty pool with the given limits.
    pub fn new(config: PoolConfig) -> Self {
        Self { config, ..Default::default() }
    }

    /// Number of waiting transactions.
    pub fn len(&self) -> usize {
        self.by_hash.len()
    }

    /// Whether nothing waits.
    pub fn is_empty(&self) -> bool {
        self.by_hash.is_empty()
    }

    /// A waiting transaction by hash.
    pub fn get(&self, hash: &B256) -> Option<Arc<PoolTx>> {
        self.by_hash.get(hash).cloned()
    }

    /// Checks whether `add` would accept a transaction, without changing the pool.
    pub fn check(&self, sender: &Address, tx: &TxEnvelope, hash: &B256, state_nonce: u64) -> Result<(), PoolError> {
        if self.by_hash.contains_key(hash) {
            return Err(PoolError::AlreadyKnown);
        }
        let nonce = tx.nonce();
        if nonce < state_nonce {
            return Err(PoolError::NonceTooLow { tx: nonce, state: state_nonce });
        }
        let max = state_nonce.saturating_add(self.config.max_nonce_gap);
        if nonce > max {
            return Err(PoolError::NonceGapTooLarge { tx: nonce, max });
        }
        let queue = self.by_sender.get(sender);
        if let Some(old) = queue.and_then(|q| q.get(&nonce)) {
            if !self.is_bump(&old.tx, tx) {
                return Err(PoolError::ReplacementUnderpriced);
            }
            return Ok(());
        }
        if queue.is_some_and(|q| q.len() >= self.config.max_per_sender) {
            return Err(PoolError::SenderFull);
        }
        if self.by_hash.len() >= self.config.max_txs {
            return Err(PoolError::PoolFull);
        }
        Ok(())
    }

    fn is_bump(&self, old: &TxEnvelope, new: &TxEnvelope) -> bool {
        let bump = |old: u128| old.saturating_mul(100 + self.config.price_bump_percent).div_ceil(100);
        let old_tip = old.max_priority_fee_per_gas().unwrap_or(old.max_fee_per_gas());
        let new_tip = new.max_priority_fee_per_gas().unwrap_or(new.max_fee_per_gas());
        new.max_fee_per_gas() >= bump(old.max_fee_per_gas()) && new_tip >= bump(old_tip)
    }

    /// Adds a transaction whose sender's state nonce is `state_nonce`.
    pub fn add(&mut self, sender: Address, tx: TxEnvelope, state_nonce: u64) -> Result<AddOutcome, PoolError> {
        let hash = *tx.tx_hash();
        self.check(&sender, &tx, &hash, state_nonce)?;
        self.seq += 1;
        let nonce = tx.nonce();
        let entry = Arc::new(PoolTx { hash, sender, tx, seq: self.seq });
        self.by_hash.insert(hash, entry.clone());
        let replaced = self.by_sender.entry(sender).or_default().insert(nonce, entry);
        Ok(match replaced {
            Some(old) => {
                self.by_hash.remove(&old.hash);
                AddOutcome::Replaced(old.hash)
            }
            None => AddOutcome::Added,
        })
    }

    /// The nonce a sender's next transaction should use, counting its contiguous waiting transactions.
    pub fn pending_nonce(&self, sender: &Address, state_nonce: u64) -> u64 {
        let mut next = state_nonce;
        if let Some(q) = self.by_sender.get(sender) {
            for n in q.range(state_nonce..).map(|(n, _)| *n) {
                if n != next {
                    break;
                }
                next += 1;
            }
        }
        next
    }

    /// Removes transactions by hash (included or found invalid); returns those that were present.
    pub fn remove(&mut self, hashes: &[B256]) -> Vec<Arc<PoolTx>> {
        let mut out = Vec::new();
        for h in hashes {
            if let Some(tx) = self.by_hash.remove(h) {
                if let Some(q) = self.by_sender.get_mut(&tx.sender) {
                    q.remove(&tx.nonce());
                    if q.is_empty() {
                        self.by_sender.remove(&tx.sender);
                    }
                }
                out.push(tx);
            }
        }
        out
    }

    /// Drops a sender's transactions whose nonce is below its new state nonce; returns their hashes.
    pub fn prune_sender(&mut self, sender: &Address, state_nonce: u64) -> Vec<B256> {
        let Some(q) = self.by_sender.get_mut(sender) else { return Vec::new() };
        let keep = q.split_off(&state_nonce);
        let stale: Vec<B256> = q.values().map(|t| t.hash).collect();
        *q = keep;
        if q.is_empty() {
            self.by_sender.remove(sender);
        }
        for h in &stale {
            self.by_hash.remove(h);
        }
        stale
    }

    /// Senders with waiting transactions.
    pub fn senders(&self) -> impl Iterator<Item = &Address> {
        self.by_sender.keys()
    }

    /// Every waiting transaction (for `txpool`-style inspection and persistence checks).
    pub fn all(&self) -> impl Iterator<Item = &Arc<PoolTx>> {
        self.by_hash.values()
    }

    /// Ready transactions, best tip first, each sender in nonce order. `state_nonce` gives each
    /// sender's current nonce; transactions whose fee cap is below `base_fee` are not ready.
    pub fn best(&self, base_fee: u64, mut state_nonce: impl FnMut(&Address) -> u64) -> BestTxs<'_> {
        let mut heap = BinaryHeap::new();
        for (sender, q) in &self.by_sender {
            let n = state_nonce(sender);
            if let Some(tx) = q.get(&n) {
                if let Some(tip) = tx.effective_tip(base_fee) {
                    heap.push(Ranked { tip, seq: tx.seq, tx: tx.clone() });
                }
            }
        }
        BestTxs { pool: self, base_fee, heap, invalid: HashSet::new() }
    }
}

#[derive(Debug)]
struct Ranked {
    tip: u128,
    seq: u64,
    tx: Arc<PoolTx>,
}

impl PartialEq for Ranked {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}
impl Eq for Ranked {}
impl PartialOrd for Ranked {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Ranked {
    // Higher tip first; among equal tips, earlier arrival first.
    fn cmp(&self, other: &Self) -> Ordering {
        self.tip.cmp(&other.tip).then_with(|| other.seq.cmp(&self.seq))
    }
}

/// Iterator over ready transactions for one block.
#[derive(Debug)]
pub struct BestTxs<'a> {
    pool: &'a Mempool,
    base_fee: u64,
    heap: BinaryHeap<Ranked>,
    invalid: HashSet<Address>,
}

impl BestTxs<'_> {
    /// Stops yielding a sender's transactions (its last one could not be included).
    pub fn mark_invalid(&mut self, sender: Address) {
        self.invalid.insert(sender);
    }
}

impl Iterator for BestTxs<'_> {
    type Item = Arc<PoolTx>;

    fn next(&mut self) -> Option<Arc<PoolTx>> {
        loop {
            let Ranked { tx, .. } = self.heap.pop()?;
            if self.invalid.contains(&tx.sender) {
                continue;
            }
            // Queue the sender's next nonce so it competes on its own tip.
            if let Some(next) = self.pool.by_sender.get(&tx.sender).and_then(|q| q.get(&(tx.nonce() + 1))) {
                if let Some(tip) = next.effective_tip(self.base_fee) {
                    self.heap.push(Ranked { tip, seq: next.seq, tx: next.clone() });
                }
            }
            return Some(tx);
        }
    }
}

#[cfg(test)]
mod tests;
