//! Projector metrics: events processed by projection and outcome, retries, apply latency.

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
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

#[derive(Debug, Clone)]
pub struct ProjectorMetrics {
    pub processed: Family<OutcomeLabels, Counter>,
    pub retries: Family<ProjectionLabels, Counter>,
    pub apply_seconds: Family<ProjectionLabels, Histogram>,
    /// From an event's commit to its application here: how far behind the read model is.
    pub event_lag_seconds: Family<ProjectionLabels, Histogram>,
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
            "projector_apply_seconds",
            "Time to apply one event, retries included",
            m.apply_seconds.clone(),
        );
        m
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
