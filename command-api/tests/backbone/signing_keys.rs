//! A wrong master key is a configuration error: `command-api serve` stops at once and says so,
//! instead of retrying as if the database were down. A sealed key opens only in its own row,
//! and keys sealed before that rule are sealed again, bound.

use std::process::Stdio;
use std::time::Duration;

use aws_lc_rs::aead::{AES_256_GCM, Aad, Nonce, RandomizedNonceKey};
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{Ed25519KeyPair, KeyPair};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use command_api::auth::keys::{KeyError, KeyStore, MasterKey};
use devtools::testing::TestDatabase;
use tokio::process::Command;

/// Retrying would take minutes (eight exponential rounds); stopping at once takes a second.
const EXIT_WITHIN: Duration = Duration::from_secs(30);

#[tokio::test]
async fn a_master_key_that_did_not_seal_the_signing_keys_stops_serve_at_once() {
    let db = TestDatabase::create().await;
    let sealed_with = MasterKey::generate().expect("master key");
    KeyStore::new(db.pool.clone())
        .ensure_active(&MasterKey::from_base64(&sealed_with.into()).expect("master key"))
        .await
        .expect("the first signing key");

    let other = MasterKey::generate().expect("master key");
    let serve = Command::new(env!("CARGO_BIN_EXE_command-api"))
        .env_clear()
        .env("RUST_LOG", "warn")
        .env("DATABASE_URL", &db.url)
        .env("MASTER_KEY", &other)
        .args(["serve", "--listen", "127.0.0.1:0"])
        .stdin(Stdio::null())
        .kill_on_drop(true)
        .output();
    let output = tokio::time::timeout(EXIT_WITHIN, serve)
        .await
        .expect("serve stops instead of retrying")
        .expect("command-api runs");

    assert!(!output.status.success(), "serve exits with an error");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("could not be unsealed with this master key")
            && stderr.contains("MASTER_KEY"),
        "the error names the cause: {stderr}"
    );
}

fn master(encoded: &str) -> MasterKey {
    MasterKey::from_base64(&encoded.to_owned().into()).expect("master key")
}

/// Seals `plain` the way keys were sealed before they were bound to their rows.
fn seal_unbound(encoded: &str, plain: &[u8]) -> Vec<u8> {
    let bytes = STANDARD.decode(encoded).expect("base64");
    let key = RandomizedNonceKey::new(&AES_256_GCM, &bytes).expect("key");
    let mut sealed = plain.to_vec();
    let nonce = key
        .seal_in_place_append_tag(Aad::empty(), &mut sealed)
        .expect("seal");
    [nonce.as_ref().as_slice(), sealed.as_slice()].concat()
}

fn opens_unbound(encoded: &str, sealed: &[u8]) -> bool {
    let bytes = STANDARD.decode(encoded).expect("base64");
    let key = RandomizedNonceKey::new(&AES_256_GCM, &bytes).expect("key");
    let (nonce, ciphertext) = sealed.split_at(12);
    let mut buffer = ciphertext.to_vec();
    let nonce = Nonce::try_assume_unique_for_key(nonce).expect("nonce");
    key.open_in_place(nonce, Aad::empty(), &mut buffer).is_ok()
}

#[tokio::test]
async fn a_sealed_key_copied_into_another_row_does_not_open() {
    let db = TestDatabase::create().await;
    let encoded = MasterKey::generate().expect("master key");
    let keys = KeyStore::new(db.pool.clone());
    keys.ensure_active(&master(&encoded))
        .await
        .expect("first key");
    let first = keys.active(&master(&encoded)).await.expect("opens");
    keys.rotate(&master(&encoded), chrono::Duration::seconds(60))
        .await
        .expect("rotated");
    // Someone with write access puts the retired key's sealed half into the active row.
    sqlx::query(
        "UPDATE signing_keys SET private_key_sealed = \
         (SELECT private_key_sealed FROM signing_keys WHERE kid = $1) WHERE retired_at IS NULL",
    )
    .bind(&first.kid)
    .execute(&db.pool)
    .await
    .expect("swapped");
    assert!(matches!(
        keys.active(&master(&encoded)).await,
        Err(KeyError::Unseal)
    ));
}

#[tokio::test]
async fn a_key_sealed_before_binding_opens_once_and_is_sealed_again_bound() {
    let db = TestDatabase::create().await;
    let encoded = MasterKey::generate().expect("master key");
    let pkcs8 = Ed25519KeyPair::generate_pkcs8(&SystemRandom::new()).expect("key");
    let public = Ed25519KeyPair::from_pkcs8(pkcs8.as_ref())
        .expect("key")
        .public_key()
        .as_ref()
        .to_vec();
    let legacy = seal_unbound(&encoded, pkcs8.as_ref());
    sqlx::query(
        "INSERT INTO signing_keys (kid, algorithm, public_key, private_key_sealed) \
         VALUES ('0123456789abcdef0123456789abcdef', 'EdDSA', $1, $2)",
    )
    .bind(&public)
    .bind(&legacy)
    .execute(&db.pool)
    .await
    .expect("a key from before");

    let keys = KeyStore::new(db.pool.clone());
    let active = keys.active(&master(&encoded)).await.expect("opens");
    assert_eq!(active.pkcs8, pkcs8.as_ref());
    let resealed: Vec<u8> = sqlx::query_scalar("SELECT private_key_sealed FROM signing_keys")
        .fetch_one(&db.pool)
        .await
        .expect("row");
    assert_ne!(resealed, legacy);
    assert!(opens_unbound(&encoded, &legacy));
    assert!(!opens_unbound(&encoded, &resealed), "bound now");
    let again = keys.active(&master(&encoded)).await.expect("opens bound");
    assert_eq!(again.pkcs8, pkcs8.as_ref());
}
