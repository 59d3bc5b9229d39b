//! Polled filters, as ethers, web3.py and viem's `watch*` without WebSockets use them: `eth_newFilter`,
//! `eth_newBlockFilter`, `eth_newPendingTransactionFilter` install one, `eth_getFilterChanges` returns
//! what happened since the last poll, `eth_uninstallFilter` removes it, and a filter nobody polled for
//! [`FILTER_TIMEOUT`] is dropped (geth's rule), so abandoned filters cannot pile up.
use alloy_primitives::{keccak256, U128};
use alloy_rpc_types_eth::Filter;
use parking_lot::Mutex;
use std::{
    collections::HashMap,
    sync::atomic::{AtomicU64, Ordering},
    time::{Duration, Instant},
};

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
    /// Pool transactions that arrived after arrival number `after`.
    PendingTxs { after: u64 },
}

struct Entry {
    kind: Kind,
    polled: Instant,
}

/// The installed filters of one RPC server.
#[derive(Default)]
pub(crate) struct Filters {
    map: Mutex<HashMap<U128, Entry>>,
    counter: AtomicU64,
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
}
