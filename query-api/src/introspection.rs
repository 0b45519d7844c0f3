//! `POST /v1/tokens/introspect` (RFC 7662): is this access token usable now? Yes only if its
//! signature, key, issuer and expiry check out and its session is active. The session comes
//! from the Redis cache; on a miss (or when asked for a newer version than the cache has) it
//! is rebuilt from the event store, which re-warms the cache. Only callers holding
//! `tokens:introspect` may ask (RFC 7662 §2.1), so the endpoint is no oracle for token scans.

// utoipa expands `params(T)` into a fully qualified path to `T`.
#![allow(unused_qualifications)]

use access::{AccessClaims, TokenError};
use axum::extract::{FromRequest, Request, State};
use axum::http::header::CONTENT_TYPE;
use axum::response::{IntoResponse, Response};
use axum::{Form, Json};
use events::{Permission, PrincipalType};
use runtime::http::{Problem, Query};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::auth::Bearer;
use crate::error::QueryError;
use crate::lookup;
use crate::state::AppState;

#[derive(Debug, Deserialize, ToSchema)]
pub struct IntrospectionRequest {
    /// The access token to check.
    pub token: String,
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct Consistency {
    /// Answer from state at least this new (the stream version a command returned).
    #[param(minimum = 0)]
    #[serde(default, deserialize_with = "lookup::min_version")]
    pub min_version: Option<i64>,
}

/// RFC 7662 answer; every field but `active` is absent for an inactive token.
#[derive(Debug, Default, Serialize, ToSchema)]
pub struct Introspection {
    pub active: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sub: Option<Uuid>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sid: Option<Uuid>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>)]
    pub principal_type: Option<PrincipalType>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Vec<String>>)]
    pub permissions: Option<Vec<Permission>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exp: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub iat: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub jti: Option<Uuid>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub iss: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub aud: Option<String>,
    /// `access_token` when active.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token_type: Option<&'static str>,
}

impl Introspection {
    fn inactive() -> Self {
        Self::default()
    }

    fn active(claims: AccessClaims) -> Self {
        Self {
            active: true,
            sub: Some(claims.sub),
            sid: Some(claims.sid),
            principal_type: Some(claims.principal_type),
            permissions: Some(claims.permissions),
            exp: Some(claims.exp),
            iat: Some(claims.iat),
            jti: Some(claims.jti),
            iss: Some(claims.iss),
            aud: Some(claims.aud),
            token_type: Some("access_token"),
        }
    }
}

#[utoipa::path(
    post,
    path = "/v1/tokens/introspect",
    params(Consistency),
    request_body(content = IntrospectionRequest, content_type = "application/json"),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Whether the token is active, with its claims if so", body = Introspection),
        (status = 401, description = "No valid bearer token of an active session"),
        (status = 403, description = "The caller lacks tokens:introspect"),
        (status = 422, description = "min_version beyond the stream's version (version_not_reached)"),
        (status = 503, description = "Neither the cache nor the event store could be read"),
    )
)]
pub async fn introspect(
    State(state): State<AppState>,
    bearer: Bearer,
    Query(consistency): Query<Consistency>,
    request: TokenForm,
) -> Result<Json<Introspection>, Response> {
    let claims = match state.verifier.verify(&request.0).await {
        Ok(claims) => Some(claims),
        Err(TokenError::Keys(e)) => return Err(QueryError::from(e).into_response()),
        Err(_) => None,
    };
    // The caller's session and the token's come from one read of the cache; the caller is
    // settled, and must hold the permission, before anything about the token is answered.
    let mut tokens = vec![&bearer.0];
    tokens.extend(&claims);
    let read = lookup::read_all(&state, &tokens).await;
    let found: Vec<_> = match read {
        Ok(found) => found.into_iter().map(Ok).collect(),
        Err(ref error) => tokens.iter().map(|_| Err(error)).collect(),
    };
    // One answer per token, in order (a missing one would count as a miss).
    let mut found = found.into_iter();
    let caller = bearer
        .caller(&state, found.next().unwrap_or(Ok((None, None))))
        .await?;
    caller
        .require(Permission::TokensIntrospect)
        .map_err(IntoResponse::into_response)?;
    let Some(claims) = claims else {
        return Ok(Json(Introspection::inactive()));
    };
    let current = lookup::resolve(
        &state,
        claims,
        consistency.min_version,
        found.next().unwrap_or(Ok((None, None))),
    )
    .await
    .map_err(IntoResponse::into_response)?;
    Ok(Json(match current {
        Some(claims) => Introspection::active(claims),
        None => Introspection::inactive(),
    }))
}

/// The token from a JSON body (`{"token": …}`) or, as RFC 7662 has it, a form (`token=…`).
#[derive(Debug)]
pub struct TokenForm(String);

impl<S: Send + Sync> FromRequest<S> for TokenForm {
    type Rejection = Problem;

    async fn from_request(request: Request, state: &S) -> Result<Self, Problem> {
        let is_form = request
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
        let body = if is_form {
            Form::<IntrospectionRequest>::from_request(request, state)
                .await
                .map_err(|e| Problem::new(e.status(), "invalid_body", e.body_text()))?
                .0
        } else {
            runtime::http::Json::<IntrospectionRequest>::from_request(request, state)
                .await?
                .0
        };
        Ok(Self(body.token))
    }
}
