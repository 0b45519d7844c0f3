//! Reads of the session cache, through `read.lua`: each one answers only from the Redis
//! instance the live generation was filled in (see [`crate::generations`]), and reports
//! [`CacheError::Distrusted`] otherwise, so the caller reads the event store instead.

use std::collections::HashMap;

use redis::{FromRedisValue, Value};
use uuid::Uuid;

use super::keys::Keys;
use super::{CacheError, CachedSession, SessionCache};

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

    pub async fn get(&self, session_id: Uuid) -> Result<Option<CachedSession>, CacheError> {
        let keys = self.keys();
        let read = self
            .read(&keys, &[keys.session(session_id)], "entry")
            .await?;
        let fields: HashMap<String, String> = parse(read)?;
        Ok(CachedSession::from_fields(session_id, &fields))
    }

    /// The stream version the cache reflects for `principal_id`; `None` if it holds nothing of
    /// the principal (never cached, expired or flushed).
    pub async fn applied_version(&self, principal_id: Uuid) -> Result<Option<i64>, CacheError> {
        let keys = self.keys();
        let read = self
            .read(&keys, &[keys.index(principal_id)], "version")
            .await?;
        parse(read)
    }

    /// Every cached session of `principal_id` with the stream version the cache reflects for
    /// it, read atomically; `None` if the cache holds nothing of it.
    pub async fn sessions_of(
        &self,
        principal_id: Uuid,
    ) -> Result<Option<(i64, Vec<CachedSession>)>, CacheError> {
        let keys = self.keys();
        let read = self
            .read(&keys, &[keys.index(principal_id)], "sessions")
            .await?;
        Ok(parse::<Option<Value>>(read)?
            .map(parse_sessions)
            .transpose()?)
    }

    async fn read(
        &self,
        namespace: &Keys,
        keys: &[String],
        what: &str,
    ) -> Result<Value, CacheError> {
        self.read_with(keys, what, &namespace.session_prefix())
            .await
    }

    /// Runs `read.lua` for `what` on `keys`, with `prefix` the key prefix of the hashes it
    /// reads by id.
    pub(super) async fn read_with(
        &self,
        keys: &[String],
        what: &str,
        prefix: &str,
    ) -> Result<Value, CacheError> {
        let mut invocation = self.read_script.prepare_invoke();
        for key in keys {
            invocation.key(key);
        }
        invocation
            .arg(self.trusted_instance().as_deref().unwrap_or_default())
            .arg(what)
            .arg(prefix);
        let mut conn = self.conn.clone();
        match invocation.invoke_async(&mut conn).await? {
            Value::Int(-1) => Err(CacheError::Distrusted),
            value => Ok(value),
        }
    }
}

fn parse<T: FromRedisValue>(value: Value) -> Result<T, CacheError> {
    Ok(T::from_redis_value(value).map_err(redis::RedisError::from)?)
}

/// The answer of a "sessions" read: the version, then the id and fields of each entry.
fn parse_sessions(value: Value) -> Result<(i64, Vec<CachedSession>), redis::RedisError> {
    let mut items = Vec::<Value>::from_redis_value(value)?.into_iter();
    let version = i64::from_redis_value(
        items
            .next()
            .ok_or((redis::ErrorKind::UnexpectedReturnType, "empty session read"))?,
    )?;
    let mut sessions = Vec::new();
    while let (Some(id), Some(fields)) = (items.next(), items.next()) {
        let id = String::from_redis_value(id)?;
        let fields = HashMap::<String, String>::from_redis_value(fields)?;
        if let Some(session) = id
            .parse()
            .ok()
            .and_then(|id| CachedSession::from_fields(id, &fields))
        {
            sessions.push(session);
        }
    }
    Ok((version, sessions))
}
