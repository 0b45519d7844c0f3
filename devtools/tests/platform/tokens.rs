//! Only tokens signed by a published key, with EdDSA, unexpired and unaltered, of an active
//! session, are active. Everything else is `{"active": false}`.

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::Ed25519KeyPair;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use command_api::auth::keys::{KeyStore, MasterKey};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde_json::{Value, json};

use crate::support::{ISSUER, Platform};

fn parts(token: &str) -> (Value, Value, String) {
    let mut it = token.split('.');
    let mut decode = || -> Value {
        let part = it.next().expect("token part");
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(part).expect("base64url")).expect("json")
    };
    let header = decode();
    let claims = decode();
    (
        header,
        claims,
        token.rsplit('.').next().expect("signature").to_owned(),
    )
}

fn encode(value: &Value) -> String {
    URL_SAFE_NO_PAD.encode(serde_json::to_vec(value).expect("json"))
}

fn sign(header_kid: &str, claims: &Value, pkcs8: &[u8]) -> String {
    let mut header = Header::new(Algorithm::EdDSA);
    header.kid = Some(header_kid.to_owned());
    jsonwebtoken::encode(&header, claims, &EncodingKey::from_ed_der(pkcs8)).expect("signs")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forged_tampered_expired_and_unsigned_tokens_are_inactive() {
    let platform = Platform::start().await;
    let session = platform.admin_session().await;
    let token = session["access_token"].as_str().expect("token");
    platform.until_active(token, true).await;
    let (header, claims, signature) = parts(token);
    let kid = header["kid"].as_str().expect("kid");

    let mut escalated = claims.clone();
    escalated["sub"] = json!(uuid::Uuid::now_v7());
    let tampered = format!("{}.{}.{signature}", encode(&header), encode(&escalated));

    let master = MasterKey::from_base64(&platform.master_key.clone().into()).expect("master key");
    let active = KeyStore::new(platform.stack.db.pool.clone())
        .active(&master)
        .await
        .expect("active key");
    let mut old = claims.clone();
    old["iat"] = json!(claims["iat"].as_i64().expect("iat") - 7200);
    old["exp"] = json!(claims["iat"].as_i64().expect("iat") - 3600);
    let expired = sign(kid, &old, &active.pkcs8);

    let stranger = Ed25519KeyPair::generate_pkcs8(&SystemRandom::new()).expect("key");
    let other_key_same_kid = sign(kid, &claims, stranger.as_ref());
    let other_key_own_kid = sign("not-a-published-kid", &claims, stranger.as_ref());

    let none = format!(
        "{}.{}.",
        encode(&json!({ "alg": "none", "typ": "JWT", "kid": kid })),
        encode(&claims)
    );

    let jwks: Value = platform
        .http
        .get(format!("{}/.well-known/jwks.json", platform.query))
        .send()
        .await
        .expect("jwks")
        .json()
        .await
        .expect("jwks json");
    let public = jwks["keys"][0]["x"].as_str().expect("x");
    let mut hs_header = Header::new(Algorithm::HS256);
    hs_header.kid = Some(kid.to_owned());
    let confused = jsonwebtoken::encode(
        &hs_header,
        &claims,
        &EncodingKey::from_secret(&URL_SAFE_NO_PAD.decode(public).expect("x")).expect("hmac key"),
    )
    .expect("signs");

    // The genuine token is still active: every rejection below is about the token itself.
    assert_eq!(platform.introspect(token).await["active"], true);
    for (what, forged) in [
        ("tampered claims", tampered),
        ("expired", expired),
        (
            "signed by another key under the real kid",
            other_key_same_kid,
        ),
        (
            "signed by another key under an unknown kid",
            other_key_own_kid,
        ),
        ("alg none", none),
        ("HS256 keyed with the public key", confused),
        ("not a JWT", "garbage".to_owned()),
    ] {
        assert_eq!(
            platform.introspect(&forged).await,
            json!({ "active": false }),
            "{what} must be inactive"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn jwks_publishes_the_key_that_verifies_issued_tokens() {
    let platform = Platform::start().await;
    let session = platform.admin_session().await;
    let token = session["access_token"].as_str().expect("token");
    let (header, _, _) = parts(token);
    assert_eq!(header["alg"], "EdDSA");

    let response = platform
        .http
        .get(format!("{}/.well-known/jwks.json", platform.query))
        .send()
        .await
        .expect("jwks");
    assert_eq!(response.status(), 200);
    let jwks: Value = response.json().await.expect("jwks json");
    let key = jwks["keys"]
        .as_array()
        .and_then(|keys| keys.iter().find(|k| k["kid"] == header["kid"]))
        .expect("the token's kid is published");
    assert_eq!(key["kty"], "OKP");
    assert_eq!(key["crv"], "Ed25519");
    assert_eq!(key["alg"], "EdDSA");
    assert!(key.get("d").is_none(), "no private part is published");

    let decoding = DecodingKey::from_ed_components(key["x"].as_str().expect("x")).expect("key");
    let mut validation = Validation::new(Algorithm::EdDSA);
    validation.set_issuer(&[ISSUER]);
    validation.validate_aud = false;
    let verified = jsonwebtoken::decode::<Value>(token, &decoding, &validation)
        .expect("a downstream service verifies the token with JWKS alone");
    assert_eq!(verified.claims["sid"], session["session_id"]);
}
