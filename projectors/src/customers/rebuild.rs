//! Rebuilding the customer directory blue-green: the projection replays the customers' topic
//! from offset 0 into a new generation beside the live one; once caught up, readers switch to
//! it and the old generation's rows are deleted. Events of erased customers replay without
//! their key: they leave no rows, and no dead letter.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde::Serialize;
use sqlx::Connection;
use store::customer_directory::{CustomerDirectory, PROJECTION};
use store::event_store::PgEventStore;
use store::generations;
use tokio_util::sync::CancellationToken;

use super::{CustomerProjection, source};
use crate::cli::RebuildCustomersArgs;
use crate::projection::Mode;
use crate::replay;

/// What a rebuild of the customer directory did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RebuiltCustomers {
    pub from_generation: u32,
    pub generation: u32,
    /// Records consumed per partition to catch up.
    pub partitions: BTreeMap<i32, i64>,
    /// Rows of the previous generation deleted after the switch.
    pub cleared_rows: u64,
}

/// Rebuilds the customer directory from offset 0 of the customers' topic into a new
/// generation (new rows, a new consumer group); once it has caught up with the topic as it
/// was when the rebuild began, switches every reader and the running projector to it and
/// deletes the old rows. Cancelling `shutdown` before the switch leaves the live one untouched.
pub async fn rebuild(
    args: RebuildCustomersArgs,
    shutdown: CancellationToken,
) -> anyhow::Result<RebuiltCustomers> {
    let pool = args.db.pool()?;
    let keys = super::subject_keys(&args.master, &pool)?;
    let guard = replay::lock_rebuild(&pool, PROJECTION).await?;
    let live = generations::live(&pool, PROJECTION).await?;
    let target = generations::allocate(&pool, PROJECTION).await?;
    let fresh = CustomerDirectory::new(pool.clone(), target);
    fresh.clear().await?;
    let store = Arc::new(PgEventStore::new(pool.clone()));
    let projection = CustomerProjection::new(fresh, keys, store);
    let partitions = replay::catch_up(
        &args.kafka,
        &pool,
        Arc::new(projection),
        source(&args.kafka, &args.customers, target, Mode::Replay),
        &args.engine,
        &shutdown,
    )
    .await?;
    generations::switch(&pool, PROJECTION, target, None).await?;
    tracing::info!(
        generation = target,
        "customer directory switched to the rebuilt generation"
    );
    // Every process follows within a poll; the old rows go once none writes them.
    tokio::time::sleep(generations::POLL * 2).await;
    let cleared_rows = CustomerDirectory::new(pool.clone(), live).clear().await?;
    guard.close().await?;
    Ok(RebuiltCustomers {
        from_generation: live,
        generation: target,
        partitions,
        cleared_rows,
    })
}
