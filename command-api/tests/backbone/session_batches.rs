//! Writes made at once go to Redis together, each answered for itself; one the script fails
//! on fails alone; a sender gone with its runtime leaves no write stuck.

use std::time::Duration;

use devtools::testing::TestRedis;
use runtime::redis::RedisArgs;
use store::session_cache::{CacheError, SessionCache, Written};
use uuid::Uuid;

use crate::session_cache::{append, cache, recorded, revocation, start};
use crate::support::Backbone;

/// A cache on `server`, and how to reach it.
fn own_cache(server: &TestRedis) -> (RedisArgs, SessionCache) {
    let redis = RedisArgs {
        url: server.url(),
        key_prefix: "batches:".into(),
    };
    let cache = SessionCache::new(redis.connect().expect("redis"), redis.key_prefix.clone());
    (redis, cache)
}

/// How many scripts Redis has run (`EVAL` and `EVALSHA`).
async fn script_calls(redis: &RedisArgs) -> u64 {
    let mut conn = redis.connect().expect("redis");
    let stats: String = redis::cmd("INFO")
        .arg("commandstats")
        .query_async(&mut conn)
        .await
        .expect("INFO commandstats");
    stats
        .lines()
        .filter(|line| line.starts_with("cmdstat_eval:") || line.starts_with("cmdstat_evalsha:"))
        .filter_map(|line| {
            line.split_once("calls=")?
                .1
                .split(',')
                .next()?
                .parse::<u64>()
                .ok()
        })
        .sum()
}

/// Against a Redis server of the test's own, so the script calls it counts are this test's alone.
#[tokio::test]
async fn writes_made_at_once_share_script_calls_and_each_gets_its_own_answer() {
    let backbone = Backbone::start().await;
    let server = TestRedis::start().await;
    let (redis, cache) = own_cache(&server);
    cache.trust_instance(Some(cache.instance().await.expect("run_id")));
    let principals: Vec<Uuid> = (0..100).map(|_| Uuid::now_v7()).collect();
    let mut histories = Vec::new();
    for &principal in &principals {
        append(&backbone, principal, 0, start(principal, principal)).await;
        append(&backbone, principal, 1, revocation(principal)).await;
        histories.push(recorded(&backbone, principal).await);
    }
    let epoch = cache.epoch().await.expect("epoch");
    let before = script_calls(&redis).await;

    // Half the principals' sessions start; the other half's revocations meet no entry.
    let (started, unknown) = histories.split_at(50);
    let writes = started
        .iter()
        .map(|history| futures::future::Either::Left(cache.apply(&history[0], &epoch)))
        .chain(
            unknown
                .iter()
                .map(|history| futures::future::Either::Right(cache.apply_existing(&history[1]))),
        );
    let written: Vec<Written> = futures::future::join_all(writes)
        .await
        .into_iter()
        .map(|w| w.expect("written"))
        .collect();

    let calls = script_calls(&redis).await - before;
    assert!(
        calls < 10,
        "100 writes made at once took {calls} script calls"
    );
    assert_eq!(written[..50], [Written::Applied; 50]);
    assert_eq!(written[50..], [Written::Missing; 50]);
    for (principal, history) in principals.iter().zip(&histories) {
        let entry = cache.get(*principal, *principal).await.expect("read");
        match started.contains(history) {
            true => assert_eq!(entry.map(|e| e.version), Some(1), "{principal}"),
            false => assert_eq!(entry, None, "{principal}"),
        }
    }
}

#[tokio::test]
async fn a_change_the_script_fails_on_fails_alone() {
    let backbone = Backbone::start().await;
    let cache = cache(&backbone).await;
    let (corrupt, sound) = (Uuid::now_v7(), Uuid::now_v7());
    for principal in [corrupt, sound] {
        append(&backbone, principal, 0, start(principal, principal)).await;
        append(&backbone, principal, 1, revocation(principal)).await;
    }
    let corrupt_history = recorded(&backbone, corrupt).await;
    let sound_history = recorded(&backbone, sound).await;
    let epoch = cache.epoch().await.expect("epoch");
    // An entry no build of the cache writes: a record too short to read.
    let mut conn = backbone.redis.connect().expect("redis");
    let _: () = redis::cmd("HSET")
        .arg(format!("{}s:{corrupt}", cache.namespace()))
        .arg(corrupt.as_bytes().as_slice())
        .arg("x")
        .query_async(&mut conn)
        .await
        .expect("HSET");

    // Made at once, so they queue for the same script call.
    let (failed, written) = tokio::join!(
        cache.apply_existing(&corrupt_history[1]),
        cache.apply(&sound_history[0], &epoch),
    );

    assert!(matches!(failed, Err(CacheError::Redis(_))), "{failed:?}");
    assert_eq!(written.expect("the sound change"), Written::Applied);
    let entry = cache.get(sound, sound).await.expect("read");
    assert_eq!(entry.map(|e| e.version), Some(1));
}

/// The task sending a batch runs on the runtime of the write that started it: shut down while
/// Redis holds its call, it must not leave the cache's later writes with no one to send them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn writes_go_out_after_the_runtime_sending_them_shut_down() {
    let backbone = Backbone::start().await;
    let server = TestRedis::start().await;
    let (redis, cache) = own_cache(&server);
    let (first, second) = (Uuid::now_v7(), Uuid::now_v7());
    for principal in [first, second] {
        append(&backbone, principal, 0, start(principal, principal)).await;
    }
    let first = recorded(&backbone, first).await.remove(0);
    let second = recorded(&backbone, second).await.remove(0);
    let epoch = cache.epoch().await.expect("epoch");
    // Redis holds every write for two seconds.
    let mut conn = redis.connect().expect("redis");
    let _: () = redis::cmd("CLIENT")
        .arg("PAUSE")
        .arg(2000)
        .arg("WRITE")
        .query_async(&mut conn)
        .await
        .expect("CLIENT PAUSE");

    let (other_cache, other_epoch) = (cache.clone(), epoch.clone());
    let held = tokio::task::spawn_blocking(move || {
        let other = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        let write = other_cache.apply(&first, &other_epoch);
        let held = other.block_on(tokio::time::timeout(Duration::from_millis(300), write));
        // Shuts the runtime down, and the task sending the held write with it.
        drop(other);
        held.is_err()
    })
    .await
    .expect("the other runtime");
    assert!(held, "the write was answered while Redis held writes");

    let written = tokio::time::timeout(Duration::from_secs(10), cache.apply(&second, &epoch))
        .await
        .expect("the next write went out")
        .expect("written");
    assert_eq!(written, Written::Applied);
}
