//! Key rotation: the new key signs, the old one keeps verifying until its tokens expire, and
//! JWKS publishes both until then. A withdrawn key stops verifying at once, everywhere.

use std::time::Duration;

use command_api::auth::keys::{KeyStore, MasterKey};
use devtools::testing::eventually;
use serde_json::Value;

use crate::support::{Options, Platform, access};

async fn kids(platform: &Platform) -> Vec<String> {
    let jwks: Value = platform
        .http
        .get(format!("{}/.well-known/jwks.json", platform.query))
        .send()
        .await
        .expect("jwks")
        .json()
        .await
        .expect("json");
    jwks["keys"]
        .as_array()
        .expect("keys")
        .iter()
        .map(|k| k["kid"].as_str().expect("kid").to_owned())
        .collect()
}

fn kid(token: &str) -> String {
    jsonwebtoken::decode_header(token)
        .expect("header")
        .kid
        .expect("kid")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rotated_key_keeps_verifying_its_tokens_until_they_expire() {
    let platform = Platform::start_with(Options {
        access_token_ttl_secs: 3,
        ..Options::default()
    })
    .await;
    let before = platform.admin_session().await;
    let old_kid = kid(access(&before));

    let master = MasterKey::from_base64(&platform.master_key.clone().into()).expect("master key");
    let new_kid = KeyStore::new(platform.stack.db.pool.clone())
        .rotate(&master, chrono::Duration::seconds(3))
        .await
        .expect("rotated");
    assert_ne!(new_kid, old_kid);

    let after = eventually(
        Duration::from_secs(10),
        "logins signed by the new key",
        || async {
            let session = platform.admin_session().await;
            (kid(access(&session)) == new_kid).then_some(session)
        },
    )
    .await;
    assert_eq!(
        platform.introspect(access(&before)).await["active"],
        true,
        "old token still valid"
    );
    assert_eq!(platform.introspect(access(&after)).await["active"], true);
    let published = kids(&platform).await;
    assert!(
        published.contains(&old_kid) && published.contains(&new_kid),
        "{published:?}"
    );

    eventually(
        Duration::from_secs(15),
        "the retired key to leave JWKS",
        || async { (!kids(&platform).await.contains(&old_kid)).then_some(()) },
    )
    .await;
    assert_eq!(
        platform.introspect(access(&before)).await["active"],
        false,
        "expired with its key"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_withdrawn_key_stops_verifying_everywhere_at_once() {
    let platform = Platform::start().await;
    let before = platform.admin_session().await;
    let token = access(&before);
    let compromised = kid(token);
    // Verified once, so the query side has it cached.
    assert_eq!(platform.introspect(token).await["active"], true);

    let master = MasterKey::from_base64(&platform.master_key.clone().into()).expect("master key");
    let signing = KeyStore::new(platform.stack.db.pool.clone())
        .retire(&master, &compromised)
        .await
        .expect("retired");
    assert_ne!(signing, compromised, "a new key signs");

    eventually(
        Duration::from_secs(10),
        "introspection to refuse the token",
        || async { (platform.introspect(token).await["active"] == false).then_some(()) },
    )
    .await;
    // A revoke of a session that does not exist changes nothing: 404 while the token is
    // accepted, 401 once command-api has dropped its key (and, in the same step, signs anew).
    let probe = format!("/v1/sessions/{}/revoke", uuid::Uuid::now_v7());
    eventually(
        Duration::from_secs(10),
        "command-api to refuse the token",
        || async {
            let body = serde_json::json!({ "reason": "USER_LOGOUT" });
            let status = platform.command(&probe, token, body).await.status();
            (status == 401).then_some(())
        },
    )
    .await;
    assert!(!kids(&platform).await.contains(&compromised));
    let after = platform.admin_session().await;
    assert_eq!(kid(access(&after)), signing);
    assert_eq!(platform.introspect(access(&after)).await["active"], true);

    let unknown = KeyStore::new(platform.stack.db.pool.clone())
        .retire(&master, "0123456789abcdef0123456789abcdef")
        .await;
    assert!(unknown.is_err(), "an unknown kid is refused");
}
