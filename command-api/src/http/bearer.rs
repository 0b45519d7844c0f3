//! The `Authorization: Bearer` access token of a request, verified (signature, key, issuer,
//! expiry). Whether its session is still active is for the command to check, from the events.

use std::sync::Arc;

use access::{AccessClaims, TokenError, TokenVerifier, bearer_token};
use axum::extract::{FromRef, FromRequestParts};
use axum::http::request::Parts;

use super::ApiError;

#[derive(Debug, Clone)]
pub struct Bearer(pub AccessClaims);

/// Any context's state that holds the verifier can authenticate its callers.
impl<S> FromRequestParts<S> for Bearer
where
    S: Send + Sync,
    Arc<TokenVerifier>: FromRef<S>,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        let token = bearer_token(&parts.headers).ok_or(ApiError::Unauthenticated)?;
        let verifier = Arc::<TokenVerifier>::from_ref(state);
        match verifier.verify(token).await {
            Ok(claims) => Ok(Self(claims)),
            Err(TokenError::Keys(e)) => Err(ApiError::Unavailable(e.to_string())),
            Err(_) => Err(ApiError::Unauthenticated),
        }
    }
}
