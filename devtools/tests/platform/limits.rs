//! Rate limits and the lockout, with clients on different addresses (127.0.0.0/8 is all ours):
//! an address that floods or guesses meets 429 (`rate_limited` or `locked`), and the account's
//! owner, from elsewhere, still gets in.

use command_api::auth::lockout::LockoutArgs;
use command_api::auth::throttle::ThrottleArgs;
use serde_json::{Value, json};

use crate::support::{ADMIN_LOGIN, ADMIN_PASSWORD, Options, Platform};

fn unlimited() -> ThrottleArgs {
    Options::default().throttle
}

/// A login from the client address `ip`: the status, `Retry-After` and the problem's code.
async fn login_from(
    platform: &Platform,
    ip: &str,
    login: &str,
    password: &str,
) -> (u16, Option<u64>, Value) {
    let client = reqwest::Client::builder()
        .local_address(Some(ip.parse().expect("address")))
        .build()
        .expect("client");
    let response = client
        .post(format!("{}/v1/auth/login", platform.command))
        .json(&json!({ "login": login, "password": password }))
        .send()
        .await
        .expect("command-api answers");
    let status = response.status().as_u16();
    let retry_after = response
        .headers()
        .get("retry-after")
        .map(|v| v.to_str().expect("ascii").parse().expect("seconds"));
    let body = response.json().await.unwrap_or(Value::Null);
    (status, retry_after, body)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_address_past_its_login_rate_waits_and_others_do_not() {
    let platform = Platform::start_with(Options {
        throttle: ThrottleArgs {
            login_per_address: 3,
            ..unlimited()
        },
        ..Options::default()
    })
    .await;
    for i in 0..3 {
        let (status, ..) =
            login_from(&platform, "127.0.0.2", &format!("u{i}@example.test"), "x").await;
        assert_eq!(status, 401);
    }
    let (status, retry_after, problem) =
        login_from(&platform, "127.0.0.2", ADMIN_LOGIN, ADMIN_PASSWORD).await;
    assert_eq!(
        (status, problem["code"].as_str()),
        (429, Some("rate_limited"))
    );
    let retry_after = retry_after.expect("Retry-After");
    assert!(
        (1..=20).contains(&retry_after),
        "{retry_after} s: one of 3 per minute"
    );

    let (status, ..) = login_from(&platform, "127.0.0.3", ADMIN_LOGIN, ADMIN_PASSWORD).await;
    assert_eq!(status, 200, "another address is not limited");
    assert!(
        platform
            .metrics(&platform.command)
            .await
            .contains(r#"rate_limited_total{limit="login-address"} 1"#)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_account_past_its_login_rate_waits_whatever_the_address() {
    let platform = Platform::start_with(Options {
        throttle: ThrottleArgs {
            login_per_account: 3,
            ..unlimited()
        },
        ..Options::default()
    })
    .await;
    for ip in ["127.0.0.2", "127.0.0.3", "127.0.0.4"] {
        let (status, ..) = login_from(&platform, ip, "target@example.test", "guess").await;
        assert_eq!(status, 401);
    }
    let (status, _, problem) =
        login_from(&platform, "127.0.0.5", "TARGET@example.test", "guess").await;
    assert_eq!(
        (status, problem["code"].as_str()),
        (429, Some("rate_limited"))
    );
    let (status, ..) = login_from(&platform, "127.0.0.5", ADMIN_LOGIN, ADMIN_PASSWORD).await;
    assert_eq!(status, 200, "other accounts are not limited");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refreshes_past_the_address_rate_wait() {
    let platform = Platform::start_with(Options {
        throttle: ThrottleArgs {
            refresh_per_address: 2,
            ..unlimited()
        },
        ..Options::default()
    })
    .await;
    let mut session = platform.admin_session().await;
    for _ in 0..2 {
        let response = platform
            .refresh(session["refresh_token"].as_str().expect("refresh"))
            .await;
        assert_eq!(response.status(), 200);
        session = response.json().await.expect("tokens");
    }
    let refused = platform
        .refresh(session["refresh_token"].as_str().expect("refresh"))
        .await;
    assert_eq!(refused.status(), 429);
    assert!(refused.headers().contains_key("retry-after"));
    let problem: Value = refused.json().await.expect("problem");
    assert_eq!(problem["code"], "rate_limited");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_guessing_address_locks_itself_out_not_the_owner() {
    let platform = Platform::start_with(Options {
        lockout: LockoutArgs {
            max_failures: 5,
            ..LockoutArgs::default()
        },
        ..Options::default()
    })
    .await;
    for _ in 0..5 {
        let (status, ..) = login_from(&platform, "127.0.0.2", ADMIN_LOGIN, "guess").await;
        assert_eq!(status, 401);
    }
    let (status, retry_after, problem) =
        login_from(&platform, "127.0.0.2", ADMIN_LOGIN, ADMIN_PASSWORD).await;
    assert_eq!((status, problem["code"].as_str()), (429, Some("locked")));
    assert_eq!(retry_after, Some(60));
    let (status, ..) = login_from(&platform, "127.0.0.1", ADMIN_LOGIN, ADMIN_PASSWORD).await;
    assert_eq!(status, 200, "the owner, elsewhere, gets in");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn past_the_account_limit_only_the_owners_known_addresses_get_in() {
    let platform = Platform::start_with(Options {
        lockout: LockoutArgs {
            max_failures: 100,
            account_max_failures: 4,
            ..LockoutArgs::default()
        },
        ..Options::default()
    })
    .await;
    let (status, ..) = login_from(&platform, "127.0.0.1", ADMIN_LOGIN, ADMIN_PASSWORD).await;
    assert_eq!(status, 200, "the owner's usual address");
    // A distributed guesser: one try from each of four addresses.
    for ip in ["127.0.0.2", "127.0.0.3", "127.0.0.4", "127.0.0.5"] {
        let (status, ..) = login_from(&platform, ip, ADMIN_LOGIN, "guess").await;
        assert_eq!(status, 401);
    }
    let (status, _, problem) =
        login_from(&platform, "127.0.0.6", ADMIN_LOGIN, ADMIN_PASSWORD).await;
    assert_eq!(
        (status, problem["code"].as_str()),
        (429, Some("locked")),
        "a new address waits, even with the right password"
    );
    let (status, ..) = login_from(&platform, "127.0.0.1", ADMIN_LOGIN, ADMIN_PASSWORD).await;
    assert_eq!(status, 200, "the owner's known address still gets in");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_ups_past_the_address_rate_wait_and_other_addresses_sign_up() {
    let platform = Platform::start_with(Options {
        throttle: ThrottleArgs {
            sign_up_per_address: 2,
            ..unlimited()
        },
        ..Options::default()
    })
    .await;
    let sign_up_from = |ip: &'static str, n: usize| {
        let url = format!("{}/v1/customers", platform.command);
        async move {
            let client = reqwest::Client::builder()
                .local_address(Some(ip.parse().expect("address")))
                .build()
                .expect("client");
            let body = json!({
                "email": format!("shopper{n}@example.test"),
                "password": "a long customer passphrase",
                "name": "Shopper",
            });
            let response = client.post(url).json(&body).send().await.expect("answers");
            let retry_after = response.headers().get("retry-after").is_some();
            (response.status().as_u16(), retry_after)
        }
    };
    assert_eq!(sign_up_from("127.0.0.7", 1).await.0, 201);
    assert_eq!(sign_up_from("127.0.0.7", 2).await.0, 201);
    assert_eq!(sign_up_from("127.0.0.7", 3).await, (429, true));
    assert_eq!(sign_up_from("127.0.0.8", 3).await.0, 201, "another address");
}
