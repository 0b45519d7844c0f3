//! Attacks on bearer tokens, at every server that accepts one: command-api (a revocation),
//! query-api (a read) and introspection. Each forged, altered, misused or outlived token is
//! refused by all three (401, 401, `{"active": false}`), and none causes a 5xx. Tokens signed
//! with the platform's real key isolate one check each (expiry, issuer, audience, …).

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{Ed25519KeyPair, KeyPair};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{EncodingKey, Header};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::forge::{encode, parts, platform_key, sign};
use crate::support::{Options, Platform, access};

/// How command-api, query-api and introspection answer `token` presented for principal `sub`.
async fn answers(platform: &Platform, token: &str, sub: &str) -> (u16, u16, Value) {
    let command = platform
        .command(
            &format!("/v1/sessions/{}/revoke", Uuid::now_v7()),
            token,
            json!({ "reason": "SECURITY_ALERT" }),
        )
        .await
        .status()
        .as_u16();
    let query = platform
        .read(&format!("/v1/principals/{sub}/sessions"), token)
        .await
        .status()
        .as_u16();
    (command, query, platform.introspect(token).await)
}

async fn assert_refused(platform: &Platform, what: &str, token: &str, sub: &str) {
    let (command, query, introspection) = answers(platform, token, sub).await;
    assert_eq!(
        (command, query, introspection),
        (401, 401, json!({ "active": false })),
        "{what} must be refused everywhere"
    );
}

/// The same claims with `edit` applied, signed with the platform's own key under its kid.
fn resigned(header: &Value, claims: &Value, key: &[u8], edit: impl FnOnce(&mut Value)) -> String {
    let mut claims = claims.clone();
    edit(&mut claims);
    sign(header, &claims, key)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forged_and_altered_tokens_are_refused_by_every_server() {
    let platform = Platform::start().await;
    let session = platform.admin_session().await;
    let token = access(&session);
    platform.until_active(token, true).await;
    let (header, claims, signature) = parts(token);
    let sub = claims["sub"].as_str().expect("sub").to_owned();
    let kid = header["kid"].as_str().expect("kid").to_owned();
    let key = platform_key(&platform).await;
    let now = chrono::Utc::now().timestamp();

    let stranger = Ed25519KeyPair::generate_pkcs8(&SystemRandom::new()).expect("key");
    let stranger_x = URL_SAFE_NO_PAD.encode(
        Ed25519KeyPair::from_pkcs8(stranger.as_ref())
            .expect("key")
            .public_key()
            .as_ref(),
    );
    let with_alg = |alg: &str| {
        let mut h = header.clone();
        h["alg"] = json!(alg);
        format!("{}.{}.{signature}", encode(&h), encode(&claims))
    };
    let with_kid = |kid: &str| sign(&json!({ "alg": "EdDSA", "kid": kid }), &claims, &key);
    let jwks: Value = platform
        .http
        .get(format!("{}/.well-known/jwks.json", platform.query))
        .send()
        .await
        .expect("jwks")
        .json()
        .await
        .expect("jwks json");
    let public = URL_SAFE_NO_PAD
        .decode(jwks["keys"][0]["x"].as_str().expect("x"))
        .expect("x");
    let hs256 = {
        let mut h = Header::new(jsonwebtoken::Algorithm::HS256);
        h.kid = Some(kid.clone());
        let secret = EncodingKey::from_secret(&public).expect("hmac key");
        jsonwebtoken::encode(&h, &claims, &secret).expect("hs256")
    };

    let attacks: Vec<(&str, String)> = vec![
        (
            "alg none",
            format!(
                "{}.{}.",
                encode(&json!({ "alg": "none", "kid": kid })),
                encode(&claims)
            ),
        ),
        ("HS256 keyed with the published public key", hs256),
        (
            "an RS256 header on the genuine signature",
            with_alg("RS256"),
        ),
        (
            "an ES256 header on the genuine signature",
            with_alg("ES256"),
        ),
        (
            "another key under an unknown kid",
            sign(
                &json!({ "alg": "EdDSA", "kid": Uuid::now_v7().simple().to_string() }),
                &claims,
                stranger.as_ref(),
            ),
        ),
        (
            "another key under the real kid",
            sign(&header, &claims, stranger.as_ref()),
        ),
        (
            "another key embedded in the header",
            sign(
                &json!({ "alg": "EdDSA", "kid": kid,
                    "jwk": { "kty": "OKP", "crv": "Ed25519", "x": stranger_x } }),
                &claims,
                stranger.as_ref(),
            ),
        ),
        ("a kid that is a path", with_kid("../../../../etc/passwd")),
        ("a kid that is SQL", with_kid("' OR '1'='1' --")),
        ("no kid", sign(&json!({ "alg": "EdDSA" }), &claims, &key)),
        (
            "expired",
            resigned(&header, &claims, &key, |c| {
                c["iat"] = json!(now - 7200);
                c["exp"] = json!(now - 3600);
            }),
        ),
        (
            "not valid before an hour from now",
            resigned(&header, &claims, &key, |c| c["nbf"] = json!(now + 3600)),
        ),
        (
            "issued an hour from now",
            resigned(&header, &claims, &key, |c| c["iat"] = json!(now + 3600)),
        ),
        (
            "another issuer",
            resigned(&header, &claims, &key, |c| c["iss"] = json!("someone-else")),
        ),
        (
            "no audience",
            resigned(&header, &claims, &key, |c| {
                c.as_object_mut().expect("claims").remove("aud");
            }),
        ),
        (
            "another audience",
            resigned(&header, &claims, &key, |c| c["aud"] = json!("another-api")),
        ),
        ("another subject under the genuine signature", {
            let mut c = claims.clone();
            c["sub"] = json!(Uuid::now_v7());
            format!("{}.{}.{signature}", encode(&header), encode(&c))
        }),
        ("a truncated signature", token[..token.len() - 8].to_owned()),
        (
            "no signature",
            token[..=token.rfind('.').expect("dot")].to_owned(),
        ),
        ("not a JWT", "garbage".to_owned()),
    ];
    // The genuine token passes everywhere: each refusal below is about the token itself.
    assert_eq!(
        answers(&platform, token, &sub).await,
        (404, 200, platform.introspect(token).await)
    );
    assert_eq!(platform.introspect(token).await["active"], true);
    for (what, forged) in &attacks {
        assert_refused(&platform, what, forged, &sub).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tokens_used_for_the_wrong_purpose_or_past_their_session_are_refused() {
    let platform = Platform::start_with(Options {
        sessions: command_api::sessions::SessionArgs {
            limit: 2,
            ..Default::default()
        },
        ..Options::default()
    })
    .await;
    let first = platform.admin_session().await;
    let sub = first["principal_id"]
        .as_str()
        .expect("principal")
        .to_owned();
    let refresh_token = first["refresh_token"].as_str().expect("refresh token");
    assert_refused(&platform, "a refresh token as bearer", refresh_token, &sub).await;

    let as_refresh = platform.refresh(access(&first)).await;
    assert_eq!(as_refresh.status(), 401, "an access token as refresh token");
    assert_eq!(
        platform.introspect(access(&first)).await["active"],
        true,
        "a malformed refresh token revokes nothing"
    );

    let logged_out = platform.admin_session().await;
    assert_eq!(platform.logout(access(&logged_out)).await.status(), 204);
    assert_refused(
        &platform,
        "a token of a revoked session",
        access(&logged_out),
        &sub,
    )
    .await;

    // The limit is 2: a third session evicts the least recently used, the first.
    let _third = platform.admin_session().await;
    let _fourth = platform.admin_session().await;
    assert_refused(
        &platform,
        "a token of an evicted session",
        access(&first),
        &sub,
    )
    .await;
}
