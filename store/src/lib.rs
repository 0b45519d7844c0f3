//! Storage both sides of the platform share: the event store (append-only streams with
//! optimistic concurrency) and snapshots in Postgres, Postgres read models that absorb
//! redelivered events, and the Redis session cache with its generations. command-api writes
//! through these, projectors and query-api read and rebuild.

pub mod aggregate;
pub mod customer_directory;
pub mod directory;
pub mod event_store;
pub mod generations;
pub mod read_model;
pub mod session_cache;
pub mod subject_keys;
