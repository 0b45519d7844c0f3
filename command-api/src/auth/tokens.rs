//! Access tokens: short-lived EdDSA JWTs signed with the active key and naming its `kid`.
//! Verifying them is the `access` crate's part, shared with query-api.

use std::sync::{Arc, RwLock};

use access::{AccessClaims, TokenRules};
use chrono::Utc;
use events::{Permission, PrincipalType};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use uuid::Uuid;

use super::keys::ActiveKey;

/// A token could not be signed.
#[derive(Debug, thiserror::Error)]
#[error("signing failed: {0}")]
pub struct SignError(String);

/// Signs access tokens with the active key.
pub struct TokenIssuer {
    key: RwLock<Arc<(String, EncodingKey)>>,
    rules: TokenRules,
    ttl: chrono::Duration,
}

impl std::fmt::Debug for TokenIssuer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenIssuer")
            .field("rules", &self.rules)
            .field("ttl", &self.ttl)
            .finish_non_exhaustive()
    }
}

impl TokenIssuer {
    pub fn new(active: &ActiveKey, rules: TokenRules, ttl: chrono::Duration) -> Self {
        Self {
            key: RwLock::new(Arc::new(encoding(active))),
            rules,
            ttl,
        }
    }

    /// Signs with `active` from now on (after a rotation).
    pub fn use_key(&self, active: &ActiveKey) {
        *self.key.write().unwrap_or_else(|p| p.into_inner()) = Arc::new(encoding(active));
    }

    pub fn kid(&self) -> String {
        self.key.read().unwrap_or_else(|p| p.into_inner()).0.clone()
    }

    pub fn ttl(&self) -> chrono::Duration {
        self.ttl
    }

    pub fn issue(
        &self,
        principal_id: Uuid,
        principal_type: PrincipalType,
        session_id: Uuid,
        permissions: Vec<Permission>,
    ) -> Result<(String, AccessClaims), SignError> {
        // The real clock, not the domain's: every verifier, downstream ones included, checks
        // `iat` and `exp` against its own.
        let now = Utc::now();
        let claims = AccessClaims {
            iss: self.rules.issuer.clone(),
            aud: self.rules.audience.clone(),
            sub: principal_id,
            sid: session_id,
            principal_type,
            permissions,
            jti: Uuid::now_v7(),
            iat: now.timestamp(),
            exp: (now + self.ttl).timestamp(),
        };
        let key = self.key.read().unwrap_or_else(|p| p.into_inner()).clone();
        let mut header = Header::new(Algorithm::EdDSA);
        header.kid = Some(key.0.clone());
        let token =
            jsonwebtoken::encode(&header, &claims, &key.1).map_err(|e| SignError(e.to_string()))?;
        Ok((token, claims))
    }
}

fn encoding(active: &ActiveKey) -> (String, EncodingKey) {
    (active.kid.clone(), EncodingKey::from_ed_der(&active.pkcs8))
}
