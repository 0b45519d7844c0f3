//! Making tokens the platform did not issue: reading a token's parts, and signing any header
//! and claims with any Ed25519 key (the platform's own, read with the master key, included).

use aws_lc_rs::signature::Ed25519KeyPair;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use command_api::auth::keys::{KeyStore, MasterKey};
use serde_json::Value;

use crate::support::Platform;

/// The header, the claims and the signature of `token`.
pub fn parts(token: &str) -> (Value, Value, String) {
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

pub fn encode(value: &Value) -> String {
    URL_SAFE_NO_PAD.encode(serde_json::to_vec(value).expect("json"))
}

/// A JWS of exactly `header` and `claims`, signed with the Ed25519 key `pkcs8`.
pub fn sign(header: &Value, claims: &Value, pkcs8: &[u8]) -> String {
    let input = format!("{}.{}", encode(header), encode(claims));
    let key = Ed25519KeyPair::from_pkcs8_maybe_unchecked(pkcs8).expect("an Ed25519 key");
    let signature = URL_SAFE_NO_PAD.encode(key.sign(input.as_bytes()).as_ref());
    format!("{input}.{signature}")
}

/// The platform's active signing key, as an attacker who stole it (or a test) would hold it.
pub async fn platform_key(platform: &Platform) -> Vec<u8> {
    let master = MasterKey::from_base64(&platform.master_key.clone().into()).expect("master key");
    KeyStore::new(platform.stack.db.pool.clone())
        .active(&master)
        .await
        .expect("active key")
        .pkcs8
}
