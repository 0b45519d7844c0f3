//! A wrong master key is a configuration error: `command-api serve` stops at once and says so,
//! instead of retrying as if the database were down.

use std::process::Stdio;
use std::time::Duration;

use command_api::auth::keys::{KeyStore, MasterKey};
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
