//! `GET /.well-known/oauth-authorization-server` (RFC 8414): where this platform's token,
//! introspection, revocation and key endpoints are, and what they accept, for clients that
//! configure themselves from it. Logins and refreshes (the token endpoint) and revocation are
//! on command-api, the rest here; each server's public URL comes from the configuration.

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use serde::Serialize;
use utoipa::ToSchema;

use crate::cli::PublicUrls;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct Metadata {
    /// The `iss` of every access token (`--token-issuer`).
    pub issuer: String,
    /// `POST /v1/auth/login` (a JSON body, not RFC 6749's form) and `/v1/auth/refresh`.
    pub token_endpoint: String,
    pub jwks_uri: String,
    pub introspection_endpoint: String,
    pub revocation_endpoint: String,
    pub grant_types_supported: Vec<&'static str>,
    /// None: the platform has no authorization endpoint.
    pub response_types_supported: Vec<&'static str>,
    pub token_endpoint_auth_methods_supported: Vec<&'static str>,
    /// Introspection takes a bearer token holding `tokens:introspect`.
    pub introspection_endpoint_auth_methods_supported: Vec<&'static str>,
    /// Revocation needs nothing but the token itself.
    pub revocation_endpoint_auth_methods_supported: Vec<&'static str>,
    /// How access tokens are signed (an extension: RFC 8414 has no field for it).
    pub access_token_signing_alg_values_supported: Vec<&'static str>,
}

impl Metadata {
    pub fn new(issuer: &str, urls: &PublicUrls) -> Self {
        let query = urls.public_url.trim_end_matches('/');
        let command = urls.command_api_url.trim_end_matches('/');
        Self {
            issuer: issuer.to_owned(),
            token_endpoint: format!("{command}/v1/auth/login"),
            jwks_uri: format!("{query}/.well-known/jwks.json"),
            introspection_endpoint: format!("{query}/v1/tokens/introspect"),
            revocation_endpoint: format!("{command}/v1/tokens/revoke"),
            grant_types_supported: vec!["password", "refresh_token"],
            response_types_supported: Vec::new(),
            token_endpoint_auth_methods_supported: vec!["none"],
            introspection_endpoint_auth_methods_supported: vec!["bearer"],
            revocation_endpoint_auth_methods_supported: vec!["none"],
            access_token_signing_alg_values_supported: vec!["EdDSA"],
        }
    }
}

#[utoipa::path(
    get,
    path = "/.well-known/oauth-authorization-server",
    responses((status = 200, description = "Authorization server metadata (RFC 8414)", body = Metadata))
)]
pub async fn metadata(State(metadata): State<Arc<Metadata>>) -> Json<Metadata> {
    Json(metadata.as_ref().clone())
}
