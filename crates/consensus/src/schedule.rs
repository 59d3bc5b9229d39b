//! Who is in the sequencer set at each height, as the Rollup on L1 schedules it.
//!
//! The owner schedules a member in or out on L1 (`Rollup.scheduleMember`); it takes effect
//! `switchDelay` seconds later. The set deciding L2 height `h` is the members active at block `h−1`'s
//! timestamp: a rule of the parent block alone, so every member, and a member syncing old heights,
//! picks the same set. A member that has read L1 up to time `T` knows every change effective up to
//! `T + delay` (a change scheduled later takes effect later), so it waits rather than guess when its
//! L1 view is older than that.
use crate::{Member, SequencerSet};
use alloy_primitives::Address;

/// One scheduled change: `member` is in the set (`active`) or out of it from `effective_at` (Unix
/// seconds, L1 time; 0 for the set named at deployment).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MemberChange {
    /// The member.
    pub member: Address,
    /// In or out.
    pub active: bool,
    /// From when.
    pub effective_at: u64,
}

/// The changes a member knows of, and how far they are known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SetSchedule {
    /// In the order they were scheduled.
    changes: Vec<MemberChange>,
    /// Every change effective up to this time is in `changes` (`None`: L1 not read yet).
    known_until: Option<u64>,
}

impl SetSchedule {
    /// The set file's genesis members forever: a set that no L1 manages.
    pub fn fixed(set: &SequencerSet) -> Self {
        let changes =
            set.initial().map(|m| MemberChange { member: m.address, active: true, effective_at: 0 }).collect();
        Self { changes, known_until: Some(u64::MAX) }
    }

    /// Nothing known yet (before the first read of L1): no height may start.
    pub fn unknown() -> Self {
        Self { changes: Vec::new(), known_until: None }
    }

    /// What L1 says: `changes` in the order they were scheduled, read from L1 blocks up to time
    /// `l1_time`, on a Rollup whose changes take effect `delay` seconds after they are scheduled. A
    /// change not yet read is stamped at `l1_time` or later (the same second, on an L1 whose blocks
    /// may share a timestamp), so every change effective before `l1_time + delay` is known.
    pub fn from_l1(changes: Vec<MemberChange>, l1_time: u64, delay: u64) -> Self {
        Self { changes, known_until: Some(l1_time.saturating_add(delay).saturating_sub(1)) }
    }

    /// Whether every change effective at `time` is known.
    pub fn covers(&self, time: u64) -> bool {
        self.known_until.is_some_and(|t| time <= t)
    }

    /// Whether `address` is in the set at `time`: what the last change effective by then says.
    pub fn is_active(&self, address: &Address, time: u64) -> bool {
        self.changes.iter().rev().find(|c| c.member == *address && c.effective_at <= time).is_some_and(|c| c.active)
    }

    /// The members of `set` in the set at `time`, in the order the schedule first named them (the
    /// genesis members in the file's order, then joiners in the order L1 scheduled them: the proposer
    /// rotation, the same on every member whatever order its file lists candidates in); `None` while
    /// the schedule does not cover `time`. A member L1 names but the file does not is left out (the
    /// caller stops on it: its key is unknown here).
    pub fn members_at<'a>(&self, set: &'a SequencerSet, time: u64) -> Option<Vec<&'a Member>> {
        if !self.covers(time) {
            return None;
        }
        let mut named: Vec<Address> = Vec::new();
        for c in &self.changes {
            if !named.contains(&c.member) {
                named.push(c.member);
            }
        }
        Some(named.iter().filter(|a| self.is_active(a, time)).filter_map(|a| set.member(a)).collect())
    }

    /// Whether L1 names any member at all (a Rollup deployed without a set names none).
    pub fn is_empty(&self) -> bool {
        self.changes.is_empty()
    }

    /// Members L1 names that the set file does not list.
    pub fn unknown_members(&self, set: &SequencerSet) -> Vec<Address> {
        let mut out: Vec<Address> = self.changes.iter().map(|c| c.member).filter(|a| set.member(a).is_none()).collect();
        out.sort();
        out.dedup();
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::set::tests::set_of;

    #[test]
    fn the_set_at_a_time_is_the_last_change_effective_by_then() {
        let mut set = SequencerSet::from_toml(&set_of(5)).unwrap();
        set.members[4].active = false;
        let a: Vec<Address> = set.members.iter().map(|m| m.address).collect();
        let fixed = SetSchedule::fixed(&set);
        assert_eq!(fixed.members_at(&set, u64::MAX).unwrap().len(), 4, "a candidate is out until scheduled in");
        let mut changes: Vec<MemberChange> =
            a[..4].iter().map(|&member| MemberChange { member, active: true, effective_at: 0 }).collect();
        changes.push(MemberChange { member: a[4], active: true, effective_at: 130 });
        changes.push(MemberChange { member: a[0], active: false, effective_at: 130 });
        let s = SetSchedule::from_l1(changes.clone(), 105, 30);
        let names = |t| s.members_at(&set, t).unwrap().iter().map(|m| m.address).collect::<Vec<_>>();
        assert_eq!(names(129), a[..4], "before the switch");
        assert_eq!(names(130), a[1..], "from the switch on, in the order named");
        assert!(s.covers(134) && !s.covers(135), "known up to 30 s past the L1 time read, not including it");
        assert!(s.members_at(&set, 135).is_none(), "no guess beyond what L1 said");
        // Back in later: the last change counts.
        changes.push(MemberChange { member: a[0], active: true, effective_at: 200 });
        let s = SetSchedule::from_l1(changes, 190, 30);
        assert!(!s.is_active(&a[0], 199) && s.is_active(&a[0], 200));
        assert!(s.unknown_members(&set).is_empty());
        // The rotation is the order L1 named members in, not the file's.
        let mut shuffled = set.clone();
        shuffled.members.swap(1, 4);
        assert_eq!(
            s.members_at(&shuffled, 210).unwrap().iter().map(|m| m.address).collect::<Vec<_>>(),
            s.members_at(&set, 210).unwrap().iter().map(|m| m.address).collect::<Vec<_>>()
        );
        assert!(!SetSchedule::unknown().covers(0), "nothing before L1 was read");
        let stranger = Address::repeat_byte(7);
        let s = SetSchedule::from_l1(vec![MemberChange { member: stranger, active: true, effective_at: 0 }], 0, 0);
        assert_eq!(s.unknown_members(&set), [stranger]);
    }
}
