//! The states this process last left its streams in, kept in memory (up to a byte budget), so a
//! command on a stream this process wrote last decides without reading it back: no round trip,
//! no snapshot or events to parse. Safe because nothing decided on a kept state is trusted
//! unless the event store agrees: the append only succeeds at the kept version, so a stream
//! another writer moved on makes it conflict, and the command starts over from a fresh load;
//! and a refusal or a no-op decided on a kept state is decided again on a fresh load (a newer
//! state might allow it).

use std::any::Any;
use std::sync::Arc;

use quick_cache::Weighter;
use quick_cache::sync::Cache;

use super::Aggregate;

/// A stream's state after its last append here, and the version of its latest snapshot.
#[derive(Clone)]
struct Kept {
    state: Arc<dyn Any + Send + Sync>,
    snapshot_version: i64,
    weight: u64,
}

#[derive(Clone)]
struct ByWeight;

impl Weighter<String, Kept> for ByWeight {
    fn weight(&self, _stream: &String, kept: &Kept) -> u64 {
        kept.weight
    }
}

/// States by stream, the least useful evicted first once their estimated bytes pass the
/// budget. Cheap to clone (shared).
#[derive(Clone)]
pub struct KeptStates {
    cache: Option<Arc<Cache<String, Kept, ByWeight>>>,
}

impl KeptStates {
    /// Keeps states up to about `bytes` in all (0: none, every command reads its stream).
    pub fn new(bytes: u64) -> Self {
        let cache = (bytes > 0).then(|| {
            // quick_cache sizes its tables from an item count: assume ~1 KiB a state.
            let items = usize::try_from(bytes / 1024).unwrap_or(usize::MAX).max(16);
            Arc::new(Cache::with_weighter(items, bytes, ByWeight))
        });
        Self { cache }
    }

    /// Takes the state kept for `stream`, with its snapshot version: whoever takes it decides
    /// on it alone, and the state after its append is kept again.
    pub(super) fn take<A: Aggregate>(&self, stream: &str) -> Option<(Arc<A>, i64)> {
        let (_, kept) = self.cache.as_ref()?.remove(stream)?;
        let state = kept.state.downcast::<A>().ok()?;
        Some((state, kept.snapshot_version))
    }

    pub(super) fn keep<A: Aggregate>(&self, stream: &str, state: Arc<A>, snapshot_version: i64) {
        if let Some(cache) = &self.cache {
            let weight = state.weight().max(1);
            let kept = Kept {
                state,
                snapshot_version,
                weight,
            };
            cache.insert(stream.to_owned(), kept);
        }
    }
}

impl std::fmt::Debug for KeptStates {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut d = f.debug_struct("KeptStates");
        if let Some(cache) = &self.cache {
            d.field("states", &cache.len())
                .field("bytes", &cache.weight())
                .field("budget", &cache.capacity());
        }
        d.finish()
    }
}
