//! Rebuilding the directory blue-green: both projections replay their topics from offset 0
//! into a new generation of the tables beside the live one; once both have caught up, readers
//! switch to it and the old generation's rows are deleted.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde::Serialize;
use sqlx::Connection;
use store::directory::{Directory, PROJECTION};
use store::event_store::PgEventStore;
use store::generations;
use tokio_util::sync::CancellationToken;

use super::{DirectoryProjection, Side, source};
use crate::cli::RebuildDirectoryArgs;
use crate::projection::Mode;
use crate::replay;

/// What a rebuild of the directory did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RebuiltDirectory {
    pub from_generation: u32,
    pub generation: u32,
    /// Records consumed per topic and partition to catch up.
    pub partitions: BTreeMap<String, BTreeMap<i32, i64>>,
    /// Rows of the previous generation deleted after the switch.
    pub cleared_rows: u64,
}

/// Rebuilds the directory from offset 0 of the users' and roles' topics into a new generation
/// (new rows, new consumer groups); once both have caught up with their topics as they were
/// when the rebuild began, switches every reader and the running projectors to it and deletes
/// the old rows. Cancelling `shutdown` before the switch leaves the live one untouched.
pub async fn rebuild(
    args: RebuildDirectoryArgs,
    shutdown: CancellationToken,
) -> anyhow::Result<RebuiltDirectory> {
    let pool = args.db.pool()?;
    let guard = replay::lock_rebuild(&pool, PROJECTION).await?;
    let live = generations::live(&pool, PROJECTION).await?;
    let target = generations::allocate(&pool, PROJECTION).await?;
    let fresh = Directory::new(pool.clone(), target);
    fresh.clear().await?;
    let store = Arc::new(PgEventStore::new(pool.clone()));
    let mut partitions = BTreeMap::new();
    for side in Side::BOTH {
        let source = source(&args.kafka, &args.directory, side, target, Mode::Replay);
        let topic = source.topic.clone();
        let projection = DirectoryProjection::new(side, fresh.clone(), store.clone());
        let caught_up = replay::catch_up(
            &args.kafka,
            &pool,
            Arc::new(projection),
            source,
            &args.engine,
            &shutdown,
        )
        .await?;
        partitions.insert(topic, caught_up);
    }
    generations::switch(&pool, PROJECTION, target, None).await?;
    tracing::info!(
        generation = target,
        "directory switched to the rebuilt generation"
    );
    // Every process follows within a poll; the old rows go once none writes them.
    tokio::time::sleep(generations::POLL * 2).await;
    let cleared_rows = Directory::new(pool.clone(), live).clear().await?;
    guard.close().await?;
    Ok(RebuiltDirectory {
        from_generation: live,
        generation: target,
        partitions,
        cleared_rows,
    })
}
