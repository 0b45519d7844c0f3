//! Postgres restarted under load. While it is down, commands answer 503 (never another 5xx,
//! never a dropped connection, never a wrong 401); nothing is half-written (every stream's
//! versions are whole, and every event reaches Kafka once in order); a logout that answered 204
//! stays ended; the services recover without being restarted.

use std::collections::HashSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use devtools::testing::{TestPostgres, assert_per_stream_order, eventually, read_topic};
use events::topics::Category;
use serde_json::Value;
use tokio::sync::Mutex;

use crate::support::{ADMIN_LOGIN, ADMIN_PASSWORD, Options, Platform, TIMEOUT, access};

/// Longer than the services' pool acquire timeout (5 s): a request that starts waiting for a
/// connection when Postgres goes down times out while it is still down and answers 503, so the
/// load meets the outage however the requests fall (connect attempts otherwise wait it out).
const DOWN_FOR: Duration = Duration::from_secs(7);

/// What the load saw: each operation's status, and the tokens of sessions whose logout was
/// answered 204.
#[derive(Debug, Default)]
struct Seen {
    statuses: Vec<(&'static str, u16)>,
    logged_out: Vec<String>,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_restarted_under_load_answers_503_then_recovers_without_a_restart() {
    // Declared first, so it stops after the platform.
    let mut postgres = TestPostgres::start().await;
    let platform = Arc::new(
        Platform::start_with(Options {
            postgres_admin_url: Some(postgres.admin_url()),
            ..Options::default()
        })
        .await,
    );
    let stop = Arc::new(AtomicBool::new(false));
    let seen = Arc::new(Mutex::new(Seen::default()));
    let workers: Vec<_> = (0..3)
        .map(|_| tokio::spawn(load(platform.clone(), stop.clone(), seen.clone())))
        .collect();

    tokio::time::sleep(Duration::from_secs(1)).await;
    postgres.restart(DOWN_FOR).await;
    eventually(TIMEOUT, "logins to succeed again", || async {
        (platform.login(ADMIN_LOGIN, ADMIN_PASSWORD).await.status() == 200).then_some(())
    })
    .await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    stop.store(true, Ordering::Relaxed);
    for worker in workers {
        worker.await.expect("load worker");
    }

    let seen = seen.lock().await;
    let unavailable = seen.statuses.iter().filter(|(_, s)| *s == 503).count();
    assert!(
        unavailable > 0,
        "the load met the outage: {:?}",
        seen.statuses
    );
    for (operation, status) in &seen.statuses {
        let expected: &[u16] = match *operation {
            "login" | "refresh" | "introspect" => &[200, 503],
            _ => &[204, 503],
        };
        assert!(
            expected.contains(status),
            "{operation} answered {status} around the restart"
        );
    }
    for token in &seen.logged_out {
        assert_eq!(platform.introspect(token).await["active"], false);
    }
    for service in [&platform.command, &platform.query, &platform.projectors] {
        let ready = || async {
            let answer = reqwest::get(format!("{service}/readyz")).await.ok()?;
            (answer.status() == 200).then_some(())
        };
        eventually(TIMEOUT, "every service ready without a restart", ready).await;
    }
    assert_whole_and_published(&platform).await;
}

/// Logs in, refreshes, introspects and logs out until `stop`, noting what each answered.
async fn load(platform: Arc<Platform>, stop: Arc<AtomicBool>, seen: Arc<Mutex<Seen>>) {
    while !stop.load(Ordering::Relaxed) {
        let login = platform.login(ADMIN_LOGIN, ADMIN_PASSWORD).await;
        let status = login.status().as_u16();
        seen.lock().await.statuses.push(("login", status));
        if status != 200 {
            tokio::time::sleep(Duration::from_millis(50)).await;
            continue;
        }
        let session: Value = login.json().await.expect("token response");
        let refresh = platform
            .refresh(session["refresh_token"].as_str().expect("refresh token"))
            .await;
        let status = refresh.status().as_u16();
        seen.lock().await.statuses.push(("refresh", status));
        let session: Value = match status {
            200 => refresh.json().await.expect("token response"),
            _ => session,
        };
        let response = platform
            .http
            .post(format!("{}/v1/tokens/introspect", platform.query))
            .bearer_auth(access(&session))
            .json(&serde_json::json!({ "token": access(&session) }))
            .send()
            .await
            .expect("query-api answers");
        seen.lock()
            .await
            .statuses
            .push(("introspect", response.status().as_u16()));
        let status = platform.logout(access(&session)).await.status().as_u16();
        let mut seen = seen.lock().await;
        seen.statuses.push(("logout", status));
        if status == 204 {
            seen.logged_out.push(access(&session).to_owned());
        }
    }
}

/// Every stream's versions run 1..n without a gap, and every event reached the sessions topic,
/// each stream in order.
async fn assert_whole_and_published(platform: &Platform) {
    let pool = &platform.stack.db.pool;
    let gaps: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM (SELECT stream_id FROM events GROUP BY stream_id \
         HAVING max(version) <> count(*)) AS broken",
    )
    .fetch_one(pool)
    .await
    .expect("streams read");
    assert_eq!(gaps, 0, "every stream is whole");
    let ids: HashSet<String> =
        sqlx::query_scalar("SELECT event_id::text FROM events WHERE stream_id LIKE 'sessions-%'")
            .fetch_all(pool)
            .await
            .expect("events read")
            .into_iter()
            .collect();
    let expected = ids.clone();
    let topic = platform.stack.kafka.topics().events(Category::Sessions);
    let records = read_topic(
        &platform.stack.kafka.brokers,
        &topic,
        TIMEOUT,
        move |records| {
            let seen: HashSet<&str> = records
                .iter()
                .filter_map(|r| r.header("event_id"))
                .collect();
            expected.iter().all(|id| seen.contains(id.as_str()))
        },
    )
    .await;
    let published: HashSet<String> = records
        .iter()
        .filter_map(|r| r.header("event_id").map(str::to_owned))
        .collect();
    assert_eq!(
        published, ids,
        "every session event was published, and no other"
    );
    assert_per_stream_order(&records);
}
