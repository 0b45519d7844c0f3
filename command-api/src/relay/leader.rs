//! Only one relay publishes at a time: the leader holds a session-level advisory lock on a
//! dedicated connection (not pooled, no open transaction, so it holds back no horizon). When
//! the leader dies its connection closes, Postgres releases the lock and a waiting relay wins it.

use sqlx::postgres::{PgConnectOptions, PgConnection};
use sqlx::{ConnectOptions, Connection};

#[derive(Debug)]
pub struct Leadership {
    connection: PgConnection,
}

impl Leadership {
    /// Tries once to become the leader of relay `name`.
    pub async fn try_acquire(
        options: &PgConnectOptions,
        name: &str,
    ) -> Result<Option<Self>, sqlx::Error> {
        let mut connection = options.connect().await?;
        let acquired: bool =
            sqlx::query_scalar("SELECT pg_try_advisory_lock(hashtextextended('relay:' || $1, 0))")
                .bind(name)
                .fetch_one(&mut connection)
                .await?;
        if acquired {
            Ok(Some(Self { connection }))
        } else {
            connection.close().await?;
            Ok(None)
        }
    }

    /// Fails if the lock's connection is gone, i.e. leadership may have passed to another relay.
    pub async fn confirm(&mut self) -> Result<(), sqlx::Error> {
        self.connection.ping().await
    }
}
