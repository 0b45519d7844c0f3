//! Verification of access tokens against every published key: only EdDSA, a known `kid`, the
//! right issuer and audience, not expired, not issued in the future. Whether the token's
//! session is still active is for the caller.

use std::collections::HashMap;
use std::sync::RwLock;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use chrono::Utc;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};

use crate::keys::{KeysUnavailable, PublicKey, PublishedKeys};
use crate::{AccessClaims, TokenRules};

#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    #[error("token rejected: {0}")]
    Invalid(String),
    #[error(transparent)]
    Keys(#[from] KeysUnavailable),
}

/// How often unknown `kid`s may trigger a reload of the published keys. An unknown `kid` within
/// this time of the last reload is refused at once (or answered unavailable, if that reload
/// failed): forged `kid`s cost at most one query per interval and make nobody wait.
const RELOAD_AT_MOST_EVERY: Duration = Duration::from_millis(200);

/// The last reload of the published keys: when, and whether it worked.
#[derive(Debug, Clone, Copy)]
struct Reload {
    at: Instant,
    ok: bool,
}

/// How far ahead of this clock another instance's clock may be: a token whose `iat` is later
/// than this is refused (it was made by a clock no instance should have, or forged). `exp` and
/// `nbf` are checked without leeway.
const CLOCK_SKEW_SECS: i64 = 30;

/// Most verified tokens remembered; past it, expired ones are forgotten first, then all.
const VERIFIED_CAPACITY: usize = 100_000;

/// Verifies access tokens against the published keys, reloading them when a token names a key
/// it does not know yet (a rotation by another instance).
pub struct TokenVerifier {
    source: PublishedKeys,
    keys: RwLock<HashMap<String, DecodingKey>>,
    validation: Validation,
    /// Held while the keys are read; an unknown `kid` waits for a read in flight, never more.
    last_reload: tokio::sync::Mutex<Option<Reload>>,
    reload_every: Duration,
    reloads: AtomicU64,
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
    pub fn new(source: PublishedKeys, rules: &TokenRules) -> Self {
        let mut validation = Validation::new(Algorithm::EdDSA);
        validation.leeway = 0;
        validation.validate_nbf = true;
        validation.set_issuer(&[&rules.issuer]);
        validation.set_audience(&[&rules.audience]);
        validation.set_required_spec_claims(&["exp", "iat", "sub", "iss", "aud"]);
        Self {
            source,
            keys: RwLock::default(),
            validation,
            last_reload: tokio::sync::Mutex::default(),
            reload_every: RELOAD_AT_MOST_EVERY,
            reloads: AtomicU64::new(0),
            verified: std::sync::Mutex::default(),
        }
    }

    /// The same verifier with unknown `kid`s reloading the keys at most once per `interval`.
    pub fn reloading_at_most_every(self, interval: Duration) -> Self {
        Self {
            reload_every: interval,
            ..self
        }
    }

    /// How many times the published keys were read.
    pub fn reloads(&self) -> u64 {
        self.reloads.load(Ordering::Relaxed)
    }

    /// Loads the published keys now.
    pub async fn reload(&self) -> Result<Vec<PublicKey>, KeysUnavailable> {
        let mut last = self.last_reload.lock().await;
        self.load(&mut last).await
    }

    async fn load(&self, last: &mut Option<Reload>) -> Result<Vec<PublicKey>, KeysUnavailable> {
        self.reloads.fetch_add(1, Ordering::Relaxed);
        let published = self.source.published().await;
        *last = Some(Reload {
            at: Instant::now(),
            ok: published.is_ok(),
        });
        let published = published?;
        let keys: HashMap<String, DecodingKey> = published
            .iter()
            .map(|k| (k.kid.clone(), DecodingKey::from_ed_der(&k.key)))
            .collect();
        let mut known = self.keys.write().unwrap_or_else(|p| p.into_inner());
        if known.keys().any(|kid| !keys.contains_key(kid)) {
            // A key was withdrawn: what it signed must not verify from the cache either.
            self.lock_verified().clear();
        }
        *known = keys;
        Ok(published)
    }

    /// Reloads for a `kid` not known yet, unless the keys were read less than an interval ago;
    /// concurrent callers share one reload. A `kid` this platform could not have made is
    /// refused without one.
    async fn reload_for(&self, kid: &str) -> Result<(), KeysUnavailable> {
        if !plausible_kid(kid) {
            return Ok(());
        }
        let mut last = self.last_reload.lock().await;
        if self.knows(kid) {
            return Ok(());
        }
        match *last {
            Some(Reload { at, ok }) if at.elapsed() < self.reload_every => match ok {
                true => Ok(()),
                false => Err(KeysUnavailable::Recently),
            },
            _ => self.load(&mut last).await.map(drop),
        }
    }

    /// The claims of `token` if it is well formed, signed by a published key and unexpired.
    /// Says nothing about its session: callers check that separately.
    pub async fn verify(&self, token: &str) -> Result<AccessClaims, TokenError> {
        let fingerprint = fingerprint(token);
        let now = Utc::now().timestamp();
        if let Some(claims) = self.lock_verified().get(&fingerprint)
            && claims.exp > now
        {
            return Ok(claims.clone());
        }
        let claims = self.verify_signed(token).await?;
        let mut verified = self.lock_verified();
        if verified.len() >= VERIFIED_CAPACITY {
            verified.retain(|_, c| c.exp > now);
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
        let claims = jsonwebtoken::decode::<AccessClaims>(token, key, &self.validation)
            .map_err(|e| TokenError::Invalid(e.to_string()))?
            .claims;
        let now = Utc::now().timestamp();
        // RFC 7519 §4.1.4: not accepted *on or after* `exp`; the library still accepts at
        // `exp` itself.
        if claims.exp <= now {
            return Err(TokenError::Invalid("expired".into()));
        }
        if claims.iat > now + CLOCK_SKEW_SECS {
            return Err(TokenError::Invalid("issued in the future".into()));
        }
        Ok(claims)
    }

    fn knows(&self, kid: &str) -> bool {
        self.keys
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .contains_key(kid)
    }
}

/// Whether `kid` has the shape of the ids command-api gives its keys (a UUID's 32 hex digits).
fn plausible_kid(kid: &str) -> bool {
    kid.len() == 32 && kid.bytes().all(|b| b.is_ascii_hexdigit())
}

fn fingerprint(token: &str) -> [u8; 32] {
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, token.as_bytes());
    let mut out = [0u8; 32];
    out.copy_from_slice(digest.as_ref());
    out
}
