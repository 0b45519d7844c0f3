//! Re-authentication before a principal changes its own login or password: a stolen access
//! token alone must not be enough to take the account over.

use secrecy::SecretString;
use store::subject_keys::LoginIndex;
use uuid::Uuid;

use super::credentials::Credentials;
use super::passwords::{Passwords, Verified};
use super::throttle::{Limit, Throttle, account_subject};
use crate::http::ApiError;

/// What re-authentication checks against.
#[derive(Clone, Copy)]
pub struct Reauth<'a> {
    pub throttle: &'a dyn Throttle,
    /// The login's bucket is named by its keyed hash, as a login names it.
    pub logins: &'a LoginIndex,
    pub credentials: &'a dyn Credentials,
    pub passwords: &'a Passwords,
}

impl std::fmt::Debug for Reauth<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Reauth").finish_non_exhaustive()
    }
}

impl Reauth<'_> {
    /// Fails (422 on `current_password`) unless `given` is the principal's current password.
    /// Each try takes from the account's login bucket (the very bucket `/v1/auth/login` takes
    /// from), so it is no way around the limit on password guessing.
    pub async fn confirm(
        &self,
        principal_id: Uuid,
        canonical_login: &str,
        given: Option<&SecretString>,
    ) -> Result<(), ApiError> {
        let wrong = |detail: &str| ApiError::InvalidField {
            field: "current_password",
            detail: detail.into(),
        };
        let given = given.ok_or_else(|| wrong("required to change your own login or password"))?;
        self.throttle
            .take(
                Limit::LoginPerAccount,
                &account_subject(&self.logins.digest(canonical_login)),
            )
            .await?;
        let stored = self.credentials.find_by_id(principal_id).await?;
        let verified = self
            .passwords
            .verify(given, stored.as_ref().map(|c| c.password_hash.as_str()))
            .await
            .map_err(|e| ApiError::Internal(e.to_string()))?;
        match verified {
            Verified::Valid | Verified::ValidRehashed(_) => Ok(()),
            Verified::Invalid => Err(wrong("is not the current password")),
        }
    }
}
