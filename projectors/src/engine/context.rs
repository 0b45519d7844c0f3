//! What the engine's consumer shares with the rest of the process: progress for readiness and
//! rebuilds, and the callbacks that keep offsets and parks right through rebalances.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rdkafka::consumer::{BaseConsumer, Consumer, ConsumerContext, Rebalance};
use rdkafka::{ClientContext, Statistics};

use super::handover::Handover;
use super::lock;
use super::offsets::Offsets;
use crate::metrics::{PartitionLabels, ProjectorMetrics};

/// Shared view of an engine's consumer: whether it holds partitions (readiness), and how far
/// it has committed on each (what a rebuild watches to know it caught up).
#[derive(Debug, Clone, Default)]
pub struct Progress {
    pub(super) assigned: Arc<AtomicBool>,
    pub(super) stored: Arc<Mutex<HashMap<i32, i64>>>,
}

impl Progress {
    pub fn is_assigned(&self) -> bool {
        self.assigned.load(Ordering::Acquire)
    }

    /// The last finished offset of each partition since this engine started.
    pub fn finished(&self) -> HashMap<i32, i64> {
        self.stored
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }
}

/// The consumer's callbacks: rebalances reset offset tracking and hand parks over; statistics
/// report lag.
pub(super) struct EngineContext {
    pub(super) projection: &'static str,
    pub(super) offsets: Arc<Mutex<Offsets>>,
    pub(super) handover: Arc<Handover>,
    /// Longest a revoke waits for parks in progress.
    pub(super) handover_wait: Duration,
    pub(super) progress: Progress,
    pub(super) reassigned: Arc<AtomicBool>,
    pub(super) metrics: ProjectorMetrics,
}

impl ClientContext for EngineContext {
    fn stats(&self, statistics: Statistics) {
        for topic in statistics.topics.values() {
            for p in topic.partitions.values().filter(|p| p.partition >= 0) {
                let gauge = self.metrics.lag_offsets.get_or_create(&PartitionLabels {
                    projection: self.projection,
                    partition: p.partition,
                });
                gauge.set(p.consumer_lag.max(0));
            }
        }
    }
}

impl ConsumerContext for EngineContext {
    fn pre_rebalance(&self, _: &BaseConsumer<Self>, rebalance: &Rebalance<'_>) {
        if let Rebalance::Revoke(list) = rebalance {
            let partitions: Vec<i32> = list.elements().iter().map(|e| e.partition()).collect();
            tracing::info!(?partitions, "partitions revoked");
            self.metrics
                .rebalanced(self.projection, "revoked", partitions.len());
            lock(&self.offsets).revoke(partitions.iter().copied());
            if !self.hand_over(&partitions) {
                tracing::warn!(
                    ?partitions,
                    "parks still in progress on revoked partitions; handing them over anyway"
                );
            }
        }
    }

    fn post_rebalance(&self, consumer: &BaseConsumer<Self>, rebalance: &Rebalance<'_>) {
        if let Rebalance::Assign(list) = rebalance {
            let partitions: Vec<i32> = list.elements().iter().map(|e| e.partition()).collect();
            tracing::info!(?partitions, "partitions assigned");
            self.metrics
                .rebalanced(self.projection, "assigned", partitions.len());
            self.handover.assign(partitions.iter().copied());
            lock(&self.offsets).assign(partitions);
            self.reassigned.store(true, Ordering::Release);
        }
        let assigned = consumer.assignment().is_ok_and(|a| a.count() > 0);
        self.progress.assigned.store(assigned, Ordering::Release);
    }
}

impl EngineContext {
    /// Stops new parks on `partitions` and waits (bounded) for those in progress. The callback
    /// runs on the thread polling the consumer, a runtime worker: on a multi-threaded runtime
    /// the wait hands that worker's tasks (the parks among them) to another thread; on a
    /// single-threaded one it cannot wait without blocking the very parks it waits for.
    fn hand_over(&self, partitions: &[i32]) -> bool {
        use tokio::runtime::{Handle, RuntimeFlavor};
        if !self.handover.revoke(partitions) {
            return true;
        }
        let wait = || self.handover.wait(partitions, self.handover_wait);
        match Handle::try_current().map(|h| h.runtime_flavor()) {
            Ok(RuntimeFlavor::MultiThread) => tokio::task::block_in_place(wait),
            Ok(_) => false,
            Err(_) => wait(),
        }
    }
}
