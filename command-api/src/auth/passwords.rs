//! Password hashing with argon2id. Hashing runs off the async threads (it is deliberately
//! slow); an unknown login is verified against a dummy hash so it costs the same time as a
//! wrong password.

use argon2::{Algorithm, Argon2, Params, PasswordHash, PasswordHasher, PasswordVerifier, Version};
use secrecy::{ExposeSecret, SecretString};

#[derive(Debug, Clone, clap::Args)]
pub struct PasswordArgs {
    /// argon2id memory cost in KiB (OWASP: 19456).
    #[arg(long = "argon2-memory-kib", env = "ARGON2_MEMORY_KIB", default_value_t = Params::DEFAULT_M_COST)]
    pub memory_kib: u32,
    /// argon2id iterations (OWASP: 2).
    #[arg(long = "argon2-iterations", env = "ARGON2_ITERATIONS", default_value_t = Params::DEFAULT_T_COST)]
    pub iterations: u32,
    /// argon2id lanes (OWASP: 1).
    #[arg(long = "argon2-parallelism", env = "ARGON2_PARALLELISM", default_value_t = Params::DEFAULT_P_COST)]
    pub parallelism: u32,
}

impl Default for PasswordArgs {
    fn default() -> Self {
        Self {
            memory_kib: Params::DEFAULT_M_COST,
            iterations: Params::DEFAULT_T_COST,
            parallelism: Params::DEFAULT_P_COST,
        }
    }
}

/// The outcome of checking a password.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verified {
    /// Right password; the stored hash uses the configured parameters.
    Valid,
    /// Right password, but the hash should be replaced by this one (parameters changed).
    ValidRehashed(String),
    Invalid,
}

#[derive(Debug, thiserror::Error)]
pub enum PasswordError {
    #[error("invalid argon2 parameters: {0}")]
    Params(String),
    #[error("hashing failed: {0}")]
    Hash(String),
}

#[derive(Clone)]
pub struct Passwords {
    params: Params,
    dummy_hash: String,
}

impl std::fmt::Debug for Passwords {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Passwords")
            .field("params", &self.params)
            .finish_non_exhaustive()
    }
}

impl Passwords {
    pub fn new(args: &PasswordArgs) -> Result<Self, PasswordError> {
        let params = Params::new(args.memory_kib, args.iterations, args.parallelism, None)
            .map_err(|e| PasswordError::Params(e.to_string()))?;
        let dummy_hash = hash_with(&params, "dummy password for unknown logins")?;
        Ok(Self { params, dummy_hash })
    }

    /// A fresh argon2id hash (PHC string) of `password`.
    pub async fn hash(&self, password: &SecretString) -> Result<String, PasswordError> {
        let params = self.params.clone();
        let password = password.clone();
        tokio::task::spawn_blocking(move || hash_with(&params, password.expose_secret()))
            .await
            .map_err(|e| PasswordError::Hash(e.to_string()))?
    }

    /// Checks `password` against `stored` — or, for an unknown login (`None`), against a dummy
    /// hash with the same cost, so both answers take as long.
    pub async fn verify(
        &self,
        password: &SecretString,
        stored: Option<&str>,
    ) -> Result<Verified, PasswordError> {
        let known = stored.is_some();
        let stored = stored.unwrap_or(&self.dummy_hash).to_owned();
        let params = self.params.clone();
        let password = password.clone();
        tokio::task::spawn_blocking(move || {
            let matches = argon2(&params)
                .verify_password(password.expose_secret().as_bytes(), stored.as_str())
                .is_ok();
            if !(known && matches) {
                return Ok(Verified::Invalid);
            }
            if uses(&stored, &params) {
                Ok(Verified::Valid)
            } else {
                hash_with(&params, password.expose_secret()).map(Verified::ValidRehashed)
            }
        })
        .await
        .map_err(|e| PasswordError::Hash(e.to_string()))?
    }
}

fn argon2(params: &Params) -> Argon2<'static> {
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone())
}

fn hash_with(params: &Params, password: &str) -> Result<String, PasswordError> {
    argon2(params)
        .hash_password(password.as_bytes())
        .map(|h| h.to_string())
        .map_err(|e| PasswordError::Hash(e.to_string()))
}

/// Whether `stored` is an argon2id hash with exactly `params`.
fn uses(stored: &str, params: &Params) -> bool {
    PasswordHash::new(stored).is_ok_and(|hash| {
        hash.algorithm == argon2::ARGON2ID_IDENT
            && Params::try_from(&hash).is_ok_and(|p| {
                p.m_cost() == params.m_cost()
                    && p.t_cost() == params.t_cost()
                    && p.p_cost() == params.p_cost()
            })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cheap(iterations: u32) -> Passwords {
        Passwords::new(&PasswordArgs {
            memory_kib: 64,
            iterations,
            parallelism: 1,
        })
        .expect("valid parameters")
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
        let Verified::ValidRehashed(new) =
            current.verify(&secret, Some(&old)).await.expect("verify")
        else {
            panic!("expected a rehash");
        };
        assert!(new.contains("t=2"), "{new}");
        assert_eq!(
            current.verify(&secret, Some(&new)).await.expect("verify"),
            Verified::Valid
        );
    }
}
