//! Relay metrics: events and batches relayed, errors by kind, lag, and whether this process leads.

use std::sync::atomic::AtomicU64;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub(super) struct ErrorLabels {
    pub kind: &'static str,
}

#[derive(Debug, Clone, Default)]
pub struct RelayMetrics {
    pub(super) events: Counter,
    pub(super) batches: Counter,
    pub(super) errors: Family<ErrorLabels, Counter>,
    pub(super) lag_seconds: Gauge<f64, AtomicU64>,
    pub(super) leader: Gauge,
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
            "relay_batches",
            "Batches published and checkpointed",
            m.batches.clone(),
        );
        registry.register(
            "relay_errors",
            "Failed relay steps, by kind",
            m.errors.clone(),
        );
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
