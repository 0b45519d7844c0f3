//! Bulk-loading sessions into the event store, and reading what they cost in Redis and Postgres.

use devtools::procfs;
use events::sessions::{SessionEvent, SessionRefreshed, SessionStarted};
use events::topics::Category;
use events::{Actor, EventMetadata, PrincipalType};
use futures::future::join_all;
use runtime::redis::RedisArgs;
use sqlx::PgPool;
use store::event_store::{EventStore, NewEvent, PgEventStore, StreamAppend, Transaction};
use uuid::Uuid;

const PER_TRANSACTION: usize = 200;
const LOADERS: usize = 4;
/// What a current desktop browser sends (111 bytes): the cache holds each session's.
const BROWSER: &str = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) \
                       Chrome/131.0.0.0 Safari/537.36";

/// `sessions` principals with one live session each: started, then refreshed twice.
pub async fn sessions(pool: &PgPool, sessions: usize) -> anyhow::Result<()> {
    let store = PgEventStore::new(pool.clone());
    let loaders = (0..LOADERS).map(|loader| {
        let store = store.clone();
        async move {
            let mine = (loader..sessions.div_ceil(PER_TRANSACTION)).step_by(LOADERS);
            for batch in mine {
                let count = PER_TRANSACTION.min(sessions - batch * PER_TRANSACTION);
                let appends = (0..count)
                    .map(|_| session_stream(Uuid::now_v7()))
                    .collect::<anyhow::Result<Vec<_>>>()?;
                store
                    .commit(Transaction {
                        appends,
                        writes: Vec::new(),
                    })
                    .await?;
            }
            anyhow::Ok(())
        }
    });
    join_all(loaders)
        .await
        .into_iter()
        .collect::<anyhow::Result<Vec<_>>>()?;
    Ok(())
}

fn session_stream(principal_id: Uuid) -> anyhow::Result<StreamAppend> {
    let now = events::now();
    let session_id = Uuid::now_v7();
    let started = SessionEvent::Started(SessionStarted {
        session_id,
        principal_id,
        principal_type: PrincipalType::Customer,
        refresh_token_hash: format!("{:064x}", 1),
        user_agent: Some(BROWSER.into()),
        ip: Some("203.0.113.7".into()),
        started_at: now,
        idle_timeout_secs: 1800,
        expires_at: now + chrono::Duration::hours(10),
    });
    let mut events = vec![started];
    for n in 2..=3u32 {
        events.push(SessionEvent::Refreshed(SessionRefreshed {
            session_id,
            refresh_token_hash: format!("{n:064x}"),
            refreshed_at: now,
        }));
    }
    let metadata = || EventMetadata::new(Some(Actor::Customer(principal_id)));
    Ok(StreamAppend {
        stream_id: Category::Sessions.stream_id(principal_id),
        expected_version: 0,
        events: events
            .iter()
            .map(|e| NewEvent::new(e, metadata()))
            .collect::<Result<_, _>>()?,
    })
}

/// Redis's `used_memory`, in bytes.
pub async fn redis_used_memory(redis: &RedisArgs) -> anyhow::Result<u64> {
    let mut conn = redis.connect()?;
    let info: String = redis::cmd("INFO")
        .arg("memory")
        .query_async(&mut conn)
        .await?;
    info.lines()
        .find_map(|l| l.strip_prefix("used_memory:"))
        .and_then(|v| v.trim().parse().ok())
        .ok_or_else(|| anyhow::anyhow!("INFO memory without used_memory"))
}

/// CPU seconds used so far by this process, the broker (every `java` process) and Redis.
pub async fn cpu_seconds(redis: &RedisArgs) -> anyhow::Result<[f64; 3]> {
    let mut conn = redis.connect()?;
    let info: String = redis::cmd("INFO").arg("cpu").query_async(&mut conn).await?;
    Ok([
        procfs::cpu_seconds(std::process::id())?,
        procfs::cpu_seconds_of_every("java")?,
        procfs::redis_cpu_seconds(&info),
    ])
}

/// The bytes of the `events` table (with TOAST) and of its indexes.
pub async fn events_size(pool: &PgPool) -> anyhow::Result<(i64, i64)> {
    Ok(
        sqlx::query_as("SELECT pg_table_size('events'), pg_indexes_size('events')")
            .fetch_one(pool)
            .await?,
    )
}
