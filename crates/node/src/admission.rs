//! Transaction admission: stateless and stateful checks with geth's error messages, then a durable
//! pool insert. A transaction is acknowledged only after it is on disk, so `kill -9` loses nothing that
//! a client was told about; concurrent submissions share one hop to the blocking pool and one fsync (group commit).
use crate::chain::Node;
use alloy_consensus::{Transaction, TxEnvelope};
use alloy_eips::eip2718::Decodable2718;
use alloy_primitives::{Address, TxKind, B256, U256};
use mosaic_mempool::{AddOutcome, PoolError};
use std::sync::OnceLock;
use tokio::sync::{mpsc, oneshot};
use tracing::warn;

/// Largest init code of a contract creation (EIP-3860).
const MAX_INITCODE_SIZE: usize = 2 * 24_576;
/// Osaka's per-transaction gas cap (EIP-7825).
pub(crate) const TX_GAS_LIMIT_CAP: u64 = 1 << 24;

/// Why a submitted transaction was refused. Messages follow geth's so tools recognise them.
#[derive(Debug, thiserror::Error)]
pub enum SubmitError {
    /// Larger than the configured limit.
    #[error("oversized data: transaction size {size}, limit {max}")]
    Oversized {
        /// Size of the raw transaction.
        size: usize,
        /// Configured limit.
        max: usize,
    },
    /// Not a valid EIP-2718 transaction.
    #[error("transaction could not be decoded: {0}")]
    Decode(String),
    /// Type-3 transactions carry blobs an L2 has no use for.
    #[error("blob transactions (type 3) are not supported")]
    BlobNotSupported,
    /// Legacy transaction without EIP-155 replay protection.
    #[error("only replay-protected (EIP-155) transactions allowed over RPC")]
    Unprotected,
    /// Signed for another chain.
    #[error("invalid chain id: have {have}, want {want}")]
    WrongChainId {
        /// Chain id in the transaction.
        have: u64,
        /// This chain's id.
        want: u64,
    },
    /// The signature does not recover to a sender.
    #[error("invalid sender: {0}")]
    InvalidSignature(String),
    /// Gas limit above the block gas limit.
    #[error("exceeds block gas limit")]
    ExceedsBlockGasLimit,
    /// Gas limit above the per-transaction cap.
    #[error("transaction gas limit too high (cap: {cap}, tx: {have})")]
    GasLimitTooHigh {
        /// Cap.
        cap: u64,
        /// Transaction gas limit.
        have: u64,
    },
    /// Gas limit below the intrinsic cost.
    #[error("intrinsic gas too low: have {have}, want {want}")]
    IntrinsicGasTooLow {
        /// Transaction gas limit.
        have: u64,
        /// Intrinsic gas.
        want: u64,
    },
    /// Contract creation with too much init code.
    #[error("max initcode size exceeded: code size {size}, limit {max}")]
    InitCodeTooLarge {
        /// Init code size.
        size: usize,
        /// Limit.
        max: usize,
    },
    /// Priority fee above the fee cap.
    #[error("max priority fee per gas higher than max fee per gas")]
    TipAboveFeeCap,
    /// Fee cap below the chain's minimum base fee.
    #[error("transaction underpriced: gas fee cap {have} below minimum base fee {min}")]
    Underpriced {
        /// Transaction fee cap.
        have: u128,
        /// Minimum base fee.
        min: u64,
    },
    /// Nonce already used.
    #[error("nonce too low: next nonce {state}, tx nonce {tx}")]
    NonceTooLow {
        /// Transaction nonce.
        tx: u64,
        /// Sender's nonce.
        state: u64,
    },
    /// Balance cannot cover `gas * price + value`.
    #[error("insufficient funds for gas * price + value: balance {balance}, tx cost {cost}, overshot {}", cost - balance)]
    InsufficientFunds {
        /// Sender balance.
        balance: U256,
        /// Maximum cost.
        cost: U256,
    },
    /// It alone needs more proving cycles than a whole block may take, so no block can include it.
    #[error("exceeds block cycle budget: transaction needs {cycles} proving cycles, block budget {budget}")]
    ExceedsBlockCycleBudget {
        /// Estimated zkVM cycles of the transaction alone in a block.
        cycles: u64,
        /// The chain's block cycle budget.
        budget: u64,
    },
    /// The pool refused it.
    #[error(transparent)]
    Pool(#[from] PoolError),
    /// The node failed; the transaction was not accepted.
    #[error("internal error: {0}")]
    Internal(String),
    /// Accepted here but not copied to enough other members of the sequencer set in time: not
    /// acknowledged. It stays pooled; a retry answers "already known" once it is.
    #[error("transaction not replicated: {0}")]
    NotReplicated(String),
}

/// Copies an accepted transaction to other nodes before it is acknowledged (a sequencer set's
/// members), so that losing this node loses nothing a client was told about.
pub trait TxRelay: Send + Sync + 'static {
    /// Hands `raw` to enough other members; an error means it is not replicated.
    fn relay(&self, raw: Vec<u8>) -> std::pin::Pin<Box<dyn std::future::Future<Output = Result<(), String>> + Send>>;
}

/// One submission waiting for the admission batch: the decoded transaction, its recovered sender, its
/// raw bytes and where to send the verdict.
struct AdmitRequest {
    hash: B256,
    sender: Address,
    tx: TxEnvelope,
    raw: Vec<u8>,
    verdict: oneshot::Sender<Result<(), SubmitError>>,
}

/// Largest number of submissions one admission batch takes.
const MAX_ADMIT_BATCH: usize = 8192;

/// Admits concurrent submissions in batches: one hop to the blocking pool reads the senders' accounts,
/// adds the transactions to the pool and writes them durably in one commit (group commit), so the cost
/// of leaving the async runtime and of the fsync is shared by every submission that arrived meanwhile.
pub(crate) struct Admitter {
    tx: mpsc::UnboundedSender<AdmitRequest>,
    rx: parking_lot::Mutex<Option<mpsc::UnboundedReceiver<AdmitRequest>>>,
    started: OnceLock<()>,
}

impl Admitter {
    pub(crate) fn spawn() -> Self {
        let (tx, rx) = mpsc::unbounded_channel();
        Self { tx, rx: parking_lot::Mutex::new(Some(rx)), started: OnceLock::new() }
    }

    /// Starts the admission task for `node` (once).
    pub(crate) fn attach(&self, node: Node) {
        if self.started.set(()).is_err() {
            return;
        }
        let Some(mut rx) = self.rx.lock().take() else { return };
        // Hold only a weak reference: the task must not keep the node alive.
        let weak = std::sync::Arc::downgrade(&node.inner);
        drop(node);
        tokio::spawn(async move {
            while let Some(first) = rx.recv().await {
                let mut batch = vec![first];
                while batch.len() < MAX_ADMIT_BATCH {
                    match rx.try_recv() {
                        Ok(r) => batch.push(r),
                        Err(_) => break,
                    }
                }
                let Some(inner) = weak.upgrade() else { break };
                let node = Node { inner };
                let verdicts = crate::blocking::spawn_blocking(move || node.admit_batch(batch)).await;
                match verdicts {
                    Ok(verdicts) => {
                        for (verdict, result) in verdicts {
                            let _ = verdict.send(result);
                        }
                    }
                    // The batch's senders were moved into the panicked closure; their receivers see the
                    // channel close and report an internal error.
                    Err(e) => warn!(%e, "transaction admission failed"),
                }
            }
        });
    }

    /// Queues a checked transaction for the next batch and waits for its verdict.
    async fn admit(&self, hash: B256, sender: Address, tx: TxEnvelope, raw: Vec<u8>) -> Result<(), SubmitError> {
        let (verdict, done) = oneshot::channel();
        let stopped = || SubmitError::Internal("transaction admission stopped".to_string());
        self.tx.send(AdmitRequest { hash, sender, tx, raw, verdict }).map_err(|_| stopped())?;
        done.await.map_err(|_| stopped())?
    }
}

type Verdicts = Vec<(oneshot::Sender<Result<(), SubmitError>>, Result<(), SubmitError>)>;

impl Node {
    /// Validates a raw signed transaction, stores it durably in the pool and returns its hash.
    ///
    /// Decoding, the stateless checks and signature recovery (bounded CPU work, tens of microseconds)
    /// run on the caller's task; the account reads, the pool insert and the durable write run on the
    /// blocking pool in batches shared with concurrent submissions (see [`Admitter`]).
    /// With a [`TxRelay`] set, the hash is returned only once the relay copied it to other members.
    pub async fn submit_raw(&self, raw: &[u8]) -> Result<B256, SubmitError> {
        let hash = self.admit_raw(raw).await?;
        if let Some(relay) = self.inner.relay.get() {
            relay.relay(raw.to_vec()).await.map_err(SubmitError::NotReplicated)?;
        }
        Ok(hash)
    }

    /// Admits a transaction another member relayed (its client's acknowledgement waits on this copy):
    /// the same checks and durable insert, no relay onwards, and one already here is fine.
    pub async fn submit_relayed(&self, raw: &[u8]) -> Result<B256, SubmitError> {
        match self.admit_raw(raw).await {
            // Known means it decoded: its hash is that of its EIP-2718 bytes, no second decode needed.
            Err(SubmitError::Pool(PoolError::AlreadyKnown)) => Ok(alloy_primitives::keccak256(raw)),
            other => other,
        }
    }

    /// Has transactions copied to other members before [`Node::submit_raw`] acknowledges them; set once.
    pub fn set_tx_relay(&self, relay: std::sync::Arc<dyn TxRelay>) -> bool {
        self.inner.relay.set(relay).is_ok()
    }

    /// Checks and durably pools one transaction.
    async fn admit_raw(&self, raw: &[u8]) -> Result<B256, SubmitError> {
        let max = self.inner.config.max_tx_size;
        if raw.len() > max {
            return Err(SubmitError::Oversized { size: raw.len(), max });
        }
        let tx = TxEnvelope::decode_2718_exact(raw).map_err(|e| SubmitError::Decode(e.to_string()))?;
        let sender = self.check_stateless(&tx)?;
        let hash = *tx.tx_hash();
        self.inner.admitter.admit(hash, sender, tx, raw.to_vec()).await?;
        self.inner.metrics.txs_received.inc();
        self.inner.tx_arrived.notify_one();
        // Nobody listening is fine.
        let _ = self.inner.pending_txs.send(hash);
        Ok(hash)
    }

    /// The stateful checks and pool inserts of one batch, then one durable commit of the accepted
    /// transactions (and the removal of those they replaced); blocking.
    fn admit_batch(&self, batch: Vec<AdmitRequest>) -> Verdicts {
        let mut verdicts = Vec::with_capacity(batch.len());
        let mut rows = Vec::new();
        let mut accepted = Vec::new();
        let mut replaced = Vec::new();
        for AdmitRequest { hash, sender, tx, raw, verdict } in batch {
            match self.check_stateful_and_add(sender, tx) {
                Ok(old) => {
                    replaced.extend(old);
                    rows.push((hash, sender, raw));
                    accepted.push(verdicts.len());
                    verdicts.push((verdict, Ok(())));
                }
                Err(e) => verdicts.push((verdict, Err(e))),
            }
        }
        if rows.is_empty() && replaced.is_empty() {
            return verdicts;
        }
        if let Err(e) = self.inner.db.pool_update(&rows, &replaced) {
            // Nothing of this batch is durable: take it out of the pool again and refuse it.
            warn!(%e, count = rows.len(), "could not persist pool transactions");
            let hashes: Vec<B256> = rows.iter().map(|(h, _, _)| *h).collect();
            let mut pool = self.inner.pool.lock();
            pool.remove(&hashes);
            self.inner.metrics.mempool_size.set(pool.len() as i64);
            drop(pool);
            for i in accepted {
                verdicts[i].1 = Err(SubmitError::Internal(format!("could not persist the transaction: {e}")));
            }
        }
        verdicts
    }

    /// Checks that need no state; returns the recovered sender.
    pub fn check_stateless(&self, tx: &TxEnvelope) -> Result<Address, SubmitError> {
        let chain = &self.inner.config.chain;
        if tx.is_eip4844() {
            return Err(SubmitError::BlobNotSupported);
        }
        match tx.chain_id() {
            None if !self.inner.config.allow_unprotected_txs => return Err(SubmitError::Unprotected),
            None => {}
            Some(have) if have != chain.chain_id => {
                return Err(SubmitError::WrongChainId { have, want: chain.chain_id })
            }
            Some(_) => {}
        }
        if tx.gas_limit() > chain.block_gas_limit {
            return Err(SubmitError::ExceedsBlockGasLimit);
        }
        if tx.gas_limit() > TX_GAS_LIMIT_CAP {
            return Err(SubmitError::GasLimitTooHigh { cap: TX_GAS_LIMIT_CAP, have: tx.gas_limit() });
        }
        if tx.kind().is_create() && tx.input().len() > MAX_INITCODE_SIZE {
            return Err(SubmitError::InitCodeTooLarge { size: tx.input().len(), max: MAX_INITCODE_SIZE });
        }
        if tx.max_priority_fee_per_gas().is_some_and(|tip| tip > tx.max_fee_per_gas()) {
            return Err(SubmitError::TipAboveFeeCap);
        }
        if tx.max_fee_per_gas() < chain.min_base_fee as u128 {
            return Err(SubmitError::Underpriced { have: tx.max_fee_per_gas(), min: chain.min_base_fee });
        }
        let sender = alloy_consensus::transaction::SignerRecoverable::recover_signer(tx)
            .map_err(|e| SubmitError::InvalidSignature(e.to_string()))?;
        let want = mosaic_stf::intrinsic_gas(&mosaic_stf::tx_env(tx, sender));
        if tx.gas_limit() < want {
            return Err(SubmitError::IntrinsicGasTooLow { have: tx.gas_limit(), want });
        }
        Ok(sender)
    }

    /// Refuses a transaction that alone needs more proving cycles than a block may take. Only one that
    /// runs code can: a plain transfer's estimate is fixed and far below any budget, so it is not executed.
    fn check_cycles(&self, sender: Address, tx: &TxEnvelope) -> Result<(), SubmitError> {
        let runs_code = match tx.kind() {
            TxKind::Create => true,
            TxKind::Call(to) => {
                mosaic_primitives::precompile_index(&to).is_some()
                    || self
                        .inner
                        .db
                        .latest_account(&to)
                        .map_err(|e| SubmitError::Internal(e.to_string()))?
                        .is_some_and(|a| a.code_hash != mosaic_stf::revm::primitives::KECCAK_EMPTY)
            }
        };
        if !runs_code {
            return Ok(());
        }
        let ctx = self.next_block_context();
        let state = self.latest_state().map_err(|e| SubmitError::Internal(e.to_string()))?;
        let opts = mosaic_stf::SimulateOptions { disable_nonce_check: true, ..Default::default() };
        let Ok((_, _, usage)) = mosaic_stf::simulate(state, &ctx, mosaic_stf::tx_env(tx, sender), opts) else {
            // What cannot run here is judged when a block is built, like any other execution failure.
            return Ok(());
        };
        let cycles = mosaic_stf::cost::standalone_cycles(&ctx.proving, &usage);
        let budget = ctx.proving.block_cycle_budget;
        if cycles > budget {
            return Err(SubmitError::ExceedsBlockCycleBudget { cycles, budget });
        }
        Ok(())
    }

    /// Checks nonce and balance against the latest state and adds the transaction to the pool;
    /// returns the hash of the transaction it replaced, if any. The caller makes both durable.
    fn check_stateful_and_add(&self, sender: Address, tx: TxEnvelope) -> Result<Option<B256>, SubmitError> {
        let account = self
            .inner
            .db
            .latest_account(&sender)
            .map_err(|e| SubmitError::Internal(e.to_string()))?
            .unwrap_or_default();
        if tx.nonce() < account.nonce {
            return Err(SubmitError::NonceTooLow { tx: tx.nonce(), state: account.nonce });
        }
        let cost = U256::from(tx.max_fee_per_gas()) * U256::from(tx.gas_limit()) + tx.value();
        if account.balance < cost {
            return Err(SubmitError::InsufficientFunds { balance: account.balance, cost });
        }
        self.check_cycles(sender, &tx)?;
        let mut pool = self.inner.pool.lock();
        let outcome = pool.add(sender, tx, account.nonce)?;
        self.inner.metrics.mempool_size.set(pool.len() as i64);
        Ok(match outcome {
            AddOutcome::Replaced(old) => Some(old),
            _ => None,
        })
    }
}

#[cfg(test)]
mod tests;
