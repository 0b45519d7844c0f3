//! Access tokens: short-lived EdDSA JWTs with the signing key's `kid`, and their verification
//! against every published key (only EdDSA, known `kid`, right issuer, not expired).

use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use events::{Permission, PrincipalType};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::keys::{ActiveKey, KeyError, KeyStore, PublicKey};

/// The claims of an access token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessClaims {
    pub iss: String,
    /// The principal.
    pub sub: Uuid,
    /// The session the token belongs to.
    pub sid: Uuid,
    pub principal_type: PrincipalType,
    pub permissions: Vec<Permission>,
    pub jti: Uuid,
    pub iat: i64,
    pub exp: i64,
}

impl AccessClaims {
    pub fn has(&self, permission: Permission) -> bool {
        self.permissions.contains(&permission)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    #[error("token rejected: {0}")]
    Invalid(String),
    #[error("signing failed: {0}")]
    Sign(String),
    #[error(transparent)]
    Keys(#[from] KeyError),
}

/// Signs access tokens with the active key.
pub struct TokenIssuer {
    key: RwLock<Arc<(String, EncodingKey)>>,
    issuer: String,
    ttl: chrono::Duration,
}

impl std::fmt::Debug for TokenIssuer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenIssuer")
            .field("issuer", &self.issuer)
            .field("ttl", &self.ttl)
            .finish_non_exhaustive()
    }
}

impl TokenIssuer {
    pub fn new(active: &ActiveKey, issuer: String, ttl: chrono::Duration) -> Self {
        Self {
            key: RwLock::new(Arc::new(encoding(active))),
            issuer,
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
        now: DateTime<Utc>,
    ) -> Result<(String, AccessClaims), TokenError> {
        let claims = AccessClaims {
            iss: self.issuer.clone(),
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
        let token = jsonwebtoken::encode(&header, &claims, &key.1)
            .map_err(|e| TokenError::Sign(e.to_string()))?;
        Ok((token, claims))
    }
}

fn encoding(active: &ActiveKey) -> (String, EncodingKey) {
    (active.kid.clone(), EncodingKey::from_ed_der(&active.pkcs8))
}

/// How often unknown `kid`s may trigger a reload of the published keys: a token signed by a
/// key just rotated in waits at most this long, forged `kid`s cost at most this many queries.
const RELOAD_AT_MOST_EVERY: Duration = Duration::from_millis(200);

/// Most verified tokens remembered; past it, expired ones are forgotten first, then all.
const VERIFIED_CAPACITY: usize = 100_000;

/// Verifies access tokens against the published keys, reloading them when a token names a key
/// it does not know yet (a rotation by another instance).
pub struct TokenVerifier {
    store: KeyStore,
    keys: RwLock<HashMap<String, DecodingKey>>,
    validation: Validation,
    last_reload: tokio::sync::Mutex<Option<Instant>>,
    /// Tokens whose signature checked out, by SHA-256 of the whole token: a resource server
    /// introspects the same token on every call of its client, and the signature check is
    /// most of an introspection's cost. The expiry is checked on every use.
    verified: std::sync::Mutex<HashMap<[u8; 32], AccessClaims>>,
}

impl std::fmt::Debug for TokenVerifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenVerifier").finish_non_exhaustive()
    }
}

impl TokenVerifier {
    pub fn new(store: KeyStore, issuer: &str) -> Self {
        let mut validation = Validation::new(Algorithm::EdDSA);
        validation.leeway = 0;
        validation.validate_aud = false;
        validation.set_issuer(&[issuer]);
        validation.set_required_spec_claims(&["exp", "iat", "sub", "iss"]);
        Self {
            store,
            keys: RwLock::default(),
            validation,
            last_reload: tokio::sync::Mutex::default(),
            verified: std::sync::Mutex::default(),
        }
    }

    /// Loads the published keys now.
    pub async fn reload(&self) -> Result<Vec<PublicKey>, KeyError> {
        let mut last = self.last_reload.lock().await;
        self.load(&mut last).await
    }

    async fn load(&self, last: &mut Option<Instant>) -> Result<Vec<PublicKey>, KeyError> {
        let published = self.store.published().await?;
        let keys = published
            .iter()
            .map(|k| (k.kid.clone(), DecodingKey::from_ed_der(&k.key)))
            .collect();
        *self.keys.write().unwrap_or_else(|p| p.into_inner()) = keys;
        *last = Some(Instant::now());
        Ok(published)
    }

    /// Reloads for a `kid` not known yet, at most every [`RELOAD_AT_MOST_EVERY`]; concurrent
    /// callers share one reload.
    async fn reload_for(&self, kid: &str) -> Result<(), KeyError> {
        let mut last = self.last_reload.lock().await;
        if self.knows(kid) {
            return Ok(());
        }
        if let Some(at) = *last {
            tokio::time::sleep(RELOAD_AT_MOST_EVERY.saturating_sub(at.elapsed())).await;
        }
        self.load(&mut last).await.map(drop)
    }

    /// The claims of `token` if it is well formed, signed by a published key and unexpired.
    /// Says nothing about its session: callers check that separately.
    pub async fn verify(&self, token: &str) -> Result<AccessClaims, TokenError> {
        let fingerprint = fingerprint(token);
        let now = Utc::now().timestamp();
        if let Some(claims) = self.lock_verified().get(&fingerprint)
            && claims.exp >= now
        {
            return Ok(claims.clone());
        }
        let claims = self.verify_signed(token).await?;
        let mut verified = self.lock_verified();
        if verified.len() >= VERIFIED_CAPACITY {
            verified.retain(|_, c| c.exp >= now);
            if verified.len() >= VERIFIED_CAPACITY {
                verified.clear();
            }
        }
        verified.insert(fingerprint, claims.clone());
        Ok(claims)
    }

    fn lock_verified(&self) -> std::sync::MutexGuard<'_, HashMap<[u8; 32], AccessClaims>> {
        self.verified.lock().unwrap_or_else(|p| p.into_inner())
    }

    async fn verify_signed(&self, token: &str) -> Result<AccessClaims, TokenError> {
        let header =
            jsonwebtoken::decode_header(token).map_err(|e| TokenError::Invalid(e.to_string()))?;
        if header.alg != Algorithm::EdDSA {
            return Err(TokenError::Invalid("algorithm".into()));
        }
        let kid = header
            .kid
            .ok_or_else(|| TokenError::Invalid("no kid".into()))?;
        if !self.knows(&kid) {
            self.reload_for(&kid).await?;
        }
        let keys = self.keys.read().unwrap_or_else(|p| p.into_inner());
        let key = keys
            .get(&kid)
            .ok_or_else(|| TokenError::Invalid("unknown kid".into()))?;
        jsonwebtoken::decode::<AccessClaims>(token, key, &self.validation)
            .map(|data| data.claims)
            .map_err(|e| TokenError::Invalid(e.to_string()))
    }

    fn knows(&self, kid: &str) -> bool {
        self.keys
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .contains_key(kid)
    }
}

fn fingerprint(token: &str) -> [u8; 32] {
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, token.as_bytes());
    let mut out = [0u8; 32];
    out.copy_from_slice(digest.as_ref());
    out
}

/// The token of a request's `Authorization: Bearer <token>` header, if it has one.
pub fn bearer_token(headers: &axum::http::HeaderMap) -> Option<&str> {
    headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
        })
        .map(str::trim)
}
