//! Back-pressure without leaving the group. When the buffer is full (every record waiting on a
//! sink that is down, say), the engine must still poll: librdkafka takes a member that has not
//! polled for `max.poll.interval.ms` for stuck, leaves the group, and the partitions move. So
//! it pauses every assigned partition and keeps polling until a record finishes, then resumes
//! (a paused partition delivers nothing, and resumes after the last record it delivered). A
//! record that still arrives meanwhile (of a partition assigned since) is kept aside, its
//! partition paused too, and taken before anything else once there is room.

use std::collections::VecDeque;
use std::sync::Arc;

use rdkafka::TopicPartitionList;
use rdkafka::consumer::Consumer;
use rdkafka::message::{Message, OwnedMessage};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio_util::sync::CancellationToken;

use super::Engine;
use crate::projection::Projection;

impl<P: Projection> Engine<P> {
    /// A place in the buffer for the next record; `None` on shutdown. Records delivered while
    /// waiting go to `aside`.
    pub(super) async fn room(
        &self,
        permits: &Arc<Semaphore>,
        aside: &mut VecDeque<OwnedMessage>,
        shutdown: &CancellationToken,
    ) -> Option<OwnedSemaphorePermit> {
        if let Ok(permit) = permits.clone().try_acquire_owned() {
            return Some(permit);
        }
        tracing::debug!("buffer full: pausing the assigned partitions");
        match self.consumer.assignment() {
            Ok(assigned) => self.pause(&assigned),
            Err(error) => tracing::warn!(%error, "cannot pause the assigned partitions"),
        }
        let permit = loop {
            tokio::select! {
                _ = shutdown.cancelled() => break None,
                permit = permits.clone().acquire_owned() => break permit.ok(),
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
