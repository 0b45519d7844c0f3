//! How the session cache lays a principal's sessions out in Redis, against real Redis: the
//! active sessions counted once each, a browser's user agent kept in a compact hash, and the
//! principal's hash expiring with its longest-kept session.

use events::sessions::SessionEvent;
use store::session_cache;
use uuid::Uuid;

use crate::session_cache::{append, cache, recorded, revocation, start};
use crate::support::{Backbone, BackboneExt};

#[tokio::test]
async fn the_active_count_follows_starts_and_revocations_and_counts_each_session_once() {
    let backbone = Backbone::start().await;
    let cache = cache(&backbone).await;
    let store = backbone.store();
    let principal = Uuid::now_v7();
    let (first, second) = (Uuid::now_v7(), Uuid::now_v7());
    append(&backbone, principal, 0, start(principal, first)).await;
    append(&backbone, principal, 1, start(principal, second)).await;
    append(&backbone, principal, 2, revocation(first)).await;
    let history = recorded(&backbone, principal).await;
    let epoch = cache.epoch().await.expect("epoch");
    let now = events::now();

    for started in &history[..2] {
        cache.apply(started, &epoch).await.expect("apply");
    }
    cache.apply(&history[0], &epoch).await.expect("redelivered");
    assert_eq!(cache.count_active(now).await.expect("count"), 2);

    cache.apply_existing(&history[2]).await.expect("revoke");
    assert_eq!(cache.count_active(now).await.expect("count"), 1);
    // A rebuild overwrites the entries with the same state: still counted once.
    cache.rebuild(&store, principal).await.expect("rebuild");
    assert_eq!(cache.count_active(now).await.expect("count"), 1);
    // Past the live session's expiry (an hour) nothing is active.
    let later = now + chrono::Duration::minutes(61);
    assert_eq!(cache.count_active(later).await.expect("count"), 0);
}

#[tokio::test]
async fn a_browser_user_agent_reads_back_whole_from_a_compact_hash() {
    let backbone = Backbone::start().await;
    let cache = cache(&backbone).await;
    let principal = Uuid::now_v7();
    let mut started = start(principal, principal);
    if let SessionEvent::Started(s) = &mut started {
        s.user_agent = Some(format!(
            "Mozilla/5.0 (X11; Linux x86_64) {}",
            "é".repeat(150)
        ));
        s.ip = Some("2001:db8::7".into());
    }
    append(&backbone, principal, 0, started).await;
    append(&backbone, principal, 1, revocation(principal)).await;
    let history = recorded(&backbone, principal).await;
    let epoch = cache.epoch().await.expect("epoch");
    for event in &history {
        cache.apply(event, &epoch).await.expect("apply");
    }

    let truth = session_cache::fold(&history)
        .remove(&principal)
        .expect("folded");
    let cached = cache.get(principal, principal).await.expect("get");
    assert_eq!(cached.as_ref(), Some(&truth));
    let listed = cache.sessions_of(principal).await.expect("list");
    assert_eq!(listed, Some((2, vec![truth])));
    let mut redis = backbone.redis.connect().expect("redis");
    let encoding: String = redis::cmd("OBJECT")
        .arg("ENCODING")
        .arg(format!("{}s:{principal}", cache.namespace()))
        .query_async(&mut redis)
        .await
        .expect("encoding");
    assert_eq!(
        encoding, "listpack",
        "a user agent of 300 bytes keeps the hash compact"
    );
}

#[tokio::test]
async fn the_principal_hash_expires_with_its_longest_kept_session() {
    let backbone = Backbone::start().await;
    let cache = cache(&backbone).await;
    let principal = Uuid::now_v7();
    let (short, long) = (Uuid::now_v7(), Uuid::now_v7());
    let mut longer = start(principal, long);
    if let SessionEvent::Started(s) = &mut longer {
        s.expires_at += chrono::Duration::hours(1);
    }
    append(&backbone, principal, 0, longer).await;
    append(&backbone, principal, 1, start(principal, short)).await;
    append(&backbone, principal, 2, revocation(long)).await;
    let history = recorded(&backbone, principal).await;
    let epoch = cache.epoch().await.expect("epoch");
    for event in &history {
        cache.apply(event, &epoch).await.expect("apply");
    }

    let expires_at = |at: usize| match &history[at].event {
        SessionEvent::Started(s) => s.expires_at.timestamp_millis(),
        other => panic!("not a start: {other:?}"),
    };
    let mut redis = backbone.redis.connect().expect("redis");
    let expiry: i64 = redis::cmd("PEXPIRETIME")
        .arg(format!("{}s:{principal}", cache.namespace()))
        .query_async(&mut redis)
        .await
        .expect("expiry");
    assert!(expires_at(0) > expires_at(1));
    assert_eq!(
        expiry,
        expires_at(0),
        "kept until the later session expires, revoked or not"
    );
}
