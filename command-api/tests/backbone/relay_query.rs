//! The relay's batch query reads the commit-order index and sorts nothing: a plan that sorted
//! the events after the checkpoint would read every one of them for each batch of 500, and a
//! backlog would drain in quadratic time (the relay drained 300k events at 7k/s, 30k at 31k/s,
//! while its `ORDER BY` named the text-cast output column instead of the indexed one).

use devtools::testing::TestDatabase;

const EXPLAIN_BATCH: &str = concat!(
    "EXPLAIN (FORMAT JSON) ",
    include_str!("../../src/relay/batch.sql")
);

/// Every node type of a JSON plan.
fn nodes(plan: &serde_json::Value, found: &mut Vec<String>) {
    if let Some(kind) = plan.get("Node Type").and_then(|k| k.as_str()) {
        found.push(kind.to_owned());
    }
    for child in plan
        .get("Plans")
        .and_then(|p| p.as_array())
        .into_iter()
        .flatten()
    {
        nodes(child, found);
    }
}

#[tokio::test]
async fn the_batch_query_walks_the_commit_order_index_without_sorting() {
    let db = TestDatabase::create().await;
    let mut conn = db.pool.acquire().await.expect("connection");
    // On an empty table any plan is cheap. With scans other than the index's, and sorts,
    // priced out, a sort remains only where the index cannot give the order by itself.
    for setting in [
        "SET enable_seqscan = off",
        "SET enable_bitmapscan = off",
        "SET enable_sort = off",
    ] {
        sqlx::query(setting).execute(&mut *conn).await.expect("set");
    }
    let (plan,): (serde_json::Value,) = sqlx::query_as(EXPLAIN_BATCH)
        .bind("0")
        .bind(0_i64)
        .bind(500_i64)
        .fetch_one(&mut *conn)
        .await
        .expect("explain");
    let mut found = Vec::new();
    nodes(&plan[0]["Plan"], &mut found);
    assert!(!found.iter().any(|n| n.contains("Sort")), "{found:?}");
    let text = plan.to_string();
    assert!(text.contains("events_commit_order"), "{text}");
}
