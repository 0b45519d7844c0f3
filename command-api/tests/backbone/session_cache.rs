//! The Redis session cache against real Redis and the real event store: changes only move
//! forward in stream version, a lost entry is rebuilt from the events rather than from a
//! stale event, and an empty cache is filled from the event store.

use std::collections::BTreeMap;

use events::sessions::{RevocationReason, SessionEvent, SessionRevoked, SessionStarted};
use events::{Actor, EventFamily, EventMetadata, PrincipalType, Recorded};
use store::event_store::{EventStore, NewEvent};
use store::session_cache::{self, CacheError, SessionCache, Written};
use uuid::Uuid;

use crate::support::{Backbone, BackboneExt, append_events, stream};

/// A cache trusting the Redis instance that runs now (no projector records one here).
pub(crate) async fn cache(backbone: &Backbone) -> SessionCache {
    let cache = SessionCache::new(
        backbone.redis.connect().expect("redis"),
        backbone.redis.key_prefix.clone(),
    );
    cache.trust_instance(Some(cache.instance().await.expect("run_id")));
    cache
}

/// Appends `event` to the principal's stream after `after` events.
pub(crate) async fn append(backbone: &Backbone, principal: Uuid, after: i64, event: SessionEvent) {
    backbone
        .store()
        .append(
            &stream(principal),
            after,
            vec![NewEvent::new(&event, EventMetadata::new(None)).expect("event")],
        )
        .await
        .expect("append");
}

pub(crate) fn revocation(session_id: Uuid) -> SessionEvent {
    SessionEvent::Revoked(SessionRevoked {
        session_id,
        reason: RevocationReason::AdminRevoke,
        metadata: BTreeMap::new(),
        revoked_by: Actor::System("test".into()),
        revoked_at: events::now(),
    })
}

pub(crate) fn start(principal_id: Uuid, session_id: Uuid) -> SessionEvent {
    let now = events::now();
    SessionEvent::Started(SessionStarted {
        session_id,
        principal_id,
        principal_type: PrincipalType::User,
        refresh_token_hash: "0".repeat(64),
        user_agent: None,
        ip: None,
        started_at: now,
        idle_timeout_secs: 1800,
        expires_at: now + chrono::Duration::hours(1),
    })
}

/// Every event of the principal's stream.
pub(crate) async fn recorded(backbone: &Backbone, principal: Uuid) -> Vec<Recorded<SessionEvent>> {
    backbone
        .store()
        .read_stream(&stream(principal), 1)
        .await
        .expect("read")
        .iter()
        .map(|raw| SessionEvent::from_raw(raw).expect("session event"))
        .collect()
}

/// Appends a revocation of the principal's session and returns every event of the stream.
async fn started_then_revoked(backbone: &Backbone, principal: Uuid) -> Vec<Recorded<SessionEvent>> {
    append_events(&backbone.store(), principal, 1).await;
    append(backbone, principal, 1, revocation(principal)).await;
    recorded(backbone, principal).await
}

#[tokio::test]
async fn changes_apply_only_forward_in_stream_version() {
    let backbone = Backbone::start().await;
    let cache = cache(&backbone).await;
    let principal = Uuid::now_v7();
    let history = started_then_revoked(&backbone, principal).await;
    let epoch = cache.epoch().await.expect("epoch");

    assert_eq!(
        cache.apply(&history[0], &epoch).await.expect("apply"),
        Written::Applied
    );
    assert_eq!(
        cache.apply(&history[1], &epoch).await.expect("apply"),
        Written::Applied
    );
    assert_eq!(
        cache.apply(&history[0], &epoch).await.expect("apply"),
        Written::AlreadyApplied,
        "a redelivered start does not undo the revocation"
    );
    let session = cache
        .get(principal, principal)
        .await
        .expect("get")
        .expect("cached");
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
        cache
            .get(principal, principal)
            .await
            .expect("get")
            .is_none(),
        "nothing written"
    );
    let rebuilt = cache
        .rebuild(&backbone.store(), principal)
        .await
        .expect("rebuild");
    assert_eq!(rebuilt[&principal].revoked.as_deref(), Some("ADMIN_REVOKE"));
    let cached = cache
        .get(principal, principal)
        .await
        .expect("get")
        .expect("cached");
    assert!(!cached.is_active(events::now()), "rebuilt from the truth");
}

#[tokio::test]
async fn state_read_before_the_cache_was_emptied_is_not_written_after_it() {
    let backbone = Backbone::start().await;
    let cache = cache(&backbone).await;
    let store = backbone.store();
    let principal = Uuid::now_v7();
    append_events(&store, principal, 1).await;

    // A reader and a command both read the live session, then take long to write it...
    let epoch = cache.epoch().await.expect("epoch");
    let before = session_cache::history(&store, principal)
        .await
        .expect("history");
    let started = recorded(&backbone, principal).await.remove(0);
    // ...while the session is revoked, the revocation cached, and the cache emptied.
    append(&backbone, principal, 1, revocation(principal)).await;
    cache.rebuild(&store, principal).await.expect("rebuild");
    cache.clear().await.expect("empty the cache");

    assert!(matches!(
        cache.put_all(&before, &epoch).await,
        Err(CacheError::Flushed)
    ));
    assert!(matches!(
        cache.apply(&started, &epoch).await,
        Err(CacheError::Flushed)
    ));
    assert!(
        cache
            .get(principal, principal)
            .await
            .expect("get")
            .is_none(),
        "the revoked session did not come back as active"
    );
    let rebuilt = cache.rebuild(&store, principal).await.expect("rebuild");
    assert_eq!(rebuilt[&principal].revoked.as_deref(), Some("ADMIN_REVOKE"));
    let cached = cache
        .get(principal, principal)
        .await
        .expect("get")
        .expect("cached");
    assert!(!cached.is_active(events::now()));
}

#[tokio::test]
async fn the_principal_version_vouches_only_for_versions_its_hash_holds_whole() {
    let backbone = Backbone::start().await;
    let cache = cache(&backbone).await;
    let store = backbone.store();
    let principal = Uuid::now_v7();
    let (first, second) = (Uuid::now_v7(), Uuid::now_v7());
    append(&backbone, principal, 0, start(principal, first)).await;
    cache.rebuild(&store, principal).await.expect("rebuild");
    assert_eq!(
        cache
            .sessions_of(principal)
            .await
            .expect("list")
            .map(|(v, s)| (v, s.len())),
        Some((1, 1))
    );

    // Emptied, then a second session is written through: the first is not in the cache, so
    // the hash must not pass for the principal's whole list.
    cache.clear().await.expect("empty the cache");
    let epoch = cache.epoch().await.expect("epoch");
    append(&backbone, principal, 1, start(principal, second)).await;
    let history = recorded(&backbone, principal).await;
    assert_eq!(
        cache.apply(&history[1], &epoch).await.expect("apply"),
        Written::Applied
    );
    assert!(cache.get(principal, second).await.expect("get").is_some());
    assert_eq!(cache.sessions_of(principal).await.expect("list"), None);

    // Rebuilt whole, then moved forward one event at a time, in order only.
    cache.rebuild(&store, principal).await.expect("rebuild");
    append(&backbone, principal, 2, revocation(first)).await;
    append(&backbone, principal, 3, revocation(second)).await;
    let history = recorded(&backbone, principal).await;
    assert_eq!(
        cache.apply_existing(&history[3]).await.expect("apply"),
        Written::Applied,
        "the entry moves on"
    );
    assert_eq!(
        cache.applied_version(principal).await.expect("version"),
        Some(2)
    );
    cache.apply_existing(&history[2]).await.expect("apply");
    assert_eq!(
        cache.applied_version(principal).await.expect("version"),
        Some(3)
    );
    cache.apply_existing(&history[3]).await.expect("apply");
    let (version, sessions) = cache
        .sessions_of(principal)
        .await
        .expect("list")
        .expect("whole");
    assert_eq!(version, 4);
    assert!(sessions.iter().all(|s| s.revoked.is_some()), "{sessions:?}");
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
        let session = cache.get(*p, *p).await.expect("get").expect("filled");
        assert!(session.is_active(events::now()));
        assert_eq!(session.version, 2);
        let (version, listed) = cache.sessions_of(*p).await.expect("list").expect("indexed");
        assert_eq!(version, 2, "the stream version the cache reflects");
        assert_eq!(listed, vec![session]);
    }
}
