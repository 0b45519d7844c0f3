//! `GET /v1/customers/{id}/export`: everything held about a customer (GDPR Art. 15 and 20), for
//! the customer itself or a holder of `customers:export`, as one JSON document: its account
//! (profile, addresses, preferences, segments), the consent history, its sessions with user
//! agent and address, its revocations with their reasons, and every event of its streams, all
//! opened with its data key. The document is written while the events are read, a page at a
//! time, so memory stays bounded however long the history is. An erased customer (whose key is
//! gone) answers 404 like one that never was.

use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::header::{CONTENT_DISPOSITION, CONTENT_TYPE};
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use events::topics::Category;
use events::{Permission, PrincipalType, RawEvent};
use runtime::http::{Path, Problem};
use serde_json::{Value, json};
use store::event_store::StoreError;
use store::subject_keys::DataKey;
use tokio::sync::mpsc;
use uuid::Uuid;

use super::StreamPages;
use super::opened::{Account, open_payload};
use crate::auth::Caller;
use crate::error::QueryError;
use crate::state::AppState;

/// Events read per query.
const PAGE: i64 = 256;
/// Bytes gathered before they are sent.
const CHUNK: usize = 64 * 1024;

#[utoipa::path(
    get,
    path = "/v1/customers/{id}/export",
    params(("id" = Uuid, Path)),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Everything held about the customer, its event history opened", content_type = "application/json", body = Object),
        (status = 403, description = "A user lacking customers:export"),
        (status = 404, description = "No such customer (or erased), or another customer's id"),
    )
)]
pub async fn export(
    State(state): State<AppState>,
    caller: Caller,
    Path(customer_id): Path<Uuid>,
) -> Response {
    if let Err(denied) = may_read(&caller, customer_id, Permission::CustomersExport) {
        return denied.into_response();
    }
    let key = match state.subjects.find(customer_id).await {
        Ok(Some(key)) => key,
        Ok(None) => return Problem::not_found("no such customer").into_response(),
        Err(error) => return QueryError::from(error).into_response(),
    };
    let (sender, receiver) = mpsc::channel(4);
    let mut out = Out {
        sender,
        buffer: Vec::with_capacity(CHUNK),
    };
    let pages = state.pages.clone();
    tokio::spawn(async move {
        if let Err(Stop::Failed(error)) = write(&mut out, pages, &key, customer_id).await {
            tracing::error!(%error, "customer export cut short");
            let cut = std::io::Error::other("the export could not be completed");
            let _ = out.sender.send(Err(cut)).await;
        }
    });
    let body = futures::stream::unfold(receiver, |mut receiver| async move {
        receiver.recv().await.map(|chunk| (chunk, receiver))
    });
    let disposition = format!("attachment; filename=\"customer-{customer_id}.json\"");
    (
        [
            (CONTENT_TYPE, "application/json".to_owned()),
            (CONTENT_DISPOSITION, disposition),
        ],
        Body::from_stream(body),
    )
        .into_response()
}

/// A customer reads itself only (another customer's id answers 404); a user needs `permission`.
pub fn may_read(caller: &Caller, customer_id: Uuid, permission: Permission) -> Result<(), Problem> {
    match caller.0.principal_type {
        PrincipalType::Customer if caller.0.sub == customer_id => Ok(()),
        PrincipalType::Customer => Err(Problem::not_found("no such customer")),
        PrincipalType::User => caller.require(permission),
    }
}

/// Why writing stopped early.
enum Stop {
    /// The client went away: nothing to report.
    Gone,
    Failed(StoreError),
}

impl From<StoreError> for Stop {
    fn from(error: StoreError) -> Self {
        Self::Failed(error)
    }
}

/// The response body being written: chunks go out through a small channel, so a slow reader
/// holds back the writer instead of letting the document pile up in memory.
struct Out {
    sender: mpsc::Sender<Result<Bytes, std::io::Error>>,
    buffer: Vec<u8>,
}

impl Out {
    async fn put(&mut self, bytes: &[u8]) -> Result<(), Stop> {
        self.buffer.extend_from_slice(bytes);
        match self.buffer.len() >= CHUNK {
            true => self.flush().await,
            false => Ok(()),
        }
    }

    async fn value(&mut self, value: &Value) -> Result<(), Stop> {
        let text = serde_json::to_vec(value).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        self.put(&text).await
    }

    async fn flush(&mut self) -> Result<(), Stop> {
        let chunk = Bytes::from(std::mem::take(&mut self.buffer));
        self.sender.send(Ok(chunk)).await.map_err(|_| Stop::Gone)
    }
}

/// A list of the export: its name, where its items come from, and how each is shown.
type Section<'a> = (&'static str, Pages<'a>, fn(RawEvent) -> Value);

/// One stream's events (of `types` when given), a page at a time.
struct Pages<'a> {
    source: &'a dyn StreamPages,
    stream_id: String,
    types: Option<&'a [&'a str]>,
    after: i64,
}

impl Pages<'_> {
    async fn next(&mut self) -> Result<Vec<RawEvent>, StoreError> {
        let page = self
            .source
            .page(&self.stream_id, self.after, self.types, PAGE)
            .await?;
        self.after = page.last().map_or(self.after, |raw| raw.envelope.version);
        Ok(page)
    }
}

async fn write(
    out: &mut Out,
    source: Arc<dyn StreamPages>,
    key: &DataKey,
    customer_id: Uuid,
) -> Result<(), Stop> {
    let customer = Category::Customers.stream_id(customer_id);
    let sessions = Category::Sessions.stream_id(customer_id);
    let pages = |stream_id: &str, types| Pages {
        source: source.as_ref(),
        stream_id: stream_id.to_owned(),
        types,
        after: 0,
    };
    let head = json!({
        "format": "identity-platform/customer-export/v1",
        "customer_id": customer_id,
        "exported_at": Utc::now(),
    });
    let head = head.to_string();
    out.put(&head.as_bytes()[..head.len() - 1]).await?;

    let mut account = Account::default();
    let mut all = pages(&customer, None);
    loop {
        let page = all.next().await?;
        if page.is_empty() {
            break;
        }
        for mut raw in page {
            open_payload(key, &mut raw.payload);
            account.apply(&raw.event_type, &raw.payload);
        }
    }
    for (name, section) in account.sections() {
        out.put(format!(",\"{name}\":").as_bytes()).await?;
        out.value(&section).await?;
    }

    let consents = ["customer.consent_changed.v1"];
    let started = ["session.started.v1"];
    let revoked = ["session.revoked.v1"];
    let sections: [Section<'_>; 5] = [
        (
            "consent_history",
            pages(&customer, Some(&consents)),
            payload_of,
        ),
        ("sessions", pages(&sessions, Some(&started)), session_of),
        ("revocations", pages(&sessions, Some(&revoked)), payload_of),
        ("events", pages(&customer, None), event_of),
        ("session_events", pages(&sessions, None), event_of),
    ];
    for (name, mut section, shape) in sections {
        out.put(format!(",\"{name}\":[").as_bytes()).await?;
        let mut first = true;
        loop {
            let page = section.next().await?;
            if page.is_empty() {
                break;
            }
            for mut raw in page {
                open_payload(key, &mut raw.payload);
                if !std::mem::take(&mut first) {
                    out.put(b",").await?;
                }
                out.value(&shape(raw)).await?;
            }
        }
        out.put(b"]").await?;
    }
    out.put(b"}").await?;
    out.flush().await
}

fn payload_of(raw: RawEvent) -> Value {
    raw.payload
}

/// A session as the export shows it: when, from where, until when (not its token's hash).
fn session_of(raw: RawEvent) -> Value {
    let mut payload = raw.payload;
    if let Some(object) = payload.as_object_mut() {
        object.remove("refresh_token_hash");
    }
    payload
}

/// An event with its envelope: id, type, stream version, time, actor and trace.
fn event_of(raw: RawEvent) -> Value {
    json!({
        "event_id": raw.envelope.event_id,
        "event_type": raw.event_type,
        "stream_id": raw.envelope.stream_id,
        "version": raw.envelope.version,
        "recorded_at": raw.envelope.recorded_at,
        "metadata": raw.envelope.metadata,
        "payload": raw.payload,
    })
}
