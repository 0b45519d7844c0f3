//! Bearer tokens as callers send them, through the verifier every server uses: header parsing,
//! algorithm and kid checks, signature and claims. Never a panic. Its key store is unreachable
//! and read at most once an hour, so a kid that looks like ours costs one failed read, once.
#![no_main]

use std::sync::LazyLock;
use std::time::Duration;

use access::{PublishedKeys, TokenRules, TokenVerifier};
use libfuzzer_sys::fuzz_target;
use sqlx::postgres::PgPoolOptions;
use tokio::runtime::Runtime;

static RUNTIME: LazyLock<Runtime> = LazyLock::new(|| {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
});

static VERIFIER: LazyLock<TokenVerifier> = LazyLock::new(|| {
    let _entered = RUNTIME.enter();
    let nowhere = PgPoolOptions::new()
        .acquire_timeout(Duration::from_millis(200))
        .connect_lazy("postgres://fuzz@127.0.0.1:9/nowhere")
        .expect("pool");
    let rules = TokenRules {
        issuer: "fuzz".into(),
        audience: "fuzz".into(),
    };
    TokenVerifier::new(PublishedKeys::new(nowhere), &rules)
        .reloading_at_most_every(Duration::from_secs(3600))
});

fuzz_target!(|data: &[u8]| {
    let Ok(token) = std::str::from_utf8(data) else {
        return;
    };
    let _ = RUNTIME.block_on(VERIFIER.verify(token));
});
