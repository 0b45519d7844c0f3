//! The customer directory on the whole platform: the projector opens each customer's events
//! into Postgres rows; `GET /v1/customers/{id}` answers the account to the customer itself and
//! to `customers:read` (read-your-writes with `?min_version=`), a segment's members are listed a
//! page at a time; erasure leaves no row; a rebuild from offset 0 equals the live rows and
//! replays the erased customer's events without its key into nothing, with no dead letter.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use tokio_util::sync::CancellationToken;

use crate::customers::{customer, projected};
use crate::support::{Platform, access};

/// Sends `body` to `path` on command-api as `token`; asserts success and answers the JSON.
async fn command(
    platform: &Platform,
    method: Method,
    path: &str,
    token: &str,
    body: Value,
) -> Value {
    let answer = platform.command_with(method, path, token, Some(body)).await;
    let status = answer.status();
    let body = answer.json().await.unwrap_or(Value::Null);
    assert!(status.is_success(), "{path}: {status} {body}");
    body
}

/// Reads `path` on query-api as `token`: the status and the JSON answer.
async fn read(platform: &Platform, path: &str, token: &str) -> (StatusCode, Value) {
    let answer = platform.read(path, token).await;
    let status = answer.status();
    (status, answer.json().await.unwrap_or(Value::Null))
}

/// Every row of the customer directory's `generation`, as text, in a stable order.
async fn dump(platform: &Platform, generation: i32) -> Vec<String> {
    sqlx::query_scalar(
        "SELECT t FROM ( \
           SELECT 'p ' || row(customer_id, email, name, phone, birth_date, locale, \
             marketing_email, marketing_sms, marketing_push, signed_up_at, updated_at, version)::text t \
           FROM customer_profiles WHERE generation = $1 \
           UNION ALL SELECT 'a ' || row(customer_id, address_id, address, default_shipping, \
             default_billing)::text FROM customer_addresses WHERE generation = $1 \
           UNION ALL SELECT 's ' || row(segment, customer_id, added_at)::text \
           FROM customer_segments WHERE generation = $1) rows ORDER BY t",
    )
    .bind(generation)
    .fetch_all(&platform.stack.db.pool)
    .await
    .expect("rows")
}

/// Rows of `customer_id` in any generation.
async fn rows_of(platform: &Platform, customer_id: &str) -> i64 {
    sqlx::query_scalar(
        "SELECT (SELECT count(*) FROM customer_profiles WHERE customer_id = $1::uuid) \
         + (SELECT count(*) FROM customer_addresses WHERE customer_id = $1::uuid) \
         + (SELECT count(*) FROM customer_segments WHERE customer_id = $1::uuid)",
    )
    .bind(customer_id)
    .fetch_one(&platform.stack.db.pool)
    .await
    .expect("count")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn customers_read_their_account_and_admins_page_through_a_segment() {
    let platform = Platform::start().await;
    let admin = platform.admin_session().await;
    let (id, session) = customer(&platform, "reader@example.test", "Reader").await;
    let (other, other_session) = customer(&platform, "other@example.test", "Other").await;
    let token = access(&session);
    let me = format!("/v1/customers/{id}");

    let profile = json!({ "name": "Rea Der", "phone": "+41791234567", "birth_date": "1990-02-03" });
    command(&platform, Method::PATCH, &me, token, profile).await;
    let book = format!("{me}/addresses");
    let home = json!({ "line1": "Home 1", "city": "Bern", "postal_code": "3000",
        "country": "CH", "default_shipping": true, "default_billing": true });
    let home = command(&platform, Method::POST, &book, token, home).await;
    let work = json!({ "line1": "Work 2", "city": "Basel", "postal_code": "4000",
        "country": "CH", "default_shipping": true });
    let work = command(&platform, Method::POST, &book, token, work).await;
    let prefs = json!({ "marketing_email": true, "locale": "de-CH" });
    command(
        &platform,
        Method::PUT,
        &format!("{me}/preferences"),
        token,
        prefs,
    )
    .await;
    let mut joined = Vec::new();
    for customer_id in [&id, &other] {
        let path = format!("/v1/customers/{customer_id}/segments");
        let vip = json!({ "segment": "vip" });
        joined.push(command(&platform, Method::POST, &path, access(&admin), vip).await);
    }
    // Streams are projected independently: wait for the other customer's too.
    let projected_path = format!("/v1/customers/{other}?min_version={}", joined[1]["version"]);
    projected(&platform, &projected_path, access(&admin)).await;
    let path = format!("{me}/segments");
    let last = command(
        &platform,
        Method::POST,
        &path,
        access(&admin),
        json!({ "segment": "b2b_eu" }),
    )
    .await;

    let wanted = format!("{me}?min_version={}", last["version"]);
    let account = projected(&platform, &wanted, token).await;
    assert_eq!(account["version"], last["version"]);
    assert_eq!(
        (
            &account["email"],
            &account["name"],
            &account["phone"],
            &account["birth_date"]
        ),
        (
            &json!("reader@example.test"),
            &json!("Rea Der"),
            &json!("+41791234567"),
            &json!("1990-02-03")
        )
    );
    assert_eq!(
        account["preferences"],
        json!({ "marketing_email": true, "marketing_sms": false, "marketing_push": false, "locale": "de-CH" })
    );
    assert_eq!(account["segments"], json!(["b2b_eu", "vip"]));
    let addresses = account["addresses"].as_array().expect("addresses");
    let by_id = |id: &Value| {
        addresses
            .iter()
            .find(|a| a["address_id"] == *id)
            .expect("address")
    };
    let (home, work) = (by_id(&home["address_id"]), by_id(&work["address_id"]));
    assert_eq!(
        (&home["line1"], &home["city"]),
        (&json!("Home 1"), &json!("Bern"))
    );
    assert_eq!(
        (
            &home["default_shipping"],
            &home["default_billing"],
            &work["default_shipping"]
        ),
        (&json!(false), &json!(true), &json!(true)),
        "the newer default shipping address took the flag"
    );
    let (status, same) = read(&platform, &me, access(&admin)).await;
    assert_eq!(
        (status, &same),
        (StatusCode::OK, &account),
        "customers:read reads it too"
    );
    let (status, _) = read(&platform, &me, access(&other_session)).await;
    assert_eq!(status, 404, "another customer's id is not found");
    let (status, problem) = read(&platform, &format!("{me}?min_version=999"), token).await;
    assert_eq!(
        (status.as_u16(), &problem["code"]),
        (422, &json!("version_not_reached"))
    );

    let mut members = Vec::new();
    let mut page = "/v1/segments/vip/customers?limit=1".to_owned();
    loop {
        let (status, body) = read(&platform, &page, access(&admin)).await;
        assert_eq!(status, 200, "{body}");
        assert!(body["items"].as_array().expect("items").len() <= 1);
        members.extend(body["items"].as_array().expect("items").iter().cloned());
        match body["next_cursor"].as_str() {
            Some(cursor) => page = format!("/v1/segments/vip/customers?limit=1&cursor={cursor}"),
            None => break,
        }
    }
    let mut expected = vec![json!(id), json!(other)];
    expected.sort_by_key(|v| v.as_str().map(str::to_owned));
    assert_eq!(members, expected, "both members, in id order, once each");
    for (path, status) in [
        ("/v1/segments/VIP!/customers", 422),
        ("/v1/segments/vip/customers?cursor=nope", 422),
        ("/v1/segments/vip/customers?limit=0", 422),
    ] {
        assert_eq!(
            read(&platform, path, access(&admin)).await.0,
            status,
            "{path}"
        );
    }
    let (status, _) = read(&platform, "/v1/segments/vip/customers", token).await;
    assert_eq!(status, 403, "customers hold no customers:read");

    let erased = platform
        .command_with(Method::DELETE, &me, token, None)
        .await;
    assert_eq!(erased.status(), 202);
    let (status, _) = read(&platform, &me, access(&admin)).await;
    assert_eq!(status, 404, "an erased customer is gone at once");
    assert_eq!(
        rows_of(&platform, &id).await,
        0,
        "no row keeps the erased customer"
    );
    let (_, vip) = read(&platform, "/v1/segments/vip/customers", access(&admin)).await;
    assert_eq!(vip["items"], json!([other]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rebuild_from_offset_zero_equals_the_live_rows_and_leaves_erased_customers_out() {
    let platform = Platform::start().await;
    let admin = platform.admin_session().await;
    let (kept, kept_session) = customer(&platform, "kept@example.test", "Kept").await;
    let (gone, gone_session) = customer(&platform, "gone@example.test", "Gone").await;
    for (id, session) in [(&kept, &kept_session), (&gone, &gone_session)] {
        let book = format!("/v1/customers/{id}/addresses");
        let address =
            json!({ "line1": "Road 1", "city": "Chur", "postal_code": "7000", "country": "CH" });
        command(&platform, Method::POST, &book, access(session), address).await;
        let path = format!("/v1/customers/{id}/segments");
        command(
            &platform,
            Method::POST,
            &path,
            access(&admin),
            json!({ "segment": "vip" }),
        )
        .await;
    }
    let path = format!("/v1/customers/{gone}");
    let erased = platform
        .command_with(Method::DELETE, &path, access(&gone_session), None)
        .await;
    assert_eq!(erased.status(), 202);
    let locale = json!({ "locale": "rm" });
    let last = command(
        &platform,
        Method::PUT,
        &format!("/v1/customers/{kept}/preferences"),
        access(&kept_session),
        locale,
    )
    .await;
    let wanted = format!("/v1/customers/{kept}?min_version={}", last["version"]);
    projected(&platform, &wanted, access(&admin)).await;

    let live = dump(&platform, 0).await;
    assert_eq!(
        live.iter().filter(|r| r.starts_with("p ")).count(),
        1,
        "{live:?}"
    );
    let rebuilt = projectors::customers::rebuild(
        projectors::cli::RebuildCustomersArgs {
            db: platform.stack.db.db_args(),
            kafka: platform.stack.kafka.clone(),
            engine: projectors::engine::EngineArgs::default(),
            customers: projectors::cli::CustomersArgs {
                consumer_group: format!("{}customer-directory", platform.stack.kafka.topic_prefix),
            },
            master: runtime::master_key::MasterKeyArgs {
                master_key: platform.master_key.clone().into(),
            },
        },
        CancellationToken::new(),
    )
    .await
    .expect("rebuild");
    assert_eq!((rebuilt.from_generation, rebuilt.generation), (0, 1));
    assert_eq!(
        dump(&platform, 1).await,
        live,
        "the rebuild equals the live rows"
    );
    assert!(
        dump(&platform, 0).await.is_empty(),
        "the old generation is gone"
    );
    assert_eq!(
        rows_of(&platform, &gone).await,
        0,
        "the erased customer replayed into nothing"
    );
    let parked: i64 = sqlx::query_scalar("SELECT count(*) FROM parked_streams")
        .fetch_one(&platform.stack.db.pool)
        .await
        .expect("parked");
    assert_eq!(parked, 0, "no event of the erased customer was a poison");

    // Reads and the running projector moved to the new generation.
    let (status, account) = read(&platform, &format!("/v1/customers/{kept}"), access(&admin)).await;
    assert_eq!(
        (status, &account["preferences"]["locale"]),
        (StatusCode::OK, &json!("rm"))
    );
    let name = json!({ "name": "Still Kept" });
    let changed = command(
        &platform,
        Method::PATCH,
        &format!("/v1/customers/{kept}"),
        access(&kept_session),
        name,
    )
    .await;
    let wanted = format!("/v1/customers/{kept}?min_version={}", changed["version"]);
    let account = projected(&platform, &wanted, access(&admin)).await;
    assert_eq!(account["name"], json!("Still Kept"));
    assert!(
        dump(&platform, 0).await.is_empty(),
        "nothing writes the old one"
    );
}
