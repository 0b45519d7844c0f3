//! Proof by byte scan (GDPR erasure as crypto-shredding): a customer whose every personal
//! field holds a marker signs up, logs in from a marker user agent, keeps an address, changes
//! its profile; the export holds every marker, the customer directory's rows hold the account's,
//! while the rest of the database (`pg_dump`), every record of the customer and session topics
//! read raw from offset 0, and every Redis key and value hold none. After erasure the export
//! answers 404 and the scan of everything, the customer directory included, finds none.

use devtools::testing::read_topic;
use events::topics::Category;
use reqwest::Method;
use serde_json::{Value, json};

use crate::customers::{PASSWORD, send_from};
use crate::support::{Platform, TIMEOUT, access};

const MARKERS: [&str; 8] = [
    "mrkemail7q",
    "Mrkname7q",
    "+41791357924",
    "1971-03-29",
    "Mrkline7q",
    "Mrkcity7q",
    "Mrkrecipient7q",
    "MrkAgent7q",
];

async fn send(
    platform: &Platform,
    method: Method,
    path: &str,
    token: Option<&str>,
    body: Value,
) -> Value {
    send_from(platform, MARKERS[7], method, path, token, body).await
}

/// The markers found in `bytes`.
fn found(bytes: &[u8]) -> Vec<&'static str> {
    let text = String::from_utf8_lossy(bytes);
    MARKERS.into_iter().filter(|m| text.contains(m)).collect()
}

/// `pg_dump --data-only` of the test's database, with `args`.
async fn pg_dump(platform: &Platform, args: &'static [&'static str]) -> Vec<u8> {
    let url = platform.stack.db.url.clone();
    let dump = tokio::task::spawn_blocking(move || {
        std::process::Command::new("pg_dump")
            .arg("--data-only")
            .args(args)
            .arg(url)
            .output()
    })
    .await
    .expect("pg_dump ran")
    .expect("pg_dump starts");
    assert!(
        dump.status.success(),
        "{}",
        String::from_utf8_lossy(&dump.stderr)
    );
    dump.stdout
}

/// The customer directory's tables: the only rows that hold personal data in the clear.
const READ_MODELS: &[&str] = &["--table=customer_*"];
const ALL_BUT_READ_MODELS: &[&str] = &["--exclude-table-data=customer_*"];

/// Every store the platform writes, scanned (the database with `dump_args`): where each marker
/// was found.
async fn scan(platform: &Platform, dump_args: &'static [&'static str]) -> Vec<String> {
    let mut hits = Vec::new();
    let dump = pg_dump(platform, dump_args).await;
    assert!(dump.len() > 1000, "a dump of the data");
    hits.extend(found(&dump).into_iter().map(|m| format!("pg_dump: {m}")));

    let topics = platform.stack.kafka.topics();
    for category in [Category::Customers, Category::Sessions] {
        let stored: i64 = sqlx::query_scalar("SELECT count(*) FROM events WHERE stream_id LIKE $1")
            .bind(format!("{}-%", category.stream_prefix()))
            .fetch_one(&platform.stack.db.pool)
            .await
            .expect("count");
        let expected = usize::try_from(stored).expect("count");
        let topic = topics.events(category);
        let records = read_topic(&platform.stack.kafka.brokers, &topic, TIMEOUT, move |r| {
            r.len() >= expected
        })
        .await;
        assert!(records.len() >= expected, "{topic}: every event relayed");
        for record in records {
            let mut bytes = record.payload.clone().unwrap_or_default();
            bytes.extend(record.key.unwrap_or_default().into_bytes());
            bytes.extend(record.headers.values().flat_map(|v| v.bytes()));
            hits.extend(found(&bytes).into_iter().map(|m| format!("{topic}: {m}")));
        }
    }

    let mut redis = platform.redis().await;
    let pattern = format!("{}*", platform.stack.redis.key_prefix);
    let keys: Vec<String> = redis::cmd("KEYS")
        .arg(pattern)
        .query_async(&mut redis)
        .await
        .expect("keys");
    assert!(!keys.is_empty(), "sessions are cached");
    for key in keys {
        let kind: String = redis::cmd("TYPE")
            .arg(&key)
            .query_async(&mut redis)
            .await
            .expect("type");
        let read = match kind.as_str() {
            "hash" => "HGETALL",
            "set" => "SMEMBERS",
            "zset" => "ZRANGE",
            _ => "GET",
        };
        let mut command = redis::cmd(read);
        command.arg(&key);
        if kind == "zset" {
            command.arg(0).arg(-1);
        }
        let value: redis::Value = command.query_async(&mut redis).await.expect("value");
        let bytes = format!("{key} {value:?}").into_bytes();
        hits.extend(
            found(&bytes)
                .into_iter()
                .map(|m| format!("redis {key}: {m}")),
        );
    }
    hits
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_store_holds_a_customers_personal_data_in_the_clear_before_or_after_erasure() {
    let platform = Platform::start().await;
    let email = format!("{}@example.test", MARKERS[0]);
    let sign_up =
        json!({ "email": email, "password": PASSWORD, "name": MARKERS[1], "phone": MARKERS[2] });
    let id = send(&platform, Method::POST, "/v1/customers", None, sign_up).await["customer_id"]
        .as_str()
        .expect("id")
        .to_owned();
    let login = json!({ "login": email, "password": PASSWORD });
    let session = send(&platform, Method::POST, "/v1/auth/login", None, login).await;
    let token = access(&session).to_owned();
    let me = format!("/v1/customers/{id}");
    let place = json!({ "line1": MARKERS[4], "city": MARKERS[5], "postal_code": "8000",
                        "country": "CH", "recipient": MARKERS[6] });
    send(
        &platform,
        Method::POST,
        &format!("{me}/addresses"),
        Some(&token),
        place,
    )
    .await;
    send(
        &platform,
        Method::PATCH,
        &me,
        Some(&token),
        json!({ "birth_date": MARKERS[3] }),
    )
    .await;
    send(
        &platform,
        Method::PUT,
        &format!("{me}/preferences"),
        Some(&token),
        json!({ "marketing_sms": true }),
    )
    .await;
    let body = json!({ "refresh_token": session["refresh_token"] });
    send(&platform, Method::POST, "/v1/auth/refresh", None, body).await;
    let last = send(
        &platform,
        Method::PATCH,
        &me,
        Some(&token),
        json!({ "name": MARKERS[1] }),
    )
    .await;
    let projected = format!("{me}?min_version={}", last["version"]);
    crate::customers::projected(&platform, &projected, &token).await;

    let export = platform.read(&format!("{me}/export"), &token).await;
    assert_eq!(export.status(), 200);
    let export = export.bytes().await.expect("export");
    assert_eq!(found(&export), MARKERS, "the export holds every marker");
    assert_eq!(
        found(&pg_dump(&platform, READ_MODELS).await),
        MARKERS[..7],
        "the customer directory's rows hold the account in the clear"
    );
    assert_eq!(
        scan(&platform, ALL_BUT_READ_MODELS).await,
        Vec::<String>::new(),
        "before erasure, only the customer directory"
    );

    let erased = platform
        .command_with(Method::DELETE, &me, &token, None)
        .await;
    assert_eq!(erased.status(), 202);
    platform.until_active(&token, false).await;
    let admin = platform.admin_session().await;
    let export = platform.read(&format!("{me}/export"), access(&admin)).await;
    assert_eq!(export.status(), 404, "nothing left to export");
    assert_eq!(
        scan(&platform, &[]).await,
        Vec::<String>::new(),
        "after erasure"
    );
}
