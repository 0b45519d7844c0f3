//! The one-off commands an operator runs: the first admin, a signing-key rotation, and the
//! withdrawal of a compromised signing key.

use std::io::Write;

use anyhow::Context;
use runtime::clock::{Clock, SystemClock};
use secrecy::SecretString;
use store::event_store::PgEventStore;

use crate::auth::keys::{KeyStore, MasterKey};
use crate::auth::passwords::Passwords;
use crate::bootstrap::{Bootstrapped, bootstrap_admin};
use crate::cli::{BootstrapArgs, RetireArgs, RotateArgs};

/// `command-api rotate-signing-key`: a new key signs from now on; the old one keeps verifying
/// until the last token it signed has expired.
pub async fn rotate_signing_key(args: RotateArgs) -> anyhow::Result<()> {
    let pool = args.db.pool()?;
    let master = MasterKey::from_base64(&args.tokens.master_key)?;
    let kid = KeyStore::new(pool)
        .rotate(
            &master,
            chrono::Duration::seconds(args.tokens.access_token_ttl_secs),
        )
        .await
        .context("rotating the signing key")?;
    writeln!(std::io::stdout().lock(), "signing with key {kid}")?;
    Ok(())
}

/// `command-api retire-signing-key --kid <kid>`: the key stops verifying at once everywhere;
/// if it was signing, a new key does.
pub async fn retire_signing_key(args: RetireArgs) -> anyhow::Result<()> {
    let pool = args.db.pool()?;
    let master = MasterKey::from_base64(&args.tokens.master_key)?;
    let signing = KeyStore::new(pool)
        .retire(&master, &args.kid)
        .await
        .context("retiring the signing key")?;
    writeln!(
        std::io::stdout().lock(),
        "key {} withdrawn; signing with key {signing}",
        args.kid
    )?;
    Ok(())
}

/// `command-api bootstrap-admin`: prints what it did on stdout, for the operator.
pub async fn bootstrap(args: BootstrapArgs) -> anyhow::Result<()> {
    let pool = args.db.pool()?;
    let store = PgEventStore::new(pool);
    let passwords = Passwords::new(&args.passwords)?;
    let (password, generated) = match args.password {
        Some(p) => (SecretString::from(p), false),
        None => (generate_password()?, true),
    };
    let outcome = bootstrap_admin(
        &store,
        &passwords,
        &args.login,
        &password,
        SystemClock.now(),
    )
    .await
    .context("bootstrapping the admin")?;
    let mut out = std::io::stdout().lock();
    match outcome {
        Bootstrapped::Created { user_id } => {
            writeln!(out, "created admin {} (user {user_id})", args.login)?;
            if generated {
                use secrecy::ExposeSecret;
                writeln!(out, "generated password: {}", password.expose_secret())?;
            }
        }
        Bootstrapped::AlreadyDone => writeln!(out, "an admin exists already; nothing changed")?,
    }
    Ok(())
}

fn generate_password() -> anyhow::Result<SecretString> {
    use base64::Engine;
    let mut bytes = [0u8; 18];
    aws_lc_rs::rand::fill(&mut bytes).map_err(|_| anyhow::anyhow!("no randomness"))?;
    Ok(base64::engine::general_purpose::URL_SAFE_NO_PAD
        .encode(bytes)
        .into())
}
