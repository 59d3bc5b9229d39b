//! The Rollup's settlement as the L1 says it is — the mode (hybrid, a scheduled switch, zk from some
//! batch) and how far batches are committed and finalized — watched so `mosaic_rollupStatus` can report
//! it without an L1 call per request, and so the node's `safe` and `finalized` block tags follow the L1.
use crate::{
    contracts::{Mode, Rollup},
    l1::Backoff,
    rpc::StatusSection,
    L1Client, L1Contracts, L1Error,
};
use mosaic_node::{L1Finality, Node};
use parking_lot::Mutex;
use serde::Serialize;
use std::{sync::Arc, time::Duration};

/// What the L1 last said.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ModeStatus {
    /// How newly committed batches finalize.
    pub mode: Option<Mode>,
    /// When the scheduled switch to zk takes effect (L1 seconds), if one is scheduled.
    pub zk_switch_at: Option<u64>,
    /// The first zk batch, once the chain is zk.
    pub zk_from_batch: Option<u64>,
    /// The last batch committed on L1.
    pub committed_batch: u64,
    /// The last finalized batch.
    pub finalized_batch: u64,
    /// The last L2 block of the last committed batch (the `safe` tag).
    pub safe_block: u64,
    /// The last L2 block of the last finalized batch (the `finalized` tag).
    pub finalized_block: u64,
}

/// Polls the Rollup's mode and finality.
pub struct SettlementWatch {
    rollup: Rollup::RollupInstance<alloy::providers::DynProvider>,
    status: Arc<Mutex<ModeStatus>>,
    poll: Duration,
    node: Option<Node>,
}

impl SettlementWatch {
    /// A watch of the Rollup of `contracts`.
    pub fn new(l1: &L1Client, contracts: &L1Contracts) -> Self {
        Self {
            rollup: Rollup::new(contracts.rollup, l1.provider().clone()),
            status: Arc::default(),
            poll: l1.poll * 2,
            node: None,
        }
    }

    /// Makes `node`'s `safe` and `finalized` tags follow what this watch reads (from now on they are
    /// genesis until the first read).
    pub fn updating(mut self, node: &Node) -> Self {
        node.follow_l1_finality();
        self.node = Some(node.clone());
        self
    }

    /// Reads the mode and finality once.
    pub async fn read(&self) -> Result<ModeStatus, L1Error> {
        let mode = if self.rollup.mode().call().await? == 0 { Mode::Hybrid } else { Mode::Zk };
        let at = self.rollup.zkSwitchAt().call().await?;
        let from = self.rollup.zkFromBatch().call().await?;
        // Finalized first: a batch finalized between the two reads is then also counted as committed.
        let finalized_batch = self.rollup.lastFinalizedBatch().call().await?;
        let committed_batch = self.rollup.lastCommittedBatch().call().await?.max(finalized_batch);
        let finalized_block = self.rollup.batch(finalized_batch).call().await?.lastBlock;
        let safe_block = self.rollup.batch(committed_batch).call().await?.lastBlock.max(finalized_block);
        Ok(ModeStatus {
            mode: Some(mode),
            zk_switch_at: (at != 0).then_some(at),
            zk_from_batch: (from != 0).then_some(from),
            committed_batch,
            finalized_batch,
            safe_block,
            finalized_block,
        })
    }

    /// What it last read, shared (e.g. for a prover that proves zk batches only).
    pub fn shared(&self) -> Arc<Mutex<ModeStatus>> {
        self.status.clone()
    }

    /// Its section of `mosaic_rollupStatus`.
    pub fn section(&self) -> Arc<dyn StatusSection> {
        Arc::new(Section(self.status.clone()))
    }

    /// Watches forever (L1 errors are retried with backoff).
    pub async fn run(self) -> Result<(), L1Error> {
        let mut backoff = Backoff::default();
        loop {
            match self.read().await {
                Ok(s) => {
                    backoff.reset();
                    if let Some(node) = &self.node {
                        node.set_l1_finality(L1Finality { safe: s.safe_block, finalized: s.finalized_block });
                    }
                    {
                        let mut cur = self.status.lock();
                        if (cur.mode, cur.zk_switch_at, cur.zk_from_batch) != (s.mode, s.zk_switch_at, s.zk_from_batch)
                        {
                            tracing::info!(mode = ?s.mode, zk_switch_at = ?s.zk_switch_at,
                                zk_from_batch = ?s.zk_from_batch, "settlement mode");
                        }
                        *cur = s;
                    }
                    tokio::time::sleep(self.poll).await;
                }
                Err(e) => backoff.fail("mode watch", e.to_string()).await,
            }
        }
    }
}

struct Section(Arc<Mutex<ModeStatus>>);

impl StatusSection for Section {
    fn key(&self) -> &'static str {
        "settlement"
    }

    fn status(&self) -> serde_json::Value {
        serde_json::to_value(&*self.0.lock()).unwrap_or_default()
    }
}

/// Schedules the Rollup's switch from hybrid to zk from the owner's account `l1`; returns when it takes
/// effect (L1 seconds).
pub async fn schedule_zk_switch(l1: &L1Client, contracts: &L1Contracts) -> Result<u64, L1Error> {
    let rollup = Rollup::new(contracts.rollup, l1.provider().clone());
    l1.confirm(rollup.scheduleZkSwitch().send().await?).await?;
    Ok(rollup.zkSwitchAt().call().await?)
}
