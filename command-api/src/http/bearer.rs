//! The `Authorization: Bearer` access token of a request, verified (signature, key, issuer,
//! expiry). Whether its session is still active is for the command to check, from the events.

use std::sync::Arc;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;

use super::{ApiError, AppState};
use access::{AccessClaims, TokenError, bearer_token};

#[derive(Debug, Clone)]
pub struct Bearer(pub AccessClaims);

impl FromRequestParts<AppState> for Bearer {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let token = bearer_token(&parts.headers).ok_or(ApiError::Unauthenticated)?;
        let verifier = Arc::clone(&state.verifier);
        match verifier.verify(token).await {
            Ok(claims) => Ok(Self(claims)),
            Err(TokenError::Keys(e)) => Err(ApiError::Unavailable(e.to_string())),
            Err(_) => Err(ApiError::Unauthenticated),
        }
    }
}
