//! Redis restored from an older snapshot holds sessions as they were then, some revoked since.
//! Readers notice that Redis is another instance than the one the cache was filled in (its
//! `run_id`, against the one the projector recorded in Postgres), read the event store until
//! the projector has cleared and refilled the cache, and never report a revoked session active.

use std::time::{Duration, Instant};

use serde_json::Value;
use store::generations;
use store::session_cache::SessionCache;
use uuid::Uuid;

use crate::support::{Options, Platform, TIMEOUT, access};
use devtools::testing::eventually;

const USER: &str = "restored@example.test";
const PASSWORD: &str = "a passphrase long enough";

/// How long the restored Redis is watched for a wrong answer right after it comes back.
const WATCH: Duration = Duration::from_secs(3);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_restored_from_an_old_snapshot_never_reports_a_revoked_session_active() {
    let mut platform = Platform::start_with(Options {
        private_redis: true,
        ..Options::default()
    })
    .await;
    let cache = SessionCache::new(
        platform.stack.redis.connect().expect("redis"),
        platform.stack.redis.key_prefix.clone(),
    );
    let before = cache.instance().await.expect("run_id");
    until_trusted(&platform, &before).await;

    // Two principals: reading one never re-warms the other's entries.
    platform.register_user(USER, PASSWORD).await;
    let kept = platform.admin_session().await;
    let revoked = platform.session_of(USER, PASSWORD).await;
    platform.until_active(access(&kept), true).await;
    platform.until_active(access(&revoked), true).await;
    let old = platform.redis_server().snapshot("before-logout").await;

    assert_eq!(platform.logout(access(&revoked)).await.status(), 204);
    platform.until_active(access(&revoked), false).await;
    platform.redis_server().restore(&old).await;
    // The clients' first calls after the restart meet dropped connections.
    let after = eventually(TIMEOUT, "Redis to answer again", || async {
        cache.instance().await.ok()
    })
    .await;
    assert_ne!(after, before, "a restarted Redis is another instance");
    for _ in 0..5 {
        assert_eq!(platform.introspect(access(&kept)).await["active"], true);
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

    // The restored Redis holds the revoked session as active: nobody may read it from there.
    let started = Instant::now();
    while started.elapsed() < WATCH {
        let answer = platform.introspect(access(&revoked)).await;
        assert_eq!(answer["active"], false, "a revoked session reported active");
        assert_eq!(platform.introspect(access(&kept)).await["active"], true);
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

    // The projector refills the cache in the new instance and readers trust it again: what it
    // holds is what the event store says.
    until_trusted(&platform, &after).await;
    cache.trust_instance(Some(after));
    let (kept_sid, kept_sub) = session_of(&platform, &kept).await;
    let cached = cache.get(kept_sub, kept_sid).await.expect("a trusted read");
    assert!(
        cached.is_some_and(|s| s.revoked.is_none()),
        "the live session is refilled"
    );
    assert_eq!(platform.introspect(access(&revoked)).await["active"], false);
    assert_eq!(platform.introspect(access(&kept)).await["active"], true);
}

async fn until_trusted(platform: &Platform, instance: &str) {
    eventually(
        TIMEOUT,
        "the projector to trust the Redis instance",
        || async {
            let live = generations::live_state(&platform.stack.db.pool, generations::PROJECTION)
                .await
                .ok()?;
            (live.instance.as_deref() == Some(instance)).then_some(())
        },
    )
    .await;
}

/// The session and principal ids of a login's access token, as introspection names them.
async fn session_of(platform: &Platform, session: &Value) -> (Uuid, Uuid) {
    let answer = platform.introspect(access(session)).await;
    let id = |claim: &str| {
        answer[claim]
            .as_str()
            .and_then(|s| s.parse().ok())
            .expect("introspection names the session and its principal")
    };
    (id("sid"), id("sub"))
}
