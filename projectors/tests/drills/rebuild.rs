//! Rebuilding the session cache from offset 0 into a new generation, blue-green.

use std::collections::BTreeMap;

use devtools::testing::eventually;
use redis::aio::ConnectionManager;
use store::generations;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use crate::support::{Drill, Running, TIMEOUT, rebuild_args};

/// Every key under `namespace` (the namespace cut off) with its content; the fill marker (a
/// timestamp) and the epoch (a random mark) are left out.
async fn dump(conn: &ConnectionManager, namespace: &str) -> BTreeMap<String, Vec<String>> {
    let mut conn = conn.clone();
    let keys: Vec<String> = redis::cmd("KEYS")
        .arg(format!("{namespace}*"))
        .query_async(&mut conn)
        .await
        .expect("keys");
    let mut all = BTreeMap::new();
    for key in keys {
        let name = key.trim_start_matches(namespace).to_owned();
        if name.ends_with(":filled") || name == "epoch" {
            continue;
        }
        let kind: String = redis::cmd("TYPE")
            .arg(&key)
            .query_async(&mut conn)
            .await
            .expect("type");
        let mut content: Vec<String> = match kind.as_str() {
            "hash" => {
                // Entries are binary (16-byte session ids, packed records): compared as bytes.
                let fields: BTreeMap<Vec<u8>, Vec<u8>> = redis::cmd("HGETALL")
                    .arg(&key)
                    .query_async(&mut conn)
                    .await
                    .expect("hash");
                fields
                    .into_iter()
                    .map(|(k, v)| format!("{k:?}={v:?}"))
                    .collect()
            }
            "set" => redis::cmd("SMEMBERS")
                .arg(&key)
                .query_async(&mut conn)
                .await
                .expect("set"),
            "zset" => {
                let scored: Vec<(Vec<u8>, String)> = redis::cmd("ZRANGE")
                    .arg(&key)
                    .arg(0)
                    .arg(-1)
                    .arg("WITHSCORES")
                    .query_async(&mut conn)
                    .await
                    .expect("sorted set");
                scored
                    .into_iter()
                    .map(|(m, s)| format!("{m:?}={s}"))
                    .collect()
            }
            _ => vec![
                redis::cmd("GET")
                    .arg(&key)
                    .query_async(&mut conn)
                    .await
                    .expect("string"),
            ],
        };
        content.sort();
        all.insert(name, content);
    }
    all
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rebuild_from_offset_zero_equals_the_live_state_key_by_key_then_takes_over() {
    let drill = Drill::start().await;
    let redis = drill.stack.redis.clone();
    let conn = redis.connect().expect("redis");
    let live = drill.cache(&redis);
    let run = drill.run_args(&redis);
    let projectors = Running::start(run.clone()).await;

    let principals: Vec<Uuid> = (0..6).map(|_| Uuid::now_v7()).collect();
    for (i, p) in principals.iter().enumerate() {
        let first = drill.start_session(*p).await;
        let second = drill.start_session(*p).await;
        drill.refresh(*p, second).await;
        if i % 2 == 0 {
            drill.revoke(*p, first).await;
        }
    }
    drill.wait_until_cache_matches(&live).await;
    let prefix = &redis.key_prefix;
    let incremental = dump(&conn, &format!("{prefix}g0:")).await;
    // One hash per principal, and the counts of active sessions by the second they end.
    assert_eq!(
        incremental.len(),
        principals.len() + 1,
        "the live cache holds the sessions"
    );

    let rebuilt = projectors::ops::rebuild(rebuild_args(&run), CancellationToken::new())
        .await
        .expect("rebuild");
    assert_eq!((rebuilt.from_generation, rebuilt.generation), (0, 1));
    let replayed = dump(&conn, &format!("{prefix}g1:")).await;
    assert_eq!(
        replayed, incremental,
        "the rebuild equals the live state, key by key"
    );
    assert_eq!(
        generations::live(&drill.stack.db.pool, generations::PROJECTION)
            .await
            .expect("live generation"),
        1
    );
    assert!(
        dump(&conn, &format!("{prefix}g0:")).await.is_empty(),
        "the old generation is gone"
    );

    // The running projector moved to the new generation and its consumer group.
    let next = live.on_generation(1);
    let p = principals[0];
    let session = drill.start_session(p).await;
    eventually(
        TIMEOUT,
        "the live projector to write the new generation",
        || async { next.get(p, session).await.ok().flatten() },
    )
    .await;
    assert!(drill.cache_matches(&next, p).await);

    projectors.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_rebuild_is_refused_while_one_runs() {
    let drill = Drill::start().await;
    let run = drill.run_args(&drill.stack.redis);
    // A rebuild in another process holds the lock.
    let mut other = drill.stack.db.detached().await;
    let held: bool = sqlx::query_scalar(projectors::replay::REBUILD_LOCK)
        .bind("session-cache")
        .fetch_one(&mut other)
        .await
        .expect("lock");
    assert!(held);

    let args = rebuild_args(&run);
    let refused = projectors::ops::rebuild(args.clone(), CancellationToken::new())
        .await
        .expect_err("refused");
    assert!(refused.to_string().contains("another rebuild"), "{refused}");
    assert_eq!(
        generations::live(&drill.stack.db.pool, generations::PROJECTION)
            .await
            .expect("live generation"),
        0,
        "nothing switched"
    );

    sqlx::Connection::close(other).await.expect("released");
    let rebuilt = projectors::ops::rebuild(args, CancellationToken::new())
        .await
        .expect("the lock is free again");
    assert_eq!(rebuilt.generation, 1);
}
