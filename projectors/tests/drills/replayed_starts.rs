//! A replay writes its session starts under one epoch until the cache is emptied: the next
//! write is refused then (nothing read before the flush lands in the empty cache), and its
//! retry takes a new epoch and lands.

use events::EventFamily;
use events::codec::AnyEvent;
use events::sessions::SessionEvent;
use events::topics::Category;
use projectors::projection::{Mode, Projection};
use projectors::session_cache::SessionCacheProjection;
use store::event_store::EventStore;
use store::session_cache::SessionCache;
use uuid::Uuid;

use crate::support::Drill;

/// The first event of the principal's sessions stream (its session's start), as consumed.
async fn start_of(drill: &Drill, principal: Uuid) -> AnyEvent {
    let stream = Category::Sessions.stream_id(principal);
    let raw = drill.store.read_stream(&stream, 1).await.expect("read");
    AnyEvent::Session(SessionEvent::from_raw(&raw[0]).expect("a session event"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_replay_writes_starts_under_one_epoch_and_takes_a_new_one_after_a_flush() {
    let drill = Drill::start().await;
    // No projector runs to record the Redis instance: this cache trusts the one running now.
    let redis = &drill.stack.redis;
    let cache = SessionCache::new(redis.connect().expect("redis"), redis.key_prefix.clone());
    cache.trust_instance(Some(cache.instance().await.expect("run_id")));
    let projection = SessionCacheProjection::new(cache.clone(), drill.store.clone());
    let (a, b) = (Uuid::now_v7(), Uuid::now_v7());
    let first = drill.start_session(a).await;
    let second = drill.start_session(b).await;

    let start = start_of(&drill, a).await;
    let applied = projection.apply(&start, Mode::Replay).await;
    assert_eq!(applied.expect("apply"), "applied");
    assert!(cache.get(a, first).await.expect("get").is_some());

    cache.clear().await.expect("empty the cache");
    let start = start_of(&drill, b).await;
    let refused = projection.apply(&start, Mode::Replay).await;
    assert!(
        refused.as_ref().is_err_and(|e| e.is_transient()),
        "a write under the epoch the flush ended is refused: {refused:?}"
    );
    assert_eq!(cache.get(b, second).await.expect("get"), None);
    let retried = projection.apply(&start, Mode::Replay).await;
    assert_eq!(retried.expect("retry"), "applied");
    assert!(cache.get(b, second).await.expect("get").is_some());
}
