//! Handing a partition to another member of the group without losing a park. A record that is
//! dead-lettered parks its stream in Postgres, and the partition's next owner loads the parked
//! set when it is assigned; a park landing after that load would let the new owner apply the
//! stream's next event. So a revoke waits for the parks in progress on its partitions (the
//! group cannot assign them elsewhere before this member has rejoined), and a park that would
//! start after the revoke is not made, nor does a retry go on: the record stays uncommitted, and
//! the next owner meets it again and decides itself (an old owner that kept retrying past its
//! budget would otherwise park a stream the new owner applies without trouble).

use std::collections::HashMap;
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

#[derive(Debug, Default)]
pub struct Handover {
    partitions: Mutex<HashMap<i32, Claim>>,
    parked: Condvar,
}

#[derive(Debug, Default)]
struct Claim {
    owned: bool,
    /// Parks in progress on the partition.
    parking: usize,
}

impl Handover {
    pub fn assign(&self, partitions: impl IntoIterator<Item = i32>) {
        let mut claims = self.lock();
        for partition in partitions {
            claims.entry(partition).or_default().owned = true;
        }
    }

    /// The partitions are no longer this member's: no park starts on them from now on.
    /// Returns whether parks are still in progress on them ([`Handover::wait`] for them).
    pub fn revoke(&self, partitions: &[i32]) -> bool {
        let mut claims = self.lock();
        for partition in partitions {
            claims.entry(*partition).or_default().owned = false;
        }
        Self::busy(&claims, partitions)
    }

    /// Returns once no park is in progress on `partitions`, or after `wait`; false if some
    /// still were then.
    pub fn wait(&self, partitions: &[i32], wait: Duration) -> bool {
        let deadline = Instant::now() + wait;
        let mut claims = self.lock();
        while Self::busy(&claims, partitions) {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return false;
            }
            claims = self
                .parked
                .wait_timeout(claims, left)
                .unwrap_or_else(PoisonError::into_inner)
                .0;
        }
        true
    }

    fn busy(claims: &HashMap<i32, Claim>, partitions: &[i32]) -> bool {
        partitions
            .iter()
            .any(|p| claims.get(p).is_some_and(|c| c.parking > 0))
    }

    pub fn owns(&self, partition: i32) -> bool {
        self.lock().get(&partition).is_some_and(|c| c.owned)
    }

    /// Starts a park on `partition`; `None` if the partition is not this member's any more.
    /// The park is in progress until the guard is dropped.
    pub fn begin_park(self: &Arc<Self>, partition: i32) -> Option<ParkInProgress> {
        let mut claims = self.lock();
        let claim = claims.get_mut(&partition).filter(|c| c.owned)?;
        claim.parking += 1;
        Some(ParkInProgress {
            handover: self.clone(),
            partition,
        })
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<i32, Claim>> {
        self.partitions
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }
}

/// A park in progress; dropping it ends it.
#[derive(Debug)]
pub struct ParkInProgress {
    handover: Arc<Handover>,
    partition: i32,
}

impl Drop for ParkInProgress {
    fn drop(&mut self) {
        let mut claims = self.handover.lock();
        if let Some(claim) = claims.get_mut(&self.partition) {
            claim.parking = claim.parking.saturating_sub(1);
        }
        drop(claims);
        self.handover.parked.notify_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parks_start_only_on_partitions_this_member_holds() {
        let handover = Arc::new(Handover::default());
        assert!(handover.begin_park(0).is_none(), "never assigned");
        handover.assign([0, 1]);
        assert!(handover.owns(0) && handover.owns(1));
        drop(handover.begin_park(0).expect("assigned"));
        assert!(!handover.revoke(&[0]), "no park in progress");
        assert!(handover.begin_park(0).is_none(), "revoked");
        assert!(!handover.owns(0));
        assert!(handover.begin_park(1).is_some(), "still held");
        handover.assign([0]);
        assert!(handover.begin_park(0).is_some(), "assigned again");
    }

    #[test]
    fn a_revoke_can_wait_for_the_parks_in_progress_on_its_partitions_only() {
        let handover = Arc::new(Handover::default());
        handover.assign([0, 1]);
        let on_revoked = handover.begin_park(0).expect("park");
        let elsewhere = handover.begin_park(1).expect("park");
        let parked_at = Arc::new(Mutex::new(None));
        let finisher = {
            let parked_at = parked_at.clone();
            std::thread::spawn(move || {
                std::thread::sleep(Duration::from_millis(200));
                *parked_at.lock().expect("lock") = Some(Instant::now());
                drop(on_revoked);
            })
        };
        assert!(handover.revoke(&[0]), "a park is in progress");
        assert!(handover.begin_park(0).is_none(), "no new one starts");
        assert!(handover.wait(&[0], Duration::from_secs(30)));
        let returned_at = Instant::now();
        let parked_at = parked_at
            .lock()
            .expect("lock")
            .expect("the park ended first");
        assert!(parked_at <= returned_at);
        finisher.join().expect("finisher");
        drop(elsewhere);
    }

    #[test]
    fn waiting_gives_up_after_its_deadline() {
        let handover = Arc::new(Handover::default());
        handover.assign([0]);
        let _stuck = handover.begin_park(0).expect("park");
        assert!(handover.revoke(&[0]));
        assert!(!handover.wait(&[0], Duration::from_millis(50)));
    }
}
