//! Unknown `kid`s: forged ones cost at most one read of the published keys per interval and
//! make nobody wait; `kid`s this platform could not have made cost none. The keys' database is
//! unreachable here, so any read shows as a read and as "keys unavailable".

use std::time::Duration;

use access::{PublishedKeys, TokenError, TokenRules, TokenVerifier};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use futures::future::join_all;
use sqlx::postgres::PgPoolOptions;

/// A token naming `kid`, with a signature nobody made.
fn forged(kid: &str) -> String {
    let part = |json: String| URL_SAFE_NO_PAD.encode(json);
    format!(
        "{}.{}.{}",
        part(format!(r#"{{"alg":"EdDSA","typ":"JWT","kid":"{kid}"}}"#)),
        part(r#"{"sub":"x","iss":"identity","iat":0,"exp":4102444800}"#.into()),
        URL_SAFE_NO_PAD.encode([7u8; 64]),
    )
}

fn verifier() -> TokenVerifier {
    let nowhere = PgPoolOptions::new()
        .acquire_timeout(Duration::from_secs(2))
        .connect_lazy("postgres://postgres@127.0.0.1:9/nowhere")
        .expect("pool");
    TokenVerifier::new(
        PublishedKeys::new(nowhere),
        &TokenRules {
            issuer: "identity".into(),
            audience: "platform".into(),
        },
    )
    .reloading_at_most_every(Duration::from_secs(3600))
}

#[tokio::test]
async fn kids_this_platform_could_not_have_made_never_reach_the_database() {
    let verifier = verifier();
    for kid in ["../../keys", "1' OR '1'='1", "", &"a".repeat(33), "zz"] {
        let result = verifier.verify(&forged(kid)).await;
        assert!(
            matches!(result, Err(TokenError::Invalid(_))),
            "{kid:?}: {result:?}"
        );
    }
    assert_eq!(verifier.reloads(), 0);
}

#[tokio::test]
async fn many_unknown_kids_at_once_read_the_keys_once() {
    let verifier = verifier();
    let kids: Vec<String> = (0..50).map(|i| format!("{i:032x}")).collect();

    let tokens: Vec<String> = kids.iter().map(|kid| forged(kid)).collect();
    let results = join_all(tokens.iter().map(|token| verifier.verify(token))).await;

    assert_eq!(verifier.reloads(), 1, "one read for fifty unknown kids");
    assert!(
        results
            .iter()
            .all(|r| matches!(r, Err(TokenError::Keys(_)))),
        "the keys could not be read, so each is answered unavailable: {results:?}"
    );
}
