//! Back-pressure without leaving the group. A full buffer is most often full for a moment
//! (the sink is slower than the fetches, as in a rebuild): the engine then just waits for a
//! place, and librdkafka keeps what it prefetched. Pausing at once instead made every full
//! moment drop the prefetched records and fetch them anew, and a rebuild ran at 1.3k events/s
//! instead of 16k (`./dev bench scale`, 64 in flight).
//!
//! A buffer still full after [`PAUSE_AFTER`] (every record waiting on a sink that is down, say)
//! must not stop the polling: librdkafka takes a member that has not polled for
//! `max.poll.interval.ms` for stuck, leaves the group, and the partitions move. So the engine
//! pauses every assigned partition and keeps polling until half the buffer is free, then
//! resumes (a paused partition delivers nothing, and resumes after the last record it
//! delivered). A record that still arrives meanwhile (of a partition assigned since) is kept
//! aside, its partition paused too, and taken before anything else once there is room.

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Duration;

use rdkafka::TopicPartitionList;
use rdkafka::consumer::Consumer;
use rdkafka::message::{Message, OwnedMessage};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio_util::sync::CancellationToken;

use super::Engine;
use crate::projection::Projection;

/// How long a full buffer waits for a place before the partitions are paused: far below any
/// sensible `max.poll.interval.ms`.
const PAUSE_AFTER: Duration = Duration::from_secs(1);

impl<P: Projection> Engine<P> {
    /// A place in the buffer for the next record; `None` on shutdown. Records delivered while
    /// waiting go to `aside`.
    pub(super) async fn room(
        &self,
        permits: &Arc<Semaphore>,
        capacity: usize,
        aside: &mut VecDeque<OwnedMessage>,
        shutdown: &CancellationToken,
    ) -> Option<OwnedSemaphorePermit> {
        if let Ok(permit) = permits.clone().try_acquire_owned() {
            return Some(permit);
        }
        tokio::select! {
            _ = shutdown.cancelled() => return None,
            permit = permits.clone().acquire_owned() => return permit.ok(),
            _ = tokio::time::sleep(PAUSE_AFTER) => {}
        }
        tracing::debug!("buffer full: pausing the assigned partitions");
        match self.consumer.assignment() {
            Ok(assigned) => self.pause(&assigned),
            Err(error) => tracing::warn!(%error, "cannot pause the assigned partitions"),
        }
        let half = u32::try_from(capacity / 2).unwrap_or(u32::MAX).max(1);
        let permit = loop {
            tokio::select! {
                _ = shutdown.cancelled() => break None,
                // Half the buffer free: keep one place, give the rest back.
                permits = permits.clone().acquire_many_owned(half) => {
                    break permits.ok().and_then(|mut free| free.split(1));
                }
                message = self.consumer.recv() => {
                    if let Ok(message) = message {
                        let mut partition = TopicPartitionList::new();
                        partition.add_partition(message.topic(), message.partition());
                        self.pause(&partition);
                        aside.push_back(message.detach());
                    }
                }
            }
        };
        let resumed = self
            .consumer
            .assignment()
            .and_then(|assigned| self.consumer.resume(&assigned));
        if let Err(error) = resumed {
            tracing::warn!(%error, "cannot resume the assigned partitions");
        }
        permit
    }

    fn pause(&self, partitions: &TopicPartitionList) {
        if let Err(error) = self.consumer.pause(partitions) {
            tracing::warn!(%error, "cannot pause partitions");
        }
    }
}
