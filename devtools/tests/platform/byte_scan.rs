//! Proof by byte scan (GDPR erasure as crypto-shredding): a customer whose every personal
//! field holds a marker signs up, logs in from a marker user agent, keeps an address, changes
//! its profile and its email, and sends values the platform refuses (a wrong password, a bad
//! phone); the export holds every marker it accepted, the customer directory's rows hold the
//! account's, while the rest of the database (`pg_dump`), every record of the customer and
//! session topics read raw from offset 0, every Redis key and value, and what the services
//! logged (production JSON at the default filter) hold none. After erasure the export answers
//! 404 and the scan of everything, the customer directory included, finds none.

use devtools::testing::{read_topic, redis_contents};
use events::topics::Category;
use reqwest::Method;
use serde_json::{Value, json};

use crate::customers::{PASSWORD, send_from};
use crate::support::{Platform, TIMEOUT, access};

/// The values the customer's account holds at some point, each unique.
const MARKERS: [&str; 9] = [
    "mrkemail7q",
    "Mrkname7q",
    "+41791357924",
    "1971-03-29",
    "Mrkline7q",
    "Mrkcity7q",
    "Mrkrecipient7q",
    "MrkAgent7q",
    "mrknewmail7q",
];
const OLD_EMAIL: &str = MARKERS[0];
const AGENT: &str = MARKERS[7];
const NEW_EMAIL: &str = MARKERS[8];
/// Values the customer sends and the platform refuses: a wrong password, a phone that is not one.
const REFUSED: [&str; 2] = ["MrkWrongPass7q", "Mrkphone7q"];

async fn send(
    platform: &Platform,
    method: Method,
    path: &str,
    token: Option<&str>,
    body: Value,
) -> Value {
    send_from(platform, AGENT, method, path, token, body).await
}

/// The markers (accepted or refused) found in `bytes`.
fn found(bytes: &[u8]) -> Vec<&'static str> {
    let text = String::from_utf8_lossy(bytes);
    MARKERS
        .into_iter()
        .chain(REFUSED)
        .filter(|m| text.contains(m))
        .collect()
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

    // Other tests of this process log to the same file: the markers are this test's alone.
    let logs = std::fs::read(devtools::testing::service_log()).expect("the services' log");
    hits.extend(
        found(&logs)
            .into_iter()
            .map(|m| format!("service log: {m}")),
    );

    let mut redis = platform.redis().await;
    let contents = redis_contents(&mut redis, &platform.stack.redis.key_prefix).await;
    assert!(!contents.is_empty(), "sessions are cached");
    for (key, value) in contents {
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
    let email = format!("{OLD_EMAIL}@example.test");
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
    send(
        &platform,
        Method::PATCH,
        &me,
        Some(&token),
        json!({ "name": MARKERS[1] }),
    )
    .await;
    let moved =
        json!({ "email": format!("{NEW_EMAIL}@example.test"), "current_password": PASSWORD });
    let last = send(
        &platform,
        Method::POST,
        &format!("{me}/email"),
        Some(&token),
        moved,
    )
    .await;
    let wrong = json!({ "login": format!("{NEW_EMAIL}@example.test"), "password": REFUSED[0] });
    let refused = platform
        .http
        .post(format!("{}/v1/auth/login", platform.command));
    assert_eq!(
        refused.json(&wrong).send().await.expect("answers").status(),
        401
    );
    let bad_phone = Some(json!({ "phone": REFUSED[1] }));
    let refused = platform
        .command_with(Method::PATCH, &me, &token, bad_phone)
        .await;
    assert_eq!(refused.status(), 422);
    let projected = format!("{me}?min_version={}", last["version"]);
    crate::customers::projected(&platform, &projected, &token).await;

    let export = platform.read(&format!("{me}/export"), &token).await;
    assert_eq!(export.status(), 200);
    let export = export.bytes().await.expect("export");
    assert_eq!(
        found(&export),
        MARKERS,
        "the export holds every accepted marker"
    );
    let account: Vec<&str> = MARKERS
        .into_iter()
        .filter(|m| ![OLD_EMAIL, AGENT].contains(m))
        .collect();
    assert_eq!(
        found(&pg_dump(&platform, READ_MODELS).await),
        account,
        "the customer directory's rows hold the account, as it is now, in the clear"
    );
    let logs = std::fs::read_to_string(devtools::testing::service_log()).expect("log");
    let route = r#""http.route":"/v1/customers/{id}/email""#;
    assert!(
        logs.contains(route),
        "the services logged the test's requests"
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
