//! Where session reads were answered from: the Redis cache, or the event store because the
//! cache did not hold the session, was behind the version asked for, or failed.

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::registry::Registry;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lookup {
    /// The cache answered.
    Hit,
    /// Not cached, or the cache is not the instance it was filled in.
    Miss,
    /// Cached, but older than the `?min_version=` asked for.
    Stale,
    /// Redis failed.
    Unavailable,
}

impl Lookup {
    const ALL: [Lookup; 4] = [Self::Hit, Self::Miss, Self::Stale, Self::Unavailable];

    fn label(self) -> &'static str {
        match self {
            Self::Hit => "hit",
            Self::Miss => "miss",
            Self::Stale => "stale",
            Self::Unavailable => "unavailable",
        }
    }
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct LookupLabels {
    result: &'static str,
}

#[derive(Debug, Clone, Default)]
pub struct CacheMetrics {
    lookups: Family<LookupLabels, Counter>,
}

impl CacheMetrics {
    pub fn register(registry: &mut Registry) -> Self {
        let metrics = Self::default();
        registry.register(
            "session_cache_lookups",
            "Session reads, by where they were answered from (hit: the cache)",
            metrics.lookups.clone(),
        );
        for lookup in Lookup::ALL {
            metrics.count_as(lookup, 0);
        }
        metrics
    }

    pub fn count(&self, lookup: Lookup) {
        self.count_as(lookup, 1);
    }

    fn count_as(&self, lookup: Lookup, by: u64) {
        let labels = LookupLabels {
            result: lookup.label(),
        };
        self.lookups.get_or_create(&labels).inc_by(by);
    }
}
