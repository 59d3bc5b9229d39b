//! The Rollup's finalization mode as the L1 says it is — hybrid, a scheduled switch, zk from some batch —
//! watched so `mosaic_rollupStatus` can report it without an L1 call per request.
use crate::{
    contracts::{Mode, Rollup},
    l1::Backoff,
    rpc::StatusSection,
    L1Client, L1Contracts, L1Error,
};
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
}

/// Polls the Rollup's mode.
pub struct ModeWatch {
    rollup: Rollup::RollupInstance<alloy::providers::DynProvider>,
    status: Arc<Mutex<ModeStatus>>,
    poll: Duration,
}

impl ModeWatch {
    /// A watch of the Rollup of `contracts`.
    pub fn new(l1: &L1Client, contracts: &L1Contracts) -> Self {
        Self { rollup: Rollup::new(contracts.rollup, l1.provider().clone()), status: Arc::default(), poll: l1.poll * 2 }
    }

    /// Reads the mode once.
    pub async fn read(&self) -> Result<ModeStatus, L1Error> {
        let mode = if self.rollup.mode().call().await? == 0 { Mode::Hybrid } else { Mode::Zk };
        let at = self.rollup.zkSwitchAt().call().await?;
        let from = self.rollup.zkFromBatch().call().await?;
        Ok(ModeStatus {
            mode: Some(mode),
            zk_switch_at: (at != 0).then_some(at),
            zk_from_batch: (from != 0).then_some(from),
        })
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
                    {
                        let mut cur = self.status.lock();
                        if *cur != s {
                            tracing::info!(mode = ?s.mode, zk_switch_at = ?s.zk_switch_at,
                                zk_from_batch = ?s.zk_from_batch, "settlement mode");
                            *cur = s;
                        }
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
