//! A connection to the L1: an alloy provider with the node's L1 signer, confirmation depth, and retry
//! with backoff for every request.
use crate::contracts::Rollup;
use alloy::sol_types::SolCall;
use alloy::{
    network::EthereumWallet,
    providers::{DynProvider, PendingTransactionBuilder, Provider, ProviderBuilder},
    rpc::types::TransactionReceipt,
    signers::local::PrivateKeySigner,
};
use alloy_primitives::{Address, B256};
use std::time::Duration;
use tracing::warn;

/// An L1 request or a settlement setting failed.
#[derive(Debug, thiserror::Error)]
pub enum L1Error {
    /// The L1 endpoint answered something unusable (retried by the services).
    #[error("L1 request failed: {0}")]
    Rpc(String),
    /// The L1 endpoint failed or is unreachable (retried by the services).
    #[error("L1 request failed: {0}")]
    Transport(#[from] alloy::transports::TransportError),
    /// A contract call or its decoding failed.
    #[error("L1 contract call failed: {0}")]
    Contract(#[from] alloy::contract::Error),
    /// Waiting for a sent transaction failed.
    #[error("L1 transaction failed: {0}")]
    Pending(#[from] alloy::providers::PendingTransactionError),
    /// A transaction was mined but reverted.
    #[error("L1 transaction {0} reverted")]
    Reverted(alloy_primitives::B256),
    /// A sent transaction is neither on the chain nor in the mempool (dropped, e.g. by a reorg).
    #[error("L1 transaction {0} was dropped")]
    Dropped(alloy_primitives::B256),
    /// Bad configuration (addresses file, flags).
    #[error("{0}")]
    Config(String),
}

/// A signing L1 client.
#[derive(Clone, Debug)]
pub struct L1Client {
    provider: DynProvider,
    address: Address,
    /// Blocks on top of a transaction's block before it counts as final here.
    pub confirmations: u64,
    /// How often to poll the L1.
    pub poll: Duration,
}

impl L1Client {
    /// How long [`L1Client::confirm`] waits before giving the round up (the next round re-reads the L1).
    const CONFIRM_TIMEOUT: Duration = Duration::from_secs(120);

    /// Connects to `url` (HTTP) signing with `signer`.
    pub fn new(url: &str, signer: PrivateKeySigner, confirmations: u64) -> Result<Self, L1Error> {
        let url = url.parse().map_err(|e| L1Error::Config(format!("invalid L1 RPC URL `{url}`: {e}")))?;
        let address = signer.address();
        // Nonces come from the L1 on every send (alloy's default caches them): after a reorg drops a
        // sent transaction, a cached nonce would leave a gap and every later transaction stuck.
        let provider = ProviderBuilder::new()
            .disable_recommended_fillers()
            .with_gas_estimation()
            .with_simple_nonce_management()
            .fetch_chain_id()
            .wallet(EthereumWallet::from(signer))
            .connect_http(url)
            .erased();
        Ok(Self { provider, address, confirmations, poll: Duration::from_millis(500) })
    }

    /// The provider.
    pub fn provider(&self) -> &DynProvider {
        &self.provider
    }

    /// The signing account.
    pub fn address(&self) -> Address {
        self.address
    }

    /// Latest L1 block minus the confirmation depth (what this node treats as settled).
    pub async fn safe_block(&self) -> Result<u64, L1Error> {
        Ok(self.provider.get_block_number().await?.saturating_sub(self.confirmations))
    }

    /// The timestamp of the latest L1 block: the clock the contracts' windows and deadlines run on.
    pub async fn latest_timestamp(&self) -> Result<u64, L1Error> {
        let block = self
            .provider
            .get_block_by_number(alloy::eips::BlockNumberOrTag::Latest)
            .await?
            .ok_or_else(|| L1Error::Rpc("the L1 has no latest block".into()))?;
        Ok(block.header.timestamp)
    }

    /// Sends each of `accounts` whatever it lacks of `amount` wei from this client's account, on a
    /// development L1 (chain id 1337 or 31337) only, and waits for the transfers; returns the accounts
    /// left short (all of those short on any other L1, where nobody should be funded unasked).
    pub async fn top_up(&self, accounts: &[Address], amount: alloy_primitives::U256) -> Result<Vec<Address>, L1Error> {
        use alloy::network::TransactionBuilder;
        let dev = crate::contracts::DEV_L1_CHAIN_IDS.contains(&self.provider.get_chain_id().await?);
        let (mut short, mut pending) = (Vec::new(), Vec::new());
        for a in accounts {
            let balance = self.provider.get_balance(*a).await?;
            if balance >= amount {
                continue;
            }
            if !dev {
                short.push(*a);
                continue;
            }
            let tx = alloy::rpc::types::TransactionRequest::default().with_to(*a).with_value(amount - balance);
            pending.push(self.provider.send_transaction(tx).await?);
        }
        for tx in pending {
            self.confirm(tx).await?;
        }
        Ok(short)
    }

    /// Waits until a sent transaction is mined and `confirmations` deep, returns its receipt, and fails
    /// if it reverted, or if it left the chain and the mempool (an L1 reorg dropped it).
    ///
    /// Polls receipts rather than following alloy's block-filter heartbeat: a filter can miss blocks
    /// across a reorg, while a receipt lookup always answers for the chain as it is now.
    pub async fn confirm(
        &self,
        pending: PendingTransactionBuilder<alloy::network::Ethereum>,
    ) -> Result<TransactionReceipt, L1Error> {
        let hash = *pending.tx_hash();
        let deadline = tokio::time::Instant::now() + Self::CONFIRM_TIMEOUT;
        loop {
            match self.provider.get_transaction_receipt(hash).await? {
                Some(receipt) => {
                    let mined_in = receipt.block_number.unwrap_or_default();
                    if self.provider.get_block_number().await? >= mined_in + self.confirmations {
                        if !receipt.status() {
                            return Err(L1Error::Reverted(hash));
                        }
                        return Ok(receipt);
                    }
                }
                None if self.provider.get_transaction_by_hash(hash).await?.is_none() => {
                    return Err(L1Error::Dropped(hash));
                }
                None => {}
            }
            if tokio::time::Instant::now() > deadline {
                return Err(L1Error::Rpc(format!(
                    "transaction {hash} not confirmed within {:?}",
                    Self::CONFIRM_TIMEOUT
                )));
            }
            tokio::time::sleep(self.poll.min(Duration::from_millis(250))).await;
        }
    }

    /// The calldata of L1 transaction `hash` decoded as a direct `Rollup.commitBatch`,
    /// `commitAttestedBatch` or `commitProvenBatch` call (the fallback proposer's), as the header and
    /// data it commits (the inner `Err` when it is none of them, e.g. a commit sent through another
    /// contract).
    pub async fn commit_call(
        &self,
        hash: B256,
    ) -> Result<Result<Rollup::commitBatchCall, alloy::sol_types::Error>, L1Error> {
        let tx = self
            .provider
            .get_transaction_by_hash(hash)
            .await?
            .ok_or_else(|| L1Error::Rpc(format!("L1 transaction {hash} not found")))?;
        Ok(decode_commit(alloy::consensus::Transaction::input(&tx)))
    }

    /// Whether the account has sent transactions that are not mined yet.
    pub async fn has_pending(&self) -> Result<bool, L1Error> {
        let latest = self.provider.get_transaction_count(self.address).latest().await?;
        let pending = self.provider.get_transaction_count(self.address).pending().await?;
        Ok(pending > latest)
    }
}

/// `input` decoded as a `Rollup.commitBatch`, `commitAttestedBatch` or `commitProvenBatch` call, as the
/// header and data it commits.
pub fn decode_commit(input: &[u8]) -> Result<Rollup::commitBatchCall, alloy::sol_types::Error> {
    Rollup::commitBatchCall::abi_decode(input).or_else(|e| {
        Rollup::commitAttestedBatchCall::abi_decode(input)
            .map(|c| Rollup::commitBatchCall { header: c.header, data: c.data })
            .or_else(|_| {
                Rollup::commitProvenBatchCall::abi_decode(input)
                    .map(|c| Rollup::commitBatchCall { header: c.header, data: c.data })
            })
            .map_err(|_| e)
    })
}

/// Exponential backoff between L1 retries: 0.5 s doubling to 30 s, reset on success.
#[derive(Debug)]
pub struct Backoff {
    next: Duration,
}

impl Default for Backoff {
    fn default() -> Self {
        Self { next: Self::FIRST }
    }
}

impl Backoff {
    const FIRST: Duration = Duration::from_millis(500);
    const MAX: Duration = Duration::from_secs(30);

    /// Logs the failure and sleeps for the current delay, then doubles it.
    pub async fn fail(&mut self, what: &str, err: String) {
        warn!(%err, retry_in_ms = self.next.as_millis() as u64, "{what} failed");
        tokio::time::sleep(self.next).await;
        self.next = (self.next * 2).min(Self::MAX);
    }

    /// Back to the shortest delay.
    pub fn reset(&mut self) {
        self.next = Self::FIRST;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy_primitives::Bytes;

    /// Every way a batch reaches L1 derives: a proposer's, a set member's, and the fallback proposer's
    /// (a full node stopped at the first fallback batch before, calling it malformed).
    #[test]
    fn every_commit_call_decodes_to_its_header_and_data() {
        let header = Rollup::BatchHeader {
            index: 3,
            firstBlock: 9,
            lastBlock: 9,
            l1MessageCursor: 1,
            prevStateRoot: B256::repeat_byte(1),
            postStateRoot: B256::repeat_byte(2),
            withdrawalsRoot: B256::ZERO,
            lastBlockHash: B256::repeat_byte(3),
        };
        let data = Bytes::from_static(b"batch");
        let calls = [
            Rollup::commitBatchCall { header: header.clone(), data: data.clone() }.abi_encode(),
            Rollup::commitAttestedBatchCall { header: header.clone(), data: data.clone(), attestations: Bytes::new() }
                .abi_encode(),
            Rollup::commitProvenBatchCall {
                header: header.clone(),
                data: data.clone(),
                proof: Bytes::from_static(&[7]),
            }
            .abi_encode(),
        ];
        for input in calls {
            let c = decode_commit(&input).expect("a commit");
            assert_eq!((c.header.index, c.header.lastBlock, &c.data), (3, 9, &data));
        }
        assert!(decode_commit(&Rollup::finalizeBatchCall { index: 3 }.abi_encode()).is_err());
    }
}
