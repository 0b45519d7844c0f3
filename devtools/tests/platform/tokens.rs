//! What a downstream service needs to verify tokens by itself: the published keys. (Attacks on
//! tokens are in `attacks.rs`.)

use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde_json::Value;

use crate::forge::parts;
use crate::support::{AUDIENCE, ISSUER, Platform};

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
    validation.set_audience(&[AUDIENCE]);
    let verified = jsonwebtoken::decode::<Value>(token, &decoding, &validation)
        .expect("a downstream service verifies the token with JWKS alone");
    assert_eq!(verified.claims["sid"], session["session_id"]);
}
