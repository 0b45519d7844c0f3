//! Projector metrics, labelled by projection: events by outcome, retries, apply latency, lag
//! (in offsets and in seconds), events in flight, partitions assigned and revoked.

use std::sync::atomic::AtomicU64;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct OutcomeLabels {
    pub projection: &'static str,
    pub outcome: &'static str,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ProjectionLabels {
    pub projection: &'static str,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct PartitionLabels {
    pub projection: &'static str,
    pub partition: i32,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RebalanceLabels {
    pub projection: &'static str,
    /// `assigned` or `revoked`.
    pub change: &'static str,
}

#[derive(Debug, Clone)]
pub struct ProjectorMetrics {
    /// Outcomes: applied, already_applied, rebuilt, ignored, parked, dead_lettered.
    pub processed: Family<OutcomeLabels, Counter>,
    pub retries: Family<ProjectionLabels, Counter>,
    pub apply_seconds: Family<ProjectionLabels, Histogram>,
    /// From an event's commit to its application here: how far behind the read model is.
    pub event_lag_seconds: Family<ProjectionLabels, Histogram>,
    /// Now minus the recorded time of the last applied event, as of its application.
    pub lag_seconds: Family<ProjectionLabels, Gauge<f64, AtomicU64>>,
    /// Records on the partition past the consumer's position.
    pub lag_offsets: Family<PartitionLabels, Gauge>,
    pub in_flight: Family<ProjectionLabels, Gauge>,
    /// Partitions assigned to and revoked from this member.
    pub rebalanced_partitions: Family<RebalanceLabels, Counter>,
}

impl Default for ProjectorMetrics {
    fn default() -> Self {
        Self {
            processed: Family::default(),
            retries: Family::default(),
            apply_seconds: Family::new_with_constructor(|| {
                Histogram::new(exponential_buckets(0.000_1, 2.0, 16))
            }),
            // 1 ms to ~70 s in steps of 25%, fine enough to read percentiles off.
            event_lag_seconds: Family::new_with_constructor(|| {
                Histogram::new(exponential_buckets(0.001, 1.25, 50))
            }),
            lag_seconds: Family::default(),
            lag_offsets: Family::default(),
            in_flight: Family::default(),
            rebalanced_partitions: Family::default(),
        }
    }
}

impl ProjectorMetrics {
    pub fn register(registry: &mut Registry) -> Self {
        let m = Self::default();
        registry.register(
            "projector_events",
            "Events handled, by projection and outcome",
            m.processed.clone(),
        );
        registry.register(
            "projector_retries",
            "Retried applications after a transient failure",
            m.retries.clone(),
        );
        registry.register(
            "projector_event_lag_seconds",
            "Time from an event's commit to its application by the projection",
            m.event_lag_seconds.clone(),
        );
        registry.register(
            "projector_lag_seconds",
            "Age of the last applied event when it was applied",
            m.lag_seconds.clone(),
        );
        registry.register(
            "projector_consumer_lag",
            "Records on a partition not yet consumed, in offsets",
            m.lag_offsets.clone(),
        );
        registry.register(
            "projector_apply_seconds",
            "Time to apply one event, retries included",
            m.apply_seconds.clone(),
        );
        registry.register(
            "projector_in_flight",
            "Events being applied now",
            m.in_flight.clone(),
        );
        registry.register(
            "projector_rebalanced_partitions",
            "Partitions assigned to or revoked from this member",
            m.rebalanced_partitions.clone(),
        );
        m
    }

    /// Starts `projection`'s series at zero, so a dashboard shows no retries and no dead
    /// letters as 0, not as no data.
    pub fn prepare(&self, projection: &'static str) {
        let labels = ProjectionLabels { projection };
        drop(self.retries.get_or_create(&labels));
        drop(self.in_flight.get_or_create(&labels));
        drop(self.lag_seconds.get_or_create(&labels));
        drop(self.event_lag_seconds.get_or_create(&labels));
        drop(self.apply_seconds.get_or_create(&labels));
        for outcome in ["applied", "dead_lettered"] {
            drop(self.processed.get_or_create(&OutcomeLabels {
                projection,
                outcome,
            }));
        }
    }

    pub fn rebalanced(&self, projection: &'static str, change: &'static str, partitions: usize) {
        self.rebalanced_partitions
            .get_or_create(&RebalanceLabels { projection, change })
            .inc_by(partitions as u64);
    }

    pub fn outcome(&self, projection: &'static str, outcome: &'static str) {
        self.processed
            .get_or_create(&OutcomeLabels {
                projection,
                outcome,
            })
            .inc();
    }
}
