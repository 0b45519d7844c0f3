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
    let master = MasterKey::load(&args.tokens.master)?;
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
    let master = MasterKey::load(&args.tokens.master)?;
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
    let passwords = Passwords::new(&args.passwords)?;
    let (password, generated) = match args.password {
        Some(p) => {
            // The same rules as every new password (a generated one is long and random).
            if let Err(weak) = args.passwords.policy.check(&p, &[&args.login]) {
                anyhow::bail!("the admin password is refused: {weak}");
            }
            (SecretString::from(p), false)
        }
        None => (generate_password()?, true),
    };
    let logins = MasterKey::load(&args.master)?.login_index()?;
    let store = PgEventStore::new(args.db.pool()?);
    let outcome = bootstrap_admin(
        &store,
        &passwords,
        &logins,
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

#[cfg(test)]
mod tests {
    use clap::Parser;

    use crate::cli::{Cli, Command};

    #[tokio::test]
    async fn a_weak_admin_password_is_refused_before_anything_is_written() {
        for weak in ["password1234", "short", "admin@example.test-2024"] {
            let cli = Cli::try_parse_from([
                "command-api",
                "bootstrap-admin",
                "--login",
                "admin@example.test",
                "--password",
                weak,
                "--master-key",
                "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
                // Nothing listens there: the refusal comes before any connection.
                "--database-url",
                "postgres://nobody@127.0.0.1:1/none",
            ])
            .expect("command line");
            let Command::BootstrapAdmin(args) = cli.command else {
                panic!("bootstrap-admin parsed as another command");
            };
            let error = super::bootstrap(args).await.expect_err(weak).to_string();
            assert!(error.contains("password is refused"), "{weak}: {error}");
        }
    }
}
