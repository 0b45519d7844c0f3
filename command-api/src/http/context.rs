//! What a command learns from its request besides the body: who called from where, and the
//! trace it belongs to. It becomes the metadata of the events the command appends.

use axum::extract::FromRequestParts;
use axum::http::header::USER_AGENT;
use axum::http::request::Parts;
use events::{Actor, EventMetadata};
use runtime::http::ClientAddr;
use runtime::telemetry::TraceContext;
use std::convert::Infallible;
use uuid::Uuid;

use crate::sessions::client::Client;

const MAX_USER_AGENT: usize = 512;

#[derive(Debug, Clone)]
pub struct RequestContext {
    pub user_agent: Option<String>,
    pub ip: Option<String>,
    pub correlation_id: Uuid,
}

impl RequestContext {
    /// Event metadata for a command issued by `actor` in this request, carrying the current
    /// span's trace context.
    pub fn metadata(&self, actor: Option<Actor>) -> EventMetadata {
        let trace = TraceContext::current();
        EventMetadata {
            actor,
            correlation_id: self.correlation_id,
            causation_id: None,
            traceparent: trace.traceparent,
            tracestate: trace.tracestate,
        }
    }

    /// Event metadata for a command the bearer of `claims` issues in this request.
    pub fn metadata_of(&self, claims: &access::AccessClaims) -> EventMetadata {
        self.metadata(Some(Actor::principal(claims.principal_type, claims.sub)))
    }

    /// The caller's user agent and address.
    pub fn client(&self) -> Client {
        Client {
            user_agent: self.user_agent.clone(),
            ip: self.ip.clone(),
        }
    }
}

impl<S: Send + Sync> FromRequestParts<S> for RequestContext {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let user_agent = parts
            .headers
            .get(USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .map(|ua| ua.chars().take(MAX_USER_AGENT).collect());
        // The peer, or behind our own proxies the client they forward (`--trusted-proxies`).
        let ip = parts
            .extensions
            .get::<ClientAddr>()
            .map(|ClientAddr(ip)| ip.to_string());
        // The request id the middleware set (a UUID) correlates everything this request causes.
        let correlation_id = parts
            .headers
            .get("x-request-id")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| Uuid::parse_str(v).ok())
            .unwrap_or_else(Uuid::now_v7);
        Ok(Self {
            user_agent,
            ip,
            correlation_id,
        })
    }
}
