//! The caller of a read: a verified access token of an active session, and the checks of
//! ownership and permission the reads make.

use access::{AccessClaims, TokenError, bearer_token, owner_or_permission};
use axum::extract::FromRequestParts;
use axum::http::StatusCode;
use axum::http::header::WWW_AUTHENTICATE;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use events::Permission;
use runtime::http::Problem;
use store::session_cache::CacheError;
use uuid::Uuid;

use crate::error::QueryError;
use crate::lookup;
use crate::state::AppState;

#[derive(Debug, Clone)]
pub struct Caller(pub AccessClaims);

impl Caller {
    /// Allowed if the caller is `owner` or holds `permission`; else the answer for a missing
    /// principal, so that ids do not reveal what exists.
    pub fn may_read(&self, owner: Uuid, permission: Permission) -> Result<(), Problem> {
        owner_or_permission(&self.0, owner, permission)
            .map(drop)
            .map_err(|_| Problem::not_found("no such principal"))
    }

    pub fn require(&self, permission: Permission) -> Result<(), Problem> {
        if self.0.has(permission) {
            Ok(())
        } else {
            Err(forbidden())
        }
    }
}

fn forbidden() -> Problem {
    Problem::new(
        StatusCode::FORBIDDEN,
        "forbidden",
        "this needs a permission or ownership the caller does not have",
    )
}

fn unauthorized() -> Response {
    let mut response = Problem::new(
        StatusCode::UNAUTHORIZED,
        "unauthorized",
        "a valid bearer token of an active session is required",
    )
    .into_response();
    response.headers_mut().insert(
        WWW_AUTHENTICATE,
        axum::http::HeaderValue::from_static("Bearer"),
    );
    response
}

/// A bearer token whose signature, key, issuer and expiry check out; its session is not
/// checked yet (a [`Caller`] is one whose session is active).
#[derive(Debug)]
pub struct Bearer(pub AccessClaims);

impl Bearer {
    /// The caller, if the token's session is active now, from what the cache `found`.
    pub async fn caller(
        self,
        state: &AppState,
        found: Result<lookup::Found, &CacheError>,
    ) -> Result<Caller, Response> {
        let current = lookup::resolve(state, self.0, None, found)
            .await
            .map_err(IntoResponse::into_response)?;
        current.map(Caller).ok_or_else(unauthorized)
    }
}

impl FromRequestParts<AppState> for Bearer {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        let token = bearer_token(&parts.headers).ok_or_else(unauthorized)?;
        match state.verifier.verify(token).await {
            Ok(claims) => Ok(Self(claims)),
            Err(TokenError::Keys(e)) => Err(QueryError::from(e).into_response()),
            Err(_) => Err(unauthorized()),
        }
    }
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        let Bearer(claims) = Bearer::from_request_parts(parts, state).await?;
        let current = lookup::active_claims(state, claims, None)
            .await
            .map_err(IntoResponse::into_response)?;
        current.map(Self).ok_or_else(unauthorized)
    }
}
