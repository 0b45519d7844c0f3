//! Reads of the session cache, through `read.lua`: each one answers only from the Redis
//! instance the live generation was filled in (see [`crate::generations`]), and reports
//! [`CacheError::Distrusted`] otherwise, so the caller reads the event store instead.

use chrono::Utc;
use redis::{FromRedisValue, Value};
use uuid::Uuid;

use super::{CacheError, CachedSession, SessionCache, entry};

impl SessionCache {
    /// The `run_id` of the Redis server answering now (new at every start of it).
    pub async fn instance(&self) -> Result<String, CacheError> {
        let mut conn = self.conn.clone();
        let info: String = redis::cmd("INFO")
            .arg("server")
            .query_async(&mut conn)
            .await?;
        info.lines()
            .find_map(|line| line.strip_prefix("run_id:"))
            .map(|id| id.trim().to_owned())
            .ok_or_else(|| {
                CacheError::Redis(
                    (
                        redis::ErrorKind::UnexpectedReturnType,
                        "INFO without run_id",
                    )
                        .into(),
                )
            })
    }

    /// The cached entry of `session_id`, a session of `principal_id`; `None` if the cache
    /// lacks it.
    pub async fn get(
        &self,
        principal_id: Uuid,
        session_id: Uuid,
    ) -> Result<Option<CachedSession>, CacheError> {
        let keys = [self.keys().sessions(principal_id)];
        let read = self
            .read_with(&keys, "entry", &[session_id.as_bytes()])
            .await?;
        let parts: Vec<Option<Vec<u8>>> = parse(read)?;
        Ok(entry_of(principal_id, session_id, parts))
    }

    /// The stream version the cache reflects for `principal_id`; `None` if it holds nothing of
    /// the principal (never cached, expired or flushed).
    pub async fn applied_version(&self, principal_id: Uuid) -> Result<Option<i64>, CacheError> {
        let keys = [self.keys().sessions(principal_id)];
        parse(self.read_with(&keys, "version", &[]).await?)
    }

    /// Every cached session of `principal_id` with the stream version the cache reflects for
    /// it, read atomically; `None` if the cache holds nothing of it.
    pub async fn sessions_of(
        &self,
        principal_id: Uuid,
    ) -> Result<Option<(i64, Vec<CachedSession>)>, CacheError> {
        let keys = [self.keys().sessions(principal_id)];
        let hash: Vec<(Vec<u8>, Vec<u8>)> = parse(self.read_with(&keys, "sessions", &[]).await?)?;
        Ok(entry::decode_all(principal_id, hash, Utc::now()))
    }

    /// Runs `read.lua` for `what` on `keys`, with `args` what it takes after them (see it).
    pub(super) async fn read_with(
        &self,
        keys: &[String],
        what: &str,
        args: &[&[u8]],
    ) -> Result<Value, CacheError> {
        let mut invocation = self.read_script.prepare_invoke();
        for key in keys {
            invocation.key(key);
        }
        invocation
            .arg(self.trusted_instance().as_deref().unwrap_or_default())
            .arg(what);
        for arg in args {
            invocation.arg(arg);
        }
        let mut conn = self.conn.clone();
        match invocation.invoke_async(&mut conn).await? {
            Value::Int(-1) => Err(CacheError::Distrusted),
            value => Ok(value),
        }
    }
}

pub(super) fn parse<T: FromRedisValue>(value: Value) -> Result<T, CacheError> {
    Ok(T::from_redis_value(value).map_err(redis::RedisError::from)?)
}

/// The entry of an "entry" read's answer: its parts, in the order `entry::decode` takes.
pub(super) fn entry_of(
    principal_id: Uuid,
    session_id: Uuid,
    parts: Vec<Option<Vec<u8>>>,
) -> Option<CachedSession> {
    entry::decode(principal_id, session_id, parts, Utc::now())
}
