//! Schemas by global id: what a consumer fetches to decode a message.

use axum::extract::State;
use axum::response::Response;
use serde_json::json;

use crate::registry::error::RegistryError;
use crate::registry::store::Store;
use crate::registry::wire::{Params, ok};

/// `GET /schemas/ids/{id}` → `{"schema": "..."}`. Clients add `?deleted=true`; nothing is ever
/// deleted here, so it changes nothing.
pub(super) async fn by_id(
    State(store): State<Store>,
    Params(id): Params<String>,
) -> Result<Response, RegistryError> {
    let id: i32 = id.parse().map_err(|_| RegistryError::SchemaNotFound)?;
    match store.schema_by_id(id).await? {
        Some(schema) => Ok(ok(&json!({ "schema": schema }))),
        None => Err(RegistryError::SchemaNotFound),
    }
}

/// `GET /schemas/types`: the only kind this registry keeps.
pub(super) async fn types() -> Response {
    ok(&["AVRO"])
}
