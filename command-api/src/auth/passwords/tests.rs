//! Hashing, checking, the memory budget and rehashing on new parameters.

use super::*;

fn cheap(iterations: u32) -> Passwords {
    Passwords::new(&PasswordArgs {
        memory_kib: 64,
        iterations,
        parallelism: 1,
        ..PasswordArgs::default()
    })
    .expect("valid parameters")
}

#[test]
fn the_memory_budget_sets_how_many_hashes_run_at_once() {
    let args = |memory_kib, max_memory_mib| PasswordArgs {
        memory_kib,
        max_memory_mib,
        ..PasswordArgs::default()
    };
    assert_eq!(args(19_456, 128).concurrency_on(16), 6);
    assert_eq!(args(19_456, 16).concurrency_on(16), 1, "at least one");
    assert_eq!(args(1024, 8).concurrency_on(16), 8);
    assert_eq!(args(1024, 8).concurrency_on(2), 2, "no more than the cores");
}

#[tokio::test]
async fn a_hash_verifies_its_password_only() {
    let passwords = cheap(1);
    let secret = SecretString::from("correct horse");
    let hash = passwords.hash(&secret).await.expect("hash");
    assert!(hash.starts_with("$argon2id$"));
    assert_eq!(
        passwords
            .verify(&secret, Some(&hash))
            .await
            .expect("verify"),
        Verified::Valid
    );
    let wrong = SecretString::from("battery staple");
    assert_eq!(
        passwords.verify(&wrong, Some(&hash)).await.expect("verify"),
        Verified::Invalid
    );
}

#[tokio::test]
async fn an_unknown_login_is_invalid_even_with_the_dummy_password() {
    let passwords = cheap(1);
    let dummy = SecretString::from("dummy password for unknown logins");
    assert_eq!(
        passwords.verify(&dummy, None).await.expect("verify"),
        Verified::Invalid
    );
}

#[tokio::test]
async fn a_hash_with_old_parameters_is_replaced_on_a_successful_check() {
    let secret = SecretString::from("correct horse");
    let old = cheap(1).hash(&secret).await.expect("hash");
    let current = cheap(2);
    let Verified::ValidRehashed(new) = current.verify(&secret, Some(&old)).await.expect("verify")
    else {
        panic!("expected a rehash");
    };
    assert!(new.contains("t=2"), "{new}");
    assert_eq!(
        current.verify(&secret, Some(&new)).await.expect("verify"),
        Verified::Valid
    );
}

#[tokio::test]
async fn a_hash_made_with_more_memory_verifies_and_is_replaced() {
    let secret = SecretString::from("correct horse");
    let larger = Passwords::new(&PasswordArgs {
        memory_kib: 128,
        iterations: 1,
        parallelism: 1,
        ..PasswordArgs::default()
    })
    .expect("valid parameters");
    let old = larger.hash(&secret).await.expect("hash");
    let current = cheap(1);
    let verified = current.verify(&secret, Some(&old)).await.expect("verify");
    assert!(
        matches!(verified, Verified::ValidRehashed(_)),
        "{verified:?}"
    );
    let wrong = SecretString::from("battery staple");
    assert_eq!(
        current.verify(&wrong, Some(&old)).await.expect("verify"),
        Verified::Invalid
    );
}

#[tokio::test]
async fn a_malformed_stored_hash_verifies_nothing() {
    let secret = SecretString::from("correct horse");
    let passwords = cheap(1);
    let hash = passwords.hash(&secret).await.expect("hash");
    for stored in [
        "",
        "not a hash",
        &hash[..hash.len() - 4],
        &hash.replace("argon2id", "argon2x"),
    ] {
        assert_eq!(
            passwords
                .verify(&secret, Some(stored))
                .await
                .expect("verify"),
            Verified::Invalid,
            "{stored}"
        );
    }
}
