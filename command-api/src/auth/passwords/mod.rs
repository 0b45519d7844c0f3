//! Password hashing with argon2id. Hashing runs off the async threads (it is deliberately
//! slow), at most as many at once as the memory budget holds; an unknown login is verified
//! against a dummy hash so it costs the same time as a wrong password.

use std::sync::Arc;

use argon2::{Algorithm, Argon2, Params, PasswordHash, PasswordHasher, Version};
use secrecy::{ExposeSecret, SecretString};
use tokio::sync::Semaphore;

use super::password_policy::PasswordPolicyArgs;
use memory::Memory;

mod memory;

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
    /// Memory all password checks running at once may use, in MiB: checks past it (or past
    /// one per core) wait for one to finish, so a burst of logins cannot exhaust memory.
    #[arg(
        long = "argon2-max-memory-mib",
        env = "ARGON2_MAX_MEMORY_MIB",
        default_value_t = 128
    )]
    pub max_memory_mib: u32,
    /// What new passwords must be.
    #[command(flatten)]
    pub policy: PasswordPolicyArgs,
}

impl Default for PasswordArgs {
    fn default() -> Self {
        Self {
            memory_kib: Params::DEFAULT_M_COST,
            iterations: Params::DEFAULT_T_COST,
            parallelism: Params::DEFAULT_P_COST,
            max_memory_mib: 128,
            policy: PasswordPolicyArgs::default(),
        }
    }
}

impl PasswordArgs {
    /// How many hashes run at once: as many as the memory budget holds, and no more than the
    /// cores (hashing is CPU-bound: more at once only share the cores, and hold more memory).
    pub fn concurrency(&self) -> usize {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        self.concurrency_on(cores)
    }

    fn concurrency_on(&self, cores: usize) -> usize {
        let budget_kib = u64::from(self.max_memory_mib) * 1024;
        let fits = (budget_kib / u64::from(self.memory_kib.max(1))) as usize;
        fits.min(cores).max(1)
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
    /// One permit per hash that may run at once.
    permits: Arc<Semaphore>,
    /// argon2's working memory, one buffer per permit at most.
    memory: Memory,
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
        let permits = Arc::new(Semaphore::new(args.concurrency()));
        Ok(Self {
            memory: Memory::new(&params),
            params,
            dummy_hash,
            permits,
        })
    }

    /// Runs `work` on a blocking thread once the memory budget has room for it.
    async fn bounded<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> Result<T, PasswordError> + Send + 'static,
    ) -> Result<T, PasswordError> {
        let permit = self.permits.clone().acquire_owned().await;
        let permit = permit.map_err(|e| PasswordError::Hash(e.to_string()))?;
        tokio::task::spawn_blocking(move || {
            let _permit = permit;
            work()
        })
        .await
        .map_err(|e| PasswordError::Hash(e.to_string()))?
    }

    /// A fresh argon2id hash (PHC string) of `password`.
    pub async fn hash(&self, password: &SecretString) -> Result<String, PasswordError> {
        let params = self.params.clone();
        let password = password.clone();
        self.bounded(move || hash_with(&params, password.expose_secret()))
            .await
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
        let memory = self.memory.clone();
        self.bounded(move || {
            let matches = memory.verify(password.expose_secret().as_bytes(), &stored);
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
mod tests;
