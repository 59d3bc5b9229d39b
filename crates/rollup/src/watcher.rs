//! Follows the L1 bridge's queue at confirmed depth: deposits (`DepositQueued` logs) and forced L2
//! transactions (`L2TransactionQueued`).
use crate::{
    contracts::{Bridge, L1Contracts},
    l1::{Backoff, L1Client, L1Error},
    RollupMetrics,
};
use mosaic_node::Node;
use mosaic_primitives::L1Message;
use tracing::info;

/// Most L1 blocks one log query spans (public endpoints cap ranges).
const LOG_RANGE: u64 = 5_000;

/// Reads the bridge queue from L1 in order, remembering how far it got.
#[derive(Debug)]
pub struct DepositScanner {
    bridge: Bridge::BridgeInstance<alloy::providers::DynProvider>,
    /// Last L1 block scanned.
    scanned: u64,
    /// L1 blocks one query spans now: a failed query (forced transactions make logs of up to 128 KiB,
    /// more than some endpoints return at once) quarters it, each success doubles it up to `LOG_RANGE`.
    range: u64,
}

impl DepositScanner {
    /// Starts scanning at the block the contracts were deployed in.
    pub fn new(l1: &L1Client, contracts: &L1Contracts) -> Self {
        Self {
            bridge: Bridge::new(contracts.bridge, l1.provider().clone()),
            scanned: contracts.deployed_at.saturating_sub(1),
            range: LOG_RANGE,
        }
    }

    /// Messages queued in L1 blocks after the last scan, up to `safe_block`, in queue order. A failure
    /// after some ranges were read returns what they held (the scan resumes after them).
    pub async fn next(&mut self, safe_block: u64) -> Result<Vec<L1Message>, L1Error> {
        let mut out = Vec::new();
        while self.scanned < safe_block {
            let (from, to) = (self.scanned + 1, safe_block.min(self.scanned + self.range));
            match self.range_messages(from, to).await {
                Ok(found) => out.extend(found),
                Err(e) => {
                    self.range = (self.range / 4).max(1);
                    if out.is_empty() {
                        return Err(e);
                    }
                    break;
                }
            }
            self.scanned = to;
            self.range = (self.range * 2).min(LOG_RANGE);
        }
        out.sort_by_key(|m| m.index);
        Ok(out)
    }

    async fn range_messages(&self, from: u64, to: u64) -> Result<Vec<L1Message>, L1Error> {
        let index =
            |i: alloy::primitives::U256| u64::try_from(i).map_err(|_| L1Error::Rpc("queue index overflows u64".into()));
        let mut out = Vec::new();
        let deposits = self.bridge.DepositQueued_filter().from_block(from).to_block(to).query().await?;
        for (ev, _) in deposits {
            out.push(L1Message::deposit(index(ev.index)?, ev.token, ev.from, ev.l2Recipient, ev.amount));
        }
        let forced = self.bridge.L2TransactionQueued_filter().from_block(from).to_block(to).query().await?;
        for (ev, _) in forced {
            out.push(L1Message::forced(index(ev.index)?, ev.from, ev.transaction));
        }
        Ok(out)
    }
}

/// Hands every confirmed deposit to the sequencer, forever; L1 failures are retried with backoff, so it
/// never returns (its result type is what the supervisor takes).
pub async fn run_deposit_watcher(
    node: Node,
    l1: L1Client,
    contracts: L1Contracts,
    metrics: RollupMetrics,
) -> Result<(), std::convert::Infallible> {
    let mut scanner = DepositScanner::new(&l1, &contracts);
    let mut backoff = Backoff::default();
    loop {
        let step = async {
            let safe = l1.safe_block().await?;
            let msgs = scanner.next(safe).await?;
            let consumed = node.l1_cursor().next_index;
            let fresh: Vec<L1Message> = msgs.into_iter().filter(|m| m.index >= consumed).collect();
            if !fresh.is_empty() {
                let forced = fresh.iter().filter(|m| m.transaction.is_some()).count();
                info!(count = fresh.len(), forced, first = fresh[0].index, "L1 messages queued for L2");
                metrics.l1_deposits.inc_by(fresh.len() as u64);
                node.enqueue_l1_messages(fresh);
            }
            Ok::<_, L1Error>(())
        };
        match step.await {
            Ok(()) => backoff.reset(),
            Err(e) => {
                metrics.l1_errors.inc();
                backoff.fail("deposit watcher", e.to_string()).await;
                continue;
            }
        }
        tokio::time::sleep(l1.poll).await;
    }
}
