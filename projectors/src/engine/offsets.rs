//! Which offsets may be committed: records of a partition finish out of order when they are
//! processed in parallel, and only the contiguous prefix of finished records is safe to commit
//! (committing past an unfinished one would skip it after a crash).

use std::collections::{BTreeMap, HashMap};

/// A record being processed: its partition, offset, and the assignment it came with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ticket {
    pub partition: i32,
    pub offset: i64,
    epoch: u64,
}

#[derive(Debug, Default)]
struct Partition {
    epoch: u64,
    /// Offsets received and not yet committable, with whether each is finished.
    pending: BTreeMap<i64, bool>,
}

/// Per-partition tracking of received and finished offsets.
#[derive(Debug, Default)]
pub struct Offsets {
    partitions: HashMap<i32, Partition>,
    next_epoch: u64,
}

impl Offsets {
    /// The partitions were (re)assigned: records received from now on belong to a new epoch,
    /// and finishing a record of an earlier one commits nothing.
    pub fn assign(&mut self, partitions: impl IntoIterator<Item = i32>) {
        for partition in partitions {
            self.next_epoch += 1;
            self.partitions.insert(
                partition,
                Partition {
                    epoch: self.next_epoch,
                    pending: BTreeMap::new(),
                },
            );
        }
    }

    /// The partitions were taken away.
    pub fn revoke(&mut self, partitions: impl IntoIterator<Item = i32>) {
        for partition in partitions {
            self.partitions.remove(&partition);
        }
    }

    /// A record was received; `None` if its partition is not assigned.
    pub fn begin(&mut self, partition: i32, offset: i64) -> Option<Ticket> {
        let p = self.partitions.get_mut(&partition)?;
        p.pending.insert(offset, false);
        Some(Ticket {
            partition,
            offset,
            epoch: p.epoch,
        })
    }

    /// A record is finished. Returns the offset of the last record of the contiguous finished
    /// prefix when that prefix grew (the offset to store), `None` otherwise.
    pub fn finish(&mut self, ticket: Ticket) -> Option<i64> {
        let p = self
            .partitions
            .get_mut(&ticket.partition)
            .filter(|p| p.epoch == ticket.epoch)?;
        *p.pending.get_mut(&ticket.offset)? = true;
        let mut committable = None;
        while let Some(entry) = p.pending.first_entry() {
            if !*entry.get() {
                break;
            }
            committable = Some(*entry.key());
            entry.remove();
        }
        committable
    }

    /// Records received and not yet committable, over every partition.
    pub fn pending(&self) -> usize {
        self.partitions.values().map(|p| p.pending.len()).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn assigned(partitions: &[i32]) -> Offsets {
        let mut offsets = Offsets::default();
        offsets.assign(partitions.iter().copied());
        offsets
    }

    #[test]
    fn an_unfinished_record_holds_back_the_ones_after_it() {
        let mut offsets = assigned(&[0]);
        let a = offsets.begin(0, 10).expect("assigned");
        let b = offsets.begin(0, 11).expect("assigned");
        let c = offsets.begin(0, 12).expect("assigned");
        assert_eq!(offsets.finish(c), None);
        assert_eq!(offsets.finish(b), None);
        assert_eq!(offsets.finish(a), Some(12));
        assert_eq!(offsets.pending(), 0);
    }

    #[test]
    fn in_order_finishes_commit_each_record() {
        let mut offsets = assigned(&[0]);
        let a = offsets.begin(0, 0).expect("assigned");
        let b = offsets.begin(0, 1).expect("assigned");
        assert_eq!(offsets.finish(a), Some(0));
        assert_eq!(offsets.finish(b), Some(1));
    }

    #[test]
    fn partitions_are_independent() {
        let mut offsets = assigned(&[0, 1]);
        let slow = offsets.begin(0, 5).expect("assigned");
        let other = offsets.begin(1, 7).expect("assigned");
        assert_eq!(offsets.finish(other), Some(7));
        assert_eq!(offsets.pending(), 1);
        assert_eq!(offsets.finish(slow), Some(5));
    }

    #[test]
    fn gaps_in_offsets_are_not_waited_for() {
        // Compacted topics and transaction markers leave offsets that are never delivered.
        let mut offsets = assigned(&[0]);
        let a = offsets.begin(0, 3).expect("assigned");
        let b = offsets.begin(0, 9).expect("assigned");
        assert_eq!(offsets.finish(a), Some(3));
        assert_eq!(offsets.finish(b), Some(9));
    }

    #[test]
    fn records_of_an_unassigned_partition_are_not_tracked() {
        let mut offsets = assigned(&[0]);
        assert_eq!(offsets.begin(1, 0), None);
    }

    #[test]
    fn finishing_a_record_of_an_earlier_assignment_commits_nothing() {
        let mut offsets = assigned(&[0]);
        let stale = offsets.begin(0, 4).expect("assigned");
        offsets.revoke([0]);
        assert_eq!(offsets.finish(stale), None);
        offsets.assign([0]);
        let fresh = offsets.begin(0, 4).expect("assigned");
        assert_eq!(offsets.finish(stale), None);
        assert_eq!(offsets.finish(fresh), Some(4));
    }
}
