//! The Redis session cache against real Redis and the real event store: changes only move
//! forward in stream version, a lost entry is rebuilt from the events rather than from a
//! stale event, and an empty cache is filled from the event store.

use std::collections::BTreeMap;

use command_api::event_store::{EventStore, NewEvent};
use command_api::session_cache::{SessionCache, Written};
use events::sessions::{RevocationReason, SessionEvent, SessionRevoked};
use events::{Actor, EventFamily, EventMetadata, Recorded};
use uuid::Uuid;

use crate::support::{Backbone, BackboneExt, append_events, stream};

async fn cache(backbone: &Backbone) -> SessionCache {
    SessionCache::new(
        backbone.redis.connect().expect("redis"),
        backbone.redis.key_prefix.clone(),
    )
}

/// Appends a revocation of the principal's session and returns every event of the stream.
async fn started_then_revoked(backbone: &Backbone, principal: Uuid) -> Vec<Recorded<SessionEvent>> {
    let store = backbone.store();
    append_events(&store, principal, 1).await;
    let revoke = SessionEvent::Revoked(SessionRevoked {
        session_id: principal,
        reason: RevocationReason::AdminRevoke,
        metadata: BTreeMap::new(),
        revoked_by: Actor::System("test".into()),
        revoked_at: events::now(),
    });
    store
        .append(
            &stream(principal),
            1,
            vec![NewEvent::new(&revoke, EventMetadata::new(None)).expect("event")],
        )
        .await
        .expect("append");
    store
        .read_stream(&stream(principal), 1)
        .await
        .expect("read")
        .iter()
        .map(|raw| SessionEvent::from_raw(raw).expect("session event"))
        .collect()
}

#[tokio::test]
async fn changes_apply_only_forward_in_stream_version() {
    let backbone = Backbone::start().await;
    let cache = cache(&backbone).await;
    let principal = Uuid::now_v7();
    let history = started_then_revoked(&backbone, principal).await;

    assert_eq!(
        cache.apply(&history[0]).await.expect("apply"),
        Written::Applied
    );
    assert_eq!(
        cache.apply(&history[1]).await.expect("apply"),
        Written::Applied
    );
    assert_eq!(
        cache.apply(&history[0]).await.expect("apply"),
        Written::AlreadyApplied,
        "a redelivered start does not undo the revocation"
    );
    let session = cache.get(principal).await.expect("get").expect("cached");
    assert_eq!(session.revoked.as_deref(), Some("ADMIN_REVOKE"));
    assert_eq!(session.version, 2);
}

#[tokio::test]
async fn a_projector_never_recreates_a_lost_entry_from_an_old_event() {
    let backbone = Backbone::start().await;
    let cache = cache(&backbone).await;
    let principal = Uuid::now_v7();
    let history = started_then_revoked(&backbone, principal).await;

    // The cache lost everything; the projector meets the start again before the revocation.
    assert_eq!(
        cache.apply_existing(&history[0]).await.expect("apply"),
        Written::Missing
    );
    assert!(
        cache.get(principal).await.expect("get").is_none(),
        "nothing written"
    );
    let rebuilt = cache
        .rebuild(&backbone.store(), principal)
        .await
        .expect("rebuild");
    assert_eq!(rebuilt[&principal].revoked.as_deref(), Some("ADMIN_REVOKE"));
    let cached = cache.get(principal).await.expect("get").expect("cached");
    assert!(!cached.is_active(events::now()), "rebuilt from the truth");
}

#[tokio::test]
async fn an_empty_cache_is_filled_from_the_event_store() {
    let backbone = Backbone::start().await;
    let cache = cache(&backbone).await;
    let store = backbone.store();
    let principals: Vec<Uuid> = (0..3).map(|_| Uuid::now_v7()).collect();
    for p in &principals {
        append_events(&store, *p, 2).await;
    }
    assert!(!cache.is_filled().await.expect("marker"));
    let since = events::now() - chrono::Duration::hours(1);
    assert_eq!(cache.fill(&store, since).await.expect("fill"), 3);
    assert!(cache.is_filled().await.expect("marker"));
    for p in &principals {
        let session = cache.get(*p).await.expect("get").expect("filled");
        assert!(session.is_active(events::now()));
        assert_eq!(session.version, 2);
        let (version, listed) = cache.sessions_of(*p).await.expect("list").expect("indexed");
        assert_eq!(version, 2, "the stream version the cache reflects");
        assert_eq!(listed, vec![session]);
    }
}
