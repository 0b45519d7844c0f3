//! The raw limits of the same run: INSERT + commit into an events-shaped table at the
//! appends' concurrency, and librdkafka produce to the same broker, warmed up first.

use std::time::Instant;

use devtools::testing::TestDatabase;
use futures::future::join_all;
use rdkafka::producer::{FutureProducer, FutureRecord};
use runtime::kafka::KafkaArgs;
use uuid::Uuid;

use crate::{PER_WRITER, WRITERS};

const PRODUCE_RECORDS: usize = 20_000;

/// Rows per second, `WRITERS` connections each inserting (and committing) one row at a time.
pub async fn insert_rate(db: &TestDatabase) -> anyhow::Result<f64> {
    sqlx::query("CREATE TABLE bench_raw_events (LIKE events INCLUDING ALL)")
        .execute(&db.pool)
        .await?;
    let started = Instant::now();
    let writers = (0..WRITERS).map(|w| {
        let pool = db.pool.clone();
        async move {
            let stream = format!("sessions-{}", Uuid::now_v7());
            for version in 1..=PER_WRITER as i64 {
                sqlx::query(
                    "INSERT INTO bench_raw_events \
                     (event_id, stream_id, version, event_type, payload, metadata) \
                     VALUES ($1, $2, $3, 'session.refreshed.v1', $4, $5)",
                )
                .bind(Uuid::now_v7())
                .bind(&stream)
                .bind(version)
                .bind(serde_json::json!({ "writer": w, "version": version }))
                .bind(serde_json::json!({ "correlation_id": Uuid::now_v7() }))
                .execute(&pool)
                .await?;
            }
            anyhow::Ok(())
        }
    });
    join_all(writers)
        .await
        .into_iter()
        .collect::<Result<Vec<_>, _>>()?;
    Ok((WRITERS * PER_WRITER) as f64 / started.elapsed().as_secs_f64())
}

/// Records per second of an idempotent producer (acks=all, 400-byte records, all in flight,
/// then all acknowledged). The first pass warms the broker's JVM and the producer; the second
/// is the figure.
pub async fn produce_rate(kafka: &KafkaArgs) -> anyhow::Result<f64> {
    let producer: FutureProducer = kafka
        .client_config()
        .set("enable.idempotence", "true")
        .set("acks", "all")
        .set("linger.ms", "2")
        .create()?;
    let topic = format!("{}raw", kafka.topic_prefix);
    let payload = vec![7u8; 400];
    let mut rate = 0.0;
    for _pass in 0..2 {
        let started = Instant::now();
        let mut deliveries = Vec::with_capacity(PRODUCE_RECORDS);
        for i in 0..PRODUCE_RECORDS {
            let key = format!("sessions-{}", i % 64);
            let record = FutureRecord::to(&topic).key(&key).payload(&payload);
            deliveries.push(producer.send_result(record).map_err(|(e, _)| e)?);
        }
        for delivery in deliveries {
            delivery.await?.map_err(|(e, _)| e)?;
        }
        rate = PRODUCE_RECORDS as f64 / started.elapsed().as_secs_f64();
    }
    Ok(rate)
}
