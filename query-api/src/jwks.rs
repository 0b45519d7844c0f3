//! `GET /.well-known/jwks.json`: the public keys that verify access tokens — the active one and
//! retired ones whose tokens may still be unexpired.

use axum::Json;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::Serialize;
use utoipa::ToSchema;

use crate::error::QueryError;
use crate::state::AppState;

/// An Ed25519 public key as an RFC 8037 JWK.
#[derive(Debug, Serialize, ToSchema)]
pub struct Jwk {
    kty: &'static str,
    crv: &'static str,
    #[serde(rename = "use")]
    usage: &'static str,
    alg: String,
    kid: String,
    x: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct JwkSet {
    keys: Vec<Jwk>,
}

#[utoipa::path(
    get,
    path = "/.well-known/jwks.json",
    responses((status = 200, description = "Published signing keys", body = JwkSet))
)]
pub async fn jwks(State(state): State<AppState>) -> Response {
    match state.keys.published().await {
        Ok(keys) => {
            let keys = keys
                .into_iter()
                .map(|k| Jwk {
                    kty: "OKP",
                    crv: "Ed25519",
                    usage: "sig",
                    alg: k.algorithm,
                    kid: k.kid,
                    x: URL_SAFE_NO_PAD.encode(&k.key),
                })
                .collect();
            (
                [(header::CACHE_CONTROL, "public, max-age=60")],
                Json(JwkSet { keys }),
            )
                .into_response()
        }
        Err(e) => QueryError::from(e).into_response(),
    }
}
