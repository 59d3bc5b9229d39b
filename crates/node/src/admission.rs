//! Transaction admission: stateless and stateful checks with geth's error messages, then a durable
//! pool insert. A transaction is acknowledged only after it is on disk, so `kill -9` loses nothing that
//! a client was told about; concurrent submissions share one fsync (group commit).
use crate::chain::Node;
use alloy_consensus::{Transaction, TxEnvelope};
use alloy_eips::eip2718::Decodable2718;
use alloy_primitives::{Address, B256, U256};
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
    /// The pool refused it.
    #[error(transparent)]
    Pool(#[from] PoolError),
    /// The node failed; the transaction was not accepted.
    #[error("internal error: {0}")]
    Internal(String),
}

type PersistRequest = (B256, Address, Vec<u8>, oneshot::Sender<Result<(), String>>);

/// Batches pool inserts from concurrent submissions into one durable database commit.
pub(crate) struct Persister {
    tx: mpsc::UnboundedSender<PersistRequest>,
    rx: parking_lot::Mutex<Option<mpsc::UnboundedReceiver<PersistRequest>>>,
    started: OnceLock<()>,
}

impl Persister {
    pub(crate) fn spawn() -> Self {
        let (tx, rx) = mpsc::unbounded_channel();
        Self { tx, rx: parking_lot::Mutex::new(Some(rx)), started: OnceLock::new() }
    }

    /// Starts the writer task for `node` (once).
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
                while batch.len() < 8192 {
                    match rx.try_recv() {
                        Ok(r) => batch.push(r),
                        Err(_) => break,
                    }
                }
                let Some(inner) = weak.upgrade() else { break };
                let rows: Vec<(B256, Address, Vec<u8>)> =
                    batch.iter_mut().map(|(h, s, raw, _)| (*h, *s, std::mem::take(raw))).collect();
                let res = tokio::task::spawn_blocking(move || inner.db.pool_insert(&rows).map_err(|e| e.to_string()))
                    .await
                    .unwrap_or_else(|e| Err(e.to_string()));
                for (_, _, _, ack) in batch {
                    let _ = ack.send(res.clone());
                }
            }
        });
    }

    async fn persist(&self, hash: B256, sender: Address, raw: Vec<u8>) -> Result<(), String> {
        let (ack, done) = oneshot::channel();
        self.tx.send((hash, sender, raw, ack)).map_err(|_| "persister stopped".to_string())?;
        done.await.map_err(|_| "persister stopped".to_string())?
    }
}

impl Node {
    /// Validates a raw signed transaction, stores it durably in the pool and returns its hash. Decoding,
    /// signature recovery, the account read and pool bookkeeping run on the blocking pool; the durable
    /// insert goes through the group-commit writer.
    pub async fn submit_raw(&self, raw: &[u8]) -> Result<B256, SubmitError> {
        let max = self.inner.config.max_tx_size;
        if raw.len() > max {
            return Err(SubmitError::Oversized { size: raw.len(), max });
        }
        let node = self.clone();
        let raw = raw.to_vec();
        let (hash, sender, raw) = crate::blocking::spawn_blocking(move || node.admit(raw))
            .await
            .map_err(|e| SubmitError::Internal(e.to_string()))??;
        if let Err(e) = self.inner.persister.persist(hash, sender, raw).await {
            warn!(%hash, %e, "could not persist pool transaction");
            self.inner.pool.lock().remove(&[hash]);
            return Err(SubmitError::Internal(e));
        }
        self.inner.metrics.txs_received.inc();
        self.inner.tx_arrived.notify_one();
        Ok(hash)
    }

    /// Every admission check and the (not yet durable) pool insert; blocking.
    fn admit(&self, raw: Vec<u8>) -> Result<(B256, Address, Vec<u8>), SubmitError> {
        let tx = TxEnvelope::decode_2718_exact(&raw).map_err(|e| SubmitError::Decode(e.to_string()))?;
        let sender = self.check_stateless(&tx)?;
        let hash = *tx.tx_hash();
        self.check_stateful_and_add(sender, tx)?;
        Ok((hash, sender, raw))
    }

    /// Checks that need no state; returns the recovered sender.
    pub fn check_stateless(&self, tx: &TxEnvelope) -> Result<Address, SubmitError> {
        let chain = &self.inner.config.chain;
        if tx.is_eip4844() {
            return Err(SubmitError::BlobNotSupported);
        }
        match tx.chain_id() {
            None => return Err(SubmitError::Unprotected),
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

    fn check_stateful_and_add(&self, sender: Address, tx: TxEnvelope) -> Result<(), SubmitError> {
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
        let mut pool = self.inner.pool.lock();
        let outcome = pool.add(sender, tx, account.nonce)?;
        self.inner.metrics.mempool_size.set(pool.len() as i64);
        drop(pool);
        if let AddOutcome::Replaced(old) = outcome {
            // The replaced transaction must not come back after a restart.
            if let Err(e) = self.inner.db.pool_remove(&[old]) {
                warn!(%old, %e, "could not remove replaced pool transaction");
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests;
