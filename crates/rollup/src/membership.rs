//! The sequencer set as the Rollup on L1 schedules it: `MembershipScheduled` logs read at confirmed
//! depth, and the owner's `scheduleMember`.
use crate::{
    contracts::{L1Contracts, Rollup},
    l1::{L1Client, L1Error},
};
use alloy::providers::Provider;
use alloy_primitives::Address;
use std::time::{SystemTime, UNIX_EPOCH};

/// Most L1 blocks one log query spans (public endpoints cap ranges).
const LOG_RANGE: u64 = 5_000;

/// How many L1 blocks behind the confirmed one are read again at every poll, so that a change an L1
/// reorg moved or dropped is corrected (Ethereum finalizes in two epochs, 64 blocks). A change must
/// still never be used before it is final: the Rollup's switch delay must exceed the L1's reorg depth.
const REREAD_BLOCKS: u64 = 64;

/// How far behind this machine's clock an L1 block's timestamp may be: a transaction not yet in a block
/// lands in one stamped no earlier than now minus this (Ethereum's slot, with margin).
const L1_CLOCK_SLACK_SECS: u64 = 15;

/// One scheduled change of the set: `member` in (`active`) or out from `effective_at` (L1 seconds; 0
/// for the set named at deployment).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Scheduled {
    /// The member.
    pub member: Address,
    /// In or out.
    pub active: bool,
    /// From when.
    pub effective_at: u64,
}

/// What the L1 says of the set so far.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Membership {
    /// Every change scheduled, in order.
    pub changes: Vec<Scheduled>,
    /// L1 time up to which every change scheduled is in `changes`.
    pub l1_time: u64,
    /// Seconds between scheduling a change and its effect (the Rollup's `switchDelay`).
    pub delay: u64,
}

/// Reads the Rollup's membership changes in order, remembering how far it got.
#[derive(Debug)]
pub struct MembershipScanner {
    rollup: Rollup::RollupInstance<alloy::providers::DynProvider>,
    /// The block before the deployment: nothing older is read.
    start: u64,
    scanned: u64,
    /// The changes read, each with its L1 block.
    changes: Vec<(u64, Scheduled)>,
    delay: Option<u64>,
}

impl MembershipScanner {
    /// Starts at the block the contracts were deployed in.
    pub fn new(l1: &L1Client, contracts: &L1Contracts) -> Self {
        Self {
            rollup: Rollup::new(contracts.rollup, l1.provider().clone()),
            start: contracts.deployed_at.saturating_sub(1),
            scanned: contracts.deployed_at.saturating_sub(1),
            changes: Vec::new(),
            delay: None,
        }
    }

    /// Reads the changes scheduled since the last call, up to `l1`'s confirmed block, and returns all
    /// of them with the L1 time they are known up to: the confirmed block's timestamp, or with no
    /// confirmations (an L1 that does not reorg) at least this machine's time less
    /// [`L1_CLOCK_SLACK_SECS`], since a change not yet mined will be stamped later than that.
    pub async fn poll(&mut self, l1: &L1Client) -> Result<Membership, L1Error> {
        let delay = match self.delay {
            Some(d) => d,
            None => *self.delay.insert(self.rollup.switchDelay().call().await?),
        };
        // Before the L1 is read: a change mined after this instant is stamped no earlier than it.
        let now = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or_default();
        let safe = l1.safe_block().await?;
        // The last blocks again, dropping what was read from them (a reorg may have moved it).
        let reread = self.scanned.min(safe).saturating_sub(REREAD_BLOCKS).max(self.start);
        self.changes.retain(|(block, _)| *block <= reread);
        self.scanned = reread;
        let block = l1
            .provider()
            .get_block_by_number(safe.into())
            .await?
            .ok_or_else(|| L1Error::Rpc(format!("the L1 has no block {safe}")))?;
        while self.scanned < safe {
            let to = safe.min(self.scanned + LOG_RANGE);
            let logs =
                self.rollup.MembershipScheduled_filter().from_block(self.scanned + 1).to_block(to).query().await?;
            for (ev, log) in logs {
                let block = log.block_number.unwrap_or(to);
                self.changes
                    .push((block, Scheduled { member: ev.member, active: ev.active, effective_at: ev.effectiveAt }));
            }
            self.scanned = to;
        }
        let mut l1_time = block.header.timestamp;
        if l1.confirmations == 0 {
            l1_time = l1_time.max(now.saturating_sub(L1_CLOCK_SLACK_SECS));
        }
        Ok(Membership { changes: self.changes.iter().map(|(_, c)| *c).collect(), l1_time, delay })
    }
}

/// Schedules `member` in (`active`) or out of the Rollup's sequencer set from `l1`'s account (the
/// owner's); returns the L1 time the change takes effect.
pub async fn schedule_member(
    l1: &L1Client,
    contracts: &L1Contracts,
    member: Address,
    active: bool,
) -> Result<u64, L1Error> {
    let rollup = Rollup::new(contracts.rollup, l1.provider().clone());
    let call = rollup.scheduleMember(member, active);
    // Ask first, so that a refusal comes back with the Rollup's reason rather than as a reverted send.
    if let Err(e) = call.call().await {
        use Rollup::RollupErrors as E;
        let why = match e.as_decoded_interface_error::<E>() {
            Some(E::MembershipPending(p)) => {
                format!("a change of {} is pending until L1 time {}", p.member, p.effectiveAt)
            }
            Some(E::MembershipUnchanged(u)) => {
                format!(
                    "{} is already {}",
                    u.member,
                    if u.active { "in the set (or scheduled in)" } else { "out of the set" }
                )
            }
            Some(E::EmptySet(_)) => "the set would be left without members".into(),
            Some(E::NoSequencerSet(_)) => {
                "this Rollup names no sequencer set (deploy-l1 --sequencer-set names one)".into()
            }
            Some(E::NotOwner(_)) => format!("{} is not the Rollup's owner", l1.address()),
            Some(other) => format!("{other:?}"),
            None => e.to_string(),
        };
        return Err(L1Error::Config(format!("scheduleMember refused: {why}")));
    }
    let receipt = l1.confirm(call.send().await?).await?;
    receipt
        .inner
        .logs()
        .iter()
        .find_map(|log| log.log_decode::<Rollup::MembershipScheduled>().ok())
        .map(|ev| ev.inner.data.effectiveAt)
        .ok_or_else(|| L1Error::Rpc("scheduleMember left no MembershipScheduled event".into()))
}

/// The members the Rollup counts now, in the order it named them (empty: it names no set).
pub async fn active_set(l1: &L1Client, contracts: &L1Contracts) -> Result<Vec<Address>, L1Error> {
    Ok(Rollup::new(contracts.rollup, l1.provider().clone()).activeSet().call().await?)
}
