//! The producer co-signer: one of the N staked producers of a hybrid Rollup, in a process of its own.
//! Its node derives the chain from L1 (like a full node); the sequencer asks it, over JSON-RPC
//! (`mosaic_attestBatch(header, data)`), to attest the next batch before committing it. It signs only
//! what it has checked itself: the batch must start where the L1's chain ends (its own derived head and
//! state root), and re-executing the batch data on its own state, with the L1 deposits the batch claims
//! to consume, must give exactly the header's post-state root, withdrawals root, last block, last block
//! hash and queue cursor. Then it signs the batch's public-inputs hash (EIP-191), the attestation
//! `Rollup.commitAttestedBatch` checks. A producer that attests a false batch loses its stake, so a
//! refusal is the safe answer to anything it cannot check.
//!
//! A member of a sequencer set co-signs differently ([`Check::Decided`]): its chain holds only blocks
//! the set decided, each stored with its commit certificate, so it signs a batch exactly when the batch
//! is its own blocks `first..=last` as it would encode them itself — no re-execution, and never a block
//! the set did not decide.
use alloy::{primitives::U256, signers::SignerSync};
use alloy_primitives::{keccak256, Address, Bytes};
use alloy_signer_local::PrivateKeySigner;
use jsonrpsee::{types::ErrorObjectOwned, Methods, RpcModule};
use mosaic_node::{ChainReader, Node, NodeError};
use mosaic_primitives::{L1Cursor, L1Message};
pub use mosaic_rollup::cosign::{Attestation, WireHeader, ATTEST_METHOD};
use mosaic_rollup::{
    contracts::{Bridge, Rollup},
    watcher::DepositScanner,
    L1Client, L1Contracts, L1Error,
};
use std::sync::Arc;
use tokio::sync::Mutex;
use tracing::{info, warn};

/// JSON-RPC error code of a refusal (the batch is not what its data produces, or is malformed).
pub const REFUSED: i32 = -32010;
/// JSON-RPC error code of "not yet": this co-signer has not derived the chain up to the batch's parent.
pub const NOT_SYNCED: i32 = -32011;

/// Why an attestation is not given.
#[derive(Debug, thiserror::Error)]
pub enum AttestError {
    /// The batch is false or malformed: never signed.
    #[error("refused: {0}")]
    Refused(String),
    /// The co-signer's chain is not at the batch's parent yet (ask again).
    #[error("not synced: {0}")]
    NotSynced(String),
    /// The L1 could not be read (ask again).
    #[error(transparent)]
    L1(#[from] L1Error),
    /// The node's database failed.
    #[error(transparent)]
    Node(#[from] NodeError),
}

impl From<alloy::contract::Error> for AttestError {
    fn from(e: alloy::contract::Error) -> Self {
        Self::L1(e.into())
    }
}

impl From<mosaic_node::BlockingError> for AttestError {
    fn from(e: mosaic_node::BlockingError) -> Self {
        Self::Node(e.into())
    }
}

impl From<alloy::transports::TransportError> for AttestError {
    fn from(e: alloy::transports::TransportError) -> Self {
        Self::L1(e.into())
    }
}

/// How a co-signer convinces itself that a batch is true before it signs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Check {
    /// Re-execute the batch's data on the state this node derived from L1 (a producer's co-signer).
    Reexecute,
    /// Compare the batch with this node's own blocks, which a sequencer set decided: the last block
    /// must have its commit certificate in the named records table.
    Decided {
        /// The node's table of commit certificates, keyed by block number.
        certificates: &'static str,
    },
}

/// How long a set member waits for a batch's last block to be decided here before it answers
/// [`NOT_SYNCED`]: members decide together, one of them may be a block behind the poster.
const DECIDED_WAIT: std::time::Duration = std::time::Duration::from_secs(3);

/// The co-signer service of one producer key.
pub struct Attester {
    check: Check,
    node: Node,
    l1: L1Client,
    bridge: Bridge::BridgeInstance<alloy::providers::DynProvider>,
    rollup: Rollup::RollupInstance<alloy::providers::DynProvider>,
    key: PrivateKeySigner,
    /// The bridge's deposit queue as far as scanned (index = position).
    queue: Mutex<(DepositScanner, Vec<L1Message>)>,
}

impl Attester {
    /// A co-signer signing with `key`, checking batches against `node` (which derives from `l1`).
    pub fn new(node: Node, l1: L1Client, contracts: &L1Contracts, key: PrivateKeySigner) -> Arc<Self> {
        Self::with_check(Check::Reexecute, node, l1, contracts, key)
    }

    /// A co-signer that convinces itself of each batch as `check` says.
    pub fn with_check(
        check: Check,
        node: Node,
        l1: L1Client,
        contracts: &L1Contracts,
        key: PrivateKeySigner,
    ) -> Arc<Self> {
        let bridge = Bridge::new(contracts.bridge, l1.provider().clone());
        let rollup = Rollup::new(contracts.rollup, l1.provider().clone());
        let scanner = DepositScanner::new(&l1, contracts);
        Arc::new(Self { check, node, l1, bridge, rollup, key, queue: Mutex::new((scanner, Vec::new())) })
    }

    /// The producer address it signs as.
    pub fn address(&self) -> Address {
        self.key.address()
    }

    /// The deposits `from..to` of the bridge queue (scanning the L1 up to its latest block as needed).
    async fn messages(&self, from: u64, to: u64) -> Result<Vec<L1Message>, AttestError> {
        let mut guard = self.queue.lock().await;
        let (scanner, queue) = &mut *guard;
        if (queue.len() as u64) < to {
            let latest = alloy::providers::Provider::get_block_number(self.l1.provider()).await?;
            for m in scanner.next(latest).await? {
                if m.index as usize == queue.len() {
                    queue.push(m);
                }
            }
        }
        queue.get(from as usize..to as usize).map(<[L1Message]>::to_vec).ok_or_else(|| {
            AttestError::Refused(format!(
                "the batch consumes deposits up to {to}, the bridge queue has {}",
                queue.len()
            ))
        })
    }

    /// Checks batch `header` with `data` as described in the crate docs and signs it.
    pub async fn attest(&self, header: Rollup::BatchHeader, data: Bytes) -> Result<Attestation, AttestError> {
        match self.check {
            Check::Reexecute => self.attest_reexecuted(header, data).await,
            Check::Decided { certificates } => self.attest_decided(header, data, certificates).await,
        }
    }

    /// [`Check::Decided`]: the batch must be the next on L1 and exactly this node's decided blocks.
    async fn attest_decided(
        &self,
        header: Rollup::BatchHeader,
        data: Bytes,
        certificates: &'static str,
    ) -> Result<Attestation, AttestError> {
        let (index, first, last) = (header.index, header.firstBlock, header.lastBlock);
        let committed = self.rollup.lastCommittedBatch().call().await?;
        if index != committed + 1 {
            return Err(AttestError::Refused(format!("batch {index} is not the next one (the L1 has {committed})")));
        }
        if first == 0 || last < first {
            return Err(AttestError::Refused(format!("blocks {first}..={last} are not a batch")));
        }
        let variant = data
            .first()
            .and_then(|b| mosaic_batch::Variant::from_byte(*b))
            .ok_or_else(|| AttestError::Refused("the batch data has no known format byte".into()))?;
        // Subscribed before the head is read, so no block decided in between is missed.
        let mut decided = self.node.subscribe();
        let _ = tokio::time::timeout(DECIDED_WAIT, async {
            while self.node.head_number() < last {
                if let Err(tokio::sync::broadcast::error::RecvError::Closed) = decided.recv().await {
                    return;
                }
            }
        })
        .await;
        if self.node.head_number() < last {
            return Err(AttestError::NotSynced(format!(
                "this member has decided up to block {}, the batch ends at {last}",
                self.node.head_number()
            )));
        }
        let node = self.node.clone();
        let (ours, prev_block_hash) = node
            .blocking(move |n| -> Result<_, AttestError> {
                if n.records(certificates).get(last)?.is_none() {
                    return Err(AttestError::Refused(format!(
                        "block {last} has no commit certificate of the sequencer set here"
                    )));
                }
                use mosaic_rollup::producer::{blocks_on, prepare_batch, ProducerError};
                let blocks = blocks_on(n, first, last, header.prevStateRoot).map_err(|e| match e {
                    ProducerError::Node(e) => AttestError::Node(e),
                    ProducerError::Diverged { block, l1, local } => AttestError::Refused(format!(
                        "the batch starts from state root {l1}, block {block} has {local}"
                    )),
                    other => AttestError::Refused(other.to_string()),
                })?;
                let ours = prepare_batch(n, index, header.prevStateRoot, &blocks, variant)
                    .map_err(|e| AttestError::Refused(format!("encoding blocks {first}..={last}: {e}")))?;
                Ok((ours, blocks[0].header.parent_hash))
            })
            .await??;
        if WireHeader::from(&ours.header) != WireHeader::from(&header) || ours.data != data {
            warn!(index, first, last, "refusing to attest: the batch is not the blocks this member decided");
            return Err(AttestError::Refused(format!(
                "the batch is not blocks {first}..={last} as the sequencer set decided them (decided post-state root {}, \
                 last block hash {})",
                ours.header.postStateRoot, ours.header.lastBlockHash
            )));
        }
        let l1_messages_hash = self.bridge.rollingHash(U256::from(header.l1MessageCursor)).call().await?;
        let journal = mosaic_rollup::producer::batch_journal(
            &self.node.config().chain,
            &header,
            &data,
            prev_block_hash,
            l1_messages_hash,
        );
        self.sign(index, journal.hash())
    }

    /// Signs the public-inputs hash of batch `index`.
    fn sign(&self, index: u64, inputs: alloy_primitives::B256) -> Result<Attestation, AttestError> {
        let sig = self.key.sign_message_sync(inputs.as_slice()).map_err(|e| AttestError::Refused(e.to_string()))?;
        info!(index, producer = %self.address(), inputs = %inputs, "batch attested");
        Ok(Attestation {
            producer: self.address(),
            signature: sig.as_bytes().to_vec().into(),
            public_inputs_hash: inputs,
        })
    }

    /// [`Check::Reexecute`].
    async fn attest_reexecuted(&self, header: Rollup::BatchHeader, data: Bytes) -> Result<Attestation, AttestError> {
        let index = header.index;
        let committed = self.rollup.lastCommittedBatch().call().await?;
        if index != committed + 1 {
            return Err(AttestError::Refused(format!("batch {index} is not the next one (the L1 has {committed})")));
        }
        let head = self.node.head_number();
        if header.firstBlock == 0 || head + 1 != header.firstBlock {
            return Err(AttestError::NotSynced(format!(
                "this node's chain is at block {head}, the batch starts at {}",
                header.firstBlock
            )));
        }
        let parent_number = header.firstBlock - 1;
        let node = self.node.clone();
        let parent = node
            .blocking(move |n| n.header(parent_number))
            .await??
            .ok_or_else(|| AttestError::Node(NodeError::Inconsistent(format!("missing header {parent_number}"))))?;
        if parent.state_root != header.prevStateRoot {
            return Err(AttestError::Refused(format!(
                "the batch starts from state root {}, block {parent_number} has {}",
                header.prevStateRoot, parent.state_root
            )));
        }
        let cursor = L1Cursor::from_extra_data(&parent.extra_data).unwrap_or_default();
        if header.l1MessageCursor < cursor.next_index {
            return Err(AttestError::Refused("the batch moves the L1 queue cursor backwards".into()));
        }
        let messages = self.messages(cursor.next_index, header.l1MessageCursor).await?;
        let l1_messages_hash = self.bridge.rollingHash(U256::from(header.l1MessageCursor)).call().await?;
        // Re-execution on the blocking pool: the batch's blocks built over this node's state, not written.
        let (node, data_) = (self.node.clone(), data.clone());
        let executed = node
            .blocking(move |n| -> Result<_, AttestError> {
                let tree = n.state_tree(parent_number)?;
                let recorder = mosaic_witness::Recorder::new(tree);
                recorder
                    .build(&n.config().chain, &parent, &data_, &messages, &[])
                    .map(|(_, executed)| executed)
                    .map_err(|e| AttestError::Refused(format!("the batch does not execute: {e}")))
            })
            .await??;
        let j = executed.journal;
        let claims = [
            ("post-state root", j.post_state_root == header.postStateRoot),
            ("withdrawals root", j.withdrawals_root == header.withdrawalsRoot),
            ("last block hash", j.last_block_hash == header.lastBlockHash),
            ("last block", j.last_block == header.lastBlock),
            ("L1 queue cursor", j.l1_message_cursor == header.l1MessageCursor),
            ("L1 messages hash", j.l1_messages_hash == l1_messages_hash),
        ];
        let wrong: Vec<&str> = claims.iter().filter(|(_, ok)| !ok).map(|(what, _)| *what).collect();
        if !wrong.is_empty() {
            warn!(index, claimed = %header.postStateRoot, computed = %j.post_state_root,
                "refusing to attest: the batch claims what its data does not produce");
            return Err(AttestError::Refused(format!(
                "the batch's {} differ from what its data produces (computed post-state root {})",
                wrong.join(", "),
                j.post_state_root
            )));
        }
        debug_assert_eq!(j.batch_data_hash, keccak256(&data));
        self.sign(index, j.hash())
    }

    /// `mosaic_attestBatch(header, data)` → [`Attestation`]; refusals are [`REFUSED`], "ask again later"
    /// [`NOT_SYNCED`] (or -32603 for an L1 or database failure).
    pub fn rpc_methods(self: &Arc<Self>) -> Methods {
        let mut m = RpcModule::new(self.clone());
        m.register_async_method(ATTEST_METHOD, |p, me, _| async move {
            let (header, data): (WireHeader, Bytes) = p.parse()?;
            me.attest(header.into(), data).await.map_err(|e| {
                let code = match &e {
                    AttestError::Refused(_) => REFUSED,
                    AttestError::NotSynced(_) => NOT_SYNCED,
                    _ => jsonrpsee::types::error::INTERNAL_ERROR_CODE,
                };
                ErrorObjectOwned::owned(code, e.to_string(), None::<()>)
            })
        })
        .expect("unique method");
        m.into()
    }
}

#[cfg(test)]
mod tests;
