//! Relay metrics: events and batches relayed, errors by kind, lag, and whether this process leads.

use std::sync::atomic::AtomicU64;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub(super) struct ErrorLabels {
    pub kind: &'static str,
}

#[derive(Debug, Clone)]
pub struct RelayMetrics {
    pub(super) events: Counter,
    pub(super) commit_to_ack: Histogram,
    pub(super) batches: Counter,
    pub(super) errors: Family<ErrorLabels, Counter>,
    pub(super) lag_seconds: Gauge<f64, AtomicU64>,
    pub(super) leader: Gauge,
}

impl Default for RelayMetrics {
    fn default() -> Self {
        Self {
            events: Counter::default(),
            // 1 ms to ~70 s in steps of 25%, fine enough to read percentiles off.
            commit_to_ack: Histogram::new(exponential_buckets(0.001, 1.25, 50)),
            batches: Counter::default(),
            errors: Family::default(),
            lag_seconds: Gauge::default(),
            leader: Gauge::default(),
        }
    }
}

impl RelayMetrics {
    pub fn register(registry: &mut Registry) -> Self {
        let m = Self::default();
        registry.register(
            "relay_events",
            "Events published to Kafka and acknowledged",
            m.events.clone(),
        );
        registry.register(
            "relay_commit_to_ack_seconds",
            "Time from an event's insert to Kafka acknowledging it",
            m.commit_to_ack.clone(),
        );
        registry.register(
            "relay_batches",
            "Batches published and checkpointed",
            m.batches.clone(),
        );
        registry.register(
            "relay_errors",
            "Failed relay steps, by kind",
            m.errors.clone(),
        );
        // Every kind `RelayError::kind` names, at zero: dashboards show 0, not no data.
        for kind in ["store", "corrupt", "encode", "publish"] {
            drop(m.errors.get_or_create(&ErrorLabels { kind }));
        }
        registry.register(
            "relay_lag_seconds",
            "Age of the oldest event not yet relayed (0 when caught up)",
            m.lag_seconds.clone(),
        );
        registry.register(
            "relay_leader",
            "1 while this process holds the relay lock",
            m.leader.clone(),
        );
        m
    }

    /// Events relayed so far by this process.
    pub fn events_relayed(&self) -> u64 {
        self.events.get()
    }
}
