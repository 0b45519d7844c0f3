//! The customer export's memory, however long the history: one customer whose stream grows to
//! 1,000, 10,000 and 100,000 events is exported over HTTP by the query-api process, the body
//! read and counted as it arrives, never held. For each size: the document's bytes, the time,
//! and how far query-api's peak RSS rose above its RSS before the export (the kernel's
//! high-water mark, reset before each export). A bounded export keeps the rise flat
//! while the document grows a hundredfold.
//!
//! Run: `./dev bench export` (it builds the servers' release binaries the bench starts).
//! Prints a Markdown table.
#![allow(clippy::print_stdout, clippy::unwrap_used)]

#[allow(dead_code)]
#[path = "../auth/platform/mod.rs"]
mod platform;

use std::time::Instant;

use command_api::auth::passwords::PasswordArgs;
use devtools::procfs;
use events::EventMetadata;
use events::customers::{Channel, CustomerConsentChanged, CustomerEvent};
use events::topics::Category;
use serde_json::{Value, json};
use store::event_store::{EventStore, NewEvent, PgEventStore};
use uuid::Uuid;

const SIZES: [i64; 3] = [1_000, 10_000, 100_000];
/// Events appended per transaction while the history grows.
const BATCH: i64 = 1_000;

#[tokio::main(worker_threads = 2)]
async fn main() -> anyhow::Result<()> {
    let platform = platform::Platform::start(PasswordArgs::default()).await?;
    let (customer_id, token) = customer(&platform).await?;
    let store = PgEventStore::new(platform.stack.db.pool.clone());
    let stream = Category::Customers.stream_id(customer_id);
    let mut version = store.read_stream(&stream, 1).await?.len() as i64;
    let query_api = platform.servers.iter().find(|s| s.name == "query-api");
    let query_api = query_api.map(platform::Server::pid).unwrap_or_default();

    println!("\n| events | document MB | seconds | MB/s | RSS before MB | peak rise MB |");
    println!("|---|---|---|---|---|---|");
    for size in SIZES {
        while version < size {
            let batch = (size - version).min(BATCH);
            let events = (0..batch)
                .map(|i| consent(customer_id, (version + i) % 2 == 0))
                .collect::<Result<Vec<_>, _>>()?;
            store.append(&stream, version, events).await?;
            version += batch;
        }
        platform.settle().await?;
        let before = procfs::rss_mb(query_api)?;
        procfs::reset_peak(query_api)?;
        let started = Instant::now();
        let bytes = export(&platform, customer_id, &token).await?;
        let seconds = started.elapsed().as_secs_f64();
        let peak = procfs::peak_mb(query_api)?;
        let mb = bytes as f64 / 1e6;
        println!(
            "| {size} | {mb:.1} | {seconds:.2} | {:.1} | {:.0} | {:.1} |",
            mb / seconds,
            before,
            (peak - before).max(0.0)
        );
    }
    Ok(())
}

/// A customer signed up and logged in: its id and access token.
async fn customer(platform: &platform::Platform) -> anyhow::Result<(Uuid, String)> {
    let base = format!("http://{}", platform.command);
    let (email, password) = ("exporter@bench.test", "a long bench passphrase");
    let signed_up: Value = reqwest::Client::new()
        .post(format!("{base}/v1/customers"))
        .json(&json!({ "email": email, "password": password, "name": "Exporter" }))
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    let customer_id = signed_up["customer_id"]
        .as_str()
        .unwrap_or_default()
        .parse()?;
    let session = platform.login(email, password).await?;
    let token = session["access_token"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    Ok((customer_id, token))
}

fn consent(customer_id: Uuid, granted: bool) -> Result<NewEvent, events::EventError> {
    let event = CustomerEvent::ConsentChanged(CustomerConsentChanged {
        customer_id,
        channel: Channel::Email,
        granted,
        changed_at: events::now(),
    });
    NewEvent::new(&event, EventMetadata::new(None))
}

/// Streams the export and counts its bytes.
async fn export(platform: &platform::Platform, id: Uuid, token: &str) -> anyhow::Result<usize> {
    let mut response = reqwest::Client::new()
        .get(format!(
            "http://{}/v1/customers/{id}/export",
            platform.query
        ))
        .bearer_auth(token)
        .send()
        .await?
        .error_for_status()?;
    let mut bytes = 0;
    while let Some(chunk) = response.chunk().await? {
        bytes += chunk.len();
    }
    Ok(bytes)
}
