//! Polled filters, as ethers, web3.py and viem's `watch*` without WebSockets use them: `eth_newFilter`,
//! `eth_newBlockFilter`, `eth_newPendingTransactionFilter` install one, `eth_getFilterChanges` returns
//! what happened since the last poll, `eth_uninstallFilter` removes it, and a filter nobody polled for
//! [`FILTER_TIMEOUT`] is dropped (geth's rule), so abandoned filters cannot pile up.
use alloy_primitives::B256;
use alloy_primitives::{keccak256, U128};
use alloy_rpc_types_eth::Filter;
use parking_lot::Mutex;
use std::{
    collections::{HashMap, VecDeque},
    sync::{
        atomic::{AtomicU64, Ordering},
        Arc,
    },
    time::{Duration, Instant},
};
use tokio::sync::broadcast;

/// How long an unpolled filter lives (geth: 5 minutes).
pub(crate) const FILTER_TIMEOUT: Duration = Duration::from_secs(300);
/// Most filters installed at once; beyond it the oldest-polled one makes room.
pub(crate) const MAX_FILTERS: usize = 10_000;

/// What a filter watches, and where its next poll starts.
#[derive(Debug, Clone)]
pub(crate) enum Kind {
    /// New blocks from `next` on.
    Blocks { next: u64 },
    /// Logs matching `filter` in blocks from `next` on.
    Logs { filter: Box<Filter>, next: u64 },
    /// Transactions the pool accepted after entry `after` of the [`PendingLog`] (mined since or not).
    PendingTxs { after: u64 },
}

struct Entry {
    kind: Kind,
    polled: Instant,
}

/// Most transaction hashes the [`PendingLog`] keeps; a filter polled less often than this many
/// admissions misses the oldest ones.
pub(crate) const PENDING_LOG_LEN: usize = 65_536;

/// Every transaction the pool accepted, numbered in arrival order (the newest [`PENDING_LOG_LEN`]): a
/// pending-transaction filter answers from here, so a transaction mined between two polls is still
/// reported, as geth does.
#[derive(Default)]
pub(crate) struct PendingLog {
    /// The newest hashes, oldest first, and the number of the newest (entries are numbered 1, 2, ...
    /// in arrival order, so the front's number follows from the two).
    inner: Mutex<(VecDeque<B256>, u64)>,
    /// The node's admission broadcast. It is drained before every read, so a transaction the node has
    /// acknowledged to a client is in that client's next poll (a background task alone could still be
    /// waiting to run), and periodically ([`PendingLog::drain`]) so the channel does not lag.
    source: Mutex<Option<broadcast::Receiver<B256>>>,
}

impl PendingLog {
    /// Feeds the log from `admitted` (the node's admission broadcast).
    pub(crate) fn feed(&self, admitted: broadcast::Receiver<B256>) {
        *self.source.lock() = Some(admitted);
    }

    /// Moves what the broadcast holds into the log; `false` once the broadcast is closed (or none).
    pub(crate) fn drain(&self) -> bool {
        let mut source = self.source.lock();
        let Some(admitted) = source.as_mut() else { return false };
        loop {
            match admitted.try_recv() {
                Ok(hash) => self.push(hash),
                Err(broadcast::error::TryRecvError::Lagged(_)) => continue,
                Err(broadcast::error::TryRecvError::Empty) => return true,
                Err(broadcast::error::TryRecvError::Closed) => {
                    *source = None;
                    return false;
                }
            }
        }
    }

    /// Records an accepted transaction.
    pub(crate) fn push(&self, hash: B256) {
        let mut inner = self.inner.lock();
        let (entries, last) = &mut *inner;
        if entries.len() == PENDING_LOG_LEN {
            entries.pop_front();
        }
        entries.push_back(hash);
        *last += 1;
    }

    /// Number of the newest entry (0 before the first).
    pub(crate) fn last(&self) -> u64 {
        self.drain();
        self.inner.lock().1
    }

    /// Hashes recorded after entry `after`, and the number of the newest one.
    pub(crate) fn since(&self, after: u64) -> (Vec<B256>, u64) {
        self.drain();
        let inner = self.inner.lock();
        let (entries, last) = &*inner;
        let first = last + 1 - entries.len() as u64;
        let skip = after.saturating_add(1).saturating_sub(first) as usize;
        (entries.iter().skip(skip).copied().collect(), (*last).max(after))
    }
}

/// The installed filters of one RPC server.
#[derive(Default)]
pub(crate) struct Filters {
    map: Mutex<HashMap<U128, Entry>>,
    counter: AtomicU64,
    /// What pending-transaction filters read; fed from the node's admission broadcast.
    pub(crate) pending: Arc<PendingLog>,
}

impl Filters {
    /// Installs `kind`; returns its id (unguessable, so one client cannot poll another's filter dry).
    pub(crate) fn install(&self, kind: Kind, now: Instant) -> U128 {
        let n = self.counter.fetch_add(1, Ordering::Relaxed);
        let salt = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default().as_nanos();
        let digest = keccak256(
            [n.to_be_bytes().as_slice(), &salt.to_be_bytes(), &(self as *const _ as usize).to_be_bytes()].concat(),
        );
        let id = U128::from_be_slice(&digest[..16]);
        let mut map = self.map.lock();
        map.retain(|_, e| now.duration_since(e.polled) < FILTER_TIMEOUT);
        if map.len() >= MAX_FILTERS {
            if let Some(oldest) = map.iter().min_by_key(|(_, e)| e.polled).map(|(id, _)| *id) {
                map.remove(&oldest);
            }
        }
        map.insert(id, Entry { kind, polled: now });
        id
    }

    /// Runs `f` on filter `id` (a poll: it stays alive for another [`FILTER_TIMEOUT`]); `None` if there
    /// is no such filter or it expired.
    pub(crate) fn poll<R>(&self, id: U128, now: Instant, f: impl FnOnce(&mut Kind) -> R) -> Option<R> {
        let mut map = self.map.lock();
        let entry = map.get_mut(&id)?;
        if now.duration_since(entry.polled) >= FILTER_TIMEOUT {
            map.remove(&id);
            return None;
        }
        entry.polled = now;
        Some(f(&mut entry.kind))
    }

    /// Removes filter `id`; whether it existed.
    pub(crate) fn uninstall(&self, id: U128) -> bool {
        self.map.lock().remove(&id).is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters_poll_expire_and_uninstall() {
        let filters = Filters::default();
        let t0 = Instant::now();
        let a = filters.install(Kind::Blocks { next: 5 }, t0);
        let b = filters.install(Kind::PendingTxs { after: 0 }, t0);
        assert_ne!(a, b, "ids are unique");
        // A poll sees and moves the filter's cursor.
        let seen = filters.poll(a, t0 + Duration::from_secs(10), |k| {
            let Kind::Blocks { next } = k else { unreachable!() };
            *next = 9;
            *next
        });
        assert_eq!(seen, Some(9));
        // Polled at 10 s, `a` lives until 310 s; `b`, never polled, expires at 300 s.
        let later = t0 + Duration::from_secs(305);
        assert!(filters.poll(b, later, |_| ()).is_none(), "an unpolled filter expires");
        assert!(filters.poll(a, later, |_| ()).is_some(), "a polled one lives on");
        assert!(filters.uninstall(a));
        assert!(!filters.uninstall(a), "gone");
        assert!(filters.poll(a, later, |_| ()).is_none());
    }

    #[test]
    fn the_pending_log_reads_the_broadcast_before_answering() {
        let (tx, rx) = broadcast::channel(4);
        let log = PendingLog::default();
        log.feed(rx);
        let h = |i: u64| B256::from(alloy_primitives::U256::from(i));
        // Sent, and nothing has drained it yet: the next read still has it.
        tx.send(h(1)).unwrap();
        assert_eq!(log.since(0), (vec![h(1)], 1));
        for i in 2..=7 {
            tx.send(h(i)).unwrap();
        }
        // More than the channel holds between reads: the oldest are lost, the rest kept in order.
        assert_eq!(log.since(1).0, vec![h(4), h(5), h(6), h(7)]);
        assert!(log.drain());
        drop(tx);
        assert!(!log.drain(), "closed");
    }

    #[test]
    fn the_pending_log_reports_each_hash_once_and_forgets_the_oldest() {
        let log = PendingLog::default();
        assert_eq!(log.since(0), (vec![], 0));
        let h = |i: u64| B256::from(alloy_primitives::U256::from(i));
        log.push(h(1));
        log.push(h(2));
        let (seen, last) = log.since(0);
        assert_eq!((seen, last), (vec![h(1), h(2)], 2));
        assert_eq!(log.since(2), (vec![], 2));
        for i in 3..=(PENDING_LOG_LEN as u64 + 2) {
            log.push(h(i));
        }
        let (seen, last) = log.since(0);
        assert_eq!(seen.len(), PENDING_LOG_LEN);
        assert_eq!((seen[0], last), (h(3), PENDING_LOG_LEN as u64 + 2), "the two oldest made room");
    }
}
