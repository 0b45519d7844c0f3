//! A **development stand-in** for the Confluent Schema Registry, for local runs and tests where
//! no Confluent registry can be installed. docker-compose and production use the real Confluent
//! Schema Registry; nothing here is meant to replace it.
//!
//! It speaks the subset of Confluent's REST API that `schema_registry_converter` and the
//! Confluent Java serializers use: registering and looking up schemas under subjects, schemas
//! by global id, subject versions, compatibility checks and levels (`/config`). Only AVRO
//! schemas without references are kept. The same schema gets the same global id under every
//! subject, and ids survive restarts: everything lives in the registry's own Postgres database
//! (`schema_registry` by default), created and migrated by [`prepare`].
//!
//! Run it as the `dev-registry` binary, or in-process with [`serve`] or [`start`].

pub mod compat;
mod error;
mod routes;
mod store;
mod wire;

use std::time::Duration;

use sqlx::migrate::{MigrateDatabase, MigrateError, Migrator};
use sqlx::postgres::{PgPool, PgPoolOptions, Postgres};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;
use tokio_util::sync::{CancellationToken, DropGuard};

pub use compat::{Level, UnknownLevel, Version, check, incompatibilities};
pub use error::RegistryError;
pub use store::{Store, SubjectVersion};
pub use wire::CONTENT_TYPE;

/// The registry's own migrations, embedded from `devtools/migrations/`.
pub static MIGRATOR: Migrator = sqlx::migrate!("./migrations");

/// Why the registry could not start or stopped serving.
#[derive(Debug, thiserror::Error)]
pub enum SetupError {
    #[error("registry database: {0}")]
    Database(#[from] sqlx::Error),
    #[error("registry migrations: {0}")]
    Migrate(#[from] MigrateError),
    #[error("registry listener: {0}")]
    Listen(#[source] std::io::Error),
    #[error("registry server: {0}")]
    Serve(#[source] std::io::Error),
    #[error("registry task: {0}")]
    Task(#[from] tokio::task::JoinError),
}

/// Creates the database of `database_url` if it does not exist, applies the registry's
/// migrations and returns a pool on it.
pub async fn prepare(database_url: &str) -> Result<PgPool, SetupError> {
    if !Postgres::database_exists(database_url).await?
        && let Err(e) = Postgres::create_database(database_url).await
        // Another process may have created it between our check and our attempt.
        && !Postgres::database_exists(database_url).await?
    {
        return Err(e.into());
    }
    let pool = PgPoolOptions::new()
        .max_connections(8)
        .acquire_timeout(Duration::from_secs(5))
        .connect(database_url)
        .await?;
    MIGRATOR.run(&pool).await?;
    Ok(pool)
}

/// The registry's routes on `pool`, without a listener.
pub fn router(pool: PgPool) -> axum::Router {
    routes::router(Store::new(pool))
}

/// Serves the registry on `listener` until `shutdown` is cancelled, then lets in-flight
/// requests finish.
pub async fn serve(
    listener: TcpListener,
    pool: PgPool,
    shutdown: CancellationToken,
) -> Result<(), SetupError> {
    let address = listener.local_addr().map_err(SetupError::Listen)?;
    tracing::info!(%address, "dev schema registry listening");
    axum::serve(listener, router(pool))
        .with_graceful_shutdown(shutdown.cancelled_owned())
        .await
        .map_err(SetupError::Serve)
}

/// A registry served in-process on a free local port, e.g. by tests.
#[derive(Debug)]
pub struct Running {
    url: String,
    shutdown: DropGuard,
    task: JoinHandle<Result<(), SetupError>>,
}

/// Serves the registry on `127.0.0.1:0` in a background task. Dropping the [`Running`] stops
/// it; [`Running::stop`] also waits until it has stopped.
pub async fn start(pool: PgPool) -> Result<Running, SetupError> {
    let listener = TcpListener::bind("127.0.0.1:0")
        .await
        .map_err(SetupError::Listen)?;
    let address = listener.local_addr().map_err(SetupError::Listen)?;
    let shutdown = CancellationToken::new();
    let task = tokio::spawn(serve(listener, pool, shutdown.clone()));
    Ok(Running {
        url: format!("http://{address}"),
        shutdown: shutdown.drop_guard(),
        task,
    })
}

impl Running {
    /// The base URL, e.g. `http://127.0.0.1:40123`.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Stops accepting requests and waits for the server to finish the ones in flight.
    pub async fn stop(self) -> Result<(), SetupError> {
        drop(self.shutdown);
        self.task.await?
    }
}
